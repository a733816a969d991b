/* Fuzz target: scenario documents through parsing and projection. */
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/cost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Pricing pricing;
    static int loaded;
    if (!loaded) {
        if (pricing_load_bundled(&pricing, NULL) != TP_OK)
            return 0;
        loaded = 1;
    }
    CostScenario sc;
    if (cost_scenario_parse((const char *)data, size, "fuzz", &pricing, &sc, NULL) != TP_OK)
        return 0;
    if (sc.draws > 200)
        sc.draws = 200; /* keep each input fast; the draws loop is not the target */
    CostProjection p;
    if (cost_project(&sc, &p, NULL) == TP_OK)
        cost_projection_free(&p);
    cost_scenario_free(&sc);
    return 0;
}
