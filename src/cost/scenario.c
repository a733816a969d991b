/* scenario.c - reads a scenario document, validates it, and resolves every
 * figure the projection needs from the pricing tables (with its source): the
 * whole document here (workload, options, routes, ranges and links), one
 * option of each kind in scenario_option.c. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/scenario_impl.h"
#include "tunepilot/cost.h"
#include "tunepilot/json.h"
#include "tunepilot/limits.h"

/* Every CostNum field of an option, for registering ranges and links. */
#define F(x) offsetof(CostOption, x)
static const size_t OPTION_NUMS[] = {
    F(input_tokens), F(output_tokens), F(cached_input_share), F(input_per_mtok),
    F(output_per_mtok), F(cached_input_per_mtok), F(ttft_ms), F(output_tokens_per_s),
    F(p95_over_p50), F(prefill_ms_per_token), F(context_tokens), F(query_embedding_tokens), F(embedding_per_mtok),
    F(corpus_tokens), F(vector_store_monthly_usd), F(rag_added_latency_ms), F(train_tokens),
    F(epochs), F(training_per_mtok), F(training_per_hour), F(train_hours),
    F(retrain_every_days), F(data_prep_multiplier), F(hosting_per_hour), F(train_gpu_hours),
    F(train_gpu_usd_per_hour), F(gpu_usd_per_hour), F(gpus_per_replica),
    F(tokens_per_s_per_gpu), F(min_replicas), F(monthly_usd_per_replica), F(setup_hours),
    F(maintenance_hours_per_month), F(engineer_usd_per_hour), F(retrain_engineer_hours)};
#undef F
#define N_OPTION_NUMS (sizeof OPTION_NUMS / sizeof OPTION_NUMS[0])

/* --- whole document ----------------------------------------------------------------------- */

static TpStatus parse_workload(ScenarioReader *ps, const cJSON *root) {
    const char *const *keys = cost_workload_keys();
    CostScenario *sc = ps->sc;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "workload");
    const char *path = "$.workload";
    if (!cJSON_IsObject(w))
        return tp_error_set(ps->err, TP_EINVAL, "%s: %s: expected an object, got %s", ps->name,
                            path, tp_json_type_name(w));
    TpStatus st = tp_json_check_keys(w, ps->name, path, keys, ps->err);
    bool have;
    struct {
        const char *key;
        double min, max, dflt; /* NAN: required */
        CostNum *out;
    } f[] = {
        {"requests_per_day", 0, TP_MAX_REQUESTS_PER_DAY, NAN, &sc->requests_per_day},
        {"input_tokens", 0, 1e9, NAN, &sc->input_tokens},
        {"output_tokens", 0, 1e9, NAN, &sc->output_tokens},
        {"growth_per_month", -0.99, 100, 0, &sc->growth_per_month},
        {"peak_factor", 1, 1000, 1, &sc->peak_factor},
        {"cached_input_share", 0, 1, 0, &sc->cached_input_share},
    };
    for (size_t i = 0; st == TP_OK && i < sizeof f / sizeof f[0]; i++) {
        st = ps_num(ps, w, path, f[i].key, f[i].min, f[i].max, f[i].out, &have);
        if (st == TP_OK && !have) {
            if (isnan(f[i].dflt))
                st = tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: missing, expected a number >= 0",
                                  ps->name, path, f[i].key);
            else
                point(f[i].out, f[i].dflt);
        }
    }
    if (st == TP_OK)
        st = ps_num(ps, w, path, "latency_slo_ms", 1, 1e8, &sc->latency_slo_ms, &sc->has_slo);
    if (st == TP_OK) {
        /* the busiest month any draw can reach stays within the limit */
        double g = sc->growth_per_month.hi > 0 ? sc->growth_per_month.hi : 0;
        double top = sc->requests_per_day.hi * pow(1 + g, sc->horizon_months - 1);
        if (!(top <= TP_MAX_REQUESTS_PER_DAY))
            st = tp_error_set(ps->err, TP_EINVAL,
                              "%s: %s.growth_per_month: %g a month from %g requests a day "
                              "reaches %.3g requests a day in month %d, over the limit "
                              "TP_MAX_REQUESTS_PER_DAY = %.0e (limits.h); expected less growth, "
                              "fewer requests or a shorter horizon_months",
                              ps->name, path, g, sc->requests_per_day.hi, top,
                              sc->horizon_months, TP_MAX_REQUESTS_PER_DAY);
    }
    return st;
}

static TpStatus resolve_routes(ScenarioReader *ps) {
    CostScenario *sc = ps->sc;
    for (int i = 0; i < sc->n_options; i++) {
        CostOption *o = &sc->options[i];
        double lo = 0, hi = 0, mid = 0;
        for (int r = 0; r < o->n_routes; r++) {
            CostRoute *rt = &o->routes[r];
            rt->index = cost_scenario_find(sc, rt->option_id);
            if (rt->index < 0 || rt->index == i)
                return tp_error_set(ps->err, TP_EINVAL,
                                    "%s: $.options[%d].routes[%d].option: %s \"%s\" (expected "
                                    "the id of another option)",
                                    ps->name, i, r,
                                    rt->index == i ? "a route to itself," : "unknown option",
                                    rt->option_id);
            lo += rt->share.lo;
            hi += rt->share.hi;
            mid += rt->share.v;
        }
        if (o->n_routes && (fabs(mid - 1) > 1e-6 || lo > 1 + 1e-6 || hi < 1 - 1e-6))
            return tp_error_set(ps->err, TP_EINVAL,
                                "%s: $.options[%d].routes: shares sum to %g, expected 1", ps->name,
                                i, mid);
    }
    /* Cycles: depth-first search with colours. */
    int n = sc->n_options;
    int *colour = tp_xcalloc((size_t)n, sizeof *colour), *stack = tp_xcalloc((size_t)n * 2 + 2,
                                                                              sizeof *stack);
    TpStatus st = TP_OK;
    for (int s = 0; s < n && st == TP_OK; s++) {
        if (colour[s])
            continue;
        /* iterative DFS: stack holds (node, next route) pairs */
        int top = 0;
        stack[0] = s;
        stack[1] = 0;
        colour[s] = 1;
        while (top >= 0 && st == TP_OK) {
            int u = stack[top * 2], *next = &stack[top * 2 + 1];
            const CostOption *o = &sc->options[u];
            if (*next < o->n_routes) {
                int v = o->routes[(*next)++].index;
                if (colour[v] == 1) {
                    st = tp_error_set(ps->err, TP_EINVAL,
                                      "%s: $.options[%d].routes: a cycle of routes through "
                                      "\"%s\" and \"%s\"; routes must end at non-routed options",
                                      ps->name, u, o->id, sc->options[v].id);
                } else if (!colour[v]) {
                    colour[v] = 1;
                    top++;
                    stack[top * 2] = v;
                    stack[top * 2 + 1] = 0;
                }
            } else {
                colour[u] = 2;
                top--;
            }
        }
    }
    free(colour);
    free(stack);
    return st;
}

static void register_num(CostScenario *sc, CostNum *n, int *cap_r, int *cap_l) {
    if (n->link) {
        if (sc->n_linked == *cap_l) {
            *cap_l = *cap_l ? *cap_l * 2 : 64;
            sc->linked = tp_xrealloc(sc->linked, sizeof *sc->linked * (size_t)*cap_l);
        }
        sc->linked[sc->n_linked++] = n;
    } else if (n->lo < n->hi) {
        if (sc->n_ranges == *cap_r) {
            *cap_r = *cap_r ? *cap_r * 2 : 64;
            sc->ranges = tp_xrealloc(sc->ranges, sizeof *sc->ranges * (size_t)*cap_r);
        }
        sc->ranges[sc->n_ranges++] = n;
    }
}

static void register_all(ScenarioReader *ps) {
    CostScenario *sc = ps->sc;
    int cr = 0, cl = 0;
    CostNum *w[] = {&sc->requests_per_day, &sc->input_tokens,     &sc->output_tokens,
                    &sc->cached_input_share, &sc->growth_per_month, &sc->peak_factor,
                    &sc->latency_slo_ms};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        register_num(sc, w[i], &cr, &cl);
    for (int i = 0; i < ps->n_shared; i++)
        register_num(sc, ps->shared[i].num, &cr, &cl);
    for (int i = 0; i < sc->n_options; i++) {
        CostOption *o = &sc->options[i];
        for (size_t f = 0; f < N_OPTION_NUMS; f++)
            register_num(sc, (CostNum *)((char *)o + OPTION_NUMS[f]), &cr, &cl);
        for (int r = 0; r < o->n_routes; r++)
            register_num(sc, &o->routes[r].share, &cr, &cl);
    }
}

int cost_scenario_find(const CostScenario *sc, const char *id) {
    for (int i = 0; i < sc->n_options; i++)
        if (sc->options[i].id && !strcmp(sc->options[i].id, id))
            return i;
    return -1;
}

TpStatus cost_scenario_parse(const char *text, size_t len, const char *name,
                             const Pricing *pricing, CostScenario *sc, TpError *err) {
    return cost_scenario_parse_ex(text, len, name, pricing, NULL, 0, sc, err);
}

TpStatus cost_scenario_parse_ex(const char *text, size_t len, const char *name,
                                const Pricing *pricing, const CostProbe *probes, int n_probes,
                                CostScenario *sc, TpError *err) {
    const char *const *keys = cost_scenario_keys();
    memset(sc, 0, sizeof *sc);
    tp_arena_init(&sc->arena);
    ScenarioReader ps = {.sc = sc, .pr = pricing, .name = name, .err = err, .probes = probes,
             .n_probes = n_probes};
    cJSON *root;
    TpStatus st = tp_json_parse(text, len, name, &root, err);
    if (st != TP_OK)
        return st;
    if (!cJSON_IsObject(root))
        st = tp_error_set(err, TP_EINVAL, "%s: $: expected a scenario object, got %s", name,
                          tp_json_type_name(root));
    if (st == TP_OK)
        st = tp_json_check_keys(root, name, "$", keys, err);
    const char *nm = NULL;
    long long horizon = 0, seed = 1, draws = COST_DEFAULT_DRAWS, snap = -1;
    if (st == TP_OK)
        st = tp_json_string(root, "name", name, "$", true, &nm, NULL, err);
    if (st == TP_OK)
        st = tp_json_integer(root, "horizon_months", name, "$", true, 1, COST_MAX_HORIZON_MONTHS,
                             &horizon, NULL, err);
    if (st == TP_OK)
        st = tp_json_integer(root, "seed", name, "$", false, 0, 9007199254740991LL, &seed, NULL,
                             err);
    if (st == TP_OK)
        st = tp_json_integer(root, "draws", name, "$", false, 100, COST_MAX_DRAWS, &draws, NULL,
                             err);
    if (st == TP_OK)
        st = tp_json_integer(root, "snapshot", name, "$", false, 0, 1000000000, &snap, NULL, err);
    const char *start = NULL;
    if (st == TP_OK)
        st = tp_json_string(root, "start_date", name, "$", false, &start, NULL, err);
    if (st == TP_OK && start && !tp_is_iso_date(start))
        st = tp_error_set(err, TP_EINVAL, "%s: $.start_date: expected a date YYYY-MM-DD, got \"%s\"",
                          name, start);
    if (st == TP_OK && start)
        snprintf(sc->start_date, sizeof sc->start_date, "%s", start);
    if (st == TP_OK) {
        sc->name = tp_arena_strdup(&sc->arena, nm);
        sc->horizon_months = (int)horizon;
        sc->seed = (uint64_t)seed;
        sc->draws = (int)draws;
        sc->snapshot = snap;
        st = parse_workload(&ps, root);
    }
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(root, "options");
    if (st == TP_OK && (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) == 0))
        st = tp_error_set(err, TP_EINVAL, "%s: $.options: expected a non-empty array, got %s",
                          name, tp_json_type_name(opts));
    if (st == TP_OK) {
        sc->n_options = cJSON_GetArraySize(opts);
        sc->options = tp_arena_alloc(&sc->arena, sizeof *sc->options * (size_t)sc->n_options);
        const cJSON *it;
        int i = 0;
        cJSON_ArrayForEach(it, opts) {
            char path[64];
            tp_json_path_index(path, sizeof path, "$.options", i);
            st = ps_option(&ps, &sc->options[i], it, path);
            if (st != TP_OK)
                break;
            for (int k = 0; k < i; k++)
                if (!strcmp(sc->options[k].id, sc->options[i].id))
                    st = tp_error_set(err, TP_EINVAL,
                                      "%s: %s.id: \"%s\" is already the id of $.options[%d]; "
                                      "expected a unique id",
                                      name, path, sc->options[i].id, k);
            if (st != TP_OK)
                break;
            i++;
        }
    }
    if (st == TP_OK)
        st = resolve_routes(&ps);
    cJSON_Delete(root);
    if (st != TP_OK) {
        cost_scenario_free(sc);
        return st;
    }
    register_all(&ps);
    return TP_OK;
}

void cost_scenario_free(CostScenario *sc) {
    if (!sc)
        return;
    free(sc->ranges);
    free(sc->linked);
    tp_arena_free(&sc->arena);
    memset(sc, 0, sizeof *sc);
}

const char *cost_option_kind_name(CostOptionKind k) {
    static const char *const names[] = {"api", "rag", "api_finetuned", "self_hosted", "routed"};
    return names[k];
}

/* The fields the parser takes, for editors and tests: the same lists it checks. */
static const char *const KEYS_WORKLOAD[] = {"requests_per_day", "input_tokens", "output_tokens",
                                            "growth_per_month", "peak_factor", "latency_slo_ms",
                                            "cached_input_share", "note", NULL};
static const char *const KEYS_TOP[] = {"name", "description", "note", "horizon_months",
                                       "workload", "options", "seed", "draws", "snapshot",
                                       "start_date", NULL};


const char *const *cost_workload_keys(void) { return KEYS_WORKLOAD; }

const char *const *cost_scenario_keys(void) { return KEYS_TOP; }
