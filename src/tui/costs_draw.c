/* costs_draw.c - drawing the Costs screen: the form, the options table
 * (its columns chosen by width), the panels of long texts (the verdict and
 * the selected option's reasons, sources and break-even), the cumulative
 * cost chart and the latency bars. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/chart.h"
#include "tui/costs_int.h"
#include "tui/textfit.h"
#include "tui/wrap.h"
#include "tunepilot/report.h"
#include "tunepilot/series.h"

/* --- the form ----------------------------------------------------------------------------- */

/* The workload's and the scenario's figures, the selected one kept in view
 * (the editor's text in its row while it is open). */
static void draw_form(TuiApp *a, CostsState *c, Rect r) {
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, "Workload and scenario");
    char name[200];
    const char *shown = c->path[0] ? c->path : c->name, *slash = strrchr(shown, '/');
    snprintf(name, sizeof name, "%s%s", slash ? slash + 1 : shown, c->dirty ? " [unsaved]" : "");
    tui_text(a, r.y + 1, r.x, r.w, c->dirty ? ROLE_BAD : ROLE_DIM, false, name);
    FormRow rows[MAX_FORM];
    int n = costs_form_rows(rows, MAX_FORM), vis = r.h - 2;
    if (c->form_sel < c->form_top)
        c->form_top = c->form_sel;
    if (c->form_sel >= c->form_top + vis)
        c->form_top = c->form_sel - vis + 1;
    for (int k = 0; k < vis && c->form_top + k < n; k++) {
        int i = c->form_top + k;
        char val[FIELD_TEXT_MAX + 2];
        bool here = c->focus == FOCUS_FORM && i == c->form_sel;
        if (here && c->edit.active)
            field_display(&c->edit, val, sizeof val);
        else
            costs_value_text(c, rows[i].where, rows[i].f, val, sizeof val);
        char line[600];
        snprintf(line, sizeof line, "%-18s %11s", rows[i].f->key, val[0] ? val : "-");
        tui_text(a, r.y + 2 + k, r.x, r.w, here ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
}

/* --- the options table -------------------------------------------------------------------- */

enum { COL_ID, COL_KIND, COL_CPR, COL_TOTAL, COL_DAY, COL_P95, COL_SLO, COL_REP, COL_FEAS, N_COLS };

static const char *const COL_NAMES[N_COLS] = {"option", "kind", "$/request", "total",   "$/day",
                                              "p95 ms", "SLO",  "rep",       "feasible"};
/* Which columns stay as the table narrows (table_columns): the option, its
 * cost per request and total, p95 and feasibility first (at 80 columns),
 * then the SLO, the kind, replicas and the daily cost. */
static const int COL_PRIORITY[N_COLS] = {0, 6, 1, 2, 8, 3, 5, 7, 4};

#define CELL 96

/* The cells of option i's row, from the projection. */
static void row_cells(const CostsState *c, int i, int best, char cells[N_COLS][CELL]) {
    const CostOptionResult *o = &c->proj.options[i];
    snprintf(cells[COL_ID], CELL, "%s", c->sc.options[i].id);
    snprintf(cells[COL_KIND], CELL, "%s", cost_option_kind_name(c->sc.options[i].kind));
    report_usd(o->cost_per_request_usd, cells[COL_CPR], CELL);
    report_usd(o->horizon_total_usd, cells[COL_TOTAL], CELL);
    report_usd(o->daily_cost_usd, cells[COL_DAY], CELL);
    snprintf(cells[COL_P95], CELL, "%.0f", o->latency_p95_ms);
    snprintf(cells[COL_SLO], CELL, "%s", !c->sc.has_slo ? "-" : o->slo_met ? "yes" : "NO");
    if (o->replicas_at_peak > 0)
        snprintf(cells[COL_REP], CELL, "%d", o->replicas_at_peak);
    else
        snprintf(cells[COL_REP], CELL, "-");
    if (o->feasible) {
        snprintf(cells[COL_FEAS], CELL, "%s", i == best ? "yes, cheapest" : "yes");
    } else {
        char failed[CELL];
        cost_failed_checks(o, false, ",", failed, sizeof failed);
        snprintf(cells[COL_FEAS], CELL, "NO:%s", failed);
    }
}

/* The columns that fit in w cells (table_columns, as Pricing chooses its
 * own): each as wide as its header and its widest figure, so that no number
 * is ever cut; the option's id up to 24 cells; the feasibility column
 * widens into the room left (the verdict panel names the failed checks). */
static void choose_columns(const CostsState *c, int best, int w, int *widths) {
    TableCol cols[N_COLS];
    for (int k = 0; k < N_COLS; k++)
        cols[k] = (TableCol){COL_NAMES[k], text_width(COL_NAMES[k]), COL_PRIORITY[k], 0};
    for (int i = 0; i < c->proj.n_options; i++) {
        char cells[N_COLS][CELL];
        row_cells(c, i, best, cells);
        for (int k = 0; k < N_COLS; k++) {
            int cw = text_width(cells[k]);
            if (k == COL_FEAS)
                cols[k].max = cw > cols[k].max ? cw : cols[k].max;
            else if (cw > cols[k].width)
                cols[k].width = k == COL_ID && cw > 24 ? 24 : cw;
        }
    }
    table_columns(cols, N_COLS, w, widths);
}

static bool right_aligned(int col) {
    return col == COL_CPR || col == COL_TOTAL || col == COL_DAY || col == COL_P95 || col == COL_REP;
}

/* Rows the verdict panel keeps under the options: its title and two lines. */
#define VERDICT_MIN_H 3

/* The options with their figures, the selected one kept in view; returns
 * the rows used. Without a projection, the options as the document holds
 * them (so that they can still be fixed). */
static int draw_table(TuiApp *a, CostsState *c, Rect r) {
    bool sel_on = c->focus != FOCUS_FORM;
    int n = c->have ? c->proj.n_options : session_doc_n_options(c->doc);
    int vis = r.h - 1 - VERDICT_MIN_H > 0 ? r.h - 1 - VERDICT_MIN_H : r.h - 1;
    if (c->opt_sel < c->opt_top)
        c->opt_top = c->opt_sel;
    if (c->opt_sel >= c->opt_top + vis)
        c->opt_top = c->opt_sel - vis + 1;
    if (c->opt_top + vis > n)
        c->opt_top = n - vis > 0 ? n - vis : 0;
    int shown = n - c->opt_top < vis ? n - c->opt_top : vis;
    if (!c->have) {
        tui_textf(a, r.y, r.x, r.w, ROLE_HEADER, "%-12s %s", "option", "kind");
        for (int k = 0; k < shown; k++) {
            int i = c->opt_top + k;
            const char *id = session_option_id(c->doc, i);
            int kind = session_option_kind(c->doc, i);
            tui_textf(a, r.y + 1 + k, r.x, r.w,
                      sel_on && i == c->opt_sel ? ROLE_SELECTED : ROLE_NORMAL, "%-12s %s",
                      id ? id : "?", kind >= 0 ? cost_option_kind_name((CostOptionKind)kind) : "?");
        }
        return 1 + shown;
    }
    int best = cost_cheapest(&c->proj, true), w[N_COLS];
    choose_columns(c, best, r.w, w);
    char line[1024] = "";
    for (int k = 0; k < N_COLS; k++)
        if (w[k])
            table_cell(line, sizeof line, COL_NAMES[k], w[k], right_aligned(k), a->ascii);
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, line);
    for (int k = 0; k < shown; k++) {
        int i = c->opt_top + k;
        char cells[N_COLS][CELL];
        row_cells(c, i, best, cells);
        if (i == best && text_width(cells[COL_FEAS]) > w[COL_FEAS])
            snprintf(cells[COL_FEAS], CELL, "yes"); /* its colour and the verdict say cheapest */
        line[0] = '\0';
        for (int col = 0; col < N_COLS; col++)
            if (w[col])
                table_cell(line, sizeof line, cells[col], w[col], right_aligned(col), a->ascii);
        bool here = sel_on && i == c->opt_sel;
        TuiRole role = here                           ? ROLE_SELECTED
                       : i == best                    ? ROLE_GOOD
                       : !c->proj.options[i].feasible ? ROLE_BAD
                                                      : ROLE_NORMAL;
        tui_text(a, r.y + 1 + k, r.x, r.w, role, here, line);
    }
    return 1 + shown;
}

/* --- the panels: the verdict and the selected option -------------------------------------- */

/* How option a fares against option b over the horizon, from the
 * projection's break-even months (cost_break_even). */
static void break_even_text(const CostsState *c, int a, int b, char *out, size_t size) {
    int m = c->proj.options[a].break_even_month[b];
    const char *ida = c->sc.options[a].id, *idb = c->sc.options[b].id;
    if (m == 0)
        snprintf(out, size, "against %s: %s is never the dearer", idb, ida);
    else if (m < 0)
        snprintf(out, size, "against %s: %s is still the dearer after %d months", idb, ida,
                 c->proj.horizon_months);
    else
        snprintf(out, size, "against %s: %s is no dearer from month %d on", idb, ida, m);
}

/* The selected option: each feasibility check and its reason, lifecycle
 * warnings, the break-even against every other option, and where its
 * figures come from (the CLI's report says the same: tunepilot cost). */
static void option_doc(const CostsState *c, int i, TuiDoc *d) {
    const CostOptionResult *o = &c->proj.options[i];
    const CostOption *op = &c->sc.options[i];
    doc_addf(d, o->feasible ? ROLE_GOOD : ROLE_BAD, "%s (%s): %s", op->id,
             cost_option_kind_name(op->kind), o->feasible ? "feasible" : "NOT feasible");
    for (int k = 0; k < COST_N_CHECKS; k++) {
        const CostCheck *ch = &o->checks[k];
        char line[400];
        snprintf(line, sizeof line, "%s %s%s%s", cost_check_name((CostCheckId)k),
                 cost_check_status_name(ch->status), ch->reason[0] ? ": " : "", ch->reason);
        doc_add_hang(d, ch->status == COST_FAIL ? ROLE_BAD : ROLE_NORMAL, 2, line);
    }
    for (int k = 0; k < o->n_warnings; k++)
        doc_add(d, ROLE_DIM, 0, false, o->warnings[k]);
    if (c->proj.n_options > 1) {
        doc_add(d, ROLE_HEADER, 0, false, "break-even");
        for (int b = 0; b < c->proj.n_options; b++)
            if (b != i) {
                char line[300];
                break_even_text(c, i, b, line, sizeof line);
                doc_add_hang(d, ROLE_NORMAL, 2, line);
            }
    }
    if (op->n_sources) {
        doc_add(d, ROLE_HEADER, 0, false, "sources");
        for (int k = 0; k < op->n_sources; k++) {
            const CostSource *s = &op->sources[k];
            char line[1200];
            snprintf(line, sizeof line, "%s: %s%s%s%s", s->what ? s->what : "",
                     s->source ? s->source : "", s->as_of ? " (as of " : "",
                     s->as_of ? s->as_of : "", s->as_of ? ")" : "");
            doc_add_hang(d, ROLE_NORMAL, 2, line);
        }
    }
}

/* The verdict: the cheapest feasible option, why the others are not
 * feasible, lifecycle warnings and the ranges' note; with_option: the
 * selected option's section after it (when no side panel shows it). */
static void verdict_doc(const CostsState *c, bool with_option, TuiDoc *d) {
    int best = cost_cheapest(&c->proj, true);
    if (best >= 0) {
        char tot[32];
        report_usd(c->proj.options[best].horizon_total_usd, tot, sizeof tot);
        doc_addf(d, ROLE_GOOD, "cheapest feasible over %d months: %s (%s)", c->proj.horizon_months,
                 c->sc.options[best].id, tot);
    } else {
        doc_add(d, ROLE_BAD, 0, false, "no option is feasible: none is called cheapest");
    }
    for (int i = 0; i < c->proj.n_options; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        for (int k = 0; k < COST_N_CHECKS; k++)
            if (o->checks[k].status == COST_FAIL)
                doc_addf(d, ROLE_BAD, "%s: %s", c->sc.options[i].id, o->checks[k].reason);
        for (int w = 0; w < o->n_warnings; w++)
            doc_addf(d, ROLE_DIM, "%s: %s", c->sc.options[i].id, o->warnings[w]);
    }
    if (c->proj.uncertain)
        doc_addf(d, ROLE_DIM,
                 "ranges: %d Monte Carlo draws (tunepilot cost --format json for P10/P50/P90)",
                 c->proj.draws);
    if (with_option && c->opt_sel < c->proj.n_options) {
        doc_add(d, ROLE_NORMAL, 0, false, "");
        doc_add(d, ROLE_HEADER, 0, false, "selected option");
        option_doc(c, c->opt_sel, d);
    }
}

/* The verdict panel under the table; an invalid scenario's message there
 * instead (while the wizard asks, its editor line carries the message). */
static void draw_verdict(TuiApp *a, const CostsState *c, bool with_option, Rect r) {
    TuiDoc d = {0};
    if (!c->have) {
        if (!c->wizard)
            doc_add(&d, ROLE_BAD, 0, false, c->error);
        tui_panel(a, "Scenario invalid", &d, r);
        return;
    }
    verdict_doc(c, with_option, &d);
    tui_panel(a, "Verdict", &d, r);
}

/* Cumulative cost by month, one series per option, with the months where
 * the cheapest option breaks even against the others marked. */
static void draw_chart(TuiApp *a, const CostsState *c, Rect r) {
    if (!c->have || r.h < 4)
        return;
    int n = c->proj.n_options, h = c->proj.horizon_months;
    tui_text(
        a, r.y, r.x, r.w, ROLE_HEADER, false,
        a->ascii
            ? "cumulative cost by month (: marks the cheapest feasible option's break-even months)"
            : "cumulative cost by month (\u250a marks the cheapest feasible option's break-even "
              "months)");
    /* the same series the HTML report draws (tunepilot/series.h) */
    SeriesCost sc;
    series_cost_build(&c->proj, &sc);
    ChartSeries *s = calloc((size_t)n, sizeof *s);
    for (int i = 0; i < n; i++)
        s[i] = (ChartSeries){sc.x, sc.cum[i], h + 1, i, c->sc.options[i].id};
    double vl[64];
    int nv = 0;
    for (int j = 0; j < sc.n_marks && nv < 64; j++)
        if (sc.marks[j].a == sc.best)
            vl[nv++] = sc.marks[j].x;
    ChartOptions opt = {
        .ascii = a->ascii, .hline = NAN, .vlines = vl, .n_vlines = nv, .markers = a->mono};
    ChartGrid g;
    Rect plot = {r.y + 1, r.x, r.h - 2, r.w};
    if (chart_render(s, n, plot.h, plot.w, &opt, &g) == 0 || g.cells) {
        tui_blit_chart(a, &g, plot);
        chart_grid_free(&g);
    }
    /* legend: colours, or the markers the chart draws without them */
    const char *names[64];
    int styles[64];
    for (int i = 0; i < n && i < 64; i++) {
        names[i] = c->sc.options[i].id;
        styles[i] = i;
    }
    tui_legend(a, r.y + r.h - 1, r.x, r.w, names, styles, n < 64 ? n : 64);
    series_cost_free(&sc);
    free(s);
}

/* Side panel: p95 latency against the SLO as bars. */
static void draw_latency(TuiApp *a, const CostsState *c, Rect r) {
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, "p95 latency vs SLO");
    if (!c->have)
        return;
    double slo = c->sc.has_slo ? c->sc.latency_slo_ms.v : NAN, top = slo;
    for (int i = 0; i < c->proj.n_options; i++)
        if (!(c->proj.options[i].latency_p95_ms <= top))
            top = c->proj.options[i].latency_p95_ms;
    for (int i = 0; i < c->proj.n_options && 2 + 2 * i < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        char bar[256];
        chart_bar(top > 0 ? o->latency_p95_ms / top : 0, r.w - 2, a->ascii, bar, sizeof bar);
        tui_textf(a, r.y + 1 + 2 * i, r.x, r.w, ROLE_NORMAL, "%s  %.0f ms", c->sc.options[i].id,
                  o->latency_p95_ms);
        tui_text(a, r.y + 2 + 2 * i, r.x, r.w, o->slo_met ? ROLE_GOOD : ROLE_BAD, false, bar);
    }
    if (!isnan(slo))
        tui_textf(a, r.y + r.h - 1, r.x, r.w, ROLE_DIM, "SLO %.0f ms = %.0f%% of the scale", slo,
                  100 * slo / top);
}

void costs_draw(TuiApp *a, void *self) {
    CostsState *c = self;
    Rect b = a->lay.body;
    /* the side panel: the latency bars, and the selected option's panel
     * under them where there is room (else the verdict panel holds it) */
    Rect bars = a->lay.side, opt = {0, 0, 0, 0};
    int n = c->have ? c->proj.n_options : 0, bars_h = 2 + 2 * n;
    if (a->lay.has_side)
        layout_split_v(a->lay.side, a->lay.side.h - bars_h, bars_h, &bars, &opt);
    bool side_opt = c->have && opt.h >= 4 && c->opt_sel < n;
    Rect form = {b.y, b.x, TOP_H, 30 < b.w ? 30 : b.w};
    Rect table = {b.y, b.x + 31, TOP_H, b.w - 31};
    draw_form(a, c, form);
    int used = draw_table(a, c, table);
    draw_verdict(a, c, !side_opt, (Rect){table.y + used, table.x, table.h - used, table.w});
    Rect info = {b.y + TOP_H, b.x, INFO_H, b.w};
    costs_draw_info(a, c, info);
    Rect low = {b.y + TOP_H + INFO_H, b.x, b.h - TOP_H - INFO_H, b.w};
    if (c->pick.active)
        costs_draw_picker(a, c, low);
    else if (c->focus == FOCUS_OPTION)
        costs_draw_option(a, c, low);
    else
        draw_chart(a, c, low);
    if (a->lay.has_side)
        draw_latency(a, c, bars);
    if (side_opt) {
        TuiDoc d = {0};
        option_doc(c, c->opt_sel, &d);
        char title[160];
        snprintf(title, sizeof title, "option %s", c->sc.options[c->opt_sel].id);
        tui_panel(a, title, &d, (Rect){opt.y + 1, opt.x, opt.h - 1, opt.w});
    }
}
