/* nf4_bf16.c - the NF4 products in bf16 on AVX512_BF16 (nf4.h, "bf16
 * compute"), on the project's bf16 product (bf16.h).
 *
 * The forward's B is W^T (a column = a row of W, whose pairs are adjacent
 * in memory); the backward's B is W (a pair = two consecutive rows of W).
 * Tiles of W are dequantized to fp32 exactly as the fp32 path does
 * (nf4_dequantize_range), then rounded to bf16 and packed. Every output
 * element is computed the same way whatever the split among threads, so
 * results do not depend on the number of threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/bf16.h"
#include "tunepilot/blas.h"
#include "tunepilot/nf4.h"
#include "tunepilot/pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define BF16_KERNELS 1
#else
#define BF16_KERNELS 0
#endif

#define BF_NR TP_BF16_NR
#define BF_CB 256                  /* backward: columns of W per packed tile */
#define BF_RB 256                  /* backward: rows of W (K) per packed tile */
#define BF_TILE_BYTES (256 * 1024) /* forward: bf16 bytes of W per packed tile */

const char *nf4_compute_name(Nf4Compute c) {
    return c == NF4_COMPUTE_BF16 ? "bf16" : c == NF4_COMPUTE_AUTO ? "auto" : "fp32";
}

bool nf4_compute_parse(const char *s, Nf4Compute *c) {
    if (!s)
        return false;
    if (!strcmp(s, "fp32"))
        *c = NF4_COMPUTE_FP32;
    else if (!strcmp(s, "bf16"))
        *c = NF4_COMPUTE_BF16;
    else if (!strcmp(s, "auto"))
        *c = NF4_COMPUTE_AUTO;
    else
        return false;
    return true;
}

bool nf4_bf16_available(void) {
    return tp_bf16_available();
}

Nf4Compute nf4_compute_resolve(Nf4Compute c) {
    if (c == NF4_COMPUTE_AUTO)
        return nf4_bf16_available() ? NF4_COMPUTE_BF16 : NF4_COMPUTE_FP32;
    return c;
}

uint16_t nf4_bf16_round(float f) {
    return tp_bf16_round(f);
}

/* ---- sizes of the scratch ---------------------------------------------------------------- */

static int round_up(int x, int m) {
    return (x + m - 1) / m * m;
}

/* Forward: rows of W per packed tile, a multiple of 32 (at least 32, at
 * most rows rounded up to 32). */
static int fwd_tile_rows(const Nf4Tensor *w) {
    int tr = (int)(BF_TILE_BYTES / (2 * w->cols)) / BF_NR * BF_NR;
    if (tr < BF_NR)
        tr = BF_NR;
    int cap = round_up((int)w->rows, BF_NR);
    return tr < cap ? tr : cap;
}

/* Per worker and in total, in 4-byte units, 16 units (64 bytes) of
 * alignment slack per buffer. */
static size_t fwd_worker_units(const Nf4Tensor *w) {
    size_t tr = (size_t)fwd_tile_rows(w), kp = (size_t)(w->cols + 1) / 2;
    return tr * (size_t)w->cols + 16 + tr * kp + 16 + kp + 16; /* tile, panels, a row */
}

static size_t bwd_worker_units(void) {
    return (size_t)BF_RB * BF_CB + 16 + (size_t)BF_CB * (BF_RB / 2) + 16;
}

size_t nf4_scratch_floats_for(const Nf4Tensor *w, int N, Nf4Compute c) {
    size_t fp32 = nf4_scratch_floats(w);
    if (nf4_compute_resolve(c) != NF4_COMPUTE_BF16 || !nf4_bf16_available() || N <= 0)
        return fp32;
    size_t T = (size_t)tp_pool_threads();
    size_t fwd = (size_t)N * (size_t)((w->cols + 1) / 2) + 16 + T * fwd_worker_units(w);
    size_t bwd = (size_t)N * (size_t)((w->rows + 1) / 2) + 16 + T * bwd_worker_units();
    size_t need = fwd > bwd ? fwd : bwd;
    return need > fp32 ? need : fp32;
}

#if BF16_KERNELS

/* 64-byte aligned pointer at or after p */
static void *align64(void *p) {
    return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* ---- the jobs ------------------------------------------------------------------------------ */

typedef struct BfJob {
    const Nf4Tensor *w;
    const float *in; /* inp (forward) or dout (backward), fp32 */
    float *out;
    uint32_t *A; /* in, as bf16 pairs: N rows of lda pairs */
    int lda, N, part, tr;
    int len;       /* columns of in */
    char *workers; /* per-worker scratch */
    size_t worker_units;
} BfJob;

#define CONVERT_ROWS 64

static void convert_task(void *ctx, int task, int worker) {
    (void)worker;
    const BfJob *j = ctx;
    int n0 = task * CONVERT_ROWS, n1 = n0 + CONVERT_ROWS < j->N ? n0 + CONVERT_ROWS : j->N;
    for (int n = n0; n < n1; n++)
        tp_bf16_row(j->in + (size_t)n * j->len, j->len, j->A + (size_t)n * j->lda, 2 * j->lda);
}

/* Split across the pool: on the caller alone it was a serial 1.2% of a
 * 135M-shape step with two threads (perf, 2026-12-02), while the other
 * thread waited. */
static void convert_input(BfJob *j, int len) {
    j->len = len;
    tp_parallel_for((j->N + CONVERT_ROWS - 1) / CONVERT_ROWS, convert_task, j);
}

static void bf_forward_task(void *ctx, int task, int worker) {
    const BfJob *j = ctx;
    int rows = (int)j->w->rows, cols = (int)j->w->cols, kp = j->lda;
    int r0 = task * j->part, r1 = r0 + j->part < rows ? r0 + j->part : rows;
    char *base = j->workers + (size_t)worker * j->worker_units * 4;
    float *tile = align64(base);
    uint32_t *Bp = align64(tile + (size_t)j->tr * cols);
    uint32_t *rowbuf = align64(Bp + (size_t)j->tr * kp);
    for (int r = r0; r < r1; r += j->tr) {
        int nr = r1 - r < j->tr ? r1 - r : j->tr;
        nf4_dequantize_rows(j->w, r, nr, tile);
        tp_bf16_pack_rows(tile, nr, cols, kp, Bp, rowbuf);
        tp_bf16_gemm(j->N, nr, kp, j->A, j->lda, Bp, j->out + r, rows, false);
    }
}

static void bf_backward_task(void *ctx, int task, int worker) {
    const BfJob *j = ctx;
    int rows = (int)j->w->rows, cols = (int)j->w->cols;
    int c0 = task * j->part, c1 = c0 + j->part < cols ? c0 + j->part : cols;
    char *base = j->workers + (size_t)worker * j->worker_units * 4;
    float *tile = align64(base);
    uint32_t *Bp = align64(tile + (size_t)BF_RB * BF_CB);
    for (int cb = c0; cb < c1; cb += BF_CB) {
        int nc = c1 - cb < BF_CB ? c1 - cb : BF_CB;
        for (int r0 = 0; r0 < rows; r0 += BF_RB) {
            int nr = rows - r0 < BF_RB ? rows - r0 : BF_RB, kp = (nr + 1) / 2;
            for (int r = 0; r < nr; r++)
                nf4_dequantize_range(j->w, (int64_t)(r0 + r) * cols + cb,
                                     (int64_t)(r0 + r) * cols + cb + nc, tile + (size_t)r * nc);
            tp_bf16_pack_cols(tile, nr, nc, kp, Bp);
            tp_bf16_gemm(j->N, nc, kp, j->A + r0 / 2, j->lda, Bp, j->out + cb, cols, true);
        }
    }
}

static void bf16_forward(float *out, const float *inp, const Nf4Tensor *w, int N, float *scratch) {
    int rows = (int)w->rows, threads = tp_pool_threads();
    BfJob j = {.w = w, .in = inp, .out = out, .N = N, .lda = (int)((w->cols + 1) / 2)};
    j.A = align64(scratch);
    j.workers = align64(j.A + (size_t)N * j.lda);
    j.worker_units = fwd_worker_units(w);
    convert_input(&j, (int)w->cols);
    j.tr = fwd_tile_rows(w);
    int per = (rows + threads - 1) / threads;
    j.part = round_up(per, BF_NR);
    tp_parallel_for((rows + j.part - 1) / j.part, bf_forward_task, &j);
}

static void bf16_backward(float *dinp, const float *dout, const Nf4Tensor *w, int N,
                          float *scratch) {
    int cols = (int)w->cols, threads = tp_pool_threads();
    BfJob j = {.w = w, .in = dout, .out = dinp, .N = N, .lda = (int)((w->rows + 1) / 2)};
    j.A = align64(scratch);
    j.workers = align64(j.A + (size_t)N * j.lda);
    j.worker_units = bwd_worker_units();
    convert_input(&j, (int)w->rows);
    int per = (cols + threads - 1) / threads;
    j.part = round_up(per, BF_NR); /* 288 columns on 2 threads: 160 + 128, not 192 + 96 */
    tp_parallel_for((cols + j.part - 1) / j.part, bf_backward_task, &j);
}

#endif /* BF16_KERNELS */

void nf4_matmul_forward_dt(float *out, const float *inp, const Nf4Tensor *w, int N, float *scratch,
                           Nf4Compute c) {
#if BF16_KERNELS
    if (N > 0 && nf4_compute_resolve(c) == NF4_COMPUTE_BF16 && nf4_bf16_available()) {
        bf16_forward(out, inp, w, N, scratch);
        return;
    }
#endif
    (void)c;
    nf4_matmul_forward(out, inp, w, N, scratch);
}

void nf4_matmul_backward_input_dt(float *dinp, const float *dout, const Nf4Tensor *w, int N,
                                  float *scratch, Nf4Compute c) {
#if BF16_KERNELS
    if (N > 0 && nf4_compute_resolve(c) == NF4_COMPUTE_BF16 && nf4_bf16_available()) {
        bf16_backward(dinp, dout, w, N, scratch);
        return;
    }
#endif
    (void)c;
    nf4_matmul_backward_input(dinp, dout, w, N, scratch);
}
