/* main.c - tunepilot's entry point: global options and subcommand dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tunepilot/blas.h"
#include "tunepilot/net.h"

#include <unistd.h>

#include "tui/tui.h"

static const char USAGE[] =
    "tunepilot " TP_VERSION " - prompt engineering, RAG or fine-tuning: what each costs,\n"
    "how fast it answers, and whether a fine-tune helps.\n"
    "\n"
    "usage: tunepilot [--db PATH] COMMAND [ARGS]\n"
    "\n"
    "  (no command)       the workbench (a terminal UI: Decide, Costs, Pricing, History);\n"
    "                     when not on a terminal, the projection of the bundled example\n"
    "  tui [--scenario F] the workbench, opening a scenario file in Costs\n"
    "  cost SCENARIO      cost and latency of each option over a horizon\n"
    "  data               check FILE: audit a fine-tuning data set (format errors,\n"
    "                     tokens, duplicates, leakage, hosted fine-tune cost)\n"
    "  decide             prompt, RAG or fine-tune? a verdict from a decision framework\n"
    "  demo               build|path: the bundled pilot demo (run it: pilot --demo)\n"
    "  eval               held-out examples through a prompted frontier model and the\n"
    "                     pilot's base and tuned models, scored side by side\n"
    "  examples           list the bundled example scenarios\n"
    "  handoff RUN        --to axolotl|trl|torchtune: a pilot's full run as a bundle\n"
    "                     for a distributed trainer, sized and priced for the GPUs\n"
    "  model              info|tokenize|score|generate|list: Hugging Face Llama models\n"
    "  pilot              fine-tune a model on a dataset here (QLoRA, LoRA or full)\n"
    "  pricing            list|show|import|snapshots|update|diff: price tables, their\n"
    "                     sources, downloads of LiteLLM's price file and what changed\n"
    "  probe URL          measure a chat endpoint: time to first token, tokens/s, latency\n"
    "  remote             submit|watch|list|cancel: hosted fine-tuning (OpenAI API)\n"
    "  review SCENARIO    the decision review: options, feasibility, every framework's\n"
    "                     verdict, pilot evidence, what would change it, the dates\n"
    "  runs               list|show|watch|resume: pilot runs and their curves\n"
    "  scenarios          list|show: scenarios and projections recorded so far; edit: a\n"
    "                     scenario file's fields and options (as the workbench does)\n"
    "\n"
    "  --db PATH          database file (default: $TUNEPILOT_DB, else\n"
    "                     $XDG_DATA_HOME/tunepilot/tunepilot.db)\n"
    "  --no-color         no colours in the workbench (NO_COLOR is honoured too)\n"
    "  --version, --help\n"
    "\n"
    "Run `tunepilot COMMAND --help` for a command's options. Exit status: 0 ok,\n"
    "1 failure, 2 usage error or invalid input.\n";

typedef struct Command {
    const char *name;
    int (*run)(const CliGlobal *g, int argc, char **argv);
} Command;

static const Command COMMANDS[] = {
    {"cost", cmd_cost},
    {"data", cmd_data},
    {"decide", cmd_decide},
    {"demo", cmd_demo},
    {"eval", cmd_eval},
    {"examples", cmd_examples},
    {"handoff", cmd_handoff},
    {"model", cmd_model},
    {"pilot", cmd_pilot},
    {"pricing", cmd_pricing},
    {"probe", cmd_probe},
    {"remote", cmd_remote},
    {"review", cmd_review},
    {"runs", cmd_runs},
    {"scenarios", cmd_scenarios},
    {"tui", cmd_tui},
};

/* TUNEPILOT_HTTP_TRACE's lines (net.h) go to stderr. */
static void trace_to_stderr(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv) {
    /* before anything else: the BLAS's kernels are fixed when it loads */
    tp_blas_ensure_core(argv);
    net_set_trace(trace_to_stderr, NULL);
    CliGlobal g = {0};
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("tunepilot %s\n", TP_VERSION);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--no-color")) {
            g.no_color = true;
        } else if (cli_take(argc, argv, &i, "--db", &v)) {
            if (!v || !*v)
                return cli_usage(NULL, "--db: expected a file path");
            g.db_path = v;
        } else if (argv[i][0] == '-') {
            return cli_usage(NULL, "unknown option %s", argv[i]);
        } else {
            break;
        }
    }
    if (i == argc) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            TuiOptions o = {g.db_path, g.no_color, NULL};
            return tui_run(&o);
        }
        return cli_show_example(&g, "ticket-triage");
    }
    for (size_t c = 0; c < sizeof COMMANDS / sizeof COMMANDS[0]; c++)
        if (!strcmp(argv[i], COMMANDS[c].name))
            return COMMANDS[c].run(&g, argc - i, argv + i);
    return cli_usage(NULL, "unknown command \"%s\"", argv[i]);
}

int cmd_tui(const CliGlobal *g, int argc, char **argv) {
    TuiOptions o = {g->db_path, g->no_color, NULL};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--no-color"))
            o.no_color = true;
        else if (cli_take(argc, argv, &i, "--scenario", &v) && v)
            o.scenario = v;
        else
            return cli_usage("tui", "unknown option %s (expected --scenario FILE, --no-color)",
                             argv[i]);
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return cli_usage("tui", "the workbench needs a terminal (for text output see: tunepilot "
                         "cost, pricing, scenarios, runs)");
    return tui_run(&o);
}
