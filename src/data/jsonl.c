/* jsonl.c - the one reader of JSON Lines datasets: lines, one JSON value a
 * line with located errors, the record's format and the pilot's split. See
 * jsonl.h. */
#include "tunepilot/jsonl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/dataset.h"
#include "tunepilot/json.h"
#include "tunepilot/rng.h"
#include "tunepilot/utf8.h"

void jsonl_reader_init(JsonlReader *r, const char *data, size_t len) {
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        r->pos = 3; /* a UTF-8 byte order mark */
        r->bom = true;
    }
}

bool jsonl_next(JsonlReader *r, JsonlLine *out) {
    if (r->pos >= r->len)
        return false;
    const char *s = r->data + r->pos;
    const char *nl = memchr(s, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - s) : r->len - r->pos;
    r->pos += n + 1;
    r->line++;
    bool blank = true;
    for (size_t i = 0; i < n && blank; i++)
        blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\r';
    *out = (JsonlLine){.text = s, .len = n, .line = r->line, .blank = blank, .newline = nl != NULL};
    return true;
}

static cJSON *fault(JsonlProblem *p, JsonlFault f, const char *kind, size_t column) {
    p->fault = f;
    p->kind = kind;
    p->column = column;
    return NULL;
}

cJSON *jsonl_parse(const char *text, size_t len, unsigned flags, JsonlProblem *p) {
    memset(p, 0, sizeof *p);
    if (len > TP_MAX_LINE_BYTES) {
        snprintf(p->msg, sizeof p->msg,
                 "%zu bytes, over the limit TP_MAX_LINE_BYTES (%u MiB); expected one example per "
                 "line",
                 len, TP_MAX_LINE_BYTES >> 20);
        return fault(p, JSONL_TOO_LONG, "line_too_long", 0);
    }
    size_t nul = tp_json_find_nul_escape(text, len);
    if (nul != (size_t)-1) {
        snprintf(p->msg, sizeof p->msg,
                 "\\u0000 (a NUL character) in a string, which would cut the text there; "
                 "expected text without NUL characters");
        return fault(p, JSONL_NUL, "nul_character", nul + 1);
    }
    size_t bad;
    if ((flags & JSONL_CHECK_UTF8) && (bad = tp_utf8_check(text, len)) < len) {
        snprintf(p->msg, sizeof p->msg, "invalid UTF-8, expected UTF-8 text");
        return fault(p, JSONL_INVALID_UTF8, "invalid_utf8", bad + 1);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
        if (off >= len) {
            snprintf(p->msg, sizeof p->msg,
                     "invalid JSON: unexpected end of line, expected one complete JSON object per "
                     "line");
        } else {
            size_t near = len - off < 20 ? len - off : 20;
            while (near > 0 && text[off + near - 1] == '\r')
                near--;
            snprintf(p->msg, sizeof p->msg,
                     "invalid JSON near \"%.*s\", expected one JSON object per line", (int)near,
                     text + off);
        }
        return fault(p, JSONL_INVALID_JSON, "invalid_json", off + 1);
    }
    for (const char *q = end; q && q < text + len; q++) {
        if (*q != ' ' && *q != '\t' && *q != '\r') {
            cJSON_Delete(root);
            snprintf(p->msg, sizeof p->msg,
                     "trailing data after the JSON value, expected one object per line");
            return fault(p, JSONL_TRAILING, "invalid_json", (size_t)(q - text) + 1);
        }
    }
    return root;
}

int jsonl_detect(const cJSON *root) {
    if (!cJSON_IsObject(root))
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(root, "messages"))
        return DATASET_CHAT;
    if (cJSON_GetObjectItemCaseSensitive(root, "instruction") ||
        cJSON_GetObjectItemCaseSensitive(root, "output"))
        return DATASET_ALPACA;
    if (cJSON_GetObjectItemCaseSensitive(root, "prompt") ||
        cJSON_GetObjectItemCaseSensitive(root, "completion"))
        return DATASET_COMPLETION;
    return -1;
}

const char *jsonl_format_title(int format) {
    return format == DATASET_CHAT     ? "a chat record ({\"messages\": [...]})"
           : format == DATASET_ALPACA ? "an Alpaca record (instruction/input/output)"
                                      : "a prompt/completion record";
}

int jsonl_split_count(int n, double eval_split) {
    int n_eval = 0;
    if (eval_split > 0 && n >= 2) {
        n_eval = (int)floor(eval_split * n + 0.5);
        if (n_eval < 1)
            n_eval = 1;
        if (n_eval > n - 1)
            n_eval = n - 1;
    }
    return n_eval;
}

int jsonl_split(int n, double eval_split, uint64_t seed, unsigned char *is_eval) {
    int n_eval = jsonl_split_count(n, eval_split);
    int *perm = tp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    for (int i = 0; i < n; i++) {
        perm[i] = i;
        is_eval[i] = 0;
    }
    TpRng rng;
    tp_rng_seed(&rng, seed);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(tp_rng_uniform(&rng) * (i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < n_eval; i++)
        is_eval[perm[i]] = 1;
    free(perm);
    return n_eval;
}
