/* tokenizer.c - loading tokenizer.json (+ tokenizer_config.json) and the
 * accessors. Encoding is in tokenizer_encode.c, decoding in
 * tokenizer_decode.c, the merge table, white space and the byte-level
 * alphabet in tokenizer_util.c. */
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/limits.h"
#include "tunepilot/json.h"


/* --- loading ---------------------------------------------------------------- */

/* Reading context. */
typedef struct Ld {
    Tokenizer *t;
    const char *name;
    TpError *err;
} Ld;

static TpStatus bad(Ld *l, const char *path, const char *what, const cJSON *got) {
    return tp_error_set(l->err, TP_EINVAL, "%s: %s: expected %s, got %s", l->name, path, what,
                        tp_json_type_name(got));
}

/* Optional boolean (missing or null: def). */
static TpStatus ld_bool(Ld *l, const cJSON *o, const char *path, const char *key, bool def,
                        bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = def;
    if (!v || cJSON_IsNull(v))
        return TP_OK;
    if (!cJSON_IsBool(v)) {
        char p[512];
        tp_json_path_key(p, sizeof p, path, key);
        return bad(l, p, "a boolean", v);
    }
    *out = cJSON_IsTrue(v);
    return TP_OK;
}

/* String field copied to the arena; NULL when missing or null and !required.
 * Must be valid UTF-8 (it may be inserted into the text). */
static TpStatus ld_str(Ld *l, const cJSON *o, const char *path, const char *key, bool required,
                       const char **out, size_t *len) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char p[512];
    tp_json_path_key(p, sizeof p, path, key);
    *out = NULL;
    if (len)
        *len = 0;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return tp_error_set(l->err, TP_EINVAL, "%s: %s: missing (expected a string)", l->name,
                                p);
        return TP_OK;
    }
    if (!cJSON_IsString(v))
        return bad(l, p, "a string", v);
    size_t n = strlen(v->valuestring);
    if (!tp_utf8_valid(v->valuestring, n))
        return tp_error_set(l->err, TP_EINVAL, "%s: %s: not valid UTF-8", l->name, p);
    *out = tp_arena_strdup(&l->t->arena, v->valuestring);
    if (len)
        *len = n;
    return TP_OK;
}

static TpStatus ld_int(Ld *l, const cJSON *o, const char *path, const char *key, long long min,
                       long long max, long long def, long long *out) {
    bool present;
    *out = def;
    return tp_json_integer(o, key, l->name, path, false, min, max, out, &present, l->err);
}

/* Exactly one code point (Metaspace replacement, Strip content). */
static TpStatus ld_char(Ld *l, const cJSON *o, const char *path, const char *key, uint32_t def,
                        uint32_t *out) {
    const char *s;
    size_t n;
    TpStatus st = ld_str(l, o, path, key, false, &s, &n);
    *out = def;
    if (st != TP_OK || !s)
        return st;
    uint32_t cp;
    size_t k = tp_utf8_next(s, n, &cp);
    if (!k || k != n)
        return tp_error_set(l->err, TP_EINVAL, "%s: %s.%s: expected a single character, got \"%s\"",
                            l->name, path, key, s);
    *out = cp;
    return TP_OK;
}

/* Compiles a regex from a tokenizer file. \s is widened by U+0085 (NEL),
 * which Oniguruma's \s matches and PCRE2's may not. */
static TpStatus ld_regex(Ld *l, const char *path, const char *src, pcre2_code **out) {
    TpBuf b;
    tp_buf_init(&b);
    bool in_class = false;
    size_t n = strlen(src);
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '\\' && i + 1 < n) {
            char x = src[i + 1];
            if (x == 's')
                tp_buf_puts(&b, in_class ? "\\s\\x{85}" : "[\\s\\x{85}]");
            else if (x == 'S' && !in_class)
                tp_buf_puts(&b, "[^\\s\\x{85}]");
            else
                tp_buf_append(&b, src + i, 2);
            i++;
            continue;
        }
        if (c == '[' && !in_class) {
            in_class = true;
            tp_buf_append(&b, "[", 1);
            if (i + 1 < n && src[i + 1] == '^')
                tp_buf_append(&b, src + ++i, 1);
            if (i + 1 < n && src[i + 1] == ']') /* a leading ] is literal */
                tp_buf_append(&b, src + ++i, 1);
            continue;
        }
        if (c == '[' && in_class && i + 1 < n && src[i + 1] == ':') { /* [:alpha:] */
            const char *end = strstr(src + i + 2, ":]");
            if (end) {
                size_t k = (size_t)(end - (src + i)) + 2;
                tp_buf_append(&b, src + i, k);
                i += k - 1;
                continue;
            }
        }
        if (c == ']' && in_class)
            in_class = false;
        tp_buf_append(&b, &c, 1);
    }
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(b.data ? b.data : ""), b.len, PCRE2_UTF | PCRE2_UCP,
                                   &code, &off, NULL);
    tp_buf_free(&b);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return tp_error_set(l->err, TP_EINVAL, "%s: %s: invalid regex \"%s\": %s", l->name, path,
                            src, (const char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    *out = re;
    return TP_OK;
}

/* {"String": "..."} or {"Regex": "..."} (Split, Replace). */
static TpStatus ld_pattern(Ld *l, const cJSON *o, const char *path, Pattern *pat) {
    char p[512];
    tp_json_path_key(p, sizeof p, path, "pattern");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    if (!cJSON_IsObject(v))
        return bad(l, p, "an object {\"String\": ...} or {\"Regex\": ...}", v);
    const char *s;
    size_t n;
    if (cJSON_GetObjectItemCaseSensitive(v, "String")) {
        TpStatus st = ld_str(l, v, p, "String", true, &s, &n);
        if (st != TP_OK)
            return st;
        pat->kind = PAT_STRING;
        pat->lit = s;
        pat->lit_len = n;
        return TP_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(v, "Regex")) {
        TpStatus st = ld_str(l, v, p, "Regex", true, &s, &n);
        if (st != TP_OK)
            return st;
        char rp[600];
        tp_json_path_key(rp, sizeof rp, p, "Regex");
        pat->kind = PAT_REGEX;
        return ld_regex(l, rp, s, &pat->re);
    }
    return tp_error_set(l->err, TP_EINVAL, "%s: %s: expected a \"String\" or \"Regex\" key",
                        l->name, p);
}

static const char *type_of(const cJSON *o) {
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
    return cJSON_IsString(ty) ? ty->valuestring : NULL;
}

static TpStatus need_type(Ld *l, const cJSON *o, const char *path, const char **ty) {
    if (!cJSON_IsObject(o))
        return bad(l, path, "an object", o);
    *ty = type_of(o);
    if (!*ty)
        return tp_error_set(l->err, TP_EINVAL, "%s: %s.type: missing (expected a string)", l->name,
                            path);
    return TP_OK;
}

static Normalizer *push_norm(Tokenizer *t) {
    t->norms = tp_xrealloc(t->norms, (size_t)(t->n_norms + 1) * sizeof *t->norms);
    Normalizer *n = &t->norms[t->n_norms++];
    memset(n, 0, sizeof *n);
    return n;
}

/* A "Sequence" component: loads each element of o[key] with `each`. */
typedef TpStatus (*LdEach)(Ld *l, const cJSON *o, const char *path, int depth);

static TpStatus ld_sequence(Ld *l, const cJSON *o, const char *path, const char *key, int depth,
                            LdEach each) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    char p[512];
    tp_json_path_key(p, sizeof p, path, key);
    if (!cJSON_IsArray(a))
        return bad(l, p, "an array", a);
    if (depth > 8)
        return tp_error_set(l->err, TP_EINVAL, "%s: %s: Sequence nested too deep", l->name, p);
    int i = 0;
    for (const cJSON *c = a->child; c; c = c->next, i++) {
        char q[600];
        tp_json_path_index(q, sizeof q, p, i);
        TpStatus st = each(l, c, q, depth + 1);
        if (st != TP_OK)
            return st;
    }
    return TP_OK;
}

static TpStatus ld_normalizer(Ld *l, const cJSON *o, const char *path, int depth) {
    const char *ty;
    TpStatus st = need_type(l, o, path, &ty);
    if (st != TP_OK)
        return st;
    if (!strcmp(ty, "Sequence"))
        return ld_sequence(l, o, path, "normalizers", depth, ld_normalizer);
    Normalizer *n = push_norm(l->t);
    if (!strcmp(ty, "Prepend")) {
        n->kind = NORM_PREPEND;
        return ld_str(l, o, path, "prepend", true, &n->str, &n->str_len);
    }
    if (!strcmp(ty, "Replace")) {
        n->kind = NORM_REPLACE;
        if ((st = ld_pattern(l, o, path, &n->pat)) != TP_OK)
            return st;
        return ld_str(l, o, path, "content", true, &n->str, &n->str_len);
    }
    static const struct {
        const char *name;
        NormKind kind;
    } SIMPLE[] = {{"NFC", NORM_NFC},
                  {"NFD", NORM_NFD},
                  {"NFKC", NORM_NFKC},
                  {"NFKD", NORM_NFKD},
                  {"Lowercase", NORM_LOWERCASE},
                  {"StripAccents", NORM_STRIP_ACCENTS}};
    for (size_t i = 0; i < sizeof SIMPLE / sizeof SIMPLE[0]; i++)
        if (!strcmp(ty, SIMPLE[i].name)) {
            n->kind = SIMPLE[i].kind;
            return TP_OK;
        }
    if (!strcmp(ty, "Strip")) {
        n->kind = NORM_STRIP;
        if ((st = ld_bool(l, o, path, "strip_left", true, &n->left)) != TP_OK)
            return st;
        return ld_bool(l, o, path, "strip_right", true, &n->right);
    }
    l->t->n_norms--;
    return tp_error_set(l->err, TP_EINVAL,
                        "%s: %s.type: unsupported normalizer \"%s\" (supported: Sequence, "
                        "Prepend, Replace, Strip, NFC, NFD, NFKC, NFKD, Lowercase, "
                        "StripAccents)",
                        l->name, path, ty);
}

static PreTok *push_pre(Tokenizer *t) {
    t->pres = tp_xrealloc(t->pres, (size_t)(t->n_pres + 1) * sizeof *t->pres);
    PreTok *p = &t->pres[t->n_pres++];
    memset(p, 0, sizeof *p);
    return p;
}

static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static TpStatus ld_prepend_scheme(Ld *l, const cJSON *o, const char *path, PrependScheme *out) {
    const char *s;
    TpStatus st = ld_str(l, o, path, "prepend_scheme", false, &s, NULL);
    if (st != TP_OK)
        return st;
    bool aps = true;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "add_prefix_space");
    if ((st = ld_bool(l, o, path, "add_prefix_space", true, &aps)) != TP_OK)
        return st;
    *out = PREPEND_ALWAYS;
    if (s) {
        if (!strcmp(s, "always"))
            *out = PREPEND_ALWAYS;
        else if (!strcmp(s, "first"))
            *out = PREPEND_FIRST;
        else if (!strcmp(s, "never"))
            *out = PREPEND_NEVER;
        else
            return tp_error_set(l->err, TP_EINVAL,
                                "%s: %s.prepend_scheme: expected \"always\", \"first\" or "
                                "\"never\", got \"%s\"",
                                l->name, path, s);
    }
    if (v && cJSON_IsBool(v) && !aps)
        *out = PREPEND_NEVER; /* legacy add_prefix_space: false */
    return TP_OK;
}

static TpStatus ld_pretok(Ld *l, const cJSON *o, const char *path, int depth) {
    const char *ty;
    TpStatus st = need_type(l, o, path, &ty);
    if (st != TP_OK)
        return st;
    Tokenizer *t = l->t;
    if (!strcmp(ty, "Sequence"))
        return ld_sequence(l, o, path, "pretokenizers", depth, ld_pretok);
    PreTok *p = push_pre(t);
    if (!strcmp(ty, "ByteLevel")) {
        p->kind = PRE_BYTELEVEL;
        if ((st = ld_bool(l, o, path, "add_prefix_space", true, &p->add_prefix_space)) != TP_OK)
            return st;
        if ((st = ld_bool(l, o, path, "use_regex", true, &p->use_regex)) != TP_OK)
            return st;
        if (p->use_regex && !t->gpt2_re)
            return ld_regex(l, path, GPT2_PATTERN, &t->gpt2_re);
        return TP_OK;
    }
    if (!strcmp(ty, "Split")) {
        p->kind = PRE_SPLIT;
        if ((st = ld_pattern(l, o, path, &p->pat)) != TP_OK)
            return st;
        if ((st = ld_bool(l, o, path, "invert", false, &p->invert)) != TP_OK)
            return st;
        const char *b;
        if ((st = ld_str(l, o, path, "behavior", true, &b, NULL)) != TP_OK)
            return st;
        static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                            "MergedWithNext", "Contiguous"};
        for (int i = 0; i < 5; i++)
            if (!strcmp(b, names[i])) {
                p->behavior = (SplitBehavior)i;
                return TP_OK;
            }
        return tp_error_set(l->err, TP_EINVAL,
                            "%s: %s.behavior: expected Removed, Isolated, MergedWithPrevious, "
                            "MergedWithNext or Contiguous, got \"%s\"",
                            l->name, path, b);
    }
    if (!strcmp(ty, "Digits")) {
        p->kind = PRE_DIGITS;
        p->pat.kind = PAT_REGEX; /* Rust's char::is_numeric: categories Nd, Nl, No */
        if ((st = ld_regex(l, path, "\\p{N}", &p->pat.re)) != TP_OK)
            return st;
        return ld_bool(l, o, path, "individual_digits", false, &p->individual);
    }
    if (!strcmp(ty, "Metaspace")) {
        p->kind = PRE_METASPACE;
        uint32_t cp;
        if ((st = ld_char(l, o, path, "replacement", 0x2581, &cp)) != TP_OK)
            return st;
        p->rep_len = tp_utf8_put(cp, p->rep);
        if ((st = ld_bool(l, o, path, "split", true, &p->split)) != TP_OK)
            return st;
        return ld_prepend_scheme(l, o, path, &p->prepend);
    }
    t->n_pres--;
    return tp_error_set(l->err, TP_EINVAL,
                        "%s: %s.type: unsupported pre-tokenizer \"%s\" (supported: Sequence, "
                        "ByteLevel, Split, Digits, Metaspace)",
                        l->name, path, ty);
}

static Decoder *push_dec(Tokenizer *t) {
    t->decs = tp_xrealloc(t->decs, (size_t)(t->n_decs + 1) * sizeof *t->decs);
    Decoder *d = &t->decs[t->n_decs++];
    memset(d, 0, sizeof *d);
    return d;
}

static TpStatus ld_decoder(Ld *l, const cJSON *o, const char *path, int depth) {
    const char *ty;
    TpStatus st = need_type(l, o, path, &ty);
    if (st != TP_OK)
        return st;
    Tokenizer *t = l->t;
    if (!strcmp(ty, "Sequence"))
        return ld_sequence(l, o, path, "decoders", depth, ld_decoder);
    Decoder *d = push_dec(t);
    if (!strcmp(ty, "ByteLevel")) {
        d->kind = DEC_BYTELEVEL;
        return TP_OK;
    }
    if (!strcmp(ty, "ByteFallback")) {
        d->kind = DEC_BYTEFALLBACK;
        return TP_OK;
    }
    if (!strcmp(ty, "Fuse")) {
        d->kind = DEC_FUSE;
        return TP_OK;
    }
    if (!strcmp(ty, "Replace")) {
        d->kind = DEC_REPLACE;
        if ((st = ld_pattern(l, o, path, &d->pat)) != TP_OK)
            return st;
        return ld_str(l, o, path, "content", true, &d->str, &d->str_len);
    }
    if (!strcmp(ty, "Strip")) {
        d->kind = DEC_STRIP;
        long long a, b;
        if ((st = ld_char(l, o, path, "content", ' ', &d->ch)) != TP_OK)
            return st;
        if ((st = ld_int(l, o, path, "start", 0, 1 << 20, 0, &a)) != TP_OK)
            return st;
        if ((st = ld_int(l, o, path, "stop", 0, 1 << 20, 0, &b)) != TP_OK)
            return st;
        d->start = (int)a;
        d->stop = (int)b;
        return TP_OK;
    }
    if (!strcmp(ty, "Metaspace")) {
        d->kind = DEC_METASPACE;
        if ((st = ld_char(l, o, path, "replacement", 0x2581, &d->ch)) != TP_OK)
            return st;
        return ld_prepend_scheme(l, o, path, &d->prepend);
    }
    t->n_decs--;
    return tp_error_set(l->err, TP_EINVAL,
                        "%s: %s.type: unsupported decoder \"%s\" (supported: Sequence, "
                        "ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace)",
                        l->name, path, ty);
}

/* Records piece s for id (first one wins). */
static void set_piece(Tokenizer *t, int id, const char *s, size_t n) {
    if (!t->pieces[id]) {
        t->pieces[id] = s;
        t->piece_lens[id] = (uint32_t)n;
    }
}

static TpStatus ld_vocab(Ld *l, const cJSON *model, int *max_id) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    if (!cJSON_IsObject(v))
        return bad(l, "$.model.vocab", "an object {token: id}", v);
    size_t count = 0;
    for (const cJSON *c = v->child; c; c = c->next)
        count++;
    tp_strmap_init(&l->t->vocab, count, true);
    for (const cJSON *c = v->child; c; c = c->next) {
        int d = -1;
        if (!cJSON_IsNumber(c) || !tp_json_to_int(c->valuedouble, 0, TP_MAX_TOKEN_ID - 1, &d))
            return tp_error_set(l->err, TP_EINVAL,
                                "%s: $.model.vocab[\"%.80s\"]: expected an integer id 0..%d, "
                                "got %s",
                                l->name, c->string ? c->string : "", TP_MAX_TOKEN_ID - 1,
                                cJSON_IsNumber(c) ? "an out-of-range number"
                                                  : tp_json_type_name(c));
        const char *key = tp_arena_strdup(&l->t->arena, c->string ? c->string : "");
        if (!tp_utf8_valid(key, strlen(key)))
            return tp_error_set(l->err, TP_EINVAL, "%s: $.model.vocab: a token is not valid UTF-8",
                                l->name);
        tp_strmap_put(&l->t->vocab, key, strlen(key), (int32_t)d);
        if ((int)d > *max_id)
            *max_id = (int)d;
    }
    /* two tokens with one id: decoding could not tell them apart */
    if (*max_id < 0)
        return TP_OK;
    unsigned char *seen = calloc((size_t)*max_id / 8 + 1, 1);
    if (!seen)
        return tp_error_set(l->err, TP_EINVAL, "%s: $.model.vocab: out of memory", l->name);
    TpStatus st = TP_OK;
    for (const cJSON *c = v->child; c && st == TP_OK; c = c->next) {
        int d = (int)c->valuedouble;
        if (d < 0 || d > *max_id)
            continue;
        if (seen[d / 8] & (1u << (d % 8)))
            st = tp_error_set(l->err, TP_EINVAL,
                              "%s: $.model.vocab[\"%.80s\"]: id %d is already another token's",
                              l->name, c->string ? c->string : "", d);
        seen[d / 8] |= (unsigned char)(1u << (d % 8));
    }
    free(seen);
    return st;
}

static TpStatus ld_merges(Ld *l, const cJSON *model) {
    Tokenizer *t = l->t;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (!m)
        return tp_error_set(l->err, TP_EINVAL,
                            "%s: $.model.merges: missing (a BPE tokenizer.json lists its merges; "
                            "write [] for a tokenizer that joins nothing)",
                            l->name);
    if (cJSON_IsNull(m)) {
        tp_u64map_init(&t->merges, 0);
        return TP_OK;
    }
    if (!cJSON_IsArray(m))
        return bad(l, "$.model.merges", "an array", m);
    size_t count = (size_t)cJSON_GetArraySize(m);
    tp_u64map_init(&t->merges, count);
    TpBuf join;
    tp_buf_init(&join);
    uint32_t rank = 0;
    TpStatus st = TP_OK;
    for (const cJSON *c = m->child; c && st == TP_OK; c = c->next, rank++) {
        const char *a, *b;
        size_t an, bn;
        if (cJSON_IsString(c)) {
            const char *sp = strchr(c->valuestring, ' ');
            if (!sp) {
                st = tp_error_set(l->err, TP_EINVAL,
                                  "%s: $.model.merges[%u]: expected \"left right\" with one "
                                  "space, got \"%.80s\"",
                                  l->name, rank, c->valuestring);
                break;
            }
            a = c->valuestring;
            an = (size_t)(sp - a);
            b = sp + 1;
            bn = strlen(b);
        } else if (cJSON_IsArray(c) && cJSON_GetArraySize(c) == 2 && cJSON_IsString(c->child) &&
                   cJSON_IsString(c->child->next)) {
            a = c->child->valuestring;
            an = strlen(a);
            b = c->child->next->valuestring;
            bn = strlen(b);
        } else {
            char p[64];
            snprintf(p, sizeof p, "$.model.merges[%u]", rank);
            st = bad(l, p, "a string \"a b\" or a pair [\"a\", \"b\"]", c);
            break;
        }
        int32_t ia = (int32_t)tp_strmap_get(&t->vocab, a, an, -1),
                ib = (int32_t)tp_strmap_get(&t->vocab, b, bn, -1);
        if (ia < 0 || ib < 0) {
            st = tp_error_set(l->err, TP_EINVAL,
                              "%s: $.model.merges[%u]: token \"%.*s\" is not in the vocab", l->name,
                              rank, (int)(ia < 0 ? an : bn), ia < 0 ? a : b);
            break;
        }
        size_t skip = t->cont_prefix_len <= bn ? t->cont_prefix_len : bn;
        join.len = 0;
        tp_buf_append(&join, a, an);
        tp_buf_append(&join, b + skip, bn - skip);
        int32_t im = (int32_t)tp_strmap_get(&t->vocab, join.data, join.len, -1);
        if (im < 0) {
            st = tp_error_set(l->err, TP_EINVAL,
                              "%s: $.model.merges[%u]: merged token \"%.*s\" is not in the vocab",
                              l->name, rank, (int)join.len, join.data);
            break;
        }
        pairmap_put(&t->merges, ia, ib, rank, im);
    }
    tp_buf_free(&join);
    return st;
}

static TpStatus ld_model(Ld *l, const cJSON *root, int *max_id) {
    Tokenizer *t = l->t;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model))
        return bad(l, "$.model", "an object", model);
    const char *ty = type_of(model);
    if (!ty && !cJSON_GetObjectItemCaseSensitive(model, "merges"))
        return tp_error_set(l->err, TP_EINVAL,
                            "%s: $.model.type: missing, and no merges (supported: BPE)", l->name);
    if (ty && strcmp(ty, "BPE") != 0)
        return tp_error_set(l->err, TP_EINVAL,
                            "%s: $.model.type: unsupported model \"%s\" (supported: BPE)", l->name,
                            ty);
    TpStatus st;
    if ((st = ld_bool(l, model, "$.model", "fuse_unk", false, &t->fuse_unk)) != TP_OK ||
        (st = ld_bool(l, model, "$.model", "byte_fallback", false, &t->byte_fallback)) != TP_OK ||
        (st = ld_bool(l, model, "$.model", "ignore_merges", false, &t->ignore_merges)) != TP_OK)
        return st;
    if ((st = ld_str(l, model, "$.model", "continuing_subword_prefix", false, &t->cont_prefix,
                     &t->cont_prefix_len)) != TP_OK ||
        (st = ld_str(l, model, "$.model", "end_of_word_suffix", false, &t->end_suffix,
                     &t->end_suffix_len)) != TP_OK)
        return st;
    if ((st = ld_vocab(l, model, max_id)) != TP_OK)
        return st;
    if ((st = ld_merges(l, model)) != TP_OK)
        return st;
    const char *unk;
    if ((st = ld_str(l, model, "$.model", "unk_token", false, &unk, NULL)) != TP_OK)
        return st;
    t->unk_id = -1;
    if (unk) {
        t->unk_id = (int32_t)tp_strmap_get(&t->vocab, unk, strlen(unk), -1);
        if (t->unk_id < 0)
            return tp_error_set(l->err, TP_EINVAL,
                                "%s: $.model.unk_token: \"%s\" is not in the vocab", l->name, unk);
    }
    for (int b = 0; b < 256; b++) {
        char k[8];
        snprintf(k, sizeof k, "<0x%02X>", b);
        t->byte_ids[b] = (int32_t)tp_strmap_get(&t->vocab, k, 6, -1);
    }
    return TP_OK;
}

static TpStatus ld_added(Ld *l, const cJSON *root, int *max_id) {
    Tokenizer *t = l->t;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!a || cJSON_IsNull(a))
        return TP_OK;
    if (!cJSON_IsArray(a))
        return bad(l, "$.added_tokens", "an array", a);
    int n = cJSON_GetArraySize(a);
    t->added = tp_xcalloc((size_t)n + 1, sizeof *t->added);
    int i = 0;
    for (const cJSON *c = a->child; c; c = c->next, i++) {
        char p[64];
        snprintf(p, sizeof p, "$.added_tokens[%d]", i);
        if (!cJSON_IsObject(c))
            return bad(l, p, "an object", c);
        AddedToken *at = &t->added[t->n_added];
        long long id;
        bool present;
        TpStatus st =
            tp_json_integer(c, "id", l->name, p, true, 0, TP_MAX_TOKEN_ID - 1, &id, &present, l->err);
        if (st == TP_OK)
            st = ld_str(l, c, p, "content", true, &at->content, &at->len);
        if (st == TP_OK)
            st = ld_bool(l, c, p, "special", false, &at->special);
        if (st == TP_OK)
            st = ld_bool(l, c, p, "single_word", false, &at->single_word);
        if (st == TP_OK)
            st = ld_bool(l, c, p, "lstrip", false, &at->lstrip);
        if (st == TP_OK)
            st = ld_bool(l, c, p, "rstrip", false, &at->rstrip);
        if (st == TP_OK)
            st = ld_bool(l, c, p, "normalized", !at->special, &at->normalized);
        if (st != TP_OK)
            return st;
        if (at->len == 0)
            continue; /* huggingface/tokenizers ignores empty added tokens */
        int32_t vid = (int32_t)tp_strmap_get(&t->vocab, at->content, at->len, -1);
        at->id = vid >= 0 ? vid : (int)id;
        if (at->id > *max_id)
            *max_id = at->id;
        t->n_added++;
    }
    return TP_OK;
}

/* Whole-string normalization of an added token's content at load time. */
static void normalize_added(Tokenizer *t) {
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (int i = 0; i < t->n_added; i++) {
        AddedToken *a = &t->added[i];
        a->norm = a->content;
        a->norm_len = a->len;
        if (!a->normalized || !t->n_norms)
            continue;
        TpBuf b;
        tp_buf_init(&b);
        if (tk_normalize(t, a->content, a->len, &b, md, NULL) == TP_OK && b.len) {
            char *s = tp_arena_alloc(&t->arena, b.len + 1);
            memcpy(s, b.data, b.len);
            a->norm = s;
            a->norm_len = b.len;
        }
        tp_buf_free(&b);
    }
    pcre2_match_data_free(md);
}

/* Sort key of an added token within a matching set. */
typedef struct SortItem {
    unsigned char first;
    size_t len;
    int idx;
} SortItem;

/* First byte, then longest first, then file order. */
static int cmp_added(const void *pa, const void *pb) {
    const SortItem *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->len != b->len)
        return a->len > b->len ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void build_set(Tokenizer *t, AddedSet *s, bool normalized) {
    s->normalized = normalized;
    s->order = tp_xcalloc((size_t)t->n_added + 1, sizeof *s->order);
    SortItem *items = tp_xcalloc((size_t)t->n_added + 1, sizeof *items);
    s->n = 0;
    for (int i = 0; i < t->n_added; i++) {
        const AddedToken *a = &t->added[i];
        const char *str = normalized ? a->norm : a->content;
        size_t len = normalized ? a->norm_len : a->len;
        if (a->normalized == normalized && len)
            items[s->n++] = (SortItem){(unsigned char)str[0], len, i};
    }
    qsort(items, (size_t)s->n, sizeof *items, cmp_added);
    int k = 0;
    for (int b = 0; b <= 256; b++) {
        while (k < s->n && items[k].first < b)
            k++;
        s->first[b] = k;
    }
    for (int i = 0; i < s->n; i++)
        s->order[i] = items[i].idx;
    free(items);
}

/* A special token's id by its content, -1 if none. */
static int special_id(const Tokenizer *t, const char *content) {
    for (int i = 0; i < t->n_added; i++)
        if (!strcmp(t->added[i].content, content))
            return t->added[i].id;
    return -1;
}

/* TemplateProcessing (possibly inside a Sequence): BOS/EOS from its
 * "single" template. */
static void ld_post(Tokenizer *t, const cJSON *pp, int depth) {
    const char *ty = cJSON_IsObject(pp) ? type_of(pp) : NULL;
    if (!ty || depth > 8)
        return;
    if (!strcmp(ty, "Sequence")) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(pp, "processors");
        if (cJSON_IsArray(a))
            for (const cJSON *c = a->child; c; c = c->next)
                ld_post(t, c, depth + 1);
        return;
    }
    if (strcmp(ty, "TemplateProcessing") != 0)
        return;
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(pp, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(pp, "special_tokens");
    if (!cJSON_IsArray(single) || !single->child)
        return;
    const cJSON *ends[2] = {single->child, NULL};
    for (const cJSON *c = single->child; c; c = c->next)
        ends[1] = c;
    for (int e = 0; e < 2; e++) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(ends[e], "SpecialToken");
        const cJSON *name = sp ? cJSON_GetObjectItemCaseSensitive(sp, "id") : NULL;
        if (!cJSON_IsString(name))
            continue;
        int id = -1;
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(specials, name->valuestring);
        const cJSON *ids = def ? cJSON_GetObjectItemCaseSensitive(def, "ids") : NULL;
        if (cJSON_IsArray(ids) && cJSON_IsNumber(ids->child) &&
            !tp_json_to_int(ids->child->valuedouble, 0, INT_MAX, &id))
            id = -1; /* 1e300, -1, 2.5: looked up by name below */
        if (id < 0 || id >= t->n_ids)
            id = tokenizer_token_id(t, name->valuestring);
        if (e == 0) {
            t->add_bos = true;
            if (id >= 0)
                t->bos_id = id;
        } else {
            t->add_eos = true;
            if (id >= 0)
                t->eos_id = id;
        }
    }
}

/* "bos_token": "<s>" or {"content": "<s>", ...}. */
static const char *config_token(const cJSON *cfg, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (cJSON_IsObject(v))
        v = cJSON_GetObjectItemCaseSensitive(v, "content");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static TpStatus ld_config(Ld *l, const char *path) {
    Tokenizer *t = l->t;
    cJSON *cfg;
    TpStatus st = tp_json_parse_file(path, 64u << 20, &cfg, l->err);
    if (st != TP_OK)
        return st;
    Ld cl = {t, path, l->err};
    if (!cJSON_IsObject(cfg)) {
        st = bad(&cl, "$", "an object", cfg);
        cJSON_Delete(cfg);
        return st;
    }
    const char *bos = config_token(cfg, "bos_token"), *eos = config_token(cfg, "eos_token");
    if (bos)
        t->bos_id = tokenizer_token_id(t, bos);
    if (eos)
        t->eos_id = tokenizer_token_id(t, eos);
    if (cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(cfg, "add_bos_token")))
        st = ld_bool(&cl, cfg, "$", "add_bos_token", false, &t->add_bos);
    if (st == TP_OK && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(cfg, "add_eos_token")))
        st = ld_bool(&cl, cfg, "$", "add_eos_token", false, &t->add_eos);
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cfg, "chat_template");
    if (cJSON_IsString(ct)) {
        t->chat_template = tp_arena_strdup(&t->arena, ct->valuestring);
    } else if (cJSON_IsArray(ct)) { /* [{"name": "default", "template": ...}, ...] */
        for (const cJSON *c = ct->child; c; c = c->next) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(c, "name");
            const cJSON *tp = cJSON_GetObjectItemCaseSensitive(c, "template");
            if (cJSON_IsString(tp) &&
                (!t->chat_template || (cJSON_IsString(nm) && !strcmp(nm->valuestring, "default"))))
                t->chat_template = tp_arena_strdup(&t->arena, tp->valuestring);
        }
    }
    cJSON_Delete(cfg);
    return st;
}

static void guess_bos_eos(Tokenizer *t) {
    static const char *const bos[] = {"<s>", "<|begin_of_text|>", "<bos>", "<|endoftext|>"};
    static const char *const eos[] = {"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"};
    for (int i = 0; i < 4 && t->bos_id < 0; i++)
        t->bos_id = special_id(t, bos[i]);
    for (int i = 0; i < 4 && t->eos_id < 0; i++)
        t->eos_id = special_id(t, eos[i]);
}

static TpStatus load_json(Tokenizer *t, const cJSON *root, TpError *err) {
    Ld l = {t, t->name, err};
    if (!cJSON_IsObject(root))
        return bad(&l, "$", "an object", root);
    int max_id = -1;
    TpStatus st = ld_model(&l, root, &max_id);
    if (st == TP_OK)
        st = ld_added(&l, root, &max_id);
    if (st != TP_OK)
        return st;
    t->n_ids = max_id + 1;
    t->pieces = tp_xcalloc((size_t)t->n_ids + 1, sizeof *t->pieces);
    t->piece_lens = tp_xcalloc((size_t)t->n_ids + 1, sizeof *t->piece_lens);
    t->flags = tp_xcalloc((size_t)t->n_ids + 1, 1);
    tp_strmap_init(&t->added_map, (size_t)t->n_added, true);
    for (int i = 0; i < t->n_added; i++) {
        AddedToken *a = &t->added[i];
        t->flags[a->id] |= TF_ADDED | (a->special ? TF_SPECIAL : 0);
        set_piece(t, a->id, a->content, a->len);
        tp_strmap_put(&t->added_map, a->content, a->len, a->id);
    }
    for (size_t i = 0; i < t->vocab.cap; i++)
        if (t->vocab.keys[i])
            set_piece(t, t->vocab.vals[i], t->vocab.keys[i], t->vocab.lens[i]);

    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (n && !cJSON_IsNull(n) && (st = ld_normalizer(&l, n, "$.normalizer", 0)) != TP_OK)
        return st;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    if (p && !cJSON_IsNull(p) && (st = ld_pretok(&l, p, "$.pre_tokenizer", 0)) != TP_OK)
        return st;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "decoder");
    t->has_decoder = d && !cJSON_IsNull(d);
    if (t->has_decoder && (st = ld_decoder(&l, d, "$.decoder", 0)) != TP_OK)
        return st;

    normalize_added(t);
    build_set(t, &t->raw_set, false);
    build_set(t, &t->norm_set, true);
    bool single = false;
    for (int i = 0; i < t->n_added; i++)
        single |= t->added[i].single_word;
    if (single) {
        Ld wl = {t, t->name, NULL};
        ld_regex(&wl, "", "^[\\p{L}\\p{Nl}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]", &t->word_re);
    }
    ld_post(t, cJSON_GetObjectItemCaseSensitive(root, "post_processor"), 0);
    return TP_OK;
}

TpStatus tokenizer_load(const char *path, Tokenizer **out, TpError *err) {
    *out = NULL;
    if (!path || !*path)
        return tp_error_set(err, TP_EINVAL, "tokenizer: empty path");
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    Tokenizer *t = tp_xcalloc(1, sizeof *t);
    tp_arena_init(&t->arena);
    t->bos_id = t->eos_id = t->unk_id = -1;
    TpBuf name;
    tp_buf_init(&name);
    tp_buf_puts(&name, path);
    if (dir)
        tp_buf_puts(&name, name.len && name.data[name.len - 1] == '/' ? "" : "/");
    char *dirpath = dir ? tp_xstrdup(name.data) : NULL;
    if (dir)
        tp_buf_puts(&name, "tokenizer.json");
    t->name = tp_arena_strdup(&t->arena, name.data);
    tp_buf_free(&name);

    cJSON *root = NULL;
    TpStatus st = tp_json_parse_file(t->name, TP_MAX_TOKENIZER_BYTES, &root, err);
    if (st == TP_OK)
        st = load_json(t, root, err);
    cJSON_Delete(root);
    if (st == TP_OK && dir) {
        TpBuf cp;
        tp_buf_init(&cp);
        tp_buf_printf(&cp, "%stokenizer_config.json", dirpath);
        if (stat(cp.data, &sb) == 0) {
            Ld l = {t, t->name, err};
            st = ld_config(&l, cp.data);
        }
        tp_buf_free(&cp);
    }
    free(dirpath);
    if (st != TP_OK) {
        tokenizer_free(t);
        return st;
    }
    guess_bos_eos(t);
    *out = t;
    return TP_OK;
}

TpStatus tokenizer_load_json(const char *json, size_t len, const char *name, Tokenizer **out,
                             TpError *err) {
    *out = NULL;
    Tokenizer *t = tp_xcalloc(1, sizeof *t);
    tp_arena_init(&t->arena);
    t->bos_id = t->eos_id = t->unk_id = -1;
    t->name = tp_arena_strdup(&t->arena, name && *name ? name : "tokenizer.json");
    cJSON *root = NULL;
    TpStatus st = tp_json_parse(json, len, t->name, &root, err);
    if (st == TP_OK)
        st = load_json(t, root, err);
    cJSON_Delete(root);
    if (st != TP_OK) {
        tokenizer_free(t);
        return st;
    }
    guess_bos_eos(t);
    *out = t;
    return TP_OK;
}

static void pattern_free(Pattern *p) {
    if (p->re)
        pcre2_code_free(p->re);
}

void tokenizer_free(Tokenizer *t) {
    if (!t)
        return;
    tp_strmap_free(&t->vocab);
    tp_strmap_free(&t->added_map);
    tp_u64map_free(&t->merges);
    free(t->pieces);
    free(t->piece_lens);
    free(t->flags);
    free(t->added);
    free(t->raw_set.order);
    free(t->norm_set.order);
    for (int i = 0; i < t->n_norms; i++)
        pattern_free(&t->norms[i].pat);
    for (int i = 0; i < t->n_pres; i++)
        pattern_free(&t->pres[i].pat);
    for (int i = 0; i < t->n_decs; i++)
        pattern_free(&t->decs[i].pat);
    free(t->norms);
    free(t->pres);
    free(t->decs);
    if (t->word_re)
        pcre2_code_free(t->word_re);
    if (t->gpt2_re)
        pcre2_code_free(t->gpt2_re);
    tp_arena_free(&t->arena);
    free(t);
}

/* --- accessors -------------------------------------------------------------- */

int tokenizer_vocab_size(const Tokenizer *t) {
    return t->n_ids;
}
int tokenizer_bos_id(const Tokenizer *t) {
    return t->bos_id;
}
int tokenizer_eos_id(const Tokenizer *t) {
    return t->eos_id;
}
bool tokenizer_adds_bos(const Tokenizer *t) {
    return t->add_bos;
}
bool tokenizer_adds_eos(const Tokenizer *t) {
    return t->add_eos;
}
const char *tokenizer_chat_template(const Tokenizer *t) {
    return t->chat_template;
}

const char *tokenizer_piece(const Tokenizer *t, int id) {
    return id >= 0 && id < t->n_ids ? t->pieces[id] : NULL;
}

int tokenizer_token_id(const Tokenizer *t, const char *piece) {
    if (!piece)
        return -1;
    size_t n = strlen(piece);
    int32_t id = (int32_t)tp_strmap_get(&t->added_map, piece, n, -1);
    return id >= 0 ? id : (int32_t)tp_strmap_get(&t->vocab, piece, n, -1);
}

bool tokenizer_is_special(const Tokenizer *t, int id) {
    return id >= 0 && id < t->n_ids && (t->flags[id] & TF_SPECIAL);
}
