/* pricing_json.c - table entries as JSON objects (the tables' own schema),
 * for `pricing list|show --json`, snapshots and the TUI. */
#include <math.h>

#include "tunepilot/json.h"
#include "tunepilot/pricing.h"

static void add_date(cJSON *o, const char *key, const PricingDate *d) {
    if (!d->date)
        return;
    cJSON *e = cJSON_AddObjectToObject(o, key);
    cJSON_AddStringToObject(e, "date", d->date);
    cJSON_AddStringToObject(e, "source", d->source);
    cJSON_AddStringToObject(e, "as_of", d->as_of);
    if (d->note)
        cJSON_AddStringToObject(e, "note", d->note);
}

cJSON *pricing_lifecycle_to_json(const PricingLifecycle *l) {
    if (!l->available_from.date && !l->new_jobs_until.date && !l->retires_on.date)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    add_date(o, "available_from", &l->available_from);
    add_date(o, "new_jobs_until", &l->new_jobs_until);
    add_date(o, "retires_on", &l->retires_on);
    return o;
}

static void add_life(cJSON *o, const PricingLifecycle *l) {
    cJSON *j = pricing_lifecycle_to_json(l);
    if (j)
        cJSON_AddItemToObject(o, "lifecycle", j);
}

cJSON *pricing_model_to_json(const PricingModel *m) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "provider", m->provider);
    tp_json_add_num(o, "input_per_mtok", m->input_per_mtok);
    tp_json_add_num(o, "output_per_mtok", m->output_per_mtok);
    tp_json_add_num(o, "cached_input_per_mtok", m->cached_input_per_mtok);
    if (m->context_window)
        cJSON_AddNumberToObject(o, "context_window", (double)m->context_window);
    else
        cJSON_AddNullToObject(o, "context_window");
    if (m->max_output_tokens)
        cJSON_AddNumberToObject(o, "max_output_tokens", (double)m->max_output_tokens);
    else
        cJSON_AddNullToObject(o, "max_output_tokens");
    tp_json_add_num(o, "ttft_ms", m->ttft_ms);
    tp_json_add_num(o, "output_tokens_per_s", m->output_tokens_per_s);
    if (m->latency_source) {
        cJSON_AddStringToObject(o, "latency_source", m->latency_source);
        cJSON_AddStringToObject(o, "latency_as_of", m->latency_as_of);
    }
    if (m->n_aliases) {
        cJSON *al = cJSON_AddArrayToObject(o, "aliases");
        for (int i = 0; i < m->n_aliases; i++)
            cJSON_AddItemToArray(al, cJSON_CreateString(m->aliases[i]));
    }
    cJSON_AddStringToObject(o, "source", m->source);
    cJSON_AddStringToObject(o, "as_of", m->as_of);
    add_life(o, &m->life);
    return o;
}

cJSON *pricing_finetune_to_json(const PricingFinetune *f) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", f->id);
    cJSON_AddStringToObject(o, "provider", f->provider);
    cJSON_AddStringToObject(o, "base_model", f->base_model);
    cJSON_AddStringToObject(o, "method", f->method);
    tp_json_add_num(o, "training_per_mtok", f->training_per_mtok);
    tp_json_add_num(o, "training_per_hour", f->training_per_hour);
    tp_json_add_num(o, "input_per_mtok", f->input_per_mtok);
    tp_json_add_num(o, "cached_input_per_mtok", f->cached_input_per_mtok);
    tp_json_add_num(o, "output_per_mtok", f->output_per_mtok);
    tp_json_add_num(o, "hosting_per_hour", f->hosting_per_hour);
    cJSON_AddStringToObject(o, "source", f->source);
    cJSON_AddStringToObject(o, "as_of", f->as_of);
    add_life(o, &f->life);
    return o;
}

cJSON *pricing_gpu_to_json(const PricingGpu *g) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", g->id);
    cJSON_AddStringToObject(o, "name", g->name);
    cJSON_AddNumberToObject(o, "memory_gb", g->memory_gb);
    tp_json_add_num(o, "bf16_dense_tflops", g->bf16_dense_tflops);
    cJSON_AddNumberToObject(o, "memory_bandwidth_gb_s", g->memory_bandwidth_gb_s);
    cJSON *rs = cJSON_AddArrayToObject(o, "rates");
    for (int i = 0; i < g->n_rates; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "cloud", g->rates[i].cloud);
        cJSON_AddNumberToObject(r, "usd_per_hour", g->rates[i].usd_per_hour);
        cJSON_AddStringToObject(r, "source", g->rates[i].source);
        cJSON_AddStringToObject(r, "as_of", g->rates[i].as_of);
        cJSON_AddItemToArray(rs, r);
    }
    cJSON_AddStringToObject(o, "source", g->source);
    cJSON_AddStringToObject(o, "as_of", g->as_of);
    add_life(o, &g->life);
    return o;
}

cJSON *pricing_rule_to_json(const PricingRule *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    if (r->is_range) {
        cJSON_AddNumberToObject(o, "low", r->lo);
        cJSON_AddNumberToObject(o, "high", r->hi);
    } else {
        cJSON_AddNumberToObject(o, "value", r->lo);
    }
    if (r->unit)
        cJSON_AddStringToObject(o, "unit", r->unit);
    if (r->description)
        cJSON_AddStringToObject(o, "description", r->description);
    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddStringToObject(o, "as_of", r->as_of);
    return o;
}

cJSON *pricing_embedding_to_json(const PricingEmbedding *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", e->id);
    cJSON_AddStringToObject(o, "provider", e->provider);
    cJSON_AddNumberToObject(o, "input_per_mtok", e->input_per_mtok);
    if (e->dimensions)
        cJSON_AddNumberToObject(o, "dimensions", (double)e->dimensions);
    cJSON_AddStringToObject(o, "source", e->source);
    cJSON_AddStringToObject(o, "as_of", e->as_of);
    return o;
}

cJSON *pricing_vector_store_to_json(const PricingVectorStore *v) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", v->id);
    cJSON_AddStringToObject(o, "provider", v->provider);
    cJSON_AddNumberToObject(o, "monthly_usd", v->monthly_usd);
    if (v->note)
        cJSON_AddStringToObject(o, "note", v->note);
    cJSON_AddStringToObject(o, "source", v->source);
    cJSON_AddStringToObject(o, "as_of", v->as_of);
    return o;
}

