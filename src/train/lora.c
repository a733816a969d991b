/* lora.c - LoRA adapters served through the model's linear-layer hooks. */
#include "tunepilot/lora.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tunepilot/arena.h"
#include "tunepilot/pool.h"
#include "tunepilot/trainer.h"

static const char *const SHORT[LLAMA_N_LINEAR] = {"q", "k", "v", "o", "gate", "up", "down"};

TpStatus lora_parse_targets(const char *list, unsigned *mask, TpError *err) {
    *mask = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        if (!strcasecmp(tok, "all") || !strcasecmp(tok, "all-linear")) {
            *mask = LORA_ALL_TARGETS;
            continue;
        }
        int hit = -1;
        for (int i = 0; i < LLAMA_N_LINEAR; i++)
            if (!strcasecmp(tok, SHORT[i]) || !strcasecmp(tok, LLAMA_LINEAR_NAMES[i]))
                hit = i;
        if (hit < 0)
            return tp_error_set(err, TP_EINVAL,
                                "unknown module \"%s\" (expected q, k, v, o, gate, up, down, their "
                                "_proj names, or all)",
                                tok);
        *mask |= 1u << hit;
    }
    if (!*mask)
        return tp_error_set(err, TP_EINVAL, "expected at least one module");
    return TP_OK;
}

static LoraPair *pair(const Lora *l, int layer, LlamaLinear which) {
    return &l->pairs[layer * LLAMA_N_LINEAR + which];
}

TpStatus lora_init(Lora *l, const LlamaConfig *c, const LoraConfig *cfg, uint64_t seed,
                   TpError *err) {
    memset(l, 0, sizeof *l);
    TpStatus st = train_setting_check(TRAIN_SETTING_RANK, cfg->rank, err); /* trainer.h's bounds */
    if (st != TP_OK)
        return st;
    if (!(cfg->alpha > 0))
        return tp_error_set(err, TP_EINVAL, "--alpha: expected a positive number");
    if (!(cfg->dropout >= 0 && cfg->dropout < 1))
        return tp_error_set(err, TP_EINVAL, "--dropout: expected a number in [0, 1)");
    l->cfg = *cfg;
    l->scale = cfg->rslora ? cfg->alpha / sqrt((double)cfg->rank) : cfg->alpha / cfg->rank;
    l->n_layers = c->n_layers;
    l->pairs = tp_xcalloc((size_t)c->n_layers * LLAMA_N_LINEAR, sizeof *l->pairs);
    size_t total = 0, r = (size_t)cfg->rank;
    for (int layer = 0; layer < c->n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            LoraPair *p = pair(l, layer, (LlamaLinear)w);
            llama_linear_shape(c, (LlamaLinear)w, &p->out, &p->in);
            if (cfg->targets & (1u << w))
                total += r * (size_t)p->in + (size_t)p->out * r;
        }
    l->n_params = total;
    l->params = tp_xcalloc(total ? total : 1, sizeof(float));
    l->grads = tp_xcalloc(total ? total : 1, sizeof(float));
    l->u = tp_xcalloc((size_t)c->n_layers * LLAMA_N_LINEAR, sizeof *l->u);
    l->drop_seed = tp_xcalloc((size_t)c->n_layers * LLAMA_N_LINEAR, sizeof *l->drop_seed);
    TpRng init;
    tp_rng_seed(&init, seed);
    tp_rng_seed(&l->rng, seed ^ 0x5eed5eedULL);
    size_t off = 0;
    for (int layer = 0; layer < c->n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            if (!(cfg->targets & (1u << w)))
                continue;
            LoraPair *p = pair(l, layer, (LlamaLinear)w);
            p->A = l->params + off;
            p->dA = l->grads + off;
            off += r * p->in;
            p->B = l->params + off; /* zero: the adapter starts as a no-op */
            p->dB = l->grads + off;
            off += (size_t)p->out * r;
            double bound = 1.0 / sqrt((double)p->in);
            for (size_t i = 0; i < r * p->in; i++)
                p->A[i] = (float)((tp_rng_uniform(&init) * 2 - 1) * bound);
        }
    l->training = true;
    return TP_OK;
}

void lora_free(Lora *l) {
    if (!l)
        return;
    int n = l->n_layers * LLAMA_N_LINEAR;
    if (l->u)
        for (int i = 0; i < n; i++) {
            free(l->u[i]);
        }
    if (l->nf4)
        for (int i = 0; i < n; i++)
            nf4_free(&l->nf4[i]);
    free(l->nf4);
    free(l->u);
    free(l->xbuf);
    free(l->drop_seed);
    free(l->mbuf);
    free(l->pairs);
    free(l->params);
    free(l->grads);
    free(l->tmp);
    free(l->tile);
    memset(l, 0, sizeof *l);
}

void lora_zero_grad(Lora *l) {
    memset(l->grads, 0, sizeof(float) * l->n_params);
}

void lora_take_nf4(Lora *l, int layer, LlamaLinear which, Nf4Tensor *t) {
    if (!l->nf4)
        l->nf4 = tp_xcalloc((size_t)l->n_layers * LLAMA_N_LINEAR, sizeof *l->nf4);
    l->nf4[layer * LLAMA_N_LINEAR + which] = *t;
    memset(t, 0, sizeof *t);
}

static float *grow(float **buf, size_t *cap, size_t need) {
    if (need > *cap) {
        free(*buf);
        *buf = tp_xmalloc(need * sizeof(float));
        *cap = need;
    }
    return *buf;
}

/* Scratch for one pair at N rows. */
static void ensure_rows(Lora *l, int N) {
    if (N <= l->cap_n)
        return;
    int n = l->n_layers * LLAMA_N_LINEAR;
    for (int i = 0; i < n; i++) {
        LoraPair *p = &l->pairs[i];
        if (!p->A)
            continue;
        free(l->u[i]);
        l->u[i] = tp_xmalloc(sizeof(float) * (size_t)N * l->cfg.rank);
    }
    l->cap_n = N;
}

/* The masked elementwise passes, split across the pool in ranges of whole
 * mask bytes (each element computed as in one loop: the same bits). */
typedef struct DropJob {
    const Lora *l;
    const uint8_t *mk;
    const float *in;
    float *out, keep_scale;
    size_t n;
    bool accumulate; /* out[i] += in[i] * keep_scale where kept (the backward) */
} DropJob;

#define DROP_GRAIN 65536 /* elements a part at least */

static void drop_range(void *ctx, size_t i, size_t end) {
    const DropJob *j = ctx;
    const uint8_t *mk = j->mk;
    if (j->accumulate) {
        /* kept lanes get out + in * keep_scale, dropped ones keep out's bits
         * (a select, not a product by 0: the same bits as the test per bit) */
        typedef float F8 __attribute__((vector_size(32)));
        typedef uint32_t U8 __attribute__((vector_size(32)));
        const U8 lane = {1, 2, 4, 8, 16, 32, 64, 128};
        for (; i + 8 <= end; i += 8) {
            F8 x, y;
            memcpy(&x, j->out + i, sizeof x);
            memcpy(&y, j->in + i, sizeof y);
            F8 sum = x + y * j->keep_scale;
            U8 keep = (U8)((lane & mk[i >> 3]) != 0), xs, ss;
            memcpy(&xs, &x, sizeof xs);
            memcpy(&ss, &sum, sizeof ss);
            xs = (ss & keep) | (xs & ~keep);
            memcpy(j->out + i, &xs, sizeof xs);
        }
        for (; i < end; i++)
            if (mk[i >> 3] >> (i & 7) & 1)
                j->out[i] += j->in[i] * j->keep_scale;
        return;
    }
    /* eight inputs per mask byte, times the byte's eight factors: a product
     * vectorised with the compiler's vector types (a bit test per element was 5% of a
     * 135M-shape step). A kept input is inp * 1/(1-p) as before; a dropped
     * one is inp * 0 (0, or -0 for a negative input: the same products) */
    typedef float V8 __attribute__((vector_size(32)));
    for (; i + 8 <= end; i += 8) {
        V8 x, f;
        memcpy(&x, j->in + i, sizeof x);
        memcpy(&f, j->l->drop_lut[mk[i >> 3]], sizeof f);
        x *= f;
        memcpy(j->out + i, &x, sizeof x);
    }
    for (; i < end; i++)
        j->out[i] = mk[i >> 3] >> (i & 7) & 1 ? j->in[i] * j->keep_scale : 0.0f;
}

/* in ranges of whole mask bytes */
static void drop_run(DropJob *j) {
    tp_parallel_range(j->n, DROP_GRAIN, 8, drop_range, j);
}

/* Pair idx's dropout mask for n inputs, from its seed, in the shared
 * scratch (valid until the next call): made in parts across the pool. */
typedef struct MaskJob {
    uint64_t seed;
    uint8_t *bits;
    uint32_t thr;
} MaskJob;

static void mask_range(void *ctx, size_t i0, size_t i1) {
    const MaskJob *j = ctx;
    tp_rng_mask(j->seed, j->bits, i0, i1, j->thr);
}

static const uint8_t *make_mask(Lora *l, int idx, size_t n) {
    size_t bytes = (n + 7) / 8;
    if (bytes > l->mbuf_cap) {
        free(l->mbuf);
        l->mbuf = tp_xmalloc(bytes);
        l->mbuf_cap = bytes;
    }
    MaskJob j = {l->drop_seed[idx], l->mbuf, tp_rng_mask_threshold(l->cfg.dropout)};
    tp_parallel_range(n, 4 * TP_RNG_MASK_CHUNK, TP_RNG_MASK_CHUNK, mask_range, &j);
    return l->mbuf;
}

/* The dropped input x~ = mask * inp / (1 - p) of pair idx in the shared
 * scratch (valid until the next call); mk its mask. */
static const float *dropped_input(Lora *l, const uint8_t *mk, const float *inp, size_t n) {
    float *xd = grow(&l->xbuf, &l->xbuf_cap, n), keep_scale = (float)(1.0 / (1.0 - l->cfg.dropout));
    if (l->drop_lut_scale != keep_scale) {
        for (int b = 0; b < 256; b++)
            for (int k = 0; k < 8; k++)
                l->drop_lut[b][k] = b >> k & 1 ? keep_scale : 0.0f;
        l->drop_lut_scale = keep_scale;
    }
    DropJob j = {.l = l, .mk = mk, .in = inp, .out = xd, .keep_scale = keep_scale, .n = n};
    if (n > 0)
        drop_run(&j);
    return xd;
}

static const Nf4Tensor *base_nf4(const Lora *l, int layer, LlamaLinear which) {
    if (!l->nf4)
        return NULL;
    const Nf4Tensor *t = &l->nf4[layer * LLAMA_N_LINEAR + which];
    return t->codes ? t : NULL;
}

static void hook_forward(void *ctx, int layer, LlamaLinear which, float *out, const float *inp,
                         int N, int In, int Out) {
    Lora *l = ctx;
    const Nf4Tensor *q = base_nf4(l, layer, which);
    if (q) {
        float *tile = grow(&l->tile, &l->tile_cap, nf4_scratch_floats_for(q, N, l->compute));
        nf4_matmul_forward_dt(out, inp, q, N, tile, l->compute);
    } else {
        tp_sgemm(0, 1, N, Out, In, 1, inp, In, llama_linear_weight(&l->model->w, layer, which), In,
                 0, out, Out);
    }
    LoraPair *p = pair(l, layer, which);
    if (!p->A || l->disabled)
        return;
    int r = l->cfg.rank, idx = layer * LLAMA_N_LINEAR + which;
    ensure_rows(l, N);
    const float *x = inp; /* evaluation: a mask of ones */
    double pdrop = l->training ? l->cfg.dropout : 0;
    if (pdrop > 0) {
        /* inverted dropout: keep with 1 - p, scale by 1/(1 - p). Each
         * forward draws its mask's seed from the adapters' generator, and
         * the mask (tp_rng_mask: keep input i when its 32 random bits are
         * >= ceil(p 2^32)) is made in parts across the pool; only the seed
         * is kept: the backward makes the mask again, a bit per input. */
        size_t n = (size_t)N * In;
        if (!l->model->replaying) /* a recomputed forward reuses its seed */
            l->drop_seed[idx] = tp_rng_next(&l->rng);
        x = dropped_input(l, make_mask(l, idx, n), inp, n);
    }
    float *u = l->u[idx];
    tp_sgemm(0, 1, N, r, In, 1, x, In, p->A, In, 0, u, r);
    tp_sgemm(0, 1, N, Out, r, (float)l->scale, u, r, p->B, r, 1, out, Out);
}

static void hook_backward(void *ctx, int layer, LlamaLinear which, float *dinp, const float *dout,
                          const float *inp, int N, int In, int Out) {
    Lora *l = ctx;
    const Nf4Tensor *q = base_nf4(l, layer, which);
    if (q) {
        float *tile = grow(&l->tile, &l->tile_cap, nf4_scratch_floats_for(q, N, l->compute));
        nf4_matmul_backward_input_dt(dinp, dout, q, N, tile, l->compute);
    } else {
        tp_sgemm(0, 0, N, In, Out, 1, dout, Out, llama_linear_weight(&l->model->w, layer, which),
                 In, 1, dinp, In);
    }
    LoraPair *p = pair(l, layer, which);
    if (!p->A || l->disabled)
        return;
    int r = l->cfg.rank, idx = layer * LLAMA_N_LINEAR + which;
    bool dropped = l->training && l->cfg.dropout > 0;
    const uint8_t *mk = dropped ? make_mask(l, idx, (size_t)N * In) : NULL;
    const float *x = dropped ? dropped_input(l, mk, inp, (size_t)N * In) : inp;
    float s = (float)l->scale;
    /* dB += s dout^T u */
    tp_sgemm(1, 0, Out, r, N, s, dout, Out, l->u[idx], r, 1, p->dB, r);
    /* du = s dout B */
    float *du = grow(&l->tmp, &l->tmp_cap, (size_t)N * r);
    tp_sgemm(0, 0, N, r, Out, s, dout, Out, p->B, r, 0, du, r);
    /* dA += du^T x~ */
    tp_sgemm(1, 0, r, In, N, 1, du, r, x, In, 1, p->dA, In);
    if (dropped) {
        /* d(x~)/dx is the mask times 1/(1-p) */
        /* dx = du A in the dropped input's buffer, which dA was its last use of */
        float *dx = l->xbuf, keep_scale = (float)(1.0 / (1.0 - l->cfg.dropout));
        tp_sgemm(0, 0, N, In, r, 1, du, r, p->A, In, 0, dx, In);
        DropJob j = {.l = l,
                     .mk = mk,
                     .in = dx,
                     .out = dinp,
                     .keep_scale = keep_scale,
                     .n = (size_t)N * In,
                     .accumulate = true};
        if (j.n > 0)
            drop_run(&j);
    } else {
        tp_sgemm(0, 0, N, In, r, 1, du, r, p->A, In, 1, dinp, In);
    }
}

void lora_attach(Lora *l, LlamaModel *m) {
    l->model = m;
    LlamaLinearHooks h = {l, hook_forward, hook_backward};
    llama_set_hooks(m, &h);
}

void lora_tensor_name(int layer, LlamaLinear which, bool is_b, char *out, size_t size) {
    snprintf(out, size, "base_model.model.model.layers.%d.%s.%s.lora_%c.weight", layer,
             which <= LLAMA_O ? "self_attn" : "mlp", LLAMA_LINEAR_NAMES[which], is_b ? 'B' : 'A');
}

void lora_merge(const Lora *l, LlamaModel *m) {
    int r = l->cfg.rank;
    for (int layer = 0; layer < l->n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            LoraPair *p = pair(l, layer, (LlamaLinear)w);
            float *W = llama_linear_weight(&m->w, layer, (LlamaLinear)w);
            if (!p->A || !W)
                continue;
            /* W[out, in] += s B[out, r] A[r, in] */
            tp_sgemm(0, 0, p->out, p->in, r, (float)l->scale, p->B, r, p->A, p->in, 1, W, p->in);
        }
}
