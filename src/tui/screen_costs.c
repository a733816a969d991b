/* screen_costs.c - the scenario editor: the workload and scenario figures
 * on the left, the options table, and below either the cumulative cost by
 * month (with break-even markers) or the selected option's fields. Every
 * value goes through one field editor (field.h) and the session layer's
 * parser (session_edit.h); every change is checked by the cost engine's own
 * parser, so the messages are the CLI's. Unsaved edits are never dropped
 * without asking. This file holds the screen's class, its keys and its
 * questions; costs_int.h names the other parts. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/costs_int.h"
#include "tui/screen.h"
#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/limits.h"

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a figure, an option, or an option's field"},
    {"Left/Right", "the workload form or the options table"},
    {"Enter", "edit the figure (50k, 1.5M, 2e3, a range [low, high]); on an option: its fields"},
    {"  editing", "Enter applies, Esc restores the old value; no other key runs a command"},
    {"a", "add an option: its kind, then a model or GPU from the price tables"},
    {"d", "duplicate the selected option"},
    {"x, Delete", "remove the selected option (asks), or clear a field back to its default"},
    {"Esc", "back from an option's fields to the table"},
    {"s", "save: the scenario file (a new file for a bundled example) and History"},
    {"e", "the next bundled example (asks when edits are unsaved)"},
    {"m", "use the newest pilot run's measured training time"},
    {"v", "the verdict panel (cheapest feasible option, why the others fail, the selected "
          "option's checks, break-even and sources) full-screen; ] and [ focus the selected "
          "option's panel at 110 columns and more"},
    {"y, W", "copy the focused panel (OSC 52), write it to a text file"},
    {"Home/End, Shift-Up/Down", "scroll the focused panel (PgUp/PgDn move in the table)"},
    {NULL, NULL},
};

static void *costs_open(TuiApp *a) {
    CostsState *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (a->opt.scenario) {
        /* the whole file up to the scenario limit (limits.h); past it, a message and the
         * bundled example instead of a silently cut document */
        char *buf = NULL;
        size_t n = 0;
        TpError err = {0};
        if (tp_file_read(a->opt.scenario, TP_MAX_SCENARIO_BYTES, &buf, &n, &err) == TP_OK && n) {
            costs_load_doc(a, c, buf, a->opt.scenario, a->opt.scenario, 0);
            free(buf);
            if (c->doc)
                return c;
        } else {
            free(buf);
            snprintf(a->message, sizeof a->message, "%s",
                     err.msg[0] ? err.msg : "empty scenario file");
        }
    }
    costs_load_example(a, c, 0); /* ticket-triage first (names sort) */
    for (int i = 0; tp_asset_name("assets/scenarios/", i); i++)
        if (strstr(tp_asset_name("assets/scenarios/", i), "ticket-triage"))
            costs_load_example(a, c, i);
    return c;
}

static void costs_close(TuiApp *a, void *self) {
    CostsState *c = self;
    if (!c)
        return;
    a->scenario = (TuiScenario){0}; /* nobody reads it after this */
    costs_close_modes(c);
    costs_drop_projection(c);
    cJSON_Delete(c->doc);
    free(c->pending_json);
    free(c);
}

static void ask_unsaved(CostsState *c, Ask what, const char *then) {
    c->ask = what;
    snprintf(c->ask_text, sizeof c->ask_text,
             "%s has unsaved edits: s saves them and %s, d discards them and %s, Esc keeps "
             "editing",
             c->name, then, then);
}

/* A saved scenario (History's Enter) or a document (a reopened decision's):
 * over unsaved edits, it waits for an answer. */
static void open_or_ask(TuiApp *a, CostsState *c, const char *json, const char *name, int64_t id) {
    if (!c->dirty) {
        costs_load_doc(a, c, json, name, NULL, id);
        return;
    }
    free(c->pending_json);
    c->pending_json = strdup(json);
    snprintf(c->pending_name, sizeof c->pending_name, "%s", name);
    c->pending_id = id;
    field_end(&c->edit);
    picker_end(&c->pick);
    char then[200];
    snprintf(then, sizeof then, "opens %s", name);
    ask_unsaved(c, ASK_LOAD, then);
}

static int costs_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    CostsState *c = self;
    switch (ev->kind) {
    case TUI_EV_PRICES_CHANGED:
        costs_recompute(a, c);
        return TUI_NONE;
    case TUI_EV_LOAD_SCENARIO:
        if (ev->json) {
            open_or_ask(a, c, ev->json, ev->name, 0);
            return c->ask ? TUI_FOCUS : TUI_NONE;
        }
        return TUI_NONE;
    case TUI_EV_RESTORE_DRAFT: { /* unsaved again, to be saved where it was going */
        SessionDraft d;
        TpError err = {0};
        if (!ev->json || session_draft_parse(ev->json, ev->name, &d, &err) != TP_OK) {
            snprintf(a->message, sizeof a->message, "not restored: %s", err.msg);
            return TUI_NONE;
        }
        costs_load_doc(a, c, d.json, d.name, d.path[0] ? d.path : NULL, d.saved_id);
        c->dirty = true;
        char more[128] = "";
        if (ev->id > 0) /* other drafts wait: the next start offers them */
            snprintf(more, sizeof more, "; %lld more draft%s wait%s (tunepilot scenarios recover)",
                     (long long)ev->id, ev->id == 1 ? "" : "s", ev->id == 1 ? "s" : "");
        snprintf(a->message, sizeof a->message,
                 "restored the unsaved edits to %s (kept %s): s saves them%s", d.name,
                 d.written_at, more);
        session_draft_free(&d);
        return TUI_FOCUS;
    }
    case TUI_EV_OPEN_SCENARIO: {
        TpError err = {0};
        char *doc = NULL;
        StoreScenarioInfo info;
        int r = TUI_NONE;
        if (!a->store) {
            snprintf(a->message, sizeof a->message, "database unavailable: %s", a->store_error);
        } else if (store_scenario_get(a->store, ev->id, &info, &doc, &err) == TP_OK) {
            open_or_ask(a, c, doc, info.name, info.id);
            r = TUI_FOCUS;
        } else {
            snprintf(a->message, sizeof a->message, "%s", err.msg);
        }
        free(doc);
        return r;
    }
    default:
        return TUI_NONE;
    }
}

static void costs_report(TuiApp *a, void *self) {
    CostsState *c = self;
    tui_export_cost(a, c->have ? &c->sc : NULL, c->have ? &c->proj : NULL);
}

/* The answer to a question (unsaved edits, removal). */
static int answer(TuiApp *a, CostsState *c, int ch) {
    Ask what = c->ask;
    bool yes = ch == 'y' || ch == 'Y';
    bool save_first = ch == 's' || ch == 'S';
    bool discard = ch == 'd' || ch == 'D';
    if (ch == 27 || ch == 'n' || ch == 'N') {
        c->ask = ASK_NONE;
        free(c->pending_json);
        c->pending_json = NULL;
        snprintf(a->message, sizeof a->message, "kept editing %s", c->name);
        return TUI_REDRAW;
    }
    if (what == ASK_REMOVE) {
        if (yes) {
            c->ask = ASK_NONE;
            costs_remove_option(a, c);
        }
        return TUI_REDRAW;
    }
    if (!save_first && !discard)
        return TUI_REDRAW; /* the question stays */
    c->ask = ASK_NONE;
    if (save_first && !costs_save(a, c))
        return TUI_REDRAW; /* not saved: the message says why; nothing is dropped */
    switch (what) {
    case ASK_EXAMPLE:
        costs_load_example(a, c, c->example_index + 1);
        break;
    case ASK_LOAD:
        if (c->pending_json)
            costs_load_doc(a, c, c->pending_json, c->pending_name, NULL, c->pending_id);
        free(c->pending_json);
        c->pending_json = NULL;
        break;
    case ASK_QUIT:
        return TUI_QUIT;
    default:
        break;
    }
    return TUI_REDRAW;
}

static int step_sel(int sel, int n, int d) {
    if (n <= 0)
        return 0;
    sel += d;
    return sel < 0 ? 0 : sel >= n ? n - 1 : sel;
}

static int costs_key(TuiApp *a, void *self, int ch) {
    CostsState *c = self;
    if (c->ask)
        return answer(a, c, ch);
    if (c->pick.active || c->edit.active) /* every key is theirs: none runs a command */
        return costs_edit_key(a, c, ch);
    FormRow rows[MAX_FORM];
    int n_rows = costs_form_rows(rows, MAX_FORM);
    int n_opts = session_doc_n_options(c->doc);
    const SessionField *of[MAX_OPT_FIELDS];
    int n_of = c->focus == FOCUS_OPTION ? costs_option_fields(c, c->opt_sel, of) : 0;
    int d = 0;
    switch (ch) {
    case KEY_UP:
    case 'k':
        d = -1;
        break;
    case KEY_DOWN:
    case 'j':
        d = 1;
        break;
    case KEY_PPAGE:
        d = -8;
        break;
    case KEY_NPAGE:
        d = 8;
        break;
    }
    if (d) {
        if (c->focus == FOCUS_FORM)
            c->form_sel = step_sel(c->form_sel, n_rows, d);
        else if (c->focus == FOCUS_TABLE)
            c->opt_sel = step_sel(c->opt_sel, n_opts, d);
        else
            c->ofield_sel = step_sel(c->ofield_sel, n_of, d);
        return TUI_REDRAW;
    }
    switch (ch) {
    case KEY_LEFT:
    case 'h':
        c->focus = c->focus == FOCUS_OPTION ? FOCUS_TABLE : FOCUS_FORM;
        return TUI_REDRAW;
    case KEY_RIGHT:
    case 'l':
        if (c->focus == FOCUS_FORM)
            c->focus = FOCUS_TABLE;
        return TUI_REDRAW;
    case 27:
        if (c->focus == FOCUS_OPTION) {
            c->focus = FOCUS_TABLE;
            return TUI_REDRAW;
        }
        return TUI_NONE;
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (c->focus == FOCUS_FORM && c->form_sel < n_rows) {
            costs_begin_edit(a, c, rows[c->form_sel].where, rows[c->form_sel].f);
        } else if (c->focus == FOCUS_TABLE && c->opt_sel < n_opts) {
            c->focus = FOCUS_OPTION;
            c->ofield_sel = c->ofield_top = 0;
        } else if (c->focus == FOCUS_OPTION && c->ofield_sel < n_of) {
            costs_begin_edit(a, c, c->opt_sel, of[c->ofield_sel]);
        }
        return TUI_REDRAW;
    case 'a':
        costs_begin_add(a, c);
        return TUI_REDRAW;
    case 'd':
        if (c->focus != FOCUS_FORM && c->opt_sel < n_opts)
            costs_duplicate_option(a, c);
        return TUI_REDRAW;
    case 'x':
    case KEY_DC:
        if (c->focus == FOCUS_FORM && c->form_sel < n_rows) {
            costs_clear_field(a, c, rows[c->form_sel].where, rows[c->form_sel].f);
        } else if (c->focus == FOCUS_OPTION && c->ofield_sel < n_of) {
            costs_clear_field(a, c, c->opt_sel, of[c->ofield_sel]);
        } else if (c->focus == FOCUS_TABLE && c->opt_sel < n_opts) {
            c->ask = ASK_REMOVE;
            snprintf(c->ask_text, sizeof c->ask_text, "remove option %s? y removes it, n keeps it",
                     session_option_id(c->doc, c->opt_sel));
        }
        return TUI_REDRAW;
    case 'e':
        if (c->dirty)
            ask_unsaved(c, ASK_EXAMPLE, "opens the next example");
        else
            costs_load_example(a, c, c->example_index + 1);
        return TUI_REDRAW;
    case 's':
        costs_save(a, c);
        return TUI_REDRAW;
    case 'm':
        costs_use_measured(a, c);
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* The question asked now (shown by the app even on the too-small page). */
static const char *costs_question(const TuiApp *a, const void *self) {
    (void)a;
    const CostsState *c = self;
    return c && c->ask ? c->ask_text : NULL;
}

/* q with unsaved edits: the question instead of quitting. */
static bool costs_hold_quit(TuiApp *a, void *self) {
    CostsState *c = self;
    if (!c || !c->dirty)
        return false;
    if (c->base) /* an open editor's preview is not an edit */
        costs_set_doc(a, c, c->base), c->base = NULL;
    costs_end_edit(c);
    ask_unsaved(c, ASK_QUIT, "quits");
    return true;
}

/* SIGTERM or SIGHUP: the scenario with its committed edits (an open
 * editor's preview is not an edit), kept by the app as a recovery draft. */
static bool costs_unsaved(TuiApp *a, void *self, TuiUnsaved *out) {
    (void)a;
    CostsState *c = self;
    if (!c || !c->dirty)
        return false;
    *out = (TuiUnsaved){c->base ? c->base : c->doc, c->name, c->path[0] ? c->path : NULL,
                        c->saved_id};
    return true;
}

static bool costs_typing(const TuiApp *a, const void *self) {
    (void)a;
    const CostsState *c = self;
    return c && (c->edit.active || c->pick.active || c->ask != ASK_NONE);
}

const TuiScreenClass tui_costs_screen = {
    .name = "Costs",
    .keys = KEYS,
    .footer = "Enter edit  a add  d duplicate  x remove  s save  e example  m pilot  v view  "
              "y copy  W write",
    .open = costs_open,
    .close = costs_close,
    .draw = costs_draw,
    .key = costs_key,
    .notify = costs_notify,
    .typing = costs_typing,
    .question = costs_question,
    .hold_quit = costs_hold_quit,
    .unsaved = costs_unsaved,
    .report = costs_report,
};
