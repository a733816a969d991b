/* chart.c - pure chart rendering: series -> dots -> cells; sparklines; bars.
 * See chart.h for the contract, the dot bit order and the scale rules. */
#include "tui/chart.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/textfit.h"
#include "tunepilot/arena.h"
#include "tunepilot/series.h"
#include "tunepilot/utf8.h"

/* Braille bit of the dot at (row 0..3, column 0..1) inside a cell. */
static const uint8_t BRAILLE_BIT[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

/* ASCII glyph for a 3-bit mask (bit 0 top, 1 middle, 2 bottom). */
static const char ASCII_DOTS[8] = {' ', '\'', '-', '|', '.', ':', '|', '|'};

const char *chart_marker(int style) {
    static const char *const M[CHART_N_MARKERS] = {"*", "+", "o", "x", "#", "%"};
    int i = style % CHART_N_MARKERS;
    return M[i < 0 ? i + CHART_N_MARKERS : i];
}

ChartOptions chart_options_default(void) {
    ChartOptions o;
    memset(&o, 0, sizeof o);
    o.hline = NAN;
    return o;
}

void chart_grid_free(ChartGrid *g) {
    if (!g)
        return;
    free(g->cells);
    memset(g, 0, sizeof *g);
}

/* --- grid helpers ----------------------------------------------------------- */

static ChartCell *cell_at(ChartGrid *g, int r, int c) {
    if (r < 0 || r >= g->rows || c < 0 || c >= g->cols)
        return NULL;
    return &g->cells[(size_t)r * (size_t)g->cols + (size_t)c];
}

static void cell_set(ChartGrid *g, int r, int c, const char *glyph, int style) {
    ChartCell *cell = cell_at(g, r, c);
    if (!cell)
        return;
    snprintf(cell->glyph, sizeof cell->glyph, "%s", glyph);
    cell->style = style;
}

/* Writes text one character per cell from (r, c), at most maxw cells (labels
 * and notes are single-width text). */
static void put_text(ChartGrid *g, int r, int c, const char *text, int maxw, int style) {
    int i = 0;
    for (const char *p = text; *p && i < maxw;) {
        unsigned cp;
        int n = text_utf8_decode(p, &cp, NULL);
        char one[8] = "";
        memcpy(one, p, (size_t)n);
        cell_set(g, r, c + i, one, style);
        p += n;
        i++;
    }
}

/* Centres text in row r between columns c0 and c0 + w - 1, cut to fit. */
static void put_centred(ChartGrid *g, int r, int c0, int w, const char *text) {
    if (w <= 0)
        return;
    int tw = text_width(text);
    char buf[64];
    if (tw > w) {
        text_fit(text, w, false, false, buf, sizeof buf);
        tw = w;
    } else {
        snprintf(buf, sizeof buf, "%s", text);
    }
    put_text(g, r, c0 + (w - tw) / 2, buf, w, CHART_STYLE_AXIS);
}

static void grid_init(ChartGrid *g, int rows, int cols) {
    memset(g, 0, sizeof *g);
    g->rows = rows > 0 ? rows : 0;
    g->cols = cols > 0 ? cols : 0;
    if (g->rows == 0 || g->cols == 0) {
        g->rows = g->cols = 0;
        return;
    }
    size_t n = (size_t)g->rows * (size_t)g->cols;
    g->cells = tp_xcalloc(n, sizeof *g->cells);
    for (size_t i = 0; i < n; i++) {
        g->cells[i].glyph[0] = ' ';
        g->cells[i].style = CHART_STYLE_AXIS;
    }
}

/* --- visible points --------------------------------------------------------- */

/* The finite, smoothed, zoomed points of one series. */
typedef struct Pts {
    double *x, *y;
    int n;
    int style;
} Pts;

static double series_x(const ChartSeries *s, int i) {
    return s->x ? s->x[i] : (double)i;
}

static bool point_ok(const ChartSeries *s, int i) {
    return isfinite(series_x(s, i)) && isfinite(s->y[i]);
}

/* Collects the visible points of every series; returns the number of them. */
static int collect_points(const ChartSeries *s, int n_series, const ChartOptions *o, Pts *pts) {
    bool have_end = false;
    double x_end = 0.0;
    for (int k = 0; k < n_series; k++)
        for (int i = 0; s[k].y && i < s[k].n; i++)
            if (point_ok(&s[k], i) && (!have_end || series_x(&s[k], i) > x_end)) {
                x_end = series_x(&s[k], i);
                have_end = true;
            }
    int total = 0;
    for (int k = 0; k < n_series; k++) {
        int n = s[k].y && s[k].n > 0 ? s[k].n : 0;
        pts[k].x = tp_xcalloc((size_t)n + 1, sizeof(double));
        pts[k].y = tp_xcalloc((size_t)n + 1, sizeof(double));
        pts[k].n = 0;
        pts[k].style = s[k].style;
        /* Smoothing runs over the whole series so a zoomed view shows the
         * same curve as the full one (series_ema, shared with the reports);
         * it leaves NAN at the points that are not finite. */
        double *sm = tp_xcalloc((size_t)n + 1, sizeof(double));
        series_ema(s[k].x, s[k].y, n, o->smooth, sm);
        for (int i = 0; i < n; i++) {
            if (!isfinite(sm[i]))
                continue;
            double x = series_x(&s[k], i);
            if (o->last_n > 0 && !(x > x_end - (double)o->last_n))
                continue;
            pts[k].x[pts[k].n] = x;
            pts[k].y[pts[k].n] = sm[i];
            pts[k].n++;
        }
        free(sm);
        total += pts[k].n;
    }
    return total;
}

/* --- scale ------------------------------------------------------------------ */

typedef struct Scale {
    bool log_y;
    double lo, hi;   /* y in scale units (log10 when log_y) */
    double xlo, xhi; /* x range; equal when all points share one x */
    bool have_y, have_x;
    int W, H; /* dot space */
} Scale;

static double scale_t(const Scale *sc, double y) {
    return sc->log_y ? log10(y) : y;
}

static int round_idx(double v, int max) {
    double r = floor(v + 0.5);
    if (!(r >= 0.0))
        return 0;
    if (r > (double)max)
        return max;
    return (int)r;
}

static int dot_col(const Scale *sc, double x) {
    if (sc->xhi == sc->xlo)
        return (sc->W - 1) / 2;
    return round_idx((x - sc->xlo) / (sc->xhi - sc->xlo) * (double)(sc->W - 1), sc->W - 1);
}

static int dot_row(const Scale *sc, double y) {
    return round_idx((sc->hi - scale_t(sc, y)) / (sc->hi - sc->lo) * (double)(sc->H - 1),
                     sc->H - 1);
}

/* Ranges of the visible data (and hline); decides the log scale. Returns
 * whether log was asked for but impossible. */
static bool scale_compute(Scale *sc, const Pts *pts, int n_series, const ChartOptions *o) {
    bool hl = isfinite(o->hline);
    bool all_pos = !hl || o->hline > 0.0;
    sc->have_x = sc->have_y = false;
    for (int k = 0; k < n_series; k++)
        for (int i = 0; i < pts[k].n; i++) {
            if (!(pts[k].y[i] > 0.0))
                all_pos = false;
            if (!sc->have_x || pts[k].x[i] < sc->xlo)
                sc->xlo = pts[k].x[i];
            if (!sc->have_x || pts[k].x[i] > sc->xhi)
                sc->xhi = pts[k].x[i];
            sc->have_x = true;
        }
    sc->log_y = o->log_y && all_pos && (sc->have_x || hl);
    bool log_off = o->log_y && !sc->log_y && (sc->have_x || hl);
    for (int k = 0; k < n_series; k++)
        for (int i = 0; i < pts[k].n; i++) {
            double t = scale_t(sc, pts[k].y[i]);
            if (!sc->have_y || t < sc->lo)
                sc->lo = t;
            if (!sc->have_y || t > sc->hi)
                sc->hi = t;
            sc->have_y = true;
        }
    if (hl) {
        double t = scale_t(sc, o->hline);
        if (!sc->have_y || t < sc->lo)
            sc->lo = t;
        if (!sc->have_y || t > sc->hi)
            sc->hi = t;
        sc->have_y = true;
    }
    if (!sc->have_y) {
        sc->lo = 0.0, sc->hi = 1.0;
    } else if (sc->hi == sc->lo) {
        double pad = sc->lo != 0.0 ? fabs(sc->lo) * 0.5 : 1.0;
        sc->lo -= pad, sc->hi += pad;
    }
    if (!sc->have_x)
        sc->xlo = sc->xhi = 0.0;
    return log_off;
}

/* --- dots ------------------------------------------------------------------- */

typedef struct Canvas {
    int h, w;        /* plot size in cells */
    bool ascii;
    bool markers;    /* cells show their series' marker instead of dots */
    uint8_t *mask;   /* h*w dot masks */
    int *style;      /* h*w: style of the last series to touch the cell, or -1 */
} Canvas;

static void set_dot(Canvas *cv, int dr, int dc, int style) {
    int r, c;
    uint8_t bit;
    if (cv->ascii) {
        r = dr / 3, c = dc;
        bit = (uint8_t)(1u << (dr % 3));
    } else {
        r = dr / 4, c = dc / 2;
        bit = BRAILLE_BIT[dr % 4][dc % 2];
    }
    if (dr < 0 || dc < 0 || r >= cv->h || c >= cv->w)
        return;
    cv->mask[r * cv->w + c] |= bit;
    cv->style[r * cv->w + c] = style;
}

/* Bresenham between two dots, all octants, both ends included. */
static void draw_line(Canvas *cv, int c0, int r0, int c1, int r1, int style) {
    int dx = abs(c1 - c0), sx = c0 < c1 ? 1 : -1;
    int dy = -abs(r1 - r0), sy = r0 < r1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        set_dot(cv, r0, c0, style);
        if (c0 == c1 && r0 == r1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            c0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            r0 += sy;
        }
    }
}

/* Draws one series: points in the same dot column collapse into a vertical
 * span (their segments cover exactly that span), and consecutive columns
 * are joined by a line from the last point of one to the first of the next. */
static void draw_series(Canvas *cv, const Scale *sc, const Pts *p) {
    int cur_c = 0, lo = 0, hi = 0, last_r = 0;
    for (int i = 0; i < p->n; i++) {
        int c = dot_col(sc, p->x[i]), r = dot_row(sc, p->y[i]);
        if (i > 0 && c == cur_c) {
            lo = r < lo ? r : lo;
            hi = r > hi ? r : hi;
            last_r = r;
            continue;
        }
        if (i > 0) {
            draw_line(cv, cur_c, lo, cur_c, hi, p->style);
            draw_line(cv, cur_c, last_r, c, r, p->style);
        }
        cur_c = c, lo = hi = last_r = r;
    }
    if (p->n > 0)
        draw_line(cv, cur_c, lo, cur_c, hi, p->style);
}

/* --- cells ------------------------------------------------------------------ */

static void braille_glyph(uint8_t mask, char out[8]) {
    out[tp_utf8_put(0x2800u + mask, out)] = '\0';
}

/* Copies the canvas into the grid's plot area, with reference lines in the
 * cells no series touched. hrow/vcol_hit: cell row of the hline (-1 none)
 * and which plot columns hold a vline. */
static void compose(ChartGrid *g, const Canvas *cv, int hrow, const bool *vcol) {
    for (int r = 0; r < cv->h; r++)
        for (int c = 0; c < cv->w; c++) {
            int i = r * cv->w + c;
            int gr = g->plot_y + r, gc = g->plot_x + c;
            if (cv->mask[i]) {
                char glyph[8] = "";
                if (cv->markers && cv->style[i] >= 0)
                    snprintf(glyph, sizeof glyph, "%s", chart_marker(cv->style[i]));
                else if (cv->ascii)
                    glyph[0] = ASCII_DOTS[cv->mask[i] & 7];
                else
                    braille_glyph(cv->mask[i], glyph);
                cell_set(g, gr, gc, glyph, cv->style[i]);
                continue;
            }
            bool h = r == hrow, v = vcol[c];
            if (h && v)
                cell_set(g, gr, gc, cv->ascii ? "+" : "\xE2\x94\xBC", CHART_STYLE_REF);
            else if (h)
                cell_set(g, gr, gc, cv->ascii ? "=" : "\xE2\x94\x84", CHART_STYLE_REF);
            else if (v)
                cell_set(g, gr, gc, cv->ascii ? ":" : "\xE2\x94\x8A", CHART_STYLE_REF);
        }
}

/* Gutter, axis column and x-label row. */
static void draw_axes(ChartGrid *g, bool ascii) {
    int gut = g->plot_x;
    for (int r = 0; r < g->plot_h; r++)
        cell_set(g, r, gut - 1, ascii ? "|" : "\xE2\x94\x82", CHART_STYLE_AXIS);
    int wt = text_width(g->y_top), wb = text_width(g->y_bottom);
    put_text(g, 0, gut - 1 - wt, g->y_top, wt, CHART_STYLE_AXIS);
    put_text(g, g->plot_h - 1, gut - 1 - wb, g->y_bottom, wb, CHART_STYLE_AXIS);

    int row = g->rows - 1;
    int wl = text_width(g->x_left), wr = text_width(g->x_right);
    put_text(g, row, g->plot_x, g->x_left, g->plot_w, CHART_STYLE_AXIS);
    int used_l = wl < g->plot_w ? wl : g->plot_w;
    int right_at = g->cols - wr;
    if (wr > 0 && right_at > g->plot_x + used_l) {
        put_text(g, row, right_at, g->x_right, wr, CHART_STYLE_AXIS);
    } else {
        right_at = g->cols;
    }
    if (strcmp(g->note, "log off: y<=0") == 0) {
        int from = g->plot_x + used_l + 1, room = right_at - 1 - from;
        if (room >= text_width(g->note))
            put_centred(g, row, from, room, g->note);
    }
}

int chart_render(const ChartSeries *s, int n_series, int rows, int cols, const ChartOptions *opt,
                 ChartGrid *out) {
    grid_init(out, rows, cols);
    if (rows < CHART_MIN_ROWS || cols < CHART_MIN_COLS) {
        snprintf(out->note, sizeof out->note, "too small");
        if (out->rows > 0)
            put_centred(out, (out->rows - 1) / 2, 0, out->cols, out->note);
        return -1;
    }
    ChartOptions o = opt ? *opt : chart_options_default();
    if (!s || n_series < 0)
        n_series = 0;

    Pts *pts = tp_xcalloc((size_t)n_series + 1, sizeof *pts);
    int total = collect_points(s, n_series, &o, pts);
    Scale sc;
    memset(&sc, 0, sizeof sc);
    bool log_off = scale_compute(&sc, pts, n_series, &o);
    out->log_y = sc.log_y;
    out->y_min = sc.log_y ? pow(10.0, sc.lo) : sc.lo;
    out->y_max = sc.log_y ? pow(10.0, sc.hi) : sc.hi;
    out->x_min = sc.xlo, out->x_max = sc.xhi;
    if (sc.have_y) {
        fmt_compact(out->y_max, out->y_top, sizeof out->y_top);
        fmt_compact(out->y_min, out->y_bottom, sizeof out->y_bottom);
    }
    if (sc.have_x) {
        fmt_compact(sc.xlo, out->x_left, sizeof out->x_left);
        fmt_compact(sc.xhi, out->x_right, sizeof out->x_right);
    }
    if (total == 0)
        snprintf(out->note, sizeof out->note, "no data");
    else if (log_off)
        snprintf(out->note, sizeof out->note, "log off: y<=0");

    bool axes = rows >= CHART_AXES_MIN_ROWS && cols >= CHART_AXES_MIN_COLS;
    if (axes) {
        int wt = text_width(out->y_top), wb = text_width(out->y_bottom);
        out->plot_x = (wt > wb ? wt : wb) + 1;
        out->plot_y = 0;
        out->plot_h = rows - 1;
        out->plot_w = cols - out->plot_x;
    } else {
        out->plot_x = out->plot_y = 0;
        out->plot_h = rows, out->plot_w = cols;
    }

    Canvas cv = {out->plot_h, out->plot_w, o.ascii, o.markers, NULL, NULL};
    size_t ncell = (size_t)cv.h * (size_t)cv.w;
    cv.mask = tp_xcalloc(ncell, 1);
    cv.style = tp_xcalloc(ncell, sizeof *cv.style);
    sc.W = o.ascii ? cv.w : 2 * cv.w;
    sc.H = o.ascii ? 3 * cv.h : 4 * cv.h;
    for (int k = 0; k < n_series; k++)
        draw_series(&cv, &sc, &pts[k]);

    int hrow = -1;
    if (isfinite(o.hline) && (!sc.log_y || o.hline > 0.0))
        hrow = dot_row(&sc, o.hline) / (o.ascii ? 3 : 4);
    bool *vcol = tp_xcalloc((size_t)cv.w, sizeof *vcol);
    for (int i = 0; sc.have_x && o.vlines && i < o.n_vlines; i++) {
        double v = o.vlines[i];
        if (isfinite(v) && v >= sc.xlo && v <= sc.xhi)
            vcol[dot_col(&sc, v) / (o.ascii ? 1 : 2)] = true;
    }
    compose(out, &cv, hrow, vcol);
    if (axes)
        draw_axes(out, o.ascii);
    if (total == 0)
        put_centred(out, out->plot_y + (out->plot_h - 1) / 2, out->plot_x, out->plot_w,
                    out->note);

    free(vcol);
    free(cv.mask);
    free(cv.style);
    for (int k = 0; k < n_series; k++) {
        free(pts[k].x);
        free(pts[k].y);
    }
    free(pts);
    return 0;
}

/* --- sparkline and bar -------------------------------------------------------- */

/* Appends a glyph if it fits whole; returns false when out is full. */
static bool append(char *out, size_t size, size_t *len, const char *g) {
    size_t n = strlen(g);
    if (*len + n + 1 > size)
        return false;
    memcpy(out + *len, g, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

void chart_sparkline(const double *y, int n, int width, bool ascii, char *out, size_t size) {
    static const char *const BLOCKS[8] = {"\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83",
                                          "\xE2\x96\x84", "\xE2\x96\x85", "\xE2\x96\x86",
                                          "\xE2\x96\x87", "\xE2\x96\x88"};
    static const char ASCII_LEVELS[] = " .:-=+*#";
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (width <= 0)
        return;
    if ((size_t)width >= size)
        width = (int)(size - 1); /* no more cells than bytes; bounds the work */
    if (!y || n < 0)
        n = 0;
    /* Cell values: means of each cell's share (or one value per cell). */
    int cells = n < width ? n : width;
    double *v = tp_xcalloc((size_t)cells + 1, sizeof *v);
    bool any = false;
    double lo = 0.0, hi = 0.0;
    for (int i = 0; i < cells; i++) {
        long a = (long)i * n / cells, b = (long)(i + 1) * n / cells;
        double sum = 0.0;
        int cnt = 0;
        for (long j = a; j < b; j++)
            if (isfinite(y[j]))
                sum += y[j], cnt++;
        v[i] = cnt ? sum / cnt : NAN;
        if (cnt) {
            lo = !any || v[i] < lo ? v[i] : lo;
            hi = !any || v[i] > hi ? v[i] : hi;
            any = true;
        }
    }
    size_t len = 0;
    for (int i = 0; i < width; i++) {
        char g[4] = " ";
        if (i < cells && isfinite(v[i])) {
            int level = hi > lo ? round_idx((v[i] - lo) / (hi - lo) * 7.0, 7) : 0;
            if (ascii)
                g[0] = ASCII_LEVELS[level];
            else
                memcpy(g, BLOCKS[level], 4);
        }
        if (!append(out, size, &len, g))
            break;
    }
    free(v);
}

void chart_bar(double f, int width, bool ascii, char *out, size_t size) {
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (width <= 0)
        return;
    if ((size_t)width >= size)
        width = (int)(size - 1); /* no more cells than bytes; avoids overflow below */
    if (!(f > 0.0))
        f = 0.0;
    if (f > 1.0)
        f = 1.0;
    size_t len = 0;
    int units = ascii ? 1 : 8;
    int filled = round_idx(f * (double)width * units, width * units);
    int full = filled / units, part = filled % units;
    int i = 0;
    for (; i < full; i++)
        if (!append(out, size, &len, ascii ? "#" : "\xE2\x96\x88"))
            return;
    if (part > 0) {
        /* U+2590 - k is the left block of k eighths (U+258F 1/8 .. U+2589 7/8). */
        char g[4] = {(char)0xE2, (char)0x96, (char)(0x90 - part), '\0'};
        if (!append(out, size, &len, g))
            return;
        i++;
    }
    for (; i < width; i++)
        if (!append(out, size, &len, " "))
            return;
}
