#include "tunepilot/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

TpStatus tp_error_set(TpError *err, TpStatus code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void tp_error_prefix(TpError *err, const char *fmt, ...) {
    if (!err)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
}

void tp_error_clear(TpError *err) {
    if (err) {
        err->code = TP_OK;
        err->msg[0] = '\0';
    }
}

int tp_status_exit_code(TpStatus st) {
    if (st == TP_OK)
        return 0;
    return st == TP_EINVAL ? 2 : 1;
}
