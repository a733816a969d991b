/* evaluate.c - answers, three-valued rule evaluation, the wizard's next
 * question. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/decide_impl.h"

/* --- answers ----------------------------------------------------------------- */

const char *decide_origin_name(DecideOrigin o) {
    switch (o) {
    case DECIDE_ORIGIN_COMPUTED: return "computed";
    case DECIDE_ORIGIN_MEASURED: return "measured";
    default: return "typed";
    }
}

void decide_answers_free(DecideAnswers *a) {
    if (!a)
        return;
    free(a->items);
    memset(a, 0, sizeof *a);
}

const DecideAnswer *decide_answers_find(const DecideAnswers *a, const char *id) {
    for (int i = 0; a && id && i < a->n; i++)
        if (!strcmp(a->items[i].id, id))
            return &a->items[i];
    return NULL;
}

static DecideAnswer *put(DecideAnswers *a, const char *id, DecideOrigin o, const char *detail) {
    DecideAnswer *slot = (DecideAnswer *)decide_answers_find(a, id);
    if (!slot) {
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 16;
            a->items = tp_xrealloc(a->items, sizeof *a->items * (size_t)a->cap);
        }
        slot = &a->items[a->n++];
    }
    memset(slot, 0, sizeof *slot);
    snprintf(slot->id, sizeof slot->id, "%s", id);
    slot->origin = o;
    snprintf(slot->detail, sizeof slot->detail, "%s", detail ? detail : "");
    return slot;
}

void decide_answers_set_yes_no(DecideAnswers *a, const char *id, bool yes, DecideOrigin o,
                               const char *detail) {
    DecideAnswer *s = put(a, id, o, detail);
    s->type = DECIDE_Q_YES_NO;
    s->yes = yes;
}

void decide_answers_set_number(DecideAnswers *a, const char *id, double v, DecideOrigin o,
                               const char *detail) {
    DecideAnswer *s = put(a, id, o, detail);
    s->type = DECIDE_Q_NUMBER;
    s->number = v;
}

void decide_answers_set_choice(DecideAnswers *a, const char *id, const char *choice,
                               DecideOrigin o, const char *detail) {
    DecideAnswer *s = put(a, id, o, detail);
    s->type = DECIDE_Q_CHOICE;
    snprintf(s->choice, sizeof s->choice, "%s", choice);
}

bool decide_answers_remove(DecideAnswers *a, const char *id) {
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].id, id)) {
            memmove(&a->items[i], &a->items[i + 1], sizeof *a->items * (size_t)(a->n - i - 1));
            a->n--;
            return true;
        }
    return false;
}

const char *decide_answer_value_str(const DecideAnswer *a, char *buf, size_t size) {
    if (!a)
        snprintf(buf, size, "unanswered");
    else if (a->type == DECIDE_Q_YES_NO)
        snprintf(buf, size, "%s", a->yes ? "yes" : "no");
    else if (a->type == DECIDE_Q_NUMBER)
        decide_fmt_num(a->number, buf, size);
    else
        snprintf(buf, size, "%s", a->choice);
    return buf;
}

void decide_answers_merge(DecideAnswers *dst, const DecideAnswers *src) {
    for (int i = 0; i < src->n; i++) {
        const DecideAnswer *s = &src->items[i];
        const DecideAnswer *old = decide_answers_find(dst, s->id);
        char note[512] = "";
        if (old && old->origin == DECIDE_ORIGIN_COMPUTED && s->origin != DECIDE_ORIGIN_COMPUTED) {
            char v[64];
            snprintf(note, sizeof note, "overrides the computed %s (%s)",
                     decide_answer_value_str(old, v, sizeof v), old->detail);
        }
        DecideAnswer *d = put(dst, s->id, s->origin, s->detail);
        DecideAnswer keep = *s;
        *d = keep;
        if (note[0]) {
            if (d->detail[0]) {
                char both[512];
                snprintf(both, sizeof both, "%s; %s", d->detail, note);
                snprintf(d->detail, sizeof d->detail, "%s", both);
            } else {
                snprintf(d->detail, sizeof d->detail, "%s", note);
            }
        }
    }
}

void decide_answers_filter(const DecideFramework *fw, DecideAnswers *a) {
    int k = 0;
    for (int i = 0; i < a->n; i++) {
        const DecideQuestion *q = decide_find_question(fw, a->items[i].id);
        bool keep = q ? q->type == a->items[i].type
                      : decide_is_fact(a->items[i].id) && a->items[i].type == DECIDE_Q_NUMBER;
        if (keep)
            a->items[k++] = a->items[i];
    }
    a->n = k;
}

static bool lower_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return !*a && !*b;
}

bool decide_parse_typed(const DecideQuestion *q, const char *text, DecideAnswers *a) {
    char s[256];
    size_t n = 0;
    while (isspace((unsigned char)*text))
        text++;
    for (; *text && n < sizeof s - 1; text++)
        if (!(q->type == DECIDE_Q_NUMBER && (*text == ',' || *text == '_')))
            s[n++] = *text;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    s[n] = '\0';
    if (!n)
        return false;
    if (q->type == DECIDE_Q_YES_NO) {
        if (lower_eq(s, "y") || lower_eq(s, "yes") || lower_eq(s, "true")) {
            decide_answers_set_yes_no(a, q->id, true, DECIDE_ORIGIN_TYPED, NULL);
            return true;
        }
        if (lower_eq(s, "n") || lower_eq(s, "no") || lower_eq(s, "false")) {
            decide_answers_set_yes_no(a, q->id, false, DECIDE_ORIGIN_TYPED, NULL);
            return true;
        }
        return false;
    }
    if (q->type == DECIDE_Q_NUMBER) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v) || v < q->min || v > q->max)
            return false;
        decide_answers_set_number(a, q->id, v, DECIDE_ORIGIN_TYPED, NULL);
        return true;
    }
    for (int i = 0; i < q->n_choices; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", i + 1);
        if (lower_eq(s, q->choices[i].id) || !strcmp(s, num)) {
            decide_answers_set_choice(a, q->id, q->choices[i].id, DECIDE_ORIGIN_TYPED, NULL);
            return true;
        }
    }
    return false;
}

/* --- evaluation ------------------------------------------------------------------ */

typedef struct Ev {
    const DecideFramework *fw;
    const DecideAnswers *a;
    DecideTri *rule_value; /* per rule; DECIDE_UNKNOWN until evaluated */
    bool *rule_done;
} Ev;

static const DecideAnswer *answer_for(const Ev *e, const DecideCond *c) {
    const DecideAnswer *ans = decide_answers_find(e->a, c->ref);
    if (!ans)
        return NULL;
    if (c->kind == DECIDE_COND_Q) {
        if (ans->type != e->fw->questions[c->ref_index].type)
            return NULL;
    } else if (ans->type != DECIDE_Q_NUMBER) {
        return NULL;
    }
    return ans;
}

static DecideTri tri(bool b) { return b ? DECIDE_TRUE : DECIDE_FALSE; }

static DecideTri compare(const DecideCond *c, const DecideAnswer *ans) {
    if (ans->type == DECIDE_Q_YES_NO)
        return tri(c->op == DECIDE_OP_EQ ? ans->yes == c->yes : ans->yes != c->yes);
    if (ans->type == DECIDE_Q_CHOICE)
        return tri(c->op == DECIDE_OP_EQ ? !strcmp(ans->choice, c->choice)
                                         : strcmp(ans->choice, c->choice) != 0);
    double v = ans->number, t = c->number;
    switch (c->op) {
    case DECIDE_OP_EQ: return tri(v == t);
    case DECIDE_OP_NE: return tri(v != t);
    case DECIDE_OP_LT: return tri(v < t);
    case DECIDE_OP_LE: return tri(v <= t);
    case DECIDE_OP_GT: return tri(v > t);
    default: return tri(v >= t);
    }
}

static DecideTri eval_cond(const Ev *e, const DecideCond *c) {
    switch (c->kind) {
    case DECIDE_COND_ALWAYS:
        return DECIDE_TRUE;
    case DECIDE_COND_ALL: {
        DecideTri r = DECIDE_TRUE;
        for (int i = 0; i < c->n_kids; i++) {
            DecideTri k = eval_cond(e, &c->kids[i]);
            if (k == DECIDE_FALSE)
                return DECIDE_FALSE;
            if (k == DECIDE_UNKNOWN)
                r = DECIDE_UNKNOWN;
        }
        return r;
    }
    case DECIDE_COND_ANY: {
        DecideTri r = DECIDE_FALSE;
        for (int i = 0; i < c->n_kids; i++) {
            DecideTri k = eval_cond(e, &c->kids[i]);
            if (k == DECIDE_TRUE)
                return DECIDE_TRUE;
            if (k == DECIDE_UNKNOWN)
                r = DECIDE_UNKNOWN;
        }
        return r;
    }
    case DECIDE_COND_NOT: {
        DecideTri k = eval_cond(e, c->kids);
        return k == DECIDE_UNKNOWN ? k : tri(k == DECIDE_FALSE);
    }
    case DECIDE_COND_FIRED:
        if (!e->rule_done[c->ref_index]) {
            e->rule_done[c->ref_index] = true;
            e->rule_value[c->ref_index] = eval_cond(e, &e->fw->rules[c->ref_index].when);
        }
        return e->rule_value[c->ref_index];
    default: {
        const DecideAnswer *ans = answer_for(e, c);
        return ans ? compare(c, ans) : DECIDE_UNKNOWN;
    }
    }
}

static DecideTri rule_eval(const Ev *e, int i) {
    if (!e->rule_done[i]) {
        e->rule_done[i] = true;
        e->rule_value[i] = eval_cond(e, &e->fw->rules[i].when);
    }
    return e->rule_value[i];
}

/* Marks the unanswered questions an unknown condition waits on. */
static void collect_missing(const Ev *e, const DecideCond *c, bool *need) {
    if (eval_cond(e, c) != DECIDE_UNKNOWN)
        return;
    switch (c->kind) {
    case DECIDE_COND_ALL:
    case DECIDE_COND_ANY:
    case DECIDE_COND_NOT:
        for (int i = 0; i < c->n_kids; i++)
            collect_missing(e, &c->kids[i], need);
        break;
    case DECIDE_COND_FIRED:
        collect_missing(e, &e->fw->rules[c->ref_index].when, need);
        break;
    case DECIDE_COND_Q:
        need[c->ref_index] = true;
        break;
    default:
        break; /* facts are never asked */
    }
}

/* --- the trace ---------------------------------------------------------------------- */

typedef struct Leaves {
    DecideBecause *items;
    int n, cap;
} Leaves;

static void add_leaf(DecideResult *r, Leaves *l, const DecideBecause *b) {
    for (int i = 0; i < l->n; i++) /* one entry per test */
        if (!strcmp(l->items[i].id, b->id) && !strcmp(l->items[i].test, b->test))
            return;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        DecideBecause *n = tp_arena_alloc(&r->arena, sizeof *n * (size_t)cap);
        if (l->n)
            memcpy(n, l->items, sizeof *n * (size_t)l->n);
        l->items = n;
        l->cap = cap;
    }
    l->items[l->n++] = *b;
}

static void leaves(const Ev *e, DecideResult *r, const DecideCond *c, Leaves *l) {
    char val[64], num[48], test[256];
    DecideBecause b = {0};
    switch (c->kind) {
    case DECIDE_COND_ALWAYS:
        return;
    case DECIDE_COND_ALL:
    case DECIDE_COND_ANY:
    case DECIDE_COND_NOT:
        for (int i = 0; i < c->n_kids; i++)
            leaves(e, r, &c->kids[i], l);
        return;
    case DECIDE_COND_FIRED: {
        DecideTri t = eval_cond(e, c);
        b.id = c->ref;
        b.is_rule = true;
        b.origin = -1;
        b.result = t;
        b.value = t == DECIDE_TRUE ? "fired" : t == DECIDE_FALSE ? "did not fire" : "unknown";
        snprintf(test, sizeof test, "rule %s fired", c->ref);
        b.test = tp_arena_strdup(&r->arena, test);
        add_leaf(r, l, &b);
        return;
    }
    default:
        break;
    }
    const DecideAnswer *ans = answer_for(e, c);
    b.id = c->ref;
    b.origin = ans ? (int)ans->origin : -1;
    b.result = ans ? compare(c, ans) : DECIDE_UNKNOWN;
    b.value = tp_arena_strdup(&r->arena, decide_answer_value_str(ans, val, sizeof val));
    if (c->kind == DECIDE_COND_Q && e->fw->questions[c->ref_index].type == DECIDE_Q_YES_NO)
        snprintf(test, sizeof test, "%s %s %s", c->ref, c->op == DECIDE_OP_EQ ? "is" : "is not",
                 c->yes ? "yes" : "no");
    else if (c->kind == DECIDE_COND_Q && e->fw->questions[c->ref_index].type == DECIDE_Q_CHOICE)
        snprintf(test, sizeof test, "%s %s %s", c->ref, c->op == DECIDE_OP_EQ ? "is" : "is not",
                 c->choice);
    else if (c->rule && c->times != 1)
        snprintf(test, sizeof test, "%s %s %s (%g x %s)", c->ref, decide_op_symbol(c->op),
                 decide_fmt_num(c->number, num, sizeof num), c->times, c->rule);
    else if (c->rule)
        snprintf(test, sizeof test, "%s %s %s (%s)", c->ref, decide_op_symbol(c->op),
                 decide_fmt_num(c->number, num, sizeof num), c->rule);
    else
        snprintf(test, sizeof test, "%s %s %s", c->ref, decide_op_symbol(c->op),
                 decide_fmt_num(c->number, num, sizeof num));
    b.test = tp_arena_strdup(&r->arena, test);
    add_leaf(r, l, &b);
}

static void trace_rule(const Ev *e, DecideResult *r, int i) {
    DecideTraceItem *t = &r->trace[r->n_trace++];
    t->rule = &e->fw->rules[i];
    t->fired = rule_eval(e, i);
    Leaves l = {0};
    leaves(e, r, &t->rule->when, &l);
    t->because = l.items;
    t->n_because = l.n;
}

static char *missing_explanation(DecideResult *r, const DecideFramework *fw) {
    char buf[1024];
    size_t used = (size_t)snprintf(buf, sizeof buf, "Not decidable yet: answer ");
    for (int i = 0; i < r->n_missing && used < sizeof buf; i++) {
        const DecideQuestion *q = decide_find_question(fw, r->missing[i]);
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s (%s)",
                                 i == 0 ? "" : i == r->n_missing - 1 ? " and " : "; ",
                                 r->missing[i], q ? q->text : "?");
    }
    return tp_arena_strdup(&r->arena, buf);
}

void decide_evaluate(const DecideFramework *fw, const DecideAnswers *a, DecideResult *r) {
    memset(r, 0, sizeof *r);
    tp_arena_init(&r->arena);
    r->stage = -1;
    int n = fw->n_rules;
    Ev e = {fw, a, tp_arena_alloc(&r->arena, sizeof(DecideTri) * (size_t)(n + 1)),
            tp_arena_alloc(&r->arena, sizeof(bool) * (size_t)(n + 1))};
    r->trace = tp_arena_alloc(&r->arena, sizeof *r->trace * (size_t)(n + 1));
    bool *need = tp_arena_alloc(&r->arena, sizeof(bool) * (size_t)(fw->n_questions + 1));

    /* Pass 1: the stop rules. */
    int decided = -1, blocked = -1, last_eval = n - 1;
    for (int i = 0; i < n; i++) {
        const DecideRule *rule = &fw->rules[i];
        if (!rule->has_verdict || !rule->stop)
            continue;
        DecideTri t = rule_eval(&e, i);
        if (t == DECIDE_TRUE) {
            decided = i;
            break;
        }
        if (t == DECIDE_UNKNOWN) {
            blocked = i;
            collect_missing(&e, &rule->when, need);
            break;
        }
    }
    /* Pass 2: fallbacks (non-stop verdict rules) when no stop rule fired. */
    if (decided < 0 && blocked < 0) {
        for (int i = 0; i < n; i++) {
            const DecideRule *rule = &fw->rules[i];
            if (!rule->has_verdict || rule->stop)
                continue;
            DecideTri t = rule_eval(&e, i);
            if (t == DECIDE_TRUE) {
                decided = i;
                break;
            }
            if (t == DECIDE_UNKNOWN) {
                blocked = i;
                collect_missing(&e, &rule->when, need);
                break;
            }
        }
    }
    /* The trace: an ordered walk shows the rules up to where it stopped; an
     * "all" walk shows every rule. */
    if (fw->walk == DECIDE_WALK_ORDERED) {
        int stop_at = decided >= 0 ? decided : blocked;
        if (stop_at >= 0 && fw->rules[stop_at].stop)
            last_eval = stop_at;
    }
    for (int i = 0; i <= last_eval; i++)
        trace_rule(&e, r, i);
    if (decided >= 0 && decided <= last_eval)
        r->trace[decided].decided = true;

    /* The missing questions, in question order. */
    r->missing = tp_arena_alloc(&r->arena, sizeof *r->missing * (size_t)(fw->n_questions + 1));
    for (int q = 0; q < fw->n_questions; q++)
        if (need[q] && !decide_answers_find(a, fw->questions[q].id))
            r->missing[r->n_missing++] = fw->questions[q].id;

    if (decided >= 0) {
        const DecideRule *rule = &fw->rules[decided];
        r->decided_by = rule;
        r->verdict = rule->verdict;
        r->explanation = rule->explain;
        r->stage = rule->stage;
        r->next_step = rule->next;
    } else {
        r->verdict = DECIDE_NOT_YET;
        if (r->n_missing) {
            r->explanation = missing_explanation(r, fw);
        } else if (blocked >= 0) {
            char buf[256];
            snprintf(buf, sizeof buf,
                     "Not decidable yet: rule %s tests facts only a scenario supplies (attach "
                     "one, or give them in the answers)",
                     fw->rules[blocked].id);
            r->explanation = tp_arena_strdup(&r->arena, buf);
        } else {
            r->explanation = "No rule of this framework applies to these answers.";
        }
        if (blocked >= 0) {
            r->stage = fw->rules[blocked].stage;
            r->next_step = fw->rules[blocked].next;
        }
    }

    /* The method hint. */
    if (decided >= 0 && decide_verdict_is_fine_tune(r->verdict)) {
        const DecideRule *rule = &fw->rules[decided];
        if (rule->method != DECIDE_METHOD_NONE) {
            r->method = rule->method;
            r->method_why = rule->method_why;
            r->method_rule = rule->id;
        } else {
            for (int i = 0; i < fw->n_method_rules; i++) {
                if (eval_cond(&e, &fw->method_rules[i].when) == DECIDE_TRUE) {
                    r->method = fw->method_rules[i].method;
                    r->method_why = fw->method_rules[i].why;
                    r->method_rule = fw->method_rules[i].id;
                    break;
                }
            }
        }
    }
}

void decide_result_free(DecideResult *r) {
    if (!r)
        return;
    tp_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
    r->stage = -1;
}

const DecideQuestion *decide_next_question(const DecideFramework *fw, const DecideAnswers *a) {
    if (fw->walk == DECIDE_WALK_ALL) {
        for (int i = 0; i < fw->n_questions; i++)
            if (!decide_answers_find(a, fw->questions[i].id))
                return &fw->questions[i];
        return NULL;
    }
    DecideResult r;
    decide_evaluate(fw, a, &r);
    const DecideQuestion *q = r.n_missing ? decide_find_question(fw, r.missing[0]) : NULL;
    decide_result_free(&r);
    return q;
}
