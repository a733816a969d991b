/* store.h - the one SQLite database.
 *
 * Opened in WAL mode with foreign keys on and a busy timeout, so a training
 * process can write while the TUI reads. The schema is versioned by
 * PRAGMA user_version; store_open applies every missing migration in one
 * transaction each. Strings returned through pointers are heap copies that
 * the caller frees with free(); arrays of records likewise.
 *
 * Owned by the store module (src/store/); included by the modules of its layer (store) and
 * those above (model, pricing, data, train, net, decide, cost, pilot, handoff, eval, session,
 * report, cli, tui). */
#ifndef TUNEPILOT_STORE_H
#define TUNEPILOT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/error.h"

typedef struct Store Store;
struct sqlite3;

/* Opens (creating parent directories and the file if needed) and migrates to
 * the latest schema. A database from a newer tunepilot is refused. Several
 * processes may open a new database at once: the schema version is read
 * and each migration applied inside one BEGIN IMMEDIATE transaction. A
 * database file (or folder) this user cannot write is opened read-only:
 * reading works, writing fails with "attempt to write a readonly database"
 * (an older schema cannot be migrated then, which is said). */
TpStatus store_open(const char *path, Store **out, TpError *err);

/* Opens and migrates only up to `version` (0 = empty). For upgrade tests. */
TpStatus store_open_at_version(const char *path, int version, Store **out, TpError *err);

void store_close(Store *s); /* NULL is fine */

int store_latest_version(void);
int store_version(Store *s);
/* Whether it was opened read-only (a database this user cannot write). */
bool store_readonly(const Store *s);

/* The raw handle, for tests and for modules that own their own tables. */
struct sqlite3 *store_db(Store *s);
/* The path the store was opened with (owned by s, valid until store_close):
 * every database error names it. */
const char *store_path(const Store *s);

/* --- scenarios and projections ----------------------------------------- */

typedef struct StoreScenarioInfo {
    int64_t id;
    char name[256];
    char created_at[32]; /* UTC, ISO 8601 */
    char updated_at[32];
    int n_projections;
} StoreScenarioInfo;

/* Saves a scenario document. A scenario with the same name and the same
 * document is reused (its id returned, updated_at bumped). */
TpStatus store_scenario_save(Store *s, const char *name, const char *json, int64_t *id,
                             TpError *err);
/* All scenarios, newest first. *out is freed with free(). */
TpStatus store_scenario_list(Store *s, StoreScenarioInfo **out, int *n, TpError *err);
/* One scenario; *json (may be NULL to skip) is freed by the caller.
 * TP_ENOTFOUND when there is no such id. */
TpStatus store_scenario_get(Store *s, int64_t id, StoreScenarioInfo *info, char **json,
                            TpError *err);

typedef struct StoreProjectionInfo {
    int64_t id;
    int64_t scenario_id;
    int64_t snapshot_id;
    uint64_t seed;
    char created_at[32];
} StoreProjectionInfo;

TpStatus store_projection_save(Store *s, int64_t scenario_id, int64_t snapshot_id, uint64_t seed,
                               const char *json, int64_t *id, TpError *err);
/* The newest projection of a scenario; TP_ENOTFOUND when it has none. */
TpStatus store_projection_latest(Store *s, int64_t scenario_id, StoreProjectionInfo *info,
                                 char **json, TpError *err);

/* --- pricing snapshots --------------------------------------------------- */

typedef struct StoreSnapshotInfo {
    int64_t id;
    char created_at[32];
    char label[256];
    char source[512];
    char as_of[32];
    int n_models;
} StoreSnapshotInfo;

/* Stores a snapshot of n model entries (ids[i] and its JSON document
 * jsons[i]) in one transaction: all of it or nothing. */
TpStatus store_snapshot_insert(Store *s, const char *label, const char *source, const char *as_of,
                               int n, const char *const *ids, const char *const *jsons,
                               int64_t *id, TpError *err);
TpStatus store_snapshot_list(Store *s, StoreSnapshotInfo **out, int *n, TpError *err);
/* The entry documents of snapshot id, in id order; free each and the array. */
TpStatus store_snapshot_models(Store *s, int64_t id, StoreSnapshotInfo *info, char ***jsons,
                               int *n, TpError *err);

/* --- training runs ---------------------------------------------------------- */

/* A run's status. run_status_name / run_status_parse are the one place that
 * maps it to and from the words stored in runs.status and shown to people.
 * RUN_LOST is never stored: it is what a reader concludes about a running or
 * paused local run whose process is gone (pilot_run_state). */
typedef enum RunStatus {
    RUN_RUNNING,
    RUN_PAUSED,
    RUN_COMPLETED,
    RUN_FAILED,
    RUN_CANCELLED,
    RUN_INTERRUPTED,
    RUN_LOST,
    RUN_UNKNOWN, /* a word this tunepilot does not know (a newer one wrote it) */
} RunStatus;

const char *run_status_name(RunStatus s); /* "running", "paused", ... */
RunStatus run_status_parse(const char *s);  /* RUN_UNKNOWN for anything else */
/* Running or paused: a process is (or should be) working on it. */
bool run_status_active(RunStatus s);

typedef struct StoreRun {
    int64_t id;
    char kind[16];    /* local, external, hosted */
    RunStatus status; /* as stored */
    char model[1024], data[1024], method[16], out_dir[1024];
    char *config;    /* JSON; heap, freed by store_run_free */
    char *summary;   /* JSON; heap */
    char message[512];
    int64_t pid;
    int64_t total_steps;
    int64_t last_step; /* highest recorded metric step, -1 when none */
    char created_at[32], updated_at[32];
} StoreRun;

typedef struct StoreMetric {
    int64_t step;
    double loss, lr, grad_norm, tokens_per_s, rss_mb, elapsed_s;
    int64_t tokens;
} StoreMetric;

typedef struct StoreEval {
    int64_t step;
    char kind[16]; /* eval (during training), base, tuned */
    double loss, accuracy; /* accuracy NAN when not measured */
} StoreEval;

void store_run_free(StoreRun *r); /* frees config and summary */
TpStatus store_run_create(Store *s, const StoreRun *r, int64_t *id, TpError *err);
TpStatus store_run_set_status(Store *s, int64_t id, RunStatus status, const char *message,
                              TpError *err);
/* Sets the status only while the stored one is `from` (a compare-and-set:
 * a finished run is never turned back). *changed says whether it did. */
TpStatus store_run_set_status_if(Store *s, int64_t id, RunStatus from, RunStatus to,
                                 const char *message, bool *changed, TpError *err);
TpStatus store_run_set_summary(Store *s, int64_t id, const char *summary_json, TpError *err);
TpStatus store_run_set_pid(Store *s, int64_t id, int64_t pid, TpError *err);
/* Where the run keeps its files, and how many updates it will take. */
TpStatus store_run_set_plan(Store *s, int64_t id, const char *out_dir, int64_t total_steps,
                            TpError *err);
/* Inserts or replaces (a resumed run rewrites the steps it repeats). */
TpStatus store_run_metric(Store *s, int64_t run_id, const StoreMetric *m, TpError *err);
TpStatus store_run_eval(Store *s, int64_t run_id, const StoreEval *e, TpError *err);
TpStatus store_run_event(Store *s, int64_t run_id, const char *level, const char *message,
                         TpError *err);
TpStatus store_run_get(Store *s, int64_t id, StoreRun *out, TpError *err);
/* Runs newest first; free each with store_run_free, then the array. */
TpStatus store_run_list(Store *s, StoreRun **out, int *n, TpError *err);
/* Metrics with step > after_step, in step order. */
TpStatus store_run_metrics(Store *s, int64_t run_id, int64_t after_step, StoreMetric **out,
                           int *n, TpError *err);
TpStatus store_run_evals(Store *s, int64_t run_id, StoreEval **out, int *n, TpError *err);

typedef struct StoreEvent {
    char at[32], level[16], message[512];
} StoreEvent;
/* The newest `limit` events of a run, oldest first (INT_MAX: all of
 * them). *out is NULL when there are none; the caller frees it. */
TpStatus store_run_events(Store *s, int64_t run_id, int limit, StoreEvent **out, int *n,
                          TpError *err);

/* --- decisions (tunepilot decide) ---------------------------------------------- */

typedef struct StoreDecision {
    int64_t id;
    char framework[1024]; /* a framework id, or the path it was loaded from */
    char *answers;        /* JSON: the typed and measured answers; heap */
    char *scenario;       /* JSON scenario document, or NULL; heap */
    char *result;         /* JSON: the decision as shown; heap */
    char created_at[32];
} StoreDecision;

void store_decision_free(StoreDecision *d); /* frees the strings */
/* scenario may be NULL. */
TpStatus store_decision_save(Store *s, const char *framework, const char *answers,
                             const char *scenario, const char *result, int64_t *id, TpError *err);
/* TP_ENOTFOUND when there is no such id. */
TpStatus store_decision_get(Store *s, int64_t id, StoreDecision *out, TpError *err);
/* Newest first; free each with store_decision_free, then the array. */
TpStatus store_decision_list(Store *s, StoreDecision **out, int *n, TpError *err);

/* --- network features (store_net.c; schema 5) ------------------------------------ */

/* A latency probe of a chat endpoint (tunepilot probe). Times in ms; NAN
 * when no request succeeded. */
typedef struct StoreProbe {
    int64_t id;
    char url[2048];   /* the endpoint, as shown (no credentials) */
    char model[256];
    int requests, concurrency, prompt_tokens, max_tokens;
    int n_ok, n_errors;
    double error_rate, ttft_p50_ms, ttft_p95_ms, tokens_per_s_p50;
    double latency_p50_ms, latency_p95_ms, latency_p99_ms;
    char *detail;     /* JSON: per-request samples and errors; heap (store_probe_free) */
    char created_at[32];
} StoreProbe;

void store_probe_free(StoreProbe *p); /* frees detail */
TpStatus store_probe_save(Store *s, const StoreProbe *p, int64_t *id, TpError *err);
/* TP_ENOTFOUND when there is no such id. */
TpStatus store_probe_get(Store *s, int64_t id, StoreProbe *out, TpError *err);
/* Newest first; free each with store_probe_free, then the array. */
TpStatus store_probe_list(Store *s, StoreProbe **out, int *n, TpError *err);

/* The validators of the last download of a URL (conditional requests). */
typedef struct StoreHttpValidators {
    char etag[256], last_modified[128];
    int64_t snapshot_id; /* the pricing snapshot that download holds */
    char checked_at[32];
} StoreHttpValidators;

/* TP_ENOTFOUND when the URL was never downloaded. */
TpStatus store_http_validators_get(Store *s, const char *url, StoreHttpValidators *out,
                                   TpError *err);
TpStatus store_http_validators_put(Store *s, const char *url, const StoreHttpValidators *v,
                                   TpError *err);

/* A hosted fine-tuning job, one per run (runs.kind = "hosted"). key_env is
 * the NAME of the variable that held the API key, never the key. */
typedef struct StoreHostedJob {
    int64_t run_id;
    char provider[32], base_url[1024], key_env[64], job_id[256];
    char status[32];            /* the provider's own status word */
    char fine_tuned_model[512];
    char event_cursor[256];     /* id of the newest event read */
    char checkpoint_cursor[256];/* id of the newest checkpoint read */
    char updated_at[32];
} StoreHostedJob;

TpStatus store_hosted_job_create(Store *s, const StoreHostedJob *j, TpError *err);
/* Updates status, fine_tuned_model and both cursors of j->run_id. */
TpStatus store_hosted_job_update(Store *s, const StoreHostedJob *j, TpError *err);
/* By run id; TP_ENOTFOUND when that run is not a hosted job. */
TpStatus store_hosted_job_get(Store *s, int64_t run_id, StoreHostedJob *out, TpError *err);
/* By the provider's job id (the newest such record); TP_ENOTFOUND if none. */
TpStatus store_hosted_job_find(Store *s, const char *job_id, StoreHostedJob *out, TpError *err);
/* Newest first; free the array. */
TpStatus store_hosted_job_list(Store *s, StoreHostedJob **out, int *n, TpError *err);


/* --- evaluations (tunepilot eval; store_eval.c; schema 6) ----------------------------- */

/* A cached answer of a chat endpoint. Token counts -1 and times NAN when unknown. */
typedef struct StoreEvalAnswer {
    char *answer; /* heap (store_eval_answer_free) */
    long long input_tokens, cached_tokens, output_tokens;
    double ttft_ms, latency_ms;
} StoreEvalAnswer;

void store_eval_answer_free(StoreEvalAnswer *a);
/* *found false (and a zeroed *out) when nothing is cached for the key. */
TpStatus store_eval_answer_get(Store *s, const char *endpoint, const char *model,
                               const char *prompt_key, const char *example_key,
                               StoreEvalAnswer *out, bool *found, TpError *err);
TpStatus store_eval_answer_put(Store *s, const char *endpoint, const char *model,
                               const char *prompt_key, const char *example_key,
                               const StoreEvalAnswer *a, TpError *err);

typedef struct StoreEvalResult {
    int64_t id, run_id;
    char set_digest[32], variant[160], model[256], created_at[32];
    char source[1024], endpoint[2048];
    bool local;
    char *result; /* JSON (eval_run_json); heap */
} StoreEvalResult;

void store_eval_result_free(StoreEvalResult *r);
TpStatus store_eval_result_save(Store *s, const StoreEvalResult *r, int64_t *id, TpError *err);
/* Results for a held-out set (by digest), oldest first; free each, then the array. */
TpStatus store_eval_result_list(Store *s, const char *set_digest, StoreEvalResult **out, int *n,
                                TpError *err);

/* A held-out set that has results: its digest, its newest source text, the
 * pilot run it belongs to (the largest run id among its results; 0 for a
 * data file), how many results and when the newest was saved. */
typedef struct StoreEvalSet {
    char set_digest[32], source[1024], newest[32];
    int64_t run_id;
    int n_results;
} StoreEvalSet;

#define STORE_EVAL_SETS_MAX 1000

/* The held-out sets with results, the one with the newest result first (at
 * most STORE_EVAL_SETS_MAX); free the array. */
TpStatus store_eval_set_list(Store *s, StoreEvalSet **out, int *n, TpError *err);

#endif
