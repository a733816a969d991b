/* bf16.h - matrix products in bf16 with fp32 accumulation on AVX512_BF16
 * (VDPBF16PS), for the frozen products of training: the NF4 linear layers
 * (nf4.h, "bf16 compute") and the vocabulary head (llama.h).
 *
 * Debian 12's OpenBLAS 0.3.21 has no cblas_sbgemm, so the product is the
 * project's own: C[M, n] (=, or +=) A[M, K] B[K, n] with A rounded to bf16
 * row by row (round to nearest even), each row padded to an even length and
 * read as 32-bit pairs (element 2p in the low half), and B packed in panels
 * of TP_BF16_NR columns: for pair p, the panel's 32 columns' pairs
 * (B[2p, j], B[2p+1, j]) side by side. Every output element is computed the
 * same way whatever the split of rows or panels among threads.
 *
 * Only tp_bf16_available() and tp_bf16_round() may be called on a CPU
 * without AVX512_BF16 (or a non-x86 build); the others must not be.
 * Nothing here allocates; buffers are the caller's. Owner: core. */
#ifndef TP_BF16_H
#define TP_BF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_BF16_NR 32 /* columns per packed panel of B */

/* cpuid says AVX512F/BW/VL and AVX512_BF16, and TP_NO_BF16 is unset or empty. */
bool tp_bf16_available(void);

/* f rounded to bf16, nearest even (NaN stays a quiet NaN). */
uint16_t tp_bf16_round(float f);

/* y[0..npad) = bf16(x[0..n)) then zeros; n <= npad <= n rounded up to 16. */
void tp_bf16_row(const float *x, int n, void *y, int npad);

/* Pairs of K (kp = (K + 1) / 2) and 32-bit words of B packed for n columns. */
static inline size_t tp_bf16_packed_words(int K, int n) {
    return (size_t)((K + 1) / 2) * (size_t)((n + TP_BF16_NR - 1) / TP_BF16_NR) * TP_BF16_NR;
}

/* B = tile^T: tile fp32 [nr, cols] row-major, so column c of B is row c of
 * the tile (a weight matrix W[out, in] used as x W^T); kp = (cols + 1) / 2;
 * rowbuf holds kp words. */
void tp_bf16_pack_rows(const float *tile, int nr, int cols, int kp, uint32_t *Bp,
                       uint32_t *rowbuf);

/* B = tile: fp32 [nr, nc] row-major (x W); kp = (nr + 1) / 2. */
void tp_bf16_pack_cols(const float *tile, int nr, int nc, int kp, uint32_t *Bp);

/* C[M, n] (=, or += when acc) A[M, 2kp] B; A's rows are lda words apart;
 * B packed (panel j at Bp + j * kp * 32). K is cut in blocks so that a
 * block of every panel stays in cache: for B of at most a few hundred KB. */
void tp_bf16_gemm(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp,
                  float *C, int ldc, bool acc);

/* The same product for a B far larger than the caches (a vocabulary head:
 * n in the tens of thousands, small K): panels outermost, so each panel is
 * read once per call while A's M rows (M * kp words) stay in cache. */
void tp_bf16_gemm_wide(int M, int n, int kp, const uint32_t *A, int lda, const uint32_t *Bp,
                       float *C, int ldc);

#endif
