/* svg.c - SVG line and bar charts for the HTML reports. See svg.h.
 *
 * Geometry is in viewBox units (720 wide). Text is 12 units high; its width
 * is estimated at CHAR_W per character (DejaVu Sans and Liberation Sans
 * average about 0.55 em, so 7 units at 12 is generous) and every label is
 * placed so that its estimated extent stays inside the viewBox. */
#include "tunepilot/text.h"
#include "tunepilot/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/report.h"
#include "tunepilot/series.h"
#include "tunepilot/utf8.h"

#define W 720.0
#define CHAR_W 7.0
#define FONT 12.0
#define LEGEND_ROW 20.0
#define MAX_TICKS 16

static const char *const DASH[SVG_STYLES] = {"", "8 4", "2 3", "10 3 2 3", "5 2 1 2", "14 5"};

void svg_escape(TpBuf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': tp_buf_puts(b, "&amp;"); break;
        case '<': tp_buf_puts(b, "&lt;"); break;
        case '>': tp_buf_puts(b, "&gt;"); break;
        case '"': tp_buf_puts(b, "&quot;"); break;
        case '\'': tp_buf_puts(b, "&#39;"); break;
        default: tp_buf_append(b, s, 1);
        }
    }
}

static double text_w(const char *s) {
    return (double)tp_utf8_count(s) * CHAR_W;
}

static int decimals_for(double step) {
    if (!(step > 0))
        return 0;
    int d = (int)-floor(log10(step) + 1e-9);
    return d > 0 ? d : 0;
}

void svg_tick_label(double v, double step, SvgUnit unit, char *out, size_t size) {
    if (fabs(v) < step * 1e-9)
        v = 0.0;
    double a = fabs(v) > step ? fabs(v) : step;
    if (unit == SVG_UNIT_USD && v == 0.0) {
        snprintf(out, size, "$0");
        return;
    }
    if (unit == SVG_UNIT_USD) {
        const char *sfx = "";
        double div = 1;
        if (a >= 1e6)
            div = 1e6, sfx = "M";
        else if (a >= 1e4)
            div = 1e3, sfx = "k";
        int d = decimals_for(step / div);
        if (d > 4)
            d = 4;
        snprintf(out, size, "%s$%.*f%s", v < 0 ? "-" : "", d, fabs(v) / div, sfx);
        return;
    }
    if (unit == SVG_UNIT_MS || unit == SVG_UNIT_INT || (a >= 1e4 && step >= 1)) {
        char raw[64];
        snprintf(raw, sizeof raw, "%.0f", v);
        if (fabs(v) >= 1e4) { /* group thousands */
            tp_text_group_digits(raw, out, size);
        } else {
            snprintf(out, size, "%s", raw);
        }
        return;
    }
    int d = decimals_for(step);
    if (d > 4)
        snprintf(out, size, "%.1e", v);
    else
        snprintf(out, size, "%.*f", d, v);
}

void svg_value_label(double v, SvgUnit unit, char *out, size_t size) {
    if (!isfinite(v)) {
        snprintf(out, size, "n/a");
        return;
    }
    switch (unit) {
    case SVG_UNIT_USD: report_usd(v, out, size); return;
    case SVG_UNIT_MS: svg_tick_label(round(v), 1, SVG_UNIT_MS, out, size); return;
    case SVG_UNIT_INT: snprintf(out, size, "%.0f", v); return;
    default:
        if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e6))
            snprintf(out, size, "%.3e", v);
        else
            snprintf(out, size, "%.4g", v);
    }
}

/* A point marker of style k centred at (x, y), radius r. */
static void marker(TpBuf *b, int k, double x, double y, double r) {
    switch (k % SVG_STYLES) {
    case 0: tp_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>", x, y, r); break;
    case 1:
        tp_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x - r,
                      y - r, 2 * r, 2 * r);
        break;
    case 2:
        tp_buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"/>", x, y - 1.2 * r,
                      x + 1.1 * r, y + r, x - 1.1 * r, y + r);
        break;
    case 3:
        tp_buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"/>", x, y - 1.3 * r,
                      x + 1.3 * r, y, x, y + 1.3 * r, x - 1.3 * r, y);
        break;
    case 4:
        tp_buf_printf(b, "<path class=\"open\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1f\"/>", x - 1.3 * r,
                      y, x + 1.3 * r, x, y - 1.3 * r, y + 1.3 * r);
        break;
    default:
        tp_buf_printf(b, "<path class=\"open\" d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\"/>",
                      x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r);
    }
}

static void open_svg(TpBuf *b, const char *id, double h, const char *title, const char *desc) {
    tp_buf_puts(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"");
    svg_escape(b, id);
    tp_buf_printf(b, "\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"", W, h);
    svg_escape(b, id);
    tp_buf_puts(b, "-t ");
    svg_escape(b, id);
    tp_buf_puts(b, "-d\"><title id=\"");
    svg_escape(b, id);
    tp_buf_puts(b, "-t\">");
    svg_escape(b, title);
    tp_buf_puts(b, "</title><desc id=\"");
    svg_escape(b, id);
    tp_buf_puts(b, "-d\">");
    svg_escape(b, desc);
    tp_buf_puts(b, "</desc>\n");
}

static void text_at(TpBuf *b, double x, double y, const char *anchor, const char *cls,
                    const char *s) {
    tp_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s%s>", x, y, anchor,
                  cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    svg_escape(b, s);
    tp_buf_puts(b, "</text>");
}

/* --- legend -------------------------------------------------------------------------- */

typedef struct LegendItem {
    const char *label;
    int kind; /* 0 line+marker, 1 marker only, 2 reference line, 3 mark, 4 bar segment, 5 band,
                 6 whisker */
    int style;
    bool faint;
} LegendItem;

/* Lays out items in rows from y0; returns the height used. Draws when b. */
static double legend(TpBuf *b, const char *id, const LegendItem *it, int n, double y0) {
    double x = 8, y = y0, row_h = n ? LEGEND_ROW : 0;
    if (b && n)
        tp_buf_puts(b, "<g class=\"legend\">");
    for (int i = 0; i < n; i++) {
        double w = 34 + text_w(it[i].label) + 16;
        if (x > 8 && x + w > W - 8) {
            x = 8;
            y += LEGEND_ROW;
            row_h += LEGEND_ROW;
        }
        if (b) {
            double cy = y + LEGEND_ROW / 2;
            switch (it[i].kind) {
            case 0:
            case 1:
                tp_buf_printf(b, "<g class=\"s%d%s\">", it[i].style % SVG_STYLES,
                              it[i].faint ? " faint" : "");
                if (it[i].kind == 0) {
                    tp_buf_printf(b, "<path class=\"ln\" d=\"M%.1f %.1fH%.1f\"", x, cy, x + 28);
                    if (DASH[it[i].style % SVG_STYLES][0] && !it[i].faint)
                        tp_buf_printf(b, " stroke-dasharray=\"%s\"", DASH[it[i].style % SVG_STYLES]);
                    tp_buf_puts(b, "/>");
                }
                if (!it[i].faint) {
                    tp_buf_puts(b, "<g class=\"mk\">");
                    marker(b, it[i].style, x + 14, cy, 3.5);
                    tp_buf_puts(b, "</g>");
                }
                tp_buf_puts(b, "</g>");
                break;
            case 2:
                tp_buf_printf(b, "<path class=\"ref\" d=\"M%.1f %.1fH%.1f\"/>", x, cy, x + 28);
                break;
            case 3:
                tp_buf_printf(b, "<circle class=\"be\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>", x + 14,
                              cy);
                break;
            case 4:
                tp_buf_printf(b,
                              "<rect class=\"seg c%d\" x=\"%.1f\" y=\"%.1f\" width=\"28\" "
                              "height=\"12\"/>",
                              it[i].style % SVG_STYLES, x, cy - 6);
                if (it[i].style % SVG_STYLES)
                    tp_buf_printf(b,
                                  "<rect class=\"hatch\" x=\"%.1f\" y=\"%.1f\" width=\"28\" "
                                  "height=\"12\" fill=\"url(#%s-h%d)\"/>",
                                  x, cy - 6, id, it[i].style % SVG_STYLES);
                break;
            case 6:
                tp_buf_printf(b,
                              "<path class=\"whisker\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f "
                              "%.1fV%.1f\"/>",
                              x + 2, cy, x + 26, x + 2, cy - 5, cy + 5, x + 26, cy - 5, cy + 5);
                break;
            default:
                tp_buf_printf(b,
                              "<rect class=\"band s%d\" x=\"%.1f\" y=\"%.1f\" width=\"28\" "
                              "height=\"12\"/>",
                              it[i].style % SVG_STYLES, x, cy - 6);
            }
            text_at(b, x + 34, cy + 4, "start", NULL, it[i].label);
        }
        x += w;
    }
    if (b && n)
        tp_buf_puts(b, "</g>\n");
    return row_h + (n ? 6 : 0);
}

/* --- line chart ---------------------------------------------------------------------- */

typedef struct Frame {
    double L, T, R, B; /* plot area edges */
    double x0, x1, y0, y1;
} Frame;

static double px(const Frame *f, double x) {
    return f->x1 > f->x0 ? f->L + (x - f->x0) / (f->x1 - f->x0) * (f->R - f->L)
                         : (f->L + f->R) / 2;
}

static double py(const Frame *f, double y) {
    return f->B - (y - f->y0) / (f->y1 - f->y0) * (f->B - f->T);
}

static void range_add(double v, double *lo, double *hi, bool *have) {
    if (!isfinite(v))
        return;
    if (!*have || v < *lo)
        *lo = v;
    if (!*have || v > *hi)
        *hi = v;
    *have = true;
}

void svg_line_chart(TpBuf *b, const SvgLineChart *c) {
    double xlo = 0, xhi = 1, ylo = 0, yhi = 1;
    bool hx = false, hy = false;
    for (int k = 0; k < c->n_lines; k++) {
        const SvgLine *l = &c->lines[k];
        for (int i = 0; i < l->n; i++) {
            if (!isfinite(l->x[i]) || !isfinite(l->y[i]))
                continue;
            range_add(l->x[i], &xlo, &xhi, &hx);
            range_add(l->y[i], &ylo, &yhi, &hy);
            if (l->lo && l->hi) {
                range_add(l->lo[i], &ylo, &yhi, &hy);
                range_add(l->hi[i], &ylo, &yhi, &hy);
            }
        }
    }
    range_add(c->hline, &ylo, &yhi, &hy);
    if (c->y_zero)
        range_add(0.0, &ylo, &yhi, &hy);
    double yt[MAX_TICKS], xt[MAX_TICKS], ystep, xstep;
    int nyt = series_nice_ticks(ylo, yhi, 6, yt, MAX_TICKS, &ystep);
    int nxt = series_nice_ticks(xlo, xhi, 8, xt, MAX_TICKS, &xstep);
    if (c->x_unit == SVG_UNIT_INT && xstep < 1) {
        xstep = 1;
        nxt = 0;
        for (double v = ceil(xlo); v <= xhi && nxt < MAX_TICKS; v++)
            xt[nxt++] = v;
    }

    /* legend items */
    int nl = c->n_lines + 3;
    LegendItem *items = calloc((size_t)nl, sizeof *items);
    int ni = 0;
    bool any_band = false;
    for (int k = 0; k < c->n_lines; k++) {
        const SvgLine *l = &c->lines[k];
        items[ni++] = (LegendItem){l->label, l->points_only ? 1 : 0, l->style, l->faint};
        any_band |= l->lo && l->hi;
    }
    if (any_band)
        items[ni++] = (LegendItem){"shaded: P10-P90 over the Monte Carlo draws", 5, 0, false};
    if (isfinite(c->hline))
        items[ni++] = (LegendItem){c->hline_label ? c->hline_label : "reference", 2, 0, false};
    if (c->n_marks)
        items[ni++] = (LegendItem){c->marks_label ? c->marks_label : "marked points", 3, 0, false};

    double leg_h = legend(NULL, c->id, items, ni, 0);
    char lab[64];
    double yl_w = 0;
    for (int i = 0; i < nyt; i++) {
        svg_tick_label(yt[i], ystep, c->y_unit, lab, sizeof lab);
        if (text_w(lab) > yl_w)
            yl_w = text_w(lab);
    }
    Frame f = {0};
    f.T = leg_h + 14;
    f.L = 8 + FONT + 8 + yl_w + 8; /* y title (rotated), gap, tick labels, gap */
    svg_tick_label(xt[nxt - 1], xstep, c->x_unit, lab, sizeof lab);
    f.R = W - 8 - text_w(lab) / 2;
    double plot_h = 240;
    f.B = f.T + plot_h;
    double H = f.B + 8 + FONT + 8 + FONT + 10; /* ticks, x title */
    f.x0 = hx ? xlo : 0;
    f.x1 = hx ? xhi : 1;
    f.y0 = yt[0];
    f.y1 = yt[nyt - 1];

    open_svg(b, c->id, H, c->title, c->desc);
    legend(b, c->id, items, ni, 4);
    /* grid and axes */
    tp_buf_puts(b, "<g class=\"grid\">");
    for (int i = 0; i < nyt; i++)
        tp_buf_printf(b, "<path d=\"M%.1f %.1fH%.1f\"/>", f.L, py(&f, yt[i]), f.R);
    tp_buf_puts(b, "</g>\n<g class=\"axis\">");
    tp_buf_printf(b, "<path d=\"M%.1f %.1fV%.1fH%.1f\"/>", f.L, f.T, f.B, f.R);
    for (int i = 0; i < nyt; i++) {
        svg_tick_label(yt[i], ystep, c->y_unit, lab, sizeof lab);
        text_at(b, f.L - 8, py(&f, yt[i]) + 4, "end", NULL, lab);
    }
    for (int i = 0; i < nxt; i++) {
        if (xt[i] < f.x0 - 1e-9 * fabs(f.x0) || xt[i] > f.x1 + 1e-9 * fabs(f.x1))
            continue;
        double x = px(&f, xt[i]);
        tp_buf_printf(b, "<path d=\"M%.1f %.1fV%.1f\"/>", x, f.B, f.B + 5);
        svg_tick_label(xt[i], xstep, c->x_unit, lab, sizeof lab);
        text_at(b, x, f.B + 8 + FONT, "middle", NULL, lab);
    }
    text_at(b, (f.L + f.R) / 2, H - 8, "middle", "atitle", c->x_label);
    tp_buf_printf(b, "<text x=\"0\" y=\"0\" text-anchor=\"middle\" class=\"atitle\" "
                     "transform=\"translate(%.1f %.1f) rotate(-90)\">",
                  8 + FONT - 2, (f.T + f.B) / 2);
    svg_escape(b, c->y_label);
    tp_buf_puts(b, "</text></g>\n");

    /* bands first, then lines, so every line stays visible */
    for (int k = 0; k < c->n_lines; k++) {
        const SvgLine *l = &c->lines[k];
        if (!l->lo || !l->hi)
            continue;
        tp_buf_printf(b, "<polygon class=\"band s%d\" data-band=\"", l->style % SVG_STYLES);
        svg_escape(b, l->label);
        tp_buf_puts(b, "\" points=\"");
        for (int i = 0; i < l->n; i++)
            if (isfinite(l->x[i]) && isfinite(l->hi[i]))
                tp_buf_printf(b, "%.1f,%.1f ", px(&f, l->x[i]), py(&f, l->hi[i]));
        for (int i = l->n - 1; i >= 0; i--)
            if (isfinite(l->x[i]) && isfinite(l->lo[i]))
                tp_buf_printf(b, "%.1f,%.1f ", px(&f, l->x[i]), py(&f, l->lo[i]));
        tp_buf_puts(b, "\"/>\n");
    }
    if (isfinite(c->hline)) {
        double y = py(&f, c->hline);
        tp_buf_printf(b, "<path class=\"ref\" d=\"M%.1f %.1fH%.1f\"/>", f.L, y, f.R);
        if (c->hline_label)
            text_at(b, f.R - 4, y - 5, "end", "reflabel", c->hline_label);
        tp_buf_puts(b, "\n");
    }
    for (int k = 0; k < c->n_lines; k++) {
        const SvgLine *l = &c->lines[k];
        int st = l->style % SVG_STYLES, np = 0;
        for (int i = 0; i < l->n; i++)
            np += isfinite(l->x[i]) && isfinite(l->y[i]);
        tp_buf_printf(b, "<g class=\"series s%d%s\" data-series=\"", st, l->faint ? " faint" : "");
        svg_escape(b, l->label);
        tp_buf_printf(b, "\" data-points=\"%d\">", np);
        if (!l->points_only) {
            tp_buf_puts(b, "<polyline class=\"ln\"");
            if (DASH[st][0] && !l->faint)
                tp_buf_printf(b, " stroke-dasharray=\"%s\"", DASH[st]);
            tp_buf_puts(b, " points=\"");
            for (int i = 0; i < l->n; i++)
                if (isfinite(l->x[i]) && isfinite(l->y[i]))
                    tp_buf_printf(b, "%.1f,%.1f ", px(&f, l->x[i]), py(&f, l->y[i]));
            tp_buf_puts(b, "\"/>");
        }
        if (!l->faint) {
            /* markers: every point when few or markers only, else about 12 */
            int every = l->points_only || np <= 40 ? 1 : (np + 11) / 12;
            tp_buf_puts(b, "<g class=\"mk\">");
            for (int i = 0, j = 0; i < l->n; i++) {
                if (!isfinite(l->x[i]) || !isfinite(l->y[i]))
                    continue;
                if (j++ % every == 0 || (i == l->n - 1 && !l->points_only))
                    marker(b, st, px(&f, l->x[i]), py(&f, l->y[i]), l->points_only ? 4.5 : 3.5);
            }
            tp_buf_puts(b, "</g>");
        }
        tp_buf_puts(b, "</g>\n");
    }
    if (c->n_marks) {
        tp_buf_printf(b, "<g class=\"marks\" data-points=\"%d\">", c->n_marks);
        for (int i = 0; i < c->n_marks; i++) {
            const SvgMark *m = &c->marks[i];
            double x = px(&f, m->x), y = py(&f, m->y);
            tp_buf_printf(b, "<path class=\"bel\" d=\"M%.1f %.1fV%.1f\"/>", x, f.B, y + 5);
            tp_buf_printf(b, "<circle class=\"be\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>", x, y);
            if (m->label) {
                double tw = text_w(m->label) / 2, tx = x;
                if (tx - tw < f.L)
                    tx = f.L + tw;
                if (tx + tw > W - 4)
                    tx = W - 4 - tw;
                double ty = y - 9 < f.T + FONT ? y + 9 + FONT : y - 9;
                text_at(b, tx, ty, "middle", "belabel", m->label);
            }
        }
        tp_buf_puts(b, "</g>\n");
    }
    tp_buf_puts(b, "</svg>\n");
    free(items);
}

static void th(TpBuf *b, const char *scope, const char *s) {
    tp_buf_printf(b, "<th scope=\"%s\">", scope);
    svg_escape(b, s);
    tp_buf_puts(b, "</th>");
}

static void td(TpBuf *b, double v, SvgUnit u) {
    char s[64];
    svg_value_label(v, u, s, sizeof s);
    tp_buf_puts(b, "<td>");
    svg_escape(b, s);
    tp_buf_puts(b, "</td>");
}

void svg_line_table(TpBuf *b, const SvgLineChart *c) {
    bool shared = c->n_lines > 0;
    for (int k = 1; k < c->n_lines; k++)
        shared &= c->lines[k].x == c->lines[0].x && c->lines[k].n == c->lines[0].n;
    tp_buf_puts(b, "<table class=\"data\"><caption>");
    svg_escape(b, c->title);
    tp_buf_puts(b, ": the data</caption>\n<thead><tr>");
    if (shared) {
        th(b, "col", c->x_label);
        for (int k = 0; k < c->n_lines; k++) {
            th(b, "col", c->lines[k].label);
            if (c->lines[k].lo && c->lines[k].hi) {
                char h[160];
                snprintf(h, sizeof h, "%s P10", c->lines[k].label);
                th(b, "col", h);
                snprintf(h, sizeof h, "%s P90", c->lines[k].label);
                th(b, "col", h);
            }
        }
        tp_buf_puts(b, "</tr></thead>\n<tbody>\n");
        const SvgLine *l0 = &c->lines[0];
        for (int i = 0; i < l0->n; i++) {
            char xs[64];
            svg_value_label(l0->x[i], c->x_unit, xs, sizeof xs);
            tp_buf_puts(b, "<tr>");
            th(b, "row", xs);
            for (int k = 0; k < c->n_lines; k++) {
                td(b, c->lines[k].y[i], c->y_unit);
                if (c->lines[k].lo && c->lines[k].hi) {
                    td(b, c->lines[k].lo[i], c->y_unit);
                    td(b, c->lines[k].hi[i], c->y_unit);
                }
            }
            tp_buf_puts(b, "</tr>\n");
        }
    } else {
        th(b, "col", "series");
        th(b, "col", c->x_label);
        th(b, "col", c->y_label);
        tp_buf_puts(b, "</tr></thead>\n<tbody>\n");
        for (int k = 0; k < c->n_lines; k++)
            for (int i = 0; i < c->lines[k].n; i++) {
                tp_buf_puts(b, "<tr>");
                th(b, "row", c->lines[k].label);
                td(b, c->lines[k].x[i], c->x_unit);
                td(b, c->lines[k].y[i], c->y_unit);
                tp_buf_puts(b, "</tr>\n");
            }
    }
    tp_buf_puts(b, "</tbody></table>\n");
}

/* --- bar chart ----------------------------------------------------------------------- */

/* Hatching for bar segments 1..5 (segment 0 is solid). */
static void hatch_defs(TpBuf *b, const char *id, int n) {
    static const char *const PAT[SVG_STYLES] = {
        "", "M0 6L6 0", "M0 0L6 6", "M3 0V6", "M0 3H6", "M0 6L6 0M0 0L6 6"};
    tp_buf_puts(b, "<defs>");
    for (int k = 1; k < n && k < SVG_STYLES; k++) {
        tp_buf_puts(b, "<pattern id=\"");
        svg_escape(b, id);
        tp_buf_printf(b,
                      "-h%d\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
                      "<path class=\"hl\" d=\"%s\"/></pattern>",
                      k, PAT[k]);
    }
    tp_buf_puts(b, "</defs>\n");
}

void svg_bar_chart(TpBuf *b, const SvgBarChart *c) {
    int nc = c->n_cats, ns = c->n_segs > 0 ? c->n_segs : 1;
    double hi = 0, lo = 0;
    bool have = true;
    for (int i = 0; i < nc; i++) {
        double sum = 0;
        for (int s = 0; s < ns; s++)
            if (isfinite(c->values[i * ns + s]))
                sum += c->values[i * ns + s];
        range_add(sum, &lo, &hi, &have);
        if (c->lo && c->hi) {
            range_add(c->lo[i], &lo, &hi, &have);
            range_add(c->hi[i], &lo, &hi, &have);
        }
    }
    range_add(c->ref, &lo, &hi, &have);
    double t[MAX_TICKS], step;
    int nt = series_nice_ticks(lo < 0 ? lo : 0, hi, 6, t, MAX_TICKS, &step);

    LegendItem items[SVG_STYLES + 2];
    int ni = 0;
    if (ns > 1)
        for (int s = 0; s < ns && ni < SVG_STYLES; s++)
            items[ni++] = (LegendItem){c->segs[s], 4, s, false};
    if (c->lo && c->hi)
        items[ni++] = (LegendItem){"whiskers: P10-P90 over the Monte Carlo draws", 6, 0, false};
    if (isfinite(c->ref))
        items[ni++] = (LegendItem){c->ref_label ? c->ref_label : "reference", 2, 0, false};
    double leg_h = legend(NULL, c->id, items, ni, 0);

    double cat_w = 0, val_w = 0;
    char lab[64];
    for (int i = 0; i < nc; i++) {
        if (text_w(c->cats[i]) > cat_w)
            cat_w = text_w(c->cats[i]);
        double sum = 0;
        for (int s = 0; s < ns; s++)
            sum += isfinite(c->values[i * ns + s]) ? c->values[i * ns + s] : 0;
        svg_value_label(sum, c->unit, lab, sizeof lab);
        if (text_w(lab) > val_w)
            val_w = text_w(lab);
    }
    svg_tick_label(t[nt - 1], step, c->unit, lab, sizeof lab);
    double ref_w = isfinite(c->ref) && c->ref_label ? text_w(c->ref_label) : 0;
    Frame f = {0};
    f.T = leg_h + 8 + (ref_w > 0 ? FONT + 8 : 0);
    f.L = 8 + cat_w + 10;
    f.R = W - 8 - (val_w + 8 > text_w(lab) / 2 ? val_w + 8 : text_w(lab) / 2);
    double bar_h = 18, gap = 10;
    f.B = f.T + nc * (bar_h + gap) + gap;
    double H = f.B + 8 + FONT + 8 + FONT + 10;
    f.x0 = t[0];
    f.x1 = t[nt - 1];

    open_svg(b, c->id, H, c->title, c->desc);
    if (ns > 1)
        hatch_defs(b, c->id, ns);
    legend(b, c->id, items, ni, 4);
    tp_buf_puts(b, "<g class=\"grid\">");
    for (int i = 0; i < nt; i++)
        tp_buf_printf(b, "<path d=\"M%.1f %.1fV%.1f\"/>", px(&f, t[i]), f.T, f.B);
    tp_buf_puts(b, "</g>\n<g class=\"axis\">");
    tp_buf_printf(b, "<path d=\"M%.1f %.1fV%.1fH%.1f\"/>", f.L, f.T, f.B, f.R);
    for (int i = 0; i < nt; i++) {
        svg_tick_label(t[i], step, c->unit, lab, sizeof lab);
        text_at(b, px(&f, t[i]), f.B + 8 + FONT, "middle", NULL, lab);
    }
    for (int i = 0; i < nc; i++)
        text_at(b, f.L - 8, f.T + gap + i * (bar_h + gap) + bar_h / 2 + 4, "end", NULL,
                c->cats[i]);
    text_at(b, (f.L + f.R) / 2, H - 8, "middle", "atitle", c->value_label);
    tp_buf_puts(b, "</g>\n");

    for (int s = 0; s < ns; s++) {
        tp_buf_puts(b, "<g class=\"series\" data-series=\"");
        svg_escape(b, ns > 1 ? c->segs[s] : c->value_label);
        tp_buf_printf(b, "\" data-points=\"%d\">", nc);
        for (int i = 0; i < nc; i++) {
            double start = 0;
            for (int p = 0; p < s; p++)
                start += isfinite(c->values[i * ns + p]) ? c->values[i * ns + p] : 0;
            double v = isfinite(c->values[i * ns + s]) ? c->values[i * ns + s] : 0;
            double x0 = px(&f, start), x1 = px(&f, start + v);
            double y = f.T + gap + i * (bar_h + gap);
            int cls = ns > 1 ? s : (c->cat_style ? c->cat_style[i] : 0);
            tp_buf_printf(b,
                          "<rect class=\"seg c%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"/>",
                          cls % SVG_STYLES, x0, y, x1 - x0, bar_h);
            if (ns > 1 && s % SVG_STYLES)
                tp_buf_printf(b,
                              "<rect class=\"hatch\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                              "height=\"%.1f\" fill=\"url(#%s-h%d)\"/>",
                              x0, y, x1 - x0, bar_h, c->id, s % SVG_STYLES);
        }
        tp_buf_puts(b, "</g>\n");
    }
    /* totals at the bar ends, whiskers, reference line */
    tp_buf_puts(b, "<g class=\"totals\">");
    for (int i = 0; i < nc; i++) {
        double sum = 0;
        for (int s = 0; s < ns; s++)
            sum += isfinite(c->values[i * ns + s]) ? c->values[i * ns + s] : 0;
        double y = f.T + gap + i * (bar_h + gap) + bar_h / 2;
        double end = px(&f, sum);
        if (c->lo && c->hi && isfinite(c->lo[i]) && isfinite(c->hi[i])) {
            double a = px(&f, c->lo[i]), z = px(&f, c->hi[i]);
            tp_buf_printf(b, "<path class=\"whisker\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\"/>",
                          a, y, z, a, y - 6, y + 6, z, y - 6, y + 6);
            if (z > end)
                end = z;
        }
        svg_value_label(sum, c->unit, lab, sizeof lab);
        text_at(b, end + 6, y + 4, "start", NULL, lab);
    }
    tp_buf_puts(b, "</g>\n");
    if (isfinite(c->ref)) {
        double x = px(&f, c->ref);
        tp_buf_printf(b, "<path class=\"ref\" d=\"M%.1f %.1fV%.1f\"/>", x, f.T - 4, f.B);
        if (c->ref_label) {
            double tx = x, tw = ref_w / 2;
            if (tx - tw < 4)
                tx = 4 + tw;
            if (tx + tw > W - 4)
                tx = W - 4 - tw;
            text_at(b, tx, f.T - 8, "middle", "reflabel", c->ref_label);
        }
        tp_buf_puts(b, "\n");
    }
    tp_buf_puts(b, "</svg>\n");
}

void svg_bar_table(TpBuf *b, const SvgBarChart *c) {
    int ns = c->n_segs > 0 ? c->n_segs : 1;
    tp_buf_puts(b, "<table class=\"data\"><caption>");
    svg_escape(b, c->title);
    tp_buf_puts(b, ": the data</caption>\n<thead><tr>");
    th(b, "col", "");
    if (ns > 1) {
        for (int s = 0; s < ns; s++)
            th(b, "col", c->segs[s]);
        th(b, "col", "total");
    } else {
        th(b, "col", c->value_label);
    }
    if (c->lo && c->hi) {
        th(b, "col", "P10");
        th(b, "col", "P90");
    }
    tp_buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (int i = 0; i < c->n_cats; i++) {
        tp_buf_puts(b, "<tr>");
        th(b, "row", c->cats[i]);
        double sum = 0;
        for (int s = 0; s < ns; s++) {
            td(b, c->values[i * ns + s], c->unit);
            sum += isfinite(c->values[i * ns + s]) ? c->values[i * ns + s] : 0;
        }
        if (ns > 1)
            td(b, sum, c->unit);
        if (c->lo && c->hi) {
            td(b, c->lo[i], c->unit);
            td(b, c->hi[i], c->unit);
        }
        tp_buf_puts(b, "</tr>\n");
    }
    tp_buf_puts(b, "</tbody></table>\n");
}
