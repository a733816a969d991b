/* Fuzz target: a model's config.json (llama_config_parse, the reader behind
 * model info, pilot and the trainer). Checked: an accepted config has sizes
 * that a model can be built from (positive, heads divide the hidden size
 * as the reader promises) and eos ids inside the vocabulary's range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tunepilot/llama.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    LlamaConfig c;
    TpError err;
    if (llama_config_parse((const char *)data, size, "config.json", &c, &err) != TP_OK)
        return 0;
    if (c.hidden <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
        c.vocab <= 0 || c.intermediate <= 0 || c.head_dim <= 0 || c.n_heads % c.n_kv_heads)
        abort();
    if (c.n_layers > LLAMA_MAX_LAYERS || c.n_eos < 0 || c.n_eos > LLAMA_MAX_EOS)
        abort();
    return 0;
}
