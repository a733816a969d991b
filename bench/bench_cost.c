/* bench_cost.c - projections per second for a 36-month, 6-option scenario
 * whose inputs are ranges (10,000 Monte Carlo draws), against the same
 * scenario without ranges (the point projection) measured in the same run.
 * A benchmark, not a test: it prints figures and asserts nothing.
 *
 * Then the pathological cases of issue 16 #3: the bundled ticket-triage
 * example with growth_per_month 0.5 over 36 months (replicas grow to about
 * 10^5; the sizing used to loop over Erlang B up to that for every month
 * and draw: 36.6 s), the same with a latency budget of 1 ms (the sizing's
 * search path), and growth 5 (refused with a message by the limit on
 * requests a day). The baseline for each is the example as bundled, in the
 * same run.
 *
 * usage: bench_cost [SECONDS_PER_CASE]   (default 3) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/assets.h"
#include "tunepilot/cost.h"
#include "bench_util.h"

/* The rules of thumb that are ranges (the prefill rate, the monitoring
 * hours) are set in the scenario, so that the point case is one: at their
 * midpoints there, as the rules' ranges in the uncertain case. */
#define PF "\"prefill_ms_per_token\": %s"
#define MH "\"maintenance_hours_per_month\": %s"
static const char SCENARIO[] =
    "{\"name\": \"bench\", \"horizon_months\": 36, \"draws\": 10000, \"workload\": {"
    " \"requests_per_day\": %s, \"input_tokens\": 800, \"output_tokens\": %s,"
    " \"growth_per_month\": %s, \"peak_factor\": 3, \"latency_slo_ms\": 2000},"
    " \"options\": ["
    "  {\"id\": \"frontier\", \"kind\": \"api\", \"model\": \"gpt-4.1\", " PF "},"
    "  {\"id\": \"mini\", \"kind\": \"api\", \"model\": \"gpt-4.1-mini\", " PF "},"
    "  {\"id\": \"rag\", \"kind\": \"rag\", \"model\": \"gpt-4.1-mini\", \"context_tokens\": 2000,"
    "   \"rag_added_latency_ms\": %s, " PF "},"
    "  {\"id\": \"ft-api\", \"kind\": \"api_finetuned\", \"model\": \"gpt-4.1-mini\","
    "   \"train_tokens\": 2000000, \"input_tokens\": 300, \"retrain_every_days\": %s, " PF ", " MH "},"
    "  {\"id\": \"ft-self\", \"kind\": \"self_hosted\", \"gpu\": \"l4\","
    "   \"tokens_per_s_per_gpu\": %s, \"input_tokens\": 300, \"retrain_every_days\": %s, " PF ", " MH "},"
    "  {\"id\": \"routed\", \"kind\": \"routed\", \"routes\": ["
    "   {\"option\": \"ft-self\", \"share\": 0.9}, {\"option\": \"frontier\", \"share\": 0.1}]}]}";

/* Parses and projects repeatedly for about `seconds`; returns ms per
 * projection (parse included, as the TUI re-parses on each keystroke). */
static double measure(const Pricing *p, const char *json, double seconds, int *runs, int *ranges) {
    double start = bench_cpu_s(), elapsed = 0;
    int n = 0;
    while (elapsed < seconds || n < 3) {
        CostScenario sc;
        CostProjection proj;
        TpError err = {0};
        if (cost_scenario_parse(json, strlen(json), "bench", p, &sc, &err) != TP_OK ||
            cost_project(&sc, &proj, &err) != TP_OK) {
            fprintf(stderr, "bench_cost: %s\n", err.msg);
            exit(1);
        }
        *ranges = sc.n_ranges;
        cost_projection_free(&proj);
        cost_scenario_free(&sc);
        n++;
        elapsed = bench_cpu_s() - start;
    }
    *runs = n;
    return elapsed * 1000 / n;
}

/* dst = src with the first `from` replaced by `to`; false when absent. dst
 * holds strlen(src) + 64 bytes. */
static bool replace(char *dst, const char *src, const char *from, const char *to) {
    const char *at = *from ? strstr(src, from) : src;
    if (!at)
        return false;
    size_t head = (size_t)(at - src);
    memcpy(dst, src, head);
    strcpy(dst + head, to);
    strcat(dst, at + strlen(from));
    return true;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    Pricing p;
    TpError err = {0};
    if (pricing_load_bundled(&p, &err) != TP_OK) {
        fprintf(stderr, "bench_cost: %s\n", err.msg);
        return 1;
    }
    char uncertain[4096], point[4096];
    const char *pf = "[0.04, 0.24]", *mh = "[2, 3]";
    snprintf(uncertain, sizeof uncertain, SCENARIO, "[30000, 70000]", "[40, 80]", "[0.0, 0.06]",
             pf, pf, "[800, 2000]", pf, "[14, 28]", pf, mh, "[1200, 1800]", "[14, 28]", pf, mh);
    pf = "0.14", mh = "2.5";
    snprintf(point, sizeof point, SCENARIO, "50000", "60", "0.03", pf, pf, "1400", pf, "21", pf, mh,
             "1500", "21", pf, mh);
    int runs_u, runs_p, ranges_u, ranges_p;
    double ms_p = measure(&p, point, seconds / 3, &runs_p, &ranges_p);
    double ms_u = measure(&p, uncertain, seconds, &runs_u, &ranges_u);
    printf("scenario: 36 months, 6 options (api x2, rag, api_finetuned, self_hosted M/M/c, "
           "routed)\n");
    printf("point projection (%d uncertain inputs, no draws):                       "
           "%.3f ms  (%.0f/s, %d runs)\n",
           ranges_p, ms_p, 1000 / ms_p, runs_p);
    printf("with ranges      (%d uncertain inputs, 10,000 draws):                  "
           "%.3f ms  (%.1f/s, %d runs)\n",
           ranges_u, ms_u, 1000 / ms_u, runs_u);
    printf("target: a full projection with uncertainty well under 50 ms -> %s\n",
           ms_u < 50 ? "met" : "NOT met");

    /* issue 16 #3: ticket-triage, 36 months, growth 0.5 a month */
    size_t tt_len = 0;
    const char *tt = tp_asset_get("assets/scenarios/ticket-triage.json", &tt_len);
    if (!tt) {
        fprintf(stderr, "bench_cost: the bundled ticket-triage example is missing\n");
        return 1;
    }
    char *base = malloc(tt_len + 1), *grow = malloc(tt_len + 64), *tight = malloc(tt_len + 64);
    memcpy(base, tt, tt_len);
    base[tt_len] = 0;
    if (!replace(grow, base, "\"horizon_months\": 12", "\"horizon_months\": 36") ||
        !replace(tight, grow, "\"growth_per_month\": 0.0", "\"growth_per_month\": 0.5") ||
        !replace(grow, tight, "", "")) {
        fprintf(stderr, "bench_cost: the ticket-triage example changed shape\n");
        return 1;
    }
    /* the self-hosted option's service p95 is (204 + 50 x 1000/133) x 1.66
     * = 963.3 ms: an SLO of 964 ms leaves a budget under 1 ms */
    replace(tight, grow, "\"latency_slo_ms\": 1500", "\"latency_slo_ms\": 964");
    int rb, rg, rt, nb, ng, nt;
    double ms_b = measure(&p, base, seconds / 3, &rb, &nb);
    double ms_g = measure(&p, grow, seconds / 3, &rg, &ng);
    double ms_t = measure(&p, tight, seconds / 3, &rt, &nt);
    printf("\nticket-triage example (%d uncertain inputs, 10,000 draws):\n", nb);
    printf("  as bundled (12 months, no growth):          %9.3f ms  (baseline)\n", ms_b);
    printf("  36 months, growth 0.5/month (~10^5 replicas): %7.3f ms  (%.1fx baseline; "
           "was 36.6 s)\n",
           ms_g, ms_g / ms_b);
    printf("  same, SLO 964 ms (budget < 1 ms, search path): %6.3f ms  (%.1fx baseline)\n", ms_t,
           ms_t / ms_b);
    replace(tight, grow, "\"growth_per_month\": 0.5", "\"growth_per_month\": 5");
    CostScenario sc;
    TpError e2 = {0};
    if (cost_scenario_parse(tight, strlen(tight), "growth5", &p, &sc, &e2) == TP_OK) {
        printf("  growth 5/month: accepted (unexpected)\n");
        cost_scenario_free(&sc);
    } else {
        printf("  growth 5/month: refused: %s\n", e2.msg);
    }
    free(base);
    free(grow);
    free(tight);
    pricing_free(&p);
    return 0;
}
