/* utf8.c - UTF-8 by the Unicode standard's table 3-7 (see utf8.h). */
#include "tunepilot/utf8.h"

/* The lead byte's sequence length (0 for a byte that cannot lead) and the
 * range the second byte must fall in; the third and fourth are 80..BF.
 *   00..7F                 1
 *   C2..DF  80..BF         2
 *   E0      A0..BF         3   (shorter forms are overlong)
 *   E1..EC  80..BF         3
 *   ED      80..9F         3   (A0..BF would be surrogates)
 *   EE..EF  80..BF         3
 *   F0      90..BF         4   (overlong below)
 *   F1..F3  80..BF         4
 *   F4      80..8F         4   (beyond U+10FFFF above) */
static size_t lead(unsigned char c, unsigned char *lo, unsigned char *hi) {
    *lo = 0x80;
    *hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0)
            *lo = 0xA0;
        else if (c == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0)
            *lo = 0x90;
        else if (c == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0; /* 80..C1 (continuations, overlong 2-byte leads), F5..FF */
}

size_t tp_utf8_next(const char *str, size_t n, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    unsigned char lo, hi;
    size_t need = lead(s[0], &lo, &hi);
    if (need == 1) {
        *cp = s[0];
        return 1;
    }
    if (need == 0 || n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (!tp_utf8_is_cont(s[i]))
            return 0;
    uint32_t v = s[0] & (need == 2 ? 0x1F : need == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < need; i++)
        v = (v << 6) | (s[i] & 0x3F);
    *cp = v;
    return need;
}

size_t tp_utf8_check(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = tp_utf8_next(s + i, n - i, &cp);
        if (!k)
            break;
        i += k;
    }
    return i;
}

bool tp_utf8_valid(const char *s, size_t n) {
    return tp_utf8_check(s, n) == n;
}

size_t tp_utf8_put(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the maximal subpart of the ill-formed sequence at s[0..n) (at
 * least 1): the lead byte and the continuation bytes after it that are still
 * a prefix of a well-formed sequence. */
static size_t maximal_subpart(const unsigned char *s, size_t n) {
    unsigned char lo, hi;
    size_t need = lead(s[0], &lo, &hi), i = 1;
    if (need < 2)
        return 1;
    if (i < n && s[i] >= lo && s[i] <= hi) {
        i++;
        while (i < n && i < need && tp_utf8_is_cont(s[i]))
            i++;
    }
    return i;
}

void tp_utf8_append_lossy(TpBuf *b, const char *s, size_t n) {
    size_t i = 0, run = 0; /* run: start of the pending well-formed stretch */
    while (i < n) {
        uint32_t cp;
        size_t k = tp_utf8_next(s + i, n - i, &cp);
        if (k) {
            i += k;
            continue;
        }
        if (i > run)
            tp_buf_append(b, s + run, i - run);
        tp_buf_append(b, "\xEF\xBF\xBD", 3);
        i += maximal_subpart((const unsigned char *)s + i, n - i);
        run = i;
    }
    if (n > run)
        tp_buf_append(b, s + run, n - run);
    if (!b->data)
        tp_buf_append(b, "", 0);
}

size_t tp_utf8_count(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        n += !tp_utf8_is_cont(*p);
    return n;
}
