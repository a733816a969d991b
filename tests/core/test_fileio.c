/* test_fileio.c - the temp-file helper and what is built on it: writes that
 * never follow a planted link, copies of regular files only, a recursive
 * remove that never follows links, staged folders, the sweep of a killed
 * writer's temp files, and faults injected at every write, fsync and
 * rename (ENOSPC keeps the old file; a kill leaves the old or the new file
 * whole, and only temp files that the sweep removes). */
#include "tp_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tunepilot/fault.h"
#include "tunepilot/fileio.h"
#include "tunepilot/paths.h"

static const char *dir_for(const char *name) {
    static char buf[4][600];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 600, "%s/%s", tp_tmpdir(), name);
    assert_int_equal(tp_mkdirs(b, NULL), TP_OK);
    return b;
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *get(const char *path) {
    char *d = NULL;
    size_t n;
    TpError err = {0};
    if (tp_file_read(path, 1 << 20, &d, &n, &err) != TP_OK)
        fail_msg("%s", err.msg);
    return d;
}

static void expect_text(const char *path, const char *want) {
    char *d = get(path);
    assert_string_equal(d, want);
    free(d);
}

/* Entries of dir that are this helper's temp names. */
static int count_temps(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += tp_temp_name_pid(de->d_name, NULL);
    closedir(d);
    return n;
}

static void test_temp_names(void **state) {
    (void)state;
    long pid = 0;
    assert_true(tp_temp_name_pid("report.md.tmp.1234.7", &pid));
    assert_int_equal(pid, 1234);
    assert_true(tp_temp_name_pid("checkpoint.safetensors.tmp.99", &pid)); /* older writers */
    assert_int_equal(pid, 99);
    assert_true(tp_temp_name_pid("adapter.tmp.5.0", &pid));
    assert_false(tp_temp_name_pid("notes.tmp", NULL));
    assert_false(tp_temp_name_pid("a.tmp.12x", NULL));
    assert_false(tp_temp_name_pid(".tmp.12", NULL));
    assert_false(tp_temp_name_pid("a.tmp.1.2.3", NULL));
    assert_false(tp_temp_name_pid("model.safetensors", NULL));
}

/* Planted links under the names the writer would pick (this pid, the next
 * sequence numbers, and the older "<path>.tmp.<pid>" form): the write
 * succeeds, every link target is untouched, every link is still there. */
static void test_write_never_follows_planted_links(void **state) {
    (void)state;
    const char *d = dir_for("planted");
    char target[700], victim[700], link[800];
    snprintf(victim, sizeof victim, "%s/victim.txt", d);
    put(victim, "precious");
    snprintf(target, sizeof target, "%s/report.md", d);
    snprintf(link, sizeof link, "%s.tmp.%ld", target, (long)getpid());
    assert_int_equal(symlink(victim, link), 0);
    /* the helper counts up from some sequence number: plant a range */
    for (int i = 0; i < 64; i++) {
        snprintf(link, sizeof link, "%s.tmp.%ld.%d", target, (long)getpid(), i);
        assert_int_equal(symlink(victim, link), 0);
    }
    TpError err = {0};
    for (int k = 0; k < 3; k++)
        assert_int_equal(tp_file_write_atomic(target, "# report\n", 9, &err), TP_OK);
    expect_text(target, "# report\n");
    expect_text(victim, "precious");
    struct stat st;
    assert_int_equal(lstat(target, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(count_temps(d), 65); /* the planted links, nothing else */
}

static void test_copy_regular_only(void **state) {
    (void)state;
    const char *d = dir_for("copy");
    const char *outside = dir_for("copy-outside");
    char src[700], dst[700], secret[700], link[700], inner[700], fifo[700];
    TpError err = {0};
    snprintf(src, sizeof src, "%s/tokenizer.json", d);
    snprintf(dst, sizeof dst, "%s/out.json", d);
    put(src, "{\"model\": {}}");
    assert_int_equal(tp_file_copy(src, dst, NULL, &err), TP_OK);
    expect_text(dst, "{\"model\": {}}");

    /* a link to a file outside: refused with or without a root */
    snprintf(secret, sizeof secret, "%s/environ", outside);
    put(secret, "OPENAI_API_KEY=sk-test-secret");
    snprintf(link, sizeof link, "%s/special_tokens_map.json", d);
    assert_int_equal(symlink(secret, link), 0);
    snprintf(dst, sizeof dst, "%s/copied.json", d);
    assert_int_equal(tp_file_copy(link, dst, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_non_null(strstr(err.msg, "special_tokens_map.json"));
    assert_int_equal(tp_file_copy(link, dst, d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "outside"));
    assert_int_equal(access(dst, F_OK), -1);

    /* a link into the root (the Hugging Face cache's blobs): copied */
    snprintf(inner, sizeof inner, "%s/blob", d);
    put(inner, "blob contents");
    snprintf(link, sizeof link, "%s/tokenizer_config.json", d);
    assert_int_equal(symlink("blob", link), 0);
    assert_int_equal(tp_file_copy(link, dst, d, &err), TP_OK);
    expect_text(dst, "blob contents");

    /* /proc/self/environ through a link, and directly; a FIFO (does not
     * block); a device; a directory; a missing file */
    snprintf(link, sizeof link, "%s/env-link", d);
    assert_int_equal(symlink("/proc/self/environ", link), 0);
    assert_int_equal(tp_file_copy(link, dst, d, &err), TP_EINVAL);
    assert_int_equal(tp_file_copy("/proc/self/environ", dst, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "/proc"));
    snprintf(fifo, sizeof fifo, "%s/fifo", d);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(tp_file_copy(fifo, dst, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_int_equal(tp_file_copy("/dev/zero", dst, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "device"));
    assert_int_equal(tp_file_copy(outside, dst, NULL, &err), TP_EINVAL);
    snprintf(src, sizeof src, "%s/none.json", d);
    assert_int_equal(tp_file_copy(src, dst, NULL, &err), TP_ENOTFOUND);
    expect_text(dst, "blob contents"); /* the failures left it alone */
    assert_int_equal(count_temps(d), 0);
}

static void test_append_refuses_links_and_fifos(void **state) {
    (void)state;
    const char *d = dir_for("append");
    char victim[700], link[700], fifo[700], path[700];
    snprintf(victim, sizeof victim, "%s/victim", d);
    put(victim, "v");
    snprintf(link, sizeof link, "%s/metrics.jsonl", d);
    assert_int_equal(symlink(victim, link), 0);
    TpError err = {0};
    assert_null(tp_file_open_append(link, &err));
    assert_non_null(strstr(err.msg, "symbolic link"));
    snprintf(fifo, sizeof fifo, "%s/fifo.jsonl", d);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(tp_file_open_append(fifo, &err));
    expect_text(victim, "v");
    snprintf(path, sizeof path, "%s/real.jsonl", d);
    for (int i = 0; i < 2; i++) {
        FILE *f = tp_file_open_append(path, &err);
        assert_non_null(f);
        fputs("{}\n", f);
        assert_int_equal(fclose(f), 0);
    }
    expect_text(path, "{}\n{}\n");
}

/* The tree holds a link to an outside folder and a link to an outside
 * file: both links go, what they point at stays. */
static void test_remove_tree_keeps_link_targets(void **state) {
    (void)state;
    const char *d = dir_for("rm");
    const char *outside = dir_for("rm-outside");
    char p[800], keep[700];
    snprintf(keep, sizeof keep, "%s/keep.txt", outside);
    put(keep, "keep");
    snprintf(p, sizeof p, "%s/tree/a/b/c", d);
    assert_int_equal(tp_mkdirs(p, NULL), TP_OK);
    for (int i = 0; i < 40; i++) {
        snprintf(p, sizeof p, "%s/tree/a/b/file%d", d, i);
        put(p, "x");
    }
    snprintf(p, sizeof p, "%s/tree/a/dirlink", d);
    assert_int_equal(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/tree/a/b/c/filelink", d);
    assert_int_equal(symlink(keep, p), 0);
    snprintf(p, sizeof p, "%s/tree", d);
    TpError err = {0};
    assert_int_equal(tp_remove_tree(p, &err), TP_OK);
    assert_int_equal(access(p, F_OK), -1);
    expect_text(keep, "keep");
    assert_int_equal(tp_remove_tree(p, &err), TP_OK); /* missing: fine */
    /* a link given as the path itself: the link goes, not its target */
    snprintf(p, sizeof p, "%s/toplink", d);
    assert_int_equal(symlink(outside, p), 0);
    assert_int_equal(tp_remove_tree(p, &err), TP_OK);
    expect_text(keep, "keep");
}

static void test_staged_folder(void **state) {
    (void)state;
    const char *d = dir_for("stage");
    char final[700], tmp[900], f[1000];
    snprintf(final, sizeof final, "%s/adapter", d);
    TpError err = {0};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(tp_temp_dir(final, tmp, sizeof tmp, &err), TP_OK);
        snprintf(f, sizeof f, "%s/adapter_config.json", tmp);
        assert_int_equal(tp_file_write_atomic(f, round ? "new" : "old", 3, &err), TP_OK);
        if (round == 0) { /* a file only the first version has */
            snprintf(f, sizeof f, "%s/only-old", tmp);
            put(f, "x");
        }
        assert_int_equal(tp_temp_dir_commit(tmp, final, &err), TP_OK);
        assert_int_equal(access(tmp, F_OK), -1);
    }
    snprintf(f, sizeof f, "%s/adapter_config.json", final);
    expect_text(f, "new");
    snprintf(f, sizeof f, "%s/only-old", final);
    assert_int_equal(access(f, F_OK), -1);
    assert_int_equal(count_temps(d), 0);
}

/* A pid that no process has: a child that has exited and been reaped. */
static long dead_pid(void) {
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(p, &status, 0), p);
    return (long)p;
}

static void test_sweep_removes_only_dead_writers(void **state) {
    (void)state;
    const char *d = dir_for("sweep");
    long dead = dead_pid();
    char p[800];
    snprintf(p, sizeof p, "%s/checkpoint.safetensors.tmp.%ld", d, dead); /* older form */
    put(p, "partial");
    snprintf(p, sizeof p, "%s/metrics.jsonl.tmp.%ld.3", d, dead);
    put(p, "partial");
    snprintf(p, sizeof p, "%s/adapter.tmp.%ld.1", d, dead); /* a staged export */
    assert_int_equal(tp_mkdirs(p, NULL), TP_OK);
    snprintf(p, sizeof p, "%s/adapter.tmp.%ld.1/adapter_model.safetensors", d, dead);
    put(p, "partial");
    snprintf(p, sizeof p, "%s/live.tmp.%ld.0", d, (long)getppid()); /* a live writer */
    put(p, "in progress");
    snprintf(p, sizeof p, "%s/notes.tmp", d);
    put(p, "not ours");
    TpError err = {0};
    int removed = -1;
    assert_int_equal(tp_sweep_temps(d, &removed, &err), TP_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(count_temps(d), 1);
    expect_text(p, "not ours");
    snprintf(p, sizeof p, "%s/missing", d);
    assert_int_equal(tp_sweep_temps(p, &removed, &err), TP_OK);
}

/* ENOSPC at every write of the atomic writer, of the copy and of a staged
 * folder's commit: a clear error, the old content intact, no temp left. */
static void test_enospc_keeps_old_file(void **state) {
    (void)state;
    const char *d = dir_for("enospc");
    char path[700], src[700];
    snprintf(path, sizeof path, "%s/checkpoint.bin", d);
    put(path, "old checkpoint");
    char big[200000];
    memset(big, 'n', sizeof big);
    TpError err = {0};
    for (TpFaultPoint pt = TP_FAULT_WRITE; pt <= TP_FAULT_RENAME; pt++) {
        tp_fault_arm(pt, 1, TP_FAULT_ENOSPC);
        assert_int_equal(tp_file_write_atomic(path, big, sizeof big, &err), TP_EIO);
        assert_non_null(strstr(err.msg, strerror(ENOSPC)));
        assert_non_null(strstr(err.msg, "checkpoint.bin"));
        expect_text(path, "old checkpoint");
        assert_int_equal(count_temps(d), 0);
    }
    snprintf(src, sizeof src, "%s/src.json", d);
    put(src, "{}");
    tp_fault_arm(TP_FAULT_WRITE, 1, TP_FAULT_ENOSPC);
    assert_int_equal(tp_file_copy(src, path, NULL, &err), TP_EIO);
    assert_non_null(strstr(err.msg, strerror(ENOSPC)));
    expect_text(path, "old checkpoint");
    assert_int_equal(count_temps(d), 0);
    tp_fault_reset();
}

/* A kill at the Nth hit of each point while a file is replaced: the file
 * is whole (old before the rename, new after), and once the sweep ran no
 * temp file is left. Every hit of every point is tried, until a write
 * finishes without reaching N. */
static void test_kill_at_every_point(void **state) {
    (void)state;
    const char *d = dir_for("kill");
    char path[700];
    snprintf(path, sizeof path, "%s/state.bin", d);
    static char next[300000];
    memset(next, 'N', sizeof next);
    int kills = 0;
    for (TpFaultPoint pt = TP_FAULT_WRITE; pt < TP_FAULT_N_POINTS; pt++) {
        for (long n = 1;; n++) {
            put(path, "old");
            pid_t p = fork();
            assert_true(p >= 0);
            if (p == 0) {
                tp_fault_arm(pt, n, TP_FAULT_KILL);
                TpError e2 = {0};
                /* three files, as a checkpoint and an export write */
                int rc = 0;
                for (int k = 0; k < 3 && rc == 0; k++)
                    rc = tp_file_write_atomic(path, next, sizeof next, &e2) != TP_OK;
                _exit(rc);
            }
            int status;
            assert_int_equal(waitpid(p, &status, 0), p);
            char *got;
            size_t len;
            TpError err = {0};
            assert_int_equal(tp_file_read(path, sizeof next, &got, &len, &err), TP_OK);
            if (len == 3)
                assert_memory_equal(got, "old", 3);
            else
                assert_true(len == sizeof next && !memcmp(got, next, len));
            free(got);
            int removed = 0;
            assert_int_equal(tp_sweep_temps(d, &removed, &err), TP_OK);
            assert_int_equal(count_temps(d), 0);
            if (WIFEXITED(status)) {
                assert_int_equal(WEXITSTATUS(status), 0);
                assert_true(n > 1); /* the point was reached at least once */
                break;
            }
            assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
            kills++;
        }
    }
    print_message("  %d kills (write, fsync, rename, folder fsync of 3 writes)\n", kills);
    /* a 300,000-byte write is one write(2) on a local disk: 3 per point */
    assert_true(kills >= 12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_names),
        cmocka_unit_test(test_write_never_follows_planted_links),
        cmocka_unit_test(test_copy_regular_only),
        cmocka_unit_test(test_append_refuses_links_and_fifos),
        cmocka_unit_test(test_remove_tree_keeps_link_targets),
        cmocka_unit_test(test_staged_folder),
        cmocka_unit_test(test_sweep_removes_only_dead_writers),
        cmocka_unit_test(test_enospc_keeps_old_file),
        cmocka_unit_test(test_kill_at_every_point),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
