/* ops_template.h - the Llama kernels, forward and backward in pairs, over
 * arrays of REAL. Included once per precision: llama_ops.c instantiates it
 * for float (names op_*), the gradient tests for double (names op_*_f64),
 * so the finite-difference checks run the very code the model runs.
 *
 * Before including, define REAL, OPS_NAME(x) (the function name for x) and
 * GEMM (cblas_sgemm or cblas_dgemm), and REXP (expf or exp). Backward functions ADD into their
 * gradient outputs (llm.c's convention), so callers zero them first.
 * Row-major throughout; N rows, C channels. */
#include <cblas.h>
#include <math.h>
#include <string.h>

/* out[N,Out] = inp[N,In] W[Out,In]^T (+ bias[Out]) */
void OPS_NAME(matmul_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *bias, int N,
                              int In, int Out) {
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, N, Out, In, 1, inp, In, w, In, 0, out, Out);
    if (bias)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Out; o++)
                out[(size_t)n * Out + o] += bias[o];
}

/* dinp[N,In] += dout W; dw[Out,In] += dout^T inp; dbias[Out] += column sums.
 * Any of dinp, dw, dbias may be NULL. */
void OPS_NAME(matmul_backward)(REAL *dinp, REAL *dw, REAL *dbias, const REAL *dout, const REAL *inp,
                               const REAL *w, int N, int In, int Out) {
    if (dinp)
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, In, Out, 1, dout, Out, w, In, 1, dinp,
             In);
    if (dw)
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, Out, In, N, 1, dout, Out, inp, In, 1, dw, In);
    if (dbias)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Out; o++)
                dbias[o] += dout[(size_t)n * Out + o];
}

/* out[N,C] = table[ids[n]] */
void OPS_NAME(embedding_forward)(REAL *out, const int *ids, const REAL *table, int N, int C) {
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * C, table + (size_t)ids[n] * C, sizeof(REAL) * (size_t)C);
}

void OPS_NAME(embedding_backward)(REAL *dtable, const REAL *dout, const int *ids, int N, int C) {
    for (int n = 0; n < N; n++) {
        REAL *row = dtable + (size_t)ids[n] * C;
        for (int c = 0; c < C; c++)
            row[c] += dout[(size_t)n * C + c];
    }
}

/* Elementwise work split across the pool (OPS_PARALLEL) in ranges of rows
 * or elements; each element is computed by the same operations as in one
 * loop, so the results are the same bits whatever the split. */
#ifdef OPS_PARALLEL
typedef struct OPS_NAME(EltJob) {
    void (*fn)(const struct OPS_NAME(EltJob) *, size_t, size_t);
    REAL *o1, *o2;
    const REAL *a, *b, *c, *d, *e;
    int C;
    double eps;
} OPS_NAME(EltJob);

static void OPS_NAME(elt_range)(void *ctx, size_t i0, size_t i1) {
    const OPS_NAME(EltJob) *j = ctx;
    j->fn(j, i0, i1);
}

/* Runs j->fn over 0..n in ranges of at least grain (tp_parallel_range). */
static void OPS_NAME(elt_run)(OPS_NAME(EltJob) * j, size_t n, size_t grain) {
    tp_parallel_range(n, grain, 1, OPS_NAME(elt_range), j);
}
#define OPS_GRAIN_ROWS 64    /* rows of a norm */
#define OPS_GRAIN_ELTS 32768 /* elements of SwiGLU */
#endif

static void OPS_NAME(rmsnorm_forward_rows)(REAL *out, REAL *rstd, const REAL *inp, const REAL *w,
                                           int C, double eps, size_t n0, size_t n1) {
    for (size_t n = n0; n < n1; n++) {
        const REAL *x = inp + (size_t)n * C;
        double ss = 0;
        for (int c = 0; c < C; c++)
            ss += (double)x[c] * x[c];
        REAL r = (REAL)(1.0 / sqrt(ss / C + eps));
        rstd[n] = r;
        for (int c = 0; c < C; c++)
            out[(size_t)n * C + c] = x[c] * r * w[c];
    }
}

#ifdef OPS_PARALLEL
static void OPS_NAME(rmsnorm_forward_part)(const OPS_NAME(EltJob) * j, size_t n0, size_t n1) {
    OPS_NAME(rmsnorm_forward_rows)(j->o1, j->o2, j->a, j->b, j->C, j->eps, n0, n1);
}
#endif

/* out = inp * rstd * w with rstd[n] = 1/sqrt(mean(inp[n]^2) + eps), saved. */
void OPS_NAME(rmsnorm_forward)(REAL *out, REAL *rstd, const REAL *inp, const REAL *w, int N, int C,
                               double eps) {
#ifdef OPS_PARALLEL
    OPS_NAME(EltJob)
    j = {.fn = OPS_NAME(rmsnorm_forward_part),
         .o1 = out,
         .o2 = rstd,
         .a = inp,
         .b = w,
         .C = C,
         .eps = eps};
    OPS_NAME(elt_run)(&j, (size_t)(N > 0 ? N : 0), OPS_GRAIN_ROWS);
#else
    OPS_NAME(rmsnorm_forward_rows)(out, rstd, inp, w, C, eps, 0, (size_t)(N > 0 ? N : 0));
#endif
}

/* y_c = w_c x_c r, r = (mean x^2 + eps)^-1/2:
 * dx_j = r w_j dy_j - (r^3 / C) x_j sum_c(w_c dy_c x_c); dw_c += dy_c x_c r */
static void OPS_NAME(rmsnorm_backward_rows)(REAL *dinp, REAL *dw, const REAL *dout, const REAL *inp,
                                            const REAL *w, const REAL *rstd, int C, size_t n0,
                                            size_t n1) {
    for (size_t n = n0; n < n1; n++) {
        const REAL *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        double r = rstd[n], dot = 0;
        for (int c = 0; c < C; c++)
            dot += (double)w[c] * dy[c] * x[c];
        double k = r * r * r / C * dot;
        for (int c = 0; c < C; c++) {
            if (dinp)
                dinp[(size_t)n * C + c] += (REAL)(r * w[c] * dy[c] - k * x[c]);
            if (dw)
                dw[c] += (REAL)(dy[c] * x[c] * r);
        }
    }
}

#ifdef OPS_PARALLEL
static void OPS_NAME(rmsnorm_backward_part)(const OPS_NAME(EltJob) * j, size_t n0, size_t n1) {
    OPS_NAME(rmsnorm_backward_rows)(j->o1, NULL, j->a, j->b, j->c, j->d, j->C, n0, n1);
}
#endif

void OPS_NAME(rmsnorm_backward)(REAL *dinp, REAL *dw, const REAL *dout, const REAL *inp,
                                const REAL *w, const REAL *rstd, int N, int C) {
    size_t rows = (size_t)(N > 0 ? N : 0);
#ifdef OPS_PARALLEL
    if (!dw) { /* dw sums over the rows: in order, on one thread */
        OPS_NAME(EltJob)
        j = {.fn = OPS_NAME(rmsnorm_backward_part),
             .o1 = dinp,
             .a = dout,
             .b = inp,
             .c = w,
             .d = rstd,
             .C = C};
        OPS_NAME(elt_run)(&j, rows, OPS_GRAIN_ROWS);
        return;
    }
#endif
    OPS_NAME(rmsnorm_backward_rows)(dinp, dw, dout, inp, w, rstd, C, 0, rows);
}

/* Rotates, in place, x[N, nh, D], row n at position n % T of its sequence:
 * pairs (i, i + D/2) by the angle whose cosine and sine are cs[t * D/2 + i]
 * and sn[t * D/2 + i] (Hugging Face rotate_half; tables from
 * llama_rope_table or any angle pos * inv_freq[i]). */
void OPS_NAME(rope_forward)(REAL *x, const REAL *cs, const REAL *sn, int N, int T, int nh, int D) {
    int half = D / 2;
    for (int n = 0; n < N; n++) {
        const REAL *c = cs + (size_t)(n % T) * half, *s = sn + (size_t)(n % T) * half;
        for (int h = 0; h < nh; h++) {
            REAL *v = x + ((size_t)n * nh + h) * D;
            for (int i = 0; i < half; i++) {
                REAL x0 = v[i], x1 = v[i + half];
                v[i] = x0 * c[i] - x1 * s[i];
                v[i + half] = x1 * c[i] + x0 * s[i];
            }
        }
    }
}

/* The transpose of a rotation is the rotation by -angle: dx in place. */
void OPS_NAME(rope_backward)(REAL *dx, const REAL *cs, const REAL *sn, int N, int T, int nh,
                             int D) {
    int half = D / 2;
    for (int n = 0; n < N; n++) {
        const REAL *c = cs + (size_t)(n % T) * half, *s = sn + (size_t)(n % T) * half;
        for (int h = 0; h < nh; h++) {
            REAL *v = dx + ((size_t)n * nh + h) * D;
            for (int i = 0; i < half; i++) {
                REAL g0 = v[i], g1 = v[i + half];
                v[i] = g0 * c[i] + g1 * s[i];
                v[i + half] = g1 * c[i] - g0 * s[i];
            }
        }
    }
}

/* cs, sn [T, D/2] for positions pos0 .. pos0 + T - 1 (angles in double). */
void OPS_NAME(rope_table)(REAL *cs, REAL *sn, const double *inv_freq, int pos0, int T, int D) {
    int half = D / 2;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < half; i++) {
            double a = (double)(pos0 + t) * inv_freq[i];
            cs[(size_t)t * half + i] = (REAL)cos(a);
            sn[(size_t)t * half + i] = (REAL)sin(a);
        }
}

/* Causal attention with GQA for B sequences of T: q [B*T, H, D],
 * k and v [B*T, KV, D], out [B*T, H, D]. The softmax probabilities of
 * head (b, h) are a T x T block (entries above the diagonal 0); window > 0:
 * sliding window, position t attends to s with t - window < s <= t only
 * (the other entries 0). Saving them (att [B, H, T, T]) costs B H T^2
 * REALs a block; without them the backward computes them again from q and
 * k, with the same operations in the same order, so bit for bit the same
 * values. */
/* Causality in the products: the rows of a block of OPS_ATT_ROWS positions
 * attend to the positions up to the block's last only, so each product
 * runs block by block over the columns that can be non-zero (on T = 256,
 * five eighths of the full products' work). */
#define OPS_ATT_ROWS 64

static void OPS_NAME(attention_head_probs)(REAL *a, const REAL *q, const REAL *k, int b, int h,
                                           int T, int H, int KV, int D, int window) {
    int group = H / KV, qs = H * D, ks = KV * D;
    REAL scale = (REAL)(1.0 / sqrt((double)D));
    const REAL *qh = q + (size_t)b * T * qs + (size_t)h * D;
    const REAL *kg = k + (size_t)b * T * ks + (size_t)(h / group) * D;
    for (int t0 = 0; t0 < T; t0 += OPS_ATT_ROWS) { /* S = scale Q K^T, columns 0..t1-1 */
        int t1 = t0 + OPS_ATT_ROWS < T ? t0 + OPS_ATT_ROWS : T;
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, t1 - t0, t1, D, scale, qh + (size_t)t0 * qs,
             qs, kg, ks, 0, a + (size_t)t0 * T, T);
    }
    for (int t = 0; t < T; t++) { /* every entry of the row is written */
        int lo = window > 0 && t >= window ? t - window + 1 : 0;
#ifdef OPS_VSOFTMAX
        tp_vsoftmax_row(a + (size_t)t * T, lo, t, T);
        continue;
#endif
        REAL *row = a + (size_t)t * T, mx = row[lo];
        for (int s = lo + 1; s <= t; s++)
            if (row[s] > mx)
                mx = row[s];
        double sum = 0;
        for (int s = lo; s <= t; s++) {
            row[s] = REXP(row[s] - mx);
            sum += row[s];
        }
        for (int s = lo; s <= t; s++)
            row[s] = (REAL)(row[s] / sum);
        for (int s = 0; s < lo; s++)
            row[s] = 0;
        for (int s = t + 1; s < T; s++)
            row[s] = 0;
    }
}

/* a: where head (b, h)'s probabilities go (T*T REALs: att's block, or a
 * scratch when they are not saved). */
static void OPS_NAME(attention_head_forward)(REAL *out, REAL *a, const REAL *q, const REAL *k,
                                             const REAL *v, int b, int h, int T, int H, int KV,
                                             int D, int window) {
    int group = H / KV, qs = H * D, ks = KV * D;
    const REAL *vg = v + (size_t)b * T * ks + (size_t)(h / group) * D;
    OPS_NAME(attention_head_probs)(a, q, k, b, h, T, H, KV, D, window);
    REAL *oh = out + (size_t)b * T * qs + (size_t)h * D;
    for (int t0 = 0; t0 < T; t0 += OPS_ATT_ROWS) { /* O = P V */
        int t1 = t0 + OPS_ATT_ROWS < T ? t0 + OPS_ATT_ROWS : T;
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, t1 - t0, D, t1, 1, a + (size_t)t0 * T, T,
             vg, ks, 0, oh + (size_t)t0 * qs, qs);
    }
}

/* P = softmax(S), S = scale Q K^T, O = P V:
 * dP = dO V^T; dS = P (dP - rowsum(dP P)); dQ += scale dS K;
 * dK += scale dS^T Q; dV += P^T dO. ds holds T*T REALs; p is head (b, h)'s
 * saved probabilities, or NULL to compute them again into pbuf (T*T). */
static void OPS_NAME(attention_head_backward)(REAL *dq, REAL *dk, REAL *dv, REAL *ds,
                                              const REAL *dout, const REAL *q, const REAL *k,
                                              const REAL *v, const REAL *p, REAL *pbuf, int b,
                                              int h, int T, int H, int KV, int D, int window) {
    int group = H / KV, qs = H * D, ks = KV * D;
    REAL scale = (REAL)(1.0 / sqrt((double)D));
    size_t qo = (size_t)b * T * qs + (size_t)h * D;
    size_t ko = (size_t)b * T * ks + (size_t)(h / group) * D;
    if (!p) {
        OPS_NAME(attention_head_probs)(pbuf, q, k, b, h, T, H, KV, D, window);
        p = pbuf;
    }
    for (int t0 = 0; t0 < T; t0 += OPS_ATT_ROWS) { /* dP = dO V^T */
        int t1 = t0 + OPS_ATT_ROWS < T ? t0 + OPS_ATT_ROWS : T;
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, t1 - t0, t1, D, 1,
             dout + qo + (size_t)t0 * qs, qs, v + ko, ks, 0, ds + (size_t)t0 * T, T);
    }
    for (int t = 0; t < T; t++) { /* every entry of the row is written */
#ifdef OPS_VSOFTMAX
        tp_vsoftmax_backward_row(ds + (size_t)t * T, p + (size_t)t * T, t, T);
        continue;
#endif
        REAL *row = ds + (size_t)t * T;
        const REAL *pr = p + (size_t)t * T;
        double dot = 0;
        for (int s = 0; s <= t; s++)
            dot += (double)row[s] * pr[s];
        for (int s = 0; s <= t; s++)
            row[s] = (REAL)(pr[s] * (row[s] - dot));
        for (int s = t + 1; s < T; s++)
            row[s] = 0;
    }
    for (int t0 = 0; t0 < T; t0 += OPS_ATT_ROWS) {
        int t1 = t0 + OPS_ATT_ROWS < T ? t0 + OPS_ATT_ROWS : T;
        size_t r0 = (size_t)t0 * T + (size_t)t0; /* rows t0.. of column t0 */
        /* dQ[t0:t1] += scale dS[t0:t1, 0:t1] K[0:t1] */
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, t1 - t0, D, t1, scale, ds + (size_t)t0 * T,
             T, k + ko, ks, 1, dq + qo + (size_t)t0 * qs, qs);
        /* dK[t0:t1] += scale dS[t0:T, t0:t1]^T Q[t0:T]; dV[t0:t1] += P[t0:T, t0:t1]^T dO[t0:T] */
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, t1 - t0, D, T - t0, scale, ds + r0, T,
             q + qo + (size_t)t0 * qs, qs, 1, dk + ko + (size_t)t0 * ks, ks);
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, t1 - t0, D, T - t0, 1, p + r0, T,
             dout + qo + (size_t)t0 * qs, qs, 1, dv + ko + (size_t)t0 * ks, ks);
    }
}

/* Head (b, h)'s probabilities: its block of att when saved, else NULL. */
#define OPS_ATT_BLOCK(att, b, h, H, T)                                                             \
    ((att) ? (att) + ((size_t)(b) * (H) + (h)) * (T) * (T) : NULL)

#ifdef OPS_PARALLEL
/* One task per sequence and KV head: the query heads of a group write the
 * same dk and dv rows, so they stay in one task, in order. scratch: 2 T*T
 * REALs per worker of the pool. */
typedef struct OPS_NAME(AttnJob) {
    REAL *out, *att, *dq, *dk, *dv, *scratch;
    const REAL *q, *k, *v, *dout, *patt;
    int T, H, KV, D, window;
} OPS_NAME(AttnJob);

static void OPS_NAME(attention_fwd_task)(void *ctx, int task, int worker) {
    const OPS_NAME(AttnJob) *j = ctx;
    int group = j->H / j->KV, b = task / j->KV, g = task % j->KV;
    REAL *own = j->scratch + (size_t)worker * 2 * j->T * j->T;
    for (int h = g * group; h < (g + 1) * group; h++) {
        REAL *a = j->att ? OPS_ATT_BLOCK(j->att, b, h, j->H, j->T) : own;
        OPS_NAME(attention_head_forward)
        (j->out, a, j->q, j->k, j->v, b, h, j->T, j->H, j->KV, j->D, j->window);
    }
}

static void OPS_NAME(attention_bwd_task)(void *ctx, int task, int worker) {
    const OPS_NAME(AttnJob) *j = ctx;
    int group = j->H / j->KV, b = task / j->KV, g = task % j->KV;
    REAL *ds = j->scratch + (size_t)worker * 2 * j->T * j->T;
    for (int h = g * group; h < (g + 1) * group; h++)
        OPS_NAME(attention_head_backward)
    (j->dq, j->dk, j->dv, ds, j->dout, j->q, j->k, j->v, OPS_ATT_BLOCK(j->patt, b, h, j->H, j->T),
     ds + (size_t)j->T * j->T, b, h, j->T, j->H, j->KV, j->D, j->window);
}
#endif

/* att: where the probabilities are saved ([B, H, T, T]), or NULL to keep
 * none. scratch: 2 T*T REALs for each thread of the pool (OPS_PARALLEL),
 * else 2 T*T. */
void OPS_NAME(attention_forward)(REAL *out, REAL *att, REAL *scratch, const REAL *q, const REAL *k,
                                 const REAL *v, int B, int T, int H, int KV, int D, int window) {
#ifdef OPS_PARALLEL
    OPS_NAME(AttnJob)
    j = {out, att, NULL, NULL, NULL, scratch, q, k, v, NULL, NULL, T, H, KV, D, window};
    tp_parallel_for(B * KV, OPS_NAME(attention_fwd_task), &j);
#else
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            OPS_NAME(attention_head_forward)
    (out, att ? OPS_ATT_BLOCK(att, b, h, H, T) : scratch, q, k, v, b, h, T, H, KV, D, window);
#endif
}

/* att: the probabilities the forward saved, or NULL (computed again, the
 * same values; window must be the forward's). scratch as for the forward. */
void OPS_NAME(attention_backward)(REAL *dq, REAL *dk, REAL *dv, REAL *scratch, const REAL *dout,
                                  const REAL *q, const REAL *k, const REAL *v, const REAL *att,
                                  int B, int T, int H, int KV, int D, int window) {
#ifdef OPS_PARALLEL
    OPS_NAME(AttnJob)
    j = {NULL, NULL, dq, dk, dv, scratch, q, k, v, dout, att, T, H, KV, D, window};
    tp_parallel_for(B * KV, OPS_NAME(attention_bwd_task), &j);
#else
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            OPS_NAME(attention_head_backward)
    (dq, dk, dv, scratch, dout, q, k, v, OPS_ATT_BLOCK(att, b, h, H, T), scratch + (size_t)T * T, b,
     h, T, H, KV, D, window);
#endif
}

static void OPS_NAME(swiglu_forward_range)(REAL *out, const REAL *gate, const REAL *up, size_t i0,
                                           size_t i1) {
#ifdef OPS_VSWIGLU /* the same formula, exp vectorised (vexp.h) */
    tp_vswiglu_forward(out + i0, gate + i0, up + i0, i1 - i0);
#else
    for (size_t i = i0; i < i1; i++) {
        double g = gate[i];
        out[i] = (REAL)(g / (1 + exp(-g)) * up[i]);
    }
#endif
}

static void OPS_NAME(swiglu_backward_range)(REAL *dgate, REAL *dup, const REAL *dout,
                                            const REAL *gate, const REAL *up, size_t i0,
                                            size_t i1) {
#ifdef OPS_VSWIGLU
    tp_vswiglu_backward(dgate + i0, dup + i0, dout + i0, gate + i0, up + i0, i1 - i0);
#else
    for (size_t i = i0; i < i1; i++) {
        double g = gate[i], s = 1 / (1 + exp(-g));
        dgate[i] += (REAL)(dout[i] * up[i] * s * (1 + g * (1 - s)));
        dup[i] += (REAL)(dout[i] * g * s);
    }
#endif
}

#ifdef OPS_PARALLEL
static void OPS_NAME(swiglu_forward_part)(const OPS_NAME(EltJob) * j, size_t i0, size_t i1) {
    OPS_NAME(swiglu_forward_range)(j->o1, j->a, j->b, i0, i1);
}

static void OPS_NAME(swiglu_backward_part)(const OPS_NAME(EltJob) * j, size_t i0, size_t i1) {
    OPS_NAME(swiglu_backward_range)(j->o1, j->o2, j->a, j->b, j->c, i0, i1);
}
#endif

/* out = silu(gate) * up, silu(x) = x sigmoid(x) */
void OPS_NAME(swiglu_forward)(REAL *out, const REAL *gate, const REAL *up, size_t n) {
#ifdef OPS_PARALLEL
    OPS_NAME(EltJob) j = {.fn = OPS_NAME(swiglu_forward_part), .o1 = out, .a = gate, .b = up};
    OPS_NAME(elt_run)(&j, n, OPS_GRAIN_ELTS);
#else
    OPS_NAME(swiglu_forward_range)(out, gate, up, 0, n);
#endif
}

/* d silu(g)/dg = s (1 + g (1 - s)), s = sigmoid(g) */
void OPS_NAME(swiglu_backward)(REAL *dgate, REAL *dup, const REAL *dout, const REAL *gate,
                               const REAL *up, size_t n) {
#ifdef OPS_PARALLEL
    OPS_NAME(EltJob)
    j = {.fn = OPS_NAME(swiglu_backward_part),
         .o1 = dgate,
         .o2 = dup,
         .a = dout,
         .b = gate,
         .c = up};
    OPS_NAME(elt_run)(&j, n, OPS_GRAIN_ELTS);
#else
    OPS_NAME(swiglu_backward_range)(dgate, dup, dout, gate, up, 0, n);
#endif
}

/* Cross-entropy of logits [N, V] against targets (IGNORE = no loss):
 * losses[n] = logsumexp(logits[n]) - logits[n][target], 0 when ignored;
 * lse[n] (saved for the backward) = logsumexp(logits[n]) for counted rows.
 * Returns the number of counted positions. */
int OPS_NAME(crossentropy_forward)(REAL *losses, REAL *lse, const REAL *logits, const int *targets,
                                   int N, int V, int ignore) {
    int counted = 0;
    for (int n = 0; n < N; n++) {
        if (targets[n] == ignore) {
            losses[n] = 0;
            lse[n] = 0;
            continue;
        }
        const REAL *row = logits + (size_t)n * V;
        REAL mx = row[0];
        for (int i = 1; i < V; i++)
            if (row[i] > mx)
                mx = row[i];
        double sum = 0;
        for (int i = 0; i < V; i++)
            sum += REXP(row[i] - mx);
        lse[n] = (REAL)(log(sum) + mx);
        losses[n] = lse[n] - row[targets[n]];
        counted++;
    }
    return counted;
}

/* dlogits[n] += scale (softmax(logits[n]) - onehot(target)), for counted
 * rows, with softmax = exp(logit - lse) from the forward; scale is
 * d(total)/d(loss_n), e.g. 1/counted for a mean. With overwrite, dlogits is
 * written instead (ignored rows set to 0), which spares the caller zeroing
 * a [N, V] buffer. */
void OPS_NAME(crossentropy_backward)(REAL *dlogits, const REAL *logits, const REAL *lse,
                                     const int *targets, int N, int V, int ignore, double scale,
                                     int overwrite) {
    for (int n = 0; n < N; n++) {
        REAL *d = dlogits + (size_t)n * V;
        if (targets[n] == ignore) {
            if (overwrite)
                memset(d, 0, sizeof(REAL) * (size_t)V);
            continue;
        }
        const REAL *row = logits + (size_t)n * V;
        REAL l = lse[n], k = (REAL)scale;
        if (overwrite)
            for (int i = 0; i < V; i++)
                d[i] = k * REXP(row[i] - l);
        else
            for (int i = 0; i < V; i++)
                d[i] += k * REXP(row[i] - l);
        d[targets[n]] -= k;
    }
}
