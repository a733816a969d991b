/* remote.h - hosted fine-tuning through an OpenAI-compatible API
 * (tunepilot remote submit|watch|list|cancel).
 *
 * Audit: a hosted model has no local tokenizer, so the data is checked the
 * way OpenAI's cookbook does (valid chat JSONL, known keys and roles, an
 * assistant message in every example) and tokens are APPROXIMATED as one
 * per 4 characters of content (Unicode code points), plus 3 per message and
 * 3 per example (the cookbook's per-message overhead). That is an estimate:
 * real counts differ by tokenizer and language.
 *
 * Estimated cost, with OpenAI's default-epochs rule for N examples:
 *   n = 3; if N*3 < 100 then n = min(25, 100 // N);
 *   if N*3 > 25000 then n = max(1, 25000 // N)
 *   cost = n * billed tokens * training $/token
 * where billed tokens = sum of min(REMOTE_MAX_TOKENS_PER_EXAMPLE, tokens_i)
 * and the training price is the finetune table's entry for the model.
 *
 * Job states map onto run states: validating_files, queued, running ->
 * running; succeeded -> completed; failed -> failed; cancelled -> cancelled.
 *
 * Owned by the net module (src/net/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_REMOTE_H
#define TUNEPILOT_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/net.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

#define REMOTE_MAX_TOKENS_PER_EXAMPLE 65536
#define REMOTE_MIN_TRAIN_EXAMPLES 10
#define REMOTE_OPENAI_BASE "https://api.openai.com/v1"
#define REMOTE_MAX_PROBLEMS 20

/* --- audit --------------------------------------------------------------------------- */

typedef struct RemoteAudit {
    int n_examples;
    int n_errors, n_warnings;
    /* error counters (the cookbook's names) */
    int data_type, missing_messages_list, message_missing_key, message_unrecognized_key;
    int unrecognized_role, missing_content, example_missing_assistant_message;
    int invalid_json, invalid_weight;
    /* warnings */
    int no_system, no_user, blank_lines, unknown_top_level_key, over_token_limit;
    long long approx_tokens; /* sum over examples */
    long long billed_tokens; /* sum of min(limit, tokens_i) */
    long long max_example_tokens;
    char problems[REMOTE_MAX_PROBLEMS][256]; /* "FILE:LINE: what" for the first ones */
    int n_problems;
} RemoteAudit;

/* Audits a chat JSONL document (name is used in messages). min_examples is
 * REMOTE_MIN_TRAIN_EXAMPLES for a training file, 0 for a validation file.
 * a->n_errors tells whether the data is acceptable. Blank lines are
 * skipped (a warning); each other line is one example. */
void remote_audit_text(const char *text, size_t len, const char *name, int min_examples,
                       RemoteAudit *a);
/* Reads the file (up to REMOTE_MAX_FILE_BYTES) and audits it. */
TpStatus remote_audit_file(const char *path, int min_examples, RemoteAudit *a, TpError *err);

/* Approximate tokens of a text: code points / 4, rounded up. */
long long remote_approx_tokens(const char *s);

/* --- estimate --------------------------------------------------------------------------- */

/* OpenAI's default number of epochs for n_examples (see above). */
int remote_default_epochs(long long n_examples);

typedef struct RemoteEstimate {
    int epochs;
    bool epochs_auto;         /* the provider picks: the default rule was applied */
    long long billed_tokens;  /* one epoch */
    long long charged_tokens; /* epochs x billed */
    double training_per_mtok; /* NAN when the model's training is not billed per token */
    double cost_usd;          /* NAN when unknown */
    const char *price_id, *price_source, *price_as_of; /* borrowed from the pricing */
} RemoteEstimate;

/* epochs 0 = auto. A model absent from the finetune table gives TP_OK with
 * cost NAN and price_id NULL (the job may still be submitted). */
void remote_estimate(const Pricing *p, const char *model, const RemoteAudit *train, int epochs,
                     RemoteEstimate *e);

/* --- the provider API ------------------------------------------------------------------------ */

typedef struct RemoteClient {
    char base[1024];     /* ends with /v1, no trailing slash */
    const char *api_key; /* borrowed; never copied into a message or a record */
} RemoteClient;

/* base_url NULL: REMOTE_OPENAI_BASE. A base without a /v1 ending gets one. */
TpStatus remote_client_init(RemoteClient *c, const char *base_url, const char *api_key,
                            TpError *err);

/* POST /files (multipart, purpose=fine-tune); the file id into id. */
TpStatus remote_upload(const RemoteClient *c, const char *path, char *id, size_t size,
                       NetProgressFn progress, void *ctx, TpError *err);

typedef struct RemoteJobSpec {
    const char *model, *training_file, *validation_file, *suffix;
    int epochs; /* 0 = auto */
} RemoteJobSpec;

/* POST /fine_tuning/jobs; *job is the job object (caller deletes). */
TpStatus remote_create_job(const RemoteClient *c, const RemoteJobSpec *spec, cJSON **job,
                           TpError *err);
/* GET /fine_tuning/jobs/{id}. */
TpStatus remote_get_job(const RemoteClient *c, const char *id, cJSON **job, TpError *err);
/* POST /fine_tuning/jobs/{id}/cancel. */
TpStatus remote_cancel_job(const RemoteClient *c, const char *id, cJSON **job, TpError *err);
/* GET /fine_tuning/jobs/{id}/{what}?limit=N[&after=A]: what is "events" or
 * "checkpoints"; *page is the list object (caller deletes). */
TpStatus remote_list_page(const RemoteClient *c, const char *id, const char *what,
                          const char *after, int limit, cJSON **page, TpError *err);

/* The run status for a job status ("running" for an unknown one). */
const char *remote_run_status(const char *job_status);
/* True for succeeded, failed and cancelled. */
bool remote_job_finished(const char *job_status);

/* --- following a job into the runs tables -------------------------------------------------- */

typedef struct RemoteSyncResult {
    char status[32];        /* the provider's */
    const char *run_status; /* mapped */
    bool finished;
    int new_events, new_metrics, new_evals;
    char message[512]; /* the provider's error message, or the fine-tuned model */
} RemoteSyncResult;

/* Called for each new event, oldest first. */
typedef void (*RemoteEventFn)(void *ctx, const char *level, const char *message, long long at);

/* One poll: reads the job, pages through the events and checkpoints newer
 * than the stored cursors (the API lists newest first; `after` pages back),
 * turns train and validation loss into run metrics (store_run_metric, step =
 * the job's step) and evaluations (store_run_eval, kind "eval"), records
 * each event (store_run_event), maps the status onto the run, and moves the
 * cursors. The record job->run_id must exist (store_hosted_job_get). */
TpStatus remote_sync(Store *s, const RemoteClient *c, StoreHostedJob *job, RemoteEventFn on_event,
                     void *ctx, RemoteSyncResult *r, TpError *err);

#endif
