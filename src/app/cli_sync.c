/*
 * cli_sync.c - the commands that queue and drain: `sync` (all, recent or
 * chosen scenes; --dry-run shows the changes instead), `reconcile` (scopes
 * all, 24h, 7days, missing_metadata) and `worker`. sync and reconcile
 * drain the queue in this process, with a progress bar on a terminal,
 * unless a background worker already holds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/progress.h"
#include "app/tasks.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "net/http.h"
#include "sync/worker.h"

/* While a bar is drawn on the terminal, only warnings and errors are
 * logged (an info line per scene would break the bar); on resets. */
static void
bar_quiet(const struct s2p_progress *pr, int on)
{
	struct s2p_log_opts lo;

	if (!pr->tty)
		return;
	memset(&lo, 0, sizeof(lo));
	lo.format = S2P_LOGFMT_PLAIN;
	lo.to_stderr = 1;
	lo.min = on                              ? S2P_LOG_WARN
	    : getenv("STASH2PLEX_DEBUG") != NULL ? S2P_LOG_DEBUG
						 : S2P_LOG_INFO;
	s2p_log_open(&lo);
}

/* The worker's progress callback: drive the bar. */
static void
on_progress(void *arg, long processed, long left)
{
	s2p_progress_update(arg, processed, processed + left);
}

/* Stats of a drain into doc. */
static void
put_stats(json_t *doc, int drained, const struct s2p_worker_stats *st)
{
	json_object_set_new(doc, "drained", json_boolean(drained));
	json_object_set_new(doc, "processed", json_integer(st->processed));
	json_object_set_new(doc, "updated", json_integer(st->updated));
	json_object_set_new(doc, "unchanged", json_integer(st->unchanged));
	json_object_set_new(doc, "skipped", json_integer(st->skipped));
	json_object_set_new(doc, "retried", json_integer(st->retried));
	json_object_set_new(doc, "dead_lettered", json_integer(st->dead));
	json_object_set_new(doc, "waiting", json_integer(st->waiting));
}

/* Plex must answer and accept the token before a drain (exit 3 if not;
 * the queued jobs stay). */
static int
plex_ready(struct s2p_cli *c, int *code)
{
	struct s2p_plex_identity id;
	struct s2p_error e;
	int rc;

	s2p_error_clear(&e);
	rc = s2p_ctx_plex(&c->app->ctx, &e);
	if (rc == S2P_OK)
		rc = s2p_plex_identity(c->app->ctx.plex, S2P_PROBE_TIMEOUT_MS,
		    &id, &e);
	if (rc == S2P_OK)
		rc = s2p_plex_check_token(c->app->ctx.plex,
		    S2P_PROBE_TIMEOUT_MS, &e);
	if (rc != S2P_OK)
		*code = s2p_cli_fail(c, rc, &e, S2P_SIDE_PLEX);
	return rc;
}

/* Drain the queue here under the worker lock, with progress. A running
 * background worker keeps it (drained false). Returns an exit code. */
static int
drain(struct s2p_cli *c, const char *label, json_t *doc)
{
	struct s2p_worker_opts o;
	struct s2p_worker_stats st;
	struct s2p_progress pr;
	struct s2p_error e;
	char *path = s2p_ctx_path(&c->app->ctx, S2P_LOCK_FILE);
	int fd = -1, rc, code = 0;

	memset(&st, 0, sizeof(st));
	s2p_error_clear(&e);
	rc = s2p_lock_try(path, &fd, &e);
	free(path);
	if (rc == S2P_EBUSY) {
		put_stats(doc, 0, &st);
		return S2P_EXIT_OK;
	}
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	if (plex_ready(c, &code) != S2P_OK) {
		close(fd);
		return code;
	}
	memset(&o, 0, sizeof(o));
	o.until_idle = 1;
	o.on_progress = on_progress;
	o.progress_arg = &pr;
	s2p_progress_start(&pr, stderr, label, c->app->ctx.clock);
	bar_quiet(&pr, 1);
	rc = s2p_worker_run(&c->app->ctx, &o, &st, &e);
	s2p_progress_end(&pr, st.processed, st.processed + st.waiting);
	bar_quiet(&pr, 0);
	close(fd);
	put_stats(doc, 1, &st);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e,
		    strstr(e.msg, "Plex") ? S2P_SIDE_PLEX : S2P_SIDE_STASH);
	return S2P_EXIT_OK;
}

/* Print the result of sync/reconcile. */
static int
report(struct s2p_cli *c, json_t *doc, int code)
{
	json_t *d = json_object_get(doc, "drained");

	if (c->json) {
		json_incref(doc);
		s2p_cli_print_json(doc);
	} else if (json_is_true(d)) {
		printf("queued %lld, processed %lld: %lld updated, %lld "
		       "unchanged, %lld skipped, %lld dead-lettered, %lld "
		       "waiting\n",
		    json_integer_value(json_object_get(doc, "queued")),
		    json_integer_value(json_object_get(doc, "processed")),
		    json_integer_value(json_object_get(doc, "updated")),
		    json_integer_value(json_object_get(doc, "unchanged")),
		    json_integer_value(json_object_get(doc, "skipped")),
		    json_integer_value(json_object_get(doc, "dead_lettered")),
		    json_integer_value(json_object_get(doc, "waiting")));
	} else if (json_is_false(d)) {
		printf("queued %lld; the background worker is draining the "
		       "queue (see `stash2plex status`)\n",
		    json_integer_value(json_object_get(doc, "queued")));
	}
	json_decref(doc);
	return code;
}

/* Settings for a command that talks to Stash and Plex. Not S2P_OK: stop
 * with *code (S2P_ESTOP and 0 when the plugin is switched off). */
static int
settings(struct s2p_cli *c, int *code)
{
	struct s2p_error e;
	int rc;

	s2p_error_clear(&e);
	rc = s2p_cli_db(c, code);
	if (rc == S2P_OK)
		rc = s2p_app_settings(c->app, &e);
	if (rc != S2P_OK && *code == 0)
		*code = s2p_cli_fail(c, rc, &e, S2P_SIDE_STASH);
	/* The master switch holds here too, as for tasks. */
	if (rc == S2P_OK && !c->app->ctx.cfg.enabled) {
		fprintf(stderr,
		    "stash2plex %s: disabled (setting enabled is "
		    "off); nothing done\n",
		    c->cmd);
		*code = S2P_EXIT_OK;
		rc = S2P_ESTOP;
	}
	return rc;
}

/* sync --dry-run: the dry_run task (for --scene ids, those only). */
static int
dry_run(struct s2p_cli *c)
{
	json_t *args = json_object(), *ids = json_array();
	struct s2p_buf msg;
	struct s2p_error e;
	int i, rc, code = S2P_EXIT_OK;

	for (i = 0; i < c->nscenes; i++)
		json_array_append_new(ids, json_integer(c->scenes[i]));
	if (c->nscenes > 0)
		json_object_set(args, "scene_ids", ids);
	c->app->args = args;
	s2p_buf_init(&msg, 0);
	s2p_error_clear(&e);
	rc = s2p_task_dry_run(c->app, &msg, &e);
	if (rc != S2P_OK)
		code = s2p_cli_fail(c, rc, &e,
		    strstr(e.msg, "Plex") ? S2P_SIDE_PLEX : S2P_SIDE_STASH);
	else if (c->json)
		s2p_cli_print_json(json_pack("{s:b, s:s}", "dry_run", 1,
		    "result", msg.data ? msg.data : ""));
	else
		printf("%s\n", msg.data ? msg.data : "");
	c->app->args = NULL;
	s2p_buf_free(&msg);
	json_decref(args);
	json_decref(ids);
	return code;
}

int
s2p_cli_sync(struct s2p_cli *c)
{
	struct s2p_error e;
	char since[32];
	long queued = 0, seen = 0;
	int rc, code = 0;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	if (c->all + c->recent + (c->nscenes > 0) > 1)
		return s2p_cli_usage(c,
		    "choose one of --all, --recent, --scene");
	if (settings(c, &code) != S2P_OK)
		return code;
	if (c->dry_run)
		return dry_run(c);
	s2p_error_clear(&e);
	if (c->nscenes > 0) {
		rc = s2p_queue_enqueue_many(c->app->ctx.db, c->scenes,
		    (size_t)c->nscenes, S2P_REASON_HOOK,
		    s2p_clock_now(c->app->ctx.clock), &queued, &e);
		seen = c->nscenes;
	} else {
		s2p_task_since(c->app, 86400, since, sizeof(since));
		rc = s2p_task_enqueue(c->app, c->recent ? since : NULL,
		    c->recent ? S2P_REASON_RECENT : S2P_REASON_ALL, &queued,
		    &seen, &e);
	}
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_STASH);
	{
		json_t *doc = json_pack("{s:I, s:I}", "queued",
		    (json_int_t)queued, "already_queued",
		    (json_int_t)(seen - queued));

		return report(c, doc, drain(c, "sync", doc));
	}
}

/* Progress of the missing-metadata scan. */
static void
scan_progress(void *arg, long done, long total)
{
	s2p_progress_update(arg, done, total);
}

/* reconcile --scope missing_metadata: scan, then drain. */
static int
reconcile_missing(struct s2p_cli *c)
{
	struct s2p_progress pr;
	struct s2p_error e;
	long queued = 0, checked = 0;
	json_t *doc;
	int rc;

	s2p_error_clear(&e);
	s2p_progress_start(&pr, stderr, "check", c->app->ctx.clock);
	bar_quiet(&pr, 1);
	rc = s2p_reconcile_missing_scan(c->app, scan_progress, &pr, &queued,
	    &checked, &e);
	s2p_progress_end(&pr, pr.done, pr.total);
	bar_quiet(&pr, 0);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e,
		    strstr(e.msg, "Plex") ? S2P_SIDE_PLEX : S2P_SIDE_STASH);
	doc = json_pack("{s:s, s:I, s:I}", "scope", "missing_metadata",
	    "checked", (json_int_t)checked, "queued", (json_int_t)queued);
	return report(c, doc, drain(c, "reconcile", doc));
}

int
s2p_cli_reconcile(struct s2p_cli *c)
{
	static const struct {
		const char *scope;
		double ago;
	} scopes[] = {{"all", 0}, {"24h", 86400}, {"7days", 7 * 86400}};
	const char *scope;
	struct s2p_error e;
	char since[32];
	long queued = 0, seen = 0;
	size_t i;
	int rc, code = 0;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	if (c->scope != NULL &&
	    (strcmp(c->scope, "missing_metadata") == 0 ||
		strcmp(c->scope, "missing-metadata") == 0))
		return settings(c, &code) == S2P_OK ? reconcile_missing(c)
						    : code;
	for (i = 0; c->scope != NULL && i < S2P_ARRAY_LEN(scopes); i++)
		if (strcmp(scopes[i].scope, c->scope) == 0)
			break;
	if (c->scope != NULL && i == S2P_ARRAY_LEN(scopes))
		return s2p_cli_usage(c,
		    "--scope: expected all, 24h, 7days or "
		    "missing_metadata");
	if (settings(c, &code) != S2P_OK)
		return code;
	scope = c->scope ? c->scope : c->app->ctx.cfg.reconcile_scope;
	for (i = 0; i < S2P_ARRAY_LEN(scopes); i++)
		if (strcmp(scopes[i].scope, scope) == 0)
			break;
	if (i == S2P_ARRAY_LEN(scopes))
		i = 1;
	s2p_task_since(c->app, scopes[i].ago, since, sizeof(since));
	s2p_error_clear(&e);
	rc = s2p_task_enqueue(c->app, scopes[i].ago > 0 ? since : NULL,
	    S2P_REASON_RECONCILE, &queued, &seen, &e);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_STASH);
	{
		json_t *doc = json_pack("{s:s, s:I, s:I}", "scope",
		    scopes[i].scope, "queued", (json_int_t)queued,
		    "already_queued", (json_int_t)(seen - queued));

		return report(c, doc, drain(c, "reconcile", doc));
	}
}

int
s2p_cli_worker(struct s2p_cli *c)
{
	struct s2p_error e;
	char *path;
	int fd = -1, rc;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	s2p_error_clear(&e);
	path = s2p_ctx_path(&c->app->ctx, S2P_LOCK_FILE);
	rc = s2p_ctx_make_data_dir(&c->app->ctx, &e);
	if (rc == S2P_OK)
		rc = s2p_lock_try(path, &fd, &e);
	free(path);
	if (rc == S2P_OK)
		rc = s2p_background_worker(c->app, fd);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	if (c->json)
		return s2p_cli_print_json(json_pack("{s:s}", "result", "idle"));
	printf("queue idle\n");
	return S2P_EXIT_OK;
}
