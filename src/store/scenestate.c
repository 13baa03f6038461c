/*
 * scenestate.c - one scene's queue, dead-letter and sync rows read
 * together (see scenestate.h).
 */
#include "scenestate.h"

#include <stdio.h>
#include <string.h>

#include "store/syncstate.h"

/* The scene's job row, if any. */
static int
read_job(struct s2p_db *db, int64_t scene_id, struct s2p_scene_state *o,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = s2p_db_prepare(db, &st,
	    "SELECT state, attempts, not_before, enqueued_at, reason,"
	    " error_class, last_error FROM job WHERE scene_id = ?",
	    err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_int64(st, 1, scene_id);
	rc = s2p_db_step_row(db, st, "read the scene's job", err);
	if (rc == S2P_OK) {
		o->has_job = 1;
		s2p_db_copy_col(st, 0, o->job_state, sizeof(o->job_state));
		o->attempts = sqlite3_column_int(st, 1);
		o->not_before = sqlite3_column_double(st, 2);
		o->enqueued_at = sqlite3_column_double(st, 3);
		s2p_db_copy_col(st, 4, o->reason, sizeof(o->reason));
		s2p_db_copy_col(st, 5, o->job_class, sizeof(o->job_class));
		s2p_db_copy_col(st, 6, o->job_error, sizeof(o->job_error));
	} else if (rc == S2P_ENOTFOUND) {
		rc = S2P_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The scene's newest dead letter, if any. */
static int
read_dead(struct s2p_db *db, int64_t scene_id, struct s2p_scene_state *o,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = s2p_db_prepare(db, &st,
	    "SELECT id, failed_at, attempts, error_class, message"
	    " FROM dead_letter WHERE scene_id = ?"
	    " ORDER BY failed_at DESC, id DESC LIMIT 1",
	    err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_int64(st, 1, scene_id);
	rc = s2p_db_step_row(db, st, "read the scene's dead letter", err);
	if (rc == S2P_OK) {
		o->has_dead = 1;
		o->dead_id = sqlite3_column_int64(st, 0);
		o->dead_at = sqlite3_column_double(st, 1);
		o->dead_attempts = sqlite3_column_int(st, 2);
		s2p_db_copy_col(st, 3, o->dead_class, sizeof(o->dead_class));
		s2p_db_copy_col(st, 4, o->dead_error, sizeof(o->dead_error));
	} else if (rc == S2P_ENOTFOUND) {
		rc = S2P_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* What was last written to Plex for the scene, if anything. */
static int
read_sync(struct s2p_db *db, int64_t scene_id, struct s2p_scene_state *o,
    struct s2p_error *err)
{
	struct s2p_sync_state ss;
	int rc = s2p_syncstate_get(db, scene_id, &ss, err);

	if (rc == S2P_ENOTFOUND)
		return S2P_OK;
	if (rc != S2P_OK)
		return rc;
	o->has_sync = 1;
	snprintf(o->rating_key, sizeof(o->rating_key), "%s", ss.rating_key);
	o->synced_at = ss.synced_at;
	return S2P_OK;
}

int
s2p_scene_state_get(struct s2p_db *db, int64_t scene_id,
    struct s2p_scene_state *out, struct s2p_error *err)
{
	int rc;

	/* Three plain reads, no transaction: BEGIN IMMEDIATE would wait for a
	 * busy worker's write lock, and the badge tolerates a job moving
	 * between two of the reads. */
	memset(out, 0, sizeof(*out));
	rc = read_job(db, scene_id, out, err);
	if (rc == S2P_OK)
		rc = read_dead(db, scene_id, out, err);
	if (rc == S2P_OK)
		rc = read_sync(db, scene_id, out, err);
	return rc;
}
