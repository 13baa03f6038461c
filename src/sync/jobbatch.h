/*
 * jobbatch.h - the worker's batch of claimed jobs: claim up to n due jobs at
 * once and read all their scenes from Stash with one findScenes request
 * (s2p_stash_find_scenes), then hand them out one by one. A job whose scene
 * could not be read with the batch is handed out without one, and the sync
 * reads it alone (a batch of one), so every failure keeps its per-job
 * meaning. Jobs not handed out yet go back to the queue untouched with
 * s2p_jobbatch_release.
 */
#ifndef S2P_JOBBATCH_H
#define S2P_JOBBATCH_H

#include <stddef.h>

#include "net/stash.h"
#include "store/queue.h"

/* Default and largest batch (STASH2PLEX_BATCH overrides the default). */
#define S2P_JOBBATCH_DEFAULT 100
#define S2P_JOBBATCH_MAX 2000

struct s2p_jobbatch {
	struct s2p_job *jobs; /* claimed, in claim order */
	struct s2p_scene *sc; /* sc[i]: the scene of jobs[i] when st[i] is OK */
	int *st;   /* S2P_OK, S2P_ENOTFOUND (gone), else read it alone */
	size_t n;  /* jobs claimed */
	size_t at; /* next job to hand out */
	size_t cap;
	double claimed_at;
	int64_t *acks; /* jobs done, acknowledged together (flush) */
	size_t nacks, ack_cap;
};

void s2p_jobbatch_init(struct s2p_jobbatch *b);
void s2p_jobbatch_free(struct s2p_jobbatch *b);
/* Nothing left to hand out. */
int s2p_jobbatch_empty(const struct s2p_jobbatch *b);
/* Claim up to max jobs (lease as s2p_queue_claim) and read their scenes.
 * The batch must be empty. Returns the claim's code (S2P_ENOTFOUND when
 * nothing is due) or the flush's (S2P_EDISK, S2P_ECORRUPT); a failed Stash read
 * is not a failure here: the first job is then read alone and the others go
 * back to the queue. */
int s2p_jobbatch_fill(struct s2p_jobbatch *b, struct s2p_db *db,
    struct s2p_stash *stash, double now, double lease, size_t max,
    struct s2p_error *err) S2P_NODISCARD;
/* The next job: *sc is its scene (borrowed until the next call; NULL when
 * Stash has none) and *have 1, or *have 0 when the sync must read it. */
void s2p_jobbatch_next(struct s2p_jobbatch *b, struct s2p_job *job,
    const struct s2p_scene **sc, int *have);
/* Give every job not handed out yet back to the queue, untouched (after
 * a flush of the jobs done; a failed flush is logged at debug level). */
void s2p_jobbatch_release(struct s2p_jobbatch *b, struct s2p_db *db,
    double now);
/* The job (handed out by this batch) succeeded: acknowledge it with the
 * others at the next flush, in one transaction instead of one each. Until
 * then the row stays running under its lease: a worker killed before the
 * flush leaves orphans that run again, at the cost of a digest check. */
void s2p_jobbatch_done(struct s2p_jobbatch *b, int64_t job_id);
/* Acknowledge the jobs marked done (s2p_queue_ack_many). s2p_jobbatch_fill
 * and s2p_jobbatch_release flush first; the list is empty afterwards even
 * on failure (those rows come back as orphans). */
int s2p_jobbatch_flush(struct s2p_jobbatch *b, struct s2p_db *db, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* The batch size in force: STASH2PLEX_BATCH (1..S2P_JOBBATCH_MAX) or the
 * default. */
size_t s2p_jobbatch_size(void);

#endif
