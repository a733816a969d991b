/* dataset_template.c - chat templates reproduced by hand, Alpaca and
 * prompt/completion formatting, and tokenizing with a loss flag per id. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "data/dataset_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"

static const char ALPACA_INPUT[] =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n";
static const char ALPACA_NO_INPUT[] =
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n"
    "### Instruction:\n";
static const char THINK_EMPTY[] = "<think>\n\n</think>\n\n";
static const char LLAMA31_PREAMBLE[] =
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

/* --- template choice ------------------------------------------------------------ */

static bool has_token(const Tokenizer *tok, const char *piece) {
    return tokenizer_token_id(tok, piece) >= 0;
}

/* The literal default system message of a ChatML template:
 * '<|im_start|>system\nTEXT<|im_end|>' where TEXT holds no Jinja code (quotes,
 * braces, '+'); Jinja string escapes are undone. NULL if there is none. */
static char *chatml_default_system(const char *tpl) {
    static const char head[] = "<|im_start|>system";
    for (const char *p = strstr(tpl, head); p; p = strstr(p + 1, head)) {
        const char *q = p + strlen(head);
        if (q[0] == '\\' && q[1] == 'n')
            q += 2;
        else if (q[0] == '\n')
            q++;
        else
            continue;
        const char *end = strstr(q, "<|im_end|>");
        if (!end)
            return NULL;
        bool ok = end > q;
        for (const char *c = q; ok && c < end; c++) {
            if (*c == '\\' && c + 1 < end)
                c++;
            else if (strchr("'\"{}+", *c))
                ok = false;
        }
        if (!ok)
            continue;
        TpBuf b;
        tp_buf_init(&b);
        for (const char *c = q; c < end; c++) {
            char ch = *c;
            if (ch == '\\' && c + 1 < end) {
                c++;
                ch = *c == 'n' ? '\n' : *c == 't' ? '\t' : *c == 'r' ? '\r' : *c;
            }
            tp_buf_append(&b, &ch, 1);
        }
        return tp_buf_take(&b);
    }
    return NULL;
}

void dataset_template_init(DatasetTemplate *t, const Tokenizer *tok) {
    memset(t, 0, sizeof *t);
    const char *tpl = tokenizer_chat_template(tok);
    t->kind = TPL_DEFAULT;
    t->name = "tunepilot-default";
    if (tpl && strstr(tpl, "<|im_start|>") && has_token(tok, "<|im_start|>") &&
        has_token(tok, "<|im_end|>")) {
        bool think = strstr(tpl, "<think>") != NULL;
        t->kind = think ? TPL_CHATML_THINK : TPL_CHATML;
        t->name = think ? "chatml-think" : "chatml";
        t->default_system = chatml_default_system(tpl);
    } else if (tpl && strstr(tpl, "<|start_header_id|>") && has_token(tok, "<|start_header_id|>") &&
               has_token(tok, "<|end_header_id|>") && has_token(tok, "<|eot_id|>")) {
        bool dated = strstr(tpl, "Cutting Knowledge Date") != NULL;
        t->kind = dated ? TPL_LLAMA31 : TPL_LLAMA3;
        t->name = dated ? "llama3.1" : "llama3";
    } else if (tpl && strstr(tpl, "<|user|>") && strstr(tpl, "<|assistant|>") &&
               !strstr(tpl, "<|end|>")) {
        t->kind = TPL_ZEPHYR;
        t->name = "zephyr";
    } else if (tpl && strstr(tpl, "[INST]")) {
        bool sys = strstr(tpl, "<<SYS>>") != NULL;
        t->kind = sys ? TPL_LLAMA2 : TPL_MISTRAL;
        t->name = sys ? "llama2" : "mistral";
    } else if (tpl) {
        t->fallback = true;
    }
    bool writes_bos = tpl && t->kind != TPL_DEFAULT && strstr(tpl, "bos_token") != NULL;
    t->bos = t->kind != TPL_LLAMA2 && tokenizer_bos_id(tok) >= 0 &&
             (tokenizer_adds_bos(tok) || writes_bos);
}

void dataset_template_free(DatasetTemplate *t) {
    if (t) {
        free(t->default_system);
        t->default_system = NULL;
    }
}

/* --- building a sequence ------------------------------------------------------- */

void dataset_seq_free(DatasetSeq *s) {
    if (!s)
        return;
    free(s->ids);
    free(s->loss);
    free(s->answer);
    memset(s, 0, sizeof *s);
}

/* Text is gathered in a pending chunk until a cut, an inserted id or a change
 * of loss flag ends it. A run is the text since the last inserted id: the
 * first chunk of a run is tokenized alone; each later one together with the
 * run so far, keeping that tokenization when it starts with the ids already
 * emitted (so the pieces concatenate to the tokenization of the whole run),
 * else (a token would straddle the cut) on its own. Errors stick: later calls
 * do nothing. */
typedef struct Bld {
    const Tokenizer *tok;
    DatasetSeq *s;
    TpBuf text; /* pending chunk */
    bool text_loss;
    TpBuf run;     /* text of the current run before the pending chunk */
    int run_start; /* index in s->ids where the run's ids begin */
    /* The latest special token written as text whose id the run's ids hold:
     * text after an added token is tokenized apart from the text before it,
     * so a cut tokenizes the run from there (safe_off in the run, safe_id at
     * s->ids[safe_n]) instead of from its start: linear in a long run.
     * pend_off/pend_id: one in the pending chunk (run + text coordinates),
     * placed in the ids at the next cut. */
    size_t safe_off, pend_off;
    int safe_n, safe_id, pend_id;
    TpStatus st;
    TpError *err;
} Bld;

#define JOINT_MAX_BYTES (256u << 10) /* longer runs are tokenized chunk by chunk */

static void seq_push(DatasetSeq *s, int id, bool loss) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->ids = tp_xrealloc(s->ids, (size_t)s->cap * sizeof *s->ids);
        s->loss = tp_xrealloc(s->loss, (size_t)s->cap);
    }
    s->ids[s->n] = id;
    s->loss[s->n] = loss;
    s->n++;
}

static void buf_clear(TpBuf *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Tokenizes run[from..] + the pending chunk; keeps the result when it starts
 * with the ids s->ids[from_n..] already hold for run[from..]: *skip gets
 * their count. */
static bool b_joint(Bld *b, size_t from, int from_n, int **ids, int *n, int *skip) {
    size_t run_len = b->run.len;
    tp_buf_append(&b->run, b->text.data, b->text.len);
    b->st = tokenizer_encode(b->tok, b->run.data + from, b->run.len - from, ids, n, b->err);
    b->run.len = run_len;
    b->run.data[run_len] = '\0';
    int have = b->s->n - from_n;
    if (b->st == TP_OK && *n >= have &&
        !memcmp(*ids, b->s->ids + from_n, (size_t)have * sizeof **ids)) {
        *skip = have;
        return true;
    }
    free(*ids);
    *ids = NULL;
    return false;
}

static void b_cut(Bld *b) {
    if (b->st != TP_OK || b->text.len == 0)
        return;
    int *ids = NULL, n = 0, skip = 0;
    if (b->safe_id >= 0 && b->run.len - b->safe_off + b->text.len <= JOINT_MAX_BYTES)
        b_joint(b, b->safe_off, b->safe_n, &ids, &n, &skip);
    if (b->st == TP_OK && !ids && b->run.len > 0 && b->run.len + b->text.len <= JOINT_MAX_BYTES)
        b_joint(b, 0, b->run_start, &ids, &n, &skip);
    if (b->st == TP_OK && !ids)
        b->st = tokenizer_encode(b->tok, b->text.data, b->text.len, &ids, &n, b->err);
    if (b->st == TP_OK) {
        int at = b->s->n;
        for (int i = skip; i < n; i++)
            seq_push(b->s, ids[i], b->text_loss);
        if (b->pend_id >= 0) {
            /* the pending special's id among the new ones: the k-th from the
             * end, k being how often its text occurs from it to the chunk's end */
            const char *piece = tokenizer_piece(b->tok, b->pend_id);
            size_t plen = strlen(piece), from = b->pend_off - b->run.len;
            int k = 0;
            for (const char *q = b->text.data + from, *end = b->text.data + b->text.len;
                 (q = memmem(q, (size_t)(end - q), piece, plen)) != NULL; q += plen)
                k++;
            for (int i = b->s->n - 1; i >= at && k > 0; i--)
                if (b->s->ids[i] == b->pend_id && --k == 0) {
                    b->safe_off = b->pend_off;
                    b->safe_n = i;
                    b->safe_id = b->pend_id;
                }
            b->pend_id = -1;
        }
        tp_buf_append(&b->run, b->text.data, b->text.len);
    }
    free(ids);
    buf_clear(&b->text);
}

static void b_text(Bld *b, const char *s, size_t len, bool loss) {
    if (b->st != TP_OK || len == 0)
        return;
    if (b->text.len && b->text_loss != loss)
        b_cut(b);
    tp_buf_append(&b->text, s, len);
    b->text_loss = loss;
}

static void b_str(Bld *b, const char *s, bool loss) {
    b_text(b, s, strlen(s), loss);
}

static void b_id(Bld *b, int id, bool loss) {
    b_cut(b);
    if (b->st != TP_OK)
        return;
    seq_push(b->s, id, loss);
    buf_clear(&b->run);
    b->run_start = b->s->n;
    b->safe_id = b->pend_id = -1;
}

/* A special token: its text when it is a special added token (so it is
 * tokenized with its neighbours, as a rendered template is), else its id. */
static void b_special(Bld *b, int id, bool loss) {
    const char *piece = tokenizer_is_special(b->tok, id) ? tokenizer_piece(b->tok, id) : NULL;
    if (piece && *piece && tokenizer_token_id(b->tok, piece) == id) {
        if (b->text.len && b->text_loss != loss) /* the cut b_text would make, first */
            b_cut(b);
        b->pend_off = b->run.len + b->text.len;
        b->pend_id = id;
        b_str(b, piece, loss);
    } else {
        b_id(b, id, loss);
    }
}

/* A marker such as "<|im_start|>": via b_special when it is a token, else as text. */
static void b_marker(Bld *b, const char *marker, bool loss) {
    int id = tokenizer_token_id(b->tok, marker);
    if (id >= 0)
        b_special(b, id, loss);
    else
        b_str(b, marker, loss);
}

/* One answer: cut before, (for the final one) record prompt_len and the
 * answer text, then pre + text + post + the end marker and/or end id, all with
 * the answer's loss flag, and cut after. */
static void b_answer(Bld *b, bool final, const char *pre, const char *text, size_t len,
                     const char *post, const char *end_marker, int end_id, bool loss) {
    b_cut(b);
    if (b->st != TP_OK)
        return;
    if (final) {
        b->s->prompt_len = b->s->n;
        free(b->s->answer);
        b->s->answer = tp_xmalloc(len + 1);
        memcpy(b->s->answer, text, len);
        b->s->answer[len] = '\0';
    }
    b_str(b, pre, loss);
    b_text(b, text, len, loss);
    b_str(b, post, loss);
    if (end_marker)
        b_marker(b, end_marker, loss);
    if (end_id >= 0)
        b_special(b, end_id, loss);
    b_cut(b);
}

static const char *role_name(DatasetRole r) {
    return r == DATASET_ROLE_SYSTEM ? "system" : r == DATASET_ROLE_USER ? "user" : "assistant";
}

static bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Jinja trim / Python strip (ASCII whitespace): *len gets the length. */
static const char *strip(const char *s, size_t *len) {
    size_t n = strlen(s);
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    *len = n;
    return s;
}

static TpStatus need_eos(const Tokenizer *tok, const char *what, int *eos, TpError *err) {
    *eos = tokenizer_eos_id(tok);
    if (*eos < 0)
        return tp_error_set(err, TP_EINVAL,
                            "the tokenizer has no EOS token (eos_token in tokenizer_config.json), "
                            "expected one to end each answer of the %s format",
                            what);
    return TP_OK;
}

/* --- the templates -------------------------------------------------------------- */

typedef struct Chat {
    const DatasetTemplate *t;
    const DatasetMsg *m;
    int n;
    int final; /* index of the last assistant message, -1 for none */
    bool gen;  /* append the generation prompt */
    int bos, eos;
} Chat;

static void fmt_default(Bld *b, const Chat *c) {
    if (c->t->bos)
        b_id(b, c->bos, false);
    for (int i = 0; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        if (m->role == DATASET_ROLE_ASSISTANT) {
            b_str(b, "### Assistant:\n", false);
            b_answer(b, i == c->final, "", m->text, strlen(m->text), "", NULL, c->eos, m->loss);
            if (i + 1 < c->n || c->gen)
                b_str(b, "\n\n", false);
        } else {
            b_str(b, m->role == DATASET_ROLE_SYSTEM ? "### System:\n" : "### User:\n", false);
            b_str(b, m->text, false);
            b_str(b, "\n\n", false);
        }
    }
    if (c->gen)
        b_str(b, "### Assistant:\n", false);
}

static void fmt_chatml(Bld *b, const Chat *c) {
    const DatasetTemplate *t = c->t;
    if (t->bos)
        b_id(b, c->bos, false);
    if (t->default_system && (c->n == 0 || c->m[0].role != DATASET_ROLE_SYSTEM)) {
        b_marker(b, "<|im_start|>", false);
        b_str(b, "system\n", false);
        b_str(b, t->default_system, false);
        b_marker(b, "<|im_end|>", false);
        b_str(b, "\n", false);
    }
    int last_user = -1;
    for (int i = 0; i < c->n; i++)
        if (c->m[i].role == DATASET_ROLE_USER)
            last_user = i;
    for (int i = 0; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        b_marker(b, "<|im_start|>", false);
        b_str(b, role_name(m->role), false);
        b_str(b, "\n", false);
        if (m->role == DATASET_ROLE_ASSISTANT) {
            if (t->kind == TPL_CHATML_THINK && i == c->n - 1 && i > last_user && !c->gen)
                b_str(b, THINK_EMPTY, false);
            b_answer(b, i == c->final, "", m->text, strlen(m->text), "", "<|im_end|>", -1, m->loss);
        } else {
            b_str(b, m->text, false);
            b_marker(b, "<|im_end|>", false);
        }
        b_str(b, "\n", false);
    }
    if (c->gen) {
        b_marker(b, "<|im_start|>", false);
        b_str(b, "assistant\n", false);
        if (t->kind == TPL_CHATML_THINK)
            b_str(b, THINK_EMPTY, false);
    }
}

static void llama3_header(Bld *b, const char *role) {
    b_marker(b, "<|start_header_id|>", false);
    b_str(b, role, false);
    b_marker(b, "<|end_header_id|>", false);
    b_str(b, "\n\n", false);
}

static void fmt_llama3(Bld *b, const Chat *c) {
    if (c->t->bos)
        b_id(b, c->bos, false);
    int start = 0;
    size_t len;
    if (c->t->kind == TPL_LLAMA31) {
        llama3_header(b, "system");
        b_str(b, LLAMA31_PREAMBLE, false);
        if (c->n > 0 && c->m[0].role == DATASET_ROLE_SYSTEM) {
            const char *s = strip(c->m[0].text, &len);
            b_text(b, s, len, false);
            start = 1;
        }
        b_marker(b, "<|eot_id|>", false);
    }
    for (int i = start; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        llama3_header(b, role_name(m->role));
        const char *s = strip(m->text, &len);
        if (m->role == DATASET_ROLE_ASSISTANT) {
            b_answer(b, i == c->final, "", s, len, "", "<|eot_id|>", -1, m->loss);
        } else {
            b_text(b, s, len, false);
            b_marker(b, "<|eot_id|>", false);
        }
    }
    if (c->gen)
        llama3_header(b, "assistant");
}

static void zephyr_tag(Bld *b, DatasetRole r) {
    b_marker(b,
             r == DATASET_ROLE_SYSTEM ? "<|system|>"
             : r == DATASET_ROLE_USER ? "<|user|>"
                                      : "<|assistant|>",
             false);
    b_str(b, "\n", false);
}

static void fmt_zephyr(Bld *b, const Chat *c) {
    if (c->t->bos)
        b_id(b, c->bos, false);
    for (int i = 0; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        zephyr_tag(b, m->role);
        if (m->role == DATASET_ROLE_ASSISTANT) {
            b_answer(b, i == c->final, "", m->text, strlen(m->text), "", NULL, c->eos, m->loss);
        } else {
            b_str(b, m->text, false);
            b_special(b, c->eos, false);
        }
        b_str(b, "\n", false);
    }
    if (c->gen)
        zephyr_tag(b, DATASET_ROLE_ASSISTANT);
}

/* [INST] templates: an optional first system message, then user and
 * assistant strictly alternating from user. */
static TpStatus inst_check(const Chat *c, const char *name, TpError *err) {
    int start = c->n > 0 && c->m[0].role == DATASET_ROLE_SYSTEM;
    for (int i = start; i < c->n; i++) {
        DatasetRole want = (i - start) % 2 == 0 ? DATASET_ROLE_USER : DATASET_ROLE_ASSISTANT;
        if (c->m[i].role != want)
            return tp_error_set(err, TP_EINVAL,
                                "$.messages[%d].role: \"%s\" here breaks the %s chat template, "
                                "expected user and assistant messages alternating from user "
                                "(after one optional system message)",
                                i, role_name(c->m[i].role), name);
    }
    return TP_OK;
}

static void fmt_llama2(Bld *b, const Chat *c) {
    const char *sys = c->n > 0 && c->m[0].role == DATASET_ROLE_SYSTEM ? c->m[0].text : NULL;
    int start = sys != NULL;
    for (int i = start; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        size_t len;
        if (m->role == DATASET_ROLE_USER) {
            if (c->bos >= 0)
                b_special(b, c->bos, false);
            b_str(b, "[INST] ", false);
            TpBuf content;
            tp_buf_init(&content);
            if (i == start && sys) {
                tp_buf_puts(&content, "<<SYS>>\n");
                tp_buf_puts(&content, sys);
                tp_buf_puts(&content, "\n<</SYS>>\n\n");
            }
            tp_buf_puts(&content, m->text);
            const char *s = strip(content.data, &len);
            b_text(b, s, len, false);
            tp_buf_free(&content);
            b_str(b, " [/INST]", false);
        } else {
            const char *s = strip(m->text, &len);
            b_answer(b, i == c->final, " ", s, len, " ", NULL, c->eos, m->loss);
        }
    }
}

static void fmt_mistral(Bld *b, const Chat *c) {
    if (c->t->bos)
        b_id(b, c->bos, false);
    const char *sys = c->n > 0 && c->m[0].role == DATASET_ROLE_SYSTEM ? c->m[0].text : NULL;
    int start = sys != NULL;
    for (int i = start; i < c->n; i++) {
        const DatasetMsg *m = &c->m[i];
        if (m->role == DATASET_ROLE_USER) {
            b_str(b, "[INST] ", false);
            if (i == start && sys) {
                b_str(b, sys, false);
                b_str(b, "\n\n", false);
            }
            b_str(b, m->text, false);
            b_str(b, " [/INST]", false);
        } else {
            b_answer(b, i == c->final, "", m->text, strlen(m->text), "", NULL, c->eos, m->loss);
        }
    }
}

static TpStatus bld_finish(Bld *b, DatasetSeq *out) {
    b_cut(b);
    tp_buf_free(&b->text);
    tp_buf_free(&b->run);
    if (b->st != TP_OK)
        dataset_seq_free(out);
    return b->st;
}

TpStatus dataset_format_chat(const Tokenizer *tok, const DatasetTemplate *t, const DatasetMsg *m,
                             int n, bool gen_prompt, DatasetSeq *out, TpError *err) {
    memset(out, 0, sizeof *out);
    Chat c = {.t = t,
              .m = m,
              .n = n,
              .final = -1,
              .gen = gen_prompt,
              .bos = tokenizer_bos_id(tok),
              .eos = tokenizer_eos_id(tok)};
    for (int i = 0; i < n; i++)
        if (m[i].role == DATASET_ROLE_ASSISTANT)
            c.final = i;
    if (!gen_prompt && c.final < 0)
        return tp_error_set(err, TP_EINVAL,
                            "$.messages: no assistant message, expected at least one message "
                            "with role \"assistant\"");
    TpStatus st = TP_OK;
    if (t->kind == TPL_DEFAULT || t->kind == TPL_ZEPHYR || t->kind == TPL_LLAMA2 ||
        t->kind == TPL_MISTRAL)
        st = need_eos(tok, t->name, &c.eos, err);
    if (st == TP_OK && (t->kind == TPL_LLAMA2 || t->kind == TPL_MISTRAL))
        st = inst_check(&c, t->name, err);
    if (st != TP_OK)
        return st;
    Bld b = {.tok = tok, .s = out, .st = TP_OK, .err = err, .safe_id = -1, .pend_id = -1};
    tp_buf_init(&b.text);
    tp_buf_init(&b.run);
    switch (t->kind) {
    case TPL_DEFAULT:
        fmt_default(&b, &c);
        break;
    case TPL_CHATML:
    case TPL_CHATML_THINK:
        fmt_chatml(&b, &c);
        break;
    case TPL_LLAMA3:
    case TPL_LLAMA31:
        fmt_llama3(&b, &c);
        break;
    case TPL_ZEPHYR:
        fmt_zephyr(&b, &c);
        break;
    case TPL_LLAMA2:
        fmt_llama2(&b, &c);
        break;
    case TPL_MISTRAL:
        fmt_mistral(&b, &c);
        break;
    }
    st = bld_finish(&b, out);
    if (st == TP_OK && gen_prompt)
        out->prompt_len = out->n;
    return st;
}

/* BOS when the tokenizer adds one, the prompt text, then answer + EOS. */
static TpStatus fmt_plain(const Tokenizer *tok, const char *what, const char *prompt1,
                          const char *prompt2, const char *prompt3, const char *answer,
                          DatasetSeq *out, TpError *err) {
    memset(out, 0, sizeof *out);
    int eos;
    TpStatus st = need_eos(tok, what, &eos, err);
    if (st != TP_OK)
        return st;
    Bld b = {.tok = tok, .s = out, .st = TP_OK, .err = err, .safe_id = -1, .pend_id = -1};
    tp_buf_init(&b.text);
    tp_buf_init(&b.run);
    int bos = tokenizer_bos_id(tok);
    if (bos >= 0 && tokenizer_adds_bos(tok))
        b_id(&b, bos, false);
    b_str(&b, prompt1, false);
    b_str(&b, prompt2, false);
    b_str(&b, prompt3, false);
    b_answer(&b, true, "", answer, strlen(answer), "", NULL, eos, true);
    return bld_finish(&b, out);
}

TpStatus dataset_format_alpaca(const Tokenizer *tok, const char *instruction, const char *input,
                               const char *output, DatasetSeq *out, TpError *err) {
    if (input && *input) {
        TpBuf p;
        tp_buf_init(&p);
        tp_buf_puts(&p, ALPACA_INPUT);
        tp_buf_puts(&p, instruction);
        tp_buf_puts(&p, "\n\n### Input:\n");
        TpStatus st =
            fmt_plain(tok, "Alpaca", p.data, input, "\n\n### Response:", output, out, err);
        tp_buf_free(&p);
        return st;
    }
    return fmt_plain(tok, "Alpaca", ALPACA_NO_INPUT, instruction, "\n\n### Response:", output, out,
                     err);
}

TpStatus dataset_format_completion(const Tokenizer *tok, const char *prompt, const char *completion,
                                   DatasetSeq *out, TpError *err) {
    return fmt_plain(tok, "prompt/completion", prompt, "", "", completion, out, err);
}
