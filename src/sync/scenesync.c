/*
 * scenesync.c - one scene from Stash to Plex (see scenesync.h).
 */
#include "scenesync.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "sync/fields.h"

void
s2p_sync_result_free(struct s2p_sync_result *res)
{
	s2p_strv_free(&res->changed);
}

int
s2p_sync_scene(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    int dry_run, struct s2p_sync_result *res, struct s2p_error *err)
{
	struct s2p_scene sc;
	struct s2p_match mt;
	struct s2p_plex_item item;
	struct s2p_desired want;
	struct s2p_plex_edit edit;
	int rc, tries;

	memset(res, 0, sizeof(*res));
	memset(&sc, 0, sizeof(sc));
	memset(&mt, 0, sizeof(mt));
	memset(&item, 0, sizeof(item));
	memset(&want, 0, sizeof(want));
	s2p_plex_edit_init(&edit);
	rc = s2p_stash_find_scene(ctx->stash, id, &sc, err);
	if (rc == S2P_ENOTFOUND) {
		res->outcome = S2P_SYNC_GONE;
		snprintf(res->note, sizeof(res->note),
		    "scene %lld no longer exists in Stash", (long long)id);
		rc = S2P_OK;
		goto out;
	}
	if (rc != S2P_OK)
		goto out;
	snprintf(res->title, sizeof(res->title), "%s",
	    sc.title && *sc.title ? sc.title : "(untitled)");
	if (sc.files.n == 0) {
		res->outcome = S2P_SYNC_SKIPPED;
		snprintf(res->note, sizeof(res->note), "scene has no file");
		goto out;
	}
	/* A cached ratingKey may be stale (item deleted or re-added): forget it
	 * and match again once. */
	res->plex_failed = 1;
	for (tries = 0; tries < 2; tries++) {
		s2p_match_free(&mt);
		rc = s2p_matcher_find(m, &sc.files, &mt, err);
		if (rc != S2P_OK)
			goto out;
		if (mt.secondary) {
			res->outcome = S2P_SYNC_SKIPPED;
			snprintf(res->note, sizeof(res->note),
			    "file is a later part of Plex item %s, which the "
			    "scene of its first part owns", mt.rating_key);
			goto out;
		}
		s2p_plex_item_free(&item);
		rc = s2p_plex_get_item(ctx->plex, mt.rating_key, &item, err);
		if (rc != S2P_ENOTFOUND)
			break;
		s2p_matcher_forget(m, mt.rating_key);
	}
	if (rc != S2P_OK)
		goto out;
	snprintf(res->rating_key, sizeof(res->rating_key), "%s", mt.rating_key);
	s2p_fields_desired(&ctx->cfg, &sc, &want);
	if (s2p_fields_diff(&ctx->cfg, &want, &item, &edit, &res->changed) ==
	    0) {
		res->outcome = S2P_SYNC_UNCHANGED;
		goto out;
	}
	res->outcome = S2P_SYNC_UPDATED;
	if (!dry_run)
		rc = s2p_plex_apply_edit(ctx->plex,
		    item.section_id ? item.section_id : mt.section_key,
		    mt.type, mt.rating_key, &edit, err);
out:
	s2p_plex_edit_free(&edit);
	s2p_desired_free(&want);
	s2p_plex_item_free(&item);
	s2p_match_free(&mt);
	s2p_scene_free(&sc);
	return rc;
}
