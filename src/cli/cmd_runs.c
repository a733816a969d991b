/* cmd_runs.c - `tunepilot runs list|show|watch|pause|resume|cancel` (report
 * and export are in cmd_runs_report.c; a resumed run shows itself as
 * `tunepilot pilot` does, through cmd_pilot.c). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/handoff.h"
#include "tunepilot/pilot.h"

static const char RUNS_USAGE[] =
    "usage: tunepilot runs list [--json]\n"
    "       tunepilot runs show ID [--json]\n"
    "       tunepilot runs watch ID        follow a run's steps until it ends (or is lost)\n"
    "       tunepilot runs log ID [--json] the run's whole log, oldest line first\n"
    "       tunepilot runs pause ID        stop its process where it is (it keeps its memory)\n"
    "       tunepilot runs resume ID [--json]\n"
    "                                      continue a paused run; a run whose process is\n"
    "                                      gone (interrupted, lost, failed) continues from\n"
    "                                      its last checkpoint here; a live run is refused\n"
    "       tunepilot runs cancel ID       stop it after the current update, checkpoint kept\n"
    "       tunepilot runs report ID [-o FILE]   the run as one self-contained HTML page\n"
    "       tunepilot runs export ID --to tensorboard|hf DIR\n"
    "A run is lost when it was running but its process is gone (no process holds its lock\n"
    "and it has not been seen for 15 s): killed, out of memory, the machine restarted.\n";

/* --- runs -------------------------------------------------------------------------------- */

static void print_json(cJSON *o) {
    char *s = cJSON_Print(o);
    puts(s);
    free(s);
}

static cJSON *run_json(const StoreRun *r) {
    PilotRunState ps;
    pilot_run_state(r, &ps);
    char said[700];
    pilot_describe_state(r, &ps, said, sizeof said);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddStringToObject(o, "kind", r->kind);
    cJSON_AddStringToObject(o, "status", run_status_name(ps.status));
    cJSON_AddStringToObject(o, "recorded_status", run_status_name(r->status));
    cJSON_AddBoolToObject(o, "live", ps.live);
    if (ps.live)
        cJSON_AddNumberToObject(o, "pid", (double)ps.pid);
    if (ps.last_seen > 0) {
        char at[32];
        struct tm tm;
        gmtime_r(&ps.last_seen, &tm);
        strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddStringToObject(o, "last_seen", at);
    }
    cJSON_AddStringToObject(o, "method", r->method);
    cJSON_AddStringToObject(o, "model", r->model);
    cJSON_AddStringToObject(o, "data", r->data);
    cJSON_AddStringToObject(o, "out_dir", r->out_dir);
    cJSON_AddNumberToObject(o, "step", (double)(r->last_step > 0 ? r->last_step : 0));
    cJSON_AddNumberToObject(o, "total_steps", (double)r->total_steps);
    cJSON_AddStringToObject(o, "message", said);
    cJSON_AddStringToObject(o, "created_at", r->created_at);
    cJSON_AddStringToObject(o, "updated_at", r->updated_at);
    cJSON *cfg = cJSON_Parse(r->config), *sum = cJSON_Parse(r->summary);
    cJSON_AddItemToObject(o, "config", cfg ? cfg : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "summary", sum ? sum : cJSON_CreateNull());
    return o;
}

static int runs_list(Store *s, bool json) {
    TpError err = {0};
    StoreRun *v;
    int n;
    TpStatus st = store_run_list(s, &v, &n, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    cJSON *arr = cJSON_CreateArray();
    if (!json && n == 0)
        printf("no runs yet (start one: tunepilot pilot --model DIR --data FILE)\n");
    else if (!json)
        printf("%5s  %-11s  %-6s  %11s  %-20s  %s\n", "id", "status", "method", "steps", "updated",
               "data");
    int lost = 0;
    for (int i = 0; i < n; i++) {
        PilotRunState ps;
        pilot_run_state(&v[i], &ps);
        lost += ps.status == RUN_LOST;
        if (json)
            cJSON_AddItemToArray(arr, run_json(&v[i]));
        else
            printf("%5lld  %-11s  %-6s  %5lld/%-5lld  %-20s  %s\n", (long long)v[i].id,
                   run_status_name(ps.status), v[i].method,
                   (long long)(v[i].last_step > 0 ? v[i].last_step : 0),
                   (long long)v[i].total_steps, v[i].updated_at, v[i].data);
        store_run_free(&v[i]);
    }
    if (json)
        print_json(arr);
    else if (lost)
        printf("lost: the process of a running run is gone (see tunepilot runs show ID; continue "
               "with tunepilot runs resume ID)\n");
    cJSON_Delete(arr);
    free(v);
    return CLI_OK;
}

static int runs_show(Store *s, int64_t id, bool json) {
    TpError err = {0};
    StoreRun r;
    TpStatus st = store_run_get(s, id, &r, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    StoreMetric *m = NULL;
    StoreEval *e = NULL;
    int nm = 0, ne = 0;
    store_run_metrics(s, id, -1, &m, &nm, &err);
    store_run_evals(s, id, &e, &ne, &err);
    cJSON *o = run_json(&r);
    HandoffCompare hc;
    bool handed = false;
    if (handoff_compare(s, &r, &hc, &handed, &err) != TP_OK)
        handed = false;
    if (handed && json)
        cJSON_AddItemToObject(o, "handoff", handoff_compare_json(&hc));
    /* the BLAS, its core and threads, as the run recorded them */
    char compute[512] = "";
    StoreEvent *ev = NULL;
    int nev = 0;
    if (store_run_events(s, id, 1000, &ev, &nev, &err) == TP_OK)
        for (int i = 0; i < nev; i++)
            if (!strncmp(ev[i].message, "compute: ", 9))
                snprintf(compute, sizeof compute, "%s", ev[i].message + 9);
    free(ev);
    if (compute[0])
        cJSON_AddStringToObject(o, "compute", compute);
    if (json) {
        cJSON *ms = cJSON_AddArrayToObject(o, "metrics"), *es = cJSON_AddArrayToObject(o, "evals");
        for (int i = 0; i < nm; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "step", (double)m[i].step);
            cJSON_AddNumberToObject(x, "loss", m[i].loss);
            cJSON_AddNumberToObject(x, "lr", m[i].lr);
            cJSON_AddNumberToObject(x, "grad_norm", m[i].grad_norm);
            cJSON_AddNumberToObject(x, "tokens_per_s", m[i].tokens_per_s);
            cJSON_AddNumberToObject(x, "rss_mb", m[i].rss_mb);
            cJSON_AddItemToArray(ms, x);
        }
        for (int i = 0; i < ne; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "step", (double)e[i].step);
            cJSON_AddStringToObject(x, "kind", e[i].kind);
            if (isnan(e[i].loss))
                cJSON_AddNullToObject(x, "loss");
            else
                cJSON_AddNumberToObject(x, "loss", e[i].loss);
            if (isnan(e[i].accuracy))
                cJSON_AddNullToObject(x, "accuracy");
            else
                cJSON_AddNumberToObject(x, "accuracy", e[i].accuracy);
            cJSON_AddItemToArray(es, x);
        }
        print_json(o);
    } else {
        const char *said = cJSON_GetObjectItem(o, "message")->valuestring;
        printf("run %lld: %s (%s), %s on %s\n", (long long)r.id,
               cJSON_GetObjectItem(o, "status")->valuestring, r.method, r.model, r.data);
        printf("  steps %lld/%lld, files in %s%s%s\n",
               (long long)(r.last_step > 0 ? r.last_step : 0), (long long)r.total_steps, r.out_dir,
               said[0] ? "\n  " : "", said);
        const cJSON *ia =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(o, "config"), "init_adapter");
        if (cJSON_IsString(ia))
            printf("  started from the adapter in %s\n", ia->valuestring);
        if (compute[0])
            printf("  compute: %s\n", compute);
        for (int i = 0; i < nm; i += nm > 20 ? nm / 20 : 1)
            printf("  step %5lld  loss %.4f  lr %.2e  %.0f tok/s\n", (long long)m[i].step,
                   m[i].loss, m[i].lr, m[i].tokens_per_s);
        for (int i = 0; i < ne; i++) {
            printf("  %-6s @ %5lld  loss %.4f", e[i].kind, (long long)e[i].step, e[i].loss);
            if (!isnan(e[i].accuracy))
                printf("  exact match %.1f%%", 100 * e[i].accuracy);
            printf("\n");
        }
        PilotSummary sum; /* one that cannot be read records nothing (pilot.h) */
        TpError serr;
        pilot_summary_parse(r.summary, "the run's summary", &sum, &serr);
        const PilotFullRun *fr = &sum.full_run;
        if (isfinite(fr->tokens))
            printf("  full run: %.0f tokens x %.2f epochs; here %.2f h at %.0f tokens/s\n",
                   fr->tokens, fr->epochs, fr->here_hours, fr->here_tokens_per_s);
        for (int i = 0; i < fr->n_gpus; i++)
            printf("    %-16s %8.3g h  $%.2f  (%s, $%.2f/h)\n", fr->gpus[i].gpu,
                   fr->gpus[i].hours, fr->gpus[i].usd, fr->gpus[i].cloud,
                   fr->gpus[i].usd_per_hour);
        pilot_summary_free(&sum);
        if (handed)
            cli_print_handoff_compare(&hc);
    }
    cJSON_Delete(o);
    free(m);
    free(e);
    store_run_free(&r);
    return CLI_OK;
}

/* Follows a run until it ends or is seen lost: 0 when it completed, 1
 * otherwise (failed, cancelled, interrupted, lost). */
static int runs_watch(Store *s, int64_t id) {
    TpError err = {0};
    int64_t last = -1;
    cli_pilot_signals();
    for (;;) {
        StoreMetric *m;
        int n;
        if (store_run_metrics(s, id, last, &m, &n, &err) != TP_OK)
            return cli_fail(TP_EDB, &err);
        for (int i = 0; i < n; i++) {
            printf("step %lld  loss %.4f  lr %.2e  %.0f tok/s  %.0f MB\n", (long long)m[i].step,
                   m[i].loss, m[i].lr, m[i].tokens_per_s, m[i].rss_mb);
            last = m[i].step;
        }
        free(m);
        fflush(stdout);
        StoreRun r;
        TpStatus st = store_run_get(s, id, &r, &err);
        if (st != TP_OK)
            return cli_fail(st, &err);
        PilotRunState ps;
        pilot_run_state(&r, &ps);
        bool active = run_status_active(ps.status);
        if (!active) {
            char said[700];
            pilot_describe_state(&r, &ps, said, sizeof said);
            printf("run %lld is %s%s%s\n", (long long)id, run_status_name(ps.status),
                   said[0] ? ": " : "", said);
        }
        store_run_free(&r);
        if (!active)
            return ps.status == RUN_COMPLETED ? CLI_OK : CLI_FAIL;
        if (cli_pilot_stopped())
            return CLI_OK;
        struct timespec ts = {0, 500 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The whole log of a run (what the workbench's Runs screen scrolls). */
static int runs_log(Store *s, long long id, bool json) {
    TpError err = {0};
    StoreRun r;
    TpStatus st = store_run_get(s, id, &r, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    store_run_free(&r);
    StoreEvent *ev = NULL;
    int n = 0;
    st = store_run_events(s, id, INT_MAX, &ev, &n, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "at", ev[i].at);
            cJSON_AddStringToObject(o, "level", ev[i].level);
            cJSON_AddStringToObject(o, "message", ev[i].message);
            cJSON_AddItemToArray(arr, o);
        }
        print_json(arr);
        cJSON_Delete(arr);
    } else {
        for (int i = 0; i < n; i++)
            printf("%s  %-7s %s\n", ev[i].at, ev[i].level, ev[i].message);
    }
    free(ev);
    return CLI_OK;
}

int cmd_runs(const CliGlobal *g, int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(RUNS_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "report") || !strcmp(argv[1], "export"))
        return cli_runs_report(g, argc, argv);
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[1], "show") && !strcmp(argv[i], "--format"))
            return cli_runs_report(g, argc, argv);
    bool json = false;
    const char *arg = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage("runs", "unknown option %s", argv[i]);
        else
            arg = argv[i];
    }
    const char *sub = argv[1];
    static const char *const SUBS[] = {"list", "show", "watch", "resume", "pause", "cancel", "log"};
    bool known = false;
    for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++)
        known |= !strcmp(sub, SUBS[i]);
    if (!known)
        return cli_usage("runs",
                         "unknown subcommand \"%s\" (expected list, show, log, watch, pause, resume, "
                         "cancel, report or export)",
                         sub);
    long long id = 0;
    if (strcmp(sub, "list") && !cli_parse_ll(arg, &id))
        return cli_usage("runs", "%s: expected a run id (see: tunepilot runs list)", sub);
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int rc;
    if (!strcmp(sub, "list")) {
        rc = runs_list(s, json);
    } else if (!strcmp(sub, "show")) {
        rc = runs_show(s, id, json);
    } else if (!strcmp(sub, "watch")) {
        rc = runs_watch(s, id);
    } else if (!strcmp(sub, "log")) {
        rc = runs_log(s, id, json);
    } else if (strcmp(sub, "resume")) { /* pause, cancel */
        char msg[300] = "";
        st = pilot_control(s, id, !strcmp(sub, "pause") ? PILOT_PAUSE : PILOT_CANCEL, NULL, msg,
                           sizeof msg, &err);
        rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
        if (st == TP_OK)
            printf("%s\n", msg);
    } else {
        /* a paused live run continues where it is; one whose process is gone
         * continues from its checkpoint in this process; a live one is refused */
        bool restart = false;
        char msg[300] = "";
        StoreRun r = {0};
        PilotOptions o;
        st = pilot_control(s, id, PILOT_RESUME, &restart, msg, sizeof msg, &err);
        if (st == TP_OK && !restart)
            printf("%s\n", msg);
        if (st == TP_OK && restart)
            st = store_run_get(s, id, &r, &err);
        if (st == TP_OK && restart)
            st = pilot_options_from_run(&r, &o, &err);
        store_close(s);
        s = NULL;
        if (st == TP_OK && restart) {
            rc = cli_pilot_resume(g, &o, json);
        } else {
            rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
        }
        store_run_free(&r);
    }
    store_close(s);
    return rc;
}
