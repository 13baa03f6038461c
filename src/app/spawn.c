/*
 * spawn.c - exactly one background worker per data directory. The worker
 * lock (an flock on worker.lock) decides: whoever takes it without waiting
 * forks a detached worker that inherits the locked descriptor, so there is no
 * window between "lock is free" and "worker holds it" and no spawn storm,
 * however many hooks run at once. The detached worker has no stdio tie to
 * Stash (fds 0-2 on /dev/null, own session) and logs to stash2plex.log.
 *
 * Where nobody reaps orphans (Stash is PID 1 in its container), a worker
 * that exits would stay a zombie until the container restarts. There the
 * worker is resident: it never exits when idle, waits on a doorbell FIFO
 * (core/wake.h) that hooks ring after queueing, and leaves only when its
 * program file is replaced (upgrade, uninstall). See docs/internals/worker.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/selfexe.h"
#include "core/wake.h"
#include "core/xalloc.h"
#include "store/queue.h"
#include "store/syncstate.h"
#include "sync/breaker.h"
#include "sync/worker.h"

#define LOG_MAX (1024 * 1024)
/* A resident worker's idle check: with the doorbell it is only a safety
 * net; without one (no FIFO support) it is how new jobs are noticed. */
#define TICK_DOORBELL 5.0
#define TICK_POLL 1.0
/* After a failed run (settings not saved yet, credential rejected) a
 * resident worker tries again on the next ring, or after this long. */
#define RETRY_AFTER_ERROR 600.0
/* Idle seconds after which a resident worker's run returns to the cheap
 * wait (and re-reads the settings on the next work). */
#define RESIDENT_RUN_IDLE 10.0

/* kv key: "<time> <message>" of a resident worker's last failed run, ""
 * after a good one (a Process Queue task following it reads this). */
#define FAILURE_KEY "resident_worker_failure"

enum resident_wake { WAKE_WORK, WAKE_REPLACED, WAKE_LEAVE, WAKE_STOP };

int
s2p_autodrain_enabled(void)
{
	const char *v = getenv("STASH2PLEX_AUTODRAIN");

	if (v == NULL)
		return 1;
	return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0);
}

/* Seconds of empty queue after which the background worker exits. */
static double
idle_exit(void)
{
	const char *v = getenv("STASH2PLEX_IDLE_EXIT");
	char *end;
	double d;

	if (v == NULL)
		return 10.0;
	d = strtod(v, &end);
	return (*end == '\0' && d >= 0 && d <= 3600) ? d : 10.0;
}

/* Seconds between the background worker's looks at Stash's settings
 * (STASH2PLEX_SETTINGS_POLL, 1-3600, default 60; tests shorten it). */
static double
settings_poll(void)
{
	const char *v = getenv("STASH2PLEX_SETTINGS_POLL");
	char *end;
	double d;

	if (v == NULL)
		return 60.0;
	d = strtod(v, &end);
	return (*end == '\0' && d >= 1 && d <= 3600) ? d : 60.0;
}

/* What the background worker knows of the settings it runs with. */
struct watch {
	struct s2p_app *app;
	char *json;        /* the settings in force, as sorted JSON text */
	struct stat sb;    /* the settings file when last looked at */
	double next_look;  /* look at the file at most once a second */
	double next_stash; /* ask Stash once a minute */
};

/* The settings as JSON text (new string). */
static char *
settings_text(const struct s2p_config *cfg)
{
	json_t *j = s2p_config_to_json(cfg);
	char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	return t;
}

/* opts.settings_changed: 1 when the cached settings file changed (a task
 * run by the user saves what Stash holds) or, once a minute, Stash's
 * settings differ from those in force. Loads them into a scratch context,
 * so the running worker is untouched until it reloads. */
static int
settings_changed(void *arg)
{
	struct watch *w = arg;
	struct s2p_app *app = w->app;
	double now = s2p_clock_now(app->ctx.clock);
	char *path = s2p_ctx_path(&app->ctx, S2P_SETTINGS_FILE);
	struct stat sb;
	struct s2p_ctx tmp;
	struct s2p_error e;
	int file_changed, ask_stash, changed = 0;

	if (app->daemon != NULL) {
		if (s2p_daemon_reload_requested(app)) {
			free(path);
			return 1;
		}
		s2p_daemon_tick(app);
	}
	if (now < w->next_look) {
		free(path);
		return 0;
	}
	w->next_look = now + 1.0;
	memset(&sb, 0, sizeof(sb));
	(void)stat(path, &sb);
	file_changed = sb.st_mtime != w->sb.st_mtime ||
	    sb.st_size != w->sb.st_size || sb.st_ino != w->sb.st_ino;
	w->sb = sb;
	ask_stash = app->ctx.stash_url != NULL && now >= w->next_stash;
	if (ask_stash)
		w->next_stash = now + settings_poll();
	if (file_changed || ask_stash) {
		s2p_ctx_init(&tmp);
		tmp.clock = app->ctx.clock;
		tmp.data_dir = s2p_xstrdup(app->ctx.data_dir);
		if (ask_stash) {
			tmp.stash_url = s2p_xstrdup(app->ctx.stash_url);
			tmp.session_cookie = app->ctx.session_cookie
			    ? s2p_xstrdup(app->ctx.session_cookie)
			    : NULL;
		}
		s2p_error_clear(&e);
		if (s2p_ctx_load_settings(&tmp, &app->overrides, &e) ==
		    S2P_OK) {
			char *t = settings_text(&tmp.cfg);

			changed = strcmp(t, w->json) != 0;
			free(t);
		} else {
			s2p_debug("new settings not usable yet: %s", e.msg);
		}
		s2p_ctx_free(&tmp);
		if (stat(path, &sb) == 0)
			w->sb = sb; /* our own save of Stash's copy */
	}
	free(path);
	if (changed)
		s2p_info("Settings changed; reloading them");
	return changed;
}

/* After a reload: a different Plex server or token makes the breaker's
 * count of failures meaningless, so it starts CLOSED. */
static void
plex_changed(struct s2p_app *app, const char *old_url, const char *old_token)
{
	const struct s2p_config *cfg = &app->ctx.cfg;
	struct s2p_breaker br;
	char *bpath;

	if (strcmp(old_url, cfg->plex_url ? cfg->plex_url : "") == 0 &&
	    strcmp(old_token, cfg->plex_token ? cfg->plex_token : "") == 0)
		return;
	bpath = s2p_ctx_path(&app->ctx, S2P_BREAKER_FILE);
	s2p_breaker_init(&br, bpath);
	if (s2p_breaker_reset(&br, s2p_clock_now(app->ctx.clock), NULL) ==
	    S2P_OK)
		s2p_info("Plex settings changed: circuit breaker reset");
	s2p_breaker_free(&br);
	free(bpath);
}

/* 1 when a worker started from this process must stay resident: our parent
 * is PID 1, so an exited worker would never be reaped. STASH2PLEX_RESIDENT=1
 * or 0 overrides the guess. Decided before forking: the worker's own parent
 * is always PID 1 or a subreaper. */
static int
resident_wanted(void)
{
	const char *v = getenv("STASH2PLEX_RESIDENT");

	if (v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "0") == 0))
		return v[0] == '1';
	return getppid() == 1;
}

/* Record how the last run of a resident worker ended (msg NULL: well). */
static void
note_run(struct s2p_ctx *ctx, const char *msg)
{
	char *v = msg ? s2p_xasprintf("%.3f %s", s2p_clock_now(ctx->clock), msg)
		      : s2p_xstrdup("");

	if (s2p_ctx_db(ctx, NULL) == S2P_OK &&
	    s2p_kv_put(ctx->db, FAILURE_KEY, v, NULL) != S2P_OK)
		s2p_warn("cannot record the worker's state");
	free(v);
}

int
s2p_worker_failure(struct s2p_app *app, double since, char *msg, size_t len)
{
	char v[320], *end;
	double t;

	if (s2p_ctx_db(&app->ctx, NULL) != S2P_OK ||
	    s2p_kv_get(app->ctx.db, FAILURE_KEY, v, sizeof(v), NULL) != S2P_OK)
		return 0;
	t = strtod(v, &end);
	if (end == v || *end != ' ' || t < since)
		return 0;
	snprintf(msg, len, "%s", end + 1);
	return 1;
}

void
s2p_ring_worker(struct s2p_app *app)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_WAKE_FILE);

	s2p_wake_ring(path, app->ctx.session_cookie);
	free(path);
}

/* Take over the session cookie a hook sent along with its ring (the worker
 * may outlive its own cookie by days). Owns cookie. */
static void
adopt_cookie(struct s2p_ctx *ctx, char *cookie)
{
	if (ctx->session_cookie != NULL &&
	    strcmp(ctx->session_cookie, cookie) == 0) {
		free(cookie);
		return;
	}
	free(ctx->session_cookie);
	ctx->session_cookie = cookie;
	s2p_ctx_register_secrets(ctx);
	/* The Stash client holds a copy: make the next run build a new one. */
	s2p_stash_free(ctx->stash);
	ctx->stash = NULL;
}

/* Resident and idle: hold the lock and wait cheaply until there is work
 * (a ring, or a job or fan-out row seen by the periodic check), the program
 * file is replaced, or a stop signal arrives. After a failed run only a
 * ring or RETRY_AFTER_ERROR seconds count as work. */
static enum resident_wake
resident_wait(struct s2p_app *app, struct s2p_wake *bell,
    const struct s2p_exe_watch *exe, int after_error)
{
	struct s2p_ctx *ctx = &app->ctx;
	double tick = bell->rfd >= 0 ? TICK_DOORBELL : TICK_POLL;
	double start = s2p_clock_now(ctx->clock);

	for (;;) {
		char *cookie = NULL;
		int rung = 0, any = 0;

		s2p_wake_wait(bell, tick, &rung, &cookie);
		if (cookie != NULL)
			adopt_cookie(ctx, cookie);
		if (s2p_ctx_stopping(ctx))
			return WAKE_STOP;
		if (s2p_exe_replaced(exe))
			return WAKE_REPLACED;
		if (app->daemon != NULL && s2p_daemon_reload_requested(app))
			return WAKE_WORK;
		if (app->daemon != NULL && !after_error)
			s2p_daemon_tick(app);
		if (rung == 2 && app->daemon == NULL)
			return WAKE_LEAVE; /* a daemon takes over */
		if (rung) {
			s2p_debug("Woken by a hook");
			return WAKE_WORK;
		}
		if (after_error) {
			if (s2p_clock_now(ctx->clock) - start >=
			    RETRY_AFTER_ERROR)
				return WAKE_WORK;
			continue;
		}
		if (s2p_ctx_db(ctx, NULL) == S2P_OK &&
		    s2p_queue_has_work(ctx->db, &any, NULL) == S2P_OK &&
		    (any || s2p_fanout_pending(ctx->db) > 0))
			return WAKE_WORK;
	}
}

/* A resident worker's own state (see resident_wanted). */
struct resident {
	int on;
	struct s2p_wake bell;
	struct s2p_exe_watch exe;
};

/* Become resident when app->resident says so: note our program file and
 * listen on the doorbell. */
static void
resident_start(struct s2p_app *app, struct resident *r)
{
	char *wakepath = s2p_ctx_path(&app->ctx, S2P_WAKE_FILE);
	struct s2p_error e;

	memset(r, 0, sizeof(*r));
	r->bell.rfd = r->bell.wfd = -1;
	r->on = app->resident;
	if (r->on) {
		s2p_exe_watch_init(&r->exe);
		if (s2p_wake_listen(&r->bell, wakepath, &e) != S2P_OK)
			s2p_warn("No doorbell (%s); checking the queue every "
				 "second instead",
			    e.msg);
		if (app->daemon == NULL)
			s2p_info("Background worker is resident (pid %d): "
				 "Stash is PID 1 and would not reap an exited "
				 "worker",
			    (int)getpid());
	}
	free(wakepath);
}

/* After a run that ended (idle or failed, *rc): a resident worker records
 * how, then waits, holding the lock. Returns 1 when work arrived (settings
 * and connections are reset for the next run); 0 when the worker should
 * leave: stopping, or its program file was replaced (then it is resident
 * no more and *rc is S2P_OK, so it drains and exits like any worker). */
static int
resident_after_run(struct s2p_app *app, struct resident *r, int *rc,
    const char *why)
{
	struct s2p_ctx *ctx = &app->ctx;
	enum resident_wake wk;

	if (!r->on)
		return 0;
	note_run(ctx, *rc == S2P_OK ? NULL : why);
	if (s2p_ctx_stopping(ctx))
		return 0;
	wk = resident_wait(app, &r->bell, &r->exe, *rc != S2P_OK);
	if (wk == WAKE_WORK) {
		s2p_ctx_close_handles(ctx);
		s2p_config_free(&ctx->cfg);
		s2p_config_init(&ctx->cfg);
		return 1;
	}
	if (wk == WAKE_REPLACED || wk == WAKE_LEAVE) {
		s2p_info(wk == WAKE_REPLACED
			? "Program file replaced (upgrade or uninstall): the "
			  "resident worker exits"
			: "`stash2plex daemon` asks for the worker lock: the "
			  "resident worker hands over and exits");
		r->on = 0;
		*rc = S2P_OK;
		s2p_wake_close(&r->bell);
	}
	return 0;
}

static void
resident_end(struct resident *r)
{
	s2p_wake_close(&r->bell);
	s2p_exe_watch_free(&r->exe);
}

/* "Enabled" is off in Stash's settings: say so, with what stays queued. */
static void
disabled(struct s2p_app *app)
{
	struct s2p_queue_counts c;

	memset(&c, 0, sizeof(c));
	if (s2p_ctx_db(&app->ctx, NULL) == S2P_OK)
		(void)!s2p_queue_counts(app->ctx.db,
		    s2p_clock_now(app->ctx.clock), &c, NULL);
	s2p_warn("Stash2Plex is switched off (Enabled is off in its "
		 "settings): the background worker stops; %ld job(s) stay "
		 "queued until it is switched on and a task runs",
	    c.pending + c.running);
}

/* Enabled is off: say so. A resident worker then waits as after a failed
 * run (exiting would leave a zombie under PID 1) and returns 1 when work
 * arrives; otherwise 0: the worker stops. */
static int
switched_off(struct s2p_app *app, struct resident *res, int *rc,
    struct s2p_error *err)
{
	disabled(app);
	if (!res->on)
		return 0;
	*rc = s2p_error_set(err, S2P_EINVAL,
	    "Stash2Plex is switched off in its settings");
	return resident_after_run(app, res, rc, err->msg);
}

int
s2p_background_worker(struct s2p_app *app, int lock_fd)
{
	struct s2p_ctx *ctx = &app->ctx;
	char *lockpath = s2p_ctx_path(ctx, S2P_LOCK_FILE);
	int rc = S2P_OK, reloading = 0;
	char *old_url = NULL, *old_token = NULL;
	struct resident res;
	struct watch w;

	memset(&w, 0, sizeof(w));
	w.app = app;
	ctx->repair_db = 1;
	resident_start(app, &res);
	for (;;) {
		struct s2p_worker_opts o;
		struct s2p_worker_stats st;
		struct s2p_queue_counts c;
		struct s2p_error err;

		memset(&o, 0, sizeof(o));
		memset(&st, 0, sizeof(st));
		o.idle_exit = res.on ? RESIDENT_RUN_IDLE : idle_exit();
		o.settings_changed = settings_changed;
		o.settings_arg = &w;
		s2p_error_clear(&err);
		if (!reloading)
			s2p_info("Background worker started (pid %d)",
			    (int)getpid());
		rc = s2p_app_settings(app, &err);
		if (rc == S2P_OK && reloading)
			plex_changed(app, old_url, old_token);
		if (rc == S2P_OK) {
			char *path = s2p_ctx_path(ctx, S2P_SETTINGS_FILE);

			free(w.json);
			w.json = settings_text(&ctx->cfg);
			if (stat(path, &w.sb) != 0)
				memset(&w.sb, 0, sizeof(w.sb));
			w.next_stash = s2p_clock_now(ctx->clock) +
			    settings_poll();
			free(path);
			if (!ctx->cfg.enabled) {
				if (switched_off(app, &res, &rc, &err))
					continue;
				break;
			}
			rc = s2p_worker_run(ctx, &o, &st, &err);
		}
		reloading = rc == S2P_OK && st.reload;
		if (reloading) {
			/* Same lock, fresh settings and connections. */
			free(old_url);
			free(old_token);
			old_url = s2p_xstrdup(
			    ctx->cfg.plex_url ? ctx->cfg.plex_url : "");
			old_token = s2p_xstrdup(
			    ctx->cfg.plex_token ? ctx->cfg.plex_token : "");
			s2p_ctx_close_handles(ctx);
			s2p_config_free(&ctx->cfg);
			s2p_config_init(&ctx->cfg);
			continue;
		}
		if (rc != S2P_OK)
			s2p_errorf("Background worker stopped: %s", err.msg);
		else
			s2p_info("Background worker idle%s: %ld updated, "
				 "%ld unchanged, %ld skipped, %ld retried, %ld "
				 "dead-lettered",
			    res.on ? ", waiting for work" : ", exiting",
			    st.updated, st.unchanged, st.skipped, st.retried,
			    st.dead);
		if (resident_after_run(app, &res, &rc, err.msg))
			continue;
		/* Release, then look again: a hook that enqueued while we were
		 * deciding to stop saw the lock held and started nobody. */
		close(lock_fd);
		lock_fd = -1;
		if (rc != S2P_OK || s2p_ctx_stopping(ctx))
			break;
		if (s2p_ctx_db(ctx, NULL) != S2P_OK ||
		    s2p_queue_counts(ctx->db, s2p_clock_now(ctx->clock), &c,
			NULL) != S2P_OK ||
		    c.pending + c.running + s2p_fanout_pending(ctx->db) == 0)
			break;
		if (s2p_lock_try(lockpath, &lock_fd, NULL) != S2P_OK)
			break;
	}
	if (lock_fd >= 0)
		close(lock_fd);
	resident_end(&res);
	free(lockpath);
	free(w.json);
	free(old_url);
	free(old_token);
	return rc;
}

int
s2p_spawn_worker(struct s2p_app *app, int lock_fd, struct s2p_error *err)
{
	pid_t pid;
	int status;

	app->resident = resident_wanted();
	s2p_ctx_close_handles(&app->ctx);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(lock_fd);
		return s2p_error_set(err, S2P_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* Intermediate child: new session, then fork again so the
		 * worker is re-parented and never becomes our zombie. */
		int fd = open("/dev/null", O_RDWR);
		char *logpath;
		struct s2p_log_opts lo;

		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		if (fork() != 0)
			_exit(0);
		logpath = s2p_ctx_path(&app->ctx, S2P_LOG_FILE);
		memset(&lo, 0, sizeof(lo));
		lo.format = S2P_LOGFMT_PLAIN;
		lo.to_stderr = 0;
		lo.file = logpath;
		lo.file_max = LOG_MAX;
		lo.min = S2P_LOG_DEBUG;
		s2p_log_open(&lo);
		free(logpath);
		app->plugin_mode = 0;
		_exit(s2p_background_worker(app, lock_fd) == S2P_OK ? 0 : 1);
	}
	close(lock_fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return S2P_OK;
}

int
s2p_ensure_worker(struct s2p_app *app, int *started_out, struct s2p_error *err)
{
	char *path;
	int fd = -1, rc;

	if (started_out != NULL)
		*started_out = 0;
	if (!s2p_autodrain_enabled())
		return S2P_OK;
	rc = s2p_ctx_make_data_dir(&app->ctx, err);
	if (rc != S2P_OK)
		return rc;
	path = s2p_ctx_path(&app->ctx, S2P_LOCK_FILE);
	rc = s2p_lock_try(path, &fd, err);
	free(path);
	if (rc == S2P_EBUSY) {
		/* A worker runs: if it is resident and idle, wake it (and
		 * hand it our fresh session cookie). Never blocks. */
		s2p_ring_worker(app);
		s2p_error_clear(err);
		return S2P_OK;
	}
	if (rc != S2P_OK)
		return rc;
	rc = s2p_spawn_worker(app, fd, err);
	if (rc == S2P_OK && started_out != NULL)
		*started_out = 1;
	return rc;
}
