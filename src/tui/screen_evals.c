/* screen_evals.c - `tunepilot eval` results in the workbench: the held-out
 * sets that have evaluations, and the selected one's comparison side by side
 * (frontier models with their prompt variants, the pilot's base and tuned
 * local models: score with its 95% interval, cost per 1,000 requests, p95
 * latency), with question 2 judged from it. The selected set is the evidence
 * the Decide screen uses for question 2 (evidence.h). Every figure comes
 * from the session layer, the same functions `eval list`, `eval compare`,
 * `review` and `decide --eval-target` use. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/evidence.h"
#include "tui/screen.h"

/* The screen's own state is the app-level evidence (evidence.h): Decide
 * reads the same selection. */
static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick an evaluated held-out set: it becomes question 2's evidence on Decide"},
    {"r", "reload the sets and the comparison"},
    {"t (on Decide)", "type the target score question 2 is judged against"},
    {NULL, NULL},
};

/* The CLI command that shows the same comparison. */
static void cli_line(const EvalsState *e, char *out, size_t n) {
    const StoreEvalSet *s = &e->sets[e->sel];
    char tgt[32] = "";
    if (isfinite(e->target))
        snprintf(tgt, sizeof tgt, " --target %.3g", e->target);
    if (s->run_id > 0)
        snprintf(out, n, "tunepilot eval compare --run %lld%s", (long long)s->run_id, tgt);
    else
        snprintf(out, n, "tunepilot eval compare --set %s%s", s->set_digest, tgt);
}

/* Text wrapped at spaces into r from row y, at most max lines; returns the
 * next row. */
static int wrap(const TuiApp *a, int y, Rect r, TuiRole role, const char *text, int max) {
    const char *p = text;
    for (int k = 0; *p && k < max && y < r.y + r.h && r.w > 10; k++) {
        int len = (int)strlen(p), cut = len;
        if (len > r.w) {
            cut = r.w;
            while (cut > r.w / 2 && p[cut] != ' ')
                cut--;
            if (p[cut] != ' ')
                cut = r.w;
        }
        char line[1024];
        snprintf(line, sizeof line, "%.*s", cut, p);
        tui_text(a, y++, r.x, r.w, role, false, line);
        p += cut;
        while (*p == ' ')
            p++;
    }
    return y;
}

/* --- the Evals screen ------------------------------------------------------------------ */

static int evals_key(TuiApp *a, void *self, int ch) {
    (void)self;
    EvalsState *e = evals_state(a);
    if (!e)
        return TUI_NONE;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (e->sel > 0) {
            e->sel--;
            evals_reload(a);
        }
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        if (e->sel + 1 < e->n_sets) {
            e->sel++;
            evals_reload(a);
        }
        return TUI_REDRAW;
    case 'r':
        evals_reload(a);
        snprintf(a->message, sizeof a->message, "%d evaluated set%s", e->n_sets,
                 e->n_sets == 1 ? "" : "s");
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

static void draw_table(TuiApp *a, Rect r) {
    EvalsState *e = a->evals;
    const SessionEvalComparison *c = &e->cmp;
    int y = r.y, end = r.y + r.h;
    /* one metric for every row (the usual case: one set, one kind of reference):
     * named once in the header, so the names get the room */
    bool one = c->n_rows > 0;
    for (int i = 1; i < c->n_rows; i++)
        one = one && !strcmp(c->rows[i].metric, c->rows[0].metric);
    char head[64];
    snprintf(head, sizeof head, "%s [95%% interval]", one ? c->rows[0].metric : "score");
    int wc = 11, wl = 7, ws = one ? 24 : 32, wn = r.w - wc - wl - ws - 3;
    tui_textf(a, y++, r.x, r.w, ROLE_HEADER, "Side by side on %s", c->source);
    tui_textf(a, y++, r.x, r.w, ROLE_HEADER, "%-*.*s %-*s %*s %*s", wn, wn, "model, prompt", ws,
              head, wc, "per 1k req.", wl, "p95");
    int room = end - y;
    int shown = c->n_rows <= room ? c->n_rows : room - 1;
    for (int i = 0; i < shown && y < end; i++) {
        const SessionEvalRow *x = &c->rows[i];
        char name[420], score[96], cost[32], lat[32];
        snprintf(name, sizeof name, "%s, %s", x->model, x->variant);
        if (isfinite(x->score))
            snprintf(score, sizeof score, "%s%s%.3f [%.3f, %.3f]", one ? "" : x->metric,
                     one ? "" : " ", x->score, x->lo,
                     x->hi);
        else
            snprintf(score, sizeof score, "-");
        if (isfinite(x->usd_per_1k))
            snprintf(cost, sizeof cost, "$%.3f", x->usd_per_1k);
        else
            snprintf(cost, sizeof cost, "%s", x->local ? "(local)" : "-");
        if (isfinite(x->p95_ms))
            snprintf(lat, sizeof lat, "%.0f ms", x->p95_ms);
        else
            snprintf(lat, sizeof lat, "-");
        TuiRole role = x->local ? (strstr(x->variant, "tuned") ? ROLE_GOOD : ROLE_DIM)
                                : ROLE_NORMAL;
        tui_textf(a, y++, r.x, r.w, role, "%-*.*s %-*.*s %*s %*s", wn, wn, name, ws, ws, score,
                  wc, cost, wl, lat);
    }
    if (shown < c->n_rows && y < end)
        tui_textf(a, y++, r.x, r.w, ROLE_DIM, "(+%d more: tunepilot eval compare)",
                  c->n_rows - shown);
}

static void draw_summary(TuiApp *a, Rect r) {
    EvalsState *e = a->evals;
    int y = r.y;
    SessionQuestion2 q;
    session_eval_question2(&e->cmp, &a->pricing, e->target, &q);
    tui_text(a, y++, r.x, r.w, ROLE_HEADER, false, "Question 2: does the frontier fail?");
    y = wrap(a, y, r, evals_q2_role(q.state), q.text, 5);
    const EvalEvidence *ev = &e->cmp.evidence;
    if ((isfinite(ev->base_score) || isfinite(ev->tuned_score)) && y < r.y + r.h)
        tui_textf(a, y++, r.x, r.w, ROLE_NORMAL, "base local %.3f -> tuned local %.3f (%s)",
                  ev->base_score, ev->tuned_score, ev->metric);
    char cli[160];
    cli_line(e, cli, sizeof cli);
    if (y < r.y + r.h)
        tui_textf(a, y++, r.x, r.w, ROLE_DIM, "CLI: %s", cli);
}

static void evals_draw(TuiApp *a, void *self) {
    (void)self;
    evals_reload(a); /* the database is the source of truth: eval runs write it */
    EvalsState *e = a->evals;
    Rect b = a->lay.body;
    if (!e)
        return;
    if (!e->n_sets) {
        tui_text(a, b.y, b.x, b.w, e->error[0] ? ROLE_BAD : ROLE_NORMAL, false,
                 e->error[0] ? e->error : "no evaluations yet");
        tui_text(a, b.y + 2, b.x, b.w, ROLE_DIM, false,
                 "tunepilot eval --run ID --url URL --model NAME   a prompted frontier model");
        tui_text(a, b.y + 3, b.x, b.w, ROLE_DIM, false,
                 "tunepilot eval --run ID --local                  the pilot's base and tuned");
        return;
    }
    int list_rows = e->n_sets < 4 ? e->n_sets : 4;
    if (e->sel < e->top)
        e->top = e->sel;
    if (e->sel >= e->top + list_rows)
        e->top = e->sel - list_rows + 1;
    int y = b.y;
    tui_textf(a, y++, b.x, b.w, ROLE_HEADER, "%-*s %7s  %-20s", b.w - 31 > 10 ? b.w - 31 : 10,
              "evaluated held-out sets", "results", "newest");
    for (int i = e->top; i < e->top + list_rows && i < e->n_sets; i++) {
        const StoreEvalSet *s = &e->sets[i];
        int wn = b.w - 31 > 10 ? b.w - 31 : 10;
        tui_textf(a, y++, b.x, b.w, i == e->sel ? ROLE_SELECTED : ROLE_NORMAL, "%-*.*s %7d  %-20s",
                  wn, wn, s->source, s->n_results, s->newest);
    }
    y++;
    if (e->error[0])
        tui_text(a, y++, b.x, b.w, ROLE_BAD, false, e->error);
    if (!e->have_cmp)
        return;
    Rect rest = {y, b.x, b.y + b.h - y, b.w};
    Rect table = rest, summary;
    layout_split_v(rest, 7, 4, &table, &summary);
    draw_table(a, table);
    draw_summary(a, (Rect){summary.y + 1, summary.x, summary.h - 1, summary.w});
    if (a->lay.has_side) /* the panel Decide shows, for the selected set */
        evals_draw_question2(a, a->lay.side); /* the layout's gap before it */
}

const TuiScreenClass tui_evals_screen = {
    .name = "Evals",
    .keys = KEYS,
    .footer = "Up/Down set  r reload  (t on Decide sets the target score)",
    .draw = evals_draw,
    .key = evals_key,
};
