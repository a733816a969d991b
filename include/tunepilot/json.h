/* json.h - helpers over cJSON that produce precise error messages.
 *
 * Paths are written JSONPath-style ("$.options[2].model") and every message
 * says where (file or name, then path) and what was expected.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_JSON_H
#define TUNEPILOT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tunepilot/error.h"

/* Parses text (len bytes) into *out (caller frees with cJSON_Delete). On a
 * syntax error the message is "NAME:LINE:COL: invalid JSON ...". */
TpStatus tp_json_parse(const char *text, size_t len, const char *name, cJSON **out, TpError *err);

/* Reads and parses a file (size cap max_bytes). */
TpStatus tp_json_parse_file(const char *path, size_t max_bytes, cJSON **out, TpError *err);

/* "a string", "a number", "an object", ... for messages. */
const char *tp_json_type_name(const cJSON *item);

/* dst = parent + "." + key, or parent + "[" + index + "]". */
void tp_json_path_key(char *dst, size_t size, const char *parent, const char *key);
void tp_json_path_index(char *dst, size_t size, const char *parent, int index);

/* Fails with "NAME: PATH.key: unknown field (expected one of: ...)" when obj
 * has a key not in the NULL-terminated list `allowed`. */
TpStatus tp_json_check_keys(const cJSON *obj, const char *name, const char *path,
                            const char *const allowed[], TpError *err);

/* Field readers. `name` is the file or document name used in messages.
 * Missing and not required: leaves *out unchanged and returns TP_OK with
 * *present (if non-NULL) set false. A JSON null counts as missing. */
TpStatus tp_json_string(const cJSON *obj, const char *key, const char *name, const char *path,
                        bool required, const char **out, bool *present, TpError *err);
TpStatus tp_json_number(const cJSON *obj, const char *key, const char *name, const char *path,
                        bool required, double min, double max, double *out, bool *present,
                        TpError *err);
TpStatus tp_json_integer(const cJSON *obj, const char *key, const char *name, const char *path,
                         bool required, long long min, long long max, long long *out, bool *present,
                         TpError *err);

/* Adds key: v, or key: null when v is NaN or infinite. */
void tp_json_add_num(cJSON *obj, const char *key, double v);
/* Adds key: s, or key: null when s is NULL. */
void tp_json_add_str(cJSON *obj, const char *key, const char *s);

/* The one way a JSON number becomes an integer (limits.h): true and *out
 * set when v is finite, whole and within [min, max]; false otherwise (NaN,
 * infinities, fractions, 1e300), with *out untouched. */
bool tp_json_to_i64(double v, int64_t min, int64_t max, int64_t *out);
bool tp_json_to_int(double v, int min, int max, int *out);

/* Offset of the first "\u0000" escape in JSON text (a NUL character, which
 * cJSON's C strings would silently cut at), or (size_t)-1 when none. */
size_t tp_json_find_nul_escape(const char *text, size_t len);

/* True when s is a calendar date YYYY-MM-DD. */
bool tp_is_iso_date(const char *s);

#endif
