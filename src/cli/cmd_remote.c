/* cmd_remote.c - `tunepilot remote submit|watch|list|cancel`: hosted
 * fine-tuning through an OpenAI-compatible API, recorded as runs. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/json.h"
#include "tunepilot/net.h"
#include "tunepilot/remote.h"

static const char USAGE[] =
    "usage: tunepilot remote submit --provider openai --model BASE --data FILE\n"
    "                               [--validation FILE] [--epochs N] [--suffix S]\n"
    "                               [--base-url URL] [--api-key-env NAME] [--yes]\n"
    "                               [--dry-run] [--json]\n"
    "       tunepilot remote watch ID [--interval SECONDS] [--once] [--base-url URL]\n"
    "                                 [--api-key-env NAME]\n"
    "       tunepilot remote list [--json]\n"
    "       tunepilot remote cancel ID [--base-url URL] [--api-key-env NAME]\n"
    "\n"
    "  submit  audits the chat JSONL data (OpenAI's format checks; tokens approximated\n"
    "          as 4 characters each), shows the estimated training cost (OpenAI's\n"
    "          default-epochs rule x billed tokens x the finetune table's training\n"
    "          price), asks to confirm (--yes skips; without a terminal --yes is\n"
    "          required), uploads the files, creates the job and records it as a run\n"
    "  watch   follows a job (ID: the run number or the provider's job id): events,\n"
    "          train and validation loss into the run's curves, until it ends\n"
    "          (--once: one poll; --interval: seconds between polls, default 15)\n"
    "  list    hosted jobs recorded here\n"
    "  cancel  asks the provider to cancel the job\n"
    "\n"
    "The API key comes from OPENAI_API_KEY when the base URL is https://api.openai.com,\n"
    "else from the variable named by --api-key-env (only its NAME is recorded). Keys go\n"
    "only over https (plain http only to localhost). watch and cancel take the endpoint\n"
    "and the key's variable from the command line, never from the database alone: a job\n"
    "submitted elsewhere than api.openai.com needs --base-url (the one it was submitted\n"
    "to) and --api-key-env again.\n"
    "--base-url defaults to " REMOTE_OPENAI_BASE " (/v1 is added when missing).\n";

/* --- submit --------------------------------------------------------------------------------- */

typedef struct Submit {
    const char *provider, *model, *data, *validation, *suffix, *base_url, *key_env;
    int epochs;
    bool yes, dry_run, json;
} Submit;

static void print_audit(const char *what, const char *path, const RemoteAudit *a) {
    fprintf(stderr,
            "%s %s: %d examples, about %lld tokens (4 characters per token; "
            "longest example ~%lld), %d errors, %d warnings\n",
            what, path, a->n_examples, a->approx_tokens, a->max_example_tokens, a->n_errors,
            a->n_warnings);
    for (int i = 0; i < a->n_problems; i++)
        fprintf(stderr, "  %s\n", a->problems[i]);
    if (a->no_system)
        fprintf(stderr, "  warning: %d examples have no system message\n", a->no_system);
    if (a->no_user)
        fprintf(stderr, "  warning: %d examples have no user message\n", a->no_user);
    if (a->blank_lines)
        fprintf(stderr, "  warning: %d blank lines\n", a->blank_lines);
}

static bool confirm(const char *question) {
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

static TpStatus resolve_key(const char *explicit_env, const char *base, const char **env,
                            const char **key, TpError *err) {
    *env = explicit_env ? explicit_env : net_default_key_env(base);
    if (!*env)
        return tp_error_set(err, TP_EINVAL,
                            "no API key for %s: name the environment variable that holds it "
                            "with --api-key-env NAME (a default key is sent only to "
                            "https://api.openai.com)",
                            base);
    return net_api_key(*env, true, key, err);
}

static int submit(const CliGlobal *g, const Submit *o) {
    if (strcmp(o->provider, "openai"))
        return cli_usage("remote",
                         "--provider %s: only \"openai\" (the OpenAI fine-tuning API, or a "
                         "server that speaks it via --base-url) is supported",
                         o->provider);
    TpError err = {0};
    RemoteAudit train, valid;
    TpStatus st = remote_audit_file(o->data, REMOTE_MIN_TRAIN_EXAMPLES, &train, &err);
    if (st == TP_OK && o->validation)
        st = remote_audit_file(o->validation, 0, &valid, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    print_audit("training data", o->data, &train);
    if (o->validation)
        print_audit("validation data", o->validation, &valid);
    if (train.n_errors || (o->validation && valid.n_errors)) {
        fprintf(stderr, "tunepilot: the data fails OpenAI's format checks; fix the errors "
                        "above (nothing was uploaded)\n");
        return CLI_USAGE;
    }
    Pricing p = {0};
    st = pricing_load_bundled(&p, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    RemoteEstimate e;
    remote_estimate(&p, o->model, &train, o->epochs, &e);
    char cost[64] = "unknown";
    if (!isnan(e.cost_usd))
        snprintf(cost, sizeof cost, e.cost_usd >= 0.01 ? "$%.2f" : "$%.4f", e.cost_usd);
    fprintf(stderr, "estimated training cost: %s = %d epochs%s x %lld billed tokens", cost,
            e.epochs, e.epochs_auto ? " (OpenAI's default for this many examples)" : "",
            e.billed_tokens);
    if (!isnan(e.training_per_mtok))
        fprintf(stderr, " x $%.2f per 1M training tokens (%s, %s, as of %s)\n", e.training_per_mtok,
                e.price_id, e.price_source, e.price_as_of);
    else if (e.price_id)
        fprintf(stderr, "; %s is not billed per token (see: tunepilot pricing show %s)\n",
                e.price_id, e.price_id);
    else
        fprintf(stderr,
                "; no training price for %s in the finetune table (see: tunepilot "
                "pricing list --table finetune)\n",
                o->model);
    fprintf(stderr, "  (tokens are approximated at 4 characters each; the provider counts "
                    "exactly and bills trained_tokens)\n");
    cJSON *estimate = cJSON_CreateObject();
    cJSON_AddNumberToObject(estimate, "examples", train.n_examples);
    cJSON_AddNumberToObject(estimate, "approx_tokens", (double)train.approx_tokens);
    cJSON_AddNumberToObject(estimate, "billed_tokens", (double)e.billed_tokens);
    cJSON_AddNumberToObject(estimate, "epochs", e.epochs);
    cJSON_AddBoolToObject(estimate, "epochs_auto", e.epochs_auto);
    cJSON_AddNumberToObject(estimate, "charged_tokens", (double)e.charged_tokens);
    tp_json_add_num(estimate, "training_per_mtok", e.training_per_mtok);
    tp_json_add_num(estimate, "cost_usd", e.cost_usd);
    tp_json_add_str(estimate, "price", e.price_id);
    tp_json_add_str(estimate, "price_source", e.price_source);
    tp_json_add_str(estimate, "price_as_of", e.price_as_of);
    pricing_free(&p);
    if (o->dry_run) {
        if (o->json) {
            char *s = cJSON_Print(estimate);
            puts(s);
            free(s);
        }
        cJSON_Delete(estimate);
        fprintf(stderr, "dry run: nothing uploaded\n");
        return CLI_OK;
    }

    RemoteClient c;
    const char *env = NULL, *key = NULL;
    st = remote_client_init(&c, o->base_url, NULL, &err);
    if (st == TP_OK)
        st = resolve_key(o->key_env, c.base, &env, &key, &err);
    if (st != TP_OK) {
        cJSON_Delete(estimate);
        return cli_fail(st, &err);
    }
    c.api_key = key;
    if (!o->yes) {
        if (!isatty(STDIN_FILENO)) {
            cJSON_Delete(estimate);
            fprintf(stderr, "tunepilot: not submitting: confirmation needed and standard input "
                            "is not a terminal; pass --yes to submit (the estimate is above)\n");
            return CLI_USAGE;
        }
        char q[200];
        snprintf(q, sizeof q, "Upload the data and start the fine-tuning job on %s (about %s)?",
                 c.base, cost);
        if (!confirm(q)) {
            cJSON_Delete(estimate);
            fprintf(stderr, "not submitted\n");
            return CLI_FAIL;
        }
    }

    char train_id[256] = "", valid_id[256] = "";
    fprintf(stderr, "uploading %s ...\n", o->data);
    st = remote_upload(&c, o->data, train_id, sizeof train_id, NULL, NULL, &err);
    if (st == TP_OK && o->validation) {
        fprintf(stderr, "uploading %s ...\n", o->validation);
        st = remote_upload(&c, o->validation, valid_id, sizeof valid_id, NULL, NULL, &err);
    }
    cJSON *job = NULL;
    if (st == TP_OK) {
        RemoteJobSpec spec = {o->model, train_id, o->validation ? valid_id : NULL, o->suffix,
                              o->epochs};
        st = remote_create_job(&c, &spec, &job, &err);
    }
    if (st != TP_OK) {
        cJSON_Delete(estimate);
        return cli_fail(st, &err);
    }
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(job, "id");
    const cJSON *jst = cJSON_GetObjectItemCaseSensitive(job, "status");
    const char *status = cJSON_IsString(jst) ? jst->valuestring : "validating_files";

    /* Record it: the run and its job, together. */
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "kind", "tunepilot.hosted_job");
    cJSON_AddStringToObject(cfg, "provider", o->provider);
    cJSON_AddStringToObject(cfg, "base_url", c.base);
    cJSON_AddStringToObject(cfg, "api_key_env", env);
    cJSON_AddStringToObject(cfg, "job_id", jid->valuestring);
    cJSON_AddStringToObject(cfg, "training_file", train_id);
    tp_json_add_str(cfg, "validation_file", o->validation ? valid_id : NULL);
    tp_json_add_str(cfg, "validation_data", o->validation);
    if (o->epochs > 0)
        cJSON_AddNumberToObject(cfg, "epochs", o->epochs);
    else
        cJSON_AddStringToObject(cfg, "epochs", "auto");
    tp_json_add_str(cfg, "suffix", o->suffix);
    cJSON_AddItemToObject(cfg, "estimate", estimate);
    StoreRun run = {0};
    snprintf(run.kind, sizeof run.kind, "hosted");
    run.status = run_status_parse(remote_run_status(status));
    snprintf(run.model, sizeof run.model, "%s", o->model);
    snprintf(run.data, sizeof run.data, "%s", o->data);
    snprintf(run.method, sizeof run.method, "hosted");
    run.config = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    StoreHostedJob hj = {0};
    snprintf(hj.provider, sizeof hj.provider, "%s", o->provider);
    snprintf(hj.base_url, sizeof hj.base_url, "%s", c.base);
    snprintf(hj.key_env, sizeof hj.key_env, "%s", env);
    snprintf(hj.job_id, sizeof hj.job_id, "%s", jid->valuestring);
    snprintf(hj.status, sizeof hj.status, "%s", status);
    Store *store = NULL;
    int64_t run_id = 0;
    st = cli_open_store(g, &store, &err);
    if (st == TP_OK) {
        sqlite3_exec(store_db(store), "BEGIN IMMEDIATE;", NULL, NULL, NULL);
        st = store_run_create(store, &run, &run_id, &err);
        hj.run_id = run_id;
        if (st == TP_OK)
            st = store_hosted_job_create(store, &hj, &err);
        sqlite3_exec(store_db(store), st == TP_OK ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL);
    }
    store_close(store);
    free(run.config);
    int rc = CLI_OK;
    if (st != TP_OK) {
        fprintf(stderr, "tunepilot: the job %s was created but could not be recorded\n", hj.job_id);
        rc = cli_fail(st, &err);
    } else if (o->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "run", (double)run_id);
        cJSON_AddStringToObject(out, "job_id", hj.job_id);
        cJSON_AddStringToObject(out, "status", status);
        cJSON_AddStringToObject(out, "training_file", train_id);
        char *s = cJSON_Print(out);
        puts(s);
        free(s);
        cJSON_Delete(out);
    } else {
        printf("run %lld: job %s (%s), training file %s\nfollow it: tunepilot remote watch "
               "%lld\n",
               (long long)run_id, hj.job_id, status, train_id, (long long)run_id);
    }
    cJSON_Delete(job);
    return rc;
}

/* --- the recorded job for an ID ----------------------------------------------------------------
 */

static TpStatus find_job(Store *s, const char *id, StoreHostedJob *j, TpError *err) {
    long long n;
    if (cli_parse_ll(id, &n))
        return store_hosted_job_get(s, n, j, err);
    return store_hosted_job_find(s, id, j, err);
}

/* The client for a recorded job. The database says which job; where the
 * key goes and which key are the user's to say: the endpoint is the one
 * named by --base-url (it must match the recorded one), or the default
 * OpenAI API when that is where the job was recorded; the key comes from
 * --api-key-env, or the endpoint's default variable (net_default_key_env).
 * A row's own key_env or base_url never chooses on its own, so a database
 * from elsewhere cannot send a key to a host of its choosing. */
static TpStatus client_for(const StoreHostedJob *j, const char *key_env, const char *base_url,
                           RemoteClient *c, TpError *err) {
    RemoteClient recorded;
    TpStatus st = remote_client_init(&recorded, j->base_url, NULL, err);
    if (st != TP_OK) {
        tp_error_prefix(err, "run %lld's recorded endpoint", (long long)j->run_id);
        return st;
    }
    st = remote_client_init(c, base_url, NULL, err);
    if (st != TP_OK)
        return st;
    if (strcmp(recorded.base, c->base)) {
        if (base_url)
            return tp_error_set(err, TP_EINVAL,
                                "--base-url %s: run %lld's job %s was submitted to %s, not there",
                                c->base, (long long)j->run_id, j->job_id, recorded.base);
        return tp_error_set(err, TP_EINVAL,
                            "run %lld's job %s was submitted to %s; the database alone does not "
                            "choose where an API key is sent: confirm the endpoint with "
                            "--base-url %s (and name the key's variable with --api-key-env)",
                            (long long)j->run_id, j->job_id, recorded.base, recorded.base);
    }
    if (!key_env && !net_default_key_env(c->base)) {
        /* the recorded name is only a hint to the user, never used */
        bool plain = j->key_env[0] && strspn(j->key_env, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "abcdefghijklmnopqrstuvwxyz0123456789_") ==
                                          strlen(j->key_env);
        return tp_error_set(err, TP_EINVAL,
                            "no API key for %s: name the environment variable that holds it with "
                            "--api-key-env NAME%s%s%s",
                            c->base, plain ? " (the job was submitted with " : "",
                            plain ? j->key_env : "", plain ? ")" : "");
    }
    const char *env = NULL, *key = NULL;
    st = resolve_key(key_env, c->base, &env, &key, err);
    if (st == TP_OK && !net_url_may_carry_key(c->base))
        st = tp_error_set(err, TP_EINVAL,
                          "%s: an API key is sent only over https (plain http only to "
                          "localhost, 127.0.0.1 or [::1])",
                          c->base);
    c->api_key = st == TP_OK ? key : NULL;
    return st;
}

static void pause_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static void print_event(void *ctx, const char *level, const char *message, long long at) {
    (void)ctx;
    (void)at;
    printf("[%s] %s\n", level, message);
    fflush(stdout);
}

static int watch(const CliGlobal *g, const char *id, const char *key_env, const char *base_url,
                 double interval, bool once) {
    TpError err = {0};
    Store *store = NULL;
    StoreHostedJob j;
    RemoteClient c;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = find_job(store, id, &j, &err);
    if (st == TP_OK)
        st = client_for(&j, key_env, base_url, &c, &err);
    char last[32] = "";
    RemoteSyncResult r = {0};
    while (st == TP_OK) {
        st = remote_sync(store, &c, &j, print_event, NULL, &r, &err);
        if (st != TP_OK)
            break;
        if (strcmp(last, r.status)) {
            printf("run %lld, job %s: %s (run %s)\n", (long long)j.run_id, j.job_id, r.status,
                   r.run_status);
            fflush(stdout);
            snprintf(last, sizeof last, "%s", r.status);
        }
        if (r.finished || once)
            break;
        pause_s(interval);
    }
    store_close(store);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (r.finished && !strcmp(r.status, "failed")) {
        fprintf(stderr, "tunepilot: job %s failed: %s\n", j.job_id, r.message);
        return CLI_FAIL;
    }
    if (r.finished && r.message[0])
        printf("%s\n", r.message);
    return CLI_OK;
}

static int list(const CliGlobal *g, bool json) {
    TpError err = {0};
    Store *store = NULL;
    StoreHostedJob *jobs = NULL;
    int n = 0;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_hosted_job_list(store, &jobs, &n, &err);
    if (st != TP_OK) {
        store_close(store);
        return cli_fail(st, &err);
    }
    cJSON *arr = cJSON_CreateArray();
    if (!json)
        printf("%5s  %-28s  %-9s  %-16s  %-10s  %-28s  %s\n", "run", "job", "provider",
               "job status", "run", "model", "updated");
    for (int i = 0; i < n; i++) {
        StoreRun r = {0};
        TpError e2 = {0};
        bool have = store_run_get(store, jobs[i].run_id, &r, &e2) == TP_OK;
        const char *model = jobs[i].fine_tuned_model[0] ? jobs[i].fine_tuned_model
                            : have                      ? r.model
                                                        : "";
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "run", (double)jobs[i].run_id);
            cJSON_AddStringToObject(o, "job_id", jobs[i].job_id);
            cJSON_AddStringToObject(o, "provider", jobs[i].provider);
            cJSON_AddStringToObject(o, "base_url", jobs[i].base_url);
            cJSON_AddStringToObject(o, "job_status", jobs[i].status);
            cJSON_AddStringToObject(o, "run_status", have ? run_status_name(r.status) : "");
            cJSON_AddStringToObject(o, "base_model", have ? r.model : "");
            tp_json_add_str(o, "fine_tuned_model",
                            jobs[i].fine_tuned_model[0] ? jobs[i].fine_tuned_model : NULL);
            cJSON_AddStringToObject(o, "updated_at", jobs[i].updated_at);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%5lld  %-28s  %-9s  %-16s  %-10s  %-28s  %s\n", (long long)jobs[i].run_id,
                   jobs[i].job_id, jobs[i].provider, jobs[i].status, have ? run_status_name(r.status) : "?", model,
                   jobs[i].updated_at);
        }
        store_run_free(&r);
    }
    if (json) {
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
    } else if (!n) {
        printf("(no hosted jobs yet: tunepilot remote submit --help)\n");
    }
    cJSON_Delete(arr);
    free(jobs);
    store_close(store);
    return CLI_OK;
}

static int cancel(const CliGlobal *g, const char *id, const char *key_env,
                  const char *base_url) {
    TpError err = {0};
    Store *store = NULL;
    StoreHostedJob j;
    RemoteClient c;
    cJSON *job = NULL;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = find_job(store, id, &j, &err);
    if (st == TP_OK)
        st = client_for(&j, key_env, base_url, &c, &err);
    if (st == TP_OK)
        st = remote_cancel_job(&c, j.job_id, &job, &err);
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(job, "status");
    char status[32];
    snprintf(status, sizeof status, "%s", cJSON_IsString(js) ? js->valuestring : "cancelled");
    if (st == TP_OK) {
        snprintf(j.status, sizeof j.status, "%s", status);
        st = store_hosted_job_update(store, &j, &err);
    }
    if (st == TP_OK)
        st = store_run_set_status(store, j.run_id, run_status_parse(remote_run_status(status)),
                                  "cancelled on request", &err);
    store_close(store);
    cJSON_Delete(job);
    if (st != TP_OK)
        return cli_fail(st, &err);
    printf("run %lld, job %s: %s\n", (long long)j.run_id, j.job_id, status);
    return CLI_OK;
}

int cmd_remote(const CliGlobal *g, int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1], *arg = NULL;
    Submit o = {.provider = "openai"};
    double interval = 15;
    bool once = false;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            o.json = true;
        } else if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y")) {
            o.yes = true;
        } else if (!strcmp(argv[i], "--dry-run")) {
            o.dry_run = true;
        } else if (!strcmp(argv[i], "--once")) {
            once = true;
        } else if (cli_take(argc, argv, &i, "--provider", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--provider: expected openai");
            o.provider = v;
        } else if (cli_take(argc, argv, &i, "--model", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--model: expected the base model to fine-tune");
            o.model = v;
        } else if (cli_take(argc, argv, &i, "--data", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--data: expected a chat JSONL file");
            o.data = v;
        } else if (cli_take(argc, argv, &i, "--validation", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--validation: expected a chat JSONL file");
            o.validation = v;
        } else if (cli_take(argc, argv, &i, "--suffix", &v)) {
            if (!v || !*v || strlen(v) > 64)
                return cli_usage("remote", "--suffix: expected up to 64 characters");
            o.suffix = v;
        } else if (cli_take(argc, argv, &i, "--base-url", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--base-url: expected a URL");
            o.base_url = v;
        } else if (cli_take(argc, argv, &i, "--api-key-env", &v)) {
            if (!v || !*v)
                return cli_usage("remote", "--api-key-env: expected a variable name");
            o.key_env = v;
        } else if (cli_take(argc, argv, &i, "--epochs", &v)) {
            long long e;
            if (!cli_parse_ll(v, &e) || e < 1 || e > 50)
                return cli_usage("remote", "--epochs: expected 1 to 50");
            o.epochs = (int)e;
        } else if (cli_take(argc, argv, &i, "--interval", &v)) {
            char *end = NULL;
            errno = 0;
            interval = v ? strtod(v, &end) : -1;
            if (!v || errno || *end || !(interval >= 0.01 && interval <= 3600))
                return cli_usage("remote", "--interval: expected seconds, 0.01 to 3600");
        } else if (argv[i][0] == '-') {
            return cli_usage("remote", "unknown option %s", argv[i]);
        } else if (arg) {
            return cli_usage("remote", "unexpected argument %s", argv[i]);
        } else {
            arg = argv[i];
        }
    }
    if (!strcmp(sub, "submit")) {
        if (arg)
            return cli_usage("remote", "submit: unexpected argument %s", arg);
        if (!o.model || !o.data)
            return cli_usage("remote", "submit: expected --model BASE and --data FILE");
        return submit(g, &o);
    }
    if (!strcmp(sub, "list"))
        return list(g, o.json);
    if (!strcmp(sub, "watch") || !strcmp(sub, "cancel")) {
        if (!arg)
            return cli_usage("remote", "%s: expected a run number or a job id", sub);
        return !strcmp(sub, "watch") ? watch(g, arg, o.key_env, o.base_url, interval, once)
                                     : cancel(g, arg, o.key_env, o.base_url);
    }
    return cli_usage("remote",
                     "unknown subcommand \"%s\" (expected submit, watch, list or "
                     "cancel)",
                     sub);
}
