/* wrap.h - pure helpers of the workbench's panels: wrapping text to a
 * width, choosing a table's columns by width, and the OSC 52 clipboard
 * sequence. No ncurses, no locale (widths come from textfit.h). */
#ifndef TP_TUI_WRAP_H
#define TP_TUI_WRAP_H

#include <stdbool.h>
#include <stddef.h>

/* One line of s wrapped at width cells (width < 1 counts as 1): the bytes
 * from s up to the last space that lets them fit, or, for a word longer
 * than the width, up to the width (never splitting a UTF-8 character; a
 * character wider than the width still takes a line of its own). A '\n'
 * ends the line early. Returns the line's length in bytes, trailing spaces
 * left out; *next gets the offset of the next line's start (the spaces at
 * the break and one '\n' skipped), equal to strlen(s) at the end. */
int text_wrap_line(const char *s, int width, int *next);

/* Rows that s takes wrapped at width (an empty string takes 1). */
int text_wrap_rows(const char *s, int width);

/* A table column for table_columns: its header, its width in cells, its
 * priority (lower is kept first) and, for a column that may widen into the
 * room left over (a name), its widest (max > width; 0 = fixed width). */
typedef struct TableCol {
    const char *name;
    int width;
    int priority;
    int max;
} TableCol;

/* Chooses which of the n columns (n <= 64) fit in width cells with one
 * space between shown columns: by priority (ties in column order), each
 * column is shown when it fits beside those already shown. Then the room
 * left widens the shown columns with a max, in priority order, up to their
 * max. widths[i] gets each shown column's width and 0 for a hidden one.
 * Returns the number of columns shown. */
int table_columns(const TableCol *cols, int n, int width, int *widths);

/* Appends a table cell to line (size bytes, NUL-terminated): a space unless
 * line is empty, then text fitted to w cells (text_fit: padded, numbers
 * right-aligned when right, cut with an ellipsis when longer). */
void table_cell(char *line, size_t size, const char *text, int w, bool right, bool ascii);

/* RFC 4648 base64 (with '=' padding) of n bytes into out (size bytes,
 * NUL-terminated). Returns the length written, or -1 (out set to "") when
 * out is smaller than 4 * ceil(n / 3) + 1. */
long base64_encode(const void *in, size_t n, char *out, size_t size);

/* The OSC 52 sequence that asks the terminal to put text on the clipboard:
 * ESC ] 52 ; c ; <base64 of text> BEL. Returns a malloc'd string. */
char *osc52_sequence(const char *text, size_t n);

#endif
