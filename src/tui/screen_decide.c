/* screen_decide.c - the decision walkthrough: one question at a time, back
 * and forward, answers computed from the Costs scenario on request (typed
 * answers override them), and a live verdict panel with its trace. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/evidence.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tunepilot/decide.h"
#include "tunepilot/session.h"

#include <cjson/cJSON.h>

typedef struct DecideState {
    DecideCatalogEntry *catalog;
    int n_catalog, current;
    DecideFramework fw;
    bool have_fw;
    DecideAnswers typed, computed, all;
    bool use_scenario;
    int q;         /* question shown */
    bool typing;   /* a number is being typed (Enter on a number question) */
    char edit[32]; /* the number typed so far */
    DecideResult result;
    bool have_result;
    int64_t saved_id;
    unsigned evals_gen; /* the evaluations' evidence the answers were made from */
} DecideState;

static const TuiKey KEYS[] = {
    {"y, n", "answer a yes/no question"},
    {"1-9", "pick a choice (on a choice question the digits choose; F2-F7 switch screens)"},
    {"Enter", "on a number question: type the number, Enter applies it, Esc clears it; "
              "1-6 switch screens when not typing"},
    {"Left/Right, b", "the previous or next question"},
    {"x", "clear this question's answer"},
    {"c", "computed answers from the Costs scenario on or off"},
    {"m", "measured: the newest pilot run answers frontier_fails"},
    {"t", "type question 2's target score (0..1), judged against the evaluations (Evals)"},
    {"f", "the next decision framework"},
    {"w", "save the decision (listed in History)"},
    {NULL, NULL},
};

/* The scenario Costs publishes, when computed answers are on and it is valid. */
static bool have_scenario(const TuiApp *a, const DecideState *d) {
    return d->use_scenario && a->scenario.sc && a->scenario.proj;
}

static void evaluate(TuiApp *a, DecideState *d) {
    if (d->have_result)
        decide_result_free(&d->result);
    d->have_result = false;
    if (!d->have_fw)
        return;
    decide_answers_free(&d->all);
    decide_answers_free(&d->computed);
    if (have_scenario(a, d)) {
        TpError err;
        if (session_decide_answers(&d->fw, a->scenario.sc, a->scenario.proj, &a->pricing, NULL, NULL,
                                   &d->computed, &err) != TP_OK)
            snprintf(a->message, sizeof a->message, "%s", err.msg);
    }
    /* computed (by the session's pipeline), measured from evaluations against the
     * target (Evals), then typed and measured-by-pilot over them */
    decide_answers_merge(&d->all, &d->computed);
    d->evals_gen = evals_generation(a);
    evals_decide_answers(a, &d->fw, &d->all);
    decide_answers_merge(&d->all, &d->typed);
    decide_answers_filter(&d->fw, &d->all);
    decide_evaluate(&d->fw, &d->all, &d->result);
    d->have_result = true;
}

static void load_framework(TuiApp *a, DecideState *d, int i) {
    if (d->have_fw)
        decide_framework_free(&d->fw);
    d->have_fw = false;
    decide_answers_free(&d->typed);
    d->q = 0;
    d->edit[0] = '\0';
    d->typing = false;
    if (i < 0 || i >= d->n_catalog)
        return;
    TpError err = {0};
    if (decide_framework_load(d->catalog[i].id, &a->pricing, &d->fw, &err) == TP_OK) {
        d->have_fw = true;
        d->current = i;
    } else {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    }
    evaluate(a, d);
}

static void *decide_open(TuiApp *a) {
    DecideState *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    TpError err = {0};
    if (decide_catalog_list(&d->catalog, &d->n_catalog, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return d;
    }
    int start = 0;
    for (int i = 0; i < d->n_catalog; i++)
        if (!strcmp(d->catalog[i].id, "five-questions"))
            start = i;
    load_framework(a, d, start);
    return d;
}

/* Reopens a saved decision: its framework and typed answers, and its
 * scenario (if any) in Costs with computed answers on. */
static void load_saved(TuiApp *a, DecideState *d, const StoreDecision *sd) {
    int idx = -1;
    for (int i = 0; i < d->n_catalog; i++)
        if (!strcmp(d->catalog[i].id, sd->framework))
            idx = i;
    if (idx < 0) {
        snprintf(a->message, sizeof a->message, "decision %lld: framework %s is not available",
                 (long long)sd->id, sd->framework);
        return;
    }
    if (sd->scenario && *sd->scenario) {
        char name[64];
        snprintf(name, sizeof name, "decision %lld", (long long)sd->id);
        tui_post(a, TUI_EV_LOAD_SCENARIO, 0, sd->scenario, name); /* Costs costs it */
    }
    load_framework(a, d, idx);
    if (!d->have_fw)
        return;
    cJSON *doc = cJSON_Parse(sd->answers ? sd->answers : "{}");
    TpError err = {0};
    if (doc && decide_answers_from_json(&d->fw, doc, "saved answers", &d->typed, &err) != TP_OK)
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    cJSON_Delete(doc);
    d->use_scenario = sd->scenario && *sd->scenario;
    d->saved_id = sd->id;
    evaluate(a, d);
    snprintf(a->message, sizeof a->message, "decision %lld reopened", (long long)sd->id);
}

static void decide_close(TuiApp *a, void *self) {
    (void)a;
    DecideState *d = self;
    if (!d)
        return;
    if (d->have_result)
        decide_result_free(&d->result);
    if (d->have_fw)
        decide_framework_free(&d->fw);
    decide_answers_free(&d->typed);
    decide_answers_free(&d->computed);
    decide_answers_free(&d->all);
    free(d->catalog);
    free(d);
}

static int decide_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    DecideState *d = self;
    switch (ev->kind) {
    case TUI_EV_PRICES_CHANGED:
        /* the rules of thumb come from the bundled rules file, which an
         * update does not change; the computed answers follow the scenario,
         * which Costs prices again and publishes */
        if (d->have_fw)
            evaluate(a, d);
        return TUI_NONE;
    case TUI_EV_SCENARIO_CHANGED:
        if (d->have_fw && d->use_scenario)
            evaluate(a, d);
        return TUI_NONE;
    case TUI_EV_OPEN_DECISION: {
        if (!a->store) {
            snprintf(a->message, sizeof a->message, "database unavailable: %s", a->store_error);
            return TUI_NONE;
        }
        StoreDecision sd;
        TpError err = {0};
        if (store_decision_get(a->store, ev->id, &sd, &err) != TP_OK) {
            snprintf(a->message, sizeof a->message, "%s", err.msg);
            return TUI_NONE;
        }
        load_saved(a, d, &sd);
        store_decision_free(&sd);
        return TUI_FOCUS;
    }
    default:
        return TUI_NONE;
    }
}

/* The decision's costs are the Costs screen's projection. */
static void decide_report(TuiApp *a, void *self) {
    (void)self;
    tui_export_cost(a, a->scenario.sc, a->scenario.proj);
}

/* After answering, show the question the engine wants next (or stay). */
static void advance(DecideState *d) {
    const DecideQuestion *next = decide_next_question(&d->fw, &d->all);
    if (next)
        d->q = decide_question_index(&d->fw, next->id);
    else if (d->q + 1 < d->fw.n_questions)
        d->q++;
}

static void save(TuiApp *a, DecideState *d) {
    if (!a->store || !d->have_result) {
        snprintf(a->message, sizeof a->message, "not saved: database unavailable");
        return;
    }
    cJSON *in = decide_answers_inputs_json(&d->typed),
          *res = decide_result_json(&d->fw, &d->all, &d->result);
    char *ins = cJSON_PrintUnformatted(in), *rs = cJSON_PrintUnformatted(res);
    char *scen =
        d->use_scenario && a->scenario.doc ? cJSON_PrintUnformatted(a->scenario.doc) : NULL;
    TpError err = {0};
    int64_t id;
    if (store_decision_save(a->store, d->fw.id, ins, scen, rs, &id, &err) == TP_OK) {
        d->saved_id = id;
        tui_post(a, TUI_EV_STORE_CHANGED, id, NULL, NULL);
        snprintf(a->message, sizeof a->message,
                 "saved as decision %lld (tunepilot decide "
                 "--review %lld)",
                 (long long)id, (long long)id);
    } else {
        snprintf(a->message, sizeof a->message, "not saved: %s", err.msg);
    }
    free(ins);
    free(rs);
    free(scen);
    cJSON_Delete(in);
    cJSON_Delete(res);
}

/* Evidence from a pilot: when the newest finished run's tuned model beats
 * its base by 20 points of exact match (or, without exact match, by a fifth
 * of the held-out loss), the base model fails at the task where a
 * fine-tune succeeds: frontier_fails is answered yes, marked measured. */
static void use_measured(TuiApp *a, DecideState *d) {
    SessionEvidence ev;
    TpError err = {0};
    if (session_evidence_load(a->store, 0, &ev, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    char detail[512];
    bool known;
    bool yes = session_evidence_helped(&ev, &a->pricing, &known, detail, sizeof detail);
    if (!known) {
        snprintf(a->message, sizeof a->message, "run %lld has no evaluation", ev.run_id);
        return;
    }
    if (!decide_find_question(&d->fw, "frontier_fails")) {
        snprintf(a->message, sizeof a->message, "this framework has no frontier_fails question");
        return;
    }
    decide_answers_set_yes_no(&d->typed, "frontier_fails", yes, DECIDE_ORIGIN_MEASURED, detail);
    evaluate(a, d);
    snprintf(a->message, sizeof a->message, "frontier_fails measured: %.200s", detail);
}

static int decide_key(TuiApp *a, void *self, int ch) {
    DecideState *d = self;
    int tr = d->have_fw ? evals_decide_key(a, ch) : TUI_NONE;
    if (tr != TUI_NONE)
        return tr;
    if (!d->have_fw)
        return ch == 'f' && d->n_catalog ? (load_framework(a, d, 0), TUI_REDRAW) : TUI_NONE;
    const DecideQuestion *q = &d->fw.questions[d->q];
    /* a number is typed after Enter, so that 1-6 switch screens otherwise;
     * while typing, every key goes to the answer (F2-F7 still switch) */
    if (q->type == DECIDE_Q_NUMBER && !d->typing && (ch == '\n' || ch == KEY_ENTER)) {
        d->typing = true;
        d->edit[0] = '\0';
        return TUI_REDRAW;
    }
    if (d->typing) {
        size_t n = strlen(d->edit);
        if ((ch >= '0' && ch <= '9') || ch == '.' || ch == ',' || ch == '-') {
            if (n + 1 < sizeof d->edit) {
                d->edit[n] = (char)ch;
                d->edit[n + 1] = '\0';
            }
        } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
            if (n)
                d->edit[n - 1] = '\0';
        } else if (ch == 27) { /* Escape clears what was typed */
            d->edit[0] = '\0';
            d->typing = false;
        } else if (ch == '\n' || ch == KEY_ENTER) {
            if (!d->edit[0]) {
                d->typing = false;
            } else if (decide_parse_typed(q, d->edit, &d->typed)) {
                d->edit[0] = '\0';
                d->typing = false;
                evaluate(a, d);
                advance(d);
            } else {
                snprintf(a->message, sizeof a->message, "%s: expected a number%s%s, not %s", q->id,
                         q->unit ? " in " : "", q->unit ? q->unit : "", d->edit);
            }
        } else if (ch >= KEY_F(2) && ch <= KEY_F(7)) {
            return TUI_NONE; /* screens */
        } else if (ch != KEY_LEFT && ch != KEY_RIGHT && ch != KEY_UP && ch != KEY_DOWN) {
            snprintf(a->message, sizeof a->message,
                     "typing a number: Enter applies it, Esc clears it");
        }
        if (ch != KEY_LEFT && ch != KEY_RIGHT && ch != KEY_UP && ch != KEY_DOWN)
            return TUI_REDRAW;
    }
    if (q->type == DECIDE_Q_YES_NO && (ch == 'y' || ch == 'n')) {
        decide_answers_set_yes_no(&d->typed, q->id, ch == 'y', DECIDE_ORIGIN_TYPED, NULL);
        evaluate(a, d);
        advance(d);
        return TUI_REDRAW;
    }
    if (q->type == DECIDE_Q_CHOICE && ch >= '1' && ch < '1' + q->n_choices && ch <= '9') {
        decide_answers_set_choice(&d->typed, q->id, q->choices[ch - '1'].id, DECIDE_ORIGIN_TYPED,
                                  NULL);
        evaluate(a, d);
        advance(d);
        return TUI_REDRAW;
    }
    switch (ch) {
    case KEY_LEFT:
    case KEY_UP:
    case 'b':
        if (d->q > 0)
            d->q--;
        d->edit[0] = '\0';
        d->typing = false;
        return TUI_REDRAW;
    case KEY_RIGHT:
    case KEY_DOWN:
        if (d->q + 1 < d->fw.n_questions)
            d->q++;
        d->edit[0] = '\0';
        d->typing = false;
        return TUI_REDRAW;
    case 'x': /* clear this answer */
        decide_answers_remove(&d->typed, q->id);
        evaluate(a, d);
        return TUI_REDRAW;
    case 'c':
        d->use_scenario = !d->use_scenario;
        if (d->use_scenario && !a->scenario.sc)
            snprintf(a->message, sizeof a->message, "no valid scenario in Costs to compute from");
        evaluate(a, d);
        return TUI_REDRAW;
    case 'f':
        load_framework(a, d, (d->current + 1) % d->n_catalog);
        return TUI_REDRAW;
    case 'w':
        save(a, d);
        return TUI_REDRAW;
    case 'm':
        use_measured(a, d);
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* The verdict, its reasons and the rules' trace: a panel that wraps and
 * scrolls (v shows it full-screen, y copies it, W writes it). */
static void draw_verdict(TuiApp *a, const DecideState *d, Rect r) {
    TuiDoc doc = {0};
    if (!d->have_result) {
        tui_panel(a, "Verdict", &doc, r);
        return;
    }
    const DecideResult *res = &d->result;
    /* the same feasibility check as `tunepilot decide` (session_verdict) */
    SessionVerdict sv;
    bool scen = have_scenario(a, d);
    session_verdict(res->verdict, scen ? a->scenario.sc : NULL, scen ? a->scenario.proj : NULL,
                    &sv);
    doc_add(&doc, sv.verdict == DECIDE_NOT_YET ? ROLE_DIM : ROLE_GOOD, 0, false,
            decide_verdict_title(sv.verdict));
    if (sv.note[0])
        doc_add(&doc, sv.changed ? ROLE_BAD : ROLE_DIM, 0, false, sv.note);
    if (res->explanation)
        doc_addf(&doc, ROLE_NORMAL, "%s%s", sv.changed ? "the rule said: " : "", res->explanation);
    if (res->method != DECIDE_METHOD_NONE && decide_verdict_is_fine_tune(sv.verdict)) {
        doc_addf(&doc, ROLE_GOOD, "method: %s", decide_method_name(res->method));
        if (res->method_why)
            doc_add(&doc, ROLE_NORMAL, 0, false, res->method_why);
    }
    if (res->n_missing) {
        char miss[1024] = "missing:";
        for (int i = 0; i < res->n_missing; i++) {
            size_t n = strlen(miss);
            snprintf(miss + n, sizeof miss - n, " %s", res->missing[i]);
        }
        doc_add(&doc, ROLE_BAD, 0, false, miss);
    }
    if (res->stage >= 0 && res->stage < d->fw.n_stages)
        doc_addf(&doc, ROLE_NORMAL, "stage: %s", d->fw.stages[res->stage].title);
    if (res->next_step)
        doc_addf(&doc, ROLE_NORMAL, "next: %s", res->next_step);
    doc_add(&doc, ROLE_NORMAL, 0, false, "");
    doc_add(&doc, ROLE_HEADER, 0, false, "Why (rules and the answers they used)");
    for (int i = 0; i < res->n_trace; i++) {
        const DecideTraceItem *t = &res->trace[i];
        if (t->fired != DECIDE_TRUE && !t->decided)
            continue;
        doc_addf(&doc, t->decided ? ROLE_GOOD : ROLE_NORMAL, "%s %s", t->decided ? "=>" : " +",
                 t->rule->id);
        for (int k = 0; k < t->n_because; k++)
            doc_add(&doc, ROLE_DIM, 3, false,
                    t->because[k].test ? t->because[k].test : t->because[k].id);
    }
    tui_panel(a, "Verdict", &doc, r);
}

static void decide_draw(TuiApp *a, void *self) {
    DecideState *d = self;
    if (d->have_fw && d->evals_gen != evals_generation(a))
        evaluate(a, d); /* new evaluations, another set picked in Evals, or a new target */
    Rect b = a->lay.body;
    if (!d->have_fw) {
        tui_text(a, b.y, b.x, b.w, ROLE_BAD, false, "no decision framework could be loaded");
        return;
    }
    Rect left = b, right = a->lay.side;
    if (!a->lay.has_side) {
        left.w = b.w / 2;
        right = (Rect){b.y, b.x + left.w + 1, b.h, b.w - left.w - 1};
    }
    /* the verdict first: it is the panel focused at first; question 2's
     * evidence under it */
    Rect verdict = right, q2;
    layout_split_v(right, evals_question2_rows(a), 12, &verdict, &q2);
    draw_verdict(a, d, verdict);
    /* the question and its answer first, then its help and where the idea
     * comes from: the panel scrolls when they do not fit */
    TuiDoc doc = {0};
    const DecideQuestion *q = &d->fw.questions[d->q];
    doc_addf(&doc, ROLE_SELECTED, "Q%d/%d  %s", d->q + 1, d->fw.n_questions, q->text);
    const DecideAnswer *ans = decide_answers_find(&d->all, q->id);
    char val[64];
    if (d->typing)
        doc_addf(&doc, ROLE_SELECTED, "answer: %s_  (Enter applies, Esc clears)", d->edit);
    else if (ans)
        doc_addf(&doc, ROLE_GOOD, "answer: %s (%s)%s%s",
                 decide_answer_value_str(ans, val, sizeof val), decide_origin_name(ans->origin),
                 ans->detail[0] ? ": " : "", ans->detail);
    else
        doc_addf(&doc, ROLE_DIM, "%s",
                 q->type == DECIDE_Q_YES_NO   ? "answer: y or n"
                 : q->type == DECIDE_Q_CHOICE ? "answer: the choice's number"
                                              : "answer: Enter, then type the number and Enter");
    if (q->type == DECIDE_Q_NUMBER && ans && !d->typing)
        doc_add(&doc, ROLE_DIM, 0, false, "Enter types another number");
    if (q->type == DECIDE_Q_CHOICE)
        for (int i = 0; i < q->n_choices; i++) {
            char line[512];
            snprintf(line, sizeof line, "%d  %s", i + 1, q->choices[i].label);
            doc_add(&doc, ROLE_NORMAL, 2, false, line);
        }
    if (q->help)
        doc_add(&doc, ROLE_NORMAL, 0, false, q->help);
    doc_add(&doc, ROLE_NORMAL, 0, false, "");
    doc_addf(&doc, d->use_scenario ? ROLE_GOOD : ROLE_DIM, "computed answers from Costs (%s): %s",
             a->scenario.name ? a->scenario.name : "none", d->use_scenario ? "on" : "off (c)");
    if (d->fw.source)
        doc_addf(&doc, ROLE_DIM, "idea: %s", d->fw.source);
    /* the answers: one row each under the question, as many as fit in a third */
    int list_h = d->fw.n_questions < left.h / 3 ? d->fw.n_questions : left.h / 3;
    Rect qr = {left.y, left.x, left.h - list_h - (list_h ? 1 : 0), left.w};
    int top = d->q >= list_h ? d->q - list_h + 1 : 0;
    for (int r = 0; r < list_h && top + r < d->fw.n_questions; r++) {
        int i = top + r;
        const DecideAnswer *x = decide_answers_find(&d->all, d->fw.questions[i].id);
        tui_textf(a, left.y + left.h - list_h + r, left.x, left.w,
                  i == d->q ? ROLE_SELECTED : ROLE_NORMAL, "%s %-26s %s", x ? "*" : " ",
                  d->fw.questions[i].id, x ? decide_answer_value_str(x, val, sizeof val) : "");
    }
    char title[256];
    snprintf(title, sizeof title, "%s (%d/%d frameworks: f)", d->fw.title, d->current + 1,
             d->n_catalog);
    tui_panel(a, title, &doc, qr);
    evals_draw_question2(a, q2);
}

/* A number or question 2's target being typed. */
static bool decide_typing(const TuiApp *a, const void *self) {
    const DecideState *d = self;
    return (d && d->typing) || evals_typing(a);
}

/* A choice question takes the digits of its choices. */
static bool decide_takes_digits(const TuiApp *a, const void *self) {
    (void)a;
    const DecideState *d = self;
    return d && d->have_fw && d->fw.questions[d->q].type == DECIDE_Q_CHOICE;
}

const TuiScreenClass tui_decide_screen = {
    .name = "Decide",
    .keys = KEYS,
    .footer = "y/n, choice 1-9, Enter types a number  Left/Right  c computed  m measured  "
              "t eval target  "
              "f framework  w save",
    .open = decide_open,
    .close = decide_close,
    .draw = decide_draw,
    .key = decide_key,
    .notify = decide_notify,
    .typing = decide_typing,
    .takes_digits = decide_takes_digits,
    .report = decide_report,
};
