/* screen_history.c - saved scenarios (and their latest projection),
 * reopened in Costs with Enter. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/screen.h"
#include "tui/tui.h"

#include <cjson/cJSON.h>

typedef struct HistoryState {
    StoreScenarioInfo *scenarios;
    int n_scenarios;
    StoreDecision *decisions;
    int n_decisions;
    int sel, top;
    bool loaded;
} HistoryState;

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a saved scenario or decision"},
    {"Enter", "reopen it: a scenario in Costs, a decision in Decide"},
    {"g", "reload the lists from the database"},
    {NULL, NULL},
};

static void free_decisions(HistoryState *h) {
    for (int i = 0; i < h->n_decisions; i++)
        store_decision_free(&h->decisions[i]);
    free(h->decisions);
    h->decisions = NULL;
    h->n_decisions = 0;
}

/* Rows: the scenarios, then the decisions. */
static int n_rows(const HistoryState *h) { return h->n_scenarios + h->n_decisions; }

static void load(TuiApp *a, HistoryState *h) {
    free(h->scenarios);
    h->scenarios = NULL;
    h->n_scenarios = 0;
    free_decisions(h);
    h->loaded = true;
    if (!a->store)
        return;
    TpError err;
    if (store_scenario_list(a->store, &h->scenarios, &h->n_scenarios, &err) != TP_OK ||
        store_decision_list(a->store, &h->decisions, &h->n_decisions, &err) != TP_OK)
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    if (h->sel >= n_rows(h))
        h->sel = 0;
}

static void *history_open(TuiApp *a) {
    (void)a;
    return calloc(1, sizeof(HistoryState));
}

static void history_close(TuiApp *a, void *self) {
    (void)a;
    HistoryState *h = self;
    if (!h)
        return;
    free(h->scenarios);
    free_decisions(h);
    free(h);
}

static int history_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    (void)a;
    HistoryState *h = self;
    if (ev->kind == TUI_EV_STORE_CHANGED)
        h->loaded = false; /* reloaded when next shown */
    return TUI_NONE;
}

static int history_key(TuiApp *a, void *self, int ch) {
    HistoryState *h = self;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (h->sel > 0)
            h->sel--;
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        if (h->sel + 1 < n_rows(h))
            h->sel++;
        return TUI_REDRAW;
    case 'g':
        load(a, h);
        return TUI_REDRAW;
    case '\n':
    case KEY_ENTER: {
        /* the screen that shows it opens it and comes to the front */
        if (h->sel >= h->n_scenarios && h->sel < n_rows(h))
            tui_post(a, TUI_EV_OPEN_DECISION, h->decisions[h->sel - h->n_scenarios].id, NULL,
                     NULL);
        else if (h->n_scenarios)
            tui_post(a, TUI_EV_OPEN_SCENARIO, h->scenarios[h->sel].id, NULL, NULL);
        return TUI_REDRAW;
    }
    }
    return TUI_NONE;
}

static void history_draw(TuiApp *a, void *self) {
    HistoryState *h = self;
    if (!h->loaded)
        load(a, h);
    Rect b = a->lay.body;
    if (!a->store) {
        tui_textf(a, b.y, b.x, b.w, ROLE_BAD, "database unavailable: %s", a->store_error);
        return;
    }
    tui_text(a, b.y, b.x, b.w, ROLE_HEADER, false, "Saved scenarios (tunepilot scenarios list)");
    char hdr[160];
    snprintf(hdr, sizeof hdr, "%5s  %-20s  %11s  %s", "id", "updated", "projections", "name");
    tui_text(a, b.y + 2, b.x, b.w, ROLE_HEADER, false, hdr);
    if (!h->n_scenarios)
        tui_text(a, b.y + 3, b.x, b.w, ROLE_DIM, false,
                 "none yet: save one from Costs with s, or run tunepilot cost FILE");
    /* scenarios in the top part, decisions below; one selection across both */
    int half = (b.h - 4) / 2, y = b.y + 3;
    int top = h->sel < h->n_scenarios && h->sel >= half ? h->sel - half + 1 : 0;
    for (int r = 0; r < half && top + r < h->n_scenarios; r++) {
        const StoreScenarioInfo *s = &h->scenarios[top + r];
        char line[400];
        snprintf(line, sizeof line, "%5lld  %-20s  %11d  %s", (long long)s->id, s->updated_at,
                 s->n_projections, s->name);
        tui_text(a, y + r, b.x, b.w, top + r == h->sel ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
    y += half + 1;
    tui_text(a, y++, b.x, b.w, ROLE_HEADER, false, "Saved decisions (tunepilot decide --review ID)");
    if (!h->n_decisions)
        tui_text(a, y, b.x, b.w, ROLE_DIM, false, "none yet: save one from Decide with w");
    int rows = b.y + b.h - y, dsel = h->sel - h->n_scenarios;
    int dtop = dsel >= rows ? dsel - rows + 1 : 0;
    for (int r = 0; r < rows && dtop + r < h->n_decisions; r++) {
        const StoreDecision *d = &h->decisions[dtop + r];
        cJSON *res = cJSON_Parse(d->result ? d->result : "{}");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, "verdict_title");
        char line[600];
        snprintf(line, sizeof line, "%5lld  %-20s  %-15s  %s", (long long)d->id, d->created_at,
                 d->framework, cJSON_IsString(v) ? v->valuestring : "");
        cJSON_Delete(res);
        tui_text(a, y + r, b.x, b.w, dtop + r == dsel ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
}

const TuiScreenClass tui_history_screen = {
    .name = "History",
    .keys = KEYS,
    .footer = "Up/Down pick  Enter reopen (scenario in Costs, decision in Decide)  g reload",
    .open = history_open,
    .close = history_close,
    .draw = history_draw,
    .key = history_key,
    .notify = history_notify,
};
