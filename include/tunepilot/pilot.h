/* pilot.h - a pilot run: the trainer wired to the database, the run
 * directory (metrics.jsonl, checkpoint, adapter), progress output, the
 * before/after evaluation and the cost of the full run. */
#ifndef TUNEPILOT_PILOT_H
#define TUNEPILOT_PILOT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/pricing.h"
#include "tunepilot/store.h"
#include "tunepilot/trainer.h"

typedef enum {
    PILOT_QUIET,    /* nothing on stdout */
    PILOT_PROGRESS, /* a progress line (a terminal) */
    PILOT_LINES,    /* one plain line per update (not a terminal) */
    PILOT_JSON,     /* JSON lines: {"event": "step", ...} */
} PilotOutput;

typedef struct PilotOptions {
    TrainConfig train;
    const char *model_dir, *data_path;
    const char *out_dir;    /* NULL: $XDG_DATA_HOME/tunepilot/runs/<id> */
    PilotOutput output;
    int64_t resume_id;      /* > 0: resume this run with its recorded settings */
} PilotOptions;

/* Runs (or resumes) a pilot. *stop: 1 (SIGINT/SIGTERM) stops after the
 * update as "interrupted", 2 (SIGUSR1, a cancel from the workbench) as
 * "cancelled"; both leave a checkpoint. The run is recorded before training starts;
 * *run_id is set as soon as it exists. Returns TP_OK when the run finished
 * or was stopped through *stop (status "interrupted"); a failure marks the
 * run failed with the message. pricing (may be NULL) prices the full run on
 * the GPUs of its tables. */
TpStatus pilot_run(Store *s, const Pricing *pricing, const PilotOptions *o,
                   volatile sig_atomic_t *stop, int64_t *run_id, TpError *err);

/* The settings of a run as recorded (config JSON -> options). */
TpStatus pilot_options_from_run(const StoreRun *r, PilotOptions *o, TpError *err);

#endif
