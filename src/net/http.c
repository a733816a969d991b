/* http.c - the one HTTP layer over libcurl: TLS on, timeouts, a size cap,
 * retries with backoff on 429 and 5xx honouring Retry-After, proxies from
 * the usual variables (libcurl reads them), a tunepilot User-Agent, and
 * error messages that never carry the API key. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "net/net_impl.h"
#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"

#ifndef TP_VERSION
#define TP_VERSION "0.0.0"
#endif


/* --- settings ------------------------------------------------------------------ */

static long env_long(const char *name, long dflt, long min, long max) {
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return dflt;
    return x;
}

static NetTraceFn g_trace_fn;
static void *g_trace_ctx;

void net_set_trace(NetTraceFn fn, void *ctx) {
    g_trace_fn = fn;
    g_trace_ctx = ctx;
}

void net_trace(const char *fmt, ...) {
    if (!g_trace_fn)
        return;
    char line[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    g_trace_fn(g_trace_ctx, line);
}

void net_settings(NetSettings *s) {
    s->timeout_ms = env_long("TUNEPILOT_HTTP_TIMEOUT_MS", 60000, 1, 86400000L);
    s->connect_timeout_ms = env_long("TUNEPILOT_HTTP_CONNECT_TIMEOUT_MS", 10000, 1, 600000);
    s->low_speed_s = env_long("TUNEPILOT_HTTP_LOW_SPEED_S", 30, 1, 86400);
    s->retries = (int)env_long("TUNEPILOT_HTTP_RETRIES", 3, 0, 20);
    s->backoff_ms = env_long("TUNEPILOT_HTTP_BACKOFF_MS", 500, 0, 600000);
    s->max_wait_ms = env_long("TUNEPILOT_HTTP_MAX_WAIT_MS", 60000, 0, 3600000);
    const char *t = getenv("TUNEPILOT_HTTP_TRACE");
    s->trace = t && *t && strcmp(t, "0") != 0 && g_trace_fn != NULL;
    const char *ca = getenv("TUNEPILOT_CA_BUNDLE");
    s->ca_bundle = ca && *ca ? ca : NULL;
}

/* Both run once, under pthread_once: eval's workers reach them from several
 * threads at the same moment, and a lazily filled buffer read by one thread
 * while another writes it handed libcurl a string with no end. */
static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static char g_ua[96];

static void curl_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(g_ua, sizeof g_ua, "tunepilot/%s libcurl/%s", TP_VERSION,
             v && v->version ? v->version : "?");
}

void net_global_init(void) {
    pthread_once(&g_curl_once, curl_once);
}

const char *net_user_agent(void) {
    net_global_init();
    return g_ua;
}

double net_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void net_sleep_ms(long ms) {
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* --- redaction and display --------------------------------------------------------- */

void net_redact(char *s, size_t size, const char *secret) {
    static const char MARK[] = "[REDACTED]";
    if (!s || !secret || size == 0)
        return;
    size_t n = strlen(secret);
    if (n < 4 || !strstr(s, secret))
        return;
    char *out = tp_xmalloc(size);
    size_t o = 0;
    for (const char *p = s; *p && o + 1 < size;) {
        if (!strncmp(p, secret, n)) {
            for (size_t k = 0; MARK[k] && o + 1 < size; k++)
                out[o++] = MARK[k];
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(s, out, o + 1);
    free(out);
}

void net_redact_error(TpError *err, const char *secret) {
    if (err)
        net_redact(err->msg, sizeof err->msg, secret);
}

/* The URL as shown in messages: no user:password, and the values of query
 * parameters that look like credentials (key, token, secret, sig) hidden. */
void net_display_url(const char *url, char *out, size_t size) {
    TpBuf b;
    tp_buf_init(&b);
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@'), *slash = strpbrk(host, "/?#");
    if (at && (!slash || at < slash)) {
        tp_buf_append(&b, url, (size_t)(host - url));
        host = at + 1;
    } else {
        host = url;
    }
    const char *q = strchr(host, '?');
    tp_buf_append(&b, host, q ? (size_t)(q - host) : strlen(host));
    while (q && *q) {
        const char *end = strpbrk(q + 1, "&#");
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        char name[64] = "";
        if (eq)
            snprintf(name, sizeof name, "%.*s", (int)(eq - q - 1), q + 1);
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        if (eq && (strstr(name, "key") || strstr(name, "token") || strstr(name, "secret") ||
                   strstr(name, "sig"))) {
            tp_buf_append(&b, q, (size_t)(eq - q) + 1);
            tp_buf_puts(&b, "[REDACTED]");
        } else {
            tp_buf_append(&b, q, len);
        }
        q = end && *end == '&' ? end : NULL;
    }
    snprintf(out, size, "%s", b.data ? b.data : "");
    tp_buf_free(&b);
}

static bool secret_header(const char *h) {
    return !strncasecmp(h, "authorization:", 14) || !strncasecmp(h, "x-api-key:", 10) ||
           !strncasecmp(h, "api-key:", 8) || !strncasecmp(h, "proxy-authorization:", 20);
}

void net_trace_request(const NetRequest *rq) {
    char url[2048];
    net_display_url(rq->url, url, sizeof url);
    net_trace("> %s %s", rq->method ? rq->method : "GET", url);
    net_trace("> User-Agent: %s", net_user_agent());
    if (rq->bearer)
        net_trace("> Authorization: Bearer [REDACTED]");
    for (const char *const *h = rq->headers; h && *h; h++) {
        if (secret_header(*h)) {
            const char *colon = strchr(*h, ':');
            net_trace("> %.*s: [REDACTED]", (int)(colon - *h), *h);
        } else {
            net_trace("> %s", *h);
        }
    }
    if (rq->n_parts)
        net_trace("> (multipart/form-data, %d parts)", rq->n_parts);
    else if (rq->body)
        net_trace("> (body: %zu bytes)", rq->body_len);
}

/* --- provider messages --------------------------------------------------------------- */

void net_provider_message(const char *body, size_t len, char *out, size_t size) {
    if (size)
        out[0] = '\0';
    if (!body || !len || !size)
        return;
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (j) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
        if (!cJSON_IsString(m))
            m = cJSON_GetObjectItemCaseSensitive(j, "message");
        if (!cJSON_IsString(m))
            m = cJSON_GetObjectItemCaseSensitive(j, "detail");
        if (cJSON_IsString(m))
            snprintf(out, size, "%s", m->valuestring);
        cJSON_Delete(j);
        return;
    }
    /* Plain text (not HTML): its first line, shortened. */
    size_t k = 0;
    while (k < len && (body[k] == ' ' || body[k] == '\n' || body[k] == '\r'))
        k++;
    if (k < len && body[k] != '<') {
        size_t e = k;
        while (e < len && body[e] != '\n' && body[e] != '\r' && e - k < 200)
            e++;
        snprintf(out, size, "%.*s", (int)(e - k), body + k);
    }
}

/* --- setting up a transfer ------------------------------------------------------------ */

TpStatus net_easy_setup(CURL *h, const NetRequest *rq, const NetSettings *s,
                        struct curl_slist **list, TpError *err) {
    *list = NULL;
    if (!rq->url || (strncasecmp(rq->url, "http://", 7) && strncasecmp(rq->url, "https://", 8)))
        return tp_error_set(err, TP_EINVAL, "\"%s\": expected an http:// or https:// URL",
                            rq->url ? rq->url : "(none)");
    bool https = !strncasecmp(rq->url, "https://", 8);
    if (rq->bearer && !net_url_may_carry_key(rq->url))
        return tp_error_set(err, TP_EINVAL,
                            "%s: refusing to send an API key over plain http to another "
                            "machine (use https://; plain http is allowed only to localhost, "
                            "127.0.0.1 or [::1])",
                            rq->url);
    const char *method = rq->method ? rq->method : "GET";
    long timeout = rq->timeout_ms > 0 ? rq->timeout_ms : s->timeout_ms;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_bundle)
        curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_bundle);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     s->connect_timeout_ms < timeout ? s->connect_timeout_ms : timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->low_speed_s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, net_user_agent());
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        /* never from https down to plain http */
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    } else if (!strcmp(method, "POST")) {
        if (!rq->n_parts) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        }
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (rq->body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        }
    }
    struct curl_slist *l = NULL;
    l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
    if (rq->bearer) {
        for (const char *c = rq->bearer; *c; c++)
            if (*c == '\r' || *c == '\n') {
                curl_slist_free_all(l);
                return tp_error_set(err, TP_EINVAL, "the API key contains a line break");
            }
        TpBuf b;
        tp_buf_init(&b);
        tp_buf_printf(&b, "Authorization: Bearer %s", rq->bearer);
        l = curl_slist_append(l, b.data);
        memset(b.data, 0, b.len); /* the list keeps its own copy */
        tp_buf_free(&b);
    }
    for (const char *const *hd = rq->headers; hd && *hd; hd++)
        l = curl_slist_append(l, *hd);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    *list = l;
    return TP_OK;
}

/* --- one transfer ------------------------------------------------------------------------ */

typedef struct Xfer {
    CURL *h;
    const NetRequest *rq;
    NetResponse *rs;
    TpBuf body;
    size_t cap;
    bool too_large, streamed, stopped;
} Xfer;

static size_t on_write(char *ptr, size_t size, size_t n, void *arg) {
    Xfer *x = arg;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300 && x->rq->on_data) {
        x->streamed = true;
        if (x->rq->on_data(x->rq->data_ctx, ptr, len)) {
            x->stopped = true;
            return 0;
        }
        return len;
    }
    if (code >= 400) {
        if (x->body.len < TP_MAX_ERROR_BODY_BYTES)
            tp_buf_append(&x->body, ptr,
                          len < TP_MAX_ERROR_BODY_BYTES - x->body.len ? len : TP_MAX_ERROR_BODY_BYTES - x->body.len);
        return len;
    }
    if (x->body.len + len > x->cap) {
        x->too_large = true;
        return 0;
    }
    tp_buf_append(&x->body, ptr, len);
    return len;
}

static void header_value(const char *line, size_t len, size_t skip, char *out, size_t size) {
    const char *v = line + skip;
    size_t n = len - skip;
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    snprintf(out, size, "%.*s", (int)n, v);
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg) {
    Xfer *x = arg;
    size_t len = size * n;
    if (len >= 5 && !strncmp(ptr, "HTTP/", 5)) {
        /* a new answer (after a redirect or 100 Continue): forget the last */
        x->rs->etag[0] = x->rs->last_modified[0] = x->rs->content_type[0] = '\0';
    } else if (len > 5 && !strncasecmp(ptr, "etag:", 5)) {
        header_value(ptr, len, 5, x->rs->etag, sizeof x->rs->etag);
    } else if (len > 14 && !strncasecmp(ptr, "last-modified:", 14)) {
        header_value(ptr, len, 14, x->rs->last_modified, sizeof x->rs->last_modified);
    } else if (len > 13 && !strncasecmp(ptr, "content-type:", 13)) {
        header_value(ptr, len, 13, x->rs->content_type, sizeof x->rs->content_type);
    }
    return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
    (void)ultotal;
    (void)ulnow;
    Xfer *x = arg;
    return x->rq->progress(x->rq->progress_ctx, (long long)dlnow,
                           dltotal > 0 ? (long long)dltotal : -1);
}

NetFailure net_classify(CURLcode rc) {
    switch (rc) {
    case CURLE_OK:
        return NET_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return NET_FAIL_TIMEOUT;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_BAD_CONTENT_ENCODING:
        return NET_FAIL_TRUNCATED;
    case CURLE_FILESIZE_EXCEEDED:
        return NET_FAIL_TOO_LARGE;
    case CURLE_ABORTED_BY_CALLBACK:
        return NET_FAIL_ABORTED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SEND_ERROR:
        return NET_FAIL_CONNECT;
    default:
        return NET_FAIL_OTHER;
    }
}

static const char *reason(long code) {
    switch (code) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

static bool retryable(long code) {
    return code == 429 || (code >= 500 && code <= 599);
}

void net_response_free(NetResponse *rs) {
    if (!rs)
        return;
    free(rs->body);
    rs->body = NULL;
    rs->len = 0;
}

/* One try. Returns the libcurl code; rs gets status, headers and body. */
static CURLcode attempt(const NetRequest *rq, const NetSettings *s, NetResponse *rs, Xfer *x,
                        char *errbuf, long *retry_after_s, TpStatus *setup, TpError *err) {
    CURL *h = curl_easy_init();
    if (!h) {
        *setup = tp_error_set(err, TP_ERR, "cannot start a transfer (libcurl)");
        return CURLE_FAILED_INIT;
    }
    struct curl_slist *list = NULL;
    curl_mime *mime = NULL;
    *setup = net_easy_setup(h, rq, s, &list, err);
    CURLcode rc = CURLE_FAILED_INIT;
    if (*setup != TP_OK)
        goto done;
    if (rq->n_parts) {
        mime = curl_mime_init(h);
        for (int i = 0; i < rq->n_parts; i++) {
            const NetPart *p = &rq->parts[i];
            curl_mimepart *mp = curl_mime_addpart(mime);
            curl_mime_name(mp, p->name);
            if (p->file_path) {
                FILE *f = fopen(p->file_path, "rb");
                if (!f) {
                    *setup = tp_error_set(err, TP_EINVAL, "%s: cannot read: %s", p->file_path,
                                          strerror(errno));
                    goto done;
                }
                fclose(f);
                curl_mime_filedata(mp, p->file_path);
                if (p->filename)
                    curl_mime_filename(mp, p->filename);
            } else {
                curl_mime_data(mp, p->value ? p->value : "", CURL_ZERO_TERMINATED);
            }
            if (p->content_type)
                curl_mime_type(mp, p->content_type);
        }
        curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    }
    memset(x, 0, sizeof *x);
    x->h = h;
    x->rq = rq;
    x->rs = rs;
    x->cap = rq->max_bytes ? rq->max_bytes : NET_DEFAULT_MAX_BYTES;
    tp_buf_init(&x->body);
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (rq->progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    }
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        *retry_after_s = (long)ra;
    free(rs->body);
    rs->len = x->body.len;
    rs->body = tp_buf_take(&x->body);
done:
    curl_mime_free(mime);
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    return rc;
}

TpStatus net_http(const NetRequest *rq, NetResponse *rs, TpError *err) {
    memset(rs, 0, sizeof *rs);
    net_global_init();
    NetSettings s;
    net_settings(&s);
    int retries = rq->retries >= 0 ? rq->retries : s.retries;
    const char *method = rq->method ? rq->method : "GET";
    char url[2048];
    net_display_url(rq->url ? rq->url : "", url, sizeof url);
    double t0 = net_now_ms();
    char errbuf[CURL_ERROR_SIZE];
    CURLcode rc = CURLE_OK;
    Xfer x = {0};
    const char *gave_up = NULL;
    char why[160] = "";
    for (int i = 0;; i++) {
        if (s.trace)
            net_trace_request(rq);
        long retry_after_s = 0;
        TpStatus setup = TP_OK;
        rc = attempt(rq, &s, rs, &x, errbuf, &retry_after_s, &setup, err);
        rs->attempts = i + 1;
        if (setup != TP_OK) {
            net_redact_error(err, rq->bearer);
            rs->failure = NET_FAIL_OTHER;
            return setup;
        }
        if (s.trace)
            net_trace("< %ld (%zu bytes, %.0f ms)%s%s", rs->status, rs->len,
                    net_now_ms() - t0, rc ? ": " : "", rc ? curl_easy_strerror(rc) : "");
        if (rc != CURLE_OK || !retryable(rs->status) || i >= retries)
            break;
        long wait = retry_after_s > 0 ? retry_after_s * 1000 : s.backoff_ms << (i < 16 ? i : 16);
        if (retry_after_s > 0 && wait > s.max_wait_ms) {
            snprintf(why, sizeof why,
                     "the server asks to retry after %ld s, longer than the "
                     "%.0f s this command waits",
                     retry_after_s, (double)s.max_wait_ms / 1000);
            gave_up = why;
            break;
        }
        if (wait > s.max_wait_ms)
            wait = s.max_wait_ms;
        net_sleep_ms(wait);
    }
    rs->elapsed_ms = net_now_ms() - t0;
    rs->failure = net_classify(rc);
    if (rc == CURLE_WRITE_ERROR && x.too_large)
        rs->failure = NET_FAIL_TOO_LARGE;
    if (rc == CURLE_WRITE_ERROR && x.stopped)
        rs->failure = NET_FAIL_ABORTED;
    size_t cap = rq->max_bytes ? rq->max_bytes : NET_DEFAULT_MAX_BYTES;
    TpStatus st = TP_ERR;
    switch (rs->failure) {
    case NET_OK:
        if (rs->status >= 400) {
            char msg[600];
            net_provider_message(rs->body, rs->len, msg, sizeof msg);
            rs->failure = NET_FAIL_HTTP;
            char tries[48] = "";
            if (rs->attempts > 1)
                snprintf(tries, sizeof tries, " (after %d tries)", rs->attempts);
            tp_error_set(err, TP_ERR, "%s %s: HTTP %ld%s%s%s%s%s%s%s", method, url, rs->status,
                         *reason(rs->status) ? " " : "", reason(rs->status), tries,
                         *msg ? ": " : "", msg, gave_up ? "; " : "", gave_up ? gave_up : "");
        } else {
            st = TP_OK;
        }
        break;
    case NET_FAIL_TIMEOUT:
        tp_error_set(err, TP_ERR, "%s %s: timed out (%s)", method, url,
                     *errbuf ? errbuf : curl_easy_strerror(rc));
        break;
    case NET_FAIL_TRUNCATED:
        tp_error_set(err, TP_ERR,
                     "%s %s: the connection closed before the whole answer arrived (%zu bytes "
                     "received; %s)",
                     method, url, rs->len, *errbuf ? errbuf : curl_easy_strerror(rc));
        break;
    case NET_FAIL_TOO_LARGE:
        tp_error_set(err, TP_ERR, "%s %s: the answer is larger than the %zu-byte cap", method, url,
                     cap);
        break;
    case NET_FAIL_ABORTED:
        tp_error_set(err, TP_ERR, "%s %s: stopped", method, url);
        break;
    case NET_FAIL_CONNECT:
        tp_error_set(err, TP_ERR, "%s %s: cannot connect (%s)", method, url,
                     *errbuf ? errbuf : curl_easy_strerror(rc));
        break;
    default:
        tp_error_set(err, TP_ERR, "%s %s: %s", method, url,
                     *errbuf ? errbuf : curl_easy_strerror(rc));
        break;
    }
    net_redact_error(err, rq->bearer);
    return st;
}
