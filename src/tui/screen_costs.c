/* screen_costs.c - the scenario editor: the workload and scenario figures
 * on the left, the options table, and below either the cumulative cost by
 * month (with break-even markers) or the selected option's fields. Every
 * value goes through one field editor (field.h) and the session layer's
 * parser (session_edit.h); every change is checked by the cost engine's own
 * parser, so the messages are the CLI's. Unsaved edits are never dropped
 * without asking. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/chart.h"
#include "tui/field.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/limits.h"
#include "tunepilot/report.h"
#include "tunepilot/series.h"
#include "tunepilot/session.h"
#include "tunepilot/session_edit.h"

/* Rows of the form: the workload's and the scenario's fields. */
#define MAX_FORM 24
#define MAX_OPT_FIELDS 64
#define TOP_H 11  /* form and table */
#define INFO_H 3  /* the editor line and its message, or a question */

typedef enum { FOCUS_FORM, FOCUS_TABLE, FOCUS_OPTION } Focus;

typedef enum {
    ASK_NONE,
    ASK_REMOVE,  /* remove the selected option? */
    ASK_EXAMPLE, /* unsaved edits: open the next example? */
    ASK_LOAD,    /* unsaved edits: open the scenario another screen sent? */
    ASK_QUIT,    /* unsaved edits: quit? */
} Ask;

typedef enum {
    PICK_NONE,
    PICK_ADD_KIND, /* a: which kind */
    PICK_ADD_NAME, /* a: which model or GPU */
    PICK_FIELD,    /* a field of a picked type (model, gpu, kind, ...) */
} PickFor;

typedef struct CostsState {
    cJSON *doc; /* the scenario being edited */
    char name[128];
    char path[1024]; /* the file it came from or was saved to; "" for none */
    bool dirty;      /* edits since it was loaded or saved */
    CostScenario sc;
    CostProjection proj;
    bool have; /* sc and proj valid */
    char error[512];
    int64_t saved_id;
    int example_index; /* the bundled example shown last (e) */

    Focus focus;
    int form_sel, form_top;
    int opt_sel;
    int ofield_sel, ofield_top;

    /* the editor: what it edits, the document before it opened */
    FieldEdit edit;
    int edit_where;
    const SessionField *edit_field;
    cJSON *base;     /* the document when the edit (or the addition) began */
    bool base_valid; /* base passed the engine */

    /* an option being added or re-kinded: the engine asks for what it lacks */
    bool wizard;
    int wizard_opt;
    cJSON *wizard_base;
    char wizard_what[64]; /* "added", "now rag (...)" */
    const char *wizard_undo; /* what Escape does: "drops the new option" */

    Picker pick;
    PickFor pick_for;
    CostOptionKind add_kind;
    const char *names[PICKER_MAX], *notes[PICKER_MAX];
    char note_text[PICKER_MAX][96]; /* the notes: prices and sizes from the tables */

    Ask ask;
    char ask_text[256];
    char *pending_json; /* ASK_LOAD: what to open */
    char pending_name[128];
    int64_t pending_id;
    char hint[512]; /* the engine's word on the field the wizard asks for */
} CostsState;

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a figure, an option, or an option's field"},
    {"Left/Right", "the workload form or the options table"},
    {"Enter", "edit the figure (50k, 1.5M, 2e3, a range [low, high]); on an option: its fields"},
    {"  editing", "Enter applies, Esc restores the old value; no other key runs a command"},
    {"a", "add an option: its kind, then a model or GPU from the price tables"},
    {"d", "duplicate the selected option"},
    {"x, Delete", "remove the selected option (asks), or clear a field back to its default"},
    {"Esc", "back from an option's fields to the table"},
    {"s", "save: the scenario file (a new file for a bundled example) and History"},
    {"e", "the next bundled example (asks when edits are unsaved)"},
    {"m", "use the newest pilot run's measured training time"},
    {NULL, NULL},
};

/* --- the form's rows --------------------------------------------------------------------- */

typedef struct FormRow {
    int where;
    const SessionField *f;
} FormRow;

/* Numbers first (the workload's, then the scenario's), then the texts. */
static int form_rows(FormRow *rows, int max) {
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

static int option_fields(const CostsState *c, int opt, const SessionField **out) {
    int kind = session_option_kind(c->doc, opt);
    if (kind < 0)
        kind = COST_OPTION_API;
    int n = session_fields_at(opt, (CostOptionKind)kind, out, MAX_OPT_FIELDS);
    return n < MAX_OPT_FIELDS ? n : MAX_OPT_FIELDS;
}

static void value_text(CostsState *c, int where, const SessionField *f, char *out, size_t size) {
    session_value_format(session_doc_get(c->doc, where, f->key), f, out, size);
}

/* --- the projection ------------------------------------------------------------------------ */

static void drop_projection(CostsState *c) {
    if (c->have) {
        cost_projection_free(&c->proj);
        cost_scenario_free(&c->sc);
        c->have = false;
    }
}

/* Checks a document with the engine (the CLI's parser and messages). */
static TpStatus check_doc(TuiApp *a, const CostsState *c, const cJSON *doc, TpError *err) {
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
static void recompute(TuiApp *a, CostsState *c) {
    drop_projection(c);
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
    tui_scenario_publish(a, c->doc, c->name, c->have ? &c->sc : NULL,
                         c->have ? &c->proj : NULL);
}

static void set_doc(TuiApp *a, CostsState *c, cJSON *doc) {
    if (doc != c->doc) {
        cJSON_Delete(c->doc);
        c->doc = doc;
    }
    recompute(a, c);
}

/* --- loading --------------------------------------------------------------------------------- */

static void close_modes(CostsState *c) {
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

static void load_doc(TuiApp *a, CostsState *c, const char *json, const char *name,
                     const char *path, int64_t saved_id) {
    cJSON *doc = cJSON_Parse(json);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "cannot read scenario %s: not JSON", name);
        return;
    }
    close_modes(c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->path, sizeof c->path, "%s", path ? path : "");
    c->saved_id = saved_id;
    c->dirty = false;
    c->form_sel = c->form_top = c->opt_sel = c->ofield_sel = c->ofield_top = 0;
    if (c->focus == FOCUS_OPTION)
        c->focus = FOCUS_TABLE;
    set_doc(a, c, doc);
}

static bool load_example(TuiApp *a, CostsState *c, int i) {
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
    load_doc(a, c, data, n + strlen("assets/scenarios/"), NULL, 0);
    return true;
}

static void *costs_open(TuiApp *a) {
    CostsState *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (a->opt.scenario) {
        /* the whole file up to the scenario limit (limits.h); past it, a message and the
         * bundled example instead of a silently cut document */
        char *buf = NULL;
        size_t n = 0;
        TpError err = {0};
        if (tp_file_read(a->opt.scenario, TP_MAX_SCENARIO_BYTES, &buf, &n, &err) == TP_OK && n) {
            load_doc(a, c, buf, a->opt.scenario, a->opt.scenario, 0);
            free(buf);
            if (c->doc)
                return c;
        } else {
            free(buf);
            snprintf(a->message, sizeof a->message, "%s",
                     err.msg[0] ? err.msg : "empty scenario file");
        }
    }
    load_example(a, c, 0); /* ticket-triage first (names sort) */
    for (int i = 0; tp_asset_name("assets/scenarios/", i); i++)
        if (strstr(tp_asset_name("assets/scenarios/", i), "ticket-triage"))
            load_example(a, c, i);
    return c;
}

static void costs_close(TuiApp *a, void *self) {
    CostsState *c = self;
    if (!c)
        return;
    a->scenario = (TuiScenario){0}; /* nobody reads it after this */
    close_modes(c);
    drop_projection(c);
    cJSON_Delete(c->doc);
    free(c->pending_json);
    free(c);
}

static void ask_unsaved(CostsState *c, Ask what, const char *then) {
    c->ask = what;
    snprintf(c->ask_text, sizeof c->ask_text,
             "%s has unsaved edits: s saves them and %s, d discards them and %s, Esc keeps "
             "editing",
             c->name, then, then);
}

/* A saved scenario (History's Enter) or a document (a reopened decision's):
 * over unsaved edits, it waits for an answer. */
static void open_or_ask(TuiApp *a, CostsState *c, const char *json, const char *name,
                        int64_t id) {
    if (!c->dirty) {
        load_doc(a, c, json, name, NULL, id);
        return;
    }
    free(c->pending_json);
    c->pending_json = strdup(json);
    snprintf(c->pending_name, sizeof c->pending_name, "%s", name);
    c->pending_id = id;
    field_end(&c->edit);
    picker_end(&c->pick);
    char then[200];
    snprintf(then, sizeof then, "opens %s", name);
    ask_unsaved(c, ASK_LOAD, then);
}

static int costs_notify(TuiApp *a, void *self, const TuiEvent *ev) {
    CostsState *c = self;
    switch (ev->kind) {
    case TUI_EV_PRICES_CHANGED:
        recompute(a, c);
        return TUI_NONE;
    case TUI_EV_LOAD_SCENARIO:
        if (ev->json) {
            open_or_ask(a, c, ev->json, ev->name, 0);
            return c->ask ? TUI_FOCUS : TUI_NONE;
        }
        return TUI_NONE;
    case TUI_EV_RESTORE_DRAFT: { /* unsaved again, to be saved where it was going */
        SessionDraft d;
        TpError err = {0};
        if (!ev->json || session_draft_parse(ev->json, ev->name, &d, &err) != TP_OK) {
            snprintf(a->message, sizeof a->message, "not restored: %s", err.msg);
            return TUI_NONE;
        }
        load_doc(a, c, d.json, d.name, d.path[0] ? d.path : NULL, d.saved_id);
        c->dirty = true;
        snprintf(a->message, sizeof a->message,
                 "restored the unsaved edits to %s (kept %s): s saves them", d.name, d.written_at);
        session_draft_free(&d);
        return TUI_FOCUS;
    }
    case TUI_EV_OPEN_SCENARIO: {
        TpError err = {0};
        char *doc = NULL;
        StoreScenarioInfo info;
        int r = TUI_NONE;
        if (!a->store) {
            snprintf(a->message, sizeof a->message, "database unavailable: %s", a->store_error);
        } else if (store_scenario_get(a->store, ev->id, &info, &doc, &err) == TP_OK) {
            open_or_ask(a, c, doc, info.name, info.id);
            r = TUI_FOCUS;
        } else {
            snprintf(a->message, sizeof a->message, "%s", err.msg);
        }
        free(doc);
        return r;
    }
    default:
        return TUI_NONE;
    }
}

static void costs_report(TuiApp *a, void *self) {
    CostsState *c = self;
    tui_export_cost(a, c->have ? &c->sc : NULL, c->have ? &c->proj : NULL);
}

/* --- saving ------------------------------------------------------------------------------- */

/* s: the scenario file, written atomically (a bundled example or a scenario
 * from History gets a new file in $TUNEPILOT_SCENARIO_DIR or the current
 * directory), and the database (History) with its projection. */
static bool save(TuiApp *a, CostsState *c) {
    if (!c->have) {
        snprintf(a->message, sizeof a->message, "not saved: the scenario is invalid: %s",
                 c->error);
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
        snprintf(a->message, sizeof a->message, "saved to %s (not in History: database unavailable)",
                 path);
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
static void use_measured(TuiApp *a, CostsState *c) {
    SessionEvidence ev;
    TpError err = {0};
    if (session_evidence_load(a->store, 0, &ev, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    int changed = session_evidence_apply(&ev, c->doc);
    recompute(a, c);
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

/* --- editing a field ------------------------------------------------------------------------ */

static bool picked_type(const SessionField *f) {
    switch (f->type) {
    case SESSION_FIELD_KIND:
    case SESSION_FIELD_MODEL:
    case SESSION_FIELD_FT_MODEL:
    case SESSION_FIELD_GPU:
    case SESSION_FIELD_CLOUD:
    case SESSION_FIELD_EMBEDDING:
    case SESSION_FIELD_VECTOR_STORE:
        return true;
    default:
        return false;
    }
}

static const char *const KIND_NOTES[] = {
    "a hosted model: tokens x prices",
    "a hosted model plus retrieved context, embeddings, a vector store",
    "a hosted fine-tune: training, retraining, fine-tuned prices",
    "your GPUs: replicas sized to peak load, training runs",
    "a traffic mix over other options (e.g. 90% fine-tuned, 10% fallback)",
};
static const char *const NO_GPU = "(no GPU: a monthly price per replica)";

/* The names a picker offers for a field type, from the price tables. */
static int pick_names(TuiApp *a, CostsState *c, SessionFieldType t, int opt) {
    const Pricing *p = &a->pricing;
    int n = 0;
    switch (t) {
    case SESSION_FIELD_KIND:
        for (int k = 0; k <= COST_OPTION_ROUTED; k++) {
            c->names[n] = cost_option_kind_name((CostOptionKind)k);
            c->notes[n++] = KIND_NOTES[k];
        }
        break;
    case SESSION_FIELD_MODEL:
        for (int i = 0; i < p->n_models && n < PICKER_MAX; i++) {
            const PricingModel *m = &p->models[i];
            snprintf(c->note_text[n], sizeof c->note_text[n],
                     "%-10s $%g in, $%g out per 1M tokens", m->provider ? m->provider : "",
                     m->input_per_mtok, m->output_per_mtok);
            c->names[n] = m->id;
            c->notes[n] = c->note_text[n];
            n++;
        }
        break;
    case SESSION_FIELD_FT_MODEL:
        for (int i = 0; i < p->n_finetunes && n < PICKER_MAX; i++) {
            const PricingFinetune *f = &p->finetunes[i];
            if (isnan(f->training_per_mtok))
                snprintf(c->note_text[n], sizeof c->note_text[n], "%-10s training $%g/hour",
                         f->provider ? f->provider : "", f->training_per_hour);
            else
                snprintf(c->note_text[n], sizeof c->note_text[n],
                         "%-10s training $%g per 1M tokens", f->provider ? f->provider : "",
                         f->training_per_mtok);
            c->names[n] = f->id;
            c->notes[n] = c->note_text[n];
            n++;
        }
        break;
    case SESSION_FIELD_GPU:
        for (int i = 0; i < p->n_gpus && n < PICKER_MAX; i++) {
            const PricingGpu *g = &p->gpus[i];
            double lo = NAN;
            for (int r = 0; r < g->n_rates; r++)
                if (!(g->rates[r].usd_per_hour >= lo))
                    lo = g->rates[r].usd_per_hour;
            snprintf(c->note_text[n], sizeof c->note_text[n], "%s, from $%.2f/hour",
                     g->name ? g->name : "", lo);
            c->names[n] = g->id;
            c->notes[n] = c->note_text[n];
            n++;
        }
        break;
    case SESSION_FIELD_CLOUD: {
        const cJSON *g = session_doc_get(c->doc, opt, "gpu");
        for (int i = 0; cJSON_IsString(g) && i < p->n_gpus; i++)
            if (!strcmp(p->gpus[i].id, g->valuestring))
                for (int r = 0; r < p->gpus[i].n_rates && n < PICKER_MAX; r++) {
                    snprintf(c->note_text[n], sizeof c->note_text[n], "$%.2f/hour",
                             p->gpus[i].rates[r].usd_per_hour);
                    c->names[n] = p->gpus[i].rates[r].cloud;
                    c->notes[n] = c->note_text[n];
                    n++;
                }
        break;
    }
    case SESSION_FIELD_EMBEDDING:
        for (int i = 0; i < p->n_embeddings && n < PICKER_MAX; i++) {
            c->names[n] = p->embeddings[i].id;
            c->notes[n++] = p->embeddings[i].provider;
        }
        break;
    case SESSION_FIELD_VECTOR_STORE:
        for (int i = 0; i < p->n_vector_stores && n < PICKER_MAX; i++) {
            c->names[n] = p->vector_stores[i].id;
            c->notes[n++] = p->vector_stores[i].provider;
        }
        break;
    default:
        break;
    }
    return n;
}

/* Opens the editor (or, for names from the price tables, a picker) on a
 * field; the document as it is now is what Escape comes back to. */
static void begin_edit(TuiApp *a, CostsState *c, int where, const SessionField *f) {
    cJSON_Delete(c->base);
    c->base = cJSON_Duplicate(c->doc, true);
    TpError err = {0};
    c->base_valid = check_doc(a, c, c->base, &err) == TP_OK;
    c->edit_where = where;
    c->edit_field = f;
    char cur[FIELD_TEXT_MAX];
    value_text(c, where, f, cur, sizeof cur);
    if (picked_type(f)) {
        int n = pick_names(a, c, f->type, where);
        if (n > 0) {
            char title[96];
            snprintf(title, sizeof title, "%s", f->key);
            picker_begin(&c->pick, title, c->names, c->notes, n, cur);
            c->pick_for = PICK_FIELD;
            return;
        }
    }
    field_begin(&c->edit, cur);
}

static void end_edit(CostsState *c) {
    field_end(&c->edit);
    picker_end(&c->pick);
    c->pick_for = PICK_NONE;
    cJSON_Delete(c->base);
    c->base = NULL;
}

static void wizard_next(TuiApp *a, CostsState *c);

/* The document with the typed value set (NULL: cleared), if the engine
 * takes it. On refusal returns NULL with the message in msg. In a wizard,
 * a document the engine still refuses for another field of the new option
 * is progress, and taken. */
static cJSON *with_value(TuiApp *a, CostsState *c, cJSON *value, char *msg, size_t size) {
    cJSON *cand = cJSON_Duplicate(c->base, true);
    TpError err = {0};
    if (session_doc_set(cand, c->edit_where, c->edit_field->key, value, &err) != TP_OK) {
        snprintf(msg, size, "%s", err.msg);
        cJSON_Delete(cand);
        return NULL;
    }
    if (check_doc(a, c, cand, &err) == TP_OK || !c->base_valid)
        return cand;
    int where;
    char key[64];
    if (c->wizard && session_error_field(err.msg, &where, key, sizeof key) &&
        where == c->wizard_opt && strcmp(key, c->edit_field->key) != 0)
        return cand;
    snprintf(msg, size, "%s", err.msg);
    cJSON_Delete(cand);
    return NULL;
}

/* Enter in the editor: the text through the session parser, the document
 * through the engine; a refusal keeps the editor open with the message. */
static void commit_text(TuiApp *a, CostsState *c) {
    cJSON *v = NULL;
    char msg[512];
    if (!session_value_parse(c->edit.text, c->edit_field, &v, msg, sizeof msg)) {
        field_fail(&c->edit, msg);
        set_doc(a, c, cJSON_Duplicate(c->base, true));
        return;
    }
    cJSON *doc = with_value(a, c, v, msg, sizeof msg);
    if (!doc) {
        field_fail(&c->edit, msg);
        set_doc(a, c, cJSON_Duplicate(c->base, true));
        return;
    }
    set_doc(a, c, doc);
    c->dirty = true;
    end_edit(c);
    if (c->wizard)
        wizard_next(a, c);
}

/* While typing: the projection follows the text whenever it is valid. */
static void preview(TuiApp *a, CostsState *c) {
    cJSON *v = NULL;
    char msg[512];
    cJSON *doc = NULL;
    if (c->edit.text[0] && session_value_parse(c->edit.text, c->edit_field, &v, msg, sizeof msg))
        doc = with_value(a, c, v, msg, sizeof msg);
    if (!doc && c->edit.text[0])
        snprintf(c->edit.message, sizeof c->edit.message, "%s", msg); /* said at once */
    set_doc(a, c, doc ? doc : cJSON_Duplicate(c->base, true));
}

static void cancel_edit(TuiApp *a, CostsState *c) {
    set_doc(a, c, c->base);
    c->base = NULL; /* now the document */
    end_edit(c);
    if (c->wizard) { /* Escape in a wizard drops the whole addition */
        set_doc(a, c, c->wizard_base);
        c->wizard_base = NULL;
        c->wizard = false;
        c->hint[0] = '\0';
        if (c->opt_sel >= session_doc_n_options(c->doc))
            c->opt_sel = session_doc_n_options(c->doc) - 1;
        if (c->opt_sel < 0)
            c->opt_sel = 0;
        snprintf(a->message, sizeof a->message, "cancelled: the scenario is as it was");
    }
}

/* A picked name for a field (kind: the option changes kind and the wizard
 * asks for what the new kind needs). */
static void commit_pick(TuiApp *a, CostsState *c, const char *choice) {
    const SessionField *f = c->edit_field;
    if (f->type == SESSION_FIELD_KIND) {
        int k = -1;
        for (int i = 0; i <= COST_OPTION_ROUTED; i++)
            if (!strcmp(choice, cost_option_kind_name((CostOptionKind)i)))
                k = i;
        int opt = c->edit_where;
        cJSON *before = c->base;
        c->base = NULL;
        end_edit(c);
        if (k < 0 || k == session_option_kind(c->doc, opt)) {
            cJSON_Delete(before);
            return;
        }
        int dropped = 0;
        TpError err = {0};
        session_option_set_kind(c->doc, opt, (CostOptionKind)k, &dropped, &err);
        set_doc(a, c, c->doc);
        c->dirty = true;
        c->wizard = true;
        c->wizard_opt = opt;
        cJSON_Delete(c->wizard_base);
        c->wizard_base = before;
        snprintf(c->wizard_what, sizeof c->wizard_what, "now %s (%d field(s) it does not take "
                 "dropped)", choice, dropped);
        c->wizard_undo = "restores the old kind";
        wizard_next(a, c);
        return;
    }
    char msg[512];
    cJSON *v = choice == NO_GPU ? NULL : cJSON_CreateString(choice);
    cJSON *doc = with_value(a, c, v, msg, sizeof msg);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "%s", msg); /* the picker stays open */
        return;
    }
    set_doc(a, c, doc);
    c->dirty = true;
    end_edit(c);
    if (c->wizard)
        wizard_next(a, c);
}

/* After an addition or a change of kind: the engine names the first field
 * the option still lacks, and the editor opens on it with its words; when
 * nothing is lacking, the option is projected and the wizard ends. */
static void wizard_next(TuiApp *a, CostsState *c) {
    TpError err = {0};
    const char *id = session_option_id(c->doc, c->wizard_opt);
    if (check_doc(a, c, c->doc, &err) == TP_OK) {
        snprintf(a->message, sizeof a->message, "option %s %s: projected", id ? id : "?",
                 c->wizard_what);
        c->wizard = false;
        c->hint[0] = '\0';
        cJSON_Delete(c->wizard_base);
        c->wizard_base = NULL;
        return;
    }
    int where;
    char key[64];
    const SessionField *f = NULL;
    if (session_error_field(err.msg, &where, key, sizeof key) && where == c->wizard_opt) {
        const SessionField *fs[MAX_OPT_FIELDS];
        int n = option_fields(c, where, fs);
        for (int i = 0; i < n; i++)
            if (!strcmp(fs[i]->key, key)) {
                f = fs[i];
                c->ofield_sel = i;
            }
    }
    if (!f) { /* not this option's to fix: say so and stop asking */
        snprintf(a->message, sizeof a->message, "option %s %s, but the scenario is invalid: %s",
                 id ? id : "?", c->wizard_what, err.msg);
        c->wizard = false;
        c->hint[0] = '\0';
        cJSON_Delete(c->wizard_base);
        c->wizard_base = NULL;
        return;
    }
    snprintf(c->hint, sizeof c->hint, "%s", err.msg);
    c->focus = FOCUS_OPTION;
    c->opt_sel = c->wizard_opt;
    begin_edit(a, c, c->wizard_opt, f);
    c->base_valid = true; /* only this option's progress is taken (with_value) */
}

/* a: after the kind and the name, the option is added and the wizard asks
 * for what the engine says it lacks. */
static void add_option(TuiApp *a, CostsState *c, CostOptionKind kind, const char *name) {
    cJSON *before = cJSON_Duplicate(c->doc, true);
    int i = 0;
    TpError err = {0};
    if (session_option_add(c->doc, kind, name == NO_GPU ? NULL : name, &i, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        cJSON_Delete(before);
        return;
    }
    c->dirty = true;
    c->opt_sel = i;
    c->focus = FOCUS_TABLE;
    set_doc(a, c, c->doc);
    c->wizard = true;
    c->wizard_opt = i;
    cJSON_Delete(c->wizard_base);
    c->wizard_base = before;
    snprintf(c->wizard_what, sizeof c->wizard_what, "added");
    c->wizard_undo = "drops the new option";
    wizard_next(a, c);
}

static void begin_add(TuiApp *a, CostsState *c) {
    int n = pick_names(a, c, SESSION_FIELD_KIND, 0);
    picker_begin(&c->pick, "kind of the new option", c->names, c->notes, n, NULL);
    c->pick_for = PICK_ADD_KIND;
}

static void add_pick_kind(TuiApp *a, CostsState *c, const char *choice) {
    int k = 0;
    for (int i = 0; i <= COST_OPTION_ROUTED; i++)
        if (!strcmp(choice, cost_option_kind_name((CostOptionKind)i)))
            k = i;
    c->add_kind = (CostOptionKind)k;
    picker_end(&c->pick);
    c->pick_for = PICK_NONE;
    SessionFieldType t = k == COST_OPTION_API_FINETUNED ? SESSION_FIELD_FT_MODEL
                         : k == COST_OPTION_SELF_HOSTED ? SESSION_FIELD_GPU
                         : k == COST_OPTION_ROUTED      ? SESSION_FIELD_OBJECT
                                                        : SESSION_FIELD_MODEL;
    int n = t == SESSION_FIELD_OBJECT ? 0 : pick_names(a, c, t, 0);
    if (k == COST_OPTION_SELF_HOSTED && n < PICKER_MAX) { /* without a GPU: the rule's price */
        memmove(c->names + 1, c->names, sizeof c->names[0] * (size_t)n);
        memmove(c->notes + 1, c->notes, sizeof c->notes[0] * (size_t)n);
        c->names[0] = NO_GPU;
        c->notes[0] = NULL;
        n++;
    }
    if (n == 0) {
        add_option(a, c, c->add_kind, NULL);
        return;
    }
    char title[96];
    snprintf(title, sizeof title, "%s of the new %s option",
             k == COST_OPTION_SELF_HOSTED ? "GPU" : "model", choice);
    picker_begin(&c->pick, title, c->names, c->notes, n, NULL);
    c->pick_for = PICK_ADD_NAME;
}

/* x on a field: back to its default (when the engine takes that). */
static void clear_field(TuiApp *a, CostsState *c, int where, const SessionField *f) {
    if (!session_doc_get(c->doc, where, f->key))
        return;
    begin_edit(a, c, where, f);
    char msg[512];
    cJSON *doc = with_value(a, c, NULL, msg, sizeof msg);
    end_edit(c);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "not cleared: %s", msg);
        return;
    }
    set_doc(a, c, doc);
    c->dirty = true;
    snprintf(a->message, sizeof a->message, "%s: back to its default", f->key);
}

static void remove_option(TuiApp *a, CostsState *c) {
    cJSON *cand = cJSON_Duplicate(c->doc, true);
    TpError err = {0};
    const char *id = session_option_id(c->doc, c->opt_sel);
    char idc[128];
    snprintf(idc, sizeof idc, "%s", id ? id : "?");
    if (session_option_remove(cand, c->opt_sel, &err) != TP_OK ||
        (c->have && check_doc(a, c, cand, &err) != TP_OK)) {
        snprintf(a->message, sizeof a->message, "%s not removed: %s", idc, err.msg);
        cJSON_Delete(cand);
        return;
    }
    set_doc(a, c, cand);
    c->dirty = true;
    int n = session_doc_n_options(c->doc);
    if (c->opt_sel >= n)
        c->opt_sel = n > 0 ? n - 1 : 0;
    snprintf(a->message, sizeof a->message, "option %s removed", idc);
}

static void duplicate_option(TuiApp *a, CostsState *c) {
    int i = 0;
    TpError err = {0};
    if (session_option_duplicate(c->doc, c->opt_sel, &i, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    c->opt_sel = i;
    c->dirty = true;
    set_doc(a, c, c->doc);
    snprintf(a->message, sizeof a->message, "option %s added as a copy: Enter edits its fields",
             session_option_id(c->doc, i));
}

/* --- keys ------------------------------------------------------------------------------- */

/* An ncurses key as the editor's (field.h). */
static int field_code(int ch) {
    switch (ch) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        return FIELD_KEY_ENTER;
    case 27:
        return FIELD_KEY_ESCAPE;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        return FIELD_KEY_BACKSPACE;
    case KEY_DC:
        return FIELD_KEY_DELETE;
    case KEY_LEFT:
        return FIELD_KEY_LEFT;
    case KEY_RIGHT:
        return FIELD_KEY_RIGHT;
    case KEY_HOME:
        return FIELD_KEY_HOME;
    case KEY_END:
        return FIELD_KEY_END;
    case KEY_UP:
        return FIELD_KEY_UP;
    case KEY_DOWN:
        return FIELD_KEY_DOWN;
    case 21:
        return FIELD_KEY_CLEAR;
    }
    return ch >= 0x20 && ch <= 0xff && ch != 0x7f ? ch : FIELD_KEY_OTHER;
}

/* The answer to a question (unsaved edits, removal). */
static int answer(TuiApp *a, CostsState *c, int ch) {
    Ask what = c->ask;
    bool yes = ch == 'y' || ch == 'Y';
    bool save_first = ch == 's' || ch == 'S';
    bool discard = ch == 'd' || ch == 'D';
    if (ch == 27 || ch == 'n' || ch == 'N') {
        c->ask = ASK_NONE;
        free(c->pending_json);
        c->pending_json = NULL;
        snprintf(a->message, sizeof a->message, "kept editing %s", c->name);
        return TUI_REDRAW;
    }
    if (what == ASK_REMOVE) {
        if (yes) {
            c->ask = ASK_NONE;
            remove_option(a, c);
        }
        return TUI_REDRAW;
    }
    if (!save_first && !discard)
        return TUI_REDRAW; /* the question stays */
    c->ask = ASK_NONE;
    if (save_first && !save(a, c))
        return TUI_REDRAW; /* not saved: the message says why; nothing is dropped */
    switch (what) {
    case ASK_EXAMPLE:
        load_example(a, c, c->example_index + 1);
        break;
    case ASK_LOAD:
        if (c->pending_json)
            load_doc(a, c, c->pending_json, c->pending_name, NULL, c->pending_id);
        free(c->pending_json);
        c->pending_json = NULL;
        break;
    case ASK_QUIT:
        return TUI_QUIT;
    default:
        break;
    }
    return TUI_REDRAW;
}

static int picker_answer(TuiApp *a, CostsState *c, int ch) {
    FieldResult r = picker_key(&c->pick, field_code(ch));
    if (r == FIELD_CANCEL) {
        if (c->pick_for == PICK_FIELD)
            cancel_edit(a, c);
        else
            picker_end(&c->pick);
        c->pick_for = PICK_NONE;
    } else if (r == FIELD_COMMIT) {
        const char *choice = picker_choice(&c->pick);
        switch (c->pick_for) {
        case PICK_ADD_KIND:
            add_pick_kind(a, c, choice);
            break;
        case PICK_ADD_NAME:
            picker_end(&c->pick);
            c->pick_for = PICK_NONE;
            add_option(a, c, c->add_kind, choice);
            break;
        default:
            commit_pick(a, c, choice);
        }
    }
    return TUI_REDRAW;
}

static int step_sel(int sel, int n, int d) {
    if (n <= 0)
        return 0;
    sel += d;
    return sel < 0 ? 0 : sel >= n ? n - 1 : sel;
}

static int costs_key(TuiApp *a, void *self, int ch) {
    CostsState *c = self;
    if (c->ask)
        return answer(a, c, ch);
    if (c->pick.active)
        return picker_answer(a, c, ch);
    if (c->edit.active) { /* every key is the editor's: none runs a command */
        switch (field_key(&c->edit, field_code(ch))) {
        case FIELD_COMMIT:
            commit_text(a, c);
            break;
        case FIELD_CANCEL:
            cancel_edit(a, c);
            break;
        default:
            preview(a, c);
        }
        return TUI_REDRAW;
    }
    FormRow rows[MAX_FORM];
    int n_rows = form_rows(rows, MAX_FORM);
    int n_opts = session_doc_n_options(c->doc);
    const SessionField *of[MAX_OPT_FIELDS];
    int n_of = c->focus == FOCUS_OPTION ? option_fields(c, c->opt_sel, of) : 0;
    int d = 0;
    switch (ch) {
    case KEY_UP:
    case 'k':
        d = -1;
        break;
    case KEY_DOWN:
    case 'j':
        d = 1;
        break;
    case KEY_PPAGE:
        d = -8;
        break;
    case KEY_NPAGE:
        d = 8;
        break;
    }
    if (d) {
        if (c->focus == FOCUS_FORM)
            c->form_sel = step_sel(c->form_sel, n_rows, d);
        else if (c->focus == FOCUS_TABLE)
            c->opt_sel = step_sel(c->opt_sel, n_opts, d);
        else
            c->ofield_sel = step_sel(c->ofield_sel, n_of, d);
        return TUI_REDRAW;
    }
    switch (ch) {
    case KEY_LEFT:
    case 'h':
        c->focus = c->focus == FOCUS_OPTION ? FOCUS_TABLE : FOCUS_FORM;
        return TUI_REDRAW;
    case KEY_RIGHT:
    case 'l':
        if (c->focus == FOCUS_FORM)
            c->focus = FOCUS_TABLE;
        return TUI_REDRAW;
    case 27:
        if (c->focus == FOCUS_OPTION) {
            c->focus = FOCUS_TABLE;
            return TUI_REDRAW;
        }
        return TUI_NONE;
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (c->focus == FOCUS_FORM && c->form_sel < n_rows) {
            begin_edit(a, c, rows[c->form_sel].where, rows[c->form_sel].f);
        } else if (c->focus == FOCUS_TABLE && c->opt_sel < n_opts) {
            c->focus = FOCUS_OPTION;
            c->ofield_sel = c->ofield_top = 0;
        } else if (c->focus == FOCUS_OPTION && c->ofield_sel < n_of) {
            begin_edit(a, c, c->opt_sel, of[c->ofield_sel]);
        }
        return TUI_REDRAW;
    case 'a':
        begin_add(a, c);
        return TUI_REDRAW;
    case 'd':
        if (c->focus != FOCUS_FORM && c->opt_sel < n_opts)
            duplicate_option(a, c);
        return TUI_REDRAW;
    case 'x':
    case KEY_DC:
        if (c->focus == FOCUS_FORM && c->form_sel < n_rows) {
            clear_field(a, c, rows[c->form_sel].where, rows[c->form_sel].f);
        } else if (c->focus == FOCUS_OPTION && c->ofield_sel < n_of) {
            clear_field(a, c, c->opt_sel, of[c->ofield_sel]);
        } else if (c->focus == FOCUS_TABLE && c->opt_sel < n_opts) {
            c->ask = ASK_REMOVE;
            snprintf(c->ask_text, sizeof c->ask_text, "remove option %s? y removes it, n keeps it",
                     session_option_id(c->doc, c->opt_sel));
        }
        return TUI_REDRAW;
    case 'e':
        if (c->dirty)
            ask_unsaved(c, ASK_EXAMPLE, "opens the next example");
        else
            load_example(a, c, c->example_index + 1);
        return TUI_REDRAW;
    case 's':
        save(a, c);
        return TUI_REDRAW;
    case 'm':
        use_measured(a, c);
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* q with unsaved edits: the question instead of quitting. */
static bool costs_hold_quit(TuiApp *a, void *self) {
    CostsState *c = self;
    if (!c || !c->dirty)
        return false;
    if (c->base) /* an open editor's preview is not an edit */
        set_doc(a, c, c->base), c->base = NULL;
    end_edit(c);
    ask_unsaved(c, ASK_QUIT, "quits");
    return true;
}

/* SIGTERM or SIGHUP: the scenario with its committed edits (an open
 * editor's preview is not an edit), kept by the app as a recovery draft. */
static bool costs_unsaved(TuiApp *a, void *self, TuiUnsaved *out) {
    (void)a;
    CostsState *c = self;
    if (!c || !c->dirty)
        return false;
    *out = (TuiUnsaved){c->base ? c->base : c->doc, c->name, c->path[0] ? c->path : NULL,
                        c->saved_id};
    return true;
}

static bool costs_typing(const TuiApp *a, const void *self) {
    (void)a;
    const CostsState *c = self;
    return c && (c->edit.active || c->pick.active || c->ask != ASK_NONE);
}

/* --- drawing ------------------------------------------------------------------------------ */

/* Text over up to `rows` rows of width w, cut at spaces where it can. */
static void draw_wrapped(TuiApp *a, int y, int x, int w, int rows, TuiRole role, const char *s) {
    for (int r = 0; r < rows && s && *s && w > 0; r++) {
        int len = (int)strlen(s);
        int take = len;
        if (len > w && r + 1 < rows) {
            take = w;
            while (take > w / 2 && s[take] != ' ')
                take--;
            if (s[take] != ' ')
                take = w;
        }
        char line[1024];
        snprintf(line, sizeof line, "%.*s", take, s);
        tui_text(a, y + r, x, w, role, false, line);
        s += take;
        while (*s == ' ')
            s++;
    }
}

static void draw_form(TuiApp *a, CostsState *c, Rect r) {
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, "Workload and scenario");
    char name[200];
    const char *shown = c->path[0] ? c->path : c->name, *slash = strrchr(shown, '/');
    snprintf(name, sizeof name, "%s%s", slash ? slash + 1 : shown, c->dirty ? " [unsaved]" : "");
    tui_text(a, r.y + 1, r.x, r.w, c->dirty ? ROLE_BAD : ROLE_DIM, false, name);
    FormRow rows[MAX_FORM];
    int n = form_rows(rows, MAX_FORM), vis = r.h - 2;
    if (c->form_sel < c->form_top)
        c->form_top = c->form_sel;
    if (c->form_sel >= c->form_top + vis)
        c->form_top = c->form_sel - vis + 1;
    for (int k = 0; k < vis && c->form_top + k < n; k++) {
        int i = c->form_top + k;
        char val[FIELD_TEXT_MAX + 2];
        bool here = c->focus == FOCUS_FORM && i == c->form_sel;
        if (here && c->edit.active)
            field_display(&c->edit, val, sizeof val);
        else
            value_text(c, rows[i].where, rows[i].f, val, sizeof val);
        char line[600];
        snprintf(line, sizeof line, "%-18s %11s", rows[i].f->key, val[0] ? val : "-");
        tui_text(a, r.y + 2 + k, r.x, r.w, here ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
}

/* The options table; a compact column set when the rect is narrow. */
static void draw_table(TuiApp *a, const CostsState *c, Rect r) {
    /* the id column as wide as the longest id (6..24) */
    int idw = 6;
    for (int i = 0, n = session_doc_n_options(c->doc); i < n; i++) {
        const char *id = session_option_id(c->doc, i);
        int l = id ? (int)strlen(id) : 0;
        if (l > idw)
            idw = l < 24 ? l : 24;
    }
    bool wide = r.w >= 72 + idw;
    char hdr[256];
    if (wide)
        snprintf(hdr, sizeof hdr, "%-*s %-13s %10s %10s %13s %7s %4s %4s %s", idw, "option",
                 "kind", "$/request", "$/day", "total", "p95 ms", "SLO", "rep", "feasible");
    else
        snprintf(hdr, sizeof hdr, "%-*s %10s %12s %7s %4s %s", idw, "option", "$/request",
                 "total", "p95 ms", "SLO", "feas.");
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, hdr);
    bool sel_on = c->focus != FOCUS_FORM;
    if (!c->have) {
        /* the options as the document holds them, so that they can still be fixed */
        int n = session_doc_n_options(c->doc), row = 1;
        for (int i = 0; i < n && row < r.h - 2; i++, row++) {
            const char *id = session_option_id(c->doc, i);
            int k = session_option_kind(c->doc, i);
            tui_textf(a, r.y + row, r.x, r.w,
                      sel_on && i == c->opt_sel ? ROLE_SELECTED : ROLE_NORMAL, "%-*.*s %s", idw,
                      idw, id ? id : "?", k >= 0 ? cost_option_kind_name((CostOptionKind)k) : "?");
        }
        if (!c->wizard) /* while the wizard asks, its editor line carries the message */
            draw_wrapped(a, r.y + row, r.x, r.w, r.h - row, ROLE_BAD, c->error);
        return;
    }
    /* the cheapest feasible option: an infeasible one is never called cheapest */
    int best = cost_cheapest(&c->proj, true);
    for (int i = 0; i < c->proj.n_options && 1 + i < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        char cpr[32], day[32], tot[32], line[256];
        report_usd(o->cost_per_request_usd, cpr, sizeof cpr);
        report_usd(o->daily_cost_usd, day, sizeof day);
        report_usd(o->horizon_total_usd, tot, sizeof tot);
        char rep[8] = "-";
        if (o->replicas_at_peak > 0)
            snprintf(rep, sizeof rep, "%d", o->replicas_at_peak);
        const char *slo = !c->sc.has_slo ? "-" : o->slo_met ? "yes" : "NO";
        char feas[64] = "yes";
        if (!o->feasible) {
            snprintf(feas, sizeof feas, "NO:");
            for (int k = 0; k < COST_N_CHECKS; k++)
                if (o->checks[k].status == COST_FAIL) {
                    size_t n = strlen(feas);
                    snprintf(feas + n, sizeof feas - n, "%s%s", n > 3 ? "," : "",
                             cost_check_name((CostCheckId)k));
                }
        }
        if (wide)
            snprintf(line, sizeof line, "%-*.*s %-13s %10s %10s %13s %7.0f %4s %4s %s%s", idw,
                     idw, c->sc.options[i].id, cost_option_kind_name(c->sc.options[i].kind), cpr,
                     day, tot, o->latency_p95_ms, slo, rep, feas, i == best ? " cheapest" : "");
        else
            snprintf(line, sizeof line, "%-*.*s %10s %12s %7.0f %4s %s", idw, idw,
                     c->sc.options[i].id, cpr, tot, o->latency_p95_ms, slo, feas);
        TuiRole role = sel_on && i == c->opt_sel ? ROLE_SELECTED
                       : i == best               ? ROLE_GOOD
                       : !o->feasible            ? ROLE_BAD
                                                 : ROLE_NORMAL;
        tui_text(a, r.y + 1 + i, r.x, r.w, role, sel_on && i == c->opt_sel, line);
    }
    int row = 1 + c->proj.n_options;
    if (row < r.h) {
        if (best >= 0) {
            char tot[32];
            report_usd(c->proj.options[best].horizon_total_usd, tot, sizeof tot);
            tui_textf(a, r.y + row++, r.x, r.w, ROLE_GOOD,
                      "cheapest feasible over %d months: %s (%s)", c->proj.horizon_months,
                      c->sc.options[best].id, tot);
        } else {
            tui_text(a, r.y + row++, r.x, r.w, ROLE_BAD, false,
                     "no option is feasible: none is called cheapest");
        }
    }
    /* why the infeasible ones fail, and lifecycle warnings */
    for (int i = 0; i < c->proj.n_options && row < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        for (int k = 0; k < COST_N_CHECKS && row < r.h; k++)
            if (o->checks[k].status == COST_FAIL)
                tui_textf(a, r.y + row++, r.x, r.w, ROLE_BAD, "%s: %s", c->sc.options[i].id,
                          o->checks[k].reason);
        for (int w = 0; w < o->n_warnings && row < r.h; w++)
            tui_textf(a, r.y + row++, r.x, r.w, ROLE_DIM, "%s: %s", c->sc.options[i].id,
                      o->warnings[w]);
    }
    if (c->proj.uncertain && row < r.h)
        tui_textf(a, r.y + row, r.x, r.w, ROLE_DIM,
                  "ranges: %d Monte Carlo draws (tunepilot cost --format json for P10/P50/P90)",
                  c->proj.draws);
}

/* The two lines under the form and the table: a question, the editor with
 * the unit and its message, or what the selected field is. */
static void draw_info(TuiApp *a, CostsState *c, Rect r) {
    if (c->ask) {
        tui_text(a, r.y, r.x, r.w, ROLE_SELECTED, true, "");
        draw_wrapped(a, r.y, r.x, r.w, r.h, ROLE_SELECTED, c->ask_text);
        return;
    }
    if (c->edit.active) {
        const SessionField *f = c->edit_field;
        char cur[FIELD_TEXT_MAX + 2], line[900];
        field_display(&c->edit, cur, sizeof cur);
        const char *where = c->edit_where >= 0 ? session_option_id(c->doc, c->edit_where) : NULL;
        char esc[160];
        if (c->wizard)
            snprintf(esc, sizeof esc, "%s", c->wizard_undo);
        else
            snprintf(esc, sizeof esc, "restores %s", c->edit.old[0] ? c->edit.old : "the default");
        snprintf(line, sizeof line, "%s%s%s%s%s%s = %s   Enter applies, Esc %s",
                 where ? where : "", where ? "." : "", f->key, f->unit[0] ? " (" : "", f->unit,
                 f->unit[0] ? ")" : "", cur, esc);
        tui_text(a, r.y, r.x, r.w, ROLE_SELECTED, true, line);
        if (c->edit.message[0])
            draw_wrapped(a, r.y + 1, r.x, r.w, r.h - 1, ROLE_BAD, c->edit.message);
        else if (c->hint[0])
            draw_wrapped(a, r.y + 1, r.x, r.w, r.h - 1, ROLE_DIM, c->hint);
        else if (f->type == SESSION_FIELD_NUMBER)
            tui_textf(a, r.y + 1, r.x, r.w, ROLE_DIM, "a number: 1500, 1.5k, 2M, 2e3%s",
                      f->range ? ", or a range [low, high]" : "");
        else if (f->type == SESSION_FIELD_ROUTES)
            tui_text(a, r.y + 1, r.x, r.w, ROLE_DIM, false,
                     "option ids and shares adding up to 1: tuned 0.9, fallback 10%");
        return;
    }
    if (c->pick.active) {
        tui_textf(a, r.y, r.x, r.w, ROLE_SELECTED, "pick %s: type to narrow (%s_), Up/Down, "
                  "Enter chooses, Esc cancels", c->pick.title, c->pick.filter);
        if (c->hint[0])
            draw_wrapped(a, r.y + 1, r.x, r.w, r.h - 1, ROLE_DIM, c->hint);
        return;
    }
    /* the selected field: its value and unit */
    const SessionField *f = NULL;
    int where = SESSION_AT_TOP;
    if (c->focus == FOCUS_FORM) {
        FormRow rows[MAX_FORM];
        int n = form_rows(rows, MAX_FORM);
        if (c->form_sel < n)
            f = rows[c->form_sel].f, where = rows[c->form_sel].where;
    } else if (c->focus == FOCUS_OPTION) {
        const SessionField *of[MAX_OPT_FIELDS];
        int n = option_fields(c, c->opt_sel, of);
        if (c->ofield_sel < n)
            f = of[c->ofield_sel], where = c->opt_sel;
    }
    if (f) {
        char val[FIELD_TEXT_MAX];
        value_text(c, where, f, val, sizeof val);
        tui_textf(a, r.y, r.x, r.w, ROLE_DIM, "%s = %s %s   Enter edits, x back to the default",
                  f->key, val[0] ? val : "(default)", val[0] ? f->unit : "");
    } else if (c->focus == FOCUS_TABLE) {
        tui_text(a, r.y, r.x, r.w, ROLE_DIM, false,
                 "Enter: the option's fields  a add  d duplicate  x remove  Left: the workload");
    }
}

/* The selected option's fields: every field its kind takes, set or not. */
static void draw_option(TuiApp *a, CostsState *c, Rect r) {
    const char *id = session_option_id(c->doc, c->opt_sel);
    int kind = session_option_kind(c->doc, c->opt_sel);
    tui_textf(a, r.y, r.x, r.w, ROLE_HEADER, "option %s (%s): Enter edits, x clears, Esc back",
              id ? id : "?", kind >= 0 ? cost_option_kind_name((CostOptionKind)kind) : "?");
    const SessionField *of[MAX_OPT_FIELDS];
    int n = option_fields(c, c->opt_sel, of), vis = r.h - 1;
    if (c->ofield_sel >= n)
        c->ofield_sel = n ? n - 1 : 0;
    if (c->ofield_sel < c->ofield_top)
        c->ofield_top = c->ofield_sel;
    if (c->ofield_sel >= c->ofield_top + vis)
        c->ofield_top = c->ofield_sel - vis + 1;
    for (int k = 0; k < vis && c->ofield_top + k < n; k++) {
        int i = c->ofield_top + k;
        bool here = i == c->ofield_sel;
        char val[FIELD_TEXT_MAX + 2];
        if (here && c->edit.active)
            field_display(&c->edit, val, sizeof val);
        else
            value_text(c, c->opt_sel, of[i], val, sizeof val);
        char line[700];
        snprintf(line, sizeof line, "%-28s %-24s %s", of[i]->key, val[0] ? val : "-",
                 of[i]->unit);
        tui_text(a, r.y + 1 + k, r.x, r.w, here ? ROLE_SELECTED : val[0] ? ROLE_NORMAL : ROLE_DIM,
                 here, line);
    }
}

static void draw_picker(TuiApp *a, CostsState *c, Rect r) {
    Picker *p = &c->pick;
    tui_textf(a, r.y, r.x, r.w, ROLE_HEADER, "%s (%d of %d)", p->title, p->n_shown, p->n_items);
    int vis = r.h - 1;
    picker_scroll(p, vis);
    if (p->n_shown == 0)
        tui_text(a, r.y + 1, r.x, r.w, ROLE_BAD, false, "nothing matches: Backspace widens");
    for (int k = 0; k < vis && p->top + k < p->n_shown; k++) {
        int i = p->shown[p->top + k];
        char line[400];
        snprintf(line, sizeof line, "%-36s %s", p->items[i], p->notes[i] ? p->notes[i] : "");
        bool here = p->top + k == p->sel;
        tui_text(a, r.y + 1 + k, r.x, r.w, here ? ROLE_SELECTED : ROLE_NORMAL, here, line);
    }
}

/* Cumulative cost by month, one series per option, with the months where
 * the cheapest option breaks even against the others marked. */
static void draw_chart(TuiApp *a, const CostsState *c, Rect r) {
    if (!c->have || r.h < 4)
        return;
    int n = c->proj.n_options, h = c->proj.horizon_months;
    tui_text(
        a, r.y, r.x, r.w, ROLE_HEADER, false,
        a->ascii
            ? "cumulative cost by month (: marks the cheapest feasible option's break-even months)"
            : "cumulative cost by month (\u250a marks the cheapest feasible option's break-even "
              "months)");
    /* the same series the HTML report draws (tunepilot/series.h) */
    SeriesCost sc;
    series_cost_build(&c->proj, &sc);
    ChartSeries *s = calloc((size_t)n, sizeof *s);
    for (int i = 0; i < n; i++)
        s[i] = (ChartSeries){sc.x, sc.cum[i], h + 1, i, c->sc.options[i].id};
    double vl[64];
    int nv = 0;
    for (int j = 0; j < sc.n_marks && nv < 64; j++)
        if (sc.marks[j].a == sc.best)
            vl[nv++] = sc.marks[j].x;
    ChartOptions opt = {
        .ascii = a->ascii, .hline = NAN, .vlines = vl, .n_vlines = nv, .markers = a->mono};
    ChartGrid g;
    Rect plot = {r.y + 1, r.x, r.h - 2, r.w};
    if (chart_render(s, n, plot.h, plot.w, &opt, &g) == 0 || g.cells) {
        tui_blit_chart(a, &g, plot);
        chart_grid_free(&g);
    }
    /* legend: colours, or the markers the chart draws without them */
    const char *names[64];
    int styles[64];
    for (int i = 0; i < n && i < 64; i++) {
        names[i] = c->sc.options[i].id;
        styles[i] = i;
    }
    tui_legend(a, r.y + r.h - 1, r.x, r.w, names, styles, n < 64 ? n : 64);
    series_cost_free(&sc);
    free(s);
}

/* Side panel: p95 latency against the SLO as bars. */
static void draw_latency(TuiApp *a, const CostsState *c, Rect r) {
    tui_text(a, r.y, r.x, r.w, ROLE_HEADER, false, "p95 latency vs SLO");
    if (!c->have)
        return;
    double slo = c->sc.has_slo ? c->sc.latency_slo_ms.v : NAN, top = slo;
    for (int i = 0; i < c->proj.n_options; i++)
        if (!(c->proj.options[i].latency_p95_ms <= top))
            top = c->proj.options[i].latency_p95_ms;
    for (int i = 0; i < c->proj.n_options && 2 + 2 * i < r.h; i++) {
        const CostOptionResult *o = &c->proj.options[i];
        char bar[256];
        chart_bar(top > 0 ? o->latency_p95_ms / top : 0, r.w - 2, a->ascii, bar, sizeof bar);
        tui_textf(a, r.y + 1 + 2 * i, r.x, r.w, ROLE_NORMAL, "%s  %.0f ms", c->sc.options[i].id,
                  o->latency_p95_ms);
        tui_text(a, r.y + 2 + 2 * i, r.x, r.w, o->slo_met ? ROLE_GOOD : ROLE_BAD, false, bar);
    }
    if (!isnan(slo))
        tui_textf(a, r.y + r.h - 1, r.x, r.w, ROLE_DIM, "SLO %.0f ms = %.0f%% of the scale", slo,
                  100 * slo / top);
}

static void costs_draw(TuiApp *a, void *self) {
    CostsState *c = self;
    Rect b = a->lay.body;
    Rect form = {b.y, b.x, TOP_H, 30 < b.w ? 30 : b.w};
    Rect table = {b.y, b.x + 31, TOP_H, b.w - 31};
    draw_form(a, c, form);
    draw_table(a, c, table);
    Rect info = {b.y + TOP_H, b.x, INFO_H, b.w};
    draw_info(a, c, info);
    Rect low = {b.y + TOP_H + INFO_H, b.x, b.h - TOP_H - INFO_H, b.w};
    if (c->pick.active)
        draw_picker(a, c, low);
    else if (c->focus == FOCUS_OPTION)
        draw_option(a, c, low);
    else
        draw_chart(a, c, low);
    if (a->lay.has_side)
        draw_latency(a, c, a->lay.side);
}

const TuiScreenClass tui_costs_screen = {
    .name = "Costs",
    .keys = KEYS,
    .footer = "Enter edit  a add  d copy  x remove  s save  e example  m pilot",
    .open = costs_open,
    .close = costs_close,
    .draw = costs_draw,
    .key = costs_key,
    .notify = costs_notify,
    .typing = costs_typing,
    .hold_quit = costs_hold_quit,
    .unsaved = costs_unsaved,
    .report = costs_report,
};
