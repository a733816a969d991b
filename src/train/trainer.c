/* trainer.c - the training loop (see trainer.h). */
#include "tunepilot/trainer.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/blas.h"
#include "tunepilot/catalog.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/optim.h"
#include "tunepilot/paths.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"
#include "tunepilot/safetensors.h"
#include "tunepilot/tokenizer.h"

struct Trainer {
    TrainConfig cfg;
    char model_dir[4096], run_dir[4096];
    LlamaModel model;
    Tokenizer *tok;
    Dataset data;
    Lora lora;
    bool has_lora;
    AdamW opt;
    float *params, *grads; /* what AdamW updates: the adapters, or every weight */
    size_t n_params;
    long long step, total_steps;
    long long epoch, pos; /* data position: next example of the epoch's order */
    int *order;           /* the epoch's shuffled order of training examples */
    long long order_epoch;
    int *ids, *labels; /* a padded micro-batch [batch * seq] */
    double run_tokens, run_seconds;
};

const char *train_method_name(TrainMethod m) {
    return m == TRAIN_FULL ? "full" : m == TRAIN_LORA ? "lora" : "qlora";
}

bool train_method_parse(const char *s, TrainMethod *m) {
    if (!strcmp(s, "qlora"))
        *m = TRAIN_QLORA;
    else if (!strcmp(s, "lora"))
        *m = TRAIN_LORA;
    else if (!strcmp(s, "full"))
        *m = TRAIN_FULL;
    else
        return false;
    return true;
}

void train_config_defaults(TrainConfig *c) {
    memset(c, 0, sizeof *c);
    c->method = TRAIN_QLORA;
    c->rank = 16;
    c->alpha = 32;
    c->dropout = 0.05;
    c->targets = LORA_ALL_TARGETS;
    c->lr = 2e-4;
    c->weight_decay = 0;
    c->max_grad_norm = 1.0;
    c->warmup = -1; /* 3% of the updates */
    c->epochs = 1;
    c->batch = 4;
    c->grad_accum = 1;
    c->seq = 256;
    c->eval_every = 50;
    c->checkpoint_every = 50;
    c->eval_split = 0.1;
    c->seed = 1;
    c->eval_examples = 32;
    c->compute_dtype = NF4_COMPUTE_AUTO;
}

Nf4Compute train_compute_dtype(const TrainConfig *c) {
    return c->method == TRAIN_QLORA ? nf4_compute_resolve(c->compute_dtype) : NF4_COMPUTE_FP32;
}

void trainer_settings(const Trainer *t, TrainConfig *out) {
    *out = t->cfg;
}

void train_describe_compute(const TrainConfig *c, char *out, size_t size) {
    char blas[200];
    tp_blas_describe(blas, sizeof blas);
    bool bf16 = train_compute_dtype(c) == NF4_COMPUTE_BF16;
    snprintf(out, size, "%s; %s", blas,
             bf16 ? "NF4 products and the frozen head in bf16 (AVX512_BF16), adapters and loss fp32"
                  : "fp32");
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double rss_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return NAN;
    int got = fscanf(f, "%ld %ld", &pages, &resident);
    fclose(f);
    return got == 2 ? resident * (double)sysconf(_SC_PAGESIZE) / 1e6 : NAN;
}

void train_sink_emit(const TrainSink *s, const char *level, const char *fmt, ...) {
    if (!s || !s->event)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->event(s->ctx, level, msg);
}

/* --- opening --------------------------------------------------------------------- */

static TpStatus on_linear(void *ctx, int layer, LlamaLinear which, const float *w, int rows,
                          int cols, TpError *err) {
    Nf4Tensor q;
    TpStatus st = nf4_quantize(w, rows, cols, &q, err);
    if (st == TP_OK)
        lora_take_nf4(ctx, layer, which, &q);
    return st;
}

static TpStatus check_config(const TrainConfig *c, TpError *err) {
    /* the bounds every face checks typed settings with (train_setting_check) */
    const struct {
        TrainSetting s;
        double v;
    } typed[] = {
        {TRAIN_SETTING_RANK, c->rank},
        {TRAIN_SETTING_LR, c->lr},
        {TRAIN_SETTING_BATCH, c->batch},
        {TRAIN_SETTING_SEQ, c->seq},
        {TRAIN_SETTING_GRAD_ACCUM, c->grad_accum},
        {TRAIN_SETTING_STEPS, c->steps > 0 ? (double)c->steps : 1}, /* 0: from epochs */
    };
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        TpStatus st = train_setting_check(typed[i].s, typed[i].v, err);
        if (st != TP_OK)
            return st;
    }
    if (c->steps <= 0 && !(c->epochs > 0))
        return tp_error_set(err, TP_EINVAL, "--epochs: expected a positive number");
    if (!(c->eval_split >= 0 && c->eval_split < 1))
        return tp_error_set(err, TP_EINVAL, "--eval-split: expected a fraction in [0, 1)");
    if (c->init_adapter[0] && c->method == TRAIN_FULL)
        return tp_error_set(err, TP_EINVAL,
                            "--init-adapter %s: a LoRA adapter cannot start a full fine-tune "
                            "(use --method lora or qlora)",
                            c->init_adapter);
    if (c->method == TRAIN_QLORA && c->compute_dtype == NF4_COMPUTE_BF16 && !nf4_bf16_available())
        return tp_error_set(err, TP_EINVAL,
                            "--compute-dtype bf16: this CPU has no AVX512_BF16 (cpuid), or "
                            "TP_NO_BF16 is set; use fp32 or auto");
    return TP_OK;
}

TpStatus trainer_open(const char *model_dir, const char *data_path, const TrainConfig *c,
                      const char *run_dir, Trainer **out, TpError *err) {
    *out = NULL;
    TpStatus st = check_config(c, err);
    if (st != TP_OK)
        return st;
    Trainer *t = tp_xcalloc(1, sizeof *t);
    t->cfg = *c;
    snprintf(t->model_dir, sizeof t->model_dir, "%s", model_dir);
    snprintf(t->run_dir, sizeof t->run_dir, "%s", run_dir);
    tp_pool_set_threads(c->threads); /* 0: the default (pool.h) */
    st = tokenizer_load(model_dir, &t->tok, err);
    DatasetOptions dopt = {c->seq, c->eval_split, c->seed, 0};
    if (st == TP_OK)
        st = dataset_load(data_path, t->tok, &dopt, &t->data, err);
    LlamaConfig mc;
    if (st == TP_OK)
        st = llama_config_load(model_dir, &mc, err);
    if (st == TP_OK) /* the weights agree with config.json before LoRA is sized from it */
        st = llama_checkpoint_check(model_dir, &mc, err);
    if (st == TP_OK && c->method != TRAIN_FULL) {
        LoraConfig lc = {c->rank, c->alpha, c->dropout, c->rslora, c->targets};
        st = lora_init(&t->lora, &mc, &lc, c->seed, err);
        t->has_lora = st == TP_OK;
        /* a run with a checkpoint resumes from it (trainer_resume): the
         * starting adapter is not read again, and may be gone by then */
        char ckpt[4200];
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run_dir);
        if (st == TP_OK && c->init_adapter[0] && access(ckpt, F_OK) != 0)
            st = lora_load_peft_into(&t->lora, c->init_adapter, err);
    }
    if (st == TP_OK) {
        if (c->method == TRAIN_QLORA)
            st = llama_model_load_ex(model_dir, &t->model, on_linear, &t->lora, err);
        else
            st = llama_model_load(model_dir, &t->model, err);
    }
    if (st != TP_OK) {
        trainer_close(t);
        return st;
    }
    train_recompute_resolve(&mc, &t->cfg);
    t->cfg.compute_dtype = train_compute_dtype(c);
    llama_set_recompute_layers(&t->model, t->cfg.recompute_blocks);
    t->lora.compute = t->cfg.compute_dtype;
    /* QLoRA's head is frozen: its products in bf16 too (fp32 when the
     * packed copy cannot be had: same results as --compute-dtype fp32 there) */
    if (t->cfg.compute_dtype == NF4_COMPUTE_BF16) {
        llama_set_head_bf16(&t->model, true);
        llama_set_act_bf16(&t->model, true);
    }
    if (t->has_lora) {
        lora_attach(&t->lora, &t->model);
        t->params = t->lora.params;
        t->grads = t->lora.grads;
        t->n_params = t->lora.n_params;
    } else {
        llama_grads_enable(&t->model);
        t->params = t->model.params;
        t->grads = t->model.grads;
        t->n_params = t->model.n_params;
    }
    adamw_init(&t->opt, t->n_params, c->weight_decay);
    long long per_update = (long long)c->batch * c->grad_accum;
    t->total_steps =
        c->steps > 0 ? c->steps : (long long)ceil(c->epochs * t->data.n_train / per_update);
    if (t->total_steps < 1)
        t->total_steps = 1;
    if (t->cfg.warmup < 0)
        t->cfg.warmup = (long long)ceil(0.03 * t->total_steps);
    t->ids = tp_xmalloc(sizeof(int) * (size_t)c->batch * c->seq);
    t->labels = tp_xmalloc(sizeof(int) * (size_t)c->batch * c->seq);
    t->order = tp_xmalloc(sizeof(int) * (size_t)(t->data.n_train ? t->data.n_train : 1));
    t->order_epoch = -1;
    *out = t;
    return TP_OK;
}

void trainer_set_run_dir(Trainer *t, const char *run_dir) {
    snprintf(t->run_dir, sizeof t->run_dir, "%s", run_dir);
}

void trainer_close(Trainer *t) {
    if (!t)
        return;
    adamw_free(&t->opt);
    if (t->has_lora)
        lora_free(&t->lora);
    llama_model_free(&t->model);
    dataset_free(&t->data);
    tokenizer_free(t->tok);
    free(t->ids);
    free(t->labels);
    free(t->order);
    free(t);
}

/* --- data ---------------------------------------------------------------------------- */

/* Seeded Fisher-Yates order of the training examples for an epoch. */
static void epoch_order(Trainer *t, long long epoch) {
    if (t->order_epoch == epoch)
        return;
    int n = t->data.n_train;
    for (int i = 0; i < n; i++)
        t->order[i] = i;
    TpRng r;
    tp_rng_seed(&r, t->cfg.seed * 1000003ULL + (uint64_t)epoch);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(tp_rng_next(&r) % (uint64_t)(i + 1));
        int k = t->order[i];
        t->order[i] = t->order[j];
        t->order[j] = k;
    }
    t->order_epoch = epoch;
}

/* Fills a micro-batch from the data position, padded to the longest member:
 * ids padded with 0 and labels with -100. Returns T; adds real tokens. */
static int next_batch(Trainer *t, long long *tokens) {
    int B = t->cfg.batch, T = 2;
    const DatasetExample *ex[4096];
    for (int b = 0; b < B; b++) {
        if (t->pos >= t->data.n_train) {
            t->epoch++;
            t->pos = 0;
        }
        epoch_order(t, t->epoch);
        ex[b] = &t->data.train[t->order[t->pos++]];
        if (ex[b]->n > T)
            T = ex[b]->n;
    }
    for (int b = 0; b < B; b++) {
        int n = ex[b]->n;
        for (int i = 0; i < T; i++) {
            t->ids[b * T + i] = i < n ? ex[b]->ids[i] : 0;
            t->labels[b * T + i] = i < n ? ex[b]->labels[i] : LLAMA_IGNORE;
        }
        *tokens += n;
    }
    return T;
}

/* --- checkpoints ------------------------------------------------------------------------ */

static void u64_hex(uint64_t v, char *out) {
    snprintf(out, 17, "%016" PRIx64, v);
}

static TpStatus save_checkpoint(Trainer *t, TpError *err) {
    char path[4200], meta[10][64];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->run_dir);
    int64_t shape[1] = {(int64_t)t->n_params};
    SafetensorsWriteTensor ts[3] = {
        {"params", SAFETENSORS_F32, 1, shape, t->params},
        {"adam.m", SAFETENSORS_F32, 1, shape, t->opt.m},
        {"adam.v", SAFETENSORS_F32, 1, shape, t->opt.v},
    };
    const char *keys[10] = {"step",     "adam_t", "epoch", "pos",  "method",
                            "n_params", "rng0",   "rng1",  "rng2", "rng3"};
    snprintf(meta[0], 64, "%lld", t->step);
    snprintf(meta[1], 64, "%lld", t->opt.t);
    snprintf(meta[2], 64, "%lld", t->epoch);
    snprintf(meta[3], 64, "%lld", t->pos);
    snprintf(meta[4], 64, "%s", train_method_name(t->cfg.method));
    snprintf(meta[5], 64, "%zu", t->n_params);
    for (int i = 0; i < 4; i++)
        u64_hex(t->has_lora ? t->lora.rng.s[i] : 0, meta[6 + i]);
    const char *values[10];
    for (int i = 0; i < 10; i++)
        values[i] = meta[i];
    TpStatus st = tp_mkdirs(t->run_dir, err);
    if (st == TP_OK)
        st = safetensors_write(path, ts, 3, keys, values, 10, err);
    return st;
}

static bool meta_ll(const SafetensorsFile *f, const char *key, long long *out) {
    const char *v = safetensors_metadata(f, key);
    char *end;
    if (!v || !*v)
        return false;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return *end == '\0' && errno == 0; /* ERANGE: not a long long */
}

/* Temp files and staging folders that a killed writer left in the run
 * folder (and, from older versions, inside the export folders). */
static TpStatus sweep_run_dir(const Trainer *t, TpError *err) {
    const char *subs[3] = {"", "/adapter", "/model"};
    for (int i = 0; i < 3; i++) {
        char d[4200];
        snprintf(d, sizeof d, "%s%s", t->run_dir, subs[i]);
        TpStatus st = tp_sweep_temps(d, NULL, err);
        if (st != TP_OK)
            return st;
    }
    return TP_OK;
}

TpStatus trainer_resume(Trainer *t, bool *resumed, TpError *err) {
    *resumed = false;
    char path[4200];
    TpStatus sw = sweep_run_dir(t, err);
    if (sw != TP_OK)
        return sw;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->run_dir);
    if (access(path, F_OK) != 0)
        return TP_OK;
    SafetensorsFile *f;
    TpStatus st = safetensors_open(path, &f, err);
    if (st != TP_OK)
        return st;
    long long step = 0, adam_t = 0, epoch = 0, pos = 0, n = 0;
    const char *method = safetensors_metadata(f, "method");
    if (!meta_ll(f, "step", &step) || !meta_ll(f, "adam_t", &adam_t) ||
        !meta_ll(f, "epoch", &epoch) || !meta_ll(f, "pos", &pos) || !meta_ll(f, "n_params", &n) ||
        !method)
        st = tp_error_set(err, TP_EINVAL, "%s: checkpoint metadata incomplete", path);
    else if (step < 0 || adam_t < 0 || adam_t > step || epoch < 0 ||
             (double)epoch > (double)step * t->cfg.batch * t->cfg.grad_accum || pos < 0 ||
             pos > t->data.n_train)
        /* a checkpoint is a file: its numbers are checked before they index the data or
         * count on (an update makes at most one optimizer step and reads batch x
         * grad_accum examples, so it completes at most that many epochs) */
        st = tp_error_set(err, TP_EINVAL,
                          "%s: checkpoint metadata out of range: step %lld, adam_t %lld, epoch "
                          "%lld, pos %lld (expected 0 <= adam_t <= step, 0 <= epoch <= step x "
                          "batch x grad_accum, 0 <= pos <= %d, the training examples)",
                          path, step, adam_t, epoch, pos, t->data.n_train);
    else if (strcmp(method, train_method_name(t->cfg.method)) || (size_t)n != t->n_params)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: checkpoint is for %s with %lld parameters, this run is %s with "
                          "%zu",
                          path, method, n, train_method_name(t->cfg.method), t->n_params);
    const char *names[3] = {"params", "adam.m", "adam.v"};
    float *dst[3] = {t->params, t->opt.m, t->opt.v};
    for (int i = 0; st == TP_OK && i < 3; i++) {
        const SafetensorsTensor *x = safetensors_find(f, names[i]);
        if (!x || x->dtype != SAFETENSORS_F32 || x->n_elements != (int64_t)t->n_params)
            st = tp_error_set(err, TP_EINVAL, "%s: tensor %s missing or of the wrong size", path,
                              names[i]);
        else
            memcpy(dst[i], x->data, x->nbytes);
    }
    for (int i = 0; st == TP_OK && t->has_lora && i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "rng%d", i);
        const char *v = safetensors_metadata(f, key);
        t->lora.rng.s[i] = v ? strtoull(v, NULL, 16) : 0;
    }
    if (st == TP_OK) {
        t->step = step;
        t->opt.t = adam_t;
        t->epoch = epoch;
        t->pos = pos;
        t->order_epoch = -1;
        *resumed = true;
    }
    safetensors_close(f);
    return st;
}

/* --- the loop ----------------------------------------------------------------------------- */

static void zero_grads(Trainer *t) {
    memset(t->grads, 0, sizeof(float) * t->n_params);
}

static void scale_grads(Trainer *t, double f) {
    for (size_t i = 0; i < t->n_params; i++)
        t->grads[i] = (float)(t->grads[i] * f);
}

TpStatus trainer_run(Trainer *t, const TrainSink *sink, volatile sig_atomic_t *stop, bool *finished,
                     TpError *err) {
    *finished = false;
    const TrainConfig *c = &t->cfg;
    if (t->has_lora) {
        t->lora.training = true;
        t->lora.disabled = false;
    }
    double start = now_s();
    while (t->step < t->total_steps) {
        double t0 = now_s();
        double lr = c->lr * lr_cosine_with_warmup(t->step, c->warmup, t->total_steps);
        zero_grads(t);
        long long tokens = 0;
        /* The loss of an update is the mean over ALL its target tokens,
         * whatever the micro-batching (as Hugging Face's Trainer does since
         * 4.46 with num_items_in_batch): micro-batch i has n_i target tokens,
         * mean loss L_i and mean-loss gradient g_i; the update's loss is
         * sum n_i L_i / N and its gradient sum n_i g_i / N, N = sum n_i.
         * llama_backward adds g_i, so before it the buffer, which holds
         * sum_{j<i} n_j g_j / n_last, is rescaled to be over n_i; at the end
         * one rescale by n_last / N. With one micro-batch nothing is scaled. */
        double loss_tok = 0;
        long long n_step = 0, n_last = 0;
        for (int micro = 0; micro < c->grad_accum; micro++) {
            int T = next_batch(t, &tokens);
            float loss;
            int counted;
            /* the head's input gradient comes with the forward; a full
             * fine-tune's head weight gradient is left to the backward, after
             * the rescaling below */
            llama_set_fused_head(&t->model, true, false);
            TpStatus st =
                llama_forward(&t->model, t->ids, t->labels, c->batch, T, &loss, &counted, err);
            llama_set_fused_head(&t->model, false, false);
            if (st == TP_OK && counted > 0) {
                if (n_last > 0)
                    scale_grads(t, (double)n_last / counted);
                st = llama_backward(&t->model, !t->has_lora, err);
                n_last = counted;
                n_step += counted;
                loss_tok += (double)loss * counted;
            }
            if (st != TP_OK)
                return st;
        }
        double loss = n_step > 0 ? loss_tok / (double)n_step : 0;
        if (n_step > n_last)
            scale_grads(t, (double)n_last / (double)n_step);
        double norm = clip_grad_norm(t->grads, t->n_params, c->max_grad_norm);
        if (!isfinite(loss) || !isfinite(norm)) {
            train_sink_emit(sink, "error",
                            "update %lld: the loss is %g and the gradient norm %g; stopped, "
                            "the last checkpoint (update %lld or earlier) is kept",
                            t->step + 1, loss, norm, t->step);
            return tp_error_set(err, TP_ERR,
                                "the loss became %s at update %lld; training stopped and the last "
                                "good checkpoint was kept (try a lower --lr)",
                                isnan(loss) || isnan(norm) ? "NaN" : "infinite", t->step + 1);
        }
        adamw_step(&t->opt, t->params, t->grads, lr);
        t->step++;
        double dt = now_s() - t0;
        t->run_tokens += (double)tokens;
        t->run_seconds += dt;
        TrainStep s = {t->step,  t->total_steps,  loss,  lr, norm, tokens / dt,
                       rss_mb(), now_s() - start, tokens};
        if (sink && sink->step)
            sink->step(sink->ctx, &s);
        bool last = t->step == t->total_steps, stopping = stop && *stop;
        if (c->eval_every > 0 && t->data.n_eval > 0 && !last && t->step % c->eval_every == 0) {
            TrainEval e;
            TpStatus st = trainer_evaluate(t, "eval", &e, NULL, 0, 0, err);
            if (st != TP_OK)
                return st;
            if (sink && sink->eval)
                sink->eval(sink->ctx, &e);
        }
        if ((c->checkpoint_every > 0 && t->step % c->checkpoint_every == 0) || last || stopping) {
            TpStatus st = save_checkpoint(t, err);
            if (st != TP_OK)
                return st;
        }
        if (stopping && !last) {
            train_sink_emit(sink, "info", "stopped after update %lld of %lld; checkpoint written",
                            t->step, t->total_steps);
            return TP_OK;
        }
    }
    *finished = true;
    return TP_OK;
}

/* --- evaluation ------------------------------------------------------------------------------ */

static void trim(const char *s, const char **b, size_t *n) {
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    *b = s;
    *n = len;
}

/* Greedy answer to ex's prompt; returns malloc'ed text. */
static char *greedy_answer(Trainer *t, const DatasetExample *ex, TpError *err) {
    int budget = ex->n - ex->prompt_len + 4, total = ex->prompt_len + budget;
    LlamaKV *kv;
    if (llama_kv_new(&t->model, total, &kv, err) != TP_OK)
        return NULL;
    int V = t->model.cfg.vocab, eos = tokenizer_eos_id(t->tok);
    float *logits = tp_xmalloc(sizeof(float) * (size_t)V);
    int *gen = tp_xmalloc(sizeof(int) * (size_t)budget + 1), ng = 0;
    LlamaSampler greedy = {0, 1, 0};
    uint64_t rng = 0;
    TpStatus st = TP_OK;
    if (ex->prompt_len > 0)
        st = llama_prefill(&t->model, kv, ex->ids, ex->prompt_len, logits, err);
    while (st == TP_OK && ng < budget) {
        int next = llama_sample(logits, V, &greedy, &rng);
        bool stop = next == eos;
        for (int e = 0; e < t->model.cfg.n_eos; e++)
            stop |= next == t->model.cfg.eos_ids[e];
        if (stop || tokenizer_is_special(t->tok, next))
            break;
        gen[ng++] = next;
        if (llama_kv_len(kv) < total)
            st = llama_decode_step(&t->model, kv, next, logits, err);
        else
            break;
    }
    char *text = st == TP_OK ? tokenizer_decode(t->tok, gen, ng, true) : NULL;
    free(gen);
    free(logits);
    llama_kv_free(kv);
    return text;
}

TpStatus trainer_evaluate(Trainer *t, const char *kind, TrainEval *out, char *show,
                          size_t show_size, int n_show, TpError *err) {
    memset(out, 0, sizeof *out);
    out->step = t->step;
    out->kind = kind;
    out->accuracy = NAN;
    out->loss = NAN;
    bool base = !strcmp(kind, "base");
    if (t->has_lora) {
        t->lora.training = false;
        t->lora.disabled = base;
    }
    if (show && show_size)
        show[0] = '\0';
    const Dataset *d = &t->data;
    double loss_sum = 0;
    long long counted_sum = 0;
    TpStatus st = TP_OK;
    /* held-out loss: one example at a time (no padding), weighted by tokens */
    for (int i = 0; st == TP_OK && i < d->n_eval; i++) {
        const DatasetExample *ex = &d->eval[i];
        float loss;
        int counted;
        st = llama_forward(&t->model, ex->ids, ex->labels, 1, ex->n, &loss, &counted, err);
        if (st == TP_OK && counted > 0) {
            loss_sum += (double)loss * counted;
            counted_sum += counted;
        }
    }
    if (st == TP_OK && counted_sum > 0)
        out->loss = loss_sum / counted_sum;
    /* exact match of greedy answers on short-answer examples */
    bool final = base || !strcmp(kind, "tuned");
    int tried = 0, hits = 0;
    for (int i = 0; st == TP_OK && final && i < d->n_eval && tried < t->cfg.eval_examples; i++) {
        const DatasetExample *ex = &d->eval[i];
        if (!ex->answer || ex->prompt_len >= ex->n || ex->n - ex->prompt_len > 64)
            continue; /* long answers are not exact-match material */
        char *got = greedy_answer(t, ex, err);
        if (!got) {
            st = TP_ERR;
            break;
        }
        const char *a, *b;
        size_t na, nb;
        trim(ex->answer, &a, &na);
        trim(got, &b, &nb);
        bool ok = na == nb && memcmp(a, b, na) == 0;
        hits += ok;
        if (show && tried < n_show) {
            size_t used = strlen(show);
            snprintf(show + used, show_size - used, "  %s expected \"%.*s\", got \"%.*s\"\n",
                     ok ? "ok  " : "miss", (int)(na > 60 ? 60 : na), a, (int)(nb > 60 ? 60 : nb),
                     b);
        }
        tried++;
        free(got);
    }
    if (tried > 0) {
        out->accuracy = (double)hits / tried;
        out->n_examples = tried;
    }
    if (t->has_lora) {
        t->lora.training = true;
        t->lora.disabled = false;
    }
    return st;
}

/* The export is built in a staging folder beside dir and put in place in
 * one rename (tp_temp_dir_commit): a run killed while exporting leaves no
 * half-written file inside the folder that ships, only a staging folder
 * that tp_sweep_temps removes; a failure (a full disk) leaves an earlier
 * export as it was. The tokenizer files are copied as regular files only:
 * a symbolic link out of the model's own folder (to /proc/self/environ, to
 * a file of keys) stops the export with an error that names it. */
TpStatus trainer_export(Trainer *t, const char *dir, TpError *err) {
    char stage[4200], name[512];
    TpStatus st = tp_mkdirs_for_file(dir, err);
    if (st == TP_OK)
        st = tp_temp_dir(dir, stage, sizeof stage, err);
    if (st != TP_OK)
        return st;
    model_share_name(t->model_dir, name, sizeof name);
    if (t->has_lora) {
        st = lora_save_peft(&t->lora, stage, name, err);
    } else {
        st = llama_model_save(&t->model, stage, err);
        /* a full model directory also needs its tokenizer */
        const char *files[3] = {"tokenizer.json", "tokenizer_config.json",
                                "special_tokens_map.json"};
        char root[4200];
        model_link_root(t->model_dir, root, sizeof root);
        for (int i = 0; st == TP_OK && i < 3; i++) {
            char src[4200], dst[4400];
            snprintf(src, sizeof src, "%s/%s", t->model_dir, files[i]);
            snprintf(dst, sizeof dst, "%s/%s", stage, files[i]);
            st = tp_file_copy(src, dst, root, err);
            if (st == TP_ENOTFOUND) /* optional files */
                st = TP_OK;
        }
    }
    if (st == TP_OK)
        return tp_temp_dir_commit(stage, dir, err);
    tp_remove_tree(stage, NULL);
    return st;
}

/* Model FLOPs of one training token: 2 per weight for the forward, 2 more
 * for the input gradient, 2 more for weight gradients when every weight
 * trains (6N, Kaplan et al. 2020); LoRA adds its own small products. */
void trainer_info(const Trainer *t, TrainInfo *o) {
    memset(o, 0, sizeof *o);
    o->step = t->step;
    o->total_steps = t->total_steps;
    o->n_train = t->data.n_train;
    o->n_eval = t->data.n_eval;
    o->n_truncated = t->data.n_truncated;
    o->n_skipped = t->data.n_skipped_no_loss;
    for (int i = 0; i < t->data.n_train; i++)
        o->train_tokens += t->data.train[i].n;
    int64_t p = llama_config_n_params(&t->model.cfg);
    o->n_params = p;
    o->n_trainable = (int64_t)t->n_params;
    o->flops_per_token =
        (t->has_lora ? 4.0 : 6.0) * p + 6.0 * (double)(t->has_lora ? t->n_params : 0);
    o->tokens_per_s = t->run_seconds > 0 ? t->run_tokens / t->run_seconds : NAN;
    if (t->cfg.method == TRAIN_QLORA && t->lora.nf4) {
        size_t bytes = 0, weights = 0;
        for (int i = 0; i < t->lora.n_layers * LLAMA_N_LINEAR; i++)
            if (t->lora.nf4[i].codes) {
                bytes += nf4_bytes(&t->lora.nf4[i]);
                weights += (size_t)t->lora.nf4[i].n;
            }
        o->frozen_bytes_per_weight = weights ? (double)bytes / (double)weights : NAN;
    } else {
        o->frozen_bytes_per_weight = t->has_lora ? 4.0 : NAN;
    }
    o->template_name = t->data.template_name;
}
