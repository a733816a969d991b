/* trainer.h - the local fine-tuning engine: QLoRA (NF4 base + LoRA), LoRA
 * (fp32 base + LoRA) or full fine-tuning of a Llama-family model on an SFT
 * dataset, with AdamW, warmup + cosine schedule, gradient accumulation,
 * global-norm clipping, atomic checkpoints and bit-exact resume.
 *
 * The trainer reports through a TrainSink (the pilot layer turns that into
 * database rows and metrics.jsonl) and never prints. Deterministic for a
 * given seed and thread count: data order is a seeded shuffle per epoch,
 * dropout draws from a generator saved in every checkpoint.
 *
 * Names: train_* functions work on settings (a TrainConfig, its bounds,
 * estimates made before any run); trainer_* functions on a Trainer, a run
 * in progress.
 *
 * Owned by the train module (src/train/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_TRAINER_H
#define TUNEPILOT_TRAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/error.h"
#include "tunepilot/llama.h"
#include "tunepilot/nf4.h"

typedef enum { TRAIN_QLORA, TRAIN_LORA, TRAIN_FULL } TrainMethod;

const char *train_method_name(TrainMethod m); /* "qlora", "lora", "full" */
/* "qlora" | "lora" | "full" -> method; false for anything else. */
bool train_method_parse(const char *s, TrainMethod *m);

typedef struct TrainConfig {
    TrainMethod method;
    int rank;
    double alpha, dropout;
    bool rslora;
    unsigned targets; /* LoRA target mask (lora.h) */
    double lr, weight_decay, max_grad_norm;
    long long warmup; /* optimizer updates of linear warmup */
    long long steps;  /* > 0: this many updates; else from epochs */
    double epochs;
    int batch, grad_accum, seq; /* an update: grad_accum micro-batches of batch examples;
                                  its loss is the mean over all its target tokens */
    long long eval_every, checkpoint_every;
    double eval_split;
    uint64_t seed;
    int threads;       /* OpenBLAS threads; 0 = leave as is */
    int eval_examples; /* exact-match examples evaluated (0 = none) */
    /* a PEFT adapter directory the LoRA/QLoRA adapters start from instead of
     * PEFT's initialisation ("" = none); its rank, targets, alpha and rsLoRA
     * must be the run's (lora_load_peft_into). A run whose directory holds a
     * checkpoint resumes from it instead and does not read the adapter. */
    char init_adapter[1024];
    /* activation recomputation (llama_set_recompute_layers): every block
     * when recompute, none when recompute_off, else (auto, the default) the
     * blocks train_recompute_blocks says the run needs; recompute_blocks:
     * how many blocks are replayed when recompute is on (0: every block) */
    bool recompute, recompute_off;
    int recompute_blocks;
    /* the frozen NF4 products of qlora (nf4.h): auto (the default: bf16 when
     * the CPU has AVX512_BF16), fp32 or bf16; adapters, optimizer and the
     * other methods are fp32 */
    Nf4Compute compute_dtype;
} TrainConfig;

/* The compute type a run with c uses: fp32 for lora and full, else
 * c->compute_dtype with auto resolved for this CPU (nf4_compute_resolve). */
Nf4Compute train_compute_dtype(const TrainConfig *c);
/* "OpenBLAS 0.3.21, core Cooperlake, 2 threads; NF4 products in bf16
 * (AVX512_BF16), adapters fp32" (or "...; fp32"). */
void train_describe_compute(const TrainConfig *c, char *out, size_t size);

/* The defaults, each explained in the README's pilot section: qlora, rank
 * 16, alpha 32, dropout 0.05, all seven targets, lr 2e-4 (QLoRA's recipe
 * for 7B/13B), no weight decay (QLoRA), clipping at 1.0 (transformers'
 * default), warmup 3% of updates (QLoRA's warmup_ratio 0.03), 1 epoch,
 * batch 4, grad-accum 1, seq 256, eval every 50 updates, eval split 0.1,
 * seed 1, 32 exact-match examples, compute type auto. */
void train_config_defaults(TrainConfig *c);

typedef struct TrainStep {
    long long step, total; /* 1-based update index, total updates */
    double loss, lr, grad_norm, tokens_per_s, rss_mb, elapsed_s;
    long long tokens; /* real (unpadded) tokens this update */
} TrainStep;

typedef struct TrainEval {
    long long step;
    const char *kind; /* "base" (before training), "eval" (during), "tuned" (after); static */
    double loss;      /* mean held-out cross-entropy per loss token */
    double accuracy;  /* exact match of greedy answers, NAN when not measured */
    int n_examples;
} TrainEval;

typedef struct TrainSink {
    void *ctx;
    void (*step)(void *ctx, const TrainStep *s);
    void (*eval)(void *ctx, const TrainEval *e);
    void (*event)(void *ctx, const char *level, const char *message);
} TrainSink;

/* Formats a message and passes it to the sink's event callback (if any). */
void train_sink_emit(const TrainSink *s, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- before a run: what it will need -------------------------------------------------- */

typedef struct TrainEstimate {
    double memory_mb; /* resident memory of the run */
    double minutes;   /* wall time of t->steps updates */
    double gflops;    /* the rate assumed: half the measured sgemm rate */
} TrainEstimate;

/* The sgemm rate of this machine in GFLOP/s (four 512^3 products). */
double train_measure_gflops(void);

/* Rates measured at a run's own shapes, on the pool's threads (a quick
 * in-process calibration, well under a second on an idle 2-core machine):
 * the frozen products (NF4 in the run's compute type for qlora, sgemm
 * otherwise) on a [batch x seq, hidden] x [hidden, intermediate] product,
 * sgemm on the fused head's chunk (64 rows x up to 8,192 vocabulary columns
 * x hidden: the rate of the other fp32 products, attention's and the
 * adapters'), and the head's products as the run computes them (the same
 * sgemm, or for qlora in bf16 the bf16 head on one thread). GFLOP/s. */
typedef struct TrainRates {
    double frozen_gflops, head_gflops, sgemm_gflops;
} TrainRates;
void train_measure_rates(const LlamaConfig *c, const TrainConfig *t, TrainRates *r);

/* The share of a step's time spent in the products the rates above time
 * (the rest: attention's softmax, norms, SwiGLU, dropout, the optimizer):
 * bench_train prints this estimate ("est tok/s") beside the measured step;
 * on the 49k-vocabulary shape the measured steps put the share at 0.69 to
 * 1.03 across qlora fp32, qlora bf16 and lora (2026-12-02, load average
 * 18; docs/performance.md). */
#define TRAIN_PRODUCT_SHARE 0.80

/* Memory: the frozen base (NF4 at about 0.52 bytes a linear weight for
 * qlora, 4 bytes otherwise), adapters or every weight with gradients and
 * AdamW moments (16 bytes a trainable weight), and the activations the
 * trainer keeps for one micro-batch (every block's, or with t->recompute
 * each block's input and one block's worth; the fused head's chunks of
 * logits, never all of them; dropout masks at a bit an input). Time: 6N (full) or 4N (LoRA) FLOPs a
 * token at half `gflops`. Both constants are this project's own
 * measurements (bench_train, as of 2026-11-22): 0.516 bytes a frozen NF4
 * weight with double quantization, and about 50% of the sgemm rate reached
 * by the 15M model's QLoRA step. tokens_per_example: the data's mean (<= 0:
 * t->seq). */
void train_estimate(const LlamaConfig *c, const TrainConfig *t, double tokens_per_example,
                    double gflops, TrainEstimate *e);
/* The same with rates measured at the run's shapes (train_measure_rates):
 * time = (frozen-product FLOPs / frozen rate + head, LoRA and attention
 * FLOPs / head rate) / TRAIN_PRODUCT_SHARE, counting the replayed forward
 * when recompute is on; e->gflops is then the model FLOP rate this
 * implies. */
void train_estimate_rates(const LlamaConfig *c, const TrainConfig *t, double tokens_per_example,
                          const TrainRates *r, TrainEstimate *e);

/* Activation recomputation in auto mode: the fewest blocks to replay
 * (llama_set_recompute_layers) for the estimate (train_estimate) to stay
 * within TRAIN_RECOMPUTE_MB, or every block when even that does not fit.
 * The budget is issue 12's target for a SmolLM2-135M-shape QLoRA pilot at
 * batch 4 x 256 (peak RSS <= 1 GB, as of 2026-12): runs that fit it keep
 * every block's activations (no extra forward); larger ones pay one more
 * forward of each replayed block (a ninth of a step's FLOPs for every third
 * of the blocks). Returns the number of blocks: n_layers when t->recompute,
 * 0 when t->recompute_off. train_recompute_auto: whether any is. */
#define TRAIN_RECOMPUTE_MB 1024.0
int train_recompute_blocks(const LlamaConfig *c, const TrainConfig *t);
bool train_recompute_auto(const LlamaConfig *c, const TrainConfig *t);
/* Settles t's choice (recompute, recompute_off, recompute_blocks) to what
 * train_recompute_blocks says, as the run records it. */
void train_recompute_resolve(const LlamaConfig *c, TrainConfig *t);

/* --- settings that fit the data (train_auto_settings) ----------------------------------
 *
 * Epochs: the rule OpenAI's fine-tuning data-preparation cookbook uses to
 * pick n_epochs for N training examples (openai/openai-cookbook@2e652704,
 * examples/Chat_finetuning_data_prep.ipynb; read 2026-12): 3, raised to
 * min(25, 100 / N) when 3N < 100 examples are seen, lowered to
 * max(1, 25000 / N) when 3N > 25,000. Above TRAIN_AUTO_WARN_EPOCHS passes
 * (that rule's default, 3) a warning says the model may memorize the data.
 * Learning rate: the QLoRA reference recipe for LoRA adapters, 2e-4 for 7B
 * and 13B models and 1e-4 for 33B and 65B (artidoro/qlora,
 * scripts/finetune_guanaco_{7b,13b,33b,65b}.sh, Dettmers et al. 2023; here
 * 1e-4 from 20B parameters); full fine-tuning: 2e-5, TRL's SFTConfig
 * default (trl/trainer/sft_config.py, v0.20, 2025). As of 2026-12. Batch:
 * the trainer's default 4, or the number of training examples when fewer. */
#define TRAIN_AUTO_EPOCHS 3
#define TRAIN_AUTO_MIN_SEEN 100 /* examples seen at least (3N < 100: more epochs) */
#define TRAIN_AUTO_MAX_EPOCHS 25
#define TRAIN_AUTO_MAX_SEEN 25000 /* examples seen at most (3N > 25,000: fewer epochs) */
#define TRAIN_AUTO_WARN_EPOCHS 3.0
#define TRAIN_AUTO_LR_LORA 2e-4
#define TRAIN_AUTO_LR_LORA_LARGE 1e-4
#define TRAIN_AUTO_LARGE_PARAMS 20e9
#define TRAIN_AUTO_LR_FULL 2e-5
#define TRAIN_AUTO_BATCH 4

/* --- the bounds of the settings a user types --------------------------------------------
 *
 * One table for every face: `tunepilot pilot` checks its flags with it, the
 * workbench's Pilot fields with it, and trainer_open refuses a TrainConfig
 * outside it with the same message. Integers are whole numbers in [lo, hi];
 * the learning rate is a number in (0, 10). */
typedef enum {
    TRAIN_SETTING_STEPS,
    TRAIN_SETTING_RANK,
    TRAIN_SETTING_LR,
    TRAIN_SETTING_BATCH,
    TRAIN_SETTING_SEQ,
    TRAIN_SETTING_GRAD_ACCUM,
    TRAIN_SETTING_WARMUP,
    TRAIN_SETTING_EVAL_EVERY,
    TRAIN_SETTING_SEED,
    TRAIN_SETTING_THREADS,
    TRAIN_SETTING_CHECKPOINT_EVERY,
    TRAIN_N_SETTINGS
} TrainSetting;

typedef struct TrainSettingLimit {
    const char *flag; /* "--steps": how messages name it */
    double lo, hi;
    bool integer; /* a whole number in [lo, hi]; else a number in (lo, hi) */
} TrainSettingLimit;

/* The bounds of a setting (a static entry; NULL for an unknown one). */
const TrainSettingLimit *train_setting_limit(TrainSetting s);

/* Whether v is a value of setting s: TP_OK, or TP_EINVAL with the message
 * every face shows, e.g. "--batch: expected an integer in [1, 4096], got
 * 5000" or "--lr: expected a number in (0, 10), got 12". */
TpStatus train_setting_check(TrainSetting s, double v, TpError *err);

/* Which settings the user gave (they are kept). */
enum { TRAIN_GIVEN_STEPS = 1, TRAIN_GIVEN_EPOCHS = 2, TRAIN_GIVEN_BATCH = 4, TRAIN_GIVEN_LR = 8 };

/* Fills the settings not in `given` from the number of training examples
 * and the model (n_params) by the rule above: epochs, batch, lr, and
 * steps = ceil(epochs x n_train / (batch x grad_accum)). *epochs_out: the
 * passes over the data the settings make. note (may be NULL): "" or the
 * warning above TRAIN_AUTO_WARN_EPOCHS. */
void train_auto_settings(long long n_train, double n_params, unsigned given, TrainConfig *c,
                         double *epochs_out, char *note, size_t note_size);

typedef struct Trainer Trainer;

/* Loads the model (NF4 bases quantized one tensor at a time for qlora),
 * tokenizer and dataset, and prepares adapters and the optimizer. run_dir
 * holds checkpoints. Bad settings or data are TP_EINVAL. */
TpStatus trainer_open(const char *model_dir, const char *data_path, const TrainConfig *c,
                      const char *run_dir, Trainer **out, TpError *err);
void trainer_close(Trainer *t);
/* The settings the trainer runs with: the given ones with what auto
 * resolved on this machine (recompute on or off, the compute type). */
void trainer_settings(const Trainer *t, TrainConfig *out);
/* Changes where checkpoints go (before trainer_resume / trainer_run). */
void trainer_set_run_dir(Trainer *t, const char *run_dir);

/* Removes the temp files and staging folders a killed writer left in
 * run_dir (tp_sweep_temps), then restores run_dir/checkpoint.safetensors
 * when present (*resumed set). */
TpStatus trainer_resume(Trainer *t, bool *resumed, TpError *err);

/* Runs updates until the total or until *stop becomes non-zero (checked
 * after each update; a checkpoint is written before returning). A loss or
 * gradient that is not finite stops with TP_ERR and leaves the last
 * checkpoint as it was. *finished reports whether all updates ran. */
TpStatus trainer_run(Trainer *t, const TrainSink *sink, volatile sig_atomic_t *stop, bool *finished,
                     TpError *err);

/* Held-out loss and exact match now ("base": adapters off or before any
 * update). Writes up to n_show examples "answer => got" into show. */
TpStatus trainer_evaluate(Trainer *t, const char *kind, TrainEval *out, char *show,
                          size_t show_size, int n_show, TpError *err);

/* Writes the trained weights: a PEFT adapter (qlora, lora) or a full model
 * directory (full), plus the tokenizer files for a full model (regular
 * files only: a link out of the model's folder is an error). The folder is
 * staged beside dir and renamed into place whole; on failure an earlier
 * export is left as it was. The adapter records the base model by name
 * (model_share_name), never by its local path. */
TpStatus trainer_export(Trainer *t, const char *dir, TpError *err);

/* Figures for the cost extrapolation. */
typedef struct TrainInfo {
    long long step, total_steps;
    long long n_train, n_eval, n_truncated, n_skipped;
    long long train_tokens; /* tokens in one pass over the training split */
    double flops_per_token; /* model FLOPs of one training token (see trainer.c) */
    double tokens_per_s;    /* mean over the updates run in this process */
    int64_t n_params, n_trainable;
    double frozen_bytes_per_weight; /* NF4 for qlora, 4 otherwise */
    const char *template_name;      /* owned by the trainer: valid until trainer_close */
} TrainInfo;
/* Fills out; its strings belong to t (valid until trainer_close). */
void trainer_info(const Trainer *t, TrainInfo *out);

#endif
