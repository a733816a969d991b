/* review_html.c - the decision review (tunepilot/review.h) as one
 * self-contained HTML page: the verdicts, the options with their
 * feasibility, two charts (total cost, p95 latency against the SLO), pilot
 * evidence, what would change the verdict, the dates that matter and the
 * sources. Reads the typed review only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_impl.h"
#include "tunepilot/svg.h"

static void draw_bar(TpBuf *b, const void *c) {
    svg_bar_chart(b, c);
}

static const char *status_text(ReviewStatus s) {
    return s == REVIEW_PASS ? "pass" : s == REVIEW_FAIL ? "fail" : "unknown";
}
static void table_bar(TpBuf *b, const void *c) {
    svg_bar_table(b, c);
}

static void verdicts(TpBuf *b, const Review *r) {
    tp_buf_puts(b, "<h2 id=\"verdicts\">Verdicts</h2>\n");
    for (int i = 0; i < r->n_frameworks; i++) {
        const ReviewFramework *f = &r->frameworks[i];
        tp_buf_puts(b, "<h3>");
        html_esc(b, f->title ? f->title : f->id);
        tp_buf_puts(b, "</h3>\n<p class=\"verdict\"><strong>");
        html_esc(b, f->verdict_title ? f->verdict_title : f->verdict);
        tp_buf_puts(b, "</strong>");
        if (f->explanation) {
            tp_buf_puts(b, ": ");
            html_esc(b, f->explanation);
        }
        if (f->changed && f->framework_verdict) {
            tp_buf_puts(b, " (The framework's own verdict, ");
            html_esc(b, f->framework_verdict);
            tp_buf_puts(b, ", has no feasible option to rest on.)");
        }
        if (f->rests_on) {
            tp_buf_puts(b, " It rests on the feasible option <strong>");
            html_esc(b, f->rests_on);
            tp_buf_puts(b, "</strong>.");
        } else if (f->rests_on_note) {
            tp_buf_puts(b, " ");
            html_esc(b, f->rests_on_note);
        }
        if (f->method) {
            tp_buf_puts(b, " Method: ");
            html_esc(b, f->method);
            tp_buf_puts(b, ".");
        }
        if (f->next_step) {
            tp_buf_puts(b, " Next: ");
            html_esc(b, f->next_step);
        }
        tp_buf_puts(b, "</p>\n");
        if (f->n_missing) {
            tp_buf_puts(b, "<p>Unanswered: ");
            for (int k = 0; k < f->n_missing; k++) {
                tp_buf_puts(b, k ? ", " : "");
                html_esc(b, f->missing[k]);
            }
            tp_buf_puts(b, ".</p>\n");
        }
        if (f->n_trace) {
            tp_buf_puts(b, "<details><summary>How the verdict was reached</summary>\n");
            html_table_begin(b, "src", "The rules in order");
            html_th_cols(b, (const char *const[]){"rule", "fired", "verdict", "because"}, 4, 0);
            html_table_body(b);
            for (int k = 0; k < f->n_trace; k++) {
                const ReviewTraceItem *t = &f->trace[k];
                tp_buf_puts(b, "<tr>");
                html_th(b, "row", NULL, t->rule);
                html_td(b, NULL, t->fired);
                html_td(b, t->decided ? "bad" : NULL, t->verdict ? t->verdict : "-");
                tp_buf_puts(b, "<td>");
                for (int c = 0; c < t->n_because; c++) {
                    tp_buf_puts(b, c ? "; " : "");
                    html_esc(b, t->because[c]);
                }
                tp_buf_puts(b, "</td></tr>\n");
            }
            html_table_end(b);
            tp_buf_puts(b, "</details>\n");
        }
        if (f->source) {
            tp_buf_puts(b, "<p>Framework source: ");
            html_link(b, f->source);
            if (f->as_of) {
                tp_buf_puts(b, " (as of ");
                html_esc(b, f->as_of);
                tp_buf_puts(b, ")");
            }
            tp_buf_puts(b, "</p>\n");
        }
    }
}

static void options_table(TpBuf *b, const Review *r) {
    tp_buf_puts(b, "<h2 id=\"options\">Options</h2>\n");
    html_table_begin(b, NULL, "Cost, latency and feasibility");
    char tot[48];
    snprintf(tot, sizeof tot, "%d-month total", r->horizon_months);
    const char *head[] = {"option", "kind", "model", "first month", "one-time", tot,
                          "$ per 1k requests", "p95 ms", "feasible"};
    html_th_cols(b, head, 9, 3);
    html_table_body(b);
    for (int i = 0; i < r->n_options; i++) {
        const ReviewOption *o = &r->options[i];
        char v[5][48], id[160], feas[200] = "yes";
        report_usd(o->first_month_usd, v[0], 48);
        report_usd(o->one_time_usd, v[1], 48);
        report_usd(o->horizon_total_usd, v[2], 48);
        report_usd(o->cost_per_1k_requests_usd, v[3], 48);
        svg_value_label(o->latency_p95_ms, SVG_UNIT_MS, v[4], 48);
        if (!o->feasible) {
            size_t used = (size_t)snprintf(feas, sizeof feas, "no:");
            for (int c = 0; c < o->n_checks; c++)
                if (o->checks[c].status == REVIEW_FAIL && used < sizeof feas)
                    used +=
                        (size_t)snprintf(feas + used, sizeof feas - used, " %s", o->checks[c].rule);
        }
        snprintf(id, sizeof id, "%s%s", o->id,
                 i == r->cheapest_feasible ? " (cheapest feasible)"
                 : i == r->cheapest        ? " (cheapest)"
                                           : "");
        tp_buf_puts(b, "<tr>");
        html_th(b, "row", NULL, id);
        html_td(b, "l", o->kind);
        html_td(b, "l", o->model ? o->model : "-");
        for (int k = 0; k < 3; k++)
            html_td(b, NULL, v[k]);
        html_td(b, NULL, v[3]);
        html_td(b, NULL, v[4]);
        html_td(b, o->feasible ? NULL : "bad", feas);
        tp_buf_puts(b, "</tr>\n");
    }
    html_table_end(b);
}

static void charts(TpBuf *b, const Review *r) {
    int n = r->n_options;
    if (n <= 0)
        return;
    const char **cats = calloc((size_t)n, sizeof *cats);
    double *tot = calloc((size_t)n, sizeof *tot), *p95 = calloc((size_t)n, sizeof *p95);
    int *style = calloc((size_t)n, sizeof *style);
    for (int i = 0; i < n; i++) {
        cats[i] = r->options[i].id;
        tot[i] = r->options[i].horizon_total_usd;
        p95[i] = r->options[i].latency_p95_ms;
        style[i] = i;
    }
    char desc[512], cap[256];
    snprintf(desc, sizeof desc,
             "Horizontal bars: the total cost in US dollars of each of %d options over %d "
             "months. The table after the chart holds every value.",
             n, r->horizon_months);
    snprintf(cap, sizeof cap, "One-time costs plus every month's bill over %d months.",
             r->horizon_months);
    SvgBarChart c = {.id = "review-total",
                     .title = "Total cost over the horizon",
                     .desc = desc,
                     .value_label = "total cost (USD)",
                     .unit = SVG_UNIT_USD,
                     .cats = cats,
                     .n_cats = n,
                     .n_segs = 1,
                     .values = tot,
                     .ref = NAN,
                     .cat_style = style};
    tp_buf_puts(b, "<h2 id=\"charts\">At a glance</h2>\n");
    html_figure(b, cap, &c, draw_bar, table_bar);
    char ref[80] = "";
    if (isfinite(r->latency_slo_ms))
        snprintf(ref, sizeof ref, "SLO: p95 at most %.0f ms", r->latency_slo_ms);
    snprintf(desc, sizeof desc,
             "Horizontal bars: the p95 latency in milliseconds of each option%s. The table "
             "after the chart holds every value.",
             isfinite(r->latency_slo_ms) ? ", with a dashed line at the SLO" : "");
    SvgBarChart l = {.id = "review-latency",
                     .title = "p95 latency by option",
                     .desc = desc,
                     .value_label = "p95 latency (ms)",
                     .unit = SVG_UNIT_MS,
                     .cats = cats,
                     .n_cats = n,
                     .n_segs = 1,
                     .values = p95,
                     .ref = isfinite(r->latency_slo_ms) ? r->latency_slo_ms : NAN,
                     .ref_label = isfinite(r->latency_slo_ms) ? ref : NULL,
                     .cat_style = style};
    html_figure(b, "Bars past the dashed line miss the latency SLO.", &l, draw_bar, table_bar);
    free(cats);
    free(tot);
    free(p95);
    free(style);
}

static void feasibility(TpBuf *b, const Review *r) {
    tp_buf_puts(b, "<h2 id=\"feasibility\">Feasibility</h2>\n");
    html_table_begin(b, "src", "Each option's checks and notes");
    html_th_cols(b, (const char *const[]){"option", "check", "result", "why"}, 4, 0);
    html_table_body(b);
    for (int i = 0; i < r->n_options; i++) {
        const ReviewOption *o = &r->options[i];
        for (int c = 0; c < o->n_checks; c++) {
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, o->id);
            html_td(b, NULL, o->checks[c].rule);
            html_td(b, o->checks[c].status == REVIEW_FAIL ? "bad" : NULL,
               status_text(o->checks[c].status));
            html_td(b, NULL, o->checks[c].reason);
            tp_buf_puts(b, "</tr>\n");
        }
        for (int w = 0; w < o->n_warnings; w++) {
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, o->id);
            html_td(b, NULL, "note");
            html_td(b, NULL, "warning");
            html_td(b, NULL, o->warnings[w]);
            tp_buf_puts(b, "</tr>\n");
        }
    }
    html_table_end(b);
}

static void evals_table(TpBuf *b, const Review *r) {
    if (!r->n_evals)
        return;
    tp_buf_puts(b, "<h2 id=\"evaluations\">Prompted frontier models against the pilot</h2>\n");
    if (isfinite(r->eval_target))
        tp_buf_printf(b, "<p>Question 2 was judged against a target score of %.3f.</p>\n",
                      r->eval_target);
    if (r->eval_question2_text) {
        tp_buf_puts(b, "<p>Question 2: ");
        html_esc(b, r->eval_question2_text);
        tp_buf_puts(b, ".</p>\n");
    }
    html_table_begin(b, NULL, "Scores on the pilot's held-out examples, with 95% intervals");
    html_th_cols(b,
                 (const char *const[]){"model", "prompt", "examples", "score [95% interval]",
                                       "per 1,000 requests", "p95 latency"},
                 6, 0);
    html_table_body(b);
    for (int i = 0; i < r->n_evals; i++) {
        const ReviewEval *x = &r->evals[i];
        tp_buf_puts(b, "<tr><td>");
        html_esc(b, x->model);
        tp_buf_puts(b, "</td><td>");
        html_esc(b, x->variant);
        tp_buf_printf(b, "</td><td>%d</td><td>", x->n);
        if (isfinite(x->score)) {
            html_esc(b, x->metric);
            tp_buf_printf(b, " %.3f [%.3f, %.3f]", x->score, x->lo, x->hi);
        } else {
            tp_buf_puts(b, "-");
        }
        if (isfinite(x->usd_per_1k))
            tp_buf_printf(b, "</td><td>$%.3f", x->usd_per_1k);
        else
            tp_buf_puts(b, x->local ? "</td><td>(local)" : "</td><td>-");
        if (isfinite(x->p95_ms))
            tp_buf_printf(b, "</td><td>%.0f ms</td></tr>\n", x->p95_ms);
        else
            tp_buf_puts(b, "</td><td>-</td></tr>\n");
    }
    html_table_end(b);
}

static void evidence_and_flips(TpBuf *b, const Review *r) {
    evals_table(b, r);
    if (r->evidence.present) {
        const ReviewEvidence *e = &r->evidence;
        tp_buf_printf(b, "<h2 id=\"evidence\">Pilot evidence</h2>\n<p>Pilot run %lld", e->run_id);
        if (e->date) {
            tp_buf_puts(b, " (");
            html_esc(b, e->date);
            tp_buf_puts(b, ")");
        }
        if (e->model) {
            tp_buf_puts(b, " on ");
            html_esc(b, e->model);
        }
        tp_buf_printf(b, ": the fine-tune <strong>%s</strong>.",
                      e->helped ? "helped" : "did not help");
        if (isfinite(e->base_accuracy) && isfinite(e->tuned_accuracy))
            tp_buf_printf(b, " Exact match %.1f%% before, %.1f%% after.", 100 * e->base_accuracy,
                          100 * e->tuned_accuracy);
        if (isfinite(e->base_loss) && isfinite(e->tuned_loss))
            tp_buf_printf(b, " Held-out loss %.4g before, %.4g after.", e->base_loss,
                          e->tuned_loss);
        if (e->detail) {
            tp_buf_puts(b, " ");
            html_esc(b, e->detail);
        }
        tp_buf_puts(b, "</p>\n");
    }
    if (r->n_flips) {
        tp_buf_puts(b, "<h2 id=\"what-would-change\">What would change the verdict</h2>\n<ul>\n");
        for (int i = 0; i < r->n_flips; i++) {
            tp_buf_puts(b, "<li>");
            html_esc(b, r->flips[i].text);
            tp_buf_puts(b, "</li>\n");
        }
        tp_buf_puts(b, "</ul>\n");
    }
    if (r->n_warnings) {
        tp_buf_puts(b, "<h2 id=\"notes\">Notes</h2>\n<ul>\n");
        for (int i = 0; i < r->n_warnings; i++) {
            tp_buf_puts(b, "<li>");
            html_esc(b, r->warnings[i]);
            tp_buf_puts(b, "</li>\n");
        }
        tp_buf_puts(b, "</ul>\n");
    }
}

static void dates_and_sources(TpBuf *b, const Review *r) {
    if (r->n_dates) {
        tp_buf_puts(b, "<h2 id=\"dates\">Dates that matter</h2>\n");
        html_table_begin(b, "src", "Price dates, availability and retirement");
        html_th_cols(b, (const char *const[]){"date", "what", "source"}, 3, 0);
        html_table_body(b);
        for (int i = 0; i < r->n_dates; i++) {
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, r->dates[i].date);
            html_td(b, NULL, r->dates[i].what);
            tp_buf_puts(b, "<td>");
            html_link(b, r->dates[i].source);
            tp_buf_puts(b, "</td></tr>\n");
        }
        html_table_end(b);
    }
    tp_buf_puts(b, "<h2 id=\"sources\">Sources</h2>\n");
    html_table_begin(b, "src", "Where each figure comes from");
    html_th_cols(b, (const char *const[]){"option", "figure", "source", "as of"}, 4, 0);
    html_table_body(b);
    for (int i = 0; i < r->n_options; i++)
        for (int s = 0; s < r->options[i].n_sources; s++) {
            const ReviewSource *src = &r->options[i].sources[s];
            tp_buf_puts(b, "<tr>");
            html_th(b, "row", NULL, r->options[i].id);
            html_td(b, NULL, src->what);
            tp_buf_puts(b, "<td>");
            html_link(b, src->source);
            tp_buf_puts(b, "</td>");
            html_td(b, NULL, src->as_of ? src->as_of : "-");
            tp_buf_puts(b, "</tr>\n");
        }
    html_table_end(b);
}

char *review_render_html(const Review *r, const ReportMeta *meta) {
    TpBuf b;
    tp_buf_init(&b);
    char title[512];
    snprintf(title, sizeof title, "%s", r->title ? r->title : "Decision review");
    html_begin(&b, title);
    tp_buf_puts(&b, "<header>\n");
    html_el(&b, "h1", title);
    if (r->cheapest_feasible >= 0) {
        const ReviewOption *o = &r->options[r->cheapest_feasible];
        char t[64];
        report_usd(o->horizon_total_usd, t, sizeof t);
        tp_buf_printf(&b,
                      "<p class=\"lead verdict\">Cheapest feasible option over %d months: "
                      "<strong>",
                      r->horizon_months);
        html_esc(&b, o->id);
        tp_buf_puts(&b, "</strong> (");
        html_esc(&b, o->kind);
        tp_buf_puts(&b, "), ");
        html_esc(&b, t);
        tp_buf_puts(&b, ".");
        if (r->cheapest >= 0 && r->cheapest != r->cheapest_feasible) {
            tp_buf_puts(&b, " The cheapest, ");
            html_esc(&b, r->options[r->cheapest].id);
            tp_buf_puts(&b, ", is not feasible.");
        }
        tp_buf_puts(&b, "</p>\n");
    } else {
        tp_buf_puts(&b, "<p class=\"lead verdict\"><strong>No option is feasible.</strong> See "
                        "Feasibility.</p>\n");
    }
    tp_buf_puts(&b, "<dl class=\"meta\">\n");
    html_dd(&b, "Scenario", "%s", r->scenario ? r->scenario : "-");
    html_dd(&b, "Workload",
            "%.0f requests/day, %.0f input and %.0f output tokens a request, growth %.1f%% a "
            "month, peak x%.1f",
            r->requests_per_day, r->input_tokens, r->output_tokens, 100 * r->growth_per_month,
            r->peak_factor);
    if (isfinite(r->latency_slo_ms))
        html_dd(&b, "Latency SLO", "p95 at most %.0f ms", r->latency_slo_ms);
    else
        html_dd(&b, "Latency SLO", "none set");
    html_dd(&b, "Horizon", "%d months", r->horizon_months);
    html_dd(&b, "Prices", "%s, snapshot %lld%s%s",
            r->snapshot_label ? r->snapshot_label : "bundled tables", r->snapshot_id,
            r->snapshot_as_of ? ", as of " : "", r->snapshot_as_of ? r->snapshot_as_of : "");
    html_dd(&b, "Checked on", "%s", r->today ? r->today : "-");
    html_dd(&b, "Made by", "tunepilot %s%s%s", meta && meta->version ? meta->version : "",
            meta && meta->generated_at ? " on " : "",
            meta && meta->generated_at ? meta->generated_at : "");
    tp_buf_puts(&b, "</dl>\n</header>\n");
    verdicts(&b, r);
    options_table(&b, r);
    charts(&b, r);
    feasibility(&b, r);
    evidence_and_flips(&b, r);
    dates_and_sources(&b, r);
    html_end(&b, meta);
    return tp_buf_take(&b);
}
