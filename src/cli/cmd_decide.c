/* cmd_decide.c - `tunepilot decide`: prompt, RAG or fine-tune? A verdict from
 * a decision framework, with computed answers from a scenario, saved for
 * review against newer prices.
 *
 * Over 800 lines on purpose: --review re-runs a saved decision through the
 * same steps as a new one (pricing, projection, evidence, verdict, the text
 * and JSON output) and compares the two, so its code and the decision's
 * share those private steps; --list and --history are a few lines each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tunepilot/limits.h"
#include "tunepilot/assets.h"
#include "tunepilot/cost.h"
#include "tunepilot/decide.h"
#include "tunepilot/eval.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/session.h"

#define DEFAULT_FRAMEWORK "five-questions"

static const char USAGE[] =
    "usage: tunepilot decide [--framework F] [--answers FILE] [--scenario FILE] [--json]\n"
    "       tunepilot decide --review ID [--json]\n"
    "       tunepilot decide --list | --history [--json]\n"
    "\n"
    "Walks a decision framework (prompt engineering, RAG or fine-tuning) and prints\n"
    "the verdict, a method hint (lora, qlora or full) for a fine-tune, every answer\n"
    "with where it came from, and the trace of rules that produced the verdict.\n"
    "\n"
    "  --framework F    five-questions (default), checklist, sequence, one of yours\n"
    "                   in $XDG_CONFIG_HOME/tunepilot/frameworks/, or a .json file\n"
    "  --answers FILE   JSON object: question id -> true/false, a number or a\n"
    "                   choice id (- reads standard input); these override\n"
    "                   answers computed from a scenario\n"
    "  --scenario FILE  compute volume, savings_exceed_overhead, latency_critical,\n"
    "                   latency_budget_ms and doc_tokens from a projected scenario\n"
    "  --example NAME   the same with a bundled example scenario\n"
    "  --snapshot N     price with pricing snapshot N (0 = bundled tables; default:\n"
    "                   the scenario's \"snapshot\", else the newest stored)\n"
    "  --from-run ID    a finished pilot run's evidence (0 = the newest): its\n"
    "                   training time for self-hosted options, and frontier_fails\n"
    "                   answered from its evaluation by the evidence rules\n"
    "  --eval-target S  answer frontier_fails and prompt_iterations from `tunepilot\n"
    "                   eval` results: the best prompt variant's score against S\n"
    "                   (0..1), the variants tried against the 10-iteration rule;\n"
    "                   the held-out set is --from-run's, or --eval-data FILE's\n"
    "  --eval-data FILE the held-out file evaluated with eval --data FILE\n"
    "  --json           print the decision as JSON\n"
    "  --no-ask         never ask: report unanswered questions as missing\n"
    "  --no-save        do not record the decision in the database\n"
    "  --review ID      re-run saved decision ID with today's prices and rules and\n"
    "                   show what changed\n"
    "  --list           the available frameworks\n"
    "  --history        the saved decisions\n"
    "\n"
    "Unanswered questions are asked when standard input is a terminal (? shows\n"
    "help, b goes back, q stops asking) and reported as missing otherwise.\n";

typedef struct DecideArgs {
    const char *framework, *answers, *scenario, *example, *eval_data;
    long long snapshot, review, from_run;
    double eval_target;
    bool json, no_ask, no_save, list, history;
} DecideArgs;

static int parse_args(int argc, char **argv, DecideArgs *a) {
    memset(a, 0, sizeof *a);
    a->snapshot = a->review = a->from_run = -1;
    a->eval_target = NAN;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            exit(CLI_OK);
        } else if (cli_take(argc, argv, &i, "--framework", &v)) {
            if (!v || !*v)
                return cli_usage("decide", "--framework: expected a framework id or file "
                                           "(see: tunepilot decide --list)");
            a->framework = v;
        } else if (cli_take(argc, argv, &i, "--answers", &v)) {
            if (!v || !*v)
                return cli_usage("decide", "--answers: expected a JSON file");
            a->answers = v;
        } else if (cli_take(argc, argv, &i, "--scenario", &v)) {
            if (!v || !*v)
                return cli_usage("decide", "--scenario: expected a scenario file");
            a->scenario = v;
        } else if (cli_take(argc, argv, &i, "--example", &v)) {
            if (!v || !*v)
                return cli_usage("decide", "--example: expected a name (see: tunepilot examples)");
            a->example = v;
        } else if (cli_take(argc, argv, &i, "--snapshot", &v)) {
            if (!cli_parse_ll(v, &a->snapshot))
                return cli_usage("decide", "--snapshot: expected a snapshot number (0 = bundled)");
        } else if (cli_take(argc, argv, &i, "--from-run", &v)) {
            if (!cli_parse_ll(v, &a->from_run))
                return cli_usage("decide", "--from-run: expected a run id (0 = the newest "
                                           "finished)");
        } else if (cli_take(argc, argv, &i, "--eval-target", &v)) {
            if (!cli_parse_num(v, 0, 1, &a->eval_target))
                return cli_usage("decide", "--eval-target: expected a score between 0 and 1");
        } else if (cli_take(argc, argv, &i, "--eval-data", &v)) {
            if (!v || !*v)
                return cli_usage("decide", "--eval-data: expected the held-out file");
            a->eval_data = v;
        } else if (cli_take(argc, argv, &i, "--review", &v)) {
            if (!cli_parse_ll(v, &a->review) || a->review < 1)
                return cli_usage("decide", "--review: expected a decision id (see: tunepilot "
                                           "decide --history)");
        } else if (!strcmp(argv[i], "--json")) {
            a->json = true;
        } else if (!strcmp(argv[i], "--no-ask")) {
            a->no_ask = true;
        } else if (!strcmp(argv[i], "--no-save")) {
            a->no_save = true;
        } else if (!strcmp(argv[i], "--list")) {
            a->list = true;
        } else if (!strcmp(argv[i], "--history")) {
            a->history = true;
        } else if (argv[i][0] == '-') {
            return cli_usage("decide", "unknown option %s", argv[i]);
        } else {
            return cli_usage("decide", "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (a->scenario && a->example)
        return cli_usage("decide", "expected --scenario or --example, not both");
    int modes = (a->review > 0) + a->list + a->history;
    if (modes > 1)
        return cli_usage("decide", "expected one of --review, --list and --history");
    if (modes && (a->framework || a->answers || a->scenario || a->example))
        return cli_usage("decide", "--review, --list and --history take no framework, answers "
                                   "or scenario");
    return CLI_OK;
}

/* --- pricing and scenarios ------------------------------------------------------ */

typedef struct Projected {
    CostScenario sc;
    CostProjection proj;
    bool have;
} Projected;

static void projected_free(Projected *x) {
    cost_projection_free(&x->proj);
    cost_scenario_free(&x->sc);
    memset(x, 0, sizeof *x);
}

/* Parses (with stored probes) and projects a scenario (point figures only
 * matter here, so the Monte Carlo runs the fewest draws). */
static TpStatus project(Store *store, const char *text, size_t len, const char *name,
                        const Pricing *p, Projected *x, TpError *err) {
    char today[11];
    TpStatus st = session_today(today, err);
    if (st == TP_OK)
        st = session_scenario_parse(store, text, len, name, p, today, &x->sc, err);
    if (st == TP_OK) {
        x->sc.draws = 100;
        st = cost_project(&x->sc, &x->proj, err);
    }
    x->have = st == TP_OK;
    return st;
}

/* --- asking on a terminal ---------------------------------------------------------- */

static void show_question(const DecideFramework *fw, const DecideQuestion *q, int asked) {
    int idx = decide_question_index(fw, q->id);
    fprintf(stderr, "\n[%d/%d] %s\n", idx + 1, fw->n_questions, q->text);
    if (q->type == DECIDE_Q_YES_NO)
        fprintf(stderr, "  (y/n; ? help%s, q stop)\n", asked ? ", b back" : "");
    else if (q->type == DECIDE_Q_NUMBER)
        fprintf(stderr, "  (a number%s%s; ? help%s, q stop)\n", q->unit ? " in " : "",
                q->unit ? q->unit : "", asked ? ", b back" : "");
    else {
        for (int i = 0; i < q->n_choices; i++)
            fprintf(stderr, "  %d. %s (%s)\n", i + 1, q->choices[i].label, q->choices[i].id);
        fprintf(stderr, "  (a number or id; ? help%s, q stop)\n", asked ? ", b back" : "");
    }
}

/* Asks what the verdict still needs, one question at a time. Typed answers
 * go into both `all` and `typed`. */
static void ask(const DecideFramework *fw, DecideAnswers *all, DecideAnswers *typed) {
    char **stack = NULL;
    int depth = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    const DecideQuestion *q;
    fprintf(stderr, "%s\n%s\n", fw->title, fw->description);
    while ((q = decide_next_question(fw, all))) {
        show_question(fw, q, depth);
        for (;;) {
            fprintf(stderr, "> ");
            fflush(stderr);
            if (getline(&line, &lcap, stdin) < 0)
                goto done;
            line[strcspn(line, "\r\n")] = '\0';
            if (!strcmp(line, "q"))
                goto done;
            if (!strcmp(line, "?")) {
                fprintf(stderr, "  %s\n  source: %s\n", q->help, q->source);
                continue;
            }
            if (!strcmp(line, "b")) {
                if (!depth) {
                    fprintf(stderr, "  (this is the first question)\n");
                    continue;
                }
                char *prev = stack[--depth];
                decide_answers_remove(all, prev);
                decide_answers_remove(typed, prev);
                free(prev);
                break;
            }
            if (decide_parse_typed(q, line, typed)) {
                decide_answers_merge(all, typed);
                if (depth == cap) {
                    cap = cap ? cap * 2 : 8;
                    stack = tp_xrealloc(stack, sizeof *stack * (size_t)cap);
                }
                stack[depth++] = tp_xstrdup(q->id);
                break;
            }
            fprintf(stderr, "  expected %s\n",
                    q->type == DECIDE_Q_YES_NO   ? "y or n"
                    : q->type == DECIDE_Q_NUMBER ? "a number"
                                                 : "one of the listed choices");
        }
    }
done:
    fputc('\n', stderr);
    for (int i = 0; i < depth; i++)
        free(stack[i]);
    free(stack);
    free(line);
}

/* --- text output ---------------------------------------------------------------------- */

static void print_result(const DecideFramework *fw, const DecideAnswers *a,
                         const DecideResult *r, const SessionVerdict *sv) {
    printf("%s: %s\n  source: %s (as of %s)\n\n", fw->id, fw->title, fw->source, fw->as_of);
    printf("Verdict: %s  [%s]\n", decide_verdict_title(sv->verdict),
           decide_verdict_name(sv->verdict));
    if (sv->changed) {
        printf("  Feasibility: %s\n", sv->note);
        printf("  The framework's rule said: %s\n", r->explanation);
        if (fw->verdict_text[sv->verdict])
            printf("  %s\n", fw->verdict_text[sv->verdict]);
    } else {
        printf("  %s\n", r->explanation);
        if (fw->verdict_text[r->verdict])
            printf("  %s\n", fw->verdict_text[r->verdict]);
    }
    if (!sv->changed && sv->note[0])
        printf("  Option: %s\n", sv->note);
    if (r->method != DECIDE_METHOD_NONE && decide_verdict_is_fine_tune(sv->verdict))
        printf("Method hint: %s - %s\n", decide_method_name(r->method), r->method_why);
    if (r->stage >= 0)
        printf("Stage %d of %d: %s\n", r->stage + 1, fw->n_stages, fw->stages[r->stage].title);
    if (r->next_step)
        printf("Next: %s\n", r->next_step);
    if (r->n_missing) {
        printf("Missing:");
        for (int i = 0; i < r->n_missing; i++)
            printf("%s %s", i ? "," : "", r->missing[i]);
        printf("\n");
    }
    printf("\nAnswers\n");
    for (int i = 0; i < fw->n_questions; i++) {
        const DecideQuestion *q = &fw->questions[i];
        const DecideAnswer *x = decide_answers_find(a, q->id);
        char v[64];
        decide_answer_value_str(x, v, sizeof v);
        printf("  %-26s %-10s %-9s %s\n", q->id, v, x ? decide_origin_name(x->origin) : "",
               x && x->detail[0] ? x->detail : "");
    }
    for (int i = 0; DECIDE_FACTS[i]; i++) {
        const DecideAnswer *x = decide_answers_find(a, DECIDE_FACTS[i]);
        char v[64];
        if (x)
            printf("  %-26s %-10s %-9s %s\n", x->id, decide_answer_value_str(x, v, sizeof v),
                   decide_origin_name(x->origin), "(fact)");
    }
    printf("\nTrace (rules in order; * gave the verdict)\n");
    for (int i = 0; i < r->n_trace; i++) {
        const DecideTraceItem *t = &r->trace[i];
        const char *fired = t->fired == DECIDE_TRUE    ? "fired"
                            : t->fired == DECIDE_FALSE ? "-"
                                                       : "unknown";
        printf("  %s %-26s %-8s %s%s\n", t->decided ? "*" : " ", t->rule->id, fired,
               t->rule->has_verdict ? "-> " : "",
               t->rule->has_verdict ? decide_verdict_name(t->rule->verdict) : "");
        for (int k = 0; k < t->n_because; k++) {
            const DecideBecause *b = &t->because[k];
            char val[160];
            if (b->origin >= 0)
                snprintf(val, sizeof val, "%s (%s)", b->value,
                         decide_origin_name((DecideOrigin)b->origin));
            else
                snprintf(val, sizeof val, "%s", b->value);
            printf("      %-52s %s\n", b->test, val);
        }
    }
}

/* --- running a decision ------------------------------------------------------------------ */

/* Everything one evaluation needs and produces. */
typedef struct Run {
    DecideFramework fw;
    DecideAnswers typed, all;
    Projected proj;
    DecideResult result;
    char *scenario_compact; /* the scenario document, compact, or NULL */
} Run;

static void run_free(Run *r) {
    decide_result_free(&r->result);
    projected_free(&r->proj);
    decide_answers_free(&r->typed);
    decide_answers_free(&r->all);
    decide_framework_free(&r->fw);
    free(r->scenario_compact);
}

/* Computed answers from the scenario, measured ones from a pilot, typed
 * ones over both (the session's pipeline). */
static TpStatus combine(Run *r, const Pricing *p, const SessionEvidence *ev, TpError *err) {
    return session_decide_answers(&r->fw, r->proj.have ? &r->proj.sc : NULL,
                                  r->proj.have ? &r->proj.proj : NULL, p, ev, &r->typed, &r->all,
                                  err);
}

/* Question 2 from `tunepilot eval` results on the run's (or the file's) held-out set;
 * typed answers still win. */
static TpStatus eval_answers(Store *s, const DecideArgs *a, long long run_id, const Pricing *p,
                             Run *r, TpError *err) {
    if (!s)
        return tp_error_set(err, TP_EINVAL, "--eval-target needs the database");
    EvalSet set;
    TpStatus st = a->eval_data   ? eval_set_from_files(a->eval_data, NULL, &set, err)
                  : run_id > 0 ? eval_set_from_run(s, run_id, &set, err)
                               : tp_error_set(err, TP_EINVAL,
                                              "--eval-target: give --from-run ID or --eval-data "
                                              "FILE (the evaluated held-out set)");
    if (st != TP_OK)
        return st;
    SessionEvalComparison cmp;
    st = session_eval_compare(s, set.digest, a->eval_data ? 0 : run_id, &cmp, err);
    if (st == TP_OK && !cmp.have_evidence)
        st = tp_error_set(err, TP_EINVAL,
                          "--eval-target: no evaluation of %s yet (tunepilot eval %s%s --url URL "
                          "--model NAME)",
                          set.source, a->eval_data ? "--data " : "--run ",
                          a->eval_data ? a->eval_data : "ID");
    eval_set_free(&set);
    if (st == TP_OK)
        session_eval_answers(&cmp, p, a->eval_target, &r->fw, &r->all);
    session_eval_compare_free(&cmp);
    if (st != TP_OK)
        return st;
    decide_answers_merge(&r->all, &r->typed);
    return TP_OK;
}

static cJSON *pricing_json(long long snapshot, const Pricing *p) {
    (void)snapshot;
    return cli_pricing_json(p);
}

/* The verdict that stands after the feasibility check, in the JSON. */
static void verdict_json(cJSON *out, const DecideFramework *fw, const SessionVerdict *sv,
                         const Projected *x) {
    cJSON_ReplaceItemInObjectCaseSensitive(out, "verdict",
                                           cJSON_CreateString(decide_verdict_name(sv->verdict)));
    cJSON_ReplaceItemInObjectCaseSensitive(out, "verdict_title",
                                           cJSON_CreateString(decide_verdict_title(sv->verdict)));
    if (sv->changed) {
        /* the framework's advice for the verdict that stands, else none: the
         * advice of the verdict it replaced would contradict it */
        const char *t = fw->verdict_text[sv->verdict];
        cJSON_ReplaceItemInObjectCaseSensitive(out, "verdict_text",
                                               t ? cJSON_CreateString(t) : cJSON_CreateNull());
    }
    cJSON *f = cJSON_AddObjectToObject(out, "feasibility");
    cJSON_AddStringToObject(f, "framework_verdict", decide_verdict_name(sv->framework));
    cJSON_AddBoolToObject(f, "changed", sv->changed);
    tp_json_add_str(f, "rests_on", sv->rests_on >= 0 ? x->sc.options[sv->rests_on].id : NULL);
    tp_json_add_str(f, "note", sv->note[0] ? sv->note : NULL);
}

/* What a saved decision records to load its framework again: the id, or
 * the absolute path of a framework given as a file. */
static const char *framework_ref(const char *ref, const char *id, char *buf, size_t size) {
    size_t n = strlen(ref);
    if (!strchr(ref, '/') && !(n > 5 && !strcmp(ref + n - 5, ".json")))
        return id;
    char *r = realpath(ref, NULL);
    snprintf(buf, size, "%s", r ? r : ref);
    free(r);
    return buf;
}

static int run_decide(const CliGlobal *g, const DecideArgs *a) {
    TpError err = {0};
    Store *store = NULL;
    Pricing pricing = {0};
    Run run = {0};
    char *text = NULL;
    size_t len = 0;
    long long snap = 0;
    cJSON *out = NULL;
    const char *fref = a->framework ? a->framework : DEFAULT_FRAMEWORK;
    SessionEvidence ev;
    bool have_ev = false;

    TpStatus st = TP_OK;
    if (!a->no_save || a->from_run >= 0 || a->snapshot > 0)
        st = cli_open_store(g, &store, &err);
    else if (a->snapshot < 0)
        store = cli_store_or_null(g);
    if (st == TP_OK && (a->scenario || a->example)) {
        char name[4096], today[11];
        st = cli_read_scenario(a->scenario, a->example, &text, &len, name, sizeof name, &err);
        if (st == TP_OK && a->from_run >= 0) {
            st = cli_apply_run(store, a->from_run, &text, &len, name, &ev, &err);
            have_ev = st == TP_OK;
        }
        if (st == TP_OK)
            st = session_today(today, &err);
        if (st == TP_OK)
            st = session_load_case(store, a->snapshot, text, len, name, today, &pricing,
                                   &run.proj.sc, &err);
        if (st == TP_OK) {
            run.proj.sc.draws = 100;
            st = cost_project(&run.proj.sc, &run.proj.proj, &err);
            run.proj.have = st == TP_OK;
        }
        if (st == TP_OK) {
            cJSON *doc = NULL;
            if (tp_json_parse(text, len, name, &doc, NULL) == TP_OK)
                run.scenario_compact = cJSON_PrintUnformatted(doc);
            cJSON_Delete(doc);
        }
        free(text);
        text = NULL;
    } else if (st == TP_OK) {
        st = cli_load_pricing(g, &store, a->snapshot, &pricing, &err);
        if (st == TP_OK && a->from_run >= 0) {
            st = session_evidence_load(store, a->from_run, &ev, &err);
            have_ev = st == TP_OK;
        }
    }
    snap = pricing.snapshot_id;
    if (st == TP_OK)
        st = decide_framework_load(fref, &pricing, &run.fw, &err);
    if (st == TP_OK && a->answers) {
        bool in = !strcmp(a->answers, "-");
        cJSON *doc = NULL;
        st = tp_file_read(in ? "/dev/stdin" : a->answers, TP_MAX_ANSWERS_BYTES, &text, &len, &err);
        if (st == TP_OK)
            st = tp_json_parse(text, len, in ? "stdin" : a->answers, &doc, &err);
        if (st == TP_OK)
            st = decide_answers_from_json(&run.fw, doc, in ? "stdin" : a->answers, &run.typed,
                                          &err);
        cJSON_Delete(doc);
        free(text);
        text = NULL;
    }
    if (st == TP_OK)
        st = combine(&run, &pricing, have_ev ? &ev : NULL, &err);
    if (st == TP_OK && isfinite(a->eval_target))
        st = eval_answers(store ? store : NULL, a, have_ev ? ev.run_id : a->from_run, &pricing,
                          &run, &err);
    if (st == TP_OK && !a->no_ask && isatty(STDIN_FILENO))
        ask(&run.fw, &run.all, &run.typed);
    SessionVerdict sv;
    if (st == TP_OK) {
        decide_evaluate(&run.fw, &run.all, &run.result);
        session_verdict(run.result.verdict, run.proj.have ? &run.proj.sc : NULL,
                        run.proj.have ? &run.proj.proj : NULL, &sv);
        out = decide_result_json(&run.fw, &run.all, &run.result);
        verdict_json(out, &run.fw, &sv, &run.proj);
        cJSON_AddItemToObject(out, "pricing", pricing_json(snap, &pricing));
    }
    int64_t id = 0;
    if (st == TP_OK && !a->no_save) {
        cJSON *inputs = decide_answers_inputs_json(&run.typed);
        char *answers = cJSON_PrintUnformatted(inputs);
        char *result = cJSON_PrintUnformatted(out);
        TpError serr = {0};
        char abs[4096];
        TpStatus s2 = store ? TP_OK : cli_open_store(g, &store, &serr);
        if (s2 == TP_OK)
            s2 = store_decision_save(store, framework_ref(fref, run.fw.id, abs, sizeof abs),
                                     answers, run.scenario_compact, result, &id, &serr);
        if (s2 != TP_OK)
            fprintf(stderr, "tunepilot: warning: decision not saved: %s\n", serr.msg);
        free(answers);
        free(result);
        cJSON_Delete(inputs);
    }
    if (st == TP_OK) {
        if (a->json) {
            if (id > 0)
                cJSON_AddNumberToObject(out, "decision_id", (double)id);
            char *s = cJSON_Print(out);
            puts(s);
            free(s);
        } else {
            print_result(&run.fw, &run.all, &run.result, &sv);
            char note[512];
            cli_pricing_note(&pricing, note, sizeof note);
            printf("\nPrices: %s\n", note);
            if (id > 0)
                printf("\nSaved as decision %lld (review it later: tunepilot decide --review "
                       "%lld)\n",
                       (long long)id, (long long)id);
        }
    }
    int rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
    cJSON_Delete(out);
    free(text);
    run_free(&run);
    pricing_free(&pricing);
    store_close(store);
    return rc;
}

/* --- review ----------------------------------------------------------------------------------- */

static const cJSON *answer_in(const cJSON *answers, const char *id) {
    const cJSON *it;
    cJSON_ArrayForEach(it, answers) {
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(i) && !strcmp(i->valuestring, id))
            return it;
    }
    return NULL;
}

static const char *str_or(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static void value_text(const cJSON *v, char *buf, size_t size) {
    if (!v || cJSON_IsNull(v))
        snprintf(buf, size, "unanswered");
    else if (cJSON_IsBool(v))
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else if (cJSON_IsString(v))
        snprintf(buf, size, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "%g", v->valuedouble);
    else
        snprintf(buf, size, "?");
}

static int run_review(const CliGlobal *g, const DecideArgs *a) {
    TpError err = {0};
    Store *store = NULL;
    Pricing pricing = {0};
    Run run = {0};
    StoreDecision d = {0};
    cJSON *old = NULL, *newj = NULL, *report = NULL, *answers_doc = NULL;
    long long snap = 0;
    char name[128];
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_decision_get(store, a->review, &d, &err);
    if (st == TP_OK)
        st = cli_load_pricing(g, &store, a->snapshot, &pricing, &err);
    snap = pricing.snapshot_id;
    if (st == TP_OK) {
        st = decide_framework_load(d.framework, &pricing, &run.fw, &err);
        if (st != TP_OK)
            tp_error_prefix(&err, "decision %lld", (long long)d.id);
    }
    if (st == TP_OK) {
        snprintf(name, sizeof name, "decision %lld answers", (long long)d.id);
        st = tp_json_parse(d.answers, strlen(d.answers), name, &answers_doc, &err);
        if (st == TP_OK)
            st = decide_answers_from_json(&run.fw, answers_doc, name, &run.typed, &err);
    }
    if (st == TP_OK && d.scenario) {
        snprintf(name, sizeof name, "decision %lld scenario", (long long)d.id);
        st = project(store, d.scenario, strlen(d.scenario), name, &pricing, &run.proj, &err);
    }
    if (st == TP_OK)
        st = combine(&run, &pricing, NULL, &err);
    SessionVerdict sv;
    if (st == TP_OK) {
        decide_evaluate(&run.fw, &run.all, &run.result);
        session_verdict(run.result.verdict, run.proj.have ? &run.proj.sc : NULL,
                        run.proj.have ? &run.proj.proj : NULL, &sv);
        newj = decide_result_json(&run.fw, &run.all, &run.result);
        verdict_json(newj, &run.fw, &sv, &run.proj);
        cJSON_AddItemToObject(newj, "pricing", pricing_json(snap, &pricing));
        old = cJSON_Parse(d.result);
        if (!old)
            old = cJSON_CreateObject();
    }
    if (st != TP_OK) {
        int rc = cli_fail(st, &err);
        cJSON_Delete(answers_doc);
        store_decision_free(&d);
        run_free(&run);
        pricing_free(&pricing);
        store_close(store);
        return rc;
    }

    const char *old_verdict = str_or(old, "verdict", "?");
    const char *new_verdict = decide_verdict_name(sv.verdict);
    const cJSON *om = cJSON_GetObjectItemCaseSensitive(old, "method_hint");
    const char *old_method = str_or(om, "method", NULL);
    const char *new_method = decide_method_name(run.result.method);
    bool verdict_changed = strcmp(old_verdict, new_verdict) != 0;
    bool method_changed = (old_method == NULL) != (new_method == NULL) ||
                          (old_method && new_method && strcmp(old_method, new_method));

    report = cJSON_CreateObject();
    cJSON_AddStringToObject(report, "kind", "tunepilot.decision_review");
    cJSON_AddNumberToObject(report, "decision_id", (double)d.id);
    cJSON_AddStringToObject(report, "created_at", d.created_at);
    cJSON_AddStringToObject(report, "framework", run.fw.id);
    cJSON *ov = cJSON_AddObjectToObject(report, "old");
    cJSON_AddStringToObject(ov, "verdict", old_verdict);
    tp_json_add_str(ov, "method", old_method);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(old, "pricing");
    cJSON_AddItemToObject(ov, "pricing", op ? cJSON_Duplicate(op, true) : cJSON_CreateNull());
    cJSON_AddBoolToObject(report, "verdict_changed", verdict_changed);
    cJSON_AddBoolToObject(report, "method_changed", method_changed);
    cJSON *changed = cJSON_AddArrayToObject(report, "changed_answers");
    const cJSON *old_answers = cJSON_GetObjectItemCaseSensitive(old, "answers");
    const cJSON *new_answers = cJSON_GetObjectItemCaseSensitive(newj, "answers");
    const cJSON *it;
    cJSON_ArrayForEach(it, new_answers) {
        const char *id = str_or(it, "id", "");
        const cJSON *was = answer_in(old_answers, id);
        const cJSON *nv = cJSON_GetObjectItemCaseSensitive(it, "value");
        const cJSON *wv = was ? cJSON_GetObjectItemCaseSensitive(was, "value") : NULL;
        bool value_diff = !(wv && nv && cJSON_Compare(wv, nv, true)) &&
                          !((!wv || cJSON_IsNull(wv)) && (!nv || cJSON_IsNull(nv)));
        const char *nd = str_or(it, "detail", ""), *wd = was ? str_or(was, "detail", "") : "";
        bool detail_diff = strcmp(nd, wd) != 0;
        if (!value_diff && !detail_diff)
            continue;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "id", id);
        cJSON_AddItemToObject(c, "old", wv ? cJSON_Duplicate(wv, true) : cJSON_CreateNull());
        cJSON_AddItemToObject(c, "new", nv ? cJSON_Duplicate(nv, true) : cJSON_CreateNull());
        cJSON_AddBoolToObject(c, "value_changed", value_diff);
        tp_json_add_str(c, "old_origin", was ? str_or(was, "origin", NULL) : NULL);
        tp_json_add_str(c, "new_origin", str_or(it, "origin", NULL));
        tp_json_add_str(c, "old_detail", *wd ? wd : NULL);
        tp_json_add_str(c, "new_detail", *nd ? nd : NULL);
        cJSON_AddItemToArray(changed, c);
    }
    cJSON_AddItemToObject(report, "new", newj);
    newj = NULL;

    if (a->json) {
        char *s = cJSON_Print(report);
        puts(s);
        free(s);
    } else {
        printf("Decision %lld (%s, %s)\n", (long long)d.id, run.fw.id, d.created_at);
        const cJSON *np = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(report, "new"), "pricing");
        printf("  prices then: %s\n  prices now:  %s\n", str_or(op, "label", "?"),
               str_or(np, "label", "?"));
        printf("  verdict then: %-24s now: %s%s\n", old_verdict, new_verdict,
               verdict_changed ? "   (changed)" : "   (unchanged)");
        printf("  method  then: %-24s now: %s%s\n", old_method ? old_method : "-",
               new_method ? new_method : "-", method_changed ? "   (changed)" : "");
        int n = cJSON_GetArraySize(changed);
        printf("\n%s\n", n ? "Answers that changed" : "No answer changed.");
        cJSON_ArrayForEach(it, changed) {
            char w[64], v[64];
            value_text(cJSON_GetObjectItemCaseSensitive(it, "old"), w, sizeof w);
            value_text(cJSON_GetObjectItemCaseSensitive(it, "new"), v, sizeof v);
            printf("  %-26s %s -> %s%s\n", str_or(it, "id", ""), w, v,
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "value_changed"))
                       ? ""
                       : "   (same answer, new numbers)");
            const char *od = str_or(it, "old_detail", NULL), *nd = str_or(it, "new_detail", NULL);
            if (od)
                printf("      then: %s\n", od);
            if (nd)
                printf("      now:  %s\n", nd);
        }
        printf("\nToday's decision\n\n");
        print_result(&run.fw, &run.all, &run.result, &sv);
    }
    cJSON_Delete(report);
    cJSON_Delete(old);
    cJSON_Delete(answers_doc);
    store_decision_free(&d);
    run_free(&run);
    pricing_free(&pricing);
    store_close(store);
    return CLI_OK;
}

/* --- list and history ---------------------------------------------------------------------- */

static int run_list(const DecideArgs *a) {
    TpError err = {0};
    DecideCatalogEntry *list;
    int n;
    TpStatus st = decide_catalog_list(&list, &n, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    if (a->json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", list[i].id);
            cJSON_AddStringToObject(e, "title", list[i].title);
            cJSON_AddStringToObject(e, "origin", list[i].user ? "user" : "built-in");
            cJSON_AddStringToObject(e, "path", list[i].path);
            cJSON_AddItemToArray(arr, e);
        }
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
        cJSON_Delete(arr);
    } else {
        for (int i = 0; i < n; i++)
            printf("%-20s %s%s\n", list[i].id, list[i].title, list[i].user ? "  (yours)" : "");
        printf("\nuse one: tunepilot decide --framework ID\n");
    }
    free(list);
    return CLI_OK;
}

static int run_history(const CliGlobal *g, const DecideArgs *a) {
    TpError err = {0};
    Store *store = NULL;
    StoreDecision *list = NULL;
    int n = 0;
    TpStatus st = cli_open_store(g, &store, &err);
    if (st == TP_OK)
        st = store_decision_list(store, &list, &n, &err);
    if (st != TP_OK) {
        store_close(store);
        return cli_fail(st, &err);
    }
    cJSON *arr = cJSON_CreateArray();
    if (!a->json && n == 0)
        printf("no decisions yet (make one: tunepilot decide)\n");
    for (int i = 0; i < n; i++) {
        cJSON *res = cJSON_Parse(list[i].result);
        const char *verdict = str_or(res, "verdict", "?");
        if (a->json) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "id", (double)list[i].id);
            cJSON_AddStringToObject(e, "created_at", list[i].created_at);
            cJSON_AddStringToObject(e, "framework", list[i].framework);
            cJSON_AddStringToObject(e, "verdict", verdict);
            cJSON_AddBoolToObject(e, "scenario", list[i].scenario != NULL);
            cJSON_AddItemToArray(arr, e);
        } else {
            printf("%-5lld %s  %-16s %s%s\n", (long long)list[i].id, list[i].created_at,
                   list[i].framework, verdict, list[i].scenario ? "  (with scenario)" : "");
        }
        cJSON_Delete(res);
        store_decision_free(&list[i]);
    }
    if (a->json) {
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
    }
    cJSON_Delete(arr);
    free(list);
    store_close(store);
    return CLI_OK;
}

int cmd_decide(const CliGlobal *g, int argc, char **argv) {
    DecideArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    if (a.list)
        return run_list(&a);
    if (a.history)
        return run_history(g, &a);
    if (a.review > 0)
        return run_review(g, &a);
    return run_decide(g, &a);
}
