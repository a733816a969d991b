/* pilot.c - a pilot run (see pilot.h). */
#include "tunepilot/pilot.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pilot/pilot_impl.h"
#include "tunepilot/blas.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"

/* --- settings as JSON ---------------------------------------------------------------- */

char *pilot_settings_json(const TrainConfig *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", train_method_name(c->method));
    cJSON_AddNumberToObject(j, "rank", c->rank);
    cJSON_AddNumberToObject(j, "alpha", c->alpha);
    cJSON_AddNumberToObject(j, "dropout", c->dropout);
    cJSON_AddBoolToObject(j, "rslora", c->rslora);
    cJSON_AddBoolToObject(j, "recompute", c->recompute);
    if (c->recompute) /* the blocks replayed (0: every block) */
        cJSON_AddNumberToObject(j, "recompute_blocks", c->recompute_blocks);
    /* the type the run computes in, resolved on this machine (auto is never stored) */
    cJSON_AddStringToObject(j, "compute_dtype", nf4_compute_name(train_compute_dtype(c)));
    cJSON_AddNumberToObject(j, "targets", c->targets);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddNumberToObject(j, "weight_decay", c->weight_decay);
    cJSON_AddNumberToObject(j, "max_grad_norm", c->max_grad_norm);
    cJSON_AddNumberToObject(j, "warmup", (double)c->warmup);
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    cJSON_AddNumberToObject(j, "epochs", c->epochs);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "grad_accum", c->grad_accum);
    cJSON_AddNumberToObject(j, "seq", c->seq);
    cJSON_AddNumberToObject(j, "eval_every", (double)c->eval_every);
    cJSON_AddNumberToObject(j, "checkpoint_every", (double)c->checkpoint_every);
    cJSON_AddNumberToObject(j, "eval_split", c->eval_split);
    cJSON_AddNumberToObject(j, "seed", (double)c->seed);
    cJSON_AddNumberToObject(j, "threads", c->threads);
    cJSON_AddNumberToObject(j, "eval_examples", c->eval_examples);
    if (c->init_adapter[0])
        cJSON_AddStringToObject(j, "init_adapter", c->init_adapter);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

TpStatus pilot_options_from_run(const StoreRun *r, PilotOptions *o, TpError *err) {
    memset(o, 0, sizeof *o);
    train_config_defaults(&o->train);
    cJSON *j;
    char name[64];
    snprintf(name, sizeof name, "run %lld settings", (long long)r->id);
    TpStatus st = tp_json_parse(r->config, strlen(r->config), name, &j, err);
    if (st != TP_OK)
        return st;
    TrainConfig *c = &o->train;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "method");
    if (!cJSON_IsString(m) || !train_method_parse(m->valuestring, &c->method))
        st = tp_error_set(err, TP_EINVAL, "%s: $.method: expected qlora, lora or full", name);
        /* A stored number must fit the field it goes to (a shared or edited
         * database may hold anything): out of range is an error, not a cast. */
#define NUM(key, field, cast, lo, hi)                                                              \
    do {                                                                                           \
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);                                 \
        if (st == TP_OK && cJSON_IsNumber(x)) {                                                    \
            if (!(x->valuedouble >= (lo) && x->valuedouble <= (hi)))                               \
                st = tp_error_set(err, TP_EINVAL, "%s: $.%s: %g is out of range [%g, %g]", name,   \
                                  key, x->valuedouble, (double)(lo), (double)(hi));                \
            else                                                                                   \
                c->field = (cast)x->valuedouble;                                                   \
        }                                                                                          \
    } while (0)
#define INT_FIELD(key, field) NUM(key, field, int, INT_MIN, INT_MAX)
#define LL_FIELD(key, field)                                                                       \
    NUM(key, field, long long, -9223372036854775808.0, 9223372036854774784.0)
#define REAL_FIELD(key, field) NUM(key, field, double, -DBL_MAX, DBL_MAX)
    INT_FIELD("rank", rank);
    REAL_FIELD("alpha", alpha);
    REAL_FIELD("dropout", dropout);
    NUM("targets", targets, unsigned, 0, UINT_MAX);
    REAL_FIELD("lr", lr);
    REAL_FIELD("weight_decay", weight_decay);
    REAL_FIELD("max_grad_norm", max_grad_norm);
    LL_FIELD("warmup", warmup);
    LL_FIELD("steps", steps);
    REAL_FIELD("epochs", epochs);
    INT_FIELD("batch", batch);
    INT_FIELD("grad_accum", grad_accum);
    INT_FIELD("seq", seq);
    LL_FIELD("eval_every", eval_every);
    LL_FIELD("checkpoint_every", checkpoint_every);
    REAL_FIELD("eval_split", eval_split);
    NUM("seed", seed, uint64_t, 0, 18446744073709549568.0); /* the largest double < 2^64 */
    INT_FIELD("threads", threads);
    INT_FIELD("eval_examples", eval_examples);
#undef INT_FIELD
#undef LL_FIELD
#undef REAL_FIELD
#undef NUM
    c->rslora = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "rslora"));
    const cJSON *ia = cJSON_GetObjectItemCaseSensitive(j, "init_adapter");
    if (cJSON_IsString(ia))
        snprintf(c->init_adapter, sizeof c->init_adapter, "%s", ia->valuestring);
    c->recompute = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "recompute"));
    c->recompute_off = !c->recompute; /* a resumed run keeps what it recorded */
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(j, "recompute_blocks");
    c->recompute_blocks = cJSON_IsNumber(rb) && rb->valuedouble >= 0 && rb->valuedouble <= 4096
                              ? (int)rb->valuedouble
                              : 0; /* runs recorded before it replayed every block */
    /* runs recorded before the setting existed computed in fp32 */
    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(j, "compute_dtype");
    c->compute_dtype = NF4_COMPUTE_FP32;
    if (st == TP_OK && cd &&
        (!cJSON_IsString(cd) || !nf4_compute_parse(cd->valuestring, &c->compute_dtype)))
        st = tp_error_set(err, TP_EINVAL, "%s: $.compute_dtype: expected fp32, bf16 or auto", name);
    cJSON_Delete(j);
    o->model_dir = r->model;
    o->data_path = r->data;
    o->out_dir = r->out_dir;
    o->resume_id = r->id;
    return st;
}

/* --- the sink: database, metrics.jsonl, the face's view --------------------------------- */

typedef struct Sink {
    Store *store;
    int64_t run;
    FILE *jsonl;
    const PilotView *view;
} Sink;

/* The event to metrics.jsonl (when to_file) and to the view. */
static void emit(Sink *k, cJSON *o, bool to_file) {
    char *s = cJSON_PrintUnformatted(o);
    if (k->jsonl && to_file) {
        fprintf(k->jsonl, "%s\n", s);
        fflush(k->jsonl);
    }
    if (k->view->json)
        k->view->json(k->view->ctx, s);
    free(s);
}

static void jsonl_line(Sink *k, cJSON *o) {
    emit(k, o, true);
}

static void on_step(void *ctx, const TrainStep *s) {
    Sink *k = ctx;
    StoreMetric m = {s->step,         s->loss,   s->lr,        s->grad_norm,
                     s->tokens_per_s, s->rss_mb, s->elapsed_s, s->tokens};
    TpError err;
    pilot_gate_enter();
    store_run_metric(k->store, k->run, &m, &err); /* a busy database must not stop training */
    pilot_gate_leave();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", "step");
    cJSON_AddNumberToObject(o, "step", (double)s->step);
    cJSON_AddNumberToObject(o, "total", (double)s->total);
    tp_json_add_num(o, "loss", s->loss);
    tp_json_add_num(o, "lr", s->lr);
    tp_json_add_num(o, "grad_norm", s->grad_norm);
    tp_json_add_num(o, "tokens_per_s", s->tokens_per_s);
    tp_json_add_num(o, "rss_mb", s->rss_mb);
    tp_json_add_num(o, "elapsed_s", s->elapsed_s);
    cJSON_AddNumberToObject(o, "tokens", (double)s->tokens);
    jsonl_line(k, o);
    cJSON_Delete(o);
    if (k->view->step)
        k->view->step(k->view->ctx, s);
}

static void on_eval(void *ctx, const TrainEval *e) {
    Sink *k = ctx;
    StoreEval se = {e->step, "", e->loss, e->accuracy};
    snprintf(se.kind, sizeof se.kind, "%s", e->kind);
    TpError err;
    pilot_gate_enter();
    store_run_eval(k->store, k->run, &se, &err);
    pilot_gate_leave();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", "eval");
    cJSON_AddStringToObject(o, "kind", e->kind);
    cJSON_AddNumberToObject(o, "step", (double)e->step);
    tp_json_add_num(o, "loss", e->loss);
    tp_json_add_num(o, "accuracy", e->accuracy);
    cJSON_AddNumberToObject(o, "examples", e->n_examples);
    jsonl_line(k, o);
    cJSON_Delete(o);
    if (k->view->eval)
        k->view->eval(k->view->ctx, e);
}

static void on_event(void *ctx, const char *level, const char *msg) {
    Sink *k = ctx;
    TpError err;
    pilot_gate_enter();
    store_run_event(k->store, k->run, level, msg, &err);
    pilot_gate_leave();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", "log");
    cJSON_AddStringToObject(o, "level", level);
    cJSON_AddStringToObject(o, "message", msg);
    jsonl_line(k, o);
    cJSON_Delete(o);
    if (k->view->log)
        k->view->log(k->view->ctx, level, msg);
}

/* --- the full run, priced ----------------------------------------------------------------- */

/* Time and cost of the whole dataset for the configured epochs, on this
 * machine (measured tokens/s) and on each priced GPU (its dense bf16 peak x
 * the gpu_training_mfu rule). */
static void full_run_of(const TrainInfo *ti, const TrainConfig *c, const Pricing *p,
                        PilotFullRun *o) {
    double epochs =
        c->steps > 0 ? (double)c->steps * c->batch * c->grad_accum / (ti->n_train ? ti->n_train : 1)
                     : c->epochs;
    double tokens = ti->train_tokens * epochs;
    o->epochs = epochs;
    o->tokens = tokens;
    o->flops_per_token = ti->flops_per_token;
    o->total_flops = tokens * ti->flops_per_token;
    o->here_hours = tokens / ti->tokens_per_s / 3600;
    o->here_tokens_per_s = ti->tokens_per_s;
    const PricingRule *mfu = p ? pricing_rule(p, "gpu_training_mfu") : NULL;
    o->gpu_utilization = mfu ? mfu->lo : NAN;
    if (mfu)
        snprintf(o->gpu_utilization_source, sizeof o->gpu_utilization_source, "%s", mfu->source);
    o->gpus = tp_xcalloc((size_t)(p && p->n_gpus > 0 ? p->n_gpus : 1), sizeof *o->gpus);
    for (int i = 0; mfu && i < p->n_gpus; i++) {
        const PricingGpu *gpu = &p->gpus[i];
        if (isnan(gpu->bf16_dense_tflops) || gpu->bf16_dense_tflops <= 0)
            continue;
        const PricingGpuRate *r = pricing_gpu_rate(gpu, NULL);
        double hours =
            tokens * ti->flops_per_token / (gpu->bf16_dense_tflops * 1e12 * mfu->lo) / 3600;
        PilotGpuRun *e = &o->gpus[o->n_gpus++];
        snprintf(e->gpu, sizeof e->gpu, "%s", gpu->id);
        snprintf(e->cloud, sizeof e->cloud, "%s", r->cloud);
        e->hours = hours;
        e->usd = hours * r->usd_per_hour;
        e->usd_per_hour = r->usd_per_hour;
    }
}

/* --- the run ---------------------------------------------------------------------------------- */

static PilotScore score_of(const TrainEval *e) {
    return (PilotScore){e->loss, e->accuracy, e->n_examples};
}

/* Finishes a run that completed: tuned evaluation, export, full-run cost,
 * summary. base comes from the run's "base" evaluation. */
static TpStatus finish(Store *s, const Pricing *pricing, const PilotOptions *o, Trainer *t, Sink *k,
                       const char *dir, TpError *err) {
    TrainEval tuned, base = {0};
    char show[4096];
    TpStatus st = trainer_evaluate(t, "tuned", &tuned, show, sizeof show, 4, err);
    if (st != TP_OK)
        return st;
    on_eval(k, &tuned);
    StoreEval *evs = NULL;
    int n = 0;
    base.loss = base.accuracy = NAN;
    if (store_run_evals(s, k->run, &evs, &n, err) == TP_OK)
        for (int i = 0; i < n; i++)
            if (!strcmp(evs[i].kind, "base")) {
                base.loss = evs[i].loss;
                base.accuracy = evs[i].accuracy;
            }
    free(evs);
    /* the base was scored on the same held-out examples (maybe in an
     * earlier process, before a resume) */
    if (!isnan(base.accuracy))
        base.n_examples = tuned.n_examples;
    char export_dir[4200];
    snprintf(export_dir, sizeof export_dir, "%s/%s", dir,
             o->train.method == TRAIN_FULL ? "model" : "adapter");
    st = trainer_export(t, export_dir, err);
    if (st != TP_OK)
        return st;
    TrainInfo ti;
    trainer_info(t, &ti);
    PilotSummary sum = {.base = score_of(&base), .tuned = score_of(&tuned)};
    sum.examples = show;
    snprintf(sum.export_dir, sizeof sum.export_dir, "%s", export_dir);
    snprintf(sum.template_name, sizeof sum.template_name, "%s",
             ti.template_name ? ti.template_name : "");
    sum.n_train = ti.n_train;
    sum.n_eval = ti.n_eval;
    sum.n_truncated = ti.n_truncated;
    sum.n_params = ti.n_params;
    sum.n_trainable = ti.n_trainable;
    sum.frozen_bytes_per_weight = ti.frozen_bytes_per_weight;
    sum.tokens_per_s = ti.tokens_per_s;
    sum.achieved_gflops = ti.tokens_per_s * ti.flops_per_token / 1e9;
    full_run_of(&ti, &o->train, pricing, &sum.full_run);
    char *js = pilot_summary_json(&sum);
    st = store_run_set_summary(s, k->run, js, err);
    if (st == TP_OK && o->view.summary)
        o->view.summary(o->view.ctx, &sum);
    if (st == TP_OK && o->view.json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "summary");
        cJSON_AddItemToObject(ev, "summary", cJSON_Parse(js));
        emit(k, ev, false); /* the summary is recorded in the database */
        cJSON_Delete(ev);
    }
    free(js);
    free(sum.full_run.gpus);
    return st;
}

/* The first event: which run, where its files are, with which settings. */
static void start_event(Sink *k, const PilotOptions *o, const char *dir, bool resumed) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "event", "start");
    cJSON_AddNumberToObject(e, "run", (double)k->run);
    cJSON_AddStringToObject(e, "dir", dir);
    cJSON_AddStringToObject(e, "model", o->model_dir);
    cJSON_AddStringToObject(e, "data", o->data_path);
    cJSON_AddBoolToObject(e, "resumed", resumed);
    char *cfg = pilot_settings_json(&o->train);
    cJSON *c = cJSON_Parse(cfg);
    free(cfg);
    cJSON_AddItemToObject(e, "settings", c ? c : cJSON_CreateNull());
    jsonl_line(k, e);
    cJSON_Delete(e);
}

static TpStatus run_locked(Store *s, const Pricing *pricing, const PilotOptions *o,
                           volatile sig_atomic_t *stop, int64_t *run_id, Trainer *t,
                           PilotLock *lock, TpError *err) {
    int64_t id = o->resume_id;
    char dir[4096];
    TpStatus st = TP_OK;
    if (id > 0) {
        /* only `runs resume ID` comes here, with the run's own folder */
        snprintf(dir, sizeof dir, "%s", o->out_dir);
        *run_id = id;
        st = tp_mkdirs(dir, err);
        if (st == TP_OK)
            st = pilot_lock_take(dir, id, store_path(s), lock, err);
        if (st != TP_OK)
            return st; /* the run's record is left as it was */
        st = store_run_set_status(s, id, RUN_RUNNING, "resumed", err);
        if (st == TP_OK)
            st = store_run_set_pid(s, id, getpid(), err);
    } else {
        StoreRun r = {0};
        snprintf(r.model, sizeof r.model, "%s", o->model_dir);
        snprintf(r.data, sizeof r.data, "%s", o->data_path);
        snprintf(r.method, sizeof r.method, "%s", train_method_name(o->train.method));
        r.config = pilot_settings_json(&o->train);
        r.pid = getpid();
        r.status = RUN_RUNNING;
        st = store_run_create(s, &r, &id, err);
        free(r.config);
        if (st != TP_OK)
            return st;
        *run_id = id;
        if (o->out_dir)
            snprintf(dir, sizeof dir, "%s", o->out_dir);
        else
            st = pilot_default_run_dir(store_path(s), id, dir, sizeof dir, err);
        if (st == TP_OK)
            st = tp_mkdirs(dir, err);
        if (st == TP_OK)
            st = pilot_lock_take(dir, id, store_path(s), lock, err);
        if (st == TP_OK)
            st = store_run_set_plan(s, id, dir, 0, err);
        if (st != TP_OK) {
            TpError ignore;
            store_run_set_status(s, id, RUN_FAILED, err->msg, &ignore);
            store_run_set_pid(s, id, 0, &ignore);
            return st;
        }
    }
    trainer_set_run_dir(t, dir);
    bool resumed = false;
    /* a new run never reads a checkpoint: its folder was empty */
    if (st == TP_OK && o->resume_id > 0)
        st = trainer_resume(t, &resumed, err);
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s/metrics.jsonl", dir);
    Sink k = {s, id, NULL, &o->view};
    /* O_NOFOLLOW, regular files only: a planted link is never appended to */
    if (st == TP_OK && !(k.jsonl = tp_file_open_append(jpath, err)))
        st = err->code;
    TrainSink sink = {&k, on_step, on_eval, on_event};
    if (st == TP_OK) {
        start_event(&k, o, dir, resumed);
        TrainInfo ti;
        trainer_info(t, &ti);
        st = store_run_set_plan(s, id, dir, ti.total_steps, err);
        if (st == TP_OK) {
            char blas[300], line[320];
            train_describe_compute(&o->train, blas, sizeof blas);
            snprintf(line, sizeof line, "compute: %s", blas);
            on_event(&k, "info", line); /* runs show finds it among the events */
        }
        if (st == TP_OK)
            on_event(&k, "info",
                     resumed ? "resumed from the checkpoint"
                     : o->resume_id > 0
                         ? "resumed: no checkpoint yet, starting again from the first update"
                         : "started: evaluating the base model before training");
        if (st == TP_OK && !resumed) {
            TrainEval base;
            st = trainer_evaluate(t, "base", &base, NULL, 0, 0, err);
            if (st == TP_OK)
                on_eval(&k, &base);
        }
    }
    bool finished = false;
    if (st == TP_OK)
        st = trainer_run(t, &sink, stop, &finished, err);
    if (st == TP_OK && finished)
        st = finish(s, pricing, o, t, &k, dir, err);
    TpError ignore;
    if (st != TP_OK)
        on_event(&k, "error", err->msg);
    pilot_gate_enter();
    if (st != TP_OK) {
        store_run_set_status(s, id, RUN_FAILED, err->msg, &ignore);
    } else if (finished) {
        store_run_set_status(s, id, RUN_COMPLETED, "", &ignore);
    } else if (stop && *stop == 2) {
        store_run_set_status(s, id, RUN_CANCELLED, "cancelled; the checkpoint is kept", &ignore);
    } else {
        char m[128];
        snprintf(m, sizeof m, "stopped by a signal; continue with: tunepilot runs resume %lld",
                 (long long)id);
        store_run_set_status(s, id, RUN_INTERRUPTED, m, &ignore);
    }
    store_run_set_pid(s, id, 0, &ignore);
    pilot_gate_leave();
    if (k.jsonl)
        fclose(k.jsonl);
    if (o->view.done)
        o->view.done(o->view.ctx);
    return st;
}

TpStatus pilot_run(Store *s, const Pricing *pricing, const PilotOptions *in,
                   volatile sig_atomic_t *stop, int64_t *run_id, TpError *err) {
    *run_id = 0;
    /* Paths are recorded absolute: a run can be resumed from any folder. */
    PilotOptions o = *in;
    char model[4096], data[4096], out[4096];
    TpStatus st = pilot_absolute_path(in->model_dir, model, sizeof model, err);
    if (st == TP_OK)
        st = pilot_absolute_path(in->data_path, data, sizeof data, err);
    if (st == TP_OK && in->out_dir)
        st = pilot_absolute_path(in->out_dir, out, sizeof out, err);
    if (st == TP_OK && in->train.init_adapter[0]) {
        char adapter[sizeof o.train.init_adapter];
        st = pilot_absolute_path(in->train.init_adapter, adapter, sizeof adapter, err);
        if (st == TP_OK)
            memcpy(o.train.init_adapter, adapter, sizeof adapter);
    }
    if (st != TP_OK)
        return st;
    o.model_dir = model;
    o.data_path = data;
    o.out_dir = in->out_dir ? out : NULL;
    if (o.resume_id > 0 && !o.out_dir)
        return tp_error_set(err, TP_EINVAL, "run %lld has no folder recorded: it cannot resume",
                            (long long)o.resume_id);
    /* a new run's folder is its own: absent or empty */
    if (o.resume_id <= 0 && o.out_dir && (st = pilot_check_new_dir(o.out_dir, err)) != TP_OK)
        return st;
    /* Model, tokenizer, data and settings are checked before anything is
     * recorded: a run that cannot start leaves no trace. */
    Trainer *t = NULL;
    st = trainer_open(o.model_dir, o.data_path, &o.train, "", &t, err);
    if (st != TP_OK)
        return st;
    trainer_settings(t, &o.train); /* what auto chose is what the run records */
    PilotLock lock = {.fd = -1};
    st = run_locked(s, pricing, &o, stop, run_id, t, &lock, err);
    trainer_close(t);
    pilot_lock_release(&lock); /* last: the final status is recorded */
    return st;
}
