/* compute.c - answers derived from a projected scenario. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "decide/decide_impl.h"

static bool is_fine_tune(const CostScenario *sc, int i) {
    const CostOption *o = &sc->options[i];
    if (o->kind == COST_OPTION_API_FINETUNED || o->kind == COST_OPTION_SELF_HOSTED)
        return true;
    if (o->kind == COST_OPTION_ROUTED)
        for (int k = 0; k < o->n_routes; k++) {
            int j = o->routes[k].index;
            if (o->routes[k].share.v > 0 && j >= 0 && j < sc->n_options && j != i &&
                (sc->options[j].kind == COST_OPTION_API_FINETUNED ||
                 sc->options[j].kind == COST_OPTION_SELF_HOSTED))
                return true;
        }
    return false;
}

/* Passes every feasibility check except the SLO (which the latency answers
 * weigh themselves). */
static bool usable_apart_from_slo(const CostOptionResult *r) {
    for (int c = 0; c < COST_N_CHECKS; c++)
        if (c != COST_CHECK_SLO && r->checks[c].status == COST_FAIL)
            return false;
    return true;
}

static TpStatus need_rule(const Pricing *p, const char *id, double *out, TpError *err) {
    const PricingRule *r = p ? pricing_rule(p, id) : NULL;
    if (!r)
        return tp_error_set(err, TP_EINVAL,
                            "the pricing rules have no \"%s\" (needed to compute answers from "
                            "the scenario)",
                            id);
    *out = (r->lo + r->hi) / 2;
    return TP_OK;
}

static const char *usd(double v, char *buf, size_t size) {
    char n[48];
    snprintf(buf, size, "$%s", decide_fmt_num(round(v), n, sizeof n));
    return buf;
}

TpStatus decide_compute_answers(const CostScenario *sc, const CostProjection *proj,
                                const Pricing *pricing, DecideAnswers *out, TpError *err) {
    double min_volume = 0, latency_budget = 0;
    TpStatus st = need_rule(pricing, "finetune_min_daily_volume", &min_volume, err);
    if (st == TP_OK)
        st = need_rule(pricing, "finetune_latency_budget_ms", &latency_budget, err);
    if (st != TP_OK)
        return st;
    if (proj->n_options != sc->n_options)
        return tp_error_set(err, TP_EINVAL, "the projection does not belong to the scenario");
    char d[512], a[48], b[48], c[48], e[48];
    const char *name = sc->name ? sc->name : "scenario";

    /* volume */
    double rpd = sc->requests_per_day.v;
    snprintf(d, sizeof d, "%s: %s requests/day %s the %s/day of rule finetune_min_daily_volume",
             name, decide_fmt_num(round(rpd), a, sizeof a), rpd >= min_volume ? ">=" : "<",
             decide_fmt_num(min_volume, b, sizeof b));
    decide_answers_set_yes_no(out, "volume", rpd >= min_volume, DECIDE_ORIGIN_COMPUTED, d);
    snprintf(d, sizeof d, "%s: the workload's requests_per_day", name);
    decide_answers_set_number(out, "requests_per_day", rpd, DECIDE_ORIGIN_COMPUTED, d);

    /* savings_exceed_overhead: cheapest option each side, over the horizon,
     * among the options that can work at all (context window, dates, GPU
     * memory; missing the SLO is weighed by latency_critical instead) */
    int best_ft = -1, best_base = -1, n_ft = 0;
    for (int i = 0; i < sc->n_options; i++) {
        double t = proj->options[i].horizon_total_usd;
        n_ft += is_fine_tune(sc, i);
        if (!isfinite(t) || !usable_apart_from_slo(&proj->options[i]))
            continue;
        int *best = is_fine_tune(sc, i) ? &best_ft : &best_base;
        if (*best < 0 || t < proj->options[*best].horizon_total_usd)
            *best = i;
    }
    if (best_ft >= 0 && best_base >= 0) {
        const CostOptionResult *f = &proj->options[best_ft], *p = &proj->options[best_base];
        bool saves = f->horizon_total_usd < p->horizon_total_usd;
        double diff = fabs(p->horizon_total_usd - f->horizon_total_usd);
        snprintf(d, sizeof d,
                 "over %d months the cheapest fine-tune, %s, costs %s (one-time %s included); the "
                 "cheapest option without one, %s, costs %s: %s %s",
                 sc->horizon_months, sc->options[best_ft].id,
                 usd(f->horizon_total_usd, a, sizeof a), usd(f->one_time_usd, b, sizeof b),
                 sc->options[best_base].id, usd(p->horizon_total_usd, c, sizeof c),
                 saves ? "the fine-tune saves" : "the fine-tune costs", usd(diff, e, sizeof e));
        if (!saves)
            strncat(d, " more", sizeof d - strlen(d) - 1);
        decide_answers_set_yes_no(out, "savings_exceed_overhead", saves, DECIDE_ORIGIN_COMPUTED, d);
    } else if (n_ft > 0 && best_ft < 0) {
        snprintf(d, sizeof d,
                 "no fine-tuned option in %s can work (context window, availability or GPU "
                 "memory), so none can save anything",
                 name);
        decide_answers_set_yes_no(out, "savings_exceed_overhead", false, DECIDE_ORIGIN_COMPUTED, d);
    }

    /* latency_critical */
    if (!sc->has_slo) {
        decide_answers_set_yes_no(out, "latency_critical", false, DECIDE_ORIGIN_COMPUTED,
                                  "the scenario sets no latency SLO");
    } else {
        double slo = sc->latency_slo_ms.v;
        int miss_base = -1, meet_ft = -1;
        for (int i = 0; i < sc->n_options; i++) {
            const CostOptionResult *r = &proj->options[i];
            if (!usable_apart_from_slo(r))
                continue;
            if (is_fine_tune(sc, i)) {
                if (r->slo_met && (meet_ft < 0 ||
                                   r->latency_p95_ms < proj->options[meet_ft].latency_p95_ms))
                    meet_ft = i;
            } else if (!r->slo_met && miss_base < 0) {
                miss_base = i;
            }
        }
        bool tight = slo < latency_budget;
        bool weighed = miss_base >= 0 && meet_ft >= 0;
        if (tight)
            snprintf(d, sizeof d,
                     "the %s ms SLO is under the %s ms of rule finetune_latency_budget_ms", 
                     decide_fmt_num(slo, a, sizeof a), decide_fmt_num(latency_budget, b, sizeof b));
        else if (weighed)
            snprintf(d, sizeof d,
                     "SLO %s ms: %s misses it (p95 %s ms) while the fine-tuned %s meets it (p95 "
                     "%s ms)",
                     decide_fmt_num(slo, a, sizeof a), sc->options[miss_base].id,
                     decide_fmt_num(round(proj->options[miss_base].latency_p95_ms), b, sizeof b),
                     sc->options[meet_ft].id,
                     decide_fmt_num(round(proj->options[meet_ft].latency_p95_ms), c, sizeof c));
        else
            snprintf(d, sizeof d,
                     "SLO %s ms (not under the %s ms of rule finetune_latency_budget_ms): %s",
                     decide_fmt_num(slo, a, sizeof a), decide_fmt_num(latency_budget, b, sizeof b),
                     meet_ft < 0 ? "no fine-tuned option meets it"
                                 : "every option without fine-tuning meets it too");
        decide_answers_set_yes_no(out, "latency_critical", tight || weighed,
                                  DECIDE_ORIGIN_COMPUTED, d);
        snprintf(d, sizeof d, "%s: the workload's latency_slo_ms", name);
        decide_answers_set_number(out, "latency_budget_ms", slo, DECIDE_ORIGIN_COMPUTED, d);
    }

    /* hosted_latency_ok: does a hosted fine-tune's projected p95 (not just its
     * time to first token) meet the SLO? */
    int fastest = -1;
    for (int i = 0; i < sc->n_options; i++) {
        const CostOptionResult *r = &proj->options[i];
        if (sc->options[i].kind != COST_OPTION_API_FINETUNED || !usable_apart_from_slo(r))
            continue;
        if (fastest < 0 || r->latency_p95_ms < proj->options[fastest].latency_p95_ms)
            fastest = i;
    }
    if (fastest >= 0) {
        const CostOptionResult *r = &proj->options[fastest];
        bool ok = !sc->has_slo || r->latency_p95_ms <= sc->latency_slo_ms.v;
        if (sc->has_slo)
            snprintf(d, sizeof d, "the fastest usable hosted fine-tune, %s, has a projected p95 of %s ms %s the %s ms SLO",
                     sc->options[fastest].id, decide_fmt_num(round(r->latency_p95_ms), a, sizeof a),
                     ok ? "within" : "over", decide_fmt_num(sc->latency_slo_ms.v, b, sizeof b));
        else
            snprintf(d, sizeof d, "the scenario sets no latency SLO");
        decide_answers_set_yes_no(out, "hosted_latency_ok", ok, DECIDE_ORIGIN_COMPUTED, d);
    }

    /* doc_tokens */
    snprintf(d, sizeof d, "%s: the workload's input_tokens per request", name);
    decide_answers_set_number(out, "doc_tokens", round(sc->input_tokens.v), DECIDE_ORIGIN_COMPUTED,
                              d);

    /* train_gpu_memory_gb: the smallest training GPU of the self-hosted options */
    double mem = NAN;
    const char *gpu_name = NULL, *opt = NULL;
    for (int i = 0; pricing && i < sc->n_options; i++) {
        const CostOption *o = &sc->options[i];
        if (o->kind != COST_OPTION_SELF_HOSTED || !o->train_gpu)
            continue;
        const PricingGpu *g = pricing_find_gpu(pricing, o->train_gpu);
        if (g && isfinite(g->memory_gb) && !(g->memory_gb >= mem)) {
            mem = g->memory_gb;
            gpu_name = g->id;
            opt = o->id;
        }
    }
    if (isfinite(mem)) {
        snprintf(d, sizeof d, "%s trains on %s (%s GB)", opt, gpu_name,
                 decide_fmt_num(mem, a, sizeof a));
        decide_answers_set_number(out, "train_gpu_memory_gb", mem, DECIDE_ORIGIN_COMPUTED, d);
    }
    return TP_OK;
}
