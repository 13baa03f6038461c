/*
 * daemon.c - `stash2plex daemon`: the background worker run permanently, in
 * the foreground, under a service manager (systemd, a container). It holds
 * the worker lock for its whole life, so hooks only enqueue and ring its
 * doorbell (s2p_ensure_worker finds the lock held and never spawns). It is
 * the resident worker of spawn.c plus: settings from flags, the environment
 * and the cached settings file instead of Stash's stdin; SIGTERM stops it
 * within a second (an HTTP request in flight is aborted and its job given
 * back); SIGHUP re-reads the settings; automatic reconciliation runs when it
 * is due, not at the next task run; and, with status_listen set, it keeps
 * a stash2plex-statusd child serving /healthz, /status and /metrics (a
 * separate binary: libmicrohttpd never enters this one). See
 * docs/internals/daemon.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/wake.h"
#include "core/xalloc.h"
#include "net/http.h"

/* How often the daemon looks at whether an automatic reconcile is due. */
#define RECONCILE_CHECK 5.0
/* A statusd child that died is started again after this long. */
#define STATUSD_RESTART 10.0
/* How long a stopping daemon waits for its statusd child. */
#define STATUSD_GRACE 0.5

static volatile sig_atomic_t reload_flag;

static void
on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

/* The daemon's own state, reachable from the worker's callbacks through
 * app->daemon. */
struct s2p_daemon {
	struct s2p_app *app;
	double next_reconcile; /* clock seconds of the next look */
	pid_t statusd;         /* running child, 0 when none */
	char *listen;          /* its address */
	double statusd_retry;  /* when a dead child may be started again */
	double restart_in;     /* its current restart delay */
	char *cannot;          /* a listen address whose start failed: not
				* tried again until the setting changes */
};

/* The statusd program: $STASH2PLEX_STATUSD, else stash2plex-statusd next
 * to our own program file (new string, or NULL when unknown). */
static char *
statusd_path(void)
{
	const char *env = getenv("STASH2PLEX_STATUSD");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return s2p_xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return s2p_xasprintf("%s/stash2plex-statusd", self);
}

/* Stop the statusd child, if any: SIGTERM, a short wait, then SIGKILL. */
static void
statusd_stop(struct s2p_daemon *d)
{
	double waited = 0;
	int st;

	if (d->statusd <= 0)
		return;
	kill(d->statusd, SIGTERM);
	while (waitpid(d->statusd, &st, WNOHANG) == 0) {
		if (waited >= STATUSD_GRACE) {
			kill(d->statusd, SIGKILL);
			(void)waitpid(d->statusd, &st, 0);
			break;
		}
		usleep(20000);
		waited += 0.02;
	}
	d->statusd = 0;
	free(d->listen);
	d->listen = NULL;
}

/* Fork and exec statusd for listen. The child keeps no descriptor of ours
 * (above all not the worker lock, which would outlive us in it). */
static void
statusd_start(struct s2p_daemon *d, const char *listen)
{
	struct s2p_ctx *ctx = &d->app->ctx;
	char *prog = statusd_path(), pidbuf[32];
	pid_t pid;

	if (prog == NULL || access(prog, X_OK) != 0) {
		s2p_errorf("status_listen is set but %s cannot be run: no "
			   "status endpoint (set STASH2PLEX_STATUSD)",
		    prog ? prog : "stash2plex-statusd");
		free(prog);
		free(d->cannot);
		d->cannot = s2p_xstrdup(listen);
		return;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execl(prog, "stash2plex-statusd", "--data-dir", ctx->data_dir,
		    "--listen", listen, "--daemon-pid", pidbuf, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		s2p_errorf("cannot start %s: %s", prog, strerror(errno));
	} else {
		s2p_info("Status endpoint starting on %s (pid %d)", listen,
		    (int)pid);
		d->statusd = pid;
		d->listen = s2p_xstrdup(listen);
	}
	free(prog);
}

/* Keep the statusd child in line with status_listen: start, restart after
 * a change or a death, stop when it was cleared. */
static void
statusd_sync(struct s2p_daemon *d)
{
	const char *want = d->app->ctx.cfg.status_listen;
	double now = s2p_clock_now(d->app->ctx.clock);
	int st;

	if (want == NULL)
		return; /* settings not loaded */
	if (d->statusd > 0 && waitpid(d->statusd, &st, WNOHANG) == d->statusd) {
		/* 10 s, doubling to 10 minutes while it keeps dying. */
		d->restart_in = d->restart_in > 0 ? d->restart_in * 2
						  : STATUSD_RESTART;
		if (d->restart_in > 600)
			d->restart_in = 600;
		d->statusd_retry = now + d->restart_in;
		s2p_warn("The status endpoint process exited (%s %d); "
			 "restarting it in %.0fs",
		    WIFSIGNALED(st) ? "signal" : "status",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
		    d->restart_in);
		d->statusd = 0;
		free(d->listen);
		d->listen = NULL;
	}
	if (d->statusd > 0 && strcmp(d->listen, want) == 0)
		return;
	if (d->cannot != NULL && strcmp(d->cannot, want) == 0)
		return;
	statusd_stop(d);
	if (*want != '\0' && now >= d->statusd_retry)
		statusd_start(d, want);
}

int
s2p_daemon_reload_requested(struct s2p_app *app)
{
	(void)app;
	if (!reload_flag)
		return 0;
	reload_flag = 0;
	s2p_info("SIGHUP: re-reading the settings");
	return 1;
}

void
s2p_daemon_tick(struct s2p_app *app)
{
	struct s2p_daemon *d = app->daemon;
	double now;

	if (d == NULL)
		return;
	statusd_sync(d);
	now = s2p_clock_now(app->ctx.clock);
	if (now < d->next_reconcile || app->ctx.cfg.reconcile_interval == NULL)
		return;
	d->next_reconcile = now + RECONCILE_CHECK;
	s2p_task_auto_reconcile(app);
}

/* Take the worker lock, waiting while a worker started by a hook finishes
 * (it exits when idle). A resident worker (Stash as PID 1) never idles
 * out: ring it to leave. Returns S2P_OK with *fd, or S2P_EBUSY when
 * stopped while waiting. */
static int
take_lock(struct s2p_app *app, int *fd, struct s2p_error *err)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_LOCK_FILE);
	char *bell = s2p_ctx_path(&app->ctx, S2P_WAKE_FILE);
	int rc, said = 0;

	for (;;) {
		rc = s2p_lock_try(path, fd, err);
		if (rc != S2P_EBUSY || s2p_ctx_stopping(&app->ctx))
			break;
		if (!said)
			s2p_info("Another worker holds %s; waiting for it to "
				 "finish",
			    path);
		said = 1;
		s2p_wake_ring_leave(bell);
		s2p_ctx_sleep(&app->ctx, 1.0);
	}
	free(path);
	free(bell);
	return rc;
}

int
s2p_daemon_run(struct s2p_app *app, struct s2p_error *err)
{
	struct s2p_daemon d;
	struct sigaction sa;
	const char *url = getenv("STASH2PLEX_STASH_URL");
	int fd = -1, rc;

	memset(&d, 0, sizeof(d));
	d.app = app;
	if (app->ctx.stash_url == NULL && url != NULL && *url != '\0')
		app->ctx.stash_url = s2p_xstrdup(url);
	if (app->ctx.stash_url == NULL)
		return s2p_error_set(err, S2P_EINVAL,
		    "the daemon needs Stash's address: --stash-url URL or "
		    "STASH2PLEX_STASH_URL");
	s2p_ctx_register_secrets(&app->ctx);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	/* A stop signal aborts the HTTP request in flight at once. */
	s2p_http_set_abort(app->ctx.stop);
	rc = s2p_ctx_make_data_dir(&app->ctx, err);
	if (rc == S2P_OK)
		rc = take_lock(app, &fd, err);
	if (rc == S2P_EBUSY)
		return S2P_OK; /* stopped before it began */
	if (rc != S2P_OK)
		return rc;
	s2p_info("stash2plex daemon %s started (pid %d), data in %s",
	    S2P_VERSION, (int)getpid(), app->ctx.data_dir);
	app->resident = 1;
	app->daemon = &d;
	rc = s2p_background_worker(app, fd);
	statusd_stop(&d);
	free(d.cannot);
	app->daemon = NULL;
	s2p_http_set_abort(NULL);
	if (rc != S2P_OK && !s2p_ctx_stopping(&app->ctx))
		return s2p_error_set(err, rc, "daemon stopped on an error");
	/* Asked to stop: a failing last run (Stash down, settings not saved
	 * yet) is no failure of the daemon's. */
	if (!s2p_ctx_stopping(&app->ctx))
		/* Only a replaced program file ends a resident run without a
		 * stop signal: exit non-zero, so Restart=on-failure starts
		 * the new program. */
		return s2p_error_set(err, S2P_EIO,
		    "program file replaced: exiting so that the service "
		    "manager starts the new one");
	s2p_info("stash2plex daemon stopped");
	return S2P_OK;
}
