/* cost.h - the cost and latency projection engine.
 *
 * Pure functions of a scenario and a pricing table: no I/O, no globals.
 *
 * Time: a year is 365 days, a month 365/12 days, a GPU month 730 hours.
 * Volume in month k (k = 0 for the first month) is
 *     requests_per_day * (1 + growth_per_month)^k * 365/12
 * so growth compounds monthly. Any numeric input may be a range
 * [low, high]: the point projection uses its midpoint, and P10/P50/P90 of
 * every output come from a seeded Monte Carlo that draws each range
 * uniformly (default 10,000 draws; same seed, same numbers).
 *
 * Option kinds (see README "Cost model" for every field):
 *   api            hosted model: tokens x prices (+ cached input share)
 *   rag            api + retrieved context tokens, query embeddings, a vector
 *                  store per month, corpus embedding once, added latency
 *   api_finetuned  hosted fine-tune: training tokens x epochs x training
 *                  price, retraining on a cadence, fine-tuned prices
 *   self_hosted    GPUs x hourly rate x replicas sized for peak load by an
 *                  M/M/c queue against the latency SLO, plus training runs
 *   routed         a traffic mix over other options (shares sum to 1)
 *
 * Owned by the cost module (src/cost/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_COST_H
#define TUNEPILOT_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/error.h"
#include "tunepilot/pricing.h"

#define COST_DAYS_PER_YEAR 365.0
#define COST_DAYS_PER_MONTH (365.0 / 12.0)
#define COST_GPU_HOURS_PER_MONTH 730.0
#define COST_DEFAULT_DRAWS 10000

/* A number that may be uncertain: lo == hi for a point. `v` is the value
 * in use (the midpoint, or the current Monte Carlo draw). When `link` is
 * set, v follows the linked number (a shared workload figure or rule of
 * thumb is drawn once per Monte Carlo draw, not once per option). */
typedef struct CostNum {
    double lo, hi, v;
    const struct CostNum *link;
} CostNum;

typedef enum {
    COST_OPTION_API,
    COST_OPTION_RAG,
    COST_OPTION_API_FINETUNED,
    COST_OPTION_SELF_HOSTED,
    COST_OPTION_ROUTED,
} CostOptionKind;

/* Where a figure came from, shown beside the projection. */
typedef struct CostSource {
    const char *what;   /* "gpt-4.1 input/output prices" */
    const char *source; /* URL, or "scenario" for a typed value */
    const char *as_of;  /* date or NULL */
} CostSource;

typedef struct CostRoute {
    const char *option_id;
    int index; /* into CostScenario.options */
    CostNum share;
} CostRoute;

typedef struct CostOption {
    const char *id;
    CostOptionKind kind;
    const char *model, *gpu, *cloud, *train_gpu, *embedding_model, *vector_store;

    CostNum input_tokens, output_tokens, cached_input_share;
    CostNum input_per_mtok, output_per_mtok, cached_input_per_mtok;
    CostNum ttft_ms, output_tokens_per_s, p95_over_p50;
    CostNum prefill_ms_per_token; /* added to the first token per uncached input token */

    /* rag */
    CostNum context_tokens, query_embedding_tokens, embedding_per_mtok, corpus_tokens;
    CostNum vector_store_monthly_usd, rag_added_latency_ms;

    /* training (api_finetuned, self_hosted) */
    CostNum train_tokens, epochs, training_per_mtok, training_per_hour, train_hours;
    CostNum retrain_every_days, data_prep_multiplier, hosting_per_hour;
    CostNum retrain_engineer_hours; /* people time per retrain (rule retrain_engineer_hours) */
    CostNum train_gpu_hours, train_gpu_usd_per_hour;

    /* self_hosted */
    bool has_gpu;
    CostNum gpu_usd_per_hour, gpus_per_replica, tokens_per_s_per_gpu, min_replicas;
    CostNum monthly_usd_per_replica; /* when no gpu is named */

    /* people */
    CostNum setup_hours, maintenance_hours_per_month, engineer_usd_per_hour;

    CostRoute *routes;
    int n_routes;

    CostSource *sources;
    int n_sources;

    /* feasibility inputs (see cost_feasibility below) */
    long long context_window;    /* the model's, tokens; 0 unknown */
    long long max_output_tokens; /* 0 unknown */
    double model_params_b;       /* self_hosted: billions of parameters; NAN unknown */
    double weight_bits;          /* self_hosted: bits per weight as served (default 16) */
    double gpu_memory_gb;        /* self_hosted: memory of one serving GPU; NAN unknown */
    double memory_overhead;      /* self_hosted: serving memory / weights (rule) */
    PricingLifecycle life;       /* the route's dates; strings in the scenario's arena */
} CostOption;

typedef struct CostScenario {
    TpArena arena;
    const char *name;
    int horizon_months;
    uint64_t seed;
    int draws;
    long long snapshot; /* -1 when the scenario names none */
    /* YYYY-MM-DD the horizon starts ("start_date"; else the caller sets
     * today's date); empty: lifecycle dates are not checked */
    char start_date[11];

    CostNum requests_per_day, input_tokens, output_tokens, cached_input_share;
    CostNum growth_per_month, peak_factor, latency_slo_ms;
    bool has_slo;

    CostOption *options;
    int n_options;

    /* Every CostNum with lo < hi and no link (drawn), and every linked one
     * (synced after a draw). Filled by cost_scenario_parse. */
    CostNum **ranges;
    int n_ranges;
    CostNum **linked;
    int n_linked;
} CostScenario;

/* Parses and validates a scenario document against a pricing table.
 * Invalid input returns TP_EINVAL with "NAME: $.json.path: what was
 * expected". `pricing` is borrowed only during the call: every figure the
 * scenario needs is copied in. Free with cost_scenario_free. */
TpStatus cost_scenario_parse(const char *text, size_t len, const char *name,
                             const Pricing *pricing, CostScenario *sc, TpError *err);
void cost_scenario_free(CostScenario *sc); /* NULL is fine */

/* Latency measured by a stored probe (tunepilot probe), for an option's
 * "probe": ID. The caller loads them (the engine does no I/O); strings are
 * borrowed during the call. */
typedef struct CostProbe {
    long long id;
    double ttft_ms;             /* p50 time to first token */
    double output_tokens_per_s; /* p50 decode speed */
    const char *date;           /* YYYY-MM-DD the probe ran */
    const char *model, *url;    /* may be NULL */
} CostProbe;

/* cost_scenario_parse, with the probes an api, rag or api_finetuned option
 * may name as "probe": ID: its ttft_ms and output_tokens_per_s then come
 * from that probe (not with those fields set too), with the source
 * "measured by probe ID on DATE". cost_scenario_parse passes none, so a
 * scenario naming a probe fails there with "no probe ID". */
TpStatus cost_scenario_parse_ex(const char *text, size_t len, const char *name,
                                const Pricing *pricing, const CostProbe *probes, int n_probes,
                                CostScenario *sc, TpError *err);

/* "api", "rag", "api_finetuned", "self_hosted" or "routed". */
const char *cost_option_kind_name(CostOptionKind k);

/* The fields the parser takes (NULL-terminated lists, the ones it checks):
 * an option of kind k, the workload, the top level. For editors and tests. */
const char *const *cost_option_keys(CostOptionKind k);
const char *const *cost_workload_keys(void);
const char *const *cost_scenario_keys(void);

/* Index of the option with this id, or -1. */
int cost_scenario_find(const CostScenario *sc, const char *id);

typedef struct CostQuantiles {
    double p10, p50, p90;
} CostQuantiles;

/* Feasibility, checked before price: an infeasible option is marked and is
 * never called the cheapest.
 *   context       input + retrieved context + output tokens fit the model's
 *                 context window (and output its output limit)
 *   slo           p95 latency meets the workload's SLO
 *   availability  the route is open on every date of the horizon (available
 *                 from, not retired; for hosted fine-tuning, new jobs still
 *                 accepted at the start)
 *   gpu_memory    a self-hosted model's weights x the serving overhead fit
 *                 the replica's GPUs
 * A check without the data it needs is "unknown", which does not make an
 * option infeasible. A routed option takes the worst of its routes. */
typedef enum { COST_CHECK_CONTEXT, COST_CHECK_SLO, COST_CHECK_AVAILABILITY, COST_CHECK_GPU_MEMORY, COST_N_CHECKS } CostCheckId;
typedef enum { COST_PASS, COST_FAIL, COST_UNKNOWN } CostCheckStatus;
const char *cost_check_name(CostCheckId c);           /* "context", "slo", ... */
const char *cost_check_status_name(CostCheckStatus s); /* "pass", "fail", "unknown" */

typedef struct CostCheck {
    CostCheckStatus status;
    char reason[200];
} CostCheck;

#define COST_MAX_WARNINGS 3
/* What a month's bill is made of. Tokens: input, cached input and output
 * tokens at the model's prices. Retrieval: query embeddings and the vector
 * store (and, one-time, the corpus embedding). GPU: self-hosted replicas and
 * a hosted fine-tune's per-hour hosting. Training: retraining on its cadence
 * (and, one-time, the first run and its data preparation). People: setup
 * (one-time) and maintenance hours. A routed option adds up its routes'. */
typedef enum {
    COST_COMP_TOKENS,
    COST_COMP_RETRIEVAL,
    COST_COMP_GPU,
    COST_COMP_TRAINING,
    COST_COMP_PEOPLE,
    COST_N_COMPONENTS
} CostComponent;

/* "tokens", "retrieval", "GPU", "training", "people". */
const char *cost_component_name(CostComponent c);

typedef struct CostOptionResult {
    double input_tokens, output_tokens;      /* per request, as used */
    double cost_per_request_usd;             /* month 1, recurring costs only */
    double cost_per_1k_requests_usd;
    double daily_cost_usd;                   /* month 1 */
    double variable_cost_per_request_usd;    /* tokens only */
    double fixed_monthly_usd;                /* month 1: GPUs, stores, retraining, people */
    double *monthly_cost_usd;                /* [horizon] */
    double *cumulative_cost_usd;             /* [horizon], one-time included */
    double horizon_total_usd;                /* one-time + every month */
    double one_time_usd;                     /* training + data prep + setup + corpus */
    double training_usd, data_prep_usd, setup_usd, corpus_embedding_usd;
    double retrain_monthly_usd;
    double latency_p50_ms, latency_p95_ms;
    bool slo_met;                            /* true when no SLO is set */
    int replicas_at_peak;                    /* month 1; 0 when not self-hosted */
    int replicas_at_peak_final;              /* last month */
    double utilization_at_peak;              /* month 1; 0 when not self-hosted */
    int *break_even_month;                   /* [n_options]: see cost_break_even */
    /* monthly_cost_usd split by component: [horizon * COST_N_COMPONENTS],
     * month k's component c at [k * COST_N_COMPONENTS + c]; each month's
     * components sum to monthly_cost_usd[k] */
    double *component_monthly_usd;
    double component_one_time_usd[COST_N_COMPONENTS]; /* sums to one_time_usd */

    /* Monte Carlo, when the scenario has ranges (else all zero / NULL) */
    CostQuantiles q_cost_per_request_usd, q_daily_cost_usd, q_one_time_usd;
    CostQuantiles q_horizon_total_usd, q_latency_p50_ms, q_latency_p95_ms;
    CostQuantiles q_replicas_at_peak;
    CostQuantiles *q_monthly_cost_usd; /* [horizon] */
    CostQuantiles *q_cumulative_cost_usd; /* [horizon], one-time included */
    double slo_met_share;              /* share of draws meeting the SLO */

    /* feasibility (point figures) */
    CostCheck checks[COST_N_CHECKS];
    bool feasible; /* no check failed */
    /* lifecycle notes: a retirement inside the horizon, the end of new
     * fine-tuning jobs (retrains after it are not counted) */
    char warnings[COST_MAX_WARNINGS][240];
    int n_warnings;
    double retrains_counted, retrains_cadence; /* over the horizon; equal unless jobs end */
} CostOptionResult;

/* The checks r failed, joined by sep into out (cut to size, NUL-terminated;
 * "" when none failed): their names ("slo, context") or, with reasons set,
 * their reasons. */
void cost_failed_checks(const CostOptionResult *r, bool reasons, const char *sep, char *out,
                        size_t size);

typedef struct CostProjection {
    TpArena arena;
    int n_options, horizon_months;
    CostOptionResult *options;
    bool uncertain;
    int draws;
    uint64_t seed;
} CostProjection;

/* Projects every option. Uses the midpoints for the point figures and, when
 * the scenario has ranges, runs sc->draws Monte Carlo draws seeded with
 * sc->seed. The scenario's `v` fields are scratch during the call and hold
 * the midpoints again afterwards. */
TpStatus cost_project(CostScenario *sc, CostProjection *out, TpError *err);
void cost_projection_free(CostProjection *p); /* NULL is fine */

/* Index of the option with the lowest horizon total: among the feasible
 * ones when feasible_only (-1 when none is feasible). */
int cost_cheapest(const CostProjection *p, bool feasible_only);

/* Days since 1970-01-01 of a YYYY-MM-DD date; false when malformed. */
bool cost_date_days(const char *date, long *days);

/* Break-even month of a against b from cumulative costs (one-time cost at
 * month 0): the first month m in 0..h from which a's cumulative cost stays
 * at or below b's through the horizon; 0 means a is never the more
 * expensive; -1 means a is still dearer at the horizon. */
int cost_break_even(const double *cum_a, double one_time_a, const double *cum_b,
                    double one_time_b, int horizon);

/* --- queueing (M/M/c), exposed for tests -------------------------------- */

/* Erlang B: blocking probability of c servers at offered load a. Exact
 * recursion up to 256 servers, a quadrature in constant time above (relative
 * error under 1e-12). */
double cost_erlang_b(int c, double a);

/* Erlang C: probability that an arrival waits, for c servers and offered
 * load a = lambda/mu (requires a < c; returns 1 otherwise). */
double cost_erlang_c(int c, double a);

/* The q-quantile (0 < q < 1) of the waiting time in queue, in seconds, of an
 * M/M/c queue with arrival rate lambda and service rate mu per server. */
double cost_mmc_wait_quantile_s(int c, double lambda, double mu, double q);

/* q-quantile of a mixture of lognormals, component i with weight w[i],
 * median p50[i] and 95th percentile p95[i] (>= p50[i]). */
double cost_lognormal_mixture_quantile(int n, const double *w, const double *p50,
                                       const double *p95, double q);

#endif
