/* framework.c - parsing and strict validation of decision frameworks, and
 * the names of the decision vocabulary (verdicts, methods, question types,
 * operators).
 *
 * Over 800 lines on purpose: it is one strict reader of one document. The
 * questions, stages, conditions, rules and the checks across them (a
 * condition names a declared question, a rule a declared stage, ids are
 * unique, at least one rule gives a verdict) share one reading
 * context (FrameworkReader) and one error path, and change together whenever the
 * framework format does; split, a dozen field readers would become a private
 * interface without making any part readable alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/decide_impl.h"
#include "tunepilot/text.h"
#include "tunepilot/buf.h"
#include "tunepilot/json.h"

const char *const DECIDE_FACTS[] = {"train_gpu_memory_gb", "requests_per_day", NULL};

static const char *const VERDICT_NAMES[DECIDE_N_VERDICTS] = {
    "prompt_engineering", "rag", "fine_tune_hosted", "fine_tune_self_hosted", "hybrid_ft_rag",
    "not_yet"};
static const char *const VERDICT_TITLES[DECIDE_N_VERDICTS] = {
    "Prompt engineering",
    "Retrieval (RAG)",
    "Fine-tune, hosted (a provider's fine-tuning API)",
    "Fine-tune, self-hosted (your own GPUs)",
    "Hybrid: fine-tune plus retrieval",
    "Not yet"};

const char *decide_verdict_name(DecideVerdict v) {
    return (unsigned)v < DECIDE_N_VERDICTS ? VERDICT_NAMES[v] : "?";
}

const char *decide_verdict_title(DecideVerdict v) {
    return (unsigned)v < DECIDE_N_VERDICTS ? VERDICT_TITLES[v] : "?";
}

int decide_verdict_parse(const char *s) {
    for (int i = 0; s && i < DECIDE_N_VERDICTS; i++)
        if (!strcmp(s, VERDICT_NAMES[i]))
            return i;
    return -1;
}

bool decide_verdict_is_fine_tune(DecideVerdict v) {
    return v == DECIDE_FINE_TUNE_HOSTED || v == DECIDE_FINE_TUNE_SELF_HOSTED ||
           v == DECIDE_HYBRID_FT_RAG;
}

const char *decide_method_name(DecideMethod m) {
    switch (m) {
    case DECIDE_METHOD_LORA: return "lora";
    case DECIDE_METHOD_QLORA: return "qlora";
    case DECIDE_METHOD_FULL: return "full";
    default: return NULL;
    }
}

static int method_parse(const char *s) {
    if (!s)
        return -1;
    if (!strcmp(s, "lora"))
        return DECIDE_METHOD_LORA;
    if (!strcmp(s, "qlora"))
        return DECIDE_METHOD_QLORA;
    if (!strcmp(s, "full"))
        return DECIDE_METHOD_FULL;
    return -1;
}

const char *decide_qtype_name(DecideQType t) {
    switch (t) {
    case DECIDE_Q_YES_NO: return "yes_no";
    case DECIDE_Q_NUMBER: return "number";
    default: return "choice";
    }
}

const char *decide_op_symbol(DecideOp op) {
    static const char *const s[] = {"=", "!=", "<", "<=", ">", ">="};
    return (unsigned)op < 6 ? s[op] : "?";
}

bool decide_is_fact(const char *id) {
    for (int i = 0; id && DECIDE_FACTS[i]; i++)
        if (!strcmp(id, DECIDE_FACTS[i]))
            return true;
    return false;
}

const char *decide_fmt_num(double v, char *buf, size_t size) {
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf");
        return buf;
    }
    double a = fabs(v);
    if (a < 1e15 && v == floor(v)) {
        char digits[40];
        snprintf(digits, sizeof digits, "%s%.0f", v < 0 ? "-" : "", a);
        tp_text_group_digits(digits, buf, size);
    } else if (a >= 1000 && a < 1e15) {
        char whole[48];
        decide_fmt_num(v < 0 ? -floor(a) : floor(a), whole, sizeof whole);
        snprintf(buf, size, "%s.%02.0f", whole, floor((a - floor(a)) * 100));
    } else {
        snprintf(buf, size, "%.4g", v);
    }
    return buf;
}

/* --- reading --------------------------------------------------------------- */

typedef struct FrameworkReader {
    DecideFramework *fw;
    const char *name;
    const Pricing *pricing;
    TpError *err;
} FrameworkReader;

static bool valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n >= DECIDE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '_' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

static bool is_url(const char *s) {
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
           strlen(s) > 10;
}

static TpStatus fail_at(FrameworkReader *p, const char *path, const char *what) {
    return tp_error_set(p->err, TP_EINVAL, "%s: %s: %s", p->name, path, what);
}

/* A pricing rule's value: the point, or a range's midpoint/low/high. */
static TpStatus rule_value(FrameworkReader *p, const char *id, const char *bound, const char *path,
                           double *out) {
    if (!p->pricing)
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s: rule \"%s\" needs the pricing tables, none were given",
                            p->name, path, id);
    const PricingRule *r = pricing_rule(p->pricing, id);
    if (!r) {
        char list[700] = "";
        for (int i = 0; i < p->pricing->n_rules; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                     p->pricing->rules[i].id);
        }
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s: unknown rule of thumb \"%s\" (pricing/rules.json has: %s)",
                            p->name, path, id, list);
    }
    if (!bound || !strcmp(bound, "mid"))
        *out = (r->lo + r->hi) / 2;
    else if (!strcmp(bound, "low"))
        *out = r->lo;
    else
        *out = r->hi;
    return TP_OK;
}

/* Copies s into the arena, replacing each {rule:ID} with the rule's value. */
static TpStatus subst(FrameworkReader *p, const char *s, const char *path, const char **out) {
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_append(&b, "", 0);
    const char *q = s;
    TpStatus st = TP_OK;
    for (;;) {
        const char *open = strstr(q, "{rule:");
        if (!open) {
            tp_buf_puts(&b, q);
            break;
        }
        tp_buf_append(&b, q, (size_t)(open - q));
        const char *close = strchr(open, '}');
        size_t idlen = close ? (size_t)(close - open - 6) : 0;
        if (!close || idlen == 0 || idlen >= DECIDE_ID_MAX) {
            st = tp_error_set(p->err, TP_EINVAL,
                              "%s: %s: expected {rule:ID} with a rule id, near \"%.20s\"", p->name,
                              path, open);
            break;
        }
        char id[DECIDE_ID_MAX];
        memcpy(id, open + 6, idlen);
        id[idlen] = '\0';
        double unused;
        st = rule_value(p, id, NULL, path, &unused);
        if (st != TP_OK)
            break;
        const PricingRule *r = pricing_rule(p->pricing, id);
        char lo[48], hi[48];
        decide_fmt_num(r->lo, lo, sizeof lo);
        decide_fmt_num(r->hi, hi, sizeof hi);
        if (r->is_range)
            tp_buf_printf(&b, "%s-%s", lo, hi);
        else
            tp_buf_puts(&b, lo);
        q = close + 1;
    }
    if (st == TP_OK)
        *out = tp_arena_strdup(&p->fw->arena, b.data);
    tp_buf_free(&b);
    return st;
}

/* A string field: required ones must be non-empty. `text` fields get
 * {rule:ID} substitution. */
static TpStatus rd_str(FrameworkReader *p, const cJSON *o, const char *path, const char *key, bool required,
                       bool text, const char **out) {
    const char *s = NULL;
    bool present = false;
    TpStatus st = tp_json_string(o, key, p->name, path, required, &s, &present, p->err);
    if (st != TP_OK || !present)
        return st;
    char fp[512];
    tp_json_path_key(fp, sizeof fp, path, key);
    if (!*s)
        return fail_at(p, fp, "expected a non-empty string");
    if (text)
        return subst(p, s, fp, out);
    *out = tp_arena_strdup(&p->fw->arena, s);
    return TP_OK;
}

static TpStatus rd_id(FrameworkReader *p, const cJSON *o, const char *path, const char *key,
                      const char **out) {
    TpStatus st = rd_str(p, o, path, key, true, false, out);
    if (st != TP_OK)
        return st;
    if (!valid_id(*out))
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s.%s: expected an id of lower-case letters, digits, '_' and "
                            "'-' (at most %d characters), got \"%s\"",
                            p->name, path, key, DECIDE_ID_MAX - 1, *out);
    return TP_OK;
}

static TpStatus rd_url(FrameworkReader *p, const cJSON *o, const char *path, const char *key,
                       const char **out) {
    TpStatus st = rd_str(p, o, path, key, true, false, out);
    if (st == TP_OK && !is_url(*out))
        return tp_error_set(p->err, TP_EINVAL, "%s: %s.%s: expected a URL (https://...), got \"%s\"",
                            p->name, path, key, *out);
    return st;
}

static TpStatus rd_object(FrameworkReader *p, const cJSON *o, const char *path) {
    if (!cJSON_IsObject(o))
        return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected an object, got %s", p->name,
                            path, tp_json_type_name(o));
    return TP_OK;
}

/* An array field; `required` ones must be non-empty. *n = 0 when absent. */
static TpStatus rd_array(FrameworkReader *p, const cJSON *o, const char *path, const char *key,
                         bool required, const cJSON **out, int *n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    *n = 0;
    char fp[512];
    tp_json_path_key(fp, sizeof fp, path, key);
    if (!a && !required)
        return TP_OK;
    if (!cJSON_IsArray(a))
        return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected an array, got %s", p->name, fp,
                            tp_json_type_name(a));
    if (required && cJSON_GetArraySize(a) == 0)
        return fail_at(p, fp, "expected a non-empty array");
    *out = a;
    *n = cJSON_GetArraySize(a);
    return TP_OK;
}

/* --- questions -------------------------------------------------------------- */

static TpStatus parse_question(FrameworkReader *p, const cJSON *o, const char *path, DecideQuestion *q) {
    static const char *const keys[] = {"id",   "type", "text", "help",    "source",
                                       "unit", "min",  "max",  "choices", NULL};
    TpStatus st = rd_object(p, o, path);
    if (st == TP_OK)
        st = tp_json_check_keys(o, p->name, path, keys, p->err);
    if (st == TP_OK)
        st = rd_id(p, o, path, "id", &q->id);
    const char *type = NULL;
    if (st == TP_OK)
        st = rd_str(p, o, path, "type", true, false, &type);
    if (st == TP_OK) {
        if (!strcmp(type, "yes_no"))
            q->type = DECIDE_Q_YES_NO;
        else if (!strcmp(type, "number"))
            q->type = DECIDE_Q_NUMBER;
        else if (!strcmp(type, "choice"))
            q->type = DECIDE_Q_CHOICE;
        else
            return tp_error_set(p->err, TP_EINVAL,
                                "%s: %s.type: expected \"yes_no\", \"number\" or \"choice\", got "
                                "\"%s\"",
                                p->name, path, type);
    }
    if (st == TP_OK)
        st = rd_str(p, o, path, "text", true, true, &q->text);
    if (st == TP_OK)
        st = rd_str(p, o, path, "help", true, true, &q->help);
    if (st == TP_OK)
        st = rd_url(p, o, path, "source", &q->source);
    if (st == TP_OK)
        st = rd_str(p, o, path, "unit", false, false, &q->unit);
    if (st != TP_OK)
        return st;
    q->min = 0;
    q->max = 1e15;
    bool has_min = false, has_max = false;
    st = tp_json_number(o, "min", p->name, path, false, -1e15, 1e15, &q->min, &has_min, p->err);
    if (st == TP_OK)
        st = tp_json_number(o, "max", p->name, path, false, -1e15, 1e15, &q->max, &has_max,
                            p->err);
    if (st != TP_OK)
        return st;
    char fp[512];
    if ((has_min || has_max || q->unit) && q->type != DECIDE_Q_NUMBER) {
        tp_json_path_key(fp, sizeof fp, path, has_min ? "min" : has_max ? "max" : "unit");
        return fail_at(p, fp, "only a number question takes min, max or unit");
    }
    if (q->min > q->max) {
        tp_json_path_key(fp, sizeof fp, path, "max");
        return fail_at(p, fp, "expected a number >= min");
    }
    const cJSON *arr, *it;
    int n;
    st = rd_array(p, o, path, "choices", q->type == DECIDE_Q_CHOICE, &arr, &n);
    if (st != TP_OK)
        return st;
    tp_json_path_key(fp, sizeof fp, path, "choices");
    if (arr && q->type != DECIDE_Q_CHOICE)
        return fail_at(p, fp, "only a choice question takes choices");
    if (!arr)
        return TP_OK;
    q->n_choices = n;
    q->choices = tp_arena_alloc(&p->fw->arena, sizeof *q->choices * (size_t)n);
    int i = 0;
    static const char *const ckeys[] = {"id", "label", NULL};
    cJSON_ArrayForEach(it, arr) {
        char cp[600];
        tp_json_path_index(cp, sizeof cp, fp, i);
        st = rd_object(p, it, cp);
        if (st == TP_OK)
            st = tp_json_check_keys(it, p->name, cp, ckeys, p->err);
        if (st == TP_OK)
            st = rd_id(p, it, cp, "id", &q->choices[i].id);
        if (st == TP_OK)
            st = rd_str(p, it, cp, "label", true, true, &q->choices[i].label);
        if (st != TP_OK)
            return st;
        for (int k = 0; k < i; k++)
            if (!strcmp(q->choices[k].id, q->choices[i].id)) {
                char ip[640];
                tp_json_path_key(ip, sizeof ip, cp, "id");
                return tp_error_set(p->err, TP_EINVAL, "%s: %s: duplicate choice id \"%s\"",
                                    p->name, ip, q->choices[i].id);
            }
        i++;
    }
    return TP_OK;
}

/* --- conditions ---------------------------------------------------------------- */

static const char *const OPS[] = {"eq", "ne", "lt", "le", "gt", "ge", NULL};

/* A number operand: a literal or {"rule": ID, "times": k, "bound": b}. */
static TpStatus parse_number_operand(FrameworkReader *p, const cJSON *v, const char *path, DecideCond *c) {
    c->times = 1;
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        c->number = v->valuedouble;
        return TP_OK;
    }
    if (!cJSON_IsObject(v))
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s: expected a number or {\"rule\": ID}, got %s", p->name, path,
                            tp_json_type_name(v));
    static const char *const keys[] = {"rule", "times", "bound", NULL};
    TpStatus st = tp_json_check_keys(v, p->name, path, keys, p->err);
    const char *rule = NULL, *bound = NULL;
    if (st == TP_OK)
        st = rd_str(p, v, path, "rule", true, false, &rule);
    if (st == TP_OK)
        st = tp_json_number(v, "times", p->name, path, false, 1e-9, 1e9, &c->times, NULL, p->err);
    if (st == TP_OK)
        st = rd_str(p, v, path, "bound", false, false, &bound);
    if (st != TP_OK)
        return st;
    if (bound && strcmp(bound, "low") && strcmp(bound, "high") && strcmp(bound, "mid"))
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s.bound: expected \"low\", \"mid\" or \"high\", got \"%s\"",
                            p->name, path, bound);
    char rp[600];
    tp_json_path_key(rp, sizeof rp, path, "rule");
    double base;
    st = rule_value(p, rule, bound, rp, &base);
    if (st != TP_OK)
        return st;
    c->rule = rule;
    c->number = base * c->times;
    return TP_OK;
}

static TpStatus parse_cond(FrameworkReader *p, const cJSON *j, const char *path, int n_rules_before,
                           DecideCond *c);

static TpStatus parse_list(FrameworkReader *p, const cJSON *arr, const char *path, int n_rules_before,
                           DecideCond *c) {
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected a non-empty array of conditions, got %s",
                            p->name, path, tp_json_type_name(arr));
    c->n_kids = cJSON_GetArraySize(arr);
    c->kids = tp_arena_alloc(&p->fw->arena, sizeof *c->kids * (size_t)c->n_kids);
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, arr) {
        char kp[600];
        tp_json_path_index(kp, sizeof kp, path, i);
        TpStatus st = parse_cond(p, it, kp, n_rules_before, &c->kids[i++]);
        if (st != TP_OK)
            return st;
    }
    return TP_OK;
}

static TpStatus parse_cond(FrameworkReader *p, const cJSON *j, const char *path, int n_rules_before,
                           DecideCond *c) {
    TpStatus st = rd_object(p, j, path);
    if (st != TP_OK)
        return st;
    static const char *const forms[] = {"all", "any", "not", "always", "fired", "q", "fact", NULL};
    const char *form = NULL;
    for (int i = 0; forms[i]; i++) {
        if (cJSON_GetObjectItemCaseSensitive(j, forms[i])) {
            if (form)
                return tp_error_set(p->err, TP_EINVAL,
                                    "%s: %s: expected one of all, any, not, always, fired, q or "
                                    "fact, got both %s and %s",
                                    p->name, path, form, forms[i]);
            form = forms[i];
        }
    }
    if (!form)
        return fail_at(p, path,
                       "expected a condition: {\"all\": [...]}, {\"any\": [...]}, {\"not\": C}, "
                       "{\"always\": true}, {\"fired\": RULE}, {\"q\": ID, OP: V} or {\"fact\": "
                       "ID, OP: V}");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, form);
    char fp[600];
    tp_json_path_key(fp, sizeof fp, path, form);
    c->ref_index = -1;
    if (!strcmp(form, "all") || !strcmp(form, "any") || !strcmp(form, "not") ||
        !strcmp(form, "always") || !strcmp(form, "fired")) {
        const char *only[] = {form, NULL};
        st = tp_json_check_keys(j, p->name, path, only, p->err);
        if (st != TP_OK)
            return st;
    }
    if (!strcmp(form, "all") || !strcmp(form, "any")) {
        c->kind = form[1] == 'l' ? DECIDE_COND_ALL : DECIDE_COND_ANY;
        return parse_list(p, v, fp, n_rules_before, c);
    }
    if (!strcmp(form, "not")) {
        c->kind = DECIDE_COND_NOT;
        c->n_kids = 1;
        c->kids = tp_arena_alloc(&p->fw->arena, sizeof *c->kids);
        return parse_cond(p, v, fp, n_rules_before, c->kids);
    }
    if (!strcmp(form, "always")) {
        if (!cJSON_IsTrue(v))
            return fail_at(p, fp, "expected true");
        c->kind = DECIDE_COND_ALWAYS;
        return TP_OK;
    }
    if (!strcmp(form, "fired")) {
        c->kind = DECIDE_COND_FIRED;
        if (!cJSON_IsString(v))
            return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected a rule id, got %s", p->name,
                                fp, tp_json_type_name(v));
        for (int i = 0; i < n_rules_before; i++)
            if (!strcmp(p->fw->rules[i].id, v->valuestring)) {
                c->ref = p->fw->rules[i].id;
                c->ref_index = i;
                return TP_OK;
            }
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s: expected the id of an earlier rule, got \"%s\"", p->name, fp,
                            v->valuestring);
    }
    /* q or fact, with exactly one operator */
    const char *allowed[] = {form, "eq", "ne", "lt", "le", "gt", "ge", NULL};
    st = tp_json_check_keys(j, p->name, path, allowed, p->err);
    if (st != TP_OK)
        return st;
    if (!cJSON_IsString(v))
        return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected a %s id, got %s", p->name, fp,
                            form[0] == 'q' ? "question" : "fact", tp_json_type_name(v));
    const DecideQuestion *q = NULL;
    if (form[0] == 'q') {
        c->kind = DECIDE_COND_Q;
        c->ref_index = decide_question_index(p->fw, v->valuestring);
        if (c->ref_index < 0) {
            char list[700] = "";
            for (int i = 0; i < p->fw->n_questions; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         p->fw->questions[i].id);
            }
            return tp_error_set(p->err, TP_EINVAL, "%s: %s: unknown question \"%s\" (questions: %s)",
                                p->name, fp, v->valuestring, list);
        }
        q = &p->fw->questions[c->ref_index];
        c->ref = q->id;
    } else {
        c->kind = DECIDE_COND_FACT;
        if (!decide_is_fact(v->valuestring)) {
            char list[256] = "";
            for (int i = 0; DECIDE_FACTS[i]; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", DECIDE_FACTS[i]);
            }
            return tp_error_set(p->err, TP_EINVAL, "%s: %s: unknown fact \"%s\" (facts: %s)",
                                p->name, fp, v->valuestring, list);
        }
        c->ref = tp_arena_strdup(&p->fw->arena, v->valuestring);
    }
    int op = -1;
    for (int i = 0; OPS[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(j, OPS[i])) {
            if (op >= 0)
                return tp_error_set(p->err, TP_EINVAL,
                                    "%s: %s: expected one comparison, got both %s and %s",
                                    p->name, path, OPS[op], OPS[i]);
            op = i;
        }
    if (op < 0)
        return fail_at(p, path, "expected a comparison: eq, ne, lt, le, gt or ge");
    c->op = (DecideOp)op;
    const cJSON *operand = cJSON_GetObjectItemCaseSensitive(j, OPS[op]);
    char opp[640];
    tp_json_path_key(opp, sizeof opp, path, OPS[op]);
    DecideQType type = q ? q->type : DECIDE_Q_NUMBER;
    if (type != DECIDE_Q_NUMBER && op > DECIDE_OP_NE)
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s: %s is a %s question: expected eq or ne, got %s", p->name,
                            opp, c->ref, decide_qtype_name(type), OPS[op]);
    if (type == DECIDE_Q_YES_NO) {
        if (!cJSON_IsBool(operand))
            return tp_error_set(p->err, TP_EINVAL,
                                "%s: %s: expected true or false (%s is a yes/no question), got %s",
                                p->name, opp, c->ref, tp_json_type_name(operand));
        c->yes = cJSON_IsTrue(operand);
        return TP_OK;
    }
    if (type == DECIDE_Q_CHOICE) {
        if (cJSON_IsString(operand))
            for (int i = 0; i < q->n_choices; i++)
                if (!strcmp(q->choices[i].id, operand->valuestring)) {
                    c->choice = q->choices[i].id;
                    return TP_OK;
                }
        char list[512] = "";
        for (int i = 0; i < q->n_choices; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", q->choices[i].id);
        }
        return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected one of the choices of %s: %s",
                            p->name, opp, c->ref, list);
    }
    return parse_number_operand(p, operand, opp, c);
}

/* --- rules ---------------------------------------------------------------------- */

static int stage_index(const DecideFramework *fw, const char *id) {
    for (int i = 0; i < fw->n_stages; i++)
        if (!strcmp(fw->stages[i].id, id))
            return i;
    return -1;
}

/* {method, why}; `own` checks that o has no other field (a method_hint
 * object), else o is a method rule checked by the caller. */
static TpStatus parse_method_hint(FrameworkReader *p, const cJSON *o, const char *path, bool own,
                                  DecideMethod *m, const char **why) {
    static const char *const keys[] = {"method", "why", NULL};
    TpStatus st = rd_object(p, o, path);
    if (st == TP_OK && own)
        st = tp_json_check_keys(o, p->name, path, keys, p->err);
    const char *name = NULL;
    if (st == TP_OK)
        st = rd_str(p, o, path, "method", true, false, &name);
    if (st != TP_OK)
        return st;
    int mv = method_parse(name);
    if (mv < 0)
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: %s.method: expected \"lora\", \"qlora\" or \"full\", got \"%s\"",
                            p->name, path, name);
    *m = (DecideMethod)mv;
    return rd_str(p, o, path, "why", true, true, why);
}

static TpStatus parse_rule(FrameworkReader *p, const cJSON *o, const char *path, int index, DecideRule *r) {
    static const char *const keys[] = {"id",          "when",  "verdict", "explain", "stop",
                                       "method_hint", "stage", "next",    NULL};
    TpStatus st = rd_object(p, o, path);
    if (st == TP_OK)
        st = tp_json_check_keys(o, p->name, path, keys, p->err);
    if (st == TP_OK)
        st = rd_id(p, o, path, "id", &r->id);
    if (st != TP_OK)
        return st;
    for (int i = 0; i < index; i++)
        if (!strcmp(p->fw->rules[i].id, r->id))
            return tp_error_set(p->err, TP_EINVAL, "%s: %s.id: duplicate rule id \"%s\"", p->name,
                                path, r->id);
    char fp[600];
    tp_json_path_key(fp, sizeof fp, path, "when");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(o, "when");
    if (!when)
        return fail_at(p, fp, "missing, expected a condition");
    st = parse_cond(p, when, fp, index, &r->when);
    const char *verdict = NULL;
    if (st == TP_OK)
        st = rd_str(p, o, path, "verdict", false, false, &verdict);
    if (st == TP_OK)
        st = rd_str(p, o, path, "explain", true, true, &r->explain);
    if (st != TP_OK)
        return st;
    if (verdict) {
        int v = decide_verdict_parse(verdict);
        if (v < 0)
            return tp_error_set(p->err, TP_EINVAL,
                                "%s: %s.verdict: expected one of prompt_engineering, rag, "
                                "fine_tune_hosted, fine_tune_self_hosted, hybrid_ft_rag, "
                                "not_yet; got \"%s\"",
                                p->name, path, verdict);
        r->has_verdict = true;
        r->verdict = (DecideVerdict)v;
    }
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stop");
    r->stop = r->has_verdict;
    if (stop) {
        tp_json_path_key(fp, sizeof fp, path, "stop");
        if (!cJSON_IsBool(stop))
            return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected true or false, got %s",
                                p->name, fp, tp_json_type_name(stop));
        if (!r->has_verdict)
            return fail_at(p, fp, "only a rule with a verdict can stop the walk");
        r->stop = cJSON_IsTrue(stop);
    }
    const cJSON *mh = cJSON_GetObjectItemCaseSensitive(o, "method_hint");
    if (mh) {
        tp_json_path_key(fp, sizeof fp, path, "method_hint");
        if (!r->has_verdict || !decide_verdict_is_fine_tune(r->verdict))
            return fail_at(p, fp, "only a rule with a fine-tune verdict takes a method hint");
        st = parse_method_hint(p, mh, fp, true, &r->method, &r->method_why);
        if (st != TP_OK)
            return st;
    }
    const char *stage = NULL;
    r->stage = -1;
    st = rd_str(p, o, path, "stage", false, false, &stage);
    if (st == TP_OK && stage) {
        r->stage = stage_index(p->fw, stage);
        if (r->stage < 0) {
            tp_json_path_key(fp, sizeof fp, path, "stage");
            return tp_error_set(p->err, TP_EINVAL,
                                "%s: %s: unknown stage \"%s\" (declare it in $.stages)", p->name,
                                fp, stage);
        }
    }
    if (st == TP_OK)
        st = rd_str(p, o, path, "next", false, true, &r->next);
    return st;
}

static TpStatus parse_method_rule(FrameworkReader *p, const cJSON *o, const char *path, int index,
                                  DecideMethodRule *m) {
    static const char *const keys[] = {"id", "when", "method", "why", NULL};
    TpStatus st = rd_object(p, o, path);
    if (st == TP_OK)
        st = tp_json_check_keys(o, p->name, path, keys, p->err);
    if (st == TP_OK)
        st = rd_id(p, o, path, "id", &m->id);
    if (st != TP_OK)
        return st;
    for (int i = 0; i < index; i++)
        if (!strcmp(p->fw->method_rules[i].id, m->id))
            return tp_error_set(p->err, TP_EINVAL, "%s: %s.id: duplicate method rule id \"%s\"",
                                p->name, path, m->id);
    char fp[600];
    tp_json_path_key(fp, sizeof fp, path, "when");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(o, "when");
    if (!when)
        return fail_at(p, fp, "missing, expected a condition");
    st = parse_cond(p, when, fp, p->fw->n_rules, &m->when);
    if (st != TP_OK)
        return st;
    return parse_method_hint(p, o, path, false, &m->method, &m->why);
}

/* --- the document ------------------------------------------------------------ */

static TpStatus parse_doc(FrameworkReader *p, const cJSON *root) {
    static const char *const keys[] = {"kind",      "format_version", "id",          "title",
                                       "description", "source",       "as_of",       "walk",
                                       "questions", "rules",          "stages",      "method_rules",
                                       "verdicts",  "note",           NULL};
    DecideFramework *fw = p->fw;
    TpStatus st = rd_object(p, root, "$");
    if (st == TP_OK)
        st = tp_json_check_keys(root, p->name, "$", keys, p->err);
    const char *kind = NULL;
    if (st == TP_OK)
        st = rd_str(p, root, "$", "kind", true, false, &kind);
    if (st == TP_OK && strcmp(kind, "tunepilot.framework"))
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: $.kind: expected \"tunepilot.framework\", got \"%s\"", p->name,
                            kind);
    long long version = 0;
    if (st == TP_OK)
        st = tp_json_integer(root, "format_version", p->name, "$", true, 0, 1000000, &version,
                             NULL, p->err);
    if (st == TP_OK && version != DECIDE_FORMAT_VERSION)
        return tp_error_set(p->err, TP_EINVAL,
                            "%s: $.format_version: expected %d (this tunepilot reads version %d), "
                            "got %lld",
                            p->name, DECIDE_FORMAT_VERSION, DECIDE_FORMAT_VERSION, version);
    if (st == TP_OK)
        st = rd_id(p, root, "$", "id", &fw->id);
    if (st == TP_OK)
        st = rd_str(p, root, "$", "title", true, true, &fw->title);
    if (st == TP_OK)
        st = rd_str(p, root, "$", "description", true, true, &fw->description);
    if (st == TP_OK)
        st = rd_url(p, root, "$", "source", &fw->source);
    if (st == TP_OK)
        st = rd_str(p, root, "$", "as_of", true, false, &fw->as_of);
    if (st == TP_OK && !tp_is_iso_date(fw->as_of))
        return tp_error_set(p->err, TP_EINVAL, "%s: $.as_of: expected a date YYYY-MM-DD, got \"%s\"",
                            p->name, fw->as_of);
    const char *walk = NULL;
    if (st == TP_OK)
        st = rd_str(p, root, "$", "walk", true, false, &walk);
    if (st != TP_OK)
        return st;
    if (!strcmp(walk, "ordered"))
        fw->walk = DECIDE_WALK_ORDERED;
    else if (!strcmp(walk, "all"))
        fw->walk = DECIDE_WALK_ALL;
    else
        return tp_error_set(p->err, TP_EINVAL, "%s: $.walk: expected \"ordered\" or \"all\", got \"%s\"",
                            p->name, walk);

    const cJSON *arr, *it;
    int n, i;
    /* questions */
    st = rd_array(p, root, "$", "questions", true, &arr, &n);
    if (st != TP_OK)
        return st;
    fw->questions = tp_arena_alloc(&fw->arena, sizeof *fw->questions * (size_t)n);
    i = 0;
    cJSON_ArrayForEach(it, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.questions", i);
        st = parse_question(p, it, path, &fw->questions[i]);
        if (st != TP_OK)
            return st;
        if (decide_question_index(fw, fw->questions[i].id) >= 0 || decide_is_fact(fw->questions[i].id))
            return tp_error_set(p->err, TP_EINVAL, "%s: %s.id: duplicate question id \"%s\"%s",
                                p->name, path, fw->questions[i].id,
                                decide_is_fact(fw->questions[i].id) ? " (a fact's name)" : "");
        fw->n_questions = ++i;
    }
    /* stages */
    static const char *const skeys[] = {"id", "title", NULL};
    st = rd_array(p, root, "$", "stages", false, &arr, &n);
    if (st != TP_OK)
        return st;
    fw->stages = n ? tp_arena_alloc(&fw->arena, sizeof *fw->stages * (size_t)n) : NULL;
    i = 0;
    cJSON_ArrayForEach(it, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.stages", i);
        st = rd_object(p, it, path);
        if (st == TP_OK)
            st = tp_json_check_keys(it, p->name, path, skeys, p->err);
        if (st == TP_OK)
            st = rd_id(p, it, path, "id", &fw->stages[i].id);
        if (st == TP_OK)
            st = rd_str(p, it, path, "title", true, true, &fw->stages[i].title);
        if (st != TP_OK)
            return st;
        if (stage_index(fw, fw->stages[i].id) >= 0)
            return tp_error_set(p->err, TP_EINVAL, "%s: %s.id: duplicate stage id \"%s\"",
                                p->name, path, fw->stages[i].id);
        fw->n_stages = ++i;
    }
    /* rules */
    st = rd_array(p, root, "$", "rules", true, &arr, &n);
    if (st != TP_OK)
        return st;
    fw->rules = tp_arena_alloc(&fw->arena, sizeof *fw->rules * (size_t)n);
    i = 0;
    bool any_verdict = false;
    cJSON_ArrayForEach(it, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.rules", i);
        st = parse_rule(p, it, path, i, &fw->rules[i]);
        if (st != TP_OK)
            return st;
        any_verdict |= fw->rules[i].has_verdict;
        fw->n_rules = ++i;
    }
    if (!any_verdict)
        return fail_at(p, "$.rules", "expected at least one rule with a verdict");
    /* method rules */
    st = rd_array(p, root, "$", "method_rules", false, &arr, &n);
    if (st != TP_OK)
        return st;
    fw->method_rules = n ? tp_arena_alloc(&fw->arena, sizeof *fw->method_rules * (size_t)n) : NULL;
    i = 0;
    cJSON_ArrayForEach(it, arr) {
        char path[64];
        tp_json_path_index(path, sizeof path, "$.method_rules", i);
        st = parse_method_rule(p, it, path, i, &fw->method_rules[i]);
        if (st != TP_OK)
            return st;
        fw->n_method_rules = ++i;
    }
    /* verdict texts */
    const cJSON *vt = cJSON_GetObjectItemCaseSensitive(root, "verdicts");
    if (vt) {
        st = rd_object(p, vt, "$.verdicts");
        if (st != TP_OK)
            return st;
        cJSON_ArrayForEach(it, vt) {
            char path[128];
            tp_json_path_key(path, sizeof path, "$.verdicts", it->string ? it->string : "?");
            int v = decide_verdict_parse(it->string);
            if (v < 0)
                return fail_at(p, path,
                               "unknown verdict (expected one of prompt_engineering, rag, "
                               "fine_tune_hosted, fine_tune_self_hosted, hybrid_ft_rag, not_yet)");
            if (!cJSON_IsString(it) || !*it->valuestring)
                return tp_error_set(p->err, TP_EINVAL, "%s: %s: expected a non-empty string, got %s",
                                    p->name, path, tp_json_type_name(it));
            st = subst(p, it->valuestring, path, &fw->verdict_text[v]);
            if (st != TP_OK)
                return st;
        }
    }
    return TP_OK;
}

TpStatus decide_framework_parse(const char *text, size_t len, const char *name,
                                const Pricing *pricing, DecideFramework *fw, TpError *err) {
    memset(fw, 0, sizeof *fw);
    tp_arena_init(&fw->arena);
    fw->name = tp_arena_strdup(&fw->arena, name ? name : "framework");
    cJSON *root = NULL;
    TpStatus st = tp_json_parse(text, len, fw->name, &root, err);
    if (st == TP_OK) {
        FrameworkReader p = {fw, fw->name, pricing, err};
        st = parse_doc(&p, root);
    }
    cJSON_Delete(root);
    if (st != TP_OK)
        decide_framework_free(fw);
    return st;
}

void decide_framework_free(DecideFramework *fw) {
    if (!fw)
        return;
    tp_arena_free(&fw->arena);
    memset(fw, 0, sizeof *fw);
}

int decide_question_index(const DecideFramework *fw, const char *id) {
    for (int i = 0; id && i < fw->n_questions; i++)
        if (!strcmp(fw->questions[i].id, id))
            return i;
    return -1;
}

const DecideQuestion *decide_find_question(const DecideFramework *fw, const char *id) {
    int i = decide_question_index(fw, id);
    return i >= 0 ? &fw->questions[i] : NULL;
}

const DecideRule *decide_find_rule(const DecideFramework *fw, const char *id) {
    for (int i = 0; id && i < fw->n_rules; i++)
        if (!strcmp(fw->rules[i].id, id))
            return &fw->rules[i];
    return NULL;
}
