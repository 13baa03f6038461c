/*
 * worker.h - the one worker that drains the queue: claims due jobs, syncs
 * each scene, and turns failures into retries with backoff, dead letters or
 * a pause behind the circuit breaker. Only the holder of the worker lock
 * (worker.lock in the data directory) runs it, so there is never more than
 * one per data directory. See docs/internals/worker.md.
 */
#ifndef S2P_WORKER_H
#define S2P_WORKER_H

#include "core/compat.h"
#include "core/err.h"
#include "sync/ctx.h"

struct s2p_worker_opts {
	int progress;   /* report task progress to Stash */
	int until_idle; /* return as soon as no job is due (foreground task) */
	double idle_exit; /* background: return after the queue was empty this
			     long */
	double lease;     /* seconds a claim is held (default 300) */
	/* Asked between jobs and while paused (NULL: never): 1 when the
	 * settings changed; the run then returns with st->reload set so the
	 * caller can reload them (a fixed plex_url is picked up). */
	int (*settings_changed)(void *arg);
	void *settings_arg;
	/* Called at most twice a second with the jobs processed so far and
	 * the jobs left (NULL: never), e.g. for a terminal progress bar. */
	void (*on_progress)(void *arg, long processed, long left);
	void *progress_arg;
};

struct s2p_worker_stats {
	long processed;
	long updated;
	long unchanged;
	long skipped;
	long retried;
	long dead;
	long waiting; /* jobs left waiting (backoff or breaker) at return */
	int reload;   /* returned because the settings changed */
};

/* Drain the queue. The caller holds the worker lock. Returns S2P_OK when it
 * stopped normally (idle, nothing due, or stop requested), or an error that
 * prevents any work (invalid settings, database failure). */
int s2p_worker_run(struct s2p_ctx *ctx, const struct s2p_worker_opts *opts,
    struct s2p_worker_stats *st, struct s2p_error *err) S2P_NODISCARD;

#endif
