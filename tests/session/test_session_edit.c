/* test_session_edit.c - editing a scenario: typed text to values (k/M/G
 * suffixes, ranges, bad input), the field catalogue against the engine's
 * own key lists, options added, copied, removed and re-kinded and checked by
 * the engine, the engine's messages located, atomic writes. Expected values
 * are hand arithmetic written beside each assertion. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tp_test.h"
#include "tunepilot/fileio.h"
#include "tunepilot/session_edit.h"

static const char *TODAY = "2026-12-01";

/* A number typed into a field that takes ranges. */
static double num(const char *text) {
    const SessionField *f = session_field_info("requests_per_day");
    cJSON *v = NULL;
    char msg[256];
    bool ok = session_value_parse(text, f, &v, msg, sizeof msg);
    if (!ok)
        fail_msg("\"%s\" refused: %s", text, msg);
    assert_true(cJSON_IsNumber(v));
    double d = v->valuedouble;
    cJSON_Delete(v);
    return d;
}

/* The message for text refused by field `key` (asserts it is refused). */
static const char *refused(const char *key, const char *text) {
    static char msg[512];
    cJSON *v = NULL;
    bool ok = session_value_parse(text, session_field_info(key), &v, msg, sizeof msg);
    if (ok)
        fail_msg("\"%s\" accepted by %s", text, key);
    assert_null(v);
    assert_true(strlen(msg) > 0);
    return msg;
}

static void test_numbers(void **state) {
    (void)state;
    assert_close(num("50k"), 50000, 0);          /* 50 x 1,000 */
    assert_close(num("1.5M"), 1500000, 0);       /* 1.5 x 1,000,000 */
    assert_close(num("2G"), 2e9, 0);             /* 2 x 10^9 */
    assert_close(num("1e3"), 1000, 0);           /* exponent */
    assert_close(num("2.5e-1"), 0.25, 1e-15);    /* 2.5 / 10 */
    assert_close(num("  1200 "), 1200, 0);       /* spaces trimmed */
    assert_close(num("0.05"), 0.05, 1e-15);      /* leading zero, decimal */
    assert_close(num("-0.1"), -0.1, 1e-15);      /* a sign (growth may shrink) */
    assert_close(num(".5k"), 500, 0);            /* 0.5 x 1,000 */
    assert_close(num("007"), 7, 0);              /* leading zeros */
    assert_close(num("1.25k"), 1250, 1e-12);     /* 1.25 x 1,000 */
}

static void test_bad_numbers(void **state) {
    (void)state;
    const char *m = refused("requests_per_day", "1.5.5");
    assert_non_null(strstr(m, "\"1.5.5\" is not a number: more than one decimal point"));
    assert_non_null(strstr(m, "requests/day")); /* the unit is named */
    m = refused("requests_per_day", "7e");
    assert_non_null(strstr(m, "an exponent needs digits"));
    m = refused("requests_per_day", "50x");
    assert_non_null(strstr(m, "unexpected \"x\""));
    m = refused("requests_per_day", "2m");
    assert_non_null(strstr(m, "write M for millions"));
    m = refused("requests_per_day", "1,000");
    assert_non_null(strstr(m, "no thousands separators"));
    m = refused("requests_per_day", "");
    assert_non_null(strstr(m, "nothing typed"));
    m = refused("requests_per_day", "k");
    assert_non_null(strstr(m, "expected digits"));
    m = refused("requests_per_day", "50%"); /* a percent only in route shares */
    assert_non_null(strstr(m, "unexpected \"%\""));
    m = refused("requests_per_day", "1e999");
    assert_non_null(strstr(m, "too large"));
}

static void test_ranges(void **state) {
    (void)state;
    const SessionField *f = session_field_info("requests_per_day");
    cJSON *v = NULL;
    char msg[256];
    assert_true(session_value_parse("[1k, 2.5k]", f, &v, msg, sizeof msg));
    assert_true(cJSON_IsArray(v));
    assert_close(cJSON_GetArrayItem(v, 0)->valuedouble, 1000, 0); /* 1 x 1,000 */
    assert_close(cJSON_GetArrayItem(v, 1)->valuedouble, 2500, 0); /* 2.5 x 1,000 */
    char back[64];
    session_value_format(v, f, back, sizeof back);
    assert_string_equal(back, "[1000, 2500]");
    cJSON_Delete(v);
    assert_non_null(strstr(refused("requests_per_day", "[2, 1]"), "low > high"));
    assert_non_null(strstr(refused("requests_per_day", "[1, 2"), "expected [low, high]"));
    assert_non_null(strstr(refused("requests_per_day", "[1, 2, 3]"), "expected [low, high]"));
    assert_non_null(strstr(refused("requests_per_day", "[1, x]"), "range [1, x]: \"x\" is not a number: expected digits"));
    /* model_params_b takes one number (the engine reads it with tp_json_number) */
    assert_non_null(strstr(refused("model_params_b", "[7, 8]"), "not a range"));
}

static void test_integers_text_dates(void **state) {
    (void)state;
    const SessionField *f = session_field_info("horizon_months");
    cJSON *v = NULL;
    char msg[256];
    assert_true(session_value_parse("1.5k", f, &v, msg, sizeof msg)); /* 1,500: whole */
    assert_close(v->valuedouble, 1500, 0);
    cJSON_Delete(v);
    assert_non_null(strstr(refused("horizon_months", "2.5"), "not a whole number"));
    assert_non_null(strstr(refused("horizon_months", "[1, 2]"), "not a range"));
    assert_non_null(strstr(refused("horizon_months", "12x"), "whole number of months"));
    assert_true(session_value_parse("  my id ", session_field_info("id"), &v, msg, sizeof msg));
    assert_string_equal(v->valuestring, "my id"); /* trimmed */
    cJSON_Delete(v);
    assert_non_null(strstr(refused("id", "   "), "nothing typed"));
    assert_non_null(strstr(refused("note", "a\x1b[31mred"), "control characters"));
    assert_non_null(strstr(refused("start_date", "2026-13-01"), "YYYY-MM-DD"));
    assert_true(session_value_parse("2027-01-31", session_field_info("start_date"), &v, msg,
                                    sizeof msg));
    cJSON_Delete(v);
}

static void test_routes_text(void **state) {
    (void)state;
    const SessionField *f = session_field_info("routes");
    cJSON *v = NULL;
    char msg[256], back[256];
    assert_true(session_value_parse("tuned 0.9, fallback=10%", f, &v, msg, sizeof msg));
    assert_int_equal(cJSON_GetArraySize(v), 2);
    cJSON *r1 = cJSON_GetArrayItem(v, 1);
    assert_string_equal(cJSON_GetObjectItem(r1, "option")->valuestring, "fallback");
    assert_close(cJSON_GetObjectItem(r1, "share")->valuedouble, 0.1, 1e-15); /* 10% */
    session_value_format(v, f, back, sizeof back);
    assert_string_equal(back, "tuned 0.9, fallback 0.1");
    cJSON_Delete(v);
    assert_true(session_value_parse("a [0.8, 0.9], b 0.15", f, &v, msg, sizeof msg));
    session_value_format(v, f, back, sizeof back);
    assert_string_equal(back, "a [0.8, 0.9], b 0.15");
    cJSON_Delete(v);
    assert_non_null(strstr(refused("routes", "tuned"), "an option id and its share"));
    assert_non_null(strstr(refused("routes", "tuned 1.2.3"), "more than one decimal point"));
}

/* Every key the engine takes has a catalogue entry (with its unit when it
 * is a number), for every kind and place. */
static void test_catalogue_covers_engine(void **state) {
    (void)state;
    for (int k = 0; k <= COST_OPTION_ROUTED; k++) {
        const char *const *keys = cost_option_keys((CostOptionKind)k);
        int n = 0;
        for (int i = 0; keys[i]; i++, n++) {
            const SessionField *f = session_field_info(keys[i]);
            if (!f)
                fail_msg("kind %s: engine key %s has no catalogue entry",
                         cost_option_kind_name((CostOptionKind)k), keys[i]);
            if (f->type == SESSION_FIELD_NUMBER && !f->unit[0] && strcmp(keys[i], "seed"))
                fail_msg("%s: a number without a unit", keys[i]);
        }
        assert_int_equal(session_fields_at(0, (CostOptionKind)k, NULL, 0), n);
    }
    const SessionField *fs[64];
    int n = session_fields_at(0, COST_OPTION_API_FINETUNED, fs, 64);
    bool ft = false;
    for (int i = 0; i < n; i++)
        ft |= fs[i]->type == SESSION_FIELD_FT_MODEL;
    assert_true(ft); /* api_finetuned picks from the fine-tuning table */
    for (const char *const *k = cost_workload_keys(); *k; k++)
        assert_non_null(session_field_info(*k));
    for (const char *const *k = cost_scenario_keys(); *k; k++)
        assert_non_null(session_field_info(*k));
    /* top level without the two objects: 10 keys - workload - options */
    assert_int_equal(session_fields_at(SESSION_AT_TOP, 0, NULL, 0), 8);
}

static const char *DOC =
    "{\"name\":\"edit test\",\"horizon_months\":12,"
    "\"workload\":{\"requests_per_day\":1000,\"input_tokens\":500,\"output_tokens\":100},"
    "\"options\":[{\"id\":\"a\",\"kind\":\"api\",\"input_per_mtok\":1,\"output_per_mtok\":4}]}";

static TpStatus check(cJSON *doc, const Pricing *p, TpError *err) {
    CostScenario sc;
    TpStatus st = session_scenario_check(NULL, doc, "edit.json", p, TODAY, &sc, err);
    cost_scenario_free(&sc);
    return st;
}

static void test_options(void **state) {
    (void)state;
    Pricing p = {0};
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    cJSON *doc = cJSON_Parse(DOC);
    assert_int_equal(check(doc, &p, &err), TP_OK);

    /* an api option on a priced model: valid as added */
    int i = -1;
    assert_int_equal(session_option_add(doc, COST_OPTION_API, "gpt-4.1-mini", &i, &err), TP_OK);
    assert_int_equal(i, 1);
    assert_string_equal(session_option_id(doc, 1), "gpt-4.1-mini");
    assert_int_equal(session_option_kind(doc, 1), COST_OPTION_API);
    assert_int_equal(check(doc, &p, &err), TP_OK);
    assert_int_equal(session_option_add(doc, COST_OPTION_API, "gpt-4.1-mini", &i, &err), TP_OK);
    assert_string_equal(session_option_id(doc, 2), "gpt-4.1-mini-2"); /* unique */

    /* rag needs context_tokens: the engine names it, at the new option */
    assert_int_equal(session_option_add(doc, COST_OPTION_RAG, "gpt-4.1-mini", &i, &err), TP_OK);
    assert_int_equal(i, 3);
    assert_int_equal(check(doc, &p, &err), TP_EINVAL);
    int where = -9;
    char key[64];
    assert_true(session_error_field(err.msg, &where, key, sizeof key));
    assert_int_equal(where, 3);
    assert_string_equal(key, "context_tokens");
    cJSON *v = NULL;
    char msg[256];
    assert_true(session_value_parse("2k", session_field_info(key), &v, msg, sizeof msg));
    assert_int_equal(session_doc_set(doc, where, key, v, &err), TP_OK);
    assert_int_equal(check(doc, &p, &err), TP_OK);

    /* routed: routes first, then valid once they add up */
    assert_int_equal(session_option_add(doc, COST_OPTION_ROUTED, NULL, &i, &err), TP_OK);
    assert_string_equal(session_option_id(doc, i), "routed");
    assert_int_equal(check(doc, &p, &err), TP_EINVAL);
    assert_true(session_error_field(err.msg, &where, key, sizeof key));
    assert_int_equal(where, 4);
    assert_string_equal(key, "routes");
    assert_true(session_value_parse("a 90%, rag-gpt-4.1-mini 0.1", session_field_info("routes"),
                                    &v, msg, sizeof msg));
    session_doc_set(doc, where, key, v, &err);
    assert_int_equal(check(doc, &p, &err), TP_OK);

    /* removing a routed-to option: the engine's own message says what broke */
    cJSON *before = cJSON_Duplicate(doc, true);
    assert_int_equal(session_option_remove(doc, 0, &err), TP_OK);
    assert_int_equal(session_doc_n_options(doc), 4);
    assert_int_equal(check(doc, &p, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "\"a\""));
    assert_true(session_error_field(err.msg, &where, key, sizeof key));
    assert_int_equal(where, 3); /* the routed option, now at index 3 */
    cJSON_Delete(doc);
    doc = before;
    /* removing one no route uses is fine */
    assert_int_equal(session_option_remove(doc, 2, &err), TP_OK);
    assert_int_equal(check(doc, &p, &err), TP_OK);
    assert_int_equal(session_option_remove(doc, 9, &err), TP_EINVAL);

    /* duplicate: same fields, a new id */
    assert_int_equal(session_option_duplicate(doc, 0, &i, &err), TP_OK);
    assert_string_equal(session_option_id(doc, i), "a-copy");
    assert_int_equal(session_option_duplicate(doc, 0, &i, &err), TP_OK);
    assert_string_equal(session_option_id(doc, i), "a-copy-2");
    assert_close(session_doc_get(doc, i, "output_per_mtok")->valuedouble, 4, 0);
    assert_int_equal(check(doc, &p, &err), TP_OK);

    /* a value the engine refuses: its message, with the path */
    session_doc_set(doc, SESSION_AT_TOP, "horizon_months", cJSON_CreateNumber(50000), &err);
    assert_int_equal(check(doc, &p, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.horizon_months"));
    session_doc_set(doc, SESSION_AT_TOP, "horizon_months", cJSON_CreateNumber(12), &err);
    /* cleared: back to the default (latency_slo_ms has none: no SLO) */
    session_doc_set(doc, SESSION_AT_WORKLOAD, "latency_slo_ms", cJSON_CreateNumber(900), &err);
    assert_non_null(session_doc_get(doc, SESSION_AT_WORKLOAD, "latency_slo_ms"));
    session_doc_set(doc, SESSION_AT_WORKLOAD, "latency_slo_ms", NULL, &err);
    assert_null(session_doc_get(doc, SESSION_AT_WORKLOAD, "latency_slo_ms"));
    assert_int_equal(check(doc, &p, &err), TP_OK);
    cJSON_Delete(doc);
    pricing_free(&p);
}

static void test_set_kind(void **state) {
    (void)state;
    Pricing p = {0};
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    cJSON *doc = cJSON_Parse(DOC);
    session_doc_set(doc, 0, "ttft_ms", cJSON_CreateNumber(300), &err);
    /* api -> self_hosted: input_per_mtok and output_per_mtok are not taken; ttft_ms is */
    int dropped = -1;
    assert_int_equal(session_option_set_kind(doc, 0, COST_OPTION_SELF_HOSTED, &dropped, &err),
                     TP_OK);
    assert_int_equal(dropped, 2);
    assert_null(session_doc_get(doc, 0, "input_per_mtok"));
    assert_non_null(session_doc_get(doc, 0, "ttft_ms"));
    assert_int_equal(session_option_kind(doc, 0), COST_OPTION_SELF_HOSTED);
    assert_int_equal(check(doc, &p, &err), TP_OK); /* the per-replica rule prices it */
    cJSON_Delete(doc);
    pricing_free(&p);
}

static void test_error_field(void **state) {
    (void)state;
    int w = 0;
    char key[64];
    assert_true(session_error_field("x.json: $.options[12].routes[0].share: bad", &w, key, 64));
    assert_int_equal(w, 12);
    assert_string_equal(key, "routes");
    assert_true(session_error_field("x.json: $.workload.peak_factor: expected", &w, key, 64));
    assert_int_equal(w, SESSION_AT_WORKLOAD);
    assert_string_equal(key, "peak_factor");
    assert_true(session_error_field("x.json: $.draws: expected", &w, key, 64));
    assert_int_equal(w, SESSION_AT_TOP);
    assert_string_equal(key, "draws");
    assert_true(session_error_field("x: $.options[2]: expected an object", &w, key, 64));
    assert_int_equal(w, 2);
    assert_string_equal(key, "");
    assert_false(session_error_field("pricing rules lack \"x\"", &w, key, 64));
}

static void test_write(void **state) {
    (void)state;
    TpError err = {0};
    char path[4096];
    assert_int_equal(session_scenario_new_path(tp_tmpdir(), "Edit test / v2", path, sizeof path,
                                               &err),
                     TP_OK);
    char want[4096];
    snprintf(want, sizeof want, "%s/Edit-test-v2.json", tp_tmpdir());
    assert_string_equal(path, want);
    cJSON *doc = cJSON_Parse(DOC);
    assert_int_equal(session_scenario_write(doc, path, &err), TP_OK);
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(tp_file_read(path, 1 << 20, &text, &n, &err), TP_OK);
    assert_true(n > 0 && text[n - 1] == '\n');
    cJSON *back = cJSON_Parse(text);
    assert_true(cJSON_Compare(doc, back, true));
    cJSON_Delete(back);
    free(text);
    /* the name is taken now: the next is -2 */
    assert_int_equal(session_scenario_new_path(tp_tmpdir(), "Edit test / v2", path, sizeof path,
                                               &err),
                     TP_OK);
    snprintf(want, sizeof want, "%s/Edit-test-v2-2.json", tp_tmpdir());
    assert_string_equal(path, want);
    /* a folder that does not exist: the write fails, nothing is left */
    snprintf(path, sizeof path, "%s/missing/x.json", tp_tmpdir());
    assert_int_not_equal(session_scenario_write(doc, path, &err), TP_OK);
    cJSON_Delete(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),         cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_ranges),          cmocka_unit_test(test_integers_text_dates),
        cmocka_unit_test(test_routes_text),     cmocka_unit_test(test_catalogue_covers_engine),
        cmocka_unit_test(test_options),         cmocka_unit_test(test_set_kind),
        cmocka_unit_test(test_error_field),     cmocka_unit_test(test_write),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
