/* stats.c - quantiles of a sample, shared by the cost engine's Monte Carlo
 * and the latency probe. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/stats.h"

/* k-th smallest of x[0..n-1] (0-based) by quickselect; reorders x. */
static double select_kth(double *x, int n, int k) {
    int l = 0, r = n - 1;
    while (l < r) {
        double pivot = x[l + (r - l) / 2];
        int i = l, j = r;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            r = j;
        else if (k >= i)
            l = i;
        else
            return x[k];
    }
    return x[k];
}

/* Exact order statistics by bucketing: one pass counts values into
 * NBINS equal-width bins between min and max, the cumulative counts locate
 * the bin holding each wanted rank, and only that bin's values are gathered
 * and selected. Linear in n with cheap steps; x is not reordered. */
#define NBINS 2048
#define TP_QUANTILES_SMALL 512 /* samples up to this size: plain selection */

typedef struct Bins {
    double mn, scale;
    int count[NBINS + 1];
} Bins;

static int bin_of(const Bins *b, double v) {
    int i = (int)((v - b->mn) * b->scale);
    return i < 0 ? 0 : i > NBINS ? NBINS : i;
}

void tp_quantiles3(double *x, int n, double p_lo, double p_mid, double p_hi, double out[3]) {
    if (n <= 0) {
        out[0] = out[1] = out[2] = NAN;
        return;
    }
    double mn = x[0], mx = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < mn)
            mn = x[i];
        if (x[i] > mx)
            mx = x[i];
    }
    if (mn == mx || !isfinite(mn) || !isfinite(mx) || n <= TP_QUANTILES_SMALL) {
        if (mn == mx) { /* a constant series: nothing to select */
            out[0] = out[1] = out[2] = mn;
            return;
        }
        /* infinities, or a sample too small for the bins to pay off (zeroing
         * and scanning them costs the same whatever n): plain selection,
         * the same order statistics */
        out[0] = tp_quantile(x, n, p_lo);
        out[1] = tp_quantile(x, n, p_mid);
        out[2] = tp_quantile(x, n, p_hi);
        return;
    }
    static _Thread_local Bins b;
    b.mn = mn;
    b.scale = NBINS / (mx - mn);
    memset(b.count, 0, sizeof b.count);
    for (int i = 0; i < n; i++)
        b.count[bin_of(&b, x[i])]++;
    /* ranks wanted: floor(h) and floor(h)+1 for each quantile */
    double ps[3] = {p_lo, p_mid, p_hi}, h[3];
    int rank[6], bin[6], below[6];
    for (int j = 0; j < 3; j++) {
        h[j] = (n - 1) * ps[j];
        rank[2 * j] = (int)floor(h[j]);
        rank[2 * j + 1] = rank[2 * j] + 1 < n ? rank[2 * j] + 1 : rank[2 * j];
    }
    for (int r = 0; r < 6; r++) {
        int bi = 0, acc = 0;
        while (acc + b.count[bi] <= rank[r])
            acc += b.count[bi++];
        bin[r] = bi;
        below[r] = acc;
    }
    /* one pass gathers the values of every wanted bin, grouped by bin */
    int ubin[6], ustart[6], ufill[6], nu = 0, total = 0;
    for (int r = 0; r < 6; r++) {
        int seen = 0;
        for (int u = 0; u < nu; u++)
            seen |= ubin[u] == bin[r];
        if (!seen) {
            ubin[nu] = bin[r];
            ustart[nu] = ufill[nu] = total;
            total += b.count[bin[r]];
            nu++;
        }
    }
    double *scratch = tp_xmalloc(sizeof *scratch * (size_t)(total ? total : 1));
    for (int i = 0; i < n; i++) {
        int bi = bin_of(&b, x[i]);
        for (int u = 0; u < nu; u++)
            if (bi == ubin[u]) {
                scratch[ufill[u]++] = x[i];
                break;
            }
    }
    double v[6];
    for (int r = 0; r < 6; r++) {
        int u = 0;
        while (ubin[u] != bin[r])
            u++;
        v[r] = select_kth(scratch + ustart[u], b.count[bin[r]], rank[r] - below[r]);
    }
    for (int j = 0; j < 3; j++)
        out[j] = v[2 * j] + (h[j] - rank[2 * j]) * (v[2 * j + 1] - v[2 * j]);
    free(scratch);
}

double tp_quantile(double *x, int n, double p) {
    if (n <= 0)
        return NAN;
    double h = (n - 1) * p;
    int k = (int)floor(h);
    if (k >= n - 1)
        return select_kth(x, n, n - 1);
    double a = select_kth(x, n, k);
    /* after selection, x[k+1..] are all >= a: the next order statistic is
     * their minimum */
    double b = x[k + 1];
    for (int i = k + 2; i < n; i++)
        if (x[i] < b)
            b = x[i];
    return a + (h - k) * (b - a);
}
