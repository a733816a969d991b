/* tokenizer.c - loading tokenizer.json (+ tokenizer_config.json): the model
 * (vocab, merges), added tokens, the post-processor and the config; and the
 * accessors. The normalizers, pre-tokenizers and decoders are read in
 * tokenizer_pipeline.c, encoding is in tokenizer_encode.c, decoding in
 * tokenizer_decode.c, the merge table, white space and the byte-level
 * alphabet in tokenizer_util.c. */
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/json.h"
#include "tunepilot/limits.h"

/* --- loading ---------------------------------------------------------------- */

TpStatus ld_bad(TokenizerReader *l, const char *path, const char *what, const cJSON *got) {
    return tp_error_set(l->err, TP_EINVAL, "%s: %s: expected %s, got %s", l->name, path, what,
                        tp_json_type_name(got));
}

/* Optional boolean (missing or null: def). */
TpStatus ld_bool(TokenizerReader *l, const cJSON *o, const char *path, const char *key, bool def,
                 bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = def;
    if (!v || cJSON_IsNull(v))
        return TP_OK;
    if (!cJSON_IsBool(v)) {
        char p[512];
        tp_json_path_key(p, sizeof p, path, key);
        return ld_bad(l, p, "a boolean", v);
    }
    *out = cJSON_IsTrue(v);
    return TP_OK;
}

/* String field copied to the arena; NULL when missing or null and !required.
 * Must be valid UTF-8 (it may be inserted into the text). */
TpStatus ld_str(TokenizerReader *l, const cJSON *o, const char *path, const char *key,
                bool required, const char **out, size_t *len) {
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
        return ld_bad(l, p, "a string", v);
    size_t n = strlen(v->valuestring);
    if (!tp_utf8_valid(v->valuestring, n))
        return tp_error_set(l->err, TP_EINVAL, "%s: %s: not valid UTF-8", l->name, p);
    *out = tp_arena_strdup(&l->t->arena, v->valuestring);
    if (len)
        *len = n;
    return TP_OK;
}

/* Records piece s for id (first one wins). */
static void set_piece(Tokenizer *t, int id, const char *s, size_t n) {
    if (!t->pieces[id]) {
        t->pieces[id] = s;
        t->piece_lens[id] = (uint32_t)n;
    }
}

static TpStatus ld_vocab(TokenizerReader *l, const cJSON *model, int *max_id) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    if (!cJSON_IsObject(v))
        return ld_bad(l, "$.model.vocab", "an object {token: id}", v);
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

static TpStatus ld_merges(TokenizerReader *l, const cJSON *model) {
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
        return ld_bad(l, "$.model.merges", "an array", m);
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
            st = ld_bad(l, p, "a string \"a b\" or a pair [\"a\", \"b\"]", c);
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

static TpStatus ld_model(TokenizerReader *l, const cJSON *root, int *max_id) {
    Tokenizer *t = l->t;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model))
        return ld_bad(l, "$.model", "an object", model);
    const char *ty = ld_type_of(model);
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

static TpStatus ld_added(TokenizerReader *l, const cJSON *root, int *max_id) {
    Tokenizer *t = l->t;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!a || cJSON_IsNull(a))
        return TP_OK;
    if (!cJSON_IsArray(a))
        return ld_bad(l, "$.added_tokens", "an array", a);
    int n = cJSON_GetArraySize(a);
    t->added = tp_xcalloc((size_t)n + 1, sizeof *t->added);
    int i = 0;
    for (const cJSON *c = a->child; c; c = c->next, i++) {
        char p[64];
        snprintf(p, sizeof p, "$.added_tokens[%d]", i);
        if (!cJSON_IsObject(c))
            return ld_bad(l, p, "an object", c);
        AddedToken *at = &t->added[t->n_added];
        long long id;
        bool present;
        TpStatus st = tp_json_integer(c, "id", l->name, p, true, 0, TP_MAX_TOKEN_ID - 1, &id,
                                      &present, l->err);
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
    const char *ty = cJSON_IsObject(pp) ? ld_type_of(pp) : NULL;
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

static TpStatus ld_config(TokenizerReader *l, const char *path) {
    Tokenizer *t = l->t;
    cJSON *cfg;
    TpStatus st = tp_json_parse_file(path, 64u << 20, &cfg, l->err);
    if (st != TP_OK)
        return st;
    TokenizerReader cl = {t, path, l->err};
    if (!cJSON_IsObject(cfg)) {
        st = ld_bad(&cl, "$", "an object", cfg);
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
    TokenizerReader l = {t, t->name, err};
    if (!cJSON_IsObject(root))
        return ld_bad(&l, "$", "an object", root);
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
        TokenizerReader wl = {t, t->name, NULL};
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
            TokenizerReader l = {t, t->name, err};
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
