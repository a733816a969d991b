/* layout.c - terminal size -> screen regions; see layout.h. */
#include "tui/layout.h"

#include <stdio.h>

static Rect rect(int y, int x, int h, int w) {
    Rect r = {y, x, h, w};
    return r;
}

Layout layout_compute(int rows, int cols, bool want_side) {
    if (rows < 0)
        rows = 0;
    if (cols < 0)
        cols = 0;
    Layout l;
    l.min_rows = LAYOUT_MIN_ROWS;
    l.min_cols = LAYOUT_MIN_COLS;
    l.too_small = rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS;
    l.has_side = false;
    if (l.too_small) {
        l.title = rect(0, 0, 0, cols);
        l.tabs = rect(0, 0, 0, cols);
        l.body = rect(0, 0, rows, cols);
        l.gap = rect(0, cols, rows, 0);
        l.side = rect(0, cols, rows, 0);
        l.status = rect(rows, 0, 0, cols);
        return l;
    }
    int body_h = rows - 3;
    int side_w = 0, gap_w = 0;
    if (want_side && cols >= LAYOUT_SIDE_MIN_COLS) {
        side_w = cols / 3;
        if (side_w > LAYOUT_SIDE_MAX_W)
            side_w = LAYOUT_SIDE_MAX_W;
        gap_w = LAYOUT_GAP_W;
        l.has_side = true;
    }
    l.title = rect(0, 0, 1, cols);
    l.tabs = rect(1, 0, 1, cols);
    l.body = rect(2, 0, body_h, cols - side_w - gap_w);
    l.gap = rect(2, cols - side_w - gap_w, body_h, gap_w);
    l.side = rect(2, cols - side_w, body_h, side_w);
    l.status = rect(rows - 1, 0, 1, cols);
    return l;
}

void layout_split_v(Rect r, int bottom_h, int min_top, Rect *top, Rect *bottom) {
    if (bottom_h < 0)
        bottom_h = 0;
    if (min_top < 0)
        min_top = 0;
    if (r.h < 0)
        r.h = 0;
    if (r.h >= min_top + bottom_h) {
        *top = rect(r.y, r.x, r.h - bottom_h, r.w);
        *bottom = rect(r.y + r.h - bottom_h, r.x, bottom_h, r.w);
    } else {
        *top = r;
        *bottom = rect(r.y + r.h, r.x, 0, r.w);
    }
}

void layout_split_h(Rect r, int right_w, int min_left, Rect *left, Rect *right) {
    if (right_w < 0)
        right_w = 0;
    if (min_left < 0)
        min_left = 0;
    if (r.w < 0)
        r.w = 0;
    if (r.w >= min_left + right_w) {
        *left = rect(r.y, r.x, r.h, r.w - right_w);
        *right = rect(r.y, r.x + r.w - right_w, r.h, right_w);
    } else {
        *left = r;
        *right = rect(r.y, r.x + r.w, r.h, 0);
    }
}

bool rect_overlaps(Rect a, Rect b) {
    if (a.h <= 0 || a.w <= 0 || b.h <= 0 || b.w <= 0)
        return false;
    return a.y < b.y + b.h && b.y < a.y + a.h && a.x < b.x + b.w && b.x < a.x + a.w;
}

void layout_too_small_text(const Layout *l, int rows, int cols, char *out, size_t size) {
    if (!out || size == 0)
        return;
    snprintf(out, size, "Terminal %dx%d is too small: need at least %dx%d", cols, rows,
             l ? l->min_cols : LAYOUT_MIN_COLS, l ? l->min_rows : LAYOUT_MIN_ROWS);
}
