/* test_seeds.c - decision cases derived from the seeds of good advice
 * (issue 10): retrieval before fine-tuning when knowledge or document length
 * is the gap; real overhead in question 5; a verdict resting on a feasible
 * option. Every number is hand arithmetic beside the assertion; the rules
 * come from the bundled pricing/rules.json. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/session.h"

static Pricing P;

static int setup(void **state) {
    (void)state;
    TpError err = {0};
    return pricing_load_bundled(&P, &err) == TP_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    pricing_free(&P);
    return 0;
}

static DecideVerdict evaluate(const char *framework, const char *answers, const char *rule) {
    TpError err = {0};
    DecideFramework fw;
    assert_int_equal(decide_framework_load(framework, &P, &fw, &err), TP_OK);
    cJSON *doc = cJSON_Parse(answers);
    assert_non_null(doc);
    DecideAnswers typed = {0}, all = {0};
    assert_int_equal(decide_answers_from_json(&fw, doc, "answers", &typed, &err), TP_OK);
    assert_int_equal(session_decide_answers(&fw, NULL, NULL, &P, NULL, &typed, &all, &err), TP_OK);
    DecideResult r;
    decide_evaluate(&fw, &all, &r);
    DecideVerdict v = r.verdict;
    if (rule) {
        assert_non_null(r.decided_by);
        assert_string_equal(r.decided_by->id, rule);
    }
    decide_result_free(&r);
    decide_answers_free(&typed);
    decide_answers_free(&all);
    decide_framework_free(&fw);
    cJSON_Delete(doc);
    return v;
}

#define PLATEAU "\"prompted\": true, \"evaluated\": true, \"meets_bar\": false, \"prompting_plateaued\": true"

/* Sequence: prompting, then retrieval, then fine-tuning. */
static void test_retrieval_before_fine_tuning(void **state) {
    (void)state;
    /* knowledge is the gap and retrieval was not tried: retrieval first */
    assert_int_equal(evaluate("sequence",
                              "{" PLATEAU ", \"gap\": \"knowledge\", \"retrieval_tried\": false,"
                              " \"finetune_evaluated\": true, \"finetune_better\": true,"
                              " \"volume\": true, \"serving\": \"hosted\"}",
                              "knowledge_try_retrieval"),
                     DECIDE_RAG);
    /* retrieval meets the bar: stop there */
    assert_int_equal(evaluate("sequence",
                              "{" PLATEAU ", \"gap\": \"knowledge\", \"retrieval_tried\": true,"
                              " \"retrieval_meets_bar\": true}",
                              "retrieval_solves_it"),
                     DECIDE_RAG);
    /* retrieval leaves a measured gap: fine-tuning is evaluated next */
    assert_int_equal(evaluate("sequence",
                              "{" PLATEAU ", \"gap\": \"knowledge\", \"retrieval_tried\": true,"
                              " \"retrieval_meets_bar\": false, \"finetune_evaluated\": false}",
                              "fine_tune_not_evaluated"),
                     DECIDE_NOT_YET);
    /* behaviour (format, terminology) is the gap: straight to fine-tuning */
    assert_int_equal(evaluate("sequence",
                              "{" PLATEAU ", \"gap\": \"behaviour\", \"finetune_evaluated\": true,"
                              " \"finetune_better\": true, \"volume\": true,"
                              " \"serving\": \"hosted\"}",
                              "fine_tune_through_api"),
                     DECIDE_FINE_TUNE_HOSTED);
    /* prompting still improving: no retrieval or fine-tuning question yet */
    assert_int_equal(evaluate("sequence",
                              "{\"prompted\": true, \"evaluated\": true, \"meets_bar\": false,"
                              " \"prompting_plateaued\": false, \"gap\": \"knowledge\"}",
                              "still_improving"),
                     DECIDE_PROMPT_ENGINEERING);
    /* checklist: 18,000-token documents are retrieval's (long_documents > 16,000) */
    assert_int_equal(evaluate("checklist",
                              "{\"repetitive_format\": false, \"prompt_iterations\": 3,"
                              " \"labeled_examples\": 2000, \"latency_budget_ms\": 3000,"
                              " \"hosted_latency_ok\": true, \"proprietary_terms\": false,"
                              " \"prompting_exhausted\": true, \"knowledge_changes_often\": false,"
                              " \"budget_usd\": 200000, \"doc_tokens\": 18000}",
                              "documents_too_long"),
                     DECIDE_RAG);
}

static void project(const char *json, CostScenario *sc, CostProjection *proj) {
    TpError err = {0};
    TpStatus st = cost_scenario_parse(json, strlen(json), "seed", &P, sc, &err);
    if (st != TP_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, TP_OK);
    assert_int_equal(cost_project(sc, proj, &err), TP_OK);
}

/* The $114,000 story: 18,000-token documents. A fine-tune on a model with a
 * 16,385-token window cannot read them; chunked retrieval sends 200 + 3,000
 * + 300 tokens. With gpt-4.1-mini ($0.40 / $1.60 per M tokens), query
 * embeddings at $0.02/M and a $50 vector store, 20,000 requests a day cost
 *   (3,200 x 0.40 + 300 x 1.60 + 200 x 0.02) / 1e6 = $0.001764 a request,
 *   x 20,000 x 365/12 = $1,073.10 + $50 = $1,123.10 a month,
 * about the $1,200 a month of the story. The framework's answer (five
 * questions, all yes) is a hosted fine-tune; it cannot stand on an option
 * that does not fit the documents, so the verdict is retrieval. */
static void test_long_documents_story(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    project("{\"name\": \"contracts\", \"horizon_months\": 12, \"workload\": {"
            " \"requests_per_day\": 20000, \"input_tokens\": 18000, \"output_tokens\": 300},"
            " \"options\": ["
            "{\"id\": \"ft-16k\", \"kind\": \"api_finetuned\", \"model\": \"gpt-4.1-mini\","
            " \"context_window\": 16385, \"train_tokens\": 20000000, \"epochs\": 2},"
            "{\"id\": \"chunked-rag\", \"kind\": \"rag\", \"model\": \"gpt-4.1-mini\","
            " \"input_tokens\": 200, \"context_tokens\": 3000, \"query_embedding_tokens\": 200,"
            " \"embedding_per_mtok\": 0.02, \"vector_store_monthly_usd\": 50,"
            " \"corpus_tokens\": 0}]}",
            &sc, &pr);
    assert_false(pr.options[0].feasible);
    assert_int_equal(pr.options[0].checks[COST_CHECK_CONTEXT].status, COST_FAIL);
    assert_true(pr.options[1].feasible);
    assert_close(pr.options[1].monthly_cost_usd[0], 0.001764 * 20000 * 365.0 / 12 + 50, 1e-6);
    assert_int_equal(cost_cheapest(&pr, true), 1);

    TpError err = {0};
    DecideFramework fw;
    assert_int_equal(decide_framework_load("five-questions", &P, &fw, &err), TP_OK);
    DecideAnswers typed = {0}, all = {0};
    decide_answers_set_yes_no(&typed, "frontier_fails", true, DECIDE_ORIGIN_TYPED, NULL);
    decide_answers_set_yes_no(&typed, "can_maintain", true, DECIDE_ORIGIN_TYPED, NULL);
    assert_int_equal(session_decide_answers(&fw, &sc, &pr, &P, NULL, &typed, &all, &err), TP_OK);
    /* no fine-tune that fits the documents can save anything */
    const DecideAnswer *s = decide_answers_find(&all, "savings_exceed_overhead");
    assert_non_null(s);
    assert_false(s->yes);
    DecideResult r;
    decide_evaluate(&fw, &all, &r);
    SessionVerdict sv;
    session_verdict(r.verdict, &sc, &pr, &sv);
    assert_int_not_equal(sv.verdict, DECIDE_FINE_TUNE_HOSTED);
    assert_int_not_equal(sv.verdict, DECIDE_FINE_TUNE_SELF_HOSTED);
    /* whatever the framework said, the route named rests on a feasible option */
    if (sv.rests_on >= 0)
        assert_true(pr.options[sv.rests_on].feasible);
    /* and a hosted fine-tune verdict, asked directly, moves to retrieval */
    session_verdict(DECIDE_FINE_TUNE_HOSTED, &sc, &pr, &sv);
    assert_true(sv.changed);
    assert_int_equal(sv.verdict, DECIDE_RAG);
    assert_int_equal(sv.rests_on, 1);
    assert_non_null(strstr(sv.note, "16385"));
    decide_result_free(&r);
    decide_answers_free(&typed);
    decide_answers_free(&all);
    decide_framework_free(&fw);
    cost_projection_free(&pr);
    cost_scenario_free(&sc);
}

/* A verdict whose every option fails names each of them with why: two
 * prompted models reading 18,000 tokens, each missing a 1 s SLO by seconds
 * (prefill alone is 18,000 x 0.04-0.24 ms, rule prefill_ms_per_input_token),
 * and retrieval, whose added 800-2000 ms (rule rag_added_latency_ms) misses
 * it too. */
static void test_every_infeasible_option_named(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    project("{\"name\": \"slo\", \"horizon_months\": 12, \"workload\": {"
            " \"requests_per_day\": 5000, \"input_tokens\": 18000, \"output_tokens\": 300,"
            " \"latency_slo_ms\": 1000}, \"options\": ["
            "{\"id\": \"big\", \"kind\": \"api\", \"model\": \"gpt-4.1\"},"
            "{\"id\": \"mini\", \"kind\": \"api\", \"model\": \"gpt-4.1-mini\"},"
            "{\"id\": \"rag\", \"kind\": \"rag\", \"model\": \"gpt-4.1\","
            " \"input_tokens\": 200, \"context_tokens\": 3000, \"query_embedding_tokens\": 200,"
            " \"embedding_per_mtok\": 0.02, \"vector_store_monthly_usd\": 50,"
            " \"corpus_tokens\": 0}]}",
            &sc, &pr);
    for (int i = 0; i < 3; i++) {
        assert_false(pr.options[i].feasible);
        assert_int_equal(pr.options[i].checks[COST_CHECK_SLO].status, COST_FAIL);
    }
    SessionVerdict sv;
    session_verdict(DECIDE_PROMPT_ENGINEERING, &sc, &pr, &sv);
    assert_true(sv.changed);
    assert_int_equal(sv.verdict, DECIDE_NOT_YET);
    assert_int_equal(sv.rests_on, -1);
    /* both prompted options, each with its reason; retrieval is not the
     * route's, so it is not listed */
    const char *big = strstr(sv.note, "big: "), *mini = strstr(sv.note, "; mini: ");
    assert_non_null(big);
    assert_non_null(mini);
    assert_true(big < mini);
    assert_non_null(strstr(big, "1000 ms SLO"));
    assert_non_null(strstr(mini, "1000 ms SLO"));
    assert_null(strstr(sv.note, "rag: "));
    cost_projection_free(&pr);
    cost_scenario_free(&sc);
}

/* Question 5 with real overhead. An API at $600 a month against a
 * self-hosted fine-tune at $500 a month: 12 x $600 = $7,200 against
 *   training 10 GPU-hours x $2 = $20, data preparation 3 x $20 = $60
 *   (rule data_prep_multiplier), 12 x $500 = $6,000: $6,080 without people,
 * which "saves" $1,120. The people overhead, at rule engineer_usd_per_hour
 * ($63.98):
 *   - the evaluation harness (rule eval_harness_setup_hours, 173 h):
 *     173 x 63.98 = $11,068.54 one-time;
 *   - monitoring (rule monitoring_hours_per_month, 2-3 h, midpoint 2.5):
 *     12 x 2.5 x 63.98 = $1,919.40 over the year.
 * With both, $6,080 + $11,068.54 + $1,919.40 = $19,067.94: no saving. Without
 * the harness, $6,080 + $1,919.40 = $7,999.40: the monitoring alone outweighs
 * the $1,120. Only with neither does the fine-tune save. */
static void test_overhead_in_q5(void **state) {
    (void)state;
    static const char BASE[] =
        "{\"name\": \"q5\", \"horizon_months\": 12, \"workload\": {\"requests_per_day\": 20000,"
        " \"input_tokens\": 100, \"output_tokens\": 10}, \"options\": ["
        "{\"id\": \"api\", \"kind\": \"api\", \"input_per_mtok\": 0, \"output_per_mtok\": 0,"
        " \"ttft_ms\": 100, \"output_tokens_per_s\": 100, \"setup_hours\": 0,"
        " \"maintenance_hours_per_month\": 1, \"engineer_usd_per_hour\": 600},"
        "{\"id\": \"own\", \"kind\": \"self_hosted\", \"monthly_usd_per_replica\": 500,"
        " \"min_replicas\": 1, \"train_gpu_hours\": 10, \"train_gpu_usd_per_hour\": 2,"
        " \"retrain_every_days\": 0%s}]}";
    static const char *const extra[3] = {"", ", \"setup_hours\": 0",
                                         ", \"setup_hours\": 0, \"maintenance_hours_per_month\": 0"};
    double rate = pricing_rule(&P, "engineer_usd_per_hour")->lo;
    double hours = pricing_rule(&P, "eval_harness_setup_hours")->lo;
    const PricingRule *mon = pricing_rule(&P, "monitoring_hours_per_month");
    assert_close(rate, 63.98, 1e-9);
    assert_close(hours, 173, 1e-9);
    assert_non_null(mon);
    assert_close(mon->lo, 2, 1e-9);
    assert_close(mon->hi, 3, 1e-9);
    const double want[3] = {19067.94, 7999.40, 6080};
    char text[1024];
    for (int pass = 0; pass < 3; pass++) {
        snprintf(text, sizeof text, BASE, extra[pass]);
        CostScenario sc;
        CostProjection pr;
        project(text, &sc, &pr);
        assert_close(pr.options[0].horizon_total_usd, 7200, 1e-6);
        double own = 20 + 60 + 6000 + (pass == 0 ? 173 * 63.98 : 0) +
                     (pass < 2 ? 12 * 2.5 * 63.98 : 0);
        assert_close(own, want[pass], 1e-6);
        assert_close(pr.options[1].horizon_total_usd, own, 1e-6);
        assert_close(pr.options[1].setup_usd, pass == 0 ? 11068.54 : 0, 1e-6);

        TpError err = {0};
        DecideAnswers all = {0};
        assert_int_equal(decide_compute_answers(&sc, &pr, &P, &all, &err), TP_OK);
        const DecideAnswer *s = decide_answers_find(&all, "savings_exceed_overhead");
        assert_non_null(s);
        assert_int_equal(s->yes, pass == 2); /* the overhead turns the answer */
        decide_answers_free(&all);
        cost_projection_free(&pr);
        cost_scenario_free(&sc);
    }
}

/* A hosted fine-tune's retrains take people time too (rule
 * retrain_engineer_hours, 8 h per retrain at $63.98): with a $5 run every
 * 365/12 days, a retrain costs $5 + 8 x 63.98 = $516.84 a month (monitoring
 * set to 0 to keep the retrains alone). */
static void test_retrain_people(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    project("{\"name\": \"r\", \"horizon_months\": 12, \"workload\": {\"requests_per_day\": 0,"
            " \"input_tokens\": 100, \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"ft\", \"kind\": \"api_finetuned\", \"model\": \"gpt-4.1-mini\","
            " \"train_tokens\": 1000000, \"epochs\": 1, \"data_prep_multiplier\": 0,"
            " \"setup_hours\": 0, \"maintenance_hours_per_month\": 0,"
            " \"retrain_every_days\": 30.416666666666668}]}",
            &sc, &pr);
    assert_close(pr.options[0].retrain_monthly_usd, 5 + 8 * 63.98, 1e-6);
    assert_close(pr.options[0].horizon_total_usd, 5 + 12 * (5 + 8 * 63.98), 1e-6);
    cost_projection_free(&pr);
    cost_scenario_free(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retrieval_before_fine_tuning),
        cmocka_unit_test(test_long_documents_story),
        cmocka_unit_test(test_every_infeasible_option_named),
        cmocka_unit_test(test_overhead_in_q5),
        cmocka_unit_test(test_retrain_people),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
