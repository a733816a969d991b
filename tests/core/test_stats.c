/* test_stats.c - quantiles (stats.h), the one rule every quantile in the
 * project goes through (the cost engine's Monte Carlo, the latency probe,
 * remote evals): numpy's default ("linear") rule. */
#include "tp_test.h"

#include <math.h>
#include <stdlib.h>

#include "tunepilot/rng.h"
#include "tunepilot/stats.h"

/* numpy.quantile(range(1, 11), [0.1, 0.5, 0.9]) = [1.9, 5.5, 9.1] */
static void test_quantile_matches_numpy(void **state) {
    (void)state;
    double x[10] = {7, 3, 10, 1, 9, 2, 8, 5, 6, 4};
    assert_close(tp_quantile(x, 10, 0.1), 1.9, 1e-12);
    assert_close(tp_quantile(x, 10, 0.5), 5.5, 1e-12);
    assert_close(tp_quantile(x, 10, 0.9), 9.1, 1e-12);
    /* numpy.quantile([1, 2, 3, 4], 0.95) = 3 + 0.85 * (4 - 3) = 3.85 */
    double y[4] = {4, 1, 3, 2};
    assert_close(tp_quantile(y, 4, 0.95), 3.85, 1e-12);
    assert_close(tp_quantile(y, 4, 0), 1, 0);
    assert_close(tp_quantile(y, 4, 1), 4, 0);
    double one[1] = {42};
    assert_close(tp_quantile(one, 1, 0.9), 42, 0);
    /* no sample, no quantile */
    assert_true(isnan(tp_quantile(one, 0, 0.5)));
    double q[3];
    tp_quantiles3(one, 0, 0.1, 0.5, 0.9, q);
    assert_true(isnan(q[0]) && isnan(q[1]) && isnan(q[2]));
}

/* The bucketed three-at-once selection gives what three plain selections
 * give, on samples with repeats, a constant one and infinities. */
static void test_quantiles3_agrees(void **state) {
    (void)state;
    TpRng r;
    tp_rng_seed(&r, 7);
    for (int trial = 0; trial < 40; trial++) {
        int n = 1 + (int)(tp_rng_next(&r) % 5000);
        double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
        assert_non_null(x);
        assert_non_null(y);
        for (int i = 0; i < n; i++) {
            double u = tp_rng_uniform(&r);
            x[i] = trial % 4 == 0   ? floor(u * 10)               /* many repeats */
                   : trial % 4 == 1 ? 3.5                          /* constant */
                   : trial % 4 == 2 ? exp(20 * u)                  /* wide range */
                                    : (i == 0 ? INFINITY : u - 0.5); /* an infinity */
        }
        double q[3], p[3] = {0.10, 0.50, 0.90};
        for (int i = 0; i < n; i++)
            y[i] = x[i];
        tp_quantiles3(x, n, p[0], p[1], p[2], q);
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < n; i++)
                x[i] = y[i];
            double want = tp_quantile(x, n, p[k]);
            if (isinf(want))
                assert_true(q[k] == want);
            else
                assert_close(q[k], want, 1e-12 * fabs(want));
        }
        free(x);
        free(y);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_quantile_matches_numpy),
                                       cmocka_unit_test(test_quantiles3_agrees)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
