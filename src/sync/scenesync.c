/*
 * scenesync.c - one scene from Stash to Plex (see scenesync.h). Request
 * budget per scene: none when the digest of what we would write equals the
 * one stored after the last successful sync; otherwise one full item GET,
 * one edit PUT when a field differs, one rating PUT when the rating differs,
 * and an image upload only when the cover's bytes changed.
 */
#include "scenesync.h"

#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/syncstate.h"
#include "sync/fields.h"

#define IMAGE_MAX (32u * 1024 * 1024)

void
s2p_sync_result_free(struct s2p_sync_result *res)
{
	s2p_strv_free(&res->changed);
}

/* 1 when the bytes look like an image we can give Plex (JPEG, PNG, WebP,
 * GIF): Stash's preview is an MP4 and must never become a background. */
static int
is_image(const struct s2p_buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;

	if (b->len < 12)
		return 0;
	return (p[0] == 0xFF && p[1] == 0xD8) ||
	    memcmp(p, "\x89PNG", 4) == 0 || memcmp(p, "GIF8", 4) == 0 ||
	    (memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0);
}

/* Upload the cover when its bytes differ from the last upload. */
static int
sync_image(struct s2p_ctx *ctx, const struct s2p_desired *want,
    const char *rk, struct s2p_sync_state *st, int dry_run,
    struct s2p_sync_result *res, struct s2p_error *err)
{
	struct s2p_buf img;
	char hex[17];
	int rc = S2P_OK;

	if (want->image_url == NULL)
		return S2P_OK;
	s2p_buf_init(&img, IMAGE_MAX);
	rc = s2p_stash_fetch(ctx->stash, want->image_url, IMAGE_MAX, &img, err);
	if (rc != S2P_OK) {
		/* A missing cover (not generated yet) is not worth failing
		 * the metadata for. */
		s2p_warn("scene cover not available (%s); metadata synced "
			 "without it", err ? err->msg : "");
		s2p_error_clear(err);
		rc = S2P_OK;
		goto out;
	}
	if (!is_image(&img)) {
		s2p_warn("scene cover at %s is not an image; not uploaded",
		    want->image_url);
		goto out;
	}
	s2p_hash_hex(s2p_hash_add(S2P_HASH_INIT, img.data, img.len), hex);
	snprintf(st->image_url, sizeof(st->image_url), "%s", want->image_url);
	if (strcmp(hex, st->image_hash) == 0)
		goto out;
	s2p_strv_push(&res->changed, "poster: new cover image");
	if (!dry_run) {
		res->plex_failed = 1;
		if (ctx->cfg.sync_poster)
			rc = s2p_plex_upload_image(ctx->plex, rk, "posters",
			    img.data, img.len, NULL, err);
		if (rc == S2P_OK && ctx->cfg.sync_background)
			rc = s2p_plex_upload_image(ctx->plex, rk, "arts",
			    img.data, img.len, NULL, err);
	}
	if (rc == S2P_OK)
		snprintf(st->image_hash, sizeof(st->image_hash), "%s", hex);
out:
	s2p_buf_free(&img);
	return rc;
}

/* Plex rejected the combined edit (400): send it again part by part, so
 * that only the part Plex rejects fails (logged with the scene id) and the
 * scene's other fields are written. Returns S2P_OK, or the first failure
 * that is not a rejection. */
static int
edit_by_part(struct s2p_ctx *ctx, int64_t id, const struct s2p_desired *want,
    const struct s2p_plex_item *item, const struct s2p_match *mt,
    const char *prev_collection, struct s2p_error *err)
{
	int part, rc = S2P_OK, sent = 0, rejected = 0;
	struct s2p_error first;

	s2p_error_clear(&first);
	if (err != NULL)
		first = *err;
	for (part = 0; part < S2P_FIELD_PARTS && rc == S2P_OK; part++) {
		struct s2p_plex_edit e;

		s2p_plex_edit_init(&e);
		if (s2p_fields_diff_part(&ctx->cfg, want, item, prev_collection,
			part, &e, NULL) > 0) {
			rc = s2p_plex_apply_edit(ctx->plex,
			    item->section_id ? item->section_id
					     : mt->section_key,
			    mt->type, mt->rating_key, &e, err);
			sent++;
			if (rc == S2P_EPERM) {
				rejected++;
				s2p_warn("Scene %lld: Plex rejected the %s "
					 "(%s); the other fields are synced",
				    (long long)id, s2p_fields_part_name(part),
				    err ? err->msg : "");
				s2p_error_clear(err);
				rc = S2P_OK;
			}
		}
		s2p_plex_edit_free(&e);
	}
	/* Every part rejected: the edit as a whole is what Plex refuses. */
	if (rc == S2P_OK && sent > 0 && rejected == sent) {
		if (err != NULL)
			*err = first;
		return S2P_EPERM;
	}
	return rc;
}

int
s2p_sync_scene(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    enum s2p_sync_mode mode, struct s2p_sync_result *res,
    struct s2p_error *err)
{
	struct s2p_scene sc;
	struct s2p_match mt;
	struct s2p_plex_item item;
	struct s2p_desired want;
	struct s2p_plex_edit edit;
	struct s2p_sync_state st;
	char digest[17];
	int rc, tries, have_state, dry = mode == S2P_SYNC_DRY_RUN;

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
		rc = dry ? S2P_OK : s2p_syncstate_delete(ctx->db, id, err);
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
	s2p_fields_desired(&ctx->cfg, &sc, &want);
	s2p_fields_digest(&want, &sc, digest);
	rc = s2p_syncstate_get(ctx->db, id, &st, err);
	if (rc != S2P_OK && rc != S2P_ENOTFOUND)
		goto out;
	have_state = rc == S2P_OK;
	s2p_error_clear(err);
	if (mode == S2P_SYNC_NORMAL && have_state &&
	    strcmp(st.values_hash, digest) == 0) {
		res->outcome = S2P_SYNC_UNCHANGED;
		snprintf(res->rating_key, sizeof(res->rating_key), "%s",
		    st.rating_key);
		rc = S2P_OK;
		goto out;
	}
	if (!have_state)
		memset(&st, 0, sizeof(st));
	/* A cached ratingKey may be stale (item deleted or re-added): forget
	 * it and match again once. */
	res->plex_failed = 1;
	for (tries = 0; tries < 2; tries++) {
		s2p_match_free(&mt);
		m->stash = ctx->stash;
		m->scene_id = id;
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
		if (!dry && s2p_syncstate_forget_item(ctx->db, mt.rating_key,
				NULL) != S2P_OK)
			s2p_debug("cannot forget sync state of %s",
			    mt.rating_key);
	}
	if (rc != S2P_OK)
		goto out;
	snprintf(res->rating_key, sizeof(res->rating_key), "%s", mt.rating_key);
	if (strcmp(st.rating_key, mt.rating_key) != 0) {
		/* Another item than last time: its cover was never uploaded. */
		st.image_hash[0] = '\0';
		st.collection[0] = '\0';
	}
	if (s2p_fields_diff(&ctx->cfg, &want, &item, st.collection, &edit,
		&res->changed) > 0 && !dry) {
		rc = s2p_plex_apply_edit(ctx->plex,
		    item.section_id ? item.section_id : mt.section_key,
		    mt.type, mt.rating_key, &edit, err);
		if (rc == S2P_EPERM)
			rc = edit_by_part(ctx, id, &want, &item, &mt,
			    st.collection, err);
		if (rc != S2P_OK)
			goto out;
	}
	if (s2p_fields_rating_differs(&want, &item)) {
		s2p_strv_push_take(&res->changed, s2p_xasprintf(
		    "userRating: %.1f -> %.1f", item.user_rating, want.rating));
		if (!dry) {
			rc = s2p_plex_rate(ctx->plex, mt.rating_key, want.rating,
			    err);
			if (rc == S2P_EPERM) {
				/* The rating alone fails, not the scene. */
				s2p_warn("Scene %lld: Plex rejected the rating "
					 "(%s); the other fields are synced",
				    (long long)id, err->msg);
				s2p_error_clear(err);
				rc = S2P_OK;
			}
			if (rc != S2P_OK)
				goto out;
		}
	}
	rc = sync_image(ctx, &want, mt.rating_key, &st, dry, res, err);
	if (rc != S2P_OK)
		goto out;
	res->outcome = res->changed.n ? S2P_SYNC_UPDATED : S2P_SYNC_UNCHANGED;
	if (dry)
		goto out;
	snprintf(st.rating_key, sizeof(st.rating_key), "%s", mt.rating_key);
	snprintf(st.values_hash, sizeof(st.values_hash), "%s", digest);
	snprintf(st.collection, sizeof(st.collection), "%s",
	    want.collection ? want.collection : "");
	st.synced_at = s2p_clock_now(ctx->clock);
	rc = s2p_syncstate_put(ctx->db, id, &st, err);
out:
	s2p_plex_edit_free(&edit);
	s2p_desired_free(&want);
	s2p_plex_item_free(&item);
	s2p_match_free(&mt);
	s2p_scene_free(&sc);
	return rc;
}
