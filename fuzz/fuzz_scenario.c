/* Fuzz target: scenario documents through parsing and projection. The
 * document is parsed as written; the projection of an accepted one is cut
 * to MAX_DRAWS Monte Carlo draws and MAX_MONTHS months (a horizon may be
 * 240 months, draws 1,000,000). Each month and each of six metrics per
 * option costs a quantile call whose histogram (2048 bins) costs the same
 * for 32 draws as for 10,000: with up to 200 draws and the whole horizon,
 * a grown corpus replayed at about 140 inputs per CPU second, with this
 * cut at about 400, and at about 900 once the statistics were built
 * without comparison tracing (fuzz/CMakeLists.txt). Later months and more
 * draws repeat the same code with other numbers. */
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/cost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_DRAWS = 32, MAX_MONTHS = 12 };

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
    if (sc.draws > MAX_DRAWS)
        sc.draws = MAX_DRAWS;
    if (sc.horizon_months > MAX_MONTHS)
        sc.horizon_months = MAX_MONTHS;
    CostProjection p;
    if (cost_project(&sc, &p, NULL) == TP_OK)
        cost_projection_free(&p);
    cost_scenario_free(&sc);
    return 0;
}
