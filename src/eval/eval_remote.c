/* eval_remote.c - held-out examples through an OpenAI-compatible chat
 * endpoint: streamed answers with usage, time to first token and latency,
 * bounded concurrency, retries with backoff, a request budget, a cost cap and
 * a cache of answers in the database (see eval.h). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/eval.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/net.h"
#include "tunepilot/pool.h"
#include "tunepilot/probe.h"
#include "tunepilot/stats.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long env_long(const char *name, long dflt, long lo, long hi) {
    const char *v = getenv(name);
    char *end = NULL;
    long x = v ? strtol(v, &end, 10) : dflt;
    return (!v || end == v || *end || x < lo || x > hi) ? dflt : x;
}

/* FNV-1a over s, continued from h. */
static uint64_t fnv_str(uint64_t h, const char *s) {
    return tp_hash_bytes(h, s, strlen(s));
}

/* --- one streamed answer ---------------------------------------------------------------- */

typedef struct Stream {
    NetSse sse;
    TpBuf content;
    double t0, t_first;
    long long in_tok, cached_tok, out_tok;
    bool done, failed, too_long;
    char error[200];
} Stream;

static int on_event(void *ctx, const char *event, const char *data, size_t len) {
    (void)event;
    Stream *s = ctx;
    if (len >= 6 && !strncmp(data, "[DONE]", 6)) {
        s->done = true;
        return 0;
    }
    cJSON *j = cJSON_ParseWithLength(data, len);
    if (!j) {
        s->failed = true;
        snprintf(s->error, sizeof s->error, "invalid JSON in the stream");
        return 1;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (e && !cJSON_IsNull(e)) {
        char msg[160];
        net_provider_message(data, len, msg, sizeof msg);
        s->failed = true;
        snprintf(s->error, sizeof s->error, "an error in mid-stream: %s", msg);
        cJSON_Delete(j);
        return 1;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "choices")) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(c, "delta"), "content");
        if (cJSON_IsString(content) && content->valuestring[0]) {
            if (s->t_first == 0)
                s->t_first = now_ms();
            if (s->content.len + strlen(content->valuestring) > EVAL_MAX_ANSWER_BYTES)
                s->too_long = true;
            else
                tp_buf_puts(&s->content, content->valuestring);
        }
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    if (cJSON_IsObject(u)) {
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens");
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details"), "cached_tokens");
        /* counts are checked before conversion: a huge or negative number is not one */
        if (cJSON_IsNumber(pt) && pt->valuedouble >= 0 && pt->valuedouble < 1e15)
            s->in_tok = (long long)pt->valuedouble;
        if (cJSON_IsNumber(ct) && ct->valuedouble >= 0 && ct->valuedouble < 1e15)
            s->out_tok = (long long)ct->valuedouble;
        if (cJSON_IsNumber(ca) && ca->valuedouble >= 0 && ca->valuedouble < 1e15)
            s->cached_tok = (long long)ca->valuedouble;
    }
    cJSON_Delete(j);
    return 0;
}

static int on_data(void *ctx, const char *data, size_t len) {
    Stream *s = ctx;
    return net_sse_feed(&s->sse, data, len);
}

/* --- the shared state of the workers -------------------------------------------------------- */

typedef struct Job {
    Store *store; /* used under the lock only */
    const EvalSet *set;
    const EvalPrompt *prompt;
    const EvalRemoteOptions *o;
    EvalRun *run;
    char endpoint[2048];
    char **bodies, **prompt_keys, **example_keys;
    double *estimate; /* worst-case cost of each request */
    const int *todo;  /* the examples to send (not cached), in order */
    int n_todo;
    pthread_mutex_t mu;
    int next, done;
    double spent, reserved;
    bool stop_cap, stop_budget;
    TpStatus db_status;
    TpError db_err;
} Job;

static bool priced(const EvalRemoteOptions *o) {
    return isfinite(o->input_per_mtok) && isfinite(o->output_per_mtok);
}

static double cost_of(const EvalRemoteOptions *o, long long in, long long cached, long long out) {
    if (!priced(o) || in < 0 || out < 0)
        return NAN;
    double cp = isfinite(o->cached_per_mtok) ? o->cached_per_mtok : o->input_per_mtok;
    long long c = cached > 0 ? cached : 0;
    return ((double)(in - c) * o->input_per_mtok + (double)c * cp +
            (double)out * o->output_per_mtok) /
           1e6;
}

/* Sends one request (with retries); fills sample. Called without the lock. */
static void ask(Job *j, int i, EvalSample *smp) {
    const EvalRemoteOptions *o = j->o;
    long retries = env_long("TUNEPILOT_HTTP_RETRIES", 3, 0, 20);
    long backoff = env_long("TUNEPILOT_HTTP_BACKOFF_MS", 500, 0, 600000);
    const char *headers[] = {"Content-Type: application/json", "Accept: text/event-stream", NULL};
    for (int attempt = 0;; attempt++) {
        pthread_mutex_lock(&j->mu);
        bool budget = o->max_requests <= 0 || j->run->requests < o->max_requests;
        if (budget)
            j->run->requests++;
        else
            j->stop_budget = true;
        pthread_mutex_unlock(&j->mu);
        if (!budget) {
            snprintf(smp->error, sizeof smp->error, "the request budget (%d) is spent",
                     o->max_requests);
            return;
        }
        smp->attempts = attempt + 1;
        Stream s;
        memset(&s, 0, sizeof s);
        net_sse_init(&s.sse, on_event, &s);
        tp_buf_init(&s.content);
        s.in_tok = s.out_tok = s.cached_tok = -1;
        NetRequest rq = {.method = "POST",
                         .url = j->endpoint,
                         .headers = headers,
                         .body = j->bodies[i],
                         .body_len = strlen(j->bodies[i]),
                         .bearer = o->api_key,
                         .retries = 0,
                         .on_data = on_data,
                         .data_ctx = &s};
        NetResponse rs;
        TpError err = {0};
        s.t0 = now_ms();
        TpStatus st = net_http(&rq, &rs, &err);
        if (st == TP_OK && !s.failed)
            net_sse_finish(&s.sse);
        double t_end = now_ms();
        bool retry = false;
        if (st != TP_OK && !s.failed) {
            snprintf(smp->error, sizeof smp->error, "%s", err.msg);
            retry = rs.status == 429 || rs.status >= 500 || rs.failure == NET_FAIL_TIMEOUT ||
                    rs.failure == NET_FAIL_TRUNCATED || rs.failure == NET_FAIL_CONNECT;
        } else if (s.failed) {
            snprintf(smp->error, sizeof smp->error, "%s", s.error);
        } else if (!s.done) {
            snprintf(smp->error, sizeof smp->error, "the stream ended before \"data: [DONE]\"");
            retry = true;
        } else if (s.too_long) {
            snprintf(smp->error, sizeof smp->error, "the answer passed %u bytes",
                     EVAL_MAX_ANSWER_BYTES);
        } else {
            smp->answer = s.content.data ? tp_buf_take(&s.content) : tp_xstrdup("");
            smp->error[0] = '\0';
            smp->input_tokens = s.in_tok;
            smp->cached_tokens = s.cached_tok;
            smp->output_tokens = s.out_tok;
            smp->ttft_ms = s.t_first > 0 ? s.t_first - s.t0 : NAN;
            smp->latency_ms = t_end - s.t0;
        }
        net_redact(smp->error, sizeof smp->error, o->api_key);
        net_response_free(&rs);
        net_sse_free(&s.sse);
        tp_buf_free(&s.content);
        if (smp->answer || !retry || attempt >= retries)
            return;
        struct timespec w = {.tv_sec = (backoff << attempt) / 1000,
                             .tv_nsec = ((backoff << attempt) % 1000) * 1000000L};
        nanosleep(&w, NULL);
    }
}

static void *worker(void *arg) {
    Job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        bool go = j->next < j->n_todo && !j->stop_budget && !j->stop_cap;
        int i = go ? j->todo[j->next] : -1;
        if (go && j->o->max_usd > 0) {
            if (j->spent + j->reserved + j->estimate[i] > j->o->max_usd) {
                j->stop_cap = true;
                go = false;
            } else {
                j->reserved += j->estimate[i];
            }
        }
        if (go)
            j->next++;
        pthread_mutex_unlock(&j->mu);
        if (!go)
            return NULL;
        EvalSample *smp = &j->run->samples[i];
        ask(j, i, smp);
        pthread_mutex_lock(&j->mu);
        if (j->o->max_usd > 0)
            j->reserved -= j->estimate[i];
        double c = cost_of(j->o, smp->input_tokens, smp->cached_tokens, smp->output_tokens);
        if (smp->answer) {
            j->spent += isfinite(c) ? c : j->estimate[i];
            StoreEvalAnswer a = {smp->answer,        smp->input_tokens, smp->cached_tokens,
                                 smp->output_tokens, smp->ttft_ms,      smp->latency_ms};
            TpError e = {0};
            if (j->db_status == TP_OK &&
                store_eval_answer_put(j->store, j->endpoint, j->o->model, j->prompt_keys[i],
                                      j->example_keys[i], &a, &e) != TP_OK) {
                j->db_status = TP_EDB;
                j->db_err = e;
            }
        }
        j->done++;
        if (j->o->on_answer)
            j->o->on_answer(j->o->ctx, j->done, j->n_todo, false);
        pthread_mutex_unlock(&j->mu);
    }
}

/* --- summary ---------------------------------------------------------------------------------- */

static void summarise(EvalRun *r, const EvalSet *set, const EvalRemoteOptions *o) {
    int n = r->n;
    char **answers = tp_xcalloc((size_t)n + 1, sizeof *answers);
    double *ttft = tp_xcalloc((size_t)n + 1, sizeof(double));
    double *lat = tp_xcalloc((size_t)n + 1, sizeof(double));
    int nt = 0, nl = 0, priced_n = 0;
    double cost_sum = 0, in_sum = 0, out_sum = 0;
    int tok_n = 0;
    for (int i = 0; i < n; i++) {
        EvalSample *s = &r->samples[i];
        answers[i] = s->answer;
        if (!s->answer)
            continue;
        r->n_ok++;
        if (isfinite(s->ttft_ms))
            ttft[nt++] = s->ttft_ms;
        if (isfinite(s->latency_ms))
            lat[nl++] = s->latency_ms;
        if (s->input_tokens >= 0 && s->output_tokens >= 0) {
            in_sum += (double)s->input_tokens;
            out_sum += (double)s->output_tokens;
            tok_n++;
            double c = o ? cost_of(o, s->input_tokens, s->cached_tokens, s->output_tokens) : NAN;
            if (isfinite(c)) {
                cost_sum += c;
                priced_n++;
            }
        }
    }
    eval_score(set, answers, &r->scores);
    r->ttft_p50_ms = tp_quantile(ttft, nt, 0.5);
    r->ttft_p95_ms = tp_quantile(ttft, nt, 0.95);
    r->latency_p50_ms = tp_quantile(lat, nl, 0.5);
    r->latency_p95_ms = tp_quantile(lat, nl, 0.95);
    r->mean_input_tokens = tok_n ? in_sum / tok_n : NAN;
    r->mean_output_tokens = tok_n ? out_sum / tok_n : NAN;
    r->usd_per_1k = priced_n ? cost_sum / priced_n * 1000 : NAN;
    free(answers);
    free(ttft);
    free(lat);
}

TpStatus eval_remote(Store *s, const EvalSet *set, const EvalPrompt *p, const EvalRemoteOptions *o,
                     EvalRun *out, TpError *err) {
    memset(out, 0, sizeof *out);
    if (!o->model || !*o->model)
        return tp_error_set(err, TP_EINVAL, "eval: --model: expected the model to ask for");
    if (o->concurrency < 1 || o->concurrency > EVAL_MAX_CONCURRENCY)
        return tp_error_set(err, TP_EINVAL, "eval: --concurrency: expected 1..%d",
                            EVAL_MAX_CONCURRENCY);
    if (o->max_tokens < 1 || o->max_tokens > 100000)
        return tp_error_set(err, TP_EINVAL, "eval: --max-tokens: expected 1..100000");
    if (o->max_usd > 0 && !priced(o))
        return tp_error_set(err, TP_EINVAL,
                            "eval: --max-usd needs the model's prices: %s is not in the price "
                            "tables (give --input-per-mtok and --output-per-mtok)",
                            o->model);
    if (p->shots > EVAL_MAX_SHOTS)
        return tp_error_set(err, TP_EINVAL, "eval: --shots: at most %d", EVAL_MAX_SHOTS);
    if (p->shots > 0 && set->n_train < p->shots)
        return tp_error_set(err, TP_EINVAL,
                            "eval: --shots %d: only %d training examples to draw from", p->shots,
                            set->n_train);
    Job j;
    memset(&j, 0, sizeof j);
    TpStatus st = probe_endpoint(o->url, j.endpoint, sizeof j.endpoint, err);
    if (st != TP_OK)
        return st;
    j.store = s;
    j.set = set;
    j.prompt = p;
    j.o = o;
    j.run = out;
    int n = set->n_held;
    out->n = n;
    out->samples = tp_xcalloc((size_t)n + 1, sizeof *out->samples);
    eval_prompt_name(p, out->variant, sizeof out->variant);
    snprintf(out->endpoint, sizeof out->endpoint, "%s", j.endpoint);
    snprintf(out->model, sizeof out->model, "%s", o->model);
    j.bodies = tp_xcalloc((size_t)n + 1, sizeof(char *));
    j.prompt_keys = tp_xcalloc((size_t)n + 1, sizeof(char *));
    j.example_keys = tp_xcalloc((size_t)n + 1, sizeof(char *));
    j.estimate = tp_xcalloc((size_t)n + 1, sizeof(double));
    /* the requests, and what the database already holds */
    int *todo = tp_xcalloc((size_t)n + 1, sizeof(int)), n_todo = 0;
    for (int i = 0; i < n; i++) {
        EvalSample *smp = &out->samples[i];
        smp->input_tokens = smp->cached_tokens = smp->output_tokens = -1;
        smp->ttft_ms = smp->latency_ms = NAN;
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "model", o->model);
        cJSON_AddItemToObject(b, "messages", eval_prompt_messages(set, p, i));
        cJSON_AddNumberToObject(b, "max_tokens", o->max_tokens);
        cJSON_AddNumberToObject(b, "temperature", 0);
        cJSON_AddBoolToObject(b, "stream", true);
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(b, "stream_options"), "include_usage", true);
        j.bodies[i] = cJSON_PrintUnformatted(b);
        cJSON_Delete(b);
        char key[32];
        snprintf(key, sizeof key, "%016llx",
                 (unsigned long long)fnv_str(TP_HASH_INIT, j.bodies[i]));
        j.prompt_keys[i] = tp_xstrdup(key);
        uint64_t h = TP_HASH_INIT;
        for (int m = 0; m < set->held[i].n_msgs; m++)
            h = fnv_str(fnv_str(h, set->held[i].msgs[m].role), set->held[i].msgs[m].content);
        h = fnv_str(h, set->held[i].reference);
        snprintf(key, sizeof key, "%016llx", (unsigned long long)h);
        j.example_keys[i] = tp_xstrdup(key);
        double pt = (double)strlen(j.bodies[i]) / 4.0; /* about 4 characters a token */
        j.estimate[i] =
            priced(o) ? (pt * o->input_per_mtok + o->max_tokens * o->output_per_mtok) / 1e6 : 0;
        StoreEvalAnswer a;
        bool found = false;
        if ((st = store_eval_answer_get(s, j.endpoint, o->model, j.prompt_keys[i],
                                        j.example_keys[i], &a, &found, err)) != TP_OK)
            break;
        if (found) {
            smp->answer = a.answer;
            smp->cached = true;
            smp->input_tokens = a.input_tokens;
            smp->cached_tokens = a.cached_tokens;
            smp->output_tokens = a.output_tokens;
            smp->ttft_ms = a.ttft_ms;
            smp->latency_ms = a.latency_ms;
            out->n_cached++;
            if (o->on_answer)
                o->on_answer(o->ctx, out->n_cached, n, true);
        } else {
            todo[n_todo++] = i;
        }
    }
    if (st == TP_OK && n_todo) {
        j.todo = todo;
        j.n_todo = n_todo;
        j.db_status = TP_OK;
        pthread_mutex_init(&j.mu, NULL);
        int nthreads = o->concurrency < n_todo ? o->concurrency : n_todo;
        pthread_t th[EVAL_MAX_CONCURRENCY];
        int started = 0;
        for (int t = 0; t < nthreads; t++)
            if (tp_thread_start(&th[t], worker, &j) == 0)
                started++;
        if (!started)
            worker(&j);
        for (int t = 0; t < started; t++)
            pthread_join(th[t], NULL);
        pthread_mutex_destroy(&j.mu);
        out->usd = j.spent;
        out->stopped_by_cap = j.stop_cap;
        out->stopped_by_budget = j.stop_budget;
        if (j.db_status != TP_OK) {
            st = j.db_status;
            *err = j.db_err;
        }
    }
    for (int i = 0; i < n; i++) {
        free(j.bodies[i]);
        free(j.prompt_keys[i]);
        free(j.example_keys[i]);
        EvalSample *smp = &out->samples[i];
        if (!smp->answer && !smp->cached) {
            if (smp->attempts)
                out->n_failed++;
            else
                out->n_skipped++;
        }
    }
    free(j.bodies);
    free(j.prompt_keys);
    free(j.example_keys);
    free(j.estimate);
    free(todo);
    if (st == TP_OK)
        summarise(out, set, o);
    return st;
}

void eval_run_free(EvalRun *r) {
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        free(r->samples ? r->samples[i].answer : NULL);
    free(r->samples);
    eval_scores_free(&r->scores);
    memset(r, 0, sizeof *r);
}

/* exposed to eval_local.c */
void eval_summarise_local(EvalRun *r, const EvalSet *set);
void eval_summarise_local(EvalRun *r, const EvalSet *set) {
    summarise(r, set, NULL);
}
