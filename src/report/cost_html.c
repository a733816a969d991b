/* cost_html.c - the cost projection as a self-contained HTML page. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_impl.h"
#include "tunepilot/series.h"
#include "tunepilot/svg.h"

static void draw_line(TpBuf *b, const void *c) { svg_line_chart(b, c); }
static void table_line(TpBuf *b, const void *c) { svg_line_table(b, c); }
static void draw_bar(TpBuf *b, const void *c) { svg_bar_chart(b, c); }
static void table_bar(TpBuf *b, const void *c) { svg_bar_table(b, c); }

static void usd(double v, char *out, size_t n) { report_usd(v, out, n); }

static void ms_text(double v, char *out, size_t n) { svg_value_label(v, SVG_UNIT_MS, out, n); }

static void summary(TpBuf *b, const CostScenario *sc, const CostProjection *p,
                    const SeriesCost *s) {
    int best = s->best, n = p->n_options, cheapest = cost_cheapest(p, false);
    bool feasible = p->options[best].feasible;
    char t[64];
    usd(p->options[best].horizon_total_usd, t, sizeof t);
    tp_buf_puts(b, "<p class=\"lead verdict\">Over ");
    tp_buf_printf(b, "%d months, <strong>", p->horizon_months);
    html_esc(b, sc->options[best].id);
    tp_buf_printf(b, "</strong> (%s) is the %s: <strong>",
                  cost_option_kind_name(sc->options[best].kind),
                  feasible ? "cheapest feasible option" : "cheapest option, though none is feasible");
    html_esc(b, t);
    tp_buf_puts(b, "</strong> in all");
    const CostQuantiles *q = &p->options[best].q_horizon_total_usd;
    if (p->uncertain && q->p10 != q->p90) {
        char lo[64], hi[64], dr[32];
        usd(q->p10, lo, sizeof lo);
        usd(q->p90, hi, sizeof hi);
        svg_value_label(p->draws, SVG_UNIT_MS, dr, sizeof dr);
        tp_buf_printf(b, " (P10-P90 %s to %s over %s draws)", lo, hi, dr);
    }
    tp_buf_puts(b, ".");
    if (cheapest >= 0 && cheapest != best) {
        char t2[64], why[128];
        usd(p->options[cheapest].horizon_total_usd, t2, sizeof t2);
        cost_failed_checks(&p->options[cheapest], false, ", ", why, sizeof why);
        tp_buf_puts(b, " <strong>");
        html_esc(b, sc->options[cheapest].id);
        tp_buf_puts(b, "</strong> would cost less (");
        html_esc(b, t2);
        tp_buf_puts(b, ") but fails ");
        html_esc(b, why);
        tp_buf_puts(b, ".");
    }
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += !p->options[i].feasible;
    if (bad) {
        tp_buf_printf(b, " Not feasible: ");
        for (int i = 0, k = 0; i < n; i++) {
            if (p->options[i].feasible)
                continue;
            char why[128];
            cost_failed_checks(&p->options[i], false, ", ", why, sizeof why);
            tp_buf_puts(b, k++ ? "; " : "");
            html_esc(b, sc->options[i].id);
            tp_buf_puts(b, " (");
            html_esc(b, why);
            tp_buf_puts(b, ")");
        }
        tp_buf_puts(b, " - see Feasibility.");
    } else {
        tp_buf_puts(b, " Every option passes the feasibility checks.");
    }
    tp_buf_puts(b, "</p>\n");
    /* when the cheapest overtakes the others, grouped by month */
    int said = 0;
    for (int month = 1; month <= p->horizon_months; month++) {
        int k = 0, cnt = 0;
        for (int j = 0; j < s->n_marks; j++)
            cnt += s->marks[j].a == best && (int)s->marks[j].x == month;
        if (!cnt)
            continue;
        if (!said++) {
            tp_buf_puts(b, "<p>Break-even: ");
            html_esc(b, sc->options[best].id);
            tp_buf_puts(b, " is no dearer than ");
        } else {
            tp_buf_puts(b, "; than ");
        }
        for (int j = 0; j < s->n_marks; j++) {
            if (s->marks[j].a != best || (int)s->marks[j].x != month)
                continue;
            tp_buf_puts(b, k == 0 ? "" : k == cnt - 1 ? " and " : ", ");
            html_esc(b, sc->options[s->marks[j].b].id);
            k++;
        }
        tp_buf_printf(b, " from month %d on", month);
    }
    if (said)
        tp_buf_puts(b, " (the circles on the first chart).</p>\n");
}

static void meta_list(TpBuf *b, const CostScenario *sc, const CostProjection *p,
                      const ReportPricing *pr, const ReportMeta *meta) {
    char rpd[64];
    svg_value_label(sc->requests_per_day.v, SVG_UNIT_MS, rpd, sizeof rpd);
    tp_buf_puts(b, "<dl class=\"meta\">\n");
    html_dd(b, "Scenario", "%s", sc->name);
    html_dd(b, "Horizon", "%d months (a month is 365/12 days)", p->horizon_months);
    html_dd(b, "Workload",
            "%s requests/day, %.0f input and %.0f output tokens a request, growth %.1f%% a "
            "month, peak x%.1f",
            rpd, sc->input_tokens.v, sc->output_tokens.v, sc->growth_per_month.v * 100,
            sc->peak_factor.v);
    if (sc->has_slo) {
        char slo[32];
        ms_text(sc->latency_slo_ms.v, slo, sizeof slo);
        html_dd(b, "Latency SLO", "p95 at most %s ms", slo);
    } else {
        html_dd(b, "Latency SLO", "none set");
    }
    html_dd(b, "Prices", "%s, snapshot %lld%s%s%s", pr->label ? pr->label : "bundled tables",
            pr->snapshot_id, pr->snapshot_id == 0 ? " (bundled)" : "",
            pr->as_of ? ", as of " : "", pr->as_of ? pr->as_of : "");
    if (p->uncertain) {
        char dr[32];
        svg_value_label(p->draws, SVG_UNIT_MS, dr, sizeof dr);
        html_dd(b, "Uncertainty",
                "%d inputs are ranges; %s Monte Carlo draws, seed %llu, each range drawn "
                "uniformly; P10/P50/P90 reported",
                sc->n_ranges, dr, (unsigned long long)p->seed);
    } else {
        html_dd(b, "Uncertainty", "no ranges: point figures (seed %llu unused)",
                (unsigned long long)p->seed);
    }
    html_dd(b, "Made by", "tunepilot %s%s%s", meta && meta->version ? meta->version : "",
            meta && meta->generated_at ? " on " : "",
            meta && meta->generated_at ? meta->generated_at : "");
    tp_buf_puts(b, "</dl>\n");
}

static void options_table(TpBuf *b, const CostScenario *sc, const CostProjection *p, int best) {
    html_table_begin(b, NULL, "Each option in month 1 and over the horizon");
    char tot[48];
    snprintf(tot, sizeof tot, "%d-month total", p->horizon_months);
    const char *head[] = {"option", "kind", "$ per request", "$ per 1k requests", "$ per day",
                          "one-time", tot, "p50 ms", "p95 ms", "feasible", "replicas at peak"};
    html_th_cols(b, head, 11, 2);
    html_table_body(b);
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        char v[8][48];
        usd(r->cost_per_request_usd, v[0], 48);
        usd(r->cost_per_1k_requests_usd, v[1], 48);
        usd(r->daily_cost_usd, v[2], 48);
        usd(r->one_time_usd, v[3], 48);
        usd(r->horizon_total_usd, v[4], 48);
        ms_text(r->latency_p50_ms, v[5], 48);
        ms_text(r->latency_p95_ms, v[6], 48);
        if (r->replicas_at_peak > 0)
            snprintf(v[7], 48, "%d", r->replicas_at_peak);
        else
            snprintf(v[7], 48, "-");
        tp_buf_puts(b, "<tr>");
        char id[160];
        snprintf(id, sizeof id, "%s", sc->options[i].id);
        html_th(b, "row", NULL, id);
        html_td(b, "l", cost_option_kind_name(sc->options[i].kind));
        for (int k = 0; k < 7; k++)
            html_td(b, NULL, v[k]);
        char why[128], cellv[160];
        cost_failed_checks(r, false, ", ", why, sizeof why);
        if (r->feasible)
            snprintf(cellv, sizeof cellv, i == best ? "yes, cheapest" : "yes");
        else
            snprintf(cellv, sizeof cellv, "no: %s%s", why, i == best ? " (cheapest)" : "");
        html_td(b, r->feasible ? NULL : "bad", cellv);
        html_td(b, NULL, v[7]);
        tp_buf_puts(b, "</tr>\n");
    }
    html_table_end(b);
}

static void cumulative_chart(TpBuf *b, const CostScenario *sc, const CostProjection *p,
                             const SeriesCost *s) {
    int n = p->n_options;
    SvgLine *lines = calloc((size_t)n, sizeof *lines);
    for (int i = 0; i < n; i++)
        lines[i] = (SvgLine){sc->options[i].id, s->x, s->cum[i], s->n_points,
                             s->cum_p10 ? s->cum_p10[i] : NULL, s->cum_p90 ? s->cum_p90[i] : NULL,
                             i, false, false};
    SvgMark *marks = calloc((size_t)s->n_marks + 1, sizeof *marks);
    char (*labels)[32] = calloc((size_t)s->n_marks + 1, sizeof *labels);
    int nm = 0;
    for (int j = 0; j < s->n_marks; j++) {
        if (s->marks[j].a != s->best)
            continue;
        snprintf(labels[nm], sizeof labels[nm], "m%.0f", s->marks[j].x);
        marks[nm] = (SvgMark){s->marks[j].x, s->marks[j].y, labels[nm]};
        nm++;
    }
    char desc[512];
    snprintf(desc, sizeof desc,
             "Line chart of the cumulative cost in US dollars of %d options from month 0 (the "
             "one-time costs) to month %d.%s%s The table after the chart holds every value.",
             n, p->horizon_months,
             nm ? " Circles mark the months from which the cheapest feasible option stays no dearer "
                  "than another."
                : "",
             p->uncertain ? " Shaded bands span P10 to P90 over the Monte Carlo draws." : "");
    SvgLineChart c = {.id = "cumulative",
                      .title = "Cumulative cost by month",
                      .desc = desc,
                      .x_label = "month (0 = one-time costs)",
                      .y_label = "cumulative cost (USD)",
                      .x_unit = SVG_UNIT_INT,
                      .y_unit = SVG_UNIT_USD,
                      .lines = lines,
                      .n_lines = n,
                      .hline = NAN,
                      .marks = marks,
                      .n_marks = nm,
                      .marks_label = "break-even of the cheapest feasible option (month)",
                      .y_zero = true};
    html_figure(b,
                "Cumulative cost: one-time costs at month 0, then every month's bill added. "
                "Lower is cheaper; where two lines cross, the one below is cheaper from then on.",
                &c, draw_line, table_line);
    free(labels);
    free(marks);
    free(lines);
}

static void component_chart(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    int n = p->n_options, h = p->horizon_months, ncat = h > 1 ? 2 * n : n;
    const char **cats = calloc((size_t)ncat, sizeof *cats);
    char (*names)[96] = calloc((size_t)ncat, sizeof *names);
    double *v = calloc((size_t)ncat * COST_N_COMPONENTS, sizeof *v);
    const char *segs[COST_N_COMPONENTS];
    for (int c = 0; c < COST_N_COMPONENTS; c++)
        segs[c] = cost_component_name((CostComponent)c);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int months[2] = {0, h - 1};
        for (int j = 0; j < (h > 1 ? 2 : 1); j++, k++) {
            snprintf(names[k], sizeof names[k], "%s, month %d", sc->options[i].id, months[j] + 1);
            cats[k] = names[k];
            for (int c = 0; c < COST_N_COMPONENTS; c++)
                v[k * COST_N_COMPONENTS + c] =
                    p->options[i].component_monthly_usd[months[j] * COST_N_COMPONENTS + c];
        }
    }
    char desc[512];
    snprintf(desc, sizeof desc,
             "Horizontal stacked bars: the monthly bill of each option in its first and last "
             "month, split into %s, %s, %s, %s and %s, in US dollars. The table after the chart "
             "holds every value.",
             segs[0], segs[1], segs[2], segs[3], segs[4]);
    SvgBarChart c = {.id = "components",
                     .title = "What a month costs, by component",
                     .desc = desc,
                     .value_label = "cost per month (USD)",
                     .unit = SVG_UNIT_USD,
                     .cats = cats,
                     .n_cats = ncat,
                     .segs = segs,
                     .n_segs = COST_N_COMPONENTS,
                     .values = v,
                     .ref = NAN};
    html_figure(b,
                "Monthly bill by component in the first and the last month (traffic grows in "
                "between). Tokens: model input and output; retrieval: query embeddings and the "
                "vector store; GPU: serving hardware; training: retraining on its cadence; "
                "people: maintenance hours.",
                &c, draw_bar, table_bar);
    /* one-time costs, not in any month */
    html_table_begin(b, NULL, "One-time costs by component (month 0 of the first chart)");
    html_th(b, "col", "l", "option");
    for (int q = 0; q < COST_N_COMPONENTS; q++)
        html_th(b, "col", NULL, segs[q]);
    html_th(b, "col", NULL, "total");
    html_table_body(b);
    for (int i = 0; i < n; i++) {
        char s[48];
        tp_buf_puts(b, "<tr>");
        html_th(b, "row", NULL, sc->options[i].id);
        for (int q = 0; q < COST_N_COMPONENTS; q++) {
            usd(p->options[i].component_one_time_usd[q], s, sizeof s);
            html_td(b, NULL, s);
        }
        usd(p->options[i].one_time_usd, s, sizeof s);
        html_td(b, NULL, s);
        tp_buf_puts(b, "</tr>\n");
    }
    html_table_end(b);
    free(v);
    free(names);
    free(cats);
}

static void latency_chart(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    int n = p->n_options;
    const char **cats = calloc((size_t)n, sizeof *cats);
    double *v = calloc((size_t)n, sizeof *v), *lo = NULL, *hi = NULL;
    int *style = calloc((size_t)n, sizeof *style);
    if (p->uncertain) {
        lo = calloc((size_t)n, sizeof *lo);
        hi = calloc((size_t)n, sizeof *hi);
    }
    for (int i = 0; i < n; i++) {
        cats[i] = sc->options[i].id;
        v[i] = p->options[i].latency_p95_ms;
        style[i] = i;
        if (lo) {
            lo[i] = p->options[i].q_latency_p95_ms.p10;
            hi[i] = p->options[i].q_latency_p95_ms.p90;
        }
    }
    char slo[64] = "", ref[80] = "";
    if (sc->has_slo) {
        ms_text(sc->latency_slo_ms.v, slo, sizeof slo);
        snprintf(ref, sizeof ref, "SLO: p95 at most %s ms", slo);
    }
    char desc[512];
    snprintf(desc, sizeof desc,
             "Horizontal bars: the p95 end-to-end latency of each option in milliseconds in "
             "month 1%s%s%s. The table after the chart holds every value.",
             sc->has_slo ? ", with a dashed line at the SLO of " : "", slo, sc->has_slo ? " ms" : "");
    SvgBarChart c = {.id = "latency",
                     .title = "p95 latency by option",
                     .desc = desc,
                     .value_label = "p95 latency (ms)",
                     .unit = SVG_UNIT_MS,
                     .cats = cats,
                     .n_cats = n,
                     .n_segs = 1,
                     .values = v,
                     .lo = lo,
                     .hi = hi,
                     .ref = sc->has_slo ? sc->latency_slo_ms.v : NAN,
                     .ref_label = sc->has_slo ? ref : NULL,
                     .cat_style = style};
    html_figure(b,
                "p95 latency at month 1's peak traffic (self-hosted options include the queueing "
                "wait of an M/M/c queue). Bars past the dashed line miss the SLO.",
                &c, draw_bar, table_bar);
    free(cats);
    free(v);
    free(lo);
    free(hi);
    free(style);
}

static void uncertainty_table(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    tp_buf_printf(b, "<h2 id=\"uncertainty\">Uncertainty</h2>\n<p>%d inputs are ranges. Each "
                     "Monte Carlo draw picks every range uniformly (seed %llu, %d draws); the "
                     "table gives the 10th, 50th and 90th percentiles.</p>\n",
                  sc->n_ranges, (unsigned long long)p->seed, p->draws);
    html_table_begin(b, NULL, "P10 / P50 / P90 over the draws");
    const char *head[] = {"option", "total P10", "total P50", "total P90", "$/request P50",
                          "p95 ms P10", "p95 ms P50", "p95 ms P90", "share meeting SLO"};
    html_th_cols(b, head, 9, 1);
    html_table_body(b);
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        char s[8][48];
        usd(r->q_horizon_total_usd.p10, s[0], 48);
        usd(r->q_horizon_total_usd.p50, s[1], 48);
        usd(r->q_horizon_total_usd.p90, s[2], 48);
        usd(r->q_cost_per_request_usd.p50, s[3], 48);
        ms_text(r->q_latency_p95_ms.p10, s[4], 48);
        ms_text(r->q_latency_p95_ms.p50, s[5], 48);
        ms_text(r->q_latency_p95_ms.p90, s[6], 48);
        if (sc->has_slo)
            snprintf(s[7], 48, "%.0f%%", 100 * r->slo_met_share);
        else
            snprintf(s[7], 48, "-");
        tp_buf_puts(b, "<tr>");
        html_th(b, "row", NULL, sc->options[i].id);
        for (int k = 0; k < 8; k++)
            html_td(b, NULL, s[k]);
        tp_buf_puts(b, "</tr>\n");
    }
    html_table_end(b);
}

static void feasibility_table(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    tp_buf_puts(b, "<h2 id=\"feasibility\">Feasibility</h2>\n<p>Checked before price: an option "
                   "that fails a check is never called the cheapest. A check without the data "
                   "it needs is unknown and does not rule an option out.</p>\n");
    html_table_begin(b, "src", "Each option's checks");
    html_th_cols(b, (const char *const[]){"option", "check", "result", "why"}, 4, 0);
    html_table_body(b);
    for (int i = 0; i < p->n_options; i++) {
        const CostOptionResult *r = &p->options[i];
        for (int c = 0; c < COST_N_CHECKS; c++) {
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, sc->options[i].id);
            html_td(b, NULL, cost_check_name((CostCheckId)c));
            html_td(b, r->checks[c].status == COST_FAIL ? "bad" : NULL,
               cost_check_status_name(r->checks[c].status));
            html_td(b, NULL, r->checks[c].reason);
            tp_buf_puts(b, "</tr>\n");
        }
        for (int w = 0; w < r->n_warnings; w++) {
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, sc->options[i].id);
            html_td(b, NULL, "note");
            html_td(b, NULL, "warning");
            html_td(b, NULL, r->warnings[w]);
            tp_buf_puts(b, "</tr>\n");
        }
    }
    html_table_end(b);
}

static void break_even_table(TpBuf *b, const CostScenario *sc, const CostProjection *p) {
    tp_buf_printf(b, "<h2 id=\"break-even\">Break-even months</h2>\n<p>The month from which the "
                     "row's option stays no dearer than the column's: 0 means never dearer, "
                     "a dash means still dearer after %d months.</p>\n",
                  p->horizon_months);
    html_table_begin(b, NULL, "Break-even month, row against column");
    html_th(b, "col", "l", "option");
    for (int i = 0; i < p->n_options; i++)
        html_th(b, "col", NULL, sc->options[i].id);
    html_table_body(b);
    for (int a = 0; a < p->n_options; a++) {
        tp_buf_puts(b, "<tr>");
        html_th(b, "row", NULL, sc->options[a].id);
        for (int c = 0; c < p->n_options; c++) {
            char s[16] = "";
            int v = p->options[a].break_even_month[c];
            if (a != c)
                snprintf(s, sizeof s, v < 0 ? "-" : "%d", v);
            html_td(b, NULL, s);
        }
        tp_buf_puts(b, "</tr>\n");
    }
    html_table_end(b);
}

static bool same(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Every figure's source, once, with the options that use it. */
static void sources_table(TpBuf *b, const CostScenario *sc, const ReportPricing *pr,
                          const ReportMeta *meta) {
    tp_buf_puts(b, "<h2 id=\"sources\">Sources</h2>\n<p>Where each price and rule of thumb "
                   "comes from, with the date it was read. Figures typed into the scenario say "
                   "so.</p>\n");
    html_table_begin(b, "src", "Prices and rules used");
    html_th_cols(b, (const char *const[]){"figure", "used by", "source", "as of"}, 4, 0);
    html_table_body(b);
    for (int i = 0; i < sc->n_options; i++)
        for (int s = 0; s < sc->options[i].n_sources; s++) {
            const CostSource *src = &sc->options[i].sources[s];
            bool seen = false;
            for (int j = 0; j <= i && !seen; j++)
                for (int t = 0; t < (j < i ? sc->options[j].n_sources : s) && !seen; t++) {
                    const CostSource *o = &sc->options[j].sources[t];
                    seen = same(o->what, src->what) && same(o->source, src->source) &&
                           same(o->as_of, src->as_of);
                }
            if (seen)
                continue;
            tp_buf_puts(b, "<tr><td>");
            html_esc(b, src->what);
            tp_buf_puts(b, "</td><td>");
            for (int j = i, k = 0; j < sc->n_options; j++)
                for (int t = 0; t < sc->options[j].n_sources; t++) {
                    const CostSource *o = &sc->options[j].sources[t];
                    if (same(o->what, src->what) && same(o->source, src->source) &&
                        same(o->as_of, src->as_of)) {
                        tp_buf_puts(b, k++ ? ", " : "");
                        html_esc(b, sc->options[j].id);
                        break;
                    }
                }
            tp_buf_puts(b, "</td><td>");
            html_link(b, src->source);
            tp_buf_puts(b, "</td><td>");
            html_esc(b, src->as_of ? src->as_of : "-");
            tp_buf_puts(b, "</td></tr>\n");
        }
    html_table_end(b);
    char caption[160];
    snprintf(caption, sizeof caption, "The model's rules (tunepilot %s, README: Cost model)",
             meta && meta->version ? meta->version : "");
    tp_buf_puts(b, "<h3>How the projection is computed</h3>\n");
    html_table_begin(b, "src", caption);
    html_th_cols(b, (const char *const[]){"rule", "value"}, 2, 0);
    html_table_body(b);
    static const char *const RULES[][2] = {
        {"month", "365/12 days; traffic in month k is requests/day x (1 + growth)^k x 365/12"},
        {"GPU month", "730 hours"},
        {"self-hosted replicas", "the fewest that keep an M/M/c queue at peak traffic stable "
                                 "and its p95 (service p95 + queueing wait p95) within the SLO"},
        {"p95 latency", "service time (time to first token + output tokens / decode speed) x "
                        "the p95/p50 ratio, plus added retrieval latency for RAG"},
        {"routed options", "traffic shares over other options; latency is the quantile of "
                           "the mixture of their lognormal latencies"},
        {"ranges", "midpoint for the point figures; uniform draws for P10/P50/P90"},
        {"break-even", "first month from which one option's cumulative cost stays at or "
                       "below another's to the horizon"},
    };
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        tp_buf_puts(b, "<tr><td>");
        html_esc(b, RULES[i][0]);
        tp_buf_puts(b, "</td><td>");
        html_esc(b, RULES[i][1]);
        tp_buf_puts(b, "</td></tr>\n");
    }
    tp_buf_printf(b, "<tr><td>prices</td><td>");
    html_esc(b, pr->label ? pr->label : "bundled tables");
    tp_buf_printf(b, " (snapshot %lld%s", pr->snapshot_id, pr->as_of ? ", as of " : "");
    html_esc(b, pr->as_of ? pr->as_of : "");
    tp_buf_puts(b, ")</td></tr>\n");
    html_table_end(b);
}

char *report_cost_html(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr,
                       const ReportMeta *meta) {
    TpBuf b;
    tp_buf_init(&b);
    SeriesCost s;
    series_cost_build(p, &s);
    char title[512];
    snprintf(title, sizeof title, "Cost projection: %s", sc->name);
    html_begin(&b, title);
    tp_buf_puts(&b, "<header>\n");
    html_el(&b, "h1", title);
    summary(&b, sc, p, &s);
    meta_list(&b, sc, p, pr, meta);
    tp_buf_puts(&b, "</header>\n<h2 id=\"options\">Options</h2>\n");
    options_table(&b, sc, p, s.best);
    tp_buf_puts(&b, "<h2 id=\"cumulative-cost\">Cumulative cost</h2>\n");
    cumulative_chart(&b, sc, p, &s);
    tp_buf_puts(&b, "<h2 id=\"monthly-cost\">What a month costs</h2>\n");
    component_chart(&b, sc, p);
    tp_buf_puts(&b, "<h2 id=\"latency-slo\">Latency against the SLO</h2>\n");
    latency_chart(&b, sc, p);
    if (p->uncertain)
        uncertainty_table(&b, sc, p);
    feasibility_table(&b, sc, p);
    break_even_table(&b, sc, p);
    sources_table(&b, sc, pr, meta);
    html_end(&b, meta);
    series_cost_free(&s);
    return tp_buf_take(&b);
}
