/*
 * tasks_reconcile.c - Reconcile Missing Metadata (mode
 * reconcile_missing_metadata, the reference's name): queue every scene
 * whose Plex item has none of studio, performers (actors), tags (genres)
 * or summary while the Stash scene has at least one of them. Read-only
 * until the final enqueue; a scene that cannot be matched is left to the
 * normal sync, which reports why.
 */
#include <stdlib.h>
#include <string.h>

#include "app/tasks.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sync/match.h"

#define PAGE 1000

/* 1 when s is a non-empty string. */
static int
has(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Failures that stop the whole scan: the server, not this scene. */
static int
fatal(int rc)
{
	return rc == S2P_EAUTH || rc == S2P_ETLS || rc == S2P_EDISK ||
	    rc == S2P_ECORRUPT || s2p_status_class(rc) == S2P_CLASS_DOWN;
}

/* Check one scene: *empty = 1 when Stash has metadata and its Plex item
 * has none. Per-scene failures are logged and leave *empty 0. */
static int
check_scene(struct s2p_app *app, struct s2p_matcher *m, int64_t id, int *empty,
    struct s2p_error *err)
{
	struct s2p_scene sc;
	struct s2p_match mt;
	struct s2p_plex_item it;
	int rc;

	*empty = 0;
	memset(&sc, 0, sizeof(sc));
	memset(&mt, 0, sizeof(mt));
	memset(&it, 0, sizeof(it));
	rc = s2p_stash_find_scene(app->ctx.stash, id, &sc, err);
	if (rc != S2P_OK || sc.files.n == 0 ||
	    !(has(sc.studio) || has(sc.details) || sc.performers.n > 0 ||
		sc.tags.n > 0))
		goto out;
	m->stash = app->ctx.stash;
	m->scene_id = id;
	rc = s2p_matcher_find(m, &sc.files, &mt, err);
	if (rc == S2P_OK && !mt.secondary)
		rc = s2p_plex_get_item(app->ctx.plex, mt.rating_key, &it, err);
	if (rc == S2P_OK && !mt.secondary)
		*empty = !has(it.studio) && !has(it.summary) &&
		    it.actors.n == 0 && it.genres.n == 0;
out:
	if (rc != S2P_OK && !fatal(rc)) {
		s2p_debug("scene %lld not checked: %s", (long long)id,
		    err->msg);
		s2p_error_clear(err);
		rc = S2P_OK;
	}
	s2p_plex_item_free(&it);
	s2p_match_free(&mt);
	s2p_scene_free(&sc);
	return rc;
}

/* Append id to *v (n used, cap allocated). */
static void
push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = s2p_xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = id;
}

int
s2p_reconcile_missing_scan(struct s2p_app *app,
    void (*progress)(void *arg, long done, long total), void *arg, long *queued,
    long *checked, struct s2p_error *err)
{
	struct s2p_ctx *ctx = &app->ctx;
	struct s2p_matcher m;
	int64_t *ids = NULL, *hit = NULL;
	size_t n = 0, nhit = 0, cap = 0, i;
	long count = 0, seen = 0;
	int page = 1, rc, empty;

	*queued = 0;
	*checked = 0;
	rc = s2p_ctx_connect(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_matcher_init(&m, ctx->db, ctx->plex, &ctx->cfg,
		    ctx->clock, err);
	if (rc != S2P_OK)
		return rc;
	do {
		free(ids);
		ids = NULL;
		rc = s2p_stash_scene_ids(ctx->stash, NULL, page++, PAGE, &ids,
		    &n, &count, err);
		for (i = 0; rc == S2P_OK && i < n && !s2p_ctx_stopping(ctx);
		     i++) {
			rc = check_scene(app, &m, ids[i], &empty, err);
			if (rc == S2P_OK && empty)
				push_id(&hit, &nhit, &cap, ids[i]);
			seen++;
			if (progress != NULL)
				progress(arg, seen, count);
			if (count > 0)
				s2p_log_progress((double)seen / (double)count);
		}
	} while (rc == S2P_OK && n == PAGE && !s2p_ctx_stopping(ctx));
	free(ids);
	s2p_matcher_free(&m);
	if (rc == S2P_OK && nhit > 0)
		rc = s2p_queue_enqueue_many(ctx->db, hit, nhit,
		    S2P_REASON_RECONCILE, s2p_clock_now(ctx->clock), queued,
		    err);
	free(hit);
	*checked = seen;
	if (rc == S2P_OK)
		s2p_info("Reconcile missing metadata: %ld scene(s) checked, "
			 "%zu with an empty Plex item, %ld newly queued",
		    seen, nhit, *queued);
	return rc;
}

int
s2p_task_reconcile_missing(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	long queued = 0, checked = 0;
	int rc, started = 0;

	rc = s2p_reconcile_missing_scan(app, NULL, NULL, &queued, &checked,
	    err);
	if (rc == S2P_OK && queued > 0)
		rc = s2p_ensure_worker(app, &started, err);
	if (rc != S2P_OK)
		return rc;
	(void)!s2p_buf_addf(msg,
	    "queued %ld scene(s) with no metadata in Plex (of %ld checked)",
	    queued, checked);
	return S2P_OK;
}
