/* test_net_units.c - the network pieces that need no server: the SSE
 * parser (every slicing of a stream), reading stream payloads, key lookup
 * and redaction, the OpenAI data audit and epochs rule, the price diff, the
 * schema-5 store functions, and "probe": ID in scenarios. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/cost.h"
#include "tunepilot/net.h"
#include "tunepilot/probe.h"
#include "tunepilot/remote.h"
#include "tunepilot/store.h"

/* --- SSE ------------------------------------------------------------------------ */

typedef struct Seen {
    char events[16][256];
    char names[16][64];
    int n;
} Seen;

static int collect(void *ctx, const char *event, const char *data, size_t len) {
    Seen *s = ctx;
    assert_int_equal(strlen(data), len);
    if (s->n < 16) {
        snprintf(s->events[s->n], sizeof s->events[0], "%s", data);
        snprintf(s->names[s->n], sizeof s->names[0], "%s", event);
        s->n++;
    }
    return 0;
}

static const char STREAM[] = ": OPENROUTER PROCESSING\r\n\r\n"
                             "data: {\"a\":1}\r\n\r\n"
                             "event: ping\n"
                             "data:no-space\n\n"
                             ":comment\n"
                             "data: line one\r\n"
                             "data: line two\r\n"
                             "id: 7\r\n"
                             "\r\n"
                             "data: lone-cr\r\r"
                             "retry: 100\n"
                             "data: [DONE]\n\n";

static void check_stream(const Seen *s) {
    assert_int_equal(s->n, 5);
    assert_string_equal(s->events[0], "{\"a\":1}");
    assert_string_equal(s->events[1], "no-space");
    assert_string_equal(s->names[1], "ping");
    assert_string_equal(s->names[2], "");
    assert_string_equal(s->events[2], "line one\nline two");
    assert_string_equal(s->events[3], "lone-cr");
    assert_string_equal(s->events[4], "[DONE]");
}

static void test_sse_every_split(void **state) {
    (void)state;
    size_t n = strlen(STREAM);
    /* whole, byte by byte, and cut in two at every position */
    for (size_t cut = 0; cut <= n; cut++) {
        Seen s = {0};
        NetSse p;
        net_sse_init(&p, collect, &s);
        net_sse_feed(&p, STREAM, cut);
        net_sse_feed(&p, STREAM + cut, n - cut);
        net_sse_finish(&p);
        check_stream(&s);
        assert_int_equal(p.n_comments, 2);
        net_sse_free(&p);
    }
    Seen s = {0};
    NetSse p;
    net_sse_init(&p, collect, &s);
    for (size_t i = 0; i < n; i++)
        net_sse_feed(&p, STREAM + i, 1);
    net_sse_finish(&p);
    check_stream(&s);
    net_sse_free(&p);
}

static int stop_at_first(void *ctx, const char *event, const char *data, size_t len) {
    (void)event;
    (void)data;
    (void)len;
    (*(int *)ctx)++;
    return 1;
}

static void test_sse_end_and_stop(void **state) {
    (void)state;
    /* no final blank line: the complete last event still counts */
    Seen s = {0};
    NetSse p;
    net_sse_init(&p, collect, &s);
    net_sse_feed(&p, "data: x\n\ndata: [DONE]\n", 22);
    net_sse_finish(&p);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.events[1], "[DONE]");
    net_sse_free(&p);
    /* cut in the middle of a line: that event is dropped */
    memset(&s, 0, sizeof s);
    net_sse_init(&p, collect, &s);
    net_sse_feed(&p, "data: x\n\ndata: {\"cho", 20);
    net_sse_finish(&p);
    assert_int_equal(s.n, 1);
    net_sse_free(&p);
    /* the callback stops the parser */
    int calls = 0;
    net_sse_init(&p, stop_at_first, &calls);
    assert_int_not_equal(net_sse_feed(&p, "data: a\n\ndata: b\n\n", 18), 0);
    assert_true(p.stopped);
    assert_int_equal(calls, 1);
    net_sse_free(&p);
}

/* --- reading streamed chat chunks -------------------------------------------------- */

static void feed(ProbeStream *ps, const char *data, double t) {
    probe_stream_data(ps, data, strlen(data), t);
}

static void test_probe_stream(void **state) {
    (void)state;
    ProbeStream ps;
    probe_stream_init(&ps, 1000);
    feed(&ps, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
         1010);
    assert_true(ps.t_first == 0); /* a role-only chunk is not the first token */
    feed(&ps, "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}", 1100);
    feed(&ps, "{\"choices\":[{\"delta\":{\"content\":\" there\"}}]}", 1150);
    feed(&ps, "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}", 1200);
    feed(&ps, "[DONE]", 1201);
    assert_true(ps.done);
    assert_false(ps.failed);
    assert_close(ps.t_first - ps.t_start, 100, 1e-9);
    assert_close(ps.t_end - ps.t_start, 201, 1e-9);
    assert_int_equal(ps.content_chunks, 2);
    assert_int_equal(ps.completion_tokens, 7);

    probe_stream_init(&ps, 0);
    const char *err_chunk = "{\"error\":{\"message\":\"overloaded\"}}";
    assert_int_not_equal(probe_stream_data(&ps, err_chunk, strlen(err_chunk), 5), 0);
    assert_true(ps.failed);
    assert_non_null(strstr(ps.error, "overloaded"));

    probe_stream_init(&ps, 0);
    feed(&ps, "{\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}", 5);
    assert_true(ps.failed);

    probe_stream_init(&ps, 0);
    feed(&ps, "{\"choices\":[{\"delta\":{\"conte", 5);
    assert_true(ps.failed);
    assert_non_null(strstr(ps.error, "invalid JSON"));
}

static void test_endpoint(void **state) {
    (void)state;
    char out[256];
    TpError err = {0};
    assert_int_equal(probe_endpoint("http://h:8000/v1", out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "http://h:8000/v1/chat/completions");
    assert_int_equal(probe_endpoint("http://h:8000/v1/", out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "http://h:8000/v1/chat/completions");
    assert_int_equal(probe_endpoint("https://x/api/chat", out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "https://x/api/chat");
    assert_int_equal(probe_endpoint("ftp://x/v1", out, sizeof out, &err), TP_EINVAL);
    RemoteClient c;
    assert_int_equal(remote_client_init(&c, "http://127.0.0.1:9/", NULL, &err), TP_OK);
    assert_string_equal(c.base, "http://127.0.0.1:9/v1");
    assert_int_equal(remote_client_init(&c, "http://127.0.0.1:9/proxy/v1", NULL, &err), TP_OK);
    assert_string_equal(c.base, "http://127.0.0.1:9/proxy/v1");
    assert_int_equal(remote_client_init(&c, NULL, NULL, &err), TP_OK);
    assert_string_equal(c.base, "https://api.openai.com/v1");
}

/* --- keys ---------------------------------------------------------------------------- */

static void test_keys(void **state) {
    (void)state;
    assert_string_equal(net_default_key_env("https://api.openai.com/v1"), "OPENAI_API_KEY");
    assert_string_equal(net_default_key_env("https://API.OpenAI.com:443/v1"), "OPENAI_API_KEY");
    assert_string_equal(net_default_key_env("https://api.together.xyz/v1"), "TOGETHER_API_KEY");
    assert_null(net_default_key_env("http://api.openai.com/v1")); /* never in clear text */
    assert_null(net_default_key_env("https://api.openai.com.evil.example/v1"));
    assert_null(net_default_key_env("https://user@evil.example/api.openai.com"));
    assert_null(net_default_key_env("http://127.0.0.1:8000/v1"));
    /* a key goes over https, or plain http to this machine only */
    assert_true(net_url_may_carry_key("https://api.example.com/v1"));
    assert_true(net_url_may_carry_key("http://127.0.0.1:8000/v1"));
    assert_true(net_url_may_carry_key("http://127.1.2.3/v1"));
    assert_true(net_url_may_carry_key("HTTP://LOCALHOST:80/v1"));
    assert_true(net_url_may_carry_key("http://[::1]:9/v1"));
    assert_false(net_url_may_carry_key("http://127.0.0.1.evil.example/v1"));
    assert_false(net_url_may_carry_key("http://localhost.evil.example/v1"));
    assert_false(net_url_may_carry_key("http://10.0.0.1/v1"));
    assert_false(net_url_may_carry_key("http://128.0.0.1/v1"));
    assert_false(net_url_may_carry_key("http://evil.example/127.0.0.1"));
    assert_false(net_url_may_carry_key("ftp://127.0.0.1/"));
    assert_false(net_url_may_carry_key(NULL));

    TpError err = {0};
    const char *key = NULL;
    setenv("TP_UNIT_KEY", "sk-test-SECRET123", 1);
    assert_int_equal(net_api_key("TP_UNIT_KEY", true, &key, &err), TP_OK);
    assert_string_equal(key, "sk-test-SECRET123");
    unsetenv("TP_UNIT_MISSING");
    assert_int_equal(net_api_key("TP_UNIT_MISSING", true, &key, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "TP_UNIT_MISSING"));
    assert_int_equal(net_api_key("TP_UNIT_MISSING", false, &key, &err), TP_OK);
    assert_null(key);
    /* a key pasted where the NAME belongs is refused without being echoed */
    assert_int_equal(net_api_key("sk-test-SECRET123", true, &key, &err), TP_EINVAL);
    assert_null(strstr(err.msg, "SECRET123"));

    char s[128] = "Bearer sk-test-SECRET123 and sk-test-SECRET123!";
    net_redact(s, sizeof s, "sk-test-SECRET123");
    assert_string_equal(s, "Bearer [REDACTED] and [REDACTED]!");
    char tiny[12] = "ab sk-12345";
    net_redact(tiny, sizeof tiny, "sk-12345");
    assert_string_equal(tiny, "ab [REDACTE"); /* cut to fit, never overflowing */
    TpError e2;
    tp_error_set(&e2, TP_ERR, "GET x: 401: Incorrect API key provided: sk-test-SECRET123");
    net_redact_error(&e2, "sk-test-SECRET123");
    assert_null(strstr(e2.msg, "SECRET123"));
    assert_non_null(strstr(net_user_agent(), "tunepilot/" TP_VERSION));
}

/* --- audit and estimate --------------------------------------------------------------------- */

static void test_epochs(void **state) {
    (void)state;
    assert_int_equal(remote_default_epochs(1), 25);
    assert_int_equal(remote_default_epochs(10), 10);
    assert_int_equal(remote_default_epochs(12), 8);
    assert_int_equal(remote_default_epochs(33), 3);
    assert_int_equal(remote_default_epochs(34), 3);
    assert_int_equal(remote_default_epochs(5000), 3);
    assert_int_equal(remote_default_epochs(8333), 3);
    assert_int_equal(remote_default_epochs(8334), 2);
    assert_int_equal(remote_default_epochs(9000), 2);
    assert_int_equal(remote_default_epochs(30000), 1);
}

static void test_audit(void **state) {
    (void)state;
    RemoteAudit a;
    TpError err = {0};
    assert_int_equal(remote_audit_file(tp_fixture("net/train.jsonl"), 10, &a, &err), TP_OK);
    assert_int_equal(a.n_examples, 12);
    assert_int_equal(a.n_errors, 0);
    /* 3 priming + (3 + 8/4) + (3 + 4/4) + (3 + 12/4) = 18 per example */
    assert_int_equal(a.approx_tokens, 12 * 18);
    assert_int_equal(a.billed_tokens, 12 * 18);

    assert_int_equal(remote_audit_file(tp_fixture("net/bad.jsonl"), 10, &a, &err), TP_OK);
    assert_int_equal(a.invalid_json, 1);
    assert_int_equal(a.example_missing_assistant_message, 1);
    assert_int_equal(a.unrecognized_role, 1);
    assert_int_equal(a.invalid_weight, 1);
    assert_int_equal(a.missing_messages_list, 1);
    assert_int_equal(a.data_type, 1);
    assert_int_equal(a.message_unrecognized_key, 1);
    assert_int_equal(a.n_errors, 8); /* the seven above and too few examples */
    assert_non_null(strstr(a.problems[0], "bad.jsonl:2: invalid JSON"));

    /* 4 characters per token, counting code points (é is one) */
    assert_int_equal(remote_approx_tokens("abcd"), 1);
    assert_int_equal(remote_approx_tokens("abcde"), 2);
    assert_int_equal(remote_approx_tokens("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 1);

    /* the survey's worked check: 1,000 examples x 500 tokens, 3 epochs on
     * gpt-4.1-mini = 1.5M tokens x $5/M = $7.50 */
    Pricing p;
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    RemoteAudit big = {.n_examples = 1000, .billed_tokens = 500000};
    RemoteEstimate e;
    remote_estimate(&p, "gpt-4.1-mini-2025-04-14", &big, 0, &e);
    assert_int_equal(e.epochs, 3);
    assert_true(e.epochs_auto);
    assert_close(e.cost_usd, 7.50, 1e-9);
    remote_estimate(&p, "gpt-4.1-mini", &big, 2, &e);
    assert_close(e.cost_usd, 5.00, 1e-9);
    remote_estimate(&p, "no-such-model", &big, 0, &e);
    assert_true(isnan(e.cost_usd));
    assert_null(e.price_id);
    pricing_free(&p);

    assert_string_equal(remote_run_status("validating_files"), "running");
    assert_string_equal(remote_run_status("queued"), "running");
    assert_string_equal(remote_run_status("running"), "running");
    assert_string_equal(remote_run_status("succeeded"), "completed");
    assert_string_equal(remote_run_status("failed"), "failed");
    assert_string_equal(remote_run_status("cancelled"), "cancelled");
    assert_true(remote_job_finished("succeeded"));
    assert_false(remote_job_finished("queued"));
}

/* --- price diff ----------------------------------------------------------------------------------
 */

static void test_diff(void **state) {
    (void)state;
    PricingModel a[3] = {{.id = "m-same", .input_per_mtok = 1, .output_per_mtok = 2},
                         {.id = "m-gone", .input_per_mtok = 1, .output_per_mtok = 2},
                         {.id = "m-up", .input_per_mtok = 0.12, .output_per_mtok = 0.48}};
    PricingModel b[3] = {{.id = "m-up", .input_per_mtok = 0.15, .output_per_mtok = 0.48},
                         {.id = "m-new", .input_per_mtok = 3, .output_per_mtok = 4},
                         {.id = "m-same", .input_per_mtok = 1, .output_per_mtok = 2}};
    for (int i = 0; i < 3; i++)
        a[i].cached_input_per_mtok = b[i].cached_input_per_mtok = NAN;
    NetPriceDiff d;
    net_price_diff(a, 3, b, 3, &d);
    assert_int_equal(d.n_added, 1);
    assert_string_equal(d.added[0], "m-new");
    assert_int_equal(d.n_removed, 1);
    assert_string_equal(d.removed[0], "m-gone");
    assert_int_equal(d.n_changed, 1);
    assert_string_equal(d.changed[0].id, "m-up");
    assert_close(net_price_change_pct(d.changed[0].in_a, d.changed[0].in_b), 25.0, 1e-9);
    assert_int_equal(d.n_same, 1);
    net_price_diff_free(&d);
    assert_true(isnan(net_price_change_pct(0, 1)));
    assert_true(isnan(net_price_change_pct(NAN, 1)));
}

/* --- store (schema 5)
 * ------------------------------------------------------------------------------ */

static void test_store(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/net.db", tp_tmpdir());
    Store *s;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    assert_true(store_latest_version() >= 5);

    StoreProbe p = {0};
    snprintf(p.url, sizeof p.url, "http://127.0.0.1:1/v1/chat/completions");
    snprintf(p.model, sizeof p.model, "m");
    p.requests = 4;
    p.n_ok = 3;
    p.n_errors = 1;
    p.error_rate = 0.25;
    p.ttft_p50_ms = 120;
    p.tokens_per_s_p50 = 40;
    p.latency_p50_ms = p.latency_p95_ms = p.latency_p99_ms = NAN;
    p.detail = "{\"samples\":[]}";
    int64_t id = 0;
    assert_int_equal(store_probe_save(s, &p, &id, &err), TP_OK);
    StoreProbe got;
    assert_int_equal(store_probe_get(s, id, &got, &err), TP_OK);
    assert_string_equal(got.model, "m");
    assert_close(got.ttft_p50_ms, 120, 0);
    assert_true(isnan(got.latency_p95_ms));
    assert_string_equal(got.detail, "{\"samples\":[]}");
    store_probe_free(&got);
    assert_int_equal(store_probe_get(s, id + 1, &got, &err), TP_ENOTFOUND);

    StoreHttpValidators v = {.snapshot_id = 3};
    snprintf(v.etag, sizeof v.etag, "\"abc\"");
    assert_int_equal(store_http_validators_get(s, "http://x/p.json", &v, &err), TP_ENOTFOUND);
    snprintf(v.etag, sizeof v.etag, "\"abc\"");
    v.snapshot_id = 3;
    assert_int_equal(store_http_validators_put(s, "http://x/p.json", &v, &err), TP_OK);
    StoreHttpValidators v2;
    assert_int_equal(store_http_validators_get(s, "http://x/p.json", &v2, &err), TP_OK);
    assert_string_equal(v2.etag, "\"abc\"");
    assert_int_equal(v2.snapshot_id, 3);

    StoreRun r = {0};
    snprintf(r.kind, sizeof r.kind, "hosted");
    snprintf(r.model, sizeof r.model, "gpt-4o-mini");
    snprintf(r.method, sizeof r.method, "hosted");
    int64_t run = 0;
    assert_int_equal(store_run_create(s, &r, &run, &err), TP_OK);
    StoreHostedJob j = {.run_id = run};
    snprintf(j.provider, sizeof j.provider, "openai");
    snprintf(j.base_url, sizeof j.base_url, "https://api.openai.com/v1");
    snprintf(j.key_env, sizeof j.key_env, "OPENAI_API_KEY");
    snprintf(j.job_id, sizeof j.job_id, "ftjob-1");
    assert_int_equal(store_hosted_job_create(s, &j, &err), TP_OK);
    snprintf(j.event_cursor, sizeof j.event_cursor, "ev-9");
    snprintf(j.status, sizeof j.status, "running");
    assert_int_equal(store_hosted_job_update(s, &j, &err), TP_OK);
    StoreHostedJob g2;
    assert_int_equal(store_hosted_job_find(s, "ftjob-1", &g2, &err), TP_OK);
    assert_int_equal(g2.run_id, run);
    assert_string_equal(g2.event_cursor, "ev-9");
    assert_int_equal(store_hosted_job_get(s, run + 5, &g2, &err), TP_ENOTFOUND);
    StoreHostedJob *list;
    int n;
    assert_int_equal(store_hosted_job_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, 1);
    free(list);
    store_close(s);
}

/* --- "probe": ID in scenarios
 * ------------------------------------------------------------------------ */

static const char SCENARIO[] =
    "{\"name\":\"p\",\"horizon_months\":1,\"workload\":{\"requests_per_day\":100,"
    "\"input_tokens\":100,\"output_tokens\":100},\"options\":[{\"id\":\"a\",\"kind\":\"api\","
    "\"model\":\"gpt-4.1-mini\",\"probe\":4}]}";

static void test_scenario_probe(void **state) {
    (void)state;
    Pricing p;
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    CostProbe probes[2] = {{3, 900, 10, "2025-01-01", "other", NULL},
                           {4, 250, 80, "2025-06-02", "m", "http://127.0.0.1:1/v1"}};
    CostScenario sc;
    assert_int_equal(
        cost_scenario_parse_ex(SCENARIO, strlen(SCENARIO), "s", &p, probes, 2, &sc, &err), TP_OK);
    assert_close(sc.options[0].ttft_ms.v, 250, 0);
    assert_close(sc.options[0].output_tokens_per_s.v, 80, 0);
    bool found = false;
    for (int i = 0; i < sc.options[0].n_sources; i++)
        found |= !strcmp(sc.options[0].sources[i].source, "measured by probe 4 on 2025-06-02");
    assert_true(found);
    CostProjection proj;
    assert_int_equal(cost_project(&sc, &proj, &err), TP_OK);
    /* latency p50 = ttft + input x prefill + output / speed = 250 + 100 x 0.14 ms
     * (the midpoint of the bundled rule prefill_ms_per_input_token) + 100 / 80 s */
    assert_close(proj.options[0].latency_p50_ms, 250 + 14 + 1250, 1e-6);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    /* the plain parser has no probes */
    assert_int_equal(cost_scenario_parse(SCENARIO, strlen(SCENARIO), "s", &p, &sc, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.options[0].probe: no probe 4"));
    /* a probe without a successful request cannot be used */
    CostProbe failed = {4, NAN, NAN, "2025-06-02", "m", NULL};
    assert_int_equal(
        cost_scenario_parse_ex(SCENARIO, strlen(SCENARIO), "s", &p, &failed, 1, &sc, &err),
        TP_EINVAL);
    assert_non_null(strstr(err.msg, "no successful request"));
    pricing_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_every_split),
        cmocka_unit_test(test_sse_end_and_stop),
        cmocka_unit_test(test_probe_stream),
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_epochs),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_scenario_probe),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
