/*
 * ratelimit.h - graduated recovery after an outage.
 *
 * For S2P_RECOVERY_PERIOD (300 s) after the breaker closes, jobs pass through
 * a token bucket of capacity 1 (no bursts) whose rate ramps linearly from 5
 * to 20 jobs/s: rate = (5 + 15 * elapsed / 300) * multiplier. Results are
 * watched over a 60 s window: an error rate above 30 % (with at least 5
 * results) halves the rate for 60 s; once that has passed, a rate below 10 %
 * restores it. Outside a recovery period every call returns at once.
 *
 * The period's start is persisted (recovery_state.json, key
 * "recovery_started_at") so a restarted worker resumes the ramp where it was.
 * Pure apart from that file: time is a parameter. See
 * docs/internals/backoff.md, "Graduated recovery".
 */
#ifndef S2P_RATELIMIT_H
#define S2P_RATELIMIT_H

#include "core/compat.h"
#include "core/datafiles.h"
#include "core/err.h"

#define S2P_RECOVERY_PERIOD 300.0
#define S2P_RECOVERY_RATE_START 5.0  /* jobs/s at the start of the ramp */
#define S2P_RECOVERY_RATE_END 20.0   /* jobs/s at its end */
#define S2P_RECOVERY_WINDOW 60       /* error window, seconds */
#define S2P_RECOVERY_MIN_SAMPLES 5   /* results needed before slowing down */
#define S2P_RECOVERY_SLOW_ABOVE 0.30 /* error rate that halves the rate */
#define S2P_RECOVERY_RESTORE_BELOW 0.10
#define S2P_RECOVERY_SLOW_FOR 60.0 /* shortest time the rate stays halved */

/* One second of results in the error window. */
struct s2p_ratelimit_bucket {
	long long sec; /* floor(epoch seconds) this bucket counts */
	int ok;
	int failed;
};

struct s2p_ratelimit {
	double started_at;  /* start of the recovery period, 0 = none */
	int end_reported;   /* s2p_ratelimit_check_end already returned 1 */
	double tokens;      /* 0..1 */
	double last_refill; /* epoch seconds */
	double multiplier;  /* 1.0, or 0.5 while slowed down */
	double slow_until;  /* earliest restore time while slowed down */
	struct s2p_ratelimit_bucket win[S2P_RECOVERY_WINDOW];
};

/* Not in recovery: every wait is 0. */
void s2p_ratelimit_init(struct s2p_ratelimit *rl);
/* Start (or resume) a recovery period that began at started_at; a full token
 * is available at once. started_at <= 0 is the same as init. */
void s2p_ratelimit_start(struct s2p_ratelimit *rl, double started_at);
/* Leave recovery now. */
void s2p_ratelimit_stop(struct s2p_ratelimit *rl);

/* 1 while a recovery period started and less than 300 s have passed. */
int s2p_ratelimit_active(const struct s2p_ratelimit *rl, double now);
/* 1 exactly once when a started period has run its course (the caller then
 * logs "Recovery period complete", and saves started_at 0); the limiter
 * leaves recovery. 0 otherwise. */
int s2p_ratelimit_check_end(struct s2p_ratelimit *rl, double now);
/* The current rate in jobs/s (0 when not in recovery). */
double s2p_ratelimit_rate(const struct s2p_ratelimit *rl, double now);

/* Ask to start one job at now. Returns 0 when it may start (a token was
 * consumed) or when not in recovery; else the seconds to wait before asking
 * again (nothing consumed). */
double s2p_ratelimit_wait(struct s2p_ratelimit *rl, double now);
/* What a recorded result changed, so the caller can log it. */
enum s2p_ratelimit_event {
	S2P_RATELIMIT_NONE,
	S2P_RATELIMIT_SLOWED,   /* error rate > 30 %: rate halved for 60 s */
	S2P_RATELIMIT_RESTORED, /* error rate < 10 % again: full rate */
};

/* Report a job result at now (ignored outside recovery). May halve or
 * restore the rate as described above. */
enum s2p_ratelimit_event s2p_ratelimit_record(struct s2p_ratelimit *rl, int ok,
    double now);
/* Error rate over the last 60 s and, in *samples (may be NULL), the number
 * of results it is based on. 0 with no samples. */
double s2p_ratelimit_error_rate(const struct s2p_ratelimit *rl, double now,
    int *samples);

/* Persist started_at (0 clears it) as "recovery_started_at" in the JSON
 * object at path, keeping any other keys; atomic, 0600, under the file's
 * lock. S2P_EIO on failure. A corrupt file is replaced. */
int s2p_ratelimit_save(const char *path, double started_at,
    struct s2p_error *err) S2P_NODISCARD;
/* Read the persisted started_at (0 when absent or the file is missing).
 * S2P_EPARSE for a corrupt file or a wrong type (*started_at_out 0). */
int s2p_ratelimit_load(const char *path, double *started_at_out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
