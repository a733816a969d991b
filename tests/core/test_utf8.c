/* test_utf8.c - UTF-8 (utf8.h) against the Unicode standard, chapter 3:
 * table 3-7 (well-formed byte sequences) row by row, the ill-formed forms it
 * excludes (overlongs, surrogates, past U+10FFFF, truncated sequences),
 * every sequence of up to three bytes against a decoder written from the
 * bit patterns and ranges instead of the table, and the U+FFFD substitution
 * examples of tables 3-8 to 3-11. */
#include "tp_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/buf.h"
#include "tunepilot/utf8.h"

/* Decodes s[0..n) as one sequence; the length, or 0 when it is not one. */
static size_t next(const char *s, size_t n, uint32_t *cp) {
    *cp = 0xDEADBEEF;
    return tp_utf8_next(s, n, cp);
}

/* Table 3-7's rows: the first and the last sequence of each, with the code
 * point the table gives. */
static void test_table_3_7(void **state) {
    (void)state;
    static const struct {
        const char *s;
        uint32_t cp;
    } ok[] = {
        {"\x00", 0x0000},           {"\x7F", 0x007F},           /* 00..7F */
        {"\xC2\x80", 0x0080},       {"\xDF\xBF", 0x07FF},       /* C2..DF 80..BF */
        {"\xE0\xA0\x80", 0x0800},   {"\xE0\xBF\xBF", 0x0FFF},   /* E0 A0..BF 80..BF */
        {"\xE1\x80\x80", 0x1000},   {"\xEC\xBF\xBF", 0xCFFF},   /* E1..EC */
        {"\xED\x80\x80", 0xD000},   {"\xED\x9F\xBF", 0xD7FF},   /* ED 80..9F */
        {"\xEE\x80\x80", 0xE000},   {"\xEF\xBF\xBF", 0xFFFF},   /* EE..EF */
        {"\xF0\x90\x80\x80", 0x10000},  {"\xF0\xBF\xBF\xBF", 0x3FFFF},  /* F0 90..BF */
        {"\xF1\x80\x80\x80", 0x40000},  {"\xF3\xBF\xBF\xBF", 0xFFFFF},  /* F1..F3 */
        {"\xF4\x80\x80\x80", 0x100000}, {"\xF4\x8F\xBF\xBF", 0x10FFFF}, /* F4 80..8F */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = i < 2 ? 1 : strlen(ok[i].s);
        uint32_t cp;
        assert_int_equal(next(ok[i].s, n, &cp), n);
        assert_int_equal(cp, ok[i].cp);
        assert_true(tp_utf8_valid(ok[i].s, n));
        /* one byte more available changes nothing */
        char longer[8] = {0};
        memcpy(longer, ok[i].s, n);
        longer[n] = 'x';
        assert_int_equal(next(longer, n + 1, &cp), n);
        /* and one less is a truncated sequence */
        assert_int_equal(next(ok[i].s, n - 1, &cp), 0);
    }
}

static void test_ill_formed(void **state) {
    (void)state;
    static const char *const bad[] = {
        "\xC0\x80", "\xC1\xBF",                     /* overlong 2-byte forms (C0, C1 never lead) */
        "\xE0\x80\x80", "\xE0\x9F\xBF",             /* overlong 3-byte forms (below U+0800) */
        "\xED\xA0\x80", "\xED\xBF\xBF",             /* U+D800 and U+DFFF: surrogates */
        "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",     /* overlong 4-byte forms (below U+10000) */
        "\xF4\x90\x80\x80", "\xF7\xBF\xBF\xBF",     /* U+110000 and past */
        "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", /* F5..FF never lead */
        "\xFE", "\xFF", "\x80", "\xBF",             /* lone bytes */
        "\xC2\x41", "\xE1\x80\x41", "\xF1\x80\x80\x41", /* a continuation missing */
        "\xC2\xC2\x80",                             /* a lead where a continuation goes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        uint32_t cp;
        assert_int_equal(next(bad[i], n, &cp), 0);
        assert_int_equal(cp, 0xDEADBEEF); /* untouched */
        assert_false(tp_utf8_valid(bad[i], n));
        assert_int_equal(tp_utf8_check(bad[i], n), 0);
    }
    /* truncated by the end of the bytes given */
    uint32_t cp;
    assert_int_equal(next("\xC2", 1, &cp), 0);
    assert_int_equal(next("\xE1\x80", 2, &cp), 0);
    assert_int_equal(next("\xF1\x80\x80", 3, &cp), 0);
    assert_int_equal(next("", 0, &cp), 0);
    /* the offset of the first bad byte */
    assert_int_equal(tp_utf8_check("ok\xE2\x82", 4), 2);
    assert_int_equal(tp_utf8_check("caf\xC3\xA9 \xED\xA0\x80", 9), 6);
    assert_int_equal(tp_utf8_check("caf\xC3\xA9", 5), 5);
    assert_true(tp_utf8_valid("", 0));
}

/* The sequence at s[0..n) decoded from the bit patterns (0xxxxxxx,
 * 110xxxxx 10xxxxxx, ...) with the limits stated in words: the shortest form
 * for the value, no surrogates, nothing past U+10FFFF. */
static size_t reference(const unsigned char *s, size_t n, uint32_t *cp) {
    size_t len;
    uint32_t v, min;
    if (n == 0)
        return 0;
    if ((s[0] & 0x80) == 0)
        len = 1, v = s[0], min = 0;
    else if ((s[0] & 0xE0) == 0xC0)
        len = 2, v = s[0] & 0x1F, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, v = s[0] & 0x0F, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, v = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static void check_against_reference(const unsigned char *s, size_t n) {
    uint32_t a = 0, b = 0;
    size_t la = tp_utf8_next((const char *)s, n, &a), lb = reference(s, n, &b);
    if (la != lb || (la && a != b))
        fail_msg("%02x %02x %02x %02x (n %zu): %zu U+%04X, reference %zu U+%04X", s[0], s[1], s[2],
                 s[3], n, la, (unsigned)a, lb, (unsigned)b);
}

/* Every sequence of one to three bytes, and every four-byte one that starts
 * F0..F7 with a last byte at the edges of the continuation range. */
static void test_against_reference(void **state) {
    (void)state;
    unsigned char s[4] = {0};
    for (unsigned x = 0; x < 1u << 24; x++) {
        s[0] = (unsigned char)(x >> 16), s[1] = (unsigned char)(x >> 8), s[2] = (unsigned char)x;
        s[3] = 0;
        check_against_reference(s, 3);
        if ((x & 0xFFFF) == 0)
            check_against_reference(s, 1);
        if ((x & 0xFF) == 0)
            check_against_reference(s, 2);
    }
    static const unsigned char last[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    for (unsigned x = 0; x < 8u << 16; x++)
        for (size_t k = 0; k < sizeof last; k++) {
            s[0] = (unsigned char)(0xF0 + (x >> 16)), s[1] = (unsigned char)(x >> 8),
            s[2] = (unsigned char)x, s[3] = last[k];
            check_against_reference(s, 4);
        }
}

/* Every scalar value (all code points but the surrogates) encodes to the form
 * table 3-7 gives and decodes back to itself. */
static void test_put_round_trip(void **state) {
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char out[4];
        size_t n = tp_utf8_put(cp, out), want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        assert_int_equal(n, want);
        uint32_t back;
        assert_int_equal(next(out, n, &back), n);
        assert_int_equal(back, cp);
    }
    char out[4];
    assert_int_equal(tp_utf8_put(0x20AC, out), 3); /* the euro sign, E2 82 AC */
    assert_memory_equal(out, "\xE2\x82\xAC", 3);
}

static void lossy_is(const char *in, size_t n, const char *want) {
    TpBuf b = {0};
    tp_utf8_append_lossy(&b, in, n);
    assert_non_null(b.data);
    assert_string_equal(b.data, want);
    tp_buf_free(&b);
}

#define R "\xEF\xBF\xBD" /* U+FFFD */

/* Tables 3-8 to 3-11 of chapter 3: each maximal subpart becomes one U+FFFD. */
static void test_lossy(void **state) {
    (void)state;
    /* 3-8, non-shortest forms: no byte begins a prefix of a well-formed sequence */
    lossy_is("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41", 9, R R R R R R R R "A");
    /* 3-9, surrogates */
    lossy_is("\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41", 9, R R R R R R R R "A");
    /* 3-10, other ill-formed sequences */
    lossy_is("\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42", 9, R R R R R "A" R R "B");
    /* 3-11, truncated sequences: each prefix of a well-formed one is one U+FFFD */
    lossy_is("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41", 9, R R R R "A");
    /* well-formed text is copied as it is, empty input gives "" */
    lossy_is("caf\xC3\xA9", 5, "caf\xC3\xA9");
    lossy_is("", 0, "");
    lossy_is("ab\xE2\x82", 4, "ab" R);
}

static void test_count(void **state) {
    (void)state;
    assert_int_equal(tp_utf8_count("h\xC3\xA9llo \xE2\x82\xAC"), 7); /* h é l l o ' ' € */
    assert_int_equal(tp_utf8_count("\xF0\x9F\x98\x80"), 1);
    assert_int_equal(tp_utf8_count(""), 0);
    assert_int_equal(tp_utf8_count(NULL), 0);
    assert_int_equal(tp_utf8_count("\xC3"), 1); /* a lone lead counts */
    assert_int_equal(tp_utf8_count("\x80\x80"), 0); /* lone continuations do not */
    assert_true(tp_utf8_is_cont(0x80) && tp_utf8_is_cont(0xBF));
    assert_false(tp_utf8_is_cont(0x7F) || tp_utf8_is_cont(0xC0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_3_7),       cmocka_unit_test(test_ill_formed),
        cmocka_unit_test(test_against_reference), cmocka_unit_test(test_put_round_trip),
        cmocka_unit_test(test_lossy),           cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
