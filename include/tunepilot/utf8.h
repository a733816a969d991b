/* utf8.h - UTF-8 decoding, checking and encoding by the Unicode standard's
 * well-formed byte sequences (table 3-7, the same as RFC 3629, section 4):
 * shortest forms only, no surrogates (U+D800..U+DFFF), nothing past
 * U+10FFFF.
 *
 * The functions read only the bytes they are given, keep no pointer past
 * their return and allocate nothing, except tp_utf8_append_lossy, which grows
 * the caller's buffer (the caller owns it, as with every TpBuf).
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_UTF8_H
#define TUNEPILOT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/buf.h"

/* Length (1..4) of the well-formed sequence that starts s[0..n), with its code
 * point in *cp; 0 when none starts there (n == 0, an ill-formed byte or a
 * sequence cut short by n), *cp then unchanged. A NUL byte is the code point
 * U+0000; in a NUL-terminated string, n = strnlen(s, 4) reads no further than
 * its terminator (which no sequence then crosses). */
size_t tp_utf8_next(const char *s, size_t n, uint32_t *cp);

/* The offset of the first byte of s[0..n) that does not start a well-formed
 * sequence; n when all of s is UTF-8. */
size_t tp_utf8_check(const char *s, size_t n);

/* True when s[0..n) is UTF-8. */
bool tp_utf8_valid(const char *s, size_t n);

/* Encodes cp (below 0x110000) into out[0..4); returns its length, 1..4. */
size_t tp_utf8_put(uint32_t cp, char *out);

/* Appends s[0..n) to b with each maximal subpart of an ill-formed sequence
 * replaced by U+FFFD (Unicode chapter 3, "U+FFFD substitution of maximal
 * subparts"; what Rust's String::from_utf8_lossy does). b->data is set (and
 * NUL-terminated) even when nothing is appended. */
void tp_utf8_append_lossy(TpBuf *b, const char *s, size_t n);

/* True for a continuation byte (10xxxxxx), one that starts no character. */
static inline bool tp_utf8_is_cont(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

/* Characters in the NUL-terminated s (NULL counts as ""): the bytes that are
 * not continuation bytes, so each byte of an ill-formed sequence that is not
 * one counts as a character. */
size_t tp_utf8_count(const char *s);

#endif
