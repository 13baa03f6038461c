/*
 * test_worker.c - the queue-draining loop (sync/worker.c) in-process with
 * both fakes, a real database and a manual clock (its sleeps only move the
 * clock): a queue drains and is acknowledged, an unchanged scene costs no
 * Plex request unless a reconcile queued it, Plex failures back off and
 * open the circuit breaker with every job kept, and a permanent failure is
 * dead-lettered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/queue.h"
#include "sync/breaker.h"
#include "sync/worker.h"

#include "sync_fx.h"

static int
setup(void **state)
{
	*state = sync_fx_start(6);
	return 0;
}

static int
teardown(void **state)
{
	sync_fx_stop(*state);
	return 0;
}

static void
enqueue(struct sync_fx *f, int64_t first, int64_t last,
    enum s2p_job_reason reason)
{
	int64_t id;

	for (id = first; id <= last; id++)
		assert_int_equal(s2p_queue_enqueue(f->ctx.db, id, reason,
				     f->clk.t, NULL, NULL),
		    S2P_OK);
}

/* One foreground run (until idle); returns its stats. */
static struct s2p_worker_stats
run(struct sync_fx *f)
{
	struct s2p_worker_opts o;
	struct s2p_worker_stats st;
	struct s2p_error err;
	int rc;

	memset(&o, 0, sizeof(o));
	o.until_idle = 1;
	s2p_error_clear(&err);
	rc = s2p_worker_run(&f->ctx, &o, &st, &err);
	if (rc != S2P_OK)
		fail_msg("worker run: %d %s", rc, err.msg);
	return st;
}

static struct s2p_queue_counts
counts(struct sync_fx *f)
{
	struct s2p_queue_counts c;

	assert_int_equal(s2p_queue_counts(f->ctx.db, f->clk.t, &c, NULL),
	    S2P_OK);
	return c;
}

static void
test_worker__drains_and_acknowledges(void **state)
{
	struct sync_fx *f = *state;
	struct s2p_worker_stats st;

	enqueue(f, 1, 6, S2P_REASON_ALL);
	st = run(f);
	assert_int_equal(st.processed, 6);
	assert_int_equal(st.updated, 6);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(counts(f).pending, 0);
	assert_int_equal(counts(f).done, 6);

	/* Queued again without a change: nothing to send, not even a GET. */
	sync_fx_forget(f);
	enqueue(f, 1, 6, S2P_REASON_HOOK);
	st = run(f);
	assert_int_equal(st.unchanged, 6);
	assert_int_equal(sync_fx_plex_requests(f, NULL), 0);
}

/* A reconcile job reads the Plex item even when nothing changed in Stash
 * (the worker turns the reason into verify mode). */
static void
test_worker__reconcile_reads_plex(void **state)
{
	struct sync_fx *f = *state;
	struct s2p_worker_stats st;

	enqueue(f, 1, 2, S2P_REASON_ALL);
	(void)run(f);
	sync_fx_forget(f);
	enqueue(f, 1, 2, S2P_REASON_RECONCILE);
	st = run(f);
	assert_int_equal(st.unchanged, 2);
	assert_true(sync_fx_plex_requests(f, "GET") >= 2);
	assert_int_equal(sync_fx_plex_requests(f, "PUT"), 0);
}

/* Plex answering 503: every job is retried later (none lost), five
 * failures open the breaker and the run ends with the jobs waiting; once
 * Plex is back and the time has come, they drain. */
static void
test_worker__plex_outage_keeps_jobs(void **state)
{
	struct sync_fx *f = *state;
	struct s2p_worker_stats st;
	struct s2p_breaker b;
	char *path;

	enqueue(f, 1, 6, S2P_REASON_ALL);
	sync_fx_plex_status(f, 503);
	st = run(f);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.dead, 0);
	assert_int_equal(st.retried, 5);
	assert_int_equal(st.waiting, 6);
	assert_int_equal(counts(f).pending, 6);
	path = s2p_ctx_path(&f->ctx, S2P_BREAKER_FILE);
	s2p_breaker_init(&b, path);
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);

	sync_fx_plex_status(f, 0);
	f->clk.t += 3600;
	st = run(f);
	assert_int_equal(st.updated, 6);
	assert_int_equal(counts(f).pending, 0);
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	s2p_breaker_free(&b);
	free(path);
}

/* A request Plex refuses for good (400) is dead-lettered at once. */
static void
test_worker__permanent_failure_is_dead_lettered(void **state)
{
	struct sync_fx *f = *state;
	struct s2p_worker_stats st;

	enqueue(f, 1, 1, S2P_REASON_HOOK);
	sync_fx_plex_status(f, 400);
	st = run(f);
	assert_int_equal(st.dead, 1);
	assert_int_equal(counts(f).dead, 1);
	assert_int_equal(counts(f).pending, 0);
}

/* The clock jumps back a day after a failed run: the retries it scheduled
 * are made due at once (not a day later), the breaker restarts its timeout,
 * and everything drains; then a jump forward a year: nothing is lost. */
static void
test_worker__clock_jumps_lose_nothing(void **state)
{
	struct sync_fx *f = *state;
	struct s2p_worker_stats st;

	enqueue(f, 1, 6, S2P_REASON_ALL);
	sync_fx_plex_status(f, 503);
	st = run(f);
	assert_int_equal(st.waiting, 6);
	sync_fx_plex_status(f, 0);
	f->clk.t -= 86400;
	st = run(f); /* the breaker (opened "tomorrow") waits again */
	assert_int_equal(st.dead, 0);
	assert_int_equal(counts(f).pending, 6);
	f->clk.t += 61;
	st = run(f);
	assert_int_equal(st.updated, 6);
	assert_int_equal(counts(f).pending, 0);
	assert_int_equal(counts(f).dead, 0);

	/* Forward a year in the middle of a retry: due at once. */
	sync_fx_forget(f);
	enqueue(f, 1, 1, S2P_REASON_RECONCILE);
	sync_fx_plex_status(f, 503);
	st = run(f);
	assert_int_equal(st.retried, 1);
	sync_fx_plex_status(f, 0);
	f->clk.t += 365 * 86400.0;
	st = run(f);
	assert_int_equal(st.unchanged + st.updated, 1);
	assert_int_equal(counts(f).pending, 0);
	assert_int_equal(counts(f).dead, 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_worker__drains_and_acknowledges),
	    T(test_worker__reconcile_reads_plex),
	    T(test_worker__plex_outage_keeps_jobs),
	    T(test_worker__permanent_failure_is_dead_lettered),
	    T(test_worker__clock_jumps_lose_nothing),
	};
#undef T

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
