/* bench_tui.c - the workbench's time to the first frame, with the bundled
 * pricing plus an imported snapshot of 3,000 models (the newest snapshot is
 * what the workbench prices with), and the redraw time of the Costs screen.
 * Frames are drawn by ncurses to /dev/null through a real screen (newterm).
 * A benchmark, not a test. Targets: first frame < 100 ms, redraw < 5 ms.
 *
 * usage: bench_tui [REDRAWS]   (default 300) */
#include <ncurses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/tui.h"
#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "bench_util.h"

/* A LiteLLM-format document with n chat models. */
static char *price_file(int n) {
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, "{");
    for (int i = 0; i < n; i++)
        tp_buf_printf(&b,
                      "%s\"bench-model-%04d\": {\"input_cost_per_token\": %g, "
                      "\"output_cost_per_token\": %g, \"litellm_provider\": \"prov%d\", "
                      "\"max_input_tokens\": 128000, \"mode\": \"chat\"}",
                      i ? "," : "", i, 1e-7 * (1 + i % 50), 4e-7 * (1 + i % 50), i % 40);
    tp_buf_puts(&b, ", \"last_updated\": \"2026-11-01T00:00:00\"}");
    return tp_buf_take(&b);
}

static int import_snapshot(const char *db, int n) {
    Store *s;
    TpError err = {0};
    if (store_open(db, &s, &err) != TP_OK) {
        fprintf(stderr, "bench_tui: %s\n", err.msg);
        return -1;
    }
    char *text = price_file(n);
    Pricing p = {0};
    tp_arena_init(&p.arena);
    PricingImport imp;
    int rc = 0;
    if (pricing_import_litellm(&p, text, strlen(text), "bench", "https://example.com", &imp,
                               &err) != TP_OK) {
        fprintf(stderr, "bench_tui: %s\n", err.msg);
        rc = -1;
    } else {
        const char **ids = calloc((size_t)imp.n_models, sizeof *ids);
        char **docs = calloc((size_t)imp.n_models, sizeof *docs);
        for (int i = 0; i < imp.n_models; i++) {
            imp.models[i].as_of = "2026-11-01";
            ids[i] = imp.models[i].id;
            cJSON *o = pricing_model_to_json(&imp.models[i]);
            docs[i] = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
        }
        if (store_snapshot_insert(s, "bench", "bench", "2026-11-01", imp.n_models, ids,
                                  (const char *const *)docs, NULL, &err) != TP_OK) {
            fprintf(stderr, "bench_tui: %s\n", err.msg);
            rc = -1;
        }
        for (int i = 0; i < imp.n_models; i++)
            free(docs[i]);
        free(docs);
        free(ids);
    }
    free(text);
    pricing_free(&p);
    store_close(s);
    return rc;
}

int main(int argc, char **argv) {
    int redraws = argc > 1 ? atoi(argv[1]) : 300;
    char dir[4096];
    if (!bench_tmpdir(dir, sizeof dir, "tp-bench-tui-XXXXXX")) {
        fprintf(stderr, "bench_tui: %s: cannot make a folder: %s\n", dir, strerror(errno));
        return 1;
    }
    char db[4200];
    snprintf(db, sizeof db, "%s/tp.db", dir);
    if (import_snapshot(db, 3000) != 0)
        return 1;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm-256color", out, in);
    if (!scr) {
        fprintf(stderr, "bench_tui: newterm failed\n");
        return 1;
    }
    set_term(scr);
    resizeterm(50, 200);
    TuiOptions opt = {db, false, NULL};
    double t0 = 1e3 * bench_wall_s();
    TuiApp *a = tui_app_new(&opt);
    double t_open = 1e3 * bench_wall_s();
    tui_draw(a);
    double t_first = 1e3 * bench_wall_s();
    tui_show(a, 1); /* Costs */
    tui_draw(a);
    double t1 = 1e3 * bench_wall_s();
    for (int i = 0; i < redraws; i++)
        tui_draw(a);
    double redraw = (1e3 * bench_wall_s() - t1) / redraws;
    tui_show(a, 2); /* Pricing with 3,000 more models */
    tui_draw(a);
    double t2 = 1e3 * bench_wall_s();
    for (int i = 0; i < redraws; i++)
        tui_draw(a);
    double redraw_p = (1e3 * bench_wall_s() - t2) / redraws;
    tui_app_free(a);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
    TpError err = {0};
    if (tp_remove_tree(dir, &err) != TP_OK)
        fprintf(stderr, "bench_tui: %s\n", err.msg);
    printf("workbench at 200x50, bundled pricing + a snapshot of 3,000 imported models\n");
    printf("first frame: %.1f ms (open: database, pricing, projection of the example %.1f ms; "
           "draw %.1f ms) -> target < 100 ms: %s\n",
           t_first - t0, t_open - t0, t_first - t_open, t_first - t0 < 100 ? "met" : "NOT met");
    printf("Costs redraw: %.3f ms per frame over %d frames -> target < 5 ms: %s\n", redraw, redraws,
           redraw < 5 ? "met" : "NOT met");
    printf("Pricing redraw (3,057 models, sorted and filtered per frame): %.3f ms\n", redraw_p);
    return 0;
}
