/* test_layout.c - the pure screen layout (exact rectangles for common and
 * reported sizes, the too-small state, and a sweep over every size checking
 * that the regions tile the screen) and text fitting (display width of
 * ASCII, CJK, combining marks, emoji; ellipsis; number formatting). */
#include "tp_test.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tui/layout.h"
#include "tui/textfit.h"

/* --- helpers -------------------------------------------------------------------- */

static void assert_rect(Rect r, int y, int x, int h, int w) {
    assert_int_equal(r.y, y);
    assert_int_equal(r.x, x);
    assert_int_equal(r.h, h);
    assert_int_equal(r.w, w);
}

/* The invariants for one size: non-negative sizes, inside the screen, no two
 * regions overlap, and the areas add up to the screen (with the previous
 * two, that is exact coverage). With cover (scratch for rows * cols ints),
 * coverage is also counted cell by cell. */
static void check_invariants(int rows, int cols, bool want_side, int *cover) {
    Layout l = layout_compute(rows, cols, want_side);
    Rect all[6] = {l.title, l.tabs, l.body, l.gap, l.side, l.status};
    long area = 0;
    for (int i = 0; i < 6; i++) {
        Rect r = all[i];
        assert_true(r.h >= 0 && r.w >= 0);
        assert_true(r.y >= 0 && r.x >= 0);
        assert_true(r.y + r.h <= rows && r.x + r.w <= cols);
        for (int j = i + 1; j < 6; j++)
            assert_false(rect_overlaps(r, all[j]));
        area += (long)r.h * r.w;
    }
    assert_int_equal(area, (long)rows * cols);
    if (cover) {
        memset(cover, 0, sizeof(int) * (size_t)rows * (size_t)cols);
        for (int i = 0; i < 6; i++)
            for (int y = all[i].y; y < all[i].y + all[i].h; y++)
                for (int x = all[i].x; x < all[i].x + all[i].w; x++)
                    cover[y * cols + x]++;
        int bad = 0;
        for (int i = 0; i < rows * cols; i++)
            bad += cover[i] != 1;
        assert_int_equal(bad, 0);
    }

    bool small = rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS;
    assert_int_equal(l.too_small, small);
    if (small) {
        assert_rect(l.body, 0, 0, rows, cols);
        assert_false(l.has_side);
        return;
    }
    /* One-line bars; the body keeps everything else. */
    assert_int_equal(l.title.h, 1);
    assert_int_equal(l.tabs.h, 1);
    assert_int_equal(l.status.h, 1);
    assert_int_equal(l.body.h, rows - 3);
    bool side = want_side && cols >= LAYOUT_SIDE_MIN_COLS;
    assert_int_equal(l.has_side, side);
    if (side) {
        assert_true(l.side.w > 0 && l.side.w <= LAYOUT_SIDE_MAX_W);
        assert_true(l.side.w <= cols / 3);
        assert_true(l.body.w >= cols - LAYOUT_SIDE_MAX_W - LAYOUT_GAP_W);
        assert_int_equal(l.side.h, l.body.h);
        /* blank columns between the two, the same rows */
        assert_int_equal(l.side.x - (l.body.x + l.body.w), LAYOUT_GAP_W);
        assert_rect(l.gap, l.body.y, l.body.x + l.body.w, l.body.h, LAYOUT_GAP_W);
    } else {
        assert_int_equal(l.side.w, 0);
        assert_int_equal(l.gap.w, 0);
        assert_int_equal(l.body.w, cols);
    }
}

/* --- layout_compute ------------------------------------------------------------- */

static void test_layout_80x24_exact(void **state) {
    (void)state;
    for (int want = 0; want <= 1; want++) {
        Layout l = layout_compute(24, 80, want);
        assert_false(l.too_small);
        assert_int_equal(l.min_rows, 24);
        assert_int_equal(l.min_cols, 80);
        assert_rect(l.title, 0, 0, 1, 80);
        assert_rect(l.tabs, 1, 0, 1, 80);
        assert_rect(l.body, 2, 0, 21, 80);
        assert_rect(l.status, 23, 0, 1, 80);
        assert_false(l.has_side); /* 80 < 110 even when asked for */
        assert_rect(l.side, 2, 80, 21, 0);
    }
}

static void test_layout_too_small(void **state) {
    (void)state;
    Layout l = layout_compute(24, 79, true);
    assert_true(l.too_small);
    assert_rect(l.body, 0, 0, 24, 79);
    assert_int_equal(l.title.h, 0);
    assert_int_equal(l.tabs.h, 0);
    assert_int_equal(l.status.h, 0);
    assert_int_equal(l.side.w, 0);

    l = layout_compute(23, 80, true);
    assert_true(l.too_small);
    assert_rect(l.body, 0, 0, 23, 80);

    char msg[96];
    layout_too_small_text(&l, 23, 80, msg, sizeof msg);
    assert_string_equal(msg, "Terminal 80x23 is too small: need at least 80x24");

    l = layout_compute(1, 1, false);
    assert_true(l.too_small);
    assert_rect(l.body, 0, 0, 1, 1);
    assert_rect(l.title, 0, 0, 0, 1);
    assert_rect(l.status, 1, 0, 0, 1);

    /* Zero and negative sizes count as 0: everything empty. */
    l = layout_compute(0, 0, true);
    assert_true(l.too_small);
    assert_rect(l.body, 0, 0, 0, 0);
    l = layout_compute(-5, -7, true);
    assert_rect(l.body, 0, 0, 0, 0);
    assert_int_equal(l.side.w, 0);
}

static void test_layout_side_panel(void **state) {
    (void)state;
    /* 200 columns: a third would be 66, capped at 48. */
    Layout l = layout_compute(60, 200, true);
    assert_false(l.too_small);
    assert_true(l.has_side);
    assert_rect(l.title, 0, 0, 1, 200);
    assert_rect(l.tabs, 1, 0, 1, 200);
    assert_rect(l.body, 2, 0, 57, 151); /* 200 - 48 - the gap's 1 */
    assert_rect(l.gap, 2, 151, 57, 1);
    assert_rect(l.side, 2, 152, 57, 48);
    assert_rect(l.status, 59, 0, 1, 200);

    /* Not asked for: the body takes the width. */
    l = layout_compute(60, 200, false);
    assert_false(l.has_side);
    assert_rect(l.body, 2, 0, 57, 200);

    /* The threshold: 110 gets a third (36), 109 none. */
    l = layout_compute(30, 110, true);
    assert_true(l.has_side);
    assert_rect(l.body, 2, 0, 27, 73);
    assert_rect(l.side, 2, 74, 27, 36);
    l = layout_compute(30, 109, true);
    assert_false(l.has_side);
    assert_rect(l.body, 2, 0, 27, 109);

    /* 144 columns is where the third reaches the cap. */
    l = layout_compute(40, 144, true);
    assert_int_equal(l.side.w, 48);
    l = layout_compute(40, 143, true);
    assert_int_equal(l.side.w, 47);
}

/* Decide at 120x30 drew its question panel and its verdict side by side
 * with no column between them (a question's last letter touched the
 * verdict's first): the side panel is 120 / 3 = 40 columns at x = 80, the
 * body 120 - 40 - 1 = 79 columns, and column 79 is blank. */
static void test_layout_side_gap_120(void **state) {
    (void)state;
    Layout l = layout_compute(30, 120, true);
    assert_true(l.has_side);
    assert_rect(l.body, 2, 0, 27, 79);
    assert_rect(l.gap, 2, 79, 27, 1);
    assert_rect(l.side, 2, 80, 27, 40);
    assert_false(rect_overlaps(l.body, l.side));
    assert_true(l.body.x + l.body.w < l.side.x);
    /* without a side panel there is no gap: the body is the width */
    l = layout_compute(30, 120, false);
    assert_rect(l.body, 2, 0, 27, 120);
    assert_int_equal(l.gap.w, 0);
}

/* Sizes people run in and report: VT100 80x24, the Linux console 80x25,
 * VT220 wide 132x24 and 132x43, a maximised 1080p terminal 237x63, and
 * tmux/screen halves of 80x24 (39x24, 80x11), which must say too small. */
static void test_layout_reported_sizes(void **state) {
    (void)state;
    static const struct {
        int rows, cols;
        bool small, side;
        int body_w;
    } cases[] = {
        {24, 80, false, false, 80},   {25, 80, false, false, 80},  {24, 132, false, true, 87},
        {43, 132, false, true, 87},   {63, 237, false, true, 188}, {24, 39, true, false, 39},
        {11, 80, true, false, 80},    {50, 100, false, false, 100},
    };
    int cover[63 * 237];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Layout l = layout_compute(cases[i].rows, cases[i].cols, true);
        assert_int_equal(l.too_small, cases[i].small);
        assert_int_equal(l.has_side, cases[i].side);
        assert_int_equal(l.body.w, cases[i].body_w);
        check_invariants(cases[i].rows, cases[i].cols, true, cover);
    }
}

/* Every size 1..120 rows x 1..300 columns, with and without the side panel. */
static void test_layout_size_sweep(void **state) {
    (void)state;
    int *cover = malloc(sizeof(int) * 120 * 300);
    assert_non_null(cover);
    for (int rows = 1; rows <= 120; rows++)
        for (int cols = 1; cols <= 300; cols++) {
            /* Cell-by-cell counting on a lattice of sizes (plus the edges
             * around the minimum and the side threshold) keeps this fast
             * under ASan; the area argument covers every size. */
            bool count = (rows % 7 == 0 && cols % 11 == 0) || rows == LAYOUT_MIN_ROWS ||
                         cols == LAYOUT_MIN_COLS || cols == LAYOUT_SIDE_MIN_COLS;
            check_invariants(rows, cols, true, count ? cover : NULL);
            check_invariants(rows, cols, false, count ? cover : NULL);
        }
    free(cover);
}

/* --- splits ------------------------------------------------------------------- */

static void test_layout_split_v(void **state) {
    (void)state;
    Rect body = {2, 0, 21, 80}, top, bottom;
    layout_split_v(body, 5, 10, &top, &bottom);
    assert_rect(top, 2, 0, 16, 80);
    assert_rect(bottom, 18, 0, 5, 80);

    /* Exactly enough room. */
    Rect r15 = {2, 0, 15, 80};
    layout_split_v(r15, 5, 10, &top, &bottom);
    assert_rect(top, 2, 0, 10, 80);
    assert_rect(bottom, 12, 0, 5, 80);

    /* One row short: the bottom part goes first. */
    Rect r14 = {2, 0, 14, 80};
    layout_split_v(r14, 5, 10, &top, &bottom);
    assert_rect(top, 2, 0, 14, 80);
    assert_rect(bottom, 16, 0, 0, 80);

    /* Smaller than min_top: top is all there is. */
    Rect tiny = {0, 3, 2, 10};
    layout_split_v(tiny, 1, 5, &top, &bottom);
    assert_rect(top, 0, 3, 2, 10);
    assert_int_equal(bottom.h, 0);

    /* Negative arguments count as 0. */
    layout_split_v(body, -4, -1, &top, &bottom);
    assert_rect(top, 2, 0, 21, 80);
    assert_rect(bottom, 23, 0, 0, 80);
    assert_false(rect_overlaps(top, bottom));
}

static void test_layout_split_h(void **state) {
    (void)state;
    Rect body = {2, 0, 21, 80}, left, right;
    layout_split_h(body, 30, 40, &left, &right);
    assert_rect(left, 2, 0, 21, 50);
    assert_rect(right, 2, 50, 21, 30);
    layout_split_h(body, 30, 51, &left, &right);
    assert_rect(left, 2, 0, 21, 80);
    assert_rect(right, 2, 80, 21, 0);
}

static void test_rect_overlaps(void **state) {
    (void)state;
    Rect a = {0, 0, 2, 2}, b = {1, 1, 2, 2}, c = {2, 0, 1, 5}, e = {0, 0, 0, 9};
    assert_true(rect_overlaps(a, b));
    assert_false(rect_overlaps(a, c)); /* touching edges do not overlap */
    assert_false(rect_overlaps(a, e)); /* empty never overlaps */
}

/* --- text width and fitting ------------------------------------------------------ */

static void test_text_width(void **state) {
    (void)state;
    assert_int_equal(text_width("hello"), 5);
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width(NULL), 0);
    /* CJK and fullwidth: 2 each. */
    assert_int_equal(text_width("\u65E5\u672C\u8A9E"), 6); /* 日本語 */
    assert_int_equal(text_width("\u6F22a"), 3);
    assert_int_equal(text_width("\uAC00"), 2);  /* Hangul 가 */
    assert_int_equal(text_width("\uFF21"), 2);  /* fullwidth A */
    /* Combining marks: 0. "Cafe" + U+0301 is "Café" in 4 cells. */
    assert_int_equal(text_width("e\u0301"), 1);
    assert_int_equal(text_width("Cafe\u0301"), 4);
    assert_int_equal(text_width("a\u200Bb"), 2); /* zero width space */
    /* Emoji: 2. */
    assert_int_equal(text_width("\U0001F600"), 2);
    assert_int_equal(text_width("a\U0001F680b"), 4);
    /* Box drawing, braille, block elements, the ellipsis: 1. */
    assert_int_equal(text_width("\u2502\u28FF\u2588\u2026"), 4);
    /* Latin-1 and Greek: 1. */
    assert_int_equal(text_width("\u00E9\u03B1"), 2);
    /* Controls count 0; a stray byte counts 1. */
    assert_int_equal(text_width("a\tb\n"), 2);
    assert_int_equal(text_width("a\xFF" "b"), 3);
    assert_int_equal(text_width("\xE6\x97"), 2); /* truncated sequence: 2 stray bytes */
}

static void test_text_fit(void **state) {
    (void)state;
    char out[64];
    /* Padding. */
    text_fit("hello", 8, false, false, out, sizeof out);
    assert_string_equal(out, "hello   ");
    text_fit("hello", 8, false, true, out, sizeof out);
    assert_string_equal(out, "   hello");
    text_fit("hello", 5, false, false, out, sizeof out);
    assert_string_equal(out, "hello");
    text_fit(NULL, 3, false, false, out, sizeof out);
    assert_string_equal(out, "   ");

    /* The exact ellipsis case: 9 cells into 5 keeps 4 and adds "…". */
    text_fit("tunepilot", 5, false, false, out, sizeof out);
    assert_string_equal(out, "tune\u2026");
    assert_int_equal(text_width(out), 5);
    text_fit("tunepilot", 5, true, false, out, sizeof out);
    assert_string_equal(out, "tune.");
    text_fit("tunepilot", 5, false, true, out, sizeof out); /* same when cut */
    assert_string_equal(out, "tune\u2026");
    text_fit("hello", 1, false, false, out, sizeof out);
    assert_string_equal(out, "\u2026");
    text_fit("hello", 0, false, false, out, sizeof out);
    assert_string_equal(out, "");
    text_fit("hello", -2, false, false, out, sizeof out);
    assert_string_equal(out, "");

    /* CJK: a wide character that would straddle the cut becomes a space. */
    text_fit("\u65E5\u672C\u8A9E", 4, false, false, out, sizeof out);
    assert_string_equal(out, "\u65E5 \u2026");
    assert_int_equal(text_width(out), 4);
    text_fit("\u65E5\u672C\u8A9E", 5, false, false, out, sizeof out);
    assert_string_equal(out, "\u65E5\u672C\u2026");
    text_fit("\u65E5\u672C\u8A9E", 7, false, true, out, sizeof out);
    assert_string_equal(out, " \u65E5\u672C\u8A9E");

    /* Combining marks stay with their base character. */
    text_fit("e\u0301e\u0301e\u0301", 2, false, false, out, sizeof out);
    assert_string_equal(out, "e\u0301\u2026");
    text_fit("Cafe\u0301", 5, false, false, out, sizeof out);
    assert_string_equal(out, "Cafe\u0301 ");

    /* Emoji. */
    text_fit("\U0001F600\U0001F600", 3, false, false, out, sizeof out);
    assert_string_equal(out, "\U0001F600\u2026");
    text_fit("\U0001F600", 4, false, false, out, sizeof out);
    assert_string_equal(out, "\U0001F600  ");

    /* Controls are dropped, stray bytes shown as '?'. */
    text_fit("a\tb", 3, false, false, out, sizeof out);
    assert_string_equal(out, "ab ");
    text_fit("a\xFF", 3, false, false, out, sizeof out);
    assert_string_equal(out, "a? ");

    /* A short buffer cuts at a character boundary. */
    char tiny[5];
    text_fit("\u65E5\u672C\u8A9E", 6, false, false, tiny, sizeof tiny);
    assert_string_equal(tiny, "\u65E5");
    text_fit("abc", 3, false, false, out, 1);
    assert_string_equal(out, "");
}

static void test_number_formats(void **state) {
    (void)state;
    char out[32];
    fmt_count(12345, out, sizeof out);
    assert_string_equal(out, "12,345");
    fmt_count(0, out, sizeof out);
    assert_string_equal(out, "0");
    fmt_count(999, out, sizeof out);
    assert_string_equal(out, "999");
    fmt_count(-1000, out, sizeof out);
    assert_string_equal(out, "-1,000");
    fmt_count(1234567, out, sizeof out);
    assert_string_equal(out, "1,234,567");
    fmt_count(LLONG_MIN, out, sizeof out);
    assert_string_equal(out, "-9,223,372,036,854,775,808");

    fmt_usd_compact(1.2e6, out, sizeof out);
    assert_string_equal(out, "$1.2M");
    fmt_usd_compact(3.5, out, sizeof out);
    assert_string_equal(out, "$3.50");
    fmt_usd_compact(512.0, out, sizeof out);
    assert_string_equal(out, "$512");
    fmt_usd_compact(12345.0, out, sizeof out);
    assert_string_equal(out, "$12k");
    fmt_usd_compact(-1500.0, out, sizeof out);
    assert_string_equal(out, "-$1.5k");
    fmt_usd_compact(999.6, out, sizeof out); /* rounds up into the next unit */
    assert_string_equal(out, "$1.0k");
    fmt_usd_compact(3.4e8, out, sizeof out);
    assert_string_equal(out, "$340M");
    fmt_usd_compact(NAN, out, sizeof out);
    assert_string_equal(out, "n/a");

    fmt_compact(0.0, out, sizeof out);
    assert_string_equal(out, "0");
    fmt_compact(1000.0, out, sizeof out);
    assert_string_equal(out, "1k");
    fmt_compact(999.9, out, sizeof out);
    assert_string_equal(out, "1k");
    fmt_compact(12345.0, out, sizeof out);
    assert_string_equal(out, "12.3k");
    fmt_compact(2.5e6, out, sizeof out);
    assert_string_equal(out, "2.5M");
    fmt_compact(0.5, out, sizeof out);
    assert_string_equal(out, "0.5");
    fmt_compact(-3.0, out, sizeof out);
    assert_string_equal(out, "-3");
    fmt_compact(2.5e-5, out, sizeof out);
    assert_string_equal(out, "2.50e-05");
    fmt_compact(INFINITY, out, sizeof out);
    assert_string_equal(out, "inf");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_80x24_exact),
        cmocka_unit_test(test_layout_too_small),
        cmocka_unit_test(test_layout_side_panel),
        cmocka_unit_test(test_layout_side_gap_120),
        cmocka_unit_test(test_layout_reported_sizes),
        cmocka_unit_test(test_layout_size_sweep),
        cmocka_unit_test(test_layout_split_v),
        cmocka_unit_test(test_layout_split_h),
        cmocka_unit_test(test_rect_overlaps),
        cmocka_unit_test(test_text_width),
        cmocka_unit_test(test_text_fit),
        cmocka_unit_test(test_number_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
