/* decide_impl.h - pieces shared by the decide/ sources. Private. */
#ifndef TP_DECIDE_IMPL_H
#define TP_DECIDE_IMPL_H

#include <stddef.h>

#include "tunepilot/decide.h"

/* 12,000 / 0.35 / 1,234.5 - integers get thousands separators. */
const char *decide_fmt_num(double v, char *buf, size_t size);

/* "=", "!=", "<", "<=", ">", ">=" */
const char *decide_op_symbol(DecideOp op);

bool decide_is_fact(const char *id);

#endif
