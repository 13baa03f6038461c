/*
 * test_secrets.c - the full-sync secret grep (issue 12). A library is
 * synced with debug logging through every path that prints: Sync All,
 * Process Queue, hooks and the detached background worker, Health Check,
 * Queue Status and Outage Summary, a token Plex rejects, Stash answering
 * GraphQL errors, a scene dead-lettered, a Stash session and then an API
 * key. Afterwards the Plex token, the session cookie and the API key must
 * appear in no stdout, no stderr, no file of the data directory (the
 * settings cache and the saved cookie excepted: they hold secrets by
 * design, and must be 0600) and no row of any database table. The data
 * directory must be 0700.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "core/buf.h"
#include "core/xalloc.h"

#define COOKIE "cookie-SECRET-55ab71"
#define API_KEY "apikey-SECRET-93d1c4"

static const char *const dbg_env[] = {"STASH2PLEX_DEBUG=1",
    "STASH2PLEX_IDLE_EXIT=1", NULL};
static const char *const dbg_fg_env[] = {"STASH2PLEX_DEBUG=1",
    "STASH2PLEX_AUTODRAIN=0", NULL};

/* Run a mode; append its stdout and stderr to all. */
static void
run_into(struct h_env *e, const char *args, const char *const *env,
    struct s2p_buf *all)
{
	struct h_run r;

	assert_int_equal(h_run_plugin(e, args, env, &r), 0);
	(void)!s2p_buf_addf(all, "\n--- %s: exit %d\n%s\n%s", args, r.status,
	    r.out, r.err);
	h_run_free(&r);
}

static void
task(struct h_env *e, const char *mode, struct s2p_buf *all)
{
	char args[96];

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	run_into(e, args, dbg_fg_env, all);
}

static void
hook(struct h_env *e, int id, struct s2p_buf *all)
{
	char args[300];

	snprintf(args, sizeof(args),
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %d, \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"%d\", \"title\": "
	    "\"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
	    id, id);
	run_into(e, args, dbg_env, all);
}

/* Every row of every table of the database, as text. */
static void
dump_db(struct h_env *e, struct s2p_buf *all)
{
	char path[300];
	sqlite3 *db = NULL;
	sqlite3_stmt *t = NULL, *q;
	int tables = 0;

	snprintf(path, sizeof(path), "%s/data/stash2plex.db", e->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT name FROM sqlite_master WHERE type = "
			     "'table'",
			     -1, &t, NULL),
	    SQLITE_OK);
	while (sqlite3_step(t) == SQLITE_ROW) {
		char *sql = s2p_xasprintf("SELECT * FROM \"%s\"",
		    (const char *)sqlite3_column_text(t, 0));
		int i;

		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL),
		    SQLITE_OK);
		while (sqlite3_step(q) == SQLITE_ROW)
			for (i = 0; i < sqlite3_column_count(q); i++)
				(void)!s2p_buf_addf(all, "%s|",
				    sqlite3_column_text(q, i)
					? (const char *)sqlite3_column_text(q,
					      i)
					: "");
		sqlite3_finalize(q);
		free(sql);
		tables++;
	}
	sqlite3_finalize(t);
	sqlite3_close(db);
	printf("database: %d tables dumped\n", tables);
}

/* Every file of the data directory except the two that hold secrets by
 * design (checked for 0600 instead). */
static void
read_data_dir(struct h_env *e, struct s2p_buf *all)
{
	char dir[300];
	struct dirent *d;
	struct stat sb;
	DIR *dp;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/data", e->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL) {
		char *text;

		if (d->d_name[0] == '.')
			continue;
		if (strcmp(d->d_name, "settings.json") == 0 ||
		    strcmp(d->d_name, "session_cookie") == 0) {
			char p[600];

			snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
			assert_int_equal(stat(p, &sb), 0);
			printf("%s holds secrets: mode %03o\n", d->d_name,
			    sb.st_mode & 0777);
			assert_int_equal(sb.st_mode & 0077, 0);
			continue;
		}
		if (strcmp(d->d_name, "worker.wake") == 0)
			continue; /* a FIFO */
		text = h_read_data(e, d->d_name);
		(void)!s2p_buf_addf(all, "\n--- file %s\n%s", d->d_name, text);
		free(text);
		files++;
	}
	closedir(dp);
	printf("data directory: %d files read\n", files);
}

static int
report(const char *all, const char *what, const char *secret)
{
	int n = h_count_str(all, secret);

	printf("secret grep: %s found %d time(s)\n", what, n);
	if (n > 0) {
		const char *p = strstr(all, secret);

		fprintf(stderr, "first hit: ...%.200s\n",
		    p > all + 200 ? p - 200 : all);
	}
	return n;
}

static void
test_secrets__full_sync_leaks_nothing(void **state)
{
	struct h_env e;
	struct s2p_buf all;
	int hits = 0;

	(void)state;
	assert_int_equal(h_start(&e, 12, 51, NULL,
			     "--require-auth --session-cookie " COOKIE
			     " --api-key " API_KEY),
	    0);
	snprintf(e.cookie, sizeof(e.cookie), "%s", COOKIE);
	s2p_buf_init(&all, 0);
	assert_int_equal(h_settings(&e, "\"debug_logging\": true"), 0);
	/* A full sync over a Stash session, with a hook's worker. */
	task(&e, "health_check", &all);
	task(&e, "all", &all);
	task(&e, "process_queue", &all);
	hook(&e, 3, &all);
	assert_int_equal(h_wait_worker(&e, 60), 0);
	/* A token Plex rejects. */
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"reject_token\"}"),
	    200);
	assert_int_equal(h_post(e.stash_ctl, "/scene/4",
			     "{\"title\": \"Rejected run\"}"),
	    200);
	hook(&e, 4, &all);
	assert_int_equal(h_wait_worker(&e, 60), 0);
	task(&e, "process_queue", &all);
	task(&e, "health_check", &all);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	/* Stash answering GraphQL errors. */
	assert_int_equal(h_post(e.stash_ctl, "/dblocked", "{\"count\": 3}"),
	    200);
	task(&e, "process_queue", &all);
	assert_int_equal(h_post(e.stash_ctl, "/dblocked", "{\"count\": 0}"),
	    200);
	/* A dead letter: Plex refuses the edit for good. */
	assert_int_equal(h_post(e.stash_ctl, "/scene/5",
			     "{\"title\": \"Dead letter\"}"),
	    200);
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"status\", \"status\": 400, "
			     "\"method\": \"PUT\"}"),
	    200);
	hook(&e, 5, &all);
	assert_int_equal(h_wait_worker(&e, 60), 0);
	task(&e, "process_queue", &all);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	task(&e, "queue_status", &all);
	task(&e, "outage_summary", &all);
	/* Then with the API key instead of the session. */
	assert_int_equal(h_settings(&e,
			     "\"debug_logging\": true, \"stash_api_key\": "
			     "\"" API_KEY "\""),
	    0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/6",
			     "{\"title\": \"With the API key\"}"),
	    200);
	hook(&e, 6, &all);
	assert_int_equal(h_wait_worker(&e, 60), 0);
	task(&e, "process_queue", &all);
	task(&e, "health_check", &all);
	assert_true(h_db_long(&e, "SELECT count(*) FROM dead_letter") > 0);
	/* The failures did happen and were printed. */
	assert_true(
	    h_count_str((const char *)all.data, "debug logging on") > 0);
	assert_true(h_count_str((const char *)all.data, "HTTP 401") > 0);
	assert_true(
	    h_count_str((const char *)all.data, "database is locked") > 0);
	assert_true(h_count_str((const char *)all.data, "dead-letter") > 0);

	dump_db(&e, &all);
	read_data_dir(&e, &all);
	printf("secret grep over %zu bytes of output, files and rows\n",
	    all.len);
	hits += report((const char *)all.data, "Plex token", e.token);
	hits += report((const char *)all.data, "session cookie", COOKIE);
	hits += report((const char *)all.data, "API key", API_KEY);
	assert_int_equal(hits, 0);
	s2p_buf_free(&all);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secrets__full_sync_leaks_nothing),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
