/*
 * dlq.c - reading and acting on single dead letters (table dead_letter):
 * list them with their detail, show one, put chosen ones back on the queue
 * (one job per entry, merged with a job already queued for the scene) and
 * drop them. Which entries deserve a retry is the caller's policy; moving a
 * job into the table is queue.c's (s2p_queue_dead_letter_detail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/queue.h"

#define DEAD_COLS                                                              \
	"id, scene_id, attempts, failed_at, first_failed_at, error_class,"     \
	" message, title, reason, candidates"

/* Read the DEAD_COLS of st's current row into *j. */
static void
read_dead(sqlite3_stmt *st, struct s2p_dead_job *j)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->scene_id = sqlite3_column_int64(st, 1);
	j->attempts = sqlite3_column_int(st, 2);
	j->failed_at = sqlite3_column_double(st, 3);
	j->first_failed_at = sqlite3_column_double(st, 4);
	s2p_db_copy_col(st, 5, j->error_class, sizeof(j->error_class));
	s2p_db_copy_col(st, 6, j->message, sizeof(j->message));
	s2p_db_copy_col(st, 7, j->title, sizeof(j->title));
	s2p_db_copy_col(st, 8, j->reason, sizeof(j->reason));
	s2p_db_copy_col(st, 9, j->candidates, sizeof(j->candidates));
	if (j->candidates[0] == '\0')
		snprintf(j->candidates, sizeof(j->candidates), "[]");
}

int
s2p_dlq_list(struct s2p_db *db, long limit, s2p_dlq_fn fn, void *payload,
    struct s2p_error *err)
{
	struct s2p_dead_job job;
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st,
	    "SELECT " DEAD_COLS
	    " FROM dead_letter ORDER BY failed_at DESC, id DESC LIMIT ?1",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, limit > 0 ? (sqlite3_int64)limit : -1);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		read_dead(st, &job);
		rc = fn(&job, payload);
		if (rc != 0)
			goto out;
		src = SQLITE_OK;
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "list dead letters", err);
out:
	sqlite3_finalize(st);
	return rc;
}

int
s2p_dlq_get(struct s2p_db *db, int64_t id, struct s2p_dead_job *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	memset(out, 0, sizeof(*out));
	rc = s2p_db_prepare(db, &st,
	    "SELECT " DEAD_COLS " FROM dead_letter WHERE id = ?1", err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, id);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_dead(st, out);
	else if (src == SQLITE_DONE)
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "no dead letter with id %lld", (long long)id);
	else
		rc = s2p_db_error(db, src, "read dead letter", err);
out:
	sqlite3_finalize(st);
	return rc;
}

int
s2p_dlq_class_counts(struct s2p_db *db, s2p_dlq_count_fn fn, void *payload,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st,
	    "SELECT error_class, count(*) AS n FROM dead_letter"
	    " GROUP BY error_class ORDER BY n DESC, error_class",
	    err);
	if (rc != S2P_OK)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *c = sqlite3_column_text(st, 0);

		rc = fn(c != NULL && c[0] ? (const char *)c : "unknown",
		    (long)sqlite3_column_int64(st, 1), payload);
		if (rc != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "count dead letters", err);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Prepare sql, bind id to ?1, step it. */
static int
exec_id(struct s2p_db *db, const char *sql, int64_t id, const char *what,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st, sql, err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_bind_int64(st, 1, id);
	if (src != SQLITE_OK)
		rc = s2p_db_error(db, src, what, err);
	else
		rc = s2p_db_step_done(db, st, what, err);
	sqlite3_finalize(st);
	return rc;
}

/* Delete each entry of ids, first putting its scene back on the queue (due
 * now; s2p_queue_due_now) when requeue is set, in one transaction; an id
 * that is not a dead letter fails it all. */
static int
each_id(struct s2p_db *db, const int64_t *ids, size_t n, int requeue,
    double now, long *n_out, const char *what, struct s2p_error *err)
{
	struct s2p_dead_job j;
	size_t i;
	int rc;

	if (n_out != NULL)
		*n_out = 0;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	for (i = 0; rc == S2P_OK && i < n; i++) {
		rc = s2p_dlq_get(db, ids[i], &j, err);
		if (rc == S2P_OK && requeue)
			rc = s2p_queue_due_now(db, j.scene_id, S2P_REASON_RETRY,
			    now, err);
		if (rc == S2P_OK)
			rc = exec_id(db,
			    "DELETE FROM dead_letter WHERE id = ?1", ids[i],
			    what, err);
	}
	rc = s2p_db_tx_end(db, rc, err);
	if (rc == S2P_OK && n_out != NULL)
		*n_out = (long)n;
	return rc;
}

int
s2p_dlq_retry(struct s2p_db *db, const int64_t *ids, size_t n, double now,
    long *n_out, struct s2p_error *err)
{
	return each_id(db, ids, n, 1, now, n_out, "retry dead letter", err);
}

int
s2p_dlq_drop(struct s2p_db *db, const int64_t *ids, size_t n, long *n_out,
    struct s2p_error *err)
{
	return each_id(db, ids, n, 0, 0, n_out, "drop dead letter", err);
}
