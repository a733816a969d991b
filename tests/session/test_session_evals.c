/* test_session_evals.c - `tunepilot eval` results read back by the session
 * layer (what eval compare, review, decide and the workbench share): the
 * evaluated sets newest first, one set's comparison, question 2 against a
 * target by the rule prompt_iterations_before_finetune (10 variants,
 * pricing/rules.json) and the measured answers it gives. The stored results
 * are written here by hand, so every expected figure is the one written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/session.h"

static Store *open_db(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tp_tmpdir(), name);
    Store *s = NULL;
    TpError err = {0};
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    return s;
}

/* One stored result: score [lo, hi] as accuracy on 10 examples; usd < 0 and
 * p95 < 0 store no cost and no latency (null). */
static int64_t put(Store *s, const char *digest, int64_t run, const char *model,
                   const char *variant, bool local, double v, double lo, double hi, double usd,
                   double p95) {
    char doc[1024], cost[32], lat[32];
    snprintf(cost, sizeof cost, usd < 0 ? "null" : "%.6g", usd);
    snprintf(lat, sizeof lat, p95 < 0 ? "null" : "%.6g", p95);
    snprintf(doc, sizeof doc,
             "{\"variant\":\"%s\",\"model\":\"%s\",\"local\":%s,\"examples\":10,\"answered\":9,"
             "\"failed\":1,\"skipped\":0,\"scores\":{\"kind\":\"label\",\"metric\":\"accuracy\","
             "\"score\":{\"value\":%g,\"lo\":%g,\"hi\":%g}},\"usd_per_1k\":%s,"
             "\"latency_p95_ms\":%s}",
             variant, model, local ? "true" : "false", v, lo, hi, cost, lat);
    StoreEvalResult r;
    memset(&r, 0, sizeof r);
    r.run_id = run;
    snprintf(r.set_digest, sizeof r.set_digest, "%s", digest);
    snprintf(r.variant, sizeof r.variant, "%s", variant);
    snprintf(r.model, sizeof r.model, "%s", model);
    snprintf(r.source, sizeof r.source, "run %lld (tickets.jsonl)", (long long)run);
    snprintf(r.endpoint, sizeof r.endpoint, "%s", local ? "local:model" : "http://x/v1");
    r.local = local;
    r.result = doc;
    int64_t id = 0;
    TpError err = {0};
    assert_int_equal(store_eval_result_save(s, &r, &id, &err), TP_OK);
    return id;
}

static void test_sets_and_comparison(void **state) {
    (void)state;
    Store *s = open_db("evals.db");
    TpError err = {0};
    put(s, "aaaa", 1, "m1", "zero-shot", false, 0.6, 0.4, 0.78, 0.5, 900);
    put(s, "aaaa", 1, "m1", "3-shot", false, 0.8, 0.6, 0.92, 1.25, 1200);
    put(s, "aaaa", 1, "m2", "zero-shot", false, 0.7, 0.5, 0.85, 0.25, 700);
    put(s, "aaaa", 1, "base run 1", "base local", true, 0.2, 0.05, 0.5, -1, 300);
    put(s, "aaaa", 1, "tuned run 1", "tuned local", true, 0.9, 0.6, 0.98, -1, 310);
    put(s, "bbbb", 0, "m1", "zero-shot", false, 0.5, 0.3, 0.7, 0.5, 800);

    /* sets: the one with the newest result first */
    StoreEvalSet *sets = NULL;
    int n = 0;
    assert_int_equal(session_eval_sets(s, &sets, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(sets[0].set_digest, "bbbb");
    assert_int_equal(sets[0].n_results, 1);
    assert_int_equal(sets[0].run_id, 0);
    assert_string_equal(sets[1].set_digest, "aaaa");
    assert_int_equal(sets[1].n_results, 5);
    assert_int_equal(sets[1].run_id, 1);
    assert_string_equal(sets[1].source, "run 1 (tickets.jsonl)");
    free(sets);

    SessionEvalComparison c;
    assert_int_equal(session_eval_compare(s, "aaaa", 1, &c, &err), TP_OK);
    assert_int_equal(c.n_rows, 5);
    assert_string_equal(c.source, "run 1 (tickets.jsonl)");
    /* rows oldest first, as written */
    assert_string_equal(c.rows[1].variant, "3-shot");
    assert_string_equal(c.rows[1].metric, "accuracy");
    assert_string_equal(c.rows[1].kind, "label");
    assert_close(c.rows[1].score, 0.8, 1e-12);
    assert_close(c.rows[1].lo, 0.6, 1e-12);
    assert_close(c.rows[1].hi, 0.92, 1e-12);
    assert_close(c.rows[1].usd_per_1k, 1.25, 1e-12);
    assert_close(c.rows[1].p95_ms, 1200, 1e-9);
    assert_int_equal(c.rows[1].examples, 10);
    assert_int_equal(c.rows[1].answered, 9);
    assert_int_equal(c.rows[1].failed, 1);
    assert_true(c.rows[3].local);
    assert_true(isnan(c.rows[3].usd_per_1k)); /* stored null: no price for a local model */
    assert_non_null(c.rows[3].result);
    /* evidence: variants are distinct names whatever the model (zero-shot, 3-shot = 2);
     * the best is 3-shot on m1 at 0.8; base 0.2 and tuned 0.9 */
    assert_true(c.have_evidence);
    assert_int_equal(c.evidence.n_variants, 2);
    assert_string_equal(c.evidence.best_variant, "3-shot");
    assert_string_equal(c.evidence.best_model, "m1");
    assert_close(c.evidence.best_score, 0.8, 1e-12);
    assert_close(c.evidence.base_score, 0.2, 1e-12);
    assert_close(c.evidence.tuned_score, 0.9, 1e-12);

    Pricing p = {0};
    assert_int_equal(session_pricing_load(NULL, 0, &p, &err), TP_OK);
    SessionQuestion2 q;
    /* no target: unknown, the rule's 10 from pricing/rules.json with its source */
    session_eval_question2(&c, &p, NAN, &q);
    assert_int_equal(q.state, EVAL_Q2_UNKNOWN);
    assert_close(q.rule_variants, 10, 0);
    assert_non_null(q.rule_source);
    assert_non_null(strstr(q.text, "no target set"));
    assert_non_null(strstr(q.text, "2 of the rule's 10 variants"));
    /* 0.8 >= 0.75: good enough */
    session_eval_question2(&c, &p, 0.75, &q);
    assert_int_equal(q.state, EVAL_Q2_GOOD_ENOUGH);
    /* 0.8 < 0.85 after 2 < 10 variants: keep prompting */
    session_eval_question2(&c, &p, 0.85, &q);
    assert_int_equal(q.state, EVAL_Q2_KEEP_PROMPTING);
    assert_non_null(strstr(q.text, "keep prompting"));
    assert_non_null(strstr(q.text, "accuracy 0.800 [0.600, 0.920]"));

    /* the answers: five-questions' frontier_fails is a measured no (keep prompting) */
    DecideFramework fw;
    DecideAnswers all = {0};
    assert_int_equal(decide_framework_load("five-questions", &p, &fw, &err), TP_OK);
    session_eval_answers(&c, &p, 0.85, &fw, &all);
    const DecideAnswer *ff = decide_answers_find(&all, "frontier_fails");
    assert_non_null(ff);
    assert_int_equal(ff->origin, DECIDE_ORIGIN_MEASURED);
    char val[64];
    assert_string_equal(decide_answer_value_str(ff, val, sizeof val), "no");
    decide_answers_free(&all);
    /* no target: nothing answered */
    session_eval_answers(&c, &p, NAN, &fw, &all);
    assert_null(decide_answers_find(&all, "frontier_fails"));
    decide_answers_free(&all);
    session_eval_compare_free(&c);

    /* a variant where every request failed (answered 0) tried no prompt: still 2 */
    {
        StoreEvalResult r;
        memset(&r, 0, sizeof r);
        r.run_id = 1;
        snprintf(r.set_digest, sizeof r.set_digest, "aaaa");
        snprintf(r.variant, sizeof r.variant, "5-shot");
        snprintf(r.model, sizeof r.model, "m1");
        r.result = "{\"examples\":10,\"answered\":0,\"failed\":10,\"scores\":{\"metric\":"
                   "\"accuracy\",\"score\":{\"value\":0,\"lo\":0,\"hi\":0.28}}}";
        int64_t id;
        assert_int_equal(store_eval_result_save(s, &r, &id, &err), TP_OK);
    }
    assert_int_equal(session_eval_compare(s, "aaaa", 1, &c, &err), TP_OK);
    assert_int_equal(c.n_rows, 6); /* shown in the comparison */
    assert_int_equal(c.evidence.n_variants, 2);
    assert_close(c.evidence.best_score, 0.8, 1e-12);
    session_eval_compare_free(&c);

    /* nine more variants under 0.85: 11 >= 10, the frontier fails */
    for (int k = 0; k < 9; k++) {
        char v[32];
        snprintf(v, sizeof v, "zero-shot+system:%06d", k);
        put(s, "aaaa", 1, "m1", v, false, 0.5, 0.3, 0.7, 0.5, 900);
    }
    assert_int_equal(session_eval_compare(s, "aaaa", 1, &c, &err), TP_OK);
    assert_int_equal(c.evidence.n_variants, 11);
    session_eval_question2(&c, &p, 0.85, &q);
    assert_int_equal(q.state, EVAL_Q2_FAILS);
    assert_non_null(strstr(q.text, "11 of the rule's 10 variants"));
    session_eval_answers(&c, &p, 0.85, &fw, &all);
    ff = decide_answers_find(&all, "frontier_fails");
    assert_non_null(ff);
    assert_string_equal(decide_answer_value_str(ff, val, sizeof val), "yes");
    decide_answers_free(&all);
    decide_framework_free(&fw);
    /* the checklist counts 11 prompt iterations */
    assert_int_equal(decide_framework_load("checklist", &p, &fw, &err), TP_OK);
    session_eval_answers(&c, &p, 0.85, &fw, &all);
    const DecideAnswer *it = decide_answers_find(&all, "prompt_iterations");
    assert_non_null(it);
    assert_string_equal(decide_answer_value_str(it, val, sizeof val), "11");
    decide_answers_free(&all);
    decide_framework_free(&fw);
    session_eval_compare_free(&c);

    /* a set with no results: empty, no evidence, and question 2 says what to run */
    assert_int_equal(session_eval_compare(s, "none", 0, &c, &err), TP_OK);
    assert_int_equal(c.n_rows, 0);
    assert_false(c.have_evidence);
    session_eval_question2(&c, &p, 0.9, &q);
    assert_int_equal(q.state, EVAL_Q2_UNKNOWN);
    assert_non_null(strstr(q.text, "tunepilot eval --data FILE"));
    session_eval_compare_free(&c);
    pricing_free(&p);
    store_close(s);
}

/* A stored result that is not JSON is an error naming it, not a crash or a
 * silently missing row; no database is an error too. */
static void test_bad_stored_result(void **state) {
    (void)state;
    Store *s = open_db("bad.db");
    TpError err = {0};
    StoreEvalResult r;
    memset(&r, 0, sizeof r);
    snprintf(r.set_digest, sizeof r.set_digest, "cccc");
    snprintf(r.variant, sizeof r.variant, "zero-shot");
    snprintf(r.model, sizeof r.model, "m");
    r.result = "{not json";
    int64_t id = 0;
    assert_int_equal(store_eval_result_save(s, &r, &id, &err), TP_OK);
    SessionEvalComparison c;
    assert_int_equal(session_eval_compare(s, "cccc", 0, &c, &err), TP_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "evaluation %lld", (long long)id);
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(c.n_rows, 0);
    assert_null(c.rows);
    store_close(s);
    assert_int_equal(session_eval_compare(NULL, "cccc", 0, &c, &err), TP_EINVAL);
    StoreEvalSet *sets = NULL;
    int n = 0;
    assert_int_equal(session_eval_sets(NULL, &sets, &n, &err), TP_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sets_and_comparison),
        cmocka_unit_test(test_bad_stored_result),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
