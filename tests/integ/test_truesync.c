/*
 * test_truesync.c - "true sync" end to end, against the real fakes: every
 * field and its lock, removals, the studio collection moving with the
 * studio, the rating, the cover uploaded only when its bytes change, the
 * request budget (nothing for an unchanged scene, one GET + one PUT for a
 * one-tag change), renames re-queueing scenes, and a dry run writing nothing.
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

static const char *const env[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

static void
run(struct h_env *e, const char *args, struct h_run *r)
{
	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
}

static void
task(struct h_env *e, const char *mode)
{
	struct h_run r;
	char args[128];

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	run(e, args, &r);
	h_run_free(&r);
}

static void
hook(struct h_env *e, long id)
{
	struct h_run r;
	char args[512];

	snprintf(args, sizeof(args),
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %ld, \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"%ld\"}, "
	    "\"inputFields\": [\"id\", \"tag_ids\", \"performer_ids\", "
	    "\"studio_id\", \"rating100\", \"title\"]}}",
	    id, id);
	run(e, args, &r);
	h_run_free(&r);
}

static json_t *
item_of(struct h_env *e, long id)
{
	char *file = h_stash_file(e, id);
	json_t *it = h_plex_item_by_file(e, file);

	free(file);
	assert_non_null(it);
	return it;
}

static int
has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (json_is_string(v) &&
	    strcmp(json_string_value(v), s) == 0) return 1;
	return 0;
}

static void
test_truesync__fields_locks_removals_rating_collection(void **state)
{
	struct h_env e;
	json_t *it;
	const char *fields[] = {"title", "summary", "originallyAvailableAt",
	    "studio", "genre", "actor", "collection"};
	size_t i;

	(void)state;
	assert_int_equal(h_start(&e, 6, 5, NULL, NULL), 0);
	assert_int_equal(
	    h_post(e.stash_ctl, "/scene/2",
		"{\"tags\": [\"Keep\", \"DropMe\"], \"performers\": "
		"[\"Ann One\", \"Bob Two\"], \"studio\": \"Old Studio\","
		" \"rating100\": 80}"),
	    200);
	h_delete(e.plex_ctl, "/requests");
	hook(&e, 2);
	task(&e, "process_queue");
	/* The rating travels in the one edit PUT (userRating.value). */
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 1);
	it = item_of(&e, 2);
	assert_true(has(json_object_get(it, "locked"), "userRating"));
	assert_true(has(json_object_get(it, "genres"), "DropMe"));
	assert_true(has(json_object_get(it, "collections"), "Old Studio"));
	assert_true(json_real_value(json_object_get(it, "userRating")) > 7.9 ||
	    json_integer_value(json_object_get(it, "userRating")) == 8);
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		assert_true(has(json_object_get(it, "locked"), fields[i]));
	json_decref(it);

	/* Remove a tag and a performer, move studios, drop the rating. */
	assert_int_equal(
	    h_post(e.stash_ctl, "/scene/2",
		"{\"tags\": [\"Keep\"], \"performers\": [\"Ann One\"],"
		" \"studio\": \"New Studio\", \"rating100\": null}"),
	    200);
	hook(&e, 2);
	task(&e, "process_queue");
	it = item_of(&e, 2);
	assert_false(has(json_object_get(it, "genres"), "DropMe"));
	assert_true(has(json_object_get(it, "genres"), "Keep"));
	assert_false(has(json_object_get(it, "actors"), "Bob Two"));
	assert_true(has(json_object_get(it, "actors"), "Ann One"));
	assert_false(has(json_object_get(it, "collections"), "Old Studio"));
	assert_true(has(json_object_get(it, "collections"), "New Studio"));
	assert_string_equal(json_string_value(json_object_get(it, "studio")),
	    "New Studio");
	assert_true(json_is_null(json_object_get(it, "userRating")) ||
	    json_object_get(it, "userRating") == NULL);
	json_decref(it);
	h_stop(&e);
}

static void
test_truesync__request_budget_and_cover(void **state)
{
	struct h_env e;
	json_t *it;
	char sha[64];

	(void)state;
	assert_int_equal(h_start(&e, 30, 9, NULL, NULL), 0);
	task(&e, "all");
	task(&e, "process_queue");
	it = item_of(&e, 4);
	assert_true(json_is_string(json_object_get(it, "thumbSha1")));
	snprintf(sha, sizeof(sha), "%s",
	    json_string_value(json_object_get(it, "thumbSha1")));
	json_decref(it);

	/* Unchanged library: a full sync costs no Plex request at all. */
	h_delete(e.plex_ctl, "/requests");
	task(&e, "all");
	task(&e, "process_queue");
	{
		json_t *reqs = h_get(e.plex_ctl, "/requests");

		assert_int_equal(json_array_size(reqs), 0);
		json_decref(reqs);
	}

	/* One tag changed on one scene: one GET of the item and one PUT. */
	assert_int_equal(h_post(e.stash_ctl, "/scene/4",
			     "{\"tags\": [\"Only New Tag\"]}"),
	    200);
	h_delete(e.plex_ctl, "/requests");
	task(&e, "all");
	task(&e, "process_queue");
	assert_int_equal(h_count_requests(&e, "GET", "/library/metadata/"), 1);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 1);
	assert_int_equal(h_count_requests(&e, "POST", "/"), 0);
	{
		json_t *reqs = h_get(e.plex_ctl, "/requests");

		assert_int_equal(json_array_size(reqs), 2);
		json_decref(reqs);
	}

	/* A new cover is uploaded once; the next sync does not re-upload.
	 * (Stash's screenshot URL carries updated_at in seconds: move the
	 * fake's clock so the edit cannot share the previous edit's second.) */
	assert_int_equal(h_post(e.stash_ctl, "/clock", "{\"advance\": 10}"),
	    200);
	assert_int_equal(h_post(e.stash_ctl, "/scene/4", "{\"cover\": true}"),
	    200);
	h_delete(e.plex_ctl, "/requests");
	task(&e, "all");
	task(&e, "process_queue");
	assert_int_equal(h_count_requests(&e, "POST", "/library/metadata/"), 2);
	it = item_of(&e, 4);
	assert_string_not_equal(json_string_value(
				    json_object_get(it, "thumbSha1")),
	    sha);
	json_decref(it);
	h_delete(e.plex_ctl, "/requests");
	task(&e, "reconcile_all");
	task(&e, "process_queue");
	assert_int_equal(h_count_requests(&e, "POST", "/"), 0);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	h_stop(&e);
}

static void
test_truesync__rename_requeues_and_dry_run_writes_nothing(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *sc, *st, *tags;
	const char *tag;
	char body[256];
	size_t i, n = 0;
	json_t *s;

	(void)state;
	assert_int_equal(h_start(&e, 20, 13, NULL, NULL), 0);
	task(&e, "all");
	task(&e, "process_queue");
	/* Rename a tag that scene 1 carries (no updated_at change). */
	sc = h_stash_scene(&e, 1);
	tags = json_object_get(sc, "tags");
	if (json_array_size(tags) == 0) {
		assert_int_equal(h_post(e.stash_ctl, "/scene/1",
				     "{\"tags\": [\"Renamable\"]}"),
		    200);
		task(&e, "all");
		task(&e, "process_queue");
		tag = "Renamable";
	} else {
		tag = json_string_value(json_array_get(tags, 0));
	}
	snprintf(body, sizeof(body),
	    "{\"kind\": \"tag\", \"from\": \"%s\", \"to\": \"Renamed Tag\"}",
	    tag);
	assert_int_equal(h_post(e.stash_ctl, "/rename", body), 200);
	json_decref(sc);
	/* Stash fires Tag.Update.Post with the tag's id. */
	st = h_get(e.stash_ctl, "/state");
	json_array_foreach(json_object_get(st, "tags"), i,
	    s) if (strcmp(json_string_value(json_object_get(s, "name")),
		       "Renamed Tag") == 0)
	    n = (size_t)strtol(json_string_value(json_object_get(s, "id")),
		NULL, 10);
	json_decref(st);
	assert_true(n > 0);
	snprintf(body, sizeof(body),
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %zu, \"type\": "
	    "\"Tag.Update.Post\", \"input\": {\"id\": \"%zu\", \"name\": "
	    "\"Renamed Tag\"}, \"inputFields\": [\"id\", \"name\"]}}",
	    n, n);
	run(&e, body, &r);
	h_run_free(&r);
	/* Dry run sees the change but writes nothing. */
	h_delete(e.plex_ctl, "/requests");
	run(&e, "{\"mode\": \"dry_run\"}", &r);
	assert_non_null(strstr(r.err, "Renamed Tag"));
	assert_non_null(strstr(r.err, "genre: ["));
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	assert_int_equal(h_count_requests(&e, "POST", "/"), 0);
	task(&e, "process_queue");
	{
		json_t *it = item_of(&e, 1);

		assert_true(has(json_object_get(it, "genres"), "Renamed Tag"));
		json_decref(it);
	}
	h_stop(&e);
}

/* reconcile_interval: the first task run after the interval re-checks
 * every scene against Plex and puts back a title edited in Plex; a second
 * run within the hour does not. */
static void
test_truesync__automatic_reconcile_restores_plex_edits(void **state)
{
	struct h_env e;
	json_t *it;
	char body[256];
	const char *rk;

	(void)state;
	assert_int_equal(h_start(&e, 4, 23, NULL, NULL), 0);
	assert_int_equal(h_settings(&e,
			     "\"reconcile_interval\": \"hourly\", "
			     "\"reconcile_scope\": \"all\""),
	    0);
	task(&e, "all"); /* also the first automatic reconcile */
	task(&e, "process_queue");
	it = item_of(&e, 2);
	rk = json_string_value(json_object_get(it, "ratingKey"));
	snprintf(body, sizeof(body),
	    "{\"ratingKey\": \"%s\", \"title\": \"Edited in Plex\"}", rk);
	json_decref(it);
	assert_int_equal(h_post(e.plex_ctl, "/item", body), 200);
	/* Within the hour: no reconcile, the Plex edit stays. */
	task(&e, "process_queue");
	it = item_of(&e, 2);
	assert_string_equal(json_string_value(json_object_get(it, "title")),
	    "Edited in Plex");
	json_decref(it);
	/* An hour later (forget the last run): the title comes back. */
	free(h_db_text(&e, "DELETE FROM kv WHERE key = 'last_auto_reconcile'"));
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM kv WHERE key = "
			     "'last_auto_reconcile'"),
	    0);
	task(&e, "process_queue");
	it = item_of(&e, 2);
	assert_string_not_equal(json_string_value(json_object_get(it, "title")),
	    "Edited in Plex");
	json_decref(it);
	h_stop(&e);
}

/* Text reaches Plex as the user wrote it (issue 10, item 8): curly quotes,
 * dashes, an ellipsis, a ZWJ emoji sequence, ZWNJ and a bidi mark survive;
 * only a control character goes; the summary keeps its paragraphs; the dry
 * run shows the exact text that is then written. */
static void
test_truesync__text_as_written(void **state)
{
	static const char title[] =
	    "\xe2\x80\x9cHer\xe2\x80\x9d \xe2\x80\x94 wait\xe2\x80\xa6 "
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa7 \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xe2\x80\x8f";
	struct h_env e;
	struct h_run r;
	json_t *it, *body;
	char *doc, *quoted;

	(void)state;
	assert_int_equal(h_start(&e, 3, 31, NULL, NULL), 0);
	task(&e, "all");
	task(&e, "process_queue");
	body = json_object();
	json_object_set_new(body, "title", json_sprintf("%s\x07", title));
	json_object_set_new(body, "details",
	    json_string("First \xe2\x80\x9cparagraph\xe2\x80\x9d.\r\n\r\n"
			"Second \xe2\x80\x93 line.\n"));
	doc = json_dumps(body, 0);
	json_decref(body);
	assert_int_equal(h_post(e.stash_ctl, "/scene/2", doc), 200);
	free(doc);
	task(&e, "all");
	run(&e, "{\"mode\": \"dry_run\"}", &r);
	body = json_string(title);
	quoted = json_dumps(body, JSON_ENCODE_ANY);
	json_decref(body);
	fprintf(stderr, "dry run: %s\n",
	    strstr(r.err, "title:") ? strstr(r.err, "title:") : r.err);
	assert_non_null(strstr(r.err, quoted));
	assert_non_null(strstr(r.err, "\\n\\nSecond \xe2\x80\x93 line.\""));
	free(quoted);
	h_run_free(&r);
	task(&e, "process_queue");
	it = item_of(&e, 2);
	assert_string_equal(json_string_value(json_object_get(it, "title")),
	    title);
	assert_string_equal(json_string_value(json_object_get(it, "summary")),
	    "First \xe2\x80\x9cparagraph\xe2\x80\x9d.\n\nSecond \xe2\x80\x93 "
	    "line.");
	json_decref(it);
	h_stop(&e);
}

/* Fire Tag.Update.Post as Stash's UI does: the whole form is saved, so
 * inputFields lists name even when only the description changed. */
static void
tag_saved(struct h_env *e, long id, const char *name)
{
	struct h_run r;
	char body[640];

	snprintf(body, sizeof(body),
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %ld, \"type\": "
	    "\"Tag.Update.Post\", \"input\": {\"id\": \"%ld\", \"name\": "
	    "\"%s\", \"description\": \"new words\", \"aliases\": []}, "
	    "\"inputFields\": [\"id\", \"name\", \"sort_name\", "
	    "\"description\", \"aliases\", \"ignore_auto_tag\", "
	    "\"parent_ids\", \"child_ids\"]}}",
	    id, id, name);
	run(e, body, &r);
	h_run_free(&r);
}

/* Rename fan-out only on a real rename (issue 10, item 4): saving a tag
 * carried by 500 scenes with a new description queues nothing; renaming it
 * queues exactly those 500. */
static void
test_truesync__fanout_only_on_real_rename(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *st, *t;
	long i, tag = 0;
	size_t k;
	char path[64];
	const char *line;

	(void)state;
	assert_int_equal(h_start(&e, 520, 37, NULL, NULL), 0);
	for (i = 1; i <= 500; i++) {
		snprintf(path, sizeof(path), "/scene/%ld", i);
		assert_int_equal(h_post(e.stash_ctl, path,
				     "{\"tags\": [\"Shared Tag\"]}"),
		    200);
	}
	task(&e, "all");
	task(&e, "process_queue");
	st = h_get(e.stash_ctl, "/state");
	json_array_foreach(json_object_get(st, "tags"), k,
	    t) if (strcmp(json_string_value(json_object_get(t, "name")),
		       "Shared Tag") == 0)
	    tag = strtol(json_string_value(json_object_get(t, "id")), NULL, 10);
	json_decref(st);
	assert_true(tag > 0);

	/* A new description: the hook records the save, the worker finds
	 * the name unchanged and queues nothing. */
	tag_saved(&e, tag, "Shared Tag");
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM fanout"), 1);
	h_delete(e.plex_ctl, "/requests");
	run(&e, "{\"mode\": \"process_queue\"}", &r);
	line = strstr(r.err, "saved without a new name");
	assert_non_null(line);
	fprintf(stderr, "description edit: ...%.*s\n", (int)strcspn(line, "\n"),
	    line);
	assert_null(strstr(r.err, "scene(s) queued"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);

	/* A real rename: exactly the 500 scenes. */
	assert_int_equal(h_post(e.stash_ctl, "/rename",
			     "{\"kind\": \"tag\", "
			     "\"from\": \"Shared Tag\", \"to\": \"Common "
			     "Tag\"}"),
	    200);
	tag_saved(&e, tag, "Common Tag");
	run(&e, "{\"mode\": \"process_queue\"}", &r);
	line = strstr(r.err, "was renamed to \"Common Tag\": ");
	assert_non_null(line);
	fprintf(stderr, "rename: ...%.*s\n", (int)strcspn(line, "\n"), line);
	assert_non_null(strstr(line, ": 500 scene(s) queued"));
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	h_stop(&e);
}

/* Covers behind a reverse proxy (issue 10, item 7): with external_host
 * "https://media.example.net/stash", paths.screenshot carries a prefix
 * Stash does not serve; covers are fetched from server_connection's
 * address with only Stash's own path, and each upload's Content-Type is
 * the image's real type (the fake Plex refuses a mismatch). */
static void
test_truesync__cover_behind_reverse_proxy(void **state)
{
	static const char *const fmt[] = {"png", "webp", "gif", "jpeg"};
	struct h_env e;
	json_t *reqs, *rq, *it;
	char path[64], body[96];
	size_t i;
	int shots = 0, prefixed = 0;

	(void)state;
	assert_int_equal(h_start(&e, 6, 41, NULL, NULL), 0);
	assert_int_equal(h_post(e.stash_ctl, "/external_host",
			     "{\"url\": \"https://media.example.net/stash\"}"),
	    200);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/scene/%zu", i + 1);
		snprintf(body, sizeof(body), "{\"cover_format\": \"%s\"}",
		    fmt[i]);
		assert_int_equal(h_post(e.stash_ctl, path, body), 200);
	}
	h_delete(e.stash_ctl, "/requests");
	task(&e, "all");
	task(&e, "process_queue");
	reqs = h_get(e.stash_ctl, "/requests");
	json_array_foreach(reqs, i, rq)
	{
		const char *p = json_string_value(json_object_get(rq, "path"));

		if (p != NULL && strstr(p, "/screenshot") != NULL) {
			shots += json_integer_value(
				     json_object_get(rq, "status")) == 200;
			prefixed += strncmp(p, "/stash/", 7) == 0;
			if (shots == 1)
				fprintf(stderr,
				    "cover fetched as GET %s -> "
				    "%lld\n",
				    p,
				    json_integer_value(
					json_object_get(rq, "status")));
		}
	}
	json_decref(reqs);
	assert_int_equal(prefixed, 0);
	assert_true(shots >= 6);
	for (i = 1; i <= 6; i++) {
		it = item_of(&e, (long)i);
		assert_true(json_is_string(json_object_get(it, "thumbSha1")));
		json_decref(it);
	}
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_truesync__fields_locks_removals_rating_collection),
	    cmocka_unit_test(test_truesync__request_budget_and_cover),
	    cmocka_unit_test(
		test_truesync__rename_requeues_and_dry_run_writes_nothing),
	    cmocka_unit_test(
		test_truesync__automatic_reconcile_restores_plex_edits),
	    cmocka_unit_test(test_truesync__text_as_written),
	    cmocka_unit_test(test_truesync__fanout_only_on_real_rename),
	    cmocka_unit_test(test_truesync__cover_behind_reverse_proxy),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
