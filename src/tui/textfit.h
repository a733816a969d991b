/* textfit.h - display width of UTF-8 text and fitting it into a number of
 * terminal cells; compact number formatting for labels. Pure functions: no
 * ncurses, no locale (the width tables are built in, so results do not depend
 * on setlocale or the C library's wcwidth).
 *
 * Width rules (an approximation of Unicode East Asian Width plus emoji
 * presentation, the way most terminals draw them):
 *   - East Asian wide and fullwidth characters (CJK, Hangul, kana, fullwidth
 *     forms) and emoji with default emoji presentation: 2 cells;
 *   - combining marks, variation selectors, zero-width space/joiners and other
 *     format characters: 0 cells;
 *   - C0/C1 control characters and DEL: 0 cells (text_fit drops them so they
 *     never reach the terminal);
 *   - everything else, box drawing, block elements and braille included: 1;
 *   - a byte that does not start a valid UTF-8 sequence counts as one cell,
 *     and text_fit writes it as '?'.
 * Emoji ZWJ sequences are measured character by character (each emoji 2),
 * which overestimates some terminals' rendering; keep them out of labels. */
#ifndef TP_TUI_TEXTFIT_H
#define TP_TUI_TEXTFIT_H

#include <stdbool.h>
#include <stddef.h>

/* Display width in cells of one code point, by the rules above. */
int text_cp_width(unsigned cp);

/* Decodes one UTF-8 character at s (s[0] != '\0'). Sets *cp to the code point
 * and returns the number of bytes consumed (1..4). An invalid or truncated
 * sequence consumes 1 byte and yields *cp = 0xFFFD with *valid = false. Never
 * reads past a NUL byte. valid may be NULL. */
int text_utf8_decode(const char *s, unsigned *cp, bool *valid);

/* Display width in cells of a NUL-terminated UTF-8 string; NULL counts as "". */
int text_width(const char *utf8);

/* Writes into out (size bytes, always NUL-terminated when size > 0) the text
 * fitted to exactly `width` cells:
 *   - text that fits is padded with spaces on the right (left-aligned) or on
 *     the left (right_align);
 *   - text that does not fit keeps its beginning and ends with an ellipsis,
 *     "…" (U+2026, one cell) or "." when ascii; a wide character that would
 *     straddle the cut is replaced by a space so the result is still exactly
 *     `width` cells. right_align only affects padding.
 * width <= 0 gives "". utf8 may be NULL (treated as ""). If out is too small
 * for the fitted bytes, the result is cut at a character boundary (so it may
 * then be narrower than width); 4 * width + 1 bytes always suffice for text
 * without zero-width characters. */
void text_fit(const char *utf8, int width, bool ascii, bool right_align, char *out, size_t size);

/* A number in at most about 8 characters for axis labels: 3 significant
 * digits, "k", "M", "G", "T" suffixes from 1000 up (999.9 -> "1k", 12345 ->
 * "12.3k"), exponent form below 1e-4 ("1.23e-05"), "0" for zero, "nan",
 * "inf", "-inf" for non-finite values. out gets at most size-1 bytes. */
void fmt_compact(double v, char *out, size_t size);

/* Dollars compactly: "$3.50" below $10, "$512" below $1000, then one decimal
 * with a suffix below 10 of the unit ("$1.2k", "$3.4M") and none above
 * ("$12k", "$340M", "$1.5T"). Negative values get a leading '-' ("-$1.2k");
 * non-finite values give "n/a". */
void fmt_usd_compact(double usd, char *out, size_t size);

/* An integer with thousands separators: 12345 -> "12,345", -1000 -> "-1,000". */
void fmt_count(long long v, char *out, size_t size);

#endif
