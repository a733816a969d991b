/* llama_head.c - the vocabulary head and cross-entropy in chunks of rows
 * (llama_head.h). */
#include "model/llama_head.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/vexp.h"
#include "tunepilot/bf16.h"
#include "tunepilot/pool.h"

size_t llama_head_work_floats(int V) {
    return (size_t)LLAMA_HEAD_ROWS * (size_t)V * (size_t)tp_pool_threads();
}

LlamaHeadBf16 *llama_head_bf16_new(const float *W, int V, int C) {
    if (!tp_bf16_available())
        return NULL;
    LlamaHeadBf16 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    int kpc = (C + 1) / 2, kpv = (V + 1) / 2;
    h->V = V;
    h->C = C;
    /* x rows as bf16 pairs, then dlogits rows, for LLAMA_HEAD_ROWS rows */
    h->scratch_words = (size_t)LLAMA_HEAD_ROWS * ((size_t)kpc + (size_t)kpv) + 32;
    h->fwd = malloc(tp_bf16_packed_words(C, V) * 4);
    h->bwd = malloc(tp_bf16_packed_words(V, C) * 4);
    h->threads = tp_pool_threads();
    h->scratch = malloc(h->scratch_words * 4 * (size_t)h->threads);
    uint32_t *rowbuf = malloc(((size_t)kpc + 16) * 4);
    if (!h->fwd || !h->bwd || !h->scratch || !rowbuf) {
        free(rowbuf);
        llama_head_bf16_free(h);
        return NULL;
    }
    tp_bf16_pack_rows(W, V, C, kpc, h->fwd, rowbuf);
    tp_bf16_pack_cols(W, V, C, kpv, h->bwd);
    free(rowbuf);
    return h;
}

void llama_head_bf16_free(LlamaHeadBf16 *h) {
    if (!h)
        return;
    free(h->fwd);
    free(h->bwd);
    free(h->scratch);
    free(h);
}

typedef struct HeadJob {
    const LlamaHeadBf16 *hb; /* products in bf16 when non-NULL */
    const float *x, *W;
    const int *targets;
    int N, C, V, ignore;
    float *losses, *lse, *dx, *dW, *work;
    double scale;
    int total;
    int dw_turn; /* the task whose dW product runs next: tasks add in order */
    pthread_mutex_t mu;
    pthread_cond_t turn;
} HeadJob;

static void head_task(void *ctx, int task, int worker) {
    HeadJob *j = ctx;
    int C = j->C, V = j->V, n0 = task * LLAMA_HEAD_ROWS;
    int nc = j->N - n0 < LLAMA_HEAD_ROWS ? j->N - n0 : LLAMA_HEAD_ROWS;
    float *lg = j->work + (size_t)worker * LLAMA_HEAD_ROWS * V;
    const float *x = j->x + (size_t)n0 * C;
    const LlamaHeadBf16 *hb = j->hb;
    int kpc = (C + 1) / 2, kpv = (V + 1) / 2;
    uint32_t *xa = hb ? hb->scratch + (size_t)worker * hb->scratch_words : NULL;
    uint32_t *ga = xa ? xa + (size_t)LLAMA_HEAD_ROWS * kpc : NULL;
    if (hb) {
        for (int r = 0; r < nc; r++)
            tp_bf16_row(x + (size_t)r * C, C, xa + (size_t)r * kpc, 2 * kpc);
        tp_bf16_gemm_wide(nc, V, kpc, xa, kpc, hb->fwd, lg, V);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nc, V, C, 1, x, C, j->W, C, 0, lg, V);
    }
    int counted = 0;
    float k = (float)j->scale;
    for (int r = 0; r < nc; r++) {
        int n = n0 + r, t = j->targets[n];
        float *row = lg + (size_t)r * V;
        if (t == j->ignore) {
            j->losses[n] = 0;
            j->lse[n] = 0;
            if (j->dx)
                memset(row, 0, sizeof(float) * (size_t)V);
            continue;
        }
        float mx = tp_vmaxf(row, (size_t)V);
        double sum = tp_vexpsumf(row, mx, (size_t)V);
        float l = (float)(log(sum) + mx);
        j->lse[n] = l;
        j->losses[n] = l - row[t];
        counted++;
        if (j->dx) {
            tp_vexpf(row, row, l, (size_t)V);
            for (int i = 0; i < V; i++)
                row[i] *= k;
            row[t] -= k;
        }
    }
    if (j->dx && hb) {
        /* ignored rows are zero rows of dlogits: zero rows of dx */
        for (int r = 0; r < nc; r++)
            tp_bf16_row(lg + (size_t)r * V, V, ga + (size_t)r * kpv, 2 * kpv);
        tp_bf16_gemm(nc, C, kpv, ga, kpv, hb->bwd, j->dx + (size_t)n0 * C, C, false);
    } else if (j->dx) {
        /* dx[n0:n0+nc] = dlogits W */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nc, C, V, 1, lg, V, j->W, C, 0,
                    j->dx + (size_t)n0 * C, C);
        if (j->dW) {
            /* dW += dlogits^T x, one task at a time and in task order, so
             * the sums do not depend on which thread finished first */
            pthread_mutex_lock(&j->mu);
            while (j->dw_turn != task)
                pthread_cond_wait(&j->turn, &j->mu);
            pthread_mutex_unlock(&j->mu);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, C, nc, 1, lg, V, x, C, 1, j->dW,
                        C);
            pthread_mutex_lock(&j->mu);
            j->dw_turn++;
            pthread_cond_broadcast(&j->turn);
            pthread_mutex_unlock(&j->mu);
        }
    }
    pthread_mutex_lock(&j->mu);
    j->total += counted;
    pthread_mutex_unlock(&j->mu);
}

int llama_head_run(const float *x, const float *W, const int *targets, int N, int C, int V,
                   int ignore, float *losses, float *lse, float *dx, float *dW, double scale,
                   float *work) {
    return llama_head_run_dt(x, W, NULL, targets, N, C, V, ignore, losses, lse, dx, dW, scale,
                             work);
}

int llama_head_run_dt(const float *x, const float *W, LlamaHeadBf16 *hb, const int *targets, int N,
                      int C, int V, int ignore, float *losses, float *lse, float *dx, float *dW,
                      double scale, float *work) {
    HeadJob j;
    memset(&j, 0, sizeof j);
    if (hb && hb->threads < tp_pool_threads()) { /* the pool grew: so does the scratch */
        uint32_t *s = malloc(hb->scratch_words * 4 * (size_t)tp_pool_threads());
        if (s) {
            free(hb->scratch);
            hb->scratch = s;
            hb->threads = tp_pool_threads();
        }
    }
    j.hb = hb && !(dx && dW) && hb->V == V && hb->C == C && hb->threads >= tp_pool_threads() ? hb
                                                                                             : NULL;
    j.x = x;
    j.W = W;
    j.targets = targets;
    j.N = N;
    j.C = C;
    j.V = V;
    j.ignore = ignore;
    j.losses = losses;
    j.lse = lse;
    j.dx = dx;
    j.dW = dx ? dW : NULL;
    j.work = work;
    j.scale = scale;
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.turn, NULL);
    tp_parallel_for((N + LLAMA_HEAD_ROWS - 1) / LLAMA_HEAD_ROWS, head_task, &j);
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.turn);
    return j.total;
}
