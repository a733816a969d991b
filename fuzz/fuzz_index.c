/* Fuzz target: a sharded model's model.safetensors.index.json (weight_map
 * from tensor name to shard file). The folder holds two small shards
 * written at start (model-00001-of-00002.safetensors with "a.weight" and
 * "b.weight", model-00002-of-00002.safetensors with "c.weight") and the
 * input as the index. Checked: every tensor of an accepted set is found by
 * name, lies in its shard and matches its shape. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tunepilot/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_shard(const char *name, const char *const *tensors, int n) {
    static const float vals[6] = {1, 2, 3, 4, 5, 6};
    static const int64_t shape[2] = {2, 3};
    SafetensorsWriteTensor t[3];
    for (int i = 0; i < n; i++)
        t[i] = (SafetensorsWriteTensor){tensors[i], SAFETENSORS_F32, 2, shape, vals};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    static const char *const k[] = {"format"}, *const v[] = {"pt"};
    TpError err;
    if (safetensors_write(path, t, n, k, v, 1, &err) != TP_OK) {
        fprintf(stderr, "fuzz_index: %s\n", err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        static const char *const s1[] = {"a.weight", "b.weight"}, *const s2[] = {"c.weight"};
        write_shard("model-00001-of-00002.safetensors", s1, 2);
        write_shard("model-00002-of-00002.safetensors", s2, 1);
        ready = 1;
    }
    fuzz_put("model.safetensors.index.json", data, size);
    SafetensorsSet *s = NULL;
    TpError err;
    if (safetensors_open_dir(fuzz_scratch(), &s, &err) != TP_OK) {
        if (s)
            abort();
        return 0;
    }
    for (int i = 0; i < safetensors_set_count(s); i++) {
        const SafetensorsTensor *t = safetensors_set_get(s, i);
        if (!t || safetensors_set_find(s, t->name) != t || t->n_elements != 6 ||
            t->nbytes != 24)
            abort();
        float out[6];
        safetensors_to_f32(t, out);
        if (out[0] != 1 || out[5] != 6)
            abort();
    }
    safetensors_set_close(s);
    return 0;
}
