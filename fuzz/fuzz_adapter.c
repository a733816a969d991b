/* Fuzz target: a LoRA adapter folder as PEFT writes it (model merge,
 * pilot --resume-adapter): adapter_config.json, optionally followed by the
 * marker line "##" and the bytes of adapter_model.safetensors (without it,
 * a valid adapter written at start for the same tiny model is used). The
 * model is a 2-layer Llama with hidden size 16. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static LlamaConfig cfg;
static char *weights; /* the valid adapter_model.safetensors */
static size_t weights_len;

static void setup(void) {
    snprintf(cfg.architecture, sizeof cfg.architecture, "LlamaForCausalLM");
    cfg.hidden = 16;
    cfg.intermediate = 32;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.n_kv_heads = 1;
    cfg.head_dim = 8;
    cfg.vocab = 32;
    cfg.max_pos = 64;
    cfg.rms_eps = 1e-5;
    cfg.rope_theta = 10000;
    cfg.bos_id = -1;
    Lora l;
    LoraConfig lc = {.rank = 4, .alpha = 8, .dropout = 0, .targets = ~0u};
    TpError err;
    if (lora_init(&l, &cfg, &lc, 1, &err) != TP_OK ||
        lora_save_peft(&l, fuzz_scratch(), "tiny-base", &err) != TP_OK) {
        fprintf(stderr, "fuzz_adapter: %s\n", err.msg);
        abort();
    }
    lora_free(&l);
    char path[1024];
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", fuzz_scratch());
    if (tp_file_read(path, 1u << 26, &weights, &weights_len, &err) != TP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!weights)
        setup();
    const uint8_t *conf, *w;
    size_t nconf, nw;
    fuzz_split(data, size, &conf, &nconf, &w, &nw);
    fuzz_put("adapter_config.json", conf, nconf);
    if (nw)
        fuzz_put("adapter_model.safetensors", w, nw);
    else
        fuzz_put("adapter_model.safetensors", weights, weights_len);
    Lora l;
    TpError err;
    if (lora_load_peft(&l, &cfg, fuzz_scratch(), &err) == TP_OK)
        lora_free(&l);
    return 0;
}
