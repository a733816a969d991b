/* cost_report.c - projection renderers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/text.h"
#include "tunepilot/buf.h"
#include "tunepilot/json.h"
#include "tunepilot/report.h"

int report_format_parse(const char *name) {
    if (!strcmp(name, "table"))
        return REPORT_TABLE;
    if (!strcmp(name, "md") || !strcmp(name, "markdown"))
        return REPORT_MARKDOWN;
    if (!strcmp(name, "csv"))
        return REPORT_CSV;
    if (!strcmp(name, "json"))
        return REPORT_JSON;
    if (!strcmp(name, "html"))
        return REPORT_HTML;
    return -1;
}

void report_usd(double v, char *out, size_t size) {
    if (isnan(v)) {
        snprintf(out, size, "n/a");
        return;
    }
    char raw[64], grouped[80];
    double a = fabs(v);
    if (a == 0)
        snprintf(raw, sizeof raw, "%.2f", 0.0);
    else if (a < 0.01)
        snprintf(raw, sizeof raw, "%.6f", v);
    else if (a < 1)
        snprintf(raw, sizeof raw, "%.4f", v);
    else
        snprintf(raw, sizeof raw, "%.2f", v);
    tp_text_group_digits(raw, grouped, sizeof grouped);
    if (grouped[0] == '-')
        snprintf(out, size, "-$%s", grouped + 1);
    else
        snprintf(out, size, "$%s", grouped);
}

static void ms(double v, char *out, size_t size) {
    char raw[64];
    if (!isfinite(v))
        snprintf(out, size, "%s", isnan(v) ? "n/a" : "inf");
    else {
        snprintf(raw, sizeof raw, "%.0f", v);
        tp_text_group_digits(raw, out, size);
    }
}

/* --- JSON ----------------------------------------------------------------------------- */

static void cnum(cJSON *o, const char *key, const CostNum *n) {
    if (n->lo == n->hi) {
        tp_json_add_num(o, key, n->v);
    } else {
        cJSON *a = cJSON_AddArrayToObject(o, key);
        cJSON_AddItemToArray(a, cJSON_CreateNumber(n->lo));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(n->hi));
    }
}

static cJSON *quant(const CostQuantiles *q) {
    cJSON *o = cJSON_CreateObject();
    tp_json_add_num(o, "p10", q->p10);
    tp_json_add_num(o, "p50", q->p50);
    tp_json_add_num(o, "p90", q->p90);
    return o;
}

static cJSON *option_json(const CostScenario *sc, const CostProjection *p, int i) {
    const CostOption *o = &sc->options[i];
    const CostOptionResult *r = &p->options[i];
    int h = p->horizon_months;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", o->id);
    cJSON_AddStringToObject(j, "kind", cost_option_kind_name(o->kind));
    tp_json_add_str(j, "model", o->model);
    tp_json_add_str(j, "gpu", o->gpu);
    tp_json_add_num(j, "input_tokens_per_request", r->input_tokens);
    tp_json_add_num(j, "output_tokens_per_request", r->output_tokens);
    tp_json_add_num(j, "cost_per_request_usd", r->cost_per_request_usd);
    tp_json_add_num(j, "cost_per_1k_requests_usd", r->cost_per_1k_requests_usd);
    tp_json_add_num(j, "variable_cost_per_request_usd", r->variable_cost_per_request_usd);
    tp_json_add_num(j, "daily_cost_usd", r->daily_cost_usd);
    tp_json_add_num(j, "fixed_monthly_usd", r->fixed_monthly_usd);
    tp_json_add_num(j, "retrain_monthly_usd", r->retrain_monthly_usd);
    cJSON *m = cJSON_AddArrayToObject(j, "monthly_cost_usd");
    cJSON *c = cJSON_AddArrayToObject(j, "cumulative_cost_usd");
    for (int k = 0; k < h; k++) {
        cJSON_AddItemToArray(m, cJSON_CreateNumber(r->monthly_cost_usd[k]));
        cJSON_AddItemToArray(c, cJSON_CreateNumber(r->cumulative_cost_usd[k]));
    }
    tp_json_add_num(j, "horizon_total_usd", r->horizon_total_usd);
    tp_json_add_num(j, "one_time_cost_usd", r->one_time_usd);
    cJSON *one = cJSON_AddObjectToObject(j, "one_time");
    tp_json_add_num(one, "training_usd", r->training_usd);
    tp_json_add_num(one, "data_prep_usd", r->data_prep_usd);
    tp_json_add_num(one, "setup_usd", r->setup_usd);
    tp_json_add_num(one, "corpus_embedding_usd", r->corpus_embedding_usd);
    tp_json_add_num(j, "latency_p50_ms", r->latency_p50_ms);
    tp_json_add_num(j, "latency_p95_ms", r->latency_p95_ms);
    if (sc->has_slo)
        cJSON_AddBoolToObject(j, "slo_met", r->slo_met);
    else
        cJSON_AddNullToObject(j, "slo_met");
    bool replicas = o->kind == COST_OPTION_SELF_HOSTED ||
                    (o->kind == COST_OPTION_ROUTED && r->replicas_at_peak > 0);
    if (replicas) {
        cJSON_AddNumberToObject(j, "replicas_at_peak", r->replicas_at_peak);
        cJSON_AddNumberToObject(j, "replicas_at_peak_final_month", r->replicas_at_peak_final);
    } else {
        cJSON_AddNullToObject(j, "replicas_at_peak");
        cJSON_AddNullToObject(j, "replicas_at_peak_final_month");
    }
    if (o->kind == COST_OPTION_SELF_HOSTED)
        tp_json_add_num(j, "utilization_at_peak", r->utilization_at_peak);
    else
        cJSON_AddNullToObject(j, "utilization_at_peak");
    cJSON *be = cJSON_AddObjectToObject(j, "break_even_month");
    for (int b = 0; b < p->n_options; b++) {
        if (b == i)
            continue;
        int v = r->break_even_month[b];
        if (v < 0)
            cJSON_AddNullToObject(be, sc->options[b].id);
        else
            cJSON_AddNumberToObject(be, sc->options[b].id, v);
    }
    if (p->uncertain) {
        cJSON *u = cJSON_AddObjectToObject(j, "uncertainty");
        cJSON_AddItemToObject(u, "cost_per_request_usd", quant(&r->q_cost_per_request_usd));
        cJSON_AddItemToObject(u, "daily_cost_usd", quant(&r->q_daily_cost_usd));
        cJSON_AddItemToObject(u, "one_time_cost_usd", quant(&r->q_one_time_usd));
        cJSON_AddItemToObject(u, "horizon_total_usd", quant(&r->q_horizon_total_usd));
        cJSON_AddItemToObject(u, "latency_p50_ms", quant(&r->q_latency_p50_ms));
        cJSON_AddItemToObject(u, "latency_p95_ms", quant(&r->q_latency_p95_ms));
        if (replicas)
            cJSON_AddItemToObject(u, "replicas_at_peak", quant(&r->q_replicas_at_peak));
        cJSON *mq = cJSON_AddArrayToObject(u, "monthly_cost_usd");
        for (int k = 0; k < h; k++)
            cJSON_AddItemToArray(mq, quant(&r->q_monthly_cost_usd[k]));
        if (sc->has_slo)
            tp_json_add_num(u, "slo_met_share", r->slo_met_share);
    } else {
        cJSON_AddNullToObject(j, "uncertainty");
    }
    cJSON_AddBoolToObject(j, "feasible", r->feasible);
    cJSON *fe = cJSON_AddObjectToObject(j, "feasibility");
    for (int k = 0; k < COST_N_CHECKS; k++) {
        cJSON *e = cJSON_AddObjectToObject(fe, cost_check_name((CostCheckId)k));
        cJSON_AddStringToObject(e, "status", cost_check_status_name(r->checks[k].status));
        cJSON_AddStringToObject(e, "reason", r->checks[k].reason);
    }
    cJSON *wa = cJSON_AddArrayToObject(j, "warnings");
    for (int w = 0; w < r->n_warnings; w++)
        cJSON_AddItemToArray(wa, cJSON_CreateString(r->warnings[w]));
    if (r->retrains_cadence > 0) {
        tp_json_add_num(j, "retrains_counted", r->retrains_counted);
        tp_json_add_num(j, "retrains_at_cadence", r->retrains_cadence);
    }
    cJSON *src = cJSON_AddArrayToObject(j, "sources");
    for (int s = 0; s < o->n_sources; s++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "what", o->sources[s].what);
        tp_json_add_str(e, "source", o->sources[s].source);
        tp_json_add_str(e, "as_of", o->sources[s].as_of);
        cJSON_AddItemToArray(src, e);
    }
    return j;
}

/* The failed checks of an option, "context, slo", or "" when feasible. */
cJSON *report_cost_json(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "tunepilot.cost_projection");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddStringToObject(j, "scenario", sc->name);
    cJSON_AddNumberToObject(j, "horizon_months", p->horizon_months);
    cJSON *ps = cJSON_AddObjectToObject(j, "pricing");
    cJSON_AddNumberToObject(ps, "snapshot", (double)pr->snapshot_id);
    tp_json_add_str(ps, "label", pr->label);
    tp_json_add_str(ps, "as_of", pr->as_of);
    cJSON *w = cJSON_AddObjectToObject(j, "workload");
    cnum(w, "requests_per_day", &sc->requests_per_day);
    cnum(w, "input_tokens", &sc->input_tokens);
    cnum(w, "output_tokens", &sc->output_tokens);
    cnum(w, "cached_input_share", &sc->cached_input_share);
    cnum(w, "growth_per_month", &sc->growth_per_month);
    cnum(w, "peak_factor", &sc->peak_factor);
    if (sc->has_slo)
        cnum(w, "latency_slo_ms", &sc->latency_slo_ms);
    else
        cJSON_AddNullToObject(w, "latency_slo_ms");
    if (p->uncertain) {
        cJSON *mc = cJSON_AddObjectToObject(j, "monte_carlo");
        cJSON_AddNumberToObject(mc, "draws", p->draws);
        cJSON_AddNumberToObject(mc, "seed", (double)p->seed);
        cJSON_AddNumberToObject(mc, "uncertain_inputs", sc->n_ranges);
        cJSON_AddStringToObject(mc, "distribution", "uniform over each [low, high]");
    } else {
        cJSON_AddNullToObject(j, "monte_carlo");
    }
    cJSON *opts = cJSON_AddArrayToObject(j, "options");
    for (int i = 0; i < p->n_options; i++)
        cJSON_AddItemToArray(opts, option_json(sc, p, i));
    /* the cheapest is always the cheapest feasible option: an infeasible one
     * is never called cheapest */
    int best = cost_cheapest(p, true), any = cost_cheapest(p, false);
    tp_json_add_str(j, "cheapest_over_horizon", best >= 0 ? sc->options[best].id : NULL);
    tp_json_add_str(j, "cheapest_feasible", best >= 0 ? sc->options[best].id : NULL);
    tp_json_add_str(j, "cheapest_including_infeasible", any >= 0 ? sc->options[any].id : NULL);
    tp_json_add_str(j, "start_date", sc->start_date[0] ? sc->start_date : NULL);
    return j;
}

/* --- text ------------------------------------------------------------------------------ */

static void header_line(TpBuf *b, const CostScenario *sc, const CostProjection *p,
                        const ReportPricing *pr, bool md) {
    char rpd[64], slo[64] = "no latency SLO";
    snprintf(rpd, sizeof rpd, "%.0f", sc->requests_per_day.v);
    char g[80];
    tp_text_group_digits(rpd, g, sizeof g);
    if (sc->has_slo) {
        char s[32];
        ms(sc->latency_slo_ms.v, s, sizeof s);
        snprintf(slo, sizeof slo, "SLO p95 <= %s ms", s);
    }
    tp_buf_printf(b, "%s%s: %d-month projection\n", md ? "## " : "", sc->name, p->horizon_months);
    if (md)
        tp_buf_puts(b, "\n");
    tp_buf_printf(b,
                  "%s requests/day, %.0f input / %.0f output tokens, growth %.1f%%/month, "
                  "peak x%.1f, %s\n",
                  g, sc->input_tokens.v, sc->output_tokens.v, sc->growth_per_month.v * 100,
                  sc->peak_factor.v, slo);
    tp_buf_printf(b, "pricing: %s (snapshot %lld%s%s)\n", pr->label, pr->snapshot_id,
                  pr->as_of ? ", as of " : "", pr->as_of ? pr->as_of : "");
    if (p->uncertain)
        tp_buf_printf(b, "uncertain inputs: %d ranges, %d Monte Carlo draws, seed %llu\n",
                      sc->n_ranges, p->draws, (unsigned long long)p->seed);
    tp_buf_puts(b, "\n");
}

enum { NCOL = 12 };

/* One table cell: Markdown "| text ", or text padded to width (right-aligned
 * numbers, left-aligned names) with two spaces between columns. */
static void cell(TpBuf *b, bool md, int width, bool right, const char *text) {
    if (md)
        tp_buf_printf(b, "| %s ", text);
    else if (right)
        tp_buf_printf(b, "  %*s", width, text);
    else
        tp_buf_printf(b, "%-*s  ", width, text);
}

static void option_cells(const CostScenario *sc, const CostProjection *p, int i,
                         char cells[NCOL][48]) {
    const CostOptionResult *r = &p->options[i];
    snprintf(cells[0], 48, "%s", sc->options[i].id);
    snprintf(cells[1], 48, "%s", cost_option_kind_name(sc->options[i].kind));
    report_usd(r->cost_per_request_usd, cells[2], 48);
    report_usd(r->cost_per_1k_requests_usd, cells[3], 48);
    report_usd(r->daily_cost_usd, cells[4], 48);
    report_usd(r->one_time_usd, cells[5], 48);
    report_usd(r->horizon_total_usd, cells[6], 48);
    ms(r->latency_p50_ms, cells[7], 48);
    ms(r->latency_p95_ms, cells[8], 48);
    snprintf(cells[9], 48, "%s", !sc->has_slo ? "-" : r->slo_met ? "yes" : "NO");
    if (r->replicas_at_peak > 0)
        snprintf(cells[10], 48, "%d", r->replicas_at_peak);
    else
        snprintf(cells[10], 48, "-");
    char failed[48];
    cost_failed_checks(r, false, ", ", failed, sizeof failed);
    snprintf(cells[11], 48, "%s%s", r->feasible ? "yes" : "NO: ", failed);
}

static void table(TpBuf *b, const CostScenario *sc, const CostProjection *p, bool md) {
    char head[NCOL][48] = {"option", "kind", "$/request", "$/1k req", "$/day", "one-time", "",
                           "p50 ms", "p95 ms", "SLO", "replicas", "feasible"};
    snprintf(head[6], 48, "%d-mo total", p->horizon_months);
    int n = p->n_options;
    char(*cells)[NCOL][48] = malloc(sizeof *cells * (size_t)n);
    int width[NCOL];
    for (int c = 0; c < NCOL; c++)
        width[c] = (int)strlen(head[c]);
    for (int i = 0; i < n; i++) {
        option_cells(sc, p, i, cells[i]);
        for (int c = 0; c < NCOL; c++)
            if ((int)strlen(cells[i][c]) > width[c])
                width[c] = (int)strlen(cells[i][c]);
    }
    for (int row = -1; row < n; row++) {
        char(*rc)[48] = row < 0 ? head : cells[row];
        for (int c = 0; c < NCOL; c++)
            cell(b, md, width[c], c >= 2, rc[c]);
        tp_buf_puts(b, md ? "|\n" : "\n");
        if (md && row < 0) {
            for (int c = 0; c < NCOL; c++)
                tp_buf_puts(b, c < 2 || c == 11 ? "|---" : "|---:");
            tp_buf_puts(b, "|\n");
        }
    }
    free(cells);
    int best = cost_cheapest(p, true), any = cost_cheapest(p, false);
    char total[48];
    if (best >= 0) {
        report_usd(p->options[best].horizon_total_usd, total, sizeof total);
        tp_buf_printf(b, "\ncheapest feasible over %d months: %s (%s)\n", p->horizon_months,
                      sc->options[best].id, total);
    } else {
        tp_buf_printf(b, "\nno option is feasible: none is called cheapest\n");
    }
    if (any >= 0 && any != best) {
        char failed[48];
        cost_failed_checks(&p->options[any], false, ", ", failed, sizeof failed);
        report_usd(p->options[any].horizon_total_usd, total, sizeof total);
        tp_buf_printf(b, "(%s costs less, %s, but is infeasible: %s)\n", sc->options[any].id,
                      total, failed);
    }
}

/* Why each infeasible option fails, and the lifecycle warnings. */
static void feasibility(TpBuf *b, const CostScenario *sc, const CostProjection *p, bool md) {
    bool any = false;
    for (int i = 0; i < p->n_options; i++)
        any |= !p->options[i].feasible || p->options[i].n_warnings > 0;
    if (!any)
        return;
    tp_buf_printf(b, "\n%sfeasibility%s%s%s:\n\n", md ? "### " : "",
                  sc->start_date[0] ? " (dates checked from " : "",
                  sc->start_date[0] ? sc->start_date : "", sc->start_date[0] ? ")" : "");
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        for (int c = 0; c < COST_N_CHECKS; c++)
            if (r->checks[c].status == COST_FAIL)
                tp_buf_printf(b, "%s%s: %s fails: %s\n", md ? "- " : "  ", sc->options[i].id,
                              cost_check_name((CostCheckId)c), r->checks[c].reason);
        for (int w = 0; w < r->n_warnings; w++)
            tp_buf_printf(b, "%s%s: warning: %s\n", md ? "- " : "  ", sc->options[i].id,
                          r->warnings[w]);
    }
}

static void uncertainty(TpBuf *b, const CostScenario *sc, const CostProjection *p, bool md) {
    if (!p->uncertain)
        return;
    tp_buf_printf(b, "\n%sP10 / P50 / P90 over %d draws:\n\n", md ? "### " : "", p->draws);
    if (md)
        tp_buf_puts(b, "| option | horizon total | $/request | p95 ms |\n|---|---:|---:|---:|\n");
    int w = 6;
    for (int i = 0; i < p->n_options; i++)
        if ((int)strlen(sc->options[i].id) > w)
            w = (int)strlen(sc->options[i].id);
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        char t[3][48], c[3][48], l[3][48];
        report_usd(r->q_horizon_total_usd.p10, t[0], 48);
        report_usd(r->q_horizon_total_usd.p50, t[1], 48);
        report_usd(r->q_horizon_total_usd.p90, t[2], 48);
        report_usd(r->q_cost_per_request_usd.p10, c[0], 48);
        report_usd(r->q_cost_per_request_usd.p50, c[1], 48);
        report_usd(r->q_cost_per_request_usd.p90, c[2], 48);
        ms(r->q_latency_p95_ms.p10, l[0], 48);
        ms(r->q_latency_p95_ms.p50, l[1], 48);
        ms(r->q_latency_p95_ms.p90, l[2], 48);
        if (md)
            tp_buf_printf(b, "| %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |\n",
                          sc->options[i].id, t[0], t[1], t[2], c[0], c[1], c[2], l[0], l[1], l[2]);
        else
            tp_buf_printf(b, "  %-*s  total %s / %s / %s   $/req %s / %s / %s   p95 %s / %s / %s ms\n",
                          w, sc->options[i].id, t[0], t[1], t[2], c[0], c[1], c[2], l[0], l[1],
                          l[2]);
    }
}

static void break_even(TpBuf *b, const CostScenario *sc, const CostProjection *p, bool md) {
    int n = p->n_options;
    tp_buf_printf(b, "\n%sbreak-even month (from when the row option stays no dearer than the "
                     "column option; 0 = never dearer, - = not within %d months):\n\n",
                  md ? "### " : "", p->horizon_months);
    int w = 6;
    for (int i = 0; i < n; i++)
        if ((int)strlen(sc->options[i].id) > w)
            w = (int)strlen(sc->options[i].id);
    cell(b, md, w, false, "");
    for (int i = 0; i < n; i++)
        cell(b, md, w, true, sc->options[i].id);
    tp_buf_puts(b, md ? "|\n" : "\n");
    if (md) {
        tp_buf_puts(b, "|---");
        for (int i = 0; i < n; i++)
            tp_buf_puts(b, "|---:");
        tp_buf_puts(b, "|\n");
    }
    for (int a = 0; a < n; a++) {
        cell(b, md, w, false, sc->options[a].id);
        for (int c = 0; c < n; c++) {
            char txt[16] = "";
            int v = p->options[a].break_even_month[c];
            if (a != c)
                snprintf(txt, sizeof txt, v < 0 ? "-" : "%d", v);
            cell(b, md, w, true, txt);
        }
        tp_buf_puts(b, md ? "|\n" : "\n");
    }
}

static void sources(TpBuf *b, const CostScenario *sc, bool md) {
    tp_buf_printf(b, "\n%ssources:\n\n", md ? "### " : "");
    for (int i = 0; i < sc->n_options; i++) {
        const CostOption *o = &sc->options[i];
        for (int s = 0; s < o->n_sources; s++)
            tp_buf_printf(b, "%s%s: %s: %s%s%s%s\n", md ? "- " : "  ", o->id, o->sources[s].what,
                          o->sources[s].source ? o->sources[s].source : "",
                          o->sources[s].as_of ? " (as of " : "",
                          o->sources[s].as_of ? o->sources[s].as_of : "",
                          o->sources[s].as_of ? ")" : "");
    }
}

static void csv_field(TpBuf *b, const char *s) {
    if (strpbrk(s, ",\"\n")) {
        tp_buf_puts(b, "\"");
        for (; *s; s++) {
            if (*s == '"')
                tp_buf_puts(b, "\"");
            tp_buf_append(b, s, 1);
        }
        tp_buf_puts(b, "\"");
    } else {
        tp_buf_puts(b, s);
    }
}

static void csv_num(TpBuf *b, double v) {
    if (isfinite(v))
        tp_buf_printf(b, ",%.10g", v);
    else
        tp_buf_puts(b, ",");
}

static void csv(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    tp_buf_puts(b, "option,kind,cost_per_request_usd,cost_per_1k_requests_usd,daily_cost_usd,"
                   "one_time_cost_usd,horizon_total_usd,latency_p50_ms,latency_p95_ms,slo_met,"
                   "replicas_at_peak,feasible,failed_checks,horizon_total_usd_p10,horizon_total_usd_p50,"
                   "horizon_total_usd_p90,latency_p95_ms_p10,latency_p95_ms_p50,"
                   "latency_p95_ms_p90");
    for (int k = 0; k < p->horizon_months; k++)
        tp_buf_printf(b, ",month_%d_usd", k + 1);
    tp_buf_puts(b, "\n");
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        csv_field(b, sc->options[i].id);
        tp_buf_printf(b, ",%s", cost_option_kind_name(sc->options[i].kind));
        csv_num(b, r->cost_per_request_usd);
        csv_num(b, r->cost_per_1k_requests_usd);
        csv_num(b, r->daily_cost_usd);
        csv_num(b, r->one_time_usd);
        csv_num(b, r->horizon_total_usd);
        csv_num(b, r->latency_p50_ms);
        csv_num(b, r->latency_p95_ms);
        tp_buf_printf(b, ",%s", !sc->has_slo ? "" : r->slo_met ? "true" : "false");
        csv_num(b, r->replicas_at_peak > 0 ? r->replicas_at_peak : NAN);
        char failed[64];
        cost_failed_checks(r, false, ", ", failed, sizeof failed);
        tp_buf_printf(b, ",%s,", r->feasible ? "true" : "false");
        csv_field(b, failed);
        const CostQuantiles *qs[2] = {&r->q_horizon_total_usd, &r->q_latency_p95_ms};
        for (int q = 0; q < 2; q++) {
            csv_num(b, p->uncertain ? qs[q]->p10 : NAN);
            csv_num(b, p->uncertain ? qs[q]->p50 : NAN);
            csv_num(b, p->uncertain ? qs[q]->p90 : NAN);
        }
        for (int k = 0; k < p->horizon_months; k++)
            csv_num(b, r->monthly_cost_usd[k]);
        tp_buf_puts(b, "\n");
    }
}

char *report_cost_render(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr,
                         ReportFormat fmt) {
    if (fmt == REPORT_HTML) {
        ReportMeta meta = {TP_VERSION, NULL};
        return report_cost_html(sc, p, pr, &meta);
    }
    TpBuf b;
    tp_buf_init(&b);
    if (fmt == REPORT_JSON) {
        cJSON *j = report_cost_json(sc, p, pr);
        char *s = cJSON_Print(j);
        cJSON_Delete(j);
        tp_buf_puts(&b, s);
        tp_buf_puts(&b, "\n");
        free(s);
    } else if (fmt == REPORT_CSV) {
        csv(&b, sc, p);
    } else {
        bool md = fmt == REPORT_MARKDOWN;
        header_line(&b, sc, p, pr, md);
        table(&b, sc, p, md);
        feasibility(&b, sc, p, md);
        uncertainty(&b, sc, p, md);
        break_even(&b, sc, p, md);
        sources(&b, sc, md);
    }
    return tp_buf_take(&b);
}
