/* app.c - the workbench's main loop: terminal setup and restore, colour
 * roles, tabs, status bar, help, mouse, resize; screens draw the body. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui/tui.h"
#include "tunepilot/session.h"

#include <langinfo.h>
#include <locale.h>
#include <ncurses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/chart.h"
#include "tui/textfit.h"
#include "tunepilot/arena.h"
#include "tunepilot/paths.h"

static volatile sig_atomic_t g_quit;

static void on_signal(int sig) {
    (void)sig;
    g_quit = 1;
}

static const char *const TAB_NAMES[N_SCREENS] = {"Decide",  "Costs", "Pricing",
                                                 "History", "Pilot", "Runs"};

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

int tui_attr(const TuiApp *a, TuiRole r) {
    if (a->mono) {
        switch (r) {
        case ROLE_TITLE:
        case ROLE_TAB_ACTIVE:
        case ROLE_STATUS:
        case ROLE_SELECTED:
            return A_REVERSE;
        case ROLE_HEADER:
            return A_BOLD | A_UNDERLINE;
        case ROLE_GOOD:
        case ROLE_REFLINE:
            return A_BOLD;
        case ROLE_BAD:
            return A_BOLD | A_UNDERLINE;
        case ROLE_DIM:
            return A_DIM;
        default:
            return A_NORMAL;
        }
    }
    return r == ROLE_NORMAL ? A_NORMAL : (int)COLOR_PAIR(r) | (r == ROLE_HEADER ? A_BOLD : 0);
}

/* --- text ---------------------------------------------------------------------------- */

void tui_text(const TuiApp *a, int y, int x, int w, TuiRole r, bool pad, const char *text) {
    if (w <= 0 || y < 0 || y >= a->rows || x >= a->cols)
        return;
    if (x + w > a->cols)
        w = a->cols - x;
    char buf[1024];
    text_fit(text, w, a->ascii, false, buf, sizeof buf);
    int attr = tui_attr(a, r);
    attron(attr);
    mvaddstr(y, x, buf);
    if (pad)
        for (int i = text_width(buf); i < w; i++)
            addch(' ');
    attroff(attr);
}

void tui_textf(const TuiApp *a, int y, int x, int w, TuiRole r, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tui_text(a, y, x, w, r, false, buf);
}

void tui_blit_chart(const TuiApp *a, const ChartGrid *g, Rect r) {
    for (int y = 0; y < g->rows && y < r.h; y++)
        for (int x = 0; x < g->cols && x < r.w; x++) {
            const ChartCell *c = &g->cells[y * g->cols + x];
            if (!c->glyph[0])
                continue;
            TuiRole role = c->style == -1   ? ROLE_DIM
                           : c->style == -2 ? ROLE_REFLINE
                                            : (TuiRole)(ROLE_SERIES0 + (c->style % 6));
            int attr = tui_attr(a, role);
            attron(attr);
            mvaddstr(r.y + y, r.x + x, c->glyph);
            attroff(attr);
        }
}

/* Prices by the session's snapshot rule: the newest stored snapshot over
 * the bundled tables, as every command does. Called at start and after `u`
 * on Pricing. */
void tui_pricing_load(TuiApp *a) {
    TpError err = {0};
    pricing_free(&a->pricing); /* leaves it zeroed */
    if (session_pricing_load(a->store, SESSION_SNAPSHOT_NEWEST, &a->pricing, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "pricing: %s", err.msg);
        pricing_free(&a->pricing);
        if (pricing_load_bundled(&a->pricing, &err) != TP_OK)
            snprintf(a->message, sizeof a->message, "pricing: %s", err.msg);
    }
}

/* --- frame ------------------------------------------------------------------------------ */

static const char *screen_keys(ScreenId s) {
    switch (s) {
    case SCREEN_DECIDE:
        return decide_keys();
    case SCREEN_COSTS:
        return costs_keys();
    case SCREEN_PRICING:
        return pricing_keys();
    case SCREEN_PILOT:
        return pilot_keys();
    case SCREEN_RUNS:
        return runs_keys();
    default:
        return history_keys();
    }
}

static void draw_help(TuiApp *a) {
    static const char *const lines[] = {
        "tunepilot: prompt engineering, RAG or fine-tuning?",
        "",
        "1-6, Tab, F2-F7   switch screens (Decide, Costs, Pricing, History, Pilot, Runs)",
        "?, F1             this help          q, F10   quit",
        "mouse             click a tab; the wheel scrolls lists",
        "",
        "Decide   answer the questions (y/n or a number, Enter); Left/Right go back",
        "         and forward; the verdict and its reasons update as you answer",
        "Costs    Up/Down pick a workload figure, Enter edits it: the table and the",
        "         cumulative-cost chart recompute as you type; Enter applies, Esc cancels",
        "         s saves the scenario (History), e cycles the bundled examples",
        "Pricing  / search, p provider, s sort column, r reverse, Up/Down scroll",
        "History  Up/Down pick a saved scenario or decision, Enter reopens it",
        "Pilot    pick model, data and settings (Up/Down, Enter edits, Left/Right",
        "         choose); the data audit and the estimate show before L launches",
        "Runs     live curves (m smooth, l log, z zoom), Space marks runs and c",
        "         compares them; p pauses or resumes, x cancels a run",
        "o        on Decide, Costs or Runs: writes that report as one HTML page (to",
        "         $TUNEPILOT_REPORT_DIR or the current directory) and shows its path",
        "",
        "Everything shown is also available from the command line (tunepilot --help).",
        "Press any key to close.",
    };
    int n = sizeof lines / sizeof lines[0], w = 80 < a->cols - 4 ? 80 : a->cols - 4;
    int h = n + 2 < a->rows - 2 ? n + 2 : a->rows - 2, y0 = (a->rows - h) / 2,
        x0 = (a->cols - w) / 2;
    for (int y = 0; y < h; y++)
        tui_text(a, y0 + y, x0, w, ROLE_STATUS, true, "");
    for (int i = 0; i < n && i + 1 < h - 1; i++)
        tui_text(a, y0 + 1 + i, x0 + 2, w - 4, ROLE_STATUS, false, lines[i]);
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
        int y = a->rows / 2 - 1 > 0 ? a->rows / 2 - 1 : 0;
        tui_text(a, y, 0, a->cols, ROLE_NORMAL, false, m1);
        tui_text(a, y + 1, 0, a->cols, ROLE_NORMAL, false, m2);
        tui_text(a, y + 2, 0, a->cols, ROLE_DIM, false, "q quits");
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
        snprintf(tab, sizeof tab, " %d %s ", i + 1, TAB_NAMES[i]);
        tui_text(a, tb.y, x, (int)strlen(tab), i == (int)a->screen ? ROLE_TAB_ACTIVE : ROLE_TAB,
                 false, tab);
        x += (int)strlen(tab) + 1;
    }
    switch (a->screen) {
    case SCREEN_DECIDE:
        decide_draw(a);
        break;
    case SCREEN_COSTS:
        costs_draw(a);
        break;
    case SCREEN_PRICING:
        pricing_draw(a);
        break;
    case SCREEN_PILOT:
        pilot_draw(a);
        break;
    case SCREEN_RUNS:
        runs_draw(a);
        break;
    default:
        history_draw(a);
    }
    Rect s = a->lay.status;
    char status[512];
    snprintf(status, sizeof status, " %s%s%s  |  1-6 screens  o report  ? help  q quit", a->message,
             a->message[0] ? "  |  " : "", screen_keys(a->screen));
    tui_text(a, s.y, s.x, s.w, ROLE_STATUS, true, status);
    if (a->help)
        draw_help(a);
    refresh();
}

/* Which tab a click at column x on the tab bar hits, or -1. */
static int tab_at(int x) {
    int pos = 0;
    for (int i = 0; i < N_SCREENS; i++) {
        int w = (int)strlen(TAB_NAMES[i]) + 4;
        if (x >= pos && x < pos + w)
            return i;
        pos += w + 1;
    }
    return -1;
}

static int screen_key(TuiApp *a, int ch) {
    switch (a->screen) {
    case SCREEN_DECIDE:
        return decide_key(a, ch);
    case SCREEN_COSTS:
        return costs_key(a, ch);
    case SCREEN_PRICING:
        return pricing_key(a, ch);
    case SCREEN_PILOT:
        return pilot_key(a, ch);
    case SCREEN_RUNS:
        return runs_key(a, ch);
    default:
        return history_key(a, ch);
    }
}

static bool typing(const TuiApp *a) {
    return (a->screen == SCREEN_COSTS && a->costs.editing) ||
           (a->screen == SCREEN_PRICING && a->pricing_view.typing) ||
           (a->screen == SCREEN_PILOT && pilot_typing(a));
}

/* Global keys after the screen had its chance. */
static int global_key(TuiApp *a, int ch) {
    if (ch == KEY_MOUSE) {
        MEVENT ev;
        if (getmouse(&ev) != OK)
            return TUI_NONE;
        if ((ev.bstate & BUTTON1_CLICKED || ev.bstate & BUTTON1_PRESSED) && ev.y == a->lay.tabs.y) {
            int t = tab_at(ev.x);
            if (t >= 0)
                a->screen = (ScreenId)t;
            return TUI_REDRAW;
        }
        if (ev.bstate & BUTTON4_PRESSED)
            return screen_key(a, KEY_UP);
        if (ev.bstate & BUTTON5_PRESSED)
            return screen_key(a, KEY_DOWN);
        return TUI_NONE;
    }
    if (ch >= '1' && ch < '1' + N_SCREENS && !typing(a)) {
        a->screen = (ScreenId)(ch - '1');
        return TUI_REDRAW;
    }
    if (ch >= KEY_F(2) && ch < KEY_F(2) + N_SCREENS) {
        a->screen = (ScreenId)(ch - KEY_F(2));
        return TUI_REDRAW;
    }
    switch (ch) {
    case '\t':
        a->screen = (ScreenId)((a->screen + 1) % N_SCREENS);
        return TUI_REDRAW;
    case KEY_BTAB:
        a->screen = (ScreenId)((a->screen + N_SCREENS - 1) % N_SCREENS);
        return TUI_REDRAW;
    case '?':
    case KEY_F(1):
        a->help = !a->help;
        return TUI_REDRAW;
    case 'o':
        if (typing(a))
            return TUI_NONE;
        tui_export_report(a);
        return TUI_REDRAW;
    case 'q':
    case KEY_F(10):
        return TUI_QUIT;
    case KEY_RESIZE:
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* --- lifetime --------------------------------------------------------------------------------- */

static void app_open(TuiApp *a, const TuiOptions *o) {
    memset(a, 0, sizeof *a);
    a->opt = *o;
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
    tui_pricing_load(a);
    a->screen = SCREEN_DECIDE;
    costs_open(a);
    decide_open(a);
    runs_open(a);
    pilot_open(a);
}

static void app_close(TuiApp *a) {
    evals_close(a);
    pilot_close(a);
    runs_close(a);
    decide_close(a);
    costs_close(a);
    pricing_view_close(a);
    history_close(a);
    pricing_free(&a->pricing);
    store_close(a->store);
}

TuiApp *tui_app_new(const TuiOptions *o) {
    TuiApp *a = calloc(1, sizeof *a);
    if (a)
        app_open(a, o);
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
    a->screen = (ScreenId)screen;
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
    draw_frame(a);
    while (!g_quit) {
        /* while a run is live, wake up every second to redraw its curves */
        timeout(runs_live(a) || pilot_recent_launch(a) ? 1000 : -1);
        int ch = getch();
        if (ch == ERR) {
            if (!g_quit && (a->screen == SCREEN_RUNS || a->screen == SCREEN_PILOT))
                draw_frame(a);
            continue; /* a timeout or a signal */
        }
        a->message[0] = '\0';
        if (a->help && ch != KEY_RESIZE && ch != KEY_MOUSE) {
            a->help = false;
            draw_frame(a);
            continue;
        }
        int r = a->lay.too_small && ch != 'q' ? TUI_NONE : screen_key(a, ch);
        if (r == TUI_NONE)
            r = global_key(a, ch);
        if (r & TUI_QUIT)
            break;
        draw_frame(a);
    }
    endwin();
    tp_set_oom_handler(prev_oom);
    tui_app_free(a);
    return 0;
}
