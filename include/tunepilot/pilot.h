/* pilot.h - a pilot run: the trainer wired to the database, the run
 * directory (metrics.jsonl, checkpoint, adapter), the events a face shows (PilotView), the
 * before/after evaluation and the cost of the full run.
 *
 * Owned by the pilot module (src/pilot/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_PILOT_H
#define TUNEPILOT_PILOT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tunepilot/dataset.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"
#include "tunepilot/trainer.h"

struct PilotSummary;

/* What a face shows of a running pilot: the engine prints nothing and calls
 * these (each may be NULL) from the thread that called pilot_run, in the
 * order things happen. The pointers are valid only during the call. */
typedef struct PilotView {
    void *ctx;
    /* Each event as one JSON line without the newline: "start", "step",
     * "eval", "log" (as appended to the run's metrics.jsonl), and at the end
     * of a completed run {"event": "summary", "summary": {...}} (recorded in
     * the database, not in metrics.jsonl). */
    void (*json)(void *ctx, const char *line);
    void (*step)(void *ctx, const TrainStep *s);
    void (*eval)(void *ctx, const TrainEval *e);
    void (*log)(void *ctx, const char *level, const char *msg);
    /* A completed run's summary, as recorded. */
    void (*summary)(void *ctx, const struct PilotSummary *summary);
    /* The run ended in any way (after its last event). */
    void (*done)(void *ctx);
} PilotView;

typedef struct PilotOptions {
    TrainConfig train;
    const char *model_dir, *data_path;
    /* NULL: a folder of the run's own beside the database in use
     * (pilot_default_run_dir). Given: it must be absent or empty. */
    const char *out_dir;
    PilotView view;
    int64_t resume_id;      /* > 0: resume this run with its recorded settings */
} PilotOptions;

/* Runs (or resumes) a pilot. *stop: 1 (SIGINT/SIGTERM) stops after the
 * update as "interrupted", 2 (SIGUSR1: pilot_control's cancel) as
 * "cancelled"; both leave a checkpoint. The run is recorded before training starts;
 * *run_id is set as soon as it exists. Returns TP_OK when the run finished
 * or was stopped through *stop (status "interrupted"); a failure marks the
 * run failed with the message. pricing (may be NULL) prices the full run on
 * the GPUs of its tables.
 *
 * Run identity: the model, data and folder paths are recorded absolute; a
 * new run takes a folder of its own and never reads another run's
 * checkpoint (only resume_id resumes); the process holds the run's lock
 * (pilot_run_state) from before its first step to its last record, and a
 * resume is refused while another process holds it. The first event
 * (PILOT_JSON and metrics.jsonl) is {"event": "start", "run", "dir",
 * "model", "data", "resumed", "settings"}. */
TpStatus pilot_run(Store *s, const Pricing *pricing, const PilotOptions *o,
                   volatile sig_atomic_t *stop, int64_t *run_id, TpError *err);

/* The settings of a run as recorded (config JSON -> options). The strings of
 * o (paths, names) point into r: valid while r is, until store_run_free. */
TpStatus pilot_options_from_run(const StoreRun *r, PilotOptions *o, TpError *err);

/* A run's train/held-out split as 1-based line numbers of its data file, in
 * the order the trainer took them: the data loaded again with the run's
 * recorded settings (tokenizer, sequence length, eval split, seed), so the
 * same examples. Owns train_lines and eval_lines (pilot_split_free). */
typedef struct PilotSplit {
    DatasetFormat format;
    int *train_lines, *eval_lines;
    int n_train, n_eval;
} PilotSplit;

TpStatus pilot_split_of(const PilotOptions *o, PilotSplit *out, TpError *err);
void pilot_split_free(PilotSplit *s);

/* --- a completed run's summary (the runs table's summary column) ------------------- */

/* One evaluation over the held-out examples (NAN when not measured). */
typedef struct PilotScore {
    double loss, accuracy;
    int examples;
} PilotScore;

/* The full run on one priced GPU. */
typedef struct PilotGpuRun {
    char gpu[64], cloud[64];
    double hours, usd, usd_per_hour;
} PilotGpuRun;

/* The full dataset for the configured epochs, on this machine (measured
 * tokens/s) and on each priced GPU (its dense bf16 peak x the
 * gpu_training_mfu rule). */
typedef struct PilotFullRun {
    double epochs, tokens, flops_per_token, total_flops;
    double here_hours, here_tokens_per_s; /* NAN when not measured */
    double gpu_utilization;               /* NAN without the rule (then no GPU) */
    char gpu_utilization_source[512];
    PilotGpuRun *gpus; /* n_gpus; owned */
    int n_gpus;
} PilotFullRun;

/* What a completed pilot recorded: the before/after evaluation, the export,
 * the data and model sizes, the speed and the full run priced. One writer
 * (pilot_summary_json) and one reader (pilot_summary_parse). Numbers not
 * recorded (an older run) are NAN, counts -1. */
typedef struct PilotSummary {
    PilotScore base, tuned;
    char *examples; /* the shown examples as text ("" when none); owned */
    char export_dir[4200];
    char template_name[64];
    long long n_train, n_eval, n_truncated, n_params, n_trainable;
    double frozen_bytes_per_weight, tokens_per_s, achieved_gflops;
    PilotFullRun full_run;
} PilotSummary;

/* The summary as recorded (a JSON object; the caller frees the text). */
char *pilot_summary_json(const PilotSummary *s);
/* Reads a recorded summary; name stands for it in messages. TP_EINVAL when
 * it is not a JSON object (or json is NULL); *out then reads as a summary
 * that records nothing (numbers NAN, counts -1, no GPUs), so a face may show
 * it either way. pilot_summary_free releases *out (also after a failure). */
TpStatus pilot_summary_parse(const char *json, const char *name, PilotSummary *out, TpError *err);
void pilot_summary_free(PilotSummary *s);

/* The settings as the JSON recorded with the run (and sent in the start
 * event); the caller frees it. */
char *pilot_settings_json(const TrainConfig *c);

/* --- run identity, liveness and control (run.c) ---------------------------------------- */

/* The process working on a run touches its lock file this often... */
#define PILOT_HEARTBEAT_S 2
/* ...and a running or paused run whose lock nobody holds and whose last sign
 * of life (heartbeat or record update) is older than this is lost. */
#define PILOT_LOST_AFTER_S 15

/* path made absolute: resolved when it exists, else joined to the current
 * folder. */
TpStatus pilot_absolute_path(const char *path, char *out, size_t size, TpError *err);

/* A folder of the database's own beside it, absolute: DIR/what for
 * DIR/tunepilot.db, DIR/NAME-what for DIR/NAME.db or DIR/NAME (runs,
 * drafts), so two databases never share one. */
TpStatus pilot_db_sibling(const char *db_path, const char *what, char *out, size_t size,
                          TpError *err);

/* The folder of a run without --out: runs/<id> beside the database
 * (<name>-runs/<id> for a database file not named tunepilot.db), so two
 * databases never share one; <id>.2, <id>.3 ... when that folder already
 * holds files (left by a database deleted since). Absolute. */
TpStatus pilot_default_run_dir(const char *db_path, int64_t id, char *out, size_t size,
                               TpError *err);

typedef struct PilotRunState {
    RunStatus status; /* as stored, or RUN_LOST */
    bool live;        /* a process holds the run's lock */
    int64_t pid;      /* that process (0 when none) */
    time_t last_seen; /* the newest heartbeat or record update (0: unknown) */
} PilotRunState;

/* What a reader can tell of a run now (no database access). */
void pilot_run_state(const StoreRun *r, PilotRunState *out);
/* The run's message, or for a lost run when it was last seen and how to
 * continue it. */
void pilot_describe_state(const StoreRun *r, const PilotRunState *s, char *out, size_t size);

typedef enum { PILOT_PAUSE, PILOT_RESUME, PILOT_CANCEL } PilotAction;

/* Pauses (SIGTSTP, which the pilot process turns into a stop between two
 * database writes: see pilot_pause_gate_install), resumes (SIGCONT) or
 * cancels (the trainer checkpoints
 * and records "cancelled") a local run; an external trainer can only be
 * cancelled (SIGTERM, passed on to it). Signals go only to the process
 * holding the run's lock, found through the lock, never the pid recorded in
 * the database. A run with no live process is cancelled in the database
 * alone; resuming one sets *restart (the caller starts pilot_run with
 * resume_id). msg (msize bytes) says what was done. TP_EINVAL when the run
 * is in no state for it (completed, already running ...). */
TpStatus pilot_control(Store *s, int64_t id, PilotAction action, bool *restart, char *msg,
                       size_t msize, TpError *err);

/* The pause gate of a process that runs a pilot. pilot_control pauses a run
 * with SIGTSTP; this handler stops the process (SIGSTOP) at once, unless it
 * is inside a database write (between pilot_gate_enter and
 * pilot_gate_leave), in which case it stops as soon as the write ends. A
 * paused run therefore never holds the database's write lock, which would
 * block every other writer (and the pause's own status update) until it is
 * resumed. Without the handler SIGTSTP stops the process as before. */
void pilot_pause_gate_install(void);
void pilot_gate_enter(void);
void pilot_gate_leave(void);

#endif
