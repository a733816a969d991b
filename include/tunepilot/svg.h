/* svg.h - charts as inline SVG for the HTML reports, and the table of the
 * data behind each one. Pure: appends text to a buffer.
 *
 * Every chart is an <svg role="img"> labelled by its own <title> and <desc>
 * (aria-labelledby), sized by a viewBox so it scales with the page, and
 * styled only through classes (the page's CSS sets the colours for light,
 * dark and print). Series are told apart without colour too: style k (0..5)
 * has its own dash pattern and point marker, and bar segment k its own
 * hatching. Machine-checkable structure: each series is a
 * <g class="series" data-series="LABEL" data-points="N"> holding one
 * <polyline> of N points (lines), N markers (points), or N <rect>s (bars).
 * Ids inside a chart start with the chart's id, so several charts share a
 * page without clashes.
 *
 * Owned by the report module (src/report/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_SVG_H
#define TUNEPILOT_SVG_H

#include <stdbool.h>

#include "tunepilot/buf.h"

#define SVG_STYLES 6

typedef enum {
    SVG_UNIT_NUM,   /* plain numbers */
    SVG_UNIT_USD,   /* "$1.2k", "$3.4M" on axes, "$1,234.56" in tables */
    SVG_UNIT_MS,    /* "1,200" */
    SVG_UNIT_INT,   /* whole numbers (months, steps) */
} SvgUnit;

typedef struct SvgLine {
    const char *label;
    const double *x, *y; /* n points; non-finite ones are left out */
    int n;
    const double *lo, *hi; /* optional band (e.g. P10-P90) around the line */
    int style;             /* 0..SVG_STYLES-1: colour, dash and marker */
    bool faint;            /* thin and translucent (raw values under a smoothed curve) */
    bool points_only;      /* markers, no line (evaluations) */
} SvgLine;

typedef struct SvgMark {
    double x, y;
    const char *label; /* short, drawn above the point */
} SvgMark;

typedef struct SvgLineChart {
    const char *id, *title, *desc;
    const char *x_label, *y_label; /* with units: "month", "cumulative cost (USD)" */
    SvgUnit x_unit, y_unit;
    const SvgLine *lines;
    int n_lines;
    double hline;            /* reference line (NAN: none), e.g. an SLO */
    const char *hline_label;
    const SvgMark *marks;    /* e.g. break-even points */
    int n_marks;
    const char *marks_label; /* legend text for the marks */
    bool y_zero;             /* the y axis starts at 0 */
} SvgLineChart;

/* Appends the chart as <svg>...</svg>. */
void svg_line_chart(TpBuf *b, const SvgLineChart *c);
/* Appends the data behind the chart as a <table> (one row per x when all
 * lines share their x array, else one row per point). */
void svg_line_table(TpBuf *b, const SvgLineChart *c);

/* Horizontal bars, one per category, stacked by segment. */
typedef struct SvgBarChart {
    const char *id, *title, *desc;
    const char *value_label; /* axis title with unit */
    SvgUnit unit;
    const char *const *cats;
    int n_cats;
    const char *const *segs; /* segment names; with one segment no legend is drawn */
    int n_segs;
    const double *values;    /* [n_cats * n_segs], category-major */
    const double *lo, *hi;   /* optional whiskers per category (e.g. P10-P90) */
    double ref;              /* vertical reference line (NAN: none) */
    const char *ref_label;
    const int *cat_style;    /* one segment: style per category (NULL: all 0) */
} SvgBarChart;

void svg_bar_chart(TpBuf *b, const SvgBarChart *c);
void svg_bar_table(TpBuf *b, const SvgBarChart *c);

/* Appends s with &, <, >, " and ' escaped (text and attribute values). */
void svg_escape(TpBuf *b, const char *s);

/* A number for an axis tick spaced `step` apart from its neighbours. */
void svg_tick_label(double v, double step, SvgUnit unit, char *out, size_t size);
/* A number for a table cell. */
void svg_value_label(double v, SvgUnit unit, char *out, size_t size);

#endif
