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
#include "tunepilot/report.h"
#include "tunepilot/series.h"

/* --- drawing ------------------------------------------------------------------------------ */

/* Text over up to `rows` rows of width w, cut at spaces where it can. */
void costs_draw_wrapped(TuiApp *a, int y, int x, int w, int rows, TuiRole role, const char *s) {
    for (int r = 0; r < rows && s && *s && w > 0; r++) {
        int len = (int)strlen(s);
        int take = len;
        if (len > w && r + 1 < rows) {
            take = w;
            while (take > w / 2 && s[take] != ' ')
                take--;
            if (s[take] != ' ')
                take = w;
        }
        char line[1024];
        snprintf(line, sizeof line, "%.*s", take, s);
        tui_text(a, y + r, x, w, role, false, line);
        s += take;
        while (*s == ' ')
            s++;
    }
}


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

/* The options table; a compact column set when the rect is narrow. */
static void draw_table(TuiApp *a, const CostsState *c, Rect r) {
    /* the id column as wide as the longest id (6..24) */
    int idw = 6;
    for (int i = 0, n = session_doc_n_options(c->doc); i < n; i++) {
        const char *id = session_option_id(c->doc, i);
        int l = id ? (int)strlen(id) : 0;
        if (l > idw)
            idw = l < 24 ? l : 24;
    }
    bool wide = r.w >= 72 + idw;
    char hdr[256];
    if (wide)
        snprintf(hdr, sizeof hdr, "%-*s %-13s %10s %10s %13s %7s %4s %4s %s", idw, "option",
                 "kind", "$/request", "$/day", "total", "p95 ms", "SLO", "rep", "feasible");
    else
        snprintf(hdr, sizeof hdr, "%-*s %10s %12s %7s %4s %s", idw, "option", "$/request",
                 "total", "p95 ms", "SLO", "feas.");
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, hdr);
    bool sel_on = c->focus != FOCUS_FORM;
    if (!c->have) {
        /* the options as the document holds them, so that they can still be fixed */
        int n = session_doc_n_options(c->doc), row = 1;
        for (int i = 0; i < n && row < r.h - 2; i++, row++) {
            const char *id = session_option_id(c->doc, i);
            int k = session_option_kind(c->doc, i);
            tui_textf(a, r.y + row, r.x, r.w,
                      sel_on && i == c->opt_sel ? ROLE_SELECTED : ROLE_NORMAL, "%-*.*s %s", idw,
                      idw, id ? id : "?", k >= 0 ? cost_option_kind_name((CostOptionKind)k) : "?");
        }
        if (!c->wizard) /* while the wizard asks, its editor line carries the message */
            costs_draw_wrapped(a, r.y + row, r.x, r.w, r.h - row, ROLE_BAD, c->error);
        return;
    }
    /* the cheapest feasible option: an infeasible one is never called cheapest */
    int best = cost_cheapest(&c->proj, true);
    for (int i = 0; i < c->proj.n_options && 1 + i < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        char cpr[32], day[32], tot[32], line[256];
        report_usd(o->cost_per_request_usd, cpr, sizeof cpr);
        report_usd(o->daily_cost_usd, day, sizeof day);
        report_usd(o->horizon_total_usd, tot, sizeof tot);
        char rep[8] = "-";
        if (o->replicas_at_peak > 0)
            snprintf(rep, sizeof rep, "%d", o->replicas_at_peak);
        const char *slo = !c->sc.has_slo ? "-" : o->slo_met ? "yes" : "NO";
        char feas[64] = "yes";
        if (!o->feasible) {
            snprintf(feas, sizeof feas, "NO:");
            for (int k = 0; k < COST_N_CHECKS; k++)
                if (o->checks[k].status == COST_FAIL) {
                    size_t n = strlen(feas);
                    snprintf(feas + n, sizeof feas - n, "%s%s", n > 3 ? "," : "",
                             cost_check_name((CostCheckId)k));
                }
        }
        if (wide)
            snprintf(line, sizeof line, "%-*.*s %-13s %10s %10s %13s %7.0f %4s %4s %s%s", idw,
                     idw, c->sc.options[i].id, cost_option_kind_name(c->sc.options[i].kind), cpr,
                     day, tot, o->latency_p95_ms, slo, rep, feas, i == best ? " cheapest" : "");
        else
            snprintf(line, sizeof line, "%-*.*s %10s %12s %7.0f %4s %s", idw, idw,
                     c->sc.options[i].id, cpr, tot, o->latency_p95_ms, slo, feas);
        TuiRole role = sel_on && i == c->opt_sel ? ROLE_SELECTED
                       : i == best               ? ROLE_GOOD
                       : !o->feasible            ? ROLE_BAD
                                                 : ROLE_NORMAL;
        tui_text(a, r.y + 1 + i, r.x, r.w, role, sel_on && i == c->opt_sel, line);
    }
    int row = 1 + c->proj.n_options;
    if (row < r.h) {
        if (best >= 0) {
            char tot[32];
            report_usd(c->proj.options[best].horizon_total_usd, tot, sizeof tot);
            tui_textf(a, r.y + row++, r.x, r.w, ROLE_GOOD,
                      "cheapest feasible over %d months: %s (%s)", c->proj.horizon_months,
                      c->sc.options[best].id, tot);
        } else {
            tui_text(a, r.y + row++, r.x, r.w, ROLE_BAD, false,
                     "no option is feasible: none is called cheapest");
        }
    }
    /* why the infeasible ones fail, and lifecycle warnings */
    for (int i = 0; i < c->proj.n_options && row < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        for (int k = 0; k < COST_N_CHECKS && row < r.h; k++)
            if (o->checks[k].status == COST_FAIL)
                tui_textf(a, r.y + row++, r.x, r.w, ROLE_BAD, "%s: %s", c->sc.options[i].id,
                          o->checks[k].reason);
        for (int w = 0; w < o->n_warnings && row < r.h; w++)
            tui_textf(a, r.y + row++, r.x, r.w, ROLE_DIM, "%s: %s", c->sc.options[i].id,
                      o->warnings[w]);
    }
    if (c->proj.uncertain && row < r.h)
        tui_textf(a, r.y + row, r.x, r.w, ROLE_DIM,
                  "ranges: %d Monte Carlo draws (tunepilot cost --format json for P10/P50/P90)",
                  c->proj.draws);
}

/* The two lines under the form and the table: a question, the editor with
 * the unit and its message, or what the selected field is. */

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
    Rect form = {b.y, b.x, TOP_H, 30 < b.w ? 30 : b.w};
    Rect table = {b.y, b.x + 31, TOP_H, b.w - 31};
    draw_form(a, c, form);
    draw_table(a, c, table);
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
        draw_latency(a, c, a->lay.side);
}

