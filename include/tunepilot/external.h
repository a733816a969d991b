/* external.h - external trainers: any training command run as a child
 * process (`tunepilot pilot --backend command -- CMD ARGS...`), its output
 * turned into the same run records as a pilot run.
 *
 * The child runs in its own process group with standard input from
 * /dev/null and PYTHONUNBUFFERED=1 added to its environment (so Python
 * prints each line as it comes). Its environment keeps no secret
 * (net_env_is_secret: OPENAI_API_KEY, HF_TOKEN, ...) unless the user names
 * it in pass_env (--pass-env NAME), and every line it prints is redacted of
 * the values of this process's secret variables (net_secret_values) before
 * it is echoed, parsed or stored; so is the recorded command line. Its standard output and error are read
 * through pipes, copied as they arrive to echo_out / echo_err, and cut into
 * lines at "\n" (a segment that ends in a bare "\r", a progress bar's
 * redraw, is read but never stored as an event). In each line the text from
 * the first "{" to the last "}" is read as JSON, or else as a Python dict
 * (single-quoted strings, True/False/None, nan and inf, tuples, and wrappers
 * such as np.float64(1.5) or tensor(1.5, device='cuda:0') reduced to their
 * first argument), which is what a Hugging Face Trainer prints; a NaN loss
 * is recorded as a step without a loss:
 *
 *   {"event": "step"|"eval"|"log"|"summary", ...}  tunepilot's own --json events
 *   an object with "loss"          a metric: step = "step" (or "global_step",
 *                                  "iteration", "iter") when present, else one
 *                                  more than the highest step so far; lr from
 *                                  "learning_rate" or "lr"; "grad_norm",
 *                                  "tokens_per_s" / "tokens_per_second",
 *                                  "elapsed_s", "rss_mb", "tokens" / "num_tokens"
 *   an object with "eval_loss"     an evaluation (kind "eval") at its step, else
 *                                  the last metric step; accuracy from
 *                                  "eval_accuracy" or "eval_mean_token_accuracy"
 *   "train_runtime" / "train_loss" the trainer's final report: kept in the summary
 *   anything else                  an event (level "info"), at most max_events
 *
 * Numbers given as strings ("1.23") are read too. The run is recorded with
 * kind "external" and method "external" (model: the name; data: the command
 * line; config: {"backend": "command", "command": [...], "name", "cwd"}),
 * its pid set while the child lives. Status: "completed" when the child
 * exits 0, "failed" with "exit code N" (or "killed by signal N") and the last
 * line the child wrote otherwise, its last output lines then stored as
 * "error" events; "interrupted" once a stop was requested. The summary holds
 * the exit code, line/metric/eval/event counts, the last loss and eval loss,
 * the trainer's final report and a summary event the child sent.
 *
 * Owned by the pilot module (src/pilot/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_EXTERNAL_H
#define TUNEPILOT_EXTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/store.h"

#define EXTERNAL_TAIL_LINES 20  /* last lines stored as error events after a failure */

typedef struct ExternalOptions {
    char *const *argv;         /* the command, NULL-terminated; argv[0] is looked up in PATH */
    const char *const *pass_env; /* secret variables the child may see (NULL-terminated) */
    const char *name;          /* the run's name; NULL: the command's program name */
    FILE *echo_out, *echo_err; /* copies of the child's stdout / stderr; NULL: none */
    int max_events;            /* 0 = EXTERNAL_MAX_EVENTS */
    /* called once the run is recorded (may be NULL) */
    void (*on_start)(void *ctx, int64_t run_id, pid_t pid);
    void *ctx;
} ExternalOptions;

typedef struct ExternalResult {
    int64_t run_id;
    const char *status; /* "completed", "failed" or "interrupted" (static) */
    int exit_code;      /* the child's exit status, -1 when a signal ended it */
    int signal;         /* that signal, else 0 */
    int n_lines, n_metrics, n_evals, n_events, n_events_dropped;
    char message[512]; /* the status message recorded */
    char dir[4096];    /* the run's folder (its lock), set before on_start */
} ExternalResult;

/* Runs the command and records it. *stop counts stop requests (a signal
 * handler increments it): the first and second send SIGINT to the child's
 * process group, later ones SIGKILL. Returns TP_OK once the child ran,
 * whatever its exit (see res->status); TP_ENOTFOUND / TP_ERR when it could not
 * be started (nothing is recorded then), TP_EDB when the run cannot be
 * recorded (the child is killed). */
TpStatus external_run(Store *s, const ExternalOptions *o, volatile sig_atomic_t *stop,
                      ExternalResult *res, TpError *err);

/* The object in one output line of a trainer: JSON, else a Python dict as
 * Hugging Face's Trainer prints it (tuples, True/None, np.float64(x)); NULL
 * when the line holds none. Linear in len, no recursion on the input's
 * nesting (deeper than TP_MAX_JSON_DEPTH gives NULL). Exposed for tests and
 * fuzzing. Caller frees with cJSON_Delete. */
struct cJSON;
struct cJSON *external_line_object(const char *line, size_t len);

#endif
