/*
 * queue.h - the durable job queue and the dead-letter queue.
 *
 * One row per scene at most (UNIQUE scene_id): a newer update for a scene that
 * is already queued coalesces into its row; one that arrives while the row is
 * being worked on marks it "dirty", so the job runs again after the current
 * attempt instead of being lost. A claim takes a lease; a crashed worker's
 * lease expires and the job is claimed again. Backoff lives in explicit
 * columns (attempts, not_before). Acknowledged jobs are deleted and counted
 * in a summary counter, so no table grows forever. See docs/internals/queue.md.
 */
#ifndef S2P_QUEUE_H
#define S2P_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"
#include "store/db.h"

/* What queued a job. Stored as text in the job and dead_letter tables (the
 * names below, unchanged since they were plain strings). */
enum s2p_job_reason {
	S2P_REASON_HOOK,      /* "hook": a scene update hook */
	S2P_REASON_CREATE,    /* "create": a scene creation hook */
	S2P_REASON_ALL,       /* "all": the all-scenes task */
	S2P_REASON_RECENT,    /* "recent": the recent-scenes task */
	S2P_REASON_RECONCILE, /* "reconcile": a reconcile task (verify Plex) */
	S2P_REASON_FANOUT,    /* "rename": a renamed performer/studio/tag */
	S2P_REASON_RETRY,     /* "dlq": re-queued from the dead letters */
};

/* The stored name of r. */
const char *s2p_job_reason_name(enum s2p_job_reason r);
/* The reason stored as name; unknown text reads as S2P_REASON_HOOK (a
 * plain sync). */
enum s2p_job_reason s2p_job_reason_parse(const char *name);

struct s2p_job {
	int64_t id;
	int64_t scene_id;
	int attempts;               /* failed attempts counted so far */
	double not_before;          /* epoch seconds */
	double enqueued_at;         /* first enqueue of this row */
	enum s2p_job_reason reason; /* what queued it */
	char error_class[24];       /* class of the last failure, "" if none */
	char title[128]; /* the scene's title, when the worker knows it (kept
			  * with a dead letter); never stored in job */
};

struct s2p_queue_counts {
	long pending;    /* waiting rows, due or not (a running row whose lease
			  * expired is waiting again and counts here) */
	long due;        /* pending with not_before <= now */
	long running;    /* claimed, lease not expired */
	long dead;       /* rows in the dead-letter table */
	long done;       /* jobs acknowledged since the database was created */
	double next_due; /* earliest not_before among pending, 0 if none */
};

/* Queue scene_id. Coalesces as described above; a row that will run after
 * now (pending, or running and dirty) is left as it is, without taking the
 * write lock: that run reads the scene afresh.
 * *created_out (may be NULL) is 1 when a new row was inserted, 0 when it
 * merged into an existing one. */
int s2p_queue_enqueue(struct s2p_db *db, int64_t scene_id,
    enum s2p_job_reason reason, double now, int *created_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Queue scene_id to run now: a new pending job due now, or merged into the
 * scene's queued one, which becomes due now at the latest (a running one
 * runs again). The Stash UI's "sync now" and a dead letter's retry. */
int s2p_queue_due_now(struct s2p_db *db, int64_t scene_id,
    enum s2p_job_reason reason, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* Queue every scene of ids[0..n) like s2p_queue_enqueue, in one transaction
 * (all or nothing). *created_out (may be NULL) gets how many rows were new. */
int s2p_queue_enqueue_many(struct s2p_db *db, const int64_t *ids, size_t n,
    enum s2p_job_reason reason, double now, long *created_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Claim the due job with the earliest not_before (then lowest id), or one
 * whose lease expired, setting a lease of lease_secs. S2P_ENOTFOUND when
 * nothing is due. */
int s2p_queue_claim(struct s2p_db *db, double now, double lease_secs,
    struct s2p_job *out, struct s2p_error *err) S2P_NODISCARD;
/* Claim up to max due jobs at once (as s2p_queue_claim, in claim order),
 * filling out[0..*n). S2P_ENOTFOUND (and *n 0) when nothing is due. */
int s2p_queue_claim_many(struct s2p_db *db, double now, double lease_secs,
    size_t max, struct s2p_job *out, size_t *n,
    struct s2p_error *err) S2P_NODISCARD;
/* The functions below that take a job_id return S2P_ENOTFOUND when no such
 * row is queued (cleared meanwhile, or already acknowledged). */

/* The job succeeded: delete it (or, if it went dirty meanwhile, make it
 * pending again with attempts 0 and not_before now) and bump "done". */
int s2p_queue_ack(struct s2p_db *db, int64_t job_id, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* s2p_queue_ack for n jobs in one transaction (all or none): rows no
 * longer queued are skipped, "done" grows by the jobs acknowledged. */
int s2p_queue_ack_many(struct s2p_db *db, const int64_t *job_ids, size_t n,
    double now, struct s2p_error *err) S2P_NODISCARD;
/* The job failed and should run again at not_before. count_attempt says
 * whether this failure uses up an attempt (server-down failures do not).
 * error_class/msg are stored for queue_status (msg is truncated to 500
 * bytes). */
int s2p_queue_retry(struct s2p_db *db, int64_t job_id, double not_before,
    int count_attempt, const char *error_class, const char *msg, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* Give the job back untouched (shutdown mid-job): pending, same attempts. */
int s2p_queue_release(struct s2p_db *db, int64_t job_id, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* Move the job to the dead-letter table with its class and message (which
 * must not contain secrets). If it went dirty meanwhile, a fresh pending row
 * stays behind for the newer update. The dead row's attempts include this
 * final failure (attempts + 1). */
int s2p_queue_dead_letter(struct s2p_db *db, int64_t job_id,
    const char *error_class, const char *msg, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* What a dead letter keeps beyond the job: the scene's title when it failed
 * and, for an ambiguous match, the Plex candidates as a JSON array (text;
 * "[]" when none or when longer than the stored cap). Either may be NULL. */
struct s2p_dead_detail {
	const char *title;
	const char *candidates;
};
/* s2p_queue_dead_letter with the detail above (d may be NULL). The first
 * failure time is the job's first failed attempt (now if none). */
int s2p_queue_dead_letter_detail(struct s2p_db *db, int64_t job_id,
    const char *error_class, const char *msg, const struct s2p_dead_detail *d,
    double now, struct s2p_error *err) S2P_NODISCARD;
/* The clock went back: make pending rows due more than `ahead` seconds
 * after now due now (no retry delay is that long). *n_out (may be NULL)
 * gets the count. */
int s2p_queue_unskew(struct s2p_db *db, double now, double ahead, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Make every running row pending again (the caller holds the worker lock, so
 * they are orphans). *n_out (may be NULL) gets the count. */
int s2p_queue_recover_orphans(struct s2p_db *db, double now, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Rows in the queue (pending or running), the cheap count a progress bar
 * needs: no scan of the columns s2p_queue_counts adds up. */
int s2p_queue_size(struct s2p_db *db, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_queue_counts(struct s2p_db *db, double now,
    struct s2p_queue_counts *out, struct s2p_error *err) S2P_NODISCARD;
/* *any_out = 1 when the queue holds any job (pending or running). One
 * primary-key probe: cheap enough to poll every few seconds. */
int s2p_queue_has_work(struct s2p_db *db, int *any_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Delete every pending row (running rows are left alone). */
int s2p_queue_clear(struct s2p_db *db, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;

/* One queued job as s2p_queue_list shows it. */
struct s2p_job_view {
	struct s2p_job job;
	int running; /* claimed, lease not expired */
	char last_error[512];
};
typedef int (*s2p_job_fn)(const struct s2p_job_view *j, void *payload);
/* Call fn for up to limit queued jobs (limit <= 0: all), in claim order
 * (not_before, id). A non-zero return from fn stops the walk. */
int s2p_queue_list(struct s2p_db *db, double now, long limit, s2p_job_fn fn,
    void *payload, struct s2p_error *err);

/* One dead-letter row, as listed by s2p_dlq_list and s2p_dlq_get. */
struct s2p_dead_job {
	int64_t id;
	int64_t scene_id;
	int attempts;
	double failed_at;       /* the last failure */
	double first_failed_at; /* the first failure (0: not recorded) */
	char error_class[24];   /* status name: "not_found", "down", ... */
	char message[512];
	char title[256];       /* the scene's title when it failed */
	char reason[32];       /* what had queued the job */
	char candidates[2048]; /* JSON array of Plex candidates, "[]" */
};
typedef int (*s2p_dlq_fn)(const struct s2p_dead_job *job, void *payload);

/* Call fn for up to limit newest dead-letter rows (limit <= 0: all). A
 * non-zero return from fn stops the walk and is returned. */
int s2p_dlq_list(struct s2p_db *db, long limit, s2p_dlq_fn fn, void *payload,
    struct s2p_error *err);
/* The dead letter with this id; S2P_ENOTFOUND when there is none. */
int s2p_dlq_get(struct s2p_db *db, int64_t id, struct s2p_dead_job *out,
    struct s2p_error *err) S2P_NODISCARD;
typedef int (*s2p_dlq_count_fn)(const char *error_class, long n, void *payload);
/* Call fn for each stored error class with its count, largest first. */
int s2p_dlq_class_counts(struct s2p_db *db, s2p_dlq_count_fn fn, void *payload,
    struct s2p_error *err);
/* Put each dead letter of ids[0..n) back on the queue as exactly one job:
 * a new pending job, or merged into the job already queued for its scene
 * (due now at the latest; a running one runs again). The entries are
 * deleted. All or nothing: an id that is not a dead letter is
 * S2P_ENOTFOUND naming it. *n_out (may be NULL) gets n. */
int s2p_dlq_retry(struct s2p_db *db, const int64_t *ids, size_t n, double now,
    long *n_out, struct s2p_error *err) S2P_NODISCARD;
/* Delete the dead letters of ids[0..n), all or nothing as above. */
int s2p_dlq_drop(struct s2p_db *db, const int64_t *ids, size_t n, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Re-queue dead rows with failed_at in [from, to] and, if error_class is not
 * NULL, that class; scenes already queued are not duplicated. The requeued
 * dead rows are deleted. *n_out gets how many were queued. */
int s2p_dlq_requeue(struct s2p_db *db, double from, double to,
    const char *error_class, double now, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Re-queue dead rows that failed because Stash was unreachable or answered
 * 5xx (an earlier version dead-lettered those; now they wait). */
int s2p_dlq_requeue_stash_outage(struct s2p_db *db, double now, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Delete dead rows older than before (epoch seconds); before <= 0 deletes
 * all. */
int s2p_dlq_purge(struct s2p_db *db, double before, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Per-class counts "class=n, class=n" into buf. */
int s2p_dlq_summary(struct s2p_db *db, char *buf, size_t len,
    struct s2p_error *err);

#endif
