/* test_session_draft.c - recovery drafts (session_edit.h): the folder
 * beside the database, a draft written and read back field by field, the
 * list newest first with unreadable files counted and left in place, a
 * failed write leaving no draft and no temp file, discarding. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tp_test.h"
#include "tunepilot/fault.h"
#include "tunepilot/fileio.h"
#include "tunepilot/session_edit.h"

static const char *DOC = "{\"name\": \"triage\", \"horizon_months\": 12, \"workload\": "
                         "{\"requests_per_day\": 77000}, \"options\": []}";

static int files_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_dir(void **state) {
    (void)state;
    char out[4300];
    TpError err = {0};
    assert_int_equal(session_draft_dir("/data/x/tunepilot.db", out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "/data/x/drafts");
    assert_int_equal(session_draft_dir("/data/x/work.db", out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "/data/x/work-drafts"); /* two databases never share drafts */
}

static void test_round_trip(void **state) {
    (void)state;
    char dir[4200], file[4400];
    snprintf(dir, sizeof dir, "%s/rt-drafts", tp_tmpdir());
    cJSON *doc = cJSON_Parse(DOC);
    TpError err = {0};
    assert_int_equal(session_draft_write(dir, doc, "triage.json", "/home/u/triage.json", 7, file,
                                         sizeof file, &err),
                     TP_OK);
    assert_non_null(strstr(file, "/rt-drafts/draft-"));
    SessionDraft d;
    assert_int_equal(session_draft_read(file, &d, &err), TP_OK);
    assert_string_equal(d.file, file);
    assert_string_equal(d.name, "triage.json");
    assert_string_equal(d.path, "/home/u/triage.json");
    assert_int_equal(d.saved_id, 7);
    assert_int_equal(strlen(d.written_at), 20); /* YYYY-MM-DDTHH:MM:SSZ */
    cJSON *back = cJSON_Parse(d.json);
    assert_true(cJSON_Compare(doc, back, true)); /* the edited figure (77000) comes back */
    cJSON_Delete(back);
    session_draft_free(&d);

    /* no path, no History entry */
    assert_int_equal(session_draft_write(dir, doc, "x", NULL, 0, file, sizeof file, &err), TP_OK);
    assert_int_equal(session_draft_read(file, &d, &err), TP_OK);
    assert_string_equal(d.path, "");
    assert_int_equal(d.saved_id, 0);
    session_draft_free(&d);
    cJSON_Delete(doc);
}

static void test_list_and_discard(void **state) {
    (void)state;
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/list-drafts", tp_tmpdir());
    TpError err = {0};
    SessionDraft *v = NULL;
    int n = -1, bad = -1;
    /* a folder that does not exist yet holds no drafts */
    assert_int_equal(session_draft_list(dir, &v, &n, &bad, &err), TP_OK);
    assert_int_equal(n, 0);
    free(v);
    mkdir(dir, 0700);
    /* two drafts written by hand, with their times: the newer comes first */
#define DRAFT_TEXT                                                                                 \
    "{\"format\": \"tunepilot-draft\", \"version\": 1, \"written_at\": \"%s\", \"name\": \"%s\", "       \
    "\"path\": \"\", \"saved_id\": 0, \"scenario\": %s}"
    char text[1024];
    snprintf(path, sizeof path, "%s/draft-a-1.json", dir);
    snprintf(text, sizeof text, DRAFT_TEXT, "2026-12-01T10:00:00Z", "older", DOC);
    assert_int_equal(tp_file_write_atomic(path, text, strlen(text), &err), TP_OK);
    snprintf(path, sizeof path, "%s/draft-b-2.json", dir);
    snprintf(text, sizeof text, DRAFT_TEXT, "2026-12-02T09:00:00Z", "newer", DOC);
    assert_int_equal(tp_file_write_atomic(path, text, strlen(text), &err), TP_OK);
    /* not drafts: another format, a broken file, a name outside the pattern */
    snprintf(path, sizeof path, "%s/draft-c-3.json", dir);
    assert_int_equal(tp_file_write_atomic(path, "{\"format\": \"x\"}", 15, &err), TP_OK);
    snprintf(path, sizeof path, "%s/draft-d-4.json", dir);
    assert_int_equal(tp_file_write_atomic(path, "{", 1, &err), TP_OK);
    snprintf(path, sizeof path, "%s/notes.json", dir);
    assert_int_equal(tp_file_write_atomic(path, text, strlen(text), &err), TP_OK);

    assert_int_equal(session_draft_list(dir, &v, &n, &bad, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(bad, 2);
    assert_string_equal(v[0].name, "newer");
    assert_string_equal(v[1].name, "older");
    assert_int_equal(session_draft_discard(&v[0], &err), TP_OK);
    for (int i = 0; i < n; i++)
        session_draft_free(&v[i]);
    free(v);
    assert_int_equal(session_draft_list(dir, &v, &n, &bad, &err), TP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "older");
    assert_int_equal(files_in(dir), 4); /* the unreadable ones are left where they are */
    session_draft_free(&v[0]);
    free(v);
}

static void test_refused(void **state) {
    (void)state;
    SessionDraft d;
    TpError err = {0};
    assert_int_equal(session_draft_parse("[1]", "f.json", &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "f.json: not a draft"));
    assert_null(d.json);
    assert_int_equal(session_draft_parse("{\"format\": \"tunepilot-draft\", \"version\": 2, "
                                         "\"scenario\": {}}",
                                         "g.json", &d, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "version 2"));
    assert_int_equal(session_draft_parse("{\"format\": \"tunepilot-draft\", \"version\": 1, "
                                         "\"scenario\": 3}",
                                         "h.json", &d, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "h.json: $.scenario"));
    cJSON *arr = cJSON_CreateArray();
    char file[4400];
    assert_int_equal(session_draft_write(tp_tmpdir(), arr, "x", NULL, 0, file, sizeof file, &err),
                     TP_EINVAL);
    cJSON_Delete(arr);
}

/* A write that fails (no space left) leaves no draft and no temp file. */
static void test_failed_write(void **state) {
    (void)state;
    char dir[4200], file[4400];
    snprintf(dir, sizeof dir, "%s/fail-drafts", tp_tmpdir());
    cJSON *doc = cJSON_Parse(DOC);
    TpError err = {0};
    tp_fault_arm(TP_FAULT_WRITE, 1, TP_FAULT_ENOSPC);
    assert_int_not_equal(session_draft_write(dir, doc, "x", NULL, 0, file, sizeof file, &err),
                         TP_OK);
    tp_fault_reset();
    assert_int_equal(files_in(dir), 0);
    cJSON_Delete(doc);
}

static int teardown(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_list_and_discard),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_failed_write),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
