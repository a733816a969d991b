/* project.c - evaluates every option of a scenario month by month, then
 * repeats the evaluation over Monte Carlo draws when inputs are ranges (the
 * feasibility checks on the result are in feasibility.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost_impl.h"
#include "tunepilot/cost.h"
#include "tunepilot/limits.h"
#include "tunepilot/stats.h"
#include "tunepilot/rng.h"

/* One option evaluated at the current values (`v`) and a traffic scale. */
typedef struct Eval {
    double *monthly; /* [horizon], recurring cost of each month, caller's buffer */
    double *comp;    /* NULL, or [horizon * COST_N_COMPONENTS]: monthly split by component */
    double comp_one[COST_N_COMPONENTS]; /* one-time costs split by component */
    double requests_m1;
    double variable_per_request, fixed_m1;
    double training, data_prep, setup, corpus, retrain_monthly;
    double p50, p95;
    int replicas_m1, replicas_last;
    double util_m1;
    /* set when some month needs more than TP_MAX_REPLICAS replicas */
    const char *over_id; /* the self-hosted option */
    int over_month;      /* 1-based */
    double over_load;    /* offered load (replicas busy) that month */
} Eval;

/* --- dates ------------------------------------------------------------------------ */

bool cost_date_days(const char *d, long *days) {
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    long y = atol(d), m = atol(d + 5), dd = atol(d + 8);
    if (m < 1 || m > 12 || dd < 1 || dd > 31)
        return false;
    /* days from civil (proleptic Gregorian), era-based */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468;
    return true;
}

double cost_days_from_start(const CostScenario *sc, const char *date) {
    long a, b;
    if (!sc->start_date[0] || !date || !cost_date_days(sc->start_date, &a) ||
        !cost_date_days(date, &b))
        return NAN;
    return (double)(b - a);
}

/* Share of month k (0-based) before a point `left` days after the start:
 * 1 for whole months before it, 0 after, the fraction in its month. */
static double month_share_before(double left, int k) {
    if (isnan(left))
        return 1;
    double f = (left - k * COST_DAYS_PER_MONTH) / COST_DAYS_PER_MONTH;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* Adds v to component c of month k when the caller asked for the split. */
static void comp_add(Eval *e, int k, CostComponent c, double v) {
    if (e->comp)
        e->comp[(size_t)k * COST_N_COMPONENTS + c] += v;
}

static double people_monthly(const CostOption *o) {
    return o->maintenance_hours_per_month.v * o->engineer_usd_per_hour.v;
}

/* Training run cost, data preparation and monthly retraining. */
static void training_costs(const CostOption *o, double run_cost, Eval *e) {
    e->training = run_cost;
    e->data_prep = o->data_prep_multiplier.v * run_cost;
    double days = o->retrain_every_days.v;
    double per_retrain = run_cost + o->retrain_engineer_hours.v * o->engineer_usd_per_hour.v;
    e->retrain_monthly = days > 0 ? per_retrain * COST_DAYS_PER_MONTH / days : 0;
}

/* Whether c replicas at offered load a, with Erlang B value b, meet the
 * SLO: P(wait) <= 5%, or the M/M/c wait p95 fits in the budget. */
static bool slo_met_at(int c, double b, double a, double lambda, double mu, double budget_s) {
    double pw = b / (1.0 - (a / c) * (1.0 - b));
    return pw <= 0.05 || log(pw / 0.05) / (c * mu - lambda) <= budget_s;
}

/* A first guess at the answer from the Halfin-Whitt approximation of the
 * probability of waiting with c = a + beta sqrt(a) servers,
 *     P(wait) ~ 1 / (1 + beta Phi(beta) / phi(beta))
 * (S. Halfin and W. Whitt, "Heavy-traffic limits for queues with many
 * exponential servers", Operations Research 29(3), 1981): the smallest beta
 * in [0, 12] meeting the SLO test by bisection. Its error in P(wait) is
 * O(1/sqrt(a)), a few replicas; the exact walk that follows corrects it. */
static int square_root_staffing(double a, double mu, double budget_s) {
    double lo = 0, hi = 12, sa = sqrt(a);
    for (int it = 0; it < 14; it++) { /* beta to 12/2^14: a replica per 1,400^2 */
        double beta = 0.5 * (lo + hi);
        double ratio =
            beta * 0.5 * erfc(-beta / M_SQRT2) / (exp(-0.5 * beta * beta) / sqrt(2 * M_PI));
        double pw = 1 / (1 + ratio);
        if (pw <= 0.05 || log(pw / 0.05) / (mu * beta * sa) <= budget_s)
            hi = beta;
        else
            lo = beta;
    }
    double c = ceil(a + hi * sa);
    return c < TP_MAX_REPLICAS ? (int)c : TP_MAX_REPLICAS;
}

/* Replicas for arrival rate lambda (req/s) with per-replica service rate
 * mu: the fewest that keep the queue stable and, when an SLO is set and can
 * be met at all, keep service p95 + M/M/c wait p95 within it. Returns -1
 * when that is more than TP_MAX_REPLICAS.
 *
 * Constant work per call whatever the load: first a sufficient test (P(wait)
 * <= 1, so the wait p95 is at most ln(20) / (c mu - lambda)) that settles
 * most months at the stability bound; up to 256 replicas Erlang B by its
 * recursion then one replica at a time (the figures of every ordinary
 * scenario); above, Erlang B once in constant time (cost_erlang_b) at the
 * square-root staffing guess, then exact recursion steps down or up to the
 * answer, a few replicas away (with a doubling and bisecting search as the
 * fallback should the guess be far). */
static int size_replicas(double lambda, double mu, double svc_p95_ms, bool has_slo, double slo_ms,
                         int min_c) {
    if (mu <= 0 || lambda <= 0)
        return min_c;
    double a = lambda / mu;
    double need = floor(a) + 1;
    if (!(need <= TP_MAX_REPLICAS))
        return -1;
    int c = (int)need > min_c ? (int)need : min_c;
    if (!has_slo || svc_p95_ms > slo_ms)
        return c;
    double budget_s = (slo_ms - svc_p95_ms) / 1000.0;
    if (ceil((lambda + log(20.0) / budget_s) / mu) <= c)
        return c;
    if (c <= 256) {
        double b = cost_erlang_b(c, a);
        for (int limit = c + 100000; c < limit; c++) {
            if (slo_met_at(c, b, a, lambda, mu, budget_s))
                return c;
            b = a * b / (c + 1 + a * b);
        }
        return c;
    }
    int floor_c = c, g = square_root_staffing(a, mu, budget_s);
    if (g > c)
        c = g;
    double b = cost_erlang_b(c, a);
    if (slo_met_at(c, b, a, lambda, mu, budget_s)) {
        /* down: B_{k-1} = k B_k / (a (1 - B_k)), stable for k > a */
        for (int steps = 0; c > floor_c && steps < 4096; steps++) {
            double down = c * b / (a * (1 - b));
            if (!slo_met_at(c - 1, down, a, lambda, mu, budget_s))
                return c;
            b = down;
            c--;
        }
        if (c == floor_c)
            return c;
        int lo = floor_c, hi = c; /* met at hi, not known at lo */
        while (hi - lo > 1) {
            int mid = lo + (hi - lo) / 2;
            if (slo_met_at(mid, cost_erlang_b(mid, a), a, lambda, mu, budget_s))
                hi = mid;
            else
                lo = mid;
        }
        return slo_met_at(lo, cost_erlang_b(lo, a), a, lambda, mu, budget_s) ? lo : hi;
    }
    for (int steps = 0; steps < 4096; steps++) { /* up */
        if (c >= TP_MAX_REPLICAS)
            return -1;
        b = a * b / (c + 1 + a * b);
        c++;
        if (slo_met_at(c, b, a, lambda, mu, budget_s))
            return c;
    }
    int lo = c, step = 4096, hi; /* not met at lo */
    for (;;) {
        hi = lo + step > TP_MAX_REPLICAS ? TP_MAX_REPLICAS : lo + step;
        if (slo_met_at(hi, cost_erlang_b(hi, a), a, lambda, mu, budget_s))
            break;
        if (hi == TP_MAX_REPLICAS)
            return -1;
        lo = hi;
        step *= 2;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (slo_met_at(mid, cost_erlang_b(mid, a), a, lambda, mu, budget_s))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static void eval_option(const CostScenario *sc, int idx, double scale, Eval *e);

static void eval_hosted(const CostScenario *sc, const CostOption *o, double scale, Eval *e) {
    double in = o->input_tokens.v, out = o->output_tokens.v, cs = o->cached_input_share.v;
    double fixed = people_monthly(o);
    if (o->kind == COST_OPTION_RAG)
        in += o->context_tokens.v;
    double var = (in * (1 - cs) * o->input_per_mtok.v + in * cs * o->cached_input_per_mtok.v +
                  out * o->output_per_mtok.v) / 1e6;
    double tok_var = var, ret_var = 0, ret_fixed = 0, gpu_fixed = 0;
    double svc = o->ttft_ms.v + in * (1 - cs) * o->prefill_ms_per_token.v +
                 out * 1000.0 / o->output_tokens_per_s.v;
    e->p50 = svc;
    e->p95 = svc * o->p95_over_p50.v;
    if (o->kind == COST_OPTION_RAG) {
        ret_var = o->query_embedding_tokens.v * o->embedding_per_mtok.v / 1e6;
        var += ret_var;
        ret_fixed = o->vector_store_monthly_usd.v;
        fixed += ret_fixed;
        e->corpus = o->corpus_tokens.v * o->embedding_per_mtok.v / 1e6;
        e->p50 += o->rag_added_latency_ms.v;
        e->p95 += o->rag_added_latency_ms.v;
    }
    double retrain = 0, jobs_left = NAN;
    if (o->kind == COST_OPTION_API_FINETUNED) {
        double run = o->train_tokens.v * o->epochs.v * o->training_per_mtok.v / 1e6 +
                     o->train_hours.v * o->training_per_hour.v;
        training_costs(o, run, e);
        gpu_fixed = o->hosting_per_hour.v * COST_GPU_HOURS_PER_MONTH;
        fixed += gpu_fixed;
        retrain = e->retrain_monthly;
        /* retrains are possible only while the provider accepts new jobs */
        jobs_left = cost_days_from_start(sc, o->life.new_jobs_until.date);
    }
    double g = sc->growth_per_month.v, vol = sc->requests_per_day.v * scale;
    for (int k = 0; k < sc->horizon_months; k++, vol *= 1 + g) {
        double rk = retrain * month_share_before(jobs_left, k);
        e->monthly[k] = var * vol * COST_DAYS_PER_MONTH + fixed + rk;
        comp_add(e, k, COST_COMP_TOKENS, tok_var * vol * COST_DAYS_PER_MONTH);
        comp_add(e, k, COST_COMP_RETRIEVAL, ret_var * vol * COST_DAYS_PER_MONTH + ret_fixed);
        comp_add(e, k, COST_COMP_GPU, gpu_fixed);
        comp_add(e, k, COST_COMP_TRAINING, rk);
        comp_add(e, k, COST_COMP_PEOPLE, people_monthly(o));
    }
    fixed += retrain * month_share_before(jobs_left, 0);
    e->variable_per_request = var;
    e->fixed_m1 = fixed;
}

static void eval_self_hosted(const CostScenario *sc, const CostOption *o, double scale, Eval *e) {
    double out = o->output_tokens.v;
    double mu = o->tokens_per_s_per_gpu.v > 0 && out > 0
                    ? o->tokens_per_s_per_gpu.v * o->gpus_per_replica.v / out
                    : 0;
    double in = o->input_tokens.v * (1 - o->cached_input_share.v);
    double svc50 = o->ttft_ms.v + in * o->prefill_ms_per_token.v +
                   out * 1000.0 / o->output_tokens_per_s.v;
    double svc95 = svc50 * o->p95_over_p50.v;
    double per_replica =
        o->has_gpu ? o->gpus_per_replica.v * o->gpu_usd_per_hour.v * COST_GPU_HOURS_PER_MONTH
                   : o->monthly_usd_per_replica.v;
    training_costs(o, o->train_gpu_hours.v * o->train_gpu_usd_per_hour.v, e);
    double fixed = people_monthly(o) + e->retrain_monthly;
    int min_c = (int)ceil(o->min_replicas.v);
    double g = sc->growth_per_month.v, vol = sc->requests_per_day.v * scale;
    double slo = sc->latency_slo_ms.v;
    for (int k = 0; k < sc->horizon_months; k++, vol *= 1 + g) {
        double lambda = vol * sc->peak_factor.v / 86400.0;
        int c = size_replicas(lambda, mu, svc95, sc->has_slo, slo, min_c);
        if (c < 0) {
            e->over_id = o->id;
            e->over_month = k + 1;
            e->over_load = lambda / mu;
            for (; k < sc->horizon_months; k++)
                e->monthly[k] = NAN;
            break;
        }
        e->monthly[k] = c * per_replica + fixed;
        comp_add(e, k, COST_COMP_GPU, c * per_replica);
        comp_add(e, k, COST_COMP_TRAINING, e->retrain_monthly);
        comp_add(e, k, COST_COMP_PEOPLE, people_monthly(o));
        if (k == 0) {
            e->replicas_m1 = c;
            e->fixed_m1 = e->monthly[0];
            e->util_m1 = mu > 0 && c > 0 ? lambda / (c * mu) : 0;
            double w50 = 0, w95 = 0;
            if (mu > 0 && lambda > 0) {
                /* cost_mmc_wait_quantile_s twice, with Erlang C computed once */
                double pw = cost_erlang_c(c, lambda / mu), gap = c * mu - lambda;
                w50 = gap <= 0 ? INFINITY : pw <= 0.5 ? 0 : log(pw / 0.5) / gap;
                w95 = gap <= 0 ? INFINITY : pw <= 0.05 ? 0 : log(pw / 0.05) / gap;
            }
            e->p50 = svc50 + 1000 * w50;
            e->p95 = svc95 + 1000 * w95;
        }
        e->replicas_last = c;
    }
    e->variable_per_request = 0;
}

static void eval_routed(const CostScenario *sc, const CostOption *o, double scale, Eval *e) {
    int h = sc->horizon_months, n = o->n_routes;
    double buf[COST_MAX_HORIZON_MONTHS];
    double cbuf[COST_MAX_HORIZON_MONTHS * COST_N_COMPONENTS];
    double w[64], p50[64], p95[64];
    e->fixed_m1 = people_monthly(o);
    for (int k = 0; k < h; k++) {
        e->monthly[k] = e->fixed_m1;
        comp_add(e, k, COST_COMP_PEOPLE, e->fixed_m1);
    }
    for (int r = 0; r < n; r++) {
        double share = o->routes[r].share.v;
        Eval s = {.monthly = buf, .comp = e->comp ? cbuf : NULL};
        eval_option(sc, o->routes[r].index, scale * share, &s);
        for (int k = 0; k < h; k++) {
            e->monthly[k] += s.monthly[k];
            for (int c = 0; c < COST_N_COMPONENTS; c++)
                comp_add(e, k, (CostComponent)c, s.comp ? s.comp[k * COST_N_COMPONENTS + c] : 0);
        }
        for (int c = 0; c < COST_N_COMPONENTS; c++)
            e->comp_one[c] += s.comp_one[c];
        e->variable_per_request += share * s.variable_per_request;
        e->fixed_m1 += s.fixed_m1;
        e->training += s.training;
        e->data_prep += s.data_prep;
        e->setup += s.setup;
        e->corpus += s.corpus;
        e->retrain_monthly += s.retrain_monthly;
        e->replicas_m1 += s.replicas_m1;
        e->replicas_last += s.replicas_last;
        if (s.over_id && !e->over_id) {
            e->over_id = s.over_id;
            e->over_month = s.over_month;
            e->over_load = s.over_load;
        }
        if (r < 64) {
            w[r] = share;
            p50[r] = s.p50;
            p95[r] = s.p95;
        }
    }
    int m = n < 64 ? n : 64;
    e->p50 = cost_lognormal_mixture_quantile(m, w, p50, p95, 0.5);
    e->p95 = cost_lognormal_mixture_quantile(m, w, p50, p95, 0.95);
}

static void eval_option(const CostScenario *sc, int idx, double scale, Eval *e) {
    const CostOption *o = &sc->options[idx];
    double *monthly = e->monthly, *comp = e->comp;
    memset(e, 0, sizeof *e);
    e->monthly = monthly;
    e->comp = comp;
    if (comp)
        memset(comp, 0, sizeof *comp * (size_t)sc->horizon_months * COST_N_COMPONENTS);
    switch (o->kind) {
    case COST_OPTION_API:
    case COST_OPTION_RAG:
    case COST_OPTION_API_FINETUNED:
        eval_hosted(sc, o, scale, e);
        break;
    case COST_OPTION_SELF_HOSTED:
        eval_self_hosted(sc, o, scale, e);
        break;
    case COST_OPTION_ROUTED:
        eval_routed(sc, o, scale, e);
        break;
    }
    double setup = o->setup_hours.v * o->engineer_usd_per_hour.v;
    e->setup += setup;
    if (o->kind != COST_OPTION_ROUTED) { /* a routed option's come from its routes */
        e->comp_one[COST_COMP_TRAINING] = e->training + e->data_prep;
        e->comp_one[COST_COMP_RETRIEVAL] = e->corpus;
    }
    e->comp_one[COST_COMP_PEOPLE] += setup;
    e->requests_m1 = sc->requests_per_day.v * scale * COST_DAYS_PER_MONTH;
}

/* --- results ----------------------------------------------------------------------- */

static void fill_result(const CostScenario *sc, const CostOption *o, const Eval *e,
                        CostOptionResult *r) {
    int h = sc->horizon_months;
    r->input_tokens = o->kind == COST_OPTION_ROUTED ? NAN : o->input_tokens.v;
    r->output_tokens = o->kind == COST_OPTION_ROUTED ? NAN : o->output_tokens.v;
    r->variable_cost_per_request_usd = e->variable_per_request;
    r->fixed_monthly_usd = e->fixed_m1;
    r->training_usd = e->training;
    r->data_prep_usd = e->data_prep;
    r->setup_usd = e->setup;
    r->corpus_embedding_usd = e->corpus;
    r->retrain_monthly_usd = e->retrain_monthly;
    r->one_time_usd = e->training + e->data_prep + e->setup + e->corpus;
    memcpy(r->component_one_time_usd, e->comp_one, sizeof e->comp_one);
    double cum = r->one_time_usd;
    for (int k = 0; k < h; k++) {
        cum += e->monthly[k];
        r->cumulative_cost_usd[k] = cum;
    }
    r->horizon_total_usd = cum;
    r->daily_cost_usd = e->monthly[0] / COST_DAYS_PER_MONTH;
    r->cost_per_request_usd = e->requests_m1 > 0 ? e->monthly[0] / e->requests_m1 : NAN;
    r->cost_per_1k_requests_usd = r->cost_per_request_usd * 1000;
    r->latency_p50_ms = e->p50;
    r->latency_p95_ms = e->p95;
    r->slo_met = !sc->has_slo || e->p95 <= sc->latency_slo_ms.v;
    r->replicas_at_peak = e->replicas_m1;
    r->replicas_at_peak_final = e->replicas_last;
    r->utilization_at_peak = e->util_m1;
}

int cost_cheapest(const CostProjection *p, bool feasible_only) {
    int best = -1;
    for (int i = 0; i < p->n_options; i++) {
        if (feasible_only && !p->options[i].feasible)
            continue;
        if (best < 0 || p->options[i].horizon_total_usd < p->options[best].horizon_total_usd)
            best = i;
    }
    return best;
}

const char *cost_component_name(CostComponent c) {
    static const char *const NAMES[COST_N_COMPONENTS] = {"tokens", "retrieval", "GPU",
                                                         "training", "people"};
    return c >= 0 && c < COST_N_COMPONENTS ? NAMES[c] : "?";
}

int cost_break_even(const double *cum_a, double one_time_a, const double *cum_b,
                    double one_time_b, int horizon) {
#define AT(cum, one, m) ((m) == 0 ? (one) : (cum)[(m) - 1])
#define LE(x, y) ((x) <= (y) + 1e-9 * fabs(y) + 1e-9)
    if (!LE(AT(cum_a, one_time_a, horizon), AT(cum_b, one_time_b, horizon)))
        return -1;
    int m = horizon;
    while (m > 0 && LE(AT(cum_a, one_time_a, m - 1), AT(cum_b, one_time_b, m - 1)))
        m--;
    return m;
#undef AT
#undef LE
}

/* Sets every range to its midpoint (or a draw), renormalises route shares
 * so they sum to 1, and copies linked numbers from what they follow. */
static void set_values(CostScenario *sc, TpRng *rng) {
    for (int i = 0; i < sc->n_ranges; i++) {
        CostNum *n = sc->ranges[i];
        n->v = rng ? n->lo + tp_rng_uniform(rng) * (n->hi - n->lo) : (n->lo + n->hi) / 2;
    }
    for (int i = 0; i < sc->n_options; i++) {
        CostOption *o = &sc->options[i];
        double sum = 0;
        for (int r = 0; r < o->n_routes; r++) {
            CostNum *sh = &o->routes[r].share;
            if (sh->lo == sh->hi)
                sh->v = sh->lo; /* undo the previous draw's renormalisation */
            sum += sh->v;
        }
        if (rng && sum > 0)
            for (int r = 0; r < o->n_routes; r++)
                o->routes[r].share.v /= sum;
    }
    for (int i = 0; i < sc->n_linked; i++)
        sc->linked[i]->v = sc->linked[i]->link->v;
}

enum { M_CPR, M_DAILY, M_ONE, M_TOTAL, M_P50, M_P95, M_REPL, N_METRICS };

static void quantiles(double *x, int n, CostQuantiles *q) {
    double v[3];
    tp_quantiles3(x, n, 0.10, 0.50, 0.90, v);
    q->p10 = v[0];
    q->p50 = v[1];
    q->p90 = v[2];
}

static TpStatus over_replicas(const CostScenario *sc, const Eval *e, int draw, TpError *err) {
    char when[48] = "";
    if (draw >= 0)
        snprintf(when, sizeof when, " (Monte Carlo draw %d)", draw + 1);
    return tp_error_set(err, TP_EINVAL,
                        "%s: option \"%s\" needs more than %d replicas in month %d%s: an offered "
                        "load of %.3g busy replicas at peak, over the limit TP_MAX_REPLICAS "
                        "(limits.h); expected a smaller workload (requests_per_day, "
                        "growth_per_month, peak_factor, horizon_months) or more throughput per "
                        "replica (tokens_per_s_per_gpu, gpus_per_replica)",
                        sc->name ? sc->name : "scenario", e->over_id, TP_MAX_REPLICAS,
                        e->over_month, when, e->over_load);
}

static TpStatus monte_carlo(CostScenario *sc, CostProjection *out, TpError *err) {
    int n = sc->n_options, h = sc->horizon_months, d = sc->draws;
    size_t per_opt = (size_t)(N_METRICS + h) * (size_t)d;
    double *samples = tp_xmalloc(sizeof *samples * per_opt * (size_t)n);
    int *met = tp_xcalloc((size_t)n, sizeof *met);
    double *cum_draw = tp_xmalloc(sizeof *cum_draw * (size_t)d);
    double *scratch = tp_xmalloc(sizeof *scratch * (size_t)d);
    double monthly[COST_MAX_HORIZON_MONTHS];
    CostOptionResult tmp;
    double cum[COST_MAX_HORIZON_MONTHS];
    TpRng rng;
    tp_rng_seed(&rng, sc->seed);
    for (int draw = 0; draw < d; draw++) {
        set_values(sc, &rng);
        for (int i = 0; i < n; i++) {
            Eval e = {.monthly = monthly};
            eval_option(sc, i, 1.0, &e);
            if (e.over_id) {
                TpStatus st = over_replicas(sc, &e, draw, err);
                free(samples);
                free(met);
                free(cum_draw);
                free(scratch);
                return st;
            }
            memset(&tmp, 0, sizeof tmp);
            tmp.cumulative_cost_usd = cum;
            fill_result(sc, &sc->options[i], &e, &tmp);
            double *s = samples + per_opt * (size_t)i;
            s[M_CPR * d + draw] = tmp.cost_per_request_usd;
            s[M_DAILY * d + draw] = tmp.daily_cost_usd;
            s[M_ONE * d + draw] = tmp.one_time_usd;
            s[M_TOTAL * d + draw] = tmp.horizon_total_usd;
            s[M_P50 * d + draw] = tmp.latency_p50_ms;
            s[M_P95 * d + draw] = tmp.latency_p95_ms;
            s[M_REPL * d + draw] = tmp.replicas_at_peak;
            for (int k = 0; k < h; k++)
                s[(size_t)(N_METRICS + k) * d + draw] = monthly[k];
            met[i] += tmp.slo_met;
        }
    }
    for (int i = 0; i < n; i++) {
        CostOptionResult *r = &out->options[i];
        double *s = samples + per_opt * (size_t)i;
        /* cumulative quantiles first: the others reorder the samples */
        r->q_cumulative_cost_usd =
            tp_arena_alloc(&out->arena, sizeof(CostQuantiles) * (size_t)h);
        memcpy(cum_draw, s + M_ONE * d, sizeof *cum_draw * (size_t)d);
        for (int k = 0; k < h; k++) {
            for (int j = 0; j < d; j++)
                cum_draw[j] += s[(size_t)(N_METRICS + k) * d + j];
            memcpy(scratch, cum_draw, sizeof *scratch * (size_t)d);
            quantiles(scratch, d, &r->q_cumulative_cost_usd[k]);
        }
        quantiles(s + M_CPR * d, d, &r->q_cost_per_request_usd);
        quantiles(s + M_DAILY * d, d, &r->q_daily_cost_usd);
        quantiles(s + M_ONE * d, d, &r->q_one_time_usd);
        quantiles(s + M_TOTAL * d, d, &r->q_horizon_total_usd);
        quantiles(s + M_P50 * d, d, &r->q_latency_p50_ms);
        quantiles(s + M_P95 * d, d, &r->q_latency_p95_ms);
        quantiles(s + M_REPL * d, d, &r->q_replicas_at_peak);
        r->q_monthly_cost_usd = tp_arena_alloc(&out->arena, sizeof(CostQuantiles) * (size_t)h);
        for (int k = 0; k < h; k++)
            quantiles(s + (size_t)(N_METRICS + k) * d, d, &r->q_monthly_cost_usd[k]);
        r->slo_met_share = (double)met[i] / d;
    }
    free(samples);
    free(met);
    free(cum_draw);
    free(scratch);
    return TP_OK;
}

TpStatus cost_project(CostScenario *sc, CostProjection *out, TpError *err) {
    memset(out, 0, sizeof *out);
    tp_arena_init(&out->arena);
    int n = sc->n_options, h = sc->horizon_months;
    if (n <= 0 || h <= 0 || h > COST_MAX_HORIZON_MONTHS)
        return tp_error_set(err, TP_EINVAL, "scenario has no options or a bad horizon");
    out->n_options = n;
    out->horizon_months = h;
    out->seed = sc->seed;
    out->options = tp_arena_alloc(&out->arena, sizeof *out->options * (size_t)n);
    set_values(sc, NULL);
    for (int i = 0; i < n; i++) {
        CostOptionResult *r = &out->options[i];
        r->monthly_cost_usd = tp_arena_alloc(&out->arena, sizeof(double) * (size_t)h);
        r->cumulative_cost_usd = tp_arena_alloc(&out->arena, sizeof(double) * (size_t)h);
        r->break_even_month = tp_arena_alloc(&out->arena, sizeof(int) * (size_t)n);
        r->component_monthly_usd =
            tp_arena_alloc(&out->arena, sizeof(double) * (size_t)h * COST_N_COMPONENTS);
        Eval e = {.monthly = r->monthly_cost_usd, .comp = r->component_monthly_usd};
        eval_option(sc, i, 1.0, &e);
        if (e.over_id) {
            TpStatus st = over_replicas(sc, &e, -1, err);
            cost_projection_free(out);
            return st;
        }
        fill_result(sc, &sc->options[i], &e, r);
    }
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            out->options[a].break_even_month[b] =
                a == b ? 0
                       : cost_break_even(out->options[a].cumulative_cost_usd,
                                         out->options[a].one_time_usd,
                                         out->options[b].cumulative_cost_usd,
                                         out->options[b].one_time_usd, h);
    cost_feasibility(sc, out);
    if (sc->n_ranges > 0) {
        out->uncertain = true;
        out->draws = sc->draws;
        TpStatus st = monte_carlo(sc, out, err);
        set_values(sc, NULL);
        if (st != TP_OK) {
            cost_projection_free(out);
            return st;
        }
    }
    return TP_OK;
}

void cost_projection_free(CostProjection *p) {
    if (!p)
        return;
    tp_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}
