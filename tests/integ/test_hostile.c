/*
 * test_hostile.c - regression tests for the defects hostile testing found
 * (issue 9), each through the real stash2plex binary against the real fakes:
 * bad data in one scene, file-name matches that would overwrite another
 * scene's item, a Stash outage, persistent database errors and stale
 * settings, a password in plex_url, values Plex rejects, and inputs that
 * deserve a clear error. Every test keeps its own fakes and data directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "harness.h"

static const char *const no_autodrain[] = { "STASH2PLEX_AUTODRAIN=0", NULL };

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* Run a task (or any args document) without a background worker; prints
 * the run's output when it fails. */
static void
run_args(struct h_env *e, const char *args, const char *const *env,
    struct h_run *r)
{
	assert_int_equal(h_run_plugin(e, args, env ? env : no_autodrain, r), 0);
	if (r->status != 0)
		fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", r->status,
		    r->out, r->err);
}

static void
run_task(struct h_env *e, const char *mode, const char *const *env,
    struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);

	run_args(e, args, env, r);
	free(args);
}

/* The Scene.Update.Post hook of scene id (a title edit). */
static void
hook(struct h_env *e, long id, struct h_run *r)
{
	char *args = s2p_xasprintf("{\"hookContext\": {\"id\": %ld, "
	    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"%ld\", "
	    "\"title\": \"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
	    id, id);

	run_args(e, args, NULL, r);
	free(args);
}

/* The Plex item holding Stash scene id's first file (new reference). */
static json_t *
item_of(struct h_env *e, long id)
{
	json_t *sc = h_stash_scene(e, id), *it;

	assert_non_null(sc);
	it = h_plex_item_by_file(e,
	    json_string_value(json_array_get(json_object_get(sc, "files"), 0)));
	json_decref(sc);
	assert_non_null(it);
	return it;
}

/* 1 when the output says the run failed (an {"error": ...} object). */
static int
is_error(const struct h_run *r)
{
	json_t *o = json_loads(r->out, 0, NULL);
	int bad = o == NULL || json_object_get(o, "error") != NULL;

	json_decref(o);
	return bad;
}

/*
 * 1. A NUL character in one scene's title must not stop the queue: the
 * scene syncs with the NUL removed, the other scene syncs too.
 */
static void
test_hostile__nul_in_title_does_not_stop_the_queue(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *it;

	(void)state;
	assert_int_equal(h_start(&e, 4, 31, NULL, NULL), 0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/1",
			     "{\"title\": \"before\\u0000after\"}"),
	    200);
	assert_int_equal(h_post(e.stash_ctl, "/scene/2",
			     "{\"title\": \"Second scene edited\"}"),
	    200);
	hook(&e, 1, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	hook(&e, 2, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	printf("process_queue 1: %s\n", r.out);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	h_run_free(&r);
	it = item_of(&e, 1);
	assert_string_equal(str(it, "title"), "beforeafter");
	json_decref(it);
	it = item_of(&e, 2);
	assert_string_equal(str(it, "title"), "Second scene edited");
	json_decref(it);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	h_stop(&e);
}

/*
 * 3. Stash answering 502 is an outage: jobs wait with their attempts
 * untouched (even with max_retries 1) and sync once Stash is back; Recover
 * Outage Jobs re-queues jobs an earlier version dead-lettered for it.
 */
static void
test_hostile__stash_5xx_is_an_outage(void **state)
{
	struct h_env e;
	struct h_run r;
	char *sql;

	(void)state;
	assert_int_equal(h_start(&e, 10, 33, NULL, NULL), 0);
	assert_int_equal(h_settings(&e, "\"max_retries\": 1"), 0);
	/* Queue all ten (and cache the settings) while Stash is fine. */
	run_task(&e, "all", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_post(e.stash_ctl, "/fault",
			     "{\"mode\": \"status\", \"status\": 502, "
			     "\"seconds\": 4, \"path_prefix\": \"/graphql\"}"),
	    200);
	run_task(&e, "process_queue", NULL, &r);
	printf("during the outage: %s\n%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 10);
	assert_int_equal(h_db_long(&e, "SELECT max(attempts) FROM job"), 0);
	/* Stash is back. */
	h_sleep(4.5);
	run_task(&e, "process_queue", NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "processed 10"));
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);

	/* Dead letters an earlier version left for a Stash outage come back;
	 * a Plex rejection does not. */
	sql = s2p_xasprintf("INSERT INTO dead_letter (scene_id, attempts, "
	    "failed_at, error_class, message, reason) VALUES "
	    "(3, 5, %.0f, 'temporary', 'Stash FindScene: HTTP 502', 'hook'), "
	    "(4, 5, %.0f, 'temporary', 'POST http://127.0.0.1:9/graphql: "
	    "timed out after 30000 ms', 'hook'), "
	    "(5, 1, %.0f, 'permanent', 'Plex PUT /library/metadata/1005: "
	    "HTTP 400', 'hook') RETURNING 0", h_wall(), h_wall(), h_wall());
	assert_int_equal(h_db_long(&e, sql), 0);
	free(sql);
	run_task(&e, "recover_outage_jobs", NULL, &r);
	printf("recover: %s\n%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "re-queued 2 job(s)"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 2);
	assert_int_equal(h_db_long(&e, "SELECT scene_id FROM dead_letter"), 5);
	h_stop(&e);
}

/*
 * 6. Values Plex would reject: an impossible date is cleared (with a
 * warning naming the scene), a rating above 100 is clamped, and a field
 * Plex rejects (here: genres, by a fault) fails alone while the scene's
 * other fields are written.
 */
static void
test_hostile__rejected_values_fail_alone(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *it, *sc;

	(void)state;
	assert_int_equal(h_start(&e, 4, 35, NULL, NULL), 0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/1",
			     "{\"title\": \"Bad date\", \"date\": \"2024-13-45\", "
			     "\"rating100\": 1000}"),
	    200);
	assert_int_equal(h_post(e.stash_ctl, "/scene/2",
			     "{\"title\": \"Genres refused\", \"tags\": "
			     "[\"Alpha\", \"Beta\"]}"),
	    200);
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"status\", \"status\": 400, "
			     "\"method\": \"PUT\", \"query_key\": \"genre[\"}"),
	    200);
	hook(&e, 1, &r);
	h_run_free(&r);
	hook(&e, 2, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	printf("%s\n%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "0 dead-lettered"));
	assert_non_null(strstr(r.err, "Scene 1: date \"2024-13-45\" is not a "
				      "calendar date"));
	assert_non_null(strstr(r.err, "Scene 1: rating100 1000 is above 100"));
	assert_non_null(strstr(r.err, "Scene 2: Plex rejected the genres"));
	h_run_free(&r);
	it = item_of(&e, 1);
	assert_string_equal(str(it, "title"), "Bad date");
	assert_true(json_is_null(json_object_get(it, "originallyAvailableAt")) ||
	    strcmp(str(it, "originallyAvailableAt"), "") == 0);
	assert_true(json_number_value(json_object_get(it, "userRating")) ==
	    10.0);
	json_decref(it);
	it = item_of(&e, 2);
	sc = h_stash_scene(&e, 2);
	assert_string_equal(str(it, "title"), "Genres refused");
	assert_string_equal(str(it, "summary"), str(sc, "details"));
	assert_string_equal(str(it, "originallyAvailableAt"), str(sc, "date"));
	assert_false(json_equal(json_object_get(it, "genres"),
	    json_object_get(sc, "tags")));
	json_decref(sc);
	json_decref(it);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_hostile__nul_in_title_does_not_stop_the_queue),
		cmocka_unit_test(test_hostile__stash_5xx_is_an_outage),
		cmocka_unit_test(test_hostile__rejected_values_fail_alone),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("HOSTILE_ONLY") != NULL)
		cmocka_set_test_filter(getenv("HOSTILE_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
