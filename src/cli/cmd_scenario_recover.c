/* cmd_scenario_recover.c - `tunepilot scenarios recover`: the workbench's
 * recovery drafts (session_edit.h), listed, written out or discarded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/paths.h"
#include "tunepilot/session_edit.h"

static void print_list(const SessionDraft *v, int n, int unreadable, const char *dir, bool json) {
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "n", i + 1);
            cJSON_AddStringToObject(o, "file", v[i].file);
            cJSON_AddStringToObject(o, "written_at", v[i].written_at);
            cJSON_AddStringToObject(o, "name", v[i].name);
            cJSON_AddStringToObject(o, "path", v[i].path);
            cJSON_AddNumberToObject(o, "saved_id", (double)v[i].saved_id);
            cJSON_AddItemToArray(arr, o);
        }
        char *t = cJSON_Print(arr);
        puts(t);
        free(t);
        cJSON_Delete(arr);
        return;
    }
    if (n == 0)
        printf("no recovery drafts in %s\n", dir);
    for (int i = 0; i < n; i++) {
        printf("%2d  %s  %s%s%s\n    %s\n", i + 1, v[i].written_at, v[i].name,
               v[i].path[0] ? " from " : "", v[i].path, v[i].file);
        if (v[i].path[0])
            printf("    put it back: tunepilot scenarios recover %d -o %s\n", i + 1, v[i].path);
    }
    if (n)
        printf("write one out: tunepilot scenarios recover N -o FILE; drop it: "
               "tunepilot scenarios recover N --discard\n");
    if (unreadable)
        printf("%d file(s) in %s are not readable drafts (left as they are)\n", unreadable, dir);
}

int cli_scenarios_recover(const CliGlobal *g, int argc, char **argv) {
    const char *out = NULL, *which = NULL;
    bool json = false, force = false, discard = false;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--force"))
            force = true;
        else if (!strcmp(argv[i], "--discard"))
            discard = true;
        else if (!strcmp(argv[i], "--list"))
            ; /* the default */
        else if (cli_take(argc, argv, &i, "-o", &v)) {
            if (!v)
                return cli_usage("scenarios", "recover: -o needs a file");
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("scenarios", "recover: unknown option %s", argv[i]);
        else if (which)
            return cli_usage("scenarios", "recover: unexpected argument %s", argv[i]);
        else
            which = argv[i];
    }
    long long k = 0;
    if (which && (!cli_parse_ll(which, &k) || k < 1))
        return cli_usage("scenarios", "recover: expected a draft number (1 is the newest; "
                         "tunepilot scenarios recover lists them), got \"%s\"", which);
    if (which && !out == !discard)
        return cli_usage("scenarios", "recover %s: expected -o FILE or --discard", which);
    if (!which && (out || discard))
        return cli_usage("scenarios", "recover: -o and --discard need a draft number first");
    if (out && !strcmp(out, "-"))
        return cli_usage("scenarios", "recover: -o needs a file");
    TpError err = {0};
    char db[4096], dir[4200];
    TpStatus st = tp_path_db(db, sizeof db, g->db_path, &err);
    if (st == TP_OK)
        st = session_draft_dir(db, dir, sizeof dir, &err);
    SessionDraft *v = NULL;
    int n = 0, unreadable = 0;
    if (st == TP_OK)
        st = session_draft_list(dir, &v, &n, &unreadable, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int rc = CLI_OK;
    if (!which) {
        print_list(v, n, unreadable, dir, json);
    } else if (k > n) {
        rc = cli_usage("scenarios", "recover: there is no draft %lld (%d in %s)", k, n, dir);
    } else {
        const SessionDraft *d = &v[k - 1];
        if (out) {
            CliOutputKind kind = {"scenario", cli_looks_like_scenario};
            st = cli_output_check(out, NULL, 0, &kind, force, &err);
            cJSON *doc = st == TP_OK ? cJSON_Parse(d->json) : NULL;
            if (st == TP_OK) /* as the workbench's s writes it: atomically, indented */
                st = session_scenario_write(doc, out, &err);
            cJSON_Delete(doc);
        }
        if (st == TP_OK) /* only once its scenario is safe in FILE */
            st = session_draft_discard(d, &err);
        if (st != TP_OK)
            rc = cli_fail(st, &err);
        else if (out)
            fprintf(stderr, "wrote the unsaved edits to %s (%s) to %s; the draft is removed\n",
                    d->name, d->written_at, out);
        else
            fprintf(stderr, "discarded the draft of %s (%s)\n", d->name, d->written_at);
    }
    for (int i = 0; i < n; i++)
        session_draft_free(&v[i]);
    free(v);
    return rc;
}
