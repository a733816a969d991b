/* test_feasibility.c - feasibility before price: each check (context window,
 * SLO, availability on the horizon's dates, GPU memory), lifecycle warnings
 * and retrains counted only while new jobs are accepted, and the cheapest
 * feasible option. Every expected number is hand arithmetic beside it; the
 * dates are the bundled tables' sourced lifecycle facts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/cost.h"

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

/* Parses and projects; the scenario is freed by the caller. */
static void project(const char *json, CostScenario *sc, CostProjection *proj) {
    TpError err = {0};
    TpStatus st = cost_scenario_parse(json, strlen(json), "t", &P, sc, &err);
    if (st != TP_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, TP_OK);
    assert_int_equal(cost_project(sc, proj, &err), TP_OK);
}

static void done(CostScenario *sc, CostProjection *proj) {
    cost_projection_free(proj);
    cost_scenario_free(sc);
}

#define API(id, extra)                                                                            \
    "{\"id\": \"" id "\", \"kind\": \"api\", \"input_per_mtok\": 1, \"output_per_mtok\": 2, "     \
    "\"ttft_ms\": 100, \"output_tokens_per_s\": 100, \"latency_p95_over_p50\": 1.5" extra "}"

static void test_context(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* 18,000 in + 300 out = 18,300 tokens against a 16,385-token window: fails;
     * chunked retrieval sends 200 + 3,000 retrieved + 300 = 3,500: fits */
    project("{\"name\": \"c\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": 100,"
            " \"input_tokens\": 18000, \"output_tokens\": 300},"
            " \"options\": [" API("small", ", \"context_window\": 16385") ", "
            "{\"id\": \"rag\", \"kind\": \"rag\", \"input_per_mtok\": 1, \"output_per_mtok\": 2,"
            " \"ttft_ms\": 100, \"output_tokens_per_s\": 100, \"context_window\": 16385,"
            " \"input_tokens\": 200, \"context_tokens\": 3000, \"embedding_per_mtok\": 0.02,"
            " \"vector_store_monthly_usd\": 0, \"rag_added_latency_ms\": 0}, "
            API("unknown", "") ", "
            "{\"id\": \"big\", \"kind\": \"api\", \"model\": \"gpt-4.1\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_CONTEXT].status, COST_FAIL);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_CONTEXT].reason, "18300"));
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_CONTEXT].reason, "16385"));
    assert_false(pr.options[0].feasible);
    assert_int_equal(pr.options[1].checks[COST_CHECK_CONTEXT].status, COST_PASS);
    assert_non_null(strstr(pr.options[1].checks[COST_CHECK_CONTEXT].reason, "3500"));
    /* no window known: unknown, which does not make it infeasible */
    assert_int_equal(pr.options[2].checks[COST_CHECK_CONTEXT].status, COST_UNKNOWN);
    assert_true(pr.options[2].feasible);
    /* gpt-4.1's 1,047,576-token window from the tables */
    assert_int_equal(pr.options[3].checks[COST_CHECK_CONTEXT].status, COST_PASS);
    /* the small-window option is the cheapest ($1 x 18,000 / 1e6 > the rag's
     * $1 x 3,200 / 1e6, but "unknown" costs the same as "small"), yet it is
     * never called cheapest: the cheapest feasible excludes it */
    int best = cost_cheapest(&pr, true);
    assert_true(best >= 0);
    assert_true(pr.options[best].feasible);
    assert_int_not_equal(best, 0);
    done(&sc, &pr);
}

static void test_output_limit(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* gpt-4.1 writes at most 32,768 tokens per answer (its table entry) */
    project("{\"name\": \"o\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": 1,"
            " \"input_tokens\": 10, \"output_tokens\": 40000}, \"options\": ["
            "{\"id\": \"a\", \"kind\": \"api\", \"model\": \"gpt-4.1\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_CONTEXT].status, COST_FAIL);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_CONTEXT].reason, "32768"));
    done(&sc, &pr);
}

static void test_slo(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* p50 = 100 ms + 100 input tokens x 0.14 ms (the midpoint of the bundled rule
     * prefill_ms_per_input_token, 0.04-0.24) + 200 tokens / 100 tokens/s = 2,114 ms;
     * p95 = 1.5 x = 3,171 ms */
    project("{\"name\": \"s\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": 10,"
            " \"input_tokens\": 100, \"output_tokens\": 200, \"latency_slo_ms\": 3000},"
            " \"options\": [" API("a", "") "]}",
            &sc, &pr);
    assert_close(pr.options[0].latency_p95_ms, 3171, 1e-9);
    assert_int_equal(pr.options[0].checks[COST_CHECK_SLO].status, COST_FAIL);
    assert_false(pr.options[0].feasible);
    assert_int_equal(cost_cheapest(&pr, true), -1);
    assert_int_equal(cost_cheapest(&pr, false), 0);
    done(&sc, &pr);
    project("{\"name\": \"s\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": 10,"
            " \"input_tokens\": 100, \"output_tokens\": 200, \"latency_slo_ms\": 3171},"
            " \"options\": [" API("a", "") "]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_SLO].status, COST_PASS); /* 3,171 <= 3,171 */
    done(&sc, &pr);
}

static void test_gpu_memory(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* L4: 24 GB. Weights x serving_memory_overhead (1.2, rules.json):
     *   8B at 16 bits: 8 x 2 x 1.2 = 19.2 GB  fits
     *   13B at 16 bits: 13 x 2 x 1.2 = 31.2 GB  does not
     *   13B at 4 bits: 13 x 0.5 x 1.2 = 7.8 GB  fits
     *   13B at 16 bits on 2 L4s: 31.2 <= 48 GB  fits */
#define SELF(id, extra)                                                                           \
    "{\"id\": \"" id "\", \"kind\": \"self_hosted\", \"gpu\": \"l4\", \"tokens_per_s_per_gpu\": " \
    "1000, \"train_gpu_hours\": 1" extra "}"
    project("{\"name\": \"g\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": 10,"
            " \"input_tokens\": 100, \"output_tokens\": 100}, \"options\": ["
            SELF("s8", ", \"model_params_b\": 8") ","
            SELF("s13", ", \"model_params_b\": 13") ","
            SELF("s13q", ", \"model_params_b\": 13, \"weight_bits\": 4") ","
            SELF("s13x2", ", \"model_params_b\": 13, \"gpus_per_replica\": 2") ","
            SELF("nosize", "") ","
            "{\"id\": \"box\", \"kind\": \"self_hosted\", \"model_params_b\": 70}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_GPU_MEMORY].status, COST_PASS);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_GPU_MEMORY].reason, "19.2 GB"));
    assert_int_equal(pr.options[1].checks[COST_CHECK_GPU_MEMORY].status, COST_FAIL);
    assert_non_null(strstr(pr.options[1].checks[COST_CHECK_GPU_MEMORY].reason, "31.2 GB"));
    assert_false(pr.options[1].feasible);
    assert_int_equal(pr.options[2].checks[COST_CHECK_GPU_MEMORY].status, COST_PASS);
    assert_non_null(strstr(pr.options[2].checks[COST_CHECK_GPU_MEMORY].reason, "7.8 GB"));
    assert_int_equal(pr.options[3].checks[COST_CHECK_GPU_MEMORY].status, COST_PASS);
    assert_int_equal(pr.options[4].checks[COST_CHECK_GPU_MEMORY].status, COST_UNKNOWN);
    assert_int_equal(pr.options[5].checks[COST_CHECK_GPU_MEMORY].status, COST_UNKNOWN); /* no GPU */
    done(&sc, &pr);
#undef SELF
}

static void test_availability(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* gpt-4.1-nano shut down on 2026-10-23 (rules: api_models.json lifecycle) */
    project("{\"name\": \"a\", \"horizon_months\": 12, \"start_date\": \"2026-12-02\","
            " \"workload\": {\"requests_per_day\": 10, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"nano\", \"kind\": \"api\", \"model\": \"gpt-4.1-nano\"},"
            "{\"id\": \"mini\", \"kind\": \"api\", \"model\": \"gpt-4.1-mini\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_FAIL);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_AVAILABILITY].reason, "2026-10-23"));
    assert_false(pr.options[0].feasible);
    assert_int_equal(pr.options[1].checks[COST_CHECK_AVAILABILITY].status, COST_PASS);
    /* nano is cheaper per token, but it is closed: mini is the cheapest */
    assert_true(pr.options[0].horizon_total_usd < pr.options[1].horizon_total_usd);
    assert_int_equal(cost_cheapest(&pr, true), 1);
    done(&sc, &pr);

    /* before its shutdown, a 12-month horizon from 2026-06-01 crosses it:
     * 2026-06-01 -> 2026-10-23 is 144 days, month 144 / (365/12) = 4.7 -> 5 */
    project("{\"name\": \"a\", \"horizon_months\": 12, \"start_date\": \"2026-06-01\","
            " \"workload\": {\"requests_per_day\": 10, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"nano\", \"kind\": \"api\", \"model\": \"gpt-4.1-nano\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_FAIL);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_AVAILABILITY].reason, "month 5 of"));
    assert_int_equal(pr.options[0].n_warnings, 1);
    assert_non_null(strstr(pr.options[0].warnings[0], "crosses the retirement"));
    done(&sc, &pr);

    /* a 4-month horizon from 2026-06-01 ends before the shutdown: open */
    project("{\"name\": \"a\", \"horizon_months\": 4, \"start_date\": \"2026-06-01\","
            " \"workload\": {\"requests_per_day\": 10, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"nano\", \"kind\": \"api\", \"model\": \"gpt-4.1-nano\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_PASS);
    assert_int_equal(pr.options[0].n_warnings, 0);
    done(&sc, &pr);

    /* no start date: the dates cannot be checked (unknown, not a failure) */
    project("{\"name\": \"a\", \"horizon_months\": 12, \"workload\": {\"requests_per_day\": 10,"
            " \"input_tokens\": 100, \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"nano\", \"kind\": \"api\", \"model\": \"gpt-4.1-nano\"}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_UNKNOWN);
    assert_true(pr.options[0].feasible);
    done(&sc, &pr);
}

static void test_new_jobs_end(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* OpenAI accepts no new fine-tuning jobs from 2027-01-06 (finetune.json).
     * A gpt-4.1-mini fine-tune: 1M tokens x 1 epoch x $5/M = $5 a run, no
     * data preparation, retrained every 365/12 days: $5 a month at the
     * cadence, 12 retrains over the horizon. From 2026-12-02 the jobs end 35
     * days in: month 1 counts its whole retrain ($5), month 2 the share
     * (35 - 30.4167) / 30.4167 = 0.150685 ($0.753425), later months none.
     * No traffic and no people time (setup, retrain and monitoring hours set to
 * 0), so the horizon total is $5 (training) + $5 + $0.753425. */
    project("{\"name\": \"f\", \"horizon_months\": 12, \"start_date\": \"2026-12-02\","
            " \"workload\": {\"requests_per_day\": 0, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"ft\", \"kind\": \"api_finetuned\", \"model\": \"gpt-4.1-mini\","
            " \"train_tokens\": 1000000, \"epochs\": 1, \"data_prep_multiplier\": 0,"
            " \"setup_hours\": 0, \"retrain_engineer_hours\": 0,"
            " \"maintenance_hours_per_month\": 0, \"retrain_every_days\": 30.416666666666668}]}",
            &sc, &pr);
    const CostOptionResult *r = &pr.options[0];
    assert_close(r->training_usd, 5, 1e-9);
    assert_close(r->monthly_cost_usd[0], 5, 1e-9);
    assert_close(r->monthly_cost_usd[1], 5 * (35 - 365.0 / 12) / (365.0 / 12), 1e-9);
    assert_close(r->monthly_cost_usd[2], 0, 1e-12);
    assert_close(r->horizon_total_usd, 10 + 5 * (35 - 365.0 / 12) / (365.0 / 12), 1e-9);
    assert_close(r->retrains_cadence, 12, 1e-9);
    assert_close(r->retrains_counted, 35 / (365.0 / 12), 1e-9);
    assert_int_equal(r->checks[COST_CHECK_AVAILABILITY].status, COST_PASS);
    assert_int_equal(r->n_warnings, 1);
    assert_non_null(strstr(r->warnings[0], "2027-01-06"));
    done(&sc, &pr);

    /* starting after the end of new jobs, the route is closed */
    project("{\"name\": \"f\", \"horizon_months\": 12, \"start_date\": \"2027-02-01\","
            " \"workload\": {\"requests_per_day\": 0, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"ft\", \"kind\": \"api_finetuned\", \"model\": \"gpt-4.1-mini\","
            " \"train_tokens\": 1000000, \"epochs\": 1}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_FAIL);
    assert_non_null(strstr(pr.options[0].checks[COST_CHECK_AVAILABILITY].reason,
                           "no new fine-tuning jobs since 2027-01-06"));
    done(&sc, &pr);

    /* other providers announce no end: Together's LoRA tier stays open */
    project("{\"name\": \"f\", \"horizon_months\": 12, \"start_date\": \"2027-02-01\","
            " \"workload\": {\"requests_per_day\": 0, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"ft\", \"kind\": \"api_finetuned\", \"model\": \"together/lora-up-to-16b\","
            " \"train_tokens\": 1000000, \"epochs\": 1}]}",
            &sc, &pr);
    assert_int_equal(pr.options[0].checks[COST_CHECK_AVAILABILITY].status, COST_PASS);
    assert_true(pr.options[0].feasible);
    done(&sc, &pr);
}

static void test_routed(void **state) {
    (void)state;
    CostScenario sc;
    CostProjection pr;
    /* a mix is as feasible as its worst route that gets traffic */
    project("{\"name\": \"r\", \"horizon_months\": 1, \"start_date\": \"2026-12-02\","
            " \"workload\": {\"requests_per_day\": 10, \"input_tokens\": 100,"
            " \"output_tokens\": 10}, \"options\": ["
            "{\"id\": \"nano\", \"kind\": \"api\", \"model\": \"gpt-4.1-nano\"},"
            "{\"id\": \"mini\", \"kind\": \"api\", \"model\": \"gpt-4.1-mini\"},"
            "{\"id\": \"mix\", \"kind\": \"routed\", \"routes\": [{\"option\": \"nano\", \"share\":"
            " 0.9}, {\"option\": \"mini\", \"share\": 0.1}]},"
            "{\"id\": \"only-mini\", \"kind\": \"routed\", \"routes\": [{\"option\": \"nano\","
            " \"share\": 0}, {\"option\": \"mini\", \"share\": 1}]}]}",
            &sc, &pr);
    assert_false(pr.options[2].feasible);
    assert_non_null(strstr(pr.options[2].checks[COST_CHECK_AVAILABILITY].reason, "route nano"));
    assert_true(pr.options[3].feasible);
    done(&sc, &pr);
}

static void test_dates(void **state) {
    (void)state;
    long d1, d2;
    assert_true(cost_date_days("1970-01-01", &d1));
    assert_int_equal(d1, 0);
    assert_true(cost_date_days("2000-03-01", &d1)); /* 30 years + 7 leap days + Jan + Feb 2000 */
    assert_int_equal(d1, 30 * 365 + 7 + 31 + 29);
    assert_true(cost_date_days("2026-12-02", &d1));
    assert_true(cost_date_days("2027-01-06", &d2));
    assert_int_equal(d2 - d1, 35);
    assert_false(cost_date_days("2026-13-01", &d1));
    assert_false(cost_date_days("26-1-1", &d1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context),      cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_slo),          cmocka_unit_test(test_gpu_memory),
        cmocka_unit_test(test_availability), cmocka_unit_test(test_new_jobs_end),
        cmocka_unit_test(test_routed),       cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
