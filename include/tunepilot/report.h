/* report.h - renders projections as text tables, Markdown, CSV and JSON.
 * The same numbers the TUI shows; no I/O here (callers write the strings). */
#ifndef TUNEPILOT_REPORT_H
#define TUNEPILOT_REPORT_H

#include <cjson/cJSON.h>

#include "tunepilot/cost.h"

typedef enum {
    REPORT_TABLE,
    REPORT_MARKDOWN,
    REPORT_CSV,
    REPORT_JSON,
} ReportFormat;

/* "table", "md", "csv" or "json" -> format; returns -1 for anything else. */
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

/* Money for people: "$91,250.00", "$0.000650", "$1.2M" when compact. */
void report_usd(double v, char *out, size_t size);

#endif
