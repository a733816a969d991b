/* audit_json.c - an audit result as JSON (see audit.h). */
#include <math.h>

#include "tunepilot/audit.h"
#include "tunepilot/json.h"

static const char *severity_name(AuditSeverity s) {
    return s == AUDIT_ERROR ? "error" : "warning";
}

static cJSON *stats_json(const AuditStats *s) {
    if (s->n == 0)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", s->n);
    cJSON_AddNumberToObject(o, "min", s->min);
    cJSON_AddNumberToObject(o, "p10", s->p10);
    cJSON_AddNumberToObject(o, "median", s->median);
    cJSON_AddNumberToObject(o, "p90", s->p90);
    cJSON_AddNumberToObject(o, "max", s->max);
    cJSON_AddNumberToObject(o, "mean", s->mean);
    return o;
}

cJSON *audit_to_json(const AuditResult *r) {
    cJSON *o = cJSON_CreateObject();
    tp_json_add_str(o, "file", r->path);
    tp_json_add_str(o, "eval_file", r->eval_path);
    cJSON_AddStringToObject(o, "format", r->format ? r->format : "unknown");
    cJSON_AddBoolToObject(o, "ok", r->n_errors == 0);
    cJSON_AddNumberToObject(o, "errors", r->n_errors);
    cJSON_AddNumberToObject(o, "warnings", r->n_warnings);
    cJSON_AddNumberToObject(o, "lines", r->n_lines);
    cJSON_AddNumberToObject(o, "records", r->n_records);
    cJSON_AddNumberToObject(o, "examples", r->n_examples);

    cJSON *tc = cJSON_AddObjectToObject(o, "token_count");
    cJSON_AddStringToObject(tc, "method", r->exact_tokens ? "tokenizer" : "approximate");
    tp_json_add_str(tc, "template", r->template_name);
    cJSON_AddStringToObject(tc, "note",
                            r->exact_tokens
                                ? "ids as the pilot formats them (chat template, BOS and EOS)"
                                : "ceil(ASCII bytes / 4) + 1 per non-ASCII character, +3 per "
                                  "message, +1 per name, +3 per example (like OpenAI's cookbook)");

    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (int i = 0; i < r->n_checks; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "check", r->checks[i].check);
        cJSON_AddStringToObject(c, "severity", severity_name(r->checks[i].severity));
        cJSON_AddNumberToObject(c, "count", r->checks[i].count);
        cJSON_AddItemToArray(checks, c);
    }
    cJSON *issues = cJSON_AddArrayToObject(o, "issues");
    for (int i = 0; i < r->n_issues; i++) {
        const AuditIssue *is = &r->issues[i];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "severity", severity_name(is->severity));
        cJSON_AddStringToObject(c, "check", is->check);
        tp_json_add_str(c, "file", is->file);
        cJSON_AddNumberToObject(c, "line", is->line);
        if (is->other_line > 0)
            cJSON_AddNumberToObject(c, "other_line", is->other_line);
        cJSON_AddStringToObject(c, "message", is->message);
        cJSON_AddItemToArray(issues, c);
    }

    cJSON *tok = cJSON_AddObjectToObject(o, "tokens");
    cJSON_AddNumberToObject(tok, "limit", r->seq);
    cJSON_AddNumberToObject(tok, "total", (double)r->total_tokens);
    cJSON_AddNumberToObject(tok, "over_limit", r->n_over_limit);
    cJSON_AddItemToObject(tok, "per_example", stats_json(&r->tokens));
    cJSON_AddItemToObject(tok, "assistant_per_example", stats_json(&r->assistant_tokens));
    cJSON_AddItemToObject(o, "messages_per_example", stats_json(&r->messages));

    cJSON *out = cJSON_AddObjectToObject(o, "length_outliers");
    tp_json_add_num(out, "low", r->outlier_low);
    tp_json_add_num(out, "high", r->outlier_high);
    cJSON_AddNumberToObject(out, "count", r->n_outliers);

    cJSON *dup = cJSON_AddObjectToObject(o, "duplicates");
    cJSON_AddNumberToObject(dup, "exact", r->n_duplicates);
    cJSON_AddNumberToObject(dup, "near", r->n_near_duplicates);
    cJSON_AddNumberToObject(dup, "near_threshold", r->near_threshold);
    cJSON_AddStringToObject(dup, "near_method",
                            "MinHash (64 functions) of word bigrams of the normalised text");
    cJSON_AddNumberToObject(o, "conflicting_answers", r->n_conflicts);

    if (r->short_answer) {
        cJSON *lb = cJSON_AddArrayToObject(o, "labels");
        int total = 0;
        for (int i = 0; i < r->n_labels; i++)
            total += r->labels[i].count;
        for (int i = 0; i < r->n_labels; i++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "label", r->labels[i].label);
            cJSON_AddNumberToObject(c, "count", r->labels[i].count);
            cJSON_AddNumberToObject(c, "share", total ? (double)r->labels[i].count / total : 0);
            cJSON_AddBoolToObject(c, "flagged", r->labels[i].flagged);
            cJSON_AddItemToArray(lb, c);
        }
    } else {
        cJSON_AddNullToObject(o, "labels");
    }

    cJSON *lk = cJSON_AddObjectToObject(o, "leakage");
    cJSON_AddStringToObject(lk, "against", r->leak_from_split ? "pilot_split" : "eval_file");
    if (r->leak_from_split) {
        cJSON_AddNumberToObject(lk, "eval_split", r->eval_split);
        cJSON_AddNumberToObject(lk, "seed", (double)r->seed);
    }
    cJSON_AddNumberToObject(lk, "train", r->n_train);
    cJSON_AddNumberToObject(lk, "eval", r->n_held_out);
    cJSON_AddNumberToObject(lk, "leaks", r->n_leaks);

    cJSON *cost = cJSON_AddObjectToObject(o, "cost");
    cJSON_AddNumberToObject(cost, "examples", r->n_examples);
    cJSON_AddNumberToObject(cost, "epochs", r->epochs);
    cJSON_AddNumberToObject(cost, "billed_tokens_per_epoch", (double)r->billed_tokens);
    cJSON_AddStringToObject(cost, "rule",
                            "OpenAI's default epochs: 3; min(25, 100 // N) when N*3 < 100; "
                            "max(1, 25000 // N) when N*3 > 25000");
    cJSON *models = cJSON_AddArrayToObject(cost, "models");
    for (int i = 0; i < r->n_costs; i++) {
        const AuditCost *c = &r->costs[i];
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "model", c->model);
        cJSON_AddStringToObject(m, "provider", c->provider);
        cJSON_AddStringToObject(m, "base_model", c->base_model);
        cJSON_AddStringToObject(m, "method", c->method);
        cJSON_AddStringToObject(m, "billing", c->per_hour ? "per_hour" : "per_token");
        cJSON_AddNumberToObject(m, "epochs", c->epochs);
        if (c->per_hour) {
            tp_json_add_num(m, "training_per_hour", c->training_per_hour);
            cJSON_AddNullToObject(m, "usd");
        } else {
            tp_json_add_num(m, "training_per_mtok", c->training_per_mtok);
            cJSON_AddNumberToObject(m, "charged_tokens", (double)c->charged_tokens);
            tp_json_add_num(m, "usd", c->usd);
        }
        cJSON_AddItemToArray(models, m);
    }
    return o;
}
