/*
 * probe.h - when to run the active health probe (GET /identity) while the
 * circuit breaker is OPEN.
 *
 * The first probe comes S2P_PROBE_BASE (5 s) after the breaker opened; after
 * each failed probe the gap doubles up to S2P_PROBE_CAP: 5, 10, 20, 40, 60,
 * 60, ... seconds. Jitter may only shorten a gap, by at most 20 %, so probes
 * from several workers drift apart without ever exceeding the schedule. A
 * healthy probe resets the gap to 5 s. Probes are informational: they never
 * write breaker state (the breaker's own timeout drives HALF_OPEN, and trial
 * jobs close it). Pure: time and randomness are parameters.
 */
#ifndef S2P_PROBE_H
#define S2P_PROBE_H

#include <stddef.h>

#include "core/rng.h"

#define S2P_PROBE_BASE 5.0
#define S2P_PROBE_CAP 60.0
#define S2P_PROBE_JITTER 0.2 /* largest fraction a gap may be shortened */

struct s2p_probe_sched {
	double interval; /* gap from `last` to the next probe, seconds */
	int failures;    /* consecutive failed probes */
	double last;     /* epoch seconds of the last probe (or of start) */
};

/* interval 5, failures 0, last 0: the first probe is due at once (a process
 * that finds the breaker already OPEN probes immediately). */
void s2p_probe_init(struct s2p_probe_sched *s);
/* The breaker was just seen to open at now: first probe at now + 5 s. */
void s2p_probe_start(struct s2p_probe_sched *s, double now);
/* The breaker closed: back to the init state for the next outage. */
void s2p_probe_reset(struct s2p_probe_sched *s);

/* 1 when a probe is due at now (now >= last + interval), else 0. A clock
 * that went back before `last` makes it due rather than stuck. */
int s2p_probe_due(const struct s2p_probe_sched *s, double now);
/* Seconds until the next probe is due (0 when due). */
double s2p_probe_next_in(const struct s2p_probe_sched *s, double now);

/* Record a probe made at now. Healthy: interval 5, failures 0. Unhealthy:
 * failures += 1 and interval = nominal * (1 - 0.2 * u), u uniform in [0, 1),
 * nominal = min(60, 5 * 2^failures). rng must not be NULL. */
void s2p_probe_record(struct s2p_probe_sched *s, int healthy, double now,
    struct s2p_rng *rng);
/* The un-jittered gap after the given number of consecutive failures:
 * 5 for 0, then 10, 20, 40, 60, 60, ... */
double s2p_probe_nominal(int failures);

/* Write "next check in 12.3s" (time left at now, one decimal) into buf.
 * Returns buf. */
char *s2p_probe_format_next(const struct s2p_probe_sched *s, double now,
    char *buf, size_t len);

#endif
