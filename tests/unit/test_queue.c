/*
 * test_queue.c - the job queue and dead-letter queue on real SQLite files:
 * coalescing, dirty re-runs, leases, backoff columns, dead letters, counts,
 * DLQ requeue/purge, a SIGKILL crash test and a two-process test. Time is
 * passed in by hand; nothing sleeps.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/db.h"
#include "store/queue.h"

#define LEASE 60.0

struct fx {
	char dir[64];
	char *path;
	struct s2p_db *db;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/s2p-test-queue-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = s2p_xasprintf("%s/stash2plex.db", f->dir);
	if (s2p_db_open(&f->db, f->path, NULL) != S2P_OK)
		return -1;
	*state = f;
	return 0;
}

/* Close the database and remove the temporary directory. */
static int
teardown(void **state)
{
	struct fx *f = *state;
	struct dirent *de;
	DIR *d;

	s2p_db_close(f->db);
	d = opendir(f->dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = s2p_xasprintf("%s/%s", f->dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* First column of the first row of sql (with ?1 = a) as an integer. */
static long long
q_int(struct s2p_db *db, const char *sql, long long a)
{
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(s2p_db_handle(db), sql, -1, &st,
			     NULL),
	    SQLITE_OK);
	if (sqlite3_bind_parameter_count(st) > 0)
		assert_int_equal(sqlite3_bind_int64(st, 1, a), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row of sql (with ?1 = a) as text into buf. */
static const char *
q_text(struct s2p_db *db, const char *sql, long long a, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;

	assert_int_equal(sqlite3_prepare_v2(s2p_db_handle(db), sql, -1, &st,
			     NULL),
	    SQLITE_OK);
	if (sqlite3_bind_parameter_count(st) > 0)
		assert_int_equal(sqlite3_bind_int64(st, 1, a), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	s = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", s != NULL ? (const char *)s : "");
	sqlite3_finalize(st);
	return buf;
}

static long long
rows(struct s2p_db *db)
{
	return q_int(db, "SELECT count(*) FROM job", 0);
}

static void
enqueue(struct s2p_db *db, int64_t scene, double now, int want_created)
{
	struct s2p_error err;
	int created = -1;

	assert_int_equal(s2p_queue_enqueue(db, scene, S2P_REASON_HOOK, now,
			     &created, &err),
	    S2P_OK);
	assert_int_equal(created, want_created);
}

/* Claim at now and check which scene came out. */
static struct s2p_job
claim(struct s2p_db *db, double now, int64_t want_scene)
{
	struct s2p_job job;
	struct s2p_error err;

	assert_int_equal(s2p_queue_claim(db, now, LEASE, &job, &err), S2P_OK);
	assert_int_equal(job.scene_id, want_scene);
	return job;
}

static void
claim_none(struct s2p_db *db, double now)
{
	struct s2p_job job;
	struct s2p_error err;

	assert_int_equal(s2p_queue_claim(db, now, LEASE, &job, &err),
	    S2P_ENOTFOUND);
	assert_int_equal(job.id, 0);
}

static struct s2p_queue_counts
counts(struct s2p_db *db, double now)
{
	struct s2p_queue_counts c;

	assert_int_equal(s2p_queue_counts(db, now, &c, NULL), S2P_OK);
	return c;
}

/* Put one dead-letter row for scene at failed_at with class. */
static void
make_dead(struct s2p_db *db, int64_t scene, double failed_at, const char *cls)
{
	struct s2p_job job;

	assert_int_equal(s2p_queue_enqueue(db, scene, S2P_REASON_ALL,
			     failed_at - 1, NULL, NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_claim(db, failed_at, LEASE, &job, NULL),
	    S2P_OK);
	assert_int_equal(job.scene_id, scene);
	assert_int_equal(s2p_queue_dead_letter(db, job.id, cls, "failed",
			     failed_at, NULL),
	    S2P_OK);
}

static void
test_queue__enqueue_claim_ack(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_queue_counts c;
	struct s2p_error err;

	enqueue(f->db, 42, 100, 1);
	job = claim(f->db, 100, 42);
	assert_true(job.id > 0);
	assert_int_equal(job.attempts, 0);
	assert_true(job.not_before == 100);
	assert_true(job.enqueued_at == 100);
	assert_int_equal(job.reason, S2P_REASON_HOOK);
	assert_string_equal(job.error_class, "");
	claim_none(f->db, 100);

	c = counts(f->db, 100);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.running, 1);

	assert_int_equal(s2p_queue_ack(f->db, job.id, 101, &err), S2P_OK);
	assert_int_equal(rows(f->db), 0);
	c = counts(f->db, 101);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.running, 0);
	assert_int_equal(c.done, 1);
	assert_true(c.next_due == 0);

	/* A second ack of the same job is refused and not counted. */
	assert_int_equal(s2p_queue_ack(f->db, job.id, 102, &err),
	    S2P_ENOTFOUND);
	assert_int_equal(counts(f->db, 102).done, 1);
}

static void
test_queue__claim_order(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	enqueue(f->db, 1, 300, 1);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 200, 1);
	enqueue(f->db, 4, 100, 1);
	claim_none(f->db, 99);
	job = claim(f->db, 1000, 2);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 1000, NULL), S2P_OK);
	claim(f->db, 1000, 4); /* same not_before: lower id first */
	claim(f->db, 1000, 3);
	claim(f->db, 1000, 1);
	claim_none(f->db, 1000);
}

/* A batch claim takes the earliest due jobs in claim order, expired leases
 * included, never one that is not due, and never the same job twice. */
static void
test_queue__claim_many(void **state)
{
	struct fx *f = *state;
	struct s2p_job jobs[8];
	size_t n = 0;

	enqueue(f->db, 1, 300, 1);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 200, 1);
	enqueue(f->db, 4, 100, 1);
	enqueue(f->db, 5, 5000, 1); /* not due */
	assert_int_equal(s2p_queue_claim_many(f->db, 1000, 60, 3, jobs, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 3);
	assert_int_equal(jobs[0].scene_id, 2);
	assert_int_equal(jobs[1].scene_id, 4);
	assert_int_equal(jobs[2].scene_id, 3);
	assert_int_equal(counts(f->db, 1000).running, 3);
	assert_int_equal(s2p_queue_claim_many(f->db, 1000, 60, 8, jobs, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].scene_id, 1);
	assert_int_equal(s2p_queue_claim_many(f->db, 1000, 60, 8, jobs, &n,
			     NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(n, 0);
	/* Leases end at 1060: all four come back, the due one too. */
	assert_int_equal(s2p_queue_claim_many(f->db, 6000, 60, 8, jobs, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 5);
	assert_int_equal(jobs[0].scene_id, 2);
	assert_int_equal(jobs[4].scene_id, 5);
	assert_int_equal(s2p_queue_claim_many(f->db, 6000, 60, 0, jobs, &n,
			     NULL),
	    S2P_EINVAL);
}

static void
test_queue__enqueue_coalesces(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	enqueue(f->db, 7, 100, 1);
	enqueue(f->db, 7, 200, 0);
	enqueue(f->db, 7, 300, 0);
	assert_int_equal(rows(f->db), 1);
	assert_int_equal(counts(f->db, 300).pending, 1);
	/* The row keeps its first enqueue time and its place in line. */
	job = claim(f->db, 300, 7);
	assert_true(job.enqueued_at == 100);
	assert_true(job.not_before == 100);
	claim_none(f->db, 300);
}

/* A hook for a row that will run after now (pending, or running and
 * dirty) writes nothing, so it never waits for the write lock, even while
 * another connection holds it; a running row that is not dirty yet is
 * marked dirty. */
static void
test_queue__enqueue_to_waiting_row_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct s2p_db *other = NULL;
	sqlite3 *h = s2p_db_handle(f->db);
	struct s2p_job job;
	int total;

	enqueue(f->db, 7, 100, 1);
	assert_int_equal(s2p_db_open(&other, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_db_begin(other, NULL), S2P_OK);
	total = sqlite3_total_changes(h);
	enqueue(f->db, 7, 200, 0);
	assert_int_equal(sqlite3_total_changes(h), total);
	assert_true(s2p_db_lock_wait(f->db) == 0);
	s2p_db_rollback(other);
	job = claim(f->db, 300, 7);
	enqueue(f->db, 7, 310, 0);
	assert_int_equal(q_int(f->db, "SELECT dirty FROM job", 0), 1);
	total = sqlite3_total_changes(h);
	assert_int_equal(s2p_db_begin(other, NULL), S2P_OK);
	enqueue(f->db, 7, 320, 0);
	assert_int_equal(sqlite3_total_changes(h), total);
	s2p_db_rollback(other);
	s2p_db_close(other);
	/* The dirty row runs again after its ack. */
	assert_int_equal(s2p_queue_ack(f->db, job.id, 330, NULL), S2P_OK);
	assert_int_equal(counts(f->db, 330).pending, 1);
	claim(f->db, 330, 7);
}

static void
test_queue__coalesce_keeps_backoff(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_queue_counts c;

	enqueue(f->db, 7, 100, 1);
	job = claim(f->db, 100, 7);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 500, 1, "temporary",
			     "503", 110, NULL),
	    S2P_OK);
	/* A newer update while it waits in backoff does not jump the line. */
	enqueue(f->db, 7, 150, 0);
	claim_none(f->db, 200);
	c = counts(f->db, 200);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.due, 0);
	assert_true(c.next_due == 500);
	job = claim(f->db, 500, 7);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.error_class, "temporary");
}

static void
test_queue__dirty_runs_again_after_ack(void **state)
{
	struct fx *f = *state;
	struct s2p_job job, again;
	struct s2p_queue_counts c;

	enqueue(f->db, 9, 100, 1);
	job = claim(f->db, 100, 9);
	enqueue(f->db, 9, 105, 0); /* update while running */
	assert_int_equal(rows(f->db), 1);
	assert_int_equal(q_int(f->db, "SELECT dirty FROM job WHERE id = ?1",
			     job.id),
	    1);

	assert_int_equal(s2p_queue_ack(f->db, job.id, 110, NULL), S2P_OK);
	c = counts(f->db, 110);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.due, 1);
	assert_int_equal(c.running, 0);
	assert_int_equal(c.done, 1);
	assert_true(c.next_due == 110);

	again = claim(f->db, 110, 9);
	assert_int_equal(again.id, job.id);
	assert_int_equal(again.attempts, 0);
	assert_true(again.enqueued_at == 110);
	assert_int_equal(s2p_queue_ack(f->db, again.id, 120, NULL), S2P_OK);
	assert_int_equal(rows(f->db), 0);
	assert_int_equal(counts(f->db, 120).done, 2);
}

static void
test_queue__retry_waits_for_not_before(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_error err;
	char buf[64];

	enqueue(f->db, 5, 100, 1);
	job = claim(f->db, 100, 5);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 1000, 1, "temporary",
			     "timeout", 101, &err),
	    S2P_OK);
	assert_int_equal(counts(f->db, 101).running, 0);
	claim_none(f->db, 101);
	claim_none(f->db, 999.5);
	job = claim(f->db, 1000, 5);
	assert_int_equal(job.attempts, 1);
	assert_true(job.not_before == 1000);
	assert_string_equal(job.error_class, "temporary");
	assert_string_equal(q_text(f->db,
				"SELECT last_error FROM job WHERE id = ?1",
				job.id, buf, sizeof(buf)),
	    "timeout");
	assert_int_equal(s2p_queue_retry(f->db, 9999, 1, 1, "x", "y", 1, &err),
	    S2P_ENOTFOUND);
}

static void
test_queue__retry_without_counting(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	enqueue(f->db, 5, 100, 1);
	job = claim(f->db, 100, 5);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 0, "down",
			     "refused", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 100, 5);
	assert_int_equal(job.attempts, 0);
	assert_string_equal(job.error_class, "down");
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 1, "temporary",
			     "503", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 100, 5);
	assert_int_equal(job.attempts, 1);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 0, "down",
			     "refused", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 100, 5);
	assert_int_equal(job.attempts, 1);
}

static void
test_queue__retry_clears_dirty(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	enqueue(f->db, 5, 100, 1);
	job = claim(f->db, 100, 5);
	enqueue(f->db, 5, 101, 0);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 300, 1, "temporary",
			     "503", 102, NULL),
	    S2P_OK);
	assert_int_equal(q_int(f->db, "SELECT dirty FROM job WHERE id = ?1",
			     job.id),
	    0);
	claim_none(f->db, 200);
	job = claim(f->db, 300, 5);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 301, NULL), S2P_OK);
	/* The retry covered the newer update: nothing runs a third time. */
	assert_int_equal(rows(f->db), 0);
}

static void
test_queue__message_is_capped_and_redacted(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	char msg[700], buf[700];
	size_t i;

	enqueue(f->db, 5, 100, 1);
	job = claim(f->db, 100, 5);
	memset(msg, 'x', 600);
	msg[600] = '\0';
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 1,
			     "a-class-name-longer-than-the-struct", msg, 100,
			     NULL),
	    S2P_OK);
	assert_int_equal(q_int(f->db,
			     "SELECT length(last_error) FROM job WHERE id = ?1",
			     job.id),
	    500);
	job = claim(f->db, 100, 5);
	assert_string_equal(job.error_class, "a-class-name-longer-tha");

	/* A two-byte character straddling the cap is dropped whole. */
	for (i = 0; i < 499; i++)
		msg[i] = 'y';
	snprintf(msg + 499, sizeof(msg) - 499, "\xc3\xa9tail");
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 1, "t", msg, 100,
			     NULL),
	    S2P_OK);
	assert_int_equal(q_int(f->db,
			     "SELECT length(CAST(last_error AS BLOB)) FROM job"
			     " WHERE id = ?1",
			     job.id),
	    499);

	/* Registered secrets never reach the database. */
	s2p_log_secret("sekrit-plex-token-123");
	job = claim(f->db, 100, 5);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 100, 1, "auth",
			     "GET /library?X-Plex-Token=sekrit-plex-token-123",
			     100, NULL),
	    S2P_OK);
	q_text(f->db, "SELECT last_error FROM job WHERE id = ?1", job.id, buf,
	    sizeof(buf));
	assert_null(strstr(buf, "sekrit"));
	assert_non_null(strstr(buf, "X-Plex-Token="));
	job = claim(f->db, 100, 5);
	assert_int_equal(s2p_queue_dead_letter(f->db, job.id, "auth",
			     "token sekrit-plex-token-123 rejected", 100, NULL),
	    S2P_OK);
	q_text(f->db, "SELECT message FROM dead_letter", 0, buf, sizeof(buf));
	assert_null(strstr(buf, "sekrit"));
}

static void
test_queue__expired_lease_is_claimed_again(void **state)
{
	struct fx *f = *state;
	struct s2p_job job, again;
	struct s2p_queue_counts c;

	enqueue(f->db, 11, 100, 1);
	enqueue(f->db, 12, 500, 1);
	job = claim(f->db, 100, 11); /* lease until 160 */
	claim_none(f->db, 159);
	c = counts(f->db, 159);
	assert_int_equal(c.running, 1);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.due, 0);

	/* Expired: it counts as waiting and due again. */
	c = counts(f->db, 160);
	assert_int_equal(c.running, 0);
	assert_int_equal(c.pending, 2);
	assert_int_equal(c.due, 1);
	assert_true(c.next_due == 100);

	again = claim(f->db, 160, 11);
	assert_int_equal(again.id, job.id);
	assert_int_equal(again.attempts, 0);
	assert_int_equal(counts(f->db, 161).running, 1);
	claim_none(f->db, 200);
	assert_int_equal(s2p_queue_ack(f->db, again.id, 201, NULL), S2P_OK);
	claim(f->db, 500, 12);
}

static void
test_queue__release_keeps_attempts(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_error err;

	enqueue(f->db, 3, 100, 1);
	job = claim(f->db, 100, 3);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 150, 1, "temporary",
			     "503", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 150, 3);
	assert_int_equal(s2p_queue_release(f->db, job.id, 151, &err), S2P_OK);
	assert_int_equal(counts(f->db, 151).running, 0);
	job = claim(f->db, 151, 3);
	assert_int_equal(job.attempts, 1);
	assert_true(job.not_before == 150);
	assert_int_equal(s2p_queue_release(f->db, 424242, 1, &err),
	    S2P_ENOTFOUND);
}

/* Collects dlq_list rows. */
struct seen {
	struct s2p_dead_job rows[8];
	int n;
	int stop_after;
};

static int
collect(const struct s2p_dead_job *job, void *payload)
{
	struct seen *s = payload;

	if (s->n < (int)(sizeof(s->rows) / sizeof(s->rows[0])))
		s->rows[s->n] = *job;
	s->n++;
	if (s->stop_after > 0 && s->n >= s->stop_after)
		return 7;
	return 0;
}

static void
test_queue__dead_letter(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct seen s = {.n = 0};
	struct s2p_queue_counts c;
	char buf[32];

	enqueue(f->db, 21, 100, 1);
	job = claim(f->db, 100, 21);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 110, 1, "temporary",
			     "503", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 110, 21);
	assert_int_equal(s2p_queue_dead_letter(f->db, job.id, "permanent",
			     "400 bad request", 120, NULL),
	    S2P_OK);
	assert_int_equal(rows(f->db), 0);
	c = counts(f->db, 120);
	assert_int_equal(c.dead, 1);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.done, 0);

	assert_int_equal(s2p_dlq_list(f->db, 0, collect, &s, NULL), S2P_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rows[0].scene_id, 21);
	assert_int_equal(s.rows[0].attempts, 2);
	assert_true(s.rows[0].failed_at == 120);
	assert_string_equal(s.rows[0].error_class, "permanent");
	assert_string_equal(s.rows[0].message, "400 bad request");
	assert_string_equal(q_text(f->db, "SELECT reason FROM dead_letter", 0,
				buf, sizeof(buf)),
	    "hook");
	assert_int_equal(s2p_queue_dead_letter(f->db, job.id, "x", "y", 1,
			     NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(counts(f->db, 121).dead, 1);
}

static void
test_queue__dead_letter_keeps_dirty_update(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_queue_counts c;

	enqueue(f->db, 22, 100, 1);
	job = claim(f->db, 100, 22);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 110, 1, "temporary",
			     "503", 100, NULL),
	    S2P_OK);
	job = claim(f->db, 110, 22);
	enqueue(f->db, 22, 115, 0); /* newer update while failing */
	assert_int_equal(s2p_queue_dead_letter(f->db, job.id, "permanent",
			     "bad", 120, NULL),
	    S2P_OK);
	c = counts(f->db, 120);
	assert_int_equal(c.dead, 1);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.due, 1);
	job = claim(f->db, 120, 22);
	assert_int_equal(job.attempts, 0);
	assert_string_equal(job.error_class, "");
	assert_true(job.enqueued_at == 120);
}

static void
test_queue__recover_orphans(void **state)
{
	struct fx *f = *state;
	struct s2p_job a, b;
	struct s2p_queue_counts c;
	long n = -1;

	enqueue(f->db, 1, 100, 1);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 100, 1);
	a = claim(f->db, 100, 1);
	b = claim(f->db, 100, 2);
	enqueue(f->db, 2, 101, 0); /* dirty */
	assert_int_equal(s2p_queue_recover_orphans(f->db, 102, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 2);
	c = counts(f->db, 102);
	assert_int_equal(c.running, 0);
	assert_int_equal(c.pending, 3);
	assert_int_equal(c.due, 3);
	assert_int_equal(q_int(f->db, "SELECT sum(dirty) FROM job", 0), 0);
	assert_int_equal(claim(f->db, 102, 1).id, a.id);
	assert_int_equal(claim(f->db, 102, 2).id, b.id);
	assert_int_equal(s2p_queue_recover_orphans(f->db, 103, NULL, NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_recover_orphans(f->db, 103, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 0);
}

static void
test_queue__ack_of_recovered_job_keeps_it(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	enqueue(f->db, 1, 100, 1);
	job = claim(f->db, 100, 1);
	assert_int_equal(s2p_queue_recover_orphans(f->db, 101, NULL, NULL),
	    S2P_OK);
	enqueue(f->db, 1, 102, 0); /* merges into the pending row */
	assert_int_equal(s2p_queue_ack(f->db, job.id, 103, NULL), S2P_OK);
	assert_int_equal(counts(f->db, 103).pending, 1);
	assert_int_equal(counts(f->db, 103).done, 1);
}

/* A batch's acks in one transaction: clean rows go, a dirty one runs
 * again, a row no longer queued is skipped; "done" counts the three that
 * were queued. */
static void
test_queue__ack_many(void **state)
{
	struct fx *f = *state;
	struct s2p_job a, b, c;
	int64_t ids[4];
	struct s2p_queue_counts n;

	enqueue(f->db, 1, 100, 1);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 100, 1);
	a = claim(f->db, 100, 1);
	b = claim(f->db, 100, 2);
	enqueue(f->db, 2, 101, 0); /* b goes dirty */
	c = claim(f->db, 100, 3);
	ids[0] = a.id;
	ids[1] = b.id;
	ids[2] = 9999; /* not queued */
	ids[3] = c.id;
	assert_int_equal(s2p_queue_ack_many(f->db, ids, 4, 110, NULL), S2P_OK);
	n = counts(f->db, 110);
	assert_int_equal(rows(f->db), 1);
	assert_int_equal(n.pending, 1);
	assert_int_equal(n.running, 0);
	assert_int_equal(n.done, 3);
	assert_int_equal(claim(f->db, 110, 2).id, b.id);
	assert_int_equal(s2p_queue_ack_many(f->db, ids, 0, 111, NULL), S2P_OK);
	assert_int_equal(counts(f->db, 111).done, 3);
}

static void
test_queue__counts(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	struct s2p_queue_counts c;

	c = counts(f->db, 100);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.due, 0);
	assert_int_equal(c.running, 0);
	assert_int_equal(c.dead, 0);
	assert_int_equal(c.done, 0);
	assert_true(c.next_due == 0);

	make_dead(f->db, 50, 90, "permanent");
	enqueue(f->db, 1, 100, 1);
	job = claim(f->db, 100, 1);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 100, NULL), S2P_OK);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 101, 1);
	enqueue(f->db, 4, 102, 1);
	enqueue(f->db, 5, 103, 1);
	claim(f->db, 103, 2); /* running */
	job = claim(f->db, 103, 3);
	assert_int_equal(s2p_queue_retry(f->db, job.id, 400, 1, "temporary",
			     "x", 103, NULL),
	    S2P_OK); /* pending, not due */

	c = counts(f->db, 103);
	assert_int_equal(c.pending, 3);
	assert_int_equal(c.due, 2);
	assert_int_equal(c.running, 1);
	assert_int_equal(c.dead, 1);
	assert_int_equal(c.done, 1);
	assert_true(c.next_due == 102);
	/* Earlier "now": fewer due, next_due unchanged. */
	c = counts(f->db, 102.5);
	assert_int_equal(c.due, 1);
	assert_true(c.next_due == 102);
}

static void
test_queue__clear_leaves_running(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	long n = -1;

	enqueue(f->db, 1, 100, 1);
	enqueue(f->db, 2, 100, 1);
	enqueue(f->db, 3, 100, 1);
	job = claim(f->db, 100, 1);
	assert_int_equal(s2p_queue_clear(f->db, &n, NULL), S2P_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows(f->db), 1);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 101, NULL), S2P_OK);
	assert_int_equal(s2p_queue_clear(f->db, &n, NULL), S2P_OK);
	assert_int_equal(n, 0);
}

static void
test_queue__dlq_requeue_window_and_class(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	long n = -1;

	make_dead(f->db, 1, 100, "down");
	make_dead(f->db, 2, 200, "down");
	make_dead(f->db, 3, 300, "temporary");
	make_dead(f->db, 4, 250, "down");
	make_dead(f->db, 2, 220, "down"); /* same scene twice */
	make_dead(f->db, 5, 240, "temporary");
	enqueue(f->db, 4, 260, 1); /* already queued again */
	assert_int_equal(counts(f->db, 260).dead, 6);

	assert_int_equal(s2p_dlq_requeue(f->db, 150, 260, "down", 500, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 1); /* scene 2 only; 4 was queued already */
	assert_int_equal(rows(f->db), 2);
	assert_int_equal(q_int(f->db,
			     "SELECT count(*) FROM job WHERE scene_id = 4", 0),
	    1);
	/* Rows of scenes 2 (both) and 4 are gone; 1, 3 and 5 remain. */
	assert_int_equal(counts(f->db, 500).dead, 3);
	assert_int_equal(q_int(f->db,
			     "SELECT count(*) FROM dead_letter"
			     " WHERE scene_id IN (2, 4)",
			     0),
	    0);
	job = claim(f->db, 500, 4);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 500, NULL), S2P_OK);
	job = claim(f->db, 500, 2);
	assert_int_equal(job.reason, S2P_REASON_RETRY);
	assert_int_equal(job.attempts, 0);
	assert_true(job.enqueued_at == 500);

	/* Every class, whole window; scene 2 is running (lease to 560). */
	assert_int_equal(s2p_dlq_requeue(f->db, 0, 1e12, NULL, 550, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 3);
	assert_int_equal(counts(f->db, 550).dead, 0);
	assert_int_equal(rows(f->db), 4);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 550, NULL), S2P_OK);
	claim(f->db, 600, 1);
	claim(f->db, 600, 5);
	claim(f->db, 600, 3);

	/* Empty window: nothing happens. */
	assert_int_equal(s2p_dlq_requeue(f->db, 0, 1e12, NULL, 700, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 0);
}

static void
test_queue__dlq_requeue_skips_running_scene(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	long n = -1;

	make_dead(f->db, 8, 100, "down");
	enqueue(f->db, 8, 150, 1);
	job = claim(f->db, 150, 8);
	assert_int_equal(s2p_dlq_requeue(f->db, 0, 200, "down", 200, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 0);
	assert_int_equal(rows(f->db), 1);
	assert_int_equal(q_int(f->db, "SELECT dirty FROM job WHERE id = ?1",
			     job.id),
	    0);
	assert_int_equal(counts(f->db, 200).dead, 0);
}

static void
test_queue__dlq_purge(void **state)
{
	struct fx *f = *state;
	long n = -1;

	make_dead(f->db, 1, 100, "a");
	make_dead(f->db, 2, 200, "a");
	make_dead(f->db, 3, 300, "a");
	assert_int_equal(s2p_dlq_purge(f->db, 200, &n, NULL), S2P_OK);
	assert_int_equal(n, 1); /* strictly older than 200 */
	assert_int_equal(counts(f->db, 300).dead, 2);
	assert_int_equal(s2p_dlq_purge(f->db, 200, &n, NULL), S2P_OK);
	assert_int_equal(n, 0);
	assert_int_equal(s2p_dlq_purge(f->db, 0, &n, NULL), S2P_OK);
	assert_int_equal(n, 2);
	assert_int_equal(counts(f->db, 300).dead, 0);
}

static void
test_queue__dlq_list_and_summary(void **state)
{
	struct fx *f = *state;
	struct seen s = {.n = 0};
	char buf[64], tiny[8];

	assert_int_equal(s2p_dlq_summary(f->db, buf, sizeof(buf), NULL),
	    S2P_OK);
	assert_string_equal(buf, "");
	assert_int_equal(s2p_dlq_list(f->db, 0, collect, &s, NULL), S2P_OK);
	assert_int_equal(s.n, 0);

	make_dead(f->db, 1, 100, "down");
	make_dead(f->db, 2, 300, "permanent");
	make_dead(f->db, 3, 200, "down");
	make_dead(f->db, 4, 150, "");

	assert_int_equal(s2p_dlq_summary(f->db, buf, sizeof(buf), NULL),
	    S2P_OK);
	assert_string_equal(buf, "down=2, unknown=1, permanent=1");
	assert_int_equal(s2p_dlq_summary(f->db, tiny, sizeof(tiny), NULL),
	    S2P_OK);
	assert_string_equal(tiny, "down=2,");
	assert_int_equal(s2p_dlq_summary(f->db, tiny, 0, NULL), S2P_EINVAL);

	/* Newest first, limited. */
	assert_int_equal(s2p_dlq_list(f->db, 2, collect, &s, NULL), S2P_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rows[0].scene_id, 2);
	assert_int_equal(s.rows[1].scene_id, 3);

	/* A non-zero callback return stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	assert_int_equal(s2p_dlq_list(f->db, 0, collect, &s, NULL), 7);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rows[2].scene_id, 4);
}

static void
test_queue__enqueue_many(void **state)
{
	struct fx *f = *state;
	enum { N = 10000 };
	int64_t *ids = s2p_xmalloc(N * sizeof(*ids));
	struct s2p_job job;
	long created = -1;
	size_t i;

	for (i = 0; i < N; i++)
		ids[i] = (int64_t)(N - i); /* descending scene ids */
	assert_int_equal(s2p_queue_enqueue_many(f->db, ids, N, S2P_REASON_ALL,
			     100, &created, NULL),
	    S2P_OK);
	assert_int_equal(created, N);
	assert_int_equal(counts(f->db, 100).pending, N);

	job = claim(f->db, 100, N); /* first inserted comes first */
	assert_int_equal(job.reason, S2P_REASON_ALL);
	assert_int_equal(s2p_queue_enqueue_many(f->db, ids, N, S2P_REASON_ALL,
			     200, &created, NULL),
	    S2P_OK);
	assert_int_equal(created, 0);
	assert_int_equal(rows(f->db), N);
	assert_int_equal(q_int(f->db, "SELECT dirty FROM job WHERE id = ?1",
			     job.id),
	    1);
	assert_int_equal(q_int(f->db, "SELECT sum(dirty) FROM job", 0), 1);

	assert_int_equal(s2p_queue_enqueue_many(f->db, ids, 0, S2P_REASON_ALL,
			     200, &created, NULL),
	    S2P_OK);
	assert_int_equal(created, 0);
	assert_int_equal(s2p_queue_enqueue_many(f->db, NULL, 3, S2P_REASON_ALL,
			     200, &created, NULL),
	    S2P_EINVAL);
	free(ids);
}

/* Every reason is stored under its text name and claimed back as itself;
 * text the program never wrote reads as a plain hook sync. */
static void
test_queue__reasons_round_trip(void **state)
{
	struct fx *f = *state;
	static const struct {
		enum s2p_job_reason r;
		const char *text;
	} want[] = {
	    {S2P_REASON_HOOK, "hook"},
	    {S2P_REASON_CREATE, "create"},
	    {S2P_REASON_ALL, "all"},
	    {S2P_REASON_RECENT, "recent"},
	    {S2P_REASON_RECONCILE, "reconcile"},
	    {S2P_REASON_FANOUT, "rename"},
	    {S2P_REASON_RETRY, "dlq"},
	};
	struct s2p_job job;
	char buf[32];
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(want); i++) {
		int64_t scene = (int64_t)i + 1;

		assert_int_equal(s2p_queue_enqueue(f->db, scene, want[i].r,
				     100 + (double)i, NULL, NULL),
		    S2P_OK);
		assert_string_equal(
		    q_text(f->db, "SELECT reason FROM job WHERE scene_id = ?1",
			scene, buf, sizeof(buf)),
		    want[i].text);
		assert_string_equal(s2p_job_reason_name(want[i].r),
		    want[i].text);
	}
	for (i = 0; i < S2P_ARRAY_LEN(want); i++) {
		job = claim(f->db, 200, (int64_t)i + 1);
		assert_int_equal(job.reason, want[i].r);
	}
	assert_int_equal(s2p_job_reason_parse("no such reason"),
	    S2P_REASON_HOOK);
	assert_int_equal(s2p_job_reason_parse(NULL), S2P_REASON_HOOK);
}

static void
test_queue__composes_into_outer_transaction(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;

	assert_int_equal(s2p_db_begin(f->db, NULL), S2P_OK);
	enqueue(f->db, 1, 100, 1);
	enqueue(f->db, 2, 100, 1);
	job = claim(f->db, 100, 1);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 100, NULL), S2P_OK);
	s2p_db_rollback(f->db);
	assert_int_equal(rows(f->db), 0);
	assert_int_equal(counts(f->db, 100).done, 0);

	assert_int_equal(s2p_db_begin(f->db, NULL), S2P_OK);
	enqueue(f->db, 1, 100, 1);
	/* A failing inner operation leaves the outer transaction usable. */
	assert_int_equal(s2p_queue_ack(f->db, 999, 100, NULL), S2P_ENOTFOUND);
	enqueue(f->db, 2, 100, 1);
	assert_int_equal(s2p_db_commit(f->db, NULL), S2P_OK);
	assert_int_equal(rows(f->db), 2);
}

/* Child of the crash test: commit ten jobs and claim one, then start a
 * transaction, enqueue more, claim again and die by SIGKILL before the
 * commit. Exit status 3 means a step failed before the kill. */
static void
crash_child(const char *path)
{
	struct s2p_db *db = NULL;
	struct s2p_job job;
	int64_t ids[10];
	int i;

	for (i = 0; i < 10; i++)
		ids[i] = i + 1;
	if (s2p_db_open(&db, path, NULL) != S2P_OK ||
	    s2p_queue_enqueue_many(db, ids, 10, S2P_REASON_HOOK, 100, NULL,
		NULL) != S2P_OK ||
	    s2p_queue_claim(db, 100, LEASE, &job, NULL) != S2P_OK ||
	    job.scene_id != 1)
		_exit(3);
	/* Committed claim of scene 1, never acknowledged. */
	if (s2p_db_begin(db, NULL) != S2P_OK)
		_exit(3);
	for (i = 11; i <= 15; i++)
		if (s2p_queue_enqueue(db, i, S2P_REASON_HOOK, 100, NULL,
			NULL) != S2P_OK)
			_exit(3);
	if (s2p_queue_claim(db, 100, LEASE, &job, NULL) != S2P_OK ||
	    job.scene_id != 2 || s2p_queue_ack(db, job.id, 100, NULL) != S2P_OK)
		_exit(3);
	raise(SIGKILL);
	_exit(4);
}

static void
test_queue__survives_sigkill(void **state)
{
	struct fx *f = *state;
	struct s2p_queue_counts c;
	char buf[16];
	pid_t pid;
	int status = 0, i;

	/* The child gets its own connection; ours is closed meanwhile. */
	s2p_db_close(f->db);
	f->db = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f->path);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	assert_int_equal(s2p_db_open(&f->db, f->path, NULL), S2P_OK);
	assert_string_equal(q_text(f->db, "PRAGMA integrity_check", 0, buf,
				sizeof(buf)),
	    "ok");
	/* Committed: ten jobs, scene 1 running. Uncommitted: gone. */
	assert_int_equal(rows(f->db), 10);
	assert_int_equal(q_int(f->db,
			     "SELECT count(*) FROM job WHERE scene_id > 10", 0),
	    0);
	c = counts(f->db, 100);
	assert_int_equal(c.running, 1);
	assert_int_equal(c.pending, 9);
	assert_int_equal(c.done, 0);
	/* The uncommitted claim and ack of scene 2 were rolled back. */
	for (i = 2; i <= 10; i++) {
		struct s2p_job job = claim(f->db, 100, i);

		assert_int_equal(s2p_queue_ack(f->db, job.id, 100, NULL),
		    S2P_OK);
	}
	/* Scene 1 is lost to nobody: its lease expires and it comes back. */
	claim_none(f->db, 100 + LEASE - 1);
	claim(f->db, 100 + LEASE, 1);
}

/* Child of the crash test that dies right after a committed claim. */
static void
claim_kill_child(const char *path)
{
	struct s2p_db *db = NULL;
	struct s2p_job job;

	if (s2p_db_open(&db, path, NULL) != S2P_OK ||
	    s2p_queue_enqueue(db, 77, S2P_REASON_HOOK, 100, NULL, NULL) !=
		S2P_OK ||
	    s2p_queue_claim(db, 100, LEASE, &job, NULL) != S2P_OK)
		_exit(3);
	raise(SIGKILL);
	_exit(4);
}

static void
test_queue__claim_then_sigkill_is_recovered(void **state)
{
	struct fx *f = *state;
	struct s2p_job job;
	char buf[16];
	pid_t pid;
	long n = -1;
	int status = 0;

	s2p_db_close(f->db);
	f->db = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		claim_kill_child(f->path);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	assert_int_equal(s2p_db_open(&f->db, f->path, NULL), S2P_OK);
	assert_string_equal(q_text(f->db, "PRAGMA integrity_check", 0, buf,
				sizeof(buf)),
	    "ok");
	assert_int_equal(counts(f->db, 100).running, 1);
	claim_none(f->db, 101);
	/* Either path brings it back: the lease, or orphan recovery. */
	assert_int_equal(s2p_queue_recover_orphans(f->db, 101, &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 1);
	job = claim(f->db, 101, 77);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(s2p_queue_ack(f->db, job.id, 102, NULL), S2P_OK);
	assert_int_equal(rows(f->db), 0);
}

#define CONC_SCENES 500

/* Child of the two-process test: enqueue scenes one transaction at a time. */
static void
producer_child(const char *path)
{
	struct s2p_db *db = NULL;
	int i;

	if (s2p_db_open(&db, path, NULL) != S2P_OK)
		_exit(3);
	for (i = 1; i <= CONC_SCENES; i++)
		if (s2p_queue_enqueue(db, i, S2P_REASON_HOOK, 100, NULL,
			NULL) != S2P_OK)
			_exit(3);
	s2p_db_close(db);
	_exit(0);
}

static void
test_queue__two_processes(void **state)
{
	struct fx *f = *state;
	int *acked; /* allocated after the fork: the child leaks nothing */
	struct s2p_job job;
	struct s2p_error err;
	pid_t pid;
	int status = 0, exited = 0, rc, i;

	s2p_db_close(f->db);
	f->db = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		producer_child(f->path);
	acked = s2p_xcalloc(CONC_SCENES + 1, sizeof(*acked));
	assert_int_equal(s2p_db_open(&f->db, f->path, NULL), S2P_OK);
	for (;;) {
		/* Sample "producer done" before the claim, so an empty
		 * claim afterwards means everything was seen. */
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = 1;
		rc = s2p_queue_claim(f->db, 100, LEASE, &job, &err);
		if (rc == S2P_ENOTFOUND && exited)
			break;
		if (rc == S2P_ENOTFOUND)
			continue;
		assert_int_equal(rc, S2P_OK);
		assert_true(job.scene_id >= 1 && job.scene_id <= CONC_SCENES);
		acked[job.scene_id]++;
		assert_int_equal(s2p_queue_ack(f->db, job.id, 100, &err),
		    S2P_OK);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (i = 1; i <= CONC_SCENES; i++)
		assert_int_equal(acked[i], 1);
	assert_int_equal(rows(f->db), 0);
	assert_int_equal(counts(f->db, 100).done, CONC_SCENES);
	free(acked);
}

/* s2p_dlq_list callback: the first (newest) entry's id. */
static int
first_dead(const struct s2p_dead_job *j, void *payload)
{
	*(int64_t *)payload = j->id;
	return 0;
}

/* A dead letter keeps the title, the first failed attempt's time and the
 * candidates; retry puts one job back per entry, merging with a queued
 * (or running) job for the scene; drop deletes; both all or nothing. */
static void
test_queue__dead_letter_detail_retry_drop(void **state)
{
	struct fx *f = *state;
	struct s2p_dead_detail d = {"A title", "[{\"rating_key\":\"9\"}]"};
	struct s2p_dead_job dj;
	struct s2p_job j;
	int64_t ids[2];
	long n = 0;

	assert_int_equal(s2p_queue_enqueue(f->db, 5, S2P_REASON_HOOK, 10, NULL,
			     NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_claim(f->db, 10, LEASE, &j, NULL), S2P_OK);
	assert_int_equal(s2p_queue_retry(f->db, j.id, 100, 1, "temporary", "x",
			     100, NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_claim(f->db, 200, LEASE, &j, NULL), S2P_OK);
	assert_int_equal(s2p_queue_retry(f->db, j.id, 200, 1, "temporary", "y",
			     200, NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_claim(f->db, 300, LEASE, &j, NULL), S2P_OK);
	assert_int_equal(s2p_queue_dead_letter_detail(f->db, j.id, "not_found",
			     "gone", &d, 300, NULL),
	    S2P_OK);
	ids[0] = 0;
	assert_int_equal(s2p_dlq_list(f->db, 1, first_dead, &ids[0], NULL), 0);
	assert_int_equal(s2p_dlq_get(f->db, ids[0], &dj, NULL), S2P_OK);
	assert_int_equal((long)dj.first_failed_at, 100);
	assert_int_equal((long)dj.failed_at, 300);
	assert_int_equal(dj.attempts, 3);
	assert_string_equal(dj.title, "A title");
	assert_string_equal(dj.candidates, "[{\"rating_key\":\"9\"}]");
	assert_string_equal(dj.reason, "hook");
	/* The scene is being worked on again: the retry marks it dirty. */
	assert_int_equal(s2p_queue_enqueue(f->db, 5, S2P_REASON_HOOK, 400, NULL,
			     NULL),
	    S2P_OK);
	assert_int_equal(s2p_queue_claim(f->db, 400, LEASE, &j, NULL), S2P_OK);
	ids[1] = ids[0] + 1000;
	assert_int_equal(s2p_dlq_retry(f->db, ids, 2, 410, &n, NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_dlq_get(f->db, ids[0], &dj, NULL), S2P_OK);
	assert_int_equal(s2p_dlq_retry(f->db, ids, 1, 410, &n, NULL), S2P_OK);
	assert_int_equal(n, 1);
	assert_int_equal(s2p_dlq_get(f->db, ids[0], &dj, NULL), S2P_ENOTFOUND);
	assert_int_equal(s2p_queue_ack(f->db, j.id, 420, NULL), S2P_OK);
	/* Dirty: the job stays, pending again. */
	assert_int_equal(s2p_queue_claim(f->db, 430, LEASE, &j, NULL), S2P_OK);
	assert_int_equal(j.scene_id, 5);
	assert_int_equal(s2p_queue_dead_letter(f->db, j.id, "permanent", "z",
			     440, NULL),
	    S2P_OK);
	assert_int_equal(s2p_dlq_list(f->db, 1, first_dead, &ids[0], NULL), 0);
	assert_int_equal(s2p_dlq_get(f->db, ids[0], &dj, NULL), S2P_OK);
	assert_string_equal(dj.candidates, "[]");
	assert_int_equal((long)dj.first_failed_at, 440);
	assert_int_equal(s2p_dlq_drop(f->db, ids, 1, &n, NULL), S2P_OK);
	assert_int_equal(s2p_dlq_get(f->db, ids[0], &dj, NULL), S2P_ENOTFOUND);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_queue__enqueue_claim_ack),
	    T(test_queue__claim_order),
	    T(test_queue__claim_many),
	    T(test_queue__enqueue_coalesces),
	    T(test_queue__enqueue_to_waiting_row_writes_nothing),
	    T(test_queue__coalesce_keeps_backoff),
	    T(test_queue__dirty_runs_again_after_ack),
	    T(test_queue__retry_waits_for_not_before),
	    T(test_queue__retry_without_counting),
	    T(test_queue__retry_clears_dirty),
	    T(test_queue__message_is_capped_and_redacted),
	    T(test_queue__expired_lease_is_claimed_again),
	    T(test_queue__release_keeps_attempts),
	    T(test_queue__dead_letter),
	    T(test_queue__dead_letter_keeps_dirty_update),
	    T(test_queue__recover_orphans),
	    T(test_queue__ack_of_recovered_job_keeps_it),
	    T(test_queue__ack_many),
	    T(test_queue__counts),
	    T(test_queue__clear_leaves_running),
	    T(test_queue__dlq_requeue_window_and_class),
	    T(test_queue__dlq_requeue_skips_running_scene),
	    T(test_queue__dlq_purge),
	    T(test_queue__dlq_list_and_summary),
	    T(test_queue__enqueue_many),
	    T(test_queue__reasons_round_trip),
	    T(test_queue__composes_into_outer_transaction),
	    T(test_queue__survives_sigkill),
	    T(test_queue__claim_then_sigkill_is_recovered),
	    T(test_queue__two_processes),
	    T(test_queue__dead_letter_detail_retry_drop),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
