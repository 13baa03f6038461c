/*
 * rng.c - xorshift64* (see rng.h).
 */
#include "rng.h"

void
s2p_rng_seed(struct s2p_rng *r, uint64_t seed)
{
	/* splitmix64 step so that small seeds give well-mixed states */
	seed += 0x9E3779B97F4A7C15ULL;
	seed = (seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9ULL;
	seed = (seed ^ (seed >> 27)) * 0x94D049BB133111EBULL;
	seed ^= seed >> 31;
	r->s = seed ? seed : 1;
}

uint64_t
s2p_rng_next(struct s2p_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

double
s2p_rng_uniform(struct s2p_rng *r)
{
	return (double)(s2p_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
