/* estimate.c - what a run will need before it starts: memory and time
 * (see trainer.h: train_estimate). */
#include <stdlib.h>
#include <time.h>

#include "tunepilot/bf16.h"
#include "tunepilot/nf4.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"
#include "tunepilot/trainer.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double train_measure_gflops(void) {
    int n = 512;
    float *a = calloc((size_t)n * n, sizeof(float)), *b = calloc((size_t)n * n, sizeof(float)),
          *c = calloc((size_t)n * n, sizeof(float));
    double rate = 0;
    if (a && b && c) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < 4; i++)
            tp_sgemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        rate = 4 * 2.0 * n * n * n / s / 1e9;
    }
    free(a);
    free(b);
    free(c);
    return rate;
}

/* The blocks t's settings replay, as they stand (no auto rule): none
 * without recompute, else recompute_blocks (0 or past the model: all). */
static int replayed_blocks(const LlamaConfig *c, const TrainConfig *t) {
    if (!t->recompute)
        return 0;
    return t->recompute_blocks > 0 && t->recompute_blocks < c->n_layers ? t->recompute_blocks
                                                                        : c->n_layers;
}

void train_estimate(const LlamaConfig *c, const TrainConfig *t, double tokens_per_example,
                    double gflops, TrainEstimate *e) {
    double P = (double)llama_config_n_params(c);
    double C = c->hidden, F = c->intermediate, L = c->n_layers, V = c->vocab;
    double q = (double)c->n_heads * c->head_dim, kv = (double)c->n_kv_heads * c->head_dim;
    double lin = L * (C * q * 2 + 2 * C * kv + 3 * C * F);
    double lora = L * t->rank * ((C + q) * 2 + 2 * (C + kv) + 2 * (C + F) + (F + C));
    double base = t->method == TRAIN_QLORA ? lin * 0.52 + (P - lin) * 4 : P * 4;
    double train = t->method == TRAIN_FULL ? P * 16 : lora * 16;
    double N = (double)t->batch * t->seq, T = t->seq;
    double threads = tp_pool_threads();
    /* what the forward saves for each block (llama.c: acts_ensure; the
     * replayed blocks keep only their input and share one block's worth),
     * the buffers the norms' outputs, SwiGLU's product and the attention
     * probabilities are made in, the backward's buffers for one block, the
     * fused head's chunks of 64 rows of logits per thread, and the
     * adapters' scratch (lora.c: each pair's u [N, rank] kept for its
     * backward, the dropped input [N, in] and its mask, made again for each
     * pair) and the NF4 products' (nf4_scratch_floats_for: the input in
     * bf16 pairs or an fp32 tile) */
    bool bf16 = t->method == TRAIN_QLORA && train_compute_dtype(t) == NF4_COMPUTE_BF16;
    /* in bf16 compute gate and up are kept in bf16 (llama_set_act_bf16) */
    double block = N * (2 * C + (bf16 ? 1 : 2) * F + 2 * q + 2 * kv + 2);
    double R = replayed_blocks(c, t);
    double saved = (L - R) * block + N * (C + F) + 2 * T * T * threads;
    if (R > 0) /* one block's worth, the inputs, and the replay's norm and probabilities */
        saved += block + (R - 1) * N * C + N * C + t->batch * c->n_heads * T * T;
    double bwd = N * (2 * C + 2 * q + 2 * kv + 3 * F);
    double head = 64 * V * threads;
    /* QLoRA in bf16: the head's weight packed twice in bf16 (llama_set_head_bf16)
     * and each thread's bf16 rows of x and dlogits */
    if (bf16)
        head += V * C + 32 * (C + V) * threads;
    double wide = F > C ? F : C, scratch = 0;
    if (t->method != TRAIN_FULL)
        scratch = L * 7 * N * t->rank + N * wide + N * t->rank + N * wide / 32;
    if (t->method == TRAIN_QLORA)
        scratch += N * wide / 2 + threads * (256 * 1024 / 4 * 3);
    e->memory_mb = (base + train + (saved + bwd + head + scratch) * 4) / 1e6;
    e->gflops = gflops * 0.5;
    double tokens = (double)t->steps * t->batch * (t->grad_accum > 1 ? t->grad_accum : 1) *
                    (tokens_per_example > 0 ? tokens_per_example : t->seq);
    double fpt = (t->method == TRAIN_FULL ? 6 : 4) * P;
    e->minutes = tokens * fpt / (e->gflops * 1e9) / 60;
}

int train_recompute_blocks(const LlamaConfig *c, const TrainConfig *t) {
    if (t->recompute_off)
        return 0;
    if (t->recompute)
        return replayed_blocks(c, t);
    /* memory falls with each block replayed: the first that fits */
    TrainConfig k = *t;
    for (int n = 0; n < c->n_layers; n++) {
        k.recompute = n > 0;
        k.recompute_blocks = n;
        TrainEstimate e;
        train_estimate(c, &k, 0, 1, &e);
        if (e.memory_mb <= TRAIN_RECOMPUTE_MB)
            return n;
    }
    return c->n_layers;
}

bool train_recompute_auto(const LlamaConfig *c, const TrainConfig *t) {
    return train_recompute_blocks(c, t) > 0;
}

void train_recompute_resolve(const LlamaConfig *c, TrainConfig *t) {
    int n = train_recompute_blocks(c, t);
    t->recompute = n > 0;
    t->recompute_off = n == 0;
    t->recompute_blocks = n;
}

/* Runs fn until at least min_s has passed (after one untimed warm-up call)
 * and returns calls per second. */
typedef struct Prod {
    int kind; /* 0 nf4, 1 sgemm NT, 2 the bf16 head (b packed in bp) */
    int M, N, K;
    const float *a, *b;
    float *out, *scratch;
    const Nf4Tensor *w;
    Nf4Compute compute;
    uint32_t *bp, *abf; /* kind 2: packed b, a's rows in bf16 */
} Prod;

static void prod_run(const Prod *p) {
    if (p->kind == 0) {
        nf4_matmul_forward_dt(p->out, p->a, p->w, p->M, p->scratch, p->compute);
    } else if (p->kind == 2) {
        int kp = (p->K + 1) / 2;
        for (int i = 0; i < p->M; i++)
            tp_bf16_row(p->a + (size_t)i * p->K, p->K, p->abf + (size_t)i * kp, 2 * kp);
        tp_bf16_gemm_wide(p->M, p->N, kp, p->abf, kp, p->bp, p->out, p->N);
    } else
        tp_sgemm(0, 1, p->M, p->N, p->K, 1, p->a, p->K, p->b, p->K, 0, p->out, p->N);
}

static double prod_gflops(const Prod *p, double min_s) {
    prod_run(p); /* warm-up: caches, the pool, scratch pages */
    int n = 0;
    double t0 = now_s(), el;
    do {
        prod_run(p);
        n++;
        el = now_s() - t0;
    } while (el < min_s && n < 50);
    return n * 2.0 * p->M * p->N * p->K / el / 1e9;
}

void train_measure_rates(const LlamaConfig *c, const TrainConfig *t, TrainRates *r) {
    r->frozen_gflops = r->head_gflops = r->sgemm_gflops = 0;
    int N = t->batch * t->seq, C = c->hidden, F = c->intermediate;
    int V = c->vocab < 8192 ? c->vocab : 8192;
    if (N <= 0 || C <= 0 || F <= 0 || V <= 0)
        return;
    TpRng g;
    tp_rng_seed(&g, 1);
    size_t nw = (size_t)F * C > (size_t)V * C ? (size_t)F * C : (size_t)V * C;
    float *a = malloc(sizeof(float) * (size_t)N * C), *b = malloc(sizeof(float) * nw);
    float *out = malloc(sizeof(float) * (size_t)N * (F > V ? F : V));
    if (!a || !b || !out)
        goto done;
    for (size_t i = 0; i < (size_t)N * C; i++)
        a[i] = (float)(tp_rng_uniform(&g) * 2 - 1);
    for (size_t i = 0; i < nw; i++)
        b[i] = (float)((tp_rng_uniform(&g) * 2 - 1) * 0.0346);
    Prod p = {1, N, F, C, a, b, out, NULL, NULL, NF4_COMPUTE_FP32, NULL, NULL};
    if (t->method == TRAIN_QLORA) {
        Nf4Tensor w;
        TpError err;
        if (nf4_quantize(b, F, C, &w, &err) == TP_OK) {
            Nf4Compute cd = train_compute_dtype(t);
            float *scratch = malloc(sizeof(float) * nf4_scratch_floats_for(&w, N, cd));
            if (scratch) {
                Prod q = {0, N, F, C, a, NULL, out, scratch, &w, cd, NULL, NULL};
                r->frozen_gflops = prod_gflops(&q, 0.15);
            }
            free(scratch);
            nf4_free(&w);
        }
    } else {
        r->frozen_gflops = prod_gflops(&p, 0.15);
    }
    Prod h = {1, 64, V, C, a, b, out, NULL, NULL, NF4_COMPUTE_FP32, NULL, NULL};
    r->sgemm_gflops = prod_gflops(&h, 0.1);
    if (t->method == TRAIN_QLORA && train_compute_dtype(t) == NF4_COMPUTE_BF16) {
        /* the head as llama_set_head_bf16 runs it (one thread's share) */
        int kp = (C + 1) / 2;
        h.bp = malloc(tp_bf16_packed_words(C, V) * 4);
        h.abf = malloc((size_t)64 * kp * 4 + 64);
        uint32_t *rowbuf = malloc(((size_t)kp + 16) * 4);
        if (h.bp && h.abf && rowbuf) {
            tp_bf16_pack_rows(b, V, C, kp, h.bp, rowbuf);
            h.kind = 2;
        }
        free(rowbuf);
    }
    r->head_gflops = r->sgemm_gflops;
    if (h.kind == 2) /* one thread's rate: the step's chunks share the cores with the
                      * softmax, the conversions and the backward's product */
        r->head_gflops = prod_gflops(&h, 0.1);
    free(h.bp);
    free(h.abf);
done:
    free(a);
    free(b);
    free(out);
}

void train_estimate_rates(const LlamaConfig *c, const TrainConfig *t, double tokens_per_example,
                          const TrainRates *r, TrainEstimate *e) {
    train_estimate(c, t, tokens_per_example, r->head_gflops * 2, e); /* memory */
    double C = c->hidden, F = c->intermediate, L = c->n_layers, V = c->vocab, T = t->seq;
    double q = (double)c->n_heads * c->head_dim, kv = (double)c->n_kv_heads * c->head_dim;
    double lin = L * (C * q * 2 + 2 * C * kv + 3 * C * F);
    bool full = t->method == TRAIN_FULL;
    /* the share of the blocks the backward replays */
    double rc = replayed_blocks(c, t) / L;
    /* per token: forward 2 lin, input gradient 2 lin, weight gradient 2 lin
     * (full), the replayed forward 2 lin (recompute); the fused head 2CV
     * forward + 2CV input gradient (+ 2CV weight gradient, + 2CV recomputed
     * chunks for full); attention 2 T D H L forward, twice that backward;
     * LoRA 6 r (in + out) per adapted linear */
    double frozen = 2 * lin * ((full ? 3 : 2) + rc);
    double head = 2 * C * V * (full ? 4 : 2);
    double att = 2 * T * c->head_dim * c->n_heads * L * (3.5 + rc); /* + QK^T again */
    double io = (C + q) + 2 * (C + kv) + (q + C) + 2 * (C + F) + (F + C);
    double lora = full ? 0 : 6.0 * t->rank * io * L;
    double fr = r->frozen_gflops > 0 ? r->frozen_gflops : 1,
           hr = r->head_gflops > 0 ? r->head_gflops : 1;
    double sr = r->sgemm_gflops > 0 ? r->sgemm_gflops : hr; /* attention's and LoRA's products */
    double s_per_token = (frozen / fr + head / hr + (att + lora) / sr) / 1e9 / TRAIN_PRODUCT_SHARE;
    double tokens = (double)t->steps * t->batch * (t->grad_accum > 1 ? t->grad_accum : 1) *
                    (tokens_per_example > 0 ? tokens_per_example : t->seq);
    e->minutes = tokens * s_per_token / 60;
    /* model FLOPs (no replay) per second */
    double model =
        2 * lin * (full ? 3 : 2) + head + 2 * T * c->head_dim * c->n_heads * L * 3 + lora;
    e->gflops = model / s_per_token / 1e9;
}
