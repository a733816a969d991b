/* stats.h - quantiles of a sample (core: no policy, no I/O).
 *
 * Both functions reorder x in place and allocate nothing the caller frees.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_STATS_H
#define TUNEPILOT_STATS_H

/* Value of the p-quantile (0..1) of x[0..n-1] by the nearest-rank-with-
 * interpolation rule of numpy's default ("linear"); NAN when n <= 0. */
double tp_quantile(double *x, int n, double p);

/* Three quantiles (p_lo <= p_mid <= p_hi) at once, same rule, linear in n
 * (bucketed selection); NAN when n <= 0. */
void tp_quantiles3(double *x, int n, double p_lo, double p_mid, double p_hi, double out[3]);

#endif
