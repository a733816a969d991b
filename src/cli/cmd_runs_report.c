/* cmd_runs_report.c - `tunepilot runs report ID` (a self-contained HTML page)
 * and `tunepilot runs export ID --to tensorboard|hf DIR`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "tunepilot/export.h"
#include "tunepilot/fileio.h"
#include "tunepilot/report.h"
#include "tunepilot/store.h"

static const char USAGE[] =
    "usage: tunepilot runs report ID [-o FILE] [--force]\n"
    "                                             the run as one HTML page (default run-ID.html;\n"
    "                                             an existing file only when it is a run report)\n"
    "       tunepilot runs show ID --format html [-o FILE]\n"
    "       tunepilot runs export ID --to tensorboard DIR   an event file TensorBoard reads\n"
    "       tunepilot runs export ID --to hf DIR            a Hugging Face trainer_state.json\n";

void cli_now_utc(char *out, size_t size) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct RunData {
    StoreRun run;
    StoreMetric *m;
    StoreEval *e;
    int nm, ne;
} RunData;

static TpStatus load(const CliGlobal *g, Store **s, long long id, RunData *d, TpError *err) {
    memset(d, 0, sizeof *d);
    TpStatus st = cli_open_store(g, s, err);
    if (st == TP_OK)
        st = store_run_get(*s, id, &d->run, err);
    if (st == TP_OK)
        st = store_run_metrics(*s, id, -1, &d->m, &d->nm, err);
    if (st == TP_OK)
        st = store_run_evals(*s, id, &d->e, &d->ne, err);
    return st;
}

static void unload(RunData *d) {
    if (d->run.config || d->run.summary)
        store_run_free(&d->run);
    free(d->m);
    free(d->e);
}

/* Makes dir (one level) unless it exists as a directory. */
static TpStatus ensure_dir(const char *dir, TpError *err) {
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? TP_OK
                                   : tp_error_set(err, TP_EINVAL, "%s: not a directory", dir);
    if (mkdir(dir, 0777) != 0)
        return tp_error_set(err, TP_EIO, "%s: cannot create the directory: %s", dir,
                            strerror(errno));
    return TP_OK;
}

/* An earlier run report: the page's generator and its title. */
static bool is_run_report(const char *head, size_t len) {
    (void)len;
    return strstr(head, "<meta name=\"generator\" content=\"tunepilot\"/>") &&
           strstr(head, "<title>Pilot run ");
}

static const CliOutputKind RUN_REPORT = {"run report", is_run_report};

int cli_runs_report(const CliGlobal *g, int argc, char **argv) {
    /* argv[1] is "report", "export" or "show" (with --format html) */
    const char *sub = argv[1], *out = NULL, *to = NULL, *dir = NULL, *fmt = NULL;
    long long id = -1;
    bool force = false;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (cli_take(argc, argv, &i, "-o", &v) || cli_take(argc, argv, &i, "--output", &v)) {
            if (!v)
                return cli_usage("runs", "-o: expected a file name");
            out = v;
        } else if (!strcmp(argv[i], "--force")) {
            force = true;
        } else if (cli_take(argc, argv, &i, "--to", &v)) {
            if (!v || (strcmp(v, "tensorboard") && strcmp(v, "hf")))
                return cli_usage("runs", "--to: expected tensorboard or hf");
            to = v;
        } else if (cli_take(argc, argv, &i, "--format", &v)) {
            if (!v || strcmp(v, "html"))
                return cli_usage("runs", "--format: expected html (or --json for JSON)");
            fmt = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("runs", "unknown option %s", argv[i]);
        } else if (id < 0) {
            if (!cli_parse_ll(argv[i], &id))
                return cli_usage("runs", "%s: expected a run id (see: tunepilot runs list)", sub);
        } else if (!dir && !strcmp(sub, "export")) {
            dir = argv[i];
        } else {
            return cli_usage("runs", "unexpected argument %s", argv[i]);
        }
    }
    (void)fmt;
    if (id < 0)
        return cli_usage("runs", "%s: expected a run id (see: tunepilot runs list)", sub);
    if (!strcmp(sub, "export") && (!to || !dir))
        return cli_usage("runs", "export: expected --to tensorboard DIR or --to hf DIR");

    TpError err = {0};
    Store *s = NULL;
    RunData d;
    TpStatus st = load(g, &s, id, &d, &err);
    if (st == TP_OK && !strcmp(sub, "export")) {
        char path[4096];
        st = ensure_dir(dir, &err);
        if (st == TP_OK && !strcmp(to, "tensorboard")) {
            char name[256];
            size_t len = 0;
            export_tfevents_name(&d.run, name, sizeof name);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            unsigned char *bytes = export_tfevents(&d.run, d.m, d.nm, d.e, d.ne, &len);
            st = tp_file_write_atomic(path, bytes, len, &err);
            free(bytes);
            if (st == TP_OK)
                printf("%s\n(tensorboard --logdir %s)\n", path, dir);
        } else if (st == TP_OK) {
            snprintf(path, sizeof path, "%s/trainer_state.json", dir);
            char *text = export_hf_trainer_state(&d.run, d.m, d.nm, d.e, d.ne);
            st = tp_file_write_atomic(path, text, strlen(text), &err);
            free(text);
            if (st == TP_OK)
                printf("%s\n", path);
        }
    } else if (st == TP_OK) {
        char now[32], def[64];
        cli_now_utc(now, sizeof now);
        ReportMeta meta = {TP_VERSION, now};
        char *html = report_run_html(&d.run, d.m, d.nm, d.e, d.ne, &meta);
        if (!out && !strcmp(sub, "report")) {
            snprintf(def, sizeof def, "run-%lld.html", id);
            out = def;
        }
        const char *inputs[] = {store_path(s)};
        st = cli_output_check(out, inputs, 1, &RUN_REPORT, force, &err);
        if (st == TP_OK)
            st = cli_write_output(out, html, &err);
        free(html);
        if (st == TP_OK && out && strcmp(out, "-"))
            printf("%s\n", out);
    }
    unload(&d);
    store_close(s);
    return st == TP_OK ? CLI_OK : cli_fail(st, &err);
}
