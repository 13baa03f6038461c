/*
 * queue.c - the durable job queue (table job) and the dead-letter queue
 * (table dead_letter) on top of db.c. One row per scene; states pending and
 * running; "dirty" remembers an update that arrived during an attempt; a
 * claim is a lease that expires; backoff is the pair (attempts, not_before).
 * Every operation is one statement or one transaction, so a crash at any
 * point leaves the queue consistent. Policy (how long to back off, when to
 * give up) belongs to the worker, not here. See docs/internals/queue.md.
 */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/testpause.h"
#include "core/xalloc.h"

/* Longest stored message; s2p_dead_job.message holds it with room to spare. */
#define MSG_MAX 500
/* Stored text is capped so that it always fits the public structs. */
#define REASON_MAX 31
#define CLASS_MAX (sizeof(((struct s2p_job *)0)->error_class) - 1)
#define TITLE_MAX (sizeof(((struct s2p_dead_job *)0)->title) - 1)
#define CAND_MAX (sizeof(((struct s2p_dead_job *)0)->candidates) - 1)

static const char *const reason_names[] = {
    [S2P_REASON_HOOK] = "hook",
    [S2P_REASON_CREATE] = "create",
    [S2P_REASON_ALL] = "all",
    [S2P_REASON_RECENT] = "recent",
    [S2P_REASON_RECONCILE] = "reconcile",
    [S2P_REASON_FANOUT] = "rename",
    [S2P_REASON_RETRY] = "dlq",
};

const char *
s2p_job_reason_name(enum s2p_job_reason r)
{
	s2p_assert((size_t)r < S2P_ARRAY_LEN(reason_names));
	return reason_names[r];
}

enum s2p_job_reason
s2p_job_reason_parse(const char *name)
{
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(reason_names); i++)
		if (name != NULL && strcmp(name, reason_names[i]) == 0)
			return (enum s2p_job_reason)i;
	return S2P_REASON_HOOK;
}

/* Length of s cut to at most max bytes without splitting a UTF-8
 * sequence. */
static int
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

/* Bind s (NULL as "") capped to max bytes. Returns an SQLite code. */
static int
bind_capped(sqlite3_stmt *st, int idx, const char *s, size_t max)
{
	if (s == NULL)
		s = "";
	return sqlite3_bind_text(st, idx, s, utf8_cut(s, max),
	    SQLITE_TRANSIENT);
}

/* Number of rows the last statement on db changed. */
static long
changes(struct s2p_db *db)
{
	return (long)sqlite3_changes(s2p_db_handle(db));
}

/* The two statements of an enqueue, prepared once per enqueue. */
struct enq {
	sqlite3_stmt *ins;
	sqlite3_stmt *upd;
};

static int
enq_prepare(struct s2p_db *db, struct enq *e, enum s2p_job_reason reason,
    double now, struct s2p_error *err)
{
	int rc, src;

	rc = s2p_db_prepare_cached(db, &e->ins,
	    "INSERT INTO job (scene_id, state, dirty, attempts, not_before,"
	    " enqueued_at, updated_at, reason)"
	    " VALUES (?1, 'pending', 0, 0, ?2, ?2, ?2, ?3)"
	    " ON CONFLICT (scene_id) DO NOTHING",
	    err);
	if (rc != S2P_OK)
		return rc;
	/* A pending row keeps its backoff; a running one must run again. */
	rc = s2p_db_prepare_cached(db, &e->upd,
	    "UPDATE job SET updated_at = ?2,"
	    " dirty = CASE WHEN state = 'running' THEN 1 ELSE dirty END"
	    " WHERE scene_id = ?1",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_bind_double(e->ins, 2, now);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(e->ins, 3, s2p_job_reason_name(reason),
		    -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(e->upd, 2, now);
	if (src != SQLITE_OK)
		return s2p_db_error(db, src, "bind enqueue", err);
	return S2P_OK;
}

static void
enq_finalize(struct enq *e)
{
	s2p_db_finalize(e->ins);
	s2p_db_finalize(e->upd);
}

/* Insert or coalesce one scene inside the caller's transaction. */
static int
enq_one(struct s2p_db *db, struct enq *e, int64_t scene_id, int *created,
    struct s2p_error *err)
{
	int rc, src;

	*created = 0;
	src = sqlite3_reset(e->ins);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(e->ins, 1, scene_id);
	if (src != SQLITE_OK)
		return s2p_db_error(db, src, "enqueue job", err);
	rc = s2p_db_step_done(db, e->ins, "enqueue job", err);
	if (rc != S2P_OK)
		return rc;
	if (changes(db) > 0) {
		*created = 1;
		return S2P_OK;
	}
	src = sqlite3_reset(e->upd);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(e->upd, 1, scene_id);
	if (src != SQLITE_OK)
		return s2p_db_error(db, src, "coalesce job", err);
	return s2p_db_step_done(db, e->upd, "coalesce job", err);
}

int
s2p_queue_enqueue_many(struct s2p_db *db, const int64_t *ids, size_t n,
    enum s2p_job_reason reason, double now, long *created_out,
    struct s2p_error *err)
{
	struct enq e = {NULL, NULL};
	long created = 0;
	size_t i;
	int rc, one;

	if (created_out != NULL)
		*created_out = 0;
	if (n == 0)
		return S2P_OK;
	if (ids == NULL)
		return s2p_error_set(err, S2P_EINVAL, "enqueue: no scene ids");
	/* Prepared (and the schema read) before the write lock is taken:
	 * the lock is held only for the writes themselves. */
	rc = enq_prepare(db, &e, reason, now, err);
	if (rc == S2P_OK)
		rc = s2p_db_begin(db, err);
	if (rc != S2P_OK) {
		enq_finalize(&e);
		return rc;
	}
	for (i = 0; rc == S2P_OK && i < n; i++) {
		rc = enq_one(db, &e, ids[i], &one, err);
		created += one;
	}
	enq_finalize(&e);
	s2p_test_pause("enqueue"); /* written, not committed */
	rc = s2p_db_tx_end(db, rc, err);
	if (rc == S2P_OK && created_out != NULL)
		*created_out = created;
	return rc;
}

/* 1 in *pending when scene_id's job will run (again) after now: pending,
 * or running and dirty. A newer edit needs no write then, since the claim
 * that runs it comes later and reads the scene afresh. A read, so it never
 * waits for the write lock. */
static int
enq_is_pending(struct s2p_db *db, int64_t scene_id, int *pending,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*pending = 0;
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT 1 FROM job WHERE scene_id = ?1"
	    " AND (state = 'pending' OR dirty = 1)",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_bind_int64(st, 1, scene_id);
	if (src != SQLITE_OK)
		rc = s2p_db_error(db, src, "look up the scene's job", err);
	else
		rc = s2p_db_step_row(db, st, "look up the scene's job", err);
	*pending = rc == S2P_OK;
	if (rc == S2P_ENOTFOUND)
		rc = S2P_OK;
	s2p_db_finalize(st);
	return rc;
}

int
s2p_queue_enqueue(struct s2p_db *db, int64_t scene_id,
    enum s2p_job_reason reason, double now, int *created_out,
    struct s2p_error *err)
{
	long created = 0;
	int rc, pending;

	if (created_out != NULL)
		*created_out = 0;
	/* Most hooks of a burst find their scene queued to run: they write
	 * nothing and never queue up for the write lock. */
	rc = enq_is_pending(db, scene_id, &pending, err);
	if (rc != S2P_OK || pending)
		return rc;
	rc = s2p_queue_enqueue_many(db, &scene_id, 1, reason, now, &created,
	    err);
	if (created_out != NULL)
		*created_out = rc == S2P_OK && created > 0;
	return rc;
}

int
s2p_queue_due_now(struct s2p_db *db, int64_t scene_id,
    enum s2p_job_reason reason, double now, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare_cached(db, &st,
	    "INSERT INTO job (scene_id, state, dirty, attempts, not_before,"
	    " enqueued_at, updated_at, reason)"
	    " VALUES (?1, 'pending', 0, 0, ?2, ?2, ?2, ?3)"
	    " ON CONFLICT (scene_id) DO UPDATE SET updated_at = ?2,"
	    " not_before = min(not_before, ?2),"
	    " dirty = CASE WHEN state = 'running' THEN 1 ELSE dirty END",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_bind_int64(st, 1, scene_id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 2, now);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 3, s2p_job_reason_name(reason), -1,
		    SQLITE_STATIC);
	if (src != SQLITE_OK)
		rc = s2p_db_error(db, src, "queue the scene", err);
	else
		rc = s2p_db_step_done(db, st, "queue the scene", err);
	s2p_db_finalize(st);
	return rc;
}

/* The claim is one statement: the earliest due pending rows and the earliest
 * running rows whose lease expired are each found through the job_claim
 * index (LIMIT max each), and the earliest max of them are taken. Claiming
 * starts a new attempt that reads the scene afresh, so dirty is cleared. */
static const char claim_sql[] =
    "UPDATE job SET state = 'running', dirty = 0,"
    " lease_until = ?1 + ?2, updated_at = ?1"
    " WHERE id IN ("
    "  SELECT id FROM ("
    "   SELECT * FROM (SELECT id, not_before FROM job"
    "    WHERE state = 'pending' AND not_before <= ?1"
    "    ORDER BY not_before, id LIMIT ?3)"
    "   UNION ALL"
    "   SELECT * FROM (SELECT id, not_before FROM job"
    "    WHERE state = 'running' AND lease_until <= ?1"
    "    ORDER BY not_before, id LIMIT ?3))"
    "  ORDER BY not_before, id LIMIT ?3)"
    " RETURNING id, scene_id, attempts, not_before, enqueued_at, reason,"
    " error_class";

/* Claim order: (not_before, id), as the statement chose them (RETURNING
 * has no defined order). */
static int
job_order(const void *a, const void *b)
{
	const struct s2p_job *x = a, *y = b;

	if (x->not_before != y->not_before)
		return x->not_before < y->not_before ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
job_from_row(sqlite3_stmt *st, struct s2p_job *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->scene_id = sqlite3_column_int64(st, 1);
	out->attempts = sqlite3_column_int(st, 2);
	out->not_before = sqlite3_column_double(st, 3);
	out->enqueued_at = sqlite3_column_double(st, 4);
	out->reason = s2p_job_reason_parse(
	    (const char *)sqlite3_column_text(st, 5));
	s2p_db_copy_col(st, 6, out->error_class, sizeof(out->error_class));
}

int
s2p_queue_claim_many(struct s2p_db *db, double now, double lease_secs,
    size_t max, struct s2p_job *out, size_t *n, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*n = 0;
	if (!(lease_secs > 0) || max == 0)
		return s2p_error_set(err, S2P_EINVAL,
		    "claim: lease and batch size must be positive");
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = s2p_db_prepare_cached(db, &st, claim_sql, err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_double(st, 1, now);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 2, lease_secs);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	while (src == SQLITE_ROW && *n < max) {
		memset(&out[*n], 0, sizeof(out[*n]));
		job_from_row(st, &out[(*n)++]);
		src = sqlite3_step(st);
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "claim job", err);
out:
	s2p_db_finalize(st);
	rc = s2p_db_tx_end(db, rc, err);
	if (rc != S2P_OK)
		*n = 0;
	else if (*n == 0)
		rc = s2p_error_set(err, S2P_ENOTFOUND, "queue: no job is due");
	else
		qsort(out, *n, sizeof(*out), job_order);
	return rc;
}

int
s2p_queue_claim(struct s2p_db *db, double now, double lease_secs,
    struct s2p_job *out, struct s2p_error *err)
{
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(lease_secs > 0))
		return s2p_error_set(err, S2P_EINVAL,
		    "claim: lease must be positive");
	rc = s2p_queue_claim_many(db, now, lease_secs, 1, out, &n, err);
	if (rc != S2P_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Run one statement with job_id bound to ?1 and now (if not NULL) to ?2,
 * and fail with S2P_ENOTFOUND when it changed no row. */
static int
exec_job(struct s2p_db *db, const char *sql, int64_t job_id, const double *now,
    const char *what, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare_cached(db, &st, sql, err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, job_id);
	if (src == SQLITE_OK && now != NULL)
		src = sqlite3_bind_double(st, 2, *now);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, what, err);
		goto out;
	}
	rc = s2p_db_step_done(db, st, what, err);
	if (rc == S2P_OK && changes(db) == 0)
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "queue: cannot %s: job %lld is not queued", what,
		    (long long)job_id);
out:
	s2p_db_finalize(st);
	return rc;
}

/* Fields of a job row that ack and dead_letter decide on. */
struct job_row {
	int64_t scene_id;
	int attempts;
	int dirty;
	int running;
	char reason[32];
	double first_failed_at; /* 0: no failed attempt before */
};

/* Read job_id's row into *row. S2P_ENOTFOUND when it is not queued. */
static int
read_job(struct s2p_db *db, int64_t job_id, struct job_row *row,
    const char *what, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	memset(row, 0, sizeof(*row));
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT scene_id, attempts, dirty, state = 'running', reason,"
	    " first_failed_at FROM job WHERE id = ?1",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, job_id);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "queue: cannot %s: job %lld is not queued", what,
		    (long long)job_id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = s2p_db_error(db, src, what, err);
		goto out;
	}
	row->scene_id = sqlite3_column_int64(st, 0);
	row->attempts = sqlite3_column_int(st, 1);
	row->dirty = sqlite3_column_int(st, 2);
	row->running = sqlite3_column_int(st, 3);
	s2p_db_copy_col(st, 4, row->reason, sizeof(row->reason));
	row->first_failed_at = sqlite3_column_double(st, 5);
out:
	s2p_db_finalize(st);
	return rc;
}

/* Turn the row into a fresh pending job for the update that arrived while
 * it ran: attempts 0, due now, no error. */
static const char repend_sql[] =
    "UPDATE job SET state = 'pending', dirty = 0, attempts = 0,"
    " not_before = ?2, lease_until = NULL, enqueued_at = ?2,"
    " updated_at = ?2, error_class = '', last_error = '',"
    " first_failed_at = 0 WHERE id = ?1";

/* The writes of one ack inside the caller's transaction: delete the row,
 * or re-pend it when it went dirty; a row pending again stays. */
static int
ack_one(struct s2p_db *db, int64_t job_id, double now, struct s2p_error *err)
{
	struct job_row row;
	int rc;

	/* The common case in one statement: a clean running row goes. */
	rc = exec_job(db,
	    "DELETE FROM job WHERE id = ?1 AND state = 'running' AND dirty = 0",
	    job_id, NULL, "delete job", err);
	if (rc != S2P_ENOTFOUND)
		return rc;
	s2p_error_clear(err);
	rc = read_job(db, job_id, &row, "acknowledge job", err);
	if (rc != S2P_OK)
		return rc;
	/* A row that is pending again was recovered as an orphan while we
	 * worked; an update may have merged into it since, so it stays. */
	if (row.running && row.dirty)
		rc = exec_job(db, repend_sql, job_id, &now, "re-queue job",
		    err);
	else if (row.running)
		rc = exec_job(db, "DELETE FROM job WHERE id = ?1", job_id, NULL,
		    "delete job", err);
	return rc;
}

int
s2p_queue_ack(struct s2p_db *db, int64_t job_id, double now,
    struct s2p_error *err)
{
	int rc;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = ack_one(db, job_id, now, err);
	if (rc == S2P_OK)
		rc = s2p_db_counter_add(db, "done", 1, err);
	s2p_test_pause("ack"); /* written, not committed */
	return s2p_db_tx_end(db, rc, err);
}

int
s2p_queue_ack_many(struct s2p_db *db, const int64_t *job_ids, size_t n,
    double now, struct s2p_error *err)
{
	int64_t done = 0;
	size_t i;
	int rc;

	if (n == 0)
		return S2P_OK;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	for (i = 0; i < n && rc == S2P_OK; i++) {
		rc = ack_one(db, job_ids[i], now, err);
		if (rc == S2P_ENOTFOUND) { /* cleared or acked meanwhile */
			s2p_error_clear(err);
			rc = S2P_OK;
			continue;
		}
		done += rc == S2P_OK;
		s2p_test_pause("ack"); /* written, not committed */
	}
	if (rc == S2P_OK)
		rc = s2p_db_counter_add(db, "done", done, err);
	return s2p_db_tx_end(db, rc, err);
}

int
s2p_queue_retry(struct s2p_db *db, int64_t job_id, double not_before,
    int count_attempt, const char *error_class, const char *msg, double now,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	char *clean = s2p_log_redact(msg != NULL ? msg : "");
	int rc, src;

	/* A dirty flag is dropped: this retry reads the scene afresh. */
	rc = s2p_db_prepare_cached(db, &st,
	    "UPDATE job SET state = 'pending', dirty = 0, lease_until = NULL,"
	    " not_before = ?2, attempts = attempts + ?3, error_class = ?4,"
	    " last_error = ?5, updated_at = ?6,"
	    " first_failed_at = CASE WHEN first_failed_at > 0"
	    "  THEN first_failed_at ELSE ?6 END WHERE id = ?1",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, job_id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 2, not_before);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 3, count_attempt ? 1 : 0);
	if (src == SQLITE_OK)
		src = bind_capped(st, 4, error_class, CLASS_MAX);
	if (src == SQLITE_OK)
		src = bind_capped(st, 5, clean, MSG_MAX);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 6, now);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "retry job", err);
		goto out;
	}
	rc = s2p_db_step_done(db, st, "retry job", err);
	if (rc == S2P_OK && changes(db) == 0)
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "queue: cannot retry job %lld: not queued",
		    (long long)job_id);
out:
	s2p_db_finalize(st);
	free(clean);
	return rc;
}

int
s2p_queue_release(struct s2p_db *db, int64_t job_id, double now,
    struct s2p_error *err)
{
	return exec_job(db,
	    "UPDATE job SET state = 'pending', dirty = 0, lease_until = NULL,"
	    " updated_at = ?2 WHERE id = ?1",
	    job_id, &now, "release job", err);
}

/* Insert the dead-letter record for row (d: title and candidates, may be
 * NULL). */
static int
insert_dead(struct s2p_db *db, const struct job_row *row,
    const char *error_class, const char *msg, const struct s2p_dead_detail *d,
    double now, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare_cached(db, &st,
	    "INSERT INTO dead_letter (scene_id, attempts, failed_at,"
	    " error_class, message, reason, title, first_failed_at,"
	    " candidates) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, row->scene_id);
	/* The failure that gives up on the job is an attempt too. */
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 2, row->attempts + 1);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 3, now);
	if (src == SQLITE_OK)
		src = bind_capped(st, 4, error_class, CLASS_MAX);
	if (src == SQLITE_OK)
		src = bind_capped(st, 5, msg, MSG_MAX);
	if (src == SQLITE_OK)
		src = bind_capped(st, 6, row->reason, REASON_MAX);
	if (src == SQLITE_OK)
		src = bind_capped(st, 7, d != NULL ? d->title : "", TITLE_MAX);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 8,
		    row->first_failed_at > 0 ? row->first_failed_at : now);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 9,
		    d != NULL && d->candidates != NULL &&
			    strlen(d->candidates) <= CAND_MAX
			? d->candidates
			: "[]",
		    -1, SQLITE_TRANSIENT);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "dead-letter job", err);
		goto out;
	}
	rc = s2p_db_step_done(db, st, "dead-letter job", err);
out:
	s2p_db_finalize(st);
	return rc;
}

int
s2p_queue_dead_letter(struct s2p_db *db, int64_t job_id,
    const char *error_class, const char *msg, double now, struct s2p_error *err)
{
	return s2p_queue_dead_letter_detail(db, job_id, error_class, msg, NULL,
	    now, err);
}

int
s2p_queue_dead_letter_detail(struct s2p_db *db, int64_t job_id,
    const char *error_class, const char *msg, const struct s2p_dead_detail *d,
    double now, struct s2p_error *err)
{
	char *clean = s2p_log_redact(msg != NULL ? msg : "");
	struct job_row row;
	int rc;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		goto out;
	rc = read_job(db, job_id, &row, "dead-letter job", err);
	if (rc == S2P_OK)
		rc = insert_dead(db, &row, error_class, clean, d, now, err);
	if (rc == S2P_OK && row.dirty)
		rc = exec_job(db, repend_sql, job_id, &now, "re-queue job",
		    err);
	else if (rc == S2P_OK)
		rc = exec_job(db, "DELETE FROM job WHERE id = ?1", job_id, NULL,
		    "delete job", err);
	rc = s2p_db_tx_end(db, rc, err);
out:
	free(clean);
	return rc;
}

/* Run sql (with ?1 bound to a if has_a) and report the number of changed
 * rows in *n_out (may be NULL). */
static int
exec_count(struct s2p_db *db, const char *sql, int has_a, double a, long *n_out,
    const char *what, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	if (n_out != NULL)
		*n_out = 0;
	rc = s2p_db_prepare_cached(db, &st, sql, err);
	if (rc != S2P_OK)
		goto out;
	if (has_a) {
		src = sqlite3_bind_double(st, 1, a);
		if (src != SQLITE_OK) {
			rc = s2p_db_error(db, src, what, err);
			goto out;
		}
	}
	rc = s2p_db_step_done(db, st, what, err);
	if (rc == S2P_OK && n_out != NULL)
		*n_out = changes(db);
out:
	s2p_db_finalize(st);
	return rc;
}

int
s2p_queue_unskew(struct s2p_db *db, double now, double ahead, long *n_out,
    struct s2p_error *err)
{
	char sql[160];

	/* ahead is ours, never input: printed into the statement. */
	snprintf(sql, sizeof(sql),
	    "UPDATE job SET not_before = ?1 WHERE state = 'pending'"
	    " AND not_before > ?1 + %.0f",
	    ahead);
	return exec_count(db, sql, 1, now, n_out, "re-time jobs", err);
}

int
s2p_queue_recover_orphans(struct s2p_db *db, double now, long *n_out,
    struct s2p_error *err)
{
	return exec_count(db,
	    "UPDATE job SET state = 'pending', dirty = 0, lease_until = NULL,"
	    " updated_at = ?1 WHERE state = 'running'",
	    1, now, n_out, "recover orphaned jobs", err);
}

int
s2p_queue_clear(struct s2p_db *db, long *n_out, struct s2p_error *err)
{
	return exec_count(db, "DELETE FROM job WHERE state = 'pending'", 0, 0,
	    n_out, "clear queue", err);
}

/* One statement, so one consistent snapshot. A running row whose lease has
 * expired is waiting to be claimed again: it counts as pending and due. */
static const char counts_sql[] =
    "WITH waiting AS (SELECT not_before FROM job"
    "  WHERE state = 'pending'"
    "  OR (state = 'running' AND lease_until <= ?1))"
    " SELECT"
    " (SELECT count(*) FROM waiting),"
    " (SELECT count(*) FROM waiting WHERE not_before <= ?1),"
    " (SELECT count(*) FROM job"
    "   WHERE state = 'running' AND lease_until > ?1),"
    " (SELECT count(*) FROM dead_letter),"
    " coalesce((SELECT value FROM counter WHERE name = 'done'), 0),"
    " coalesce((SELECT min(not_before) FROM waiting), 0)";

int
s2p_queue_counts(struct s2p_db *db, double now, struct s2p_queue_counts *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	memset(out, 0, sizeof(*out));
	rc = s2p_db_prepare_cached(db, &st, counts_sql, err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_double(st, 1, now);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = s2p_db_error(db, src, "count jobs", err);
		goto out;
	}
	out->pending = (long)sqlite3_column_int64(st, 0);
	out->due = (long)sqlite3_column_int64(st, 1);
	out->running = (long)sqlite3_column_int64(st, 2);
	out->dead = (long)sqlite3_column_int64(st, 3);
	out->done = (long)sqlite3_column_int64(st, 4);
	out->next_due = sqlite3_column_double(st, 5);
out:
	s2p_db_finalize(st);
	return rc;
}

int
s2p_queue_size(struct s2p_db *db, long *n_out, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*n_out = 0;
	rc = s2p_db_prepare_cached(db, &st, "SELECT count(*) FROM job", err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*n_out = (long)sqlite3_column_int64(st, 0);
	else
		rc = s2p_db_error(db, src, "count jobs", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_queue_has_work(struct s2p_db *db, int *any_out, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*any_out = 0;
	rc = s2p_db_prepare_cached(db, &st, "SELECT EXISTS (SELECT 1 FROM job)",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*any_out = sqlite3_column_int(st, 0) != 0;
	else
		rc = s2p_db_error(db, src, "look for jobs", err);
	s2p_db_finalize(st);
	return rc;
}

/* The dead rows a requeue selects: ?1 from, ?2 to, ?3 class or NULL. */
#define DLQ_WINDOW                                                             \
	" WHERE failed_at >= ?1 AND failed_at <= ?2"                           \
	" AND (?3 IS NULL OR error_class = ?3)"

/* Bind the requeue window to st. Returns an SQLite code. */
static int
bind_window(sqlite3_stmt *st, double from, double to, const char *cls)
{
	int src = sqlite3_bind_double(st, 1, from);

	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 2, to);
	if (src == SQLITE_OK)
		src = cls != NULL ? bind_capped(st, 3, cls, CLASS_MAX)
				  : sqlite3_bind_null(st, 3);
	return src;
}

/* Binds the WHERE clause's parameters (from ?1 on) of a requeue. */
typedef int (*bind_fn)(sqlite3_stmt *st, const void *arg);

/* Re-queue the dead rows selected by where (parameters bound by bind from
 * ?1; ?9 is now) and delete them. */
static int
requeue_where(struct s2p_db *db, const char *where, bind_fn bind,
    const void *arg, double now, long *n_out, struct s2p_error *err)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	char *sql;
	long n = 0;
	int rc, src;

	if (n_out != NULL)
		*n_out = 0;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	/* Oldest failure first; a scene already queued (or listed twice)
	 * keeps one row. Every selected dead row is then covered by a queued
	 * job, so all of them go. */
	sql = s2p_xasprintf(
	    "INSERT INTO job (scene_id, state, dirty, attempts, not_before,"
	    " enqueued_at, updated_at, reason)"
	    " SELECT scene_id, 'pending', 0, 0, ?9, ?9, ?9, 'dlq'"
	    " FROM dead_letter%s ORDER BY failed_at, id"
	    " ON CONFLICT (scene_id) DO NOTHING",
	    where);
	rc = s2p_db_prepare(db, &ins, sql, err);
	free(sql);
	if (rc == S2P_OK) {
		sql = s2p_xasprintf("DELETE FROM dead_letter%s", where);
		rc = s2p_db_prepare(db, &del, sql, err);
		free(sql);
	}
	if (rc != S2P_OK)
		goto out;
	src = bind(ins, arg);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(ins, 9, now);
	if (src == SQLITE_OK)
		src = bind(del, arg);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "requeue dead letters", err);
		goto out;
	}
	rc = s2p_db_step_done(db, ins, "requeue dead letters", err);
	if (rc != S2P_OK)
		goto out;
	n = changes(db);
	rc = s2p_db_step_done(db, del, "delete requeued dead letters", err);
out:
	s2p_db_finalize(ins);
	s2p_db_finalize(del);
	rc = s2p_db_tx_end(db, rc, err);
	if (rc == S2P_OK && n_out != NULL)
		*n_out = n;
	return rc;
}

struct window {
	double from, to;
	const char *cls;
};

static int
bind_win(sqlite3_stmt *st, const void *arg)
{
	const struct window *w = arg;

	return bind_window(st, w->from, w->to, w->cls);
}

int
s2p_dlq_requeue(struct s2p_db *db, double from, double to,
    const char *error_class, double now, long *n_out, struct s2p_error *err)
{
	struct window w = {from, to, error_class};

	return requeue_where(db, DLQ_WINDOW, bind_win, &w, now, n_out, err);
}

static int
bind_none(sqlite3_stmt *st, const void *arg)
{
	(void)st;
	(void)arg;
	return SQLITE_OK;
}

int
s2p_dlq_requeue_stash_outage(struct s2p_db *db, double now, long *n_out,
    struct s2p_error *err)
{
	/* Messages of Stash GraphQL requests that got a 5xx, or none. */
	return requeue_where(db,
	    " WHERE error_class IN ('temporary', 'down') AND"
	    " (message LIKE 'Stash %: HTTP 5%' OR message LIKE '%/graphql: %')",
	    bind_none, NULL, now, n_out, err);
}

int
s2p_dlq_purge(struct s2p_db *db, double before, long *n_out,
    struct s2p_error *err)
{
	if (before <= 0)
		return exec_count(db, "DELETE FROM dead_letter", 0, 0, n_out,
		    "purge dead letters", err);
	return exec_count(db, "DELETE FROM dead_letter WHERE failed_at < ?1", 1,
	    before, n_out, "purge dead letters", err);
}

int
s2p_dlq_summary(struct s2p_db *db, char *buf, size_t len, struct s2p_error *err)
{
	struct s2p_buf b;
	sqlite3_stmt *st = NULL;
	int rc, src;

	if (buf == NULL || len == 0)
		return s2p_error_set(err, S2P_EINVAL, "dlq summary: no buffer");
	buf[0] = '\0';
	s2p_buf_init(&b, 0);
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT error_class, count(*) AS n FROM dead_letter"
	    " GROUP BY error_class ORDER BY n DESC, error_class",
	    err);
	if (rc != S2P_OK)
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *cls = sqlite3_column_text(st, 0);

		rc = s2p_buf_addf(&b, "%s%s=%lld", b.len > 0 ? ", " : "",
		    cls != NULL && cls[0] != '\0' ? (const char *)cls
						  : "unknown",
		    (long long)sqlite3_column_int64(st, 1));
		if (rc != S2P_OK)
			goto out;
	}
	if (src != SQLITE_DONE) {
		rc = s2p_db_error(db, src, "summarise dead letters", err);
		goto out;
	}
	/* Truncated to len if need be. */
	snprintf(buf, len, "%s", b.data != NULL ? b.data : "");
out:
	s2p_db_finalize(st);
	s2p_buf_free(&b);
	return rc;
}

int
s2p_queue_list(struct s2p_db *db, double now, long limit, s2p_job_fn fn,
    void *payload, struct s2p_error *err)
{
	struct s2p_job_view v;
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st,
	    "SELECT id, scene_id, attempts, not_before, enqueued_at, reason,"
	    " error_class, state = 'running' AND lease_until > ?2, last_error"
	    " FROM job ORDER BY not_before, id LIMIT ?1",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, limit > 0 ? (sqlite3_int64)limit : -1);
	if (src == SQLITE_OK)
		src = sqlite3_bind_double(st, 2, now);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&v, 0, sizeof(v));
		v.job.id = sqlite3_column_int64(st, 0);
		v.job.scene_id = sqlite3_column_int64(st, 1);
		v.job.attempts = sqlite3_column_int(st, 2);
		v.job.not_before = sqlite3_column_double(st, 3);
		v.job.enqueued_at = sqlite3_column_double(st, 4);
		v.job.reason = s2p_job_reason_parse(
		    (const char *)sqlite3_column_text(st, 5));
		s2p_db_copy_col(st, 6, v.job.error_class,
		    sizeof(v.job.error_class));
		v.running = sqlite3_column_int(st, 7);
		s2p_db_copy_col(st, 8, v.last_error, sizeof(v.last_error));
		rc = fn(&v, payload);
		if (rc != 0)
			goto out;
		src = SQLITE_OK;
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "list jobs", err);
out:
	sqlite3_finalize(st);
	return rc;
}
