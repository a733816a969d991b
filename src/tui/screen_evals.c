/* screen_evals.c - `tunepilot eval` results in the workbench: the held-out
 * sets that have evaluations, and the selected one's comparison side by side
 * (frontier models with their prompt variants, the pilot's base and tuned
 * local models: score with its 95% interval, cost per 1,000 requests, p95
 * latency), with question 2 judged from it. The selected set is the evidence
 * the Decide screen uses for question 2 (its panel, and the measured answers
 * once a target is typed there with t). Every figure comes from the session
 * layer (session_eval_sets, session_eval_compare, session_eval_question2),
 * the same functions `eval list`, `eval compare`, `review` and `decide
 * --eval-target` use. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "tunepilot/session.h"

struct EvalsState {
    StoreEvalSet *sets;
    int n_sets, sel, top;
    bool loaded;
    SessionEvalComparison cmp; /* of sets[sel] */
    bool have_cmp;
    char error[512];
    double target; /* question 2's target score, typed on Decide; NAN: none */
    bool typing;
    char edit[16];
};

const char *evals_keys(void) {
    return "Up/Down set  r reload  (t on Decide sets the target score)";
}

static EvalsState *state(TuiApp *a) {
    if (!a->evals) {
        a->evals = calloc(1, sizeof *a->evals);
        if (a->evals)
            a->evals->target = NAN;
    }
    return a->evals;
}

static void free_data(EvalsState *e) {
    free(e->sets);
    e->sets = NULL;
    e->n_sets = 0;
    session_eval_compare_free(&e->cmp);
    e->have_cmp = false;
}

/* Reads the sets again (keeping the selected one by digest) and the
 * selected set's comparison. Returns whether what Decide uses changed. */
static bool reload(TuiApp *a) {
    EvalsState *e = state(a);
    if (!e)
        return false;
    char keep[32];
    snprintf(keep, sizeof keep, "%s", e->n_sets ? e->sets[e->sel].set_digest : "");
    int before_rows = e->have_cmp ? e->cmp.n_rows : -1;
    free_data(e);
    e->loaded = true;
    e->error[0] = '\0';
    e->sel = 0;
    if (!a->store) {
        snprintf(e->error, sizeof e->error, "database unavailable: %s", a->store_error);
        return before_rows != -1;
    }
    TpError err = {0};
    if (session_eval_sets(a->store, &e->sets, &e->n_sets, &err) != TP_OK) {
        snprintf(e->error, sizeof e->error, "%s", err.msg);
        return before_rows != -1;
    }
    for (int i = 0; i < e->n_sets; i++)
        if (!strcmp(e->sets[i].set_digest, keep))
            e->sel = i;
    if (e->sel < e->top)
        e->top = e->sel;
    if (e->n_sets) {
        const StoreEvalSet *s = &e->sets[e->sel];
        if (session_eval_compare(a->store, s->set_digest, s->run_id, &e->cmp, &err) == TP_OK)
            e->have_cmp = true;
        else
            snprintf(e->error, sizeof e->error, "%s", err.msg);
    }
    return strcmp(keep, e->n_sets ? e->sets[e->sel].set_digest : "") ||
           (e->have_cmp ? e->cmp.n_rows : -1) != before_rows;
}

static EvalsState *loaded(TuiApp *a) {
    EvalsState *e = state(a);
    if (e && !e->loaded)
        reload(a);
    return e;
}

void evals_close(TuiApp *a) {
    if (!a->evals)
        return;
    free_data(a->evals);
    free(a->evals);
    a->evals = NULL;
}

/* --- what Decide uses ------------------------------------------------------------------ */

void evals_decide_answers(TuiApp *a, const DecideFramework *fw, DecideAnswers *all) {
    EvalsState *e = loaded(a);
    if (e && e->have_cmp)
        session_eval_answers(&e->cmp, &a->pricing, e->target, fw, all);
}

int evals_decide_key(TuiApp *a, int ch) {
    EvalsState *e = loaded(a);
    if (!e)
        return TUI_NONE;
    if (!e->typing) {
        if (ch != 't')
            return TUI_NONE;
        e->typing = true;
        e->edit[0] = '\0';
        return TUI_REDRAW;
    }
    size_t n = strlen(e->edit);
    if ((ch >= '0' && ch <= '9') || ch == '.') {
        if (n + 1 < sizeof e->edit) {
            e->edit[n] = (char)ch;
            e->edit[n + 1] = '\0';
        }
    } else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n) {
        e->edit[n - 1] = '\0';
    } else if (ch == 27) { /* Esc */
        e->typing = false;
    } else if (ch == '\n' || ch == KEY_ENTER) {
        char *end = NULL;
        double v = strtod(e->edit, &end);
        if (!e->edit[0]) { /* an empty target clears it */
            e->target = NAN;
            e->typing = false;
            decide_reprice(a);
            snprintf(a->message, sizeof a->message, "question 2 target cleared");
        } else if (end == e->edit || *end || !(v >= 0 && v <= 1)) {
            snprintf(a->message, sizeof a->message,
                     "target: expected a score between 0 and 1 (e.g. 0.95), got %s", e->edit);
        } else {
            e->target = v;
            e->typing = false;
            decide_reprice(a);
            snprintf(a->message, sizeof a->message, "question 2 target %.3f", v);
        }
    }
    return TUI_REDRAW; /* every key goes to the target while it is typed */
}

bool evals_typing(const TuiApp *a) { return a->evals && a->evals->typing; }

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

static TuiRole q2_role(EvalQuestion2 s) {
    return s == EVAL_Q2_GOOD_ENOUGH ? ROLE_GOOD : s == EVAL_Q2_FAILS ? ROLE_BAD : ROLE_NORMAL;
}

static const char *q2_title(EvalQuestion2 s) {
    switch (s) {
    case EVAL_Q2_GOOD_ENOUGH:
        return "=> the frontier is good enough";
    case EVAL_Q2_KEEP_PROMPTING:
        return "=> keep prompting";
    case EVAL_Q2_FAILS:
        return "=> the frontier fails";
    default:
        return NULL;
    }
}

int evals_question2_rows(TuiApp *a) {
    EvalsState *e = loaded(a);
    if (!e || !e->n_sets)
        return 2;
    return 9;
}

/* Question 2 on Decide: the best prompt variant's score with its interval
 * against the target, the variants tried against the rule, what that makes
 * of question 2, the local models, and where it all comes from. */
void evals_draw_question2(TuiApp *a, Rect r) {
    EvalsState *e = loaded(a);
    if (!e || r.h <= 0 || r.w <= 0)
        return;
    int y = r.y, end = r.y + r.h;
    if (e->typing)
        tui_textf(a, y++, r.x, r.w, ROLE_SELECTED, "target score (0..1): %s_", e->edit);
    else
        tui_text(a, y++, r.x, r.w, ROLE_HEADER, false, "Question 2 measured (tunepilot eval)");
    if (!e->n_sets || !e->have_cmp) {
        tui_text(a, y++, r.x, r.w, e->error[0] ? ROLE_BAD : ROLE_DIM, false,
                 e->error[0] ? e->error : "no evaluations yet: tunepilot eval --run ID --url URL");
        return;
    }
    SessionQuestion2 q;
    session_eval_question2(&e->cmp, &a->pricing, e->target, &q);
    const EvalEvidence *ev = &e->cmp.evidence;
    if (e->cmp.have_evidence && ev->n_variants > 0 && isfinite(ev->best_score)) {
        if (y < end)
            tui_textf(a, y++, r.x, r.w, ROLE_NORMAL, "best prompt: %s (%s)", ev->best_variant,
                      ev->best_model);
        if (y < end)
            tui_textf(a, y++, r.x + 2, r.w - 2, ROLE_NORMAL, "%s %.3f [%.3f, %.3f]", ev->metric,
                      ev->best_score, ev->best_lo, ev->best_hi);
        if (y < end) {
            if (isfinite(q.target))
                tui_textf(a, y++, r.x, r.w, ROLE_NORMAL, "target: %.3f (t changes it)", q.target);
            else
                tui_text(a, y++, r.x, r.w, ROLE_DIM, false, "target: none (t sets one)");
        }
        if (y < end)
            tui_textf(a, y++, r.x, r.w, ev->n_variants >= q.rule_variants ? ROLE_NORMAL : ROLE_DIM,
                      "variants tried: %d of the rule's %g", ev->n_variants, q.rule_variants);
        const char *t = q2_title(q.state);
        if (t && y < end)
            tui_text(a, y++, r.x, r.w, q2_role(q.state), false, t);
    } else if (y < end) {
        tui_text(a, y++, r.x, r.w, ROLE_DIM, false, "no frontier prompt variant scored yet");
    }
    if ((isfinite(ev->base_score) || isfinite(ev->tuned_score)) && y < end)
        tui_textf(a, y++, r.x, r.w, ROLE_NORMAL, "local: base %.3f -> tuned %.3f", ev->base_score,
                  ev->tuned_score);
    if (y < end)
        tui_textf(a, y++, r.x, r.w, ROLE_DIM, "from: %s, %d result%s (7 Evals)", e->cmp.source,
                  e->cmp.n_rows, e->cmp.n_rows == 1 ? "" : "s");
    if (y < end && q.rule_source)
        tui_textf(a, y++, r.x, r.w, ROLE_DIM, "rule as of %s: %s", q.rule_as_of ? q.rule_as_of : "-",
                  q.rule_source);
}

/* --- the Evals screen ------------------------------------------------------------------ */

int evals_key(TuiApp *a, int ch) {
    EvalsState *e = loaded(a);
    if (!e)
        return TUI_NONE;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (e->sel > 0) {
            e->sel--;
            if (reload(a))
                decide_reprice(a);
        }
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        if (e->sel + 1 < e->n_sets) {
            e->sel++;
            if (reload(a))
                decide_reprice(a);
        }
        return TUI_REDRAW;
    case 'r':
        if (reload(a))
            decide_reprice(a);
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
    int wc = 11, wl = 9, ws = 31, wn = r.w - wc - wl - ws - 3;
    if (wn < 16) {
        ws = 29;
        wn = r.w - wc - wl - ws - 3;
    }
    tui_textf(a, y++, r.x, r.w, ROLE_HEADER, "Side by side on %s", c->source);
    tui_textf(a, y++, r.x, r.w, ROLE_HEADER, "%-*.*s %-*s %*s %*s", wn, wn, "model, prompt", ws,
              "score [95% interval]", wc, "per 1k req.", wl, "p95");
    int room = end - y;
    int shown = c->n_rows <= room ? c->n_rows : room - 1;
    for (int i = 0; i < shown && y < end; i++) {
        const SessionEvalRow *x = &c->rows[i];
        char name[420], score[96], cost[32], lat[32];
        snprintf(name, sizeof name, "%s, %s", x->model, x->variant);
        if (isfinite(x->score))
            snprintf(score, sizeof score, "%s %.3f [%.3f, %.3f]", x->metric, x->score, x->lo,
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
    y = wrap(a, y, r, q2_role(q.state), q.text, 5);
    const EvalEvidence *ev = &e->cmp.evidence;
    if ((isfinite(ev->base_score) || isfinite(ev->tuned_score)) && y < r.y + r.h)
        tui_textf(a, y++, r.x, r.w, ROLE_NORMAL, "base local %.3f -> tuned local %.3f (%s)",
                  ev->base_score, ev->tuned_score, ev->metric);
    char cli[160];
    cli_line(e, cli, sizeof cli);
    if (y < r.y + r.h)
        tui_textf(a, y++, r.x, r.w, ROLE_DIM, "CLI: %s", cli);
}

void evals_draw(TuiApp *a) {
    if (reload(a)) /* the database is the source of truth: eval runs write it */
        decide_reprice(a);
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
    if (a->lay.has_side)
        summary = a->lay.side;
    else
        layout_split_v(rest, 7, 4, &table, &summary);
    draw_table(a, table);
    draw_summary(a, (Rect){summary.y + (a->lay.has_side ? 0 : 1), summary.x,
                           summary.h - (a->lay.has_side ? 0 : 1), summary.w});
}
