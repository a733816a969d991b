/* scenario_option.c - one option of a scenario document: the fields each
 * kind allows, its numbers and ranges, and every figure it leaves out
 * resolved from the pricing tables and rules of thumb, with its source (the
 * whole document is read in scenario.c). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/scenario_impl.h"
#include "tunepilot/json.h"

#define BIG 1e9 /* maxima at or above this are sanity caps, not worth quoting */

static void link_to(CostNum *dst, const CostNum *src) {
    *dst = *src;
    dst->link = src->link ? src->link : src;
}

static void add_source(ScenarioReader *ps, CostOption *o, const char *what, const char *source,
                       const char *as_of) {
    if (!o->sources)
        o->sources = tp_arena_alloc(&ps->sc->arena, sizeof *o->sources * TP_MAX_OPTION_SOURCES);
    if (o->n_sources == TP_MAX_OPTION_SOURCES)
        return;
    o->sources[o->n_sources++] = (CostSource){tp_arena_strdup(&ps->sc->arena, what),
                                              tp_arena_strdup(&ps->sc->arena, source),
                                              tp_arena_strdup(&ps->sc->arena, as_of)};
}

/* A number or a range [low, high] within [min, max]. */
TpStatus ps_num(ScenarioReader *ps, const cJSON *o, const char *path, const char *key, double min,
                     double max, CostNum *out, bool *present) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (present)
        *present = false;
    if (!it || cJSON_IsNull(it))
        return TP_OK;
    double lo, hi;
    if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) {
        lo = hi = it->valuedouble;
    } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2 &&
               cJSON_IsNumber(cJSON_GetArrayItem(it, 0)) &&
               cJSON_IsNumber(cJSON_GetArrayItem(it, 1))) {
        lo = cJSON_GetArrayItem(it, 0)->valuedouble;
        hi = cJSON_GetArrayItem(it, 1)->valuedouble;
        if (!isfinite(lo) || !isfinite(hi))
            return tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: range bounds must be finite",
                                ps->name, path, key);
        if (lo > hi)
            return tp_error_set(ps->err, TP_EINVAL,
                                "%s: %s.%s: range [%g, %g] has low > high; expected [low, high]",
                                ps->name, path, key, lo, hi);
    } else {
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.%s: expected a number or a range [low, high], got %s",
                            ps->name, path, key, tp_json_type_name(it));
    }
    if (lo < min || hi > max) {
        char want[96];
        if (max >= BIG)
            snprintf(want, sizeof want, "a number >= %g", min);
        else
            snprintf(want, sizeof want, "a number in [%g, %g]", min, max);
        if (lo == hi)
            return tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: expected %s, got %g", ps->name,
                                path, key, want, lo);
        return tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: expected %s, got the range [%g, %g]",
                            ps->name, path, key, want, lo, hi);
    }
    *out = (CostNum){lo, hi, (lo + hi) / 2, NULL};
    if (present)
        *present = true;
    return TP_OK;
}

/* Like pnum, but falls back to `dflt` (linked) when the key is absent. */
static TpStatus pnum_or(ScenarioReader *ps, const cJSON *o, const char *path, const char *key, double min,
                        double max, CostNum *out, const CostNum *dflt) {
    bool have;
    TpStatus st = ps_num(ps, o, path, key, min, max, out, &have);
    if (st == TP_OK && !have)
        link_to(out, dflt);
    return st;
}

static TpStatus pstr(ScenarioReader *ps, const cJSON *o, const char *path, const char *key, bool required,
                     const char **out) {
    const char *s = NULL;
    TpStatus st = tp_json_string(o, key, ps->name, path, required, &s, NULL, ps->err);
    if (st == TP_OK && s && !*s)
        return tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: expected a non-empty string",
                            ps->name, path, key);
    *out = s ? tp_arena_strdup(&ps->sc->arena, s) : NULL;
    return st;
}

/* The shared number for a rule of thumb (one per scenario, so that every
 * option draws the same value), linked into *out, with its source. */
static TpStatus rule_default(ScenarioReader *ps, CostOption *o, const char *rule_id, CostNum *out) {
    for (int i = 0; i < ps->n_shared; i++) {
        if (!strcmp(ps->shared[i].rule_id, rule_id)) {
            link_to(out, ps->shared[i].num);
            goto found;
        }
    }
    const PricingRule *r = pricing_rule(ps->pr, rule_id);
    if (!r)
        return tp_error_set(ps->err, TP_EINVAL,
                            "pricing rules lack \"%s\", which option \"%s\" needs (add it to "
                            "rules.json or set the figure in the scenario)",
                            rule_id, o->id);
    if (ps->n_shared == TP_MAX_SHARED_OPTIONS)
        return tp_error_set(ps->err, TP_ERR, "too many rules of thumb in one scenario");
    CostNum *n = tp_arena_alloc(&ps->sc->arena, sizeof *n);
    *n = (CostNum){r->lo, r->hi, (r->lo + r->hi) / 2, NULL};
    ps->shared[ps->n_shared++] = (Shared){tp_arena_strdup(&ps->sc->arena, rule_id), n};
    link_to(out, n);
found:;
    const PricingRule *r2 = pricing_rule(ps->pr, rule_id);
    const char *unit = r2->unit ? r2->unit : "";
    char what[200];
    if (r2->is_range)
        snprintf(what, sizeof what, "rule of thumb %s = [%g, %g] %s", rule_id, r2->lo, r2->hi,
                 unit);
    else
        snprintf(what, sizeof what, "rule of thumb %s = %g %s", rule_id, r2->lo, unit);
    add_source(ps, o, what, r2->source, r2->as_of);
    return TP_OK;
}

/* Number from the scenario, else from a rule of thumb. */
static TpStatus pnum_rule(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path,
                          const char *key, double min, double max, CostNum *out,
                          const char *rule_id) {
    bool have;
    TpStatus st = ps_num(ps, j, path, key, min, max, out, &have);
    if (st == TP_OK && !have)
        st = rule_default(ps, o, rule_id, out);
    return st;
}

/* A number from the scenario, else from a rule of thumb when the tables
 * have it, else 0 (overheads the tables may not carry). */
static TpStatus pnum_rule_opt(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path,
                              const char *key, double min, double max, CostNum *out,
                              const char *rule_id) {
    bool have;
    TpStatus st = ps_num(ps, j, path, key, min, max, out, &have);
    if (st != TP_OK || have)
        return st;
    if (!pricing_rule(ps->pr, rule_id)) {
        point(out, 0);
        return TP_OK;
    }
    return rule_default(ps, o, rule_id, out);
}

static TpStatus unknown_name(ScenarioReader *ps, const char *path, const char *key, const char *what,
                             const char *value) {
    char sugg[256];
    pricing_suggest(ps->pr, value, sugg, sizeof sugg);
    return tp_error_set(ps->err, TP_EINVAL, "%s: %s.%s: unknown %s \"%s\"%s%s%s", ps->name, path,
                        key, what, value, *sugg ? "; did you mean " : "", sugg,
                        *sugg ? "?" : " (see: tunepilot pricing list)");
}

/* --- feasibility inputs ------------------------------------------------------------ */

static const char *copy_str(ScenarioReader *ps, const char *s) {
    return s ? tp_arena_strdup(&ps->sc->arena, s) : NULL;
}

static void copy_date(ScenarioReader *ps, PricingDate *dst, const PricingDate *src) {
    dst->date = copy_str(ps, src->date);
    dst->source = copy_str(ps, src->source);
    dst->as_of = copy_str(ps, src->as_of);
    dst->note = copy_str(ps, src->note);
}

static void copy_life(ScenarioReader *ps, CostOption *o, const PricingLifecycle *l) {
    copy_date(ps, &o->life.available_from, &l->available_from);
    copy_date(ps, &o->life.new_jobs_until, &l->new_jobs_until);
    copy_date(ps, &o->life.retires_on, &l->retires_on);
}

/* The model's context window (a "context_window" in the scenario wins). */
static TpStatus parse_context(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path,
                              const PricingModel *m) {
    long long cw = 0;
    bool have = false;
    TpStatus st = tp_json_integer(j, "context_window", ps->name, path, false, 1,
                                  1000000000000LL, &cw, &have, ps->err);
    if (st != TP_OK)
        return st;
    if (have)
        o->context_window = cw;
    else if (m)
        o->context_window = m->context_window;
    if (m)
        o->max_output_tokens = m->max_output_tokens;
    return TP_OK;
}

/* --- allowed fields per kind ------------------------------------------------------ */

#define PEOPLE "setup_hours", "maintenance_hours_per_month", "engineer_usd_per_hour", "measured_by"
#define TOKENS "input_tokens", "output_tokens", "cached_input_share"
#define PRICES "input_per_mtok", "output_per_mtok", "cached_input_per_mtok"
#define LATENCY "ttft_ms", "output_tokens_per_s", "latency_p95_over_p50", "prefill_ms_per_token"
#define TRAINING "retrain_every_days", "data_prep_multiplier", "retrain_engineer_hours"

static const char *const KEYS_API[] = {"id", "kind", "note", "model", TOKENS, PRICES, LATENCY,
                                       PEOPLE, "probe", "context_window", NULL};
static const char *const KEYS_RAG[] = {
    "id", "kind", "note", "model", TOKENS, PRICES, LATENCY, PEOPLE, "context_tokens",
    "query_embedding_tokens", "embedding_model", "embedding_per_mtok", "corpus_tokens",
    "vector_store", "vector_store_monthly_usd", "rag_added_latency_ms", "probe", "context_window",
    NULL};
static const char *const KEYS_FT[] = {
    "id", "kind", "note", "model", TOKENS, PRICES, LATENCY, PEOPLE, TRAINING, "train_tokens",
    "epochs", "training_per_mtok", "training_per_hour", "train_hours", "hosting_per_hour", "probe",
    "context_window",
    NULL};
static const char *const KEYS_SELF[] = {
    "id", "kind", "note", TOKENS, LATENCY, PEOPLE, TRAINING, "gpu", "cloud",
    "gpu_usd_per_hour", "gpus_per_replica", "tokens_per_s_per_gpu", "min_replicas",
    "monthly_usd_per_replica", "train_gpu", "train_gpu_hours", "train_gpu_usd_per_hour",
    "model_params_b", "weight_bits", "context_window", NULL};
static const char *const KEYS_ROUTED[] = {"id", "kind", "note", "routes", PEOPLE, NULL};

/* --- pieces shared by several kinds -------------------------------------------------- */

static TpStatus parse_tokens(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    CostScenario *sc = ps->sc;
    TpStatus st = pnum_or(ps, j, path, "input_tokens", 0, 1e9, &o->input_tokens,
                          &sc->input_tokens);
    if (st == TP_OK)
        st = pnum_or(ps, j, path, "output_tokens", 0, 1e9, &o->output_tokens, &sc->output_tokens);
    if (st == TP_OK)
        st = pnum_or(ps, j, path, "cached_input_share", 0, 1, &o->cached_input_share,
                     &sc->cached_input_share);
    return st;
}

static TpStatus parse_people(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    bool h1 = false, h2 = false;
    TpStatus st;
    /* a fine-tune needs its own evaluation harness before it ships (rule
     * eval_harness_setup_hours) and someone watching its outputs every month
     * after (rule monitoring_hours_per_month); hosted prompting leans on the
     * provider's evaluations */
    if (o->kind == COST_OPTION_API_FINETUNED || o->kind == COST_OPTION_SELF_HOSTED) {
        st = pnum_rule_opt(ps, o, j, path, "setup_hours", 0, 1e6, &o->setup_hours,
                           "eval_harness_setup_hours");
        if (st == TP_OK)
            st = pnum_rule_opt(ps, o, j, path, "maintenance_hours_per_month", 0, 1e5,
                               &o->maintenance_hours_per_month, "monitoring_hours_per_month");
        h1 = h2 = true;
    } else {
        st = ps_num(ps, j, path, "setup_hours", 0, 1e6, &o->setup_hours, &h1);
        if (st == TP_OK)
            st = ps_num(ps, j, path, "maintenance_hours_per_month", 0, 1e5,
                      &o->maintenance_hours_per_month, &h2);
    }
    if (st != TP_OK)
        return st;
    if (!h1)
        point(&o->setup_hours, 0);
    if (!h2)
        point(&o->maintenance_hours_per_month, 0);
    bool rate;
    st = ps_num(ps, j, path, "engineer_usd_per_hour", 0, 1e5, &o->engineer_usd_per_hour, &rate);
    if (st == TP_OK && !rate) {
        if (o->setup_hours.hi > 0 || o->maintenance_hours_per_month.hi > 0 ||
            o->retrain_engineer_hours.hi > 0)
            st = rule_default(ps, o, "engineer_usd_per_hour", &o->engineer_usd_per_hour);
        else
            point(&o->engineer_usd_per_hour, 0);
    }
    return st;
}

/* Prompt processing: milliseconds added to the first token for each input
 * token that is not served from the provider's prompt cache. A first-token
 * time (a model's published figure, a probe, a rule) is taken as that of a
 * short prompt; tables without the rule (older snapshots) give 0. */
static TpStatus prefill_rate(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    return pnum_rule_opt(ps, o, j, path, "prefill_ms_per_token", 0, 1000,
                         &o->prefill_ms_per_token, "prefill_ms_per_input_token");
}

/* "probe": ID takes ttft_ms and output_tokens_per_s (the p50s) from a stored
 * latency probe, which the caller looked up and passed in (the engine does
 * no I/O). Sets *ht and *hs when it does. */
static TpStatus probe_latency(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path, bool *ht,
                              bool *hs) {
    long long id = 0;
    bool have = false;
    TpStatus st = tp_json_integer(j, "probe", ps->name, path, false, 1, 9007199254740991LL, &id,
                                  &have, ps->err);
    if (st != TP_OK || !have)
        return st;
    if (*ht || *hs)
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.probe: not with ttft_ms or output_tokens_per_s (the probe "
                            "measured both); use one or the other",
                            ps->name, path);
    const CostProbe *pb = NULL;
    for (int i = 0; i < ps->n_probes; i++)
        if (ps->probes[i].id == id)
            pb = &ps->probes[i];
    if (!pb)
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.probe: no probe %lld (see: tunepilot probe --list)", ps->name,
                            path, id);
    if (!isfinite(pb->ttft_ms) || pb->ttft_ms < 0 || !isfinite(pb->output_tokens_per_s) ||
        pb->output_tokens_per_s <= 0)
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.probe: probe %lld measured no successful request; run the "
                            "probe again",
                            ps->name, path, id);
    point(&o->ttft_ms, pb->ttft_ms);
    point(&o->output_tokens_per_s, pb->output_tokens_per_s);
    *ht = *hs = true;
    char what[256], src[96];
    snprintf(what, sizeof what,
             "latency: time to first token %.0f ms, %.1f output tokens/s (p50s of %s%s%s)",
             pb->ttft_ms, pb->output_tokens_per_s, pb->model ? pb->model : "the endpoint",
             pb->url ? " at " : "", pb->url ? pb->url : "");
    snprintf(src, sizeof src, "measured by probe %lld on %s", id, pb->date ? pb->date : "?");
    add_source(ps, o, what, src, pb->date);
    return TP_OK;
}

/* Prices and latency of a hosted model (api, rag): from the table entry m
 * (may be NULL when prices are explicit), each overridable. */
static TpStatus parse_hosted(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path,
                             const PricingModel *m, double in, double out, double cached,
                             const char *price_what, const char *price_src,
                             const char *price_as_of) {
    bool hin, hout, hc;
    TpStatus st = ps_num(ps, j, path, "input_per_mtok", 0, 1e6, &o->input_per_mtok, &hin);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "output_per_mtok", 0, 1e6, &o->output_per_mtok, &hout);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "cached_input_per_mtok", 0, 1e6, &o->cached_input_per_mtok, &hc);
    if (st != TP_OK)
        return st;
    if ((!hin || !hout) && isnan(in))
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s: expected \"model\" (a name from the pricing tables) or both "
                            "\"input_per_mtok\" and \"output_per_mtok\"",
                            ps->name, path);
    if (!hin)
        point(&o->input_per_mtok, in);
    if (!hout)
        point(&o->output_per_mtok, out);
    if (!hc) {
        if (isnan(cached))
            link_to(&o->cached_input_per_mtok, &o->input_per_mtok);
        else
            point(&o->cached_input_per_mtok, cached);
    }
    if (!hin || !hout)
        add_source(ps, o, price_what, price_src, price_as_of);
    if (hin || hout)
        add_source(ps, o, "prices set in the scenario", "scenario", NULL);

    bool ht, hs;
    st = ps_num(ps, j, path, "ttft_ms", 0, 600000, &o->ttft_ms, &ht);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "output_tokens_per_s", 0.001, 1e7, &o->output_tokens_per_s, &hs);
    if (st == TP_OK)
        st = probe_latency(ps, o, j, path, &ht, &hs);
    if (st != TP_OK)
        return st;
    if (!ht) {
        if (m && !isnan(m->ttft_ms)) {
            point(&o->ttft_ms, m->ttft_ms);
        } else {
            st = rule_default(ps, o, "default_api_ttft_ms", &o->ttft_ms);
        }
    }
    if (st == TP_OK && !hs) {
        if (m && !isnan(m->output_tokens_per_s))
            point(&o->output_tokens_per_s, m->output_tokens_per_s);
        else
            st = rule_default(ps, o, "default_api_output_tokens_per_s", &o->output_tokens_per_s);
    }
    if (st == TP_OK && m && m->latency_source && (!ht || !hs) &&
        (!isnan(m->ttft_ms) || !isnan(m->output_tokens_per_s))) {
        char what[160];
        snprintf(what, sizeof what, "%s typical latency", m->id);
        add_source(ps, o, what, m->latency_source, m->latency_as_of);
    }
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "latency_p95_over_p50", 1, 100, &o->p95_over_p50,
                       "api_latency_p95_over_p50");
    if (st == TP_OK)
        st = prefill_rate(ps, o, j, path);
    return st;
}

static TpStatus parse_model_option(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    TpStatus st = pstr(ps, j, path, "model", false, &o->model);
    if (st != TP_OK)
        return st;
    const PricingModel *m = NULL;
    if (o->model) {
        m = pricing_find_model(ps->pr, o->model);
        if (!m && !cJSON_GetObjectItemCaseSensitive(j, "input_per_mtok"))
            return unknown_name(ps, path, "model", "model", o->model);
    }
    char what[192];
    snprintf(what, sizeof what, "%s prices (input/output/cached per 1M tokens)",
             m ? m->id : "model");
    st = parse_context(ps, o, j, path, m);
    if (st != TP_OK)
        return st;
    if (m)
        copy_life(ps, o, &m->life);
    return parse_hosted(ps, o, j, path, m, m ? m->input_per_mtok : NAN,
                        m ? m->output_per_mtok : NAN, m ? m->cached_input_per_mtok : NAN, what,
                        m ? m->source : NULL, m ? m->as_of : NULL);
}

static TpStatus parse_rag(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    TpStatus st = parse_model_option(ps, o, j, path);
    bool have;
    if (st == TP_OK)
        st = ps_num(ps, j, path, "context_tokens", 0, 1e9, &o->context_tokens, &have);
    if (st == TP_OK && !have)
        st = tp_error_set(ps->err, TP_EINVAL,
                          "%s: %s.context_tokens: missing, expected the number of retrieved "
                          "tokens added to each prompt",
                          ps->name, path);
    if (st == TP_OK)
        st = pnum_or(ps, j, path, "query_embedding_tokens", 0, 1e9, &o->query_embedding_tokens,
                     &o->input_tokens);
    if (st == TP_OK)
        st = pstr(ps, j, path, "embedding_model", false, &o->embedding_model);
    if (st != TP_OK)
        return st;
    if (!o->embedding_model)
        o->embedding_model = "text-embedding-3-small";
    st = ps_num(ps, j, path, "embedding_per_mtok", 0, 1e6, &o->embedding_per_mtok, &have);
    if (st == TP_OK && !have) {
        const PricingEmbedding *e = pricing_find_embedding(ps->pr, o->embedding_model);
        if (!e)
            return unknown_name(ps, path, "embedding_model", "embedding model",
                                o->embedding_model);
        point(&o->embedding_per_mtok, e->input_per_mtok);
        char what[160];
        snprintf(what, sizeof what, "%s embedding price", e->id);
        add_source(ps, o, what, e->source, e->as_of);
    }
    if (st == TP_OK)
        st = ps_num(ps, j, path, "corpus_tokens", 0, 1e15, &o->corpus_tokens, &have);
    if (st == TP_OK && !have)
        point(&o->corpus_tokens, 0);
    if (st == TP_OK)
        st = pstr(ps, j, path, "vector_store", false, &o->vector_store);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "vector_store_monthly_usd", 0, 1e9, &o->vector_store_monthly_usd,
                  &have);
    if (st == TP_OK && !have) {
        const PricingVectorStore *v =
            o->vector_store ? pricing_find_vector_store(ps->pr, o->vector_store)
                            : (ps->pr->n_vector_stores ? &ps->pr->vector_stores[0] : NULL);
        if (!v)
            return o->vector_store
                       ? unknown_name(ps, path, "vector_store", "vector store", o->vector_store)
                       : tp_error_set(ps->err, TP_EINVAL,
                                      "%s: %s: no vector store in the pricing tables; set "
                                      "vector_store_monthly_usd",
                                      ps->name, path);
        o->vector_store = v->id;
        point(&o->vector_store_monthly_usd, v->monthly_usd);
        char what[160];
        snprintf(what, sizeof what, "%s vector store monthly cost", v->id);
        add_source(ps, o, what, v->source, v->as_of);
    }
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "rag_added_latency_ms", 0, 600000,
                       &o->rag_added_latency_ms, "rag_added_latency_ms");
    return st;
}

static TpStatus parse_training_cadence(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    TpStatus st = pnum_rule(ps, o, j, path, "retrain_every_days", 0, 36500,
                            &o->retrain_every_days, "retrain_every_days");
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "data_prep_multiplier", 0, 1000, &o->data_prep_multiplier,
                       "data_prep_multiplier");
    /* each retrain also takes people time (fresh data, a run, evaluation,
     * deployment); counted with the retrain, so only while retrains happen */
    if (st == TP_OK)
        st = pnum_rule_opt(ps, o, j, path, "retrain_engineer_hours", 0, 1e5,
                           &o->retrain_engineer_hours, "retrain_engineer_hours");
    return st;
}

static TpStatus parse_finetuned(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    TpStatus st = pstr(ps, j, path, "model", true, &o->model);
    if (st != TP_OK)
        return st;
    const PricingFinetune *f = pricing_find_finetune(ps->pr, o->model);
    if (!f)
        return unknown_name(ps, path, "model", "fine-tunable model", o->model);
    const PricingModel *base = pricing_find_model(ps->pr, f->base_model);
    if (!base)
        base = pricing_find_model(ps->pr, f->id);
    char what[192];
    snprintf(what, sizeof what, "%s fine-tuned inference and training prices", f->id);
    st = parse_context(ps, o, j, path, base);
    if (st != TP_OK)
        return st;
    /* the fine-tune's dates; its shutdown is the base model's when it names none */
    copy_life(ps, o, &f->life);
    if (!o->life.retires_on.date && base)
        copy_date(ps, &o->life.retires_on, &base->life.retires_on);
    if (!o->life.available_from.date && base)
        copy_date(ps, &o->life.available_from, &base->life.available_from);
    st = parse_hosted(ps, o, j, path, base, f->input_per_mtok, f->output_per_mtok,
                      f->cached_input_per_mtok, what, f->source, f->as_of);
    bool have;
    if (st == TP_OK)
        st = ps_num(ps, j, path, "train_tokens", 0, 1e15, &o->train_tokens, &have);
    if (st == TP_OK && !have)
        st = tp_error_set(ps->err, TP_EINVAL,
                          "%s: %s.train_tokens: missing, expected the tokens in the training "
                          "file (one epoch)",
                          ps->name, path);
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "epochs", 0, 1000, &o->epochs, "finetune_default_epochs");
    if (st == TP_OK)
        st = ps_num(ps, j, path, "training_per_mtok", 0, 1e6, &o->training_per_mtok, &have);
    if (st == TP_OK && !have)
        point(&o->training_per_mtok, isnan(f->training_per_mtok) ? 0 : f->training_per_mtok);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "training_per_hour", 0, 1e6, &o->training_per_hour, &have);
    if (st == TP_OK && !have)
        point(&o->training_per_hour, isnan(f->training_per_hour) ? 0 : f->training_per_hour);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "train_hours", 0, 1e6, &o->train_hours, &have);
    if (st == TP_OK && !have) {
        if (o->training_per_hour.hi > 0)
            return tp_error_set(ps->err, TP_EINVAL,
                                "%s: %s.train_hours: missing; %s bills training per hour, so "
                                "expected the training time in hours",
                                ps->name, path, f->id);
        point(&o->train_hours, 0);
    }
    if (st == TP_OK)
        st = ps_num(ps, j, path, "hosting_per_hour", 0, 1e6, &o->hosting_per_hour, &have);
    if (st == TP_OK && !have)
        point(&o->hosting_per_hour, isnan(f->hosting_per_hour) ? 0 : f->hosting_per_hour);
    if (st == TP_OK)
        st = parse_training_cadence(ps, o, j, path);
    return st;
}

static TpStatus gpu_rate(ScenarioReader *ps, CostOption *o, const char *path, const char *key,
                         const char *gpu_id, const char *cloud, CostNum *out, const char *role) {
    const PricingGpu *g = pricing_find_gpu(ps->pr, gpu_id);
    if (!g)
        return unknown_name(ps, path, key, "GPU", gpu_id);
    const PricingGpuRate *r = pricing_gpu_rate(g, cloud);
    if (!r) {
        char clouds[256] = "";
        for (int i = 0; i < g->n_rates; i++) {
            size_t n = strlen(clouds);
            snprintf(clouds + n, sizeof clouds - n, "%s%s", i ? ", " : "", g->rates[i].cloud);
        }
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.cloud: no %s rate for cloud \"%s\" (listed: %s)", ps->name,
                            path, g->id, cloud, clouds);
    }
    point(out, r->usd_per_hour);
    char what[192];
    snprintf(what, sizeof what, "%s %s on %s: $%g per GPU-hour%s", g->id, role, r->cloud,
             r->usd_per_hour, cloud ? "" : " (cheapest listed)");
    add_source(ps, o, what, r->source, r->as_of);
    return TP_OK;
}

static TpStatus parse_self_hosted(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    TpStatus st = pstr(ps, j, path, "gpu", false, &o->gpu);
    if (st == TP_OK)
        st = pstr(ps, j, path, "cloud", false, &o->cloud);
    if (st != TP_OK)
        return st;
    o->has_gpu = o->gpu != NULL;
    bool have;
    st = ps_num(ps, j, path, "gpu_usd_per_hour", 0, 1e5, &o->gpu_usd_per_hour, &have);
    if (st == TP_OK && !have && o->gpu)
        st = gpu_rate(ps, o, path, "gpu", o->gpu, o->cloud, &o->gpu_usd_per_hour, "serving");
    if (st == TP_OK && !have && !o->gpu)
        point(&o->gpu_usd_per_hour, 0);
    if (st == TP_OK && o->cloud && !o->gpu)
        return tp_error_set(ps->err, TP_EINVAL, "%s: %s.cloud: needs \"gpu\" as well", ps->name,
                            path);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "gpus_per_replica", 1, 1024, &o->gpus_per_replica, &have);
    if (st == TP_OK && !have)
        point(&o->gpus_per_replica, 1);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "min_replicas", 0, 1e5, &o->min_replicas, &have);
    if (st == TP_OK && !have)
        point(&o->min_replicas, 1);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "tokens_per_s_per_gpu", 0.001, 1e9, &o->tokens_per_s_per_gpu,
                  &have);
    if (st != TP_OK)
        return st;
    if (!have) {
        if (o->gpu)
            return tp_error_set(ps->err, TP_EINVAL,
                                "%s: %s.tokens_per_s_per_gpu: missing, expected the output "
                                "tokens per second one %s sustains under load (a benchmark, or "
                                "a pilot run's measured throughput)",
                                ps->name, path, o->gpu);
        point(&o->tokens_per_s_per_gpu, 0); /* capacity unknown: min_replicas, no queue */
    }
    if (!o->gpu) {
        st = pnum_rule(ps, o, j, path, "monthly_usd_per_replica", 0, 1e9,
                       &o->monthly_usd_per_replica, "self_hosted_7b_monthly_usd");
    } else {
        st = ps_num(ps, j, path, "monthly_usd_per_replica", 0, 1e9, &o->monthly_usd_per_replica,
                  &have);
        if (st == TP_OK && have)
            return tp_error_set(ps->err, TP_EINVAL,
                                "%s: %s.monthly_usd_per_replica: not with \"gpu\" (the GPU's "
                                "hourly rate sets the cost); use one or the other",
                                ps->name, path);
        point(&o->monthly_usd_per_replica, 0);
    }
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "ttft_ms", 0, 600000, &o->ttft_ms, "self_hosted_ttft_ms");
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "output_tokens_per_s", 0.001, 1e7, &o->output_tokens_per_s,
                       "self_hosted_decode_tokens_per_s");
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "latency_p95_over_p50", 1, 100, &o->p95_over_p50,
                       "api_latency_p95_over_p50");
    if (st == TP_OK)
        st = prefill_rate(ps, o, j, path);
    /* Training runs: GPU-hours on a training GPU. */
    if (st == TP_OK)
        st = pnum_rule(ps, o, j, path, "train_gpu_hours", 0, 1e7, &o->train_gpu_hours,
                       "lora_7b_a100_hours");
    if (st == TP_OK)
        st = pstr(ps, j, path, "train_gpu", false, &o->train_gpu);
    if (st == TP_OK)
        st = ps_num(ps, j, path, "train_gpu_usd_per_hour", 0, 1e5, &o->train_gpu_usd_per_hour,
                  &have);
    if (st == TP_OK && !have) {
        if (!o->train_gpu)
            o->train_gpu = "a100-80gb";
        st = gpu_rate(ps, o, path, "train_gpu", o->train_gpu, NULL, &o->train_gpu_usd_per_hour,
                      "training");
    }
    if (st == TP_OK)
        st = parse_training_cadence(ps, o, j, path);
    /* what the GPU memory check needs */
    o->model_params_b = o->gpu_memory_gb = o->memory_overhead = NAN;
    o->weight_bits = 16;
    if (st == TP_OK)
        st = tp_json_number(j, "model_params_b", ps->name, path, false, 0.001, 100000,
                            &o->model_params_b, NULL, ps->err);
    if (st == TP_OK)
        st = tp_json_number(j, "weight_bits", ps->name, path, false, 1, 32, &o->weight_bits, NULL,
                            ps->err);
    if (st == TP_OK)
        st = parse_context(ps, o, j, path, NULL);
    if (st == TP_OK && o->gpu) {
        const PricingGpu *g = pricing_find_gpu(ps->pr, o->gpu);
        if (g) {
            o->gpu_memory_gb = g->memory_gb;
            copy_life(ps, o, &g->life);
        }
    }
    if (st == TP_OK && !isnan(o->model_params_b)) {
        const PricingRule *r = pricing_rule(ps->pr, "serving_memory_overhead");
        if (r) {
            o->memory_overhead = (r->lo + r->hi) / 2;
            char what[160];
            snprintf(what, sizeof what, "rule of thumb serving_memory_overhead = %g %s", r->lo,
                     r->unit ? r->unit : "");
            add_source(ps, o, what, r->source, r->as_of);
        }
    }
    return st;
}

static TpStatus parse_routes(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    static const char *const keys[] = {"option", "share", NULL};
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "routes"), *it;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.routes: expected a non-empty array of {\"option\", "
                            "\"share\"}, got %s",
                            ps->name, path, tp_json_type_name(arr));
    o->n_routes = cJSON_GetArraySize(arr);
    o->routes = tp_arena_alloc(&ps->sc->arena, sizeof *o->routes * (size_t)o->n_routes);
    int i = 0;
    cJSON_ArrayForEach(it, arr) {
        char rp[128], base[96];
        tp_json_path_key(base, sizeof base, path, "routes");
        tp_json_path_index(rp, sizeof rp, base, i);
        CostRoute *r = &o->routes[i++];
        TpStatus st = cJSON_IsObject(it)
                          ? tp_json_check_keys(it, ps->name, rp, keys, ps->err)
                          : tp_error_set(ps->err, TP_EINVAL, "%s: %s: expected an object, got %s",
                                         ps->name, rp, tp_json_type_name(it));
        if (st == TP_OK)
            st = pstr(ps, it, rp, "option", true, &r->option_id);
        bool have;
        if (st == TP_OK)
            st = ps_num(ps, it, rp, "share", 0, 1, &r->share, &have);
        if (st == TP_OK && !have)
            st = tp_error_set(ps->err, TP_EINVAL, "%s: %s.share: missing, expected a number in "
                              "[0, 1]", ps->name, rp);
        if (st != TP_OK)
            return st;
        r->index = -1;
    }
    return TP_OK;
}

TpStatus ps_option(ScenarioReader *ps, CostOption *o, const cJSON *j, const char *path) {
    if (!cJSON_IsObject(j))
        return tp_error_set(ps->err, TP_EINVAL, "%s: %s: expected an object, got %s", ps->name,
                            path, tp_json_type_name(j));
    const char *kind = NULL;
    TpStatus st = pstr(ps, j, path, "id", true, &o->id);
    if (st == TP_OK)
        st = pstr(ps, j, path, "kind", true, &kind);
    if (st == TP_OK && !kind)
        st = tp_error_set(ps->err, TP_EINVAL, "%s: %s.kind: missing, expected a string",
                          ps->name, path);
    if (st != TP_OK)
        return st;
    int k = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(kind, cost_option_kind_name((CostOptionKind)i)))
            k = i;
    if (k < 0)
        return tp_error_set(ps->err, TP_EINVAL,
                            "%s: %s.kind: unknown kind \"%s\" (expected one of: api, rag, "
                            "api_finetuned, self_hosted, routed)",
                            ps->name, path, kind);
    o->kind = (CostOptionKind)k;
    st = tp_json_check_keys(j, ps->name, path, cost_option_keys(o->kind), ps->err);
    if (st != TP_OK) {
        char field[200];
        snprintf(field, sizeof field, "%s", ps->err ? ps->err->msg : "");
        return tp_error_set(ps->err, TP_EINVAL, "%s; kind \"%s\" does not take it", field, kind);
    }
    point(&o->retrain_engineer_hours, 0);
    if (o->kind != COST_OPTION_ROUTED)
        st = parse_tokens(ps, o, j, path);
    if (st == TP_OK) {
        switch (o->kind) {
        case COST_OPTION_API:
            st = parse_model_option(ps, o, j, path);
            break;
        case COST_OPTION_RAG:
            st = parse_rag(ps, o, j, path);
            break;
        case COST_OPTION_API_FINETUNED:
            st = parse_finetuned(ps, o, j, path);
            break;
        case COST_OPTION_SELF_HOSTED:
            st = parse_self_hosted(ps, o, j, path);
            break;
        case COST_OPTION_ROUTED:
            st = parse_routes(ps, o, j, path);
            break;
        }
    }
    if (st == TP_OK)
        st = parse_people(ps, o, j, path);
    /* figures a pilot run measured (set by the workbench or by hand) */
    const char *measured = NULL;
    if (st == TP_OK)
        st = pstr(ps, j, path, "measured_by", false, &measured);
    if (st == TP_OK && measured)
        add_source(ps, o, "figures measured by a pilot (see the note)", measured, NULL);
    return st;
}

const char *const *cost_option_keys(CostOptionKind k) {
    static const char *const *const sets[] = {KEYS_API, KEYS_RAG, KEYS_FT, KEYS_SELF,
                                              KEYS_ROUTED};
    return (unsigned)k < 5 ? sets[k] : NULL;
}
