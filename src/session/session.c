/* session.c - prices, scenarios, pilot evidence and the decide pipeline,
 * shared by the CLI and the workbench (see session.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tunepilot/json.h"
#include "tunepilot/pilot.h"
#include "tunepilot/session.h"

TpStatus session_today(char out[11], TpError *err) {
    const char *env = getenv("TUNEPILOT_TODAY");
    if (env && *env) {
        if (!tp_is_iso_date(env))
            return tp_error_set(err, TP_EINVAL,
                                "TUNEPILOT_TODAY: expected a date YYYY-MM-DD, got \"%s\"", env);
        snprintf(out, 11, "%s", env);
        return TP_OK;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
    return TP_OK;
}

long long session_newest_snapshot(Store *s) {
    if (!s)
        return 0;
    StoreSnapshotInfo *list = NULL;
    int n = 0;
    TpError e = {0};
    long long best = 0;
    if (store_snapshot_list(s, &list, &n, &e) == TP_OK) {
        for (int i = 0; i < n; i++)
            if (list[i].id > best)
                best = list[i].id;
        free(list);
    }
    return best;
}

TpStatus session_pricing_load(Store *s, long long want, Pricing *p, TpError *err) {
    if (want < 0)
        want = session_newest_snapshot(s);
    TpStatus st = pricing_load_bundled(p, err);
    if (st != TP_OK || want == 0)
        return st;
    if (!s) {
        pricing_free(p);
        return tp_error_set(err, TP_EINVAL,
                            "pricing snapshot %lld needs the database, which is not open", want);
    }
    StoreSnapshotInfo info;
    char **docs = NULL;
    int n = 0;
    st = store_snapshot_models(s, want, &info, &docs, &n, err);
    if (st == TP_OK) {
        st = pricing_apply_snapshot(p, want, info.label, info.as_of, docs, n, err);
        for (int i = 0; i < n; i++)
            free(docs[i]);
        free(docs);
    }
    if (st != TP_OK)
        pricing_free(p);
    return st;
}

static bool mentions(const char *text, size_t len, const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (text[i] == word[0] && !memcmp(text + i, word, n))
            return true;
    return false;
}

TpStatus session_scenario_parse(Store *s, const char *text, size_t len, const char *name,
                                const Pricing *p, const char *today, CostScenario *sc,
                                TpError *err) {
    TpStatus st;
    if (!mentions(text, len, "\"probe\"")) {
        st = cost_scenario_parse(text, len, name, p, sc, err);
    } else {
        StoreProbe *list = NULL;
        int n = 0;
        st = s ? store_probe_list(s, &list, &n, err)
               : tp_error_set(err, TP_EINVAL,
                              "%s: names a stored probe, but the database is not open", name);
        if (st != TP_OK)
            return st;
        CostProbe *probes = tp_xcalloc((size_t)n + 1, sizeof *probes);
        char(*dates)[16] = tp_xcalloc((size_t)n + 1, sizeof *dates);
        for (int i = 0; i < n; i++) {
            snprintf(dates[i], sizeof dates[i], "%.10s", list[i].created_at);
            probes[i] = (CostProbe){list[i].id, list[i].ttft_p50_ms, list[i].tokens_per_s_p50,
                                    dates[i],   list[i].model,       list[i].url};
        }
        st = cost_scenario_parse_ex(text, len, name, p, probes, n, sc, err);
        for (int i = 0; i < n; i++)
            store_probe_free(&list[i]);
        free(list);
        free(probes);
        free(dates);
    }
    if (st == TP_OK && !sc->start_date[0] && today)
        snprintf(sc->start_date, sizeof sc->start_date, "%s", today);
    return st;
}

/* The "snapshot" a scenario document names, or -1. */
static long long named_snapshot(const char *text, size_t len) {
    if (!mentions(text, len, "\"snapshot\""))
        return -1;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "snapshot");
    int64_t n = -1;
    if (!cJSON_IsNumber(v) || !tp_json_to_i64(v->valuedouble, 0, 999999999, &n))
        n = -1;
    cJSON_Delete(doc);
    return n;
}

TpStatus session_load_case(Store *s, long long want, const char *text, size_t len,
                           const char *name, const char *today, Pricing *p, CostScenario *sc,
                           TpError *err) {
    memset(p, 0, sizeof *p);
    memset(sc, 0, sizeof *sc);
    if (want < 0) {
        long long named = named_snapshot(text, len);
        if (named >= 0)
            want = named;
    }
    TpStatus st = session_pricing_load(s, want, p, err);
    if (st == TP_OK)
        st = session_scenario_parse(s, text, len, name, p, today, sc, err);
    if (st != TP_OK) {
        pricing_free(p);
        memset(p, 0, sizeof *p);
    }
    return st;
}

/* --- pilot evidence ---------------------------------------------------------------------- */

static TpStatus evidence_from(const StoreRun *r, SessionEvidence *ev, TpError *err) {
    memset(ev, 0, sizeof *ev);
    PilotSummary sum = {0};
    char name[64];
    snprintf(name, sizeof name, "run %lld summary", (long long)r->id);
    if (!r->summary || pilot_summary_parse(r->summary, name, &sum, NULL) != TP_OK) {
        pilot_summary_free(&sum);
        return tp_error_set(err, TP_EINVAL, "run %lld has no summary (status %s)",
                            (long long)r->id, run_status_name(r->status));
    }
    ev->run_id = r->id;
    snprintf(ev->date, sizeof ev->date, "%.10s", r->updated_at);
    snprintf(ev->model, sizeof ev->model, "%s", r->model);
    ev->base_accuracy = sum.base.accuracy;
    ev->tuned_accuracy = sum.tuned.accuracy;
    ev->base_loss = sum.base.loss;
    ev->tuned_loss = sum.tuned.loss;
    ev->tokens_per_s = sum.tokens_per_s;
    for (int i = 0; i < sum.full_run.n_gpus && ev->n_gpus < SESSION_MAX_EVIDENCE_GPUS; i++) {
        const PilotGpuRun *g = &sum.full_run.gpus[i];
        if (!isfinite(g->hours))
            continue;
        snprintf(ev->gpus[ev->n_gpus].gpu, sizeof ev->gpus[0].gpu, "%s", g->gpu);
        ev->gpus[ev->n_gpus].hours = g->hours;
        ev->n_gpus++;
    }
    pilot_summary_free(&sum);
    return TP_OK;
}

TpStatus session_evidence_load(Store *s, long long run_id, SessionEvidence *ev, TpError *err) {
    memset(ev, 0, sizeof *ev);
    if (!s)
        return tp_error_set(err, TP_EINVAL, "pilot evidence needs the database, which is not open");
    if (run_id > 0) {
        StoreRun r = {0};
        TpStatus st = store_run_get(s, run_id, &r, err);
        if (st != TP_OK)
            return st;
        if (r.status != RUN_COMPLETED)
            st = tp_error_set(err, TP_EINVAL,
                              "run %lld is %s, not completed: its evidence is not final",
                              run_id, run_status_name(r.status));
        else
            st = evidence_from(&r, ev, err);
        store_run_free(&r);
        return st;
    }
    StoreRun *v = NULL;
    int n = 0;
    TpStatus st = store_run_list(s, &v, &n, err);
    if (st != TP_OK)
        return st;
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        if (v[i].status != RUN_COMPLETED || strcmp(v[i].kind, "local") || !v[i].summary)
            continue;
        TpError e2 = {0};
        found = evidence_from(&v[i], ev, &e2) == TP_OK;
    }
    for (int i = 0; i < n; i++)
        store_run_free(&v[i]);
    free(v);
    if (!found)
        return tp_error_set(err, TP_ENOTFOUND,
                            "no finished pilot run to measure from (run one: tunepilot pilot)");
    return TP_OK;
}

int session_evidence_apply(const SessionEvidence *ev, cJSON *doc) {
    int changed = 0;
    cJSON *opt;
    cJSON_ArrayForEach(opt, cJSON_GetObjectItemCaseSensitive(doc, "options")) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(opt, "kind");
        if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "self_hosted"))
            continue;
        const cJSON *tg = cJSON_GetObjectItemCaseSensitive(opt, "train_gpu");
        const char *want = cJSON_IsString(tg) ? tg->valuestring : "a100-80gb";
        for (int i = 0; i < ev->n_gpus; i++) {
            if (strcmp(ev->gpus[i].gpu, want))
                continue;
            cJSON_DeleteItemFromObjectCaseSensitive(opt, "train_gpu_hours");
            cJSON_AddNumberToObject(opt, "train_gpu_hours", ev->gpus[i].hours);
            char by[96];
            snprintf(by, sizeof by, "pilot run %lld (%s)", ev->run_id, ev->date);
            cJSON_DeleteItemFromObjectCaseSensitive(opt, "measured_by");
            cJSON_AddStringToObject(opt, "measured_by", by);
            changed++;
            break;
        }
    }
    return changed;
}

static double rule_value(const Pricing *p, const char *id, double dflt) {
    const PricingRule *r = p ? pricing_rule(p, id) : NULL;
    return r ? (r->lo + r->hi) / 2 : dflt;
}

bool session_evidence_helped(const SessionEvidence *ev, const Pricing *p, bool *known,
                             char *detail, size_t size) {
    *known = true;
    if (isfinite(ev->base_accuracy) && isfinite(ev->tuned_accuracy)) {
        double gain = rule_value(p, "evidence_min_accuracy_gain", NAN);
        bool yes = isfinite(gain) && ev->tuned_accuracy - ev->base_accuracy >= gain;
        snprintf(detail, size,
                 "pilot run %lld (%s): exact match base %.1f%% -> tuned %.1f%% (%s %.0f points, "
                 "rule evidence_min_accuracy_gain)",
                 ev->run_id, ev->date, 100 * ev->base_accuracy, 100 * ev->tuned_accuracy,
                 yes ? "gain of at least" : "gain under", 100 * gain);
        return yes;
    }
    if (isfinite(ev->base_loss) && isfinite(ev->tuned_loss) && ev->base_loss > 0) {
        double ratio = rule_value(p, "evidence_max_loss_ratio", NAN);
        bool yes = isfinite(ratio) && ev->tuned_loss <= ratio * ev->base_loss;
        snprintf(detail, size,
                 "pilot run %lld (%s): held-out loss %.3f -> %.3f (ratio %.2f, %s %.2f, rule "
                 "evidence_max_loss_ratio)",
                 ev->run_id, ev->date, ev->base_loss, ev->tuned_loss,
                 ev->tuned_loss / ev->base_loss, yes ? "at most" : "above", ratio);
        return yes;
    }
    *known = false;
    snprintf(detail, size, "pilot run %lld has no evaluation", ev->run_id);
    return false;
}

/* --- the decide pipeline ------------------------------------------------------------------- */

TpStatus session_decide_answers(const DecideFramework *fw, const CostScenario *sc,
                                const CostProjection *proj, const Pricing *p,
                                const SessionEvidence *ev, const DecideAnswers *typed,
                                DecideAnswers *all, TpError *err) {
    if (sc && proj) {
        TpStatus st = decide_compute_answers(sc, proj, p, all, err);
        if (st != TP_OK)
            return st;
    }
    if (ev && decide_find_question(fw, "frontier_fails")) {
        char detail[512];
        bool known;
        bool yes = session_evidence_helped(ev, p, &known, detail, sizeof detail);
        if (known)
            decide_answers_set_yes_no(all, "frontier_fails", yes, DECIDE_ORIGIN_MEASURED, detail);
    }
    if (typed)
        decide_answers_merge(all, typed);
    decide_answers_filter(fw, all);
    return TP_OK;
}

/* --- verdicts that rest on feasible options ----------------------------------------------- */

static bool kind_is_ft(CostOptionKind k) {
    return k == COST_OPTION_API_FINETUNED || k == COST_OPTION_SELF_HOSTED;
}

DecideVerdict session_option_route(const CostScenario *sc, int i) {
    const CostOption *o = &sc->options[i];
    switch (o->kind) {
    case COST_OPTION_API:
        return DECIDE_PROMPT_ENGINEERING;
    case COST_OPTION_RAG:
        return DECIDE_RAG;
    case COST_OPTION_API_FINETUNED:
        return DECIDE_FINE_TUNE_HOSTED;
    case COST_OPTION_SELF_HOSTED:
        return DECIDE_FINE_TUNE_SELF_HOSTED;
    case COST_OPTION_ROUTED:
        break;
    }
    bool ft = false, rag = false;
    int big = -1;
    for (int k = 0; k < o->n_routes; k++) {
        int j = o->routes[k].index;
        if (j < 0 || j >= sc->n_options || j == i || o->routes[k].share.v <= 0)
            continue;
        ft |= kind_is_ft(sc->options[j].kind);
        rag |= sc->options[j].kind == COST_OPTION_RAG;
        if (big < 0 || o->routes[k].share.v > o->routes[big].share.v)
            big = k;
    }
    if (ft && rag)
        return DECIDE_HYBRID_FT_RAG;
    if (big < 0 || sc->options[o->routes[big].index].kind == COST_OPTION_ROUTED)
        return DECIDE_PROMPT_ENGINEERING;
    return session_option_route(sc, o->routes[big].index);
}

/* Whether option i serves verdict v's route. */
static bool serves(DecideVerdict v, const CostScenario *sc, int i) {
    DecideVerdict r = session_option_route(sc, i);
    if (v == DECIDE_HYBRID_FT_RAG)
        return r == DECIDE_HYBRID_FT_RAG || r == DECIDE_FINE_TUNE_HOSTED ||
               r == DECIDE_FINE_TUNE_SELF_HOSTED;
    return r == v;
}

void session_verdict(DecideVerdict framework, const CostScenario *sc, const CostProjection *proj,
                     SessionVerdict *out) {
    memset(out, 0, sizeof *out);
    out->framework = out->verdict = framework;
    out->rests_on = -1;
    if (!sc || !proj || framework == DECIDE_NOT_YET || framework >= DECIDE_N_VERDICTS)
        return;
    int n_route = 0, best = -1, first_bad = -1;
    for (int i = 0; i < sc->n_options; i++) {
        if (!serves(framework, sc, i))
            continue;
        n_route++;
        if (!proj->options[i].feasible) {
            if (first_bad < 0)
                first_bad = i;
            continue;
        }
        if (best < 0 || proj->options[i].horizon_total_usd < proj->options[best].horizon_total_usd)
            best = i;
    }
    const char *title = decide_verdict_title(framework);
    if (n_route == 0) {
        snprintf(out->note, sizeof out->note,
                 "the scenario has no %s option to check this verdict against", title);
        return;
    }
    if (best >= 0) {
        out->rests_on = best;
        snprintf(out->note, sizeof out->note,
                 "rests on %s, the cheapest feasible %s option (%.0f USD over %d months, p95 "
                 "%.0f ms)",
                 sc->options[best].id, title, proj->options[best].horizon_total_usd,
                 proj->horizon_months, proj->options[best].latency_p95_ms);
        return;
    }
    /* no option of the route is feasible: the verdict cannot stand. Every
     * one of them is named with what it fails, as far as the note holds. */
    char why[400];
    size_t wl = 0;
    int named = 0;
    why[0] = '\0';
    for (int i = first_bad; i < sc->n_options; i++) {
        if (!serves(framework, sc, i))
            continue;
        char one[300];
        cost_failed_checks(&proj->options[i], true, " and ", one, sizeof one);
        int w = snprintf(why + wl, sizeof why - wl, "%s%s: %s", named ? "; " : "",
                         sc->options[i].id, one);
        if (w < 0 || (size_t)w >= sizeof why - wl) {
            if (!named)
                break; /* the first alone is too long: shown as far as it fits */
            /* what does not fit is counted, not cut mid-word */
            int more = n_route - named;
            why[wl] = '\0';
            snprintf(why + wl, sizeof why - wl, "; and %d more", more);
            break;
        }
        wl += (size_t)w;
        named++;
    }
    int alt = -1;
    if (decide_verdict_is_fine_tune(framework))
        for (int i = 0; i < sc->n_options; i++) {
            DecideVerdict r = session_option_route(sc, i);
            if (!decide_verdict_is_fine_tune(r) || !proj->options[i].feasible)
                continue;
            if (alt < 0 || proj->options[i].horizon_total_usd < proj->options[alt].horizon_total_usd)
                alt = i;
        }
    if (alt < 0)
        alt = cost_cheapest(proj, true);
    out->changed = true;
    if (alt < 0) {
        out->verdict = DECIDE_NOT_YET;
        snprintf(out->note, sizeof out->note,
                 "the framework says %s, but no option in the scenario is feasible (%s)", title,
                 why);
        return;
    }
    out->verdict = session_option_route(sc, alt);
    out->rests_on = alt;
    snprintf(out->note, sizeof out->note,
             "the framework says %s, but no %s option is feasible (%s); the cheapest feasible "
             "option is %s (%s)",
             title, title, why, sc->options[alt].id,
             decide_verdict_title(out->verdict));
}
