/*
 * scenesync.h - syncing one scene: read it from Stash, find its Plex item,
 * read the full item, compute the smallest locked edit and send it in a
 * single request. No retry policy here: the outcome or the failure code goes
 * back to the worker, which owns the queue and the breaker.
 */
#ifndef S2P_SCENESYNC_H
#define S2P_SCENESYNC_H

#include <stdint.h>

#include "core/strv.h"
#include "sync/ctx.h"
#include "sync/match.h"

enum s2p_sync_outcome {
	S2P_SYNC_UPDATED,   /* an edit was sent */
	S2P_SYNC_UNCHANGED, /* Plex already matched */
	S2P_SYNC_GONE,      /* the scene no longer exists in Stash */
	S2P_SYNC_SKIPPED,   /* nothing to do (no file, secondary part, ...) */
};

struct s2p_sync_result {
	enum s2p_sync_outcome outcome;
	char rating_key[64];
	char title[128];
	char note[256];
	struct s2p_strv changed; /* field names written (or to be written) */
	int plex_reached; /* the Plex stage was reached: a failure from there
			   * on is Plex's (it feeds the breaker) */
};

enum s2p_sync_mode {
	S2P_SYNC_NORMAL,  /* skip Plex entirely when nothing changed since */
	S2P_SYNC_VERIFY,  /* read the Plex item even if nothing changed */
	S2P_SYNC_DRY_RUN, /* like VERIFY, but write nothing, not even state */
};

/* Sync scene id. Returns S2P_OK with res filled, or the failure code (err
 * filled). res->changed holds "field: old -> new" lines. The caller frees
 * res with s2p_sync_result_free. */
int s2p_sync_scene(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    enum s2p_sync_mode mode, struct s2p_sync_result *res,
    struct s2p_error *err) S2P_NODISCARD;
/* The same with the scene already read by the caller (a batch, see
 * s2p_stash_find_scenes): sc is borrowed, NULL when Stash has no scene id. */
int s2p_sync_scene_with(struct s2p_ctx *ctx, struct s2p_matcher *m, int64_t id,
    const struct s2p_scene *sc, enum s2p_sync_mode mode,
    struct s2p_sync_result *res, struct s2p_error *err) S2P_NODISCARD;
void s2p_sync_result_free(struct s2p_sync_result *res);

#endif
