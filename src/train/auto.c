/* auto.c - training settings that fit the data (see trainer.h). */
#include <math.h>
#include <stdio.h>

#include "tunepilot/trainer.h"

/* OpenAI's cookbook rule for the number of epochs (trainer.h). */
static int auto_epochs(long long n) {
    if (n <= 0)
        return TRAIN_AUTO_EPOCHS;
    long long e = TRAIN_AUTO_EPOCHS;
    if (n * TRAIN_AUTO_EPOCHS < TRAIN_AUTO_MIN_SEEN) {
        e = TRAIN_AUTO_MIN_SEEN / n;
        if (e > TRAIN_AUTO_MAX_EPOCHS)
            e = TRAIN_AUTO_MAX_EPOCHS;
    } else if (n * TRAIN_AUTO_EPOCHS > TRAIN_AUTO_MAX_SEEN) {
        e = TRAIN_AUTO_MAX_SEEN / n;
        if (e < 1)
            e = 1;
    }
    return (int)e;
}

void train_auto_settings(long long n_train, double n_params, unsigned given, TrainConfig *c,
                         double *epochs_out, char *note, size_t note_size) {
    if (!(given & TRAIN_GIVEN_BATCH))
        c->batch = n_train > 0 && n_train < TRAIN_AUTO_BATCH ? (int)n_train : TRAIN_AUTO_BATCH;
    if (!(given & TRAIN_GIVEN_LR))
        c->lr = c->method == TRAIN_FULL               ? TRAIN_AUTO_LR_FULL
                : n_params >= TRAIN_AUTO_LARGE_PARAMS ? TRAIN_AUTO_LR_LORA_LARGE
                                                      : TRAIN_AUTO_LR_LORA;
    double per_update = (double)c->batch * (c->grad_accum > 1 ? c->grad_accum : 1);
    if (!(given & (TRAIN_GIVEN_STEPS | TRAIN_GIVEN_EPOCHS)))
        c->epochs = auto_epochs(n_train);
    if (!(given & TRAIN_GIVEN_STEPS))
        c->steps = n_train > 0 ? (long long)ceil(c->epochs * (double)n_train / per_update) : 0;
    double epochs = n_train > 0 ? (double)c->steps * per_update / (double)n_train : c->epochs;
    if (epochs_out)
        *epochs_out = epochs;
    if (note && note_size) {
        note[0] = '\0';
        if (epochs > TRAIN_AUTO_WARN_EPOCHS + 1e-9)
            snprintf(note, note_size,
                     "%.2f passes over %lld training examples, more than %.0f (the usual "
                     "default, OpenAI's cookbook rule): the model may memorize them; watch the "
                     "held-out loss, or add data",
                     epochs, n_train, TRAIN_AUTO_WARN_EPOCHS);
    }
}

/* --- the bounds of typed settings (trainer.h) ------------------------------------------- */

/* Indexed by TrainSetting. The integer bounds keep each count an int (or a
 * long long for steps) the trainer can allocate for: 4096 for rank, batch
 * and accumulation, 2^20 tokens for a sequence. The learning rate's upper
 * bound refuses a typo (12 for 1e-2) that would only diverge. */
static const TrainSettingLimit LIMITS[TRAIN_N_SETTINGS] = {
    [TRAIN_SETTING_STEPS] = {"--steps", 1, 1e9, true},
    [TRAIN_SETTING_RANK] = {"--rank", 1, 4096, true},
    [TRAIN_SETTING_LR] = {"--lr", 0, 10, false},
    [TRAIN_SETTING_BATCH] = {"--batch", 1, 4096, true},
    [TRAIN_SETTING_SEQ] = {"--seq", 2, 1 << 20, true},
    [TRAIN_SETTING_GRAD_ACCUM] = {"--grad-accum", 1, 4096, true},
    [TRAIN_SETTING_WARMUP] = {"--warmup", 0, 1e9, true},
    [TRAIN_SETTING_EVAL_EVERY] = {"--eval-every", 0, 1e9, true},
    [TRAIN_SETTING_SEED] = {"--seed", 0, 9e15, true},
    [TRAIN_SETTING_THREADS] = {"--threads", 1, 1024, true},
    [TRAIN_SETTING_CHECKPOINT_EVERY] = {"--checkpoint-every", 0, 1e9, true},
};

const TrainSettingLimit *train_setting_limit(TrainSetting s) {
    return s >= 0 && s < TRAIN_N_SETTINGS ? &LIMITS[s] : NULL;
}

TpStatus train_setting_check(TrainSetting s, double v, TpError *err) {
    const TrainSettingLimit *l = train_setting_limit(s);
    if (!l)
        return tp_error_set(err, TP_EINVAL, "unknown setting %d", (int)s);
    if (l->integer) {
        if (!(v >= l->lo && v <= l->hi) || v != floor(v))
            return tp_error_set(err, TP_EINVAL, "%s: expected an integer in [%.10g, %.10g], got %.15g",
                                l->flag, l->lo, l->hi, v);
    } else if (!(v > l->lo && v < l->hi)) {
        return tp_error_set(err, TP_EINVAL, "%s: expected a number in (%.10g, %.10g), got %.15g",
                            l->flag, l->lo, l->hi, v);
    }
    return TP_OK;
}
