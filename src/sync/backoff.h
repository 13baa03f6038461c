/*
 * backoff.h - retry delays and per-class retry policies.
 *
 * Delays use "full jitter": a uniform draw in [0, min(cap, base * 2^n)), so
 * many jobs failing together spread out instead of retrying in lock-step.
 * The policy table maps an error class (err.h) to base, cap and the number of
 * attempts before a job is dead-lettered. Pure functions: time and
 * randomness are parameters. See docs/internals/backoff.md.
 */
#ifndef S2P_BACKOFF_H
#define S2P_BACKOFF_H

#include "core/compat.h"
#include "core/err.h"
#include "core/rng.h"

/* Longest Retry-After we honour, in seconds. */
#define S2P_RETRY_AFTER_MAX 3600.0
/* Default transient attempt limit (the max_retries setting's default). */
#define S2P_DEFAULT_MAX_RETRIES 5

/* Full-jitter delay for the given attempt (0 = the first retry): uniform in
 * [0, min(cap, base * 2^attempt)). Negative attempts count as 0; huge
 * attempts cannot overflow (the window is simply cap). Returns 0 when base
 * or cap is not positive. rng must not be NULL. */
double s2p_backoff_delay(int attempt, double base, double cap,
    struct s2p_rng *rng);

struct s2p_retry_policy {
	double base;      /* seconds */
	double cap;       /* seconds */
	int max_attempts; /* failed attempts before dead-lettering; 0 = never */
};

/* The policy of an error class:
 *   TRANSIENT -> {5, 80, max_retries (<= 0 means the default 5)}
 *   NOTFOUND  -> {30, 600, 12}
 *   DOWN      -> {5, 60, 0}   never exhausts; the breaker pauses the queue
 *   PERMANENT -> {0, 0, 1}    dead-letter after the first failure
 * S2P_CLASS_NONE (not a failure) is given the PERMANENT policy. */
struct s2p_retry_policy s2p_retry_policy_for(enum s2p_err_class cls,
    int max_retries);

/* When a job that just failed may run again: now + max(delay, retry_after),
 * where delay = s2p_backoff_delay(attempt, p->base, p->cap) and attempt is the
 * number of failures before this one (0 for the first failure). retry_after
 * (a server's Retry-After, 0 if none) is a floor, clamped to [0, 3600]. */
double s2p_retry_not_before(const struct s2p_retry_policy *p, int attempt,
    double retry_after, double now, struct s2p_rng *rng);

/* 1 when a job that has now failed attempts_after_this_failure times (this
 * failure included) must be dead-lettered, else 0. Never 1 when
 * p->max_attempts is 0. */
int s2p_retry_exhausted(const struct s2p_retry_policy *p,
    int attempts_after_this_failure);

#endif
