/* test_summary.c - a pilot's typed summary: the writer's JSON, field by
 * field, from values chosen here; read back it is the same; a summary written
 * by an older version (fields missing, a GPU entry without hours) reads as
 * "not recorded" (NAN, -1) instead of failing; not an object is an error. */
#include "tp_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/pilot.h"

static void test_round_trip(void **state) {
    (void)state;
    PilotGpuRun gpus[2] = {{"h100", "runpod", 0.5, 1.25, 2.5}, {"a10g", "aws", 3.0, 3.0, 1.0}};
    char examples[] = "1. q -> a\n";
    PilotSummary s = {.base = {2.5, 0.25, 8},
                      .tuned = {1.5, 0.75, 8},
                      .examples = examples,
                      .export_dir = "/runs/1/adapter",
                      .template_name = "chatml",
                      .n_train = 72,
                      .n_eval = 8,
                      .n_truncated = 0,
                      .n_params = 1000,
                      .n_trainable = 40,
                      .frozen_bytes_per_weight = 0.5,
                      .tokens_per_s = 100,
                      .achieved_gflops = 0.6,
                      .full_run = {.epochs = 2,
                                   .tokens = 400,
                                   .flops_per_token = 6000,
                                   .total_flops = 2.4e6,
                                   .here_hours = NAN, /* not measured: null */
                                   .here_tokens_per_s = 100,
                                   .gpu_utilization = 0.35,
                                   .gpu_utilization_source = "rule",
                                   .gpus = gpus,
                                   .n_gpus = 2}};
    char *js = pilot_summary_json(&s);
    /* the recorded shape, in the writer's order */
    assert_string_equal(
        js, "{\"base\":{\"loss\":2.5,\"accuracy\":0.25,\"examples\":8},"
            "\"tuned\":{\"loss\":1.5,\"accuracy\":0.75,\"examples\":8},"
            "\"examples\":\"1. q -> a\\n\",\"export_dir\":\"/runs/1/adapter\",\"template\":\"chatml\","
            "\"n_train\":72,\"n_eval\":8,\"n_truncated\":0,\"n_params\":1000,\"n_trainable\":40,"
            "\"frozen_bytes_per_weight\":0.5,\"tokens_per_s\":100,\"achieved_gflops\":0.6,"
            "\"full_run\":{\"epochs\":2,\"tokens\":400,\"flops_per_token\":6000,"
            "\"total_flops\":2400000,\"here_hours\":null,\"here_tokens_per_s\":100,"
            "\"gpus\":[{\"gpu\":\"h100\",\"hours\":0.5,\"usd\":1.25,\"cloud\":\"runpod\","
            "\"usd_per_hour\":2.5},{\"gpu\":\"a10g\",\"hours\":3,\"usd\":3,\"cloud\":\"aws\","
            "\"usd_per_hour\":1}],\"gpu_utilization\":0.35,\"gpu_utilization_source\":\"rule\"}}");
    PilotSummary r;
    TpError err = {0};
    assert_int_equal(pilot_summary_parse(js, "run 1 summary", &r, &err), TP_OK);
    char *again = pilot_summary_json(&r);
    assert_string_equal(again, js); /* read back, the same record */
    assert_true(isnan(r.full_run.here_hours));
    assert_int_equal(r.full_run.n_gpus, 2);
    assert_string_equal(r.full_run.gpus[1].gpu, "a10g");
    assert_int_equal(r.n_params, 1000);
    free(again);
    free(js);
    pilot_summary_free(&r);
}

static void test_older_and_bad(void **state) {
    (void)state;
    PilotSummary r;
    TpError err = {0};
    /* no tuned, no counts, one GPU without hours (skipped), no utilization */
    const char *old = "{\"base\":{\"loss\":3},\"full_run\":{\"epochs\":1,"
                      "\"gpus\":[{\"gpu\":\"x\"},{\"gpu\":\"y\",\"hours\":2}]}}";
    assert_int_equal(pilot_summary_parse(old, "run 2 summary", &r, &err), TP_OK);
    assert_close(r.base.loss, 3, 0);
    assert_true(isnan(r.base.accuracy));
    assert_true(isnan(r.tuned.loss));
    assert_int_equal(r.n_params, -1);
    assert_int_equal(r.n_train, -1);
    assert_string_equal(r.examples, "");
    assert_true(isnan(r.full_run.gpu_utilization));
    assert_int_equal(r.full_run.n_gpus, 1);
    assert_string_equal(r.full_run.gpus[0].gpu, "y");
    pilot_summary_free(&r);
    /* a fractional or negative count is not a count */
    assert_int_equal(pilot_summary_parse("{\"n_params\":1.5,\"n_train\":-3}", "s", &r, &err), TP_OK);
    assert_int_equal(r.n_params, -1);
    assert_int_equal(r.n_train, -1);
    pilot_summary_free(&r);

    assert_int_equal(pilot_summary_parse("[1]", "run 3 summary", &r, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "run 3 summary: expected a JSON object"));
    /* what cannot be read records nothing, and reads so */
    assert_true(isnan(r.tuned.loss) && isnan(r.full_run.here_hours));
    assert_int_equal(r.n_train, -1);
    assert_int_equal(r.full_run.n_gpus, 0);
    assert_string_equal(r.examples, "");
    pilot_summary_free(&r);
    assert_int_equal(pilot_summary_parse(NULL, "run 5 summary", &r, &err), TP_EINVAL);
    assert_true(isnan(r.base.accuracy));
    pilot_summary_free(&r);
    assert_int_equal(pilot_summary_parse("{", "run 4 summary", &r, &err), TP_EINVAL);
    pilot_summary_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_older_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
