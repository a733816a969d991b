/* snapshot.c - LiteLLM price files in, dated snapshots applied. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/hashmap.h"
#include "tunepilot/json.h"
#include "tunepilot/pricing.h"
#include "tunepilot/text.h"

/* The merge's index of names: every model id and alias, as given and with
 * ASCII letters lowered, to the first model that has it, so that a lookup
 * finds what pricing_find_model's two passes (exact, then without case)
 * find, without their scan of every model for each of a snapshot's
 * thousands (3,000 imported models took most of the workbench's first
 * frame). */
typedef struct NameIndex {
    TpStrMap exact, folded;
} NameIndex;

static char *folded_copy(const char *s, size_t n) {
    char *f = tp_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        f[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    f[n] = '\0';
    return f;
}

static void index_name(NameIndex *x, const char *s, long i) {
    size_t n = strlen(s);
    if (tp_strmap_slot(&x->exact, s, n, false) < 0)
        tp_strmap_put(&x->exact, s, n, i);
    char *f = folded_copy(s, n);
    if (tp_strmap_slot(&x->folded, f, n, false) < 0)
        tp_strmap_put(&x->folded, f, n, i);
    free(f);
}

static void index_model(NameIndex *x, const PricingModel *m, long i) {
    index_name(x, m->id, i);
    for (int a = 0; a < m->n_aliases; a++)
        index_name(x, m->aliases[a], i);
}

static void index_build(NameIndex *x, const PricingModel *models, int n) {
    tp_strmap_free(&x->exact);
    tp_strmap_free(&x->folded);
    tp_strmap_init(&x->exact, (size_t)n * 2, false);
    tp_strmap_init(&x->folded, (size_t)n * 2, false);
    for (int i = 0; i < n; i++)
        index_model(x, &models[i], i);
}

static long index_find(const NameIndex *x, const char *name) {
    size_t n = strlen(name);
    long i = tp_strmap_get(&x->exact, name, n, -1);
    if (i >= 0)
        return i;
    char *f = folded_copy(name, n);
    i = tp_strmap_get(&x->folded, f, n, -1);
    free(f);
    return i;
}

TpStatus pricing_apply_snapshot(Pricing *p, long long id, const char *label, const char *as_of,
                                char *const *jsons, int n, TpError *err) {
    PricingModel *merged =
        tp_arena_alloc(&p->arena, sizeof *merged * (size_t)(p->n_models + n + 1));
    memcpy(merged, p->models, sizeof *merged * (size_t)p->n_models);
    int count = p->n_models;
    char name[64];
    snprintf(name, sizeof name, "pricing snapshot %lld", id);
    NameIndex x = {0};
    index_build(&x, merged, count);
    TpStatus result = TP_OK;
    for (int i = 0; i < n; i++) {
        cJSON *o;
        TpStatus st = tp_json_parse(jsons[i], strlen(jsons[i]), name, &o, err);
        if (st != TP_OK) {
            result = st;
            break;
        }
        PricingModel m = {0};
        char path[32];
        snprintf(path, sizeof path, "$[%d]", i);
        st = pricing_parse_model(p, o, name, path, &m, err);
        cJSON_Delete(o);
        if (st != TP_OK) {
            result = st;
            break;
        }
        if (!tp_text_is_safe(m.id) || !tp_text_is_safe(m.provider) ||
            (m.source && !tp_text_is_safe(m.source)))
            continue; /* stored before imports checked their text: never shown */
        long at = index_find(&x, m.id);
        PricingModel *old = at >= 0 ? &merged[at] : NULL;
        if (old) {
            bool new_aliases = m.n_aliases > 0;
            if (isnan(m.ttft_ms) && isnan(m.output_tokens_per_s)) {
                m.ttft_ms = old->ttft_ms;
                m.output_tokens_per_s = old->output_tokens_per_s;
                m.latency_source = old->latency_source;
                m.latency_as_of = old->latency_as_of;
            }
            if (!m.n_aliases) {
                m.aliases = old->aliases;
                m.n_aliases = old->n_aliases;
            }
            /* dates the snapshot does not know keep their bundled, sourced value */
            if (!m.life.available_from.date)
                m.life.available_from = old->life.available_from;
            if (!m.life.new_jobs_until.date)
                m.life.new_jobs_until = old->life.new_jobs_until;
            if (!m.life.retires_on.date)
                m.life.retires_on = old->life.retires_on;
            m.id = old->id;
            *old = m;
            if (new_aliases) /* the old aliases no longer name it: index again */
                index_build(&x, merged, count);
        } else {
            merged[count] = m;
            index_model(&x, &merged[count], count);
            count++;
        }
    }
    tp_strmap_free(&x.exact);
    tp_strmap_free(&x.folded);
    if (result != TP_OK)
        return result;
    p->models = merged;
    p->n_models = count;
    p->snapshot_id = id;
    p->snapshot_label = tp_arena_strdup(&p->arena, label);
    p->snapshot_as_of = tp_arena_strdup(&p->arena, as_of);
    return TP_OK;
}

/* --- LiteLLM ------------------------------------------------------------------- */

static bool is_text_mode(const char *mode) {
    return mode &&
           (!strcmp(mode, "chat") || !strcmp(mode, "completion") || !strcmp(mode, "responses"));
}

/* Per-token price -> per-million, rounded to a millionth of a dollar per
 * million tokens so 1.5e-07 reads 0.15, not 0.15000000000000002. */
static double per_mtok(double per_token) {
    return round(per_token * 1e12) / 1e6;
}

static TpStatus price_field(const cJSON *e, const char *key, const char *name, const char *path,
                            bool required, double *out, TpError *err) {
    double v = NAN;
    TpStatus st = tp_json_number(e, key, name, path, required, 0, 1.0, &v, NULL, err);
    *out = isnan(v) ? NAN : per_mtok(v);
    return st;
}

TpStatus pricing_import_litellm(Pricing *p, const char *text, size_t len, const char *name,
                                const char *fallback_source, PricingImport *out, TpError *err) {
    memset(out, 0, sizeof *out);
    cJSON *root;
    TpStatus st = tp_json_parse(text, len, name, &root, err);
    if (st != TP_OK)
        return st;
    if (!cJSON_IsObject(root)) {
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $: expected an object mapping model names to entries, got %s", name,
                          tp_json_type_name(root));
        cJSON_Delete(root);
        return st;
    }
    int cap = cJSON_GetArraySize(root);
    out->models = tp_arena_alloc(&p->arena, sizeof *out->models * (size_t)(cap ? cap : 1));
    const cJSON *lu = cJSON_GetObjectItemCaseSensitive(root, "last_updated");
    if (cJSON_IsString(lu) && strlen(lu->valuestring) >= 10) {
        char d[11];
        memcpy(d, lu->valuestring, 10);
        d[10] = '\0';
        if (tp_is_iso_date(d))
            out->as_of = tp_arena_strdup(&p->arena, d);
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        const char *key = e->string;
        if (!tp_text_is_safe(key)) {
            out->n_unsafe++; /* a terminal escape or broken UTF-8 never reaches a table */
            continue;
        }
        if (!cJSON_IsObject(e) || !strcmp(key, "sample_spec") ||
            !strcmp(key, "fallback_generalizations")) {
            out->n_skipped++;
            continue;
        }
        char path[512];
        snprintf(path, sizeof path, "$[\"%.480s\"]", key);
        const char *mode = NULL;
        st = tp_json_string(e, "mode", name, path, false, &mode, NULL, err);
        if (st != TP_OK)
            break;
        if (!is_text_mode(mode) || !cJSON_GetObjectItemCaseSensitive(e, "input_cost_per_token") ||
            !cJSON_GetObjectItemCaseSensitive(e, "output_cost_per_token")) {
            out->n_skipped++;
            continue;
        }
        PricingModel *m = &out->models[out->n_models];
        memset(m, 0, sizeof *m);
        m->id = tp_arena_strdup(&p->arena, key);
        const char *prov = NULL, *src = NULL;
        st = tp_json_string(e, "litellm_provider", name, path, false, &prov, NULL, err);
        if (st == TP_OK)
            st = price_field(e, "input_cost_per_token", name, path, true, &m->input_per_mtok, err);
        if (st == TP_OK)
            st =
                price_field(e, "output_cost_per_token", name, path, true, &m->output_per_mtok, err);
        if (st == TP_OK)
            st = price_field(e, "cache_read_input_token_cost", name, path, false,
                             &m->cached_input_per_mtok, err);
        long long ctx = 0, mx = 0;
        if (st == TP_OK)
            st = tp_json_integer(e, "max_input_tokens", name, path, false, 0, 1000000000000LL, &ctx,
                                 NULL, err);
        if (st == TP_OK && !ctx) {
            double legacy = 0;
            st = tp_json_number(e, "max_tokens", name, path, false, 0, 1e12, &legacy, NULL, err);
            ctx = (long long)legacy;
        }
        if (st == TP_OK)
            st = tp_json_integer(e, "max_output_tokens", name, path, false, 0, 1000000000000LL, &mx,
                                 NULL, err);
        if (st != TP_OK)
            break;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "source");
        if (cJSON_IsString(s) && !strncmp(s->valuestring, "http", 4) &&
            tp_text_is_safe(s->valuestring))
            src = s->valuestring;
        if (prov && !tp_text_is_safe(prov)) {
            out->n_unsafe++;
            continue;
        }
        m->provider = tp_arena_strdup(&p->arena, prov ? prov : "unknown");
        m->context_window = ctx;
        m->max_output_tokens = mx;
        m->ttft_ms = m->output_tokens_per_s = NAN;
        m->source = tp_arena_strdup(&p->arena, src ? src : fallback_source);
        /* LiteLLM's deprecation_date: the model's announced shutdown */
        const cJSON *dep = cJSON_GetObjectItemCaseSensitive(e, "deprecation_date");
        if (cJSON_IsString(dep) && tp_is_iso_date(dep->valuestring)) {
            m->life.retires_on.date = tp_arena_strdup(&p->arena, dep->valuestring);
            m->life.retires_on.source = m->source;
            m->life.retires_on.as_of = out->as_of; /* the caller sets the import date */
            m->life.retires_on.note = "deprecation_date in the LiteLLM price file";
        }
        out->n_models++;
    }
    cJSON_Delete(root);
    if (st == TP_OK && out->n_models == 0)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: no text-generation model with input_cost_per_token and "
                          "output_cost_per_token found; is this a LiteLLM price file?",
                          name);
    if (st != TP_OK)
        out->n_models = 0;
    return st;
}
