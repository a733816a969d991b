/* cmd_handoff.c - `tunepilot handoff RUN --to ENGINE`: a pilot's bundle for
 * a distributed trainer (see handoff.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tunepilot/handoff.h"

static const char USAGE[] =
    "usage: tunepilot handoff RUN --to axolotl|trl|torchtune -o DIR [options]\n"
    "\n"
    "Writes a ready-to-run bundle for the full run of finished pilot RUN on GPUs:\n"
    "the pilot's own training and held-out examples, the engine's configuration\n"
    "translated from the pilot's settings (QLoRA NF4 with double quantization and\n"
    "bf16 compute, LoRA rank/alpha/dropout/targets, rsLoRA, learning rate, warmup\n"
    "and cosine schedule, sequence length, epochs, seed, evaluation split), the\n"
    "batch and gradient accumulation sized for the GPU count, the launch command\n"
    "(accelerate launch with a generated config, DeepSpeed ZeRO where the state\n"
    "needs sharding, or tune run --nproc_per_node), and a README with the cost.\n"
    "Settings an engine cannot express are refused, never dropped.\n"
    "\n"
    "  --to ENGINE        axolotl, trl or torchtune\n"
    "  -o DIR             the bundle's folder (new or empty; --force to reuse)\n"
    "  --gpus N           GPUs per machine (default: the fewest that hold the\n"
    "                     training state, doubled up to 8 past a day of training)\n"
    "  --nodes N          machines (default 1)\n"
    "  --gpu KIND         a GPU of the price tables (default: the cheapest full run\n"
    "                     among the GPUs that hold the training state)\n"
    "  --epochs E         epochs of the full run (default: the pilot's)\n"
    "  --warm-start       start from the pilot's adapter (axolotl)\n"
    "  --launch skypilot  add sky.yml, a SkyPilot task for when you have no GPUs\n"
    "  --spot             SkyPilot spot instances\n"
    "  --snapshot N       price with snapshot N (default: the newest, over the bundled\n"
    "                     tables; 0: the bundled tables alone)\n"
    "  --json             the plan as JSON\n";

static void print_loss(double v) {
    if (isfinite(v))
        printf("%8.4f", v);
    else
        printf("%8s", "-");
}

void cli_print_handoff_compare(const HandoffCompare *c) {
    printf("  hand-off of pilot %lld (%s, %d x %s): real against projected\n",
           (long long)c->pilot_run, c->engine, c->gpus, c->gpu_id);
    printf("    hours       %10.3f  %10.3f\n", c->real_hours, c->projected_hours);
    printf("    GPU-hours   %10.3f  %10.3f\n", c->real_gpu_hours, c->projected_gpu_hours);
    printf("    dollars     %10.2f  %10.2f  (at $%.2f a GPU-hour)\n", c->real_usd, c->projected_usd,
           c->usd_per_gpu_hour);
    printf("    loss at     ");
    for (int k = 0; k < HANDOFF_LOSS_POINTS; k++)
        printf("%7d%%", (k + 1) * 100 / HANDOFF_LOSS_POINTS);
    printf("\n    this run    ");
    for (int k = 0; k < HANDOFF_LOSS_POINTS; k++)
        print_loss(c->real_loss[k]);
    printf("\n    pilot       ");
    for (int k = 0; k < HANDOFF_LOSS_POINTS; k++)
        print_loss(c->pilot_loss[k]);
    printf("\n");
}

static int print_plan(const HandoffPlan *pl, const HandoffOptions *o, bool json) {
    int total = pl->gpus_per_node * pl->nodes;
    if (json) {
        printf("{\"pilot_run\":%lld,\"engine\":\"%s\",\"dir\":\"%s\",\"gpu\":\"%s\","
               "\"gpus_per_node\":%d,\"nodes\":%d,\"micro_batch\":%d,\"grad_accum\":%d,"
               "\"effective_batch\":%d,\"epochs\":%g,\"updates\":%lld,\"gpu_hours\":%.6g,"
               "\"hours\":%.6g,\"usd\":%.2f,\"deepspeed\":%s%s%s}\n",
               (long long)pl->run_id, handoff_engine_name(o->engine), o->out_dir, pl->gpu_id,
               pl->gpus_per_node, pl->nodes, pl->micro_batch, pl->grad_accum, pl->effective_batch,
               pl->epochs, pl->updates, pl->gpu_hours, pl->wall_hours, pl->usd,
               pl->deepspeed ? "\"" : "", pl->deepspeed ? pl->deepspeed : "null",
               pl->deepspeed ? "\"" : "");
        return CLI_OK;
    }
    printf("bundle for %s written to %s\n", handoff_engine_name(o->engine), o->out_dir);
    printf("  GPUs         %d x %s%s%s\n", pl->gpus_per_node, pl->gpu_name,
           pl->nodes > 1 ? " on each of " : "", pl->nodes > 1 ? "nodes" : "");
    if (pl->nodes > 1)
        printf("  nodes        %d\n", pl->nodes);
    printf("  batch        %d a GPU x %d GPU%s x accumulation %d = %d (pilot: %d)\n",
           pl->micro_batch, total, total == 1 ? "" : "s", pl->grad_accum, pl->effective_batch,
           pl->pilot_effective_batch);
    printf("  schedule     %g epochs, %lld updates, warmup %lld, cosine, lr %g\n", pl->epochs,
           pl->updates, pl->warmup_steps, pl->lr);
    if (pl->deepspeed)
        printf("  DeepSpeed    %s\n", pl->deepspeed);
    char gh[32], wh[32];
    handoff_fmt_hours(pl->gpu_hours, gh, sizeof gh);
    handoff_fmt_hours(pl->wall_hours, wh, sizeof wh);
    printf("  projected    GPU time %s, wall time %s, %s%.2f at $%.2f a GPU-hour (%s, as of "
           "%s)\n",
           gh, wh, pl->usd < 0.01 ? "under $" : "$", pl->usd < 0.01 ? 0.01 : pl->usd,
           pl->usd_per_gpu_hour, pl->cloud, pl->rate_as_of);
    printf("  run          cd %s && ./run.sh%s\n", o->out_dir,
           o->skypilot ? "   (or: sky launch sky.yml)" : "");
    if (o->engine == HANDOFF_TORCHTUNE)
        fprintf(stderr, "tunepilot: note: torchtune is no longer actively developed "
                        "(pytorch/torchtune#2883)\n");
    return CLI_OK;
}

int cmd_handoff(const CliGlobal *g, int argc, char **argv) {
    HandoffOptions o = {0};
    bool have_engine = false, json = false;
    long long run = -1, snapshot = -1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        long long n = 0;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (cli_take(argc, argv, &i, "--to", &v)) {
            if (!v || !handoff_engine_parse(v, &o.engine))
                return cli_usage("handoff", "--to: expected axolotl, trl or torchtune");
            have_engine = true;
        } else if (cli_take(argc, argv, &i, "-o", &v) || cli_take(argc, argv, &i, "--out", &v)) {
            if (!v || !*v)
                return cli_usage("handoff", "-o: expected the bundle's folder");
            o.out_dir = v;
        } else if (cli_take(argc, argv, &i, "--gpus", &v)) {
            if (!v || !cli_parse_ll(v, &n) || n < 1 || n > 64)
                return cli_usage("handoff", "--gpus: expected a whole number 1..64");
            o.gpus = (int)n;
        } else if (cli_take(argc, argv, &i, "--nodes", &v)) {
            if (!v || !cli_parse_ll(v, &n) || n < 1 || n > 256)
                return cli_usage("handoff", "--nodes: expected a whole number 1..256");
            o.nodes = (int)n;
        } else if (cli_take(argc, argv, &i, "--gpu", &v)) {
            if (!v || !*v)
                return cli_usage("handoff", "--gpu: expected a GPU id (tunepilot pricing list "
                                            "--table gpus)");
            o.gpu = v;
        } else if (cli_take(argc, argv, &i, "--epochs", &v)) {
            double e;
            if (!cli_parse_num(v, 0, 1000, &e) || e == 0)
                return cli_usage("handoff", "--epochs: expected a number in (0, 1000]");
            o.epochs = e;
        } else if (cli_take(argc, argv, &i, "--launch", &v)) {
            if (!v || strcmp(v, "skypilot"))
                return cli_usage("handoff", "--launch: expected skypilot");
            o.skypilot = true;
        } else if (cli_take(argc, argv, &i, "--snapshot", &v)) {
            if (!v || !cli_parse_ll(v, &snapshot))
                return cli_usage("handoff", "--snapshot: expected a snapshot id (0: bundled)");
        } else if (!strcmp(argv[i], "--spot")) {
            o.spot = true;
        } else if (!strcmp(argv[i], "--warm-start")) {
            o.warm_start = true;
        } else if (!strcmp(argv[i], "--force")) {
            o.force = true;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (argv[i][0] == '-') {
            return cli_usage("handoff", "unknown option %s", argv[i]);
        } else if (run < 0) {
            if (!cli_parse_ll(argv[i], &run) || run < 1)
                return cli_usage("handoff", "%s: expected a run id (tunepilot runs list)", argv[i]);
        } else {
            return cli_usage("handoff", "unexpected argument %s", argv[i]);
        }
    }
    if (run < 0)
        return cli_usage("handoff", "expected a run id (tunepilot runs list)");
    if (!have_engine)
        return cli_usage("handoff", "--to: expected axolotl, trl or torchtune");
    if (!o.out_dir)
        return cli_usage("handoff", "-o: expected the bundle's folder");
    if (o.spot && !o.skypilot)
        return cli_usage("handoff", "--spot goes with --launch skypilot");
    TpError err = {0};
    Store *s = NULL;
    TpStatus st = cli_open_store(g, &s, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    Pricing p;
    st = cli_load_pricing(g, &s, snapshot, &p, &err);
    if (st != TP_OK) {
        store_close(s);
        return cli_fail(st, &err);
    }
    HandoffPlan pl;
    st = handoff_write(s, &p, run, &o, &pl, &err);
    int rc = st == TP_OK ? print_plan(&pl, &o, json) : cli_fail(st, &err);
    pricing_free(&p);
    store_close(s);
    return rc;
}
