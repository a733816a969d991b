/* Fuzz target: the output of an external trainer (pilot --backend command):
 * the reader that cuts stdout and stderr into lines (\n, \r\n, and bare \r
 * progress redraws), finds JSON or Python-dict objects in them (Hugging
 * Face Trainer logs print dicts), and records metrics, evaluations, events
 * and the final report in the database. The reader's functions are static,
 * so the target includes src/pilot/external.c itself and calls them as
 * external_run does, with an in-memory database (":memory:", recreated
 * every few thousand inputs so it stays small): the store is not what is
 * tested here, and a database file costs a lock, a write and an fsync per
 * recorded line. The first byte picks the slice size and which stream the
 * text arrives on. */
#include "../src/pilot/external.c"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Store *store;
static int64_t run_id;
static int uses;

static void open_store(void) {
    if (store) {
        store_close(store);
        store = NULL;
    }
    TpError err;
    StoreRun r = {0};
    snprintf(r.kind, sizeof r.kind, "external");
    snprintf(r.model, sizeof r.model, "/models/tiny");
    snprintf(r.data, sizeof r.data, "/data/train.jsonl");
    snprintf(r.method, sizeof r.method, "lora");
    r.config = "{}";
    r.total_steps = 100;
    if (store_open(":memory:", &store, &err) != TP_OK || store_run_create(store, &r, &run_id, &err) != TP_OK) {
        fprintf(stderr, "fuzz_trainer_log: %s\n", err.msg);
        abort();
    }
    uses = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!store || ++uses > 5000)
        open_store();
    if (size < 1)
        return 0;
    size_t step = 1 + (data[0] >> 1) % 64;
    bool to_err = data[0] & 1;
    data++;
    size--;
    ExternalResult res = {0};
    res.run_id = run_id;
    Ext x = {0};
    x.s = store;
    x.run = run_id;
    x.max_events = 16;
    x.res = &res;
    x.total_steps = 100;
    Stream streams[2] = {{.fd = -1, .is_err = false}, {.fd = -1, .is_err = true}};
    for (int k = 0; k < 2; k++)
        tp_buf_init(&streams[k].line);
    for (size_t i = 0; i < size; i += step) {
        /* alternate streams per slice when asked, as interleaved output does */
        Stream *st = &streams[to_err ? (i / step) % 2 : 0];
        feed(&x, st, (const char *)data + i, size - i < step ? size - i : step);
    }
    for (int k = 0; k < 2; k++) {
        feed_end(&x, &streams[k]);
        tp_buf_free(&streams[k].line);
    }
    for (int k = 0; k < EXTERNAL_TAIL_LINES; k++)
        free(x.tail[k].text);
    res.status = "completed";
    char *sum = summary_json(&x, &res);
    free(sum);
    cJSON_Delete(x.final);
    cJSON_Delete(x.child_summary);
    return 0;
}
