/* handoff.h - from a pilot to the real run: a ready-to-run bundle for a
 * distributed trainer (axolotl, TRL or torchtune), sized for a GPU count,
 * priced with the projection's GPU rates, and a comparison of the real run
 * with that projection once it comes back.
 *
 * A bundle holds:
 *   data/train.jsonl, data/test.jsonl  the pilot's own examples and seeded split
 *                                      (the records it trained and evaluated on,
 *                                      as read from its data file)
 *   config.yml | sft.yml | torchtune.yml  the engine's configuration
 *   accelerate.yml, deepspeed.json     the launcher's configuration (axolotl, trl)
 *   chat_template.jinja                when the pilot used tunepilot's default
 *                                      template (a model without its own)
 *   adapter/                           the pilot's PEFT adapter (warm start)
 *   model/                             a small local base model (no hub id known)
 *   run.sh                             the launch command
 *   sky.yml                            a SkyPilot task (--launch skypilot)
 *   handoff.json                       the plan: settings, GPU, hours, dollars
 *   README.md                          what to run and what it will cost
 *
 * Field names follow each engine's documented configuration at the versions
 * named in HANDOFF_*_VERSION; a pilot setting an engine cannot express is
 * refused (TP_EINVAL naming the setting), never dropped. Nothing prints.
 *
 * Owned by the handoff module (src/handoff/); included by the modules of its layer (decide,
 * cost, pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_HANDOFF_H
#define TUNEPILOT_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tunepilot/error.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

/* The documents the generated configurations follow (cited in README.md). */
#define HANDOFF_AXOLOTL_VERSION "axolotl 0.18.0 (src/axolotl/utils/schemas/*.py, docs/cli.qmd)"
#define HANDOFF_TRL_VERSION                                                                        \
    "TRL 1.9 (docs/source/clis.md; trl/trainer/sft_config.py, model_config.py, "                   \
    "scripts/utils.py)"
#define HANDOFF_TORCHTUNE_VERSION                                                                  \
    "torchtune 0.7.0 (recipes/configs/*/*_lora.yaml, torchtune/datasets/_chat.py)"
#define HANDOFF_SKYPILOT_VERSION "SkyPilot YAML spec (docs.skypilot.co reference/yaml-spec)"

typedef enum { HANDOFF_AXOLOTL, HANDOFF_TRL, HANDOFF_TORCHTUNE } HandoffEngine;

/* "axolotl" | "trl" | "torchtune" -> engine; false otherwise. */
bool handoff_engine_parse(const char *s, HandoffEngine *e);
const char *handoff_engine_name(HandoffEngine e);

typedef struct HandoffOptions {
    HandoffEngine engine;
    int gpus;        /* GPUs per node; 0: as many as the plan needs (at most 8) */
    int nodes;       /* machines; 0 = 1 */
    const char *gpu; /* a GPU id of the price tables; NULL: the cheapest that fits */
    bool skypilot;   /* add sky.yml */
    bool spot;       /* SkyPilot use_spot */
    bool warm_start; /* start from the pilot's adapter (axolotl: lora_model_dir) */
    double epochs;   /* > 0: override the pilot's epochs for the full run */
    const char *out_dir;
    bool force; /* write into an existing, non-empty out_dir */
} HandoffOptions;

/* What the bundle was sized and priced at. Strings are copies (no lifetime
 * ties to the store or the tables). */
typedef struct HandoffPlan {
    int64_t run_id;
    HandoffEngine engine;
    char model_ref[1024]; /* hub id, or the bundle-relative / absolute local path */
    char gpu_id[32], gpu_name[96], sky_accelerator[32];
    double gpu_memory_gb;  /* one GPU */
    double need_memory_gb; /* estimate for one GPU at this plan (weights, states, activations) */
    int gpus_per_node, nodes;
    int micro_batch, grad_accum, effective_batch, pilot_effective_batch;
    int seq;
    double epochs, lr, warmup_ratio;
    long long n_train, n_eval, updates, warmup_steps;
    long long eval_steps;  /* updates between evaluations (0: none) */
    const char *deepspeed; /* NULL, "zero2" or "zero3" (static) */
    double gpu_hours;      /* total GPU-hours at the tables' training utilisation */
    double wall_hours;     /* gpu_hours / GPUs (ideal data-parallel scaling) */
    double usd_per_gpu_hour, usd;
    char cloud[64];
    char rate_source[512], rate_as_of[16];
    char launch[1024];     /* the command run.sh runs */
    bool warned_torchtune; /* torchtune is no longer maintained (stated in README) */
} HandoffPlan;

/* Reads finished pilot run `run_id` (a local run with a summary), plans the
 * full run on the chosen GPUs and writes the bundle into o->out_dir (created;
 * an existing non-empty folder needs o->force). TP_ENOTFOUND for no such run;
 * TP_EINVAL for a run that cannot be handed off (not finished, not local,
 * settings the engine cannot express, no GPU that fits) with the reason. */
TpStatus handoff_write(Store *s, const Pricing *p, int64_t run_id, const HandoffOptions *o,
                       HandoffPlan *plan, TpError *err);

/* --- the real run against the projection ---------------------------------------------- */

#define HANDOFF_LOSS_POINTS 5 /* 20%, 40%, ... 100% of training */

typedef struct HandoffCompare {
    int64_t pilot_run, real_run;
    char engine[16], gpu_id[32];
    int gpus; /* GPUs in all (per node x nodes) */
    double projected_hours, real_hours;
    double projected_gpu_hours, real_gpu_hours;
    double usd_per_gpu_hour, projected_usd, real_usd;
    double pilot_loss[HANDOFF_LOSS_POINTS], real_loss[HANDOFF_LOSS_POINTS]; /* NAN: none */
} HandoffCompare;

/* When external run `real` was launched from a hand-off bundle (its recorded
 * working directory holds handoff.json), fills *c and sets *found. Real hours
 * are the run's recorded elapsed time (its last metric's elapsed_s, else the
 * span between its creation and last update). */
TpStatus handoff_compare(Store *s, const StoreRun *real, HandoffCompare *c, bool *found,
                         TpError *err);

/* "under 1 s", "42 s", "3.5 min", "2.1 h", "4.3 days" for hours h, into out. */
void handoff_fmt_hours(double h, char *out, size_t n);

/* The comparison as JSON (caller deletes). */
cJSON *handoff_compare_json(const HandoffCompare *c);

#endif
