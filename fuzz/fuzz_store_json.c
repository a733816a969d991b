/* Fuzz target: JSON that the database holds and the program reads back (a
 * database may be shared, copied or edited, so its contents are outside
 * input). The first byte picks the reader:
 *   even  a run's recorded settings (runs.config), read by runs resume
 *         and the Pilot screen: pilot_options_from_run;
 *   odd   a pricing snapshot's model entries (pricing update stores them),
 *         applied over the bundled tables: pricing_apply_snapshot; the
 *         entries are separated by marker lines "##".
 * (Saved decisions' answers are read by the framework target.)
 * The bundled tables are loaded once; each input applies its snapshot to a
 * copy that shares the bundled entries and has an arena of its own, as
 * pricing_apply_snapshot only allocates new entries there (it never writes
 * to the tables it is given). Reloading the tables per input made this
 * target slow (about 35 inputs a second on a busy machine). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tunepilot/pilot.h"
#include "tunepilot/pricing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_settings(const uint8_t *data, size_t size) {
    StoreRun r = {0};
    r.id = 7;
    snprintf(r.model, sizeof r.model, "/models/tiny");
    snprintf(r.data, sizeof r.data, "/data/train.jsonl");
    r.config = malloc(size + 1);
    memcpy(r.config, data, size);
    r.config[size] = '\0';
    PilotOptions o;
    TpError err;
    if (pilot_options_from_run(&r, &o, &err) == TP_OK && o.model_dir != r.model)
        abort();
    free(r.config);
}

static void snapshot(const uint8_t *data, size_t size) {
    enum { MAX_ENTRIES = 16 };
    char *entries[MAX_ENTRIES];
    int n = 0;
    while (n < MAX_ENTRIES) {
        const uint8_t *a, *b;
        size_t na, nb;
        fuzz_split(data, size, &a, &na, &b, &nb);
        entries[n] = malloc(na + 1);
        memcpy(entries[n], a, na);
        entries[n++][na] = '\0';
        if (b == data + size)
            break;
        data = b;
        size = nb;
    }
    static Pricing bundled;
    static int loaded;
    if (!loaded) {
        if (pricing_load_bundled(&bundled, NULL) != TP_OK)
            abort();
        loaded = 1;
    }
    Pricing p = bundled;
    tp_arena_init(&p.arena);
    TpError err;
    (void)pricing_apply_snapshot(&p, 3, "fuzz", "2026-12-01", entries, n, &err);
    if (p.n_models > 0)
        (void)pricing_find_model(&p, p.models[p.n_models - 1].id);
    pricing_free(&p);
    for (int i = 0; i < n; i++)
        free(entries[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    if (data[0] & 1)
        snapshot(data + 1, size - 1);
    else
        run_settings(data + 1, size - 1);
    return 0;
}
