/* pool.c - worker threads that sleep between jobs, and tp_sgemm (pool.h).
 *
 * Waking a sleeping thread (a futex wake, then the scheduler) took about
 * 50 us per job on the 2-core machine of the benchmarks (2026-12-03: two
 * tasks of 93 us each took 147 us per call, not 93), and a training step
 * runs about two thousand jobs, most of them milliseconds long and back to
 * back. So a thread that has finished a job, and a caller waiting for its
 * job's last task, watch for the next event for a bounded time
 * (TP_POOL_SPIN_US, default POOL_SPIN_US, 0 to never) with the CPU's
 * pause instruction before they sleep on the condition variable as before:
 * a pause loop of at most 50 us per job, never a sched_yield. */
#include "tunepilot/pool.h"

#include <cblas.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define POOL_MAX 256
#define POOL_SPIN_US 50

typedef struct Pool {
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    int n;         /* threads including the caller */
    int n_workers; /* started worker threads (n - 1) */
    pthread_t tids[POOL_MAX];
    atomic_ulong gen; /* bumped for every job (under mu; read outside it while spinning) */
    atomic_bool quit;
    /* the current job: tasks are claimed and counted under mu, so a worker
     * that wakes late finds either unclaimed tasks or nothing to do */
    TpTaskFn fn;
    void *ctx;
    int n_tasks, next;
    atomic_int finished; /* under mu; read outside it while the caller spins */
} Pool;

static Pool g_pool = {PTHREAD_MUTEX_INITIALIZER,
                      PTHREAD_COND_INITIALIZER,
                      PTHREAD_COND_INITIALIZER,
                      0,
                      0,
                      {0},
                      0,
                      false,
                      NULL,
                      NULL,
                      0,
                      0,
                      0};
static pthread_mutex_t g_call = PTHREAD_MUTEX_INITIALIZER; /* one job at a time */
static _Thread_local bool t_in_task;
static long g_spin_ns = -1; /* -1: not read yet */

static long spin_ns(void) {
    if (g_spin_ns < 0) {
        const char *v = getenv("TP_POOL_SPIN_US");
        char *end = NULL;
        long us = v && *v ? strtol(v, &end, 10) : POOL_SPIN_US;
        if (v && *v && (*end || us < 0 || us > 100000))
            us = POOL_SPIN_US;
        g_spin_ns = us * 1000;
    }
    return g_spin_ns;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Pauses until done(p, arg) or spin_ns() have passed; true when done. */
static bool spin_until(const Pool *p, bool (*done)(const Pool *, unsigned long),
                       unsigned long arg) {
    long budget = spin_ns();
    if (budget <= 0)
        return done(p, arg);
    long long end = 0;
    for (unsigned i = 0;; i++) {
        if (done(p, arg))
            return true;
        if ((i & 63) == 0) { /* the clock every 64 pauses */
            long long t = now_ns();
            if (!end)
                end = t + budget;
            else if (t >= end)
                return false;
        }
        CPU_RELAX();
    }
}

static bool new_job(const Pool *p, unsigned long seen) {
    return atomic_load_explicit(&p->gen, memory_order_acquire) != seen ||
           atomic_load_explicit(&p->quit, memory_order_acquire);
}

static bool job_done(const Pool *p, unsigned long n_tasks) {
    return (unsigned long)atomic_load_explicit(&p->finished, memory_order_acquire) >= n_tasks;
}

/* Claims and runs tasks of the current job until none is left; called and
 * returns with mu held. */
static void run_tasks(Pool *p, int worker) {
    while (p->next < p->n_tasks) {
        int task = p->next++;
        TpTaskFn fn = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        fn(ctx, task, worker);
        pthread_mutex_lock(&p->mu);
        if (atomic_fetch_add(&p->finished, 1) + 1 == p->n_tasks)
            pthread_cond_signal(&p->done);
    }
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg;
    Pool *p = &g_pool;
    t_in_task = true;
    pthread_mutex_lock(&p->mu);
    unsigned long seen = p->gen;
    for (;;) {
        if (p->gen == seen && !p->quit) {
            pthread_mutex_unlock(&p->mu);
            spin_until(p, new_job, seen);
            pthread_mutex_lock(&p->mu);
        }
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->start, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        run_tasks(p, index);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int default_threads(void) {
    const char *vars[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end == '\0' && n > 0)
                return n > POOL_MAX ? POOL_MAX : (int)n;
        }
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : (int)n;
}

/* A forked child has only the forking thread: it starts its own workers on
 * its next use. */
static void after_fork_child(void) {
    pthread_mutex_init(&g_pool.mu, NULL);
    pthread_mutex_init(&g_call, NULL);
    pthread_cond_init(&g_pool.start, NULL);
    pthread_cond_init(&g_pool.done, NULL);
    g_pool.n = 0;
    g_pool.n_workers = 0;
    g_pool.quit = false;
    t_in_task = false;
}

static pthread_once_t g_atfork = PTHREAD_ONCE_INIT;
static void register_atfork(void) {
    pthread_atfork(NULL, NULL, after_fork_child);
}

static void stop_workers(Pool *p) {
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->tids[i], NULL);
    p->n_workers = 0;
    p->quit = false;
}

int tp_thread_start(pthread_t *t, void *(*fn)(void *), void *arg) {
    sigset_t all, old;
    sigfillset(&all);
    /* faults stay open: a crash on a helper is still reported where it happens */
    static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sync_sigs / sizeof sync_sigs[0]; i++)
        sigdelset(&all, sync_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the new thread inherits this mask */
    int e = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

void tp_pool_set_threads(int n) {
    pthread_once(&g_atfork, register_atfork);
    pthread_mutex_lock(&g_call);
    Pool *p = &g_pool;
    if (n <= 0)
        n = default_threads();
    if (n > POOL_MAX)
        n = POOL_MAX;
    openblas_set_num_threads(1);
    if (n != p->n) {
        stop_workers(p);
        p->n = 1;
        for (int i = 1; i < n; i++) {
            if (tp_thread_start(&p->tids[p->n_workers], worker_main, (void *)(intptr_t)i))
                break; /* fewer threads than asked: still correct */
            p->n_workers++;
            p->n++;
        }
    }
    pthread_mutex_unlock(&g_call);
}

int tp_pool_threads(void) {
    if (g_pool.n == 0)
        tp_pool_set_threads(0);
    return g_pool.n;
}

void tp_parallel_for(int n_tasks, TpTaskFn fn, void *ctx) {
    if (n_tasks <= 0)
        return;
    if (t_in_task || n_tasks == 1 || tp_pool_threads() == 1) {
        for (int i = 0; i < n_tasks; i++)
            fn(ctx, i, 0);
        return;
    }
    Pool *p = &g_pool;
    pthread_mutex_lock(&g_call);
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    p->next = 0;
    p->finished = 0;
    p->gen++;
    pthread_cond_broadcast(&p->start);
    t_in_task = true;
    run_tasks(p, 0);
    t_in_task = false;
    if (p->finished < p->n_tasks) {
        pthread_mutex_unlock(&p->mu);
        spin_until(p, job_done, (unsigned long)n_tasks);
        pthread_mutex_lock(&p->mu);
    }
    while (p->finished < p->n_tasks)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&g_call);
}

/* --- tp_sgemm ------------------------------------------------------------------------ */

typedef struct GemmJob {
    int ta, tb, M, N, K, lda, ldb, ldc, by_rows, step, parts;
    float alpha, beta;
    const float *A, *B;
    float *C;
} GemmJob;

static void gemm_part(void *ctx, int task, int worker) {
    (void)worker;
    const GemmJob *j = ctx;
    int total = j->by_rows ? j->M : j->N, i0 = task * j->step;
    if (i0 >= total)
        return;
    int n = total - i0 < j->step ? total - i0 : j->step;
    enum CBLAS_TRANSPOSE ta = j->ta ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = j->tb ? CblasTrans : CblasNoTrans;
    if (j->by_rows) /* rows i0.. of op(A) and C */
        cblas_sgemm(CblasRowMajor, ta, tb, n, j->N, j->K, j->alpha,
                    j->A + (j->ta ? (size_t)i0 : (size_t)i0 * j->lda), j->lda, j->B, j->ldb,
                    j->beta, j->C + (size_t)i0 * j->ldc, j->ldc);
    else /* columns i0.. of op(B) and C */
        cblas_sgemm(CblasRowMajor, ta, tb, j->M, n, j->K, j->alpha, j->A, j->lda,
                    j->B + (j->tb ? (size_t)i0 * j->ldb : (size_t)i0), j->ldb, j->beta, j->C + i0,
                    j->ldc);
}

void tp_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0)
        return;
    int threads = tp_pool_threads();
    double flops = 2.0 * M * N * (K > 0 ? K : 1);
    /* below about 0.25 MFLOP a wake-up costs more than it saves */
    if (threads == 1 || t_in_task || flops < 2.5e5 || (M < 32 && N < 32)) {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                    ldc);
        return;
    }
    GemmJob j = {trans_a, trans_b, M,     N,    K, lda, ldb, ldc, M >= N || M >= 64 * threads,
                 0,       0,       alpha, beta, A, B,   C};
    int total = j.by_rows ? M : N;
    /* whole register blocks per part: rows in 16s, columns in 32s */
    int align = j.by_rows ? 16 : 32;
    int step = (total + threads - 1) / threads;
    step = (step + align - 1) / align * align;
    j.step = step;
    j.parts = (total + step - 1) / step;
    tp_parallel_for(j.parts, gemm_part, &j);
}

/* --- tp_parallel_range ------------------------------------------------------------------ */

typedef struct RangeJob {
    TpRangeFn fn;
    void *ctx;
    size_t n, step;
} RangeJob;

static void range_part(void *ctx, int task, int worker) {
    (void)worker;
    const RangeJob *j = ctx;
    size_t i0 = (size_t)task * j->step, i1 = i0 + j->step < j->n ? i0 + j->step : j->n;
    if (i0 < i1)
        j->fn(j->ctx, i0, i1);
}

void tp_parallel_range(size_t n, size_t grain, size_t align, TpRangeFn fn, void *ctx) {
    size_t threads = (size_t)tp_pool_threads(), parts = (n + grain - 1) / (grain ? grain : 1);
    if (parts > threads)
        parts = threads;
    if (parts <= 1) {
        if (n > 0)
            fn(ctx, 0, n);
        return;
    }
    align = align ? align : 1;
    RangeJob j = {fn, ctx, n, ((n + parts - 1) / parts + align - 1) / align * align};
    tp_parallel_for((int)((n + j.step - 1) / j.step), range_part, &j);
}
