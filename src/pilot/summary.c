/* summary.c - a completed pilot's summary: the one writer and the one reader
 * of the JSON recorded with the run (see pilot.h, PilotSummary). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/json.h"
#include "tunepilot/pilot.h"

/* The summary's plain fields, in the order they are written: one table
 * serves the writer and the reader. A number is written as null when it is
 * not finite and read as NAN when missing; a count is read as -1 unless it is
 * a whole number >= 0; a text is cut to its field and read as "" when
 * missing. */
typedef enum { SF_NUM, SF_COUNT, SF_TEXT } FieldKind;

typedef struct Field {
    const char *key;
    FieldKind kind;
    size_t off, size; /* where in the record; size: a text's buffer */
} Field;

#define NUM(T, m, key) {key, SF_NUM, offsetof(T, m), 0}
#define COUNT(T, m, key) {key, SF_COUNT, offsetof(T, m), 0}
#define TEXT(T, m, key) {key, SF_TEXT, offsetof(T, m), sizeof((T *)0)->m}

static const Field TOP[] = {
    TEXT(PilotSummary, export_dir, "export_dir"),
    TEXT(PilotSummary, template_name, "template"),
    COUNT(PilotSummary, n_train, "n_train"),
    COUNT(PilotSummary, n_eval, "n_eval"),
    COUNT(PilotSummary, n_truncated, "n_truncated"),
    COUNT(PilotSummary, n_params, "n_params"),
    COUNT(PilotSummary, n_trainable, "n_trainable"),
    NUM(PilotSummary, frozen_bytes_per_weight, "frozen_bytes_per_weight"),
    NUM(PilotSummary, tokens_per_s, "tokens_per_s"),
    NUM(PilotSummary, achieved_gflops, "achieved_gflops"),
};

static const Field FULL_RUN[] = {
    NUM(PilotFullRun, epochs, "epochs"),
    NUM(PilotFullRun, tokens, "tokens"),
    NUM(PilotFullRun, flops_per_token, "flops_per_token"),
    NUM(PilotFullRun, total_flops, "total_flops"),
    NUM(PilotFullRun, here_hours, "here_hours"),
    NUM(PilotFullRun, here_tokens_per_s, "here_tokens_per_s"),
};

static const Field GPU_RUN[] = {
    TEXT(PilotGpuRun, gpu, "gpu"),
    NUM(PilotGpuRun, hours, "hours"),
    NUM(PilotGpuRun, usd, "usd"),
    TEXT(PilotGpuRun, cloud, "cloud"),
    NUM(PilotGpuRun, usd_per_hour, "usd_per_hour"),
};

#define N_OF(a) (sizeof a / sizeof a[0])

static void put_fields(cJSON *o, const void *rec, const Field *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *at = (const char *)rec + f[i].off;
        if (f[i].kind == SF_NUM)
            tp_json_add_num(o, f[i].key, *(const double *)at);
        else if (f[i].kind == SF_COUNT)
            cJSON_AddNumberToObject(o, f[i].key, (double)*(const long long *)at);
        else
            cJSON_AddStringToObject(o, f[i].key, at);
    }
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

static void get_fields(const cJSON *o, void *rec, const Field *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *at = (char *)rec + f[i].off;
        if (f[i].kind == SF_NUM)
            *(double *)at = num(o, f[i].key);
        else if (f[i].kind == SF_COUNT)
            *(long long *)at = count(o, f[i].key);
        else
            text(at, f[i].size, o, f[i].key);
    }
}

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
    put_fields(o, s, TOP, N_OF(TOP));
    const PilotFullRun *f = &s->full_run;
    cJSON *fr = cJSON_AddObjectToObject(o, "full_run");
    put_fields(fr, f, FULL_RUN, N_OF(FULL_RUN));
    cJSON *g = cJSON_AddArrayToObject(fr, "gpus");
    if (!isnan(f->gpu_utilization)) {
        cJSON_AddNumberToObject(fr, "gpu_utilization", f->gpu_utilization);
        cJSON_AddStringToObject(fr, "gpu_utilization_source", f->gpu_utilization_source);
    }
    for (int i = 0; i < f->n_gpus; i++) {
        cJSON *e = cJSON_CreateObject();
        put_fields(e, &f->gpus[i], GPU_RUN, N_OF(GPU_RUN));
        cJSON_AddItemToArray(g, e);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
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
    get_fields(o, out, TOP, N_OF(TOP));
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(o, "full_run");
    PilotFullRun *f = &out->full_run;
    get_fields(fr, f, FULL_RUN, N_OF(FULL_RUN));
    f->gpu_utilization = num(fr, "gpu_utilization");
    text(f->gpu_utilization_source, sizeof f->gpu_utilization_source, fr,
         "gpu_utilization_source");
    const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(fr, "gpus"), *g;
    int n = cJSON_IsArray(gpus) ? cJSON_GetArraySize(gpus) : 0;
    f->gpus = tp_xcalloc((size_t)(n > 0 ? n : 1), sizeof *f->gpus);
    cJSON_ArrayForEach(g, gpus) {
        /* an entry without a GPU or hours is no estimate */
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "gpu")) || !(num(g, "hours") >= 0))
            continue;
        get_fields(g, &f->gpus[f->n_gpus++], GPU_RUN, N_OF(GPU_RUN));
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
