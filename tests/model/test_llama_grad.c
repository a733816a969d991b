/* test_llama_grad.c - finite-difference checks of every backward.
 *
 * Each kernel is instantiated in double precision from the same template
 * the model uses; for a random linear functional L = sum(r * out) the
 * analytic gradient from the backward is compared with central
 * differences (h = 1e-6), relative error below 1e-6. The whole model,
 * which runs in float, is then checked end to end on a tiny configuration
 * with looser bounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tp_test.h"
#include "tunepilot/llama.h"
#include "tunepilot/rng.h"

#define REAL double
#define OPS_NAME(x) op_##x##_f64
#define GEMM cblas_dgemm
#define REXP exp
#include "model/ops_template.h"

static TpRng rng;

static double *rnd(size_t n, double scale) {
    double *x = malloc(sizeof *x * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (tp_rng_uniform(&rng) * 2 - 1) * scale;
    return x;
}

static double *zeros(size_t n) {
    return calloc(n, sizeof(double));
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* A function of the parameter array p that returns the scalar L. */
typedef double (*LossFn)(void *ctx);

/* Compares analytic[i] with central differences of f over p[i]. */
static void check_grad(const char *what, double *p, size_t n, const double *analytic, LossFn f,
                       void *ctx) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = p[i], h = 1e-6;
        p[i] = keep + h;
        double up = f(ctx);
        p[i] = keep - h;
        double down = f(ctx);
        p[i] = keep;
        double num = (up - down) / (2 * h);
        double den = fabs(num) + fabs(analytic[i]);
        double rel = den > 1e-9 ? fabs(num - analytic[i]) / den : fabs(num - analytic[i]);
        if (rel > worst)
            worst = rel;
        /* rounding in the difference quotient is about 1e-16 |L| / h, some
         * 1e-9 here: below that absolute error a tiny gradient is exact */
        if (rel > 1e-6 && fabs(num - analytic[i]) > 1e-9)
            fail_msg("%s[%zu]: analytic %.12g, numeric %.12g (relative error %.3g)", what, i,
                     analytic[i], num, rel);
    }
    print_message("  %-26s %5zu entries, worst relative error %.2g\n", what, n, worst);
}

/* --- matmul ------------------------------------------------------------------------ */

typedef struct MM {
    double *inp, *w, *b, *r, *out;
    int N, In, Out;
} MM;

static double mm_loss(void *c) {
    MM *m = c;
    op_matmul_forward_f64(m->out, m->inp, m->w, m->b, m->N, m->In, m->Out);
    return dot(m->out, m->r, (size_t)m->N * m->Out);
}

static void test_matmul(void **state) {
    (void)state;
    MM m = {.N = 5, .In = 7, .Out = 3};
    m.inp = rnd(35, 1);
    m.w = rnd(21, 1);
    m.b = rnd(3, 1);
    m.r = rnd(15, 1);
    m.out = zeros(15);
    double *di = zeros(35), *dw = zeros(21), *db = zeros(3);
    op_matmul_backward_f64(di, dw, db, m.r, m.inp, m.w, m.N, m.In, m.Out);
    check_grad("matmul d(input)", m.inp, 35, di, mm_loss, &m);
    check_grad("matmul d(weight)", m.w, 21, dw, mm_loss, &m);
    check_grad("matmul d(bias)", m.b, 3, db, mm_loss, &m);
    free(m.inp), free(m.w), free(m.b), free(m.r), free(m.out), free(di), free(dw), free(db);
}

/* --- embedding ------------------------------------------------------------------------- */

typedef struct EM {
    double *table, *r, *out;
    int *ids, N, C;
} EM;

static double em_loss(void *c) {
    EM *e = c;
    op_embedding_forward_f64(e->out, e->ids, e->table, e->N, e->C);
    return dot(e->out, e->r, (size_t)e->N * e->C);
}

static void test_embedding(void **state) {
    (void)state;
    int ids[6] = {3, 1, 3, 0, 4, 3}; /* repeats accumulate */
    EM e = {.N = 6, .C = 4, .ids = ids};
    e.table = rnd(5 * 4, 1);
    e.r = rnd(24, 1);
    e.out = zeros(24);
    double *dt = zeros(20);
    op_embedding_backward_f64(dt, e.r, ids, 6, 4);
    check_grad("embedding d(table)", e.table, 20, dt, em_loss, &e);
    free(e.table), free(e.r), free(e.out), free(dt);
}

/* --- rmsnorm --------------------------------------------------------------------------- */

typedef struct RN {
    double *x, *w, *r, *out, *rstd;
    int N, C;
} RN;

static double rn_loss(void *c) {
    RN *n = c;
    op_rmsnorm_forward_f64(n->out, n->rstd, n->x, n->w, n->N, n->C, 1e-5);
    return dot(n->out, n->r, (size_t)n->N * n->C);
}

static void test_rmsnorm(void **state) {
    (void)state;
    RN n = {.N = 4, .C = 9};
    n.x = rnd(36, 2);
    n.w = rnd(9, 1);
    n.r = rnd(36, 1);
    n.out = zeros(36);
    n.rstd = zeros(4);
    rn_loss(&n);
    double *dx = zeros(36), *dw = zeros(9);
    op_rmsnorm_backward_f64(dx, dw, n.r, n.x, n.w, n.rstd, 4, 9);
    check_grad("rmsnorm d(input)", n.x, 36, dx, rn_loss, &n);
    check_grad("rmsnorm d(weight)", n.w, 9, dw, rn_loss, &n);
    free(n.x), free(n.w), free(n.r), free(n.out), free(n.rstd), free(dx), free(dw);
}

/* --- rope -------------------------------------------------------------------------------- */

typedef struct RP {
    double *x, *y, *r, *cs, *sn;
    int N, T, nh, D;
} RP;

static double rp_loss(void *c) {
    RP *p = c;
    size_t n = (size_t)p->N * p->nh * p->D;
    memcpy(p->y, p->x, n * sizeof(double));
    op_rope_forward_f64(p->y, p->cs, p->sn, p->N, p->T, p->nh, p->D);
    return dot(p->y, p->r, n);
}

static void test_rope(void **state) {
    (void)state;
    RP p = {.N = 6, .T = 3, .nh = 2, .D = 8};
    size_t n = 6 * 2 * 8;
    double inv[4];
    for (int i = 0; i < 4; i++)
        inv[i] = pow(10000.0, -2.0 * i / 8);
    double cs[3 * 4], sn[3 * 4];
    op_rope_table_f64(cs, sn, inv, 0, 3, 8);
    p.cs = cs;
    p.sn = sn;
    p.x = rnd(n, 1);
    p.y = zeros(n);
    p.r = rnd(n, 1);
    double *dx = malloc(n * sizeof *dx);
    memcpy(dx, p.r, n * sizeof *dx);
    op_rope_backward_f64(dx, cs, sn, p.N, p.T, p.nh, p.D);
    check_grad("rope d(input)", p.x, n, dx, rp_loss, &p);
    /* rotate-half pairing: position 1 rotates (x[0], x[4]) by inv[0] = 1 rad */
    double v[8] = {1, 0, 0, 0, 0, 0, 0, 0}, c1[4], s1[4];
    op_rope_table_f64(c1, s1, inv, 1, 1, 8);
    op_rope_forward_f64(v, c1, s1, 1, 1, 1, 8);
    assert_close(v[0], cos(1.0), 1e-15);
    assert_close(v[4], sin(1.0), 1e-15);
    free(p.x), free(p.y), free(p.r), free(dx);
}

/* --- attention (GQA) --------------------------------------------------------------------- */

typedef struct AT {
    double *q, *k, *v, *r, *out, *att;
    int B, T, H, KV, D, window;
} AT;

static double at_loss(void *c) {
    AT *a = c;
    double scratch[2 * 25];
    op_attention_forward_f64(a->out, a->att, scratch, a->q, a->k, a->v, a->B, a->T, a->H, a->KV,
                             a->D, a->window);
    return dot(a->out, a->r, (size_t)a->B * a->T * a->H * a->D);
}

static void check_attention(int window) {
    AT a = {.B = 2, .T = 5, .H = 4, .KV = 2, .D = 3, .window = window};
    size_t nq = 2 * 5 * 4 * 3, nk = 2 * 5 * 2 * 3;
    a.q = rnd(nq, 1);
    a.k = rnd(nk, 1);
    a.v = rnd(nk, 1);
    a.r = rnd(nq, 1);
    a.out = zeros(nq);
    a.att = zeros(2 * 4 * 5 * 5);
    at_loss(&a);
    double *dq = zeros(nq), *dk = zeros(nk), *dv = zeros(nk), *scratch = zeros(2 * 25);
    op_attention_backward_f64(dq, dk, dv, scratch, a.r, a.q, a.k, a.v, a.att, 2, 5, 4, 2, 3,
                              window);
    /* without the saved probabilities the backward computes them again:
     * the same gradients, bit for bit */
    double *dq2 = zeros(nq), *dk2 = zeros(nk), *dv2 = zeros(nk);
    op_attention_backward_f64(dq2, dk2, dv2, scratch, a.r, a.q, a.k, a.v, NULL, 2, 5, 4, 2, 3,
                              window);
    assert_memory_equal(dq, dq2, nq * sizeof *dq);
    assert_memory_equal(dk, dk2, nk * sizeof *dk);
    assert_memory_equal(dv, dv2, nk * sizeof *dv);
    free(dq2), free(dk2), free(dv2);
    check_grad("attention d(q)", a.q, nq, dq, at_loss, &a);
    check_grad("attention d(k)", a.k, nk, dk, at_loss, &a);
    check_grad("attention d(v)", a.v, nk, dv, at_loss, &a);
    /* causality: the first position attends only to itself */
    assert_close(a.att[0], 1.0, 1e-15);
    /* a window of 2: position t sees t-1 and t only (masking_utils.py:
     * kv_idx > q_idx - sliding_window), each row still sums to 1 */
    for (int bh = 0; window && bh < 2 * 4; bh++)
        for (int t = 0; t < 5; t++) {
            double sum = 0;
            for (int s = 0; s < 5; s++) {
                double p = a.att[(bh * 5 + t) * 5 + s];
                if (s > t || s <= t - window)
                    assert_true(p == 0);
                sum += p;
            }
            assert_close(sum, 1.0, 1e-14);
        }
    free(a.q), free(a.k), free(a.v), free(a.r), free(a.out), free(a.att);
    free(dq), free(dk), free(dv), free(scratch);
}

static void test_attention_gqa(void **state) {
    (void)state;
    check_attention(0);
    check_attention(2); /* sliding window: the same backward, finite differences agree */
}

/* Long sequences: the products run in blocks of 64 rows over the columns
 * causality allows. Against plain loops over the definitions (T = 150: two
 * whole blocks and a partial one; a window of 70 crosses block edges):
 * P = softmax(scale Q K^T) over s <= t (and t - s < window), O = P V,
 * dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K,
 * dK = scale dS^T Q, dV = P^T dO. */
static void check_attention_long(int window) {
    enum { B = 1, T = 150, H = 2, KV = 1, D = 8 };
    size_t nq = (size_t)B * T * H * D, nk = (size_t)B * T * KV * D;
    double *q = rnd(nq, 1), *k = rnd(nk, 1), *v = rnd(nk, 1), *dout = rnd(nq, 1);
    double *out = zeros(nq), *scratch = zeros(2 * T * T), *dq = zeros(nq), *dk = zeros(nk),
           *dv = zeros(nk);
    op_attention_forward_f64(out, NULL, scratch, q, k, v, B, T, H, KV, D, window);
    op_attention_backward_f64(dq, dk, dv, scratch, dout, q, k, v, NULL, B, T, H, KV, D, window);
    double *P = zeros(T * T), *dS = zeros(T * T), *rq = zeros(nq), *rk = zeros(nk), *rv = zeros(nk),
           scale = 1 / sqrt((double)D);
    for (int h = 0; h < H; h++) {
        for (int t = 0; t < T; t++) {
            double mx = -INFINITY, sum = 0;
            for (int s = 0; s <= t; s++) {
                P[t * T + s] = 0;
                if (window > 0 && t - s >= window)
                    continue;
                double x = 0;
                for (int d = 0; d < D; d++)
                    x += q[(t * H + h) * D + d] * k[s * D + d];
                P[t * T + s] = x * scale;
                mx = fmax(mx, x * scale);
            }
            for (int s = 0; s <= t; s++)
                if (!(window > 0 && t - s >= window))
                    sum += (P[t * T + s] = exp(P[t * T + s] - mx));
            for (int s = 0; s <= t; s++)
                P[t * T + s] /= sum;
            for (int d = 0; d < D; d++) {
                double o = 0;
                for (int s = 0; s <= t; s++)
                    o += P[t * T + s] * v[s * D + d];
                assert_close(out[(t * H + h) * D + d], o, 1e-12);
            }
            double dot = 0;
            for (int s = 0; s <= t; s++) {
                double dp = 0;
                for (int d = 0; d < D; d++)
                    dp += dout[(t * H + h) * D + d] * v[s * D + d];
                dS[t * T + s] = dp;
                dot += dp * P[t * T + s];
            }
            for (int s = 0; s <= t; s++)
                dS[t * T + s] = P[t * T + s] * (dS[t * T + s] - dot);
        }
        for (int t = 0; t < T; t++)
            for (int s = 0; s <= t; s++)
                for (int d = 0; d < D; d++) {
                    rq[(t * H + h) * D + d] += scale * dS[t * T + s] * k[s * D + d];
                    rk[s * D + d] += scale * dS[t * T + s] * q[(t * H + h) * D + d];
                    rv[s * D + d] += P[t * T + s] * dout[(t * H + h) * D + d];
                }
    }
    for (size_t i = 0; i < nq; i++)
        assert_close(dq[i], rq[i], 1e-12);
    for (size_t i = 0; i < nk; i++) {
        assert_close(dk[i], rk[i], 1e-12);
        assert_close(dv[i], rv[i], 1e-12);
    }
    free(q), free(k), free(v), free(dout), free(out), free(scratch), free(dq), free(dk), free(dv);
    free(P), free(dS), free(rq), free(rk), free(rv);
}

static void test_attention_long(void **state) {
    (void)state;
    check_attention_long(0);
    check_attention_long(70);
}

/* --- SwiGLU -------------------------------------------------------------------------------- */

typedef struct SG {
    double *g, *u, *r, *out;
    size_t n;
} SG;

static double sg_loss(void *c) {
    SG *s = c;
    op_swiglu_forward_f64(s->out, s->g, s->u, s->n);
    return dot(s->out, s->r, s->n);
}

static void test_swiglu(void **state) {
    (void)state;
    SG s = {.n = 20};
    s.g = rnd(20, 4);
    s.u = rnd(20, 2);
    s.r = rnd(20, 1);
    s.out = zeros(20);
    double *dg = zeros(20), *du = zeros(20);
    op_swiglu_backward_f64(dg, du, s.r, s.g, s.u, 20);
    check_grad("swiglu d(gate)", s.g, 20, dg, sg_loss, &s);
    check_grad("swiglu d(up)", s.u, 20, du, sg_loss, &s);
    free(s.g), free(s.u), free(s.r), free(s.out), free(dg), free(du);
}

/* --- masked cross-entropy --------------------------------------------------------------------- */

typedef struct CE {
    double *logits, *losses, *lse;
    int *targets, N, V;
} CE;

static double ce_loss(void *c) {
    CE *e = c;
    int n = op_crossentropy_forward_f64(e->losses, e->lse, e->logits, e->targets, e->N, e->V, -100);
    double s = 0;
    for (int i = 0; i < e->N; i++)
        s += e->losses[i];
    return s / n;
}

static void test_crossentropy_masked(void **state) {
    (void)state;
    int targets[5] = {2, -100, 0, 6, -100};
    CE e = {.N = 5, .V = 7, .targets = targets};
    e.logits = rnd(35, 3);
    e.losses = zeros(5);
    e.lse = zeros(5);
    ce_loss(&e);
    double *d = zeros(35);
    op_crossentropy_backward_f64(d, e.logits, e.lse, targets, 5, 7, -100, 1.0 / 3, 0);
    check_grad("cross-entropy d(logits)", e.logits, 35, d, ce_loss, &e);
    for (int i = 0; i < 7; i++) /* masked rows get no gradient */
        assert_close(d[7 + i], 0, 0);
    /* writing gives what adding into zeros gives, and clears masked rows */
    double *w = malloc(35 * sizeof *w);
    for (int i = 0; i < 35; i++)
        w[i] = 99;
    op_crossentropy_backward_f64(w, e.logits, e.lse, targets, 5, 7, -100, 1.0 / 3, 1);
    assert_memory_equal(w, d, 35 * sizeof *w);
    free(w);
    /* uniform logits: loss = ln V */
    double flat[7] = {0}, l1, lse1;
    int t1 = 3;
    op_crossentropy_forward_f64(&l1, &lse1, flat, &t1, 1, 7, -100);
    assert_close(l1, log(7.0), 1e-15);
    free(e.logits), free(e.losses), free(e.lse), free(d);
}

/* --- the whole model, in float ------------------------------------------------------------ */

static LlamaConfig tiny_config(bool tie, bool bias) {
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    c.hidden = 16;
    c.intermediate = 24;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 4;
    c.vocab = 11;
    c.max_pos = 64;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = tie;
    c.attention_bias = bias;
    c.bos_id = -1;
    return c;
}

static float model_loss(LlamaModel *m, const int *ids, const int *tg, int B, int T) {
    float loss;
    TpError err;
    assert_int_equal(llama_forward(m, ids, tg, B, T, &loss, NULL, &err), TP_OK);
    return loss;
}

/* Float central differences with h = 1e-2 on a loss of about ln(11):
 * truncation error O(h^2) and rounding about 1e-7/h, so |a - n| <=
 * 2e-3 + 2e-2 |n| is a meaningful bound for gradients of order 1e-2..1. */
static void check_model(bool tie, bool bias, int window) {
    LlamaConfig c = tiny_config(tie, bias);
    if (window) { /* layer 1 windowed, as a Qwen2 with max_window_layers 1 */
        c.sliding_window = window;
        c.window_layers[0] = 2;
    }
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 42, 0.4f);
    if (bias)
        for (int l = 0; l < c.n_layers; l++)
            for (int i = 0; i < c.n_heads * c.head_dim; i++)
                m.w.layers[l].bq[i] = 0.1f * (i % 3);
    int B = 2, T = 6;
    int ids[12] = {1, 5, 7, 2, 9, 3, 4, 4, 10, 0, 6, 8};
    int tg[12] = {5, 7, 2, 9, 3, -100, -100, 10, 0, 6, 8, 1};
    llama_grads_enable(&m);
    llama_zero_grad(&m);
    model_loss(&m, ids, tg, B, T);
    assert_int_equal(llama_backward(&m, true, &err), TP_OK);
    /* every parameter of the first and last layer and a stride through the rest */
    size_t checked = 0;
    double worst = 0;
    for (size_t i = 0; i < m.n_params; i += (i < 2000 ? 7 : 23)) {
        float keep = m.params[i], h = 1e-2f;
        m.params[i] = keep + h;
        double up = model_loss(&m, ids, tg, B, T);
        m.params[i] = keep - h;
        double down = model_loss(&m, ids, tg, B, T);
        m.params[i] = keep;
        double num = (up - down) / (2 * h), an = m.grads[i];
        double err_abs = fabs(num - an);
        if (err_abs > 2e-3 + 2e-2 * fabs(num))
            fail_msg("param %zu: analytic %.6g, numeric %.6g", i, an, num);
        if (err_abs > worst)
            worst = err_abs;
        checked++;
    }
    print_message("  model (tied=%d, bias=%d, window=%d): %zu of %zu parameters, worst abs "
                  "error %.2g\n",
                  tie, bias, window, checked, m.n_params, worst);
    /* the input gradient is what flows into the embedding rows */
    const float *dx = llama_input_grad(&m);
    assert_non_null(dx);
    llama_model_free(&m);
}

static void test_model_backward(void **state) {
    (void)state;
    check_model(false, false, 0);
    check_model(true, false, 0);
    check_model(false, true, 0);
    check_model(false, true, 3);
}

/* Without weight gradients, the input gradient is the same. */
static void test_input_grad_without_weights(void **state) {
    (void)state;
    LlamaConfig c = tiny_config(false, false);
    LlamaModel m;
    TpError err;
    assert_int_equal(llama_model_init(&m, &c, &err), TP_OK);
    llama_model_randomize(&m, 7, 0.4f);
    int ids[6] = {1, 2, 3, 4, 5, 6}, tg[6] = {2, 3, 4, 5, 6, 7};
    llama_grads_enable(&m);
    model_loss(&m, ids, tg, 1, 6);
    assert_int_equal(llama_backward(&m, true, &err), TP_OK);
    float *a = malloc(sizeof(float) * 6 * 16);
    memcpy(a, llama_input_grad(&m), sizeof(float) * 6 * 16);
    model_loss(&m, ids, tg, 1, 6);
    assert_int_equal(llama_backward(&m, false, &err), TP_OK);
    assert_memory_equal(a, llama_input_grad(&m), sizeof(float) * 6 * 16);
    free(a);
    llama_model_free(&m);
}

int main(void) {
    tp_rng_seed(&rng, 2026);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul),         cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_rmsnorm),        cmocka_unit_test(test_rope),
        cmocka_unit_test(test_attention_gqa),  cmocka_unit_test(test_swiglu),
        cmocka_unit_test(test_attention_long), cmocka_unit_test(test_crossentropy_masked),
        cmocka_unit_test(test_model_backward), cmocka_unit_test(test_input_grad_without_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
