/*
 * backoff.c - full-jitter delays and the per-class retry table (see
 * backoff.h and docs/internals/backoff.md).
 */
#include "backoff.h"

#include <assert.h>
#include <stddef.h>

double
s2p_backoff_delay(int attempt, double base, double cap, struct s2p_rng *rng)
{
	double window;
	int i;

	assert(rng != NULL);
	if (!(base > 0) || !(cap > 0))
		return 0.0;
	if (attempt < 0)
		attempt = 0;
	/* Double until the cap is reached: the loop stops after at most a few
	 * thousand steps whatever the attempt count, and never overflows. */
	window = base;
	for (i = 0; i < attempt && window < cap; i++)
		window *= 2.0;
	if (window > cap)
		window = cap;
	return window * s2p_rng_uniform(rng);
}

struct s2p_retry_policy
s2p_retry_policy_for(enum s2p_err_class cls, int max_retries)
{
	struct s2p_retry_policy p = {0.0, 0.0, 1};

	switch (cls) {
	case S2P_CLASS_TRANSIENT:
		p.base = 5.0;
		p.cap = 80.0;
		p.max_attempts = max_retries > 0 ? max_retries
						 : S2P_DEFAULT_MAX_RETRIES;
		break;
	case S2P_CLASS_NOTFOUND:
		p.base = 30.0;
		p.cap = 600.0;
		p.max_attempts = 12;
		break;
	case S2P_CLASS_DOWN:
		p.base = 5.0;
		p.cap = 60.0;
		p.max_attempts = 0;
		break;
	case S2P_CLASS_PERMANENT:
	case S2P_CLASS_NONE:
		break;
	}
	return p;
}

double
s2p_retry_not_before(const struct s2p_retry_policy *p, int attempt,
    double retry_after, double now, struct s2p_rng *rng)
{
	double delay = s2p_backoff_delay(attempt, p->base, p->cap, rng);

	if (!(retry_after > 0)) /* also rejects NaN */
		retry_after = 0.0;
	if (retry_after > S2P_RETRY_AFTER_MAX)
		retry_after = S2P_RETRY_AFTER_MAX;
	return now + (retry_after > delay ? retry_after : delay);
}

int
s2p_retry_exhausted(const struct s2p_retry_policy *p,
    int attempts_after_this_failure)
{
	if (p->max_attempts <= 0)
		return 0;
	return attempts_after_this_failure >= p->max_attempts;
}
