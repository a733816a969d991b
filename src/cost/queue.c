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

/* Up to this many servers Erlang B comes from its recursion (c steps, exact
 * to rounding); above it from the integral below, in constant time. */
#define ERLANG_RECURSION_MAX 256

/* 10-point Gauss-Legendre rule on [-1, 1], the positive half (the rule is
 * symmetric): nodes are the roots of P_10, weights 2 / ((1 - x^2) P_10'(x)^2)
 * (Abramowitz & Stegun, Handbook of Mathematical Functions, 1964, 25.4.29
 * and table 25.4), computed here by Newton's method in 40-digit decimals. */
static const double GL10[5][2] = {
    {0.14887433898163121571, 0.29552422471475287002},
    {0.43339539412924721340, 0.26926671930999634963},
    {0.67940956829902443559, 0.21908636251598204159},
    {0.86506336668898453635, 0.14945134915058058689},
    {0.97390652851717174343, 0.06667134430868813799},
};

/* Panel width in units of the bell's width (below): 2 keeps the measured
 * error at 2e-13 (1 gives the same, 3 gives 1.5e-12, 4 gives 3e-10). */
#define PANEL 2.0

/* ln(1 / B(c, a)) from Jagerman's integral representation (D. L. Jagerman,
 * "Some properties of the Erlang loss function", Bell System Technical
 * Journal 53(3), 1974, with u = a t):
 *     1 / B(c, a) = integral over u >= 0 of exp(h(u)),
 *     h(u) = -u + c ln(1 + u / a)
 * (expand (1 + u/a)^c and integrate term by term: sum_j c!/((c-j)! a^j),
 * the reciprocal of the recursion's result). h is concave with its peak at
 * u* = max(c - a, 0), where h'' = -1/c for c > a: the integrand is a bell of
 * width sqrt(c) (or the scale of its decay from 0 when a > c), integrated
 * by 10-point Gauss-Legendre panels PANEL widths wide from u* - 10 sqrt(c)
 * (or 0) until it falls below e^-46 of its peak. Measured against the
 * recursion in long double, the relative error stays under 1e-12
 * (tests/cost/test_cost.c). Works in logarithms so nothing overflows; about
 * 60 exp/log1p pairs whatever c is. */
static double log_inv_erlang_b(double c, double a) {
    double peak = c > a ? c - a : 0;
    double width = PANEL * sqrt(c > 1 ? c : 1);
    if (a > c && PANEL * a / (a - c) < width) /* decays from u = 0 with slope c/a - 1 */
        width = PANEL * a / (a - c);
    double hp = -peak + c * log1p(peak / a);
    double start = peak - 10 * width / PANEL;
    if (start < 0)
        start = 0;
    double sum = 0;
    for (int panel = 0; panel < 400; panel++) {
        double lo = start + panel * width, mid = lo + width / 2, half = width / 2;
        for (int i = 0; i < 5; i++) {
            double d = half * GL10[i][0];
            double u1 = mid - d, u2 = mid + d;
            sum += GL10[i][1] * half *
                   (exp(-u1 + c * log1p(u1 / a) - hp) + exp(-u2 + c * log1p(u2 / a) - hp));
        }
        double end = lo + width;
        if (end > peak && -end + c * log1p(end / a) - hp < -46)
            break;
    }
    return hp + log(sum);
}

double cost_erlang_b(int c, double a) {
    if (a <= 0)
        return c <= 0 ? 1.0 : 0.0;
    if (c <= 0)
        return 1.0;
    if (c <= ERLANG_RECURSION_MAX) {
        double b = 1.0;
        for (int k = 1; k <= c; k++)
            b = a * b / (k + a * b);
        return b;
    }
    return exp(-log_inv_erlang_b(c, a));
}

double cost_erlang_c(int c, double a) {
    if (c <= 0 || a >= c)
        return 1.0;
    if (a <= 0)
        return 0.0;
    double b = cost_erlang_b(c, a);
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

double cost_lognormal_mixture_quantile(int n, const double *w, const double *p50, const double *p95,
                                       double q) {
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
