/* catalog.h - base models on this machine: the Hugging Face cache
 * ($HF_HOME/hub, else ~/.cache/huggingface/hub, laid out as
 * models--ORG--NAME/snapshots/REVISION/) and directories the user names.
 * Each entry says whether tunepilot can load it, and if not, why.
 *
 * Owned by the model module (src/model/); included by the modules of its layer (model) and
 * those above (pricing, data, train, net, decide, cost, pilot, handoff, eval, session, report,
 * cli, tui). */
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

/* A list of models; zero-initialise it, add with the scans, free with
 * model_catalog_free. It owns its entries and every string in them. */
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

/* Frees the entries and their strings; c is empty again and reusable. */
void model_catalog_free(ModelCatalog *c);

/* The name a model folder goes by where it is shared (an adapter's
 * base_model_name_or_path): ORG/NAME for a snapshot of the Hugging Face
 * cache (.../models--ORG--NAME/snapshots/REVISION), else the folder's own
 * name. Never a path: it must not reveal how the user's disk is laid out. */
void model_share_name(const char *dir, char *out, size_t size);

/* The folder inside which a model folder's symbolic links may point when
 * its files are copied (tp_file_copy's link_root): models--ORG--NAME for a
 * cache snapshot (whose files link to ../../blobs), else the model folder
 * itself; resolved (realpath) when it exists. */
void model_link_root(const char *dir, char *out, size_t size);

#endif
