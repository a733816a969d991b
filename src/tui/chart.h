/* chart.h - line charts, sparklines and bars rendered to cells or strings.
 *
 * The first of two steps (house style 8): chart_render() turns series, a size
 * and a scale into a grid of cells, with no terminal involved; a thin ncurses
 * blitter paints the grid, choosing colours by each cell's style. The charts
 * know nothing of losses or prices: they plot numbers.
 *
 * Braille mode: each plot cell is a braille pattern of 2 x 4 dots. A pattern
 * is U+2800 plus a bit mask; the dots map to bits as
 *
 *        left  right
 *   row0 0x01  0x08
 *   row1 0x02  0x10
 *   row2 0x04  0x20
 *   row3 0x40  0x80
 *
 * (dots 1-8 in Unicode's numbering are bits 0x01, 0x02, 0x04, 0x08, 0x10,
 * 0x20, 0x40, 0x80: dots 1, 2, 3, 7 are the left column top to bottom and
 * 4, 5, 6, 8 the right one). A cell with no dot set is a plain space.
 *
 * ASCII mode (ascii = true, for terminals without UTF-8): each plot cell is
 * 1 x 3 "dots" (top, middle, bottom) drawn as '\'' top, '-' middle, '.'
 * bottom, ':' top and bottom, and '|' for two adjacent dots or all three.
 *
 * Dot space: a plot area of h x w cells is 4h x 2w dots (braille) or 3h x w
 * (ASCII); dot row 0 is the top. A point (x, y) lands on dot column
 * round((x - x_min) / (x_max - x_min) * (W - 1)) and dot row
 * round((y_max - y) / (y_max - y_min) * (H - 1)) (in log10 y on a log scale),
 * with round() halves away from zero. */
#ifndef TP_TUI_CHART_H
#define TP_TUI_CHART_H

#include <stdbool.h>
#include <stddef.h>

/* Chart sizes below which chart_render() draws only a "too small" note. */
#define CHART_MIN_ROWS 2
#define CHART_MIN_COLS 4
/* From this size up the grid has a y-axis gutter and an x-label row. */
#define CHART_AXES_MIN_ROWS 4
#define CHART_AXES_MIN_COLS 20

/* Cell styles other than a series' own. */
#define CHART_STYLE_AXIS (-1) /* axis, labels, notes, empty cells */
#define CHART_STYLE_REF (-2)  /* reference lines (hline, vlines) */

/* One series. The arrays are borrowed for the duration of the call. x may be
 * NULL, meaning x = 0..n-1. Points whose x or y is not finite are skipped
 * (the line joins their finite neighbours). style (>= 0) is the caller's
 * colour role, copied to the cells the series draws. label is not drawn by
 * chart_render (the caller draws legends) and may be NULL. */
typedef struct ChartSeries {
    const double *x;
    const double *y;
    int n;
    int style;
    const char *label;
} ChartSeries;

/* Rendering options; a NULL ChartOptions * means all defaults (chart_options_default). */
typedef struct ChartOptions {
    bool ascii;            /* ASCII glyphs instead of braille and box drawing */
    bool log_y;            /* log10 y scale (falls back to linear, see chart_render) */
    int last_n;            /* zoom: only points with x > x_end - last_n, where x_end is
                              the largest finite x over all series (with x NULL: the
                              last last_n points); 0 or less = all */
    double smooth;         /* EMA weight of the previous value in [0, 1): s_i =
                              smooth * s_(i-1) + (1 - smooth) * y_i, s_0 = y_0, over
                              the finite points of the whole series before zooming;
                              0 (or a value outside [0, 1)) = none */
    double hline;          /* horizontal reference line at this y when finite (NAN = none;
                              beware: a zeroed struct has hline 0.0, a line at y = 0, so
                              start from chart_options_default() or set NAN) */
    const double *vlines;  /* vertical markers at these x values (borrowed; may be NULL) */
    int n_vlines;
    bool markers;          /* for terminals without colours (NO_COLOR): every cell a series
                              touches shows that series' marker, chart_marker(style), instead
                              of its dots, so that series are told apart without colour */
} ChartOptions;

/* Series markers, by style modulo CHART_N_MARKERS: "*", "+", "o", "x", "#",
 * "%" (ASCII, one cell each; distinct in shape, as dash patterns or colours
 * would be). The legend draws the same marker before each series' name. */
#define CHART_N_MARKERS 6
const char *chart_marker(int style);

/* Defaults: braille, linear, no zoom, no smoothing, no reference lines. */
ChartOptions chart_options_default(void);

typedef struct ChartCell {
    char glyph[8]; /* UTF-8, NUL-terminated: braille U+2800..U+28FF, box drawing
                      ('│' axis; '┄' '┊' '┼' reference lines), "…", or ASCII */
    int style;     /* series style (>= 0), CHART_STYLE_AXIS or CHART_STYLE_REF */
} ChartCell;

/* The rendered chart. cells (rows * cols, row-major: cells[r * cols + c])
 * is owned by the grid; free it with chart_grid_free. Every cell holds
 * exactly one display cell's worth of glyph (labels are split one character
 * per cell). */
typedef struct ChartGrid {
    int rows, cols;
    ChartCell *cells;
    double y_min, y_max, x_min, x_max; /* the data range shown (y in data units, even on a
                                          log scale) */
    char y_top[16], y_bottom[16], x_left[16], x_right[16]; /* axis labels, formatted */
    int plot_y, plot_x, plot_h, plot_w; /* plot area inside the grid */
    bool log_y;      /* the scale actually used */
    char note[32];   /* "" or a short notice, also drawn in the grid: "log off: y<=0"
                        (x-label row), "no data" (centred in the empty plot),
                        "too small" (centred in the grid) */
} ChartGrid;

/* Renders n_series series (s may be NULL when n_series is 0) into a grid of
 * rows x cols cells. out is overwritten without freeing what it held; call
 * chart_grid_free on it when done.
 *
 * Layout: when rows >= CHART_AXES_MIN_ROWS and cols >= CHART_AXES_MIN_COLS,
 * a left gutter holds y_top on the first row and y_bottom on the last plot
 * row, right-aligned, then an axis column ('│' or '|'); the last row holds
 * x_left under the first plot column and x_right ending at the last column
 * (dropped when both do not fit), and "log off: y<=0" centred between them
 * when it fits. Otherwise the whole grid is the plot area and the labels are
 * only in the struct.
 *
 * Scale: x spans the visible points' x range and y their range together with
 * hline (after smoothing and zoom). A zero-width range is widened: y by half
 * its magnitude each way (1 when it is 0), x by placing the points in the
 * middle column. With log_y, the y axis is log10 when every visible y (and
 * hline, if set) is > 0; otherwise the chart is linear, grid->log_y is false
 * and the note says "log off: y<=0".
 *
 * Markers (opt->markers): the same dots are computed, then each plot cell
 * with any dot shows the marker of the series that touched it last.
 *
 * Drawing: series are drawn in order; in each series, consecutive visible
 * points are joined by Bresenham lines in dot space, so the curve is
 * continuous, and points sharing a dot column merge into one vertical span
 * (this is the downsampling to the width: the cost is O(n + dots)). Dots of
 * all series merge within a cell and the last series to touch a cell sets
 * its style. Reference lines (style CHART_STYLE_REF) take the cells no
 * series touched: hline as '┄' ('=') along the cell row holding its dot row,
 * each vline (inside the x range) as '┊' (':') in the cell column holding its
 * dot column, '┼' ('+') where they cross. With no visible point the plot is
 * empty, the labels are those of the hline (or "") and the note is "no data".
 *
 * Returns 0, or -1 when rows < CHART_MIN_ROWS or cols < CHART_MIN_COLS: then
 * the grid (if it has any cells) is blank except a centred "too small" note,
 * cut with an ellipsis to the width. Out of memory aborts. */
int chart_render(const ChartSeries *s, int n_series, int rows, int cols, const ChartOptions *opt,
                 ChartGrid *out);

/* Releases the cells and zeroes the grid; g may be NULL, and freeing twice is safe. */
void chart_grid_free(ChartGrid *g);

/* One-line sparkline of the n values of y into out: exactly `width` cells of
 * U+2581..U+2588 "▁▂▃▄▅▆▇█" or, when ascii, " .:-=+*#" (8 levels). The finite
 * values span the levels min..max (all equal: the lowest level). With more
 * values than cells, each cell shows the mean of its share of the values
 * (cell i covers values [i*n/width, (i+1)*n/width)); with fewer, one value
 * per cell, left-aligned and padded with spaces. Non-finite values (and
 * cells with only those) are spaces. out (size bytes) is always
 * NUL-terminated when size > 0 and cut at a whole glyph; 3 * width + 1 bytes
 * suffice. */
void chart_sparkline(const double *y, int n, int width, bool ascii, char *out, size_t size);

/* A horizontal bar of exactly `width` cells for the fraction f (clamped to
 * [0, 1]; NaN counts as 0), padded with spaces. UTF-8: round(f * width * 8)
 * eighths, as full blocks '█' then one partial left block (U+258F '▏' for
 * 1/8 .. U+2589 '▉' for 7/8). ASCII: round(f * width) '#'. out as for
 * chart_sparkline. */
void chart_bar(double f, int width, bool ascii, char *out, size_t size);

#endif
