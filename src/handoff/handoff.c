/* handoff.c - a pilot handed to a distributed trainer (see handoff.h).
 *
 * The plan, in order:
 *   1. the pilot: its recorded settings, summary (examples, parameters, the
 *      full run's GPU-hours on each priced GPU) and its model's config.json;
 *   2. the GPU: the one named, else the cheapest full run among the GPUs whose
 *      memory holds the training state (estimate below);
 *   3. the batch: the pilot's effective batch (batch x grad-accum) kept across
 *      the GPUs: micro-batch = the pilot's batch, accumulation = effective /
 *      (micro x GPUs), rounded, at least 1 (the README states any change);
 *   4. the schedule: the pilot's warmup as a fraction of its updates, applied
 *      to the full run's updates; cosine decay as the pilot's;
 *   5. the files (handoff.h).
 *
 * Memory of one GPU, a deliberate over-estimate stated in the README: the
 * frozen weights (NF4 with double quantization 0.5625 bytes a weight for
 * qlora: 4 bits plus 8-bit block scales per 64 and fp32 scales per 256 (the
 * QLoRA paper's 0.127 bits a weight rounded up); bf16 2 bytes for lora), 16
 * bytes a trainable weight (bf16 weight and gradient, fp32 master and two
 * AdamW moments; full fine-tuning sharded over the GPUs by ZeRO-3), bf16
 * activations of one micro-batch kept for the backward (34 x seq x hidden
 * bytes a layer plus 5 x heads x seq^2, Korthikanti et al. 2022, "Reducing
 * Activation Recomputation in Large Transformer Models", eq. 1, without
 * recomputation), and 1.5 GB for the CUDA context and allocator slack. */
#include "tunepilot/limits.h"
#include "tunepilot/handoff.h"

#include "handoff_impl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/arena.h"
#include "tunepilot/json.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"
#include "tunepilot/pilot.h"
#include "tunepilot/tokenizer.h"

#define MAX_AUTO_GPUS 8
#define WALL_TARGET_HOURS 24.0 /* without --gpus, add GPUs (up to 8) past a day of training */

bool handoff_engine_parse(const char *s, HandoffEngine *e) {
    if (!strcmp(s, "axolotl"))
        *e = HANDOFF_AXOLOTL;
    else if (!strcmp(s, "trl"))
        *e = HANDOFF_TRL;
    else if (!strcmp(s, "torchtune"))
        *e = HANDOFF_TORCHTUNE;
    else
        return false;
    return true;
}

const char *handoff_engine_name(HandoffEngine e) {
    return e == HANDOFF_AXOLOTL ? "axolotl" : e == HANDOFF_TRL ? "trl" : "torchtune";
}

/* --- what the pilot knows ------------------------------------------------------------- */

static void facts_free(PilotFacts *f) {
    store_run_free(&f->run);
    pilot_summary_free(&f->summary);
    free(f->train_lines);
    free(f->eval_lines);
    free(f->lines);
    free(f->data);
}

static double jnum(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* Splits f->data into lines in place (a UTF-8 BOM before the first is dropped). */
/* The data file's lines (jsonl.h's numbering: line k is lines[k - 1]),
 * NUL-terminated in place without their '\r'. */
static TpStatus split_lines(PilotFacts *f, TpError *err) {
    (void)err;
    size_t cap = 1024;
    f->lines = tp_xmalloc(cap * sizeof *f->lines);
    JsonlReader rd;
    JsonlLine ln;
    jsonl_reader_init(&rd, f->data, f->data_len);
    while (jsonl_next(&rd, &ln)) {
        char *t = f->data + (ln.text - f->data); /* data is ours, one byte past its end too */
        if (ln.len > 0 && t[ln.len - 1] == '\r')
            t[ln.len - 1] = '\0';
        t[ln.len] = '\0';
        if ((size_t)f->n_lines == cap) {
            cap *= 2;
            f->lines = tp_xrealloc(f->lines, cap * sizeof *f->lines);
        }
        f->lines[f->n_lines++] = t;
    }
    return TP_OK;
}

static TpStatus read_pilot(Store *s, int64_t run_id, PilotFacts *f, TpError *err) {
    memset(f, 0, sizeof *f);
    TpStatus st = store_run_get(s, run_id, &f->run, err);
    if (st != TP_OK)
        return st;
    if (strcmp(f->run.kind, "local"))
        return tp_error_set(err, TP_EINVAL,
                            "run %lld is an %s run: only a local pilot can be handed off",
                            (long long)run_id, f->run.kind);
    if (f->run.status != RUN_COMPLETED)
        return tp_error_set(err, TP_EINVAL,
                            "run %lld is %s: hand off a completed pilot (its summary prices the "
                            "full run; resume it with: tunepilot runs resume %lld)",
                            (long long)run_id, run_status_name(f->run.status), (long long)run_id);
    if ((st = pilot_options_from_run(&f->run, &f->opt, err)) != TP_OK)
        return st;
    char name[64];
    snprintf(name, sizeof name, "run %lld summary", (long long)run_id);
    if ((st = pilot_summary_parse(f->run.summary, name, &f->summary, err)) != TP_OK)
        return st;
    f->summary_epochs = f->summary.full_run.epochs;
    f->n_params = (double)f->summary.n_params;
    f->n_trainable = (double)f->summary.n_trainable;
    if (!(f->summary_epochs > 0) || !(f->n_params > 0))
        return tp_error_set(err, TP_EINVAL,
                            "run %lld: its summary has no full-run projection (full_run.gpus, "
                            "epochs, n_params): it was recorded by an older tunepilot",
                            (long long)run_id);
    snprintf(f->template_name, sizeof f->template_name, "%s", f->summary.template_name);
    if ((st = llama_config_load(f->opt.model_dir, &f->cfg, err)) != TP_OK)
        return st;

    /* the pilot's split, recomputed with its settings: the same examples */
    PilotSplit sp;
    if ((st = pilot_split_of(&f->opt, &sp, err)) != TP_OK)
        return st;
    f->format = sp.format;
    f->n_train = sp.n_train;
    f->n_eval = sp.n_eval;
    f->train_lines = sp.train_lines; /* owned by f from here (facts_free) */
    f->eval_lines = sp.eval_lines;
    if ((st = tp_file_read(f->opt.data_path, DATASET_MAX_FILE_BYTES, &f->data, &f->data_len, err)) != TP_OK)
        return st;
    return split_lines(f, err);
}

/* --- refusals: what an engine cannot express ---------------------------------------------- */

static bool record_has_weight(const cJSON *rec, int *n_trained_assistant) {
    bool weighted = false;
    *n_trained_assistant = 0;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rec, "messages"), *m;
    cJSON_ArrayForEach(m, msgs) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(m, "weight");
        if (w)
            weighted = true;
        if (cJSON_IsString(role) && !strcmp(role->valuestring, "assistant") &&
            !(cJSON_IsNumber(w) && w->valuedouble == 0))
            (*n_trained_assistant)++;
    }
    return weighted;
}

TpStatus hf_scan_data(const PilotFacts *f, DataFacts *df, TpError *err) {
    memset(df, 0, sizeof *df);
    if (f->format != DATASET_CHAT)
        return TP_OK;
    for (int pass = 0; pass < 2; pass++) {
        const int *ln = pass ? f->eval_lines : f->train_lines;
        int n = pass ? f->n_eval : f->n_train;
        for (int i = 0; i < n; i++) {
            if (ln[i] < 1 || ln[i] > f->n_lines)
                return tp_error_set(err, TP_ERR, "%s: line %d is past the end of the file",
                                    f->opt.data_path, ln[i]);
            cJSON *rec = cJSON_Parse(f->lines[ln[i] - 1]);
            if (!rec)
                return tp_error_set(err, TP_EINVAL,
                                    "%s:%d: not JSON any more (the file changed "
                                    "since the pilot)",
                                    f->opt.data_path, ln[i]);
            int n_tr = 0;
            if (record_has_weight(rec, &n_tr))
                df->any_weight = true;
            if (n_tr > 1 && !df->multi_turn_line)
                df->multi_turn_line = ln[i];
            const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rec, "messages");
            int cnt = cJSON_GetArraySize(msgs);
            const cJSON *last = cnt > 0 ? cJSON_GetArrayItem(msgs, cnt - 1) : NULL;
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(last, "role");
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(last, "weight");
            if ((!cJSON_IsString(role) || strcmp(role->valuestring, "assistant") ||
                 (cJSON_IsNumber(w) && w->valuedouble == 0)) &&
                !df->last_not_asst_line)
                df->last_not_asst_line = ln[i];
            cJSON_Delete(rec);
        }
    }
    return TP_OK;
}

/* The LoRA targets as PEFT module names, and whether the set is "all seven". */
void hf_target_names(unsigned mask, const char **names, int *n) {
    *n = 0;
    for (int i = 0; i < LLAMA_N_LINEAR; i++)
        if (mask & (1u << i))
            names[(*n)++] = LLAMA_LINEAR_NAMES[i];
}

/* A torchtune model builder for this config, or NULL. */

/* From torchtune 0.7.0's builders (torchtune/models/{llama3_1,llama3_2,qwen2_5,mistral}) and
 * the tokenizer files each one reads. */
static const TtModel TT_MODELS[] = {
    {"llama", 2048, 16, 128000, "torchtune.models.llama3_2.lora_llama3_2_1b",
     "torchtune.models.llama3_2.qlora_llama3_2_1b", "torchtune.models.llama3.llama3_tokenizer",
     "original/tokenizer.model", "LLAMA3_2"},
    {"llama", 3072, 28, 128000, "torchtune.models.llama3_2.lora_llama3_2_3b",
     "torchtune.models.llama3_2.qlora_llama3_2_3b", "torchtune.models.llama3.llama3_tokenizer",
     "original/tokenizer.model", "LLAMA3_2"},
    {"llama", 4096, 32, 128000, "torchtune.models.llama3_1.lora_llama3_1_8b",
     "torchtune.models.llama3_1.qlora_llama3_1_8b", "torchtune.models.llama3.llama3_tokenizer",
     "original/tokenizer.model", "LLAMA3"},
    {"qwen2", 896, 24, 151000, "torchtune.models.qwen2_5.lora_qwen2_5_0_5b", NULL,
     "torchtune.models.qwen2_5.qwen2_5_tokenizer", "vocab.json", "QWEN2"},
    {"qwen2", 1536, 28, 151000, "torchtune.models.qwen2_5.lora_qwen2_5_1_5b_instruct", NULL,
     "torchtune.models.qwen2_5.qwen2_5_tokenizer", "vocab.json", "QWEN2"},
    {"mistral", 4096, 32, 32000, "torchtune.models.mistral.lora_mistral_7b",
     "torchtune.models.mistral.qlora_mistral_7b", "torchtune.models.mistral.mistral_tokenizer",
     "tokenizer.model", "MISTRAL"},
};

const TtModel *hf_tt_model(const LlamaConfig *c) {
    for (size_t i = 0; i < sizeof TT_MODELS / sizeof TT_MODELS[0]; i++)
        if (!strcmp(TT_MODELS[i].arch, c->model_type) && TT_MODELS[i].hidden == c->hidden &&
            TT_MODELS[i].layers == c->n_layers && c->vocab >= TT_MODELS[i].vocab_min)
            return &TT_MODELS[i];
    return NULL;
}

static TpStatus refuse(const PilotFacts *f, const DataFacts *df, const HandoffOptions *o,
                       TpError *err) {
    const TrainConfig *c = &f->opt.train;
    const char *eng = handoff_engine_name(o->engine);
    switch (o->engine) {
    case HANDOFF_AXOLOTL:
        if (f->format == DATASET_COMPLETION)
            return tp_error_set(err, TP_EINVAL,
                                "axolotl: the pilot's data is prompt/completion, which axolotl "
                                "reads only as template-free segments with other special-token "
                                "rules; hand it off --to trl (prompt-completion is native there)");
        break;
    case HANDOFF_TRL:
        if (df->any_weight)
            return tp_error_set(err, TP_EINVAL,
                                "trl: the pilot's data sets per-message \"weight\", which TRL's "
                                "SFTTrainer cannot express; hand it off --to axolotl "
                                "(message_field_training)");
        if (df->multi_turn_line)
            return tp_error_set(
                err, TP_EINVAL,
                "trl: %s:%d has more than one trained assistant turn; TRL's prompt-completion "
                "format trains the last one only (and assistant_only_loss needs a chat template "
                "with generation blocks); hand it off --to axolotl",
                f->opt.data_path, df->multi_turn_line);
        if (df->last_not_asst_line)
            return tp_error_set(err, TP_EINVAL,
                                "trl: %s:%d does not end with a trained assistant message, "
                                "which TRL's prompt-completion format needs",
                                f->opt.data_path, df->last_not_asst_line);
        if (c->method != TRAIN_FULL && c->alpha != floor(c->alpha))
            return tp_error_set(err, TP_EINVAL,
                                "trl: lora_alpha is a whole number in TRL's ModelConfig; the "
                                "pilot's alpha is %g",
                                c->alpha);
        if (o->warm_start)
            return tp_error_set(err, TP_EINVAL,
                                "trl: `trl sft` has no setting to start from an existing "
                                "adapter; drop --warm-start or hand it off --to axolotl "
                                "(lora_model_dir)");
        break;
    case HANDOFF_TORCHTUNE: {
        const TtModel *m = hf_tt_model(&f->cfg);
        if (!m)
            return tp_error_set(
                err, TP_EINVAL,
                "torchtune: no torchtune 0.7 model builder matches this model (%s, hidden %d, "
                "%d layers); torchtune builds Llama-3.1-8B, Llama-3.2-1B/3B, Qwen2.5-0.5B/1.5B "
                "and Mistral-7B here; hand it off --to axolotl or --to trl",
                f->cfg.model_type, f->cfg.hidden, f->cfg.n_layers);
        if (c->method == TRAIN_QLORA && !m->qlora)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: no QLoRA builder for %s in torchtune 0.7 (only "
                                "LoRA); hand it off --to axolotl or --to trl",
                                m->lora);
        if (c->method == TRAIN_FULL)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: a full fine-tune needs the full_finetune_distributed "
                                "recipe, which this hand-off does not write; use --to axolotl "
                                "or --to trl");
        if (c->rslora)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: rsLoRA (alpha/sqrt(r)) has no setting in torchtune's "
                                "LoRA builders; use --to axolotl (peft_use_rslora) or --to trl "
                                "(use_rslora)");
        unsigned mlp = (1u << LLAMA_GATE) | (1u << LLAMA_UP) | (1u << LLAMA_DOWN);
        if ((c->targets & mlp) && (c->targets & mlp) != mlp)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: LoRA on part of the MLP (targets %u) cannot be "
                                "expressed: apply_lora_to_mlp adapts gate, up and down together",
                                c->targets);
        if (f->format == DATASET_COMPLETION)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: prompt/completion data is not handed off to "
                                "torchtune; use --to trl");
        if (df->any_weight)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: per-message \"weight\" has no setting in torchtune's "
                                "chat_dataset; use --to axolotl");
        if (o->warm_start)
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: starting from a PEFT adapter is not written by this "
                                "hand-off; drop --warm-start or use --to axolotl");
        if (!strcmp(f->template_name, "tunepilot-default"))
            return tp_error_set(err, TP_EINVAL,
                                "torchtune: the pilot used tunepilot's default chat template (the "
                                "model has none), which torchtune's tokenizers cannot take");
        break;
    }
    }
    if (o->warm_start && c->method == TRAIN_FULL)
        return tp_error_set(err, TP_EINVAL,
                            "%s: --warm-start needs a LoRA or QLoRA pilot (this one trained "
                            "every weight)",
                            eng);
    return TP_OK;
}

/* --- the GPU and the batch ---------------------------------------------------------------- */

static double need_gb(const PilotFacts *f, int micro, int total_gpus, bool zero3) {
    const LlamaConfig *c = &f->cfg;
    const TrainConfig *t = &f->opt.train;
    double frozen = t->method == TRAIN_QLORA ? 0.5625 : 2.0;
    double weights = t->method == TRAIN_FULL ? 0 : f->n_params * frozen;
    double trainable = t->method == TRAIN_FULL ? f->n_params : f->n_trainable;
    double states = 16.0 * (isfinite(trainable) ? trainable : 0);
    if (t->method == TRAIN_FULL && zero3)
        states /= total_gpus;
    double seq = t->seq,
           act = micro * c->n_layers * (34.0 * seq * c->hidden + 5.0 * c->n_heads * seq * seq);
    return (weights + states + act) / 1e9 + 1.5;
}

static double pilot_gpu_hours(const PilotFacts *f, const char *gpu_id, double epochs) {
    const PilotFullRun *fr = &f->summary.full_run;
    for (int i = 0; i < fr->n_gpus; i++)
        if (!strcmp(fr->gpus[i].gpu, gpu_id))
            return fr->gpus[i].hours * epochs / f->summary_epochs;
    return NAN;
}

static const char *sky_name(const char *id) {
    static const char *const map[][2] = {
        {"h100", "H100"}, {"h200", "H200"},       {"a100-80gb", "A100-80GB"}, {"a100-40gb", "A100"},
        {"l40s", "L40S"}, {"l4", "L4"},           {"a10g", "A10G"},           {"a10", "A10"},
        {"t4", "T4"},     {"rtx-4090", "RTX4090"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i][0], id))
            return map[i][1];
    return NULL;
}

static void size_batch(const PilotFacts *f, int total_gpus, HandoffPlan *pl) {
    const TrainConfig *t = &f->opt.train;
    int eff = t->batch * (t->grad_accum > 0 ? t->grad_accum : 1);
    pl->pilot_effective_batch = eff;
    int micro = t->batch;
    if (micro * total_gpus > eff)
        micro = eff / total_gpus > 0 ? eff / total_gpus : 1;
    int accum = (int)lround((double)eff / ((double)micro * total_gpus));
    pl->micro_batch = micro;
    pl->grad_accum = accum > 0 ? accum : 1;
    pl->effective_batch = pl->micro_batch * pl->grad_accum * total_gpus;
}

static TpStatus plan_gpu(const PilotFacts *f, const Pricing *p, const HandoffOptions *o,
                         HandoffPlan *pl, TpError *err) {
    const TrainConfig *t = &f->opt.train;
    int nodes = o->nodes > 0 ? o->nodes : 1;
    const PricingGpu *best = NULL;
    int best_gpus = 0;
    double best_usd = INFINITY;
    char why[512] = "";
    for (int i = 0; i < p->n_gpus; i++) {
        const PricingGpu *g = &p->gpus[i];
        if (o->gpu && strcmp(o->gpu, g->id))
            continue;
        double gh = pilot_gpu_hours(f, g->id, pl->epochs);
        const PricingGpuRate *r = g->n_rates ? pricing_gpu_rate(g, NULL) : NULL;
        if (!isfinite(gh) || !r || !sky_name(g->id)) {
            snprintf(why, sizeof why, "%s has no training rate in the pilot's projection", g->id);
            continue;
        }
        /* the fewest GPUs per node that hold the state (ZeRO-3 shards a full fine-tune) */
        int lo = o->gpus > 0 ? o->gpus : 1, hi = o->gpus > 0 ? o->gpus : MAX_AUTO_GPUS, n = 0;
        for (int k = lo; k <= hi; k++) {
            size_batch(f, k * nodes, pl);
            bool z3 = t->method == TRAIN_FULL && k * nodes > 1;
            if (need_gb(f, pl->micro_batch, k * nodes, z3) <= g->memory_gb) {
                n = k;
                break;
            }
        }
        if (!n) {
            size_batch(f, hi * nodes, pl);
            snprintf(why, sizeof why,
                     "%s (%.0f GB) cannot hold the training state (about %.1f GB "
                     "a GPU with %d GPU%s)",
                     g->id, g->memory_gb,
                     need_gb(f, pl->micro_batch, hi * nodes, t->method == TRAIN_FULL), hi * nodes,
                     hi * nodes == 1 ? "" : "s");
            continue;
        }
        if (o->gpus == 0)
            while (n < MAX_AUTO_GPUS && gh / (n * nodes) > WALL_TARGET_HOURS)
                n *= 2;
        if (n > MAX_AUTO_GPUS && o->gpus == 0)
            n = MAX_AUTO_GPUS;
        double usd = gh * r->usd_per_hour;
        if (usd < best_usd) {
            best = g;
            best_gpus = n;
            best_usd = usd;
        }
    }
    if (!best) {
        if (o->gpu && !why[0])
            return tp_error_set(err, TP_EINVAL, "--gpu %s: not in the price tables' GPUs", o->gpu);
        return tp_error_set(err, TP_EINVAL, "no GPU fits this run: %s",
                            why[0] ? why : "the tables list no GPU");
    }
    const PricingGpuRate *r = pricing_gpu_rate(best, NULL);
    pl->gpus_per_node = best_gpus;
    pl->nodes = nodes;
    int total = best_gpus * nodes;
    size_batch(f, total, pl);
    bool z3 = t->method == TRAIN_FULL && total > 1 &&
              need_gb(f, pl->micro_batch, 1, false) > best->memory_gb;
    pl->deepspeed = t->method == TRAIN_FULL && total > 1 ? (z3 ? "zero3" : "zero2") : NULL;
    pl->need_memory_gb = need_gb(f, pl->micro_batch, total, z3);
    snprintf(pl->gpu_id, sizeof pl->gpu_id, "%s", best->id);
    snprintf(pl->gpu_name, sizeof pl->gpu_name, "%s", best->name ? best->name : best->id);
    snprintf(pl->sky_accelerator, sizeof pl->sky_accelerator, "%s", sky_name(best->id));
    pl->gpu_memory_gb = best->memory_gb;
    pl->gpu_hours = pilot_gpu_hours(f, best->id, pl->epochs);
    pl->wall_hours = pl->gpu_hours / total;
    pl->usd_per_gpu_hour = r->usd_per_hour;
    pl->usd = pl->gpu_hours * r->usd_per_hour;
    snprintf(pl->cloud, sizeof pl->cloud, "%s", r->cloud);
    snprintf(pl->rate_source, sizeof pl->rate_source, "%s", r->source ? r->source : "");
    snprintf(pl->rate_as_of, sizeof pl->rate_as_of, "%s", r->as_of ? r->as_of : "");
    return TP_OK;
}

static bool dir_nonempty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

TpStatus handoff_write(Store *s, const Pricing *p, int64_t run_id, const HandoffOptions *o,
                       HandoffPlan *pl, TpError *err) {
    memset(pl, 0, sizeof *pl);
    pl->run_id = run_id;
    pl->engine = o->engine;
    if (!o->out_dir || !*o->out_dir)
        return tp_error_set(err, TP_EINVAL, "-o: expected the bundle's folder");
    if (o->gpus < 0 || o->gpus > 64 || o->nodes < 0 || o->nodes > 256)
        return tp_error_set(err, TP_EINVAL, "--gpus 1..64 and --nodes 1..256 expected");
    if (dir_nonempty(o->out_dir) && !o->force)
        return tp_error_set(err, TP_EINVAL,
                            "%s: the folder exists and is not empty (--force writes into it)",
                            o->out_dir);
    PilotFacts f;
    TpStatus st = read_pilot(s, run_id, &f, err);
    DataFacts df;
    if (st == TP_OK)
        st = hf_scan_data(&f, &df, err);
    if (st == TP_OK)
        st = refuse(&f, &df, o, err);
    if (st != TP_OK) {
        facts_free(&f);
        return st;
    }
    const TrainConfig *t = &f.opt.train;
    pl->epochs = o->epochs > 0 ? o->epochs : f.summary_epochs;
    pl->seq = t->seq;
    pl->lr = t->lr;
    pl->n_train = f.n_train;
    pl->n_eval = f.n_eval;
    pl->warmup_ratio = f.run.total_steps > 0 ? (double)t->warmup / (double)f.run.total_steps : 0;
    if (pl->warmup_ratio > 1)
        pl->warmup_ratio = 1; /* the pilot warmed up for all of its updates */
    if (o->engine == HANDOFF_TORCHTUNE && pl->epochs > 1 && pl->epochs != floor(pl->epochs))
        st = tp_error_set(err, TP_EINVAL,
                          "torchtune: epochs are whole numbers there; the full run is %g epochs "
                          "(pass --epochs N)",
                          pl->epochs);
    if (st != TP_OK || (st = plan_gpu(&f, p, o, pl, err)) != TP_OK) {
        facts_free(&f);
        return st;
    }
    pl->updates = (long long)ceil((double)f.n_train * pl->epochs / pl->effective_batch);
    pl->warmup_steps = llround(pl->warmup_ratio * (double)pl->updates);
    /* as many evaluations over the run as the pilot made over its updates */
    if (t->eval_every > 0 && f.run.total_steps > 0) {
        double evals = (double)f.run.total_steps / (double)t->eval_every;
        pl->eval_steps = evals >= 1 ? llround((double)pl->updates / evals) : pl->updates;
        if (pl->eval_steps < 1)
            pl->eval_steps = 1;
    }
    hf_launch_command(o, pl);

    bool copied = false;
    st = tp_mkdirs(o->out_dir, err);
    if (st == TP_OK)
        st = hf_model_reference(&f, o, pl, &copied, err);
    if (st == TP_OK)
        st = hf_write_split(&f, o, f.train_lines, f.n_train, o->out_dir, "train.jsonl", err);
    if (st == TP_OK && f.n_eval)
        st = hf_write_split(&f, o, f.eval_lines, f.n_eval, o->out_dir, "test.jsonl", err);
    if (st == TP_OK && hf_default_template(&f) && o->engine == HANDOFF_TRL) {
        TpBuf b;
        tp_buf_init(&b);
        tp_buf_puts(&b, HF_DEFAULT_TEMPLATE_JINJA);
        st = hf_write_text(o->out_dir, "chat_template.jinja", &b, err);
    }
    if (st == TP_OK) {
        switch (o->engine) {
        case HANDOFF_AXOLOTL:
            st = hf_write_axolotl(&f, o, pl, err);
            break;
        case HANDOFF_TRL:
            st = hf_write_trl(&f, o, pl, err);
            break;
        case HANDOFF_TORCHTUNE:
            st = hf_write_torchtune(&f, o, pl, err);
            break;
        }
    }
    if (st == TP_OK && o->engine != HANDOFF_TORCHTUNE)
        st = hf_write_accelerate(o, pl, err);
    if (st == TP_OK && o->warm_start) {
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/adapter", f.run.out_dir);
        snprintf(dst, sizeof dst, "%s/adapter", o->out_dir);
        size_t total = 0;
        bool too_big = false;
        st = hf_copy_dir_files(src, dst, 0, &total, &too_big, err);
    }
    if (st == TP_OK)
        st = hf_write_run_sh(o, pl, err);
    if (st == TP_OK && o->skypilot)
        st = hf_write_sky(o, pl, err);
    if (st == TP_OK)
        st = hf_write_plan_json(&f, o, pl, err);
    if (st == TP_OK)
        st = hf_write_readme(&f, o, pl, copied, err);
    pl->warned_torchtune = o->engine == HANDOFF_TORCHTUNE;
    facts_free(&f);
    return st;
}

/* --- the real run against the projection ---------------------------------------------- */

static void loss_points(const StoreMetric *m, int n, double *out) {
    for (int k = 0; k < HANDOFF_LOSS_POINTS; k++) {
        out[k] = NAN;
        if (n <= 0)
            continue;
        /* the mean loss over the tenth of training that ends at (k+1)/K of it */
        int end = (int)lround((double)(k + 1) * n / HANDOFF_LOSS_POINTS);
        int w = n / 10 > 0 ? n / 10 : 1, start = end - w > 0 ? end - w : 0;
        double sum = 0;
        int cnt = 0;
        for (int i = start; i < end; i++)
            if (isfinite(m[i].loss)) {
                sum += m[i].loss;
                cnt++;
            }
        out[k] = cnt ? sum / cnt : NAN;
    }
}

static TpStatus run_losses(Store *s, int64_t id, double *out, double *elapsed, TpError *err) {
    StoreMetric *m = NULL;
    int n = 0;
    TpStatus st = store_run_metrics(s, id, -1, &m, &n, err);
    if (st != TP_OK)
        return st;
    loss_points(m, n, out);
    if (elapsed)
        *elapsed = n ? m[n - 1].elapsed_s : NAN;
    free(m);
    return TP_OK;
}

static double iso_seconds(const char *iso) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return NAN;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

TpStatus handoff_compare(Store *s, const StoreRun *real, HandoffCompare *c, bool *found,
                         TpError *err) {
    memset(c, 0, sizeof *c);
    *found = false;
    if (strcmp(real->kind, "external") || !real->config)
        return TP_OK;
    cJSON *cfg = cJSON_Parse(real->config);
    const cJSON *cwd = cJSON_GetObjectItemCaseSensitive(cfg, "cwd");
    char path[4096];
    bool have = cJSON_IsString(cwd);
    if (have)
        snprintf(path, sizeof path, "%s/handoff.json", cwd->valuestring);
    cJSON_Delete(cfg);
    struct stat sb;
    if (!have || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return TP_OK;
    cJSON *h = NULL;
    TpStatus st = tp_json_parse_file(path, 1 << 20, &h, err);
    if (st != TP_OK)
        return st;
    const cJSON *eng = cJSON_GetObjectItemCaseSensitive(h, "engine");
    const cJSON *gpu = cJSON_GetObjectItemCaseSensitive(h, "gpu");
    int64_t pilot_run = 0;
    c->pilot_run = tp_json_to_i64(jnum(h, "pilot_run"), 0, INT64_MAX, &pilot_run) ? pilot_run : 0;
    c->real_run = real->id;
    snprintf(c->engine, sizeof c->engine, "%s", cJSON_IsString(eng) ? eng->valuestring : "");
    snprintf(c->gpu_id, sizeof c->gpu_id, "%s", cJSON_IsString(gpu) ? gpu->valuestring : "");
    double per = jnum(h, "gpus_per_node"), nodes = jnum(h, "nodes");
    if (!tp_json_to_int(per * nodes, 0, INT_MAX, &c->gpus))
        c->gpus = 0;
    c->projected_hours = jnum(h, "projected_hours");
    c->projected_gpu_hours = jnum(h, "projected_gpu_hours");
    c->usd_per_gpu_hour = jnum(h, "usd_per_gpu_hour");
    c->projected_usd = jnum(h, "projected_usd");
    cJSON_Delete(h);
    double elapsed = NAN;
    if ((st = run_losses(s, real->id, c->real_loss, &elapsed, err)) != TP_OK)
        return st;
    if (!isfinite(elapsed) || elapsed <= 0)
        elapsed = iso_seconds(real->updated_at) - iso_seconds(real->created_at);
    c->real_hours = elapsed / 3600.0;
    c->real_gpu_hours = c->real_hours * c->gpus;
    c->real_usd = c->real_gpu_hours * c->usd_per_gpu_hour;
    if (c->pilot_run > 0 && (st = run_losses(s, c->pilot_run, c->pilot_loss, NULL, err)) != TP_OK) {
        for (int k = 0; k < HANDOFF_LOSS_POINTS; k++)
            c->pilot_loss[k] = NAN; /* the pilot may have been deleted */
        tp_error_clear(err);
    }
    *found = true;
    return TP_OK;
}

cJSON *handoff_compare_json(const HandoffCompare *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "pilot_run", (double)c->pilot_run);
    cJSON_AddStringToObject(j, "engine", c->engine);
    cJSON_AddStringToObject(j, "gpu", c->gpu_id);
    cJSON_AddNumberToObject(j, "gpus", c->gpus);
    tp_json_add_num(j, "projected_hours", c->projected_hours);
    tp_json_add_num(j, "real_hours", c->real_hours);
    tp_json_add_num(j, "projected_gpu_hours", c->projected_gpu_hours);
    tp_json_add_num(j, "real_gpu_hours", c->real_gpu_hours);
    tp_json_add_num(j, "usd_per_gpu_hour", c->usd_per_gpu_hour);
    tp_json_add_num(j, "projected_usd", c->projected_usd);
    tp_json_add_num(j, "real_usd", c->real_usd);
    cJSON *pl = cJSON_AddArrayToObject(j, "pilot_loss"),
          *rl = cJSON_AddArrayToObject(j, "real_loss");
    for (int k = 0; k < HANDOFF_LOSS_POINTS; k++) {
        cJSON_AddItemToArray(pl, isfinite(c->pilot_loss[k]) ? cJSON_CreateNumber(c->pilot_loss[k])
                                                            : cJSON_CreateNull());
        cJSON_AddItemToArray(rl, isfinite(c->real_loss[k]) ? cJSON_CreateNumber(c->real_loss[k])
                                                           : cJSON_CreateNull());
    }
    return j;
}
