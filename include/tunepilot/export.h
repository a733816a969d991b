/* export.h - a pilot run's curves in the formats experiment trackers read.
 * Pure: builds bytes; the caller writes them (atomically).
 *
 * TensorBoard: an event file is a sequence of TFRecords, each
 *   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes |
 *   data | uint32 masked CRC32C of data
 * where masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 (TensorFlow,
 * tensorflow/core/lib/hash/crc32c.h and tsl/lib/io/record_writer.cc), and
 * each record is a tensorflow.Event protobuf (core/util/event.proto):
 * wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
 * summary = 5 (Summary: repeated Value value = 1; Value: tag = 1 (string),
 * simple_value = 2 (float); core/framework/summary.proto). The first event
 * carries file_version "brain.Event:2", as TensorFlow's EventsWriter
 * writes. Scalars: train/loss, train/learning_rate, train/grad_norm,
 * train/tokens_per_s at every update; eval/loss at each held-out
 * evaluation (and eval/accuracy where measured) - the tag names of the
 * Hugging Face Trainer's TensorBoard callback where it has one.
 *
 * Hugging Face: trainer_state.json as transformers' TrainerState.save_to_json
 * writes it (fields of the TrainerState dataclass, keys sorted;
 * src/transformers/trainer_callback.py at commit 55093b758b33, the
 * v4.46-era layout): log_history holds one entry per update
 * {epoch, grad_norm, learning_rate, loss, step}, one per evaluation
 * {epoch, eval_loss[, eval_accuracy], step} and a final
 * {epoch, step, total_flos, train_loss, train_runtime, ...}.
 *
 * Owned by the report module (src/report/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_EXPORT_H
#define TUNEPILOT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tunepilot/store.h"

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as in RFC 3720
 * appendix B.4; crc32c("123456789") = 0xE3069283. */
uint32_t export_crc32c(const void *data, size_t len);
/* TensorFlow's masked CRC of data. */
uint32_t export_masked_crc32c(const void *data, size_t len);

/* Seconds since 1970 of "YYYY-MM-DDTHH:MM:SSZ" (UTC); -1 when malformed. */
double export_parse_utc(const char *iso);

/* The run's event file contents; *len gets the size. Caller frees. */
unsigned char *export_tfevents(const StoreRun *run, const StoreMetric *m, int nm,
                               const StoreEval *e, int ne, size_t *len);
/* The file name TensorBoard expects: "events.out.tfevents.<secs>.tunepilot-run<ID>". */
void export_tfevents_name(const StoreRun *run, char *out, size_t size);

/* trainer_state.json for the run, as text. Caller frees. */
char *export_hf_trainer_state(const StoreRun *run, const StoreMetric *m, int nm,
                              const StoreEval *e, int ne);

#endif
