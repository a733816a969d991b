/* ui.c - what the app offers every screen: colour roles, clipped text,
 * chart cells, the event queue and the published scenario. Knows no
 * screen. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/chart.h"
#include "tui/field.h"
#include "tui/textfit.h"
#include "tui/tui.h"

int tui_attr(const TuiApp *a, TuiRole r) {
    if (a->mono) {
        switch (r) {
        case ROLE_TITLE:
        case ROLE_TAB_ACTIVE:
        case ROLE_STATUS:
        case ROLE_SELECTED:
            return A_REVERSE;
        case ROLE_HEADER:
            return A_BOLD | A_UNDERLINE;
        case ROLE_GOOD:
        case ROLE_REFLINE:
            return A_BOLD;
        case ROLE_BAD:
            return A_BOLD | A_UNDERLINE;
        case ROLE_DIM:
            return A_DIM;
        default:
            return A_NORMAL;
        }
    }
    return r == ROLE_NORMAL ? A_NORMAL : (int)COLOR_PAIR(r) | (r == ROLE_HEADER ? A_BOLD : 0);
}

void tui_text(const TuiApp *a, int y, int x, int w, TuiRole r, bool pad, const char *text) {
    if (w <= 0 || y < 0 || y >= a->rows || x >= a->cols)
        return;
    if (x + w > a->cols)
        w = a->cols - x;
    char buf[1024];
    text_fit(text, w, a->ascii, false, buf, sizeof buf);
    int attr = tui_attr(a, r);
    attron(attr);
    mvaddstr(y, x, buf);
    if (pad)
        for (int i = text_width(buf); i < w; i++)
            addch(' ');
    attroff(attr);
}

void tui_textf(const TuiApp *a, int y, int x, int w, TuiRole r, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tui_text(a, y, x, w, r, false, buf);
}

void tui_blit_chart(const TuiApp *a, const ChartGrid *g, Rect r) {
    for (int y = 0; y < g->rows && y < r.h; y++)
        for (int x = 0; x < g->cols && x < r.w; x++) {
            const ChartCell *c = &g->cells[y * g->cols + x];
            if (!c->glyph[0])
                continue;
            TuiRole role = c->style == -1   ? ROLE_DIM
                           : c->style == -2 ? ROLE_REFLINE
                                            : (TuiRole)(ROLE_SERIES0 + (c->style % 6));
            int attr = tui_attr(a, role);
            attron(attr);
            mvaddstr(r.y + y, r.x + x, c->glyph);
            attroff(attr);
        }
}

int tui_legend(const TuiApp *a, int y, int x, int w, const char *const *names, const int *styles,
               int n) {
    int lx = x;
    for (int i = 0; i < n && lx < x + w; i++) {
        const char *sign = a->mono ? chart_marker(styles[i]) : a->ascii ? "*" : "\u2588";
        char item[160];
        snprintf(item, sizeof item, "%s%s%s ", sign, a->mono ? " " : "", names[i]);
        tui_text(a, y, lx, x + w - lx, (TuiRole)(ROLE_SERIES0 + styles[i] % 6), false, item);
        lx += text_width(item) + 1;
    }
    return lx - x;
}

void tui_post(TuiApp *a, TuiEventKind kind, int64_t id, const char *json, const char *name) {
    if (a->n_events >= TUI_MAX_EVENTS) {
        snprintf(a->message, sizeof a->message, "too many updates at once: one was dropped");
        return;
    }
    TuiEvent *e = &a->events[a->n_events++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->id = id;
    e->json = json ? strdup(json) : NULL;
    snprintf(e->name, sizeof e->name, "%s", name ? name : "");
}

void tui_scenario_publish(TuiApp *a, const struct cJSON *doc, const char *name,
                          const CostScenario *sc, const CostProjection *proj) {
    a->scenario = (TuiScenario){doc, name, sc && proj ? sc : NULL, sc && proj ? proj : NULL};
    tui_post(a, TUI_EV_SCENARIO_CHANGED, 0, NULL, NULL);
}

void tui_redraw_now(TuiApp *a) {
    if (a->redraw)
        a->redraw(a);
}

int tui_field_code(int ch) {
    switch (ch) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        return FIELD_KEY_ENTER;
    case 27:
        return FIELD_KEY_ESCAPE;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        return FIELD_KEY_BACKSPACE;
    case KEY_DC:
        return FIELD_KEY_DELETE;
    case KEY_LEFT:
        return FIELD_KEY_LEFT;
    case KEY_RIGHT:
        return FIELD_KEY_RIGHT;
    case KEY_HOME:
        return FIELD_KEY_HOME;
    case KEY_END:
        return FIELD_KEY_END;
    case KEY_UP:
        return FIELD_KEY_UP;
    case KEY_DOWN:
        return FIELD_KEY_DOWN;
    case 21:
        return FIELD_KEY_CLEAR;
    }
    return ch >= 0x20 && ch <= 0xff && ch != 0x7f ? ch : FIELD_KEY_OTHER;
}
