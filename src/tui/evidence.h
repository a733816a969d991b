/* evidence.h - question 2's evidence in the workbench: the held-out sets
 * with `tunepilot eval` results, the selected one's comparison and the
 * target score, shared by the Evals screen (which lists and selects) and the
 * Decide screen (its question 2 panel and measured answers). App-level
 * state (a->evals), like the published scenario: not a screen, so both
 * screens use it without calling each other. Everything is read through the
 * session layer (session_eval_sets, session_eval_compare,
 * session_eval_question2, session_eval_answers). Private to the workbench. */
#ifndef TP_TUI_EVIDENCE_H
#define TP_TUI_EVIDENCE_H

#include "tui/tui.h"
#include "tunepilot/session.h"

typedef struct EvalsState EvalsState;

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
    unsigned gen; /* changes whenever what Decide's answers depend on changes */
};

/* The state, created and loaded on first use (NULL only without memory). */
EvalsState *evals_state(TuiApp *a);
/* Reads the sets again (keeping the selected one by digest) and the selected
 * set's comparison; bumps gen when the evidence changed. */
void evals_reload(TuiApp *a);
TuiRole evals_q2_role(EvalQuestion2 s);
const char *evals_q2_title(EvalQuestion2 s);
/* Frees the state (the app, when it closes). */
void evals_close(TuiApp *a);

/* For Decide: the measured answers (frontier_fails, prompt_iterations) from
 * the selected set against the target typed with t; the key handler for t
 * and the target being typed (every key goes to it until Enter or Esc); the
 * rows the question 2 panel wants and the panel itself. */
struct DecideFramework;
struct DecideAnswers;
void evals_decide_answers(TuiApp *a, const struct DecideFramework *fw, struct DecideAnswers *all);
int evals_decide_key(TuiApp *a, int ch);
bool evals_typing(const TuiApp *a);
int evals_question2_rows(TuiApp *a);
/* Changes whenever the evidence or the target changes (Decide evaluates
 * again when it sees a new value). */
unsigned evals_generation(TuiApp *a);
void evals_draw_question2(TuiApp *a, Rect r);

#endif
