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
#include "tui/tui.h"
#include "tunepilot/session.h"
#include "tunepilot/net.h"

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

static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return n == 0;
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
        if (v->filter[0] && !contains_ci(m->id, v->filter) && !contains_ci(m->provider, v->filter))
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
    char hdr[256];
    snprintf(hdr, sizeof hdr, "%-38s %-10s %8s %8s %7s %9s %7s %6s  %s", PCOLS[0], PCOLS[1],
             PCOLS[2], PCOLS[3], PCOLS[4], PCOLS[5], PCOLS[6], PCOLS[7], PCOLS[8]);
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
        char in[16], out[16], ca[16], tt[16], tps[16], line[256];
        fmt(in, sizeof in, m->input_per_mtok, false);
        fmt(out, sizeof out, m->output_per_mtok, false);
        fmt(ca, sizeof ca, m->cached_input_per_mtok, false);
        fmt(tt, sizeof tt, m->ttft_ms, true);
        fmt(tps, sizeof tps, m->output_tokens_per_s, true);
        const char *ret = m->life.retires_on.date;
        bool gone = ret && today[0] && strcmp(ret, today) <= 0;
        char name[64];
        snprintf(name, sizeof name, "%s%s", gone ? "(retired) " : "", m->id);
        snprintf(line, sizeof line, "%-38.38s %-10.10s %8s %8s %7s %9lld %7s %6s  %s", name,
                 m->provider, in, out, ca, m->context_window, tt, tps, m->as_of);
        tui_text(a, b.y + 3 + r, b.x, b.w,
                 v->top + r == v->sel ? ROLE_SELECTED
                 : gone               ? ROLE_BAD
                                      : ROLE_NORMAL,
                 true, line);
    }
    if (a->lay.has_side && v->n_rows) {
        const PricingModel *m = &a->pricing.models[v->rows[v->sel]];
        Rect s = a->lay.side;
        tui_text(a, s.y, s.x, s.w, ROLE_HEADER, false, m->id);
        if (m->life.retires_on.date && today[0] && strcmp(m->life.retires_on.date, today) <= 0)
            tui_textf(a, s.y + 3, s.x, s.w, ROLE_BAD, "retired on %s (today %s)",
                      m->life.retires_on.date, today);
        tui_textf(a, s.y + 1, s.x, s.w, ROLE_NORMAL, "provider %s", m->provider);
        tui_textf(a, s.y + 2, s.x, s.w, ROLE_NORMAL, "$%g in / $%g out per 1M tokens",
                  m->input_per_mtok, m->output_per_mtok);
        tui_text(a, s.y + 4, s.x, s.w, ROLE_DIM, false, "prices from");
        tui_text(a, s.y + 5, s.x, s.w, ROLE_NORMAL, false, m->source);
        tui_textf(a, s.y + 6, s.x, s.w, ROLE_DIM, "as of %s", m->as_of);
        int y = s.y + 8;
        if (m->latency_source) {
            tui_text(a, y++, s.x, s.w, ROLE_DIM, false, "latency from");
            tui_text(a, y++, s.x, s.w, ROLE_NORMAL, false, m->latency_source);
            tui_textf(a, y++, s.x, s.w, ROLE_DIM, "as of %s", m->latency_as_of);
            y++;
        }
        /* dated availability: the model's, and its hosted fine-tune's */
        const PricingFinetune *f = pricing_find_finetune(&a->pricing, m->id);
        const PricingDate *dates[4] = {&m->life.available_from, &m->life.retires_on,
                                       f ? &f->life.new_jobs_until : NULL,
                                       f ? &f->life.retires_on : NULL};
        static const char *const what[4] = {"available from", "retires on",
                                            "fine-tuning: new jobs until",
                                            "fine-tune retires on"};
        for (int k = 0; k < 4 && y + 1 < s.y + s.h; k++) {
            if (!dates[k] || !dates[k]->date)
                continue;
            tui_textf(a, y++, s.x, s.w, ROLE_BAD, "%s %s", what[k], dates[k]->date);
            tui_textf(a, y++, s.x, s.w, ROLE_DIM, "%s (as of %s)", dates[k]->source,
                      dates[k]->as_of);
        }
    }
    (void)np;
}

static bool pricing_typing(const void *self) {
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
