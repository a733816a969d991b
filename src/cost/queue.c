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
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"

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

/* Mixture quantile by bisection on y = ln(x), where component i has CDF
 * Phi((y - mu_i) / sigma_i): log and sigma are computed once per component,
 * so each step costs one erfc per component. */
#define MAX_COMPONENTS 64

double cost_lognormal_mixture_quantile(int n, const double *w, const double *p50,
                                       const double *p95, double q) {
    double mu[MAX_COMPONENTS], inv[MAX_COMPONENTS], wt[MAX_COMPONENTS];
    double lo = INFINITY, hi = -INFINITY, total = 0;
    int m = 0;
    for (int i = 0; i < n && m < MAX_COMPONENTS; i++) {
        if (w[i] <= 0 || p50[i] <= 0)
            continue;
        double sigma = p95[i] > p50[i] ? log(p95[i] / p50[i]) / Z95 : 0;
        mu[m] = log(p50[i]);
        inv[m] = sigma > 0 ? 1.0 / (sigma * M_SQRT2) : INFINITY;
        wt[m] = w[i];
        total += w[i];
        double top = sigma > 0 ? mu[m] + 8 * sigma : mu[m];
        if (mu[m] - 8 * sigma < lo)
            lo = mu[m] - 8 * sigma;
        if (top > hi)
            hi = top;
        m++;
    }
    if (m == 0)
        return 0;
    q *= total;
    lo -= 1e-9;
    hi += 1e-9;
    /* Safeguarded Newton on y = ln(x): a Newton step when it stays inside
     * the bracket, else bisection. 1e-9 in ln(x) is a relative error of
     * 1e-9 in x. */
    double y = 0.5 * (lo + hi);
    for (int it = 0; it < 200 && hi - lo > 1e-9; it++) {
        double f = 0, fp = 0;
        for (int i = 0; i < m; i++) {
            if (isinf(inv[i])) {
                f += wt[i] * (y >= mu[i] ? 1.0 : 0.0);
                continue;
            }
            double z = (y - mu[i]) * inv[i];
            f += wt[i] * 0.5 * erfc(-z);
            fp += wt[i] * inv[i] * M_2_SQRTPI * 0.5 * exp(-z * z);
        }
        if (f < q)
            lo = y;
        else
            hi = y;
        double next = fp > 0 ? y - (f - q) / fp : lo - 1;
        if (next <= lo || next >= hi)
            next = 0.5 * (lo + hi);
        else if (fabs(next - y) < 1e-10)
            return exp(next);
        y = next;
    }
    return exp(y);
}
