/* cmd_cost.c - `tunepilot cost`: project a scenario. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/paths.h"
#include "tunepilot/assets.h"
#include "tunepilot/cost.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/report.h"
#include "tunepilot/session.h"


static const char USAGE[] =
    "usage: tunepilot cost SCENARIO.json [options]   (- reads standard input)\n"
    "       tunepilot cost --example NAME [options]\n"
    "\n"
    "Projects the cost and latency of every option in a scenario.\n"
    "\n"
    "  --format F      table (default), md, csv, json or html (one self-contained page)\n"
    "  -o FILE         write to FILE (atomically) instead of standard output; never\n"
    "                  the scenario file itself, and an existing file only when it is\n"
    "                  an earlier cost report\n"
    "  --force         with -o: replace an existing file that is not a cost report\n"
    "  --snapshot N    price with pricing snapshot N (0 = bundled tables; default: the\n"
    "                  scenario's \"snapshot\", else the newest stored snapshot)\n"
    "  --from-run ID   use pilot run ID's measured training time for self-hosted\n"
    "                  options (0 = the newest finished run)\n"
    "  --seed S        Monte Carlo seed (default: the scenario's, else 1)\n"
    "  --draws N       Monte Carlo draws (default: the scenario's, else 10000)\n"
    "  --no-save       do not record the scenario and projection in the database\n"
    "  --example NAME  use a bundled example (see: tunepilot examples)\n";

typedef struct CostArgs {
    const char *file, *example, *format, *out;
    long long snapshot, seed, draws, from_run;
    bool no_save, force;
} CostArgs;

static int parse_args(int argc, char **argv, CostArgs *a) {
    memset(a, 0, sizeof *a);
    a->format = "table";
    a->snapshot = a->seed = a->draws = a->from_run = -1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            exit(CLI_OK);
        } else if (cli_take(argc, argv, &i, "--format", &v)) {
            if (!v || report_format_parse(v) < 0)
                return cli_usage("cost", "--format: expected table, md, csv, json or html");
            a->format = v;
        } else if (cli_take(argc, argv, &i, "-o", &v) || cli_take(argc, argv, &i, "--output", &v)) {
            if (!v)
                return cli_usage("cost", "-o: expected a file name");
            a->out = v;
        } else if (cli_take(argc, argv, &i, "--snapshot", &v)) {
            if (!cli_parse_ll(v, &a->snapshot))
                return cli_usage("cost", "--snapshot: expected a snapshot number (0 = bundled)");
        } else if (cli_take(argc, argv, &i, "--from-run", &v)) {
            if (!cli_parse_ll(v, &a->from_run))
                return cli_usage("cost", "--from-run: expected a run id (0 = the newest finished)");
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_ll(v, &a->seed))
                return cli_usage("cost", "--seed: expected a non-negative integer");
        } else if (cli_take(argc, argv, &i, "--draws", &v)) {
            if (!cli_parse_ll(v, &a->draws) || a->draws < 100 || a->draws > COST_MAX_DRAWS)
                return cli_usage("cost", "--draws: expected an integer in [100, %d]",
                                 COST_MAX_DRAWS);
        } else if (cli_take(argc, argv, &i, "--example", &v)) {
            if (!v)
                return cli_usage("cost", "--example: expected a name (see: tunepilot examples)");
            a->example = v;
        } else if (!strcmp(argv[i], "--no-save")) {
            a->no_save = true;
        } else if (!strcmp(argv[i], "--force")) {
            a->force = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("cost", "unknown option %s", argv[i]);
        } else if (a->file) {
            return cli_usage("cost", "expected one scenario file, got %s and %s", a->file,
                             argv[i]);
        } else {
            a->file = argv[i];
        }
    }
    if (!a->file == !a->example)
        return cli_usage("cost", "expected a scenario file or --example NAME");
    return CLI_OK;
}

/* Records the scenario and its projection; failures only warn. */
static void save(const CliGlobal *g, Store **store, const CostScenario *sc, const char *text,
                 size_t len, long long snapshot, const char *result) {
    TpError err = {0};
    cJSON *doc = NULL;
    TpStatus st = *store ? TP_OK : cli_open_store(g, store, &err);
    if (st == TP_OK)
        st = tp_json_parse(text, len, "scenario", &doc, &err);
    char *compact = st == TP_OK ? cJSON_PrintUnformatted(doc) : NULL;
    int64_t id = 0;
    if (st == TP_OK)
        st = store_scenario_save(*store, sc->name, compact, &id, &err);
    if (st == TP_OK)
        st = store_projection_save(*store, id, snapshot, sc->seed, result, NULL, &err);
    if (st != TP_OK)
        fprintf(stderr, "tunepilot: warning: projection not saved: %s\n", err.msg);
    else if (isatty(STDERR_FILENO))
        fprintf(stderr, "saved as scenario %lld (tunepilot scenarios show %lld)\n",
                (long long)id, (long long)id);
    free(compact);
    cJSON_Delete(doc);
}

/* Applies pilot run `run`'s measurements to a scenario document: *text is
 * replaced by the changed document. Shared with decide and review. */
TpStatus cli_apply_run(Store *store, long long run, char **text, size_t *len, const char *name,
                       SessionEvidence *ev, TpError *err) {
    TpStatus st = session_evidence_load(store, run, ev, err);
    cJSON *doc = NULL;
    if (st == TP_OK)
        st = tp_json_parse(*text, *len, name, &doc, err);
    if (st == TP_OK) {
        int n = session_evidence_apply(ev, doc);
        fprintf(stderr, "pilot run %lld (%s): measured training time applied to %d self-hosted "
                        "option(s)\n",
                ev->run_id, ev->date, n);
        char *out = cJSON_PrintUnformatted(doc);
        free(*text);
        *text = out;
        *len = strlen(out);
    }
    cJSON_Delete(doc);
    return st;
}


/* An earlier cost report, in any of its formats: the table's and the
 * Markdown's title line ("...: N-month projection"), the CSV's header, the
 * JSON's kind. */
static bool is_cost_report(const char *head, size_t len) {
    (void)len;
    const char *nl = strchr(head, '\n');
    size_t first = nl ? (size_t)(nl - head) : strlen(head);
    const char *p = strstr(head, "-month projection");
    return (p && (size_t)(p - head) < first) ||
           !strncmp(head, "option,kind,cost_per_request_usd,", 33) ||
           strstr(head, "\"tunepilot.cost_projection\"") != NULL ||
           (strstr(head, "<meta name=\"generator\" content=\"tunepilot\"/>") &&
            strstr(head, "<title>Cost projection: "));
}

static const CliOutputKind COST_REPORT = {"cost report", is_cost_report};

static int run_cost(const CliGlobal *g, const CostArgs *a) {
    TpError err = {0};
    char name[4096];
    char *text = NULL;
    size_t len = 0;
    Store *store = NULL;
    Pricing pricing = {0};
    CostScenario sc = {0};
    CostProjection proj = {0};
    char *out = NULL, *json = NULL;
    char today[11];
    SessionEvidence ev;
    char db[4096] = "";
    tp_path_db(db, sizeof db, g->db_path, NULL); /* the database is an input too */
    const char *inputs[] = {a->file, db};
    TpStatus st = cli_output_check(a->out, inputs, 2, &COST_REPORT, a->force, &err);
    if (st == TP_OK)
        st = cli_read_scenario(a->file, a->example, &text, &len, name, sizeof name, &err);
    if (st == TP_OK)
        st = session_today(today, &err);
    if (st == TP_OK) {
        if (a->snapshot > 0 || a->from_run >= 0)
            st = cli_open_store(g, &store, &err);
        else if (a->snapshot < 0)
            store = cli_store_or_null(g);
    }
    if (st == TP_OK && a->from_run >= 0)
        st = cli_apply_run(store, a->from_run, &text, &len, name, &ev, &err);
    if (st == TP_OK)
        st = session_load_case(store, a->snapshot, text, len, name, today, &pricing, &sc, &err);
    if (st == TP_OK) {
        if (a->seed >= 0)
            sc.seed = (uint64_t)a->seed;
        if (a->draws > 0)
            sc.draws = (int)a->draws;
        st = cost_project(&sc, &proj, &err);
    }
    if (st == TP_OK) {
        ReportPricing rp = {pricing.snapshot_id, pricing.snapshot_label, pricing.snapshot_as_of};
        ReportFormat fmt = (ReportFormat)report_format_parse(a->format);
        if (fmt == REPORT_HTML) {
            char now[32];
            cli_now_utc(now, sizeof now);
            ReportMeta meta = {TP_VERSION, now};
            out = report_cost_html(&sc, &proj, &rp, &meta);
        } else {
            out = report_cost_render(&sc, &proj, &rp, fmt);
        }
        st = cli_write_output(a->out, out, &err);
        if (st == TP_OK && !a->no_save) {
            cJSON *j = report_cost_json(&sc, &proj, &rp);
            json = cJSON_PrintUnformatted(j);
            cJSON_Delete(j);
            save(g, &store, &sc, text, len, pricing.snapshot_id, json);
        }
    }
    int rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
    free(out);
    free(json);
    free(text);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    pricing_free(&pricing);
    store_close(store);
    return rc;
}

int cmd_cost(const CliGlobal *g, int argc, char **argv) {
    CostArgs a;
    int rc = parse_args(argc, argv, &a);
    return rc != CLI_OK ? rc : run_cost(g, &a);
}

int cli_show_example(const CliGlobal *g, const char *name) {
    CostArgs a = {.example = name, .format = "table", .snapshot = -1, .seed = -1, .draws = -1,
                  .from_run = -1};
    return run_cost(g, &a);
}

int cmd_examples(const CliGlobal *g, int argc, char **argv) {
    (void)g;
    bool json = argc > 1 && !strcmp(argv[1], "--json");
    cJSON *arr = cJSON_CreateArray();
    const char *n;
    for (int i = 0; (n = tp_asset_name("assets/scenarios/", i)); i++) {
        size_t len;
        const char *data = tp_asset_get(n, &len);
        cJSON *doc = cJSON_ParseWithLength(data, len);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(doc, "name");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(doc, "description");
        const char *base = n + strlen("assets/scenarios/");
        char id[128];
        snprintf(id, sizeof id, "%.*s", (int)(strlen(base) - 5), base);
        if (json) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "example", id);
            cJSON_AddStringToObject(e, "name", cJSON_IsString(nm) ? nm->valuestring : id);
            cJSON_AddStringToObject(e, "description", cJSON_IsString(ds) ? ds->valuestring : "");
            cJSON_AddItemToArray(arr, e);
        } else {
            printf("%-22s %s\n", id, cJSON_IsString(nm) ? nm->valuestring : "");
            if (cJSON_IsString(ds))
                printf("%-22s %s\n", "", ds->valuestring);
        }
        cJSON_Delete(doc);
    }
    if (json) {
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
    } else {
        printf("\nrun one: tunepilot cost --example NAME\n");
    }
    cJSON_Delete(arr);
    return CLI_OK;
}
