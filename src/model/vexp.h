/* vexp.h - exp over float arrays, vectorised (AVX-512, AVX2 or SSE2 picked
 * at load time). Private to the model layer and its tests. */
#ifndef TP_MODEL_VEXP_H
#define TP_MODEL_VEXP_H

#include <stddef.h>
#include <stdint.h>

/* y[i] = exp(x[i] - shift) for i < n (y may be x). Within 2 ulp of expf for
 * arguments in [-87, 88]; below -87 the result is 0 (expf's values there
 * are under 1.7e-38); NaN gives NaN. */
void tp_vexpf(float *y, const float *x, float shift, size_t n);
/* The largest of x[0..n-1] (n >= 1). */
float tp_vmaxf(const float *x, size_t n);
/* sum of exp(x[i] - shift) in double, without storing the terms */
double tp_vexpsumf(const float *x, float shift, size_t n);
/* SwiGLU's forward (out = silu(gate) * up) and backward (dgate, dup +=)
 * with the formulas of ops_template.h in double, exp by a vectorised
 * polynomial within a few double ulp of exp(): the float results agree with
 * the scalar loops' to the last bit but for rare roundings (at most 1 ulp,
 * test_llama_head.c). */
void tp_vswiglu_forward(float *out, const float *gate, const float *up, size_t n);
void tp_vswiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                         const float *up, size_t n);
/* The same in float for gate and up held in bf16 (llama_set_act_bf16, bf16
 * compute): each widened exactly, sigmoid from the float exp above (exp's
 * argument clamped to [-87, 88], so a gate below -88 gives a sigmoid of
 * about 6e-39 rather than 0). */
void tp_vswiglu16_forward(float *out, const uint16_t *gate, const uint16_t *up, size_t n);
void tp_vswiglu16_backward(float *dgate, float *dup, const float *dout, const uint16_t *gate,
                           const uint16_t *up, size_t n);
/* Attention's softmax over row[lo..t] of a row of T (the rest set to 0):
 * the max, exp(row - max) from the float exp above, their sum in double 16
 * terms at a time, each term divided by the sum in double; and its
 * backward, row[s] = p[s] (row[s] - sum_s row[s] p[s]) for s <= t (the dot
 * in double 16 terms at a time), 0 past t. The formulas of ops_template.h,
 * vectorised; their float results within a few ulp of its loops'. */
void tp_vsoftmax_row(float *row, int lo, int t, int T);
void tp_vsoftmax_backward_row(float *row, const float *p, int t, int T);

#endif
