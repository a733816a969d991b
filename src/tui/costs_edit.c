/* costs_edit.c - editing on the Costs screen: one field editor for every
 * value (field.h) and pickers for names from the price tables; adding an
 * option (its kind, a model or GPU, then the fields the engine says it
 * still lacks), re-kinding, duplicating, removing and clearing; every
 * change goes through the session layer's parser and the cost engine, so
 * the messages are the CLI's. Also the lines that show the editor, a
 * picker and an option's fields. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <math.h>
#include <ncurses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui/costs_int.h"
#include "tui/wrap.h"
#include "tunepilot/session.h"

/* --- editing a field ---------------------------------------------------------------------- */

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

/* Puts name n on the picker's list with its note (a printf format; NULL:
 * none); returns n + 1. */
__attribute__((format(printf, 4, 5))) static int offer(CostsState *c, int n, const char *name,
                                                       const char *fmt, ...) {
    c->names[n] = name;
    c->notes[n] = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->note_text[n], sizeof c->note_text[n], fmt, ap);
        va_end(ap);
        c->notes[n] = c->note_text[n];
    }
    return n + 1;
}

/* The names a picker offers for a field type, from the price tables. */
static int pick_names(TuiApp *a, CostsState *c, SessionFieldType t, int opt) {
    const Pricing *p = &a->pricing;
    int n = 0;
    switch (t) {
    case SESSION_FIELD_KIND:
        for (int k = 0; k <= COST_OPTION_ROUTED; k++)
            n = offer(c, n, cost_option_kind_name((CostOptionKind)k), "%s", KIND_NOTES[k]);
        break;
    case SESSION_FIELD_MODEL:
        for (int i = 0; i < p->n_models && n < PICKER_MAX; i++) {
            const PricingModel *m = &p->models[i];
            n = offer(c, n, m->id, "%-10s $%g in, $%g out per 1M tokens",
                      m->provider ? m->provider : "", m->input_per_mtok, m->output_per_mtok);
        }
        break;
    case SESSION_FIELD_FT_MODEL:
        for (int i = 0; i < p->n_finetunes && n < PICKER_MAX; i++) {
            const PricingFinetune *f = &p->finetunes[i];
            const char *prov = f->provider ? f->provider : "";
            if (isnan(f->training_per_mtok))
                n = offer(c, n, f->id, "%-10s training $%g/hour", prov, f->training_per_hour);
            else
                n = offer(c, n, f->id, "%-10s training $%g per 1M tokens", prov,
                          f->training_per_mtok);
        }
        break;
    case SESSION_FIELD_GPU:
        for (int i = 0; i < p->n_gpus && n < PICKER_MAX; i++) {
            const PricingGpu *g = &p->gpus[i];
            double lo = NAN;
            for (int r = 0; r < g->n_rates; r++)
                if (!(g->rates[r].usd_per_hour >= lo))
                    lo = g->rates[r].usd_per_hour;
            n = offer(c, n, g->id, "%s, from $%.2f/hour", g->name ? g->name : "", lo);
        }
        break;
    case SESSION_FIELD_CLOUD: {
        const cJSON *g = session_doc_get(c->doc, opt, "gpu");
        for (int i = 0; cJSON_IsString(g) && i < p->n_gpus; i++)
            if (!strcmp(p->gpus[i].id, g->valuestring))
                for (int r = 0; r < p->gpus[i].n_rates && n < PICKER_MAX; r++)
                    n = offer(c, n, p->gpus[i].rates[r].cloud, "$%.2f/hour",
                              p->gpus[i].rates[r].usd_per_hour);
        break;
    }
    case SESSION_FIELD_EMBEDDING:
        for (int i = 0; i < p->n_embeddings && n < PICKER_MAX; i++)
            n = offer(c, n, p->embeddings[i].id, "%s", p->embeddings[i].provider);
        break;
    case SESSION_FIELD_VECTOR_STORE:
        for (int i = 0; i < p->n_vector_stores && n < PICKER_MAX; i++)
            n = offer(c, n, p->vector_stores[i].id, "%s", p->vector_stores[i].provider);
        break;
    default:
        break;
    }
    return n;
}

/* Opens the editor (or, for names from the price tables, a picker) on a
 * field; the document as it is now is what Escape comes back to. */
void costs_begin_edit(TuiApp *a, CostsState *c, int where, const SessionField *f) {
    cJSON_Delete(c->base);
    c->base = cJSON_Duplicate(c->doc, true);
    TpError err = {0};
    c->base_valid = costs_check_doc(a, c, c->base, &err) == TP_OK;
    c->edit_where = where;
    c->edit_field = f;
    char cur[FIELD_TEXT_MAX];
    costs_value_text(c, where, f, cur, sizeof cur);
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

void costs_end_edit(CostsState *c) {
    field_end(&c->edit);
    picker_end(&c->pick);
    c->pick_for = PICK_NONE;
    cJSON_Delete(c->base);
    c->base = NULL;
}

static void wizard_next(TuiApp *a, CostsState *c);

/* The kind named name, or -1. */
static int kind_named(const char *name) {
    for (int k = 0; k <= COST_OPTION_ROUTED; k++)
        if (!strcmp(name, cost_option_kind_name((CostOptionKind)k)))
            return k;
    return -1;
}

/* A change that the engine took: doc is the document now, the editor
 * closes, and a wizard asks for what is still lacking. */
static void take(TuiApp *a, CostsState *c, cJSON *doc) {
    costs_set_doc(a, c, doc);
    c->dirty = true;
    costs_end_edit(c);
    if (c->wizard)
        wizard_next(a, c);
}

/* An option just added or re-kinded (before: the document before it, kept
 * for Escape): the wizard asks for what the engine says it lacks. */
static void wizard_begin(TuiApp *a, CostsState *c, int opt, cJSON *before, const char *undo) {
    c->dirty = true;
    costs_set_doc(a, c, c->doc);
    c->wizard = true;
    c->wizard_opt = opt;
    cJSON_Delete(c->wizard_base);
    c->wizard_base = before;
    c->wizard_undo = undo;
    wizard_next(a, c);
}

/* The wizard ends (its option complete, dropped, or not its to fix). */
static void wizard_end(CostsState *c) {
    c->wizard = false;
    c->hint[0] = '\0';
    cJSON_Delete(c->wizard_base);
    c->wizard_base = NULL;
}

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
    if (costs_check_doc(a, c, cand, &err) == TP_OK || !c->base_valid)
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
        costs_set_doc(a, c, cJSON_Duplicate(c->base, true));
        return;
    }
    cJSON *doc = with_value(a, c, v, msg, sizeof msg);
    if (!doc) {
        field_fail(&c->edit, msg);
        costs_set_doc(a, c, cJSON_Duplicate(c->base, true));
        return;
    }
    take(a, c, doc);
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
    costs_set_doc(a, c, doc ? doc : cJSON_Duplicate(c->base, true));
}

static void cancel_edit(TuiApp *a, CostsState *c) {
    costs_set_doc(a, c, c->base);
    c->base = NULL; /* now the document */
    costs_end_edit(c);
    if (c->wizard) { /* Escape in a wizard drops the whole addition */
        costs_set_doc(a, c, c->wizard_base);
        c->wizard_base = NULL;
        wizard_end(c);
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
        int k = kind_named(choice), opt = c->edit_where;
        cJSON *before = c->base;
        c->base = NULL;
        costs_end_edit(c);
        if (k < 0 || k == session_option_kind(c->doc, opt)) {
            cJSON_Delete(before);
            return;
        }
        int dropped = 0;
        TpError err = {0};
        session_option_set_kind(c->doc, opt, (CostOptionKind)k, &dropped, &err);
        snprintf(c->wizard_what, sizeof c->wizard_what,
                 "now %s (%d field(s) it does not take dropped)", choice, dropped);
        wizard_begin(a, c, opt, before, "restores the old kind");
        return;
    }
    char msg[512];
    cJSON *v = choice == NO_GPU ? NULL : cJSON_CreateString(choice);
    cJSON *doc = with_value(a, c, v, msg, sizeof msg);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "%s", msg); /* the picker stays open */
        return;
    }
    take(a, c, doc);
}

/* After an addition or a change of kind: the engine names the first field
 * the option still lacks, and the editor opens on it with its words; when
 * nothing is lacking, the option is projected and the wizard ends. */
static void wizard_next(TuiApp *a, CostsState *c) {
    TpError err = {0};
    const char *id = session_option_id(c->doc, c->wizard_opt);
    if (costs_check_doc(a, c, c->doc, &err) == TP_OK) {
        snprintf(a->message, sizeof a->message, "option %s %s: projected", id ? id : "?",
                 c->wizard_what);
        wizard_end(c);
        return;
    }
    int where;
    char key[64];
    const SessionField *f = NULL;
    if (session_error_field(err.msg, &where, key, sizeof key) && where == c->wizard_opt) {
        const SessionField *fs[MAX_OPT_FIELDS];
        int n = costs_option_fields(c, where, fs);
        for (int i = 0; i < n; i++)
            if (!strcmp(fs[i]->key, key)) {
                f = fs[i];
                c->ofield_sel = i;
            }
    }
    if (!f) { /* not this option's to fix: say so and stop asking */
        snprintf(a->message, sizeof a->message, "option %s %s, but the scenario is invalid: %s",
                 id ? id : "?", c->wizard_what, err.msg);
        wizard_end(c);
        return;
    }
    snprintf(c->hint, sizeof c->hint, "%s", err.msg);
    c->focus = FOCUS_OPTION;
    c->opt_sel = c->wizard_opt;
    costs_begin_edit(a, c, c->wizard_opt, f);
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
    c->opt_sel = i;
    c->focus = FOCUS_TABLE;
    snprintf(c->wizard_what, sizeof c->wizard_what, "added");
    wizard_begin(a, c, i, before, "drops the new option");
}

void costs_begin_add(TuiApp *a, CostsState *c) {
    int n = pick_names(a, c, SESSION_FIELD_KIND, 0);
    picker_begin(&c->pick, "kind of the new option", c->names, c->notes, n, NULL);
    c->pick_for = PICK_ADD_KIND;
}

static void add_pick_kind(TuiApp *a, CostsState *c, const char *choice) {
    int k = kind_named(choice) < 0 ? 0 : kind_named(choice);
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
void costs_clear_field(TuiApp *a, CostsState *c, int where, const SessionField *f) {
    if (!session_doc_get(c->doc, where, f->key))
        return;
    costs_begin_edit(a, c, where, f);
    char msg[512];
    cJSON *doc = with_value(a, c, NULL, msg, sizeof msg);
    costs_end_edit(c);
    if (!doc) {
        snprintf(a->message, sizeof a->message, "not cleared: %s", msg);
        return;
    }
    costs_set_doc(a, c, doc);
    c->dirty = true;
    snprintf(a->message, sizeof a->message, "%s: back to its default", f->key);
}

void costs_remove_option(TuiApp *a, CostsState *c) {
    cJSON *cand = cJSON_Duplicate(c->doc, true);
    TpError err = {0};
    const char *id = session_option_id(c->doc, c->opt_sel);
    char idc[128];
    snprintf(idc, sizeof idc, "%s", id ? id : "?");
    if (session_option_remove(cand, c->opt_sel, &err) != TP_OK ||
        (c->have && costs_check_doc(a, c, cand, &err) != TP_OK)) {
        snprintf(a->message, sizeof a->message, "%s not removed: %s", idc, err.msg);
        cJSON_Delete(cand);
        return;
    }
    costs_set_doc(a, c, cand);
    c->dirty = true;
    int n = session_doc_n_options(c->doc);
    if (c->opt_sel >= n)
        c->opt_sel = n > 0 ? n - 1 : 0;
    snprintf(a->message, sizeof a->message, "option %s removed", idc);
}

void costs_duplicate_option(TuiApp *a, CostsState *c) {
    int i = 0;
    TpError err = {0};
    if (session_option_duplicate(c->doc, c->opt_sel, &i, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "%s", err.msg);
        return;
    }
    c->opt_sel = i;
    c->dirty = true;
    costs_set_doc(a, c, c->doc);
    snprintf(a->message, sizeof a->message, "option %s added as a copy: Enter edits its fields",
             session_option_id(c->doc, i));
}

/* --- keys --------------------------------------------------------------------------------- */

static int picker_answer(TuiApp *a, CostsState *c, int ch) {
    FieldResult r = picker_key(&c->pick, tui_field_code(ch));
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

int costs_edit_key(TuiApp *a, CostsState *c, int ch) {
    if (c->pick.active)
        return picker_answer(a, c, ch);
    if (!c->edit.active)
        return TUI_NONE;
    switch (field_key(&c->edit, tui_field_code(ch))) {
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

/* Text over up to `rows` rows of width w, wrapped at spaces (wrap.h); the
 * last row takes the rest, clipped. */
static void draw_wrapped(TuiApp *a, int y, int x, int w, int rows, TuiRole role, const char *s) {
    for (int r = 0; r < rows && s && *s && w > 0; r++) {
        int next = (int)strlen(s);
        int len = r + 1 < rows ? text_wrap_line(s, w, &next) : next;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", len, s);
        tui_text(a, y + r, x, w, role, false, line);
        s += next;
    }
}

/* The two lines under the form and the table: a question, the editor with
 * the unit and its message, or what the selected field is. */
void costs_draw_info(TuiApp *a, CostsState *c, Rect r) {
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
        snprintf(line, sizeof line, "%s%s%s%s%s%s = %s   Enter applies, Esc %s", where ? where : "",
                 where ? "." : "", f->key, f->unit[0] ? " (" : "", f->unit, f->unit[0] ? ")" : "",
                 cur, esc);
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
        tui_textf(a, r.y, r.x, r.w, ROLE_SELECTED,
                  "pick %s: type to narrow (%s_), Up/Down, Enter chooses, Esc cancels",
                  c->pick.title, c->pick.filter);
        if (c->hint[0])
            draw_wrapped(a, r.y + 1, r.x, r.w, r.h - 1, ROLE_DIM, c->hint);
        return;
    }
    /* the selected field: its value and unit */
    const SessionField *f = NULL;
    int where = SESSION_AT_TOP;
    if (c->focus == FOCUS_FORM) {
        FormRow rows[MAX_FORM];
        int n = costs_form_rows(rows, MAX_FORM);
        if (c->form_sel < n)
            f = rows[c->form_sel].f, where = rows[c->form_sel].where;
    } else if (c->focus == FOCUS_OPTION) {
        const SessionField *of[MAX_OPT_FIELDS];
        int n = costs_option_fields(c, c->opt_sel, of);
        if (c->ofield_sel < n)
            f = of[c->ofield_sel], where = c->opt_sel;
    }
    if (f) {
        char val[FIELD_TEXT_MAX];
        costs_value_text(c, where, f, val, sizeof val);
        tui_textf(a, r.y, r.x, r.w, ROLE_DIM, "%s = %s %s   Enter edits, x back to the default",
                  f->key, val[0] ? val : "(default)", val[0] ? f->unit : "");
    } else if (c->focus == FOCUS_TABLE) {
        tui_text(a, r.y, r.x, r.w, ROLE_DIM, false,
                 "Enter: the option's fields  a add  d duplicate  x remove  Left: the workload");
    }
}

/* The selected option's fields: every field its kind takes, set or not. */
void costs_draw_option(TuiApp *a, CostsState *c, Rect r) {
    const char *id = session_option_id(c->doc, c->opt_sel);
    int kind = session_option_kind(c->doc, c->opt_sel);
    tui_textf(a, r.y, r.x, r.w, ROLE_HEADER, "option %s (%s): Enter edits, x clears, Esc back",
              id ? id : "?", kind >= 0 ? cost_option_kind_name((CostOptionKind)kind) : "?");
    const SessionField *of[MAX_OPT_FIELDS];
    int n = costs_option_fields(c, c->opt_sel, of), vis = r.h - 1;
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
            costs_value_text(c, c->opt_sel, of[i], val, sizeof val);
        char line[700];
        snprintf(line, sizeof line, "%-28s %-24s %s", of[i]->key, val[0] ? val : "-", of[i]->unit);
        tui_text(a, r.y + 1 + k, r.x, r.w,
                 here     ? ROLE_SELECTED
                 : val[0] ? ROLE_NORMAL
                          : ROLE_DIM,
                 here, line);
    }
}

void costs_draw_picker(TuiApp *a, CostsState *c, Rect r) {
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
