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

/* Masks made in parts, on any thread, and made again on demand (dropout's:
 * one seed a mask, not the mask, is what needs keeping). Element i belongs
 * to chunk c = i / TP_RNG_MASK_CHUNK, whose generator is
 * tp_rng_seed(tp_rng_mask_chunk_seed(seed, c)); the chunk's k-th draw
 * decides its elements 2k (the draw's low 32 bits) and 2k + 1 (its high 32
 * bits): 1 when that half is >= thr, so with probability 1 - thr / 2^32.
 * tp_rng_mask writes bits i0..i1-1 (bit i at bits[i / 8], bit i % 8; i0 a
 * multiple of TP_RNG_MASK_CHUNK; the bits past i1 in its last byte are 0). */
#define TP_RNG_MASK_CHUNK 8192
uint64_t tp_rng_mask_chunk_seed(uint64_t seed, uint64_t chunk);
void tp_rng_mask(uint64_t seed, uint8_t *bits, size_t i0, size_t i1, uint32_t thr);
/* thr for a probability p of 0 (the smallest p above which half a draw
 * can fall, ceil(p 2^32), capped at 2^32 - 1) */
uint32_t tp_rng_mask_threshold(double p);

/* splitmix64 (Steele, Lea and Flood): advances *state by one step and returns
 * the next value of its stream; a small, well-mixed stream from one word. */
uint64_t tp_splitmix64(uint64_t *state);

#endif
