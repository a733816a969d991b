/* hashmap.c - FNV-1a, a 64-bit mixer and two open-addressing maps (see
 * hashmap.h). */
#include "tunepilot/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/rng.h"

uint64_t tp_hash_bytes(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001B3ULL; /* the 64-bit FNV prime */
    }
    return h;
}

uint64_t tp_hash_mix64(uint64_t x) {
    return tp_splitmix64(&x);
}

/* The smallest power of two, at least 16, above twice expected: expected keys
 * fit without growing. */
static size_t cap_for(size_t expected) {
    size_t c = 16;
    while (c < expected * 2 + 1)
        c <<= 1;
    return c;
}

/* --- byte strings -> long ----------------------------------------------------- */

void tp_strmap_init(TpStrMap *m, size_t expected, bool borrow) {
    m->cap = cap_for(expected);
    m->n = 0;
    m->borrow = borrow;
    m->keys = tp_xcalloc(m->cap, sizeof *m->keys);
    m->lens = tp_xcalloc(m->cap, sizeof *m->lens);
    m->vals = tp_xcalloc(m->cap, sizeof *m->vals);
}

void tp_strmap_free(TpStrMap *m) {
    if (!m->borrow)
        for (size_t i = 0; i < m->cap; i++)
            free((char *)m->keys[i]);
    free(m->keys);
    free(m->lens);
    free(m->vals);
    bool borrow = m->borrow;
    memset(m, 0, sizeof *m);
    m->borrow = borrow;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t str_slot(const TpStrMap *m, const char *key, size_t n) {
    size_t mask = m->cap - 1, i = (size_t)tp_hash_bytes(TP_HASH_INIT, key, n) & mask;
    while (m->keys[i] && (m->lens[i] != n || memcmp(m->keys[i], key, n) != 0))
        i = (i + 1) & mask;
    return i;
}

/* Doubles the map (1024 slots for an empty one), keeping every entry. */
static void str_grow(TpStrMap *m) {
    TpStrMap g = {.borrow = m->borrow};
    g.cap = m->cap ? m->cap * 2 : 1024;
    g.n = m->n;
    g.keys = tp_xcalloc(g.cap, sizeof *g.keys);
    g.lens = tp_xcalloc(g.cap, sizeof *g.lens);
    g.vals = tp_xcalloc(g.cap, sizeof *g.vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = str_slot(&g, m->keys[i], m->lens[i]);
        g.keys[j] = m->keys[i];
        g.lens[j] = m->lens[i];
        g.vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->lens);
    free(m->vals);
    *m = g;
}

long tp_strmap_slot(TpStrMap *m, const char *key, size_t n, bool insert) {
    if (insert && (m->n + 1) * 2 > m->cap)
        str_grow(m);
    if (!m->cap)
        return -1;
    size_t i = str_slot(m, key, n);
    if (m->keys[i])
        return (long)i;
    if (!insert)
        return -1;
    if (m->borrow) {
        m->keys[i] = key;
    } else {
        char *copy = tp_xmalloc(n + 1);
        memcpy(copy, key, n);
        copy[n] = '\0';
        m->keys[i] = copy;
    }
    m->lens[i] = n;
    m->vals[i] = 0;
    m->n++;
    return (long)i;
}

void tp_strmap_put(TpStrMap *m, const char *key, size_t n, long val) {
    long slot = tp_strmap_slot(m, key, n, true); /* may grow the map: vals after */
    m->vals[slot] = val;
}

long tp_strmap_get(const TpStrMap *m, const char *key, size_t n, long absent) {
    if (!m->cap)
        return absent;
    size_t i = str_slot(m, key, n);
    return m->keys[i] ? m->vals[i] : absent;
}

/* --- uint64 -> int64 ---------------------------------------------------------- */

void tp_u64map_init(TpU64Map *m, size_t expected) {
    m->cap = cap_for(expected);
    m->n = 0;
    m->keys = tp_xcalloc(m->cap, sizeof *m->keys);
    m->vals = tp_xcalloc(m->cap, sizeof *m->vals);
    m->used = tp_xcalloc(m->cap, sizeof *m->used);
}

void tp_u64map_free(TpU64Map *m) {
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static size_t u64_slot(const TpU64Map *m, uint64_t key) {
    size_t mask = m->cap - 1, i = (size_t)tp_hash_mix64(key) & mask;
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

bool tp_u64map_put(TpU64Map *m, uint64_t key, int64_t val, bool replace) {
    if ((m->n + 1) * 2 > m->cap) {
        TpU64Map g;
        tp_u64map_init(&g, m->cap); /* at least twice the slots */
        for (size_t i = 0; i < m->cap; i++)
            if (m->used[i])
                tp_u64map_put(&g, m->keys[i], m->vals[i], false);
        tp_u64map_free(m);
        *m = g;
    }
    size_t i = u64_slot(m, key);
    bool added = !m->used[i];
    if (added || replace) {
        m->keys[i] = key;
        m->vals[i] = val;
    }
    if (added) {
        m->used[i] = 1;
        m->n++;
    }
    return added;
}

bool tp_u64map_get(const TpU64Map *m, uint64_t key, int64_t *val) {
    if (!m->cap)
        return false;
    size_t i = u64_slot(m, key);
    if (!m->used[i])
        return false;
    if (val)
        *val = m->vals[i];
    return true;
}
