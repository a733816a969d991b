/* test_session.c - the session layer: the snapshot rule, scenarios with
 * stored probes, pilot evidence as a typed value and the decide pipeline.
 * Every number is hand arithmetic, written beside its assertion. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/session.h"

static Store *open_db(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tp_tmpdir(), name);
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    return s;
}

/* Snapshot 1 holds gpt-4.1-mini at $1/$4 per Mtok (bundled: $0.40/$1.60)
 * and a model the bundled tables lack. */
static long long add_snapshot(Store *s) {
    const char *ids[] = {"gpt-4.1-mini", "newco-model"};
    const char *docs[] = {
        "{\"id\":\"gpt-4.1-mini\",\"provider\":\"openai\",\"input_per_mtok\":1,"
        "\"output_per_mtok\":4,\"cached_input_per_mtok\":null,\"context_window\":1047576,"
        "\"max_output_tokens\":32768,\"ttft_ms\":null,\"output_tokens_per_s\":null,"
        "\"latency_source\":null,\"latency_as_of\":null,\"aliases\":[],"
        "\"source\":\"https://example.test/prices\",\"as_of\":\"2026-10-01\"}",
        "{\"id\":\"newco-model\",\"provider\":\"newco\",\"input_per_mtok\":0.5,"
        "\"output_per_mtok\":3,\"cached_input_per_mtok\":null,\"context_window\":128000,"
        "\"max_output_tokens\":0,\"ttft_ms\":null,\"output_tokens_per_s\":null,"
        "\"latency_source\":null,\"latency_as_of\":null,\"aliases\":[],"
        "\"source\":\"https://example.test/prices\",\"as_of\":\"2026-10-01\"}"};
    int64_t id = 0;
    TpError err = {0};
    assert_int_equal(store_snapshot_insert(s, "test prices", "test", "2026-10-01", 2, ids, docs,
                                           &id, &err),
                     TP_OK);
    return id;
}

static void test_snapshot_rule(void **state) {
    (void)state;
    Store *s = open_db("snap.db");
    TpError err = {0};
    Pricing p = {0};
    /* no snapshot stored: newest is the bundled tables */
    assert_int_equal(session_newest_snapshot(s), 0);
    assert_int_equal(session_pricing_load(s, SESSION_SNAPSHOT_NEWEST, &p, &err), TP_OK);
    assert_int_equal(p.snapshot_id, 0);
    assert_null(pricing_find_model(&p, "newco-model"));
    pricing_free(&p);
    long long id = add_snapshot(s);
    assert_int_equal(session_newest_snapshot(s), id);
    /* newest: the snapshot over the bundled tables (new model found, bundled kept) */
    assert_int_equal(session_pricing_load(s, SESSION_SNAPSHOT_NEWEST, &p, &err), TP_OK);
    assert_int_equal(p.snapshot_id, id);
    assert_non_null(pricing_find_model(&p, "newco-model"));
    assert_close(pricing_find_model(&p, "gpt-4.1-mini")->input_per_mtok, 1.0, 1e-12);
    assert_non_null(pricing_find_model(&p, "gpt-4.1")); /* bundled, not in the snapshot */
    pricing_free(&p);
    /* 0: bundled alone */
    assert_int_equal(session_pricing_load(s, 0, &p, &err), TP_OK);
    assert_int_equal(p.snapshot_id, 0);
    assert_close(pricing_find_model(&p, "gpt-4.1-mini")->input_per_mtok, 0.4, 1e-12);
    pricing_free(&p);
    /* no database: newest is bundled; a numbered snapshot is an error */
    assert_int_equal(session_pricing_load(NULL, SESSION_SNAPSHOT_NEWEST, &p, &err), TP_OK);
    assert_int_equal(p.snapshot_id, 0);
    pricing_free(&p);
    assert_int_equal(session_pricing_load(NULL, 1, &p, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "snapshot 1"));
    pricing_free(&p);
    /* a missing snapshot names itself */
    assert_int_not_equal(session_pricing_load(s, 99, &p, &err), TP_OK);
    pricing_free(&p);

    /* a case: the scenario's own snapshot, unless one is asked for */
    static const char SC[] =
        "{\"name\":\"s\",\"horizon_months\":1,\"snapshot\":0,"
        "\"workload\":{\"requests_per_day\":1000,\"input_tokens\":1000,\"output_tokens\":100},"
        "\"options\":[{\"id\":\"a\",\"kind\":\"api\",\"model\":\"gpt-4.1-mini\"}]}";
    CostScenario sc;
    CostProjection proj;
    assert_int_equal(session_load_case(s, SESSION_SNAPSHOT_NEWEST, SC, strlen(SC), "s",
                                       "2026-12-02", &p, &sc, &err),
                     TP_OK);
    assert_int_equal(p.snapshot_id, 0); /* the scenario names snapshot 0 */
    assert_string_equal(sc.start_date, "2026-12-02");
    assert_int_equal(cost_project(&sc, &proj, &err), TP_OK);
    /* (1000 x 0.40 + 100 x 1.60) / 1e6 = $0.00056 a request; x 1000/day x 365/12 */
    assert_close(proj.options[0].horizon_total_usd, 0.00056 * 1000 * 365.0 / 12, 1e-9);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    pricing_free(&p);
    assert_int_equal(session_load_case(s, id, SC, strlen(SC), "s", "2026-12-02", &p, &sc, &err),
                     TP_OK);
    assert_int_equal(p.snapshot_id, id);
    assert_int_equal(cost_project(&sc, &proj, &err), TP_OK);
    /* (1000 x 1 + 100 x 4) / 1e6 = $0.0014 a request */
    assert_close(proj.options[0].horizon_total_usd, 0.0014 * 1000 * 365.0 / 12, 1e-9);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    pricing_free(&p);
    store_close(s);
}

static void test_probes(void **state) {
    (void)state;
    Store *s = open_db("probe.db");
    TpError err = {0};
    StoreProbe pr = {0};
    snprintf(pr.url, sizeof pr.url, "http://127.0.0.1:1/v1");
    snprintf(pr.model, sizeof pr.model, "gpt-4.1-mini");
    pr.requests = pr.n_ok = 10;
    pr.concurrency = 1;
    pr.ttft_p50_ms = 200;
    pr.tokens_per_s_p50 = 100;
    int64_t id = 0;
    assert_int_equal(store_probe_save(s, &pr, &id, &err), TP_OK);
    char sc_text[512];
    snprintf(sc_text, sizeof sc_text,
             "{\"name\":\"p\",\"horizon_months\":1,\"workload\":{\"requests_per_day\":10,"
             "\"input_tokens\":100,\"output_tokens\":100},\"options\":[{\"id\":\"a\","
             "\"kind\":\"api\",\"model\":\"gpt-4.1-mini\",\"probe\":%lld}]}",
             (long long)id);
    Pricing p = {0};
    assert_int_equal(session_pricing_load(s, 0, &p, &err), TP_OK);
    CostScenario sc;
    CostProjection proj;
    assert_int_equal(session_scenario_parse(s, sc_text, strlen(sc_text), "p", &p, "2026-12-02",
                                            &sc, &err),
                     TP_OK);
    assert_int_equal(cost_project(&sc, &proj, &err), TP_OK);
    /* p50 = 200 ms + 100 input tokens x 0.14 ms (the midpoint of the bundled rule
     * prefill_ms_per_input_token) + 100 tokens / 100 tokens/s = 1,214 ms */
    assert_close(proj.options[0].latency_p50_ms, 1214, 1e-9);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    /* without the database a probe cannot be resolved, and says why */
    assert_int_equal(session_scenario_parse(NULL, sc_text, strlen(sc_text), "p", &p, NULL, &sc,
                                            &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "database"));
    pricing_free(&p);
    store_close(s);
}

static int64_t add_run(Store *s, const char *status, const char *summary) {
    StoreRun r = {0};
    snprintf(r.kind, sizeof r.kind, "local");
    r.status = run_status_parse(status);
    snprintf(r.model, sizeof r.model, "/models/tiny");
    snprintf(r.data, sizeof r.data, "/data/t.jsonl");
    snprintf(r.method, sizeof r.method, "qlora");
    r.config = (char *)"{}";
    int64_t id = 0;
    TpError err = {0};
    assert_int_equal(store_run_create(s, &r, &id, &err), TP_OK);
    if (summary)
        assert_int_equal(store_run_set_summary(s, id, summary, &err), TP_OK);
    return id;
}

static void test_evidence(void **state) {
    (void)state;
    Store *s = open_db("runs.db");
    TpError err = {0};
    SessionEvidence ev;
    assert_int_equal(session_evidence_load(s, 0, &ev, &err), TP_ENOTFOUND);
    int64_t done = add_run(s, "completed",
                           "{\"base\":{\"loss\":2.0,\"accuracy\":0.50},\"tuned\":{\"loss\":1.5,"
                           "\"accuracy\":0.60},\"tokens_per_s\":42,\"full_run\":{\"gpus\":["
                           "{\"gpu\":\"a100-80gb\",\"hours\":10},{\"gpu\":\"h100-sxm\","
                           "\"hours\":4}]}}");
    int64_t running = add_run(s, "running", NULL);
    assert_int_equal(session_evidence_load(s, running, &ev, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "running"));
    assert_int_equal(session_evidence_load(s, 0, &ev, &err), TP_OK);
    assert_int_equal(ev.run_id, done);
    assert_close(ev.base_accuracy, 0.5, 1e-12);
    assert_close(ev.tuned_loss, 1.5, 1e-12);
    assert_int_equal(ev.n_gpus, 2);

    /* applied to a scenario: the self-hosted option training on an A100 */
    cJSON *doc = cJSON_Parse("{\"options\":[{\"id\":\"x\",\"kind\":\"api\"},{\"id\":\"y\","
                             "\"kind\":\"self_hosted\",\"train_gpu\":\"a100-80gb\"}]}");
    assert_int_equal(session_evidence_apply(&ev, doc), 1);
    const cJSON *y = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "options"), 1);
    assert_close(cJSON_GetObjectItem(y, "train_gpu_hours")->valuedouble, 10, 1e-12);
    assert_non_null(strstr(cJSON_GetObjectItem(y, "measured_by")->valuestring, "pilot run"));
    cJSON_Delete(doc);

    /* the evidence rules, from the bundled rules.json */
    Pricing p = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    double gain = pricing_rule(&p, "evidence_min_accuracy_gain")->lo;
    double ratio = pricing_rule(&p, "evidence_max_loss_ratio")->lo;
    assert_close(gain, 0.05, 1e-12);
    assert_close(ratio, 0.9, 1e-12);
    char detail[512];
    bool known;
    /* 0.60 - 0.50 = 0.10 >= 0.05: helped */
    assert_true(session_evidence_helped(&ev, &p, &known, detail, sizeof detail));
    assert_true(known);
    ev.tuned_accuracy = 0.53; /* 0.03 < 0.05 */
    assert_false(session_evidence_helped(&ev, &p, &known, detail, sizeof detail));
    ev.base_accuracy = ev.tuned_accuracy = NAN;
    /* loss 1.5 / 2.0 = 0.75 <= 0.9: helped */
    assert_true(session_evidence_helped(&ev, &p, &known, detail, sizeof detail));
    ev.tuned_loss = 1.9; /* 0.95 > 0.9 */
    assert_false(session_evidence_helped(&ev, &p, &known, detail, sizeof detail));
    ev.base_loss = NAN;
    assert_false(session_evidence_helped(&ev, &p, &known, detail, sizeof detail));
    assert_false(known);

    /* the pipeline: measured frontier_fails, typed answers over it */
    DecideFramework fw;
    assert_int_equal(decide_framework_load("five-questions", &p, &fw, &err), TP_OK);
    assert_int_equal(session_evidence_load(s, done, &ev, &err), TP_OK);
    DecideAnswers all = {0}, typed = {0};
    assert_int_equal(session_decide_answers(&fw, NULL, NULL, &p, &ev, NULL, &all, &err), TP_OK);
    const DecideAnswer *ff = decide_answers_find(&all, "frontier_fails");
    assert_non_null(ff);
    assert_true(ff->yes);
    assert_int_equal(ff->origin, DECIDE_ORIGIN_MEASURED);
    decide_answers_free(&all);
    decide_answers_set_yes_no(&typed, "frontier_fails", false, DECIDE_ORIGIN_TYPED, NULL);
    assert_int_equal(session_decide_answers(&fw, NULL, NULL, &p, &ev, &typed, &all, &err), TP_OK);
    ff = decide_answers_find(&all, "frontier_fails");
    assert_false(ff->yes);
    assert_int_equal(ff->origin, DECIDE_ORIGIN_TYPED);
    decide_answers_free(&all);
    decide_answers_free(&typed);
    decide_framework_free(&fw);
    pricing_free(&p);
    store_close(s);
}

static void test_today(void **state) {
    (void)state;
    char d[11];
    TpError err = {0};
    setenv("TUNEPILOT_TODAY", "2026-12-02", 1);
    assert_int_equal(session_today(d, &err), TP_OK);
    assert_string_equal(d, "2026-12-02");
    setenv("TUNEPILOT_TODAY", "2026-13-40", 1);
    assert_int_equal(session_today(d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "TUNEPILOT_TODAY"));
    unsetenv("TUNEPILOT_TODAY");
    assert_int_equal(session_today(d, &err), TP_OK);
    assert_int_equal(strlen(d), 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_rule),
        cmocka_unit_test(test_probes),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_today),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
