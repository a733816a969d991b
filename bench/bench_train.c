/* bench_train.c - training throughput of QLoRA, LoRA and full fine-tuning on
 * the tiny and the ~15M-parameter configurations (batch 4 x 256 tokens,
 * rank 16, all seven targets): tokens/s, model FLOP/s as a share of the
 * OpenBLAS sgemm peak measured in the same run on the same shapes, peak
 * resident memory, and bytes per frozen weight. Each case runs in its own
 * child process so its peak memory is its own. A benchmark, not a test.
 *
 * usage: bench_train [SECONDS_PER_CASE]   (default 3) */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/optim.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct Shape {
    const char *name;
    int C, F, L, H, KV, V, T;
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
    int big = V > F ? V : F;
    float *a = calloc((size_t)N * big, sizeof(float)), *b = calloc((size_t)big * big,
                                                                     sizeof(float));
    float *o = calloc((size_t)N * big, sizeof(float));
    double flops = 0, t0 = now_s(), el;
    do {
        for (int s = 0; s < 6; s++)
            for (int r = 0; r < (s == 5 ? 1 : c->n_layers) * shapes[s][2]; r++) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, shapes[s][1],
                            shapes[s][0], 1, a, shapes[s][0], b, shapes[s][0], 0, o,
                            shapes[s][1]);
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
    double tokens_per_s, gflops, peak_gflops, rss_mb, frozen_bytes;
} Result;

static TpStatus quantize_all(LlamaModel *full, Lora *l, TpError *err) {
    for (int layer = 0; layer < full->cfg.n_layers; layer++)
        for (int w = 0; w < LLAMA_N_LINEAR; w++) {
            int out, in;
            llama_linear_shape(&full->cfg, w, &out, &in);
            Nf4Tensor q;
            TpStatus st = nf4_quantize(llama_linear_weight(&full->w, layer, w), out, in, &q, err);
            if (st != TP_OK)
                return st;
            lora_take_nf4(l, layer, w, &q);
        }
    return TP_OK;
}

/* method 0 qlora, 1 lora, 2 full */
static Result run_case(const Shape *s, int method, double seconds) {
    Result r = {0};
    LlamaConfig c = config_of(s);
    LlamaModel m;
    Lora l;
    AdamW opt;
    TpError err;
    int B = 4, T = s->T, rank = 16;
    if (method == 0) {
        /* random fp32 weights quantized one matrix at a time; the fp32
         * model is freed before the frozen NF4 copy is used */
        LlamaModel full;
        llama_model_init(&full, &c, &err);
        llama_model_randomize(&full, 1, 0.02f);
        LoraConfig lc = {rank, 32, 0.0, false, LORA_ALL_TARGETS};
        lora_init(&l, &c, &lc, 1, &err);
        quantize_all(&full, &l, &err);
        llama_model_init_no_linear(&m, &c, &err);
        memcpy(m.params, full.params, 0); /* only the layout matters here */
        llama_model_free(&full);
        llama_model_randomize(&m, 1, 0.02f);
    } else {
        llama_model_init(&m, &c, &err);
        llama_model_randomize(&m, 1, 0.02f);
        if (method == 1) {
            LoraConfig lc = {rank, 32, 0.0, false, LORA_ALL_TARGETS};
            lora_init(&l, &c, &lc, 1, &err);
        }
    }
    float *params, *grads;
    size_t n;
    if (method < 2) {
        lora_attach(&l, &m);
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
        llama_forward(&m, ids, tg, B, T, &loss, NULL, &err);
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
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    Shape shapes[2] = {
        {"tiny", 64, 172, 5, 8, 4, 512, 256},
        {"15M", 288, 768, 6, 6, 6, 32000, 256},
    };
    const char *methods[3] = {"qlora", "lora", "full"};
    printf("batch 4 x 256 tokens, rank 16, all seven targets; OpenBLAS threads %d\n",
           openblas_get_num_threads());
    printf("%-5s %-6s %10s %9s %11s %8s %10s %14s\n", "model", "method", "tok/s", "GFLOP/s",
           "sgemm peak", "MFU", "peak RSS", "bytes/frozen w");
    for (int si = 0; si < 2; si++) {
        double tps[3] = {0};
        for (int mi = 0; mi < 3; mi++) {
            int fd[2];
            if (pipe(fd) != 0)
                return 1;
            pid_t pid = fork();
            if (pid == 0) {
                close(fd[0]);
                Result r = run_case(&shapes[si], mi, seconds);
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
            char fb[16] = "-";
            if (!isnan(r.frozen_bytes))
                snprintf(fb, sizeof fb, "%.3f", r.frozen_bytes);
            printf("%-5s %-6s %10.0f %9.2f %11.2f %7.1f%% %8.0f MB %14s\n", shapes[si].name,
                   methods[mi], r.tokens_per_s, r.gflops, r.peak_gflops,
                   100 * r.gflops / r.peak_gflops, r.rss_mb, fb);
            fflush(stdout);
        }
        printf("%-5s QLoRA step time / LoRA step time: %.2fx (target <= 1.25x)\n",
               shapes[si].name, tps[1] / tps[0]);
    }
    return 0;
}
