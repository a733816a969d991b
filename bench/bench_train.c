/* bench_train.c - training throughput of QLoRA, LoRA and full fine-tuning
 * (batch 4 x 256 tokens, rank 16, all seven targets) on small
 * configurations and on the shapes of real models with random weights:
 * tokens/s, model FLOP/s as a share of the sgemm peak measured in the same
 * run on the same shapes and threads, peak resident memory, bytes per
 * frozen weight, and the time to quantize the frozen weights (the
 * quantizing part of loading; each tensor is made and quantized on its own,
 * as the loader does). Each case runs in its own child process so its peak
 * memory is its own. A benchmark, not a test.
 *
 * usage: bench_train [SECONDS_PER_CASE] [--recompute] [SHAPE...]
 *        (default 3 s; shapes tiny 15M 49k; also smollm2-135m smollm2-360m
 *        qwen2.5-0.5b, which run qlora and lora only) */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tunepilot/blas.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/optim.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct Shape {
    const char *name;
    int C, F, L, H, KV, V, T;
    bool bias;   /* q, k, v biases (Qwen2) */
    bool real;   /* a real model's shape: qlora and lora only */
} Shape;

static LlamaConfig config_of(const Shape *s) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = s->C;
    c.intermediate = s->F;
    c.n_layers = s->L;
    c.n_heads = s->H;
    c.n_kv_heads = s->KV;
    c.head_dim = s->C / s->H;
    c.vocab = s->V;
    c.max_pos = s->T;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = true;
    c.attention_bias = s->bias;
    c.bos_id = -1;
    return c;
}

/* FLOPs the runtime performs per training step of N = B*T tokens: every
 * matmul 2*N*in*out forward; backward 2*N*in*out for input gradients plus
 * the same again for weight gradients when the weights train; attention
 * two T x T GEMMs forward and four backward per head; LoRA 2*N*r*(in+out)
 * forward and about twice that backward. */
static double step_flops(const LlamaConfig *c, int B, int T, bool weights, int rank) {
    double N = (double)B * T, C = c->hidden, F = c->intermediate, V = c->vocab;
    double q = (double)c->n_heads * c->head_dim, kv = (double)c->n_kv_heads * c->head_dim;
    double lin = C * (q + 2 * kv) + q * C + 3 * C * F; /* weights per layer */
    double fwd = 2 * N * (c->n_layers * lin + C * V);
    double att = 2.0 * B * T * T * c->head_dim * c->n_heads * c->n_layers;
    double total = fwd * (weights ? 3 : 2) + att * 3;
    if (rank > 0) {
        double io = (C + q) + 2 * (C + kv) + (q + C) + 2 * (C + F) + (F + C);
        total += 6 * N * rank * io * c->n_layers;
    }
    return total;
}

/* sgemm GFLOP/s on the forward's matmul shapes, as in bench_model. */
static double sgemm_peak(const LlamaConfig *c, int N, double seconds) {
    int C = c->hidden, F = c->intermediate, V = c->vocab;
    int q = c->n_heads * c->head_dim, kv = c->n_kv_heads * c->head_dim;
    int shapes[][3] = {{C, q, 1}, {C, kv, 2}, {q, C, 1}, {C, F, 2}, {F, C, 1}, {C, V, 1}};
    size_t in_max = 0, out_max = 0, w_max = 0;
    for (int i = 0; i < 6; i++) {
        size_t in = (size_t)shapes[i][0], out = (size_t)shapes[i][1];
        in_max = in > in_max ? in : in_max;
        out_max = out > out_max ? out : out_max;
        w_max = in * out > w_max ? in * out : w_max;
    }
    float *a = calloc((size_t)N * in_max, sizeof(float)), *b = calloc(w_max, sizeof(float));
    float *o = calloc((size_t)N * out_max, sizeof(float));
    double flops = 0, t0 = now_s(), el;
    do {
        for (int s = 0; s < 6; s++)
            for (int r = 0; r < (s == 5 ? 1 : c->n_layers) * shapes[s][2]; r++) {
                tp_sgemm(0, 1, N, shapes[s][1], shapes[s][0], 1, a, shapes[s][0], b,
                         shapes[s][0], 0, o, shapes[s][1]);
                flops += 2.0 * N * shapes[s][0] * shapes[s][1];
            }
        el = now_s() - t0;
    } while (el < seconds);
    free(a);
    free(b);
    free(o);
    return flops / el / 1e9;
}

typedef struct Result {
    double tokens_per_s, gflops, peak_gflops, rss_mb, frozen_bytes, quantize_s;
} Result;

/* Each linear weight made (uniform with the std of normal(0, 0.02)) and
 * quantized on its own, then freed: the loader's one-tensor-at-a-time path.
 * Returns the seconds spent quantizing. */
static double quantize_all(const LlamaConfig *c, Lora *l, TpError *err) {
    TpRng r;
    tp_rng_seed(&r, 7);
    double q_s = 0;
    for (int layer = 0; layer < c->n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            int out, in;
            llama_linear_shape(c, w, &out, &in);
            float *tmp = malloc(sizeof(float) * (size_t)out * in);
            for (size_t i = 0; i < (size_t)out * in; i++)
                tmp[i] = (float)((tp_rng_uniform(&r) * 2 - 1) * 0.0346);
            double t0 = now_s();
            Nf4Tensor q;
            if (nf4_quantize(tmp, out, in, &q, err) != TP_OK)
                exit(1);
            q_s += now_s() - t0;
            free(tmp);
            lora_take_nf4(l, layer, w, &q);
        }
    return q_s;
}

/* method 0 qlora, 1 lora, 2 full */
static bool g_recompute;

static Result run_case(const Shape *s, int method, double seconds) {
    Result r = {0};
    LlamaConfig c = config_of(s);
    LlamaModel m;
    Lora l;
    AdamW opt;
    TpError err;
    int B = 4, T = s->T, rank = 16;
    if (method == 0) {
        /* random weights quantized one matrix at a time: the fp32 linear
         * weights are never all resident */
        LoraConfig lc = {rank, 32, 0.05, false, LORA_ALL_TARGETS}; /* the pilot's defaults */
        lora_init(&l, &c, &lc, 1, &err);
        r.quantize_s = quantize_all(&c, &l, &err);
        llama_model_init_no_linear(&m, &c, &err);
        llama_model_randomize(&m, 1, 0.02f);
    } else {
        llama_model_init(&m, &c, &err);
        llama_model_randomize(&m, 1, 0.02f);
        if (method == 1) {
            LoraConfig lc = {rank, 32, 0.05, false, LORA_ALL_TARGETS}; /* the pilot's defaults */
            lora_init(&l, &c, &lc, 1, &err);
        }
    }
    float *params, *grads;
    size_t n;
    llama_set_recompute(&m, g_recompute);
    if (method < 2) {
        lora_attach(&l, &m);
        l.training = true; /* dropout on, as in training */
        params = l.params;
        grads = l.grads;
        n = l.n_params;
    } else {
        llama_grads_enable(&m);
        params = m.params;
        grads = m.grads;
        n = m.n_params;
    }
    adamw_init(&opt, n, 0);
    int *ids = malloc(sizeof(int) * B * T), *tg = malloc(sizeof(int) * B * T);
    for (int i = 0; i < B * T; i++) {
        ids[i] = (i * 7919) % c.vocab;
        tg[i] = (i * 104729 + 3) % c.vocab;
    }
    double t0 = 0;
    int steps = 0;
    for (int it = 0;; it++) {
        if (it == 1)
            t0 = now_s(); /* the first step warms caches and allocates */
        memset(grads, 0, n * sizeof(float));
        float loss;
        llama_set_fused_head(&m, true, method == 2); /* as the trainer does */
        llama_forward(&m, ids, tg, B, T, &loss, NULL, &err);
        llama_set_fused_head(&m, false, false);
        llama_backward(&m, method == 2, &err);
        clip_grad_norm(grads, n, 1.0);
        adamw_step(&opt, params, grads, 1e-4);
        if (it >= 1)
            steps++;
        if (it >= 2 && now_s() - t0 > seconds)
            break;
    }
    double dt = (now_s() - t0) / steps;
    r.tokens_per_s = B * T / dt;
    r.gflops = step_flops(&c, B, T, method == 2, method < 2 ? rank : 0) / dt / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r.rss_mb = ru.ru_maxrss / 1024.0;
    if (method == 0) {
        size_t bytes = 0, w = 0;
        for (int i = 0; i < c.n_layers * LLAMA_N_LINEAR; i++) {
            bytes += nf4_bytes(&l.nf4[i]);
            w += (size_t)l.nf4[i].n;
        }
        r.frozen_bytes = (double)bytes / w;
    } else {
        r.frozen_bytes = method == 1 ? 4.0 : NAN;
    }
    r.peak_gflops = sgemm_peak(&c, B * T, seconds / 3);
    free(ids);
    free(tg);
    adamw_free(&opt);
    if (method < 2)
        lora_free(&l);
    llama_model_free(&m);
    return r;
}

int main(int argc, char **argv) {
    tp_blas_ensure_core(argv); /* the BLAS's kernels are fixed when it loads */
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    /* Real shapes, from each model's published config.json (as of
     * 2026-12): SmolLM2-135M (hidden 576, intermediate 1536, 30 layers,
     * 9 heads, 3 KV heads, vocab 49152, tied), SmolLM2-360M (960, 2560, 32,
     * 15, 5, 49152, tied), Qwen2.5-0.5B (896, 4864, 24, 14, 2, 151936,
     * tied, q/k/v biases); "49k" is the 288-hidden 6-layer Llama with
     * SmolLM's 49,153-token vocabulary. */
    Shape all[] = {
        {"tiny", 64, 172, 5, 8, 4, 512, 256, false, false},
        {"15M", 288, 768, 6, 6, 6, 32000, 256, false, false},
        {"49k", 288, 768, 6, 6, 6, 49153, 256, false, false},
        {"smollm2-135m", 576, 1536, 30, 9, 3, 49152, 256, false, true},
        {"smollm2-360m", 960, 2560, 32, 15, 5, 49152, 256, false, true},
        {"qwen2.5-0.5b", 896, 4864, 24, 14, 2, 151936, 256, true, true},
    };
    int n_all = (int)(sizeof all / sizeof all[0]);
    Shape *shapes[8];
    int n_shapes = 0;
    for (int i = 2; i < argc && n_shapes < 8; i++) {
        if (!strcmp(argv[i], "--recompute")) {
            g_recompute = true;
            continue;
        }
        int k = 0;
        while (k < n_all && strcmp(all[k].name, argv[i]))
            k++;
        if (k == n_all) {
            fprintf(stderr, "bench_train: unknown shape %s\n", argv[i]);
            return 2;
        }
        shapes[n_shapes++] = &all[k];
    }
    if (n_shapes == 0)
        for (int k = 0; k < 3; k++)
            shapes[n_shapes++] = &all[k];
    const char *methods[3] = {"qlora", "lora", "full"};
    char blas[256];
    tp_blas_describe(blas, sizeof blas);
    printf("batch 4 x 256 tokens, rank 16, dropout 0.05, all seven targets%s; %s\n",
           g_recompute ? ", --recompute" : "", blas);
    printf("%-12s %-6s %8s %9s %11s %7s %10s %8s %10s\n", "model", "method", "tok/s", "GFLOP/s",
           "sgemm peak", "MFU", "peak RSS", "B/frozen", "quantize");
    for (int si = 0; si < n_shapes; si++) {
        double tps[3] = {0};
        for (int mi = 0; mi < (shapes[si]->real ? 2 : 3); mi++) {
            int fd[2];
            if (pipe(fd) != 0)
                return 1;
            pid_t pid = fork();
            if (pid == 0) {
                close(fd[0]);
                Result r = run_case(shapes[si], mi, seconds);
                if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
                    _exit(1);
                _exit(0);
            }
            close(fd[1]);
            Result r;
            ssize_t got = read(fd[0], &r, sizeof r);
            close(fd[0]);
            waitpid(pid, NULL, 0);
            if (got != (ssize_t)sizeof r)
                return 1;
            tps[mi] = r.tokens_per_s;
            char fb[16] = "-", qt[16] = "-";
            if (!isnan(r.frozen_bytes))
                snprintf(fb, sizeof fb, "%.3f", r.frozen_bytes);
            if (mi == 0)
                snprintf(qt, sizeof qt, "%.2f s", r.quantize_s);
            printf("%-12s %-6s %8.0f %9.2f %11.2f %6.1f%% %7.0f MB %8s %10s\n", shapes[si]->name,
                   methods[mi], r.tokens_per_s, r.gflops, r.peak_gflops,
                   100 * r.gflops / r.peak_gflops, r.rss_mb, fb, qt);
            fflush(stdout);
        }
        printf("%-12s QLoRA step time / LoRA step time: %.2fx (target <= 1.15x)\n",
               shapes[si]->name, tps[1] / tps[0]);
    }
    return 0;
}
