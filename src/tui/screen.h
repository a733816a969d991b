/* screen.h - the screen table: each screen of the workbench is one const
 * class of callbacks and metadata (htop's Panel classes, tmux's cmd_entry),
 * defined in its own screen_*.c file with its state private to that file.
 * The app (app.c) keeps the table in tab order, draws the tabs and the
 * help from it and routes keys and events through it; adding a screen
 * touches the table only. */
#ifndef TP_TUI_SCREEN_H
#define TP_TUI_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/tui.h"

/* One line of a screen's help: the key(s) and what they do. */
typedef struct TuiKey {
    const char *key, *what;
} TuiKey;

/* Unsaved work a screen holds (hook `unsaved`): a scenario document, its
 * name, the file it came from or NULL, its History id or 0. Borrowed from
 * the screen's state. */
typedef struct TuiUnsaved {
    const struct cJSON *doc;
    const char *name, *path;
    int64_t saved_id;
} TuiUnsaved;

typedef struct TuiScreenClass {
    const char *name;    /* the tab's title */
    const TuiKey *keys;  /* the help (`?`), ended by {NULL, NULL} */
    const char *footer;  /* the status bar's key hint */
    /* Creates the screen's state (NULL is allowed when it needs none). */
    void *(*open)(TuiApp *a);
    void (*close)(TuiApp *a, void *self);
    /* Draws into a->lay.body (and a->lay.side when a->lay.has_side). */
    void (*draw)(TuiApp *a, void *self);
    /* A key while the screen is shown: TUI_* flags, TUI_NONE for a key it
     * ignores (the app's keys then get it). */
    int (*key)(TuiApp *a, void *self, int ch);
    /* An app-level event, shown or not; TUI_FOCUS brings it to the front.
     * May be NULL. */
    int (*notify)(TuiApp *a, void *self, const TuiEvent *ev);
    /* Whether keys go to a text field now (digits do not switch screens,
     * `o` does not export). May be NULL. */
    bool (*typing)(const TuiApp *a, const void *self);
    /* q or Ctrl-C: whether the screen holds work that quitting would lose;
     * if so it now asks (the app shows it and does not quit; the answer's
     * key returns TUI_QUIT or not). May be NULL. */
    bool (*hold_quit)(TuiApp *a, void *self);
    /* SIGTERM or SIGHUP (the terminal closed, a shutdown): the edits that
     * quitting would ask about, to be kept as a recovery draft (the app
     * writes it after restoring the terminal). false: nothing unsaved. May
     * be NULL. */
    bool (*unsaved)(TuiApp *a, void *self, TuiUnsaved *out);
    /* Whether digits belong to the screen now (a choice question): the
     * status bar then offers F2-F8 for the screens. May be NULL. */
    bool (*takes_digits)(const TuiApp *a, const void *self);
    /* Whether the screen changes without keys (a live run): the app then
     * wakes every second, and redraws when this screen is shown. May be NULL. */
    bool (*live)(const TuiApp *a, const void *self);
    /* The question the screen asks now (unsaved edits: save, discard or
     * go on editing), or NULL. The app shows it even on the page for a
     * terminal too small for the screen, and the answer's keys go to the
     * screen there. May be NULL. */
    const char *(*question)(const TuiApp *a, const void *self);
    /* `o`: writes this screen's report. NULL: the screen has none. */
    void (*report)(TuiApp *a, void *self);
} TuiScreenClass;

extern const TuiScreenClass tui_decide_screen, tui_costs_screen, tui_pricing_screen,
    tui_history_screen, tui_pilot_screen, tui_runs_screen, tui_evals_screen;

#endif
