/* screen_history.c - saved scenarios (and their latest projection),
 * reopened in Costs with Enter. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

#include <cjson/cJSON.h>

const char *history_keys(void) {
    return "Up/Down pick  Enter reopen (scenario in Costs, decision in Decide)  g reload";
}

static void free_decisions(HistoryState *h) {
    for (int i = 0; i < h->n_decisions; i++)
        store_decision_free(&h->decisions[i]);
    free(h->decisions);
    h->decisions = NULL;
    h->n_decisions = 0;
}

/* Rows: the scenarios, then the decisions. */
static int n_rows(const HistoryState *h) { return h->n_scenarios + h->n_decisions; }

static void load(TuiApp *a) {
    HistoryState *h = &a->history;
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

void history_close(TuiApp *a) {
    free(a->history.scenarios);
    free_decisions(&a->history);
    memset(&a->history, 0, sizeof a->history);
}

int history_key(TuiApp *a, int ch) {
    HistoryState *h = &a->history;
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
        load(a);
        return TUI_REDRAW;
    case '\n':
    case KEY_ENTER: {
        if (h->sel >= h->n_scenarios && h->sel < n_rows(h)) {
            decide_load_saved(a, &h->decisions[h->sel - h->n_scenarios]);
            a->screen = SCREEN_DECIDE;
            return TUI_REDRAW;
        }
        if (!h->n_scenarios)
            return TUI_REDRAW;
        TpError err;
        char *doc = NULL;
        StoreScenarioInfo info;
        if (store_scenario_get(a->store, h->scenarios[h->sel].id, &info, &doc, &err) == TP_OK) {
            costs_load_doc(a, doc, info.name, info.id);
            a->screen = SCREEN_COSTS;
        } else {
            snprintf(a->message, sizeof a->message, "%s", err.msg);
        }
        free(doc);
        return TUI_REDRAW;
    }
    }
    return TUI_NONE;
}

void history_draw(TuiApp *a) {
    HistoryState *h = &a->history;
    if (!h->loaded)
        load(a);
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
