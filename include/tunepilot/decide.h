/* decide.h - the decision engine: prompt, retrieve or fine-tune?
 *
 * A decision framework is data (assets/frameworks/<id>.json, compiled in; a
 * user's own in $XDG_CONFIG_HOME/tunepilot/frameworks/<id>.json, which wins
 * over a built-in of the same id). It holds questions, rules over the
 * answers, and verdicts with explanations; the engine is generic.
 *
 * Framework document (every field checked; unknown fields refused):
 *   kind "tunepilot.framework", format_version 1, id (= the file name),
 *   title, description, source (URL of the practitioner article), as_of
 *   (YYYY-MM-DD), walk ("ordered" or "all"), questions, rules, and optional
 *   stages, method_rules and verdicts.
 *   question: {id, type: yes_no|number|choice, text, help, source (URL),
 *              unit?, min?, max? (numbers), choices? [{id, label}]}
 *   rule:     {id, when: CONDITION, verdict?, explain, stop? (default true
 *              with a verdict), method_hint? {method, why}, stage?, next?}
 *   method_rule: {id, when, method: lora|qlora|full, why}
 *   stage:    {id, title}; verdicts: {verdict id: what it means, ...}
 *   CONDITION: {"all": [C...]} | {"any": [C...]} | {"not": C} |
 *              {"always": true} | {"fired": RULE_ID (an earlier rule)} |
 *              {"q": QUESTION_ID, OP: VALUE} | {"fact": FACT_ID, OP: NUMBER}
 *     OP is eq or ne for yes/no (true/false) and choice (a choice id), and
 *     eq, ne, lt, le, gt, ge for numbers. A number may be written
 *     {"rule": "finetune_min_examples", "times": 1} to take it from the
 *     pricing rules of thumb (pricing/rules.json), so each threshold has one
 *     sourced home; a range rule gives its midpoint unless "bound" is "low"
 *     or "high". Strings (text, help, explain, why, next, verdicts) may say
 *     {rule:ID} to show a rule's value.
 *
 * Evaluation uses three-valued logic: a comparison with an unanswered
 * question is unknown; all/any/not follow Kleene's rules. Rules run in
 * order. The verdict is that of the first "stop" rule that fires, provided
 * no stop rule before it is unknown; otherwise the first non-stop verdict
 * rule (a fallback) that fires, on the same proviso. An unknown rule in the
 * way gives not_yet with the missing question ids. An "ordered" walk stops
 * evaluating at the verdict or at the first unknown verdict rule, and the
 * wizard asks only what that walk needs; an "all" walk evaluates every rule
 * for the trace and the wizard asks every question.
 *
 * Method hint (only when the verdict is a fine-tune): the deciding rule's
 * method_hint, else the first method rule that fires.
 *
 * Everything here is pure except decide_catalog_list and
 * decide_framework_load, which read the user's frameworks directory.
 *
 * Owned by the decide module (src/decide/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_DECIDE_H
#define TUNEPILOT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/cost.h"
#include "tunepilot/error.h"
#include "tunepilot/pricing.h"

#define DECIDE_FORMAT_VERSION 1

typedef enum {
    DECIDE_PROMPT_ENGINEERING,
    DECIDE_RAG,
    DECIDE_FINE_TUNE_HOSTED,
    DECIDE_FINE_TUNE_SELF_HOSTED,
    DECIDE_HYBRID_FT_RAG,
    DECIDE_NOT_YET,
    DECIDE_N_VERDICTS
} DecideVerdict;

/* "prompt_engineering", ... ; a short human title; -1 when unknown. */
const char *decide_verdict_name(DecideVerdict v);
const char *decide_verdict_title(DecideVerdict v);
int decide_verdict_parse(const char *s);
/* fine_tune_hosted, fine_tune_self_hosted and hybrid_ft_rag. */
bool decide_verdict_is_fine_tune(DecideVerdict v);

typedef enum { DECIDE_METHOD_NONE, DECIDE_METHOD_LORA, DECIDE_METHOD_QLORA, DECIDE_METHOD_FULL } DecideMethod;
const char *decide_method_name(DecideMethod m); /* "lora", "qlora", "full", NULL for none */

typedef enum { DECIDE_Q_YES_NO, DECIDE_Q_NUMBER, DECIDE_Q_CHOICE } DecideQType;
const char *decide_qtype_name(DecideQType t); /* "yes_no", "number", "choice" */

typedef struct DecideChoice {
    const char *id, *label;
} DecideChoice;

typedef struct DecideQuestion {
    const char *id, *text, *help, *source, *unit; /* unit NULL when none */
    DecideQType type;
    DecideChoice *choices;
    int n_choices;
    double min, max; /* numbers */
} DecideQuestion;

typedef enum { DECIDE_OP_EQ, DECIDE_OP_NE, DECIDE_OP_LT, DECIDE_OP_LE, DECIDE_OP_GT, DECIDE_OP_GE } DecideOp;

typedef enum {
    DECIDE_COND_ALWAYS,
    DECIDE_COND_ALL,
    DECIDE_COND_ANY,
    DECIDE_COND_NOT,
    DECIDE_COND_Q,
    DECIDE_COND_FACT,
    DECIDE_COND_FIRED,
} DecideCondKind;

typedef struct DecideCond {
    DecideCondKind kind;
    struct DecideCond *kids; /* all, any (n_kids), not (1) */
    int n_kids;
    const char *ref; /* question, fact or rule id */
    int ref_index;   /* question or rule index; -1 for facts */
    DecideOp op;
    bool yes;           /* yes/no operand */
    const char *choice; /* choice operand */
    double number;      /* number operand, resolved */
    const char *rule;   /* pricing rule the number came from, or NULL */
    double times;       /* its multiplier */
} DecideCond;

typedef struct DecideRule {
    const char *id, *explain;
    DecideCond when;
    bool has_verdict, stop;
    DecideVerdict verdict;
    DecideMethod method; /* rule-level method hint, or NONE */
    const char *method_why;
    int stage; /* index into stages, or -1 */
    const char *next;
} DecideRule;

typedef struct DecideMethodRule {
    const char *id, *why;
    DecideCond when;
    DecideMethod method;
} DecideMethodRule;

typedef struct DecideStage {
    const char *id, *title;
} DecideStage;

typedef enum { DECIDE_WALK_ORDERED, DECIDE_WALK_ALL } DecideWalk;

typedef struct DecideFramework {
    TpArena arena;
    const char *id, *title, *description, *source, *as_of;
    const char *name; /* the file or asset it came from (messages) */
    DecideWalk walk;
    DecideQuestion *questions;
    int n_questions;
    DecideRule *rules;
    int n_rules;
    DecideMethodRule *method_rules;
    int n_method_rules;
    DecideStage *stages;
    int n_stages;
    const char *verdict_text[DECIDE_N_VERDICTS]; /* NULL when not given */
} DecideFramework;

/* Facts: numbers a scenario supplies that rules (mostly method rules) may
 * test, but nobody is asked: "train_gpu_memory_gb" (the smallest training
 * GPU of the self-hosted options), "requests_per_day". NULL-terminated. */
extern const char *const DECIDE_FACTS[];

/* Parses and validates a framework. Thresholds written as pricing rules are
 * resolved from `pricing` (which may be NULL only when none is used).
 * Invalid input returns TP_EINVAL with "NAME: $.path: expected ...". */
TpStatus decide_framework_parse(const char *text, size_t len, const char *name,
                                const Pricing *pricing, DecideFramework *fw, TpError *err);
void decide_framework_free(DecideFramework *fw); /* NULL is fine */

const DecideQuestion *decide_find_question(const DecideFramework *fw, const char *id);
int decide_question_index(const DecideFramework *fw, const char *id); /* -1 */
const DecideRule *decide_find_rule(const DecideFramework *fw, const char *id);

/* --- answers ------------------------------------------------------------- */

typedef enum { DECIDE_ORIGIN_TYPED, DECIDE_ORIGIN_COMPUTED, DECIDE_ORIGIN_MEASURED } DecideOrigin;
const char *decide_origin_name(DecideOrigin o); /* "typed", "computed", "measured" */

typedef struct DecideAnswer {
    char id[DECIDE_ID_MAX];
    DecideQType type; /* facts are numbers */
    bool yes;
    double number;
    char choice[DECIDE_ID_MAX];
    DecideOrigin origin;
    char detail[512]; /* the numbers behind a computed answer; may be empty */
} DecideAnswer;

typedef struct DecideAnswers {
    DecideAnswer *items;
    int n, cap;
} DecideAnswers;

void decide_answers_free(DecideAnswers *a); /* leaves it empty and reusable */
const DecideAnswer *decide_answers_find(const DecideAnswers *a, const char *id);
/* Sets an answer (replacing one with the same id). detail may be NULL. */
void decide_answers_set_yes_no(DecideAnswers *a, const char *id, bool yes, DecideOrigin o,
                               const char *detail);
void decide_answers_set_number(DecideAnswers *a, const char *id, double v, DecideOrigin o,
                               const char *detail);
void decide_answers_set_choice(DecideAnswers *a, const char *id, const char *choice,
                               DecideOrigin o, const char *detail);
bool decide_answers_remove(DecideAnswers *a, const char *id);
/* Copies every answer of src into dst; a src answer replacing a computed
 * one of dst notes the computed value it overrides in its detail. */
void decide_answers_merge(DecideAnswers *dst, const DecideAnswers *src);
/* Drops answers that are neither a question of fw (of the right type) nor a
 * fact. */
void decide_answers_filter(const DecideFramework *fw, DecideAnswers *a);
/* "yes", "no", "12,000", a choice id. */
const char *decide_answer_value_str(const DecideAnswer *a, char *buf, size_t size);

/* Reads an answers document: an object mapping question ids (or facts) to
 * true/false, a number or a choice id, or to {"value": V, "origin":
 * "typed"|"measured", "detail": "..."}. Errors name the question id and the
 * expected type: "NAME: $.labeled_examples: expected a number ...". */
TpStatus decide_answers_from_json(const DecideFramework *fw, const cJSON *doc, const char *name,
                                  DecideAnswers *out, TpError *err);
/* The typed and measured answers in the same format (computed ones are
 * left out: they are derived again from the scenario). */
cJSON *decide_answers_inputs_json(const DecideAnswers *a);

/* Parses one answer as typed on a terminal: y/yes/n/no, a number (commas
 * allowed), a choice id or its 1-based number. False when it does not fit. */
bool decide_parse_typed(const DecideQuestion *q, const char *text, DecideAnswers *a);

/* Answers derived from a projected scenario, origin "computed", each with
 * the numbers behind it in detail:
 *   volume                  requests/day >= rule finetune_min_daily_volume
 *   savings_exceed_overhead the cheapest fine-tune option's horizon total
 *                           (one-time costs included) < the cheapest option
 *                           without fine-tuning (needs one of each)
 *   latency_critical        with an SLO: SLO < rule finetune_latency_budget_ms,
 *                           or some option without fine-tuning misses it while
 *                           a fine-tuned one meets it; no SLO: no
 *   latency_budget_ms       the SLO (when set)
 *   doc_tokens              the workload's input tokens per request
 *   facts                   train_gpu_memory_gb, requests_per_day
 * Fine-tune options: api_finetuned, self_hosted, and routed ones sending
 * traffic to either. */
TpStatus decide_compute_answers(const CostScenario *sc, const CostProjection *proj,
                                const Pricing *pricing, DecideAnswers *out, TpError *err);

/* --- evaluation ---------------------------------------------------------- */

typedef enum { DECIDE_FALSE = 0, DECIDE_TRUE = 1, DECIDE_UNKNOWN = 2 } DecideTri;

/* One test a rule made: "labeled_examples 300 < 500 (finetune_min_examples)". */
typedef struct DecideBecause {
    const char *id;    /* question, fact or rule id */
    bool is_rule;      /* a {"fired": ...} reference */
    const char *value; /* "yes", "300", "unanswered", "fired" ... */
    int origin;        /* DecideOrigin, or -1 (unanswered, rules) */
    const char *test;  /* the comparison, readable */
    DecideTri result;
} DecideBecause;

typedef struct DecideTraceItem {
    const DecideRule *rule;
    DecideTri fired;
    bool decided; /* this rule gave the verdict */
    DecideBecause *because;
    int n_because;
} DecideTraceItem;

typedef struct DecideResult {
    TpArena arena;
    DecideVerdict verdict;
    const DecideRule *decided_by; /* NULL when missing answers block it */
    const char *explanation;
    DecideMethod method; /* NONE unless the verdict is a fine-tune */
    const char *method_why, *method_rule;
    const char **missing; /* unanswered question ids needed, question order */
    int n_missing;
    int stage;             /* index into fw->stages, or -1 */
    const char *next_step; /* what to do next, or NULL */
    DecideTraceItem *trace;
    int n_trace;
} DecideResult;

/* Evaluates answers against the framework. Pure; never fails. */
void decide_evaluate(const DecideFramework *fw, const DecideAnswers *a, DecideResult *r);
void decide_result_free(DecideResult *r); /* NULL is fine */

/* The next question a wizard should ask, or NULL when nothing more is
 * needed: for an ordered walk, the first question the verdict is waiting
 * on; for an "all" walk, the first unanswered question. Going back is
 * removing an answer and asking again. */
const DecideQuestion *decide_next_question(const DecideFramework *fw, const DecideAnswers *a);

/* The result as JSON ("kind": "tunepilot.decision"): framework, verdict,
 * explanation, method_hint, missing, stage, answers (with origin and
 * detail), trace. */
cJSON *decide_result_json(const DecideFramework *fw, const DecideAnswers *a,
                          const DecideResult *r);

/* --- catalog (reads the user's frameworks directory) ------------------------ */

typedef struct DecideCatalogEntry {
    char id[DECIDE_ID_MAX];
    char title[256];
    bool user;       /* from the user's directory */
    char path[4096]; /* the file, or the asset name */
} DecideCatalogEntry;

/* Built-in and user frameworks, sorted by id (a user file replaces the
 * built-in with the same id). *out is freed with free(). */
TpStatus decide_catalog_list(DecideCatalogEntry **out, int *n, TpError *err);

/* Loads a framework by id (user directory first, then built-in) or, when
 * `ref` contains a '/' or ends in ".json", from that file. An unknown id is
 * TP_EINVAL listing the available ones. */
TpStatus decide_framework_load(const char *ref, const Pricing *pricing, DecideFramework *fw,
                               TpError *err);

#endif
