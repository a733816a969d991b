/* sse.c - an incremental Server-Sent Events parser (the framing of
 * streamed chat completions): \n, \r\n and \r line ends, ':' comments,
 * multi-line data joined with \n, a blank line ends an event. */
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/net.h"

void net_sse_init(NetSse *p, NetSseFn fn, void *ctx) {
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->ctx = ctx;
}

void net_sse_free(NetSse *p) {
    if (!p)
        return;
    free(p->line);
    free(p->data);
    p->line = p->data = NULL;
    p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

static bool grow(char **buf, size_t *cap, size_t need) {
    if (need > NET_SSE_MAX_LINE)
        return false;
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    *buf = tp_xrealloc(*buf, c);
    *cap = c;
    return true;
}

static void dispatch(NetSse *p) {
    if (!p->have_data)
        goto reset;
    grow(&p->data, &p->data_cap, p->data_len + 1);
    p->data[p->data_len] = '\0';
    p->n_events++;
    if (p->fn && p->fn(p->ctx, p->event, p->data, p->data_len))
        p->stopped = true;
reset:
    p->have_data = false;
    p->data_len = 0;
    p->event[0] = '\0';
}

static void line_done(NetSse *p) {
    const char *l = p->line ? p->line : "";
    size_t n = p->line_len;
    p->line_len = 0;
    if (n == 0) {
        dispatch(p);
        return;
    }
    if (l[0] == ':') {
        p->n_comments++;
        return;
    }
    const char *colon = memchr(l, ':', n);
    size_t fn = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    size_t vn = (size_t)(l + n - v);
    if (vn && *v == ' ') {
        v++;
        vn--;
    }
    if (fn == 4 && !memcmp(l, "data", 4)) {
        size_t need = p->data_len + (p->have_data ? 1 : 0) + vn + 1;
        if (!grow(&p->data, &p->data_cap, need)) {
            p->overflow = p->stopped = true;
            return;
        }
        if (p->have_data)
            p->data[p->data_len++] = '\n';
        memcpy(p->data + p->data_len, v, vn);
        p->data_len += vn;
        p->have_data = true;
    } else if (fn == 5 && !memcmp(l, "event", 5)) {
        size_t k = vn < sizeof p->event - 1 ? vn : sizeof p->event - 1;
        memcpy(p->event, v, k);
        p->event[k] = '\0';
    }
    /* id, retry and unknown fields do not matter here */
}

int net_sse_feed(NetSse *p, const char *buf, size_t len) {
    for (size_t i = 0; i < len && !p->stopped; i++) {
        char c = buf[i];
        if (c == '\n' && p->after_cr) {
            p->after_cr = false;
            continue;
        }
        p->after_cr = false;
        if (c == '\r' || c == '\n') {
            p->after_cr = c == '\r';
            line_done(p);
            continue;
        }
        if (!grow(&p->line, &p->line_cap, p->line_len + 1)) {
            p->overflow = p->stopped = true;
            break;
        }
        p->line[p->line_len++] = c;
    }
    return p->stopped;
}

int net_sse_finish(NetSse *p) {
    if (!p->stopped) {
        if (p->line_len) { /* cut in the middle of a line: the event is incomplete */
            p->line_len = 0;
            p->have_data = false;
        }
        dispatch(p);
    }
    return p->stopped;
}
