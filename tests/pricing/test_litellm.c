/* test_litellm.c - importing LiteLLM price files (tests/fixtures/litellm_*.json,
 * written for these tests in the LiteLLM layout) and the snapshot round trip
 * import -> JSON -> store -> apply onto the bundled tables. */
#include "tp_test.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

#define FALLBACK "https://github.com/BerriAI/litellm"

static char *read_fixture(const char *name, size_t *len) {
    char *data = NULL;
    TpError err = {0};
    if (tp_file_read(tp_fixture(name), 1 << 20, &data, len, &err) != TP_OK)
        fail_msg("cannot read fixture %s: %s", name, err.msg);
    return data;
}

static void empty_pricing(Pricing *p) {
    memset(p, 0, sizeof *p);
    tp_arena_init(&p->arena);
}

static const PricingModel *imported(const PricingImport *imp, const char *id) {
    for (int i = 0; i < imp->n_models; i++)
        if (!strcmp(imp->models[i].id, id))
            return &imp->models[i];
    return NULL;
}

static void test_import_small(void **state) {
    (void)state;
    size_t len;
    char *text = read_fixture("litellm_small.json", &len);
    Pricing p;
    empty_pricing(&p);
    PricingImport imp;
    TpError err = {0};
    TpStatus st = pricing_import_litellm(&p, text, len, "litellm_small.json", FALLBACK, &imp, &err);
    free(text);
    if (st != TP_OK)
        fail_msg("import failed: %s", err.msg);

    /* 13 top-level keys. Taken (chat/completion/responses with both prices):
     * gpt-4o-mini, gpt-4.1-mini-2025-04-14, acme-chat-free, acme-float,
     * xai-legacy, acme-responses = 6. Skipped: sample_spec, last_updated,
     * fallback_generalizations, text-embedding-acme (embedding), acme-image
     * (image_generation), fireworks-ai-up-to-4b (no mode), acme-chat-noprice
     * (no output price) = 7. */
    assert_int_equal(imp.n_models, 6);
    assert_int_equal(imp.n_skipped, 7);
    assert_null(imported(&imp, "sample_spec"));
    assert_null(imported(&imp, "fallback_generalizations"));
    assert_null(imported(&imp, "last_updated"));
    assert_null(imported(&imp, "text-embedding-acme"));
    /* last_updated "2026-07-24T18:23:43..." -> its date part. */
    assert_non_null(imp.as_of);
    assert_string_equal(imp.as_of, "2026-07-24");

    /* 1.2e-07 $/token * 1e6 = 0.12 $/Mtok; 4.8e-07 -> 0.48; cache read 6e-08 -> 0.06. */
    const PricingModel *m = imported(&imp, "gpt-4o-mini");
    assert_non_null(m);
    assert_string_equal(m->provider, "openai");
    assert_true(m->input_per_mtok == 0.12);
    assert_true(m->output_per_mtok == 0.48);
    assert_true(m->cached_input_per_mtok == 0.06);
    assert_int_equal(m->context_window, 128000);
    assert_int_equal(m->max_output_tokens, 16384);
    assert_true(isnan(m->ttft_ms));
    assert_true(isnan(m->output_tokens_per_s));
    assert_string_equal(m->source, "https://example.com/openai-prices");

    /* Integer zero prices. No cache price -> NAN, not 0. No source -> fallback. */
    m = imported(&imp, "acme-chat-free");
    assert_non_null(m);
    assert_true(m->input_per_mtok == 0.0);
    assert_true(m->output_per_mtok == 0.0);
    assert_true(isnan(m->cached_input_per_mtok));
    assert_int_equal(m->context_window, 8192);
    assert_int_equal(m->max_output_tokens, 0);
    assert_string_equal(m->source, FALLBACK);
    assert_string_equal(m->provider, "acme");

    /* 1.5e-07 -> 0.15 exactly. 8e-07 * 1e6 is 0.7999999999999999 in doubles
     * (checked in Python); the importer rounds to a millionth, giving 0.8. */
    m = imported(&imp, "acme-float");
    assert_non_null(m);
    assert_true(m->input_per_mtok == 0.15);
    assert_true(m->output_per_mtok == 0.8);

    /* Legacy max_tokens given as the float 2000000.0 is the context window. */
    m = imported(&imp, "xai-legacy");
    assert_non_null(m);
    assert_int_equal(m->context_window, 2000000);
    assert_true(m->input_per_mtok == 2.0);
    assert_true(m->output_per_mtok == 10.0);

    /* "responses" mode counts as text generation: 1.5e-05 -> 15, 6e-05 -> 60. */
    m = imported(&imp, "acme-responses");
    assert_non_null(m);
    assert_true(m->input_per_mtok == 15.0);
    assert_true(m->output_per_mtok == 60.0);
    assert_int_equal(m->max_output_tokens, 100000);
    pricing_free(&p);
}

/* Imports doc and expects TP_EINVAL with a message holding s1 and s2. */
static void expect_import_error(const char *doc, const char *s1, const char *s2) {
    Pricing p;
    empty_pricing(&p);
    PricingImport imp;
    TpError err = {0};
    TpStatus st = pricing_import_litellm(&p, doc, strlen(doc), "prices.json", FALLBACK, &imp, &err);
    if (st != TP_EINVAL)
        fail_msg("status %d, expected TP_EINVAL, for %s (message: %s)", st, doc, err.msg);
    assert_int_equal(imp.n_models, 0);
    if (strncmp(err.msg, "prices.json", 11) != 0 || !strstr(err.msg, s1) ||
        (s2 && !strstr(err.msg, s2)))
        fail_msg("message \"%s\" lacks the name, \"%s\" or \"%s\"", err.msg, s1, s2 ? s2 : "");
    pricing_free(&p);
}

static void test_import_errors(void **state) {
    (void)state;
    expect_import_error("{\"good\":{\"mode\":\"chat\",\"input_cost_per_token\":1e-06,"
                        "\"output_cost_per_token\":2e-06},"
                        "\"model-name\":{\"mode\":\"chat\",\"input_cost_per_token\":\"0.000001\","
                        "\"output_cost_per_token\":2e-06}}",
                        "$[\"model-name\"].input_cost_per_token", "expected a number, got a string");
    expect_import_error("{\"neg\":{\"mode\":\"chat\",\"input_cost_per_token\":1e-06,"
                        "\"output_cost_per_token\":-2e-06}}",
                        "$[\"neg\"].output_cost_per_token", "expected a number in [0");
    expect_import_error("{\"neg-cache\":{\"mode\":\"chat\",\"input_cost_per_token\":1e-06,"
                        "\"output_cost_per_token\":2e-06,\"cache_read_input_token_cost\":-1}}",
                        "$[\"neg-cache\"].cache_read_input_token_cost", NULL);
    /* A per-token price above $1 is a unit mistake (per-Mtok written as per-token). */
    expect_import_error("{\"huge\":{\"mode\":\"chat\",\"input_cost_per_token\":2.5,"
                        "\"output_cost_per_token\":10}}",
                        "$[\"huge\"].input_cost_per_token", NULL);
    expect_import_error("{\"m\":{\"mode\":\"chat\",\"input_cost_per_token\":1e-06,"
                        "\"output_cost_per_token\":2e-06,\"max_input_tokens\":1.5}}",
                        "$[\"m\"].max_input_tokens", "integer");
    /* Line 2 is ` "m": {"mode": chat}`: the bare word starts in column 16
     * (space 1, "m" 2-4, ':' 5, space 6, '{' 7, "mode" 8-13, ':' 14, space 15). */
    expect_import_error("{\n \"m\": {\"mode\": chat}\n}", "prices.json:2:16:", "invalid JSON");
    expect_import_error("[{\"mode\":\"chat\"}]", "$: expected an object", "got an array");
    expect_import_error("{}", "no text-generation model", NULL);

    size_t len;
    char *text = read_fixture("litellm_no_chat.json", &len);
    Pricing p;
    empty_pricing(&p);
    PricingImport imp;
    TpError err = {0};
    assert_int_equal(
        pricing_import_litellm(&p, text, len, "litellm_no_chat.json", FALLBACK, &imp, &err),
        TP_EINVAL);
    assert_non_null(strstr(err.msg, "litellm_no_chat.json"));
    assert_non_null(strstr(err.msg, "no text-generation model"));
    assert_int_equal(imp.n_models, 0);
    assert_int_equal(imp.n_skipped, 3); /* sample_spec, embedding, rerank */
    free(text);
    pricing_free(&p);
}

/* import -> pricing_model_to_json -> store -> read back -> apply onto bundled. */
static void test_snapshot_round_trip(void **state) {
    (void)state;
    unsetenv("TUNEPILOT_PRICING_DIR");
    Pricing p;
    TpError err = {0};
    if (pricing_load_bundled(&p, &err) != TP_OK)
        fail_msg("bundled: %s", err.msg);
    const int n_bundled = p.n_models;
    const PricingModel *old = pricing_find_model(&p, "gpt-4o-mini");
    assert_non_null(old);
    /* Bundled latency for gpt-4o-mini (api_models.json: 645 ms, 105.3 tok/s). */
    assert_close(old->ttft_ms, 645, 0);
    assert_close(old->output_tokens_per_s, 105.3, 1e-12);
    const char *old_latency_source = old->latency_source;
    assert_non_null(old_latency_source);
    assert_null(pricing_find_model(&p, "xai-legacy"));

    size_t len;
    char *text = read_fixture("litellm_small.json", &len);
    PricingImport imp;
    TpStatus st = pricing_import_litellm(&p, text, len, "litellm_small.json", FALLBACK, &imp, &err);
    free(text);
    if (st != TP_OK)
        fail_msg("import: %s", err.msg);
    assert_int_equal(imp.n_models, 6);

    const char **ids = calloc((size_t)imp.n_models, sizeof *ids);
    char **docs = calloc((size_t)imp.n_models, sizeof *docs);
    for (int i = 0; i < imp.n_models; i++) {
        imp.models[i].as_of = imp.as_of; /* as the CLI does */
        cJSON *o = pricing_model_to_json(&imp.models[i]);
        docs[i] = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        ids[i] = imp.models[i].id;
    }

    char path[512];
    snprintf(path, sizeof path, "%s/rt/tunepilot.db", tp_tmpdir());
    Store *s = NULL;
    assert_int_equal(store_open(path, &s, &err), TP_OK);
    int64_t snap = 0;
    assert_int_equal(store_snapshot_insert(s, "litellm test", "litellm_small.json", imp.as_of,
                                           imp.n_models, ids, (const char *const *)docs, &snap,
                                           &err),
                     TP_OK);
    for (int i = 0; i < imp.n_models; i++)
        cJSON_free(docs[i]);
    free(docs);
    free(ids);

    StoreSnapshotInfo info;
    char **jsons = NULL;
    int n = 0;
    assert_int_equal(store_snapshot_models(s, snap, &info, &jsons, &n, &err), TP_OK);
    store_close(s);
    assert_int_equal(n, 6);
    assert_string_equal(info.as_of, "2026-07-24");

    st = pricing_apply_snapshot(&p, snap, info.label, info.as_of, jsons, n, &err);
    for (int i = 0; i < n; i++)
        free(jsons[i]);
    free(jsons);
    if (st != TP_OK)
        fail_msg("apply: %s", err.msg);

    assert_int_equal(p.snapshot_id, snap);
    assert_string_equal(p.snapshot_label, "litellm test");
    assert_string_equal(p.snapshot_as_of, "2026-07-24");
    /* Two entries replace bundled models (gpt-4o-mini by id, gpt-4.1-mini by
     * its alias); the other four ids are new: 6 - 2 = 4 added. */
    assert_int_equal(p.n_models, n_bundled + 4);

    const PricingModel *m = pricing_find_model(&p, "gpt-4o-mini");
    assert_non_null(m);
    assert_true(m->input_per_mtok == 0.12); /* snapshot price, not the bundled 0.15 */
    assert_true(m->output_per_mtok == 0.48);
    assert_true(m->cached_input_per_mtok == 0.06);
    assert_string_equal(m->source, "https://example.com/openai-prices");
    assert_string_equal(m->as_of, "2026-07-24");
    /* The snapshot had no latency, so the bundled figures stay. */
    assert_close(m->ttft_ms, 645, 0);
    assert_close(m->output_tokens_per_s, 105.3, 1e-12);
    assert_string_equal(m->latency_source, old_latency_source);
    /* Bundled aliases stay too. */
    assert_ptr_equal(pricing_find_model(&p, "gpt-4o-mini-2024-07-18"), m);

    /* Matched through an alias: keeps the bundled id, takes the new price. */
    m = pricing_find_model(&p, "gpt-4.1-mini");
    assert_non_null(m);
    assert_string_equal(m->id, "gpt-4.1-mini");
    assert_true(m->input_per_mtok == 0.35);
    assert_true(m->output_per_mtok == 1.4);
    assert_ptr_equal(pricing_find_model(&p, "gpt-4.1-mini-2025-04-14"), m);

    m = pricing_find_model(&p, "xai-legacy");
    assert_non_null(m);
    assert_string_equal(m->provider, "xai");
    assert_int_equal(m->context_window, 2000000);
    assert_true(isnan(m->ttft_ms));
    assert_string_equal(m->source, FALLBACK);

    /* Models the snapshot does not mention are unchanged (gpt-4o: 2.50 / 10.00). */
    m = pricing_find_model(&p, "gpt-4o");
    assert_non_null(m);
    assert_close(m->input_per_mtok, 2.5, 0);
    assert_close(m->output_per_mtok, 10.0, 0);
    pricing_free(&p);
}

/* A snapshot with a bad entry is refused and leaves the tables as they were. */
static void test_apply_snapshot_failure_leaves_tables(void **state) {
    (void)state;
    unsetenv("TUNEPILOT_PRICING_DIR");
    Pricing p;
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    int n_bundled = p.n_models;
    char good[] = "{\"id\":\"gpt-4o-mini\",\"provider\":\"openai\",\"input_per_mtok\":9,"
                  "\"output_per_mtok\":9,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}";
    char added[] = "{\"id\":\"brand-new\",\"provider\":\"x\",\"input_per_mtok\":1,"
                   "\"output_per_mtok\":1,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}";
    char bad[] = "{\"id\":\"m\",\"provider\":\"x\",\"input_per_mtok\":1,\"output_per_mtok\":1,"
                 "\"source\":\"https://e.com/x\",\"as_of\":\"not a date\"}";
    char *jsons[] = {good, added, bad};
    assert_int_equal(pricing_apply_snapshot(&p, 5, "bad", "2026-01-01", jsons, 3, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "pricing snapshot 5"));
    assert_non_null(strstr(err.msg, "$[2].as_of"));
    assert_int_equal(p.snapshot_id, 0);
    assert_int_equal(p.n_models, n_bundled);
    assert_null(pricing_find_model(&p, "brand-new"));
    assert_close(pricing_find_model(&p, "gpt-4o-mini")->input_per_mtok, 0.15, 1e-12);

    char notjson[] = "{\"id\": }";
    char *j2[] = {notjson};
    assert_int_equal(pricing_apply_snapshot(&p, 6, "bad", "2026-01-01", j2, 1, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "invalid JSON"));
    assert_int_equal(p.n_models, n_bundled);
    pricing_free(&p);
}

/* The merge finds a bundled model as pricing_find_model does (by its id,
 * by an alias, or without case), and a name seen twice in one snapshot is
 * one model: the later entry wins and keeps the first spelling. */
static void test_apply_snapshot_matches_names(void **state) {
    (void)state;
    unsetenv("TUNEPILOT_PRICING_DIR");
    Pricing p;
    TpError err = {0};
    assert_int_equal(pricing_load_bundled(&p, &err), TP_OK);
    int n_bundled = p.n_models, k = -1;
    for (int i = 0; i < p.n_models && k < 0; i++)
        if (p.models[i].n_aliases > 0)
            k = i;
    assert_true(k >= 0); /* the bundled tables name some models by aliases */
    char id[128], upper[128], alias[128];
    snprintf(id, sizeof id, "%s", p.models[k].id);
    snprintf(alias, sizeof alias, "%s", p.models[k].aliases[0]);
    for (size_t i = 0; i <= strlen(id); i++)
        upper[i] = (char)toupper((unsigned char)id[i]);
    char e1[512], e2[512];
    snprintf(e1, sizeof e1, "{\"id\":\"%s\",\"provider\":\"x\",\"input_per_mtok\":7,"
             "\"output_per_mtok\":7,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}", upper);
    snprintf(e2, sizeof e2, "{\"id\":\"%s\",\"provider\":\"x\",\"input_per_mtok\":8,"
             "\"output_per_mtok\":8,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}", alias);
    char e3[] = "{\"id\":\"Brand-New\",\"provider\":\"x\",\"input_per_mtok\":1,"
                "\"output_per_mtok\":1,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}";
    char e4[] = "{\"id\":\"brand-new\",\"provider\":\"x\",\"input_per_mtok\":2,"
                "\"output_per_mtok\":2,\"source\":\"https://e.com/x\",\"as_of\":\"2026-01-01\"}";
    char *jsons[] = {e1, e2, e3, e4};
    assert_int_equal(pricing_apply_snapshot(&p, 7, "names", "2026-01-01", jsons, 4, &err), TP_OK);
    assert_int_equal(p.n_models, n_bundled + 1);
    const PricingModel *m = pricing_find_model(&p, id);
    assert_non_null(m);
    assert_string_equal(m->id, id); /* the bundled spelling */
    assert_close(m->input_per_mtok, 8, 0);
    assert_true(pricing_find_model(&p, alias) == m); /* its aliases kept */
    m = pricing_find_model(&p, "BRAND-NEW");
    assert_non_null(m);
    assert_string_equal(m->id, "Brand-New");
    assert_close(m->input_per_mtok, 2, 0);
    pricing_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_small),
        cmocka_unit_test(test_import_errors),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_apply_snapshot_failure_leaves_tables),
        cmocka_unit_test(test_apply_snapshot_matches_names),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
