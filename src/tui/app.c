/* app.c - the workbench's main loop: terminal setup and restore, colour
 * roles, tabs, status bar, help, mouse, resize, and the events between
 * screens. The screens are the table below (screen.h); the app knows them
 * only through it. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui/evidence.h"
#include "tui/panel.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/wrap.h"
#include "tunepilot/session.h"

#include <langinfo.h>
#include <locale.h>
#include <ncurses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/session_edit.h"
#include "tunepilot/paths.h"

static volatile sig_atomic_t g_quit, g_interrupt;

/* SIGTERM and SIGHUP end the workbench (g_quit holds which), keeping
 * unsaved edits as a recovery draft; SIGINT (Ctrl-C) is a q: it asks first
 * when there are unsaved edits. The handler only sets a flag: the loop does
 * the work. */
static void on_signal(int sig) {
    if (sig == SIGINT)
        g_interrupt = 1;
    else
        g_quit = sig;
}

/* The screens in tab order: 1-7 and F2-F8 pick them. */
static const TuiScreenClass *const SCREENS[] = {
    &tui_decide_screen, &tui_costs_screen, &tui_pricing_screen, &tui_history_screen,
    &tui_pilot_screen,  &tui_runs_screen,  &tui_evals_screen,
};
#define N_SCREENS ((int)(sizeof SCREENS / sizeof SCREENS[0]))

static const TuiScreenClass *current(const TuiApp *a) { return SCREENS[a->screen]; }

/* Whether keys go to a text field of the shown screen now. */
static bool typing(const TuiApp *a) {
    return current(a)->typing && current(a)->typing(a, a->self[a->screen]);
}

/* Whether the digits belong to the shown screen now (1-7 do not switch). */
static bool digits_taken(const TuiApp *a) {
    return typing(a) ||
           (current(a)->takes_digits && current(a)->takes_digits(a, a->self[a->screen]));
}

/* The question the shown screen asks (unsaved edits), or NULL. */
static const char *asking(const TuiApp *a) {
    return current(a)->question ? current(a)->question(a, a->self[a->screen]) : NULL;
}

/* --- colours ----------------------------------------------------------------------- */

static void init_roles(TuiApp *a) {
    if (a->mono)
        return;
    start_color();
    use_default_colors();
    struct {
        TuiRole r;
        short fg, bg;
    } pairs[] = {
        {ROLE_TITLE, COLOR_BLACK, COLOR_CYAN},
        {ROLE_TAB, COLOR_WHITE, -1},
        {ROLE_TAB_ACTIVE, COLOR_BLACK, COLOR_GREEN},
        {ROLE_STATUS, COLOR_BLACK, COLOR_WHITE},
        {ROLE_HEADER, COLOR_CYAN, -1},
        {ROLE_SELECTED, COLOR_BLACK, COLOR_YELLOW},
        {ROLE_GOOD, COLOR_GREEN, -1},
        {ROLE_BAD, COLOR_RED, -1},
        {ROLE_DIM, COLOR_BLUE, -1},
        {ROLE_SERIES0, COLOR_GREEN, -1},
        {ROLE_SERIES0 + 1, COLOR_YELLOW, -1},
        {ROLE_SERIES0 + 2, COLOR_CYAN, -1},
        {ROLE_SERIES0 + 3, COLOR_MAGENTA, -1},
        {ROLE_SERIES0 + 4, COLOR_RED, -1},
        {ROLE_SERIES0 + 5, COLOR_BLUE, -1},
        {ROLE_REFLINE, COLOR_RED, -1},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        init_pair((short)pairs[i].r, pairs[i].fg, pairs[i].bg);
}

/* Prices by the session's snapshot rule: the newest stored snapshot over
 * the bundled tables, as every command does. Called at start and on
 * TUI_EV_PRICES_CHANGED. */
static void pricing_load(TuiApp *a) {
    TpError err = {0};
    pricing_free(&a->pricing); /* leaves it zeroed */
    if (session_pricing_load(a->store, SESSION_SNAPSHOT_NEWEST, &a->pricing, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "pricing: %s", err.msg);
        pricing_free(&a->pricing);
        if (pricing_load_bundled(&a->pricing, &err) != TP_OK)
            snprintf(a->message, sizeof a->message, "pricing: %s", err.msg);
    }
}

/* --- events ---------------------------------------------------------------------------- */

/* Handles the queued events in order, including those posted meanwhile. */
static void dispatch(TuiApp *a) {
    for (int guard = 0; a->n_events > 0 && guard < 64; guard++) {
        TuiEvent ev = a->events[0];
        memmove(&a->events[0], &a->events[1], sizeof a->events[0] * (size_t)(a->n_events - 1));
        a->n_events--;
        if (ev.kind == TUI_EV_PRICES_CHANGED)
            pricing_load(a); /* says so on the status bar when it fails */
        for (int i = 0; i < N_SCREENS; i++)
            if (SCREENS[i]->notify && SCREENS[i]->notify(a, a->self[i], &ev) & TUI_FOCUS)
                a->screen = i;
        free(ev.json);
    }
    for (int i = 0; i < a->n_events; i++)
        free(a->events[i].json);
    a->n_events = 0;
}

/* --- frame ------------------------------------------------------------------------------ */

static const TuiKey GLOBAL_KEYS[] = {
    {"1-7, Tab, F2-F8", "switch screens (Decide, Costs, Pricing, History, Pilot, Runs, Evals); "
                        "F2-F8 also while typing"},
    {"?, F1", "this help: the keys of the current screen"},
    {"o", "write this screen's report as one HTML page (Decide, Costs, Runs) to "
          "$TUNEPILOT_REPORT_DIR or the current directory"},
    {"q, F10", "quit"},
    {"mouse", "click a tab; the wheel scrolls lists"},
    {NULL, NULL},
};

/* The panels: long texts wrap in them; these keys read them whole. */
static const TuiKey PANEL_KEYS[] = {
    {"] and [", "focus the next or previous panel (its scroll position is highlighted)"},
    {"PgUp/PgDn", "scroll the focused panel (Shift-Up/Down a line, Home/End) where the "
                  "screen does not use them"},
    {"v", "the focused panel full-screen: Up/Down, PgUp/PgDn, Home/End scroll; Esc closes"},
    {"y", "copy the focused panel's text to the clipboard (OSC 52: the terminal must allow "
          "it); Y where y answers a question"},
    {"W", "write the focused panel to a text file: asks for the path (never over an input "
          "or a file it did not write)"},
    {NULL, NULL},
};

static void help_keys(TuiDoc *d, const TuiKey *k) {
    for (; k && k->key; k++) {
        char line[512];
        snprintf(line, sizeof line, "  %-18s %s", k->key, k->what);
        doc_add_hang(d, ROLE_NORMAL, 21, line);
    }
}

/* The help: the current screen's keys (from its table entry), the panel
 * keys, then the keys of every screen; wrapped and scrolled full-screen. */
static void draw_help(TuiApp *a) {
    const TuiScreenClass *s = current(a);
    TuiDoc d = {0};
    doc_add(&d, ROLE_NORMAL, 0, false, "tunepilot: prompt engineering, RAG or fine-tuning?");
    doc_add(&d, ROLE_NORMAL, 0, false, "");
    doc_addf(&d, ROLE_HEADER, "%s: the keys of this screen", s->name);
    help_keys(&d, s->keys);
    doc_add(&d, ROLE_NORMAL, 0, false, "");
    doc_add(&d, ROLE_HEADER, 0, false, "Panels (reading long texts)");
    help_keys(&d, PANEL_KEYS);
    doc_add(&d, ROLE_NORMAL, 0, false, "");
    doc_add(&d, ROLE_HEADER, 0, false, "Every screen");
    help_keys(&d, GLOBAL_KEYS);
    doc_add(&d, ROLE_NORMAL, 0, false, "");
    doc_add(&d, ROLE_DIM, 0, false,
            "Everything shown is also available from the command line (tunepilot --help).");
    char title[128];
    snprintf(title, sizeof title, "Help, %s (this help: Up/Down scroll, any other key closes)",
             s->name);
    panels_draw_doc_full(a, title, &d, &a->help_scroll);
    doc_free(&d);
}

/* --- recovery drafts ---------------------------------------------------------------------- */

/* The drafts folder of the database in use. */
static bool drafts_dir(const TuiApp *a, char *out, size_t size, TpError *err) {
    char db[4096];
    return tp_path_db(db, sizeof db, a->opt.db_path, err) == TP_OK &&
           session_draft_dir(db, out, size, err) == TP_OK;
}

/* At the start: the newest recovery draft is offered (restore, discard, or
 * later: it stays for the next start and for tunepilot scenarios recover);
 * once one is discarded the next newest is offered, so none is passed over. */
static void offer_draft(TuiApp *a) {
    char dir[4200];
    TpError err = {0};
    SessionDraft *v = NULL;
    int n = 0;
    a->draft_count = 0;
    if (!drafts_dir(a, dir, sizeof dir, &err) || session_draft_list(dir, &v, &n, NULL, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "recovery drafts unreadable: %s", err.msg);
        return;
    }
    if (n > 0) {
        a->draft_offer = true;
        a->draft_count = n;
        snprintf(a->draft_file, sizeof a->draft_file, "%s", v[0].file);
        snprintf(a->draft_text, sizeof a->draft_text,
                 "Unsaved edits to %s%s%s were kept when the workbench was ended (%s). r restores "
                 "them in Costs (unsaved: s saves them), d discards them, Esc decides later "
                 "(tunepilot scenarios recover).",
                 v[0].name, v[0].path[0] ? " from " : "", v[0].path, v[0].written_at);
    }
    for (int i = 0; i < n; i++)
        session_draft_free(&v[i]);
    free(v);
}

static void draw_draft_offer(TuiApp *a) {
    Rect b = a->lay.body;
    int w = b.w > 4 ? b.w - 4 : b.w, y = b.y + 1;
    const char *t = a->draft_text;
    char title[96] = " Recovery draft";
    if (a->draft_count > 1) /* the newest first; the others follow a d */
        snprintf(title, sizeof title, " Recovery draft, the newest of %d (d offers the next)",
                 a->draft_count);
    tui_text(a, y++, b.x + 1, w + 2, ROLE_SELECTED, true, title);
    for (int off = 0; t[off] && y < b.y + b.h - 1;) {
        int next, len = text_wrap_line(t + off, w, &next);
        char row[800];
        snprintf(row, sizeof row, " %.*s", len, t + off);
        tui_text(a, y++, b.x + 1, w + 2, ROLE_SELECTED, true, row);
        off += next > 0 ? next : (int)strlen(t + off);
    }
    tui_text(a, y, b.x + 1, w + 2, ROLE_SELECTED, true, "");
}

/* r, d or Esc on the offer; other keys wait for one of them. */
static void draft_key(TuiApp *a, int ch) {
    SessionDraft d;
    TpError err = {0};
    if (ch == 27) {
        a->draft_offer = false;
        snprintf(a->message, sizeof a->message, "the draft waits: tunepilot scenarios recover");
    } else if (ch == 'r' || ch == 'd') {
        a->draft_offer = false;
        char *text = NULL;
        size_t len = 0;
        TpStatus st = tp_file_read(a->draft_file, SESSION_DRAFT_MAX_BYTES, &text, &len, &err);
        if (st == TP_OK)
            st = session_draft_parse(text, a->draft_file, &d, &err);
        if (st != TP_OK) {
            snprintf(a->message, sizeof a->message, "draft not read: %.200s", err.msg);
        } else {
            int left = a->draft_count > 1 ? a->draft_count - 1 : 0;
            if (ch == 'r') /* Costs takes the text (and how many more wait, to say so); the
                            * file goes once it is in the queue */
                tui_post(a, TUI_EV_RESTORE_DRAFT, left, text, a->draft_file);
            else
                snprintf(a->message, sizeof a->message, "draft discarded (edits to %s)", d.name);
            bool gone = session_draft_discard(&d, &err) == TP_OK;
            if (!gone)
                snprintf(a->message, sizeof a->message, "%.200s", err.msg);
            session_draft_free(&d);
            if (gone && ch == 'd' && left > 0)
                offer_draft(a); /* the next newest, so none is passed over */
        }
        free(text);
    }
}

/* SIGTERM or SIGHUP, after the terminal is restored: each screen's unsaved
 * work becomes a recovery draft; where it went is said on stderr. */
static void keep_unsaved(TuiApp *a, int sig) {
    for (int i = 0; i < N_SCREENS; i++) {
        TuiUnsaved u;
        if (!SCREENS[i]->unsaved || !SCREENS[i]->unsaved(a, a->self[i], &u))
            continue;
        char dir[4200], file[4400];
        TpError err = {0};
        if (!drafts_dir(a, dir, sizeof dir, &err) ||
            session_draft_write(dir, u.doc, u.name, u.path, u.saved_id, file, sizeof file,
                                &err) != TP_OK) {
            fprintf(stderr, "tunepilot: ended by %s: the unsaved edits to %s could not be kept: %s\n",
                    sig == SIGHUP ? "SIGHUP" : "SIGTERM", u.name, err.msg);
            continue;
        }
        fprintf(stderr,
                "tunepilot: ended by %s: the unsaved edits to %s are kept in %s (the workbench "
                "offers them at its next start; tunepilot scenarios recover)\n",
                sig == SIGHUP ? "SIGHUP" : "SIGTERM", u.name, file);
    }
}

static void draw_frame(TuiApp *a) {
    erase();
    getmaxyx(stdscr, a->rows, a->cols);
    a->lay = layout_compute(a->rows, a->cols, true);
    if (a->lay.too_small) {
        const char *m1 = "terminal too small";
        char m2[64];
        snprintf(m2, sizeof m2, "need %dx%d, have %dx%d", a->lay.min_cols, a->lay.min_rows, a->cols,
                 a->rows);
        const char *q = asking(a);
        int y = q ? 0 : a->rows / 2 - 1 > 0 ? a->rows / 2 - 1 : 0;
        tui_text(a, y, 0, a->cols, ROLE_NORMAL, false, m1);
        tui_text(a, y + 1, 0, a->cols, ROLE_NORMAL, false, m2);
        if (!q) {
            tui_text(a, y + 2, 0, a->cols, ROLE_DIM, false, "q quits");
        } else {
            /* a question over unsaved edits stays visible and answerable */
            TuiDoc d = {0};
            panels_begin_frame(a);
            doc_add(&d, ROLE_SELECTED, 0, false, q);
            if (a->message[0])
                doc_add(&d, ROLE_BAD, 0, false, a->message);
            tui_panel(a, current(a)->name, &d, (Rect){y + 3, 0, a->rows - y - 3, a->cols});
        }
        refresh();
        return;
    }
    Rect t = a->lay.title;
    char title[256];
    snprintf(title, sizeof title, " tunepilot %s  |  pricing: %s (snapshot %lld%s%s)%s%s",
             TP_VERSION, a->pricing.snapshot_label ? a->pricing.snapshot_label : "bundled tables",
             a->pricing.snapshot_id, a->pricing.snapshot_as_of ? ", as of " : "",
             a->pricing.snapshot_as_of ? a->pricing.snapshot_as_of : "",
             a->store ? "" : "  |  database unavailable: ", a->store ? "" : a->store_error);
    tui_text(a, t.y, t.x, t.w, ROLE_TITLE, true, title);
    Rect tb = a->lay.tabs;
    int x = tb.x;
    for (int i = 0; i < N_SCREENS; i++) {
        char tab[32];
        snprintf(tab, sizeof tab, " %d %s ", i + 1, SCREENS[i]->name);
        tui_text(a, tb.y, x, (int)strlen(tab), i == a->screen ? ROLE_TAB_ACTIVE : ROLE_TAB, false,
                 tab);
        x += (int)strlen(tab) + 1;
    }
    panels_begin_frame(a);
    current(a)->draw(a, a->self[a->screen]);
    int *focus = &a->focus[a->screen];
    if (*focus >= a->n_panels)
        *focus = 0;
    if (a->full && !a->n_panels)
        a->full = false;
    if (a->full)
        panels_draw_full(a);
    Rect s = a->lay.status;
    char status[1400];
    if (a->prompting)
        snprintf(status, sizeof status,
                 " write %s to: %s_   (Enter writes, Esc cancels, Ctrl-U clears)", a->prompt_title,
                 a->prompt);
    else if (digits_taken(a)) /* first: the digits do not switch screens now */
        snprintf(status, sizeof status, " %s%sF2-F%d screens  |  %s  ? help", a->message,
                 a->message[0] ? "  |  " : "", N_SCREENS + 1, current(a)->footer);
    else
        snprintf(status, sizeof status, " %s%s%s  |  1-%d screens  o report  ? help  q quit",
                 a->message, a->message[0] ? "  |  " : "",
                 a->full ? "Up/Down scroll  y copy  W write  Esc closes" : current(a)->footer,
                 N_SCREENS);
    tui_text(a, s.y, s.x, s.w, ROLE_STATUS, true, status);
    if (a->help)
        draw_help(a);
    else if (a->draft_offer)
        draw_draft_offer(a);
    refresh();
}

/* Which tab a click at column x on the tab bar hits, or -1. */
static int tab_at(int x) {
    int pos = 0;
    for (int i = 0; i < N_SCREENS; i++) {
        int w = (int)strlen(SCREENS[i]->name) + 4;
        if (x >= pos && x < pos + w)
            return i;
        pos += w + 1;
    }
    return -1;
}

static int screen_key(TuiApp *a, int ch) {
    return current(a)->key(a, a->self[a->screen], ch);
}

static bool any_live(const TuiApp *a) {
    for (int i = 0; i < N_SCREENS; i++)
        if (SCREENS[i]->live && SCREENS[i]->live(a, a->self[i]))
            return true;
    return false;
}

/* q (and Ctrl-C): quits, unless a screen holds unsaved work; that screen
 * is shown and asks (its answer quits or not). */
static int quit_or_ask(TuiApp *a) {
    for (int i = 0; i < N_SCREENS; i++)
        if (SCREENS[i]->hold_quit && SCREENS[i]->hold_quit(a, a->self[i])) {
            a->screen = i;
            return TUI_REDRAW;
        }
    return TUI_QUIT;
}

/* Global keys after the screen had its chance. */
static int global_key(TuiApp *a, int ch) {
    if (ch == KEY_MOUSE) {
        MEVENT ev;
        if (getmouse(&ev) != OK)
            return TUI_NONE;
        if ((ev.bstate & BUTTON1_CLICKED || ev.bstate & BUTTON1_PRESSED) && ev.y == a->lay.tabs.y) {
            int t = tab_at(ev.x);
            if (t >= 0) {
                a->screen = t;
                a->full = false;
            }
            return TUI_REDRAW;
        }
        if (ev.bstate & BUTTON4_PRESSED)
            return screen_key(a, KEY_UP);
        if (ev.bstate & BUTTON5_PRESSED)
            return screen_key(a, KEY_DOWN);
        return TUI_NONE;
    }
    if (ch >= '1' && ch < '1' + N_SCREENS && !typing(a)) {
        a->screen = ch - '1';
        a->full = false;
        return TUI_REDRAW;
    }
    if (ch >= KEY_F(2) && ch < KEY_F(2) + N_SCREENS) {
        a->screen = ch - KEY_F(2);
        a->full = false;
        return TUI_REDRAW;
    }
    switch (ch) {
    case '\t':
        a->screen = (a->screen + 1) % N_SCREENS;
        a->full = false;
        return TUI_REDRAW;
    case KEY_BTAB:
        a->screen = (a->screen + N_SCREENS - 1) % N_SCREENS;
        a->full = false;
        return TUI_REDRAW;
    case '?':
    case KEY_F(1):
        a->help = !a->help;
        a->help_scroll = 0;
        return TUI_REDRAW;
    case 'o':
        if (typing(a))
            return TUI_NONE;
        if (current(a)->report)
            current(a)->report(a, a->self[a->screen]);
        else
            snprintf(a->message, sizeof a->message,
                     "o writes a report from Decide or Costs (the projection) and Runs (a run)");
        return TUI_REDRAW;
    case 'q':
    case KEY_F(10):
        return quit_or_ask(a);
    case KEY_RESIZE:
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* --- lifetime --------------------------------------------------------------------------------- */

static void app_open(TuiApp *a, const TuiOptions *o) {
    memset(a, 0, sizeof *a);
    a->opt = *o;
    a->redraw = draw_frame;
    const char *nc = getenv("NO_COLOR");
    a->mono = o->no_color || (nc && *nc);
    a->ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
    TpError err = {0};
    char path[4096];
    if (tp_path_db(path, sizeof path, o->db_path, &err) == TP_OK &&
        store_open(path, &a->store, &err) == TP_OK)
        a->store_error[0] = '\0';
    else
        snprintf(a->store_error, sizeof a->store_error, "%s", err.msg);
    pricing_load(a);
    a->screen = 0;
    a->self = calloc((size_t)N_SCREENS, sizeof *a->self);
    if (!a->self)
        return;
    for (int i = 0; i < N_SCREENS; i++) {
        a->self[i] = SCREENS[i]->open ? SCREENS[i]->open(a) : NULL;
        if (SCREENS[i]->open && !a->self[i])
            a->open_failed = true;
    }
    if (!a->open_failed)
        dispatch(a);
}

static void app_close(TuiApp *a) {
    for (int i = N_SCREENS - 1; a->self && i >= 0; i--)
        if (SCREENS[i]->close)
            SCREENS[i]->close(a, a->self[i]);
    free(a->self);
    evals_close(a);
    panels_free(a);
    for (int i = 0; i < a->n_events; i++)
        free(a->events[i].json);
    pricing_free(&a->pricing);
    store_close(a->store);
}

TuiApp *tui_app_new(const TuiOptions *o) {
    TuiApp *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    app_open(a, o);
    if (!a->self || a->open_failed) {
        tui_app_free(a);
        return NULL;
    }
    return a;
}

void tui_app_free(TuiApp *a) {
    if (!a)
        return;
    app_close(a);
    free(a);
}

void tui_draw(TuiApp *a) {
    draw_frame(a);
}

void tui_show(TuiApp *a, int screen) {
    if (screen >= 0 && screen < N_SCREENS)
        a->screen = screen;
}

/* Out of memory is fatal (arena.h): put the terminal back first, so that
 * the message is readable and the shell usable. */
static void on_oom(size_t size) {
    (void)size;
    if (!isendwin())
        endwin();
}

int tui_run(const TuiOptions *o) {
    setlocale(LC_ALL, "");
    TuiApp *a = tui_app_new(o);
    if (!a)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    initscr();
    TpOomHandler prev_oom = tp_set_oom_handler(on_oom);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    if (!has_colors())
        a->mono = true;
    init_roles(a);
    offer_draft(a);
    draw_frame(a);
    while (!g_quit) {
        /* while a run is live, wake up every second to redraw its curves */
        /* (a quarter of a second when idle: getch restarts after a signal) */
        timeout(any_live(a) ? 1000 : 250);
        int ch = getch();
        if (g_interrupt) {
            g_interrupt = 0;
            if (quit_or_ask(a) & TUI_QUIT)
                break;
            draw_frame(a);
            continue;
        }
        if (ch == ERR) {
            if (!g_quit && current(a)->live)
                draw_frame(a);
            continue; /* a timeout or a signal */
        }
        if (a->draft_offer && ch != KEY_RESIZE && ch != KEY_MOUSE) {
            draft_key(a, ch);
            dispatch(a);
            draw_frame(a);
            continue;
        }
        if (a->help && ch != KEY_RESIZE && ch != KEY_MOUSE) {
            /* the help scrolls; any other key closes it */
            if (!panels_scroll_key(ch, &a->help_scroll, a->lay.body.h - 2))
                a->help = false;
            draw_frame(a);
            continue;
        }
        if (a->prompting && ch != KEY_RESIZE && ch != KEY_MOUSE) {
            panels_prompt_key(a, ch);
            draw_frame(a);
            continue;
        }
        a->message[0] = '\0';
        int r = TUI_NONE;
        if (a->lay.too_small)
            r = asking(a) && ch != KEY_RESIZE ? screen_key(a, ch) : global_key(a, ch);
        else if (panels_modal(a) && ch != KEY_RESIZE) {
            r = panels_key(a, current(a)->name, ch);
            if (r == TUI_NONE)
                r = global_key(a, ch);
        }
        else {
            r = screen_key(a, ch);
            if (r == TUI_NONE && !typing(a))
                r = panels_key(a, current(a)->name, ch);
            if (r == TUI_NONE)
                r = global_key(a, ch);
        }
        dispatch(a);
        if (r & TUI_QUIT)
            break;
        draw_frame(a);
    }
    endwin();
    int sig = g_quit;
    if (sig) /* the terminal is back: keep the work, say where */
        keep_unsaved(a, sig);
    tp_set_oom_handler(prev_oom);
    tui_app_free(a);
    return sig ? 128 + sig : 0;
}
