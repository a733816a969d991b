/* cmd_probe.c - `tunepilot probe`: measure a chat endpoint and store it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/json.h"
#include "tunepilot/net.h"
#include "tunepilot/probe.h"

static const char USAGE[] =
    "usage: tunepilot probe URL --model NAME [--requests N] [--concurrency C]\n"
    "                       [--prompt-tokens P] [--max-tokens M] [--api-key-env NAME]\n"
    "                       [--no-save] [--json]\n"
    "       tunepilot probe --list [--json]\n"
    "       tunepilot probe show ID [--json]\n"
    "\n"
    "Measures a real OpenAI-compatible chat endpoint with streamed requests\n"
    "(POST URL/chat/completions when URL ends with /v1, else URL itself): time to\n"
    "first token, output tokens/s, total latency p50/p95/p99 and the error rate.\n"
    "The result is stored; a scenario option (api, rag, api_finetuned) uses it as\n"
    "its measured latency with \"probe\": ID.\n"
    "\n"
    "  --model NAME        the model to ask for (required)\n"
    "  --requests N        requests in all (default 10)\n"
    "  --concurrency C     requests at a time (default 2)\n"
    "  --prompt-tokens P   prompt size, about 4 characters per token (default 500)\n"
    "  --max-tokens M      output tokens to ask for (default 200)\n"
    "  --api-key-env NAME  the environment variable holding the API key. Without it,\n"
    "                      OPENAI_API_KEY is sent only to https://api.openai.com and\n"
    "                      TOGETHER_API_KEY only to https://api.together.xyz; any other\n"
    "                      endpoint gets no key\n"
    "  --no-save           do not store the result\n"
    "  --list              stored probes, newest first\n";

static void ms(char *out, size_t n, double v) {
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.0f ms", v);
}

static void fmt(char *out, size_t n, int decimals, double v) {
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.*f", decimals, v);
}

static void print_probe(const StoreProbe *p, bool estimated) {
    char a[32], b[32], c[32];
    printf("probe %lld of %s (model %s, %s)\n", (long long)p->id, p->url, p->model, p->created_at);
    printf("  requests        %d (concurrency %d, prompt ~%d tokens, max %d tokens): %d ok, %d "
           "failed, error rate %.1f%%\n",
           p->requests, p->concurrency, p->prompt_tokens, p->max_tokens, p->n_ok, p->n_errors,
           100 * p->error_rate);
    ms(a, sizeof a, p->ttft_p50_ms);
    ms(b, sizeof b, p->ttft_p95_ms);
    printf("  first token     p50 %s, p95 %s\n", a, b);
    if (isnan(p->tokens_per_s_p50))
        printf("  output speed    -\n");
    else
        printf("  output speed    p50 %.1f tokens/s%s\n", p->tokens_per_s_p50,
               estimated ? " (some counts are content chunks: no usage chunk)" : "");
    ms(a, sizeof a, p->latency_p50_ms);
    ms(b, sizeof b, p->latency_p95_ms);
    ms(c, sizeof c, p->latency_p99_ms);
    printf("  total latency   p50 %s, p95 %s, p99 %s\n", a, b, c);
}

/* The distinct errors of a probe's samples (from its detail JSON). */
static void print_errors(const char *detail) {
    cJSON *j = cJSON_Parse(detail ? detail : "{}");
    const cJSON *s, *samples = cJSON_GetObjectItemCaseSensitive(j, "samples");
    const char *seen[8];
    int counts[8], n = 0;
    cJSON_ArrayForEach(s, samples) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "error");
        if (!cJSON_IsString(e))
            continue;
        int k = 0;
        while (k < n && strcmp(seen[k], e->valuestring))
            k++;
        if (k == n && n < 8) {
            seen[n] = e->valuestring;
            counts[n++] = 0;
        }
        if (k < n)
            counts[k]++;
    }
    for (int k = 0; k < n; k++)
        printf("  error           %dx %s\n", counts[k], seen[k]);
    cJSON_Delete(j);
}

static void on_sample(void *ctx, int done, int total, const ProbeSample *s) {
    (void)s;
    if (*(bool *)ctx)
        fprintf(stderr, "\rrequest %d of %d", done, total);
}

static int list_probes(const CliGlobal *g, bool json) {
    TpError err = {0};
    Store *store = NULL;
    StoreProbe *list = NULL;
    int n = 0;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_probe_list(store, &list, &n, &err);
    store_close(store);
    if (st != TP_OK)
        return cli_fail(st, &err);
    cJSON *arr = cJSON_CreateArray();
    if (!json)
        printf("%5s  %-20s  %-24s  %5s  %9s  %9s  %9s  %s\n", "probe", "created", "model", "err%",
               "ttft p50", "tok/s p50", "lat p95", "endpoint");
    for (int i = 0; i < n; i++) {
        const StoreProbe *p = &list[i];
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "probe", (double)p->id);
            cJSON_AddStringToObject(o, "created_at", p->created_at);
            cJSON_AddStringToObject(o, "endpoint", p->url);
            cJSON_AddStringToObject(o, "model", p->model);
            tp_json_add_num(o, "error_rate", p->error_rate);
            tp_json_add_num(o, "ttft_p50_ms", p->ttft_p50_ms);
            tp_json_add_num(o, "output_tokens_per_s_p50", p->tokens_per_s_p50);
            tp_json_add_num(o, "latency_p95_ms", p->latency_p95_ms);
            cJSON_AddItemToArray(arr, o);
        } else {
            char a[32], b[32], c[32];
            fmt(a, sizeof a, 0, p->ttft_p50_ms);
            fmt(b, sizeof b, 1, p->tokens_per_s_p50);
            fmt(c, sizeof c, 0, p->latency_p95_ms);
            printf("%5lld  %-20s  %-24s  %5.1f  %9s  %9s  %9s  %s\n", (long long)p->id,
                   p->created_at, p->model, 100 * p->error_rate, a, b, c, p->url);
        }
        store_probe_free(&list[i]);
    }
    free(list);
    if (json) {
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
    }
    cJSON_Delete(arr);
    return CLI_OK;
}

static int show_probe(const CliGlobal *g, const char *arg, bool json) {
    long long id;
    if (!cli_parse_ll(arg, &id))
        return cli_usage("probe", "show: expected a probe number");
    TpError err = {0};
    Store *store = NULL;
    StoreProbe p = {0};
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_probe_get(store, id, &p, &err);
    store_close(store);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (json) {
        puts(p.detail);
    } else {
        print_probe(&p, strstr(p.detail, "\"output_tokens_estimated\":true") != NULL);
        print_errors(p.detail);
    }
    store_probe_free(&p);
    return CLI_OK;
}

static bool take_int(int argc, char **argv, int *i, const char *name, int *out, int *rc) {
    const char *v = NULL;
    if (!cli_take(argc, argv, i, name, &v))
        return false;
    long long x;
    if (!cli_parse_ll(v, &x) || x < 1 || x > 1000000000) {
        *rc = cli_usage("probe", "%s: expected a positive whole number", name);
        return true;
    }
    *out = (int)x;
    return true;
}

int cmd_probe(const CliGlobal *g, int argc, char **argv) {
    ProbeOptions o = {.requests = 10, .concurrency = 2, .prompt_tokens = 500, .max_tokens = 200};
    const char *key_env = NULL, *show = NULL;
    bool json = false, no_save = false, list = false;
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--no-save")) {
            no_save = true;
        } else if (!strcmp(argv[i], "--list")) {
            list = true;
        } else if (cli_take(argc, argv, &i, "--model", &v)) {
            if (!v || !*v)
                return cli_usage("probe", "--model: expected a model name");
            o.model = v;
        } else if (cli_take(argc, argv, &i, "--api-key-env", &v)) {
            if (!v || !*v)
                return cli_usage("probe", "--api-key-env: expected a variable name");
            key_env = v;
        } else if (take_int(argc, argv, &i, "--requests", &o.requests, &rc) ||
                   take_int(argc, argv, &i, "--concurrency", &o.concurrency, &rc) ||
                   take_int(argc, argv, &i, "--prompt-tokens", &o.prompt_tokens, &rc) ||
                   take_int(argc, argv, &i, "--max-tokens", &o.max_tokens, &rc)) {
        } else if (argv[i][0] == '-') {
            return cli_usage("probe", "unknown option %s", argv[i]);
        } else if (!strcmp(argv[i], "show") && !o.url && !show && i + 1 < argc) {
            show = argv[++i];
        } else if (o.url) {
            return cli_usage("probe", "expected one URL, got %s and %s", o.url, argv[i]);
        } else {
            o.url = argv[i];
        }
    }
    if (rc != CLI_OK)
        return rc;
    if (list)
        return list_probes(g, json);
    if (show)
        return show_probe(g, show, json);
    if (!o.url)
        return cli_usage("probe", "expected the endpoint URL (e.g. http://localhost:8000/v1)");
    if (!o.model)
        return cli_usage("probe", "expected --model NAME");
    TpError err = {0};
    const char *env = key_env ? key_env : net_default_key_env(o.url);
    TpStatus st = net_api_key(env, env != NULL, &o.api_key, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    bool tty = isatty(STDERR_FILENO) && !json;
    o.on_sample = on_sample;
    o.ctx = &tty;
    ProbeResult r;
    st = probe_run(&o, &r, &err);
    if (tty)
        fputc('\n', stderr);
    if (st != TP_OK)
        return cli_fail(st, &err);
    StoreProbe rec;
    probe_to_store(&o, &r, &rec);
    Store *store = NULL;
    if (!no_save) {
        st = cli_open_store(g, &store, &err);
        if (st == TP_OK)
            st = store_probe_save(store, &rec, &rec.id, &err);
        if (st == TP_OK) {
            StoreProbe back; /* for the stored date */
            if (store_probe_get(store, rec.id, &back, &err) == TP_OK) {
                snprintf(rec.created_at, sizeof rec.created_at, "%s", back.created_at);
                store_probe_free(&back);
            }
        }
        store_close(store);
    }
    if (st != TP_OK) {
        rc = cli_fail(st, &err);
    } else if (json) {
        cJSON *j = probe_result_to_json(&o, &r);
        if (!no_save)
            cJSON_AddNumberToObject(j, "probe", (double)rec.id);
        char *s = cJSON_Print(j);
        puts(s);
        free(s);
        cJSON_Delete(j);
    } else {
        if (no_save)
            snprintf(rec.created_at, sizeof rec.created_at, "not saved");
        print_probe(&rec, r.tokens_estimated);
        print_errors(rec.detail);
        if (!no_save && r.n_ok)
            printf("use it in a scenario option (api, rag, api_finetuned): \"probe\": %lld\n",
                   (long long)rec.id);
    }
    if (rc == CLI_OK && r.n_ok == 0) {
        fprintf(stderr, "tunepilot: probe: no request succeeded (%s)\n",
                r.n_requests ? r.samples[0].error : "none ran");
        rc = CLI_FAIL;
    }
    store_probe_free(&rec);
    probe_result_free(&r);
    return rc;
}
