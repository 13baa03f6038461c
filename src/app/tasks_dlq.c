/*
 * tasks_dlq.c - the tasks that act on dead letters and on the match cache:
 * Retry Dead Letters (re-queue every entry whose class can succeed now:
 * not-found, transient, server-down; leave permanent ones and say why) and
 * Clear Match Cache (forget the Plex path index, with every ratingKey it
 * caches, and the "unchanged since" digests; rebuilt on next use).
 */
#include <stdio.h>
#include <stdlib.h>

#include "app/tasks.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/pindex.h"

/* Entries chosen for a retry, and the permanent ones left. */
struct pick {
	int64_t *ids;
	size_t n, cap;
	long left;
};

static int
pick_one(const struct s2p_dead_job *j, void *payload)
{
	struct pick *p = payload;
	enum s2p_err_class cls = s2p_class_of_name(j->error_class);

	if (cls == S2P_CLASS_PERMANENT || cls == S2P_CLASS_NONE) {
		p->left++;
		s2p_info("Left dead letter #%lld (scene %lld): %s cannot "
			 "succeed by retrying: %s",
		    (long long)j->id, (long long)j->scene_id, j->error_class,
		    j->message);
		return 0;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->ids = s2p_xreallocarray(p->ids, p->cap, sizeof(*p->ids));
	}
	p->ids[p->n++] = j->id;
	return 0;
}

int
s2p_task_retry_dlq(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct pick p = {NULL, 0, 0, 0};
	long n = 0;
	int rc, started = 0;

	rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_dlq_list(app->ctx.db, 0, pick_one, &p, err);
	if (rc == S2P_OK)
		rc = s2p_dlq_retry(app->ctx.db, p.ids, p.n,
		    s2p_clock_now(app->ctx.clock), &n, err);
	free(p.ids);
	if (rc != S2P_OK)
		return rc;
	s2p_info("Re-queued %ld dead letter(s) (not-found, transient, "
		 "server-down); left %ld permanent one(s)",
	    n, p.left);
	if (n > 0)
		rc = s2p_ensure_worker(app, &started, err);
	(void)!s2p_buf_addf(msg, "re-queued %ld dead letter(s), left %ld", n,
	    p.left);
	return rc;
}

int
s2p_task_clear_match_cache(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	long parts = 0, keys = 0;
	int rc = s2p_ctx_db(&app->ctx, err);

	if (rc == S2P_OK)
		rc = s2p_pindex_clear_all(app->ctx.db, &parts, &keys, err);
	if (rc != S2P_OK)
		return rc;
	if (parts == 0 && keys == 0)
		s2p_info("Match cache already empty");
	else
		s2p_info("Cleared the match cache: %ld indexed Plex file(s), "
			 "%ld synced scene(s). The next sync matches every "
			 "scene against Plex again",
		    parts, keys);
	(void)!s2p_buf_addf(msg,
	    "cleared %ld indexed file(s), %ld synced scene(s)", parts, keys);
	return S2P_OK;
}
