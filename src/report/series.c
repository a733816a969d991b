/* series.c - chart data shared by the workbench and the reports. See series.h. */
#include "tunepilot/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"

void series_ema(const double *x, const double *y, int n, double w, double *out) {
    bool smooth = isfinite(w) && w > 0.0 && w < 1.0;
    bool first = true;
    double ema = 0.0;
    for (int i = 0; i < n; i++) {
        double xi = x ? x[i] : (double)i, yi = y[i];
        if (!isfinite(xi) || !isfinite(yi)) {
            out[i] = NAN;
            continue;
        }
        ema = (first || !smooth) ? yi : w * ema + (1.0 - w) * yi;
        first = false;
        out[i] = ema;
    }
}

/* Heckbert's nice number: 1, 2, 5 or 10 times a power of ten, near x
 * (rounded) or at least x (not rounded). */
static double nice_num(double x, bool round) {
    double e = floor(log10(x)), p = pow(10.0, e), f = x / p, nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * p;
}

int series_nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step) {
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi == lo) {
        double pad = lo != 0.0 ? fabs(lo) * 0.5 : 1.0;
        lo -= pad;
        hi += pad;
    }
    if (target < 2)
        target = 2;
    double range = nice_num(hi - lo, false);
    double d = nice_num(range / (target - 1), true);
    double g0 = floor(lo / d) * d, g1 = ceil(hi / d) * d;
    int n = 0;
    for (int k = 0; n < max; k++) {
        double t = g0 + k * d;
        if (t > g1 + 0.5 * d)
            break;
        /* snap values like 0.30000000000000004 to the decimal the step implies */
        double q = pow(10.0, floor(log10(d)) - 1);
        ticks[n++] = round(t / q) * q;
    }
    if (step)
        *step = d;
    return n;
}

/* --- cost ------------------------------------------------------------------------ */

void series_cost_build(const CostProjection *p, SeriesCost *out) {
    memset(out, 0, sizeof *out);
    int n = p->n_options, h = p->horizon_months, np = h + 1;
    out->n_options = n;
    out->n_points = np;
    out->x = tp_xcalloc((size_t)np, sizeof *out->x);
    out->cum = tp_xcalloc((size_t)n + 1, sizeof *out->cum);
    for (int m = 0; m < np; m++)
        out->x[m] = m;
    if (p->uncertain) {
        out->cum_p10 = tp_xcalloc((size_t)n + 1, sizeof *out->cum_p10);
        out->cum_p90 = tp_xcalloc((size_t)n + 1, sizeof *out->cum_p90);
    }
    for (int i = 0; i < n; i++) {
        const CostOptionResult *r = &p->options[i];
        out->cum[i] = tp_xcalloc((size_t)np, sizeof(double));
        out->cum[i][0] = r->one_time_usd;
        for (int m = 0; m < h; m++)
            out->cum[i][m + 1] = r->cumulative_cost_usd[m];
        if (p->uncertain && r->q_cumulative_cost_usd) {
            out->cum_p10[i] = tp_xcalloc((size_t)np, sizeof(double));
            out->cum_p90[i] = tp_xcalloc((size_t)np, sizeof(double));
            out->cum_p10[i][0] = r->q_one_time_usd.p10;
            out->cum_p90[i][0] = r->q_one_time_usd.p90;
            for (int m = 0; m < h; m++) {
                out->cum_p10[i][m + 1] = r->q_cumulative_cost_usd[m].p10;
                out->cum_p90[i][m + 1] = r->q_cumulative_cost_usd[m].p90;
            }
        }
    }
    /* the cheapest feasible option, else the cheapest (cost_cheapest) */
    out->best = cost_cheapest(p, true);
    if (out->best < 0)
        out->best = cost_cheapest(p, false);
    out->marks = tp_xcalloc((size_t)n * (size_t)n + 1, sizeof *out->marks);
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            int m = a == b ? 0 : p->options[a].break_even_month[b];
            if (m > 0 && m <= h)
                out->marks[out->n_marks++] = (SeriesMark){m, out->cum[a][m], a, b};
        }
}

void series_cost_free(SeriesCost *s) {
    if (!s)
        return;
    for (int i = 0; i < s->n_options; i++) {
        free(s->cum[i]);
        if (s->cum_p10) {
            free(s->cum_p10[i]);
            free(s->cum_p90[i]);
        }
    }
    free(s->cum);
    free(s->cum_p10);
    free(s->cum_p90);
    free(s->x);
    free(s->marks);
    memset(s, 0, sizeof *s);
}

/* --- runs ------------------------------------------------------------------------ */

void series_run_build(const StoreMetric *m, int nm, const StoreEval *e, int ne, double smooth,
                      SeriesRun *out) {
    memset(out, 0, sizeof *out);
    if (nm < 0)
        nm = 0;
    if (ne < 0)
        ne = 0;
    size_t n1 = (size_t)nm + 1;
    out->n = nm;
    out->smooth = smooth;
    out->step = tp_xcalloc(n1, sizeof(double));
    out->loss = tp_xcalloc(n1, sizeof(double));
    out->loss_smooth = tp_xcalloc(n1, sizeof(double));
    out->lr = tp_xcalloc(n1, sizeof(double));
    out->grad_norm = tp_xcalloc(n1, sizeof(double));
    out->tokens_per_s = tp_xcalloc(n1, sizeof(double));
    for (int i = 0; i < nm; i++) {
        out->step[i] = (double)m[i].step;
        out->loss[i] = m[i].loss;
        out->lr[i] = m[i].lr;
        out->grad_norm[i] = m[i].grad_norm;
        out->tokens_per_s[i] = m[i].tokens_per_s;
    }
    series_ema(out->step, out->loss, nm, smooth, out->loss_smooth);
    out->eval_step = tp_xcalloc((size_t)ne + 1, sizeof(double));
    out->eval_loss = tp_xcalloc((size_t)ne + 1, sizeof(double));
    out->base_loss = out->tuned_loss = out->base_accuracy = out->tuned_accuracy = NAN;
    for (int i = 0; i < ne; i++) {
        bool base = !strcmp(e[i].kind, "base"), tuned = !strcmp(e[i].kind, "tuned");
        if (!base && !tuned && strcmp(e[i].kind, "eval"))
            continue;
        out->eval_step[out->n_eval] = (double)e[i].step;
        out->eval_loss[out->n_eval++] = e[i].loss;
        if (base) {
            out->have_base = true;
            out->base_loss = e[i].loss;
            out->base_accuracy = e[i].accuracy;
        } else if (tuned) {
            out->have_tuned = true;
            out->tuned_loss = e[i].loss;
            out->tuned_accuracy = e[i].accuracy;
        }
    }
}

void series_run_free(SeriesRun *s) {
    if (!s)
        return;
    free(s->step);
    free(s->loss);
    free(s->loss_smooth);
    free(s->lr);
    free(s->grad_norm);
    free(s->tokens_per_s);
    free(s->eval_step);
    free(s->eval_loss);
    memset(s, 0, sizeof *s);
}
