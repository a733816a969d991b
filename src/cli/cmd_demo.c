/* cmd_demo.c - `tunepilot demo build|path` and the settings behind
 * `tunepilot pilot --demo`. */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/demo.h"
#include "tunepilot/pilot.h"

#ifndef TP_DEMO_DIR /* set by CMakeLists.txt: the source tree's assets/demo */
#define TP_DEMO_DIR "assets/demo"
#endif

static const char USAGE[] =
    "usage: tunepilot demo build [--out DIR] [options]\n"
    "       tunepilot demo path\n"
    "\n"
    "The bundled pilot demo (run it with: tunepilot pilot --demo): a small Llama\n"
    "that tunepilot pretrained itself on generated support-ticket transcripts, and\n"
    "400 tickets to route to one of five teams (billing, technical, account,\n"
    "shipping, sales).\n"
    "\n"
    "  build    regenerates everything, deterministically: the corpus, the BPE\n"
    "           tokenizer learned from it, the task data, a random model and its\n"
    "           pretraining (full training). About 4 minutes on 2 cores.\n"
    "             --out DIR      where to write (default: the demo directory of the\n"
    "                            source tree, " TP_DEMO_DIR ")\n"
    "             --tiny         a smoke build in seconds (not a useful model)\n"
    "             --steps N      pretraining updates     --seed S   generator seed (1)\n"
    "             --threads T    OpenBLAS threads (2)    --keep-work  keep DIR/.work\n"
    "  path     prints the demo directory `pilot --demo` uses\n"
    "\n"
    "The demo directory is $TUNEPILOT_DEMO_DIR, else the source tree's assets/demo,\n"
    "else <program dir>/../share/tunepilot/demo.\n";

bool cli_demo_dir(char *out, size_t size) { return demo_find_dir(out, size); }

int cli_demo_pilot(PilotOptions *o, char *model, char *data, size_t size) {
    char dir[4096];
    if (!cli_demo_dir(dir, sizeof dir)) {
        const char *env = getenv("TUNEPILOT_DEMO_DIR");
        TpError err;
        tp_error_set(&err, TP_ENOTFOUND,
                     "the demo model and tickets were not found in %s (looked for model/ and "
                     "tickets.jsonl; regenerate them with: tunepilot demo build --out DIR, then "
                     "set TUNEPILOT_DEMO_DIR=DIR)",
                     env && *env ? env
                                 : TP_DEMO_DIR ", nor in <program dir>/../share/tunepilot/demo");
        return cli_fail(TP_ENOTFOUND, &err);
    }
    snprintf(model, size, "%s/model", dir);
    snprintf(data, size, "%s/tickets.jsonl", dir);
    o->model_dir = model;
    o->data_path = data;
    demo_pilot_config(&o->train);
    return CLI_OK;
}

void cli_demo_announce(const PilotOptions *o) {
    printf("demo: %s fine-tuning of a small Llama that tunepilot pretrained on generated\n"
           "support-ticket text (never on team labels), to route tickets to one of %d teams:\n"
           "billing, technical, account, shipping or sales. A guess is right %.0f%% of the\n"
           "time. Exact match is measured on held-out tickets before and after training.\n"
           "  model %s\n  data  %s\n\n",
           train_method_name(o->train.method), DEMO_N_TEAMS, 100.0 / DEMO_N_TEAMS, o->model_dir,
           o->data_path);
    fflush(stdout);
}

/* --- build ------------------------------------------------------------------------------- */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

typedef struct Progress {
    bool tty;
    long long every;
} Progress;

static void on_step(void *ctx, const TrainStep *s) {
    Progress *p = ctx;
    double eta = s->step > 0 ? s->elapsed_s / s->step * (s->total - s->step) : 0;
    if (p->tty) {
        printf("\rpretraining %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0fs   ", s->step,
               s->total, s->loss, s->lr, s->tokens_per_s, eta);
        fflush(stdout);
    } else if (s->step % p->every == 0 || s->step == s->total) {
        printf("pretraining %lld/%lld loss %.4f lr %.2e %.0f tok/s %.0fs\n", s->step, s->total,
               s->loss, s->lr, s->tokens_per_s, s->elapsed_s);
        fflush(stdout);
    }
}

static void on_eval(void *ctx, const TrainEval *e) {
    Progress *p = ctx;
    printf("%sheld-out loss %.4f at update %lld\n", p->tty ? "\n" : "", e->loss, e->step);
    fflush(stdout);
}

static void on_event(void *ctx, const char *level, const char *msg) {
    Progress *p = ctx;
    (void)p;
    printf("%s%s\n", strcmp(level, "info") ? "warning: " : "", msg);
    fflush(stdout);
}

static int demo_build_cmd(int argc, char **argv) {
    DemoBuildOptions o;
    bool tiny = false;
    for (int i = 2; i < argc; i++)
        tiny |= !strcmp(argv[i], "--tiny");
    demo_build_defaults(&o, tiny);
    o.out_dir = TP_DEMO_DIR;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        long long n;
        if (!strcmp(argv[i], "--tiny")) {
        } else if (!strcmp(argv[i], "--keep-work")) {
            o.keep_work = true;
        } else if (cli_take(argc, argv, &i, "--out", &v)) {
            if (!v || !*v)
                return cli_usage("demo", "--out: expected a directory");
            o.out_dir = v;
        } else if (cli_take(argc, argv, &i, "--steps", &v)) {
            if (!cli_parse_ll(v, &n) || n < 1 || n > 100000000)
                return cli_usage("demo", "--steps: expected a positive integer");
            o.pretrain_steps = n;
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_ll(v, &n))
                return cli_usage("demo", "--seed: expected a non-negative integer");
            o.seed = (uint64_t)n;
        } else if (cli_take(argc, argv, &i, "--threads", &v)) {
            if (!cli_parse_ll(v, &n) || n < 1 || n > 1024)
                return cli_usage("demo", "--threads: expected an integer 1..1024");
            o.threads = (int)n;
        } else {
            return cli_usage("demo", "unknown option %s", argv[i]);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    Progress p = {isatty(STDOUT_FILENO) != 0, o.pretrain_steps >= 200 ? o.pretrain_steps / 40 : 1};
    TrainSink sink = {&p, on_step, on_eval, on_event};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TpError err = {0};
    TpStatus st = demo_build(&o, &sink, &g_stop, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (p.tty)
        printf("\n");
    if (st != TP_OK)
        return cli_fail(st, &err);
    printf("demo built in %.0f s: %s/model, %s/tickets.jsonl, %s/build.json\n",
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9, o.out_dir, o.out_dir,
           o.out_dir);
    return CLI_OK;
}

int cmd_demo(const CliGlobal *g, int argc, char **argv) {
    (void)g;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
    if (!strcmp(argv[1], "build"))
        return demo_build_cmd(argc, argv);
    if (!strcmp(argv[1], "path")) {
        if (argc > 2)
            return cli_usage("demo", "path: unexpected argument %s", argv[2]);
        char dir[4096];
        if (!cli_demo_dir(dir, sizeof dir)) {
            TpError err;
            tp_error_set(&err, TP_ENOTFOUND,
                         "no demo directory found (build one: tunepilot demo build --out DIR)");
            return cli_fail(TP_ENOTFOUND, &err);
        }
        printf("%s\n", dir);
        return CLI_OK;
    }
    return cli_usage("demo", "unknown subcommand \"%s\" (expected build or path)", argv[1]);
}
