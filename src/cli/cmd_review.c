/* cmd_review.c - `tunepilot review`: one document a team reads before
 * spending (the decision review; the model is in review.h, built by the
 * session layer, written here as Markdown or JSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tunepilot/limits.h"
#include "tunepilot/eval.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/report.h"
#include "tunepilot/review.h"
#include "tunepilot/session.h"


static const char USAGE[] =
    "usage: tunepilot review SCENARIO.json [options]   (- reads standard input)\n"
    "       tunepilot review --example NAME [options]\n"
    "\n"
    "Writes the decision review: the workload; every option with its cost, latency,\n"
    "feasibility (context window, SLO, availability on the horizon's dates, GPU\n"
    "memory) and sources; the verdict of each built-in framework (five-questions,\n"
    "checklist, sequence) with its trace and the feasible option it rests on; pilot\n"
    "evidence; what would change the verdict (the break-even volume, the SLO at\n"
    "which the cheapest feasible option changes); and the dates that matter.\n"
    "\n"
    "  --answers FILE  typed answers (question id -> value; each framework takes the\n"
    "                  ones it asks; - reads standard input)\n"
    "  --from-run ID   a finished pilot run's evidence (0 = the newest), with every\n"
    "                  `tunepilot eval` result on its held-out examples\n"
    "  --eval-target S judge question 2 from those results: the best prompt\n"
    "                  variant's score against S (0..1) after the rule's 10 variants\n"
    "  --format F      md (default), json or html (one self-contained page)\n"
    "  -o FILE         write to FILE (atomically) instead of standard output\n"
    "  --snapshot N    prices: snapshot N (0 = bundled tables; default: the\n"
    "                  scenario's \"snapshot\", else the newest stored)\n"
    "  --example NAME  a bundled example scenario (see: tunepilot examples)\n";

typedef struct ReviewArgs {
    const char *file, *example, *answers, *out;
    bool json, html;
    long long snapshot, from_run;
    double eval_target;
} ReviewArgs;

static int parse_args(int argc, char **argv, ReviewArgs *a) {
    memset(a, 0, sizeof *a);
    a->snapshot = a->from_run = -1;
    a->eval_target = NAN;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            exit(CLI_OK);
        } else if (cli_take(argc, argv, &i, "--format", &v)) {
            if (!v || (strcmp(v, "md") && strcmp(v, "json") && strcmp(v, "html")))
                return cli_usage("review", "--format: expected md, json or html");
            a->json = !strcmp(v, "json");
            a->html = !strcmp(v, "html");
        } else if (cli_take(argc, argv, &i, "-o", &v) || cli_take(argc, argv, &i, "--output", &v)) {
            if (!v)
                return cli_usage("review", "-o: expected a file name");
            a->out = v;
        } else if (cli_take(argc, argv, &i, "--answers", &v)) {
            if (!v || !*v)
                return cli_usage("review", "--answers: expected a JSON file");
            a->answers = v;
        } else if (cli_take(argc, argv, &i, "--from-run", &v)) {
            if (!cli_parse_ll(v, &a->from_run))
                return cli_usage("review", "--from-run: expected a run id (0 = the newest "
                                           "finished)");
        } else if (cli_take(argc, argv, &i, "--eval-target", &v)) {
            if (!cli_parse_num(v, 0, 1, &a->eval_target))
                return cli_usage("review", "--eval-target: expected a score between 0 and 1");
        } else if (cli_take(argc, argv, &i, "--snapshot", &v)) {
            if (!cli_parse_ll(v, &a->snapshot))
                return cli_usage("review", "--snapshot: expected a snapshot number (0 = bundled)");
        } else if (cli_take(argc, argv, &i, "--example", &v)) {
            if (!v)
                return cli_usage("review", "--example: expected a name (see: tunepilot examples)");
            a->example = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("review", "unknown option %s", argv[i]);
        } else if (a->file) {
            return cli_usage("review", "expected one scenario file, got %s and %s", a->file,
                             argv[i]);
        } else {
            a->file = argv[i];
        }
    }
    if (!a->file == !a->example)
        return cli_usage("review", "expected a scenario file or --example NAME");
    if (a->file && a->answers && !strcmp(a->file, "-") && !strcmp(a->answers, "-"))
        return cli_usage("review", "the scenario and the answers cannot both be standard input");
    return CLI_OK;
}

int cmd_review(const CliGlobal *g, int argc, char **argv) {
    ReviewArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    TpError err = {0};
    Store *store = NULL;
    Pricing pricing = {0};
    CostScenario sc = {0};
    CostProjection proj = {0};
    Review review = {0};
    SessionEvidence ev;
    cJSON *answers = NULL;
    char *text = NULL, *out = NULL, name[4096], today[11];
    size_t len = 0;
    bool have_review = false;

    TpStatus st = cli_read_scenario(a.file, a.example, &text, &len, name, sizeof name, &err);
    if (st == TP_OK)
        st = session_today(today, &err);
    if (st == TP_OK) {
        if (a.snapshot > 0 || a.from_run >= 0)
            st = cli_open_store(g, &store, &err);
        else if (a.snapshot < 0)
            store = cli_store_or_null(g);
    }
    if (st == TP_OK && a.from_run >= 0)
        st = cli_apply_run(store, a.from_run, &text, &len, name, &ev, &err);
    if (st == TP_OK && a.answers) {
        bool in = !strcmp(a.answers, "-");
        char *atext = NULL;
        size_t alen = 0;
        st = tp_file_read(in ? "/dev/stdin" : a.answers, TP_MAX_ANSWERS_BYTES, &atext, &alen, &err);
        if (st == TP_OK)
            st = tp_json_parse(atext, alen, in ? "stdin" : a.answers, &answers, &err);
        if (st == TP_OK && !cJSON_IsObject(answers))
            st = tp_error_set(&err, TP_EINVAL, "%s: $: expected an object of answers, got %s",
                              in ? "stdin" : a.answers, tp_json_type_name(answers));
        free(atext);
    }
    if (st == TP_OK)
        st = session_load_case(store, a.snapshot, text, len, name, today, &pricing, &sc, &err);
    if (st == TP_OK)
        st = cost_project(&sc, &proj, &err);
    SessionEvalComparison evals;
    memset(&evals, 0, sizeof evals);
    if (st == TP_OK && a.from_run >= 0) {
        EvalSet set;
        TpError e2 = {0};
        /* the run's held-out examples (a run whose data moved has no evaluations to show) */
        if (eval_set_from_run(store, ev.run_id, &set, &e2) == TP_OK) {
            st = session_eval_compare(store, set.digest, ev.run_id, &evals, &err);
            eval_set_free(&set);
        }
    }
    if (st == TP_OK && isfinite(a.eval_target) && !evals.have_evidence)
        st = tp_error_set(&err, TP_EINVAL,
                          "--eval-target: no `tunepilot eval` result on the held-out examples of "
                          "%s",
                          a.from_run >= 0 ? "that run" : "a run (give --from-run ID)");
    if (st == TP_OK) {
        SessionReviewInput in = {&sc,
                                 &proj,
                                 &pricing,
                                 today,
                                 a.from_run >= 0 ? &ev : NULL,
                                 answers,
                                 evals.n_rows ? &evals : NULL,
                                 a.eval_target};
        st = session_review_build(&in, &review, &err);
        have_review = st == TP_OK;
    }
    if (st == TP_OK) {
        if (a.json) {
            cJSON *j = review_to_json(&review);
            char *s = cJSON_Print(j);
            cJSON_Delete(j);
            size_t n = strlen(s);
            out = tp_xmalloc(n + 2);
            memcpy(out, s, n);
            out[n] = '\n';
            out[n + 1] = '\0';
            free(s);
        } else if (a.html) {
            char now[32];
            cli_now_utc(now, sizeof now);
            ReportMeta meta = {TP_VERSION, now};
            out = review_render_html(&review, &meta);
        } else {
            out = review_render_md(&review);
        }
        st = cli_write_output(a.out, out, &err);
    }
    rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
    if (have_review)
        review_free(&review);
    session_eval_compare_free(&evals);
    free(out);
    free(text);
    cJSON_Delete(answers);
    cost_projection_free(&proj);
    cost_scenario_free(&sc);
    pricing_free(&pricing);
    store_close(store);
    return rc;
}
