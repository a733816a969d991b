/* test_trainer.c - the training loop on a tiny generated model: the loss
 * falls (qlora, lora, full), a run killed after its last checkpoint and
 * resumed ends with the same adapter bit for bit as an uninterrupted run
 * (with and without gradient accumulation), a loss that blows up stops the
 * run without touching the checkpoint, accumulation is token-weighted, and
 * a run can start from a given PEFT adapter. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tp_test.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"
#include "tunepilot/safetensors.h"
#include "tunepilot/tokenizer.h"
#include "tunepilot/pool.h"
#include "tunepilot/trainer.h"

static char model_dir[512], data_path[512];

static void write_file(const char *path, const char *text) {
    TpError err;
    assert_int_equal(tp_file_write_atomic(path, text, strlen(text), &err), TP_OK);
}

/* A random 2-layer model over the byte tokenizer fixture (268 ids), and a
 * dataset mapping a word to its length class. */
static int setup(void **state) {
    (void)state;
    snprintf(model_dir, sizeof model_dir, "%s/model", tp_tmpdir());
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 48;
    c.intermediate = 96;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 12;
    c.vocab = 268;
    c.max_pos = 256;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.bos_id = 256;
    c.eos_ids[0] = 257;
    c.n_eos = 1;
    LlamaModel m;
    TpError err;
    if (llama_model_init(&m, &c, &err) != TP_OK)
        return -1;
    llama_model_randomize(&m, 11, 0.05f);
    if (llama_model_save(&m, model_dir, &err) != TP_OK)
        return -1;
    llama_model_free(&m);
    char path[600], *tok;
    size_t len;
    snprintf(path, sizeof path, "%s", tp_fixture("data/bytes_tokenizer.json"));
    if (tp_file_read(path, 1 << 20, &tok, &len, &err) != TP_OK)
        return -1;
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    write_file(path, tok);
    free(tok);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", model_dir);
    write_file(path, "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": true}");
    snprintf(data_path, sizeof data_path, "%s/data.jsonl", tp_tmpdir());
    const char *words[] = {"cat", "horse", "ox", "tiger", "eel", "rabbit", "bee", "zebra"};
    char buf[16384] = "";
    for (int i = 0; i < 64; i++) {
        const char *w = words[i % 8];
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used,
                 "{\"prompt\": \"Size of %s:\", \"completion\": \" %s\"}\n", w,
                 strlen(w) <= 3 ? "small" : "big");
    }
    write_file(data_path, buf);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

typedef struct Losses {
    double first, last;
    long long kill_at; /* copy the checkpoint aside after this update */
    const char *run_dir;
    volatile sig_atomic_t *stop;
    long long stop_at;
} Losses;

static void copy(const char *from, const char *to) {
    char *d;
    size_t n;
    TpError err;
    assert_int_equal(tp_file_read(from, 1 << 26, &d, &n, &err), TP_OK);
    assert_int_equal(tp_file_write_atomic(to, d, n, &err), TP_OK);
    free(d);
}

static void on_step(void *ctx, const TrainStep *s) {
    Losses *l = ctx;
    if (s->step == 1)
        l->first = s->loss;
    l->last = s->loss;
    if (l->kill_at && s->step == l->kill_at + 1) {
        /* the checkpoint as it was when the process "died" */
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/checkpoint.safetensors", l->run_dir);
        snprintf(b, sizeof b, "%s/kept.safetensors", l->run_dir);
        copy(a, b);
    }
    if (l->stop && s->step == l->stop_at)
        *l->stop = 1;
}

static TrainConfig config(TrainMethod m, long long steps) {
    TrainConfig c;
    train_config_defaults(&c);
    c.method = m;
    c.steps = steps;
    c.lr = 1e-2;
    c.rank = 4;
    c.alpha = 8;
    c.batch = 4;
    c.seq = 64;
    c.eval_every = 0;
    c.checkpoint_every = 5;
    c.eval_examples = 0;
    c.threads = 1;
    return c;
}

static void run(const TrainConfig *c, const char *dir, Losses *l, bool resume, TpStatus want) {
    Trainer *t;
    TpError err = {0};
    if (trainer_open(model_dir, data_path, c, dir, &t, &err) != TP_OK)
        fail_msg("open: %s", err.msg);
    bool resumed = false, finished = false;
    assert_int_equal(trainer_resume(t, &resumed, &err), TP_OK);
    assert_true(resumed == resume);
    TrainSink sink = {l, on_step, NULL, NULL};
    TpStatus st = trainer_run(t, &sink, l->stop, &finished, &err);
    if (st != want)
        fail_msg("run: status %d (%s)", st, err.msg);
    if (want == TP_OK && !l->stop) {
        assert_true(finished);
        char out[600];
        snprintf(out, sizeof out, "%s/export", dir);
        assert_int_equal(trainer_export(t, out, &err), TP_OK);
    }
    trainer_close(t);
}

static void test_loss_falls(void **state) {
    (void)state;
    TrainMethod methods[3] = {TRAIN_QLORA, TRAIN_LORA, TRAIN_FULL};
    for (int i = 0; i < 3; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/falls-%d", tp_tmpdir(), i);
        TrainConfig c = config(methods[i], 40);
        if (methods[i] == TRAIN_FULL)
            c.lr = 3e-3;
        Losses l = {0};
        run(&c, dir, &l, false, TP_OK);
        print_message("  %s: loss %.3f -> %.3f\n", train_method_name(methods[i]), l.first, l.last);
        assert_true(l.last < 0.7 * l.first);
    }
}

static char *slurp(const char *path, size_t *n) {
    char *d;
    TpError err;
    assert_int_equal(tp_file_read(path, 1 << 26, &d, n, &err), TP_OK);
    return d;
}

/* Uninterrupted: 20 updates. Interrupted: the process "dies" after update 8
 * (its last checkpoint is from update 5: restored from the copy), then a
 * new process resumes and finishes. The adapters must be identical. */
static void check_resume(int grad_accum) {
    char a[600], b[600], pa[700], pb[700], kept[700], ckpt[700];
    snprintf(a, sizeof a, "%s/straight-%d", tp_tmpdir(), grad_accum);
    snprintf(b, sizeof b, "%s/killed-%d", tp_tmpdir(), grad_accum);
    TrainConfig c = config(TRAIN_QLORA, 20);
    c.dropout = 0.1; /* the dropout generator must survive the restart too */
    c.grad_accum = grad_accum;
    c.batch = 4 / grad_accum;
    Losses la = {0};
    run(&c, a, &la, false, TP_OK);
    volatile sig_atomic_t stop = 0;
    Losses lb = {0, 0, 5, b, &stop, 8};
    run(&c, b, &lb, false, TP_OK);
    snprintf(kept, sizeof kept, "%s/kept.safetensors", b);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", b);
    copy(kept, ckpt); /* SIGKILL: whatever happened after update 5 is lost */
    Losses lc = {0};
    run(&c, b, &lc, true, TP_OK);
    snprintf(pa, sizeof pa, "%s/export/adapter_model.safetensors", a);
    snprintf(pb, sizeof pb, "%s/export/adapter_model.safetensors", b);
    size_t na, nb;
    char *da = slurp(pa, &na), *db = slurp(pb, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, na);
    free(da);
    free(db);
}

static void test_resume_after_kill_is_bit_exact(void **state) {
    (void)state;
    check_resume(1);
    check_resume(2); /* token-weighted accumulation over two micro-batches */
}

/* A base whose weights hold a NaN (a corrupt checkpoint) turns the loss to
 * NaN on the first update of a resumed run: the run stops with an error
 * and the checkpoint of the good run is left exactly as it was. */
static void test_nan_stops_and_keeps_checkpoint(void **state) {
    (void)state;
    char dir[600], ckpt[700], bad[600], path[700], from[700];
    snprintf(dir, sizeof dir, "%s/nan", tp_tmpdir());
    TrainConfig c = config(TRAIN_LORA, 5);
    Losses l = {0};
    run(&c, dir, &l, false, TP_OK);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    size_t n0, n1;
    char *before = slurp(ckpt, &n0);
    /* the same model with one NaN weight */
    snprintf(bad, sizeof bad, "%s/model-nan", tp_tmpdir());
    LlamaModel m;
    TpError err = {0};
    assert_int_equal(llama_model_load(model_dir, &m, &err), TP_OK);
    m.w.final_norm[3] = NAN;
    assert_int_equal(llama_model_save(&m, bad, &err), TP_OK);
    llama_model_free(&m);
    const char *files[2] = {"tokenizer.json", "tokenizer_config.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s/%s", model_dir, files[i]);
        snprintf(path, sizeof path, "%s/%s", bad, files[i]);
        copy(from, path);
    }
    c.steps = 10;
    Trainer *t;
    assert_int_equal(trainer_open(bad, data_path, &c, dir, &t, &err), TP_OK);
    bool resumed, finished;
    assert_int_equal(trainer_resume(t, &resumed, &err), TP_OK);
    assert_true(resumed);
    assert_int_equal(trainer_run(t, NULL, NULL, &finished, &err), TP_ERR);
    assert_non_null(strstr(err.msg, "NaN at update 6"));
    assert_non_null(strstr(err.msg, "last good checkpoint was kept"));
    trainer_close(t);
    char *after = slurp(ckpt, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

/* Per-update figures of one run, for comparing two micro-batchings. */
typedef struct Trace {
    double loss[8], norm[8];
    int n;
} Trace;

static void on_trace(void *ctx, const TrainStep *s) {
    Trace *tr = ctx;
    if (tr->n < 8) {
        tr->loss[tr->n] = s->loss;
        tr->norm[tr->n] = s->grad_norm;
        tr->n++;
    }
}

static void run_trace(const TrainConfig *c, const char *data, const char *dir, Trace *tr) {
    Trainer *t;
    TpError err = {0};
    if (trainer_open(model_dir, data, c, dir, &t, &err) != TP_OK)
        fail_msg("open: %s", err.msg);
    bool resumed = false, finished = false;
    assert_int_equal(trainer_resume(t, &resumed, &err), TP_OK);
    TrainSink sink = {tr, on_trace, NULL, NULL};
    if (trainer_run(t, &sink, NULL, &finished, &err) != TP_OK)
        fail_msg("run: %s", err.msg);
    char out[700];
    snprintf(out, sizeof out, "%s/export", dir);
    assert_int_equal(trainer_export(t, out, &err), TP_OK);
    trainer_close(t);
}

static float *adapter_values(const char *dir, size_t *n) {
    char path[700];
    snprintf(path, sizeof path, "%s/export/adapter_model.safetensors", dir);
    size_t len;
    char *d = slurp(path, &len);
    /* the tensors follow the 8-byte length and the JSON header; both files
     * hold the same tensors in the same order, so compare the data region */
    uint64_t hl = 0;
    memcpy(&hl, d, 8);
    *n = (len - 8 - hl) / sizeof(float);
    float *v = malloc(*n * sizeof(float));
    memcpy(v, d + 8 + hl, *n * sizeof(float));
    free(d);
    return v;
}

/* The loss of an update is the mean over all its target tokens, however
 * the update is cut into micro-batches (Hugging Face Trainer >= 4.46,
 * num_items_in_batch). The reference is the same update done as ONE
 * micro-batch of 4: a single forward whose cross-entropy is the plain mean
 * over the 4 examples' target tokens. --batch 2 --grad-accum 2 must give the
 * same loss, the same gradient norm and the same adapter to fp32 rounding.
 * The completions have 1 to 13 target tokens (byte tokens plus EOS), so the
 * two micro-batches of an update hold different numbers of tokens and the
 * mean of the two micro-batch means differs from the token mean: with that
 * (old) averaging, update 1 here gave loss 5.6471138 and gradient norm
 * 0.8461973 against the reference 5.6772547 and 0.7717319, far outside the
 * 2e-6 and 2e-5 relative allowed below. */
static void test_accumulation_is_token_weighted(void **state) {
    (void)state;
    char data[600];
    snprintf(data, sizeof data, "%s/ragged.jsonl", tp_tmpdir());
    const char *ans[] = {"a", "elephant ear", "ox", "hippopotamus", "b", "no", "yes it is", "z"};
    char buf[4096] = "";
    for (int i = 0; i < 16; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used, "{\"prompt\": \"Q%d:\", \"completion\": \" %s\"}\n",
                 i, ans[(i * 3) % 8]);
    }
    write_file(data, buf);
    TrainConfig one = config(TRAIN_LORA, 4), two = one;
    one.checkpoint_every = two.checkpoint_every = 0;
    one.dropout = two.dropout = 0; /* masks drawn over padded shapes would differ */
    two.batch = 2;
    two.grad_accum = 2;
    char da[600], db[600];
    snprintf(da, sizeof da, "%s/accum-one", tp_tmpdir());
    snprintf(db, sizeof db, "%s/accum-two", tp_tmpdir());
    Trace ta = {0}, tb = {0};
    run_trace(&one, data, da, &ta);
    run_trace(&two, data, db, &tb);
    assert_int_equal(ta.n, 4);
    assert_int_equal(tb.n, 4);
    for (int i = 0; i < 4; i++) {
        print_message("  update %d: loss %.7f vs %.7f, grad norm %.7g vs %.7g\n", i + 1, ta.loss[i],
                      tb.loss[i], ta.norm[i], tb.norm[i]);
        assert_true(fabs(ta.loss[i] - tb.loss[i]) <= 2e-6 * fabs(ta.loss[i]));
        assert_true(fabs(ta.norm[i] - tb.norm[i]) <= 2e-5 * fabs(ta.norm[i]));
    }
    size_t na, nb;
    float *va = adapter_values(da, &na), *vb = adapter_values(db, &nb);
    assert_int_equal(na, nb);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < na; i++) {
        worst = fmax(worst, fabs((double)va[i] - vb[i]));
        scale = fmax(scale, fabs((double)va[i]));
    }
    print_message("  adapters: largest difference %.3g (largest value %.3g)\n", worst, scale);
    assert_true(worst <= 1e-5 * scale);
    free(va);
    free(vb);
}

/* --- a starting adapter (--init-adapter) -------------------------------------------------- */

/* A PEFT adapter written here by hand (not by lora_save_peft): rank 2, alpha
 * 4 (scale 2), q_proj and v_proj of both layers, values from a small LCG. */
static void write_adapter(const char *dir, int rank, const char *targets_json, bool extra,
                          bool drop_one, float **Aq, float **Bq, float **Av, float **Bv) {
    TpError err;
    assert_int_equal(tp_mkdirs(dir, &err), TP_OK);
    char path[700], cfg[512];
    snprintf(cfg, sizeof cfg,
             "{\"peft_type\": \"LORA\", \"task_type\": \"CAUSAL_LM\", \"r\": %d, \"lora_alpha\": "
             "4, \"lora_dropout\": 0.0, \"bias\": \"none\", \"target_modules\": %s, "
             "\"rank_pattern\": {}, \"alpha_pattern\": {}, \"modules_to_save\": null}",
             rank, targets_json);
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    write_file(path, cfg);
    /* hidden 48; q_proj 48 -> 48; v_proj 48 -> 24 (2 KV heads of 12) */
    static char names[9][128];
    static int64_t shapes[9][2];
    SafetensorsWriteTensor t[9];
    int n = 0;
    uint32_t x = 12345;
    for (int l = 0; l < 2; l++)
        for (int w = 0; w < 2; w++) {
            const char *mod = w ? "v_proj" : "q_proj";
            int out = w ? 24 : 48;
            for (int b = 0; b < 2; b++) {
                int64_t d0 = b ? out : rank, d1 = b ? rank : 48;
                float *v = malloc(sizeof(float) * (size_t)(d0 * d1));
                for (int64_t k = 0; k < d0 * d1; k++) {
                    x = x * 1664525u + 1013904223u;
                    v[k] = (float)(x >> 8) / 16777216.0f - 0.5f;
                }
                float **keep = w ? (b ? Bv : Av) : (b ? Bq : Aq);
                if (keep)
                    keep[l] = v;
                snprintf(names[n], sizeof names[n],
                         "base_model.model.model.layers.%d.self_attn.%s.lora_%s.weight", l, mod,
                         b ? "B" : "A");
                shapes[n][0] = d0;
                shapes[n][1] = d1;
                t[n] = (SafetensorsWriteTensor){names[n], SAFETENSORS_F32, 2, shapes[n], v};
                n++;
            }
        }
    if (extra) { /* a layer the 2-layer model does not have */
        snprintf(names[n], sizeof names[n],
                 "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight");
        shapes[n][0] = rank;
        shapes[n][1] = 48;
        t[n] = (SafetensorsWriteTensor){names[n], SAFETENSORS_F32, 2, shapes[n], t[0].data};
        n++;
    }
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    const char *keys[1] = {"format"}, *values[1] = {"pt"};
    assert_int_equal(
        safetensors_write(path, drop_one ? t + 1 : t, drop_one ? n - 1 : n, keys, values, 1, &err),
        TP_OK);
    for (int i = 0; i < 8; i++) /* the caller keeps what it asked for */
        if (!Aq)
            free((void *)t[i].data);
}

typedef struct First {
    double loss;
} First;

static void on_first(void *ctx, const TrainStep *s) {
    if (s->step == 1)
        ((First *)ctx)->loss = s->loss;
}

static double first_loss(TrainConfig *c, const char *data, const char *dir, TpStatus want,
                         const char *expect) {
    Trainer *t;
    TpError err = {0};
    TpStatus st = trainer_open(model_dir, data, c, dir, &t, &err);
    if (st != want)
        fail_msg("open: status %d (%s)", st, err.msg);
    if (st != TP_OK) {
        if (!strstr(err.msg, expect))
            fail_msg("\"%s\" lacks \"%s\"", err.msg, expect);
        return NAN;
    }
    bool resumed, finished;
    assert_int_equal(trainer_resume(t, &resumed, &err), TP_OK);
    First f = {NAN};
    TrainSink sink = {&f, on_first, NULL, NULL};
    assert_int_equal(trainer_run(t, &sink, NULL, &finished, &err), TP_OK);
    trainer_close(t);
    return f.loss;
}

/* The run's first update starts from the given adapter. Reference: the base
 * weights merged with that adapter BY HAND here, W + (alpha / r) B A in
 * double (PEFT's merge, qlora-reference.md 3.1), then one plain forward of
 * the merged model over the example. Every training example is the same, so
 * the first update's loss is that example's loss whatever the order. */
static void test_init_adapter(void **state) {
    (void)state;
    char data[600], adir[600];
    snprintf(data, sizeof data, "%s/same.jsonl", tp_tmpdir());
    char buf[1024] = "";
    for (int i = 0; i < 8; i++)
        strcat(buf, "{\"prompt\": \"Size of zebra:\", \"completion\": \" big\"}\n");
    write_file(data, buf);
    snprintf(adir, sizeof adir, "%s/start-adapter", tp_tmpdir());
    float *Aq[2], *Bq[2], *Av[2], *Bv[2];
    write_adapter(adir, 2, "[\"q_proj\", \"v_proj\"]", false, false, Aq, Bq, Av, Bv);

    LlamaModel m;
    TpError err = {0};
    assert_int_equal(llama_model_load(model_dir, &m, &err), TP_OK);
    for (int l = 0; l < 2; l++)
        for (int w = 0; w < 2; w++) {
            float *W = w ? m.w.layers[l].wv : m.w.layers[l].wq, *A = w ? Av[l] : Aq[l];
            float *B = w ? Bv[l] : Bq[l];
            int out = w ? 24 : 48;
            for (int o = 0; o < out; o++)
                for (int i = 0; i < 48; i++) {
                    double d = 0;
                    for (int k = 0; k < 2; k++)
                        d += (double)B[o * 2 + k] * A[k * 48 + i];
                    W[o * 48 + i] = (float)(W[o * 48 + i] + 2.0 * d);
                }
            free(A);
            free(B);
        }
    Tokenizer *tok;
    assert_int_equal(tokenizer_load(model_dir, &tok, &err), TP_OK);
    Dataset ds;
    DatasetOptions dopt = {64, 0, 1, 0};
    assert_int_equal(dataset_load(data, tok, &dopt, &ds, &err), TP_OK);
    float want;
    assert_int_equal(
        llama_forward(&m, ds.train[0].ids, ds.train[0].labels, 1, ds.train[0].n, &want, NULL, &err),
        TP_OK);
    dataset_free(&ds);
    tokenizer_free(tok);
    llama_model_free(&m);

    TrainConfig c = config(TRAIN_LORA, 1);
    c.rank = 2;
    c.alpha = 4;
    c.dropout = 0;
    c.eval_split = 0;
    c.targets = (1u << LLAMA_Q) | (1u << LLAMA_V);
    c.checkpoint_every = 0;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/init-none", tp_tmpdir());
    double plain = first_loss(&c, data, dir, TP_OK, NULL);
    snprintf(c.init_adapter, sizeof c.init_adapter, "%s", adir);
    snprintf(dir, sizeof dir, "%s/init-lora", tp_tmpdir());
    double got = first_loss(&c, data, dir, TP_OK, NULL);
    print_message("  first update: %.7f from the adapter, reference %.7f; %.7f without it\n", got,
                  want, plain);
    assert_true(fabs(got - want) <= 1e-5 * want);
    assert_true(fabs(plain - want) > 1e-3 * want); /* the adapter changes the model */
    /* resuming that run (it left a checkpoint) does not read the adapter again */
    TrainConfig more = c;
    more.steps = 2;
    snprintf(more.init_adapter, sizeof more.init_adapter, "%s/gone", tp_tmpdir());
    Trainer *rt;
    assert_int_equal(trainer_open(model_dir, data, &more, dir, &rt, &err), TP_OK);
    bool resumed = false;
    assert_int_equal(trainer_resume(rt, &resumed, &err), TP_OK);
    assert_true(resumed);
    trainer_close(rt);

    /* mismatches and bad files are refused, naming the file and what differs */
    TrainConfig bad = c;
    bad.rank = 4;
    snprintf(dir, sizeof dir, "%s/init-bad", tp_tmpdir());
    first_loss(&bad, data, dir, TP_EINVAL,
               "adapter_config.json: $.r: the adapter's rank is 2 "
               "but the run's is 4 (--rank 2)");
    bad = c;
    bad.targets = LORA_ALL_TARGETS;
    first_loss(&bad, data, dir, TP_EINVAL, "(--targets q_proj,v_proj)");
    bad = c;
    bad.alpha = 8;
    first_loss(&bad, data, dir, TP_EINVAL, "$.lora_alpha: the adapter's alpha is 4");
    bad = c;
    bad.method = TRAIN_FULL;
    first_loss(&bad, data, dir, TP_EINVAL, "--init-adapter");
    char bdir[600];
    snprintf(bdir, sizeof bdir, "%s/adapter-extra", tp_tmpdir());
    write_adapter(bdir, 2, "[\"q_proj\", \"v_proj\"]", true, false, NULL, NULL, NULL, NULL);
    snprintf(bad.init_adapter, sizeof bad.init_adapter, "%s", bdir);
    bad.method = TRAIN_LORA;
    first_loss(&bad, data, dir, TP_EINVAL,
               "adapter_model.safetensors: tensor "
               "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight is not part");
    snprintf(bdir, sizeof bdir, "%s/adapter-missing", tp_tmpdir());
    write_adapter(bdir, 2, "[\"q_proj\", \"v_proj\"]", false, true, NULL, NULL, NULL, NULL);
    snprintf(bad.init_adapter, sizeof bad.init_adapter, "%s", bdir);
    first_loss(&bad, data, dir, TP_EINVAL,
               "no tensor base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    snprintf(bdir, sizeof bdir, "%s/adapter-shape", tp_tmpdir());
    write_adapter(bdir, 3, "[\"q_proj\", \"v_proj\"]", false, false, NULL, NULL, NULL, NULL);
    /* the config says rank 2 but the tensors are rank 3 */
    snprintf(buf, sizeof buf, "%s/adapter_config.json", bdir);
    write_file(buf, "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": "
                    "[\"q_proj\", \"v_proj\"]}");
    snprintf(bad.init_adapter, sizeof bad.init_adapter, "%s", bdir);
    first_loss(&bad, data, dir, TP_EINVAL,
               "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight: expected shape "
               "[2, 48] (rank 2, the model's input size), got [3, 48]");
    snprintf(bad.init_adapter, sizeof bad.init_adapter, "%s/nowhere", tp_tmpdir());
    first_loss(&bad, data, dir, TP_ENOTFOUND, "nowhere/adapter_config.json");
}

/* The recomputation rule: the fewest replayed blocks that bring the
 * estimate within TRAIN_RECOMPUTE_MB. On the SmolLM2-135M shape (its
 * config.json: hidden 576, intermediate 1536, 30 layers, 9/3 heads of 64,
 * vocabulary 49,152) at batch 4 x 256, each block replayed past the first
 * keeps only its input: by hand, 1,024 tokens x (2 x 576 + 2 x 1536 +
 * 2 x 576 + 2 x 192 + 2 - 576) floats x 4 bytes = 21.24 MB less with fp32
 * products. With bf16 products gate and up are kept in bf16 (half of
 * 2 x 1536 floats: 14.95 MB a block) and the estimate fits without
 * replaying: by hand, 55.2 MB of NF4 linear weights (106.2M x 0.52 bytes),
 * 113.4 MB of fp32 embedding and norms, 78.2 MB of adapters with their
 * gradients and AdamW moments, 30 x 1,024 x 4,226 floats of saved blocks
 * (519.3 MB), 9.7 MB of shared buffers, 29.9 MB of backward buffers,
 * 151.1 MB of head (its chunks of logits, its two bf16 copies and their
 * rows' buffers) and 25.0 MB of the adapters' and NF4 products' scratch:
 * about 982 MB with two threads. */
static void test_recompute_rule(void **state) {
    (void)state;
    tp_pool_set_threads(2); /* the per-thread buffers of the figures below */
    LlamaConfig c = {0};
    c.hidden = 576;
    c.intermediate = 1536;
    c.n_layers = 30;
    c.n_heads = 9;
    c.n_kv_heads = 3;
    c.head_dim = 64;
    c.vocab = 49152;
    c.tie_embeddings = true;
    TrainConfig t;
    train_config_defaults(&t);
    t.method = TRAIN_QLORA;
    t.compute_dtype = NF4_COMPUTE_FP32;
    t.batch = 4;
    t.seq = 256;
    double mb[31];
    for (int n = 0; n <= 30; n++) {
        TrainConfig k = t;
        k.recompute = n > 0;
        k.recompute_blocks = n;
        TrainEstimate e;
        train_estimate(&c, &k, 0, 1, &e);
        mb[n] = e.memory_mb;
        if (n >= 2)
            assert_close(mb[n - 1] - mb[n], 1024.0 * 5186 * 4 / 1e6, 1e-6);
    }
    int n = train_recompute_blocks(&c, &t);
    assert_true(n > 0 && n < 30);
    assert_true(mb[n] <= TRAIN_RECOMPUTE_MB);
    assert_true(mb[n - 1] > TRAIN_RECOMPUTE_MB);
    assert_true(train_recompute_auto(&c, &t));
    TrainConfig r = t;
    train_recompute_resolve(&c, &r);
    assert_true(r.recompute && !r.recompute_off);
    assert_int_equal(r.recompute_blocks, n);
    assert_int_equal(train_recompute_blocks(&c, &r), n); /* settled: stays */
    r = t;
    r.recompute = true; /* --recompute: every block */
    assert_int_equal(train_recompute_blocks(&c, &r), 30);
    r = t;
    r.recompute_off = true;
    assert_int_equal(train_recompute_blocks(&c, &r), 0);
    /* a batch of one fits without replaying */
    r = t;
    r.batch = 1;
    assert_int_equal(train_recompute_blocks(&c, &r), 0);
    /* bf16 products: a replayed block saves 1,024 x (2 x 576 + 1536 +
     * 2 x 576 + 2 x 192 + 2 - 576) floats x 4 bytes, and none is needed */
    r = t;
    r.compute_dtype = NF4_COMPUTE_BF16;
    TrainEstimate e1, e2, e0;
    train_estimate(&c, &r, 0, 1, &e0);
    r.recompute = true;
    r.recompute_blocks = 2;
    train_estimate(&c, &r, 0, 1, &e1);
    r.recompute_blocks = 3;
    train_estimate(&c, &r, 0, 1, &e2);
    assert_close(e1.memory_mb - e2.memory_mb, 1024.0 * 3650 * 4 / 1e6, 1e-6);
    assert_true(e0.memory_mb <= TRAIN_RECOMPUTE_MB);
    assert_close(e0.memory_mb, 981.80, 0.01);
    r = t;
    r.compute_dtype = NF4_COMPUTE_BF16;
    assert_int_equal(train_recompute_blocks(&c, &r), 0);
    tp_pool_set_threads(0);
}

static void test_bad_settings(void **state) {
    (void)state;
    TrainConfig c = config(TRAIN_QLORA, 5);
    c.batch = 0;
    Trainer *t;
    TpError err = {0};
    assert_int_equal(trainer_open(model_dir, data_path, &c, tp_tmpdir(), &t, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "--batch"));
    c = config(TRAIN_QLORA, 5);
    assert_int_not_equal(trainer_open(model_dir, "/nonexistent.jsonl", &c, tp_tmpdir(), &t, &err),
                         TP_OK);
    assert_non_null(strstr(err.msg, "/nonexistent.jsonl"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_resume_after_kill_is_bit_exact),
        cmocka_unit_test(test_nan_stops_and_keeps_checkpoint),
        cmocka_unit_test(test_accumulation_is_token_weighted),
        cmocka_unit_test(test_init_adapter),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_recompute_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
