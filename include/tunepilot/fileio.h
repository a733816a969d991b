/* fileio.h - whole-file reads with a size cap, and atomic writes. */
#ifndef TUNEPILOT_FILEIO_H
#define TUNEPILOT_FILEIO_H

#include <stddef.h>

#include "tunepilot/error.h"

/* Reads all of `path` into a new NUL-terminated buffer (caller frees *data
 * with free()). Files larger than max_bytes are refused with TP_EINVAL. */
TpStatus tp_file_read(const char *path, size_t max_bytes, char **data, size_t *len, TpError *err);

/* Writes data to path atomically: a temp file beside it, fsync, rename, then
 * fsync of the directory. On failure the old file is untouched. */
TpStatus tp_file_write_atomic(const char *path, const void *data, size_t len, TpError *err);

#endif
