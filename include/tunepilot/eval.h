/* eval.h - evidence for question 2: a held-out set through a prompted
 * frontier model (any OpenAI-compatible chat endpoint) and through the local
 * base and tuned models, scored the same way.
 *
 * Examples. A record of any format the pilot reads (dataset.h) becomes a
 * prompt (its messages up to the last assistant one; an Alpaca instruction
 * and input, or a completion prompt, as one user message) and a reference
 * (the last assistant message, the output, the completion). With a pilot
 * run, the held-out examples are the pilot's own seeded split and k-shot
 * examples come from its training split.
 *
 * Prompt variants. zero-shot (the records' own messages, with --system TEXT
 * as the system message when given); k-shot (K training examples, drawn
 * with a seeded shuffle, as user/assistant turns before the question); a
 * template file whose text has {input} (the question) and optionally
 * {examples} (the K examples as "Input: ...\nOutput: ...") replaced.
 *
 * Scores (every one with a 95% interval, the examples being a sample):
 *   exact     normalised exact match (Unicode-agnostic ASCII lowercase,
 *             surrounding whitespace and trailing . ! ? removed, inner
 *             whitespace runs collapsed); Wilson score interval.
 *   label     when the references are labels (at most EVAL_MAX_LABELS
 *             distinct normalised values, each at most 40 bytes without a
 *             newline, and at least two examples a label on average): the
 *             accuracy (= exact) and a confusion table, reference x answer.
 *   json      when every reference is a JSON object: the share of answers
 *             that are valid JSON objects, and the mean share of the
 *             reference's top-level fields the answer has with an equal
 *             value (normal interval on the mean).
 *   f1        free text: SQuAD's token F1 (the harmonic mean of token
 *             precision and recall of the normalised, whitespace-split
 *             answer against the reference), mean over examples with a
 *             normal interval. A lexical overlap, not a judgement of meaning.
 *
 * Nothing prints; progress goes through a callback.
 *
 * Owned by the eval module (src/eval/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_EVAL_H
#define TUNEPILOT_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"


/* --- examples -------------------------------------------------------------------------- */

typedef struct EvalMessage {
    char *role, *content; /* heap */
} EvalMessage;

typedef struct EvalExample {
    EvalMessage *msgs; /* the prompt: every message before the reference */
    int n_msgs;
    char *reference; /* heap */
    int line;        /* 1-based line in the data file */
} EvalExample;

typedef struct EvalSet {
    EvalExample *held, *train; /* held-out examples; k-shot pool (may be empty) */
    int n_held, n_train;
    char source[1024]; /* data file, or "run N (FILE)" */
    char digest[17];   /* hex FNV-1a of the held-out references and prompts */
} EvalSet;

/* Every record of path (format detected as dataset.h does) as held-out
 * examples; shots_path (may be NULL) supplies k-shot examples. TP_EINVAL
 * naming FILE:LINE for a record without a reference. */
TpStatus eval_set_from_files(const char *path, const char *shots_path, EvalSet *out, TpError *err);
/* The held-out and training examples of pilot run run_id: the pilot's own
 * seeded split (its model's tokenizer decides which records it kept). */
TpStatus eval_set_from_run(Store *s, int64_t run_id, EvalSet *out, TpError *err);
/* Keeps the first n held-out examples (n <= 0: all). */
void eval_set_limit(EvalSet *set, int n);
void eval_set_free(EvalSet *set);

/* --- prompt variants -------------------------------------------------------------------- */

typedef struct EvalPrompt {
    const char *system;        /* may be NULL */
    int shots;                 /* k-shot examples (0: zero-shot) */
    uint64_t seed;             /* for drawing the shots */
    const char *template;      /* template text, or NULL */
    const char *template_name; /* for the variant's name */
} EvalPrompt;

/* "zero-shot", "3-shot", "template:NAME", with "+system:HASH" (6 hex digits
 * of the system prompt's FNV-1a hash) when a system prompt is set. */
void eval_prompt_name(const EvalPrompt *p, char *out, size_t n);
/* The messages sent for held-out example i as a JSON array (caller deletes).
 * Shots are drawn once per set and seed (the same for every example). */
cJSON *eval_prompt_messages(const EvalSet *set, const EvalPrompt *p, int i);

/* --- scoring ---------------------------------------------------------------------------- */

typedef enum { EVAL_KIND_LABEL, EVAL_KIND_JSON, EVAL_KIND_TEXT } EvalKind;
const char *eval_kind_name(EvalKind k); /* "label", "json", "text" */

typedef struct EvalInterval {
    double value, lo, hi; /* NAN when nothing was scored */
} EvalInterval;

typedef struct EvalScores {
    EvalKind kind;
    int n;                                /* answers scored */
    EvalInterval exact;                   /* normalised exact match */
    EvalInterval json_valid, json_fields; /* kind json */
    EvalInterval f1;                      /* token F1 (every kind) */
    /* kind label: labels[n_labels], confusion[r * (n_labels + 1) + a], the last
     * column counting answers that are none of the labels */
    char **labels;
    int n_labels;
    int *confusion;
} EvalScores;

/* Decides the kind from the references (see above). */
EvalKind eval_kind_of(const EvalSet *set);
/* Scores answers[i] (NULL: no answer, scored as wrong) against the held-out
 * references. */
void eval_score(const EvalSet *set, char *const *answers, EvalScores *out);
void eval_scores_free(EvalScores *s);

/* Normalisation used by exact match and labels (writes into out). */
void eval_normalize(const char *s, char *out, size_t n);
/* SQuAD token F1 of answer against reference. */
double eval_token_f1(const char *answer, const char *reference);
/* Wilson score interval for k successes in n at 95% (z = 1.959964). */
EvalInterval eval_wilson(int k, int n);

/* --- a remote endpoint -------------------------------------------------------------------- */

typedef struct EvalRemoteOptions {
    const char *url; /* base ending in /v1, or the chat-completions URL */
    const char *model;
    const char *api_key; /* NULL: none */
    int concurrency;     /* 1..EVAL_MAX_CONCURRENCY */
    int max_tokens;      /* per answer */
    int max_requests;    /* request budget (tries included); 0: no limit */
    double max_usd;      /* cost cap; 0: none (needs prices) */
    double input_per_mtok, cached_per_mtok, output_per_mtok; /* NAN: unknown */
    /* progress after each example (may be NULL) */
    void (*on_answer)(void *ctx, int done, int total, bool cached);
    void *ctx;
} EvalRemoteOptions;

/* Per-example measurements (NAN where not measured). */
typedef struct EvalSample {
    char *answer; /* heap; NULL when the example failed or was not run */
    bool cached;  /* answered from the database (nothing sent) */
    long long input_tokens, cached_tokens, output_tokens; /* -1 when not reported */
    double ttft_ms, latency_ms;
    int attempts;
    char error[256];
} EvalSample;

typedef struct EvalRun {
    char variant[160], endpoint[2048], model[256];
    int n, n_ok, n_failed, n_skipped, n_cached, requests;
    bool stopped_by_cap, stopped_by_budget;
    EvalSample *samples; /* [n] */
    EvalScores scores;
    double usd;        /* spent by this run (cached answers cost nothing now) */
    double usd_per_1k; /* mean cost of an answer x 1000, from every answered example */
    double mean_input_tokens, mean_output_tokens;
    double ttft_p50_ms, ttft_p95_ms, latency_p50_ms, latency_p95_ms;
    bool local; /* answered by the local runtime */
} EvalRun;

/* Answers every held-out example through the endpoint (streamed chat
 * completions with usage), concurrency at a time, retrying 429 and 5xx with
 * backoff (net.h), answers cached in the store by endpoint, model, prompt and
 * example so a rerun sends nothing for what it has. Stops sending when the
 * next request could pass max_usd (its prompt at about 4 characters a token
 * plus max_tokens of output) or when the request budget is spent; what was
 * not answered is counted as skipped. TP_OK once it ran. */
TpStatus eval_remote(Store *s, const EvalSet *set, const EvalPrompt *p, const EvalRemoteOptions *o,
                     EvalRun *out, TpError *err);

/* --- the local models of a pilot ---------------------------------------------------------- */

/* Greedy answers of pilot run run_id's base model (tuned false) or base plus
 * its exported adapter (tuned true) for every held-out example, in the
 * pilot's chat template (system and last user message), up to max_tokens. */
TpStatus eval_local(Store *s, int64_t run_id, bool tuned, const EvalSet *set, int max_tokens,
                    EvalRun *out, TpError *err);

void eval_run_free(EvalRun *r);

/* Scores, cost and latency of r as a JSON object (caller deletes). */
cJSON *eval_run_json(const EvalRun *r);

/* Stores r's summary (table eval_results), keyed by the set's digest, so the
 * comparison and the decision can read it back; *id set. */
TpStatus eval_save(Store *s, const EvalSet *set, const EvalRun *r, int64_t run_id, int64_t *id,
                   TpError *err);

/* --- the evidence for question 2 ------------------------------------------------------------ */

typedef struct EvalEvidence {
    int n_variants; /* frontier prompt variants evaluated on this set */
    char best_variant[160], best_model[256];
    double best_score; /* its headline score (exact, or json fields, or f1) */
    double best_lo, best_hi;
    double tuned_score, base_score; /* the local models', NAN when not evaluated */
    char metric[16];
} EvalEvidence;

/* Reads the stored results for the held-out set with this digest (run_id >
 * 0: the pilot's set) and summarises them: the newest result of each model
 * and variant counts; a frontier result with no answer (every request failed
 * or was not sent) counts neither as a variant nor as a score. *found false
 * when none counts. */
TpStatus eval_evidence(Store *s, int64_t run_id, const char *digest, EvalEvidence *ev, bool *found,
                       TpError *err);

/* What the evidence says of question 2 against a target score (the same
 * judgement eval_decide_answers makes): UNKNOWN with no scored frontier
 * variant or no finite target; GOOD_ENOUGH when the best variant scores at
 * or over the target; KEEP_PROMPTING when under it after fewer than
 * min_variants variants; FAILS when under it after at least min_variants. */
typedef enum {
    EVAL_Q2_UNKNOWN,
    EVAL_Q2_GOOD_ENOUGH,
    EVAL_Q2_KEEP_PROMPTING,
    EVAL_Q2_FAILS
} EvalQuestion2;
EvalQuestion2 eval_question2(const EvalEvidence *ev, double target, double min_variants);
const char *eval_question2_name(EvalQuestion2 q); /* "unknown", "good_enough", ... */

/* The evidence as measured answers for the frameworks that ask: with the
 * best frontier variant's score under `target` after at least `min_variants`
 * variants (the rule prompt_iterations_before_finetune), "frontier_fails" is
 * yes and "prompt_iterations" is the number tried; under target after fewer,
 * "frontier_fails" is no (prompting is not exhausted: the practitioners'
 * sequence) and "prompt_iterations" the number tried; at or over target,
 * both say the frontier does not fail (0 iterations). Each with the figures
 * in its detail. Answers for questions fw does not ask are not set. */
struct DecideFramework;
struct DecideAnswers;
void eval_decide_answers(const EvalEvidence *ev, double target, double min_variants,
                         const struct DecideFramework *fw, struct DecideAnswers *all);

#endif
