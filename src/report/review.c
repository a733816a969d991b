/* review.c - writers of the decision review (review.h): JSON and Markdown.
 * They only read the model; how it was built is the session layer's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/buf.h"
#include "tunepilot/json.h"
#include "tunepilot/report.h"
#include "tunepilot/review.h"

const char *review_status_name(ReviewStatus s) {
    static const char *const n[] = {"pass", "fail", "unknown"};
    return (unsigned)s < 3 ? n[s] : "?";
}

void review_free(Review *r) {
    if (!r)
        return;
    tp_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

/* --- JSON ------------------------------------------------------------------------------ */

static cJSON *str_array(const char *const *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *option_json(const ReviewOption *o) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", o->id);
    cJSON_AddStringToObject(j, "kind", o->kind);
    tp_json_add_str(j, "model", o->model);
    tp_json_add_num(j, "horizon_total_usd", o->horizon_total_usd);
    tp_json_add_num(j, "one_time_usd", o->one_time_usd);
    tp_json_add_num(j, "first_month_usd", o->first_month_usd);
    tp_json_add_num(j, "cost_per_1k_requests_usd", o->cost_per_1k_requests_usd);
    tp_json_add_num(j, "latency_p50_ms", o->latency_p50_ms);
    tp_json_add_num(j, "latency_p95_ms", o->latency_p95_ms);
    cJSON_AddBoolToObject(j, "feasible", o->feasible);
    cJSON *f = cJSON_AddObjectToObject(j, "feasibility");
    for (int c = 0; c < o->n_checks; c++) {
        cJSON *e = cJSON_AddObjectToObject(f, o->checks[c].rule);
        cJSON_AddStringToObject(e, "status", review_status_name(o->checks[c].status));
        tp_json_add_str(e, "reason", o->checks[c].reason);
    }
    cJSON_AddItemToObject(j, "warnings", str_array(o->warnings, o->n_warnings));
    cJSON *s = cJSON_AddArrayToObject(j, "sources");
    for (int i = 0; i < o->n_sources; i++) {
        cJSON *e = cJSON_CreateObject();
        tp_json_add_str(e, "what", o->sources[i].what);
        tp_json_add_str(e, "source", o->sources[i].source);
        tp_json_add_str(e, "as_of", o->sources[i].as_of);
        cJSON_AddItemToArray(s, e);
    }
    return j;
}

static cJSON *framework_json(const ReviewFramework *f) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", f->id);
    tp_json_add_str(j, "title", f->title);
    tp_json_add_str(j, "source", f->source);
    tp_json_add_str(j, "as_of", f->as_of);
    cJSON_AddStringToObject(j, "verdict", f->verdict);
    tp_json_add_str(j, "verdict_title", f->verdict_title);
    tp_json_add_str(j, "explanation", f->explanation);
    tp_json_add_str(j, "method", f->method);
    tp_json_add_str(j, "next_step", f->next_step);
    tp_json_add_str(j, "rests_on", f->rests_on);
    tp_json_add_str(j, "rests_on_note", f->rests_on_note);
    cJSON_AddBoolToObject(j, "changed", f->changed);
    tp_json_add_str(j, "framework_verdict", f->framework_verdict);
    cJSON_AddItemToObject(j, "missing", str_array(f->missing, f->n_missing));
    cJSON *t = cJSON_AddArrayToObject(j, "trace");
    for (int i = 0; i < f->n_trace; i++) {
        const ReviewTraceItem *it = &f->trace[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "rule", it->rule);
        cJSON_AddStringToObject(e, "fired", it->fired);
        tp_json_add_str(e, "verdict", it->verdict);
        cJSON_AddBoolToObject(e, "decided", it->decided);
        cJSON_AddItemToObject(e, "because", str_array(it->because, it->n_because));
        cJSON_AddItemToArray(t, e);
    }
    return j;
}

cJSON *review_to_json(const Review *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", REVIEW_KIND);
    cJSON_AddNumberToObject(j, "format_version", REVIEW_FORMAT_VERSION);
    tp_json_add_str(j, "title", r->title);
    tp_json_add_str(j, "scenario", r->scenario);
    tp_json_add_str(j, "today", r->today);
    cJSON *p = cJSON_AddObjectToObject(j, "pricing");
    cJSON_AddNumberToObject(p, "snapshot", (double)r->snapshot_id);
    tp_json_add_str(p, "label", r->snapshot_label);
    tp_json_add_str(p, "as_of", r->snapshot_as_of);
    cJSON *w = cJSON_AddObjectToObject(j, "workload");
    cJSON_AddNumberToObject(w, "horizon_months", r->horizon_months);
    tp_json_add_num(w, "requests_per_day", r->requests_per_day);
    tp_json_add_num(w, "input_tokens", r->input_tokens);
    tp_json_add_num(w, "output_tokens", r->output_tokens);
    tp_json_add_num(w, "growth_per_month", r->growth_per_month);
    tp_json_add_num(w, "peak_factor", r->peak_factor);
    tp_json_add_num(w, "latency_slo_ms", r->latency_slo_ms);
    cJSON *o = cJSON_AddArrayToObject(j, "options");
    for (int i = 0; i < r->n_options; i++)
        cJSON_AddItemToArray(o, option_json(&r->options[i]));
    tp_json_add_str(j, "cheapest", r->cheapest >= 0 ? r->options[r->cheapest].id : NULL);
    tp_json_add_str(j, "cheapest_feasible",
                    r->cheapest_feasible >= 0 ? r->options[r->cheapest_feasible].id : NULL);
    cJSON *fw = cJSON_AddArrayToObject(j, "frameworks");
    for (int i = 0; i < r->n_frameworks; i++)
        cJSON_AddItemToArray(fw, framework_json(&r->frameworks[i]));
    if (r->evidence.present) {
        const ReviewEvidence *e = &r->evidence;
        cJSON *ev = cJSON_AddObjectToObject(j, "evidence");
        cJSON_AddNumberToObject(ev, "run_id", (double)e->run_id);
        tp_json_add_str(ev, "date", e->date);
        tp_json_add_str(ev, "model", e->model);
        tp_json_add_num(ev, "base_accuracy", e->base_accuracy);
        tp_json_add_num(ev, "tuned_accuracy", e->tuned_accuracy);
        tp_json_add_num(ev, "base_loss", e->base_loss);
        tp_json_add_num(ev, "tuned_loss", e->tuned_loss);
        cJSON_AddBoolToObject(ev, "helped", e->helped);
        tp_json_add_str(ev, "detail", e->detail);
    } else {
        cJSON_AddNullToObject(j, "evidence");
    }
    cJSON *evs = cJSON_AddArrayToObject(j, "evaluations");
    for (int i = 0; i < r->n_evals; i++) {
        const ReviewEval *x = &r->evals[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "model", x->model);
        cJSON_AddStringToObject(e, "variant", x->variant);
        cJSON_AddBoolToObject(e, "local", x->local);
        cJSON_AddNumberToObject(e, "examples", x->n);
        cJSON_AddStringToObject(e, "metric", x->metric);
        tp_json_add_num(e, "score", x->score);
        tp_json_add_num(e, "lo", x->lo);
        tp_json_add_num(e, "hi", x->hi);
        tp_json_add_num(e, "usd_per_1k", x->usd_per_1k);
        tp_json_add_num(e, "latency_p95_ms", x->p95_ms);
        cJSON_AddItemToArray(evs, e);
    }
    tp_json_add_num(j, "eval_target", r->eval_target);
    tp_json_add_str(j, "eval_question2", r->eval_question2);
    tp_json_add_str(j, "eval_question2_text", r->eval_question2_text);
    cJSON *fl = cJSON_AddArrayToObject(j, "what_would_change");
    for (int i = 0; i < r->n_flips; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "what", r->flips[i].what);
        tp_json_add_num(e, "value", r->flips[i].value);
        tp_json_add_str(e, "unit", r->flips[i].unit);
        tp_json_add_str(e, "text", r->flips[i].text);
        cJSON_AddItemToArray(fl, e);
    }
    cJSON *d = cJSON_AddArrayToObject(j, "dates");
    for (int i = 0; i < r->n_dates; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "date", r->dates[i].date);
        cJSON_AddStringToObject(e, "what", r->dates[i].what);
        tp_json_add_str(e, "source", r->dates[i].source);
        cJSON_AddItemToArray(d, e);
    }
    cJSON_AddItemToObject(j, "warnings", str_array(r->warnings, r->n_warnings));
    return j;
}

/* --- Markdown ----------------------------------------------------------------------------- */

/* Table cells must not break the row: '|' and newlines are escaped. */
static void cell(TpBuf *b, const char *s) {
    tp_buf_puts(b, "| ");
    for (; s && *s; s++) {
        if (*s == '|')
            tp_buf_puts(b, "\\|");
        else if (*s == '\n')
            tp_buf_puts(b, " ");
        else
            tp_buf_append(b, s, 1);
    }
    tp_buf_puts(b, " ");
}

static void usd_cell(TpBuf *b, double v) {
    char s[48];
    report_usd(v, s, sizeof s);
    cell(b, isfinite(v) ? s : "-");
}

static void ms_cell(TpBuf *b, double v) {
    char s[48];
    if (isfinite(v))
        snprintf(s, sizeof s, "%.0f", v);
    else
        snprintf(s, sizeof s, "-");
    cell(b, s);
}

char *review_render_md(const Review *r) {
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b, "# %s\n\n", r->title ? r->title : "Decision review");
    tp_buf_printf(&b, "Prices: snapshot %lld (%s%s%s). Dates checked from %s.\n\n", r->snapshot_id,
                  r->snapshot_label ? r->snapshot_label : "", r->snapshot_as_of ? ", as of " : "",
                  r->snapshot_as_of ? r->snapshot_as_of : "", r->today ? r->today : "-");

    tp_buf_puts(&b, "## Workload\n\n");
    tp_buf_printf(&b,
                  "- %.0f requests/day, %.0f input and %.0f output tokens per request\n"
                  "- growth %.1f%% a month, peak x%.1f, horizon %d months\n",
                  r->requests_per_day, r->input_tokens, r->output_tokens, 100 * r->growth_per_month,
                  r->peak_factor, r->horizon_months);
    if (isfinite(r->latency_slo_ms))
        tp_buf_printf(&b, "- latency SLO: p95 <= %.0f ms\n\n", r->latency_slo_ms);
    else
        tp_buf_puts(&b, "- no latency SLO\n\n");

    tp_buf_puts(&b, "## Options\n\n");
    char hz[48];
    snprintf(hz, sizeof hz, "%d-month total", r->horizon_months);
    tp_buf_puts(&b, "| option | kind | model | ");
    tp_buf_puts(&b, hz);
    tp_buf_puts(&b, " | one-time | first month | $/1k requests | p50 ms | p95 ms | feasible |\n");
    tp_buf_puts(&b, "|---|---|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (int i = 0; i < r->n_options; i++) {
        const ReviewOption *o = &r->options[i];
        cell(&b, o->id);
        cell(&b, o->kind);
        cell(&b, o->model ? o->model : "-");
        usd_cell(&b, o->horizon_total_usd);
        usd_cell(&b, o->one_time_usd);
        usd_cell(&b, o->first_month_usd);
        usd_cell(&b, o->cost_per_1k_requests_usd);
        ms_cell(&b, o->latency_p50_ms);
        ms_cell(&b, o->latency_p95_ms);
        cell(&b, o->feasible ? "yes" : "**no**");
        tp_buf_puts(&b, "|\n");
    }
    tp_buf_puts(&b, "\n");
    if (r->cheapest_feasible >= 0) {
        char t[48];
        report_usd(r->options[r->cheapest_feasible].horizon_total_usd, t, sizeof t);
        tp_buf_printf(&b, "**Cheapest feasible option: %s** (%s over %d months).\n",
                      r->options[r->cheapest_feasible].id, t, r->horizon_months);
    } else {
        tp_buf_puts(&b, "**No option is feasible.**\n");
    }
    for (int i = 0; i < r->n_warnings; i++)
        tp_buf_printf(&b, "\n> %s\n", r->warnings[i]);
    tp_buf_puts(&b, "\n### Feasibility\n\n");
    for (int i = 0; i < r->n_options; i++) {
        const ReviewOption *o = &r->options[i];
        tp_buf_printf(&b, "- **%s** (%s)\n", o->id, o->feasible ? "feasible" : "infeasible");
        for (int c = 0; c < o->n_checks; c++)
            tp_buf_printf(&b, "  - %s: %s — %s\n", o->checks[c].rule,
                          review_status_name(o->checks[c].status),
                          o->checks[c].reason ? o->checks[c].reason : "");
        for (int w = 0; w < o->n_warnings; w++)
            tp_buf_printf(&b, "  - warning: %s\n", o->warnings[w]);
    }

    tp_buf_puts(&b, "\n## Verdicts\n\n");
    for (int i = 0; i < r->n_frameworks; i++) {
        const ReviewFramework *f = &r->frameworks[i];
        tp_buf_printf(&b, "### %s — %s\n\n", f->id, f->title ? f->title : "");
        tp_buf_printf(&b, "**%s** (`%s`)%s%s%s\n\n", f->verdict_title ? f->verdict_title : "",
                      f->verdict, f->method ? ", method hint: " : "", f->method ? f->method : "",
                      "");
        if (f->rests_on_note && f->changed)
            tp_buf_printf(&b, "**Feasibility:** %s\n\n", f->rests_on_note);
        if (f->explanation)
            tp_buf_printf(&b, "%s\n\n", f->explanation);
        if (f->rests_on_note && !f->changed)
            tp_buf_printf(&b, "Option: %s\n\n", f->rests_on_note);
        if (f->next_step)
            tp_buf_printf(&b, "Next: %s\n\n", f->next_step);
        if (f->n_missing) {
            tp_buf_puts(&b, "Unanswered:");
            for (int k = 0; k < f->n_missing; k++)
                tp_buf_printf(&b, "%s `%s`", k ? "," : "", f->missing[k]);
            tp_buf_puts(&b, "\n\n");
        }
        tp_buf_puts(&b, "Trace (rules in order; ⇒ gave the verdict):\n\n");
        for (int k = 0; k < f->n_trace; k++) {
            const ReviewTraceItem *t = &f->trace[k];
            tp_buf_printf(&b, "- %s`%s` %s%s%s\n", t->decided ? "⇒ " : "", t->rule, t->fired,
                          t->verdict ? " → " : "", t->verdict ? t->verdict : "");
            for (int c = 0; c < t->n_because; c++)
                tp_buf_printf(&b, "  - %s\n", t->because[c]);
        }
        tp_buf_printf(&b, "\nSource: %s (as of %s)\n\n", f->source ? f->source : "-",
                      f->as_of ? f->as_of : "-");
    }

    tp_buf_puts(&b, "## Pilot evidence\n\n");
    if (r->evidence.present)
        tp_buf_printf(&b, "Run %lld (%s%s%s): %s. %s\n\n", r->evidence.run_id,
                      r->evidence.date ? r->evidence.date : "", r->evidence.model ? ", " : "",
                      r->evidence.model ? r->evidence.model : "",
                      r->evidence.detail ? r->evidence.detail : "",
                      r->evidence.helped ? "The fine-tune helped." : "The fine-tune did not help.");
    else
        tp_buf_puts(&b, "None used (add one: `--from-run ID`).\n\n");

    tp_buf_puts(&b, "## Prompted frontier models against the pilot (question 2)\n\n");
    if (r->n_evals) {
        if (isfinite(r->eval_target))
            tp_buf_printf(&b, "Question 2 was judged against a target score of %.3f.\n\n",
                          r->eval_target);
        if (r->eval_question2_text)
            tp_buf_printf(&b, "Question 2: %s.\n\n", r->eval_question2_text);
        tp_buf_puts(&b, "| model | prompt | examples | score [95% interval] | per 1,000 requests "
                        "| p95 latency |\n|---|---|---|---|---|---|\n");
        for (int i = 0; i < r->n_evals; i++) {
            const ReviewEval *x = &r->evals[i];
            tp_buf_printf(&b, "| %s | %s | %d | ", x->model, x->variant, x->n);
            if (isfinite(x->score))
                tp_buf_printf(&b, "%s %.3f [%.3f, %.3f]", x->metric, x->score, x->lo, x->hi);
            else
                tp_buf_puts(&b, "-");
            if (isfinite(x->usd_per_1k))
                tp_buf_printf(&b, " | $%.3f", x->usd_per_1k);
            else
                tp_buf_puts(&b, x->local ? " | (local)" : " | -");
            if (isfinite(x->p95_ms))
                tp_buf_printf(&b, " | %.0f ms |\n", x->p95_ms);
            else
                tp_buf_puts(&b, " | - |\n");
        }
        tp_buf_puts(&b, "\n");
    } else {
        tp_buf_puts(&b, "None on the pilot's held-out examples (run: `tunepilot eval --run ID "
                        "--url URL --model NAME`).\n\n");
    }

    tp_buf_puts(&b, "## What would change the verdict\n\n");
    for (int i = 0; i < r->n_flips; i++)
        tp_buf_printf(&b, "- %s\n", r->flips[i].text);

    tp_buf_puts(&b, "\n## Dates that matter\n\n| date | what | source |\n|---|---|---|\n");
    for (int i = 0; i < r->n_dates; i++) {
        cell(&b, r->dates[i].date);
        cell(&b, r->dates[i].what);
        cell(&b, r->dates[i].source ? r->dates[i].source : "-");
        tp_buf_puts(&b, "|\n");
    }
    tp_buf_puts(&b, "\n### Sources\n\n");
    for (int i = 0; i < r->n_options; i++) {
        const ReviewOption *o = &r->options[i];
        for (int s = 0; s < o->n_sources; s++)
            tp_buf_printf(&b, "- %s: %s: %s%s%s%s\n", o->id, o->sources[s].what,
                          o->sources[s].source ? o->sources[s].source : "",
                          o->sources[s].as_of ? " (as of " : "",
                          o->sources[s].as_of ? o->sources[s].as_of : "",
                          o->sources[s].as_of ? ")" : "");
    }
    return tp_buf_take(&b);
}
