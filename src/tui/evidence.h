/* evidence.h - question 2's evidence in the workbench: the held-out sets
 * with `tunepilot eval` results, the selected one's comparison and the
 * target score, shared by the Evals screen (which lists and selects) and the
 * Decide screen (its question 2 panel and measured answers). Everything is
 * read through the session layer (session_eval_sets, session_eval_compare,
 * session_eval_question2, session_eval_answers). Private to the workbench. */
#ifndef TP_TUI_EVIDENCE_H
#define TP_TUI_EVIDENCE_H

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
    unsigned gen; /* changes whenever what Decide's answers depend on changes */
};

/* The state, created and loaded on first use (NULL only without memory). */
EvalsState *evals_state(TuiApp *a);
/* Reads the sets again (keeping the selected one by digest) and the selected
 * set's comparison; bumps gen when the evidence changed. */
void evals_reload(TuiApp *a);
TuiRole evals_q2_role(EvalQuestion2 s);
const char *evals_q2_title(EvalQuestion2 s);

#endif
