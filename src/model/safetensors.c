/* safetensors.c - validated reader (mmap), sharded sets and atomic writer. */
#include "tunepilot/safetensors.h"
#include "tunepilot/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/utf8.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

#define MAX_EXACT 9007199254740992.0 /* 2^53: JSON numbers from here on are not exact */

struct SafetensorsFile {
    TpArena arena; /* names, metadata strings, arrays */
    char *name;
    SafetensorsTensor *tensors; /* header order */
    const SafetensorsTensor **by_name;
    int n;
    const char **meta; /* key, value pairs sorted by key */
    int n_meta;
    void *map;
    size_t map_len;
};

struct SafetensorsSet {
    SafetensorsFile **files;
    int n_files;
    const SafetensorsTensor **list, **by_name;
    int n;
};

const char *safetensors_dtype_name(SafetensorsDtype dt) {
    return dt == SAFETENSORS_F32 ? "F32" : dt == SAFETENSORS_F16 ? "F16" : "BF16";
}

size_t safetensors_dtype_size(SafetensorsDtype dt) {
    return dt == SAFETENSORS_F32 ? 4 : 2;
}

/* --- helpers ----------------------------------------------------------------- */

/* Offset of the first byte that breaks UTF-8 (or is NUL), or len when valid. */
static size_t utf8_check(const unsigned char *s, size_t len) {
    size_t ok = tp_utf8_check((const char *)s, len);
    const unsigned char *nul = memchr(s, 0, ok);
    return nul ? (size_t)(nul - s) : ok;
}

static int cmp_tensor_name(const void *a, const void *b) {
    const SafetensorsTensor *x = *(const SafetensorsTensor *const *)a;
    const SafetensorsTensor *y = *(const SafetensorsTensor *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts v by name; returns the first duplicated name or NULL. */
static const char *sort_names(const SafetensorsTensor **v, int n) {
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, cmp_tensor_name);
    for (int i = 1; i < n; i++)
        if (strcmp(v[i - 1]->name, v[i]->name) == 0)
            return v[i]->name;
    return NULL;
}

static const SafetensorsTensor *find_name(const SafetensorsTensor *const *v, int n,
                                          const char *name) {
    const SafetensorsTensor key = {.name = name}, *kp = &key;
    const SafetensorsTensor *const *hit =
        n > 0 ? bsearch(&kp, v, (size_t)n, sizeof *v, cmp_tensor_name) : NULL;
    return hit ? *hit : NULL;
}

/* n_elements and nbytes of a shape, or false on overflow. */
static bool shape_size(const int64_t *shape, int ndim, size_t esize, int64_t *n_el,
                       int64_t *nbytes) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] == 0)
            n = 0;
    for (int d = 0; d < ndim && n != 0; d++) {
        if (n > INT64_MAX / shape[d])
            return false;
        n *= shape[d];
    }
    if (n > INT64_MAX / (int64_t)esize || (uint64_t)n * esize > SIZE_MAX)
        return false;
    *n_el = n;
    *nbytes = n * (int64_t)esize;
    return true;
}

/* Sets a TP_EINVAL message "FILE: [tensor "T": ]MESSAGE"; returns TP_EINVAL. */
__attribute__((format(printf, 4, 5))) static TpStatus
fail(TpError *err, const char *file, const char *tensor, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (tensor)
        return tp_error_set(err, TP_EINVAL, "%s: tensor \"%s\": %s", file, tensor, msg);
    return tp_error_set(err, TP_EINVAL, "%s: %s", file, msg);
}

/* --- reading ----------------------------------------------------------------- */

typedef struct Rd {
    SafetensorsFile *f;
    const char *name;
    TpError *err;
} Rd;

/* A JSON integer in [0, 2^53) into *out; false otherwise. */
static bool json_count(const cJSON *it, int64_t *out) {
    return cJSON_IsNumber(it) && tp_json_to_i64(it->valuedouble, 0, (int64_t)MAX_EXACT - 1, out);
}

/* Reads n_want (or up to max when n_want < 0) counts from array a into v. */
static TpStatus read_counts(Rd *r, const char *tn, const char *field, const cJSON *a, int n_want,
                            int max, int64_t *v, int *n_out) {
    if (!cJSON_IsArray(a))
        return fail(r->err, r->name, tn, "%s: expected an array, got %s", field,
                    tp_json_type_name(a));
    int n = cJSON_GetArraySize(a), i = 0;
    if (n_want >= 0 && n != n_want)
        return fail(r->err, r->name, tn, "%s: expected [begin, end], got %d numbers", field, n);
    if (n > max)
        return fail(r->err, r->name, tn, "%s has %d dimensions, at most %d are supported", field, n,
                    max);
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!json_count(it, &v[i]))
            return cJSON_IsNumber(it) ? fail(r->err, r->name, tn,
                                             "%s[%d]: expected an integer in [0, 2^53), "
                                             "got %g",
                                             field, i, it->valuedouble)
                                      : fail(r->err, r->name, tn,
                                             "%s[%d]: expected an integer in [0, 2^53), "
                                             "got %s",
                                             field, i, tp_json_type_name(it));
        i++;
    }
    *n_out = n;
    return TP_OK;
}

static TpStatus parse_tensor(Rd *r, const cJSON *e, SafetensorsTensor *t, int64_t off[2]) {
    const char *tn = t->name;
    if (!cJSON_IsObject(e))
        return fail(r->err, r->name, tn, "expected an object, got %s", tp_json_type_name(e));
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    const char *what = !dt ? "dtype" : !sh ? "shape" : !of ? "data_offsets" : NULL;
    if (what)
        return fail(r->err, r->name, tn, "missing \"%s\" (expected dtype, shape and data_offsets)",
                    what);
    if (!cJSON_IsString(dt))
        return fail(r->err, r->name, tn, "dtype: expected a string, got %s", tp_json_type_name(dt));
    const char *ds = dt->valuestring;
    if (strcmp(ds, "F32") == 0 || strcmp(ds, "F16") == 0 || strcmp(ds, "BF16") == 0)
        t->dtype = ds[0] == 'B'   ? SAFETENSORS_BF16
                   : ds[1] == '3' ? SAFETENSORS_F32
                                  : SAFETENSORS_F16;
    else
        return fail(r->err, r->name, tn,
                    "dtype \"%s\" is not supported (supported: F32, F16, "
                    "BF16)",
                    ds);
    int n_off;
    TpStatus st = read_counts(r, tn, "shape", sh, -1, SAFETENSORS_MAX_DIMS, t->shape, &t->ndim);
    if (st == TP_OK)
        st = read_counts(r, tn, "data_offsets", of, 2, 2, off, &n_off);
    if (st != TP_OK)
        return st;
    if (off[1] < off[0])
        return fail(r->err, r->name, tn, "data_offsets end %lld is before begin %lld",
                    (long long)off[1], (long long)off[0]);
    int64_t nbytes;
    if (!shape_size(t->shape, t->ndim, safetensors_dtype_size(t->dtype), &t->n_elements, &nbytes))
        return fail(r->err, r->name, tn, "element count overflows");
    if (off[1] - off[0] != nbytes)
        return fail(r->err, r->name, tn,
                    "data_offsets span %lld bytes, expected %lld (%lld "
                    "elements of %s)",
                    (long long)(off[1] - off[0]), (long long)nbytes, (long long)t->n_elements, ds);
    t->nbytes = (size_t)nbytes;
    return TP_OK;
}

static TpStatus parse_metadata(Rd *r, const cJSON *m) {
    SafetensorsFile *f = r->f;
    if (!cJSON_IsObject(m))
        return fail(r->err, r->name, NULL, "__metadata__: expected an object, got %s",
                    tp_json_type_name(m));
    int n = cJSON_GetArraySize(m), i = 0;
    f->meta = tp_arena_alloc(&f->arena, sizeof *f->meta * 2 * (size_t)(n ? n : 1));
    const cJSON *it;
    cJSON_ArrayForEach(it, m) {
        if (!cJSON_IsString(it))
            return fail(r->err, r->name, NULL, "__metadata__.%s: expected a string, got %s",
                        it->string, tp_json_type_name(it));
        f->meta[2 * i] = tp_arena_strdup(&f->arena, it->string);
        f->meta[2 * i + 1] = tp_arena_strdup(&f->arena, it->valuestring);
        i++;
    }
    f->n_meta = n;
    if (n > 1)
        qsort(f->meta, (size_t)n, 2 * sizeof *f->meta, cmp_str);
    for (i = 1; i < n; i++)
        if (strcmp(f->meta[2 * i - 2], f->meta[2 * i]) == 0)
            return fail(r->err, r->name, NULL, "__metadata__: duplicate key \"%s\"",
                        f->meta[2 * i]);
    return TP_OK;
}

typedef struct Span {
    int64_t begin, end;
    int idx;
} Span;

static int cmp_span(const void *a, const void *b) {
    const Span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->idx - y->idx;
}

/* Checks that the tensors tile [0, data_len) exactly, as the reference does. */
static TpStatus check_layout(Rd *r, Span *sp, int n, uint64_t data_len) {
    if (n > 1)
        qsort(sp, (size_t)n, sizeof *sp, cmp_span);
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        const char *tn = r->f->tensors[sp[i].idx].name;
        if (sp[i].begin != pos && i == 0)
            return fail(r->err, r->name, tn,
                        "data begins at %lld, expected the first tensor at "
                        "offset 0",
                        (long long)sp[i].begin);
        if (sp[i].begin != pos)
            return fail(r->err, r->name, tn,
                        "data begins at %lld but the previous tensor \"%s\" "
                        "ends at %lld (%s)",
                        (long long)sp[i].begin, r->f->tensors[sp[i - 1].idx].name, (long long)pos,
                        sp[i].begin > pos ? "gap" : "overlap");
        pos = sp[i].end;
    }
    if ((uint64_t)pos != data_len)
        return fail(r->err, r->name, NULL,
                    "tensor data ends at %lld but the data buffer is %llu "
                    "bytes (%s)",
                    (long long)pos, (unsigned long long)data_len,
                    (uint64_t)pos < data_len ? "trailing bytes after the last tensor"
                                             : "file is truncated");
    return TP_OK;
}

static TpStatus parse_image(Rd *r, const unsigned char *buf, size_t len) {
    SafetensorsFile *f = r->f;
    if (len < 8)
        return fail(r->err, r->name, NULL,
                    "file is %zu bytes, expected at least 8 (the header "
                    "length)",
                    len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | buf[i];
    if (hlen > SAFETENSORS_MAX_HEADER)
        return fail(r->err, r->name, NULL, "header length %llu exceeds the limit of %u bytes",
                    (unsigned long long)hlen, SAFETENSORS_MAX_HEADER);
    if (hlen > len - 8)
        return fail(r->err, r->name, NULL,
                    "header length %llu runs past the end of the file "
                    "(%zu bytes)",
                    (unsigned long long)hlen, len);
    const unsigned char *h = buf + 8, *data = buf + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;
    if (hlen == 0 || h[0] != '{')
        return fail(r->err, r->name, NULL, "header must start with '{' (a JSON object)");
    size_t bad = utf8_check(h, (size_t)hlen);
    if (bad < hlen)
        return fail(r->err, r->name, NULL, "header is not valid UTF-8 (byte %zu of the header)",
                    bad);
    char jname[1100];
    snprintf(jname, sizeof jname, "%s (header)", r->name);
    cJSON *root;
    TpStatus st = tp_json_parse((const char *)h, (size_t)hlen, jname, &root, r->err);
    if (st != TP_OK)
        return st;
    int n_items = cJSON_GetArraySize(root), n = 0;
    size_t cap = (size_t)(n_items ? n_items : 1);
    f->tensors = tp_arena_alloc(&f->arena, sizeof *f->tensors * cap);
    Span *sp = tp_xmalloc(sizeof *sp * cap);
    bool have_meta = false;
    const cJSON *e;
    if (!cJSON_IsObject(root))
        st = fail(r->err, r->name, NULL, "header: expected a JSON object");
    for (e = st == TP_OK ? root->child : NULL; e && st == TP_OK; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            st = have_meta ? fail(r->err, r->name, NULL, "duplicate __metadata__")
                           : parse_metadata(r, e);
            have_meta = true;
            continue;
        }
        SafetensorsTensor *t = &f->tensors[n];
        int64_t off[2];
        t->name = tp_arena_strdup(&f->arena, e->string);
        st = parse_tensor(r, e, t, off);
        if (st == TP_OK) {
            sp[n] = (Span){off[0], off[1], n};
            /* Bounds are checked by check_layout before anyone reads this. */
            t->data = (uint64_t)off[0] <= data_len ? data + off[0] : data;
            n++;
        }
    }
    cJSON_Delete(root);
    f->n = n;
    if (st == TP_OK)
        st = check_layout(r, sp, n, data_len);
    free(sp);
    if (st != TP_OK)
        return st;
    f->by_name = tp_arena_alloc(&f->arena, sizeof *f->by_name * cap);
    for (int i = 0; i < n; i++)
        f->by_name[i] = &f->tensors[i];
    const char *dup = sort_names(f->by_name, n);
    return dup ? fail(r->err, r->name, NULL, "duplicate tensor name \"%s\"", dup) : TP_OK;
}

static TpStatus open_image(const void *buf, size_t len, const char *name, void *map,
                           SafetensorsFile **out, TpError *err) {
    SafetensorsFile *f = tp_xcalloc(1, sizeof *f);
    tp_arena_init(&f->arena);
    f->name = tp_arena_strdup(&f->arena, name ? name : "(memory)");
    f->map = map;
    f->map_len = len;
    Rd r = {f, f->name, err};
    TpStatus st = parse_image(&r, buf, len);
    if (st != TP_OK) {
        safetensors_close(f);
        f = NULL;
    }
    *out = f;
    return st;
}

TpStatus safetensors_open_memory(const void *buf, size_t len, const char *name,
                                 SafetensorsFile **out, TpError *err) {
    return open_image(buf ? buf : "", buf ? len : 0, name, NULL, out, err);
}

TpStatus safetensors_open(const char *path, SafetensorsFile **out, TpError *err) {
    *out = NULL;
    /* O_NONBLOCK: a FIFO in the folder must not block the open */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return tp_error_set(err, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tp_error_set(err, TP_EINVAL, "%s: not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    if (len < 8) {
        close(fd);
        return open_image("", len, path, NULL, out, err); /* reports the size */
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return tp_error_set(err, TP_EIO, "%s: cannot map: %s", path, strerror(e));
    return open_image(map, len, path, map, out, err);
}

void safetensors_close(SafetensorsFile *f) {
    if (!f)
        return;
    if (f->map)
        munmap(f->map, f->map_len);
    tp_arena_free(&f->arena);
    free(f);
}

int safetensors_count(const SafetensorsFile *f) {
    return f ? f->n : 0;
}

const SafetensorsTensor *safetensors_get(const SafetensorsFile *f, int i) {
    return f && i >= 0 && i < f->n ? &f->tensors[i] : NULL;
}

const SafetensorsTensor *safetensors_find(const SafetensorsFile *f, const char *name) {
    return f && name ? find_name(f->by_name, f->n, name) : NULL;
}

const char *safetensors_metadata(const SafetensorsFile *f, const char *key) {
    if (!f || !key || f->n_meta == 0)
        return NULL;
    const char **hit = bsearch(&key, f->meta, (size_t)f->n_meta, 2 * sizeof *f->meta, cmp_str);
    return hit ? hit[1] : NULL;
}

/* --- sets --------------------------------------------------------------------- */

static TpStatus open_index(SafetensorsSet *s, const char *dir, const char *ipath, TpError *err) {
    cJSON *root;
    TpStatus st = tp_json_parse_file(ipath, TP_MAX_SAFETENSORS_INDEX_BYTES, &root, err);
    if (st != TP_OK)
        return st;
    const cJSON *wm =
        cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(wm)) {
        st = tp_error_set(err, TP_EINVAL, "%s: $.weight_map: expected an object, got %s", ipath,
                          tp_json_type_name(wm));
        cJSON_Delete(root);
        return st;
    }
    int cap = cJSON_GetArraySize(wm);
    s->list = tp_xcalloc((size_t)(cap ? cap : 1), sizeof *s->list);
    s->files = tp_xcalloc((size_t)(cap ? cap : 1), sizeof *s->files);
    const cJSON *it;
    cJSON_ArrayForEach(it, wm) {
        const char *tn = it->string, *fn = cJSON_IsString(it) ? it->valuestring : NULL;
        if (!fn || !*fn || strchr(fn, '/') || strstr(fn, "..")) {
            st = tp_error_set(err, TP_EINVAL,
                              "%s: $.weight_map[\"%s\"]: expected a shard file name in the same "
                              "directory (no \"/\" or \"..\"), got %s%s%s",
                              ipath, tn, fn ? "\"" : "", fn ? fn : tp_json_type_name(it),
                              fn ? "\"" : "");
            break;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, fn);
        int k = 0;
        while (k < s->n_files && strcmp(s->files[k]->name, path) != 0)
            k++;
        if (k == s->n_files && (st = safetensors_open(path, &s->files[k], err)) != TP_OK) {
            tp_error_prefix(err, "%s: shard \"%s\"", ipath, fn);
            break;
        }
        s->n_files += k == s->n_files;
        const SafetensorsTensor *t = safetensors_find(s->files[k], tn);
        if (!t) {
            st = tp_error_set(err, TP_EINVAL,
                              "%s: $.weight_map: tensor \"%s\" is mapped to \"%s\" but that "
                              "shard has no such tensor",
                              ipath, tn, fn);
            break;
        }
        s->list[s->n++] = t;
    }
    cJSON_Delete(root);
    return st;
}

TpStatus safetensors_open_dir(const char *dir, SafetensorsSet **out, TpError *err) {
    *out = NULL;
    char single[4096], index[4096];
    snprintf(single, sizeof single, "%s/model.safetensors", dir);
    snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir);
    SafetensorsSet *s = tp_xcalloc(1, sizeof *s);
    TpStatus st;
    struct stat sb;
    if (stat(single, &sb) == 0) {
        s->files = tp_xcalloc(1, sizeof *s->files);
        st = safetensors_open(single, &s->files[0], err);
        if (st == TP_OK) {
            s->n_files = 1;
            s->n = s->files[0]->n;
            s->list = tp_xcalloc((size_t)(s->n ? s->n : 1), sizeof *s->list);
            for (int i = 0; i < s->n; i++)
                s->list[i] = &s->files[0]->tensors[i];
        }
    } else if (stat(index, &sb) == 0) {
        st = open_index(s, dir, index, err);
    } else {
        st = tp_error_set(err, TP_ENOTFOUND, "%s: no model weights: neither %s nor %s exists", dir,
                          single, index);
    }
    if (st == TP_OK) {
        s->by_name = tp_xcalloc((size_t)(s->n ? s->n : 1), sizeof *s->by_name);
        memcpy(s->by_name, s->list, sizeof *s->list * (size_t)s->n);
        const char *dup = sort_names(s->by_name, s->n);
        if (dup)
            st = tp_error_set(err, TP_EINVAL, "%s: $.weight_map: duplicate tensor name \"%s\"",
                              index, dup);
    }
    if (st != TP_OK) {
        safetensors_set_close(s);
        return st;
    }
    *out = s;
    return TP_OK;
}

void safetensors_set_close(SafetensorsSet *s) {
    if (!s)
        return;
    for (int i = 0; i < s->n_files; i++)
        safetensors_close(s->files[i]);
    free(s->files);
    free(s->list);
    free(s->by_name);
    free(s);
}

const SafetensorsTensor *safetensors_set_find(const SafetensorsSet *s, const char *name) {
    return s && name ? find_name(s->by_name, s->n, name) : NULL;
}

int safetensors_set_count(const SafetensorsSet *s) {
    return s ? s->n : 0;
}

const SafetensorsTensor *safetensors_set_get(const SafetensorsSet *s, int i) {
    return s && i >= 0 && i < s->n ? s->list[i] : NULL;
}

/* --- conversions -------------------------------------------------------------- */

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t safetensors_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) /* NaN: keep sign, force quiet */
        return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
}

float safetensors_bf16_to_f32(uint16_t h) {
    return bits_f32((uint32_t)h << 16);
}

uint16_t safetensors_f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t x = u & 0x7FFFFFFFu;
    if (x > 0x7F800000u)
        return sign | 0x7E00; /* NaN */
    if (x >= 0x477FF000u)     /* >= 65520: rounds to Inf */
        return sign | 0x7C00;
    uint32_t e = x >> 23, m = (x & 0x7FFFFFu) | 0x800000u, shift, h;
    if (x < 0x38800000u) { /* below 2^-14: subnormal result, units of 2^-24 */
        if (e < 102)
            return sign;
        shift = 126 - e; /* 14..24 */
        h = m >> shift;
    } else {
        shift = 13;
        h = ((e - 112) << 10) | ((x & 0x7FFFFFu) >> 13);
    }
    uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1)))
        h++; /* a carry into the exponent is the correct next value */
    return (uint16_t)(sign | h);
}

float safetensors_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1F, m = h & 0x3FF;
    if (e == 0) {
        float v = (float)m * 0x1p-24f; /* exact: m < 2^10 */
        return sign ? -v : v;
    }
    if (e == 31)
        return bits_f32(sign | 0x7F800000u | (m << 13));
    return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

void safetensors_to_f32(const SafetensorsTensor *t, float *out) {
    if (t->n_elements <= 0)
        return;
    const unsigned char *p = t->data;
    if (t->dtype == SAFETENSORS_F32) {
        memcpy(out, p, (size_t)t->n_elements * 4);
        return;
    }
    for (int64_t i = 0; i < t->n_elements; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] =
            t->dtype == SAFETENSORS_F16 ? safetensors_f16_to_f32(h) : safetensors_bf16_to_f32(h);
    }
}

/* --- writing ------------------------------------------------------------------ */

static void json_str(TpBuf *b, const char *s) {
    tp_buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            tp_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            tp_buf_printf(b, "\\u%04x", c);
        else
            tp_buf_append(b, s, 1);
    }
    tp_buf_puts(b, "\"");
}

typedef struct WItem {
    const SafetensorsWriteTensor *t;
    int64_t nbytes;
} WItem;

static int cmp_witem_name(const void *a, const void *b) {
    return strcmp(((const WItem *)a)->t->name, ((const WItem *)b)->t->name);
}

/* Layout order of the reference writer: larger elements first, then name. */
static int cmp_witem_layout(const void *a, const void *b) {
    const WItem *x = a, *y = b;
    size_t sx = safetensors_dtype_size(x->t->dtype), sy = safetensors_dtype_size(y->t->dtype);
    return sx != sy ? (sx > sy ? -1 : 1) : cmp_witem_name(a, b);
}

static bool valid_utf8(const char *s) {
    size_t n = strlen(s);
    return utf8_check((const unsigned char *)s, n) == n;
}

/* Validates the arguments and fills w (in layout order). */
static TpStatus check_write_args(const char *path, const SafetensorsWriteTensor *t, int n,
                                 const char *const *mk, const char *const *mv, int n_meta, WItem *w,
                                 TpError *err) {
    for (int i = 0; i < n_meta; i++) {
        if (!mk[i] || !mv[i] || !valid_utf8(mk[i]) || !valid_utf8(mv[i]))
            return fail(err, path, NULL, "metadata entry %d: expected a UTF-8 key and value", i);
        for (int j = 0; j < i; j++)
            if (strcmp(mk[i], mk[j]) == 0)
                return fail(err, path, NULL, "duplicate metadata key \"%s\"", mk[i]);
    }
    int64_t total = 0, n_el;
    for (int i = 0; i < n; i++) {
        const char *tn = t[i].name;
        w[i].t = &t[i];
        if (!tn || !*tn || !valid_utf8(tn) || strcmp(tn, "__metadata__") == 0)
            return fail(err, path, NULL,
                        "tensor %d: expected a non-empty UTF-8 name other than "
                        "__metadata__",
                        i);
        if ((unsigned)t[i].dtype > SAFETENSORS_BF16)
            return fail(err, path, tn, "unknown dtype %d", (int)t[i].dtype);
        if (t[i].ndim < 0 || t[i].ndim > SAFETENSORS_MAX_DIMS || (t[i].ndim && !t[i].shape))
            return fail(err, path, tn, "ndim %d, expected 0..%d with a shape", t[i].ndim,
                        SAFETENSORS_MAX_DIMS);
        for (int d = 0; d < t[i].ndim; d++)
            if (t[i].shape[d] < 0 || (double)t[i].shape[d] >= MAX_EXACT)
                return fail(err, path, tn, "shape[%d] is %lld, expected [0, 2^53)", d,
                            (long long)t[i].shape[d]);
        if (!shape_size(t[i].shape, t[i].ndim, safetensors_dtype_size(t[i].dtype), &n_el,
                        &w[i].nbytes) ||
            w[i].nbytes > INT64_MAX - total)
            return fail(err, path, tn, "element count overflows");
        if (w[i].nbytes > 0 && !t[i].data)
            return fail(err, path, tn, "data is NULL");
        total += w[i].nbytes;
    }
    if (n > 1)
        qsort(w, (size_t)n, sizeof *w, cmp_witem_name);
    for (int i = 1; i < n; i++)
        if (strcmp(w[i - 1].t->name, w[i].t->name) == 0)
            return fail(err, path, NULL, "duplicate tensor name \"%s\"", w[i].t->name);
    if (n > 1)
        qsort(w, (size_t)n, sizeof *w, cmp_witem_layout);
    return TP_OK;
}

/* Streams header and data into a temp file beside path and puts it in
 * place (tp_temp_open, tp_temp_commit: fsync, rename, folder fsync). */
static TpStatus write_file(const char *path, const TpBuf *hdr, const WItem *w, int n,
                           TpError *err) {
    char tmp[4096];
    int fd = tp_temp_open(path, tmp, sizeof tmp, err);
    if (fd < 0)
        return err ? err->code : TP_EIO;
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)((uint64_t)hdr->len >> (8 * i));
    TpStatus st = tp_fd_write_all(fd, lenb, 8, path, err);
    if (st == TP_OK)
        st = tp_fd_write_all(fd, hdr->data, hdr->len, path, err);
    for (int i = 0; st == TP_OK && i < n; i++)
        if (w[i].nbytes > 0)
            st = tp_fd_write_all(fd, w[i].t->data, (size_t)w[i].nbytes, path, err);
    if (st != TP_OK) {
        tp_temp_discard(fd, tmp);
        return st;
    }
    return tp_temp_commit(fd, tmp, path, err);
}

/* The header text, padded with spaces to a multiple of 8 bytes. */
static void build_header(TpBuf *hdr, const WItem *w, int n, const char *const *mk,
                         const char *const *mv, int n_meta) {
    tp_buf_puts(hdr, n_meta > 0 ? "{\"__metadata__\":{" : "{");
    for (int i = 0; i < n_meta; i++) {
        tp_buf_puts(hdr, i ? "," : "");
        json_str(hdr, mk[i]);
        tp_buf_puts(hdr, ":");
        json_str(hdr, mv[i]);
    }
    tp_buf_puts(hdr, n_meta > 0 ? "}" : "");
    int64_t off = 0;
    for (int k = 0; k < n; k++) {
        const SafetensorsWriteTensor *x = w[k].t;
        tp_buf_puts(hdr, k || n_meta > 0 ? "," : "");
        json_str(hdr, x->name);
        tp_buf_printf(hdr, ":{\"dtype\":\"%s\",\"shape\":[", safetensors_dtype_name(x->dtype));
        for (int d = 0; d < x->ndim; d++)
            tp_buf_printf(hdr, "%s%lld", d ? "," : "", (long long)x->shape[d]);
        tp_buf_printf(hdr, "],\"data_offsets\":[%lld,%lld]}", (long long)off,
                      (long long)(off + w[k].nbytes));
        off += w[k].nbytes;
    }
    tp_buf_puts(hdr, "}");
    while (hdr->len % 8 != 0)
        tp_buf_puts(hdr, " ");
}

TpStatus safetensors_write(const char *path, const SafetensorsWriteTensor *t, int n,
                           const char *const *meta_keys, const char *const *meta_values, int n_meta,
                           TpError *err) {
    if (!path || n < 0 || n_meta < 0 || (n > 0 && !t) ||
        (n_meta > 0 && (!meta_keys || !meta_values)))
        return fail(err, path ? path : "(null)", NULL, "safetensors_write: invalid arguments");
    WItem *w = tp_xcalloc((size_t)(n ? n : 1), sizeof *w);
    TpStatus st = check_write_args(path, t, n, meta_keys, meta_values, n_meta, w, err);
    TpBuf hdr;
    tp_buf_init(&hdr);
    if (st == TP_OK)
        build_header(&hdr, w, n, meta_keys, meta_values, n_meta);
    if (st == TP_OK && hdr.len > SAFETENSORS_MAX_HEADER)
        st = fail(err, path, NULL, "header is %zu bytes, over the %u-byte limit", hdr.len,
                  SAFETENSORS_MAX_HEADER);
    if (st == TP_OK)
        st = write_file(path, &hdr, w, n, err);
    tp_buf_free(&hdr);
    free(w);
    return st;
}

void safetensors_release(const SafetensorsTensor *t) {
    if (!t || !t->data || t->nbytes == 0)
        return;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t s = (uintptr_t)t->data / pg * pg;
    uintptr_t e = ((uintptr_t)t->data + t->nbytes + pg - 1) / pg * pg;
    /* a private read-only mapping: dropped pages come back from the file */
    madvise((void *)s, e - s, MADV_DONTNEED);
}
