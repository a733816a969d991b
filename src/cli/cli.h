/* cli.h - shared pieces of the command-line face. Private to src/cli/. */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "tunepilot/error.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

/* Options every command understands. */
typedef struct CliGlobal {
    const char *db_path; /* --db, or NULL */
    bool no_color;       /* --no-color */
} CliGlobal;

/* Exit codes (design.md): 0 ok, 1 failure, 2 usage error or invalid input. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "tunepilot: <msg>" to stderr and returns the exit code for st. */
int cli_fail(TpStatus st, const TpError *err);
/* Prints a usage error (and a hint to --help for `cmd`) and returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Takes the value of option `name` at argv[*i] ("--x V" or "--x=V"). Returns
 * true when argv[*i] is that option; *val NULL means the value is missing. */
bool cli_take(int argc, char **argv, int *i, const char *name, const char **val);
/* Parses a whole non-negative integer; false on anything else. */
bool cli_parse_ll(const char *s, long long *out);
/* Parses a number in [lo, hi] (the whole of s); false on anything else. */
bool cli_parse_num(const char *s, double lo, double hi, double *out);

/* Opens the database (path from --db, TUNEPILOT_DB or XDG). */
TpStatus cli_open_store(const CliGlobal *g, Store **out, TpError *err);

/* Prices by the snapshot rule (session.h): snapshot < 0 the newest stored
 * snapshot over the bundled tables (the bundled tables alone when there is
 * none or no database), 0 the bundled tables, N > 0 snapshot N. Opens the
 * store when *store is NULL and a snapshot may be needed. */
TpStatus cli_load_pricing(const CliGlobal *g, Store **store, long long snapshot, Pricing *p,
                          TpError *err);
/* "snapshot 3 (label, as of DATE) over the bundled tables" or "snapshot 0
 * (the bundled tables)": what every text output names. */
void cli_pricing_note(const Pricing *p, char *out, size_t size);
/* {"snapshot": N, "label": ..., "as_of": ...}: what every JSON output names. */
#include <cjson/cJSON.h>
cJSON *cli_pricing_json(const Pricing *p);
/* Opens the store; NULL (no error) when it cannot be opened. */
Store *cli_store_or_null(const CliGlobal *g);

/* Reads a scenario document: a file (or standard input for "-") when file
 * is non-NULL, else the bundled example `example`. *text is malloc'ed (NUL
 * terminated); name (nsize bytes) is set for messages. An unknown example
 * is TP_EINVAL listing the bundled ones. */
TpStatus cli_read_scenario(const char *file, const char *example, char **text, size_t *len,
                           char *name, size_t nsize, TpError *err);

/* What a command writes with -o, to recognize an earlier output of the same
 * kind from the first bytes of a file (NUL-terminated, up to 4 KiB). */
typedef struct CliOutputKind {
    const char *name; /* "cost report" */
    bool (*recognize)(const char *head, size_t len);
} CliOutputKind;

/* The one check of every -o, made before anything is computed: NULL or "-"
 * (standard output) passes; a path that is one of the command's inputs (the
 * same file, through a link or not) is refused; an existing file is
 * overwritten only when it is an earlier output of the same kind, or with
 * force (--force). Anything else is TP_EINVAL naming the file and why. */
TpStatus cli_output_check(const char *path, const char *const *inputs, int n_inputs,
                          const CliOutputKind *kind, bool force, TpError *err);

/* Writes text to path atomically, or to stdout when path is NULL or "-". */
TpStatus cli_write_output(const char *path, const char *text, TpError *err);

int cmd_cost(const CliGlobal *g, int argc, char **argv);
int cmd_data(const CliGlobal *g, int argc, char **argv);
int cmd_decide(const CliGlobal *g, int argc, char **argv);
int cmd_examples(const CliGlobal *g, int argc, char **argv);
int cmd_eval(const CliGlobal *g, int argc, char **argv);
struct HandoffCompare;
/* The real run of a hand-off bundle against its projection (runs show). */
void cli_print_handoff_compare(const struct HandoffCompare *c);
int cmd_handoff(const CliGlobal *g, int argc, char **argv);
int cmd_pricing(const CliGlobal *g, int argc, char **argv);
int cmd_scenarios(const CliGlobal *g, int argc, char **argv);
/* `scenarios edit` (cmd_scenario_edit.c): argv[1] is "edit". */
int cli_scenarios_edit(const CliGlobal *g, int argc, char **argv);
/* tunepilot scenarios recover: the workbench's recovery drafts. */
int cli_scenarios_recover(const CliGlobal *g, int argc, char **argv);
/* Whether the first bytes of a file look like a scenario document (an
 * earlier -o of a scenario, which -o may replace). */
bool cli_looks_like_scenario(const char *head, size_t len);
int cmd_model(const CliGlobal *g, int argc, char **argv);
int cmd_tui(const CliGlobal *g, int argc, char **argv);
int cmd_pilot(const CliGlobal *g, int argc, char **argv);
/* The pilot's signal handling (cmd_pilot.c): Ctrl-C and SIGTERM stop, SIGUSR1
 * cancels, and a pause never lands inside a database write;
 * cli_pilot_stopped says whether a stop came. */
void cli_pilot_signals(void);
bool cli_pilot_stopped(void);
struct PilotOptions;
/* Runs the pilot o (from a recorded run) with the terminal view of `tunepilot
 * pilot` (JSON lines when json); the exit code. */
int cli_pilot_resume(const CliGlobal *g, struct PilotOptions *o, bool json);
int cmd_runs(const CliGlobal *g, int argc, char **argv);
/* runs report / export / show --format html (cmd_runs_report.c) */
int cli_runs_report(const CliGlobal *g, int argc, char **argv);
/* The current time as "YYYY-MM-DDTHH:MM:SSZ". */
void cli_now_utc(char *out, size_t size);
int cmd_demo(const CliGlobal *g, int argc, char **argv);
int cmd_probe(const CliGlobal *g, int argc, char **argv);  /* cmd_probe.c */
int cmd_remote(const CliGlobal *g, int argc, char **argv); /* cmd_remote.c */
int cmd_review(const CliGlobal *g, int argc, char **argv); /* cmd_review.c */
/* `pricing update` and `pricing diff` (cmd_net.c); argv[0] is the subcommand. */
int cli_pricing_update(const CliGlobal *g, int argc, char **argv);
int cli_pricing_diff(const CliGlobal *g, int argc, char **argv);
struct CostScenario;
/* cost_scenario_parse, plus the stored probes when the scenario names one
 * ("probe": ID; the store is opened when *store is NULL). cmd_net.c. */
TpStatus cli_parse_scenario(const CliGlobal *g, Store **store, const char *text, size_t len,
                            const char *name, const Pricing *p, struct CostScenario *sc,
                            TpError *err);

struct SessionEvidence;
/* Applies pilot run `run`'s measurements (0 = the newest finished run) to
 * the scenario document in *text (replaced, *len updated); ev gets the
 * evidence. cmd_cost.c. */
TpStatus cli_apply_run(Store *store, long long run, char **text, size_t *len, const char *name,
                       struct SessionEvidence *ev, TpError *err);

/* The bundled demo's directory (model/ and tickets.jsonl): $TUNEPILOT_DEMO_DIR,
 * else the source tree's assets/demo, else <program dir>/../share/tunepilot/demo.
 * False when none holds the demo (out: the last place tried). */
bool cli_demo_dir(char *out, size_t size);
struct PilotOptions;
/* `pilot --demo`: points o at the demo's model and tickets (paths written to
 * model and data, size bytes each) with the demo's training settings. CLI_OK,
 * or the exit code after printing why the demo cannot run. */
int cli_demo_pilot(struct PilotOptions *o, char *model, char *data, size_t size);
/* Prints what the demo run is about to show. */
void cli_demo_announce(const struct PilotOptions *o);

/* Projects the bundled example NAME as a table on stdout (the default
 * action until the TUI exists). */
int cli_show_example(const CliGlobal *g, const char *name);

#endif
