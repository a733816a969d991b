/* screen_history.c - saved scenarios (and their latest projection),
 * reopened in Costs with Enter. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

const char *history_keys(void) { return "Up/Down pick  Enter open in Costs  g reload"; }

static void load(TuiApp *a) {
    HistoryState *h = &a->history;
    free(h->scenarios);
    h->scenarios = NULL;
    h->n_scenarios = 0;
    h->loaded = true;
    if (!a->store)
        return;
    TpError err;
    if (store_scenario_list(a->store, &h->scenarios, &h->n_scenarios, &err) != TP_OK)
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    if (h->sel >= h->n_scenarios)
        h->sel = 0;
}

void history_close(TuiApp *a) {
    free(a->history.scenarios);
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
        if (h->sel + 1 < h->n_scenarios)
            h->sel++;
        return TUI_REDRAW;
    case 'g':
        load(a);
        return TUI_REDRAW;
    case '\n':
    case KEY_ENTER: {
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
    int rows = b.h - 3;
    if (h->sel < h->top)
        h->top = h->sel;
    if (h->sel >= h->top + rows)
        h->top = h->sel - rows + 1;
    for (int r = 0; r < rows && h->top + r < h->n_scenarios; r++) {
        const StoreScenarioInfo *s = &h->scenarios[h->top + r];
        char line[400];
        snprintf(line, sizeof line, "%5lld  %-20s  %11d  %s", (long long)s->id, s->updated_at,
                 s->n_projections, s->name);
        tui_text(a, b.y + 3 + r, b.x, b.w, h->top + r == h->sel ? ROLE_SELECTED : ROLE_NORMAL,
                 true, line);
    }
}
