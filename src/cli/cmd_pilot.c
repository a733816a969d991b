/* cmd_pilot.c - `tunepilot pilot`: options, the terminal view of a run
 * (progress bar, lines, JSON), signals; `runs resume` runs through here too. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/arena.h"
#include "tunepilot/blas.h"
#include "tunepilot/dataset.h"
#include "tunepilot/external.h"
#include "tunepilot/handoff.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/pilot.h"
#include "tunepilot/pool.h"
#include "tunepilot/session.h"
#include "tunepilot/tokenizer.h"
#include "tunepilot/trainer.h"

static const char USAGE[] =
    "usage: tunepilot pilot --model DIR --data FILE [options]\n"
    "       tunepilot pilot --demo [options]\n"
    "       tunepilot pilot --backend command [--name TEXT] [--max-events N] [--json]\n"
    "                       [--pass-env NAME]... -- CMD ARGS...\n"
    "\n"
    "Fine-tunes the model on the dataset on this machine and records the run.\n"
    "  --demo            the bundled demo: a small model tunepilot pretrained, tuned to\n"
    "                    route support tickets (see tunepilot demo --help); options\n"
    "                    given with it override its settings\n"
    "  --method M        qlora (NF4 base + LoRA; default), lora (fp32 base + LoRA), full\n"
    "  --rank R          LoRA rank (16)            --alpha A     LoRA alpha (32)\n"
    "  --dropout P       LoRA dropout (0.05)       --rslora      scale alpha/sqrt(r)\n"
    "  --targets LIST    q,k,v,o,gate,up,down or all (all)\n"
    "  --init-adapter DIR  start from this PEFT adapter (adapter_config.json and\n"
    "                    adapter_model.safetensors; its rank, alpha, targets and rsLoRA\n"
    "                    become the defaults of the options above)\n"
    "  --lr X            peak learning rate         --warmup N    warmup updates (3%)\n"
    "  --steps N | --epochs E   updates, or passes over the data\n"
    "  --batch B  --grad-accum G (1)  --seq L (256)  --max-grad-norm X (1.0)\n"
    "  --eval-every N (50)  --eval-split F (0.1)  --checkpoint-every N (50)\n"
    "  --seed S (1)  --threads T (the online CPUs)  --out DIR  --json\n"
    "  --recompute | --no-recompute  keep one block's activations and recompute the\n"
    "                    others in the backward: less memory, one more forward of the\n"
    "                    blocks (default: on when the estimate without it exceeds 1 GB)\n"
    "  --compute-dtype auto|fp32|bf16  the frozen NF4 products of qlora (auto: bf16\n"
    "                    when the CPU has AVX512_BF16); adapters and optimizer stay fp32\n"
    "  --estimate        check the data and print the memory and time estimate; no run\n"
    "Settings not given fit the data (N training examples) and the model: epochs by the\n"
    "rule of OpenAI's data-preparation cookbook (3; min(25, 100/N) when 3N < 100;\n"
    "max(1, 25000/N) when 3N > 25,000), batch 4 (N when fewer), learning rate 2e-4 for\n"
    "LoRA/QLoRA (1e-4 from 20B parameters: the QLoRA recipe) or 2e-5 for full (TRL's\n"
    "default); steps = epochs x N / batch. More than 3 epochs prints a warning.\n"
    "Ctrl-C stops after the current update with a checkpoint (exit status 130): continue\n"
    "with tunepilot runs resume ID. A run's files go to a folder of its own beside the\n"
    "database (--out: a new or empty folder); --json starts with {\"event\": \"start\",\n"
    "\"run\": ID, \"dir\": ..., \"settings\": ...}. Paths are recorded absolute.\n"
    "\n"
    "--backend command runs any trainer (a Hugging Face Trainer, TRL or axolotl script,\n"
    "accelerate launch, torchrun ...) as a child process, echoes its output and records\n"
    "its loss lines ({\"loss\": ...} JSON, or the dicts a Trainer prints) and eval_loss\n"
    "lines as the run's curves: follow them with tunepilot runs watch ID. The run\n"
    "completes when the command exits 0 and fails otherwise; Ctrl-C is passed on to it.\n"
    "  --name TEXT       the run's name (default: the program's name)\n"
    "  --max-events N    other output lines kept with the run (200)\n"
    "  --pass-env NAME   let the command see the secret variable NAME (repeatable); API\n"
    "                    keys and tokens (names with KEY, TOKEN, SECRET, PASSWORD ...)\n"
    "                    are kept from it otherwise, and their values are redacted from\n"
    "                    everything it prints\n"
    "  --json            tunepilot's start and end events on stdout (the trainer's\n"
    "                    output goes to stderr)\n";

static volatile sig_atomic_t g_stop, g_signal;

static void on_signal(int sig) {
    g_stop = sig == SIGUSR1 ? 2 : 1;
    g_signal = sig;
}

void cli_pilot_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* cancel: tunepilot runs cancel, the workbench */
    pilot_pause_gate_install();    /* pause: never inside a database write */
}

bool cli_pilot_stopped(void) {
    return g_stop != 0;
}

/* --- --backend command ------------------------------------------------------------------ */

static volatile sig_atomic_t g_stops; /* Ctrl-C presses, passed on to the trainer */

static void on_stop_count(int sig) {
    (void)sig;
    g_stops++;
}

typedef struct ExternalStart {
    bool json;
    Store *store;
    const ExternalResult *res;
} ExternalStart;

/* --json: the first event names the run, its folder and its settings (as
 * recorded: the command line with known key values redacted). */
static void on_external_start(void *ctx, int64_t id, pid_t pid) {
    const ExternalStart *x = ctx;
    fprintf(stderr,
            "tunepilot: run %lld started (pid %lld); follow it with: tunepilot runs watch "
            "%lld\n",
            (long long)id, (long long)pid, (long long)id);
    if (!x->json)
        return;
    StoreRun r;
    TpError err;
    cJSON *set = NULL;
    if (store_run_get(x->store, id, &r, &err) == TP_OK) {
        set = cJSON_Parse(r.config);
        store_run_free(&r);
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "event", "start");
    cJSON_AddNumberToObject(e, "run", (double)id);
    cJSON_AddStringToObject(e, "dir", x->res->dir);
    cJSON_AddItemToObject(e, "settings", set ? set : cJSON_CreateNull());
    char *t = cJSON_PrintUnformatted(e);
    printf("%s\n", t);
    fflush(stdout);
    free(t);
    cJSON_Delete(e);
}

static int run_external(const CliGlobal *g, int argc, char **argv) {
    const char *name = NULL;
    long long max_events = 0;
    bool json = false;
    int cmd = -1, n_pass = 0;
    const char **pass = tp_xcalloc((size_t)argc + 1, sizeof *pass);
    for (int i = 1; i < argc && cmd < 0; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--")) {
            cmd = i + 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (cli_take(argc, argv, &i, "--backend", &v)) {
        } else if (!strcmp(argv[i], "--json")) {
            json = true; /* tunepilot's events on stdout, the trainer's output on stderr */
        } else if (cli_take(argc, argv, &i, "--name", &v)) {
            if (!v || !*v)
                return cli_usage("pilot", "--name: expected a name for the run");
            name = v;
        } else if (cli_take(argc, argv, &i, "--max-events", &v)) {
            if (!cli_parse_ll(v, &max_events) || max_events < 1 || max_events > 1000000) {
                free(pass);
                return cli_usage("pilot", "--max-events: expected a whole number 1..1000000");
            }
        } else if (cli_take(argc, argv, &i, "--pass-env", &v)) {
            bool good = v && *v && !(*v >= '0' && *v <= '9');
            for (const char *c = v; good && *c; c++)
                good = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                       (*c >= '0' && *c <= '9') || *c == '_';
            if (!good) { /* not echoed: it may be a key pasted by mistake */
                free(pass);
                return cli_usage("pilot", "--pass-env: expected the name of an environment "
                                          "variable (letters, digits and _), not its value");
            }
            pass[n_pass++] = v;
        } else {
            free(pass);
            return cli_usage("pilot",
                             "%s: with --backend command only --name, --max-events, "
                             "--pass-env and --json go before \"--\"; the trainer's own options "
                             "go after it",
                             argv[i]);
        }
    }
    if (cmd < 0 || cmd >= argc) {
        free(pass);
        return cli_usage("pilot",
                         "--backend command: expected -- CMD ARGS... (the trainer to run)");
    }
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    if (st != TP_OK) {
        free(pass);
        return cli_fail(st, &err);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_count; /* no SA_RESTART: the wait wakes up at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ExternalResult res;
    ExternalStart x = {json, s, &res};
    ExternalOptions o = {.argv = argv + cmd,
                         .pass_env = pass,
                         .name = name,
                         .echo_out = json ? stderr : stdout,
                         .echo_err = stderr,
                         .max_events = (int)max_events,
                         .on_start = on_external_start,
                         .ctx = &x};
    st = external_run(s, &o, &g_stops, &res, &err);
    int rc = CLI_OK;
    if (json && res.run_id > 0) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "event", "end");
        cJSON_AddNumberToObject(e, "run", (double)res.run_id);
        cJSON_AddStringToObject(e, "status", res.status ? res.status : "failed");
        cJSON_AddNumberToObject(e, "exit_code", res.exit_code);
        cJSON_AddStringToObject(e, "message", res.message);
        char *t = cJSON_PrintUnformatted(e);
        printf("%s\n", t);
        free(t);
        cJSON_Delete(e);
    }
    if (st != TP_OK && res.run_id == 0) {
        rc = cli_fail(st, &err);
    } else {
        fprintf(stderr,
                "tunepilot: run %lld %s%s%s (%d metric%s, %d eval%s; tunepilot runs show "
                "%lld)\n",
                (long long)res.run_id, res.status, res.message[0] ? ": " : "", res.message,
                res.n_metrics, res.n_metrics == 1 ? "" : "s", res.n_evals,
                res.n_evals == 1 ? "" : "s", (long long)res.run_id);
        if (st != TP_OK)
            rc = cli_fail(st, &err);
        else if (strcmp(res.status, "completed"))
            rc = CLI_FAIL;
    }
    store_close(s);
    free(pass);
    return rc;
}

/* --estimate: the data read as the trainer reads it, then the engine's
 * memory and time estimate (what the workbench's Pilot screen shows). */
/* The model's config and the data read as the trainer reads it. */
static int load_data(const PilotOptions *o, LlamaConfig *cfg, Dataset *d) {
    const TrainConfig *c = &o->train;
    TpError err = {0};
    Tokenizer *tok = NULL;
    DatasetOptions dopt = {c->seq, c->eval_split, c->seed, 0};
    TpStatus st = llama_config_load(o->model_dir, cfg, &err);
    if (st == TP_OK)
        st = tokenizer_load(o->model_dir, &tok, &err);
    if (st == TP_OK)
        st = dataset_load(o->data_path, tok, &dopt, d, &err);
    tokenizer_free(tok);
    return st == TP_OK ? CLI_OK : cli_fail(st, &err);
}

/* --estimate: the engine's memory and time estimate (what the workbench's
 * Pilot screen shows) for the settings. */
static int print_estimate(const PilotOptions *o, const LlamaConfig *cfgp, const Dataset *dp,
                          bool json) {
    const TrainConfig *c = &o->train;
    LlamaConfig cfg = *cfgp;
    const Dataset d = *dp;
    TrainConfig t = *c;
    long long per_update = (long long)t.batch * (t.grad_accum > 1 ? t.grad_accum : 1);
    if (t.steps <= 0)
        t.steps = (long long)ceil(t.epochs * d.n_train / (double)per_update);
    int n = d.n_train + d.n_eval;
    double tpe = n ? (double)d.n_tokens / n : 0;
    TrainEstimate e;
    tp_pool_set_threads(c->threads); /* the threads the run would use */
    char blas[300];
    train_describe_compute(&t, blas, sizeof blas);
    train_recompute_resolve(&cfg, &t); /* what the run would do */
    TrainRates rates;
    train_measure_rates(&cfg, &t, &rates);
    train_estimate_rates(&cfg, &t, tpe, &rates, &e);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "architecture", cfg.architecture);
        cJSON_AddNumberToObject(j, "parameters", (double)llama_config_n_params(&cfg));
        cJSON_AddStringToObject(j, "method", train_method_name(t.method));
        cJSON_AddNumberToObject(j, "steps", (double)t.steps);
        cJSON_AddNumberToObject(j, "batch", t.batch);
        cJSON_AddNumberToObject(j, "lr", t.lr);
        cJSON_AddNumberToObject(j, "epochs",
                                (double)t.steps * (double)per_update / (d.n_train ? d.n_train : 1));
        cJSON_AddNumberToObject(j, "train_examples", d.n_train);
        cJSON_AddNumberToObject(j, "examples", n);
        cJSON_AddNumberToObject(j, "tokens", (double)d.n_tokens);
        cJSON_AddNumberToObject(j, "memory_mb", e.memory_mb);
        cJSON_AddNumberToObject(j, "minutes", e.minutes);
        cJSON_AddNumberToObject(j, "gflops", e.gflops);
        cJSON_AddNumberToObject(j, "frozen_gflops", rates.frozen_gflops);
        cJSON_AddNumberToObject(j, "head_gflops", rates.head_gflops);
        cJSON_AddNumberToObject(j, "sgemm_gflops", rates.sgemm_gflops);
        cJSON_AddStringToObject(j, "compute", blas);
        cJSON_AddStringToObject(j, "compute_dtype", nf4_compute_name(train_compute_dtype(&t)));
        cJSON_AddBoolToObject(j, "recompute", t.recompute);
        cJSON_AddNumberToObject(j, "recompute_blocks", t.recompute_blocks);
        cJSON_AddNumberToObject(j, "blocks", cfg.n_layers);
        char *txt = cJSON_Print(j);
        puts(txt);
        free(txt);
        cJSON_Delete(j);
    } else {
        printf("%s, %.2fM parameters, %s, %lld updates over %d examples (%lld tokens):\n"
               "about %.0f MB of memory, about %.1f minutes at %.0f GFLOP/s (rates measured "
               "at this run's shapes: frozen products %.0f, head %.0f, other fp32 products "
               "%.0f GFLOP/s)\n",
               cfg.architecture, (double)llama_config_n_params(&cfg) / 1e6,
               train_method_name(t.method), t.steps, n, (long long)d.n_tokens, e.memory_mb,
               e.minutes, e.gflops, rates.frozen_gflops, rates.head_gflops, rates.sgemm_gflops);
        char rc[80] = "";
        if (t.recompute)
            snprintf(rc, sizeof rc, "; activations recomputed in %d of %d blocks",
                     t.recompute_blocks, cfg.n_layers);
        printf("compute: %s%s\n", blas, rc);
    }
    return CLI_OK;
}

/* --- what a pilot shows on the terminal (the engine's PilotView) ---------------------- */

typedef enum {
    PILOT_PROGRESS, /* a progress bar with the ETA, redrawn in place (a terminal) */
    PILOT_LINES,    /* one plain line per update (not a terminal) */
    PILOT_JSON,     /* the events as JSON lines */
} PilotOutput;

typedef struct Bar {
    PilotOutput out;
    int width;
} Bar;

static PilotOutput pilot_output(bool json) {
    return json ? PILOT_JSON : isatty(STDOUT_FILENO) ? PILOT_PROGRESS : PILOT_LINES;
}

static void fmt_eta(double s, char *out, size_t n) {
    if (!(s >= 0) || s > 1e8)
        snprintf(out, n, "--");
    else if (s < 60)
        snprintf(out, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static void draw_bar(const Bar *b, const TrainStep *s) {
    double f = s->total > 0 ? (double)s->step / (double)s->total : 0;
    double eta = s->step > 0 ? s->elapsed_s / (double)s->step * (double)(s->total - s->step) : -1;
    char e[32], tail[160];
    fmt_eta(eta, e, sizeof e);
    int n = snprintf(tail, sizeof tail, " %3.0f%% %lld/%lld loss %.4f %.0f tok/s ETA %s", 100 * f,
                     s->step, s->total, s->loss, s->tokens_per_s, e);
    int room = b->width - n - 3;
    if (room > 40)
        room = 40;
    if (room < 5) {
        printf("\r%s\033[K", tail + 1);
    } else {
        char bar[64];
        int full = (int)(f * room + 0.5);
        for (int i = 0; i < room; i++)
            bar[i] = i < full ? '#' : '.';
        bar[room] = '\0';
        printf("\r[%s]%s\033[K", bar, tail);
    }
    fflush(stdout);
}

static void view_json(void *ctx, const char *line) {
    const Bar *b = ctx;
    if (b->out == PILOT_JSON) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

static void view_step(void *ctx, const TrainStep *s) {
    const Bar *b = ctx;
    if (b->out == PILOT_PROGRESS)
        draw_bar(b, s);
    else if (b->out == PILOT_LINES)
        printf("step %lld/%lld loss %.4f lr %.2e %.0f tok/s\n", s->step, s->total, s->loss, s->lr,
               s->tokens_per_s);
}

static void view_eval(void *ctx, const TrainEval *e) {
    const Bar *b = ctx;
    if (b->out == PILOT_JSON)
        return;
    printf("%s%s loss %.4f", b->out == PILOT_PROGRESS ? "\n" : "", e->kind, e->loss);
    if (!isnan(e->accuracy))
        printf(", exact match %.1f%% of %d", 100 * e->accuracy, e->n_examples);
    printf("\n");
}

static void view_log(void *ctx, const char *level, const char *msg) {
    const Bar *b = ctx;
    (void)level;
    if (b->out != PILOT_JSON)
        printf("%s%s\n", b->out == PILOT_PROGRESS ? "\n" : "", msg);
}

/* "42 s", "3.5 min", "2.1 h", "4.3 days" */
static void fmt_hours(double h, char *out, size_t n) {
    double s = h * 3600;
    if (!isfinite(s))
        snprintf(out, n, "n/a");
    else if (s < 1)
        snprintf(out, n, "under 1 s");
    else if (s < 120)
        snprintf(out, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(out, n, "%.1f min", s / 60);
    else if (h < 72)
        snprintf(out, n, "%.1f h", h);
    else
        snprintf(out, n, "%.1f days", h / 24);
}

static void fmt_dollars(double v, char *out, size_t n) {
    if (v < 0.01)
        snprintf(out, n, "under $0.01");
    else
        snprintf(out, n, "$%.2f", v);
}

static void view_summary(void *ctx, const PilotSummary *sum) {
    const Bar *b = ctx;
    if (b->out == PILOT_JSON)
        return;
    printf("\nheld-out loss: base %.4f -> tuned %.4f\n", sum->base.loss, sum->tuned.loss);
    if (!isnan(sum->base.accuracy) && !isnan(sum->tuned.accuracy))
        printf("exact match:   base %.1f%% -> tuned %.1f%%\n", 100 * sum->base.accuracy,
               100 * sum->tuned.accuracy);
    if (sum->examples && *sum->examples)
        printf("%s", sum->examples);
    const PilotFullRun *fr = &sum->full_run;
    char t[32], d[32];
    fmt_hours(fr->here_hours, t, sizeof t);
    printf("full run: %.0f tokens x %.2f epochs: %s on this machine\n",
           fr->tokens / (fr->epochs > 0 ? fr->epochs : 1), fr->epochs, t);
    for (int i = 0; i < fr->n_gpus; i++) {
        if (i == 0)
            printf("  on one GPU at %.0f%% of its bf16 peak:", 100 * fr->gpu_utilization);
        fmt_hours(fr->gpus[i].hours, t, sizeof t);
        fmt_dollars(fr->gpus[i].usd, d, sizeof d);
        printf("%s %s %s (%s)", i > 0 ? ";" : "", fr->gpus[i].gpu, t, d);
    }
    printf("%s", fr->n_gpus ? "\n" : "");
}

static void view_done(void *ctx) {
    const Bar *b = ctx;
    if (b->out == PILOT_PROGRESS)
        printf("\n");
    fflush(stdout);
}

static int run_pilot(const CliGlobal *g, PilotOptions *o, PilotOutput out) {
    TpError err = {0};
    Store *s = NULL;
    Pricing pricing;
    bool priced = pricing_load_bundled(&pricing, &err) == TP_OK;
    TpStatus st = cli_open_store(g, &s, &err);
    int64_t id = 0;
    Bar bar = {out, 80};
    struct winsize ws;
    if (out == PILOT_PROGRESS && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        bar.width = ws.ws_col;
    o->view = (PilotView){.ctx = &bar,
                          .json = view_json,
                          .step = view_step,
                          .eval = view_eval,
                          .log = view_log,
                          .summary = view_summary,
                          .done = view_done};
    if (st == TP_OK) {
        cli_pilot_signals();
        st = pilot_run(s, priced ? &pricing : NULL, o, &g_stop, &id, &err);
    }
    int rc = CLI_OK;
    if (st != TP_OK) {
        rc = cli_fail(st, &err);
    } else if (g_stop == 2) {
        if (out != PILOT_JSON)
            printf("run %lld cancelled; its checkpoint is kept\n", (long long)id);
        rc = CLI_FAIL;
    } else if (g_stop) {
        if (out != PILOT_JSON)
            printf("run %lld interrupted; continue with: tunepilot runs resume %lld\n",
                   (long long)id, (long long)id);
        rc = 128 + (g_signal ? g_signal : SIGINT); /* 130 after Ctrl-C, as shells expect */
    } else if (out != PILOT_JSON) {
        printf("run %lld completed (tunepilot runs show %lld)\n", (long long)id, (long long)id);
    }
    if (priced)
        pricing_free(&pricing);
    store_close(s);
    return rc;
}

int cmd_pilot(const CliGlobal *g, int argc, char **argv) {
    PilotOptions o = {0};
    train_config_defaults(&o.train);
    TrainConfig *c = &o.train;
    bool json = false, demo = false, estimate_only = false;
    bool set_rank = false, set_alpha = false, set_targets = false, set_rslora = false;
    unsigned given = 0; /* settings given on the command line (the rest fit the data) */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        const char *v = NULL;
        if (cli_take(argc, argv, &i, "--backend", &v)) {
            if (v && !strcmp(v, "command"))
                return run_external(g, argc, argv);
            if (!v || strcmp(v, "local"))
                return cli_usage("pilot", "--backend: expected local (the default: train here) "
                                          "or command (run a trainer: -- CMD ARGS...)");
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
        demo |= !strcmp(argv[i], "--demo");
    }
    char demo_model[4200], demo_data[4200]; /* the demo's settings first, options override */
    int demo_rc = demo ? cli_demo_pilot(&o, demo_model, demo_data, sizeof demo_model) : CLI_OK;
    if (demo_rc != CLI_OK)
        return demo_rc;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        double x;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--demo")) {
        } else if (cli_take(argc, argv, &i, "--backend", &v)) { /* local, checked above */
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--estimate")) {
            estimate_only = true;
        } else if (!strcmp(argv[i], "--rslora")) {
            c->rslora = set_rslora = true;
        } else if (cli_take(argc, argv, &i, "--init-adapter", &v)) {
            if (!v)
                return cli_usage("pilot", "--init-adapter: expected a PEFT adapter directory");
            char full[PATH_MAX];
            if (!realpath(v, full) || strlen(full) >= sizeof c->init_adapter) {
                fprintf(stderr, "tunepilot: --init-adapter %s: %s\n", v,
                        strlen(v) >= sizeof c->init_adapter ? "path too long" : strerror(errno));
                return CLI_FAIL;
            }
            snprintf(c->init_adapter, sizeof c->init_adapter, "%s", full);
        } else if (!strcmp(argv[i], "--recompute")) {
            c->recompute = true;
            c->recompute_off = false;
        } else if (!strcmp(argv[i], "--no-recompute")) {
            c->recompute = false;
            c->recompute_off = true;
        } else if (cli_take(argc, argv, &i, "--compute-dtype", &v)) {
            if (!v || !nf4_compute_parse(v, &c->compute_dtype))
                return cli_usage("pilot", "--compute-dtype: expected auto, fp32 or bf16");
        } else if (cli_take(argc, argv, &i, "--model", &v)) {
            if (!v)
                return cli_usage("pilot", "--model: expected a model directory");
            o.model_dir = v;
        } else if (cli_take(argc, argv, &i, "--data", &v)) {
            if (!v)
                return cli_usage("pilot", "--data: expected a JSONL file");
            o.data_path = v;
        } else if (cli_take(argc, argv, &i, "--out", &v)) {
            if (!v)
                return cli_usage("pilot", "--out: expected a directory");
            o.out_dir = v;
        } else if (cli_take(argc, argv, &i, "--method", &v)) {
            if (!v || !train_method_parse(v, &c->method))
                return cli_usage("pilot", "--method: expected qlora, lora or full");
        } else if (cli_take(argc, argv, &i, "--targets", &v)) {
            TpError err;
            if (!v || lora_parse_targets(v, &c->targets, &err) != TP_OK)
                return cli_usage("pilot", "--targets: %s", v ? err.msg : "expected a list");
            set_targets = true;
        } else if (cli_take(argc, argv, &i, "--alpha", &v)) {
            if (!cli_parse_num(v, 1e-6, 1e6, &c->alpha))
                return cli_usage("pilot", "--alpha: expected a positive number");
            set_alpha = true;
        } else if (cli_take(argc, argv, &i, "--dropout", &v)) {
            if (!cli_parse_num(v, 0, 0.99, &c->dropout))
                return cli_usage("pilot", "--dropout: expected a number in [0, 0.99]");
        } else if (cli_take(argc, argv, &i, "--max-grad-norm", &v)) {
            if (!cli_parse_num(v, 0, 1e6, &c->max_grad_norm))
                return cli_usage("pilot", "--max-grad-norm: expected a number >= 0 (0 = off)");
        } else if (cli_take(argc, argv, &i, "--epochs", &v)) {
            if (!cli_parse_num(v, 1e-6, 1e6, &c->epochs))
                return cli_usage("pilot", "--epochs: expected a positive number");
            given |= TRAIN_GIVEN_EPOCHS;
        } else if (cli_take(argc, argv, &i, "--eval-split", &v)) {
            if (!cli_parse_num(v, 0, 0.9, &c->eval_split))
                return cli_usage("pilot", "--eval-split: expected a fraction in [0, 0.9]");
        } else {
            /* the settings with the trainer's bounds, read as the workbench reads them */
            static const TrainSetting typed[] = {
                TRAIN_SETTING_WARMUP,     TRAIN_SETTING_STEPS,   TRAIN_SETTING_BATCH,
                TRAIN_SETTING_GRAD_ACCUM, TRAIN_SETTING_SEQ,     TRAIN_SETTING_EVAL_EVERY,
                TRAIN_SETTING_SEED,       TRAIN_SETTING_THREADS, TRAIN_SETTING_CHECKPOINT_EVERY,
                TRAIN_SETTING_RANK,       TRAIN_SETTING_LR};
            int k = -1;
            for (int j = 0; j < (int)(sizeof typed / sizeof typed[0]) && k < 0; j++)
                if (cli_take(argc, argv, &i, train_setting_limit(typed[j])->flag, &v))
                    k = j;
            if (k < 0)
                return cli_usage("pilot", "unknown option %s", argv[i]);
            char msg[400];
            if (!v)
                return cli_usage("pilot", "%s: expected a value",
                                 train_setting_limit(typed[k])->flag);
            if (!session_setting_parse(typed[k], v, &x, msg, sizeof msg))
                return cli_usage("pilot", "%s", msg);
            long long n = (long long)x;
            switch (typed[k]) {
            case TRAIN_SETTING_WARMUP:
                c->warmup = n;
                break;
            case TRAIN_SETTING_STEPS:
                c->steps = n;
                given |= TRAIN_GIVEN_STEPS;
                break;
            case TRAIN_SETTING_BATCH:
                c->batch = (int)n;
                given |= TRAIN_GIVEN_BATCH;
                break;
            case TRAIN_SETTING_GRAD_ACCUM:
                c->grad_accum = (int)n;
                break;
            case TRAIN_SETTING_SEQ:
                c->seq = (int)n;
                break;
            case TRAIN_SETTING_EVAL_EVERY:
                c->eval_every = n;
                break;
            case TRAIN_SETTING_SEED:
                c->seed = (uint64_t)n;
                break;
            case TRAIN_SETTING_THREADS:
                c->threads = (int)n;
                break;
            case TRAIN_SETTING_CHECKPOINT_EVERY:
                c->checkpoint_every = n;
                break;
            case TRAIN_SETTING_RANK:
                c->rank = (int)n;
                set_rank = true;
                break;
            case TRAIN_SETTING_LR:
                c->lr = x;
                given |= TRAIN_GIVEN_LR;
                break;
            default:
                break;
            }
        }
    }
    if (!o.model_dir || !o.data_path)
        return cli_usage("pilot", "expected --model DIR and --data FILE");
    if (c->init_adapter[0]) { /* the adapter's shape, unless given: the trainer checks */
        LoraConfig a;
        TpError err = {0};
        TpStatus st = lora_peft_read_config(c->init_adapter, &a, &err);
        if (st != TP_OK)
            return cli_fail(st, &err);
        c->rank = set_rank ? c->rank : a.rank;
        c->alpha = set_alpha ? c->alpha : a.alpha;
        c->targets = set_targets ? c->targets : a.targets;
        c->rslora = set_rslora ? c->rslora : a.rslora;
    }
    /* Settings not given fit the data and the model (train_auto_settings);
     * the demo keeps its own. Above 3 passes over the data, a warning. */
    LlamaConfig cfg;
    Dataset d = {0};
    int rc = load_data(&o, &cfg, &d);
    if (rc != CLI_OK)
        return rc;
    char note[400];
    double epochs;
    train_auto_settings(d.n_train, (double)llama_config_n_params(&cfg),
                        demo ? TRAIN_GIVEN_STEPS | TRAIN_GIVEN_BATCH | TRAIN_GIVEN_LR | given
                             : given,
                        c, &epochs, note, sizeof note);
    if (note[0])
        fprintf(stderr, "tunepilot: warning: %s\n", note);
    if (estimate_only) {
        rc = print_estimate(&o, &cfg, &d, json);
        dataset_free(&d);
        return rc;
    }
    int n_train = d.n_train;
    dataset_free(&d);
    if (!demo && given != (TRAIN_GIVEN_STEPS | TRAIN_GIVEN_BATCH | TRAIN_GIVEN_LR) && !json)
        printf("settings for %d training examples: %lld updates of batch %d (%.2f epochs), "
               "learning rate %g (tunepilot pilot --help: how they are chosen)\n",
               n_train, c->steps, c->batch, epochs, c->lr);
    if (demo && !json)
        cli_demo_announce(&o);
    return run_pilot(g, &o, pilot_output(json));
}

int cli_pilot_resume(const CliGlobal *g, PilotOptions *o, bool json) {
    return run_pilot(g, o, pilot_output(json));
}
