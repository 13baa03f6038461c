/*
 * hook.c - hook handling. Stash runs hooks synchronously (the user's save or
 * the scan waits for us), so a hook never touches the network: it records
 * the scene in the local queue, makes sure a background worker is draining,
 * and returns in milliseconds. Hooks we have no use for return at once.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/log.h"
#include "store/db.h"
#include "store/queue.h"
#include "store/syncstate.h"

/* How long a hook keeps trying to get the database's write lock (each
 * try waits up to the store's busy timeout) before it reports an error: a
 * hook that gives up loses the update, so it waits rather than fail. */
#define HOOK_LOCK_DEADLINE 60.0

/* Queue one scene and make sure a worker drains it. */
static int
enqueue(struct s2p_app *app, int64_t id, enum s2p_job_reason reason,
    struct s2p_buf *msg, struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	int created = 0, started = 0, rc;
	double t0 = s2p_monotonic(), lock_wait = 0;

	do {
		s2p_ctx_close_handles(ctx);
		rc = s2p_ctx_db(ctx, err);
		if (rc == S2P_OK) {
			/* Write on a fresh time slice: a hook descheduled
			 * while it holds the write lock (hundreds of hooks
			 * on two CPUs) makes every other writer wait. */
			sched_yield();
			rc = s2p_queue_enqueue(ctx->db, id, reason,
			    s2p_clock_now(ctx->clock), &created, err);
			lock_wait += s2p_db_lock_wait(ctx->db);
		}
	} while (rc == S2P_EBUSY && s2p_monotonic() - t0 < HOOK_LOCK_DEADLINE);
	s2p_debug("database open and enqueue took %.1f ms (lock waits "
		  "included), lock wait %.1f ms",
	    (s2p_monotonic() - t0) * 1000, lock_wait * 1000);
	/* The worker opens its own connection: never carry one over fork. */
	s2p_ctx_close_handles(ctx);
	if (rc != S2P_OK)
		return rc;
	rc = s2p_ensure_worker(app, &started, err);
	if (rc != S2P_OK)
		s2p_warn("scene %lld queued, but no worker could be started: "
			 "%s",
		    (long long)id, err ? err->msg : "");
	(void)!s2p_buf_addf(msg, "queued scene %lld%s", (long long)id,
	    created ? "" : " (already queued)");
	return S2P_OK;
}

/* 1 when a Performer/Studio/Tag update renamed the object (or we cannot
 * tell, because Stash sent no inputFields). */
static int
renamed(const struct s2p_input *in)
{
	size_t i;

	if (!json_is_array(in->hook_fields))
		return 1;
	for (i = 0; i < json_array_size(in->hook_fields); i++) {
		const char *f = json_string_value(
		    json_array_get(in->hook_fields, i));

		if (f != NULL && strcmp(f, "name") == 0)
			return 1;
	}
	return 0;
}

/* A renamed performer, studio or tag: record it (no network here); the
 * worker re-queues every scene that carries it. */
static int
fanout(struct s2p_app *app, const struct s2p_input *in, const char *kind,
    struct s2p_buf *msg, struct s2p_error *err)
{
	char id[32];
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)in->hook_id);
	rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_fanout_add(app->ctx.db, kind, id,
		    s2p_clock_now(app->ctx.clock), err);
	s2p_ctx_close_handles(&app->ctx);
	if (rc != S2P_OK)
		return rc;
	if (s2p_ensure_worker(app, NULL, err) != S2P_OK)
		s2p_warn("rename recorded, but no worker could be started: %s",
		    err->msg);
	(void)!s2p_buf_addf(msg, "scenes of %s %s will be re-synced", kind, id);
	return S2P_OK;
}

int
s2p_hook_run(struct s2p_app *app, const struct s2p_input *in,
    struct s2p_buf *msg, struct s2p_error *err)
{
	const char *type = in->hook_type ? in->hook_type : "";

	/* Cheap checks first: most hooks (scan noise) stop here. */
	if (in->hook_id <= 0) {
		(void)!s2p_buf_adds(msg, "ok");
		return S2P_OK;
	}
	if (strcmp(type, "Scene.Update.Post") == 0 &&
	    !s2p_input_touches_synced_field(in)) {
		(void)!s2p_buf_adds(msg, "ok (no synced field changed)");
		return S2P_OK;
	}
	/* A fresh session for a worker whose own one expired. */
	s2p_ctx_save_cookie(&app->ctx);
	s2p_ctx_load_cached_settings(&app->ctx);
	s2p_log_debug_as_info(app->ctx.cfg.debug_logging);
	if (!app->ctx.cfg.enabled) {
		(void)!s2p_buf_adds(msg, "disabled");
		return S2P_OK;
	}
	if (strcmp(type, "Scene.Update.Post") == 0)
		return enqueue(app, in->hook_id, S2P_REASON_HOOK, msg, err);
	if (strcmp(type, "Scene.Create.Post") == 0 &&
	    app->ctx.cfg.trigger_plex_scan)
		return enqueue(app, in->hook_id, S2P_REASON_CREATE, msg, err);
	if (strcmp(type, "Scene.Destroy.Post") == 0) {
		int rc = s2p_ctx_db(&app->ctx, err);

		if (rc == S2P_OK)
			rc = s2p_syncstate_delete(app->ctx.db, in->hook_id,
			    err);
		s2p_ctx_close_handles(&app->ctx);
		if (rc == S2P_OK)
			(void)!s2p_buf_adds(msg, "forgot deleted scene");
		return rc;
	}
	if (renamed(in)) {
		if (strcmp(type, "Performer.Update.Post") == 0)
			return fanout(app, in, "performer", msg, err);
		if (strcmp(type, "Studio.Update.Post") == 0)
			return fanout(app, in, "studio", msg, err);
		if (strcmp(type, "Tag.Update.Post") == 0)
			return fanout(app, in, "tag", msg, err);
	}
	(void)!s2p_buf_adds(msg, "ok");
	return S2P_OK;
}
