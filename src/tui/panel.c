/* panel.c - panels: text that wraps and scrolls in its rectangle, the
 * focused one full-screen, copied with OSC 52, written to a file. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui/panel.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <ncurses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tui/textfit.h"
#include "tui/wrap.h"
#include "tunepilot/fileio.h"
#include "tunepilot/paths.h"

/* The most a terminal is asked to copy: many terminals cap OSC 52 near
 * 100 kB of base64 (xterm's default selection buffer, tmux's limit). */
#define OSC52_MAX_TEXT 74000

/* --- documents --------------------------------------------------------------------- */

void doc_add(TuiDoc *d, TuiRole role, int indent, bool nowrap, const char *text) {
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        TuiLine *l = realloc(d->lines, sizeof *l * (size_t)cap);
        if (!l)
            abort();
        d->lines = l;
        d->cap = cap;
    }
    char *t = strdup(text ? text : "");
    if (!t)
        abort();
    d->lines[d->n++] = (TuiLine){t, role, indent < 0 ? 0 : indent, 0, nowrap};
}

void doc_add_hang(TuiDoc *d, TuiRole role, int hang, const char *text) {
    doc_add(d, role, 0, false, text);
    d->lines[d->n - 1].hang = hang < 0 ? 0 : hang;
}

void doc_addf(TuiDoc *d, TuiRole role, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    doc_add(d, role, 0, false, buf);
}

void doc_free(TuiDoc *d) {
    for (int i = 0; i < d->n; i++)
        free(d->lines[i].text);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

char *doc_text(const TuiDoc *d) {
    size_t n = 1;
    for (int i = 0; i < d->n; i++)
        n += (size_t)d->lines[i].indent + strlen(d->lines[i].text) + 1;
    char *s = malloc(n), *p = s;
    if (!s)
        abort();
    for (int i = 0; i < d->n; i++) {
        memset(p, ' ', (size_t)d->lines[i].indent);
        p += d->lines[i].indent;
        size_t k = strlen(d->lines[i].text);
        memcpy(p, d->lines[i].text, k);
        p += k;
        *p++ = '\n';
    }
    *p = '\0';
    return s;
}

/* --- drawing --------------------------------------------------------------------------- */

/* The rows of one line at width w: calls row(ctx, k, x offset, text, len)
 * for each (when row is not NULL) and returns how many. */
static int line_rows(const TuiLine *l, int w, void (*row)(void *, int, int, const char *, int),
                     void *ctx) {
    int w0 = w - l->indent, hang = l->hang < w0 - 8 ? l->hang : 0;
    if (w0 < 1)
        return 0;
    if (l->nowrap || !l->text[0]) {
        if (row)
            row(ctx, 0, l->indent, l->text, (int)strlen(l->text));
        return 1;
    }
    int k = 0;
    for (int off = 0; l->text[off]; k++) {
        int x = l->indent + (k ? hang : 0), next;
        int len = text_wrap_line(l->text + off, w - x, &next);
        if (row)
            row(ctx, k, x, l->text + off, len);
        off += next;
    }
    return k;
}

/* Rows the document takes at width w. */
static int doc_rows(const TuiDoc *d, int w) {
    int rows = 0;
    for (int i = 0; i < d->n; i++)
        rows += line_rows(&d->lines[i], w, NULL, NULL);
    return rows;
}

typedef struct RowCtx {
    TuiApp *a;
    Rect r;
    int first, scroll; /* the document row of the line's first row; the view's top */
    TuiRole role;
} RowCtx;

static void draw_row(void *ctx, int k, int x, const char *text, int len) {
    RowCtx *c = ctx;
    int y = c->first + k - c->scroll;
    if (y < 0 || y >= c->r.h)
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", len, text);
    tui_text(c->a, c->r.y + y, c->r.x + x, c->r.w - x, c->role, false, buf);
}

/* Draws rows [scroll, scroll + r.h) of the wrapped document in r. */
static void draw_rows(TuiApp *a, const TuiDoc *d, Rect r, int scroll) {
    int row = 0;
    for (int i = 0; i < d->n && row < scroll + r.h; i++) {
        const TuiLine *l = &d->lines[i];
        int n = line_rows(l, r.w, NULL, NULL);
        if (row + n > scroll) {
            RowCtx c = {a, r, row, scroll, l->role};
            line_rows(l, r.w, draw_row, &c);
        }
        row += n;
    }
}

static int clamp_scroll(int scroll, int rows, int h) {
    int max = rows - h > 0 ? rows - h : 0;
    return scroll < 0 ? 0 : scroll > max ? max : scroll;
}

/* The title row: the title, and where the view is when it scrolls. */
static void draw_title(TuiApp *a, const char *title, Rect r, int scroll, int rows, int h,
                       bool focused) {
    char pos[64] = "";
    if (rows > h)
        snprintf(pos, sizeof pos, " %s%d-%d/%d", a->ascii ? "" : "\u2195", scroll + 1,
                 scroll + h < rows ? scroll + h : rows, rows);
    int pw = text_width(pos);
    tui_text(a, r.y, r.x, r.w - pw, ROLE_HEADER, false, title);
    if (pw && r.w > pw)
        tui_text(a, r.y, r.x + r.w - pw, pw, focused ? ROLE_SELECTED : ROLE_DIM, false, pos);
}

int tui_doc_rows(const TuiDoc *doc, int w) {
    return doc_rows(doc, w);
}

/* The last scroll position (the view at the end). */
static int end_scroll(int rows, int h) {
    return rows - h > 0 ? rows - h : 0;
}

static void panel_draw(TuiApp *a, const char *title, TuiDoc *doc, Rect r, bool tail) {
    int s = a->screen < TUI_MAX_SCREENS ? a->screen : 0;
    int k = a->n_panels;
    if (r.h <= 0 || r.w <= 0) {
        doc_free(doc);
        return;
    }
    Rect body = {r.y + 1, r.x, r.h - 1, r.w};
    int rows = doc_rows(doc, r.w), *scroll = k < TUI_MAX_PANELS ? &a->scroll[s][k] : NULL;
    if (scroll && tail && !a->held[s][k])
        *scroll = end_scroll(rows, body.h); /* following the end */
    int sc = scroll ? (*scroll = clamp_scroll(*scroll, rows, body.h)) : 0;
    bool focused = k == a->focus[s];
    draw_title(a, title, r, sc, rows, body.h, focused);
    draw_rows(a, doc, body, sc);
    if (k < TUI_MAX_PANELS) {
        TuiPanel *p = &a->panels[a->n_panels++];
        snprintf(p->title, sizeof p->title, "%s", title);
        p->doc = *doc;
        p->r = r;
        p->tail = tail;
        memset(doc, 0, sizeof *doc);
    } else {
        doc_free(doc);
    }
}

void tui_panel(TuiApp *a, const char *title, TuiDoc *doc, Rect r) {
    panel_draw(a, title, doc, r, false);
}

void tui_panel_tail(TuiApp *a, const char *title, TuiDoc *doc, Rect r) {
    panel_draw(a, title, doc, r, true);
}

void panels_begin_frame(TuiApp *a) {
    for (int i = 0; i < a->n_panels; i++)
        doc_free(&a->panels[i].doc);
    a->n_panels = 0;
}

void panels_free(TuiApp *a) {
    panels_begin_frame(a);
    doc_free(&a->prompt_doc);
}

/* The area a full-screen view takes: everything between the tabs and the status bar. */
static Rect full_rect(const TuiApp *a) {
    return (Rect){a->lay.body.y, 0, a->lay.body.h, a->cols};
}

void panels_draw_doc_full(TuiApp *a, const char *title, const TuiDoc *doc, int *scroll) {
    Rect r = full_rect(a);
    for (int y = r.y; y < r.y + r.h; y++)
        tui_text(a, y, 0, a->cols, ROLE_NORMAL, true, "");
    Rect body = {r.y + 1, 1, r.h - 1, r.w - 2};
    int rows = doc_rows(doc, body.w);
    *scroll = clamp_scroll(*scroll, rows, body.h);
    draw_title(a, title, (Rect){r.y, 1, 1, r.w - 2}, *scroll, rows, body.h, true);
    draw_rows(a, doc, body, *scroll);
}

static const TuiPanel *focused(const TuiApp *a) {
    int f = a->focus[a->screen < TUI_MAX_SCREENS ? a->screen : 0];
    return f >= 0 && f < a->n_panels ? &a->panels[f] : NULL;
}

void panels_draw_full(TuiApp *a) {
    const TuiPanel *p = focused(a);
    if (!a->full || !p)
        return;
    char title[160];
    snprintf(title, sizeof title, "%s  (Up/Down/PgUp/PgDn scroll, y copy, W write, Esc closes)",
             p->title);
    if (p->tail && !a->full_held)
        a->full_scroll = INT_MAX / 2; /* following the end: clamped when drawn */
    panels_draw_doc_full(a, title, &p->doc, &a->full_scroll);
}

bool panels_modal(const TuiApp *a) {
    return a->full && focused(a);
}

bool panels_scroll_key(int ch, int *scroll, int page) {
    if (page < 1)
        page = 1;
    switch (ch) {
    case KEY_UP:
    case KEY_SR:
    case 'k':
        (*scroll)--;
        return true;
    case KEY_DOWN:
    case KEY_SF:
    case 'j':
        (*scroll)++;
        return true;
    case KEY_PPAGE:
        *scroll -= page;
        return true;
    case KEY_NPAGE:
    case ' ':
        *scroll += page;
        return true;
    case KEY_HOME:
    case 'g':
        *scroll = 0;
        return true;
    case KEY_END:
    case 'G':
        *scroll = INT_MAX / 2; /* clamped when drawn */
        return true;
    }
    return false;
}

/* --- copy (OSC 52) ------------------------------------------------------------------ */

static void copy_panel(TuiApp *a, const TuiPanel *p) {
    char *text = doc_text(&p->doc);
    size_t n = strlen(text);
    if (n > OSC52_MAX_TEXT) {
        snprintf(a->message, sizeof a->message,
                 "%s is too long for the clipboard (%zu bytes); W writes it to a file", p->title,
                 n);
        free(text);
        return;
    }
    char *seq = osc52_sequence(text, n);
    /* after ncurses' last refresh, straight to the terminal */
    fputs(seq, stdout);
    fflush(stdout);
    free(seq);
    free(text);
    snprintf(a->message, sizeof a->message,
             "copied %s (%zu bytes) with OSC 52: the terminal puts it on the clipboard if it "
             "allows",
             p->title, n);
}

/* --- write to a file --------------------------------------------------------------------- */

#define PANEL_MAGIC "tunepilot panel: "

static void slug(const char *s, char *out, size_t size) {
    size_t k = 0;
    for (; *s && k + 1 < size; s++)
        if (isalnum((unsigned char)*s))
            out[k++] = (char)tolower((unsigned char)*s);
        else if (k && out[k - 1] != '-')
            out[k++] = '-';
    while (k && out[k - 1] == '-')
        k--;
    out[k] = '\0';
}

static void start_prompt(TuiApp *a, const char *screen, const TuiPanel *p) {
    char a1[64], a2[64];
    slug(screen, a1, sizeof a1);
    slug(p->title, a2, sizeof a2);
    a2[24] = '\0';
    const char *dir = getenv("TUNEPILOT_REPORT_DIR");
    snprintf(a->prompt, sizeof a->prompt, "%s/%s-%s.txt", dir && *dir ? dir : ".", a1,
             a2[0] ? a2 : "panel");
    snprintf(a->prompt_title, sizeof a->prompt_title, "%s: %s", screen, p->title);
    doc_free(&a->prompt_doc);
    for (int i = 0; i < p->doc.n; i++) {
        const TuiLine *l = &p->doc.lines[i];
        doc_add(&a->prompt_doc, l->role, l->indent, l->nowrap, l->text);
    }
    a->prompting = true;
}

static bool same_file(const struct stat *x, const char *path) {
    struct stat y;
    return path && stat(path, &y) == 0 && x->st_dev == y.st_dev && x->st_ino == y.st_ino;
}

/* Whether path may be written: not an input of the workbench (the
 * database and its journal files, the scenario file it opened), and, when
 * it exists, an earlier panel written here (its first line says so). */
static bool may_write(TuiApp *a, const char *path, char *why, size_t size) {
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? true : (snprintf(why, size, "%s: %s", path, strerror(errno)), false);
    char db[4096], side[4200];
    TpError err;
    if (tp_path_db(db, sizeof db, a->opt.db_path, &err) == TP_OK) {
        const char *sfx[] = {"", "-wal", "-shm", "-journal"};
        for (int i = 0; i < 4; i++) {
            snprintf(side, sizeof side, "%s%s", db, sfx[i]);
            if (same_file(&st, side)) {
                snprintf(why, size, "%s is the database: not overwritten", path);
                return false;
            }
        }
    }
    if (same_file(&st, a->opt.scenario)) {
        snprintf(why, size, "%s is the scenario being costed: not overwritten", path);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, size, "%s is not a regular file", path);
        return false;
    }
    FILE *f = fopen(path, "r");
    char head[64] = "";
    if (f) {
        if (!fgets(head, sizeof head, f))
            head[0] = '\0';
        fclose(f);
    }
    if (strncmp(head, PANEL_MAGIC, strlen(PANEL_MAGIC))) {
        snprintf(why, size, "%s exists (only a panel written here is replaced)", path);
        return false;
    }
    return true;
}

static void write_panel(TuiApp *a) {
    char why[600];
    const char *path = a->prompt;
    if (!*path) {
        snprintf(a->message, sizeof a->message, "not written: no path");
        return;
    }
    if (!may_write(a, path, why, sizeof why)) {
        snprintf(a->message, sizeof a->message, "not written: %.240s", why);
        return;
    }
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *text = doc_text(&a->prompt_doc);
    size_t n = strlen(text) + strlen(a->prompt_title) + 128;
    char *all = malloc(n);
    if (!all)
        abort();
    snprintf(all, n, PANEL_MAGIC "%s (tunepilot %s, %s)\n\n%s", a->prompt_title, TP_VERSION, now,
             text);
    TpError err = {0};
    if (tp_file_write_atomic(path, all, strlen(all), &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "not written: %.240s", err.msg);
    } else {
        char abs[PATH_MAX];
        snprintf(a->message, sizeof a->message, "written: %.240s",
                 realpath(path, abs) ? abs : path);
    }
    free(all);
    free(text);
}

int panels_prompt_key(TuiApp *a, int ch) {
    size_t n = strlen(a->prompt);
    if (ch == '\n' || ch == KEY_ENTER) {
        a->prompting = false;
        write_panel(a);
        doc_free(&a->prompt_doc);
    } else if (ch == 27) {
        a->prompting = false;
        doc_free(&a->prompt_doc);
        snprintf(a->message, sizeof a->message, "not written");
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n)
            a->prompt[n - 1] = '\0';
    } else if (ch == 21) { /* Ctrl-U: clear */
        a->prompt[0] = '\0';
    } else if (ch >= 32 && ch < 256 && ch != 127 && n + 1 < sizeof a->prompt) {
        a->prompt[n] = (char)ch;
        a->prompt[n + 1] = '\0';
    }
    return TUI_REDRAW;
}

/* --- keys ------------------------------------------------------------------------------------ */

int panels_key(TuiApp *a, const char *screen, int ch) {
    int s = a->screen < TUI_MAX_SCREENS ? a->screen : 0;
    const TuiPanel *p = focused(a);
    if (a->full && p) {
        if (ch == 27 || ch == 'v' || ch == 'q') {
            a->full = false;
            return TUI_REDRAW;
        }
        /* from where the view is (a tail's scroll may still say "the end") */
        int rows = doc_rows(&p->doc, full_rect(a).w - 2), h = full_rect(a).h - 1;
        int from = clamp_scroll(a->full_scroll, rows, h);
        a->full_scroll = from;
        if (panels_scroll_key(ch, &a->full_scroll, full_rect(a).h - 2)) {
            a->full_scroll = clamp_scroll(a->full_scroll, rows, h);
            a->full_held = a->full_scroll < end_scroll(rows, h);
            return TUI_REDRAW;
        }
    }
    switch (ch) {
    case ']':
    case '[':
        if (!p)
            return TUI_NONE;
        if (a->n_panels > 1) {
            a->focus[s] = (a->focus[s] + (ch == ']' ? 1 : a->n_panels - 1)) % a->n_panels;
            a->full_scroll = 0;
        }
        return TUI_REDRAW;
    case 'v':
        if (!p)
            return TUI_NONE;
        a->full = true;
        a->full_scroll = a->focus[s] < TUI_MAX_PANELS ? a->scroll[s][a->focus[s]] : 0;
        a->full_held = a->focus[s] < TUI_MAX_PANELS && a->held[s][a->focus[s]];
        return TUI_REDRAW;
    case 'y':
    case 'Y':
        if (!p)
            return TUI_NONE;
        copy_panel(a, p);
        return TUI_REDRAW;
    case 'W':
        if (!p)
            return TUI_NONE;
        start_prompt(a, screen, p);
        return TUI_REDRAW;
    case KEY_SR:
    case KEY_SF:
    case KEY_PPAGE:
    case KEY_NPAGE:
    case KEY_HOME:
    case KEY_END:
        if (p && a->focus[s] < TUI_MAX_PANELS) {
            int *sc = &a->scroll[s][a->focus[s]];
            int rows = doc_rows(&p->doc, p->r.w), h = p->r.h - 1;
            *sc = clamp_scroll(*sc, rows, h);
            panels_scroll_key(ch, sc, p->r.h - 2);
            *sc = clamp_scroll(*sc, rows, h);
            if (p->tail) /* away from the end it holds; back at the end it follows */
                a->held[s][a->focus[s]] = *sc < end_scroll(rows, h);
            return TUI_REDRAW;
        }
        return TUI_NONE;
    }
    return TUI_NONE; /* the app's keys (screens, help, quit) */
}
