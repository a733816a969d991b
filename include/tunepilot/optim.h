/* optim.h - AdamW with decoupled weight decay, global-norm clipping and the
 * warmup + cosine schedule, as PyTorch and transformers define them
 * (torch/optim/adamw.py; torch/nn/utils/clip_grad.py clip_grad_norm_;
 * transformers get_cosine_schedule_with_warmup).
 *
 * Owned by the train module (src/train/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_OPTIM_H
#define TUNEPILOT_OPTIM_H

#include <stddef.h>

typedef struct AdamW {
    double beta1, beta2, eps, weight_decay;
    float *m, *v; /* first and second moments, n each (owned) */
    size_t n;
    long long t;  /* updates taken */
} AdamW;

/* Moments zeroed; beta1 0.9, beta2 0.999, eps 1e-8 (PyTorch's defaults). */
void adamw_init(AdamW *o, size_t n, double weight_decay);
void adamw_free(AdamW *o);

/* One update at learning rate lr (t += 1):
 * p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr * (m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps). */
void adamw_step(AdamW *o, float *params, const float *grads, double lr);

/* The global L2 norm of g (accumulated in double). When max_norm > 0,
 * scales g by min(1, max_norm / (norm + 1e-6)). Returns the norm before
 * clipping. */
double clip_grad_norm(float *g, size_t n, double max_norm);

/* Multiplier of the base learning rate at update `step` (0-based) of
 * `total`: step / warmup while warming up, then 0.5 (1 + cos(pi p)) with
 * p = (step - warmup) / (total - warmup). */
double lr_cosine_with_warmup(long long step, long long warmup, long long total);

#endif
