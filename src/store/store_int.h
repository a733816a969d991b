/* store_int.h - statement helpers shared by the store's source files
 * (store.c, store_*.c). Private to src/store: nothing outside the store
 * includes it. Numbers stored as NULL stand for "not measured": a real that is
 * not finite is bound as NULL and read back as NAN, a negative count likewise
 * as NULL and -1. */
#ifndef TUNEPILOT_STORE_INT_H
#define TUNEPILOT_STORE_INT_H

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/store.h"

/* A statement for sql, a string literal (the cache compares addresses),
 * prepared on first use and kept by the store until it closes; NULL when it
 * cannot be prepared (sqlite's message is the connection's). Hand it back
 * with store_stmt_put, which resets it and clears its bindings (or
 * finalizes it when the cache was full). */
sqlite3_stmt *store_stmt_get(Store *s, const char *sql);
void store_stmt_put(Store *s, sqlite3_stmt *st);

/* Sets err to "DB_PATH: WHAT: sqlite's message" and returns TP_EDB. */
static inline TpStatus store_fail(Store *s, TpError *err, const char *what) {
    return tp_error_set(err, TP_EDB, "%s: %s: %s", store_path(s), what,
                        sqlite3_errmsg(store_db(s)));
}

static inline void store_bind_real(sqlite3_stmt *st, int i, double v) {
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static inline void store_bind_count(sqlite3_stmt *st, int i, long long v) {
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static inline double store_col_real(sqlite3_stmt *st, int c) {
    return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static inline long long store_col_count(sqlite3_stmt *st, int c) {
    return sqlite3_column_type(st, c) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, c);
}

/* Copies column c's text into dst (truncated to n-1 bytes; "" for NULL). */
static inline void store_col_text(char *dst, size_t n, sqlite3_stmt *st, int c) {
    const unsigned char *t = sqlite3_column_text(st, c);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* Column c's text as a new string (tp_xstrdup; "" for NULL): the caller frees it. */
static inline char *store_col_dup(sqlite3_stmt *st, int c) {
    const unsigned char *t = sqlite3_column_text(st, c);
    return tp_xstrdup(t ? (const char *)t : "");
}

#endif
