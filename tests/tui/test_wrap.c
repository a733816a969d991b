/* test_wrap.c - the panels' pure helpers: wrapping at spaces and inside
 * long words (UTF-8 and wide characters counted by cells), choosing table
 * columns by width (Pricing's columns worked by hand), base64 (RFC 4648
 * section 10's vectors) and the OSC 52 sequence. */
#include "tp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/wrap.h"

/* The lines of s wrapped at width, joined by '|'. */
static void wrapped(const char *s, int width, char *out, size_t size) {
    out[0] = '\0';
    for (int off = 0, first = 1; s[off]; first = 0) {
        int next, len = text_wrap_line(s + off, width, &next);
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%.*s", first ? "" : "|", len, s + off);
        assert_true(next > 0); /* always progresses */
        off += next;
    }
}

static void test_wrap_words(void **state) {
    (void)state;
    char out[256];
    /* "the quick" is 9 cells; adding " brown" would make 15 > 10 */
    wrapped("the quick brown fox", 10, out, sizeof out);
    assert_string_equal(out, "the quick|brown fox");
    assert_int_equal(text_wrap_rows("the quick brown fox", 10), 2);
    /* exactly the width fits */
    wrapped("abcd efgh", 4, out, sizeof out);
    assert_string_equal(out, "abcd|efgh");
    /* a word longer than the line is cut at the width: 5 + 5 + 2 */
    wrapped("abcdefghijkl", 5, out, sizeof out);
    assert_string_equal(out, "abcde|fghij|kl");
    /* several spaces at a break are skipped; leading ones are kept */
    wrapped("  ab   cd", 4, out, sizeof out);
    assert_string_equal(out, "  ab|cd");
    /* trailing spaces are not part of the line */
    int next;
    assert_int_equal(text_wrap_line("ab   ", 10, &next), 2);
    assert_int_equal(next, 5);
}

static void test_wrap_newlines(void **state) {
    (void)state;
    char out[256];
    wrapped("a\nb", 10, out, sizeof out);
    assert_string_equal(out, "a|b");
    wrapped("a\n\nb", 10, out, sizeof out);
    assert_string_equal(out, "a||b");
    assert_int_equal(text_wrap_rows("a\n\nb", 10), 3);
    assert_int_equal(text_wrap_rows("", 10), 1);
    /* a break right before a newline does not add an empty line */
    wrapped("abcd \nef", 4, out, sizeof out);
    assert_string_equal(out, "abcd|ef");
}

static void test_wrap_utf8(void **state) {
    (void)state;
    char out[256];
    /* each CJK character is 2 cells: one per line at width 3 */
    wrapped("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3, out, sizeof out);
    assert_string_equal(out, "\xe6\x97\xa5|\xe6\x9c\xac|\xe8\xaa\x9e");
    /* two fit at width 4 */
    assert_int_equal(text_wrap_rows("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4), 2);
    /* a wide character at width 1 still takes a whole line (3 bytes) */
    int next;
    assert_int_equal(text_wrap_line("\xe6\x97\xa5x", 1, &next), 3);
    assert_int_equal(next, 3);
    /* "é" (2 bytes, 1 cell) is never split */
    wrapped("\xc3\xa9\xc3\xa9\xc3\xa9", 2, out, sizeof out);
    assert_string_equal(out, "\xc3\xa9\xc3\xa9|\xc3\xa9");
    /* width 0 counts as 1 */
    assert_int_equal(text_wrap_rows("abc", 0), 3);
}

/* Pricing's columns: model 16 (up to 38), provider 10, in 8, out 8, cached
 * 7, context 9, ttft 7, tok/s 6, as of 10, kept in the order model, in,
 * out, context, ttft, as of, provider, tok/s, cached. */
static const TableCol PCOLS[] = {
    {"model", 16, 0, 38}, {"provider", 10, 6, 0}, {"in", 8, 1, 0},   {"out", 8, 2, 0},
    {"cached", 7, 8, 0},  {"context", 9, 3, 0},   {"ttft", 7, 4, 0}, {"tok/s", 6, 7, 0},
    {"as of", 10, 5, 0},
};

static void test_table_columns(void **state) {
    (void)state;
    int w[9];
    /* 78 cells (120 columns less the 40-column side panel and a space): 16,
     * +9 in = 25, +9 out = 34, +10 context = 44, +8 ttft = 52, +11 as of = 63,
     * +11 provider = 74; tok/s (+7 = 81) and cached (+8 = 82) do not fit;
     * model takes the 4 left: 20 */
    assert_int_equal(table_columns(PCOLS, 9, 78, w), 7);
    int want78[9] = {20, 10, 8, 8, 0, 9, 7, 0, 10};
    assert_memory_equal(w, want78, sizeof w);
    /* 200 cells: all nine take 16 + 65 + 8 spaces = 89; model widens to its
     * 38 only */
    assert_int_equal(table_columns(PCOLS, 9, 200, w), 9);
    int want200[9] = {38, 10, 8, 8, 7, 9, 7, 6, 10};
    assert_memory_equal(w, want200, sizeof w);
    /* 40 cells: model, in, out (34); context would make 44; the others do
     * not fit either (ttft 42, as of 45, provider 45, tok/s 41, cached 42);
     * model takes the 6 left */
    assert_int_equal(table_columns(PCOLS, 9, 40, w), 3);
    int want40[9] = {22, 0, 8, 8, 0, 0, 0, 0, 0};
    assert_memory_equal(w, want40, sizeof w);
    /* 10 cells: model (16) does not fit, in (8) does, then nothing fits
     * beside it (out would make 17) */
    assert_int_equal(table_columns(PCOLS, 9, 10, w), 1);
    int want10[9] = {0, 0, 8, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(w, want10, sizeof w);
}

static void test_table_cell(void **state) {
    (void)state;
    char line[64] = "";
    /* the first cell has no space before it; numbers right-aligned */
    table_cell(line, sizeof line, "option", 8, false, true);
    table_cell(line, sizeof line, "$1.50", 7, true, true);
    table_cell(line, sizeof line, "yes", 3, false, true);
    assert_string_equal(line, "option     $1.50 yes");
    /* 8 + 1 + 7 + 1 + 3 = 20 cells */
    assert_int_equal((int)strlen(line), 20);
    /* a longer text is cut to the width, with the ASCII ellipsis */
    line[0] = '\0';
    table_cell(line, sizeof line, "frontier-copy", 6, false, true);
    assert_string_equal(line, "front.");
}

static void test_base64(void **state) {
    (void)state;
    /* RFC 4648, section 10 */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[32];
    for (int i = 0; i < 7; i++) {
        assert_int_equal(base64_encode(in[i], strlen(in[i]), out, sizeof out),
                         (long)strlen(want[i]));
        assert_string_equal(out, want[i]);
    }
    /* too small: -1 and an empty string (needs 4 * 2 + 1 = 9 for "foob") */
    assert_int_equal(base64_encode("foob", 4, out, 8), -1);
    assert_string_equal(out, "");
    /* bytes above 0x7f: 0xff 0xfe -> 111111 111111 1110(00) = "//4=" */
    assert_int_equal(base64_encode("\xff\xfe", 2, out, sizeof out), 4);
    assert_string_equal(out, "//4=");
}

static void test_osc52(void **state) {
    (void)state;
    /* "hi" = 0x68 0x69 -> 011010 000110 1001(00) = "aGk=" */
    char *s = osc52_sequence("hi", 2);
    assert_string_equal(s, "\033]52;c;aGk=\a");
    free(s);
    s = osc52_sequence("", 0);
    assert_string_equal(s, "\033]52;c;\a");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_words),   cmocka_unit_test(test_wrap_newlines),
        cmocka_unit_test(test_wrap_utf8),    cmocka_unit_test(test_table_columns),
        cmocka_unit_test(test_table_cell),
        cmocka_unit_test(test_base64),       cmocka_unit_test(test_osc52),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
