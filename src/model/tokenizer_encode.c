/* tokenizer_encode.c - text to ids, in huggingface/tokenizers' order: added
 * tokens split off the raw text, normalizers (then normalized added tokens),
 * pre-tokenizers, and the BPE merge loop on each pre-token. */
#include "tokenizer_impl.h"

#include <utf8proc.h>

#include <stdlib.h>
#include <string.h>

/* A stretch of the current text buffer, or an added token already final. */
typedef struct Piece {
    size_t off, len;
    int id;      /* >= 0: an added token */
    bool origin; /* starts at offset 0 of the original text */
} Piece;

typedef struct Pieces {
    Piece *v;
    size_t n, cap;
} Pieces;

typedef struct Seg {
    size_t s, e;
    bool m; /* a pattern match */
} Seg;

typedef struct Segs {
    Seg *v;
    size_t n, cap;
} Segs;

typedef struct Sym {
    int32_t id, prev, next;
    uint32_t len; /* 0: merged into its left neighbour */
} Sym;

typedef struct HeapItem {
    uint32_t rank, pos;
    int32_t merged;
} HeapItem;

/* Per-call state: nothing here is shared between threads. */
typedef struct Enc {
    const Tokenizer *t;
    pcre2_match_data *md;
    TpStatus st;
    Segs segs;
    Sym *syms;
    size_t syms_cap;
    HeapItem *heap;
    size_t heap_n, heap_cap;
    int *ids;
    size_t n_ids, ids_cap;
    TpBuf tmp, key;
} Enc;

static void pieces_push(Pieces *p, size_t off, size_t len, int id, bool origin) {
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = tp_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (Piece){off, len, id, origin};
}

static void segs_push(Segs *g, size_t s, size_t e, bool m) {
    if (s >= e)
        return;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->v = tp_xrealloc(g->v, g->cap * sizeof *g->v);
    }
    g->v[g->n++] = (Seg){s, e, m};
}

static void ids_push(Enc *e, int id) {
    if (e->n_ids == e->ids_cap) {
        e->ids_cap = e->ids_cap ? e->ids_cap * 2 : 256;
        e->ids = tp_xrealloc(e->ids, e->ids_cap * sizeof *e->ids);
    }
    e->ids[e->n_ids++] = id;
}

/* Appends a (possibly empty) buffer's bytes and guarantees data != NULL. */
static void buf_add(TpBuf *b, const char *s, size_t n) {
    tp_buf_append(b, n ? s : "", n);
}

/* --- patterns --------------------------------------------------------------- */

bool tk_pattern_find(const Pattern *pat, const char *s, size_t n, size_t from, pcre2_match_data *md,
                     size_t *ms, size_t *me, TpStatus *st) {
    if (pat->kind == PAT_STRING) {
        if (!pat->lit_len || from >= n)
            return false;
        size_t m = pat->lit_len;
        for (size_t i = from; i + m <= n; i++) {
            const char *hit = memchr(s + i, pat->lit[0], n - m + 1 - i);
            if (!hit)
                return false;
            i = (size_t)(hit - s);
            if (!memcmp(hit, pat->lit, m)) {
                *ms = i;
                *me = i + m;
                return true;
            }
        }
        return false;
    }
    while (from <= n) {
        int rc = pcre2_match(pat->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* the interpreter keeps its state on the heap */
            rc = pcre2_match(pat->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md,
                             NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            return false;
        if (rc < 0) {
            *st = TP_EINVAL;
            return false;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] > ov[0]) {
            *ms = ov[0];
            *me = ov[1];
            return true;
        }
        /* empty match: retry one character further */
        size_t at = ov[0] > from ? ov[0] : from;
        if (at >= n)
            return false;
        uint32_t cp;
        size_t k = tp_utf8_next(s + at, n - at, &cp);
        from = at + (k ? k : 1);
    }
    return false;
}

/* Match / non-match segments covering s[0..n). */
static void find_segs(Enc *e, const Pattern *pat, const char *s, size_t n, bool invert) {
    Segs *g = &e->segs;
    g->n = 0;
    size_t pos = 0, ms, me;
    while (pos < n && tk_pattern_find(pat, s, n, pos, e->md, &ms, &me, &e->st)) {
        segs_push(g, pos, ms, invert);
        segs_push(g, ms, me, !invert);
        pos = me;
    }
    segs_push(g, pos, n, invert);
}

/* Applies a split behavior to e->segs in place (pre_tokenizer.rs). Pieces to
 * drop (Removed matches) are left with m = true; kept ones get m = false. */
static void apply_behavior(Enc *e, SplitBehavior b) {
    Segs *g = &e->segs;
    size_t k = 0;
    bool prev = false;
    switch (b) {
    case SPLIT_REMOVED:
        return; /* matches are dropped by the caller */
    case SPLIT_ISOLATED:
        for (size_t i = 0; i < g->n; i++)
            g->v[i].m = false;
        return;
    case SPLIT_CONTIGUOUS:
        for (size_t i = 0; i < g->n; i++) {
            bool m = g->v[i].m;
            if (m == prev && k)
                g->v[k - 1].e = g->v[i].e;
            else
                g->v[k++] = (Seg){g->v[i].s, g->v[i].e, false};
            prev = m;
        }
        break;
    case SPLIT_MERGED_PREV:
        for (size_t i = 0; i < g->n; i++) {
            bool m = g->v[i].m;
            if (m && !prev && k)
                g->v[k - 1].e = g->v[i].e;
            else
                g->v[k++] = (Seg){g->v[i].s, g->v[i].e, false};
            prev = m;
        }
        break;
    case SPLIT_MERGED_NEXT: {
        /* right to left, then the kept pieces are written back in order */
        size_t w = g->n;
        for (size_t i = g->n; i-- > 0;) {
            bool m = g->v[i].m;
            if (m && !prev && w < g->n)
                g->v[w].s = g->v[i].s;
            else
                g->v[--w] = (Seg){g->v[i].s, g->v[i].e, false};
            prev = m;
        }
        memmove(g->v, g->v + w, (g->n - w) * sizeof *g->v);
        k = g->n - w;
        break;
    }
    }
    g->n = k;
}

/* --- normalizers ------------------------------------------------------------ */

/* Unicode normalization form of s (valid UTF-8) by utf8proc, appended to out.
 * huggingface/tokenizers does the same with the unicode-normalization-
 * alignments crate (normalizer.rs nfc/nfd/nfkc/nfkd). */
static void norm_unicode(NormKind kind, const char *s, size_t n, TpBuf *out) {
    int opt = UTF8PROC_STABLE;
    if (kind == NORM_NFC || kind == NORM_NFKC)
        opt |= UTF8PROC_COMPOSE;
    else
        opt |= UTF8PROC_DECOMPOSE;
    if (kind == NORM_NFKC || kind == NORM_NFKD)
        opt |= UTF8PROC_COMPAT;
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t m =
        n ? utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst, opt) : 0;
    if (m >= 0 && (dst || !n))
        buf_add(out, (const char *)dst, (size_t)m);
    else /* only on allocation failure: s is valid UTF-8 */
        buf_add(out, s, n);
    free(dst);
}

/* Rust's char::to_lowercase per character, as normalizer.rs lowercase()
 * does (no context: a final capital sigma becomes U+03C3): utf8proc's simple
 * lowercase mapping, plus the one unconditional multi-character mapping of
 * SpecialCasing.txt, U+0130 -> U+0069 U+0307. */
static void norm_lowercase(const char *s, size_t n, TpBuf *out) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tp_utf8_next(s + i, n - i, &cp);
        if (!k) { /* not reached on valid UTF-8 */
            buf_add(out, s + i, 1);
            i++;
            continue;
        }
        char enc[4];
        if (cp == 0x130) {
            buf_add(out, "i\xCC\x87", 3);
        } else {
            utf8proc_int32_t lo = utf8proc_tolower((utf8proc_int32_t)cp);
            buf_add(out, enc, tp_utf8_put((uint32_t)lo, enc));
        }
        i += k;
    }
}

/* Drops combining marks (General_Category Mn, Mc, Me), as normalizer.rs
 * StripAccents does with is_combining_mark. */
static void norm_strip_accents(const char *s, size_t n, TpBuf *out) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tp_utf8_next(s + i, n - i, &cp);
        if (!k)
            k = 1;
        else {
            utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
            if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
                c == UTF8PROC_CATEGORY_ME) {
                i += k;
                continue;
            }
        }
        buf_add(out, s + i, k);
        i += k;
    }
}

static void norm_one(const Normalizer *nm, const TpBuf *in, TpBuf *out, pcre2_match_data *md,
                     TpStatus *st) {
    const char *s = in->data;
    size_t n = in->len;
    switch (nm->kind) {
    case NORM_PREPEND:
        if (n)
            buf_add(out, nm->str, nm->str_len);
        buf_add(out, s, n);
        return;
    case NORM_REPLACE: {
        size_t pos = 0, ms, me;
        while (pos < n && tk_pattern_find(&nm->pat, s, n, pos, md, &ms, &me, st)) {
            buf_add(out, s + pos, ms - pos);
            buf_add(out, nm->str, nm->str_len);
            pos = me;
        }
        buf_add(out, s + pos, n - pos);
        return;
    }
    case NORM_STRIP: {
        size_t a = 0, b = n;
        uint32_t cp;
        while (nm->left && a < b) {
            size_t k = tp_utf8_next(s + a, b - a, &cp);
            if (!k || !uni_is_space(cp))
                break;
            a += k;
        }
        while (nm->right && b > a) {
            size_t j = b - 1;
            while (j > a && tp_utf8_is_cont((unsigned char)s[j]))
                j--;
            size_t k = tp_utf8_next(s + j, b - j, &cp);
            if (!k || !uni_is_space(cp))
                break;
            b = j;
        }
        buf_add(out, s + a, b - a);
        return;
    }
    case NORM_NFC:
    case NORM_NFD:
    case NORM_NFKC:
    case NORM_NFKD:
        norm_unicode(nm->kind, s, n, out);
        return;
    case NORM_LOWERCASE:
        norm_lowercase(s, n, out);
        return;
    case NORM_STRIP_ACCENTS:
        norm_strip_accents(s, n, out);
        return;
    }
    buf_add(out, s, n);
}

TpStatus tk_normalize(const Tokenizer *t, const char *s, size_t n, TpBuf *out, pcre2_match_data *md,
                      TpError *err) {
    TpBuf a, b;
    tp_buf_init(&a);
    tp_buf_init(&b);
    buf_add(&a, s, n);
    TpStatus st = TP_OK;
    for (int i = 0; i < t->n_norms && st == TP_OK; i++) {
        b.len = 0;
        norm_one(&t->norms[i], &a, &b, md, &st);
        TpBuf x = a;
        a = b;
        b = x;
    }
    buf_add(out, a.data, a.len);
    tp_buf_free(&a);
    tp_buf_free(&b);
    if (st != TP_OK)
        return tp_error_set(err, st, "%s: $.normalizer: regex match failed (match limit)", t->name);
    return TP_OK;
}

/* --- added tokens ----------------------------------------------------------- */

static bool is_word_char(const Tokenizer *t, const char *s, size_t n, pcre2_match_data *md) {
    if (!t->word_re || !n)
        return false;
    return pcre2_match(t->word_re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, md, NULL) > 0;
}

/* Start of the last character of s[0..n). */
static size_t last_char(const char *s, size_t n) {
    size_t j = n - 1;
    while (j > 0 && tp_utf8_is_cont((unsigned char)s[j]))
        j--;
    return j;
}

/* Splits s[0..n) on the tokens of set (leftmost-longest, non-overlapping,
 * as added_vocabulary.rs find_matches), appending pieces at base + offset. */
static void split_added(Enc *e, const AddedSet *set, const char *s, size_t n, size_t base,
                        bool origin, Pieces *out) {
    const Tokenizer *t = e->t;
    size_t pos = 0, start_off = 0;
    while (set->n && pos < n) {
        unsigned char c = (unsigned char)s[pos];
        const AddedToken *hit = NULL;
        for (int k = set->first[c]; k < set->first[c + 1]; k++) {
            const AddedToken *a = &t->added[set->order[k]];
            const char *str = set->normalized ? a->norm : a->content;
            size_t len = set->normalized ? a->norm_len : a->len;
            if (len <= n - pos && memcmp(s + pos, str, len) == 0) {
                hit = a;
                break;
            }
        }
        if (!hit) {
            pos++;
            continue;
        }
        size_t ms = pos, me = pos + (set->normalized ? hit->norm_len : hit->len);
        pos = me;
        if (hit->single_word) {
            bool word_before =
                ms > 0 && is_word_char(t, s + last_char(s, ms), ms - last_char(s, ms), e->md);
            bool word_after = me < n && is_word_char(t, s + me, n - me, e->md);
            if (word_before || word_after)
                continue;
        }
        uint32_t cp;
        if (hit->lstrip) {
            size_t a = ms;
            while (a > 0) {
                size_t j = last_char(s, a);
                if (!tp_utf8_next(s + j, a - j, &cp) || !uni_is_space(cp))
                    break;
                a = j;
            }
            ms = a > start_off ? a : start_off;
        }
        if (hit->rstrip) {
            size_t k;
            while (me < n && (k = tp_utf8_next(s + me, n - me, &cp)) && uni_is_space(cp))
                me += k;
            if (pos < me)
                pos = me;
        }
        if (start_off < ms)
            pieces_push(out, base + start_off, ms - start_off, -1, origin && start_off == 0);
        pieces_push(out, 0, 0, hit->id, false);
        start_off = me;
    }
    if (start_off < n)
        pieces_push(out, base + start_off, n - start_off, -1, origin && start_off == 0);
}

/* --- pre-tokenizers --------------------------------------------------------- */

static void put_bytelevel(TpBuf *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char u[4];
        size_t k = tp_utf8_put(tk_byte_to_cp[(unsigned char)s[i]], u);
        tp_buf_append(out, u, k);
    }
}

/* Copies the kept segments of w as pieces into out. */
static void emit_segs(Enc *e, const char *w, bool origin, bool bytelevel, TpBuf *out,
                      Pieces *pout) {
    for (size_t i = 0; i < e->segs.n; i++) {
        const Seg *g = &e->segs.v[i];
        if (g->m)
            continue; /* removed */
        size_t start = out->len;
        if (bytelevel)
            put_bytelevel(out, w + g->s, g->e - g->s);
        else
            buf_add(out, w + g->s, g->e - g->s);
        pieces_push(pout, start, out->len - start, -1, origin && g->s == 0);
    }
}

static void one_seg(Enc *e, size_t n) {
    e->segs.n = 0;
    segs_push(&e->segs, 0, n, false);
}

static void pre_piece(Enc *e, const PreTok *pt, const char *s, size_t n, bool origin, TpBuf *out,
                      Pieces *pout) {
    const Tokenizer *t = e->t;
    TpBuf *w = &e->tmp;
    w->len = 0;
    switch (pt->kind) {
    case PRE_BYTELEVEL:
        if (pt->add_prefix_space && s[0] != ' ')
            buf_add(w, " ", 1);
        buf_add(w, s, n);
        if (pt->use_regex) {
            Pattern p = {PAT_REGEX, NULL, 0, t->gpt2_re};
            find_segs(e, &p, w->data, w->len, false);
            apply_behavior(e, SPLIT_ISOLATED);
        } else {
            one_seg(e, w->len);
        }
        emit_segs(e, w->data, origin, true, out, pout);
        return;
    case PRE_SPLIT:
        find_segs(e, &pt->pat, s, n, pt->invert);
        apply_behavior(e, pt->behavior);
        emit_segs(e, s, origin, false, out, pout);
        return;
    case PRE_DIGITS:
        find_segs(e, &pt->pat, s, n, false);
        apply_behavior(e, pt->individual ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS);
        emit_segs(e, s, origin, false, out, pout);
        return;
    case PRE_METASPACE: {
        /* spaces are replaced first, so a leading space counts as a replacement */
        bool starts = s[0] == ' ' || (n >= pt->rep_len && memcmp(s, pt->rep, pt->rep_len) == 0);
        if (!starts && (pt->prepend == PREPEND_ALWAYS || (pt->prepend == PREPEND_FIRST && origin)))
            buf_add(w, pt->rep, pt->rep_len);
        for (size_t i = 0; i < n; i++) {
            if (s[i] == ' ')
                buf_add(w, pt->rep, pt->rep_len);
            else
                buf_add(w, s + i, 1);
        }
        if (pt->split) {
            Pattern p = {PAT_STRING, pt->rep, pt->rep_len, NULL};
            find_segs(e, &p, w->data, w->len, false);
            apply_behavior(e, SPLIT_MERGED_NEXT);
        } else {
            one_seg(e, w->len);
        }
        emit_segs(e, w->data, origin, false, out, pout);
        return;
    }
    }
}

/* --- BPE -------------------------------------------------------------------- */

static bool heap_less(const HeapItem *a, const HeapItem *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(Enc *e, uint32_t rank, uint32_t pos, int32_t merged) {
    if (e->heap_n == e->heap_cap) {
        e->heap_cap = e->heap_cap ? e->heap_cap * 2 : 64;
        e->heap = tp_xrealloc(e->heap, e->heap_cap * sizeof *e->heap);
    }
    size_t i = e->heap_n++;
    HeapItem it = {rank, pos, merged};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&it, &e->heap[p]))
            break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = it;
}

static HeapItem heap_pop(Enc *e) {
    HeapItem top = e->heap[0], last = e->heap[--e->heap_n];
    size_t i = 0, n = e->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&e->heap[c + 1], &e->heap[c]))
            c++;
        if (!heap_less(&e->heap[c], &last))
            break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n)
        e->heap[i] = last;
    return top;
}

static void add_sym(Enc *e, size_t *n, int32_t id, size_t len) {
    if (*n == e->syms_cap) {
        e->syms_cap = e->syms_cap ? e->syms_cap * 2 : 64;
        e->syms = tp_xrealloc(e->syms, e->syms_cap * sizeof *e->syms);
    }
    Sym *s = &e->syms[*n];
    s->id = id;
    s->len = (uint32_t)len;
    s->prev = (int32_t)*n - 1;
    s->next = -1;
    if (*n)
        e->syms[*n - 1].next = (int32_t)*n;
    (*n)++;
}

/* The merge loop of models/bpe/word.rs merge_all (no dropout). */
static void merge_all(Enc *e, size_t n) {
    const TpU64Map *pm = &e->t->merges;
    Sym *y = e->syms;
    uint32_t rank;
    int32_t merged;
    e->heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (pairmap_get(pm, y[i].id, y[i + 1].id, &rank, &merged))
            heap_push(e, rank, (uint32_t)i, merged);
    while (e->heap_n) {
        HeapItem top = heap_pop(e);
        Sym *cur = &y[top.pos];
        if (!cur->len || cur->next < 0)
            continue;
        Sym right = y[cur->next];
        if (!pairmap_get(pm, cur->id, right.id, &rank, &merged) || merged != top.merged)
            continue;
        y[cur->next].len = 0;
        cur->id = top.merged;
        cur->len += right.len;
        cur->next = right.next;
        if (right.next >= 0)
            y[right.next].prev = (int32_t)top.pos;
        if (cur->prev >= 0 && pairmap_get(pm, y[cur->prev].id, cur->id, &rank, &merged))
            heap_push(e, rank, (uint32_t)cur->prev, merged);
        if (cur->next >= 0 && pairmap_get(pm, cur->id, y[cur->next].id, &rank, &merged))
            heap_push(e, rank, top.pos, merged);
    }
}

/* models/bpe/model.rs merge_word + tokenize, for one pre-token. */
static void bpe_word(Enc *e, const char *w, size_t n) {
    const Tokenizer *t = e->t;
    if (t->ignore_merges) {
        int32_t id = (int32_t)tp_strmap_get(&t->vocab, w, n, -1);
        if (id >= 0) {
            ids_push(e, id);
            return;
        }
    }
    size_t ns = 0, unk_len = 0;
    int32_t unk = -1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tp_utf8_next(w + i, n - i, &cp);
        if (!k)
            k = 1;
        const char *key = w + i;
        size_t key_len = k;
        bool first = i == 0, last = i + k == n;
        if ((!first && t->cont_prefix_len) || (last && t->end_suffix_len)) {
            e->key.len = 0;
            if (!first)
                buf_add(&e->key, t->cont_prefix, t->cont_prefix_len);
            buf_add(&e->key, w + i, k);
            if (last)
                buf_add(&e->key, t->end_suffix, t->end_suffix_len);
            key = e->key.data;
            key_len = e->key.len;
        }
        int32_t id = (int32_t)tp_strmap_get(&t->vocab, key, key_len, -1);
        if (id >= 0) {
            if (unk >= 0)
                add_sym(e, &ns, unk, unk_len);
            unk = -1;
            add_sym(e, &ns, id, k);
            i += k;
            continue;
        }
        bool all = t->byte_fallback;
        for (size_t j = 0; all && j < key_len; j++)
            all = t->byte_ids[(unsigned char)key[j]] >= 0;
        if (all) {
            for (size_t j = 0; j < key_len; j++)
                add_sym(e, &ns, t->byte_ids[(unsigned char)key[j]], 1);
        } else if (t->unk_id >= 0) {
            if (unk >= 0 && t->fuse_unk) {
                unk_len += k;
            } else {
                if (unk >= 0)
                    add_sym(e, &ns, unk, unk_len);
                unk = t->unk_id;
                unk_len = k;
            }
        }
        i += k;
    }
    if (unk >= 0)
        add_sym(e, &ns, unk, unk_len);
    merge_all(e, ns);
    for (size_t i = 0; i < ns; i++)
        if (e->syms[i].len)
            ids_push(e, e->syms[i].id);
}

/* --- the pipeline ----------------------------------------------------------- */

static void enc_free(Enc *e) {
    pcre2_match_data_free(e->md);
    free(e->segs.v);
    free(e->syms);
    free(e->heap);
    free(e->ids);
    tp_buf_free(&e->tmp);
    tp_buf_free(&e->key);
}

TpStatus tokenizer_encode(const Tokenizer *t, const char *text, size_t len, int **ids, int *n,
                          TpError *err) {
    *ids = NULL;
    *n = 0;
    if (!text && len)
        return tp_error_set(err, TP_EINVAL, "tokenizer_encode: NULL text with length %zu", len);
    Enc e = {.t = t, .st = TP_OK};
    e.md = pcre2_match_data_create(1, NULL);
    tp_buf_init(&e.tmp);
    tp_buf_init(&e.key);
    TpBuf a, b;
    tp_buf_init(&a);
    tp_buf_init(&b);
    tp_utf8_append_lossy(&a, text ? text : "", len);
    Pieces p = {0}, q = {0};

    /* 1. added tokens matched in the raw text */
    split_added(&e, &t->raw_set, a.data, a.len, 0, true, &p);

    /* 2. normalizers, then added tokens matched in the normalized text */
    if (t->n_norms || t->norm_set.n) {
        buf_add(&b, "", 0);
        for (size_t i = 0; i < p.n && e.st == TP_OK; i++) {
            Piece pc = p.v[i];
            if (pc.id >= 0) {
                pieces_push(&q, 0, 0, pc.id, false);
                continue;
            }
            size_t start = b.len;
            TpStatus st = tk_normalize(t, a.data + pc.off, pc.len, &b, e.md, NULL);
            if (st != TP_OK)
                e.st = st;
            split_added(&e, &t->norm_set, b.data + start, b.len - start, start, pc.origin, &q);
        }
        TpBuf x = a;
        a = b;
        b = x;
        Pieces y = p;
        p = q;
        q = y;
    }

    /* 3. pre-tokenizers, each over every piece */
    for (int k = 0; k < t->n_pres && e.st == TP_OK; k++) {
        b.len = 0;
        buf_add(&b, "", 0);
        q.n = 0;
        for (size_t i = 0; i < p.n; i++) {
            Piece pc = p.v[i];
            if (pc.id >= 0)
                pieces_push(&q, 0, 0, pc.id, false);
            else if (pc.len)
                pre_piece(&e, &t->pres[k], a.data + pc.off, pc.len, pc.origin, &b, &q);
        }
        TpBuf x = a;
        a = b;
        b = x;
        Pieces y = p;
        p = q;
        q = y;
    }

    /* 4. the model */
    for (size_t i = 0; i < p.n && e.st == TP_OK; i++) {
        if (p.v[i].id >= 0)
            ids_push(&e, p.v[i].id);
        else if (p.v[i].len)
            bpe_word(&e, a.data + p.v[i].off, p.v[i].len);
    }

    TpStatus st = e.st;
    if (st == TP_OK) {
        ids_push(&e, 0); /* never hand back NULL */
        *ids = e.ids;
        *n = (int)(e.n_ids - 1);
        e.ids = NULL;
    } else {
        tp_error_set(err, st, "%s: encoding failed: a regex hit PCRE2's match limit", t->name);
    }
    free(p.v);
    free(q.v);
    tp_buf_free(&a);
    tp_buf_free(&b);
    enc_free(&e);
    return st;
}
