/* cmd_pricing.c - `tunepilot pricing list|show|import|snapshots|update|diff`
 * (update and diff live in cmd_net.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "tunepilot/limits.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"


static const char USAGE[] =
    "usage: tunepilot pricing list [--table T] [--provider P] [--snapshot N] [--json]\n"
    "       tunepilot pricing show NAME [--snapshot N] [--json]\n"
    "       tunepilot pricing import FILE [--label TEXT] [--as-of YYYY-MM-DD] [--json]\n"
    "       tunepilot pricing snapshots [--json]\n"
    "       tunepilot pricing update [URL] [--force] [--label TEXT] [--json]\n"
    "       tunepilot pricing diff [A] [B] [--json]\n"
    "\n"
    "  list       price tables: --table api (default), finetune, gpus, rag, rules or all\n"
    "             (prices: the newest stored snapshot over the bundled tables; --snapshot N\n"
    "             another, 0 the bundled tables alone)\n"
    "  show       everything known about a model, GPU, embedding model or rule, with sources\n"
    "  import     read a LiteLLM model_prices_and_context_window.json into a new dated\n"
    "             snapshot (prices per token are stored per million tokens)\n"
    "  snapshots  list pricing snapshots (0 is the bundled tables)\n"
    "  update     download LiteLLM's price file (conditional request; default URL:\n"
    "             $TUNEPILOT_PRICES_URL, else its raw file on GitHub) and store a new\n"
    "             snapshot only when prices changed; a failed download changes nothing\n"
    "  diff       models added and removed and price changes in percent between two\n"
    "             snapshots (default: the two newest; 0 = bundled)\n";

static void price(char *out, size_t n, double v) {
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.4g", v);
}

static void print_json(cJSON *j) {
    char *s = cJSON_Print(j);
    puts(s);
    free(s);
}

static bool want(const char *table, const char *t) {
    return !strcmp(table, "all") || !strcmp(table, t);
}

static int list(const Pricing *p, const char *table, const char *provider, bool json) {
    cJSON *root = cJSON_CreateObject();
    char a[32], b[32], c[32], d[32], e[32];
    if (want(table, "api")) {
        cJSON *arr = cJSON_AddArrayToObject(root, "api_models");
        if (!json)
            printf("%-40s %-12s %9s %9s %9s %10s %7s %7s %-10s %s\n", "model", "provider",
                   "in/Mtok", "out/Mtok", "cache/Mt", "context", "ttft_ms", "tok/s", "as of",
                   "retires");
        for (int i = 0; i < p->n_models; i++) {
            const PricingModel *m = &p->models[i];
            if (provider && strcasecmp(provider, m->provider))
                continue;
            if (json) {
                cJSON_AddItemToArray(arr, pricing_model_to_json(m));
                continue;
            }
            price(a, sizeof a, m->input_per_mtok);
            price(b, sizeof b, m->output_per_mtok);
            price(c, sizeof c, m->cached_input_per_mtok);
            price(d, sizeof d, m->ttft_ms);
            price(e, sizeof e, m->output_tokens_per_s);
            printf("%-40s %-12s %9s %9s %9s %10lld %7s %7s %-10s %s\n", m->id, m->provider, a, b,
                   c, m->context_window, d, e, m->as_of,
                   m->life.retires_on.date ? m->life.retires_on.date : "-");
        }
        if (!json)
            printf("\n");
    }
    if (want(table, "finetune")) {
        cJSON *arr = cJSON_AddArrayToObject(root, "finetune");
        if (!json)
            printf("%-28s %-10s %-5s %9s %8s %9s %9s %8s %-10s %-10s %s\n", "fine-tune",
                   "provider", "method", "train/Mt", "train/h", "in/Mtok", "out/Mtok", "host/h",
                   "as of", "new jobs", "retires");
        for (int i = 0; i < p->n_finetunes; i++) {
            const PricingFinetune *f = &p->finetunes[i];
            if (provider && strcasecmp(provider, f->provider))
                continue;
            if (json) {
                cJSON_AddItemToArray(arr, pricing_finetune_to_json(f));
                continue;
            }
            price(a, sizeof a, f->training_per_mtok);
            price(b, sizeof b, f->training_per_hour);
            price(c, sizeof c, f->input_per_mtok);
            price(d, sizeof d, f->output_per_mtok);
            price(e, sizeof e, f->hosting_per_hour);
            printf("%-28s %-10s %-5s %9s %8s %9s %9s %8s %-10s %-10s %s\n", f->id, f->provider,
                   f->method, a, b, c, d, e, f->as_of,
                   f->life.new_jobs_until.date ? f->life.new_jobs_until.date : "-",
                   f->life.retires_on.date ? f->life.retires_on.date : "-");
        }
        if (!json)
            printf("\n");
    }
    if (want(table, "gpus")) {
        cJSON *arr = cJSON_AddArrayToObject(root, "gpus");
        if (!json)
            printf("%-12s %-32s %6s %8s %8s  %s\n", "gpu", "name", "GB", "bf16 TF", "GB/s",
                   "$/GPU-hour by cloud");
        for (int i = 0; i < p->n_gpus; i++) {
            const PricingGpu *g = &p->gpus[i];
            if (json) {
                cJSON_AddItemToArray(arr, pricing_gpu_to_json(g));
                continue;
            }
            price(a, sizeof a, g->bf16_dense_tflops);
            printf("%-12s %-32s %6.0f %8s %8.0f ", g->id, g->name, g->memory_gb, a,
                   g->memory_bandwidth_gb_s);
            for (int r = 0; r < g->n_rates; r++)
                printf(" %s %.2f", g->rates[r].cloud, g->rates[r].usd_per_hour);
            printf("\n");
        }
        if (!json)
            printf("\n");
    }
    if (want(table, "rag")) {
        cJSON *ea = cJSON_AddArrayToObject(root, "embeddings");
        cJSON *va = cJSON_AddArrayToObject(root, "vector_stores");
        if (!json)
            printf("%-32s %-10s %9s\n", "embedding model", "provider", "in/Mtok");
        for (int i = 0; i < p->n_embeddings; i++) {
            if (json)
                cJSON_AddItemToArray(ea, pricing_embedding_to_json(&p->embeddings[i]));
            else
                printf("%-32s %-10s %9.4g\n", p->embeddings[i].id, p->embeddings[i].provider,
                       p->embeddings[i].input_per_mtok);
        }
        if (!json)
            printf("\n%-32s %-10s %9s  %s\n", "vector store", "provider", "$/month", "covers");
        for (int i = 0; i < p->n_vector_stores; i++) {
            const PricingVectorStore *v = &p->vector_stores[i];
            if (json)
                cJSON_AddItemToArray(va, pricing_vector_store_to_json(v));
            else
                printf("%-32s %-10s %9.2f  %s\n", v->id, v->provider, v->monthly_usd,
                       v->note ? v->note : "");
        }
        if (json) {
            cJSON_AddItemToObject(root, "retrieval_latency_ms",
                                  pricing_rule_to_json(&p->retrieval_latency_ms));
        } else {
            printf("\nretrieval latency: %g-%g ms (%s)\n\n", p->retrieval_latency_ms.lo,
                   p->retrieval_latency_ms.hi, p->retrieval_latency_ms.source);
        }
    }
    if (want(table, "rules")) {
        cJSON *arr = cJSON_AddArrayToObject(root, "rules");
        for (int i = 0; i < p->n_rules; i++) {
            const PricingRule *r = &p->rules[i];
            if (json) {
                cJSON_AddItemToArray(arr, pricing_rule_to_json(r));
                continue;
            }
            if (r->is_range)
                printf("%-34s %g-%g %s\n", r->id, r->lo, r->hi, r->unit ? r->unit : "");
            else
                printf("%-34s %g %s\n", r->id, r->lo, r->unit ? r->unit : "");
            printf("%-34s %s\n%-34s %s (as of %s)\n", "", r->description, "", r->source,
                   r->as_of);
        }
    }
    if (json) {
        cJSON_AddItemToObject(root, "pricing", cli_pricing_json(p));
        print_json(root);
    }
    cJSON_Delete(root);
    return CLI_OK;
}

static int show(const Pricing *p, const char *name, bool json) {
    cJSON *root = cJSON_CreateObject();
    cJSON *pricing = cli_pricing_json(p);
    const PricingModel *m = pricing_find_model(p, name);
    const PricingFinetune *f = pricing_find_finetune(p, name);
    const PricingGpu *g = pricing_find_gpu(p, name);
    const PricingEmbedding *e = pricing_find_embedding(p, name);
    const PricingVectorStore *v = pricing_find_vector_store(p, name);
    const PricingRule *r = pricing_rule(p, name);
    if (m)
        cJSON_AddItemToObject(root, "api_model", pricing_model_to_json(m));
    if (f)
        cJSON_AddItemToObject(root, "finetune", pricing_finetune_to_json(f));
    if (g)
        cJSON_AddItemToObject(root, "gpu", pricing_gpu_to_json(g));
    if (e)
        cJSON_AddItemToObject(root, "embedding", pricing_embedding_to_json(e));
    if (v)
        cJSON_AddItemToObject(root, "vector_store", pricing_vector_store_to_json(v));
    if (r)
        cJSON_AddItemToObject(root, "rule", pricing_rule_to_json(r));
    if (!cJSON_GetArraySize(root)) {
        char sugg[256];
        pricing_suggest(p, name, sugg, sizeof sugg);
        fprintf(stderr, "tunepilot: no model, GPU, embedding model, vector store or rule named "
                        "\"%s\"%s%s%s\n",
                name, *sugg ? "; did you mean " : "", sugg,
                *sugg ? "?" : " (see: tunepilot pricing list --table all)");
        cJSON_Delete(root);
        cJSON_Delete(pricing);
        return CLI_FAIL;
    }
    if (json) {
        cJSON_AddItemToObject(root, "pricing", pricing);
        pricing = NULL;
        print_json(root);
    } else {
        /* Text: one "section: key: value" line per field, nested rates indented. */
        const cJSON *sec;
        cJSON_ArrayForEach(sec, root) {
            printf("%s\n", sec->string);
            const cJSON *it;
            cJSON_ArrayForEach(it, sec) {
                if (cJSON_IsArray(it)) {
                    printf("  %s:\n", it->string);
                    const cJSON *el;
                    cJSON_ArrayForEach(el, it) {
                        char *s = cJSON_PrintUnformatted(el);
                        printf("    %s\n", s);
                        free(s);
                    }
                } else if (cJSON_IsObject(it) && !strcmp(it->string, "lifecycle")) {
                    printf("  lifecycle:\n");
                    const cJSON *d;
                    cJSON_ArrayForEach(d, it) {
                        const cJSON *dt = cJSON_GetObjectItem(d, "date");
                        const cJSON *src = cJSON_GetObjectItem(d, "source");
                        const cJSON *asof = cJSON_GetObjectItem(d, "as_of");
                        const cJSON *note = cJSON_GetObjectItem(d, "note");
                        printf("    %-20s %s  (%s, as of %s)\n", d->string,
                               cJSON_IsString(dt) ? dt->valuestring : "?",
                               cJSON_IsString(src) ? src->valuestring : "?",
                               cJSON_IsString(asof) ? asof->valuestring : "?");
                        if (cJSON_IsString(note))
                            printf("    %-20s %s\n", "", note->valuestring);
                    }
                } else if (cJSON_IsString(it)) {
                    printf("  %-24s %s\n", it->string, it->valuestring);
                } else {
                    char *s = cJSON_PrintUnformatted(it);
                    printf("  %-24s %s\n", it->string, s);
                    free(s);
                }
            }
        }
    }
    cJSON_Delete(root);
    cJSON_Delete(pricing);
    return CLI_OK;
}

static int import(const CliGlobal *g, const char *file, const char *label, const char *as_of,
                  bool json) {
    TpError err = {0};
    Pricing p = {0};
    tp_arena_init(&p.arena);
    char *text = NULL;
    size_t len = 0;
    Store *store = NULL;
    PricingImport imp;
    char today[16];
    time_t now = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
    TpStatus st = tp_file_read(file, NET_PRICES_MAX_BYTES, &text, &len, &err);
    if (st == TP_OK)
        st = pricing_import_litellm(&p, text, len, file, "https://github.com/BerriAI/litellm",
                                    &imp, &err);
    const char *date = as_of ? as_of : imp.as_of ? imp.as_of : today;
    const char **ids = NULL;
    char **docs = NULL;
    int n = st == TP_OK ? imp.n_models : 0;
    if (st == TP_OK) {
        ids = calloc((size_t)n + 1, sizeof *ids);
        docs = calloc((size_t)n + 1, sizeof *docs);
        for (int i = 0; i < n; i++) {
            imp.models[i].as_of = date;
            if (imp.models[i].life.retires_on.date)
                imp.models[i].life.retires_on.as_of = date;
            ids[i] = imp.models[i].id;
            cJSON *o = pricing_model_to_json(&imp.models[i]);
            docs[i] = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
        }
        st = cli_open_store(g, &store, &err);
    }
    int64_t id = 0;
    char lbl[512];
    snprintf(lbl, sizeof lbl, "%s", label ? label : "LiteLLM price file");
    if (st == TP_OK)
        st = store_snapshot_insert(store, lbl, file, date, n, ids, (const char *const *)docs, &id,
                                   &err);
    int rc = CLI_OK;
    if (st != TP_OK) {
        rc = cli_fail(st, &err);
    } else if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "snapshot", (double)id);
        cJSON_AddStringToObject(o, "as_of", date);
        cJSON_AddNumberToObject(o, "models", n);
        cJSON_AddNumberToObject(o, "skipped_keys", imp.n_skipped);
        cJSON_AddNumberToObject(o, "refused_unsafe_text", imp.n_unsafe);
        print_json(o);
        cJSON_Delete(o);
    } else {
        printf("snapshot %lld: %d models as of %s (%d keys skipped: not text-generation models "
               "or not models)\nuse it: tunepilot cost SCENARIO.json --snapshot %lld\n",
               (long long)id, n, date, imp.n_skipped, (long long)id);
        if (imp.n_unsafe)
            fprintf(stderr,
                    "tunepilot: %d entr%s refused: a name, provider or source with control "
                    "characters (terminal escapes) or invalid UTF-8\n",
                    imp.n_unsafe, imp.n_unsafe == 1 ? "y" : "ies");
    }
    for (int i = 0; i < n; i++)
        free(docs[i]);
    free(docs);
    free(ids);
    free(text);
    store_close(store);
    pricing_free(&p);
    return rc;
}

static int snapshots(const CliGlobal *g, bool json) {
    TpError err = {0};
    Store *store = NULL;
    StoreSnapshotInfo *list = NULL;
    int n = 0;
    Pricing p;
    TpStatus st = pricing_load_bundled(&p, &err);
    int bundled = st == TP_OK ? p.n_models : 0;
    pricing_free(&p);
    if (st == TP_OK)
        st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_snapshot_list(store, &list, &n, &err);
    if (st != TP_OK) {
        store_close(store);
        return cli_fail(st, &err);
    }
    cJSON *arr = cJSON_CreateArray();
    if (!json)
        printf("%8s  %-10s  %7s  %-20s  %s\n", "snapshot", "as of", "models", "created",
               "label (source)");
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "snapshot", 0);
        cJSON_AddStringToObject(o, "label", "bundled tables");
        cJSON_AddNumberToObject(o, "models", bundled);
        cJSON_AddItemToArray(arr, o);
    } else {
        printf("%8d  %-10s  %7d  %-20s  %s\n", 0, "per entry", bundled, "-",
               "bundled tables (pricing/*.json)");
    }
    for (int i = 0; i < n; i++) {
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "snapshot", (double)list[i].id);
            cJSON_AddStringToObject(o, "label", list[i].label);
            cJSON_AddStringToObject(o, "source", list[i].source);
            cJSON_AddStringToObject(o, "as_of", list[i].as_of);
            cJSON_AddStringToObject(o, "created_at", list[i].created_at);
            cJSON_AddNumberToObject(o, "models", list[i].n_models);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%8lld  %-10s  %7d  %-20s  %s (%s)\n", (long long)list[i].id, list[i].as_of,
                   list[i].n_models, list[i].created_at, list[i].label, list[i].source);
        }
    }
    if (json)
        print_json(arr);
    cJSON_Delete(arr);
    free(list);
    store_close(store);
    return CLI_OK;
}

int cmd_pricing(const CliGlobal *g, int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "update"))
        return cli_pricing_update(g, argc - 1, argv + 1);
    if (!strcmp(argv[1], "diff"))
        return cli_pricing_diff(g, argc - 1, argv + 1);
    const char *sub = argv[1], *table = "api", *provider = NULL, *label = NULL, *as_of = NULL;
    const char *arg = NULL;
    long long snapshot = -1;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (cli_take(argc, argv, &i, "--table", &v)) {
            static const char *const ok[] = {"api", "finetune", "gpus", "rag", "rules", "all"};
            bool good = false;
            for (int k = 0; v && k < 6; k++)
                good |= !strcmp(v, ok[k]);
            if (!good)
                return cli_usage("pricing",
                                 "--table: expected api, finetune, gpus, rag, rules or all");
            table = v;
        } else if (cli_take(argc, argv, &i, "--provider", &v)) {
            if (!v)
                return cli_usage("pricing", "--provider: expected a provider name");
            provider = v;
        } else if (cli_take(argc, argv, &i, "--snapshot", &v)) {
            if (!cli_parse_ll(v, &snapshot))
                return cli_usage("pricing", "--snapshot: expected a snapshot number (0 = bundled)");
        } else if (cli_take(argc, argv, &i, "--label", &v)) {
            if (!v)
                return cli_usage("pricing", "--label: expected text");
            label = v;
        } else if (cli_take(argc, argv, &i, "--as-of", &v)) {
            if (!v || !tp_is_iso_date(v))
                return cli_usage("pricing", "--as-of: expected a date YYYY-MM-DD");
            as_of = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("pricing", "unknown option %s", argv[i]);
        } else if (arg) {
            return cli_usage("pricing", "unexpected argument %s", argv[i]);
        } else {
            arg = argv[i];
        }
    }
    if (!strcmp(sub, "import")) {
        if (!arg)
            return cli_usage("pricing", "import: expected a LiteLLM price file");
        return import(g, arg, label, as_of, json);
    }
    if (!strcmp(sub, "snapshots"))
        return snapshots(g, json);
    if (strcmp(sub, "list") && strcmp(sub, "show"))
        return cli_usage("pricing", "unknown subcommand \"%s\" (expected list, show, import, "
                         "snapshots, update or diff)", sub);
    if (!strcmp(sub, "show") && !arg)
        return cli_usage("pricing", "show: expected a model, GPU or rule name");
    if (!strcmp(sub, "list") && arg)
        return cli_usage("pricing", "list: unexpected argument %s (filter with --provider)", arg);
    TpError err = {0};
    Store *store = NULL;
    Pricing p = {0};
    TpStatus st = cli_load_pricing(g, &store, snapshot, &p, &err);
    int rc = st != TP_OK ? cli_fail(st, &err)
             : !strcmp(sub, "list") ? list(&p, table, provider, json)
                                    : show(&p, arg, json);
    if (st == TP_OK && rc == CLI_OK && !json) {
        char note[512];
        cli_pricing_note(&p, note, sizeof note);
        printf("\nprices: %s\n", note);
    }
    pricing_free(&p);
    store_close(store);
    return rc;
}
