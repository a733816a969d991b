/* evals.c - `tunepilot eval` results read back for both faces: the held-out
 * sets that have them, one set's comparison (frontier prompt variants, the
 * pilot's base and tuned models) and question 2 judged from it against a
 * target by the sourced rule prompt_iterations_before_finetune. `eval
 * compare`, `review`, `decide --eval-target` and the workbench's Evals and
 * Decide screens all read through here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/session.h"

/* The rule's count when the rules file lacks it: the same 10 the rule states
 * (pricing/rules.json, prompt_iterations_before_finetune). */
#define Q2_RULE_FALLBACK 10.0

TpStatus session_eval_sets(Store *s, StoreEvalSet **out, int *n, TpError *err) {
    *out = NULL;
    *n = 0;
    if (!s)
        return tp_error_set(err, TP_EINVAL, "evaluations need the database");
    return store_eval_set_list(s, out, n, err);
}

static double num(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static int count(const cJSON *o, const char *a) {
    double v = num(o, a, NULL);
    return isfinite(v) && v >= 0 && v <= 1e9 ? (int)v : 0;
}

static void text(char *dst, size_t n, const cJSON *o, const char *a) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    snprintf(dst, n, "%s", cJSON_IsString(x) ? x->valuestring : "");
}

static TpStatus fill_row(SessionEvalRow *r, const StoreEvalResult *in, TpError *err) {
    memset(r, 0, sizeof *r);
    r->id = in->id;
    r->run_id = in->run_id;
    r->local = in->local;
    snprintf(r->created_at, sizeof r->created_at, "%s", in->created_at);
    snprintf(r->model, sizeof r->model, "%s", in->model);
    snprintf(r->variant, sizeof r->variant, "%s", in->variant);
    r->result = cJSON_Parse(in->result ? in->result : "");
    if (!cJSON_IsObject(r->result)) {
        cJSON_Delete(r->result);
        r->result = NULL;
        return tp_error_set(err, TP_EINVAL,
                            "database: evaluation %lld: the stored result is not a JSON object",
                            (long long)in->id);
    }
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(r->result, "scores");
    text(r->metric, sizeof r->metric, scores, "metric");
    text(r->kind, sizeof r->kind, scores, "kind");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(scores, "score");
    r->score = num(score, "value", NULL);
    r->lo = num(score, "lo", NULL);
    r->hi = num(score, "hi", NULL);
    r->examples = count(r->result, "examples");
    r->answered = count(r->result, "answered");
    r->failed = count(r->result, "failed");
    r->skipped = count(r->result, "skipped");
    r->usd_per_1k = num(r->result, "usd_per_1k", NULL);
    r->p95_ms = num(r->result, "latency_p95_ms", NULL);
    return TP_OK;
}

TpStatus session_eval_compare(Store *s, const char *digest, int64_t run_id,
                              SessionEvalComparison *out, TpError *err) {
    memset(out, 0, sizeof *out);
    if (!s)
        return tp_error_set(err, TP_EINVAL, "evaluations need the database");
    snprintf(out->digest, sizeof out->digest, "%s", digest);
    out->run_id = run_id > 0 ? run_id : 0;
    StoreEvalResult *rs = NULL;
    int n = 0;
    TpStatus st = store_eval_result_list(s, digest, &rs, &n, err);
    if (st == TP_OK && n > 0) {
        out->rows = tp_xcalloc((size_t)n, sizeof *out->rows);
        for (int i = 0; i < n && st == TP_OK; i++) {
            st = fill_row(&out->rows[i], &rs[i], err);
            if (st == TP_OK)
                out->n_rows++;
        }
        snprintf(out->source, sizeof out->source, "%s", rs[n - 1].source);
    }
    for (int i = 0; i < n; i++)
        store_eval_result_free(&rs[i]);
    free(rs);
    if (st == TP_OK)
        st = eval_evidence(s, out->run_id, digest, &out->evidence, &out->have_evidence, err);
    if (st != TP_OK)
        session_eval_compare_free(out);
    return st;
}

void session_eval_compare_free(SessionEvalComparison *c) {
    if (!c)
        return;
    for (int i = 0; i < c->n_rows; i++)
        cJSON_Delete(c->rows[i].result);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

static double rule_variants(const Pricing *p, const PricingRule **rule) {
    *rule = p ? pricing_rule(p, "prompt_iterations_before_finetune") : NULL;
    return *rule && isfinite((*rule)->lo) && (*rule)->lo > 0 ? (*rule)->lo : Q2_RULE_FALLBACK;
}

void session_eval_question2(const SessionEvalComparison *c, const Pricing *p, double target,
                            SessionQuestion2 *out) {
    memset(out, 0, sizeof *out);
    const PricingRule *rule;
    out->rule_variants = rule_variants(p, &rule);
    out->rule_source = rule ? rule->source : NULL;
    out->rule_as_of = rule ? rule->as_of : NULL;
    out->target = isfinite(target) ? target : NAN;
    const EvalEvidence *ev = &c->evidence;
    bool have = c->have_evidence && ev->n_variants > 0 && isfinite(ev->best_score);
    out->state = have ? eval_question2(ev, out->target, out->rule_variants) : EVAL_Q2_UNKNOWN;
    if (!have) {
        snprintf(out->text, sizeof out->text,
                 "no frontier prompt variant has been scored on %s yet (tunepilot eval %s "
                 "--url URL --model NAME)",
                 c->source[0] ? c->source : "this held-out set",
                 c->run_id > 0 ? "--run ID" : "--data FILE");
        return;
    }
    char best[512];
    snprintf(best, sizeof best, "the best of %d prompt variant%s, %s (%s), scored %s %.3f [%.3f, %.3f]",
             ev->n_variants, ev->n_variants == 1 ? "" : "s", ev->best_variant, ev->best_model,
             ev->metric, ev->best_score, ev->best_lo, ev->best_hi);
    char rule_txt[64];
    snprintf(rule_txt, sizeof rule_txt, "%d of the rule's %g variants", ev->n_variants,
             out->rule_variants);
    switch (out->state) {
    case EVAL_Q2_GOOD_ENOUGH:
        snprintf(out->text, sizeof out->text,
                 "good enough: %s, at or over the target %.3f (%s)", best, out->target, rule_txt);
        break;
    case EVAL_Q2_KEEP_PROMPTING:
        snprintf(out->text, sizeof out->text,
                 "keep prompting: %s, under the target %.3f after %s", best, out->target,
                 rule_txt);
        break;
    case EVAL_Q2_FAILS:
        snprintf(out->text, sizeof out->text,
                 "the frontier fails: %s, under the target %.3f after %s", best, out->target,
                 rule_txt);
        break;
    default:
        snprintf(out->text, sizeof out->text, "no target set: %s (%s)", best, rule_txt);
    }
}

void session_eval_answers(const SessionEvalComparison *c, const Pricing *p, double target,
                          const DecideFramework *fw, DecideAnswers *all) {
    if (!c || !c->have_evidence || !isfinite(target))
        return;
    const PricingRule *rule;
    eval_decide_answers(&c->evidence, target, rule_variants(p, &rule), fw, all);
}
