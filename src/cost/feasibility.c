/* feasibility.c - the checks that make an option infeasible before its
 * price counts: the context window, the latency SLO, the model's
 * availability over the horizon (lifecycle dates) and GPU memory; the check
 * and status names. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cost/cost_impl.h"
#include "tunepilot/cost.h"

const char *cost_check_name(CostCheckId c) {
    static const char *const n[] = {"context", "slo", "availability", "gpu_memory"};
    return (unsigned)c < COST_N_CHECKS ? n[c] : "?";
}

void cost_failed_checks(const CostOptionResult *r, bool reasons, const char *sep, char *out,
                        size_t size) {
    out[0] = '\0';
    for (int c = 0; c < COST_N_CHECKS; c++) {
        if (r->checks[c].status != COST_FAIL)
            continue;
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", n ? sep : "",
                 reasons ? r->checks[c].reason : cost_check_name((CostCheckId)c));
    }
}

const char *cost_check_status_name(CostCheckStatus s) {
    static const char *const n[] = {"pass", "fail", "unknown"};
    return (unsigned)s < 3 ? n[s] : "?";
}

static void set_check(CostCheck *c, CostCheckStatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_check(CostCheck *c, CostCheckStatus st, const char *fmt, ...) {
    c->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

static void warn(CostOptionResult *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(CostOptionResult *r, const char *fmt, ...) {
    if (r->n_warnings >= COST_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->warnings[r->n_warnings++], sizeof r->warnings[0], fmt, ap);
    va_end(ap);
}

static void check_context(const CostOption *o, CostCheck *c) {
    double in = o->input_tokens.hi, out = o->output_tokens.hi;
    double ctx = o->kind == COST_OPTION_RAG ? o->context_tokens.hi : 0;
    double req = in + ctx + out;
    if (o->max_output_tokens > 0 && out > (double)o->max_output_tokens) {
        set_check(c, COST_FAIL, "%.0f output tokens exceed the model's %lld-token output limit",
                  out, o->max_output_tokens);
        return;
    }
    if (o->context_window <= 0) {
        set_check(c, COST_UNKNOWN, "context window unknown (set \"context_window\")");
        return;
    }
    char parts[96];
    if (ctx > 0)
        snprintf(parts, sizeof parts, "%.0f in + %.0f retrieved + %.0f out", in, ctx, out);
    else
        snprintf(parts, sizeof parts, "%.0f in + %.0f out", in, out);
    if (req > (double)o->context_window)
        set_check(c, COST_FAIL, "request of %.0f tokens (%s) exceeds the %lld-token context window",
                  req, parts, o->context_window);
    else
        set_check(c, COST_PASS, "request of %.0f tokens fits the %lld-token context window", req,
                  o->context_window);
}

static void check_slo(const CostScenario *sc, const CostOptionResult *r, CostCheck *c) {
    if (!sc->has_slo)
        set_check(c, COST_PASS, "no latency SLO set");
    else if (r->latency_p95_ms <= sc->latency_slo_ms.v)
        set_check(c, COST_PASS, "p95 %.0f ms meets the %.0f ms SLO", r->latency_p95_ms,
                  sc->latency_slo_ms.v);
    else
        set_check(c, COST_FAIL, "p95 %.0f ms misses the %.0f ms SLO", r->latency_p95_ms,
                  sc->latency_slo_ms.v);
}

static void check_availability(const CostScenario *sc, const CostOption *o, CostOptionResult *r,
                               CostCheck *c) {
    const PricingLifecycle *l = &o->life;
    const char *what = o->model ? o->model : o->gpu ? o->gpu : o->id;
    if (!l->available_from.date && !l->new_jobs_until.date && !l->retires_on.date) {
        set_check(c, COST_PASS, "no end of availability announced for %s", what);
        return;
    }
    if (!sc->start_date[0]) {
        set_check(c, COST_UNKNOWN, "no start date to check %s's dates against", what);
        return;
    }
    double h = sc->horizon_months * COST_DAYS_PER_MONTH;
    double from = cost_days_from_start(sc, l->available_from.date);
    double jobs = cost_days_from_start(sc, l->new_jobs_until.date);
    double ret = cost_days_from_start(sc, l->retires_on.date);
    set_check(c, COST_PASS, "%s is available through the %d-month horizon from %s", what,
              sc->horizon_months, sc->start_date);
    if (!isnan(from) && from > 0)
        set_check(c, COST_FAIL, "%s is available only from %s", what, l->available_from.date);
    else if (!isnan(ret) && ret <= 0)
        set_check(c, COST_FAIL, "%s was retired on %s", what, l->retires_on.date);
    else if (o->kind == COST_OPTION_API_FINETUNED && !isnan(jobs) && jobs <= 0)
        set_check(c, COST_FAIL, "%s accepts no new fine-tuning jobs since %s", what,
                  l->new_jobs_until.date);
    else if (!isnan(ret) && ret < h)
        set_check(c, COST_FAIL, "%s retires on %s, in month %d of the %d-month horizon", what,
                  l->retires_on.date, (int)(ret / COST_DAYS_PER_MONTH) + 1, sc->horizon_months);
    if (!isnan(ret) && ret > 0 && ret < h)
        warn(r, "horizon crosses the retirement of %s on %s (%s)", what, l->retires_on.date,
             l->retires_on.source);
    if (o->kind == COST_OPTION_API_FINETUNED && !isnan(jobs) && jobs > 0 && jobs < h) {
        double d = o->retrain_every_days.v;
        r->retrains_cadence = d > 0 ? h / d : 0;
        r->retrains_counted = d > 0 ? jobs / d : 0;
        warn(r,
             "new fine-tuning jobs end on %s (month %d of %d): %.1f of %.1f retrains at the "
             "cadence are still possible and counted (%s)",
             l->new_jobs_until.date, (int)(jobs / COST_DAYS_PER_MONTH) + 1, sc->horizon_months,
             r->retrains_counted, r->retrains_cadence, l->new_jobs_until.source);
    }
}

static void check_gpu_memory(const CostOption *o, CostCheck *c) {
    if (o->kind != COST_OPTION_SELF_HOSTED) {
        set_check(c, COST_PASS, "served by the provider");
        return;
    }
    if (isnan(o->model_params_b)) {
        set_check(c, COST_UNKNOWN, "model size unknown (set \"model_params_b\")");
        return;
    }
    if (isnan(o->gpu_memory_gb)) {
        set_check(c, COST_UNKNOWN, "GPU memory unknown (name a \"gpu\" from the tables)");
        return;
    }
    double overhead = isnan(o->memory_overhead) ? 1 : o->memory_overhead;
    double need = o->model_params_b * o->weight_bits / 8 * overhead;
    double have = o->gpu_memory_gb * o->gpus_per_replica.v;
    if (need <= have)
        set_check(c, COST_PASS, "%.3gB parameters at %g bits x %.2f need %.1f GB of %.0f GB", 
                  o->model_params_b, o->weight_bits, overhead, need, have);
    else
        set_check(c, COST_FAIL,
                  "%.3gB parameters at %g bits x %.2f need %.1f GB, more than the %.0f GB of %g "
                  "x %s",
                  o->model_params_b, o->weight_bits, overhead, need, have, o->gpus_per_replica.v,
                  o->gpu);
}

void cost_feasibility(const CostScenario *sc, CostProjection *out) {
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < sc->n_options; i++) {
            const CostOption *o = &sc->options[i];
            CostOptionResult *r = &out->options[i];
            if ((o->kind == COST_OPTION_ROUTED) != (pass == 1))
                continue;
            r->n_warnings = 0;
            if (o->kind != COST_OPTION_ROUTED) {
                check_context(o, &r->checks[COST_CHECK_CONTEXT]);
                check_availability(sc, o, r, &r->checks[COST_CHECK_AVAILABILITY]);
                check_gpu_memory(o, &r->checks[COST_CHECK_GPU_MEMORY]);
            } else {
                /* the worst of the routes that get traffic */
                for (int c = 0; c < COST_N_CHECKS; c++)
                    if (c != COST_CHECK_SLO)
                        set_check(&r->checks[c], COST_PASS, "every route passes");
                for (int k = 0; k < o->n_routes; k++) {
                    if (o->routes[k].share.v <= 0)
                        continue;
                    const CostOptionResult *rr = &out->options[o->routes[k].index];
                    for (int c = 0; c < COST_N_CHECKS; c++) {
                        if (c == COST_CHECK_SLO)
                            continue;
                        CostCheckStatus s = rr->checks[c].status;
                        CostCheckStatus cur = r->checks[c].status;
                        if (s == COST_FAIL || (s == COST_UNKNOWN && cur == COST_PASS))
                            set_check(&r->checks[c], s, "route %s: %s", o->routes[k].option_id,
                                      rr->checks[c].reason);
                    }
                    for (int w = 0; w < rr->n_warnings; w++)
                        warn(r, "route %s: %s", o->routes[k].option_id, rr->warnings[w]);
                }
            }
            check_slo(sc, r, &r->checks[COST_CHECK_SLO]);
            r->feasible = true;
            for (int c = 0; c < COST_N_CHECKS; c++)
                if (r->checks[c].status == COST_FAIL)
                    r->feasible = false;
        }
    }
}

