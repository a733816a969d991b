/* net_harness.h - starts and stops tests/net/tp_test_server for a cmocka
 * group (header-only: each test program compiles it in). The server binds
 * 127.0.0.1 on an ephemeral port and ends by itself after 60 s at most. */
#ifndef TP_NET_HARNESS_H
#define TP_NET_HARNESS_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tp_test.h"

#define TEST_KEY "sk-test-SECRET123"

typedef struct TestServer {
    pid_t pid;
    int port;
    char log[512];
    char base[128]; /* http://127.0.0.1:PORT */
} TestServer;

static const char *server_binary(void) {
    const char *env = getenv("TP_TEST_SERVER");
    if (env && *env)
        return env;
#ifdef TP_TEST_SERVER
    return TP_TEST_SERVER;
#else
    return "tests/net/tp_test_server";
#endif
}

/* Starts the server on tests/fixtures/net/SCRIPT; fails the test if it
 * does not report its port within 5 s. */
static void server_start(TestServer *srv, const char *script) {
    memset(srv, 0, sizeof *srv);
    char path[4096];
    snprintf(path, sizeof path, "%s", tp_fixture(script));
    const char *base = strrchr(script, '/');
    snprintf(srv->log, sizeof srv->log, "%s/%s.log", tp_tmpdir(), base ? base + 1 : script);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    setenv("TP_TEST_KEY", TEST_KEY, 1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(server_binary(), "tp_test_server", path, "--log", srv->log, "--lifetime", "60",
              (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", server_binary(), strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char buf[32] = "";
    size_t n = 0;
    struct pollfd p = {fds[0], POLLIN, 0};
    while (n < sizeof buf - 1 && !strchr(buf, '\n') && poll(&p, 1, 5000) > 0) {
        ssize_t k = read(fds[0], buf + n, sizeof buf - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
    }
    close(fds[0]);
    srv->pid = pid;
    srv->port = atoi(buf);
    if (srv->port <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the test server (%s) did not start", server_binary());
    }
    snprintf(srv->base, sizeof srv->base, "http://127.0.0.1:%d", srv->port);
}

static void server_stop(TestServer *srv) {
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        waitpid(srv->pid, NULL, 0);
        srv->pid = 0;
    }
}

/* Counts the lines of the server log that start with `prefix`. */
static int server_count(const TestServer *srv, const char *prefix) {
    FILE *f = fopen(srv->log, "r");
    if (!f)
        return 0;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += !strncmp(line, prefix, strlen(prefix));
    fclose(f);
    return n;
}

/* True when any file in the test's temporary directory (databases, their
 * WAL files, logs) contains `needle`. */
static bool tmpdir_contains(const char *needle) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "grep -r -a -q -F -e '%s' '%s'", needle, tp_tmpdir());
    return system(cmd) == 0;
}

/* Short timeouts and backoffs so that every failure path takes seconds. */
static void fast_network(void) {
    setenv("TUNEPILOT_HTTP_TIMEOUT_MS", "1500", 1);
    setenv("TUNEPILOT_HTTP_CONNECT_TIMEOUT_MS", "1000", 1);
    setenv("TUNEPILOT_HTTP_RETRIES", "2", 1);
    setenv("TUNEPILOT_HTTP_BACKOFF_MS", "10", 1);
    setenv("TUNEPILOT_HTTP_MAX_WAIT_MS", "3000", 1);
    unsetenv("TUNEPILOT_HTTP_TRACE");
    /* the server is local: no proxy in between */
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("no_proxy", "127.0.0.1,localhost", 1);
}

#endif
