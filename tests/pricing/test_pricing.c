/* test_pricing.c - the bundled pricing tables: coverage the issue asks for,
 * known vendor prices, lookups, strict validation messages, and the
 * TUNEPILOT_PRICING_DIR override. */
#include "tp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/paths.h"
#include "tunepilot/pricing.h"

static void load_bundled(Pricing *p) {
    unsetenv("TUNEPILOT_PRICING_DIR");
    TpError err = {0};
    TpStatus st = pricing_load_bundled(p, &err);
    if (st != TP_OK)
        fail_msg("pricing_load_bundled: %s", err.msg);
}

static bool in_list(const char *s, const char *const *list, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* --- the bundled data ---------------------------------------------------------- */

static void test_bundled_api_models(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    assert_int_equal(p.snapshot_id, 0);
    assert_true(p.n_models >= 30);

    const char *providers[64];
    int np = 0;
    for (int i = 0; i < p.n_models; i++) {
        const PricingModel *m = &p.models[i];
        if (strncmp(m->source, "https://", 8) != 0)
            fail_msg("%s: source \"%s\" is not https", m->id, m->source);
        if (!tp_is_iso_date(m->as_of))
            fail_msg("%s: as_of \"%s\" is not a date", m->id, m->as_of);
        assert_false(isnan(m->input_per_mtok));
        assert_false(isnan(m->output_per_mtok));
        assert_true(m->input_per_mtok >= 0);
        /* Latency figures always come with their own provenance. */
        if (!isnan(m->ttft_ms) || !isnan(m->output_tokens_per_s)) {
            assert_non_null(m->latency_source);
            assert_true(tp_is_iso_date(m->latency_as_of));
        }
        if (!in_list(m->provider, providers, np)) {
            assert_true(np < 64);
            providers[np++] = m->provider;
        }
    }
    assert_true(np >= 6);
    assert_true(in_list("openai", providers, np));
    assert_true(in_list("anthropic", providers, np));
    assert_true(in_list("google", providers, np));
    assert_true(in_list("mistral", providers, np));

    /* Every entry of every table carries a URL and a date. */
    for (int i = 0; i < p.n_finetunes; i++) {
        assert_int_equal(strncmp(p.finetunes[i].source, "https://", 8), 0);
        assert_true(tp_is_iso_date(p.finetunes[i].as_of));
    }
    for (int i = 0; i < p.n_gpus; i++) {
        assert_int_equal(strncmp(p.gpus[i].source, "https://", 8), 0);
        assert_true(tp_is_iso_date(p.gpus[i].as_of));
        for (int r = 0; r < p.gpus[i].n_rates; r++)
            assert_true(tp_is_iso_date(p.gpus[i].rates[r].as_of));
    }
    for (int i = 0; i < p.n_rules; i++) {
        assert_int_equal(strncmp(p.rules[i].source, "https://", 8), 0);
        assert_true(tp_is_iso_date(p.rules[i].as_of));
    }
    pricing_free(&p);
    assert_int_equal(p.n_models, 0);
    pricing_free(NULL);
}

static void test_bundled_finetunes(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    const char *need[] = {"gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano"};
    for (int i = 0; i < 3; i++) {
        const PricingFinetune *f = pricing_find_finetune(&p, need[i]);
        if (!f)
            fail_msg("no fine-tune entry for %s", need[i]);
        assert_string_equal(f->id, need[i]);
        assert_string_equal(f->provider, "openai");
    }
    int lora = 0, full = 0;
    for (int i = 0; i < p.n_finetunes; i++) {
        const PricingFinetune *f = &p.finetunes[i];
        /* Exactly one of the two training prices is given. */
        assert_true(isnan(f->training_per_mtok) != isnan(f->training_per_hour));
        if (!strcmp(f->provider, "together")) {
            lora += !strcmp(f->method, "lora");
            full += !strcmp(f->method, "full");
        }
    }
    assert_true(lora >= 1);
    assert_true(full >= 1);
    pricing_free(&p);
}

static void test_bundled_gpus(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    assert_true(p.n_gpus >= 8);
    const char *need[] = {"h100", "h200", "a100-80gb", "a100-40gb", "l40s",
                          "l4",   "a10g", "t4",        "rtx-4090"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        const PricingGpu *g = pricing_find_gpu(&p, need[i]);
        if (!g)
            fail_msg("no GPU %s", need[i]);
        assert_true(g->memory_gb > 0);
        assert_true(g->memory_bandwidth_gb_s > 0);
        assert_true(g->n_rates >= 1);
    }
    const char *clouds[128];
    int nc = 0;
    for (int i = 0; i < p.n_gpus; i++)
        for (int r = 0; r < p.gpus[i].n_rates; r++) {
            assert_true(p.gpus[i].rates[r].usd_per_hour > 0);
            if (!in_list(p.gpus[i].rates[r].cloud, clouds, nc) && nc < 128)
                clouds[nc++] = p.gpus[i].rates[r].cloud;
        }
    assert_true(nc >= 2);
    pricing_free(&p);
}

static void test_bundled_rag_and_rules(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    assert_true(p.n_embeddings >= 1);
    assert_true(p.n_vector_stores >= 1);
    assert_non_null(pricing_find_embedding(&p, "text-embedding-3-small"));
    /* README: the first vector store is the default, pinecone-standard at $50/month. */
    assert_string_equal(p.vector_stores[0].id, "pinecone-standard");
    assert_close(p.vector_stores[0].monthly_usd, 50.0, 1e-12);
    assert_true(p.retrieval_latency_ms.is_range);
    assert_true(p.retrieval_latency_ms.lo <= p.retrieval_latency_ms.hi);

    struct {
        const char *id;
        bool range;
        double lo, hi;
    } want[] = {
        {"rag_added_latency_ms", true, 800, 2000},
        {"self_hosted_7b_monthly_usd", true, 300, 600},
        {"retrain_every_days", true, 14, 28},
        {"data_prep_multiplier", false, 3, 3},
        {"lora_7b_a100_hours", false, 4, 4},
        {"qlora_memory_reduction", false, 0.75, 0.75},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const PricingRule *r = pricing_rule(&p, want[i].id);
        if (!r)
            fail_msg("no rule %s", want[i].id);
        assert_int_equal(r->is_range, want[i].range);
        assert_close(r->lo, want[i].lo, 1e-12);
        assert_close(r->hi, want[i].hi, 1e-12);
        assert_non_null(r->description);
    }
    assert_null(pricing_rule(&p, "no_such_rule"));
    pricing_free(&p);
}

static void test_known_prices(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    /* Ecosystem survey A2, base in/out column (LiteLLM): gpt-4o-mini 0.15 / 0.60. */
    const PricingModel *m = pricing_find_model(&p, "gpt-4o-mini");
    assert_non_null(m);
    assert_close(m->input_per_mtok, 0.15, 1e-12);
    assert_close(m->output_per_mtok, 0.60, 1e-12);
    assert_string_equal(m->provider, "openai");
    /* gpt-4.1-mini 0.40 / 1.60, cached input 0.10 (a quarter of 0.40). */
    m = pricing_find_model(&p, "gpt-4.1-mini");
    assert_non_null(m);
    assert_close(m->input_per_mtok, 0.40, 1e-12);
    assert_close(m->output_per_mtok, 1.60, 1e-12);
    assert_close(m->cached_input_per_mtok, 0.10, 1e-12);
    /* Survey A2: fine-tuned gpt-4.1-mini trains at 5.00 and serves at 0.80 / 3.20. */
    const PricingFinetune *f = pricing_find_finetune(&p, "gpt-4.1-mini");
    assert_non_null(f);
    assert_close(f->training_per_mtok, 5.0, 1e-12);
    assert_true(isnan(f->training_per_hour));
    assert_close(f->input_per_mtok, 0.80, 1e-12);
    assert_close(f->output_per_mtok, 3.20, 1e-12);
    assert_string_equal(f->method, "sft");
    /* Survey A2: gpt-4o-mini fine-tuning trains at 3.00 per 1M tokens. */
    f = pricing_find_finetune(&p, "gpt-4o-mini");
    assert_non_null(f);
    assert_close(f->training_per_mtok, 3.0, 1e-12);
    pricing_free(&p);
}

/* --- lookups --------------------------------------------------------------------- */

static void test_lookups(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    const PricingModel *m = pricing_find_model(&p, "gpt-4o-mini");
    assert_non_null(m);
    assert_string_equal(m->id, "gpt-4o-mini");
    /* Alias (the dated API name) resolves to the same entry. */
    assert_ptr_equal(pricing_find_model(&p, "gpt-4o-mini-2024-07-18"), m);
    /* Case-insensitive on id and alias. */
    assert_ptr_equal(pricing_find_model(&p, "GPT-4o-Mini"), m);
    assert_ptr_equal(pricing_find_model(&p, "GPT-4O-MINI-2024-07-18"), m);
    /* gpt-4o-mini must not match gpt-4o, and vice versa. */
    const PricingModel *g4o = pricing_find_model(&p, "gpt-4o");
    assert_non_null(g4o);
    assert_ptr_not_equal(g4o, m);
    assert_null(pricing_find_model(&p, "gpt-4o-min"));
    assert_null(pricing_find_model(&p, "no-such-model"));

    const PricingFinetune *f =
        pricing_find_finetune(&p, "ft:gpt-4o-mini-2024-07-18:my-org:custom:abc123");
    assert_non_null(f);
    assert_string_equal(f->id, "gpt-4o-mini");
    assert_ptr_equal(pricing_find_finetune(&p, "gpt-4o-mini-2024-07-18"), f);
    assert_ptr_equal(pricing_find_finetune(&p, "ft:gpt-4o-mini-2024-07-18"), f);
    assert_null(pricing_find_finetune(&p, "ft:no-such-base:org:x:y"));
    assert_null(pricing_find_finetune(&p, "nope"));

    assert_non_null(pricing_find_gpu(&p, "H100"));
    assert_null(pricing_find_gpu(&p, "h1000"));
    assert_null(pricing_find_embedding(&p, "nope"));
    assert_non_null(pricing_find_vector_store(&p, "pinecone-standard"));
    assert_null(pricing_find_vector_store(&p, "nope"));

    /* Cheapest rate vs a named cloud, checked against a scan of the rates. */
    const PricingGpu *h100 = pricing_find_gpu(&p, "h100");
    assert_non_null(h100);
    assert_true(h100->n_rates >= 2);
    double lowest = INFINITY;
    for (int i = 0; i < h100->n_rates; i++)
        if (h100->rates[i].usd_per_hour < lowest)
            lowest = h100->rates[i].usd_per_hour;
    const PricingGpuRate *cheap = pricing_gpu_rate(h100, NULL);
    assert_non_null(cheap);
    assert_close(cheap->usd_per_hour, lowest, 0);
    /* gpus.json: AWS p5.48xlarge $55.04/h / 8 GPUs = $6.88 per H100-hour. */
    const PricingGpuRate *aws = pricing_gpu_rate(h100, "aws");
    assert_non_null(aws);
    assert_string_equal(aws->cloud, "aws");
    assert_close(aws->usd_per_hour, 55.04 / 8, 1e-9);
    assert_ptr_equal(pricing_gpu_rate(h100, "AWS"), aws);
    assert_true(aws->usd_per_hour > cheap->usd_per_hour);
    assert_null(pricing_gpu_rate(h100, "no-such-cloud"));
    pricing_free(&p);
}

static void test_suggest(void **state) {
    (void)state;
    Pricing p;
    load_bundled(&p);
    char out[512];
    pricing_suggest(&p, "gpt-4.1-mni", out, sizeof out);
    assert_non_null(strstr(out, "\"gpt-4.1-mini\""));
    /* The closest (edit distance 1) comes first. */
    assert_int_equal(strncmp(out, "\"gpt-4.1-mini\"", 14), 0);

    pricing_suggest(&p, "qqqqqqqqqqqqqqqqqqqqqqqq", out, sizeof out);
    assert_string_equal(out, "");

    pricing_suggest(&p, "h10", out, sizeof out);
    assert_non_null(strstr(out, "\"h100\""));
    pricing_free(&p);
}

/* --- validation ---------------------------------------------------------------- */

#define MODEL_OK                                                                        \
    "{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":1,\"output_per_mtok\":2,"  \
    "\"source\":\"https://example.com/p\",\"as_of\":\"2026-01-02\"}"
#define API_DOC(models) \
    "{\"kind\":\"tunepilot.pricing.api_models\",\"format_version\":1,\"models\":[" models "]}"
#define RULE_DOC(rule) \
    "{\"kind\":\"tunepilot.pricing.rules\",\"format_version\":1,\"rules\":[" rule "]}"
#define RULE_TAIL \
    "\"unit\":\"ms\",\"description\":\"d\",\"source\":\"https://example.com/r\",\"as_of\":\"2026-01-02\"}"
#define GPU_DOC(rates)                                                                      \
    "{\"kind\":\"tunepilot.pricing.gpus\",\"format_version\":1,\"gpus\":[{\"id\":\"g\","    \
    "\"name\":\"G\",\"memory_gb\":24,\"memory_bandwidth_gb_s\":300,\"rates\":" rates ","  \
    "\"source\":\"https://example.com/g\",\"as_of\":\"2026-01-02\"}]}"

/* Parses doc as `table` into a fresh Pricing; returns status and message. */
static TpStatus parse_doc(const char *table, const char *doc, TpError *err, Pricing *keep) {
    Pricing p;
    memset(&p, 0, sizeof p);
    tp_arena_init(&p.arena);
    tp_error_clear(err);
    TpStatus st = pricing_parse_table(&p, table, doc, strlen(doc), "doc.json", err);
    if (keep)
        *keep = p;
    else
        pricing_free(&p);
    return st;
}

static void expect_invalid(const char *table, const char *doc, const char *s1, const char *s2) {
    TpError err;
    TpStatus st = parse_doc(table, doc, &err, NULL);
    if (st != TP_EINVAL)
        fail_msg("status %d (expected TP_EINVAL) for %s; message: %s", st, doc, err.msg);
    assert_int_equal(err.code, TP_EINVAL);
    if (strncmp(err.msg, "doc.json", 8) != 0 || !strstr(err.msg, s1) || (s2 && !strstr(err.msg, s2)))
        fail_msg("message \"%s\" lacks the name, \"%s\" or \"%s\"", err.msg, s1, s2 ? s2 : "");
}

static void test_valid_small_tables(void **state) {
    (void)state;
    TpError err;
    Pricing p;
    assert_int_equal(parse_doc("api_models", API_DOC(MODEL_OK), &err, &p), TP_OK);
    assert_int_equal(p.n_models, 1);
    assert_string_equal(p.models[0].id, "m1");
    assert_close(p.models[0].input_per_mtok, 1, 0);
    /* Optional numbers that are absent are NAN, not zero. */
    assert_true(isnan(p.models[0].cached_input_per_mtok));
    assert_true(isnan(p.models[0].ttft_ms));
    assert_int_equal(p.models[0].context_window, 0);
    pricing_free(&p);

    assert_int_equal(parse_doc("rules", RULE_DOC("{\"id\":\"r\",\"low\":1,\"high\":5," RULE_TAIL),
                               &err, &p),
                     TP_OK);
    assert_int_equal(p.n_rules, 1);
    assert_true(p.rules[0].is_range);
    assert_close(p.rules[0].lo, 1, 0);
    assert_close(p.rules[0].hi, 5, 0);
    pricing_free(&p);
}

static void test_validation_errors(void **state) {
    (void)state;
    expect_invalid("api_models",
                   API_DOC("{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":-1,"
                           "\"output_per_mtok\":2,\"source\":\"https://example.com/p\","
                           "\"as_of\":\"2026-01-02\"}"),
                   "$.models[0].input_per_mtok", "got -1");
    expect_invalid("api_models",
                   API_DOC("{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":1,"
                           "\"output_per_mtok\":2,\"as_of\":\"2026-01-02\"}"),
                   "$.models[0].source", "missing");
    expect_invalid("api_models",
                   API_DOC("{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":1,"
                           "\"output_per_mtok\":2,\"source\":\"example.com/prices\","
                           "\"as_of\":\"2026-01-02\"}"),
                   "$.models[0].source", "expected a URL");
    expect_invalid("api_models",
                   API_DOC("{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":1,"
                           "\"output_per_mtok\":2,\"source\":\"https://example.com/p\","
                           "\"as_of\":\"2026-1-2\"}"),
                   "$.models[0].as_of", "YYYY-MM-DD");
    expect_invalid("api_models",
                   API_DOC("{\"id\":\"m1\",\"provider\":\"acme\",\"input_per_mtok\":1,"
                           "\"output_per_mtok\":2,\"source\":\"https://example.com/p\","
                           "\"as_of\":\"2026-01-02\",\"colour\":\"red\"}"),
                   "$.models[0].colour", "unknown field");
    expect_invalid("api_models", API_DOC(MODEL_OK "," MODEL_OK), "\"m1\" appears twice",
                   "$.models");
    /* An alias that repeats another entry's id is a duplicate too. */
    expect_invalid("api_models",
                   API_DOC(MODEL_OK ",{\"id\":\"m2\",\"aliases\":[\"M1\"],\"provider\":\"acme\","
                                    "\"input_per_mtok\":1,\"output_per_mtok\":2,"
                                    "\"source\":\"https://example.com/p\",\"as_of\":\"2026-01-02\"}"),
                   "appears twice", NULL);
    expect_invalid("api_models",
                   "{\"kind\":\"tunepilot.pricing.gpus\",\"format_version\":1,\"models\":[]}",
                   "$.kind", "expected \"tunepilot.pricing.api_models\"");
    expect_invalid("api_models",
                   "{\"kind\":\"tunepilot.pricing.api_models\",\"format_version\":2,\"models\":[]}",
                   "$.format_version", "got 2");
    expect_invalid("api_models", "{\"kind\":\"tunepilot.pricing.api_models\",\"models\":[]}",
                   "$.format_version", "missing");
    expect_invalid("rules", RULE_DOC("{\"id\":\"r\",\"low\":5,\"high\":1," RULE_TAIL),
                   "$.rules[0]", "low (5) is greater than high (1)");
    expect_invalid("rules", RULE_DOC("{\"id\":\"r\",\"value\":3,\"low\":1,\"high\":5," RULE_TAIL),
                   "$.rules[0]", "not both");
    expect_invalid("gpus", GPU_DOC("[]"), "$.gpus[0].rates", "non-empty array");
    expect_invalid("gpus", GPU_DOC("{}"), "$.gpus[0].rates", "non-empty array");
    expect_invalid("gpus",
                   GPU_DOC("[{\"cloud\":\"x\",\"usd_per_hour\":-2,\"source\":\"https://e.com/x\","
                           "\"as_of\":\"2026-01-02\"}]"),
                   "$.gpus[0].rates[0].usd_per_hour", "got -2");
    /* Syntax error on line 2: `  "kind": ]` has the ']' in column 11
     * (2 spaces, 6 for "kind" with quotes, ':' in 9, a space in 10). */
    expect_invalid("api_models", "{\n  \"kind\": ]\n}", "doc.json:2:11:", "invalid JSON");
    expect_invalid("api_models", "[1, 2]", "$: expected an object", "an array");
    expect_invalid("api_models", "", "empty", NULL);
    expect_invalid("api_models",
                   "{\"kind\":\"tunepilot.pricing.api_models\",\"format_version\":1,"
                   "\"models\":{}}",
                   "$.models", "expected an array, got an object");
    expect_invalid("finetune",
                   "{\"kind\":\"tunepilot.pricing.finetune\",\"format_version\":1,\"models\":[{"
                   "\"id\":\"f\",\"provider\":\"p\",\"base_model\":\"b\",\"method\":\"qlora\","
                   "\"training_per_mtok\":1,\"input_per_mtok\":1,\"output_per_mtok\":1,"
                   "\"source\":\"https://e.com/f\",\"as_of\":\"2026-01-02\"}]}",
                   "$.models[0].method", "\"qlora\"");
    expect_invalid("finetune",
                   "{\"kind\":\"tunepilot.pricing.finetune\",\"format_version\":1,\"models\":[{"
                   "\"id\":\"f\",\"provider\":\"p\",\"base_model\":\"b\",\"method\":\"lora\","
                   "\"input_per_mtok\":1,\"output_per_mtok\":1,"
                   "\"source\":\"https://e.com/f\",\"as_of\":\"2026-01-02\"}]}",
                   "$.models[0]", "training_per_mtok or training_per_hour");
}

/* --- TUNEPILOT_PRICING_DIR ------------------------------------------------------- */

static const char *const SMALL_TABLES[5] = {
    API_DOC("{\"id\":\"override-model\",\"provider\":\"acme\",\"input_per_mtok\":7.5,"
            "\"output_per_mtok\":9,\"source\":\"https://example.com/p\",\"as_of\":\"2026-01-02\"}"),
    "{\"kind\":\"tunepilot.pricing.finetune\",\"format_version\":1,\"models\":[{"
    "\"id\":\"ft-x\",\"provider\":\"acme\",\"base_model\":\"override-model\",\"method\":\"lora\","
    "\"training_per_hour\":2,\"input_per_mtok\":1,\"output_per_mtok\":1,"
    "\"source\":\"https://e.com/f\",\"as_of\":\"2026-01-02\"}]}",
    GPU_DOC("[{\"cloud\":\"acmecloud\",\"usd_per_hour\":1.25,\"source\":\"https://e.com/x\","
            "\"as_of\":\"2026-01-02\"}]"),
    "{\"kind\":\"tunepilot.pricing.rag\",\"format_version\":1,"
    "\"embeddings\":[{\"id\":\"emb\",\"provider\":\"acme\",\"input_per_mtok\":0.01,"
    "\"source\":\"https://e.com/e\",\"as_of\":\"2026-01-02\"}],"
    "\"vector_stores\":[{\"id\":\"vs\",\"provider\":\"acme\",\"monthly_usd\":5,"
    "\"source\":\"https://e.com/v\",\"as_of\":\"2026-01-02\"}],"
    "\"retrieval_latency_ms\":{\"low\":10,\"high\":30,\"source\":\"https://e.com/l\","
    "\"as_of\":\"2026-01-02\"}}",
    RULE_DOC("{\"id\":\"only_rule\",\"value\":42," RULE_TAIL),
};

static void write_tables(const char *dir) {
    TpError err;
    for (int t = 0; t < 5; t++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.json", dir, PRICING_TABLES[t]);
        assert_int_equal(
            tp_file_write_atomic(path, SMALL_TABLES[t], strlen(SMALL_TABLES[t]), &err), TP_OK);
    }
}

static void test_pricing_dir_override(void **state) {
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pricing-override", tp_tmpdir());
    assert_int_equal(tp_mkdirs(dir, NULL), TP_OK);
    write_tables(dir);

    setenv("TUNEPILOT_PRICING_DIR", dir, 1);
    Pricing p;
    TpError err = {0};
    TpStatus st = pricing_load_bundled(&p, &err);
    if (st != TP_OK)
        fail_msg("override load failed: %s", err.msg);
    assert_int_equal(p.n_models, 1);
    assert_string_equal(p.models[0].id, "override-model");
    assert_close(p.models[0].input_per_mtok, 7.5, 0);
    assert_null(pricing_find_model(&p, "gpt-4o-mini")); /* the bundled table is not used */
    assert_int_equal(p.n_finetunes, 1);
    assert_close(p.finetunes[0].training_per_hour, 2, 0);
    assert_true(isnan(p.finetunes[0].training_per_mtok));
    assert_int_equal(p.n_gpus, 1);
    assert_close(pricing_gpu_rate(&p.gpus[0], NULL)->usd_per_hour, 1.25, 0);
    assert_int_equal(p.n_rules, 1);
    assert_close(pricing_rule(&p, "only_rule")->lo, 42, 0);
    assert_close(p.retrieval_latency_ms.hi, 30, 0);
    pricing_free(&p);

    /* An invalid copy names its file. */
    char path[600];
    snprintf(path, sizeof path, "%s/gpus.json", dir);
    const char *bad = GPU_DOC("[]");
    assert_int_equal(tp_file_write_atomic(path, bad, strlen(bad), &err), TP_OK);
    tp_error_clear(&err);
    assert_int_equal(pricing_load_bundled(&p, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "$.gpus[0].rates"));
    assert_int_equal(p.n_models, 0); /* left empty on failure */

    /* A missing table file: the message says where it looked. */
    assert_int_equal(unlink(path), 0);
    tp_error_clear(&err);
    st = pricing_load_bundled(&p, &err);
    assert_int_not_equal(st, TP_OK);
    assert_non_null(strstr(err.msg, "TUNEPILOT_PRICING_DIR"));
    assert_non_null(strstr(err.msg, "gpus.json"));
    assert_int_equal(p.n_models, 0);
    pricing_free(&p);

    /* An empty value means "use the compiled-in tables". */
    setenv("TUNEPILOT_PRICING_DIR", "", 1);
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    assert_true(p.n_models >= 30);
    pricing_free(&p);
    unsetenv("TUNEPILOT_PRICING_DIR");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundled_api_models),
        cmocka_unit_test(test_bundled_finetunes),
        cmocka_unit_test(test_bundled_gpus),
        cmocka_unit_test(test_bundled_rag_and_rules),
        cmocka_unit_test(test_known_prices),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_valid_small_tables),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_pricing_dir_override),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
