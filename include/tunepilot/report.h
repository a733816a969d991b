/* report.h - renders projections as text tables, Markdown, CSV and JSON.
 * The same numbers the TUI shows; no I/O here (callers write the strings).
 *
 * Owned by the report module (src/report/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_REPORT_H
#define TUNEPILOT_REPORT_H

#include <cjson/cJSON.h>

#include "tunepilot/cost.h"
#include "tunepilot/review.h"
#include "tunepilot/store.h"

typedef enum {
    REPORT_TABLE,
    REPORT_MARKDOWN,
    REPORT_CSV,
    REPORT_JSON,
    REPORT_HTML,
} ReportFormat;

/* "table", "md", "csv", "json" or "html" -> format; returns -1 for anything else. */
int report_format_parse(const char *name);

/* Describes which pricing tables a projection used. */
typedef struct ReportPricing {
    long long snapshot_id; /* 0 = bundled */
    const char *label;
    const char *as_of; /* may be NULL */
} ReportPricing;

/* The stable JSON document of a projection (format documented in
 * docs/cost-json.md). Caller deletes. */
cJSON *report_cost_json(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr);

/* The projection rendered as text in fmt (for REPORT_JSON, the JSON document
 * pretty-printed). Caller frees. */
char *report_cost_render(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr,
                         ReportFormat fmt);

/* What a report says about itself (HTML reports print it at the top and
 * in the footer). Strings are borrowed; generated_at may be NULL (then
 * the report carries no date and the same inputs give the same bytes). */
typedef struct ReportMeta {
    const char *version;      /* tunepilot version */
    const char *generated_at; /* e.g. "2026-12-02T10:30:00Z" */
} ReportMeta;

/* The projection as one self-contained HTML page (inline CSS and SVG, no
 * script, no external resource): summary, options, cumulative cost with
 * break-even points and P10-P90 bands, monthly cost by component, p95
 * latency against the SLO, uncertainty, break-even matrix, sources and the
 * model's rules. Caller frees. */
char *report_cost_html(const CostScenario *sc, const CostProjection *p, const ReportPricing *pr,
                       const ReportMeta *meta);

/* Money for people: "$91,250.00", "$0.000650", "$1.2M" when compact. */
void report_usd(double v, char *out, size_t size);

/* A pilot run as one self-contained HTML page: training and held-out loss
 * (raw and smoothed), learning rate, tokens/s, the before/after
 * evaluation, settings, the full-run estimate and sources. Caller frees. */
char *report_run_html(const StoreRun *run, const StoreMetric *m, int nm, const StoreEval *e,
                      int ne, const ReportMeta *meta);

/* The decision review as one self-contained HTML page: verdicts with their
 * traces, options with feasibility, total cost and p95 latency charts, pilot
 * evidence, what would change the verdict, dates and sources. Caller frees. */
char *review_render_html(const Review *r, const ReportMeta *meta);

#endif
