/* rng.h - a small seeded generator (xoshiro256**, seeded by splitmix64).
 * Same seed, same sequence on every machine.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_RNG_H
#define TUNEPILOT_RNG_H

#include <stdint.h>

typedef struct TpRng {
    uint64_t s[4];
} TpRng;

void tp_rng_seed(TpRng *r, uint64_t seed);
uint64_t tp_rng_next(TpRng *r);
/* Uniform in [0, 1) with 53 random bits. */
double tp_rng_uniform(TpRng *r);

/* splitmix64 (Steele, Lea and Flood): advances *state by one step and returns
 * the next value of its stream; a small, well-mixed stream from one word. */
uint64_t tp_splitmix64(uint64_t *state);

#endif
