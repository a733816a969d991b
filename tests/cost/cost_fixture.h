/* cost_fixture.h - a tiny pricing table with round numbers, so that every
 * expected value in the cost tests can be computed by hand. */
#ifndef TP_COST_FIXTURE_H
#define TP_COST_FIXTURE_H

#include <string.h>

#include "tunepilot/pricing.h"

#define SRC "\"source\": \"https://example.com/prices\", \"as_of\": \"2026-01-01\""

static const char FIX_API[] =
    "{\"kind\": \"tunepilot.pricing.api_models\", \"format_version\": 1, \"models\": ["
    "{\"id\": \"m1\", \"provider\": \"p\", \"input_per_mtok\": 2, \"output_per_mtok\": 8,"
    " \"cached_input_per_mtok\": 0.5, \"context_window\": 100000, \"ttft_ms\": 200,"
    " \"output_tokens_per_s\": 100, \"latency_source\": \"https://example.com/lat\","
    " \"latency_as_of\": \"2026-01-01\", \"aliases\": [\"m1-2026\"], " SRC "},"
    "{\"id\": \"m2\", \"provider\": \"q\", \"input_per_mtok\": 10, \"output_per_mtok\": 30,"
    " \"context_window\": 100000, " SRC "}]}";

static const char FIX_FT[] =
    "{\"kind\": \"tunepilot.pricing.finetune\", \"format_version\": 1, \"models\": ["
    "{\"id\": \"m1\", \"provider\": \"p\", \"base_model\": \"m1\", \"method\": \"sft\","
    " \"training_per_mtok\": 5, \"input_per_mtok\": 0.8, \"cached_input_per_mtok\": 0.2,"
    " \"output_per_mtok\": 3.2, " SRC "}]}";

static const char FIX_GPU[] =
    "{\"kind\": \"tunepilot.pricing.gpus\", \"format_version\": 1, \"gpus\": ["
    "{\"id\": \"g1\", \"name\": \"Test GPU\", \"memory_gb\": 24, \"bf16_dense_tflops\": 100,"
    " \"memory_bandwidth_gb_s\": 1000, " SRC ", \"rates\": ["
    "{\"cloud\": \"c1\", \"usd_per_hour\": 1.0, " SRC "},"
    "{\"cloud\": \"c2\", \"usd_per_hour\": 2.0, " SRC "}]},"
    "{\"id\": \"a100-80gb\", \"name\": \"Train GPU\", \"memory_gb\": 80,"
    " \"bf16_dense_tflops\": 312, \"memory_bandwidth_gb_s\": 2000, " SRC ", \"rates\": ["
    "{\"cloud\": \"c1\", \"usd_per_hour\": 2.5, " SRC "}]}]}";

static const char FIX_RAG[] =
    "{\"kind\": \"tunepilot.pricing.rag\", \"format_version\": 1,"
    " \"embeddings\": [{\"id\": \"text-embedding-3-small\", \"provider\": \"p\","
    " \"input_per_mtok\": 0.02, " SRC "}],"
    " \"vector_stores\": [{\"id\": \"vs1\", \"provider\": \"v\", \"monthly_usd\": 50, " SRC "}],"
    " \"retrieval_latency_ms\": {\"low\": 10, \"high\": 100, " SRC "}}";

static const char FIX_RULES[] =
    "{\"kind\": \"tunepilot.pricing.rules\", \"format_version\": 1, \"rules\": ["
    "{\"id\": \"rag_added_latency_ms\", \"low\": 800, \"high\": 2000, \"description\": \"d\", " SRC "},"
    "{\"id\": \"self_hosted_7b_monthly_usd\", \"low\": 300, \"high\": 600, \"description\": \"d\", " SRC "},"
    "{\"id\": \"retrain_every_days\", \"low\": 14, \"high\": 28, \"description\": \"d\", " SRC "},"
    "{\"id\": \"data_prep_multiplier\", \"value\": 3, \"description\": \"d\", " SRC "},"
    "{\"id\": \"lora_7b_a100_hours\", \"value\": 4, \"description\": \"d\", " SRC "},"
    "{\"id\": \"finetune_default_epochs\", \"value\": 3, \"description\": \"d\", " SRC "},"
    "{\"id\": \"api_latency_p95_over_p50\", \"value\": 1.5, \"description\": \"d\", " SRC "},"
    "{\"id\": \"default_api_ttft_ms\", \"value\": 500, \"description\": \"d\", " SRC "},"
    "{\"id\": \"default_api_output_tokens_per_s\", \"value\": 50, \"description\": \"d\", " SRC "},"
    "{\"id\": \"self_hosted_ttft_ms\", \"value\": 100, \"description\": \"d\", " SRC "},"
    "{\"id\": \"self_hosted_decode_tokens_per_s\", \"value\": 100, \"description\": \"d\", " SRC "},"
    "{\"id\": \"engineer_usd_per_hour\", \"value\": 100, \"description\": \"d\", " SRC "}]}";

static inline int fixture_pricing(Pricing *p) {
    memset(p, 0, sizeof *p);
    tp_arena_init(&p->arena);
    const char *docs[5] = {FIX_API, FIX_FT, FIX_GPU, FIX_RAG, FIX_RULES};
    for (int i = 0; i < 5; i++) {
        TpError err = {0};
        if (pricing_parse_table(p, PRICING_TABLES[i], docs[i], strlen(docs[i]), "fixture",
                                &err) != TP_OK) {
            fprintf(stderr, "fixture pricing: %s\n", err.msg);
            return -1;
        }
    }
    return 0;
}

#endif
