/* eval_score.c - exact match, labels with a confusion table, JSON fields and
 * token F1, each with a 95% interval (see eval.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/eval.h"

#define Z95 1.959963984540054 /* the 97.5th percentile of the standard normal */

const char *eval_kind_name(EvalKind k) {
    return k == EVAL_KIND_LABEL ? "label" : k == EVAL_KIND_JSON ? "json" : "text";
}

void eval_normalize(const char *s, char *out, size_t n) {
    if (!n)
        return;
    size_t o = 0;
    bool space = false;
    while (*s && isspace((unsigned char)*s))
        s++;
    for (; *s && o + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c)) {
            space = true;
            continue;
        }
        if (space && o > 0 && o + 1 < n)
            out[o++] = ' ';
        space = false;
        if (o + 1 < n)
            out[o++] = (char)(c < 128 ? tolower(c) : c);
    }
    while (o > 0 && (out[o - 1] == '.' || out[o - 1] == '!' || out[o - 1] == '?'))
        o--;
    out[o] = '\0';
}

EvalInterval eval_wilson(int k, int n) {
    EvalInterval r = {NAN, NAN, NAN};
    if (n <= 0)
        return r;
    double p = (double)k / n, z2 = Z95 * Z95;
    double centre = (p + z2 / (2.0 * n)) / (1 + z2 / n);
    double half = Z95 * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
    r.value = p;
    r.lo = k == 0 || centre - half < 0 ? 0 : centre - half; /* exact at the ends */
    r.hi = k == n || centre + half > 1 ? 1 : centre + half;
    return r;
}

/* The mean of x[n] with a normal 95% interval (clamped to [0, 1]). */
static EvalInterval mean_interval(const double *x, int n) {
    EvalInterval r = {NAN, NAN, NAN};
    if (n <= 0)
        return r;
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    double m = sum / n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    double se = n > 1 ? sqrt(ss / (n - 1) / n) : 0;
    r.value = m;
    r.lo = m - Z95 * se < 0 ? 0 : m - Z95 * se;
    r.hi = m + Z95 * se > 1 ? 1 : m + Z95 * se;
    return r;
}

/* Splits normalised text into tokens (in place): returns their count. */
static int tokens(char *s, char **tok, int cap) {
    int n = 0;
    for (char *t = strtok(s, " "); t && n < cap; t = strtok(NULL, " "))
        tok[n++] = t;
    return n;
}

double eval_token_f1(const char *answer, const char *reference) {
    size_t la = strlen(answer) + 1, lr = strlen(reference) + 1;
    char *a = tp_xmalloc(la), *r = tp_xmalloc(lr);
    eval_normalize(answer, a, la);
    eval_normalize(reference, r, lr);
    int ca = (int)(la / 2 + 1), cr = (int)(lr / 2 + 1);
    char **ta = tp_xmalloc((size_t)ca * sizeof *ta), **tr = tp_xmalloc((size_t)cr * sizeof *tr);
    int na = tokens(a, ta, ca), nr = tokens(r, tr, cr);
    double f1;
    if (na == 0 || nr == 0) {
        f1 = na == nr ? 1 : 0; /* both empty: a match */
    } else {
        /* common tokens as multisets: each reference token matched at most once */
        bool *used = tp_xcalloc((size_t)nr, sizeof *used);
        int common = 0;
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nr; j++)
                if (!used[j] && !strcmp(ta[i], tr[j])) {
                    used[j] = true;
                    common++;
                    break;
                }
        free(used);
        double prec = (double)common / na, rec = (double)common / nr;
        f1 = common ? 2 * prec * rec / (prec + rec) : 0;
    }
    free(a);
    free(r);
    free(ta);
    free(tr);
    return f1;
}

static cJSON *parse_object(const char *s) {
    if (!s)
        return NULL;
    /* answers often wrap JSON in a ```json fence */
    const char *b = strchr(s, '{'), *e = strrchr(s, '}');
    if (!b || !e || e < b)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(b, (size_t)(e - b + 1));
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

EvalKind eval_kind_of(const EvalSet *set) {
    if (set->n_held == 0)
        return EVAL_KIND_TEXT;
    bool all_json = true;
    for (int i = 0; i < set->n_held && all_json; i++) {
        cJSON *j = cJSON_Parse(set->held[i].reference);
        all_json = cJSON_IsObject(j);
        cJSON_Delete(j);
    }
    if (all_json)
        return EVAL_KIND_JSON;
    char(*seen)[TP_MAX_LABEL_BYTES + 1] = tp_xcalloc(EVAL_MAX_LABELS, sizeof *seen);
    int n = 0;
    bool labels = true;
    for (int i = 0; i < set->n_held && labels; i++) {
        const char *ref = set->held[i].reference;
        char norm[TP_MAX_LABEL_BYTES + 2];
        if (strlen(ref) > TP_MAX_LABEL_BYTES || strchr(ref, '\n')) {
            labels = false;
            break;
        }
        eval_normalize(ref, norm, sizeof norm);
        int k = 0;
        while (k < n && strcmp(seen[k], norm))
            k++;
        if (k == n) {
            if (n == EVAL_MAX_LABELS)
                labels = false;
            else
                snprintf(seen[n++], TP_MAX_LABEL_BYTES + 1, "%s", norm);
        }
    }
    free(seen);
    /* at least two examples a label on average: otherwise these are short answers */
    return labels && set->n_held >= 2 * n ? EVAL_KIND_LABEL : EVAL_KIND_TEXT;
}

void eval_score(const EvalSet *set, char *const *answers, EvalScores *out) {
    memset(out, 0, sizeof *out);
    out->kind = eval_kind_of(set);
    int n = set->n_held, exact = 0, valid = 0;
    double *f1 = tp_xcalloc((size_t)n + 1, sizeof *f1);
    double *fields = tp_xcalloc((size_t)n + 1, sizeof *fields);
    if (out->kind == EVAL_KIND_LABEL) {
        out->labels = tp_xcalloc(EVAL_MAX_LABELS, sizeof *out->labels);
        for (int i = 0; i < n; i++) {
            char norm[TP_MAX_LABEL_BYTES + 2];
            eval_normalize(set->held[i].reference, norm, sizeof norm);
            int k = 0;
            while (k < out->n_labels && strcmp(out->labels[k], norm))
                k++;
            if (k == out->n_labels)
                out->labels[out->n_labels++] = tp_xstrdup(norm);
        }
        out->confusion =
            tp_xcalloc((size_t)out->n_labels * (size_t)(out->n_labels + 1), sizeof(int));
    }
    for (int i = 0; i < n; i++) {
        const char *ref = set->held[i].reference, *ans = answers[i];
        size_t lr = strlen(ref) + 1, la = ans ? strlen(ans) + 1 : 1;
        char *nr = tp_xmalloc(lr), *na = tp_xmalloc(la);
        eval_normalize(ref, nr, lr);
        eval_normalize(ans ? ans : "", na, la);
        bool hit = ans && !strcmp(nr, na);
        exact += hit;
        f1[i] = ans ? eval_token_f1(ans, ref) : 0;
        if (out->kind == EVAL_KIND_LABEL) {
            int r = 0, a = out->n_labels;
            while (r < out->n_labels && strcmp(out->labels[r], nr))
                r++;
            for (int k = 0; ans && k < out->n_labels; k++)
                if (!strcmp(out->labels[k], na))
                    a = k;
            out->confusion[r * (out->n_labels + 1) + a]++;
        } else if (out->kind == EVAL_KIND_JSON) {
            cJSON *rj = cJSON_Parse(ref), *aj = parse_object(ans);
            valid += aj != NULL;
            int nf = cJSON_GetArraySize(rj), same = 0;
            const cJSON *f;
            cJSON_ArrayForEach(f, rj) {
                const cJSON *g = aj ? cJSON_GetObjectItemCaseSensitive(aj, f->string) : NULL;
                same += g && cJSON_Compare(f, g, true);
            }
            fields[i] = nf ? (double)same / nf : (aj ? 1 : 0);
            cJSON_Delete(rj);
            cJSON_Delete(aj);
        }
        free(nr);
        free(na);
    }
    out->n = n;
    out->exact = eval_wilson(exact, n);
    out->f1 = mean_interval(f1, n);
    if (out->kind == EVAL_KIND_JSON) {
        out->json_valid = eval_wilson(valid, n);
        out->json_fields = mean_interval(fields, n);
    } else {
        out->json_valid.value = out->json_valid.lo = out->json_valid.hi = NAN;
        out->json_fields = out->json_valid;
    }
    free(f1);
    free(fields);
}

void eval_scores_free(EvalScores *s) {
    if (!s)
        return;
    for (int i = 0; i < s->n_labels; i++)
        free(s->labels[i]);
    free(s->labels);
    free(s->confusion);
    memset(s, 0, sizeof *s);
}
