/* Layout of the table that cmake/Embed.cmake generates. Private to core/. */
#ifndef TP_CORE_ASSETS_TABLE_H
#define TP_CORE_ASSETS_TABLE_H
#include <stddef.h>

struct TpEmbeddedAsset {
    const char *name; /* path relative to the source root, e.g. "pricing/gpus.json" */
    const char *data; /* bytes, followed by a NUL not counted in size */
    size_t size;
};

extern const struct TpEmbeddedAsset tp_embedded_assets[];

#endif
