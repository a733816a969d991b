/* store_decisions.c - saved decisions (tunepilot decide) and their inputs. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "store_int.h"

void store_decision_free(StoreDecision *d) {
    if (!d)
        return;
    free(d->answers);
    free(d->scenario);
    free(d->result);
    d->answers = d->scenario = d->result = NULL;
}

TpStatus store_decision_save(Store *s, const char *framework, const char *answers,
                             const char *scenario, const char *result, int64_t *id, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(s),
                           "INSERT INTO decisions(framework, answers, scenario, result) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot save the decision");
    sqlite3_bind_text(st, 1, framework, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, answers ? answers : "{}", -1, SQLITE_STATIC);
    if (scenario)
        sqlite3_bind_text(st, 3, scenario, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot save the decision");
    if (id)
        *id = sqlite3_last_insert_rowid(store_db(s));
    return TP_OK;
}

static char *dup_text(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? tp_xstrdup((const char *)t) : NULL;
}

static void row(sqlite3_stmt *st, StoreDecision *d) {
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    const unsigned char *t = sqlite3_column_text(st, 1);
    snprintf(d->framework, sizeof d->framework, "%s", t ? (const char *)t : "");
    d->answers = dup_text(st, 2);
    if (!d->answers)
        d->answers = tp_xstrdup("{}");
    d->scenario = dup_text(st, 3);
    d->result = dup_text(st, 4);
    if (!d->result)
        d->result = tp_xstrdup("{}");
    t = sqlite3_column_text(st, 5);
    snprintf(d->created_at, sizeof d->created_at, "%s", t ? (const char *)t : "");
}

#define COLS "SELECT id, framework, answers, scenario, result, created_at FROM decisions"

TpStatus store_decision_get(Store *s, int64_t id, StoreDecision *out, TpError *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(store_db(s), COLS " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read the decision");
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return TP_OK;
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot read the decision");
    return tp_error_set(err, TP_ENOTFOUND,
                        "no decision with id %lld (see: tunepilot decide --history)",
                        (long long)id);
}

TpStatus store_decision_list(Store *s, StoreDecision **out, int *n, TpError *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(store_db(s), COLS " ORDER BY id DESC", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot list decisions");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++)
            store_decision_free(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list decisions");
    }
    return TP_OK;
}
