/* cmd_scenario_edit.c - `tunepilot scenarios edit`: what the workbench's
 * Costs screen does to a scenario (set and clear fields, add, duplicate,
 * remove options, change their kind), from the command line, through the
 * same session functions and the same checks: values are read as the
 * workbench reads them (50k, 1.5M, [low, high]), and the result is written
 * (atomically) only when the cost engine takes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/json.h"
#include "tunepilot/session.h"
#include "tunepilot/session_edit.h"

static const char USAGE[] =
    "usage: tunepilot scenarios edit FILE|--example NAME [EDIT...] [-o OUT [--force]] [--json]\n"
    "\n"
    "Edits a scenario file in place (or writes the result to OUT). The edits are applied in\n"
    "order, then the whole scenario is checked by the cost engine, as `tunepilot cost` reads\n"
    "it; nothing is written unless it passes (the engine's message says what is wrong).\n"
    "\n"
    "  --set FIELD=VALUE   FIELD is horizon_months (any top-level field), workload.KEY or\n"
    "                      options.ID.KEY; VALUE as the workbench reads it: 50k, 1.5M, 2e3,\n"
    "                      a range [low, high], text, routes as \"ID SHARE, ID SHARE\"\n"
    "  --unset FIELD       back to the default\n"
    "  --add KIND[:NAME]   a new option of kind api, rag, api_finetuned, self_hosted or\n"
    "                      routed; NAME is its model (its GPU for self_hosted)\n"
    "  --duplicate ID      a copy of option ID, named ID-copy\n"
    "  --remove ID         removes option ID\n"
    "  --kind ID=KIND      changes option ID's kind; fields the kind does not take are dropped\n"
    "  --json              prints the result as JSON (the scenario and its options)\n"
    "\n"
    "Fields and units: docs/scenarios.md. The workbench's Costs screen does the same edits.\n";

/* The scenario's kind of file, for -o: an earlier scenario can be replaced. */
bool cli_looks_like_scenario(const char *head, size_t len) {
    (void)len;
    return head[0] == '{' && strstr(head, "\"horizon_months\"") && strstr(head, "\"options\"");
}

static int option_index(cJSON *doc, const char *id) {
    for (int i = 0, n = session_doc_n_options(doc); i < n; i++) {
        const char *x = session_option_id(doc, i);
        if (x && !strcmp(x, id))
            return i;
    }
    return -1;
}

static int kind_of(const char *name) {
    for (int k = 0; k <= COST_OPTION_ROUTED; k++)
        if (!strcmp(name, cost_option_kind_name((CostOptionKind)k)))
            return k;
    return -1;
}

/* FIELD -> where and key. */
static TpStatus locate(cJSON *doc, const char *field, int *where, char *key, size_t size,
                       TpError *err) {
    if (!strncmp(field, "workload.", 9)) {
        *where = SESSION_AT_WORKLOAD;
        snprintf(key, size, "%s", field + 9);
    } else if (!strncmp(field, "options.", 8)) {
        const char *id = field + 8, *dot = strrchr(id, '.');
        if (!dot || dot == id)
            return tp_error_set(err, TP_EINVAL, "%s: expected options.ID.KEY", field);
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(dot - id), id);
        *where = option_index(doc, buf);
        if (*where < 0)
            return tp_error_set(err, TP_EINVAL, "%s: the scenario has no option \"%s\"", field,
                                buf);
        snprintf(key, size, "%s", dot + 1);
    } else {
        *where = SESSION_AT_TOP;
        snprintf(key, size, "%s", field);
    }
    const SessionField *f = session_field_info(key);
    if (!f || f->type == SESSION_FIELD_OBJECT)
        return tp_error_set(err, TP_EINVAL,
                            "%s: \"%s\" is not a field of the scenario format (see "
                            "docs/scenarios.md)",
                            field, key);
    return TP_OK;
}

/* One edit; out gets what it did. */
static TpStatus apply(cJSON *doc, const char *op, const char *arg, char *out, size_t size,
                      TpError *err) {
    char key[128];
    int where = 0;
    if (!strcmp(op, "--set") || !strcmp(op, "--unset")) {
        bool set = !strcmp(op, "--set");
        char field[512];
        const char *eq = set ? strchr(arg, '=') : NULL;
        if (set && !eq)
            return tp_error_set(err, TP_EINVAL, "--set %s: expected FIELD=VALUE", arg);
        snprintf(field, sizeof field, "%.*s", set ? (int)(eq - arg) : (int)strlen(arg), arg);
        TpStatus st = locate(doc, field, &where, key, sizeof key, err);
        if (st != TP_OK)
            return st;
        cJSON *v = NULL;
        if (set) {
            char msg[512];
            if (!session_value_parse(eq + 1, session_field_info(key), &v, msg, sizeof msg))
                return tp_error_set(err, TP_EINVAL, "--set %s: %s", field, msg);
        }
        st = session_doc_set(doc, where, key, v, err);
        if (st == TP_OK) {
            char val[256];
            session_value_format(v ? session_doc_get(doc, where, key) : NULL,
                                 session_field_info(key), val, sizeof val);
            snprintf(out, size, set ? "set %s = %s" : "cleared %s%s", field, val);
        }
        return st;
    }
    if (!strcmp(op, "--add")) {
        char kind[64];
        const char *colon = strchr(arg, ':');
        snprintf(kind, sizeof kind, "%.*s", colon ? (int)(colon - arg) : (int)strlen(arg), arg);
        int k = kind_of(kind);
        if (k < 0)
            return tp_error_set(err, TP_EINVAL,
                                "--add %s: unknown kind \"%s\" (expected one of: api, rag, "
                                "api_finetuned, self_hosted, routed)",
                                arg, kind);
        int i;
        TpStatus st = session_option_add(doc, (CostOptionKind)k, colon ? colon + 1 : NULL, &i, err);
        if (st == TP_OK)
            snprintf(out, size, "added option %s (%s)", session_option_id(doc, i), kind);
        return st;
    }
    int i = -1;
    char id[256];
    const char *eq = strchr(arg, '=');
    snprintf(id, sizeof id, "%.*s", !strcmp(op, "--kind") && eq ? (int)(eq - arg) : (int)strlen(arg),
             arg);
    i = option_index(doc, id);
    if (i < 0)
        return tp_error_set(err, TP_EINVAL, "%s %s: the scenario has no option \"%s\"", op, arg,
                            id);
    if (!strcmp(op, "--duplicate")) {
        int j;
        TpStatus st = session_option_duplicate(doc, i, &j, err);
        if (st == TP_OK)
            snprintf(out, size, "copied option %s to %s", id, session_option_id(doc, j));
        return st;
    }
    if (!strcmp(op, "--remove")) {
        TpStatus st = session_option_remove(doc, i, err);
        if (st == TP_OK)
            snprintf(out, size, "removed option %s", id);
        return st;
    }
    /* --kind */
    if (!eq)
        return tp_error_set(err, TP_EINVAL, "--kind %s: expected ID=KIND", arg);
    int k = kind_of(eq + 1);
    if (k < 0)
        return tp_error_set(err, TP_EINVAL,
                            "--kind %s: unknown kind \"%s\" (expected one of: api, rag, "
                            "api_finetuned, self_hosted, routed)",
                            arg, eq + 1);
    int dropped = 0;
    TpStatus st = session_option_set_kind(doc, i, (CostOptionKind)k, &dropped, err);
    if (st == TP_OK)
        snprintf(out, size, "option %s is now %s (%d field(s) it does not take dropped)", id,
                 eq + 1, dropped);
    return st;
}

int cli_scenarios_edit(const CliGlobal *g, int argc, char **argv) {
    const char *file = NULL, *example = NULL, *out = NULL;
    bool json = false, force = false;
    static const char *const OPS[] = {"--set", "--unset", "--add", "--duplicate", "--remove",
                                      "--kind", NULL};
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        bool op = false;
        for (int k = 0; OPS[k]; k++)
            op |= !strcmp(argv[i], OPS[k]);
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (op) {
            if (i + 1 >= argc)
                return cli_usage("scenarios", "edit: %s needs a value", argv[i]);
            i++;
        } else if (cli_take(argc, argv, &i, "--example", &v)) {
            example = v;
        } else if (cli_take(argc, argv, &i, "-o", &v)) {
            out = v;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--force")) {
            force = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("scenarios", "edit: unknown option %s", argv[i]);
        } else if (file) {
            return cli_usage("scenarios", "edit: unexpected argument %s", argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file == !example)
        return cli_usage("scenarios", "edit: expected a scenario FILE or --example NAME");
    if (file && !strcmp(file, "-"))
        return cli_usage("scenarios", "edit: a file to edit, not standard input (use -o)");
    if (example && !out)
        return cli_usage("scenarios", "edit: --example needs -o OUT (the bundled examples are "
                         "read-only)");
    TpError err = {0};
    if (out) {
        const char *inputs[] = {file};
        CliOutputKind kind = {"scenario", cli_looks_like_scenario};
        TpStatus st = cli_output_check(out, inputs, file ? 1 : 0, &kind, force, &err);
        if (st != TP_OK)
            return cli_fail(st, &err);
        if (!strcmp(out, "-"))
            return cli_usage("scenarios", "edit: -o needs a file (--json prints the result)");
    }
    char *text = NULL, name[1024];
    size_t len = 0;
    TpStatus st = cli_read_scenario(file, example, &text, &len, name, sizeof name, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    cJSON *doc = NULL;
    st = tp_json_parse(text, len, name, &doc, &err);
    free(text);
    if (st != TP_OK)
        return cli_fail(st, &err);
    cJSON *done = cJSON_CreateArray();
    for (int i = 2; i < argc && st == TP_OK; i++) {
        bool op = false;
        for (int k = 0; OPS[k]; k++)
            op |= !strcmp(argv[i], OPS[k]);
        if (!op) {
            if (!strcmp(argv[i], "--example") || !strcmp(argv[i], "-o"))
                i++;
            continue;
        }
        char what[600];
        st = apply(doc, argv[i], argv[i + 1], what, sizeof what, &err);
        if (st == TP_OK)
            cJSON_AddItemToArray(done, cJSON_CreateString(what));
        i++;
    }
    /* the engine's check, as `tunepilot cost` reads the file */
    Store *s = NULL;
    Pricing p = {0};
    CostScenario sc = {0};
    char today[11];
    if (st == TP_OK)
        st = session_today(today, &err);
    if (st == TP_OK) {
        s = cli_store_or_null(g);
        char *t = cJSON_PrintUnformatted(doc);
        st = session_load_case(s, SESSION_SNAPSHOT_NEWEST, t, strlen(t), name, today, &p, &sc,
                               &err);
        free(t);
    }
    const char *dest = out ? out : file;
    if (st == TP_OK)
        st = session_scenario_write(doc, dest, &err);
    int rc = CLI_OK;
    if (st != TP_OK) {
        char msg[sizeof err.msg];
        snprintf(msg, sizeof msg, "%s", err.msg);
        tp_error_set(&err, st, "%s not written: %s", dest, msg);
        rc = cli_fail(st, &err);
    } else if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", dest);
        cJSON_AddItemToObject(o, "edits", done);
        done = NULL;
        cJSON *ids = cJSON_AddArrayToObject(o, "options");
        for (int i = 0; i < sc.n_options; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", sc.options[i].id);
            cJSON_AddStringToObject(e, "kind", cost_option_kind_name(sc.options[i].kind));
            cJSON_AddItemToArray(ids, e);
        }
        cJSON_AddItemToObject(o, "scenario", cJSON_Duplicate(doc, true));
        cJSON_AddItemToObject(o, "pricing", cli_pricing_json(&p));
        char *t = cJSON_Print(o);
        puts(t);
        free(t);
        cJSON_Delete(o);
    } else {
        const cJSON *it;
        cJSON_ArrayForEach(it, done) printf("%s\n", it->valuestring);
        printf("%s: valid, %d option(s):", dest, sc.n_options);
        for (int i = 0; i < sc.n_options; i++)
            printf(" %s", sc.options[i].id);
        printf("\n(tunepilot cost %s projects it)\n", dest);
    }
    cJSON_Delete(done);
    cost_scenario_free(&sc);
    pricing_free(&p);
    store_close(s);
    cJSON_Delete(doc);
    return rc;
}
