/* probe.h - measures a real OpenAI-compatible chat endpoint (tunepilot probe).
 *
 * Each request is a streamed chat completion (stream: true, stream_options:
 * {include_usage: true}) of a synthetic prompt of about prompt_tokens tokens
 * (4 characters per token) asking for max_tokens tokens. Measured per
 * request, from the moment the transfer starts:
 *   time to first token  the first chunk with a non-empty delta.content
 *   total latency        the end of the stream ("data: [DONE]")
 *   output tokens        usage.completion_tokens from the final usage chunk,
 *                        else the number of content chunks (flagged)
 *   output tokens/s      output tokens / (total latency - time to first token)
 * A request fails on a transport error, a non-200 answer, an "error" payload
 * or finish_reason "error" in the stream, a stream cut before [DONE], or a
 * stream without any content. Latency percentiles (numpy's linear rule)
 * cover the successful requests; the error rate covers all. Requests run
 * `concurrency` at a time on one thread (libcurl multi), without retries.
 *
 * Owned by the net module (src/net/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_PROBE_H
#define TUNEPILOT_PROBE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/store.h"


typedef struct ProbeSample {
    bool ok;
    long status;                              /* HTTP status; 0 when none */
    double ttft_ms, latency_ms, tokens_per_s; /* NAN when not measured */
    long long output_tokens;
    bool usage_reported; /* output_tokens came from the usage chunk */
    char error[256];     /* why it failed (redacted) */
} ProbeSample;

typedef struct ProbeOptions {
    const char *url; /* a base ending in /v1, or the full chat-completions URL */
    const char *model;
    const char *api_key; /* NULL: no Authorization header */
    int requests, concurrency, prompt_tokens, max_tokens;
    long timeout_ms; /* per request; 0: TUNEPILOT_HTTP_TIMEOUT_MS or 60000 */
    /* called after each request completes (may be NULL) */
    void (*on_sample)(void *ctx, int done, int total, const ProbeSample *s);
    void *ctx;
} ProbeOptions;

typedef struct ProbeResult {
    char endpoint[2048]; /* the URL requested, as shown */
    int n_requests, n_ok, n_errors;
    double error_rate;
    double ttft_p50_ms, ttft_p95_ms, tokens_per_s_p50;
    double latency_p50_ms, latency_p95_ms, latency_p99_ms;
    bool tokens_estimated; /* some output counts were chunk counts */
    ProbeSample *samples;  /* [n_requests], heap */
} ProbeResult;

/* The chat-completions URL for url: url + "/chat/completions" when url ends
 * with /v1 (or /v1/), else url itself. TP_EINVAL when not http(s). */
TpStatus probe_endpoint(const char *url, char *out, size_t size, TpError *err);

/* Validates the options (TP_EINVAL naming the bad one) and runs the probe.
 * TP_OK once every request ran, whether or not it succeeded. */
TpStatus probe_run(const ProbeOptions *o, ProbeResult *r, TpError *err);
void probe_result_free(ProbeResult *r); /* NULL is fine */

/* The result as a JSON document (summary and samples). */
cJSON *probe_result_to_json(const ProbeOptions *o, const ProbeResult *r);

/* Fills a store record from a result (detail: the JSON above). Free with
 * store_probe_free. */
void probe_to_store(const ProbeOptions *o, const ProbeResult *r, StoreProbe *out);

/* Reads one SSE data payload of a streamed chat completion into the
 * request state; exposed for tests. */
typedef struct ProbeStream {
    double t_start, t_first, t_end;              /* ms, monotonic; 0 until seen */
    long long content_chunks, completion_tokens; /* completion_tokens -1 until usage */
    bool done, failed;
    char error[256];
} ProbeStream;
void probe_stream_init(ProbeStream *ps, double t_start);
/* Returns nonzero to stop reading (an error arrived). now_ms: arrival time. */
int probe_stream_data(ProbeStream *ps, const char *data, size_t len, double now_ms);

#endif
