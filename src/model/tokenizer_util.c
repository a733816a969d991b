/* tokenizer_util.c - the tokenizer's merge table, Unicode white space and
 * the byte-level alphabet. */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

/* --- merges ----------------------------------------------------------------- */

/* The pair as one key, the rank and the merged id as one value. */
static uint64_t pair_key(int32_t a, int32_t b) {
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

void pairmap_put(TpU64Map *m, int32_t a, int32_t b, uint32_t rank, int32_t merged) {
    tp_u64map_put(m, pair_key(a, b), (int64_t)(((uint64_t)rank << 32) | (uint32_t)merged), true);
}

bool pairmap_get(const TpU64Map *m, int32_t a, int32_t b, uint32_t *rank, int32_t *merged) {
    int64_t v;
    if (!tp_u64map_get(m, pair_key(a, b), &v))
        return false;
    *rank = (uint32_t)((uint64_t)v >> 32);
    *merged = (int32_t)(uint32_t)v;
    return true;
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
