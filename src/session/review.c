/* review.c - builds the decision review (review.h) from a projected scenario,
 * the built-in frameworks and a pilot's evidence (see session.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/session.h"

static const char *const FRAMEWORKS[] = {"five-questions", "checklist", "sequence"};
#define N_FRAMEWORKS 3

static const char *dup(Review *r, const char *s) {
    return s ? tp_arena_strdup(&r->arena, s) : NULL;
}

static const char *fmt(Review *r, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(Review *r, const char *f, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return tp_arena_strdup(&r->arena, buf);
}

static void *arr(Review *r, size_t n, size_t size) {
    return tp_arena_alloc(&r->arena, (n ? n : 1) * size);
}

static ReviewStatus status_of(CostCheckStatus s) {
    return s == COST_PASS ? REVIEW_PASS : s == COST_FAIL ? REVIEW_FAIL : REVIEW_UNKNOWN;
}

/* --- options ---------------------------------------------------------------------------- */

static void fill_options(Review *r, const CostScenario *sc, const CostProjection *p) {
    r->n_options = sc->n_options;
    r->options = arr(r, (size_t)sc->n_options, sizeof *r->options);
    for (int i = 0; i < sc->n_options; i++) {
        const CostOption *o = &sc->options[i];
        const CostOptionResult *x = &p->options[i];
        ReviewOption *ro = &r->options[i];
        ro->id = dup(r, o->id);
        ro->kind = cost_option_kind_name(o->kind);
        ro->model = dup(r, o->model ? o->model : o->gpu);
        ro->horizon_total_usd = x->horizon_total_usd;
        ro->one_time_usd = x->one_time_usd;
        ro->first_month_usd = p->horizon_months > 0 ? x->monthly_cost_usd[0] : NAN;
        ro->cost_per_1k_requests_usd = x->cost_per_1k_requests_usd;
        ro->latency_p50_ms = x->latency_p50_ms;
        ro->latency_p95_ms = x->latency_p95_ms;
        ro->feasible = x->feasible;
        ro->n_checks = COST_N_CHECKS;
        ro->checks = arr(r, COST_N_CHECKS, sizeof *ro->checks);
        for (int c = 0; c < COST_N_CHECKS; c++)
            ro->checks[c] =
                (ReviewCheck){cost_check_name((CostCheckId)c), status_of(x->checks[c].status),
                              dup(r, x->checks[c].reason)};
        ro->n_warnings = x->n_warnings;
        ro->warnings = arr(r, (size_t)x->n_warnings, sizeof *ro->warnings);
        for (int w = 0; w < x->n_warnings; w++)
            ro->warnings[w] = dup(r, x->warnings[w]);
        ro->n_sources = o->n_sources;
        ro->sources = arr(r, (size_t)o->n_sources, sizeof *ro->sources);
        for (int s = 0; s < o->n_sources; s++)
            ro->sources[s] =
                (ReviewSource){dup(r, o->sources[s].what), dup(r, o->sources[s].source),
                               dup(r, o->sources[s].as_of)};
    }
    r->cheapest = cost_cheapest(p, false);
    r->cheapest_feasible = cost_cheapest(p, true);
}

/* --- frameworks ----------------------------------------------------------------------------- */

/* The typed answers a framework asks (others are left out, not refused). */
static cJSON *answers_for(const DecideFramework *fw, const cJSON *answers) {
    cJSON *o = cJSON_CreateObject();
    const cJSON *it;
    cJSON_ArrayForEach(it, answers) {
        bool known = decide_find_question(fw, it->string) != NULL;
        for (int i = 0; DECIDE_FACTS[i]; i++)
            known |= !strcmp(DECIDE_FACTS[i], it->string);
        if (known)
            cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, true));
    }
    return o;
}

static TpStatus fill_framework(Review *r, ReviewFramework *rf, const char *id,
                               const SessionReviewInput *in, TpError *err) {
    DecideFramework fw;
    TpStatus st = decide_framework_load(id, in->pricing, &fw, err);
    if (st != TP_OK)
        return st;
    DecideAnswers typed = {0}, all = {0};
    if (in->answers) {
        cJSON *mine = answers_for(&fw, in->answers);
        st = decide_answers_from_json(&fw, mine, "answers", &typed, err);
        cJSON_Delete(mine);
    }
    if (st == TP_OK)
        st = session_decide_answers(&fw, in->sc, in->proj, in->pricing, in->ev, &typed, &all, err);
    if (st == TP_OK && in->evals && in->evals->have_evidence && isfinite(in->eval_target)) {
        session_eval_answers(in->evals, in->pricing, in->eval_target, &fw, &all);
        decide_answers_merge(&all, &typed); /* typed answers still win */
    }
    if (st != TP_OK) {
        decide_answers_free(&typed);
        decide_framework_free(&fw);
        return st;
    }
    DecideResult res;
    decide_evaluate(&fw, &all, &res);
    SessionVerdict sv;
    session_verdict(res.verdict, in->sc, in->proj, &sv);
    rf->id = dup(r, fw.id);
    rf->title = dup(r, fw.title);
    rf->source = dup(r, fw.source);
    rf->as_of = dup(r, fw.as_of);
    rf->verdict = decide_verdict_name(sv.verdict);
    rf->verdict_title = decide_verdict_title(sv.verdict);
    rf->explanation =
        sv.changed ? fmt(r, "The framework's rule said: %s", res.explanation ? res.explanation : "")
                   : dup(r, res.explanation);
    rf->changed = sv.changed;
    rf->framework_verdict = decide_verdict_name(sv.framework);
    rf->method = decide_verdict_is_fine_tune(sv.verdict) ? decide_method_name(res.method) : NULL;
    rf->next_step = sv.changed ? NULL : dup(r, res.next_step);
    rf->rests_on = sv.rests_on >= 0 ? dup(r, in->sc->options[sv.rests_on].id) : NULL;
    rf->rests_on_note = sv.note[0] ? dup(r, sv.note) : NULL;
    rf->n_missing = res.n_missing;
    rf->missing = arr(r, (size_t)res.n_missing, sizeof *rf->missing);
    for (int i = 0; i < res.n_missing; i++)
        rf->missing[i] = dup(r, res.missing[i]);
    rf->n_trace = res.n_trace;
    rf->trace = arr(r, (size_t)res.n_trace, sizeof *rf->trace);
    for (int i = 0; i < res.n_trace; i++) {
        const DecideTraceItem *t = &res.trace[i];
        ReviewTraceItem *ri = &rf->trace[i];
        ri->rule = dup(r, t->rule->id);
        ri->fired = t->fired == DECIDE_TRUE ? "fired" : t->fired == DECIDE_FALSE ? "-" : "unknown";
        ri->verdict = t->rule->has_verdict ? decide_verdict_name(t->rule->verdict) : NULL;
        ri->decided = t->decided;
        ri->n_because = t->n_because;
        ri->because = arr(r, (size_t)t->n_because, sizeof *ri->because);
        for (int k = 0; k < t->n_because; k++) {
            const DecideBecause *b = &t->because[k];
            ri->because[k] = b->origin >= 0 ? fmt(r, "%s [%s, %s]", b->test, b->value,
                                                  decide_origin_name((DecideOrigin)b->origin))
                                            : fmt(r, "%s [%s]", b->test, b->value);
        }
    }
    decide_result_free(&res);
    decide_answers_free(&typed);
    decide_answers_free(&all);
    decide_framework_free(&fw);
    return TP_OK;
}

/* --- what would change the verdict ---------------------------------------------------------- */

static bool is_ft(const CostScenario *sc, int i) {
    return decide_verdict_is_fine_tune(session_option_route(sc, i));
}

/* Cheapest feasible fine-tune minus cheapest feasible option without one,
 * over the horizon; NAN when either side has none. */
static double ft_gap(const CostScenario *sc, const CostProjection *p, int *ft, int *base) {
    *ft = *base = -1;
    for (int i = 0; i < p->n_options; i++) {
        if (!p->options[i].feasible)
            continue;
        int *best = is_ft(sc, i) ? ft : base;
        if (*best < 0 || p->options[i].horizon_total_usd < p->options[*best].horizon_total_usd)
            *best = i;
    }
    if (*ft < 0 || *base < 0)
        return NAN;
    return p->options[*ft].horizon_total_usd - p->options[*base].horizon_total_usd;
}

/* Projects the scenario again at its current values without Monte Carlo. */
static bool reproject(CostScenario *sc, CostProjection *p) {
    TpError e = {0};
    int n = sc->n_ranges;
    sc->n_ranges = 0;
    bool ok = cost_project(sc, p, &e) == TP_OK;
    sc->n_ranges = n;
    return ok;
}

static double gap_at(CostScenario *sc, double volume) {
    CostNum saved = sc->requests_per_day;
    sc->requests_per_day = (CostNum){volume, volume, volume, NULL};
    CostProjection p;
    int a, b;
    double g = reproject(sc, &p) ? ft_gap(sc, &p, &a, &b) : NAN;
    cost_projection_free(&p);
    sc->requests_per_day = saved;
    return g;
}

static void break_even_volume(Review *r, CostScenario *sc, const CostProjection *p, ReviewFlip *f) {
    f->what = "break_even_volume";
    f->unit = "requests/day";
    f->value = NAN;
    int ft, base;
    double g0 = ft_gap(sc, p, &ft, &base);
    double v0 = sc->requests_per_day.v;
    if (isnan(g0) || !(v0 > 0)) {
        f->text = fmt(r, "no break-even volume: the scenario needs a feasible fine-tuned option "
                         "and a feasible option without fine-tuning to compare");
        return;
    }
    /* search a factor of 1,000 either way, in log space, for the sign change */
    double lo = v0, hi = v0;
    bool found = false;
    double step = g0 > 0 ? 2 : 0.5; /* fine-tune dearer: more volume may pay for it */
    for (int k = 0; k < 10 && !found; k++) {
        double next = (g0 > 0 ? hi : lo) * step;
        double g = gap_at(sc, next);
        if (isnan(g))
            break;
        if ((g > 0) != (g0 > 0)) {
            found = true;
            if (g0 > 0) {
                lo = hi;
                hi = next;
            } else {
                hi = lo;
                lo = next;
            }
        } else if (g0 > 0) {
            hi = next;
        } else {
            lo = next;
        }
    }
    if (!found) {
        f->text = fmt(r,
                      "%s stays %s than %s between %.0f and %.0f requests/day: no break-even "
                      "volume in reach",
                      sc->options[ft].id, g0 > 0 ? "dearer" : "cheaper", sc->options[base].id,
                      g0 > 0 ? v0 : v0 / 1024, g0 > 0 ? v0 * 1024 : v0);
        return;
    }
    /* bisect on [lo, hi] (log space) to within 0.5% */
    double glo = gap_at(sc, lo);
    for (int k = 0; k < 40 && hi / lo > 1.005; k++) {
        double mid = sqrt(lo * hi);
        double g = gap_at(sc, mid);
        if (isnan(g))
            break;
        if ((g > 0) == (glo > 0))
            lo = mid;
        else
            hi = mid;
    }
    f->value = round(sqrt(lo * hi));
    f->text = fmt(r,
                  "at about %.0f requests/day (now %.0f) the cheapest feasible fine-tune, %s, "
                  "and the cheapest feasible option without one, %s, cost the same over %d "
                  "months; %s it the fine-tune %s",
                  f->value, v0, sc->options[ft].id, sc->options[base].id, sc->horizon_months,
                  g0 > 0 ? "above" : "below", g0 > 0 ? "is cheaper" : "is dearer");
}

static int cheapest_at_slo(CostScenario *sc, bool has, double slo) {
    bool h = sc->has_slo;
    CostNum saved = sc->latency_slo_ms;
    sc->has_slo = has;
    if (has)
        sc->latency_slo_ms = (CostNum){slo, slo, slo, NULL};
    CostProjection p;
    int best = reproject(sc, &p) ? cost_cheapest(&p, true) : -2;
    cost_projection_free(&p);
    sc->has_slo = h;
    sc->latency_slo_ms = saved;
    return best;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void slo_flips(Review *r, CostScenario *sc, const CostProjection *p) {
    int n = p->n_options;
    double *cand = tp_xmalloc(sizeof *cand * (size_t)(n ? n : 1));
    int nc = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(p->options[i].latency_p95_ms))
            cand[nc++] = ceil(p->options[i].latency_p95_ms);
    qsort(cand, (size_t)nc, sizeof *cand, cmp_double);
    int now = cost_cheapest(p, true);
    const char *now_id = now >= 0 ? sc->options[now].id : "none";
    double slo = sc->has_slo ? sc->latency_slo_ms.v : INFINITY;
    /* tighter: the loosest SLO under the current one that changes the answer */
    int tight = -3;
    double tight_at = NAN;
    for (int i = nc - 1; i >= 0; i--) {
        double t = cand[i] - 1;
        if (!(t < slo) || t < 1)
            continue;
        int b = cheapest_at_slo(sc, true, t);
        if (b != now && b != -2) {
            tight = b;
            tight_at = t + 1;
            break;
        }
    }
    /* looser: the tightest SLO over the current one that changes it */
    int loose = -3;
    double loose_at = NAN;
    for (int i = 0; i < nc && sc->has_slo; i++) {
        if (!(cand[i] > slo))
            continue;
        int b = cheapest_at_slo(sc, true, cand[i]);
        if (b != now && b != -2) {
            loose = b;
            loose_at = cand[i];
            break;
        }
    }
    free(cand);
    ReviewFlip *f = &r->flips[r->n_flips++];
    f->what = "slo_flip";
    f->unit = "ms";
    f->value = tight_at;
    if (tight >= 0)
        f->text = fmt(r, "an SLO under %.0f ms would make %s the cheapest feasible option (now %s)",
                      tight_at, sc->options[tight].id, now_id);
    else if (tight == -1)
        f->text = fmt(r, "an SLO under %.0f ms would leave no option feasible (now %s)", tight_at,
                      now_id);
    else
        f->text = fmt(r, "no tighter SLO changes the cheapest feasible option (%s)", now_id);
    if (sc->has_slo) {
        f = &r->flips[r->n_flips++];
        f->what = "slo_flip";
        f->unit = "ms";
        f->value = loose_at;
        if (loose >= 0)
            f->text = fmt(r,
                          "an SLO of %.0f ms or looser would make %s the cheapest feasible option "
                          "(now %s at %.0f ms)",
                          loose_at, sc->options[loose].id, now_id, slo);
        else
            f->text = fmt(r, "no looser SLO changes the cheapest feasible option (%s)", now_id);
    }
}

/* --- dates --------------------------------------------------------------------------------------
 */

static void add_date(Review *r, int *cap, const char *date, const char *what, const char *src) {
    if (!date || !*date)
        return;
    for (int i = 0; i < r->n_dates; i++)
        if (!strcmp(r->dates[i].date, date) && !strcmp(r->dates[i].what, what))
            return;
    if (r->n_dates == *cap) {
        int ncap = *cap ? *cap * 2 : 16;
        ReviewDate *d = arr(r, (size_t)ncap, sizeof *d);
        if (r->n_dates)
            memcpy(d, r->dates, sizeof *d * (size_t)r->n_dates);
        r->dates = d;
        *cap = ncap;
    }
    r->dates[r->n_dates++] = (ReviewDate){dup(r, date), dup(r, what), dup(r, src)};
}

static int cmp_date(const void *a, const void *b) {
    const ReviewDate *x = a, *y = b;
    int c = strcmp(x->date, y->date);
    return c ? c : strcmp(x->what, y->what);
}

static void fill_dates(Review *r, const CostScenario *sc) {
    int cap = 0;
    add_date(r, &cap, r->today, "today: every lifecycle date is checked from here", NULL);
    if (sc->start_date[0] && strcmp(sc->start_date, r->today ? r->today : ""))
        add_date(r, &cap, sc->start_date, "the scenario's start date", NULL);
    if (r->snapshot_as_of)
        add_date(r, &cap, r->snapshot_as_of,
                 fmt(r, "prices of snapshot %lld (%s)", r->snapshot_id,
                     r->snapshot_label ? r->snapshot_label : ""),
                 NULL);
    for (int i = 0; i < sc->n_options; i++) {
        const CostOption *o = &sc->options[i];
        const char *who = o->model ? o->model : o->gpu ? o->gpu : o->id;
        if (o->n_sources > 0 && o->sources[0].as_of)
            add_date(r, &cap, o->sources[0].as_of, fmt(r, "%s: %s", o->id, o->sources[0].what),
                     o->sources[0].source);
        const PricingLifecycle *l = &o->life;
        if (l->available_from.date)
            add_date(r, &cap, l->available_from.date, fmt(r, "%s available from", who),
                     l->available_from.source);
        if (l->new_jobs_until.date)
            add_date(r, &cap, l->new_jobs_until.date,
                     fmt(r, "%s: no new fine-tuning jobs from", who), l->new_jobs_until.source);
        if (l->retires_on.date)
            add_date(r, &cap, l->retires_on.date, fmt(r, "%s retires", who), l->retires_on.source);
    }
    qsort(r->dates, (size_t)r->n_dates, sizeof *r->dates, cmp_date);
}

/* --- the whole review ------------------------------------------------------------------------- */

TpStatus session_review_build(const SessionReviewInput *in, Review *r, TpError *err) {
    memset(r, 0, sizeof *r);
    tp_arena_init(&r->arena);
    CostScenario *sc = in->sc;
    const CostProjection *p = in->proj;
    if (!sc || !p || p->n_options != sc->n_options)
        return tp_error_set(err, TP_EINVAL, "the review needs a projected scenario");
    r->scenario = dup(r, sc->name);
    r->title = fmt(r, "Decision review: %s", sc->name ? sc->name : "scenario");
    r->today = dup(r, in->today);
    r->snapshot_id = in->pricing->snapshot_id;
    r->snapshot_label =
        dup(r, in->pricing->snapshot_id > 0 ? in->pricing->snapshot_label : "bundled tables");
    r->snapshot_as_of = in->pricing->snapshot_id > 0 ? dup(r, in->pricing->snapshot_as_of) : NULL;
    r->horizon_months = sc->horizon_months;
    r->requests_per_day = sc->requests_per_day.v;
    r->input_tokens = sc->input_tokens.v;
    r->output_tokens = sc->output_tokens.v;
    r->growth_per_month = sc->growth_per_month.v;
    r->peak_factor = sc->peak_factor.v;
    r->latency_slo_ms = sc->has_slo ? sc->latency_slo_ms.v : NAN;
    fill_options(r, sc, p);

    r->n_frameworks = 0;
    r->frameworks = arr(r, N_FRAMEWORKS, sizeof *r->frameworks);
    for (int i = 0; i < N_FRAMEWORKS; i++) {
        TpStatus st = fill_framework(r, &r->frameworks[r->n_frameworks], FRAMEWORKS[i], in, err);
        if (st != TP_OK) {
            review_free(r);
            return st;
        }
        r->n_frameworks++;
    }

    ReviewEvidence *e = &r->evidence;
    e->base_accuracy = e->tuned_accuracy = e->base_loss = e->tuned_loss = NAN;
    if (in->ev) {
        char detail[512];
        bool known;
        e->present = true;
        e->run_id = in->ev->run_id;
        e->date = dup(r, in->ev->date);
        e->model = in->ev->model[0] ? dup(r, in->ev->model) : NULL;
        e->base_accuracy = in->ev->base_accuracy;
        e->tuned_accuracy = in->ev->tuned_accuracy;
        e->base_loss = in->ev->base_loss;
        e->tuned_loss = in->ev->tuned_loss;
        e->helped = session_evidence_helped(in->ev, in->pricing, &known, detail, sizeof detail);
        e->detail = dup(r, detail);
    }

    int n_evals = in->evals ? in->evals->n_rows : 0;
    r->eval_target = in->evals && in->evals->have_evidence ? in->eval_target : NAN;
    if (in->evals && n_evals) {
        SessionQuestion2 q2;
        session_eval_question2(in->evals, in->pricing, in->eval_target, &q2);
        r->eval_question2 = eval_question2_name(q2.state);
        r->eval_question2_text = dup(r, q2.text);
    }
    r->evals = arr(r, n_evals + 1, sizeof *r->evals);
    for (int i = 0; i < n_evals; i++) {
        const SessionEvalRow *row = &in->evals->rows[i];
        ReviewEval *x = &r->evals[r->n_evals++];
        x->model = dup(r, row->model);
        x->variant = dup(r, row->variant);
        x->metric = dup(r, row->metric);
        x->local = row->local;
        x->n = row->examples;
        x->score = row->score;
        x->lo = row->lo;
        x->hi = row->hi;
        x->usd_per_1k = row->usd_per_1k;
        x->p95_ms = row->p95_ms;
    }

    r->flips = arr(r, 3, sizeof *r->flips);
    break_even_volume(r, sc, p, &r->flips[r->n_flips++]);
    slo_flips(r, sc, p);
    /* the scenario's own values again (the searches changed them) */
    CostProjection again;
    if (reproject(sc, &again))
        cost_projection_free(&again);

    fill_dates(r, sc);

    int nw = 0;
    r->warnings = arr(r, 2, sizeof *r->warnings);
    if (r->cheapest_feasible < 0)
        r->warnings[nw++] = "no option is feasible: none is called cheapest, and no verdict can "
                            "rest on one";
    else if (r->cheapest != r->cheapest_feasible && r->cheapest >= 0)
        r->warnings[nw++] = fmt(r, "%s costs less than %s but is infeasible",
                                sc->options[r->cheapest].id, sc->options[r->cheapest_feasible].id);
    r->n_warnings = nw;
    return TP_OK;
}
