/* audit_similar.c - the audit's near-duplicate and leakage search: text
 * normalised and hashed, MinHash signatures over word bigrams, LSH bands to
 * find candidates in linear time, then exact duplicates, near duplicates,
 * conflicting answers and leakage between files or across the pilot's
 * split. See audit.h for what each check reports. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/audit_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/utf8.h"

/* --- text: hashing, normalising, approximate tokens, MinHash ------------------------- */

uint64_t audit_hash_str(uint64_t h, const char *s) {
    return tp_hash_bytes(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Appends the normalised form of s: ASCII letters lowercased; each run of other
 * ASCII characters (not letters or digits) is one space; non-ASCII bytes are
 * kept. No leading or trailing space, and one space before s when b has text. */
void audit_norm_append(TpBuf *b, const char *s) {
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

int audit_word_count(const char *norm) {
    if (!norm || !*norm)
        return 0;
    int n = 1;
    for (const char *p = norm; *p; p++)
        n += *p == ' ';
    return n;
}

/* ceil(ASCII bytes / 4) + one per non-ASCII character. */
int audit_approx_tokens(const char *s) {
    size_t ascii = 0, other = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p < 0x80)
            ascii++;
        else if (!tp_utf8_is_cont(*p))
            other++;
    }
    return (int)((ascii + 3) / 4 + other);
}

/* The MinHash functions: fixed odd multipliers and offsets, the same in every
 * run (signatures are compared only within one audit). */
void audit_minhash_init(AuditRun *a) {
    for (int k = 0; k < MH_K; k++) {
        a->mh_a[k] = tp_hash_mix64(0x5EEDULL * 2 * (uint64_t)k + 1) | 1;
        a->mh_b[k] = tp_hash_mix64(0xB0B0ULL + (uint64_t)k);
    }
}

/* MinHash over the word bigrams (one word: the word itself); NULL without words. */
uint32_t *audit_minhash(const AuditRun *a, const char *norm) {
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
        uint64_t w = tp_hash_mix64(tp_hash_bytes(TP_HASH_INIT, p, len));
        words++;
        /* a bigram with the previous word; a lone word stands for itself */
        bool emit = words > 1 || !e;
        uint64_t sh = words > 1 ? tp_hash_mix64(prev * 31 + w) : w;
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

/* --- record index by hash ------------------------------------------------------------ */

/* The record index stored under key, -1 when none is. */
static int map_get(const TpU64Map *m, uint64_t key) {
    int64_t v;
    return tp_u64map_get(m, key, &v) ? (int)v : -1;
}

/* --- LSH over MinHash signatures ------------------------------------------------------- */

typedef struct Lsh {
    TpU64Map heads; /* band key -> first node */
    int *node_item, *node_next;
    int n_nodes;
    const Rec *recs; /* items index this array */
    int *stamp;      /* per item: the last query that saw it */
    int query;
} Lsh;

static uint64_t band_key(const uint32_t *sig, int band) {
    uint64_t h = tp_hash_mix64((uint64_t)band + 1);
    for (int r = 0; r < MH_ROWS; r++)
        h = tp_hash_mix64(h ^ sig[band * MH_ROWS + r]);
    return h;
}

static void lsh_init(Lsh *l, const Rec *recs, int n_recs) {
    memset(l, 0, sizeof *l);
    tp_u64map_init(&l->heads, (size_t)n_recs * MH_BANDS);
    l->node_item = tp_xmalloc((size_t)(n_recs > 0 ? n_recs : 1) * MH_BANDS * sizeof(int));
    l->node_next = tp_xmalloc((size_t)(n_recs > 0 ? n_recs : 1) * MH_BANDS * sizeof(int));
    l->stamp = tp_xcalloc((size_t)(n_recs > 0 ? n_recs : 1), sizeof(int));
    l->recs = recs;
}

static void lsh_free(Lsh *l) {
    tp_u64map_free(&l->heads);
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
        int node = l->n_nodes++;
        l->node_item[node] = item;
        l->node_next[node] = map_get(&l->heads, key);
        tp_u64map_put(&l->heads, key, node, true);
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

/* --- duplicates, conflicts and leakage ---------------------------------------------------- */

void audit_check_duplicates(AuditRun *a, RecSet *s) {
    AuditResult *r = a->r;
    TpU64Map full, prompt;
    tp_u64map_init(&full, (size_t)s->n);
    tp_u64map_init(&prompt, (size_t)s->n);
    Lsh l;
    lsh_init(&l, s->v, s->n);
    for (int i = 0; i < s->n; i++) {
        Rec *e = &s->v[i];
        int j = map_get(&full, e->full_hash);
        if (j >= 0) {
            e->dup_of = s->v[j].line;
            r->n_duplicates++;
            audit_issue(a, AUDIT_WARNING, "duplicate", r->path, e->line, e->dup_of,
                        "identical to line %d", e->dup_of);
        } else {
            tp_u64map_put(&full, e->full_hash, i, false);
            double sim;
            int k = lsh_best(&l, e->sig, r->near_threshold, &sim);
            if (k >= 0) {
                e->near_of = s->v[k].line;
                r->n_near_duplicates++;
                audit_issue(a, AUDIT_WARNING, "near_duplicate", r->path, e->line, e->near_of,
                            "near-duplicate of line %d (similarity %.2f)", e->near_of, sim);
            }
            lsh_add(&l, i);
        }
        if (e->has_prompt) {
            j = map_get(&prompt, e->prompt_hash);
            if (j < 0) {
                tp_u64map_put(&prompt, e->prompt_hash, i, false);
            } else if (s->v[j].answer_hash != e->answer_hash) {
                e->conflict_of = s->v[j].line;
                r->n_conflicts++;
                audit_issue(a, AUDIT_WARNING, "conflicting_answer", r->path, e->line,
                            e->conflict_of, "same prompt as line %d with a different answer",
                            e->conflict_of);
            }
        }
    }
    lsh_free(&l);
    tp_u64map_free(&full);
    tp_u64map_free(&prompt);
}

void audit_check_leaks(AuditRun *a, RecSet *train, const int *tr, int n_tr, RecSet *query,
                       const int *q, int n_q, const char *qpath, const char *what) {
    AuditResult *r = a->r;
    TpU64Map full, prompt;
    tp_u64map_init(&full, (size_t)n_tr);
    tp_u64map_init(&prompt, (size_t)n_tr);
    Lsh l;
    lsh_init(&l, train->v, train->n);
    for (int i = 0; i < n_tr; i++) {
        const Rec *e = &train->v[tr[i]];
        tp_u64map_put(&full, e->full_hash, tr[i], false);
        if (e->has_prompt)
            tp_u64map_put(&prompt, e->prompt_hash, tr[i], false);
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
            audit_issue(a, AUDIT_WARNING, "leakage", qpath, e->line, train->v[j].line,
                        "%s %s training line %d (similarity %.2f)", what, how, train->v[j].line,
                        sim);
        else
            audit_issue(a, AUDIT_WARNING, "leakage", qpath, e->line, train->v[j].line,
                        "%s %s training line %d", what, how, train->v[j].line);
    }
    lsh_free(&l);
    tp_u64map_free(&full);
    tp_u64map_free(&prompt);
}
