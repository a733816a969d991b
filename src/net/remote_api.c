/* remote_api.c - the OpenAI fine-tuning API (files, jobs, events,
 * checkpoints), and one poll of a job into the runs tables. Wire formats:
 * the ecosystem survey, section C1. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tunepilot/limits.h"
#include "tunepilot/arena.h"
#include "tunepilot/json.h"
#include "tunepilot/remote.h"

#define PAGE_LIMIT 100

TpStatus remote_client_init(RemoteClient *c, const char *base_url, const char *api_key,
                            TpError *err) {
    memset(c, 0, sizeof *c);
    const char *b = base_url && *base_url ? base_url : REMOTE_OPENAI_BASE;
    if (strncasecmp(b, "http://", 7) && strncasecmp(b, "https://", 8))
        return tp_error_set(err, TP_EINVAL,
                            "--base-url: \"%s\": expected an http:// or https:// URL such as %s", b,
                            REMOTE_OPENAI_BASE);
    const char *host = strstr(b, "://") + 3;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        return tp_error_set(err, TP_EINVAL,
                            "--base-url: user:password in the URL is not supported (the URL is "
                            "recorded); name the key's variable with --api-key-env");
    size_t n = strlen(b);
    while (n > 8 && b[n - 1] == '/')
        n--;
    if (n + 4 >= sizeof c->base)
        return tp_error_set(err, TP_EINVAL, "--base-url: too long");
    bool v1 = n >= 3 && !strncmp(b + n - 3, "/v1", 3);
    snprintf(c->base, sizeof c->base, "%.*s%s", (int)n, b, v1 ? "" : "/v1");
    c->api_key = api_key;
    return TP_OK;
}

/* Ids travel in paths and queries: letters, digits, '-', '_', '.', ':'. */
static TpStatus check_id(const char *what, const char *id, TpError *err) {
    if (!id || !*id || strlen(id) > 200)
        return tp_error_set(err, TP_EINVAL, "expected a %s", what);
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.' || *c == ':'))
            return tp_error_set(err, TP_EINVAL, "\"%s\" is not a valid %s", id, what);
    return TP_OK;
}

/* One JSON call: method path (relative to the base), optional JSON body. */
static TpStatus call(const RemoteClient *c, const char *method, const char *path, const cJSON *body,
                     const NetPart *parts, int n_parts, NetProgressFn progress, void *ctx,
                     cJSON **out, TpError *err) {
    *out = NULL;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    static const char *const json_headers[] = {"Content-Type: application/json",
                                               "Accept: application/json", NULL};
    static const char *const accept[] = {"Accept: application/json", NULL};
    NetRequest rq = {.method = method,
                     .url = url,
                     .headers = text ? json_headers : accept,
                     .body = text,
                     .body_len = text ? strlen(text) : 0,
                     .parts = parts,
                     .n_parts = n_parts,
                     .bearer = c->api_key,
                     .max_bytes = TP_MAX_API_ANSWER_BYTES,
                     .retries = -1,
                     .progress = progress,
                     .progress_ctx = ctx};
    NetResponse rs;
    TpStatus st = net_http(&rq, &rs, err);
    cJSON_free(text);
    if (st == TP_OK) {
        char name[2100];
        snprintf(name, sizeof name, "%s %s", method, url);
        st = tp_json_parse(rs.body ? rs.body : "", rs.len, name, out, err);
        if (st == TP_OK && !cJSON_IsObject(*out)) {
            st = tp_error_set(err, TP_EINVAL, "%s: expected a JSON object", name);
            cJSON_Delete(*out);
            *out = NULL;
        }
    }
    net_redact_error(err, c->api_key);
    net_response_free(&rs);
    return st;
}

TpStatus remote_upload(const RemoteClient *c, const char *path, char *id, size_t size,
                       NetProgressFn progress, void *ctx, TpError *err) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    NetPart parts[2] = {
        {.name = "purpose", .value = "fine-tune"},
        {.name = "file", .file_path = path, .filename = base, .content_type = "application/jsonl"}};
    cJSON *o;
    TpStatus st = call(c, "POST", "/files", NULL, parts, 2, progress, ctx, &o, err);
    if (st != TP_OK)
        return st;
    const cJSON *fid = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (cJSON_IsString(fid) && check_id("file id", fid->valuestring, NULL) == TP_OK)
        snprintf(id, size, "%s", fid->valuestring);
    else
        st = tp_error_set(err, TP_EINVAL, "POST %s/files: the answer has no file \"id\"", c->base);
    cJSON_Delete(o);
    return st;
}

TpStatus remote_create_job(const RemoteClient *c, const RemoteJobSpec *spec, cJSON **job,
                           TpError *err) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", spec->model);
    cJSON_AddStringToObject(b, "training_file", spec->training_file);
    if (spec->validation_file)
        cJSON_AddStringToObject(b, "validation_file", spec->validation_file);
    if (spec->suffix)
        cJSON_AddStringToObject(b, "suffix", spec->suffix);
    cJSON *method = cJSON_AddObjectToObject(b, "method");
    cJSON_AddStringToObject(method, "type", "supervised");
    cJSON *sup = cJSON_AddObjectToObject(method, "supervised");
    cJSON *hp = cJSON_AddObjectToObject(sup, "hyperparameters");
    if (spec->epochs > 0)
        cJSON_AddNumberToObject(hp, "n_epochs", spec->epochs);
    else
        cJSON_AddStringToObject(hp, "n_epochs", "auto");
    TpStatus st = call(c, "POST", "/fine_tuning/jobs", b, NULL, 0, NULL, NULL, job, err);
    cJSON_Delete(b);
    if (st == TP_OK && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(*job, "id"))) {
        cJSON_Delete(*job);
        *job = NULL;
        st = tp_error_set(err, TP_EINVAL,
                          "POST %s/fine_tuning/jobs: the answer has no job "
                          "\"id\"",
                          c->base);
    }
    return st;
}

TpStatus remote_get_job(const RemoteClient *c, const char *id, cJSON **job, TpError *err) {
    *job = NULL;
    TpStatus st = check_id("job id", id, err);
    char path[300];
    snprintf(path, sizeof path, "/fine_tuning/jobs/%s", id);
    return st == TP_OK ? call(c, "GET", path, NULL, NULL, 0, NULL, NULL, job, err) : st;
}

TpStatus remote_cancel_job(const RemoteClient *c, const char *id, cJSON **job, TpError *err) {
    *job = NULL;
    TpStatus st = check_id("job id", id, err);
    char path[300];
    snprintf(path, sizeof path, "/fine_tuning/jobs/%s/cancel", id);
    return st == TP_OK ? call(c, "POST", path, NULL, NULL, 0, NULL, NULL, job, err) : st;
}

TpStatus remote_list_page(const RemoteClient *c, const char *id, const char *what,
                          const char *after, int limit, cJSON **page, TpError *err) {
    *page = NULL;
    TpStatus st = check_id("job id", id, err);
    if (st == TP_OK && after && *after)
        st = check_id("cursor", after, err);
    if (st != TP_OK)
        return st;
    char path[700];
    snprintf(path, sizeof path, "/fine_tuning/jobs/%s/%s?limit=%d%s%s", id, what, limit,
             after && *after ? "&after=" : "", after && *after ? after : "");
    return call(c, "GET", path, NULL, NULL, 0, NULL, NULL, page, err);
}

const char *remote_run_status(const char *s) {
    if (!s)
        return "running";
    if (!strcmp(s, "succeeded"))
        return "completed";
    if (!strcmp(s, "failed"))
        return "failed";
    if (!strcmp(s, "cancelled"))
        return "cancelled";
    return "running"; /* validating_files, queued, running, and anything new */
}

bool remote_job_finished(const char *s) {
    return s && (!strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "cancelled"));
}

/* --- sync ---------------------------------------------------------------------------------- */

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Collects the items newer than `cursor` (the id of the newest item read
 * before) from newest-first pages, into a new array, newest first. Without a
 * cursor, everything. */
static TpStatus collect(const RemoteClient *c, const char *job, const char *what,
                        const char *cursor, cJSON **items, TpError *err) {
    *items = cJSON_CreateArray();
    char after[256] = "";
    for (int page = 0; page < TP_MAX_API_PAGES; page++) {
        cJSON *p;
        TpStatus st = remote_list_page(c, job, what, after, PAGE_LIMIT, &p, err);
        if (st != TP_OK)
            return st;
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(p, "data"), *it;
        bool reached = false;
        int n = 0;
        cJSON_ArrayForEach(it, data) {
            const char *id = str(it, "id");
            if (!id)
                continue;
            if (cursor && *cursor && !strcmp(id, cursor)) {
                reached = true;
                break;
            }
            cJSON_AddItemToArray(*items, cJSON_Duplicate(it, true));
            snprintf(after, sizeof after, "%s", id);
            n++;
        }
        const cJSON *more = cJSON_GetObjectItemCaseSensitive(p, "has_more");
        bool has_more = cJSON_IsTrue(more);
        cJSON_Delete(p);
        if (reached || !has_more || n == 0)
            return TP_OK;
    }
    return TP_OK;
}

/* Step metrics (from an event's data or a checkpoint's metrics). */
static void record_metrics(Store *s, int64_t run, const cJSON *m, double step_d, double elapsed_s,
                           RemoteSyncResult *r) {
    TpError scratch = {0}, *err = &scratch; /* a failed write shows at the status update */
    if (!cJSON_IsObject(m))
        return;
    if (isnan(step_d))
        step_d = num(m, "step");
    int64_t step;
    if (!tp_json_to_i64(floor(step_d), 0, INT64_MAX, &step))
        return; /* no step, or none a count can be (1e300, NaN) */
    double train = num(m, "train_loss");
    if (!isnan(train)) {
        StoreMetric sm = {step, train, NAN, NAN, NAN, NAN, elapsed_s, 0};
        if (store_run_metric(s, run, &sm, err) == TP_OK)
            r->new_metrics++;
    }
    double full = num(m, "full_valid_loss"), valid = num(m, "valid_loss");
    double loss = !isnan(full) ? full : valid;
    if (!isnan(loss)) {
        double acc = !isnan(full) ? num(m, "full_valid_mean_token_accuracy")
                                  : num(m, "valid_mean_token_accuracy");
        StoreEval ev = {.step = step, .loss = loss, .accuracy = acc};
        snprintf(ev.kind, sizeof ev.kind, "eval");
        if (store_run_eval(s, run, &ev, err) == TP_OK)
            r->new_evals++;
    }
    int64_t total;
    if (tp_json_to_i64(num(m, "total_steps"), 1, INT64_MAX, &total)) {
        StoreRun run_rec;
        if (store_run_get(s, run, &run_rec, err) == TP_OK) {
            if (run_rec.total_steps != total)
                store_run_set_plan(s, run, run_rec.out_dir, total, err);
            store_run_free(&run_rec);
        }
    }
}

static void sanitize(char *msg, size_t size, const char *secret) {
    net_redact(msg, size, secret);
}

TpStatus remote_sync(Store *s, const RemoteClient *c, StoreHostedJob *job, RemoteEventFn on_event,
                     void *ctx, RemoteSyncResult *r, TpError *err) {
    memset(r, 0, sizeof *r);
    cJSON *j = NULL, *events = NULL, *checkpoints = NULL;
    TpStatus st = remote_get_job(c, job->job_id, &j, err);
    if (st == TP_OK)
        st = collect(c, job->job_id, "events", job->event_cursor, &events, err);
    if (st != TP_OK)
        goto out;
    /* Checkpoints add the validation loss at each saved step; a server
     * without that endpoint (many OpenAI-compatible ones) is not an error. */
    TpError ignored = {0};
    if (collect(c, job->job_id, "checkpoints", job->checkpoint_cursor, &checkpoints, &ignored) !=
        TP_OK) {
        cJSON_Delete(checkpoints);
        checkpoints = cJSON_CreateArray();
    }
    const char *status = str(j, "status");
    snprintf(r->status, sizeof r->status, "%s", status ? status : "unknown");
    r->run_status = remote_run_status(status);
    r->finished = remote_job_finished(status);
    double created = num(j, "created_at");
    const cJSON *jerr = cJSON_GetObjectItemCaseSensitive(j, "error");
    const char *emsg = str(jerr, "message"), *model = str(j, "fine_tuned_model");
    if (!strcmp(r->run_status, "failed"))
        snprintf(r->message, sizeof r->message, "%s",
                 emsg && *emsg ? emsg : "the provider reports the job failed");
    else if (model)
        snprintf(r->message, sizeof r->message, "fine-tuned model: %s", model);
    sanitize(r->message, sizeof r->message, c->api_key);

    sqlite3_exec(store_db(s), "BEGIN IMMEDIATE;", NULL, NULL, NULL);
    /* events, oldest first */
    for (int i = cJSON_GetArraySize(events) - 1; i >= 0; i--) {
        const cJSON *ev = cJSON_GetArrayItem(events, i);
        const char *level = str(ev, "level"), *msg = str(ev, "message"), *type = str(ev, "type");
        double at = num(ev, "created_at");
        char text[512];
        snprintf(text, sizeof text, "%s", msg ? msg : "");
        sanitize(text, sizeof text, c->api_key);
        TpError scratch = {0};
        if (store_run_event(s, job->run_id, level ? level : "info", text, &scratch) == TP_OK)
            r->new_events++;
        if (on_event)
            on_event(ctx, level ? level : "info", text, isnan(at) ? 0 : (long long)at);
        if (type && !strcmp(type, "metrics"))
            record_metrics(s, job->run_id, cJSON_GetObjectItemCaseSensitive(ev, "data"), NAN,
                           isnan(at) || isnan(created) ? NAN : at - created, r);
    }
    for (int i = cJSON_GetArraySize(checkpoints) - 1; i >= 0; i--) {
        const cJSON *cp = cJSON_GetArrayItem(checkpoints, i);
        double at = num(cp, "created_at");
        record_metrics(s, job->run_id, cJSON_GetObjectItemCaseSensitive(cp, "metrics"),
                       num(cp, "step_number"), isnan(at) || isnan(created) ? NAN : at - created, r);
    }
    const char *newest_ev =
        cJSON_GetArraySize(events) ? str(cJSON_GetArrayItem(events, 0), "id") : NULL;
    const char *newest_cp =
        cJSON_GetArraySize(checkpoints) ? str(cJSON_GetArrayItem(checkpoints, 0), "id") : NULL;
    if (newest_ev)
        snprintf(job->event_cursor, sizeof job->event_cursor, "%s", newest_ev);
    if (newest_cp)
        snprintf(job->checkpoint_cursor, sizeof job->checkpoint_cursor, "%s", newest_cp);
    snprintf(job->status, sizeof job->status, "%s", r->status);
    if (model)
        snprintf(job->fine_tuned_model, sizeof job->fine_tuned_model, "%s", model);

    st = store_run_set_status(s, job->run_id, run_status_parse(r->run_status), r->message, err);
    if (st == TP_OK) {
        cJSON *sum = cJSON_CreateObject();
        cJSON_AddStringToObject(sum, "kind", "tunepilot.hosted_job");
        cJSON_AddStringToObject(sum, "provider", job->provider);
        cJSON_AddStringToObject(sum, "job_id", job->job_id);
        cJSON_AddStringToObject(sum, "status", r->status);
        tp_json_add_str(sum, "fine_tuned_model", model);
        tp_json_add_num(sum, "trained_tokens", num(j, "trained_tokens"));
        tp_json_add_num(sum, "estimated_finish", num(j, "estimated_finish"));
        if (emsg) {
            char m[512];
            snprintf(m, sizeof m, "%s", emsg);
            sanitize(m, sizeof m, c->api_key);
            cJSON_AddStringToObject(sum, "error", m);
        }
        char *text = cJSON_PrintUnformatted(sum);
        st = store_run_set_summary(s, job->run_id, text, err);
        cJSON_free(text);
        cJSON_Delete(sum);
    }
    if (st == TP_OK)
        st = store_hosted_job_update(s, job, err);
    sqlite3_exec(store_db(s), st == TP_OK ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL);
out:
    cJSON_Delete(j);
    cJSON_Delete(events);
    cJSON_Delete(checkpoints);
    net_redact_error(err, c->api_key);
    return st;
}
