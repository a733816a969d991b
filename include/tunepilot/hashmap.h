/* hashmap.h - hashing and two open-addressing maps (linear probing, doubled
 * when an insertion would make them more than half full): byte strings to
 * long values (TpStrMap) and 64-bit keys to 64-bit values (TpU64Map).
 * Entries are never removed one by one; a map is freed whole.
 *
 * The order of the slots depends only on the keys inserted and their order,
 * so walking keys[0..cap) gives the same order on every machine.
 *
 * Ownership: a map owns its arrays; tp_*_free releases them and leaves an
 * empty map. A TpStrMap copies each key it inserts (NUL-terminated; freed
 * with the map), unless it was made with tp_strmap_init(..., borrow = true):
 * then it keeps the caller's pointers, which must outlive the map. A slot
 * index is valid until the next insertion (which may grow the map).
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_HASHMAP_H
#define TUNEPILOT_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a's offset basis: where tp_hash_bytes starts. */
#define TP_HASH_INIT 0xCBF29CE484222325ULL

/* FNV-1a (64-bit) over s[0..n), continuing from h (TP_HASH_INIT to start):
 * a hash of several fields is the hash of the first, continued. */
uint64_t tp_hash_bytes(uint64_t h, const char *s, size_t n);

/* A well-mixed 64-bit value of x (splitmix64's output for the state x). */
uint64_t tp_hash_mix64(uint64_t x);

/* --- byte strings -> long ----------------------------------------------------- */

typedef struct TpStrMap {
    const char **keys; /* cap slots; NULL where empty */
    size_t *lens;      /* each key's length in bytes */
    long *vals;        /* each slot's value (0 when inserted by tp_strmap_slot) */
    size_t cap, n;     /* cap: 0 or a power of two; n keys */
    bool borrow;       /* keys are the caller's bytes, not copies */
} TpStrMap; /* {0} is an empty map that copies its keys (1024 slots at the first insertion) */

/* An empty map with room for expected keys before it grows; borrow: keep the
 * caller's key pointers instead of copies. */
void tp_strmap_init(TpStrMap *m, size_t expected, bool borrow);
void tp_strmap_free(TpStrMap *m);

/* The slot of key (n bytes, not NUL-terminated), inserting it with value 0
 * when absent and insert is set; -1 when absent and not inserted. */
long tp_strmap_slot(TpStrMap *m, const char *key, size_t n, bool insert);
/* Sets key's value, inserting the key when absent. */
void tp_strmap_put(TpStrMap *m, const char *key, size_t n, long val);
/* key's value, or absent when the map does not hold key. */
long tp_strmap_get(const TpStrMap *m, const char *key, size_t n, long absent);

/* --- uint64 -> int64 ---------------------------------------------------------- */

typedef struct TpU64Map {
    uint64_t *keys;
    int64_t *vals;
    unsigned char *used; /* 1 where a slot holds a key (every key value is allowed) */
    size_t cap, n;
} TpU64Map; /* {0} is an empty map (16 slots at the first insertion) */

/* An empty map with room for expected keys before it grows. */
void tp_u64map_init(TpU64Map *m, size_t expected);
void tp_u64map_free(TpU64Map *m);

/* Sets key's value when key is absent, or when replace is set; true when key
 * was absent (and is now inserted). */
bool tp_u64map_put(TpU64Map *m, uint64_t key, int64_t val, bool replace);
/* True when m holds key; *val (when val is not NULL) gets its value. */
bool tp_u64map_get(const TpU64Map *m, uint64_t key, int64_t *val);

#endif
