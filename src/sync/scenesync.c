/*
 * scenesync.c - one scene from Stash to Plex (see scenesync.h). Request
 * budget per scene: none when the digest of what we would write equals the
 * one stored after the last successful sync; otherwise one full item GET,
 * one edit PUT when a field or the rating differs, and the image uploads
 * only when the cover's bytes changed.
 */
#include "scenesync.h"

#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/obfuscate.h"
#include "core/testpause.h"
#include "core/xalloc.h"
#include "store/syncstate.h"
#include "sync/fields.h"

#define IMAGE_MAX (32u * 1024 * 1024)

void
s2p_sync_result_free(struct s2p_sync_result *res)
{
	s2p_strv_free(&res->changed);
}

/* The media type of bytes that look like an image we can give Plex
 * (JPEG, PNG, WebP, GIF), or NULL: Stash's preview is an MP4 and must
 * never become a background. The upload's Content-Type is this. */
static const char *
image_type(const struct s2p_buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;

	if (b->len < 12)
		return NULL;
	if (p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "image/jpeg";
	if (memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)
		return "image/gif";
	if (memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

/* Read the cover from Stash. A worker lane reads it through its own
 * connection (ctx->cover_stash), which lets go of the run's lock while it
 * waits, so lanes overlap; it carries the session the run's client holds
 * now, and a session Stash renewed goes back to the run's client. */
static int
read_cover(struct s2p_ctx *ctx, const char *url, struct s2p_buf *img,
    struct s2p_error *err)
{
	struct s2p_stash *s = ctx->cover_stash;
	const char *now;
	char *sent;
	int rc;

	if (s == NULL)
		return s2p_stash_fetch(ctx->stash, url, IMAGE_MAX, img, err);
	now = s2p_stash_cookie(ctx->stash);
	sent = now != NULL ? s2p_xstrdup(now) : NULL;
	s2p_stash_set_cookie(s, sent);
	rc = s2p_stash_fetch(s, url, IMAGE_MAX, img, err);
	/* The run's lock is held again here. */
	now = s2p_stash_cookie(s);
	if (now != NULL && (sent == NULL || strcmp(now, sent) != 0) &&
	    s2p_stash_cookie(ctx->stash) != NULL && sent != NULL &&
	    strcmp(s2p_stash_cookie(ctx->stash), sent) == 0)
		s2p_stash_set_cookie(ctx->stash, now);
	free(sent);
	return rc;
}

/* Upload the cover when its bytes differ from the last upload. */
static int
sync_image(struct s2p_ctx *ctx, const struct s2p_desired *want, const char *rk,
    struct s2p_sync_state *st, int dry_run, struct s2p_sync_result *res,
    struct s2p_error *err)
{
	struct s2p_buf img;
	const char *type;
	char hex[17];
	int rc = S2P_OK;

	if (want->image_url == NULL)
		return S2P_OK;
	s2p_buf_init(&img, IMAGE_MAX);
	rc = read_cover(ctx, want->image_url, &img, err);
	if (rc != S2P_OK) {
		/* A missing cover (not generated yet) is not worth failing
		 * the metadata for. */
		s2p_warn("scene cover not available (%s); metadata synced "
			 "without it",
		    err ? err->msg : "");
		s2p_error_clear(err);
		rc = S2P_OK;
		goto out;
	}
	type = image_type(&img);
	if (type == NULL) {
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
		res->plex_reached = 1;
		s2p_test_pause("upload");
		if (ctx->cfg.sync_poster)
			rc = s2p_plex_upload_image(ctx->plex, rk, "posters",
			    img.data, img.len, type, err);
		if (rc == S2P_OK && ctx->cfg.sync_background)
			rc = s2p_plex_upload_image(ctx->plex, rk, "arts",
			    img.data, img.len, type, err);
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

/* Once per run (process): say that a TV library's episodes take no
 * studio, genres or actors, so their absence in Plex is not a mystery. */
static void
report_episode(const struct s2p_desired *want, const struct s2p_plex_item *item)
{
	static int reported;

	if (reported || !s2p_fields_is_episode(item) ||
	    !s2p_fields_not_for_episodes(want))
		return;
	reported = 1;
	s2p_info("Plex item %s is in a TV library: studio, tags (genres) and "
		 "performers (actors) do not apply to TV episodes and are not "
		 "written; title, summary, date, rating, studio collection and "
		 "cover are",
	    item->rating_key ? item->rating_key : "?");
}

/* One scene sync in progress: what the steps below share. */
struct job {
	struct s2p_ctx *ctx;
	struct s2p_matcher *m;
	int64_t id;
	enum s2p_sync_mode mode;
	int dry;
	struct s2p_scene sc; /* borrowed from the caller unless own_sc */
	int own_sc;
	int read; /* sc holds the scene (it exists in Stash) */
	struct s2p_match mt;
	struct s2p_plex_item item;
	struct s2p_desired want;
	struct s2p_plex_edit edit;
	struct s2p_sync_state st;
	char digest[17];
};

/* Take the scene the caller read (pre: the scene, NULL when Stash has
 * none), or read it from Stash (a batch of one) when have_pre is 0. Sets
 * *done (with res->outcome) when there is nothing more to do: the scene is
 * gone (its state is forgotten) or has no file. */
static int
read_scene(struct job *j, const struct s2p_scene *pre, int have_pre,
    struct s2p_sync_result *res, int *done, struct s2p_error *err)
{
	int rc = S2P_OK;
	size_t i;

	if (!have_pre) {
		rc = s2p_stash_find_scene(j->ctx->stash, j->id, &j->sc, err);
		j->own_sc = 1;
	} else if (pre == NULL) {
		rc = S2P_ENOTFOUND;
	} else {
		j->sc = *pre;
	}

	*done = 1;
	if (rc == S2P_ENOTFOUND) {
		res->outcome = S2P_SYNC_GONE;
		snprintf(res->note, sizeof(res->note),
		    "scene %lld no longer exists in Stash", (long long)j->id);
		return j->dry ? S2P_OK
			      : s2p_syncstate_delete(j->ctx->db, j->id, err);
	}
	if (rc != S2P_OK)
		return rc;
	for (i = 0; i < j->sc.files.n; i++)
		s2p_obf_known_path(j->sc.files.v[i]);
	j->read = 1;
	snprintf(res->title, sizeof(res->title), "%s",
	    j->sc.title && *j->sc.title ? j->sc.title : "(untitled)");
	if (j->sc.files.n == 0) {
		res->outcome = S2P_SYNC_SKIPPED;
		snprintf(res->note, sizeof(res->note), "scene has no file");
		return S2P_OK;
	}
	*done = 0;
	return S2P_OK;
}

/* Compute what Plex should hold and compare its digest with the stored
 * state. Sets *done (UNCHANGED) when a normal sync has nothing to write. */
static int
check_state(struct job *j, struct s2p_sync_result *res, int *done,
    struct s2p_error *err)
{
	int rc;

	*done = 0;
	s2p_fields_desired(&j->ctx->cfg, &j->sc, &j->want);
	s2p_fields_digest(&j->want, &j->sc, j->digest);
	rc = s2p_syncstate_get(j->ctx->db, j->id, &j->st, err);
	if (rc == S2P_ENOTFOUND) {
		memset(&j->st, 0, sizeof(j->st));
		s2p_error_clear(err);
		return S2P_OK;
	}
	if (rc != S2P_OK)
		return rc;
	if (j->mode == S2P_SYNC_NORMAL &&
	    strcmp(j->st.values_hash, j->digest) == 0) {
		res->outcome = S2P_SYNC_UNCHANGED;
		snprintf(res->rating_key, sizeof(res->rating_key), "%s",
		    j->st.rating_key);
		*done = 1;
	}
	return S2P_OK;
}

/* Match the scene to its Plex item and read the item. A cached ratingKey
 * may be stale (item deleted or re-added): forget it and match again once.
 * Sets *done (SKIPPED) for a later part of a stacked item. */
static int
find_item(struct job *j, struct s2p_sync_result *res, int *done,
    struct s2p_error *err)
{
	int rc = S2P_OK, tries;

	*done = 0;
	for (tries = 0; tries < 2; tries++) {
		s2p_match_free(&j->mt);
		j->m->stash = j->ctx->stash;
		j->m->scene_id = j->id;
		rc = s2p_matcher_find(j->m, &j->sc.files, &j->mt, err);
		if (rc != S2P_OK)
			return rc;
		if (j->mt.secondary) {
			res->outcome = S2P_SYNC_SKIPPED;
			snprintf(res->note, sizeof(res->note),
			    "file is a later part of Plex item %s, which the "
			    "scene of its first part owns",
			    j->mt.rating_key);
			*done = 1;
			return S2P_OK;
		}
		s2p_plex_item_free(&j->item);
		rc = s2p_plex_get_item(j->ctx->plex, j->mt.rating_key, &j->item,
		    err);
		if (rc != S2P_ENOTFOUND)
			break;
		s2p_matcher_forget(j->m, j->mt.rating_key);
		if (!j->dry &&
		    s2p_syncstate_forget_item(j->ctx->db, j->mt.rating_key,
			NULL) != S2P_OK)
			s2p_debug("cannot forget sync state of %s",
			    j->mt.rating_key);
	}
	return rc;
}

/* Send the edit (the rating with the other fields) and the cover where
 * they differ (a dry run only lists them in res->changed). */
static int
write_plex(struct job *j, struct s2p_sync_result *res, struct s2p_error *err)
{
	const char *rk = j->mt.rating_key;
	int rc;

	if (strcmp(j->st.rating_key, rk) != 0) {
		/* Another item than last time: its cover was never uploaded. */
		j->st.image_hash[0] = '\0';
		j->st.collection[0] = '\0';
	}
	report_episode(&j->want, &j->item);
	if (s2p_fields_diff(&j->ctx->cfg, &j->want, &j->item, j->st.collection,
		&j->edit, &res->changed) > 0 &&
	    !j->dry) {
		s2p_test_pause("put");
		rc = s2p_plex_apply_edit(j->ctx->plex,
		    j->item.section_id ? j->item.section_id : j->mt.section_key,
		    j->mt.type, rk, &j->edit, err);
		if (rc == S2P_EPERM)
			rc = edit_by_part(j->ctx, j->id, &j->want, &j->item,
			    &j->mt, j->st.collection, err);
		if (rc != S2P_OK)
			return rc;
	}
	return sync_image(j->ctx, &j->want, rk, &j->st, j->dry, res, err);
}

/* Remember what was written, so an unchanged scene costs nothing next
 * time. */
static int
save_state(struct job *j, struct s2p_error *err)
{
	struct s2p_sync_state *st = &j->st;

	snprintf(st->rating_key, sizeof(st->rating_key), "%s",
	    j->mt.rating_key);
	snprintf(st->values_hash, sizeof(st->values_hash), "%s", j->digest);
	snprintf(st->collection, sizeof(st->collection), "%s",
	    j->want.collection ? j->want.collection : "");
	st->synced_at = s2p_clock_now(j->ctx->clock);
	return s2p_syncstate_put(j->ctx->db, j->id, st, err);
}

/* s2p_sync_scene_with / s2p_sync_scene: have_pre says whether the caller
 * read the scene (pre, NULL when gone) or it is read here. */
static int
sync_scene(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    const struct s2p_scene *pre, int have_pre, enum s2p_sync_mode mode,
    struct s2p_sync_result *res, struct s2p_error *err)
{
	struct job j;
	int rc, done = 0;

	memset(res, 0, sizeof(*res));
	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.m = m;
	j.id = id;
	j.mode = mode;
	j.dry = mode == S2P_SYNC_DRY_RUN;
	s2p_plex_edit_init(&j.edit);
	rc = read_scene(&j, pre, have_pre, res, &done, err);
	if (rc == S2P_OK && !done)
		rc = check_state(&j, res, &done, err);
	/* First sight of a performer/studio/tag name: the baseline a later
	 * save is compared with (worker.c, rename fan-out). An unchanged
	 * digest means the names were noted by the sync that stored it; a
	 * name left unnoted only makes a later save of it fan out. */
	if (rc == S2P_OK && j.read && !j.dry &&
	    !(done && res->outcome == S2P_SYNC_UNCHANGED))
		rc = s2p_seen_names_note(ctx->db, &j.sc.refs, err);
	if (rc == S2P_OK && !done) {
		res->plex_reached = 1;
		rc = find_item(&j, res, &done, err);
	}
	if (rc == S2P_OK && !done) {
		snprintf(res->rating_key, sizeof(res->rating_key), "%s",
		    j.mt.rating_key);
		rc = write_plex(&j, res, err);
	}
	if (rc == S2P_OK && !done) {
		res->outcome = res->changed.n ? S2P_SYNC_UPDATED
					      : S2P_SYNC_UNCHANGED;
		if (!j.dry)
			rc = save_state(&j, err);
	}
	s2p_plex_edit_free(&j.edit);
	s2p_desired_free(&j.want);
	s2p_plex_item_free(&j.item);
	s2p_match_free(&j.mt);
	if (j.own_sc)
		s2p_scene_free(&j.sc);
	return rc;
}

int
s2p_sync_scene(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    enum s2p_sync_mode mode, struct s2p_sync_result *res, struct s2p_error *err)
{
	return sync_scene(ctx, m, id, NULL, 0, mode, res, err);
}

int
s2p_sync_scene_with(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    const struct s2p_scene *sc, enum s2p_sync_mode mode,
    struct s2p_sync_result *res, struct s2p_error *err)
{
	return sync_scene(ctx, m, id, sc, 1, mode, res, err);
}
