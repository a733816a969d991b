/* Allocation failure at every checked allocation of a real operation.
 *
 * The operation: load the bundled pricing tables, parse the ticket-triage
 * example scenario, project it (200 draws), render the projection as a
 * Markdown report,
 * free everything. Out of memory is fatal by design (arena.h): the checked
 * helpers call the out-of-memory handler, print "tunepilot: out of memory
 * (N bytes)" and abort. What must hold at every allocation point is that
 * the failure takes that path: the handler runs (the terminal would be
 * restored), the message is printed, the process ends by SIGABRT, and it
 * never crashes on a NULL or dies another way.
 *
 * So for each N the operation runs in a child process with
 * tp_alloc_fail_at(N); the parent checks how the child ended and what it
 * printed. N runs over every allocation the operation makes (counted in a
 * first run without faults), plus one past the end, where the operation
 * must complete. Leaks: the fault-free run is in this process, so the
 * sanitizer build's leak check covers it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tp_test.h"
#include "tunepilot/arena.h"
#include "tunepilot/assets.h"
#include "tunepilot/cost.h"
#include "tunepilot/pricing.h"
#include "tunepilot/report.h"

/* The operation; returns 0 when everything succeeded. */
static int operation(void) {
    Pricing p;
    TpError err;
    if (pricing_load_bundled(&p, &err) != TP_OK)
        return 1;
    size_t len;
    const char *text = tp_asset_get("assets/scenarios/ticket-triage.json", &len);
    if (!text) {
        pricing_free(&p);
        return 2;
    }
    CostScenario sc;
    int rc = 0;
    if (cost_scenario_parse(text, len, "ticket-triage.json", &p, &sc, &err) != TP_OK) {
        rc = 3;
    } else {
        sc.draws = 200;
        CostProjection proj;
        if (cost_project(&sc, &proj, &err) != TP_OK) {
            rc = 4;
        } else {
            ReportPricing rp = {0, "bundled", NULL};
            char *md = report_cost_render(&sc, &proj, &rp, REPORT_MARKDOWN);
            if (!md)
                rc = 5;
            free(md);
            cost_projection_free(&proj);
        }
        cost_scenario_free(&sc);
    }
    pricing_free(&p);
    return rc;
}

static void on_oom(size_t size) {
    /* async-signal-safe output only: the handler must not allocate */
    static const char msg[] = "oom handler ran\n";
    (void)size;
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(99);
}

/* Runs the operation in a child with the nth allocation failing; returns
 * its wait status and what it wrote to stderr. */
static int run_child(long n, char *out, size_t size) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        tp_set_oom_handler(on_oom);
        tp_alloc_fail_at(n);
        int rc = operation();
        _exit(rc);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t r;
    while ((r = read(fds[0], out + used, size - 1 - used)) > 0)
        used += (size_t)r;
    out[used] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void test_every_allocation_fails_cleanly(void **state) {
    (void)state;
    /* fault-free: the operation works and its allocations are counted */
    tp_alloc_fail_at(0);
    assert_int_equal(operation(), 0);
    long total = tp_alloc_count();
    assert_true(total > 10);

    /* every allocation point, or an even spread of 400 of them (always
     * the first and the last) when there are more; then one past the end */
    long points = total < 400 ? total : 400;
    int tried = 0;
    char out[4096];
    for (long i = 0; i < points; i++) {
        long n = points == total ? i + 1 : 1 + i * (total - 1) / (points - 1);
        int status = run_child(n, out, sizeof out);
        tried++;
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
            fail_msg("allocation %ld of %ld: the child did not abort as out of memory does "
                     "(status %#x), stderr: %s",
                     n, total, status, out);
        if (!strstr(out, "oom handler ran\n") || !strstr(out, "tunepilot: out of memory ("))
            fail_msg("allocation %ld of %ld: expected the handler and the message, got: %s", n,
                     total, out);
    }
    int status = run_child(total + 1, out, sizeof out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("allocation %ld (none fails): status %#x, stderr: %s", total + 1, status, out);
    printf("%ld checked allocations in the operation; %d failure points injected, each ended "
           "by the out-of-memory path\n",
           total, tried);
    assert_true(tried > 0);
}

/* The hook counts and the handler is swapped, then restored. */
static void test_hook_basics(void **state) {
    (void)state;
    tp_alloc_fail_at(0);
    long before = tp_alloc_count();
    void *p = tp_xmalloc(8);
    char *s = tp_xstrdup("abc");
    p = tp_xrealloc(p, 16);
    void *q = tp_xcalloc(2, 4);
    assert_int_equal(tp_alloc_count() - before, 4);
    free(p);
    free(s);
    free(q);
    TpOomHandler old = tp_set_oom_handler(on_oom);
    assert_ptr_equal(tp_set_oom_handler(old), on_oom);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_basics),
        cmocka_unit_test(test_every_allocation_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
