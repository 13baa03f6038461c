/*
 * test_corpus.c - replays the hostile-input corpus through the real
 * stash2plex binary as Stash runs it (one JSON document on stdin, one JSON
 * object on stdout), against the real fakes (issue 12, item 4):
 *   - every file of tests/corpus/stdin/ (err-*: exit non-zero with an
 *     {"error": ...}; ok-*: exit 0 with an {"output": ...}); @PORT@, @DIR@
 *     and @COOKIE@ are filled in at run time;
 *   - documents too big to commit, generated here (10 MB, nesting 100,000
 *     deep);
 *   - bad plugin settings saved in the fake Stash (wrong types, huge
 *     numbers, 1 MB strings, a password in plex_url);
 *   - bad scene data in the fake Stash (control characters, a 1 MB title,
 *     5,000 tags, path traversal, SQL metacharacters and quotes).
 * No run may die of a signal or print a sanitizer report, no secret (the
 * session cookie, the Plex token, the URL's password) may show in any
 * output, and the job queued before the corpus is still queued after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "harness.h"

#ifndef CORPUS_DIR
#error "CORPUS_DIR must name tests/corpus"
#endif

#define COOKIE "s2pcookie-9f1c77e3d2"
#define PW "corpusPassw0rd-51a2"

/* Counts for the closing report. */
static int n_stdin, n_generated, n_settings, n_scene;

/* Environment of every run: no background worker, one data directory
 * whatever PluginDir the document names. */
struct run_env {
	char *data;
	const char *v[3];
};

static void
env_init(struct run_env *re, struct h_env *e)
{
	re->data = s2p_xasprintf("STASH2PLEX_DATA_DIR=%s/data", e->dir);
	re->v[0] = "STASH2PLEX_AUTODRAIN=0";
	re->v[1] = re->data;
	re->v[2] = NULL;
}

/* Fail when needle occurs in text (len bytes, NULs included). */
static void
no_secret(const char *what, const char *needle, const char *text, size_t len)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= len; i++)
		if (memcmp(text + i, needle, n) == 0)
			fail_msg("%s: a secret (%.6s...) shows in the output",
			    what, needle);
}

/*
 * Judge one run: no signal, no sanitizer report, no secret, stdout exactly
 * one JSON object with "error" (want_error: and a non-zero exit) or with
 * "output" (exit 0).
 */
static void
judge(const char *what, struct h_run *r, int want_error, const char *token)
{
	json_error_t je;
	json_t *o;
	const char *secrets[] = {COOKIE, PW, token};
	size_t i;

	if (r->status >= 128)
		fail_msg("%s: died of signal %d\nstderr: %.2000s", what,
		    r->status - 128, r->err);
	if (strstr(r->err, "Sanitizer") != NULL ||
	    strstr(r->err, "runtime error:") != NULL)
		fail_msg("%s: sanitizer report:\n%.4000s", what, r->err);
	for (i = 0; i < 3; i++) {
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		no_secret(what, secrets[i], r->out, strlen(r->out));
		no_secret(what, secrets[i], r->err, strlen(r->err));
	}
	o = json_loads(r->out, 0, &je);
	if (!json_is_object(o))
		fail_msg("%s: stdout is not one JSON object (%s): %.300s", what,
		    je.text, r->out);
	if (want_error) {
		if (r->status == 0 ||
		    !json_is_string(json_object_get(o, "error")))
			fail_msg("%s: expected an error, got exit %d: %.300s",
			    what, r->status, r->out);
		if (strlen(json_string_value(json_object_get(o, "error"))) >
		    2000)
			fail_msg("%s: error message over 2000 bytes", what);
	} else {
		if (r->status != 0 || json_object_get(o, "error") != NULL ||
		    json_object_get(o, "output") == NULL)
			fail_msg("%s: expected success, got exit %d: %.300s\n"
				 "stderr: %.1000s",
			    what, r->status, r->out, r->err);
	}
	json_decref(o);
}

/* Replace every @PORT@, @DIR@ and @COOKIE@ in doc (len bytes, may hold
 * NULs); new buffer in out. */
static void
fill(struct s2p_buf *out, const char *doc, size_t len, struct h_env *e)
{
	char port[16];
	size_t i = 0;

	snprintf(port, sizeof(port), "%d", e->stash_port);
	s2p_buf_init(out, 0);
	while (i < len) {
		const char *rep = NULL;
		size_t skip = 0;

		if (len - i >= 6 && memcmp(doc + i, "@PORT@", 6) == 0)
			rep = port, skip = 6;
		else if (len - i >= 5 && memcmp(doc + i, "@DIR@", 5) == 0)
			rep = e->dir, skip = 5;
		else if (len - i >= 8 && memcmp(doc + i, "@COOKIE@", 8) == 0)
			rep = COOKIE, skip = 8;
		if (rep != NULL) {
			assert_int_equal(s2p_buf_adds(out, rep), 0);
			i += skip;
		} else {
			assert_int_equal(s2p_buf_add(out, doc + i, 1), 0);
			i++;
		}
	}
	assert_int_equal(s2p_buf_add(out, "", 1), 0); /* NUL, not counted */
	out->len--;
}

/* Run doc (len bytes) as the whole stdin: h_run_stdin takes a C string,
 * so documents with NUL bytes go through a file and /bin/sh. */
static void
run_doc(struct h_env *e, struct run_env *re, const char *doc, size_t len,
    struct h_run *r)
{
	if (memchr(doc, '\0', len) == NULL) {
		assert_int_equal(h_run_stdin(e, doc, re->v, r), 0);
		return;
	}
	{
		char *path = s2p_xasprintf("%s/corpus-input", e->dir);
		char *out = s2p_xasprintf("%s/corpus-out", e->dir);
		char *errp = s2p_xasprintf("%s/corpus-err", e->dir);
		char *cmd = s2p_xasprintf("env STASH2PLEX_AUTODRAIN=0 %s '%s' "
					  "<'%s' >'%s' 2>'%s'",
		    re->data, S2P_BIN, path, out, errp);
		FILE *f = fopen(path, "wb");
		int st, fd;
		struct s2p_buf b;

		assert_non_null(f);
		assert_int_equal(fwrite(doc, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		st = system(cmd);
		memset(r, 0, sizeof(*r));
		/* sh reports a signal death as 128+signal */
		r->status = WIFEXITED(st) ? WEXITSTATUS(st)
					  : 128 + WTERMSIG(st);
		s2p_buf_init(&b, 0);
		fd = open(out, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
		r->out = b.data ? s2p_buf_take(&b) : s2p_xstrdup("");
		s2p_buf_init(&b, 0);
		fd = open(errp, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
		r->err = b.data ? s2p_buf_take(&b) : s2p_xstrdup("");
		free(cmd);
		free(errp);
		free(out);
		free(path);
	}
}

/* The number of jobs for scene id (pending or running). */
static long
jobs_of(struct h_env *e, long id)
{
	char *sql = s2p_xasprintf("SELECT count(*) FROM job WHERE "
				  "scene_id = %ld",
	    id);
	long n = h_db_long(e, sql);

	free(sql);
	return n;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every corpus file, sorted by name. */
static void
replay_stdin_corpus(struct h_env *e, struct run_env *re)
{
	char *dir = s2p_xasprintf("%s/stdin", CORPUS_DIR);
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i, nerr = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "err-", 4) != 0 &&
		    strncmp(de->d_name, "ok-", 3) != 0)
			continue;
		names = s2p_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = s2p_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char *path = s2p_xasprintf("%s/%s", dir, names[i]);
		struct s2p_buf raw, doc;
		struct h_run r;
		int fd = open(path, O_RDONLY), want_error;

		assert_true(fd >= 0);
		s2p_buf_init(&raw, 0);
		assert_int_equal(s2p_buf_read_fd(&raw, fd), 0);
		close(fd);
		fill(&doc, raw.data ? raw.data : "", raw.len, e);
		want_error = names[i][0] == 'e';
		nerr += (size_t)want_error;
		run_doc(e, re, doc.data, doc.len, &r);
		printf("%-44s exit %d %.160s\n", names[i], r.status, r.out);
		judge(names[i], &r, want_error, e->token);
		h_run_free(&r);
		s2p_buf_free(&doc);
		s2p_buf_free(&raw);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	printf("stdin corpus: %zu files (%zu expect an error)\n", n, nerr);
	n_stdin = (int)n;
	assert_true(n >= 100);
}

/* A valid queue_status document whose args carry extra (a JSON member
 * text); new string. */
static char *
status_doc(struct h_env *e, const char *extra)
{
	return s2p_xasprintf("{\"server_connection\": {\"Scheme\": \"http\", "
			     "\"Host\": \"127.0.0.1\", \"Port\": %d, "
			     "\"PluginDir\": \"%s\", \"SessionCookie\": "
			     "{\"Name\": \"session\", \"Value\": \"" COOKIE
			     "\"}}, \"args\": {\"mode\": \"queue_status\"%s}}",
	    e->stash_port, e->dir, extra);
}

/* Documents too large to keep in the repository. */
static void
replay_generated(struct h_env *e, struct run_env *re)
{
	struct s2p_buf b;
	struct h_run r;
	char *doc;
	size_t i;

	/* 10 MB of padding in args: accepted (under the 64 MiB cap). */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_adds(&b, ", \"pad\": \""), 0);
	for (i = 0; i < 10 * 1024 * 1024 / 16; i++)
		assert_int_equal(s2p_buf_adds(&b, "0123456789abcdef"), 0);
	assert_int_equal(s2p_buf_adds(&b, "\""), 0);
	doc = status_doc(e, b.data);
	s2p_buf_free(&b);
	run_doc(e, re, doc, strlen(doc), &r);
	judge("generated 10 MB args", &r, 0, e->token);
	h_run_free(&r);
	/* The same 10 MB cut short: not JSON. */
	doc[strlen(doc) - 40] = '\0';
	run_doc(e, re, doc, strlen(doc), &r);
	judge("generated 10 MB truncated", &r, 1, e->token);
	h_run_free(&r);
	free(doc);

	/* 10 MB of one unterminated string. */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_adds(&b, "{\"server_connection\": \""), 0);
	for (i = 0; i < 10 * 1024 * 1024 / 16; i++)
		assert_int_equal(s2p_buf_adds(&b, "\\u00e9\\n\\\"xyzzy"), 0);
	run_doc(e, re, b.data, b.len, &r);
	judge("generated 10 MB unterminated string", &r, 1, e->token);
	h_run_free(&r);
	s2p_buf_free(&b);

	/* Nesting 100,000 deep: arrays, then objects, inside args. */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_adds(&b, ", \"deep\": "), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(s2p_buf_adds(&b, "["), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(s2p_buf_adds(&b, "]"), 0);
	doc = status_doc(e, b.data);
	s2p_buf_free(&b);
	run_doc(e, re, doc, strlen(doc), &r);
	judge("generated 100000 nested arrays", &r, 1, e->token);
	h_run_free(&r);
	free(doc);
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_adds(&b, ", \"deep\": "), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(s2p_buf_adds(&b, "{\"a\": "), 0);
	assert_int_equal(s2p_buf_adds(&b, "1"), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(s2p_buf_adds(&b, "}"), 0);
	doc = status_doc(e, b.data);
	s2p_buf_free(&b);
	run_doc(e, re, doc, strlen(doc), &r);
	judge("generated 100000 nested objects", &r, 1, e->token);
	h_run_free(&r);
	free(doc);
	/* Unclosed nesting 100,000 deep as the whole document. */
	doc = s2p_xmalloc(100001);
	memset(doc, '[', 100000);
	doc[100000] = '\0';
	run_doc(e, re, doc, 100000, &r);
	judge("generated 100000 unclosed brackets", &r, 1, e->token);
	h_run_free(&r);
	free(doc);
	n_generated = 6;
}

/* A string of n copies of c (a JSON string's contents); new string. */
static char *
repeat(char c, size_t n)
{
	char *s = s2p_xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * Bad plugin settings: each is saved in the fake Stash, then the "all" task
 * runs (it loads and checks the settings, then queues scenes). want_error
 * 1: the task names the bad setting in an error; 0: the value is sanitised
 * (defaults, coercion) and the task works.
 */
static void
replay_settings(struct h_env *e, struct run_env *re)
{
	char *big = repeat('a', 1024 * 1024);
	char *plex = s2p_xasprintf("http://127.0.0.1:%d", e->plex_port);
	char *creds = s2p_xasprintf("http://stash2plex:" PW "@127.0.0.1:%d",
	    e->plex_port);
	struct {
		const char *name;
		char *extra; /* members after plex_url and plex_token */
		int want_error;
		int creds; /* plex_url carries user:password */
	} cases[] = {
	    {"plex_url a number", s2p_xstrdup("\"plex_url\": 5"), 1, 0},
	    {"plex_token an array", s2p_xstrdup("\"plex_token\": [\"x\"]"), 1,
		0},
	    {"plex_url 1 MB", s2p_xasprintf("\"plex_url\": \"http://%s\"", big),
		1, 0},
	    {"plex_token 1 MB", s2p_xasprintf("\"plex_token\": \"%s\"", big), 1,
		0},
	    {"max_retries text", s2p_xstrdup("\"max_retries\": \"12abc\""), 1,
		0},
	    {"max_retries 1e300", s2p_xstrdup("\"max_retries\": 1e300"), 1, 0},
	    {"max_retries int64 max",
		s2p_xstrdup("\"max_retries\": 9223372036854775807"), 1, 0},
	    {"max_retries negative", s2p_xstrdup("\"max_retries\": -1"), 1, 0},
	    {"max_retries 21", s2p_xstrdup("\"max_retries\": 21"), 1, 0},
	    {"poll_interval text",
		s2p_xstrdup("\"poll_interval\": "
			    "\"fast\""),
		1, 0},
	    {"read_timeout 1e308", s2p_xstrdup("\"read_timeout\": 1e308"), 1,
		0},
	    {"max_tags an object", s2p_xstrdup("\"max_tags\": {\"n\": 1}"), 1,
		0},
	    {"strict_matching an object",
		s2p_xstrdup("\"strict_matching\": {\"a\": 1}"), 1, 0},
	    {"strict_matching maybe",
		s2p_xstrdup("\"strict_matching\": \"maybe\""), 1, 0},
	    {"reconcile_interval odd",
		s2p_xstrdup("\"reconcile_interval\": \"hourly'; --\""), 1, 0},
	    {"dlq_retention_days 366",
		s2p_xstrdup("\"dlq_retention_days\": 366"), 1, 0},
	    {"plex_url pasted with a query",
		s2p_xasprintf("\"plex_url\": \"%s/web/index.html?x=1#!/\"",
		    plex),
		0, 0},
	    {"plex_url javascript:",
		s2p_xstrdup("\"plex_url\": \"javascript:alert(1)\""), 1, 0},
	    {"plex_url ftp",
		s2p_xstrdup("\"plex_url\": "
			    "\"ftp://127.0.0.1:21\""),
		1, 0},
	    {"path_map 1 MB", s2p_xasprintf("\"path_map\": \"%s\"", big), 1, 0},
	    {"credentials in plex_url", s2p_xstrdup(""), 0, 1},
	    {"credentials and debug logging",
		s2p_xstrdup("\"debug_logging\": true"), 0, 1},
	    {"credentials and a bad max_tags", s2p_xstrdup("\"max_tags\": 1"),
		1, 1},
	    {"unknown key 1 MB", s2p_xasprintf("\"no_such_key\": \"%s\"", big),
		0, 0},
	    {"zeros and empties mean default",
		s2p_xstrdup("\"max_retries\": 0, \"path_map\": \"\", "
			    "\"dlq_retention_days\": null"),
		0, 0},
	    {"coerced booleans and numbers",
		s2p_xstrdup(
		    "\"enabled\": \"yes\", \"sync_tags\": 1, "
		    "\"max_retries\": \"7\", \"reconcile_scope\": \"ALL\""),
		0, 0},
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	for (i = 0; i < n; i++) {
		char *body = s2p_xasprintf("{\"plex_url\": \"%s\", "
					   "\"plex_token\": \"%s\"%s%s}",
		    cases[i].creds ? creds : plex, e->token,
		    cases[i].extra[0] ? ", " : "", cases[i].extra);
		char *doc =
		    s2p_xasprintf("{\"server_connection\": {\"Scheme\": "
				  "\"http\", \"Host\": \"127.0.0.1\", "
				  "\"Port\": %d, \"PluginDir\": \"%s\", "
				  "\"SessionCookie\": {\"Name\": "
				  "\"session\", \"Value\": \"" COOKIE
				  "\"}}, \"args\": {\"mode\": "
				  "\"all\"}}",
			e->stash_port, e->dir);
		struct h_run r;

		/* The fake keeps the last document; a duplicate key is
		 * resolved as Stash's JSON reader would (the last wins). */
		assert_int_equal(h_post(e->stash_ctl, "/settings", body), 200);
		run_doc(e, re, doc, strlen(doc), &r);
		printf("settings: %-32s exit %d %.200s\n", cases[i].name,
		    r.status, r.out);
		judge(cases[i].name, &r, cases[i].want_error, e->token);
		h_run_free(&r);
		free(doc);
		free(body);
		free(cases[i].extra);
	}
	n_settings = (int)n;
	assert_int_equal(h_settings(e, NULL), 0);
	free(creds);
	free(plex);
	free(big);
}

/* The worker log and database must not hold the secrets either. */
static void
data_clean(struct h_env *e)
{
	char *log = h_read_data(e, "stash2plex.log");

	no_secret("worker log", PW, log, strlen(log));
	no_secret("worker log", COOKIE, log, strlen(log));
	no_secret("worker log", e->token, log, strlen(log));
	free(log);
}

/* Run one hook for scene id; judged as accepted. */
static void
hook_ok(struct h_env *e, struct run_env *re, long id)
{
	char *doc = s2p_xasprintf("{\"server_connection\": {\"Scheme\": "
				  "\"http\", \"Host\": \"127.0.0.1\", "
				  "\"Port\": %d, \"PluginDir\": \"%s\"}, "
				  "\"args\": {\"hookContext\": {\"id\": %ld, "
				  "\"type\": \"Scene.Update.Post\", "
				  "\"input\": {\"id\": \"%ld\", \"title\": "
				  "\"x\"}, \"inputFields\": [\"id\", "
				  "\"title\"]}}}",
	    e->stash_port, e->dir, id, id);
	struct h_run r;

	run_doc(e, re, doc, strlen(doc), &r);
	judge("hook", &r, 0, e->token);
	h_run_free(&r);
	free(doc);
}

/* Patch scene id in the fake Stash (a JSON object text). */
static void
patch(struct h_env *e, long id, const char *json)
{
	char *path = s2p_xasprintf("/scene/%ld", id);

	assert_int_equal(h_post(e->stash_ctl, path, json), 200);
	free(path);
}

/* The Plex title of the item holding file; new string ("" if none). */
static char *
plex_title(struct h_env *e, const char *file)
{
	json_t *it = h_plex_item_by_file(e, file);
	const char *t = json_string_value(json_object_get(it, "title"));
	char *s = s2p_xstrdup(t ? t : "");

	json_decref(it);
	return s;
}

/* The first file of Stash scene id; new string. */
static char *
first_file(struct h_env *e, long id)
{
	json_t *sc = h_stash_scene(e, id);
	char *f;

	assert_non_null(sc);
	f = s2p_xstrdup(
	    json_string_value(json_array_get(json_object_get(sc, "files"), 0)));
	json_decref(sc);
	return f;
}

/*
 * Bad scene data, hooked and synced by Process Queue: the run ends
 * normally, titles reach Plex without control characters, at most
 * max_tags genres are written, and the traversal path matches nothing
 * outside the scene's own item.
 */
static void
replay_scenes(struct h_env *e, struct run_env *re)
{
	static const char *const sql = "Robert'); DROP TABLE job; -- \\\" "
				       "%_ \\\\ ` $(rm -rf /) <x> & ;";
	struct s2p_buf b;
	struct h_run r;
	char *big = repeat('T', 1024 * 1024), *body, *f2, *f3, *t;
	char *other;
	size_t i;
	json_t *it;

	f2 = first_file(e, 2);
	f3 = first_file(e, 3);
	other = first_file(e, 5);
	/* 2: control characters, SQL and quotes in every field. */
	body = s2p_xasprintf("{\"title\": \"A\\u0001B\\u001b[31mC\\u0007"
			     "\\u007f\\r\\nD %s\", \"details\": \"%s\\u0000"
			     "tail\", \"code\": \"%s\", \"director\": \"%s\", "
			     "\"studio\": \"%s\", \"performers\": [\"%s\", "
			     "\"O'Brien \\\"Bob\\\"\"], \"tags\": [\"%s\", "
			     "\"\\u0002tag\"], \"urls\": [\"javascript:"
			     "alert('%s')\"]}",
	    sql, sql, sql, sql, sql, sql, sql, sql);
	patch(e, 2, body);
	free(body);
	/* 3: a 1 MB title and 5,000 tags. */
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_addf(&b, "{\"title\": \"%s\", \"tags\": [",
			     big),
	    0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(s2p_buf_addf(&b, "%s\"tag %zu '\\\"\"",
				     i ? ", " : "", i),
		    0);
	assert_int_equal(s2p_buf_adds(&b, "]}"), 0);
	patch(e, 3, b.data);
	s2p_buf_free(&b);
	/* 4: path traversal towards scene 5's file, and the root. */
	body = s2p_xasprintf("{\"title\": \"Traversal\", \"files\": "
			     "[\"/data/videos/../../../../etc/passwd\", "
			     "\"%s/../../../%s\"]}",
	    f2, other);
	patch(e, 4, body);
	free(body);
	for (i = 2; i <= 4; i++)
		hook_ok(e, re, (long)i);
	n_scene = 3;

	{
		char *doc =
		    s2p_xasprintf("{\"server_connection\": {\"Scheme\": "
				  "\"http\", \"Host\": \"127.0.0.1\", "
				  "\"Port\": %d, \"PluginDir\": \"%s\"}, "
				  "\"args\": {\"mode\": "
				  "\"process_queue\"}}",
			e->stash_port, e->dir);

		run_doc(e, re, doc, strlen(doc), &r);
		printf("process_queue: exit %d %.300s\n%.3000s\n", r.status,
		    r.out, r.err);
		judge("process_queue over bad scenes", &r, 0, e->token);
		h_run_free(&r);
		free(doc);
	}
	/* Scene 2 reached Plex cleaned: no C0 control but tab (a title is
	 * one line, so no newline either). DEL stays: XML 1.0 carries it. */
	t = plex_title(e, f2);
	printf("scene 2 title in Plex: %.120s\n", t);
	assert_non_null(strstr(t, "DROP TABLE job"));
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 && t[i] != '\t')
			fail_msg("control character 0x%02x in Plex title",
			    (unsigned char)t[i]);
	free(t);
	/* Scene 3: synced, genres capped at max_tags (100). */
	it = h_plex_item_by_file(e, f3);
	assert_non_null(it);
	t = s2p_xstrdup(json_string_value(json_object_get(it, "title")));
	printf("scene 3 title in Plex: %zu bytes, %zu genres\n", strlen(t),
	    json_array_size(json_object_get(it, "genres")));
	assert_true(strncmp(t, "TTTT", 4) == 0);
	assert_true(json_array_size(json_object_get(it, "genres")) <= 100);
	free(t);
	json_decref(it);
	/* Scene 5's item was not taken by scene 4's traversal path. */
	t = plex_title(e, other);
	assert_string_not_equal(t, "Traversal");
	free(t);
	t = h_db_text(e, "PRAGMA integrity_check");
	assert_non_null(t);
	assert_string_equal(t, "ok");
	free(t);
	free(other);
	free(f3);
	free(f2);
	free(big);
}

static void
test_corpus__hostile_inputs(void **state)
{
	struct h_env e;
	struct run_env re;
	struct h_run r;

	(void)state;
	assert_int_equal(h_start(&e, 6, 61, NULL, NULL), 0);
	env_init(&re, &e);
	/* The job that must survive everything below. */
	{
		const char *args = "{\"hookContext\": {\"id\": 6, \"type\": "
				   "\"Scene.Update.Post\", \"input\": {\"id\": "
				   "\"6\", \"title\": \"t\"}, \"inputFields\": "
				   "[\"id\", \"title\"]}}";

		assert_int_equal(h_run_plugin(&e, args, re.v, &r), 0);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "queued scene 6"));
		h_run_free(&r);
	}
	assert_int_equal(jobs_of(&e, 6), 1);

	replay_stdin_corpus(&e, &re);
	assert_int_equal(jobs_of(&e, 6), 1);
	replay_generated(&e, &re);
	assert_int_equal(jobs_of(&e, 6), 1);
	replay_settings(&e, &re);
	assert_int_equal(jobs_of(&e, 6), 1);
	data_clean(&e);
	printf("scene 6's job is still queued after %d stdin files, %d "
	       "generated documents and %d bad settings\n",
	    n_stdin, n_generated, n_settings);

	replay_scenes(&e, &re);
	data_clean(&e);
	printf("bad inputs tried: %d stdin corpus + %d generated + %d "
	       "settings + %d scenes\n",
	    n_stdin, n_generated, n_settings, n_scene);
	free(re.data);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus__hostile_inputs),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
