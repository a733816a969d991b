/* Fuzz target: the tokenizer.json tokenizer.
 *
 * An input starting with '{' is a tokenizer.json for the loader (and, when it
 * loads, a short text is encoded and decoded with it). Any other input is a
 * selector byte (which of three fixture tokenizers) and then up to
 * MAX_TEXT bytes of text for tokenizer_encode + tokenizer_decode. The
 * fixtures are loaded once from $TP_FUZZ_TOKENIZER_DIR, else from the source
 * tree's tests/fixtures/tokenizer. (Encoding all three per input, with no cap
 * on the text, ran at about 100 inputs a second; one tokenizer per input and
 * short texts reach the same code some twenty times faster: long texts only
 * repeat what short ones cover.) Checked: ids are in range and decode always
 * gives valid UTF-8;
 * on the byte-level bytelevel_split.json decode(encode(x)) == x for valid
 * UTF-8 x, and re-encoding the repaired text of an invalid x gives it back
 * unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 check (no overlongs, surrogates or values above U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 3;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 4;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return false;
        }
        if (n - i < k || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j < k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xbf)
                return false;
        i += k;
    }
    return true;
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The fixtures folder (see the top comment). */
static const char *fixture_dir(void) {
    const char *env = getenv("TP_FUZZ_TOKENIZER_DIR");
    if (env && *env)
        return env;
    if (is_dir(TP_SOURCE_DIR "/tests/fixtures/tokenizer"))
        return TP_SOURCE_DIR "/tests/fixtures/tokenizer";
    return "tests/fixtures/tokenizer";
}

enum { MAX_TEXT = 1024 };

enum { N_TOK = 3 };
static Tokenizer *toks[N_TOK];
/* exact round trips: bytelevel_split only ("added" has lstrip/rstrip tokens
 * that eat whitespace, sentencepiece a Metaspace prefix) */
static const bool exact[N_TOK] = {true, false, false};

static void load_fixtures(void) {
    static const char *const names[N_TOK] = {"bytelevel_split.json", "sentencepiece.json", "added"};
    for (int i = 0; i < N_TOK; i++) {
        char path[4200];
        TpError err = {0};
        snprintf(path, sizeof path, "%s/%s", fixture_dir(), names[i]);
        if (tokenizer_load(path, &toks[i], &err) != TP_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s (set TP_FUZZ_TOKENIZER_DIR)\n", err.msg);
            abort();
        }
    }
}

/* encode + decode; returns the decoded text (caller frees) or NULL. */
static char *round_trip(const Tokenizer *t, const char *s, size_t n, size_t *out_len) {
    int *ids = NULL, count = 0;
    if (tokenizer_encode(t, s, n, &ids, &count, NULL) != TP_OK)
        return NULL;
    for (int i = 0; i < count; i++)
        if (ids[i] < 0 || ids[i] >= tokenizer_vocab_size(t))
            abort();
    char *d = tokenizer_decode_len(t, ids, count, false, out_len);
    char *d2 = tokenizer_decode(t, ids, count, true);
    if (!d || !d2 || !valid_utf8((const unsigned char *)d, *out_len))
        abort();
    free(d2);
    free(ids);
    return d;
}

static void fuzz_loader(const uint8_t *data, size_t size) {
    Tokenizer *t = NULL;
    if (tokenizer_load_json((const char *)data, size, "fuzz.json", &t, NULL) != TP_OK)
        return;
    static const char text[] = "Hello  world\n<s> 123 日本 😀 \xff";
    size_t n;
    char *d = round_trip(t, text, sizeof text - 1, &n);
    free(d);
    for (int id = -1; id <= tokenizer_vocab_size(t); id++) {
        (void)tokenizer_piece(t, id);
        (void)tokenizer_is_special(t, id);
    }
    tokenizer_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!toks[0])
        load_fixtures();
    if (size && data[0] == '{') {
        fuzz_loader(data, size);
        return 0;
    }
    if (size == 0)
        return 0;
    int i = data[0] % N_TOK;
    data++;
    size--;
    if (size > MAX_TEXT)
        size = MAX_TEXT;
    const char *s = (const char *)data;
    bool valid = valid_utf8(data, size);
    {
        size_t n;
        char *d = round_trip(toks[i], s, size, &n);
        if (!d)
            abort(); /* fixture regexes never hit the match limit */
        if (exact[i]) {
            if (valid && (n != size || memcmp(d, s, size) != 0))
                abort();
            if (!valid) {
                size_t n2;
                char *d2 = round_trip(toks[i], d, n, &n2);
                if (!d2 || n2 != n || memcmp(d2, d, n) != 0)
                    abort();
                free(d2);
            }
        }
        free(d);
    }
    return 0;
}
