/*
 * clock.h - injectable time. Backoff, breaker, probes and rate limiting take a
 * struct s2p_clock so tests drive time by hand and never sleep. Times are
 * seconds since the Unix epoch as doubles.
 */
#ifndef S2P_CLOCK_H
#define S2P_CLOCK_H

#include <stddef.h>

struct s2p_clock {
	double (*now)(void *payload);
	/* Sleep up to secs; may return early. */
	void (*sleep)(void *payload, double secs);
	void *payload;
};

/* The real wall clock and nanosleep. Borrowed, never freed. */
const struct s2p_clock *s2p_clock_system(void);

double s2p_clock_now(const struct s2p_clock *c);
void s2p_clock_sleep(const struct s2p_clock *c, double secs);

/* Monotonic seconds, for measuring durations only. */
double s2p_monotonic(void);

/* Format epoch seconds t in the local time zone with strftime's fmt. */
void s2p_format_local(double t, const char *fmt, char *buf, size_t len);

/* A manual clock for tests: now() returns *payload, sleep() advances it. */
struct s2p_manual_clock {
	struct s2p_clock clock;
	double t;
};
void s2p_manual_clock_init(struct s2p_manual_clock *m, double start);

#endif
