/* test_jsonl.c - the one JSON Lines reader (jsonl.h): line numbering with a
 * byte order mark, CRLF, blank lines and a last line without a newline; each
 * refusal of one line with its column (counted by hand below each case);
 * format detection; the split's size rule worked by hand. */
#include "tp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/jsonl.h"
#include "tunepilot/remote.h"

static void test_lines(void **state) {
    (void)state;
    static const char data[] = "\xEF\xBB\xBF{}\r\n\n \t\r\n{\"a\":1}";
    JsonlReader r;
    JsonlLine l;
    jsonl_reader_init(&r, data, sizeof data - 1);
    assert_true(r.bom);
    assert_true(jsonl_next(&r, &l)); /* line 1: "{}\r", the mark skipped */
    assert_int_equal(l.line, 1);
    assert_int_equal(l.len, 3);
    assert_memory_equal(l.text, "{}\r", 3);
    assert_false(l.blank);
    assert_true(l.newline);
    assert_true(jsonl_next(&r, &l)); /* line 2: empty */
    assert_int_equal(l.line, 2);
    assert_int_equal(l.len, 0);
    assert_true(l.blank);
    assert_true(jsonl_next(&r, &l)); /* line 3: " \t\r" is blank */
    assert_int_equal(l.line, 3);
    assert_true(l.blank);
    assert_true(jsonl_next(&r, &l)); /* line 4: no newline at the end */
    assert_int_equal(l.line, 4);
    assert_int_equal(l.len, 7);
    assert_false(l.newline);
    assert_false(jsonl_next(&r, &l));

    /* a final newline ends the last line and makes no line of its own */
    jsonl_reader_init(&r, "{}\n", 3);
    assert_false(r.bom);
    assert_true(jsonl_next(&r, &l));
    assert_false(jsonl_next(&r, &l));
    assert_int_equal(r.line, 1);
}

static void parse_fails(const char *text, unsigned flags, JsonlFault fault, size_t column) {
    JsonlProblem p;
    cJSON *root = jsonl_parse(text, strlen(text), flags, &p);
    if (root)
        fail_msg("parsed: %s", text);
    assert_int_equal(p.fault, fault);
    assert_int_equal(p.column, column);
    assert_true(p.msg[0] != '\0');
}

static void test_parse(void **state) {
    (void)state;
    JsonlProblem p;
    cJSON *root = jsonl_parse("{\"a\": [1]} \t\r", 13, 0, &p);
    assert_non_null(root);
    assert_int_equal(p.fault, JSONL_OK);
    cJSON_Delete(root);

    /* {"a": "x\u0000y"}: the backslash is the 9th byte */
    parse_fails("{\"a\": \"x\\u0000y\"}", 0, JSONL_NUL, 9);
    /* an escaped backslash then "u0000" is text, not a NUL */
    root = jsonl_parse("{\"a\": \"\\\\u0000\"}", 16, 0, &p);
    assert_non_null(root);
    cJSON_Delete(root);
    /* {} x: the x is the 4th byte */
    parse_fails("{} x", 0, JSONL_TRAILING, 4);
    /* {"a": "<0xff>"}: the bad byte is the 8th; only checked when asked */
    parse_fails("{\"a\": \"\xff\"}", JSONL_CHECK_UTF8, JSONL_INVALID_UTF8, 8);
    root = jsonl_parse("{\"a\": \"\xff\"}", 10, 0, &p);
    assert_non_null(root);
    cJSON_Delete(root);
    /* {"a": x}: the x, where no JSON value starts, is the 7th byte */
    parse_fails("{\"a\": x}", 0, JSONL_INVALID_JSON, 7);
    /* cut short: a column on the line, the kind invalid_json */
    assert_null(jsonl_parse("{\"a\": [1, ", 10, 0, &p));
    assert_int_equal(p.fault, JSONL_INVALID_JSON);
    assert_string_equal(p.kind, "invalid_json");
    assert_true(p.column >= 1 && p.column <= 11);
    /* over the bound: refused before a byte is read */
    assert_null(jsonl_parse("", (size_t)TP_MAX_LINE_BYTES + 1, 0, &p));
    assert_int_equal(p.fault, JSONL_TOO_LONG);
    assert_string_equal(p.kind, "line_too_long");
    assert_int_equal(p.column, 0);
}

static void test_detect(void **state) {
    (void)state;
    static const struct {
        const char *json;
        int format;
    } cases[] = {
        {"{\"messages\": []}", 0},       {"{\"instruction\": \"x\"}", 1}, {"{\"output\": \"x\"}", 1},
        {"{\"prompt\": \"x\"}", 2},      {"{\"completion\": \"x\"}", 2},  {"{\"text\": \"x\"}", -1},
        {"[1]", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = cJSON_Parse(cases[i].json);
        assert_int_equal(jsonl_detect(j), cases[i].format);
        cJSON_Delete(j);
    }
}

static void test_split(void **state) {
    (void)state;
    assert_int_equal(jsonl_split_count(20, 0.25), 5); /* 20 x 0.25 = 5 */
    assert_int_equal(jsonl_split_count(10, 0.04), 1); /* round(0.4) = 0, at least 1 */
    assert_int_equal(jsonl_split_count(2, 0.9), 1);   /* round(1.8) = 2, at most n - 1 */
    assert_int_equal(jsonl_split_count(7, 0.5), 4);   /* round(3.5) = 4 */
    assert_int_equal(jsonl_split_count(1, 0.5), 0);   /* one example trains */
    assert_int_equal(jsonl_split_count(20, 0), 0);
    unsigned char a[20], b[20], c[20];
    assert_int_equal(jsonl_split(20, 0.25, 7, a), 5);
    assert_int_equal(jsonl_split(20, 0.25, 7, b), 5);
    assert_int_equal(jsonl_split(20, 0.25, 8, c), 5);
    int marked = 0;
    for (int i = 0; i < 20; i++) {
        assert_true(a[i] <= 1);
        marked += a[i];
    }
    assert_int_equal(marked, 5);
    assert_memory_equal(a, b, 20);         /* same seed, same split */
    assert_true(memcmp(a, c, 20) != 0);    /* another seed, another one */
}

/* The hosted pre-flight reads through the same reader: a \u0000 and bytes
 * that are not UTF-8 are refused with their line and column. */
static void test_remote_preflight(void **state) {
    (void)state;
    static const char data[] =
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", "
        "\"content\": \"a\\u0000b\"}]}\n"
        "{\"messages\": [{\"role\": \"user\", \"content\": \"\xc3\x28\"}]}\n"
        "{} {}\n";
    RemoteAudit a;
    remote_audit_text(data, sizeof data - 1, "t.jsonl", 0, &a);
    assert_int_equal(a.n_examples, 3);
    assert_int_equal(a.invalid_json, 3);
    assert_int_equal(a.n_errors, 3);
    assert_int_equal(a.n_problems, 3);
    /* line 1: the column is the backslash's offset on the line plus one */
    const char *nul = strstr(data, "\\u0000");
    char want[64];
    snprintf(want, sizeof want, "t.jsonl:1: column %d: \\u0000", (int)(nul - data) + 1);
    assert_non_null(strstr(a.problems[0], want));
    /* line 2: "\xc3\x28" is not UTF-8 (a lead byte then no continuation) */
    assert_non_null(strstr(a.problems[1], "t.jsonl:2: column "));
    assert_non_null(strstr(a.problems[1], "invalid UTF-8"));
    /* line 3: two values (cJSON alone took the first and ignored the rest) */
    assert_non_null(strstr(a.problems[2], "t.jsonl:3: invalid JSON at column 4"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_remote_preflight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
