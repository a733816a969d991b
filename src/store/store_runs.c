/* store_runs.c - training runs, per-step metrics, evaluations, events. */
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "store_int.h"

/* Runs one statement (a string literal, kept prepared by the store) whose
 * parameters are bound by `bind`. */
static TpStatus run1(Store *s, const char *sql, void (*bind)(sqlite3_stmt *, const void *),
                     const void *arg, const char *what, TpError *err) {
    sqlite3_stmt *st = store_stmt_get(s, sql);
    if (!st)
        return store_fail(s, err, what);
    bind(st, arg);
    int rc = sqlite3_step(st);
    TpStatus ret = rc == SQLITE_DONE ? TP_OK : store_fail(s, err, what);
    store_stmt_put(s, st);
    return ret;
}

static const char *const STATUS_NAMES[] = {
    [RUN_RUNNING] = "running",     [RUN_PAUSED] = "paused",
    [RUN_COMPLETED] = "completed", [RUN_FAILED] = "failed",
    [RUN_CANCELLED] = "cancelled", [RUN_INTERRUPTED] = "interrupted",
    [RUN_LOST] = "lost",           [RUN_UNKNOWN] = "unknown",
};

const char *run_status_name(RunStatus s) {
    return (unsigned)s <= RUN_UNKNOWN ? STATUS_NAMES[s] : "unknown";
}

RunStatus run_status_parse(const char *s) {
    for (int i = 0; s && i < RUN_UNKNOWN; i++)
        if (!strcmp(s, STATUS_NAMES[i]))
            return (RunStatus)i;
    return RUN_UNKNOWN;
}

bool run_status_active(RunStatus s) { return s == RUN_RUNNING || s == RUN_PAUSED; }

void store_run_free(StoreRun *r) {
    if (!r)
        return;
    free(r->config);
    free(r->summary);
    r->config = r->summary = NULL;
}

static void bind_create(sqlite3_stmt *st, const void *arg) {
    const StoreRun *r = arg;
    sqlite3_bind_text(st, 1, r->kind[0] ? r->kind : "local", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, run_status_name(r->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->data, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->method, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->config ? r->config : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->out_dir, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->pid);
    sqlite3_bind_int64(st, 9, r->total_steps);
}

TpStatus store_run_create(Store *s, const StoreRun *r, int64_t *id, TpError *err) {
    TpStatus st = run1(s,
                       "INSERT INTO runs(kind, status, model, data, method, config, out_dir, pid, "
                       "total_steps) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                       bind_create, r, "cannot record the run", err);
    if (st == TP_OK && id)
        *id = sqlite3_last_insert_rowid(store_db(s));
    return st;
}

typedef struct Upd {
    int64_t id;
    const char *a, *b;
    int64_t n;
} Upd;

static void bind_upd(sqlite3_stmt *st, const void *arg) {
    const Upd *u = arg;
    sqlite3_bind_int64(st, 1, u->id);
    if (u->a)
        sqlite3_bind_text(st, 2, u->a, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 2, u->n);
    if (u->b)
        sqlite3_bind_text(st, 3, u->b, -1, SQLITE_STATIC);
}

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

TpStatus store_run_set_status(Store *s, int64_t id, RunStatus status, const char *message,
                              TpError *err) {
    Upd u = {id, run_status_name(status), message ? message : "", 0};
    return run1(s, "UPDATE runs SET status = ?2, message = ?3, updated_at = " NOW " WHERE id = ?1",
                bind_upd, &u, "cannot update the run", err);
}

TpStatus store_run_set_status_if(Store *s, int64_t id, RunStatus from, RunStatus to,
                                 const char *message, bool *changed, TpError *err) {
    sqlite3_stmt *st;
    *changed = false;
    if (sqlite3_prepare_v2(store_db(s),
                           "UPDATE runs SET status = ?3, message = ?4, updated_at = " NOW
                           " WHERE id = ?1 AND status = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot update the run");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, run_status_name(from), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, run_status_name(to), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, message ? message : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot update the run");
    *changed = sqlite3_changes(store_db(s)) > 0;
    return TP_OK;
}

TpStatus store_run_set_summary(Store *s, int64_t id, const char *summary_json, TpError *err) {
    Upd u = {id, summary_json, NULL, 0};
    return run1(s, "UPDATE runs SET summary = ?2, updated_at = " NOW " WHERE id = ?1", bind_upd,
                &u, "cannot update the run", err);
}

TpStatus store_run_set_pid(Store *s, int64_t id, int64_t pid, TpError *err) {
    Upd u = {id, NULL, NULL, pid};
    return run1(s, "UPDATE runs SET pid = ?2, updated_at = " NOW " WHERE id = ?1", bind_upd, &u,
                "cannot update the run", err);
}

TpStatus store_run_set_plan(Store *s, int64_t id, const char *out_dir, int64_t total_steps,
                            TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "UPDATE runs SET out_dir = ?2, total_steps = ?3, updated_at = " NOW
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot update the run");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, out_dir, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, total_steps);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TP_OK : store_fail(s, err, "cannot update the run");
}

typedef struct MetricArg {
    int64_t run;
    const StoreMetric *m;
} MetricArg;

static void bind_metric(sqlite3_stmt *st, const void *arg) {
    const MetricArg *a = arg;
    sqlite3_bind_int64(st, 1, a->run);
    sqlite3_bind_int64(st, 2, a->m->step);
    store_bind_real(st, 3, a->m->loss);
    store_bind_real(st, 4, a->m->lr);
    store_bind_real(st, 5, a->m->grad_norm);
    store_bind_real(st, 6, a->m->tokens_per_s);
    store_bind_real(st, 7, a->m->rss_mb);
    store_bind_real(st, 8, a->m->elapsed_s);
    sqlite3_bind_int64(st, 9, a->m->tokens);
}

TpStatus store_run_metric(Store *s, int64_t run_id, const StoreMetric *m, TpError *err) {
    MetricArg a = {run_id, m};
    return run1(s,
                "INSERT OR REPLACE INTO run_metrics(run_id, step, loss, lr, grad_norm, "
                "tokens_per_s, rss_mb, elapsed_s, tokens) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                bind_metric, &a, "cannot record a step", err);
}

typedef struct EvalArg {
    int64_t run;
    const StoreEval *e;
} EvalArg;

static void bind_eval(sqlite3_stmt *st, const void *arg) {
    const EvalArg *a = arg;
    sqlite3_bind_int64(st, 1, a->run);
    sqlite3_bind_int64(st, 2, a->e->step);
    sqlite3_bind_text(st, 3, a->e->kind, -1, SQLITE_STATIC);
    store_bind_real(st, 4, a->e->loss);
    store_bind_real(st, 5, a->e->accuracy);
}

TpStatus store_run_eval(Store *s, int64_t run_id, const StoreEval *e, TpError *err) {
    EvalArg a = {run_id, e};
    return run1(s,
                "INSERT OR REPLACE INTO run_evals(run_id, step, kind, loss, accuracy) "
                "VALUES (?1,?2,?3,?4,?5)",
                bind_eval, &a, "cannot record an evaluation", err);
}

typedef struct EventArg {
    int64_t run;
    const char *level, *msg;
} EventArg;

static void bind_event(sqlite3_stmt *st, const void *arg) {
    const EventArg *a = arg;
    sqlite3_bind_int64(st, 1, a->run);
    sqlite3_bind_text(st, 2, a->level, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->msg, -1, SQLITE_STATIC);
}

TpStatus store_run_event(Store *s, int64_t run_id, const char *level, const char *message,
                         TpError *err) {
    EventArg a = {run_id, level, message};
    return run1(s, "INSERT INTO run_events(run_id, level, message) VALUES (?1,?2,?3)", bind_event,
                &a, "cannot record an event", err);
}

static const char *RUN_COLS =
    "SELECT id, kind, status, model, data, method, config, out_dir, pid, total_steps, summary, "
    "message, created_at, updated_at, "
    "(SELECT coalesce(max(step), -1) FROM run_metrics m WHERE m.run_id = runs.id) FROM runs";

static void text(char *dst, size_t size, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void run_row(sqlite3_stmt *st, StoreRun *r) {
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    text(r->kind, sizeof r->kind, st, 1);
    r->status = run_status_parse((const char *)sqlite3_column_text(st, 2));
    text(r->model, sizeof r->model, st, 3);
    text(r->data, sizeof r->data, st, 4);
    text(r->method, sizeof r->method, st, 5);
    const unsigned char *c = sqlite3_column_text(st, 6);
    r->config = tp_xstrdup(c ? (const char *)c : "{}");
    text(r->out_dir, sizeof r->out_dir, st, 7);
    r->pid = sqlite3_column_int64(st, 8);
    r->total_steps = sqlite3_column_int64(st, 9);
    const unsigned char *sm = sqlite3_column_text(st, 10);
    r->summary = tp_xstrdup(sm ? (const char *)sm : "{}");
    text(r->message, sizeof r->message, st, 11);
    text(r->created_at, sizeof r->created_at, st, 12);
    text(r->updated_at, sizeof r->updated_at, st, 13);
    r->last_step = sqlite3_column_int64(st, 14);
}

TpStatus store_run_get(Store *s, int64_t id, StoreRun *out, TpError *err) {
    char sql[600];
    snprintf(sql, sizeof sql, "%s WHERE id = ?1", RUN_COLS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read the run");
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        run_row(st, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return tp_error_set(err, TP_ENOTFOUND, "no run with id %lld (see: tunepilot runs list)",
                            (long long)id);
    return TP_OK;
}

TpStatus store_run_list(Store *s, StoreRun **out, int *n, TpError *err) {
    char sql[600];
    snprintf(sql, sizeof sql, "%s ORDER BY id DESC", RUN_COLS);
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot list runs");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        run_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++)
            store_run_free(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list runs");
    }
    return TP_OK;
}

TpStatus store_run_metrics(Store *s, int64_t run_id, int64_t after_step, StoreMetric **out,
                           int *n, TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT step, loss, lr, grad_norm, tokens_per_s, rss_mb, elapsed_s, "
                           "tokens FROM run_metrics WHERE run_id = ?1 AND step > ?2 ORDER BY step",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read metrics");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, after_step);
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        StoreMetric *m = &(*out)[(*n)++];
        m->step = sqlite3_column_int64(st, 0);
        m->loss = store_col_real(st, 1);
        m->lr = store_col_real(st, 2);
        m->grad_norm = store_col_real(st, 3);
        m->tokens_per_s = store_col_real(st, 4);
        m->rss_mb = store_col_real(st, 5);
        m->elapsed_s = store_col_real(st, 6);
        m->tokens = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    return TP_OK;
}

TpStatus store_run_evals(Store *s, int64_t run_id, StoreEval **out, int *n, TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT step, kind, loss, accuracy FROM run_evals WHERE run_id = ?1 "
                           "ORDER BY step, kind",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read evaluations");
    sqlite3_bind_int64(st, 1, run_id);
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        StoreEval *e = &(*out)[(*n)++];
        e->step = sqlite3_column_int64(st, 0);
        text(e->kind, sizeof e->kind, st, 1);
        e->loss = store_col_real(st, 2);
        e->accuracy = store_col_real(st, 3);
    }
    sqlite3_finalize(st);
    return TP_OK;
}

TpStatus store_run_events(Store *s, int64_t run_id, int limit, StoreEvent **out, int *n,
                          TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s),
                           "SELECT at, level, message FROM (SELECT id, at, level, message FROM "
                           "run_events WHERE run_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read events");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, limit);
    int cap = 0; /* grown as rows come: a large limit costs nothing up front */
    while (*n < limit && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? (cap > INT_MAX / 2 ? INT_MAX : cap * 2) : 64;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        StoreEvent *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        text(e->at, sizeof e->at, st, 0);
        text(e->level, sizeof e->level, st, 1);
        text(e->message, sizeof e->message, st, 2);
    }
    sqlite3_finalize(st);
    return TP_OK;
}
