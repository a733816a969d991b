/* blas.h - which BLAS runs the products, on which kernel, with how many
 * threads; and choosing the right kernel when the library did not.
 *
 * Debian 12's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels from the
 * CPU's family and model at load time. On CPUs newer than the library it
 * falls back to a generic core (e.g. "Prescott", SSE3 only) even when the
 * CPU has AVX2 or AVX-512, and runs several times slower. The library reads
 * OPENBLAS_CORETYPE once, when it is loaded, so the fix is to set it and
 * re-execute the program once, before any work (tp_blas_ensure_core). A
 * value the user set is always respected: some machines set it because an
 * older build computes wrongly or crashes on them.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_BLAS_H
#define TUNEPILOT_BLAS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct TpCpuFeatures {
    bool avx2, fma, avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512bf16, amx_bf16;
    bool amd; /* vendor AuthenticAMD (or Hygon) */
} TpCpuFeatures;

/* This CPU's features (cpuid, with the OS's register-state support). */
void tp_cpu_features(TpCpuFeatures *f);

/* The OpenBLAS core type that matches f, or NULL when corename is already
 * a core that uses what the CPU has (or the CPU has neither AVX2+FMA nor
 * AVX-512): AVX-512 (F, BW, VL, DQ, CD) -> "Cooperlake" with AVX512_BF16,
 * else "SkylakeX"; AVX2 + FMA -> "Zen" on AMD, else "Haswell". Pure. */
const char *tp_blas_better_core(const char *corename, const TpCpuFeatures *f);

/* Called first thing in main: when OPENBLAS_CORETYPE is unset, the guard
 * variable TP_BLAS_CORE_SET is unset and tp_blas_better_core names a core,
 * sets both and re-executes /proc/self/exe with argv. Returns (without
 * re-executing) in every other case, including a failed exec. */
void tp_blas_ensure_core(char **argv);

typedef struct TpBlasInfo {
    char name[64];    /* "OpenBLAS 0.3.21" */
    char core[32];    /* openblas_get_corename(), e.g. "Cooperlake" */
    int threads;      /* tp_pool_threads(): the project's own threads */
    bool core_forced; /* the core came from OPENBLAS_CORETYPE */
    bool core_auto;   /* ... which tp_blas_ensure_core set */
} TpBlasInfo;

void tp_blas_info(TpBlasInfo *b);
/* "OpenBLAS 0.3.21, core Cooperlake (chosen by tunepilot), 2 threads" */
void tp_blas_describe(char *out, size_t size);

#endif
