/* test_store_runs.c - training runs, metrics, evaluations, events. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/store.h"

static void test_runs(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/runs.db", tp_tmpdir());
    Store *s;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    StoreRun r = {0};
    snprintf(r.model, sizeof r.model, "/models/tiny");
    snprintf(r.data, sizeof r.data, "/data/train.jsonl");
    snprintf(r.method, sizeof r.method, "qlora");
    r.config = "{\"rank\": 8}";
    r.total_steps = 100;
    int64_t id = 0, id2 = 0;
    assert_int_equal(store_run_create(s, &r, &id, &err), TP_OK);
    assert_int_equal(store_run_create(s, &r, &id2, &err), TP_OK);
    for (int step = 1; step <= 5; step++) {
        StoreMetric m = {step, 3.0 - step * 0.1, 1e-4, 0.5, 1000, 50, step * 2.0, step * 256};
        assert_int_equal(store_run_metric(s, id, &m, &err), TP_OK);
    }
    /* a resumed run rewrites step 5 */
    StoreMetric again = {5, 2.25, 1e-4, 0.4, 900, 51, 11, 1280};
    assert_int_equal(store_run_metric(s, id, &again, &err), TP_OK);
    StoreEval e = {5, "eval", 2.5, NAN};
    assert_int_equal(store_run_eval(s, id, &e, &err), TP_OK);
    assert_int_equal(store_run_event(s, id, "info", "started", &err), TP_OK);
    assert_int_equal(store_run_set_status(s, id, RUN_COMPLETED, "done", &err), TP_OK);
    assert_int_equal(store_run_set_summary(s, id, "{\"tuned_loss\": 2.1}", &err), TP_OK);

    StoreRun got;
    assert_int_equal(store_run_get(s, id, &got, &err), TP_OK);
    assert_int_equal(got.status, RUN_COMPLETED);
    assert_string_equal(run_status_name(got.status), "completed");
    assert_int_equal(run_status_parse("paused"), RUN_PAUSED);
    assert_int_equal(run_status_parse("weird"), RUN_UNKNOWN);
    assert_string_equal(got.method, "qlora");
    assert_string_equal(got.kind, "local");
    assert_int_equal(got.last_step, 5);
    assert_string_equal(got.summary, "{\"tuned_loss\": 2.1}");
    store_run_free(&got);

    StoreMetric *ms;
    int n;
    assert_int_equal(store_run_metrics(s, id, 2, &ms, &n, &err), TP_OK);
    assert_int_equal(n, 3); /* steps 3, 4, 5 */
    assert_int_equal(ms[0].step, 3);
    assert_close(ms[2].loss, 2.25, 1e-12);
    free(ms);
    StoreEval *es;
    assert_int_equal(store_run_evals(s, id, &es, &n, &err), TP_OK);
    assert_int_equal(n, 1);
    assert_true(isnan(es[0].accuracy));
    free(es);

    StoreRun *list;
    assert_int_equal(store_run_list(s, &list, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, id2); /* newest first */
    assert_int_equal(list[1].last_step, 5);
    for (int i = 0; i < n; i++)
        store_run_free(&list[i]);
    free(list);
    assert_int_equal(store_run_get(s, 99, &got, &err), TP_ENOTFOUND);
    store_close(s);
    tp_tmpdir_cleanup();
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_runs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
