/* bf16.c - bf16 products with fp32 accumulation on AVX512_BF16 (bf16.h).
 *
 * The micro-kernel is 8 rows x 32 columns (16 fp32 accumulators): per pair
 * p, two panel loads, one broadcast of A's pair per row and two VDPBF16PS
 * (acc += a.lo * b.lo + a.hi * b.hi, 16 lanes each). tp_bf16_gemm cuts K in
 * blocks of 128 pairs so that a block of a panel (16 KB) and of A's rows
 * (4 KB) stay in L1 while the packed tile stays in L2.
 *
 * The kernels carry target attributes (never -march): the rest of the
 * binary runs on any x86-64, and callers check tp_bf16_available() first. */
#include "tunepilot/bf16.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/blas.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BF16_KERNELS 1
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#else
#define BF16_KERNELS 0
#endif

#define BF_MR 8          /* rows of A per micro-kernel */
#define BF_NR TP_BF16_NR /* columns per packed panel */
#define BF_KC 128        /* pairs of K per block */

static bool bf16_hw;
static pthread_once_t bf16_once = PTHREAD_ONCE_INIT;

static void bf16_detect(void) {
    TpCpuFeatures f;
    tp_cpu_features(&f);
    bf16_hw = BF16_KERNELS && f.avx512f && f.avx512bw && f.avx512vl && f.avx512bf16;
}

bool tp_bf16_available(void) {
    pthread_once(&bf16_once, bf16_detect);
    const char *off = getenv("TP_NO_BF16");
    return bf16_hw && !(off && *off);
}

uint16_t tp_bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (uint16_t)(u >> 16 | 0x40);
    return (uint16_t)((u + 0x7fffu + (u >> 16 & 1u)) >> 16);
}

#if BF16_KERNELS

/* ---- conversions and packing ---------------------------------------------------------------- */

/* y[0..npad) = bf16(x[0..n)) then zeros; n <= npad <= n rounded up to 16 */
BF16_TARGET void tp_bf16_row(const float *x, int n, void *y, int npad) {
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
BF16_TARGET void tp_bf16_pack_rows(const float *tile, int nr, int cols, int kp, uint32_t *Bp,
                                   uint32_t *rowbuf) {
    int np = (nr + BF_NR - 1) / BF_NR;
    for (int j = 0; j < np; j++) {
        uint32_t *panel = Bp + (size_t)j * kp * BF_NR;
        for (int c = 0; c < BF_NR; c++) {
            int r = BF_NR * j + c;
            if (r < nr) {
                /* a row of up to 16 floats at a time; the tail store stays
                 * within 2 kp elements */
                tp_bf16_row(tile + (size_t)r * cols, cols, rowbuf, 2 * kp);
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
BF16_TARGET void tp_bf16_pack_cols(const float *tile, int nr, int nc, int kp, uint32_t *Bp) {
    int np = (nc + BF_NR - 1) / BF_NR;
    for (int j = 0; j < np; j++) {
        uint32_t *panel = Bp + (size_t)j * kp * BF_NR;
        for (int h = 0; h < 2; h++) {
            int cb = BF_NR * j + 16 * h, n = nc - cb < 16 ? nc - cb : 16;
            if (n <= 0) {
                for (int p = 0; p < kp; p++)
                    _mm512_storeu_si512(panel + (size_t)p * BF_NR + 16 * h, _mm512_setzero_si512());
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
BF16_TARGET static inline __attribute__((always_inline)) void ukernel(const int mr, int kp,
                                                                      const uint32_t *A, int lda,
                                                                      const uint32_t *B, float *C,
                                                                      int ldc, int nc, bool acc) {
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
    __mmask16 m1 = nc >= 32  ? (__mmask16)0xffff
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

#define UK(R)                                                                                      \
    BF16_TARGET static void ukernel_##R(int kp, const uint32_t *A, int lda, const uint32_t *B,     \
                                        float *C, int ldc, int nc, bool acc) {                     \
        ukernel(R, kp, A, lda, B, C, ldc, nc, acc);                                                \
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
static const UkFn UKERNELS[BF_MR + 1] = {NULL,      ukernel_1, ukernel_2, ukernel_3, ukernel_4,
                                         ukernel_5, ukernel_6, ukernel_7, ukernel_8};

/* C[M, n] (=, or += when acc) A[M, 2kp] B; B packed in panels of 32 columns,
 * panel j at Bp + j * kp * 32. */
void tp_bf16_gemm(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp, float *C,
                  int ldc, bool acc) {
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

void tp_bf16_gemm_wide(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp,
                       float *C, int ldc) {
    int np = (n + BF_NR - 1) / BF_NR;
    for (int j = 0; j < np; j++) {
        int nc = n - j * BF_NR < BF_NR ? n - j * BF_NR : BF_NR;
        for (int p0 = 0; p0 < kp; p0 += BF_KC) {
            int pb = kp - p0 < BF_KC ? kp - p0 : BF_KC;
            for (int i0 = 0; i0 < M; i0 += BF_MR) {
                int mr = M - i0 < BF_MR ? M - i0 : BF_MR;
                UKERNELS[mr](pb, A + (size_t)i0 * lda + p0, lda, Bp + ((size_t)j * kp + p0) * BF_NR,
                             C + (size_t)i0 * ldc + (size_t)j * BF_NR, ldc, nc, p0 > 0);
            }
        }
    }
}

#else /* no bf16 kernels in this build: tp_bf16_available() is false */

void tp_bf16_row(const float *x, int n, void *y, int npad) {
    (void)x, (void)n, (void)y, (void)npad;
    abort();
}
void tp_bf16_pack_rows(const float *tile, int nr, int cols, int kp, uint32_t *Bp,
                       uint32_t *rowbuf) {
    (void)tile, (void)nr, (void)cols, (void)kp, (void)Bp, (void)rowbuf;
    abort();
}
void tp_bf16_pack_cols(const float *tile, int nr, int nc, int kp, uint32_t *Bp) {
    (void)tile, (void)nr, (void)nc, (void)kp, (void)Bp;
    abort();
}
void tp_bf16_gemm(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp, float *C,
                  int ldc, bool acc) {
    (void)M, (void)n, (void)kp, (void)A, (void)lda, (void)Bp, (void)C, (void)ldc, (void)acc;
    abort();
}
void tp_bf16_gemm_wide(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp,
                       float *C, int ldc) {
    (void)M, (void)n, (void)kp, (void)A, (void)lda, (void)Bp, (void)C, (void)ldc;
    abort();
}

#endif /* BF16_KERNELS */
