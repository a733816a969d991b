/* test_field.c - the workbench's line editor and picker: typing replaces
 * the shown value, "7e" is text (never a command), Escape restores the old
 * value, a refused commit keeps the editor open with its message; the
 * picker narrows by typing and chooses with Enter. Together with the
 * session parser, the texts of issue 11: 1.5.5, 50k, 7e. */
#include <stdio.h>
#include <string.h>

#include "tp_test.h"
#include "tui/field.h"
#include "tunepilot/session_edit.h"

static void type(FieldEdit *e, const char *s) {
    for (; *s; s++)
        assert_int_equal(field_key(e, (unsigned char)*s), FIELD_EDITING);
}

static void test_typing_replaces_then_edits(void **state) {
    (void)state;
    FieldEdit e;
    field_begin(&e, "1200");
    assert_true(e.active);
    char d[64];
    field_display(&e, d, sizeof d);
    assert_string_equal(d, "1200_");
    type(&e, "50k"); /* the first key replaces the shown value */
    assert_string_equal(e.text, "50k");
    assert_int_equal(field_key(&e, FIELD_KEY_BACKSPACE), FIELD_EDITING);
    assert_string_equal(e.text, "50");
    assert_int_equal(field_key(&e, FIELD_KEY_LEFT), FIELD_EDITING);
    type(&e, ".");
    assert_string_equal(e.text, "5.0");
    field_display(&e, d, sizeof d);
    assert_string_equal(d, "5.|0");
    field_key(&e, FIELD_KEY_HOME);
    field_key(&e, FIELD_KEY_DELETE);
    assert_string_equal(e.text, ".0");
    field_key(&e, FIELD_KEY_END);
    field_key(&e, FIELD_KEY_CLEAR);
    assert_string_equal(e.text, "");
    /* keys that are not text are swallowed, never passed on */
    assert_int_equal(field_key(&e, FIELD_KEY_OTHER), FIELD_EDITING);
    assert_int_equal(field_key(&e, FIELD_KEY_UP), FIELD_EDITING);
    assert_int_equal(field_key(&e, 9 /* Tab */), FIELD_EDITING);
    assert_string_equal(e.text, "");
}

static void test_backspace_on_shown_value_edits_it(void **state) {
    (void)state;
    FieldEdit e;
    field_begin(&e, "1200");
    field_key(&e, FIELD_KEY_BACKSPACE); /* not a replacement: trims the shown value */
    assert_string_equal(e.text, "120");
    type(&e, "5");
    assert_string_equal(e.text, "1205");
}

static void test_escape_restores(void **state) {
    (void)state;
    FieldEdit e;
    field_begin(&e, "0.05");
    type(&e, "7e");
    assert_string_equal(e.text, "7e");
    assert_int_equal(field_key(&e, FIELD_KEY_ESCAPE), FIELD_CANCEL);
    assert_string_equal(e.text, "0.05");
    field_end(&e);
    assert_false(e.active);
}

/* "7e", "1.5.5": text for the parser; its refusal keeps the editor open.
 * "50k" is 50,000 (not 50). */
static void test_commit_through_the_parser(void **state) {
    (void)state;
    const SessionField *f = session_field_info("requests_per_day");
    const char *bad[] = {"7e", "1.5.5"};
    for (int i = 0; i < 2; i++) {
        FieldEdit e;
        field_begin(&e, "1000");
        type(&e, bad[i]);
        assert_int_equal(field_key(&e, FIELD_KEY_ENTER), FIELD_COMMIT);
        cJSON *v = NULL;
        char msg[256];
        assert_false(session_value_parse(e.text, f, &v, msg, sizeof msg));
        field_fail(&e, msg);
        assert_true(e.active);
        assert_non_null(strstr(e.message, "is not a number"));
        type(&e, "0"); /* typing on: appends, and clears the message */
        assert_string_equal(e.message, "");
        assert_int_equal(strlen(e.text), strlen(bad[i]) + 1);
    }
    FieldEdit e;
    field_begin(&e, "1000");
    type(&e, "50k");
    assert_int_equal(field_key(&e, '\r'), FIELD_COMMIT);
    cJSON *v = NULL;
    char msg[256];
    assert_true(session_value_parse(e.text, f, &v, msg, sizeof msg));
    assert_true(v->valuedouble == 50000); /* 50 x 1,000 */
    cJSON_Delete(v);
}

static void test_utf8_backspace(void **state) {
    (void)state;
    FieldEdit e;
    field_begin(&e, "caf\xc3\xa9"); /* café: é is two bytes */
    field_key(&e, FIELD_KEY_BACKSPACE);
    assert_string_equal(e.text, "caf");
}

static void test_picker(void **state) {
    (void)state;
    const char *items[] = {"gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4", "gemini-2.5-flash"};
    const char *notes[] = {"openai", "openai", "anthropic", "google"};
    Picker p;
    picker_begin(&p, "model", items, notes, 4, "claude-sonnet-4");
    assert_string_equal(picker_choice(&p), "claude-sonnet-4"); /* the current one */
    assert_int_equal(picker_key(&p, 'm'), FIELD_EDITING); /* "m": gpt-4.1-mini, gemini-2.5-flash */
    assert_int_equal(p.n_shown, 2);
    picker_key(&p, 'i'); /* "mi": the same two */
    assert_int_equal(p.n_shown, 2);
    assert_string_equal(picker_choice(&p), "gpt-4.1-mini");
    picker_key(&p, FIELD_KEY_DOWN);
    assert_string_equal(picker_choice(&p), "gemini-2.5-flash");
    picker_key(&p, FIELD_KEY_DOWN); /* stays on the last */
    assert_string_equal(picker_choice(&p), "gemini-2.5-flash");
    picker_key(&p, 'z'); /* "miz": nothing; Enter does nothing */
    assert_int_equal(p.n_shown, 0);
    assert_null(picker_choice(&p));
    assert_int_equal(picker_key(&p, FIELD_KEY_ENTER), FIELD_EDITING);
    picker_key(&p, FIELD_KEY_BACKSPACE);
    assert_int_equal(p.n_shown, 2);
    picker_key(&p, FIELD_KEY_CLEAR);
    picker_key(&p, 'G');
    picker_key(&p, 'O'); /* "GO": case-insensitive, notes too: google */
    assert_int_equal(p.n_shown, 1);
    assert_int_equal(picker_key(&p, FIELD_KEY_ENTER), FIELD_COMMIT);
    assert_string_equal(picker_choice(&p), "gemini-2.5-flash");
    assert_int_equal(picker_key(&p, FIELD_KEY_ESCAPE), FIELD_CANCEL);
    picker_end(&p);
    assert_false(p.active);
}

static void test_picker_scroll(void **state) {
    (void)state;
    const char *items[20];
    char names[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "g%d", i);
        items[i] = names[i];
    }
    Picker p;
    picker_begin(&p, "gpu", items, NULL, 20, "g15");
    picker_scroll(&p, 5);
    assert_int_equal(p.top, 11); /* 15 is the last of rows 11..15 */
    for (int i = 0; i < 15; i++)
        picker_key(&p, FIELD_KEY_UP);
    picker_scroll(&p, 5);
    assert_int_equal(p.top, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typing_replaces_then_edits),
        cmocka_unit_test(test_backspace_on_shown_value_edits_it),
        cmocka_unit_test(test_escape_restores),
        cmocka_unit_test(test_commit_through_the_parser),
        cmocka_unit_test(test_utf8_backspace),
        cmocka_unit_test(test_picker),
        cmocka_unit_test(test_picker_scroll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
