/* net_impl.h - pieces of the HTTP layer shared inside src/net/ (the probe
 * drives several transfers at once with the multi interface and must set
 * each one up exactly like net_http does). */
#ifndef TP_NET_IMPL_H
#define TP_NET_IMPL_H

#include <curl/curl.h>
#include <stdbool.h>

#include "tunepilot/net.h"

/* Settings from the environment (see net.h), read once per call. */
typedef struct NetSettings {
    long timeout_ms, connect_timeout_ms, low_speed_s, backoff_ms, max_wait_ms;
    int retries;
    bool trace;
    const char *ca_bundle;
} NetSettings;

void net_settings(NetSettings *s);

/* curl_global_init, once. */
void net_global_init(void);

/* Applies everything common to every transfer: URL, method, TLS, protocols,
 * timeouts (timeout_ms when > 0, else the setting), proxy variables (libcurl
 * reads them), User-Agent, redirects for GET, compression, and the header
 * list (the caller frees *list with curl_slist_free_all after the transfer).
 * The bearer goes into an Authorization header. Fails only on out-of-range
 * input (TP_EINVAL). */
TpStatus net_easy_setup(CURL *h, const NetRequest *rq, const NetSettings *s,
                        struct curl_slist **list, TpError *err);

/* One line to the trace sink (net_set_trace), if any. */
void net_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Traces "> METHOD URL" and the request headers with the Authorization
 * value replaced by "Bearer [REDACTED]". */
void net_trace_request(const NetRequest *rq);

/* The URL as shown in messages and records: no user:password, and the
 * values of query parameters that look like credentials replaced. */
void net_display_url(const char *url, char *out, size_t size);

/* Milliseconds on a monotonic clock. */
double net_now_ms(void);

/* Sleeps ms milliseconds (interrupted sleeps resume). */
void net_sleep_ms(long ms);

/* A message for a libcurl failure: "timed out after 1.5 s", "the
 * connection closed before the whole body arrived", ... */
NetFailure net_classify(CURLcode rc);

#endif
