/* audit.h - checks a fine-tuning dataset before anyone pays for a run
 * (`tunepilot data check`).
 *
 * audit_run reads one JSON Lines file (chat, Alpaca or prompt/completion, as
 * dataset.h describes; the file's format is the one most of its records have)
 * and reports, with line numbers:
 *
 *   Errors (the pilot or a hosted fine-tune would reject the file):
 *     invalid_json, not_object (the line is not a JSON object),
 *     unrecognized_record, mixed_format, missing_messages, messages_not_list,
 *     empty_messages, message_not_object, message_missing_key (role or
 *     content), message_unrecognized_key (keys other than role, content, name,
 *     weight, function_call, tool_calls, tool_call_id), unrecognized_role
 *     (other than system, user, assistant, function, tool), non_string_content
 *     (content not a string and no function/tool call), invalid_utf8,
 *     bad_weight (weight not 0 or 1, or on a non-assistant message),
 *     no_assistant (example_missing_assistant_message), missing_field /
 *     non_string_field / empty_field (Alpaca instruction/output, prompt/
 *     completion), template (with a tokenizer: the model's chat template
 *     cannot format the example, e.g. llama2's alternating roles),
 *     empty_file. These are the checks of OpenAI's cookbook
 *     (Chat_finetuning_data_prep) plus the ones dataset_load makes.
 *   Warnings (the data is usable but probably not what you want):
 *     unsupported (function/tool messages, tool calls, a top-level "tools":
 *     OpenAI takes them, tunepilot's pilot does not), unknown_key (a
 *     top-level key that is ignored), empty_answer, no_loss (every assistant
 *     message has weight 0), no_system / no_user (one summary line each),
 *     too_few_examples (OpenAI needs at least 10), over_limit (longer than the
 *     token limit: truncated), length_outlier (IQR rule), duplicate,
 *     near_duplicate, conflicting_answer, label_imbalance, leakage.
 *
 * Token counts. With a tokenizer each example is formatted exactly as
 * dataset_load formats it (the model's chat template, or the Alpaca /
 * completion layout; BOS and EOS included), so the counts are the ids the
 * pilot trains on; examples the template cannot format exactly (tool
 * messages) fall back to encoding each content with the tokenizer plus the
 * per-message overhead below. Without a tokenizer the count is approximate,
 * in the way of OpenAI's cookbook (cl100k_base, "not exact"): a text counts
 * ceil(ASCII bytes / 4) + one token per non-ASCII character, each message
 * adds 3 (and 1 for a "name"), each example 3; Alpaca examples count the
 * formatted prompt, completion examples prompt + completion, both + 1 for EOS.
 * "assistant tokens" are the tokens that carry loss (with a tokenizer: the
 * answers and the token that ends them; approximate: the assistant contents).
 * Distributions are min, p10, median, p90, max and mean (percentiles by
 * linear interpolation, as numpy.quantile).
 *
 * Similarity. Texts are normalised (ASCII letters lowercased, every run of
 * characters that are not letters, digits or non-ASCII becomes one space).
 * Exact duplicates: the same messages (roles, contents and weights; compared
 * by a 64-bit hash). Near duplicates: the normalised texts of two examples
 * have an estimated Jaccard similarity of their word-bigram sets of at least
 * AUDIT_NEAR_THRESHOLD (MinHash with 64 hash functions, so the estimate is
 * within about 0.06; candidates found by LSH with 16 bands of 4 rows, each
 * example compared with at most 256 earlier candidates). Conflicting answers: two examples with the
 * same normalised prompt (every message before the final assistant reply, roles included; Alpaca
 * instruction + input; the completion prompt) and different normalised final answers.
 *
 * Length outliers: with at least 10 examples, those whose token count is
 * below Q1 - 1.5 IQR or above Q3 + 1.5 IQR.
 *
 * Label balance: the data set is "short-answer" when at least 95% of the
 * final answers have at most AUDIT_LABEL_MAX_WORDS words and there are at
 * most 50 distinct normalised answers, each seen twice on average; then each
 * answer is a label, counted, and a label holding more than 60% of the
 * answers, or fewer than a tenth of the mean count per label, is flagged.
 *
 * Leakage: with an eval file, each of its examples that is an exact or near
 * duplicate of a training example, or has the same normalised prompt, is
 * flagged (naming the training line). Without one, the split the pilot would
 * make is reproduced: dataset_load's seeded Fisher-Yates shuffle over the
 * examples it keeps (eval_split, seed; an example is kept when a loss token
 * survives truncation to pilot_seq; without a tokenizer, every example with
 * an assistant message of weight 1), so the same check runs between that
 * held-out part and the rest.
 *
 * Cost: for every fine-tunable model of the pricing tables, OpenAI's default
 * epochs rule (n = 3; if N*3 < 100, n = min(25, 100 // N); if N*3 > 25000,
 * n = max(1, 25000 // N); N = valid examples), billed tokens =
 * sum of min(tokens, seq) and cost = n x billed x training price per token.
 * Token counts come from the --model tokenizer or the approximation, not the
 * provider's own tokenizer, so the cost is an estimate. Models billed per
 * hour are listed with their hourly price and no total.
 *
 * audit_run reads the files and nothing else (pricing is passed in); it
 * fails only for unreadable files or bad options; problems in the data are
 * issues in the result.
 *
 * Owned by the data module (src/data/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_AUDIT_H
#define TUNEPILOT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tunepilot/error.h"
#include "tunepilot/pricing.h"
#include "tunepilot/tokenizer.h"

#define AUDIT_DEFAULT_SEQ 4096
#define AUDIT_NEAR_THRESHOLD 0.7
#define AUDIT_LABEL_MAX_WORDS 4
#define AUDIT_MAX_ISSUES_PER_CHECK 20

typedef enum { AUDIT_ERROR, AUDIT_WARNING } AuditSeverity;

typedef struct AuditIssue {
    AuditSeverity severity;
    const char *check; /* static id, e.g. "unrecognized_role" */
    const char *file;  /* the result's path or eval_path */
    int line;          /* 1-based; 0 = the whole file */
    int other_line;    /* related line (duplicate of, conflicts with, leaks from), else 0 */
    char *message;     /* without the file and line */
} AuditIssue;

/* How many issues a check raised (all of them, listed or not). */
typedef struct AuditCheckCount {
    const char *check;
    AuditSeverity severity;
    int count;
} AuditCheckCount;

typedef struct AuditStats {
    int n; /* values summarised; 0 = none (the rest are 0) */
    double min, p10, median, p90, max, mean;
} AuditStats;

/* One valid example (a record without errors), in file order. */
typedef struct AuditExample {
    int line;
    int tokens, assistant_tokens, messages;
    bool exact_tokens; /* counted by the tokenizer's own formatting */
    bool over_limit, outlier;
    int duplicate_of, near_duplicate_of, conflicts_with; /* earlier line, or 0 */
    bool held_out; /* in the eval part of the pilot's split (no eval file given) */
} AuditExample;

typedef struct AuditLabel {
    char *label; /* normalised answer */
    int count;
    bool flagged;
} AuditLabel;

typedef struct AuditCost {
    char *model, *provider, *base_model, *method;
    bool per_hour;            /* billed per hour: usd is NAN */
    double training_per_mtok; /* NAN when per hour */
    double training_per_hour; /* NAN when per token */
    int epochs;
    long long billed_tokens;  /* per epoch */
    long long charged_tokens; /* epochs x billed_tokens (0 when per hour) */
    double usd;
} AuditCost;

typedef struct AuditOptions {
    int seq;                  /* token limit per example; 0 = AUDIT_DEFAULT_SEQ */
    const char *eval_path;    /* held-out file for the leakage check, or NULL: the pilot's split */
    double eval_split;        /* the pilot's split (0.1) */
    uint64_t seed;            /* the pilot's seed (1) */
    int pilot_seq;            /* the pilot's --seq (256), which decides the examples it keeps */
    double near_threshold;    /* 0 = AUDIT_NEAR_THRESHOLD */
    const Pricing *pricing;   /* NULL: no cost estimate */
    size_t max_file_bytes;    /* 0 = DATASET_MAX_FILE_BYTES */
    int max_issues_per_check; /* issues listed per check; 0 = AUDIT_MAX_ISSUES_PER_CHECK */
} AuditOptions;

typedef struct AuditResult {
    char *path, *eval_path;    /* eval_path NULL without an eval file */
    const char *format;        /* "chat", "alpaca", "completion" or "unknown" (static) */
    bool exact_tokens;         /* a tokenizer counted the tokens */
    const char *template_name; /* the chat template used (static), or NULL */
    int seq;
    int n_lines, n_records; /* lines, non-blank lines */
    int n_examples;         /* valid records (no errors) */
    int n_errors, n_warnings;
    AuditIssue *issues; /* sorted by file (data, then eval) and line; at most
                           max_issues_per_check per check */
    int n_issues;
    AuditCheckCount *checks; /* in the order they first fired */
    int n_checks;
    AuditExample *examples;
    AuditStats tokens, assistant_tokens, messages;
    long long total_tokens;
    int n_over_limit;
    double outlier_low, outlier_high; /* the IQR fences; NAN with under 10 examples */
    int n_outliers;
    int n_duplicates, n_near_duplicates, n_conflicts;
    double near_threshold;
    bool short_answer;  /* the label check ran */
    AuditLabel *labels; /* most frequent first */
    int n_labels;
    bool leak_from_split; /* leakage against the pilot's split (no eval file) */
    double eval_split;
    uint64_t seed;
    int n_train, n_held_out; /* the two sides of the leakage check */
    int n_leaks;
    int epochs;              /* OpenAI's default for n_examples */
    long long billed_tokens; /* per epoch: sum of min(tokens, seq) */
    AuditCost *costs;
    int n_costs;
} AuditResult;

/* Fills o with the defaults above. */
void audit_options_default(AuditOptions *o);

/* OpenAI's default number of epochs for n examples (see above). */
int audit_default_epochs(int n);

/* Audits the file at path (tok may be NULL: approximate counts; opt may be
 * NULL: defaults). On success *out owns everything (audit_free), also when the
 * data has errors (out->n_errors). TP_ENOTFOUND / TP_EIO for unreadable files,
 * TP_EINVAL for bad options or a file over the size cap; then *out is zeroed. */
TpStatus audit_run(const char *path, const Tokenizer *tok, const AuditOptions *opt,
                   AuditResult *out, TpError *err);

/* Releases everything r owns and zeroes it; r may be NULL or zeroed. */
void audit_free(AuditResult *r);

/* The result as a JSON document (caller deletes): file, format, token
 * counting, checks, issues, distributions, duplicates, labels, leakage, cost. */
cJSON *audit_to_json(const AuditResult *r);

#endif
