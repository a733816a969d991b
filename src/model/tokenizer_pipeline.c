/* tokenizer_pipeline.c - loading the parts of tokenizer.json's pipeline
 * around the model: normalizers, pre-tokenizers and decoders, with their
 * patterns and regexes (the model, added tokens and post-processor are read in
 * tokenizer.c). */
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/json.h"

static TpStatus ld_int(TokenizerReader *l, const cJSON *o, const char *path, const char *key,
                       long long min, long long max, long long def, long long *out) {
    bool present;
    *out = def;
    return tp_json_integer(o, key, l->name, path, false, min, max, out, &present, l->err);
}

/* Exactly one code point (Metaspace replacement, Strip content). */
static TpStatus ld_char(TokenizerReader *l, const cJSON *o, const char *path, const char *key,
                        uint32_t def, uint32_t *out) {
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
TpStatus ld_regex(TokenizerReader *l, const char *path, const char *src, pcre2_code **out) {
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
static TpStatus ld_pattern(TokenizerReader *l, const cJSON *o, const char *path, Pattern *pat) {
    char p[512];
    tp_json_path_key(p, sizeof p, path, "pattern");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    if (!cJSON_IsObject(v))
        return ld_bad(l, p, "an object {\"String\": ...} or {\"Regex\": ...}", v);
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

const char *ld_type_of(const cJSON *o) {
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
    return cJSON_IsString(ty) ? ty->valuestring : NULL;
}

static TpStatus need_type(TokenizerReader *l, const cJSON *o, const char *path, const char **ty) {
    if (!cJSON_IsObject(o))
        return ld_bad(l, path, "an object", o);
    *ty = ld_type_of(o);
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
typedef TpStatus (*LdEach)(TokenizerReader *l, const cJSON *o, const char *path, int depth);

static TpStatus ld_sequence(TokenizerReader *l, const cJSON *o, const char *path, const char *key,
                            int depth, LdEach each) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    char p[512];
    tp_json_path_key(p, sizeof p, path, key);
    if (!cJSON_IsArray(a))
        return ld_bad(l, p, "an array", a);
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

TpStatus ld_normalizer(TokenizerReader *l, const cJSON *o, const char *path, int depth) {
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

static TpStatus ld_prepend_scheme(TokenizerReader *l, const cJSON *o, const char *path,
                                  PrependScheme *out) {
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

TpStatus ld_pretok(TokenizerReader *l, const cJSON *o, const char *path, int depth) {
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

TpStatus ld_decoder(TokenizerReader *l, const cJSON *o, const char *path, int depth) {
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
