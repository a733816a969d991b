/* nf4_bf16.c - the NF4 products in bf16 on AVX512_BF16 (nf4.h, "bf16
 * compute").
 *
 * Debian 12's OpenBLAS 0.3.21 has no cblas_sbgemm, so the product is the
 * project's own: C[M, n] (=, or +=) A[M, K] B[K, n] with
 *   - A rounded to bf16 once per call, row-major, each row padded to an
 *     even length and read as 32-bit pairs (element 2p in the low half);
 *   - B packed in panels of 32 columns: for pair p, the 32 columns' pairs
 *     (B[2p, j], B[2p+1, j]) side by side, 128 bytes, two zmm registers;
 *   - a micro-kernel of 8 rows x 32 columns (16 fp32 accumulators): per
 *     pair p, two panel loads, one broadcast of A's pair per row and two
 *     VDPBF16PS (acc += a.lo * b.lo + a.hi * b.hi, 16 lanes each);
 *   - K cut in blocks of 128 pairs so that a block of the panel (16 KB)
 *     and of A's rows (4 KB) stay in L1 while the tile stays in L2.
 * The forward's B is W^T (a column = a row of W, whose pairs are adjacent
 * in memory); the backward's B is W (a pair = two consecutive rows of W).
 * Tiles of W are dequantized to fp32 exactly as the fp32 path does
 * (nf4_dequantize_range), then rounded to bf16 (round to nearest even,
 * VCVTNEPS2BF16) and packed. Every output element is computed the same way
 * whatever the split among threads, so results do not depend on the
 * number of threads.
 *
 * The kernels carry target attributes (never -march): the rest of the
 * binary runs on any x86-64, and the entry points check cpuid first. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/blas.h"
#include "tunepilot/nf4.h"
#include "tunepilot/pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BF16_KERNELS 1
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#else
#define BF16_KERNELS 0
#endif

#define BF_MR 8      /* rows of A per micro-kernel */
#define BF_NR 32     /* columns per packed panel */
#define BF_KC 128    /* pairs of K per block */
#define BF_CB 256    /* backward: columns of W per packed tile */
#define BF_RB 256    /* backward: rows of W (K) per packed tile */
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

static bool bf16_hw;
static pthread_once_t bf16_once = PTHREAD_ONCE_INIT;

static void bf16_detect(void) {
    TpCpuFeatures f;
    tp_cpu_features(&f);
    bf16_hw = BF16_KERNELS && f.avx512f && f.avx512bw && f.avx512vl && f.avx512bf16;
}

bool nf4_bf16_available(void) {
    pthread_once(&bf16_once, bf16_detect);
    const char *off = getenv("TP_NO_BF16");
    return bf16_hw && !(off && *off);
}

Nf4Compute nf4_compute_resolve(Nf4Compute c) {
    if (c == NF4_COMPUTE_AUTO)
        return nf4_bf16_available() ? NF4_COMPUTE_BF16 : NF4_COMPUTE_FP32;
    return c;
}

uint16_t nf4_bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (uint16_t)(u >> 16 | 0x40);
    return (uint16_t)((u + 0x7fffu + (u >> 16 & 1u)) >> 16);
}

/* ---- sizes of the scratch ---------------------------------------------------------------- */

static int round_up(int x, int m) { return (x + m - 1) / m * m; }

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
static void *align64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

/* ---- conversions and packing ---------------------------------------------------------------- */

/* y[0..npad) = bf16(x[0..n)) then zeros; n <= npad <= n rounded up to 16 */
BF16_TARGET static void to_bf16(const float *x, int n, void *y, int npad) {
    uint16_t *o = y;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
        _mm256_storeu_si256((__m256i *)(o + i), (__m256i)h);
    }
    if (i < npad) {
        __mmask16 ml = (__mmask16)((1u << (n - i)) - 1), ms = (__mmask16)((1u << (npad - i)) - 1);
        __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(ml, x + i));
        _mm256_mask_storeu_epi16(o + i, ms, (__m256i)h);
    }
}

/* Forward panels: B = tile^T, tile fp32 [nr, cols]; column c of panel j is
 * tile row 32j + c; kp = (cols + 1) / 2 pairs. rowbuf holds kp pairs. */
BF16_TARGET static void pack_rows(const float *tile, int nr, int cols, int kp, uint32_t *Bp,
                                  uint32_t *rowbuf) {
    int np = (nr + BF_NR - 1) / BF_NR;
    for (int j = 0; j < np; j++) {
        uint32_t *panel = Bp + (size_t)j * kp * BF_NR;
        for (int c = 0; c < BF_NR; c++) {
            int r = BF_NR * j + c;
            if (r < nr) {
                /* a row of up to 16 floats at a time; the tail store stays
                 * within 2 kp elements */
                to_bf16(tile + (size_t)r * cols, cols, rowbuf, 2 * kp);
                for (int p = 0; p < kp; p++)
                    panel[(size_t)p * BF_NR + c] = rowbuf[p];
            } else {
                for (int p = 0; p < kp; p++)
                    panel[(size_t)p * BF_NR + c] = 0;
            }
        }
    }
}

/* Backward panels: B = tile, fp32 [nr, nc]; pair p of column c is
 * (tile[2p, c], tile[2p + 1, c]); kp = (nr + 1) / 2. */
BF16_TARGET static void pack_cols(const float *tile, int nr, int nc, int kp, uint32_t *Bp) {
    int np = (nc + BF_NR - 1) / BF_NR;
    for (int j = 0; j < np; j++) {
        uint32_t *panel = Bp + (size_t)j * kp * BF_NR;
        for (int h = 0; h < 2; h++) {
            int cb = BF_NR * j + 16 * h, n = nc - cb < 16 ? nc - cb : 16;
            if (n <= 0) {
                for (int p = 0; p < kp; p++)
                    _mm512_storeu_si512(panel + (size_t)p * BF_NR + 16 * h,
                                        _mm512_setzero_si512());
                continue;
            }
            __mmask16 m = (__mmask16)((1u << n) - 1);
            for (int p = 0; p < kp; p++) {
                int r = 2 * p;
                __m512 lo = _mm512_maskz_loadu_ps(m, tile + (size_t)r * nc + cb);
                __m512 hi = r + 1 < nr ? _mm512_maskz_loadu_ps(m, tile + (size_t)(r + 1) * nc + cb)
                                       : _mm512_setzero_ps();
                __m512i a = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(lo));
                __m512i b = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(hi));
                _mm512_storeu_si512(panel + (size_t)p * BF_NR + 16 * h,
                                    _mm512_or_si512(a, _mm512_slli_epi32(b, 16)));
            }
        }
    }
}

/* ---- the micro-kernel and the blocked product ------------------------------------------- */

/* C[mr, nc] (=, or += when acc) A[mr, 2kp] B-panel[2kp, 32]; lda in pairs. */
BF16_TARGET static inline __attribute__((always_inline)) void
ukernel(const int mr, int kp, const uint32_t *A, int lda, const uint32_t *B, float *C, int ldc,
        int nc, bool acc) {
    __m512 c0[BF_MR], c1[BF_MR];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        c0[i] = c1[i] = _mm512_setzero_ps();
    for (int p = 0; p < kp; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(B + (size_t)p * BF_NR);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(B + (size_t)p * BF_NR + 16);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)A[(size_t)i * lda + p]);
            c0[i] = _mm512_dpbf16_ps(c0[i], a, b0);
            c1[i] = _mm512_dpbf16_ps(c1[i], a, b1);
        }
    }
    __mmask16 m0 = nc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nc) - 1);
    __mmask16 m1 = nc >= 32 ? (__mmask16)0xffff
                   : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1)
                             : (__mmask16)0;
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
        float *c = C + (size_t)i * ldc;
        if (acc) {
            c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, c));
            if (m1)
                c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, c + 16));
        }
        _mm512_mask_storeu_ps(c, m0, c0[i]);
        if (m1)
            _mm512_mask_storeu_ps(c + 16, m1, c1[i]);
    }
}

#define UK(R)                                                                                   \
    BF16_TARGET static void ukernel_##R(int kp, const uint32_t *A, int lda, const uint32_t *B,   \
                                        float *C, int ldc, int nc, bool acc) {                  \
        ukernel(R, kp, A, lda, B, C, ldc, nc, acc);                                             \
    }
UK(1)
UK(2)
UK(3)
UK(4)
UK(5)
UK(6)
UK(7)
UK(8)
#undef UK

typedef void (*UkFn)(int, const uint32_t *, int, const uint32_t *, float *, int, int, bool);
static const UkFn UKERNELS[BF_MR + 1] = {NULL,       ukernel_1, ukernel_2, ukernel_3, ukernel_4,
                                         ukernel_5, ukernel_6, ukernel_7, ukernel_8};

/* C[M, n] (=, or += when acc) A[M, 2kp] B; B packed in panels of 32 columns,
 * panel j at Bp + j * kp * 32. */
static void gemm_packed(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp,
                        float *C, int ldc, bool acc) {
    int np = (n + BF_NR - 1) / BF_NR;
    for (int p0 = 0; p0 < kp; p0 += BF_KC) {
        int pb = kp - p0 < BF_KC ? kp - p0 : BF_KC;
        bool a = acc || p0 > 0;
        for (int i0 = 0; i0 < M; i0 += BF_MR) {
            int mr = M - i0 < BF_MR ? M - i0 : BF_MR;
            const uint32_t *Ai = A + (size_t)i0 * lda + p0;
            for (int j = 0; j < np; j++) {
                int nc = n - j * BF_NR < BF_NR ? n - j * BF_NR : BF_NR;
                UKERNELS[mr](pb, Ai, lda, Bp + ((size_t)j * kp + p0) * BF_NR,
                             C + (size_t)i0 * ldc + (size_t)j * BF_NR, ldc, nc, a);
            }
        }
    }
}

/* ---- the jobs ------------------------------------------------------------------------------ */

typedef struct BfJob {
    const Nf4Tensor *w;
    const float *in; /* inp (forward) or dout (backward), fp32 */
    float *out;
    uint32_t *A;     /* in, as bf16 pairs: N rows of lda pairs */
    int lda, N, part, tr;
    int len;         /* columns of in */
    char *workers;   /* per-worker scratch */
    size_t worker_units;
} BfJob;

#define CONVERT_ROWS 64

static void convert_task(void *ctx, int task, int worker) {
    (void)worker;
    const BfJob *j = ctx;
    int n0 = task * CONVERT_ROWS, n1 = n0 + CONVERT_ROWS < j->N ? n0 + CONVERT_ROWS : j->N;
    for (int n = n0; n < n1; n++)
        to_bf16(j->in + (size_t)n * j->len, j->len, j->A + (size_t)n * j->lda, 2 * j->lda);
}

/* On the caller: a vectorised pass over N x len floats costs less than
 * waking the pool once more (on a loaded machine a worker that claims a
 * part and is then descheduled makes everyone wait for it). */
static void convert_input(BfJob *j, int len) {
    j->len = len;
    for (int t = 0; t < (j->N + CONVERT_ROWS - 1) / CONVERT_ROWS; t++)
        convert_task(j, t, 0);
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
        pack_rows(tile, nr, cols, kp, Bp, rowbuf);
        gemm_packed(j->N, nr, kp, j->A, j->lda, Bp, j->out + r, rows, false);
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
            pack_cols(tile, nr, nc, kp, Bp);
            gemm_packed(j->N, nc, kp, j->A + r0 / 2, j->lda, Bp, j->out + cb, cols, true);
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

void nf4_matmul_forward_dt(float *out, const float *inp, const Nf4Tensor *w, int N,
                           float *scratch, Nf4Compute c) {
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
