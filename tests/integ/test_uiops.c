/*
 * test_uiops.c - the Stash UI's plugin operations (app/ops.c) run exactly
 * as Stash's runPluginOperation runs them, against a fake library synced
 * for real: status (the status document, 24 hourly and 28 six-hourly
 * points, the synced count summed from the worker's samples),
 * scene_status for a synced, a dead-lettered, a pending and an unknown
 * scene, sync_scene, dlq_retry and dlq_drop, and bad arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

/* Run args; the output must be a JSON object (returned, new reference). */
static json_t *
op(struct h_env *e, const char *args)
{
	struct h_run r;
	json_t *doc, *out;

	assert_int_equal(h_run_plugin(e, args, no_autodrain, &r), 0);
	if (r.status != 0)
		fprintf(stderr, "%s\nstdout: %s\nstderr: %s\n", args, r.out,
		    r.err);
	assert_int_equal(r.status, 0);
	doc = json_loads(r.out, 0, NULL);
	assert_non_null(doc);
	out = json_incref(json_object_get(doc, "output"));
	assert_true(json_is_object(out));
	json_decref(doc);
	h_run_free(&r);
	return out;
}

/* Run args that must fail with an error containing want. */
static void
op_fails(struct h_env *e, const char *args, const char *want)
{
	struct h_run r;

	assert_int_equal(h_run_plugin(e, args, no_autodrain, &r), 0);
	assert_int_not_equal(r.status, 0);
	if (strstr(r.out, want) == NULL)
		fprintf(stderr, "stdout: %s\n", r.out);
	assert_non_null(strstr(r.out, "\"error\""));
	assert_non_null(strstr(r.out, want));
	h_run_free(&r);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static json_t *
scene(struct h_env *e, long id)
{
	char args[96];

	snprintf(args, sizeof(args),
	    "{\"mode\": \"scene_status\", \"scene_id\": \"%ld\"}", id);
	return op(e, args);
}

/* Points of series[which]: count them and sum "synced". */
static size_t
points(const json_t *doc, const char *which, long *synced)
{
	json_t *pts = json_object_get(json_object_get(json_object_get(doc,
							  "series"),
					  which),
	    "points");
	json_t *p;
	size_t i;

	*synced = 0;
	json_array_foreach(pts, i, p) *synced += (long)json_integer_value(
	    json_object_get(p, "synced"));
	return json_array_size(pts);
}

static void
test_uiops__status_scene_and_dlq(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *doc, *s, *item;
	char *file, args[128];
	long synced, dead_id, dead, ok;

	(void)state;
	assert_int_equal(h_start(&e, 10, 5, NULL, NULL), 0);
	assert_int_equal(h_settings(&e, "\"max_retries\": 1"), 0);
	/* Scene 4's file is nowhere in Plex: it waits for a retry. Plex
	 * fails the first edit (500): that scene is dead-lettered. */
	assert_int_equal(h_post(e.stash_ctl, "/scene/4",
			     "{\"files\": "
			     "[\"/data/videos/gone/missing.mp4\"]}"),
	    200);
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"status\", \"status\": 500, "
			     "\"method\": \"PUT\", \"count\": 1}"),
	    200);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"all\"}", no_autodrain,
			     &r),
	    0);
	h_run_free(&r);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, &r),
	    0);
	h_run_free(&r);

	doc = op(&e, "{\"mode\": \"status\"}");
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(doc, "queue"),
				 "pending")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc,
								"dead_letters"),
			     "total")),
	    1);
	assert_int_equal(strcasecmp(str(json_object_get(doc, "breaker"),
					"state"),
			     "closed"),
	    0);
	assert_int_equal(points(doc, "day", &synced), 24);
	assert_int_equal(synced, 8);
	assert_int_equal(points(doc, "week", &synced), 28);
	assert_int_equal(synced, 8);
	assert_true(json_is_string(
	    json_object_get(json_object_get(doc, "last_sync"), "at")));
	json_decref(doc);

	dead = h_db_long(&e, "SELECT scene_id FROM dead_letter");
	ok = dead == 1 ? 2 : 1;
	/* Synced, to the Plex item holding its file. */
	s = scene(&e, ok);
	file = h_stash_file(&e, ok);
	item = h_plex_item_by_file(&e, file);
	assert_non_null(item);
	assert_string_equal(str(s, "state"), "synced");
	assert_string_equal(str(s, "plex_rating_key"), str(item, "ratingKey"));
	assert_true(json_is_string(json_object_get(s, "synced_at")));
	json_decref(item);
	free(file);
	json_decref(s);

	/* Waiting for a retry: until when and why. */
	s = scene(&e, 4);
	assert_string_equal(str(s, "state"), "retrying");
	assert_true(json_is_string(json_object_get(s, "retry_at")));
	assert_true(strlen(str(s, "reason")) > 0);
	json_decref(s);

	/* Dead-lettered, with why. */
	s = scene(&e, dead);
	assert_string_equal(str(s, "state"), "failed");
	assert_true(strlen(str(s, "reason")) > 0);
	dead_id = (long)json_integer_value(
	    json_object_get(s, "dead_letter_id"));
	assert_true(dead_id > 0);
	json_decref(s);

	/* Never seen. */
	s = scene(&e, 999);
	assert_string_equal(str(s, "state"), "not_seen");
	json_decref(s);

	/* Sync now queues a synced scene again. */
	snprintf(args, sizeof(args),
	    "{\"mode\": \"sync_scene\", \"scene_id\": %ld}", ok);
	json_decref(op(&e, args));
	s = scene(&e, ok);
	assert_string_equal(str(s, "state"), "pending");
	assert_true(strlen(str(s, "plex_rating_key")) > 0);
	json_decref(s);

	/* Retry the dead letter: queued again, the letter gone. */
	snprintf(args, sizeof(args), "{\"mode\": \"dlq_retry\", \"id\": %ld}",
	    dead_id);
	json_decref(op(&e, args));
	s = scene(&e, dead);
	assert_string_equal(str(s, "state"), "pending");
	json_decref(s);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	op_fails(&e, args, "no dead letter");
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 3);

	/* Dropping: the letter goes, nothing is queued (a letter made by
	 * the real worker again, Plex failing one more edit). */
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"status\", \"status\": 500, "
			     "\"method\": \"PUT\", \"count\": 1}"),
	    200);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, &r),
	    0);
	h_run_free(&r);
	dead_id = h_db_long(&e, "SELECT max(id) FROM dead_letter");
	assert_true(dead_id > 0);
	snprintf(args, sizeof(args),
	    "{\"mode\": \"dlq_drop\", \"ids\": [%ld, 12345]}", dead_id);
	op_fails(&e, args, "12345"); /* all or nothing */
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 1);
	snprintf(args, sizeof(args), "{\"mode\": \"dlq_drop\", \"ids\": [%ld]}",
	    dead_id);
	json_decref(op(&e, args));
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	s = scene(&e, dead);
	assert_string_equal(str(s, "state"), "not_seen");
	json_decref(s);
	s = scene(&e, ok);
	assert_string_equal(str(s, "state"), "synced");
	json_decref(s);

	op_fails(&e, "{\"mode\": \"scene_status\"}", "scene_id");
	op_fails(&e, "{\"mode\": \"scene_status\", \"scene_id\": \"x\"}",
	    "scene_id");
	op_fails(&e, "{\"mode\": \"dlq_drop\", \"ids\": [1, \"a\"]}", "ids");
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uiops__status_scene_and_dlq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
