/* Fuzz target: LiteLLM price files through import and back to JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tunepilot/pricing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Pricing p = {0};
    tp_arena_init(&p.arena);
    PricingImport imp;
    if (pricing_import_litellm(&p, (const char *)data, size, "fuzz", "https://example.com", &imp,
                               NULL) == TP_OK) {
        for (int i = 0; i < imp.n_models; i++) {
            imp.models[i].as_of = "2026-01-01";
            cJSON *o = pricing_model_to_json(&imp.models[i]);
            char *s = cJSON_PrintUnformatted(o);
            free(s);
            cJSON_Delete(o);
        }
    }
    pricing_free(&p);
    return 0;
}
