/* tui.h - the terminal workbench (ncurses). Private to the tunepilot
 * binary: engines know nothing of screens. Every number shown comes from a
 * lower layer and is also reachable from the CLI. */
#ifndef TP_TUI_H
#define TP_TUI_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/layout.h"
#include "tunepilot/cost.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

typedef struct TuiOptions {
    const char *db_path;  /* NULL: the default database */
    bool no_color;        /* --no-color (NO_COLOR is honoured too) */
    const char *scenario; /* a scenario file to open in Costs, or NULL (bundled example) */
} TuiOptions;

/* Runs the workbench until the user quits; restores the terminal on every
 * exit path. Returns the process exit status. */
int tui_run(const TuiOptions *o);

/* For the benchmark: the app without the input loop. tui_app_new loads the
 * database and pricing and prepares the screens (no terminal needed);
 * tui_draw draws a full frame to the current ncurses screen. */
typedef struct TuiApp TuiApp;
TuiApp *tui_app_new(const TuiOptions *o);
void tui_app_free(TuiApp *a);
void tui_draw(TuiApp *a);
void tui_show(TuiApp *a, int screen);

/* --- shared between the screens (private) --------------------------------- */

typedef enum {
    SCREEN_DECIDE,
    SCREEN_COSTS,
    SCREEN_PRICING,
    SCREEN_HISTORY,
    SCREEN_PILOT,
    SCREEN_RUNS,
    N_SCREENS
} ScreenId;

/* What a key handler asks the loop to do. */
enum { TUI_NONE = 0, TUI_REDRAW = 1, TUI_QUIT = 2 };

/* Colour roles; monochrome maps them to bold/reverse/underline. */
typedef enum {
    ROLE_NORMAL,
    ROLE_TITLE,
    ROLE_TAB,
    ROLE_TAB_ACTIVE,
    ROLE_STATUS,
    ROLE_HEADER,
    ROLE_SELECTED,
    ROLE_GOOD,
    ROLE_BAD,
    ROLE_DIM,
    ROLE_SERIES0, /* chart series 0..5 */
    ROLE_SERIES5 = ROLE_SERIES0 + 5,
    ROLE_REFLINE,
    N_ROLES,
} TuiRole;

typedef struct CostsState {
    struct cJSON *doc; /* the scenario being edited */
    char name[128];
    int field;     /* selected workload field */
    char edit[32]; /* text being typed into it */
    bool editing;
    CostScenario sc;
    CostProjection proj;
    bool have; /* sc and proj valid */
    char error[512];
    int64_t saved_id;
} CostsState;

typedef struct PricingState {
    char filter[64];
    bool typing;
    int provider; /* 0 = all, else index+1 into the provider list */
    int sort_col, sort_desc;
    int sel, top;
    int *rows; /* model indexes after filter and sort */
    int n_rows;
} PricingState;

typedef struct HistoryState {
    StoreScenarioInfo *scenarios;
    int n_scenarios;
    StoreDecision *decisions;
    int n_decisions;
    int sel, top;
    bool loaded;
} HistoryState;

typedef struct DecideState DecideState; /* screen_decide.c */
typedef struct RunsState RunsState;     /* screen_runs.c */
typedef struct PilotState PilotState;   /* screen_pilot.c */
typedef struct EvalsState EvalsState;   /* screen_evals.c */

typedef struct TuiApp {
    TuiOptions opt;
    Store *store; /* may be NULL when the database cannot be opened */
    char store_error[512];
    Pricing pricing;
    ScreenId screen;
    bool ascii; /* no UTF-8 locale: ASCII glyphs */
    bool mono;  /* no colours */
    bool help;
    int rows, cols;
    Layout lay;
    char message[256]; /* a one-off note on the status bar */
    CostsState costs;
    PricingState pricing_view;
    HistoryState history;
    DecideState *decide;
    RunsState *runs;
    PilotState *pilot;
    EvalsState *evals; /* created on first use */
} TuiApp;

/* Attribute for a role (colour pair or monochrome attributes). */
int tui_attr(const TuiApp *a, TuiRole r);
/* Prints UTF-8 text at (y, x) clipped to w display cells (padded when
 * pad), in role r. */
void tui_text(const TuiApp *a, int y, int x, int w, TuiRole r, bool pad, const char *text);
/* Formatted variant. */
void tui_textf(const TuiApp *a, int y, int x, int w, TuiRole r, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Draws a chart grid (from chart_render) at rect r. */
struct ChartGrid;
void tui_blit_chart(const TuiApp *a, const struct ChartGrid *g, Rect r);

/* Screens: draw into the body (and side panel when present); handle a key.
 * A handler returns TUI_* flags; it returns TUI_NONE for keys it ignores. */
void costs_open(TuiApp *a);
/* prices again after the pricing tables changed */
void costs_reprice(TuiApp *a);
void costs_close(TuiApp *a);
void costs_load_doc(TuiApp *a, const char *json, const char *name, int64_t saved_id);
void costs_draw(TuiApp *a);
int costs_key(TuiApp *a, int ch);
const char *costs_keys(void);

void pricing_view_close(TuiApp *a);
/* (re)loads a->pricing: bundled tables, then the newest snapshot */
void tui_pricing_load(TuiApp *a);
void pricing_draw(TuiApp *a);
int pricing_key(TuiApp *a, int ch);
const char *pricing_keys(void);

void history_close(TuiApp *a);
void history_draw(TuiApp *a);
int history_key(TuiApp *a, int ch);
const char *history_keys(void);

void runs_open(TuiApp *a);
void runs_close(TuiApp *a);
void runs_draw(TuiApp *a);
int runs_key(TuiApp *a, int ch);
const char *runs_keys(void);
bool runs_live(const TuiApp *a); /* a run is running: refresh periodically */
void runs_select(TuiApp *a, int64_t run_id);
/* The selected run's id, or 0 when there is none. */
int64_t runs_selected_id(TuiApp *a);

/* `o` on any screen: writes the screen's report as HTML (export.c)
 * and puts its path on the status bar. */
void tui_export_report(TuiApp *a);
/* The newest completed local run with a summary: its id, date and parsed
 * summary (caller deletes). false when there is none. */
struct cJSON;
bool runs_newest_finished(TuiApp *a, int64_t *id, char *date, size_t size, struct cJSON **summary);

void pilot_open(TuiApp *a);
void pilot_close(TuiApp *a);
void pilot_draw(TuiApp *a);
int pilot_key(TuiApp *a, int ch);
const char *pilot_keys(void);
bool pilot_typing(const TuiApp *a);
bool pilot_recent_launch(const TuiApp *a); /* launched in the last minute */

/* Evals (screen_evals.c, with evidence.c): the held-out sets with `tunepilot
 * eval` results and the selected one's comparison, from the session layer.
 * The selected set is question 2's evidence on Decide (evidence.c). */
void evals_close(TuiApp *a);
void evals_draw(TuiApp *a);
int evals_key(TuiApp *a, int ch);
const char *evals_keys(void);
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

void decide_open(TuiApp *a);
void decide_reprice(TuiApp *a);
/* Reopens a saved decision: its framework and typed answers, and its
 * scenario (if any) in Costs with computed answers on. */
void decide_load_saved(TuiApp *a, const StoreDecision *d);
void decide_close(TuiApp *a);
void decide_draw(TuiApp *a);
int decide_key(TuiApp *a, int ch);
const char *decide_keys(void);

#endif
