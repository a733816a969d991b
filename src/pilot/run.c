/* run.c - a run's identity: its folder, the lock its process holds on it,
 * the heartbeat, what a reader concludes (running, paused, lost) and the
 * controls (pause, resume, cancel). See pilot.h.
 *
 * The lock is a POSIX record lock (fcntl F_SETLK) on <run folder>/run.lock,
 * held by the process that works on the run for as long as it lives; the
 * kernel drops it when that process ends in any way (kill -9, OOM kill). A
 * reader asks with F_GETLK, which also names the holder's pid: signals go to
 * that process only, never to the pid written in the database. The holder
 * touches the lock file every PILOT_HEARTBEAT_S seconds from a thread, so
 * its modification time says when the process was last seen. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "pilot/pilot_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/paths.h"
#include "tunepilot/pilot.h"
#include "tunepilot/pool.h"

/* --- paths ------------------------------------------------------------------------------ */

TpStatus pilot_absolute_path(const char *path, char *out, size_t size, TpError *err) {
    if (!path || !*path)
        return tp_error_set(err, TP_EINVAL, "expected a path, got an empty one");
    char *real = realpath(path, NULL);
    int n;
    if (real) {
        n = snprintf(out, size, "%s", real);
        free(real);
    } else if (path[0] == '/') {
        n = snprintf(out, size, "%s", path);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return tp_error_set(err, TP_EIO, "%s: cannot tell the current folder: %s", path,
                                strerror(errno));
        const char *p = path;
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        n = snprintf(out, size, "%s/%s", cwd, p);
    }
    if (n < 0 || (size_t)n >= size)
        return tp_error_set(err, TP_EINVAL, "%s: the path is too long", path);
    return TP_OK;
}

/* True when dir exists and holds anything; *owner = the run id its run.lock
 * names (0 when none). */
static bool dir_in_use(const char *dir, int64_t *owner) {
    *owner = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno != ENOENT; /* a file, or unreadable: not ours to take */
    bool used = false;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            used = true;
            break;
        }
    closedir(d);
    if (used) {
        char p[4200], buf[256] = "";
        snprintf(p, sizeof p, "%s/run.lock", dir);
        int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            buf[n > 0 ? n : 0] = '\0';
            close(fd);
            const char *r = strstr(buf, "\"run\":");
            if (r)
                *owner = strtoll(r + 6, NULL, 10);
        }
    }
    return used;
}

TpStatus pilot_check_new_dir(const char *dir, TpError *err) {
    int64_t owner;
    if (!dir_in_use(dir, &owner))
        return TP_OK;
    if (owner > 0)
        return tp_error_set(err, TP_EINVAL,
                            "%s holds the files of run %lld: a new run never reuses another "
                            "run's folder (continue that run with: tunepilot runs resume %lld, or "
                            "choose a new --out)",
                            dir, (long long)owner, (long long)owner);
    return tp_error_set(err, TP_EINVAL,
                        "%s is not an empty folder: a new run needs a folder of its own (choose "
                        "a new or empty --out)",
                        dir);
}

TpStatus pilot_db_sibling(const char *db_path, const char *what, char *out, size_t size,
                          TpError *err) {
    char db[4096];
    TpStatus st = pilot_absolute_path(db_path, db, sizeof db, err);
    if (st != TP_OK)
        return st;
    char *slash = strrchr(db, '/');
    *slash = '\0';
    const char *name = slash + 1;
    size_t len = strlen(name);
    if (len > 3 && !strcmp(name + len - 3, ".db"))
        len -= 3;
    int n = !strcmp(name, "tunepilot.db")
                ? snprintf(out, size, "%s/%s", db, what)
                : snprintf(out, size, "%s/%.*s-%s", db, (int)len, name, what);
    if (n < 0 || (size_t)n >= size)
        return tp_error_set(err, TP_EINVAL, "%s: the %s folder path is too long", db_path, what);
    return TP_OK;
}

TpStatus pilot_default_run_dir(const char *db_path, int64_t id, char *out, size_t size,
                               TpError *err) {
    char base[4300];
    TpStatus st = pilot_db_sibling(db_path, "runs", base, sizeof base, err);
    if (st != TP_OK)
        return st;
    /* a folder left by a database deleted since (ids start again at 1) is
     * never taken over: the next free name */
    for (int k = 1; k < 1000; k++) {
        int n = k == 1 ? snprintf(out, size, "%s/%lld", base, (long long)id)
                       : snprintf(out, size, "%s/%lld.%d", base, (long long)id, k);
        if (n < 0 || (size_t)n >= size)
            return tp_error_set(err, TP_EINVAL, "%s: the runs folder path is too long", base);
        int64_t owner;
        if (!dir_in_use(out, &owner))
            return TP_OK;
    }
    return tp_error_set(err, TP_EIO, "%s: no free folder for run %lld", base, (long long)id);
}

/* --- the lock and the heartbeat -------------------------------------------------------- */

/* The locks this process holds: a probe of one of them must not open and
 * close the file (closing any descriptor of a file drops the process's
 * record locks on it). */
static pthread_mutex_t g_held_mu = PTHREAD_MUTEX_INITIALIZER;
static PilotLock *g_held[8];

static void *heartbeat(void *arg) {
    PilotLock *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += PILOT_HEARTBEAT_S;
        pthread_cond_timedwait(&l->cv, &l->mu, &until);
        if (!l->stop)
            futimens(l->fd, NULL);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* Is this process's own lock the file of sb? */
static PilotLock *held_here(const struct stat *sb) {
    PilotLock *l = NULL;
    pthread_mutex_lock(&g_held_mu);
    for (int i = 0; i < 8; i++)
        if (g_held[i] && g_held[i]->dev == sb->st_dev && g_held[i]->ino == sb->st_ino)
            l = g_held[i];
    pthread_mutex_unlock(&g_held_mu);
    return l;
}

static void lock_path(const char *dir, char *out, size_t size) {
    snprintf(out, size, "%s/run.lock", dir);
}

TpStatus pilot_lock_take(const char *dir, int64_t id, const char *db_path, PilotLock *l,
                         TpError *err) {
    memset(l, 0, sizeof *l);
    l->fd = -1;
    char path[4200];
    lock_path(dir, path, sizeof path);
    struct stat sb;
    if (lstat(path, &sb) == 0 && held_here(&sb))
        return tp_error_set(err, TP_EINVAL, "run %lld is live: this process works on it (%s)",
                            (long long)id, dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0)
        return tp_error_set(err, TP_EIO, "%s: cannot open the run's lock: %s", path,
                            strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tp_error_set(err, TP_EIO, "%s: the run's lock is not a regular file", path);
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        long long pid = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? q.l_pid : 0;
        close(fd);
        if (e == EAGAIN || e == EACCES)
            return tp_error_set(err, TP_EINVAL,
                                "run %lld is live: process %lld works on it (%s is locked); "
                                "follow it with: tunepilot runs watch %lld",
                                (long long)id, pid, dir, (long long)id);
        return tp_error_set(err, TP_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    /* a folder whose lock names another run is that run's */
    char prev[256];
    ssize_t got = pread(fd, prev, sizeof prev - 1, 0);
    prev[got > 0 ? got : 0] = '\0';
    const char *ow = strstr(prev, "\"run\":");
    long long owner = ow ? strtoll(ow + 6, NULL, 10) : 0;
    if (owner > 0 && owner != id) {
        close(fd);
        return tp_error_set(err, TP_EINVAL,
                            "%s holds the files of run %lld, not of run %lld: a run never "
                            "takes over another run's folder",
                            dir, owner, (long long)id);
    }
    char body[4400];
    int n = snprintf(body, sizeof body, "{\"run\": %lld, \"pid\": %lld, \"database\": \"%s\"}\n",
                     (long long)id, (long long)getpid(), db_path ? db_path : "");
    if (ftruncate(fd, 0) != 0 || pwrite(fd, body, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return tp_error_set(err, TP_EIO, "%s: cannot write the run's lock: %s", path,
                            strerror(e));
    }
    l->fd = fd;
    l->run_id = id;
    l->dev = sb.st_dev;
    l->ino = sb.st_ino;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->started = tp_thread_start(&l->thread, heartbeat, l) == 0;
    pthread_mutex_lock(&g_held_mu);
    for (int i = 0; i < 8; i++)
        if (!g_held[i]) {
            g_held[i] = l;
            break;
        }
    pthread_mutex_unlock(&g_held_mu);
    return TP_OK;
}

void pilot_lock_release(PilotLock *l) {
    if (!l || l->fd < 0)
        return;
    pthread_mutex_lock(&g_held_mu);
    for (int i = 0; i < 8; i++)
        if (g_held[i] == l)
            g_held[i] = NULL;
    pthread_mutex_unlock(&g_held_mu);
    if (l->started) {
        pthread_mutex_lock(&l->mu);
        l->stop = true;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    close(l->fd); /* drops the lock */
    l->fd = -1;
}

/* Who holds the lock of the run folder dir: *pid > 0, or 0 when nobody.
 * *mtime: the last heartbeat (0 when there is no lock file). *owner: the run
 * id written in it. */
static void lock_probe(const char *dir, int64_t *pid, time_t *mtime, int64_t *owner) {
    *pid = 0;
    *mtime = 0;
    *owner = 0;
    char path[4200];
    lock_path(dir, path, sizeof path);
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return;
    *mtime = sb.st_mtime;
    PilotLock *mine = held_here(&sb);
    if (mine) { /* never open and close it here: that would drop our own lock */
        *pid = getpid();
        *owner = mine->run_id;
        return;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
        *pid = q.l_pid;
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    const char *r = strstr(buf, "\"run\":");
    if (r)
        *owner = strtoll(r + 6, NULL, 10);
    close(fd);
}

/* "2026-12-02T10:25:36Z" -> seconds since the epoch, 0 when unreadable. */
static time_t parse_utc(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

void pilot_run_state(const StoreRun *r, PilotRunState *out) {
    memset(out, 0, sizeof *out);
    out->status = r->status;
    out->last_seen = parse_utc(r->updated_at);
    if (strcmp(r->kind, "local") && strcmp(r->kind, "external"))
        return; /* hosted jobs live at the provider */
    int64_t owner = 0;
    time_t beat = 0;
    if (r->out_dir[0])
        lock_probe(r->out_dir, &out->pid, &beat, &owner);
    if (beat > out->last_seen)
        out->last_seen = beat;
    /* a lock held by a process working on another run (a row pointing into
     * a folder not its own) does not make this run live */
    out->live = out->pid > 0 && (owner == 0 || owner == r->id);
    if (!out->live)
        out->pid = 0;
    if (run_status_active(r->status) && !out->live &&
        time(NULL) - out->last_seen > PILOT_LOST_AFTER_S)
        out->status = RUN_LOST;
}

void pilot_describe_state(const StoreRun *r, const PilotRunState *s, char *out, size_t size) {
    if (s->status != RUN_LOST) {
        snprintf(out, size, "%s", r->message);
        return;
    }
    char when[64] = "at an unknown time";
    if (s->last_seen > 0) {
        long long ago = (long long)(time(NULL) - s->last_seen);
        struct tm tm;
        gmtime_r(&s->last_seen, &tm);
        char at[32];
        strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (ago < 120)
            snprintf(when, sizeof when, "%s (%lld s ago)", at, ago);
        else if (ago < 7200)
            snprintf(when, sizeof when, "%s (%lld min ago)", at, ago / 60);
        else
            snprintf(when, sizeof when, "%s (%.1f h ago)", at, ago / 3600.0);
    }
    if (!strcmp(r->kind, "external"))
        snprintf(out, size, "its process is gone; last seen %s; run the command again", when);
    else
        snprintf(out, size,
                 "its process is gone; last seen %s; continue from its last checkpoint with: "
                 "tunepilot runs resume %lld",
                 when, (long long)r->id);
}

/* --- the pause gate ----------------------------------------------------------------------- */

/* 0: free; 1: a database write is under way; 2: the process is stopping
 * (the handler won the gate and stops it). The handler and the writer meet
 * through one compare-and-swap, so a stop never begins inside a write. */
static atomic_int g_gate;
static atomic_int g_pause_pending; /* a SIGTSTP came during a write */

static void stop_now(void) {
    int free_gate = 0;
    if (atomic_compare_exchange_strong(&g_gate, &free_gate, 2)) {
        kill(getpid(), SIGSTOP); /* returns once SIGCONT continues the process */
        atomic_store(&g_gate, 0);
    } else {
        atomic_store(&g_pause_pending, 1);
    }
}

static void on_pause(int sig) {
    (void)sig;
    int saved = errno;
    stop_now();
    errno = saved;
}

void pilot_pause_gate_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_pause;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTSTP, &sa, NULL);
}

void pilot_gate_enter(void) {
    for (;;) {
        int free_gate = 0;
        if (atomic_compare_exchange_strong(&g_gate, &free_gate, 1))
            return;
        /* another thread's handler is stopping the process: wait for it */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

void pilot_gate_leave(void) {
    atomic_store(&g_gate, 0);
    if (atomic_exchange(&g_pause_pending, 0))
        stop_now();
}

/* --- control ---------------------------------------------------------------------------- */

TpStatus pilot_control(Store *s, int64_t id, PilotAction action, bool *restart, char *msg,
                       size_t msize, TpError *err) {
    if (restart)
        *restart = false;
    StoreRun r;
    TpStatus st = store_run_get(s, id, &r, err);
    if (st != TP_OK)
        return st;
    PilotRunState rs;
    pilot_run_state(&r, &rs);
    const char *name = run_status_name(rs.status);
    bool external = !strcmp(r.kind, "external");
    bool changed = false;
    if (strcmp(r.kind, "local") && !external) {
        st = tp_error_set(err, TP_EINVAL,
                          "run %lld is a hosted job: the provider runs it (see: tunepilot remote "
                          "--help)",
                          (long long)id);
    } else if (action == PILOT_PAUSE) {
        if (external)
            st = tp_error_set(err, TP_EINVAL,
                              "run %lld runs an external trainer, which tunepilot cannot pause "
                              "(cancel stops it: tunepilot runs cancel %lld)",
                              (long long)id, (long long)id);
        else if (!rs.live || !run_status_active(rs.status))
            st = tp_error_set(err, TP_EINVAL, "run %lld is %s: nothing to pause%s", (long long)id,
                              name,
                              rs.status == RUN_LOST || rs.status == RUN_INTERRUPTED
                                  ? " (continue it with: tunepilot runs resume ID)"
                                  : "");
        else if (rs.status == RUN_PAUSED)
            snprintf(msg, msize, "run %lld is already paused", (long long)id);
        else if (kill((pid_t)rs.pid, SIGTSTP) != 0)
            st = tp_error_set(err, TP_ERR, "run %lld: cannot stop process %lld: %s",
                              (long long)id, (long long)rs.pid, strerror(errno));
        else {
            char m[256];
            snprintf(m, sizeof m,
                     "paused: process %lld is stopped; continue with: tunepilot runs resume %lld",
                     (long long)rs.pid, (long long)id);
            st = store_run_set_status_if(s, id, RUN_RUNNING, RUN_PAUSED, m, &changed, err);
            snprintf(msg, msize, "run %lld paused (process %lld stopped)", (long long)id,
                     (long long)rs.pid);
        }
    } else if (action == PILOT_RESUME) {
        if (rs.live && rs.status == RUN_PAUSED) {
            if (kill((pid_t)rs.pid, SIGCONT) != 0)
                st = tp_error_set(err, TP_ERR, "run %lld: cannot continue process %lld: %s",
                                  (long long)id, (long long)rs.pid, strerror(errno));
            else
                st = store_run_set_status_if(s, id, RUN_PAUSED, RUN_RUNNING, "resumed", &changed,
                                             err);
            snprintf(msg, msize, "run %lld resumed (process %lld continues)", (long long)id,
                     (long long)rs.pid);
        } else if (rs.live) {
            st = tp_error_set(err, TP_EINVAL,
                              "run %lld is already running (process %lld); follow it with: "
                              "tunepilot runs watch %lld",
                              (long long)id, (long long)rs.pid, (long long)id);
        } else if (external) {
            st = tp_error_set(err, TP_EINVAL,
                              "run %lld ran an external command (%s), which tunepilot cannot "
                              "resume: run the command again",
                              (long long)id, r.data);
        } else if (rs.status == RUN_COMPLETED) {
            st = tp_error_set(err, TP_EINVAL, "run %lld already completed", (long long)id);
        } else {
            if (restart)
                *restart = true;
            snprintf(msg, msize, "run %lld has no live process: it continues from its last "
                     "checkpoint in a new one", (long long)id);
        }
    } else { /* cancel */
        if (rs.live) {
            int sig = external ? SIGTERM : SIGUSR1;
            if (kill((pid_t)rs.pid, sig) != 0)
                st = tp_error_set(err, TP_ERR, "run %lld: cannot signal process %lld: %s",
                                  (long long)id, (long long)rs.pid, strerror(errno));
            else /* a stopped process handles the cancel once it runs again; the
                  * recorded status may lag a pause, so it is always continued */
                kill((pid_t)rs.pid, SIGCONT);
            snprintf(msg, msize, "run %lld: cancelling after the current update (process %lld)",
                     (long long)id, (long long)rs.pid);
        } else if (run_status_active(r.status) || r.status == RUN_INTERRUPTED) {
            st = store_run_set_status_if(s, id, r.status, RUN_CANCELLED,
                                         "cancelled; the checkpoint is kept", &changed, err);
            snprintf(msg, msize, "run %lld cancelled", (long long)id);
        } else {
            st = tp_error_set(err, TP_EINVAL, "run %lld is %s: nothing to cancel", (long long)id,
                              name);
        }
    }
    store_run_free(&r);
    return st;
}

/* --- a run's split ------------------------------------------------------------------ */

TpStatus pilot_split_of(const PilotOptions *o, PilotSplit *out, TpError *err) {
    memset(out, 0, sizeof *out);
    Tokenizer *tok = NULL;
    TpStatus st = tokenizer_load(o->model_dir, &tok, err);
    if (st != TP_OK)
        return st;
    Dataset d;
    DatasetOptions dopt = {
        .max_seq = o->train.seq, .eval_split = o->train.eval_split, .seed = o->train.seed};
    st = dataset_load(o->data_path, tok, &dopt, &d, err);
    tokenizer_free(tok);
    if (st != TP_OK)
        return st;
    out->format = d.format;
    out->n_train = d.n_train;
    out->n_eval = d.n_eval;
    out->train_lines = tp_xcalloc((size_t)d.n_train + 1, sizeof(int));
    out->eval_lines = tp_xcalloc((size_t)d.n_eval + 1, sizeof(int));
    for (int i = 0; i < d.n_train; i++)
        out->train_lines[i] = d.train[i].line;
    for (int i = 0; i < d.n_eval; i++)
        out->eval_lines[i] = d.eval[i].line;
    dataset_free(&d);
    return TP_OK;
}

void pilot_split_free(PilotSplit *s) {
    if (!s)
        return;
    free(s->train_lines);
    free(s->eval_lines);
    memset(s, 0, sizeof *s);
}
