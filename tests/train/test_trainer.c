/* test_trainer.c - the training loop on a tiny generated model: the loss
 * falls (qlora, lora, full), a run killed after its last checkpoint and
 * resumed ends with the same adapter bit for bit as an uninterrupted run,
 * and a loss that blows up stops the run without touching the checkpoint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "tp_test.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
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
    long long kill_at;        /* copy the checkpoint aside after this update */
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
static void test_resume_after_kill_is_bit_exact(void **state) {
    (void)state;
    char a[600], b[600], pa[700], pb[700], kept[700], ckpt[700];
    snprintf(a, sizeof a, "%s/straight", tp_tmpdir());
    snprintf(b, sizeof b, "%s/killed", tp_tmpdir());
    TrainConfig c = config(TRAIN_QLORA, 20);
    c.dropout = 0.1; /* the dropout generator must survive the restart too */
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
        snprintf(buf + used, sizeof buf - used,
                 "{\"prompt\": \"Q%d:\", \"completion\": \" %s\"}\n", i, ans[(i * 3) % 8]);
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
        print_message("  update %d: loss %.7f vs %.7f, grad norm %.7g vs %.7g\n", i + 1,
                      ta.loss[i], tb.loss[i], ta.norm[i], tb.norm[i]);
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
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
