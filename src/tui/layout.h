/* layout.h - screen layout as a pure function of the terminal size (house
 * style 9, nvtop's compute_sizes_from_layout): no ncurses, so it is tested
 * with sizes from bug reports and a sweep over every size. */
#ifndef TP_TUI_LAYOUT_H
#define TP_TUI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

/* Smallest terminal the full layout is drawn in. */
#define LAYOUT_MIN_ROWS 24
#define LAYOUT_MIN_COLS 80
/* The side panel appears from this width up, about a third of the width and
 * at most LAYOUT_SIDE_MAX_W columns. */
#define LAYOUT_SIDE_MIN_COLS 110
#define LAYOUT_SIDE_MAX_W 48
/* Blank columns between the body and the side panel, so that text in the
 * two never runs together. */
#define LAYOUT_GAP_W 1

/* A rectangle of cells: top-left (y, x), h rows, w columns. An empty region
 * has h == 0 or w == 0 (never negative) and still a position inside or on
 * the edge of the screen. */
typedef struct Rect {
    int y, x, h, w;
} Rect;

typedef struct Layout {
    bool too_small;         /* rows < min_rows or cols < min_cols */
    int min_rows, min_cols; /* LAYOUT_MIN_ROWS, LAYOUT_MIN_COLS (for the message) */
    Rect title;             /* row 0, full width */
    Rect tabs;              /* row 1, full width: Decide, Costs, Pricing, History */
    Rect body;              /* rows 2 .. rows-2, left of the side panel */
    Rect gap;               /* between body and side: LAYOUT_GAP_W columns, w == 0 when !has_side */
    Rect side;              /* right of the gap, same rows; w == 0 when !has_side */
    Rect status;            /* last row, full width: the keys */
    bool has_side;
} Layout;

/* Terminal rows x cols -> regions. From LAYOUT_MIN_ROWS x LAYOUT_MIN_COLS
 * up: a one-line title bar, a one-line tab bar, the body, a one-line status
 * bar, and, when want_side and cols >= LAYOUT_SIDE_MIN_COLS, a side panel of
 * min(cols / 3, LAYOUT_SIDE_MAX_W) columns on the right (live verdict,
 * details), LAYOUT_GAP_W blank columns (gap) between it and the body.
 * Below the minimum, too_small is set, body is the whole
 * screen (where the caller shows its "too small" message, e.g. with
 * layout_too_small_text) and every other region is empty.
 *
 * For every size (rows or cols <= 0 count as 0): regions never overlap,
 * together cover the screen exactly, and have non-negative sizes. */
Layout layout_compute(int rows, int cols, bool want_side);

/* Splits r into a top part of at least min_top rows and a bottom part of
 * bottom_h rows (the bottom of r). When r.h < min_top + bottom_h the bottom
 * part is dropped (h = 0, placed at r's bottom edge) and top is all of r;
 * top may then be shorter than min_top if r itself is. Negative arguments
 * count as 0. top and bottom may not be NULL. */
void layout_split_v(Rect r, int bottom_h, int min_top, Rect *top, Rect *bottom);

/* The same split across: a left part of at least min_left columns and a right
 * part of right_w columns, the right part dropped first. */
void layout_split_h(Rect r, int right_w, int min_left, Rect *left, Rect *right);

/* Whether two rectangles share a cell (empty ones never do). */
bool rect_overlaps(Rect a, Rect b);

/* Writes the message for a too-small terminal, e.g. "Terminal 79x24 is too
 * small: need at least 80x24", into out (size bytes, NUL-terminated). */
void layout_too_small_text(const Layout *l, int rows, int cols, char *out, size_t size);

#endif
