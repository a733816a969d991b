/* blas.c - the BLAS in use and its kernel choice (blas.h). */
#include "tunepilot/blas.h"

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tunepilot/pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

void tp_cpu_features(TpCpuFeatures *f) {
    memset(f, 0, sizeof *f);
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    unsigned max = a;
    /* "AuthenticAMD": ebx "Auth", edx "enti", ecx "cAMD"; Hygon shares the cores */
    f->amd = (b == 0x68747541 && c == 0x444d4163) || (b == 0x6f677948);
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    bool osxsave = c >> 27 & 1, fma = c >> 12 & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    bool tiles = (xcr0 & 0x60000) == 0x60000;
    if (max < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    f->fma = fma && ymm;
    f->avx2 = (b >> 5 & 1) && ymm;
    f->avx512f = (b >> 16 & 1) && zmm;
    f->avx512dq = (b >> 17 & 1) && zmm;
    f->avx512cd = (b >> 28 & 1) && zmm;
    f->avx512bw = (b >> 30 & 1) && zmm;
    f->avx512vl = (b >> 31 & 1) && zmm;
    f->amx_bf16 = (d >> 22 & 1) && tiles;
    __cpuid_count(7, 1, a, b, c, d);
    f->avx512bf16 = (a >> 5 & 1) && zmm;
}
#else
void tp_cpu_features(TpCpuFeatures *f) { memset(f, 0, sizeof *f); }
#endif

static bool name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (!strcasecmp(name, *list))
            return true;
    return false;
}

const char *tp_blas_better_core(const char *corename, const TpCpuFeatures *f) {
    if (!corename)
        return NULL;
    /* OpenBLAS 0.3.21's x86-64 cores (driver/others/dynamic.c) that use
     * AVX-512, and those that use AVX2 */
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                       "SapphireRapids", NULL};
    bool has512 = f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->avx512cd;
    if (has512 && !name_in(corename, avx512))
        return f->avx512bf16 ? "Cooperlake" : "SkylakeX";
    if (!has512 && f->avx2 && f->fma && !name_in(corename, avx2))
        return f->amd ? "Zen" : "Haswell";
    return NULL;
}

void tp_blas_ensure_core(char **argv) {
    const char *user = getenv("OPENBLAS_CORETYPE");
    if ((user && *user) || getenv("TP_BLAS_CORE_SET"))
        return;
    TpCpuFeatures f;
    tp_cpu_features(&f);
    const char *core = tp_blas_better_core(openblas_get_corename(), &f);
    if (!core)
        return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv("TP_BLAS_CORE_SET", core, 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the library's own choice */
    unsetenv("OPENBLAS_CORETYPE");
}

void tp_blas_info(TpBlasInfo *b) {
    memset(b, 0, sizeof *b);
    const char *cfg = openblas_get_config(), *core = openblas_get_corename();
    /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": the first two words */
    int words = 0;
    size_t i = 0;
    for (; cfg && cfg[i] && i + 1 < sizeof b->name; i++) {
        if (cfg[i] == ' ' && ++words == 2)
            break;
        b->name[i] = cfg[i];
    }
    b->name[i] = '\0';
    if (!b->name[0])
        snprintf(b->name, sizeof b->name, "OpenBLAS");
    snprintf(b->core, sizeof b->core, "%s", core ? core : "unknown");
    b->threads = tp_pool_threads();
    const char *user = getenv("OPENBLAS_CORETYPE"), *set = getenv("TP_BLAS_CORE_SET");
    b->core_forced = user && *user;
    b->core_auto = b->core_forced && set && !strcmp(set, user);
}

void tp_blas_describe(char *out, size_t size) {
    TpBlasInfo b;
    tp_blas_info(&b);
    snprintf(out, size, "%s, core %s%s, %d thread%s", b.name, b.core,
             b.core_auto ? " (chosen by tunepilot)" : b.core_forced ? " (OPENBLAS_CORETYPE)" : "",
             b.threads, b.threads == 1 ? "" : "s");
}
