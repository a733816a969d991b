/* queue.c - M/M/c waiting times and lognormal latency mixtures.
 *
 * M/M/c (Erlang C): Poisson arrivals at rate lambda, c servers each with
 * exponential service at rate mu, offered load a = lambda/mu. The
 * probability of waiting is C(c, a) = B / (1 - (a/c)(1 - B)) with B the
 * Erlang B blocking probability from the recursion B_k = a B_{k-1} /
 * (k + a B_{k-1}), B_0 = 1, and the waiting time satisfies
 * P(Wq > t) = C exp(-(c mu - lambda) t) (Kleinrock, Queueing Systems I,
 * 1975, sec. 3.5; Gross & Harris, Fundamentals of Queueing Theory, 2.3). */
#include <math.h>

#include "tunepilot/cost.h"

double cost_erlang_c(int c, double a) {
    if (c <= 0 || a >= c)
        return 1.0;
    if (a <= 0)
        return 0.0;
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b / (1.0 - (a / c) * (1.0 - b));
}

double cost_mmc_wait_quantile_s(int c, double lambda, double mu, double q) {
    if (lambda <= 0)
        return 0.0;
    if (mu <= 0 || lambda >= c * mu)
        return INFINITY;
    double pw = cost_erlang_c(c, lambda / mu);
    if (pw <= 1.0 - q)
        return 0.0;
    return log(pw / (1.0 - q)) / (c * mu - lambda);
}

/* z of the 95th percentile of the standard normal. */
#define Z95 1.6448536269514722

static double mixture_cdf(int n, const double *w, const double *p50, const double *p95, double x) {
    double f = 0;
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        double sigma = p95[i] > p50[i] && p50[i] > 0 ? log(p95[i] / p50[i]) / Z95 : 0;
        double cdf;
        if (p50[i] <= 0)
            cdf = 1.0;
        else if (sigma <= 0)
            cdf = x >= p50[i] ? 1.0 : 0.0;
        else
            cdf = 0.5 * erfc(-(log(x) - log(p50[i])) / (sigma * M_SQRT2));
        f += w[i] * cdf;
    }
    return f;
}

double cost_lognormal_mixture_quantile(int n, const double *w, const double *p50,
                                       const double *p95, double q) {
    double lo = INFINITY, hi = 0, total = 0;
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        total += w[i];
        if (p50[i] < lo)
            lo = p50[i];
        if (p95[i] > hi)
            hi = p95[i];
    }
    if (total <= 0 || !isfinite(lo))
        return 0;
    if (lo <= 0)
        lo = 1e-9;
    lo /= 100;
    hi = hi * 100 + 1e-9;
    q *= total;
    /* bisection in log space: 200 halvings of a ratio < 1e12 is far below
     * double precision */
    for (int it = 0; it < 200 && hi / lo > 1 + 1e-13; it++) {
        double mid = sqrt(lo * hi);
        if (mixture_cdf(n, w, p50, p95, mid) < q)
            lo = mid;
        else
            hi = mid;
    }
    return sqrt(lo * hi);
}

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

double cost_quantile(double *x, int n, double p) {
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
