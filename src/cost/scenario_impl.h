/* scenario_impl.h - what scenario.c (the whole document: workload, routes,
 * ranges, the public entry points) and scenario_option.c (one option of each
 * kind, its fields, defaults from rules of thumb and sources) share. Private
 * to src/cost/. */
#ifndef TP_COST_SCENARIO_IMPL_H
#define TP_COST_SCENARIO_IMPL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "tunepilot/cost.h"
#include "tunepilot/limits.h"

/* A rule of thumb's number, shared by every option that uses the rule. */
typedef struct Shared {
    const char *rule_id;
    CostNum *num;
} Shared;

/* Parsing context. */
typedef struct ScenarioReader {
    CostScenario *sc;
    const Pricing *pr;
    const char *name;
    TpError *err;
    Shared shared[TP_MAX_SHARED_OPTIONS];
    int n_shared;
    const CostProbe *probes; /* measured latency the caller loaded (cost_scenario_parse_ex) */
    int n_probes;
} ScenarioReader;

/* A point value (low = high = mid). */
static inline void point(CostNum *n, double v) {
    *n = (CostNum){v, v, v, NULL};
}

/* A number or a range [low, high] within [min, max] at o[key] (path names o in
 * messages); *present (when not NULL) says whether the key was given. */
TpStatus ps_num(ScenarioReader *ps, const cJSON *o, const char *path, const char *key, double min,
                double max, CostNum *out, bool *present);

/* The option at j (path names it in messages): its kind's fields checked and
 * read, figures the document leaves out resolved from the pricing tables and
 * rules of thumb, with their sources. Strings live in ps->sc's arena. */
TpStatus ps_option(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path);

#endif
