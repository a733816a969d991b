/* export.c - the `o` key: writes a screen's report as a self-contained
 * HTML page (the one `tunepilot cost --format html` or `tunepilot runs
 * report` writes) and shows its path on the status bar. Costs and Decide:
 * the projection being edited. Runs: the selected run. The page goes to
 * $TUNEPILOT_REPORT_DIR, else the current directory. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/tui.h"
#include "tunepilot/fileio.h"
#include "tunepilot/report.h"

static void now_utc(char *out, size_t size) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void report_path(const char *name, char *out, size_t size) {
    const char *dir = getenv("TUNEPILOT_REPORT_DIR");
    snprintf(out, size, "%s/%s", dir && *dir ? dir : ".", name);
}

/* Writes html to name in the report directory; the status bar says where. */
static void write_report(TuiApp *a, const char *name, const char *html) {
    char path[PATH_MAX], abs[PATH_MAX];
    TpError err = {0};
    report_path(name, path, sizeof path);
    if (tp_file_write_atomic(path, html, strlen(html), &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "report not written: %s", err.msg);
        return;
    }
    snprintf(a->message, sizeof a->message, "report written: %s",
             realpath(path, abs) ? abs : path);
}

void tui_export_cost(TuiApp *a, const CostScenario *sc, const CostProjection *proj) {
    if (!sc || !proj) {
        snprintf(a->message, sizeof a->message, "no projection to report: fix the scenario first");
        return;
    }
    ReportPricing rp = {a->pricing.snapshot_id, a->pricing.snapshot_label,
                        a->pricing.snapshot_as_of};
    char now[32];
    now_utc(now, sizeof now);
    ReportMeta meta = {TP_VERSION, now};
    char *html = report_cost_html(sc, proj, &rp, &meta);
    char name[160], slug[120];
    size_t k = 0;
    for (const char *p = sc->name; *p && k + 1 < sizeof slug; p++)
        slug[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
    slug[k] = '\0';
    snprintf(name, sizeof name, "cost-%s.html", k ? slug : "scenario");
    write_report(a, name, html);
    free(html);
}

void tui_export_run(TuiApp *a, int64_t id) {
    if (!id || !a->store) {
        snprintf(a->message, sizeof a->message, "no run selected");
        return;
    }
    TpError err = {0};
    StoreRun run;
    StoreMetric *m = NULL;
    StoreEval *e = NULL;
    int nm = 0, ne = 0;
    if (store_run_get(a->store, id, &run, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    store_run_metrics(a->store, id, -1, &m, &nm, &err);
    store_run_evals(a->store, id, &e, &ne, &err);
    char now[32];
    now_utc(now, sizeof now);
    ReportMeta meta = {TP_VERSION, now};
    char *html = report_run_html(&run, m, nm, e, ne, &meta);
    char name[64];
    snprintf(name, sizeof name, "run-%lld.html", (long long)id);
    write_report(a, name, html);
    free(html);
    free(m);
    free(e);
    store_run_free(&run);
}
