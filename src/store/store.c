#include "tunepilot/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/paths.h"
#include "store_int.h"

/* Statements a store runs often (a step's metrics, a trainer's events) are
 * prepared once and kept: preparing one costs more than running it. */
enum { STORE_CACHED_STMTS = 16 };

struct Store {
    sqlite3 *db;
    bool readonly;
    char path[4096];
    struct {
        const char *sql; /* a string literal: compared by address */
        sqlite3_stmt *st;
    } cache[STORE_CACHED_STMTS];
};

/* Migration i takes the schema from user_version i to i + 1. Never edit a
 * migration that has shipped; append a new one. */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1: scenarios and their projections */
    "CREATE TABLE scenarios ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE projections ("
    "  id INTEGER PRIMARY KEY,"
    "  scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,"
    "  seed INTEGER NOT NULL,"
    "  result TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE INDEX projections_scenario ON projections(scenario_id, id);",

    /* 1 -> 2: dated pricing snapshots; projections remember theirs */
    "CREATE TABLE pricing_snapshots ("
    "  id INTEGER PRIMARY KEY CHECK (id > 0),"
    "  label TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  as_of TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE pricing_snapshot_models ("
    "  snapshot_id INTEGER NOT NULL REFERENCES pricing_snapshots(id) ON DELETE CASCADE,"
    "  model_id TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (snapshot_id, model_id));"
    "ALTER TABLE projections ADD COLUMN snapshot_id INTEGER NOT NULL DEFAULT 0;",

    /* 2 -> 3: training runs, their per-step metrics, evaluations and events */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL DEFAULT 'local',"
    "  status TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  config TEXT NOT NULL,"
    "  out_dir TEXT NOT NULL DEFAULT '',"
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  total_steps INTEGER NOT NULL DEFAULT 0,"
    "  summary TEXT NOT NULL DEFAULT '{}',"
    "  message TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE run_metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  loss REAL, lr REAL, grad_norm REAL, tokens_per_s REAL, rss_mb REAL,"
    "  elapsed_s REAL, tokens INTEGER,"
    "  PRIMARY KEY (run_id, step));"
    "CREATE TABLE run_evals ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  loss REAL, accuracy REAL,"
    "  PRIMARY KEY (run_id, step, kind));"
    "CREATE TABLE run_events ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  level TEXT NOT NULL,"
    "  message TEXT NOT NULL);",

    /* 3 -> 4: decisions (tunepilot decide) with their inputs, for --review */
    "CREATE TABLE decisions ("
    "  id INTEGER PRIMARY KEY,"
    "  framework TEXT NOT NULL,"
    "  answers TEXT NOT NULL,"
    "  scenario TEXT,"
    "  result TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));",

    /* 4 -> 5: network features: latency probes of chat endpoints, the HTTP
     * validators of the last price download, hosted fine-tuning jobs with
     * the cursors of what was read of them (never an API key) */
    "CREATE TABLE probes ("
    "  id INTEGER PRIMARY KEY,"
    "  url TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  requests INTEGER NOT NULL, concurrency INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, max_tokens INTEGER NOT NULL,"
    "  n_ok INTEGER NOT NULL, n_errors INTEGER NOT NULL, error_rate REAL,"
    "  ttft_p50_ms REAL, ttft_p95_ms REAL, tokens_per_s_p50 REAL,"
    "  latency_p50_ms REAL, latency_p95_ms REAL, latency_p99_ms REAL,"
    "  detail TEXT NOT NULL DEFAULT '{}',"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE http_validators ("
    "  url TEXT PRIMARY KEY,"
    "  etag TEXT NOT NULL DEFAULT '',"
    "  last_modified TEXT NOT NULL DEFAULT '',"
    "  snapshot_id INTEGER NOT NULL DEFAULT 0,"
    "  checked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE hosted_jobs ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  provider TEXT NOT NULL,"
    "  base_url TEXT NOT NULL,"
    "  key_env TEXT NOT NULL DEFAULT '',"
    "  job_id TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT '',"
    "  fine_tuned_model TEXT NOT NULL DEFAULT '',"
    "  event_cursor TEXT NOT NULL DEFAULT '',"
    "  checkpoint_cursor TEXT NOT NULL DEFAULT '',"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  UNIQUE (provider, base_url, job_id));",

    /* 5 -> 6: tunepilot eval: answers of chat endpoints cached by endpoint, model, prompt
     * and example (a rerun sends nothing for them), and each evaluation's summary */
    "CREATE TABLE eval_answers ("
    "  endpoint TEXT NOT NULL, model TEXT NOT NULL,"
    "  prompt_key TEXT NOT NULL, example_key TEXT NOT NULL,"
    "  answer TEXT NOT NULL,"
    "  input_tokens INTEGER, cached_tokens INTEGER, output_tokens INTEGER,"
    "  ttft_ms REAL, latency_ms REAL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  PRIMARY KEY (endpoint, model, prompt_key, example_key));"
    "CREATE TABLE eval_results ("
    "  id INTEGER PRIMARY KEY,"
    "  set_digest TEXT NOT NULL, run_id INTEGER NOT NULL DEFAULT 0,"
    "  source TEXT NOT NULL, variant TEXT NOT NULL, endpoint TEXT NOT NULL,"
    "  model TEXT NOT NULL, local INTEGER NOT NULL DEFAULT 0,"
    "  result TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE INDEX eval_results_set ON eval_results(set_digest);",
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int store_latest_version(void) { return N_MIGRATIONS; }

struct sqlite3 *store_db(Store *s) { return s->db; }

const char *store_path(const Store *s) { return s->path; }

static TpStatus exec(Store *s, const char *sql, TpError *err) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        TpStatus st = tp_error_set(err, TP_EDB, "%s: %s", s->path, msg ? msg : "SQL error");
        sqlite3_free(msg);
        return st;
    }
    return TP_OK;
}

static int read_version(Store *s) {
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

int store_version(Store *s) { return read_version(s); }

bool store_readonly(const Store *s) { return s->readonly; }

static TpStatus too_new(Store *s, int v, TpError *err) {
    return tp_error_set(err, TP_EDB,
                        "%s: schema version %d is newer than this tunepilot supports (%d); "
                        "upgrade tunepilot",
                        s->path, v, N_MIGRATIONS);
}

/* Each migration runs in a BEGIN IMMEDIATE transaction that first reads the
 * version again: another process that opened the same new database at the
 * same moment may have applied it meanwhile (the version read outside the
 * transaction is only a shortcut for the usual case, nothing to do). */
static TpStatus migrate(Store *s, int target, TpError *err) {
    int v = read_version(s);
    if (v < 0)
        return store_fail(s, err, "cannot read the schema version");
    if (v > N_MIGRATIONS)
        return too_new(s, v, err);
    if (v >= target)
        return TP_OK;
    if (s->readonly)
        return tp_error_set(err, TP_EDB,
                            "%s: the database is read-only and at schema version %d; this "
                            "tunepilot needs version %d (make it writable once to upgrade it)",
                            s->path, v, target);
    while (v < target) {
        TpStatus st = exec(s, "BEGIN IMMEDIATE;", err);
        if (st != TP_OK) {
            tp_error_prefix(err, "migration to schema version %d failed", v + 1);
            return st;
        }
        v = read_version(s);
        if (v < 0 || v > N_MIGRATIONS || v >= target) {
            sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
            if (v < 0)
                return store_fail(s, err, "cannot read the schema version");
            return v > N_MIGRATIONS ? too_new(s, v, err) : TP_OK;
        }
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
        st = exec(s, MIGRATIONS[v], err);
        if (st == TP_OK)
            st = exec(s, bump, err);
        if (st == TP_OK)
            st = exec(s, "COMMIT;", err);
        if (st != TP_OK) {
            sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
            tp_error_prefix(err, "migration to schema version %d failed", v + 1);
            return st;
        }
        v++;
    }
    return TP_OK;
}

/* A database that exists but cannot be written by this user (the file, or
 * the folder where SQLite keeps its -wal and -shm files). */
static bool readonly_file(const char *path) {
    if (access(path, F_OK) != 0)
        return false;
    if (access(path, W_OK) != 0)
        return true;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return access(dir, W_OK) != 0 && errno == EACCES;
}

static TpStatus open_once(const char *path, int version, Store **out, bool *busy,
                          TpError *err) {
    *out = NULL;
    if (version < 0 || version > N_MIGRATIONS)
        return tp_error_set(err, TP_EINVAL, "no schema version %d", version);
    TpStatus st = strcmp(path, ":memory:") == 0 ? TP_OK : tp_mkdirs_for_file(path, err);
    if (st != TP_OK)
        return st;
    Store *s = tp_xcalloc(1, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->readonly = strcmp(path, ":memory:") != 0 && readonly_file(path);
    int flags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        st = tp_error_set(err, TP_EDB, "%s: cannot open database: %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return st;
    }
    if (s->readonly && read_version(s) < 0) {
        /* A WAL database in a folder this user cannot write: SQLite cannot
         * create the -shm file it reads through. With no -wal file left
         * (every writer closed cleanly), the file alone is the whole
         * database and can be read as immutable. */
        char wal[4200], uri[8400];
        snprintf(wal, sizeof wal, "%s-wal", path);
        size_t k = (size_t)snprintf(uri, sizeof uri, "file:");
        for (const char *p = path; *p && k + 4 < sizeof uri; p++)
            k += (size_t)(strchr("?#%", *p) ? snprintf(uri + k, sizeof uri - k, "%%%02X",
                                                       (unsigned char)*p)
                                             : snprintf(uri + k, sizeof uri - k, "%c", *p));
        snprintf(uri + k, sizeof uri - k, "?immutable=1");
        if (access(wal, F_OK) != 0) {
            sqlite3_close(s->db);
            s->db = NULL;
            if (sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
                SQLITE_OK) {
                st = tp_error_set(err, TP_EDB, "%s: cannot open database: %s", path,
                                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
                store_close(s);
                return st;
            }
        }
    }
    sqlite3_busy_timeout(s->db, 5000);
    st = exec(s, "PRAGMA foreign_keys = ON;", err);
    if (st == TP_OK && strcmp(path, ":memory:") != 0 && !s->readonly) {
        /* journal_mode returns a row; sqlite3_exec ignores it. A file that is
         * not a database fails here with "file is not a database". */
        st = exec(s, "PRAGMA journal_mode = WAL;", err);
    }
    if (st == TP_OK)
        st = migrate(s, version, err);
    if (st != TP_OK) {
        int code = sqlite3_errcode(s->db) & 0xff;
        if (busy)
            *busy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
        store_close(s);
        return st;
    }
    *out = s;
    return TP_OK;
}

TpStatus store_open_at_version(const char *path, int version, Store **out, TpError *err) {
    /* Several processes opening one new database queue on its write lock
     * for the migrations; on a loaded machine one can wait past the busy
     * timeout. It tries again, for up to about 30 s in all. */
    for (int attempt = 0;; attempt++) {
        bool busy = false;
        TpStatus st = open_once(path, version, out, &busy, err);
        if (st == TP_OK || !busy || attempt >= 5)
            return st;
        struct timespec ts = {0, 100 * 1000 * 1000 * (attempt + 1)};
        nanosleep(&ts, NULL);
    }
}

TpStatus store_open(const char *path, Store **out, TpError *err) {
    return store_open_at_version(path, N_MIGRATIONS, out, err);
}

sqlite3_stmt *store_stmt_get(Store *s, const char *sql) {
    int i = 0;
    for (; i < STORE_CACHED_STMTS && s->cache[i].sql; i++)
        if (s->cache[i].sql == sql)
            return s->cache[i].st;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->db, sql, -1, i < STORE_CACHED_STMTS ? SQLITE_PREPARE_PERSISTENT : 0,
                           &st, NULL) != SQLITE_OK)
        return NULL;
    if (i < STORE_CACHED_STMTS) {
        s->cache[i].sql = sql;
        s->cache[i].st = st;
    }
    return st;
}

void store_stmt_put(Store *s, sqlite3_stmt *st) {
    for (int i = 0; i < STORE_CACHED_STMTS && s->cache[i].sql; i++)
        if (s->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

void store_close(Store *s) {
    if (!s)
        return;
    for (int i = 0; i < STORE_CACHED_STMTS && s->cache[i].sql; i++)
        sqlite3_finalize(s->cache[i].st);
    if (s->db)
        sqlite3_close(s->db);
    free(s);
}

static void copy_col(char *dst, size_t size, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static char *dup_col(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    return tp_xstrdup(t ? (const char *)t : "");
}

/* --- scenarios ------------------------------------------------------------- */

TpStatus store_scenario_save(Store *s, const char *name, const char *json, int64_t *id,
                             TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM scenarios WHERE name = ?1 AND doc = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot look up scenario");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
    int64_t found = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        found = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    const char *sql = found ? "UPDATE scenarios SET updated_at = "
                              "strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1"
                            : "INSERT INTO scenarios(name, doc) VALUES (?2, ?3)";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot save scenario");
    if (found) {
        sqlite3_bind_int64(st, 1, found);
    } else {
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot save scenario");
    *id = found ? found : sqlite3_last_insert_rowid(s->db);
    return TP_OK;
}

static const char *SCENARIO_COLS =
    "SELECT s.id, s.name, s.created_at, s.updated_at,"
    " (SELECT count(*) FROM projections p WHERE p.scenario_id = s.id) FROM scenarios s";

static void scenario_row(sqlite3_stmt *st, StoreScenarioInfo *info) {
    info->id = sqlite3_column_int64(st, 0);
    copy_col(info->name, sizeof info->name, st, 1);
    copy_col(info->created_at, sizeof info->created_at, st, 2);
    copy_col(info->updated_at, sizeof info->updated_at, st, 3);
    info->n_projections = sqlite3_column_int(st, 4);
}

TpStatus store_scenario_list(Store *s, StoreScenarioInfo **out, int *n, TpError *err) {
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY s.updated_at DESC, s.id DESC", SCENARIO_COLS);
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot list scenarios");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = tp_xrealloc(*out, (size_t)cap * sizeof **out);
        }
        scenario_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list scenarios");
    }
    return TP_OK;
}

TpStatus store_scenario_get(Store *s, int64_t id, StoreScenarioInfo *info, char **json,
                            TpError *err) {
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE s.id = ?1", SCENARIO_COLS);
    sqlite3_stmt *st, *doc;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read scenario");
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return tp_error_set(err, TP_ENOTFOUND, "no scenario with id %lld (see: tunepilot "
                            "scenarios list)", (long long)id);
    }
    if (info)
        scenario_row(st, info);
    sqlite3_finalize(st);
    if (json) {
        if (sqlite3_prepare_v2(s->db, "SELECT doc FROM scenarios WHERE id = ?1", -1, &doc, NULL) !=
            SQLITE_OK)
            return store_fail(s, err, "cannot read scenario");
        sqlite3_bind_int64(doc, 1, id);
        *json = sqlite3_step(doc) == SQLITE_ROW ? dup_col(doc, 0) : tp_xstrdup("{}");
        sqlite3_finalize(doc);
    }
    return TP_OK;
}

TpStatus store_projection_save(Store *s, int64_t scenario_id, int64_t snapshot_id, uint64_t seed,
                               const char *json, int64_t *id, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO projections(scenario_id, snapshot_id, seed, result) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot save projection");
    sqlite3_bind_int64(st, 1, scenario_id);
    sqlite3_bind_int64(st, 2, snapshot_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seed);
    sqlite3_bind_text(st, 4, json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, err, "cannot save projection");
    if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    return TP_OK;
}

TpStatus store_projection_latest(Store *s, int64_t scenario_id, StoreProjectionInfo *info,
                                 char **json, TpError *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, scenario_id, snapshot_id, seed, created_at, result "
                           "FROM projections WHERE scenario_id = ?1 ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read projection");
    sqlite3_bind_int64(st, 1, scenario_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return tp_error_set(err, TP_ENOTFOUND, "scenario %lld has no saved projection",
                            (long long)scenario_id);
    }
    if (info) {
        info->id = sqlite3_column_int64(st, 0);
        info->scenario_id = sqlite3_column_int64(st, 1);
        info->snapshot_id = sqlite3_column_int64(st, 2);
        info->seed = (uint64_t)sqlite3_column_int64(st, 3);
        copy_col(info->created_at, sizeof info->created_at, st, 4);
    }
    if (json)
        *json = dup_col(st, 5);
    sqlite3_finalize(st);
    return TP_OK;
}

/* --- pricing snapshots ------------------------------------------------------ */

TpStatus store_snapshot_insert(Store *s, const char *label, const char *source, const char *as_of,
                               int n, const char *const *ids, const char *const *jsons,
                               int64_t *id, TpError *err) {
    TpStatus st = exec(s, "BEGIN IMMEDIATE;", err);
    if (st != TP_OK)
        return st;
    sqlite3_stmt *ins = NULL, *row = NULL;
    int64_t snap = 0;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO pricing_snapshots(label, source, as_of) VALUES (?1,?2,?3)",
                           -1, &ins, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(ins, 1, label, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, as_of, -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE)
        goto fail;
    snap = sqlite3_last_insert_rowid(s->db);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO pricing_snapshot_models(snapshot_id, model_id, doc) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &row, NULL) != SQLITE_OK)
        goto fail;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(row);
        sqlite3_bind_int64(row, 1, snap);
        sqlite3_bind_text(row, 2, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(row, 3, jsons[i], -1, SQLITE_STATIC);
        if (sqlite3_step(row) != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(row);
    st = exec(s, "COMMIT;", err);
    if (st != TP_OK) {
        sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
        return st;
    }
    if (id)
        *id = snap;
    return TP_OK;
fail:
    st = store_fail(s, err, "cannot store pricing snapshot");
    sqlite3_finalize(ins);
    sqlite3_finalize(row);
    sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
    return st;
}

static const char *SNAPSHOT_COLS =
    "SELECT p.id, p.created_at, p.label, p.source, p.as_of,"
    " (SELECT count(*) FROM pricing_snapshot_models m WHERE m.snapshot_id = p.id)"
    " FROM pricing_snapshots p";

static void snapshot_row(sqlite3_stmt *st, StoreSnapshotInfo *info) {
    info->id = sqlite3_column_int64(st, 0);
    copy_col(info->created_at, sizeof info->created_at, st, 1);
    copy_col(info->label, sizeof info->label, st, 2);
    copy_col(info->source, sizeof info->source, st, 3);
    copy_col(info->as_of, sizeof info->as_of, st, 4);
    info->n_models = sqlite3_column_int(st, 5);
}

TpStatus store_snapshot_list(Store *s, StoreSnapshotInfo **out, int *n, TpError *err) {
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY p.id", SNAPSHOT_COLS);
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot list pricing snapshots");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = tp_xrealloc(*out, (size_t)cap * sizeof **out);
        }
        snapshot_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "cannot list pricing snapshots");
    }
    return TP_OK;
}

TpStatus store_snapshot_models(Store *s, int64_t id, StoreSnapshotInfo *info, char ***jsons,
                               int *n, TpError *err) {
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE p.id = ?1", SNAPSHOT_COLS);
    sqlite3_stmt *st;
    *jsons = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read pricing snapshot");
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return tp_error_set(err, TP_ENOTFOUND,
                            "no pricing snapshot %lld (0 is the bundled tables; see: tunepilot "
                            "pricing snapshots)",
                            (long long)id);
    }
    StoreSnapshotInfo tmp;
    snapshot_row(st, info ? info : &tmp);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT doc FROM pricing_snapshot_models WHERE snapshot_id = ?1 "
                           "ORDER BY model_id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "cannot read pricing snapshot");
    sqlite3_bind_int64(st, 1, id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *jsons = tp_xrealloc(*jsons, (size_t)cap * sizeof **jsons);
        }
        (*jsons)[(*n)++] = dup_col(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++)
            free((*jsons)[i]);
        free(*jsons);
        *jsons = NULL;
        *n = 0;
        return store_fail(s, err, "cannot read pricing snapshot");
    }
    return TP_OK;
}
