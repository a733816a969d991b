/* prices.c - `pricing update` (download the LiteLLM price file with a
 * conditional request, validate it, store a snapshot only when prices
 * changed) and `pricing diff` (what changed between two snapshots). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "net/net_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/json.h"
#include "tunepilot/net.h"

#define LITELLM_SOURCE "https://github.com/BerriAI/litellm"

static size_t prices_cap(void) {
    const char *v = getenv("TUNEPILOT_PRICES_MAX_BYTES");
    if (v && *v) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*end && x > 0 && x <= NET_PRICES_MAX_BYTES)
            return (size_t)x;
    }
    return NET_PRICES_MAX_BYTES;
}

/* err's message + "; " + tail. */
static void append_msg(TpError *err, const char *tail) {
    if (!err)
        return;
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s; %s", old, tail);
}

/* A model entry as JSON text without its as_of date, for comparing. */
static char *canonical(cJSON *o) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, "as_of");
    return cJSON_PrintUnformatted(o);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when the stored snapshot `id` holds exactly these entries (as_of
 * aside). `mine` are canonical texts sorted like the store sorts (by id). */
static TpStatus same_as_snapshot(Store *s, int64_t id, char **mine, int n, bool *same,
                                 TpError *err) {
    char **docs = NULL;
    int nd = 0;
    *same = false;
    TpStatus st = store_snapshot_models(s, id, NULL, &docs, &nd, err);
    if (st != TP_OK)
        return st;
    char **theirs = tp_xcalloc((size_t)nd + 1, sizeof *theirs);
    for (int i = 0; i < nd; i++) {
        cJSON *o = cJSON_Parse(docs[i]);
        theirs[i] = o ? canonical(o) : tp_xstrdup("");
        cJSON_Delete(o);
    }
    qsort(theirs, (size_t)nd, sizeof *theirs, cmp_str);
    bool eq = nd == n;
    for (int i = 0; eq && i < n; i++)
        eq = !strcmp(mine[i], theirs[i]);
    *same = eq;
    for (int i = 0; i < nd; i++) {
        free(theirs[i]);
        free(docs[i]);
    }
    free(theirs);
    free(docs);
    return TP_OK;
}

typedef struct Entry {
    const char *id;
    char *doc, *canon;
} Entry;

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const Entry *)a)->id, ((const Entry *)b)->id);
}

static void today(char *out, size_t size, time_t t) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d", &tm);
}

TpStatus net_prices_update(Store *s, const NetPricesUpdate *o, NetPricesResult *r, TpError *err) {
    memset(r, 0, sizeof *r);
    const char *url = o->url;
    if (!url || !*url)
        url = getenv("TUNEPILOT_PRICES_URL");
    if (!url || !*url)
        url = NET_PRICES_URL;
    /* what is stored and shown: no credentials (net_display_url) */
    net_display_url(url, r->url, sizeof r->url);
    const char *shown = r->url;

    /* The newest snapshot, and what the last download of this URL held. */
    StoreSnapshotInfo *list = NULL;
    int nlist = 0;
    TpStatus st = store_snapshot_list(s, &list, &nlist, err);
    if (st != TP_OK)
        return st;
    int64_t newest = nlist ? list[nlist - 1].id : 0;
    free(list);
    StoreHttpValidators v;
    TpError verr = {0};
    bool have_v = store_http_validators_get(s, shown, &v, &verr) == TP_OK;
    bool conditional = !o->force && have_v && newest > 0 && v.snapshot_id == newest;

    char inm[300], ims[160];
    const char *headers[4] = {"Accept: application/json", NULL, NULL, NULL};
    int nh = 1;
    if (conditional && v.etag[0]) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", v.etag);
        headers[nh++] = inm;
    }
    if (conditional && v.last_modified[0]) {
        snprintf(ims, sizeof ims, "If-Modified-Since: %s", v.last_modified);
        headers[nh++] = ims;
    }
    NetRequest rq = {.url = url,
                     .headers = headers,
                     .max_bytes = prices_cap(),
                     .retries = -1,
                     .progress = o->progress,
                     .progress_ctx = o->progress_ctx};
    NetResponse rs;
    st = net_http(&rq, &rs, err);
    r->status = rs.status;
    r->bytes = (long long)rs.len;
    if (st != TP_OK) {
        append_msg(err, "no pricing snapshot was changed");
        net_response_free(&rs);
        return st;
    }
    if (rs.status == 304) {
        r->outcome = NET_PRICES_NOT_MODIFIED;
        r->snapshot_id = newest;
        net_response_free(&rs);
        return store_http_validators_put(s, shown, &v, err);
    }
    if (rs.status != 200) {
        st = tp_error_set(err, TP_ERR,
                          "GET %s: HTTP %ld, expected 200 with the price file; no pricing "
                          "snapshot was changed",
                          shown, rs.status);
        net_response_free(&rs);
        return st;
    }

    /* Validate: the import must succeed as a whole. */
    Pricing p = {0};
    tp_arena_init(&p.arena);
    PricingImport imp;
    st = pricing_import_litellm(&p, rs.body ? rs.body : "", rs.len, shown, LITELLM_SOURCE, &imp,
                                err);
    if (st != TP_OK) {
        tp_error_prefix(err, "the downloaded price file is not valid");
        append_msg(err, "no pricing snapshot was changed");
        net_response_free(&rs);
        pricing_free(&p);
        return st;
    }
    char date[16];
    time_t lm = rs.last_modified[0] ? curl_getdate(rs.last_modified, NULL) : -1;
    if (imp.as_of)
        snprintf(date, sizeof date, "%s", imp.as_of);
    else
        today(date, sizeof date, lm > 0 ? lm : time(NULL));
    snprintf(r->as_of, sizeof r->as_of, "%s", date);
    r->n_models = imp.n_models;
    r->n_skipped = imp.n_skipped;
    r->n_unsafe = imp.n_unsafe;

    int n = imp.n_models;
    Entry *e = tp_xcalloc((size_t)n + 1, sizeof *e);
    for (int i = 0; i < n; i++) {
        imp.models[i].as_of = date;
            if (imp.models[i].life.retires_on.date)
                imp.models[i].life.retires_on.as_of = date;
        e[i].id = imp.models[i].id;
        cJSON *j = pricing_model_to_json(&imp.models[i]);
        e[i].doc = cJSON_PrintUnformatted(j);
        e[i].canon = canonical(j);
        cJSON_Delete(j);
    }
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    const char **ids = tp_xcalloc((size_t)n + 1, sizeof *ids);
    const char **docs = tp_xcalloc((size_t)n + 1, sizeof *docs);
    char **canon = tp_xcalloc((size_t)n + 1, sizeof *canon);
    for (int i = 0; i < n; i++) {
        ids[i] = e[i].id;
        docs[i] = e[i].doc;
        canon[i] = e[i].canon;
    }
    bool same = false;
    if (newest > 0)
        st = same_as_snapshot(s, newest, canon, n, &same, err);
    if (st == TP_OK && same) {
        r->outcome = NET_PRICES_UNCHANGED;
        r->snapshot_id = newest;
    } else if (st == TP_OK) {
        st = store_snapshot_insert(s, o->label ? o->label : "LiteLLM price file (downloaded)",
                                   shown, date, n, ids, docs, &r->snapshot_id, err);
        if (st == TP_OK)
            r->outcome = NET_PRICES_NEW;
    }
    if (st == TP_OK) {
        StoreHttpValidators nv = {0};
        snprintf(nv.etag, sizeof nv.etag, "%s", rs.etag);
        snprintf(nv.last_modified, sizeof nv.last_modified, "%s", rs.last_modified);
        nv.snapshot_id = r->snapshot_id;
        /* the snapshot is stored; failing to remember the validators only
         * costs a full download next time */
        TpError ignore = {0};
        store_http_validators_put(s, shown, &nv, &ignore);
    }
    for (int i = 0; i < n; i++) {
        free(e[i].doc);
        free(e[i].canon);
    }
    free(e);
    free(ids);
    free(docs);
    free(canon);
    net_response_free(&rs);
    pricing_free(&p);
    return st;
}

/* --- diff ------------------------------------------------------------------------------ */

double net_price_change_pct(double a, double b) {
    if (isnan(a) || isnan(b) || a == 0)
        return NAN;
    return (b - a) / a * 100.0;
}

static bool same_price(double a, double b) {
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int cmp_model_ptr(const void *a, const void *b) {
    return strcmp((*(const PricingModel *const *)a)->id, (*(const PricingModel *const *)b)->id);
}

static const PricingModel **sorted(const PricingModel *m, int n) {
    const PricingModel **v = tp_xcalloc((size_t)n + 1, sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = &m[i];
    qsort(v, (size_t)n, sizeof *v, cmp_model_ptr);
    return v;
}

void net_price_diff(const PricingModel *a, int na, const PricingModel *b, int nb,
                    NetPriceDiff *out) {
    memset(out, 0, sizeof *out);
    const PricingModel **sa = sorted(a, na), **sb = sorted(b, nb);
    out->added = tp_xcalloc((size_t)nb + 1, sizeof *out->added);
    out->removed = tp_xcalloc((size_t)na + 1, sizeof *out->removed);
    out->changed = tp_xcalloc((size_t)(na < nb ? na : nb) + 1, sizeof *out->changed);
    int i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(sa[i]->id, sb[j]->id);
        if (c < 0) {
            out->removed[out->n_removed++] = sa[i++]->id;
        } else if (c > 0) {
            out->added[out->n_added++] = sb[j++]->id;
        } else {
            const PricingModel *x = sa[i++], *y = sb[j++];
            if (same_price(x->input_per_mtok, y->input_per_mtok) &&
                same_price(x->output_per_mtok, y->output_per_mtok) &&
                same_price(x->cached_input_per_mtok, y->cached_input_per_mtok)) {
                out->n_same++;
                continue;
            }
            out->changed[out->n_changed++] = (NetPriceChange){y->id,
                                                              x->input_per_mtok,
                                                              y->input_per_mtok,
                                                              x->output_per_mtok,
                                                              y->output_per_mtok,
                                                              x->cached_input_per_mtok,
                                                              y->cached_input_per_mtok};
        }
    }
    free(sa);
    free(sb);
}

void net_price_diff_free(NetPriceDiff *d) {
    if (!d)
        return;
    free(d->added);
    free(d->removed);
    free(d->changed);
    memset(d, 0, sizeof *d);
}
