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
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "harness.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

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
	char *args = s2p_xasprintf(
	    "{\"hookContext\": {\"id\": %ld, "
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
	char *file = h_stash_file(e, id);
	json_t *it = h_plex_item_by_file(e, file);

	free(file);
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
	sql = s2p_xasprintf(
	    "INSERT INTO dead_letter (scene_id, attempts, "
	    "failed_at, error_class, message, reason) VALUES "
	    "(3, 5, %.0f, 'temporary', 'Stash FindScene: HTTP 502', 'hook'), "
	    "(4, 5, %.0f, 'temporary', 'POST http://127.0.0.1:9/graphql: "
	    "timed out after 30000 ms', 'hook'), "
	    "(5, 1, %.0f, 'permanent', 'Plex PUT /library/metadata/1005: "
	    "HTTP 400', 'hook') RETURNING 0",
	    h_wall(), h_wall(), h_wall());
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
			     "{\"title\": \"Bad date\", \"date\": "
			     "\"2024-13-45\", "
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
	assert_non_null(strstr(r.err,
	    "Scene 1: date \"2024-13-45\" is not a "
	    "calendar date"));
	assert_non_null(strstr(r.err, "Scene 1: rating100 1000 is above 100"));
	assert_non_null(strstr(r.err, "Scene 2: Plex rejected the genres"));
	h_run_free(&r);
	it = item_of(&e, 1);
	assert_string_equal(str(it, "title"), "Bad date");
	assert_true(
	    json_is_null(json_object_get(it, "originallyAvailableAt")) ||
	    strcmp(str(it, "originallyAvailableAt"), "") == 0);
	assert_true(
	    json_number_value(json_object_get(it, "userRating")) == 10.0);
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

/* Run a raw stdin document; returns the run (status non-zero expected)
 * after checking that stdout holds an {"error": ...} containing want. */
static void
stdin_fails(struct h_env *e, const char *doc, const char *want)
{
	char *dd = s2p_xasprintf("STASH2PLEX_DATA_DIR=%s/data", e->dir);
	const char *env[] = {"STASH2PLEX_AUTODRAIN=0", dd, NULL};
	struct h_run r;

	assert_int_equal(h_run_stdin(e, doc, env, &r), 0);
	free(dd);
	printf("%s\n", r.out);
	assert_int_not_equal(r.status, 0);
	assert_true(is_error(&r));
	if (strstr(r.out, want) == NULL)
		fail_msg("stdout %s lacks \"%s\"", r.out, want);
	h_run_free(&r);
}

/* A task fails with an {"error": ...} containing want. */
static void
task_fails(struct h_env *e, const char *mode, const char *want)
{
	struct h_run r;

	run_task(e, mode, NULL, &r);
	assert_int_not_equal(r.status, 0);
	assert_true(is_error(&r));
	if (strstr(r.out, want) == NULL)
		fail_msg("stdout %s lacks \"%s\"", r.out, want);
	h_run_free(&r);
}

/*
 * 7. Inputs that deserve a clear error: no server_connection, numbers
 * that are not whole, settings that are not an object, huge secrets and
 * URLs; and 5,000 tags cut to max_tags with one line naming the setting.
 */
static void
test_hostile__inputs_get_clear_errors(void **state)
{
	struct h_env e;
	struct h_run r;
	struct s2p_buf b;
	char *doc, *dd, *big;
	size_t i;
	json_t *it;

	(void)state;
	assert_int_equal(h_start(&e, 3, 37, NULL, NULL), 0);
	stdin_fails(&e, "{\"args\": {\"mode\": \"queue_status\"}}",
	    "server_connection is missing");
	doc = s2p_xasprintf("{\"server_connection\": {\"Port\": 80.5, "
			    "\"PluginDir\": \"%s\"}, \"args\": {\"mode\": "
			    "\"all\"}}",
	    e.dir);
	stdin_fails(&e, doc,
	    "server_connection.Port: expected a whole number "
	    "between 1 and 65535, got 80.5");
	free(doc);
	doc = s2p_xasprintf("{\"server_connection\": {\"Port\": %d, "
			    "\"PluginDir\": \"%s\"}, \"args\": "
			    "{\"hookContext\": {\"id\": 1e30, "
			    "\"type\": \"Scene.Update.Post\"}}}",
	    e.stash_port, e.dir);
	stdin_fails(&e, doc,
	    "args.hookContext.id: expected a whole number, "
	    "got 1e+30");
	free(doc);

	/* Cached settings that are not an object (CLI, no Stash). */
	dd = s2p_xasprintf("%s/data", e.dir);
	{
		const char *argv[] = {"task", "all", "--data-dir", dd, NULL};

		assert_int_equal(h_write_data(&e, "settings.json", "[1, 2]"),
		    0);
		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		printf("%s", r.err);
		assert_int_not_equal(r.status, 0);
		assert_non_null(strstr(r.err,
		    "holds an array, not an object "
		    "of settings"));
		h_run_free(&r);
		assert_int_equal(h_write_data(&e, "settings.json", "\"x\""), 0);
		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		assert_int_not_equal(r.status, 0);
		assert_non_null(strstr(r.err,
		    "holds a string, not an object "
		    "of settings"));
		h_run_free(&r);
	}
	free(dd);

	/* A 1 MiB token, a 4000-character URL. */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_addf(&b,
			     "{\"plex_url\": \"http://127.0.0.1:%d\","
			     " \"plex_token\": \"",
			     e.plex_port),
	    0);
	for (i = 0; i < 1024 * 1024 / 8; i++)
		assert_int_equal(s2p_buf_adds(&b, "tokentok"), 0);
	assert_int_equal(s2p_buf_adds(&b, "\"}"), 0);
	assert_int_equal(h_post(e.stash_ctl, "/settings", b.data), 200);
	s2p_buf_free(&b);
	task_fails(&e, "all",
	    "setting plex_token: too long (1048576 "
	    "characters, at most 1024)");
	big = s2p_xmalloc(4001);
	memset(big, 'h', 4000);
	big[4000] = '\0';
	doc = s2p_xasprintf("{\"plex_url\": \"http://%s:1\", \"plex_token\": "
			    "\"%s\"}",
	    big, e.token);
	assert_int_equal(h_post(e.stash_ctl, "/settings", doc), 200);
	free(doc);
	free(big);
	task_fails(&e, "all", "setting plex_url: too long");
	assert_int_equal(h_settings(&e, NULL), 0);

	/* 5,000 tags: max_tags (100) of them, said once. */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_adds(&b, "{\"tags\": ["), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(s2p_buf_addf(&b, "%s\"Tag %05zu\"",
				     i ? ", " : "", i),
		    0);
	assert_int_equal(s2p_buf_adds(&b, "]}"), 0);
	assert_int_equal(h_post(e.stash_ctl, "/scene/1", b.data), 200);
	s2p_buf_free(&b);
	hook(&e, 1, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_str(r.err, "setting max_tags"), 1);
	assert_non_null(strstr(r.err,
	    "Scene 1 has 5000 tags; only the first "
	    "100 are written to Plex (setting "
	    "max_tags)"));
	h_run_free(&r);
	it = item_of(&e, 1);
	assert_int_equal(json_array_size(json_object_get(it, "genres")), 100);
	json_decref(it);
	h_stop(&e);
}

#define PW "S3cretPassw0rd"

/* Fail when the password occurs in text (named what). */
static void
no_pw(const char *what, const char *text, size_t len)
{
	size_t i, n = strlen(PW);

	for (i = 0; i + n <= len; i++)
		if (memcmp(text + i, PW, n) == 0)
			fail_msg("the password leaks into %s", what);
}

/* Check a run's stdout and stderr, then free it. */
static void
run_clean(const char *what, struct h_run *r)
{
	printf("--- %s: %s\n%s", what, r->out, r->err);
	no_pw(what, r->out, strlen(r->out));
	no_pw(what, r->err, strlen(r->err));
	h_run_free(r);
}

/* Every file of the data directory (raw bytes: database, WAL and
 * shared-memory files included) but settings.json, which holds the
 * settings as given and must be private. */
static void
data_dir_clean(struct h_env *e)
{
	char *cmd = s2p_xasprintf("ls -A '%s/data'", e->dir);
	FILE *f = popen(cmd, "r");
	char name[256];
	int files = 0;

	assert_non_null(f);
	while (fgets(name, sizeof(name), f) != NULL) {
		struct s2p_buf b;
		char *path;
		int fd;

		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, "settings.json") == 0) {
			struct stat sb;

			path = s2p_xasprintf("%s/data/%s", e->dir, name);
			assert_int_equal(stat(path, &sb), 0);
			assert_int_equal(sb.st_mode & 0777, 0600);
			free(path);
			continue;
		}
		path = s2p_xasprintf("%s/data/%s", e->dir, name);
		s2p_buf_init(&b, 0);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
		no_pw(path, b.data ? b.data : "", b.len);
		s2p_buf_free(&b);
		free(path);
		files++;
	}
	pclose(f);
	free(cmd);
	printf("checked %d data files\n", files);
	assert_true(files >= 4);
}

/*
 * 5. A password in plex_url's user-info never shows: not in any task's
 * output (Health Check, Queue Status, Dry Run, Process Queue, Recover),
 * not on the CLI's stderr, not in the worker's log, not in the database
 * (job.last_error, dead letters, WAL), not in any state file.
 */
static void
test_hostile__plex_url_password_never_shows(void **state)
{
	static const char *const worker_env[] = {"STASH2PLEX_IDLE_EXIT=1",
	    NULL};
	struct h_env e;
	struct h_run r;
	struct h_log l;
	char *extra, *dd, *url, *tok;
	long last;

	(void)state;
	assert_int_equal(h_start(&e, 3, 39, NULL, NULL), 0);
	/* Port 1 on loopback: nothing listens, every error names the URL. */
	url = s2p_xasprintf("http://plexuser:" PW "@127.0.0.1:1");
	extra = s2p_xasprintf("\"plex_url\": \"%s\", \"max_retries\": 1", url);
	assert_int_equal(h_settings(&e, extra), 0);
	free(extra);
	run_task(&e, "all", NULL, &r);
	run_clean("Sync All", &r);
	run_task(&e, "process_queue", NULL, &r);
	run_clean("Process Queue", &r);
	assert_true(h_db_long(&e,
			"SELECT count(*) FROM job WHERE "
			"last_error LIKE '%127.0.0.1:1%'") > 0);
	run_task(&e, "health_check", NULL, &r);
	run_clean("Health Check", &r);
	run_task(&e, "dry_run", NULL, &r);
	run_clean("Dry Run", &r);
	run_task(&e, "recover_outage_jobs", NULL, &r);
	run_clean("Recover Outage Jobs", &r);
	/* The background worker, until it has logged a failed request. */
	run_task(&e, "process_queue", worker_env, &r);
	run_clean("Process Queue (background)", &r);
	assert_int_equal(h_wait_log(&e, "127.0.0.1:1", 1, 60), 0);
	assert_int_equal(h_load_log(&e, &l), 0);
	assert_true(l.n > 0);
	last = l.v[l.n - 1].pid;
	h_log_free(&l);
	if (h_wait_worker(&e, 0.1) != 0)
		kill((pid_t)last, SIGTERM);
	assert_int_equal(h_wait_worker(&e, 30), 0);
	run_task(&e, "queue_status", NULL, &r);
	run_clean("Queue Status", &r);

	/* The command line, URL and token as options. */
	dd = s2p_xasprintf("%s/data", e.dir);
	tok = s2p_xasprintf("--plex_token=%s", e.token);
	{
		char *opt = s2p_xasprintf("--plex_url=%s", url);
		const char *argv[] = {"task", "health_check", "--data-dir", dd,
		    opt, tok, NULL};
		char *surl = s2p_xasprintf("http://127.0.0.1:%d", e.stash_port);
		const char *argv2[] = {"task", "process_queue", "--data-dir",
		    dd, "--stash-url", surl, opt, tok, NULL};

		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		run_clean("CLI health_check", &r);
		assert_int_equal(h_run_cli(&e, argv2, no_autodrain, &r), 0);
		run_clean("CLI process_queue", &r);
		free(surl);
		free(opt);
	}
	free(tok);
	free(dd);
	free(url);
	/* The database (rows, WAL) and every state file. */
	data_dir_clean(&e);
	h_stop(&e);
}

/* Point scene id at file (a scan noticing a move: updated_at kept), then
 * hook it and process the queue; returns the run's stderr. */
static char *
move_and_sync(struct h_env *e, long id, const char *file)
{
	struct h_run r;
	char *body = s2p_xasprintf("{\"files\": [\"%s\"], \"bump\": false}",
		 file),
	     *err, *path = s2p_xasprintf("/scene/%ld", id);

	assert_int_equal(h_post(e->stash_ctl, path, body), 200);
	free(path);
	free(body);
	hook(e, id, &r);
	h_run_free(&r);
	run_task(e, "process_queue", NULL, &r);
	printf("%s", r.err);
	assert_int_equal(r.status, 0);
	err = s2p_xstrdup(r.err);
	h_run_free(&r);
	return err;
}

/* Whether a line of `log` about scene `id` ("Scene <id>:") holds `what`. */
static bool
scene_line_has(const char *log, long id, const char *what)
{
	char tag[32];
	const char *line = log;

	snprintf(tag, sizeof(tag), "Scene %ld:", id);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *one = s2p_xstrndup(line, n);
		bool hit = strstr(one, tag) && strstr(one, what);

		free(one);
		if (hit)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* Title of the fake Plex item with this file (new string). */
static char *
title_at(struct h_env *e, const char *file)
{
	json_t *it = h_plex_item_by_file(e, file);
	char *t;

	assert_non_null(it);
	t = s2p_xstrdup(str(it, "title"));
	json_decref(it);
	return t;
}

/*
 * 2. A file-name match never overwrites another scene's item: a scene
 * moved to a folder Plex does not have, with the file name of another
 * scene's item in another section; the same through "/../" segments once
 * that scene is synced; and a move whose file name an item of another
 * section shares. A path with "/./" and "/../" that resolves to the
 * scene's own file still matches exactly.
 */
static void
test_hostile__file_name_match_keeps_other_items(void **state)
{
	struct h_env e;
	struct h_run r;
	char *log, *f3, *b3, *other3, *t, *f4, *odd4, *cut;
	const char *other6 = "/data/other/Shared-Name.mp4";
	json_t *sc;

	(void)state;
	assert_int_equal(h_start(&e, 5, 41,
			     "--section 2:Other:movie:/data/other", NULL),
	    0);
	assert_int_equal(h_settings(&e, "\"strict_matching\": false"), 0);
	run_task(&e, "all", NULL, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 5), 0);
	/* Scene 6 in Stash, its item in section 2 (not synced yet). */
	assert_int_equal(h_post(e.stash_ctl, "/scene",
			     "{\"title\": \"Other scene\", \"files\": "
			     "[\"/data/other/Shared-Name.mp4\"]}"),
	    200);
	assert_int_equal(h_post(e.plex_ctl, "/item",
			     "{\"files\": [\"/data/other/Shared-Name.mp4\"], "
			     "\"section\": \"2\", \"title\": \"Other "
			     "original\"}"),
	    200);

	/* An item of section 2 with scene 3's file name (no scene's). */
	f3 = h_stash_file(&e, 3);
	b3 = strrchr(f3, '/');
	other3 = s2p_xasprintf("/data/other%s", b3);
	{
		char *body =
		    s2p_xasprintf("{\"files\": [\"%s\"], \"section\": "
				  "\"2\", \"title\": \"Foreign item\"}",
			other3);

		assert_int_equal(h_post(e.plex_ctl, "/item", body), 200);
		free(body);
	}

	/* 1. Scene 1 moves to a folder Plex does not have. */
	log = move_and_sync(&e, 1,
	    "/data/videos/No Such Folder/Shared-Name.mp4");
	assert_null(strstr(log, "by file name only"));
	assert_non_null(strstr(log, "is scene 6's"));
	free(log);
	t = title_at(&e, other6);
	assert_string_equal(t, "Other original");
	free(t);

	/* Scene 6 syncs to its own item. */
	hook(&e, 6, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	h_run_free(&r);
	t = title_at(&e, other6);
	assert_string_equal(t, "Other scene");
	free(t);

	/* 2. Scene 2 spelled with "/../": not in section 1 at all. */
	log = move_and_sync(&e, 2,
	    "/data/videos/Gone/../../other/Elsewhere/Shared-Name.mp4");
	assert_null(strstr(log, "by file name only"));
	free(log);
	t = title_at(&e, other6);
	assert_string_equal(t, "Other scene");
	free(t);

	/* 3. Scene 3 moves inside section 1. */
	{
		char *moved = s2p_xasprintf("/data/videos/Moved%s", b3);

		log = move_and_sync(&e, 3, moved);
		free(moved);
	}
	assert_non_null(strstr(log, "its library section does not hold"));
	free(log);
	t = title_at(&e, other3);
	assert_string_equal(t, "Foreign item");
	free(t);
	sc = h_stash_scene(&e, 3);
	t = title_at(&e, f3); /* its old item: its own, it may take it */
	assert_string_equal(t, str(sc, "title"));
	free(t);
	json_decref(sc);

	/* "/./" and "/../" resolving to scene 4's own file: exact match. */
	f4 = h_stash_file(&e, 4);
	cut = strrchr(f4, '/');
	odd4 = s2p_xasprintf("%.*s/./x/..%s", (int)(cut - f4), f4, cut);
	assert_int_equal(h_post(e.stash_ctl, "/scene/4",
			     "{\"title\": \"Dots resolved\"}"),
	    200);
	log = move_and_sync(&e, 4, odd4);
	/* Only scene 4's lines: a retry of scene 2 may come due in this run. */
	assert_false(scene_line_has(log, 4, "by file name"));
	free(log);
	t = title_at(&e, f4);
	assert_string_equal(t, "Dots resolved");
	free(t);
	free(odd4);
	free(f4);
	free(other3);
	free(f3);
	h_stop(&e);
}

/* Contents of a file ("" when absent); caller frees. */
static char *
slurp_file(const char *path)
{
	struct s2p_buf b;
	int fd = open(path, O_RDONLY);

	s2p_buf_init(&b, 0);
	if (fd >= 0) {
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
	}
	if (b.data == NULL)
		return s2p_xstrdup("");
	return s2p_buf_take(&b);
}

/* Run args like run_args, but a run still going after secs is killed and
 * the test fails: these runs used to loop forever. */
static void
run_bounded(struct h_env *e, const char *args, const char *const *env,
    double secs, struct h_run *r)
{
	struct h_proc p;
	double end = h_mono() + secs;
	int st = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(h_spawn_plugin(e, args, env ? env : no_autodrain,
			     "bounded", -1, &p),
	    0);
	while (waitpid(p.pid, &st, WNOHANG) == 0) {
		if (h_mono() > end) {
			kill(p.pid, SIGKILL);
			waitpid(p.pid, &st, 0);
			r->out = slurp_file(p.out);
			r->err = slurp_file(p.err);
			fail_msg("%s still running after %.0f s; "
				 "stderr:\n%.2000s",
			    args, secs, r->err);
		}
		h_sleep(0.05);
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp_file(p.out);
	r->err = slurp_file(p.err);
	printf("%s -> %d\n%s%s", args, r->status, r->out, r->err);
}

/* Queue every scene and process the queue once. */
static void
sync_all(struct h_env *e)
{
	struct h_run r;

	run_task(e, "all", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_task(e, "process_queue", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
}

/*
 * 4b. A corrupt database: the hook reports it (no "queued"), Process
 * Queue ends at once, moving the file aside for a fresh database and
 * telling the user to run Sync All; after that, everything works again.
 */
static void
test_hostile__corrupt_database_is_replaced(void **state)
{
	struct h_env e;
	struct h_run r;
	char *path, *ls;
	unsigned char junk[8192];
	unsigned int seed = 9;
	size_t i;
	FILE *f;

	(void)state;
	assert_int_equal(h_start(&e, 5, 43, NULL, NULL), 0);
	sync_all(&e);
	assert_int_equal(h_unsynced(&e, 0), 0);
	/* Everything into the main file, then 8 KiB of noise over the
	 * queue's pages. */
	assert_int_equal(h_db_long(&e, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand_r(&seed);
	path = s2p_xasprintf("%s/data/stash2plex.db", e.dir);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	assert_int_equal(fclose(f), 0);

	hook(&e, 2, &r);
	printf("hook: %s\n%s", r.out, r.err);
	assert_int_not_equal(r.status, 0);
	assert_true(is_error(&r));
	assert_null(strstr(r.out, "queued"));
	assert_non_null(strstr(r.out, "corrupt"));
	h_run_free(&r);

	run_bounded(&e, "{\"mode\": \"process_queue\"}", NULL, 60, &r);
	assert_non_null(strstr(r.out, "moved it aside as"));
	assert_non_null(strstr(r.out, "Sync All"));
	h_run_free(&r);
	ls = s2p_xasprintf("ls '%s/data' | grep -c '^stash2plex.db.corrupt-"
			   "[0-9TZ]*$'",
	    e.dir);
	assert_int_equal(system(ls), 0);
	free(ls);

	/* A fresh start. */
	hook(&e, 2, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued scene 2"));
	h_run_free(&r);
	sync_all(&e);
	assert_int_equal(h_unsynced(&e, 0), 0);
	free(path);
	h_stop(&e);
}

/*
 * 4c. A background worker started with a wrong plex_url: following it
 * ends when it makes no progress (saying why); once the user fixes the
 * setting, the worker picks it up (no restart) and drains, and Process
 * Queue following it ends.
 */
static void
test_hostile__worker_picks_up_fixed_settings(void **state)
{
	static const char *const bg[] = {"STASH2PLEX_IDLE_EXIT=2", NULL};
	static const char *const bg_stall[] = {"STASH2PLEX_IDLE_EXIT=2",
	    "STASH2PLEX_FOLLOW_STALL=3", NULL};
	struct h_env e;
	struct h_run r;
	char *log;

	(void)state;
	assert_int_equal(h_start(&e, 6, 47, NULL, NULL), 0);
	assert_int_equal(h_settings(&e, "\"plex_url\": \"http://127.0.0.1:1\""),
	    0);
	run_task(&e, "all", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	/* Process Queue fails every job and leaves them to a worker. */
	run_bounded(&e, "{\"mode\": \"process_queue\"}", bg, 60, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "background worker"));
	h_run_free(&r);
	/* The worker probes the wrong URL; the jobs are due again. */
	assert_int_equal(h_wait_log(&e, "Plex health check failed", 1, 60), 0);
	h_sleep(6);
	run_bounded(&e, "{\"mode\": \"process_queue\"}", bg_stall, 60, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no progress for 3 s"));
	assert_non_null(strstr(r.err, "Plex or Stash may be unreachable"));
	h_run_free(&r);

	/* The user fixes plex_url and runs Process Queue. */
	assert_int_equal(h_settings(&e, NULL), 0);
	run_bounded(&e, "{\"mode\": \"process_queue\"}", bg, 90, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_wait_worker(&e, 90), 0);
	log = h_read_data(&e, "stash2plex.log");
	assert_non_null(strstr(log, "Settings changed; reloading them"));
	assert_non_null(strstr(log,
	    "Plex settings changed: circuit breaker "
	    "reset"));
	free(log);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_unsynced(&e, 0), 0);
	h_stop(&e);
}

/*
 * Issue 10, item 6. A running background worker follows the settings in
 * Stash without any task run: a fixed plex_url saved in Stash is picked up
 * and the queue drains; switching "Enabled" off stops the worker with the
 * queue kept; the hooks' cached copy (settings.json) follows both, so the
 * next hook says "disabled".
 */
static void
test_hostile__running_worker_follows_stash_settings(void **state)
{
	static const char *const bg[] = {"STASH2PLEX_IDLE_EXIT=60",
	    "STASH2PLEX_SETTINGS_POLL=1", "STASH2PLEX_FOLLOW_STALL=3", NULL};
	struct h_env e;
	struct h_run r;
	char *cache, *log, want[64];
	double end;

	(void)state;
	assert_int_equal(h_start(&e, 6, 53, NULL, NULL), 0);
	assert_int_equal(h_settings(&e, "\"plex_url\": \"http://127.0.0.1:1\""),
	    0);
	run_task(&e, "all", NULL, &r);
	h_run_free(&r);
	run_bounded(&e, "{\"mode\": \"process_queue\"}", bg, 60, &r);
	h_run_free(&r);
	assert_int_equal(h_wait_log(&e, "Plex health check failed", 1, 60), 0);

	/* Fixed in Stash only: no task runs. */
	assert_int_equal(h_settings(&e, NULL), 0);
	assert_int_equal(h_wait_log(&e, "Settings changed; reloading them", 1,
			     30),
	    0);
	end = h_mono() + 60;
	while (h_db_long(&e, "SELECT count(*) FROM job") != 0 && h_mono() < end)
		h_sleep(0.2);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	cache = h_read_data(&e, "settings.json");
	snprintf(want, sizeof(want), "127.0.0.1:%d", e.plex_port);
	assert_non_null(strstr(cache, want));
	free(cache);

	/* Switched off in Stash while the worker idles: it stops, and the
	 * hooks' copy says so. */
	assert_int_equal(h_settings(&e, "\"enabled\": false"), 0);
	assert_int_equal(h_wait_log(&e, "Stash2Plex is switched off", 1, 30),
	    0);
	assert_int_equal(h_wait_worker(&e, 30), 0);
	log = h_read_data(&e, "stash2plex.log");
	fprintf(stderr, "%.*s\n",
	    (int)strcspn(strstr(log, "Stash2Plex is switched off"), "\n"),
	    strstr(log, "Stash2Plex is switched off"));
	free(log);
	cache = h_read_data(&e, "settings.json");
	assert_non_null(strstr(cache, "\"enabled\":false"));
	free(cache);
	hook(&e, 2, &r);
	assert_non_null(strstr(r.out, "disabled"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	h_stop(&e);
}

/*
 * Issue 10, item 9. obfuscate_paths: a scene whose file (in a folder with
 * a private name) Plex does not have fails; no log line of the task, no
 * line of its output, no stored error or dead letter, shows the folder or
 * file name, and the same folder gets the same word every time.
 */
static void
test_hostile__obfuscate_paths(void **state)
{
	struct h_env e;
	struct h_run r;
	char *txt, *dlq, *log;

	(void)state;
	assert_int_equal(h_start(&e, 4, 59, NULL, NULL), 0);
	assert_int_equal(h_settings(&e,
			     "\"obfuscate_paths\": true, "
			     "\"max_retries\": 1"),
	    0);
	assert_int_equal(h_post(e.stash_ctl, "/scene",
			     "{\"title\": \"t\", "
			     "\"files\": [\"/data/videos/Private Folder/Secret "
			     "Name.mp4\"]}"),
	    200);
	run_task(&e, "all", NULL, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", NULL, &r);
	printf("stderr: %s\nstdout: %s\n", r.err, r.out);
	assert_null(strstr(r.err, "Private"));
	assert_null(strstr(r.err, "Secret"));
	assert_null(strstr(r.out, "Private"));
	assert_non_null(strstr(r.err, ".mp4"));
	h_run_free(&r);
	txt = h_db_text(&e, "SELECT group_concat(last_error, '|') FROM job");
	dlq = h_db_text(&e,
	    "SELECT group_concat(message, '|') FROM "
	    "dead_letter");
	printf("job errors: %s\ndead letters: %s\n", txt ? txt : "",
	    dlq ? dlq : "");
	assert_true((txt && *txt) || (dlq && *dlq));
	assert_true(txt == NULL || strstr(txt, "Private") == NULL);
	assert_true(dlq == NULL || strstr(dlq, "Private") == NULL);
	free(txt);
	free(dlq);
	run_task(&e, "queue_status", NULL, &r);
	assert_null(strstr(r.out, "Private"));
	assert_null(strstr(r.err, "Private"));
	h_run_free(&r);
	log = h_read_data(&e, "stash2plex.log");
	assert_null(strstr(log, "Private"));
	free(log);
	h_stop(&e);
}

/* A title-edit hook for scene id, started with env (autodrain on). */
static void
hook_env(struct h_env *e, long id, const char *const *env)
{
	struct h_run r;
	char *args = s2p_xasprintf(
	    "{\"hookContext\": {\"id\": %ld, "
	    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"%ld\", "
	    "\"title\": \"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
	    id, id);

	run_args(e, args, env, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	free(args);
}

/* Wait (max secs) until the queue is empty. */
static void
wait_drained(struct h_env *e, double secs)
{
	double end = h_mono() + secs;

	while (h_db_long(e, "SELECT count(*) FROM job") != 0 && h_mono() < end)
		h_sleep(0.1);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), 0);
}

/*
 * Issue 10, item 5. Stash's session expires (max_session_age, an hour) on
 * the fake's clock. A background worker that sat 90 minutes without talking
 * to Stash gets 401; it picks up the fresh session the next hook handed
 * over (kept in the data directory, 0600) and goes on. When no fresh one
 * has arrived it pauses the queue, says exactly that, and the next hook
 * with a fresh session resumes it.
 */
static void
test_hostile__expired_stash_session(void **state)
{
	static const char *const bg[] = {"STASH2PLEX_IDLE_EXIT=120", NULL};
	struct h_env e;
	struct h_run r;
	struct stat sb;
	char path[512], *log, *kept;

	(void)state;
	assert_int_equal(h_start(&e, 3, 61, NULL,
			     "--require-auth --session-cookie "
			     "sess-cookie-77e1"),
	    0);
	assert_int_equal(h_fresh_session(&e), 0);
	run_task(&e, "all", NULL, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	/* A hook starts the background worker; it drains and idles. */
	hook_env(&e, 1, bg);
	wait_drained(&e, 60);
	snprintf(path, sizeof(path), "%s/data/session_cookie", e.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* 90 minutes pass (compressed: the fake's clock). Every session
	 * the worker holds has expired; a hook hands over a fresh one. */
	assert_int_equal(h_post(e.stash_ctl, "/clock", "{\"advance\": 5400}"),
	    200);
	assert_int_equal(h_fresh_session(&e), 0);
	hook_env(&e, 2, bg);
	kept = h_read_data(&e, "session_cookie");
	assert_string_equal(kept, e.cookie);
	free(kept);
	assert_int_equal(h_wait_log(&e, "continuing with the fresh session", 1,
			     30),
	    0);
	wait_drained(&e, 30);

	/* Two more hours, and a job arrives with no fresh session (the hook
	 * repeats the old one): the queue pauses and says so. */
	assert_int_equal(h_post(e.stash_ctl, "/clock", "{\"advance\": 7200}"),
	    200);
	hook_env(&e, 3, bg);
	assert_int_equal(h_wait_log(&e,
			     "the queue is paused with 1 job(s) "
			     "kept",
			     1, 30),
	    0);
	assert_int_equal(h_wait_worker(&e, 30), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 1);
	log = h_read_data(&e, "stash2plex.log");
	fprintf(stderr, "%.*s\n",
	    (int)strcspn(strstr(log, "Stash no longer"), "\n"),
	    strstr(log, "Stash no longer"));
	/* The cookie is a secret: never in the log. */
	assert_null(strstr(log, e.cookie));
	assert_null(strstr(log, "sess-cookie-77e1"));
	free(log);

	/* The next hook brings a fresh session: a new worker drains. */
	assert_int_equal(h_fresh_session(&e), 0);
	hook_env(&e, 1, bg);
	wait_drained(&e, 30);
	assert_int_equal(h_unsynced(&e, 0), 0);
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
	    cmocka_unit_test(test_hostile__inputs_get_clear_errors),
	    cmocka_unit_test(test_hostile__plex_url_password_never_shows),
	    cmocka_unit_test(test_hostile__file_name_match_keeps_other_items),
	    cmocka_unit_test(test_hostile__corrupt_database_is_replaced),
	    cmocka_unit_test(test_hostile__worker_picks_up_fixed_settings),
	    cmocka_unit_test(
		test_hostile__running_worker_follows_stash_settings),
	    cmocka_unit_test(test_hostile__obfuscate_paths),
	    cmocka_unit_test(test_hostile__expired_stash_session),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("HOSTILE_ONLY") != NULL)
		cmocka_set_test_filter(getenv("HOSTILE_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
