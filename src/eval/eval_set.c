/* eval_set.c - held-out examples and prompt variants for tunepilot eval (see
 * eval.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/eval.h"
#include "tunepilot/fileio.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/json.h"
#include "tunepilot/pilot.h"
#include "tunepilot/rng.h"
#include "tunepilot/tokenizer.h"


/* FNV-1a over s, continued from h, then a separator between fields. */
static uint64_t fnv(uint64_t h, const char *s) {
    return tp_hash_bytes(h, s, strlen(s)) ^ 0xff;
}

static void msg_set(EvalMessage *m, const char *role, const char *content) {
    m->role = tp_xstrdup(role);
    m->content = tp_xstrdup(content);
}

/* One record -> an example. fmt: 0 chat, 1 alpaca, 2 completion (from the first record). */
static TpStatus parse_record(const char *name, int line, const cJSON *rec, int fmt, EvalExample *ex,
                             TpError *err) {
    memset(ex, 0, sizeof *ex);
    ex->line = line;
    if (fmt == 0) {
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rec, "messages");
        int n = cJSON_GetArraySize(msgs);
        int last = -1;
        for (int i = 0; i < n; i++) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, i), "role");
            if (cJSON_IsString(r) && !strcmp(r->valuestring, "assistant"))
                last = i;
        }
        if (!cJSON_IsArray(msgs) || last < 1)
            return tp_error_set(err, TP_EINVAL,
                                "%s:%d: $.messages: expected messages ending in an assistant "
                                "reply after at least one other message",
                                name, line);
        ex->msgs = tp_xcalloc((size_t)last, sizeof *ex->msgs);
        for (int i = 0; i < last; i++) {
            const cJSON *m = cJSON_GetArrayItem(msgs, i);
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
            if (!cJSON_IsString(r) || !cJSON_IsString(c))
                return tp_error_set(err, TP_EINVAL,
                                    "%s:%d: $.messages[%d]: expected a role and a string content",
                                    name, line, i);
            msg_set(&ex->msgs[ex->n_msgs++], r->valuestring, c->valuestring);
        }
        const cJSON *c =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, last), "content");
        if (!cJSON_IsString(c))
            return tp_error_set(err, TP_EINVAL, "%s:%d: $.messages[%d].content: expected a string",
                                name, line, last);
        ex->reference = tp_xstrdup(c->valuestring);
        return TP_OK;
    }
    const char *qk = fmt == 1 ? "instruction" : "prompt", *ak = fmt == 1 ? "output" : "completion";
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(rec, qk);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, ak);
    if (!cJSON_IsString(q) || !cJSON_IsString(a))
        return tp_error_set(err, TP_EINVAL, "%s:%d: expected string \"%s\" and \"%s\"", name, line,
                            qk, ak);
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, q->valuestring);
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(rec, "input");
    if (fmt == 1 && cJSON_IsString(in) && in->valuestring[0])
        tp_buf_printf(&b, "\n\n%s", in->valuestring);
    ex->msgs = tp_xcalloc(1, sizeof *ex->msgs);
    ex->n_msgs = 1;
    msg_set(&ex->msgs[0], "user", b.data ? b.data : "");
    tp_buf_free(&b);
    ex->reference = tp_xstrdup(a->valuestring);
    return TP_OK;
}

static void example_free(EvalExample *ex) {
    for (int i = 0; i < ex->n_msgs; i++) {
        free(ex->msgs[i].role);
        free(ex->msgs[i].content);
    }
    free(ex->msgs);
    free(ex->reference);
}

/* Reads a JSONL file's records; lines (1-based, sorted) picks some (NULL: all). */
static TpStatus read_examples(const char *path, const int *lines, int n_lines, EvalExample **out,
                              int *n_out, TpError *err) {
    *out = NULL;
    *n_out = 0;
    char *data = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(path, DATASET_MAX_FILE_BYTES, &data, &len, err);
    if (st != TP_OK)
        return st;
    char *p = data;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    int fmt = -1, line = 0, cap = 0, want = 0;
    char *end = data + len;
    while (st == TP_OK && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        line++;
        char *rec_text = p;
        p = nl ? nl + 1 : end;
        if (lines && (want >= n_lines || lines[want] != line))
            continue;
        if (lines)
            want++;
        const char *t = rec_text;
        while (*t == ' ' || *t == '\t' || *t == '\r')
            t++;
        if (!*t)
            continue;
        cJSON *rec = cJSON_Parse(rec_text);
        if (!cJSON_IsObject(rec)) {
            cJSON_Delete(rec);
            st = tp_error_set(err, TP_EINVAL, "%s:%d: expected a JSON object", path, line);
            break;
        }
        int f = cJSON_GetObjectItemCaseSensitive(rec, "messages")      ? 0
                : cJSON_GetObjectItemCaseSensitive(rec, "instruction") ? 1
                : cJSON_GetObjectItemCaseSensitive(rec, "prompt")      ? 2
                                                                       : -1;
        if (f < 0 || (fmt >= 0 && f != fmt)) {
            cJSON_Delete(rec);
            st =
                tp_error_set(err, TP_EINVAL,
                             "%s:%d: expected a %s record (\"messages\", or \"instruction\" and "
                             "\"output\", or \"prompt\" and \"completion\")",
                             path, line, fmt < 0 ? "chat, alpaca or completion" : "like the first");
            break;
        }
        fmt = f;
        if (*n_out >= EVAL_MAX_EXAMPLES) {
            cJSON_Delete(rec);
            st = tp_error_set(err, TP_EINVAL, "%s: more than %d examples", path, EVAL_MAX_EXAMPLES);
            break;
        }
        if (*n_out == cap) {
            cap = cap ? 2 * cap : 64;
            *out = tp_xrealloc(*out, (size_t)cap * sizeof **out);
        }
        st = parse_record(path, line, rec, fmt, &(*out)[*n_out], err);
        (*n_out)++;
        cJSON_Delete(rec);
    }
    free(data);
    if (st == TP_OK && *n_out == 0)
        st = tp_error_set(err, TP_EINVAL, "%s: no examples", path);
    return st;
}

static void set_digest(EvalSet *set) {
    uint64_t h = TP_HASH_INIT;
    for (int i = 0; i < set->n_held; i++) {
        for (int k = 0; k < set->held[i].n_msgs; k++) {
            h = fnv(h, set->held[i].msgs[k].role);
            h = fnv(h, set->held[i].msgs[k].content);
        }
        h = fnv(h, set->held[i].reference);
    }
    snprintf(set->digest, sizeof set->digest, "%016llx", (unsigned long long)h);
}

TpStatus eval_set_from_files(const char *path, const char *shots_path, EvalSet *out, TpError *err) {
    memset(out, 0, sizeof *out);
    TpStatus st = read_examples(path, NULL, 0, &out->held, &out->n_held, err);
    if (st == TP_OK && shots_path)
        st = read_examples(shots_path, NULL, 0, &out->train, &out->n_train, err);
    snprintf(out->source, sizeof out->source, "%s", path);
    if (st != TP_OK) {
        eval_set_free(out);
        return st;
    }
    set_digest(out);
    return TP_OK;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

TpStatus eval_set_from_run(Store *s, int64_t run_id, EvalSet *out, TpError *err) {
    memset(out, 0, sizeof *out);
    StoreRun r;
    TpStatus st = store_run_get(s, run_id, &r, err);
    if (st != TP_OK)
        return st;
    PilotOptions o;
    if (strcmp(r.kind, "local"))
        st = tp_error_set(err, TP_EINVAL, "run %lld is not a local pilot", (long long)run_id);
    if (st == TP_OK)
        st = pilot_options_from_run(&r, &o, err);
    PilotSplit sp;
    memset(&sp, 0, sizeof sp);
    if (st == TP_OK)
        st = pilot_split_of(&o, &sp, err);
    if (st == TP_OK) {
        int *hl = sp.eval_lines, *tl = sp.train_lines;
        int nh = sp.n_eval, nt = sp.n_train;
        qsort(hl, (size_t)nh, sizeof(int), cmp_int);
        qsort(tl, (size_t)nt, sizeof(int), cmp_int);
        if (nh == 0)
            st = tp_error_set(err, TP_EINVAL, "run %lld held out no examples (eval split 0)",
                              (long long)run_id);
        if (st == TP_OK)
            st = read_examples(o.data_path, hl, nh, &out->held, &out->n_held, err);
        if (st == TP_OK)
            st = read_examples(o.data_path, tl, nt, &out->train, &out->n_train, err);
        snprintf(out->source, sizeof out->source, "run %lld (%s)", (long long)run_id, o.data_path);
    }
    pilot_split_free(&sp);
    store_run_free(&r);
    if (st != TP_OK) {
        eval_set_free(out);
        return st;
    }
    set_digest(out);
    return TP_OK;
}

void eval_set_limit(EvalSet *set, int n) {
    if (n <= 0 || n >= set->n_held)
        return;
    for (int i = n; i < set->n_held; i++)
        example_free(&set->held[i]);
    set->n_held = n;
    set_digest(set);
}

void eval_set_free(EvalSet *set) {
    if (!set)
        return;
    for (int i = 0; i < set->n_held; i++)
        example_free(&set->held[i]);
    for (int i = 0; i < set->n_train; i++)
        example_free(&set->train[i]);
    free(set->held);
    free(set->train);
    memset(set, 0, sizeof *set);
}

/* --- prompt variants ------------------------------------------------------------------ */

void eval_prompt_name(const EvalPrompt *p, char *out, size_t n) {
    /* a system prompt is named by a short hash of its text: two prompts, two variants */
    char sys[24] = "";
    if (p->system) {
        uint64_t h = fnv(TP_HASH_INIT, p->system);
        snprintf(sys, sizeof sys, "+system:%06llx", (unsigned long long)(h & 0xffffff));
    }
    if (p->template)
        snprintf(out, n, "template:%s%s", p->template_name ? p->template_name : "file", sys);
    else if (p->shots > 0)
        snprintf(out, n, "%d-shot%s", p->shots, sys);
    else
        snprintf(out, n, "zero-shot%s", sys);
}

/* The k shots: the first k of a seeded shuffle of the training examples. */
static void draw_shots(const EvalSet *set, const EvalPrompt *p, int *idx, int *k) {
    int n = set->n_train;
    *k = p->shots < n ? p->shots : n;
    int *perm = tp_xmalloc(((size_t)n + 1) * sizeof(int));
    for (int i = 0; i < n; i++)
        perm[i] = i;
    TpRng r;
    tp_rng_seed(&r, p->seed);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(tp_rng_next(&r) % (uint64_t)(i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < *k; i++)
        idx[i] = perm[i];
    free(perm);
}

static void add_msg(cJSON *arr, const char *role, const char *content) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(arr, m);
}

/* The example's question: its last user message (earlier turns stay as turns). */
static const char *question_of(const EvalExample *ex, int *q) {
    *q = -1;
    for (int i = ex->n_msgs - 1; i >= 0; i--)
        if (!strcmp(ex->msgs[i].role, "user")) {
            *q = i;
            return ex->msgs[i].content;
        }
    return "";
}

/* Replaces every {key} in tpl by val. */
static void fill(TpBuf *b, const char *tpl, const char *input, const char *examples) {
    for (const char *t = tpl; *t;) {
        if (!strncmp(t, "{input}", 7)) {
            tp_buf_puts(b, input);
            t += 7;
        } else if (!strncmp(t, "{examples}", 10)) {
            tp_buf_puts(b, examples);
            t += 10;
        } else {
            tp_buf_append(b, t, 1);
            t++;
        }
    }
}

cJSON *eval_prompt_messages(const EvalSet *set, const EvalPrompt *p, int i) {
    const EvalExample *ex = &set->held[i];
    cJSON *arr = cJSON_CreateArray();
    int idx[EVAL_MAX_SHOTS], k = 0;
    if (p->shots > 0)
        draw_shots(set, p, idx, &k);
    bool has_system = false;
    for (int m = 0; m < ex->n_msgs; m++)
        if (!strcmp(ex->msgs[m].role, "system"))
            has_system = true;
    if (p->system)
        add_msg(arr, "system", p->system);
    int q;
    const char *question = question_of(ex, &q);
    if (p->template) {
        TpBuf shots, text;
        tp_buf_init(&shots);
        tp_buf_init(&text);
        for (int s = 0; s < k; s++) {
            int qq;
            tp_buf_printf(&shots, "%sInput: %s\nOutput: %s", s ? "\n\n" : "",
                          question_of(&set->train[idx[s]], &qq), set->train[idx[s]].reference);
        }
        fill(&text, p->template, question, shots.data ? shots.data : "");
        if (!p->system && has_system)
            for (int m = 0; m < ex->n_msgs; m++)
                if (!strcmp(ex->msgs[m].role, "system"))
                    add_msg(arr, "system", ex->msgs[m].content);
        add_msg(arr, "user", text.data ? text.data : "");
        tp_buf_free(&shots);
        tp_buf_free(&text);
        return arr;
    }
    /* the record's own system message unless --system replaces it */
    for (int m = 0; m < ex->n_msgs && m < q; m++)
        if (!strcmp(ex->msgs[m].role, "system") && !p->system)
            add_msg(arr, "system", ex->msgs[m].content);
    for (int s = 0; s < k; s++) {
        int qq;
        add_msg(arr, "user", question_of(&set->train[idx[s]], &qq));
        add_msg(arr, "assistant", set->train[idx[s]].reference);
    }
    for (int m = 0; m < ex->n_msgs; m++)
        if (strcmp(ex->msgs[m].role, "system"))
            add_msg(arr, ex->msgs[m].role, ex->msgs[m].content);
    return arr;
}
