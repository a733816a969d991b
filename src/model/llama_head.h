/* llama_head.h - the vocabulary head fused with the cross-entropy. Private
 * to the model layer (and its tests). */
#ifndef TP_MODEL_LLAMA_HEAD_H
#define TP_MODEL_LLAMA_HEAD_H

#include <stddef.h>
#include <stdint.h>

/* The head's weight W[V, C] rounded to bf16 and packed for both products
 * (bf16.h), with per-thread scratch for the bf16 copies of x and dlogits. */
typedef struct LlamaHeadBf16 {
    int V, C;
    uint32_t *fwd;     /* B = W^T: tp_bf16_packed_words(C, V) words */
    uint32_t *bwd;     /* B = W: tp_bf16_packed_words(V, C) words */
    uint32_t *scratch; /* per pool thread: scratch_words */
    size_t scratch_words;
    int threads; /* pool threads the scratch is sized for (grows with the pool) */
} LlamaHeadBf16;

/* NULL when memory is short. Free with llama_head_bf16_free. */
LlamaHeadBf16 *llama_head_bf16_new(const float *W, int V, int C);
void llama_head_bf16_free(LlamaHeadBf16 *h);

#define LLAMA_HEAD_ROWS 64 /* rows of logits one task holds */

/* Floats of work space llama_head_run needs: LLAMA_HEAD_ROWS * V for each
 * thread of the pool. */
size_t llama_head_work_floats(int V);

/* logits = x[N, C] W[V, C]^T, a chunk of LLAMA_HEAD_ROWS rows per task, so
 * the N x V logits are never all held. For each row whose target is not
 * ignore: lse[n] = logsumexp(logits[n]), losses[n] = lse[n] -
 * logits[n][target] (both 0 for ignored rows). When dx is non-NULL it
 * receives (overwritten) d/dx of scale * sum(losses): dlogits = scale
 * (softmax - onehot) per counted row, 0 for ignored rows, times W; when dW
 * is non-NULL dlogits^T x is ADDED to it. Returns the counted rows. The
 * log-sum-exp is the reference's (op_crossentropy_forward: a double sum of
 * exp(logit - max)) within fp32 rounding. */
int llama_head_run(const float *x, const float *W, const int *targets, int N, int C, int V,
                   int ignore, float *losses, float *lse, float *dx, float *dW, double scale,
                   float *work);
/* The same with the products in bf16 when hb is non-NULL and dW is NULL
 * (llama_set_head_bf16); hb == NULL is llama_head_run. */
int llama_head_run_dt(const float *x, const float *W, LlamaHeadBf16 *hb, const int *targets, int N,
                      int C, int V, int ignore, float *losses, float *lse, float *dx, float *dW,
                      double scale, float *work);

#endif
