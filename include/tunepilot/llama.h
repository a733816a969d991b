/* llama.h - Llama-family models (LlamaForCausalLM; Mistral and Qwen2 where
 * the difference is small): config.json, fp32 weights, forward, backward,
 * and generation with a KV cache.
 *
 * Sliding-window attention: see LlamaConfig.sliding_window.
 *
 * Dimension letters: B sequences of T tokens (N = B*T rows), C hidden size,
 * H query heads, KV key/value heads, D head dim, F intermediate size, V
 * vocabulary. Linear weights are [out, in] as in Hugging Face checkpoints.
 * Math follows transformers' modeling_llama.py: RMSNorm in fp32, RoPE with
 * the rotate-half pairing (i, i + D/2), GQA query head h reading KV head
 * h / (H / KV), SwiGLU MLP, cross-entropy over positions whose target is
 * not -100, mean over those positions.
 *
 * Owned by the model module (src/model/); included by the modules of its layer (model) and
 * those above (pricing, data, train, net, decide, cost, pilot, handoff, eval, session, report,
 * cli, tui). */
#ifndef TUNEPILOT_LLAMA_H
#define TUNEPILOT_LLAMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/error.h"
#include "tunepilot/limits.h"

#define LLAMA_IGNORE (-100) /* target id that carries no loss */

typedef enum {
    LLAMA_ROPE_DEFAULT,
    LLAMA_ROPE_LINEAR,
    LLAMA_ROPE_LLAMA3,
} LlamaRopeType;

typedef struct LlamaConfig {
    char architecture[64]; /* "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" */
    char model_type[32];
    int hidden, intermediate, n_layers, n_heads, n_kv_heads, head_dim, vocab, max_pos;
    double rms_eps, rope_theta;
    LlamaRopeType rope_type;
    double rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_pos;
    bool tie_embeddings, attention_bias, mlp_bias;
    /* Sliding-window attention (transformers masking_utils.py
     * sliding_window_overlay): in a windowed layer position q attends to key
     * positions k with q - sliding_window < k <= q, i.e. the last
     * sliding_window positions, itself included. 0 = no window. Mistral
     * windows every layer; Qwen2 those with index >= max_window_layers when
     * use_sliding_window, or those its layer_types marks "sliding_attention".
     * Bit l of window_layers is set for a windowed layer l. */
    int sliding_window;
    uint64_t window_layers[LLAMA_MAX_LAYERS / 64];
    int bos_id;                 /* -1 when unknown */
    int eos_ids[LLAMA_MAX_EOS]; /* eos_token_id may be a list */
    int n_eos;
    char torch_dtype[16];
} LlamaConfig;

/* Parses a config.json document (name is used in messages). An unsupported
 * architecture, activation or rope type is TP_EINVAL listing what is
 * supported. */
TpStatus llama_config_parse(const char *text, size_t len, const char *name, LlamaConfig *c,
                            TpError *err);
/* DIR/config.json */
TpStatus llama_config_load(const char *dir, LlamaConfig *c, TpError *err);
/* config.json text for c (caller frees). */
char *llama_config_to_json(const LlamaConfig *c);
/* Parameters, counting a tied embedding once. */
int64_t llama_config_n_params(const LlamaConfig *c);
/* The attention window of layer l: sliding_window for a windowed layer,
 * else 0 (full causal attention). */
int llama_layer_window(const LlamaConfig *c, int layer);
/* RoPE inverse frequencies, D/2 of them, with rope scaling applied. */
void llama_rope_inv_freq(const LlamaConfig *c, double *inv_freq);

typedef struct LlamaLayerWeights {
    float *attn_norm;           /* [C] */
    float *wq, *wk, *wv, *wo;   /* [H*D, C], [KV*D, C], [KV*D, C], [C, H*D] */
    float *bq, *bk, *bv;        /* [H*D], [KV*D], [KV*D] or NULL (Qwen2 has them) */
    float *mlp_norm;            /* [C] */
    float *wgate, *wup, *wdown; /* [F, C], [F, C], [C, F] */
} LlamaLayerWeights;

typedef struct LlamaWeights {
    float *embed; /* [V, C] */
    LlamaLayerWeights *layers;
    float *final_norm; /* [C] */
    float *lm_head;    /* [V, C]; equals embed when tied */
} LlamaWeights;

typedef struct LlamaActs LlamaActs; /* saved activations (private) */

/* The seven linear layers of a block, in PEFT's module names. */
typedef enum {
    LLAMA_Q,
    LLAMA_K,
    LLAMA_V,
    LLAMA_O,
    LLAMA_GATE,
    LLAMA_UP,
    LLAMA_DOWN,
    LLAMA_N_LINEAR,
} LlamaLinear;
extern const char *const LLAMA_LINEAR_NAMES[LLAMA_N_LINEAR]; /* "q_proj", ..., "down_proj" */

/* Replaces how the linear layers compute (LoRA, NF4 bases). forward writes
 * out[N, Out] = layer(inp[N, In]) without the bias (the model adds biases);
 * backward ADDS d(layer)/d(inp) applied to dout into dinp[N, In] and
 * accumulates the hook's own parameter gradients. inp in backward is the
 * same input forward saw. */
typedef struct LlamaLinearHooks {
    void *ctx;
    void (*forward)(void *ctx, int layer, LlamaLinear which, float *out, const float *inp, int N,
                    int In, int Out);
    void (*backward)(void *ctx, int layer, LlamaLinear which, float *dinp, const float *dout,
                     const float *inp, int N, int In, int Out);
} LlamaLinearHooks;

typedef struct LlamaModel {
    LlamaConfig cfg;
    float *params; /* one block; w points into it */
    size_t n_params;
    LlamaWeights w;
    float *grads; /* same layout as params; NULL until llama_grads_enable */
    LlamaWeights g;
    double *inv_freq; /* [D/2] */
    LlamaActs *acts;
    bool no_linear;                      /* linear weights live outside the model (hooks) */
    bool fused_head, fused_head_weights; /* llama_set_fused_head */
    bool recompute;                      /* llama_set_recompute: recompute_layers > 0 */
    int recompute_layers;                /* llama_set_recompute_layers */
    struct LlamaHeadBf16 *head_bf16;     /* llama_set_head_bf16: the frozen head in bf16 */
    bool act_bf16;                       /* llama_set_act_bf16: gate and up kept in bf16 */
    bool replaying;                      /* the backward is recomputing a block's forward (hooks
                                          * must reuse what they drew, e.g. dropout masks) */
    LlamaLinearHooks hooks;              /* forward == NULL: use the fp32 weights */
} LlamaModel;

/* Allocates zeroed parameters for c. Free with llama_model_free. */
TpStatus llama_model_init(LlamaModel *m, const LlamaConfig *c, TpError *err);
/* The same without the seven linear weights of each block (their pointers
 * are NULL and n_params excludes them): for bases kept elsewhere, e.g. in
 * NF4, which then must be served through hooks. */
TpStatus llama_model_init_no_linear(LlamaModel *m, const LlamaConfig *c, TpError *err);
/* Pointer to a linear weight [Out, In] of layer l (NULL with no_linear). */
float *llama_linear_weight(const LlamaWeights *w, int layer, LlamaLinear which);
/* Out and In of a linear layer. */
void llama_linear_shape(const LlamaConfig *c, LlamaLinear which, int *out, int *in);
void llama_set_hooks(LlamaModel *m, const LlamaLinearHooks *hooks); /* NULL clears */
void llama_model_free(LlamaModel *m);                               /* NULL is fine */

/* Fills every weight from a seeded normal(0, std) (norm weights 1). */
void llama_model_randomize(LlamaModel *m, uint64_t seed, float std);

/* Loads DIR (config.json + model.safetensors or a sharded index), F32, F16
 * or BF16 weights converted to fp32. A tied checkpoint may store either
 * model.embed_tokens.weight or lm_head.weight. */
TpStatus llama_model_load(const char *dir, LlamaModel *m, TpError *err);
/* Called for each linear weight while loading with llama_model_load_ex:
 * w is a temporary fp32 copy [rows = Out, cols = In], valid during the call. */
typedef TpStatus (*LlamaOnLinear)(void *ctx, int layer, LlamaLinear which, const float *w, int rows,
                                  int cols, TpError *err);
/* Loads like llama_model_load but, when on_linear is non-NULL, builds the
 * model with llama_model_init_no_linear and hands each linear weight to
 * on_linear one tensor at a time, so the full-precision linear weights are
 * never all resident. */
TpStatus llama_model_load_ex(const char *dir, LlamaModel *m, LlamaOnLinear on_linear, void *ctx,
                             TpError *err);

/* Checks that the safetensors in dir hold every tensor c implies, each with
 * the shape c gives, without allocating what c's sizes ask for: run before
 * anything is sized from config.json (the error names the tensor and the
 * config.json fields behind its shape). */
TpStatus llama_checkpoint_check(const char *dir, const LlamaConfig *c, TpError *err);
/* Writes DIR/config.json and DIR/model.safetensors (F32), atomically each. */
TpStatus llama_model_save(const LlamaModel *m, const char *dir, TpError *err);

/* Allocates (zeroed) the gradient block. */
void llama_grads_enable(LlamaModel *m);
void llama_zero_grad(LlamaModel *m);

/* Forward over B sequences of T tokens (ids [B*T], positions 0..T-1 in
 * each). With targets (non-NULL, [B*T], LLAMA_IGNORE for no loss) *loss is
 * the mean cross-entropy over the counted positions and *n_counted their
 * number (either pointer may be NULL). Saves what backward needs. */
TpStatus llama_forward(LlamaModel *m, const int *ids, const int *targets, int B, int T, float *loss,
                       int *n_counted, TpError *err);
/* Logits of the last forward, [B*T, V]. The forward computes the head and
 * the loss in chunks of rows and never holds all the logits: they are
 * computed here on the first call after a forward (NULL when out of
 * memory). Owned by the model: valid until its next forward or free. */
const float *llama_logits(LlamaModel *m);
/* Training: with on, a forward with targets also computes the gradient of
 * its mean loss at the vocabulary head (and adds the head's weight gradient
 * to m->grads when weight_grads) while each chunk of logits is at hand, so
 * that llama_backward does not compute the logits again. Pass the
 * weight_grads llama_backward will get; off for evaluation. */
void llama_set_fused_head(LlamaModel *m, bool on, bool weight_grads);
/* Activation recomputation: with on, a forward keeps only each block's
 * input and the backward runs each block's forward again before its
 * backward (one more forward of the blocks, bit-identical values), so the
 * saved activations of one block are held instead of all of them. Takes
 * effect at the next forward. */
void llama_set_recompute(LlamaModel *m, bool on);
/* The same for the first n blocks only (0: none, n_layers: all, as
 * llama_set_recompute): the other blocks keep their activations. Memory
 * falls with each block past the first that is replayed (the replayed
 * blocks share one set of buffers), and so does speed, by a block's
 * forward each; the values are the same for every n. */
void llama_set_recompute_layers(LlamaModel *m, int n);
/* The vocabulary head's two products (logits = x W^T in the forward,
 * dx = dlogits W in the backward) in bf16 with fp32 accumulation (bf16.h),
 * from a copy of the head's weight rounded to bf16 and packed once (2 x V x
 * hidden x 2 bytes, owned by the model, freed with it or by on = false).
 * For a head that does not train (LoRA, QLoRA): the copy is not updated when
 * the weights change, and a forward that asks for the head's weight gradient
 * computes in fp32. Softmax, log-sum-exp and the loss stay fp32. Returns
 * false (and keeps fp32) when the CPU has no AVX512_BF16 or memory is short;
 * on = false always returns true. */
bool llama_set_head_bf16(LlamaModel *m, bool on);
/* bf16 compute's activations: the MLP's gate and up projections' outputs,
 * which the forward saves for the backward, are rounded to bf16 as they are
 * made and kept so (2 bytes each, not 4: 2 x B*T x intermediate x 2 bytes
 * less, 189 MB on the SmolLM2-135M shape at batch 4 x 256), and SwiGLU and
 * its backward read the rounded values, in every forward alike, so the
 * results are the same whether blocks are replayed or not. The rest stays
 * fp32. Returns false (and keeps fp32) without AVX512_BF16; on = false
 * always returns true. Takes effect at the next forward. */
bool llama_set_act_bf16(LlamaModel *m, bool on);
/* Backward of the last forward's mean loss. Gradients of every operation's
 * inputs are computed; weight gradients are accumulated into m->grads when
 * weight_grads is true (requires llama_grads_enable). d(loss)/d(embedding
 * output) is left in llama_input_grad. */
TpStatus llama_backward(LlamaModel *m, bool weight_grads, TpError *err);
/* [B*T, C], owned by the model: valid until its next forward, backward or free. */
const float *llama_input_grad(const LlamaModel *m);

/* --- inference with a KV cache ---------------------------------------------- */

typedef struct LlamaKV LlamaKV;
TpStatus llama_kv_new(const LlamaModel *m, int max_len, LlamaKV **out, TpError *err);
void llama_kv_free(LlamaKV *kv);
int llama_kv_len(const LlamaKV *kv);
/* Appends one token at the next position and writes its logits [V]. */
TpStatus llama_decode_step(const LlamaModel *m, LlamaKV *kv, int token, float *logits,
                           TpError *err);
/* Appends n tokens (a prompt) at the next positions and writes the last
 * one's logits [V] (logits may be NULL): the same values as n decode steps
 * to float rounding, in chunks of LLAMA_PREFILL_CHUNK tokens, each linear
 * layer one product of the chunk's rows (a quantized weight is dequantized
 * once per chunk, not once per token). The chunk bounds the scratch: 128
 * rows of (3 hidden + 2 heads x head_dim + 2 intermediate) floats, 14 MB for
 * a Llama-3.2-1B shape (hidden 2,048, intermediate 8,192). This project's
 * choice (2026-12-02), not a measured optimum: it keeps that scratch small
 * while each dequantized weight still serves up to 128 rows. */
#define LLAMA_PREFILL_CHUNK 128
TpStatus llama_prefill(const LlamaModel *m, LlamaKV *kv, const int *tokens, int n, float *logits,
                       TpError *err);

typedef struct LlamaSampler {
    float temperature; /* 0 = greedy */
    float top_p;       /* 1 = off */
    uint64_t seed;
} LlamaSampler;
/* Picks the next token from logits [V] (uses *rng_state, seeded by caller). */
int llama_sample(const float *logits, int V, const LlamaSampler *s, uint64_t *rng_state);

#endif
