/* Fuzz target: JSONL datasets (chat, Alpaca, prompt/completion) through
 * their three readers: the trainer's (dataset_load: format detection,
 * chat templates, tokenizing, masking, truncation, the seeded split), the
 * audit (data check) and the hosted fine-tune pre-flight
 * (remote_audit_text). The tokenizer is the byte-level fixture
 * tests/fixtures/data/bytes_tokenizer.json with one of eight
 * tokenizer_config.json fixtures (chat templates), each loaded once at
 * start: reloading a tokenizer per input is what made an earlier dataset
 * target slow. The first byte picks the template (bits 0-2), a sequence
 * cut (bit 3: 24 tokens for the trainer's reader; for the audit a limit of
 * 48 tokens per example and a pilot --seq of 24, so that its "too long"
 * and "not kept" checks fire on short inputs), an eval split (bit 4) and
 * whether the audit runs (bit 5, it is the slowest reader); the rest is the
 * file. Every message is tokenized (by two readers when the audit runs),
 * about a microsecond and a half per byte under the sanitizers, so
 * scripts/fuzz.sh keeps inputs to 2 KiB: room for some sixty short
 * examples, past every count the checks test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "tunepilot/audit.h"
#include "tunepilot/dataset.h"
#include "tunepilot/remote.h"
#include "tunepilot/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N_TOK = 8 };
static Tokenizer *toks[N_TOK];

static void load_tokenizers(void) {
    static const char *const configs[N_TOK] = {
        "config_chatml.json", "config_llama3.json",  "config_default.json", "config_llama2.json",
        "config_mistral.json", "config_qwen3.json", "config_zephyr.json",  "config_unknown.json"};
    fuzz_put_fixture("tokenizer.json", "tests/fixtures/data/bytes_tokenizer.json");
    for (int i = 0; i < N_TOK; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fixtures/data/%s", configs[i]);
        fuzz_put_fixture("tokenizer_config.json", rel);
        TpError err;
        if (tokenizer_load(fuzz_scratch(), &toks[i], &err) != TP_OK) {
            fprintf(stderr, "fuzz_dataset: %s\n", err.msg);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!toks[0])
        load_tokenizers();
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;
    const Tokenizer *tok = toks[sel % N_TOK];
    const char *path = fuzz_put("data.jsonl", data, size);

    DatasetOptions o = {0};
    o.max_seq = sel & 8 ? 24 : 0;
    o.eval_split = sel & 16 ? 0.25 : 0;
    o.seed = 1;
    Dataset d;
    TpError err;
    if (dataset_load(path, tok, &o, &d, &err) == TP_OK) {
        if (d.n_train < 1 || d.n_eval < 0)
            abort();
        for (int i = 0; i < d.n_train + d.n_eval; i++) {
            const DatasetExample *e = i < d.n_train ? &d.train[i] : &d.eval[i - d.n_train];
            if (e->n < 1 || e->n_loss < 1 || e->prompt_len > e->n || (o.max_seq && e->n > o.max_seq))
                abort();
            for (int k = 0; k < e->n; k++)
                if (e->ids[k] < 0 || e->ids[k] >= tokenizer_vocab_size(tok))
                    abort();
        }
        dataset_free(&d);
    }

    if (sel & 32) {
        AuditOptions ao;
        audit_options_default(&ao);
        if (sel & 8) {
            ao.seq = 48;
            ao.pilot_seq = 24;
        }
        AuditResult r;
        if (audit_run(path, tok, &ao, &r, &err) == TP_OK) {
            cJSON *j = audit_to_json(&r);
            cJSON_Delete(j);
            audit_free(&r);
        }
    }

    RemoteAudit ra;
    remote_audit_text((const char *)data, size, "data.jsonl", 0, &ra);
    if (ra.n_problems < 0 || ra.n_problems > REMOTE_MAX_PROBLEMS)
        abort();
    return 0;
}
