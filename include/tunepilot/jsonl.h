/* jsonl.h - the one reader of JSON Lines datasets (owned by the data module,
 * src/data/jsonl.c; included by the data engines, the hosted pre-flight in
 * src/net and the tools above them).
 *
 * What it settles once for every reader of a dataset file:
 *   - lines: a UTF-8 byte order mark at the start is skipped; lines end at
 *     '\n', a '\r' before it is part of the line (blank, and skipped by the
 *     JSON parse as white space); lines are numbered from 1;
 *   - one line, one JSON value: the line's size bound (TP_MAX_LINE_BYTES),
 *     \u0000 escapes (they would cut the text), optionally invalid UTF-8,
 *     invalid JSON and trailing data, each with the 1-based column;
 *   - the record's format (chat / Alpaca / prompt-completion);
 *   - the pilot's seeded train/held-out split.
 * Nothing here allocates except jsonl_parse's cJSON tree (the caller deletes
 * it) and nothing prints.
 *
 * Owned by the data module (src/data/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_JSONL_H
#define TUNEPILOT_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/limits.h"

struct cJSON;

/* --- lines ------------------------------------------------------------------- */

typedef struct JsonlReader {
    const char *data; /* borrowed: the whole file */
    size_t len, pos;
    int line;         /* the number of the line last returned */
    bool bom;         /* the file started with a byte order mark (skipped) */
} JsonlReader;

typedef struct JsonlLine {
    const char *text; /* points into the reader's data; not NUL-terminated */
    size_t len;       /* without the '\n' (a '\r' before it is kept) */
    int line;         /* 1-based */
    bool blank;       /* only spaces, tabs and '\r' */
    bool newline;     /* a '\n' ends it (false for a last line without one) */
} JsonlLine;

void jsonl_reader_init(JsonlReader *r, const char *data, size_t len);
/* The next line, blank ones included; false at the end of the data. */
bool jsonl_next(JsonlReader *r, JsonlLine *out);

/* --- one value a line ------------------------------------------------------------ */

typedef enum {
    JSONL_OK,
    JSONL_TOO_LONG,     /* over TP_MAX_LINE_BYTES */
    JSONL_NUL,          /* a \u0000 escape in a string */
    JSONL_INVALID_UTF8, /* only with JSONL_CHECK_UTF8 */
    JSONL_INVALID_JSON, /* not JSON, or cut short */
    JSONL_TRAILING,     /* more than one value on the line */
} JsonlFault;

typedef struct JsonlProblem {
    JsonlFault fault;
    const char *kind; /* "line_too_long", "nul_character", "invalid_utf8", "invalid_json" */
    size_t column;    /* 1-based byte column; 0 when the whole line is meant */
    char msg[200];    /* what was found and what was expected, without the place */
} JsonlProblem;

enum { JSONL_CHECK_UTF8 = 1 };

/* Parses one line as one JSON value (any type). NULL with *p filled when it
 * is not; the caller deletes the tree. flags: JSONL_CHECK_UTF8 also refuses
 * bytes that are not UTF-8 anywhere on the line (the data engines check each
 * string instead, naming its field). */
struct cJSON *jsonl_parse(const char *text, size_t len, unsigned flags, JsonlProblem *p);

/* --- records ------------------------------------------------------------------- */

/* The format a record's keys say (a DatasetFormat: 0 chat for "messages",
 * 1 Alpaca for "instruction"/"output", 2 completion for "prompt"/
 * "completion"), or -1 for a non-object or none of those keys. */
int jsonl_detect(const struct cJSON *root);
/* "a chat record ({"messages": [...]})" and likewise, for messages. */
const char *jsonl_format_title(int format);

/* --- the pilot's split ------------------------------------------------------------- */

/* The number held out of n examples: round(eval_split * n), at least 1 and
 * at most n - 1 when eval_split > 0 and n >= 2, else 0. */
int jsonl_split_count(int n, double eval_split);
/* Marks is_eval[i] = 1 for the held-out examples of 0..n-1 (a Fisher-Yates
 * shuffle from seed, the first jsonl_split_count taken), 0 for the others;
 * returns how many were marked. dataset_load and the audit use it, so the
 * audit's split is the pilot's. */
int jsonl_split(int n, double eval_split, uint64_t seed, unsigned char *is_eval);

#endif
