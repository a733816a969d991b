/* pool.h - the project's own worker threads, and the matrix products split
 * across them.
 *
 * One process-wide pool: tp_parallel_for hands tasks 0..n-1 to the caller
 * and the pool's workers, which sleep on a condition variable between
 * calls (no spinning, no sched_yield). The BLAS itself runs single-threaded
 * inside each task (tp_pool_set_threads sets OpenBLAS to one thread), so
 * two threads do two threads' work and idle threads cost nothing.
 *
 * A call from inside a task runs its tasks inline on that thread.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_POOL_H
#define TUNEPILOT_POOL_H

#include <pthread.h>
#include <stddef.h>

/* pthread_create for every helper thread the project starts (the pool's
 * workers, a run's heartbeat, eval's senders): the thread starts with every
 * asynchronous signal blocked (faults such as SIGSEGV stay open), so Ctrl-C,
 * SIGTERM, cancel and pause reach the main thread, whose handlers set flags
 * that thread reads. 0 or an error number. */
int tp_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* task: 0..n_tasks-1; worker: 0..tp_pool_threads()-1 (the caller is 0),
 * for per-thread scratch. */
typedef void (*TpTaskFn)(void *ctx, int task, int worker);

/* Sets the pool's size (1 = everything on the caller; clamped to 1..256)
 * and sets the BLAS to one thread. n <= 0: the default, from
 * OPENBLAS_NUM_THREADS or OMP_NUM_THREADS when set, else the online CPUs.
 * Not to be called while a tp_parallel_for runs. */
void tp_pool_set_threads(int n);
/* The pool's size (initialised to the default on first use). */
int tp_pool_threads(void);
/* Runs fn(ctx, task, worker) for every task and returns when all are done. */
void tp_parallel_for(int n_tasks, TpTaskFn fn, void *ctx);

/* Elementwise work over 0..n-1 split into at most tp_pool_threads() ranges
 * of at least grain indices, each starting at a multiple of align (>= 1):
 * fn(ctx, i0, i1) for each range (on the caller alone when there is one). */
typedef void (*TpRangeFn)(void *ctx, size_t i0, size_t i1);
void tp_parallel_range(size_t n, size_t grain, size_t align, TpRangeFn fn, void *ctx);

/* cblas_sgemm, row-major, C = alpha op(A) op(B) + beta C with op(A) [M, K]
 * and op(B) [K, N], split by rows of C (or by columns when C is wide and
 * short) across the pool, each part a single-threaded cblas_sgemm. The
 * parts' kernels may differ (OpenBLAS has small-matrix kernels), so results
 * agree with one call to float rounding, and are the same run to run for a
 * given number of threads. */
void tp_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);

#endif
