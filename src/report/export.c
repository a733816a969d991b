/* export.c - TensorBoard event files and Hugging Face trainer_state.json for
 * a pilot run. See export.h for the formats and their sources. */
#include "tunepilot/export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/pilot.h"

/* --- CRC-32C -------------------------------------------------------------------------- */

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint32_t export_crc32c(const void *data, size_t len) {
    if (!crc_ready)
        crc_init();
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

uint32_t export_masked_crc32c(const void *data, size_t len) {
    uint32_t c = export_crc32c(data, len);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

/* --- time ----------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

double export_parse_utc(const char *iso) {
    int y, mo, d, h, mi, s;
    char z = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 ||
        z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    return (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 +
           mi * 60.0 + s;
}

/* --- protobuf ------------------------------------------------------------------------- */

static void pb_varint(TpBuf *b, uint64_t v) {
    unsigned char out[10];
    int n = 0;
    do {
        out[n] = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    tp_buf_append(b, (const char *)out, (size_t)n);
}

static void pb_le(TpBuf *b, uint64_t v, int bytes) {
    unsigned char out[8];
    for (int i = 0; i < bytes; i++)
        out[i] = (unsigned char)(v >> (8 * i));
    tp_buf_append(b, (const char *)out, (size_t)bytes);
}

static void pb_double(TpBuf *b, int field, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    pb_varint(b, (uint64_t)field << 3 | 1);
    pb_le(b, bits, 8);
}

static void pb_float(TpBuf *b, int field, float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    pb_varint(b, (uint64_t)field << 3 | 5);
    pb_le(b, bits, 4);
}

static void pb_bytes(TpBuf *b, int field, const char *data, size_t len) {
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, len);
    tp_buf_append(b, data, len);
}

/* One TFRecord around an Event. */
static void record(TpBuf *out, const TpBuf *ev) {
    unsigned char hdr[8];
    for (int i = 0; i < 8; i++)
        hdr[i] = (unsigned char)((uint64_t)ev->len >> (8 * i));
    tp_buf_append(out, (const char *)hdr, 8);
    pb_le(out, export_masked_crc32c(hdr, 8), 4);
    tp_buf_append(out, ev->data, ev->len);
    pb_le(out, export_masked_crc32c(ev->data, ev->len), 4);
}

static void scalar_event(TpBuf *out, double wall, int64_t step, const char *tag, double v) {
    TpBuf val, sum, ev;
    tp_buf_init(&val);
    tp_buf_init(&sum);
    tp_buf_init(&ev);
    pb_bytes(&val, 1, tag, strlen(tag));
    pb_float(&val, 2, (float)v);
    pb_bytes(&sum, 1, val.data, val.len);
    pb_double(&ev, 1, wall);
    pb_varint(&ev, 2 << 3 | 0);
    pb_varint(&ev, (uint64_t)step);
    pb_bytes(&ev, 5, sum.data, sum.len);
    record(out, &ev);
    tp_buf_free(&val);
    tp_buf_free(&sum);
    tp_buf_free(&ev);
}

static double run_start(const StoreRun *run) {
    double t = export_parse_utc(run->created_at);
    return t >= 0 ? t : 0;
}

/* Wall time of an update: the run's start plus the update's elapsed seconds. */
static double wall_at(const StoreRun *run, const StoreMetric *m, int nm, int64_t step) {
    double t0 = run_start(run), el = 0;
    for (int i = 0; i < nm; i++)
        if (m[i].step <= step && isfinite(m[i].elapsed_s))
            el = m[i].elapsed_s;
    return t0 + el;
}

unsigned char *export_tfevents(const StoreRun *run, const StoreMetric *m, int nm,
                               const StoreEval *e, int ne, size_t *len) {
    TpBuf out, ev;
    tp_buf_init(&out);
    tp_buf_init(&ev);
    pb_double(&ev, 1, run_start(run));
    pb_bytes(&ev, 3, "brain.Event:2", strlen("brain.Event:2"));
    record(&out, &ev);
    tp_buf_free(&ev);
    for (int i = 0; i < nm; i++) {
        double w = wall_at(run, m, nm, m[i].step);
        if (isfinite(m[i].loss))
            scalar_event(&out, w, m[i].step, "train/loss", m[i].loss);
        if (isfinite(m[i].lr))
            scalar_event(&out, w, m[i].step, "train/learning_rate", m[i].lr);
        if (isfinite(m[i].grad_norm))
            scalar_event(&out, w, m[i].step, "train/grad_norm", m[i].grad_norm);
        if (isfinite(m[i].tokens_per_s))
            scalar_event(&out, w, m[i].step, "train/tokens_per_s", m[i].tokens_per_s);
    }
    for (int i = 0; i < ne; i++) {
        double w = wall_at(run, m, nm, e[i].step);
        if (isfinite(e[i].loss))
            scalar_event(&out, w, e[i].step, "eval/loss", e[i].loss);
        if (isfinite(e[i].accuracy))
            scalar_event(&out, w, e[i].step, "eval/accuracy", e[i].accuracy);
    }
    *len = out.len;
    if (out.len == 0)
        return tp_xcalloc(1, 1);
    return (unsigned char *)tp_buf_take(&out);
}

void export_tfevents_name(const StoreRun *run, char *out, size_t size) {
    snprintf(out, size, "events.out.tfevents.%.0f.tunepilot-run%lld", run_start(run),
             (long long)run->id);
}

/* --- Hugging Face trainer_state.json --------------------------------------------------- */

static double cfg_num(const cJSON *cfg, const char *k, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void num_or_null(cJSON *o, const char *k, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

char *export_hf_trainer_state(const StoreRun *run, const StoreMetric *m, int nm,
                              const StoreEval *e, int ne) {
    cJSON *cfg = run->config ? cJSON_Parse(run->config) : NULL;
    PilotSummary sum; /* one that cannot be read records nothing (pilot.h) */
    TpError serr;
    pilot_summary_parse(run->summary, "the run's summary", &sum, &serr);
    double batch = cfg_num(cfg, "batch", 1), accum = cfg_num(cfg, "grad_accum", 1);
    double n_train = sum.n_train >= 0 ? (double)sum.n_train : NAN;
    double fpt = sum.full_run.flops_per_token;
    double eval_every = cfg_num(cfg, "eval_every", 0);
    /* epoch = examples seen / training examples, as the Trainer reports it */
    double per_step = batch * (accum > 0 ? accum : 1);
    int64_t last = nm ? m[nm - 1].step : 0;
    double seen = 0; /* StoreMetric.tokens is each update's own count */
    for (int i = 0; i < nm; i++)
        seen += (double)m[i].tokens;
    double epoch_at_last = n_train > 0 ? last * per_step / n_train : NAN;

    cJSON *st = cJSON_CreateObject(); /* keys in sorted order, as save_to_json writes them */
    cJSON_AddNullToObject(st, "best_metric");
    cJSON_AddNullToObject(st, "best_model_checkpoint");
    num_or_null(st, "epoch", epoch_at_last);
    cJSON_AddNumberToObject(st, "eval_steps", eval_every > 0 ? eval_every : 500);
    cJSON_AddNumberToObject(st, "global_step", (double)last);
    cJSON_AddBoolToObject(st, "is_hyper_param_search", 0);
    cJSON_AddBoolToObject(st, "is_local_process_zero", 1);
    cJSON_AddBoolToObject(st, "is_world_process_zero", 1);
    cJSON *log = cJSON_AddArrayToObject(st, "log_history");
    int j = 0;
    double loss_sum = 0;
    int loss_n = 0;
    for (int i = 0; i <= nm; i++) {
        int64_t step = i < nm ? m[i].step : INT64_MAX;
        /* evaluations at or before this update's step come first */
        for (; j < ne && e[j].step <= step; j++) {
            if (strcmp(e[j].kind, "eval") && strcmp(e[j].kind, "base") &&
                strcmp(e[j].kind, "tuned"))
                continue;
            cJSON *x = cJSON_CreateObject();
            num_or_null(x, "epoch", n_train > 0 ? e[j].step * per_step / n_train : NAN);
            if (isfinite(e[j].accuracy))
                cJSON_AddNumberToObject(x, "eval_accuracy", e[j].accuracy);
            num_or_null(x, "eval_loss", e[j].loss);
            cJSON_AddNumberToObject(x, "step", (double)e[j].step);
            cJSON_AddItemToArray(log, x);
        }
        if (i == nm)
            break;
        cJSON *x = cJSON_CreateObject();
        num_or_null(x, "epoch", n_train > 0 ? m[i].step * per_step / n_train : NAN);
        num_or_null(x, "grad_norm", m[i].grad_norm);
        num_or_null(x, "learning_rate", m[i].lr);
        num_or_null(x, "loss", m[i].loss);
        cJSON_AddNumberToObject(x, "step", (double)m[i].step);
        cJSON_AddItemToArray(log, x);
        if (isfinite(m[i].loss))
            loss_sum += m[i].loss, loss_n++;
    }
    if (nm) {
        double runtime = m[nm - 1].elapsed_s;
        cJSON *x = cJSON_CreateObject();
        num_or_null(x, "epoch", epoch_at_last);
        cJSON_AddNumberToObject(x, "step", (double)last);
        num_or_null(x, "total_flos", isfinite(fpt) ? fpt * seen : NAN);
        num_or_null(x, "train_loss", loss_n ? loss_sum / loss_n : NAN);
        num_or_null(x, "train_runtime", runtime);
        num_or_null(x, "train_samples_per_second",
                    runtime > 0 ? last * per_step / runtime : NAN);
        num_or_null(x, "train_steps_per_second", runtime > 0 ? last / runtime : NAN);
        cJSON_AddItemToArray(log, x);
    }
    cJSON_AddNumberToObject(st, "logging_steps", 1);
    cJSON_AddNumberToObject(st, "max_steps", (double)run->total_steps);
    cJSON_AddNumberToObject(st, "num_input_tokens_seen", seen);
    num_or_null(st, "num_train_epochs",
                n_train > 0 ? ceil(run->total_steps * per_step / n_train) : cfg_num(cfg, "epochs", NAN));
    cJSON_AddNumberToObject(st, "save_steps", cfg_num(cfg, "checkpoint_every", 0) > 0
                                                   ? cfg_num(cfg, "checkpoint_every", 0)
                                                   : 500);
    cJSON_AddItemToObject(st, "stateful_callbacks", cJSON_CreateObject());
    num_or_null(st, "total_flos", isfinite(fpt) ? fpt * seen : 0);
    cJSON_AddNumberToObject(st, "train_batch_size", batch);
    cJSON_AddNullToObject(st, "trial_name");
    cJSON_AddNullToObject(st, "trial_params");
    char *s = cJSON_Print(st);
    cJSON_Delete(st);
    cJSON_Delete(cfg);
    pilot_summary_free(&sum);
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, s);
    tp_buf_puts(&b, "\n");
    free(s);
    return tp_buf_take(&b);
}
