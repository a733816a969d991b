#include "tp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void tp_assert_close(double a, double b, double tol, const char *expr, const char *file,
                     int line) {
    if (!(fabs(a - b) <= tol)) {
        print_error("%s = %.17g, expected %.17g (tolerance %g)\n", expr, a, b, tol);
        _fail(file, line);
    }
}

void tp_assert_rel(double a, double b, double rel, const char *expr, const char *file, int line) {
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (!(fabs(a - b) <= rel * m)) {
        print_error("%s = %.17g, expected %.17g (relative tolerance %g)\n", expr, a, b, rel);
        _fail(file, line);
    }
}

const char *tp_fixture(const char *name) {
    static char buf[4096];
    const char *dir = getenv("TP_FIXTURES");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/fixtures", name);
    return buf;
}

static char tmp[256];

const char *tp_tmpdir(void) {
    if (!tmp[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/tp-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmp)) {
            perror("mkdtemp");
            abort();
        }
    }
    return tmp;
}

void tp_tmpdir_cleanup(void) {
    if (tmp[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp);
        tmp[0] = '\0';
    }
}

int tp_test_in_child(int (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn());
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}
