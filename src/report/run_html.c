/* run_html.c - a pilot run as a self-contained HTML page. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report/html_impl.h"
#include "tunepilot/pilot.h"
#include "tunepilot/series.h"
#include "tunepilot/svg.h"

/* The workbench's smoothing of the loss curve (screen_runs.c, key m). */
#define RUN_SMOOTH 0.9

static void draw_line(TpBuf *b, const void *c) { svg_line_chart(b, c); }
static void table_line(TpBuf *b, const void *c) { svg_line_table(b, c); }
static void draw_bar(TpBuf *b, const void *c) { svg_bar_chart(b, c); }
static void table_bar(TpBuf *b, const void *c) { svg_bar_table(b, c); }

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* The last two parts of a model path ("demo/model", "org/name"). */
static const char *model_name(const char *path) {
    const char *end = path + strlen(path), *p = end, *slash = NULL;
    while (p > path && p[-1] == '/')
        end = --p;
    for (int seen = 0; p > path; p--)
        if (p[-1] == '/' && p < end && ++seen == 2) {
            slash = p;
            break;
        }
    return slash ? slash : path;
}

static double jnum(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void summary(TpBuf *b, const StoreRun *run, const SeriesRun *s, const PilotSummary *sum) {
    tp_buf_puts(b, "<p class=\"lead verdict\">");
    if (s->have_base && s->have_tuned) {
        double drop = s->base_loss > 0 ? 100 * (1 - s->tuned_loss / s->base_loss) : NAN;
        tp_buf_printf(b, "Held-out loss went from <strong>%.4g</strong> (the base model) to "
                         "<strong>%.4g</strong> after %lld updates",
                      s->base_loss, s->tuned_loss,
                      (long long)(run->last_step > 0 ? run->last_step : 0));
        if (isfinite(drop))
            tp_buf_printf(b, " (%s%.1f%%)", drop >= 0 ? "-" : "+", fabs(drop));
        tp_buf_puts(b, ".");
        if (isfinite(s->base_accuracy) && isfinite(s->tuned_accuracy)) {
            int ex = sum->tuned.examples; /* 0: not recorded */
            tp_buf_printf(b, " Exact match on %s%d held-out examples: <strong>%.1f%%</strong> "
                             "before, <strong>%.1f%%</strong> after.",
                          ex > 0 ? "" : "the ", ex > 0 ? ex : 0,
                          100 * s->base_accuracy, 100 * s->tuned_accuracy);
        }
    } else if (s->n > 0) {
        tp_buf_printf(b, "The run is %s after %d recorded updates; last training loss %.4g.",
                      run_status_name(run->status), s->n, s->loss[s->n - 1]);
    } else {
        tp_buf_printf(b, "The run is %s and has recorded no updates yet.", run_status_name(run->status));
    }
    tp_buf_puts(b, "</p>\n");
}

static void meta_list(TpBuf *b, const StoreRun *run, const cJSON *cfg, const ReportMeta *meta) {
    tp_buf_puts(b, "<dl class=\"meta\">\n");
    html_dd(b, "Status", "%s%s%s", run_status_name(run->status), run->message[0] ? ": " : "", run->message);
    html_dd(b, "Method", "%s (%s run)", run->method, run->kind);
    html_dd(b, "Model", "%s", run->model);
    html_dd(b, "Data", "%s", run->data);
    html_dd(b, "Updates", "%lld of %lld",
            (long long)(run->last_step > 0 ? run->last_step : 0), (long long)run->total_steps);
    double seed = jnum(cfg, "seed");
    if (isfinite(seed))
        html_dd(b, "Seed", "%.0f", seed);
    html_dd(b, "Started", "%s, last update %s (UTC)", run->created_at, run->updated_at);
    html_dd(b, "Files", "%s", run->out_dir);
    html_dd(b, "Smoothing", "exponential moving average, weight %.2f on the previous value",
            RUN_SMOOTH);
    html_dd(b, "Made by", "tunepilot %s%s%s", meta && meta->version ? meta->version : "",
            meta && meta->generated_at ? " on " : "",
            meta && meta->generated_at ? meta->generated_at : "");
    tp_buf_puts(b, "</dl>\n");
}

static void line_figure(TpBuf *b, const char *id, const char *title, const char *y_label,
                        SvgUnit unit, const SvgLine *lines, int n, const char *desc,
                        const char *caption) {
    SvgLineChart c = {.id = id,
                      .title = title,
                      .desc = desc,
                      .x_label = "update (optimizer step)",
                      .y_label = y_label,
                      .x_unit = SVG_UNIT_INT,
                      .y_unit = unit,
                      .lines = lines,
                      .n_lines = n,
                      .hline = NAN,
                      .y_zero = true};
    html_figure(b, caption, &c, draw_line, table_line);
}

static void before_after(TpBuf *b, const SeriesRun *s) {
    if (!s->have_base && !s->have_tuned)
        return;
    tp_buf_puts(b, "<h2 id=\"before-after\">Before and after</h2>\n");
    const char *cats[2] = {"base model (before)", "tuned (after)"};
    double loss[2] = {s->base_loss, s->tuned_loss};
    int style[2] = {0, 2};
    SvgBarChart c = {.id = "eval-loss",
                     .title = "Held-out loss before and after tuning",
                     .desc = "Horizontal bars: the held-out loss of the base model and of the "
                             "tuned model (lower is better). The table after the chart holds "
                             "both values.",
                     .value_label = "held-out loss (nats per token)",
                     .unit = SVG_UNIT_NUM,
                     .cats = cats,
                     .n_cats = 2,
                     .n_segs = 1,
                     .values = loss,
                     .ref = NAN,
                     .cat_style = style};
    html_figure(b, "Mean cross-entropy of the answer tokens on the held-out examples.", &c,
                draw_bar, table_bar);
    if (isfinite(s->base_accuracy) || isfinite(s->tuned_accuracy)) {
        double acc[2] = {100 * s->base_accuracy, 100 * s->tuned_accuracy};
        SvgBarChart a = {.id = "eval-accuracy",
                         .title = "Exact match before and after tuning",
                         .desc = "Horizontal bars: the share of held-out examples whose "
                                 "generated answer matches the expected one exactly, for the "
                                 "base and the tuned model, in percent.",
                         .value_label = "exact match (%)",
                         .unit = SVG_UNIT_NUM,
                         .cats = cats,
                         .n_cats = 2,
                         .n_segs = 1,
                         .values = acc,
                         .ref = NAN,
                         .cat_style = style};
        html_figure(b, "Greedy decoding; an answer counts when it equals the expected text.", &a,
                    draw_bar, table_bar);
    }
}

static void settings(TpBuf *b, const cJSON *cfg) {
    if (!cJSON_IsObject(cfg))
        return;
    tp_buf_puts(b, "<h2 id=\"settings\">Settings</h2>\n");
    html_table_begin(b, "src", "The run's configuration as stored");
    html_th_cols(b, (const char *const[]){"setting", "value"}, 2, 0);
    html_table_body(b);
    const cJSON *it;
    cJSON_ArrayForEach(it, cfg) {
        tp_buf_puts(b, "<tr><th scope=\"row\">");
        html_esc(b, it->string);
        tp_buf_puts(b, "</th><td>");
        if (cJSON_IsString(it)) {
            html_esc(b, it->valuestring);
        } else {
            char *t = cJSON_PrintUnformatted(it);
            html_esc(b, t);
            free(t);
        }
        tp_buf_puts(b, "</td></tr>\n");
    }
    html_table_end(b);
}

static void full_run(TpBuf *b, const PilotSummary *sum) {
    const PilotFullRun *fr = &sum->full_run;
    if (!fr->n_gpus)
        return;
    tp_buf_printf(b, "<h2 id=\"full-run\">The full run, estimated</h2>\n<p>%.0f tokens x %.2f "
                     "epochs at %.3g FLOPs a token; here it would take %.2f hours at the speed "
                     "this run measured (%.0f tokens/s).</p>\n",
                  fr->tokens, fr->epochs, fr->flops_per_token, fr->here_hours,
                  fr->here_tokens_per_s);
    html_table_begin(b, NULL, "On one rented GPU at 35% of its bf16 peak (cheapest listed price)");
    html_th(b, "col", "l", "GPU");
    html_th_cols(b, (const char *const[]){"hours", "cost"}, 2, 0);
    html_th(b, "col", "l", "cloud");
    html_th(b, "col", NULL, "$ per GPU-hour");
    html_table_body(b);
    for (int i = 0; i < fr->n_gpus; i++) {
        const PilotGpuRun *g = &fr->gpus[i];
        char usd[48], rate[48];
        report_usd(g->usd, usd, sizeof usd);
        report_usd(g->usd_per_hour, rate, sizeof rate);
        tp_buf_puts(b, "<tr><th scope=\"row\">");
        html_esc(b, g->gpu);
        tp_buf_printf(b, "</th><td>%.3g</td><td>", g->hours);
        html_esc(b, usd);
        tp_buf_puts(b, "</td><td class=\"l\">");
        html_esc(b, g->cloud);
        tp_buf_puts(b, "</td><td>");
        html_esc(b, rate);
        tp_buf_puts(b, "</td></tr>\n");
    }
    html_table_end(b);
}

static void sources(TpBuf *b, const StoreRun *run, const ReportMeta *meta) {
    tp_buf_puts(b, "<h2 id=\"sources\">Sources</h2>\n");
    html_table_begin(b, "src", "Where each figure comes from");
    html_th_cols(b, (const char *const[]){"figures", "source"}, 2, 0);
    html_table_body(b);
    tp_buf_printf(b, "<tr><td>loss, learning rate, gradient norm, tokens/s per update</td><td>"
                     "measured by this run, stored in tunepilot's database as run %lld "
                     "(tunepilot runs show %lld --json)</td></tr>\n",
                  (long long)run->id, (long long)run->id);
    tp_buf_puts(b, "<tr><td>held-out loss and exact match</td><td>measured by this run on the "
                   "examples it held out of ");
    html_esc(b, base_name(run->data));
    tp_buf_puts(b, "</td></tr>\n<tr><td>GPU prices in the full-run estimate</td><td>tunepilot's "
                   "pricing tables (tunepilot pricing list; each price carries its source and "
                   "as-of date there)</td></tr>\n<tr><td>GPU peak throughput</td><td>the "
                   "vendors' bf16 dense peaks in tunepilot's GPU table</td></tr>\n");
    tp_buf_printf(b, "<tr><td>this report</td><td>tunepilot %s</td></tr>\n",
                  meta && meta->version ? meta->version : "");
    html_table_end(b);
}

char *report_run_html(const StoreRun *run, const StoreMetric *m, int nm, const StoreEval *e,
                      int ne, const ReportMeta *meta) {
    TpBuf b;
    tp_buf_init(&b);
    SeriesRun s;
    series_run_build(m, nm, e, ne, RUN_SMOOTH, &s);
    cJSON *cfg = run->config ? cJSON_Parse(run->config) : NULL;
    PilotSummary sum; /* one that cannot be read records nothing (pilot.h) */
    TpError serr;
    pilot_summary_parse(run->summary, "the run's summary", &sum, &serr);
    char title[1200];
    snprintf(title, sizeof title, "Pilot run %lld: %s on %s", (long long)run->id, run->method,
             model_name(run->model));
    html_begin(&b, title);
    tp_buf_puts(&b, "<header>\n");
    html_el(&b, "h1", title);
    summary(&b, run, &s, &sum);
    meta_list(&b, run, cfg, meta);
    tp_buf_puts(&b, "</header>\n");

    tp_buf_puts(&b, "<h2 id=\"loss\">Loss</h2>\n");
    char smooth_label[64];
    snprintf(smooth_label, sizeof smooth_label, "training loss, smoothed (EMA %.2f)", RUN_SMOOTH);
    SvgLine loss[3] = {
        {"training loss (each update)", s.step, s.loss, s.n, NULL, NULL, 0, true, false},
        {smooth_label, s.step, s.loss_smooth, s.n, NULL, NULL, 0, false, false},
        {"held-out loss", s.eval_step, s.eval_loss, s.n_eval, NULL, NULL, 1, false, true},
    };
    char desc[512];
    snprintf(desc, sizeof desc,
             "Line chart of the training loss at each of %d updates (raw, and smoothed), with "
             "%d held-out evaluations as separate points. Lower is better. The table after the "
             "chart holds every value.",
             s.n, s.n_eval);
    line_figure(&b, "loss-chart", "Training and held-out loss", "loss (nats per token)",
                SVG_UNIT_NUM, loss, 3, desc,
                "Training loss is measured on each batch as it trains; held-out loss on examples "
                "the run never trains on (the first point is the base model). A widening gap "
                "between them suggests overfitting.");

    tp_buf_puts(&b, "<h2 id=\"learning-rate\">Learning rate</h2>\n");
    SvgLine lr = {"learning rate", s.step, s.lr, s.n, NULL, NULL, 2, false, false};
    snprintf(desc, sizeof desc,
             "Line chart of the learning rate at each of %d updates (warm-up, then decay).", s.n);
    line_figure(&b, "lr-chart", "Learning rate by update", "learning rate", SVG_UNIT_NUM, &lr,
                1, desc, "The schedule the optimizer followed.");

    tp_buf_puts(&b, "<h2 id=\"speed\">Speed and stability</h2>\n");
    SvgLine tps = {"tokens per second", s.step, s.tokens_per_s, s.n, NULL, NULL, 4, false, false};
    snprintf(desc, sizeof desc, "Line chart of training throughput in tokens per second at each "
                                "of %d updates.", s.n);
    line_figure(&b, "speed-chart", "Training speed by update", "throughput (tokens/s)",
                SVG_UNIT_NUM, &tps, 1, desc,
                "Tokens processed per second of wall-clock time, on this machine.");
    SvgLine gn = {"gradient norm", s.step, s.grad_norm, s.n, NULL, NULL, 3,
                  false, false};
    snprintf(desc, sizeof desc, "Line chart of the gradient norm at each of %d updates.", s.n);
    line_figure(&b, "grad-chart", "Gradient norm by update", "gradient L2 norm", SVG_UNIT_NUM,
                &gn, 1, desc, "Spikes here often come before a loss spike.");

    before_after(&b, &s);
    full_run(&b, &sum);
    settings(&b, cfg);
    sources(&b, run, meta);
    html_end(&b, meta);
    cJSON_Delete(cfg);
    pilot_summary_free(&sum);
    series_run_free(&s);
    return tp_buf_take(&b);
}
