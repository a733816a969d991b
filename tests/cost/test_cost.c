/* test_cost.c - the projection engine against hand-computed values.
 * Prices come from cost_fixture.h (round numbers); each expected figure is
 * derived in a comment. A month is 365/12 days. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_fixture.h"
#include "tp_test.h"
#include "tunepilot/cost.h"

#define MONTH (365.0 / 12.0)

static Pricing pricing;

static int setup(void **state) {
    (void)state;
    return fixture_pricing(&pricing);
}

static int teardown(void **state) {
    (void)state;
    pricing_free(&pricing);
    return 0;
}

typedef struct Run {
    CostScenario sc;
    CostProjection p;
} Run;

static void project(Run *r, const char *json) {
    TpError err = {0};
    TpStatus st = cost_scenario_parse(json, strlen(json), "test", &pricing, &r->sc, &err);
    if (st != TP_OK)
        fail_msg("parse failed: %s", err.msg);
    st = cost_project(&r->sc, &r->p, &err);
    if (st != TP_OK)
        fail_msg("project failed: %s", err.msg);
}

static void run_free(Run *r) {
    cost_projection_free(&r->p);
    cost_scenario_free(&r->sc);
}

static const CostOptionResult *opt(Run *r, const char *id) {
    int i = cost_scenario_find(&r->sc, id);
    assert_true(i >= 0);
    return &r->p.options[i];
}

/* The hand calculation: 50,000 requests x 500 input tokens at $10
 * per million = $250.00 a day and $91,250 a year. */
static void test_api_explicit_prices(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 12, \"workload\": {"
                "\"requests_per_day\": 50000, \"input_tokens\": 500, \"output_tokens\": 0},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"input_per_mtok\": 10,"
                " \"output_per_mtok\": 30}]}");
    const CostOptionResult *a = opt(&r, "a");
    assert_close(a->daily_cost_usd, 250.0, 1e-9);
    assert_close(a->horizon_total_usd, 91250.0, 1e-6);
    assert_close(a->cost_per_request_usd, 0.005, 1e-15);
    assert_close(a->cost_per_1k_requests_usd, 5.0, 1e-12);
    assert_close(a->monthly_cost_usd[0], 250.0 * MONTH, 1e-9);
    assert_close(a->one_time_usd, 0, 0);
    assert_false(r.p.uncertain);
    run_free(&r);
}

/* Model m1: $2 in, $0.50 cached in, $8 out per million. With half the input
 * cached: (500*2 + 500*0.5 + 100*8) / 1e6 = $0.00205 a request. Latency from
 * the table: 200 ms + 100 tokens / 100 tok/s = 1,200 ms; p95 x1.5 = 1,800. */
static void test_api_table_prices_and_cache(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 100,"
                " \"cached_input_share\": 0.5, \"latency_slo_ms\": 1500},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"model\": \"M1-2026\"}]}");
    const CostOptionResult *a = opt(&r, "a");
    assert_close(a->cost_per_request_usd, 0.00205, 1e-15);
    assert_close(a->daily_cost_usd, 2.05, 1e-12);
    assert_close(a->latency_p50_ms, 1200, 1e-9);
    assert_close(a->latency_p95_ms, 1800, 1e-9);
    assert_false(a->slo_met); /* 1,800 > 1,500 */
    run_free(&r);
}

/* Prompt processing adds prefill_ms_per_token for each input token the cache
 * does not serve. m1 (200 ms, 100 tok/s), 1,000 input tokens half cached,
 * 0.1 ms a token: p50 = 200 + 500 x 0.1 + 100 / 100 s = 1,250 ms, p95 x1.5 =
 * 1,875. RAG, no cache: (500 + 1,000 context) x 0.1 = 150 ms on top of
 * 1,200 + the retrieval rule's 1,400 = 2,750. Self-hosted (ttft 100 ms,
 * 100 tok/s, p95 ratio 1, one idle replica, no queueing wait at 1 request a
 * day): 100 + 1,000 x 0.1 + 1,000 = 1,200 ms. Without the field and without
 * the rule in the tables (the fixture has none) nothing is added. */
static void test_prefill(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 1, \"input_tokens\": 1000, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"model\": \"m1\","
                " \"cached_input_share\": 0.5, \"prefill_ms_per_token\": 0.1},"
                "{\"id\": \"r\", \"kind\": \"rag\", \"model\": \"m1\", \"input_tokens\": 500,"
                " \"context_tokens\": 1000, \"prefill_ms_per_token\": 0.1},"
                "{\"id\": \"s\", \"kind\": \"self_hosted\", \"monthly_usd_per_replica\": 100,"
                " \"ttft_ms\": 100, \"output_tokens_per_s\": 100, \"latency_p95_over_p50\": 1,"
                " \"tokens_per_s_per_gpu\": 1000, \"prefill_ms_per_token\": 0.1,"
                " \"train_gpu_hours\": 0},"
                "{\"id\": \"b\", \"kind\": \"api\", \"model\": \"m1\"}]}");
    assert_close(opt(&r, "a")->latency_p50_ms, 1250, 1e-9);
    assert_close(opt(&r, "a")->latency_p95_ms, 1875, 1e-9);
    assert_close(opt(&r, "r")->latency_p50_ms, 2750, 1e-9);
    assert_close(opt(&r, "s")->latency_p50_ms, 1200, 1e-9);
    assert_close(opt(&r, "b")->latency_p50_ms, 1200, 1e-9);
    run_free(&r);
}

/* 1,000 requests/day x 1,000 tokens x $1/M = $1/day; 10% growth a month
 * compounds: months cost 1.0, 1.1, 1.21 times 365/12. */
static void test_growth_compounds_monthly(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 3, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 0,"
                " \"growth_per_month\": 0.1},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"input_per_mtok\": 1,"
                " \"output_per_mtok\": 0}]}");
    const CostOptionResult *a = opt(&r, "a");
    assert_close(a->monthly_cost_usd[0], 1.0 * MONTH, 1e-9);
    assert_close(a->monthly_cost_usd[1], 1.1 * MONTH, 1e-9);
    assert_close(a->monthly_cost_usd[2], 1.21 * MONTH, 1e-9);
    assert_close(a->horizon_total_usd, 3.31 * MONTH, 1e-9);
    assert_close(a->cumulative_cost_usd[1], 2.1 * MONTH, 1e-9);
    run_free(&r);
}

/* RAG on m1 (no cache share): input 500 + context 1,000 tokens at $2, output
 * 100 at $8, plus 500 query tokens embedded at $0.02/M:
 * (1500*2 + 100*8 + 500*0.02) / 1e6 = $0.00381 a request. Vector store $50
 * a month; corpus 1e9 tokens x $0.02/M = $20 once. Latency adds the rule's
 * midpoint (800+2000)/2 = 1,400 ms: p50 = 1,200 + 1,400. */
static void test_rag(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 2, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 500, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"r\", \"kind\": \"rag\", \"model\": \"m1\","
                " \"context_tokens\": 1000, \"corpus_tokens\": 1000000000}]}");
    const CostOptionResult *o = opt(&r, "r");
    assert_close(o->variable_cost_per_request_usd, 0.00381, 1e-15);
    assert_close(o->monthly_cost_usd[0], 3.81 * MONTH + 50, 1e-9);
    assert_close(o->corpus_embedding_usd, 20, 1e-9);
    assert_close(o->one_time_usd, 20, 1e-9);
    assert_close(o->horizon_total_usd, 20 + 2 * (3.81 * MONTH + 50), 1e-9);
    assert_close(o->latency_p50_ms, 2600, 1e-9);
    assert_close(o->latency_p95_ms, 1800 + 1400, 1e-9);
    assert_true(r.p.uncertain); /* the rule of thumb is a range */
    run_free(&r);
}

/* Hosted fine-tune of m1: training 1e6 tokens x 3 epochs x $5/M = $15; data
 * preparation 3 x $15 = $45; retraining every 30 days costs 15 x (365/12)/30
 * a month. Inference at the fine-tuned prices: 1,000 x $0.8 + 100 x $3.2 per
 * million = $0.00112 a request. */
static void test_api_finetuned(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"f\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
                " \"train_tokens\": 1000000, \"retrain_every_days\": 30}]}");
    const CostOptionResult *f = opt(&r, "f");
    double retrain = 15.0 * MONTH / 30.0;
    assert_close(f->training_usd, 15, 1e-12);
    assert_close(f->data_prep_usd, 45, 1e-12);
    assert_close(f->one_time_usd, 60, 1e-12);
    assert_close(f->retrain_monthly_usd, retrain, 1e-12);
    assert_close(f->variable_cost_per_request_usd, 0.00112, 1e-15);
    assert_close(f->monthly_cost_usd[0], 1.12 * MONTH + retrain, 1e-9);
    assert_close(f->latency_p50_ms, 1200, 1e-9); /* the base model's latency */
    run_free(&r);
}

/* Self-hosted on g1 ($1/GPU-hour on c1, the cheapest). 100 output tokens a
 * request at 100 tok/s per GPU: mu = 1 request/s per replica. 86,400
 * requests/day, peak x1: lambda = 1/s. Service latency 100 tokens / 100
 * tok/s = 1,000 ms, p95 ratio 1.
 *  - c = 2: Erlang C(2, 1) = 1/3, wait p95 = ln((1/3)/0.05)/(2 - 1) = 1.897 s
 *    -> 2,897 ms > SLO 2,000.
 *  - c = 3: B(3,1) = 1/16, C = (1/16)/(1 - (1/3)(15/16)) = 1/11, wait p95 =
 *    ln((1/11)/0.05)/(3 - 1) = ln(20/11)/2 = 0.29892 s -> 1,298.9 ms.
 * So 3 replicas x 730 h x $1 = $2,190 a month. */
static void test_self_hosted_mmc_sizing(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 86400, \"input_tokens\": 100, \"output_tokens\": 100,"
                " \"latency_slo_ms\": 2000},"
                "\"options\": [{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\","
                " \"tokens_per_s_per_gpu\": 100, \"ttft_ms\": 0, \"output_tokens_per_s\": 100,"
                " \"latency_p95_over_p50\": 1, \"train_gpu_hours\": 0}]}");
    const CostOptionResult *s = opt(&r, "s");
    assert_int_equal(s->replicas_at_peak, 3);
    assert_close(s->monthly_cost_usd[0], 3 * 730.0, 1e-9);
    assert_close(s->latency_p95_ms, 1000 + 1000 * log(20.0 / 11.0) / 2, 1e-6);
    assert_close(s->latency_p50_ms, 1000, 1e-9); /* C = 1/11 < 0.5: median wait 0 */
    assert_close(s->utilization_at_peak, 1.0 / 3.0, 1e-12);
    assert_true(s->slo_met);
    assert_close(s->variable_cost_per_request_usd, 0, 0);
    assert_close(s->cost_per_request_usd, 2190.0 / (86400 * MONTH), 1e-15);
    run_free(&r);
}

/* The same without an SLO: the fewest replicas that keep the queue stable,
 * floor(a) + 1 = 2; a named cloud picks its rate ($2 on c2). Training: the
 * rule's 4 GPU-hours on a100-80gb at $2.50 = $10, data prep 3 x $10. */
static void test_self_hosted_no_slo_cloud_training(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 86400, \"input_tokens\": 100, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\","
                " \"cloud\": \"c2\", \"tokens_per_s_per_gpu\": 100, \"retrain_every_days\": 0}]}");
    const CostOptionResult *s = opt(&r, "s");
    assert_int_equal(s->replicas_at_peak, 2);
    assert_close(s->monthly_cost_usd[0], 2 * 2.0 * 730, 1e-9);
    assert_close(s->training_usd, 10, 1e-12);
    assert_close(s->data_prep_usd, 30, 1e-12);
    assert_close(s->retrain_monthly_usd, 0, 0);
    run_free(&r);
}

/* Replicas follow growth: 100% a month doubles lambda from 1 to 2 to 4. */
static void test_self_hosted_replicas_grow(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 3, \"workload\": {"
                "\"requests_per_day\": 86400, \"input_tokens\": 100, \"output_tokens\": 100,"
                " \"growth_per_month\": 1.0},"
                "\"options\": [{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\","
                " \"tokens_per_s_per_gpu\": 100, \"train_gpu_hours\": 0}]}");
    const CostOptionResult *s = opt(&r, "s");
    /* floor(1)+1 = 2, floor(2)+1 = 3, floor(4)+1 = 5 */
    assert_close(s->monthly_cost_usd[0], 2 * 730.0, 1e-9);
    assert_close(s->monthly_cost_usd[1], 3 * 730.0, 1e-9);
    assert_close(s->monthly_cost_usd[2], 5 * 730.0, 1e-9);
    assert_int_equal(s->replicas_at_peak_final, 5);
    run_free(&r);
}

/* No GPU named: a replica costs the rule's $300-600 a month (midpoint 450). */
static void test_self_hosted_rule_of_thumb(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 100, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"s\", \"kind\": \"self_hosted\","
                " \"train_gpu_hours\": 0, \"retrain_every_days\": 0}]}");
    assert_close(opt(&r, "s")->monthly_cost_usd[0], 450, 1e-9);
    assert_int_equal(opt(&r, "s")->replicas_at_peak, 1);
    run_free(&r);
}

/* Routing splits traffic: the self-hosted half sees lambda = 0.5/s, so with
 * SLO 2,000 ms: c = 1 gives wait p95 ln(0.5/0.05)/0.5 = 4.6 s (too slow);
 * c = 2: C(2, 0.5) = 0.1, wait p95 = ln(2)/1.5 = 0.462 s -> 2 replicas,
 * $1,460 a month. The API half: 43,200 requests/day x 100 tokens x $10/M =
 * $43.20 a day. */
/* The people overhead of a fine-tune comes from rules when the tables carry
 * them (the fixture tables above do not, so the other tests see none). With
 * eval_harness_setup_hours 173, retrain_engineer_hours 8,
 * monitoring_hours_per_month [2, 3] and the fixture's $100 an hour, a hosted
 * fine-tune of m1 on 1M tokens x 3 epochs at $5/M retrained every 30 days:
 *   training 1 x 3 x 5 = $15, data preparation 3 x 15 = $45,
 *   setup 173 x 100 = $17,300: one-time 15 + 45 + 17,300 = $17,360;
 *   retraining (15 + 8 x 100) x (365/12) / 30 = 815 x 1.0138889 = $826.32/month;
 *   monitoring (2 + 3)/2 x 100 = $250/month;
 *   month 1: 1,000 requests x $0.00112 x 365/12 + 826.32 + 250.
 * The same monitoring and harness apply to a self-hosted fine-tune; a plain
 * API option carries neither; a scenario's maintenance_hours_per_month and
 * setup_hours replace the defaults. */
static void test_overhead_defaults(void **state) {
    (void)state;
    static const char rules_tail[] =
        ",{\"id\": \"eval_harness_setup_hours\", \"value\": 173, \"description\": \"d\", " SRC "},"
        "{\"id\": \"retrain_engineer_hours\", \"value\": 8, \"description\": \"d\", " SRC "},"
        "{\"id\": \"monitoring_hours_per_month\", \"low\": 2, \"high\": 3, \"description\": \"d\", "
        SRC "}]}";
    char rules[4096];
    size_t n = strlen(FIX_RULES) - 2; /* without the closing "]}" */
    assert_true(n + sizeof rules_tail < sizeof rules);
    memcpy(rules, FIX_RULES, n);
    memcpy(rules + n, rules_tail, sizeof rules_tail);
    Pricing pr;
    memset(&pr, 0, sizeof pr);
    tp_arena_init(&pr.arena);
    const char *docs[5] = {FIX_API, FIX_FT, FIX_GPU, FIX_RAG, rules};
    for (int i = 0; i < 5; i++) {
        TpError err = {0};
        if (pricing_parse_table(&pr, PRICING_TABLES[i], docs[i], strlen(docs[i]), "fixture",
                                &err) != TP_OK)
            fail_msg("overhead rules: %s", err.msg);
    }
    static const char json[] =
        "{\"name\": \"t\", \"horizon_months\": 2, \"workload\": {"
        "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 100},"
        "\"options\": [{\"id\": \"f\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
        " \"train_tokens\": 1000000, \"retrain_every_days\": 30},"
        "{\"id\": \"f0\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
        " \"train_tokens\": 1000000, \"retrain_every_days\": 0, \"setup_hours\": 10,"
        " \"maintenance_hours_per_month\": 0},"
        "{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\", \"tokens_per_s_per_gpu\": 1000,"
        " \"train_gpu_hours\": 0, \"retrain_every_days\": 0},"
        "{\"id\": \"a\", \"kind\": \"api\", \"model\": \"m1\"}]}";
    TpError err = {0};
    Run r;
    if (cost_scenario_parse(json, strlen(json), "test", &pr, &r.sc, &err) != TP_OK)
        fail_msg("parse failed: %s", err.msg);
    if (cost_project(&r.sc, &r.p, &err) != TP_OK)
        fail_msg("project failed: %s", err.msg);

    const CostOptionResult *f = opt(&r, "f");
    double retrain = 815.0 * MONTH / 30.0;
    assert_close(retrain, 826.3194444444, 1e-9);
    assert_close(f->setup_usd, 17300, 1e-9);
    assert_close(f->one_time_usd, 17360, 1e-9);
    assert_close(f->retrain_monthly_usd, retrain, 1e-9);
    assert_close(f->monthly_cost_usd[0], 1.12 * MONTH + retrain + 250, 1e-9);
    const CostOption *fo = &r.sc.options[cost_scenario_find(&r.sc, "f")];
    assert_close(fo->maintenance_hours_per_month.lo, 2, 0);
    assert_close(fo->maintenance_hours_per_month.hi, 3, 0);
    bool cited = false;
    for (int i = 0; i < fo->n_sources; i++)
        cited |= strstr(fo->sources[i].what, "monitoring_hours_per_month") != NULL;
    assert_true(cited);

    /* the scenario's own figures: 10 h of setup, no monitoring, no retrains */
    const CostOptionResult *f0 = opt(&r, "f0");
    assert_close(f0->one_time_usd, 15 + 45 + 10 * 100, 1e-9);
    assert_close(f0->monthly_cost_usd[0], 1.12 * MONTH, 1e-9);

    /* self-hosted: 1 replica of g1 at $1 x 730 h, no training, the harness
     * and the monitoring: one-time $17,300, a month 730 + 250 = $980 */
    const CostOptionResult *s = opt(&r, "s");
    assert_close(s->one_time_usd, 17300, 1e-9);
    assert_close(s->monthly_cost_usd[0], 730 + 250, 1e-9);

    /* a prompted API: tokens only */
    const CostOptionResult *a = opt(&r, "a");
    assert_close(a->one_time_usd, 0, 0);
    assert_close(a->monthly_cost_usd[0], (1000 * 2 + 100 * 8) / 1e6 * 1000 * MONTH, 1e-9);
    run_free(&r);
    pricing_free(&pr);
}

static void test_routed_blend(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 86400, \"input_tokens\": 100, \"output_tokens\": 100,"
                " \"latency_slo_ms\": 2000},"
                "\"options\": ["
                "{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\","
                " \"tokens_per_s_per_gpu\": 100, \"ttft_ms\": 0, \"output_tokens_per_s\": 100,"
                " \"latency_p95_over_p50\": 1, \"train_gpu_hours\": 0},"
                "{\"id\": \"a\", \"kind\": \"api\", \"input_per_mtok\": 10, \"output_per_mtok\": 0},"
                "{\"id\": \"mix\", \"kind\": \"routed\", \"routes\": ["
                " {\"option\": \"s\", \"share\": 0.5}, {\"option\": \"a\", \"share\": 0.5}]}]}");
    const CostOptionResult *m = opt(&r, "mix");
    assert_int_equal(m->replicas_at_peak, 2);
    assert_close(m->monthly_cost_usd[0], 2 * 730.0 + 43.2 * MONTH, 1e-9);
    assert_close(m->variable_cost_per_request_usd, 0.5 * 0.001, 1e-15);
    /* the mixture median lies between the two components' medians */
    assert_true(m->latency_p50_ms > opt(&r, "s")->latency_p50_ms - 1e-9);
    assert_true(m->latency_p95_ms < opt(&r, "a")->latency_p95_ms + 1e-9);
    run_free(&r);
}

/* Break-even: A costs $0.01 a request (1,000 tokens at $10/M), 1,000 a day =
 * 304.1667 a month. B, a fine-tune of m1: training 1e8 x 3 x $5/M = $1,500,
 * data prep $4,500, so $6,000 up front, then 1,000 x $0.8/M = $0.0008 a
 * request = 24.3333 a month. B catches up when 6000 + 24.333 m <= 304.167 m,
 * m >= 21.44: month 22. A is dearer from then on: -1 within 24 months. */
static void test_break_even(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 24, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 0},"
                "\"options\": ["
                "{\"id\": \"A\", \"kind\": \"api\", \"input_per_mtok\": 10, \"output_per_mtok\": 0},"
                "{\"id\": \"B\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
                " \"train_tokens\": 100000000, \"retrain_every_days\": 0}]}");
    assert_close(opt(&r, "B")->one_time_usd, 6000, 1e-9);
    assert_int_equal(opt(&r, "B")->break_even_month[0], 22);
    assert_int_equal(opt(&r, "A")->break_even_month[1], -1);
    run_free(&r);
    double ca[3] = {5, 10, 15}, cb[3] = {4, 10, 16};
    /* A: 0,5,10,15 vs B: 2,4,10,16 -> A no dearer at m=0 but dearer at 1. At
     * m=2 equal, m=3 cheaper: from month 2 on. */
    assert_int_equal(cost_break_even(ca, 0, cb, 2, 3), 2);
    assert_int_equal(cost_break_even(cb, 2, ca, 0, 3), -1);
    double same[2] = {1, 2};
    assert_int_equal(cost_break_even(same, 0, same, 0, 2), 0);
}

/* Erlang C against textbook closed forms and the direct formula. */
static void test_erlang_c(void **state) {
    (void)state;
    /* M/M/1: probability of waiting = rho */
    assert_close(cost_erlang_c(1, 0.7), 0.7, 1e-12);
    /* M/M/2 with a = 1: C = 1/3 */
    assert_close(cost_erlang_c(2, 1.0), 1.0 / 3.0, 1e-12);
    /* c = 10, a = 8 by the textbook sum:
     * C = (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a))) */
    double sum = 0, term = 1;
    for (int k = 0; k < 10; k++) {
        sum += term;
        term *= 8.0 / (k + 1);
    }
    double top = term * 10.0 / (10.0 - 8.0);
    assert_close(cost_erlang_c(10, 8.0), top / (sum + top), 1e-12);
    assert_close(cost_erlang_c(3, 3.0), 1.0, 0); /* unstable: always waits */
    /* M/M/1 waiting time: P(W > t) = rho e^{-(mu - lambda) t}; with
     * lambda = 0.5, mu = 1 the 95th percentile is ln(0.5/0.05)/0.5. */
    assert_close(cost_mmc_wait_quantile_s(1, 0.5, 1.0, 0.95), log(10.0) / 0.5, 1e-12);
    assert_close(cost_mmc_wait_quantile_s(1, 0.5, 1.0, 0.4), 0, 0); /* P(wait) 0.5 < 0.6 */
    assert_true(isinf(cost_mmc_wait_quantile_s(1, 2.0, 1.0, 0.95)));
}

/* Erlang B above 256 servers comes from a quadrature; the reference here
 * is the textbook recursion B_k = a B_{k-1} / (k + a B_{k-1}) run in long
 * double (Kleinrock 1975, sec. 3.5), over loads around the square-root
 * staffing band c = a + beta sqrt(a) and far from it. */
static long double erlang_b_ref(int c, long double a) {
    long double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

static void test_erlang_b_large(void **state) {
    (void)state;
    static const int cs[] = {257, 300, 1000, 4096, 30000, 200000};
    static const double betas[] = {-3, -1, -0.2, 0, 0.2, 1, 2, 3, 5};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof betas / sizeof betas[0]; j++) {
            int c = cs[i];
            double a = c - betas[j] * sqrt((double)c);
            double ref = (double)erlang_b_ref(c, a), got = cost_erlang_b(c, a);
            if (!(fabs(got - ref) <= 1e-11 * ref))
                fail_msg("B(%d, %.6g) = %.17g, reference %.17g", c, a, got, ref);
        }
    /* light load: B(300, 30) is tiny but representable */
    double ref = (double)erlang_b_ref(300, 30);
    assert_true(ref > 1e-300);
    assert_close(cost_erlang_b(300, 30), ref, 1e-11 * ref);
    /* the recursion's region is the recursion itself */
    assert_close(cost_erlang_b(3, 1.0), 1.0 / 16.0, 1e-15);
}

/* The reference sizing the engine had before: Erlang B by its recursion up
 * to the stability bound floor(a) + 1, then one server at a time until
 * P(wait) <= 5% or the M/M/c wait p95 fits the budget. O(c) per call, so
 * only for checks. */
static int size_ref(double lambda, double mu, double budget_s) {
    double a = lambda / mu;
    int c = (int)floor(a) + 1;
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    for (;; c++) {
        double pw = b / (1 - (a / c) * (1 - b));
        if (pw <= 0.05 || log(pw / 0.05) / (c * mu - lambda) <= budget_s)
            return c;
        b = a * b / (c + 1 + a * b);
    }
}

/* Issue 16 #3: 45-55% growth a month over 36 months used to take 36 s
 * (replica sizing looped over Erlang B up to ~10^5 replicas per month and
 * draw). The point projection's last month must match the reference
 * sizing, and a tight latency budget (SLO 1 ms above the service p95)
 * drives the search path; both with 10,000 draws as a whole. */
static void test_replicas_at_high_growth(void **state) {
    (void)state;
    /* mu = 100 tok/s / 10 tokens = 10 requests/s per replica; service
     * 10 tokens at 100 tok/s = 100 ms, p95 ratio 1. */
    static const char FMT[] =
        "{\"name\": \"t\", \"horizon_months\": 36, \"draws\": 10000, \"workload\": {"
        "\"requests_per_day\": [40000, 60000], \"input_tokens\": 10, \"output_tokens\": 10,"
        " \"growth_per_month\": 0.5, \"peak_factor\": 3, \"latency_slo_ms\": %s},"
        "\"options\": [{\"id\": \"s\", \"kind\": \"self_hosted\", \"gpu\": \"g1\","
        " \"tokens_per_s_per_gpu\": 100, \"ttft_ms\": 0, \"output_tokens_per_s\": 100,"
        " \"latency_p95_over_p50\": 1, \"train_gpu_hours\": 0}]}";
    const char *slos[] = {"1500", "100.001"};
    for (int t = 0; t < 2; t++) {
        char json[1024];
        snprintf(json, sizeof json, FMT, slos[t]);
        Run r;
        project(&r, json);
        const CostOptionResult *s = opt(&r, "s");
        /* month 36: 50,000 x 1.5^35 requests/day x 3 / 86,400 s */
        double lambda = 50000 * pow(1.5, 35) * 3 / 86400.0;
        double budget = (atof(slos[t]) - 100) / 1000;
        int want = size_ref(lambda, 10, budget);
        assert_true(want > 100000); /* the load that used to cost seconds */
        assert_int_equal(s->replicas_at_peak_final, want);
        assert_close(s->monthly_cost_usd[35], want * 730.0, 1e-6);
        /* month 1: 50,000 x 3 / 86,400 = 1.736 req/s */
        assert_int_equal(s->replicas_at_peak, size_ref(50000 * 3 / 86400.0, 10, budget));
        assert_true(r.p.uncertain && r.p.draws == 10000);
        run_free(&r);
    }
}

/* Absurd workloads end in a message naming the field and the limit. */
static void test_workload_limits(void **state) {
    (void)state;
    CostScenario sc;
    TpError err = {0};
    /* 50,000 x 6^35 requests a day is about 8.6e31: over 1e12 */
    const char *grow = "{\"name\": \"t\", \"horizon_months\": 36, \"workload\": {"
                       "\"requests_per_day\": 50000, \"input_tokens\": 10, \"output_tokens\": 10,"
                       " \"growth_per_month\": 5}, \"options\": [{\"id\": \"a\", \"kind\": "
                       "\"api\", \"model\": \"m1\"}]}";
    assert_int_equal(cost_scenario_parse(grow, strlen(grow), "g.json", &pricing, &sc, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.workload.growth_per_month"));
    assert_non_null(strstr(err.msg, "TP_MAX_REQUESTS_PER_DAY"));
    /* 1e12 requests a day x 1,000 peak / 86,400 s at 1e-3 requests/s per
     * replica (0.001 tok/s, 1 token) is about 1.2e13 busy replicas */
    const char *big = "{\"name\": \"big\", \"horizon_months\": 1, \"workload\": {"
                      "\"requests_per_day\": 1e12, \"input_tokens\": 1, \"output_tokens\": 1,"
                      " \"peak_factor\": 1000}, \"options\": [{\"id\": \"s\", \"kind\": "
                      "\"self_hosted\", \"gpu\": \"g1\", \"tokens_per_s_per_gpu\": 0.001}]}";
    assert_int_equal(cost_scenario_parse(big, strlen(big), "b.json", &pricing, &sc, &err), TP_OK);
    CostProjection p;
    assert_int_equal(cost_project(&sc, &p, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "option \"s\""));
    assert_non_null(strstr(err.msg, "TP_MAX_REPLICAS"));
    assert_non_null(strstr(err.msg, "month 1"));
    cost_scenario_free(&sc);
}

static void test_lognormal_mixture(void **state) {
    (void)state;
    double w1[1] = {1}, a50[1] = {1000}, a95[1] = {2000};
    assert_rel(cost_lognormal_mixture_quantile(1, w1, a50, a95, 0.5), 1000, 1e-9);
    assert_rel(cost_lognormal_mixture_quantile(1, w1, a50, a95, 0.95), 2000, 1e-9);
    /* two identical components are one component */
    double w2[2] = {0.3, 0.7}, b50[2] = {1000, 1000}, b95[2] = {2000, 2000};
    assert_rel(cost_lognormal_mixture_quantile(2, w2, b50, b95, 0.95), 2000, 1e-9);
    /* point masses at 100 (30%) and 1000 (70%) */
    double c50[2] = {100, 1000}, c95[2] = {100, 1000};
    assert_rel(cost_lognormal_mixture_quantile(2, w2, c50, c95, 0.2), 100, 1e-6);
    assert_rel(cost_lognormal_mixture_quantile(2, w2, c50, c95, 0.5), 1000, 1e-6);
}

static const char MC[] =
    "{\"name\": \"mc\", \"horizon_months\": 6, \"seed\": %d, \"workload\": {"
    "\"requests_per_day\": [40000, 60000], \"input_tokens\": 1000, \"output_tokens\": 0,"
    " \"growth_per_month\": [0, 0.05]},"
    "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"input_per_mtok\": 10,"
    " \"output_per_mtok\": 0},"
    "{\"id\": \"r1\", \"kind\": \"rag\", \"model\": \"m1\", \"context_tokens\": 100},"
    "{\"id\": \"r2\", \"kind\": \"rag\", \"model\": \"m1\", \"context_tokens\": 100}]}";

static void mc_run(Run *r, int seed) {
    char json[1024];
    snprintf(json, sizeof json, MC, seed);
    project(r, json);
}

/* Same seed, same numbers; another seed, other numbers. */
static void test_monte_carlo_deterministic(void **state) {
    (void)state;
    Run a, b, c;
    mc_run(&a, 5);
    mc_run(&b, 5);
    mc_run(&c, 6);
    assert_true(a.p.uncertain);
    assert_int_equal(a.p.draws, COST_DEFAULT_DRAWS);
    for (int i = 0; i < a.p.n_options; i++) {
        const CostOptionResult *x = &a.p.options[i], *y = &b.p.options[i];
        assert_memory_equal(&x->q_horizon_total_usd, &y->q_horizon_total_usd,
                            sizeof(CostQuantiles));
        assert_memory_equal(&x->q_latency_p95_ms, &y->q_latency_p95_ms, sizeof(CostQuantiles));
        assert_memory_equal(x->q_monthly_cost_usd, y->q_monthly_cost_usd,
                            sizeof(CostQuantiles) * 6);
    }
    assert_true(a.p.options[0].q_horizon_total_usd.p10 != c.p.options[0].q_horizon_total_usd.p10);
    /* Both RAG options read one shared rule of thumb per draw, so their
     * latency quantiles agree exactly. */
    assert_memory_equal(&a.p.options[1].q_latency_p95_ms, &a.p.options[2].q_latency_p95_ms,
                        sizeof(CostQuantiles));
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

/* Daily cost = requests x $0.01, requests uniform on [40,000, 60,000]: the
 * exact quantiles are $420, $500 and $580. With 10,000 draws the sampling
 * error of a quantile is about sqrt(0.09/10000) x 200 = $0.6. The point
 * projection uses the midpoint and is restored after the draws. */
static void test_monte_carlo_converges(void **state) {
    (void)state;
    Run r;
    mc_run(&r, 1);
    const CostOptionResult *a = opt(&r, "a");
    assert_close(a->q_daily_cost_usd.p10, 420, 3);
    assert_close(a->q_daily_cost_usd.p50, 500, 3);
    assert_close(a->q_daily_cost_usd.p90, 580, 3);
    assert_close(a->daily_cost_usd, 500, 1e-9);
    assert_close(r.sc.requests_per_day.v, 50000, 0);
    run_free(&r);
}

/* Invalid scenarios: status TP_EINVAL and a message naming the JSON path. */
static void test_errors(void **state) {
    (void)state;
    static const char W[] = "\"workload\": {\"requests_per_day\": 100, \"input_tokens\": 10,"
                            " \"output_tokens\": 10}";
    struct {
        const char *json;
        const char *expect1, *expect2;
    } cases[] = {
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m11\"}]}",
         "$.options[0].model", "did you mean \"m1\""},
        {"{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {\"requests_per_day\": -5, "
         "\"input_tokens\": 1, \"output_tokens\": 1}, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}]}",
         "$.workload.requests_per_day", "expected a number >= 0"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}, {\"id\": \"b\", \"kind\": \"api\", \"model\": \"m2\"}, "
         "{\"id\": \"r\", \"kind\": \"routed\", \"routes\": [{\"option\": \"a\", \"share\": 0.5},"
         " {\"option\": \"b\", \"share\": 0.4}]}]}",
         "$.options[2].routes", "sum to 0.9, expected 1"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}, {\"id\": \"r\", \"kind\": \"routed\", \"routes\": "
         "[{\"option\": \"zz\", \"share\": 1}]}]}",
         "$.options[1].routes[0].option", "unknown option \"zz\""},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}, {\"id\": \"r1\", \"kind\": \"routed\", \"routes\": "
         "[{\"option\": \"r2\", \"share\": 1}]}, {\"id\": \"r2\", \"kind\": \"routed\", "
         "\"routes\": [{\"option\": \"r1\", \"share\": 1}]}]}",
         "cycle of routes", "$.options["},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"r\", \"kind\": "
         "\"routed\", \"routes\": [{\"option\": \"r\", \"share\": 1}]}]}",
         "$.options[0].routes[0].option", "itself"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\", \"input_tokens\": [500, 100]}]}",
         "$.options[0].input_tokens", "low > high"},
        {"{\"name\": \"t\", \"horizon_months\": 0, %s, \"options\": []}", "$.horizon_months",
         "expected a number in [1, 240]"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": []}", "$.options",
         "non-empty array"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"magic\"}]}",
         "$.options[0].kind", "unknown kind \"magic\""},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}, {\"id\": \"a\", \"kind\": \"api\", \"model\": \"m2\"}]}",
         "$.options[1].id", "unique"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\", \"gpu\": \"g1\"}]}",
         "$.options[0].gpu", "kind \"api\" does not take it"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\"}]}",
         "$.options[0]", "both \"input_per_mtok\" and \"output_per_mtok\""},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"s\", \"kind\": "
         "\"self_hosted\", \"gpu\": \"g1\"}]}",
         "$.options[0].tokens_per_s_per_gpu", "missing"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"s\", \"kind\": "
         "\"self_hosted\", \"gpu\": \"g9\", \"tokens_per_s_per_gpu\": 5}]}",
         "$.options[0].gpu", "unknown GPU \"g9\""},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"s\", \"kind\": "
         "\"self_hosted\", \"gpu\": \"g1\", \"cloud\": \"c9\", \"tokens_per_s_per_gpu\": 5}]}",
         "$.options[0].cloud", "listed: c1, c2"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"f\", \"kind\": "
         "\"api_finetuned\", \"model\": \"m1\"}]}",
         "$.options[0].train_tokens", "missing"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"r\", \"kind\": "
         "\"rag\", \"model\": \"m1\"}]}",
         "$.options[0].context_tokens", "missing"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\", \"input_tokens\": \"many\"}]}",
         "$.options[0].input_tokens", "expected a number or a range [low, high], got a string"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}], \"extra\": 1}",
         "$.extra", "unknown field"},
        {"{\"name\": \"t\", \"horizon_months\": 1, \"options\": [{\"id\": \"a\", \"kind\": "
         "\"api\", \"model\": \"m1\"}]}",
         "$.workload", "expected an object"},
        {"{\"name\": \"t\", \"horizon_months\": 1, %s, \"options\": [", "test:1:", "invalid JSON"},
        {"[1, 2]", "$", "expected a scenario object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[2048];
        const char *hole = strstr(cases[i].json, "%s");
        if (hole)
            snprintf(json, sizeof json, "%.*s%s%s", (int)(hole - cases[i].json), cases[i].json,
                     W, hole + 2);
        else
            snprintf(json, sizeof json, "%s", cases[i].json);
        CostScenario sc;
        TpError err = {0};
        TpStatus st = cost_scenario_parse(json, strlen(json), "test", &pricing, &sc, &err);
        if (st != TP_EINVAL || !strstr(err.msg, cases[i].expect1) ||
            !strstr(err.msg, cases[i].expect2))
            fail_msg("case %zu: status %d, message \"%s\"; expected \"%s\" and \"%s\"", i, st,
                     err.msg, cases[i].expect1, cases[i].expect2);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_explicit_prices),
        cmocka_unit_test(test_api_table_prices_and_cache),
        cmocka_unit_test(test_growth_compounds_monthly),
        cmocka_unit_test(test_rag),
        cmocka_unit_test(test_prefill),
        cmocka_unit_test(test_api_finetuned),
        cmocka_unit_test(test_overhead_defaults),
        cmocka_unit_test(test_self_hosted_mmc_sizing),
        cmocka_unit_test(test_self_hosted_no_slo_cloud_training),
        cmocka_unit_test(test_self_hosted_replicas_grow),
        cmocka_unit_test(test_self_hosted_rule_of_thumb),
        cmocka_unit_test(test_routed_blend),
        cmocka_unit_test(test_break_even),
        cmocka_unit_test(test_erlang_c),
        cmocka_unit_test(test_erlang_b_large),
        cmocka_unit_test(test_replicas_at_high_growth),
        cmocka_unit_test(test_workload_limits),
        cmocka_unit_test(test_lognormal_mixture),
        cmocka_unit_test(test_monte_carlo_deterministic),
        cmocka_unit_test(test_monte_carlo_converges),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
