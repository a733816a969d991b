/* rng.h - a small seeded generator (xoshiro256**, seeded by splitmix64).
 * Same seed, same sequence on every machine.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_RNG_H
#define TUNEPILOT_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct TpRng {
    uint64_t s[4];
} TpRng;

void tp_rng_seed(TpRng *r, uint64_t seed);
uint64_t tp_rng_next(TpRng *r);
/* Uniform in [0, 1) with 53 random bits. */
double tp_rng_uniform(TpRng *r);
/* Bit i of bits (n bits, least significant first in each byte; the bits
 * past n in the last byte are 0) is 1 exactly when the i-th next draw's top
 * 53 bits are >= thr: the same draws and decisions as a loop over
 * tp_rng_next, with the state kept in registers (a dropout mask: keep with
 * probability 1 - p when thr = ceil(p 2^53)). */
void tp_rng_bits_at_least(TpRng *r, uint8_t *bits, size_t n, uint64_t thr);

/* splitmix64 (Steele, Lea and Flood): advances *state by one step and returns
 * the next value of its stream; a small, well-mixed stream from one word. */
uint64_t tp_splitmix64(uint64_t *state);

#endif
