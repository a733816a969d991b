/* Fuzz target: the safetensors writer and reader together. The input
 * describes up to 8 tensors (name, dtype, shape from the bytes; values are
 * the following bytes) and up to 4 metadata pairs; safetensors_write writes
 * them and safetensors_open reads the file back. Checked: what the writer
 * accepts the reader accepts, with the same names, dtypes, shapes, bytes
 * and metadata; what the writer refuses leaves no file behind. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "tunepilot/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct In {
    const uint8_t *p;
    size_t n;
} In;

static unsigned take(In *in) {
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

/* A string of up to max bytes from the input (length first), NUL-ended. */
static void take_str(In *in, char *out, size_t max) {
    size_t len = take(in) % (max + 1), i = 0;
    for (; i < len && in->n; i++)
        out[i] = (char)take(in);
    out[i] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    In in = {data, size};
    int n = (int)(take(&in) % 9), n_meta = (int)(take(&in) % 5);
    static const SafetensorsDtype dtypes[] = {SAFETENSORS_F32, SAFETENSORS_F16, SAFETENSORS_BF16};
    char names[8][24], mk[4][16], mv[4][32];
    int64_t shapes[8][3];
    uint8_t *bufs[8] = {0};
    SafetensorsWriteTensor t[8];
    for (int i = 0; i < n; i++) {
        take_str(&in, names[i], 23);
        int ndim = (int)(take(&in) % 4);
        size_t count = 1;
        for (int d = 0; d < ndim; d++) {
            shapes[i][d] = take(&in) % 5;
            count *= (size_t)shapes[i][d];
        }
        SafetensorsDtype dt = dtypes[take(&in) % 3];
        size_t bytes = count * safetensors_dtype_size(dt);
        bufs[i] = malloc(bytes ? bytes : 1);
        for (size_t b = 0; b < bytes; b++)
            bufs[i][b] = (uint8_t)take(&in);
        t[i] = (SafetensorsWriteTensor){names[i], dt, ndim, ndim ? shapes[i] : NULL, bufs[i]};
    }
    const char *keys[4], *vals[4];
    for (int i = 0; i < n_meta; i++) {
        take_str(&in, mk[i], 15);
        take_str(&in, mv[i], 31);
        keys[i] = mk[i];
        vals[i] = mv[i];
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/rt.safetensors", fuzz_scratch());
    unlink(path);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    TpError err;
    TpStatus st = safetensors_write(path, t, n, keys, vals, n_meta, &err);
    if (access(tmp, F_OK) == 0)
        abort(); /* no temporary file is left behind, whatever happened */
    if (st != TP_OK) {
        if (access(path, F_OK) == 0)
            abort(); /* a refused write leaves nothing */
        goto out;
    }
    SafetensorsFile *f;
    if (safetensors_open(path, &f, &err) != TP_OK) {
        fprintf(stderr, "written but not readable: %s\n", err.msg);
        abort();
    }
    if (safetensors_count(f) != n)
        abort();
    for (int i = 0; i < n; i++) {
        const SafetensorsTensor *r = safetensors_find(f, names[i]);
        if (!r || r->dtype != t[i].dtype || r->ndim != t[i].ndim)
            abort();
        for (int d = 0; d < r->ndim; d++)
            if (r->shape[d] != t[i].shape[d])
                abort();
        if (r->nbytes && memcmp(r->data, bufs[i], r->nbytes) != 0)
            abort();
    }
    for (int i = 0; i < n_meta; i++) {
        const char *v = safetensors_metadata(f, keys[i]);
        if (!v || strcmp(v, vals[i]) != 0)
            abort();
    }
    safetensors_close(f);
out:
    for (int i = 0; i < n; i++)
        free(bufs[i]);
    return 0;
}
