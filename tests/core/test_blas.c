/* test_blas.c - the BLAS kernel choice (the one test that sets
 * OPENBLAS_CORETYPE, in child processes only), the thread pool and the
 * split sgemm.
 *
 * Children are this program run again with "--child MODE OUT": they write
 * their OpenBLAS core, the guard variable and a product to OUT. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tp_test.h"
#include "tunepilot/blas.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

#define PM 67
#define PN 45
#define PK 300

static void fill(float *x, size_t n, uint64_t seed) {
    TpRng r;
    tp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(tp_rng_uniform(&r) * 2 - 1);
}

/* --- child side ------------------------------------------------------------------------- */

static int child(const char *mode, const char *out, char **argv) {
    if (!strcmp(mode, "ensure"))
        tp_blas_ensure_core(argv);
    FILE *f = fopen(out, "w");
    if (!f)
        return 1;
    const char *set = getenv("TP_BLAS_CORE_SET");
    fprintf(f, "%s\n%s\n", openblas_get_corename(), set ? set : "-");
    float *a = malloc(sizeof(float) * PM * PK), *b = malloc(sizeof(float) * PK * PN),
          *c = malloc(sizeof(float) * PM * PN);
    fill(a, PM * PK, 1);
    fill(b, PK * PN, 2);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, PM, PN, PK, 1, a, PK, b, PN, 0, c, PN);
    for (int i = 0; i < PM * PN; i++)
        fprintf(f, "%.9g\n", c[i]);
    fclose(f);
    free(a);
    free(b);
    free(c);
    return 0;
}

/* --- parent side ------------------------------------------------------------------------ */

typedef struct ChildOut {
    char core[64], guard[64];
    float c[PM * PN];
} ChildOut;

/* Runs a child with OPENBLAS_CORETYPE = coretype (NULL: unset) and the
 * guard unset. */
static void run_child(const char *mode, const char *coretype, ChildOut *o) {
    char out[4200];
    snprintf(out, sizeof out, "%s/child-%s-%s", tp_tmpdir(), mode, coretype ? coretype : "none");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsetenv("TP_BLAS_CORE_SET");
        if (coretype)
            setenv("OPENBLAS_CORETYPE", coretype, 1);
        else
            unsetenv("OPENBLAS_CORETYPE");
        char *args[] = {"test_blas", "--child", (char *)mode, out, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%63s %63s", o->core, o->guard), 2);
    for (int i = 0; i < PM * PN; i++)
        assert_int_equal(fscanf(f, "%g", &o->c[i]), 1);
    fclose(f);
}

/* The rule, case by case (OpenBLAS 0.3.21's core names, driver/others/dynamic.c). */
static void test_better_core_rule(void **state) {
    (void)state;
    TpCpuFeatures none = {0}, avx2 = {.avx2 = true, .fma = true};
    TpCpuFeatures avx2_amd = avx2, avx512 = avx2, avx512bf = avx2;
    avx2_amd.amd = true;
    avx512.avx512f = avx512.avx512bw = avx512.avx512vl = avx512.avx512dq = avx512.avx512cd = true;
    avx512bf = avx512;
    avx512bf.avx512bf16 = true;
    /* the machine: an AVX-512 + BF16 Xeon that 0.3.21 calls Prescott */
    assert_string_equal(tp_blas_better_core("Prescott", &avx512bf), "Cooperlake");
    assert_string_equal(tp_blas_better_core("Prescott", &avx512), "SkylakeX");
    assert_string_equal(tp_blas_better_core("Haswell", &avx512), "SkylakeX");
    assert_string_equal(tp_blas_better_core("Sandybridge", &avx2), "Haswell");
    assert_string_equal(tp_blas_better_core("Prescott", &avx2_amd), "Zen");
    assert_string_equal(tp_blas_better_core("Core2", &avx2), "Haswell");
    assert_null(tp_blas_better_core("Cooperlake", &avx512bf));
    assert_null(tp_blas_better_core("SkylakeX", &avx512bf)); /* already AVX-512 */
    assert_null(tp_blas_better_core("Zen", &avx2_amd));
    assert_null(tp_blas_better_core("Haswell", &avx2));
    assert_null(tp_blas_better_core("Prescott", &none)); /* nothing better to use */
    assert_null(tp_blas_better_core(NULL, &avx512));
}

/* The generic kernel and the kernel chosen for this CPU compute the same
 * product (to float rounding: their sums run in different orders). */
static void test_chosen_kernel_matches_generic(void **state) {
    (void)state;
    TpCpuFeatures f;
    tp_cpu_features(&f);
    ChildOut *gen = calloc(1, sizeof *gen), *best = calloc(1, sizeof *best);
    run_child("plain", "Prescott", gen);
    assert_string_equal(gen->core, "Prescott");
    const char *want = tp_blas_better_core("Prescott", &f);
    run_child("plain", want, best);
    if (want)
        assert_string_equal(best->core, want);
    printf("generic %s, chosen %s\n", gen->core, best->core);
    double dmax = 0, ref = 0;
    for (int i = 0; i < PM * PN; i++) {
        dmax = fmax(dmax, fabs((double)gen->c[i] - best->c[i]));
        ref = fmax(ref, fabs((double)gen->c[i]));
    }
    /* K = 300 products of values in (-1, 1): a few float ulps of the largest */
    assert_true(dmax <= 1e-5 * ref);
    free(gen);
    free(best);
}

/* tp_blas_ensure_core re-executes with the better core when there is one,
 * and leaves a user's OPENBLAS_CORETYPE alone. */
static void test_ensure_core(void **state) {
    (void)state;
    ChildOut *plain = calloc(1, sizeof *plain), *o = calloc(1, sizeof *o);
    run_child("plain", NULL, plain); /* the library's own choice */
    TpCpuFeatures f;
    tp_cpu_features(&f);
    const char *better = tp_blas_better_core(plain->core, &f);
    run_child("ensure", NULL, o);
    if (better) {
        assert_string_equal(o->core, better);
        assert_string_equal(o->guard, better);
    } else {
        assert_string_equal(o->core, plain->core);
        assert_string_equal(o->guard, "-");
    }
    run_child("ensure", "Prescott", o); /* the user's choice stands */
    assert_string_equal(o->core, "Prescott");
    assert_string_equal(o->guard, "-");
    free(plain);
    free(o);
}

/* --- the pool --------------------------------------------------------------------------- */

typedef struct Count {
    int hits[1000];
    int nested;
} Count;

static void count_task(void *ctx, int task, int worker) {
    Count *c = ctx;
    assert_true(worker >= 0 && worker < tp_pool_threads());
    __atomic_add_fetch(&c->hits[task], 1, __ATOMIC_RELAXED);
}

static void nested_task(void *ctx, int task, int worker) {
    (void)worker;
    Count *c = ctx;
    Count inner = {{0}, 0};
    tp_parallel_for(10, count_task, &inner); /* runs inline */
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += inner.hits[i];
    if (sum == 10)
        __atomic_add_fetch(&c->nested, 1, __ATOMIC_RELAXED);
    c->hits[task] = 1;
}

static void test_pool_runs_every_task_once(void **state) {
    (void)state;
    int sizes[] = {1, 2, 3, 4};
    for (int s = 0; s < 4; s++) {
        tp_pool_set_threads(sizes[s]);
        assert_true(tp_pool_threads() >= 1 && tp_pool_threads() <= sizes[s]);
        for (int round = 0; round < 50; round++) {
            Count *c = calloc(1, sizeof *c);
            int n = 1 + round * 19 % 1000;
            tp_parallel_for(n, count_task, c);
            for (int i = 0; i < 1000; i++)
                assert_int_equal(c->hits[i], i < n ? 1 : 0);
            free(c);
        }
        Count *c = calloc(1, sizeof *c);
        tp_parallel_for(7, nested_task, c);
        assert_int_equal(c->nested, 7);
        free(c);
    }
    tp_pool_set_threads(1);
}

/* Helper threads start with every signal blocked, so a process-directed
 * signal waits for the main thread (whose handlers set flags it reads)
 * rather than landing on a pool worker or a heartbeat. The helper is
 * started while SIGUSR1 is open on the caller; the caller then blocks it and
 * sends it: it must stay pending while the helper runs, and run on the
 * caller once the caller unblocks it. (A thread started by plain
 * pthread_create inherits the open mask and takes the signal at once.) */
static pthread_t g_sig_thread;
static volatile sig_atomic_t g_sig_count;
static int g_helper_go;

static void note_thread(int sig) {
    (void)sig;
    g_sig_thread = pthread_self();
    g_sig_count++;
}

static void *helper_wait(void *arg) {
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    *(int *)arg = sigismember(&m, SIGINT) && sigismember(&m, SIGTERM) &&
                  sigismember(&m, SIGUSR1) && sigismember(&m, SIGTSTP);
    while (!__atomic_load_n(&g_helper_go, __ATOMIC_ACQUIRE)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return NULL;
}

/* In a child made by fork, which holds no other thread (OpenBLAS's own
 * workers, started when the library loads with every signal open, would
 * take the signal otherwise): 0 when the signal waited for the caller. */
static int helper_trial(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = note_thread;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    int blocked = 0;
    pthread_t t;
    if (tp_thread_start(&t, helper_wait, &blocked) != 0)
        return 2;
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    if (sigismember(&now, SIGUSR1))
        return 3; /* the caller's mask must be put back */
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    kill(getpid(), SIGUSR1);
    struct timespec wait = {0, 100000000};
    nanosleep(&wait, NULL);
    int early = g_sig_count; /* 0: pending, no helper took it */
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    int on_caller = g_sig_count == 1 && pthread_equal(g_sig_thread, pthread_self());
    __atomic_store_n(&g_helper_go, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    if (early)
        return 4;
    if (!on_caller)
        return 5;
    return blocked ? 0 : 6;
}

static void test_helper_threads_block_signals(void **state) {
    (void)state;
    assert_int_equal(tp_test_in_child(helper_trial), 0);
}

/* The split product equals one cblas_sgemm to float rounding (not bit for
 * bit: OpenBLAS picks different kernels, e.g. its small-matrix ones, for
 * the smaller parts). Every transpose, both splits. */
static void test_split_sgemm_exact(void **state) {
    (void)state;
    int shapes[][3] = {{300, 70, 64}, {40, 900, 33}, {17, 5, 1000}, {256, 256, 16}};
    tp_pool_set_threads(2);
    for (int s = 0; s < 4; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                int lda = ta ? M : K, ldb = tb ? K : N;
                float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N);
                float *c1 = malloc(sizeof(float) * M * N), *c2 = malloc(sizeof(float) * M * N);
                fill(a, (size_t)M * K, 3);
                fill(b, (size_t)K * N, 4);
                fill(c1, (size_t)M * N, 5);
                memcpy(c2, c1, sizeof(float) * M * N);
                tp_sgemm(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, 1.0f, c1, N);
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                            tb ? CblasTrans : CblasNoTrans, M, N, K, 0.5f, a, lda, b, ldb, 1.0f,
                            c2, N);
                double dmax = 0, ref = 0;
                for (int i = 0; i < M * N; i++) {
                    dmax = fmax(dmax, fabs((double)c1[i] - c2[i]));
                    ref = fmax(ref, fabs((double)c2[i]));
                }
                assert_true(dmax <= 1e-5 * ref);
                free(a);
                free(b);
                free(c1);
                free(c2);
            }
    tp_pool_set_threads(1);
}

static void test_describe(void **state) {
    (void)state;
    char d[256];
    tp_blas_describe(d, sizeof d);
    TpBlasInfo b;
    tp_blas_info(&b);
    assert_non_null(strstr(d, "OpenBLAS"));
    assert_non_null(strstr(d, b.core));
    assert_non_null(strstr(d, "thread"));
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--child"))
        return child(argv[2], argv[3], argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_better_core_rule),
        cmocka_unit_test(test_chosen_kernel_matches_generic),
        cmocka_unit_test(test_ensure_core),
        cmocka_unit_test(test_pool_runs_every_task_once),
        cmocka_unit_test(test_helper_threads_block_signals),
        cmocka_unit_test(test_split_sgemm_exact),
        cmocka_unit_test(test_describe),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
