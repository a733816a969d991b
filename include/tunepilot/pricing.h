/* pricing.h - price and performance tables.
 *
 * The bundled tables (pricing/<table>.json, compiled in; TUNEPILOT_PRICING_DIR
 * overrides) are snapshot 0. `pricing import` turns a LiteLLM price file into
 * a dated snapshot stored in the database; applying a snapshot overrides the
 * API-model prices it holds. Every entry carries a source URL and an as-of
 * date. Prices are USD; token prices per million tokens. A missing optional
 * number is NAN ("not published" / "not offered"), never zero.
 *
 * Owned by the pricing module (src/pricing/); included by the modules of its layer (pricing,
 * data, train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli,
 * tui). */
#ifndef TUNEPILOT_PRICING_H
#define TUNEPILOT_PRICING_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/error.h"

/* One dated availability fact with where it came from. date NULL: none
 * known. */
typedef struct PricingDate {
    const char *date; /* YYYY-MM-DD */
    const char *source, *as_of, *note; /* note may be NULL */
} PricingDate;

/* Dated availability of an entry ("lifecycle" in the tables): from when it
 * can be used, until when new (fine-tuning) jobs are accepted, and when it
 * is shut down. */
typedef struct PricingLifecycle {
    PricingDate available_from, new_jobs_until, retires_on;
} PricingLifecycle;

typedef struct PricingModel {
    const char *id, *provider;
    double input_per_mtok, output_per_mtok;
    double cached_input_per_mtok; /* NAN: no cached-input price */
    long long context_window;     /* tokens; 0 unknown */
    long long max_output_tokens;  /* 0 unknown */
    double ttft_ms;               /* typical time to first token; NAN unknown */
    double output_tokens_per_s;   /* typical decode speed; NAN unknown */
    const char *latency_source, *latency_as_of;
    const char **aliases;
    int n_aliases;
    const char *source, *as_of;
    PricingLifecycle life;
} PricingModel;

typedef struct PricingFinetune {
    const char *id, *provider, *base_model, *method; /* method: sft, lora or full */
    double training_per_mtok;  /* NAN when billed per hour */
    double training_per_hour;  /* NAN when billed per token */
    double input_per_mtok, output_per_mtok;
    double cached_input_per_mtok; /* NAN: not offered */
    double hosting_per_hour;      /* NAN: no dedicated endpoint needed */
    const char *source, *as_of;
    PricingLifecycle life;
} PricingFinetune;

typedef struct PricingGpuRate {
    const char *cloud;
    double usd_per_hour; /* one GPU */
    const char *source, *as_of;
} PricingGpuRate;

typedef struct PricingGpu {
    const char *id, *name;
    double memory_gb, bf16_dense_tflops, memory_bandwidth_gb_s;
    PricingGpuRate *rates;
    int n_rates;
    const char *source, *as_of;
    PricingLifecycle life;
} PricingGpu;

typedef struct PricingEmbedding {
    const char *id, *provider;
    double input_per_mtok;
    long long dimensions; /* 0 unknown */
    const char *source, *as_of;
} PricingEmbedding;

typedef struct PricingVectorStore {
    const char *id, *provider, *note;
    double monthly_usd;
    const char *source, *as_of;
} PricingVectorStore;

/* A rule of thumb: a point value (lo == hi) or a range. */
typedef struct PricingRule {
    const char *id, *unit, *description;
    double lo, hi;
    bool is_range;
    const char *source, *as_of;
} PricingRule;

typedef struct Pricing {
    TpArena arena;
    long long snapshot_id; /* 0 = bundled tables */
    const char *snapshot_label, *snapshot_as_of;
    PricingModel *models;
    int n_models;
    PricingFinetune *finetunes;
    int n_finetunes;
    PricingGpu *gpus;
    int n_gpus;
    PricingEmbedding *embeddings;
    int n_embeddings;
    PricingVectorStore *vector_stores;
    int n_vector_stores;
    PricingRule retrieval_latency_ms; /* vector search latency range */
    PricingRule *rules;
    int n_rules;
} Pricing;

/* The table files, in load order. */
extern const char *const PRICING_TABLES[5]; /* "api_models", "finetune", ... */

/* Loads the five bundled tables: from $TUNEPILOT_PRICING_DIR/<table>.json
 * when that variable is set, else from the copies compiled into the binary.
 * On failure p is left empty (pricing_free is still safe). */
TpStatus pricing_load_bundled(Pricing *p, TpError *err);

/* Parses one table document (name is used in messages, e.g. a file path).
 * `table` is one of PRICING_TABLES. Replaces that table's entries in p. */
TpStatus pricing_parse_table(Pricing *p, const char *table, const char *text, size_t len,
                             const char *name, TpError *err);

/* Parses one API-model entry object (the api_models.json "models" item
 * schema) into m; strings are copied into p's arena. */
TpStatus pricing_parse_model(Pricing *p, const cJSON *obj, const char *name, const char *path,
                             PricingModel *m, TpError *err);
/* Parses an entry's optional "lifecycle" object: {"available_from" |
 * "new_jobs_until" | "retires_on": {"date", "source" (URL), "as_of",
 * "note"?}}. */
TpStatus pricing_parse_lifecycle(Pricing *p, const cJSON *entry, const char *name, const char *path,
                                 PricingLifecycle *out, TpError *err);
/* The lifecycle object (NULL when no date is known; caller deletes). */
cJSON *pricing_lifecycle_to_json(const PricingLifecycle *l);
/* Entries as JSON objects in the tables' own schema (caller deletes). */
cJSON *pricing_model_to_json(const PricingModel *m);
cJSON *pricing_finetune_to_json(const PricingFinetune *f);
cJSON *pricing_gpu_to_json(const PricingGpu *g);
cJSON *pricing_embedding_to_json(const PricingEmbedding *e);
cJSON *pricing_vector_store_to_json(const PricingVectorStore *v);
cJSON *pricing_rule_to_json(const PricingRule *r);

/* Applies a stored snapshot: each entry (api_models entry schema) replaces
 * the model with the same id or alias, keeping bundled latency figures the
 * entry lacks; new ids are added. */
TpStatus pricing_apply_snapshot(Pricing *p, long long id, const char *label, const char *as_of,
                                char *const *jsons, int n, TpError *err);

void pricing_free(Pricing *p); /* NULL is fine */

/* Lookups: exact id, then alias, then case-insensitive. NULL if absent. */
const PricingModel *pricing_find_model(const Pricing *p, const char *name);
/* A fine-tune entry by id, base model, or a fine-tuned model name such as
 * "ft:gpt-4o-mini-2024-07-18:org:suffix:id". */
const PricingFinetune *pricing_find_finetune(const Pricing *p, const char *name);
const PricingGpu *pricing_find_gpu(const Pricing *p, const char *name);
const PricingEmbedding *pricing_find_embedding(const Pricing *p, const char *name);
const PricingVectorStore *pricing_find_vector_store(const Pricing *p, const char *name);
const PricingRule *pricing_rule(const Pricing *p, const char *id);
/* The GPU's rate on `cloud`, or its cheapest listed rate when cloud is NULL. */
const PricingGpuRate *pricing_gpu_rate(const PricingGpu *g, const char *cloud);

/* Writes up to three close names from every table into out as
 * "a, b or c" (empty when nothing is close). */
void pricing_suggest(const Pricing *p, const char *name, char *out, size_t size);

/* --- LiteLLM price files ---------------------------------------------------- */

typedef struct PricingImport {
    PricingModel *models; /* in p's arena */
    int n_models;
    int n_skipped;       /* keys that are not text-generation models */
    int n_unsafe;        /* entries refused: a name, provider or source with control
                            characters (terminal escapes) or invalid UTF-8 (text.h) */
    const char *as_of;   /* the file's last_updated date, else NULL */
} PricingImport;

/* Reads a LiteLLM model_prices_and_context_window.json document (prices per
 * token; int or float; non-model keys such as sample_spec skipped; only
 * chat, completion and responses modes with both prices are taken). */
TpStatus pricing_import_litellm(Pricing *p, const char *text, size_t len, const char *name,
                                const char *fallback_source, PricingImport *out, TpError *err);

#endif
