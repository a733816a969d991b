/* test_nf4_bf16.c - the bf16 NF4 products (nf4.h, "bf16 compute") against a
 * double-precision reference, at edge shapes, with 1 and 2 threads; the
 * rounding to bf16; the choice of compute type and the fp32 fallback.
 *
 * The tolerance, derived from bf16's 8 significant bits. Each operand a_k
 * (the input, fp32) and b_k (the dequantized weight, fp32) is rounded to
 * nearest bf16: a' = a (1 + d1), b' = b (1 + d2) with |d| <= u = 2^-8 (half
 * an ulp of 1.0 in a format with 7 stored mantissa bits). The product a'b'
 * has at most 16 significant bits, so it is exact in fp32, and
 * |a'b' - ab| <= (2u + u^2) |ab|. The fp32 accumulation of K such products
 * (VDPBF16PS rounds after each addition, plus one addition per block of
 * 128 pairs and one into the output) adds at most g = m 2^-24 / (1 - m
 * 2^-24) of the sum of magnitudes, m = K + K/256 + 2 additions in a chain
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1).
 * So |computed - exact| <= ((2u + u^2)(1 + g) + g) sum_k |a_k b_k|, and
 * for the backward, which adds into dinp, |d0| joins the sum. The test
 * takes that bound with m = K + K/256 + 8. It also checks that the bf16
 * kernel ran: its largest error relative to the sum exceeds 2^-14, which
 * fp32 arithmetic (at most g, below 2^-14 for every K here) cannot reach
 * on data that rounds in bf16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/nf4.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

static float *randn(int64_t n, double std, uint64_t seed) {
    TpRng r;
    tp_rng_seed(&r, seed);
    float *w = malloc(sizeof *w * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        double u1 = tp_rng_uniform(&r), u2 = tp_rng_uniform(&r);
        w[i] = (float)(std * sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2));
    }
    return w;
}

static double bound_factor(int K) {
    double u = ldexp(1.0, -8), m = K + K / 256.0 + 8, g = m * ldexp(1.0, -24);
    g /= 1 - g;
    return (2 * u + u * u) * (1 + g) + g;
}

typedef struct Case {
    int rows, cols, N;
} Case;

/* Shapes: odd N, odd rows, K (cols forward, rows backward) odd or not a
 * multiple of 32, several tiles, several K blocks, several column blocks. */
static const Case CASES[] = {
    {37, 70, 13}, {33, 33, 9}, {64, 576, 8},  {70, 3000, 5},
    {601, 40, 11}, {1, 1, 1},  {96, 130, 17}, {257, 300, 3},
};

static bool bf16_here(void) {
    if (!nf4_bf16_available()) {
        print_message("this CPU has no AVX512_BF16 (or TP_NO_BF16 is set): skipped\n");
        return false;
    }
    return true;
}

/* Runs forward and backward in bf16 at c with `threads`, checks each
 * element against the double reference within the bound, and returns the
 * outputs (caller frees) for comparisons across thread counts. */
static void run_case(const Case *c, int threads, float **fwd_out, float **bwd_out,
                     double *max_rel) {
    tp_pool_set_threads(threads);
    int R = c->rows, C = c->cols, N = c->N;
    float *w = randn((int64_t)R * C, 0.05, 11 + (uint64_t)R * 7 + (uint64_t)C);
    Nf4Tensor q;
    TpError err;
    assert_int_equal(nf4_quantize(w, R, C, &q, &err), TP_OK);
    float *wd = malloc(sizeof *wd * (size_t)R * C);
    nf4_dequantize_rows(&q, 0, R, wd);
    float *x = randn((int64_t)N * C, 1.0, 5 + (uint64_t)N);
    float *dout = randn((int64_t)N * R, 1.0, 9 + (uint64_t)N);
    float *d0 = randn((int64_t)N * C, 0.1, 13);
    size_t sf = nf4_scratch_floats_for(&q, N, NF4_COMPUTE_BF16);
    assert_true(sf >= nf4_scratch_floats(&q));
    float *scratch = malloc(sizeof(float) * sf);
    float *out = malloc(sizeof(float) * (size_t)N * R), *dinp = malloc(sizeof(float) * (size_t)N * C);
    memcpy(dinp, d0, sizeof(float) * (size_t)N * C);
    nf4_matmul_forward_dt(out, x, &q, N, scratch, NF4_COMPUTE_BF16);
    nf4_matmul_backward_input_dt(dinp, dout, &q, N, scratch, NF4_COMPUTE_BF16);

    double fwd_f = bound_factor(C), bwd_f = bound_factor(R);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < R; r++) {
            double s = 0, mag = 0;
            for (int k = 0; k < C; k++) {
                double p = (double)x[(size_t)n * C + k] * wd[(size_t)r * C + k];
                s += p;
                mag += fabs(p);
            }
            double e = fabs(out[(size_t)n * R + r] - s);
            if (e > fwd_f * mag)
                fail_msg("forward [%d x %d] N %d: out[%d, %d] = %.9g, exact %.9g, error %.3g > "
                         "bound %.3g",
                         R, C, N, n, r, (double)out[(size_t)n * R + r], s, e, fwd_f * mag);
            if (mag > 0 && e / mag > *max_rel)
                *max_rel = e / mag;
        }
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++) {
            double s = d0[(size_t)n * C + k], mag = fabs(s);
            for (int r = 0; r < R; r++) {
                double p = (double)dout[(size_t)n * R + r] * wd[(size_t)r * C + k];
                s += p;
                mag += fabs(p);
            }
            double e = fabs(dinp[(size_t)n * C + k] - s);
            if (e > bwd_f * mag)
                fail_msg("backward [%d x %d] N %d: dinp[%d, %d] = %.9g, exact %.9g, error %.3g "
                         "> bound %.3g",
                         R, C, N, n, k, (double)dinp[(size_t)n * C + k], s, e, bwd_f * mag);
        }
    *fwd_out = out;
    *bwd_out = dinp;
    nf4_free(&q);
    free(w);
    free(wd);
    free(x);
    free(dout);
    free(d0);
    free(scratch);
}

/* Every shape within the bound with 1 and 2 threads, and the same bits
 * with both (each output element is computed the same way whatever the
 * split). */
static void test_bf16_against_double(void **state) {
    (void)state;
    if (!bf16_here())
        skip();
    double max_rel = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        float *f1, *b1, *f2, *b2;
        run_case(&CASES[i], 1, &f1, &b1, &max_rel);
        run_case(&CASES[i], 2, &f2, &b2, &max_rel);
        size_t nf = (size_t)CASES[i].N * CASES[i].rows, nb = (size_t)CASES[i].N * CASES[i].cols;
        assert_memory_equal(f1, f2, nf * sizeof(float));
        assert_memory_equal(b1, b2, nb * sizeof(float));
        free(f1);
        free(b1);
        free(f2);
        free(b2);
    }
    tp_pool_set_threads(1);
    /* bf16 did run: errors of bf16's size, out of fp32's reach */
    assert_true(max_rel > ldexp(1.0, -14));
}

/* Round to nearest even at bf16's 8 significant bits; worked by hand:
 * the spacing of bf16 at 1.0 is 2^-7. */
static void test_round(void **state) {
    (void)state;
    struct {
        float in;
        uint16_t bits;
    } cases[] = {
        {1.0f, 0x3f80},                        /* exact */
        {1.0f + 0x1p-8f, 0x3f80},              /* tie between 1 and 1 + 2^-7: even (1.0) */
        {1.0f + 0x1p-8f + 0x1p-20f, 0x3f81},   /* just above the tie: up */
        {1.0f + 3 * 0x1p-8f, 0x3f82},          /* tie between 1 + 2^-7 (odd) and 1 + 2^-6 */
        {-2.0f - 0x1p-7f, 0xc000},             /* tie at 2: spacing 2^-6, even (-2) */
        {65280.0f + 128.0f, 0x4780},           /* tie between 0xff00 and 2^16: even (65536) */
        {3.3895314e38f, 0x7f7f},               /* bf16's largest finite */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(nf4_bf16_round(cases[i].in), cases[i].bits);
    assert_int_equal(nf4_bf16_round(INFINITY), 0x7f80);
    uint16_t nan = nf4_bf16_round(NAN);
    assert_true((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0);
}

static void test_parse_and_resolve(void **state) {
    (void)state;
    Nf4Compute c;
    assert_true(nf4_compute_parse("auto", &c) && c == NF4_COMPUTE_AUTO);
    assert_true(nf4_compute_parse("fp32", &c) && c == NF4_COMPUTE_FP32);
    assert_true(nf4_compute_parse("bf16", &c) && c == NF4_COMPUTE_BF16);
    assert_false(nf4_compute_parse("fp16", &c));
    assert_false(nf4_compute_parse("", &c));
    assert_string_equal(nf4_compute_name(NF4_COMPUTE_BF16), "bf16");
    assert_string_equal(nf4_compute_name(NF4_COMPUTE_AUTO), "auto");
    assert_int_equal(nf4_compute_resolve(NF4_COMPUTE_FP32), NF4_COMPUTE_FP32);
    assert_int_equal(nf4_compute_resolve(NF4_COMPUTE_AUTO),
                     nf4_bf16_available() ? NF4_COMPUTE_BF16 : NF4_COMPUTE_FP32);
    setenv("TP_NO_BF16", "1", 1);
    assert_false(nf4_bf16_available());
    assert_int_equal(nf4_compute_resolve(NF4_COMPUTE_AUTO), NF4_COMPUTE_FP32);
    unsetenv("TP_NO_BF16");
}

/* With bf16 disabled (TP_NO_BF16, or a CPU without it) the bf16 entry
 * points run the fp32 code: the same bits as nf4_matmul_forward/backward.
 * And fp32 requested is always the fp32 code. */
static void test_fallback_is_fp32(void **state) {
    (void)state;
    tp_pool_set_threads(2);
    int R = 45, C = 70, N = 7;
    float *w = randn((int64_t)R * C, 0.05, 3), *x = randn((int64_t)N * C, 1, 4),
          *dout = randn((int64_t)N * R, 1, 5);
    Nf4Tensor q;
    TpError err;
    assert_int_equal(nf4_quantize(w, R, C, &q, &err), TP_OK);
    size_t sf = nf4_scratch_floats_for(&q, N, NF4_COMPUTE_BF16);
    float *scratch = malloc(sizeof(float) * sf);
    float *ref = malloc(sizeof(float) * (size_t)N * R), *got = malloc(sizeof(float) * (size_t)N * R);
    float *dref = calloc((size_t)N * C, sizeof(float)), *dgot = calloc((size_t)N * C, sizeof(float));
    nf4_matmul_forward(ref, x, &q, N, scratch);
    nf4_matmul_backward_input(dref, dout, &q, N, scratch);

    nf4_matmul_forward_dt(got, x, &q, N, scratch, NF4_COMPUTE_FP32);
    nf4_matmul_backward_input_dt(dgot, dout, &q, N, scratch, NF4_COMPUTE_FP32);
    assert_memory_equal(ref, got, sizeof(float) * (size_t)N * R);
    assert_memory_equal(dref, dgot, sizeof(float) * (size_t)N * C);

    setenv("TP_NO_BF16", "1", 1);
    memset(dgot, 0, sizeof(float) * (size_t)N * C);
    nf4_matmul_forward_dt(got, x, &q, N, scratch, NF4_COMPUTE_BF16);
    nf4_matmul_backward_input_dt(dgot, dout, &q, N, scratch, NF4_COMPUTE_AUTO);
    assert_memory_equal(ref, got, sizeof(float) * (size_t)N * R);
    assert_memory_equal(dref, dgot, sizeof(float) * (size_t)N * C);
    unsetenv("TP_NO_BF16");

    if (nf4_bf16_available()) { /* and bf16 when enabled does differ */
        nf4_matmul_forward_dt(got, x, &q, N, scratch, NF4_COMPUTE_BF16);
        assert_true(memcmp(ref, got, sizeof(float) * (size_t)N * R) != 0);
    }
    tp_pool_set_threads(1);
    nf4_free(&q);
    free(w);
    free(x);
    free(dout);
    free(scratch);
    free(ref);
    free(got);
    free(dref);
    free(dgot);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_parse_and_resolve),
        cmocka_unit_test(test_fallback_is_fp32),
        cmocka_unit_test(test_bf16_against_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
