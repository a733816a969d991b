/* session_edit.h - editing a scenario document, for both faces: what each
 * field is (type, unit, whether it takes a range), reading typed text into a
 * field's JSON value (numbers with k/M/G suffixes, ranges [low, high]),
 * adding, duplicating, removing options and changing their kind, checking
 * the result with the cost engine's own parser (there is no second
 * validator), and writing the document atomically.
 *
 * Fields are addressed by where they live: SESSION_AT_TOP (the scenario's
 * top level), SESSION_AT_WORKLOAD, or an option's index (0, 1, ...). */
#ifndef TUNEPILOT_SESSION_EDIT_H
#define TUNEPILOT_SESSION_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tunepilot/cost.h"
#include "tunepilot/error.h"
#include "tunepilot/limits.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

#define SESSION_AT_TOP (-2)
#define SESSION_AT_WORKLOAD (-1)

typedef enum {
    SESSION_FIELD_NUMBER,      /* a number, or a range when `range` */
    SESSION_FIELD_INTEGER,     /* a whole number, never a range */
    SESSION_FIELD_TEXT,        /* a non-empty string */
    SESSION_FIELD_DATE,        /* YYYY-MM-DD */
    SESSION_FIELD_KIND,        /* an option kind: api, rag, ... */
    SESSION_FIELD_MODEL,       /* a model of the API price table */
    SESSION_FIELD_FT_MODEL,    /* a model of the fine-tuning table */
    SESSION_FIELD_GPU,         /* a GPU of the GPU table */
    SESSION_FIELD_CLOUD,       /* a cloud listing the option's GPU */
    SESSION_FIELD_EMBEDDING,   /* an embedding model of the RAG table */
    SESSION_FIELD_VECTOR_STORE,/* a vector store of the RAG table */
    SESSION_FIELD_ROUTES,      /* routes, typed as "ID SHARE, ID SHARE" */
    SESSION_FIELD_OBJECT,      /* workload, options: not edited as a value */
} SessionFieldType;

typedef struct SessionField {
    const char *key;  /* the JSON key, shown as the label */
    SessionFieldType type;
    bool range;       /* a number that may be a range [low, high] */
    const char *unit; /* "tokens/request", "USD/hour", ... ("" when none) */
} SessionField;

/* The description of a key of the scenario format, or NULL for a key the
 * catalogue does not know. */
const SessionField *session_field_info(const char *key);

/* The editable fields at a place (SESSION_AT_TOP, SESSION_AT_WORKLOAD or an
 * option of kind `kind`), in the engine's order (cost_option_keys and
 * friends), without the objects (workload, options): up to max entries into
 * out; returns how many there are. kind is ignored for the top and the
 * workload. */
int session_fields_at(int where, CostOptionKind kind, const SessionField **out, int max);

/* Reads typed text as the JSON value of field f. Numbers: an optional sign,
 * digits with at most one decimal point, an optional exponent (1e3) and an
 * optional suffix k (x1,000), M (x1,000,000) or G (x1,000,000,000); a range
 * is "[low, high]" with low <= high. Text is trimmed and may not be empty.
 * Routes: "ID SHARE, ID SHARE" (a share may end in %). On bad input returns
 * false with a message saying what was typed and what is expected (msg,
 * size bytes), and *out is NULL. Ranges and bounds beyond the syntax are the
 * engine's to check (session_scenario_check). */
bool session_value_parse(const char *text, const SessionField *f, cJSON **out, char *msg,
                         size_t size);

/* The value as it is typed back (the inverse of session_value_parse):
 * numbers as %.10g, ranges as [low, high], routes as "ID SHARE, ...". A
 * missing value gives "". */
void session_value_format(const cJSON *v, const SessionField *f, char *out, size_t size);

/* The JSON value of a field (NULL when absent) and its object (NULL when
 * `where` names no such place). */
cJSON *session_doc_object(cJSON *doc, int where);
cJSON *session_doc_get(cJSON *doc, int where, const char *key);

/* Sets (value != NULL, taken over) or removes (value == NULL: back to the
 * default) a field. TP_EINVAL when `where` names no place. */
TpStatus session_doc_set(cJSON *doc, int where, const char *key, cJSON *value, TpError *err);

/* Adds an option of `kind` at the end of $.options: its id is made from
 * `name` (a model or GPU, else the kind) and made unique ("gpt-4o",
 * "gpt-4o-2", ...); for api, rag and api_finetuned `name` becomes the
 * model, for self_hosted the gpu. Fields the engine requires beyond those
 * are left for the caller to ask (session_scenario_check names them). Sets
 * *index. */
TpStatus session_option_add(cJSON *doc, CostOptionKind kind, const char *name, int *index,
                            TpError *err);

/* Copies option i to the end of the list under a new unique id ("ID-copy",
 * "ID-copy-2", ...). Sets *index. */
TpStatus session_option_duplicate(cJSON *doc, int i, int *index, TpError *err);

/* Removes option i. Whether what is left is valid (a routed option that
 * pointed at it) is session_scenario_check's to say. */
TpStatus session_option_remove(cJSON *doc, int i, TpError *err);

/* Changes option i's kind, dropping the fields the new kind does not take
 * (cost_option_keys); returns through *dropped how many were dropped. */
TpStatus session_option_set_kind(cJSON *doc, int i, CostOptionKind kind, int *dropped,
                                 TpError *err);

/* The number of options in the document (0 when it has no options array). */
int session_doc_n_options(const cJSON *doc);
/* Option i's id, or NULL. */
const char *session_option_id(const cJSON *doc, int i);
/* Option i's kind, or -1 when it has no known kind. */
int session_option_kind(const cJSON *doc, int i);

/* Checks a document with the engine, exactly as `tunepilot cost` reads a
 * file: serialised and parsed by session_scenario_parse (stored probes
 * included). On success *sc is filled (the caller frees it); on failure the
 * engine's message is in err and *sc is empty. */
TpStatus session_scenario_check(Store *s, const cJSON *doc, const char *name, const Pricing *p,
                                const char *today, CostScenario *sc, TpError *err);

/* Where an engine message puts the fault: "$.options[3].context_tokens: ..."
 * gives *where = 3 and key "context_tokens", "$.workload.x" gives
 * SESSION_AT_WORKLOAD, "$.horizon_months" SESSION_AT_TOP. false when the
 * message names no field. */
bool session_error_field(const char *msg, int *where, char *key, size_t size);

/* Writes the document to path atomically (a temp file beside it, fsync,
 * rename), as indented JSON ending in a newline. */
TpStatus session_scenario_write(const cJSON *doc, const char *path, TpError *err);

/* A file name in dir for a scenario named `name` that does not exist yet:
 * DIR/SLUG.json, else DIR/SLUG-2.json, ... (SLUG: letters, digits, '-' and
 * '_' of the name, others as '-'). TP_ERR when none is free below 1000. */
TpStatus session_scenario_new_path(const char *dir, const char *name, char *out, size_t size,
                                   TpError *err);

/* --- recovery drafts ---------------------------------------------------------------
 *
 * Unsaved edits the workbench keeps when it is ended by a signal (SIGTERM,
 * SIGHUP: the terminal closed, the system shutting down). A draft is one
 * JSON file {"format": "tunepilot-draft", "version": 1, "written_at",
 * "name", "path", "saved_id", "scenario"} in the drafts folder beside the
 * database: DIR/drafts for DIR/tunepilot.db, DIR/NAME-drafts for
 * DIR/NAME.db (so two databases never share one). The workbench offers the
 * newest at its next start; `tunepilot scenarios recover` lists, writes out
 * and discards them. */

/* A draft holds one scenario (TP_MAX_SCENARIO_BYTES) and a few names. */
#define SESSION_DRAFT_MAX_BYTES (TP_MAX_SCENARIO_BYTES + 16384)

typedef struct SessionDraft {
    char file[4096];      /* the draft's own file */
    char written_at[32];  /* UTC, YYYY-MM-DDTHH:MM:SSZ */
    char name[128];       /* the scenario's name as the workbench showed it */
    char path[1024];      /* the file it came from or was last saved to; "" for none */
    long long saved_id;   /* the History entry it came from; 0 for none */
    char *json;           /* the scenario document as text (owned; session_draft_free) */
} SessionDraft;

/* The drafts folder for the database at db_path (absolute; not created). */
TpStatus session_draft_dir(const char *db_path, char *out, size_t size, TpError *err);

/* Writes a draft of doc into dir (created when missing) atomically (a temp
 * file beside it, fsync, rename, fsync of the folder), as
 * draft-YYYYMMDDTHHMMSSZ-PID.json; its path into file (size bytes). name
 * and path (may be NULL) are recorded as given. */
TpStatus session_draft_write(const char *dir, const cJSON *doc, const char *name,
                             const char *path, long long saved_id, char *file, size_t size,
                             TpError *err);

/* Reads a draft's text (file names it in messages); a document that is not
 * a draft, or whose scenario is not an object, is TP_EINVAL. On success
 * *out owns its json (session_draft_free); on failure it holds nothing. */
TpStatus session_draft_parse(const char *text, const char *file, SessionDraft *out, TpError *err);
/* Reads the draft file. */
TpStatus session_draft_read(const char *file, SessionDraft *out, TpError *err);
void session_draft_free(SessionDraft *d);

/* The drafts in dir, newest first (a missing folder has none). Files that
 * cannot be read as drafts are left where they are and counted in
 * *n_unreadable (may be NULL). The caller frees each (session_draft_free)
 * and the array (free). */
TpStatus session_draft_list(const char *dir, SessionDraft **out, int *n, int *n_unreadable,
                            TpError *err);

/* Removes a draft's file (its scenario is gone with it). */
TpStatus session_draft_discard(const SessionDraft *d, TpError *err);

#endif
