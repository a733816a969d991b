/* store_net.c - latency probes, HTTP validators of price downloads, hosted
 * fine-tuning jobs (schema 5). No API key is ever stored here. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "store_int.h"

/* --- probes ---------------------------------------------------------------------- */

void store_probe_free(StoreProbe *p) {
    if (!p)
        return;
    free(p->detail);
    p->detail = NULL;
}

TpStatus store_probe_save(Store *s, const StoreProbe *p, int64_t *id, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT INTO probes(url, model, requests, concurrency, prompt_tokens, "
                           "max_tokens, n_ok, n_errors, error_rate, ttft_p50_ms, ttft_p95_ms, "
                           "tokens_per_s_p50, latency_p50_ms, latency_p95_ms, latency_p99_ms, "
                           "detail) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                           "?16)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot save the probe");
    sqlite3_bind_text(st, 1, p->url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->model, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, p->requests);
    sqlite3_bind_int(st, 4, p->concurrency);
    sqlite3_bind_int(st, 5, p->prompt_tokens);
    sqlite3_bind_int(st, 6, p->max_tokens);
    sqlite3_bind_int(st, 7, p->n_ok);
    sqlite3_bind_int(st, 8, p->n_errors);
    store_bind_real(st, 9, p->error_rate);
    store_bind_real(st, 10, p->ttft_p50_ms);
    store_bind_real(st, 11, p->ttft_p95_ms);
    store_bind_real(st, 12, p->tokens_per_s_p50);
    store_bind_real(st, 13, p->latency_p50_ms);
    store_bind_real(st, 14, p->latency_p95_ms);
    store_bind_real(st, 15, p->latency_p99_ms);
    sqlite3_bind_text(st, 16, p->detail ? p->detail : "{}", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot save the probe");
    if (id)
        *id = sqlite3_last_insert_rowid(store_db(s));
    return TP_OK;
}

#define PROBE_COLS                                                                                 \
    "SELECT id, url, model, requests, concurrency, prompt_tokens, max_tokens, n_ok, n_errors, "    \
    "error_rate, ttft_p50_ms, ttft_p95_ms, tokens_per_s_p50, latency_p50_ms, latency_p95_ms, "     \
    "latency_p99_ms, detail, created_at FROM probes"

static void probe_row(sqlite3_stmt *st, StoreProbe *p) {
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    store_col_text(p->url, sizeof p->url, st, 1);
    store_col_text(p->model, sizeof p->model, st, 2);
    p->requests = sqlite3_column_int(st, 3);
    p->concurrency = sqlite3_column_int(st, 4);
    p->prompt_tokens = sqlite3_column_int(st, 5);
    p->max_tokens = sqlite3_column_int(st, 6);
    p->n_ok = sqlite3_column_int(st, 7);
    p->n_errors = sqlite3_column_int(st, 8);
    p->error_rate = store_col_real(st, 9);
    p->ttft_p50_ms = store_col_real(st, 10);
    p->ttft_p95_ms = store_col_real(st, 11);
    p->tokens_per_s_p50 = store_col_real(st, 12);
    p->latency_p50_ms = store_col_real(st, 13);
    p->latency_p95_ms = store_col_real(st, 14);
    p->latency_p99_ms = store_col_real(st, 15);
    const unsigned char *d = sqlite3_column_text(st, 16);
    p->detail = tp_xstrdup(d ? (const char *)d : "{}");
    store_col_text(p->created_at, sizeof p->created_at, st, 17);
}

TpStatus store_probe_get(Store *s, int64_t id, StoreProbe *out, TpError *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(store_db(s), PROBE_COLS " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read the probe");
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        probe_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return TP_OK;
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot read the probe");
    return tp_error_set(err, TP_ENOTFOUND, "no probe with id %lld (see: tunepilot probe --list)",
                        (long long)id);
}

TpStatus store_probe_list(Store *s, StoreProbe **out, int *n, TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s), PROBE_COLS " ORDER BY id DESC", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot list probes");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        probe_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++)
            store_probe_free(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list probes");
    }
    return TP_OK;
}

/* --- HTTP validators ------------------------------------------------------------------ */

TpStatus store_http_validators_get(Store *s, const char *url, StoreHttpValidators *out,
                                   TpError *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT etag, last_modified, snapshot_id, checked_at FROM "
                           "http_validators WHERE url = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read the download validators");
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        store_col_text(out->etag, sizeof out->etag, st, 0);
        store_col_text(out->last_modified, sizeof out->last_modified, st, 1);
        out->snapshot_id = sqlite3_column_int64(st, 2);
        store_col_text(out->checked_at, sizeof out->checked_at, st, 3);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return TP_OK;
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot read the download validators");
    return tp_error_set(err, TP_ENOTFOUND, "%s was never downloaded", url);
}

TpStatus store_http_validators_put(Store *s, const char *url, const StoreHttpValidators *v,
                                   TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT OR REPLACE INTO http_validators(url, etag, last_modified, "
                           "snapshot_id) VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot save the download validators");
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v->etag, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, v->last_modified, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, v->snapshot_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TP_OK : store_fail(s, err, "cannot save the download validators");
}

/* --- hosted jobs -------------------------------------------------------------------------- */

TpStatus store_hosted_job_create(Store *s, const StoreHostedJob *j, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT INTO hosted_jobs(run_id, provider, base_url, key_env, job_id, "
                           "status, fine_tuned_model, event_cursor, checkpoint_cursor) VALUES "
                           "(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot record the hosted job");
    sqlite3_bind_int64(st, 1, j->run_id);
    sqlite3_bind_text(st, 2, j->provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, j->base_url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, j->key_env, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, j->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, j->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, j->fine_tuned_model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, j->event_cursor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, j->checkpoint_cursor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TP_OK : store_fail(s, err, "cannot record the hosted job");
}

TpStatus store_hosted_job_update(Store *s, const StoreHostedJob *j, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "UPDATE hosted_jobs SET status = ?2, fine_tuned_model = ?3, "
                           "event_cursor = ?4, checkpoint_cursor = ?5, updated_at = "
                           "strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot update the hosted job");
    sqlite3_bind_int64(st, 1, j->run_id);
    sqlite3_bind_text(st, 2, j->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, j->fine_tuned_model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, j->event_cursor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, j->checkpoint_cursor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TP_OK : store_fail(s, err, "cannot update the hosted job");
}

#define JOB_COLS                                                                                   \
    "SELECT run_id, provider, base_url, key_env, job_id, status, fine_tuned_model, "               \
    "event_cursor, checkpoint_cursor, updated_at FROM hosted_jobs"

static void job_row(sqlite3_stmt *st, StoreHostedJob *j) {
    memset(j, 0, sizeof *j);
    j->run_id = sqlite3_column_int64(st, 0);
    store_col_text(j->provider, sizeof j->provider, st, 1);
    store_col_text(j->base_url, sizeof j->base_url, st, 2);
    store_col_text(j->key_env, sizeof j->key_env, st, 3);
    store_col_text(j->job_id, sizeof j->job_id, st, 4);
    store_col_text(j->status, sizeof j->status, st, 5);
    store_col_text(j->fine_tuned_model, sizeof j->fine_tuned_model, st, 6);
    store_col_text(j->event_cursor, sizeof j->event_cursor, st, 7);
    store_col_text(j->checkpoint_cursor, sizeof j->checkpoint_cursor, st, 8);
    store_col_text(j->updated_at, sizeof j->updated_at, st, 9);
}

static TpStatus job_one(Store *s, const char *sql, int64_t id, const char *job_id,
                        StoreHostedJob *out, TpError *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read the hosted job");
    if (job_id)
        sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        job_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return TP_OK;
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot read the hosted job");
    if (job_id)
        return tp_error_set(err, TP_ENOTFOUND,
                            "no hosted job \"%s\" recorded here (see: tunepilot remote list)",
                            job_id);
    return tp_error_set(err, TP_ENOTFOUND,
                        "run %lld is not a hosted job (see: tunepilot remote list)", (long long)id);
}

TpStatus store_hosted_job_get(Store *s, int64_t run_id, StoreHostedJob *out, TpError *err) {
    return job_one(s, JOB_COLS " WHERE run_id = ?1", run_id, NULL, out, err);
}

TpStatus store_hosted_job_find(Store *s, const char *job_id, StoreHostedJob *out, TpError *err) {
    return job_one(s, JOB_COLS " WHERE job_id = ?1 ORDER BY run_id DESC LIMIT 1", 0, job_id, out,
                   err);
}

TpStatus store_hosted_job_list(Store *s, StoreHostedJob **out, int *n, TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s), JOB_COLS " ORDER BY run_id DESC", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(s, err, "cannot list hosted jobs");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        job_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list hosted jobs");
    }
    return TP_OK;
}
