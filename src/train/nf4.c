/* nf4.c - NF4 quantization with double quantization (bitsandbytes layout)
 * and the tiled dequantize-then-sgemm matmuls. Contracts in nf4.h; the
 * numbers come from docs/qlora-reference.md §1. */
#include "tunepilot/nf4.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/pool.h"

/* bitsandbytes get_4bit_type("nf4") (functional.py; same LUT in
 * csrc/kernels.cu and csrc/cpu_ops.cpp), reference §1.1. */
const float NF4_CODE[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

/* The literals of bitsandbytes' dQuantizeNF4 decision tree, reference §1.2. */
const float NF4_THRESHOLD[15] = {
    -0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,   -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f,   0.2035212516784668f,   0.2920137718319893f,    0.3893125355243683f,
    0.5016634166240692f,   0.6427869200706482f,   0.8614784181118011f,
};

/* ---- the dynamic 8-bit map ------------------------------------------------ */

static float dyn_map[256];
static pthread_once_t dyn_once = PTHREAD_ONCE_INIT;

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
 * non_sign_bits = 7, additional_items = 2^(7-7) - 1 = 0, so for exponent
 * i = 0..6: boundaries = torch.linspace(0.1, 1, 2^i + 1) (float32),
 * means = (b[:-1] + b[1:]) / 2, entries +-10^(i-6) * means; then 0 and 1.0;
 * 2 * 127 + 2 = 256 values, sorted. Every operation is float32 as torch
 * evaluates it: linspace's step = (end - start) / (steps - 1), element
 * j = start + step*j below steps/2 and end - step*(steps-1-j) from there on
 * (ATen's linspace kernel); the Python scalar 10**(i-6) is cast to float
 * before the multiply. */
static void dyn_init(void) {
    static const double pow10[7] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
    int k = 0;
    for (int i = 0; i < 7; i++) {
        int64_t steps = ((int64_t)1 << i) + 1, half = steps / 2;
        float start = 0.1f, end = 1.0f, step = (end - start) / (float)(steps - 1);
        float scale = (float)pow10[i], b[65];
        for (int64_t j = 0; j < steps; j++)
            b[j] = j < half ? start + step * (float)j : end - step * (float)(steps - j - 1);
        for (int64_t j = 0; j + 1 < steps; j++) {
            float mean = (b[j] + b[j + 1]) / 2.0f;
            dyn_map[k++] = scale * mean;
            dyn_map[k++] = -(scale * mean);
        }
    }
    dyn_map[k++] = 0.0f;
    dyn_map[k++] = 1.0f;
    qsort(dyn_map, 256, sizeof(float), cmp_float);
}

const float *nf4_dynamic_map(void) {
    pthread_once(&dyn_once, dyn_init);
    return dyn_map;
}

/* bitsandbytes csrc/kernels.cu dQuantize<STOCHASTIC=0>, step for step. */
static uint8_t dyn_encode(const float *code, float x) {
    int pivot = 127, upper_pivot = 255, lower_pivot = 0;
    float lower = -1.0f, upper = 1.0f, val = code[pivot];
    for (int i = 64; i > 0; i >>= 1) {
        if (x > val) {
            lower_pivot = pivot;
            lower = val;
            pivot += i;
        } else {
            upper_pivot = pivot;
            upper = val;
            pivot -= i;
        }
        val = code[pivot];
    }
    if (upper_pivot == 255)
        upper = code[upper_pivot];
    if (lower_pivot == 0)
        lower = code[lower_pivot];
    if (x > val) {
        float midpoint = (upper + val) * 0.5f;
        return (uint8_t)(x > midpoint ? upper_pivot : pivot);
    }
    float midpoint = (lower + val) * 0.5f;
    return (uint8_t)(x < midpoint ? lower_pivot : pivot);
}

uint8_t nf4_dynamic_encode(float x) {
    return dyn_encode(nf4_dynamic_map(), x);
}

uint8_t nf4_encode(float x) {
    uint8_t c = 0;
    for (int k = 0; k < 15; k++)
        c += x > NF4_THRESHOLD[k];
    return c;
}

/* ---- quantize / dequantize ---------------------------------------------- */

TpStatus nf4_quantize(const float *w, int64_t rows, int64_t cols, Nf4Tensor *out, TpError *err) {
    memset(out, 0, sizeof *out);
    if (rows <= 0 || cols <= 0 || rows > INT_MAX || cols > INT_MAX)
        return tp_error_set(err, TP_EINVAL, "nf4: bad shape [%lld, %lld] (each in 1..%d)",
                            (long long)rows, (long long)cols, INT_MAX);
    int64_t n = rows * cols;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return tp_error_set(err, TP_EINVAL,
                                "nf4: weight %lld (row %lld, col %lld) is not finite", (long long)i,
                                (long long)(i / cols), (long long)(i % cols));
    int64_t nb = (n + NF4_BLOCK - 1) / NF4_BLOCK, nb2 = (nb + NF4_BLOCK2 - 1) / NF4_BLOCK2;
    Nf4Tensor t = {.rows = rows, .cols = cols, .n = n, .n_blocks = nb, .n_blocks2 = nb2};
    t.codes = tp_xmalloc((size_t)(n + 1) / 2);
    t.absmax_q = tp_xmalloc((size_t)nb);
    t.absmax2 = tp_xmalloc(sizeof(float) * (size_t)nb2);
    float *absmax = tp_xmalloc(sizeof(float) * (size_t)nb);

    double sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * NF4_BLOCK, e = s + NF4_BLOCK < n ? s + NF4_BLOCK : n;
        float am = 0.0f;
        for (int64_t i = s; i < e; i++)
            am = fabsf(w[i]) > am ? fabsf(w[i]) : am;
        absmax[b] = am;
        sum += am;
        /* bitsandbytes multiplies by 1/absmax. An all-zero block would give
         * 0 * inf = NaN there; here it gets the code of 0.0, so it
         * dequantizes to exact zeros whatever its double-quantized absmax. */
        float inv = am > 0.0f ? 1.0f / am : 0.0f;
        for (int64_t i = s; i < e; i += 2) {
            uint8_t hi = nf4_encode(w[i] * inv);
            uint8_t lo = i + 1 < e ? nf4_encode(w[i + 1] * inv) : 7; /* odd tail: code of 0 */
            t.codes[i / 2] = (uint8_t)(hi << 4 | lo);
        }
    }

    /* Double quantization: quantize_blockwise(absmax - offset, blocksize=256). */
    const float *dyn = nf4_dynamic_map();
    t.offset = (float)(sum / (double)nb);
    for (int64_t g = 0; g < nb2; g++) {
        int64_t s = g * NF4_BLOCK2, e = s + NF4_BLOCK2 < nb ? s + NF4_BLOCK2 : nb;
        float am2 = 0.0f;
        for (int64_t b = s; b < e; b++) {
            absmax[b] -= t.offset;
            am2 = fabsf(absmax[b]) > am2 ? fabsf(absmax[b]) : am2;
        }
        t.absmax2[g] = am2;
        float inv2 = am2 > 0.0f ? 1.0f / am2 : 0.0f;
        for (int64_t b = s; b < e; b++)
            t.absmax_q[b] = dyn_encode(dyn, absmax[b] * inv2);
    }
    free(absmax);
    *out = t;
    return TP_OK;
}

void nf4_free(Nf4Tensor *t) {
    if (!t)
        return;
    free(t->codes);
    free(t->absmax_q);
    free(t->absmax2);
    memset(t, 0, sizeof *t);
}

static inline float block_absmax(const Nf4Tensor *t, const float *dyn, int64_t b) {
    return dyn[t->absmax_q[b]] * t->absmax2[b / NF4_BLOCK2] + t->offset;
}

void nf4_dequantize_absmax(const Nf4Tensor *t, float *out) {
    const float *dyn = nf4_dynamic_map();
    for (int64_t b = 0; b < t->n_blocks; b++)
        out[b] = block_absmax(t, dyn, b);
}

/* Flat elements [i0, i1) into out, one block (one scale) at a time. */
void nf4_dequantize_range(const Nf4Tensor *t, int64_t i0, int64_t i1, float *out) {
    const float *dyn = nf4_dynamic_map();
    const uint8_t *codes = t->codes;
    for (int64_t s = i0; s < i1;) {
        int64_t b = s / NF4_BLOCK, e = (b + 1) * NF4_BLOCK < i1 ? (b + 1) * NF4_BLOCK : i1;
        float sc = block_absmax(t, dyn, b);
        float *o = out + (s - i0);
        int64_t i = s;
        if (i & 1) { /* starts on a low nibble */
            *o++ = NF4_CODE[codes[i >> 1] & 15] * sc;
            i++;
        }
        for (; i + 1 < e; i += 2, o += 2) {
            uint8_t byte = codes[i >> 1];
            o[0] = NF4_CODE[byte >> 4] * sc;
            o[1] = NF4_CODE[byte & 15] * sc;
        }
        if (i < e) /* ends on a high nibble */
            *o = NF4_CODE[codes[i >> 1] >> 4] * sc;
        s = e;
    }
}

void nf4_dequantize_rows(const Nf4Tensor *t, int64_t r0, int64_t nr, float *out) {
    if (nr <= 0)
        return;
    nf4_dequantize_range(t, r0 * t->cols, (r0 + nr) * t->cols, out);
}

/* ---- matmuls --------------------------------------------------------------- */

int64_t nf4_tile_rows(const Nf4Tensor *w) {
    int64_t tr = NF4_TILE_BYTES / ((int64_t)sizeof(float) * w->cols);
    if (tr < 1)
        tr = 1;
    return tr < w->rows ? tr : w->rows;
}

size_t nf4_scratch_floats(const Nf4Tensor *w) {
    return (size_t)(nf4_tile_rows(w) * w->cols) * (size_t)tp_pool_threads();
}

typedef struct Nf4Job {
    const Nf4Tensor *w;
    const float *in; /* inp (forward) or dout (backward) */
    float *out;      /* out (forward) or dinp (backward) */
    float *scratch;
    int N, tr, part; /* rows per tile; forward: rows per task, backward: columns per task */
} Nf4Job;

/* Forward: out[:, r0:r1] for a range of W's rows, a tile at a time. */
static void forward_task(void *ctx, int task, int worker) {
    const Nf4Job *j = ctx;
    int rows = (int)j->w->rows, cols = (int)j->w->cols;
    int r0 = task * j->part, r1 = r0 + j->part < rows ? r0 + j->part : rows;
    float *tile = j->scratch + (size_t)worker * (size_t)j->tr * cols;
    for (int r = r0; r < r1; r += j->tr) {
        int nr = r1 - r < j->tr ? r1 - r : j->tr;
        nf4_dequantize_rows(j->w, r, nr, tile);
        /* out[:, r:r+nr] = inp[N, cols] tile[nr, cols]^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->N, nr, cols, 1.0f, j->in, cols,
                    tile, cols, 0.0f, j->out + r, rows);
    }
}

/* Backward: dinp[:, c0:c1] += dout W[:, c0:c1], over the same row tiles
 * (and so the same order of sums) whatever the split. */
static void backward_task(void *ctx, int task, int worker) {
    const Nf4Job *j = ctx;
    int rows = (int)j->w->rows, cols = (int)j->w->cols;
    int c0 = task * j->part, c1 = c0 + j->part < cols ? c0 + j->part : cols, nc = c1 - c0;
    if (nc <= 0)
        return;
    float *tile = j->scratch + (size_t)worker * (size_t)j->tr * cols;
    for (int r0 = 0; r0 < rows; r0 += j->tr) {
        int nr = rows - r0 < j->tr ? rows - r0 : j->tr;
        if (nc == cols)
            nf4_dequantize_rows(j->w, r0, nr, tile);
        else
            for (int r = 0; r < nr; r++)
                nf4_dequantize_range(j->w, (int64_t)(r0 + r) * cols + c0, (int64_t)(r0 + r) * cols + c1,
                              tile + (size_t)r * nc);
        /* dinp[:, c0:c1] += dout[:, r0:r0+nr] tile[nr, nc] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->N, nc, nr, 1.0f, j->in + r0,
                    rows, tile, nc, 1.0f, j->out + c0, cols);
    }
}

void nf4_matmul_forward(float *out, const float *inp, const Nf4Tensor *w, int N, float *scratch) {
    if (N <= 0)
        return;
    int rows = (int)w->rows, threads = tp_pool_threads();
    Nf4Job j = {w, inp, out, scratch, N, (int)nf4_tile_rows(w), 0};
    /* a part per thread, in whole tiles when there are enough of them */
    int per = (rows + threads - 1) / threads;
    j.part = per >= j.tr ? (per + j.tr - 1) / j.tr * j.tr : (per + 15) / 16 * 16;
    tp_parallel_for((rows + j.part - 1) / j.part, forward_task, &j);
}

void nf4_matmul_backward_input(float *dinp, const float *dout, const Nf4Tensor *w, int N,
                               float *scratch) {
    if (N <= 0)
        return;
    int cols = (int)w->cols, threads = tp_pool_threads();
    Nf4Job j = {w, dout, dinp, scratch, N, (int)nf4_tile_rows(w), 0};
    int per = (cols + threads - 1) / threads;
    /* multiples of 32 columns (two per 64-value NF4 block at most): 288
     * columns on 2 threads are 160 + 128, not 192 + 96 as whole blocks gave */
    j.part = (per + 31) / 32 * 32;
    tp_parallel_for((cols + j.part - 1) / j.part, backward_task, &j);
}

/* ---- sizes --------------------------------------------------------------------- */

size_t nf4_bytes(const Nf4Tensor *t) {
    return (size_t)(t->n + 1) / 2 + (size_t)t->n_blocks + sizeof(float) * (size_t)t->n_blocks2 +
           sizeof(float);
}

double nf4_bits_per_weight(const Nf4Tensor *t) {
    return t->n > 0 ? 8.0 * (double)nf4_bytes(t) / (double)t->n : 0.0;
}

/* ---- serialization ------------------------------------------------------------- */

#define NF4_SER_VERSION 1u
#define NF4_HEADER 36 /* magic 4 + version 4 + blocks 8 + rows 8 + cols 8 + offset 4 */

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    return put_u32(p, v);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static float get_f32(const uint8_t *p) {
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static size_t payload_size(int64_t n, int64_t nb, int64_t nb2) {
    return NF4_HEADER + (size_t)(n + 1) / 2 + (size_t)nb + 4 * (size_t)nb2;
}

size_t nf4_serialized_size(const Nf4Tensor *t) {
    return payload_size(t->n, t->n_blocks, t->n_blocks2);
}

TpStatus nf4_serialize(const Nf4Tensor *t, uint8_t *buf, size_t cap, TpError *err) {
    size_t need = nf4_serialized_size(t);
    if (cap < need)
        return tp_error_set(err, TP_EINVAL, "nf4: serialize needs %zu bytes, buffer has %zu", need,
                            cap);
    uint8_t *p = buf;
    memcpy(p, "TNF4", 4);
    p = put_u32(p + 4, NF4_SER_VERSION);
    p = put_u32(p, NF4_BLOCK);
    p = put_u32(p, NF4_BLOCK2);
    p = put_u64(p, (uint64_t)t->rows);
    p = put_u64(p, (uint64_t)t->cols);
    p = put_f32(p, t->offset);
    memcpy(p, t->codes, (size_t)(t->n + 1) / 2);
    p += (t->n + 1) / 2;
    memcpy(p, t->absmax_q, (size_t)t->n_blocks);
    p += t->n_blocks;
    for (int64_t g = 0; g < t->n_blocks2; g++)
        p = put_f32(p, t->absmax2[g]);
    return TP_OK;
}

TpStatus nf4_deserialize(const uint8_t *buf, size_t len, Nf4Tensor *out, TpError *err) {
    memset(out, 0, sizeof *out);
    if (len < NF4_HEADER)
        return tp_error_set(err, TP_EINVAL, "nf4: %zu bytes is shorter than the %d-byte header",
                            len, NF4_HEADER);
    if (memcmp(buf, "TNF4", 4) != 0)
        return tp_error_set(err, TP_EINVAL, "nf4: bad magic (expected \"TNF4\")");
    uint32_t version = get_u32(buf + 4), bs = get_u32(buf + 8), bs2 = get_u32(buf + 12);
    if (version != NF4_SER_VERSION)
        return tp_error_set(err, TP_EINVAL, "nf4: unsupported version %u (expected %u)", version,
                            NF4_SER_VERSION);
    if (bs != NF4_BLOCK || bs2 != NF4_BLOCK2)
        return tp_error_set(err, TP_EINVAL, "nf4: block sizes %u/%u (expected %d/%d)", bs, bs2,
                            NF4_BLOCK, NF4_BLOCK2);
    uint64_t rows = get_u64(buf + 16), cols = get_u64(buf + 24);
    if (rows == 0 || cols == 0 || rows > INT_MAX || cols > INT_MAX)
        return tp_error_set(err, TP_EINVAL, "nf4: bad shape [%llu, %llu] (each in 1..%d)",
                            (unsigned long long)rows, (unsigned long long)cols, INT_MAX);
    float offset = get_f32(buf + 32);
    if (!isfinite(offset))
        return tp_error_set(err, TP_EINVAL, "nf4: offset is not finite");
    int64_t n = (int64_t)(rows * cols);
    int64_t nb = (n + NF4_BLOCK - 1) / NF4_BLOCK, nb2 = (nb + NF4_BLOCK2 - 1) / NF4_BLOCK2;
    size_t need = payload_size(n, nb, nb2);
    if (len != need)
        return tp_error_set(err, TP_EINVAL,
                            "nf4: %zu bytes for a [%llu, %llu] tensor (expected %zu)", len,
                            (unsigned long long)rows, (unsigned long long)cols, need);
    const uint8_t *absmax2 = buf + NF4_HEADER + (n + 1) / 2 + nb;
    for (int64_t g = 0; g < nb2; g++) {
        float a = get_f32(absmax2 + 4 * g);
        if (!isfinite(a) || a < 0.0f)
            return tp_error_set(err, TP_EINVAL,
                                "nf4: absmax2[%lld] = %g is not a finite scale >= 0", (long long)g,
                                (double)a);
    }
    Nf4Tensor t = {.rows = (int64_t)rows,
                   .cols = (int64_t)cols,
                   .n = n,
                   .n_blocks = nb,
                   .n_blocks2 = nb2,
                   .offset = offset};
    t.codes = tp_xmalloc((size_t)(n + 1) / 2);
    t.absmax_q = tp_xmalloc((size_t)nb);
    t.absmax2 = tp_xmalloc(sizeof(float) * (size_t)nb2);
    memcpy(t.codes, buf + NF4_HEADER, (size_t)(n + 1) / 2);
    memcpy(t.absmax_q, buf + NF4_HEADER + (n + 1) / 2, (size_t)nb);
    for (int64_t g = 0; g < nb2; g++)
        t.absmax2[g] = get_f32(absmax2 + 4 * g);
    *out = t;
    return TP_OK;
}
