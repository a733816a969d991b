/* net.h - the one HTTP layer (over libcurl), Server-Sent Events, API keys,
 * and the price-file update built on them.
 *
 * Every request: TLS verification on (peer and host), only http and https,
 * connect / total / low-speed timeouts, a cap on the response size,
 * retries with exponential backoff on 429 and 5xx that honour Retry-After
 * (seconds or an HTTP date), libcurl's proxy variables (http_proxy,
 * https_proxy / HTTPS_PROXY, all_proxy / ALL_PROXY, no_proxy / NO_PROXY),
 * and the User-Agent "tunepilot/<version> libcurl/<version>".
 *
 * Settings read from the environment (tests make them short):
 *   TUNEPILOT_HTTP_TIMEOUT_MS          whole request (default 60000)
 *   TUNEPILOT_HTTP_CONNECT_TIMEOUT_MS  connection set-up (default 10000)
 *   TUNEPILOT_HTTP_LOW_SPEED_S         abort below 1 byte/s for this long (default 30)
 *   TUNEPILOT_HTTP_RETRIES             retries after the first try (default 3)
 *   TUNEPILOT_HTTP_BACKOFF_MS          first backoff, doubled each retry (default 500)
 *   TUNEPILOT_HTTP_MAX_WAIT_MS         longest wait for one retry (default 60000); a
 *                                      longer Retry-After fails at once
 *   TUNEPILOT_HTTP_TRACE=1             pass each request and answer, with the
 *                                      Authorization header redacted, to the trace
 *                                      sink a face set (net_set_trace; the CLI
 *                                      writes the lines to stderr)
 *   TUNEPILOT_CA_BUNDLE                a CA file instead of the system's
 *
 * API keys are passed as `bearer` and are sent only in the Authorization
 * header, only over https (or plain http to loopback: a local server). They never appear in a message this layer writes: every error
 * text, including what a server answered, goes through net_redact first.
 *
 * Owned by the net module (src/net/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_NET_H
#define TUNEPILOT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

/* Where TUNEPILOT_HTTP_TRACE's lines go: fn gets each line without its
 * newline, secrets already redacted (line is valid during the call; fn may be
 * called from several threads at once when requests run in parallel). NULL,
 * the default: nowhere. A face sets it once, before any request. */
typedef void (*NetTraceFn)(void *ctx, const char *line);
void net_set_trace(NetTraceFn fn, void *ctx);


/* Called as bytes arrive: `now` so far, `total` expected or -1 when the
 * server did not say. Return nonzero to abort the transfer. */
typedef int (*NetProgressFn)(void *ctx, long long now, long long total);
/* Receives a 2xx body as it streams (instead of buffering it). Return
 * nonzero to stop the transfer (then the request fails as aborted). */
typedef int (*NetDataFn)(void *ctx, const char *data, size_t len);

/* One part of a multipart/form-data body: a plain field (value) or a file
 * (file_path, sent under filename). */
typedef struct NetPart {
    const char *name;
    const char *value;
    const char *file_path;
    const char *filename;
    const char *content_type; /* NULL: libcurl's guess */
} NetPart;

typedef struct NetRequest {
    const char *method; /* "GET" (NULL), "POST", "DELETE", ... */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
    const char *body;           /* request body (set Content-Type in headers) */
    size_t body_len;
    const NetPart *parts; /* multipart/form-data body instead of `body` */
    int n_parts;
    const char *bearer; /* API key: "Authorization: Bearer ..."; never echoed */
    size_t max_bytes;   /* response cap; 0 = NET_DEFAULT_MAX_BYTES */
    int retries;        /* < 0: TUNEPILOT_HTTP_RETRIES or 3 */
    long timeout_ms;    /* 0: TUNEPILOT_HTTP_TIMEOUT_MS or 60000 */
    NetProgressFn progress;
    void *progress_ctx;
    NetDataFn on_data;
    void *data_ctx;
} NetRequest;

/* Why a request failed (NET_OK when it did not). */
typedef enum {
    NET_OK = 0,
    NET_FAIL_HTTP,      /* the server answered 4xx or 5xx (after any retries) */
    NET_FAIL_TIMEOUT,   /* connect, total or low-speed timeout */
    NET_FAIL_TRUNCATED, /* the connection closed before the whole body arrived */
    NET_FAIL_TOO_LARGE, /* the body passed the cap */
    NET_FAIL_CONNECT,   /* name lookup, connection or TLS failure */
    NET_FAIL_ABORTED,   /* a callback asked to stop */
    NET_FAIL_OTHER,
} NetFailure;

typedef struct NetResponse {
    long status; /* HTTP status of the last try; 0 when none arrived */
    char *body;  /* heap, NUL-terminated (NULL when empty); error bodies too */
    size_t len;
    char etag[256], last_modified[128], content_type[128];
    int attempts;      /* tries made (1 + retries used) */
    double elapsed_ms; /* all tries, waits included */
    NetFailure failure;
} NetResponse;

/* Performs the request, retrying 429 and 5xx answers. TP_OK when a 1xx-3xx
 * answer arrived whole (rs->status says which: 304 is TP_OK too). Else
 * TP_ERR (TP_EINVAL for a bad URL or part) with a message "METHOD URL: why"
 * that quotes the provider's error message when its body has one; rs keeps
 * the last answer for the caller to inspect. Free rs with net_response_free
 * in every case. */
TpStatus net_http(const NetRequest *rq, NetResponse *rs, TpError *err);
void net_response_free(NetResponse *rs); /* NULL is fine */

/* The message of an error body: error.message, error (a string), message,
 * or detail; out is empty when there is none. */
void net_provider_message(const char *body, size_t len, char *out, size_t size);

/* "tunepilot/0.1.0 libcurl/7.88.1" (static storage). */
const char *net_user_agent(void);

/* --- API keys ---------------------------------------------------------------- */

/* Replaces every occurrence of secret (when non-NULL and at least 4 bytes) in
 * the NUL-terminated s (size bytes of storage) by "[REDACTED]". */
void net_redact(char *s, size_t size, const char *secret);
/* The same over an error's message. */
void net_redact_error(TpError *err, const char *secret);

/* True when url's host is this machine: localhost, 127.0.0.0/8 or [::1]. */
bool net_url_is_loopback(const char *url);
/* True when a key may be sent to url: https, or plain http to loopback
 * only (a local test server). net_http refuses a bearer for any other URL. */
bool net_url_may_carry_key(const char *url);

/* The variable that holds the key for url's host when the user names none:
 * OPENAI_API_KEY for api.openai.com, TOGETHER_API_KEY for api.together.xyz,
 * else NULL (a key is never sent to another host unless named with
 * --api-key-env, so a probe of a third-party server cannot leak it). */
const char *net_default_key_env(const char *url);

/* True when an environment variable of this name holds a secret: one of
 * its '_'-separated parts is KEY, APIKEY, TOKEN, SECRET(S), PASSWORD,
 * PASSWD or CREDENTIAL(S), in any case (OPENAI_API_KEY, HF_TOKEN,
 * AWS_SECRET_ACCESS_KEY; not TOKENIZERS_PARALLELISM). name may be a
 * "NAME=VALUE" entry of environ. */
bool net_env_is_secret(const char *name);
/* Secret values shorter than this are not redacted (they would hit
 * ordinary text: a flag set to "1"). */
#define NET_SECRET_MIN_LEN 8
/* Copies of the values of this process's secret variables (net_env_is_secret,
 * NET_SECRET_MIN_LEN bytes or more), NULL-terminated; free with
 * net_secrets_free (which wipes them). */
char **net_secret_values(void);
void net_secrets_free(char **v);
/* A new NUL-terminated copy of s[0..len) with every occurrence of each of
 * the NULL-terminated secrets replaced by "[REDACTED]"; *out_len (may be
 * NULL) gets its length. The caller frees it. */
char *net_redact_all(const char *s, size_t len, char *const *secrets, size_t *out_len);

/* Reads the key from variable env_name into *key (the environment's own
 * storage). A missing or empty variable is TP_EINVAL when required, else
 * *key = NULL. A name that is not [A-Za-z_][A-Za-z0-9_]* is TP_EINVAL. */
TpStatus net_api_key(const char *env_name, bool required, const char **key, TpError *err);

/* --- Server-Sent Events ------------------------------------------------------ */

/* One event: `data` is its data lines joined by "\n" (NUL-terminated),
 * `event` its event name or "". Return nonzero to stop parsing. */

typedef int (*NetSseFn)(void *ctx, const char *event, const char *data, size_t len);

typedef struct NetSse {
    NetSseFn fn;
    void *ctx;
    char *line; /* the line being read */
    size_t line_len, line_cap;
    char *data; /* the event's data so far */
    size_t data_len, data_cap;
    bool have_data;
    bool after_cr; /* the last byte was \r (a \n right after it is skipped) */
    char event[64];
    bool stopped;
    bool overflow; /* a line or an event passed NET_SSE_MAX_LINE: parsing stopped */
    long long n_events, n_comments;
} NetSse;

/* An incremental parser: lines end in \n, \r\n or \r; ':' lines are
 * comments; "data:" lines accumulate; a blank line dispatches the event.
 * Feed it any slicing of the stream. */
void net_sse_init(NetSse *p, NetSseFn fn, void *ctx);
/* Returns nonzero once the callback asked to stop. */
int net_sse_feed(NetSse *p, const char *buf, size_t len);
/* End of stream: dispatches a pending event whose last line was complete
 * (a lenient reading: some servers omit the final blank line). */
int net_sse_finish(NetSse *p);
void net_sse_free(NetSse *p);

/* --- price-file update (tunepilot pricing update) ---------------------------- */

#define NET_PRICES_URL                                                                             \
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"

typedef enum {
    NET_PRICES_NEW,          /* a new snapshot was stored */
    NET_PRICES_NOT_MODIFIED, /* 304: the server has nothing newer */
    NET_PRICES_UNCHANGED,    /* downloaded, but the prices equal the newest snapshot's */
} NetPricesOutcome;

typedef struct NetPricesUpdate {
    const char *url;   /* NULL: $TUNEPILOT_PRICES_URL, else NET_PRICES_URL */
    const char *label; /* NULL: "LiteLLM price file (update)" */
    bool force;        /* no conditional request */
    NetProgressFn progress;
    void *progress_ctx;
} NetPricesUpdate;

typedef struct NetPricesResult {
    NetPricesOutcome outcome;
    int64_t snapshot_id; /* the new snapshot, or the one that still holds */
    int n_models, n_skipped, n_unsafe; /* n_unsafe: entries refused for their text (text.h) */
    long long bytes;
    long status; /* 200 or 304 */
    char as_of[16];
    char url[2048];
} NetPricesResult;

/* Downloads the LiteLLM price file with a conditional request (the ETag and
 * Last-Modified of the last download of that URL), validates it with
 * pricing_import_litellm and stores a new dated snapshot only when its
 * prices differ from the newest snapshot's. Any failure (network, HTTP,
 * timeout, a cut or oversized body, an invalid file) returns an error that
 * says why, and leaves every snapshot as it was. The response cap is
 * NET_PRICES_MAX_BYTES, or $TUNEPILOT_PRICES_MAX_BYTES. */
TpStatus net_prices_update(Store *s, const NetPricesUpdate *o, NetPricesResult *r, TpError *err);

/* --- price diff (tunepilot pricing diff) ------------------------------------- */

typedef struct NetPriceChange {
    const char *id;
    double in_a, in_b, out_a, out_b, cached_a, cached_b; /* per 1M tokens; NAN absent */
} NetPriceChange;

typedef struct NetPriceDiff {
    const char **added, **removed; /* model ids (borrowed from the inputs) */
    int n_added, n_removed;
    NetPriceChange *changed;
    int n_changed;
    int n_same;
} NetPriceDiff;

/* Compares two model lists by id: added (in b only), removed (in a only),
 * and changed input, output or cached-input prices. Sorted by id. */
void net_price_diff(const PricingModel *a, int na, const PricingModel *b, int nb,
                    NetPriceDiff *out);
void net_price_diff_free(NetPriceDiff *d);
/* Relative change of a price in percent (b - a) / a * 100; NAN when a is 0
 * or either is absent. */
double net_price_change_pct(double a, double b);

#endif
