/* eval_result.c - an evaluation as JSON, stored, and read back as the
 * evidence for question 2 (see eval.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/decide.h"
#include "tunepilot/eval.h"
#include "tunepilot/json.h"

static cJSON *interval(const EvalInterval *v) {
    cJSON *o = cJSON_CreateObject();
    tp_json_add_num(o, "value", v->value);
    tp_json_add_num(o, "lo", v->lo);
    tp_json_add_num(o, "hi", v->hi);
    return o;
}

/* The headline score of an evaluation: json field match, else exact match for labels, else
 * exact match when any answer matched exactly, else token F1. */
static const EvalInterval *headline(const EvalScores *s, const char **metric) {
    if (s->kind == EVAL_KIND_JSON) {
        *metric = "json_fields";
        return &s->json_fields;
    }
    if (s->kind == EVAL_KIND_LABEL) {
        *metric = "accuracy";
        return &s->exact;
    }
    *metric = "f1";
    return &s->f1;
}

cJSON *eval_run_json(const EvalRun *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "variant", r->variant);
    cJSON_AddStringToObject(o, "endpoint", r->endpoint);
    cJSON_AddStringToObject(o, "model", r->model);
    cJSON_AddBoolToObject(o, "local", r->local);
    cJSON_AddNumberToObject(o, "examples", r->n);
    cJSON_AddNumberToObject(o, "answered", r->n_ok);
    cJSON_AddNumberToObject(o, "failed", r->n_failed);
    cJSON_AddNumberToObject(o, "skipped", r->n_skipped);
    cJSON_AddNumberToObject(o, "cached", r->n_cached);
    cJSON_AddNumberToObject(o, "requests", r->requests);
    cJSON_AddBoolToObject(o, "stopped_by_cost_cap", r->stopped_by_cap);
    cJSON_AddBoolToObject(o, "stopped_by_request_budget", r->stopped_by_budget);
    cJSON *sc = cJSON_AddObjectToObject(o, "scores");
    cJSON_AddStringToObject(sc, "kind", eval_kind_name(r->scores.kind));
    const char *metric;
    const EvalInterval *h = headline(&r->scores, &metric);
    cJSON_AddStringToObject(sc, "metric", metric);
    cJSON_AddItemToObject(sc, "score", interval(h));
    cJSON_AddItemToObject(sc, "exact", interval(&r->scores.exact));
    cJSON_AddItemToObject(sc, "f1", interval(&r->scores.f1));
    if (r->scores.kind == EVAL_KIND_JSON) {
        cJSON_AddItemToObject(sc, "json_valid", interval(&r->scores.json_valid));
        cJSON_AddItemToObject(sc, "json_fields", interval(&r->scores.json_fields));
    }
    if (r->scores.kind == EVAL_KIND_LABEL) {
        cJSON *labels = cJSON_AddArrayToObject(sc, "labels");
        for (int i = 0; i < r->scores.n_labels; i++)
            cJSON_AddItemToArray(labels, cJSON_CreateString(r->scores.labels[i]));
        cJSON *conf = cJSON_AddArrayToObject(sc, "confusion");
        int w = r->scores.n_labels + 1;
        for (int i = 0; i < r->scores.n_labels; i++) {
            cJSON *row = cJSON_CreateArray();
            for (int k = 0; k < w; k++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(r->scores.confusion[i * w + k]));
            cJSON_AddItemToArray(conf, row);
        }
    }
    tp_json_add_num(o, "usd", r->usd);
    tp_json_add_num(o, "usd_per_1k", r->usd_per_1k);
    tp_json_add_num(o, "mean_input_tokens", r->mean_input_tokens);
    tp_json_add_num(o, "mean_output_tokens", r->mean_output_tokens);
    tp_json_add_num(o, "ttft_p50_ms", r->ttft_p50_ms);
    tp_json_add_num(o, "ttft_p95_ms", r->ttft_p95_ms);
    tp_json_add_num(o, "latency_p50_ms", r->latency_p50_ms);
    tp_json_add_num(o, "latency_p95_ms", r->latency_p95_ms);
    return o;
}

TpStatus eval_save(Store *s, const EvalSet *set, const EvalRun *r, int64_t run_id, int64_t *id,
                   TpError *err) {
    StoreEvalResult rec;
    memset(&rec, 0, sizeof rec);
    rec.run_id = run_id;
    snprintf(rec.set_digest, sizeof rec.set_digest, "%s", set->digest);
    snprintf(rec.variant, sizeof rec.variant, "%s", r->variant);
    snprintf(rec.model, sizeof rec.model, "%s", r->model);
    snprintf(rec.source, sizeof rec.source, "%s", set->source);
    snprintf(rec.endpoint, sizeof rec.endpoint, "%s", r->endpoint);
    rec.local = r->local;
    cJSON *j = eval_run_json(r);
    rec.result = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    TpStatus st = store_eval_result_save(s, &rec, id, err);
    free(rec.result);
    return st;
}

static double jpath(const cJSON *o, const char *a, const char *b, const char *c) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (c)
        x = cJSON_GetObjectItemCaseSensitive(x, c);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

TpStatus eval_evidence(Store *s, int64_t run_id, const char *digest, EvalEvidence *ev, bool *found,
                       TpError *err) {
    memset(ev, 0, sizeof *ev);
    ev->best_score = ev->best_lo = ev->best_hi = ev->tuned_score = ev->base_score = NAN;
    *found = false;
    StoreEvalResult *rs = NULL;
    int n = 0;
    TpStatus st = store_eval_result_list(s, digest, &rs, &n, err);
    if (st != TP_OK)
        return st;
    /* a frontier result with no answer at all (every request failed or was not sent)
     * tried no prompt: it counts neither as a variant nor as a score */
    bool *counts = calloc((size_t)n + 1, sizeof *counts);
    if (!counts) {
        for (int i = 0; i < n; i++)
            store_eval_result_free(&rs[i]);
        free(rs);
        return tp_error_set(err, TP_ERR, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        cJSON *j = cJSON_Parse(rs[i].result);
        counts[i] = (run_id <= 0 || rs[i].run_id == run_id || rs[i].run_id == 0) &&
                    (rs[i].local || jpath(j, "answered", NULL, NULL) > 0);
        cJSON_Delete(j);
    }
    /* the newest result of each (variant, model) counts once */
    for (int i = n - 1; i >= 0; i--) {
        if (!counts[i])
            continue;
        bool later = false;
        for (int k = i + 1; k < n && !later; k++)
            later = counts[k] && !strcmp(rs[k].variant, rs[i].variant) &&
                    !strcmp(rs[k].model, rs[i].model);
        if (later)
            continue;
        cJSON *j = cJSON_Parse(rs[i].result);
        double v = jpath(j, "scores", "score", "value");
        const cJSON *metric = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "scores"), "metric");
        if (cJSON_IsString(metric))
            snprintf(ev->metric, sizeof ev->metric, "%s", metric->valuestring);
        if (rs[i].local) {
            if (!strncmp(rs[i].variant, "tuned", 5) && isnan(ev->tuned_score))
                ev->tuned_score = v;
            else if (!strncmp(rs[i].variant, "base", 4) && isnan(ev->base_score))
                ev->base_score = v;
        } else {
            /* prompt variants tried: distinct variant names, whatever the model */
            bool seen = false;
            for (int k = i + 1; k < n && !seen; k++)
                seen = counts[k] && !rs[k].local && !strcmp(rs[k].variant, rs[i].variant);
            if (!seen)
                ev->n_variants++;
            if (isfinite(v) && (isnan(ev->best_score) || v > ev->best_score)) {
                ev->best_score = v;
                ev->best_lo = jpath(j, "scores", "score", "lo");
                ev->best_hi = jpath(j, "scores", "score", "hi");
                snprintf(ev->best_variant, sizeof ev->best_variant, "%s", rs[i].variant);
                snprintf(ev->best_model, sizeof ev->best_model, "%s", rs[i].model);
            }
        }
        *found = true;
        cJSON_Delete(j);
    }
    for (int i = 0; i < n; i++)
        store_eval_result_free(&rs[i]);
    free(rs);
    free(counts);
    return TP_OK;
}

EvalQuestion2 eval_question2(const EvalEvidence *ev, double target, double min_variants) {
    if (ev->n_variants <= 0 || !isfinite(ev->best_score) || !isfinite(target))
        return EVAL_Q2_UNKNOWN;
    if (ev->best_score >= target)
        return EVAL_Q2_GOOD_ENOUGH;
    return ev->n_variants >= min_variants ? EVAL_Q2_FAILS : EVAL_Q2_KEEP_PROMPTING;
}

const char *eval_question2_name(EvalQuestion2 q) {
    switch (q) {
    case EVAL_Q2_GOOD_ENOUGH:
        return "good_enough";
    case EVAL_Q2_KEEP_PROMPTING:
        return "keep_prompting";
    case EVAL_Q2_FAILS:
        return "frontier_fails";
    default:
        return "unknown";
    }
}

void eval_decide_answers(const EvalEvidence *ev, double target, double min_variants,
                         const DecideFramework *fw, DecideAnswers *all) {
    EvalQuestion2 q = eval_question2(ev, target, min_variants);
    if (q == EVAL_Q2_UNKNOWN)
        return;
    bool under = q != EVAL_Q2_GOOD_ENOUGH;
    bool exhausted = q != EVAL_Q2_KEEP_PROMPTING;
    char detail[512];
    snprintf(detail, sizeof detail,
             "tunepilot eval: best of %d prompt variant%s %s (%s) scored %s %.3f [%.3f, %.3f] "
             "against a target of %.3f%s%s",
             ev->n_variants, ev->n_variants == 1 ? "" : "s", ev->best_variant, ev->best_model,
             ev->metric, ev->best_score, ev->best_lo, ev->best_hi, target,
             under && !exhausted ? "; fewer variants than the rule's " : "",
             under && !exhausted ? "prompt_iterations_before_finetune: keep prompting" : "");
    if (decide_find_question(fw, "frontier_fails"))
        decide_answers_set_yes_no(all, "frontier_fails", under && exhausted, DECIDE_ORIGIN_MEASURED,
                                  detail);
    if (decide_find_question(fw, "prompt_iterations"))
        decide_answers_set_number(all, "prompt_iterations", under ? ev->n_variants : 0,
                                  DECIDE_ORIGIN_MEASURED, detail);
}
