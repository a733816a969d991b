/* test_chart.c - the pure chart renderer: exact braille and ASCII cells for
 * small grids (derived by hand below), scales and labels, zoom, smoothing,
 * reference lines, skipped points, empty and too-small charts; sparklines
 * and bars as exact strings.
 *
 * Hand derivations use chart.h's conventions: a plot of h x w cells is a dot
 * space of 4h rows x 2w columns (braille) or 3h x w (ASCII); point (x, y) is
 * at dot column round((x - x_min) / (x_max - x_min) * (W - 1)) and dot row
 * round((y_max - y) / (y_max - y_min) * (H - 1)), row 0 on top. A braille
 * cell is U+2800 + mask, with the left dot column top to bottom on bits
 * 0x01, 0x02, 0x04, 0x40 and the right one on 0x08, 0x10, 0x20, 0x80. Dots
 * below are written (column, row). */
#include "tp_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tui/chart.h"

/* --- helpers -------------------------------------------------------------------- */

static const ChartCell *cell(const ChartGrid *g, int r, int c) {
    assert_true(r >= 0 && r < g->rows && c >= 0 && c < g->cols);
    return &g->cells[r * g->cols + c];
}

/* Row r as one string (the glyphs concatenated). */
static const char *row_str(const ChartGrid *g, int r) {
    static char buf[4096];
    buf[0] = '\0';
    for (int c = 0; c < g->cols; c++)
        strcat(buf, cell(g, r, c)->glyph);
    return buf;
}

static void assert_row(const ChartGrid *g, int r, const char *want) {
    assert_string_equal(row_str(g, r), want);
}

/* The braille mask of a cell: 0 for a blank cell, -1 for anything else. */
static int braille_mask(const ChartGrid *g, int r, int c) {
    const unsigned char *s = (const unsigned char *)cell(g, r, c)->glyph;
    if (s[0] == ' ' && s[1] == '\0')
        return 0;
    if (s[0] == 0xE2 && (s[1] & 0xFC) == 0xA0 && s[3] == '\0')
        return ((s[1] & 0x03) << 6) | (s[2] & 0x3F);
    return -1;
}

static ChartSeries series(const double *x, const double *y, int n, int style) {
    ChartSeries s = {x, y, n, style, NULL};
    return s;
}

/* --- braille -------------------------------------------------------------------- */

/* 2 x 4 cells = 8 x 8 dots. y = {0, 1} runs from dot (0,7) to (7,0): the
 * diagonal (0,7) (1,6) (2,5) (3,4) (4,3) (5,2) (6,1) (7,0).
 *   cell row 1, col 0: (0,7) left row 3 = 0x40, (1,6) right row 2 = 0x20 -> U+2860
 *   cell row 1, col 1: (2,5) left row 1 = 0x02, (3,4) right row 0 = 0x08 -> U+280A
 *   cell row 0, col 2: (4,3) 0x40, (5,2) 0x20 -> U+2860
 *   cell row 0, col 3: (6,1) 0x02, (7,0) 0x08 -> U+280A */
static void test_two_point_line_braille(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0};
    ChartSeries s = series(NULL, y, 2, 3);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 2, 4, NULL, &g), 0);
    assert_int_equal(g.rows, 2);
    assert_int_equal(g.cols, 4);
    assert_row(&g, 0, "  \u2860\u280A");
    assert_row(&g, 1, "\u2860\u280A  ");
    assert_int_equal(braille_mask(&g, 1, 0), 0x60);
    assert_int_equal(cell(&g, 1, 0)->style, 3);
    assert_int_equal(cell(&g, 0, 3)->style, 3);
    assert_int_equal(cell(&g, 0, 0)->style, CHART_STYLE_AXIS);
    /* Too small for axes: the whole grid is the plot, labels only in the struct. */
    assert_int_equal(g.plot_x, 0);
    assert_int_equal(g.plot_w, 4);
    assert_int_equal(g.plot_h, 2);
    assert_string_equal(g.y_top, "1");
    assert_string_equal(g.y_bottom, "0");
    assert_string_equal(g.x_left, "0");
    assert_string_equal(g.x_right, "1");
    assert_false(g.log_y);
    assert_string_equal(g.note, "");
    chart_grid_free(&g);
    assert_null(g.cells);
    chart_grid_free(&g); /* twice is safe */
    chart_grid_free(NULL);
}

/* y = {0, 1, 0} on 8 x 8 dots: x 0, 1, 2 -> dot columns 0, round(3.5) = 4, 7.
 * Bresenham (0,7)->(4,0): (0,7) (1,6) (1,5) (2,4) (2,3) (3,2) (3,1) (4,0);
 * then (4,0)->(7,7): (4,1) (5,2) (5,3) (6,4) (6,5) (7,6) (7,7).
 *   row 0: col 1 (2,3) 0x40 + (3,2) 0x20 + (3,1) 0x10 = 0x70;
 *          col 2 (4,0) 0x01 + (4,1) 0x02 + (5,2) 0x20 + (5,3) 0x80 = 0xA3
 *   row 1: col 0 (0,7) 0x40 + (1,6) 0x20 + (1,5) 0x10 = 0x70; col 1 (2,4) 0x01;
 *          col 3 (6,4) 0x01 + (6,5) 0x02 + (7,6) 0x20 + (7,7) 0x80 = 0xA3 */
static void test_peak_braille(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0, 0.0};
    ChartSeries s = series(NULL, y, 3, 0);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 2, 4, NULL, &g), 0);
    assert_row(&g, 0, " \u2870\u28A3 ");
    assert_row(&g, 1, "\u2870\u2801 \u28A3");
    chart_grid_free(&g);
}

/* Points sharing a dot column merge into a vertical span. x = {0, .01, .02, 1}
 * -> dot columns 0, 0, 0, 7; y = {0, 1, .5, 0} -> rows 7, 0, 4, 7. Column 0
 * gets rows 0..7, then a line from the run's last point (0,4) to (7,7):
 * (0,4) (1,4) (2,5) (3,5) (4,6) (5,6) (6,7) (7,7).
 *   row 0, col 0: left rows 0-3 = 0x01|0x02|0x04|0x40 = 0x47
 *   row 1, col 0: 0x47 + (1,4) right row 0 0x08 = 0x4F; col 1: (2,5) 0x02 +
 *   (3,5) 0x10 = 0x12; col 2: (4,6) 0x04 + (5,6) 0x20 = 0x24; col 3: (6,7)
 *   0x40 + (7,7) 0x80 = 0xC0 */
static void test_vertical_span_downsampling(void **state) {
    (void)state;
    const double x[] = {0.0, 0.01, 0.02, 1.0};
    const double y[] = {0.0, 1.0, 0.5, 0.0};
    ChartSeries s = series(x, y, 4, 0);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 2, 4, NULL, &g), 0);
    assert_row(&g, 0, "\u2847   ");
    assert_row(&g, 1, "\u284F\u2812\u2824\u28C0");
    chart_grid_free(&g);
}

/* Series A y = {0, 1} (style 1) is the diagonal of the first test; series B
 * y = {0, .5} (style 2) runs from (0,7) to (7, round(3.5) = 4): Bresenham
 * (0,7) (1,7) (2,6) (3,6) (4,5) (5,5) (6,4) (7,4), all in cell row 1.
 *   row 1, col 0: A 0x60 + B (0,7) 0x40 + (1,7) 0x80 = 0xE0, style 2
 *   row 1, col 1: A 0x0A + B (2,6) 0x04 + (3,6) 0x20 = 0x2E, style 2
 *   row 1, col 2: (4,5) 0x02 + (5,5) 0x10 = 0x12; col 3: (6,4) 0x01 + (7,4) 0x08 = 0x09
 *   row 0 keeps A alone (style 1). */
static void test_overlay_merges_dots_later_style_wins(void **state) {
    (void)state;
    const double ya[] = {0.0, 1.0}, yb[] = {0.0, 0.5};
    ChartSeries s[2] = {series(NULL, ya, 2, 1), series(NULL, yb, 2, 2)};
    ChartGrid g;
    assert_int_equal(chart_render(s, 2, 2, 4, NULL, &g), 0);
    assert_row(&g, 0, "  \u2860\u280A");
    assert_row(&g, 1, "\u28E0\u282E\u2812\u2809");
    assert_int_equal(cell(&g, 1, 0)->style, 2);
    assert_int_equal(cell(&g, 1, 1)->style, 2);
    assert_int_equal(cell(&g, 0, 2)->style, 1);
    assert_int_equal(cell(&g, 0, 3)->style, 1);
    chart_grid_free(&g);
}

/* Markers (no colours): the overlay above, each touched cell showing the
 * marker of its last series: style 1 "+" on row 0 columns 2-3, style 2 "o"
 * on all of row 1 (it touched columns 0-1 after style 1, and 2-3 alone).
 * The same with ASCII dots underneath. */
static void test_markers_tell_series_apart(void **state) {
    (void)state;
    const double ya[] = {0.0, 1.0}, yb[] = {0.0, 0.5};
    ChartSeries s[2] = {series(NULL, ya, 2, 1), series(NULL, yb, 2, 2)};
    ChartOptions o = chart_options_default();
    o.markers = true;
    ChartGrid g;
    assert_int_equal(chart_render(s, 2, 2, 4, &o, &g), 0);
    assert_row(&g, 0, "  ++");
    assert_row(&g, 1, "oooo");
    chart_grid_free(&g);
    o.ascii = true;
    assert_int_equal(chart_render(s, 2, 2, 4, &o, &g), 0);
    assert_row(&g, 0, "  ++");
    assert_row(&g, 1, "oooo");
    chart_grid_free(&g);
    /* six distinct markers, repeating by style; negative styles wrap too */
    const char *want[] = {"*", "+", "o", "x", "#", "%"};
    for (int i = 0; i < CHART_N_MARKERS; i++) {
        assert_string_equal(chart_marker(i), want[i]);
        assert_string_equal(chart_marker(i + CHART_N_MARKERS), want[i]);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(chart_marker(i), chart_marker(k));
    }
    assert_string_equal(chart_marker(-1), "%");
}

/* --- ASCII ---------------------------------------------------------------------- */

/* ASCII: 2 x 4 cells = 6 dot rows x 4 dot columns (3 per cell: top, middle,
 * bottom). y = {0, 1}: (0,5) -> (3,0), Bresenham (0,5) (1,4) (1,3) (2,2)
 * (2,1) (3,0).
 *   row 1: col 0 bottom '.', col 1 middle+top '|'
 *   row 0: col 2 bottom+middle '|', col 3 top '\'' */
static void test_ascii_fallback(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0};
    ChartSeries s = series(NULL, y, 2, 0);
    ChartOptions o = chart_options_default();
    o.ascii = true;
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 2, 4, &o, &g), 0);
    assert_row(&g, 0, "  |'");
    assert_row(&g, 1, ".|  ");
    chart_grid_free(&g);
}

/* --- axes and labels -------------------------------------------------------------- */

/* 5 x 20 has axes: the gutter is the widest y label ("1") plus the axis
 * column, so the plot is 4 x 18 from column 2; the last row has x labels. */
static void test_axes_and_labels(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0};
    ChartSeries s = series(NULL, y, 2, 0);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 5, 20, NULL, &g), 0);
    assert_int_equal(g.plot_x, 2);
    assert_int_equal(g.plot_y, 0);
    assert_int_equal(g.plot_w, 18);
    assert_int_equal(g.plot_h, 4);
    assert_string_equal(cell(&g, 0, 0)->glyph, "1");
    assert_string_equal(cell(&g, 0, 1)->glyph, "\u2502");
    assert_string_equal(cell(&g, 1, 0)->glyph, " ");
    assert_string_equal(cell(&g, 1, 1)->glyph, "\u2502");
    assert_string_equal(cell(&g, 3, 0)->glyph, "0");
    assert_int_equal(cell(&g, 3, 1)->style, CHART_STYLE_AXIS);
    assert_row(&g, 4, "  0                1");
    /* The line starts bottom-left of the plot and ends top-right: dots (0,15)
     * and (35,0), i.e. cell (3,0) left row 3 and cell (0,17) right row 0. */
    assert_true(braille_mask(&g, 3, 2) & 0x40);
    assert_true(braille_mask(&g, 0, 19) & 0x08);
    chart_grid_free(&g);

    /* ASCII axis. */
    ChartOptions o = chart_options_default();
    o.ascii = true;
    assert_int_equal(chart_render(&s, 1, 5, 20, &o, &g), 0);
    assert_string_equal(cell(&g, 2, 1)->glyph, "|");
    chart_grid_free(&g);
}

/* Log scale: y = 1, 10, 100, 1000 are evenly spaced in log10 (0..3). Grid
 * 10 x 30: labels "1k" and "1", gutter 3, plot 9 x 27 = 36 x 54 dots. x = 1
 * -> dot column round(53 / 3) = 18, y = 10 -> dot row round(35 * 2 / 3) = 23,
 * i.e. cell (5, 9) left row 3 = 0x40 (on a linear scale 10 would sit on the
 * bottom dot row). */
static void test_log_scale_labels(void **state) {
    (void)state;
    const double y[] = {1.0, 10.0, 100.0, 1000.0};
    ChartSeries s = series(NULL, y, 4, 0);
    ChartOptions o = chart_options_default();
    o.log_y = true;
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 10, 30, &o, &g), 0);
    assert_true(g.log_y);
    assert_string_equal(g.note, "");
    assert_string_equal(g.y_top, "1k");
    assert_string_equal(g.y_bottom, "1");
    assert_close(g.y_min, 1.0, 1e-9);
    assert_close(g.y_max, 1000.0, 1e-9);
    assert_int_equal(g.plot_x, 3);
    assert_string_equal(cell(&g, 0, 0)->glyph, "1");
    assert_string_equal(cell(&g, 0, 1)->glyph, "k");
    assert_string_equal(cell(&g, 8, 1)->glyph, "1");
    assert_true(braille_mask(&g, 5, 3 + 9) & 0x40);
    chart_grid_free(&g);

    /* Losses below 1: labels keep their digits. */
    const double small[] = {0.01, 0.1, 100.0};
    s = series(NULL, small, 3, 0);
    assert_int_equal(chart_render(&s, 1, 10, 30, &o, &g), 0);
    assert_true(g.log_y);
    assert_string_equal(g.y_top, "100");
    assert_string_equal(g.y_bottom, "0.01");
    chart_grid_free(&g);
}

/* A zero value makes log impossible: linear, and the x-label row says so.
 * Gutter 3 ("10"), x labels "0" at column 3 and "2" at column 29; the note
 * (13 cells) is centred in columns 5..27 (23 cells): it starts at 5 + 5 = 10. */
static void test_log_falls_back_to_linear(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0, 10.0};
    ChartSeries s = series(NULL, y, 3, 0);
    ChartOptions o = chart_options_default();
    o.log_y = true;
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 10, 30, &o, &g), 0);
    assert_false(g.log_y);
    assert_string_equal(g.note, "log off: y<=0");
    assert_string_equal(g.y_top, "10");
    assert_string_equal(g.y_bottom, "0");
    assert_row(&g, 9, "   0      log off: y<=0      2");
    chart_grid_free(&g);

    /* A non-positive reference line also rules out log. */
    const double pos[] = {1.0, 10.0};
    s = series(NULL, pos, 2, 0);
    o.hline = 0.0;
    assert_int_equal(chart_render(&s, 1, 10, 30, &o, &g), 0);
    assert_false(g.log_y);
    assert_string_equal(g.note, "log off: y<=0");
    chart_grid_free(&g);
}

/* --- zoom and smoothing ----------------------------------------------------------- */

static void test_last_n_zoom(void **state) {
    (void)state;
    double y[10];
    for (int i = 0; i < 10; i++)
        y[i] = (double)i;
    ChartSeries s = series(NULL, y, 10, 0);
    ChartOptions o = chart_options_default();
    o.last_n = 3; /* x = index: the last 3 points, 7, 8, 9 */
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 10, 40, &o, &g), 0);
    assert_close(g.x_min, 7.0, 0.0);
    assert_close(g.x_max, 9.0, 0.0);
    assert_close(g.y_min, 7.0, 0.0);
    assert_close(g.y_max, 9.0, 0.0);
    assert_string_equal(g.x_left, "7");
    assert_string_equal(g.x_right, "9");
    chart_grid_free(&g);

    /* With x: the last 15 x-units of 0..30 keep x > 15, i.e. 20 and 30. */
    const double x2[] = {0.0, 10.0, 20.0, 30.0}, y2[] = {4.0, 3.0, 2.0, 1.0};
    s = series(x2, y2, 4, 0);
    o.last_n = 15;
    assert_int_equal(chart_render(&s, 1, 10, 40, &o, &g), 0);
    assert_close(g.x_min, 20.0, 0.0);
    assert_close(g.x_max, 30.0, 0.0);
    assert_close(g.y_min, 1.0, 0.0);
    assert_close(g.y_max, 2.0, 0.0);
    chart_grid_free(&g);

    /* last_n larger than the data: everything. */
    o.last_n = 1000;
    assert_int_equal(chart_render(&s, 1, 10, 40, &o, &g), 0);
    assert_close(g.x_min, 0.0, 0.0);
    chart_grid_free(&g);
}

/* EMA with weight 0.5 on y = {0, 1, 1}: 0, 0.5, 0.75. */
static void test_smoothing(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0, 1.0};
    ChartSeries s = series(NULL, y, 3, 0);
    ChartOptions o = chart_options_default();
    o.smooth = 0.5;
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 10, 40, &o, &g), 0);
    assert_close(g.y_min, 0.0, 0.0);
    assert_close(g.y_max, 0.75, 1e-12);
    assert_string_equal(g.y_top, "0.75");
    chart_grid_free(&g);

    /* Smoothing runs before the zoom: the last point alone is 0.75, a flat
     * range widened by half its value to 0.375..1.125. On 2 x 4 cells (8 x 8
     * dots) the single x sits in the middle column (8 - 1) / 2 = 3 and y on
     * dot row round((1.125 - .75) / .75 * 7) = round(3.5) = 4: cell (1, 1),
     * right column, row 0 -> 0x08. */
    o.last_n = 1;
    assert_int_equal(chart_render(&s, 1, 2, 4, &o, &g), 0);
    assert_close(g.y_min, 0.375, 1e-12);
    assert_close(g.y_max, 1.125, 1e-12);
    assert_row(&g, 0, "    ");
    assert_row(&g, 1, " \u2808  ");
    chart_grid_free(&g);

    /* A factor outside [0, 1) means no smoothing. */
    o.last_n = 0;
    o.smooth = 1.0;
    assert_int_equal(chart_render(&s, 1, 10, 40, &o, &g), 0);
    assert_close(g.y_max, 1.0, 0.0);
    chart_grid_free(&g);
}

/* --- reference lines --------------------------------------------------------------- */

/* 3 x 4 cells = 12 x 8 dots. Series y = {0, 0}, hline at 1: y range 0..1, the
 * series on dot row 11 (cell row 2, both dots of every cell on row 3: 0xC0)
 * and the hline on dot row 0 (cell row 0). vlines at x = 0.5 -> dot column
 * round(3.5) = 4 (cell column 2) and x = 1 -> 7 (cell column 3); x = 5 is out
 * of range and not drawn. */
static void test_hline_and_vlines(void **state) {
    (void)state;
    const double y[] = {0.0, 0.0};
    const double vl[] = {0.5, 1.0, 5.0};
    ChartSeries s = series(NULL, y, 2, 4);
    ChartOptions o = chart_options_default();
    o.hline = 1.0;
    o.vlines = vl;
    o.n_vlines = 3;
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 3, 4, &o, &g), 0);
    assert_close(g.y_max, 1.0, 0.0);
    assert_row(&g, 0, "\u2504\u2504\u253C\u253C");
    assert_row(&g, 1, "  \u250A\u250A");
    assert_row(&g, 2, "\u28C0\u28C0\u28C0\u28C0");
    assert_int_equal(cell(&g, 0, 0)->style, CHART_STYLE_REF);
    assert_int_equal(cell(&g, 1, 2)->style, CHART_STYLE_REF);
    assert_int_equal(cell(&g, 2, 2)->style, 4); /* data wins over the vline */
    chart_grid_free(&g);

    /* ASCII: 9 x 4 dots; hline on dot row 0, series on dot row 8 (bottom of
     * cell row 2: '.'); vlines on columns round(1.5) = 2 and 3. */
    o.ascii = true;
    assert_int_equal(chart_render(&s, 1, 3, 4, &o, &g), 0);
    assert_row(&g, 0, "==++");
    assert_row(&g, 1, "  ::");
    assert_row(&g, 2, "....");
    chart_grid_free(&g);
}

/* --- skipped points, empty, too small ------------------------------------------------ */

/* NaN and infinite y (and NaN x) are skipped: what is left is the diagonal of
 * the first test. */
static void test_nonfinite_points_skipped(void **state) {
    (void)state;
    const double y[] = {0.0, NAN, INFINITY, 1.0};
    ChartSeries s = series(NULL, y, 4, 0);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 2, 4, NULL, &g), 0);
    assert_row(&g, 0, "  \u2860\u280A");
    assert_row(&g, 1, "\u2860\u280A  ");
    assert_close(g.x_max, 3.0, 0.0);
    assert_close(g.y_max, 1.0, 0.0);
    chart_grid_free(&g);

    const double x2[] = {0.0, NAN, 1.0}, y2[] = {0.0, 5.0, 1.0};
    s = series(x2, y2, 3, 0);
    assert_int_equal(chart_render(&s, 1, 2, 4, NULL, &g), 0);
    assert_row(&g, 0, "  \u2860\u280A");
    assert_row(&g, 1, "\u2860\u280A  ");
    chart_grid_free(&g);
}

/* No points: axes, empty labels, "no data" centred in the plot. Gutter 1
 * (just the axis), plot 9 x 29 from column 1; the note goes on plot row
 * (9 - 1) / 2 = 4 at column 1 + (29 - 7) / 2 = 12. */
static void test_empty_series(void **state) {
    (void)state;
    ChartGrid g;
    assert_int_equal(chart_render(NULL, 0, 10, 30, NULL, &g), 0);
    assert_string_equal(g.note, "no data");
    assert_string_equal(g.y_top, "");
    assert_string_equal(g.x_left, "");
    assert_int_equal(g.plot_x, 1);
    assert_row(&g, 4, "\u2502           no data           ");
    assert_row(&g, 0, "\u2502                             ");
    chart_grid_free(&g);

    const double nan_only[] = {NAN, NAN};
    ChartSeries s[2] = {series(NULL, NULL, 0, 0), series(NULL, nan_only, 2, 1)};
    assert_int_equal(chart_render(s, 2, 2, 4, NULL, &g), 0);
    assert_string_equal(g.note, "no data");
    assert_row(&g, 0, "no \u2026"); /* "no data" cut to 4 cells */
    assert_row(&g, 1, "    ");
    chart_grid_free(&g);
}

static void test_too_small(void **state) {
    (void)state;
    const double y[] = {0.0, 1.0};
    ChartSeries s = series(NULL, y, 2, 0);
    ChartGrid g;
    /* One row: the note centred, (20 - 9) / 2 = 5. */
    assert_int_equal(chart_render(&s, 1, 1, 20, NULL, &g), -1);
    assert_string_equal(g.note, "too small");
    assert_row(&g, 0, "     too small      ");
    chart_grid_free(&g);

    /* Three columns: the note cut with an ellipsis, on the middle row. */
    assert_int_equal(chart_render(&s, 1, 5, 3, NULL, &g), -1);
    assert_row(&g, 0, "   ");
    assert_row(&g, 2, "to\u2026");
    chart_grid_free(&g);

    /* Nothing at all to draw into. */
    assert_int_equal(chart_render(&s, 1, 0, 0, NULL, &g), -1);
    assert_int_equal(g.rows * g.cols, 0);
    assert_null(g.cells);
    chart_grid_free(&g);
    assert_int_equal(chart_render(&s, 1, -3, 50, NULL, &g), -1);
    assert_null(g.cells);
    chart_grid_free(&g);

    /* The smallest drawable size. */
    assert_int_equal(chart_render(&s, 1, CHART_MIN_ROWS, CHART_MIN_COLS, NULL, &g), 0);
    chart_grid_free(&g);
}

/* 100,000 points of a sine into 20 x 80: every plot column gets a dot (the
 * curve is continuous) and every cell is a single glyph. */
static void test_long_series_continuous(void **state) {
    (void)state;
    enum { N = 100000 };
    static double y[N];
    for (int i = 0; i < N; i++)
        y[i] = sin(i * 0.0003) * 100.0 + 200.0;
    ChartSeries s = series(NULL, y, N, 0);
    ChartGrid g;
    assert_int_equal(chart_render(&s, 1, 20, 80, NULL, &g), 0);
    for (int c = g.plot_x; c < g.cols; c++) {
        bool any = false;
        for (int r = 0; r < g.plot_h; r++)
            any = any || braille_mask(&g, r, c) > 0;
        assert_true(any);
    }
    for (int i = 0; i < g.rows * g.cols; i++)
        assert_true(strlen(g.cells[i].glyph) > 0 && strlen(g.cells[i].glyph) <= 3);
    chart_grid_free(&g);
}

/* Every size from 0x0 to 30x90, with and without axes and data: no crash, no
 * leak, and -1 exactly below the minimum (ASan/UBSan check the rest). */
static void test_size_sweep(void **state) {
    (void)state;
    const double y[] = {3.0, 1.0, NAN, 2.0, 1e6};
    const double vl[] = {1.0};
    ChartSeries s = series(NULL, y, 5, 0);
    ChartOptions o = chart_options_default();
    o.hline = 1.5;
    o.vlines = vl;
    o.n_vlines = 1;
    o.log_y = true;
    for (int rows = 0; rows <= 30; rows++)
        for (int cols = 0; cols <= 90; cols++) {
            ChartGrid g;
            o.ascii = (rows + cols) % 2 == 0;
            int rc = chart_render(&s, 1, rows, cols, &o, &g);
            bool small = rows < CHART_MIN_ROWS || cols < CHART_MIN_COLS;
            assert_int_equal(rc, small ? -1 : 0);
            if (!small) {
                assert_true(g.plot_w >= 1 && g.plot_h >= 1);
                assert_int_equal(g.plot_x + g.plot_w, cols);
            }
            chart_grid_free(&g);
        }
}

/* --- sparkline and bar ----------------------------------------------------------------- */

static void test_sparkline(void **state) {
    (void)state;
    char out[128];
    const double ramp[] = {0, 1, 2, 3, 4, 5, 6, 7};
    chart_sparkline(ramp, 8, 8, false, out, sizeof out);
    assert_string_equal(out, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
    chart_sparkline(ramp, 8, 8, true, out, sizeof out);
    assert_string_equal(out, " .:-=+*#");

    /* 8 values in 4 cells: means 0.5, 2.5, 4.5, 6.5 -> levels 0, round(2.33)
     * = 2, round(4.67) = 5, 7. */
    chart_sparkline(ramp, 8, 4, true, out, sizeof out);
    assert_string_equal(out, " :+#");

    /* Fewer values than cells: left-aligned, padded. */
    const double two[] = {1.0, 2.0};
    chart_sparkline(two, 2, 4, false, out, sizeof out);
    assert_string_equal(out, "\u2581\u2588  ");

    /* NaN is a gap; a flat series sits on the lowest level. */
    const double gap[] = {0.0, NAN, 1.0};
    chart_sparkline(gap, 3, 3, false, out, sizeof out);
    assert_string_equal(out, "\u2581 \u2588");
    const double flat[] = {5.0, 5.0, 5.0};
    chart_sparkline(flat, 3, 3, false, out, sizeof out);
    assert_string_equal(out, "\u2581\u2581\u2581");

    /* No data: spaces; no room: whole glyphs only. */
    chart_sparkline(NULL, 0, 3, false, out, sizeof out);
    assert_string_equal(out, "   ");
    chart_sparkline(flat, 3, 3, false, out, 7);
    assert_string_equal(out, "\u2581\u2581");
    chart_sparkline(flat, 3, 0, false, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_bar(void **state) {
    (void)state;
    char out[128];
    chart_bar(0.5, 4, false, out, sizeof out); /* 16 eighths: 2 full */
    assert_string_equal(out, "\u2588\u2588  ");
    chart_bar(0.53, 4, false, out, sizeof out); /* 16.96 -> 17 eighths */
    assert_string_equal(out, "\u2588\u2588\u258F ");
    chart_bar(0.33, 10, false, out, sizeof out); /* 26.4 -> 26: 3 full + 2/8 */
    assert_string_equal(out, "\u2588\u2588\u2588\u258E      ");
    chart_bar(0.99, 1, false, out, sizeof out); /* 7.92 -> 8: full */
    assert_string_equal(out, "\u2588");
    chart_bar(0.4375, 2, false, out, sizeof out); /* 7 of 16 eighths */
    assert_string_equal(out, "\u2589 ");
    chart_bar(1.0, 4, false, out, sizeof out);
    assert_string_equal(out, "\u2588\u2588\u2588\u2588");
    chart_bar(2.0, 4, false, out, sizeof out);
    assert_string_equal(out, "\u2588\u2588\u2588\u2588");
    chart_bar(0.0, 4, false, out, sizeof out);
    assert_string_equal(out, "    ");
    chart_bar(-1.0, 4, false, out, sizeof out);
    assert_string_equal(out, "    ");
    chart_bar(NAN, 4, false, out, sizeof out);
    assert_string_equal(out, "    ");

    chart_bar(0.25, 8, true, out, sizeof out);
    assert_string_equal(out, "##      ");
    chart_bar(0.26, 8, true, out, sizeof out); /* 2.08 -> 2 */
    assert_string_equal(out, "##      ");
    chart_bar(1.0, 3, true, out, sizeof out);
    assert_string_equal(out, "###");

    chart_bar(1.0, 4, false, out, 7); /* room for 2 blocks */
    assert_string_equal(out, "\u2588\u2588");
    chart_bar(0.5, 0, false, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_point_line_braille),
        cmocka_unit_test(test_peak_braille),
        cmocka_unit_test(test_vertical_span_downsampling),
        cmocka_unit_test(test_overlay_merges_dots_later_style_wins),
        cmocka_unit_test(test_markers_tell_series_apart),
        cmocka_unit_test(test_ascii_fallback),
        cmocka_unit_test(test_axes_and_labels),
        cmocka_unit_test(test_log_scale_labels),
        cmocka_unit_test(test_log_falls_back_to_linear),
        cmocka_unit_test(test_last_n_zoom),
        cmocka_unit_test(test_smoothing),
        cmocka_unit_test(test_hline_and_vlines),
        cmocka_unit_test(test_nonfinite_points_skipped),
        cmocka_unit_test(test_empty_series),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_long_series_continuous),
        cmocka_unit_test(test_size_sweep),
        cmocka_unit_test(test_sparkline),
        cmocka_unit_test(test_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
