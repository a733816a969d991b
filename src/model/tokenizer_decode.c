/* tokenizer_decode.c - ids to text: the decoder chain of
 * huggingface/tokenizers (the decode_chain of each decoder), run over the pieces. */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

/* A list of strings stored back to back in one buffer. */
typedef struct Toks {
    TpBuf buf;
    size_t *off, *len;
    size_t n, cap;
} Toks;

static void toks_init(Toks *t) {
    memset(t, 0, sizeof *t);
    tp_buf_init(&t->buf);
    tp_buf_append(&t->buf, "", 0);
}

static void toks_free(Toks *t) {
    tp_buf_free(&t->buf);
    free(t->off);
    free(t->len);
}

/* Starts a new string; bytes are then added with toks_add. */
static void toks_begin(Toks *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->off = tp_xrealloc(t->off, t->cap * sizeof *t->off);
        t->len = tp_xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->off[t->n] = t->buf.len;
    t->len[t->n] = 0;
    t->n++;
}

static void toks_add(Toks *t, const char *s, size_t n) {
    if (!n)
        return;
    tp_buf_append(&t->buf, s, n);
    t->len[t->n - 1] += n;
}

static void toks_push(Toks *t, const char *s, size_t n) {
    toks_begin(t);
    toks_add(t, s, n);
}

static const char *tok(const Toks *t, size_t i) {
    return t->buf.data + t->off[i];
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "<0xNN>" -> NN (u8::from_str_radix, which also takes a leading '+'). */
static int byte_token(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
        return -1;
    int hi = s[3] == '+' ? 0 : hexval(s[3]), lo = hexval(s[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

static void flush_bytes(Toks *out, TpBuf *bytes) {
    if (!bytes->len)
        return;
    if (tp_utf8_valid(bytes->data, bytes->len)) {
        toks_push(out, bytes->data, bytes->len);
    } else {
        for (size_t i = 0; i < bytes->len; i++)
            toks_push(out, "\xEF\xBF\xBD", 3);
    }
    bytes->len = 0;
}

/* Runs one decoder over in, writing out. */
static void dec_one(const Decoder *d, const Toks *in, Toks *out, pcre2_match_data *md) {
    TpBuf tmp;
    tp_buf_init(&tmp);
    switch (d->kind) {
    case DEC_BYTELEVEL:
        for (size_t i = 0; i < in->n; i++) {
            const char *s = tok(in, i);
            size_t n = in->len[i], start = tmp.len;
            bool ok = true;
            for (size_t j = 0; j < n && ok;) {
                uint32_t cp;
                size_t k = tp_utf8_next(s + j, n - j, &cp);
                int b = k ? tk_cp_to_byte(cp) : -1;
                if (b < 0) {
                    ok = false;
                    break;
                }
                char c = (char)b;
                tp_buf_append(&tmp, &c, 1);
                j += k;
            }
            if (!ok) { /* a token outside the alphabet is taken as it is */
                tmp.len = start;
                tp_buf_append(&tmp, n ? s : "", n);
            }
        }
        toks_begin(out);
        {
            TpBuf fixed;
            tp_buf_init(&fixed);
            tp_utf8_append_lossy(&fixed, tmp.data ? tmp.data : "", tmp.len);
            toks_add(out, fixed.data, fixed.len);
            tp_buf_free(&fixed);
        }
        break;
    case DEC_REPLACE:
        for (size_t i = 0; i < in->n; i++) {
            const char *s = tok(in, i);
            size_t n = in->len[i], pos = 0, ms, me;
            TpStatus st = TP_OK;
            toks_begin(out);
            while (pos < n && tk_pattern_find(&d->pat, s, n, pos, md, &ms, &me, &st)) {
                toks_add(out, s + pos, ms - pos);
                toks_add(out, d->str, d->str_len);
                pos = me;
            }
            toks_add(out, s + pos, n - pos);
        }
        break;
    case DEC_BYTEFALLBACK:
        for (size_t i = 0; i < in->n; i++) {
            int b = byte_token(tok(in, i), in->len[i]);
            if (b >= 0) {
                char c = (char)b;
                tp_buf_append(&tmp, &c, 1);
                continue;
            }
            flush_bytes(out, &tmp);
            toks_push(out, tok(in, i), in->len[i]);
        }
        flush_bytes(out, &tmp);
        break;
    case DEC_FUSE:
        toks_begin(out);
        for (size_t i = 0; i < in->n; i++)
            toks_add(out, tok(in, i), in->len[i]);
        break;
    case DEC_STRIP: {
        char c[4];
        size_t cl = tp_utf8_put(d->ch, c);
        for (size_t i = 0; i < in->n; i++) {
            const char *s = tok(in, i);
            size_t a = 0, b = in->len[i];
            for (int k = 0; k < d->start && b - a >= cl && !memcmp(s + a, c, cl); k++)
                a += cl;
            for (int k = 0; k < d->stop && b - a >= cl && !memcmp(s + b - cl, c, cl); k++)
                b -= cl;
            toks_push(out, s + a, b - a);
        }
        break;
    }
    case DEC_METASPACE: {
        char c[4];
        size_t cl = tp_utf8_put(d->ch, c);
        for (size_t i = 0; i < in->n; i++) {
            const char *s = tok(in, i);
            size_t n = in->len[i];
            toks_begin(out);
            for (size_t j = 0; j < n;) {
                if (n - j >= cl && !memcmp(s + j, c, cl)) {
                    if (i != 0 || d->prepend == PREPEND_NEVER)
                        toks_add(out, " ", 1);
                    j += cl;
                } else {
                    toks_add(out, s + j, 1);
                    j++;
                }
            }
        }
        break;
    }
    }
    tp_buf_free(&tmp);
}

char *tokenizer_decode(const Tokenizer *t, const int *ids, int n, bool skip_special) {
    return tokenizer_decode_len(t, ids, n, skip_special, NULL);
}

char *tokenizer_decode_len(const Tokenizer *t, const int *ids, int n, bool skip_special,
                           size_t *len) {
    Toks a, b;
    toks_init(&a);
    toks_init(&b);
    for (int i = 0; i < n; i++) {
        int id = ids[i];
        if (id < 0 || id >= t->n_ids || !t->pieces[id])
            continue;
        if (skip_special && (t->flags[id] & TF_SPECIAL))
            continue;
        toks_push(&a, t->pieces[id], t->piece_lens[id]);
    }
    TpBuf out;
    tp_buf_init(&out);
    if (!t->has_decoder) {
        for (size_t i = 0; i < a.n; i++) {
            if (i)
                tp_buf_append(&out, " ", 1);
            tp_buf_append(&out, tok(&a, i), a.len[i]);
        }
    } else {
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        for (int k = 0; k < t->n_decs; k++) {
            b.n = 0;
            b.buf.len = 0;
            dec_one(&t->decs[k], &a, &b, md);
            Toks x = a;
            a = b;
            b = x;
        }
        pcre2_match_data_free(md);
        for (size_t i = 0; i < a.n; i++)
            tp_buf_append(&out, tok(&a, i), a.len[i]);
    }
    /* vocab strings from the file need not be UTF-8: the result always is */
    TpBuf res;
    tp_buf_init(&res);
    tp_utf8_append_lossy(&res, out.data ? out.data : "", out.len);
    tp_buf_free(&out);
    toks_free(&a);
    toks_free(&b);
    if (len)
        *len = res.len;
    return tp_buf_take(&res);
}
