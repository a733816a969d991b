/* review.h - the decision review: one typed document a team reads before
 * spending, built once (src/session/review.c, session_review_build) and
 * rendered by writers that know nothing of how it was built: Markdown and
 * JSON here (src/report/review.c), HTML elsewhere. Every string and array
 * lives in the review's arena; writers only read.
 *
 * Contents, in reading order:
 *   the workload and horizon, the prices used (snapshot id, label, as-of)
 *   and "today" (the date every lifecycle check used);
 *   every option with its cost and latency figures, its feasibility verdict
 *   (each check: context, slo, availability, gpu_memory; pass, fail or
 *   unknown, with the reason) and lifecycle warnings, and where each figure
 *   came from;
 *   the cheapest option and the cheapest feasible option;
 *   the verdict of each framework with its trace and, when it recommends a
 *   route, the feasible option it rests on;
 *   pilot evidence, when a finished run was used;
 *   what would change the verdict (break-even volume, the SLO at which the
 *   cheapest feasible option changes);
 *   the dates that matter (price as-of, availability and retirement dates),
 *   sorted.
 *
 * Owned by the report module (src/report/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_REVIEW_H
#define TUNEPILOT_REVIEW_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"

#define REVIEW_KIND "tunepilot.review"
#define REVIEW_FORMAT_VERSION 1

typedef enum { REVIEW_PASS, REVIEW_FAIL, REVIEW_UNKNOWN } ReviewStatus;
const char *review_status_name(ReviewStatus s); /* "pass", "fail", "unknown" */

typedef struct ReviewSource {
    const char *what, *source, *as_of; /* as_of may be NULL */
} ReviewSource;

/* One feasibility check of an option. rule: "context", "slo",
 * "availability" or "gpu_memory". */
typedef struct ReviewCheck {
    const char *rule;
    ReviewStatus status;
    const char *reason;
} ReviewCheck;

typedef struct ReviewOption {
    const char *id, *kind, *model; /* model may be NULL (self-hosted, routed) */
    double horizon_total_usd, one_time_usd, first_month_usd, cost_per_1k_requests_usd;
    double latency_p50_ms, latency_p95_ms;
    bool feasible; /* no check failed */
    ReviewCheck *checks;
    int n_checks;
    const char **warnings; /* lifecycle and other notes */
    int n_warnings;
    ReviewSource *sources;
    int n_sources;
} ReviewOption;

typedef struct ReviewTraceItem {
    const char *rule;
    const char *fired;    /* "fired", "-" or "unknown" */
    const char *verdict;  /* the rule's verdict id, or NULL */
    bool decided;         /* this rule gave the verdict */
    const char **because; /* readable tests with their values */
    int n_because;
} ReviewTraceItem;

typedef struct ReviewFramework {
    const char *id, *title, *source, *as_of;
    const char *verdict, *verdict_title, *explanation; /* verdict: decide_verdict_name */
    const char *method;                                /* lora, qlora, full or NULL */
    const char *next_step;                             /* or NULL */
    /* The feasible option a route verdict rests on (NULL for prompt
     * engineering and not_yet, or when no option of that route is
     * feasible: then rests_on_note says so). */
    const char *rests_on, *rests_on_note;
    /* true when the framework's own verdict (framework_verdict) could not
     * stand on a feasible option and `verdict` replaced it (rests_on_note
     * says why) */
    bool changed;
    const char *framework_verdict;
    const char **missing;
    int n_missing;
    ReviewTraceItem *trace;
    int n_trace;
} ReviewFramework;

typedef struct ReviewEvidence {
    bool present;
    long long run_id;
    const char *date, *model;             /* model may be NULL */
    double base_accuracy, tuned_accuracy; /* NAN when not measured */
    double base_loss, tuned_loss;         /* NAN when not measured */
    bool helped;                          /* by the evidence rules */
    const char *detail;                   /* the numbers and the rules used */
} ReviewEvidence;

/* One stored `tunepilot eval` result on the pilot's held-out examples: a
 * frontier model with a prompt variant, or the pilot's base or tuned model. */
typedef struct ReviewEval {
    const char *model, *variant, *metric;
    bool local;
    int n;                     /* examples */
    double score, lo, hi;      /* the headline score and its 95% interval; NAN none */
    double usd_per_1k, p95_ms; /* NAN when not measured */
} ReviewEval;

/* What would change the verdict. what: "break_even_volume" (requests/day
 * at which the cheapest fine-tuned option costs the same as the cheapest
 * feasible one without fine-tuning over the horizon) or "slo_flip" (the
 * SLO in ms at which the cheapest feasible option changes). value NAN when
 * there is no such point within reach; text explains either way. */
typedef struct ReviewFlip {
    const char *what, *unit, *text;
    double value;
} ReviewFlip;

typedef struct ReviewDate {
    const char *date; /* YYYY-MM-DD */
    const char *what, *source;
} ReviewDate;

typedef struct Review {
    TpArena arena;
    const char *title, *scenario, *today;
    long long snapshot_id; /* 0 = bundled tables */
    const char *snapshot_label, *snapshot_as_of;

    int horizon_months;
    double requests_per_day, input_tokens, output_tokens, growth_per_month, peak_factor;
    double latency_slo_ms; /* NAN when the scenario sets none */

    ReviewOption *options;
    int n_options;
    int cheapest;          /* index, or -1 */
    int cheapest_feasible; /* index, or -1 when no option is feasible */

    ReviewFramework *frameworks;
    int n_frameworks;
    ReviewEvidence evidence;
    ReviewEval *evals; /* evaluations of the pilot's held-out set, oldest first */
    int n_evals;
    double eval_target; /* the score question 2 was judged against; NAN none */
    /* question 2 from the evaluations (session_eval_question2): its state name
     * and one sentence with the figures; NULL when there are no evaluations */
    const char *eval_question2, *eval_question2_text;
    ReviewFlip *flips;
    int n_flips;
    ReviewDate *dates;
    int n_dates;
    const char **warnings; /* review-wide notes */
    int n_warnings;
} Review;

void review_free(Review *r); /* NULL is fine */

/* The review as JSON ("kind": REVIEW_KIND); caller deletes. */
cJSON *review_to_json(const Review *r);
/* The review as Markdown; caller frees. */
char *review_render_md(const Review *r);

#endif
