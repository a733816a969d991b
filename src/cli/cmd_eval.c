/* cmd_eval.c - `tunepilot eval`: is a well-prompted frontier model already
 * good enough? Held-out examples through a chat endpoint and through the
 * pilot's local models, side by side (see eval.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/arena.h"
#include "tunepilot/eval.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/net.h"
#include "tunepilot/session.h"
#include "tunepilot/stats.h"

static const char USAGE[] =
    "usage: tunepilot eval (--run ID | --data FILE [--shots-from FILE]) [options]\n"
    "       tunepilot eval --run ID --local        the pilot's base and tuned models here\n"
    "       tunepilot eval compare (--run ID | --data FILE | --set DIGEST) [--target S] [--json]\n"
    "       tunepilot eval list [--json]           the held-out sets that have evaluations\n"
    "\n"
    "Sends held-out examples (a pilot's own split with --run, or every record of\n"
    "--data, in any format the pilot reads) to an OpenAI-compatible chat endpoint\n"
    "(OpenAI, a provider's compatible API, llama.cpp's server, Ollama, vLLM) with a\n"
    "prompt variant, and scores the answers against the references: normalised exact\n"
    "match, label accuracy with a confusion table, JSON validity and field match, or\n"
    "token F1 for free text, each with a 95% interval. Cost comes from the answers'\n"
    "own token usage at the price tables' rates; time to first token and latency\n"
    "p50/p95 from the stream. Answers are cached in the database by endpoint, model,\n"
    "prompt and example: a rerun sends nothing for what it has.\n"
    "\n"
    "  --url URL            the endpoint: a base ending in /v1 or the chat-completions URL\n"
    "                       (default: $OPENAI_BASE_URL)\n"
    "  --model NAME         the model to ask for (priced from the tables by this name)\n"
    "  --api-key-env NAME   the variable holding the key (default: OPENAI_API_KEY for\n"
    "                       api.openai.com, TOGETHER_API_KEY for api.together.xyz; no\n"
    "                       key for any other host unless named here)\n"
    "  --system TEXT        a system prompt (zero-shot unless --shots or --template)\n"
    "  --shots K            K examples from the training split as turns before the question\n"
    "  --seed S             which K (default 1)\n"
    "  --template FILE      the user message: FILE's text with {input} (the question) and\n"
    "                       {examples} (the K shots) filled in\n"
    "  --limit N            the first N held-out examples only\n"
    "  --concurrency C      requests at a time (default 4, at most 32)\n"
    "  --max-tokens M       tokens an answer (default 256)\n"
    "  --max-requests N     the request budget, retries included\n"
    "  --max-usd X          stop before the next request could pass X dollars\n"
    "  --input-per-mtok P, --output-per-mtok P, --cached-per-mtok P\n"
    "                       prices when the model is not in the tables\n"
    "  --save-to SCENARIO OPTION\n"
    "                       store the measured latency as a probe and set OPTION's\n"
    "                       \"probe\", input_tokens and output_tokens in SCENARIO\n"
    "  --snapshot N         prices from snapshot N (default: the newest)\n"
    "  --no-save            do not store the result\n"
    "  --target S           with compare or --local: question 2 judged from the\n"
    "                       comparison: the best prompt variant's score against S\n"
    "                       (0..1) after the rule's 10 variants\n"
    "  --json               the result as JSON\n";

typedef struct EvalArgs {
    const char *data, *shots_from, *url, *model, *key_env, *system, *template_path;
    const char *save_scenario, *save_option, *set_digest;
    long long run, limit, concurrency, max_tokens, max_requests, shots, seed, snapshot;
    double max_usd, in_p, out_p, cached_p, target;
    bool local, json, no_save, compare;
} EvalArgs;

static void print_interval(const EvalInterval *v, bool pct) {
    if (isnan(v->value))
        printf("%-22s", "-");
    else if (pct)
        printf("%5.1f%% [%5.1f, %5.1f]  ", 100 * v->value, 100 * v->lo, 100 * v->hi);
    else
        printf("%5.3f [%5.3f, %5.3f]     ", v->value, v->lo, v->hi);
}

static void print_run(const EvalRun *r, const EvalSet *set) {
    printf("%s, %s on %d held-out example%s of %s\n", r->model, r->variant, r->n,
           r->n == 1 ? "" : "s", set->source);
    printf("  answered %d (%d from the cache), failed %d, not sent %d; %d request%s\n", r->n_ok,
           r->n_cached, r->n_failed, r->n_skipped, r->requests, r->requests == 1 ? "" : "s");
    if (r->stopped_by_cap)
        printf("  stopped: the next request could have passed the cost cap\n");
    if (r->stopped_by_budget)
        printf("  stopped: the request budget is spent\n");
    const EvalScores *s = &r->scores;
    printf("  answers are %s\n", s->kind == EVAL_KIND_LABEL  ? "labels"
                                 : s->kind == EVAL_KIND_JSON ? "JSON objects"
                                                             : "free text");
    printf("  exact match     ");
    print_interval(&s->exact, true);
    printf("\n  token F1        ");
    print_interval(&s->f1, false);
    printf("\n");
    if (s->kind == EVAL_KIND_JSON) {
        printf("  valid JSON      ");
        print_interval(&s->json_valid, true);
        printf("\n  fields matched  ");
        print_interval(&s->json_fields, true);
        printf("\n");
    }
    if (s->kind == EVAL_KIND_LABEL) {
        printf("  confusion (rows: reference, columns: answer)\n  %-12s", "");
        for (int k = 0; k < s->n_labels; k++)
            printf(" %10.10s", s->labels[k]);
        printf(" %10s\n", "(other)");
        int w = s->n_labels + 1;
        for (int i = 0; i < s->n_labels; i++) {
            printf("  %-12.12s", s->labels[i]);
            for (int k = 0; k < w; k++)
                printf(" %10d", s->confusion[i * w + k]);
            printf("\n");
        }
    }
    if (!r->local) {
        if (isfinite(r->usd_per_1k))
            printf("  cost            $%.4f for 1,000 answers (this run spent $%.4g; mean %.0f "
                   "input, %.0f output tokens)\n",
                   r->usd_per_1k, r->usd, r->mean_input_tokens, r->mean_output_tokens);
        else
            printf("  cost            unknown (no prices for %s, or no usage reported)\n",
                   r->model);
    }
    if (isfinite(r->latency_p50_ms))
        printf("  latency         first token p50 %.0f ms, p95 %.0f ms; whole answer p50 %.0f "
               "ms, p95 %.0f ms\n",
               r->ttft_p50_ms, r->ttft_p95_ms, r->latency_p50_ms, r->latency_p95_ms);
}

static int parse(int argc, char **argv, EvalArgs *a) {
    memset(a, 0, sizeof *a);
    a->run = -1;
    a->concurrency = 4;
    a->max_tokens = 256;
    a->seed = 1;
    a->snapshot = -1;
    a->in_p = a->out_p = a->cached_p = a->target = NAN;
    int start = 1;
    if (argc > 1 && !strcmp(argv[1], "compare")) {
        a->compare = true;
        start = 2;
    }
    for (int i = start; i < argc; i++) {
        const char *v = NULL;
        long long n = 0;
        double d = 0;
        char *end = NULL;
#define NUM_LL(name, field, lo, hi)                                                                \
    if (cli_take(argc, argv, &i, name, &v)) {                                                      \
        if (!v || !cli_parse_ll(v, &n) || n < (lo) || n > (hi))                                    \
            return cli_usage("eval", "%s: expected a whole number %lld..%lld", name,               \
                             (long long)(lo), (long long)(hi));                                    \
        a->field = n;                                                                              \
        continue;                                                                                  \
    }
#define NUM_D(name, field)                                                                         \
    if (cli_take(argc, argv, &i, name, &v)) {                                                      \
        d = v ? strtod(v, &end) : NAN;                                                             \
        if (!v || end == v || *end || !(d >= 0 && d < 1e9))                                        \
            return cli_usage("eval", "%s: expected a non-negative number", name);                  \
        a->field = d;                                                                              \
        continue;                                                                                  \
    }
#define STR(name, field)                                                                           \
    if (cli_take(argc, argv, &i, name, &v)) {                                                      \
        if (!v || !*v)                                                                             \
            return cli_usage("eval", "%s: expected a value", name);                                \
        a->field = v;                                                                              \
        continue;                                                                                  \
    }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return -1;
        }
        NUM_LL("--run", run, 1, 1LL << 53)
        NUM_LL("--limit", limit, 1, EVAL_MAX_EXAMPLES)
        NUM_LL("--concurrency", concurrency, 1, EVAL_MAX_CONCURRENCY)
        NUM_LL("--max-tokens", max_tokens, 1, 100000)
        NUM_LL("--max-requests", max_requests, 1, 10000000)
        NUM_LL("--shots", shots, 0, EVAL_MAX_SHOTS)
        NUM_LL("--seed", seed, 0, 1LL << 53)
        NUM_LL("--snapshot", snapshot, 0, 1LL << 53)
        NUM_D("--max-usd", max_usd)
        NUM_D("--input-per-mtok", in_p)
        NUM_D("--output-per-mtok", out_p)
        NUM_D("--cached-per-mtok", cached_p)
        if (cli_take(argc, argv, &i, "--target", &v)) {
            if (!cli_parse_num(v, 0, 1, &a->target))
                return cli_usage("eval", "--target: expected a score between 0 and 1");
            continue;
        }
        STR("--data", data)
        STR("--set", set_digest)
        STR("--shots-from", shots_from)
        STR("--url", url)
        STR("--model", model)
        STR("--api-key-env", key_env)
        STR("--system", system)
        STR("--template", template_path)
        if (!strcmp(argv[i], "--save-to")) {
            if (i + 2 >= argc)
                return cli_usage("eval", "--save-to: expected SCENARIO OPTION");
            a->save_scenario = argv[++i];
            a->save_option = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--local")) {
            a->local = true;
        } else if (!strcmp(argv[i], "--json")) {
            a->json = true;
        } else if (!strcmp(argv[i], "--no-save")) {
            a->no_save = true;
        } else {
            return cli_usage("eval", "unknown option %s", argv[i]);
        }
    }
    if (a->set_digest && !a->compare)
        return cli_usage("eval", "--set goes with compare (a set listed by tunepilot eval list)");
    if ((a->run > 0) + (a->data != NULL) + (a->set_digest != NULL) != 1)
        return cli_usage("eval", a->compare ? "expected --run ID, --data FILE or --set DIGEST (one "
                                              "of them)"
                                            : "expected --run ID or --data FILE (one of them)");
    if (a->local && a->run <= 0)
        return cli_usage("eval", "--local evaluates a pilot's models: give --run ID");
    if (a->shots_from && a->run > 0)
        return cli_usage("eval", "--shots-from goes with --data (a run's shots come from its "
                                 "training split)");
    if (!a->compare && !a->local) {
        if (!a->url)
            a->url = getenv("OPENAI_BASE_URL");
        if (!a->url || !*a->url)
            return cli_usage("eval", "--url: expected the endpoint (or set OPENAI_BASE_URL), or "
                                     "--local for the pilot's own models");
        if (!a->model)
            return cli_usage("eval", "--model: expected the model to ask for");
    }
    if (isfinite(a->target) && !a->local && !a->compare)
        return cli_usage("eval", "--target goes with compare or --local (question 2 judged "
                                 "from the comparison)");
    if (a->save_scenario && (a->local || a->compare))
        return cli_usage("eval", "--save-to stores a remote endpoint's measurements");
    return 0;
}

static void print_compare_row(const SessionEvalRow *r) {
    char name[200], cost[32], lat[32], sc_txt[64];
    snprintf(name, sizeof name, "%s, %s", r->model, r->variant);
    if (isfinite(r->score))
        snprintf(sc_txt, sizeof sc_txt, "%s %.3f [%.3f, %.3f]", r->metric, r->score, r->lo, r->hi);
    else
        snprintf(sc_txt, sizeof sc_txt, "-");
    if (isfinite(r->usd_per_1k))
        snprintf(cost, sizeof cost, "$%.3f", r->usd_per_1k);
    else
        snprintf(cost, sizeof cost, r->local ? "(local)" : "-");
    if (isfinite(r->p95_ms))
        snprintf(lat, sizeof lat, "%.0f ms", r->p95_ms);
    else
        snprintf(lat, sizeof lat, "-");
    printf("  %-44.44s %-30s %12s %10s\n", name, sc_txt, cost, lat);
}

/* The comparison of everything evaluated on the set (the session's, as the
 * review and the workbench show it), with question 2 against --target. */
static int compare(Store *s, const EvalSet *set, const char *digest, int64_t run, double target,
                   const Pricing *p, bool json) {
    SessionEvalComparison c;
    TpError err = {0};
    TpStatus st = session_eval_compare(s, set ? set->digest : digest, run, &c, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (!set && !c.n_rows) {
        session_eval_compare_free(&c);
        return cli_fail(tp_error_set(&err, TP_ENOTFOUND,
                                     "--set %s: no evaluations of a held-out set with that digest "
                                     "(tunepilot eval list)",
                                     digest),
                        &err);
    }
    const char *source = set ? set->source : c.source;
    int n_held = set ? set->n_held : c.rows[c.n_rows - 1].examples;
    SessionQuestion2 q2;
    session_eval_question2(&c, p, target, &q2);
    if (json) {
        cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
        cJSON_AddStringToObject(o, "set", source);
        cJSON_AddStringToObject(o, "digest", c.digest);
        for (int i = 0; i < c.n_rows; i++) {
            cJSON *r = cJSON_Duplicate(c.rows[i].result, true);
            cJSON_AddNumberToObject(r, "id", (double)c.rows[i].id);
            cJSON_AddStringToObject(r, "created_at", c.rows[i].created_at);
            cJSON_AddItemToArray(arr, r);
        }
        if (c.have_evidence) {
            const EvalEvidence *ev = &c.evidence;
            cJSON *e = cJSON_AddObjectToObject(o, "evidence");
            cJSON_AddNumberToObject(e, "variants_tried", ev->n_variants);
            tp_json_add_str(e, "best_variant", ev->best_variant[0] ? ev->best_variant : NULL);
            tp_json_add_str(e, "best_model", ev->best_model[0] ? ev->best_model : NULL);
            tp_json_add_str(e, "metric", ev->metric[0] ? ev->metric : NULL);
            tp_json_add_num(e, "best_score", ev->best_score);
            tp_json_add_num(e, "best_lo", ev->best_lo);
            tp_json_add_num(e, "best_hi", ev->best_hi);
            tp_json_add_num(e, "tuned_score", ev->tuned_score);
            tp_json_add_num(e, "base_score", ev->base_score);
        }
        cJSON *q = cJSON_AddObjectToObject(o, "question2");
        cJSON_AddStringToObject(q, "state", eval_question2_name(q2.state));
        tp_json_add_num(q, "target", q2.target);
        cJSON_AddNumberToObject(q, "rule_variants", q2.rule_variants);
        tp_json_add_str(q, "rule_source", q2.rule_source);
        tp_json_add_str(q, "rule_as_of", q2.rule_as_of);
        cJSON_AddStringToObject(q, "text", q2.text);
        char *t = cJSON_Print(o);
        puts(t);
        free(t);
        cJSON_Delete(o);
    } else {
        printf("evaluations of %d held-out example%s of %s\n", n_held, n_held == 1 ? "" : "s",
               source);
        printf("  %-44s %-30s %12s %10s\n", "model, prompt", "score [95% interval]", "per 1k req.",
               "p95");
        for (int i = 0; i < c.n_rows; i++)
            print_compare_row(&c.rows[i]);
        if (!c.n_rows)
            printf("  (none yet: tunepilot eval --run ID --url URL --model NAME)\n");
        else
            printf("question 2: %s\n  (rule prompt_iterations_before_finetune: %s, as of %s)\n",
                   q2.text, q2.rule_source ? q2.rule_source : "-",
                   q2.rule_as_of ? q2.rule_as_of : "-");
    }
    session_eval_compare_free(&c);
    return CLI_OK;
}

/* The measured latency as a probe, and the scenario option pointed at it. */
static TpStatus save_to_scenario(Store *s, const EvalArgs *a, const EvalRun *r, int64_t *probe_id,
                                 TpError *err) {
    StoreProbe p;
    memset(&p, 0, sizeof p);
    snprintf(p.url, sizeof p.url, "%s", r->endpoint);
    snprintf(p.model, sizeof p.model, "%s", r->model);
    p.requests = r->requests;
    p.concurrency = (int)a->concurrency;
    p.prompt_tokens = isfinite(r->mean_input_tokens) ? (int)lround(r->mean_input_tokens) : 0;
    p.max_tokens = (int)a->max_tokens;
    p.n_ok = r->n_ok;
    p.n_errors = r->n_failed;
    p.error_rate = r->n ? (double)r->n_failed / r->n : NAN;
    p.ttft_p50_ms = r->ttft_p50_ms;
    p.ttft_p95_ms = r->ttft_p95_ms;
    p.latency_p50_ms = r->latency_p50_ms;
    p.latency_p95_ms = r->latency_p95_ms;
    double *tps = tp_xcalloc((size_t)r->n + 1, sizeof(double));
    double *lat = tp_xcalloc((size_t)r->n + 1, sizeof(double));
    int nt = 0, nl = 0;
    for (int i = 0; i < r->n; i++) {
        const EvalSample *x = &r->samples[i];
        if (isfinite(x->latency_ms))
            lat[nl++] = x->latency_ms;
        double dec = (x->latency_ms - x->ttft_ms) / 1000;
        if (x->answer && x->output_tokens > 0 && isfinite(dec) && dec > 0.0005)
            tps[nt++] = (double)x->output_tokens / dec;
    }
    p.tokens_per_s_p50 = tp_quantile(tps, nt, 0.5);
    p.latency_p99_ms = tp_quantile(lat, nl, 0.99);
    free(tps);
    free(lat);
    p.detail = "{\"source\":\"tunepilot eval\"}";
    if (!isfinite(p.ttft_p50_ms) || !isfinite(p.tokens_per_s_p50))
        return tp_error_set(err, TP_EINVAL,
                            "--save-to: no answer measured a time to first token and a decode "
                            "speed, so there is nothing to save");
    /* the scenario first: a bad file or option stores nothing */
    char *text = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(a->save_scenario, 4u << 20, &text, &len, err);
    if (st != TP_OK)
        return st;
    cJSON *doc = NULL;
    st = tp_json_parse(text, len, a->save_scenario, &doc, err);
    free(text);
    if (st != TP_OK)
        return st;
    cJSON *opt = NULL, *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, "options")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (cJSON_IsString(id) && !strcmp(id->valuestring, a->save_option))
            opt = o;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(opt, "kind");
    if (!opt)
        st = tp_error_set(err, TP_EINVAL, "%s: $.options: no option with id \"%s\"",
                          a->save_scenario, a->save_option);
    else if (!cJSON_IsString(kind) ||
             (strcmp(kind->valuestring, "api") && strcmp(kind->valuestring, "rag") &&
              strcmp(kind->valuestring, "api_finetuned")))
        st = tp_error_set(err, TP_EINVAL,
                          "%s: option \"%s\": a measured endpoint fits an api, rag or "
                          "api_finetuned option",
                          a->save_scenario, a->save_option);
    if (st == TP_OK)
        st = store_probe_save(s, &p, probe_id, err);
    if (st == TP_OK) {
        cJSON_DeleteItemFromObjectCaseSensitive(opt, "ttft_ms");
        cJSON_DeleteItemFromObjectCaseSensitive(opt, "output_tokens_per_s");
        cJSON_DeleteItemFromObjectCaseSensitive(opt, "probe");
        cJSON_AddNumberToObject(opt, "probe", (double)*probe_id);
        if (isfinite(r->mean_input_tokens) && isfinite(r->mean_output_tokens)) {
            cJSON_DeleteItemFromObjectCaseSensitive(opt, "input_tokens");
            cJSON_DeleteItemFromObjectCaseSensitive(opt, "output_tokens");
            cJSON_AddNumberToObject(opt, "input_tokens", round(r->mean_input_tokens));
            cJSON_AddNumberToObject(opt, "output_tokens", round(r->mean_output_tokens));
        }
        char *out = cJSON_Print(doc);
        size_t ol = strlen(out);
        char *doc_text = tp_xmalloc(ol + 2);
        memcpy(doc_text, out, ol);
        doc_text[ol] = '\n';
        st = tp_file_write_atomic(a->save_scenario, doc_text, ol + 1, err);
        free(doc_text);
        free(out);
    }
    cJSON_Delete(doc);
    return st;
}

static void on_answer(void *ctx, int done, int total, bool cached) {
    (void)ctx;
    (void)cached;
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "\r%d/%d answered", done, total);
        if (done == total)
            fputc('\n', stderr);
    }
}

/* `eval list`: the held-out sets that have evaluations (the workbench's
 * Evals list), newest first. */
static int list_sets(const CliGlobal *g, int argc, char **argv) {
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else
            return cli_usage("eval", "list: unknown option %s", argv[i]);
    }
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    StoreEvalSet *sets = NULL;
    int n = 0;
    if (st == TP_OK)
        st = session_eval_sets(s, &sets, &n, &err);
    store_close(s);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "digest", sets[i].set_digest);
            cJSON_AddStringToObject(o, "source", sets[i].source);
            cJSON_AddNumberToObject(o, "run", (double)sets[i].run_id);
            cJSON_AddNumberToObject(o, "results", sets[i].n_results);
            cJSON_AddStringToObject(o, "newest", sets[i].newest);
            cJSON_AddItemToArray(arr, o);
        }
        char *t = cJSON_Print(arr);
        puts(t);
        free(t);
        cJSON_Delete(arr);
    } else {
        printf("%-16s %5s %7s  %-20s  %s\n", "set", "run", "results", "newest", "source");
        for (int i = 0; i < n; i++)
            printf("%-16s %5lld %7d  %-20s  %s\n", sets[i].set_digest, (long long)sets[i].run_id,
                   sets[i].n_results, sets[i].newest, sets[i].source);
        if (!n)
            printf("(none yet: tunepilot eval --run ID --url URL --model NAME)\n");
    }
    free(sets);
    return CLI_OK;
}

int cmd_eval(const CliGlobal *g, int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "list"))
        return list_sets(g, argc, argv);
    EvalArgs a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (a.set_digest) {
        Pricing cp;
        memset(&cp, 0, sizeof cp);
        st = cli_load_pricing(g, &s, a.snapshot, &cp, &err);
        rc = st == TP_OK ? compare(s, NULL, a.set_digest, 0, a.target, &cp, a.json)
                         : cli_fail(st, &err);
        pricing_free(&cp);
        store_close(s);
        return rc;
    }
    EvalSet set;
    st = a.run > 0 ? eval_set_from_run(s, a.run, &set, &err)
                   : eval_set_from_files(a.data, a.shots_from, &set, &err);
    if (st != TP_OK) {
        store_close(s);
        return cli_fail(st, &err);
    }
    eval_set_limit(&set, (int)a.limit);
    if (a.compare || a.local) {
        Pricing cp;
        memset(&cp, 0, sizeof cp);
        st = cli_load_pricing(g, &s, a.snapshot, &cp, &err);
        for (int tuned = 0; a.local && tuned < 2 && st == TP_OK; tuned++) {
            EvalRun r;
            st = eval_local(s, a.run, tuned, &set, (int)a.max_tokens, &r, &err);
            if (st == TP_OK && !a.no_save)
                st = eval_save(s, &set, &r, a.run, NULL, &err);
            if (st == TP_OK && !a.json)
                print_run(&r, &set);
            eval_run_free(&r);
        }
        rc = st == TP_OK ? compare(s, &set, NULL, a.run, a.target, &cp, a.json) : cli_fail(st, &err);
        pricing_free(&cp);
        eval_set_free(&set);
        store_close(s);
        return rc;
    }
    char *template_text = NULL;
    size_t tl = 0;
    if (a.template_path &&
        (st = tp_file_read(a.template_path, 1u << 20, &template_text, &tl, &err)) != TP_OK) {
        eval_set_free(&set);
        store_close(s);
        return cli_fail(st, &err);
    }
    if (template_text && !strstr(template_text, "{input}")) {
        free(template_text);
        eval_set_free(&set);
        store_close(s);
        return cli_usage("eval", "%s: a template needs {input} (where the question goes)",
                         a.template_path);
    }
    const char *base = strrchr(a.template_path ? a.template_path : "", '/');
    EvalPrompt p = {.system = a.system,
                    .shots = (int)a.shots,
                    .seed = (uint64_t)a.seed,
                    .template = template_text,
                    .template_name = base ? base + 1 : a.template_path};
    Pricing pr;
    memset(&pr, 0, sizeof pr);
    st = cli_load_pricing(g, &s, a.snapshot, &pr, &err);
    const PricingModel *pm = st == TP_OK ? pricing_find_model(&pr, a.model) : NULL;
    const char *key_env = a.key_env ? a.key_env : net_default_key_env(a.url);
    const char *key = NULL;
    if (st == TP_OK && key_env)
        st = net_api_key(key_env, a.key_env != NULL, &key, &err);
    EvalRemoteOptions o = {
        .url = a.url,
        .model = a.model,
        .api_key = key,
        .concurrency = (int)a.concurrency,
        .max_tokens = (int)a.max_tokens,
        .max_requests = (int)a.max_requests,
        .max_usd = a.max_usd,
        .input_per_mtok = isfinite(a.in_p) ? a.in_p
                          : pm             ? pm->input_per_mtok
                                           : NAN,
        .output_per_mtok = isfinite(a.out_p) ? a.out_p
                           : pm              ? pm->output_per_mtok
                                             : NAN,
        .cached_per_mtok = isfinite(a.cached_p) ? a.cached_p
                           : pm                 ? pm->cached_input_per_mtok
                                                : NAN,
        .on_answer = on_answer,
    };
    EvalRun r;
    memset(&r, 0, sizeof r);
    if (st == TP_OK)
        st = eval_remote(s, &set, &p, &o, &r, &err);
    int64_t id = 0, probe = 0;
    if (st == TP_OK && !a.no_save)
        st = eval_save(s, &set, &r, a.run > 0 ? a.run : 0, &id, &err);
    if (st == TP_OK && a.save_scenario)
        st = save_to_scenario(s, &a, &r, &probe, &err);
    if (st == TP_OK) {
        if (a.json) {
            cJSON *j = eval_run_json(&r);
            cJSON_AddStringToObject(j, "set", set.source);
            cJSON_AddStringToObject(j, "digest", set.digest);
            if (id)
                cJSON_AddNumberToObject(j, "id", (double)id);
            if (probe)
                cJSON_AddNumberToObject(j, "probe", (double)probe);
            cJSON_AddItemToObject(j, "pricing", cli_pricing_json(&pr));
            char *t = cJSON_Print(j);
            puts(t);
            free(t);
            cJSON_Delete(j);
        } else {
            print_run(&r, &set);
            char note[512];
            cli_pricing_note(&pr, note, sizeof note);
            printf("  prices          %s\n", isfinite(a.in_p) || isfinite(a.out_p)
                                                 ? "given on the command line"
                                             : pm ? note
                                                  : "none");
            if (probe)
                printf("  saved           probe %lld; %s option \"%s\" now uses it\n",
                       (long long)probe, a.save_scenario, a.save_option);
        }
        rc = CLI_OK;
    } else {
        net_redact_error(&err, key);
        rc = cli_fail(st, &err);
    }
    eval_run_free(&r);
    pricing_free(&pr);
    free(template_text);
    eval_set_free(&set);
    store_close(s);
    return rc;
}
