/* buf.h - a growable NUL-terminated string.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_BUF_H
#define TUNEPILOT_BUF_H

#include <stddef.h>

typedef struct TpBuf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
} TpBuf;

void tp_buf_init(TpBuf *b);
void tp_buf_append(TpBuf *b, const char *s, size_t n);
void tp_buf_puts(TpBuf *b, const char *s);
void tp_buf_printf(TpBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (free() it); b is left empty. */
char *tp_buf_take(TpBuf *b);
void tp_buf_free(TpBuf *b);

#endif
