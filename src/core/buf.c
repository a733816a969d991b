#include "tunepilot/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"

void tp_buf_init(TpBuf *b) { memset(b, 0, sizeof *b); }

static void reserve(TpBuf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = tp_xrealloc(b->data, cap);
    b->cap = cap;
}

void tp_buf_append(TpBuf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tp_buf_puts(TpBuf *b, const char *s) { tp_buf_append(b, s, strlen(s)); }

void tp_buf_printf(TpBuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *tp_buf_take(TpBuf *b) {
    char *s = b->data ? b->data : tp_xstrdup("");
    tp_buf_init(b);
    return s;
}

void tp_buf_free(TpBuf *b) {
    free(b->data);
    tp_buf_init(b);
}
