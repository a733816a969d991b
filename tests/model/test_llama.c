/* test_llama.c - config.json parsing, RoPE scaling, KV-cache decoding
 * against the full forward, and sampling. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/llama.h"

static TpStatus parse(const char *json, LlamaConfig *c, TpError *err) {
    return llama_config_parse(json, strlen(json), "config.json", c, err);
}

/* Llama-3.2-1B's published config. Its parameter count, 1,235,814,400, is
 * the figure Hugging Face reports for the checkpoint; by hand: embeddings
 * 128256 x 2048 = 262,668,288; per layer q 2048^2 + k, v 2 x 512 x 2048 +
 * o 2048^2 + MLP 3 x 8192 x 2048 + two norms 2 x 2048 = 60,821,504, x 16;
 * plus the final norm 2048 (lm_head tied). */
static const char LLAMA32[] =
    "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\","
    " \"hidden_size\": 2048, \"intermediate_size\": 8192, \"num_hidden_layers\": 16,"
    " \"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"head_dim\": 64,"
    " \"vocab_size\": 128256, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
    " \"rms_norm_eps\": 1e-05, \"rope_theta\": 500000.0, \"tie_word_embeddings\": true,"
    " \"hidden_act\": \"silu\", \"max_position_embeddings\": 131072, \"torch_dtype\": \"bfloat16\","
    " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
    " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}";

static void test_llama32_config(void **state) {
    (void)state;
    LlamaConfig c;
    TpError err = {0};
    assert_int_equal(parse(LLAMA32, &c, &err), TP_OK);
    assert_int_equal(c.hidden, 2048);
    assert_int_equal(c.n_kv_heads, 8);
    assert_int_equal(c.head_dim, 64);
    assert_int_equal(c.bos_id, 128000);
    assert_int_equal(c.n_eos, 3);
    assert_int_equal(c.eos_ids[2], 128009);
    assert_true(c.tie_embeddings);
    assert_false(c.attention_bias);
    assert_int_equal(c.rope_type, LLAMA_ROPE_LLAMA3);
    assert_true(llama_config_n_params(&c) == 1235814400LL);
    /* llama3 rope scaling, values from an independent evaluation of
     * transformers' _compute_llama3_parameters in Python: i = 0 is a high
     * frequency (unchanged), i = 16 lies in the smoothed band, i = 31 is a
     * low frequency (divided by the factor 32). */
    double inv[32];
    llama_rope_inv_freq(&c, inv);
    assert_rel(inv[0], 1.0, 1e-12);
    assert_rel(inv[16], 0.00042955679655936815, 1e-12);
    assert_rel(inv[31], 9.41830672543491e-08, 1e-12);
}

static void test_qwen2_and_v5_rope(void **state) {
    (void)state;
    LlamaConfig c;
    TpError err = {0};
    assert_int_equal(parse("{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 64,"
                           " \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                           " \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
                           " \"vocab_size\": 100, \"eos_token_id\": 7,"
                           " \"rope_parameters\": {\"rope_type\": \"default\","
                           " \"rope_theta\": 1000000.0}}",
                           &c, &err),
                     TP_OK);
    assert_true(c.attention_bias); /* Qwen2: q, k, v have biases */
    assert_int_equal(c.head_dim, 16);
    assert_close(c.rope_theta, 1e6, 0);
    assert_int_equal(c.eos_ids[0], 7);
    assert_int_equal(c.n_kv_heads, 2);
    /* linear scaling divides every frequency */
    assert_int_equal(parse("{\"architectures\": [\"MistralForCausalLM\"], \"hidden_size\": 8,"
                           " \"intermediate_size\": 8, \"num_hidden_layers\": 1,"
                           " \"num_attention_heads\": 2, \"vocab_size\": 10,"
                           " \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4}}",
                           &c, &err),
                     TP_OK);
    double inv[2];
    llama_rope_inv_freq(&c, inv);
    assert_rel(inv[0], 0.25, 1e-15);
    assert_rel(inv[1], pow(10000.0, -0.5) / 4, 1e-15);
}

static void test_config_errors(void **state) {
    (void)state;
    struct {
        const char *json, *expect;
    } cases[] = {
        {"{\"architectures\": [\"GPT2LMHeadModel\"], \"hidden_size\": 8}",
         "not supported (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)"},
        {"{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 8, \"intermediate_size\": 8,"
         " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"vocab_size\": 10,"
         " \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}",
         "\"yarn\" is not supported (supported: default, linear, llama3)"},
        {"{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 8, \"intermediate_size\": 8,"
         " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"vocab_size\": 10,"
         " \"hidden_act\": \"gelu\"}",
         "$.hidden_act: \"gelu\" is not supported"},
        {"{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 8, \"intermediate_size\": 8,"
         " \"num_hidden_layers\": 1, \"num_attention_heads\": 3, \"num_key_value_heads\": 2,"
         " \"vocab_size\": 10}",
         "does not divide"},
        {"{\"architectures\": [\"LlamaForCausalLM\"], \"intermediate_size\": 8}",
         "$.hidden_size: missing"},
        {"{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": \"big\"}",
         "$.hidden_size: expected a number"},
        {"{\"architectures\": ", "config.json:1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        LlamaConfig c;
        TpError err = {0};
        TpStatus st = parse(cases[i].json, &c, &err);
        if (st != TP_EINVAL || !strstr(err.msg, cases[i].expect))
            fail_msg("case %zu: %d \"%s\"; expected \"%s\"", i, st, err.msg, cases[i].expect);
    }
}

static LlamaConfig tiny(void) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 32;
    c.intermediate = 48;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 8;
    c.vocab = 40;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.bos_id = 1;
    return c;
}

/* Decoding one token at a time with the cache must give the logits the
 * full causal forward gives at each position. */
static void test_kv_cache_matches_forward(void **state) {
    (void)state;
    LlamaConfig c = tiny();
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 3, 0.3f);
    int ids[9] = {1, 7, 3, 22, 39, 0, 5, 5, 18};
    assert_int_equal(llama_forward(&m, ids, NULL, 1, 9, NULL, NULL, &err), TP_OK);
    const float *full = llama_logits(&m);
    LlamaKV *kv;
    assert_int_equal(llama_kv_new(&m, 9, &kv, &err), TP_OK);
    float logits[40];
    double worst = 0;
    for (int t = 0; t < 9; t++) {
        assert_int_equal(llama_decode_step(&m, kv, ids[t], logits, &err), TP_OK);
        for (int v = 0; v < 40; v++) {
            double d = fabs(logits[v] - full[t * 40 + v]);
            if (d > worst)
                worst = d;
        }
    }
    assert_true(worst < 1e-4);
    assert_int_equal(llama_kv_len(kv), 9);
    assert_int_equal(llama_decode_step(&m, kv, 1, logits, &err), TP_EINVAL); /* full */
    llama_kv_free(kv);
    /* bad ids are refused, not read out of bounds */
    int bad[2] = {1, 40};
    assert_int_equal(llama_forward(&m, bad, NULL, 1, 2, NULL, NULL, &err), TP_EINVAL);
    llama_model_free(&m);
}

/* Loss of a sequence equals the mean of per-position cross-entropies and
 * ignores masked targets. */
static void test_loss_masking(void **state) {
    (void)state;
    LlamaConfig c = tiny();
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    /* zero weights: every logit is 0, so each counted position costs ln 40 */
    int ids[4] = {1, 2, 3, 4}, tg[4] = {2, -100, 4, -100};
    float loss;
    int n;
    assert_int_equal(llama_forward(&m, ids, tg, 1, 4, &loss, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_close(loss, log(40.0), 1e-5);
    llama_model_free(&m);
}

static void test_sampling(void **state) {
    (void)state;
    float logits[4] = {logf(1), logf(2), logf(3), logf(4)}; /* p = 0.1 .. 0.4 */
    LlamaSampler greedy = {0, 1, 0};
    uint64_t rng = 12345;
    assert_int_equal(llama_sample(logits, 4, &greedy, &rng), 3);
    LlamaSampler t1 = {1.0f, 1.0f, 0};
    int count[4] = {0};
    for (int i = 0; i < 20000; i++)
        count[llama_sample(logits, 4, &t1, &rng)]++;
    /* binomial standard deviation at p = 0.4 is sqrt(.24/20000) = 0.0035 */
    for (int k = 0; k < 4; k++)
        assert_close(count[k] / 20000.0, (k + 1) / 10.0, 0.015);
    /* top-p 0.5 keeps 0.4 and 0.3 (cumulative 0.7 >= 0.5): only ids 3, 2 */
    LlamaSampler nucleus = {1.0f, 0.5f, 0};
    memset(count, 0, sizeof count);
    for (int i = 0; i < 20000; i++)
        count[llama_sample(logits, 4, &nucleus, &rng)]++;
    assert_int_equal(count[0] + count[1], 0);
    assert_close(count[3] / 20000.0, 4.0 / 7.0, 0.015);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama32_config),
        cmocka_unit_test(test_qwen2_and_v5_rope),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_kv_cache_matches_forward),
        cmocka_unit_test(test_loss_masking),
        cmocka_unit_test(test_sampling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
