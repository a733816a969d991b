/* eval_local.c - the held-out examples through a pilot's own base model and
 * its tuned adapter, on this machine's runtime (see eval.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tunepilot/arena.h"
#include "tunepilot/dataset.h"
#include "tunepilot/eval.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/pilot.h"
#include "tunepilot/tokenizer.h"

void eval_summarise_local(EvalRun *r, const EvalSet *set); /* eval_remote.c */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool is_eos(const LlamaConfig *c, const Tokenizer *t, int id) {
    for (int i = 0; i < c->n_eos; i++)
        if (c->eos_ids[i] == id)
            return true;
    return id == tokenizer_eos_id(t);
}

/* Greedy answer of one prompt; *answer heap. */
static TpStatus answer_one(LlamaModel *m, const Tokenizer *t, const int *ids, int n, int max_tokens,
                           char **answer, double *ttft, TpError *err) {
    int total = n + max_tokens;
    if (total > m->cfg.max_pos)
        total = m->cfg.max_pos;
    if (n >= total)
        return tp_error_set(err, TP_EINVAL,
                            "a prompt of %d tokens leaves no room in the "
                            "model's %d positions",
                            n, m->cfg.max_pos);
    LlamaKV *kv = NULL;
    TpStatus st = llama_kv_new(m, total, &kv, err);
    float *logits = tp_xmalloc(sizeof(float) * (size_t)m->cfg.vocab);
    int *gen = tp_xmalloc(sizeof(int) * (size_t)(total + 1));
    int ng = 0;
    double t0 = now_ms();
    if (st == TP_OK && n > 0)
        st = llama_prefill(m, kv, ids, n, logits, err);
    LlamaSampler greedy = {0, 1, 0};
    uint64_t rng = 0;
    *ttft = NAN;
    while (st == TP_OK && llama_kv_len(kv) < total) {
        int next = llama_sample(logits, m->cfg.vocab, &greedy, &rng);
        if (isnan(*ttft))
            *ttft = now_ms() - t0;
        if (is_eos(&m->cfg, t, next))
            break;
        gen[ng++] = next;
        st = llama_decode_step(m, kv, next, logits, err);
    }
    if (st == TP_OK)
        *answer = tokenizer_decode(t, gen, ng, true);
    free(gen);
    free(logits);
    llama_kv_free(kv);
    return st;
}

TpStatus eval_local(Store *s, int64_t run_id, bool tuned, const EvalSet *set, int max_tokens,
                    EvalRun *out, TpError *err) {
    memset(out, 0, sizeof *out);
    StoreRun r;
    TpStatus st = store_run_get(s, run_id, &r, err);
    if (st != TP_OK)
        return st;
    PilotOptions o;
    st = pilot_options_from_run(&r, &o, err);
    char adapter[2048];
    snprintf(adapter, sizeof adapter, "%s/adapter", r.out_dir);
    if (st == TP_OK && tuned && o.train.method == TRAIN_FULL)
        st = tp_error_set(err, TP_EINVAL,
                          "run %lld trained every weight: evaluate its exported model with "
                          "--data and a local server instead",
                          (long long)run_id);
    Tokenizer *t = NULL;
    LlamaModel m;
    memset(&m, 0, sizeof m);
    Lora lora;
    memset(&lora, 0, sizeof lora);
    if (st == TP_OK)
        st = tokenizer_load(o.model_dir, &t, err);
    if (st == TP_OK)
        st = llama_model_load(o.model_dir, &m, err);
    if (st == TP_OK && tuned) {
        st = lora_load_peft(&lora, &m.cfg, adapter, err);
        if (st == TP_OK)
            lora_attach(&lora, &m);
    }
    out->n = set->n_held;
    out->local = true;
    out->samples = tp_xcalloc((size_t)set->n_held + 1, sizeof *out->samples);
    snprintf(out->variant, sizeof out->variant, "%s local", tuned ? "tuned" : "base");
    snprintf(out->endpoint, sizeof out->endpoint, "local:%s", o.model_dir);
    snprintf(out->model, sizeof out->model, "%s run %lld", tuned ? "tuned" : "base",
             (long long)run_id);
    for (int i = 0; st == TP_OK && i < set->n_held; i++) {
        const EvalExample *ex = &set->held[i];
        const char *system = NULL, *user = NULL;
        for (int k = 0; k < ex->n_msgs; k++) {
            if (!strcmp(ex->msgs[k].role, "system"))
                system = ex->msgs[k].content;
            if (!strcmp(ex->msgs[k].role, "user"))
                user = ex->msgs[k].content;
        }
        int *ids = NULL, n = 0;
        st = dataset_format_prompt(t, system, user ? user : "", &ids, &n, err);
        EvalSample *smp = &out->samples[i];
        smp->input_tokens = n;
        smp->cached_tokens = 0;
        smp->output_tokens = -1;
        double t0 = now_ms();
        if (st == TP_OK)
            st = answer_one(&m, t, ids, n, max_tokens, &smp->answer, &smp->ttft_ms, err);
        smp->latency_ms = now_ms() - t0;
        smp->attempts = 1;
        free(ids);
    }
    if (st == TP_OK)
        eval_summarise_local(out, set);
    lora_free(&lora);
    llama_model_free(&m);
    tokenizer_free(t);
    store_run_free(&r);
    return st;
}
