/* nf4.h - 4-bit NormalFloat (NF4) weights with double quantization, laid out
 * as bitsandbytes lays them out (quantize_4bit(quant_type="nf4",
 * blocksize=64, compress_statistics=True)); see the shared QLoRA reference
 * (shared/docs/qlora-reference.md) §1.
 *
 * A [rows, cols] fp32 matrix (a Linear weight [out, in]) is flattened in
 * row-major order and cut into blocks of NF4_BLOCK = 64 consecutive values
 * (a block may span two rows when cols is not a multiple of 64; the last
 * block is padded with zeros). Per block:
 *   absmax = max |w| (fp32), code = nearest NF4_CODE entry to w * (1/absmax)
 *   (decision thresholds = NF4_THRESHOLD, a value exactly on a threshold
 *   takes the LOWER code, as bitsandbytes' CUDA tree `x > t` does).
 * Codes are packed two per byte, element 2i in the HIGH nibble, 2i+1 in the
 * low nibble; an odd tail gets the code of 0.0 (7) in its low nibble.
 * Double quantization: offset = mean of all absmax; (absmax - offset) is
 * quantized with the 8-bit signed dynamic map (nf4_dynamic_map) in groups of
 * NF4_BLOCK2 = 256 absmax values, each group with its own fp32 absmax2.
 * Dequantization: absmax' = DYN[absmax_q] * absmax2[b / 256] + offset,
 * w' = NF4_CODE[code] * absmax', all in fp32.
 *
 * Thread safety: a quantized tensor is read-only after nf4_quantize;
 * every function taking a const Nf4Tensor * may run concurrently.
 *
 * Owned by the train module (src/train/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_NF4_H
#define TUNEPILOT_NF4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/error.h"

#define NF4_BLOCK 64                /* weights per first-level block */
#define NF4_BLOCK2 256              /* absmax values per second-level (DQ) block */
#define NF4_TILE_BYTES (256 * 1024) /* target size of one dequantized tile */

/* The NF4 codebook, index = 4-bit code, exact float32 values of
 * bitsandbytes' get_4bit_type("nf4") (reference §1.1). Ascending. */
extern const float NF4_CODE[16];
/* The 15 decision thresholds (midpoints of adjacent codes, as the float32
 * literals of bitsandbytes' dQuantizeNF4), ascending. */
extern const float NF4_THRESHOLD[15];

/* The 256-entry signed dynamic 8-bit map used for the absmax values:
 * bitsandbytes functional.py create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8), sorted ascending. Generated once (on
 * first use, thread-safe) by the same algorithm in float32 arithmetic, the
 * way torch evaluates it: linspace(0.1, 1, 2^i + 1) per exponent i = 0..6,
 * adjacent means, scaled by 10^(i-6), both signs, plus 0 and 1.0.
 * [0] = -0.99296875, [127] = 0, [255] = 1.0, [128] = 5.5e-7. Note: torch's
 * vectorised CPU linspace can round some entries 1 ulp differently on some
 * machines; a loader of bnb checkpoints should use the stored
 * nested_quant_map. Never NULL. */
const float *nf4_dynamic_map(void);

/* Code (0..15) of a value already normalised by 1/absmax: the number of
 * NF4_THRESHOLD entries strictly below x. NaN gives 0. */
uint8_t nf4_encode(float x);

/* Index (0..255) of x in the dynamic map, by bitsandbytes' dQuantize<0>
 * binary search (pivot 127, steps 64..1, then the midpoint test against the
 * bracketing neighbours). A value exactly on a midpoint goes to the entry
 * the search ended on, i.e. ties are resolved toward the final pivot (which
 * can be either neighbour), exactly as bitsandbytes does. */
uint8_t nf4_dynamic_encode(float x);

typedef struct Nf4Tensor {
    int64_t rows, cols;             /* a [rows, cols] fp32 matrix (Linear weight [out, in]) */
    int64_t n, n_blocks, n_blocks2; /* rows*cols, ceil(n/64), ceil(n_blocks/256) */
    uint8_t *codes; /* (n+1)/2 bytes, two 4-bit codes per byte, first element in the high nibble */
    uint8_t *absmax_q; /* n_blocks: 8-bit dynamic-map codes of (absmax - offset) / absmax2 */
    float *absmax2;    /* n_blocks2: per 256 blocks, the absmax of (absmax - offset) */
    float offset;      /* mean of all first-level absmax values */
} Nf4Tensor;

/* Quantizes w (n = rows*cols floats, row-major). rows, cols > 0 and every
 * weight finite, else TP_EINVAL (out is then zeroed, owning nothing). Owns
 * its buffers; free with nf4_free. */
TpStatus nf4_quantize(const float *w, int64_t rows, int64_t cols, Nf4Tensor *out, TpError *err);
/* Frees the buffers and zeroes t. t may be NULL or already freed. */
void nf4_free(Nf4Tensor *t);

/* The double-dequantized first-level absmax of every block: out holds
 * t->n_blocks floats. */
void nf4_dequantize_absmax(const Nf4Tensor *t, float *out);
/* Dequantizes rows [r0, r0 + nr) into out (nr*cols floats, row-major).
 * Requires 0 <= r0, nr >= 0, r0 + nr <= rows. */
void nf4_dequantize_rows(const Nf4Tensor *t, int64_t r0, int64_t nr, float *out);

/* Rows per dequantized tile: about NF4_TILE_BYTES of fp32 (at least 1, at
 * most rows). */
int64_t nf4_tile_rows(const Nf4Tensor *w);
/* Floats the scratch of the matmuls must hold: nf4_tile_rows(w) * cols
 * for each thread of the pool (tp_pool_threads()). */
size_t nf4_scratch_floats(const Nf4Tensor *w);

/* out[N, rows] = inp[N, cols] W^T (overwrites out). W is dequantized a tile
 * of rows at a time into scratch (nf4_scratch_floats(w) floats), then one
 * cblas_sgemm per tile; the whole W is never materialised. The rows are
 * shared among the pool's threads (pool.h), each with its own tile. */
void nf4_matmul_forward(float *out, const float *inp, const Nf4Tensor *w, int N, float *scratch);
/* dinp[N, cols] += dout[N, rows] W, tile by tile (the data gradient; a frozen
 * NF4 weight has no dW). ADDS into dinp like every backward kernel. The
 * columns are shared among the pool's threads; the tiles along rows, and so
 * the order of the sums, do not depend on the number of threads. */
void nf4_matmul_backward_input(float *dinp, const float *dout, const Nf4Tensor *w, int N,
                               float *scratch);

/* Dequantizes the flat elements [i0, i1) (row-major, i0 <= i1 <= n) into
 * out (i1 - i0 floats). */
void nf4_dequantize_range(const Nf4Tensor *t, int64_t i0, int64_t i1, float *out);

/* ---- bf16 compute ------------------------------------------------------------
 *
 * The frozen NF4 products can run in bf16 (QLoRA's own recipe computes them
 * in bf16): each tile of W is dequantized as above (fp32), rounded to bf16
 * (round to nearest even) and packed in panels of 32 output columns, the
 * other operand (inp or dout) is rounded to bf16 once per call, and the
 * products run on AVX512_BF16's VDPBF16PS (pairs of bf16 products summed
 * into fp32 accumulators; the instruction flushes subnormal inputs and
 * results to zero). Each operand then carries a relative rounding error of
 * at most 2^-8 (bf16 keeps 8 significant bits), so an output element is
 * within about (2^-7 + K 2^-24) sum_k |a_k b_k| of the exact fp32-operand
 * product. The kernels are compiled for that instruction set with target
 * attributes and chosen at run time: on a CPU without AVX512_BF16 (or with
 * TP_NO_BF16 set in the environment) the bf16 entry points run the fp32
 * code instead, bit for bit. Zero is fp32 so that a zeroed config is exact. */
typedef enum { NF4_COMPUTE_FP32 = 0, NF4_COMPUTE_BF16 = 1, NF4_COMPUTE_AUTO = 2 } Nf4Compute;

/* "fp32", "bf16", "auto". */
const char *nf4_compute_name(Nf4Compute c);
/* "auto" | "fp32" | "bf16" -> *c; false for anything else. */
bool nf4_compute_parse(const char *s, Nf4Compute *c);
/* Whether the bf16 kernels can run here: cpuid says AVX-512 F/BW/VL and
 * AVX512_BF16 with the OS saving the zmm state, and TP_NO_BF16 is unset or
 * empty. */
bool nf4_bf16_available(void);
/* auto -> bf16 when nf4_bf16_available(), else fp32; others unchanged. */
Nf4Compute nf4_compute_resolve(Nf4Compute c);

/* Floats of scratch the matmuls below need for N rows with compute c (the
 * larger of the forward's and the backward's needs; at least
 * nf4_scratch_floats(w)). */
size_t nf4_scratch_floats_for(const Nf4Tensor *w, int N, Nf4Compute c);
/* nf4_matmul_forward / nf4_matmul_backward_input computed in c (fp32: the
 * functions above exactly; bf16 when available, else fp32). scratch holds
 * nf4_scratch_floats_for(w, N, c) floats. */
void nf4_matmul_forward_dt(float *out, const float *inp, const Nf4Tensor *w, int N,
                           float *scratch, Nf4Compute c);
void nf4_matmul_backward_input_dt(float *dinp, const float *dout, const Nf4Tensor *w, int N,
                                  float *scratch, Nf4Compute c);

/* fp32 -> bf16 bits, round to nearest even (NaN stays a quiet NaN). */
uint16_t nf4_bf16_round(float f);

/* Storage in bytes: codes + absmax_q + 4 * n_blocks2 (absmax2) + 4 (offset). */
size_t nf4_bytes(const Nf4Tensor *t);
/* 8 * nf4_bytes / n: 4 + 8/64 + 32/(64*256) + 32/n, about 4.127. */
double nf4_bits_per_weight(const Nf4Tensor *t);

/* Serialization (checkpoints, tests). Little-endian layout:
 *   "TNF4" | u32 version = 1 | u32 64 | u32 256 | i64 rows | i64 cols |
 *   f32 offset | codes[(n+1)/2] | absmax_q[n_blocks] | f32 absmax2[n_blocks2]
 * nf4_serialized_size is the exact byte count. */
size_t nf4_serialized_size(const Nf4Tensor *t);
/* Writes into buf (cap bytes); cap < nf4_serialized_size is TP_EINVAL. */
TpStatus nf4_serialize(const Nf4Tensor *t, uint8_t *buf, size_t cap, TpError *err);
/* Reads a tensor from buf (exactly len bytes): bad magic, version, block
 * sizes, dimensions, a length that is not the exact size or a non-finite
 * scale are TP_EINVAL. On success out owns new buffers (nf4_free). */
TpStatus nf4_deserialize(const uint8_t *buf, size_t len, Nf4Tensor *out, TpError *err);

#endif
