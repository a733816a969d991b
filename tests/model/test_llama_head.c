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
#include "tunepilot/llama.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

static int32_t ordered(float f) {
    int32_t i;
    memcpy(&i, &f, 4);
    return i < 0 ? INT32_MIN - i : i;
}

/* ulps between two floats */
static long ulps(float a, float b) { return labs((long)ordered(a) - (long)ordered(b)); }

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
    assert_int_equal(llama_head_run(x, W, tg, N, C, V, LLAMA_IGNORE, loss, lse, NULL, NULL, scale,
                                    work),
                     counted_ref);
    long worst = 0;
    for (int n = 0; n < N; n++) {
        long u = ulps(lse[n], lse_ref[n]);
        worst = u > worst ? u : worst;
        assert_true(fabsf(loss[n] - loss_ref[n]) <= 4e-7f * fabsf(lse_ref[n]) + 1e-7f);
    }
    printf("%d thread(s): log-sum-exp within %ld ulp of the unfused head\n", threads, worst);
    assert_true(worst <= 1);
    assert_int_equal(llama_head_run(x, W, tg, N, C, V, LLAMA_IGNORE, loss, lse, dx, dW, scale,
                                    work),
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
        cmocka_unit_test(test_head_matches_unfused),
        cmocka_unit_test(test_threads_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
