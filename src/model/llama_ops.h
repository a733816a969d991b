/* llama_ops.h - the float instantiation of ops_template.h. Private to the
 * model layer (and its tests). */
#ifndef TP_MODEL_LLAMA_OPS_H
#define TP_MODEL_LLAMA_OPS_H

#include <stddef.h>
#include <stdint.h>

void op_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N,
                       int In, int Out);
void op_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int N, int In, int Out);
void op_embedding_forward(float *out, const int *ids, const float *table, int N, int C);
void op_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C);
void op_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int N, int C,
                        double eps);
void op_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp,
                         const float *w, const float *rstd, int N, int C);
void op_rope_forward(float *x, const float *cs, const float *sn, int N, int T, int nh, int D);
void op_rope_backward(float *dx, const float *cs, const float *sn, int N, int T, int nh, int D);
void op_rope_table(float *cs, float *sn, const double *inv_freq, int pos0, int T, int D);
/* att NULL: the probabilities are not saved, and the backward computes
 * them again (bit for bit the same); scratch: 2 T*T floats a pool thread */
void op_attention_forward(float *out, float *att, float *scratch, const float *q, const float *k,
                          const float *v, int B, int T, int H, int KV, int D, int window);
void op_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                           const float *q, const float *k, const float *v, const float *att, int B,
                           int T, int H, int KV, int D, int window);
void op_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
void op_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                        const float *up, size_t n);
/* SwiGLU on gate and up held in bf16 (llama_set_act_bf16, bf16 compute):
 * each value widened exactly, the formulas in float (tp_vswiglu16_*).
 * op_bf16_store rounds src to bf16 (nearest even; tp_bf16_row, so
 * AVX512_BF16 only). */
void op_bf16_store(uint16_t *dst, const float *src, size_t n);
void op_swiglu_forward_bf16(float *out, const uint16_t *gate, const uint16_t *up, size_t n);
void op_swiglu_backward_bf16(float *dgate, float *dup, const float *dout, const uint16_t *gate,
                             const uint16_t *up, size_t n);
int op_crossentropy_forward(float *losses, float *lse, const float *logits, const int *targets,
                            int N, int V, int ignore);
void op_crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                              const int *targets, int N, int V, int ignore, double scale,
                              int overwrite);

#endif
