/* test_audit.c - `tunepilot data check`'s library: every format check fires
 * and names its line, duplicates and near duplicates, conflicts, outliers,
 * labels, leakage (eval file and the pilot's own split, checked against
 * dataset_load), exact token counts with a tokenizer, and the hosted
 * fine-tune cost worked out by hand. */
#include "tp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/audit.h"
#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/pricing.h"
#include "tunepilot/tokenizer.h"

static void write_file(const char *path, const char *data, size_t len) {
    TpError err = {0};
    if (tp_file_write_atomic(path, data, len, &err) != TP_OK)
        fail_msg("%s", err.msg);
}

/* Writes text to a temporary NAME and returns its path (static buffer). */
static const char *jsonl(const char *name, const char *text) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", tp_tmpdir(), name);
    write_file(path, text, strlen(text));
    return path;
}

/* The bytes tokenizer (ids = byte values) with tokenizer_config CONFIG. */
static Tokenizer *tok_with(const char *config) {
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/tok-%s", tp_tmpdir(), config);
    mkdir(dir, 0755);
    const char *files[2][2] = {{"data/bytes_tokenizer.json", "tokenizer.json"},
                               {NULL, "tokenizer_config.json"}};
    char cfg[256];
    snprintf(cfg, sizeof cfg, "data/%s", config);
    files[1][0] = cfg;
    for (int i = 0; i < 2; i++) {
        char *data;
        size_t len;
        TpError err = {0};
        if (tp_file_read(tp_fixture(files[i][0]), 1 << 20, &data, &len, &err) != TP_OK)
            fail_msg("%s", err.msg);
        snprintf(path, sizeof path, "%s/%s", dir, files[i][1]);
        write_file(path, data, len);
        free(data);
    }
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load(dir, &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    return t;
}

static void audit_ok(const char *path, const Tokenizer *tok, const AuditOptions *o,
                     AuditResult *r) {
    TpError err = {0};
    if (audit_run(path, tok, o, r, &err) != TP_OK)
        fail_msg("audit_run: %s", err.msg);
}

/* The issue of `check` at `line` (in the data file unless eval), or NULL. */
static const AuditIssue *find(const AuditResult *r, const char *check, int line) {
    for (int i = 0; i < r->n_issues; i++)
        if (!strcmp(r->issues[i].check, check) && r->issues[i].line == line)
            return &r->issues[i];
    return NULL;
}

static int check_count(const AuditResult *r, const char *check) {
    for (int i = 0; i < r->n_checks; i++)
        if (!strcmp(r->checks[i].check, check))
            return r->checks[i].count;
    return 0;
}

#define assert_issue(r, check, line)                                                               \
    do {                                                                                           \
        if (!find((r), (check), (line)))                                                           \
            fail_msg("no %s issue at line %d", (check), (line));                                   \
    } while (0)

/* --- format checks ----------------------------------------------------------------------- */

static void test_chat_errors(void **state) {
    (void)state;
    AuditResult r;
    audit_ok(tp_fixture("audit/bad.jsonl"), NULL, NULL, &r);
    assert_string_equal(r.format, "chat");
    assert_int_equal(r.n_records, 14);
    assert_int_equal(r.n_examples, 1);
    static const struct {
        const char *check;
        int line;
    } want[] = {{"invalid_json", 2},         {"not_object", 3},
                {"mixed_format", 4},         {"messages_not_list", 5},
                {"empty_messages", 6},       {"unrecognized_role", 7},
                {"no_assistant", 8},         {"message_unrecognized_key", 9},
                {"non_string_content", 10},  {"message_missing_key", 11},
                {"message_missing_key", 12}, {"bad_weight", 13},
                {"missing_messages", 14}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const AuditIssue *is = find(&r, want[i].check, want[i].line);
        if (!is)
            fail_msg("no %s at line %d", want[i].check, want[i].line);
        assert_int_equal(is->severity, AUDIT_ERROR);
    }
    assert_int_equal(r.n_errors, 13);
    assert_non_null(strstr(find(&r, "unrecognized_role", 7)->message, "\"robot\""));
    assert_non_null(strstr(find(&r, "message_missing_key", 11)->message, "content"));
    assert_non_null(strstr(find(&r, "message_missing_key", 12)->message, "role"));
    assert_non_null(strstr(find(&r, "message_unrecognized_key", 9)->message, "mood"));
    /* the one valid example still gets counted and priced */
    assert_int_equal(r.tokens.n, 1);
    assert_issue(&r, "too_few_examples", 0);
    /* issues come in line order */
    for (int i = 1; i < r.n_issues; i++)
        assert_true(r.issues[i].line >= r.issues[i - 1].line);
    audit_free(&r);
}

static void test_more_errors_and_warnings(void **state) {
    (void)state;
    AuditResult r;
    const char *p = jsonl("more.jsonl",
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": "
                          "\"assistant\", \"content\": \"b\"}], \"extra\": 1}\n"
                          "\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"a\", \"weight\": "
                          "1}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n"
                          "{\"messages\": [{\"role\": 5, \"content\": \"a\"}, {\"role\": "
                          "\"assistant\", \"content\": \"b\"}]}\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}, "
                          "{\"role\": \"assistant\", \"content\": \"b\"}]}\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": "
                          "\"assistant\", \"content\": \"\", \"weight\": 0}]}\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": "
                          "\"assistant\", \"tool_calls\": [{\"id\": \"x\"}]}, {\"role\": "
                          "\"tool\", \"content\": \"42\"}, {\"role\": \"assistant\", "
                          "\"content\": \"done\"}]}\n"
                          "{\"messages\": [\"hi\"]}\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": "
                          "\"assistant\", \"content\": \"b\"}]} x\n"
                          "{\"messages\": [{\"role\": \"user\", \"content\": \"a\", \"name\": 3}, "
                          "{\"role\": \"assistant\", \"content\": \"b\"}]}\n");
    audit_ok(p, NULL, NULL, &r);
    assert_int_equal(r.n_lines, 10);
    assert_int_equal(r.n_records, 9);
    assert_issue(&r, "unknown_key", 1);
    assert_issue(&r, "bad_weight", 3);
    assert_issue(&r, "unrecognized_role", 4);
    /* cJSON keeps bytes that are not UTF-8 as they are */
    assert_issue(&r, "invalid_utf8", 5);
    assert_issue(&r, "empty_answer", 6);
    assert_issue(&r, "no_loss", 6);
    assert_issue(&r, "unsupported", 7);
    assert_issue(&r, "message_not_object", 8);
    assert_issue(&r, "invalid_json", 9);
    assert_non_null(strstr(find(&r, "invalid_json", 9)->message, "trailing data"));
    assert_issue(&r, "non_string_field", 10);
    /* every valid example lacks a system message: one summary warning at the first */
    const AuditIssue *ns = find(&r, "no_system", 1);
    assert_non_null(ns);
    assert_non_null(strstr(ns->message, "3 of 3"));
    assert_int_equal(find(&r, "unknown_key", 1)->severity, AUDIT_WARNING);
    assert_int_equal(find(&r, "unsupported", 7)->severity, AUDIT_WARNING);
    assert_int_equal(r.n_examples, 3); /* lines 1, 6, 7 */
    assert_int_equal(r.n_errors, 6);
    audit_free(&r);
}

static void test_plain_formats(void **state) {
    (void)state;
    AuditResult r;
    audit_ok(jsonl("alpaca.jsonl",
                   "{\"instruction\": \"Add\", \"input\": \"2 2\", \"output\": \"4\"}\n"
                   "{\"instruction\": \"\", \"output\": \"4\"}\n"
                   "{\"instruction\": \"Add\", \"input\": 5, \"output\": \"4\"}\n"
                   "{\"instruction\": \"Add\"}\n"
                   "{\"instruction\": \"Add\", \"output\": \"4\", \"note\": \"x\"}\n"
                   "{\"messages\": []}\n"
                   "{\"foo\": 1}\n"),
             NULL, NULL, &r);
    assert_string_equal(r.format, "alpaca");
    assert_issue(&r, "empty_field", 2);
    assert_issue(&r, "non_string_field", 3);
    assert_issue(&r, "missing_field", 4);
    assert_issue(&r, "unknown_key", 5);
    assert_issue(&r, "mixed_format", 6);
    assert_issue(&r, "missing_field", 7);
    assert_int_equal(r.n_examples, 2);
    audit_free(&r);

    audit_ok(jsonl("completion.jsonl", "{\"prompt\": \"a\", \"completion\": \"\"}\n"
                                       "{\"prompt\": \"a\"}\n"
                                       "{\"prompt\": \"a\", \"completion\": \"b\"}\n"),
             NULL, NULL, &r);
    assert_string_equal(r.format, "completion");
    assert_issue(&r, "empty_field", 1);
    assert_issue(&r, "missing_field", 2);
    assert_int_equal(r.n_examples, 1);
    /* approximate: ceil(1/4) + ceil(1/4) + EOS */
    assert_int_equal(r.examples[0].tokens, 3);
    audit_free(&r);

    audit_ok(jsonl("empty.jsonl", "\n  \n"), NULL, NULL, &r);
    assert_issue(&r, "empty_file", 0);
    assert_string_equal(r.format, "unknown");
    audit_free(&r);

    audit_ok(jsonl("unknown.jsonl", "{\"text\": \"a\"}\n"), NULL, NULL, &r);
    assert_issue(&r, "unrecognized_record", 1);
    audit_free(&r);

    TpError err = {0};
    assert_int_equal(audit_run(jsonl("x.jsonl", ""), NULL, &(AuditOptions){.seq = -1}, &r, &err),
                     TP_EINVAL);
    assert_int_equal(audit_run("/nonexistent/tunepilot/data.jsonl", NULL, NULL, &r, &err),
                     TP_ENOTFOUND);
    assert_null(r.path);
}

/* Issues are capped per check, the counts are not. */
static void test_issue_cap(void **state) {
    (void)state;
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; i < 50; i++)
        tp_buf_puts(&b, "{\"messages\": []}\n");
    AuditResult r;
    AuditOptions o;
    audit_options_default(&o);
    o.max_issues_per_check = 5;
    audit_ok(jsonl("many.jsonl", b.data), NULL, &o, &r);
    assert_int_equal(check_count(&r, "empty_messages"), 50);
    assert_int_equal(r.n_errors, 50);
    assert_int_equal(r.n_issues, 5);
    audit_free(&r);
    tp_buf_free(&b);
}

/* --- quality checks --------------------------------------------------------------------- */

static void test_quality(void **state) {
    (void)state;
    AuditResult r;
    AuditOptions o;
    audit_options_default(&o);
    o.seq = 200;
    audit_ok(tp_fixture("audit/quality.jsonl"), NULL, &o, &r);
    assert_int_equal(r.n_errors, 0);
    assert_int_equal(r.n_examples, 15);
    const AuditIssue *d = find(&r, "duplicate", 6);
    assert_non_null(d);
    assert_int_equal(d->other_line, 2);
    assert_int_equal(r.n_duplicates, 1);
    /* one word changed in a 36-word ticket; and the same ticket with another answer */
    const AuditIssue *n = find(&r, "near_duplicate", 10);
    assert_non_null(n);
    assert_int_equal(n->other_line, 9);
    assert_non_null(find(&r, "near_duplicate", 8));
    assert_int_equal(r.n_near_duplicates, 2);
    assert_int_equal(r.examples[9].near_duplicate_of, 9);
    const AuditIssue *c = find(&r, "conflicting_answer", 8);
    assert_non_null(c);
    assert_int_equal(c->other_line, 7);
    assert_int_equal(r.n_conflicts, 1);
    assert_issue(&r, "over_limit", 14);
    assert_int_equal(r.n_over_limit, 1);
    assert_issue(&r, "length_outlier", 14);
    assert_true(r.examples[13].outlier);
    assert_false(r.examples[0].outlier);
    /* labels: billing 11 of 15 is over 60% */
    assert_true(r.short_answer);
    assert_int_equal(r.n_labels, 3);
    assert_string_equal(r.labels[0].label, "billing");
    assert_int_equal(r.labels[0].count, 11);
    assert_true(r.labels[0].flagged);
    assert_false(r.labels[1].flagged);
    assert_issue(&r, "label_imbalance", 0);
    /* distributions */
    assert_int_equal(r.tokens.n, 15);
    assert_true(r.tokens.min <= r.tokens.p10 && r.tokens.p10 <= r.tokens.median &&
                r.tokens.median <= r.tokens.p90 && r.tokens.p90 <= r.tokens.max);
    assert_close(r.messages.mean, 3, 0);
    audit_free(&r);
}

static void test_rare_label_and_no_labels(void **state) {
    (void)state;
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; i < 40; i++)
        tp_buf_printf(&b, "{\"prompt\": \"question %d\", \"completion\": \"Yes.\"}\n", i);
    tp_buf_puts(&b, "{\"prompt\": \"question x\", \"completion\": \"no\"}\n");
    AuditResult r;
    audit_ok(jsonl("yesno.jsonl", b.data), NULL, NULL, &r);
    assert_true(r.short_answer);
    assert_int_equal(r.n_labels, 2);
    assert_string_equal(r.labels[0].label, "yes"); /* normalised */
    assert_true(r.labels[0].flagged);              /* 40 of 41 */
    assert_string_equal(r.labels[1].label, "no");
    assert_true(r.labels[1].flagged); /* 1 < 20.5 / 10 */
    assert_int_equal(check_count(&r, "label_imbalance"), 2);
    audit_free(&r);
    tp_buf_free(&b);

    /* long free-form answers: no label check */
    tp_buf_init(&b);
    for (int i = 0; i < 12; i++)
        tp_buf_printf(&b,
                      "{\"prompt\": \"q%d\", \"completion\": \"a long answer number %d that has "
                      "many words in it\"}\n",
                      i, i);
    audit_ok(jsonl("free.jsonl", b.data), NULL, NULL, &r);
    assert_false(r.short_answer);
    assert_int_equal(r.n_labels, 0);
    audit_free(&r);
    tp_buf_free(&b);
}

static void test_near_duplicates(void **state) {
    (void)state;
    const char *base = "the quick brown fox jumps over the lazy dog while the farmer watches "
                       "from the porch of the old red barn near the river";
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_printf(&b, "{\"prompt\": \"%s\", \"completion\": \"one\"}\n", base);
    /* case and punctuation only: normalised equal */
    tp_buf_printf(&b,
                  "{\"prompt\": \"The quick brown fox, jumps over the lazy dog; while the farmer "
                  "watches from the porch of the old red barn near the river!\", \"completion\": "
                  "\"one\"}\n");
    /* unrelated */
    tp_buf_printf(&b, "{\"prompt\": \"completely different words about databases and indexes "
                      "and query plans\", \"completion\": \"two\"}\n");
    /* one word replaced */
    tp_buf_printf(&b,
                  "{\"prompt\": \"the quick brown fox jumps over the lazy cat while the farmer "
                  "watches from the porch of the old red barn near the river\", \"completion\": "
                  "\"one\"}\n");
    /* half the words differ */
    tp_buf_printf(&b, "{\"prompt\": \"the quick brown fox jumps over the lazy dog and then sleeps "
                      "under a tree in the afternoon sun\", \"completion\": \"three\"}\n");
    AuditResult r;
    audit_ok(jsonl("near.jsonl", b.data), NULL, NULL, &r);
    assert_int_equal(r.n_duplicates, 0);
    assert_int_equal(find(&r, "near_duplicate", 2)->other_line, 1);
    assert_null(find(&r, "near_duplicate", 3));
    assert_non_null(find(&r, "near_duplicate", 4));
    assert_null(find(&r, "near_duplicate", 5));
    assert_int_equal(r.n_near_duplicates, 2);
    audit_free(&r);

    /* a stricter threshold drops the one-word change */
    AuditOptions o;
    audit_options_default(&o);
    o.near_threshold = 0.99;
    audit_ok(jsonl("near.jsonl", b.data), NULL, &o, &r);
    assert_int_equal(r.n_near_duplicates, 1);
    audit_free(&r);
    tp_buf_free(&b);
}

/* --- leakage -------------------------------------------------------------------------------- */

static void test_leakage_eval_file(void **state) {
    (void)state;
    AuditResult r;
    AuditOptions o;
    audit_options_default(&o);
    o.eval_path = tp_fixture("audit/eval.jsonl");
    char eval[4096];
    snprintf(eval, sizeof eval, "%s", o.eval_path);
    o.eval_path = eval;
    audit_ok(tp_fixture("audit/quality.jsonl"), NULL, &o, &r);
    assert_false(r.leak_from_split);
    assert_int_equal(r.n_held_out, 3);
    assert_int_equal(r.n_leaks, 2);
    const AuditIssue *a = NULL, *b = NULL;
    for (int i = 0; i < r.n_issues; i++)
        if (!strcmp(r.issues[i].check, "leakage")) {
            assert_string_equal(r.issues[i].file, r.eval_path);
            if (r.issues[i].line == 1)
                a = &r.issues[i];
            if (r.issues[i].line == 2)
                b = &r.issues[i];
        }
    assert_non_null(a);
    assert_int_equal(a->other_line, 2);
    assert_non_null(strstr(a->message, "identical"));
    assert_non_null(b);
    assert_int_equal(b->other_line, 5);
    assert_non_null(strstr(b->message, "same prompt"));
    /* eval-file issues come after the data file's */
    assert_true(r.issues[r.n_issues - 1].file == r.eval_path);
    audit_free(&r);
}

/* Without an eval file the audit reproduces dataset_load's split exactly. */
static void test_leakage_pilot_split(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 1; i <= 30; i++) /* every prompt twice: lines 2k-1 and 2k */
        tp_buf_printf(&b, "{\"prompt\": \"question %d\", \"completion\": \"answer %d\"}\n",
                      (i + 1) / 2, i);
    const char *p = jsonl("pairs.jsonl", b.data);
    AuditOptions o;
    audit_options_default(&o);
    o.eval_split = 0.3;
    o.seed = 7;
    o.pilot_seq = 0;
    AuditResult r;
    audit_ok(p, t, &o, &r);
    Dataset d;
    TpError err = {0};
    DatasetOptions dopt = {.eval_split = 0.3, .seed = 7};
    assert_int_equal(dataset_load(p, t, &dopt, &d, &err), TP_OK);
    assert_int_equal(r.n_held_out, d.n_eval);
    assert_int_equal(r.n_train, d.n_train);
    int held = 0, leaks = 0;
    for (int i = 0; i < d.n_eval; i++) {
        int line = d.eval[i].line;
        assert_true(r.examples[line - 1].held_out);
        held++;
        int twin = line % 2 ? line + 1 : line - 1;
        if (!r.examples[twin - 1].held_out) /* its twin trains: a leak */
            leaks++;
    }
    for (int i = 0; i < r.n_examples; i++)
        held -= r.examples[i].held_out;
    assert_int_equal(held, 0);
    assert_true(leaks > 0);
    assert_int_equal(r.n_leaks, leaks);
    assert_int_equal(check_count(&r, "conflicting_answer"), 15);
    dataset_free(&d);
    audit_free(&r);
    tp_buf_free(&b);
    tokenizer_free(t);
}

/* --- tokens -------------------------------------------------------------------------- */

/* With a tokenizer the counts are dataset_load's ids, template and all. */
static void test_exact_tokens(void **state) {
    (void)state;
    const char *configs[] = {"config_chatml.json", "config_llama3.json", "config_default.json"};
    const char *text =
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", "
        "\"content\": \"Hi there\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}\n"
        "{\"messages\": [{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", "
        "\"content\": \"4\"}, {\"role\": \"user\", \"content\": \"and 3+3?\"}, {\"role\": "
        "\"assistant\", \"content\": \"6\"}]}\n";
    const char *p = jsonl("exact.jsonl", text);
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        Tokenizer *t = tok_with(configs[c]);
        AuditResult r;
        AuditOptions o;
        audit_options_default(&o);
        o.eval_split = 0;
        audit_ok(p, t, &o, &r);
        Dataset d;
        TpError err = {0};
        DatasetOptions dopt = {0};
        assert_int_equal(dataset_load(p, t, &dopt, &d, &err), TP_OK);
        assert_true(r.exact_tokens);
        assert_string_equal(r.template_name, d.template_name);
        assert_int_equal(r.n_examples, d.n_train);
        long long total = 0;
        for (int i = 0; i < d.n_train; i++) {
            assert_int_equal(r.examples[i].line, d.train[i].line);
            assert_int_equal(r.examples[i].tokens, d.train[i].n);
            assert_int_equal(r.examples[i].assistant_tokens, d.train[i].n_loss);
            assert_true(r.examples[i].exact_tokens);
            total += d.train[i].n;
        }
        assert_int_equal(r.total_tokens, total);
        dataset_free(&d);
        audit_free(&r);
        tokenizer_free(t);
    }
}

/* The same with a real tokenizer, when $TP_SHARED_MODELS has one. */
static void test_exact_tokens_real(void **state) {
    (void)state;
    const char *dir = getenv("TP_SHARED_MODELS");
    char path[4096];
    snprintf(path, sizeof path, "%s/smollm-tokenizer", dir ? dir : "");
    struct stat sb;
    if (!dir || stat(path, &sb) != 0) {
        skip();
        return;
    }
    Tokenizer *t = NULL;
    TpError err = {0};
    assert_int_equal(tokenizer_load(path, &t, &err), TP_OK);
    const char *p =
        jsonl("real.jsonl", "{\"messages\": [{\"role\": \"system\", \"content\": \"You sort "
                            "tickets.\"}, {\"role\": \"user\", \"content\": \"My card was "
                            "charged twice — why?\"}, {\"role\": \"assistant\", \"content\": "
                            "\"billing\"}]}\n"
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"Das Login "
                            "geht nicht.\"}, {\"role\": \"assistant\", \"content\": \"bug\"}]}\n");
    AuditOptions o;
    audit_options_default(&o);
    o.eval_split = 0;
    AuditResult r;
    audit_ok(p, t, &o, &r);
    Dataset d;
    DatasetOptions dopt = {0};
    assert_int_equal(dataset_load(p, t, &dopt, &d, &err), TP_OK);
    assert_int_equal(r.n_examples, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r.examples[i].tokens, d.train[i].n);
        assert_int_equal(r.examples[i].assistant_tokens, d.train[i].n_loss);
    }
    dataset_free(&d);
    audit_free(&r);
    tokenizer_free(t);
}

/* llama2's template needs alternating roles: an error with that model only. */
static void test_template_error(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_llama2.json");
    const char *p = jsonl("alt.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                                       "{\"role\": \"user\", \"content\": \"b\"}, {\"role\": "
                                       "\"assistant\", \"content\": \"c\"}]}\n");
    AuditResult r;
    audit_ok(p, t, NULL, &r);
    assert_issue(&r, "template", 1);
    assert_int_equal(r.n_errors, 1);
    audit_free(&r);
    audit_ok(p, NULL, NULL, &r);
    assert_int_equal(r.n_errors, 0);
    audit_free(&r);
    tokenizer_free(t);
}

/* --- cost ------------------------------------------------------------------------------------ */

static void test_default_epochs(void **state) {
    (void)state;
    assert_int_equal(audit_default_epochs(0), 0);
    assert_int_equal(audit_default_epochs(1), 25);  /* min(25, 100) */
    assert_int_equal(audit_default_epochs(10), 10); /* 30 < 100: min(25, 100 // 10) */
    assert_int_equal(audit_default_epochs(33), 3);  /* 99 < 100: 100 // 33 */
    assert_int_equal(audit_default_epochs(34), 3);
    assert_int_equal(audit_default_epochs(8333), 3);  /* 24999 */
    assert_int_equal(audit_default_epochs(8334), 2);  /* 25002 > 25000: 25000 // 8334 */
    assert_int_equal(audit_default_epochs(30000), 1); /* max(1, 0) */
}

/* Ten examples of 12 approximate tokens each, worked out by hand:
 *   3 (example) + [3 + ceil(8/4)] (user "abcdabcd") + [3 + ceil(4/4)] (assistant) = 12;
 *   billed 10 x 12 = 120 tokens an epoch; N = 10: 10 x 3 < 100, so n = min(25, 100 // 10) = 10;
 *   gpt-4o-mini at $3.00 per million: 10 x 120 x 3 / 1e6 = $0.0036. */
static void test_cost_by_hand(void **state) {
    (void)state;
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; i < 10; i++)
        tp_buf_printf(&b,
                      "{\"messages\": [{\"role\": \"user\", \"content\": \"abcd%04d\"}, "
                      "{\"role\": \"assistant\", \"content\": \"w%03d\"}]}\n",
                      i, i);
    Pricing p;
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    AuditOptions o;
    audit_options_default(&o);
    o.pricing = &p;
    AuditResult r;
    audit_ok(jsonl("cost.jsonl", b.data), NULL, &o, &r);
    assert_int_equal(r.n_examples, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(r.examples[i].tokens, 12);
    assert_int_equal(r.billed_tokens, 120);
    assert_int_equal(r.epochs, 10);
    assert_int_equal(r.n_costs, p.n_finetunes);
    const AuditCost *mini = NULL, *hourly = NULL;
    for (int i = 0; i < r.n_costs; i++) {
        if (!strcmp(r.costs[i].model, "gpt-4o-mini"))
            mini = &r.costs[i];
        if (r.costs[i].per_hour)
            hourly = &r.costs[i];
    }
    assert_non_null(mini);
    assert_int_equal(mini->epochs, 10);
    assert_int_equal(mini->charged_tokens, 1200);
    assert_close(mini->usd, 0.0036, 1e-12);
    assert_non_null(hourly); /* o4-mini: reinforcement fine-tuning by the hour */
    assert_true(isnan(hourly->usd));
    assert_true(hourly->training_per_hour > 0);

    /* the limit caps the billed tokens: 10 x min(12, 10) */
    audit_free(&r);
    o.seq = 10;
    audit_ok(jsonl("cost.jsonl", b.data), NULL, &o, &r);
    assert_int_equal(r.billed_tokens, 100);
    assert_int_equal(r.n_over_limit, 10);

    /* JSON */
    cJSON *j = audit_to_json(&r);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    cJSON *cost = cJSON_GetObjectItem(j, "cost");
    assert_int_equal(cJSON_GetObjectItem(cost, "epochs")->valueint, 10);
    cJSON *m;
    bool seen = false;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(cost, "models")) {
        if (!strcmp(cJSON_GetObjectItem(m, "model")->valuestring, "gpt-4o-mini")) {
            assert_close(cJSON_GetObjectItem(m, "usd")->valuedouble, 0.003, 1e-12);
            seen = true;
        }
    }
    assert_true(seen);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "token_count"), "method")->valuestring,
        "approximate");
    cJSON_Delete(j);
    audit_free(&r);
    pricing_free(&p);
    tp_buf_free(&b);
}

static int teardown(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

/* Issue 16 #17: "\u0000" in content used to cut the text silently (cJSON
 * strings end at a NUL); an escaped backslash before u0000 is plain text. */
static void test_nul_character(void **state) {
    (void)state;
    AuditResult r;
    audit_ok(jsonl("nul.jsonl",
                   "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u0000b\"},"
                   " {\"role\": \"assistant\", \"content\": \"c\"}]}\n"
                   "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\\\u0000b\"},"
                   " {\"role\": \"assistant\", \"content\": \"c\"}]}\n"),
             NULL, NULL, &r);
    assert_issue(&r, "nul_character", 1);
    /* the backslash of \\u0000 is column 45 (counted by Python's str.index + 1) */
    assert_non_null(strstr(find(&r, "nul_character", 1)->message, "column 45"));
    assert_null(find(&r, "nul_character", 2));
    assert_int_equal(r.n_examples, 1);
    audit_free(&r);
}

/* Issue 16 #8: an example with 100,000 messages took 244 s (each message
 * looked up from the start of the list); now one pass. The figures are
 * counted by hand: 50,000 user/assistant pairs, "m" + 5 digits is 6 ASCII
 * bytes = 2 approximate tokens (ceil(6/4)) + 3 per message, + 3 for the
 * reply's priming (OpenAI's counting, as the audit does). */
static void test_many_messages(void **state) {
    (void)state;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, "{\"messages\": [");
    for (int i = 0; i < 100000; i++)
        tp_buf_printf(&b, "%s{\"role\": \"%s\", \"content\": \"m%05d\"}", i ? ", " : "",
                      i % 2 ? "assistant" : "user", i);
    tp_buf_puts(&b, "]}\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/many.jsonl", tp_tmpdir());
    write_file(path, b.data, b.len);
    tp_buf_free(&b);
    AuditResult r;
    audit_ok(path, NULL, &(AuditOptions){.seq = 1 << 30}, &r);
    assert_int_equal(r.n_examples, 1);
    assert_int_equal(r.examples[0].messages, 100000);
    assert_int_equal(r.examples[0].tokens, 100000 * (2 + 3) + 3);
    audit_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_errors),
        cmocka_unit_test(test_nul_character),
        cmocka_unit_test(test_many_messages),
        cmocka_unit_test(test_more_errors_and_warnings),
        cmocka_unit_test(test_plain_formats),
        cmocka_unit_test(test_issue_cap),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_rare_label_and_no_labels),
        cmocka_unit_test(test_near_duplicates),
        cmocka_unit_test(test_leakage_eval_file),
        cmocka_unit_test(test_leakage_pilot_split),
        cmocka_unit_test(test_exact_tokens),
        cmocka_unit_test(test_exact_tokens_real),
        cmocka_unit_test(test_template_error),
        cmocka_unit_test(test_default_epochs),
        cmocka_unit_test(test_cost_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
