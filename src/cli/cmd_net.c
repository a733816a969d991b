/* cmd_net.c - `tunepilot pricing update|diff`, and the scenario reader that
 * hands stored probe measurements to the cost engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/session.h"
#include "tunepilot/cost.h"
#include "tunepilot/json.h"
#include "tunepilot/net.h"

static void print_json(cJSON *j) {
    char *s = cJSON_Print(j);
    puts(s);
    free(s);
}

/* --- scenarios that name a probe -------------------------------------------------------- */

static bool mentions(const char *text, size_t len, const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (text[i] == word[0] && !memcmp(text + i, word, n))
            return true;
    return false;
}

TpStatus cli_parse_scenario(const CliGlobal *g, Store **store, const char *text, size_t len,
                            const char *name, const Pricing *p, CostScenario *sc, TpError *err) {
    if (mentions(text, len, "\"probe\"") && !*store) {
        TpStatus st = cli_open_store(g, store, err);
        if (st != TP_OK)
            return st;
    }
    char today[11];
    TpStatus st = session_today(today, err);
    if (st != TP_OK)
        return st;
    return session_scenario_parse(*store, text, len, name, p, today, sc, err);
}

/* --- pricing update --------------------------------------------------------------------- */

static const char UPDATE_USAGE[] =
    "usage: tunepilot pricing update [URL] [--force] [--label TEXT] [--json]\n"
    "\n"
    "Downloads LiteLLM's model_prices_and_context_window.json (URL, else\n"
    "$TUNEPILOT_PRICES_URL, else " NET_PRICES_URL ")\n"
    "with a conditional request (ETag / If-Modified-Since of the last download),\n"
    "validates it, and stores a new dated snapshot only when prices changed. A\n"
    "failed, partial or invalid download changes no snapshot.\n"
    "\n"
    "  --force       download even if the server says nothing changed\n"
    "  --label TEXT  the new snapshot's label\n";

typedef struct Progress {
    bool on;
    double last;
} Progress;

static int show_progress(void *ctx, long long now, long long total) {
    Progress *p = ctx;
    if (!p->on || (double)now - p->last < 65536)
        return 0;
    p->last = (double)now;
    if (total > 0)
        fprintf(stderr, "\rdownloading: %.1f of %.1f MB", (double)now / 1e6, (double)total / 1e6);
    else
        fprintf(stderr, "\rdownloading: %.1f MB", (double)now / 1e6);
    return 0;
}

int cli_pricing_update(const CliGlobal *g, int argc, char **argv) {
    NetPricesUpdate o = {0};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(UPDATE_USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--force")) {
            o.force = true;
        } else if (cli_take(argc, argv, &i, "--label", &v)) {
            if (!v)
                return cli_usage("pricing update", "--label: expected text");
            o.label = v;
        } else if (argv[i][0] == '-') {
            return cli_usage("pricing update", "unknown option %s", argv[i]);
        } else if (o.url) {
            return cli_usage("pricing update", "expected one URL, got %s and %s", o.url, argv[i]);
        } else {
            o.url = argv[i];
        }
    }
    Progress prog = {isatty(STDERR_FILENO) && !json, 0};
    o.progress = show_progress;
    o.progress_ctx = &prog;
    TpError err = {0};
    Store *store = NULL;
    NetPricesResult r;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = net_prices_update(store, &o, &r, &err);
    if (prog.on && prog.last > 0)
        fputc('\n', stderr);
    store_close(store);
    if (st != TP_OK)
        return cli_fail(st, &err);
    static const char *const outcome[] = {"new", "not_modified", "unchanged"};
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "outcome", outcome[r.outcome]);
        cJSON_AddNumberToObject(j, "snapshot", (double)r.snapshot_id);
        cJSON_AddNumberToObject(j, "status", (double)r.status);
        cJSON_AddStringToObject(j, "url", r.url);
        cJSON_AddNumberToObject(j, "bytes", (double)r.bytes);
        if (r.outcome != NET_PRICES_NOT_MODIFIED) {
            cJSON_AddNumberToObject(j, "models", r.n_models);
            cJSON_AddNumberToObject(j, "skipped_keys", r.n_skipped);
            cJSON_AddNumberToObject(j, "refused_unsafe_text", r.n_unsafe);
            cJSON_AddStringToObject(j, "as_of", r.as_of);
        }
        print_json(j);
        cJSON_Delete(j);
    } else if (r.outcome == NET_PRICES_NEW) {
        printf("snapshot %lld: %d models as of %s from %s (%d keys skipped: not "
               "text-generation models or not models)\n"
               "use it: tunepilot cost SCENARIO.json --snapshot %lld\n"
               "what changed: tunepilot pricing diff\n",
               (long long)r.snapshot_id, r.n_models, r.as_of, r.url, r.n_skipped,
               (long long)r.snapshot_id);
    } else if (r.outcome == NET_PRICES_NOT_MODIFIED) {
        printf("not modified since the last download (HTTP 304); snapshot %lld still holds\n",
               (long long)r.snapshot_id);
    } else {
        printf("downloaded %lld bytes: the prices equal snapshot %lld's; no new snapshot\n",
               r.bytes, (long long)r.snapshot_id);
    }
    return CLI_OK;
}

/* --- pricing diff ------------------------------------------------------------------------- */

static const char DIFF_USAGE[] =
    "usage: tunepilot pricing diff [A] [B] [--json]\n"
    "\n"
    "Models added and removed, and input / output / cached-input price changes\n"
    "with percentages, from snapshot A to snapshot B (0 = the bundled tables).\n"
    "Default: the two newest snapshots (0 and the newest when there is one).\n";

typedef struct Side {
    long long id;
    Pricing p;
    PricingModel *models;
    int n;
    char label[300], as_of[32];
} Side;

static TpStatus load_side(Store *store, Side *s, TpError *err) {
    if (s->id == 0) {
        TpStatus st = pricing_load_bundled(&s->p, err);
        s->models = s->p.models;
        s->n = s->p.n_models;
        snprintf(s->label, sizeof s->label, "bundled tables");
        snprintf(s->as_of, sizeof s->as_of, "per entry");
        return st;
    }
    tp_arena_init(&s->p.arena);
    StoreSnapshotInfo info;
    char **docs = NULL;
    int n = 0;
    TpStatus st = store_snapshot_models(store, s->id, &info, &docs, &n, err);
    if (st != TP_OK)
        return st;
    s->models = tp_arena_alloc(&s->p.arena, sizeof *s->models * (size_t)(n + 1));
    char name[64];
    snprintf(name, sizeof name, "pricing snapshot %lld", s->id);
    for (int i = 0; i < n && st == TP_OK; i++) {
        cJSON *o;
        st = tp_json_parse(docs[i], strlen(docs[i]), name, &o, err);
        char path[32];
        snprintf(path, sizeof path, "$[%d]", i);
        if (st == TP_OK)
            st = pricing_parse_model(&s->p, o, name, path, &s->models[s->n++], err);
        cJSON_Delete(o);
    }
    for (int i = 0; i < n; i++)
        free(docs[i]);
    free(docs);
    snprintf(s->label, sizeof s->label, "%s", info.label);
    snprintf(s->as_of, sizeof s->as_of, "%s", info.as_of);
    return st;
}

static void pct(char *out, size_t size, double a, double b) {
    double p = net_price_change_pct(a, b);
    if (isnan(p))
        snprintf(out, size, "%s", isnan(a) ? "new" : isnan(b) ? "gone" : "from 0");
    else
        snprintf(out, size, "%+.1f%%", p);
}

static void price_json(cJSON *o, const char *key, double a, double b) {
    cJSON *x = cJSON_AddObjectToObject(o, key);
    tp_json_add_num(x, "from", a);
    tp_json_add_num(x, "to", b);
    tp_json_add_num(x, "change_pct", net_price_change_pct(a, b));
}

static bool differs(double a, double b) {
    if (isnan(a) || isnan(b))
        return isnan(a) != isnan(b);
    return fabs(a - b) > 1e-9 * fmax(fabs(a), fabs(b));
}

static void text_change(const char *what, double a, double b) {
    if (!differs(a, b))
        return;
    char p[32];
    pct(p, sizeof p, a, b);
    printf("  %s %.4g -> %.4g (%s)", what, a, b, p);
}

int cli_pricing_diff(const CliGlobal *g, int argc, char **argv) {
    long long ids[2] = {-1, -1};
    int nids = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(DIFF_USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (argv[i][0] == '-') {
            return cli_usage("pricing diff", "unknown option %s", argv[i]);
        } else if (nids == 2 || !cli_parse_ll(argv[i], &ids[nids])) {
            return cli_usage("pricing diff",
                             "expected at most two snapshot numbers (0 = bundled), "
                             "got %s",
                             argv[i]);
        } else {
            nids++;
        }
    }
    TpError err = {0};
    Store *store = NULL;
    StoreSnapshotInfo *list = NULL;
    int n = 0;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_snapshot_list(store, &list, &n, &err);
    if (st != TP_OK) {
        store_close(store);
        return cli_fail(st, &err);
    }
    long long newest = n ? list[n - 1].id : 0, second = n > 1 ? list[n - 2].id : 0;
    free(list);
    if (nids == 0) {
        if (n == 0) {
            store_close(store);
            fprintf(stderr, "tunepilot: no pricing snapshots yet, nothing to compare (get one: "
                            "tunepilot pricing update)\n");
            return CLI_FAIL;
        }
        ids[0] = second;
        ids[1] = newest;
    } else if (nids == 1) {
        ids[1] = newest;
    }
    Side a = {.id = ids[0]}, b = {.id = ids[1]};
    st = load_side(store, &a, &err);
    if (st == TP_OK)
        st = load_side(store, &b, &err);
    store_close(store);
    if (st != TP_OK) {
        pricing_free(&a.p);
        pricing_free(&b.p);
        return cli_fail(st, &err);
    }
    NetPriceDiff d;
    net_price_diff(a.models, a.n, b.models, b.n, &d);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "from", (double)a.id);
        cJSON_AddNumberToObject(j, "to", (double)b.id);
        cJSON *arr = cJSON_AddArrayToObject(j, "added");
        for (int i = 0; i < d.n_added; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(d.added[i]));
        arr = cJSON_AddArrayToObject(j, "removed");
        for (int i = 0; i < d.n_removed; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(d.removed[i]));
        arr = cJSON_AddArrayToObject(j, "changed");
        for (int i = 0; i < d.n_changed; i++) {
            const NetPriceChange *c = &d.changed[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "model", c->id);
            price_json(o, "input_per_mtok", c->in_a, c->in_b);
            price_json(o, "output_per_mtok", c->out_a, c->out_b);
            price_json(o, "cached_input_per_mtok", c->cached_a, c->cached_b);
            cJSON_AddItemToArray(arr, o);
        }
        cJSON_AddNumberToObject(j, "unchanged", d.n_same);
        print_json(j);
        cJSON_Delete(j);
    } else {
        printf("pricing diff: snapshot %lld (%s, as of %s, %d models) -> snapshot %lld (%s, as "
               "of %s, %d models); prices per 1M tokens\n",
               a.id, a.label, a.as_of, a.n, b.id, b.label, b.as_of, b.n);
        printf("added (%d):\n", d.n_added);
        for (int i = 0; i < d.n_added; i++) {
            const PricingModel *m =
                pricing_find_model(&(Pricing){.models = b.models, .n_models = b.n}, d.added[i]);
            printf("  + %-40s in %.4g  out %.4g\n", d.added[i], m ? m->input_per_mtok : NAN,
                   m ? m->output_per_mtok : NAN);
        }
        printf("removed (%d):\n", d.n_removed);
        for (int i = 0; i < d.n_removed; i++)
            printf("  - %s\n", d.removed[i]);
        printf("changed (%d):\n", d.n_changed);
        for (int i = 0; i < d.n_changed; i++) {
            const NetPriceChange *c = &d.changed[i];
            printf("  ~ %-40s", c->id);
            text_change("input", c->in_a, c->in_b);
            text_change("output", c->out_a, c->out_b);
            text_change("cached input", c->cached_a, c->cached_b);
            printf("\n");
        }
        printf("unchanged: %d\n", d.n_same);
    }
    net_price_diff_free(&d);
    pricing_free(&a.p);
    pricing_free(&b.p);
    return CLI_OK;
}
