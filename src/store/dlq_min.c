/*
 * dlq_min.c - retry or drop chosen dead letters (see dlq_min.h).
 */
#include "dlq_min.h"

#include "core/xalloc.h"

static const char retry_sql[] =
    "INSERT INTO job (scene_id, state, dirty, attempts, not_before,"
    " enqueued_at, updated_at, reason)"
    " SELECT scene_id, 'pending', 0, 0, ?2, ?2, ?2, 'dlq'"
    " FROM dead_letter WHERE id = ?1 AND true"
    " ON CONFLICT (scene_id) DO UPDATE SET updated_at = ?2,"
    " not_before = MIN(not_before, ?2),"
    " dirty = CASE WHEN state = 'running' THEN 1 ELSE dirty END";

/* Run sql (may be NULL: drop only) then delete dead letter id. */
static int
one_id(struct s2p_db *db, sqlite3_stmt *ins, sqlite3_stmt *del, int64_t id,
    double now, struct s2p_error *err)
{
	int src = SQLITE_OK, rc;

	if (ins != NULL) {
		src = sqlite3_reset(ins);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(ins, 1, id);
		if (src == SQLITE_OK)
			src = sqlite3_bind_double(ins, 2, now);
		if (src != SQLITE_OK)
			return s2p_db_error(db, src, "retry dead letter", err);
		rc = s2p_db_step_done(db, ins, "retry dead letter", err);
		if (rc != S2P_OK)
			return rc;
	}
	src = sqlite3_reset(del);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(del, 1, id);
	if (src != SQLITE_OK)
		return s2p_db_error(db, src, "delete dead letter", err);
	rc = s2p_db_step_done(db, del, "delete dead letter", err);
	if (rc == S2P_OK && sqlite3_changes(s2p_db_handle(db)) == 0)
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "no dead letter with id %lld", (long long)id);
	return rc;
}

/* One transaction over ids: retry (with_job) or drop each. */
static int
each_id(struct s2p_db *db, const int64_t *ids, size_t n, int with_job,
    double now, long *n_out, struct s2p_error *err)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	size_t i;
	int rc;

	if (n_out != NULL)
		*n_out = 0;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	if (with_job)
		rc = s2p_db_prepare(db, &ins, retry_sql, err);
	if (rc == S2P_OK)
		rc = s2p_db_prepare(db, &del,
		    "DELETE FROM dead_letter WHERE id = ?1", err);
	for (i = 0; rc == S2P_OK && i < n; i++)
		rc = one_id(db, ins, del, ids[i], now, err);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	rc = s2p_db_tx_end(db, rc, err);
	if (rc == S2P_OK && n_out != NULL)
		*n_out = (long)n;
	return rc;
}

int
s2p_dlq_retry(struct s2p_db *db, const int64_t *ids, size_t n, double now,
    long *n_out, struct s2p_error *err)
{
	return each_id(db, ids, n, 1, now, n_out, err);
}

int
s2p_dlq_drop(struct s2p_db *db, const int64_t *ids, size_t n, long *n_out,
    struct s2p_error *err)
{
	return each_id(db, ids, n, 0, 0, n_out, err);
}
