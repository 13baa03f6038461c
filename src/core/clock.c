/*
 * clock.c - system and manual clocks (see clock.h).
 */
#include "clock.h"

#include <errno.h>
#include <time.h>

static double
sys_now(void *payload)
{
	struct timespec ts;

	(void)payload;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sys_sleep(void *payload, double secs)
{
	struct timespec ts;

	(void)payload;
	if (!(secs > 0))
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const struct s2p_clock system_clock = {sys_now, sys_sleep, NULL};

const struct s2p_clock *
s2p_clock_system(void)
{
	return &system_clock;
}

double
s2p_clock_now(const struct s2p_clock *c)
{
	return c->now(c->payload);
}

void
s2p_clock_sleep(const struct s2p_clock *c, double secs)
{
	c->sleep(c->payload, secs);
}

double
s2p_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
s2p_format_local(double t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	if (strftime(buf, len, fmt, &tm) == 0 && len > 0)
		buf[0] = '\0';
}

static double
manual_now(void *payload)
{
	return ((struct s2p_manual_clock *)payload)->t;
}

static void
manual_sleep(void *payload, double secs)
{
	if (secs > 0)
		((struct s2p_manual_clock *)payload)->t += secs;
}

void
s2p_manual_clock_init(struct s2p_manual_clock *m, double start)
{
	m->clock.now = manual_now;
	m->clock.sleep = manual_sleep;
	m->clock.payload = m;
	m->t = start;
}
