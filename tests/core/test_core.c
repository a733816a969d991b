/* test_core.c - core helpers: JSON parsing and field readers, dates, file
 * I/O, paths, the RNG, growable buffers, arenas, errors and embedded assets. */
#include "tp_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/assets.h"
#include "tunepilot/buf.h"
#include "tunepilot/error.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/paths.h"
#include "tunepilot/rng.h"

/* --- JSON ----------------------------------------------------------------------- */

static TpStatus parse(const char *text, cJSON **out, TpError *err) {
    tp_error_clear(err);
    return tp_json_parse(text, strlen(text), "t.json", out, err);
}

static void test_json_parse_error_position(void **state) {
    (void)state;
    cJSON *root = (cJSON *)0x1;
    TpError err;
    /* Line 3 is `  "b": ]`: 2 spaces, "b" in columns 3-5, ':' in 6, a space in
     * 7, so the stray ']' is line 3, column 8. */
    assert_int_equal(parse("{\n  \"a\": 1,\n  \"b\": ]\n}", &root, &err), TP_EINVAL);
    assert_null(root);
    assert_int_equal(err.code, TP_EINVAL);
    assert_non_null(strstr(err.msg, "t.json:3:8: invalid JSON"));
    assert_non_null(strstr(err.msg, "near \"]\""));

    /* Line 1 `{"a": tru}`: the bad literal starts at column 7. */
    assert_int_equal(parse("{\"a\": tru}", &root, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "t.json:1:7:"));
    /* Line 2 ` [1,,2]`: the second comma is column 5. */
    assert_int_equal(parse("\n [1,,2]", &root, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "t.json:2:5:"));

    assert_int_equal(parse("", &root, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "t.json: empty"));
}

static void test_json_trailing_data(void **state) {
    (void)state;
    cJSON *root = NULL;
    TpError err;
    assert_int_equal(parse("{} x", &root, &err), TP_EINVAL);
    assert_null(root);
    assert_non_null(strstr(err.msg, "t.json: trailing data"));
    assert_int_equal(parse("[1] [2]", &root, &err), TP_EINVAL);
    assert_null(root);
    assert_int_equal(parse("{\"a\":1},", &root, &err), TP_EINVAL);

    /* Trailing whitespace is fine. */
    assert_int_equal(parse("{\"a\": 2}\n\t \r\n", &root, &err), TP_OK);
    assert_non_null(root);
    assert_int_equal(cJSON_GetObjectItem(root, "a")->valueint, 2);
    cJSON_Delete(root);

    /* Only len bytes are read: a document followed by junk beyond len parses. */
    const char *text = "[7]garbage";
    assert_int_equal(tp_json_parse(text, 3, "t.json", &root, &err), TP_OK);
    assert_int_equal(cJSON_GetArrayItem(root, 0)->valueint, 7);
    cJSON_Delete(root);
}

static void test_json_check_keys(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse("{\"a\":1,\"note\":\"x\",\"colour\":\"red\"}");
    TpError err = {0};
    static const char *const allowed[] = {"a", "b", "note", NULL};
    assert_int_equal(tp_json_check_keys(o, "doc", "$.cfg", allowed, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.cfg.colour: unknown field (expected one of: a, b, note)");
    static const char *const all[] = {"a", "note", "colour", NULL};
    assert_int_equal(tp_json_check_keys(o, "doc", "$.cfg", all, &err), TP_OK);
    cJSON_Delete(o);
}

static void test_json_field_readers(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(
        "{\"n\":11,\"neg\":-0.5,\"s\":\"str\",\"z\":null,\"f\":2.5,\"i\":4,\"obj\":{}}");
    TpError err = {0};
    double d = 99;
    bool present = true;

    assert_int_equal(tp_json_number(o, "n", "doc", "$.x", true, 0, 10, &d, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.x.n: expected a number in [0, 10], got 11");
    assert_close(d, 99, 0); /* untouched on failure */
    assert_int_equal(tp_json_number(o, "neg", "doc", "$", true, 0, 1, &d, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.neg: expected a number in [0, 1], got -0.5");
    assert_int_equal(tp_json_number(o, "n", "doc", "$", true, 0, 11, &d, &present, &err), TP_OK);
    assert_close(d, 11, 0);
    assert_true(present);
    assert_int_equal(tp_json_number(o, "s", "doc", "$", true, 0, 1, &d, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.s: expected a number, got a string");
    assert_int_equal(tp_json_number(o, "missing", "doc", "$", true, 0, 1, &d, NULL, &err),
                     TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.missing: missing, expected a number");
    /* Optional and absent, or null: OK, not present, value unchanged. */
    d = 42;
    assert_int_equal(tp_json_number(o, "missing", "doc", "$", false, 0, 1, &d, &present, &err),
                     TP_OK);
    assert_false(present);
    assert_close(d, 42, 0);
    present = true;
    assert_int_equal(tp_json_number(o, "z", "doc", "$", false, 0, 1, &d, &present, &err), TP_OK);
    assert_false(present);
    assert_close(d, 42, 0);
    assert_int_equal(tp_json_number(o, "z", "doc", "$", true, 0, 1, &d, NULL, &err), TP_EINVAL);

    long long ll = 0;
    assert_int_equal(tp_json_integer(o, "f", "doc", "$", true, 0, 10, &ll, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.f: expected an integer, got 2.5");
    assert_int_equal(tp_json_integer(o, "i", "doc", "$", true, 0, 10, &ll, NULL, &err), TP_OK);
    assert_int_equal(ll, 4);
    assert_int_equal(tp_json_integer(o, "i", "doc", "$", true, 5, 10, &ll, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "expected a number in [5, 10], got 4"));

    const char *s = NULL;
    assert_int_equal(tp_json_string(o, "s", "doc", "$", true, &s, NULL, &err), TP_OK);
    assert_string_equal(s, "str");
    assert_int_equal(tp_json_string(o, "obj", "doc", "$", true, &s, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.obj: expected a string, got an object");
    assert_int_equal(tp_json_string(o, "nope", "doc", "$", true, &s, NULL, &err), TP_EINVAL);
    assert_string_equal(err.msg, "doc: $.nope: missing, expected a string");

    assert_string_equal(tp_json_type_name(NULL), "nothing");
    assert_string_equal(tp_json_type_name(cJSON_GetObjectItem(o, "z")), "null");
    assert_string_equal(tp_json_type_name(cJSON_GetObjectItem(o, "i")), "a number");
    cJSON_Delete(o);

    char path[64];
    tp_json_path_key(path, sizeof path, "$.models", "id");
    assert_string_equal(path, "$.models.id");
    tp_json_path_index(path, sizeof path, "$.models", 12);
    assert_string_equal(path, "$.models[12]");
}

static void test_iso_date(void **state) {
    (void)state;
    assert_true(tp_is_iso_date("2026-07-24"));
    assert_true(tp_is_iso_date("2026-01-31"));
    assert_true(tp_is_iso_date("2026-12-31"));
    assert_true(tp_is_iso_date("2024-02-29")); /* 2024 is divisible by 4: leap */
    assert_true(tp_is_iso_date("2000-02-29")); /* divisible by 400: leap */
    assert_true(tp_is_iso_date("2026-04-30"));

    assert_false(tp_is_iso_date(NULL));
    assert_false(tp_is_iso_date(""));
    assert_false(tp_is_iso_date("2026-7-24"));
    assert_false(tp_is_iso_date("2026/07/24"));
    assert_false(tp_is_iso_date("2026-07-24T00:00:00Z"));
    assert_false(tp_is_iso_date("26-07-2024"));
    assert_false(tp_is_iso_date("abcd-ef-gh"));
    assert_false(tp_is_iso_date("2026-13-01"));
    assert_false(tp_is_iso_date("2026-00-10"));
    assert_false(tp_is_iso_date("2026-01-00"));
    assert_false(tp_is_iso_date("2026-01-32"));
    /* Not calendar dates: */
    assert_false(tp_is_iso_date("2026-02-30"));
    assert_false(tp_is_iso_date("2025-02-29")); /* 2025 is not a leap year */
    assert_false(tp_is_iso_date("1900-02-29")); /* divisible by 100, not 400 */
    assert_false(tp_is_iso_date("2026-04-31")); /* April has 30 days */
    assert_false(tp_is_iso_date("2026-11-31"));
}

/* --- file I/O ---------------------------------------------------------------------- */

static int count_entries(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            (!needle || strstr(e->d_name, needle)))
            n++;
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_write_atomic(void **state) {
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/atomic", tp_tmpdir());
    assert_int_equal(tp_mkdirs(dir, NULL), TP_OK);
    snprintf(path, sizeof path, "%s/out.json", dir);
    TpError err = {0};

    assert_int_equal(tp_file_write_atomic(path, "hello world", 11, &err), TP_OK);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tp_file_read(path, 1024, &data, &len, &err), TP_OK);
    assert_int_equal(len, 11);
    assert_string_equal(data, "hello world");
    free(data);

    /* Replacing with shorter content leaves nothing of the old. */
    assert_int_equal(tp_file_write_atomic(path, "bye", 3, &err), TP_OK);
    assert_int_equal(tp_file_read(path, 1024, &data, &len, &err), TP_OK);
    assert_int_equal(len, 3);
    assert_string_equal(data, "bye");
    free(data);
    /* Only the target is in the directory: no temp file left behind. */
    assert_int_equal(count_entries(dir, NULL), 1);
    assert_int_equal(count_entries(dir, ".tmp"), 0);

    /* Zero bytes is a valid file. */
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    assert_int_equal(tp_file_write_atomic(empty, "", 0, &err), TP_OK);
    assert_int_equal(tp_file_read(empty, 10, &data, &len, &err), TP_OK);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    assert_int_equal(unlink(empty), 0);

    /* The directory does not exist: TP_EIO, nothing is created. */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/no-such-dir/out.json", dir);
    tp_error_clear(&err);
    assert_int_equal(tp_file_write_atomic(missing, "x", 1, &err), TP_EIO);
    assert_non_null(strstr(err.msg, "no-such-dir"));
    struct stat sb;
    char missing_dir[700];
    snprintf(missing_dir, sizeof missing_dir, "%s/no-such-dir", dir);
    assert_int_not_equal(stat(missing_dir, &sb), 0);
    assert_int_equal(count_entries(dir, NULL), 1);

    /* The rename fails (the target is a non-empty directory): the old
     * contents are intact and the temp file is removed. */
    char target[700], inside[800];
    snprintf(target, sizeof target, "%s/sub", dir);
    assert_int_equal(tp_mkdirs(target, NULL), TP_OK);
    snprintf(inside, sizeof inside, "%s/keep.txt", target);
    write_file(inside, "keep", 4);
    tp_error_clear(&err);
    assert_int_equal(tp_file_write_atomic(target, "new", 3, &err), TP_EIO);
    assert_int_equal(stat(target, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(tp_file_read(inside, 100, &data, &len, &err), TP_OK);
    assert_string_equal(data, "keep");
    free(data);
    assert_int_equal(count_entries(dir, ".tmp"), 0);
    assert_int_equal(tp_file_read(path, 1024, &data, &len, &err), TP_OK);
    assert_string_equal(data, "bye");
    free(data);
}

static void test_file_read_cap(void **state) {
    (void)state;
    char path[600];
    TpError err = {0};
    char *data = (char *)0x1;
    size_t len = 99;

    snprintf(path, sizeof path, "%s/does-not-exist", tp_tmpdir());
    assert_int_equal(tp_file_read(path, 100, &data, &len, &err), TP_ENOTFOUND);
    assert_null(data);
    assert_int_equal(tp_file_read(tp_tmpdir(), 100, &data, &len, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "directory"));

    /* 100 bytes: a 100-byte cap is enough, 99 is not. */
    char small[100];
    memset(small, 'a', sizeof small);
    snprintf(path, sizeof path, "%s/small", tp_tmpdir());
    write_file(path, small, sizeof small);
    assert_int_equal(tp_file_read(path, 100, &data, &len, &err), TP_OK);
    assert_int_equal(len, 100);
    assert_int_equal(data[100], '\0');
    free(data);
    assert_int_equal(tp_file_read(path, 99, &data, &len, &err), TP_EINVAL);
    assert_null(data);
    assert_non_null(strstr(err.msg, "99-byte limit"));

    /* Past the first 64 KiB read buffer: 70000 bytes with caps 70000 and 69999,
     * and exactly 65536 bytes with a 65536 cap. */
    size_t big = 70000;
    char *bytes = malloc(big);
    for (size_t i = 0; i < big; i++)
        bytes[i] = (char)('a' + i % 26);
    snprintf(path, sizeof path, "%s/big", tp_tmpdir());
    write_file(path, bytes, big);
    assert_int_equal(tp_file_read(path, big, &data, &len, &err), TP_OK);
    assert_int_equal(len, big);
    assert_memory_equal(data, bytes, big);
    free(data);
    assert_int_equal(tp_file_read(path, big - 1, &data, &len, &err), TP_EINVAL);
    assert_int_equal(tp_file_read(path, 1 << 20, &data, &len, &err), TP_OK);
    assert_int_equal(len, big);
    free(data);
    write_file(path, bytes, 65536);
    assert_int_equal(tp_file_read(path, 65536, &data, &len, &err), TP_OK);
    assert_int_equal(len, 65536);
    free(data);
    assert_int_equal(tp_file_read(path, 65535, &data, &len, &err), TP_EINVAL);
    free(bytes);
}

/* --- paths -------------------------------------------------------------------------- */

static const char *ENV_NAMES[] = {"TUNEPILOT_DB", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME"};
static char *saved_env[4];

static void save_env(void) {
    for (int i = 0; i < 4; i++) {
        const char *v = getenv(ENV_NAMES[i]);
        saved_env[i] = v ? strdup(v) : NULL;
    }
}

static void restore_env(void) {
    for (int i = 0; i < 4; i++) {
        if (saved_env[i])
            setenv(ENV_NAMES[i], saved_env[i], 1);
        else
            unsetenv(ENV_NAMES[i]);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
}

static void test_path_db_precedence(void **state) {
    (void)state;
    save_env();
    char out[256];
    TpError err = {0};
    setenv("HOME", "/home/u", 1);
    setenv("XDG_DATA_HOME", "/xdg/data", 1);
    setenv("TUNEPILOT_DB", "/env/tp.db", 1);

    assert_int_equal(tp_path_db(out, sizeof out, "/cli/tp.db", &err), TP_OK);
    assert_string_equal(out, "/cli/tp.db");
    /* An empty override counts as none. */
    assert_int_equal(tp_path_db(out, sizeof out, "", &err), TP_OK);
    assert_string_equal(out, "/env/tp.db");
    assert_int_equal(tp_path_db(out, sizeof out, NULL, &err), TP_OK);
    assert_string_equal(out, "/env/tp.db");

    setenv("TUNEPILOT_DB", "", 1); /* empty: ignored */
    assert_int_equal(tp_path_db(out, sizeof out, NULL, &err), TP_OK);
    assert_string_equal(out, "/xdg/data/tunepilot/tunepilot.db");
    unsetenv("TUNEPILOT_DB");
    assert_int_equal(tp_path_db(out, sizeof out, NULL, &err), TP_OK);
    assert_string_equal(out, "/xdg/data/tunepilot/tunepilot.db");

    unsetenv("XDG_DATA_HOME");
    assert_int_equal(tp_path_db(out, sizeof out, NULL, &err), TP_OK);
    assert_string_equal(out, "/home/u/.local/share/tunepilot/tunepilot.db");

    unsetenv("HOME");
    tp_error_clear(&err);
    assert_int_equal(tp_path_db(out, sizeof out, NULL, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "XDG_DATA_HOME"));
    /* The override still works without any environment. */
    assert_int_equal(tp_path_db(out, sizeof out, "rel.db", &err), TP_OK);
    assert_string_equal(out, "rel.db");

    /* Too long for the buffer: refused, not truncated. */
    char tiny[8];
    assert_int_equal(tp_path_db(tiny, sizeof tiny, "/a/long/path.db", &err), TP_EINVAL);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(tp_path_db(tiny, sizeof tiny, NULL, &err), TP_EINVAL);

    setenv("XDG_CONFIG_HOME", "/xdg/cfg", 1);
    assert_int_equal(tp_path_config_dir(out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "/xdg/cfg/tunepilot");
    unsetenv("XDG_CONFIG_HOME");
    assert_int_equal(tp_path_config_dir(out, sizeof out, &err), TP_OK);
    assert_string_equal(out, "/home/u/.config/tunepilot");
    restore_env();
}

static void test_mkdirs(void **state) {
    (void)state;
    char dir[512], file[600];
    TpError err = {0};
    snprintf(dir, sizeof dir, "%s/mk/a/b/c", tp_tmpdir());
    assert_int_equal(tp_mkdirs(dir, &err), TP_OK);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(tp_mkdirs(dir, &err), TP_OK); /* already there */

    snprintf(file, sizeof file, "%s/mk/a/b/c/d/e/f.db", tp_tmpdir());
    assert_int_equal(tp_mkdirs_for_file(file, &err), TP_OK);
    snprintf(dir, sizeof dir, "%s/mk/a/b/c/d/e", tp_tmpdir());
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_not_equal(stat(file, &sb), 0); /* only the parents */

    /* A file in the way. */
    snprintf(file, sizeof file, "%s/mk/plain", tp_tmpdir());
    write_file(file, "x", 1);
    assert_int_equal(tp_mkdirs(file, &err), TP_EIO);
    snprintf(dir, sizeof dir, "%s/mk/plain/sub", tp_tmpdir());
    assert_int_equal(tp_mkdirs(dir, &err), TP_EIO);
}

/* --- RNG ------------------------------------------------------------------------------ */

/* Reference values from an independent Python implementation of the published
 * algorithms (https://prng.di.unimi.it/splitmix64.c, xoshiro256starstar.c):
 *   def sm(x): x=(x+0x9e3779b97f4a7c15)%2**64; z=x; z=((z^(z>>30))*0xbf58476d1ce4e5b9)%2**64
 *              z=((z^(z>>27))*0x94d049bb133111eb)%2**64; return x, z^(z>>31)
 *   next: r=rotl(s1*5,7)*9; t=s1<<17; s2^=s0; s3^=s1; s1^=s2; s0^=s3; s2^=t; s3=rotl(s3,45)
 * splitmix64(0)'s first output 0xe220a8397b1dcdaf is also the widely quoted
 * reference value. */
static void test_rng_reference(void **state) {
    (void)state;
    TpRng r;
    tp_rng_seed(&r, 0);
    assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
    assert_true(r.s[1] == 0x6e789e6aa1b965f4ULL);
    assert_true(r.s[2] == 0x06c45d188009454fULL);
    assert_true(r.s[3] == 0xf88bb8a8724c81ecULL);
    assert_true(tp_rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
    assert_true(tp_rng_next(&r) == 0xbf6e1f784956452aULL);
    assert_true(tp_rng_next(&r) == 0x1a5f849d4933e6e0ULL);
    assert_true(tp_rng_next(&r) == 0x6aa594f1262d2d2cULL);

    tp_rng_seed(&r, 42);
    assert_true(tp_rng_next(&r) == 0x15780b2e0c2ec716ULL);
    assert_true(tp_rng_next(&r) == 0x6104d9866d113a7eULL);

    /* uniform = (next >> 11) * 2^-53: seed 12345's first draw is
     * 0xbe6a36374160d49b -> 0.7438081631565894. */
    tp_rng_seed(&r, 12345);
    assert_close(tp_rng_uniform(&r), 0.7438081631565894, 1e-16);
}

/* Dropout masks in parts (tp_rng_mask): against a loop over tp_rng_next
 * for each chunk's generator (element 2k from draw k's low 32 bits, 2k + 1
 * from its high 32), for lengths with partial bytes and chunks; made in two
 * parts or one, the same bits; the thresholds by hand (ceil(p 2^32)); the
 * first chunk's seed is splitmix64's first output from 0, 0xe220a8397b1dcdaf
 * (its authors' reference code); and the share kept at p = 0.05 within
 * five standard deviations (sqrt(0.05 x 0.95 / 2^20) = 0.000213). */
static void test_rng_mask(void **state) {
    (void)state;
    assert_true(tp_rng_mask_threshold(0) == 0);
    assert_true(tp_rng_mask_threshold(0.5) == 2147483648u);
    assert_true(tp_rng_mask_threshold(0.05) == 214748365u); /* 214748364.8 up */
    assert_true(tp_rng_mask_threshold(1) == UINT32_MAX);
    assert_true(tp_rng_mask_chunk_seed(0, 0) == 0xe220a8397b1dcdafULL);
    enum { MAX = 3 * TP_RNG_MASK_CHUNK + 13 };
    uint8_t *bits = malloc(MAX / 8 + 1), *want = malloc(MAX / 8 + 1), *two = malloc(MAX / 8 + 1);
    size_t lengths[] = {0, 1, 7, 8, 9, 70, TP_RNG_MASK_CHUNK, TP_RNG_MASK_CHUNK + 3, MAX};
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
        size_t n = lengths[li];
        uint64_t seed = 1000 + li;
        memset(bits, 0xff, MAX / 8 + 1);
        memset(want, 0, MAX / 8 + 1);
        tp_rng_mask(seed, bits, 0, n, 0x80000000u); /* p = 1/2 */
        for (size_t c0 = 0; c0 < n; c0 += TP_RNG_MASK_CHUNK) {
            TpRng r;
            tp_rng_seed(&r, tp_rng_mask_chunk_seed(seed, c0 / TP_RNG_MASK_CHUNK));
            for (size_t i = c0; i < n && i < c0 + TP_RNG_MASK_CHUNK; i += 2) {
                uint64_t d = tp_rng_next(&r);
                if ((uint32_t)d >= 0x80000000u)
                    want[i >> 3] |= (uint8_t)(1u << (i & 7));
                if (i + 1 < n && (uint32_t)(d >> 32) >= 0x80000000u)
                    want[(i + 1) >> 3] |= (uint8_t)(1u << ((i + 1) & 7));
            }
        }
        assert_memory_equal(bits, want, (n + 7) / 8);
        if (n > TP_RNG_MASK_CHUNK) { /* two parts on their own */
            tp_rng_mask(seed, two, TP_RNG_MASK_CHUNK, n, 0x80000000u);
            tp_rng_mask(seed, two, 0, TP_RNG_MASK_CHUNK, 0x80000000u);
            assert_memory_equal(two, want, (n + 7) / 8);
        }
    }
    free(bits);
    free(want);
    free(two);
    size_t n = (size_t)1 << 20, kept = 0;
    uint8_t *m = malloc(n / 8);
    tp_rng_mask(42, m, 0, n, tp_rng_mask_threshold(0.05));
    for (size_t i = 0; i < n / 8; i++)
        kept += (size_t)__builtin_popcount(m[i]);
    free(m);
    assert_true(fabs((double)kept / (double)n - 0.95) < 5 * 0.000213);
}

static void test_rng_determinism_and_uniform(void **state) {
    (void)state;
    TpRng a, b, c;
    tp_rng_seed(&a, 7);
    tp_rng_seed(&b, 7);
    tp_rng_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = tp_rng_next(&a), y = tp_rng_next(&b), z = tp_rng_next(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_int_equal(differ, 1000);

    /* 100000 draws: all in [0, 1); the mean's standard error is
     * sqrt(1/12)/sqrt(100000) ~= 0.0009, so 0.01 is a >10-sigma bound. */
    TpRng r;
    tp_rng_seed(&r, 2026);
    double sum = 0, lo = 1, hi = 0;
    int below_tenth = 0;
    for (int i = 0; i < 100000; i++) {
        double u = tp_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        below_tenth += u < 0.1;
    }
    assert_close(sum / 100000, 0.5, 0.01);
    assert_true(lo < 0.001 && hi > 0.999);
    /* About 10000 +- 95 (binomial sd sqrt(100000*0.1*0.9)). */
    assert_in_range(below_tenth, 9500, 10500);
}

/* --- buffers and arenas ------------------------------------------------------------------ */

static void test_buf_printf_growth(void **state) {
    (void)state;
    TpBuf b;
    tp_buf_init(&b);
    assert_null(b.data);
    /* 1000 lines of "line NNNN\n" (10 bytes each) = 10000 bytes, far past the
     * initial 256-byte capacity. */
    for (int i = 0; i < 1000; i++)
        tp_buf_printf(&b, "line %04d\n", i);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    assert_int_equal(strlen(b.data), 10000);
    assert_int_equal(strncmp(b.data, "line 0000\nline 0001\n", 20), 0);
    assert_string_equal(b.data + 9990, "line 0999\n");

    /* One printf bigger than the current capacity. */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tp_buf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 10000 + 5001);
    assert_int_equal(b.data[10000], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');

    tp_buf_puts(&b, "!");
    tp_buf_append(&b, "abc", 2);
    assert_string_equal(b.data + 15001, "!ab");
    char *s = tp_buf_take(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(strlen(s), 15004);
    free(s);

    /* take on an empty buffer gives "" (a real allocation). */
    s = tp_buf_take(&b);
    assert_string_equal(s, "");
    free(s);
    tp_buf_free(&b);
}

static void test_arena_many_allocations(void **state) {
    (void)state;
    TpArena a;
    tp_arena_init(&a);
    enum { N = 20000 };
    unsigned char **ptrs = malloc(sizeof *ptrs * N);
    /* Sizes 1..200 plus a few larger than one 32 KiB block. */
    for (int i = 0; i < N; i++) {
        size_t size = (i % 1000 == 999) ? 40000 : (size_t)(i % 200) + 1;
        ptrs[i] = tp_arena_alloc(&a, size);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        for (size_t k = 0; k < size; k++)
            assert_int_equal(ptrs[i][k], 0); /* zeroed */
        memset(ptrs[i], (unsigned char)(i & 0xff), size);
    }
    /* Nothing overlapped: every block still holds its own pattern. */
    for (int i = 0; i < N; i++) {
        size_t size = (i % 1000 == 999) ? 40000 : (size_t)(i % 200) + 1;
        for (size_t k = 0; k < size; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                fail_msg("allocation %d byte %zu was overwritten", i, k);
    }
    free(ptrs);

    char *s = tp_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    assert_null(tp_arena_strdup(&a, NULL));
    tp_arena_free(&a);
    assert_null(a.head);
    /* Reusable after free. */
    s = tp_arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    tp_arena_free(&a);
    tp_arena_free(NULL);

    char *d = tp_xstrdup("dup");
    assert_string_equal(d, "dup");
    free(d);
    assert_null(tp_xstrdup(NULL));
}

/* --- errors and assets ----------------------------------------------------------------------- */

static void test_errors(void **state) {
    (void)state;
    TpError err;
    tp_error_clear(&err);
    assert_int_equal(err.code, TP_OK);
    assert_string_equal(err.msg, "");
    assert_int_equal(tp_error_set(&err, TP_ENOTFOUND, "no %s %d", "thing", 3), TP_ENOTFOUND);
    assert_int_equal(err.code, TP_ENOTFOUND);
    assert_string_equal(err.msg, "no thing 3");
    tp_error_prefix(&err, "loading %s", "x.json");
    assert_string_equal(err.msg, "loading x.json: no thing 3");
    assert_int_equal(err.code, TP_ENOTFOUND);
    /* NULL is accepted everywhere. */
    assert_int_equal(tp_error_set(NULL, TP_EIO, "x"), TP_EIO);
    tp_error_prefix(NULL, "x");
    tp_error_clear(NULL);

    assert_int_equal(tp_status_exit_code(TP_OK), 0);
    assert_int_equal(tp_status_exit_code(TP_EINVAL), 2);
    assert_int_equal(tp_status_exit_code(TP_ERR), 1);
    assert_int_equal(tp_status_exit_code(TP_ENOTFOUND), 1);
    assert_int_equal(tp_status_exit_code(TP_EIO), 1);
    assert_int_equal(tp_status_exit_code(TP_EDB), 1);
}

static void test_assets(void **state) {
    (void)state;
    size_t size = 0;
    const char *gpus = tp_asset_get("pricing/gpus.json", &size);
    assert_non_null(gpus);
    assert_true(size > 0);
    assert_int_equal(strlen(gpus), size);
    assert_non_null(strstr(gpus, "\"tunepilot.pricing.gpus\""));
    assert_null(tp_asset_get("pricing/nope.json", &size));

    /* The five pricing tables are all embedded. */
    int n = 0;
    while (tp_asset_name("pricing/", n))
        n++;
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        assert_int_equal(strncmp(tp_asset_name("pricing/", i), "pricing/", 8), 0);
    assert_null(tp_asset_name("no-such-prefix/", 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse_error_position),
        cmocka_unit_test(test_json_trailing_data),
        cmocka_unit_test(test_json_check_keys),
        cmocka_unit_test(test_json_field_readers),
        cmocka_unit_test(test_iso_date),
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_file_read_cap),
        cmocka_unit_test(test_path_db_precedence),
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_rng_reference),
        cmocka_unit_test(test_rng_mask),
        cmocka_unit_test(test_rng_determinism_and_uniform),
        cmocka_unit_test(test_buf_printf_growth),
        cmocka_unit_test(test_arena_many_allocations),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_assets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tp_tmpdir_cleanup();
    return rc;
}
