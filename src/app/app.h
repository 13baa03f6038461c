/*
 * app.h - the program's front end: one struct s2p_app per process, built
 * from Stash's stdin document (plugin mode) or from the command line, and
 * the entry points of hooks, tasks and the background worker.
 */
#ifndef S2P_APP_H
#define S2P_APP_H

#include "app/input.h"
#include "core/buf.h"
#include "core/strv.h"
#include "sync/ctx.h"

struct s2p_daemon; /* app/daemon.c */

struct s2p_app {
	struct s2p_ctx ctx;
	int plugin_mode; /* run by Stash: Stash log format, JSON out */
	struct s2p_strv overrides; /* "key=value" settings from the CLI */
	json_t *args;              /* task arguments (borrowed) */
	int resident;              /* a worker started now stays resident
				    * (set by s2p_spawn_worker) */
	struct s2p_daemon *daemon; /* set while `stash2plex daemon` runs */
	int out_json; /* the output text is a JSON document (operations) */
};

/* Load settings (Stash, environment, CLI overrides) and validate them. */
int s2p_app_settings(struct s2p_app *app, struct s2p_error *err) S2P_NODISCARD;

/* Handle a hook. Never touches the network. *msg gets the output text. */
int s2p_hook_run(struct s2p_app *app, const struct s2p_input *in,
    struct s2p_buf *msg, struct s2p_error *err) S2P_NODISCARD;

/* Run the task named mode. *msg gets the output text. Errors: S2P_EINVAL
 * for an unknown mode, or the task's own failure. */
int s2p_task_run(struct s2p_app *app, const char *mode, struct s2p_buf *msg,
    struct s2p_error *err) S2P_NODISCARD;

/* Make sure one background worker drains the queue: take the worker lock
 * and, if it was free, hand it to a detached worker process. Honours
 * STASH2PLEX_AUTODRAIN=0. *started_out (may be NULL) is 1 when a worker was
 * started, 0 when one was already running or autodrain is off. */
int s2p_ensure_worker(struct s2p_app *app, int *started_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Hand an already held worker lock to a detached worker process. */
int s2p_spawn_worker(struct s2p_app *app, int lock_fd,
    struct s2p_error *err) S2P_NODISCARD;
/* Run the background worker in this process, holding lock_fd (closed on
 * return): until the queue has been idle for a while, or, when app->resident,
 * until the program file is replaced or a stop signal arrives. */
int s2p_background_worker(struct s2p_app *app, int lock_fd);

/* Wake a resident background worker, handing it our session cookie. Never
 * blocks; nothing happens when no resident worker listens. */
void s2p_ring_worker(struct s2p_app *app);
/* 1 when a resident background worker's last run, at or after since (clock
 * seconds), failed; msg gets why. */
int s2p_worker_failure(struct s2p_app *app, double since, char *msg,
    size_t len);

/* `stash2plex daemon` (app/daemon.c): hold the worker lock and run the
 * resident worker until SIGTERM/SIGINT; settings come from flags, the
 * environment and the cached settings file. S2P_OK after a stop signal. */
int s2p_daemon_run(struct s2p_app *app, struct s2p_error *err) S2P_NODISCARD;
/* The daemon's periodic duties, called between jobs and while idle: keep
 * the status endpoint process in line with status_listen, and queue an
 * automatic reconcile when due. A no-op outside the daemon. */
void s2p_daemon_tick(struct s2p_app *app);
/* 1 once after SIGHUP (the daemon re-reads its settings). */
int s2p_daemon_reload_requested(struct s2p_app *app);
/* reconcile_interval: queue a reconcile of reconcile_scope when the
 * interval has passed since the last automatic one (app/tasks.c). */
void s2p_task_auto_reconcile(struct s2p_app *app);

/* 1 unless STASH2PLEX_AUTODRAIN is 0/false/no/off. */
int s2p_autodrain_enabled(void);

#endif
