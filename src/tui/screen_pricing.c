/* screen_pricing.c - the API price table: search, provider filter, sort by
 * any column, as-of dates visible. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/screen.h"
#include "tui/textfit.h"
#include "tui/tui.h"
#include "tui/wrap.h"
#include "tunepilot/session.h"
#include "tunepilot/net.h"
#include "tunepilot/text.h"

typedef struct PricingState {
    char filter[64];
    bool typing;
    int provider; /* 0 = all, else index+1 into the provider list */
    int sort_col, sort_desc;
    int sel, top;
    int *rows; /* model indexes after filter and sort */
    int n_rows;
} PricingState;

static const TuiKey KEYS[] = {
    {"/", "search model and provider names; Enter or Esc ends typing"},
    {"p", "the next provider (all, then each)"},
    {"s", "sort by the next column"},
    {"r", "reverse the sort"},
    {"u", "download the LiteLLM price file as a new snapshot (Esc cancels)"},
    {"Up/Down, PgUp/PgDn", "scroll; the side panel shows the selected model"},
    {NULL, NULL},
};

static const char *const PCOLS[] = {"model",   "provider", "in/Mtok", "out/Mtok", "cached",
                                    "context", "ttft ms",  "tok/s",   "as of"};
#define N_COLS 9

/* The columns shown are chosen by width (table_columns): the model and its
 * prices first, then context, latency (time to first token), as-of date,
 * provider, throughput and cached price; the model's name takes the room
 * left, up to 38 cells. */
static const TableCol COLSPEC[N_COLS] = {
    {"model", 16, 0, 38},  {"provider", 10, 6, 0}, {"in/Mtok", 8, 1, 0},
    {"out/Mtok", 8, 2, 0}, {"cached", 7, 8, 0},    {"context", 9, 3, 0},
    {"ttft ms", 7, 4, 0},  {"tok/s", 6, 7, 0},     {"as of", 10, 5, 0},
};

/* Distinct providers in table order. */
static int providers(const Pricing *p, const char **out, int max) {
    int n = 0;
    for (int i = 0; i < p->n_models; i++) {
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen |= !strcmp(out[k], p->models[i].provider);
        if (!seen && n < max)
            out[n++] = p->models[i].provider;
    }
    return n;
}

static const Pricing *g_sort_pricing;
static int g_sort_col, g_sort_desc;

static double num_col(const PricingModel *m, int col) {
    switch (col) {
    case 2:
        return m->input_per_mtok;
    case 3:
        return m->output_per_mtok;
    case 4:
        return m->cached_input_per_mtok;
    case 5:
        return (double)m->context_window;
    case 6:
        return m->ttft_ms;
    case 7:
        return m->output_tokens_per_s;
    default:
        return 0;
    }
}

static int cmp_rows(const void *x, const void *y) {
    const PricingModel *a = &g_sort_pricing->models[*(const int *)x];
    const PricingModel *b = &g_sort_pricing->models[*(const int *)y];
    int r;
    if (g_sort_col == 0)
        r = strcasecmp(a->id, b->id);
    else if (g_sort_col == 1)
        r = strcasecmp(a->provider, b->provider);
    else if (g_sort_col == 8)
        r = strcmp(a->as_of, b->as_of);
    else {
        double u = num_col(a, g_sort_col), v = num_col(b, g_sort_col);
        /* unknown figures sort last either way */
        if (isnan(u) || isnan(v))
            return isnan(u) - isnan(v);
        r = u < v ? -1 : u > v;
    }
    if (r == 0)
        r = strcmp(a->id, b->id);
    return g_sort_desc ? -r : r;
}

static void rebuild(TuiApp *a, PricingState *v) {
    const Pricing *p = &a->pricing;
    const char *prov[64];
    int np = providers(p, prov, 64);
    free(v->rows);
    v->rows = malloc(sizeof(int) * (size_t)(p->n_models ? p->n_models : 1));
    v->n_rows = 0;
    for (int i = 0; i < p->n_models; i++) {
        const PricingModel *m = &p->models[i];
        if (v->provider > 0 && v->provider <= np && strcmp(m->provider, prov[v->provider - 1]))
            continue;
        if (v->filter[0] && !tp_text_contains_ci(m->id, v->filter) && !tp_text_contains_ci(m->provider, v->filter))
            continue;
        v->rows[v->n_rows++] = i;
    }
    g_sort_pricing = p;
    g_sort_col = v->sort_col;
    g_sort_desc = v->sort_desc;
    qsort(v->rows, (size_t)v->n_rows, sizeof(int), cmp_rows);
    if (v->sel >= v->n_rows)
        v->sel = v->n_rows ? v->n_rows - 1 : 0;
}

static void *pricing_open(TuiApp *a) {
    (void)a;
    return calloc(1, sizeof(PricingState));
}

static void pricing_close(TuiApp *a, void *self) {
    (void)a;
    PricingState *v = self;
    if (v)
        free(v->rows);
    free(v);
}

/* New prices (the app has loaded them): the rows index another table. */
static int pricing_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    (void)a;
    PricingState *v = self;
    if (ev->kind == TUI_EV_PRICES_CHANGED) {
        free(v->rows);
        v->rows = NULL;
        v->n_rows = 0;
        v->sel = v->top = 0;
        v->provider = 0;
    }
    return TUI_NONE;
}

/* --- u: download the LiteLLM price file -------------------------------------------------- */

/* Shows the bytes received on the status line while the download runs;
 * Esc cancels it (the update then fails and leaves every snapshot as it was). */
static int update_progress(void *ctx, long long now, long long total) {
    TuiApp *a = ctx;
    if (total > 0)
        snprintf(a->message, sizeof a->message,
                 "updating prices: %.1f of %.1f MB (%.0f%%)  Esc cancels", now / 1e6, total / 1e6,
                 100.0 * (double)now / (double)total);
    else
        snprintf(a->message, sizeof a->message, "updating prices: %.1f MB  Esc cancels", now / 1e6);
    tui_redraw_now(a);
    nodelay(stdscr, TRUE);
    int ch, cancel = 0;
    while ((ch = getch()) != ERR)
        if (ch == 27)
            cancel = 1;
    nodelay(stdscr, FALSE);
    return cancel;
}

static void update_prices(TuiApp *a) {
    if (!a->store) {
        snprintf(a->message, sizeof a->message,
                 "cannot update prices: the database is unavailable (%s)", a->store_error);
        return;
    }
    snprintf(a->message, sizeof a->message, "updating prices: connecting...  Esc cancels");
    tui_redraw_now(a);
    NetPricesUpdate o = {.progress = update_progress, .progress_ctx = a};
    NetPricesResult r;
    TpError err = {0};
    if (net_prices_update(a->store, &o, &r, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "price update failed (snapshots unchanged): %s",
                 err.msg);
        return;
    }
    if (r.outcome == NET_PRICES_NEW) {
        /* the app loads the new prices; Costs and Decide price again */
        tui_post(a, TUI_EV_PRICES_CHANGED, r.snapshot_id, NULL, NULL);
        snprintf(a->message, sizeof a->message, "prices updated: snapshot %lld, %d models as of %s",
                 (long long)r.snapshot_id, r.n_models, r.as_of);
    } else if (r.outcome == NET_PRICES_NOT_MODIFIED) {
        snprintf(a->message, sizeof a->message,
                 "prices not modified since the last download; snapshot %lld still holds",
                 (long long)r.snapshot_id);
    } else {
        snprintf(a->message, sizeof a->message,
                 "prices downloaded, equal to snapshot %lld's; no new snapshot",
                 (long long)r.snapshot_id);
    }
}

static int pricing_key(TuiApp *a, void *self, int ch) {
    PricingState *v = self;
    const char *prov[64];
    int np = providers(&a->pricing, prov, 64);
    if (v->typing) {
        size_t n = strlen(v->filter);
        if (ch == '\n' || ch == KEY_ENTER || ch == 27) {
            v->typing = false;
        } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
            if (n)
                v->filter[n - 1] = '\0';
        } else if (ch >= 32 && ch < 127 && n + 1 < sizeof v->filter) {
            v->filter[n] = (char)ch;
            v->filter[n + 1] = '\0';
        } else {
            return TUI_NONE;
        }
        v->sel = v->top = 0;
        rebuild(a, v);
        return TUI_REDRAW;
    }
    switch (ch) {
    case '/':
        v->typing = true;
        return TUI_REDRAW;
    case 'p':
        v->provider = (v->provider + 1) % (np + 1);
        v->sel = v->top = 0;
        break;
    case 's':
        v->sort_col = (v->sort_col + 1) % N_COLS;
        break;
    case 'r':
        v->sort_desc = !v->sort_desc;
        break;
    case 'u':
        update_prices(a); /* the rows are rebuilt at the next draw */
        return TUI_REDRAW;
    case KEY_UP:
    case 'k':
        if (v->sel > 0)
            v->sel--;
        break;
    case KEY_DOWN:
    case 'j':
        if (v->sel + 1 < v->n_rows)
            v->sel++;
        break;
    case KEY_PPAGE:
        v->sel = v->sel > 10 ? v->sel - 10 : 0;
        break;
    case KEY_NPAGE:
        v->sel = v->sel + 10 < v->n_rows ? v->sel + 10 : (v->n_rows ? v->n_rows - 1 : 0);
        break;
    default:
        return TUI_NONE;
    }
    rebuild(a, v);
    return TUI_REDRAW;
}

/* "-" for an unknown figure, else %.3g (prices) or %.0f (whole numbers). */
static void fmt(char *out, size_t n, double v, bool whole) {
    if (isnan(v))
        snprintf(out, n, "-");
    else if (whole)
        snprintf(out, n, "%.0f", v);
    else
        snprintf(out, n, "%.3g", v);
}

static void pricing_draw(TuiApp *a, void *self) {
    PricingState *v = self;
    if (!v->rows)
        rebuild(a, v);
    Rect b = a->lay.body;
    const char *prov[64];
    int np = providers(&a->pricing, prov, 64);
    tui_textf(a, b.y, b.x, b.w, v->typing ? ROLE_SELECTED : ROLE_NORMAL,
              "search: %s%s   provider: %s   sort: %s %s   %d of %d models", v->filter,
              v->typing ? "_" : "", v->provider ? prov[v->provider - 1] : "all", PCOLS[v->sort_col],
              v->sort_desc ? "(descending)" : "", v->n_rows, a->pricing.n_models);
    int w[N_COLS];
    table_columns(COLSPEC, N_COLS, b.w, w); /* the layout leaves a gap before the side panel */
    char hdr[1024] = "";
    for (int c = 0; c < N_COLS; c++)
        if (w[c])
            table_cell(hdr, sizeof hdr, PCOLS[c], w[c], c >= 2 && c <= 7, a->ascii);
    /* retired entries are marked against today (TUNEPILOT_TODAY or the clock) */
    char today[11] = "";
    TpError terr = {0};
    if (session_today(today, &terr) != TP_OK)
        today[0] = '\0';
    tui_text(a, b.y + 2, b.x, b.w, ROLE_HEADER, false, hdr);
    int rows = b.h - 3;
    if (v->sel < v->top)
        v->top = v->sel;
    if (v->sel >= v->top + rows)
        v->top = v->sel - rows + 1;
    for (int r = 0; r < rows && v->top + r < v->n_rows; r++) {
        const PricingModel *m = &a->pricing.models[v->rows[v->top + r]];
        char f[N_COLS][128];
        const char *ret = m->life.retires_on.date;
        bool gone = ret && today[0] && strcmp(ret, today) <= 0;
        snprintf(f[0], sizeof f[0], "%s%s", gone ? "(retired) " : "", m->id);
        snprintf(f[1], sizeof f[1], "%s", m->provider);
        fmt(f[2], sizeof f[2], m->input_per_mtok, false);
        fmt(f[3], sizeof f[3], m->output_per_mtok, false);
        fmt(f[4], sizeof f[4], m->cached_input_per_mtok, false);
        snprintf(f[5], sizeof f[5], "%lld", m->context_window);
        fmt(f[6], sizeof f[6], m->ttft_ms, true);
        fmt(f[7], sizeof f[7], m->output_tokens_per_s, true);
        snprintf(f[8], sizeof f[8], "%s", m->as_of);
        char line[1024] = "";
        for (int c = 0; c < N_COLS; c++)
            if (w[c])
                table_cell(line, sizeof line, f[c], w[c], c >= 2 && c <= 7, a->ascii);
        tui_text(a, b.y + 3 + r, b.x, b.w,
                 v->top + r == v->sel ? ROLE_SELECTED
                 : gone               ? ROLE_BAD
                                      : ROLE_NORMAL,
                 true, line);
    }
    if (a->lay.has_side && v->n_rows) {
        /* the selected model: a panel (long sources wrap; v, y, W) */
        const PricingModel *m = &a->pricing.models[v->rows[v->sel]];
        TuiDoc d = {0};
        doc_addf(&d, ROLE_NORMAL, "provider %s", m->provider);
        doc_addf(&d, ROLE_NORMAL, "$%g in / $%g out per 1M tokens", m->input_per_mtok,
                 m->output_per_mtok);
        if (m->life.retires_on.date && today[0] && strcmp(m->life.retires_on.date, today) <= 0)
            doc_addf(&d, ROLE_BAD, "retired on %s (today %s)", m->life.retires_on.date, today);
        else
            doc_add(&d, ROLE_NORMAL, 0, false, "");
        doc_add(&d, ROLE_DIM, 0, false, "prices from");
        doc_add(&d, ROLE_NORMAL, 0, false, m->source);
        doc_addf(&d, ROLE_DIM, "as of %s", m->as_of);
        doc_add(&d, ROLE_NORMAL, 0, false, "");
        if (m->latency_source) {
            doc_add(&d, ROLE_DIM, 0, false, "latency from");
            doc_add(&d, ROLE_NORMAL, 0, false, m->latency_source);
            doc_addf(&d, ROLE_DIM, "as of %s", m->latency_as_of);
            doc_add(&d, ROLE_NORMAL, 0, false, "");
        }
        /* dated availability: the model's, and its hosted fine-tune's */
        const PricingFinetune *f = pricing_find_finetune(&a->pricing, m->id);
        const PricingDate *dates[4] = {&m->life.available_from, &m->life.retires_on,
                                       f ? &f->life.new_jobs_until : NULL,
                                       f ? &f->life.retires_on : NULL};
        static const char *const what[4] = {"available from", "retires on",
                                            "fine-tuning: new jobs until",
                                            "fine-tune retires on"};
        for (int k = 0; k < 4; k++) {
            if (!dates[k] || !dates[k]->date)
                continue;
            doc_addf(&d, ROLE_BAD, "%s %s", what[k], dates[k]->date);
            doc_addf(&d, ROLE_DIM, "%s (as of %s)", dates[k]->source, dates[k]->as_of);
        }
        tui_panel(a, m->id, &d, a->lay.side);
    }
    (void)np;
}

static bool pricing_typing(const TuiApp *a, const void *self) {
    (void)a;
    const PricingState *v = self;
    return v && v->typing;
}

const TuiScreenClass tui_pricing_screen = {
    .name = "Pricing",
    .keys = KEYS,
    .footer = "/ search  p provider  s sort  r reverse  u update prices  Up/Down scroll",
    .open = pricing_open,
    .close = pricing_close,
    .draw = pricing_draw,
    .key = pricing_key,
    .notify = pricing_notify,
    .typing = pricing_typing,
};
