/* cmd_scenarios.c - `tunepilot scenarios list|show ID`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

static const char USAGE[] =
    "usage: tunepilot scenarios list [--json]\n"
    "       tunepilot scenarios show ID [--json]\n"
    "       tunepilot scenarios edit FILE [--set FIELD=VALUE] [--add KIND[:NAME]] ... (edit --help)\n"
    "       tunepilot scenarios recover [N -o FILE [--force] | N --discard] [--json]\n"
    "\n"
    "Scenarios are recorded each time `tunepilot cost` projects one (unless --no-save);\n"
    "show prints the scenario document and its latest projection. recover lists the\n"
    "workbench's recovery drafts (unsaved edits kept when it was ended by SIGTERM or\n"
    "SIGHUP), newest first; N -o FILE writes draft N's scenario to FILE and removes the\n"
    "draft, N --discard removes it.\n";

static int list(Store *s, bool json) {
    TpError err = {0};
    StoreScenarioInfo *v;
    int n;
    TpStatus st = store_scenario_list(s, &v, &n, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "id", (double)v[i].id);
            cJSON_AddStringToObject(o, "name", v[i].name);
            cJSON_AddStringToObject(o, "created_at", v[i].created_at);
            cJSON_AddStringToObject(o, "updated_at", v[i].updated_at);
            cJSON_AddNumberToObject(o, "projections", v[i].n_projections);
            cJSON_AddItemToArray(arr, o);
        }
        char *t = cJSON_Print(arr);
        puts(t);
        free(t);
        cJSON_Delete(arr);
    } else if (n == 0) {
        printf("no scenarios yet (project one: tunepilot cost --example ticket-triage)\n");
    } else {
        printf("%5s  %-20s  %11s  %s\n", "id", "updated", "projections", "name");
        for (int i = 0; i < n; i++)
            printf("%5lld  %-20s  %11d  %s\n", (long long)v[i].id, v[i].updated_at,
                   v[i].n_projections, v[i].name);
    }
    free(v);
    return CLI_OK;
}

static int show(Store *s, long long id, bool json) {
    TpError err = {0};
    StoreScenarioInfo info;
    char *doc = NULL, *proj = NULL;
    StoreProjectionInfo pi;
    TpStatus st = store_scenario_get(s, id, &info, &doc, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    TpStatus pst = store_projection_latest(s, id, &pi, &proj, &err);
    if (pst != TP_OK && pst != TP_ENOTFOUND) {
        free(doc);
        return cli_fail(pst, &err);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)info.id);
    cJSON_AddStringToObject(o, "name", info.name);
    cJSON_AddStringToObject(o, "created_at", info.created_at);
    cJSON_AddStringToObject(o, "updated_at", info.updated_at);
    cJSON_AddNumberToObject(o, "projections", info.n_projections);
    cJSON *sd = cJSON_Parse(doc);
    cJSON_AddItemToObject(o, "scenario", sd ? sd : cJSON_CreateNull());
    cJSON *pd = proj ? cJSON_Parse(proj) : NULL;
    cJSON_AddItemToObject(o, "latest_projection", pd ? pd : cJSON_CreateNull());
    if (json) {
        char *t = cJSON_Print(o);
        puts(t);
        free(t);
    } else {
        char *t = sd ? cJSON_Print(sd) : NULL;
        printf("scenario %lld: %s\ncreated %s, updated %s, %d projection(s)\n\n%s\n",
               (long long)info.id, info.name, info.created_at, info.updated_at,
               info.n_projections, t ? t : doc);
        free(t);
        if (pd) {
            printf("\nlatest projection (%s, pricing snapshot %lld, seed %llu):\n", pi.created_at,
                   (long long)pi.snapshot_id, (unsigned long long)pi.seed);
            const cJSON *opt;
            cJSON_ArrayForEach(opt, cJSON_GetObjectItemCaseSensitive(pd, "options")) {
                const cJSON *tot = cJSON_GetObjectItemCaseSensitive(opt, "horizon_total_usd");
                const cJSON *p95 = cJSON_GetObjectItemCaseSensitive(opt, "latency_p95_ms");
                const cJSON *idj = cJSON_GetObjectItemCaseSensitive(opt, "id");
                printf("  %-16s horizon total $%.2f   p95 %.0f ms\n",
                       cJSON_IsString(idj) ? idj->valuestring : "?",
                       cJSON_IsNumber(tot) ? tot->valuedouble : 0.0,
                       cJSON_IsNumber(p95) ? p95->valuedouble : 0.0);
            }
            printf("(full projection: tunepilot scenarios show %lld --json)\n", (long long)id);
        }
    }
    cJSON_Delete(o);
    free(doc);
    free(proj);
    return CLI_OK;
}

int cmd_scenarios(const CliGlobal *g, int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "edit"))
        return cli_scenarios_edit(g, argc, argv);
    if (!strcmp(argv[1], "recover"))
        return cli_scenarios_recover(g, argc, argv);
    bool json = false;
    const char *arg = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("scenarios", "unknown option %s", argv[i]);
        else if (arg)
            return cli_usage("scenarios", "unexpected argument %s", argv[i]);
        else
            arg = argv[i];
    }
    long long id = 0;
    bool is_list = !strcmp(argv[1], "list"), is_show = !strcmp(argv[1], "show");
    if (!is_list && !is_show)
        return cli_usage("scenarios", "unknown subcommand \"%s\" (expected list, show, edit or recover)",
                         argv[1]);
    if (is_show && !cli_parse_ll(arg, &id))
        return cli_usage("scenarios", "show: expected a scenario id (see: tunepilot scenarios "
                         "list)");
    if (is_list && arg)
        return cli_usage("scenarios", "list: unexpected argument %s", arg);
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int rc = is_list ? list(s, json) : show(s, id, json);
    store_close(s);
    return rc;
}
