/*
 * tasks_dryrun.c - the Dry Run task (and `stash2plex task dry_run`): for
 * every scene (or the ids in args.scene_ids), print the field-by-field
 * change a sync would write to Plex, and write nothing: no Plex edit, no
 * queue change, no sync state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/tasks.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sync/match.h"
#include "sync/scenesync.h"

#define PAGE 1000

/* Scene ids from args.scene_ids (array of numbers or numeric strings). */
static size_t
arg_ids(struct s2p_app *app, int64_t **ids)
{
	json_t *a = app->args ? json_object_get(app->args, "scene_ids") : NULL;
	size_t i, n = 0;
	json_t *v;

	*ids = NULL;
	if (!json_is_array(a))
		return 0;
	*ids = s2p_xcalloc(json_array_size(a) + 1, sizeof(**ids));
	json_array_foreach(a, i, v)
	{
		long long id = json_is_integer(v) ? json_integer_value(v)
		    : json_is_string(v)
		    ? strtoll(json_string_value(v), NULL, 10)
		    : 0;

		if (id > 0)
			(*ids)[n++] = id;
	}
	return n;
}

static void
report(int64_t id, const struct s2p_sync_result *res, long *changed)
{
	size_t i;

	if (res->outcome != S2P_SYNC_UPDATED) {
		if (res->outcome == S2P_SYNC_SKIPPED ||
		    res->outcome == S2P_SYNC_GONE)
			s2p_info("scene %lld: skipped: %s", (long long)id,
			    res->note);
		return;
	}
	(*changed)++;
	s2p_info("scene %lld \"%s\" -> Plex item %s:", (long long)id,
	    res->title, res->rating_key);
	for (i = 0; i < res->changed.n; i++)
		s2p_info("    %s", res->changed.v[i]);
}

int
s2p_task_dry_run(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_matcher m;
	int64_t *ids = NULL;
	size_t n, i;
	long count = 0, changed = 0, failed = 0, seen = 0;
	int page = 1, rc;

	rc = s2p_ctx_connect(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_matcher_init(&m, ctx->db, ctx->plex, &ctx->cfg,
		    ctx->clock, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Dry run: nothing is written to Plex");
	n = arg_ids(app, &ids);
	for (;;) {
		if (app->args == NULL ||
		    json_object_get(app->args, "scene_ids") == NULL) {
			free(ids);
			ids = NULL;
			n = 0;
			rc = s2p_stash_scene_ids(ctx->stash, NULL, page++, PAGE,
			    &ids, &n, &count, err);
			if (rc != S2P_OK)
				break;
		}
		for (i = 0; i < n && !s2p_ctx_stopping(ctx); i++) {
			struct s2p_sync_result res;
			struct s2p_error e;

			s2p_error_clear(&e);
			if (s2p_sync_scene(ctx, &m, ids[i], S2P_SYNC_DRY_RUN,
				&res, &e) != S2P_OK) {
				s2p_warn("scene %lld: %s", (long long)ids[i],
				    e.msg);
				failed++;
			} else {
				report(ids[i], &res, &changed);
			}
			s2p_sync_result_free(&res);
			seen++;
			if (count > 0)
				s2p_log_progress((double)seen / (double)count);
		}
		if (n < PAGE ||
		    (app->args && json_object_get(app->args, "scene_ids")))
			break;
	}
	free(ids);
	s2p_matcher_free(&m);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Dry run complete: %ld scene(s) checked, %ld would change, "
		 "%ld could not be checked",
	    seen, changed, failed);
	(void)!s2p_buf_addf(msg, "%ld scene(s) would change (of %ld checked)",
	    changed, seen);
	return S2P_OK;
}
