/* test_hashmap.c - hashing and the open-addressing maps (hashmap.h): FNV-1a
 * and splitmix64 against their published values, colliding keys, growth,
 * borrowed and copied keys, and many keys against a sorted-array reference. */
#include "tp_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/hashmap.h"
#include "tunepilot/rng.h"

static void test_hashes(void **state) {
    (void)state;
    /* FNV-1a 64-bit test vectors (Fowler, Noll and Vo's reference table) */
    assert_true(tp_hash_bytes(TP_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(tp_hash_bytes(TP_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(tp_hash_bytes(TP_HASH_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
    /* continuing a hash is hashing the concatenation */
    assert_true(tp_hash_bytes(tp_hash_bytes(TP_HASH_INIT, "foo", 3), "bar", 3) ==
                tp_hash_bytes(TP_HASH_INIT, "foobar", 6));
    /* splitmix64 seeded with 0: its first two outputs (Vigna's splitmix64.c) */
    assert_true(tp_hash_mix64(0) == 0xe220a8397b1dcdafULL);
    assert_true(tp_hash_mix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
    uint64_t s = 0;
    assert_true(tp_splitmix64(&s) == 0xe220a8397b1dcdafULL);
    assert_true(tp_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
}

/* Keys "c<i>" whose hash falls in slot 0 of a 16-slot map. */
static int colliding(char keys[][16], int want) {
    int n = 0;
    for (int i = 0; n < want && i < 100000; i++) {
        char k[16];
        snprintf(k, sizeof k, "c%d", i);
        if ((tp_hash_bytes(TP_HASH_INIT, k, strlen(k)) & 15) == 0)
            memcpy(keys[n++], k, sizeof k);
    }
    return n;
}

static void test_strmap_collisions(void **state) {
    (void)state;
    char keys[7][16];
    assert_int_equal(colliding(keys, 7), 7);
    TpStrMap m;
    tp_strmap_init(&m, 7, false);
    assert_int_equal(m.cap, 16); /* 2 * 7 + 1 rounded up to a power of two */
    for (int i = 0; i < 7; i++)
        tp_strmap_put(&m, keys[i], strlen(keys[i]), 100 + i);
    assert_int_equal(m.cap, 16); /* seven keys fit without growing */
    /* all in one probe run: slots 0..6 in insertion order */
    for (int i = 0; i < 7; i++) {
        assert_int_equal(tp_strmap_slot(&m, keys[i], strlen(keys[i]), false), i);
        assert_int_equal(tp_strmap_get(&m, keys[i], strlen(keys[i]), -1), 100 + i);
    }
    /* a colliding key that is absent probes past the run */
    char more[9][16];
    assert_int_equal(colliding(more, 9), 9); /* the same seven, then two more */
    assert_int_equal(tp_strmap_get(&m, more[7], strlen(more[7]), -1), -1);
    /* the eighth key fills half the map, at the end of the run */
    tp_strmap_put(&m, more[7], strlen(more[7]), 7);
    assert_int_equal(m.cap, 16);
    assert_int_equal(tp_strmap_slot(&m, more[7], strlen(more[7]), false), 7);
    /* the ninth would make it more than half full: it doubles first */
    tp_strmap_put(&m, more[8], strlen(more[8]), 8);
    assert_int_equal(m.cap, 32);
    assert_int_equal(m.n, 9);
    for (int i = 0; i < 7; i++)
        assert_int_equal(tp_strmap_get(&m, keys[i], strlen(keys[i]), -1), 100 + i);
    /* overwrite keeps one entry */
    tp_strmap_put(&m, keys[3], strlen(keys[3]), -5);
    assert_int_equal(tp_strmap_get(&m, keys[3], strlen(keys[3]), 0), -5);
    assert_int_equal(m.n, 9);
    tp_strmap_free(&m);
    assert_int_equal(m.cap, 0);
    assert_int_equal(tp_strmap_get(&m, "c0", 2, -1), -1); /* a freed map is empty */
}

static void test_strmap_keys(void **state) {
    (void)state;
    /* copied keys: NUL-terminated copies, independent of the caller's bytes */
    TpStrMap m = {0};
    assert_int_equal(tp_strmap_slot(&m, "x", 1, false), -1);
    assert_int_equal(m.cap, 0); /* a lookup does not allocate */
    char buf[8] = "abcdef";
    long s = tp_strmap_slot(&m, buf, 3, true);
    assert_int_equal(m.cap, 1024);
    assert_ptr_not_equal(m.keys[s], buf);
    assert_string_equal(m.keys[s], "abc");
    assert_int_equal(m.vals[s], 0);
    m.vals[s]++;
    memcpy(buf, "xyz", 3);
    assert_int_equal(tp_strmap_get(&m, "abc", 3, -1), 1);
    /* lengths count: "ab", "ab\0" and "abc" are three keys */
    tp_strmap_put(&m, "ab", 2, 2);
    tp_strmap_put(&m, "ab\0", 3, 3);
    assert_int_equal(tp_strmap_get(&m, "ab", 2, -1), 2);
    assert_int_equal(tp_strmap_get(&m, "ab\0", 3, -1), 3);
    assert_int_equal(tp_strmap_get(&m, "abc", 3, -1), 1);
    assert_int_equal(tp_strmap_get(&m, "", 0, -1), -1);
    tp_strmap_put(&m, "", 0, 9); /* the empty key is a key */
    assert_int_equal(tp_strmap_get(&m, "", 0, -1), 9);
    assert_int_equal(m.n, 4);
    tp_strmap_free(&m);

    /* borrowed keys: the caller's pointers are kept */
    const char *text = "alpha beta";
    tp_strmap_init(&m, 2, true);
    tp_strmap_put(&m, text, 5, 1);
    tp_strmap_put(&m, text + 6, 4, 2);
    long a = tp_strmap_slot(&m, "alpha", 5, false);
    assert_ptr_equal(m.keys[a], text);
    assert_int_equal(m.lens[a], 5);
    assert_int_equal(tp_strmap_get(&m, "beta", 4, -1), 2);
    tp_strmap_free(&m);
}

typedef struct Pair {
    uint64_t key;
    int64_t val; /* the insertion's number */
} Pair;

static int by_key_then_val(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->val > y->val) - (x->val < y->val);
}

/* 200,000 insertions of keys drawn from 100,000 values (so many repeat)
 * against a sorted array: the first insertion of a key adds it and its value
 * stays (no replace); the later ones add nothing. */
static void test_u64map_reference(void **state) {
    (void)state;
    enum { N = 200000, RANGE = 100000 };
    TpRng r;
    tp_rng_seed(&r, 42);
    Pair *ref = calloc(N, sizeof *ref);
    bool *added = calloc(N, sizeof *added);
    assert_non_null(ref);
    assert_non_null(added);
    TpU64Map m = {0};
    for (int i = 0; i < N; i++) {
        /* spread over the whole range of keys, 0 and UINT64_MAX among them */
        uint64_t k = tp_rng_next(&r) % RANGE;
        uint64_t key = k == 0 ? 0 : k == 1 ? UINT64_MAX : k * 0x9e3779b97f4a7c15ULL;
        ref[i] = (Pair){key, i};
        added[i] = tp_u64map_put(&m, key, i, false);
    }
    qsort(ref, N, sizeof *ref, by_key_then_val);
    size_t distinct = 0;
    for (int i = 0; i < N; i++) {
        bool first = i == 0 || ref[i].key != ref[i - 1].key;
        assert_int_equal(added[ref[i].val], first);
        if (!first)
            continue;
        distinct++;
        int64_t v = -1;
        assert_true(tp_u64map_get(&m, ref[i].key, &v));
        assert_int_equal(v, ref[i].val);
    }
    assert_int_equal(m.n, distinct);
    assert_true(m.n * 2 <= m.cap);
    assert_int_equal(m.cap & (m.cap - 1), 0);
    /* keys never inserted: multiples beyond the range */
    for (uint64_t k = RANGE; k < RANGE + 1000; k++)
        assert_false(tp_u64map_get(&m, k * 0x9e3779b97f4a7c15ULL, NULL));
    /* replace overwrites, without adding */
    assert_false(tp_u64map_put(&m, ref[0].key, -7, true));
    int64_t v;
    assert_true(tp_u64map_get(&m, ref[0].key, &v));
    assert_int_equal(v, -7);
    assert_int_equal(m.n, distinct);
    tp_u64map_free(&m);
    assert_false(tp_u64map_get(&m, 0, NULL));
    free(ref);
    free(added);
}

/* Many string keys against the same reference, and the order of the slots:
 * the same keys in the same order give the same table. */
static void test_strmap_many(void **state) {
    (void)state;
    enum { N = 50000 };
    TpStrMap a = {0}, b;
    tp_strmap_init(&b, 0, false);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            char k[24];
            snprintf(k, sizeof k, "key-%d", i * 7919 % N);
            long slot = tp_strmap_slot(&a, k, strlen(k), true);
            a.vals[slot] += i;
            if (round == 0)
                tp_strmap_put(&b, k, strlen(k), i);
        }
    assert_int_equal(a.n, N);
    assert_int_equal(b.n, N);
    for (int i = 0; i < N; i++) {
        char k[24];
        snprintf(k, sizeof k, "key-%d", i * 7919 % N);
        assert_int_equal(tp_strmap_get(&a, k, strlen(k), -1), 2L * i); /* i in each round */
        assert_int_equal(tp_strmap_get(&b, k, strlen(k), -1), i);
    }
    assert_int_equal(tp_strmap_get(&a, "key-50000", 9, -1), -1);
    TpStrMap c = {0};
    for (int i = 0; i < N; i++) {
        char k[24];
        snprintf(k, sizeof k, "key-%d", i * 7919 % N);
        tp_strmap_slot(&c, k, strlen(k), true);
    }
    assert_int_equal(c.cap, a.cap);
    for (size_t i = 0; i < a.cap; i++)
        assert_true((!a.keys[i] && !c.keys[i]) ||
                    (a.keys[i] && c.keys[i] && !strcmp(a.keys[i], c.keys[i])));
    tp_strmap_free(&a);
    tp_strmap_free(&b);
    tp_strmap_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),          cmocka_unit_test(test_strmap_collisions),
        cmocka_unit_test(test_strmap_keys),     cmocka_unit_test(test_u64map_reference),
        cmocka_unit_test(test_strmap_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
