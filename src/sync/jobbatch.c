/*
 * jobbatch.c - claim jobs in batches and read their scenes with one Stash
 * request per batch (see jobbatch.h). At 100,000 scenes an unchanged re-sync
 * is all Stash reads: one findScenes per few hundred jobs instead of one
 * findScene per job is what makes it fast.
 */
#include "jobbatch.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

void
s2p_jobbatch_init(struct s2p_jobbatch *b)
{
	memset(b, 0, sizeof(*b));
}

/* Free the scenes read for the batch and forget its jobs. */
static void
clear(struct s2p_jobbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		s2p_scene_free(&b->sc[i]);
	b->n = b->at = 0;
}

void
s2p_jobbatch_free(struct s2p_jobbatch *b)
{
	clear(b);
	free(b->jobs);
	free(b->sc);
	free(b->st);
	free(b->acks);
	memset(b, 0, sizeof(*b));
}

int
s2p_jobbatch_empty(const struct s2p_jobbatch *b)
{
	return b->at >= b->n;
}

size_t
s2p_jobbatch_size(void)
{
	const char *v = getenv("STASH2PLEX_BATCH");
	long n = v != NULL ? strtol(v, NULL, 10) : 0;

	if (n < 1 || n > S2P_JOBBATCH_MAX)
		return S2P_JOBBATCH_DEFAULT;
	return (size_t)n;
}

/* Read the scenes of every claimed job with one request. On failure only
 * the first job stays (read alone, so its failure is handled as for one
 * job); the others go back to the queue. */
static void
read_scenes(struct s2p_jobbatch *b, struct s2p_db *db, struct s2p_stash *stash,
    double now)
{
	int64_t *ids = s2p_xreallocarray(NULL, b->n, sizeof(*ids));
	struct s2p_error e;
	size_t i, n = b->n;

	s2p_error_clear(&e);
	for (i = 0; i < b->n; i++)
		ids[i] = b->jobs[i].scene_id;
	if (s2p_stash_find_scenes(stash, ids, b->n, b->sc, b->st, &e) !=
	    S2P_OK) {
		s2p_debug("reading %zu scene(s) at once failed (%s); reading "
			  "scene %lld alone",
		    b->n, e.msg, (long long)ids[0]);
		b->st[0] = S2P_EPARSE; /* read it alone */
		b->n = 1;
		b->at = 0;
		for (i = 1; i < n; i++)
			if (s2p_queue_release(db, b->jobs[i].id, now, &e) !=
			    S2P_OK)
				s2p_debug("queue: %s", e.msg);
	}
	free(ids);
}

void
s2p_jobbatch_done(struct s2p_jobbatch *b, int64_t job_id)
{
	if (b->nacks == b->ack_cap) {
		b->ack_cap = b->ack_cap ? 2 * b->ack_cap : 64;
		b->acks = s2p_xreallocarray(b->acks, b->ack_cap,
		    sizeof(*b->acks));
	}
	b->acks[b->nacks++] = job_id;
}

int
s2p_jobbatch_flush(struct s2p_jobbatch *b, struct s2p_db *db, double now,
    struct s2p_error *err)
{
	size_t n = b->nacks;

	b->nacks = 0;
	return s2p_queue_ack_many(db, b->acks, n, now, err);
}

int
s2p_jobbatch_fill(struct s2p_jobbatch *b, struct s2p_db *db,
    struct s2p_stash *stash, double now, double lease, size_t max,
    struct s2p_error *err)
{
	int rc;

	s2p_assert(s2p_jobbatch_empty(b));
	clear(b);
	rc = s2p_jobbatch_flush(b, db, now, err);
	if (rc == S2P_EDISK || rc == S2P_ECORRUPT)
		return rc;
	if (rc != S2P_OK) /* the rows come back as orphans */
		s2p_errorf("queue: %s", err ? err->msg : "");
	s2p_error_clear(err);
	if (max > b->cap) {
		b->jobs = s2p_xreallocarray(b->jobs, max, sizeof(*b->jobs));
		b->sc = s2p_xreallocarray(b->sc, max, sizeof(*b->sc));
		b->st = s2p_xreallocarray(b->st, max, sizeof(*b->st));
		b->cap = max;
	}
	rc = s2p_queue_claim_many(db, now, lease, max, b->jobs, &b->n, err);
	if (rc != S2P_OK) {
		b->n = 0;
		return rc;
	}
	b->claimed_at = now;
	read_scenes(b, db, stash, now);
	return S2P_OK;
}

void
s2p_jobbatch_next(struct s2p_jobbatch *b, struct s2p_job *job,
    const struct s2p_scene **sc, int *have)
{
	size_t i = b->at++;

	s2p_assert(i < b->n);
	*job = b->jobs[i];
	*have = b->st[i] == S2P_OK || b->st[i] == S2P_ENOTFOUND;
	*sc = b->st[i] == S2P_OK ? &b->sc[i] : NULL;
}

void
s2p_jobbatch_release(struct s2p_jobbatch *b, struct s2p_db *db, double now)
{
	struct s2p_error e;

	s2p_error_clear(&e);
	/* Quietly, as the releases below: a run that stops on a full disk
	 * has said so once; the rows come back as orphans. */
	if (s2p_jobbatch_flush(b, db, now, &e) != S2P_OK)
		s2p_debug("queue: %s", e.msg);
	for (; b->at < b->n; b->at++)
		if (s2p_queue_release(db, b->jobs[b->at].id, now, &e) != S2P_OK)
			s2p_debug("queue: %s", e.msg);
	clear(b);
}
