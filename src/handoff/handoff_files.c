/* handoff_files.c - the files of a hand-off bundle (see handoff.h): the data
 * split, each engine's configuration, the launcher's, run.sh, sky.yml,
 * handoff.json and README.md; the base model's reference. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/fileio.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"

#include "handoff_impl.h"

#define MODEL_COPY_MAX ((size_t)256 << 20) /* local models up to this size travel in the bundle */

/* --- writing ---------------------------------------------------------------------------- */

/* s as a YAML double-quoted scalar (JSON string escapes are valid there). */
static void yq(TpBuf *b, const char *s) {
    cJSON *j = cJSON_CreateString(s);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    tp_buf_puts(b, t ? t : "\"\"");
    free(t);
    cJSON_Delete(j);
}

static void ykv(TpBuf *b, const char *indent, const char *key, const char *val) {
    tp_buf_printf(b, "%s%s: ", indent, key);
    yq(b, val);
    tp_buf_puts(b, "\n");
}

static void ylist(TpBuf *b, const char *const *v, int n) {
    tp_buf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            tp_buf_puts(b, ", ");
        yq(b, v[i]);
    }
    tp_buf_puts(b, "]");
}

TpStatus hf_write_text(const char *dir, const char *name, TpBuf *b, TpError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    TpStatus st = tp_mkdirs_for_file(path, err);
    if (st == TP_OK)
        st = tp_file_write_atomic(path, b->data ? b->data : "", b->len, err);
    tp_buf_free(b);
    return st;
}

/* The pilot's records for one split, as the engine reads them. */
TpStatus hf_write_split(const PilotFacts *f, const HandoffOptions *o, const int *ln, int n,
                        const char *dir, const char *name, TpError *err) {
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; i < n; i++) {
        const char *line = f->lines[ln[i] - 1];
        if (o->engine != HANDOFF_TRL || f->format == DATASET_COMPLETION) {
            tp_buf_puts(&b, line); /* chat and alpaca records as they are; TRL prompt/completion */
            tp_buf_puts(&b, "\n");
            continue;
        }
        cJSON *rec = cJSON_Parse(line), *out = cJSON_CreateObject();
        if (f->format == DATASET_CHAT) {
            /* conversational prompt-completion: every message but the last, then the last */
            cJSON *msgs = cJSON_DetachItemFromObjectCaseSensitive(rec, "messages");
            int cnt = cJSON_GetArraySize(msgs);
            cJSON *last = cJSON_DetachItemFromArray(msgs, cnt - 1), *m;
            cJSON_ArrayForEach(m, msgs) cJSON_DeleteItemFromObjectCaseSensitive(m, "weight");
            cJSON_DeleteItemFromObjectCaseSensitive(last, "weight");
            cJSON *comp = cJSON_CreateArray();
            cJSON_AddItemToArray(comp, last);
            cJSON_AddItemToObject(out, "prompt", msgs);
            cJSON_AddItemToObject(out, "completion", comp);
        } else { /* alpaca: Stanford Alpaca's PROMPT_DICT, exactly as the pilot formats it */
            const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rec, "instruction");
            const cJSON *inp = cJSON_GetObjectItemCaseSensitive(rec, "input");
            const cJSON *outp = cJSON_GetObjectItemCaseSensitive(rec, "output");
            TpBuf pr;
            tp_buf_init(&pr);
            bool has_in = cJSON_IsString(inp) && inp->valuestring[0];
            tp_buf_printf(&pr,
                          "Below is an instruction that describes a task%s. Write a response "
                          "that appropriately completes the request.\n\n### Instruction:\n%s\n\n",
                          has_in ? ", paired with an input that provides further context" : "",
                          cJSON_IsString(ins) ? ins->valuestring : "");
            if (has_in)
                tp_buf_printf(&pr, "### Input:\n%s\n\n", inp->valuestring);
            tp_buf_puts(&pr, "### Response:");
            cJSON_AddStringToObject(out, "prompt", pr.data ? pr.data : "");
            tp_buf_free(&pr);
            cJSON_AddStringToObject(out, "completion",
                                    cJSON_IsString(outp) ? outp->valuestring : "");
        }
        char *t = cJSON_PrintUnformatted(out);
        if (t)
            tp_buf_puts(&b, t);
        tp_buf_puts(&b, "\n");
        free(t);
        cJSON_Delete(out);
        cJSON_Delete(rec);
    }
    char path[64];
    snprintf(path, sizeof path, "data/%s", name);
    return hf_write_text(dir, path, &b, err);
}

/* tunepilot's default template (dataset.h) in Jinja, for models without their own. The
 * engines find the assistant turns (the loss) themselves. */
const char HF_DEFAULT_TEMPLATE_JINJA[] =
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ '### System:\\n' + m['content'] + '\\n\\n' }}"
    "{% elif m['role'] == 'user' %}{{ '### User:\\n' + m['content'] + '\\n\\n' }}"
    "{% elif m['role'] == 'assistant' %}{{ '### Assistant:\\n' }}"
    "{{ m['content'] + eos_token }}"
    "{% if not loop.last %}{{ '\\n\\n' }}{% endif %}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}\n";

bool hf_default_template(const PilotFacts *f) {
    return f->format == DATASET_CHAT && !strcmp(f->template_name, "tunepilot-default");
}

static const char *schedule_name(void) {
    return "cosine"; /* the pilot's schedule: linear warmup, then cosine to 0 */
}

TpStatus hf_write_axolotl(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                          TpError *err) {
    const TrainConfig *t = &f->opt.train;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "# axolotl configuration written by tunepilot %s from pilot run %lld.\n"
                  "# Keys as documented in %s.\n",
                  TP_VERSION, (long long)pl->run_id, HANDOFF_AXOLOTL_VERSION);
    ykv(&b, "", "base_model", pl->model_ref);
    if (t->method == TRAIN_QLORA) {
        tp_buf_puts(&b, "adapter: qlora\nload_in_4bit: true\n"
                        "bnb_config_kwargs:\n  bnb_4bit_quant_type: nf4\n"
                        "  bnb_4bit_use_double_quant: true\n"
                        "  bnb_4bit_compute_dtype: bfloat16\n");
    } else if (t->method == TRAIN_LORA) {
        tp_buf_puts(&b, "adapter: lora\n");
    }
    if (t->method != TRAIN_FULL) {
        const char *names[LLAMA_N_LINEAR];
        int n;
        hf_target_names(t->targets, names, &n);
        tp_buf_printf(&b, "lora_r: %d\nlora_alpha: %g\nlora_dropout: %g\nlora_target_modules: ",
                      t->rank, t->alpha, t->dropout);
        ylist(&b, names, n);
        tp_buf_printf(&b, "\npeft_use_rslora: %s\n", t->rslora ? "true" : "false");
        if (o->warm_start)
            tp_buf_puts(&b, "lora_model_dir: adapter\n");
    }
    tp_buf_puts(&b, "datasets:\n");
    const char *type = f->format == DATASET_ALPACA ? "alpaca" : "chat_template";
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (!f->n_eval)
                break;
            tp_buf_puts(&b, "test_datasets:\n");
        }
        tp_buf_printf(&b, "  - path: data/%s\n    ds_type: json\n    split: train\n    type: %s\n",
                      pass ? "test.jsonl" : "train.jsonl", type);
        if (f->format == DATASET_CHAT) {
            tp_buf_puts(&b, "    field_messages: messages\n    roles_to_train: [\"assistant\"]\n");
            DataFacts df;
            if (hf_scan_data(f, &df, err) == TP_OK && df.any_weight)
                tp_buf_puts(&b, "    message_field_training: weight\n");
        }
    }
    if (hf_default_template(f)) {
        tp_buf_puts(&b, "chat_template: jinja\nchat_template_jinja: |\n");
        for (const char *l = HF_DEFAULT_TEMPLATE_JINJA; *l;) {
            const char *nl = strchr(l, '\n');
            size_t n = nl ? (size_t)(nl - l) : strlen(l);
            tp_buf_puts(&b, "  ");
            tp_buf_append(&b, l, n);
            tp_buf_puts(&b, "\n");
            l += n + (nl ? 1 : 0);
        }
    } else if (f->format == DATASET_CHAT)
        tp_buf_puts(&b, "chat_template: tokenizer_default\n");
    tp_buf_printf(&b,
                  "sequence_len: %d\nmicro_batch_size: %d\ngradient_accumulation_steps: %d\n"
                  "num_epochs: %g\nlearning_rate: %g\nlr_scheduler: %s\nwarmup_ratio: %g\n"
                  "weight_decay: %g\nmax_grad_norm: %g\noptimizer: adamw_torch\n"
                  "train_on_inputs: false\nbf16: true\nseed: %llu\noutput_dir: ./out\n"
                  "logging_steps: 1\n",
                  t->seq, pl->micro_batch, pl->grad_accum, pl->epochs, t->lr, schedule_name(),
                  pl->warmup_ratio, t->weight_decay, t->max_grad_norm, (unsigned long long)t->seed);
    if (f->n_eval && pl->eval_steps > 0)
        tp_buf_printf(&b, "eval_steps: %lld\n", pl->eval_steps);
    if (pl->deepspeed)
        tp_buf_printf(&b, "deepspeed: deepspeed.json\n");
    return hf_write_text(o->out_dir, "config.yml", &b, err);
}

TpStatus hf_write_trl(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                      TpError *err) {
    const TrainConfig *t = &f->opt.train;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "# `trl sft --config sft.yml` configuration written by tunepilot %s from "
                  "pilot run %lld.\n# Keys as documented in %s.\n",
                  TP_VERSION, (long long)pl->run_id, HANDOFF_TRL_VERSION);
    ykv(&b, "", "model_name_or_path", pl->model_ref);
    tp_buf_puts(&b, "dtype: bfloat16\n");
    /* a folder with train.jsonl and test.jsonl: the datasets library names the splits after
     * the files (its split-pattern rule) */
    tp_buf_puts(&b, "dataset_name: data\ndataset_train_split: train\n");
    if (f->n_eval)
        tp_buf_puts(&b, "dataset_test_split: test\neval_strategy: steps\n");
    else
        tp_buf_puts(&b, "eval_strategy: \"no\"\n");
    if (t->method != TRAIN_FULL) {
        const char *names[LLAMA_N_LINEAR];
        int n;
        hf_target_names(t->targets, names, &n);
        tp_buf_printf(&b,
                      "use_peft: true\nlora_r: %d\nlora_alpha: %d\nlora_dropout: %g\n"
                      "lora_target_modules: ",
                      t->rank, (int)lround(t->alpha), t->dropout);
        ylist(&b, names, n);
        tp_buf_printf(&b, "\nuse_rslora: %s\n", t->rslora ? "true" : "false");
    }
    if (t->method == TRAIN_QLORA)
        tp_buf_puts(&b, "load_in_4bit: true\nbnb_4bit_quant_type: nf4\n"
                        "use_bnb_nested_quant: true\n");
    if (hf_default_template(f))
        tp_buf_puts(&b, "chat_template_path: chat_template.jinja\n");
    tp_buf_printf(&b,
                  "completion_only_loss: true\nmax_length: %d\nper_device_train_batch_size: %d\n"
                  "per_device_eval_batch_size: %d\ngradient_accumulation_steps: %d\n"
                  "num_train_epochs: %g\nlearning_rate: %g\nlr_scheduler_type: %s\n"
                  "weight_decay: %g\nmax_grad_norm: %g\nbf16: true\n"
                  "seed: %llu\noutput_dir: ./out\nlogging_steps: 1\nreport_to: none\n",
                  t->seq, pl->micro_batch, pl->micro_batch, pl->grad_accum, pl->epochs, t->lr,
                  schedule_name(), t->weight_decay, t->max_grad_norm, (unsigned long long)t->seed);
    /* transformers 5 removed warmup_ratio: warmup_steps below 1 is the fraction of the updates
     * (huggingface/transformers#41326), 1 and above a count */
    if (pl->warmup_ratio > 0 && pl->warmup_ratio < 1)
        tp_buf_printf(&b, "warmup_steps: %.6g\n", pl->warmup_ratio);
    else
        tp_buf_printf(&b, "warmup_steps: %lld\n", pl->warmup_steps);
    if (f->n_eval && pl->eval_steps > 0)
        tp_buf_printf(&b, "eval_steps: %lld\n", pl->eval_steps);
    return hf_write_text(o->out_dir, "sft.yml", &b, err);
}

TpStatus hf_write_torchtune(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                            TpError *err) {
    const TrainConfig *t = &f->opt.train;
    const TtModel *m = hf_tt_model(&f->cfg);
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "# torchtune lora_finetune_distributed configuration written by tunepilot "
                  "%s from pilot run %lld.\n# Keys as in %s.\n"
                  "# torchtune is no longer actively developed (pytorch/torchtune#2883).\n",
                  TP_VERSION, (long long)pl->run_id, HANDOFF_TORCHTUNE_VERSION);
    tp_buf_puts(&b, "output_dir: ./out\n");
    tp_buf_printf(&b, "tokenizer:\n  _component_: %s\n  path: model/%s\n  max_seq_len: %d\n",
                  m->tokenizer, m->tok_path, t->seq);
    const char *attn[4];
    int na = 0;
    static const char *const tt_attn[4] = {"q_proj", "k_proj", "v_proj", "output_proj"};
    for (int i = 0; i < 4; i++)
        if (t->targets & (1u << i))
            attn[na++] = tt_attn[i];
    unsigned mlp = (1u << LLAMA_GATE) | (1u << LLAMA_UP) | (1u << LLAMA_DOWN);
    tp_buf_printf(&b, "model:\n  _component_: %s\n  lora_attn_modules: ",
                  t->method == TRAIN_QLORA ? m->qlora : m->lora);
    ylist(&b, attn, na);
    tp_buf_printf(&b,
                  "\n  apply_lora_to_mlp: %s\n  apply_lora_to_output: false\n"
                  "  lora_rank: %d\n  lora_alpha: %g\n  lora_dropout: %g\n",
                  (t->targets & mlp) ? "true" : "false", t->rank, t->alpha, t->dropout);
    tp_buf_printf(&b,
                  "checkpointer:\n  _component_: torchtune.training.FullModelHFCheckpointer\n"
                  "  checkpoint_dir: model\n  checkpoint_files: [\"model.safetensors\"]\n"
                  "  recipe_checkpoint: null\n  output_dir: ${output_dir}\n"
                  "  model_type: %s\nresume_from_checkpoint: false\n"
                  "save_adapter_weights_only: true\n",
                  m->ckpt_type);
    const char *comp = f->format == DATASET_ALPACA ? "torchtune.datasets.alpaca_dataset"
                                                   : "torchtune.datasets.chat_dataset";
    for (int pass = 0; pass < 2; pass++) {
        if (pass && !f->n_eval)
            break;
        tp_buf_printf(&b,
                      "%s:\n  _component_: %s\n  source: json\n  data_files: data/%s\n"
                      "  split: train\n",
                      pass ? "dataset_val" : "dataset", comp, pass ? "test.jsonl" : "train.jsonl");
        if (f->format == DATASET_ALPACA)
            tp_buf_puts(&b, "  train_on_input: false\n");
        else
            tp_buf_puts(&b, "  conversation_column: messages\n  conversation_style: openai\n"
                            "  train_on_input: false\n");
        if (!pass)
            tp_buf_puts(&b, "  packed: false\n");
    }
    tp_buf_printf(&b,
                  "seed: %llu\nshuffle: true\nbatch_size: %d\n"
                  "optimizer:\n  _component_: torch.optim.AdamW\n  fused: true\n"
                  "  weight_decay: %g\n  lr: %g\n"
                  "lr_scheduler:\n  _component_: "
                  "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n"
                  "  num_warmup_steps: %lld\n"
                  "loss:\n  _component_: torchtune.modules.loss.LinearCrossEntropyLoss\n"
                  "epochs: %d\ngradient_accumulation_steps: %d\n"
                  "clip_grad_norm: %g\ncompile: false\n"
                  "metric_logger:\n  _component_: torchtune.training.metric_logging.DiskLogger\n"
                  "  log_dir: ${output_dir}/logs\nlog_every_n_steps: 1\ndevice: cuda\n"
                  "dtype: bf16\nenable_activation_checkpointing: false\n",
                  (unsigned long long)t->seed, pl->micro_batch, t->weight_decay, t->lr,
                  pl->warmup_steps, pl->epochs < 1 ? 1 : (int)pl->epochs, pl->grad_accum,
                  t->max_grad_norm);
    if (pl->epochs < 1) /* a fraction of one epoch: stop after the planned updates */
        tp_buf_printf(&b, "max_steps_per_epoch: %lld\n", pl->updates);
    else
        tp_buf_puts(&b, "max_steps_per_epoch: null\n");
    if (f->n_eval && pl->eval_steps > 0)
        tp_buf_printf(&b, "run_val_every_n_steps: %lld\n", pl->eval_steps);
    return hf_write_text(o->out_dir, "torchtune.yml", &b, err);
}

TpStatus hf_write_accelerate(const HandoffOptions *o, const HandoffPlan *pl, TpError *err) {
    TpBuf b;
    tp_buf_init(&b);
    int total = pl->gpus_per_node * pl->nodes;
    tp_buf_printf(&b,
                  "# accelerate launch --config_file accelerate.yml (written by tunepilot)\n"
                  "compute_environment: LOCAL_MACHINE\ndistributed_type: %s\n"
                  "mixed_precision: bf16\nnum_machines: %d\nnum_processes: %d\n"
                  "machine_rank: 0\nmain_training_function: main\nrdzv_backend: static\n"
                  "same_network: true\nuse_cpu: false\ngpu_ids: all\n",
                  pl->deepspeed ? "DEEPSPEED"
                  : total > 1   ? "MULTI_GPU"
                                : "NO",
                  pl->nodes, total);
    if (pl->deepspeed)
        tp_buf_puts(&b, "deepspeed_config:\n  deepspeed_config_file: deepspeed.json\n"
                        "  zero3_init_flag: false\n");
    TpStatus st = hf_write_text(o->out_dir, "accelerate.yml", &b, err);
    if (st != TP_OK || !pl->deepspeed)
        return st;
    bool z3 = !strcmp(pl->deepspeed, "zero3");
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "{\n  \"zero_optimization\": {\n    \"stage\": %d,\n"
                  "    \"overlap_comm\": true,\n    \"contiguous_gradients\": true%s\n  },\n"
                  "  \"bf16\": {\"enabled\": \"auto\"},\n"
                  "  \"gradient_accumulation_steps\": \"auto\",\n"
                  "  \"gradient_clipping\": \"auto\",\n"
                  "  \"train_batch_size\": \"auto\",\n"
                  "  \"train_micro_batch_size_per_gpu\": \"auto\"\n}\n",
                  z3 ? 3 : 2,
                  z3 ? ",\n    \"stage3_gather_16bit_weights_on_model_save\": true" : "");
    return hf_write_text(o->out_dir, "deepspeed.json", &b, err);
}

void hf_launch_command(const HandoffOptions *o, HandoffPlan *pl) {
    int total = pl->gpus_per_node * pl->nodes;
    const char *multi = pl->nodes > 1 ? " --num_machines \"$NUM_NODES\" --machine_rank "
                                        "\"$NODE_RANK\" --main_process_ip \"$MASTER_ADDR\""
                                      : "";
    switch (o->engine) {
    case HANDOFF_AXOLOTL:
        snprintf(pl->launch, sizeof pl->launch,
                 "axolotl train config.yml --launcher accelerate -- --config_file "
                 "accelerate.yml --num_processes %d%s",
                 total, multi);
        break;
    case HANDOFF_TRL:
        snprintf(pl->launch, sizeof pl->launch,
                 "accelerate launch --config_file accelerate.yml --num_processes %d%s "
                 "-m trl.cli sft --config sft.yml",
                 total, multi);
        break;
    case HANDOFF_TORCHTUNE:
        snprintf(pl->launch, sizeof pl->launch,
                 "tune run --nproc_per_node %d%s lora_finetune_distributed --config "
                 "torchtune.yml",
                 pl->gpus_per_node,
                 pl->nodes > 1 ? " --nnodes \"$NUM_NODES\" --node_rank \"$NODE_RANK\" "
                                 "--master_addr \"$MASTER_ADDR\""
                               : "");
        break;
    }
}

static const char *setup_packages(HandoffEngine e) {
    return e == HANDOFF_AXOLOTL ? "pip install \"axolotl[deepspeed]==0.18.0\""
           : e == HANDOFF_TRL ? "pip install \"trl==1.9.0\" peft bitsandbytes accelerate deepspeed"
                              : "pip install \"torchtune==0.7.0\" torchao";
}

TpStatus hf_write_run_sh(const HandoffOptions *o, const HandoffPlan *pl, TpError *err) {
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "#!/usr/bin/env bash\n"
                  "# The full run of pilot %lld with %s on %d x %s%s (written by tunepilot).\n"
                  "# On a multi-node cluster set NUM_NODES, NODE_RANK and MASTER_ADDR (sky.yml "
                  "does).\n"
                  "# Where tunepilot is installed, record the run and its curves in its "
                  "database:\n"
                  "#   tunepilot pilot --backend command --name \"hand-off of run %lld\" -- "
                  "./run.sh\n"
                  "# then compare it with the projection: tunepilot runs show ID\n"
                  "set -euo pipefail\ncd \"$(dirname \"$0\")\"\n%s\n",
                  (long long)pl->run_id, handoff_engine_name(o->engine), pl->gpus_per_node,
                  pl->gpu_name, pl->nodes > 1 ? " per node" : "", (long long)pl->run_id,
                  pl->launch);
    TpStatus st = hf_write_text(o->out_dir, "run.sh", &b, err);
    if (st == TP_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/run.sh", o->out_dir);
        chmod(path, 0755);
    }
    return st;
}

TpStatus hf_write_sky(const HandoffOptions *o, const HandoffPlan *pl, TpError *err) {
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b,
                  "# SkyPilot task (%s), written by tunepilot from pilot run %lld.\n"
                  "# Projected: %.3g GPU-hours, %.3g h on %d GPU%s, $%.2f at $%.2f a GPU-hour "
                  "(%s, %s, as of %s).\n",
                  HANDOFF_SKYPILOT_VERSION, (long long)pl->run_id, pl->gpu_hours, pl->wall_hours,
                  pl->gpus_per_node * pl->nodes, pl->gpus_per_node * pl->nodes == 1 ? "" : "s",
                  pl->usd, pl->usd_per_gpu_hour, pl->cloud, pl->rate_source, pl->rate_as_of);
    tp_buf_printf(&b, "name: tunepilot-handoff-%lld\nworkdir: .\nnum_nodes: %d\n",
                  (long long)pl->run_id, pl->nodes);
    double hourly = pl->usd_per_gpu_hour * pl->gpus_per_node;
    tp_buf_printf(&b,
                  "resources:\n  accelerators: \"%s:%d\"\n  use_spot: %s\n  disk_size: 256\n"
                  "  max_hourly_cost: %.2f\n",
                  pl->sky_accelerator, pl->gpus_per_node, o->spot ? "true" : "false",
                  ceil(hourly * 1.5 * 100) / 100);
    tp_buf_printf(&b,
                  "envs:\n  TUNEPILOT_PROJECTED_USD: \"%.2f\"\n  TUNEPILOT_PROJECTED_HOURS: "
                  "\"%.3f\"\n",
                  pl->usd, pl->wall_hours);
    tp_buf_printf(&b, "setup: |\n  %s\n", setup_packages(o->engine));
    tp_buf_puts(&b, "run: |\n  export NUM_NODES=\"$SKYPILOT_NUM_NODES\"\n"
                    "  export NODE_RANK=\"$SKYPILOT_NODE_RANK\"\n"
                    "  export MASTER_ADDR=\"$(echo \"$SKYPILOT_NODE_IPS\" | head -n1)\"\n"
                    "  ./run.sh\n");
    return hf_write_text(o->out_dir, "sky.yml", &b, err);
}

TpStatus hf_write_plan_json(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                            TpError *err) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tunepilot", TP_VERSION);
    cJSON_AddNumberToObject(j, "pilot_run", (double)pl->run_id);
    cJSON_AddStringToObject(j, "engine", handoff_engine_name(o->engine));
    cJSON_AddStringToObject(j, "model", pl->model_ref);
    cJSON_AddStringToObject(j, "method", train_method_name(f->opt.train.method));
    cJSON_AddStringToObject(j, "gpu", pl->gpu_id);
    cJSON_AddNumberToObject(j, "gpus_per_node", pl->gpus_per_node);
    cJSON_AddNumberToObject(j, "nodes", pl->nodes);
    cJSON_AddNumberToObject(j, "micro_batch", pl->micro_batch);
    cJSON_AddNumberToObject(j, "grad_accum", pl->grad_accum);
    cJSON_AddNumberToObject(j, "effective_batch", pl->effective_batch);
    cJSON_AddNumberToObject(j, "epochs", pl->epochs);
    cJSON_AddNumberToObject(j, "updates", (double)pl->updates);
    cJSON_AddNumberToObject(j, "projected_gpu_hours", pl->gpu_hours);
    cJSON_AddNumberToObject(j, "projected_hours", pl->wall_hours);
    cJSON_AddNumberToObject(j, "usd_per_gpu_hour", pl->usd_per_gpu_hour);
    cJSON_AddNumberToObject(j, "projected_usd", pl->usd);
    cJSON_AddStringToObject(j, "rate_source", pl->rate_source);
    cJSON_AddStringToObject(j, "rate_as_of", pl->rate_as_of);
    cJSON_AddStringToObject(j, "launch", pl->launch);
    char *t = cJSON_Print(j);
    cJSON_Delete(j);
    TpBuf b;
    tp_buf_init(&b);
    if (t)
        tp_buf_puts(&b, t);
    tp_buf_puts(&b, "\n");
    free(t);
    return hf_write_text(o->out_dir, "handoff.json", &b, err);
}

TpStatus hf_write_readme(const PilotFacts *f, const HandoffOptions *o, const HandoffPlan *pl,
                         bool model_copied, TpError *err) {
    const TrainConfig *t = &f->opt.train;
    const char *eng = handoff_engine_name(o->engine);
    int total = pl->gpus_per_node * pl->nodes;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b, "# Full run of pilot %lld with %s\n\n", (long long)pl->run_id, eng);
    tp_buf_printf(&b,
                  "Written by tunepilot %s from pilot run %lld (%s, %s on `%s`, data `%s`).\n\n",
                  TP_VERSION, (long long)pl->run_id, train_method_name(t->method),
                  f->cfg.architecture, pl->model_ref, f->opt.data_path);
    tp_buf_puts(&b, "## What to run\n\n");
    if (o->skypilot)
        tp_buf_printf(&b,
                      "No GPUs of your own: `sky launch -c tp-%lld sky.yml` (SkyPilot provisions "
                      "%d x %s%s, installs %s and runs `./run.sh`; `sky down tp-%lld` when it "
                      "ends).\n\nOn GPUs you have:\n\n",
                      (long long)pl->run_id, pl->gpus_per_node, pl->sky_accelerator,
                      pl->nodes > 1 ? " on each node" : "", eng, (long long)pl->run_id);
    tp_buf_printf(&b, "```sh\n%s\n./run.sh\n```\n\n", setup_packages(o->engine));
    tp_buf_printf(&b, "`run.sh` runs: `%s`\n\n", pl->launch);
    tp_buf_printf(&b,
                  "To record the run's curves in tunepilot's database and compare it with this "
                  "projection, run it through tunepilot on the GPU machine:\n\n```sh\n"
                  "tunepilot pilot --backend command --name \"hand-off of run %lld\" -- "
                  "./run.sh\ntunepilot runs show ID   # real hours and dollars against the "
                  "projection below\n```\n\n",
                  (long long)pl->run_id);
    tp_buf_puts(&b, "## What it will cost\n\n| | |\n|---|---|\n");
    tp_buf_printf(&b, "| GPU | %d x %s (%.0f GB each)%s |\n", pl->gpus_per_node, pl->gpu_name,
                  pl->gpu_memory_gb, pl->nodes > 1 ? " per node" : "");
    if (pl->nodes > 1)
        tp_buf_printf(&b, "| nodes | %d |\n", pl->nodes);
    tp_buf_printf(&b, "| training memory a GPU (estimate) | %.1f GB |\n", pl->need_memory_gb);
    char gh[32], wh[32];
    handoff_fmt_hours(pl->gpu_hours, gh, sizeof gh);
    handoff_fmt_hours(pl->wall_hours, wh, sizeof wh);
    tp_buf_printf(&b, "| GPU time | %s (%.4g GPU-hours) |\n| wall time | %s |\n", gh, pl->gpu_hours,
                  wh);
    tp_buf_printf(&b, "| rate | $%.2f a GPU-hour (%s; %s, as of %s) |\n", pl->usd_per_gpu_hour,
                  pl->cloud, pl->rate_source, pl->rate_as_of);
    if (pl->usd < 0.01)
        tp_buf_puts(&b, "| projected cost | **under $0.01** |\n\n");
    else
        tp_buf_printf(&b, "| projected cost | **$%.2f** |\n\n", pl->usd);
    tp_buf_printf(&b,
                  "GPU-hours come from the pilot: its training tokens x epochs x FLOPs a token "
                  "(measured on the pilot's model), at each GPU's dense bf16 peak x the "
                  "`gpu_training_mfu` rule of the price tables, and ideal data-parallel scaling "
                  "across GPUs. The GPU is the cheapest whose memory holds the training state "
                  "(frozen weights, 16 bytes a trainable weight, one micro-batch of activations, "
                  "1.5 GB of CUDA overhead: an over-estimate).\n\n");
    tp_buf_puts(&b, "## Settings, translated from the pilot\n\n| pilot | here |\n|---|---|\n");
    tp_buf_printf(&b, "| method %s | %s |\n", train_method_name(t->method),
                  t->method == TRAIN_QLORA
                      ? "4-bit NF4, double quantization, bf16 compute (bitsandbytes)"
                  : t->method == TRAIN_LORA ? "LoRA on a bf16 base"
                                            : "every weight, bf16 mixed precision");
    if (t->method != TRAIN_FULL)
        tp_buf_printf(&b, "| rank %d, alpha %g, dropout %g%s | same |\n", t->rank, t->alpha,
                      t->dropout, t->rslora ? ", rsLoRA" : "");
    tp_buf_printf(&b,
                  "| lr %g, warmup %lld of %lld updates, cosine | lr %g, warmup ratio %.4f "
                  "(%lld of %lld updates), cosine |\n",
                  t->lr, t->warmup, (long long)f->run.total_steps, t->lr, pl->warmup_ratio,
                  pl->warmup_steps, pl->updates);
    tp_buf_printf(&b,
                  "| batch %d x grad-accum %d = %d | %d a GPU x %d GPUs x grad-accum %d = %d "
                  "|\n",
                  t->batch, t->grad_accum, pl->pilot_effective_batch, pl->micro_batch, total,
                  pl->grad_accum, pl->effective_batch);
    tp_buf_printf(&b, "| sequence %d, seed %llu | same |\n", t->seq, (unsigned long long)t->seed);
    tp_buf_printf(&b,
                  "| %lld training, %lld held-out examples (split %g, seed %llu) | "
                  "data/train.jsonl, data/test.jsonl: the same examples |\n",
                  (long long)f->n_train, (long long)f->n_eval, t->eval_split,
                  (unsigned long long)t->seed);
    tp_buf_printf(&b, "| epochs | %g |\n", pl->epochs);
    tp_buf_printf(&b, "| chat template %s | %s |\n\n", f->template_name[0] ? f->template_name : "-",
                  hf_default_template(f) ? (o->engine == HANDOFF_AXOLOTL
                                                ? "the same text in Jinja (chat_template_jinja)"
                                                : "the same text in Jinja (chat_template.jinja)")
                                         : "the tokenizer's own");
    if (pl->effective_batch != pl->pilot_effective_batch)
        tp_buf_printf(&b,
                      "The effective batch changed from %d to %d (it must be a multiple of the "
                      "GPU count); the learning rate was kept.\n\n",
                      pl->pilot_effective_batch, pl->effective_batch);
    if (pl->deepspeed)
        tp_buf_printf(&b,
                      "DeepSpeed ZeRO stage %s shards the training state across the GPUs "
                      "(deepspeed.json).\n\n",
                      !strcmp(pl->deepspeed, "zero3") ? "3" : "2");
    if (o->warm_start)
        tp_buf_puts(&b, "`adapter/` holds the pilot's PEFT adapter; training starts from it "
                        "(`lora_model_dir`).\n\n");
    if (model_copied)
        tp_buf_puts(&b, "`model/` holds the base model (a local model with no hub id).\n\n");
    else if (pl->model_ref[0] == '/')
        tp_buf_printf(&b,
                      "The base model is a local folder (`%s`): copy it to the GPU machine "
                      "at the same path, or change the model path in the configuration.\n\n",
                      pl->model_ref);
    if (o->engine == HANDOFF_TORCHTUNE)
        tp_buf_puts(&b, "Note: torchtune is no longer actively developed (its maintainers "
                        "wound it down in 2025, pytorch/torchtune#2883).\n\n");
    tp_buf_puts(&b, "## Sources\n\n");
    tp_buf_printf(&b, "- Configuration keys: %s.\n",
                  o->engine == HANDOFF_AXOLOTL ? HANDOFF_AXOLOTL_VERSION
                  : o->engine == HANDOFF_TRL   ? HANDOFF_TRL_VERSION
                                               : HANDOFF_TORCHTUNE_VERSION);
    if (o->engine != HANDOFF_TORCHTUNE)
        tp_buf_puts(&b, "- Launcher: Hugging Face Accelerate `accelerate launch --config_file` "
                        "(compute_environment, distributed_type, num_processes, num_machines, "
                        "mixed_precision, deepspeed_config).\n");
    if (o->skypilot)
        tp_buf_printf(&b,
                      "- Cloud task: %s (resources.accelerators, use_spot, disk_size, "
                      "max_hourly_cost; num_nodes; setup; run).\n",
                      HANDOFF_SKYPILOT_VERSION);
    tp_buf_printf(&b, "- GPU rate: %s (as of %s).\n", pl->rate_source, pl->rate_as_of);
    return hf_write_text(o->out_dir, "README.md", &b, err);
}

/* --- the model reference and the adapter ---------------------------------------------- */

/* "org/name" from a Hugging Face cache path (.../models--org--name/snapshots/REV). */
static bool hub_id_from_cache(const char *dir, char *out, size_t n) {
    const char *m = strstr(dir, "/models--");
    if (!m || !strstr(m, "/snapshots/"))
        return false;
    m += 9;
    const char *end = strchr(m, '/');
    const char *sep = strstr(m, "--");
    if (!end || !sep || sep > end)
        return false;
    snprintf(out, n, "%.*s/%.*s", (int)(sep - m), m, (int)(end - sep - 2), sep + 2);
    return true;
}

/* Copies the regular files of src (not links, FIFOs or devices) named *.json,
 * *.safetensors, *.model, *.txt into dst. */
TpStatus hf_copy_dir_files(const char *src, const char *dst, size_t max_total, size_t *total,
                           bool *too_big, TpError *err) {
    *too_big = false;
    DIR *d = opendir(src);
    if (!d)
        return tp_error_set(err, TP_EIO, "%s: cannot read: %s", src, strerror(errno));
    struct dirent *e;
    TpStatus st = TP_OK;
    while (st == TP_OK && (e = readdir(d))) {
        const char *nm = e->d_name, *dot = strrchr(nm, '.');
        if (nm[0] == '.' || !dot ||
            (strcmp(dot, ".json") && strcmp(dot, ".safetensors") && strcmp(dot, ".model") &&
             strcmp(dot, ".txt")))
            continue;
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", src, nm);
        snprintf(to, sizeof to, "%s/%s", dst, nm);
        struct stat sb;
        if (lstat(from, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue; /* links and special files never travel */
        if (max_total && *total + (size_t)sb.st_size > max_total) {
            *too_big = true;
            break;
        }
        /* tp_file_copy opens with O_NOFOLLOW and checks the type again: a
         * file swapped for a link after the lstat is refused, not followed */
        st = tp_mkdirs_for_file(to, err);
        if (st == TP_OK)
            st = tp_file_copy(from, to, NULL, err);
        *total += (size_t)sb.st_size;
    }
    closedir(d);
    return st;
}

TpStatus hf_model_reference(const PilotFacts *f, const HandoffOptions *o, HandoffPlan *pl,
                            bool *copied, TpError *err) {
    *copied = false;
    if (hub_id_from_cache(f->opt.model_dir, pl->model_ref, sizeof pl->model_ref))
        return TP_OK;
    /* a small local model travels in the bundle; a large one is named by its path */
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/model", o->out_dir);
    size_t total = 0;
    bool too_big = false;
    TpStatus st = hf_copy_dir_files(f->opt.model_dir, dst, MODEL_COPY_MAX, &total, &too_big, err);
    if (st != TP_OK)
        return st;
    if (!too_big) {
        *copied = true;
        snprintf(pl->model_ref, sizeof pl->model_ref, "./model");
        return TP_OK;
    }
    snprintf(pl->model_ref, sizeof pl->model_ref, "%s", f->opt.model_dir);
    return TP_OK;
}

void handoff_fmt_hours(double h, char *out, size_t n) {
    double sec = h * 3600;
    if (!isfinite(sec))
        snprintf(out, n, "n/a");
    else if (sec < 1)
        snprintf(out, n, "under 1 s");
    else if (sec < 120)
        snprintf(out, n, "%.0f s", sec);
    else if (sec < 7200)
        snprintf(out, n, "%.1f min", sec / 60);
    else if (h < 72)
        snprintf(out, n, "%.1f h", h);
    else
        snprintf(out, n, "%.1f days", h / 24);
}
