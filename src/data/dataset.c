/* dataset.c - SFT JSON Lines: reading, strict checks, labels, truncation and
 * the seeded train/eval split. Formatting lives in dataset_template.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/limits.h"
#include "tunepilot/rng.h"
#include "tunepilot/utf8.h"

/* Reading context for one file. */
typedef struct DatasetReader {
    const char *path;
    int line;
    char where[1100]; /* "PATH:LINE" for tp_json helpers */
    TpError *err;
    const Tokenizer *tok;
    const DatasetTemplate *tpl;
    int max_seq;
    bool have_format;
    DatasetFormat format;
    int format_line;
    DatasetExample *all;
    int n_all, cap_all;
    Dataset *d;
} DatasetReader;

/* "PATH:LINE: <formatted>" as TP_EINVAL. */
static TpStatus ld_fail(DatasetReader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static TpStatus ld_fail(DatasetReader *l, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tp_error_set(l->err, TP_EINVAL, "%s:%d: %s", l->path, l->line, msg);
}

const char *dataset_format_name(DatasetFormat f) {
    return f == DATASET_CHAT ? "chat" : f == DATASET_ALPACA ? "alpaca" : "completion";
}

static const cJSON *field(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return it && !cJSON_IsNull(it) ? it : NULL;
}

/* A string field at path.key: must be a string of valid UTF-8; missing (or
 * null) is an error when required, else *out = NULL. */
static TpStatus ld_text(DatasetReader *l, const cJSON *o, const char *path, const char *key,
                        bool required, bool nonempty, const char **out) {
    const cJSON *it = field(o, key);
    *out = NULL;
    if (!it) {
        if (required)
            return ld_fail(l, "%s: missing \"%s\", expected a string", path, key);
        return TP_OK;
    }
    if (!cJSON_IsString(it))
        return ld_fail(l, "%s.%s: expected a string, got %s%s", path, key, tp_json_type_name(it),
                       cJSON_IsArray(it) && !strcmp(key, "content")
                           ? " (multi-part content is not supported)"
                           : "");
    size_t len = strlen(it->valuestring), bad = tp_utf8_check(it->valuestring, len);
    if (bad < len)
        return ld_fail(l, "%s.%s: invalid UTF-8 at byte %zu of the string, expected UTF-8 text",
                       path, key, bad);
    if (nonempty && len == 0)
        return ld_fail(l, "%s.%s: empty, expected a non-empty string", path, key);
    *out = it->valuestring;
    return TP_OK;
}

/* --- the three record kinds ------------------------------------------------------ */

static TpStatus ld_message(DatasetReader *l, const cJSON *it, int i, DatasetMsg *m) {
    static const char *const KEYS[] = {"role", "content", "weight", "name", NULL};
    static const char *const TOOL_KEYS[] = {"tool_calls", "function_call", "tool_call_id", NULL};
    char path[64];
    snprintf(path, sizeof path, "$.messages[%d]", i);
    if (!cJSON_IsObject(it))
        return ld_fail(l, "%s: expected an object with \"role\" and \"content\", got %s", path,
                       tp_json_type_name(it));
    for (int k = 0; TOOL_KEYS[k]; k++)
        if (cJSON_GetObjectItemCaseSensitive(it, TOOL_KEYS[k]))
            return ld_fail(l,
                           "%s.%s: tool and function calls are not supported, expected plain "
                           "system, user and assistant messages",
                           path, TOOL_KEYS[k]);
    TpStatus st = tp_json_check_keys(it, l->where, path, KEYS, l->err);
    if (st != TP_OK)
        return st;
    const char *role, *content, *name;
    if ((st = ld_text(l, it, path, "role", true, false, &role)) != TP_OK)
        return st;
    if (!strcmp(role, "system")) {
        m->role = DATASET_ROLE_SYSTEM;
    } else if (!strcmp(role, "user")) {
        m->role = DATASET_ROLE_USER;
    } else if (!strcmp(role, "assistant")) {
        m->role = DATASET_ROLE_ASSISTANT;
    } else if (!strcmp(role, "tool") || !strcmp(role, "function") || !strcmp(role, "ipython")) {
        return ld_fail(l,
                       "%s.role: \"%s\" messages are not supported, expected \"system\", "
                       "\"user\" or \"assistant\"",
                       path, role);
    } else {
        return ld_fail(l,
                       "%s.role: unknown role \"%.40s\", expected \"system\", \"user\" or "
                       "\"assistant\"",
                       path, role);
    }
    if ((st = ld_text(l, it, path, "content", true, false, &content)) != TP_OK)
        return st;
    if ((st = ld_text(l, it, path, "name", false, false, &name)) != TP_OK)
        return st;
    m->text = content;
    m->loss = m->role == DATASET_ROLE_ASSISTANT;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(it, "weight");
    if (w) {
        if (m->role != DATASET_ROLE_ASSISTANT)
            return ld_fail(l,
                           "%s.weight: only assistant messages take a weight, got one on a %s "
                           "message",
                           path, role);
        if (!cJSON_IsNumber(w))
            return ld_fail(l, "%s.weight: expected 0 or 1, got %s", path, tp_json_type_name(w));
        if (w->valuedouble != 0 && w->valuedouble != 1)
            return ld_fail(l, "%s.weight: expected 0 or 1, got %g", path, w->valuedouble);
        m->loss = w->valuedouble == 1;
    }
    return TP_OK;
}

static TpStatus ld_chat(DatasetReader *l, const cJSON *root, DatasetSeq *seq) {
    if (cJSON_GetObjectItemCaseSensitive(root, "tools") ||
        cJSON_GetObjectItemCaseSensitive(root, "functions"))
        return ld_fail(l, "$.%s: tool definitions are not supported, expected chat messages only",
                       cJSON_GetObjectItemCaseSensitive(root, "tools") ? "tools" : "functions");
    const cJSON *msgs = field(root, "messages");
    if (!cJSON_IsArray(msgs))
        return ld_fail(l, "$.messages: expected an array of messages, got %s",
                       tp_json_type_name(msgs));
    int n = cJSON_GetArraySize(msgs);
    if (n == 0)
        return ld_fail(l, "$.messages: empty, expected at least one message");
    DatasetMsg *m = tp_xcalloc((size_t)n, sizeof *m);
    TpStatus st = TP_OK;
    bool assistant = false;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, msgs) {
        if ((st = ld_message(l, it, i, &m[i])) != TP_OK)
            break;
        assistant |= m[i].role == DATASET_ROLE_ASSISTANT;
        i++;
    }
    if (st == TP_OK && !assistant)
        st = ld_fail(l, "$.messages: no assistant message, expected at least one message with "
                        "role \"assistant\"");
    if (st == TP_OK) {
        st = dataset_format_chat(l->tok, l->tpl, m, n, false, seq, l->err);
        if (st != TP_OK)
            tp_error_prefix(l->err, "%s", l->where);
    }
    free(m);
    return st;
}

static TpStatus ld_alpaca(DatasetReader *l, const cJSON *root, DatasetSeq *seq) {
    const char *instruction, *input, *output;
    TpStatus st = ld_text(l, root, "$", "instruction", true, true, &instruction);
    if (st == TP_OK)
        st = ld_text(l, root, "$", "input", false, false, &input);
    if (st == TP_OK)
        st = ld_text(l, root, "$", "output", true, true, &output);
    if (st != TP_OK)
        return st;
    st = dataset_format_alpaca(l->tok, instruction, input, output, seq, l->err);
    if (st != TP_OK)
        tp_error_prefix(l->err, "%s", l->where);
    return st;
}

static TpStatus ld_completion(DatasetReader *l, const cJSON *root, DatasetSeq *seq) {
    const char *prompt, *completion;
    TpStatus st = ld_text(l, root, "$", "prompt", true, false, &prompt);
    if (st == TP_OK)
        st = ld_text(l, root, "$", "completion", true, true, &completion);
    if (st != TP_OK)
        return st;
    st = dataset_format_completion(l->tok, prompt, completion, seq, l->err);
    if (st != TP_OK)
        tp_error_prefix(l->err, "%s", l->where);
    return st;
}

/* --- one line ------------------------------------------------------------------ */

/* Labels, truncation and counting; takes over seq's arrays. */
static void ld_keep(DatasetReader *l, DatasetSeq *seq) {
    Dataset *d = l->d;
    int n = seq->n;
    bool truncated = false;
    if (l->max_seq > 0 && n > l->max_seq) {
        n = l->max_seq;
        truncated = true;
        d->n_truncated++;
    }
    int *labels = tp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *labels);
    int n_loss = 0;
    for (int i = 0; i < n; i++) {
        bool loss = i + 1 < n && seq->loss[i + 1];
        labels[i] = loss ? seq->ids[i + 1] : DATASET_IGNORE;
        n_loss += loss;
    }
    if (n_loss == 0) {
        d->n_skipped_no_loss++;
        free(labels);
        dataset_seq_free(seq);
        return;
    }
    if (l->n_all == l->cap_all) {
        l->cap_all = l->cap_all ? l->cap_all * 2 : 64;
        l->all = tp_xrealloc(l->all, (size_t)l->cap_all * sizeof *l->all);
    }
    DatasetExample *e = &l->all[l->n_all++];
    memset(e, 0, sizeof *e);
    e->ids = tp_xrealloc(seq->ids, (size_t)n * sizeof *e->ids); /* drop spare room */
    e->labels = labels;
    e->n = n;
    e->n_loss = n_loss;
    e->truncated = truncated;
    e->line = l->line;
    e->answer = seq->answer ? seq->answer : tp_xstrdup("");
    e->prompt_len = seq->prompt_len < n ? seq->prompt_len : n;
    free(seq->loss);
    memset(seq, 0, sizeof *seq);
}

static TpStatus ld_line(DatasetReader *l, const char *text, size_t len) {
    JsonlProblem p;
    cJSON *root = jsonl_parse(text, len, 0, &p);
    if (!root) {
        if (p.column)
            return tp_error_set(l->err, TP_EINVAL, "%s:%d:%zu: %s", l->path, l->line, p.column,
                                p.msg);
        return tp_error_set(l->err, TP_EINVAL, "%s:%d: %s", l->path, l->line, p.msg);
    }
    TpStatus st;
    DatasetSeq seq = {0};
    int f = cJSON_IsObject(root) ? jsonl_detect(root) : -1;
    if (!cJSON_IsObject(root)) {
        st = ld_fail(l, "expected a JSON object, got %s", tp_json_type_name(root));
    } else if (f < 0) {
        st = ld_fail(l,
                     "unrecognised record, expected {\"messages\": [...]} (chat), "
                     "{\"instruction\", \"output\"} (Alpaca) or {\"prompt\", \"completion\"}%s",
                     cJSON_GetObjectItemCaseSensitive(root, "text")
                         ? " (plain {\"text\"} records are not supported)"
                         : "");
    } else if (l->have_format && (DatasetFormat)f != l->format) {
        st = ld_fail(l,
                     "%s, but line %d made this a %s file; mixing formats is not supported, "
                     "expected %s",
                     jsonl_format_title((DatasetFormat)f), l->format_line,
                     dataset_format_name(l->format), jsonl_format_title(l->format));
    } else {
        if (!l->have_format) {
            l->have_format = true;
            l->format = (DatasetFormat)f;
            l->format_line = l->line;
        }
        st = f == DATASET_CHAT     ? ld_chat(l, root, &seq)
             : f == DATASET_ALPACA ? ld_alpaca(l, root, &seq)
                                   : ld_completion(l, root, &seq);
    }
    cJSON_Delete(root);
    if (st == TP_OK)
        ld_keep(l, &seq);
    else
        dataset_seq_free(&seq);
    return st;
}

/* --- split and the public entry points -------------------------------------------- */

static void ld_split(DatasetReader *l, double eval_split, uint64_t seed) {
    Dataset *d = l->d;
    int n = l->n_all;
    unsigned char *is_eval = tp_xcalloc((size_t)(n > 0 ? n : 1), 1);
    int n_eval = jsonl_split(n, eval_split, seed, is_eval);
    d->train = tp_xcalloc((size_t)(n - n_eval > 0 ? n - n_eval : 1), sizeof *d->train);
    d->eval = tp_xcalloc((size_t)(n_eval > 0 ? n_eval : 1), sizeof *d->eval);
    for (int i = 0; i < n; i++) {
        DatasetExample *e = &l->all[i];
        if (is_eval[i])
            d->eval[d->n_eval++] = *e;
        else
            d->train[d->n_train++] = *e;
        d->n_tokens += e->n;
        d->n_loss_tokens += e->n_loss;
        if (e->n > d->max_len)
            d->max_len = e->n;
    }
    free(l->all);
    l->all = NULL;
    l->n_all = 0;
    free(is_eval);
}

static void examples_free(DatasetExample *e, int n) {
    for (int i = 0; i < n; i++) {
        free(e[i].ids);
        free(e[i].labels);
        free(e[i].answer);
    }
    free(e);
}

void dataset_free(Dataset *d) {
    if (!d)
        return;
    examples_free(d->train, d->n_train);
    examples_free(d->eval, d->n_eval);
    memset(d, 0, sizeof *d);
}

TpStatus dataset_load(const char *path, const Tokenizer *tok, const DatasetOptions *opt,
                      Dataset *out, TpError *err) {
    memset(out, 0, sizeof *out);
    DatasetOptions o = opt ? *opt : (DatasetOptions){0};
    if (!path || !tok)
        return tp_error_set(err, TP_EINVAL, "dataset_load: expected a path and a tokenizer");
    if (o.max_seq < 0 || o.max_seq == 1)
        return tp_error_set(err, TP_EINVAL,
                            "max_seq: expected 0 (no limit) or at least 2 tokens, got %d",
                            o.max_seq);
    if (!(o.eval_split >= 0 && o.eval_split < 1))
        return tp_error_set(err, TP_EINVAL, "eval_split: expected a fraction in [0, 1), got %g",
                            o.eval_split);
    char *data = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(path, o.max_file_bytes ? o.max_file_bytes : DATASET_MAX_FILE_BYTES,
                               &data, &len, err);
    if (st != TP_OK)
        return st;
    DatasetTemplate tpl;
    dataset_template_init(&tpl, tok);
    DatasetReader l = {
        .path = path, .err = err, .tok = tok, .tpl = &tpl, .max_seq = o.max_seq, .d = out};
    JsonlReader rd;
    JsonlLine ln;
    jsonl_reader_init(&rd, data, len);
    while (st == TP_OK && jsonl_next(&rd, &ln)) {
        l.line = ln.line;
        snprintf(l.where, sizeof l.where, "%s:%d", path, l.line);
        if (ln.blank)
            continue;
        out->n_records++;
        st = ld_line(&l, ln.text, ln.len);
    }
    if (st == TP_OK && out->n_records == 0)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: empty file, expected JSON Lines (one JSON object per line)", path);
    if (st == TP_OK && l.n_all == 0)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: no usable example: all %d lost every loss token (cut by max_seq "
                          "%d, or weight 0 on every assistant message), expected at least one "
                          "with loss",
                          path, out->n_skipped_no_loss, o.max_seq);
    if (st == TP_OK) {
        out->format = l.format;
        out->template_name = l.format == DATASET_ALPACA       ? "alpaca"
                             : l.format == DATASET_COMPLETION ? "completion"
                                                              : tpl.name;
        out->template_fallback = l.format == DATASET_CHAT && tpl.fallback;
        ld_split(&l, o.eval_split, o.seed);
    }
    examples_free(l.all, l.n_all);
    dataset_template_free(&tpl);
    free(data);
    if (st != TP_OK)
        dataset_free(out);
    return st;
}

TpStatus dataset_format_prompt(const Tokenizer *tok, const char *system, const char *user,
                               int **ids, int *n, TpError *err) {
    *ids = NULL;
    *n = 0;
    if (!tok || !user)
        return tp_error_set(err, TP_EINVAL,
                            "dataset_format_prompt: expected a tokenizer and a "
                            "user message");
    size_t ns = system ? strlen(system) : 0, nu = strlen(user), bad;
    if (system && (bad = tp_utf8_check(system, ns)) < ns)
        return tp_error_set(err, TP_EINVAL,
                            "system message: invalid UTF-8 at byte %zu, expected UTF-8 text", bad);
    if ((bad = tp_utf8_check(user, nu)) < nu)
        return tp_error_set(err, TP_EINVAL,
                            "user message: invalid UTF-8 at byte %zu, expected UTF-8 text", bad);
    DatasetMsg m[2];
    int k = 0;
    if (system)
        m[k++] = (DatasetMsg){.role = DATASET_ROLE_SYSTEM, .text = system};
    m[k++] = (DatasetMsg){.role = DATASET_ROLE_USER, .text = user};
    DatasetTemplate tpl;
    dataset_template_init(&tpl, tok);
    DatasetSeq seq;
    TpStatus st = dataset_format_chat(tok, &tpl, m, k, true, &seq, err);
    dataset_template_free(&tpl);
    if (st != TP_OK)
        return st;
    free(seq.loss);
    free(seq.answer);
    *ids = seq.ids ? seq.ids : tp_xmalloc(sizeof **ids);
    *n = seq.n;
    return TP_OK;
}

const char *dataset_template_name(const Tokenizer *tok, bool *fallback) {
    DatasetTemplate tpl;
    dataset_template_init(&tpl, tok);
    dataset_template_free(&tpl);
    if (fallback)
        *fallback = tpl.fallback;
    return tpl.name;
}
