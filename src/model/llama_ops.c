/* llama_ops.c - float instantiation of the kernels in ops_template.h. */
#include "model/llama_ops.h"

#define REAL float
#define OPS_NAME(x) op_##x
#define GEMM cblas_sgemm
#define REXP expf
#include "model/ops_template.h"
