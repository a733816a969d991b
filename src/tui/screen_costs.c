/* screen_costs.c - the scenario editor: workload figures on the left, the
 * options table, and cumulative cost by month with break-even markers,
 * recomputed on every keystroke. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/chart.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/limits.h"
#include "tunepilot/report.h"
#include "tunepilot/series.h"
#include "tunepilot/session.h"

typedef struct Field {
    const char *label, *key; /* key in $.workload, or "horizon_months" at the top */
    bool top;
} Field;

static const Field FIELDS[] = {
    {"requests/day", "requests_per_day", false}, {"input tokens", "input_tokens", false},
    {"output tokens", "output_tokens", false},   {"growth/month", "growth_per_month", false},
    {"peak factor", "peak_factor", false},       {"latency SLO ms", "latency_slo_ms", false},
    {"horizon months", "horizon_months", true},
};
#define N_FIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

typedef struct CostsState {
    struct cJSON *doc; /* the scenario being edited */
    char name[128];
    int field;     /* selected workload field */
    char edit[32]; /* text being typed into it */
    bool editing;
    CostScenario sc;
    CostProjection proj;
    bool have; /* sc and proj valid */
    char error[512];
    int64_t saved_id;
    int example_index; /* the bundled example shown last (e) */
} CostsState;

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a workload figure"},
    {"Enter", "edit it: the table and the chart recompute as you type; Enter applies"},
    {"Esc", "stop editing"},
    {"e", "the next bundled example scenario"},
    {"s", "save the scenario (listed in History)"},
    {"m", "use the newest pilot run's measured training time"},
    {NULL, NULL},
};

static cJSON *field_item(cJSON *doc, const Field *f) {
    cJSON *parent = f->top ? doc : cJSON_GetObjectItemCaseSensitive(doc, "workload");
    return parent ? cJSON_GetObjectItemCaseSensitive(parent, f->key) : NULL;
}

static void field_text(cJSON *doc, const Field *f, char *out, size_t size) {
    cJSON *it = field_item(doc, f);
    if (cJSON_IsNumber(it))
        snprintf(out, size, "%g", it->valuedouble);
    else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2)
        snprintf(out, size, "%g-%g", cJSON_GetArrayItem(it, 0)->valuedouble,
                 cJSON_GetArrayItem(it, 1)->valuedouble);
    else
        snprintf(out, size, "-");
}

/* Parses and projects the document, then publishes it to the other screens. */
static void recompute(TuiApp *a, CostsState *c) {
    if (c->have) {
        cost_projection_free(&c->proj);
        cost_scenario_free(&c->sc);
        c->have = false;
    }
    c->error[0] = '\0';
    if (!c->doc) {
        tui_scenario_publish(a, NULL, c->name, NULL, NULL);
        return;
    }
    char *text = cJSON_PrintUnformatted(c->doc);
    TpError err = {0};
    char today[11];
    TpStatus st = session_today(today, &err);
    if (st == TP_OK)
        st = session_scenario_parse(a->store, text, strlen(text), c->name, &a->pricing, today,
                                    &c->sc, &err);
    if (st == TP_OK) {
        st = cost_project(&c->sc, &c->proj, &err);
        if (st == TP_OK)
            c->have = true;
        else
            cost_scenario_free(&c->sc);
    }
    if (st != TP_OK)
        snprintf(c->error, sizeof c->error, "%s", err.msg);
    free(text);
    tui_scenario_publish(a, c->doc, c->name, c->have ? &c->sc : NULL,
                         c->have ? &c->proj : NULL);
}

static void load_doc(TuiApp *a, CostsState *c, const char *json, const char *name,
                     int64_t saved_id) {
    cJSON *doc = cJSON_Parse(json);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "cannot read scenario %s", name);
        return;
    }
    cJSON_Delete(c->doc);
    c->doc = doc;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->saved_id = saved_id;
    c->editing = false;
    recompute(a, c);
}

static void load_example(TuiApp *a, CostsState *c, int i) {
    const char *n = tp_asset_name("assets/scenarios/", i);
    if (!n) {
        i = 0;
        n = tp_asset_name("assets/scenarios/", 0);
    }
    if (!n)
        return;
    c->example_index = i;
    size_t len;
    const char *data = tp_asset_get(n, &len);
    load_doc(a, c, data, n + strlen("assets/scenarios/"), 0);
}

static void *costs_open(TuiApp *a) {
    CostsState *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (a->opt.scenario) {
        /* the whole file up to the scenario limit (limits.h); past it, a message and the
         * bundled example instead of a silently cut document */
        char *buf = NULL;
        size_t n = 0;
        TpError err = {0};
        if (tp_file_read(a->opt.scenario, TP_MAX_SCENARIO_BYTES, &buf, &n, &err) == TP_OK && n) {
            load_doc(a, c, buf, a->opt.scenario, 0);
            free(buf);
            return c;
        }
        free(buf);
        snprintf(a->message, sizeof a->message, "%s", err.msg[0] ? err.msg : "empty scenario file");
    }
    load_example(a, c, 0); /* ticket-triage first (names sort) */
    for (int i = 0; tp_asset_name("assets/scenarios/", i); i++)
        if (strstr(tp_asset_name("assets/scenarios/", i), "ticket-triage"))
            load_example(a, c, i);
    return c;
}

static void costs_close(TuiApp *a, void *self) {
    CostsState *c = self;
    if (!c)
        return;
    a->scenario = (TuiScenario){0}; /* nobody reads it after this */
    if (c->have) {
        cost_projection_free(&c->proj);
        cost_scenario_free(&c->sc);
    }
    cJSON_Delete(c->doc);
    free(c);
}

/* A saved scenario (History's Enter) or a document (a reopened decision's). */
static int costs_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    CostsState *c = self;
    switch (ev->kind) {
    case TUI_EV_PRICES_CHANGED:
        recompute(a, c);
        return TUI_NONE;
    case TUI_EV_LOAD_SCENARIO:
        if (ev->json)
            load_doc(a, c, ev->json, ev->name, 0);
        return TUI_NONE;
    case TUI_EV_OPEN_SCENARIO: {
        TpError err = {0};
        char *doc = NULL;
        StoreScenarioInfo info;
        int r = TUI_NONE;
        if (!a->store) {
            snprintf(a->message, sizeof a->message, "database unavailable: %s", a->store_error);
        } else if (store_scenario_get(a->store, ev->id, &info, &doc, &err) == TP_OK) {
            load_doc(a, c, doc, info.name, info.id);
            r = TUI_FOCUS;
        } else {
            snprintf(a->message, sizeof a->message, "%s", err.msg);
        }
        free(doc);
        return r;
    }
    default:
        return TUI_NONE;
    }
}

static void costs_report(TuiApp *a, void *self) {
    CostsState *c = self;
    tui_export_cost(a, c->have ? &c->sc : NULL, c->have ? &c->proj : NULL);
}

/* Applies the edit buffer to the selected field (if it parses). */
static void apply_edit(TuiApp *a, CostsState *c) {
    char *end;
    double v = strtod(c->edit, &end);
    if (!c->edit[0] || *end)
        return;
    const Field *f = &FIELDS[c->field];
    cJSON *parent = f->top ? c->doc : cJSON_GetObjectItemCaseSensitive(c->doc, "workload");
    if (!parent)
        return;
    if (cJSON_GetObjectItemCaseSensitive(parent, f->key))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, f->key, cJSON_CreateNumber(v));
    else
        cJSON_AddNumberToObject(parent, f->key, v);
    recompute(a, c);
}

static void save(TuiApp *a, CostsState *c) {
    if (!a->store) {
        snprintf(a->message, sizeof a->message, "not saved: database unavailable");
        return;
    }
    if (!c->have) {
        snprintf(a->message, sizeof a->message, "not saved: the scenario is invalid");
        return;
    }
    TpError err = {0};
    char *doc = cJSON_PrintUnformatted(c->doc);
    ReportPricing rp = {a->pricing.snapshot_id, a->pricing.snapshot_label,
                        a->pricing.snapshot_as_of};
    cJSON *pj = report_cost_json(&c->sc, &c->proj, &rp);
    char *proj = cJSON_PrintUnformatted(pj);
    int64_t id = 0;
    TpStatus st = store_scenario_save(a->store, c->sc.name, doc, &id, &err);
    if (st == TP_OK)
        st = store_projection_save(a->store, id, a->pricing.snapshot_id, c->sc.seed, proj, NULL,
                                   &err);
    if (st == TP_OK) {
        c->saved_id = id;
        tui_post(a, TUI_EV_STORE_CHANGED, id, NULL, NULL);
        snprintf(a->message, sizeof a->message, "saved as scenario %lld", (long long)id);
    } else {
        snprintf(a->message, sizeof a->message, "not saved: %s", err.msg);
    }
    free(doc);
    free(proj);
    cJSON_Delete(pj);
}

/* Evidence from a pilot: the newest finished run's measured throughput,
 * scaled to each self-hosted option's training GPU (the run's full-run
 * estimate), becomes that option's train_gpu_hours, marked measured. */
static void use_measured(TuiApp *a, CostsState *c) {
    SessionEvidence ev;
    TpError err = {0};
    if (session_evidence_load(a->store, 0, &ev, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    int changed = session_evidence_apply(&ev, c->doc);
    recompute(a, c);
    if (changed)
        snprintf(a->message, sizeof a->message,
                 "training time of %d self-hosted option(s) measured by pilot run %lld", changed,
                 ev.run_id);
    else
        snprintf(a->message, sizeof a->message, "no self-hosted option to apply run %lld to",
                 ev.run_id);
}

static int costs_key(TuiApp *a, void *self, int ch) {
    CostsState *c = self;
    if (!c->editing && (ch == '\n' || ch == KEY_ENTER)) {
        c->editing = true; /* digits now go to the field, not to the tabs */
        c->edit[0] = '\0';
        return TUI_REDRAW;
    }
    if (c->editing && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-')) {
        size_t n = strlen(c->edit);
        if (n + 1 < sizeof c->edit) {
            c->edit[n] = (char)ch;
            c->edit[n + 1] = '\0';
        }
        apply_edit(a, c); /* live: recompute as the user types */
        return TUI_REDRAW;
    }
    if (c->editing) {
        switch (ch) {
        case KEY_BACKSPACE:
        case 127:
        case 8: {
            size_t n = strlen(c->edit);
            if (n)
                c->edit[n - 1] = '\0';
            apply_edit(a, c);
            return TUI_REDRAW;
        }
        case '\n':
        case KEY_ENTER:
            apply_edit(a, c);
            c->editing = false;
            return TUI_REDRAW;
        case 27:
            c->editing = false;
            return TUI_REDRAW;
        }
    }
    switch (ch) {
    case KEY_UP:
    case 'k':
        c->editing = false;
        c->field = (c->field + N_FIELDS - 1) % N_FIELDS;
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        c->editing = false;
        c->field = (c->field + 1) % N_FIELDS;
        return TUI_REDRAW;
    case 'e':
        load_example(a, c, c->example_index + 1);
        return TUI_REDRAW;
    case 's':
        save(a, c);
        return TUI_REDRAW;
    case 'm':
        use_measured(a, c);
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* --- drawing ------------------------------------------------------------------------------ */

static void draw_form(TuiApp *a, const CostsState *c, Rect r) {
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, "Workload");
    tui_text(a, r.y + 1, r.x, r.w, ROLE_DIM, false, c->name);
    for (int i = 0; i < N_FIELDS && 3 + i < r.h; i++) {
        char val[64];
        if (i == c->field && c->editing)
            snprintf(val, sizeof val, "%s_", c->edit);
        else
            field_text(c->doc, &FIELDS[i], val, sizeof val);
        char line[128];
        snprintf(line, sizeof line, "%-15s %12s", FIELDS[i].label, val);
        tui_text(a, r.y + 3 + i, r.x, r.w, i == c->field ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
}

/* The options table; a compact column set when the rect is narrow. */
static void draw_table(TuiApp *a, const CostsState *c, Rect r) {
    bool wide = r.w >= 86;
    char hdr[256];
    if (wide)
        snprintf(hdr, sizeof hdr, "%-14s %-13s %10s %10s %13s %7s %4s %4s %s", "option", "kind",
                 "$/request", "$/day", "total", "p95 ms", "SLO", "rep", "feasible");
    else
        snprintf(hdr, sizeof hdr, "%-12s %10s %12s %7s %4s %s", "option", "$/request", "total",
                 "p95 ms", "SLO", "feas.");
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, hdr);
    if (!c->have) {
        tui_text(a, r.y + 2, r.x, r.w, ROLE_BAD, false, c->error);
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
            snprintf(line, sizeof line, "%-14.14s %-13s %10s %10s %13s %7.0f %4s %4s %s%s",
                     c->sc.options[i].id, cost_option_kind_name(c->sc.options[i].kind), cpr, day,
                     tot, o->latency_p95_ms, slo, rep, feas, i == best ? " cheapest" : "");
        else
            snprintf(line, sizeof line, "%-12.12s %10s %12s %7.0f %4s %s", c->sc.options[i].id, cpr,
                     tot, o->latency_p95_ms, slo, feas);
        TuiRole role = i == best ? ROLE_GOOD : !o->feasible ? ROLE_BAD : ROLE_NORMAL;
        tui_text(a, r.y + 1 + i, r.x, r.w, role, false, line);
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
    ChartOptions opt = {.ascii = a->ascii, .hline = NAN, .vlines = vl, .n_vlines = nv};
    ChartGrid g;
    Rect plot = {r.y + 1, r.x, r.h - 2, r.w};
    if (chart_render(s, n, plot.h, plot.w, &opt, &g) == 0 || g.cells) {
        tui_blit_chart(a, &g, plot);
        chart_grid_free(&g);
    }
    /* legend */
    int lx = r.x;
    for (int i = 0; i < n && lx < r.x + r.w; i++) {
        char item[64];
        snprintf(item, sizeof item, "%s%s ", a->ascii ? "*" : "\u2588", c->sc.options[i].id);
        tui_text(a, r.y + r.h - 1, lx, r.x + r.w - lx, (TuiRole)(ROLE_SERIES0 + i % 6), false,
                 item);
        lx += (int)strlen(c->sc.options[i].id) + 3;
    }
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

static void costs_draw(TuiApp *a, void *self) {
    const CostsState *c = self;
    Rect b = a->lay.body;
    Rect form = {b.y, b.x, 11, 30 < b.w ? 30 : b.w};
    Rect table = {b.y, b.x + 31, 11, b.w - 31};
    draw_form(a, c, form);
    draw_table(a, c, table);
    Rect chart = {b.y + 11, b.x, b.h - 11, b.w};
    draw_chart(a, c, chart);
    if (a->lay.has_side)
        draw_latency(a, c, a->lay.side);
}

static bool costs_typing(const void *self) {
    const CostsState *c = self;
    return c && c->editing;
}

const TuiScreenClass tui_costs_screen = {
    .name = "Costs",
    .keys = KEYS,
    .footer = "Up/Down field  Enter edit  e example  s save  m use the last pilot's training time",
    .open = costs_open,
    .close = costs_close,
    .draw = costs_draw,
    .key = costs_key,
    .notify = costs_notify,
    .typing = costs_typing,
    .report = costs_report,
};
