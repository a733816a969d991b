/* external_line.c - the object in one line of an external trainer's output:
 * a JSON object, or a Python dict as a Hugging Face Trainer prints it
 * ({'loss': 0.5, 'epoch': 1.0}), turned into JSON (see external.h:
 * external_line_object). */
#include "tunepilot/external.h"

#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/buf.h"

static bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool ident_char(char c) {
    return ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

/* A Python string literal at s[*i] (quote q) as a JSON string. */
static void py_string(TpBuf *b, const char *s, size_t n, size_t *i) {
    char q = s[*i];
    size_t k = *i + 1;
    tp_buf_append(b, "\"", 1);
    for (; k < n && s[k] != q; k++) {
        char c = s[k];
        if (c == '\\' && k + 1 < n) {
            char e = s[++k];
            if (e == '\'' || e == '"') {
                tp_buf_puts(b, e == '"' ? "\\\"" : "'");
            } else if (e == 'x' && k + 2 < n) {
                tp_buf_printf(b, "\\u00%c%c", s[k + 1], s[k + 2]);
                k += 2;
            } else if (strchr("nrtbf\\/u", e)) {
                char esc[2] = {'\\', e};
                tp_buf_append(b, esc, 2);
            } else {
                tp_buf_append(b, &e, 1);
            }
        } else if (c == '"') {
            tp_buf_puts(b, "\\\"");
        } else if ((unsigned char)c < 0x20) {
            tp_buf_printf(b, "\\u%04x", (unsigned)(unsigned char)c);
        } else {
            tp_buf_append(b, &c, 1);
        }
    }
    tp_buf_append(b, "\"", 1);
    *i = k; /* at the closing quote (or n) */
}

/* Past a string literal at s[i] (quote s[i]): the index of its closing
 * quote, or n. */
static size_t skip_string(const char *s, size_t n, size_t i) {
    char q = s[i];
    for (i++; i < n && s[i] != q; i++)
        if (s[i] == '\\')
            i++;
    return i < n ? i : n;
}

/* An open '(' while converting: a tuple (written as a JSON array) or a call
 * such as np.float64(1.5) (written as its first argument). */
typedef struct PyFrame {
    bool call;
    int brackets; /* '[' and '{' opened inside it and not yet closed */
    size_t mark;  /* output length when it opened */
} PyFrame;

/* Python literal text s[0..n) as JSON text (appended to b); best effort.
 * One pass with an explicit stack of open parentheses: linear in n, no
 * recursion, and false (give up) when they nest deeper than
 * TP_MAX_JSON_DEPTH. */
static bool py_to_json(TpBuf *b, const char *s, size_t n) {
    PyFrame stack[TP_MAX_JSON_DEPTH];
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        PyFrame *top = depth ? &stack[depth - 1] : NULL;
        if (c == '\'' || c == '"') {
            py_string(b, s, n, &i);
        } else if (c == '(') { /* a tuple */
            if (depth == TP_MAX_JSON_DEPTH)
                return false;
            stack[depth++] = (PyFrame){.call = false, .mark = b->len};
            tp_buf_append(b, "[", 1);
        } else if (c == '[' || c == '{') {
            if (top)
                top->brackets++;
            tp_buf_append(b, &c, 1);
        } else if ((c == ']' || c == '}') && top && top->brackets > 0) {
            top->brackets--;
            tp_buf_append(b, &c, 1);
        } else if (c == ')' && top && top->brackets == 0) {
            if (!top->call)
                tp_buf_append(b, "]", 1);
            else if (b->len == top->mark)
                tp_buf_puts(b, "null");
            depth--;
        } else if (c == ',' && top && top->call && top->brackets == 0) {
            /* the call's other arguments are dropped: skip to its ')' */
            int open = 1;
            for (i++; i < n && open > 0; i++) {
                if (s[i] == '\'' || s[i] == '"')
                    i = skip_string(s, n, i);
                else if (s[i] == '(' || s[i] == '[' || s[i] == '{')
                    open++;
                else if (s[i] == ')' || s[i] == ']' || s[i] == '}')
                    open--;
            }
            i--; /* at the ')' (or n - 1) */
            if (b->len == top->mark)
                tp_buf_puts(b, "null");
            depth--;
        } else if (ident_start(c) && (i == 0 || !ident_char(s[i - 1]))) {
            size_t e = i;
            while (e < n && ident_char(s[e]))
                e++;
            size_t len = e - i;
            const char *w = s + i;
            if (e < n && s[e] == '(') { /* np.float64(1.5), tensor(1.5, device=...) */
                if (depth == TP_MAX_JSON_DEPTH)
                    return false;
                stack[depth++] = (PyFrame){.call = true, .mark = b->len};
                i = e;
                continue;
            }
            if (len == 4 && !memcmp(w, "True", 4))
                tp_buf_puts(b, "true");
            else if (len == 5 && !memcmp(w, "False", 5))
                tp_buf_puts(b, "false");
            else if (len == 4 && !memcmp(w, "None", 4))
                tp_buf_puts(b, "null");
            else if ((len == 3 && !memcmp(w, "nan", 3)) || (len == 3 && !memcmp(w, "NaN", 3)))
                tp_buf_puts(b, "\"nan\""); /* read back by strtod: a diverged loss */
            else if ((len == 3 && !memcmp(w, "inf", 3)) || (len == 8 && !memcmp(w, "Infinity", 8)))
                tp_buf_puts(b, "\"inf\"");
            else if (len == 4 && !memcmp(w, "true", 4))
                tp_buf_puts(b, "true");
            else if (len == 5 && !memcmp(w, "false", 5))
                tp_buf_puts(b, "false");
            else if (len == 4 && !memcmp(w, "null", 4))
                tp_buf_puts(b, "null");
            else
                tp_buf_printf(b, "\"%.*s\"", (int)len, w);
            i = e - 1;
        } else if (c == '-' && i + 3 < n && !memcmp(s + i + 1, "inf", 3)) {
            tp_buf_puts(b, "\"-inf\"");
            i += 3;
        } else {
            tp_buf_append(b, &c, 1);
        }
    }
    while (depth > 0) { /* unbalanced: close what is open */
        PyFrame *top = &stack[--depth];
        if (!top->call)
            tp_buf_append(b, "]", 1);
        else if (b->len == top->mark)
            tp_buf_puts(b, "null");
    }
    return true;
}

/* The object in a line (JSON, else a Python dict), or NULL. */
cJSON *external_line_object(const char *line, size_t len) {
    const char *open = memchr(line, '{', len);
    if (!open)
        return NULL;
    const char *close = line + len;
    while (close > open && close[-1] != '}')
        close--;
    if (close <= open)
        return NULL;
    size_t n = (size_t)(close - open);
    cJSON *o = cJSON_ParseWithLength(open, n);
    if (!o) {
        TpBuf b;
        tp_buf_init(&b);
        if (py_to_json(&b, open, n) && b.data)
            o = cJSON_ParseWithLength(b.data, b.len);
        tp_buf_free(&b);
    }
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

