/*
 * test_matching.c - matching end to end: the real stash2plex binary, run as
 * Stash runs it, against the real fake Stash and fake Plex. Plex sees the
 * library under another mount point (--plex-root), so without path_map only
 * file names match: an ambiguous name is dead-lettered at once under
 * strict_matching (one attempt, class permanent, nothing counted by the
 * circuit breaker) and synced to the closest path without it; with
 * path_map every scene matches its exact path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "harness.h"

#define PLEX_ROOT "/mnt/media"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void
run_ok(struct h_env *e, const char *args, struct h_run *r)
{
	json_t *out;

	assert_int_equal(h_run_plugin(e, args, no_autodrain, r), 0);
	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	assert_non_null(out);
	assert_null(json_object_get(out, "error"));
	json_decref(out);
}

/* Queue every scene and process the queue once. */
static void
sync_all(struct h_env *e)
{
	struct h_run r;

	run_ok(e, "{\"mode\": \"all\"}", &r);
	h_run_free(&r);
	run_ok(e, "{\"mode\": \"process_queue\"}", &r);
	h_run_free(&r);
}

/* The Plex path of a Stash path under --plex-root (new string). */
static char *
plex_file(const char *stash)
{
	return s2p_xasprintf(PLEX_ROOT "%s", stash + strlen("/data/videos"));
}

/* 1 when the Plex item holding file carries scene id's title. */
static int
has_stash_title(struct h_env *e, const char *file, long id)
{
	json_t *sc = h_stash_scene(e, id), *it = h_plex_item_by_file(e, file);
	int ok;

	assert_non_null(sc);
	assert_non_null(it);
	ok = strcmp(str(it, "title"), str(sc, "title")) == 0;
	json_decref(sc);
	json_decref(it);
	return ok;
}

/* Open the plugin's database read-only. */
static sqlite3 *
open_db(struct h_env *e)
{
	char *path = s2p_xasprintf("%s/data/stash2plex.db", e->dir);
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	free(path);
	return db;
}

/* One integer from a query with one text parameter (-1 when no row). */
static long
db_long(sqlite3 *db, const char *sql, long param)
{
	sqlite3_stmt *st = NULL;
	long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, param);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static json_t *
breaker_file(struct h_env *e)
{
	char *path = s2p_xasprintf("%s/data/circuit_breaker.json", e->dir);
	json_t *j = json_load_file(path, 0, NULL);

	free(path);
	return j;
}

/* Start with the library under PLEX_ROOT in Plex and one more file named
 * like scene 1's in "Duplicates 1". */
static void
start_dup(struct h_env *e, long n)
{
	assert_int_equal(h_start(e, (int)n, 21,
			     "--plex-root " PLEX_ROOT " --extra-dup 1", NULL),
	    0);
}

static void
test_matching__strict_ambiguity_dead_letters_at_once(void **state)
{
	struct h_env e;
	char *s1, *p1, *dup, *rk_orig, *rk_dup;
	json_t *it, *br;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long id;

	(void)state;
	start_dup(&e, 6);
	assert_int_equal(h_settings(&e,
			     "\"strict_matching\": true, "
			     "\"max_retries\": 5"),
	    0);
	s1 = h_stash_file(&e, 1);
	p1 = plex_file(s1);
	dup = s2p_xasprintf(PLEX_ROOT "/Duplicates 1%s", strrchr(s1, '/'));
	it = h_plex_item_by_file(&e, p1);
	assert_non_null(it);
	rk_orig = s2p_xstrdup(str(it, "ratingKey"));
	json_decref(it);
	it = h_plex_item_by_file(&e, dup);
	assert_non_null(it);
	rk_dup = s2p_xstrdup(str(it, "ratingKey"));
	json_decref(it);

	/* Only scene 1 queued (by its update hook), then processed: had its
	 * failure been counted, the breaker file would say so. */
	{
		struct h_run r;

		run_ok(&e,
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 1, "
		    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": "
		    "\"1\", \"title\": \"t\"}, \"inputFields\": [\"id\", "
		    "\"title\"]}}",
		    &r);
		assert_non_null(strstr(r.out, "queued scene 1"));
		h_run_free(&r);
		run_ok(&e, "{\"mode\": \"process_queue\"}", &r);
		assert_non_null(strstr(r.out, "1 dead-lettered"));
		h_run_free(&r);
	}
	br = breaker_file(&e);
	if (br != NULL) {
		assert_string_equal(str(br, "state"), "closed");
		assert_int_equal(json_integer_value(
				     json_object_get(br, "failure_count")),
		    0);
		json_decref(br);
	}
	/* Dead-lettered after one attempt, listing both candidates, and not
	 * queued any more. */
	db = open_db(&e);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT attempts, error_class, message FROM "
			     "dead_letter WHERE scene_id = 1",
			     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
	    "permanent");
	{
		const char *msg = (const char *)sqlite3_column_text(st, 2);

		assert_non_null(strstr(msg, "ambiguous"));
		assert_non_null(strstr(msg, rk_orig));
		assert_non_null(strstr(msg, rk_dup));
		assert_non_null(strstr(msg, "Duplicates 1"));
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	/* The entry keeps the scene's title, its first failure and both
	 * candidates as JSON (`stash2plex dlq show`). */
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT title, candidates, first_failed_at > 0 "
			     "AND first_failed_at <= failed_at FROM "
			     "dead_letter WHERE scene_id = 1",
			     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	{
		json_t *sc = h_stash_scene(&e, 1);
		json_t *c = json_loads((const char *)sqlite3_column_text(st, 1),
		    0, NULL);
		const char *k0, *k1;

		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    str(sc, "title"));
		assert_int_equal(json_array_size(c), 2);
		k0 = str(json_array_get(c, 0), "rating_key");
		k1 = str(json_array_get(c, 1), "rating_key");
		assert_true(
		    (strcmp(k0, rk_orig) == 0 && strcmp(k1, rk_dup) == 0) ||
		    (strcmp(k0, rk_dup) == 0 && strcmp(k1, rk_orig) == 0));
		assert_int_equal(sqlite3_column_int(st, 2), 1);
		json_decref(c);
		json_decref(sc);
	}
	sqlite3_finalize(st);
	assert_int_equal(db_long(db,
			     "SELECT count(*) FROM job WHERE "
			     "scene_id = ?1",
			     1),
	    0);
	sqlite3_close(db);

	/* A full sync: the others match by their (unique) file names, scene
	 * 1 is dead-lettered again, once. */
	sync_all(&e);
	db = open_db(&e);
	assert_int_equal(db_long(db,
			     "SELECT count(*) FROM dead_letter WHERE "
			     "scene_id != ?1",
			     1),
	    0);
	assert_int_equal(db_long(db,
			     "SELECT count(*) FROM dead_letter WHERE "
			     "scene_id = ?1 AND attempts = 1",
			     1),
	    2);
	sqlite3_close(db);
	/* Neither candidate was written; the other scenes were synced by
	 * their (unique) file names. */
	assert_false(has_stash_title(&e, p1, 1));
	assert_false(has_stash_title(&e, dup, 1));
	for (id = 2; id <= 6; id++) {
		char *s = h_stash_file(&e, id), *p = plex_file(s);

		assert_true(has_stash_title(&e, p, id));
		free(p);
		free(s);
	}
	/* A second run does not retry it. */
	h_delete(e.plex_ctl, "/requests");
	{
		struct h_run r;

		run_ok(&e, "{\"mode\": \"process_queue\"}", &r);
		h_run_free(&r);
	}
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	free(s1);
	free(p1);
	free(dup);
	free(rk_orig);
	free(rk_dup);
	h_stop(&e);
}

static void
test_matching__relaxed_picks_closest(void **state)
{
	struct h_env e;
	char *s1, *p1, *dup, *logp;
	FILE *f;
	long id;

	(void)state;
	start_dup(&e, 4);
	assert_int_equal(h_settings(&e, "\"strict_matching\": false"), 0);
	s1 = h_stash_file(&e, 1);
	p1 = plex_file(s1);
	dup = s2p_xasprintf(PLEX_ROOT "/Duplicates 1%s", strrchr(s1, '/'));
	sync_all(&e);
	/* The item in the scene's studio folder, not the duplicate. */
	assert_true(has_stash_title(&e, p1, 1));
	assert_false(has_stash_title(&e, dup, 1));
	for (id = 2; id <= 4; id++) {
		char *s = h_stash_file(&e, id), *p = plex_file(s);

		assert_true(has_stash_title(&e, p, id));
		free(p);
		free(s);
	}
	{
		sqlite3 *db = open_db(&e);

		assert_int_equal(db_long(db,
				     "SELECT count(*) FROM dead_letter "
				     "WHERE scene_id >= ?1",
				     0),
		    0);
		sqlite3_close(db);
	}
	/* The choice was logged (plugin stderr or the data-dir log). */
	logp = s2p_xasprintf("%s/run.err", e.dir);
	f = fopen(logp, "r");
	assert_non_null(f);
	{
		char line[4096];
		int chose = 0;

		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "Ambiguous match") &&
			    strstr(line, "chose"))
				chose = 1;
		if (!chose) {
			/* process_queue ran last: its stderr is run.err. */
			fail_msg("no 'Ambiguous match ... chose' line");
		}
	}
	fclose(f);
	free(logp);
	free(s1);
	free(p1);
	free(dup);
	h_stop(&e);
}

static void
test_matching__path_map_syncs_all(void **state)
{
	struct h_env e;
	struct h_run r;
	long id, n = 20;

	(void)state;
	assert_int_equal(h_start(&e, (int)n, 17, "--plex-root " PLEX_ROOT,
			     NULL),
	    0);
	assert_int_equal(h_settings(&e,
			     "\"path_map\": \"/data/videos/=>" PLEX_ROOT "\""),
	    0);
	sync_all(&e);
	for (id = 1; id <= n; id++) {
		char *s = h_stash_file(&e, id), *p = plex_file(s);

		assert_true(has_stash_title(&e, p, id));
		free(p);
		free(s);
	}
	/* Matched by path, never by file name only. */
	{
		char *logp = s2p_xasprintf("%s/run.err", e.dir);
		FILE *f = fopen(logp, "r");
		char line[4096];

		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			assert_null(strstr(line, "by file name only"));
		fclose(f);
		free(logp);
	}
	/* A second sync writes nothing and lists no library again. */
	h_delete(e.plex_ctl, "/requests");
	run_ok(&e, "{\"mode\": \"all\"}", &r);
	h_run_free(&r);
	run_ok(&e, "{\"mode\": \"process_queue\"}", &r);
	assert_non_null(strstr(r.out, "0 updated"));
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	assert_int_equal(h_count_requests(&e, "GET", "/library/sections/1/all"),
	    0);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_matching__strict_ambiguity_dead_letters_at_once),
	    cmocka_unit_test(test_matching__relaxed_picks_closest),
	    cmocka_unit_test(test_matching__path_map_syncs_all),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
