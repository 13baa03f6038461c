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
#include "sync/jobbatch.h"
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

/* Counts of a dry run. */
struct tally {
	long count, changed, failed, seen;
};

/* Check ids[0..n) against Plex, reading their scenes from Stash one batch
 * at a time (a batch that cannot be read is read scene by scene, so each
 * failure is reported with its scene). */
static void
check_ids(struct s2p_ctx *ctx, struct s2p_matcher *m, const int64_t *ids,
    size_t n, struct tally *t)
{
	size_t bs = s2p_jobbatch_size(), at, i;
	struct s2p_scene *sc = s2p_xreallocarray(NULL, bs, sizeof(*sc));
	int *st = s2p_xreallocarray(NULL, bs, sizeof(*st));

	for (at = 0; at < n && !s2p_ctx_stopping(ctx); at += bs) {
		size_t k = n - at < bs ? n - at : bs;
		int have = s2p_stash_find_scenes(ctx->stash, ids + at, k, sc,
			       st, NULL) == S2P_OK;

		for (i = 0; i < k && !s2p_ctx_stopping(ctx); i++) {
			struct s2p_sync_result res;
			struct s2p_error e;
			int64_t id = ids[at + i];
			int rc;

			s2p_error_clear(&e);
			rc = have && (st[i] == S2P_OK || st[i] == S2P_ENOTFOUND)
			    ? s2p_sync_scene_with(ctx, m, id,
				  st[i] == S2P_OK ? &sc[i] : NULL,
				  S2P_SYNC_DRY_RUN, &res, &e)
			    : s2p_sync_scene(ctx, m, id, S2P_SYNC_DRY_RUN, &res,
				  &e);
			if (rc != S2P_OK) {
				s2p_warn("scene %lld: %s", (long long)id,
				    e.msg);
				t->failed++;
			} else {
				report(id, &res, &t->changed);
			}
			s2p_sync_result_free(&res);
			t->seen++;
			if (t->count > 0)
				s2p_log_progress(
				    (double)t->seen / (double)t->count);
		}
		for (i = 0; have && i < k; i++)
			s2p_scene_free(&sc[i]);
	}
	free(sc);
	free(st);
}

int
s2p_task_dry_run(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_matcher m;
	int64_t *ids = NULL;
	size_t n;
	struct tally t = {0, 0, 0, 0};
	int page = 1, rc, given;

	rc = s2p_ctx_connect(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_matcher_init(&m, ctx->db, ctx->plex, &ctx->cfg,
		    ctx->clock, err);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Dry run: nothing is written to Plex");
	given = app->args != NULL &&
	    json_object_get(app->args, "scene_ids") != NULL;
	n = arg_ids(app, &ids);
	for (;;) {
		if (!given) {
			free(ids);
			ids = NULL;
			n = 0;
			rc = s2p_stash_scene_ids(ctx->stash, NULL, page++, PAGE,
			    &ids, &n, &t.count, err);
			if (rc != S2P_OK)
				break;
		}
		if (n > 0)
			check_ids(ctx, &m, ids, n, &t);
		if (n < PAGE || given || s2p_ctx_stopping(ctx))
			break;
	}
	free(ids);
	s2p_matcher_free(&m);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Dry run complete: %ld scene(s) checked, %ld would change, "
		 "%ld could not be checked",
	    t.seen, t.changed, t.failed);
	(void)!s2p_buf_addf(msg, "%ld scene(s) would change (of %ld checked)",
	    t.changed, t.seen);
	return S2P_OK;
}
