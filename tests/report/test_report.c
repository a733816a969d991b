/* test_report.c - the report layer: chart series, nice ticks, SVG structure,
 * the cost engine's split by component, HTML pages, and the export formats'
 * building blocks (CRC-32C against RFC 3720's vectors, UTC parsing). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "../cost/cost_fixture.h"
#include "tunepilot/assets.h"
#include "tunepilot/cost.h"
#include "tunepilot/export.h"
#include "tunepilot/report.h"
#include "tunepilot/series.h"
#include "tunepilot/svg.h"

#define MONTH (365.0 / 12.0)

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* EMA with weight 0.5 over [1, NaN, 3]: s0 = 1, the NaN is skipped and stays
 * NaN, s2 = 0.5 * 1 + 0.5 * 3 = 2 (hand). */
static void test_ema(void **state) {
    (void)state;
    double y[3] = {1, NAN, 3}, out[3];
    series_ema(NULL, y, 3, 0.5, out);
    assert_close(out[0], 1, 0);
    assert_true(isnan(out[1]));
    assert_close(out[2], 2, 1e-15);
    series_ema(NULL, y, 3, 0, out); /* no smoothing */
    assert_close(out[2], 3, 0);
}

/* Heckbert's rule by hand: [0, 91,250] with 6 ticks: range rounds up to
 * 100,000, step 100,000/5 = 20,000 -> 0, 20k, ..., 100k (6 ticks).
 * [0, 0.002]: step 0.0004 rounds to 0.0005 -> 0 .. 0.002 (5 ticks).
 * [3, 97] with 8: range 100, step 100/7 = 14.3 -> 10; 0 .. 100 (11). */
static void test_nice_ticks(void **state) {
    (void)state;
    double t[16], step;
    int n = series_nice_ticks(0, 91250, 6, t, 16, &step);
    assert_int_equal(n, 6);
    assert_close(step, 20000, 0);
    assert_close(t[5], 100000, 0);
    n = series_nice_ticks(0, 0.002, 6, t, 16, &step);
    assert_int_equal(n, 5);
    assert_close(step, 0.0005, 1e-18);
    assert_close(t[3], 0.0015, 1e-18);
    n = series_nice_ticks(3, 97, 8, t, 16, &step);
    assert_int_equal(n, 11);
    assert_close(t[0], 0, 0);
    assert_close(t[10], 100, 0);
    n = series_nice_ticks(5, 5, 6, t, 16, &step); /* widened, not empty */
    assert_true(n >= 2 && t[0] <= 5 && t[n - 1] >= 5);
}

static void test_tick_labels(void **state) {
    (void)state;
    char s[32];
    svg_tick_label(20000, 20000, SVG_UNIT_USD, s, sizeof s);
    assert_string_equal(s, "$20k");
    svg_tick_label(0, 20000, SVG_UNIT_USD, s, sizeof s);
    assert_string_equal(s, "$0");
    svg_tick_label(1500000, 500000, SVG_UNIT_USD, s, sizeof s);
    assert_string_equal(s, "$1.5M");
    svg_tick_label(2.5, 0.5, SVG_UNIT_USD, s, sizeof s);
    assert_string_equal(s, "$2.5");
    svg_tick_label(0.0005, 0.0005, SVG_UNIT_NUM, s, sizeof s);
    assert_string_equal(s, "0.0005");
    svg_tick_label(12000, 2000, SVG_UNIT_MS, s, sizeof s);
    assert_string_equal(s, "12,000");
}

static void test_svg_line_structure(void **state) {
    (void)state;
    double x[3] = {0, 1, 2}, a[3] = {0, 5, 10}, b[3] = {10, 5, NAN};
    SvgLine l[2] = {{"a<b", x, a, 3, NULL, NULL, 0, false, false},
                    {"c&d", x, b, 3, NULL, NULL, 1, false, false}};
    SvgMark m = {1, 5, "m1"};
    SvgLineChart c = {.id = "c", .title = "T", .desc = "D", .x_label = "month",
                      .y_label = "USD", .x_unit = SVG_UNIT_INT, .y_unit = SVG_UNIT_USD,
                      .lines = l, .n_lines = 2, .hline = 7, .hline_label = "SLO",
                      .marks = &m, .n_marks = 1};
    TpBuf buf;
    tp_buf_init(&buf);
    svg_line_chart(&buf, &c);
    const char *s = buf.data;
    assert_non_null(strstr(s, "aria-labelledby=\"c-t c-d\""));
    assert_non_null(strstr(s, "<title id=\"c-t\">T</title><desc id=\"c-d\">D</desc>"));
    assert_non_null(strstr(s, "data-series=\"a&lt;b\" data-points=\"3\""));
    assert_non_null(strstr(s, "data-series=\"c&amp;d\" data-points=\"2\"")); /* NaN left out */
    assert_int_equal(count(s, "<polyline"), 2);
    assert_int_equal(count(s, "class=\"ref\""), 2);  /* the line and its legend sample */
    assert_int_equal(count(s, "class=\"be\""), 2);   /* the mark and its legend sample */
    assert_int_equal(count(s, "stroke-dasharray=\"8 4\""), 2); /* style 1: legend + line */
    /* the y axis runs 0..10 (nice ticks 0, 2, ..., 10): six grid lines */
    const char *g = strstr(s, "<g class=\"grid\">");
    const char *ge = strstr(g, "</g>");
    int grid = 0;
    for (const char *p = g; (p = strstr(p, "<path")) && p < ge; p++)
        grid++;
    assert_int_equal(grid, 6);
    tp_buf_init(&buf); /* the table: one row per month, a header */
    free(buf.data);
    tp_buf_init(&buf);
    svg_line_table(&buf, &c);
    assert_int_equal(count(buf.data, "<tr>"), 4);
    assert_int_equal(count(buf.data, "<th scope=\"row\">"), 3);
    assert_non_null(strstr(buf.data, "<td>n/a</td>"));
    free(buf.data);
    free((void *)s);
}

static void test_svg_bars(void **state) {
    (void)state;
    const char *cats[2] = {"x", "y"}, *segs[3] = {"s0", "s1", "s2"};
    double v[6] = {1, 2, 3, 4, 5, 6};
    SvgBarChart c = {.id = "b", .title = "T", .desc = "D", .value_label = "USD",
                     .unit = SVG_UNIT_USD, .cats = cats, .n_cats = 2, .segs = segs,
                     .n_segs = 3, .values = v, .ref = NAN};
    TpBuf buf;
    tp_buf_init(&buf);
    svg_bar_chart(&buf, &c);
    assert_int_equal(count(buf.data, "data-points=\"2\""), 3);
    assert_int_equal(count(buf.data, "<pattern id=\"b-h"), 2); /* segments 1 and 2 hatched */
    assert_non_null(strstr(buf.data, "$15.00")); /* y's total 4 + 5 + 6 */
    free(buf.data);
}

/* --- the cost engine's split by component ---------------------------------------- */

typedef struct Run {
    Pricing pr;
    CostScenario sc;
    CostProjection p;
} Run;

static void project(Run *r, const char *json) {
    TpError err = {0};
    assert_int_equal(fixture_pricing(&r->pr), 0);
    if (cost_scenario_parse(json, strlen(json), "t", &r->pr, &r->sc, &err) != TP_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(cost_project(&r->sc, &r->p, &err), TP_OK);
}

static void run_free(Run *r) {
    cost_projection_free(&r->p);
    cost_scenario_free(&r->sc);
    pricing_free(&r->pr);
}

static double comp(const CostOptionResult *o, int month, CostComponent c) {
    return o->component_monthly_usd[month * COST_N_COMPONENTS + c];
}

/* RAG on m1 ($2/$8 per M; fixture): 1,000 requests/day of 500 input + 1,000
 * context and 100 output tokens = (1,500 x 2 + 100 x 8) / 1e6 = $0.0038 a
 * request in tokens; the query's 500 tokens embedded at $0.02/M = $0.00001,
 * plus the vector store's $50 a month, in retrieval; the corpus (1e9 tokens
 * x $0.02/M = $20) is a one-time retrieval cost. 10 setup hours at the
 * fixture's $100/h are one-time people cost, 2 maintenance hours a month
 * $200 of people a month (hand). */
static void test_components_rag(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 2, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 500, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"r\", \"kind\": \"rag\", \"model\": \"m1\","
                " \"context_tokens\": 1000, \"corpus_tokens\": 1000000000,"
                " \"setup_hours\": 10, \"maintenance_hours_per_month\": 2}]}");
    const CostOptionResult *o = &r.p.options[0];
    for (int k = 0; k < 2; k++) {
        assert_close(comp(o, k, COST_COMP_TOKENS), 3.8 * MONTH, 1e-9);
        assert_close(comp(o, k, COST_COMP_RETRIEVAL), 0.01 * MONTH + 50, 1e-9);
        assert_close(comp(o, k, COST_COMP_GPU), 0, 0);
        assert_close(comp(o, k, COST_COMP_TRAINING), 0, 0);
        assert_close(comp(o, k, COST_COMP_PEOPLE), 200, 1e-9);
        double sum = 0;
        for (int c = 0; c < COST_N_COMPONENTS; c++)
            sum += comp(o, k, (CostComponent)c);
        assert_close(sum, o->monthly_cost_usd[k], 1e-9);
    }
    assert_close(o->component_one_time_usd[COST_COMP_RETRIEVAL], 20, 1e-9);
    assert_close(o->component_one_time_usd[COST_COMP_PEOPLE], 1000, 1e-9);
    assert_close(o->one_time_usd, 1020, 1e-9);
    run_free(&r);
}

/* Hosted fine-tune of m1 (see test_cost.c): training $15 + data prep $45
 * one-time; retraining every 30 days 15 x (365/12) / 30 a month; inference
 * $0.00112 a request in tokens. Routed 50/50 between it and m2 at $10/M
 * input: tokens = 500 x (0.00112) + 500 x (1,000 x 10 + 100 x 30) / 1e6 ... a
 * day, training half of nothing: the route carries the fine-tune's whole
 * retraining (a fixed cost), and the routed option's components still add
 * up to its monthly bill. */
static void test_components_finetuned_and_routed(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 1, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 1000, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"f\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
                " \"train_tokens\": 1000000, \"retrain_every_days\": 30},"
                " {\"id\": \"b\", \"kind\": \"api\", \"model\": \"m2\"},"
                " {\"id\": \"mix\", \"kind\": \"routed\", \"routes\": ["
                "  {\"option\": \"f\", \"share\": 0.5}, {\"option\": \"b\", \"share\": 0.5}]}]}");
    const CostOptionResult *f = &r.p.options[0], *mix = &r.p.options[2];
    double retrain = 15.0 * MONTH / 30.0;
    assert_close(comp(f, 0, COST_COMP_TOKENS), 1.12 * MONTH, 1e-9);
    assert_close(comp(f, 0, COST_COMP_TRAINING), retrain, 1e-9);
    assert_close(f->component_one_time_usd[COST_COMP_TRAINING], 60, 1e-12);
    /* b: (1,000 x 10 + 100 x 30) / 1e6 = $0.013 a request; half the traffic each */
    assert_close(comp(mix, 0, COST_COMP_TOKENS), (0.5 * 1.12 + 0.5 * 13) * MONTH, 1e-9);
    assert_close(comp(mix, 0, COST_COMP_TRAINING), retrain, 1e-9);
    assert_close(mix->component_one_time_usd[COST_COMP_TRAINING], 60, 1e-12);
    double sum = 0;
    for (int c = 0; c < COST_N_COMPONENTS; c++)
        sum += comp(mix, 0, (CostComponent)c);
    assert_close(sum, mix->monthly_cost_usd[0], 1e-9);
    run_free(&r);
}

/* Cumulative quantiles: the last month's are the horizon total's (the same
 * draws summed the same way), and every month's P10 <= P90. */
static void test_cumulative_quantiles(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"t\", \"horizon_months\": 6, \"draws\": 500, \"workload\": {"
                "\"requests_per_day\": [500, 1500], \"input_tokens\": 500, \"output_tokens\": 100},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"model\": \"m1\"}]}");
    const CostOptionResult *o = &r.p.options[0];
    assert_true(r.p.uncertain);
    assert_non_null(o->q_cumulative_cost_usd);
    assert_rel(o->q_cumulative_cost_usd[5].p50, o->q_horizon_total_usd.p50, 1e-12);
    assert_rel(o->q_cumulative_cost_usd[5].p10, o->q_horizon_total_usd.p10, 1e-12);
    for (int k = 0; k < 6; k++) {
        assert_true(o->q_cumulative_cost_usd[k].p10 <= o->q_cumulative_cost_usd[k].p90);
        if (k)
            assert_true(o->q_cumulative_cost_usd[k].p50 > o->q_cumulative_cost_usd[k - 1].p50);
    }
    SeriesCost s;
    series_cost_build(&r.p, &s);
    assert_int_equal(s.n_points, 7);
    assert_non_null(s.cum_p10);
    assert_close(s.cum[0][6], o->horizon_total_usd, 1e-9);
    series_cost_free(&s);
    run_free(&r);
}

/* Every bundled example, every option, every month: the split by component
 * adds up to the month's bill, and the one-time split to the one-time cost
 * (an engine change that adds a cost outside the split fails here). */
static void test_components_add_up_in_examples(void **state) {
    (void)state;
    Pricing pr;
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&pr, &err), TP_OK);
    const char *name;
    int checked = 0;
    for (int i = 0; (name = tp_asset_name("assets/scenarios/", i)); i++) {
        size_t len;
        const char *text = tp_asset_get(name, &len);
        CostScenario sc;
        CostProjection p;
        if (cost_scenario_parse(text, len, name, &pr, &sc, &err) != TP_OK)
            fail_msg("%s: %s", name, err.msg);
        sc.draws = 200;
        assert_int_equal(cost_project(&sc, &p, &err), TP_OK);
        for (int o = 0; o < p.n_options; o++) {
            const CostOptionResult *r = &p.options[o];
            double one = 0;
            for (int c = 0; c < COST_N_COMPONENTS; c++)
                one += r->component_one_time_usd[c];
            assert_rel(one, r->one_time_usd, 1e-12);
            for (int k = 0; k < p.horizon_months; k++) {
                double sum = 0;
                for (int c = 0; c < COST_N_COMPONENTS; c++)
                    sum += comp(r, k, (CostComponent)c);
                assert_rel(sum, r->monthly_cost_usd[k], 1e-12);
                checked++;
            }
        }
        cost_projection_free(&p);
        cost_scenario_free(&sc);
    }
    assert_true(checked > 50);
    pricing_free(&pr);
}

/* The HTML page: a real document with its parts and nothing external. */
static void test_cost_html(void **state) {
    (void)state;
    Run r;
    project(&r, "{\"name\": \"a <b> & c\", \"horizon_months\": 3, \"workload\": {"
                "\"requests_per_day\": 1000, \"input_tokens\": 500, \"output_tokens\": 100,"
                " \"latency_slo_ms\": 5000},"
                "\"options\": [{\"id\": \"a\", \"kind\": \"api\", \"model\": \"m1\"},"
                " {\"id\": \"f\", \"kind\": \"api_finetuned\", \"model\": \"m1\","
                " \"train_tokens\": 1000000}]}");
    ReportPricing pr = {0, "fixture", "2026-01-01"};
    ReportMeta meta = {"9.9.9", NULL};
    char *h = report_cost_html(&r.sc, &r.p, &pr, &meta);
    assert_non_null(strstr(h, "<!DOCTYPE html>"));
    assert_non_null(strstr(h, "<h1>Cost projection: a &lt;b&gt; &amp; c</h1>"));
    assert_int_equal(count(h, "<svg "), 3);
    assert_int_equal(count(h, "<figure>"), 3);
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "src="));
    assert_non_null(strstr(h, "tunepilot 9.9.9"));
    assert_non_null(strstr(h, "https://example.com/prices")); /* the fixture's source */
    assert_non_null(strstr(h, "prefers-color-scheme:dark"));
    assert_non_null(strstr(h, "@media print"));
    /* cumulative chart: both options over months 0..3 (2 series of 4 points);
     * components: 2 options x (month 1, month 3) = 4 bars in each of the 5
     * component series; latency: 1 series of 2 bars */
    assert_int_equal(count(h, "data-points=\"4\""), 2 + 5);
    assert_int_equal(count(h, "class=\"series"), 2 + 5 + 1);
    free(h);
    run_free(&r);
}

/* --- export building blocks ------------------------------------------------------------ */

/* RFC 3720, appendix B.4: CRC-32C of 32 bytes of zeros, of ones, ascending
 * and descending; and the common check value of "123456789". */
static void test_crc32c_rfc3720(void **state) {
    (void)state;
    unsigned char z[32] = {0}, o[32], up[32], down[32];
    for (int i = 0; i < 32; i++) {
        o[i] = 0xFF;
        up[i] = (unsigned char)i;
        down[i] = (unsigned char)(31 - i);
    }
    assert_int_equal(export_crc32c(z, 32), 0x8A9136AAu);
    assert_int_equal(export_crc32c(o, 32), 0x62A8AB43u);
    assert_int_equal(export_crc32c(up, 32), 0x46DD794Eu);
    assert_int_equal(export_crc32c(down, 32), 0x113FDB5Cu);
    assert_int_equal(export_crc32c("123456789", 9), 0xE3069283u);
    /* mask: rotate right by 15 and add 0xa282ead8 (hand: 0 -> 0xa282ead8) */
    uint32_t c = export_crc32c("", 0);
    assert_int_equal(c, 0);
    assert_int_equal(export_masked_crc32c("", 0), 0xa282ead8u);
}

/* 2000-03-01 is 10,957 + 60 = 11,017 days after 1970-01-01 (hand: 30 years
 * with 7 leap days, then January and a leap February). */
static void test_parse_utc(void **state) {
    (void)state;
    assert_close(export_parse_utc("1970-01-02T00:00:00Z"), 86400, 0);
    assert_close(export_parse_utc("2000-03-01T00:00:00Z"), 11017.0 * 86400, 0);
    assert_close(export_parse_utc("2000-03-01T01:02:03Z"), 11017.0 * 86400 + 3723, 0);
    assert_true(export_parse_utc("2000-03-01 01:02:03") < 0);
    assert_true(export_parse_utc("garbage") < 0);
}

/* One update, one evaluation: the first record is the file version, then
 * four training scalars and one eval scalar, each in its own record. A
 * record is 8 + 4 + data + 4 bytes; the version event is wall_time (1 + 8
 * bytes) and file_version (1 + 1 + 13 bytes) = 24 bytes of data. */
static void test_tfevents_framing(void **state) {
    (void)state;
    StoreRun run;
    memset(&run, 0, sizeof run);
    run.id = 7;
    snprintf(run.created_at, sizeof run.created_at, "2026-01-01T00:00:00Z");
    StoreMetric m = {1, 2.5, 0.001, 1.5, 1000, 100, 3.0, 64};
    StoreEval e = {1, "eval", 2.25, NAN};
    size_t len = 0;
    unsigned char *b = export_tfevents(&run, &m, 1, &e, 1, &len);
    assert_int_equal(b[0], 24);
    assert_int_equal(b[1] | b[2] | b[3] | b[4] | b[5] | b[6] | b[7], 0);
    assert_memory_equal(b + 12 + 11, "brain.Event:2", 13);
    size_t at = 0;
    int records = 0;
    while (at + 12 <= len) {
        uint64_t n = 0;
        for (int i = 0; i < 8; i++)
            n |= (uint64_t)b[at + i] << (8 * i);
        uint32_t lc = (uint32_t)b[at + 8] | (uint32_t)b[at + 9] << 8 |
                      (uint32_t)b[at + 10] << 16 | (uint32_t)b[at + 11] << 24;
        assert_int_equal(lc, export_masked_crc32c(b + at, 8));
        at += 16 + n;
        records++;
    }
    assert_int_equal(at, len);
    assert_int_equal(records, 6);
    char name[128];
    export_tfevents_name(&run, name, sizeof name);
    assert_string_equal(name, "events.out.tfevents.1767225600.tunepilot-run7");
    free(b);
}

/* The review page from a review built by hand: every part of the model
 * shows, escaped, with its charts and nothing external. */
static void test_review_html(void **state) {
    (void)state;
    ReviewCheck checks[2] = {{"slo", REVIEW_FAIL, "p95 2,619 ms > SLO 1,500 ms"},
                             {"context", REVIEW_PASS, "fits"}};
    ReviewSource src = {"m1 prices", "https://example.com/prices", "2026-01-01"};
    ReviewOption opts[2] = {
        {.id = "ft<api>", .kind = "api_finetuned", .model = "m1", .horizon_total_usd = 6000,
         .one_time_usd = 120, .first_month_usd = 490, .cost_per_1k_requests_usd = 0.35,
         .latency_p50_ms = 1578, .latency_p95_ms = 2619, .feasible = false, .checks = checks,
         .n_checks = 2, .sources = &src, .n_sources = 1},
        {.id = "self", .kind = "self_hosted", .horizon_total_usd = 7120, .latency_p95_ms = 968,
         .feasible = true, .checks = checks + 1, .n_checks = 1}};
    const char *because[1] = {"volume 50000 >= 10000"};
    ReviewTraceItem trace = {"high_volume", "fired", "fine_tune_self_hosted", true, because, 1};
    ReviewFramework fw = {.id = "five", .title = "Five questions", .source = "https://example.com/f",
                          .as_of = "2026-01-01", .verdict = "fine_tune_self_hosted",
                          .verdict_title = "Fine-tune and self-host", .rests_on = "self",
                          .trace = &trace, .n_trace = 1};
    ReviewFlip flip = {"slo_flip", "ms", "With an SLO above 2,619 ms, ft<api> becomes the cheapest feasible option.", 2619};
    ReviewDate date = {"2026-07-24", "m1 prices as of", "https://example.com/prices"};
    Review r;
    memset(&r, 0, sizeof r);
    r.title = "Decision review: triage";
    r.scenario = "triage";
    r.today = "2026-12-02";
    r.horizon_months = 12;
    r.requests_per_day = 50000;
    r.latency_slo_ms = 1500;
    r.options = opts;
    r.n_options = 2;
    r.cheapest = 0;
    r.cheapest_feasible = 1;
    r.frameworks = &fw;
    r.n_frameworks = 1;
    r.flips = &flip;
    r.n_flips = 1;
    r.dates = &date;
    r.n_dates = 1;
    ReportMeta meta = {"9.9.9", NULL};
    char *h = review_render_html(&r, &meta);
    assert_non_null(strstr(h, "<h1>Decision review: triage</h1>"));
    assert_non_null(strstr(h, "Cheapest feasible option over 12 months: <strong>self</strong>"));
    assert_non_null(strstr(h, "The cheapest, ft&lt;api&gt;, is not feasible."));
    assert_non_null(strstr(h, "Fine-tune and self-host"));
    assert_non_null(strstr(h, "p95 2,619 ms &gt; SLO 1,500 ms"));
    assert_non_null(strstr(h, "no: slo"));
    assert_non_null(strstr(h, "<a href=\"https://example.com/prices\">"));
    assert_non_null(strstr(h, "SLO: p95 at most 1500 ms"));
    assert_int_equal(count(h, "<svg "), 2);
    assert_int_equal(count(h, "data-points=\"2\""), 2); /* both charts: 2 bars */
    assert_null(strstr(h, "<script"));
    free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ema),
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_tick_labels),
        cmocka_unit_test(test_svg_line_structure),
        cmocka_unit_test(test_svg_bars),
        cmocka_unit_test(test_components_rag),
        cmocka_unit_test(test_components_finetuned_and_routed),
        cmocka_unit_test(test_cumulative_quantiles),
        cmocka_unit_test(test_components_add_up_in_examples),
        cmocka_unit_test(test_cost_html),
        cmocka_unit_test(test_crc32c_rfc3720),
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_tfevents_framing),
        cmocka_unit_test(test_review_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
