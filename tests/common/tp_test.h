/* tp_test.h - helpers shared by the unit tests (cmocka). */
#ifndef TP_TEST_H
#define TP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* |a - b| <= tol, with both values printed on failure. */
#define assert_close(a, b, tol) tp_assert_close((a), (b), (tol), #a, __FILE__, __LINE__)
void tp_assert_close(double a, double b, double tol, const char *expr, const char *file, int line);

/* Relative closeness: |a - b| <= rel * max(|a|, |b|). */
#define assert_rel(a, b, rel) tp_assert_rel((a), (b), (rel), #a, __FILE__, __LINE__)
void tp_assert_rel(double a, double b, double rel, const char *expr, const char *file, int line);

/* Path of a fixture file (tests/fixtures/NAME) in a static buffer. */
const char *tp_fixture(const char *name);

/* A fresh temporary directory (mkdtemp) for this process; removed by
 * tp_tmpdir_cleanup. */
const char *tp_tmpdir(void);
void tp_tmpdir_cleanup(void);

/* Runs fn in a child process made by fork (a fresh copy holding no other
 * thread) and returns its exit status, or -1 when it did not exit. */
int tp_test_in_child(int (*fn)(void));

#endif
