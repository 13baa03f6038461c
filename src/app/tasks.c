/*
 * tasks.c - the plugin's tasks (Stash2Plex.yml `mode` values). Tasks may use
 * the network; long work happens in the one worker, never in parallel with
 * it. Every task logs what it did and returns a one-line summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/tasks.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/queue.h"
#include "store/syncstate.h"
#include "sync/breaker.h"
#include "sync/worker.h"

/* 1 when a background worker holds the lock. */
static int
worker_running(struct s2p_app *app)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_LOCK_FILE);
	int held = s2p_lock_held(path);

	free(path);
	return held;
}

typedef int (
    *task_fn)(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err);

static double
now_of(struct s2p_app *app)
{
	return s2p_clock_now(app->ctx.clock);
}

/* Stash's layout for updated_at filters: local time, no zone suffix (Stash
 * compares the text with its stored local times). */
static void
stash_time(double t, char *buf, size_t len)
{
	s2p_format_local(t, "%Y-%m-%dT%H:%M:%S", buf, len);
}

void
s2p_task_since(struct s2p_app *app, double ago, char *buf, size_t len)
{
	stash_time(now_of(app) - ago, buf, len);
}

int
s2p_task_enqueue(struct s2p_app *app, const char *since,
    enum s2p_job_reason reason, long *queued, long *seen_out,
    struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	long count = 0, created = 0, total_created = 0, seen = 0;
	char now[32];
	int page, rc;

	rc = s2p_ctx_db(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_ctx_stash(ctx, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info(since ? "Fetching scenes updated since %s..."
		       : "Fetching all scenes...%s",
	    since ? since : "");
	for (page = 1;; page++) {
		int64_t *ids = NULL;
		size_t n = 0;

		created = 0; /* an empty last page queues nothing */
		rc = s2p_stash_scene_ids(ctx->stash, since, page, 1000, &ids,
		    &n, &count, err);
		if (rc != S2P_OK)
			return rc;
		if (n > 0)
			rc = s2p_queue_enqueue_many(ctx->db, ids, n, reason,
			    now_of(app), &created, err);
		free(ids);
		if (rc != S2P_OK)
			return rc;
		seen += (long)n;
		total_created += created;
		if (count > 0)
			s2p_log_progress(0.5 * (double)seen / (double)count);
		if (n < 1000)
			break;
	}
	s2p_info("Queued %ld scene(s) for sync (%ld already queued)",
	    total_created, seen - total_created);
	*queued = total_created;
	*seen_out = seen;
	snprintf(now, sizeof(now), "%.3f", now_of(app));
	if (reason == S2P_REASON_RECONCILE &&
	    s2p_kv_put(ctx->db, S2P_KV_LAST_RECONCILE, now, NULL) != S2P_OK)
		s2p_warn("cannot record the reconcile time");
	return S2P_OK;
}

/* Queue every scene (since: only those updated after it) and make sure a
 * background worker drains them. */
static int
enqueue_scenes(struct s2p_app *app, const char *since,
    enum s2p_job_reason reason, struct s2p_buf *msg, struct s2p_error *err)
{
	long total_created = 0, seen = 0;
	int rc, started = 0;

	rc = s2p_task_enqueue(app, since, reason, &total_created, &seen, err);
	if (rc != S2P_OK)
		return rc;
	rc = s2p_ensure_worker(app, &started, err);
	if (rc != S2P_OK)
		return rc;
	if (started)
		s2p_info("Background worker started; run \"Process Queue\" to "
			 "follow its progress");
	(void)!s2p_buf_addf(msg, "queued %ld scene(s), %ld already queued",
	    total_created, seen - total_created);
	return S2P_OK;
}

static int
task_all(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	return enqueue_scenes(app, NULL, S2P_REASON_ALL, msg, err);
}

static int
task_recent(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	char since[32];

	stash_time(now_of(app) - 86400, since, sizeof(since));
	return enqueue_scenes(app, since, S2P_REASON_RECENT, msg, err);
}

/* Reconcile: queue scenes to be checked against Plex even when nothing
 * changed on our side (a field edited or unlocked in Plex is put back). */
static int
task_reconcile_all(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	return enqueue_scenes(app, NULL, S2P_REASON_RECONCILE, msg, err);
}

static int
task_reconcile_recent(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	char since[32];

	stash_time(now_of(app) - 86400, since, sizeof(since));
	return enqueue_scenes(app, since, S2P_REASON_RECONCILE, msg, err);
}

static int
task_reconcile_7days(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	char since[32];

	stash_time(now_of(app) - 7 * 86400, since, sizeof(since));
	return enqueue_scenes(app, since, S2P_REASON_RECONCILE, msg, err);
}

/* Seconds without progress after which Process Queue stops following
 * the background worker (STASH2PLEX_FOLLOW_STALL, default 120). */
static double
follow_stall(void)
{
	const char *v = getenv("STASH2PLEX_FOLLOW_STALL");
	char *end;
	double d;

	if (v == NULL)
		return 120.0;
	d = strtod(v, &end);
	return (*end == '\0' && d >= 1 && d <= 3600) ? d : 120.0;
}

/* Watch the background worker drain, reporting progress, until nothing is
 * due or running, or until it has made no progress (nothing done, nothing
 * added or removed) for follow_stall() seconds: then it is waiting for
 * something (Plex, Stash) and following it would never end. */
static int
follow(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_queue_counts c, first, seen;
	double last_log = 0, moved_at = now_of(app), stall = follow_stall();
	double since = now_of(app);
	char why[256];
	int rc;

	/* A resident worker may be waiting after a failed run: make it try
	 * again now, with our session. */
	s2p_ring_worker(app);
	rc = s2p_queue_counts(ctx->db, now_of(app), &first, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("The background worker is draining the queue (%ld pending); "
		 "following its progress",
	    first.pending + first.running);
	seen = first;
	for (;;) {
		rc = s2p_queue_counts(ctx->db, now_of(app), &c, err);
		if (rc != S2P_OK)
			return rc;
		if (c.due == 0 && c.running == 0)
			break;
		if (c.done != seen.done || c.dead != seen.dead ||
		    c.pending != seen.pending || c.running != seen.running) {
			seen = c;
			moved_at = now_of(app);
		} else if (now_of(app) - moved_at >= stall) {
			s2p_warn(
			    "The background worker has made no progress for "
			    "%.0f s (%ld job(s) waiting; Plex or Stash may be "
			    "unreachable: see Health Check). It keeps the "
			    "jobs and goes on by itself; stopped following "
			    "it.",
			    stall, c.pending + c.running);
			(void)!s2p_buf_addf(msg,
			    "stopped following the "
			    "background worker: no progress for %.0f s, %ld "
			    "job(s) waiting",
			    stall, c.pending + c.running);
			return S2P_OK;
		}
		if (c.done - first.done + c.pending + c.running > 0)
			s2p_log_progress((double)(c.done - first.done) /
			    (double)(c.done - first.done + c.pending +
				c.running));
		if (now_of(app) - last_log >= 10) {
			s2p_info("Progress: %ld processed, %ld remaining",
			    c.done - first.done, c.pending + c.running);
			last_log = now_of(app);
		}
		if (!worker_running(app))
			break;
		if (s2p_worker_failure(app, since, why, sizeof(why)))
			return s2p_error_set(err, S2P_EIO,
			    "the background "
			    "worker cannot drain the queue: %s",
			    why);
		s2p_ctx_sleep(ctx, 1.0);
	}
	(void)!s2p_buf_addf(msg,
	    "queue drained by the background worker: %ld "
	    "processed, %ld waiting for retry",
	    c.done - first.done, c.pending);
	return S2P_OK;
}

static int
task_process_queue(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_worker_opts o;
	struct s2p_worker_stats st;
	char *path;
	int fd = -1, rc;

	rc = s2p_ctx_db(ctx, err);
	if (rc != S2P_OK)
		return rc;
	path = s2p_ctx_path(ctx, S2P_LOCK_FILE);
	rc = s2p_lock_try(path, &fd, err);
	free(path);
	if (rc == S2P_EBUSY) {
		s2p_error_clear(err);
		return follow(app, msg, err);
	}
	if (rc != S2P_OK)
		return rc;
	memset(&o, 0, sizeof(o));
	o.progress = 1;
	o.until_idle = 1;
	rc = s2p_worker_run(ctx, &o, &st, err);
	if (rc != S2P_OK) {
		close(fd);
		return rc;
	}
	s2p_info("Batch complete: %ld updated, %ld unchanged, %ld skipped, "
		 "%ld retried, %ld dead-lettered",
	    st.updated, st.unchanged, st.skipped, st.retried, st.dead);
	(void)!s2p_buf_addf(msg,
	    "processed %ld: %ld updated, %ld unchanged, "
	    "%ld skipped, %ld dead-lettered",
	    st.processed, st.updated, st.unchanged, st.skipped, st.dead);
	if (st.waiting > 0 && s2p_autodrain_enabled()) {
		s2p_info("%ld job(s) wait for a retry or for Plex; the "
			 "background worker takes them over",
		    st.waiting);
		(void)!s2p_buf_addf(msg, "; %ld waiting (background worker)",
		    st.waiting);
		return s2p_spawn_worker(app, fd, err);
	}
	if (st.waiting > 0)
		(void)!s2p_buf_addf(msg, "; %ld waiting for retry", st.waiting);
	close(fd);
	return S2P_OK;
}

static int
print_dead(const struct s2p_dead_job *j, void *payload)
{
	(void)payload;
	s2p_info("  DLQ: scene %lld, %d attempt(s), %s: %s",
	    (long long)j->scene_id, j->attempts, j->error_class, j->message);
	return 0;
}

/* The last n lines of the background worker's log. */
static void
log_tail(struct s2p_app *app, int n)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_LOG_FILE);
	struct s2p_buf b;
	const char *p;
	int lines = 0;

	s2p_buf_init(&b, 8 * 1024 * 1024);
	if (s2p_read_file(path, &b, NULL) == S2P_OK && b.len > 0) {
		p = b.data + b.len - 1;
		while (p > b.data && lines <= n) {
			p--;
			if (*p == '\n')
				lines++;
		}
		if (*p == '\n')
			p++;
		s2p_info("=== Background worker log (last %d lines) ===", n);
		s2p_info("%s", p);
	}
	s2p_buf_free(&b);
	free(path);
}

static int
task_queue_status(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_queue_counts c;
	struct s2p_breaker br;
	char summary[256], *bpath;
	int rc, exists = 0;

	rc = s2p_ctx_db(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_queue_counts(ctx->db, now_of(app), &c, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("=== Queue Status ===");
	s2p_info("Pending: %ld (%ld due now)", c.pending, c.due);
	s2p_info("In progress: %ld", c.running);
	s2p_info("Completed: %ld", c.done);
	s2p_info("Dead letter queue: %ld item(s)", c.dead);
	if (c.dead > 0 &&
	    s2p_dlq_summary(ctx->db, summary, sizeof(summary), NULL) == S2P_OK)
		s2p_info("DLQ by error: %s", summary);
	if (c.dead > 0)
		(void)!s2p_dlq_list(ctx->db, 10, print_dead, NULL, NULL);
	bpath = s2p_ctx_path(ctx, S2P_BREAKER_FILE);
	s2p_breaker_init(&br, bpath);
	free(bpath);
	s2p_info("=== Circuit Breaker Status ===");
	if (s2p_breaker_load(&br, &exists, NULL) != S2P_OK)
		s2p_info("State: UNKNOWN (corrupted state file)");
	else
		s2p_info("State: %s%s",
		    s2p_breaker_state_name(
			s2p_breaker_effective_state(&br, now_of(app))),
		    exists ? "" : " (no state file)");
	s2p_breaker_free(&br);
	s2p_info("Background worker: %s",
	    worker_running(app) ? "running" : "not running");
	log_tail(app, 15);
	(void)!s2p_buf_addf(msg,
	    "%ld pending, %ld in progress, %ld dead, %ld "
	    "completed",
	    c.pending, c.running, c.dead, c.done);
	return S2P_OK;
}

static int
task_clear_queue(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	long n = 0;
	int rc = s2p_ctx_db(&app->ctx, err);

	if (rc == S2P_OK)
		rc = s2p_queue_clear(app->ctx.db, &n, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Cleared %ld pending job(s)", n);
	(void)!s2p_buf_addf(msg, "cleared %ld pending job(s)", n);
	return S2P_OK;
}

static int
task_clear_dlq(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	long n = 0;
	int rc = s2p_ctx_db(&app->ctx, err);

	if (rc == S2P_OK)
		rc = s2p_dlq_purge(app->ctx.db, 0, &n, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Removed %ld dead-letter entries", n);
	(void)!s2p_buf_addf(msg, "removed %ld dead-letter entries", n);
	return S2P_OK;
}

static int
task_purge_dlq(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	long n = 0, days = app->ctx.cfg.dlq_retention_days;
	json_t *d = app->args ? json_object_get(app->args, "days") : NULL;
	int rc;

	if (json_is_integer(d))
		days = (long)json_integer_value(d);
	else if (json_is_string(d))
		days = strtol(json_string_value(d), NULL, 10);
	if (days < 1 || days > 3650)
		return s2p_error_set(err, S2P_EINVAL,
		    "argument days: expected 1-3650");
	rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_dlq_purge(app->ctx.db,
		    now_of(app) - (double)days * 86400, &n, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Removed %ld dead-letter entries older than %ld days", n,
	    days);
	(void)!s2p_buf_addf(msg, "removed %ld old dead-letter entries", n);
	return S2P_OK;
}

/* reconcile_interval: a task run also queues a reconcile of
 * reconcile_scope when the interval has passed since the last automatic
 * one. The time is claimed first, so a failing reconcile is not retried by
 * every task. Failures are logged, never fatal to the task. */
static void
auto_reconcile(struct s2p_app *app)
{
	static const struct {
		const char *name;
		double secs;
	} every[] = {{"hourly", 3600}, {"daily", 86400}, {"weekly", 7 * 86400}};
	const struct s2p_config *cfg = &app->ctx.cfg;
	double interval = 0, now = now_of(app), last = 0;
	char buf[64], since[32];
	struct s2p_buf m;
	struct s2p_error e;
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(every); i++)
		if (strcmp(cfg->reconcile_interval, every[i].name) == 0)
			interval = every[i].secs;
	if (interval == 0)
		return;
	s2p_error_clear(&e);
	if (s2p_ctx_db(&app->ctx, &e) != S2P_OK) {
		s2p_errorf("%s", e.msg);
		return;
	}
	if (s2p_kv_get(app->ctx.db, "last_auto_reconcile", buf, sizeof(buf),
		NULL) == S2P_OK)
		last = strtod(buf, NULL);
	/* Not due yet, unless the clock went back by more than a minute. */
	if (now - last < interval && last - now < 60)
		return;
	snprintf(buf, sizeof(buf), "%.3f", now);
	if (s2p_kv_put(app->ctx.db, "last_auto_reconcile", buf, NULL) != S2P_OK)
		return;
	stash_time(now -
		(strcmp(cfg->reconcile_scope, "7days") == 0 ? 7 * 86400
							    : 86400),
	    since, sizeof(since));
	s2p_info("Automatic reconcile (%s, scope %s)", cfg->reconcile_interval,
	    cfg->reconcile_scope);
	s2p_buf_init(&m, 0);
	s2p_error_clear(&e);
	if (enqueue_scenes(app,
		strcmp(cfg->reconcile_scope, "all") == 0 ? NULL : since,
		S2P_REASON_RECONCILE, &m, &e) != S2P_OK)
		s2p_warn("automatic reconcile failed: %s", e.msg);
	s2p_buf_free(&m);
}

struct task {
	const char *mode;
	task_fn fn;
	int settings; /* needs settings (Plex / Stash) */
};

static const struct task tasks[] = {
    {"all", task_all, 1},
    {"recent", task_recent, 1},
    {"process_queue", task_process_queue, 1},
    {"queue_status", task_queue_status, 0},
    {"clear_queue", task_clear_queue, 0},
    {"clear_dlq", task_clear_dlq, 0},
    {"purge_dlq", task_purge_dlq, 0},
    {"reconcile_all", task_reconcile_all, 1},
    {"reconcile_recent", task_reconcile_recent, 1},
    {"reconcile_7days", task_reconcile_7days, 1},
    {"dry_run", s2p_task_dry_run, 1},
    {"health_check", s2p_task_health_check, 0},
    {"outage_summary", s2p_task_outage_summary, 0},
    {"recover_outage_jobs", s2p_task_recover_outage_jobs, 1},
    {"retry_dlq", s2p_task_retry_dlq, 0},
    {"clear_match_cache", s2p_task_clear_match_cache, 0},
    {"reconcile_missing_metadata", s2p_task_reconcile_missing, 1},
};

int
s2p_task_run(struct s2p_app *app, const char *mode, struct s2p_buf *msg,
    struct s2p_error *err)
{
	size_t i;
	int rc, found = 0;

	rc = s2p_op_run(app, mode, &found, msg, err);
	if (found)
		return rc;
	app->ctx.repair_db = 1; /* tasks may replace a corrupt database */
	for (i = 0; i < S2P_ARRAY_LEN(tasks); i++) {
		if (strcmp(tasks[i].mode, mode) != 0)
			continue;
		if (tasks[i].settings) {
			rc = s2p_app_settings(app, err);
			if (rc != S2P_OK)
				return rc;
			if (!app->ctx.cfg.enabled) {
				(void)!s2p_buf_adds(msg, "disabled");
				return S2P_OK;
			}
			if (strncmp(mode, "reconcile", 9) != 0 &&
			    strcmp(mode, "dry_run") != 0)
				auto_reconcile(app);
		} else {
			s2p_ctx_load_cached_settings(&app->ctx);
		}
		return tasks[i].fn(app, msg, err);
	}
	return s2p_error_set(err, S2P_EINVAL, "unknown task mode \"%s\"", mode);
}

void
s2p_task_auto_reconcile(struct s2p_app *app)
{
	auto_reconcile(app);
}
