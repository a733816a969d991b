/* store_eval.c - cached answers of chat endpoints and evaluation summaries
 * (tunepilot eval; schema 6). No API key is ever stored here. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

void store_eval_answer_free(StoreEvalAnswer *a) {
    if (a) {
        free(a->answer);
        a->answer = NULL;
    }
}

TpStatus store_eval_answer_get(Store *s, const char *endpoint, const char *model,
                               const char *prompt_key, const char *example_key,
                               StoreEvalAnswer *out, bool *found, TpError *err) {
    memset(out, 0, sizeof *out);
    *found = false;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT answer, input_tokens, cached_tokens, output_tokens, ttft_ms, "
                           "latency_ms FROM eval_answers WHERE endpoint = ? AND model = ? AND "
                           "prompt_key = ? AND example_key = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "reading a cached answer");
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, prompt_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, example_key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    TpStatus ret = TP_OK;
    if (rc == SQLITE_ROW) {
        out->answer = store_col_dup(st, 0);
        out->input_tokens = store_col_count(st, 1);
        out->cached_tokens = store_col_count(st, 2);
        out->output_tokens = store_col_count(st, 3);
        out->ttft_ms = store_col_real(st, 4);
        out->latency_ms = store_col_real(st, 5);
        *found = out->answer != NULL;
    } else if (rc != SQLITE_DONE) {
        ret = store_fail(s, err, "reading a cached answer");
    }
    sqlite3_finalize(st);
    return ret;
}

TpStatus store_eval_answer_put(Store *s, const char *endpoint, const char *model,
                               const char *prompt_key, const char *example_key,
                               const StoreEvalAnswer *a, TpError *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT OR REPLACE INTO eval_answers (endpoint, model, prompt_key, "
                           "example_key, answer, input_tokens, cached_tokens, output_tokens, "
                           "ttft_ms, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "caching an answer");
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, prompt_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, example_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, a->answer ? a->answer : "", -1, SQLITE_TRANSIENT);
    store_bind_count(st, 6, a->input_tokens);
    store_bind_count(st, 7, a->cached_tokens);
    store_bind_count(st, 8, a->output_tokens);
    store_bind_real(st, 9, a->ttft_ms);
    store_bind_real(st, 10, a->latency_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TP_OK : store_fail(s, err, "caching an answer");
}

void store_eval_result_free(StoreEvalResult *r) {
    if (r) {
        free(r->result);
        r->result = NULL;
    }
}

TpStatus store_eval_result_save(Store *s, const StoreEvalResult *r, int64_t *id, TpError *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT INTO eval_results (set_digest, run_id, source, variant, "
                           "endpoint, model, local, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "saving an evaluation");
    sqlite3_bind_text(st, 1, r->set_digest, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->run_id);
    sqlite3_bind_text(st, 3, r->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->variant, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, r->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, r->local ? 1 : 0);
    sqlite3_bind_text(st, 8, r->result ? r->result : "{}", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "saving an evaluation");
    if (id)
        *id = sqlite3_last_insert_rowid(store_db(s));
    return TP_OK;
}

TpStatus store_eval_result_list(Store *s, const char *set_digest, StoreEvalResult **out, int *n,
                                TpError *err) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT id, run_id, set_digest, variant, model, created_at, source, "
                           "endpoint, local, result FROM eval_results WHERE set_digest = ? ORDER "
                           "BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "listing evaluations");
    sqlite3_bind_text(st, 1, set_digest, -1, SQLITE_TRANSIENT);
    int cap = 0, rc;
    TpStatus ret = TP_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            int nc = cap ? 2 * cap : 8;
            StoreEvalResult *g = realloc(*out, (size_t)nc * sizeof *g);
            if (!g) {
                ret = tp_error_set(err, TP_ERR, "out of memory");
                break;
            }
            *out = g;
            cap = nc;
        }
        StoreEvalResult *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->run_id = sqlite3_column_int64(st, 1);
        store_col_text(r->set_digest, sizeof r->set_digest, st, 2);
        store_col_text(r->variant, sizeof r->variant, st, 3);
        store_col_text(r->model, sizeof r->model, st, 4);
        store_col_text(r->created_at, sizeof r->created_at, st, 5);
        store_col_text(r->source, sizeof r->source, st, 6);
        store_col_text(r->endpoint, sizeof r->endpoint, st, 7);
        r->local = sqlite3_column_int(st, 8) != 0;
        r->result = store_col_dup(st, 9);
    }
    if (ret == TP_OK && rc != SQLITE_DONE)
        ret = store_fail(s, err, "listing evaluations");
    sqlite3_finalize(st);
    return ret;
}

TpStatus store_eval_set_list(Store *s, StoreEvalSet **out, int *n, TpError *err) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT e.set_digest, MAX(e.run_id), COUNT(*), MAX(e.created_at), "
                           "(SELECT x.source FROM eval_results x WHERE x.set_digest = e.set_digest "
                           "ORDER BY x.id DESC LIMIT 1) FROM eval_results e GROUP BY e.set_digest "
                           "ORDER BY MAX(e.id) DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "listing evaluated sets");
    sqlite3_bind_int(st, 1, STORE_EVAL_SETS_MAX);
    int cap = 0, rc;
    TpStatus ret = TP_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            int nc = cap ? 2 * cap : 8;
            StoreEvalSet *g = realloc(*out, (size_t)nc * sizeof *g);
            if (!g) {
                ret = tp_error_set(err, TP_ERR, "out of memory");
                break;
            }
            *out = g;
            cap = nc;
        }
        StoreEvalSet *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        store_col_text(e->set_digest, sizeof e->set_digest, st, 0);
        e->run_id = sqlite3_column_int64(st, 1);
        e->n_results = sqlite3_column_int(st, 2);
        store_col_text(e->newest, sizeof e->newest, st, 3);
        store_col_text(e->source, sizeof e->source, st, 4);
    }
    if (ret == TP_OK && rc != SQLITE_DONE)
        ret = store_fail(s, err, "listing evaluated sets");
    sqlite3_finalize(st);
    if (ret != TP_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return ret;
}
