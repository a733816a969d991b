/* assets.h - files compiled into the binary (pricing tables, examples).
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_ASSETS_H
#define TUNEPILOT_ASSETS_H

#include <stddef.h>

/* The embedded file with this name ("pricing/gpus.json"), or NULL. The data
 * is static and NUL-terminated; *size (if non-NULL) excludes the NUL. */
const char *tp_asset_get(const char *name, size_t *size);

/* The name of the i-th embedded file whose name starts with prefix, or NULL
 * past the end. */
const char *tp_asset_name(const char *prefix, int i);

#endif
