/* estimate.c - what a run will need before it starts: memory and time
 * (see trainer.h: train_estimate). */
#include <stdlib.h>
#include <time.h>

#include "tunepilot/pool.h"
#include "tunepilot/trainer.h"

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
    /* what the forward saves for each block (all blocks, or with
     * --recompute only each block's input plus one block's worth), the
     * backward's buffers for one block, the fused head's chunks of 64 rows
     * of logits per thread, and the dropout masks (a bit per input) */
    double block = N * (4 * C + 3 * F + 2 * q + 2 * kv) + t->batch * c->n_heads * T * T;
    double saved = t->recompute ? L * N * C + block : L * block;
    double bwd = N * (2 * C + 2 * q + 2 * kv + 3 * F) + T * T * threads;
    double head = 64 * V * threads;
    double masks = t->method == TRAIN_FULL || t->dropout <= 0 ? 0
                                                              : L * N * (5 * C + q + F) / 8;
    e->memory_mb = (base + train + (saved + bwd + head) * 4 + masks) / 1e6;
    e->gflops = gflops * 0.5;
    double tokens = (double)t->steps * t->batch * (t->grad_accum > 1 ? t->grad_accum : 1) *
                    (tokens_per_example > 0 ? tokens_per_example : t->seq);
    double fpt = (t->method == TRAIN_FULL ? 6 : 4) * P;
    e->minutes = tokens * fpt / (e->gflops * 1e9) / 60;
}

bool train_recompute_auto(const LlamaConfig *c, const TrainConfig *t) {
    if (t->recompute || t->recompute_off)
        return t->recompute;
    TrainConfig off = *t;
    off.recompute = false;
    TrainEstimate e;
    train_estimate(c, &off, 0, 1, &e);
    return e.memory_mb > TRAIN_RECOMPUTE_MB;
}
