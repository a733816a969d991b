/* Fault injection into the database, as SQLite's own test suite does it: a
 * VFS ("faulty") wraps the default one and fails the Nth write, fsync or
 * lock of any file of the database (main file, WAL, shared memory lock).
 * It is registered as the default VFS, so the store opens through it with
 * no change to the store's code.
 *
 * For each kind of fault and every N from 1 until a run no longer reaches
 * the Nth call, a fresh database goes through a real sequence of the
 * store's operations (create and migrate, save a scenario, insert a
 * three-model pricing snapshot in one transaction, create a run, record
 * five metrics). Checked after each:
 *   - the fault was hit, and an operation failed with TP_EDB and a message
 *     naming the database file (or, for a fault SQLite absorbs, every
 *     operation succeeded and said so);
 *   - reopened without faults, PRAGMA integrity_check answers "ok";
 *   - no partial rows: the snapshot has all three models or does not
 *     exist; a saved scenario holds the whole document; the schema is
 *     either absent or at the latest version;
 *   - the database opens again and takes the whole sequence.
 * SQLite's contract (https://www.sqlite.org/atomiccommit.html, "Hot
 * Rollback"; https://www.sqlite.org/vfs.html) is that a failed write or
 * sync leaves the last committed state, which is what these assertions
 * see through the store. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tp_test.h"
#include "tunepilot/store.h"

/* --- the faulty VFS -------------------------------------------------------- */

typedef enum { FAULT_WRITE, FAULT_SYNC, FAULT_LOCK, N_FAULT_KINDS } FaultKind;
static const char *const FAULT_NAMES[N_FAULT_KINDS] = {"write", "sync", "lock"};

static struct {
    FaultKind kind;
    long fail_at; /* 0: no fault */
    long count;   /* calls of that kind so far */
    long hits;    /* faults returned */
} F;

typedef struct FaultyFile {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same allocation */
} FaultyFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs faulty_vfs;

/* true when this call of `kind` is the one to fail (every call from the
 * Nth on fails for writes and syncs, as a disk that has gone bad does: a
 * single failed write that later calls paper over would test less) */
static bool fault(FaultKind kind) {
    if (F.fail_at <= 0 || F.kind != kind)
        return false;
    if (++F.count >= F.fail_at) {
        F.hits++;
        return true;
    }
    return false;
}

#define REAL(f) (((FaultyFile *)(f))->real)

static int f_close(sqlite3_file *f) {
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xRead(REAL(f), b, n, off);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off) {
    if (fault(FAULT_WRITE))
        return SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
    if (fault(FAULT_SYNC))
        return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int level) {
    if (fault(FAULT_LOCK))
        return SQLITE_IOERR_LOCK;
    return REAL(f)->pMethods->xLock(REAL(f), level);
}
static int f_unlock(sqlite3_file *f, int level) {
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}
static int f_check_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_file_control(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector_size(sqlite3_file *f) {
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_device(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
    /* WAL mode locks through shared memory: an exclusive shm lock is a lock */
    if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE) && fault(FAULT_LOCK))
        return SQLITE_IOERR_SHMLOCK;
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) {
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods faulty_io = {
    3,           f_close,    f_read,           f_write,        f_truncate,     f_sync,
    f_size,      f_lock,     f_unlock,         f_check_reserved, f_file_control, f_sector_size,
    f_device,    f_shm_map,  f_shm_lock,       f_shm_barrier,  f_shm_unmap,    f_fetch,
    f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
    FaultyFile *ff = (FaultyFile *)file;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->base.pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
    if (rc == SQLITE_OK && ff->real->pMethods)
        ff->base.pMethods = &faulty_io;
    else if (ff->real->pMethods) {
        ff->real->pMethods->xClose(ff->real);
    }
    return rc;
}

static void faulty_register(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_true(real_vfs->iVersion >= 2);
    faulty_vfs = *real_vfs;
    faulty_vfs.zName = "faulty";
    faulty_vfs.szOsFile = (int)sizeof(FaultyFile) + real_vfs->szOsFile;
    faulty_vfs.xOpen = f_open;
    faulty_vfs.pNext = NULL;
    assert_int_equal(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

/* --- the operations and the checks -------------------------------------------- */

static const char SCENARIO[] = "{\"name\": \"fault\", \"workload\": {\"requests_per_day\": 1000}}";

/* Runs the sequence; returns the number of operations that failed, with the
 * first failure's status and message in *first. */
static int sequence(const char *path, TpStatus *first_st, char *first_msg, size_t size) {
    int failed = 0;
    *first_st = TP_OK;
    first_msg[0] = '\0';
    TpError err = {0};
    Store *s = NULL;
#define STEP(call)                                                                             \
    do {                                                                                       \
        TpStatus st_ = (call);                                                                 \
        if (st_ != TP_OK) {                                                                    \
            if (!failed++) {                                                                   \
                *first_st = st_;                                                               \
                snprintf(first_msg, size, "%s", err.msg);                                      \
            }                                                                                  \
        }                                                                                      \
    } while (0)
    STEP(store_open(path, &s, &err));
    if (!s)
        return failed;
    int64_t id;
    STEP(store_scenario_save(s, "fault", SCENARIO, &id, &err));
    const char *ids[3] = {"m-a", "m-b", "m-c"};
    const char *docs[3] = {"{\"id\": \"m-a\"}", "{\"id\": \"m-b\"}", "{\"id\": \"m-c\"}"};
    STEP(store_snapshot_insert(s, "fault", "test", "2026-12-01", 3, ids, docs, &id, &err));
    StoreRun r = {0};
    snprintf(r.kind, sizeof r.kind, "local");
    snprintf(r.model, sizeof r.model, "/models/tiny");
    snprintf(r.data, sizeof r.data, "/data/x.jsonl");
    snprintf(r.method, sizeof r.method, "lora");
    r.config = "{}";
    r.total_steps = 5;
    int64_t run = 0;
    STEP(store_run_create(s, &r, &run, &err));
    for (int i = 1; run > 0 && i <= 5; i++) {
        StoreMetric m = {.step = i, .loss = 1.0 / i, .lr = 1e-3};
        STEP(store_run_metric(s, run, &m, &err));
    }
#undef STEP
    store_close(s);
    return failed;
}

static int count(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static bool has_table(sqlite3 *db, const char *name) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
             name);
    return count(db, sql) == 1;
}

static void remove_db(const char *path);

/* Every table, index and trigger's SQL, in name order (caller frees). */
static char *schema(sqlite3 *db) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT coalesce(group_concat(sql, ';'), '') FROM "
                                        "(SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                                        "ORDER BY name)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *s = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

/* Opens the file without faults and checks it (see the top comment). */
static void check_consistent(const char *path, const char *what) {
    long saved = F.fail_at;
    F.fail_at = 0;
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        fail_msg("%s: integrity_check: %s", what, sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    /* migrations are all-or-nothing: the schema at version v is exactly
     * the one a clean migration to v gives */
    int version = count(db, "PRAGMA user_version");
    char *have = schema(db);
    char ref_path[700];
    snprintf(ref_path, sizeof ref_path, "%s.ref", path);
    remove_db(ref_path);
    Store *ref;
    TpError err;
    if (store_open_at_version(ref_path, version, &ref, &err) != TP_OK)
        fail_msg("%s: reference schema %d: %s", what, version, err.msg);
    store_close(ref);
    sqlite3 *rdb;
    assert_int_equal(sqlite3_open_v2(ref_path, &rdb, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
    char *want = schema(rdb);
    sqlite3_close(rdb);
    remove_db(ref_path);
    if (strcmp(have, want) != 0)
        fail_msg("%s: schema at version %d differs from a clean migration", what, version);
    free(have);
    free(want);
    if (has_table(db, "pricing_snapshots")) {
        /* a snapshot has all three of its models or is absent */
        int snaps = count(db, "SELECT count(*) FROM pricing_snapshots");
        int models = count(db, "SELECT count(*) FROM pricing_snapshot_models");
        if (models != 3 * snaps)
            fail_msg("%s: %d snapshots but %d model rows", what, snaps, models);
    }
    if (has_table(db, "scenarios")) {
        int bad = count(db, "SELECT count(*) FROM scenarios WHERE doc IS NOT "
                            "'{\"name\": \"fault\", \"workload\": {\"requests_per_day\": 1000}}'");
        if (bad != 0)
            fail_msg("%s: %d scenario rows with a partial document", what, bad);
    }
    sqlite3_close(db);
    F.fail_at = saved;
}

static void remove_db(const char *path) {
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static void test_faults(void **state) {
    (void)state;
    faulty_register();
    char path[600];
    snprintf(path, sizeof path, "%s/faults.db", tp_tmpdir());
    for (int k = 0; k < N_FAULT_KINDS; k++) {
        int tried = 0, errors = 0;
        for (long n = 1;; n++) {
            remove_db(path);
            F.kind = (FaultKind)k;
            F.fail_at = n;
            F.count = F.hits = 0;
            TpStatus first;
            char msg[512];
            int failed = sequence(path, &first, msg, sizeof msg);
            long hits = F.hits;
            F.fail_at = 0;
            char what[64];
            snprintf(what, sizeof what, "%s fault at call %ld", FAULT_NAMES[k], n);
            if (hits == 0) {
                /* the sequence made fewer than n such calls: done */
                assert_int_equal(failed, 0);
                break;
            }
            tried++;
            if (failed) {
                errors++;
                if (first != TP_EDB || !strstr(msg, path))
                    fail_msg("%s: status %d, message \"%s\" (expected TP_EDB naming %s)", what,
                             first, msg, path);
            }
            if (access(path, F_OK) == 0)
                check_consistent(path, what);
            /* and the database takes the whole sequence again */
            TpStatus st2;
            char msg2[512];
            if (sequence(path, &st2, msg2, sizeof msg2) != 0)
                fail_msg("%s: after the fault: %s", what, msg2);
            check_consistent(path, what);
            assert_true(n < 5000);
        }
        printf("%s faults: %d positions injected, %d gave an error, database consistent after "
               "each\n",
               FAULT_NAMES[k], tried, errors);
        assert_true(tried > 0);
        assert_true(errors > 0);
    }
    remove_db(path);
    sqlite3_vfs_unregister(&faulty_vfs);
}

static int teardown(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
