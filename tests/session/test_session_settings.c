/* test_session_settings.c - pilot settings as typed (session_setting_parse):
 * read as the scenario editor reads numbers (2k = 2 x 1,000), held to the
 * trainer's own bounds with the trainer's message, the same message
 * trainer_open's check gives for a TrainConfig. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/session.h"
#include "tunepilot/trainer.h"

static double take(TrainSetting s, const char *text) {
    double v = NAN;
    char msg[400];
    if (!session_setting_parse(s, text, &v, msg, sizeof msg))
        fail_msg("\"%s\" refused: %s", text, msg);
    return v;
}

static const char *refuse(TrainSetting s, const char *text) {
    static char msg[400];
    double v = -1;
    if (session_setting_parse(s, text, &v, msg, sizeof msg))
        fail_msg("\"%s\" taken as %g", text, v);
    assert_true(v == -1); /* untouched */
    return msg;
}

static void test_typed(void **state) {
    (void)state;
    assert_true(take(TRAIN_SETTING_STEPS, "2k") == 2000);          /* 2 x 1,000 */
    assert_true(take(TRAIN_SETTING_STEPS, " 1.5k ") == 1500);      /* 1.5 x 1,000 */
    assert_true(take(TRAIN_SETTING_STEPS, "1e9") == 1e9);          /* the upper bound itself */
    assert_true(take(TRAIN_SETTING_RANK, "4096") == 4096);
    assert_true(take(TRAIN_SETTING_LR, "2e-4") == 2e-4);
    assert_true(take(TRAIN_SETTING_SEQ, "2") == 2);                /* the lower bound itself */
    assert_string_equal(refuse(TRAIN_SETTING_STEPS, "0"),
                        "--steps: expected an integer in [1, 1000000000], got 0");
    assert_true(take(TRAIN_SETTING_STEPS, "2M") == 2e6); /* 2 x 1,000,000 is in; 2G is not */
    assert_string_equal(refuse(TRAIN_SETTING_STEPS, "2G"),
                        "--steps: expected an integer in [1, 1000000000], got 2000000000");
    assert_string_equal(refuse(TRAIN_SETTING_RANK, "4097"),
                        "--rank: expected an integer in [1, 4096], got 4097");
    assert_string_equal(refuse(TRAIN_SETTING_LR, "10"), "--lr: expected a number in (0, 10), got 10");
    assert_string_equal(refuse(TRAIN_SETTING_LR, "0"), "--lr: expected a number in (0, 10), got 0");
    assert_non_null(strstr(refuse(TRAIN_SETTING_BATCH, "1.5"), "\"1.5\" is not a whole number"));
    assert_non_null(strstr(refuse(TRAIN_SETTING_BATCH, "8x"), "is not a number"));
    assert_non_null(strstr(refuse(TRAIN_SETTING_BATCH, ""), "--batch takes a whole number"));
    assert_non_null(strstr(refuse(TRAIN_SETTING_SEQ, "[2, 4]"), "not a range"));
}

/* The trainer's own check gives the message the faces give. */
static void test_same_message(void **state) {
    (void)state;
    TpError err = {0};
    assert_int_equal(train_setting_check(TRAIN_SETTING_BATCH, 5000, &err), TP_EINVAL);
    assert_string_equal(err.msg, "--batch: expected an integer in [1, 4096], got 5000");
    assert_string_equal(refuse(TRAIN_SETTING_BATCH, "5k"), err.msg); /* 5 x 1,000 */
    assert_int_equal(train_setting_check(TRAIN_SETTING_BATCH, 4096, &err), TP_OK);
    assert_null(train_setting_limit(TRAIN_N_SETTINGS));
    const TrainSettingLimit *l = train_setting_limit(TRAIN_SETTING_RANK);
    assert_string_equal(l->flag, "--rank");
    assert_true(l->integer && l->lo == 1 && l->hi == 4096);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed),
        cmocka_unit_test(test_same_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
