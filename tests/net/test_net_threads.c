/* test_net_threads.c - the network layer's once-only state under threads.
 * eval's workers send requests from several threads at once, so the first
 * calls to net_user_agent() (and curl_global_init behind it) race. A lazily
 * filled user-agent buffer once let one thread hand libcurl the buffer while
 * another was still writing it: ASan saw libcurl read past a 1-byte copy.
 * Each trial is a fresh process (fork), so every trial is a first call;
 * eight threads start together at a barrier and each keeps a copy of what it
 * got. Its own program, so no other test has made the first call before. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/net.h"

#define THREADS 8
#define TRIALS 400

static pthread_barrier_t g_start;

static void *first_call(void *arg) {
    char *out = arg;
    pthread_barrier_wait(&g_start);
    const char *ua = net_user_agent();
    /* copy byte by byte up to the end, as libcurl's strdup does */
    snprintf(out, 128, "%s", ua);
    return NULL;
}

/* In a child: 0 when every thread saw the whole, final user agent. */
static int trial(void) {
    char got[THREADS][128];
    pthread_t t[THREADS];
    pthread_barrier_init(&g_start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, first_call, got[i]) != 0)
            return 2;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    const char *ua = net_user_agent();
    if (strncmp(ua, "tunepilot/", 10) != 0 || !strstr(ua, " libcurl/"))
        return 3;
    for (int i = 0; i < THREADS; i++)
        if (strcmp(got[i], ua) != 0) {
            fprintf(stderr, "thread %d saw \"%s\", not \"%s\"\n", i, got[i], ua);
            return 1;
        }
    return 0;
}

static void test_user_agent_first_calls_race(void **state) {
    (void)state;
    int bad = 0;
    for (int k = 0; k < TRIALS; k++)
        if (tp_test_in_child(trial) != 0)
            bad++;
    if (bad)
        fprintf(stderr, "%d of %d trials saw a partial user agent\n", bad, TRIALS);
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_agent_first_calls_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
