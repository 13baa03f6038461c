/*
 * probe.c - the active-probe schedule (see probe.h and
 * docs/internals/breaker.md, "Probes").
 */
#include "probe.h"

#include <assert.h>
#include <stdio.h>

void
s2p_probe_init(struct s2p_probe_sched *s)
{
	s->interval = S2P_PROBE_BASE;
	s->failures = 0;
	s->last = 0.0;
}

void
s2p_probe_start(struct s2p_probe_sched *s, double now)
{
	s2p_probe_init(s);
	s->last = now;
}

void
s2p_probe_reset(struct s2p_probe_sched *s)
{
	s2p_probe_init(s);
}

/* Both due and next_in compare against the same rounded sum, so a caller
 * that sleeps exactly next_in always finds the probe due. */
int
s2p_probe_due(const struct s2p_probe_sched *s, double now)
{
	return now < s->last || now >= s->last + s->interval;
}

double
s2p_probe_next_in(const struct s2p_probe_sched *s, double now)
{
	double left;

	if (s2p_probe_due(s, now))
		return 0.0;
	left = s->last + s->interval - now;
	return left > 0 ? left : 0.0;
}

double
s2p_probe_nominal(int failures)
{
	double gap = S2P_PROBE_BASE;
	int i;

	/* doubling stops at the cap, so any failure count is safe */
	for (i = 0; i < failures && gap < S2P_PROBE_CAP; i++)
		gap *= 2.0;
	return gap < S2P_PROBE_CAP ? gap : S2P_PROBE_CAP;
}

void
s2p_probe_record(struct s2p_probe_sched *s, int healthy, double now,
    struct s2p_rng *rng)
{
	assert(rng != NULL);
	s->last = now;
	if (healthy) {
		s->interval = S2P_PROBE_BASE;
		s->failures = 0;
		return;
	}
	if (s->failures < 1000000)
		s->failures++;
	s->interval = s2p_probe_nominal(s->failures) *
	    (1.0 - S2P_PROBE_JITTER * s2p_rng_uniform(rng));
}

char *
s2p_probe_format_next(const struct s2p_probe_sched *s, double now, char *buf,
    size_t len)
{
	if (len > 0)
		snprintf(buf, len, "next check in %.1fs",
		    s2p_probe_next_in(s, now));
	return buf;
}
