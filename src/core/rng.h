/*
 * rng.h - a small seeded generator (xorshift64*) for jitter. Tests seed it;
 * production seeds it from the clock and pid. Not for anything secret.
 */
#ifndef S2P_RNG_H
#define S2P_RNG_H

#include <stdint.h>

struct s2p_rng {
	uint64_t s;
};

void s2p_rng_seed(struct s2p_rng *r, uint64_t seed);
uint64_t s2p_rng_next(struct s2p_rng *r);
/* Uniform double in [0, 1). */
double s2p_rng_uniform(struct s2p_rng *r);

#endif
