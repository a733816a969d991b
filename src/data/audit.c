/* audit.c - `tunepilot data check` (see audit.h): reading and checking each
 * record, token counts, distributions, duplicates, conflicts, labels, leakage
 * and the hosted fine-tune cost. The JSON form is in audit_json.c. */
#include "tunepilot/audit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/limits.h"
#include "tunepilot/rng.h"

#define MH_K 64     /* MinHash functions */
#define MH_BANDS 16 /* LSH bands of MH_ROWS rows */
#define MH_ROWS 4
#define MH_MAX_CANDIDATES 256
#define MIN_FOR_OUTLIERS 10
#define MIN_FOR_LABELS 10
#define MAX_LABELS 50

/* One record without errors. */
typedef struct Rec {
    int line;
    int tokens, assistant_tokens, messages;
    bool exact; /* tokens from the tokenizer's formatting */
    bool keep;  /* dataset_load would keep it (a loss token survives the pilot's cut) */
    uint64_t full_hash, prompt_hash, answer_hash;
    bool has_prompt;
    char *label;   /* normalised final answer of <= AUDIT_LABEL_MAX_WORDS words, else NULL */
    uint32_t *sig; /* MinHash signature (MH_K values), NULL for a text without words */
    int dup_of, near_of, conflict_of; /* lines, 0 none */
    bool held_out;
} Rec;

typedef struct RecSet {
    Rec *v;
    int n, cap;
} RecSet;

/* The audit in progress. */
typedef struct Au {
    AuditResult *r;
    AuditOptions o;
    const Tokenizer *tok;
    DsTemplate tpl;
    int cap_issues, cap_checks;
    uint64_t mh_a[MH_K], mh_b[MH_K];
} Au;

/* Reading one file. */
typedef struct Fl {
    Au *a;
    const char *path; /* owned by the result */
    int line;
    int format; /* DatasetFormat, or -1 when no record was recognised */
    RecSet *recs;
    struct Votes *votes; /* the first pass: formats seen */
    int n_no_system, first_no_system, n_no_user, first_no_user, n_chat;
} Fl;

/* --- issues ---------------------------------------------------------------------- */

static void issue(Au *a, AuditSeverity sev, const char *check, const char *file, int line,
                  int other, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void issue(Au *a, AuditSeverity sev, const char *check, const char *file, int line,
                  int other, const char *fmt, ...) {
    AuditResult *r = a->r;
    AuditCheckCount *c = NULL;
    for (int i = 0; i < r->n_checks && !c; i++)
        if (!strcmp(r->checks[i].check, check))
            c = &r->checks[i];
    if (!c) {
        if (r->n_checks == a->cap_checks) {
            a->cap_checks = a->cap_checks ? 2 * a->cap_checks : 16;
            r->checks = tp_xrealloc(r->checks, (size_t)a->cap_checks * sizeof *r->checks);
        }
        c = &r->checks[r->n_checks++];
        *c = (AuditCheckCount){check, sev, 0};
    }
    c->count++;
    if (sev == AUDIT_ERROR)
        r->n_errors++;
    else
        r->n_warnings++;
    if (c->count > a->o.max_issues_per_check)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->n_issues == a->cap_issues) {
        a->cap_issues = a->cap_issues ? 2 * a->cap_issues : 32;
        r->issues = tp_xrealloc(r->issues, (size_t)a->cap_issues * sizeof *r->issues);
    }
    r->issues[r->n_issues++] = (AuditIssue){sev, check, file, line, other, tp_xstrdup(msg)};
}

#define ERR(f, check, ...) issue((f)->a, AUDIT_ERROR, check, (f)->path, (f)->line, 0, __VA_ARGS__)
#define WARN(f, check, ...)                                                                        \
    issue((f)->a, AUDIT_WARNING, check, (f)->path, (f)->line, 0, __VA_ARGS__)

/* --- text: hashing, normalising, approximate tokens, MinHash ------------------------- */

static uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001B3ULL;
    }
    return h;
}

#define HASH_INIT 0xCBF29CE484222325ULL

static uint64_t hash_str(uint64_t h, const char *s) {
    return hash_bytes(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Appends the normalised form of s: ASCII letters lowercased; each run of other
 * ASCII characters (not letters or digits) is one space; non-ASCII bytes are
 * kept. No leading or trailing space, and one space before s when b has text. */
static void norm_append(TpBuf *b, const char *s) {
    size_t n = strlen(s);
    if (n == 0)
        return;
    /* at most one byte out per byte in, plus the separating space: room
     * first, then the bytes written directly (one call per text, not per
     * byte: 100 MB texts) */
    tp_buf_append(b, s, n + 1);
    b->len -= n + 1;
    char *out = b->data + b->len;
    bool space = b->len > 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        bool word =
            c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!word) {
            space = out > b->data;
            continue;
        }
        if (space) {
            *out++ = ' ';
            space = false;
        }
        *out++ = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    b->len = (size_t)(out - b->data);
    b->data[b->len] = '\0';
}

static int word_count(const char *norm) {
    if (!norm || !*norm)
        return 0;
    int n = 1;
    for (const char *p = norm; *p; p++)
        n += *p == ' ';
    return n;
}

/* ceil(ASCII bytes / 4) + one per non-ASCII character. */
static int approx_tokens(const char *s) {
    size_t ascii = 0, other = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p < 0x80)
            ascii++;
        else if ((*p & 0xC0) != 0x80)
            other++;
    }
    return (int)((ascii + 3) / 4 + other);
}

/* MinHash over the word bigrams (one word: the word itself); NULL without words. */
static uint32_t *minhash(const Au *a, const char *norm) {
    if (!norm || !*norm)
        return NULL;
    uint32_t *sig = tp_xmalloc(MH_K * sizeof *sig);
    for (int k = 0; k < MH_K; k++)
        sig[k] = UINT32_MAX;
    const char *p = norm;
    uint64_t prev = 0;
    int words = 0;
    for (;;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        uint64_t w = mix64(hash_bytes(HASH_INIT, p, len));
        words++;
        /* a bigram with the previous word; a lone word stands for itself */
        bool emit = words > 1 || !e;
        uint64_t sh = words > 1 ? mix64(prev * 31 + w) : w;
        for (int k = 0; emit && k < MH_K; k++) {
            uint32_t v = (uint32_t)((a->mh_a[k] * sh + a->mh_b[k]) >> 32);
            if (v < sig[k])
                sig[k] = v;
        }
        prev = w;
        if (!e)
            break;
        p = e + 1;
    }
    return sig;
}

static double sig_similarity(const uint32_t *x, const uint32_t *y) {
    int same = 0;
    for (int k = 0; k < MH_K; k++)
        same += x[k] == y[k];
    return (double)same / MH_K;
}

/* --- small hash maps: uint64 -> int ------------------------------------------------- */

typedef struct Map {
    uint64_t *keys;
    int *vals; /* -1 empty */
    size_t cap;
} Map;

static void map_init(Map *m, size_t n) {
    m->cap = 16;
    while (m->cap < 2 * n + 1)
        m->cap *= 2;
    m->keys = tp_xcalloc(m->cap, sizeof *m->keys);
    m->vals = tp_xmalloc(m->cap * sizeof *m->vals);
    for (size_t i = 0; i < m->cap; i++)
        m->vals[i] = -1;
}

static void map_free(Map *m) {
    free(m->keys);
    free(m->vals);
}

/* The slot of key (empty when absent). */
static size_t map_slot(const Map *m, uint64_t key) {
    size_t i = (size_t)mix64(key) & (m->cap - 1);
    while (m->vals[i] >= 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int map_get(const Map *m, uint64_t key) {
    return m->vals[map_slot(m, key)];
}

/* Inserts key -> v unless key is present. (Capacity is sized for every insert.) */
static void map_put(Map *m, uint64_t key, int v) {
    size_t i = map_slot(m, key);
    if (m->vals[i] < 0) {
        m->keys[i] = key;
        m->vals[i] = v;
    }
}

/* --- LSH over MinHash signatures ------------------------------------------------------- */

typedef struct Lsh {
    Map heads; /* band key -> first node */
    int *node_item, *node_next;
    int n_nodes;
    const Rec *recs; /* items index this array */
    int *stamp;      /* per item: the last query that saw it */
    int query;
} Lsh;

static uint64_t band_key(const uint32_t *sig, int band) {
    uint64_t h = mix64((uint64_t)band + 1);
    for (int r = 0; r < MH_ROWS; r++)
        h = mix64(h ^ sig[band * MH_ROWS + r]);
    return h;
}

static void lsh_init(Lsh *l, const Rec *recs, int n_recs) {
    memset(l, 0, sizeof *l);
    map_init(&l->heads, (size_t)n_recs * MH_BANDS);
    l->node_item = tp_xmalloc((size_t)(n_recs > 0 ? n_recs : 1) * MH_BANDS * sizeof(int));
    l->node_next = tp_xmalloc((size_t)(n_recs > 0 ? n_recs : 1) * MH_BANDS * sizeof(int));
    l->stamp = tp_xcalloc((size_t)(n_recs > 0 ? n_recs : 1), sizeof(int));
    l->recs = recs;
}

static void lsh_free(Lsh *l) {
    map_free(&l->heads);
    free(l->node_item);
    free(l->node_next);
    free(l->stamp);
}

static void lsh_add(Lsh *l, int item) {
    const uint32_t *sig = l->recs[item].sig;
    if (!sig)
        return;
    for (int b = 0; b < MH_BANDS; b++) {
        uint64_t key = band_key(sig, b);
        size_t slot = map_slot(&l->heads, key);
        int node = l->n_nodes++;
        l->node_item[node] = item;
        l->node_next[node] = l->heads.vals[slot];
        l->heads.keys[slot] = key;
        l->heads.vals[slot] = node;
    }
}

/* The most similar item added so far with similarity >= threshold (earliest
 * on ties), or -1; *sim its similarity. */
static int lsh_best(Lsh *l, const uint32_t *sig, double threshold, double *sim) {
    int best = -1, checked = 0;
    double best_sim = 0;
    if (!sig)
        return -1;
    l->query++;
    for (int b = 0; b < MH_BANDS && checked < MH_MAX_CANDIDATES; b++) {
        for (int node = map_get(&l->heads, band_key(sig, b));
             node >= 0 && checked < MH_MAX_CANDIDATES; node = l->node_next[node]) {
            int it = l->node_item[node];
            if (l->stamp[it] == l->query)
                continue;
            l->stamp[it] = l->query;
            checked++;
            double s = sig_similarity(sig, l->recs[it].sig);
            if (s >= threshold && (s > best_sim || (s == best_sim && it < best))) {
                best = it;
                best_sim = s;
            }
        }
    }
    *sim = best_sim;
    return best;
}

/* --- one record ------------------------------------------------------------------------ */

static const cJSON *field(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return it && !cJSON_IsNull(it) ? it : NULL;
}

static bool utf8_ok(Fl *f, const char *path, const char *s) {
    size_t bad = 0;
    if (ds_utf8_valid(s, strlen(s), &bad))
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
static void keep_rec(Fl *f, Rec *rec, Texts *t) {
    Au *a = f->a;
    rec->line = f->line;
    rec->full_hash = hash_bytes(HASH_INIT, bufs(&t->full), t->full.len);
    rec->has_prompt = t->prompt.len > 0;
    rec->prompt_hash = hash_str(HASH_INIT, bufs(&t->prompt));
    rec->answer_hash = hash_str(HASH_INIT, bufs(&t->answer));
    int words = word_count(bufs(&t->answer));
    rec->label = words > 0 && words <= AUDIT_LABEL_MAX_WORDS ? tp_xstrdup(bufs(&t->answer)) : NULL;
    rec->sig = minhash(a, bufs(&t->norm));
    RecSet *s = f->recs;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = tp_xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    s->v[s->n++] = *rec;
}

/* Whether a loss token survives the pilot's truncation (see ld_keep). */
static bool seq_keeps(const DsSeq *s, int pilot_seq) {
    int n = pilot_seq > 0 && s->n > pilot_seq ? pilot_seq : s->n;
    for (int i = 1; i < n; i++)
        if (s->loss[i])
            return true;
    return false;
}

static int seq_loss_count(const DsSeq *s) {
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
        n = approx_tokens(s);
    free(ids);
    return n;
}

static int text_tokens(const Au *a, const char *s) {
    return a->tok ? encode_count(a->tok, s) : approx_tokens(s);
}

static void check_chat(Fl *f, const cJSON *root) {
    static const char *const MSG_KEYS[] = {"role",          "content",    "name",         "weight",
                                           "function_call", "tool_calls", "tool_call_id", NULL};
    static const char *const CALL_KEYS[] = {"function_call", "tool_calls", "tool_call_id", NULL};
    Au *a = f->a;
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
    DsMsg *m = tp_xcalloc((size_t)n, sizeof *m);
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
                m[idx].role = DS_SYSTEM;
                system = true;
            } else if (!strcmp(rs, "user")) {
                m[idx].role = DS_USER;
                user = true;
            } else if (!strcmp(rs, "assistant")) {
                m[idx].role = DS_ASSISTANT;
                assistant = true;
            } else if (!strcmp(rs, "function") || !strcmp(rs, "tool")) {
                WARN(f, "unsupported",
                     "%s.role: \"%s\" messages: OpenAI accepts them, tunepilot's pilot does not",
                     path, rs);
                m[idx].role = DS_USER;
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
        DsSeq seq;
        TpError e = {0};
        if (ds_format_chat(a->tok, &a->tpl, m, n, false, &seq, &e) != TP_OK) {
            ERR(f, "template", "the model's %s chat template cannot format this example: %s",
                a->tpl.name, e.msg);
            bad = true;
        } else {
            rec.tokens = seq.n;
            rec.assistant_tokens = seq_loss_count(&seq);
            rec.exact = true;
            rec.keep = seq_keeps(&seq, a->o.pilot_seq);
            ds_seq_free(&seq);
        }
    } else if (!bad) {
        rec.tokens = 3;
        for (int j = 0; j < n; j++) {
            int t = text_tokens(a, content[j] ? content[j] : "");
            rec.tokens += 3 + t + (has_name[j] ? 1 : 0);
            if (m[j].role == DS_ASSISTANT)
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
            if (m[j].role == DS_ASSISTANT)
                final = j;
        const cJSON *mj = msgs->child; /* walked alongside j: GetArrayItem is O(j) */
        for (int j = 0; j < n; j++, mj = mj ? mj->next : NULL) {
            const cJSON *role = field(mj, "role");
            const char *rname = cJSON_IsString(role) ? role->valuestring : "";
            tp_buf_puts(&t.full, rname);
            tp_buf_append(&t.full, "\x1f", 1);
            tp_buf_puts(&t.full, content[j]);
            tp_buf_printf(&t.full, "%c%d%c", 0x1f, m[j].loss, 0x1e);
            norm_append(&t.norm, content[j]);
            if (j < final) {
                norm_append(&t.prompt, rname);
                norm_append(&t.prompt, content[j]);
            }
        }
        if (final >= 0)
            norm_append(&t.answer, content[final]);
        keep_rec(f, &rec, &t);
        texts_free(&t);
    }
    free(m);
    free(content);
    free(has_name);
}

/* A string field of an Alpaca or completion record. */
static bool plain_field(Fl *f, const cJSON *root, const char *key, bool required, bool nonempty,
                        const char **out) {
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

static void check_plain(Fl *f, const cJSON *root, bool alpaca) {
    static const char *const ALPACA_KEYS[] = {"instruction", "input", "output", NULL};
    static const char *const COMPLETION_KEYS[] = {"prompt", "completion", NULL};
    Au *a = f->a;
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
        DsSeq seq;
        TpError e = {0};
        TpStatus st = alpaca ? ds_format_alpaca(a->tok, p1, p2, ans, &seq, &e)
                             : ds_format_completion(a->tok, p1, ans, &seq, &e);
        if (st != TP_OK) {
            ERR(f, "template", "cannot format this example: %s", e.msg);
            return;
        }
        rec.tokens = seq.n;
        rec.assistant_tokens = seq_loss_count(&seq);
        rec.exact = true;
        rec.keep = seq_keeps(&seq, a->o.pilot_seq);
        ds_seq_free(&seq);
    } else {
        rec.assistant_tokens = approx_tokens(ans);
        rec.tokens = approx_tokens(p1) + approx_tokens(p2) + rec.assistant_tokens + 1 +
                     (alpaca ? approx_tokens(ALPACA_HEAD) : 0);
        rec.keep = true;
    }
    Texts t;
    texts_init(&t);
    tp_buf_puts(&t.full, p1);
    tp_buf_append(&t.full, "\x1f", 1);
    tp_buf_puts(&t.full, p2);
    tp_buf_append(&t.full, "\x1f", 1);
    tp_buf_puts(&t.full, ans);
    norm_append(&t.norm, p1);
    norm_append(&t.norm, p2);
    norm_append(&t.norm, ans);
    norm_append(&t.prompt, p1);
    norm_append(&t.prompt, p2);
    norm_append(&t.answer, ans);
    keep_rec(f, &rec, &t);
    texts_free(&t);
}

/* Parses one line; NULL (with the error recorded when report) when it is not JSON. */
static cJSON *parse_line(Fl *f, const char *text, size_t len, bool report) {
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

static void check_line(Fl *f, const char *text, size_t len) {
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
static int each_line(Fl *f, const char *data, size_t len, void (*fn)(Fl *, const char *, size_t),
                     int *n_lines) {
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

static void vote_line(Fl *f, const char *text, size_t len) {
    Votes *v = f->votes;
    cJSON *root = parse_line(f, text, len, false);
    int d = jsonl_detect(root);
    if (d >= 0 && v->n[d]++ == 0)
        v->first[d] = f->line;
    cJSON_Delete(root);
}

static TpStatus read_set(Au *a, const char *path, RecSet *out, int *n_lines, int *n_records,
                         int *format, TpError *err) {
    char *data = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(
        path, a->o.max_file_bytes ? a->o.max_file_bytes : DATASET_MAX_FILE_BYTES, &data, &len, err);
    if (st != TP_OK)
        return st;
    Votes v = {{0, 0, 0}, {0, 0, 0}};
    Fl f = {.a = a, .path = path, .format = -1, .votes = &v};
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
        issue(a, AUDIT_WARNING, "no_system", path, f.first_no_system, 0,
              "%d of %d examples have no system message (the first at this line)", f.n_no_system,
              f.n_chat);
    if (f.n_no_user > 0)
        issue(a, AUDIT_WARNING, "no_user", path, f.first_no_user, 0,
              "%d of %d examples have no user message (the first at this line)", f.n_no_user,
              f.n_chat);
    return TP_OK;
}

/* --- statistics ---------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* numpy.quantile's linear interpolation over sorted v[0..n). */
static double quantile(const double *v, int n, double q) {
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

static AuditStats stats_of(double *v, int n) {
    AuditStats s = {0};
    if (n <= 0)
        return s;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    s.n = n;
    s.min = v[0];
    s.max = v[n - 1];
    s.p10 = quantile(v, n, 0.1);
    s.median = quantile(v, n, 0.5);
    s.p90 = quantile(v, n, 0.9);
    s.mean = sum / n;
    return s;
}

int audit_default_epochs(int n) {
    if (n <= 0)
        return 0;
    int e = 3;
    if ((long long)n * 3 < 100)
        e = 100 / n < 25 ? 100 / n : 25;
    else if ((long long)n * 3 > 25000)
        e = 25000 / n > 1 ? 25000 / n : 1;
    return e;
}

/* --- the checks over all examples ------------------------------------------------------ */

static void check_lengths(Au *a, RecSet *s) {
    AuditResult *r = a->r;
    int n = s->n;
    double *v = tp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = s->v[i].tokens;
    r->tokens = stats_of(v, n);
    double q1 = n ? quantile(v, n, 0.25) : 0, q3 = n ? quantile(v, n, 0.75) : 0;
    for (int i = 0; i < n; i++)
        v[i] = s->v[i].assistant_tokens;
    r->assistant_tokens = stats_of(v, n);
    for (int i = 0; i < n; i++)
        v[i] = s->v[i].messages;
    r->messages = stats_of(v, n);
    free(v);
    r->outlier_low = r->outlier_high = NAN;
    if (n >= MIN_FOR_OUTLIERS) {
        r->outlier_low = q1 - 1.5 * (q3 - q1);
        r->outlier_high = q3 + 1.5 * (q3 - q1);
    }
    for (int i = 0; i < n; i++) {
        Rec *e = &s->v[i];
        r->total_tokens += e->tokens;
        r->billed_tokens += e->tokens < r->seq ? e->tokens : r->seq;
        if (e->tokens > r->seq) {
            r->n_over_limit++;
            issue(a, AUDIT_WARNING, "over_limit", r->path, e->line, 0,
                  "%d tokens, over the limit of %d: the example will be truncated", e->tokens,
                  r->seq);
        }
        if (n >= MIN_FOR_OUTLIERS && (e->tokens < r->outlier_low || e->tokens > r->outlier_high)) {
            r->n_outliers++;
            r->examples[i].outlier = true;
            issue(a, AUDIT_WARNING, "length_outlier", r->path, e->line, 0,
                  "%d tokens, outside [%.1f, %.1f] (Q1 - 1.5 IQR, Q3 + 1.5 IQR; median %.0f)",
                  e->tokens, r->outlier_low, r->outlier_high, r->tokens.median);
        }
    }
    if (n > 0 && n < 10)
        issue(a, AUDIT_WARNING, "too_few_examples", r->path, 0, 0,
              "%d example%s: OpenAI needs at least 10 and sees gains from 50-100", n,
              n == 1 ? "" : "s");
}

static void check_duplicates(Au *a, RecSet *s) {
    AuditResult *r = a->r;
    Map full, prompt;
    map_init(&full, (size_t)s->n);
    map_init(&prompt, (size_t)s->n);
    Lsh l;
    lsh_init(&l, s->v, s->n);
    for (int i = 0; i < s->n; i++) {
        Rec *e = &s->v[i];
        int j = map_get(&full, e->full_hash);
        if (j >= 0) {
            e->dup_of = s->v[j].line;
            r->n_duplicates++;
            issue(a, AUDIT_WARNING, "duplicate", r->path, e->line, e->dup_of,
                  "identical to line %d", e->dup_of);
        } else {
            map_put(&full, e->full_hash, i);
            double sim;
            int k = lsh_best(&l, e->sig, r->near_threshold, &sim);
            if (k >= 0) {
                e->near_of = s->v[k].line;
                r->n_near_duplicates++;
                issue(a, AUDIT_WARNING, "near_duplicate", r->path, e->line, e->near_of,
                      "near-duplicate of line %d (similarity %.2f)", e->near_of, sim);
            }
            lsh_add(&l, i);
        }
        if (e->has_prompt) {
            j = map_get(&prompt, e->prompt_hash);
            if (j < 0) {
                map_put(&prompt, e->prompt_hash, i);
            } else if (s->v[j].answer_hash != e->answer_hash) {
                e->conflict_of = s->v[j].line;
                r->n_conflicts++;
                issue(a, AUDIT_WARNING, "conflicting_answer", r->path, e->line, e->conflict_of,
                      "same prompt as line %d with a different answer", e->conflict_of);
            }
        }
    }
    lsh_free(&l);
    map_free(&full);
    map_free(&prompt);
}

static int cmp_str(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int cmp_label(const void *x, const void *y) {
    const AuditLabel *a = x, *b = y;
    if (a->count != b->count)
        return b->count - a->count;
    return strcmp(a->label, b->label);
}

static void check_labels(Au *a, RecSet *s) {
    AuditResult *r = a->r;
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->v[i].label != NULL;
    if (s->n < MIN_FOR_LABELS || n < 0.95 * s->n)
        return;
    char **v = tp_xmalloc((size_t)n * sizeof *v);
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].label)
            v[k++] = s->v[i].label;
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    int distinct = 0;
    for (int i = 0; i < n; i++)
        distinct += i == 0 || strcmp(v[i], v[i - 1]);
    if (distinct > MAX_LABELS || 2 * distinct > n) {
        free(v);
        return;
    }
    r->short_answer = true;
    r->labels = tp_xcalloc((size_t)distinct, sizeof *r->labels);
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(v[i], v[i - 1]))
            r->labels[r->n_labels++].label = tp_xstrdup(v[i]);
        r->labels[r->n_labels - 1].count++;
    }
    free(v);
    qsort(r->labels, (size_t)r->n_labels, sizeof *r->labels, cmp_label);
    double mean = (double)n / r->n_labels;
    for (int i = 0; i < r->n_labels; i++) {
        AuditLabel *L = &r->labels[i];
        if (L->count > 0.6 * n) {
            L->flagged = true;
            issue(a, AUDIT_WARNING, "label_imbalance", r->path, 0, 0,
                  "label \"%.60s\" is %.0f%% of the answers (%d of %d), over 60%%: the model "
                  "learns to answer it by default",
                  L->label, 100.0 * L->count / n, L->count, n);
        } else if (r->n_labels > 1 && L->count < mean / 10) {
            L->flagged = true;
            issue(a, AUDIT_WARNING, "label_imbalance", r->path, 0, 0,
                  "label \"%.60s\" has %d example%s, under a tenth of the mean %.1f per label",
                  L->label, L->count, L->count == 1 ? "" : "s", mean);
        }
    }
}

/* Flags each query example that repeats a training one. */
static void check_leaks(Au *a, RecSet *train, const int *tr, int n_tr, RecSet *query, const int *q,
                        int n_q, const char *qpath, const char *what) {
    AuditResult *r = a->r;
    Map full, prompt;
    map_init(&full, (size_t)n_tr);
    map_init(&prompt, (size_t)n_tr);
    Lsh l;
    lsh_init(&l, train->v, train->n);
    for (int i = 0; i < n_tr; i++) {
        const Rec *e = &train->v[tr[i]];
        map_put(&full, e->full_hash, tr[i]);
        if (e->has_prompt)
            map_put(&prompt, e->prompt_hash, tr[i]);
        lsh_add(&l, tr[i]);
    }
    for (int i = 0; i < n_q; i++) {
        const Rec *e = &query->v[q[i]];
        int j = map_get(&full, e->full_hash);
        double sim = 1;
        const char *how = "is identical to";
        if (j < 0 && e->has_prompt && (j = map_get(&prompt, e->prompt_hash)) >= 0)
            how = "has the same prompt as";
        if (j < 0 && (j = lsh_best(&l, e->sig, r->near_threshold, &sim)) >= 0)
            how = "is a near-duplicate of";
        if (j < 0)
            continue;
        r->n_leaks++;
        if (sim < 1)
            issue(a, AUDIT_WARNING, "leakage", qpath, e->line, train->v[j].line,
                  "%s %s training line %d (similarity %.2f)", what, how, train->v[j].line, sim);
        else
            issue(a, AUDIT_WARNING, "leakage", qpath, e->line, train->v[j].line,
                  "%s %s training line %d", what, how, train->v[j].line);
    }
    lsh_free(&l);
    map_free(&full);
    map_free(&prompt);
}

/* dataset_load's split (ld_split) over the examples it would keep. */
static void split_like_pilot(Au *a, RecSet *s) {
    AuditResult *r = a->r;
    int *kept = tp_xmalloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *kept);
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].keep)
            kept[n++] = i;
    unsigned char *is_eval = tp_xcalloc((size_t)(n > 0 ? n : 1), 1);
    jsonl_split(n, a->o.eval_split, a->o.seed, is_eval);
    for (int i = 0; i < n; i++)
        if (is_eval[i])
            s->v[kept[i]].held_out = true;
    free(is_eval);
    int *tr = tp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *tr);
    int *ev = tp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *ev);
    int n_tr = 0, n_ev = 0;
    for (int i = 0; i < n; i++) {
        if (s->v[kept[i]].held_out)
            ev[n_ev++] = kept[i];
        else
            tr[n_tr++] = kept[i];
    }
    r->n_train = n_tr;
    r->n_held_out = n_ev;
    check_leaks(a, s, tr, n_tr, s, ev, n_ev, r->path, "held-out example (the pilot's split)");
    free(kept);
    free(tr);
    free(ev);
}

static void estimate_costs(Au *a, const Pricing *p) {
    AuditResult *r = a->r;
    r->epochs = audit_default_epochs(r->n_examples);
    if (!p || p->n_finetunes == 0)
        return;
    r->costs = tp_xcalloc((size_t)p->n_finetunes, sizeof *r->costs);
    for (int i = 0; i < p->n_finetunes; i++) {
        const PricingFinetune *f = &p->finetunes[i];
        AuditCost *c = &r->costs[r->n_costs++];
        c->model = tp_xstrdup(f->id ? f->id : "");
        c->provider = tp_xstrdup(f->provider ? f->provider : "");
        c->base_model = tp_xstrdup(f->base_model ? f->base_model : "");
        c->method = tp_xstrdup(f->method ? f->method : "");
        c->training_per_mtok = f->training_per_mtok;
        c->training_per_hour = f->training_per_hour;
        c->per_hour = isnan(f->training_per_mtok);
        c->epochs = r->epochs;
        c->billed_tokens = r->billed_tokens;
        c->charged_tokens = c->per_hour ? 0 : (long long)c->epochs * r->billed_tokens;
        c->usd = c->per_hour ? NAN : (double)c->charged_tokens * f->training_per_mtok / 1e6;
    }
}

/* --- ordering the issues ------------------------------------------------------------ */

typedef struct Ord {
    int rank, line, idx;
} Ord;

static int cmp_ord(const void *x, const void *y) {
    const Ord *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank - b->rank;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->idx - b->idx;
}

static void sort_issues(AuditResult *r) {
    int n = r->n_issues;
    if (n < 2)
        return;
    Ord *o = tp_xmalloc((size_t)n * sizeof *o);
    for (int i = 0; i < n; i++)
        o[i] = (Ord){r->issues[i].file == r->path ? 0 : 1, r->issues[i].line, i};
    qsort(o, (size_t)n, sizeof *o, cmp_ord);
    AuditIssue *v = tp_xmalloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = r->issues[o[i].idx];
    free(r->issues);
    r->issues = v;
    free(o);
}

/* --- entry points -------------------------------------------------------------------- */

void audit_options_default(AuditOptions *o) {
    memset(o, 0, sizeof *o);
    o->seq = AUDIT_DEFAULT_SEQ;
    o->eval_split = 0.1;
    o->seed = 1;
    o->pilot_seq = 256;
    o->near_threshold = AUDIT_NEAR_THRESHOLD;
    o->max_issues_per_check = AUDIT_MAX_ISSUES_PER_CHECK;
}

static void recs_free(RecSet *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].label);
        free(s->v[i].sig);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

TpStatus audit_run(const char *path, const Tokenizer *tok, const AuditOptions *opt,
                   AuditResult *out, TpError *err) {
    memset(out, 0, sizeof *out);
    Au a = {.r = out, .tok = tok};
    if (opt)
        a.o = *opt;
    else
        audit_options_default(&a.o);
    if (!path)
        return tp_error_set(err, TP_EINVAL, "audit_run: expected a file path");
    if (a.o.seq == 0)
        a.o.seq = AUDIT_DEFAULT_SEQ;
    if (a.o.near_threshold == 0)
        a.o.near_threshold = AUDIT_NEAR_THRESHOLD;
    if (a.o.max_issues_per_check <= 0)
        a.o.max_issues_per_check = AUDIT_MAX_ISSUES_PER_CHECK;
    if (a.o.seq < 1)
        return tp_error_set(err, TP_EINVAL, "seq: expected a token limit of at least 1, got %d",
                            a.o.seq);
    if (a.o.pilot_seq < 0 || a.o.pilot_seq == 1)
        return tp_error_set(err, TP_EINVAL,
                            "pilot_seq: expected 0 (no limit) or at least 2 tokens, got %d",
                            a.o.pilot_seq);
    if (!(a.o.eval_split >= 0 && a.o.eval_split < 1))
        return tp_error_set(err, TP_EINVAL, "eval_split: expected a fraction in [0, 1), got %g",
                            a.o.eval_split);
    if (!(a.o.near_threshold > 0 && a.o.near_threshold <= 1))
        return tp_error_set(err, TP_EINVAL,
                            "near_threshold: expected a similarity in (0, 1], got %g",
                            a.o.near_threshold);
    for (int k = 0; k < MH_K; k++) {
        a.mh_a[k] = mix64(0x5EEDULL * 2 * (uint64_t)k + 1) | 1;
        a.mh_b[k] = mix64(0xB0B0ULL + (uint64_t)k);
    }
    out->path = tp_xstrdup(path);
    out->eval_path = a.o.eval_path ? tp_xstrdup(a.o.eval_path) : NULL;
    out->seq = a.o.seq;
    out->near_threshold = a.o.near_threshold;
    out->eval_split = a.o.eval_split;
    out->seed = a.o.seed;
    out->exact_tokens = tok != NULL;
    out->format = "unknown";
    if (tok)
        ds_template_init(&a.tpl, tok);
    RecSet data = {0}, eval = {0};
    int format = -1, ev_lines = 0, ev_records = 0, ev_format = -1;
    TpStatus st = read_set(&a, out->path, &data, &out->n_lines, &out->n_records, &format, err);
    if (st == TP_OK && out->eval_path)
        st = read_set(&a, out->eval_path, &eval, &ev_lines, &ev_records, &ev_format, err);
    if (st == TP_OK) {
        if (format >= 0)
            out->format = dataset_format_name((DatasetFormat)format);
        if (tok)
            out->template_name = format == DATASET_CHAT         ? a.tpl.name
                                 : format == DATASET_ALPACA     ? "alpaca"
                                 : format == DATASET_COMPLETION ? "completion"
                                                                : NULL;
        out->n_examples = data.n;
        out->examples = tp_xcalloc((size_t)(data.n > 0 ? data.n : 1), sizeof *out->examples);
        check_lengths(&a, &data);
        check_duplicates(&a, &data);
        check_labels(&a, &data);
        if (out->eval_path) {
            int *tr = tp_xmalloc((size_t)(data.n > 0 ? data.n : 1) * sizeof *tr);
            int *q = tp_xmalloc((size_t)(eval.n > 0 ? eval.n : 1) * sizeof *q);
            for (int i = 0; i < data.n; i++)
                tr[i] = i;
            for (int i = 0; i < eval.n; i++)
                q[i] = i;
            out->n_train = data.n;
            out->n_held_out = eval.n;
            check_leaks(&a, &data, tr, data.n, &eval, q, eval.n, out->eval_path, "eval example");
            free(tr);
            free(q);
        } else {
            out->leak_from_split = true;
            split_like_pilot(&a, &data);
        }
        estimate_costs(&a, a.o.pricing);
        for (int i = 0; i < data.n; i++) {
            const Rec *e = &data.v[i];
            AuditExample *x = &out->examples[i];
            x->line = e->line;
            x->tokens = e->tokens;
            x->assistant_tokens = e->assistant_tokens;
            x->messages = e->messages;
            x->exact_tokens = e->exact;
            x->over_limit = e->tokens > out->seq;
            x->duplicate_of = e->dup_of;
            x->near_duplicate_of = e->near_of;
            x->conflicts_with = e->conflict_of;
            x->held_out = e->held_out;
        }
        sort_issues(out);
    }
    recs_free(&data);
    recs_free(&eval);
    if (tok)
        ds_template_free(&a.tpl);
    if (st != TP_OK)
        audit_free(out);
    return st;
}

void audit_free(AuditResult *r) {
    if (!r)
        return;
    for (int i = 0; i < r->n_issues; i++)
        free(r->issues[i].message);
    free(r->issues);
    free(r->checks);
    free(r->examples);
    for (int i = 0; i < r->n_labels; i++)
        free(r->labels[i].label);
    free(r->labels);
    for (int i = 0; i < r->n_costs; i++) {
        free(r->costs[i].model);
        free(r->costs[i].provider);
        free(r->costs[i].base_model);
        free(r->costs[i].method);
    }
    free(r->costs);
    free(r->path);
    free(r->eval_path);
    memset(r, 0, sizeof *r);
}
