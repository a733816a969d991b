/* bench_model.c - forward and forward+backward throughput of the Llama
 * runtime (random weights) for a tiny and a ~15M-parameter configuration,
 * beside OpenBLAS sgemm on the same matrix shapes measured in the same run.
 * A benchmark, not a test: it prints figures and asserts nothing.
 *
 * usage: bench_model [SECONDS_PER_CASE]   (default 2; OPENBLAS_NUM_THREADS
 * sets the thread count) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/llama.h"
#include "bench_util.h"

typedef struct Case {
    const char *name;
    int C, F, L, H, KV, V, T;
} Case;

/* FLOPs the runtime performs for one forward over T tokens: every matmul
 * 2*N*in*out, attention as two full T x T GEMMs per head (2*T*T*D each). */
static double forward_flops(const LlamaConfig *c, int T) {
    double N = T, C = c->hidden, F = c->intermediate, V = c->vocab;
    double q = (double)c->n_heads * c->head_dim, kv = (double)c->n_kv_heads * c->head_dim;
    double per_layer = 2 * N * C * (q + 2 * kv) + 2 * N * q * C + 2 * N * C * F * 3 +
                       2 * 2.0 * T * T * c->head_dim * c->n_heads;
    return c->n_layers * per_layer + 2 * N * C * V;
}

/* Backward: two GEMMs per matmul (inputs and weights) and four per head
 * for attention. */
static double backward_flops(const LlamaConfig *c, int T) {
    double attn = c->n_layers * 4 * 2.0 * T * T * c->head_dim * c->n_heads;
    return 2 * (forward_flops(c, T) - attn / 2) + attn;
}

/* sgemm GFLOP/s over the matmul shapes of one forward (N x in times
 * (out x in)^T), each weighted by how often the forward runs it. */
static double sgemm_gflops(const LlamaConfig *c, int T, double seconds) {
    int C = c->hidden, F = c->intermediate, V = c->vocab;
    int q = c->n_heads * c->head_dim, kv = c->n_kv_heads * c->head_dim;
    struct {
        int in, out, times;
    } shapes[] = {{C, q, 1}, {C, kv, 2}, {q, C, 1}, {C, F, 2}, {F, C, 1}, {C, V, 0}};
    shapes[5].times = 1;
    int maxdim = V > F ? V : F;
    float *a = malloc(sizeof(float) * (size_t)T * maxdim);
    float *b = malloc(sizeof(float) * (size_t)maxdim * maxdim);
    float *o = malloc(sizeof(float) * (size_t)T * maxdim);
    for (size_t i = 0; i < (size_t)T * maxdim; i++)
        a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)maxdim * C; i++)
        b[i] = (float)(i % 5) * 0.1f;
    double flops = 0, t0 = bench_wall_s(), el;
    do {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int r = 0; r < (s == 5 ? 1 : c->n_layers) * shapes[s].times; r++) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, shapes[s].out,
                            shapes[s].in, 1, a, shapes[s].in, b, shapes[s].in, 0, o,
                            shapes[s].out);
                flops += 2.0 * T * shapes[s].in * shapes[s].out;
            }
        el = bench_wall_s() - t0;
    } while (el < seconds);
    free(a);
    free(b);
    free(o);
    return flops / el / 1e9;
}

static void run(const Case *k, double seconds) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = k->C;
    c.intermediate = k->F;
    c.n_layers = k->L;
    c.n_heads = k->H;
    c.n_kv_heads = k->KV;
    c.head_dim = k->C / k->H;
    c.vocab = k->V;
    c.max_pos = k->T;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = true;
    c.bos_id = -1;
    LlamaModel m;
    TpError err;
    if (llama_model_init(&m, &c, &err) != TP_OK) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        exit(1);
    }
    llama_model_randomize(&m, 1, 0.02f);
    llama_grads_enable(&m);
    int *ids = malloc(sizeof(int) * k->T), *tg = malloc(sizeof(int) * k->T);
    for (int i = 0; i < k->T; i++) {
        ids[i] = (i * 7919) % k->V;
        tg[i] = (i * 104729 + 3) % k->V;
    }
    float loss;
    double t0 = bench_wall_s(), el;
    int n_fwd = 0;
    do {
        llama_forward(&m, ids, tg, 1, k->T, &loss, NULL, &err);
        n_fwd++;
        el = bench_wall_s() - t0;
    } while (el < seconds);
    double fwd_s = el / n_fwd;
    t0 = bench_wall_s();
    int n_fb = 0;
    do {
        llama_zero_grad(&m);
        llama_forward(&m, ids, tg, 1, k->T, &loss, NULL, &err);
        llama_backward(&m, true, &err);
        n_fb++;
        el = bench_wall_s() - t0;
    } while (el < seconds);
    double fb_s = el / n_fb;
    double ff = forward_flops(&c, k->T), bf = backward_flops(&c, k->T);
    double peak = sgemm_gflops(&c, k->T, seconds / 2);
    printf("%-6s %5.2fM params, T=%d: forward %8.0f tok/s %6.2f GFLOP/s | fwd+bwd %8.0f tok/s "
           "%6.2f GFLOP/s | sgemm same shapes %6.2f GFLOP/s (forward at %.0f%%)\n",
           k->name, m.n_params / 1e6, k->T, k->T / fwd_s, ff / fwd_s / 1e9, k->T / fb_s,
           (ff + bf) / fb_s / 1e9, peak, 100 * ff / fwd_s / 1e9 / peak);
    free(ids);
    free(tg);
    llama_model_free(&m);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    printf("OpenBLAS threads: %d\n", openblas_get_num_threads());
    Case cases[] = {
        {"tiny", 64, 172, 5, 8, 4, 512, 128},
        {"15M", 288, 768, 6, 6, 6, 32000, 256},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run(&cases[i], seconds);
    return 0;
}
