/* test_bounds.c - regression tests for bounded input handling (issue 16):
 * parsers that must neither recurse on the input's nesting, nor take
 * quadratic time, nor convert out-of-range numbers. Limits live in
 * include/tunepilot/limits.h. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tp_test.h"
#include "tunepilot/external.h"
#include "tunepilot/json.h"
#include "tunepilot/limits.h"
#include "tunepilot/probe.h"
#include "tunepilot/tokenizer.h"

/* A trainer's Python dict lines convert as before. */
static void test_line_object_python_dict(void **state) {
    (void)state;
    const char *line =
        "{'loss': '1.125', 'learning_rate': np.float64(5e-05), 'epoch': 1.0,"
        " 'ok': True, 'x': None, 't': (1, (2, 3)), 'g': tensor(0.5, device='cuda:0'),"
        " 'e': f(), 'n': nan}";
    cJSON *o = external_line_object(line, strlen(line));
    assert_non_null(o);
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text, "{\"loss\":\"1.125\",\"learning_rate\":5e-05,\"epoch\":1,\"ok\":true,"
                              "\"x\":null,\"t\":[1,[2,3]],\"g\":0.5,\"e\":null,\"n\":\"nan\"}");
    free(text);
    cJSON_Delete(o);
    /* plain JSON goes straight to cJSON */
    o = external_line_object("x {\"step\": 10}", 14);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "step")->valueint, 10);
    cJSON_Delete(o);
}

/* Issue 16 #7: a 65 KB line of '(' crashed a release build with a 4 MB
 * stack (one recursion per parenthesis) and 8 MB of them took 5 s
 * (quadratic). Now: no object, no recursion, linear time. */
static void test_line_object_deep_nesting(void **state) {
    (void)state;
    size_t n = 8u << 20;
    char *line = malloc(n + 2);
    line[0] = '{';
    memset(line + 1, '(', n);
    line[n + 1] = '}';
    assert_null(external_line_object(line, n + 2));
    /* just within the limit: converts (unbalanced groups are closed) */
    size_t k = TP_MAX_JSON_DEPTH;
    memcpy(line, "{'a': ", 6);
    memset(line + 6, '(', k);
    memset(line + 6 + k, ')', k);
    line[6 + 2 * k] = '}';
    cJSON *o = external_line_object(line, 7 + 2 * k);
    assert_non_null(o);
    cJSON_Delete(o);
    /* one more '(': over the limit */
    memmove(line + 7 + k, line + 6 + k, k + 1);
    line[6 + k] = '(';
    assert_null(external_line_object(line, 8 + 2 * k));
    free(line);
}

/* Issue 16 #13: every JSON number becomes an integer through one checked
 * conversion; 1e300, NaN, infinities, fractions and 2^63 are refused. */
static void test_checked_integer(void **state) {
    (void)state;
    int64_t i = 7;
    int k = 7;
    assert_false(tp_json_to_i64(1e300, INT64_MIN, INT64_MAX, &i));
    assert_false(tp_json_to_i64(-1e300, INT64_MIN, INT64_MAX, &i));
    assert_false(tp_json_to_i64(NAN, INT64_MIN, INT64_MAX, &i));
    assert_false(tp_json_to_i64(INFINITY, INT64_MIN, INT64_MAX, &i));
    assert_false(tp_json_to_i64(9223372036854775808.0, INT64_MIN, INT64_MAX, &i)); /* 2^63 */
    assert_false(tp_json_to_i64(2.5, INT64_MIN, INT64_MAX, &i));
    assert_int_equal(i, 7); /* untouched on refusal */
    assert_true(tp_json_to_i64(-9223372036854775808.0, INT64_MIN, INT64_MAX, &i));
    assert_true(i == INT64_MIN);
    assert_true(tp_json_to_i64(9007199254740992.0, 0, INT64_MAX, &i)); /* 2^53 */
    assert_true(i == 9007199254740992LL);
    assert_false(tp_json_to_int(2147483648.0, INT_MIN, INT_MAX, &k)); /* 2^31 */
    assert_false(tp_json_to_int(-1, 0, 10, &k));
    assert_true(tp_json_to_int(10, 0, 10, &k));
    assert_int_equal(k, 10);
}

/* probe.c:90 converted "completion_tokens": 1e300 to long long (undefined
 * behaviour, caught by -fsanitize=float-cast-overflow): now not a count. */
static void test_probe_completion_tokens(void **state) {
    (void)state;
    ProbeStream ps;
    probe_stream_init(&ps, 0);
    const char *chunk = "{\"choices\":[],\"usage\":{\"completion_tokens\":1e300}}";
    probe_stream_data(&ps, chunk, strlen(chunk), 10);
    assert_true(ps.completion_tokens == -1); /* not reported */
    probe_stream_init(&ps, 0);
    chunk = "{\"choices\":[],\"usage\":{\"completion_tokens\":12}}";
    probe_stream_data(&ps, chunk, strlen(chunk), 10);
    assert_true(ps.completion_tokens == 12);
}

/* tokenizer.c:724 converted a post-processor's special token id of 1e300
 * to int: now an id out of range falls back to the token's own id. */
static void test_tokenizer_post_processor_id(void **state) {
    (void)state;
    const char *json =
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"<s>\": 3},"
        " \"merges\": [\"a b\"]},"
        " \"added_tokens\": [{\"id\": 3, \"content\": \"<s>\", \"special\": true}],"
        " \"post_processor\": {\"type\": \"TemplateProcessing\","
        " \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}},"
        " {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
        " \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1e300], \"tokens\": "
        "[\"<s>\"]}}}}";
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load_json(json, strlen(json), "t.json", &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    assert_true(tokenizer_adds_bos(t));
    assert_int_equal(tokenizer_bos_id(t), 3);
    tokenizer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_object_python_dict),
        cmocka_unit_test(test_line_object_deep_nesting),
        cmocka_unit_test(test_checked_integer),
        cmocka_unit_test(test_probe_completion_tokens),
        cmocka_unit_test(test_tokenizer_post_processor_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
