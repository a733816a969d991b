/* test_nf4.c - NF4 + double quantization: exact codes derived by hand from
 * the codebook, packing order, ties, the dynamic map, storage arithmetic,
 * round-trip error against an int4 absmax baseline, the tiled matmuls
 * against sgemm on the explicitly dequantized matrix, and serialization. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/nf4.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

static float *normal_weights(int64_t n, double std, uint64_t seed) {
    TpRng r;
    tp_rng_seed(&r, seed);
    float *w = malloc(sizeof *w * (size_t)n);
    for (int64_t i = 0; i < n; i += 2) { /* Box-Muller */
        double u1 = tp_rng_uniform(&r), u2 = tp_rng_uniform(&r);
        double rad = sqrt(-2.0 * log(1.0 - u1)), th = 2.0 * M_PI * u2;
        w[i] = (float)(std * rad * cos(th));
        if (i + 1 < n)
            w[i + 1] = (float)(std * rad * sin(th));
    }
    return w;
}

static float *dequant_all(const Nf4Tensor *t) {
    float *d = malloc(sizeof *d * (size_t)t->n);
    nf4_dequantize_rows(t, 0, t->rows, d);
    return d;
}

/* The table is sorted and the thresholds are the midpoints of adjacent codes. */
static void test_codebook(void **state) {
    (void)state;
    assert_true(NF4_CODE[0] == -1.0f && NF4_CODE[7] == 0.0f && NF4_CODE[15] == 1.0f);
    for (int k = 0; k < 15; k++) {
        assert_true(NF4_CODE[k] < NF4_CODE[k + 1]);
        assert_close(NF4_THRESHOLD[k], 0.5 * ((double)NF4_CODE[k] + NF4_CODE[k + 1]), 1e-7);
    }
}

/* One block, absmax 1 (so w * (1/absmax) = w exactly). Expected codes, by
 * hand from the table (code: value) and the midpoints between neighbours:
 *    1.0  : above 0.8615 (mid of 14: 0.7230 and 15: 1.0)            -> 15
 *   -1.0  : below -0.8481 (mid of 0: -1.0 and 1: -0.6962)           -> 0
 *    0.0  : between -0.0455 and 0.0398 (around 7: 0.0)              -> 7
 *    0.5  : 12: 0.4407 vs 13: 0.5626, mid 0.50166; 0.5 < mid        -> 12
 *    0.3  : 10: 0.2461 vs 11: 0.3379, mid 0.29201; 0.3 > mid        -> 11
 *   -0.3  : 3: -0.3949 vs 4: -0.2844, mid -0.33968; -0.3 > mid      -> 4
 *    0.1  : 8: 0.0796 vs 9: 0.1609, mid 0.12026; 0.1 < mid          -> 8
 *   -0.1  : 5: -0.1848 vs 6: -0.0911, mid -0.13791; -0.1 > mid      -> 6
 *    0.04 : 7: 0.0 vs 8: 0.0796, mid 0.039790; 0.04 > mid           -> 8
 *   -0.05 : 6: -0.0911 vs 7: 0.0, mid -0.045525; -0.05 < mid        -> 6
 *    0.75 : 14: 0.7230 vs 15: 1.0, mid 0.86148; 0.75 < mid          -> 14
 *   -0.7  : 1: -0.6962 vs 2: -0.5251, mid -0.61063, and vs 0: -1.0,
 *           mid -0.84810; -0.84810 < -0.7 < -0.61063                -> 1
 *   the other 52 elements are 0.0                                   -> 7
 * Packed, first element in the high nibble: (15,0) = 0xF0, (7,12) = 0x7C,
 * (11,4) = 0xB4, (8,6) = 0x86, (8,6) = 0x86, (14,1) = 0xE1, then 0x77. */
static void test_exact_codes_and_packing(void **state) {
    (void)state;
    float w[64] = {1.0f, -1.0f, 0.0f, 0.5f, 0.3f, -0.3f, 0.1f, -0.1f, 0.04f, -0.05f, 0.75f, -0.7f};
    const uint8_t want_codes[12] = {15, 0, 7, 12, 11, 4, 8, 6, 8, 6, 14, 1};
    const uint8_t want_bytes[6] = {0xF0, 0x7C, 0xB4, 0x86, 0x86, 0xE1};
    Nf4Tensor t;
    TpError err;
    assert_int_equal(nf4_quantize(w, 1, 64, &t, &err), TP_OK);
    assert_int_equal(t.n, 64);
    assert_int_equal(t.n_blocks, 1);
    assert_int_equal(t.n_blocks2, 1);
    for (int k = 0; k < 6; k++)
        assert_int_equal(t.codes[k], want_bytes[k]);
    for (int k = 6; k < 32; k++)
        assert_int_equal(t.codes[k], 0x77);
    for (int k = 0; k < 12; k++)
        assert_int_equal(nf4_encode(w[k]), want_codes[k]);
    /* One block: offset = its absmax = 1, absmax - offset = 0, absmax2 = 0,
     * code of 0 in the dynamic map = 127; dequantized absmax = 0*0 + 1 = 1. */
    assert_true(t.offset == 1.0f);
    assert_true(t.absmax2[0] == 0.0f);
    assert_int_equal(t.absmax_q[0], 127);
    float d[64];
    nf4_dequantize_rows(&t, 0, 1, d);
    for (int k = 0; k < 64; k++)
        assert_true(d[k] == NF4_CODE[k < 12 ? want_codes[k] : 7]);
    nf4_free(&t);
}

/* n odd and not a multiple of 64; rows that start in the middle of a byte. */
static void test_odd_tail_and_row_offsets(void **state) {
    (void)state;
    float w[15];
    for (int i = 0; i < 15; i++)
        w[i] = (float)(i - 7) / 7.0f; /* absmax 1; i = 0 -> -1 (code 0), i = 14 -> 1 (code 15) */
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, 3, 5, &t, NULL), TP_OK);
    assert_int_equal(t.n, 15);
    /* 8 bytes; the last holds element 14 (code 15) high and the pad (code 7) low. */
    assert_int_equal(t.codes[0] >> 4, 0);
    assert_int_equal(t.codes[7], 0xF7);
    float *all = dequant_all(&t);
    float row1[5], rows12[10];
    nf4_dequantize_rows(&t, 1, 1, row1); /* elements 5..9: starts on a low nibble */
    nf4_dequantize_rows(&t, 1, 2, rows12);
    for (int c = 0; c < 5; c++)
        assert_true(row1[c] == all[5 + c]);
    for (int c = 0; c < 10; c++)
        assert_true(rows12[c] == all[5 + c]);
    assert_true(all[0] == -1.0f && all[7] == 0.0f);
    free(all);
    nf4_free(&t);
}

/* A value exactly on a threshold takes the LOWER code (bitsandbytes' CUDA
 * tree tests x > t); the next float up takes the upper code. */
static void test_midpoint_ties(void **state) {
    (void)state;
    for (int k = 0; k < 15; k++) {
        assert_int_equal(nf4_encode(NF4_THRESHOLD[k]), k);
        assert_int_equal(nf4_encode(nextafterf(NF4_THRESHOLD[k], 2.0f)), k + 1);
        assert_int_equal(nf4_encode(nextafterf(NF4_THRESHOLD[k], -2.0f)), k);
    }
    /* Through nf4_quantize: a block with absmax exactly 1. */
    float w[64] = {1.0f};
    for (int k = 0; k < 15; k++)
        w[1 + k] = NF4_THRESHOLD[k];
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, 1, 64, &t, NULL), TP_OK);
    for (int k = 0; k < 15; k++) {
        int i = 1 + k;
        int code = i & 1 ? t.codes[i / 2] & 15 : t.codes[i / 2] >> 4;
        assert_int_equal(code, k);
    }
    nf4_free(&t);
    assert_int_equal(nf4_encode(NAN), 0);
    assert_int_equal(nf4_encode(5.0f), 15);
    assert_int_equal(nf4_encode(-5.0f), 0);
}

/* create_dynamic_map(signed=True): sorted, 127 negative, one 0, 128 positive
 * (the extra one is 1.0), symmetric apart from 1.0. Hand values: exponent
 * i = 6 gives means of linspace(0.1, 1, 65), the largest (0.9859375 + 1)/2 =
 * 0.99296875 (so the minimum is -0.99296875); exponent i = 0 gives
 * linspace(0.1, 1, 2) = {0.1, 1}, mean 0.55, times 1e-6 = 5.5e-7 (the
 * smallest magnitude). */
static void test_dynamic_map(void **state) {
    (void)state;
    const float *m = nf4_dynamic_map();
    assert_ptr_equal(m, nf4_dynamic_map());
    int neg = 0, pos = 0, zero = 0;
    for (int k = 0; k < 256; k++) {
        neg += m[k] < 0;
        pos += m[k] > 0;
        zero += m[k] == 0;
        if (k)
            assert_true(m[k - 1] < m[k]);
    }
    assert_int_equal(neg, 127);
    assert_int_equal(zero, 1);
    assert_int_equal(pos, 128);
    assert_true(m[127] == 0.0f && m[255] == 1.0f);
    for (int k = 0; k < 127; k++)
        assert_true(m[k] == -m[254 - k]);
    assert_close(m[0], -0.99296875, 1e-7);
    assert_rel(m[128], 5.5e-7, 1e-6);
    assert_close(m[254], 0.99296875, 1e-7);
    /* Positive entries by exponent: 128 (i=0), 129-130, 131-134, 135-142,
     * 143-158, 159-190 (i=5, x0.1), 191-254 (i=6, x1), 255 = 1.0. The last
     * of i=5 is 0.1 * (0.971875 + 1)/2 (linspace(0.1, 1, 33) step 0.028125),
     * the first of i=6 is (0.1 + 0.1140625)/2 (step 0.0140625). */
    assert_rel(m[190], 0.1 * (0.971875 + 1.0) / 2, 1e-6);
    assert_rel(m[191], (0.1 + 0.1140625) / 2, 1e-6);

    /* Every code maps to itself; other values go to a nearest entry. */
    for (int k = 0; k < 256; k++)
        assert_int_equal(nf4_dynamic_encode(m[k]), k);
    TpRng r;
    tp_rng_seed(&r, 7);
    for (int it = 0; it < 20000; it++) {
        double u = tp_rng_uniform(&r) * 2 - 1;
        float x = (float)(it & 1 ? u : u * 1e-3);
        int q = nf4_dynamic_encode(x), best = 0;
        for (int k = 1; k < 256; k++)
            if (fabsf(m[k] - x) < fabsf(m[best] - x))
                best = k;
        assert_true(fabsf(m[q] - x) <= fabsf(m[best] - x));
    }
    /* Ties as bitsandbytes' dQuantize resolves them: toward the entry the
     * binary search ended on. x = m[128]/2, the midpoint of 0 (m[127]) and
     * 5.5e-7 (m[128]): the search goes up from 127 to 191, then down
     * 159, 143, 135, 131, 129, 128; x <= m[128] so it tests x < (lower +
     * val)/2 = (0 + m[128])/2 = x, false -> 128, the upper entry. The mirror
     * x = -m[128]/2 ends on 126 with upper 0: x > (0 + m[126])/2 = x is
     * false -> 126, the lower entry. Ties go away from zero here. */
    assert_int_equal(nf4_dynamic_encode(m[128] * 0.5f), 128);
    assert_int_equal(nf4_dynamic_encode(m[126] * 0.5f), 126);
    /* Out of range clamps to the ends. */
    assert_int_equal(nf4_dynamic_encode(-1.0f), 0);
    assert_int_equal(nf4_dynamic_encode(2.0f), 255);
}

/* bits/weight = 4 (codes) + 8/64 (absmax_q) + 32/(64*256) (absmax2) + 32/n
 * (offset) = 4.126953125 + 1.9e-6 for 4096x4096. */
static void test_bits_per_weight(void **state) {
    (void)state;
    const int64_t R = 4096, C = 4096, n = R * C;
    float *w = malloc(sizeof *w * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = (float)((int64_t)((uint64_t)i * 2654435761u % 2001) - 1000) * 1e-5f;
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, R, C, &t, NULL), TP_OK);
    free(w);
    assert_int_equal(t.n_blocks, n / 64);
    assert_int_equal(t.n_blocks2, n / 64 / 256);
    assert_int_equal(nf4_bytes(&t), n / 2 + n / 64 + 4 * (n / 64 / 256) + 4);
    double hand = 4.0 + 8.0 / 64 + 32.0 / (64 * 256);
    assert_close(nf4_bits_per_weight(&t), hand + 32.0 / (double)n, 1e-12);
    assert_close(nf4_bits_per_weight(&t), 4.127, 1e-4);
    print_message("nf4: %.6f bits/weight for 4096x4096 (hand formula %.6f + offset)\n",
                  nf4_bits_per_weight(&t), hand);
    nf4_free(&t);
}

/* 288x768 (a small model's MLP weight): under 0.55 bytes per weight. */
static void test_memory(void **state) {
    (void)state;
    const int64_t R = 288, C = 768;
    float *w = normal_weights(R * C, 0.02, 3);
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, R, C, &t, NULL), TP_OK);
    double bpw = (double)nf4_bytes(&t) / (double)(R * C);
    assert_true(bpw < 0.55);
    assert_int_equal(nf4_bytes(&t), 110592 + 3456 + 4 * 14 + 4);
    free(w);
    nf4_free(&t);
}

/* NF4 (with DQ) against int4 absmax (symmetric, 15 levels q in -7..7,
 * block 64) on 1M normal weights, std 0.02; and the DQ error on absmax. */
static void test_round_trip_error(void **state) {
    (void)state;
    const int64_t R = 1024, C = 1024, n = R * C;
    float *w = normal_weights(n, 0.02, 42);
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, R, C, &t, NULL), TP_OK);
    float *d = dequant_all(&t);
    float *am = malloc(sizeof *am * (size_t)t.n_blocks);
    nf4_dequantize_absmax(&t, am);

    double nf4_ae = 0, nf4_se = 0, i4_ae = 0, i4_se = 0, am_worst = 0, am_mean = 0;
    for (int64_t b = 0; b < t.n_blocks; b++) {
        float a = 0;
        for (int64_t i = b * 64; i < b * 64 + 64; i++)
            a = fmaxf(a, fabsf(w[i]));
        double rel = fabs((double)am[b] - a) / a;
        am_worst = fmax(am_worst, rel);
        am_mean += rel / (double)t.n_blocks;
        for (int64_t i = b * 64; i < b * 64 + 64; i++) {
            double q = fmax(-7.0, fmin(7.0, nearbyint((double)w[i] / a * 7.0)));
            double e4 = q * a / 7.0 - w[i], en = (double)d[i] - w[i];
            i4_ae += fabs(e4);
            i4_se += e4 * e4;
            nf4_ae += fabs(en);
            nf4_se += en * en;
        }
    }
    print_message("nf4: MAE %.4g (int4 absmax %.4g, ratio %.3f), MSE %.4g (int4 %.4g, ratio %.3f); "
                  "DQ absmax rel error mean %.3g%% max %.3g%%\n",
                  nf4_ae / n, i4_ae / n, nf4_ae / i4_ae, nf4_se / n, i4_se / n, nf4_se / i4_se,
                  100 * am_mean, 100 * am_worst);
    assert_true(nf4_ae < i4_ae);
    assert_true(nf4_se < i4_se);
    assert_true(am_worst < 0.01);
    assert_true(am_mean < 0.002);
    free(w);
    free(d);
    free(am);
    nf4_free(&t);
}

static double max_rel_diff(const float *a, const float *b, size_t n) {
    double dmax = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        dmax = fmax(dmax, fabs((double)a[i] - b[i]));
        ref = fmax(ref, fabs((double)b[i]));
    }
    return dmax / ref;
}

static void check_matmul(int64_t R, int64_t C, int N, int64_t want_tile) {
    float *w = normal_weights(R * C, 0.05, (uint64_t)(R * 31 + C));
    Nf4Tensor t;
    assert_int_equal(nf4_quantize(w, R, C, &t, NULL), TP_OK);
    assert_int_equal(nf4_tile_rows(&t), want_tile);
    assert_int_equal(nf4_scratch_floats(&t), (size_t)(want_tile * C) * (size_t)tp_pool_threads());
    float *full = dequant_all(&t);
    float *inp = normal_weights(N * C, 1.0, 5), *dout = normal_weights(N * R, 1.0, 6);
    float *scratch = malloc(sizeof(float) * nf4_scratch_floats(&t));
    float *out = malloc(sizeof(float) * (size_t)(N * R)),
          *ref = malloc(sizeof(float) * (size_t)(N * R));
    for (int64_t i = 0; i < N * R; i++)
        out[i] = 123.0f; /* overwritten */
    nf4_matmul_forward(out, inp, &t, N, scratch);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, (int)R, (int)C, 1.0f, inp, (int)C, full,
                (int)C, 0.0f, ref, (int)R);
    assert_true(max_rel_diff(out, ref, (size_t)(N * R)) < 1e-5);

    float *dinp = normal_weights(N * C, 1.0, 8), *dref = malloc(sizeof(float) * (size_t)(N * C));
    memcpy(dref, dinp, sizeof(float) * (size_t)(N * C)); /* backward ADDS */
    nf4_matmul_backward_input(dinp, dout, &t, N, scratch);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, (int)C, (int)R, 1.0f, dout, (int)R,
                full, (int)C, 1.0f, dref, (int)C);
    assert_true(max_rel_diff(dinp, dref, (size_t)(N * C)) < 1e-5);
    free(w);
    free(full);
    free(inp);
    free(dout);
    free(scratch);
    free(out);
    free(ref);
    free(dinp);
    free(dref);
    nf4_free(&t);
}

/* Rows not a multiple of the tile, n not a multiple of 64, odd cols (rows
 * that start mid-byte and mid-block), and a tile of a single row. */
static void test_matmul_tiled(void **state) {
    (void)state;
    check_matmul(450, 333, 7, 65536 / 333); /* 196 + 196 + 58; n % 64 = 26 */
    check_matmul(150, 1000, 5, 65);         /* 65 + 65 + 20; n % 64 = 48 */
    check_matmul(3, 70001, 2, 1);           /* cols > 64K floats: one row per tile */
    check_matmul(5, 7, 3, 5);               /* tiny: one tile */
}

static void test_serialize(void **state) {
    (void)state;
    float *w = normal_weights(3 * 101, 0.02, 11);
    Nf4Tensor t, u;
    TpError err;
    assert_int_equal(nf4_quantize(w, 3, 101, &t, &err), TP_OK);
    size_t sz = nf4_serialized_size(&t);
    assert_int_equal(sz, 36 + 152 + 5 + 4);
    uint8_t *buf = malloc(sz);
    assert_int_equal(nf4_serialize(&t, buf, sz - 1, &err), TP_EINVAL);
    assert_int_equal(nf4_serialize(&t, buf, sz, &err), TP_OK);
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_OK);
    assert_int_equal(u.rows, 3);
    assert_int_equal(u.cols, 101);
    assert_true(u.offset == t.offset);
    assert_memory_equal(u.codes, t.codes, (size_t)(t.n + 1) / 2);
    assert_memory_equal(u.absmax_q, t.absmax_q, (size_t)t.n_blocks);
    assert_memory_equal(u.absmax2, t.absmax2, sizeof(float) * (size_t)t.n_blocks2);
    nf4_free(&u);

    assert_int_equal(nf4_deserialize(buf, sz - 1, &u, &err), TP_EINVAL); /* truncated */
    assert_non_null(strstr(err.msg, "expected"));
    assert_int_equal(nf4_deserialize(buf, 10, &u, &err), TP_EINVAL);
    uint8_t *big = calloc(1, sz + 1);
    memcpy(big, buf, sz);
    assert_int_equal(nf4_deserialize(big, sz + 1, &u, &err), TP_EINVAL); /* trailing byte */
    free(big);
    buf[0] = 'X';
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_EINVAL);
    buf[0] = 'T';
    buf[4] = 2; /* version */
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_EINVAL);
    buf[4] = 1;
    buf[8] = 32; /* block size */
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_EINVAL);
    buf[8] = 64;
    memset(buf + 16, 0, 8); /* rows = 0 */
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_EINVAL);
    buf[16] = 3;
    buf[sz - 1] = 0xFF; /* absmax2 = NaN */
    buf[sz - 2] = 0xFF;
    assert_int_equal(nf4_deserialize(buf, sz, &u, &err), TP_EINVAL);
    assert_null(u.codes);
    free(buf);
    free(w);
    nf4_free(&t);
}

static void test_invalid_input(void **state) {
    (void)state;
    float w[4] = {0.1f, NAN, 0.2f, 0.3f};
    Nf4Tensor t;
    TpError err;
    assert_int_equal(nf4_quantize(w, 2, 2, &t, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "row 0, col 1"));
    assert_null(t.codes);
    w[1] = INFINITY;
    assert_int_equal(nf4_quantize(w, 2, 2, &t, &err), TP_EINVAL);
    assert_int_equal(nf4_quantize(w, 0, 2, &t, &err), TP_EINVAL);
    assert_int_equal(nf4_quantize(w, 2, -1, &t, &err), TP_EINVAL);
    nf4_free(&t);
    nf4_free(NULL);
    /* All-zero weights: every block has absmax 0 and dequantizes to zeros. */
    float z[100] = {0};
    assert_int_equal(nf4_quantize(z, 10, 10, &t, &err), TP_OK);
    float d[100];
    nf4_dequantize_rows(&t, 0, 10, d);
    for (int i = 0; i < 100; i++)
        assert_true(d[i] == 0.0f);
    nf4_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codebook),
        cmocka_unit_test(test_exact_codes_and_packing),
        cmocka_unit_test(test_odd_tail_and_row_offsets),
        cmocka_unit_test(test_midpoint_ties),
        cmocka_unit_test(test_dynamic_map),
        cmocka_unit_test(test_bits_per_weight),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_round_trip_error),
        cmocka_unit_test(test_matmul_tiled),
        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
