/* cmd_data.c - `tunepilot data check`: audit a fine-tuning data set. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/text.h"
#include "tunepilot/audit.h"
#include "tunepilot/json.h"
#include "tunepilot/tokenizer.h"

static const char USAGE[] =
    "usage: tunepilot data check FILE [options]\n"
    "\n"
    "Checks a fine-tuning data set (JSON Lines: chat {\"messages\": [...]}, Alpaca or\n"
    "prompt/completion) before a run: format errors with their line numbers, token\n"
    "counts and their distribution, examples over the limit, exact and near-duplicate\n"
    "examples, conflicting answers, length outliers, label balance, train/eval\n"
    "leakage, and the cost of a hosted fine-tune on every model in the price tables.\n"
    "\n"
    "  --model DIR     count tokens with this model's tokenizer and chat template (the\n"
    "                  ids the pilot trains on); without it an approximation: 4 ASCII\n"
    "                  characters or 1 other character a token, +3 per message\n"
    "  --seq N         token limit per example (default: the model's\n"
    "                  max_position_embeddings, else 4096)\n"
    "  --eval FILE     a held-out file to check for leakage (default: the split\n"
    "                  `tunepilot pilot` would make, from the settings below)\n"
    "  --eval-split F (0.1)  --seed S (1)  --pilot-seq N (256)   that split\n"
    "  --all           list every issue (default: 20 per check)\n"
    "  --json          the report as JSON\n"
    "\n"
    "Exit status: 0 when the data has no errors (warnings do not block), 2 when it\n"
    "has errors (or on a usage error), 1 on failure.\n";

/* max_position_embeddings of DIR/config.json, or 0. */
static int model_max_positions(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    cJSON *j = NULL;
    TpError err;
    if (tp_json_parse_file(path, 16u << 20, &j, &err) != TP_OK)
        return 0;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "max_position_embeddings");
    if (!cJSON_IsNumber(m)) { /* multimodal configs keep it under text_config */
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text_config");
        m = cJSON_GetObjectItemCaseSensitive(t, "max_position_embeddings");
    }
    int v = 0;
    if (!cJSON_IsNumber(m) || !tp_json_to_int(m->valuedouble, 1, INT_MAX, &v))
        v = 0;
    cJSON_Delete(j);
    return v;
}

static void print_stats(const char *what, const AuditStats *s) {
    if (s->n == 0)
        return;
    printf("  %-22s min %-6.0f p10 %-8.1f median %-8.1f p90 %-8.1f max %-6.0f mean %.1f\n", what,
           s->min, s->p10, s->median, s->p90, s->max, s->mean);
}

/* "12,345" */
static void fmt_count(long long v, char *out, size_t n) {
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", v);
    tp_text_group_digits(digits, out, n);
}

static void print_issues(const AuditResult *r, AuditSeverity sev, int count) {
    if (count == 0)
        return;
    printf("%s (%d):\n", sev == AUDIT_ERROR ? "errors" : "warnings", count);
    for (int i = 0; i < r->n_issues; i++) {
        const AuditIssue *is = &r->issues[i];
        if (is->severity != sev)
            continue;
        if (is->line > 0)
            printf("  %s:%d: %s [%s]\n", is->file, is->line, is->message, is->check);
        else
            printf("  %s: %s [%s]\n", is->file, is->message, is->check);
    }
    for (int c = 0; c < r->n_checks; c++) {
        const AuditCheckCount *k = &r->checks[c];
        int listed = 0;
        for (int i = 0; i < r->n_issues; i++)
            listed += r->issues[i].check == k->check;
        if (k->severity == sev && k->count > listed)
            printf("  ... and %d more %s (--all lists them)\n", k->count - listed, k->check);
    }
}

static void print_report(const AuditResult *r) {
    char a[32], b[32];
    printf("%s: %s, %d example%s in %d record%s (%d lines); tokens %s", r->path, r->format,
           r->n_examples, r->n_examples == 1 ? "" : "s", r->n_records, r->n_records == 1 ? "" : "s",
           r->n_lines,
           r->exact_tokens ? "counted with the model's tokenizer" : "approximated (no --model)");
    if (r->template_name)
        printf(" (%s)", r->template_name);
    printf("\n");
    print_issues(r, AUDIT_ERROR, r->n_errors);
    print_issues(r, AUDIT_WARNING, r->n_warnings);
    if (r->n_examples > 0) {
        fmt_count(r->total_tokens, a, sizeof a);
        printf("\ntokens: %s in all; %d over the limit of %d\n", a, r->n_over_limit, r->seq);
        print_stats("tokens per example", &r->tokens);
        print_stats("assistant tokens", &r->assistant_tokens);
        print_stats("messages per example", &r->messages);
        printf("duplicates: %d exact, %d near (similarity >= %.2f); conflicting answers: %d\n",
               r->n_duplicates, r->n_near_duplicates, r->near_threshold, r->n_conflicts);
        if (isnan(r->outlier_low))
            printf("length outliers: not checked (under 10 examples)\n");
        else
            printf("length outliers: %d outside [%.1f, %.1f] tokens (IQR rule)\n", r->n_outliers,
                   r->outlier_low, r->outlier_high);
        if (r->short_answer) {
            int total = 0;
            for (int i = 0; i < r->n_labels; i++)
                total += r->labels[i].count;
            printf("labels (short answers):");
            for (int i = 0; i < r->n_labels; i++)
                printf("%s \"%s\" %d (%.0f%%)%s", i ? "," : "", r->labels[i].label,
                       r->labels[i].count, 100.0 * r->labels[i].count / (total ? total : 1),
                       r->labels[i].flagged ? " !" : "");
            printf("\n");
        }
        if (r->leak_from_split)
            printf("leakage: %d of the %d held-out examples of the pilot's split (%.0f%%, seed "
                   "%llu) repeat training ones\n",
                   r->n_leaks, r->n_held_out, 100 * r->eval_split, (unsigned long long)r->seed);
        else
            printf("leakage: %d of the %d examples of %s repeat training ones\n", r->n_leaks,
                   r->n_held_out, r->eval_path);
    }
    if (r->n_costs > 0 && r->n_examples > 0) {
        fmt_count(r->billed_tokens, a, sizeof a);
        printf("\nhosted fine-tune (%d example%s -> %d epoch%s by OpenAI's default rule; %s "
               "billed tokens an epoch%s):\n",
               r->n_examples, r->n_examples == 1 ? "" : "s", r->epochs, r->epochs == 1 ? "" : "s",
               a, r->exact_tokens ? "" : ", approximate");
        for (int i = 0; i < r->n_costs; i++) {
            const AuditCost *c = &r->costs[i];
            if (c->per_hour) {
                printf("  %-26s %-10s billed per hour: $%.2f/hour\n", c->model, c->provider,
                       c->training_per_hour);
                continue;
            }
            fmt_count(c->charged_tokens, b, sizeof b);
            printf("  %-26s %-10s $%6.2f/M x %s tokens = $%.4f\n", c->model, c->provider,
                   c->training_per_mtok, b, c->usd);
        }
    }
    printf("\n%s: %d error%s%s, %d warning%s\n", r->n_errors ? "blocked" : "ok", r->n_errors,
           r->n_errors == 1 ? "" : "s", r->n_errors ? " (fix them first)" : "", r->n_warnings,
           r->n_warnings == 1 ? "" : "s");
}

static int data_check(int argc, char **argv) {
    AuditOptions o;
    audit_options_default(&o);
    const char *file = NULL, *model = NULL;
    bool json = false, seq_given = false;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        double x;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--all")) {
            o.max_issues_per_check = INT_MAX;
        } else if (cli_take(argc, argv, &i, "--model", &v)) {
            if (!v || !*v)
                return cli_usage("data", "--model: expected a model directory");
            model = v;
        } else if (cli_take(argc, argv, &i, "--eval", &v)) {
            if (!v || !*v)
                return cli_usage("data", "--eval: expected a JSONL file");
            o.eval_path = v;
        } else if (cli_take(argc, argv, &i, "--seq", &v)) {
            if (!cli_parse_num(v, 1, 1 << 30, &x) || x != floor(x))
                return cli_usage("data", "--seq: expected a whole number of tokens >= 1");
            o.seq = (int)x;
            seq_given = true;
        } else if (cli_take(argc, argv, &i, "--pilot-seq", &v)) {
            if (!cli_parse_num(v, 2, 1 << 30, &x) || x != floor(x))
                return cli_usage("data", "--pilot-seq: expected a whole number of tokens >= 2");
            o.pilot_seq = (int)x;
        } else if (cli_take(argc, argv, &i, "--eval-split", &v)) {
            if (!cli_parse_num(v, 0, 0.9, &o.eval_split))
                return cli_usage("data", "--eval-split: expected a fraction in [0, 0.9]");
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_num(v, 0, 9e15, &x) || x != floor(x))
                return cli_usage("data", "--seed: expected a whole number >= 0");
            o.seed = (uint64_t)x;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("data", "unknown option %s", argv[i]);
        } else if (file) {
            return cli_usage("data", "expected one FILE, got \"%s\" and \"%s\"", file, argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return cli_usage("data", "check: expected a JSONL FILE");
    TpError err = {0};
    Tokenizer *tok = NULL;
    if (model) {
        TpStatus st = tokenizer_load(model, &tok, &err);
        if (st != TP_OK)
            return cli_fail(st, &err);
        int mp = model_max_positions(model);
        if (!seq_given && mp > 0)
            o.seq = mp;
    }
    Pricing pricing;
    bool priced = pricing_load_bundled(&pricing, &err) == TP_OK;
    if (!priced)
        fprintf(stderr, "tunepilot: no cost estimate: %s\n", err.msg);
    o.pricing = priced ? &pricing : NULL;
    AuditResult r;
    TpStatus st = audit_run(file, tok, &o, &r, &err);
    int rc;
    if (st != TP_OK) {
        rc = cli_fail(st, &err);
    } else {
        if (json) {
            cJSON *j = audit_to_json(&r);
            char *s = cJSON_Print(j);
            puts(s);
            free(s);
            cJSON_Delete(j);
        } else {
            print_report(&r);
        }
        rc = r.n_errors > 0 ? CLI_USAGE : CLI_OK;
        audit_free(&r);
    }
    if (priced)
        pricing_free(&pricing);
    tokenizer_free(tok);
    return rc;
}

int cmd_data(const CliGlobal *g, int argc, char **argv) {
    (void)g;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "check"))
        return cli_usage("data", "unknown subcommand \"%s\" (expected check)", argv[1]);
    return data_check(argc, argv);
}
