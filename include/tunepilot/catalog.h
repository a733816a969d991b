/* catalog.h - base models on this machine: the Hugging Face cache
 * ($HF_HOME/hub, else ~/.cache/huggingface/hub, laid out as
 * models--ORG--NAME/snapshots/REVISION/) and directories the user names.
 * Each entry says whether tunepilot can load it, and if not, why. */
#ifndef TUNEPILOT_CATALOG_H
#define TUNEPILOT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ModelEntry {
    char *name;         /* ORG/NAME for the cache, the directory's name otherwise */
    char *path;         /* the directory holding config.json */
    char *architecture; /* NULL when unsupported */
    char *dtype;
    char *reason; /* why it cannot be loaded, or NULL */
    int64_t parameters;
    bool supported;
} ModelEntry;

typedef struct ModelCatalog {
    ModelEntry *items;
    int n, cap;
} ModelCatalog;

/* The Hugging Face hub cache directory from the environment. */
void model_catalog_hub_dir(char *out, size_t size);

/* Adds every snapshot of every model in the hub cache `hub` (missing: none). */
void model_catalog_scan_hub(ModelCatalog *c, const char *hub);

/* Adds `dir` itself when it holds config.json, else its immediate
 * subdirectories that do. Returns false when `dir` cannot be read. */
bool model_catalog_scan_dir(ModelCatalog *c, const char *dir);

void model_catalog_free(ModelCatalog *c);

#endif
