/* audit.c - `tunepilot data check` (see audit.h): the entry points, issues,
 * token-count distributions and outliers, labels, the pilot's split and the
 * hosted fine-tune cost. Reading and checking each record is in
 * audit_records.c, the near-duplicate and leakage search in audit_similar.c,
 * the JSON form in audit_json.c. */
#include "tunepilot/audit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/audit_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/limits.h"
#include "tunepilot/rng.h"

/* --- issues ---------------------------------------------------------------------- */

void audit_issue(AuditRun *a, AuditSeverity sev, const char *check, const char *file, int line,
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

static void check_lengths(AuditRun *a, RecSet *s) {
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
            audit_issue(a, AUDIT_WARNING, "over_limit", r->path, e->line, 0,
                        "%d tokens, over the limit of %d: the example will be truncated", e->tokens,
                        r->seq);
        }
        if (n >= MIN_FOR_OUTLIERS && (e->tokens < r->outlier_low || e->tokens > r->outlier_high)) {
            r->n_outliers++;
            r->examples[i].outlier = true;
            audit_issue(a, AUDIT_WARNING, "length_outlier", r->path, e->line, 0,
                        "%d tokens, outside [%.1f, %.1f] (Q1 - 1.5 IQR, Q3 + 1.5 IQR; median %.0f)",
                        e->tokens, r->outlier_low, r->outlier_high, r->tokens.median);
        }
    }
    if (n > 0 && n < 10)
        audit_issue(a, AUDIT_WARNING, "too_few_examples", r->path, 0, 0,
                    "%d example%s: OpenAI needs at least 10 and sees gains from 50-100", n,
                    n == 1 ? "" : "s");
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

static void check_labels(AuditRun *a, RecSet *s) {
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
            audit_issue(a, AUDIT_WARNING, "label_imbalance", r->path, 0, 0,
                        "label \"%.60s\" is %.0f%% of the answers (%d of %d), over 60%%: the model "
                        "learns to answer it by default",
                        L->label, 100.0 * L->count / n, L->count, n);
        } else if (r->n_labels > 1 && L->count < mean / 10) {
            L->flagged = true;
            audit_issue(
                a, AUDIT_WARNING, "label_imbalance", r->path, 0, 0,
                "label \"%.60s\" has %d example%s, under a tenth of the mean %.1f per label",
                L->label, L->count, L->count == 1 ? "" : "s", mean);
        }
    }
}

/* Flags each query example that repeats a training one. */

/* dataset_load's split (ld_split) over the examples it would keep. */
static void split_like_pilot(AuditRun *a, RecSet *s) {
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
    audit_check_leaks(a, s, tr, n_tr, s, ev, n_ev, r->path, "held-out example (the pilot's split)");
    free(kept);
    free(tr);
    free(ev);
}

static void estimate_costs(AuditRun *a, const Pricing *p) {
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
    AuditRun a = {.r = out, .tok = tok};
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
    audit_minhash_init(&a);
    out->path = tp_xstrdup(path);
    out->eval_path = a.o.eval_path ? tp_xstrdup(a.o.eval_path) : NULL;
    out->seq = a.o.seq;
    out->near_threshold = a.o.near_threshold;
    out->eval_split = a.o.eval_split;
    out->seed = a.o.seed;
    out->exact_tokens = tok != NULL;
    out->format = "unknown";
    if (tok)
        dataset_template_init(&a.tpl, tok);
    RecSet data = {0}, eval = {0};
    int format = -1, ev_lines = 0, ev_records = 0, ev_format = -1;
    TpStatus st =
        audit_read_set(&a, out->path, &data, &out->n_lines, &out->n_records, &format, err);
    if (st == TP_OK && out->eval_path)
        st = audit_read_set(&a, out->eval_path, &eval, &ev_lines, &ev_records, &ev_format, err);
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
        audit_check_duplicates(&a, &data);
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
            audit_check_leaks(&a, &data, tr, data.n, &eval, q, eval.n, out->eval_path,
                              "eval example");
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
        dataset_template_free(&a.tpl);
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
