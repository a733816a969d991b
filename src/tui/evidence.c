/* evidence.c - question 2's evidence shared by the Evals and Decide
 * screens (evidence.h): the evaluated sets, the selected set's comparison,
 * the target typed on Decide, the measured answers and Decide's question 2
 * panel, all from the session layer. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/evidence.h"

static EvalsState *create(TuiApp *a) {
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

/* Returns whether what Decide uses changed. */
static bool load(TuiApp *a) {
    EvalsState *e = create(a);
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

EvalsState *evals_state(TuiApp *a) {
    EvalsState *e = create(a);
    if (e && !e->loaded && load(a))
        e->gen++;
    return e;
}

void evals_reload(TuiApp *a) {
    EvalsState *e = create(a);
    if (e && load(a))
        e->gen++;
}

unsigned evals_generation(TuiApp *a) {
    EvalsState *e = evals_state(a);
    return e ? e->gen : 0;
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
    EvalsState *e = evals_state(a);
    if (e && e->have_cmp)
        session_eval_answers(&e->cmp, &a->pricing, e->target, fw, all);
}

int evals_decide_key(TuiApp *a, int ch) {
    EvalsState *e = evals_state(a);
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
            e->gen++;
            snprintf(a->message, sizeof a->message, "question 2 target cleared");
        } else if (end == e->edit || *end || !(v >= 0 && v <= 1)) {
            snprintf(a->message, sizeof a->message,
                     "target: expected a score between 0 and 1 (e.g. 0.95), got %s", e->edit);
        } else {
            e->target = v;
            e->typing = false;
            e->gen++;
            snprintf(a->message, sizeof a->message, "question 2 target %.3f", v);
        }
    }
    return TUI_REDRAW; /* every key goes to the target while it is typed */
}

bool evals_typing(const TuiApp *a) { return a->evals && a->evals->typing; }

TuiRole evals_q2_role(EvalQuestion2 s) {
    return s == EVAL_Q2_GOOD_ENOUGH ? ROLE_GOOD : s == EVAL_Q2_FAILS ? ROLE_BAD : ROLE_NORMAL;
}

const char *evals_q2_title(EvalQuestion2 s) {
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
    EvalsState *e = evals_state(a);
    if (!e || !e->n_sets)
        return 2;
    return 9;
}

/* Question 2 on Decide: the best prompt variant's score with its interval
 * against the target, the variants tried against the rule, what that makes
 * of question 2, the local models, and where it all comes from. */
void evals_draw_question2(TuiApp *a, Rect r) {
    EvalsState *e = evals_state(a);
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
        const char *t = evals_q2_title(q.state);
        if (t && y < end)
            tui_text(a, y++, r.x, r.w, evals_q2_role(q.state), false, t);
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

