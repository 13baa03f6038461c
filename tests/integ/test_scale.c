/*
 * test_scale.c - batched Stash reads and concurrent Plex writes (issue 11),
 * on the real binary against the fakes: with plex_concurrency N the fake
 * Plex sees requests overlap (at most N), never with 1; every scene ends
 * synced either way; a re-sync reads Stash one findScenes per batch and
 * writes nothing. Counts only, never timings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SCENES 60

static const char *const batch_env[] = {"STASH2PLEX_AUTODRAIN=0",
    "STASH2PLEX_BATCH=25", NULL};

static void
run_task(struct h_env *e, const char *mode)
{
	char args[64];
	struct h_run r;

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	assert_int_equal(h_run_plugin(e, args, batch_env, &r), 0);
	if (r.status != 0)
		fprintf(stderr, "%s: %s\n%s\n", mode, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "\"error\""));
	h_run_free(&r);
}

/* The most requests the fake Plex handled at once since the last reset. */
static long
max_in_flight(struct h_env *e)
{
	json_t *c = h_get(e->plex_ctl, "/requests/count");
	long n = (long)json_integer_value(json_object_get(c, "max_in_flight"));

	json_decref(c);
	return n;
}

/* First sync with plex_concurrency n against a Plex that takes 20 ms per
 * request; returns the most requests in flight at once. */
static long
first_sync(struct h_env *e, int n)
{
	char extra[64];

	assert_int_equal(h_start(e, SCENES, 11, "--latency-ms 20", NULL), 0);
	snprintf(extra, sizeof(extra), "\"plex_concurrency\": %d", n);
	assert_int_equal(h_settings(e, extra), 0);
	run_task(e, "all");
	h_delete(e->plex_ctl, "/requests");
	run_task(e, "process_queue");
	assert_int_equal(h_unsynced(e, 0), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM dead_letter"), 0);
	return max_in_flight(e);
}

static void
test_scale__concurrency_overlaps_plex_requests(void **state)
{
	struct h_env e;
	long most;

	(void)state;
	most = first_sync(&e, 4);
	printf("plex_concurrency 4: at most %ld Plex requests at once\n", most);
	assert_true(most >= 2 && most <= 4);
	h_stop(&e);
}

static void
test_scale__concurrency_one_is_sequential(void **state)
{
	struct h_env e;

	(void)state;
	assert_int_equal(first_sync(&e, 1), 1);
	h_stop(&e);
}

/* An unchanged re-sync: one findScenes per batch of 25 (and the id pages
 * of Sync All), no findScene, no Plex request. */
static void
test_scale__resync_reads_stash_in_batches(void **state)
{
	struct h_env e;
	json_t *reqs, *r;
	size_t i;
	int batches = 0, single = 0;

	(void)state;
	first_sync(&e, 4);
	h_delete(e.stash_ctl, "/requests");
	h_delete(e.plex_ctl, "/requests");
	run_task(&e, "all");
	run_task(&e, "process_queue");
	reqs = h_get(e.stash_ctl, "/requests");
	json_array_foreach(reqs, i, r)
	{
		const char *b = json_string_value(json_object_get(r, "body"));

		if (b != NULL && strstr(b, "FindScenesByIds") != NULL)
			batches++;
		if (b != NULL && strstr(b, "findScene(") != NULL)
			single++;
	}
	json_decref(reqs);
	printf("re-sync of %d scenes: %d findScenes batch request(s)\n", SCENES,
	    batches);
	assert_int_equal(batches, (SCENES + 24) / 25);
	assert_int_equal(single, 0);
	r = h_get(e.plex_ctl, "/requests/count");
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
	json_decref(r);
	h_stop(&e);
}

/* A library of exactly one id page (1,000): the empty page after it
 * queues nothing, so Sync All reports 1,000, not 2,000. */
static void
test_scale__sync_all_counts_a_full_last_page(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	assert_int_equal(h_start(&e, 1000, 11, "--log-max 0", "--log-max 0"),
	    0);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"all\"}", batch_env, &r),
	    0);
	printf("%s\n", r.out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued 1000 scene(s), 0 already"));
	h_run_free(&r);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scale__concurrency_overlaps_plex_requests),
	    cmocka_unit_test(test_scale__concurrency_one_is_sequential),
	    cmocka_unit_test(test_scale__resync_reads_stash_in_batches),
	    cmocka_unit_test(test_scale__sync_all_counts_a_full_last_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
