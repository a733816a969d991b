/* safetensors.h - reading and writing safetensors weight files.
 *
 * Layout (huggingface/safetensors): an 8-byte little-endian u64 N, N bytes of
 * UTF-8 JSON header, then the data buffer. The header maps each tensor name to
 * {"dtype", "shape", "data_offsets": [begin, end)} (offsets relative to the
 * data buffer) plus an optional "__metadata__" object of strings. Only the
 * float dtypes F32, F16 and BF16 are supported. Files are validated with the
 * rules of the reference reader (header <= 100,000,000 bytes, tensors packed
 * back to back from offset 0 with no gaps, overlaps or trailing bytes, sizes
 * matching shape x dtype) and duplicate names are rejected. Every failure is
 * TP_EINVAL (bad contents), TP_ENOTFOUND (missing file) or TP_EIO, with a
 * message naming the file and the tensor or field. Nothing prints or exits.
 * Data is little-endian; the host must be little-endian too.
 *
 * Owned by the model module (src/model/); included by the modules of its layer (model) and
 * those above (pricing, data, train, net, decide, cost, pilot, handoff, eval, session, report,
 * cli, tui). */
#ifndef TUNEPILOT_SAFETENSORS_H
#define TUNEPILOT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "tunepilot/error.h"

#define SAFETENSORS_MAX_DIMS 8
#define SAFETENSORS_MAX_HEADER 100000000u /* bytes, as the reference reader */

typedef enum { SAFETENSORS_F32, SAFETENSORS_F16, SAFETENSORS_BF16 } SafetensorsDtype;

/* One tensor of an open file. All pointers are owned by the file and stay
 * valid until safetensors_close. `data` points into the file's read-only
 * mapping (or the caller's buffer for safetensors_open_memory); it is aligned
 * to the element size for files written by safetensors_write or the reference
 * writer, but foreign files may misalign it: read through memcpy or
 * safetensors_to_f32 when unsure. For empty tensors nbytes is 0. */
typedef struct SafetensorsTensor {
    const char *name;
    SafetensorsDtype dtype;
    int ndim;                           /* 0..8; 0 is a scalar with one element */
    int64_t shape[SAFETENSORS_MAX_DIMS]; /* row-major; entries past ndim are 0 */
    int64_t n_elements;
    const void *data;
    size_t nbytes; /* n_elements x safetensors_dtype_size(dtype) */
} SafetensorsTensor;

typedef struct SafetensorsFile SafetensorsFile; /* one opened file */

/* "F32", "F16" or "BF16"; bytes per element (4, 2, 2). */
const char *safetensors_dtype_name(SafetensorsDtype dt);
size_t safetensors_dtype_size(SafetensorsDtype dt);

/* Maps `path` read-only (mmap PROT_READ, MAP_PRIVATE) and validates it. On
 * success *out owns the mapping (release with safetensors_close); on failure
 * *out is NULL. Errors: TP_ENOTFOUND (no such file), TP_EIO, TP_EINVAL. */
TpStatus safetensors_open(const char *path, SafetensorsFile **out, TpError *err);

/* Parses a safetensors image held in memory with the same code as
 * safetensors_open. The buffer is borrowed: it must outlive *out and tensor
 * data points into it. `name` is used in messages (copied). */
TpStatus safetensors_open_memory(const void *buf, size_t len, const char *name,
                                 SafetensorsFile **out, TpError *err);

/* Unmaps and frees everything; f may be NULL. */
void safetensors_close(SafetensorsFile *f);

/* Tensors in header order (the order of the JSON object's keys); i in
 * [0, count). safetensors_get returns NULL for an index out of range. */
int safetensors_count(const SafetensorsFile *f);
const SafetensorsTensor *safetensors_get(const SafetensorsFile *f, int i);
/* The tensor with exactly this name, or NULL (binary search). */
const SafetensorsTensor *safetensors_find(const SafetensorsFile *f, const char *name);
/* The "__metadata__" value for key, or NULL when absent. Owned by f. */
const char *safetensors_metadata(const SafetensorsFile *f, const char *key);

/* --- a model's weights: one file or shards ------------------------------------ */

typedef struct SafetensorsSet SafetensorsSet;

/* Opens DIR/model.safetensors when it exists, else the shards listed in
 * DIR/model.safetensors.index.json ("weight_map": tensor name -> file name).
 * Each shard is opened once. Shard names must be plain file names in DIR
 * (no "/" and no ".."). With an index the set holds exactly the tensors named
 * in weight_map, in its order; each must exist in the shard it is mapped to
 * (other tensors in the shards are ignored). Errors: TP_ENOTFOUND when neither
 * file exists (the message names both) or a shard is missing, TP_EINVAL for a
 * bad index or shard, TP_EIO. On failure *out is NULL. */
TpStatus safetensors_open_dir(const char *dir, SafetensorsSet **out, TpError *err);
void safetensors_set_close(SafetensorsSet *s); /* NULL ok; closes every shard */
/* Lookups as for one file; pointers stay valid until safetensors_set_close. */
const SafetensorsTensor *safetensors_set_find(const SafetensorsSet *s, const char *name);
int safetensors_set_count(const SafetensorsSet *s);
const SafetensorsTensor *safetensors_set_get(const SafetensorsSet *s, int i);

/* Converts t's data to float32 into out (t->n_elements floats). F16 and BF16
 * widen exactly; NaN and Inf pass through unchecked. */
void safetensors_to_f32(const SafetensorsTensor *t, float *out);
/* Drops the tensor's pages of the read-only mapping from this process's
 * resident memory (madvise MADV_DONTNEED; the data is read again from the
 * file if touched later), so that loading tensor by tensor keeps at most
 * one tensor of the file resident. */
void safetensors_release(const SafetensorsTensor *t);

/* --- writing ------------------------------------------------------------------ */

/* One tensor to write. `data` holds n_elements values already in `dtype`,
 * little-endian, row-major (NULL allowed when the tensor is empty); shape has
 * ndim entries (may be NULL when ndim is 0). */
typedef struct SafetensorsWriteTensor {
    const char *name;
    SafetensorsDtype dtype;
    int ndim;
    const int64_t *shape;
    const void *data;
} SafetensorsWriteTensor;

/* Writes n tensors and n_meta "__metadata__" string pairs (omitted when
 * n_meta is 0) to path. Format, as the reference writer: compact JSON header
 * {"__metadata__":{k:v,...},"name":{"dtype":..,"shape":[..],"data_offsets":
 * [b,e]},...} right-padded with spaces to a multiple of 8 bytes; tensors are
 * laid out (and listed) sorted by descending element size, then by name
 * (byte order), so every tensor's data is aligned to its element size.
 * Metadata keeps the order given. The file is streamed to PATH.tmp.PID,
 * fsynced and renamed into place (then the directory is fsynced); on failure
 * the old file is untouched. Errors: TP_EINVAL for a bad argument (empty or
 * duplicate names, "__metadata__" as a tensor name, ndim outside 0..8, a
 * negative dim, size overflow, invalid UTF-8, NULL data for a non-empty
 * tensor, duplicate metadata keys), TP_EIO for file system failures. */
TpStatus safetensors_write(const char *path, const SafetensorsWriteTensor *t, int n,
                           const char *const *meta_keys, const char *const *meta_values,
                           int n_meta, TpError *err);

/* float <-> bf16 / f16 bit patterns. Narrowing rounds to nearest, ties to
 * even; overflow gives +-Inf (f16 beyond 65504 rounds to Inf from 65520 on),
 * NaN stays a quiet NaN with its sign; f16 subnormals are produced and read
 * exactly. Widening is exact. */
uint16_t safetensors_f32_to_bf16(float f);
float safetensors_bf16_to_f32(uint16_t h);
uint16_t safetensors_f32_to_f16(float f);
float safetensors_f16_to_f32(uint16_t h);

#endif
