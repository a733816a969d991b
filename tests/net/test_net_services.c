/* test_net_services.c - the latency probe against a streaming chat endpoint
 * (tests/fixtures/net/chat.script) and hosted fine-tuning against the
 * OpenAI API (finetune.script): upload, create, paged events, success,
 * failure, cancel. No API key may reach a message or the database. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_harness.h"
#include "tunepilot/probe.h"
#include "tunepilot/remote.h"
#include "tunepilot/store.h"

static TestServer chat, ft;

static int setup(void **state) {
    (void)state;
    fast_network();
    server_start(&chat, "net/chat.script");
    server_start(&ft, "net/finetune.script");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    server_stop(&chat);
    server_stop(&ft);
    tp_tmpdir_cleanup();
    return 0;
}

/* --- probe -------------------------------------------------------------------------------- */

static void run_probe(const char *prefix, int requests, int concurrency, const char *key,
                      ProbeResult *r) {
    char u[256];
    snprintf(u, sizeof u, "%s/%s/v1", chat.base, prefix);
    ProbeOptions o = {.url = u,
                      .model = "test-model",
                      .api_key = key,
                      .requests = requests,
                      .concurrency = concurrency,
                      .prompt_tokens = 50,
                      .max_tokens = 16,
                      .timeout_ms = 1000};
    TpError err = {0};
    assert_int_equal(probe_run(&o, r, &err), TP_OK);
}

static void test_probe_ok(void **state) {
    (void)state;
    ProbeResult r;
    int before = chat.port ? server_count(&chat, "POST /ok/v1/chat/completions") : 0;
    run_probe("ok", 3, 2, TEST_KEY, &r);
    assert_int_equal(server_count(&chat, "POST /ok/v1/chat/completions") - before, 3);
    assert_int_equal(r.n_ok, 3);
    assert_int_equal(r.n_errors, 0);
    assert_close(r.error_rate, 0, 0);
    /* the first chunk carries only the role; the first content comes 60 ms later */
    assert_true(r.ttft_p50_ms >= 55);
    assert_true(r.latency_p50_ms >= r.ttft_p50_ms + 35);
    assert_true(r.latency_p95_ms >= r.latency_p50_ms);
    assert_true(r.latency_p99_ms >= r.latency_p95_ms);
    for (int i = 0; i < 3; i++) {
        assert_true(r.samples[i].usage_reported);
        assert_int_equal(r.samples[i].output_tokens, 8); /* from the usage chunk */
    }
    assert_false(r.tokens_estimated);
    assert_true(r.tokens_per_s_p50 > 0 && isfinite(r.tokens_per_s_p50));
    assert_non_null(strstr(r.endpoint, "/ok/v1/chat/completions"));
    /* the request the server saw: streaming with the usage chunk asked for */
    FILE *f = fopen(chat.log, "r");
    char line[65536];
    bool streamed = false;
    while (f && fgets(line, sizeof line, f))
        streamed |= strstr(line, "\"stream\":true") &&
                    strstr(line, "\"stream_options\":{\"include_usage\":true}") &&
                    strstr(line, "\"max_tokens\":16");
    if (f)
        fclose(f);
    assert_true(streamed);
    probe_result_free(&r);
}

static void test_probe_framing(void **state) {
    (void)state;
    ProbeResult r;
    /* comments, \r\n, a data line split across chunks, two data lines in one
     * event, no usage chunk: the output count falls back to content chunks */
    run_probe("crlf", 2, 1, NULL, &r);
    assert_int_equal(r.n_ok, 2);
    assert_int_equal(r.samples[0].output_tokens, 2);
    assert_false(r.samples[0].usage_reported);
    assert_true(r.tokens_estimated);
    probe_result_free(&r);
}

static void test_probe_failures(void **state) {
    (void)state;
    ProbeResult r;
    run_probe("midstream", 2, 2, NULL, &r);
    assert_int_equal(r.n_ok, 0);
    assert_close(r.error_rate, 1, 0);
    assert_non_null(strstr(r.samples[0].error, "an error in mid-stream: The model is overloaded"));
    assert_true(isnan(r.ttft_p50_ms));
    probe_result_free(&r);

    run_probe("finish-error", 1, 1, NULL, &r);
    assert_int_equal(r.n_errors, 1);
    assert_non_null(strstr(r.samples[0].error, "finish_reason"));
    probe_result_free(&r);

    run_probe("cut", 1, 1, NULL, &r);
    assert_int_equal(r.n_errors, 1);
    assert_non_null(strstr(r.samples[0].error, "cut"));
    probe_result_free(&r);

    run_probe("flaky", 4, 1, NULL, &r);
    assert_int_equal(r.n_ok, 2);
    assert_int_equal(r.n_errors, 2);
    assert_close(r.error_rate, 0.5, 1e-12);
    assert_string_equal(r.samples[0].error, "HTTP 500: worker crashed");
    assert_true(r.samples[1].ok);
    probe_result_free(&r);

    run_probe("stall", 1, 1, NULL, &r);
    assert_int_equal(r.n_errors, 1);
    assert_non_null(strstr(r.samples[0].error, "timed out"));
    probe_result_free(&r);

    run_probe("echo", 1, 1, TEST_KEY, &r);
    assert_int_equal(r.n_errors, 1);
    assert_non_null(strstr(r.samples[0].error, "HTTP 401"));
    assert_non_null(strstr(r.samples[0].error, "[REDACTED]"));
    assert_null(strstr(r.samples[0].error, "SECRET123"));
    probe_result_free(&r);

    TpError err = {0};
    ProbeOptions bad = {.url = "http://127.0.0.1:1/v1",
                        .model = "m",
                        .requests = 0,
                        .concurrency = 1,
                        .prompt_tokens = 1,
                        .max_tokens = 1};
    assert_int_equal(probe_run(&bad, &r, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "--requests"));
}

/* --- hosted fine-tuning ----------------------------------------------------------------------- */

static Store *store;
static RemoteClient client;

static int64_t submit(const char *expect_job) {
    TpError err = {0};
    char file[256];
    assert_int_equal(
        remote_upload(&client, tp_fixture("net/train.jsonl"), file, sizeof file, NULL, NULL, &err),
        TP_OK);
    RemoteJobSpec spec = {"gpt-4o-mini-2024-07-18", file, NULL, "tp", 2};
    cJSON *job;
    assert_int_equal(remote_create_job(&client, &spec, &job, &err), TP_OK);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(job, "id");
    assert_string_equal(id->valuestring, expect_job);
    StoreRun run = {0};
    snprintf(run.kind, sizeof run.kind, "hosted");
    snprintf(run.method, sizeof run.method, "hosted");
    snprintf(run.model, sizeof run.model, "gpt-4o-mini-2024-07-18");
    run.status = RUN_RUNNING;
    int64_t run_id;
    assert_int_equal(store_run_create(store, &run, &run_id, &err), TP_OK);
    StoreHostedJob j = {.run_id = run_id};
    snprintf(j.provider, sizeof j.provider, "openai");
    snprintf(j.base_url, sizeof j.base_url, "%s", client.base);
    snprintf(j.key_env, sizeof j.key_env, "OPENAI_API_KEY");
    snprintf(j.job_id, sizeof j.job_id, "%s", id->valuestring);
    assert_int_equal(store_hosted_job_create(store, &j, &err), TP_OK);
    cJSON_Delete(job);
    return run_id;
}

static int n_events;
static void count_event(void *ctx, const char *level, const char *message, long long at) {
    (void)ctx;
    (void)level;
    (void)at;
    assert_null(strstr(message, "SECRET123"));
    n_events++;
}

static void test_remote_success(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/remote.db", tp_tmpdir());
    TpError err = {0};
    assert_int_equal(store_open(path, &store, &err), TP_OK);
    assert_int_equal(remote_client_init(&client, ft.base, TEST_KEY, &err), TP_OK);
    /* a wrong key is refused with the provider's message, and not echoed */
    RemoteClient wrong;
    remote_client_init(&wrong, ft.base, "sk-wrong-key", &err);
    char file[256];
    assert_int_not_equal(
        remote_upload(&wrong, tp_fixture("net/train.jsonl"), file, sizeof file, NULL, NULL, &err),
        TP_OK);
    assert_non_null(strstr(err.msg, "HTTP 401 Unauthorized: Incorrect API key provided"));
    assert_null(strstr(err.msg, "sk-wrong-key"));

    int64_t run = submit("ftjob-ok1");
    /* the refused upload, the upload and the job */
    assert_int_equal(server_count(&ft, "  body: "), 3);
    StoreHostedJob j;
    assert_int_equal(store_hosted_job_get(store, run, &j, &err), TP_OK);

    /* first poll: running; two pages of events (newest first, `after` pages back) */
    RemoteSyncResult r;
    n_events = 0;
    assert_int_equal(remote_sync(store, &client, &j, count_event, NULL, &r, &err), TP_OK);
    assert_string_equal(r.status, "running");
    assert_string_equal(r.run_status, "running");
    assert_false(r.finished);
    assert_int_equal(r.new_events, 4);
    assert_int_equal(n_events, 4);
    assert_int_equal(
        server_count(&ft, "GET /v1/fine_tuning/jobs/ftjob-ok1/events?limit=100&after=ev-3"), 1);
    assert_string_equal(j.event_cursor, "ev-4");
    StoreMetric *m;
    int n;
    assert_int_equal(store_run_metrics(store, run, -1, &m, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].step, 1);
    assert_close(m[0].loss, 2.0, 0);
    assert_close(m[1].loss, 1.1, 1e-12);
    assert_close(m[0].elapsed_s, 80, 0); /* event time - job creation */
    free(m);
    StoreRun rec;
    assert_int_equal(store_run_get(store, run, &rec, &err), TP_OK);
    assert_int_equal(rec.total_steps, 3);
    assert_int_equal(rec.status, RUN_RUNNING);
    store_run_free(&rec);

    /* second poll: succeeded; only the events after the cursor, plus a checkpoint */
    n_events = 0;
    assert_int_equal(remote_sync(store, &client, &j, count_event, NULL, &r, &err), TP_OK);
    assert_string_equal(r.status, "succeeded");
    assert_string_equal(r.run_status, "completed");
    assert_true(r.finished);
    assert_int_equal(r.new_events, 2);
    assert_string_equal(j.event_cursor, "ev-6");
    assert_string_equal(j.checkpoint_cursor, "ftckpt-3");
    assert_int_equal(store_run_metrics(store, run, -1, &m, &n, &err), TP_OK);
    assert_int_equal(n, 3);
    assert_close(m[2].loss, 0.7, 1e-12);
    free(m);
    StoreEval *ev;
    assert_int_equal(store_run_evals(store, run, &ev, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].step, 2);
    assert_close(ev[0].loss, 1.3, 1e-12);
    assert_close(ev[0].accuracy, 0.55, 1e-12);
    assert_int_equal(ev[1].step, 3);
    assert_close(ev[1].loss, 0.9, 1e-12); /* full_valid_loss wins over valid_loss */
    assert_string_equal(ev[1].kind, "eval");
    free(ev);
    assert_int_equal(store_run_get(store, run, &rec, &err), TP_OK);
    assert_int_equal(rec.status, RUN_COMPLETED);
    assert_non_null(strstr(rec.message, "ft:gpt-4o-mini-2024-07-18:org-test:tp:abc123"));
    assert_non_null(strstr(rec.summary, "\"trained_tokens\":1728"));
    store_run_free(&rec);
    StoreHostedJob again;
    assert_int_equal(store_hosted_job_find(store, "ftjob-ok1", &again, &err), TP_OK);
    assert_string_equal(again.status, "succeeded");
    assert_string_equal(again.fine_tuned_model, "ft:gpt-4o-mini-2024-07-18:org-test:tp:abc123");
}

static void test_remote_failure_and_cancel(void **state) {
    (void)state;
    TpError err = {0};
    int64_t run = submit("ftjob-fail1");
    StoreHostedJob j;
    assert_int_equal(store_hosted_job_get(store, run, &j, &err), TP_OK);
    RemoteSyncResult r;
    assert_int_equal(remote_sync(store, &client, &j, NULL, NULL, &r, &err), TP_OK);
    assert_string_equal(r.run_status, "failed");
    assert_true(r.finished);
    assert_non_null(strstr(r.message, "Example 3 is missing an assistant message"));
    StoreRun rec;
    assert_int_equal(store_run_get(store, run, &rec, &err), TP_OK);
    assert_int_equal(rec.status, RUN_FAILED);
    assert_non_null(strstr(rec.message, "invalid training file"));
    store_run_free(&rec);

    run = submit("ftjob-cancel1");
    cJSON *job;
    assert_int_equal(remote_cancel_job(&client, "ftjob-cancel1", &job, &err), TP_OK);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(job, "status")->valuestring, "cancelled");
    cJSON_Delete(job);
    assert_int_equal(store_hosted_job_get(store, run, &j, &err), TP_OK);
    assert_int_equal(remote_sync(store, &client, &j, NULL, NULL, &r, &err), TP_OK);
    assert_string_equal(r.run_status, "cancelled");
    assert_int_equal(store_run_get(store, run, &rec, &err), TP_OK);
    assert_int_equal(rec.status, RUN_CANCELLED);
    store_run_free(&rec);

    /* ids go into paths: anything but [A-Za-z0-9._:-] is refused */
    assert_int_equal(remote_get_job(&client, "../files", &job, &err), TP_EINVAL);
    store_close(store);
    assert_false(tmpdir_contains("SECRET123"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_ok),
        cmocka_unit_test(test_probe_framing),
        cmocka_unit_test(test_probe_failures),
        cmocka_unit_test(test_remote_success),
        cmocka_unit_test(test_remote_failure_and_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
