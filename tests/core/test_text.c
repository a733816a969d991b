/* test_text.c - safe text (text.h): RFC 3629's UTF-8 rules and the control
 * characters that would reach a terminal, byte by byte. */
#include "tp_test.h"

#include "tunepilot/text.h"

static void test_safe(void **state) {
    (void)state;
    assert_true(tp_text_is_safe(""));
    assert_true(tp_text_is_safe("gpt-4.1-mini"));
    assert_true(tp_text_is_safe("caf\xc3\xa9"));      /* U+00E9 */
    assert_true(tp_text_is_safe("\xe2\x82\xac"));     /* U+20AC */
    assert_true(tp_text_is_safe("\xf0\x9f\x98\x80")); /* U+1F600 */
    assert_true(tp_text_is_safe("\xf4\x8f\xbf\xbf")); /* U+10FFFF, the last */
}

static void test_unsafe(void **state) {
    (void)state;
    assert_false(tp_text_is_safe("red\x1b[31m")); /* ESC: a terminal escape */
    assert_int_equal(tp_text_unsafe_at("red\x1b[31m"), 3);
    assert_false(tp_text_is_safe("a\tb")); /* any C0 control */
    assert_false(tp_text_is_safe("del\x7f"));
    assert_false(tp_text_is_safe("\xc2\x9b"
                                 "31m"));              /* U+009B, the C1 CSI */
    assert_false(tp_text_is_safe("\xc0\x80"));         /* overlong NUL */
    assert_false(tp_text_is_safe("\xe0\x80\xaf"));     /* overlong '/' */
    assert_false(tp_text_is_safe("\xed\xa0\x80"));     /* U+D800, a surrogate */
    assert_false(tp_text_is_safe("\xf4\x90\x80\x80")); /* U+110000 */
    assert_false(tp_text_is_safe("\xff"));
    assert_false(tp_text_is_safe("\x80")); /* a lone continuation */
    assert_false(tp_text_is_safe("\xc3")); /* cut short */
    assert_int_equal(tp_text_unsafe_at("ok\xe2\x82"), 2);
    assert_false(tp_text_is_safe(NULL));
}

static void test_contains_ci(void **state) {
    (void)state;
    assert_true(tp_text_contains_ci("gpt-4.1-Mini", "MINI"));
    assert_true(tp_text_contains_ci("OpenAI", "nai"));
    assert_true(tp_text_contains_ci("anything", "")); /* the empty needle */
    assert_true(tp_text_contains_ci("", ""));
    assert_false(tp_text_contains_ci("", "a"));
    assert_false(tp_text_contains_ci("claude", "claudes")); /* longer than the hay's rest */
    assert_false(tp_text_contains_ci("l4 gpu", "l40"));
}

/* Thousands separators, each expected string written by hand. */
static void test_group_digits(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"0", "0"},
        {"999", "999"},
        {"1000", "1,000"},
        {"123456", "123,456"},
        {"1234567", "1,234,567"},
        {"-1234567.50", "-1,234,567.50"},
        {"0.000941", "0.000941"},
        {"-9223372036854775808", "-9,223,372,036,854,775,808"},
        {"12345 ms", "12,345 ms"},
        {"", ""},
        {"-", "-"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tp_text_group_digits(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    tp_text_group_digits("1234567", out, 4); /* cut to the size, terminated */
    assert_string_equal(out, "1,2");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_safe), cmocka_unit_test(test_unsafe),
                                       cmocka_unit_test(test_contains_ci),
                                       cmocka_unit_test(test_group_digits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
