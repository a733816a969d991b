#include "tunepilot/assets.h"

#include <string.h>

#include "core/assets_table.h"

const char *tp_asset_get(const char *name, size_t *size) {
    for (const struct TpEmbeddedAsset *a = tp_embedded_assets; a->name; a++) {
        if (strcmp(a->name, name) == 0) {
            if (size)
                *size = a->size;
            return a->data;
        }
    }
    return NULL;
}

const char *tp_asset_name(const char *prefix, int i) {
    size_t n = strlen(prefix);
    for (const struct TpEmbeddedAsset *a = tp_embedded_assets; a->name; a++)
        if (strncmp(a->name, prefix, n) == 0 && i-- == 0)
            return a->name;
    return NULL;
}
