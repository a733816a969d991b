/* external.c - an external trainer as a child process, its output turned
 * into run records (see external.h); reading one line's object (JSON or a
 * Python dict) is in external_line.c. */
#include "tunepilot/external.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "pilot/pilot_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/json.h"
#include "tunepilot/limits.h"
#include "tunepilot/net.h"
#include "tunepilot/paths.h"
#include "tunepilot/pilot.h"

extern char **environ;

#define DRAIN_MS 2000 /* after the child exits, how long its descendants may keep the pipes */

/* --- the run in progress ------------------------------------------------------------- */

typedef struct Stream {
    int fd;
    bool is_err;
    FILE *echo;
    TpBuf line;
    bool cut;        /* the line grew past TP_MAX_TRAINER_LINE_BYTES: the rest is dropped */
    bool cr_pending; /* the last chunk ended in "\r" */
    TpBuf hold;      /* echo output held back: it may be the start of a secret */
} Stream;

typedef struct TailLine {
    int no;
    char *text;
} TailLine;

typedef struct Ext {
    Store *s;
    int64_t run;
    int max_events;
    ExternalResult *res;
    int64_t last_step; /* highest metric step, 0 before any */
    int64_t total_steps;
    double last_loss, last_eval;
    double last_epoch;
    cJSON *final; /* the trainer's final report */
    cJSON *child_summary;
    TailLine tail[EXTERNAL_TAIL_LINES];
    int n_tail, tail_next;
    int last_event_line; /* the last line number stored as an event */
    char last_err[300], last_out[300];
    char **secrets; /* values of this process's secret variables: redacted everywhere */
} Ext;

static void ev_store(Ext *x, const char *level, const char *text) {
    TpError ignore;
    char msg[TP_MAX_EVENT_TEXT + 1];
    snprintf(msg, sizeof msg, "%s", text);
    if (store_run_event(x->s, x->run, level, msg, &ignore) == TP_OK)
        x->res->n_events++;
}

/* An output line as an event, within the bound. */
static void ev_line(Ext *x, const char *level, const char *text) {
    if (x->res->n_events >= x->max_events) {
        x->res->n_events_dropped++;
        return;
    }
    ev_store(x, level, text);
    x->last_event_line = x->res->n_lines;
}

/* A number field: a JSON number, or a string that is one. */
static bool num(const cJSON *o, const char *key, double *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(it)) {
        *out = it->valuedouble;
        return true;
    }
    if (cJSON_IsString(it) && it->valuestring[0]) {
        char *end;
        double v = strtod(it->valuestring, &end);
        if (*end == '\0') {
            *out = v;
            return true;
        }
    }
    return false;
}

static double num_or(const cJSON *o, const char *k1, const char *k2, double dflt) {
    double v;
    if (num(o, k1, &v) || (k2 && num(o, k2, &v)))
        return v;
    return dflt;
}

/* The line's step: "step", "global_step", "iteration" or "iter". */
static bool step_of(const cJSON *o, int64_t *step) {
    static const char *const KEYS[] = {"step", "global_step", "iteration", "iter", NULL};
    for (int i = 0; KEYS[i]; i++) {
        double v;
        if (num(o, KEYS[i], &v) && tp_json_to_i64(v, 0, (int64_t)9e15, step))
            return true;
    }
    return false;
}

static void on_metric(Ext *x, const cJSON *o) {
    StoreMetric m;
    int64_t step;
    if (!step_of(o, &step))
        step = x->last_step + 1;
    m.step = step;
    m.loss = num_or(o, "loss", NULL, NAN);
    m.lr = num_or(o, "learning_rate", "lr", NAN);
    m.grad_norm = num_or(o, "grad_norm", NULL, NAN);
    m.tokens_per_s = num_or(o, "tokens_per_s", "tokens_per_second", NAN);
    m.rss_mb = num_or(o, "rss_mb", NULL, NAN);
    m.elapsed_s = num_or(o, "elapsed_s", NULL, NAN);
    double tokens = num_or(o, "tokens", "num_tokens", 0);
    m.tokens = tokens >= 0 && tokens < 9e18 ? (int64_t)tokens : 0;
    TpError ignore;
    if (store_run_metric(x->s, x->run, &m, &ignore) == TP_OK) /* a busy database must not stop */
        x->res->n_metrics++;
    if (step > x->last_step)
        x->last_step = step;
    x->last_loss = m.loss;
    double total;
    if (num(o, "total", &total) && total > 0 && total < 9e15 && (int64_t)total != x->total_steps) {
        x->total_steps = (int64_t)total;
        store_run_set_plan(x->s, x->run, x->res->dir, x->total_steps, &ignore);
    }
    double epoch;
    if (num(o, "epoch", &epoch))
        x->last_epoch = epoch;
}

static void on_eval(Ext *x, const cJSON *o, const char *kind, const char *loss_key) {
    StoreEval e;
    int64_t step;
    if (!step_of(o, &step))
        step = x->last_step;
    e.step = step;
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    e.loss = num_or(o, loss_key, NULL, NAN);
    e.accuracy = num_or(o, loss_key[0] == 'e' ? "eval_accuracy" : "accuracy",
                        loss_key[0] == 'e' ? "eval_mean_token_accuracy" : NULL, NAN);
    if (!(e.accuracy >= 0 && e.accuracy <= 1))
        e.accuracy = NAN;
    TpError ignore;
    if (store_run_eval(x->s, x->run, &e, &ignore) == TP_OK)
        x->res->n_evals++;
    x->last_eval = e.loss;
}

/* One complete line (progress: it ended in a bare "\r"). */
static void on_line(Ext *x, Stream *st, const char *text, size_t len, bool progress) {
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    size_t lead = 0;
    while (lead < len && (text[lead] == ' ' || text[lead] == '\t'))
        lead++;
    if (lead == len)
        return;
    x->res->n_lines++;
    /* nothing the child printed is kept or parsed before its secrets are out */
    size_t n_red;
    char *line = net_redact_all(text + lead, len - lead, x->secrets, &n_red);
    len = lead + n_red;
    if (!progress) {
        char *last = st->is_err ? x->last_err : x->last_out;
        snprintf(last, sizeof x->last_err, "%s", line);
        TailLine *t = &x->tail[x->tail_next];
        free(t->text);
        t->no = x->res->n_lines;
        t->text = tp_xstrdup(line);
        x->tail_next = (x->tail_next + 1) % EXTERNAL_TAIL_LINES;
        if (x->n_tail < EXTERNAL_TAIL_LINES)
            x->n_tail++;
    }
    cJSON *o = external_line_object(line, len - lead);
    bool used = false;
    if (o) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
        double v;
        if (cJSON_IsString(ev)) {
            const char *e = ev->valuestring;
            used = true;
            if (!strcmp(e, "step")) {
                on_metric(x, o);
            } else if (!strcmp(e, "eval")) {
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
                on_eval(x, o, cJSON_IsString(k) && k->valuestring[0] ? k->valuestring : "eval",
                        "loss");
            } else if (!strcmp(e, "log")) {
                const cJSON *lv = cJSON_GetObjectItemCaseSensitive(o, "level");
                const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "message");
                if (!progress)
                    ev_line(x, cJSON_IsString(lv) ? lv->valuestring : "info",
                            cJSON_IsString(msg) ? msg->valuestring : line);
            } else if (!strcmp(e, "summary")) {
                cJSON_Delete(x->child_summary);
                x->child_summary =
                    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(o, "summary"), true);
            } else {
                used = false;
            }
        } else {
            if (num(o, "loss", &v)) {
                on_metric(x, o);
                used = true;
            }
            if (num(o, "eval_loss", &v)) {
                on_eval(x, o, "eval", "eval_loss");
                used = true;
            }
            if (!used && (cJSON_GetObjectItemCaseSensitive(o, "train_runtime") ||
                          cJSON_GetObjectItemCaseSensitive(o, "train_loss"))) {
                cJSON_Delete(x->final);
                x->final = cJSON_Duplicate(o, true);
                if (!progress)
                    ev_line(x, "info", line);
                used = true;
            }
        }
        cJSON_Delete(o);
    }
    if (!used && !progress)
        ev_line(x, "info", line);
    free(line);
}

/* Echoes a chunk with the secrets redacted. A tail that could be the start
 * of a secret cut across two reads is held back until the next chunk (end:
 * everything goes out). */
static void echo_chunk(Ext *x, Stream *st, const char *p, size_t n, bool end) {
    if (!st->echo)
        return;
    tp_buf_append(&st->hold, p, n);
    size_t len;
    char *red = net_redact_all(st->hold.data ? st->hold.data : "", st->hold.len, x->secrets, &len);
    size_t keep = 0;
    for (char **k = x->secrets; !end && *k; k++) {
        size_t kl = strlen(*k);
        for (size_t m = kl - 1 < len ? kl - 1 : len; m > keep; m--)
            if (!memcmp(red + len - m, *k, m)) {
                keep = m;
                break;
            }
    }
    fwrite(red, 1, len - keep, st->echo);
    fflush(st->echo);
    st->hold.len = 0;
    tp_buf_append(&st->hold, red + len - keep, keep);
    free(red);
}

/* Feeds a chunk of a stream, cutting it into lines. */
static void feed(Ext *x, Stream *st, const char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (st->cr_pending) {
            st->cr_pending = false;
            if (c != '\n') { /* a bare "\r": a progress redraw */
                on_line(x, st, st->line.data ? st->line.data : "", st->line.len, true);
                st->line.len = 0;
                st->cut = false;
            }
        }
        if (c == '\n') {
            on_line(x, st, st->line.data ? st->line.data : "", st->line.len, false);
            st->line.len = 0;
            st->cut = false;
            i++;
        } else if (c == '\r') {
            st->cr_pending = true;
            i++;
        } else {
            /* the run up to the next line end, kept up to the line limit */
            size_t end = i + 1;
            while (end < n && p[end] != '\n' && p[end] != '\r')
                end++;
            size_t room = st->line.len < TP_MAX_TRAINER_LINE_BYTES
                              ? TP_MAX_TRAINER_LINE_BYTES - st->line.len
                              : 0;
            size_t keep = end - i < room ? end - i : room;
            if (keep)
                tp_buf_append(&st->line, p + i, keep);
            if (keep < end - i)
                st->cut = true;
            i = end;
        }
    }
    if (st->line.data)
        st->line.data[st->line.len] = '\0';
}

static void feed_end(Ext *x, Stream *st) {
    if (st->line.len > 0)
        on_line(x, st, st->line.data, st->line.len, st->cr_pending);
    st->line.len = 0;
    st->cr_pending = false;
}

/* --- process ---------------------------------------------------------------------------- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static bool pipe_cloexec(int p[2]) {
    if (pipe(p) != 0)
        return false;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return true;
}

/* True when entry ("NAME=VALUE") is one of the NULL-terminated names. */
static bool env_named(const char *entry, const char *const *names) {
    size_t n = strcspn(entry, "=");
    for (; names && *names; names++)
        if (strlen(*names) == n && !strncmp(entry, *names, n))
            return true;
    return false;
}

/* environ without its secrets (net_env_is_secret) except the ones the user
 * passes on, with PYTHONUNBUFFERED=1 added when unset (array malloc'ed,
 * strings borrowed). */
static char **child_env(const char *const *pass_env) {
    int n = 0, k = 0;
    bool have = false;
    for (; environ && environ[n]; n++)
        have |= !strncmp(environ[n], "PYTHONUNBUFFERED=", 17);
    char **env = tp_xmalloc((size_t)(n + 2) * sizeof *env);
    for (int i = 0; i < n; i++)
        if (!net_env_is_secret(environ[i]) || env_named(environ[i], pass_env))
            env[k++] = environ[i];
    n = k;
    static char unbuf[] = "PYTHONUNBUFFERED=1";
    if (!have)
        env[n++] = unbuf;
    env[n] = NULL;
    return env;
}

/* Starts the child; TP_OK with *pid and the read ends, else why exec failed. */
static TpStatus spawn(char *const *argv, const char *const *pass_env, pid_t *pid, int *out_fd,
                      int *err_fd, TpError *err) {
    int po[2], pe[2], px[2];
    if (!pipe_cloexec(po))
        return tp_error_set(err, TP_ERR, "cannot create a pipe: %s", strerror(errno));
    if (!pipe_cloexec(pe)) {
        close(po[0]);
        close(po[1]);
        return tp_error_set(err, TP_ERR, "cannot create a pipe: %s", strerror(errno));
    }
    if (!pipe_cloexec(px)) {
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        return tp_error_set(err, TP_ERR, "cannot create a pipe: %s", strerror(errno));
    }
    char **env = child_env(pass_env);
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        /* only async-signal-safe calls from here to exec */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        dup2(po[1], 1);
        dup2(pe[1], 2);
        environ = env;
        execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(px[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    free(env);
    close(po[1]);
    close(pe[1]);
    close(px[1]);
    if (p < 0) {
        close(po[0]);
        close(pe[0]);
        close(px[0]);
        return tp_error_set(err, TP_ERR, "cannot start %s: %s", argv[0], strerror(errno));
    }
    setpgid(p, p); /* also here: no race with the first signal */
    int e = 0;
    ssize_t r;
    do
        r = read(px[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(px[0]);
    if (r == (ssize_t)sizeof e) {
        int status;
        while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
        }
        close(po[0]);
        close(pe[0]);
        return tp_error_set(err, e == ENOENT ? TP_ENOTFOUND : TP_ERR, "cannot run %s: %s%s",
                            argv[0], strerror(e),
                            e == ENOENT ? " (not a file, nor a program on PATH)" : "");
    }
    *pid = p;
    *out_fd = po[0];
    *err_fd = pe[0];
    return TP_OK;
}

static void signal_child(pid_t pid, int sig) {
    if (kill(-pid, sig) != 0)
        kill(pid, sig);
}

static char *command_line(char *const *argv) {
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; argv[i]; i++) {
        bool plain = argv[i][0] != '\0';
        for (const char *p = argv[i]; *p && plain; p++)
            plain = strchr(" \t\n'\"\\$`*?;&|<>()[]{}!#~", *p) == NULL;
        if (i)
            tp_buf_append(&b, " ", 1);
        if (plain) {
            tp_buf_puts(&b, argv[i]);
        } else {
            tp_buf_append(&b, "'", 1);
            for (const char *p = argv[i]; *p; p++)
                if (*p == '\'')
                    tp_buf_puts(&b, "'\\''");
                else
                    tp_buf_append(&b, p, 1);
            tp_buf_append(&b, "'", 1);
        }
    }
    return tp_buf_take(&b);
}

static char *config_json(char *const *argv, const char *name) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "backend", "command");
    cJSON *cmd = cJSON_AddArrayToObject(c, "command");
    for (int i = 0; argv[i]; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(c, "name", name);
    char cwd[4096];
    tp_json_add_str(c, "cwd", getcwd(cwd, sizeof cwd) ? cwd : NULL);
    char *s = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    return s;
}

static char *summary_json(const Ext *x, const ExternalResult *res) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "backend", "command");
    if (res->exit_code >= 0)
        cJSON_AddNumberToObject(o, "exit_code", res->exit_code);
    else
        cJSON_AddNullToObject(o, "exit_code");
    if (res->signal)
        cJSON_AddNumberToObject(o, "signal", res->signal);
    cJSON_AddNumberToObject(o, "lines", res->n_lines);
    cJSON_AddNumberToObject(o, "metrics", res->n_metrics);
    cJSON_AddNumberToObject(o, "evals", res->n_evals);
    cJSON_AddNumberToObject(o, "events", res->n_events);
    cJSON_AddNumberToObject(o, "events_dropped", res->n_events_dropped);
    cJSON_AddNumberToObject(o, "last_step", (double)x->last_step);
    tp_json_add_num(o, "last_loss", x->last_loss);
    tp_json_add_num(o, "last_eval_loss", x->last_eval);
    tp_json_add_num(o, "last_epoch", x->last_epoch);
    if (x->final)
        cJSON_AddItemToObject(o, "final", cJSON_Duplicate(x->final, true));
    if (x->child_summary)
        cJSON_AddItemToObject(o, "child_summary", cJSON_Duplicate(x->child_summary, true));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

TpStatus external_run(Store *s, const ExternalOptions *o, volatile sig_atomic_t *stop,
                      ExternalResult *res, TpError *err) {
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (!o || !o->argv || !o->argv[0] || !o->argv[0][0])
        return tp_error_set(err, TP_EINVAL, "external run: expected a command");
    pid_t pid = 0;
    int fds[2] = {-1, -1};
    sig_atomic_t seen = stop ? *stop : 0;
    TpStatus st = spawn(o->argv, o->pass_env, &pid, &fds[0], &fds[1], err);
    if (st != TP_OK)
        return st;
    char **secrets = net_secret_values();

    const char *prog = strrchr(o->argv[0], '/') ? strrchr(o->argv[0], '/') + 1 : o->argv[0];
    const char *name = o->name && *o->name ? o->name : prog;
    StoreRun r = {0};
    snprintf(r.kind, sizeof r.kind, "external");
    snprintf(r.method, sizeof r.method, "external");
    snprintf(r.model, sizeof r.model, "%s", name);
    /* a key typed among the command's arguments is not recorded either */
    char *cmd = command_line(o->argv), *red = net_redact_all(cmd, strlen(cmd), secrets, NULL);
    snprintf(r.data, sizeof r.data, "%s", red);
    free(cmd);
    free(red);
    cmd = config_json(o->argv, name);
    r.config = net_redact_all(cmd, strlen(cmd), secrets, NULL);
    free(cmd);
    r.pid = pid;
    st = store_run_create(s, &r, &res->run_id, err);
    free(r.config);
    /* the run's folder holds its lock: readers tell a live run from a lost one */
    PilotLock lock = {.fd = -1};
    if (st == TP_OK)
        st = pilot_default_run_dir(store_path(s), res->run_id, res->dir, sizeof res->dir, err);
    if (st == TP_OK)
        st = tp_mkdirs(res->dir, err);
    if (st == TP_OK)
        st = pilot_lock_take(res->dir, res->run_id, store_path(s), &lock, err);
    if (st == TP_OK)
        st = store_run_set_plan(s, res->run_id, res->dir, 0, err);
    if (st != TP_OK && res->run_id > 0) {
        TpError ignore;
        store_run_set_status(s, res->run_id, RUN_FAILED, err->msg, &ignore);
        pilot_lock_release(&lock);
    }
    if (st != TP_OK) {
        net_secrets_free(secrets);
        signal_child(pid, SIGKILL);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        close(fds[0]);
        close(fds[1]);
        return st;
    }
    if (o->on_start)
        o->on_start(o->ctx, res->run_id, pid);

    Ext x = {.s = s,
             .run = res->run_id,
             .max_events = o->max_events > 0 ? o->max_events : EXTERNAL_MAX_EVENTS,
             .res = res,
             .last_loss = NAN,
             .last_eval = NAN,
             .last_epoch = NAN,
             .secrets = secrets};
    Stream streams[2] = {{.fd = fds[0], .is_err = false, .echo = o->echo_out},
                         {.fd = fds[1], .is_err = true, .echo = o->echo_err}};
    for (int k = 0; k < 2; k++) {
        tp_buf_init(&streams[k].line);
        tp_buf_init(&streams[k].hold);
    }
    bool exited = false, interrupted = false;
    int status = 0, stops = 0;
    double exit_at = 0;
    char *chunk = tp_xmalloc(65536);
    for (;;) {
        if (stop && *stop != seen) {
            seen = *stop;
            stops++;
            interrupted = true;
            if (!exited)
                signal_child(pid, stops >= 3 ? SIGKILL : SIGINT);
        }
        struct pollfd pf[2];
        int map[2], np = 0;
        for (int k = 0; k < 2; k++)
            if (streams[k].fd >= 0) {
                pf[np] = (struct pollfd){.fd = streams[k].fd, .events = POLLIN};
                map[np++] = k;
            }
        if (np == 0 && exited)
            break;
        int pr = poll(np ? pf : NULL, (nfds_t)np, 100);
        for (int j = 0; pr > 0 && j < np; j++) {
            if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            Stream *sm = &streams[map[j]];
            ssize_t n = read(sm->fd, chunk, 65536);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                echo_chunk(&x, sm, "", 0, true);
                feed_end(&x, sm);
                close_fd(&sm->fd);
                continue;
            }
            echo_chunk(&x, sm, chunk, (size_t)n, false);
            feed(&x, sm, chunk, (size_t)n);
        }
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno == ECHILD)) {
                exited = true;
                exit_at = now_ms();
            }
        } else if (now_ms() - exit_at > DRAIN_MS) {
            break; /* descendants still hold the pipes: stop reading */
        }
    }
    free(chunk);
    for (int k = 0; k < 2; k++) {
        echo_chunk(&x, &streams[k], "", 0, true);
        feed_end(&x, &streams[k]);
        close_fd(&streams[k].fd);
        tp_buf_free(&streams[k].line);
        tp_buf_free(&streams[k].hold);
    }

    if (WIFEXITED(status)) {
        res->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
    const char *last = x.last_err[0] ? x.last_err : x.last_out;
    if (interrupted) {
        res->status = "interrupted";
        snprintf(res->message, sizeof res->message,
                 "stopped by a signal (forwarded to the command); %s %d",
                 res->signal ? "it ended with signal" : "exit code",
                 res->signal ? res->signal : res->exit_code);
    } else if (res->exit_code == 0) {
        res->status = "completed";
    } else {
        res->status = "failed";
        if (res->signal)
            snprintf(res->message, sizeof res->message, "killed by signal %d%s%.300s", res->signal,
                     last[0] ? ": " : "", last);
        else
            snprintf(res->message, sizeof res->message, "exit code %d%s%.300s", res->exit_code,
                     last[0] ? ": " : "", last);
        /* the last lines (a traceback) unless already stored */
        for (int k = 0; k < x.n_tail; k++) {
            int idx = (x.tail_next - x.n_tail + k + EXTERNAL_TAIL_LINES) % EXTERNAL_TAIL_LINES;
            if (x.tail[idx].no > x.last_event_line)
                ev_store(&x, "error", x.tail[idx].text);
        }
    }
    if (res->n_events_dropped > 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%d more output lines were not recorded (the first %d were)",
                 res->n_events_dropped, x.max_events);
        ev_store(&x, "info", msg);
    }
    for (int k = 0; k < EXTERNAL_TAIL_LINES; k++)
        free(x.tail[k].text);
    TpError ignore;
    char *sum = summary_json(&x, res);
    store_run_set_summary(s, res->run_id, sum, &ignore);
    free(sum);
    cJSON_Delete(x.final);
    cJSON_Delete(x.child_summary);
    net_secrets_free(secrets);
    store_run_set_pid(s, res->run_id, 0, &ignore);
    st = store_run_set_status(s, res->run_id, run_status_parse(res->status), res->message, err);
    pilot_lock_release(&lock);
    return st;
}
