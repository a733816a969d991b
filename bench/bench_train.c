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
 * QLoRA runs twice when the CPU has AVX512_BF16: its frozen NF4 products
 * in fp32 and in bf16 (nf4.h); the bf16 kernel's own rate on the model's
 * shapes ("bf16 peak") is measured beside the sgemm peak. Activation
 * recomputation follows the pilot's rule (train_recompute_auto) unless
 * --recompute or --no-recompute is given. Every line carries the 1-minute
 * load average when it finished (the machine may be shared).
 *
 * usage: bench_train [SECONDS_PER_CASE] [--recompute|--no-recompute]
 *                    [--threads LIST] [--compute fp32|bf16|both|auto] [--qlora-only]
 *                    [SHAPE...]
 *        (default 3 s, the pool's default threads, both; auto: the pilot's
 *        default compute type alone, bf16 where the CPU has it; --threads 1,2 runs
 *        every case with 1 then 2 threads and prints the ratios; shapes tiny
 *        15M 49k by default; also smollm2-135m smollm2-360m qwen2.5-0.5b,
 *        which run qlora and lora only) */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tunepilot/blas.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/optim.h"
#include "tunepilot/pool.h"
#include "tunepilot/rng.h"
#include "tunepilot/trainer.h"
#include "bench_util.h"

typedef struct Shape {
    const char *name;
    int C, F, L, H, KV, V, T;
    bool bias; /* q, k, v biases (Qwen2) */
    bool real; /* a real model's shape: qlora and lora only */
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
    double flops = 0, t0 = bench_wall_s(), el;
    do {
        for (int s = 0; s < 6; s++)
            for (int r = 0; r < (s == 5 ? 1 : c->n_layers) * shapes[s][2]; r++) {
                tp_sgemm(0, 1, N, shapes[s][1], shapes[s][0], 1, a, shapes[s][0], b, shapes[s][0],
                         0, o, shapes[s][1]);
                flops += 2.0 * N * shapes[s][0] * shapes[s][1];
            }
        el = bench_wall_s() - t0;
    } while (el < seconds);
    free(a);
    free(b);
    free(o);
    return flops / el / 1e9;
}

/* A case's variants run in the same process, their steps interleaved
 * (variant 0, 1, ..., 0, 1, ...), so that a change in the machine's load
 * falls on all of them alike: the compute type of the NF4 products and the
 * pool's threads. */
#define MAX_VARIANTS 4
typedef struct Variant {
    Nf4Compute compute;
    int threads; /* 0: the pool's default */
} Variant;

typedef struct Result {
    double tokens_per_s[MAX_VARIANTS], gflops[MAX_VARIANTS], peak_gflops[MAX_VARIANTS],
        bf16_gflops[MAX_VARIANTS], est_tokens_per_s[MAX_VARIANTS];
    int threads[MAX_VARIANTS];
    double rss_mb, frozen_bytes, quantize_s;
    int recompute; /* blocks replayed */
} Result;

/* The bf16 NF4 product's GFLOP/s on the forward's linear shapes (one
 * random NF4 matrix per shape, dequantize and pack included), as
 * sgemm_peak weighs them; 0 when the CPU has no AVX512_BF16. */
static double bf16_peak(const LlamaConfig *c, int N, double seconds) {
    if (!nf4_bf16_available())
        return 0;
    int C = c->hidden, F = c->intermediate;
    int q = c->n_heads * c->head_dim, kv = c->n_kv_heads * c->head_dim;
    int shapes[][3] = {{C, q, 1}, {C, kv, 2}, {q, C, 1}, {C, F, 2}, {F, C, 1}};
    Nf4Tensor w[5];
    TpRng r;
    tp_rng_seed(&r, 3);
    size_t in_max = 0, out_max = 0, sc = 0;
    TpError err;
    for (int i = 0; i < 5; i++) {
        int in = shapes[i][0], out = shapes[i][1];
        float *tmp = malloc(sizeof(float) * (size_t)in * out);
        for (size_t k = 0; k < (size_t)in * out; k++)
            tmp[k] = (float)((tp_rng_uniform(&r) * 2 - 1) * 0.0346);
        if (nf4_quantize(tmp, out, in, &w[i], &err) != TP_OK)
            exit(1);
        free(tmp);
        size_t need = nf4_scratch_floats_for(&w[i], N, NF4_COMPUTE_BF16);
        sc = need > sc ? need : sc;
        in_max = (size_t)in > in_max ? (size_t)in : in_max;
        out_max = (size_t)out > out_max ? (size_t)out : out_max;
    }
    float *a = calloc((size_t)N * in_max, sizeof(float)), *o = calloc((size_t)N * out_max, 4);
    float *scratch = malloc(sizeof(float) * sc);
    for (size_t k = 0; k < (size_t)N * in_max; k++)
        a[k] = (float)(tp_rng_uniform(&r) * 2 - 1);
    double flops = 0, t0 = bench_wall_s(), el;
    do {
        for (int s = 0; s < 5; s++)
            for (int k = 0; k < c->n_layers * shapes[s][2]; k++) {
                nf4_matmul_forward_dt(o, a, &w[s], N, scratch, NF4_COMPUTE_BF16);
                flops += 2.0 * N * shapes[s][0] * shapes[s][1];
            }
        el = bench_wall_s() - t0;
    } while (el < seconds);
    for (int i = 0; i < 5; i++)
        nf4_free(&w[i]);
    free(a);
    free(o);
    free(scratch);
    return flops / el / 1e9;
}

static double load1(void) {
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = NAN;
        fclose(f);
    }
    return l;
}

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
            double t0 = bench_wall_s();
            Nf4Tensor q;
            if (nf4_quantize(tmp, out, in, &q, err) != TP_OK)
                exit(1);
            q_s += bench_wall_s() - t0;
            free(tmp);
            lora_take_nf4(l, layer, w, &q);
        }
    return q_s;
}

/* method 0 qlora, 1 lora, 2 full; recompute: 1 on, 0 off, -1 the pilot's
 * rule */
static int g_recompute = -1;

static Result run_case(const Shape *s, int method, const Variant *var, int n_var, double seconds) {
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
    TrainConfig tc;
    train_config_defaults(&tc);
    tc.method = method == 0 ? TRAIN_QLORA : method == 1 ? TRAIN_LORA : TRAIN_FULL;
    tc.recompute = g_recompute == 1;
    tc.recompute_off = g_recompute == 0;
    train_recompute_resolve(&c, &tc);
    r.recompute = tc.recompute_blocks;
    llama_set_recompute_layers(&m, r.recompute);
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
    double spent[MAX_VARIANTS] = {0}, t_start = 0;
    int steps[MAX_VARIANTS] = {0}, vmax = 0, tmax = 0;
    /* the model sizes some scratch by the pool's threads when it first
     * runs: the first (untimed) step runs with the most threads */
    for (int v = 0; v < n_var; v++) {
        tp_pool_set_threads(var[v].threads);
        if (tp_pool_threads() > tmax) {
            tmax = tp_pool_threads();
            vmax = v;
        }
    }
    /* QLoRA in bf16 runs the frozen head in bf16 too, as the trainer does:
     * one packed copy, lent to the model on the bf16 variants' steps */
    struct LlamaHeadBf16 *hb = NULL;
    for (int v = 0; v < n_var && method == 0 && !hb; v++)
        if (var[v].compute == NF4_COMPUTE_BF16 && llama_set_head_bf16(&m, true))
            hb = m.head_bf16;
    for (int it = -1;; it++) {
        int v = it < 0 ? vmax : it % n_var;
        tp_pool_set_threads(var[v].threads);
        if (method == 0)
            l.compute = var[v].compute;
        m.head_bf16 = method == 0 && var[v].compute == NF4_COMPUTE_BF16 ? hb : NULL;
        llama_set_act_bf16(&m, method == 0 && var[v].compute == NF4_COMPUTE_BF16);
        if (it == n_var)
            t_start = bench_wall_s(); /* the first step of each warms caches and allocates */
        double t0 = bench_wall_s();
        memset(grads, 0, n * sizeof(float));
        float loss;
        llama_set_fused_head(&m, true, method == 2); /* as the trainer does */
        llama_forward(&m, ids, tg, B, T, &loss, NULL, &err);
        llama_set_fused_head(&m, false, false);
        llama_backward(&m, method == 2, &err);
        clip_grad_norm(grads, n, 1.0);
        adamw_step(&opt, params, grads, 1e-4);
        if (it >= n_var) {
            spent[v] += bench_wall_s() - t0;
            steps[v]++;
        }
        if (it >= 3 * n_var - 1 && v == n_var - 1 && bench_wall_s() - t_start > seconds * n_var)
            break;
    }
    m.head_bf16 = hb; /* the model frees it */
    for (int v = 0; v < n_var; v++) {
        double dt = spent[v] / steps[v];
        r.tokens_per_s[v] = B * T / dt;
        r.gflops[v] = step_flops(&c, B, T, method == 2, method < 2 ? rank : 0) / dt / 1e9;
    }
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
    for (int v = 0; v < n_var; v++) {
        tp_pool_set_threads(var[v].threads);
        r.threads[v] = tp_pool_threads();
        r.peak_gflops[v] = sgemm_peak(&c, B * T, seconds / 3);
        if (method == 0 && var[v].compute == NF4_COMPUTE_BF16)
            r.bf16_gflops[v] = bf16_peak(&c, B * T, seconds / 3);
        /* the pilot's estimate of this step (rates measured at its shapes) */
        TrainConfig et = tc;
        et.compute_dtype = var[v].compute;
        et.recompute = r.recompute > 0;
        et.recompute_blocks = r.recompute;
        et.batch = B;
        et.seq = T;
        et.steps = 1;
        TrainRates rates;
        TrainEstimate e;
        train_measure_rates(&c, &et, &rates);
        train_estimate_rates(&c, &et, T, &rates, &e);
        r.est_tokens_per_s[v] = e.minutes > 0 ? B * T / (e.minutes * 60) : 0;
    }
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
    int n_shapes = 0, threads[8] = {0}, n_threads = 0;
    bool want_fp32 = true, want_bf16 = true, qlora_only = false;
    for (int i = 2; i < argc && n_shapes < 8; i++) {
        if (!strcmp(argv[i], "--recompute") || !strcmp(argv[i], "--no-recompute")) {
            g_recompute = argv[i][2] == 'r';
            continue;
        }
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", argv[++i]);
            for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t && n_threads < 8;
                 t = strtok_r(NULL, ",", &sv))
                threads[n_threads++] = atoi(t);
            continue;
        }
        if (!strcmp(argv[i], "--qlora-only")) { /* e.g. under a profiler */
            qlora_only = true;
            continue;
        }
        if (!strcmp(argv[i], "--compute") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "auto")) { /* the pilot's default, alone in its process */
                bool bf16 = nf4_bf16_available();
                want_fp32 = !bf16;
                want_bf16 = bf16;
                continue;
            }
            want_fp32 = strcmp(argv[i], "bf16") != 0;
            want_bf16 = strcmp(argv[i], "fp32") != 0;
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
    if (n_threads == 0) { /* the pool's default */
        tp_pool_set_threads(0);
        threads[n_threads++] = tp_pool_threads();
    }
    if (!nf4_bf16_available()) {
        if (want_bf16)
            printf("no AVX512_BF16 on this CPU (or TP_NO_BF16 set): qlora runs in fp32 only\n");
        want_bf16 = false;
        want_fp32 = true;
    }
    printf("batch 4 x 256 tokens, rank 16, dropout 0.05, all seven targets; recompute: %s\n",
           g_recompute < 0 ? "the pilot's rule (the fewest blocks replayed for 1 GB)"
           : g_recompute   ? "on"
                           : "off");
    printf("%-12s %-10s %3s %8s %9s %11s %9s %7s %10s %8s %9s %5s %5s %8s\n", "model", "method",
           "thr", "tok/s", "GFLOP/s", "sgemm peak", "bf16 peak", "MFU", "peak RSS", "B/frozen",
           "quantize", "rc", "load", "est tok/s");
    /* cases: qlora (its variants: compute types x threads), lora, full
     * (variants: threads) */
    const char *methods[3] = {"qlora", "lora", "full"};
    for (int si = 0; si < n_shapes; si++) {
        double tps[3][MAX_VARIANTS] = {{0}};
        Variant var[3][MAX_VARIANTS];
        int n_var[3] = {0};
        for (int mi = 0; mi < 3; mi++)
            for (int ci = 0; ci < (mi == 0 ? 2 : 1); ci++) {
                if (mi == 0 && ((ci == 0 && !want_fp32) || (ci == 1 && !want_bf16)))
                    continue;
                for (int ti = 0; ti < n_threads && n_var[mi] < MAX_VARIANTS; ti++)
                    var[mi][n_var[mi]++] =
                        (Variant){ci == 1 ? NF4_COMPUTE_BF16 : NF4_COMPUTE_FP32, threads[ti]};
            }
        char blas[256];
        tp_pool_set_threads(threads[0]);
        tp_blas_describe(blas, sizeof blas);
        printf("# %s: %s\n", shapes[si]->name, blas);
        for (int mi = 0; mi < (qlora_only ? 1 : shapes[si]->real ? 2 : 3); mi++) {
            int fd[2];
            if (pipe(fd) != 0)
                return 1;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                close(fd[0]);
                Result r = run_case(shapes[si], mi, var[mi], n_var[mi], seconds);
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
            for (int v = 0; v < n_var[mi]; v++) {
                tps[mi][v] = r.tokens_per_s[v];
                char fb[16] = "-", qt[16] = "-", bp[16] = "-", name[32], rc[16] = "off";
                if (r.recompute > 0)
                    snprintf(rc, sizeof rc, "%d/%d", r.recompute, shapes[si]->L);
                if (!isnan(r.frozen_bytes))
                    snprintf(fb, sizeof fb, "%.3f", r.frozen_bytes);
                if (mi == 0)
                    snprintf(qt, sizeof qt, "%.2f s", r.quantize_s);
                if (r.bf16_gflops[v] > 0)
                    snprintf(bp, sizeof bp, "%.2f", r.bf16_gflops[v]);
                snprintf(name, sizeof name, "%s%s%s", methods[mi], mi == 0 ? "-" : "",
                         mi == 0 ? nf4_compute_name(var[mi][v].compute) : "");
                printf("%-12s %-10s %3d %8.0f %9.2f %11.2f %9s %6.1f%% %7.0f MB %8s %9s %5s "
                       "%5.1f %8.0f\n",
                       shapes[si]->name, name, r.threads[v], r.tokens_per_s[v], r.gflops[v],
                       r.peak_gflops[v], bp, 100 * r.gflops[v] / r.peak_gflops[v], r.rss_mb, fb, qt,
                       rc, load1(), r.est_tokens_per_s[v]);
            }
            fflush(stdout);
        }
        /* ratios: same process for the variants of a method (interleaved
         * steps), consecutive processes across methods */
        for (int v = 0; v < n_var[0]; v++) {
            int lv = v % n_threads; /* lora's variant with the same threads */
            if (tps[0][v] > 0 && tps[1][lv] > 0)
                printf("%-12s QLoRA-%s step / LoRA step (%d threads): %.2fx (target <= 1.15x)\n",
                       shapes[si]->name, nf4_compute_name(var[0][v].compute), var[0][v].threads,
                       tps[1][lv] / tps[0][v]);
        }
        if (want_fp32 && want_bf16)
            for (int ti = 0; ti < n_threads; ti++)
                printf("%-12s QLoRA bf16 / fp32 tokens/s (%d threads, interleaved): %.2fx\n",
                       shapes[si]->name, threads[ti], tps[0][n_threads + ti] / tps[0][ti]);
        for (int mi = 0; mi < 3; mi++)
            for (int v = 0; v < n_var[mi]; v++)
                if (v % n_threads > 0 && tps[mi][v - v % n_threads] > 0)
                    printf("%-12s %s%s%s %d threads / %d threads (interleaved): %.2fx tokens/s\n",
                           shapes[si]->name, methods[mi], mi == 0 ? "-" : "",
                           mi == 0 ? nf4_compute_name(var[mi][v].compute) : "", var[mi][v].threads,
                           var[mi][v - v % n_threads].threads,
                           tps[mi][v] / tps[mi][v - v % n_threads]);
    }
    return 0;
}
