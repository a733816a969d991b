/* handoff_impl.h - what handoff.c (the plan) and handoff_files.c (the bundle's
 * files) share. Private to src/handoff/. */
#ifndef TP_HANDOFF_IMPL_H
#define TP_HANDOFF_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/handoff.h"
#include "tunepilot/llama.h"
#include "tunepilot/pilot.h"

/* What the pilot knows: its run, settings, summary, model and split. */
typedef struct PilotFacts {
    StoreRun run;
    PilotOptions opt;
    LlamaConfig cfg;
    double n_params, n_trainable;
    double summary_epochs;  /* the epochs the summary's GPU-hours are for */
    PilotSummary summary;   /* owned */
    char template_name[32];
    DatasetFormat format;
    int *train_lines, *eval_lines; /* 1-based lines of the data file */
    int n_train, n_eval;
    char *data; /* the data file */
    size_t data_len;
    char **lines; /* pointers into data, NUL-terminated in place */
    int n_lines;
} PilotFacts;

/* Per-record facts that decide what the engines can take. */
typedef struct DataFacts {
    bool any_weight;        /* a message carries "weight" */
    int multi_turn_line;    /* first line with more than one trained assistant turn (0: none) */
    int last_not_asst_line; /* first line whose last message is not a trained assistant turn */
} DataFacts;

/* A torchtune model builder (handoff.c: TT_MODELS). */
typedef struct TtModel {
    const char *arch; /* model_type */
    int hidden, layers, vocab_min;
    const char *lora, *qlora, *tokenizer, *tok_path, *ckpt_type;
} TtModel;

/* tunepilot's default chat template (dataset.h) in Jinja. */
extern const char HF_DEFAULT_TEMPLATE_JINJA[];

TpStatus hf_scan_data(const PilotFacts *f, DataFacts *df, TpError *err);
void hf_target_names(unsigned mask, const char **names, int *n);
const TtModel *hf_tt_model(const LlamaConfig *c);
TpStatus hf_write_text(const char *dir, const char *name, TpBuf *b, TpError *err);
TpStatus hf_write_split(const PilotFacts *f, const HandoffOptions *o, const int *ln, int n,
                        const char *dir, const char *name, TpError *err);
bool hf_default_template(const PilotFacts *f);
TpStatus hf_write_axolotl(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                          TpError *err);
TpStatus hf_write_trl(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                      TpError *err);
TpStatus hf_write_torchtune(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                            TpError *err);
TpStatus hf_write_accelerate(const HandoffOptions *o, const HandoffPlan *pl, TpError *err);
void hf_launch_command(const HandoffOptions *o, HandoffPlan *pl);
TpStatus hf_write_run_sh(const HandoffOptions *o, const HandoffPlan *pl, TpError *err);
TpStatus hf_write_sky(const HandoffOptions *o, const HandoffPlan *pl, TpError *err);
TpStatus hf_write_plan_json(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                            TpError *err);
TpStatus hf_write_readme(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                         bool model_copied, TpError *err);
TpStatus hf_copy_dir_files(const char *src, const char *dst, size_t max_total, size_t *total,
                           bool *too_big, TpError *err);
TpStatus hf_model_reference(const PilotFacts *f, const HandoffOptions *o, HandoffPlan *pl,
                            bool *copied, TpError *err);

#endif
