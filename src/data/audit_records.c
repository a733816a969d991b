/* audit_records.c - the audit's reading of a file: one line at a time
 * through the JSON Lines reader (jsonl.h), the majority format, and every
 * check of a single record (structure, roles, weights, UTF-8, the tokens it
 * would train on after the pilot's cut). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/audit_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/json.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/limits.h"
#include "tunepilot/utf8.h"

/* --- one record ------------------------------------------------------------------------ */

static const cJSON *field(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return it && !cJSON_IsNull(it) ? it : NULL;
}

static bool utf8_ok(AuditFile *f, const char *path, const char *s) {
    size_t n = strlen(s), bad = tp_utf8_check(s, n);
    if (bad == n)
        return true;
    ERR(f, "invalid_utf8", "%s: invalid UTF-8 at byte %zu of the string, expected UTF-8 text", path,
        bad);
    return false;
}

static bool in_list(const char *s, const char *const list[]) {
    for (int i = 0; list[i]; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

/* Texts of a record for the similarity checks, and its token counts. */
typedef struct Texts {
    TpBuf full;   /* exact form (hashed) */
    TpBuf norm;   /* every content, normalised */
    TpBuf prompt; /* normalised prompt */
    TpBuf answer; /* normalised final answer */
} Texts;

static void texts_init(Texts *t) {
    tp_buf_init(&t->full);
    tp_buf_init(&t->norm);
    tp_buf_init(&t->prompt);
    tp_buf_init(&t->answer);
}

static void texts_free(Texts *t) {
    tp_buf_free(&t->full);
    tp_buf_free(&t->norm);
    tp_buf_free(&t->prompt);
    tp_buf_free(&t->answer);
}

static const char *bufs(const TpBuf *b) {
    return b->data ? b->data : "";
}

/* Adds a checked record: hashes, label, signature. */
static void keep_rec(AuditFile *f, Rec *rec, Texts *t) {
    AuditRun *a = f->a;
    rec->line = f->line;
    rec->full_hash = tp_hash_bytes(TP_HASH_INIT, bufs(&t->full), t->full.len);
    rec->has_prompt = t->prompt.len > 0;
    rec->prompt_hash = audit_hash_str(TP_HASH_INIT, bufs(&t->prompt));
    rec->answer_hash = audit_hash_str(TP_HASH_INIT, bufs(&t->answer));
    int words = audit_word_count(bufs(&t->answer));
    rec->label = words > 0 && words <= AUDIT_LABEL_MAX_WORDS ? tp_xstrdup(bufs(&t->answer)) : NULL;
    rec->sig = audit_minhash(a, bufs(&t->norm));
    RecSet *s = f->recs;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = tp_xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    s->v[s->n++] = *rec;
}

/* Whether a loss token survives the pilot's truncation (see ld_keep). */
static bool seq_keeps(const DatasetSeq *s, int pilot_seq) {
    int n = pilot_seq > 0 && s->n > pilot_seq ? pilot_seq : s->n;
    for (int i = 1; i < n; i++)
        if (s->loss[i])
            return true;
    return false;
}

static int seq_loss_count(const DatasetSeq *s) {
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->loss[i] != 0;
    return n;
}

/* Tokens of a text with the tokenizer (0 when it fails). */
static int encode_count(const Tokenizer *tok, const char *s) {
    int *ids = NULL, n = 0;
    TpError e;
    if (tokenizer_encode(tok, s, strlen(s), &ids, &n, &e) != TP_OK)
        n = audit_approx_tokens(s);
    free(ids);
    return n;
}

static int text_tokens(const AuditRun *a, const char *s) {
    return a->tok ? encode_count(a->tok, s) : audit_approx_tokens(s);
}

static void check_chat(AuditFile *f, const cJSON *root) {
    static const char *const MSG_KEYS[] = {"role",          "content",    "name",         "weight",
                                           "function_call", "tool_calls", "tool_call_id", NULL};
    static const char *const CALL_KEYS[] = {"function_call", "tool_calls", "tool_call_id", NULL};
    AuditRun *a = f->a;
    bool bad = false, formattable = true;
    const cJSON *k;
    cJSON_ArrayForEach(k, root) {
        if (!strcmp(k->string, "messages"))
            continue;
        if (!strcmp(k->string, "tools") || !strcmp(k->string, "functions") ||
            !strcmp(k->string, "parallel_tool_calls")) {
            WARN(f, "unsupported",
                 "$.%s: tool definitions: OpenAI accepts them, tunepilot's pilot does not",
                 k->string);
            formattable = false;
        } else {
            WARN(f, "unknown_key", "$.%s: unrecognized key, ignored (expected \"messages\")",
                 k->string);
        }
    }
    const cJSON *msgs = field(root, "messages");
    if (!msgs) {
        ERR(f, "missing_messages", "$.messages: missing, expected an array of messages");
        return;
    }
    if (!cJSON_IsArray(msgs)) {
        ERR(f, "messages_not_list", "$.messages: expected an array of messages, got %s",
            tp_json_type_name(msgs));
        return;
    }
    int n = cJSON_GetArraySize(msgs);
    if (n == 0) {
        ERR(f, "empty_messages", "$.messages: empty, expected at least one message");
        return;
    }
    DatasetMsg *m = tp_xcalloc((size_t)n, sizeof *m);
    const char **content = tp_xcalloc((size_t)n, sizeof *content);
    bool *has_name = tp_xcalloc((size_t)n, sizeof *has_name);
    bool assistant = false, system = false, user = false, any_loss = false;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, msgs) {
        char path[64];
        snprintf(path, sizeof path, "$.messages[%d]", i);
        int idx = i++;
        if (!cJSON_IsObject(it)) {
            ERR(f, "message_not_object",
                "%s: expected an object with \"role\" and \"content\", got %s", path,
                tp_json_type_name(it));
            bad = true;
            continue;
        }
        bool call = false;
        cJSON_ArrayForEach(k, it) {
            if (!in_list(k->string, MSG_KEYS)) {
                ERR(f, "message_unrecognized_key",
                    "%s.%s: unrecognized key, expected role, content, name, weight, "
                    "function_call, tool_calls or tool_call_id",
                    path, k->string);
                bad = true;
            } else if (in_list(k->string, CALL_KEYS) && !cJSON_IsNull(k)) {
                WARN(f, "unsupported",
                     "%s.%s: tool and function calls: OpenAI accepts them, tunepilot's pilot "
                     "does not",
                     path, k->string);
                call = true;
                formattable = false;
            }
        }
        const cJSON *role = field(it, "role"), *c = field(it, "content"), *name = field(it, "name"),
                    *w = cJSON_GetObjectItemCaseSensitive(it, "weight");
        const char *rs = NULL;
        if (!role) {
            ERR(f, "message_missing_key",
                "%s: missing \"role\", expected one of system, user, "
                "assistant",
                path);
            bad = true;
        } else if (!cJSON_IsString(role)) {
            ERR(f, "unrecognized_role", "%s.role: expected a string, got %s", path,
                tp_json_type_name(role));
            bad = true;
        } else if (!utf8_ok(f, path, role->valuestring)) {
            bad = true;
        } else {
            rs = role->valuestring;
            if (!strcmp(rs, "system")) {
                m[idx].role = DATASET_ROLE_SYSTEM;
                system = true;
            } else if (!strcmp(rs, "user")) {
                m[idx].role = DATASET_ROLE_USER;
                user = true;
            } else if (!strcmp(rs, "assistant")) {
                m[idx].role = DATASET_ROLE_ASSISTANT;
                assistant = true;
            } else if (!strcmp(rs, "function") || !strcmp(rs, "tool")) {
                WARN(f, "unsupported",
                     "%s.role: \"%s\" messages: OpenAI accepts them, tunepilot's pilot does not",
                     path, rs);
                m[idx].role = DATASET_ROLE_USER;
                formattable = false;
            } else {
                ERR(f, "unrecognized_role",
                    "%s.role: unknown role \"%.40s\", expected system, user, assistant, function "
                    "or tool",
                    path, rs);
                bad = true;
            }
        }
        if (!c && !call) {
            ERR(f, "message_missing_key", "%s: missing \"content\", expected a string", path);
            bad = true;
        } else if (c && !cJSON_IsString(c)) {
            ERR(f, "non_string_content", "%s.content: expected a string, got %s%s", path,
                tp_json_type_name(c),
                cJSON_IsArray(c) ? " (multi-part content is not supported)" : "");
            bad = true;
        } else if (c && !utf8_ok(f, path, c->valuestring)) {
            bad = true;
        } else {
            content[idx] = c ? c->valuestring : "";
            m[idx].text = content[idx];
            if (rs && !strcmp(rs, "assistant") && !*content[idx] && !call)
                WARN(f, "empty_answer", "%s.content: empty assistant reply", path);
        }
        if (name && !cJSON_IsString(name)) {
            ERR(f, "non_string_field", "%s.name: expected a string, got %s", path,
                tp_json_type_name(name));
            bad = true;
        } else if (name && !utf8_ok(f, path, name->valuestring)) {
            bad = true;
        }
        has_name[idx] = name != NULL;
        m[idx].loss = rs && !strcmp(rs, "assistant");
        if (w) {
            if (!rs || strcmp(rs, "assistant")) {
                ERR(f, "bad_weight", "%s.weight: only assistant messages take a weight", path);
                bad = true;
            } else if (!cJSON_IsNumber(w)) {
                ERR(f, "bad_weight", "%s.weight: expected 0 or 1, got %s", path,
                    tp_json_type_name(w));
                bad = true;
            } else if (w->valuedouble != 0 && w->valuedouble != 1) {
                ERR(f, "bad_weight", "%s.weight: expected 0 or 1, got %g", path, w->valuedouble);
                bad = true;
            } else {
                m[idx].loss = w->valuedouble == 1;
            }
        }
        any_loss |= m[idx].loss;
    }
    if (!bad && !assistant) {
        ERR(f, "no_assistant",
            "$.messages: no assistant message, expected at least one message with role "
            "\"assistant\"");
        bad = true;
    }
    Rec rec = {0};
    if (!bad && a->tok && formattable) {
        DatasetSeq seq;
        TpError e = {0};
        if (dataset_format_chat(a->tok, &a->tpl, m, n, false, &seq, &e) != TP_OK) {
            ERR(f, "template", "the model's %s chat template cannot format this example: %s",
                a->tpl.name, e.msg);
            bad = true;
        } else {
            rec.tokens = seq.n;
            rec.assistant_tokens = seq_loss_count(&seq);
            rec.exact = true;
            rec.keep = seq_keeps(&seq, a->o.pilot_seq);
            dataset_seq_free(&seq);
        }
    } else if (!bad) {
        rec.tokens = 3;
        for (int j = 0; j < n; j++) {
            int t = text_tokens(a, content[j] ? content[j] : "");
            rec.tokens += 3 + t + (has_name[j] ? 1 : 0);
            if (m[j].role == DATASET_ROLE_ASSISTANT)
                rec.assistant_tokens += t;
        }
        rec.keep = formattable && any_loss;
    }
    if (!bad) {
        f->n_chat++;
        if (!system && f->n_no_system++ == 0)
            f->first_no_system = f->line;
        if (!user && f->n_no_user++ == 0)
            f->first_no_user = f->line;
        if (!any_loss)
            WARN(f, "no_loss",
                 "every assistant message has weight 0: no loss, the pilot skips this example");
        rec.messages = n;
        Texts t;
        texts_init(&t);
        int final = -1;
        for (int j = 0; j < n; j++)
            if (m[j].role == DATASET_ROLE_ASSISTANT)
                final = j;
        const cJSON *mj = msgs->child; /* walked alongside j: GetArrayItem is O(j) */
        for (int j = 0; j < n; j++, mj = mj ? mj->next : NULL) {
            const cJSON *role = field(mj, "role");
            const char *rname = cJSON_IsString(role) ? role->valuestring : "";
            tp_buf_puts(&t.full, rname);
            tp_buf_append(&t.full, "\x1f", 1);
            tp_buf_puts(&t.full, content[j]);
            tp_buf_printf(&t.full, "%c%d%c", 0x1f, m[j].loss, 0x1e);
            audit_norm_append(&t.norm, content[j]);
            if (j < final) {
                audit_norm_append(&t.prompt, rname);
                audit_norm_append(&t.prompt, content[j]);
            }
        }
        if (final >= 0)
            audit_norm_append(&t.answer, content[final]);
        keep_rec(f, &rec, &t);
        texts_free(&t);
    }
    free(m);
    free(content);
    free(has_name);
}

/* A string field of an Alpaca or completion record. */
static bool plain_field(AuditFile *f, const cJSON *root, const char *key, bool required,
                        bool nonempty, const char **out) {
    const cJSON *it = field(root, key);
    *out = "";
    if (!it) {
        if (required)
            ERR(f, "missing_field", "$: missing \"%s\", expected a string", key);
        return !required;
    }
    if (!cJSON_IsString(it)) {
        ERR(f, "non_string_field", "$.%s: expected a string, got %s", key, tp_json_type_name(it));
        return false;
    }
    char path[64];
    snprintf(path, sizeof path, "$.%s", key);
    if (!utf8_ok(f, path, it->valuestring))
        return false;
    if (nonempty && !*it->valuestring) {
        ERR(f, "empty_field", "$.%s: empty, expected a non-empty string", key);
        return false;
    }
    *out = it->valuestring;
    return true;
}

static const char ALPACA_HEAD[] =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
    "\n\n### Input:\n\n\n### Response:";

static void check_plain(AuditFile *f, const cJSON *root, bool alpaca) {
    static const char *const ALPACA_KEYS[] = {"instruction", "input", "output", NULL};
    static const char *const COMPLETION_KEYS[] = {"prompt", "completion", NULL};
    AuditRun *a = f->a;
    const cJSON *k;
    cJSON_ArrayForEach(k, root) {
        if (!in_list(k->string, alpaca ? ALPACA_KEYS : COMPLETION_KEYS))
            WARN(f, "unknown_key", "$.%s: unrecognized key, ignored (expected %s)", k->string,
                 alpaca ? "instruction, input and output" : "prompt and completion");
    }
    const char *p1, *p2 = "", *ans;
    bool ok;
    if (alpaca) {
        ok = plain_field(f, root, "instruction", true, true, &p1);
        ok &= plain_field(f, root, "input", false, false, &p2);
        ok &= plain_field(f, root, "output", true, true, &ans);
    } else {
        ok = plain_field(f, root, "prompt", true, false, &p1);
        ok &= plain_field(f, root, "completion", true, true, &ans);
    }
    if (!ok)
        return;
    Rec rec = {.messages = 2};
    if (a->tok) {
        DatasetSeq seq;
        TpError e = {0};
        TpStatus st = alpaca ? dataset_format_alpaca(a->tok, p1, p2, ans, &seq, &e)
                             : dataset_format_completion(a->tok, p1, ans, &seq, &e);
        if (st != TP_OK) {
            ERR(f, "template", "cannot format this example: %s", e.msg);
            return;
        }
        rec.tokens = seq.n;
        rec.assistant_tokens = seq_loss_count(&seq);
        rec.exact = true;
        rec.keep = seq_keeps(&seq, a->o.pilot_seq);
        dataset_seq_free(&seq);
    } else {
        rec.assistant_tokens = audit_approx_tokens(ans);
        rec.tokens = audit_approx_tokens(p1) + audit_approx_tokens(p2) + rec.assistant_tokens + 1 +
                     (alpaca ? audit_approx_tokens(ALPACA_HEAD) : 0);
        rec.keep = true;
    }
    Texts t;
    texts_init(&t);
    tp_buf_puts(&t.full, p1);
    tp_buf_append(&t.full, "\x1f", 1);
    tp_buf_puts(&t.full, p2);
    tp_buf_append(&t.full, "\x1f", 1);
    tp_buf_puts(&t.full, ans);
    audit_norm_append(&t.norm, p1);
    audit_norm_append(&t.norm, p2);
    audit_norm_append(&t.norm, ans);
    audit_norm_append(&t.prompt, p1);
    audit_norm_append(&t.prompt, p2);
    audit_norm_append(&t.answer, ans);
    keep_rec(f, &rec, &t);
    texts_free(&t);
}

/* Parses one line; NULL (with the error recorded when report) when it is not JSON. */
static cJSON *parse_line(AuditFile *f, const char *text, size_t len, bool report) {
    JsonlProblem p;
    cJSON *root = jsonl_parse(text, len, 0, &p);
    if (!root && report) {
        if (p.column)
            ERR(f, p.kind, "column %zu: %s", p.column, p.msg);
        else
            ERR(f, p.kind, "%s", p.msg);
    }
    return root;
}

static void check_line(AuditFile *f, const char *text, size_t len) {
    cJSON *root = parse_line(f, text, len, true);
    if (!root)
        return;
    int d = jsonl_detect(root);
    if (!cJSON_IsObject(root)) {
        ERR(f, "not_object", "expected a JSON object, got %s", tp_json_type_name(root));
    } else if (d < 0 && f->format == DATASET_CHAT) {
        ERR(f, "missing_messages", "$.messages: missing, expected an array of messages");
    } else if (d < 0 && f->format >= 0) {
        ERR(f, "missing_field", "$: none of the expected keys, expected %s",
            jsonl_format_title(f->format));
    } else if (d < 0) {
        ERR(f, "unrecognized_record",
            "unrecognised record, expected {\"messages\": [...]} (chat), {\"instruction\", "
            "\"output\"} (Alpaca) or {\"prompt\", \"completion\"}");
    } else if (d != f->format) {
        ERR(f, "mixed_format", "%s in a %s file (most records are %s), expected one format",
            jsonl_format_title(d), dataset_format_name((DatasetFormat)f->format),
            jsonl_format_title(f->format));
    } else if (d == DATASET_CHAT) {
        check_chat(f, root);
    } else {
        check_plain(f, root, d == DATASET_ALPACA);
    }
    cJSON_Delete(root);
}

/* Calls fn on each non-blank line (numbers in f->line); returns the count. */
static int each_line(AuditFile *f, const char *data, size_t len,
                     void (*fn)(AuditFile *, const char *, size_t), int *n_lines) {
    int records = 0;
    JsonlReader rd;
    JsonlLine ln;
    jsonl_reader_init(&rd, data, len);
    f->line = 0;
    while (jsonl_next(&rd, &ln)) {
        f->line = ln.line;
        if (ln.blank)
            continue;
        records++;
        fn(f, ln.text, ln.len);
    }
    if (n_lines)
        *n_lines = f->line;
    return records;
}

/* The first pass counts the formats. */
typedef struct Votes {
    int n[3], first[3];
} Votes;

static void vote_line(AuditFile *f, const char *text, size_t len) {
    Votes *v = f->votes;
    cJSON *root = parse_line(f, text, len, false);
    int d = jsonl_detect(root);
    if (d >= 0 && v->n[d]++ == 0)
        v->first[d] = f->line;
    cJSON_Delete(root);
}

TpStatus audit_read_set(AuditRun *a, const char *path, RecSet *out, int *n_lines, int *n_records,
                        int *format, TpError *err) {
    char *data = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(
        path, a->o.max_file_bytes ? a->o.max_file_bytes : DATASET_MAX_FILE_BYTES, &data, &len, err);
    if (st != TP_OK)
        return st;
    Votes v = {{0, 0, 0}, {0, 0, 0}};
    AuditFile f = {.a = a, .path = path, .format = -1, .votes = &v};
    each_line(&f, data, len, vote_line, NULL);
    for (int k = 0; k < 3; k++)
        if (v.n[k] > 0 && (f.format < 0 || v.n[k] > v.n[f.format] ||
                           (v.n[k] == v.n[f.format] && v.first[k] < v.first[f.format])))
            f.format = k;
    f.recs = out;
    *n_records = each_line(&f, data, len, check_line, n_lines);
    *format = f.format;
    free(data);
    f.line = 0;
    if (*n_records == 0)
        ERR(&f, "empty_file", "no records, expected JSON Lines (one JSON object per line)");
    if (f.n_no_system > 0)
        audit_issue(a, AUDIT_WARNING, "no_system", path, f.first_no_system, 0,
                    "%d of %d examples have no system message (the first at this line)",
                    f.n_no_system, f.n_chat);
    if (f.n_no_user > 0)
        audit_issue(a, AUDIT_WARNING, "no_user", path, f.first_no_user, 0,
                    "%d of %d examples have no user message (the first at this line)", f.n_no_user,
                    f.n_chat);
    return TP_OK;
}
