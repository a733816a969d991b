/* scenario_edit.c - editing a scenario document (session_edit.h): the field
 * catalogue, typed text to JSON values, options added, copied, removed and
 * re-kinded, and the check by the engine's own parser. */
#include "tunepilot/session_edit.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/session.h"
#include "tunepilot/text.h"

/* --- the catalogue ----------------------------------------------------------------------- */

#define N_ SESSION_FIELD_NUMBER
#define I_ SESSION_FIELD_INTEGER
#define T_ SESSION_FIELD_TEXT

/* Units as docs/scenarios.md gives them. */
static const SessionField FIELDS[] = {
    /* top level */
    {"name", T_, false, ""},
    {"description", T_, false, ""},
    {"note", T_, false, ""},
    {"horizon_months", I_, false, "months"},
    {"seed", I_, false, ""},
    {"draws", I_, false, "Monte Carlo draws"},
    {"snapshot", I_, false, "pricing snapshot id"},
    {"start_date", SESSION_FIELD_DATE, false, "YYYY-MM-DD"},
    {"workload", SESSION_FIELD_OBJECT, false, ""},
    {"options", SESSION_FIELD_OBJECT, false, ""},
    /* workload and token overrides */
    {"requests_per_day", N_, true, "requests/day"},
    {"input_tokens", N_, true, "tokens/request"},
    {"output_tokens", N_, true, "tokens/request"},
    {"growth_per_month", N_, true, "fraction/month"},
    {"peak_factor", N_, true, "x average"},
    {"latency_slo_ms", N_, true, "ms (p95)"},
    {"cached_input_share", N_, true, "fraction"},
    /* every option */
    {"id", T_, false, ""},
    {"kind", SESSION_FIELD_KIND, false, ""},
    {"model", SESSION_FIELD_MODEL, false, ""},
    {"input_per_mtok", N_, true, "USD/1M tokens"},
    {"output_per_mtok", N_, true, "USD/1M tokens"},
    {"cached_input_per_mtok", N_, true, "USD/1M tokens"},
    {"ttft_ms", N_, true, "ms"},
    {"output_tokens_per_s", N_, true, "tokens/s"},
    {"latency_p95_over_p50", N_, true, "ratio"},
    {"prefill_ms_per_token", N_, true, "ms/token"},
    {"setup_hours", N_, true, "hours (one-time)"},
    {"maintenance_hours_per_month", N_, true, "hours/month"},
    {"engineer_usd_per_hour", N_, true, "USD/hour"},
    {"measured_by", T_, false, ""},
    {"probe", I_, false, "stored probe id"},
    {"context_window", I_, false, "tokens"},
    /* rag */
    {"context_tokens", N_, true, "tokens/request"},
    {"query_embedding_tokens", N_, true, "tokens/request"},
    {"embedding_model", SESSION_FIELD_EMBEDDING, false, ""},
    {"embedding_per_mtok", N_, true, "USD/1M tokens"},
    {"corpus_tokens", N_, true, "tokens (one-time)"},
    {"vector_store", SESSION_FIELD_VECTOR_STORE, false, ""},
    {"vector_store_monthly_usd", N_, true, "USD/month"},
    {"rag_added_latency_ms", N_, true, "ms"},
    /* training */
    {"train_tokens", N_, true, "tokens/epoch"},
    {"epochs", N_, true, "epochs"},
    {"training_per_mtok", N_, true, "USD/1M tokens"},
    {"training_per_hour", N_, true, "USD/hour"},
    {"train_hours", N_, true, "hours"},
    {"hosting_per_hour", N_, true, "USD/hour"},
    {"retrain_every_days", N_, true, "days (0 = never)"},
    {"data_prep_multiplier", N_, true, "x training cost"},
    {"retrain_engineer_hours", N_, true, "hours/retrain"},
    /* self_hosted */
    {"gpu", SESSION_FIELD_GPU, false, ""},
    {"cloud", SESSION_FIELD_CLOUD, false, ""},
    {"gpu_usd_per_hour", N_, true, "USD/GPU-hour"},
    {"gpus_per_replica", N_, true, "GPUs"},
    {"tokens_per_s_per_gpu", N_, true, "tokens/s"},
    {"min_replicas", N_, true, "replicas"},
    {"monthly_usd_per_replica", N_, true, "USD/month"},
    {"train_gpu", SESSION_FIELD_GPU, false, ""},
    {"train_gpu_hours", N_, true, "GPU-hours/run"},
    {"train_gpu_usd_per_hour", N_, true, "USD/GPU-hour"},
    {"model_params_b", N_, false, "billion parameters"},
    {"weight_bits", N_, false, "bits/weight"},
    /* routed */
    {"routes", SESSION_FIELD_ROUTES, false, "ID SHARE, ..."},
};
#define N_FIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

/* api_finetuned's model comes from the fine-tuning table. */
static const SessionField FT_MODEL = {"model", SESSION_FIELD_FT_MODEL, false, ""};

const SessionField *session_field_info(const char *key) {
    for (int i = 0; key && i < N_FIELDS; i++)
        if (!strcmp(FIELDS[i].key, key))
            return &FIELDS[i];
    return NULL;
}

int session_fields_at(int where, CostOptionKind kind, const SessionField **out, int max) {
    const char *const *keys = where == SESSION_AT_TOP        ? cost_scenario_keys()
                              : where == SESSION_AT_WORKLOAD ? cost_workload_keys()
                                                             : cost_option_keys(kind);
    int n = 0;
    for (int i = 0; keys && keys[i]; i++) {
        const SessionField *f = session_field_info(keys[i]);
        if (!f || f->type == SESSION_FIELD_OBJECT)
            continue;
        if (where >= 0 && kind == COST_OPTION_API_FINETUNED && !strcmp(f->key, "model"))
            f = &FT_MODEL;
        if (n < max && out)
            out[n] = f;
        n++;
    }
    return n;
}

/* --- typed text -------------------------------------------------------------------------- */

static const char *skip_space(const char *s, const char *end) {
    while (s < end && isspace((unsigned char)*s))
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end) {
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    return end;
}

/* One number in [s, end): sign, digits, one decimal point, exponent, suffix.
 * Computed without strtod's locale: the digits and a decimal exponent. */
static bool parse_number(const char *s, const char *end, bool percent_ok, double *out, char *msg,
                         size_t size) {
    s = skip_space(s, end);
    end = trim_end(s, end);
    int len = (int)(end - s);
    if (len == 0) {
        snprintf(msg, size, "nothing typed: expected a number");
        return false;
    }
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    char digits[64];
    int nd = 0, scale = 0, ndig = 0;
    bool dot = false;
    for (; p < end && (isdigit((unsigned char)*p) || *p == '.'); p++) {
        if (*p == '.') {
            if (dot) {
                snprintf(msg, size, "\"%.*s\" is not a number: more than one decimal point", len,
                         s);
                return false;
            }
            dot = true;
            continue;
        }
        ndig++;
        if (nd == 0 && *p == '0') { /* leading zeros */
            if (dot)
                scale--;
            continue;
        }
        if (nd < 40) {
            digits[nd++] = *p;
            if (dot)
                scale--;
        } else if (!dot) {
            scale++;
        }
    }
    if (ndig == 0) {
        snprintf(msg, size, "\"%.*s\" is not a number: expected digits (e.g. 1500, 1.5k, 2M)", len,
                 s);
        return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *e = p + 1;
        bool eneg = false;
        if (e < end && (*e == '+' || *e == '-'))
            eneg = *e++ == '-';
        if (e >= end || !isdigit((unsigned char)*e)) {
            snprintf(msg, size,
                     "\"%.*s\" is not a number: an exponent needs digits after the e (7e3 is "
                     "7000)",
                     len, s);
            return false;
        }
        long ex = 0;
        for (; e < end && isdigit((unsigned char)*e); e++)
            if (ex < 100000)
                ex = ex * 10 + (*e - '0');
        scale += (int)(eneg ? -ex : ex);
        p = e;
    }
    double mult = 1;
    if (p < end) {
        switch (*p) {
        case 'k':
        case 'K':
            mult = 1e3, p++;
            break;
        case 'M':
            mult = 1e6, p++;
            break;
        case 'G':
            mult = 1e9, p++;
            break;
        case '%':
            if (percent_ok)
                mult = 0.01, p++;
            break;
        }
    }
    if (p < end) {
        if (*p == 'm')
            snprintf(msg, size, "\"%.*s\" is not a number: write M for millions (2M)", len, s);
        else if (*p == ',')
            snprintf(msg, size,
                     "\"%.*s\" is not a number: no thousands separators (write 1000 or 1k)", len,
                     s);
        else
            snprintf(msg, size,
                     "\"%.*s\" is not a number: unexpected \"%c\" (expected digits, one decimal "
                     "point, an exponent, or a k, M or G suffix)",
                     len, s, isprint((unsigned char)*p) ? *p : '?');
        return false;
    }
    char text[80];
    if (nd == 0)
        snprintf(text, sizeof text, "0");
    else
        snprintf(text, sizeof text, "%.*se%d", nd, digits, scale);
    double v = strtod(text, NULL) * mult; /* no decimal point: the locale plays no part */
    if (!isfinite(v)) {
        snprintf(msg, size, "\"%.*s\" is too large", len, s);
        return false;
    }
    *out = neg ? -v : v;
    return true;
}

/* A number or, when range_ok, "[low, high]". */
static bool parse_num_or_range(const char *s, const char *end, bool range_ok, bool percent_ok,
                               cJSON **out, char *msg, size_t size) {
    s = skip_space(s, end);
    end = trim_end(s, end);
    if (s < end && *s == '[') {
        if (!range_ok) {
            snprintf(msg, size, "\"%.*s\": this field takes one number, not a range",
                     (int)(end - s), s);
            return false;
        }
        const char *comma = memchr(s, ',', (size_t)(end - s));
        if (end[-1] != ']' || !comma || memchr(comma + 1, ',', (size_t)(end - comma - 1))) {
            snprintf(msg, size, "\"%.*s\" is not a range: expected [low, high]", (int)(end - s),
                     s);
            return false;
        }
        double lo, hi;
        char m2[200];
        if (!parse_number(s + 1, comma, percent_ok, &lo, m2, sizeof m2) ||
            !parse_number(comma + 1, end - 1, percent_ok, &hi, m2, sizeof m2)) {
            snprintf(msg, size, "range %.*s: %s", (int)(end - s), s, m2);
            return false;
        }
        if (lo > hi) {
            snprintf(msg, size, "range %.*s has low > high: expected [low, high]", (int)(end - s),
                     s);
            return false;
        }
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateNumber(lo));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
        *out = a;
        return true;
    }
    double v;
    if (!parse_number(s, end, percent_ok, &v, msg, size))
        return false;
    *out = cJSON_CreateNumber(v);
    return true;
}

static void add_hint(char *msg, size_t size, const SessionField *f) {
    size_t n = strlen(msg);
    if (f->type == SESSION_FIELD_NUMBER)
        snprintf(msg + n, size - n, "; %s takes a number (50k, 1.5M, 2e3)%s%s%s", f->key,
                 f->range ? " or a range [low, high]" : "", f->unit[0] ? " in " : "", f->unit);
    else if (f->type == SESSION_FIELD_INTEGER)
        snprintf(msg + n, size - n, "; %s takes a whole number%s%s", f->key,
                 f->unit[0] ? " of " : "", f->unit);
}

static bool parse_routes(const char *s, cJSON **out, char *msg, size_t size) {
    cJSON *arr = cJSON_CreateArray();
    const char *end = s + strlen(s);
    while (s < end) {
        /* one route: up to a comma outside brackets */
        const char *q = s;
        int depth = 0;
        for (; q < end && (depth || *q != ','); q++)
            depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
        const char *a = skip_space(s, q), *b = trim_end(a, q);
        /* the id ends at the first space, '=' or ':' */
        const char *sep = a;
        while (sep < b && !isspace((unsigned char)*sep) && *sep != '=' && *sep != ':')
            sep++;
        if (sep == a || sep == b) {
            snprintf(msg, size,
                     "route \"%.*s\": expected an option id and its share, e.g. \"tuned 0.9, "
                     "fallback 10%%\"",
                     (int)(b - a), a);
            cJSON_Delete(arr);
            return false;
        }
        const char *v = sep;
        while (v < b && (isspace((unsigned char)*v) || *v == '=' || *v == ':'))
            v++;
        cJSON *share = NULL;
        char m2[256];
        if (!parse_num_or_range(v, b, true, true, &share, m2, sizeof m2)) {
            snprintf(msg, size, "route \"%.*s\": %s", (int)(b - a), a, m2);
            cJSON_Delete(arr);
            return false;
        }
        cJSON *r = cJSON_CreateObject();
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)(sep - a), a);
        cJSON_AddStringToObject(r, "option", id);
        cJSON_AddItemToObject(r, "share", share);
        cJSON_AddItemToArray(arr, r);
        s = q < end ? q + 1 : q;
    }
    if (cJSON_GetArraySize(arr) == 0) {
        snprintf(msg, size, "no routes: expected \"ID SHARE, ID SHARE\"");
        cJSON_Delete(arr);
        return false;
    }
    *out = arr;
    return true;
}

bool session_value_parse(const char *text, const SessionField *f, cJSON **out, char *msg,
                         size_t size) {
    *out = NULL;
    if (size)
        msg[0] = '\0';
    if (!text)
        text = "";
    const char *s = skip_space(text, text + strlen(text)), *end = trim_end(s, s + strlen(s));
    switch (f->type) {
    case SESSION_FIELD_NUMBER:
        if (!parse_num_or_range(s, end, f->range, false, out, msg, size)) {
            add_hint(msg, size, f);
            return false;
        }
        return true;
    case SESSION_FIELD_INTEGER: {
        double v;
        if (s < end && *s == '[') {
            snprintf(msg, size, "\"%.*s\": %s takes one whole number, not a range",
                     (int)(end - s), s, f->key);
            return false;
        }
        if (!parse_number(s, end, false, &v, msg, size)) {
            add_hint(msg, size, f);
            return false;
        }
        if (v != floor(v) || fabs(v) > 9007199254740992.0) {
            snprintf(msg, size, "\"%.*s\" is not a whole number", (int)(end - s), s);
            add_hint(msg, size, f);
            return false;
        }
        *out = cJSON_CreateNumber(v);
        return true;
    }
    case SESSION_FIELD_ROUTES:
        return parse_routes(s, out, msg, size);
    case SESSION_FIELD_OBJECT:
        snprintf(msg, size, "%s is not edited as one value", f->key);
        return false;
    default:
        break;
    }
    if (s == end) {
        snprintf(msg, size, "nothing typed: %s expects %s", f->key,
                 f->type == SESSION_FIELD_DATE ? "a date YYYY-MM-DD" : "a non-empty text");
        return false;
    }
    char buf[512];
    if ((size_t)(end - s) >= sizeof buf) {
        snprintf(msg, size, "%s: at most %zu characters", f->key, sizeof buf - 1);
        return false;
    }
    snprintf(buf, sizeof buf, "%.*s", (int)(end - s), s);
    if (!tp_text_is_safe(buf)) {
        snprintf(msg, size, "%s: control characters or invalid UTF-8 are not accepted", f->key);
        return false;
    }
    if (f->type == SESSION_FIELD_DATE && !tp_is_iso_date(buf)) {
        snprintf(msg, size, "\"%s\" is not a date: %s expects YYYY-MM-DD", buf, f->key);
        return false;
    }
    *out = cJSON_CreateString(buf);
    return true;
}

static void fmt_num(double v, char *out, size_t size) {
    snprintf(out, size, "%.10g", v);
}

static void fmt_num_or_range(const cJSON *v, char *out, size_t size) {
    if (cJSON_IsNumber(v)) {
        fmt_num(v->valuedouble, out, size);
    } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2) {
        char a[40], b[40];
        fmt_num(cJSON_GetArrayItem(v, 0)->valuedouble, a, sizeof a);
        fmt_num(cJSON_GetArrayItem(v, 1)->valuedouble, b, sizeof b);
        snprintf(out, size, "[%s, %s]", a, b);
    } else {
        snprintf(out, size, "?");
    }
}

void session_value_format(const cJSON *v, const SessionField *f, char *out, size_t size) {
    if (!size)
        return;
    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        snprintf(out, size, "%s", v->valuestring);
        return;
    }
    if (f && f->type == SESSION_FIELD_ROUTES && cJSON_IsArray(v)) {
        size_t n = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, v) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "option");
            char sh[96];
            fmt_num_or_range(cJSON_GetObjectItemCaseSensitive(r, "share"), sh, sizeof sh);
            int k = snprintf(out + n, size - n, "%s%s %s", n ? ", " : "",
                             cJSON_IsString(id) ? id->valuestring : "?", sh);
            if (k < 0 || (size_t)k >= size - n)
                break;
            n += (size_t)k;
        }
        return;
    }
    if (cJSON_IsNumber(v) || cJSON_IsArray(v)) {
        fmt_num_or_range(v, out, size);
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    snprintf(out, size, "%s", t ? t : "?");
    free(t);
}

/* --- the document ---------------------------------------------------------------------------- */

cJSON *session_doc_object(cJSON *doc, int where) {
    if (!cJSON_IsObject(doc))
        return NULL;
    if (where == SESSION_AT_TOP)
        return doc;
    if (where == SESSION_AT_WORKLOAD) {
        cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "workload");
        return cJSON_IsObject(w) ? w : NULL;
    }
    cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
    cJSON *o = where >= 0 && cJSON_IsArray(opts) ? cJSON_GetArrayItem(opts, where) : NULL;
    return cJSON_IsObject(o) ? o : NULL;
}

cJSON *session_doc_get(cJSON *doc, int where, const char *key) {
    cJSON *o = session_doc_object(doc, where);
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

TpStatus session_doc_set(cJSON *doc, int where, const char *key, cJSON *value, TpError *err) {
    cJSON *o = session_doc_object(doc, where);
    if (!o && where == SESSION_AT_WORKLOAD && cJSON_IsObject(doc) &&
        !cJSON_GetObjectItemCaseSensitive(doc, "workload"))
        o = cJSON_AddObjectToObject(doc, "workload");
    if (!o) {
        cJSON_Delete(value);
        return tp_error_set(err, TP_EINVAL, "the scenario has no %s%s",
                            where == SESSION_AT_WORKLOAD ? "workload object" : "option ",
                            where >= 0 ? "at that index" : "");
    }
    if (!value) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
        return TP_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, value);
    else
        cJSON_AddItemToObject(o, key, value);
    return TP_OK;
}

int session_doc_n_options(const cJSON *doc) {
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
    return cJSON_IsArray(opts) ? cJSON_GetArraySize(opts) : 0;
}

const char *session_option_id(const cJSON *doc, int i) {
    const cJSON *o = session_doc_object((cJSON *)doc, i);
    const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
    return cJSON_IsString(id) ? id->valuestring : NULL;
}

int session_option_kind(const cJSON *doc, int i) {
    const cJSON *o = session_doc_object((cJSON *)doc, i);
    const cJSON *k = o ? cJSON_GetObjectItemCaseSensitive(o, "kind") : NULL;
    for (int c = 0; cJSON_IsString(k) && c <= COST_OPTION_ROUTED; c++)
        if (!strcmp(k->valuestring, cost_option_kind_name((CostOptionKind)c)))
            return c;
    return -1;
}

static bool id_taken(const cJSON *doc, const char *id) {
    for (int i = 0, n = session_doc_n_options(doc); i < n; i++) {
        const char *x = session_option_id(doc, i);
        if (x && !strcmp(x, id))
            return true;
    }
    return false;
}

static void unique_id(const cJSON *doc, const char *base, char *out, size_t size) {
    snprintf(out, size, "%s", base);
    for (int k = 2; id_taken(doc, out) && k < 100000; k++)
        snprintf(out, size, "%.200s-%d", base, k);
}

static cJSON *options_array(cJSON *doc, TpError *err) {
    if (!cJSON_IsObject(doc)) {
        tp_error_set(err, TP_EINVAL, "the scenario is not a JSON object");
        return NULL;
    }
    cJSON *opts = cJSON_GetObjectItemCaseSensitive(doc, "options");
    if (!opts)
        opts = cJSON_AddArrayToObject(doc, "options");
    if (!cJSON_IsArray(opts))
        tp_error_set(err, TP_EINVAL, "the scenario's \"options\" is not an array");
    return cJSON_IsArray(opts) ? opts : NULL;
}

TpStatus session_option_add(cJSON *doc, CostOptionKind kind, const char *name, int *index,
                            TpError *err) {
    cJSON *opts = options_array(doc, err);
    if (!opts)
        return TP_EINVAL;
    if ((unsigned)kind > COST_OPTION_ROUTED)
        return tp_error_set(err, TP_EINVAL, "unknown option kind %d", (int)kind);
    if (name && !*name)
        name = NULL;
    static const char *const prefix[] = {"", "rag-", "ft-", "self-hosted-", ""};
    char base[256], id[256];
    if (name)
        snprintf(base, sizeof base, "%s%s", prefix[kind], name);
    else
        snprintf(base, sizeof base, "%s", kind == COST_OPTION_SELF_HOSTED ? "self-hosted"
                                          : cost_option_kind_name(kind));
    unique_id(doc, base, id, sizeof id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", cost_option_kind_name(kind));
    if (name && kind != COST_OPTION_ROUTED)
        cJSON_AddStringToObject(o, kind == COST_OPTION_SELF_HOSTED ? "gpu" : "model", name);
    cJSON_AddItemToArray(opts, o);
    *index = cJSON_GetArraySize(opts) - 1;
    return TP_OK;
}

TpStatus session_option_duplicate(cJSON *doc, int i, int *index, TpError *err) {
    cJSON *o = session_doc_object(doc, i);
    cJSON *opts = o ? options_array(doc, err) : NULL;
    if (!opts)
        return tp_error_set(err, TP_EINVAL, "no option %d to copy", i);
    const char *old = session_option_id(doc, i);
    char base[256], id[256];
    snprintf(base, sizeof base, "%.240s-copy", old ? old : "option");
    unique_id(doc, base, id, sizeof id);
    cJSON *c = cJSON_Duplicate(o, true);
    if (cJSON_GetObjectItemCaseSensitive(c, "id"))
        cJSON_ReplaceItemInObjectCaseSensitive(c, "id", cJSON_CreateString(id));
    else
        cJSON_AddStringToObject(c, "id", id);
    cJSON_AddItemToArray(opts, c);
    *index = cJSON_GetArraySize(opts) - 1;
    return TP_OK;
}

TpStatus session_option_remove(cJSON *doc, int i, TpError *err) {
    if (!session_doc_object(doc, i))
        return tp_error_set(err, TP_EINVAL, "no option %d to remove", i);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(doc, "options"), i);
    return TP_OK;
}

TpStatus session_option_set_kind(cJSON *doc, int i, CostOptionKind kind, int *dropped,
                                 TpError *err) {
    cJSON *o = session_doc_object(doc, i);
    if (!o)
        return tp_error_set(err, TP_EINVAL, "no option %d", i);
    const char *const *keys = cost_option_keys(kind);
    if (!keys)
        return tp_error_set(err, TP_EINVAL, "unknown option kind %d", (int)kind);
    int n = 0;
    cJSON *it = o->child;
    while (it) {
        cJSON *next = it->next;
        bool keep = false;
        for (int k = 0; keys[k] && !keep; k++)
            keep = it->string && !strcmp(it->string, keys[k]);
        if (!keep) {
            cJSON_Delete(cJSON_DetachItemViaPointer(o, it));
            n++;
        }
        it = next;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "kind"))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "kind",
                                               cJSON_CreateString(cost_option_kind_name(kind)));
    else
        cJSON_AddStringToObject(o, "kind", cost_option_kind_name(kind));
    if (dropped)
        *dropped = n;
    return TP_OK;
}

TpStatus session_scenario_check(Store *s, const cJSON *doc, const char *name, const Pricing *p,
                                const char *today, CostScenario *sc, TpError *err) {
    memset(sc, 0, sizeof *sc);
    char *text = cJSON_PrintUnformatted(doc);
    if (!text)
        return tp_error_set(err, TP_ERR, "%s: cannot serialise the scenario", name);
    TpStatus st = session_scenario_parse(s, text, strlen(text), name, p, today, sc, err);
    free(text);
    return st;
}

bool session_error_field(const char *msg, int *where, char *key, size_t size) {
    const char *p = msg ? strstr(msg, "$.") : NULL;
    if (size)
        key[0] = '\0';
    if (!p)
        return false;
    p += 2;
    if (!strncmp(p, "options[", 8)) {
        char *e;
        long i = strtol(p + 8, &e, 10);
        if (e == p + 8 || *e != ']' || i < 0 || i > 1000000)
            return false;
        *where = (int)i;
        p = e + 1;
        if (*p != '.')
            return true;
        p++;
    } else if (!strncmp(p, "workload.", 9)) {
        *where = SESSION_AT_WORKLOAD;
        p += 9;
    } else {
        *where = SESSION_AT_TOP;
    }
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_'))
        n++;
    if (n == 0 && *where == SESSION_AT_TOP)
        return false;
    snprintf(key, size, "%.*s", (int)n, p);
    return true;
}

/* --- files -------------------------------------------------------------------------------- */

TpStatus session_scenario_write(const cJSON *doc, const char *path, TpError *err) {
    char *text = cJSON_Print(doc);
    if (!text)
        return tp_error_set(err, TP_ERR, "%s: cannot serialise the scenario", path);
    size_t n = strlen(text);
    char *buf = malloc(n + 2);
    if (!buf) {
        free(text);
        return tp_error_set(err, TP_ERR, "out of memory");
    }
    memcpy(buf, text, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    TpStatus st = tp_file_write_atomic(path, buf, n + 1, err);
    free(buf);
    free(text);
    return st;
}

TpStatus session_scenario_new_path(const char *dir, const char *name, char *out, size_t size,
                                   TpError *err) {
    char slug[96];
    size_t n = 0;
    for (const char *p = name ? name : ""; *p && n + 1 < sizeof slug; p++) {
        unsigned char c = (unsigned char)*p;
        char ch = isalnum(c) || c == '-' || c == '_' ? (char)c : '-';
        if (ch == '-' && (n == 0 || slug[n - 1] == '-'))
            continue;
        slug[n++] = ch;
    }
    while (n && slug[n - 1] == '-')
        n--;
    slug[n] = '\0';
    if (!n)
        snprintf(slug, sizeof slug, "scenario");
    for (int k = 1; k < 1000; k++) {
        int w = k == 1 ? snprintf(out, size, "%s/%s.json", dir, slug)
                       : snprintf(out, size, "%s/%s-%d.json", dir, slug, k);
        if (w < 0 || (size_t)w >= size)
            return tp_error_set(err, TP_EINVAL, "%s: folder name too long", dir);
        struct stat stt;
        if (lstat(out, &stt) != 0 && errno == ENOENT)
            return TP_OK;
    }
    return tp_error_set(err, TP_ERR, "%s: no free file name for %s", dir, slug);
}
