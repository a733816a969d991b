/* costs_doc.c - the Costs screen's document: the form's rows and an
 * option's fields, the projection (checked and projected by the cost
 * engine, then published to the other screens), loading a scenario or a
 * bundled example, saving (the file atomically, and History) and the
 * pilot's measured training time. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/costs_int.h"
#include "tunepilot/assets.h"
#include "tunepilot/report.h"
#include "tunepilot/session.h"

/* --- the form's rows ---------------------------------------------------------------------- */

/* Numbers first (the workload's, then the scenario's), then the texts. */
int costs_form_rows(FormRow *rows, int max) {
    const SessionField *w[MAX_FORM], *t[MAX_FORM];
    int nw = session_fields_at(SESSION_AT_WORKLOAD, 0, w, MAX_FORM);
    int nt = session_fields_at(SESSION_AT_TOP, 0, t, MAX_FORM);
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nw + nt && n < max; i++) {
            const SessionField *f = i < nw ? w[i] : t[i - nw];
            bool number = f->type == SESSION_FIELD_NUMBER || f->type == SESSION_FIELD_INTEGER;
            if (number == (pass == 0))
                rows[n++] = (FormRow){i < nw ? SESSION_AT_WORKLOAD : SESSION_AT_TOP, f};
        }
    }
    return n;
}

int costs_option_fields(const CostsState *c, int opt, const SessionField **out) {
    int kind = session_option_kind(c->doc, opt);
    if (kind < 0)
        kind = COST_OPTION_API;
    int n = session_fields_at(opt, (CostOptionKind)kind, out, MAX_OPT_FIELDS);
    return n < MAX_OPT_FIELDS ? n : MAX_OPT_FIELDS;
}

void costs_value_text(CostsState *c, int where, const SessionField *f, char *out, size_t size) {
    session_value_format(session_doc_get(c->doc, where, f->key), f, out, size);
}

/* --- the projection ----------------------------------------------------------------------- */

void costs_drop_projection(CostsState *c) {
    if (c->have) {
        cost_projection_free(&c->proj);
        cost_scenario_free(&c->sc);
        c->have = false;
    }
}

/* Checks a document with the engine (the CLI's parser and messages). */
TpStatus costs_check_doc(TuiApp *a, const CostsState *c, const cJSON *doc, TpError *err) {
    char today[11];
    TpStatus st = session_today(today, err);
    if (st != TP_OK)
        return st;
    CostScenario sc;
    st = session_scenario_check(a->store, doc, c->name, &a->pricing, today, &sc, err);
    cost_scenario_free(&sc);
    return st;
}

/* Parses and projects the document, then publishes it to the other screens. */
void costs_recompute(TuiApp *a, CostsState *c) {
    costs_drop_projection(c);
    c->error[0] = '\0';
    if (!c->doc) {
        tui_scenario_publish(a, NULL, c->name, NULL, NULL);
        return;
    }
    TpError err = {0};
    char today[11];
    TpStatus st = session_today(today, &err);
    if (st == TP_OK)
        st = session_scenario_check(a->store, c->doc, c->name, &a->pricing, today, &c->sc, &err);
    if (st == TP_OK) {
        st = cost_project(&c->sc, &c->proj, &err);
        if (st == TP_OK)
            c->have = true;
        else
            cost_scenario_free(&c->sc);
    }
    if (st != TP_OK)
        snprintf(c->error, sizeof c->error, "%s", err.msg);
    tui_scenario_publish(a, c->doc, c->name, c->have ? &c->sc : NULL, c->have ? &c->proj : NULL);
}

void costs_set_doc(TuiApp *a, CostsState *c, cJSON *doc) {
    if (doc != c->doc) {
        cJSON_Delete(c->doc);
        c->doc = doc;
    }
    costs_recompute(a, c);
}

/* --- loading ------------------------------------------------------------------------------ */

void costs_close_modes(CostsState *c) {
    field_end(&c->edit);
    picker_end(&c->pick);
    c->pick_for = PICK_NONE;
    cJSON_Delete(c->base);
    c->base = NULL;
    cJSON_Delete(c->wizard_base);
    c->wizard_base = NULL;
    c->wizard = false;
    c->ask = ASK_NONE;
    c->hint[0] = '\0';
}

void costs_load_doc(TuiApp *a, CostsState *c, const char *json, const char *name, const char *path,
                    int64_t saved_id) {
    cJSON *doc = cJSON_Parse(json);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "cannot read scenario %s: not JSON", name);
        return;
    }
    costs_close_modes(c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->path, sizeof c->path, "%s", path ? path : "");
    c->saved_id = saved_id;
    c->dirty = false;
    c->form_sel = c->form_top = c->opt_sel = c->opt_top = c->ofield_sel = c->ofield_top = 0;
    if (c->focus == FOCUS_OPTION)
        c->focus = FOCUS_TABLE;
    costs_set_doc(a, c, doc);
}

bool costs_load_example(TuiApp *a, CostsState *c, int i) {
    const char *n = tp_asset_name("assets/scenarios/", i);
    if (!n) {
        i = 0;
        n = tp_asset_name("assets/scenarios/", 0);
    }
    if (!n)
        return false;
    c->example_index = i;
    size_t len;
    const char *data = tp_asset_get(n, &len);
    costs_load_doc(a, c, data, n + strlen("assets/scenarios/"), NULL, 0);
    return true;
}

/* --- saving ------------------------------------------------------------------------------- */

/* s: the scenario file, written atomically (a bundled example or a scenario
 * from History gets a new file in $TUNEPILOT_SCENARIO_DIR or the current
 * directory), and the database (History) with its projection. */
bool costs_save(TuiApp *a, CostsState *c) {
    if (!c->have) {
        snprintf(a->message, sizeof a->message, "not saved: the scenario is invalid: %s", c->error);
        return false;
    }
    TpError err = {0};
    char path[1024];
    if (c->path[0]) {
        snprintf(path, sizeof path, "%s", c->path);
    } else {
        const char *dir = getenv("TUNEPILOT_SCENARIO_DIR");
        if (session_scenario_new_path(dir && *dir ? dir : ".", c->sc.name, path, sizeof path,
                                      &err) != TP_OK) {
            snprintf(a->message, sizeof a->message, "not saved: %s", err.msg);
            return false;
        }
    }
    if (session_scenario_write(c->doc, path, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "not saved: %s", err.msg);
        return false;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    c->dirty = false;
    if (!a->store) {
        snprintf(a->message, sizeof a->message,
                 "saved to %s (not in History: database unavailable)", path);
        return true;
    }
    char *doc = cJSON_PrintUnformatted(c->doc);
    ReportPricing rp = {a->pricing.snapshot_id, a->pricing.snapshot_label,
                        a->pricing.snapshot_as_of};
    cJSON *pj = report_cost_json(&c->sc, &c->proj, &rp);
    char *proj = cJSON_PrintUnformatted(pj);
    int64_t id = 0;
    TpStatus st = store_scenario_save(a->store, c->sc.name, doc, &id, &err);
    if (st == TP_OK)
        st = store_projection_save(a->store, id, a->pricing.snapshot_id, c->sc.seed, proj, NULL,
                                   &err);
    if (st == TP_OK) {
        c->saved_id = id;
        tui_post(a, TUI_EV_STORE_CHANGED, id, NULL, NULL);
        snprintf(a->message, sizeof a->message, "saved to %s and as scenario %lld", path,
                 (long long)id);
    } else {
        snprintf(a->message, sizeof a->message, "saved to %s; not in History: %s", path, err.msg);
    }
    free(doc);
    free(proj);
    cJSON_Delete(pj);
    return true;
}

/* Evidence from a pilot: the newest finished run's measured throughput,
 * scaled to each self-hosted option's training GPU (the run's full-run
 * estimate), becomes that option's train_gpu_hours, marked measured. */
void costs_use_measured(TuiApp *a, CostsState *c) {
    SessionEvidence ev;
    TpError err = {0};
    if (session_evidence_load(a->store, 0, &ev, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    int changed = session_evidence_apply(&ev, c->doc);
    costs_recompute(a, c);
    if (changed) {
        c->dirty = true;
        snprintf(a->message, sizeof a->message,
                 "training time of %d self-hosted option(s) measured by pilot run %lld", changed,
                 ev.run_id);
    } else {
        snprintf(a->message, sizeof a->message, "no self-hosted option to apply run %lld to",
                 ev.run_id);
    }
}
