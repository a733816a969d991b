/* xoshiro256** by Blackman and Vigna (https://prng.di.unimi.it/), state
 * filled from splitmix64 as its authors recommend. */
#include "tunepilot/rng.h"

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

void tp_rng_bits_at_least(TpRng *r, uint8_t *bits, size_t n, uint64_t thr) {
    uint64_t s0 = r->s[0], s1 = r->s[1], s2 = r->s[2], s3 = r->s[3];
    for (size_t i = 0; i < n; i += 8) {
        unsigned byte = 0, m = n - i < 8 ? (unsigned)(n - i) : 8;
        for (unsigned k = 0; k < m; k++) {
            uint64_t result = rotl(s1 * 5, 7) * 9, t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = rotl(s3, 45);
            byte |= (unsigned)(result >> 11 >= thr) << k;
        }
        bits[i >> 3] = (uint8_t)byte;
    }
    r->s[0] = s0, r->s[1] = s1, r->s[2] = s2, r->s[3] = s3;
}
