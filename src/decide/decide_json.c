/* decide_json.c - answers documents in, decisions out. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "decide/decide_impl.h"
#include "tunepilot/json.h"

static const char *type_expectation(DecideQType t) {
    switch (t) {
    case DECIDE_Q_YES_NO: return "true or false";
    case DECIDE_Q_NUMBER: return "a number";
    default: return "a choice id";
    }
}

static TpStatus one_value(const DecideFramework *fw, const char *id, const cJSON *v,
                          const char *name, const char *path, DecideOrigin origin,
                          const char *detail, DecideAnswers *out, TpError *err) {
    const DecideQuestion *q = decide_find_question(fw, id);
    DecideQType type = q ? q->type : DECIDE_Q_NUMBER;
    const char *qdesc = q ? (type == DECIDE_Q_YES_NO   ? "a yes/no question"
                             : type == DECIDE_Q_NUMBER ? "a number question"
                                                       : "a choice question")
                          : "a fact";
    if (type == DECIDE_Q_YES_NO) {
        if (!cJSON_IsBool(v))
            return tp_error_set(err, TP_EINVAL, "%s: %s: expected true or false (%s is %s), got %s",
                                name, path, id, qdesc, tp_json_type_name(v));
        decide_answers_set_yes_no(out, id, cJSON_IsTrue(v), origin, detail);
        return TP_OK;
    }
    if (type == DECIDE_Q_NUMBER) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return tp_error_set(err, TP_EINVAL, "%s: %s: expected a number (%s is %s%s%s), got %s",
                                name, path, id, qdesc, q && q->unit ? ", in " : "",
                                q && q->unit ? q->unit : "", tp_json_type_name(v));
        double x = v->valuedouble;
        if (q && (x < q->min || x > q->max)) {
            char lo[48], hi[48];
            return tp_error_set(err, TP_EINVAL, "%s: %s: expected a number in [%s, %s], got %g",
                                name, path, decide_fmt_num(q->min, lo, sizeof lo),
                                decide_fmt_num(q->max, hi, sizeof hi), x);
        }
        decide_answers_set_number(out, id, x, origin, detail);
        return TP_OK;
    }
    if (cJSON_IsString(v))
        for (int i = 0; i < q->n_choices; i++)
            if (!strcmp(q->choices[i].id, v->valuestring)) {
                decide_answers_set_choice(out, id, q->choices[i].id, origin, detail);
                return TP_OK;
            }
    char list[512] = "";
    for (int i = 0; i < q->n_choices; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", q->choices[i].id);
    }
    if (cJSON_IsString(v))
        return tp_error_set(err, TP_EINVAL, "%s: %s: expected one of %s (%s is %s), got \"%s\"",
                            name, path, list, id, qdesc, v->valuestring);
    return tp_error_set(err, TP_EINVAL, "%s: %s: expected one of %s (%s is %s), got %s", name,
                        path, list, id, qdesc, tp_json_type_name(v));
}

TpStatus decide_answers_from_json(const DecideFramework *fw, const cJSON *doc, const char *name,
                                  DecideAnswers *out, TpError *err) {
    if (!cJSON_IsObject(doc))
        return tp_error_set(err, TP_EINVAL,
                            "%s: $: expected an object mapping question ids to answers, got %s",
                            name, tp_json_type_name(doc));
    const cJSON *it;
    cJSON_ArrayForEach(it, doc) {
        const char *id = it->string ? it->string : "";
        char path[160];
        tp_json_path_key(path, sizeof path, "$", id);
        if (!decide_find_question(fw, id) && !decide_is_fact(id)) {
            char list[800] = "";
            for (int i = 0; i < fw->n_questions; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         fw->questions[i].id);
            }
            return tp_error_set(err, TP_EINVAL,
                                "%s: %s: unknown question \"%s\" for framework %s (questions: %s)",
                                name, path, id, fw->id, list);
        }
        if (cJSON_IsNull(it))
            continue; /* explicitly unanswered */
        const cJSON *v = it;
        DecideOrigin origin = DECIDE_ORIGIN_TYPED;
        const char *detail = NULL;
        char vpath[192];
        snprintf(vpath, sizeof vpath, "%s", path);
        if (cJSON_IsObject(it)) {
            static const char *const keys[] = {"value", "origin", "detail", NULL};
            TpStatus st = tp_json_check_keys(it, name, path, keys, err);
            const char *o = NULL;
            if (st == TP_OK)
                st = tp_json_string(it, "origin", name, path, false, &o, NULL, err);
            if (st == TP_OK)
                st = tp_json_string(it, "detail", name, path, false, &detail, NULL, err);
            if (st != TP_OK)
                return st;
            if (o && !strcmp(o, "measured"))
                origin = DECIDE_ORIGIN_MEASURED;
            else if (o && strcmp(o, "typed"))
                return tp_error_set(err, TP_EINVAL,
                                    "%s: %s.origin: expected \"typed\" or \"measured\" (computed "
                                    "answers come from --scenario), got \"%s\"",
                                    name, path, o);
            v = cJSON_GetObjectItemCaseSensitive(it, "value");
            tp_json_path_key(vpath, sizeof vpath, path, "value");
            if (!v) {
                const DecideQuestion *q = decide_find_question(fw, id);
                return tp_error_set(err, TP_EINVAL, "%s: %s: missing, expected %s", name, vpath,
                                    type_expectation(q ? q->type : DECIDE_Q_NUMBER));
            }
        }
        TpStatus st = one_value(fw, id, v, name, vpath, origin, detail, out, err);
        if (st != TP_OK)
            return st;
    }
    return TP_OK;
}

static cJSON *value_json(const DecideAnswer *a) {
    if (a->type == DECIDE_Q_YES_NO)
        return cJSON_CreateBool(a->yes);
    if (a->type == DECIDE_Q_NUMBER)
        return cJSON_CreateNumber(a->number);
    return cJSON_CreateString(a->choice);
}

cJSON *decide_answers_inputs_json(const DecideAnswers *a) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < a->n; i++) {
        const DecideAnswer *x = &a->items[i];
        if (x->origin == DECIDE_ORIGIN_COMPUTED)
            continue;
        if (x->origin == DECIDE_ORIGIN_TYPED) {
            cJSON_AddItemToObject(o, x->id, value_json(x));
        } else {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddItemToObject(m, "value", value_json(x));
            cJSON_AddStringToObject(m, "origin", decide_origin_name(x->origin));
            if (x->detail[0])
                cJSON_AddStringToObject(m, "detail", x->detail);
            cJSON_AddItemToObject(o, x->id, m);
        }
    }
    return o;
}

static const char *tri_name(DecideTri t) {
    return t == DECIDE_TRUE ? "true" : t == DECIDE_FALSE ? "false" : "unknown";
}

static cJSON *tri_json(DecideTri t) {
    return t == DECIDE_UNKNOWN ? cJSON_CreateNull() : cJSON_CreateBool(t == DECIDE_TRUE);
}

cJSON *decide_result_json(const DecideFramework *fw, const DecideAnswers *a,
                          const DecideResult *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "tunepilot.decision");
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON *f = cJSON_AddObjectToObject(root, "framework");
    cJSON_AddStringToObject(f, "id", fw->id);
    cJSON_AddStringToObject(f, "title", fw->title);
    cJSON_AddStringToObject(f, "source", fw->source);
    cJSON_AddStringToObject(f, "as_of", fw->as_of);
    cJSON_AddStringToObject(f, "walk", fw->walk == DECIDE_WALK_ORDERED ? "ordered" : "all");

    cJSON_AddStringToObject(root, "verdict", decide_verdict_name(r->verdict));
    cJSON_AddStringToObject(root, "verdict_title", decide_verdict_title(r->verdict));
    tp_json_add_str(root, "decided_by", r->decided_by ? r->decided_by->id : NULL);
    cJSON_AddStringToObject(root, "explanation", r->explanation ? r->explanation : "");
    tp_json_add_str(root, "verdict_text", fw->verdict_text[r->verdict]);
    if (r->method != DECIDE_METHOD_NONE) {
        cJSON *m = cJSON_AddObjectToObject(root, "method_hint");
        cJSON_AddStringToObject(m, "method", decide_method_name(r->method));
        cJSON_AddStringToObject(m, "why", r->method_why ? r->method_why : "");
        tp_json_add_str(m, "rule", r->method_rule);
    } else {
        cJSON_AddNullToObject(root, "method_hint");
    }
    cJSON *miss = cJSON_AddArrayToObject(root, "missing");
    for (int i = 0; i < r->n_missing; i++)
        cJSON_AddItemToArray(miss, cJSON_CreateString(r->missing[i]));
    if (r->stage >= 0 && r->stage < fw->n_stages) {
        cJSON *s = cJSON_AddObjectToObject(root, "stage");
        cJSON_AddStringToObject(s, "id", fw->stages[r->stage].id);
        cJSON_AddStringToObject(s, "title", fw->stages[r->stage].title);
        cJSON_AddNumberToObject(s, "number", r->stage + 1);
        cJSON_AddNumberToObject(s, "of", fw->n_stages);
    } else {
        cJSON_AddNullToObject(root, "stage");
    }
    tp_json_add_str(root, "next_step", r->next_step);

    /* Answers: the framework's questions in order, then facts. */
    cJSON *ans = cJSON_AddArrayToObject(root, "answers");
    for (int i = 0; i < fw->n_questions; i++) {
        const DecideQuestion *q = &fw->questions[i];
        const DecideAnswer *x = decide_answers_find(a, q->id);
        if (x && x->type != q->type)
            x = NULL;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", q->id);
        cJSON_AddStringToObject(e, "type", decide_qtype_name(q->type));
        cJSON_AddItemToObject(e, "value", x ? value_json(x) : cJSON_CreateNull());
        tp_json_add_str(e, "origin", x ? decide_origin_name(x->origin) : NULL);
        tp_json_add_str(e, "detail", x && x->detail[0] ? x->detail : NULL);
        cJSON_AddItemToArray(ans, e);
    }
    for (int i = 0; DECIDE_FACTS[i]; i++) {
        const DecideAnswer *x = decide_answers_find(a, DECIDE_FACTS[i]);
        if (!x || x->type != DECIDE_Q_NUMBER)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", x->id);
        cJSON_AddStringToObject(e, "type", "fact");
        cJSON_AddItemToObject(e, "value", value_json(x));
        cJSON_AddStringToObject(e, "origin", decide_origin_name(x->origin));
        tp_json_add_str(e, "detail", x->detail[0] ? x->detail : NULL);
        cJSON_AddItemToArray(ans, e);
    }

    cJSON *tr = cJSON_AddArrayToObject(root, "trace");
    for (int i = 0; i < r->n_trace; i++) {
        const DecideTraceItem *t = &r->trace[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "rule", t->rule->id);
        cJSON_AddItemToObject(e, "fired", tri_json(t->fired));
        cJSON_AddBoolToObject(e, "decided", t->decided);
        tp_json_add_str(e, "verdict", t->rule->has_verdict ? decide_verdict_name(t->rule->verdict)
                                                           : NULL);
        cJSON_AddBoolToObject(e, "stop", t->rule->stop);
        cJSON_AddStringToObject(e, "explain", t->rule->explain);
        cJSON *because = cJSON_AddArrayToObject(e, "because");
        for (int k = 0; k < t->n_because; k++) {
            const DecideBecause *b = &t->because[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, b->is_rule ? "rule" : "id", b->id);
            cJSON_AddStringToObject(x, "value", b->value);
            tp_json_add_str(x, "origin", b->origin >= 0 ? decide_origin_name((DecideOrigin)b->origin)
                                                        : NULL);
            cJSON_AddStringToObject(x, "test", b->test);
            cJSON_AddStringToObject(x, "result", tri_name(b->result));
            cJSON_AddItemToArray(because, x);
        }
        cJSON_AddItemToArray(tr, e);
    }
    return root;
}
