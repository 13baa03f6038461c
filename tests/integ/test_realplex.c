/*
 * test_realplex.c - what a real Plex server does that the fakes used to
 * let slide (issue 10), through the real stash2plex binary against the real
 * fakes: the Plex URL as users paste it from Plex Web, HTTPS with a
 * certificate the system does not trust, TV libraries (show -> season ->
 * episode) and a listing page carrying a file path that is not UTF-8.
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

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

/* Run a task without a background worker; prints the run's output when it
 * fails. */
static void
run_task(struct h_env *e, const char *mode, struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);

	assert_int_equal(h_run_plugin(e, args, no_autodrain, r), 0);
	if (r->status != 0)
		fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", r->status,
		    r->out, r->err);
	free(args);
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

/* Sync All then Process Queue; both must succeed. */
static void
sync_all(struct h_env *e)
{
	struct h_run r;

	run_task(e, "all", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	h_run_free(&r);
	run_task(e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	h_run_free(&r);
}

/*
 * Item 3. The address bar of Plex Web pasted as plex_url (path, "#!"
 * fragment, query) works: every scene syncs.
 */
static void
test_realplex__pasted_web_url_works(void **state)
{
	struct h_env e;
	char *extra;

	(void)state;
	assert_int_equal(h_start(&e, 3, 61, NULL, NULL), 0);
	extra = s2p_xasprintf("\"plex_url\": \"http://127.0.0.1:%d/web/"
			      "index.html#!/server/0123abcd/"
			      "details?key=%%2Flibrary%%2Fmetadata"
			      "%%2F1001\"",
	    e.plex_port);
	assert_int_equal(h_settings(&e, extra), 0);
	free(extra);
	sync_all(&e);
	assert_int_equal(h_unsynced(&e, 0), 0);
	h_stop(&e);
}

/*
 * Item 10. One item on the listing page has a file path that is not UTF-8
 * (a Latin-1 disk): every other item is still indexed and synced, and the
 * bad one is reported once and matched to nothing.
 */
static void
test_realplex__bad_utf8_path_spares_the_page(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *it;
	char *cfg, *log;
	int warned;

	(void)state;
	assert_int_equal(h_start(&e, 4, 62, NULL, NULL), 0);
	assert_int_equal(h_settings(&e, NULL), 0);
	assert_int_equal(h_post(e.plex_ctl, "/item",
			     "{\"files\": "
			     "[\"/data/videos/Extra/Caf\u00e9 au lait.mp4\"]}"),
	    200);
	it = h_plex_item_by_file(&e,
	    "/data/videos/Extra/Caf\xc3\xa9 au lait.mp4");
	assert_non_null(it);
	cfg = s2p_xasprintf("{\"latin1_rk\": \"%s\"}",
	    json_string_value(json_object_get(it, "ratingKey")));
	json_decref(it);
	assert_int_equal(h_post(e.plex_ctl, "/config", cfg), 200);
	free(cfg);

	run_task(&e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	log = h_read_data(&e, "stash2plex.log");
	warned = h_count_str(r.err, "is not valid UTF-8") +
	    h_count_str(log, "is not valid UTF-8");
	printf("%.*s\n",
	    (int)strcspn(strstr(r.err, "Plex item") ? strstr(r.err, "Plex item")
						    : "",
		"\n"),
	    strstr(r.err, "Plex item") ? strstr(r.err, "Plex item") : "");
	free(log);
	h_run_free(&r);
	assert_int_equal(warned, 1);
	assert_int_equal(h_unsynced(&e, 0), 0);
	/* the bad file is in the index under a key no path has */
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM plex_part WHERE "
			     "file LIKE '%Caf%'"),
	    1);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM plex_part WHERE "
			     "file_key LIKE '%caf%'"),
	    0);
	h_stop(&e);
}

/* Recorded fake Plex requests answered with this status. */
static int
count_status(struct h_env *e, long status)
{
	json_t *reqs = h_get(e->plex_ctl, "/requests"), *r;
	size_t i;
	int n = 0;

	json_array_foreach(reqs, i, r)
	    n += json_integer_value(json_object_get(r, "status")) == status;
	json_decref(reqs);
	return n;
}

/* Stash scene id's title, details and date are on its Plex episode. */
static void
expect_episode_synced(struct h_env *e, long id)
{
	json_t *sc = h_stash_scene(e, id), *it;
	const char *f;
	char *locked;

	assert_non_null(sc);
	f = json_string_value(json_array_get(json_object_get(sc, "files"), 0));
	it = h_plex_item_by_file(e, f);
	assert_non_null(it);
	assert_string_equal(json_string_value(json_object_get(it, "type")),
	    "episode");
	assert_string_equal(json_string_value(json_object_get(it, "title")),
	    json_string_value(json_object_get(sc, "title")));
	assert_string_equal(json_string_value(json_object_get(it, "summary")),
	    json_string_value(json_object_get(sc, "details")));
	assert_string_equal(json_string_value(
				json_object_get(it, "originallyAvailableAt")),
	    json_string_value(json_object_get(sc, "date")));
	locked = json_dumps(json_object_get(it, "locked"), JSON_COMPACT);
	assert_non_null(strstr(locked, "\"title\""));
	assert_non_null(strstr(locked, "\"summary\""));
	free(locked);
	json_decref(it);
	json_decref(sc);
}

/*
 * Item 1. A TV library (show -> season -> episode): listings use the
 * episode-prefixed sorts, edits carry only what an episode has (the fake
 * answers 400 otherwise), the fields that do not apply are reported once
 * per run and never re-sent on reconcile, and an incremental listing that
 * fails falls back to a full one.
 */
static void
test_realplex__tv_library(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *sc;
	long id, i;
	char *body;

	(void)state;
	assert_int_equal(h_start(&e, 4, 63,
			     "--section 1:Shows:show:"
			     "/data/videos",
			     NULL),
	    0);
	assert_int_equal(h_settings(&e, NULL), 0);
	run_task(&e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	assert_int_equal(h_count_str(r.err, "do not apply to TV episodes"), 1);
	{
		const char *l = strstr(r.err, "TV library");

		printf("  > %.*s\n", l ? (int)strcspn(l, "\n") : 0, l ? l : "");
	}
	h_run_free(&r);
	for (i = 1; i <= 4; i++)
		expect_episode_synced(&e, i);
	assert_int_equal(count_status(&e, 400), 0);

	/* Reconcile: the episodes are as we left them; nothing is re-sent. */
	assert_int_equal(h_delete(e.plex_ctl, "/requests"), 200);
	run_task(&e, "reconcile_all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	assert_true(h_count_requests(&e, "GET", "/library/metadata/") >= 4);

	/* A new episode while sorted listings fail: the full listing finds
	 * it. */
	assert_int_equal(h_post(e.plex_ctl, "/item",
			     "{\"files\": "
			     "[\"/data/videos/New Show/S01E01.mp4\"]}"),
	    200);
	assert_int_equal(
	    h_post(e.stash_ctl, "/scene",
		"{\"title\": \"Pilot\", "
		"\"details\": \"First.\", \"date\": \"2024-02-03\", "
		"\"files\": [\"/data/videos/New Show/S01E01.mp4\"]}"),
	    200);
	sc = h_stash_scene(&e, 5);
	assert_non_null(sc);
	id = (long)json_integer_value(json_object_get(sc, "id"));
	json_decref(sc);
	body = s2p_xasprintf("{\"mode\": \"status\", \"status\": 400, "
			     "\"query_key\": \"sort\"}");
	assert_int_equal(h_post(e.plex_ctl, "/fault", body), 200);
	free(body);
	run_task(&e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_false(is_error(&r));
	assert_non_null(strstr(r.err, "listing the whole library instead"));
	h_run_free(&r);
	expect_episode_synced(&e, id > 0 ? id : 5);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realplex__pasted_web_url_works),
	    cmocka_unit_test(test_realplex__bad_utf8_path_spares_the_page),
	    cmocka_unit_test(test_realplex__tv_library),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("REALPLEX_ONLY") != NULL)
		cmocka_set_test_filter(getenv("REALPLEX_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
