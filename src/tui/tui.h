/* tui.h - the terminal workbench (ncurses). Private to the tunepilot
 * binary: engines know nothing of screens. Every number shown comes from a
 * lower layer and is also reachable from the CLI.
 *
 * The app (app.c) owns the terminal, the tabs, the status bar, help and
 * the loop; the screens are a table of classes (screen.h) in the style of
 * htop's Panel classes. A screen's state lives in its own file. Screens
 * talk to the session layer below and to the app through what this header
 * offers: the shared context (database, prices, layout, status message),
 * the scenario being costed (published by Costs, read by the others) and
 * app-level events (tui_post). They never call each other. */
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
 * database and pricing and opens the screens (no terminal needed);
 * tui_draw draws a full frame to the current ncurses screen; tui_show
 * switches to the screen at that tab index (0 = Decide). */
typedef struct TuiApp TuiApp;
TuiApp *tui_app_new(const TuiOptions *o);
void tui_app_free(TuiApp *a);
void tui_draw(TuiApp *a);
void tui_show(TuiApp *a, int screen);

/* --- shared with the screens (private) -------------------------------------- */

/* What a key or event handler asks the loop to do. TUI_FOCUS (from an
 * event handler) brings the handling screen to the front. */
enum { TUI_NONE = 0, TUI_REDRAW = 1, TUI_QUIT = 2, TUI_FOCUS = 4 };

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

/* App-level events. A screen posts one with tui_post; after the key
 * handler returns, the app handles it (PRICES_CHANGED reloads the prices
 * first) and passes it to every screen's notify, in tab order; an event
 * posted while handling another is handled after it. */
typedef enum {
    TUI_EV_PRICES_CHANGED,   /* a new price snapshot: price again */
    TUI_EV_SCENARIO_CHANGED, /* Costs published another scenario or projection */
    TUI_EV_STORE_CHANGED,    /* something was saved: lists reload */
    TUI_EV_OPEN_SCENARIO,    /* show saved scenario `id` (History's Enter) */
    TUI_EV_LOAD_SCENARIO,    /* cost the scenario document `json` named `name` */
    TUI_EV_OPEN_DECISION,    /* show saved decision `id` (History's Enter) */
    TUI_EV_RUN_STARTED,      /* a run was started or resumed (id 0: not known yet) */
    TUI_EV_RESTORE_DRAFT,    /* a recovery draft's text (`json`, session_draft_parse):
                                its scenario shown again, unsaved, in Costs; `id`: how
                                many other drafts still wait */
} TuiEventKind;

typedef struct TuiEvent {
    TuiEventKind kind;
    int64_t id;
    char *json; /* LOAD_SCENARIO: the document (owned by the queue) */
    char name[128];
} TuiEvent;

/* The scenario being costed, as Costs last published it: its document and
 * name, and, when it is valid, its parsed form and projection. Pointers
 * into Costs' state, valid until the next TUI_EV_SCENARIO_CHANGED. */
typedef struct TuiScenario {
    const struct cJSON *doc; /* NULL: no scenario */
    const char *name;
    const CostScenario *sc; /* NULL when the scenario is invalid */
    const CostProjection *proj;
} TuiScenario;

#define TUI_MAX_EVENTS 16
#define TUI_MAX_SCREENS 8
#define TUI_MAX_PANELS 8

/* Text for a panel: lines, each wrapped to the panel's width when drawn
 * (nowrap: a table row, clipped instead), in a role, indented. */
typedef struct TuiLine {
    char *text;
    TuiRole role;
    int indent;
    int hang; /* continuation rows indented this much more */
    bool nowrap;
} TuiLine;

typedef struct TuiDoc {
    TuiLine *lines;
    int n, cap;
} TuiDoc;

/* A panel drawn in this frame: its title, its text and where it went. */
typedef struct TuiPanel {
    char title[64];
    TuiDoc doc;
    Rect r;
    bool tail; /* follows its end (tui_panel_tail) */
} TuiPanel;

struct TuiScreenClass;

typedef struct TuiApp {
    TuiOptions opt;
    Store *store; /* may be NULL when the database cannot be opened */
    char store_error[512];
    Pricing pricing;
    int screen; /* index into the screen table */
    bool ascii; /* no UTF-8 locale: ASCII glyphs */
    bool mono;  /* no colours */
    bool help;
    int rows, cols;
    Layout lay;
    char message[256]; /* a one-off note on the status bar */
    TuiScenario scenario;
    TuiEvent events[TUI_MAX_EVENTS];
    int n_events;
    struct EvalsState *evals; /* question 2's evidence (evidence.h), created on first use */
    /* this frame's panels (tui_panel), the focused one per screen and each
     * one's scroll; the focused panel or the help full-screen; the prompt
     * for the path a panel is written to (W) */
    TuiPanel panels[TUI_MAX_PANELS];
    int n_panels;
    int focus[TUI_MAX_SCREENS];
    int scroll[TUI_MAX_SCREENS][TUI_MAX_PANELS];
    /* a tail panel scrolled away from its end (it stops following), and the
     * same for the full-screen view */
    bool held[TUI_MAX_SCREENS][TUI_MAX_PANELS];
    bool full_held;
    bool full;
    int full_scroll, help_scroll;
    bool prompting;
    char prompt[1024];
    char prompt_title[64]; /* the panel being written */
    TuiDoc prompt_doc;
    /* a recovery draft offered at the start (restore, discard or later) */
    bool draft_offer;
    char draft_file[4096];
    char draft_text[768];
    int draft_count; /* drafts waiting when the one on offer was chosen, it included */
    void **self;                 /* each screen's state, as its open returned it */
    bool open_failed;            /* a screen could not be opened (out of memory) */
    void (*redraw)(TuiApp *a);   /* the app's frame drawer (tui_redraw_now) */
} TuiApp;

/* Attribute for a role (colour pair or monochrome attributes). */
int tui_attr(const TuiApp *a, TuiRole r);
/* Prints UTF-8 text at (y, x) clipped to w display cells (padded when
 * pad), in role r. */
void tui_text(const TuiApp *a, int y, int x, int w, TuiRole r, bool pad, const char *text);
/* Formatted variant. */
void tui_textf(const TuiApp *a, int y, int x, int w, TuiRole r, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* An ncurses key as the field editor's and the picker's (field.h):
 * FIELD_KEY_* for the editing keys, printable bytes as themselves,
 * FIELD_KEY_OTHER for the rest. */
int tui_field_code(int ch);
/* Draws a chart grid (from chart_render) at rect r. */
struct ChartGrid;
void tui_blit_chart(const TuiApp *a, const struct ChartGrid *g, Rect r);

/* Panels (panel.c). doc_add appends a line (text copied); doc_free
 * releases the lines. */
void doc_add(TuiDoc *d, TuiRole role, int indent, bool nowrap, const char *text);
void doc_addf(TuiDoc *d, TuiRole role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A line whose continuation rows are indented by hang (a key and what it does). */
void doc_add_hang(TuiDoc *d, TuiRole role, int hang, const char *text);
void doc_free(TuiDoc *d);
/* The text of a document: its lines, unwrapped, each ended by '\n' (malloc'd). */
char *doc_text(const TuiDoc *d);
/* Draws doc in r: the title on the first row (with the scroll position
 * when the text is longer than the panel), the text wrapped below it,
 * scrolled as the user scrolled it. The panel joins this frame's panels
 * (focus, full screen, copy, write) and takes doc over (it is emptied). */
void tui_panel(TuiApp *a, const char *title, TuiDoc *doc, Rect r);
/* A panel for a growing text (a log): it opens at its end and follows the
 * end as lines are added, until the user scrolls up (PgUp, Home, ...);
 * scrolling back to the end follows it again. Full screen (v) does the same. */
void tui_panel_tail(TuiApp *a, const char *title, TuiDoc *doc, Rect r);
/* The rows doc takes wrapped at width w, as a panel draws it. */
int tui_doc_rows(const TuiDoc *doc, int w);

/* A chart legend on row y from column x (w columns): each name after its
 * series' sign, in the series' colour: a block, or, without colours, the
 * series' marker (chart_marker), as the chart draws it with markers on.
 * Returns the columns used. */
int tui_legend(const TuiApp *a, int y, int x, int w, const char *const *names, const int *styles,
               int n);

/* Queues an event (json is copied; may be NULL). When the queue is full the
 * event is dropped and the status bar says so. */
void tui_post(TuiApp *a, TuiEventKind kind, int64_t id, const char *json, const char *name);
/* Costs publishes the scenario it shows (sc and proj NULL when invalid)
 * and posts TUI_EV_SCENARIO_CHANGED. */
void tui_scenario_publish(TuiApp *a, const struct cJSON *doc, const char *name,
                          const CostScenario *sc, const CostProjection *proj);
/* Draws the whole frame now (progress during a long operation). */
void tui_redraw_now(TuiApp *a);

/* `o`: writes a report as one HTML page (the one `tunepilot cost --format
 * html` or `tunepilot runs report` writes) to $TUNEPILOT_REPORT_DIR or the
 * current directory, and puts its path on the status bar (export.c). */
void tui_export_cost(TuiApp *a, const CostScenario *sc, const CostProjection *proj);
void tui_export_run(TuiApp *a, int64_t run_id);

#endif
