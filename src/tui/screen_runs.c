/* screen_runs.c - every run (local, external, hosted) with its status; a
 * live monitor of the selected one: train and eval loss curves (smoothing,
 * log scale, zoom), learning rate, tokens/s, ETA, memory, progress, the last
 * log lines; pause, resume and cancel; and several runs on one chart. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <limits.h>
#include <math.h>
#include <ncurses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tui/chart.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tunepilot/paths.h"
#include "tunepilot/pilot.h"

#define MAX_COMPARE 6

typedef struct RunsState {
    StoreRun *runs;
    PilotRunState *state; /* what each run is now (lost ...), per reload */
    int n_runs, sel, top;
    int64_t confirm_cancel; /* a run whose cancel waits for y */
    time_t resumed_at;      /* a run resumed from here: refresh until it shows */
    bool marked[256];
    bool compare, log_y, smooth;
    int zoom; /* index into ZOOMS */
} RunsState;

static const int ZOOMS[] = {0, 200, 50, 20};

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a run"},
    {"Space", "mark the run for comparing"},
    {"c", "compare the marked runs (curves, speed, memory)"},
    {"m", "smooth the curves"},
    {"l", "log scale"},
    {"z", "zoom to the last steps"},
    {"p", "pause or resume the run"},
    {"r", "resume a paused, stopped or lost run from its checkpoint"},
    {"x", "cancel the run (asks first; its checkpoint is kept)"},
    {"PgUp/PgDn, Home/End", "scroll the run's log (the whole log, as tunepilot runs log ID "
                            "prints it; at its end it follows the newest line)"},
    {"v", "the log full-screen (] first: the run's figures)"},
    {"g", "reload"},
    {NULL, NULL},
};

static void free_runs(RunsState *r) {
    for (int i = 0; i < r->n_runs; i++)
        store_run_free(&r->runs[i]);
    free(r->runs);
    free(r->state);
    r->runs = NULL;
    r->state = NULL;
    r->n_runs = 0;
}

static void reload(TuiApp *a, RunsState *r) {
    int64_t keep = r->n_runs ? r->runs[r->sel].id : 0;
    free_runs(r);
    TpError err;
    if (a->store && store_run_list(a->store, &r->runs, &r->n_runs, &err) != TP_OK)
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    r->sel = 0;
    r->state = calloc((size_t)(r->n_runs ? r->n_runs : 1), sizeof *r->state);
    for (int i = 0; i < r->n_runs; i++) {
        pilot_run_state(&r->runs[i], &r->state[i]);
        if (r->runs[i].id == keep)
            r->sel = i;
    }
}

static void *runs_open(TuiApp *a) {
    (void)a;
    return calloc(1, sizeof(RunsState));
}

static void runs_close(TuiApp *a, void *self) {
    (void)a;
    RunsState *r = self;
    if (!r)
        return;
    free_runs(r);
    free(r);
}

static bool runs_live(const TuiApp *a, const void *self) {
    (void)a;
    const RunsState *r = self;
    if (r && r->resumed_at && time(NULL) - r->resumed_at < 60)
        return true;
    for (int i = 0; r && i < r->n_runs; i++)
        if (run_status_active(r->state[i].status))
            return true; /* refreshed until it ends or is seen lost */
    return false;
}

/* `o`: the selected run's report. */
static void runs_report(TuiApp *a, void *self) {
    RunsState *r = self;
    if (!r->n_runs)
        reload(a, r);
    tui_export_run(a, r->n_runs ? r->runs[r->sel].id : 0);
}

/* A run started from Pilot: shown at the front (and selected when its id is
 * known); refreshed until it shows. */
static int runs_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    RunsState *r = self;
    if (ev->kind != TUI_EV_RUN_STARTED)
        return TUI_NONE;
    reload(a, r);
    for (int i = 0; ev->id && i < r->n_runs; i++)
        if (r->runs[i].id == ev->id)
            r->sel = i;
    return TUI_FOCUS;
}

/* Starts `tunepilot runs resume ID` as its own process (its own session, so
 * it outlives the workbench), like a launch from Pilot. */
static void resume_detached(TuiApp *a, RunsState *r, int64_t id) {
    char db[4096], self[4096], num[32];
    TpError err;
    if (tp_path_db(db, sizeof db, a->opt.db_path, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "not resumed: %s", err.msg);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(a->message, sizeof a->message, "not resumed: cannot find the program");
        return;
    }
    self[n] = '\0';
    snprintf(num, sizeof num, "%lld", (long long)id);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (fork() != 0)
            _exit(0);
        execl(self, "tunepilot", "--db", db, "runs", "resume", num, "--json", (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    r->resumed_at = time(NULL);
    snprintf(a->message, sizeof a->message, "run %lld continues from its last checkpoint",
             (long long)id);
}

/* Pause, resume and cancel go through the pilot engine (pilot_control);
 * a run with no live process is resumed by a new one. */
static void control(TuiApp *a, RunsState *r, const StoreRun *run, PilotAction act) {
    bool restart = false;
    TpError err = {0};
    char msg[256] = "";
    if (pilot_control(a->store, run->id, act, &restart, msg, sizeof msg, &err) != TP_OK)
        snprintf(a->message, sizeof a->message, "%s", err.msg);
    else if (restart)
        resume_detached(a, r, run->id);
    else
        snprintf(a->message, sizeof a->message, "%s", msg);
    reload(a, r);
}

static int runs_key(TuiApp *a, void *self, int ch) {
    RunsState *r = self;
    StoreRun *run = r->n_runs ? &r->runs[r->sel] : NULL;
    if (r->confirm_cancel) { /* every key answers the question */
        int64_t id = r->confirm_cancel;
        r->confirm_cancel = 0;
        run = NULL;
        for (int i = 0; i < r->n_runs; i++)
            if (r->runs[i].id == id)
                run = &r->runs[i];
        if ((ch == 'y' || ch == 'Y') && run)
            control(a, r, run, PILOT_CANCEL);
        else
            snprintf(a->message, sizeof a->message, "run %lld kept", (long long)id);
        return TUI_REDRAW;
    }
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (r->sel > 0)
            r->sel--;
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        if (r->sel + 1 < r->n_runs)
            r->sel++;
        return TUI_REDRAW;
    case ' ':
        if (run && r->sel < 256)
            r->marked[r->sel] = !r->marked[r->sel];
        return TUI_REDRAW;
    case 'c':
        r->compare = !r->compare;
        return TUI_REDRAW;
    case 'm':
        r->smooth = !r->smooth;
        return TUI_REDRAW;
    case 'l':
        r->log_y = !r->log_y;
        return TUI_REDRAW;
    case 'z':
        r->zoom = (r->zoom + 1) % (int)(sizeof ZOOMS / sizeof ZOOMS[0]);
        return TUI_REDRAW;
    case 'g':
        reload(a, r);
        return TUI_REDRAW;
    case 'p':
        if (run && r->state[r->sel].status == RUN_PAUSED)
            control(a, r, run, PILOT_RESUME);
        else if (run)
            control(a, r, run, PILOT_PAUSE);
        return TUI_REDRAW;
    case 'r':
        if (run)
            control(a, r, run, PILOT_RESUME);
        return TUI_REDRAW;
    case 'x':
        if (run) {
            r->confirm_cancel = run->id;
            snprintf(a->message, sizeof a->message,
                     "cancel run %lld? y cancels it (its checkpoint is kept), any other key "
                     "keeps it",
                     (long long)run->id);
        }
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* --- drawing ------------------------------------------------------------------------------ */

static void draw_list(TuiApp *a, RunsState *r, Rect b, int rows) {
    char hdr[200];
    snprintf(hdr, sizeof hdr, "  %4s  %-11s %-8s %11s %9s %9s  %s", "id", "status", "method",
             "steps", "loss", "tok/s", "data");
    tui_text(a, b.y, b.x, b.w, ROLE_HEADER, false, hdr);
    if (!r->n_runs) {
        tui_text(a, b.y + 1, b.x, b.w, ROLE_DIM, false,
                 "no runs yet: start one from Pilot (5), or tunepilot pilot --demo");
        return;
    }
    if (r->sel < r->top)
        r->top = r->sel;
    if (r->sel >= r->top + rows)
        r->top = r->sel - rows + 1;
    for (int i = 0; i < rows && r->top + i < r->n_runs; i++) {
        int k = r->top + i;
        const StoreRun *run = &r->runs[k];
        StoreMetric *m = NULL;
        int n = 0;
        TpError err;
        store_run_metrics(a->store, run->id, run->last_step - 1, &m, &n, &err);
        const char *data = strrchr(run->data, '/');
        char line[400];
        snprintf(line, sizeof line, "%s %4lld  %-11s %-8s %5lld/%-5lld %9.4f %9.0f  %s",
                 k < 256 && r->marked[k] ? "*" : " ", (long long)run->id,
                 run_status_name(r->state[k].status),
                 run->method, (long long)(run->last_step > 0 ? run->last_step : 0),
                 (long long)run->total_steps, n ? m[n - 1].loss : NAN,
                 n ? m[n - 1].tokens_per_s : NAN, data ? data + 1 : run->data);
        free(m);
        RunStatus rs = r->state[k].status;
        TuiRole role = k == r->sel                                ? ROLE_SELECTED
                       : rs == RUN_FAILED || rs == RUN_LOST       ? ROLE_BAD
                       : rs == RUN_COMPLETED                      ? ROLE_GOOD
                                                                  : ROLE_NORMAL;
        tui_text(a, b.y + 1 + i, b.x, b.w, role, true, line);
    }
}

/* Loss curves: train (per update) and eval of the selected run, or the
 * train curves of the marked runs in compare mode. */
static void draw_curves(TuiApp *a, RunsState *r, Rect rc) {
    int ids[MAX_COMPARE], n_ids = 0;
    if (r->compare) {
        for (int i = 0; i < r->n_runs && i < 256 && n_ids < MAX_COMPARE; i++)
            if (r->marked[i])
                ids[n_ids++] = i;
    }
    if (!n_ids && r->n_runs)
        ids[n_ids++] = r->sel;
    ChartSeries s[MAX_COMPARE + 1];
    double *xs[MAX_COMPARE + 1] = {0}, *ys[MAX_COMPARE + 1] = {0};
    int ns = 0;
    char legend[512] = "";
    for (int i = 0; i < n_ids; i++) {
        const StoreRun *run = &r->runs[ids[i]];
        StoreMetric *m = NULL;
        int n = 0;
        TpError err;
        store_run_metrics(a->store, run->id, -1, &m, &n, &err);
        xs[ns] = malloc(sizeof(double) * (size_t)(n ? n : 1));
        ys[ns] = malloc(sizeof(double) * (size_t)(n ? n : 1));
        for (int k = 0; k < n; k++) {
            xs[ns][k] = (double)m[k].step;
            ys[ns][k] = m[k].loss;
        }
        s[ns] = (ChartSeries){xs[ns], ys[ns], n, ns, NULL};
        size_t used = strlen(legend);
        /* without colours the chart draws markers; the legend names them */
        snprintf(legend + used, sizeof legend - used, "%s%s%srun %lld %s%s", i ? "  " : "",
                 a->mono ? chart_marker(ns) : "", a->mono ? " " : "", (long long)run->id,
                 run->method, n_ids == 1 ? " train" : "");
        ns++;
        free(m);
    }
    if (n_ids == 1) { /* eval points of the single run */
        StoreEval *e = NULL;
        int ne = 0;
        TpError err;
        store_run_evals(a->store, r->runs[ids[0]].id, &e, &ne, &err);
        xs[ns] = malloc(sizeof(double) * (size_t)(ne ? ne : 1));
        ys[ns] = malloc(sizeof(double) * (size_t)(ne ? ne : 1));
        int k = 0;
        for (int i = 0; i < ne; i++)
            if (!strcmp(e[i].kind, "eval") || !strcmp(e[i].kind, "base") ||
                !strcmp(e[i].kind, "tuned")) {
                xs[ns][k] = (double)e[i].step;
                ys[ns][k++] = e[i].loss;
            }
        s[ns] = (ChartSeries){xs[ns], ys[ns], k, 1, NULL};
        ns++;
        free(e);
        size_t used = strlen(legend);
        snprintf(legend + used, sizeof legend - used, "  %s%seval", a->mono ? chart_marker(1) : "",
                 a->mono ? " " : "");
    }
    ChartOptions opt = chart_options_default();
    opt.ascii = a->ascii;
    opt.log_y = r->log_y;
    opt.smooth = r->smooth ? 0.9 : 0;
    opt.last_n = ZOOMS[r->zoom];
    opt.markers = a->mono;
    tui_textf(a, rc.y, rc.x, rc.w, ROLE_HEADER, "loss by update: %s   [smooth %s, %s scale, %s]",
              legend, r->smooth ? "on" : "off", r->log_y ? "log" : "linear",
              opt.last_n ? "last steps" : "all steps");
    if (opt.last_n) {
        char z[32];
        snprintf(z, sizeof z, "last %d", opt.last_n);
        tui_text(a, rc.y, rc.x + rc.w - 10, 10, ROLE_DIM, false, z);
    }
    ChartGrid g;
    Rect plot = {rc.y + 1, rc.x, rc.h - 1, rc.w};
    chart_render(s, ns, plot.h, plot.w, &opt, &g);
    if (g.cells) {
        tui_blit_chart(a, &g, plot);
        chart_grid_free(&g);
    }
    for (int i = 0; i < ns; i++) {
        free(xs[i]);
        free(ys[i]);
    }
}

/* Compare mode: the marked runs' speed and memory side by side (mean
 * tokens/s and peak resident memory over their recorded updates). */
static void draw_compare(TuiApp *a, RunsState *r, Rect d) {
    int y = d.y;
    tui_text(a, y++, d.x, d.w, ROLE_HEADER, false, "compare: speed and memory");
    tui_textf(a, y++, d.x, d.w, ROLE_HEADER, "%5s %-7s %8s %8s %9s", "run", "method", "tok/s",
              "peak MB", "last loss");
    int shown = 0;
    for (int i = 0; i < r->n_runs && i < 256 && y < d.y + d.h; i++) {
        if (!r->marked[i])
            continue;
        StoreMetric *m = NULL;
        int n = 0;
        TpError err;
        store_run_metrics(a->store, r->runs[i].id, -1, &m, &n, &err);
        double tps = 0, peak = 0;
        for (int k = 0; k < n; k++) {
            tps += m[k].tokens_per_s / n;
            if (m[k].rss_mb > peak)
                peak = m[k].rss_mb;
        }
        tui_textf(a, y++, d.x, d.w, (TuiRole)(ROLE_SERIES0 + shown++ % 6),
                  "%5lld %-7s %8.0f %8.0f %9.4f", (long long)r->runs[i].id, r->runs[i].method,
                  tps, peak, n ? m[n - 1].loss : NAN);
        free(m);
    }
}

/* Figures of the selected run: lr, speed, ETA, memory, progress, what its
 * state means (a panel sized to them), and below them its whole log (a
 * panel that follows the newest line while the view is at its end; PgUp,
 * PgDn, Home, End scroll it, v shows it full-screen). */
static void draw_details(TuiApp *a, RunsState *r, Rect d) {
    if (!r->n_runs)
        return;
    if (r->compare) {
        draw_compare(a, r, d);
        return;
    }
    const StoreRun *run = &r->runs[r->sel];
    StoreMetric *m = NULL;
    int n = 0;
    TpError err;
    store_run_metrics(a->store, run->id, run->last_step - 1, &m, &n, &err);
    const PilotRunState *ps = &r->state[r->sel];
    TuiDoc doc = {0};
    if (n) {
        const StoreMetric *x = &m[n - 1];
        double eta = x->step > 0 && run->total_steps > x->step
                         ? x->elapsed_s / x->step * (double)(run->total_steps - x->step)
                         : 0;
        doc_addf(&doc, ROLE_NORMAL, "step %lld of %lld   loss %.4f", (long long)x->step,
                 (long long)run->total_steps, x->loss);
        doc_addf(&doc, ROLE_NORMAL, "lr %.2e   grad norm %.3f", x->lr, x->grad_norm);
        doc_addf(&doc, ROLE_NORMAL, "%.0f tok/s   %.0f MB   ETA %.0f s", x->tokens_per_s,
                 x->rss_mb, eta);
        char bar[256];
        chart_bar(run->total_steps ? (double)x->step / (double)run->total_steps : 0, d.w, a->ascii,
                  bar, sizeof bar);
        doc_add(&doc, ROLE_GOOD, 0, true, bar);
    } else {
        doc_add(&doc, ROLE_DIM, 0, false, "no steps recorded yet");
    }
    free(m);
    /* the final evaluation of a finished run */
    PilotSummary sum; /* one that cannot be read records nothing (pilot.h) */
    pilot_summary_parse(run->summary, "the run's summary", &sum, &err);
    if (isfinite(sum.base.loss) && isfinite(sum.tuned.loss))
        doc_addf(&doc, ROLE_GOOD, "held-out loss %.4f -> %.4f", sum.base.loss, sum.tuned.loss);
    if (isfinite(sum.base.accuracy) && isfinite(sum.tuned.accuracy))
        doc_addf(&doc, ROLE_GOOD, "exact match base %.1f%% -> tuned %.1f%%",
                 100 * sum.base.accuracy, 100 * sum.tuned.accuracy);
    if (isfinite(sum.full_run.here_hours))
        doc_addf(&doc, ROLE_NORMAL, "full run here: %.2f h (runs show %lld)",
                 sum.full_run.here_hours, (long long)run->id);
    pilot_summary_free(&sum);
    char said[600];
    pilot_describe_state(run, ps, said, sizeof said);
    doc_add(&doc, ps->status == RUN_FAILED || ps->status == RUN_LOST ? ROLE_BAD : ROLE_DIM, 0,
            false, said);
    /* the figures take the rows they need, up to half; the log the rest */
    int fig_h = tui_doc_rows(&doc, d.w) + 1;
    if (fig_h > d.h / 2)
        fig_h = d.h / 2;
    Rect fig = {d.y, d.x, fig_h, d.w}, logr = {d.y + fig_h + 1, d.x, d.h - fig_h - 1, d.w};
    TuiDoc log = {0};
    StoreEvent *ev = NULL;
    int ne = 0;
    if (store_run_events(a->store, run->id, INT_MAX, &ev, &ne, &err) == TP_OK)
        for (int i = 0; i < ne; i++)
            doc_add_hang(&log, !strcmp(ev[i].level, "error") ? ROLE_BAD : ROLE_NORMAL, 2,
                         ev[i].message);
    if (!ne)
        doc_add(&log, ROLE_DIM, 0, false, "nothing logged yet");
    free(ev);
    char title[160];
    /* the log is the first panel: PgUp/PgDn reach it without ] */
    snprintf(title, sizeof title, "log of run %lld (%d lines)", (long long)run->id, ne);
    tui_panel_tail(a, title, &log, logr);
    snprintf(title, sizeof title, "run %lld (%s, %s)", (long long)run->id, run->method,
             run_status_name(ps->status));
    tui_panel(a, title, &doc, fig);
}

static void runs_draw(TuiApp *a, void *self) {
    RunsState *r = self;
    reload(a, r); /* the database is the source of truth: other processes write it */
    Rect b = a->lay.body;
    if (!a->store) {
        tui_textf(a, b.y, b.x, b.w, ROLE_BAD, "database unavailable: %s", a->store_error);
        return;
    }
    int list_rows = r->n_runs < 6 ? (r->n_runs ? r->n_runs : 1) : 6;
    draw_list(a, r, b, list_rows);
    int top = b.y + list_rows + 2;
    Rect rest = {top, b.x, b.y + b.h - top, b.w};
    Rect chart = rest, details;
    if (a->lay.has_side) {
        details = a->lay.side;
    } else {
        chart.w = rest.w * 2 / 3;
        details = (Rect){rest.y, rest.x + chart.w + 1, rest.h, rest.w - chart.w - 1};
    }
    if (r->n_runs)
        draw_curves(a, r, chart);
    draw_details(a, r, details);
}

const TuiScreenClass tui_runs_screen = {
    .name = "Runs",
    .keys = KEYS,
    .footer = "Up/Down run  Space mark  c compare  m smooth  l log  z zoom  p pause/resume  "
              "r resume  x cancel",
    .open = runs_open,
    .close = runs_close,
    .draw = runs_draw,
    .key = runs_key,
    .notify = runs_notify,
    .live = runs_live,
    .report = runs_report,
};
