/* test_llama.c - config.json parsing, RoPE scaling, KV-cache decoding
 * against the full forward, sliding-window attention against a float64
 * reference, and sampling. */
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

/* A prompt prefilled in one call (in chunks of LLAMA_PREFILL_CHUNK) leaves
 * the cache as token-by-token decoding does: the last prompt position's
 * logits and every following decode step match the full causal forward. 200
 * tokens make two chunks (128 + 72). */
static void test_prefill_matches_forward(void **state) {
    (void)state;
    LlamaConfig c = tiny();
    c.max_pos = 256;
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 4, 0.3f);
    enum { T = 200, V = 40 };
    static int ids[T];
    for (int t = 0; t < T; t++)
        ids[t] = (t * 7 + 3) % V;
    assert_int_equal(llama_forward(&m, ids, NULL, 1, T, NULL, NULL, &err), TP_OK);
    const float *full = llama_logits(&m);
    int splits[] = {1, 5, 128, 129, 190};
    for (size_t si = 0; si < sizeof splits / sizeof *splits; si++) {
        int n = splits[si];
        LlamaKV *kv;
        assert_int_equal(llama_kv_new(&m, T, &kv, &err), TP_OK);
        float logits[V];
        assert_int_equal(llama_prefill(&m, kv, ids, n, logits, &err), TP_OK);
        assert_int_equal(llama_kv_len(kv), n);
        double worst = 0;
        for (int v = 0; v < V; v++)
            worst = fmax(worst, fabs(logits[v] - full[(n - 1) * V + v]));
        for (int t = n; t < T; t++) {
            assert_int_equal(llama_decode_step(&m, kv, ids[t], logits, &err), TP_OK);
            for (int v = 0; v < V; v++)
                worst = fmax(worst, fabs(logits[v] - full[t * V + v]));
        }
        assert_true(worst < 1e-4);
        llama_kv_free(kv);
    }
    /* a prompt longer than the room left, an empty one and a bad id are refused */
    LlamaKV *kv;
    assert_int_equal(llama_kv_new(&m, 10, &kv, &err), TP_OK);
    float logits[V];
    assert_int_equal(llama_prefill(&m, kv, ids, 11, logits, &err), TP_EINVAL);
    assert_int_equal(llama_prefill(&m, kv, ids, 0, logits, &err), TP_EINVAL);
    int bad[2] = {1, V};
    assert_int_equal(llama_prefill(&m, kv, bad, 2, logits, &err), TP_EINVAL);
    assert_int_equal(llama_kv_len(kv), 0);
    llama_kv_free(kv);
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

/* --- sliding-window attention ---------------------------------------------------------- */

#define SW_BASE                                                                                    \
    "\"hidden_size\": 32, \"intermediate_size\": 48, \"num_hidden_layers\": 3,"                    \
    " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 40,"                 \
    " \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000, \"max_position_embeddings\": 64"

/* Which layers are windowed, by transformers' rules (configuration_mistral.py:
 * sliding_window defaults to 4096 and covers every layer; configuration_qwen2.py:
 * the window counts only with use_sliding_window, on layers >= max_window_layers
 * (default 28) unless layer_types lists them). */
static void test_sliding_window_config(void **state) {
    (void)state;
    struct {
        const char *json;
        int window, layers[3];
    } cases[] = {
        {"{\"architectures\": [\"MistralForCausalLM\"], " SW_BASE ", \"sliding_window\": 16}",
         16, {1, 1, 1}},
        {"{\"architectures\": [\"MistralForCausalLM\"], " SW_BASE "}", 4096, {1, 1, 1}},
        {"{\"architectures\": [\"MistralForCausalLM\"], " SW_BASE ", \"sliding_window\": null}",
         0, {0, 0, 0}},
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 8,"
         " \"max_window_layers\": 1}",
         0, {0, 0, 0}}, /* use_sliding_window defaults to false */
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 8,"
         " \"use_sliding_window\": true, \"max_window_layers\": 1}",
         8, {0, 1, 1}},
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"use_sliding_window\": true}",
         0, {0, 0, 0}}, /* max_window_layers 28 >= 3 layers: no layer is windowed */
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 5,"
         " \"use_sliding_window\": true, \"max_window_layers\": 0, \"layer_types\":"
         " [\"sliding_attention\", \"full_attention\", \"sliding_attention\"]}",
         5, {1, 0, 1}},
        {"{\"architectures\": [\"LlamaForCausalLM\"], " SW_BASE ", \"sliding_window\": 4}", 0,
         {0, 0, 0}}, /* LlamaConfig has no window */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        LlamaConfig c;
        TpError err = {0};
        if (parse(cases[i].json, &c, &err) != TP_OK)
            fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(c.sliding_window, cases[i].window);
        for (int l = 0; l < 3; l++)
            assert_int_equal(llama_layer_window(&c, l), cases[i].layers[l] ? cases[i].window : 0);
        /* saved and read back, the window survives */
        char *json = llama_config_to_json(&c);
        LlamaConfig back;
        assert_int_equal(parse(json, &back, &err), TP_OK);
        free(json);
        for (int l = 0; l < 3; l++)
            assert_int_equal(llama_layer_window(&back, l), llama_layer_window(&c, l));
    }
    struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 5,"
         " \"use_sliding_window\": true, \"layer_types\": [\"full_attention\"]}",
         "$.layer_types: expected a list of 3 layer types"},
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 5,"
         " \"use_sliding_window\": true, \"layer_types\":"
         " [\"full_attention\", \"chunked_attention\", \"full_attention\"]}",
         "$.layer_types[1]: expected \"full_attention\" or \"sliding_attention\""},
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"layer_types\":"
         " [\"full_attention\", \"sliding_attention\", \"full_attention\"]}",
         "sliding_attention layers but no window"},
        {"{\"architectures\": [\"MistralForCausalLM\"], " SW_BASE ", \"sliding_window\": 0}",
         "$.sliding_window"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        LlamaConfig c;
        TpError err = {0};
        TpStatus st = parse(bad[i].json, &c, &err);
        if (st != TP_EINVAL || !strstr(err.msg, bad[i].expect))
            fail_msg("bad case %zu: %d \"%s\"; expected \"%s\"", i, st, err.msg, bad[i].expect);
    }
}

/* An independent float64 forward written straight from the definition
 * (transformers modeling_llama.py / modeling_qwen2.py with masking_utils.py):
 * RMSNorm, q/k/v (+ bias), rotate-half RoPE with theta^(-2i/D), softmax
 * attention over key positions k with q - W < k <= q on a windowed layer
 * (W = win[l]; 0 = full causal), o_proj, SwiGLU MLP, final norm, lm_head.
 * It shares no code with the model: only the weights are read. */
static void rms(double *out, const double *x, const float *w, int C, double eps) {
    double ss = 0;
    for (int i = 0; i < C; i++)
        ss += x[i] * x[i];
    double r = 1 / sqrt(ss / C + eps);
    for (int i = 0; i < C; i++)
        out[i] = x[i] * r * w[i];
}

static void lin(double *out, const double *x, const float *w, const float *b, int In, int Out) {
    for (int o = 0; o < Out; o++) {
        double acc = b ? b[o] : 0;
        for (int i = 0; i < In; i++)
            acc += (double)w[(size_t)o * In + i] * x[i];
        out[o] = acc;
    }
}

static void rope(double *x, int heads, int D, int pos, double theta) {
    for (int h = 0; h < heads; h++)
        for (int i = 0; i < D / 2; i++) {
            double a = pos * pow(theta, -2.0 * i / D), c = cos(a), s = sin(a);
            double x1 = x[h * D + i], x2 = x[h * D + i + D / 2];
            x[h * D + i] = x1 * c - x2 * s;
            x[h * D + i + D / 2] = x2 * c + x1 * s;
        }
}

static void ref_logits(const LlamaModel *m, const int *ids, int T, const int *win, double *logits) {
    const LlamaConfig *c = &m->cfg;
    int C = c->hidden, F = c->intermediate, H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim;
    int V = c->vocab;
    double *x = calloc((size_t)T * C, sizeof(double)), *h = calloc(C, sizeof(double));
    double *q = calloc((size_t)T * H * D, sizeof(double)), *k = calloc((size_t)T * KV * D, 8);
    double *v = calloc((size_t)T * KV * D, 8), *att = calloc((size_t)T * H * D, 8);
    double *g = calloc(F, 8), *u = calloc(F, 8), *o = calloc(C, 8), *p = calloc(T, 8);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++)
            x[t * C + i] = m->w.embed[(size_t)ids[t] * C + i];
    for (int l = 0; l < c->n_layers; l++) {
        const LlamaLayerWeights *w = &m->w.layers[l];
        for (int t = 0; t < T; t++) {
            rms(h, x + t * C, w->attn_norm, C, c->rms_eps);
            lin(q + t * H * D, h, w->wq, w->bq, C, H * D);
            lin(k + t * KV * D, h, w->wk, w->bk, C, KV * D);
            lin(v + t * KV * D, h, w->wv, w->bv, C, KV * D);
            rope(q + t * H * D, H, D, t, c->rope_theta);
            rope(k + t * KV * D, KV, D, t, c->rope_theta);
        }
        for (int t = 0; t < T; t++)
            for (int hh = 0; hh < H; hh++) {
                int kvh = hh / (H / KV);
                double mx = -INFINITY, sum = 0;
                for (int s = 0; s <= t; s++) {
                    if (win[l] && !(s > t - win[l])) /* outside the window: masked */
                        continue;
                    double d = 0;
                    for (int i = 0; i < D; i++)
                        d += q[(t * H + hh) * D + i] * k[(s * KV + kvh) * D + i];
                    p[s] = d / sqrt((double)D);
                    mx = fmax(mx, p[s]);
                }
                for (int s = 0; s <= t; s++)
                    if (!win[l] || s > t - win[l])
                        sum += (p[s] = exp(p[s] - mx));
                for (int i = 0; i < D; i++) {
                    double acc = 0;
                    for (int s = 0; s <= t; s++)
                        if (!win[l] || s > t - win[l])
                            acc += p[s] / sum * v[(s * KV + kvh) * D + i];
                    att[(t * H + hh) * D + i] = acc;
                }
            }
        for (int t = 0; t < T; t++) {
            lin(o, att + t * H * D, w->wo, NULL, H * D, C);
            for (int i = 0; i < C; i++)
                x[t * C + i] += o[i];
            rms(h, x + t * C, w->mlp_norm, C, c->rms_eps);
            lin(g, h, w->wgate, NULL, C, F);
            lin(u, h, w->wup, NULL, C, F);
            for (int i = 0; i < F; i++)
                g[i] = g[i] / (1 + exp(-g[i])) * u[i];
            lin(o, g, w->wdown, NULL, F, C);
            for (int i = 0; i < C; i++)
                x[t * C + i] += o[i];
        }
    }
    for (int t = 0; t < T; t++) {
        rms(h, x + t * C, m->w.final_norm, C, c->rms_eps);
        lin(logits + (size_t)t * V, h, m->w.lm_head, NULL, C, V);
    }
    free(x), free(h), free(q), free(k), free(v), free(att), free(g), free(u), free(o), free(p);
}

/* The model's logits, loss and KV-cache decoding with a window, against the
 * float64 reference: a Qwen2 layout (q/k/v biases) whose layers 1 and 2 are
 * windowed (max_window_layers 1) with a window of 3, and a Mistral layout
 * with a window of 4 on every layer, over 12 tokens (well past the window).
 * The full-attention reference must differ (the window matters here). */
static void test_sliding_window_matches_reference(void **state) {
    (void)state;
    struct {
        const char *json;
        int win[3];
    } cases[] = {
        {"{\"architectures\": [\"Qwen2ForCausalLM\"], " SW_BASE ", \"sliding_window\": 3,"
         " \"use_sliding_window\": true, \"max_window_layers\": 1}",
         {0, 3, 3}},
        {"{\"architectures\": [\"MistralForCausalLM\"], " SW_BASE ", \"sliding_window\": 4}",
         {4, 4, 4}},
    };
    enum { T = 12, V = 40 };
    int ids[T] = {1, 7, 3, 22, 39, 0, 5, 5, 18, 30, 2, 11};
    int tg[T] = {7, 3, 22, 39, 0, 5, 5, 18, 30, 2, 11, 4};
    for (size_t ci = 0; ci < 2; ci++) {
        LlamaConfig c;
        TpError err = {0};
        assert_int_equal(parse(cases[ci].json, &c, &err), TP_OK);
        LlamaModel m;
        assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
        llama_model_randomize(&m, 5 + ci, 0.3f);
        if (c.attention_bias)
            for (int l = 0; l < 3; l++)
                for (int i = 0; i < 16; i++)
                    m.w.layers[l].bk[i] = 0.05f * (i % 5);
        static double ref[T * V], full[T * V];
        int nowin[3] = {0, 0, 0};
        ref_logits(&m, ids, T, cases[ci].win, ref);
        ref_logits(&m, ids, T, nowin, full);
        float loss;
        assert_int_equal(llama_forward(&m, ids, tg, 1, T, &loss, NULL, &err), TP_OK);
        const float *got = llama_logits(&m);
        double worst = 0, scale = 0, moved = 0, ref_loss = 0;
        for (int i = 0; i < T * V; i++) {
            worst = fmax(worst, fabs(got[i] - ref[i]));
            scale = fmax(scale, fabs(ref[i]));
            moved = fmax(moved, fabs(full[i] - ref[i]));
        }
        for (int t = 0; t < T; t++) {
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < V; j++)
                mx = fmax(mx, ref[t * V + j]);
            for (int j = 0; j < V; j++)
                sum += exp(ref[t * V + j] - mx);
            ref_loss += (mx + log(sum) - ref[t * V + tg[t]]) / T;
        }
        print_message("  %s: largest logit error %.2g of %.2g; the window moves logits by "
                      "%.2g; loss %.7f vs reference %.7f\n",
                      c.architecture, worst, scale, moved, loss, ref_loss);
        assert_true(worst <= 2e-5 * scale);
        assert_true(moved > 100 * worst); /* not a window that changes nothing */
        assert_true(fabs(loss - ref_loss) <= 2e-6 * ref_loss);
        /* the KV-cache decoder applies the same window */
        LlamaKV *kv;
        assert_int_equal(llama_kv_new(&m, T, &kv, &err), TP_OK);
        float step[V];
        double dworst = 0;
        for (int t = 0; t < T; t++) {
            assert_int_equal(llama_decode_step(&m, kv, ids[t], step, &err), TP_OK);
            for (int j = 0; j < V; j++)
                dworst = fmax(dworst, fabs(step[j] - ref[t * V + j]));
        }
        assert_true(dworst <= 2e-5 * scale);
        llama_kv_free(kv);
        /* a prefilled prompt applies it too */
        assert_int_equal(llama_kv_new(&m, T, &kv, &err), TP_OK);
        assert_int_equal(llama_prefill(&m, kv, ids, 7, step, &err), TP_OK);
        dworst = 0;
        for (int j = 0; j < V; j++)
            dworst = fmax(dworst, fabs(step[j] - ref[6 * V + j]));
        for (int t = 7; t < T; t++) {
            assert_int_equal(llama_decode_step(&m, kv, ids[t], step, &err), TP_OK);
            for (int j = 0; j < V; j++)
                dworst = fmax(dworst, fabs(step[j] - ref[t * V + j]));
        }
        assert_true(dworst <= 2e-5 * scale);
        llama_kv_free(kv);
        llama_model_free(&m);
    }
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
        cmocka_unit_test(test_prefill_matches_forward),
        cmocka_unit_test(test_loss_masking),
        cmocka_unit_test(test_sliding_window_config),
        cmocka_unit_test(test_sliding_window_matches_reference),
        cmocka_unit_test(test_sampling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
