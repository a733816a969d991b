#include "tunepilot/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/fileio.h"

TpStatus tp_json_parse(const char *text, size_t len, const char *name, cJSON **out, TpError *err) {
    const char *end = NULL;
    *out = NULL;
    if (len == 0)
        return tp_error_set(err, TP_EINVAL, "%s: empty, expected a JSON document", name);
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        char near[24] = "";
        size_t k = 0;
        for (size_t i = off; i < len && k < sizeof near - 1 && text[i] != '\n'; i++)
            near[k++] = text[i];
        near[k] = '\0';
        if (off >= len)
            return tp_error_set(err, TP_EINVAL, "%s:%d:%d: invalid JSON: unexpected end of input",
                                name, line, col);
        return tp_error_set(err, TP_EINVAL, "%s:%d:%d: invalid JSON near \"%s\"", name, line, col,
                            near);
    }
    /* Anything but whitespace after the document is an error too. */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t' && *p != '\0') {
            cJSON_Delete(root);
            return tp_error_set(err, TP_EINVAL, "%s: trailing data after the JSON document", name);
        }
    }
    *out = root;
    return TP_OK;
}

TpStatus tp_json_parse_file(const char *path, size_t max_bytes, cJSON **out, TpError *err) {
    char *data;
    size_t len;
    TpStatus st = tp_file_read(path, max_bytes, &data, &len, err);
    if (st != TP_OK)
        return st;
    st = tp_json_parse(data, len, path, out, err);
    free(data);
    return st;
}

const char *tp_json_type_name(const cJSON *item) {
    if (!item)
        return "nothing";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsObject(item))
        return "an object";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNull(item))
        return "null";
    return "an invalid value";
}

void tp_json_path_key(char *dst, size_t size, const char *parent, const char *key) {
    snprintf(dst, size, "%s.%s", parent, key);
}

void tp_json_path_index(char *dst, size_t size, const char *parent, int index) {
    snprintf(dst, size, "%s[%d]", parent, index);
}

TpStatus tp_json_check_keys(const cJSON *obj, const char *name, const char *path,
                            const char *const allowed[], TpError *err) {
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            if (it->string && strcmp(it->string, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            char list[600] = "";
            for (int i = 0; allowed[i]; i++) {
                if (strlen(list) + strlen(allowed[i]) + 3 >= sizeof list)
                    break;
                if (i)
                    strcat(list, ", ");
                strcat(list, allowed[i]);
            }
            return tp_error_set(err, TP_EINVAL, "%s: %s.%s: unknown field (expected one of: %s)",
                                name, path, it->string ? it->string : "?", list);
        }
    }
    return TP_OK;
}

static const cJSON *field(const cJSON *obj, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return it && !cJSON_IsNull(it) ? it : NULL;
}

TpStatus tp_json_string(const cJSON *obj, const char *key, const char *name, const char *path,
                        bool required, const char **out, bool *present, TpError *err) {
    const cJSON *it = field(obj, key);
    if (present)
        *present = it != NULL;
    if (!it) {
        if (required)
            return tp_error_set(err, TP_EINVAL, "%s: %s.%s: missing, expected a string", name, path,
                                key);
        return TP_OK;
    }
    if (!cJSON_IsString(it))
        return tp_error_set(err, TP_EINVAL, "%s: %s.%s: expected a string, got %s", name, path, key,
                            tp_json_type_name(it));
    *out = it->valuestring;
    return TP_OK;
}

TpStatus tp_json_number(const cJSON *obj, const char *key, const char *name, const char *path,
                        bool required, double min, double max, double *out, bool *present,
                        TpError *err) {
    const cJSON *it = field(obj, key);
    if (present)
        *present = it != NULL;
    if (!it) {
        if (required)
            return tp_error_set(err, TP_EINVAL, "%s: %s.%s: missing, expected a number", name, path,
                                key);
        return TP_OK;
    }
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return tp_error_set(err, TP_EINVAL, "%s: %s.%s: expected a number, got %s", name, path, key,
                            tp_json_type_name(it));
    double v = it->valuedouble;
    if (v < min || v > max)
        return tp_error_set(err, TP_EINVAL, "%s: %s.%s: expected a number in [%g, %g], got %g",
                            name, path, key, min, max, v);
    *out = v;
    return TP_OK;
}

TpStatus tp_json_integer(const cJSON *obj, const char *key, const char *name, const char *path,
                         bool required, long long min, long long max, long long *out, bool *present,
                         TpError *err) {
    double v = 0;
    bool have = false;
    TpStatus st =
        tp_json_number(obj, key, name, path, required, (double)min, (double)max, &v, &have, err);
    if (present)
        *present = have;
    if (st != TP_OK || !have)
        return st;
    int64_t i;
    if (!tp_json_to_i64(v, min, max, &i))
        return tp_error_set(err, TP_EINVAL, "%s: %s.%s: expected an integer, got %g", name, path,
                            key, v);
    *out = i;
    return TP_OK;
}

bool tp_json_to_i64(double v, int64_t min, int64_t max, int64_t *out) {
    /* 2^63 is exact as a double; every double in [-2^63, 2^63) converts */
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0) || v != floor(v))
        return false;
    int64_t i = (int64_t)v;
    if (i < min || i > max)
        return false;
    *out = i;
    return true;
}

bool tp_json_to_int(double v, int min, int max, int *out) {
    int64_t i;
    if (!tp_json_to_i64(v, min, max, &i))
        return false;
    *out = (int)i;
    return true;
}

size_t tp_json_find_nul_escape(const char *text, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\\')
            continue;
        if (text[i + 1] == 'u' && i + 5 < len && !memcmp(text + i + 2, "0000", 4))
            return i;
        i++; /* the escaped character: "\\\\u0000" is a backslash, then text */
    }
    return (size_t)-1;
}

bool tp_is_iso_date(const char *s) {
    if (!s || strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return false;
        } else if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

void tp_json_add_num(cJSON *obj, const char *key, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(obj, key, v);
    else
        cJSON_AddNullToObject(obj, key);
}

void tp_json_add_str(cJSON *obj, const char *key, const char *s) {
    if (s)
        cJSON_AddStringToObject(obj, key, s);
    else
        cJSON_AddNullToObject(obj, key);
}
