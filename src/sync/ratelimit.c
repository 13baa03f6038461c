/*
 * ratelimit.c - the recovery token bucket, its error window and the
 * persisted period start (see ratelimit.h).
 */
#include "ratelimit.h"

#include <string.h>

#include <jansson.h>

#include "sync/statefile.h"

/* A token this close to whole counts as whole: refills computed from epoch
 * doubles lose a few microseconds, and a loop that waits exactly the
 * returned time must then be admitted, not told to wait 1e-9 s. */
#define TOKEN_SLACK 1e-4
/* Shortest wait ever returned; smaller steps vanish when added to an epoch. */
#define MIN_WAIT 1e-3

static const char recovery_key[] = "recovery_started_at";

void
s2p_ratelimit_init(struct s2p_ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->multiplier = 1.0;
}

void
s2p_ratelimit_start(struct s2p_ratelimit *rl, double started_at)
{
	s2p_ratelimit_init(rl);
	if (!(started_at > 0))
		return;
	rl->started_at = started_at;
	rl->tokens = 1.0;
	rl->last_refill = started_at;
}

void
s2p_ratelimit_stop(struct s2p_ratelimit *rl)
{
	s2p_ratelimit_init(rl);
}

/* Seconds into the period; a clock that went back counts as 0. */
static double
elapsed(const struct s2p_ratelimit *rl, double now)
{
	return now > rl->started_at ? now - rl->started_at : 0.0;
}

int
s2p_ratelimit_active(const struct s2p_ratelimit *rl, double now)
{
	return rl->started_at > 0 && elapsed(rl, now) < S2P_RECOVERY_PERIOD;
}

int
s2p_ratelimit_check_end(struct s2p_ratelimit *rl, double now)
{
	if (!(rl->started_at > 0) || s2p_ratelimit_active(rl, now))
		return 0;
	s2p_ratelimit_stop(rl);
	return 1;
}

double
s2p_ratelimit_rate(const struct s2p_ratelimit *rl, double now)
{
	if (!s2p_ratelimit_active(rl, now))
		return 0.0;
	return (S2P_RECOVERY_RATE_START +
		   (S2P_RECOVERY_RATE_END - S2P_RECOVERY_RATE_START) *
		       elapsed(rl, now) / S2P_RECOVERY_PERIOD) *
	    rl->multiplier;
}

double
s2p_ratelimit_wait(struct s2p_ratelimit *rl, double now)
{
	double rate, w;

	if (!(rl->started_at > 0) || !s2p_ratelimit_active(rl, now))
		return 0.0;
	rate = s2p_ratelimit_rate(rl, now);
	if (now > rl->last_refill) {
		rl->tokens += (now - rl->last_refill) * rate;
		if (rl->tokens > 1.0)
			rl->tokens = 1.0;
	}
	rl->last_refill = now;
	if (rl->tokens >= 1.0 - TOKEN_SLACK) {
		rl->tokens -= 1.0;
		if (rl->tokens < 0)
			rl->tokens = 0.0;
		return 0.0;
	}
	w = (1.0 - rl->tokens) / rate;
	return w > MIN_WAIT ? w : MIN_WAIT;
}

static long long
second_of(double now)
{
	return now > 0 ? (long long)now : 0;
}

double
s2p_ratelimit_error_rate(const struct s2p_ratelimit *rl, double now,
    int *samples)
{
	long long cur = second_of(now);
	int ok = 0, failed = 0;
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(rl->win); i++) {
		const struct s2p_ratelimit_bucket *bk = &rl->win[i];

		if (bk->sec > cur - S2P_RECOVERY_WINDOW && bk->sec <= cur) {
			ok += bk->ok;
			failed += bk->failed;
		}
	}
	if (samples != NULL)
		*samples = ok + failed;
	return ok + failed > 0 ? (double)failed / (ok + failed) : 0.0;
}

enum s2p_ratelimit_event
s2p_ratelimit_record(struct s2p_ratelimit *rl, int ok, double now)
{
	long long sec = second_of(now);
	struct s2p_ratelimit_bucket *bk;
	double rate;
	int n;

	if (!s2p_ratelimit_active(rl, now))
		return S2P_RATELIMIT_NONE;
	bk = &rl->win[sec % S2P_RECOVERY_WINDOW];
	if (bk->sec != sec) {
		bk->sec = sec;
		bk->ok = 0;
		bk->failed = 0;
	}
	if (ok)
		bk->ok++;
	else
		bk->failed++;
	rate = s2p_ratelimit_error_rate(rl, now, &n);
	if (rl->multiplier >= 1.0 && n >= S2P_RECOVERY_MIN_SAMPLES &&
	    rate > S2P_RECOVERY_SLOW_ABOVE) {
		rl->multiplier = 0.5;
		rl->slow_until = now + S2P_RECOVERY_SLOW_FOR;
		return S2P_RATELIMIT_SLOWED;
	}
	if (rl->multiplier < 1.0 && now >= rl->slow_until &&
	    rate < S2P_RECOVERY_RESTORE_BELOW) {
		rl->multiplier = 1.0;
		return S2P_RATELIMIT_RESTORED;
	}
	return S2P_RATELIMIT_NONE;
}

/* s2p_statefile_fn: set the key, keeping the file's other keys (a corrupt
 * file or one that is not an object is replaced). */
static json_t *
save_fn(const json_t *doc, int read_rc, const char *why, void *arg)
{
	const double *started_at = arg;
	json_t *next = read_rc == S2P_OK && json_is_object(doc)
	    ? json_deep_copy(doc)
	    : json_object();

	(void)why;
	json_object_set_new(next, recovery_key,
	    json_real(*started_at > 0 ? *started_at : 0.0));
	return next;
}

int
s2p_ratelimit_save(const char *path, double started_at, struct s2p_error *err)
{
	return s2p_statefile_update(path, save_fn, &started_at, err);
}

int
s2p_ratelimit_load(const char *path, double *started_at_out,
    struct s2p_error *err)
{
	json_t *doc = NULL;
	const json_t *v;
	int rc = s2p_statefile_read(path, &doc, err);

	*started_at_out = 0.0;
	if (rc == S2P_ENOTFOUND) {
		rc = S2P_OK;
		goto out;
	}
	if (rc != S2P_OK)
		goto out;
	if (!json_is_object(doc)) {
		rc = s2p_error_set(err, S2P_EPARSE, "%s: not a JSON object",
		    path);
		goto out;
	}
	v = json_object_get(doc, recovery_key);
	if (v == NULL || json_is_null(v))
		goto out;
	if (!json_is_number(v)) {
		rc = s2p_error_set(err, S2P_EPARSE, "%s: %s is not a number",
		    path, recovery_key);
		goto out;
	}
	if (json_number_value(v) > 0)
		*started_at_out = json_number_value(v);
out:
	json_decref(doc);
	return rc;
}
