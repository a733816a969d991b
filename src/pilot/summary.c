/* summary.c - a completed pilot's summary: the one writer and the one reader
 * of the JSON recorded with the run (see pilot.h, PilotSummary). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/json.h"
#include "tunepilot/pilot.h"

static cJSON *score_json(const PilotScore *e) {
    cJSON *o = cJSON_CreateObject();
    tp_json_add_num(o, "loss", e->loss);
    tp_json_add_num(o, "accuracy", e->accuracy);
    cJSON_AddNumberToObject(o, "examples", e->examples);
    return o;
}

char *pilot_summary_json(const PilotSummary *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "base", score_json(&s->base));
    cJSON_AddItemToObject(o, "tuned", score_json(&s->tuned));
    cJSON_AddStringToObject(o, "examples", s->examples ? s->examples : "");
    cJSON_AddStringToObject(o, "export_dir", s->export_dir);
    cJSON_AddStringToObject(o, "template", s->template_name);
    cJSON_AddNumberToObject(o, "n_train", (double)s->n_train);
    cJSON_AddNumberToObject(o, "n_eval", (double)s->n_eval);
    cJSON_AddNumberToObject(o, "n_truncated", (double)s->n_truncated);
    cJSON_AddNumberToObject(o, "n_params", (double)s->n_params);
    cJSON_AddNumberToObject(o, "n_trainable", (double)s->n_trainable);
    tp_json_add_num(o, "frozen_bytes_per_weight", s->frozen_bytes_per_weight);
    tp_json_add_num(o, "tokens_per_s", s->tokens_per_s);
    tp_json_add_num(o, "achieved_gflops", s->achieved_gflops);
    const PilotFullRun *f = &s->full_run;
    cJSON *fr = cJSON_AddObjectToObject(o, "full_run");
    cJSON_AddNumberToObject(fr, "epochs", f->epochs);
    cJSON_AddNumberToObject(fr, "tokens", f->tokens);
    cJSON_AddNumberToObject(fr, "flops_per_token", f->flops_per_token);
    cJSON_AddNumberToObject(fr, "total_flops", f->total_flops);
    tp_json_add_num(fr, "here_hours", f->here_hours);
    tp_json_add_num(fr, "here_tokens_per_s", f->here_tokens_per_s);
    cJSON *g = cJSON_AddArrayToObject(fr, "gpus");
    if (!isnan(f->gpu_utilization)) {
        cJSON_AddNumberToObject(fr, "gpu_utilization", f->gpu_utilization);
        cJSON_AddStringToObject(fr, "gpu_utilization_source", f->gpu_utilization_source);
    }
    for (int i = 0; i < f->n_gpus; i++) {
        const PilotGpuRun *r = &f->gpus[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "gpu", r->gpu);
        cJSON_AddNumberToObject(e, "hours", r->hours);
        cJSON_AddNumberToObject(e, "usd", r->usd);
        cJSON_AddStringToObject(e, "cloud", r->cloud);
        cJSON_AddNumberToObject(e, "usd_per_hour", r->usd_per_hour);
        cJSON_AddItemToArray(g, e);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* A count: a whole number in range, else -1. */
static long long count(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    int64_t v;
    return cJSON_IsNumber(x) && tp_json_to_i64(x->valuedouble, 0, INT64_MAX, &v) ? (long long)v
                                                                                 : -1;
}

static void text(char *dst, size_t n, const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(dst, n, "%s", cJSON_IsString(x) ? x->valuestring : "");
}

static void score(const cJSON *o, PilotScore *e) {
    e->loss = num(o, "loss");
    e->accuracy = num(o, "accuracy");
    long long n = count(o, "examples");
    e->examples = n >= 0 && n <= 0x7fffffff ? (int)n : 0;
}

TpStatus pilot_summary_parse(const char *json, const char *name, PilotSummary *out, TpError *err) {
    memset(out, 0, sizeof *out);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    bool ok = cJSON_IsObject(o);
    if (!ok) { /* read as a summary that records nothing */
        cJSON_Delete(o);
        o = NULL;
    }
    score(cJSON_GetObjectItemCaseSensitive(o, "base"), &out->base);
    score(cJSON_GetObjectItemCaseSensitive(o, "tuned"), &out->tuned);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "examples");
    out->examples = tp_xstrdup(cJSON_IsString(ex) ? ex->valuestring : "");
    text(out->export_dir, sizeof out->export_dir, o, "export_dir");
    text(out->template_name, sizeof out->template_name, o, "template");
    out->n_train = count(o, "n_train");
    out->n_eval = count(o, "n_eval");
    out->n_truncated = count(o, "n_truncated");
    out->n_params = count(o, "n_params");
    out->n_trainable = count(o, "n_trainable");
    out->frozen_bytes_per_weight = num(o, "frozen_bytes_per_weight");
    out->tokens_per_s = num(o, "tokens_per_s");
    out->achieved_gflops = num(o, "achieved_gflops");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(o, "full_run");
    PilotFullRun *f = &out->full_run;
    f->epochs = num(fr, "epochs");
    f->tokens = num(fr, "tokens");
    f->flops_per_token = num(fr, "flops_per_token");
    f->total_flops = num(fr, "total_flops");
    f->here_hours = num(fr, "here_hours");
    f->here_tokens_per_s = num(fr, "here_tokens_per_s");
    f->gpu_utilization = num(fr, "gpu_utilization");
    text(f->gpu_utilization_source, sizeof f->gpu_utilization_source, fr,
         "gpu_utilization_source");
    const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(fr, "gpus"), *g;
    int n = cJSON_IsArray(gpus) ? cJSON_GetArraySize(gpus) : 0;
    f->gpus = tp_xcalloc((size_t)(n > 0 ? n : 1), sizeof *f->gpus);
    cJSON_ArrayForEach(g, gpus) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "gpu");
        double h = num(g, "hours");
        if (!cJSON_IsString(id) || !(h >= 0)) /* an entry without a GPU or hours is no estimate */
            continue;
        PilotGpuRun *r = &f->gpus[f->n_gpus++];
        text(r->gpu, sizeof r->gpu, g, "gpu");
        text(r->cloud, sizeof r->cloud, g, "cloud");
        r->hours = h;
        r->usd = num(g, "usd");
        r->usd_per_hour = num(g, "usd_per_hour");
    }
    cJSON_Delete(o);
    return ok ? TP_OK : tp_error_set(err, TP_EINVAL, "%s: expected a JSON object", name);
}

void pilot_summary_free(PilotSummary *s) {
    if (!s)
        return;
    free(s->examples);
    free(s->full_run.gpus);
    memset(s, 0, sizeof *s);
}
