/* costs_int.h - the Costs screen's parts, private to them: the screen
 * (screen_costs.c: its class, keys and questions), the scenario document
 * and its projection (costs_doc.c), the field editor, the pickers and the
 * option operations (costs_edit.c), and the drawing (costs_draw.c). Nothing
 * else includes this header: the other screens see the scenario only as
 * Costs publishes it (tui_scenario_publish). */
#ifndef TP_TUI_COSTS_INT_H
#define TP_TUI_COSTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tui/field.h"
#include "tui/tui.h"
#include "tunepilot/cost.h"
#include "tunepilot/session_edit.h"

/* Rows of the form: the workload's and the scenario's fields. */
#define MAX_FORM 24
#define MAX_OPT_FIELDS 64
#define TOP_H 11 /* form and table */
#define INFO_H 3 /* the editor line and its message, or a question */

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
    int opt_sel, opt_top; /* the selected option, the first one shown */
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
    char wizard_what[64];    /* "added", "now rag (...)" */
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

/* A row of the form: a workload or scenario field. */
typedef struct FormRow {
    int where;
    const SessionField *f;
} FormRow;

/* --- the document and its projection (costs_doc.c) ---------------------------------------- */

/* The form's rows: numbers first (the workload's, then the scenario's),
 * then the texts. Returns how many (at most max). */
int costs_form_rows(FormRow *rows, int max);
/* The fields option opt's kind takes (at most MAX_OPT_FIELDS). */
int costs_option_fields(const CostsState *c, int opt, const SessionField **out);
/* A field's value as the editor shows it ("" when not set). */
void costs_value_text(CostsState *c, int where, const SessionField *f, char *out, size_t size);
void costs_drop_projection(CostsState *c);
/* Checks a document with the engine (the CLI's parser and messages). */
TpStatus costs_check_doc(TuiApp *a, const CostsState *c, const cJSON *doc, TpError *err);
/* Parses and projects the document, then publishes it to the other screens. */
void costs_recompute(TuiApp *a, CostsState *c);
/* Takes doc as the document (the old one freed) and projects it. */
void costs_set_doc(TuiApp *a, CostsState *c, cJSON *doc);
/* Closes the editor, the picker, the wizard and the question. */
void costs_close_modes(CostsState *c);
/* Opens a document (JSON text); path: the file it came from or NULL. */
void costs_load_doc(TuiApp *a, CostsState *c, const char *json, const char *name, const char *path,
                    int64_t saved_id);
/* The bundled example i (the first again past the last). */
bool costs_load_example(TuiApp *a, CostsState *c, int i);
/* s: writes the scenario file and History; false (the message says why)
 * when nothing was saved. */
bool costs_save(TuiApp *a, CostsState *c);
/* m: the newest pilot run's measured training time. */
void costs_use_measured(TuiApp *a, CostsState *c);

/* --- editing (costs_edit.c) --------------------------------------------------------------- */

/* Opens the editor (or, for names from the price tables, a picker) on a
 * field; the document as it is now is what Escape comes back to. */
void costs_begin_edit(TuiApp *a, CostsState *c, int where, const SessionField *f);
void costs_end_edit(CostsState *c);
/* A key while the editor or a picker is open (every key is theirs). */
int costs_edit_key(TuiApp *a, CostsState *c, int ch);
/* a: the kind picker of a new option. */
void costs_begin_add(TuiApp *a, CostsState *c);
/* x on a field: back to its default (when the engine takes that). */
void costs_clear_field(TuiApp *a, CostsState *c, int where, const SessionField *f);
void costs_remove_option(TuiApp *a, CostsState *c);
void costs_duplicate_option(TuiApp *a, CostsState *c);
/* The lines under the form and the table: a question, the editor, or what
 * the selected field is. */
void costs_draw_info(TuiApp *a, CostsState *c, Rect r);
/* The selected option's fields. */
void costs_draw_option(TuiApp *a, CostsState *c, Rect r);
void costs_draw_picker(TuiApp *a, CostsState *c, Rect r);

/* --- drawing (costs_draw.c) --------------------------------------------------------------- */

/* The screen's draw callback. */
void costs_draw(TuiApp *a, void *self);

#endif
