/* test_store.c - the SQLite store: open/WAL/foreign keys, migrations from
 * every earlier schema, refusal of newer or non-database files, scenario and
 * projection round trips, and atomic pricing snapshots. */
#include "tp_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tunepilot/fileio.h"
#include "tunepilot/store.h"

/* A fresh database path under tp_tmpdir() for each call. */
static const char *db_path(const char *tag) {
    static char buf[512];
    static int counter;
    snprintf(buf, sizeof buf, "%s/%s-%d/tunepilot.db", tp_tmpdir(), tag, counter++);
    return buf;
}

/* First column of the first row of sql, as text (static buffer). */
static const char *query_text(Store *s, const char *sql) {
    static char out[256];
    sqlite3_stmt *st;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, sizeof out, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
    return out;
}

static long long query_int(Store *s, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void exec_ok(Store *s, const char *sql) {
    char *msg = NULL;
    int rc = sqlite3_exec(store_db(s), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        print_error("SQL failed: %s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

/* --- open ------------------------------------------------------------------ */

static void test_open_creates_dirs_wal_fk_version(void **state) {
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/open/a/b/c", tp_tmpdir());
    snprintf(path, sizeof path, "%s/tp.db", dir);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0); /* does not exist yet */

    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    assert_non_null(s);
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));

    assert_string_equal(query_text(s, "PRAGMA journal_mode"), "wal");
    assert_int_equal(query_int(s, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(s, "PRAGMA user_version"), store_latest_version());
    assert_int_equal(store_version(s), store_latest_version());
    /* The schema has two migrations today (scenarios; pricing snapshots). */
    assert_true(store_latest_version() >= 2);
    store_close(s);

    /* Reopening an up-to-date database keeps the version. */
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    assert_int_equal(store_version(s), store_latest_version());
    store_close(s);
    store_close(NULL); /* documented as fine */
}

static void test_open_at_version_out_of_range(void **state) {
    (void)state;
    Store *s = (Store *)0x1;
    TpError err = {0};
    assert_int_equal(store_open_at_version(db_path("range"), store_latest_version() + 1, &s, &err),
                     TP_EINVAL);
    assert_null(s);
    assert_int_equal(store_open_at_version(db_path("range"), -1, &s, &err), TP_EINVAL);
    assert_null(s);
}

/* --- migrations --------------------------------------------------------------- */

static void test_upgrade_from_every_version(void **state) {
    (void)state;
    int latest = store_latest_version();
    for (int v = 0; v < latest; v++) {
        const char *p = db_path("upgrade");
        char path[512];
        snprintf(path, sizeof path, "%s", p);
        Store *s = NULL;
        TpError err = {0};
        assert_int_equal(store_open_at_version(path, v, &s, &err), TP_OK);
        assert_int_equal(store_version(s), v);

        /* Rows valid at schema v, written with raw SQL as an old tunepilot would. */
        if (v >= 1) {
            exec_ok(s, "INSERT INTO scenarios(id, name, doc, created_at, updated_at) VALUES "
                       "(7, 'old-scenario', '{\"old\":true}', '2025-01-02T03:04:05Z', "
                       "'2025-01-02T03:04:05Z')");
            exec_ok(s, "INSERT INTO projections(id, scenario_id, seed, result, created_at) VALUES "
                       "(11, 7, 42, '{\"total\":1}', '2025-01-02T03:04:06Z')");
        }
        if (v >= 2) {
            exec_ok(s, "INSERT INTO pricing_snapshots(id, label, source, as_of) VALUES "
                       "(3, 'old-snap', 'old.json', '2025-02-03')");
            exec_ok(s, "INSERT INTO pricing_snapshot_models(snapshot_id, model_id, doc) VALUES "
                       "(3, 'm-old', '{\"id\":\"m-old\"}')");
        }
        store_close(s);

        assert_int_equal(store_open(path, &s, &err), TP_OK);
        assert_int_equal(store_version(s), latest);
        assert_int_equal(query_int(s, "PRAGMA user_version"), latest);

        StoreScenarioInfo *list = NULL;
        int n = -1;
        assert_int_equal(store_scenario_list(s, &list, &n, &err), TP_OK);
        if (v >= 1) {
            assert_int_equal(n, 1);
            assert_int_equal(list[0].id, 7);
            assert_string_equal(list[0].name, "old-scenario");
            assert_string_equal(list[0].created_at, "2025-01-02T03:04:05Z");
            assert_int_equal(list[0].n_projections, 1);

            StoreScenarioInfo info;
            char *json = NULL;
            assert_int_equal(store_scenario_get(s, 7, &info, &json, &err), TP_OK);
            assert_string_equal(info.name, "old-scenario");
            assert_string_equal(json, "{\"old\":true}");
            free(json);

            StoreProjectionInfo pi;
            char *res = NULL;
            assert_int_equal(store_projection_latest(s, 7, &pi, &res, &err), TP_OK);
            assert_int_equal(pi.id, 11);
            assert_int_equal(pi.scenario_id, 7);
            assert_int_equal(pi.seed, 42);
            /* Rows written before migration 2 get the column default. */
            if (v < 2)
                assert_int_equal(pi.snapshot_id, 0);
            assert_string_equal(pi.created_at, "2025-01-02T03:04:06Z");
            assert_string_equal(res, "{\"total\":1}");
            free(res);
        } else {
            assert_int_equal(n, 0);
        }
        free(list);

        StoreSnapshotInfo *snaps = NULL;
        int ns = -1;
        assert_int_equal(store_snapshot_list(s, &snaps, &ns, &err), TP_OK);
        if (v >= 2) {
            assert_int_equal(ns, 1);
            assert_int_equal(snaps[0].id, 3);
            assert_string_equal(snaps[0].label, "old-snap");
            assert_string_equal(snaps[0].as_of, "2025-02-03");
            assert_int_equal(snaps[0].n_models, 1);
            char **docs = NULL;
            int nd = 0;
            assert_int_equal(store_snapshot_models(s, 3, NULL, &docs, &nd, &err), TP_OK);
            assert_int_equal(nd, 1);
            assert_string_equal(docs[0], "{\"id\":\"m-old\"}");
            free(docs[0]);
            free(docs);
        } else {
            assert_int_equal(ns, 0);
        }
        free(snaps);

        /* New features work on the upgraded database. */
        const char *ids[] = {"a", "b"};
        const char *docs[] = {"{\"id\":\"a\"}", "{\"id\":\"b\"}"};
        int64_t snap = 0;
        assert_int_equal(
            store_snapshot_insert(s, "new", "new.json", "2026-01-01", 2, ids, docs, &snap, &err),
            TP_OK);
        assert_true(snap > 0);
        StoreSnapshotInfo si;
        char **got = NULL;
        int ng = 0;
        assert_int_equal(store_snapshot_models(s, snap, &si, &got, &ng, &err), TP_OK);
        assert_int_equal(ng, 2);
        assert_int_equal(si.n_models, 2);
        assert_string_equal(si.label, "new");
        for (int i = 0; i < ng; i++)
            free(got[i]);
        free(got);

        if (v >= 1) {
            int64_t pid = 0;
            assert_int_equal(store_projection_save(s, 7, snap, 9, "{\"p\":2}", &pid, &err), TP_OK);
            StoreProjectionInfo pi;
            assert_int_equal(store_projection_latest(s, 7, &pi, NULL, &err), TP_OK);
            assert_int_equal(pi.id, pid);
            assert_int_equal(pi.snapshot_id, snap);
        }
        store_close(s);
    }
}

static void test_newer_schema_refused(void **state) {
    (void)state;
    const char *p = db_path("newer");
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_latest_version() + 1);
    exec_ok(s, sql);
    store_close(s);

    s = (Store *)0x1;
    tp_error_clear(&err);
    assert_int_equal(store_open(path, &s, &err), TP_EDB);
    assert_null(s);
    assert_int_equal(err.code, TP_EDB);
    assert_non_null(strstr(err.msg, "newer"));
    assert_non_null(strstr(err.msg, path));
}

static void test_not_a_database_refused(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/garbage.db", tp_tmpdir());
    /* 8 KiB of non-SQLite bytes (the header is not "SQLite format 3\0"). */
    size_t len = 8192;
    unsigned char *bytes = malloc(len);
    for (size_t i = 0; i < len; i++)
        bytes[i] = (unsigned char)((i * 131u + 7u) & 0xff);
    memcpy(bytes, "this is not a database", 22);
    TpError err = {0};
    assert_int_equal(tp_file_write_atomic(path, bytes, len, &err), TP_OK);

    Store *s = (Store *)0x1;
    TpStatus st = store_open(path, &s, &err);
    assert_int_not_equal(st, TP_OK);
    assert_int_equal(st, TP_EDB);
    assert_null(s);
    assert_non_null(strstr(err.msg, path));

    char *after = NULL;
    size_t after_len = 0;
    assert_int_equal(tp_file_read(path, 1 << 20, &after, &after_len, &err), TP_OK);
    assert_int_equal(after_len, len);
    assert_memory_equal(after, bytes, len);
    free(after);
    free(bytes);
}

/* Concurrent first use: 8 processes open one new database at the same
 * moment (released together through a pipe). Before the version was read
 * inside BEGIN IMMEDIATE, most such races failed with "table scenarios
 * already exists". Each must open it at the latest version. */
static void test_concurrent_first_use(void **state) {
    (void)state;
    for (int round = 0; round < 3; round++) {
        const char *path = db_path("race");
        char dir[512];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir(dir, 0700), 0);
        int gate[2];
        assert_int_equal(pipe(gate), 0);
        pid_t kids[8];
        for (int i = 0; i < 8; i++) {
            kids[i] = fork();
            assert_true(kids[i] >= 0);
            if (kids[i] == 0) {
                close(gate[1]);
                char c;
                (void)!read(gate[0], &c, 1); /* returns when the parent closes the pipe */
                Store *s = NULL;
                TpError err = {0};
                TpStatus st = store_open(path, &s, &err);
                int ok = st == TP_OK && store_version(s) == store_latest_version();
                if (!ok)
                    fprintf(stderr, "child %d: %s\n", i, err.msg);
                store_close(s);
                _exit(ok ? 0 : 1);
            }
        }
        close(gate[0]);
        close(gate[1]);
        int failed = 0;
        for (int i = 0; i < 8; i++) {
            int status = 0;
            assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
            failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        assert_int_equal(failed, 0);
    }
}

/* A database this user cannot write (the file 0444 in a 0555 folder) is
 * opened read-only: it reads, and a write fails saying why. Run as an
 * unprivileged user (root writes anyway): the check runs in a child that
 * drops to uid 65534 when the test runs as root. */
static void test_readonly_database_reads(void **state) {
    (void)state;
    const char *path = db_path("ro");
    char p[512], dir[512];
    snprintf(p, sizeof p, "%s", path);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    Store *s = NULL;
    TpError err = {0};
    int64_t id;
    assert_int_equal(store_open(p, &s, &err), TP_OK);
    assert_int_equal(store_scenario_save(s, "kept", "{\"a\": 1}", &id, &err), TP_OK);
    store_close(s);
    assert_int_equal(chmod(p, 0444), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    chmod(tp_tmpdir(), 0755);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        Store *r = NULL;
        TpError e = {0};
        if (store_open(p, &r, &e) != TP_OK) {
            fprintf(stderr, "read-only open: %s\n", e.msg);
            _exit(1);
        }
        StoreScenarioInfo *list = NULL;
        int n = 0, bad = 0;
        bad |= !store_readonly(r);
        bad |= store_scenario_list(r, &list, &n, &e) != TP_OK || n != 1 ||
               strcmp(list[0].name, "kept") != 0;
        free(list);
        int64_t id2;
        bad |= store_scenario_save(r, "new", "{}", &id2, &e) == TP_OK ||
               !strstr(e.msg, "readonly");
        store_close(r);
        _exit(bad ? 2 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    chmod(dir, 0700);
    chmod(p, 0600);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- scenarios and projections ------------------------------------------------ */

static void test_scenario_round_trip(void **state) {
    (void)state;
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(db_path("scen"), &s, &err), TP_OK);

    StoreScenarioInfo *list = NULL;
    int n = -1;
    assert_int_equal(store_scenario_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, 0);
    free(list);

    const char *doc_a = "{\"name\":\"support bot\",\"requests_per_day\":1000}";
    const char *doc_b = "{\"name\":\"support bot\",\"requests_per_day\":2000}";
    int64_t id1 = 0, id2 = 0, id3 = 0, id4 = 0;
    assert_int_equal(store_scenario_save(s, "support", doc_a, &id1, &err), TP_OK);
    assert_true(id1 > 0);
    /* Same name and doc: reused. */
    assert_int_equal(store_scenario_save(s, "support", doc_a, &id2, &err), TP_OK);
    assert_int_equal(id2, id1);
    /* Different doc: a new scenario. */
    assert_int_equal(store_scenario_save(s, "support", doc_b, &id3, &err), TP_OK);
    assert_int_not_equal(id3, id1);
    /* Same doc, different name: also new. */
    assert_int_equal(store_scenario_save(s, "other", doc_a, &id4, &err), TP_OK);
    assert_int_not_equal(id4, id1);
    assert_int_not_equal(id4, id3);

    assert_int_equal(store_scenario_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, 3);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (list[i].id == id1 || list[i].id == id3)
            assert_string_equal(list[i].name, "support");
        else if (list[i].id == id4)
            assert_string_equal(list[i].name, "other");
        else
            fail_msg("unexpected scenario id %lld", (long long)list[i].id);
        seen++;
        assert_int_equal(strlen(list[i].created_at), 20); /* YYYY-MM-DDTHH:MM:SSZ */
        assert_int_equal(list[i].n_projections, 0);
    }
    assert_int_equal(seen, 3);
    free(list);

    StoreScenarioInfo info;
    char *json = NULL;
    assert_int_equal(store_scenario_get(s, id3, &info, &json, &err), TP_OK);
    assert_int_equal(info.id, id3);
    assert_string_equal(info.name, "support");
    assert_string_equal(json, doc_b);
    free(json);
    /* json may be NULL to skip it. */
    assert_int_equal(store_scenario_get(s, id1, &info, NULL, &err), TP_OK);
    assert_string_equal(info.name, "support");

    json = NULL;
    assert_int_equal(store_scenario_get(s, 999999, &info, &json, &err), TP_ENOTFOUND);
    assert_null(json);
    assert_non_null(strstr(err.msg, "999999"));
    store_close(s);
}

static void test_projection_latest_and_cascade(void **state) {
    (void)state;
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(db_path("proj"), &s, &err), TP_OK);
    int64_t sid = 0, other = 0;
    assert_int_equal(store_scenario_save(s, "s", "{}", &sid, &err), TP_OK);
    assert_int_equal(store_scenario_save(s, "t", "{}", &other, &err), TP_OK);

    assert_int_equal(store_projection_latest(s, sid, NULL, NULL, &err), TP_ENOTFOUND);

    int64_t p1 = 0, p2 = 0, p3 = 0;
    assert_int_equal(store_projection_save(s, sid, 0, 1, "{\"run\":1}", &p1, &err), TP_OK);
    /* The largest uint64 seed survives the signed SQLite column. */
    assert_int_equal(store_projection_save(s, sid, 0, UINT64_MAX, "{\"run\":2}", &p2, &err),
                     TP_OK);
    assert_int_equal(store_projection_save(s, other, 0, 5, "{\"run\":3}", &p3, &err), TP_OK);
    assert_true(p2 > p1);

    StoreProjectionInfo pi;
    char *json = NULL;
    assert_int_equal(store_projection_latest(s, sid, &pi, &json, &err), TP_OK);
    assert_int_equal(pi.id, p2);
    assert_int_equal(pi.scenario_id, sid);
    assert_int_equal(pi.snapshot_id, 0);
    assert_true(pi.seed == UINT64_MAX);
    assert_string_equal(json, "{\"run\":2}");
    free(json);

    StoreScenarioInfo info;
    assert_int_equal(store_scenario_get(s, sid, &info, NULL, &err), TP_OK);
    assert_int_equal(info.n_projections, 2);

    /* A projection of a scenario that does not exist violates the foreign key. */
    assert_int_equal(store_projection_save(s, 424242, 0, 1, "{}", NULL, &err), TP_EDB);

    /* Deleting the scenario removes its projections (ON DELETE CASCADE). */
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM scenarios WHERE id = %lld", (long long)sid);
    exec_ok(s, sql);
    assert_int_equal(store_projection_latest(s, sid, NULL, NULL, &err), TP_ENOTFOUND);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM projections WHERE scenario_id = %lld",
             (long long)sid);
    assert_int_equal(query_int(s, sql), 0);
    /* The other scenario's projection is untouched. */
    assert_int_equal(store_projection_latest(s, other, &pi, NULL, &err), TP_OK);
    assert_int_equal(pi.id, p3);
    assert_int_equal(query_int(s, "SELECT count(*) FROM projections"), 1);
    store_close(s);
}

/* --- pricing snapshots ----------------------------------------------------------- */

static void test_snapshot_insert_and_read(void **state) {
    (void)state;
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(db_path("snap"), &s, &err), TP_OK);
    const char *ids[] = {"zeta", "alpha", "mid"};
    const char *docs[] = {"{\"id\":\"zeta\"}", "{\"id\":\"alpha\"}", "{\"id\":\"mid\"}"};
    int64_t id = 0;
    assert_int_equal(
        store_snapshot_insert(s, "lbl", "prices.json", "2026-03-04", 3, ids, docs, &id, &err),
        TP_OK);
    assert_true(id > 0);

    StoreSnapshotInfo info;
    char **got = NULL;
    int n = 0;
    assert_int_equal(store_snapshot_models(s, id, &info, &got, &n, &err), TP_OK);
    assert_int_equal(info.id, id);
    assert_string_equal(info.label, "lbl");
    assert_string_equal(info.source, "prices.json");
    assert_string_equal(info.as_of, "2026-03-04");
    assert_int_equal(info.n_models, 3);
    assert_int_equal(n, 3);
    /* In model id order: alpha, mid, zeta. */
    assert_string_equal(got[0], "{\"id\":\"alpha\"}");
    assert_string_equal(got[1], "{\"id\":\"mid\"}");
    assert_string_equal(got[2], "{\"id\":\"zeta\"}");
    for (int i = 0; i < n; i++)
        free(got[i]);
    free(got);

    got = (char **)0x1;
    assert_int_equal(store_snapshot_models(s, id + 100, &info, &got, &n, &err), TP_ENOTFOUND);
    assert_null(got);
    assert_int_equal(n, 0);
    store_close(s);
}

static void test_snapshot_insert_is_atomic(void **state) {
    (void)state;
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(db_path("atomic"), &s, &err), TP_OK);
    const char *ids1[] = {"one"};
    const char *docs1[] = {"{}"};
    int64_t first = 0;
    assert_int_equal(store_snapshot_insert(s, "first", "f", "2026-01-01", 1, ids1, docs1, &first,
                                           &err),
                     TP_OK);

    StoreSnapshotInfo *list = NULL;
    int n0 = 0;
    assert_int_equal(store_snapshot_list(s, &list, &n0, &err), TP_OK);
    assert_int_equal(n0, 1);
    free(list);

    /* The third entry repeats "b": PRIMARY KEY (snapshot_id, model_id) fails
     * after the snapshot row and two model rows were written. */
    const char *ids[] = {"a", "b", "b"};
    const char *docs[] = {"{\"id\":\"a\"}", "{\"id\":\"b\"}", "{\"id\":\"b2\"}"};
    int64_t id = -7;
    tp_error_clear(&err);
    assert_int_equal(store_snapshot_insert(s, "bad", "f", "2026-01-02", 3, ids, docs, &id, &err),
                     TP_EDB);
    assert_int_equal(err.code, TP_EDB);
    assert_int_equal(id, -7); /* not written on failure */

    int n = -1;
    assert_int_equal(store_snapshot_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, n0);
    assert_string_equal(list[0].label, "first");
    free(list);
    assert_int_equal(query_int(s, "SELECT count(*) FROM pricing_snapshots WHERE label = 'bad'"),
                     0);
    assert_int_equal(query_int(s, "SELECT count(*) FROM pricing_snapshot_models"), 1);

    /* The failed transaction was rolled back, so the store is still usable. */
    int64_t again = 0;
    assert_int_equal(store_snapshot_insert(s, "after", "f", "2026-01-03", 2, ids, docs, &again,
                                           &err),
                     TP_OK);
    assert_true(again > first);
    assert_int_equal(store_snapshot_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].n_models, 2);
    free(list);
    store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_creates_dirs_wal_fk_version),
        cmocka_unit_test(test_open_at_version_out_of_range),
        cmocka_unit_test(test_upgrade_from_every_version),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_not_a_database_refused),
        cmocka_unit_test(test_concurrent_first_use),
        cmocka_unit_test(test_readonly_database_reads),
        cmocka_unit_test(test_scenario_round_trip),
        cmocka_unit_test(test_projection_latest_and_cascade),
        cmocka_unit_test(test_snapshot_insert_and_read),
        cmocka_unit_test(test_snapshot_insert_is_atomic),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
