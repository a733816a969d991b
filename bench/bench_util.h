/* bench_util.h - what every benchmark program needs: its clocks and a
 * scratch folder. Header-only; benchmarks are single-file programs. */
#ifndef TUNEPILOT_BENCH_UTIL_H
#define TUNEPILOT_BENCH_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Wall-clock seconds (monotonic). */
static inline double bench_wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* This process's CPU seconds: figures that hold when the host is shared. */
static inline double bench_cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A new folder $TMPDIR/NAME (else /tmp/NAME), NAME ending in XXXXXX
 * (mkdtemp); false when it cannot be made. */
static inline bool bench_tmpdir(char *dir, size_t size, const char *name) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/%s", tmp && *tmp ? tmp : "/tmp", name);
    return mkdtemp(dir) != NULL;
}

#endif
