/* text.h - text that is safe to show and to write as JSON: valid UTF-8
 * (shortest forms only, no surrogates, nothing past U+10FFFF) without C0 or
 * C1 control characters (so no terminal escape sequence) and without DEL.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_TEXT_H
#define TUNEPILOT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when the NUL-terminated s is such text. */
bool tp_text_is_safe(const char *s);

/* The first byte offset where s stops being safe (strlen(s) when it never
 * does). */
size_t tp_text_unsafe_at(const char *s);

/* True when needle occurs in hay, ASCII letters compared without case (an
 * empty needle occurs everywhere). */
bool tp_text_contains_ci(const char *hay, const char *needle);

/* num (a decimal rendering: an optional '-', digits, then anything, e.g.
 * "-1234567.50") with a ',' between each group of three digits of its
 * integer part ("-1,234,567.50"), into out (cut to size, NUL-terminated). */
void tp_text_group_digits(const char *num, char *out, size_t size);

#endif
