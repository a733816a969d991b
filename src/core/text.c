/* text.c - safe text (see text.h); the UTF-8 rules are utf8.h's. */
#include "tunepilot/text.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "tunepilot/utf8.h"

size_t tp_text_unsafe_at(const char *s) {
    const char *p = s;
    while (*p) {
        uint32_t cp;
        /* a NUL byte ends the string (strnlen), so nothing past it is read */
        size_t k = tp_utf8_next(p, strnlen(p, 4), &cp);
        if (!k || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return (size_t)(p - s); /* ill-formed; C0 controls (ESC among them), DEL, C1 */
        p += k;
    }
    return (size_t)(p - s);
}

bool tp_text_contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return n == 0;
}

bool tp_text_is_safe(const char *s) {
    return s && !s[tp_text_unsafe_at(s)];
}

void tp_text_group_digits(const char *num, char *out, size_t size) {
    if (!out || size == 0)
        return;
    size_t o = 0, i = num[0] == '-' ? 1 : 0, end = i;
    while (num[end] >= '0' && num[end] <= '9')
        end++;
    if (i && o + 1 < size)
        out[o++] = '-';
    for (; i < end && o + 1 < size; i++) {
        out[o++] = num[i];
        size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0 && o + 1 < size)
            out[o++] = ',';
    }
    for (const char *p = num + end; *p && o + 1 < size; p++)
        out[o++] = *p;
    out[o] = '\0';
}
