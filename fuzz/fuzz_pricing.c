/* Fuzz target: pricing table documents (the first byte picks the table). */
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/pricing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    Pricing p = {0};
    tp_arena_init(&p.arena);
    pricing_parse_table(&p, PRICING_TABLES[data[0] % 5], (const char *)data + 1, size - 1, "fuzz",
                        NULL);
    char sugg[256];
    if (p.n_models > 0)
        pricing_suggest(&p, p.models[0].id, sugg, sizeof sugg);
    pricing_free(&p);
    return 0;
}
