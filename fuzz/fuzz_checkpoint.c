/* Fuzz target: a pilot's checkpoint (RUN/checkpoint.safetensors), read by
 * trainer_resume when a run resumes: its metadata (step, adam_t, epoch, pos,
 * method, n_params, rng0..rng3) and its three tensors. At start a LoRA
 * trainer is opened once on a tiny random 2-layer model over the byte-level
 * fixture tokenizer and a 16-example dataset, and one update writes a valid
 * checkpoint whose tensors are kept. Then each input is either
 *   first byte even: metadata lines "key=value" that replace or add to the
 *     valid checkpoint's metadata (structure-aware: the fuzzer edits the
 *     numbers), written with the valid tensors, or
 *   first byte odd: the raw bytes of the checkpoint file;
 * the trainer resumes from it and, when it accepted it, trains one update
 * from that position (the resumed step, epoch and position must not take
 * it out of its data). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tunepilot/llama.h"
#include "tunepilot/safetensors.h"
#include "tunepilot/trainer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Trainer *trainer;
static char run_dir[1100], ckpt[1200];
static float *tensors[3];
static int64_t n_params;
enum { N_KEYS = 10, MAX_META = 24 };
static const char *const meta_keys[N_KEYS] = {"step", "adam_t", "epoch", "pos",  "method",
                                              "n_params", "rng0", "rng1", "rng2", "rng3"};
static char meta_vals[N_KEYS][64];

static void die(const char *what, const TpError *err) {
    fprintf(stderr, "fuzz_checkpoint: %s: %s\n", what, err->msg);
    abort();
}

static void setup(void) {
    char model_dir[1100], data_path[1100];
    snprintf(model_dir, sizeof model_dir, "%s/model", fuzz_scratch());
    snprintf(run_dir, sizeof run_dir, "%s/run", fuzz_scratch());
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run_dir);
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 16;
    c.intermediate = 32;
    c.n_layers = 2;
    c.n_heads = 2;
    c.n_kv_heads = 1;
    c.head_dim = 8;
    c.vocab = 268;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.bos_id = 256;
    c.eos_ids[0] = 257;
    c.n_eos = 1;
    LlamaModel m;
    TpError err;
    if (llama_model_init(&m, &c, &err) != TP_OK)
        die("model", &err);
    llama_model_randomize(&m, 3, 0.05f);
    if (llama_model_save(&m, model_dir, &err) != TP_OK)
        die("model", &err);
    llama_model_free(&m);
    fuzz_put_fixture("model/tokenizer.json", "tests/fixtures/data/bytes_tokenizer.json");
    static const char tc[] = "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": true}";
    fuzz_put("model/tokenizer_config.json", tc, sizeof tc - 1);
    char text[4096] = "";
    for (int i = 0; i < 16; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used,
                 "{\"prompt\": \"Size of %d:\", \"completion\": \" %s\"}\n", i,
                 i % 3 ? "small" : "big");
    }
    snprintf(data_path, sizeof data_path, "%s", fuzz_put("data.jsonl", text, strlen(text)));
    TrainConfig tcfg;
    train_config_defaults(&tcfg);
    tcfg.method = TRAIN_LORA;
    tcfg.steps = 3;
    tcfg.rank = 2;
    tcfg.alpha = 4;
    tcfg.batch = 2;
    tcfg.seq = 16;
    tcfg.eval_every = 0;
    tcfg.checkpoint_every = 1;
    tcfg.eval_examples = 0;
    tcfg.eval_split = 0;
    tcfg.threads = 1;
    if (trainer_open(model_dir, data_path, &tcfg, run_dir, &trainer, &err) != TP_OK)
        die("trainer_open", &err);
    /* one update writes a valid checkpoint; keep its tensors */
    volatile sig_atomic_t stop = 0;
    bool finished;
    TrainSink sink = {0};
    /* stop after the first update (the sink-less loop checks stop each update) */
    stop = 0;
    if (trainer_run(trainer, &sink, &stop, &finished, &err) != TP_OK)
        die("trainer_run", &err);
    SafetensorsFile *f;
    if (safetensors_open(ckpt, &f, &err) != TP_OK)
        die("checkpoint", &err);
    static const char *const names[3] = {"params", "adam.m", "adam.v"};
    for (int i = 0; i < 3; i++) {
        const SafetensorsTensor *t = safetensors_find(f, names[i]);
        if (!t)
            abort();
        n_params = t->n_elements;
        tensors[i] = malloc(t->nbytes);
        memcpy(tensors[i], t->data, t->nbytes);
    }
    for (int i = 0; i < N_KEYS; i++) {
        const char *v = safetensors_metadata(f, meta_keys[i]);
        snprintf(meta_vals[i], sizeof meta_vals[i], "%s", v ? v : "");
    }
    safetensors_close(f);
}

/* Metadata lines "key=value" over the valid metadata -> a checkpoint with
 * the valid tensors. */
static bool write_structured(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *keys[MAX_META], *vals[MAX_META];
    int n = 0;
    for (; n < N_KEYS; n++) {
        keys[n] = meta_keys[n];
        vals[n] = meta_vals[n];
    }
    for (char *line = strtok(text, "\n"); line && n < MAX_META; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        int k = 0;
        while (k < n && strcmp(keys[k], line))
            k++;
        if (k == n)
            n++;
        keys[k] = line;
        vals[k] = eq + 1;
    }
    int64_t shape[1] = {n_params};
    SafetensorsWriteTensor ts[3] = {{"params", SAFETENSORS_F32, 1, shape, tensors[0]},
                                    {"adam.m", SAFETENSORS_F32, 1, shape, tensors[1]},
                                    {"adam.v", SAFETENSORS_F32, 1, shape, tensors[2]}};
    TpError err;
    bool ok = safetensors_write(ckpt, ts, 3, keys, vals, n, &err) == TP_OK;
    free(text);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!trainer)
        setup();
    if (size < 1)
        return 0;
    bool raw = data[0] & 1;
    data++;
    size--;
    if (raw) {
        fuzz_put("run/checkpoint.safetensors", data, size);
    } else if (!write_structured(data, size)) {
        return 0;
    }
    bool resumed = false, finished = false;
    TpError err;
    if (trainer_resume(trainer, &resumed, &err) != TP_OK || !resumed)
        return 0;
    volatile sig_atomic_t stop = 0;
    TrainSink sink = {0};
    (void)trainer_run(trainer, &sink, &stop, &finished, &err);
    return 0;
}
