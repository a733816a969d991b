/* audit_impl.h - what the audit's files share (audit.c: issues, statistics,
 * lengths, labels, the split, costs and the entry points; audit_records.c:
 * reading and checking each record; audit_similar.c: text hashing, MinHash
 * and the near-duplicate, conflict and leakage search). Private to src/data. */
#ifndef TP_AUDIT_IMPL_H
#define TP_AUDIT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset_impl.h"
#include "tunepilot/audit.h"
#include "tunepilot/buf.h"

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
typedef struct AuditRun {
    AuditResult *r;
    AuditOptions o;
    const Tokenizer *tok;
    DatasetTemplate tpl;
    int cap_issues, cap_checks;
    uint64_t mh_a[MH_K], mh_b[MH_K];
} AuditRun;

/* Reading one file. */
typedef struct AuditFile {
    AuditRun *a;
    const char *path; /* owned by the result */
    int line;
    int format; /* DatasetFormat, or -1 when no record was recognised */
    RecSet *recs;
    struct Votes *votes; /* the first pass: formats seen */
    int n_no_system, first_no_system, n_no_user, first_no_user, n_chat;
} AuditFile;

/* --- issues (audit.c) ----------------------------------------------------------- */

/* Counts an issue of `check` and keeps its message while the check has fewer
 * than max_issues_per_check. */
void audit_issue(AuditRun *a, AuditSeverity sev, const char *check, const char *file, int line,
                 int other, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define ERR(f, check, ...)                                                                         \
    audit_issue((f)->a, AUDIT_ERROR, check, (f)->path, (f)->line, 0, __VA_ARGS__)
#define WARN(f, check, ...)                                                                        \
    audit_issue((f)->a, AUDIT_WARNING, check, (f)->path, (f)->line, 0, __VA_ARGS__)

/* --- text (audit_similar.c) ----------------------------------------------------------- */

/* FNV-1a (tp_hash_bytes) over s and its NUL (the NUL separates fields). */
uint64_t audit_hash_str(uint64_t h, const char *s);
/* Appends s normalised (see audit_similar.c). */
void audit_norm_append(TpBuf *b, const char *s);
int audit_word_count(const char *norm);
/* ceil(ASCII bytes / 4) + one per non-ASCII character. */
int audit_approx_tokens(const char *s);
/* Sets a's MinHash functions (before the first audit_minhash). */
void audit_minhash_init(AuditRun *a);
/* MinHash signature of a normalised text (MH_K values; the caller frees
 * it), NULL for a text without words. */
uint32_t *audit_minhash(const AuditRun *a, const char *norm);

/* --- the search over all examples (audit_similar.c) ------------------------------------ */

/* Exact and near duplicates and conflicting answers within a set. */
void audit_check_duplicates(AuditRun *a, RecSet *s);
/* Examples of query (indices q) that repeat or nearly repeat one of train
 * (indices tr): leakage into qpath, each named `what`. */
void audit_check_leaks(AuditRun *a, RecSet *train, const int *tr, int n_tr, RecSet *query,
                       const int *q, int n_q, const char *qpath, const char *what);

/* --- reading a file (audit_records.c) ----------------------------------------------------- */

/* Reads and checks every record of path into out (issues recorded in a). */
TpStatus audit_read_set(AuditRun *a, const char *path, RecSet *out, int *n_lines, int *n_records,
                        int *format, TpError *err);

#endif
