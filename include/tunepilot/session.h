/* session.h - what both faces (the CLI and the workbench) share: loading
 * prices by one rule, loading a scenario with its stored probes, reading a
 * finished pilot's evidence, running the decide pipeline and building the
 * decision review. The tools layer: it uses the store and the engines and
 * knows nothing of screens; it never prints.
 *
 * The snapshot rule, everywhere: prices are the bundled tables with the
 * newest stored snapshot overlaid, unless a snapshot is asked for (--snapshot
 * N; 0 = the bundled tables alone) or the scenario names one ("snapshot": N,
 * which an explicit request overrides). Every output names the snapshot it
 * used (Pricing.snapshot_id, snapshot_label, snapshot_as_of).
 *
 * "Today" is the date every lifecycle check uses: $TUNEPILOT_TODAY
 * (YYYY-MM-DD) when set, else the current UTC date; a scenario's own
 * "start_date" wins over both.
 *
 * Owned by the session module (src/session/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_SESSION_H
#define TUNEPILOT_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tunepilot/cost.h"
#include "tunepilot/decide.h"
#include "tunepilot/error.h"
#include "tunepilot/eval.h"
#include "tunepilot/pricing.h"
#include "tunepilot/review.h"
#include "tunepilot/store.h"
#include "tunepilot/trainer.h"

#define SESSION_SNAPSHOT_NEWEST (-1LL)

/* Today's date into out (11 bytes). A malformed $TUNEPILOT_TODAY is
 * TP_EINVAL naming the variable and the expected form. */
TpStatus session_today(char out[11], TpError *err);

/* The newest stored snapshot's id, or 0 when there is none (or no store). */
long long session_newest_snapshot(Store *s);

/* Prices by the snapshot rule: want == SESSION_SNAPSHOT_NEWEST takes the
 * newest stored snapshot (the bundled tables when there is no store or no
 * snapshot), 0 the bundled tables, N > 0 snapshot N (which needs the
 * store). */
TpStatus session_pricing_load(Store *s, long long want, Pricing *p, TpError *err);

/* Parses a scenario against p with the stored probes its options name
 * (the store is needed only when the scenario names one) and sets its
 * start date (the scenario's start_date, else `today`). */
TpStatus session_scenario_parse(Store *s, const char *text, size_t len, const char *name,
                                const Pricing *p, const char *today, CostScenario *sc,
                                TpError *err);

/* A scenario document and the prices for it, by the snapshot rule (want:
 * --snapshot, or SESSION_SNAPSHOT_NEWEST when not given; a snapshot the
 * scenario names is used when want is SESSION_SNAPSHOT_NEWEST). On success p
 * and sc are both filled; on failure both are empty. */
TpStatus session_load_case(Store *s, long long want, const char *text, size_t len,
                           const char *name, const char *today, Pricing *p, CostScenario *sc,
                           TpError *err);

/* --- pilot settings as typed -------------------------------------------------- */

/* Reads a typed pilot setting (a flag of `tunepilot pilot`, a field of the
 * workbench's Pilot screen): a number as session_value_parse reads one
 * (2k = 2000, 1.5M, 2e-4; a whole number for the integer settings), within
 * the trainer's own bounds (train_setting_check, with its message). On bad
 * input returns false with the message in msg (size bytes), naming the
 * setting by its flag. */
bool session_setting_parse(TrainSetting s, const char *text, double *out, char *msg, size_t size);

/* --- pilot evidence ------------------------------------------------------------ */

#define SESSION_MAX_EVIDENCE_GPUS 32

/* What a finished pilot measured, as a typed value. */
typedef struct SessionEvidence {
    long long run_id;
    char date[16];   /* YYYY-MM-DD the run finished */
    char model[256]; /* the base model (directory), may be empty */
    double base_accuracy, tuned_accuracy; /* NAN when not measured */
    double base_loss, tuned_loss;         /* NAN when not measured */
    double tokens_per_s;                  /* measured here; NAN unknown */
    int n_gpus; /* full-run estimates on priced GPUs */
    struct {
        char gpu[64];
        double hours;
    } gpus[SESSION_MAX_EVIDENCE_GPUS];
} SessionEvidence;

/* Reads run `run_id`, or the newest completed local run with a summary when
 * run_id is 0. A run that is not completed, or has no summary, is TP_EINVAL
 * saying so; no finished run at all is TP_ENOTFOUND. */
TpStatus session_evidence_load(Store *s, long long run_id, SessionEvidence *ev, TpError *err);

/* Sets train_gpu_hours (and measured_by) of every self-hosted option of a
 * scenario document from the evidence, for the option's train_gpu (default
 * a100-80gb). Returns how many options changed. */
int session_evidence_apply(const SessionEvidence *ev, cJSON *scenario_doc);

/* Whether the pilot shows the fine-tune helped, by the rules
 * evidence_min_accuracy_gain (exact match, when measured) or
 * evidence_max_loss_ratio (held-out loss otherwise). False with a reason in
 * detail when the run has no evaluation (then *known is false). */
bool session_evidence_helped(const SessionEvidence *ev, const Pricing *p, bool *known,
                             char *detail, size_t size);

/* --- the decide pipeline ---------------------------------------------------------- */

/* Answers for a framework: computed from a projected scenario (when sc and
 * proj are given), then measured from evidence (frontier_fails, when ev is
 * given and the run was evaluated), then the typed ones over both; finally
 * only what the framework asks is kept. */
TpStatus session_decide_answers(const DecideFramework *fw, const CostScenario *sc,
                                const CostProjection *proj, const Pricing *p,
                                const SessionEvidence *ev, const DecideAnswers *typed,
                                DecideAnswers *all, TpError *err);

/* The route an option stands for: api -> prompt_engineering, rag -> rag,
 * api_finetuned -> fine_tune_hosted, self_hosted -> fine_tune_self_hosted,
 * routed -> hybrid_ft_rag when it sends traffic to a fine-tune and a
 * retrieval option, else the route of its largest share. */
DecideVerdict session_option_route(const CostScenario *sc, int i);

/* A framework's verdict checked against the projection: a verdict that
 * recommends a route must rest on a feasible option of that route (the
 * cheapest), and never on one failing the SLO, the context window or the
 * route's dates. When the scenario holds options of that route but none is
 * feasible, the verdict becomes the route of the cheapest feasible option
 * (fine-tune routes first when the framework asked for a fine-tune), or
 * not_yet when nothing is feasible; note says why either way. */
typedef struct SessionVerdict {
    DecideVerdict framework; /* what the framework's rules gave */
    DecideVerdict verdict;   /* what stands */
    bool changed;
    int rests_on; /* option index, or -1 (no scenario, or no option of the route) */
    char note[640];
} SessionVerdict;

void session_verdict(DecideVerdict framework, const CostScenario *sc, const CostProjection *proj,
                     SessionVerdict *out);

/* --- evaluations (tunepilot eval): the comparison and question 2 ------------------------ */

/* One stored evaluation on a held-out set: a frontier model with a prompt
 * variant, or a pilot's base or tuned local model. */
typedef struct SessionEvalRow {
    int64_t id, run_id;
    char created_at[32], model[256], variant[160], metric[16], kind[8];
    bool local;
    int examples, answered, failed, skipped;
    double score, lo, hi;      /* the headline score and its 95% interval; NAN none */
    double usd_per_1k, p95_ms; /* NAN when not measured (a local model has no price) */
    cJSON *result;             /* the stored result document (eval_run_json) */
} SessionEvalRow;

/* Everything evaluated on one held-out set, side by side: what `eval
 * compare`, `review`, `decide --eval-target` and the workbench show. */
typedef struct SessionEvalComparison {
    char digest[32], source[1024];
    int64_t run_id;       /* the pilot run whose split it is (0: a data file) */
    SessionEvalRow *rows; /* oldest first */
    int n_rows;
    EvalEvidence evidence; /* the summary for question 2 */
    bool have_evidence;    /* at least one result counts (see eval_evidence) */
} SessionEvalComparison;

/* The held-out sets that have evaluations, newest first; free the array. */
TpStatus session_eval_sets(Store *s, StoreEvalSet **out, int *n, TpError *err);

/* The comparison for the held-out set with this digest; run_id > 0 keeps
 * the evidence to that pilot's results (and data-file ones), as `eval
 * compare --run ID` does. An unreadable stored result is TP_EINVAL naming
 * its id. */
TpStatus session_eval_compare(Store *s, const char *digest, int64_t run_id,
                              SessionEvalComparison *out, TpError *err);
void session_eval_compare_free(SessionEvalComparison *c); /* NULL is fine */

/* Question 2 judged from a comparison against a target score: the state
 * (eval_question2), the rule prompt_iterations_before_finetune (its count,
 * 10 when the rules lack it, with its source and date) and one sentence
 * saying all of it with the figures and where they come from. */
typedef struct SessionQuestion2 {
    EvalQuestion2 state;
    double target;        /* NAN: none set */
    double rule_variants; /* the rule's count of prompt variants */
    const char *rule_source, *rule_as_of; /* into the pricing tables; may be NULL */
    char text[768];
} SessionQuestion2;

void session_eval_question2(const SessionEvalComparison *c, const Pricing *p, double target,
                            SessionQuestion2 *out);

/* The measured answers (frontier_fails, prompt_iterations) for the
 * questions fw asks, from the comparison against target by the rule (see
 * eval_decide_answers); nothing when target is NAN or there is no evidence.
 * Callers merge typed answers over these. */
void session_eval_answers(const SessionEvalComparison *c, const Pricing *p, double target,
                          const DecideFramework *fw, DecideAnswers *all);

/* --- the decision review ----------------------------------------------------------------- */

typedef struct SessionReviewInput {
    CostScenario *sc;            /* parsed; values are scratch during the call */
    const CostProjection *proj;  /* its projection */
    const Pricing *pricing;
    const char *today;
    const SessionEvidence *ev;   /* NULL when no pilot run was used */
    const cJSON *answers;        /* typed answers (question id -> value), or NULL */
    /* tunepilot eval results on the pilot's held-out set (NULL: none), and the
     * target question 2 is judged against (NAN: the results are shown only) */
    const SessionEvalComparison *evals;
    double eval_target;
} SessionReviewInput;

/* Builds the review (review.h): the workload, every option with its figures,
 * feasibility, warnings and sources; the cheapest and cheapest feasible;
 * each built-in framework (five-questions, checklist, sequence) evaluated on
 * the computed, measured and typed answers (a typed answer reaches only the
 * frameworks that ask it) with its trace and the feasible option it rests
 * on; pilot evidence; what would change the verdict (the break-even volume
 * and the SLOs at which the cheapest feasible option changes, found by
 * projecting the scenario again); the dates that matter. */
TpStatus session_review_build(const SessionReviewInput *in, Review *out, TpError *err);

#endif
