/* text.c - safe text (see text.h). The UTF-8 rules are RFC 3629, section 4. */
#include "tunepilot/text.h"

#include <string.h>

size_t tp_text_unsafe_at(const char *s) {
    const unsigned char *p = (const unsigned char *)s, *start = p;
    while (*p) {
        unsigned c = *p;
        if (c < 0x20 || c == 0x7f)
            return (size_t)(p - start); /* C0 controls (ESC among them) and DEL */
        if (c < 0x80) {
            p++;
            continue;
        }
        int n;
        unsigned cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return (size_t)(p - start); /* a continuation byte, C0/C1 leads, F5..FF */
        }
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return (size_t)(p - start);
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f))
            return (size_t)(p - start); /* overlong, out of range, surrogate, C1 control */
        p += n + 1;
    }
    return (size_t)(p - start);
}

bool tp_text_is_safe(const char *s) {
    return s && !s[tp_text_unsafe_at(s)];
}
