/* optim.c - AdamW, clipping, schedule (see optim.h for the formulas). */
#include "tunepilot/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"

void adamw_init(AdamW *o, size_t n, double weight_decay) {
    memset(o, 0, sizeof *o);
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->weight_decay = weight_decay;
    o->n = n;
    o->m = tp_xcalloc(n ? n : 1, sizeof(float));
    o->v = tp_xcalloc(n ? n : 1, sizeof(float));
}

void adamw_free(AdamW *o) {
    if (!o)
        return;
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

void adamw_step(AdamW *o, float *p, const float *g, double lr) {
    o->t++;
    double b1 = o->beta1, b2 = o->beta2;
    double bc1 = 1 - pow(b1, (double)o->t), bc2 = sqrt(1 - pow(b2, (double)o->t));
    double step = lr / bc1, decay = 1 - lr * o->weight_decay;
    for (size_t i = 0; i < o->n; i++) {
        double gi = g[i];
        double m = b1 * o->m[i] + (1 - b1) * gi;
        double v = b2 * o->v[i] + (1 - b2) * gi * gi;
        o->m[i] = (float)m;
        o->v[i] = (float)v;
        p[i] = (float)(p[i] * decay - step * m / (sqrt(v) / bc2 + o->eps));
    }
}

double clip_grad_norm(float *g, size_t n, double max_norm) {
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (max_norm > 0 && isfinite(norm)) {
        double coef = max_norm / (norm + 1e-6);
        if (coef < 1)
            for (size_t i = 0; i < n; i++)
                g[i] = (float)(g[i] * coef);
    }
    return norm;
}

double lr_cosine_with_warmup(long long step, long long warmup, long long total) {
    if (step < warmup)
        return (double)step / (double)(warmup > 1 ? warmup : 1);
    long long span = total - warmup > 1 ? total - warmup : 1;
    double p = (double)(step - warmup) / (double)span;
    double f = 0.5 * (1 + cos(M_PI * p));
    return f > 0 ? f : 0;
}
