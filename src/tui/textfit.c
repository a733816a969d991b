/* textfit.c - UTF-8 display width, fitting text into cells, compact numbers.
 * See textfit.h for the width rules. The tables below are sorted, inclusive
 * code point ranges searched by bisection. */
#include "tui/textfit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tunepilot/text.h"
#include "tunepilot/utf8.h"

typedef struct Range {
    unsigned lo, hi;
} Range;

/* Zero width: combining marks (the common blocks), format characters,
 * variation selectors and tag characters. */
static const Range ZERO_WIDTH[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},
    {0x05C1, 0x05C2},   {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},
    {0x061C, 0x061C},   {0x064B, 0x065F},   {0x0670, 0x0670},   {0x06D6, 0x06DC},
    {0x06DF, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED},   {0x0711, 0x0711},
    {0x0730, 0x074A},   {0x07A6, 0x07B0},   {0x07EB, 0x07F3},   {0x0816, 0x082D},
    {0x0859, 0x085B},   {0x08D3, 0x0902},   {0x093A, 0x093A},   {0x093C, 0x093C},
    {0x0941, 0x0948},   {0x094D, 0x094D},   {0x0951, 0x0957},   {0x0962, 0x0963},
    {0x0981, 0x0981},   {0x09BC, 0x09BC},   {0x09C1, 0x09C4},   {0x09CD, 0x09CD},
    {0x09E2, 0x09E3},   {0x0A01, 0x0A02},   {0x0A3C, 0x0A3C},   {0x0A41, 0x0A51},
    {0x0A70, 0x0A71},   {0x0A75, 0x0A75},   {0x0A81, 0x0A82},   {0x0ABC, 0x0ABC},
    {0x0AC1, 0x0AC8},   {0x0ACD, 0x0ACD},   {0x0B01, 0x0B01},   {0x0B3C, 0x0B3C},
    {0x0B3F, 0x0B3F},   {0x0B41, 0x0B44},   {0x0B4D, 0x0B4D},   {0x0BC0, 0x0BC0},
    {0x0BCD, 0x0BCD},   {0x0C3E, 0x0C40},   {0x0C46, 0x0C56},   {0x0CBC, 0x0CBC},
    {0x0CCC, 0x0CCD},   {0x0D41, 0x0D44},   {0x0D4D, 0x0D4D},   {0x0DCA, 0x0DCA},
    {0x0DD2, 0x0DD6},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},
    {0x0EB1, 0x0EB1},   {0x0EB4, 0x0EBC},   {0x0EC8, 0x0ECD},   {0x0F18, 0x0F19},
    {0x0F35, 0x0F35},   {0x0F37, 0x0F37},   {0x0F39, 0x0F39},   {0x0F71, 0x0F7E},
    {0x0F80, 0x0F84},   {0x0F86, 0x0F87},   {0x0F8D, 0x0FBC},   {0x102D, 0x1030},
    {0x1032, 0x1037},   {0x1039, 0x103A},   {0x1160, 0x11FF},   {0x135D, 0x135F},
    {0x1712, 0x1714},   {0x17B4, 0x17B5},   {0x17B7, 0x17BD},   {0x17C6, 0x17C6},
    {0x17C9, 0x17D3},   {0x180B, 0x180F},   {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x2064},   {0x206A, 0x206F},
    {0x20D0, 0x20FF},   {0x2CEF, 0x2CF1},   {0x2DE0, 0x2DFF},   {0x302A, 0x302D},
    {0x3099, 0x309A},   {0xA66F, 0xA672},   {0xA674, 0xA67D},   {0xA69E, 0xA69F},
    {0xA6F0, 0xA6F1},   {0xA8E0, 0xA8F1},   {0xFB1E, 0xFB1E},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x1D167, 0x1D169},
    {0x1D173, 0x1D182}, {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD}, {0x1F3FB, 0x1F3FF},
    {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};

/* Two cells: East Asian Wide/Fullwidth and default-emoji-presentation ranges. */
static const Range WIDE[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x3247},   {0x3250, 0x4DBF},   {0x4E00, 0xA4CF},   {0xA960, 0xA97F},
    {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF},
    {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
    {0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
    {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F320}, {0x1F32D, 0x1F335},
    {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
    {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440},
    {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567},
    {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
    {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7},
    {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB},
    {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
    {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool in_table(unsigned cp, const Range *t, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < t[mid].lo)
            hi = mid;
        else if (cp > t[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

int text_cp_width(unsigned cp) {
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    if (cp < 0x300)
        return 1;
    if (in_table(cp, ZERO_WIDTH, sizeof ZERO_WIDTH / sizeof ZERO_WIDTH[0]))
        return 0;
    if (in_table(cp, WIDE, sizeof WIDE / sizeof WIDE[0]))
        return 2;
    return 1;
}

int text_utf8_decode(const char *s, unsigned *cp, bool *valid) {
    uint32_t c = 0xFFFD;
    /* a NUL byte ends the string (strnlen), so nothing past it is read */
    size_t n = tp_utf8_next(s, s[0] ? strnlen(s, 4) : 1, &c);
    *cp = c;
    if (valid)
        *valid = n > 0;
    return n ? (int)n : 1;
}

int text_width(const char *utf8) {
    if (!utf8)
        return 0;
    int w = 0;
    for (const char *p = utf8; *p;) {
        unsigned cp;
        bool ok;
        p += text_utf8_decode(p, &cp, &ok);
        w += ok ? text_cp_width(cp) : 1;
    }
    return w;
}

/* Appends n bytes if they fit whole (with the NUL); returns false if not. */
static bool append_bytes(char *out, size_t size, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > size)
        return false;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

static void append_spaces(char *out, size_t size, size_t *len, int n) {
    for (int i = 0; i < n; i++)
        if (!append_bytes(out, size, len, " ", 1))
            return;
}

/* Copies characters of s worth at most `budget` cells (dropping controls,
 * '?' for invalid bytes); returns the cells written. Stops early, at a
 * character boundary, when out is full. */
static int copy_cells(const char *s, int budget, char *out, size_t size, size_t *len) {
    int w = 0;
    for (const char *p = s; *p;) {
        unsigned cp;
        bool ok;
        int n = text_utf8_decode(p, &cp, &ok);
        int cw = ok ? text_cp_width(cp) : 1;
        if (w + cw > budget)
            break;
        bool control = ok && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0));
        if (!control) {
            bool fit = ok ? append_bytes(out, size, len, p, (size_t)n)
                          : append_bytes(out, size, len, "?", 1);
            if (!fit)
                break;
            w += cw;
        }
        p += n;
    }
    return w;
}

void text_fit(const char *utf8, int width, bool ascii, bool right_align, char *out, size_t size) {
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (width <= 0)
        return;
    if (!utf8)
        utf8 = "";
    size_t len = 0;
    int tw = text_width(utf8);
    if (tw <= width) {
        if (right_align)
            append_spaces(out, size, &len, width - tw);
        copy_cells(utf8, tw, out, size, &len);
        if (!right_align)
            append_spaces(out, size, &len, width - tw);
        return;
    }
    int w = copy_cells(utf8, width - 1, out, size, &len);
    /* A wide character cut at the edge leaves one cell to fill. */
    append_spaces(out, size, &len, width - 1 - w);
    if (ascii)
        append_bytes(out, size, &len, ".", 1);
    else
        append_bytes(out, size, &len, "\xE2\x80\xA6", 3);
}

/* --- number formatting ------------------------------------------------------ */

void fmt_compact(double v, char *out, size_t size) {
    static const char *const SUFFIX[] = {"", "k", "M", "G", "T", "P", "E"};
    if (!out || size == 0)
        return;
    if (isnan(v)) {
        snprintf(out, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0.0) {
        snprintf(out, size, "0");
        return;
    }
    double a = fabs(v);
    if (a < 1e-4) {
        snprintf(out, size, "%.2e", v);
        return;
    }
    char buf[32];
    double scaled = v;
    for (size_t i = 0; i < sizeof SUFFIX / sizeof SUFFIX[0]; i++) {
        snprintf(buf, sizeof buf, "%.3g", scaled);
        /* %.3g switches to exponent form at 1000 (after rounding): move to
         * the next suffix instead. */
        if (!strchr(buf, 'e')) {
            snprintf(out, size, "%s%s", buf, SUFFIX[i]);
            return;
        }
        scaled /= 1000.0;
    }
    snprintf(out, size, "%.2e", v);
}

void fmt_usd_compact(double usd, char *out, size_t size) {
    static const char *const SUFFIX[] = {"", "k", "M", "B", "T"};
    if (!out || size == 0)
        return;
    if (!isfinite(usd)) {
        snprintf(out, size, "n/a");
        return;
    }
    const char *sign = usd < 0 ? "-" : "";
    double a = fabs(usd);
    if (a < 9.995) {
        snprintf(out, size, "%s$%.2f", sign, a);
        return;
    }
    if (a < 999.5) {
        snprintf(out, size, "%s$%.0f", sign, a);
        return;
    }
    size_t i = 0;
    double s = a;
    size_t last = sizeof SUFFIX / sizeof SUFFIX[0] - 1;
    /* Pick the suffix so that the rounded mantissa stays below 1000. */
    while (i < last && s >= 999.5) {
        s /= 1000.0;
        i++;
    }
    if (s < 9.95)
        snprintf(out, size, "%s$%.1f%s", sign, s, SUFFIX[i]);
    else
        snprintf(out, size, "%s$%.0f%s", sign, s, SUFFIX[i]);
}

void fmt_count(long long v, char *out, size_t size) {
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", v);
    if (out && size)
        tp_text_group_digits(digits, out, size);
}
