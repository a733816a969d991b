/* test_llama_io.c - models written by the project's writer and read back;
 * the real stories260K checkpoint against its published reference loss and
 * greedy text (skipped when ../shared/models is absent). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tp_test.h"
#include "tunepilot/llama.h"
#include "tunepilot/safetensors.h"
#include "tunepilot/tokenizer.h"

static LlamaConfig tiny(bool tie) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    snprintf(c.model_type, sizeof c.model_type, "llama");
    c.hidden = 24;
    c.intermediate = 40;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 6;
    c.vocab = 30;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = tie;
    c.bos_id = 1;
    c.eos_ids[0] = 2;
    c.n_eos = 1;
    return c;
}

static float loss_of(LlamaModel *m) {
    int ids[8] = {1, 4, 9, 16, 25, 6, 7, 3}, tg[8] = {4, 9, 16, 25, 6, 7, 3, -100};
    float loss;
    TpError err;
    assert_int_equal(llama_forward(m, ids, tg, 1, 8, &loss, NULL, &err), TP_OK);
    return loss;
}

/* A random model (fixed seed) saved and loaded back is the same model. */
static void round_trip(bool tie) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/model-%d", tp_tmpdir(), tie);
    LlamaConfig c = tiny(tie);
    LlamaModel a, b;
    TpError err = {0};
    assert_int_equal(llama_model_init(&a, &c, &err), TP_OK);
    llama_model_randomize(&a, 99, 0.2f);
    if (llama_model_save(&a, dir, &err) != TP_OK)
        fail_msg("save: %s", err.msg);
    if (llama_model_load(dir, &b, &err) != TP_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    assert_int_equal(b.cfg.n_kv_heads, 2);
    assert_int_equal(b.cfg.tie_embeddings, tie);
    assert_true(loss_of(&a) == loss_of(&b));
    /* the file holds exactly the expected tensors */
    SafetensorsSet *set;
    assert_int_equal(safetensors_open_dir(dir, &set, &err), TP_OK);
    /* embed + final norm, 9 per layer, lm_head unless tied */
    assert_int_equal(safetensors_set_count(set), 2 + 2 * 9 + (tie ? 0 : 1));
    assert_non_null(safetensors_set_find(set, "model.layers.1.mlp.down_proj.weight"));
    assert_true((safetensors_set_find(set, "lm_head.weight") != NULL) == !tie);
    safetensors_set_close(set);
    llama_model_free(&a);
    llama_model_free(&b);
}

static void test_round_trip(void **state) {
    (void)state;
    round_trip(false);
    round_trip(true);
}

/* A tied checkpoint that stores only lm_head.weight loads the same. */
static void test_tied_under_lm_head_name(void **state) {
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/tied-lm", tp_tmpdir());
    LlamaConfig c = tiny(true);
    LlamaModel a, b;
    TpError err = {0};
    assert_int_equal(llama_model_init(&a, &c, &err), TP_OK);
    llama_model_randomize(&a, 5, 0.2f);
    assert_int_equal(llama_model_save(&a, dir, &err), TP_OK);
    /* rewrite the file with the embedding renamed */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    SafetensorsFile *f;
    assert_int_equal(safetensors_open(path, &f, &err), TP_OK);
    int n = safetensors_count(f);
    SafetensorsWriteTensor *t = calloc((size_t)n, sizeof *t);
    float **copies = calloc((size_t)n, sizeof *copies);
    for (int i = 0; i < n; i++) {
        const SafetensorsTensor *s = safetensors_get(f, i);
        copies[i] = malloc(s->nbytes ? s->nbytes : 1);
        memcpy(copies[i], s->data, s->nbytes);
        bool emb = !strcmp(s->name, "model.embed_tokens.weight");
        t[i] = (SafetensorsWriteTensor){emb ? "lm_head.weight" : strdup(s->name), s->dtype,
                                        s->ndim, s->shape, copies[i]};
    }
    int64_t shapes[64][8];
    for (int i = 0; i < n; i++) {
        memcpy(shapes[i], t[i].shape, sizeof shapes[i]);
        t[i].shape = shapes[i];
    }
    char *names[64];
    for (int i = 0; i < n; i++)
        names[i] = strcmp(t[i].name, "lm_head.weight") ? (char *)t[i].name : NULL;
    safetensors_close(f);
    assert_int_equal(safetensors_write(path, t, n, NULL, NULL, 0, &err), TP_OK);
    assert_int_equal(llama_model_load(dir, &b, &err), TP_OK);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    for (int i = 0; i < n; i++) {
        free(copies[i]);
        free(names[i]);
    }
    free(copies);
    free(t);
    llama_model_free(&a);
    llama_model_free(&b);
}

static void test_load_errors(void **state) {
    (void)state;
    char dir[512], path[600];
    TpError err = {0};
    LlamaModel m;
    /* a config whose shapes disagree with the weights */
    snprintf(dir, sizeof dir, "%s/mismatch", tp_tmpdir());
    LlamaConfig c = tiny(false);
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    assert_int_equal(llama_model_save(&m, dir, &err), TP_OK);
    llama_model_free(&m);
    c.intermediate = 44;
    char *cfg = llama_config_to_json(&c);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *fp = fopen(path, "w");
    fputs(cfg, fp);
    fclose(fp);
    free(cfg);
    assert_int_equal(llama_model_load(dir, &m, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "mlp.gate_proj.weight has shape [40, 24], config.json "
                                    "implies [44, 24]"));
    /* no weights at all */
    snprintf(dir, sizeof dir, "%s/noweights", tp_tmpdir());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config.json", dir);
    c = tiny(false);
    cfg = llama_config_to_json(&c);
    fp = fopen(path, "w");
    fputs(cfg, fp);
    fclose(fp);
    free(cfg);
    assert_int_not_equal(llama_model_load(dir, &m, &err), TP_OK);
    assert_non_null(strstr(err.msg, "model.safetensors"));
    /* no config */
    snprintf(dir, sizeof dir, "%s/nothing-here", tp_tmpdir());
    assert_int_not_equal(llama_model_load(dir, &m, &err), TP_OK);
    assert_non_null(strstr(err.msg, "config.json"));
}

static const char *shared_model(const char *name) {
    static char path[4096];
    const char *base = getenv("TP_SHARED_MODELS");
    struct stat st;
    if (!base)
        return NULL;
    snprintf(path, sizeof path, "%s/%s", base, name);
    return stat(path, &st) == 0 ? path : NULL;
}

/* stories260K-hf/SOURCE.txt: with BOS prepended, 35 tokens; teacher-forced
 * summed NLL over the 34 predictions = 54.40415 (an independent float64
 * numpy forward; llama2.c's run.c gives 54.404121). */
static void test_stories260k_reference_loss(void **state) {
    (void)state;
    const char *dir = shared_model("stories260K-hf");
    if (!dir) {
        print_message("skipped: ../shared/models/stories260K-hf is absent\n");
        skip();
    }
    LlamaModel m;
    Tokenizer *t;
    TpError err = {0};
    if (llama_model_load(dir, &m, &err) != TP_OK || tokenizer_load(dir, &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    const char *text = "One day, a clever fox found a shiny key under the old oak tree.";
    int *raw, n;
    assert_int_equal(tokenizer_encode(t, text, strlen(text), &raw, &n, &err), TP_OK);
    assert_true(tokenizer_adds_bos(t));
    int ids[64], tg[64];
    ids[0] = tokenizer_bos_id(t);
    memcpy(ids + 1, raw, sizeof(int) * (size_t)n);
    n += 1;
    assert_int_equal(n, 35);
    for (int i = 0; i < n; i++)
        tg[i] = i + 1 < n ? ids[i + 1] : LLAMA_IGNORE;
    float mean;
    int counted;
    assert_int_equal(llama_forward(&m, ids, tg, 1, n, &mean, &counted, &err), TP_OK);
    assert_int_equal(counted, 34);
    assert_close(mean * 34.0, 54.40415, 1e-3);
    /* greedy decoding from BOS */
    LlamaKV *kv;
    assert_int_equal(llama_kv_new(&m, 64, &kv, &err), TP_OK);
    float logits[512];
    int gen[64], ng = 0, tok = tokenizer_bos_id(t);
    LlamaSampler greedy = {0, 1, 0};
    uint64_t rng = 1;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(llama_decode_step(&m, kv, tok, logits, &err), TP_OK);
        tok = llama_sample(logits, 512, &greedy, &rng);
        gen[ng++] = tok;
    }
    char *out = tokenizer_decode(t, gen, ng, true);
    const char *want = "Once upon a time, there was a little girl named Lily. She loved to play "
                       "outside in the park.";
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("greedy text: \"%s\"", out);
    free(out);
    free(raw);
    llama_kv_free(kv);
    tokenizer_free(t);
    llama_model_free(&m);
}

static int cleanup(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tied_under_lm_head_name),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_stories260k_reference_loss),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
