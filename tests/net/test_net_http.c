/* test_net_http.c - the HTTP layer and `pricing update` against the scripted
 * server (tests/fixtures/net/prices.script): 200, 304, retries on 5xx and
 * 429 with Retry-After, timeouts, truncated, oversized and invalid bodies.
 * Every failed update must leave every snapshot exactly as it was, and no
 * API key may appear in a message or in the database. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_harness.h"
#include "tunepilot/net.h"
#include "tunepilot/store.h"

static TestServer srv;

static int setup(void **state) {
    (void)state;
    fast_network();
    server_start(&srv, "net/prices.script");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    server_stop(&srv);
    tp_tmpdir_cleanup();
    return 0;
}

static void url(char *out, size_t size, const char *path) {
    snprintf(out, size, "%s%s", srv.base, path);
}

/* --- net_http ------------------------------------------------------------------- */

typedef struct Prog {
    int calls;
    long long last, total;
} Prog;

static int on_progress(void *ctx, long long now, long long total) {
    Prog *p = ctx;
    p->calls++;
    p->last = now;
    if (total > 0)
        p->total = total;
    return 0;
}

static void test_get_ok_and_conditional(void **state) {
    (void)state;
    char u[256];
    url(u, sizeof u, "/prices.json");
    Prog prog = {0};
    NetRequest rq = {.url = u, .retries = -1, .progress = on_progress, .progress_ctx = &prog};
    NetResponse rs;
    TpError err = {0};
    assert_int_equal(net_http(&rq, &rs, &err), TP_OK);
    assert_int_equal(rs.status, 200);
    assert_string_equal(rs.etag, "\"v1\"");
    assert_string_equal(rs.last_modified, "Tue, 21 Oct 2025 07:28:00 GMT");
    assert_non_null(strstr(rs.body, "gpt-4o-mini"));
    assert_int_equal(rs.attempts, 1);
    assert_true(prog.calls > 0);
    assert_int_equal(prog.last, (long long)rs.len);
    assert_int_equal(prog.total, (long long)rs.len);
    net_response_free(&rs);

    const char *h[] = {"If-None-Match: \"v1\"", NULL};
    rq.headers = h;
    assert_int_equal(net_http(&rq, &rs, &err), TP_OK);
    assert_int_equal(rs.status, 304);
    assert_int_equal(rs.len, 0);
    net_response_free(&rs);
}

static void test_retries(void **state) {
    (void)state;
    char u[256];
    NetResponse rs;
    TpError err = {0};
    /* 500 every time: 1 try + 2 retries, then the provider's message */
    url(u, sizeof u, "/fail/500.json");
    NetRequest rq = {.url = u, .retries = -1};
    int before = server_count(&srv, "GET /fail/500.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_HTTP);
    assert_int_equal(rs.attempts, 3);
    assert_int_equal(server_count(&srv, "GET /fail/500.json") - before, 3);
    assert_non_null(strstr(err.msg, "HTTP 500"));
    assert_non_null(strstr(err.msg, "upstream exploded"));
    net_response_free(&rs);

    /* 503 twice, then 200: the backoff gets there */
    url(u, sizeof u, "/flaky.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_OK);
    assert_int_equal(rs.status, 200);
    assert_int_equal(rs.attempts, 3);
    net_response_free(&rs);

    /* 429 with Retry-After: 1 is honoured (about a second), then 200 */
    url(u, sizeof u, "/rate-limited.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_OK);
    assert_int_equal(rs.status, 200);
    assert_int_equal(rs.attempts, 2);
    assert_true(rs.elapsed_ms >= 900);
    net_response_free(&rs);

    /* a Retry-After longer than this command waits fails at once */
    setenv("TUNEPILOT_HTTP_MAX_WAIT_MS", "100", 1);
    url(u, sizeof u, "/rate-limited-long.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.attempts, 1);
    assert_true(rs.elapsed_ms < 1000);
    assert_non_null(strstr(err.msg, "HTTP 429 Too Many Requests"));
    assert_non_null(strstr(err.msg, "retry after 30 s"));
    net_response_free(&rs);
    setenv("TUNEPILOT_HTTP_MAX_WAIT_MS", "3000", 1);

    /* 404 is not retried */
    url(u, sizeof u, "/fail/404.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.attempts, 1);
    assert_non_null(strstr(err.msg, "HTTP 404 Not Found: no such file"));
    net_response_free(&rs);
}

static void test_transport_failures(void **state) {
    (void)state;
    char u[256];
    NetResponse rs;
    TpError err = {0};
    NetRequest rq = {.url = u, .retries = -1, .timeout_ms = 800};

    url(u, sizeof u, "/fail/stall.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TIMEOUT);
    assert_true(rs.elapsed_ms < 5000);
    assert_non_null(strstr(err.msg, "timed out"));
    net_response_free(&rs);

    url(u, sizeof u, "/fail/slow-body.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TIMEOUT);
    net_response_free(&rs);

    url(u, sizeof u, "/fail/truncated.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TRUNCATED);
    assert_non_null(strstr(err.msg, "closed before the whole answer arrived"));
    net_response_free(&rs);

    url(u, sizeof u, "/fail/cut-chunked.json");
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TRUNCATED);
    net_response_free(&rs);

    rq.max_bytes = 100000;
    url(u, sizeof u, "/fail/oversized.json"); /* announces 200 MB */
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TOO_LARGE);
    assert_non_null(strstr(err.msg, "larger than the 100000-byte cap"));
    net_response_free(&rs);

    url(u, sizeof u, "/fail/oversized-chunked.json"); /* no length, 200 KB */
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_TOO_LARGE);
    net_response_free(&rs);

    /* nothing listens on port 1 */
    NetRequest refused = {.url = "http://127.0.0.1:1/x", .retries = 0};
    assert_int_equal(net_http(&refused, &rs, &err), TP_ERR);
    assert_int_equal(rs.failure, NET_FAIL_CONNECT);
    net_response_free(&rs);

    NetRequest bad = {.url = "file:///etc/passwd"};
    assert_int_equal(net_http(&bad, &rs, &err), TP_EINVAL);
    net_response_free(&rs);
}

static void test_key_never_in_messages(void **state) {
    (void)state;
    char u[256];
    url(u, sizeof u, "/echo-auth");
    NetRequest rq = {.url = u, .retries = 0, .bearer = TEST_KEY};
    NetResponse rs;
    TpError err = {0};
    assert_int_equal(net_http(&rq, &rs, &err), TP_ERR);
    /* the server quoted "Bearer sk-test-SECRET123" back; the message hides it */
    assert_non_null(strstr(err.msg, "[REDACTED]"));
    assert_null(strstr(err.msg, "SECRET123"));
    net_response_free(&rs);
    /* credentials in a URL stay out of messages too */
    NetRequest q2 = {.url = "http://user:hunter2@127.0.0.1:1/x?api_key=abc123&limit=5",
                     .retries = 0};
    assert_int_equal(net_http(&q2, &rs, &err), TP_ERR);
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(strstr(err.msg, "abc123"));
    assert_non_null(strstr(err.msg, "limit=5"));
    net_response_free(&rs);
}

/* --- pricing update ------------------------------------------------------------------ */

static Store *store;

/* The snapshots as one string: ids, dates, labels, counts, and every doc. */
static char *snapshot_fingerprint(void) {
    StoreSnapshotInfo *list;
    int n;
    TpError err = {0};
    assert_int_equal(store_snapshot_list(store, &list, &n, &err), TP_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    for (int i = 0; i < n; i++) {
        char **docs;
        int nd;
        assert_int_equal(store_snapshot_models(store, list[i].id, NULL, &docs, &nd, &err), TP_OK);
        len += (size_t)snprintf(out + len, cap - len, "%lld|%s|%s|%d\n", (long long)list[i].id,
                                list[i].as_of, list[i].label, list[i].n_models);
        for (int k = 0; k < nd; k++) {
            len += (size_t)snprintf(out + len, cap - len, "%s\n", docs[k]);
            free(docs[k]);
        }
        free(docs);
    }
    free(list);
    return out;
}

static NetPricesOutcome update(const char *path, bool force, TpStatus want, int64_t *snap) {
    char u[256];
    url(u, sizeof u, path);
    NetPricesUpdate o = {.url = u, .force = force};
    NetPricesResult r;
    TpError err = {0};
    TpStatus st = net_prices_update(store, &o, &r, &err);
    if (st != want)
        fail_msg("update %s: status %d, wanted %d: %s", path, st, want, err.msg);
    if (st != TP_OK) {
        assert_non_null(strstr(err.msg, "no pricing snapshot was changed"));
        return (NetPricesOutcome)-1;
    }
    if (snap)
        *snap = r.snapshot_id;
    return r.outcome;
}

static void test_prices_update(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/prices.db", tp_tmpdir());
    TpError err = {0};
    assert_int_equal(store_open(path, &store, &err), TP_OK);
    int64_t id = 0;
    assert_int_equal(update("/prices.json", false, TP_OK, &id), NET_PRICES_NEW);
    assert_int_equal(id, 1);
    StoreHttpValidators v;
    char u[256];
    url(u, sizeof u, "/prices.json");
    assert_int_equal(store_http_validators_get(store, u, &v, &err), TP_OK);
    assert_string_equal(v.etag, "\"v1\"");
    assert_int_equal(v.snapshot_id, 1);
    /* the conditional request gets 304: nothing new */
    int conditional = server_count(&srv, "  If-None-Match: \"v1\"");
    assert_int_equal(update("/prices.json", false, TP_OK, &id), NET_PRICES_NOT_MODIFIED);
    assert_int_equal(id, 1);
    assert_int_equal(server_count(&srv, "  If-None-Match: \"v1\"") - conditional, 1);
    /* forced: the same prices come back, still no new snapshot */
    assert_int_equal(update("/prices.json", true, TP_OK, &id), NET_PRICES_UNCHANGED);
    assert_int_equal(id, 1);
    /* the as-of date is the Last-Modified date when the file has none */
    StoreSnapshotInfo *list;
    int n;
    assert_int_equal(store_snapshot_list(store, &list, &n, &err), TP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].as_of, "2025-10-21");
    assert_int_equal(list[0].n_models, 3);
    free(list);
    /* new prices: snapshot 2 */
    assert_int_equal(update("/prices-v2.json", false, TP_OK, &id), NET_PRICES_NEW);
    assert_int_equal(id, 2);

    /* every failure leaves every snapshot as it was */
    setenv("TUNEPILOT_HTTP_TIMEOUT_MS", "800", 1);
    setenv("TUNEPILOT_PRICES_MAX_BYTES", "100000", 1);
    char *before = snapshot_fingerprint();
    static const char *const fails[] = {
        "/fail/500.json",
        "/fail/stall.json",
        "/fail/slow-body.json",
        "/fail/truncated.json",
        "/fail/cut-chunked.json",
        "/fail/oversized.json",
        "/fail/oversized-chunked.json",
        "/fail/invalid.json",
        "/fail/not-litellm.json",
        "/fail/404.json",
    };
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        char u2[256];
        url(u2, sizeof u2, fails[i]);
        NetPricesUpdate o = {.url = u2};
        NetPricesResult r;
        TpError e = {0};
        assert_int_not_equal(net_prices_update(store, &o, &r, &e), TP_OK);
        assert_non_null(strstr(e.msg, "no pricing snapshot was changed"));
        char *after = snapshot_fingerprint();
        if (strcmp(before, after))
            fail_msg("%s changed the snapshots", fails[i]);
        free(after);
    }
    free(before);
    unsetenv("TUNEPILOT_PRICES_MAX_BYTES");
    setenv("TUNEPILOT_HTTP_TIMEOUT_MS", "1500", 1);
    store_close(store);
    assert_false(tmpdir_contains("SECRET123"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_ok_and_conditional), cmocka_unit_test(test_retries),
        cmocka_unit_test(test_transport_failures),     cmocka_unit_test(test_key_never_in_messages),
        cmocka_unit_test(test_prices_update),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
