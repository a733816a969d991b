/* remote_audit.c - OpenAI-format checks of chat fine-tuning data (no
 * tokenizer: 4 characters per token), and the training-cost estimate with
 * OpenAI's default-epochs rule. See remote.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/fileio.h"
#include "tunepilot/jsonl.h"
#include "tunepilot/remote.h"
#include "tunepilot/utf8.h"

long long remote_approx_tokens(const char *s) {
    long long cp = (long long)tp_utf8_count(s); /* code points, not bytes */
    return (cp + 3) / 4;
}

static void problem(RemoteAudit *a, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(RemoteAudit *a, const char *name, int line, const char *fmt, ...) {
    if (a->n_problems >= REMOTE_MAX_PROBLEMS)
        return;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(a->problems[a->n_problems++], sizeof a->problems[0], "%s:%d: %s", name, line,
                 what);
    else
        snprintf(a->problems[a->n_problems++], sizeof a->problems[0], "%s: %s", name, what);
}

static bool in_list(const char *s, const char *const *list) {
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

static long long json_tokens(const cJSON *it) {
    char *s = cJSON_PrintUnformatted(it);
    long long t = remote_approx_tokens(s);
    cJSON_free(s);
    return t;
}

/* Content tokens: a string, or the text parts of an array of parts. */
static long long content_tokens(const cJSON *c) {
    if (cJSON_IsString(c))
        return remote_approx_tokens(c->valuestring);
    long long t = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, c) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text))
            t += remote_approx_tokens(text->valuestring);
    }
    return t;
}

/* One example (a parsed line). */
static void audit_example(RemoteAudit *a, const cJSON *ex, const char *name, int line) {
    static const char *const top[] = {"messages", "tools", "functions", "parallel_tool_calls",
                                      NULL};
    static const char *const keys[] = {"role",          "content",    "name",
                                       "function_call", "tool_calls", "tool_call_id",
                                       "weight",        "refusal",    NULL};
    static const char *const roles[] = {"system", "developer", "user", "assistant",
                                        "tool",   "function",  NULL};
    if (!cJSON_IsObject(ex)) {
        a->data_type++;
        problem(a, name, line, "expected a JSON object per line");
        return;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, ex) {
        if (!in_list(k->string, top)) {
            a->unknown_top_level_key++;
            problem(a, name, line, "warning: unknown top-level key \"%s\"", k->string);
            break;
        }
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(ex, "messages");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
        a->missing_messages_list++;
        problem(a, name, line, "expected \"messages\": a non-empty list");
        return;
    }
    bool assistant = false, system = false, user = false;
    long long tokens = 3; /* priming */
    int idx = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        int i = idx++;
        if (!cJSON_IsObject(m)) {
            a->message_missing_key++;
            problem(a, name, line, "messages[%d]: expected an object with role and content", i);
            continue;
        }
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(m, "function_call");
        const cJSON *tc = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        bool calls = (fc && !cJSON_IsNull(fc)) || (tc && !cJSON_IsNull(tc));
        cJSON_ArrayForEach(k, m) {
            if (!in_list(k->string, keys)) {
                a->message_unrecognized_key++;
                problem(a, name, line, "messages[%d]: unrecognized key \"%s\"", i, k->string);
            }
        }
        if (!cJSON_IsString(role) || (!content && !calls)) {
            a->message_missing_key++;
            problem(a, name, line, "messages[%d]: missing \"%s\"", i,
                    !cJSON_IsString(role) ? "role" : "content");
            continue;
        }
        if (!in_list(role->valuestring, roles)) {
            a->unrecognized_role++;
            problem(a, name, line,
                    "messages[%d]: unrecognized role \"%s\" (expected system, user or "
                    "assistant)",
                    i, role->valuestring);
        }
        if (!calls && !cJSON_IsString(content) && !cJSON_IsArray(content)) {
            a->missing_content++;
            problem(a, name, line, "messages[%d]: content must be a string", i);
        }
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(m, "weight");
        if (w && (!cJSON_IsNumber(w) || (w->valuedouble != 0 && w->valuedouble != 1) ||
                  strcmp(role->valuestring, "assistant"))) {
            a->invalid_weight++;
            problem(a, name, line, "messages[%d]: weight must be 0 or 1, on assistant messages", i);
        }
        assistant |= !strcmp(role->valuestring, "assistant");
        system |= !strcmp(role->valuestring, "system") || !strcmp(role->valuestring, "developer");
        user |= !strcmp(role->valuestring, "user");
        tokens += 3 + content_tokens(content);
        if (cJSON_GetObjectItemCaseSensitive(m, "name"))
            tokens += 1;
        if (fc && !cJSON_IsNull(fc))
            tokens += json_tokens(fc);
        if (tc && !cJSON_IsNull(tc))
            tokens += json_tokens(tc);
    }
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(ex, "tools");
    if (tools)
        tokens += json_tokens(tools);
    if (!assistant) {
        a->example_missing_assistant_message++;
        problem(a, name, line, "no assistant message (nothing to learn from)");
    }
    if (!system)
        a->no_system++;
    if (!user)
        a->no_user++;
    if (tokens > REMOTE_MAX_TOKENS_PER_EXAMPLE) {
        a->over_token_limit++;
        problem(a, name, line, "warning: about %lld tokens; only the first %d are trained on",
                tokens, REMOTE_MAX_TOKENS_PER_EXAMPLE);
    }
    a->approx_tokens += tokens;
    a->billed_tokens +=
        tokens < REMOTE_MAX_TOKENS_PER_EXAMPLE ? tokens : REMOTE_MAX_TOKENS_PER_EXAMPLE;
    if (tokens > a->max_example_tokens)
        a->max_example_tokens = tokens;
}

void remote_audit_text(const char *text, size_t len, const char *name, int min_examples,
                       RemoteAudit *a) {
    memset(a, 0, sizeof *a);
    JsonlReader rd;
    JsonlLine ln;
    jsonl_reader_init(&rd, text, len);
    while (jsonl_next(&rd, &ln)) {
        if (ln.blank) {
            if (ln.newline) /* a blank line inside the file, not the final newline */
                a->blank_lines++;
            continue;
        }
        JsonlProblem p;
        cJSON *ex = jsonl_parse(ln.text, ln.len, JSONL_CHECK_UTF8, &p);
        a->n_examples++;
        if (!ex) {
            /* the service refuses the file for any of these; counted with the cookbook's
             * invalid_json, named in the problem */
            a->invalid_json++;
            if (p.fault == JSONL_INVALID_JSON || p.fault == JSONL_TRAILING)
                problem(a, name, ln.line, "invalid JSON at column %zu: %s", p.column, p.msg);
            else if (p.column)
                problem(a, name, ln.line, "column %zu: %s", p.column, p.msg);
            else
                problem(a, name, ln.line, "%s", p.msg);
            continue;
        }
        audit_example(a, ex, name, ln.line);
        cJSON_Delete(ex);
    }
    int too_few = a->n_examples < min_examples;
    if (too_few)
        problem(a, name, 0, "%d examples; at least %d are required", a->n_examples, min_examples);
    a->n_errors = a->data_type + a->missing_messages_list + a->message_missing_key +
                  a->message_unrecognized_key + a->unrecognized_role + a->missing_content +
                  a->example_missing_assistant_message + a->invalid_json + a->invalid_weight +
                  too_few;
    a->n_warnings =
        a->no_system + a->no_user + a->blank_lines + a->unknown_top_level_key + a->over_token_limit;
}

TpStatus remote_audit_file(const char *path, int min_examples, RemoteAudit *a, TpError *err) {
    char *text = NULL;
    size_t len = 0;
    memset(a, 0, sizeof *a);
    TpStatus st = tp_file_read(path, REMOTE_MAX_FILE_BYTES, &text, &len, err);
    if (st == TP_OK)
        remote_audit_text(text, len, path, min_examples, a);
    free(text);
    return st;
}

int remote_default_epochs(long long n) {
    int epochs = 3;
    if (n <= 0)
        return 25;
    if (n * 3 < 100)
        epochs = 100 / n < 25 ? (int)(100 / n) : 25;
    if (n * 3 > 25000)
        epochs = 25000 / n > 1 ? (int)(25000 / n) : 1;
    return epochs;
}

void remote_estimate(const Pricing *p, const char *model, const RemoteAudit *train, int epochs,
                     RemoteEstimate *e) {
    memset(e, 0, sizeof *e);
    e->epochs_auto = epochs <= 0;
    e->epochs = epochs > 0 ? epochs : remote_default_epochs(train->n_examples);
    e->billed_tokens = train->billed_tokens;
    e->charged_tokens = e->billed_tokens * e->epochs;
    e->training_per_mtok = NAN;
    e->cost_usd = NAN;
    const PricingFinetune *f = p ? pricing_find_finetune(p, model) : NULL;
    if (!f)
        return;
    e->price_id = f->id;
    e->price_source = f->source;
    e->price_as_of = f->as_of;
    e->training_per_mtok = f->training_per_mtok;
    if (!isnan(f->training_per_mtok))
        e->cost_usd = (double)e->charged_tokens * f->training_per_mtok / 1e6;
}
