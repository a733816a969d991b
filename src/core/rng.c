/* xoshiro256** by Blackman and Vigna (https://prng.di.unimi.it/), state
 * filled from splitmix64 as its authors recommend. */
#include "tunepilot/rng.h"

#include <math.h>

uint64_t tp_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tp_rng_seed(TpRng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = tp_splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t tp_rng_next(TpRng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tp_rng_uniform(TpRng *r) {
    return (double)(tp_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t tp_rng_mask_chunk_seed(uint64_t seed, uint64_t chunk) {
    uint64_t x = seed ^ chunk * 0xd1b54a32d192ed03ULL;
    return tp_splitmix64(&x);
}

uint32_t tp_rng_mask_threshold(double p) {
    double t = ceil(p * 0x1.0p32);
    return t <= 0 ? 0 : t >= 0x1.0p32 - 1 ? UINT32_MAX : (uint32_t)t;
}

void tp_rng_mask(uint64_t seed, uint8_t *bits, size_t i0, size_t i1, uint32_t thr) {
    for (size_t c0 = i0; c0 < i1; c0 += TP_RNG_MASK_CHUNK) {
        TpRng r;
        tp_rng_seed(&r, tp_rng_mask_chunk_seed(seed, c0 / TP_RNG_MASK_CHUNK));
        uint64_t s0 = r.s[0], s1 = r.s[1], s2 = r.s[2], s3 = r.s[3];
        size_t c1 = i1 - c0 < TP_RNG_MASK_CHUNK ? i1 : c0 + TP_RNG_MASK_CHUNK;
        for (size_t i = c0; i < c1; i += 8) {
            unsigned byte = 0, m = c1 - i < 8 ? (unsigned)(c1 - i) : 8;
            for (unsigned k = 0; k < 8; k += 2) {
                uint64_t result = rotl(s1 * 5, 7) * 9, t = s1 << 17;
                s2 ^= s0;
                s3 ^= s1;
                s1 ^= s2;
                s0 ^= s3;
                s2 ^= t;
                s3 = rotl(s3, 45);
                byte |= (unsigned)((uint32_t)result >= thr) << k;
                byte |= (unsigned)((uint32_t)(result >> 32) >= thr) << (k + 1);
            }
            bits[i >> 3] = (uint8_t)(byte & ((1u << m) - 1));
        }
    }
}
