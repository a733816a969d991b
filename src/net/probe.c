/* probe.c - time to first token, output speed and latency percentiles of a
 * streamed OpenAI-compatible chat endpoint (see probe.h for the rules). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net_impl.h"
#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/json.h"
#include "tunepilot/probe.h"
#include "tunepilot/stats.h"


TpStatus probe_endpoint(const char *url, char *out, size_t size, TpError *err) {
    if (!url || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)))
        return tp_error_set(err, TP_EINVAL,
                            "probe: \"%s\": expected an http:// or https:// URL (a base ending "
                            "in /v1, or the full chat-completions URL)",
                            url ? url : "");
    size_t n = strlen(url);
    while (n > 8 && url[n - 1] == '/')
        n--;
    if (n >= 3 && !strncmp(url + n - 3, "/v1", 3))
        snprintf(out, size, "%.*s/chat/completions", (int)n, url);
    else
        snprintf(out, size, "%s", url);
    return TP_OK;
}

/* --- one stream ---------------------------------------------------------------------- */

void probe_stream_init(ProbeStream *ps, double t_start) {
    memset(ps, 0, sizeof *ps);
    ps->t_start = t_start;
    ps->completion_tokens = -1;
}

static int stream_fail(ProbeStream *ps, const char *what, const char *detail) {
    ps->failed = true;
    snprintf(ps->error, sizeof ps->error, "%s%s", what, detail);
    return 1;
}

int probe_stream_data(ProbeStream *ps, const char *data, size_t len, double now_ms) {
    if (len >= 6 && !strncmp(data, "[DONE]", 6)) {
        ps->done = true;
        ps->t_end = now_ms;
        return 0;
    }
    if (ps->done)
        return 0; /* nothing after [DONE] matters */
    cJSON *j = cJSON_ParseWithLength(data, len);
    if (!j) {
        char head[64];
        snprintf(head, sizeof head, "%.*s", (int)(len < 48 ? len : 48), data);
        return stream_fail(ps, "invalid JSON in the stream: ", head);
    }
    int rc = 0;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (e && !cJSON_IsNull(e)) {
        char msg[200];
        net_provider_message(data, len, msg, sizeof msg);
        rc = stream_fail(ps, "an error in mid-stream: ", *msg ? msg : "(no message)");
        goto out;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices"), *c;
    cJSON_ArrayForEach(c, choices) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(c, "delta");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
        if (cJSON_IsString(content) && content->valuestring[0]) {
            if (ps->t_first == 0)
                ps->t_first = now_ms;
            ps->content_chunks++;
        }
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c, "finish_reason");
        if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "error")) {
            rc = stream_fail(ps, "the stream ended with finish_reason ", "\"error\"");
            goto out;
        }
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    int64_t n_ct;
    if (cJSON_IsNumber(ct) && tp_json_to_i64(ct->valuedouble, 0, TP_MAX_PROBE_OUTPUT_TOKENS, &n_ct))
        ps->completion_tokens = n_ct; /* else not reported: 1e300 is no count */
out:
    cJSON_Delete(j);
    return rc;
}

/* --- one request in flight ------------------------------------------------------------ */

typedef struct Req {
    CURL *h;
    struct curl_slist *list;
    NetSse sse;
    ProbeStream ps;
    TpBuf errbody;
    char errbuf[CURL_ERROR_SIZE];
    int index;
} Req;

static int on_event(void *ctx, const char *event, const char *data, size_t len) {
    (void)event;
    Req *r = ctx;
    return probe_stream_data(&r->ps, data, len, net_now_ms());
}

static size_t on_write(char *ptr, size_t size, size_t n, void *arg) {
    Req *r = arg;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200) {
        if (net_sse_feed(&r->sse, ptr, len)) {
            if (r->sse.overflow)
                stream_fail(&r->ps, "", "a line of the stream passed the 4 MiB limit");
            return 0; /* stop: the stream failed */
        }
        return len;
    }
    if (r->errbody.len < TP_MAX_PROBE_ERROR_BODY_BYTES)
        tp_buf_append(&r->errbody, ptr,
                      len < TP_MAX_PROBE_ERROR_BODY_BYTES - r->errbody.len ? len
                                                            : TP_MAX_PROBE_ERROR_BODY_BYTES - r->errbody.len);
    return len;
}

static char *request_body(const ProbeOptions *o, int i) {
    TpBuf prompt;
    tp_buf_init(&prompt);
    tp_buf_printf(&prompt,
                  "Probe request %d of %d. Write a long, detailed story about a "
                  "lighthouse keeper; do not stop early. Background notes follow.\n",
                  i + 1, o->requests);
    static const char FILL[] = "The tide rose over the grey rocks and the lamp turned slowly. ";
    size_t want = (size_t)o->prompt_tokens * 4; /* 4 characters per token */
    while (prompt.len < want) {
        size_t k = want - prompt.len < sizeof FILL - 1 ? want - prompt.len : sizeof FILL - 1;
        tp_buf_append(&prompt, FILL, k);
    }
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", o->model);
    cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", prompt.data);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddNumberToObject(b, "max_tokens", o->max_tokens);
    cJSON_AddBoolToObject(b, "stream", true);
    cJSON *so = cJSON_AddObjectToObject(b, "stream_options");
    cJSON_AddBoolToObject(so, "include_usage", true);
    char *s = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    tp_buf_free(&prompt);
    return s;
}

static void finish_sample(const ProbeOptions *o, Req *r, CURLcode rc, ProbeSample *s) {
    memset(s, 0, sizeof *s);
    s->ttft_ms = s->latency_ms = s->tokens_per_s = NAN;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status == 200 && !r->ps.failed)
        net_sse_finish(&r->sse);
    const ProbeStream *ps = &r->ps;
    if (s->status && s->status != 200) {
        char msg[200];
        net_provider_message(r->errbody.data, r->errbody.len, msg, sizeof msg);
        snprintf(s->error, sizeof s->error, "HTTP %ld%s%s", s->status, *msg ? ": " : "", msg);
    } else if (ps->failed) {
        snprintf(s->error, sizeof s->error, "%s", ps->error);
    } else if (rc != CURLE_OK && !ps->done) {
        NetFailure f = net_classify(rc);
        snprintf(s->error, sizeof s->error, "%s%s",
                 f == NET_FAIL_TIMEOUT     ? "timed out: "
                 : f == NET_FAIL_TRUNCATED ? "the stream was cut: "
                                           : "",
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
    } else if (!ps->done) {
        snprintf(s->error, sizeof s->error, "the stream ended before \"data: [DONE]\"");
    } else if (ps->content_chunks == 0) {
        snprintf(s->error, sizeof s->error, "the stream carried no content");
    } else {
        s->ok = true;
        s->ttft_ms = ps->t_first - ps->t_start;
        s->latency_ms = ps->t_end - ps->t_start;
        s->usage_reported = ps->completion_tokens >= 0;
        s->output_tokens = s->usage_reported ? ps->completion_tokens : ps->content_chunks;
        double decode_s = (ps->t_end - ps->t_first) / 1000.0;
        if (decode_s > 0.0005 && s->output_tokens > 0)
            s->tokens_per_s = (double)s->output_tokens / decode_s;
    }
    net_redact(s->error, sizeof s->error, o->api_key);
}

static TpStatus start(CURLM *m, const ProbeOptions *o, const char *url, const NetSettings *set,
                      Req *r, char **body, TpError *err) {
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: text/event-stream", NULL};
    *body = request_body(o, r->index);
    NetRequest rq = {.method = "POST",
                     .url = url,
                     .headers = headers,
                     .body = *body,
                     .body_len = strlen(*body),
                     .bearer = o->api_key,
                     .timeout_ms = o->timeout_ms};
    r->h = curl_easy_init();
    if (!r->h)
        return tp_error_set(err, TP_ERR, "cannot start a transfer (libcurl)");
    TpStatus st = net_easy_setup(r->h, &rq, set, &r->list, err);
    if (st != TP_OK)
        return st;
    /* the body must outlive the transfer: copy it into libcurl */
    curl_easy_setopt(r->h, CURLOPT_COPYPOSTFIELDS, *body);
    curl_easy_setopt(r->h, CURLOPT_ACCEPT_ENCODING, NULL); /* no buffering decoder */
    curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
    net_sse_init(&r->sse, on_event, r);
    tp_buf_init(&r->errbody);
    if (set->trace)
        net_trace_request(&rq);
    probe_stream_init(&r->ps, net_now_ms());
    curl_multi_add_handle(m, r->h);
    return TP_OK;
}

static void release(Req *r) {
    if (r->h)
        curl_easy_cleanup(r->h);
    curl_slist_free_all(r->list);
    net_sse_free(&r->sse);
    tp_buf_free(&r->errbody);
    r->h = NULL;
    r->list = NULL;
}

static void aggregate(ProbeResult *r) {
    int n = r->n_requests, k = 0, kt = 0;
    double *ttft = tp_xcalloc((size_t)n + 1, sizeof *ttft);
    double *lat = tp_xcalloc((size_t)n + 1, sizeof *lat);
    double *tps = tp_xcalloc((size_t)n + 1, sizeof *tps);
    for (int i = 0; i < n; i++) {
        const ProbeSample *s = &r->samples[i];
        if (!s->ok) {
            r->n_errors++;
            continue;
        }
        r->n_ok++;
        ttft[k] = s->ttft_ms;
        lat[k++] = s->latency_ms;
        if (isfinite(s->tokens_per_s))
            tps[kt++] = s->tokens_per_s;
        if (!s->usage_reported)
            r->tokens_estimated = true;
    }
    r->error_rate = n ? (double)r->n_errors / n : NAN;
    r->ttft_p50_ms = tp_quantile(ttft, k, 0.5);
    r->ttft_p95_ms = tp_quantile(ttft, k, 0.95);
    r->latency_p50_ms = tp_quantile(lat, k, 0.5);
    r->latency_p95_ms = tp_quantile(lat, k, 0.95);
    r->latency_p99_ms = tp_quantile(lat, k, 0.99);
    r->tokens_per_s_p50 = tp_quantile(tps, kt, 0.5);
    free(ttft);
    free(lat);
    free(tps);
}

TpStatus probe_run(const ProbeOptions *o, ProbeResult *r, TpError *err) {
    memset(r, 0, sizeof *r);
    char url[2048];
    TpStatus st = probe_endpoint(o->url, url, sizeof url, err);
    if (st != TP_OK)
        return st;
    if (!o->model || !*o->model)
        return tp_error_set(err, TP_EINVAL, "probe: expected --model NAME");
    if (o->requests < 1 || o->requests > PROBE_MAX_REQUESTS)
        return tp_error_set(err, TP_EINVAL, "probe: --requests: expected 1 to %d, got %d",
                            PROBE_MAX_REQUESTS, o->requests);
    if (o->concurrency < 1 || o->concurrency > PROBE_MAX_CONCURRENCY)
        return tp_error_set(err, TP_EINVAL, "probe: --concurrency: expected 1 to %d, got %d",
                            PROBE_MAX_CONCURRENCY, o->concurrency);
    if (o->prompt_tokens < 1 || o->prompt_tokens > TP_MAX_PROBE_PROMPT_TOKENS)
        return tp_error_set(err, TP_EINVAL, "probe: --prompt-tokens: expected 1 to %d, got %d",
                            TP_MAX_PROBE_PROMPT_TOKENS, o->prompt_tokens);
    if (o->max_tokens < 1 || o->max_tokens > TP_MAX_PROBE_OUTPUT_TOKENS)
        return tp_error_set(err, TP_EINVAL, "probe: --max-tokens: expected 1 to %d, got %d",
                            TP_MAX_PROBE_OUTPUT_TOKENS, o->max_tokens);
    net_global_init();
    NetSettings set;
    net_settings(&set);
    net_display_url(url, r->endpoint, sizeof r->endpoint);
    r->n_requests = o->requests;
    r->samples = tp_xcalloc((size_t)o->requests, sizeof *r->samples);
    Req *reqs = tp_xcalloc((size_t)o->requests, sizeof *reqs);
    CURLM *m = curl_multi_init();
    int next = 0, active = 0, done = 0;
    while (st == TP_OK && done < o->requests) {
        while (st == TP_OK && active < o->concurrency && next < o->requests) {
            Req *q = &reqs[next];
            q->index = next++;
            char *body = NULL;
            st = start(m, o, url, &set, q, &body, err);
            if (body)
                memset(body, 0, strlen(body));
            cJSON_free(body);
            active += st == TP_OK;
        }
        if (st != TP_OK)
            break;
        int running = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            Req *q = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
            CURLcode rc = msg->data.result;
            ProbeSample *s = &r->samples[q->index];
            finish_sample(o, q, rc, s);
            if (set.trace)
                net_trace("< request %d: %s%s", q->index + 1,
                        s->ok ? "ok" : "failed: ", s->ok ? "" : s->error);
            curl_multi_remove_handle(m, q->h);
            release(q);
            active--;
            done++;
            if (o->on_sample)
                o->on_sample(o->ctx, done, o->requests, s);
        }
        if (active)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < o->requests; i++) {
        if (reqs[i].h)
            curl_multi_remove_handle(m, reqs[i].h);
        release(&reqs[i]);
    }
    curl_multi_cleanup(m);
    free(reqs);
    if (st != TP_OK) {
        net_redact_error(err, o->api_key);
        probe_result_free(r);
        return st;
    }
    aggregate(r);
    return TP_OK;
}

void probe_result_free(ProbeResult *r) {
    if (!r)
        return;
    free(r->samples);
    r->samples = NULL;
}

cJSON *probe_result_to_json(const ProbeOptions *o, const ProbeResult *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "tunepilot.probe");
    cJSON_AddStringToObject(j, "endpoint", r->endpoint);
    cJSON_AddStringToObject(j, "model", o->model);
    cJSON_AddNumberToObject(j, "requests", r->n_requests);
    cJSON_AddNumberToObject(j, "concurrency", o->concurrency);
    cJSON_AddNumberToObject(j, "prompt_tokens", o->prompt_tokens);
    cJSON_AddNumberToObject(j, "max_tokens", o->max_tokens);
    cJSON_AddNumberToObject(j, "ok", r->n_ok);
    cJSON_AddNumberToObject(j, "errors", r->n_errors);
    tp_json_add_num(j, "error_rate", r->error_rate);
    cJSON *t = cJSON_AddObjectToObject(j, "ttft_ms");
    tp_json_add_num(t, "p50", r->ttft_p50_ms);
    tp_json_add_num(t, "p95", r->ttft_p95_ms);
    cJSON *v = cJSON_AddObjectToObject(j, "output_tokens_per_s");
    tp_json_add_num(v, "p50", r->tokens_per_s_p50);
    cJSON *l = cJSON_AddObjectToObject(j, "latency_ms");
    tp_json_add_num(l, "p50", r->latency_p50_ms);
    tp_json_add_num(l, "p95", r->latency_p95_ms);
    tp_json_add_num(l, "p99", r->latency_p99_ms);
    cJSON_AddBoolToObject(j, "output_tokens_estimated", r->tokens_estimated);
    cJSON *arr = cJSON_AddArrayToObject(j, "samples");
    for (int i = 0; i < r->n_requests; i++) {
        const ProbeSample *s = &r->samples[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddBoolToObject(e, "ok", s->ok);
        cJSON_AddNumberToObject(e, "status", (double)s->status);
        tp_json_add_num(e, "ttft_ms", s->ttft_ms);
        tp_json_add_num(e, "latency_ms", s->latency_ms);
        cJSON_AddNumberToObject(e, "output_tokens", (double)s->output_tokens);
        tp_json_add_num(e, "output_tokens_per_s", s->tokens_per_s);
        cJSON_AddBoolToObject(e, "usage_reported", s->usage_reported);
        if (!s->ok)
            cJSON_AddStringToObject(e, "error", s->error);
        cJSON_AddItemToArray(arr, e);
    }
    return j;
}

void probe_to_store(const ProbeOptions *o, const ProbeResult *r, StoreProbe *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->url, sizeof out->url, "%s", r->endpoint);
    snprintf(out->model, sizeof out->model, "%s", o->model);
    out->requests = r->n_requests;
    out->concurrency = o->concurrency;
    out->prompt_tokens = o->prompt_tokens;
    out->max_tokens = o->max_tokens;
    out->n_ok = r->n_ok;
    out->n_errors = r->n_errors;
    out->error_rate = r->error_rate;
    out->ttft_p50_ms = r->ttft_p50_ms;
    out->ttft_p95_ms = r->ttft_p95_ms;
    out->tokens_per_s_p50 = r->tokens_per_s_p50;
    out->latency_p50_ms = r->latency_p50_ms;
    out->latency_p95_ms = r->latency_p95_ms;
    out->latency_p99_ms = r->latency_p99_ms;
    cJSON *j = probe_result_to_json(o, r);
    out->detail = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
}
