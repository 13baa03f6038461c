/*
 * test_e2e.c - the walking skeleton end to end: the real stash2plex binary,
 * run exactly as Stash runs it, against the real fake Stash and fake Plex
 * over loopback. Covers the hook (no network, queue only), Process Queue,
 * Sync All, the background worker, idempotence (a second sync writes
 * nothing) and protocol errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* 1 when the string array a holds exactly the names of b (any order). */
static int
same_set(json_t *a, json_t *b)
{
	size_t i, j;
	json_t *x, *y;

	if (json_array_size(a) != json_array_size(b))
		return 0;
	json_array_foreach(a, i, x)
	{
		int found = 0;

		json_array_foreach(b, j, y) if (json_equal(x, y)) found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static int
locked(json_t *item, const char *field)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(item, "locked"), i,
	    f) if (strcmp(json_string_value(f), field) == 0) return 1;
	return 0;
}

/* Assert the Plex item of Stash scene id carries Stash's metadata, locked. */
static void
assert_synced(struct h_env *e, long id)
{
	json_t *sc = h_stash_scene(e, id), *it;
	const char *studio;

	assert_non_null(sc);
	it = h_plex_item_by_file(e,
	    json_string_value(json_array_get(json_object_get(sc, "files"), 0)));
	assert_non_null(it);
	assert_string_equal(str(it, "title"), str(sc, "title"));
	assert_string_equal(str(it, "summary"), str(sc, "details"));
	assert_string_equal(str(it, "originallyAvailableAt"), str(sc, "date"));
	studio = json_is_string(json_object_get(sc, "studio"))
	    ? str(sc, "studio")
	    : "";
	assert_string_equal(str(it, "studio"), studio);
	assert_true(same_set(json_object_get(it, "genres"),
	    json_object_get(sc, "tags")));
	assert_true(same_set(json_object_get(it, "actors"),
	    json_object_get(sc, "performers")));
	assert_true(locked(it, "title"));
	assert_true(locked(it, "summary"));
	assert_true(locked(it, "genre"));
	json_decref(sc);
	json_decref(it);
}

static void
run_ok(struct h_env *e, const char *args, const char *const *env,
    struct h_run *r)
{
	json_t *out;

	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	assert_non_null(out);
	assert_true(json_is_string(json_object_get(out, "output")));
	assert_null(json_object_get(out, "error"));
	json_decref(out);
}

static void
test_e2e__hook_then_process_queue(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	assert_int_equal(h_start(&e, 12, 7, NULL, NULL), 0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/3",
			     "{\"title\": \"Edited in Stash\", \"details\": "
			     "\"Line one.\\n\\nSecond paragraph.\", \"tags\": "
			     "[\"Alpha\", \"Beta & Gamma\"]}"),
	    200);
	h_delete(e.plex_ctl, "/requests");
	h_delete(e.stash_ctl, "/requests");
	run_ok(&e,
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 3, \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"3\", \"title\": "
	    "\"Edited in Stash\", \"tag_ids\": [\"1\"]}, \"inputFields\": "
	    "[\"id\", \"title\", \"tag_ids\"]}}",
	    no_autodrain, &r);
	assert_non_null(strstr(r.out, "queued scene 3"));
	h_run_free(&r);
	/* The hook touched neither server. */
	assert_int_equal(h_count_requests(&e, "GET", "/"), 0);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	{
		json_t *sr = h_get(e.stash_ctl, "/requests");

		assert_int_equal(json_array_size(sr), 0);
		json_decref(sr);
	}
	/* Scan noise: an update hook with no input is ignored. */
	run_ok(&e,
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 4, \"type\": "
	    "\"Scene.Update.Post\", \"input\": null}}",
	    no_autodrain, &r);
	assert_null(strstr(r.out, "queued"));
	h_run_free(&r);
	run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "1 updated"));
	/* Progress went to stderr as a 0..1 fraction with Stash's prefix. */
	assert_non_null(strstr(r.err, "\x01p\x02"));
	h_run_free(&r);
	assert_synced(&e, 3);
	/* Exactly one edit was sent, and it named the item. */
	assert_int_equal(h_count_requests(&e, "PUT", "/library/sections/"), 1);
	h_stop(&e);
}

static void
test_e2e__sync_all_is_idempotent(void **state)
{
	struct h_env e;
	struct h_run r;
	long id;

	(void)state;
	assert_int_equal(h_start(&e, 40, 11, NULL, NULL), 0);
	run_ok(&e, "{\"mode\": \"all\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "queued 40 scene(s)"));
	h_run_free(&r);
	run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	h_run_free(&r);
	for (id = 1; id <= 40; id++)
		assert_synced(&e, id);
	/* The worker recorded what it did (store/metrics.c): 40 synced jobs
	 * in this minute's sample and the totals, and the Plex requests'
	 * latencies. */
	assert_int_equal(h_db_long(&e, "SELECT sum(synced) FROM metric_minute"),
	    40);
	assert_int_equal(h_db_long(&e,
			     "SELECT value FROM counter"
			     " WHERE name = 'metric:jobs:synced'"),
	    40);
	assert_true(h_db_long(&e,
			"SELECT sum(requests) FROM metric_minute"
			" WHERE p50_ms > 0") >= 40);
	/* A second full sync finds nothing to write. */
	h_delete(e.plex_ctl, "/requests");
	run_ok(&e, "{\"mode\": \"all\"}", no_autodrain, &r);
	h_run_free(&r);
	run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "0 updated, 40 unchanged"));
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	h_stop(&e);
}

static void
test_e2e__hook_starts_background_worker(void **state)
{
	struct h_env e;
	struct h_run r;
	char logpath[400];
	FILE *f;

	(void)state;
	assert_int_equal(h_start(&e, 8, 3, NULL, NULL), 0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/5",
			     "{\"title\": \"Background edit\"}"),
	    200);
	{
		const char *const env[] = {"STASH2PLEX_IDLE_EXIT=0.5", NULL};

		run_ok(&e,
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 5, "
		    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": "
		    "\"5\", \"title\": \"Background edit\"}, \"inputFields\": "
		    "[\"title\"]}}",
		    env, &r);
	}
	h_run_free(&r);
	assert_int_equal(h_wait_worker(&e, 60), 0);
	assert_synced(&e, 5);
	/* The detached worker logged to the data directory, and no secret. */
	snprintf(logpath, sizeof(logpath), "%s/data/stash2plex.log", e.dir);
	f = fopen(logpath, "r");
	assert_non_null(f);
	{
		char line[4096];
		int synced = 0;

		while (fgets(line, sizeof(line), f) != NULL) {
			if (strstr(line, "Synced scene 5"))
				synced = 1;
			assert_null(strstr(line, e.token));
			assert_null(strstr(line, "sess-cookie-77e1"));
		}
		assert_true(synced);
	}
	fclose(f);
	h_stop(&e);
}

static void
test_e2e__bad_input_is_a_clean_error(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *out;

	(void)state;
	assert_int_equal(h_start(&e, 1, 1, NULL, NULL), 0);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"no_such_mode\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 1);
	out = json_loads(r.out, 0, NULL);
	assert_non_null(out);
	assert_non_null(strstr(str(out, "error"), "no_such_mode"));
	json_decref(out);
	h_run_free(&r);
	assert_int_equal(h_run_plugin(&e, "[1, 2", no_autodrain, &r), 0);
	assert_int_equal(r.status, 1);
	out = json_loads(r.out, 0, NULL);
	assert_non_null(out);
	assert_true(json_is_string(json_object_get(out, "error")));
	json_decref(out);
	h_run_free(&r);
	h_stop(&e);
}

/* Stash unreachable while draining: the task stops, every job is kept
 * (none retried to death, none dead-lettered), and a later run syncs. */
static void
test_e2e__stash_down_keeps_jobs(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	assert_int_equal(h_start(&e, 5, 17, NULL, NULL), 0);
	run_ok(&e, "{\"mode\": \"all\"}", no_autodrain, &r);
	h_run_free(&r);
	assert_int_equal(h_post(e.stash_ctl, "/fault", "{\"mode\": \"down\"}"),
	    200);
	run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "5 waiting"));
	assert_non_null(strstr(r.err, "Stash is unreachable"));
	h_run_free(&r);
	run_ok(&e, "{\"mode\": \"queue_status\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "5 pending, 0 in progress, 0 dead"));
	h_run_free(&r);
	assert_int_equal(h_post(e.stash_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	assert_non_null(strstr(r.out, "5 updated"));
	h_run_free(&r);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_e2e__hook_then_process_queue),
	    cmocka_unit_test(test_e2e__sync_all_is_idempotent),
	    cmocka_unit_test(test_e2e__hook_starts_background_worker),
	    cmocka_unit_test(test_e2e__bad_input_is_a_clean_error),
	    cmocka_unit_test(test_e2e__stash_down_keeps_jobs),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
