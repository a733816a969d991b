/* test_lora.c - LoRA through the model's hooks: a no-op at initialisation,
 * gradients of A and B against finite differences over an fp32 base and
 * over an NF4 base (loaded one tensor at a time), dropout included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"

#include "tunepilot/bf16.h"
#include "tunepilot/fileio.h"
#include "tunepilot/lora.h"
#include "tunepilot/safetensors.h"

static LlamaConfig tiny(void) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 64;
    c.intermediate = 96;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 16;
    c.vocab = 13;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.bos_id = -1;
    return c;
}

static const int IDS[12] = {1, 5, 7, 2, 9, 3, 4, 4, 10, 0, 6, 8};
static const int TG[12] = {5, 7, 2, 9, 3, -100, -100, 10, 0, 6, 8, 1};

static float loss_of(LlamaModel *m, Lora *l, const TpRng *rng) {
    if (rng)
        l->rng = *rng; /* the same dropout masks for every evaluation */
    float loss;
    TpError err;
    assert_int_equal(llama_forward(m, IDS, TG, 2, 6, &loss, NULL, &err), TP_OK);
    return loss;
}

/* Finite differences over every 3rd adapter parameter, in float:
 * |a - n| <= 2e-3 + 3e-2 |n| (see test_llama_grad.c for the bound). */
static void check(LlamaModel *m, Lora *l, const char *what) {
    TpError err;
    TpRng keep = l->rng;
    lora_zero_grad(l);
    loss_of(m, l, &keep);
    assert_int_equal(llama_backward(m, false, &err), TP_OK);
    double worst = 0, biggest = 0;
    size_t n = 0;
    for (size_t i = 0; i < l->n_params; i += 3, n++) {
        float p = l->params[i], h = 1e-2f;
        l->params[i] = p + h;
        double up = loss_of(m, l, &keep);
        l->params[i] = p - h;
        double down = loss_of(m, l, &keep);
        l->params[i] = p;
        double num = (up - down) / (2 * h), an = l->grads[i];
        if (fabs(num - an) > 2e-3 + 3e-2 * fabs(num))
            fail_msg("%s: adapter parameter %zu: analytic %.6g numeric %.6g", what, i, an, num);
        if (fabs(num - an) > worst)
            worst = fabs(num - an);
        if (fabs(an) > biggest)
            biggest = fabs(an);
    }
    assert_true(biggest > 1e-3); /* the check looked at real gradients */
    print_message("  %s: %zu adapter parameters, worst abs error %.2g\n", what, n, worst);
}

static void randomize_b(Lora *l) {
    TpRng r;
    tp_rng_seed(&r, 77);
    for (int i = 0; i < l->n_layers * LLAMA_N_LINEAR; i++) {
        LoraPair *p = &l->pairs[i];
        if (p->B)
            for (int k = 0; k < p->out * l->cfg.rank; k++)
                p->B[k] = (float)((tp_rng_uniform(&r) * 2 - 1) * 0.3);
    }
}

static void test_noop_at_init_and_fp32_grads(void **state) {
    (void)state;
    LlamaConfig c = tiny();
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 1, 0.3f);
    float base = loss_of(&m, NULL, NULL);
    LoraConfig lc = {.rank = 4, .alpha = 8, .dropout = 0, .targets = LORA_ALL_TARGETS};
    Lora l;
    assert_int_equal(lora_init(&l, &c, &lc, 5, &err), TP_OK);
    lora_attach(&l, &m);
    /* B = 0: the adapted model computes exactly what the base computes */
    assert_true(loss_of(&m, &l, NULL) == base);
    /* A is Kaiming-uniform within 1/sqrt(in) */
    float bound = 1.0f / sqrtf(64.0f);
    for (int k = 0; k < 4 * 64; k++)
        assert_true(fabsf(l.pairs[0].A[k]) <= bound);
    randomize_b(&l);
    check(&m, &l, "fp32 base");
    lc.dropout = 0.2;
    lora_free(&l);
    assert_int_equal(lora_init(&l, &c, &lc, 5, &err), TP_OK);
    lora_attach(&l, &m);
    randomize_b(&l);
    check(&m, &l, "fp32 base, dropout 0.2");
    lora_free(&l);
    llama_model_free(&m);
}

/* Activation recomputation replays each block's forward with the same
 * dropout masks: loss, adapter gradients and the input gradient are the
 * same bits as without it, whether every block is replayed or only the
 * first one or two of the three (llama_set_recompute_layers). Each
 * forward of a pair draws its mask's seed from the adapters' generator
 * (tp_rng_mask makes the mask; tests/core checks it). */
static void test_recompute_and_masks(void **state) {
    (void)state;
    LlamaConfig c = tiny();
    c.n_layers = 3;
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 1, 0.3f);
    LoraConfig lc = {.rank = 4, .alpha = 8, .dropout = 0.2, .targets = LORA_ALL_TARGETS};
    Lora l;
    assert_int_equal(lora_init(&l, &c, &lc, 5, &err), TP_OK);
    lora_attach(&l, &m);
    randomize_b(&l);
    l.training = true;
    TpRng start = l.rng;
    enum { RUNS = 4 };
    float *g[RUNS], *dx[RUNS], loss[RUNS], loss_fp32 = 0;
    /* a16 = 1: gate and up kept in bf16 (llama_set_act_bf16), where the CPU
     * has AVX512_BF16: the same bits in every replay setting as well */
    for (int a16 = 0; a16 < (tp_bf16_available() ? 2 : 1); a16++) {
        assert_true(llama_set_act_bf16(&m, a16 == 1));
        for (int run = 0; run < RUNS; run++) {
            if (run < 2)
                llama_set_recompute(&m, run == 1);
            else
                llama_set_recompute_layers(&m, run - 1); /* blocks 0, then 0 and 1 */
            l.rng = start;
            lora_zero_grad(&l);
            llama_set_fused_head(&m, true, false);
            assert_int_equal(llama_forward(&m, IDS, TG, 2, 6, &loss[run], NULL, &err), TP_OK);
            llama_set_fused_head(&m, false, false);
            if (run == 0) { /* layer 0's q_proj: its mask's seed is the first draw */
                TpRng r = start;
                assert_true(l.drop_seed[0] == tp_rng_next(&r));
            }
            assert_int_equal(llama_backward(&m, false, &err), TP_OK);
            g[run] = malloc(sizeof(float) * l.n_params);
            memcpy(g[run], l.grads, sizeof(float) * l.n_params);
            dx[run] = malloc(sizeof(float) * 12 * 64);
            memcpy(dx[run], llama_input_grad(&m), sizeof(float) * 12 * 64);
        }
        for (int run = 1; run < RUNS; run++) {
            assert_true(loss[0] == loss[run]);
            assert_memory_equal(g[0], g[run], sizeof(float) * l.n_params);
            assert_memory_equal(dx[0], dx[run], sizeof(float) * 12 * 64);
        }
        if (a16 == 0) {
            loss_fp32 = loss[0];
        } else { /* rounded gate and up move the loss, by about bf16's 2^-9 at most */
            assert_true(loss[0] != loss_fp32);
            assert_true(fabsf(loss[0] - loss_fp32) <= 2e-3f * fabsf(loss_fp32));
        }
        for (int run = 0; run < RUNS; run++)
            free(g[run]), free(dx[run]);
    }
    llama_set_act_bf16(&m, false);
    lora_free(&l);
    llama_model_free(&m);
}

typedef struct QCtx {
    Lora *l;
} QCtx;

static TpStatus quantize_into(void *ctx, int layer, LlamaLinear which, const float *w, int rows,
                              int cols, TpError *err) {
    Nf4Tensor t;
    TpStatus st = nf4_quantize(w, rows, cols, &t, err);
    if (st == TP_OK)
        lora_take_nf4(((QCtx *)ctx)->l, layer, which, &t);
    return st;
}

static void test_nf4_base(void **state) {
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/base", tp_tmpdir());
    LlamaConfig c = tiny();
    LlamaModel full, q;
    TpError err;
    assert_int_equal(llama_model_init(&full, &c, &err), TP_OK);
    llama_model_randomize(&full, 2, 0.3f);
    assert_int_equal(llama_model_save(&full, dir, &err), TP_OK);
    LoraConfig lc = {.rank = 4, .alpha = 8, .dropout = 0.1, .targets = LORA_ALL_TARGETS};
    Lora l;
    assert_int_equal(lora_init(&l, &c, &lc, 9, &err), TP_OK);
    QCtx ctx = {&l};
    assert_int_equal(llama_model_load_ex(dir, &q, quantize_into, &ctx, &err), TP_OK);
    assert_true(q.no_linear);
    assert_true(q.n_params < full.n_params / 2); /* the linear weights are not resident */
    lora_attach(&l, &q);
    /* The NF4 path computes what an fp32 model with the dequantized
     * weights computes (B = 0, so the adapters add nothing yet). */
    l.training = false;
    for (int layer = 0; layer < c.n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            const Nf4Tensor *t = &l.nf4[layer * LLAMA_N_LINEAR + w];
            nf4_dequantize_rows(t, 0, t->rows, llama_linear_weight(&full.w, layer, w));
        }
    float lf = loss_of(&full, NULL, NULL), lq = loss_of(&q, &l, NULL);
    print_message("  loss: dequantized fp32 %.6f, NF4 base %.6f\n", lf, lq);
    assert_close(lq, lf, 1e-4 * fabsf(lf));
    l.training = true;
    randomize_b(&l);
    check(&q, &l, "NF4 base, dropout 0.1");
    lora_free(&l);
    llama_model_free(&q);
    llama_model_free(&full);
    tp_tmpdir_cleanup();
}

static void test_names_and_targets(void **state) {
    (void)state;
    char name[128];
    lora_tensor_name(3, LLAMA_Q, false, name, sizeof name);
    assert_string_equal(name, "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight");
    lora_tensor_name(0, LLAMA_DOWN, true, name, sizeof name);
    assert_string_equal(name, "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
    unsigned mask;
    TpError err;
    assert_int_equal(lora_parse_targets("q,v_proj", &mask, &err), TP_OK);
    assert_int_equal(mask, (1u << LLAMA_Q) | (1u << LLAMA_V));
    assert_int_equal(lora_parse_targets("all", &mask, &err), TP_OK);
    assert_int_equal(mask, LORA_ALL_TARGETS);
    assert_int_equal(lora_parse_targets("q,lm_head", &mask, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "\"lm_head\""));
}

/* Export in the PEFT layout, read back by the project's safetensors reader
 * with the expected names and shapes, and loaded again as adapters. */
static void test_peft_round_trip(void **state) {
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/adapter", tp_tmpdir());
    LlamaConfig c = tiny();
    LoraConfig lc = {.rank = 4,
                     .alpha = 16,
                     .dropout = 0.05,
                     .targets = (1u << LLAMA_Q) | (1u << LLAMA_V) | (1u << LLAMA_DOWN)};
    Lora a, b;
    TpError err = {0};
    assert_int_equal(lora_init(&a, &c, &lc, 3, &err), TP_OK);
    randomize_b(&a);
    assert_int_equal(lora_save_peft(&a, dir, "org/tiny-llama", &err), TP_OK);
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    SafetensorsFile *f;
    assert_int_equal(safetensors_open(path, &f, &err), TP_OK);
    assert_int_equal(safetensors_count(f), 2 * 3 * 2); /* layers x targets x {A, B} */
    const SafetensorsTensor *t =
        safetensors_find(f, "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
    assert_non_null(t);
    assert_int_equal(t->shape[0], 32); /* KV heads x head dim = 2 x 16 */
    assert_int_equal(t->shape[1], 4);
    t = safetensors_find(f, "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight");
    assert_non_null(t);
    assert_int_equal(t->shape[0], 4);
    assert_int_equal(t->shape[1], 96);
    assert_string_equal(safetensors_metadata(f, "format"), "pt");
    safetensors_close(f);
    assert_int_equal(lora_load_peft(&b, &c, dir, &err), TP_OK);
    assert_int_equal(b.cfg.rank, 4);
    assert_close(b.scale, 4.0, 0);
    assert_int_equal(b.cfg.targets, lc.targets);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    lora_free(&b);
    /* a bad module in adapter_config.json is blamed on the file, not on an option */
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    const char *cfg = "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 16, "
                      "\"target_modules\": [\"q_proj\", \"bogus_proj\"]}";
    assert_int_equal(tp_file_write_atomic(path, cfg, strlen(cfg), &err), TP_OK);
    assert_int_not_equal(lora_load_peft(&b, &c, dir, &err), TP_OK);
    assert_non_null(strstr(err.msg, "adapter_config.json: $.target_modules: unknown module "
                                    "\"bogus_proj\""));
    assert_null(strstr(err.msg, "--targets"));
    lora_free(&a);
    lora_free(&b);
    tp_tmpdir_cleanup();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noop_at_init_and_fp32_grads),
        cmocka_unit_test(test_recompute_and_masks),
        cmocka_unit_test(test_nf4_base),
        cmocka_unit_test(test_names_and_targets),
        cmocka_unit_test(test_peft_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
