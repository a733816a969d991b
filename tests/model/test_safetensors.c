/* test_safetensors.c - the safetensors reader, writer, sharded sets and
 * float16/bfloat16 conversions. Files are written only under tp_tmpdir(). */
#include "tp_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunepilot/fileio.h"
#include "tunepilot/safetensors.h"

/* --- helpers ------------------------------------------------------------------ */

/* tp_tmpdir()/name in one of a few rotating static buffers. */
static const char *tpath(const char *name) {
    static char bufs[4][1024];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", tp_tmpdir(), name);
    return b;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Writes an 8-byte little-endian `declared` length, the header text and
 * data_len data bytes (i & 0xFF). */
static void write_raw_len(const char *path, uint64_t declared, const char *header,
                          size_t data_len) {
    size_t hl = strlen(header), total = 8 + hl + data_len;
    unsigned char *b = malloc(total);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(declared >> (8 * i));
    memcpy(b + 8, header, hl);
    for (size_t i = 0; i < data_len; i++)
        b[8 + hl + i] = (unsigned char)i;
    write_bytes(path, b, total);
    free(b);
}

static void write_raw(const char *path, const char *header, size_t data_len) {
    write_raw_len(path, strlen(header), header, data_len);
}

/* Opening `path` fails with TP_EINVAL and a message naming the file and
 * containing `fragment`. */
static void expect_bad_file(const char *path, const char *fragment) {
    SafetensorsFile *f = (SafetensorsFile *)0x1;
    TpError err;
    tp_error_clear(&err);
    TpStatus st = safetensors_open(path, &f, &err);
    if (st != TP_EINVAL || !strstr(err.msg, fragment) || !strstr(err.msg, path))
        print_error("status %d, message \"%s\", expected fragment \"%s\"\n", st, err.msg,
                    fragment);
    assert_int_equal(st, TP_EINVAL);
    assert_null(f);
    assert_non_null(strstr(err.msg, fragment));
    assert_non_null(strstr(err.msg, path));
}

static void expect_bad(const char *header, size_t data_len, const char *fragment) {
    const char *path = tpath("bad.safetensors");
    write_raw(path, header, data_len);
    expect_bad_file(path, fragment);
}

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void make_dir(const char *path) {
    assert_int_equal(mkdir(path, 0755), 0);
}

/* --- round trip ------------------------------------------------------------------ */

static void test_roundtrip(void **state) {
    (void)state;
    const float f32[6] = {1.0f, -2.5f, 0.125f, 3.0e-7f, 65504.0f, -0.0f};
    const uint16_t f16[3] = {0x3C00, 0xC100, 0x7BFF};      /* 1.0, -2.5, 65504 */
    const uint16_t bf16[4] = {0x3F80, 0xC020, 0x0001, 0x8000}; /* 1, -2.5, 2^-133, -0 */
    const uint16_t odd[1] = {0x4049};                       /* 3.140625 in bf16 */
    const float scalar = 42.5f;
    const int64_t s23[2] = {2, 3}, s3[1] = {3}, s22[2] = {2, 2}, s04[2] = {0, 4}, s1[1] = {1};
    const SafetensorsWriteTensor t[6] = {
        {"w.f16", SAFETENSORS_F16, 1, s3, f16},    {"w.f32", SAFETENSORS_F32, 2, s23, f32},
        {"w.bf16", SAFETENSORS_BF16, 2, s22, bf16}, {"scalar", SAFETENSORS_F32, 0, NULL, &scalar},
        {"empty", SAFETENSORS_F16, 2, s04, NULL},   {"odd", SAFETENSORS_BF16, 1, s1, odd},
    };
    const char *mk[2] = {"format", "note"}, *mv[2] = {"pt", "line\nbreak \"quoted\" \\ \x01"};
    const char *path = tpath("rt.safetensors");
    TpError err;
    assert_int_equal(safetensors_write(path, t, 6, mk, mv, 2, &err), TP_OK);

    SafetensorsFile *f = NULL;
    assert_int_equal(safetensors_open(path, &f, &err), TP_OK);
    assert_int_equal(safetensors_count(f), 6);
    /* Header order is the layout order: 4-byte dtypes first, then by name. */
    const char *order[6] = {"scalar", "w.f32", "empty", "odd", "w.bf16", "w.f16"};
    for (int i = 0; i < 6; i++) {
        const SafetensorsTensor *x = safetensors_get(f, i);
        assert_string_equal(x->name, order[i]);
        assert_ptr_equal(safetensors_find(f, order[i]), x);
        assert_int_equal((uintptr_t)x->data % safetensors_dtype_size(x->dtype), 0);
    }
    assert_null(safetensors_get(f, -1));
    assert_null(safetensors_get(f, 6));
    assert_null(safetensors_find(f, "nope"));
    assert_null(safetensors_find(f, "w"));

    const SafetensorsTensor *x = safetensors_find(f, "w.f32");
    assert_int_equal(x->dtype, SAFETENSORS_F32);
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->shape[0], 2);
    assert_int_equal(x->shape[1], 3);
    assert_int_equal(x->n_elements, 6);
    assert_int_equal(x->nbytes, 24);
    assert_memory_equal(x->data, f32, 24);
    float out[8];
    safetensors_to_f32(x, out);
    assert_memory_equal(out, f32, 24);

    x = safetensors_find(f, "w.f16");
    assert_int_equal(x->dtype, SAFETENSORS_F16);
    assert_int_equal(x->ndim, 1);
    assert_int_equal(x->shape[0], 3);
    assert_int_equal(x->nbytes, 6);
    assert_memory_equal(x->data, f16, 6);
    safetensors_to_f32(x, out);
    assert_true(out[0] == 1.0f && out[1] == -2.5f && out[2] == 65504.0f);

    x = safetensors_find(f, "w.bf16");
    assert_int_equal(x->dtype, SAFETENSORS_BF16);
    assert_int_equal(x->n_elements, 4);
    assert_memory_equal(x->data, bf16, 8);
    safetensors_to_f32(x, out);
    assert_int_equal(bits(out[0]), 0x3F800000u);
    assert_int_equal(bits(out[1]), 0xC0200000u);
    assert_int_equal(bits(out[2]), 0x00010000u); /* subnormal float32 2^-133 */
    assert_int_equal(bits(out[3]), 0x80000000u);

    x = safetensors_find(f, "scalar");
    assert_int_equal(x->ndim, 0);
    assert_int_equal(x->n_elements, 1);
    assert_int_equal(x->nbytes, 4);
    safetensors_to_f32(x, out);
    assert_true(out[0] == 42.5f);

    x = safetensors_find(f, "empty");
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->shape[0], 0);
    assert_int_equal(x->shape[1], 4);
    assert_int_equal(x->n_elements, 0);
    assert_int_equal(x->nbytes, 0);
    safetensors_to_f32(x, out); /* writes nothing */

    x = safetensors_find(f, "odd");
    safetensors_to_f32(x, out);
    assert_true(out[0] == 3.140625f);

    assert_string_equal(safetensors_metadata(f, "format"), "pt");
    assert_string_equal(safetensors_metadata(f, "note"), mv[1]);
    assert_null(safetensors_metadata(f, "missing"));
    safetensors_close(f);

    /* The same bytes parse identically from memory. */
    char *data;
    size_t len;
    assert_int_equal(tp_file_read(path, 1 << 20, &data, &len, &err), TP_OK);
    assert_int_equal(safetensors_open_memory(data, len, "mem", &f, &err), TP_OK);
    assert_int_equal(safetensors_count(f), 6);
    assert_memory_equal(safetensors_find(f, "w.bf16")->data, bf16, 8);
    /* w.bf16 (8 bytes) is followed only by w.f16 (6 bytes). */
    assert_ptr_equal(safetensors_find(f, "w.bf16")->data, data + (len - 6 - 8));
    safetensors_close(f);
    /* A truncated image from memory names the given name. */
    assert_int_equal(safetensors_open_memory(data, len - 1, "mem", &f, &err), TP_EINVAL);
    assert_null(f);
    assert_non_null(strstr(err.msg, "mem: "));
    free(data);
    safetensors_close(NULL);

    /* No tensors and no metadata: "{}" padded to 8 bytes. */
    assert_int_equal(safetensors_write(tpath("none.safetensors"), NULL, 0, NULL, NULL, 0, &err),
                     TP_OK);
    assert_int_equal(safetensors_open(tpath("none.safetensors"), &f, &err), TP_OK);
    assert_int_equal(safetensors_count(f), 0);
    assert_null(safetensors_metadata(f, "format"));
    safetensors_close(f);
}

/* --- conversions ---------------------------------------------------------------- */

static void test_f16_bf16_bits(void **state) {
    (void)state;
    /* bfloat16 = the top 16 bits of float32. */
    assert_int_equal(safetensors_f32_to_bf16(1.0f), 0x3F80);
    assert_int_equal(safetensors_f32_to_bf16(-2.5f), 0xC020); /* f32 0xC0200000 */
    assert_true(safetensors_bf16_to_f32(0x3F80) == 1.0f);
    assert_true(safetensors_bf16_to_f32(0xC020) == -2.5f);
    assert_int_equal(bits(safetensors_bf16_to_f32(0x0001)), 0x00010000u);
    /* Round to nearest, ties to even, on the low 16 bits. */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3F808000u)), 0x3F80); /* tie, even */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3F818000u)), 0x3F82); /* tie, odd up */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3F808001u)), 0x3F81); /* above half */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3F807FFFu)), 0x3F80); /* below half */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3F7FFFFFu)), 0x3F80); /* carries */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x3EAAAAABu)), 0x3EAB); /* 1/3 */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0x7F7FFFFFu)), 0x7F80); /* FLT_MAX: Inf */
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0xFF7FFFFFu)), 0xFF80);
    assert_int_equal(safetensors_f32_to_bf16(INFINITY), 0x7F80);
    assert_int_equal(safetensors_f32_to_bf16(from_bits(0xFFC00000u)), 0xFFC0);
    uint16_t nan = safetensors_f32_to_bf16(from_bits(0x7F800001u)); /* would round to Inf */
    assert_int_equal(nan & 0x7F80, 0x7F80);
    assert_true((nan & 0x7F) != 0);

    /* float16: sign 1, exponent 5 (bias 15), mantissa 10. */
    assert_int_equal(safetensors_f32_to_f16(1.0f), 0x3C00);
    assert_int_equal(safetensors_f32_to_f16(-2.5f), 0xC100); /* -1.25 * 2^1 */
    assert_int_equal(safetensors_f32_to_f16(65504.0f), 0x7BFF);
    assert_int_equal(safetensors_f32_to_f16(from_bits(0x3EAAAAABu)), 0x3555); /* 1/3 */
    assert_int_equal(safetensors_f32_to_f16(-0.0f), 0x8000);
    assert_true(safetensors_f16_to_f32(0x3C00) == 1.0f);
    assert_true(safetensors_f16_to_f32(0xC100) == -2.5f);
    assert_true(safetensors_f16_to_f32(0x7BFF) == 65504.0f);
    assert_true(safetensors_f16_to_f32(0x0001) == 0x1p-24f); /* smallest subnormal */
    assert_true(safetensors_f16_to_f32(0x8001) == -0x1p-24f);
    assert_true(safetensors_f16_to_f32(0x03FF) == 1023 * 0x1p-24f);
    assert_true(safetensors_f16_to_f32(0x0400) == 0x1p-14f); /* smallest normal */
    assert_true(safetensors_f16_to_f32(0x7C00) == INFINITY);
    assert_true(safetensors_f16_to_f32(0xFC00) == -INFINITY);
    assert_true(isnan(safetensors_f16_to_f32(0x7E00)));
    assert_int_equal(bits(safetensors_f16_to_f32(0x8000)), 0x80000000u);
    /* Ties to even in the normal range: 1 + 2^-11 lies halfway between 0x3C00 and 0x3C01. */
    assert_int_equal(safetensors_f32_to_f16(1.0f + 0x1p-11f), 0x3C00);
    assert_int_equal(safetensors_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);
    assert_int_equal(safetensors_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
    assert_int_equal(safetensors_f32_to_f16(65519.0f), 0x7BFF);
    assert_int_equal(safetensors_f32_to_f16(65520.0f), 0x7C00); /* tie with odd 0x7BFF */
    assert_int_equal(safetensors_f32_to_f16(-1e10f), 0xFC00);
    assert_int_equal(safetensors_f32_to_f16(NAN) & 0x7E00, 0x7E00);
    /* Subnormal results in units of 2^-24, ties to even. */
    assert_int_equal(safetensors_f32_to_f16(0x1p-25f), 0x0000);       /* 0.5 unit */
    assert_int_equal(safetensors_f32_to_f16(3 * 0x1p-26f), 0x0001);   /* 0.75 */
    assert_int_equal(safetensors_f32_to_f16(3 * 0x1p-25f), 0x0002);   /* 1.5 */
    assert_int_equal(safetensors_f32_to_f16(5 * 0x1p-25f), 0x0002);   /* 2.5 */
    assert_int_equal(safetensors_f32_to_f16(7 * 0x1p-25f), 0x0004);   /* 3.5 */
    assert_int_equal(safetensors_f32_to_f16(2047 * 0x1p-25f), 0x0400); /* 1023.5: to normal */
    assert_int_equal(safetensors_f32_to_f16(0x1p-30f), 0x0000);
    assert_int_equal(safetensors_f32_to_f16(-0x1p-24f), 0x8001);

    /* Every non-NaN half and bfloat16 survives widening and narrowing. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) != 0x7C00 || (h & 0x3FF) == 0)
            assert_int_equal(safetensors_f32_to_f16(safetensors_f16_to_f32((uint16_t)h)), h);
        if ((h & 0x7F80) != 0x7F80 || (h & 0x7F) == 0)
            assert_int_equal(safetensors_f32_to_bf16(safetensors_bf16_to_f32((uint16_t)h)), h);
    }
}

/* --- byte-exact layout ------------------------------------------------------------ */

static void expect_file_bytes(const char *path, const unsigned char *want, size_t n) {
    char *data;
    size_t len;
    TpError err;
    assert_int_equal(tp_file_read(path, 1 << 20, &data, &len, &err), TP_OK);
    assert_int_equal(len, n);
    assert_memory_equal(data, want, n);
    free(data);
}

static void test_byte_exact(void **state) {
    (void)state;
    TpError err;
    /* One F32 [2] tensor {1, -2} with metadata {"k": "v"}. The header is 79
     * bytes, padded with one space to 80 = 0x50; data 00 00 80 3F, 00 00 00 C0. */
    const char *h1 =
        "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
        "\"data_offsets\":[0,8]}}";
    assert_int_equal(strlen(h1), 79);
    unsigned char want1[8 + 80 + 8] = {0x50, 0, 0, 0, 0, 0, 0, 0};
    memcpy(want1 + 8, h1, 79);
    want1[8 + 79] = ' ';
    const unsigned char d1[8] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0};
    memcpy(want1 + 88, d1, 8);
    const float v1[2] = {1.0f, -2.0f};
    const int64_t s2[1] = {2};
    const SafetensorsWriteTensor t1 = {"a", SAFETENSORS_F32, 1, s2, v1};
    const char *mk[1] = {"k"}, *mv[1] = {"v"};
    const char *p1 = tpath("exact1.safetensors");
    assert_int_equal(safetensors_write(p1, &t1, 1, mk, mv, 1, &err), TP_OK);
    expect_file_bytes(p1, want1, sizeof want1);

    /* Given as BF16 "b" [1] then F32 scalar "a": laid out a (4 bytes) then b
     * (2 bytes). Header 107 bytes + 5 spaces = 112 = 0x70. */
    const char *h2 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                     "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
    assert_int_equal(strlen(h2), 107);
    unsigned char want2[8 + 112 + 6] = {0x70, 0, 0, 0, 0, 0, 0, 0};
    memcpy(want2 + 8, h2, 107);
    memset(want2 + 8 + 107, ' ', 5);
    const unsigned char d2[6] = {0x00, 0x00, 0x80, 0x3F, 0x80, 0x3F}; /* 1.0f, bf16 1.0 */
    memcpy(want2 + 120, d2, 6);
    const float one = 1.0f;
    const uint16_t bone = 0x3F80;
    const int64_t s1[1] = {1};
    const SafetensorsWriteTensor t2[2] = {{"b", SAFETENSORS_BF16, 1, s1, &bone},
                                          {"a", SAFETENSORS_F32, 0, NULL, &one}};
    const char *p2 = tpath("exact2.safetensors");
    assert_int_equal(safetensors_write(p2, t2, 2, NULL, NULL, 0, &err), TP_OK);
    expect_file_bytes(p2, want2, sizeof want2);
    /* Overwriting works and leaves no temp file behind. */
    assert_int_equal(safetensors_write(p2, t2, 2, NULL, NULL, 0, &err), TP_OK);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", p2);
    *strrchr(dir, '/') = '\0';
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    for (struct dirent *de; (de = readdir(dh)) != NULL;)
        if (tp_temp_name_pid(de->d_name, NULL))
            fail_msg("temp file left: %s", de->d_name);
    closedir(dh);
}

/* --- validation -------------------------------------------------------------------- */

#define T4(name, off) "\"" name "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" off "}"

static void test_reject_malformed(void **state) {
    (void)state;
    const char *path = tpath("bad.safetensors");
    /* Sizes and the length prefix. */
    write_bytes(path, "\x05\0\0\0\0", 5);
    expect_bad_file(path, "file is 5 bytes, expected at least 8");
    write_bytes(path, "", 0);
    expect_bad_file(path, "file is 0 bytes");
    write_raw_len(path, 100000001, "{}", 0);
    expect_bad_file(path, "header length 100000001 exceeds the limit of 100000000 bytes");
    write_raw_len(path, 1000, "{}      ", 0);
    expect_bad_file(path, "header length 1000 runs past the end of the file (16 bytes)");
    write_raw_len(path, 9, "{}      ", 0); /* one byte too long */
    expect_bad_file(path, "runs past the end");
    /* Header text. */
    expect_bad("[]      ", 0, "header must start with '{'");
    expect_bad(" {}     ", 0, "header must start with '{'");
    write_raw_len(path, 0, "", 0);
    expect_bad_file(path, "header must start with '{'");
    expect_bad("{\"a\":  ", 0, "invalid JSON");
    expect_bad("{\"a\" 1}", 0, "(header):1:6: invalid JSON");
    expect_bad("{\"\xff\":1}", 0, "not valid UTF-8 (byte 2");
    expect_bad("{\"\xc0\x80\":1}", 0, "not valid UTF-8"); /* overlong NUL */
    write_bytes(path, "\x08\0\0\0\0\0\0\0{}\0     ", 16); /* a NUL inside the header */
    expect_bad_file(path, "not valid UTF-8 (byte 2");
    /* Tensor entries. */
    expect_bad("{\"a\":1}", 0, "tensor \"a\": expected an object, got a number");
    expect_bad("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "tensor \"a\": missing \"dtype\"");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing \"shape\"");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing \"data_offsets\"");
    expect_bad("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
               "tensor \"a\": dtype: expected a string, got a number");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4,
               "tensor \"a\": shape: expected an array, got a string");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
               "tensor \"a\": shape[0]: expected an integer in [0, 2^53), got -1");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,4]}}", 4,
               "shape[1]: expected an integer in [0, 2^53), got 1.5");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[9007199254740992],\"data_offsets\":[0,4]}}",
               4, "shape[0]: expected an integer in [0, 2^53), got 9.0072e+15");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,4]}}", 4,
               "shape[0]: expected an integer in [0, 2^53), got a string");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
               4, "tensor \"a\": shape has 9 dimensions, at most 8");
    expect_bad("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
               "tensor \"a\": dtype \"I64\" is not supported (supported: F32, F16, BF16)");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
               "dtype \"F64\" is not supported");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
               "\"data_offsets\":[0,4]}}", 4, "tensor \"a\": element count overflows");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],"
               "\"data_offsets\":[0,4]}}", 4, "element count overflows"); /* x4 bytes */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
               "tensor \"a\": data_offsets: expected [begin, end], got 1 numbers");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"b\":0}}}", 4,
               "data_offsets: expected an array, got an object");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4,
               "data_offsets[1]: expected an integer in [0, 2^53), got -4");
    expect_bad("{" T4("a", "[4,0]") "}", 4, "tensor \"a\": data_offsets end 0 is before begin 4");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
               "tensor \"a\": data_offsets span 4 bytes, expected 8 (2 elements of F32)");
    expect_bad("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4,
               "span 4 bytes, expected 6 (3 elements of BF16)");
    /* Layout of the data buffer. */
    expect_bad("{" T4("a", "[4,8]") "}", 8,
               "tensor \"a\": data begins at 4, expected the first tensor at offset 0");
    expect_bad("{" T4("a", "[0,4]") "," T4("b", "[8,12]") "}", 12,
               "tensor \"b\": data begins at 8 but the previous tensor \"a\" ends at 4 (gap)");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," T4("b", "[4,8]")
               "}", 8, "tensor \"b\": data begins at 4 but the previous tensor \"a\" ends at 8 "
               "(overlap)");
    expect_bad("{" T4("b", "[4,8]") "," T4("a", "[4,8]") "," T4("c", "[0,4]") "}", 8,
               "(overlap)"); /* the same span twice */
    expect_bad("{" T4("a", "[0,4]") "}", 5, "tensor data ends at 4 but the data buffer is 5 "
               "bytes (trailing bytes after the last tensor)");
    expect_bad("{" T4("a", "[0,4]") "," T4("b", "[4,8]") "}", 6,
               "tensor data ends at 8 but the data buffer is 6 bytes (file is truncated)");
    expect_bad("{}", 1, "trailing bytes");
    /* Names and metadata. */
    expect_bad("{" T4("a", "[0,4]") "," T4("a", "[4,8]") "}", 8, "duplicate tensor name \"a\"");
    expect_bad("{\"__metadata__\":\"pt\"}", 0, "__metadata__: expected an object, got a string");
    expect_bad("{\"__metadata__\":null}", 0, "__metadata__: expected an object, got null");
    expect_bad("{\"__metadata__\":{\"format\":1}}", 0,
               "__metadata__.format: expected a string, got a number");
    expect_bad("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
               "__metadata__: duplicate key \"k\"");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate __metadata__");

    /* Accepted: empty header object, space padding, unknown entry fields,
     * an empty tensor sharing an offset, metadata anywhere in the object. */
    SafetensorsFile *f = NULL;
    TpError err;
    const char *ok[] = {
        "{}      ",
        "{" T4("a", "[0,4]") ",\"__metadata__\":{\"x\":\"y\"}}        ",
        "{\"e\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[4,4],\"extra\":1},"
        "\"z\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[4,6]}," T4("a", "[0,4]") "}",
    };
    const size_t ok_data[] = {0, 4, 6};
    const int ok_n[] = {0, 1, 3};
    for (int i = 0; i < 3; i++) {
        write_raw(path, ok[i], ok_data[i]);
        assert_int_equal(safetensors_open(path, &f, &err), TP_OK);
        assert_int_equal(safetensors_count(f), ok_n[i]);
        safetensors_close(f);
    }
}

static void test_open_errors(void **state) {
    (void)state;
    SafetensorsFile *f = (SafetensorsFile *)0x1;
    TpError err;
    assert_int_equal(safetensors_open(tpath("absent.safetensors"), &f, &err), TP_ENOTFOUND);
    assert_null(f);
    assert_non_null(strstr(err.msg, "absent.safetensors: cannot open"));
    assert_int_equal(safetensors_open(tp_tmpdir(), &f, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_int_equal(safetensors_open_memory(NULL, 0, NULL, &f, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "(memory): file is 0 bytes"));
}

static void test_write_errors(void **state) {
    (void)state;
    TpError err;
    const float v[2] = {1, 2};
    const int64_t s1[1] = {1}, neg[1] = {-1}, big[2] = {INT64_C(1) << 40, INT64_C(1) << 40};
    const int64_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const char *path = tpath("werr.safetensors");
    struct {
        SafetensorsWriteTensor t[2];
        int n;
        const char *fragment;
    } cases[] = {
        {{{"a", SAFETENSORS_F32, 1, s1, v}, {"a", SAFETENSORS_F16, 1, s1, v}}, 2,
         "duplicate tensor name \"a\""},
        {{{"__metadata__", SAFETENSORS_F32, 1, s1, v}}, 1, "other than __metadata__"},
        {{{"", SAFETENSORS_F32, 1, s1, v}}, 1, "tensor 0: expected a non-empty"},
        {{{NULL, SAFETENSORS_F32, 1, s1, v}}, 1, "tensor 0: expected a non-empty"},
        {{{"a", SAFETENSORS_F32, 1, neg, v}}, 1, "tensor \"a\": shape[0] is -1"},
        {{{"a", SAFETENSORS_F32, 9, s9, v}}, 1, "tensor \"a\": ndim 9"},
        {{{"a", SAFETENSORS_F32, -1, s1, v}}, 1, "tensor \"a\": ndim -1"},
        {{{"a", SAFETENSORS_F32, 2, big, v}}, 1, "tensor \"a\": element count overflows"},
        {{{"a", SAFETENSORS_F32, 1, s1, NULL}}, 1, "tensor \"a\": data is NULL"},
        {{{"a", (SafetensorsDtype)7, 1, s1, v}}, 1, "tensor \"a\": unknown dtype 7"},
        {{{"bad\xff", SAFETENSORS_F32, 1, s1, v}}, 1, "UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tp_error_clear(&err);
        assert_int_equal(safetensors_write(path, cases[i].t, cases[i].n, NULL, NULL, 0, &err),
                         TP_EINVAL);
        if (!strstr(err.msg, cases[i].fragment))
            print_error("case %zu: \"%s\"\n", i, err.msg);
        assert_non_null(strstr(err.msg, cases[i].fragment));
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(access(path, F_OK), -1);
    }
    const SafetensorsWriteTensor ok = {"a", SAFETENSORS_F32, 1, s1, v};
    const char *mk[2] = {"k", "k"}, *mv[2] = {"1", "2"};
    assert_int_equal(safetensors_write(path, &ok, 1, mk, mv, 2, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "duplicate metadata key \"k\""));
    const char *nk[1] = {NULL};
    assert_int_equal(safetensors_write(path, &ok, 1, nk, mv, 1, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "metadata entry 0"));
    assert_int_equal(safetensors_write(path, NULL, 1, NULL, NULL, 0, &err), TP_EINVAL);
    assert_int_equal(safetensors_write(tpath("no/such/dir/x.safetensors"), &ok, 1, NULL, NULL, 0,
                                       &err),
                     TP_EIO);
    assert_non_null(strstr(err.msg, "cannot create"));
}

/* --- sharded sets --------------------------------------------------------------------- */

static void write_index(const char *dir, const char *json) {
    char p[1100];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    write_bytes(p, json, strlen(json));
}

static void write_shard(const char *dir, const char *file, const char *n1, const char *n2,
                        const float *v) {
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    const int64_t s2[1] = {2};
    const SafetensorsWriteTensor t[2] = {{n1, SAFETENSORS_F32, 1, s2, v},
                                         {n2, SAFETENSORS_F32, 1, s2, v + 2}};
    TpError err;
    assert_int_equal(safetensors_write(p, t, n2 ? 2 : 1, NULL, NULL, 0, &err), TP_OK);
}

static void expect_dir_error(const char *dir, TpStatus code, const char *f1, const char *f2) {
    SafetensorsSet *s = (SafetensorsSet *)0x1;
    TpError err;
    assert_int_equal(safetensors_open_dir(dir, &s, &err), code);
    assert_null(s);
    if (!strstr(err.msg, f1) || (f2 && !strstr(err.msg, f2)))
        print_error("message \"%s\"\n", err.msg);
    assert_non_null(strstr(err.msg, f1));
    if (f2)
        assert_non_null(strstr(err.msg, f2));
}

static void test_sharded(void **state) {
    (void)state;
    const float v[4] = {1, 2, 3, 4}, w[4] = {5, 6, 7, 8};
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", tpath("sharded"));
    make_dir(dir);
    write_shard(dir, "model-00001-of-00002.safetensors", "a.weight", "b.weight", v);
    write_shard(dir, "model-00002-of-00002.safetensors", "c.weight", "unlisted", w);
    write_index(dir, "{\"metadata\":{\"total_size\":24},\"weight_map\":{"
                     "\"c.weight\":\"model-00002-of-00002.safetensors\","
                     "\"a.weight\":\"model-00001-of-00002.safetensors\","
                     "\"b.weight\":\"model-00001-of-00002.safetensors\"}}");
    SafetensorsSet *s = NULL;
    TpError err;
    assert_int_equal(safetensors_open_dir(dir, &s, &err), TP_OK);
    assert_int_equal(safetensors_set_count(s), 3);
    assert_string_equal(safetensors_set_get(s, 0)->name, "c.weight"); /* weight_map order */
    assert_string_equal(safetensors_set_get(s, 1)->name, "a.weight");
    assert_null(safetensors_set_get(s, 3));
    assert_memory_equal(safetensors_set_find(s, "a.weight")->data, v, 8);
    assert_memory_equal(safetensors_set_find(s, "b.weight")->data, v + 2, 8);
    assert_memory_equal(safetensors_set_find(s, "c.weight")->data, w, 8);
    assert_null(safetensors_set_find(s, "unlisted")); /* only weight_map entries */
    assert_null(safetensors_set_find(s, "d.weight"));
    safetensors_set_close(s);
    safetensors_set_close(NULL);

    /* A shard that does not exist. */
    write_index(dir, "{\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\","
                     "\"x.weight\":\"model-00003-of-00003.safetensors\"}}");
    expect_dir_error(dir, TP_ENOTFOUND, "model.safetensors.index.json: shard "
                     "\"model-00003-of-00003.safetensors\"", "cannot open");
    /* A tensor absent from the shard it is mapped to. */
    write_index(dir, "{\"weight_map\":{\"c.weight\":\"model-00001-of-00002.safetensors\"}}");
    expect_dir_error(dir, TP_EINVAL, "tensor \"c.weight\" is mapped to "
                     "\"model-00001-of-00002.safetensors\" but that shard has no such tensor",
                     "index.json");
    /* Shard names may not leave the directory. */
    write_index(dir, "{\"weight_map\":{\"a.weight\":\"../x.safetensors\"}}");
    expect_dir_error(dir, TP_EINVAL, "$.weight_map[\"a.weight\"]: expected a shard file name",
                     "got \"../x.safetensors\"");
    write_index(dir, "{\"weight_map\":{\"a.weight\":\"/etc/passwd\"}}");
    expect_dir_error(dir, TP_EINVAL, "no \"/\" or \"..\"", NULL);
    write_index(dir, "{\"weight_map\":{\"a.weight\":7}}");
    expect_dir_error(dir, TP_EINVAL, "got a number", NULL);
    write_index(dir, "{\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\","
                     "\"a.weight\":\"model-00001-of-00002.safetensors\"}}");
    expect_dir_error(dir, TP_EINVAL, "duplicate tensor name \"a.weight\"", NULL);
    write_index(dir, "{\"metadata\":{}}");
    expect_dir_error(dir, TP_EINVAL, "$.weight_map: expected an object, got nothing", NULL);
    write_index(dir, "{\"weight_map\":");
    expect_dir_error(dir, TP_EINVAL, "invalid JSON", NULL);

    /* A bad shard: its own message, prefixed with the index. */
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    write_raw(bad, "{}", 3);
    write_index(dir, "{\"weight_map\":{\"a.weight\":\"bad.safetensors\"}}");
    expect_dir_error(dir, TP_EINVAL, "index.json: shard \"bad.safetensors\": ",
                     "trailing bytes");

    /* Neither file: both named. */
    char empty[1100];
    snprintf(empty, sizeof empty, "%s", tpath("noweights"));
    make_dir(empty);
    expect_dir_error(empty, TP_ENOTFOUND, "model.safetensors nor ",
                     "model.safetensors.index.json exists");

    /* A single model.safetensors wins over an index. */
    write_shard(dir, "model.safetensors", "only", NULL, v);
    assert_int_equal(safetensors_open_dir(dir, &s, &err), TP_OK);
    assert_int_equal(safetensors_set_count(s), 1);
    assert_string_equal(safetensors_set_get(s, 0)->name, "only");
    assert_non_null(safetensors_set_find(s, "only"));
    safetensors_set_close(s);
}

/* --- the shared reference model ---------------------------------------------------------- */

static void test_stories260k(void **state) {
    (void)state;
    const char *root = getenv("TP_SHARED_MODELS");
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/stories260K-hf", root ? root : "");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!root || !*root || access(path, R_OK) != 0) {
        printf("skipping: TP_SHARED_MODELS/stories260K-hf/model.safetensors not available\n");
        skip();
    }
    SafetensorsSet *s = NULL;
    TpError err;
    assert_int_equal(safetensors_open_dir(dir, &s, &err), TP_OK);
    const SafetensorsTensor *e = safetensors_set_find(s, "model.embed_tokens.weight");
    assert_non_null(e);
    assert_int_equal(e->dtype, SAFETENSORS_F32);
    assert_int_equal(e->ndim, 2);
    assert_int_equal(e->shape[0], 512);
    assert_int_equal(e->shape[1], 64);
    float *buf = malloc(sizeof(float) * (size_t)e->n_elements);
    assert_non_null(buf);
    safetensors_to_f32(e, buf);
    for (int64_t i = 0; i < e->n_elements; i++)
        assert_true(isfinite(buf[i]));
    free(buf);
    for (int l = 0; l < 5; l++) {
        char name[128];
        snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.weight", l);
        const SafetensorsTensor *q = safetensors_set_find(s, name);
        assert_non_null(q);
        assert_int_equal(q->ndim, 2);
        assert_int_equal(q->shape[0], 64);
        assert_int_equal(q->shape[1], 64);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.k_proj.weight", l);
        const SafetensorsTensor *k = safetensors_set_find(s, name);
        assert_non_null(k);
        assert_int_equal(k->shape[0], 32);
        assert_int_equal(k->shape[1], 64);
    }
    assert_null(safetensors_set_find(s, "model.layers.5.self_attn.q_proj.weight"));
    assert_null(safetensors_set_find(s, "lm_head.weight")); /* tied to the embedding */
    assert_non_null(safetensors_set_find(s, "model.norm.weight"));
    safetensors_set_close(s);

    SafetensorsFile *f = NULL;
    assert_int_equal(safetensors_open(path, &f, &err), TP_OK);
    assert_string_equal(safetensors_metadata(f, "format"), "pt");
    safetensors_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_f16_bf16_bits),
        cmocka_unit_test(test_byte_exact),  cmocka_unit_test(test_reject_malformed),
        cmocka_unit_test(test_open_errors), cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_sharded),     cmocka_unit_test(test_stories260k),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
