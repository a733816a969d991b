/* llama_ops.c - float instantiation of the kernels in ops_template.h, with
 * the products split across the project's thread pool (tp_sgemm) and
 * attention run one sequence and KV head per task. */
#include "model/llama_ops.h"

#include "model/vexp.h"
#include "tunepilot/pool.h"

#define REAL float
#define OPS_NAME(x) op_##x
#define GEMM(order, ta, tb, ...) tp_sgemm((ta) == CblasTrans, (tb) == CblasTrans, __VA_ARGS__)
#define REXP expf
#define OPS_PARALLEL
#define OPS_VSWIGLU
#include "model/ops_template.h"
