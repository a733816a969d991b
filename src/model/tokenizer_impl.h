/* tokenizer_impl.h - what tokenizer.c and tokenizer_pipeline.c (loading),
 * tokenizer_encode.c, tokenizer_decode.c, tokenizer_util.c and
 * tokenizer_train.c share. Not a public header. */
#ifndef TP_TOKENIZER_IMPL_H
#define TP_TOKENIZER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/tokenizer.h"
#include "tunepilot/utf8.h"

/* --- merges -------------------------------------------------------------- */

/* The merge of (left id a, right id b): its rank and the merged id, in a map
 * keyed by the pair. */
void pairmap_put(TpU64Map *m, int32_t a, int32_t b, uint32_t rank, int32_t merged);
/* False if absent. */
bool pairmap_get(const TpU64Map *m, int32_t a, int32_t b, uint32_t *rank, int32_t *merged);

/* --- Unicode ------------------------------------------------------------ */

/* Unicode White_Space (what Rust's and Oniguruma's \s match). */
bool uni_is_space(uint32_t cp);

/* --- pipeline components ------------------------------------------------ */

typedef enum { PAT_STRING, PAT_REGEX } PatKind;

/* A Split/Replace pattern: a literal or a compiled regex. */
typedef struct Pattern {
    PatKind kind;
    const char *lit;
    size_t lit_len;
    pcre2_code *re;
} Pattern;

typedef enum {
    NORM_PREPEND,
    NORM_REPLACE,
    NORM_NFC,
    NORM_NFD,
    NORM_NFKC,
    NORM_NFKD,
    NORM_LOWERCASE,
    NORM_STRIP_ACCENTS,
    NORM_STRIP
} NormKind;

typedef struct Normalizer {
    NormKind kind;
    Pattern pat;     /* REPLACE */
    const char *str; /* PREPEND text, REPLACE content */
    size_t str_len;
    bool left, right; /* STRIP */
} Normalizer;

typedef enum {
    SPLIT_REMOVED,
    SPLIT_ISOLATED,
    SPLIT_MERGED_PREV,
    SPLIT_MERGED_NEXT,
    SPLIT_CONTIGUOUS
} SplitBehavior;

typedef enum { PRE_BYTELEVEL, PRE_SPLIT, PRE_DIGITS, PRE_METASPACE } PreKind;
typedef enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } PrependScheme;

typedef struct PreTok {
    PreKind kind;
    bool add_prefix_space, use_regex; /* BYTELEVEL */
    Pattern pat;                      /* SPLIT */
    SplitBehavior behavior;           /* SPLIT */
    bool invert;                      /* SPLIT */
    bool individual;                  /* DIGITS */
    char rep[5];                      /* METASPACE replacement, UTF-8 */
    size_t rep_len;
    PrependScheme prepend; /* METASPACE */
    bool split;            /* METASPACE */
} PreTok;

typedef enum {
    DEC_BYTELEVEL,
    DEC_REPLACE,
    DEC_BYTEFALLBACK,
    DEC_FUSE,
    DEC_STRIP,
    DEC_METASPACE
} DecKind;

typedef struct Decoder {
    DecKind kind;
    Pattern pat;     /* REPLACE */
    const char *str; /* REPLACE content */
    size_t str_len;
    uint32_t ch;           /* STRIP content, METASPACE replacement */
    int start, stop;       /* STRIP */
    PrependScheme prepend; /* METASPACE */
} Decoder;

typedef struct AddedToken {
    const char *content;
    size_t len;
    int id;
    bool special, single_word, lstrip, rstrip, normalized;
    const char *norm; /* content after the normalizer (normalized tokens) */
    size_t norm_len;
} AddedToken;

/* Added tokens of one kind (raw or normalized) bucketed by first byte,
 * longest first within a bucket: leftmost-longest matching. */
typedef struct AddedSet {
    int *order; /* indexes into Tokenizer.added */
    int n;
    int first[257]; /* bucket b is order[first[b] .. first[b+1]) */
    bool normalized;
} AddedSet;

struct Tokenizer {
    TpArena arena;
    char *name; /* tokenizer.json path, for messages */

    /* id -> piece (vocab or added content), NULL where unassigned */
    const char **pieces;
    uint32_t *piece_lens;
    unsigned char *flags; /* per id: TF_SPECIAL, TF_ADDED */
    int n_ids;
    TpStrMap vocab;     /* model vocab only (keys borrowed from the arena) */
    TpStrMap added_map; /* added token content -> id (keys borrowed) */
    TpU64Map merges;    /* (left id, right id) -> (rank, merged id): pairmap_put/get */

    /* BPE model options */
    int unk_id; /* -1 when no unk token */
    bool fuse_unk, byte_fallback, ignore_merges;
    const char *cont_prefix, *end_suffix;
    size_t cont_prefix_len, end_suffix_len;
    int byte_ids[256]; /* <0xNN> ids, -1 where absent */

    AddedToken *added;
    int n_added;
    AddedSet raw_set, norm_set;
    pcre2_code *word_re; /* ^\w-like test for single_word, or NULL */

    Normalizer *norms;
    int n_norms;
    PreTok *pres;
    int n_pres;
    Decoder *decs;
    int n_decs;
    bool has_decoder;

    pcre2_code *gpt2_re; /* ByteLevel's built-in split regex, when used */

    int bos_id, eos_id;
    bool add_bos, add_eos;
    const char *chat_template;
};

enum { TF_SPECIAL = 1, TF_ADDED = 2 };

/* Byte-level alphabet: byte -> code point, and code point -> byte (-1). */
extern const uint16_t tk_byte_to_cp[256];
int tk_cp_to_byte(uint32_t cp);

/* Applies the normalizers in order to s (n bytes of valid UTF-8), appending
 * the result to out. md: scratch match data for regex patterns. Fails only
 * when a regex hits PCRE2's match limit. */
TpStatus tk_normalize(const Tokenizer *t, const char *s, size_t n, TpBuf *out, pcre2_match_data *md,
                      TpError *err);

/* Finds the next non-empty match of pat in s[from..n) (valid UTF-8) into
 * [*ms, *me); false when none. A match-limit error sets *st. */
bool tk_pattern_find(const Pattern *pat, const char *s, size_t n, size_t from, pcre2_match_data *md,
                     size_t *ms, size_t *me, TpStatus *st);

/* --- loading (tokenizer.c; the pipeline's parts in tokenizer_pipeline.c) -- */

/* Reading context: the tokenizer being filled, the file's name for messages,
 * where errors go. */
typedef struct TokenizerReader {
    Tokenizer *t;
    const char *name;
    TpError *err;
} TokenizerReader;

/* "NAME: PATH: expected WHAT, got TYPE". */
TpStatus ld_bad(TokenizerReader *l, const char *path, const char *what, const cJSON *got);
/* Optional boolean (missing or null: def). */
TpStatus ld_bool(TokenizerReader *l, const cJSON *o, const char *path, const char *key, bool def,
                 bool *out);
/* String field copied to the tokenizer's arena; NULL when missing or null and
 * !required. Must be valid UTF-8 (it may be inserted into the text). */
TpStatus ld_str(TokenizerReader *l, const cJSON *o, const char *path, const char *key,
                bool required, const char **out, size_t *len);
/* Compiles a regex from a tokenizer file (\s widened by U+0085, as
 * Oniguruma's is); *out is the caller's to free. */
TpStatus ld_regex(TokenizerReader *l, const char *path, const char *src, pcre2_code **out);
/* o's "type" string, or NULL. */
const char *ld_type_of(const cJSON *o);
/* One normalizer, pre-tokenizer or decoder (a Sequence: each of its
 * elements), appended to l->t's pipeline. */
TpStatus ld_normalizer(TokenizerReader *l, const cJSON *o, const char *path, int depth);
TpStatus ld_pretok(TokenizerReader *l, const cJSON *o, const char *path, int depth);
TpStatus ld_decoder(TokenizerReader *l, const cJSON *o, const char *path, int depth);

#endif
