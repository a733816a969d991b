/* error.h - status codes and an error detail that the caller owns.
 *
 * Every fallible function returns a TpStatus (0 = TP_OK, negative = failure)
 * and, when given a non-NULL TpError *, fills it with a message that names
 * the file, line, field or JSON path and what was expected. Nothing below
 * cli/ prints or exits; the CLI maps TP_EINVAL to exit status 2 (usage or
 * invalid input) and the other failures to 1.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_ERROR_H
#define TUNEPILOT_ERROR_H

#include <stddef.h>

typedef enum {
    TP_OK = 0,
    TP_ERR = -1,       /* generic failure */
    TP_EINVAL = -2,    /* invalid input: bad scenario, bad file contents, bad argument */
    TP_ENOTFOUND = -3, /* a named thing does not exist */
    TP_EIO = -4,       /* file system failure */
    TP_EDB = -5,       /* database failure */
} TpStatus;

typedef struct TpError {
    TpStatus code;
    char msg[1024];
} TpError;

/* Sets err (if non-NULL) to code and the formatted message; returns code so
 * callers can write `return tp_error_set(err, TP_EINVAL, "...")`. */
TpStatus tp_error_set(TpError *err, TpStatus code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "<formatted>: " to err's message (if non-NULL); keeps the code. */
void tp_error_prefix(TpError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resets err to TP_OK with an empty message. err may be NULL. */
void tp_error_clear(TpError *err);

/* Exit status the CLI uses for a status: 0, 2 for TP_EINVAL, else 1. */
int tp_status_exit_code(TpStatus st);

#endif
