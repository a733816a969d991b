/* tokenizer_util.c - the tokenizer's hash maps, UTF-8 helpers and the
 * byte-level alphabet. */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

/* --- hash maps -------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static size_t pow2_at_least(size_t n) {
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

void strmap_init(StrMap *m, size_t expected) {
    m->cap = pow2_at_least(expected * 2 + 1);
    m->n = 0;
    m->keys = tp_xcalloc(m->cap, sizeof *m->keys);
    m->lens = tp_xcalloc(m->cap, sizeof *m->lens);
    m->vals = tp_xcalloc(m->cap, sizeof *m->vals);
}

void strmap_free(StrMap *m) {
    free(m->keys);
    free(m->lens);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static void strmap_grow(StrMap *m) {
    StrMap g;
    strmap_init(&g, m->cap); /* doubles */
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            strmap_put(&g, m->keys[i], m->lens[i], m->vals[i]);
    strmap_free(m);
    *m = g;
}

void strmap_put(StrMap *m, const char *key, size_t len, int32_t val) {
    if ((m->n + 1) * 2 > m->cap)
        strmap_grow(m);
    size_t mask = m->cap - 1, i = (size_t)hash_bytes(key, len) & mask;
    while (m->keys[i]) {
        if (m->lens[i] == len && memcmp(m->keys[i], key, len) == 0) {
            m->vals[i] = val;
            return;
        }
        i = (i + 1) & mask;
    }
    m->keys[i] = key;
    m->lens[i] = (uint32_t)len;
    m->vals[i] = val;
    m->n++;
}

int32_t strmap_get(const StrMap *m, const char *key, size_t len) {
    if (!m->cap)
        return -1;
    size_t mask = m->cap - 1, i = (size_t)hash_bytes(key, len) & mask;
    while (m->keys[i]) {
        if (m->lens[i] == len && memcmp(m->keys[i], key, len) == 0)
            return m->vals[i];
        i = (i + 1) & mask;
    }
    return -1;
}

static uint64_t hash_pair(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

void pairmap_init(PairMap *m, size_t expected) {
    m->cap = pow2_at_least(expected * 2 + 1);
    m->n = 0;
    m->keys = tp_xmalloc(m->cap * sizeof *m->keys);
    memset(m->keys, 0xff, m->cap * sizeof *m->keys);
    m->ranks = tp_xcalloc(m->cap, sizeof *m->ranks);
    m->merged = tp_xcalloc(m->cap, sizeof *m->merged);
}

void pairmap_free(PairMap *m) {
    free(m->keys);
    free(m->ranks);
    free(m->merged);
    memset(m, 0, sizeof *m);
}

void pairmap_put(PairMap *m, int32_t a, int32_t b, uint32_t rank, int32_t merged) {
    if ((m->n + 1) * 2 > m->cap) {
        PairMap g;
        pairmap_init(&g, m->cap);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] != UINT64_MAX)
                pairmap_put(&g, (int32_t)(m->keys[i] >> 32), (int32_t)(m->keys[i] & 0xffffffffu),
                            m->ranks[i], m->merged[i]);
        pairmap_free(m);
        *m = g;
    }
    uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t mask = m->cap - 1, i = (size_t)hash_pair(k) & mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != k)
        i = (i + 1) & mask;
    if (m->keys[i] == UINT64_MAX)
        m->n++;
    m->keys[i] = k;
    m->ranks[i] = rank;
    m->merged[i] = merged;
}

bool pairmap_get(const PairMap *m, int32_t a, int32_t b, uint32_t *rank, int32_t *merged) {
    if (!m->cap)
        return false;
    uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t mask = m->cap - 1, i = (size_t)hash_pair(k) & mask;
    while (m->keys[i] != UINT64_MAX) {
        if (m->keys[i] == k) {
            *rank = m->ranks[i];
            *merged = m->merged[i];
            return true;
        }
        i = (i + 1) & mask;
    }
    return false;
}

/* --- Unicode ---------------------------------------------------------------- */

bool uni_is_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* --- byte-level alphabet ---------------------------------------------------- */

/* Printable bytes map to themselves; the other 68 map to 256, 257, ... in
 * byte order (pre_tokenizers/byte_level.rs bytes_char). */
#define BL_SELF(b) (((b) >= 0x21 && (b) <= 0x7e) || ((b) >= 0xa1 && (b) <= 0xac) || (b) >= 0xae)

const uint16_t tk_byte_to_cp[256] = {
    256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 272, 273, 274,
    275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287, 288, 33,  34,  35,  36,  37,
    38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  52,  53,  54,  55,  56,
    57,  58,  59,  60,  61,  62,  63,  64,  65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,
    76,  77,  78,  79,  80,  81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,
    95,  96,  97,  98,  99,  100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113,
    114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 289, 290, 291, 292, 293, 294,
    295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313,
    314, 315, 316, 317, 318, 319, 320, 321, 322, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170,
    171, 172, 323, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
    190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208,
    209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227,
    228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255,
};

int tk_cp_to_byte(uint32_t cp) {
    if (cp < 256)
        return BL_SELF(cp) ? (int)cp : -1;
    /* 256 + n for the n-th non-printable byte: 0x00..0x20, 0x7F, 0x80..0xA0, 0xAD */
    uint32_t n = cp - 256;
    if (n <= 0x20)
        return (int)n;
    if (n == 33)
        return 0x7f;
    if (n <= 66)
        return (int)(0x80 + (n - 34));
    if (n == 67)
        return 0xad;
    return -1;
}
