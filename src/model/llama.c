/* llama.c - the Llama model: parameters in one block, forward with saved
 * activations, backward, and single-token decoding with a KV cache. */
#include "tunepilot/llama.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/llama_head.h"
#include "model/llama_ops.h"
#include "tunepilot/arena.h"
#include "tunepilot/bf16.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

/* --- parameters ----------------------------------------------------------------- */

const char *const LLAMA_LINEAR_NAMES[LLAMA_N_LINEAR] = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

/* Points w's tensors into base (NULL base: only counts). Returns floats
 * used. Order: embed, layers (attn_norm, wq, bq, wk, bk, wv, bv, wo,
 * mlp_norm, wgate, wup, wdown), final_norm, lm_head unless tied. */
static size_t layout(const LlamaConfig *c, bool no_linear, float *base, LlamaWeights *w) {
    size_t C = c->hidden, F = c->intermediate, V = c->vocab;
    size_t q = (size_t)c->n_heads * c->head_dim, kv = (size_t)c->n_kv_heads * c->head_dim;
    size_t off = 0;
    LlamaWeights dummy_w = {0};
    LlamaLayerWeights dummy_l = {0};
    if (!base)
        w = &dummy_w; /* counting only: pointers are not set */
#define TAKE(field, count)                                                                         \
    do {                                                                                           \
        if (base)                                                                                  \
            (field) = base + off;                                                                  \
        off += (count);                                                                            \
    } while (0)
#define TAKE_LIN(field, count)                                                                     \
    do {                                                                                           \
        if (no_linear)                                                                             \
            (field) = NULL;                                                                        \
        else                                                                                       \
            TAKE(field, count);                                                                    \
    } while (0)
    TAKE(w->embed, V * C);
    for (int l = 0; l < c->n_layers; l++) {
        LlamaLayerWeights *L = base ? &w->layers[l] : &dummy_l;
        TAKE(L->attn_norm, C);
        TAKE_LIN(L->wq, q * C);
        TAKE_LIN(L->wk, kv * C);
        TAKE_LIN(L->wv, kv * C);
        TAKE_LIN(L->wo, C * q);
        if (c->attention_bias) {
            TAKE(L->bq, q);
            TAKE(L->bk, kv);
            TAKE(L->bv, kv);
        } else {
            L->bq = L->bk = L->bv = NULL;
        }
        TAKE(L->mlp_norm, C);
        TAKE_LIN(L->wgate, F * C);
        TAKE_LIN(L->wup, F * C);
        TAKE_LIN(L->wdown, C * F);
    }
    TAKE(w->final_norm, C);
    if (c->tie_embeddings)
        w->lm_head = w->embed;
    else
        TAKE(w->lm_head, V * C);
#undef TAKE
#undef TAKE_LIN
    return off;
}

static TpStatus model_init(LlamaModel *m, const LlamaConfig *c, bool no_linear, TpError *err) {
    memset(m, 0, sizeof *m);
    if (c->hidden <= 0 || c->n_layers <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 ||
        c->head_dim <= 0 || c->head_dim % 2 || c->vocab <= 0 || c->intermediate <= 0 ||
        c->n_heads % c->n_kv_heads)
        return tp_error_set(err, TP_EINVAL, "invalid model configuration");
    m->cfg = *c;
    m->no_linear = no_linear;
    m->n_params = layout(c, no_linear, NULL, NULL);
    /* against the machine before allocating: the parameters alone must fit
     * in its physical memory */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    double have = pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
    double need = (double)m->n_params * sizeof(float);
    if (need > have)
        return tp_error_set(err, TP_EINVAL,
                            "hidden_size %d, intermediate_size %d, num_hidden_layers %d and "
                            "vocab_size %d give %zu parameters, %.1f GB as float32: more than this "
                            "machine's %.1f GB of memory",
                            c->hidden, c->intermediate, c->n_layers, c->vocab, m->n_params,
                            need / 1e9, have / 1e9);
    m->params = calloc(m->n_params, sizeof(float));
    if (!m->params)
        return tp_error_set(err, TP_ERR, "out of memory for %zu parameters (%.1f GB)", m->n_params,
                            need / 1e9);
    m->w.layers = tp_xcalloc((size_t)c->n_layers, sizeof *m->w.layers);
    layout(c, no_linear, m->params, &m->w);
    m->inv_freq = tp_xmalloc(sizeof(double) * (size_t)(c->head_dim / 2));
    llama_rope_inv_freq(c, m->inv_freq);
    return TP_OK;
}

TpStatus llama_model_init(LlamaModel *m, const LlamaConfig *c, TpError *err) {
    return model_init(m, c, false, err);
}

TpStatus llama_model_init_no_linear(LlamaModel *m, const LlamaConfig *c, TpError *err) {
    return model_init(m, c, true, err);
}

float *llama_linear_weight(const LlamaWeights *w, int layer, LlamaLinear which) {
    const LlamaLayerWeights *L = &w->layers[layer];
    float *const ptrs[LLAMA_N_LINEAR] = {L->wq, L->wk, L->wv, L->wo, L->wgate, L->wup, L->wdown};
    return ptrs[which];
}

void llama_linear_shape(const LlamaConfig *c, LlamaLinear which, int *out, int *in) {
    int C = c->hidden, F = c->intermediate;
    int q = c->n_heads * c->head_dim, kv = c->n_kv_heads * c->head_dim;
    const int outs[LLAMA_N_LINEAR] = {q, kv, kv, C, F, F, C};
    const int ins[LLAMA_N_LINEAR] = {C, C, C, q, C, C, F};
    *out = outs[which];
    *in = ins[which];
}

void llama_set_hooks(LlamaModel *m, const LlamaLinearHooks *hooks) {
    if (hooks)
        m->hooks = *hooks;
    else
        memset(&m->hooks, 0, sizeof m->hooks);
}

void llama_grads_enable(LlamaModel *m) {
    if (m->grads)
        return;
    m->grads = tp_xcalloc(m->n_params, sizeof(float));
    m->g.layers = tp_xcalloc((size_t)m->cfg.n_layers, sizeof *m->g.layers);
    layout(&m->cfg, m->no_linear, m->grads, &m->g);
}

void llama_zero_grad(LlamaModel *m) {
    if (m->grads)
        memset(m->grads, 0, m->n_params * sizeof(float));
}

static double normal(TpRng *r) {
    double u1 = tp_rng_uniform(r), u2 = tp_rng_uniform(r);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

void llama_model_randomize(LlamaModel *m, uint64_t seed, float std) {
    TpRng r;
    tp_rng_seed(&r, seed);
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] = (float)(normal(&r) * std);
    const LlamaConfig *c = &m->cfg;
    for (int l = 0; l < c->n_layers; l++)
        for (int i = 0; i < c->hidden; i++)
            m->w.layers[l].attn_norm[i] = m->w.layers[l].mlp_norm[i] = 1.0f;
    for (int i = 0; i < c->hidden; i++)
        m->w.final_norm[i] = 1.0f;
}

/* --- activations ---------------------------------------------------------------------- */

struct LlamaActs {
    int B, T, N;
    int recompute;            /* blocks 0..recompute-1 share one set of buffers (only x_in
                               * is theirs) and are replayed by the backward */
    int threads, bwd_threads; /* the pool's threads the per-thread buffers were sized for */
    float *mem, *bwd;
    /* per layer, indexed [l]: */
    float **x_in, **rstd1, **q, **k, **v, **attn_out, **x_mid, **rstd2, **gate, **up;
    bool gu_half; /* gate and up were sized for bf16 (half the floats) */
    bool gu16;    /* the last forward kept gate and up in bf16 (llama_set_act_bf16) */
    /* not saved, computed again where the backward needs them (bit for bit
     * the same values): the norms' outputs, SwiGLU's product and the
     * attention probabilities; these are the buffers they are made in */
    float *ln, *act, *att_work; /* [N, C], [N, F], 2 T*T per pool thread */
    /* a replayed block's norm-1 output and attention probabilities, kept
     * from the replay for its backward ([N, C], [B, H, T, T]; only when
     * blocks are replayed) */
    float *ln1_rp, *att_rp;
    float *x_final, *lnf, *rstdf, *losses, *lse;
    float *logits;              /* [N, V], only when llama_logits asks (NULL until then) */
    float *head_work;           /* the fused head's chunks of logits (llama_head.h) */
    float *dlnf;                /* [N, C]: d(loss)/d(lnf) when the forward computed it */
    bool head_grad;             /* dlnf holds this forward's head gradient */
    float *rope_cos, *rope_sin; /* [T, D/2] for positions 0..T-1 */
    int *ids, *targets;
    int counted;
    /* backward */
    float *dx, *dln, *dattn, *dq, *dk, *dv, *dgate, *dup, *dact;
};

#define GATE16(a, l) ((uint16_t *)(a)->gate[l])
#define UP16(a, l) ((uint16_t *)(a)->up[l])

static void acts_free(LlamaActs *a) {
    if (!a)
        return;
    free(a->mem);
    free(a->bwd);
    free(a->logits);
    free(a->head_work);
    free(a->x_in);
    free(a->ids);
    free(a->targets);
    free(a);
}

/* (Re)allocates activations for B x T. */
static TpStatus acts_ensure(LlamaModel *m, int B, int T, TpError *err) {
    LlamaActs *a = m->acts;
    /* the head's work area holds a chunk per thread: more threads than it
     * was sized for need new buffers */
    if (a && a->B == B && a->T == T && a->recompute == m->recompute_layers &&
        a->threads >= tp_pool_threads() && (m->act_bf16 || !a->gu_half)) {
        a->gu16 = m->act_bf16; /* bf16 fits in fp32's room too */
        return TP_OK;
    }
    acts_free(a);
    m->acts = NULL;
    const LlamaConfig *c = &m->cfg;
    size_t N = (size_t)B * T, C = c->hidden, F = c->intermediate, L = c->n_layers;
    size_t q = (size_t)c->n_heads * c->head_dim, kv = (size_t)c->n_kv_heads * c->head_dim;
    size_t R = (size_t)m->recompute_layers, threads = (size_t)tp_pool_threads();
    /* gate and up: N * F floats each, or in bf16 half as many */
    size_t gu = m->act_bf16 ? (N * F + 1) / 2 : N * F;
    size_t per_layer = N * C * 2 + N * 2 + N * q * 2 + N * kv * 2 + gu * 2;
    size_t half = (size_t)c->head_dim / 2;
    /* the replayed blocks share one block's worth of everything but x_in */
    size_t kept = (L - R) * per_layer + (R > 0 ? per_layer + (R - 1) * N * C : 0);
    size_t shared = N * C + N * F + 2 * (size_t)T * T * threads;
    size_t att_rp = R > 0 ? (size_t)B * c->n_heads * T * T : 0, ln1_rp = R > 0 ? N * C : 0;
    shared += att_rp + ln1_rp;
    size_t total = kept + shared + N * C * 3 + N + 2 * N + 2 * (size_t)T * half;
    a = tp_xcalloc(1, sizeof *a);
    a->mem = malloc(total * sizeof(float));
    a->head_work = malloc(llama_head_work_floats(c->vocab) * sizeof(float));
    if (!a->mem || !a->head_work) {
        free(a->mem);
        free(a->head_work);
        free(a);
        return tp_error_set(err, TP_ERR, "out of memory for activations (%zu floats)", total);
    }
    a->B = B;
    a->T = T;
    a->N = (int)N;
    a->recompute = m->recompute_layers;
    a->threads = (int)threads;
    a->gu_half = a->gu16 = m->act_bf16;
    float ***lists[] = {&a->x_in,     &a->rstd1, &a->q,     &a->k,    &a->v,
                        &a->attn_out, &a->x_mid, &a->rstd2, &a->gate, &a->up};
    size_t sizes[] = {N * C, N, N * q, N * kv, N * kv, N * q, N * C, N, gu, gu};
    size_t nl = sizeof sizes / sizeof sizes[0];
    float **ptrs = tp_xcalloc(nl * L, sizeof *ptrs);
    float *p = a->mem;
    for (size_t i = 0; i < nl; i++) {
        *lists[i] = ptrs + i * L;
        for (size_t l = 0; l < L; l++) {
            if (i > 0 && l > 0 && l < R) { /* i == 0: x_in, always per layer */
                (*lists[i])[l] = (*lists[i])[0];
                continue;
            }
            (*lists[i])[l] = p;
            p += sizes[i];
        }
    }
    a->ln = p;
    p += N * C;
    a->act = p;
    p += N * F;
    a->att_work = p;
    p += 2 * (size_t)T * T * threads;
    a->ln1_rp = R > 0 ? p : NULL;
    p += ln1_rp;
    a->att_rp = R > 0 ? p : NULL;
    p += att_rp;
    a->x_final = p;
    p += N * C;
    a->lnf = p;
    p += N * C;
    a->rstdf = p;
    p += N;
    a->dlnf = p;
    p += N * C;
    a->losses = p;
    p += N;
    a->lse = p;
    p += N;
    a->rope_cos = p;
    p += (size_t)T * half;
    a->rope_sin = p;
    op_rope_table(a->rope_cos, a->rope_sin, m->inv_freq, 0, T, c->head_dim);
    a->ids = tp_xmalloc(sizeof(int) * N);
    a->targets = tp_xmalloc(sizeof(int) * N);
    m->acts = a;
    return TP_OK;
}

void llama_model_free(LlamaModel *m) {
    if (!m)
        return;
    free(m->params);
    free(m->grads);
    free(m->w.layers);
    free(m->g.layers);
    free(m->inv_freq);
    acts_free(m->acts);
    llama_head_bf16_free(m->head_bf16);
    memset(m, 0, sizeof *m);
}

/* --- linear layers: fp32 weights, or the hooks ------------------------------------------ */

static void lin_fwd(const LlamaModel *m, int l, LlamaLinear which, float *out, const float *inp,
                    const float *bias, int N) {
    int Out, In;
    llama_linear_shape(&m->cfg, which, &Out, &In);
    if (!m->hooks.forward) {
        op_matmul_forward(out, inp, llama_linear_weight(&m->w, l, which), bias, N, In, Out);
        return;
    }
    m->hooks.forward(m->hooks.ctx, l, which, out, inp, N, In, Out);
    if (bias)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Out; o++)
                out[(size_t)n * Out + o] += bias[o];
}

/* dinp += d/dinp; weight (and bias) gradients when weight_grads. */
static void lin_bwd(LlamaModel *m, int l, LlamaLinear which, float *dinp, float *dbias,
                    const float *dout, const float *inp, int N, bool weight_grads) {
    int Out, In;
    llama_linear_shape(&m->cfg, which, &Out, &In);
    if (!m->hooks.backward) {
        op_matmul_backward(dinp, weight_grads ? llama_linear_weight(&m->g, l, which) : NULL,
                           weight_grads ? dbias : NULL, dout, inp,
                           llama_linear_weight(&m->w, l, which), N, In, Out);
        return;
    }
    m->hooks.backward(m->hooks.ctx, l, which, dinp, dout, inp, N, In, Out);
    if (weight_grads && dbias)
        op_matmul_backward(NULL, NULL, dbias, dout, inp, NULL, N, In, Out);
}

/* --- forward -------------------------------------------------------------------------- */

/* Block l from a->x_in[l] to a->x_in[l + 1] (x_final after the last),
 * saving what its backward needs. */
static void layer_forward(LlamaModel *m, int l) {
    const LlamaConfig *c = &m->cfg;
    LlamaActs *a = m->acts;
    int B = a->B, T = a->T, N = a->N, C = c->hidden, F = c->intermediate, H = c->n_heads;
    int KV = c->n_kv_heads, D = c->head_dim;
    const LlamaLayerWeights *w = &m->w.layers[l];
    float *x = a->x_in[l];
    /* a replay keeps norm 1's output and the probabilities for the
     * backward that follows it */
    float *ln1 = m->replaying ? a->ln1_rp : a->ln, *att = m->replaying ? a->att_rp : NULL;
    op_rmsnorm_forward(ln1, a->rstd1[l], x, w->attn_norm, N, C, c->rms_eps);
    lin_fwd(m, l, LLAMA_Q, a->q[l], ln1, w->bq, N);
    lin_fwd(m, l, LLAMA_K, a->k[l], ln1, w->bk, N);
    lin_fwd(m, l, LLAMA_V, a->v[l], ln1, w->bv, N);
    op_rope_forward(a->q[l], a->rope_cos, a->rope_sin, N, T, H, D);
    op_rope_forward(a->k[l], a->rope_cos, a->rope_sin, N, T, KV, D);
    op_attention_forward(a->attn_out[l], att, a->att_work, a->q[l], a->k[l], a->v[l], B, T, H, KV,
                         D, llama_layer_window(c, l));
    float *mid = a->x_mid[l];
    lin_fwd(m, l, LLAMA_O, mid, a->attn_out[l], NULL, N);
    for (size_t i = 0; i < (size_t)N * C; i++)
        mid[i] += x[i];
    op_rmsnorm_forward(a->ln, a->rstd2[l], mid, w->mlp_norm, N, C, c->rms_eps);
    if (a->gu16) { /* made in act, kept in bf16 */
        lin_fwd(m, l, LLAMA_GATE, a->act, a->ln, NULL, N);
        op_bf16_store(GATE16(a, l), a->act, (size_t)N * F);
        lin_fwd(m, l, LLAMA_UP, a->act, a->ln, NULL, N);
        op_bf16_store(UP16(a, l), a->act, (size_t)N * F);
        op_swiglu_forward_bf16(a->act, GATE16(a, l), UP16(a, l), (size_t)N * F);
    } else {
        lin_fwd(m, l, LLAMA_GATE, a->gate[l], a->ln, NULL, N);
        lin_fwd(m, l, LLAMA_UP, a->up[l], a->ln, NULL, N);
        op_swiglu_forward(a->act, a->gate[l], a->up[l], (size_t)N * F);
    }
    float *out = l + 1 < c->n_layers ? a->x_in[l + 1] : a->x_final;
    lin_fwd(m, l, LLAMA_DOWN, out, a->act, NULL, N);
    for (size_t i = 0; i < (size_t)N * C; i++)
        out[i] += mid[i];
}

TpStatus llama_forward(LlamaModel *m, const int *ids, const int *targets, int B, int T, float *loss,
                       int *n_counted, TpError *err) {
    const LlamaConfig *c = &m->cfg;
    if (B <= 0 || T <= 0)
        return tp_error_set(err, TP_EINVAL, "forward: empty batch");
    for (int i = 0; i < B * T; i++) {
        if (ids[i] < 0 || ids[i] >= c->vocab)
            return tp_error_set(err, TP_EINVAL,
                                "forward: token id %d at %d is outside the "
                                "vocabulary (0..%d)",
                                ids[i], i, c->vocab - 1);
        if (targets && targets[i] != LLAMA_IGNORE && (targets[i] < 0 || targets[i] >= c->vocab))
            return tp_error_set(err, TP_EINVAL,
                                "forward: target %d at %d is outside the "
                                "vocabulary",
                                targets[i], i);
    }
    TpStatus st = acts_ensure(m, B, T, err);
    if (st != TP_OK)
        return st;
    LlamaActs *a = m->acts;
    int N = B * T, C = c->hidden, V = c->vocab;
    memcpy(a->ids, ids, sizeof(int) * (size_t)N);
    for (int i = 0; i < N; i++)
        a->targets[i] = targets ? targets[i] : LLAMA_IGNORE;
    op_embedding_forward(a->x_in[0], ids, m->w.embed, N, C);
    for (int l = 0; l < c->n_layers; l++)
        layer_forward(m, l);
    op_rmsnorm_forward(a->lnf, a->rstdf, a->x_final, m->w.final_norm, N, C, c->rms_eps);
    /* the head and the loss in chunks of rows; in training (llama_set_fused_head)
     * the head's gradient too, while each chunk of logits is at hand */
    free(a->logits);
    a->logits = NULL;
    int count = 0;
    for (int i = 0; i < N; i++)
        count += a->targets[i] != LLAMA_IGNORE;
    a->head_grad = m->fused_head && count > 0;
    a->counted =
        llama_head_run_dt(a->lnf, m->w.lm_head, m->head_bf16, a->targets, N, C, V, LLAMA_IGNORE,
                          a->losses, a->lse, a->head_grad ? a->dlnf : NULL,
                          a->head_grad && m->fused_head_weights && m->grads ? m->g.lm_head : NULL,
                          1.0 / (count ? count : 1), a->head_work);
    if (loss) {
        double sum = 0;
        for (int i = 0; i < N; i++)
            sum += a->losses[i];
        *loss = a->counted ? (float)(sum / a->counted) : NAN;
    }
    if (n_counted)
        *n_counted = a->counted;
    return TP_OK;
}

const float *llama_logits(LlamaModel *m) {
    LlamaActs *a = m->acts;
    if (!a)
        return NULL;
    if (!a->logits) {
        size_t n = (size_t)a->N * m->cfg.vocab;
        a->logits = malloc(n * sizeof(float));
        if (!a->logits)
            return NULL;
        op_matmul_forward(a->logits, a->lnf, m->w.lm_head, NULL, a->N, m->cfg.hidden, m->cfg.vocab);
    }
    return a->logits;
}

void llama_set_recompute(LlamaModel *m, bool on) {
    llama_set_recompute_layers(m, on ? m->cfg.n_layers : 0);
}

void llama_set_recompute_layers(LlamaModel *m, int n) {
    n = n < 0 ? 0 : n > m->cfg.n_layers ? m->cfg.n_layers : n;
    m->recompute_layers = n;
    m->recompute = n > 0;
}

bool llama_set_head_bf16(LlamaModel *m, bool on) {
    llama_head_bf16_free(m->head_bf16);
    m->head_bf16 = NULL;
    if (!on)
        return true;
    m->head_bf16 = llama_head_bf16_new(m->w.lm_head, m->cfg.vocab, m->cfg.hidden);
    return m->head_bf16 != NULL;
}

bool llama_set_act_bf16(LlamaModel *m, bool on) {
    m->act_bf16 = on && tp_bf16_available();
    return m->act_bf16 == on;
}

void llama_set_fused_head(LlamaModel *m, bool on, bool weight_grads) {
    m->fused_head = on;
    m->fused_head_weights = on && weight_grads;
}

/* --- backward ------------------------------------------------------------------------- */

static void bwd_ensure(LlamaModel *m) {
    LlamaActs *a = m->acts;
    if (a->bwd && a->bwd_threads >= tp_pool_threads()) /* sized once */
        return;
    free(a->bwd);
    a->bwd_threads = tp_pool_threads();
    const LlamaConfig *c = &m->cfg;
    size_t N = a->N, C = c->hidden, F = c->intermediate;
    size_t q = (size_t)c->n_heads * c->head_dim, kv = (size_t)c->n_kv_heads * c->head_dim;
    size_t sizes[] = {N * C, N * C, N * q, N * q, N * kv, N * kv, N * F, N * F, N * F};
    float **dst[] = {&a->dx, &a->dln,   &a->dattn, &a->dq,  &a->dk,
                     &a->dv, &a->dgate, &a->dup,   &a->dact};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += sizes[i];
    a->bwd = tp_xmalloc(total * sizeof(float));
    float *p = a->bwd;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *dst[i] = p;
        p += sizes[i];
    }
}

#define ZERO(p, n) memset((p), 0, sizeof(float) * (size_t)(n))
#define WG(field) (weight_grads ? (field) : NULL)

TpStatus llama_backward(LlamaModel *m, bool weight_grads, TpError *err) {
    LlamaActs *a = m->acts;
    if (!a)
        return tp_error_set(err, TP_EINVAL, "backward: no forward pass to differentiate");
    if (weight_grads && !m->grads)
        return tp_error_set(err, TP_EINVAL, "backward: weight gradients are not enabled");
    bwd_ensure(m);
    const LlamaConfig *c = &m->cfg;
    int N = a->N, B = a->B, T = a->T, C = c->hidden, F = c->intermediate, V = c->vocab;
    int H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim, q = H * D, kv = KV * D;
    if (a->head_grad && (!weight_grads || m->fused_head_weights))
        memcpy(a->dln, a->dlnf, sizeof(float) * (size_t)N * C); /* computed by the forward */
    else if (a->counted > 0) /* recompute the chunks of logits for their gradient */
        llama_head_run_dt(a->lnf, m->w.lm_head, m->head_bf16, a->targets, N, C, V, LLAMA_IGNORE,
                          a->losses, a->lse, a->dln, WG(m->g.lm_head), 1.0 / a->counted,
                          a->head_work);
    else
        ZERO(a->dln, N * C);
    ZERO(a->dx, N * C);
    op_rmsnorm_backward(a->dx, WG(m->g.final_norm), a->dln, a->x_final, m->w.final_norm, a->rstdf,
                        N, C);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        const LlamaLayerWeights *w = &m->w.layers[l];
        bool replayed = l < a->recompute;
        if (replayed) {
            /* this block's activations again, from its saved input, with the
             * same dropout masks (the hooks see m->replaying); leaves act,
             * norm 2's output in ln, ln1_rp and att_rp */
            m->replaying = true;
            layer_forward(m, l);
            m->replaying = false;
        } else if (a->gu16) {
            op_swiglu_forward_bf16(a->act, GATE16(a, l), UP16(a, l), (size_t)N * F);
        } else {
            op_swiglu_forward(a->act, a->gate[l], a->up[l], (size_t)N * F);
        }
        LlamaLayerWeights *g = weight_grads ? &m->g.layers[l] : NULL;
        /* out = mid + act Wdown^T */
        ZERO(a->dact, N * F);
        lin_bwd(m, l, LLAMA_DOWN, a->dact, NULL, a->dx, a->act, N, weight_grads);
        ZERO(a->dgate, N * F);
        ZERO(a->dup, N * F);
        if (a->gu16)
            op_swiglu_backward_bf16(a->dgate, a->dup, a->dact, GATE16(a, l), UP16(a, l),
                                    (size_t)N * F);
        else
            op_swiglu_backward(a->dgate, a->dup, a->dact, a->gate[l], a->up[l], (size_t)N * F);
        ZERO(a->dln, N * C);
        if (!replayed)
            op_rmsnorm_forward(a->ln, a->rstd2[l], a->x_mid[l], w->mlp_norm, N, C, c->rms_eps);
        lin_bwd(m, l, LLAMA_GATE, a->dln, NULL, a->dgate, a->ln, N, weight_grads);
        lin_bwd(m, l, LLAMA_UP, a->dln, NULL, a->dup, a->ln, N, weight_grads);
        op_rmsnorm_backward(a->dx, g ? g->mlp_norm : NULL, a->dln, a->x_mid[l], w->mlp_norm,
                            a->rstd2[l], N, C);
        /* mid = x + attn_out Wo^T */
        ZERO(a->dattn, N * q);
        lin_bwd(m, l, LLAMA_O, a->dattn, NULL, a->dx, a->attn_out[l], N, weight_grads);
        ZERO(a->dq, N * q);
        ZERO(a->dk, N * kv);
        ZERO(a->dv, N * kv);
        op_attention_backward(a->dq, a->dk, a->dv, a->att_work, a->dattn, a->q[l], a->k[l], a->v[l],
                              replayed ? a->att_rp : NULL, B, T, H, KV, D,
                              llama_layer_window(c, l));
        op_rope_backward(a->dq, a->rope_cos, a->rope_sin, N, T, H, D);
        op_rope_backward(a->dk, a->rope_cos, a->rope_sin, N, T, KV, D);
        ZERO(a->dln, N * C);
        float *ln1 = replayed ? a->ln1_rp : a->ln;
        if (!replayed)
            op_rmsnorm_forward(ln1, a->rstd1[l], a->x_in[l], w->attn_norm, N, C, c->rms_eps);
        lin_bwd(m, l, LLAMA_Q, a->dln, g ? g->bq : NULL, a->dq, ln1, N, weight_grads);
        lin_bwd(m, l, LLAMA_K, a->dln, g ? g->bk : NULL, a->dk, ln1, N, weight_grads);
        lin_bwd(m, l, LLAMA_V, a->dln, g ? g->bv : NULL, a->dv, ln1, N, weight_grads);
        op_rmsnorm_backward(a->dx, g ? g->attn_norm : NULL, a->dln, a->x_in[l], w->attn_norm,
                            a->rstd1[l], N, C);
    }
    if (weight_grads)
        op_embedding_backward(m->g.embed, a->dx, a->ids, N, C);
    return TP_OK;
}

const float *llama_input_grad(const LlamaModel *m) {
    return m->acts && m->acts->bwd ? m->acts->dx : NULL;
}

/* --- KV-cache decoding ---------------------------------------------------------------- */

struct LlamaKV {
    int max_len, len;
    float *k, *v; /* [L, max_len, KV*D] */
    float *x, *ln, *q, *kk, *vv, *att_out, *mid, *gate, *up, *scores, *tmp;
    float *rc, *rs; /* the current position's rope cosines and sines [D/2] */
    float rstd;
};

TpStatus llama_kv_new(const LlamaModel *m, int max_len, LlamaKV **out, TpError *err) {
    const LlamaConfig *c = &m->cfg;
    if (max_len <= 0)
        return tp_error_set(err, TP_EINVAL, "KV cache: length must be positive");
    size_t kv = (size_t)c->n_kv_heads * c->head_dim, q = (size_t)c->n_heads * c->head_dim;
    size_t C = c->hidden, F = c->intermediate;
    size_t cache = (size_t)c->n_layers * max_len * kv;
    LlamaKV *s = tp_xcalloc(1, sizeof *s);
    s->max_len = max_len;
    s->k = malloc(cache * sizeof(float));
    s->v = malloc(cache * sizeof(float));
    if (!s->k || !s->v) {
        llama_kv_free(s);
        return tp_error_set(err, TP_ERR, "out of memory for a KV cache of %d positions", max_len);
    }
    size_t work = C * 4 + q * 2 + kv * 2 + F * 2 + (size_t)max_len + C + (size_t)c->head_dim;
    float *p = tp_xcalloc(work, sizeof(float));
    s->x = p;
    s->ln = p += C;
    s->mid = p += C;
    s->tmp = p += C;
    s->q = p += C;
    s->att_out = p += q;
    s->kk = p += q;
    s->vv = p += kv;
    s->gate = p += kv;
    s->up = p += F;
    s->scores = p += F;
    s->rc = p += max_len;
    s->rs = p + c->head_dim / 2;
    *out = s;
    return TP_OK;
}

void llama_kv_free(LlamaKV *kv) {
    if (!kv)
        return;
    free(kv->k);
    free(kv->v);
    free(kv->x);
    free(kv);
}

int llama_kv_len(const LlamaKV *kv) {
    return kv->len;
}

/* Attention of the query at position pos (q [H*D]) over the cached keys
 * and values of one layer (kc, vc [max_len, KV*D], positions 0 .. pos
 * filled), within the layer's window (0: none); out [H*D]. scores holds at
 * least pos + 1 floats. */
static void attend_cached(const LlamaConfig *c, float *scores, float *out, const float *q,
                          const float *kc, const float *vc, int pos, int win) {
    int H = c->n_heads, D = c->head_dim, kv = c->n_kv_heads * D, group = H / c->n_kv_heads;
    int lo = win > 0 && pos >= win ? pos - win + 1 : 0;
    double scale = 1.0 / sqrt((double)D);
    for (int h = 0; h < H; h++) {
        const float *qh = q + (size_t)h * D;
        int g = h / group;
        float mx = -INFINITY;
        for (int t = lo; t <= pos; t++) {
            const float *kt = kc + (size_t)t * kv + (size_t)g * D;
            double dot = 0;
            for (int d = 0; d < D; d++)
                dot += (double)qh[d] * kt[d];
            scores[t] = (float)(dot * scale);
            if (scores[t] > mx)
                mx = scores[t];
        }
        double sum = 0;
        for (int t = lo; t <= pos; t++) {
            scores[t] = expf(scores[t] - mx);
            sum += scores[t];
        }
        float *oh = out + (size_t)h * D;
        memset(oh, 0, sizeof(float) * (size_t)D);
        for (int t = lo; t <= pos; t++) {
            float p = (float)(scores[t] / sum);
            const float *vt = vc + (size_t)t * kv + (size_t)g * D;
            for (int d = 0; d < D; d++)
                oh[d] += p * vt[d];
        }
    }
}

TpStatus llama_decode_step(const LlamaModel *m, LlamaKV *s, int token, float *logits,
                           TpError *err) {
    const LlamaConfig *c = &m->cfg;
    if (s->len >= s->max_len)
        return tp_error_set(err, TP_EINVAL, "KV cache full (%d positions)", s->max_len);
    if (token < 0 || token >= c->vocab)
        return tp_error_set(err, TP_EINVAL, "token id %d outside the vocabulary", token);
    int C = c->hidden, F = c->intermediate, H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim;
    int kv = KV * D, pos = s->len;
    float rstd;
    op_embedding_forward(s->x, &token, m->w.embed, 1, C);
    op_rope_table(s->rc, s->rs, m->inv_freq, pos, 1, D);
    for (int l = 0; l < c->n_layers; l++) {
        const LlamaLayerWeights *w = &m->w.layers[l];
        float *kc = s->k + ((size_t)l * s->max_len) * kv,
              *vc = s->v + ((size_t)l * s->max_len) * kv;
        op_rmsnorm_forward(s->ln, &rstd, s->x, w->attn_norm, 1, C, c->rms_eps);
        lin_fwd(m, l, LLAMA_Q, s->q, s->ln, w->bq, 1);
        lin_fwd(m, l, LLAMA_K, kc + (size_t)pos * kv, s->ln, w->bk, 1);
        lin_fwd(m, l, LLAMA_V, vc + (size_t)pos * kv, s->ln, w->bv, 1);
        op_rope_forward(s->q, s->rc, s->rs, 1, 1, H, D);
        op_rope_forward(kc + (size_t)pos * kv, s->rc, s->rs, 1, 1, KV, D);
        attend_cached(c, s->scores, s->att_out, s->q, kc, vc, pos, llama_layer_window(c, l));
        lin_fwd(m, l, LLAMA_O, s->mid, s->att_out, NULL, 1);
        for (int i = 0; i < C; i++)
            s->mid[i] += s->x[i];
        op_rmsnorm_forward(s->ln, &rstd, s->mid, w->mlp_norm, 1, C, c->rms_eps);
        lin_fwd(m, l, LLAMA_GATE, s->gate, s->ln, NULL, 1);
        lin_fwd(m, l, LLAMA_UP, s->up, s->ln, NULL, 1);
        op_swiglu_forward(s->gate, s->gate, s->up, (size_t)F);
        lin_fwd(m, l, LLAMA_DOWN, s->x, s->gate, NULL, 1);
        for (int i = 0; i < C; i++)
            s->x[i] += s->mid[i];
    }
    op_rmsnorm_forward(s->ln, &rstd, s->x, m->w.final_norm, 1, C, c->rms_eps);
    op_matmul_forward(logits, s->ln, m->w.lm_head, NULL, 1, C, c->vocab);
    s->len++;
    return TP_OK;
}

/* One chunk of n prompt tokens at positions len .. len + n - 1: the same
 * operations as n decode steps, but every linear layer multiplies n rows at
 * once, so a quantized weight is dequantized once per chunk instead of once
 * per token. Logits of the chunk's last token only. */
static void prefill_chunk(const LlamaModel *m, LlamaKV *s, const int *tokens, int n,
                          float *logits) {
    const LlamaConfig *c = &m->cfg;
    int C = c->hidden, F = c->intermediate, H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim;
    int kv = KV * D, qd = H * D, pos0 = s->len;
    size_t N = (size_t)n;
    float *x = tp_xmalloc(sizeof(float) * N * C), *ln = tp_xmalloc(sizeof(float) * N * C);
    float *mid = tp_xmalloc(sizeof(float) * N * C), *q = tp_xmalloc(sizeof(float) * N * qd);
    float *att = tp_xmalloc(sizeof(float) * N * qd), *gate = tp_xmalloc(sizeof(float) * N * F);
    float *up = tp_xmalloc(sizeof(float) * N * F), *rstd = tp_xmalloc(sizeof(float) * N);
    float *rc = tp_xmalloc(sizeof(float) * N * (size_t)(D / 2));
    float *rs = tp_xmalloc(sizeof(float) * N * (size_t)(D / 2));
    op_embedding_forward(x, tokens, m->w.embed, n, C);
    op_rope_table(rc, rs, m->inv_freq, pos0, n, D);
    for (int l = 0; l < c->n_layers; l++) {
        const LlamaLayerWeights *w = &m->w.layers[l];
        float *kc = s->k + ((size_t)l * s->max_len) * kv,
              *vc = s->v + ((size_t)l * s->max_len) * kv;
        float *kn = kc + (size_t)pos0 * kv, *vn = vc + (size_t)pos0 * kv;
        op_rmsnorm_forward(ln, rstd, x, w->attn_norm, n, C, c->rms_eps);
        lin_fwd(m, l, LLAMA_Q, q, ln, w->bq, n);
        lin_fwd(m, l, LLAMA_K, kn, ln, w->bk, n);
        lin_fwd(m, l, LLAMA_V, vn, ln, w->bv, n);
        op_rope_forward(q, rc, rs, n, n, H, D);
        op_rope_forward(kn, rc, rs, n, n, KV, D);
        int win = llama_layer_window(c, l);
        for (int i = 0; i < n; i++) /* as llama_decode_step, token by token */
            attend_cached(c, s->scores, att + (size_t)i * qd, q + (size_t)i * qd, kc, vc, pos0 + i,
                          win);
        lin_fwd(m, l, LLAMA_O, mid, att, NULL, n);
        for (size_t i = 0; i < N * C; i++)
            mid[i] += x[i];
        op_rmsnorm_forward(ln, rstd, mid, w->mlp_norm, n, C, c->rms_eps);
        lin_fwd(m, l, LLAMA_GATE, gate, ln, NULL, n);
        lin_fwd(m, l, LLAMA_UP, up, ln, NULL, n);
        op_swiglu_forward(gate, gate, up, N * F);
        lin_fwd(m, l, LLAMA_DOWN, x, gate, NULL, n);
        for (size_t i = 0; i < N * C; i++)
            x[i] += mid[i];
    }
    if (logits) {
        op_rmsnorm_forward(ln, rstd, x + (N - 1) * C, m->w.final_norm, 1, C, c->rms_eps);
        op_matmul_forward(logits, ln, m->w.lm_head, NULL, 1, C, c->vocab);
    }
    s->len += n;
    free(x);
    free(ln);
    free(mid);
    free(q);
    free(att);
    free(gate);
    free(up);
    free(rstd);
    free(rc);
    free(rs);
}

TpStatus llama_prefill(const LlamaModel *m, LlamaKV *s, const int *tokens, int n, float *logits,
                       TpError *err) {
    if (n <= 0)
        return tp_error_set(err, TP_EINVAL, "prefill: no tokens");
    if (n > s->max_len - s->len)
        return tp_error_set(err, TP_EINVAL, "KV cache full (%d positions, %d used, %d more asked)",
                            s->max_len, s->len, n);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->cfg.vocab)
            return tp_error_set(err, TP_EINVAL, "token id %d outside the vocabulary", tokens[i]);
    for (int done = 0; done < n;) {
        int k = n - done < LLAMA_PREFILL_CHUNK ? n - done : LLAMA_PREFILL_CHUNK;
        prefill_chunk(m, s, tokens + done, k, done + k == n ? logits : NULL);
        done += k;
    }
    return TP_OK;
}

/* --- sampling --------------------------------------------------------------------------- */

typedef struct Cand {
    float p;
    int id;
} Cand;

static int by_prob_desc(const void *a, const void *b) {
    float x = ((const Cand *)a)->p, y = ((const Cand *)b)->p;
    return x < y ? 1 : x > y ? -1 : ((const Cand *)a)->id - ((const Cand *)b)->id;
}

int llama_sample(const float *logits, int V, const LlamaSampler *s, uint64_t *rng_state) {
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best])
            best = i;
    if (!s || s->temperature <= 0)
        return best;
    Cand *c = tp_xmalloc(sizeof *c * (size_t)V);
    double sum = 0;
    for (int i = 0; i < V; i++) {
        c[i].p = expf((logits[i] - logits[best]) / s->temperature);
        c[i].id = i;
        sum += c[i].p;
    }
    int n = V;
    if (s->top_p > 0 && s->top_p < 1) {
        qsort(c, (size_t)V, sizeof *c, by_prob_desc);
        double acc = 0;
        for (n = 0; n < V; n++) {
            acc += c[n].p / sum;
            if (acc >= s->top_p) {
                n++;
                break;
            }
        }
        if (n > V)
            n = V;
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += c[i].p;
    }
    double u = (double)(tp_splitmix64(rng_state) >> 11) * 0x1.0p-53 * sum, acc = 0;
    int pick = c[n - 1].id;
    for (int i = 0; i < n; i++) {
        acc += c[i].p;
        if (u < acc) {
            pick = c[i].id;
            break;
        }
    }
    free(c);
    return pick;
}
