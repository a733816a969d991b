/* Fuzz target: safetensors images parsed from memory (the same validation
 * code as safetensors_open), then every accessor on what was accepted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tunepilot/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    SafetensorsFile *f = NULL;
    TpError err;
    if (safetensors_open_memory(data, size, "fuzz", &f, &err) != TP_OK) {
        if (f)
            abort(); /* failure must leave *out NULL */
        return 0;
    }
    const uint8_t *end = data + size;
    for (int i = 0; i < safetensors_count(f); i++) {
        const SafetensorsTensor *t = safetensors_get(f, i);
        const uint8_t *p = t->data;
        /* Accepted tensors lie inside the buffer and match their shape. */
        if (p < data || p > end || t->nbytes > (size_t)(end - p) ||
            t->nbytes != (size_t)t->n_elements * safetensors_dtype_size(t->dtype) ||
            safetensors_find(f, t->name) != t)
            abort();
        if (t->n_elements <= 4096) {
            float *out = malloc(sizeof(float) * (size_t)(t->n_elements ? t->n_elements : 1));
            if (!out)
                abort();
            safetensors_to_f32(t, out);
            free(out);
        }
    }
    if (safetensors_get(f, safetensors_count(f)) || safetensors_find(f, "__metadata__"))
        abort();
    (void)safetensors_metadata(f, "format");
    safetensors_close(f);
    return 0;
}
