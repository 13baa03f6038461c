/*
 * worker.c - the queue-draining loop (see worker.h). Failure handling is
 * decided here once: the error class (core/err.h) picks the retry policy
 * (sync/backoff.h), and only Plex-side server-down and transient failures
 * feed the circuit breaker. While the breaker is OPEN nothing is claimed;
 * the worker probes Plex on a backing-off schedule (sync/probe.h) purely to
 * report, and the breaker's own timeout lets one trial job through.
 */
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/testpause.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "store/metrics.h"
#include "store/queue.h"
#include "store/syncstate.h"
#include "sync/backoff.h"
#include "sync/breaker.h"
#include "sync/jobbatch.h"
#include "sync/outage.h"
#include "sync/probe.h"
#include "sync/ratelimit.h"
#include "sync/scan.h"
#include "sync/scenesync.h"

#define DEFAULT_LEASE 300.0
/* No retry is ever scheduled further ahead (Retry-After is capped). */
#define CLOCK_SKEW_AHEAD (S2P_RETRY_AFTER_MAX + 60.0)
#define IDLE_SLICE 0.5
#define MAX_LANES 8 /* plex_concurrency's upper bound */

struct run {
	struct s2p_ctx *ctx;
	const struct s2p_worker_opts *opts;
	struct s2p_worker_stats *st;
	struct s2p_matcher matcher;
	struct s2p_breaker breaker;
	struct s2p_probe_sched probe;
	struct s2p_ratelimit ramp;
	char *outage_path;
	char *recovery_path;
	double idle_since;
	double stash_pause; /* growing pause while Stash is unreachable */
	char fatal[256];    /* why the run had to stop */
	char *cookie_seen;  /* the newest handed-over session we know of */
	double progress_at; /* last progress report */
	struct s2p_metrics_acc metrics; /* this minute's measurements */
	struct s2p_jobbatch batch;      /* claimed jobs with their scenes */
	size_t batch_size;
	/* Lanes (plex_concurrency threads) share all of the above under mu,
	 * which a lane lets go of only while it waits for a Plex item
	 * request or sleeps. */
	pthread_mutex_t mu;
	pthread_cond_t job_done; /* a lane finished a job */
	int busy;                /* lanes running a job */
	int over;                /* a lane ended the run: the others stop */
	int over_fail;           /* ... with an error: over_code, over_err */
	int over_code;
	struct s2p_error over_err;
};

/* One lane of the worker: a thread with its own Plex connection for item
 * reads and writes (ctx is a copy of the run's with that client; the
 * matcher, the probe and everything else use the run's own, under mu). */
struct lane {
	struct run *r;
	struct s2p_ctx ctx;
	pthread_t thread;
};

static double
now_of(const struct run *r)
{
	return s2p_clock_now(r->ctx->clock);
}

/* Sleep without holding the run's lock (other lanes go on). */
static void
run_sleep(struct run *r, double secs)
{
	pthread_mutex_unlock(&r->mu);
	s2p_ctx_sleep(r->ctx, secs);
	pthread_mutex_lock(&r->mu);
}

static void
log_transition(struct run *r, enum s2p_breaker_transition tr, const char *why)
{
	struct s2p_queue_counts c;
	struct s2p_error e;
	double now = now_of(r);

	s2p_error_clear(&e);
	switch (tr) {
	case S2P_BREAKER_TR_OPENED:
	case S2P_BREAKER_TR_REOPENED:
		s2p_warn("Circuit breaker OPEN after %s%s%s; pausing the queue",
		    tr == S2P_BREAKER_TR_OPENED ? "5 consecutive Plex failures"
						: "a failed trial job",
		    why ? ": " : "", why ? why : "");
		/* A failed trial continues the outage and its probe backoff
		 * (5, 10, 20, 40, 60, 60 ...); only a healthy probe or the
		 * breaker closing resets it. */
		if (tr == S2P_BREAKER_TR_OPENED || r->probe.last == 0)
			s2p_probe_start(&r->probe, now);
		if (s2p_outage_start(r->outage_path, now, &e) != S2P_OK)
			s2p_errorf("outage history: %s", e.msg);
		break;
	case S2P_BREAKER_TR_HALF_OPENED:
		s2p_info("Circuit breaker HALF_OPEN: letting one job through "
			 "to test Plex");
		break;
	case S2P_BREAKER_TR_CLOSED:
		memset(&c, 0, sizeof(c));
		if (s2p_queue_counts(r->ctx->db, now, &c, NULL) != S2P_OK)
			c.pending = -1;
		s2p_info("Circuit breaker CLOSED: Plex recovered, %ld job(s) "
			 "waiting will drain now",
		    c.pending);
		s2p_probe_reset(&r->probe);
		if (s2p_outage_end(r->outage_path, now, c.pending, &e) !=
		    S2P_OK)
			s2p_errorf("outage history: %s", e.msg);
		s2p_ratelimit_start(&r->ramp, now);
		if (s2p_ratelimit_save(r->recovery_path, now, &e) != S2P_OK)
			s2p_errorf("recovery state: %s", e.msg);
		s2p_info("Recovery period started: throughput ramps from 5 to "
			 "20 jobs/s over 300 s");
		break;
	case S2P_BREAKER_TR_NONE:
		break;
	}
}

/* Feed one Plex-side outcome to the breaker. */
static void
breaker_record(struct run *r, int success, const char *why)
{
	enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
	struct s2p_error e;

	s2p_error_clear(&e);
	if (s2p_breaker_record(&r->breaker, success, now_of(r), &tr, &e) !=
	    S2P_OK)
		s2p_errorf("cannot save circuit breaker state: %s", e.msg);
	log_transition(r, tr, why);
}

/* While OPEN: probe Plex when the schedule says so (informational only) and
 * sleep a short slice. */
static void
while_open(struct run *r)
{
	double now = now_of(r);
	double wait;

	if (s2p_probe_due(&r->probe, now)) {
		struct s2p_plex_identity id;
		struct s2p_error e;
		int rc;

		s2p_error_clear(&e);
		rc = s2p_plex_identity(r->ctx->plex, S2P_PROBE_TIMEOUT_MS, &id,
		    &e);
		now = now_of(r);
		s2p_probe_record(&r->probe, rc == S2P_OK, now, &r->ctx->rng);
		if (rc != S2P_OK)
			s2p_metrics_note_probe_failure(&r->metrics);
		if (rc == S2P_OK) {
			s2p_info("Plex health check passed (%.0fms), recovery "
				 "possible",
			    id.latency_ms);
		} else {
			char next[64];

			s2p_debug("Plex health check failed (attempt #%d), %s "
				  "(%s)",
			    r->probe.failures,
			    s2p_probe_format_next(&r->probe, now, next,
				sizeof(next)),
			    e.msg);
		}
	}
	wait = s2p_probe_next_in(&r->probe, now);
	if (s2p_breaker_retry_in(&r->breaker, now) < wait)
		wait = s2p_breaker_retry_in(&r->breaker, now);
	if (wait > r->ctx->cfg.poll_interval)
		wait = r->ctx->cfg.poll_interval;
	run_sleep(r, wait > 0.01 ? wait : 0.01);
}

static void
progress(struct run *r)
{
	long left;

	/* Stash drops progress lines that come faster than it reads them,
	 * so count the queue at most twice a second, not after every job;
	 * and with the cheap count (100,000 rows are counted in
	 * milliseconds). */
	if ((!r->opts->progress && r->opts->on_progress == NULL) ||
	    now_of(r) - r->progress_at < 0.5)
		return;
	r->progress_at = now_of(r);
	if (s2p_queue_size(r->ctx->db, &left, NULL) != S2P_OK)
		return;
	if (r->opts->on_progress != NULL)
		r->opts->on_progress(r->opts->progress_arg, r->st->processed,
		    left);
	if (!r->opts->progress)
		return;
	s2p_log_progress((double)r->st->processed /
	    (double)(r->st->processed + left > 0 ? r->st->processed + left
						 : 1));
}

/* 1 when Stash answers a small query with a well-formed reply (so a reply
 * about one scene that could not be read is that scene's problem). */
static int
stash_answers(struct run *r)
{
	int64_t *ids = NULL;
	size_t n = 0;
	long count = 0;
	int rc = s2p_stash_scene_ids(r->ctx->stash, NULL, 1, 1, &ids, &n,
	    &count, NULL);

	free(ids);
	return rc == S2P_OK;
}

/* Stash answered 401. Without an API key that means our session expired
 * (it lasts max_session_age, an hour by default, unless a request renews
 * it; a long Plex outage leaves it unused). A later hook or task run may
 * have left a fresh one in the data directory: switch to it and return 1.
 * Otherwise say that the queue is paused, set r->fatal, and return 0. */
static int
fresh_session(struct run *r)
{
	struct s2p_ctx *ctx = r->ctx;
	char *c;
	struct s2p_queue_counts n;

	if (ctx->cfg.stash_api_key != NULL && ctx->cfg.stash_api_key[0])
		return 0; /* the key itself was refused: not a session */
	c = s2p_ctx_saved_cookie(ctx);
	if (c != NULL &&
	    (r->cookie_seen == NULL || strcmp(c, r->cookie_seen) != 0)) {
		s2p_log_secret(c);
		s2p_stash_set_cookie(ctx->stash, c);
		free(r->cookie_seen);
		r->cookie_seen = c;
		s2p_info("Stash session expired; continuing with the fresh "
			 "session handed to the latest hook or task run");
		return 1;
	}
	free(c);
	memset(&n, 0, sizeof(n));
	(void)!s2p_queue_counts(ctx->db, now_of(r), &n, NULL);
	s2p_warn("Stash no longer accepts this worker's session (a session "
		 "lasts an hour after the hook or task that handed it over) "
		 "and no fresh one has arrived: the queue is paused with %ld "
		 "job(s) kept until the next hook or task run from Stash "
		 "brings one (or set stash_api_key)",
	    n.pending + n.running);
	snprintf(r->fatal, sizeof(r->fatal),
	    "queue paused: the Stash "
	    "session expired and no fresh one has arrived");
	return 0;
}

/* Give a job back untouched; a queue error is only logged. */
static void
release(struct run *r, const struct s2p_job *job)
{
	struct s2p_error qe;

	s2p_error_clear(&qe);
	if (s2p_queue_release(r->ctx->db, job->id, now_of(r), &qe) != S2P_OK)
		s2p_errorf("queue: %s", qe.msg);
}

/* A rejected credential or certificate, or Stash refusing our query
 * (another Stash version, a proxy's error page): every job would fail the
 * same way. Keep them all queued and stop, rather than dead-letter the
 * whole queue; never a breaker count, since waiting cannot fix a setting.
 * Returns the code that stops the run (r->fatal says why). */
static int
stop_run(struct run *r, const struct s2p_job *job, int rc,
    const struct s2p_error *e, int plex_side)
{
	s2p_errorf("%s: %s. The queue is kept; fix the cause and run "
		   "Process Queue.",
	    rc == S2P_ETLS ? "Cannot connect securely"
		: rc == S2P_EAUTH
		? (plex_side ? "Plex rejected our credentials"
			     : "Stash rejected our credentials")
		: "Stash rejected our request",
	    e->msg);
	snprintf(r->fatal, sizeof(r->fatal), "scene %lld: %.200s",
	    (long long)job->scene_id, e->msg);
	release(r, job);
	return rc == S2P_EAUTH || rc == S2P_ETLS ? rc : S2P_EPERM;
}

/* The local database failed mid-job (disk full, read-only, corrupt): stop
 * the run, giving the job back if the database still lets us. */
static int
stop_local(struct run *r, const struct s2p_job *job, int rc,
    const struct s2p_error *e)
{
	struct s2p_error qe;

	s2p_error_clear(&qe);
	snprintf(r->fatal, sizeof(r->fatal), "%s", e->msg);
	if (s2p_queue_release(r->ctx->db, job->id, now_of(r), &qe) != S2P_OK)
		s2p_debug("queue: %s", qe.msg);
	return rc;
}

/* Move the job to the dead letters with the scene's title and, for an
 * ambiguous match, the Plex candidates named in msg. */
static int
dead_letter(struct run *r, const struct s2p_job *job, const char *cname,
    const char *msg, struct s2p_error *qe)
{
	struct s2p_dead_detail d;
	char *cands = s2p_dead_candidates(msg);
	int rc;

	d.title = job->title;
	d.candidates = cands;
	rc = s2p_queue_dead_letter_detail(r->ctx->db, job->id, cname, msg, &d,
	    now_of(r), qe);
	free(cands);
	return rc;
}

/* Stash answers other queries, so the defect is in this scene's data:
 * fail this job alone (dead letter); the queue goes on. */
static void
bad_scene_data(struct run *r, const struct s2p_job *job, int rc,
    const struct s2p_error *e)
{
	struct s2p_error qe;

	s2p_error_clear(&qe);
	s2p_warn("Scene %lld moved to the dead-letter queue: its data from "
		 "Stash cannot be read: %s",
	    (long long)job->scene_id, e->msg);
	r->st->dead++;
	if (dead_letter(r, job, s2p_status_name(rc), e->msg, &qe) != S2P_OK)
		s2p_errorf("queue: %s", qe.msg);
}

/* Stash itself is unreachable (restarting): keep the job as it is and
 * pause the whole worker, 5 s doubling to 60 s, rather than cycle through
 * the queue. A foreground run stops here (S2P_EDOWN). */
static int
pause_for_stash(struct run *r, const struct s2p_job *job,
    const struct s2p_error *e)
{
	r->stash_pause = r->stash_pause > 0 ? r->stash_pause * 2 : 5;
	if (r->stash_pause > 60)
		r->stash_pause = 60;
	s2p_warn("Stash is unreachable (%s); pausing %.0fs", e->msg,
	    r->stash_pause);
	release(r, job);
	if (r->opts->until_idle)
		return S2P_EDOWN;
	run_sleep(r, r->stash_pause);
	return S2P_OK;
}

/* A new scene Plex does not know yet: ask Plex to scan its folder; the
 * not-found backoff then looks again. */
static void
scan_new_scene(struct run *r, const struct s2p_job *job)
{
	struct s2p_scene sc;
	struct s2p_error qe;

	s2p_error_clear(&qe);
	memset(&sc, 0, sizeof(sc));
	if (s2p_stash_find_scene(r->ctx->stash, job->scene_id, &sc, &qe) ==
		S2P_OK &&
	    s2p_scan_scene_folder(&r->matcher, &sc.files, &qe) != S2P_OK)
		s2p_warn("Plex scan request failed: %s", qe.msg);
	s2p_scene_free(&sc);
}

/* The failed job's queue outcome by its error class: skipped (not found,
 * skip_not_found on), dead-lettered (retries used up) or retried later. */
static void
requeue(struct run *r, const struct s2p_job *job, int rc,
    const struct s2p_error *e)
{
	struct s2p_ctx *ctx = r->ctx;
	enum s2p_err_class cls = s2p_status_class(rc);
	struct s2p_retry_policy pol = s2p_retry_policy_for(cls,
	    ctx->cfg.max_retries);
	const char *cname = s2p_status_name(rc);
	int attempts = job->attempts + (cls == S2P_CLASS_DOWN ? 0 : 1);
	double now = now_of(r), nb;
	struct s2p_error qe;
	int qrc;

	s2p_error_clear(&qe);
	if (cls == S2P_CLASS_NOTFOUND && ctx->cfg.skip_not_found) {
		s2p_info("Scene %lld skipped: %s (skip_not_found is on)",
		    (long long)job->scene_id, e->msg);
		r->st->skipped++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_SKIPPED);
		qrc = s2p_queue_ack(ctx->db, job->id, now, &qe);
	} else if (s2p_retry_exhausted(&pol, attempts)) {
		s2p_warn("Scene %lld moved to the dead-letter queue after %d "
			 "attempt(s): %s: %s",
		    (long long)job->scene_id, attempts, cname, e->msg);
		r->st->dead++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_DEAD);
		qrc = dead_letter(r, job, cname, e->msg, &qe);
	} else {
		nb = s2p_retry_not_before(&pol, job->attempts, e->retry_after,
		    now, &ctx->rng);
		s2p_log(cls == S2P_CLASS_DOWN ? S2P_LOG_DEBUG : S2P_LOG_WARN,
		    "Scene %lld: %s: %s; retry %d in %.0fs",
		    (long long)job->scene_id, cname, e->msg, attempts,
		    nb - now);
		r->st->retried++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_FAILED);
		qrc = s2p_queue_retry(ctx->db, job->id, nb,
		    cls == S2P_CLASS_DOWN ? 0 : 1, cname, e->msg, now, &qe);
	}
	if (qrc != S2P_OK)
		s2p_errorf("queue: %s", qe.msg);
}

/* Handle a failed job: retry later, dead-letter, or skip. plex_side: the
 * failure came from the Plex stage. Returns S2P_OK, or a code that must
 * stop the run: S2P_EDISK or S2P_ECORRUPT (stop_local), S2P_EAUTH,
 * S2P_ETLS or S2P_EPERM (stop_run) or S2P_EDOWN (Stash unreachable in a
 * foreground run, which ends with the jobs kept). */
static int
failed(struct run *r, const struct s2p_job *job, int rc,
    const struct s2p_error *e, int plex_side)
{
	enum s2p_err_class cls = s2p_status_class(rc);

	if (s2p_ctx_stopping(r->ctx)) {
		/* A stop signal cut the job short (s2p_http_set_abort): give
		 * it back untouched, no attempt and no breaker count. */
		release(r, job);
		return S2P_OK;
	}
	if (rc == S2P_EDISK || rc == S2P_ECORRUPT)
		return stop_local(r, job, rc, e);
	if (!plex_side && rc == S2P_EPARSE && stash_answers(r)) {
		bad_scene_data(r, job, rc, e);
		return S2P_OK;
	}
	/* A Plex reply that does not parse (a proxy's error page, a cut or
	 * garbled body) says nothing about the scene: retry it like a 5xx,
	 * and let the breaker count it, instead of dead-lettering every
	 * queued job at once. */
	if (plex_side && rc == S2P_EPARSE)
		rc = S2P_ETEMP;
	cls = s2p_status_class(rc);
	if (rc == S2P_EAUTH && !plex_side &&
	    !(r->ctx->cfg.stash_api_key != NULL &&
		r->ctx->cfg.stash_api_key[0])) {
		/* Our Stash session expired: go on with a fresh one, or
		 * pause the queue. */
		int again = fresh_session(r);

		release(r, job);
		return again ? S2P_OK : S2P_EAUTH;
	}
	if (rc == S2P_EAUTH || rc == S2P_ETLS ||
	    (!plex_side && cls == S2P_CLASS_PERMANENT))
		return stop_run(r, job, rc, e, plex_side);
	if (!plex_side && cls == S2P_CLASS_DOWN)
		return pause_for_stash(r, job, e);
	if (plex_side && (cls == S2P_CLASS_DOWN || cls == S2P_CLASS_TRANSIENT))
		breaker_record(r, 0, e->msg);
	if (cls == S2P_CLASS_NOTFOUND && job->attempts == 0 &&
	    job->reason == S2P_REASON_CREATE && r->ctx->cfg.trigger_plex_scan)
		scan_new_scene(r, job);
	requeue(r, job, rc, e);
	return S2P_OK;
}

/* Feed a job result to the recovery ramp and log rate changes. */
static void
ramp_record(struct run *r, int ok)
{
	switch (s2p_ratelimit_record(&r->ramp, ok, now_of(r))) {
	case S2P_RATELIMIT_SLOWED:
		s2p_warn("More than 30%% of jobs failed in the last minute: "
			 "halving the recovery rate for 60 s");
		break;
	case S2P_RATELIMIT_RESTORED:
		s2p_info("Error rate back under 10%%: full recovery rate");
		break;
	case S2P_RATELIMIT_NONE:
		break;
	}
}

/* During the recovery ramp, wait for a token. Returns 1 when the caller
 * should loop (it slept), 0 to go on and claim. */
static int
ramp_gate(struct run *r)
{
	double now = now_of(r), w;
	struct s2p_error e;

	if (s2p_ratelimit_check_end(&r->ramp, now)) {
		s2p_info("Recovery period complete: normal processing speed "
			 "resumed");
		s2p_error_clear(&e);
		if (s2p_ratelimit_save(r->recovery_path, 0, &e) != S2P_OK)
			s2p_errorf("recovery state: %s", e.msg);
		return 0;
	}
	w = s2p_ratelimit_wait(&r->ramp, now);
	if (w <= 0)
		return 0;
	run_sleep(r, w < IDLE_SLICE ? w : IDLE_SLICE);
	return 1;
}

/* A recorded save of a performer/studio/tag: compare its name in Stash
 * (*now_name, new) with the one last seen. 1 when it really changed (or
 * was never seen), 0 when not, -1 when Stash could not say (*e set;
 * S2P_ENOTFOUND: the object is gone). */
static int
name_changed(struct run *r, const char *kind, const char *id, char **now_name,
    struct s2p_error *e)
{
	char *seen = NULL;
	int rc, changed;

	rc = s2p_stash_object_name(r->ctx->stash, kind, id, now_name, e);
	if (rc != S2P_OK)
		return -1;
	rc = s2p_seen_name_get(r->ctx->db, kind, id, &seen, e);
	if (rc != S2P_OK && rc != S2P_ENOTFOUND)
		return -1;
	s2p_error_clear(e);
	changed = seen == NULL || strcmp(seen, *now_name) != 0;
	if (!changed)
		s2p_info("%s %s saved without a new name (\"%s\"): no scene "
			 "queued",
		    kind, id, *now_name);
	free(seen);
	return changed;
}

/* Expand one recorded save of a performer/studio/tag into jobs for the
 * scenes that carry it, when its name really changed. Returns 1 when it
 * did something, 0 when there was nothing to expand, -1 when the Stash
 * session expired with no fresh one (r->fatal says so; the record is
 * kept). */
static int
fanout(struct run *r)
{
	struct s2p_ctx *ctx = r->ctx;
	struct s2p_error e;
	char kind[16], id[64];
	char *name = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	long created = 0;
	int ch;

	s2p_error_clear(&e);
	if (s2p_fanout_take(ctx->db, kind, sizeof(kind), id, sizeof(id), &e) !=
	    S2P_OK)
		return 0;
	ch = name_changed(r, kind, id, &name, &e);
	if (ch == 0) {
		free(name);
		return 1;
	}
	if (ch < 0 && e.code == S2P_EAUTH) {
		free(name);
		if (s2p_fanout_add(ctx->db, kind, id, now_of(r), NULL) !=
		    S2P_OK)
			s2p_errorf("lost the rename of %s %s", kind, id);
		return fresh_session(r) ? 1 : -1;
	}
	if (ch < 0 && e.code == S2P_ENOTFOUND) {
		s2p_info("%s %s no longer exists in Stash: no scene queued",
		    kind, id);
		free(name);
		return 1;
	}
	if (ch < 0 ||
	    s2p_stash_scene_ids_by(ctx->stash, kind, id, &ids, &n, &e) !=
		S2P_OK ||
	    (n > 0 &&
		s2p_queue_enqueue_many(ctx->db, ids, n, S2P_REASON_FANOUT,
		    now_of(r), &created, &e) != S2P_OK) ||
	    s2p_seen_name_put(ctx->db, kind, id, name, &e) != S2P_OK) {
		s2p_warn("cannot re-queue the scenes of %s %s: %s; will retry",
		    kind, id, e.msg);
		if (s2p_fanout_add(ctx->db, kind, id, now_of(r), NULL) !=
		    S2P_OK)
			s2p_errorf("lost the rename of %s %s", kind, id);
		free(ids);
		free(name);
		run_sleep(r, 2.0);
		return 1;
	}
	s2p_info("%s %s was renamed to \"%s\": %zu scene(s) queued", kind, id,
	    name, n);
	free(ids);
	free(name);
	return 1;
}

/* Log a synced job and count it by outcome. */
static void
log_outcome(struct run *r, const struct s2p_job *job,
    const struct s2p_sync_result *res)
{
	char fields[256];
	size_t i;

	fields[0] = '\0';
	for (i = 0; i < res->changed.n; i++) {
		size_t l = strlen(fields);

		snprintf(fields + l, sizeof(fields) - l, "%s%.*s",
		    i ? ", " : "", (int)strcspn(res->changed.v[i], ":"),
		    res->changed.v[i]);
	}
	switch (res->outcome) {
	case S2P_SYNC_UPDATED:
		r->st->updated++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_SYNCED);
		s2p_info("Synced scene %lld \"%s\" to Plex item %s: %s",
		    (long long)job->scene_id, res->title, res->rating_key,
		    fields);
		break;
	case S2P_SYNC_UNCHANGED:
		r->st->unchanged++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_SYNCED);
		s2p_info("Scene %lld \"%s\" already matches Plex item %s",
		    (long long)job->scene_id, res->title, res->rating_key);
		break;
	case S2P_SYNC_GONE:
	case S2P_SYNC_SKIPPED:
		r->st->skipped++;
		s2p_metrics_note_outcome(&r->metrics, S2P_METRIC_SKIPPED);
		s2p_info("Scene %lld skipped: %s", (long long)job->scene_id,
		    res->note);
		break;
	}
}

/* Run one claimed job to its queue outcome; sc/have: its scene as the
 * batch read it (see s2p_jobbatch_next). Returns what failed() returns for
 * a failure, else S2P_OK. */
static int
one_job(struct run *r, struct lane *l, const struct s2p_job *job,
    const struct s2p_scene *sc, int have)
{
	struct s2p_sync_result res;
	struct s2p_error e;
	enum s2p_sync_mode mode;
	int rc;

	s2p_error_clear(&e);
	mode = job->reason == S2P_REASON_RECONCILE ? S2P_SYNC_VERIFY
						   : S2P_SYNC_NORMAL;
	rc = have ? s2p_sync_scene_with(&l->ctx, &r->matcher, job->scene_id, sc,
			mode, &res, &e)
		  : s2p_sync_scene(&l->ctx, &r->matcher, job->scene_id, mode,
			&res, &e);
	r->st->processed++;
	ramp_record(r,
	    rc == S2P_OK || !res.plex_reached ||
		s2p_status_class(rc) == S2P_CLASS_NOTFOUND ||
		s2p_status_class(rc) == S2P_CLASS_PERMANENT);
	if (rc != S2P_OK) {
		/* The title goes with the job (lanes run several at once). */
		struct s2p_job jt = *job;

		snprintf(jt.title, sizeof(jt.title), "%s", res.title);
		rc = failed(r, &jt, rc, &e, res.plex_reached);
		s2p_sync_result_free(&res);
		return rc;
	}
	r->stash_pause = 0;
	if (res.plex_reached)
		breaker_record(r, 1, NULL);
	log_outcome(r, job, &res);
	s2p_sync_result_free(&res);
	/* Acknowledged with the batch's other jobs, in one transaction
	 * (before the next claim, or when the batch goes back). */
	s2p_jobbatch_done(&r->batch, job->id);
	return S2P_OK;
}

/* Note how many jobs are left for the caller (a run that ends early);
 * jobs done but not acknowledged yet are acknowledged first. */
static void
count_waiting(struct run *r)
{
	struct s2p_queue_counts c;
	struct s2p_error e;

	s2p_error_clear(&e);
	if (s2p_jobbatch_flush(&r->batch, r->ctx->db, now_of(r), &e) != S2P_OK)
		s2p_debug("queue: %s", e.msg);
	if (s2p_queue_counts(r->ctx->db, now_of(r), &c, NULL) == S2P_OK)
		r->st->waiting = c.pending + c.running;
}

/* A pending job due further ahead than any retry delay means the clock
 * went back (an NTP step, a VM restored): make it due now rather than
 * leave it waiting for the clock to catch up. */
static long
unskew(struct run *r)
{
	struct s2p_error e;
	long n = 0;

	s2p_error_clear(&e);
	if (s2p_queue_unskew(r->ctx->db, now_of(r), CLOCK_SKEW_AHEAD, &n, &e) !=
	    S2P_OK)
		s2p_errorf("queue: %s", e.msg);
	else if (n > 0)
		s2p_warn("The clock went back: %ld job(s) were due more than "
			 "an hour from now; they are due now",
		    n);
	return n;
}

/* Nothing is due. Returns 1 when the run should end. */
static int
nothing_due(struct run *r)
{
	struct s2p_queue_counts c;
	double now = now_of(r), wait;

	if (s2p_queue_counts(r->ctx->db, now, &c, NULL) != S2P_OK)
		return 1;
	if (c.pending == 0 && c.running == 0 &&
	    s2p_fanout_pending(r->ctx->db) == 0) {
		if (r->opts->until_idle)
			return 1;
		if (r->idle_since == 0)
			r->idle_since = now;
		if (now - r->idle_since >= r->opts->idle_exit)
			return 1;
		run_sleep(r, IDLE_SLICE);
		return 0;
	}
	r->idle_since = 0;
	if (c.next_due > now + CLOCK_SKEW_AHEAD && unskew(r) > 0)
		return 0;
	if (r->opts->until_idle) {
		r->st->waiting = c.pending + c.running;
		return 1;
	}
	wait = c.next_due > now ? c.next_due - now : IDLE_SLICE;
	run_sleep(r, wait < IDLE_SLICE ? wait : IDLE_SLICE);
	return 0;
}

/* Pick up where an earlier process left off: an unfinished recovery ramp,
 * and no outage record left open while the breaker is closed. */
static void
resume_state(struct run *r)
{
	struct s2p_error e;
	double started = 0, now = now_of(r);
	int exists = 0, open;

	s2p_ratelimit_init(&r->ramp);
	s2p_error_clear(&e);
	if (s2p_ratelimit_load(r->recovery_path, &started, &e) == S2P_OK &&
	    started > 0 && now - started < S2P_RECOVERY_PERIOD) {
		s2p_ratelimit_start(&r->ramp, started);
		s2p_info("Resuming recovery rate limiting from an earlier run");
	}
	if (s2p_breaker_load(&r->breaker, &exists, &e) != S2P_OK)
		s2p_warn(
		    "circuit breaker state file is corrupt; treating it as "
		    "CLOSED");
	open = r->breaker.state != S2P_BREAKER_CLOSED;
	if (s2p_outage_reconcile(r->outage_path, open, r->breaker.changed_at,
		now, &e) != S2P_OK)
		s2p_errorf("outage history: %s", e.msg);
}

/* The Plex client's observer: count a request's latency (s2p_plex_observer). */
static void
note_request(void *arg, double ms)
{
	s2p_metrics_note_request(arg, ms);
}

/* Write the measurements of the minute that has passed (or, with force,
 * of the minute so far), with the queue depth and breaker state now. A
 * failure is logged once and the counts are kept for the next try. */
static void
metrics_tick(struct run *r, int force)
{
	struct s2p_queue_counts c;
	struct s2p_error e;
	double now = now_of(r);
	enum s2p_breaker_state bs;
	static const char *const names[] = {"closed", "open", "half_open"};

	if (!force && !s2p_metrics_due(&r->metrics, now))
		return;
	s2p_error_clear(&e);
	if (s2p_queue_counts(r->ctx->db, now, &c, &e) != S2P_OK)
		c.pending = c.running = 0;
	bs = s2p_breaker_effective_state(&r->breaker, now);
	if (s2p_metrics_flush(r->ctx->db, &r->metrics, now,
		c.pending + c.running, names[bs], &e) != S2P_OK)
		s2p_debug("metrics not recorded: %s", e.msg);
}

/* Open what a run needs: handles, the matcher, the state files' paths,
 * the state left by an earlier run, and the orphaned jobs. *opened is set
 * once the handles and the matcher are up (a corrupt database found after
 * that is moved aside). */
static int
run_open(struct run *r, int *opened, struct s2p_error *err)
{
	struct s2p_ctx *ctx = r->ctx;
	char *bpath;
	long orphans = 0;
	int rc;

	s2p_probe_init(&r->probe);
	s2p_metrics_acc_init(&r->metrics, now_of(r));
	r->cookie_seen = ctx->session_cookie != NULL
	    ? s2p_xstrdup(ctx->session_cookie)
	    : NULL;
	rc = s2p_ctx_connect(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_matcher_init(&r->matcher, ctx->db, ctx->plex,
		    &ctx->cfg, ctx->clock, err);
	if (rc != S2P_OK)
		return rc;
	*opened = 1;
	s2p_plex_set_observer(ctx->plex, note_request, &r->metrics);
	bpath = s2p_ctx_path(ctx, S2P_BREAKER_FILE);
	s2p_breaker_init(&r->breaker, bpath);
	free(bpath);
	r->outage_path = s2p_ctx_path(ctx, S2P_OUTAGE_FILE);
	r->recovery_path = s2p_ctx_path(ctx, S2P_RECOVERY_FILE);
	resume_state(r);
	rc = s2p_queue_recover_orphans(ctx->db, now_of(r), &orphans, err);
	if (rc == S2P_OK && orphans > 0)
		s2p_info("Resumed %ld job(s) left running by a stopped worker",
		    orphans);
	return rc;
}

/* Wait (without the lock) until another lane finishes a job, or a short
 * while. */
static void
lane_wait(struct run *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&r->job_done, &r->mu, &ts);
}

/* The next claimed job, from the batch in hand or a new one (claimed and
 * read from Stash at once). A batch held for half a lease goes back to the
 * queue first, so no lease runs out while its jobs wait their turn. */
static int
next_job(struct run *r, struct s2p_job *job, const struct s2p_scene **sc,
    int *have, struct s2p_error *e)
{
	double lease = r->opts->lease > 0 ? r->opts->lease : DEFAULT_LEASE;
	double now = now_of(r);
	int rc;

	if (!s2p_jobbatch_empty(&r->batch) &&
	    now - r->batch.claimed_at > lease / 2)
		s2p_jobbatch_release(&r->batch, r->ctx->db, now);
	if (s2p_jobbatch_empty(&r->batch)) {
		rc = s2p_jobbatch_fill(&r->batch, r->ctx->db, r->ctx->stash,
		    now, lease, r->batch_size, e);
		if (rc != S2P_OK)
			return rc;
	}
	s2p_jobbatch_next(&r->batch, job, sc, have);
	return S2P_OK;
}

/* What one turn of the run loop says to do next. */
enum turn {
	TURN_AGAIN, /* loop */
	TURN_END,   /* the run is over (idle, or a foreground run paused) */
	TURN_FAIL,  /* the run must stop with an error (r->fatal) */
};

/* One turn: notice changed settings, ask the breaker, pace by the recovery
 * ramp, expand a rename, or claim and run one job. For TURN_FAIL, *code
 * and err say why. */
static enum turn
turn(struct run *r, struct lane *l, int *code, struct s2p_error *err)
{
	enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
	struct s2p_job job;
	const struct s2p_scene *sc = NULL;
	struct s2p_error e;
	int allowed = 1, rc, have = 0;

	if (r->opts->settings_changed != NULL &&
	    r->opts->settings_changed(r->opts->settings_arg)) {
		r->st->reload = 1;
		return TURN_END;
	}
	metrics_tick(r, 0);
	s2p_error_clear(&e);
	if (s2p_breaker_allow(&r->breaker, now_of(r), &allowed, &tr, &e) !=
	    S2P_OK)
		s2p_errorf("circuit breaker state: %s", e.msg);
	log_transition(r, tr, NULL);
	if (!allowed) {
		/* Claimed jobs wait in the queue, not in our hands. */
		s2p_jobbatch_release(&r->batch, r->ctx->db, now_of(r));
		if (r->opts->until_idle) {
			count_waiting(r);
			return TURN_END;
		}
		while_open(r);
		return TURN_AGAIN;
	}
	if (tr == S2P_BREAKER_TR_NONE && r->busy > 0 &&
	    s2p_breaker_effective_state(&r->breaker, now_of(r)) ==
		S2P_BREAKER_HALF_OPEN) {
		/* One trial job at a time tests Plex. */
		lane_wait(r);
		return TURN_AGAIN;
	}
	if (ramp_gate(r))
		return TURN_AGAIN;
	/* Renames expand between batches: one look at the fanout table per
	 * batch, not per job. */
	rc = s2p_jobbatch_empty(&r->batch) ? fanout(r) : 0;
	if (rc < 0) { /* Stash session expired, queue paused */
		s2p_error_set(err, S2P_EAUTH, "%s", r->fatal);
		*code = S2P_EAUTH;
		return TURN_FAIL;
	}
	if (rc > 0)
		return TURN_AGAIN;
	rc = next_job(r, &job, &sc, &have, &e);
	if (rc == S2P_ENOTFOUND && r->busy > 0) {
		/* Other lanes still run jobs: whatever they leave (a retry,
		 * a dirty re-run) is seen once they are done. */
		lane_wait(r);
		return TURN_AGAIN;
	}
	if (rc == S2P_ENOTFOUND)
		return nothing_due(r) ? TURN_END : TURN_AGAIN;
	if (rc == S2P_EDISK || rc == S2P_ECORRUPT) {
		/* A full disk, a read-only or corrupt database: no retry
		 * helps. */
		if (err != NULL)
			*err = e;
		*code = rc;
		return TURN_FAIL;
	}
	if (rc != S2P_OK) {
		s2p_errorf("queue: %s", e.msg);
		run_sleep(r, 1.0);
		return TURN_AGAIN;
	}
	r->idle_since = 0;
	r->busy++;
	s2p_test_pause("claim");
	rc = one_job(r, l, &job, sc, have);
	r->busy--;
	pthread_cond_broadcast(&r->job_done);
	if (rc == S2P_EDOWN) {
		count_waiting(r);
		return TURN_END;
	}
	if (rc == S2P_EDISK || rc == S2P_ECORRUPT)
		s2p_error_set(err, rc, "%s", r->fatal);
	else if (rc != S2P_OK)
		s2p_error_set(err, rc, "%s%s",
		    strncmp(r->fatal, "queue paused", 12) == 0
			? ""
			: "worker stopped with the queue kept: ",
		    r->fatal);
	if (rc != S2P_OK) {
		*code = rc;
		return TURN_FAIL;
	}
	progress(r);
	return TURN_AGAIN;
}

/* A lane's Plex client lets go of the run's lock while it waits. */
static void
io_leave(void *arg)
{
	pthread_mutex_unlock(&((struct run *)arg)->mu);
}

static void
io_enter(void *arg)
{
	pthread_mutex_lock(&((struct run *)arg)->mu);
}

/* Run turns until the run is over (for every lane) or stopping. */
static void *
lane_main(void *arg)
{
	struct lane *l = arg;
	struct run *r = l->r;

	pthread_mutex_lock(&r->mu);
	while (!r->over && !s2p_ctx_stopping(r->ctx)) {
		struct s2p_error e;
		int code = S2P_OK;
		enum turn t;

		s2p_error_clear(&e);
		t = turn(r, l, &code, &e);
		if (t == TURN_AGAIN)
			continue;
		r->over = 1;
		if (t == TURN_FAIL && !r->over_fail) {
			r->over_fail = 1;
			r->over_code = code;
			r->over_err = e;
		}
	}
	pthread_cond_broadcast(&r->job_done);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* How many lanes: plex_concurrency, or one with a manual clock (tests:
 * its sleeps move shared time, so they must not overlap). */
static int
lane_count(const struct s2p_ctx *ctx)
{
	int n = ctx->cfg.plex_concurrency;

	if (ctx->clock != s2p_clock_system() || n < 1)
		return 1;
	return n > MAX_LANES ? MAX_LANES : n;
}

/* Give a lane its own connections: a Plex client for item reads and writes
 * and a Stash client for covers, both letting go of the run's lock while
 * they wait. 0 when the Plex client cannot be made (the lane is left out);
 * without its own Stash client a lane reads covers through the run's. */
static int
lane_connect(struct run *r, struct lane *l)
{
	struct s2p_ctx *ctx = &l->ctx;

	if (s2p_ctx_plex_another(r->ctx, &ctx->plex, NULL) != S2P_OK) {
		ctx->plex = NULL;
		return 0;
	}
	s2p_plex_set_io_hooks(ctx->plex, io_leave, io_enter, r);
	s2p_plex_set_observer(ctx->plex, note_request, &r->metrics);
	if (s2p_ctx_stash_another(r->ctx, &ctx->cover_stash, NULL) != S2P_OK)
		ctx->cover_stash = NULL;
	else
		s2p_stash_set_io_hooks(ctx->cover_stash, io_leave, io_enter, r);
	return 1;
}

/* Run the lanes: lane 0 in this thread, the others in their own, each with
 * its own connections (lane_connect), all made before any lane starts. A
 * lane whose Plex client cannot be made is left out; lane 0 then uses the
 * run's clients and keeps the lock while it waits. */
static void
run_lanes(struct run *r)
{
	struct lane lanes[MAX_LANES];
	int n = lane_count(r->ctx), i, ok[MAX_LANES], started[MAX_LANES];

	for (i = 0; i < n; i++) {
		lanes[i].r = r;
		lanes[i].ctx = *r->ctx;
		lanes[i].ctx.cover_stash = NULL;
		/* One lane: the run's clients, no lock games. */
		ok[i] = n > 1 && lane_connect(r, &lanes[i]);
		started[i] = 0;
	}
	for (i = 1; i < n; i++)
		started[i] = ok[i] &&
		    pthread_create(&lanes[i].thread, NULL, lane_main,
			&lanes[i]) == 0;
	if (n > 1 && !ok[0])
		lanes[0].ctx.plex = r->ctx->plex;
	lane_main(&lanes[0]);
	for (i = 1; i < n; i++)
		if (started[i])
			pthread_join(lanes[i].thread, NULL);
	for (i = 0; i < n && n > 1; i++) {
		if (lanes[i].ctx.plex != r->ctx->plex)
			s2p_plex_free(lanes[i].ctx.plex);
		s2p_stash_free(lanes[i].ctx.cover_stash);
	}
}

int
s2p_worker_run(struct s2p_ctx *ctx, const struct s2p_worker_opts *opts,
    struct s2p_worker_stats *st, struct s2p_error *err)
{
	struct run r;
	int rc, opened = 0;

	memset(&r, 0, sizeof(r));
	memset(st, 0, sizeof(*st));
	r.ctx = ctx;
	r.opts = opts;
	r.st = st;
	s2p_jobbatch_init(&r.batch);
	r.batch_size = s2p_jobbatch_size();
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.job_done, NULL);
	rc = run_open(&r, &opened, err);
	if (rc == S2P_OK)
		run_lanes(&r);
	if (opened)
		s2p_jobbatch_release(&r.batch, ctx->db, now_of(&r));
	s2p_jobbatch_free(&r.batch);
	if (rc == S2P_OK && r.over_fail) {
		rc = r.over_code;
		if (err != NULL)
			*err = r.over_err;
	}
	if (opened && rc != S2P_ECORRUPT && rc != S2P_EDISK)
		metrics_tick(&r, 1);
	if (opened)
		s2p_plex_set_observer(ctx->plex, NULL, NULL);
	if (opened && rc == S2P_ECORRUPT)
		rc = s2p_ctx_db_replace(ctx, err);
	s2p_matcher_free(&r.matcher);
	s2p_breaker_free(&r.breaker);
	free(r.outage_path);
	free(r.recovery_path);
	free(r.cookie_seen);
	pthread_cond_destroy(&r.job_done);
	pthread_mutex_destroy(&r.mu);
	return rc;
}
