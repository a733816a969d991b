/* test_llama_head.c - the fused vocabulary head against the unfused code
 * (op_matmul_forward + op_crossentropy_forward/backward: the head as it
 * was), and the vectorised exp against expf. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/llama_head.h"
#include "model/llama_ops.h"
#include "model/vexp.h"
#include "tp_test.h"
#include "tunepilot/bf16.h"
#include "tunepilot/llama.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

static int32_t ordered(float f) {
    int32_t i;
    memcpy(&i, &f, 4);
    return i < 0 ? INT32_MIN - i : i;
}

/* ulps between two floats */
static long ulps(float a, float b) {
    return labs((long)ordered(a) - (long)ordered(b));
}

/* SwiGLU with the vectorised double exp against the same formulas with
 * libm's exp(): every float result within 1 ulp (almost all identical),
 * over gates from -800 to 800 (past exp's overflow at 709) and the special
 * values: zeros, infinities, NaN. */
static void test_vswiglu_against_exp(void **state) {
    (void)state;
    enum { n = 400010 };
    float *g = malloc(sizeof(float) * n), *u = malloc(sizeof(float) * n),
          *d = malloc(sizeof(float) * n), *o = malloc(sizeof(float) * n),
          *dg = calloc(n, sizeof(float)), *du = calloc(n, sizeof(float));
    TpRng r;
    tp_rng_seed(&r, 7);
    for (int i = 0; i < n - 10; i++) {
        /* half in [-12, 12] where silu bends, half over [-800, 800] */
        g[i] = (float)((i & 1 ? 24.0 : 1600.0) * (tp_rng_uniform(&r) - 0.5));
        u[i] = (float)(4 * tp_rng_uniform(&r) - 2);
        d[i] = (float)(4 * tp_rng_uniform(&r) - 2);
    }
    float special[10] = {0.0f,   -0.0f,   INFINITY, -INFINITY, NAN,
                         708.5f, -708.5f, 709.5f,   -709.5f,   1e-30f};
    for (int k = 0; k < 10; k++)
        g[n - 10 + k] = special[k], u[n - 10 + k] = 1.5f, d[n - 10 + k] = -0.5f;
    tp_vswiglu_forward(o, g, u, n);
    tp_vswiglu_backward(dg, du, d, g, u, n);
    long worst = 0, differ = 0;
    for (int i = 0; i < n; i++) {
        double gi = g[i], s = 1 / (1 + exp(-gi));
        float fo = (float)(gi / (1 + exp(-gi)) * u[i]);
        float fg = (float)(d[i] * u[i] * s * (1 + gi * (1 - s))), fu = (float)(d[i] * gi * s);
        float got[3] = {o[i], dg[i], du[i]}, want[3] = {fo, fg, fu};
        for (int k = 0; k < 3; k++) {
            if (isnan(want[k]) || isnan(got[k])) {
                assert_true(isnan(want[k]) && isnan(got[k]));
                continue;
            }
            long e = ulps(got[k], want[k]);
            differ += e != 0;
            worst = e > worst ? e : worst;
        }
    }
    printf("vswiglu: %ld of %d results differ from libm's, worst %ld ulp\n", differ, 3 * n, worst);
    assert_true(worst <= 1);
    free(g), free(u), free(d), free(o), free(dg), free(du);
}

/* The float SwiGLU on bf16 gate and up (bf16 compute) against the double
 * formulas on the same (widened) values: within 4e-6 of the size of the
 * terms (measured 2.3e-6: the float roundings of the eight operations,
 * exp's 2 ulp, and 1 - s where s is near 1),
 * over gates where silu bends and far out, and NaN stays NaN. */
static void test_vswiglu16_against_double(void **state) {
    (void)state;
    enum { n = 200001 };
    uint16_t *g = malloc(2 * n), *u = malloc(2 * n);
    float *d = malloc(sizeof(float) * n), *o = malloc(sizeof(float) * n),
          *dg = calloc(n, sizeof(float)), *du = calloc(n, sizeof(float));
    TpRng r;
    tp_rng_seed(&r, 11);
    for (int i = 0; i < n; i++) {
        g[i] = tp_bf16_round((float)((i & 1 ? 24.0 : 200.0) * (tp_rng_uniform(&r) - 0.5)));
        u[i] = tp_bf16_round((float)(4 * tp_rng_uniform(&r) - 2));
        d[i] = (float)(4 * tp_rng_uniform(&r) - 2);
    }
    g[n - 1] = tp_bf16_round(NAN);
    tp_vswiglu16_forward(o, g, u, n);
    tp_vswiglu16_backward(dg, du, d, g, u, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        uint32_t wg = (uint32_t)g[i] << 16, wu = (uint32_t)u[i] << 16;
        float gf, uf;
        memcpy(&gf, &wg, 4);
        memcpy(&uf, &wu, 4);
        double gi = gf, ui = uf, s = 1 / (1 + exp(-gi));
        if (isnan(gf)) {
            assert_true(isnan(o[i]) && isnan(dg[i]) && isnan(du[i]));
            continue;
        }
        double want[3] = {gi * s * ui, d[i] * ui * s * (1 + gi * (1 - s)), d[i] * gi * s};
        double size[3] = {fabs(gi * s * ui), fabs(d[i] * ui * s) * (1 + fabs(gi * (1 - s))),
                          fabs(d[i] * gi * s)};
        float got[3] = {o[i], dg[i], du[i]};
        for (int k = 0; k < 3; k++) {
            double e = fabs(got[k] - want[k]) / (size[k] + 1e-30);
            worst = e > worst ? e : worst;
        }
    }
    printf("vswiglu16: worst error %.2g of the terms' size\n", worst);
    assert_true(worst <= 4e-6);
    free(g), free(u), free(d), free(o), free(dg), free(du);
}

/* Attention's vectorised softmax rows against the loops of ops_template.h
 * in double (the score minus the max in float, as there): every
 * probability within 4 ulp (exp's 2 ulp, the division's rounding and the
 * sum's), zeros outside lo..t, and the backward row within
 * 1e-6 of the size of its terms (it subtracts), over rows of 1 to 300
 * terms, windows and scores up to +-40. */
static void test_vsoftmax_rows(void **state) {
    (void)state;
    enum { T = 300 };
    float row[T], p[T], d[T];
    TpRng r;
    tp_rng_seed(&r, 5);
    long worst = 0;
    double worst_b = 0;
    for (int t = 0; t < T; t += 7) {
        int lo = t % 3 == 0 ? 0 : t / 3;
        for (int s = 0; s < T; s++)
            row[s] = (float)(80 * (tp_rng_uniform(&r) - 0.5)),
            d[s] = (float)(tp_rng_uniform(&r) - 0.5);
        double mx = row[lo], sum = 0, e[T];
        for (int s = lo; s <= t; s++)
            mx = row[s] > mx ? row[s] : mx;
        for (int s = lo; s <= t; s++)
            sum += e[s] = exp((double)(float)(row[s] - (float)mx)); /* the difference in float */
        tp_vsoftmax_row(row, lo, t, T);
        for (int s = 0; s < T; s++) {
            if (s < lo || s > t) {
                assert_true(row[s] == 0);
                continue;
            }
            long u = ulps(row[s], (float)(e[s] / sum));
            worst = u > worst ? u : worst;
            p[s] = row[s];
        }
        for (int s = 0; s < lo; s++)
            p[s] = 0;
        double dot = 0, size = 0;
        for (int s = 0; s <= t; s++)
            dot += (double)d[s] * p[s], size += fabs((double)d[s] * p[s]);
        float db[T];
        memcpy(db, d, sizeof db);
        tp_vsoftmax_backward_row(db, p, t, T);
        for (int s = 0; s < T; s++) {
            if (s > t) {
                assert_true(db[s] == 0);
                continue;
            }
            double want = p[s] * (d[s] - dot);
            double err = fabs(db[s] - want) / (p[s] * (fabs(d[s]) + size) + 1e-30);
            worst_b = err > worst_b ? err : worst_b;
        }
    }
    printf("vsoftmax: worst %ld ulp; backward worst %.2g of the terms' size\n", worst, worst_b);
    assert_true(worst <= 4);
    assert_true(worst_b <= 1e-6);
}

static void test_vexp_against_expf(void **state) {
    (void)state;
    enum { n = 200001 };
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++)
        x[i] = -87.0f + 175.0f * (float)i / (n - 1); /* [-87, 88] */
    tp_vexpf(y, x, 0.0f, n);
    long worst = 0;
    for (int i = 0; i < n; i++) {
        long u = ulps(y[i], expf(x[i]));
        worst = u > worst ? u : worst;
    }
    printf("vexp: worst %ld ulp against expf over [-87, 88]\n", worst);
    assert_true(worst <= 2);
    /* the shift, and arguments below -87 giving 0 */
    float s[3] = {1.0f, -100.0f, 3.0f}, e[3];
    tp_vexpf(e, s, 1.0f, 3);
    assert_true(e[0] == 1.0f);
    assert_true(e[1] == 0.0f);
    assert_true(ulps(e[2], expf(2.0f)) <= 2);
    float nan_in = NAN, nan_out;
    tp_vexpf(&nan_out, &nan_in, 0.0f, 1);
    assert_true(isnan(nan_out)); /* a diverged run's NaN stays a NaN */
    double sum = tp_vexpsumf(x + 100000, 10.0f, 1000), ref = 0; /* x in [0.5, 1.4] */
    for (int i = 100000; i < 101000; i++)
        ref += expf(x[i] - 10.0f);
    assert_rel(sum, ref, 1e-6);
    assert_true(tp_vmaxf(x, n) == x[n - 1]);
    free(x);
    free(y);
}

static float *rnd(size_t n, double scale, uint64_t seed) {
    TpRng r;
    tp_rng_seed(&r, seed);
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((tp_rng_uniform(&r) * 2 - 1) * scale);
    return x;
}

/* f rounded to bf16, as a float */
static float bf(float f) {
    uint32_t u = (uint32_t)tp_bf16_round(f) << 16;
    float r;
    memcpy(&r, &u, 4);
    return r;
}

static double max_rel(const float *a, const float *b, size_t n) {
    double d = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        ref = fmax(ref, fabs((double)b[i]));
    }
    return d / ref;
}

/* N not a multiple of the chunk, ignored rows, V not a multiple of 16. */
static void check_head(int threads) {
    tp_pool_set_threads(threads);
    int N = 150, C = 48, V = 1003;
    float *x = rnd((size_t)N * C, 1.0, 1), *W = rnd((size_t)V * C, 0.5, 2);
    int *tg = malloc(sizeof(int) * N);
    int counted_ref = 0;
    for (int n = 0; n < N; n++) {
        tg[n] = n % 7 == 3 ? LLAMA_IGNORE : (n * 131 + 7) % V;
        counted_ref += tg[n] != LLAMA_IGNORE;
    }
    /* the unfused reference: all the logits, then the cross-entropy */
    float *logits = malloc(sizeof(float) * N * V), *dlogits = malloc(sizeof(float) * N * V);
    float *loss_ref = malloc(sizeof(float) * N), *lse_ref = malloc(sizeof(float) * N);
    op_matmul_forward(logits, x, W, NULL, N, C, V);
    assert_int_equal(op_crossentropy_forward(loss_ref, lse_ref, logits, tg, N, V, LLAMA_IGNORE),
                     counted_ref);
    double scale = 1.0 / counted_ref;
    op_crossentropy_backward(dlogits, logits, lse_ref, tg, N, V, LLAMA_IGNORE, scale, 1);
    float *dx_ref = calloc((size_t)N * C, sizeof(float)), *dW_ref = rnd((size_t)V * C, 0.1, 3);
    float *dW = malloc(sizeof(float) * V * C);
    memcpy(dW, dW_ref, sizeof(float) * V * C); /* both ADD to the same start */
    op_matmul_backward(dx_ref, dW_ref, NULL, dlogits, x, W, N, C, V);

    float *work = malloc(sizeof(float) * llama_head_work_floats(V));
    float *loss = malloc(sizeof(float) * N), *lse = malloc(sizeof(float) * N);
    float *dx = malloc(sizeof(float) * N * C);
    assert_int_equal(
        llama_head_run(x, W, tg, N, C, V, LLAMA_IGNORE, loss, lse, NULL, NULL, scale, work),
        counted_ref);
    long worst = 0;
    for (int n = 0; n < N; n++) {
        long u = ulps(lse[n], lse_ref[n]);
        worst = u > worst ? u : worst;
        assert_true(fabsf(loss[n] - loss_ref[n]) <= 4e-7f * fabsf(lse_ref[n]) + 1e-7f);
    }
    printf("%d thread(s): log-sum-exp within %ld ulp of the unfused head\n", threads, worst);
    assert_true(worst <= 1);
    assert_int_equal(
        llama_head_run(x, W, tg, N, C, V, LLAMA_IGNORE, loss, lse, dx, dW, scale, work),
        counted_ref);
    assert_true(max_rel(dx, dx_ref, (size_t)N * C) < 1e-5);
    assert_true(max_rel(dW, dW_ref, (size_t)V * C) < 1e-5);
    free(x), free(W), free(tg), free(logits), free(dlogits), free(loss_ref), free(lse_ref);
    free(dx_ref), free(dW_ref), free(dW), free(work), free(loss), free(lse), free(dx);
    tp_pool_set_threads(1);
}

static void test_head_matches_unfused(void **state) {
    (void)state;
    check_head(1);
    check_head(2);
}

/* The head in bf16 (llama_set_head_bf16) against a double-precision
 * reference computed on the same inputs rounded to bf16: a product of two
 * bf16 numbers is exact in fp32, so the logits, log-sum-exp and loss agree
 * to fp32 accumulation error. The gradient's dlogits are rounded to bf16 by
 * the code (its exp has 2 ulp), so each dx element is bounded by bf16's
 * half-ulp (2^-8 relative) on every term: |dx - ref| <= 2^-8 sum |dl||W|. */
static void check_head_bf16(int threads) {
    tp_pool_set_threads(threads);
    int N = 150, C = 48, V = 1003;
    float *x = rnd((size_t)N * C, 1.0, 1), *W = rnd((size_t)V * C, 0.5, 2);
    int *tg = malloc(sizeof(int) * N), counted_ref = 0;
    for (int n = 0; n < N; n++) {
        tg[n] = n % 7 == 3 ? LLAMA_IGNORE : (n * 131 + 7) % V;
        counted_ref += tg[n] != LLAMA_IGNORE;
    }
    LlamaHeadBf16 *hb = llama_head_bf16_new(W, V, C);
    assert_non_null(hb);
    float *work = malloc(sizeof(float) * llama_head_work_floats(V));
    float *loss = malloc(sizeof(float) * N), *lse = malloc(sizeof(float) * N);
    float *dx = malloc(sizeof(float) * N * C);
    double scale = 1.0 / counted_ref;
    assert_int_equal(
        llama_head_run_dt(x, W, hb, tg, N, C, V, LLAMA_IGNORE, loss, lse, dx, NULL, scale, work),
        counted_ref);
    double *lg = malloc(sizeof(double) * V), worst_l = 0, worst_dx = 0;
    for (int n = 0; n < N; n++) {
        double mx = -INFINITY, sum = 0;
        for (int v = 0; v < V; v++) {
            double d = 0;
            for (int c = 0; c < C; c++)
                d += (double)bf(x[n * C + c]) * bf(W[v * C + c]);
            lg[v] = d;
            mx = fmax(mx, d);
        }
        for (int v = 0; v < V; v++)
            sum += exp(lg[v] - mx);
        double l = log(sum) + mx;
        if (tg[n] == LLAMA_IGNORE) {
            assert_true(loss[n] == 0 && lse[n] == 0);
            for (int c = 0; c < C; c++)
                assert_true(dx[n * C + c] == 0);
            continue;
        }
        worst_l = fmax(worst_l, fabs(lse[n] - l) / fabs(l));
        assert_true(fabs(lse[n] - l) <= 1e-5 * fabs(l) + 1e-5);
        assert_true(fabs(loss[n] - (l - lg[tg[n]])) <= 1e-5 * fabs(l) + 1e-5);
        for (int c = 0; c < C; c++) {
            double ref = 0, bound = 0;
            for (int v = 0; v < V; v++) {
                double g = scale * (exp(lg[v] - l) - (v == tg[n]));
                double w = bf(W[v * C + c]);
                ref += (double)bf((float)g) * w;
                bound += fabs(g * w);
            }
            double e = fabs(dx[n * C + c] - ref);
            worst_dx = fmax(worst_dx, bound > 0 ? e / bound : 0);
            assert_true(e <= bound / 256 + 1e-9);
        }
    }
    printf("bf16 head, %d thread(s): log-sum-exp within %.2g relative of the double reference; "
           "dx within %.3g of the bf16 bound's sum\n",
           threads, worst_l, worst_dx);
    llama_head_bf16_free(hb);
    free(x), free(W), free(tg), free(work), free(loss), free(lse), free(dx), free(lg);
    tp_pool_set_threads(1);
}

static void test_head_bf16(void **state) {
    (void)state;
    if (!tp_bf16_available()) {
        printf("skipped: this CPU has no AVX512_BF16 (or TP_NO_BF16 is set)\n");
        return;
    }
    check_head_bf16(1);
    check_head_bf16(2);
    check_head_bf16(3); /* more threads than the scratch was made for */
}

/* One model trained with 1, then 2, then 3 threads: the buffers sized per
 * thread (the head's chunks, the backward's attention scratch) grow with
 * the pool instead of being overrun (the sanitizer build sees an overrun),
 * and the loss is the same to float rounding whatever the threads. */
static void test_threads_grow(void **state) {
    (void)state;
    LlamaConfig c;
    memset(&c, 0, sizeof c);
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 32;
    c.intermediate = 64;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 8;
    c.vocab = 1003;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = true;
    c.bos_id = -1;
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 5, 0.05f);
    llama_grads_enable(&m);
    int B = 3, T = 40, ids[120], tg[120];
    for (int i = 0; i < B * T; i++) {
        ids[i] = (i * 37 + 1) % c.vocab;
        tg[i] = (i * 101 + 3) % c.vocab;
    }
    float first = 0;
    for (int threads = 1; threads <= 3; threads++) {
        tp_pool_set_threads(threads);
        float loss;
        llama_set_fused_head(&m, true, true);
        assert_int_equal(llama_forward(&m, ids, tg, B, T, &loss, NULL, &err), TP_OK);
        llama_set_fused_head(&m, false, false);
        assert_int_equal(llama_backward(&m, true, &err), TP_OK);
        if (threads == 1)
            first = loss;
        assert_true(fabsf(loss - first) <= 1e-6f * fabsf(first));
    }
    tp_pool_set_threads(1);
    llama_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vexp_against_expf),
        cmocka_unit_test(test_vswiglu_against_exp),
        cmocka_unit_test(test_vswiglu16_against_double),
        cmocka_unit_test(test_vsoftmax_rows),
        cmocka_unit_test(test_head_matches_unfused),
        cmocka_unit_test(test_head_bf16),
        cmocka_unit_test(test_threads_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
