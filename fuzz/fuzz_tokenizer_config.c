/* Fuzz target: tokenizer_config.json, read beside tokenizer.json when a
 * model folder is loaded (special tokens, add_bos_token, the chat template
 * whose markers pick the dataset's template). The folder holds the
 * byte-level fixture tests/fixtures/data/bytes_tokenizer.json and the input
 * as tokenizer_config.json. An accepted tokenizer formats a generation
 * prompt with the template chosen for it: ids in range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "tunepilot/dataset.h"
#include "tunepilot/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        fuzz_put_fixture("tokenizer.json", "tests/fixtures/data/bytes_tokenizer.json");
        ready = 1;
    }
    fuzz_put("tokenizer_config.json", data, size);
    Tokenizer *t = NULL;
    TpError err;
    if (tokenizer_load(fuzz_scratch(), &t, &err) != TP_OK) {
        if (t)
            abort(); /* failure leaves *out NULL */
        return 0;
    }
    bool fallback;
    if (!dataset_template_name(t, &fallback))
        abort();
    int *ids = NULL, n = 0;
    if (dataset_format_prompt(t, "Be brief.", "Hello <s> there", &ids, &n, &err) == TP_OK) {
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= tokenizer_vocab_size(t))
                abort();
        free(ids);
    }
    tokenizer_free(t);
    return 0;
}
