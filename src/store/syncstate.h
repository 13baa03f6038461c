/*
 * syncstate.h - what we last wrote to Plex for each scene: the Plex item,
 * a digest of the values, the cover URL and a digest of its bytes, and the
 * studio collection we put the item in. An unchanged scene then costs no
 * Plex request, an unchanged cover is never uploaded again, and a studio
 * change moves the item out of the collection we added. Also the small
 * "fanout" list (renamed performers/studios/tags whose scenes must be
 * re-queued; the hook records them, the worker expands them) and a
 * key/value table.
 */
#ifndef S2P_SYNCSTATE_H
#define S2P_SYNCSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"
#include "store/db.h"

struct s2p_sync_state {
	char rating_key[64];
	char values_hash[24];
	char image_url[1024];
	char image_hash[24];
	char collection[256];
	double synced_at;
};

/* S2P_ENOTFOUND when the scene was never synced. */
int s2p_syncstate_get(struct s2p_db *db, int64_t scene_id,
    struct s2p_sync_state *out, struct s2p_error *err) S2P_NODISCARD;
int s2p_syncstate_put(struct s2p_db *db, int64_t scene_id,
    const struct s2p_sync_state *st, struct s2p_error *err) S2P_NODISCARD;
/* Forget a scene (deleted in Stash). */
int s2p_syncstate_delete(struct s2p_db *db, int64_t scene_id,
    struct s2p_error *err) S2P_NODISCARD;
/* Forget every scene mapped to a Plex item that no longer exists. */
int s2p_syncstate_forget_item(struct s2p_db *db, const char *rating_key,
    struct s2p_error *err) S2P_NODISCARD;

/* The scene other than except_scene that the Plex item was last synced
 * for, in *owner (0 when none). */
int s2p_syncstate_owner(struct s2p_db *db, const char *rating_key,
    int64_t except_scene, int64_t *owner, struct s2p_error *err) S2P_NODISCARD;

/* Record that the scenes of a renamed object must be re-queued. */
int s2p_fanout_add(struct s2p_db *db, const char *kind, const char *object_id,
    double now, struct s2p_error *err) S2P_NODISCARD;
/* Take (and delete) the oldest fanout request. S2P_ENOTFOUND when none. */
int s2p_fanout_take(struct s2p_db *db, char *kind, size_t kind_len,
    char *object_id, size_t id_len, struct s2p_error *err) S2P_NODISCARD;

/* Number of recorded renames not yet expanded. */
long s2p_fanout_pending(struct s2p_db *db);
/* The name last seen for a performer/studio/tag: *name is new, or NULL
 * (S2P_ENOTFOUND) when it was never seen. */
int s2p_seen_name_get(struct s2p_db *db, const char *kind,
    const char *object_id, char **name, struct s2p_error *err) S2P_NODISCARD;
/* Remember name as the one last seen (replacing any earlier one). */
int s2p_seen_name_put(struct s2p_db *db, const char *kind,
    const char *object_id, const char *name,
    struct s2p_error *err) S2P_NODISCARD;
/* Remember the names of a scene's refs ("kind\tid\tname", see
 * struct s2p_scene) that were never seen; names already known are left
 * alone (only a fan-out moves them, so a rename is never missed because a
 * scene sync saw the new name first). One transaction. */
int s2p_seen_names_note(struct s2p_db *db, const struct s2p_strv *refs,
    struct s2p_error *err) S2P_NODISCARD;

/* The newest synced_at (0 when none) and how many scenes have a state. */
int s2p_syncstate_last(struct s2p_db *db, double *t_out, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* kv key: when the last reconcile (manual or automatic) queued scenes. */
#define S2P_KV_LAST_RECONCILE "last_reconcile"
/* Small persistent settings: S2P_ENOTFOUND when key is absent. */
int s2p_kv_get(struct s2p_db *db, const char *key, char *out, size_t len,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_kv_put(struct s2p_db *db, const char *key, const char *value,
    struct s2p_error *err) S2P_NODISCARD;

#endif
