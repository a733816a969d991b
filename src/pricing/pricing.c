/* pricing.c - the bundled tables: strict validation and lookups. */
#include "tunepilot/limits.h"
#include "tunepilot/pricing.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/text.h"

const char *const PRICING_TABLES[5] = {"api_models", "finetune", "gpus", "rag", "rules"};


/* Reading context for one document. */
typedef struct Rd {
    Pricing *p;
    const char *name;
    TpError *err;
} Rd;

static TpStatus rd_str(Rd *r, const cJSON *o, const char *path, const char *key, bool required,
                       const char **out) {
    const char *s = NULL;
    TpStatus st = tp_json_string(o, key, r->name, path, required, &s, NULL, r->err);
    if (st == TP_OK && s) {
        if (required && !*s)
            return tp_error_set(r->err, TP_EINVAL, "%s: %s.%s: expected a non-empty string",
                                r->name, path, key);
        *out = tp_arena_strdup(&r->p->arena, s);
    }
    return st;
}

/* Optional number: NAN when absent or null. */
static TpStatus rd_num(Rd *r, const cJSON *o, const char *path, const char *key, bool required,
                       double max, double *out) {
    *out = NAN;
    return tp_json_number(o, key, r->name, path, required, 0, max, out, NULL, r->err);
}

static TpStatus rd_int(Rd *r, const cJSON *o, const char *path, const char *key, bool required,
                       long long *out) {
    *out = 0;
    return tp_json_integer(o, key, r->name, path, required, 0, 1000000000000LL, out, NULL, r->err);
}

static bool is_url(const char *s) {
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
           strlen(s) > 10;
}

/* source and as_of, both required. */
static TpStatus rd_provenance(Rd *r, const cJSON *o, const char *path, const char *src_key,
                              const char *date_key, const char **src, const char **date) {
    TpStatus st = rd_str(r, o, path, src_key, true, src);
    if (st != TP_OK)
        return st;
    if (!is_url(*src))
        return tp_error_set(r->err, TP_EINVAL, "%s: %s.%s: expected a URL (https://...), got \"%s\"",
                            r->name, path, src_key, *src);
    st = rd_str(r, o, path, date_key, true, date);
    if (st != TP_OK)
        return st;
    if (!tp_is_iso_date(*date))
        return tp_error_set(r->err, TP_EINVAL, "%s: %s.%s: expected a date YYYY-MM-DD, got \"%s\"",
                            r->name, path, date_key, *date);
    return TP_OK;
}

static TpStatus rd_array(Rd *r, const cJSON *root, const char *key, const cJSON **out) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(a))
        return tp_error_set(r->err, TP_EINVAL, "%s: $.%s: expected an array, got %s", r->name, key,
                            tp_json_type_name(a));
    *out = a;
    return TP_OK;
}

static TpStatus rd_object(Rd *r, const cJSON *o, const char *path) {
    if (!cJSON_IsObject(o))
        return tp_error_set(r->err, TP_EINVAL, "%s: %s: expected an object, got %s", r->name, path,
                            tp_json_type_name(o));
    return TP_OK;
}

/* --- lifecycle ------------------------------------------------------------------ */

static TpStatus rd_date(Rd *r, const cJSON *life, const char *path, const char *key,
                        PricingDate *d) {
    static const char *const keys[] = {"date", "source", "as_of", "note", NULL};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(life, key);
    if (!o || cJSON_IsNull(o))
        return TP_OK;
    char sub[160];
    tp_json_path_key(sub, sizeof sub, path, key);
    TpStatus st = rd_object(r, o, sub);
    if (st == TP_OK)
        st = tp_json_check_keys(o, r->name, sub, keys, r->err);
    if (st == TP_OK)
        st = rd_str(r, o, sub, "date", true, &d->date);
    if (st == TP_OK && !tp_is_iso_date(d->date))
        st = tp_error_set(r->err, TP_EINVAL, "%s: %s.date: expected a date YYYY-MM-DD, got \"%s\"",
                          r->name, sub, d->date);
    if (st == TP_OK)
        st = rd_provenance(r, o, sub, "source", "as_of", &d->source, &d->as_of);
    if (st == TP_OK)
        st = rd_str(r, o, sub, "note", false, &d->note);
    return st;
}

TpStatus pricing_parse_lifecycle(Pricing *p, const cJSON *entry, const char *name, const char *path,
                                 PricingLifecycle *out, TpError *err) {
    static const char *const keys[] = {"available_from", "new_jobs_until", "retires_on", NULL};
    memset(out, 0, sizeof *out);
    const cJSON *life = cJSON_GetObjectItemCaseSensitive(entry, "lifecycle");
    if (!life || cJSON_IsNull(life))
        return TP_OK;
    Rd rr = {p, name, err}, *r = &rr;
    char sub[128];
    tp_json_path_key(sub, sizeof sub, path, "lifecycle");
    TpStatus st = rd_object(r, life, sub);
    if (st == TP_OK)
        st = tp_json_check_keys(life, name, sub, keys, err);
    if (st == TP_OK)
        st = rd_date(r, life, sub, "available_from", &out->available_from);
    if (st == TP_OK)
        st = rd_date(r, life, sub, "new_jobs_until", &out->new_jobs_until);
    if (st == TP_OK)
        st = rd_date(r, life, sub, "retires_on", &out->retires_on);
    return st;
}

/* --- api_models ------------------------------------------------------------ */

TpStatus pricing_parse_model(Pricing *p, const cJSON *o, const char *name, const char *path,
                             PricingModel *m, TpError *err) {
    static const char *const keys[] = {
        "id", "provider", "input_per_mtok", "output_per_mtok", "cached_input_per_mtok",
        "context_window", "max_output_tokens", "ttft_ms", "output_tokens_per_s",
        "latency_source", "latency_as_of", "aliases", "source", "as_of", "note", "lifecycle",
        NULL};
    Rd rr = {p, name, err}, *r = &rr;
    TpStatus st = rd_object(r, o, path);
    if (st == TP_OK)
        st = tp_json_check_keys(o, name, path, keys, err);
    if (st == TP_OK)
        st = rd_str(r, o, path, "id", true, &m->id);
    if (st == TP_OK)
        st = rd_str(r, o, path, "provider", true, &m->provider);
    if (st == TP_OK)
        st = rd_num(r, o, path, "input_per_mtok", true, TP_MAX_PRICE_USD, &m->input_per_mtok);
    if (st == TP_OK)
        st = rd_num(r, o, path, "output_per_mtok", true, TP_MAX_PRICE_USD, &m->output_per_mtok);
    if (st == TP_OK)
        st = rd_num(r, o, path, "cached_input_per_mtok", false, TP_MAX_PRICE_USD,
                    &m->cached_input_per_mtok);
    if (st == TP_OK)
        st = rd_int(r, o, path, "context_window", false, &m->context_window);
    if (st == TP_OK)
        st = rd_int(r, o, path, "max_output_tokens", false, &m->max_output_tokens);
    if (st == TP_OK)
        st = rd_num(r, o, path, "ttft_ms", false, 600000, &m->ttft_ms);
    if (st == TP_OK)
        st = rd_num(r, o, path, "output_tokens_per_s", false, 1e6, &m->output_tokens_per_s);
    if (st == TP_OK && (!isnan(m->ttft_ms) || !isnan(m->output_tokens_per_s)))
        st = rd_provenance(r, o, path, "latency_source", "latency_as_of", &m->latency_source,
                           &m->latency_as_of);
    if (st == TP_OK)
        st = rd_provenance(r, o, path, "source", "as_of", &m->source, &m->as_of);
    if (st == TP_OK)
        st = pricing_parse_lifecycle(p, o, name, path, &m->life, err);
    if (st != TP_OK)
        return st;
    if (!isnan(m->output_tokens_per_s) && m->output_tokens_per_s <= 0)
        return tp_error_set(err, TP_EINVAL, "%s: %s.output_tokens_per_s: expected a positive number",
                            name, path);
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(o, "aliases");
    if (al && !cJSON_IsNull(al)) {
        if (!cJSON_IsArray(al))
            return tp_error_set(err, TP_EINVAL, "%s: %s.aliases: expected an array of strings",
                                name, path);
        m->n_aliases = cJSON_GetArraySize(al);
        m->aliases = tp_arena_alloc(&p->arena, sizeof(char *) * (size_t)(m->n_aliases + 1));
        int i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, al) {
            if (!cJSON_IsString(it) || !*it->valuestring)
                return tp_error_set(err, TP_EINVAL, "%s: %s.aliases[%d]: expected a string", name,
                                    path, i);
            m->aliases[i++] = tp_arena_strdup(&p->arena, it->valuestring);
        }
    }
    return TP_OK;
}

static TpStatus parse_api_models(Rd *r, const cJSON *root) {
    const cJSON *arr = NULL, *it;
    TpStatus st = rd_array(r, root, "models", &arr);
    if (st != TP_OK)
        return st;
    int n = cJSON_GetArraySize(arr), i = 0;
    PricingModel *ms = tp_arena_alloc(&r->p->arena, sizeof *ms * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(it, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.models", i);
        st = pricing_parse_model(r->p, it, r->name, path, &ms[i], r->err);
        if (st != TP_OK)
            return st;
        i++;
    }
    r->p->models = ms;
    r->p->n_models = n;
    return TP_OK;
}

/* --- finetune ---------------------------------------------------------------- */

static TpStatus parse_finetune(Rd *r, const cJSON *root) {
    static const char *const keys[] = {
        "id", "provider", "base_model", "method", "training_per_mtok", "training_per_hour",
        "input_per_mtok", "cached_input_per_mtok", "output_per_mtok", "hosting_per_hour",
        "source", "as_of", "note", "lifecycle", NULL};
    const cJSON *arr = NULL, *o;
    TpStatus st = rd_array(r, root, "models", &arr);
    if (st != TP_OK)
        return st;
    int n = cJSON_GetArraySize(arr), i = 0;
    PricingFinetune *fs = tp_arena_alloc(&r->p->arena, sizeof *fs * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(o, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.models", i);
        PricingFinetune *f = &fs[i++];
        st = rd_object(r, o, path);
        if (st == TP_OK)
            st = tp_json_check_keys(o, r->name, path, keys, r->err);
        if (st == TP_OK)
            st = rd_str(r, o, path, "id", true, &f->id);
        if (st == TP_OK)
            st = rd_str(r, o, path, "provider", true, &f->provider);
        if (st == TP_OK)
            st = rd_str(r, o, path, "base_model", true, &f->base_model);
        if (st == TP_OK)
            st = rd_str(r, o, path, "method", true, &f->method);
        if (st == TP_OK && strcmp(f->method, "sft") && strcmp(f->method, "lora") &&
            strcmp(f->method, "full"))
            st = tp_error_set(r->err, TP_EINVAL,
                              "%s: %s.method: expected \"sft\", \"lora\" or \"full\", got \"%s\"",
                              r->name, path, f->method);
        if (st == TP_OK)
            st = rd_num(r, o, path, "training_per_mtok", false, TP_MAX_PRICE_USD, &f->training_per_mtok);
        if (st == TP_OK)
            st = rd_num(r, o, path, "training_per_hour", false, TP_MAX_PRICE_USD, &f->training_per_hour);
        if (st == TP_OK && isnan(f->training_per_mtok) && isnan(f->training_per_hour))
            st = tp_error_set(r->err, TP_EINVAL,
                              "%s: %s: expected training_per_mtok or training_per_hour", r->name,
                              path);
        /* null: the provider publishes no serving price for the tuned model */
        if (st == TP_OK)
            st = rd_num(r, o, path, "input_per_mtok", false, TP_MAX_PRICE_USD, &f->input_per_mtok);
        if (st == TP_OK)
            st = rd_num(r, o, path, "output_per_mtok", false, TP_MAX_PRICE_USD, &f->output_per_mtok);
        if (st == TP_OK && isnan(f->input_per_mtok) != isnan(f->output_per_mtok))
            st = tp_error_set(r->err, TP_EINVAL,
                              "%s: %s: expected both input_per_mtok and output_per_mtok, or "
                              "neither (null: not published)",
                              r->name, path);
        if (st == TP_OK)
            st = rd_num(r, o, path, "cached_input_per_mtok", false, TP_MAX_PRICE_USD,
                        &f->cached_input_per_mtok);
        if (st == TP_OK)
            st = rd_num(r, o, path, "hosting_per_hour", false, TP_MAX_PRICE_USD, &f->hosting_per_hour);
        if (st == TP_OK)
            st = rd_provenance(r, o, path, "source", "as_of", &f->source, &f->as_of);
        if (st == TP_OK)
            st = pricing_parse_lifecycle(r->p, o, r->name, path, &f->life, r->err);
        if (st != TP_OK)
            return st;
    }
    r->p->finetunes = fs;
    r->p->n_finetunes = n;
    return TP_OK;
}

/* --- gpus ------------------------------------------------------------------------ */

static TpStatus parse_rates(Rd *r, const cJSON *o, const char *path, PricingGpu *g) {
    static const char *const keys[] = {"cloud", "usd_per_hour", "source", "as_of", "note", NULL};
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "rates"), *it;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return tp_error_set(r->err, TP_EINVAL,
                            "%s: %s.rates: expected a non-empty array of hourly rates", r->name,
                            path);
    g->n_rates = cJSON_GetArraySize(arr);
    g->rates = tp_arena_alloc(&r->p->arena, sizeof *g->rates * (size_t)g->n_rates);
    int i = 0;
    cJSON_ArrayForEach(it, arr) {
        char rp[96];
        char base[64];
        tp_json_path_key(base, sizeof base, path, "rates");
        tp_json_path_index(rp, sizeof rp, base, i);
        PricingGpuRate *rate = &g->rates[i++];
        TpStatus st = rd_object(r, it, rp);
        if (st == TP_OK)
            st = tp_json_check_keys(it, r->name, rp, keys, r->err);
        if (st == TP_OK)
            st = rd_str(r, it, rp, "cloud", true, &rate->cloud);
        if (st == TP_OK)
            st = rd_num(r, it, rp, "usd_per_hour", true, 10000, &rate->usd_per_hour);
        if (st == TP_OK)
            st = rd_provenance(r, it, rp, "source", "as_of", &rate->source, &rate->as_of);
        if (st != TP_OK)
            return st;
    }
    return TP_OK;
}

static TpStatus parse_gpus(Rd *r, const cJSON *root) {
    static const char *const keys[] = {"id", "name", "memory_gb", "bf16_dense_tflops",
                                       "memory_bandwidth_gb_s", "rates", "source", "as_of",
                                       "note", "lifecycle", NULL};
    const cJSON *arr = NULL, *o;
    TpStatus st = rd_array(r, root, "gpus", &arr);
    if (st != TP_OK)
        return st;
    int n = cJSON_GetArraySize(arr), i = 0;
    PricingGpu *gs = tp_arena_alloc(&r->p->arena, sizeof *gs * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(o, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.gpus", i);
        PricingGpu *g = &gs[i++];
        st = rd_object(r, o, path);
        if (st == TP_OK)
            st = tp_json_check_keys(o, r->name, path, keys, r->err);
        if (st == TP_OK)
            st = rd_str(r, o, path, "id", true, &g->id);
        if (st == TP_OK)
            st = rd_str(r, o, path, "name", true, &g->name);
        if (st == TP_OK)
            st = rd_num(r, o, path, "memory_gb", true, 100000, &g->memory_gb);
        if (st == TP_OK)
            st = rd_num(r, o, path, "bf16_dense_tflops", false, 1e6, &g->bf16_dense_tflops);
        if (st == TP_OK)
            st = rd_num(r, o, path, "memory_bandwidth_gb_s", true, 1e6, &g->memory_bandwidth_gb_s);
        if (st == TP_OK)
            st = parse_rates(r, o, path, g);
        if (st == TP_OK)
            st = pricing_parse_lifecycle(r->p, o, r->name, path, &g->life, r->err);
        if (st == TP_OK)
            st = rd_provenance(r, o, path, "source", "as_of", &g->source, &g->as_of);
        if (st != TP_OK)
            return st;
    }
    r->p->gpus = gs;
    r->p->n_gpus = n;
    return TP_OK;
}

/* --- rag ------------------------------------------------------------------------------ */

static TpStatus parse_range(Rd *r, const cJSON *o, const char *path, PricingRule *rule) {
    bool has_v = cJSON_GetObjectItemCaseSensitive(o, "value") != NULL;
    TpStatus st;
    if (has_v) {
        st = rd_num(r, o, path, "value", true, 1e12, &rule->lo);
        rule->hi = rule->lo;
        rule->is_range = false;
        if (st == TP_OK && (cJSON_GetObjectItemCaseSensitive(o, "low") ||
                            cJSON_GetObjectItemCaseSensitive(o, "high")))
            st = tp_error_set(r->err, TP_EINVAL,
                              "%s: %s: expected either \"value\" or \"low\" and \"high\", not both",
                              r->name, path);
        return st;
    }
    st = rd_num(r, o, path, "low", true, 1e12, &rule->lo);
    if (st == TP_OK)
        st = rd_num(r, o, path, "high", true, 1e12, &rule->hi);
    if (st == TP_OK && rule->lo > rule->hi)
        st = tp_error_set(r->err, TP_EINVAL, "%s: %s: low (%g) is greater than high (%g)", r->name,
                          path, rule->lo, rule->hi);
    rule->is_range = true;
    return st;
}

static TpStatus parse_rag(Rd *r, const cJSON *root) {
    static const char *const ekeys[] = {"id", "provider", "input_per_mtok", "dimensions",
                                        "source", "as_of", "note", NULL};
    static const char *const vkeys[] = {"id", "provider", "monthly_usd", "note",
                                        "source", "as_of", NULL};
    static const char *const lkeys[] = {"low", "high", "note", "source", "as_of", NULL};
    const cJSON *arr = NULL, *o;
    TpStatus st = rd_array(r, root, "embeddings", &arr);
    if (st != TP_OK)
        return st;
    int n = cJSON_GetArraySize(arr), i = 0;
    PricingEmbedding *es = tp_arena_alloc(&r->p->arena, sizeof *es * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(o, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.embeddings", i);
        PricingEmbedding *e = &es[i++];
        st = rd_object(r, o, path);
        if (st == TP_OK)
            st = tp_json_check_keys(o, r->name, path, ekeys, r->err);
        if (st == TP_OK)
            st = rd_str(r, o, path, "id", true, &e->id);
        if (st == TP_OK)
            st = rd_str(r, o, path, "provider", true, &e->provider);
        if (st == TP_OK)
            st = rd_num(r, o, path, "input_per_mtok", true, TP_MAX_PRICE_USD, &e->input_per_mtok);
        if (st == TP_OK)
            st = rd_int(r, o, path, "dimensions", false, &e->dimensions);
        if (st == TP_OK)
            st = rd_provenance(r, o, path, "source", "as_of", &e->source, &e->as_of);
        if (st != TP_OK)
            return st;
    }
    r->p->embeddings = es;
    r->p->n_embeddings = n;

    st = rd_array(r, root, "vector_stores", &arr);
    if (st != TP_OK)
        return st;
    n = cJSON_GetArraySize(arr);
    i = 0;
    PricingVectorStore *vs = tp_arena_alloc(&r->p->arena, sizeof *vs * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(o, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.vector_stores", i);
        PricingVectorStore *v = &vs[i++];
        st = rd_object(r, o, path);
        if (st == TP_OK)
            st = tp_json_check_keys(o, r->name, path, vkeys, r->err);
        if (st == TP_OK)
            st = rd_str(r, o, path, "id", true, &v->id);
        if (st == TP_OK)
            st = rd_str(r, o, path, "provider", true, &v->provider);
        if (st == TP_OK)
            st = rd_num(r, o, path, "monthly_usd", true, TP_MAX_PRICE_USD, &v->monthly_usd);
        if (st == TP_OK)
            st = rd_str(r, o, path, "note", false, &v->note);
        if (st == TP_OK)
            st = rd_provenance(r, o, path, "source", "as_of", &v->source, &v->as_of);
        if (st != TP_OK)
            return st;
    }
    r->p->vector_stores = vs;
    r->p->n_vector_stores = n;

    o = cJSON_GetObjectItemCaseSensitive(root, "retrieval_latency_ms");
    const char *path = "$.retrieval_latency_ms";
    PricingRule *lat = &r->p->retrieval_latency_ms;
    st = rd_object(r, o, path);
    if (st == TP_OK)
        st = tp_json_check_keys(o, r->name, path, lkeys, r->err);
    if (st == TP_OK)
        st = parse_range(r, o, path, lat);
    if (st == TP_OK)
        st = rd_str(r, o, path, "note", false, &lat->description);
    if (st == TP_OK)
        st = rd_provenance(r, o, path, "source", "as_of", &lat->source, &lat->as_of);
    lat->id = "retrieval_latency_ms";
    lat->unit = "ms";
    return st;
}

/* --- rules ------------------------------------------------------------------------------- */

static TpStatus parse_rules(Rd *r, const cJSON *root) {
    static const char *const keys[] = {"id", "value", "low", "high", "unit", "description",
                                       "source", "as_of", "note", NULL};
    const cJSON *arr = NULL, *o;
    TpStatus st = rd_array(r, root, "rules", &arr);
    if (st != TP_OK)
        return st;
    int n = cJSON_GetArraySize(arr), i = 0;
    PricingRule *rs = tp_arena_alloc(&r->p->arena, sizeof *rs * (size_t)(n ? n : 1));
    cJSON_ArrayForEach(o, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.rules", i);
        PricingRule *rule = &rs[i++];
        st = rd_object(r, o, path);
        if (st == TP_OK)
            st = tp_json_check_keys(o, r->name, path, keys, r->err);
        if (st == TP_OK)
            st = rd_str(r, o, path, "id", true, &rule->id);
        if (st == TP_OK)
            st = parse_range(r, o, path, rule);
        if (st == TP_OK)
            st = rd_str(r, o, path, "unit", false, &rule->unit);
        if (st == TP_OK)
            st = rd_str(r, o, path, "description", true, &rule->description);
        if (st == TP_OK)
            st = rd_provenance(r, o, path, "source", "as_of", &rule->source, &rule->as_of);
        if (st != TP_OK)
            return st;
    }
    r->p->rules = rs;
    r->p->n_rules = n;
    return TP_OK;
}

/* --- documents ----------------------------------------------------------------------------- */

/* Ids must be unique within a table (aliases included for models). */
static TpStatus check_unique(Rd *r, const char *table, const char **ids, int n) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcasecmp(ids[i], ids[j]) == 0)
                return tp_error_set(r->err, TP_EINVAL, "%s: %s: id \"%s\" appears twice",
                                    r->name, table, ids[i]);
    return TP_OK;
}

static TpStatus check_table_ids(Rd *r, const char *table) {
    Pricing *p = r->p;
    int cap = 0, n = 0;
    if (!strcmp(table, "api_models")) {
        for (int i = 0; i < p->n_models; i++)
            cap += 1 + p->models[i].n_aliases;
    } else {
        cap = p->n_finetunes + p->n_gpus + p->n_embeddings + p->n_vector_stores + p->n_rules;
    }
    const char **ids = tp_xmalloc(sizeof *ids * (size_t)(cap ? cap : 1));
    TpStatus st = TP_OK;
    if (!strcmp(table, "api_models")) {
        for (int i = 0; i < p->n_models; i++) {
            ids[n++] = p->models[i].id;
            for (int a = 0; a < p->models[i].n_aliases; a++)
                ids[n++] = p->models[i].aliases[a];
        }
        st = check_unique(r, "$.models", ids, n);
    } else if (!strcmp(table, "finetune")) {
        for (int i = 0; i < p->n_finetunes; i++)
            ids[n++] = p->finetunes[i].id;
        st = check_unique(r, "$.models", ids, n);
    } else if (!strcmp(table, "gpus")) {
        for (int i = 0; i < p->n_gpus; i++)
            ids[n++] = p->gpus[i].id;
        st = check_unique(r, "$.gpus", ids, n);
    } else if (!strcmp(table, "rag")) {
        for (int i = 0; i < p->n_embeddings; i++)
            ids[n++] = p->embeddings[i].id;
        st = check_unique(r, "$.embeddings", ids, n);
        n = 0;
        for (int i = 0; st == TP_OK && i < p->n_vector_stores; i++)
            ids[n++] = p->vector_stores[i].id;
        if (st == TP_OK)
            st = check_unique(r, "$.vector_stores", ids, n);
    } else {
        for (int i = 0; i < p->n_rules; i++)
            ids[n++] = p->rules[i].id;
        st = check_unique(r, "$.rules", ids, n);
    }
    free(ids);
    return st;
}

TpStatus pricing_parse_table(Pricing *p, const char *table, const char *text, size_t len,
                             const char *name, TpError *err) {
    Rd r = {p, name, err};
    cJSON *root;
    TpStatus st = tp_json_parse(text, len, name, &root, err);
    if (st != TP_OK)
        return st;
    char kind[64];
    snprintf(kind, sizeof kind, "tunepilot.pricing.%s", table);
    const char *got = NULL;
    long long ver = 0;
    if (!cJSON_IsObject(root))
        st = tp_error_set(err, TP_EINVAL, "%s: $: expected an object, got %s", name,
                          tp_json_type_name(root));
    if (st == TP_OK)
        st = tp_json_string(root, "kind", name, "$", true, &got, NULL, err);
    if (st == TP_OK && strcmp(got, kind) != 0)
        st = tp_error_set(err, TP_EINVAL, "%s: $.kind: expected \"%s\", got \"%s\"", name, kind,
                          got);
    if (st == TP_OK)
        st = tp_json_integer(root, "format_version", name, "$", true, 1, 1, &ver, NULL, err);
    if (st == TP_OK) {
        if (!strcmp(table, "api_models"))
            st = parse_api_models(&r, root);
        else if (!strcmp(table, "finetune"))
            st = parse_finetune(&r, root);
        else if (!strcmp(table, "gpus"))
            st = parse_gpus(&r, root);
        else if (!strcmp(table, "rag"))
            st = parse_rag(&r, root);
        else if (!strcmp(table, "rules"))
            st = parse_rules(&r, root);
        else
            st = tp_error_set(err, TP_EINVAL, "unknown pricing table \"%s\"", table);
    }
    if (st == TP_OK)
        st = check_table_ids(&r, table);
    cJSON_Delete(root);
    return st;
}

TpStatus pricing_load_bundled(Pricing *p, TpError *err) {
    memset(p, 0, sizeof *p);
    tp_arena_init(&p->arena);
    p->snapshot_label = "bundled tables";
    const char *dir = getenv("TUNEPILOT_PRICING_DIR");
    for (int t = 0; t < 5; t++) {
        char name[4096];
        char *owned = NULL;
        const char *text;
        size_t len;
        TpStatus st;
        if (dir && *dir) {
            snprintf(name, sizeof name, "%s/%s.json", dir, PRICING_TABLES[t]);
            st = tp_file_read(name, TP_MAX_PRICE_TABLE_BYTES, &owned, &len, err);
            if (st != TP_OK) {
                tp_error_prefix(err, "TUNEPILOT_PRICING_DIR");
                pricing_free(p);
                return st;
            }
            text = owned;
        } else {
            snprintf(name, sizeof name, "pricing/%s.json", PRICING_TABLES[t]);
            text = tp_asset_get(name, &len);
            if (!text) {
                pricing_free(p);
                return tp_error_set(err, TP_ERR, "%s is not compiled into this binary", name);
            }
        }
        st = pricing_parse_table(p, PRICING_TABLES[t], text, len, name, err);
        free(owned);
        if (st != TP_OK) {
            pricing_free(p);
            return st;
        }
    }
    return TP_OK;
}

void pricing_free(Pricing *p) {
    if (!p)
        return;
    tp_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}

/* --- lookups ---------------------------------------------------------------------------------- */

const PricingModel *pricing_find_model(const Pricing *p, const char *name) {
    for (int pass = 0; pass < 2; pass++) {
        int (*cmp)(const char *, const char *) = pass ? strcasecmp : strcmp;
        for (int i = 0; i < p->n_models; i++) {
            const PricingModel *m = &p->models[i];
            if (!cmp(m->id, name))
                return m;
            for (int a = 0; a < m->n_aliases; a++)
                if (!cmp(m->aliases[a], name))
                    return m;
        }
    }
    return NULL;
}

const PricingFinetune *pricing_find_finetune(const Pricing *p, const char *name) {
    char base[256];
    snprintf(base, sizeof base, "%s", name);
    /* ft:<base>:<org>:<suffix>:<id> -> <base> */
    if (!strncmp(base, "ft:", 3)) {
        memmove(base, base + 3, strlen(base + 3) + 1);
        char *colon = strchr(base, ':');
        if (colon)
            *colon = '\0';
    }
    for (int i = 0; i < p->n_finetunes; i++)
        if (!strcasecmp(p->finetunes[i].id, base) || !strcasecmp(p->finetunes[i].base_model, base))
            return &p->finetunes[i];
    return NULL;
}

#define FIND_BY_ID(fn, Type, arr, n)                                                           \
    const Type *fn(const Pricing *p, const char *name) {                                       \
        for (int i = 0; i < p->n; i++)                                                         \
            if (!strcasecmp(p->arr[i].id, name))                                               \
                return &p->arr[i];                                                             \
        return NULL;                                                                           \
    }
FIND_BY_ID(pricing_find_gpu, PricingGpu, gpus, n_gpus)
FIND_BY_ID(pricing_find_embedding, PricingEmbedding, embeddings, n_embeddings)
FIND_BY_ID(pricing_find_vector_store, PricingVectorStore, vector_stores, n_vector_stores)
FIND_BY_ID(pricing_rule, PricingRule, rules, n_rules)

const PricingGpuRate *pricing_gpu_rate(const PricingGpu *g, const char *cloud) {
    const PricingGpuRate *best = NULL;
    for (int i = 0; i < g->n_rates; i++) {
        const PricingGpuRate *r = &g->rates[i];
        if (cloud) {
            if (!strcasecmp(r->cloud, cloud))
                return r;
        } else if (!best || r->usd_per_hour < best->usd_per_hour) {
            best = r;
        }
    }
    return best;
}

/* --- suggestions -------------------------------------------------------------------------------- */

static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 127 || lb > 127)
        return 1000;
    int row[128];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

typedef struct Cand {
    const char *name;
    int score;
} Cand;

static void consider(Cand best[3], const char *query, const char *name) {
    int d = edit_distance(query, name);
    if (tp_text_contains_ci(name, query) || tp_text_contains_ci(query, name))
        d = d < 2 ? d : 2;
    int limit = (int)strlen(query) / 3;
    if (limit < 3)
        limit = 3;
    if (d > limit)
        return;
    for (int i = 0; i < 3; i++)
        if (best[i].name && !strcasecmp(best[i].name, name))
            return;
    for (int i = 0; i < 3; i++) {
        if (!best[i].name || d < best[i].score) {
            for (int j = 2; j > i; j--)
                best[j] = best[j - 1];
            best[i] = (Cand){name, d};
            return;
        }
    }
}

void pricing_suggest(const Pricing *p, const char *name, char *out, size_t size) {
    Cand best[3] = {{0}};
    for (int i = 0; i < p->n_models; i++) {
        consider(best, name, p->models[i].id);
        for (int a = 0; a < p->models[i].n_aliases; a++)
            consider(best, name, p->models[i].aliases[a]);
    }
    for (int i = 0; i < p->n_finetunes; i++)
        consider(best, name, p->finetunes[i].id);
    for (int i = 0; i < p->n_gpus; i++)
        consider(best, name, p->gpus[i].id);
    for (int i = 0; i < p->n_embeddings; i++)
        consider(best, name, p->embeddings[i].id);
    for (int i = 0; i < p->n_vector_stores; i++)
        consider(best, name, p->vector_stores[i].id);
    out[0] = '\0';
    int n = 0;
    for (int i = 0; i < 3 && best[i].name; i++)
        n++;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s\"%s\"", i == 0 ? "" : (i == n - 1 ? " or " : ", "),
                 best[i].name);
    }
}
