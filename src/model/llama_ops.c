/* llama_ops.c - float instantiation of the kernels in ops_template.h, with
 * the products split across the project's thread pool (tp_sgemm) and
 * attention run one sequence and KV head per task. */
#include "model/llama_ops.h"

#include <stdint.h>

#include "model/vexp.h"
#include "tunepilot/bf16.h"
#include "tunepilot/pool.h"

#define REAL float
#define OPS_NAME(x) op_##x
#define GEMM(order, ta, tb, ...) tp_sgemm((ta) == CblasTrans, (tb) == CblasTrans, __VA_ARGS__)
#define REXP expf
#define OPS_PARALLEL
#define OPS_VSWIGLU
#define OPS_VSOFTMAX
#include "model/ops_template.h"

/* --- gate and up kept in bf16 (llama_set_act_bf16) ------------------------------------ */

#define BF16_GRAIN 32768 /* elements per range, as SwiGLU's */

typedef struct Bf16Job {
    float *o1, *o2;
    const float *src;
    uint16_t *dst;
    const uint16_t *g, *u;
} Bf16Job;

static void round_part(void *ctx, size_t i0, size_t i1) {
    const Bf16Job *j = ctx;
    tp_bf16_row(j->src + i0, (int)(i1 - i0), j->dst + i0, (int)(i1 - i0));
}

void op_bf16_store(uint16_t *dst, const float *src, size_t n) {
    Bf16Job j = {.src = src, .dst = dst};
    tp_parallel_range(n, BF16_GRAIN, 16, round_part, &j);
}

static void swiglu16_fwd_part(void *ctx, size_t i0, size_t i1) {
    const Bf16Job *j = ctx;
    tp_vswiglu16_forward(j->o1 + i0, j->g + i0, j->u + i0, i1 - i0);
}

static void swiglu16_bwd_part(void *ctx, size_t i0, size_t i1) {
    const Bf16Job *j = ctx;
    tp_vswiglu16_backward(j->o1 + i0, j->o2 + i0, j->src + i0, j->g + i0, j->u + i0, i1 - i0);
}

void op_swiglu_forward_bf16(float *out, const uint16_t *gate, const uint16_t *up, size_t n) {
    Bf16Job j = {.o1 = out, .g = gate, .u = up};
    tp_parallel_range(n, BF16_GRAIN, 16, swiglu16_fwd_part, &j);
}

void op_swiglu_backward_bf16(float *dgate, float *dup, const float *dout, const uint16_t *gate,
                             const uint16_t *up, size_t n) {
    Bf16Job j = {.o1 = dgate, .o2 = dup, .src = dout, .g = gate, .u = up};
    tp_parallel_range(n, BF16_GRAIN, 16, swiglu16_bwd_part, &j);
}
