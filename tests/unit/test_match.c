/*
 * test_match.c - the matcher (sync/match.c over store/pindex.c,
 * sync/indexer.c and sync/pathmap.c) against the fake Plex run in-process
 * on a loopback port, with a real SQLite database in a scratch directory,
 * the real Plex client and a manual clock driving the incremental-refresh
 * gap. Plex requests are counted from the fake's request log: a lookup
 * that hits the index costs none, a newly scanned file is found by an
 * addedAt:desc page, never by a second full listing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "fakehttp.h"
#include "net/plex.h"
#include "plexsrv.h"
#include "resil_util.h"
#include "store/db.h"
#include "sync/match.h"
#include "synth.h"

#define T0 1800000000.0

struct fx {
	char *dir;
	char *logpath;
	struct fake_opts opts;
	struct fake_plex *fp;
	struct fake_server *srv;
	struct s2p_db *db;
	struct s2p_plex *plex;
	struct s2p_config cfg;
	struct s2p_manual_clock clk;
	struct s2p_matcher m;
	int have_m;
	struct synth_lib lib;
	CURL *curl;
};

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	if (s2p_buf_add(ud, p, sz * n) != S2P_OK)
		return 0;
	return sz * n;
}

/* A control request to the fake; the reply as JSON (new reference, or NULL
 * when it is not JSON). *status gets the HTTP status when not NULL. */
static json_t *
ctl(struct fx *f, const char *method, const char *path, const char *body,
    long *status)
{
	char *url = s2p_xasprintf("http://127.0.0.1:%d%s",
	    fake_server_control_port(f->srv), path);
	struct curl_slist *h = NULL;
	struct s2p_buf b;
	long st = 0;
	json_t *j;

	s2p_buf_init(&b, 0);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 10000L);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body != NULL)
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(f->curl), CURLE_OK);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(h);
	free(url);
	j = b.data ? json_loads(b.data, 0, NULL) : NULL;
	s2p_buf_free(&b);
	if (status != NULL)
		*status = st;
	return j;
}

/* POST /item creating or changing an item; returns its ratingKey (new
 * string). */
static char *
post_item(struct fx *f, const char *json)
{
	long st = 0;
	json_t *j = ctl(f, "POST", "/item", json, &st);
	char *rk;

	assert_int_equal(st, 200);
	assert_non_null(j);
	rk = s2p_xstrdup(json_string_value(json_object_get(j, "ratingKey")));
	json_decref(j);
	return rk;
}

/* The ratingKey of the fake's item holding file (new string), or NULL. */
static char *
item_of(struct fx *f, const char *file)
{
	json_t *st = ctl(f, "GET", "/state", NULL, NULL), *it, *x;
	char *rk = NULL;
	size_t i, j;

	assert_non_null(st);
	json_array_foreach(json_object_get(st, "items"), i, it)
	{
		json_array_foreach(json_object_get(it, "files"), j, x)
		{
			if (rk == NULL &&
			    strcmp(json_string_value(x), file) == 0)
				rk = s2p_xstrdup(json_string_value(
				    json_object_get(it, "ratingKey")));
		}
	}
	json_decref(st);
	return rk;
}

/* Recorded GET /library/sections/<sec>/all requests: with sort NULL those
 * without any sort (full listings), else those whose sort starts with it. */
static int
count_list(struct fx *f, const char *sec, const char *sort)
{
	json_t *reqs = fake_server_requests(f->srv), *r;
	char *path = s2p_xasprintf("/library/sections/%s/all", sec);
	int want = sort != NULL;
	size_t i;
	int n = 0;

	json_array_foreach(reqs, i, r)
	{
		const char *m = json_string_value(json_object_get(r, "method"));
		const char *p = json_string_value(json_object_get(r, "path"));
		const char *q = json_string_value(json_object_get(r, "query"));

		if (strcmp(m, "GET") != 0 || strcmp(p, path) != 0)
			continue;
		if (q == NULL)
			q = "";
		/* sorts go out type-prefixed: sort=movie.addedAt%3Adesc */
		if (want ? strstr(q, "sort=") != NULL && strstr(q, sort) != NULL
			 : strstr(q, "sort=") == NULL)
			n++;
	}
	free(path);
	json_decref(reqs);
	return n;
}

static int
count_all_requests(struct fx *f)
{
	json_t *reqs = fake_server_requests(f->srv);
	int n = (int)json_array_size(reqs);

	json_decref(reqs);
	return n;
}

static void
forget_requests(struct fx *f)
{
	json_decref(ctl(f, "DELETE", "/requests", NULL, NULL));
	assert_int_equal(count_all_requests(f), 0);
}

/* (Re)build the matcher from the current settings. */
static void
rematch(struct fx *f)
{
	struct s2p_error err;

	if (f->have_m)
		s2p_matcher_free(&f->m);
	assert_int_equal(s2p_matcher_init(&f->m, f->db, f->plex, &f->cfg,
			     &f->clk.clock, &err),
	    S2P_OK);
	f->have_m = 1;
}

static void
setting(struct fx *f, const char *key, const char *value)
{
	struct s2p_error err;

	assert_int_equal(s2p_config_set(&f->cfg, key, value, &err), S2P_OK);
	rematch(f);
}

/* Start the fake with "--scenes N --seed S --scan-ms 0" plus args (NULL-
 * terminated), a database and a matcher with default settings. */
static struct fx *
start(size_t scenes, int seed, const char *const *args)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	struct fake_server_config cfg;
	struct s2p_plex_opts po;
	struct s2p_log_opts lo;
	struct s2p_error err;
	char *argv[40], *dbpath, *url;
	int argc = 0;

	memset(&cfg, 0, sizeof(cfg));
	f->dir = make_scratch();
	assert_non_null(f->dir);
	f->logpath = s2p_xasprintf("%s/match.log", f->dir);
	memset(&lo, 0, sizeof(lo));
	lo.format = S2P_LOGFMT_PLAIN;
	lo.to_stderr = 0;
	lo.file = f->logpath;
	lo.file_max = 1 << 24;
	lo.min = S2P_LOG_DEBUG;
	s2p_log_open(&lo);

	argv[argc++] = s2p_xstrdup("fake-plex");
	argv[argc++] = s2p_xstrdup("--scenes");
	argv[argc++] = s2p_xasprintf("%zu", scenes);
	argv[argc++] = s2p_xstrdup("--seed");
	argv[argc++] = s2p_xasprintf("%d", seed);
	argv[argc++] = s2p_xstrdup("--scan-ms");
	argv[argc++] = s2p_xstrdup("0");
	for (; args && *args && argc < 38; args++)
		argv[argc++] = s2p_xstrdup(*args);
	argv[argc] = NULL;
	fake_opts_init(&f->opts);
	assert_int_equal(fake_plex_new(&f->fp, argc, argv, &f->opts, &err),
	    S2P_OK);
	while (argc > 0)
		free(argv[--argc]);
	fake_plex_config(f->fp, &cfg);
	assert_int_equal(fake_server_start(&f->srv, &cfg, &f->opts, &err),
	    S2P_OK);
	f->curl = curl_easy_init();
	synth_generate(&f->lib, scenes, (uint64_t)seed, "/data/videos");

	dbpath = s2p_xasprintf("%s/s2p.db", f->dir);
	assert_int_equal(s2p_db_open(&f->db, dbpath, &err), S2P_OK);
	free(dbpath);
	url = s2p_xasprintf("http://127.0.0.1:%d", fake_server_port(f->srv));
	memset(&po, 0, sizeof(po));
	po.url = url;
	po.token = "fake-plex-token";
	po.client_id = "test-match-client";
	po.timeout_ms = 10000;
	assert_int_equal(s2p_plex_new(&f->plex, &po, &err), S2P_OK);
	free(url);
	s2p_config_init(&f->cfg);
	s2p_manual_clock_init(&f->clk, T0);
	rematch(f);
	return f;
}

static void
stop(struct fx *f)
{
	if (f->have_m)
		s2p_matcher_free(&f->m);
	s2p_config_free(&f->cfg);
	s2p_plex_free(f->plex);
	s2p_db_close(f->db);
	curl_easy_cleanup(f->curl);
	fake_server_free(f->srv);
	fake_plex_free(f->fp);
	fake_opts_free(&f->opts);
	synth_free(&f->lib);
	s2p_log_close();
	rm_scratch(f->dir);
	free(f->dir);
	free(f->logpath);
	free(f);
}

/* Find the item of one file. */
static int
find1(struct fx *f, const char *file, struct s2p_match *mt,
    struct s2p_error *err)
{
	struct s2p_strv files = {0};
	int rc;

	s2p_strv_push(&files, file);
	s2p_error_clear(err);
	rc = s2p_matcher_find(&f->m, &files, mt, err);
	s2p_strv_free(&files);
	return rc;
}

/* Find file, expect success with ratingKey rk (and return the match). */
static void
expect_rk(struct fx *f, const char *file, const char *rk, struct s2p_match *mt)
{
	struct s2p_error err;
	int rc = find1(f, file, mt, &err);

	if (rc != S2P_OK)
		fail_msg("find %s: %d %s", file, rc, err.msg);
	assert_non_null(rk);
	assert_string_equal(mt->rating_key, rk);
}

static void
expect_fail(struct fx *f, const char *file, int code, struct s2p_error *err)
{
	struct s2p_match mt;

	assert_int_equal(find1(f, file, &mt, err), code);
	assert_null(mt.rating_key);
	s2p_match_free(&mt);
}

/* The log file contains s. */
static int
logged(struct fx *f, const char *s)
{
	FILE *fp = fopen(f->logpath, "r");
	char line[2048];
	int found = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, s) != NULL)
			found = 1;
	fclose(fp);
	return found;
}

static const char *
base_of(const char *path)
{
	return strrchr(path, '/') + 1;
}

/* "<root>/<Studio>/" -> "Studio" (new string). */
static char *
studio_dir(const char *path)
{
	const char *end = strrchr(path, '/');
	const char *beg = end - 1;

	while (*beg != '/')
		beg--;
	return s2p_xstrndup(beg + 1, (size_t)(end - beg - 1));
}

static void
test_match__exact(void **state)
{
	struct fx *f = start(6, 5, NULL);
	struct s2p_match mt;
	struct s2p_error err;
	char *rk, *zoe;
	size_t i;

	(void)state;
	for (i = 0; i < f->lib.n; i++) {
		rk = item_of(f, f->lib.v[i].path);
		expect_rk(f, f->lib.v[i].path, rk, &mt);
		assert_string_equal(mt.section_key, "1");
		assert_int_equal(mt.type, 1);
		assert_string_equal(mt.plex_file, f->lib.v[i].path);
		assert_int_equal(mt.by_basename, 0);
		assert_int_equal(mt.secondary, 0);
		s2p_match_free(&mt);
		free(rk);
	}
	/* One full listing, no incremental one: every file was there. */
	assert_int_equal(count_list(f, "1", NULL), 1);
	assert_int_equal(count_list(f, "1", "addedAt"), 0);
	/* Once indexed, a lookup costs no Plex request at all. */
	forget_requests(f);
	for (i = 0; i < f->lib.n; i++) {
		rk = item_of(f, f->lib.v[i].path);
		forget_requests(f);
		expect_rk(f, f->lib.v[i].path, rk, &mt);
		s2p_match_free(&mt);
		free(rk);
		assert_int_equal(count_all_requests(f), 0);
	}

	/* Plex stores NFC, Stash sends NFD: the same file. */
	zoe = post_item(f,
	    "{\"files\": [\"/data/videos/Zo\\u00eb/"
	    "Zo\\u00eb Live.mp4\"]}");
	expect_rk(f, "/data/videos/Zoe\xcc\x88/Zoe\xcc\x88 Live.mp4", zoe, &mt);
	assert_int_equal(mt.by_basename, 0);
	s2p_match_free(&mt);
	free(zoe);

	/* The primary file is unknown, the scene's second file is not. */
	{
		struct s2p_strv files = {0};

		s2p_strv_push(&files, "/data/videos/Nowhere/none-1.mp4");
		s2p_strv_push(&files, f->lib.v[1].path);
		rk = item_of(f, f->lib.v[1].path);
		assert_int_equal(s2p_matcher_find(&f->m, &files, &mt, &err),
		    S2P_OK);
		assert_string_equal(mt.rating_key, rk);
		assert_int_equal(mt.by_basename, 0);
		s2p_match_free(&mt);
		s2p_strv_free(&files);
		free(rk);
	}
	/* Unknown file: not found, and the message names it. */
	expect_fail(f, "/data/videos/Nowhere/none-2.mp4", S2P_ENOTFOUND, &err);
	assert_non_null(strstr(err.msg, "/data/videos/Nowhere/none-2.mp4"));
	/* A scene without files cannot match. */
	{
		struct s2p_strv none = {0};

		assert_int_equal(s2p_matcher_find(&f->m, &none, &mt, &err),
		    S2P_EPERM);
		s2p_match_free(&mt);
	}
	stop(f);
}

/* Plex sees the files under another mount point: path_map translates. */
static void
test_match__path_map_plex_root(void **state)
{
	static const char *const args[] = {"--plex-root", "/mnt/media", NULL};
	struct fx *f = start(6, 8, args);
	struct s2p_match mt;
	struct s2p_error err;
	size_t i;

	(void)state;
	setting(f, "path_map",
	    "/srv/other=>/nowhere; /data/videos/ => "
	    "/mnt/media/");
	for (i = 0; i < f->lib.n; i++) {
		char *plex = s2p_xasprintf("/mnt/media%s",
		    f->lib.v[i].path + strlen("/data/videos"));
		char *rk = item_of(f, plex);

		expect_rk(f, f->lib.v[i].path, rk, &mt);
		assert_string_equal(mt.plex_file, plex);
		assert_int_equal(mt.by_basename, 0);
		s2p_match_free(&mt);
		free(rk);
		free(plex);
	}
	/* Without the rule only the file name can match (and that is
	 * logged); a Stash path of no Plex folder says to check path_map. */
	setting(f, "path_map", "");
	{
		char *plex = s2p_xasprintf("/mnt/media%s",
		    f->lib.v[0].path + strlen("/data/videos"));
		char *rk = item_of(f, plex);

		expect_rk(f, f->lib.v[0].path, rk, &mt);
		assert_int_equal(mt.by_basename, 1);
		assert_true(logged(f, "by file name only"));
		s2p_match_free(&mt);
		free(rk);
		free(plex);
	}
	expect_fail(f, "/data/videos/Nowhere/none.mp4", S2P_ENOTFOUND, &err);
	assert_non_null(strstr(err.msg, "path_map"));
	/* A bad rule is refused when the matcher is set up. */
	assert_int_equal(s2p_config_set(&f->cfg, "path_map", "/a -> /b", &err),
	    S2P_OK);
	s2p_matcher_free(&f->m);
	f->have_m = 0;
	assert_int_equal(s2p_matcher_init(&f->m, f->db, f->plex, &f->cfg,
			     &f->clk.clock, &err),
	    S2P_EINVAL);
	assert_non_null(strstr(err.msg, "/a -> /b"));
	s2p_matcher_free(&f->m);
	stop(f);
}

/* Plex on Windows: POSIX Stash paths map onto a drive, compared without
 * regard to case or separators. */
static void
test_match__path_map_windows_plex(void **state)
{
	static const char *const args[] = {"--plex-root", "D:\\Media", NULL};
	struct fx *f = start(4, 9, args);
	struct s2p_match mt;
	size_t i;

	(void)state;
	setting(f, "path_map", "/data/videos=>d:\\MEDIA");
	for (i = 0; i < f->lib.n; i++) {
		char *plex = s2p_xasprintf("D:\\Media%s",
		    f->lib.v[i].path + strlen("/data/videos"));
		char *rk = item_of(f, plex);

		expect_rk(f, f->lib.v[i].path, rk, &mt);
		assert_string_equal(mt.plex_file, plex);
		assert_int_equal(mt.by_basename, 0);
		s2p_match_free(&mt);
		free(rk);
		free(plex);
	}
	stop(f);
}

/* Several libraries share one folder: the same file is an item in each.
 * The lowest section key (numerically) owns it, on every call. */
static void
test_match__shared_folder_owner(void **state)
{
	static const char *const args[] = {"--section",
	    "2:Other:movie:/data/videos", "--section",
	    "10:Clips:movie:/data/videos", NULL};
	struct fx *f = start(4, 4, args);
	struct s2p_match mt;
	struct s2p_error err;
	char *rk10, *rk2, *json, *studio, *stash;
	int k;

	(void)state;
	/* The fake files the synthetic items under the last section. */
	rk10 = item_of(f, f->lib.v[0].path);
	json = s2p_xasprintf("{\"files\": [\"%s\"], \"section\": \"2\"}",
	    f->lib.v[0].path);
	rk2 = post_item(f, json);
	free(json);
	assert_string_not_equal(rk2, rk10);
	for (k = 0; k < 3; k++) {
		expect_rk(f, f->lib.v[0].path, rk2, &mt);
		assert_string_equal(mt.section_key, "2");
		s2p_match_free(&mt);
	}
	{
		char *rk = item_of(f, f->lib.v[1].path);

		expect_rk(f, f->lib.v[1].path, rk, &mt);
		assert_string_equal(mt.section_key, "10");
		s2p_match_free(&mt);
		free(rk);
	}
	/* Only the Clips library: its own item. */
	setting(f, "plex_library", "Clips");
	expect_rk(f, f->lib.v[0].path, rk10, &mt);
	assert_string_equal(mt.section_key, "10");
	s2p_match_free(&mt);
	/* By file name the same Plex file in two libraries is one
	 * candidate, not an ambiguity, even when strict. */
	setting(f, "plex_library", "");
	studio = studio_dir(f->lib.v[0].path);
	stash = s2p_xasprintf("/stash/%s/%s", studio,
	    base_of(f->lib.v[0].path));
	assert_true(f->cfg.strict_matching);
	if (find1(f, stash, &mt, &err) != S2P_OK)
		fail_msg("find %s: %s", stash, err.msg);
	assert_string_equal(mt.rating_key, rk2);
	assert_int_equal(mt.by_basename, 1);
	s2p_match_free(&mt);
	free(stash);
	free(studio);
	free(rk2);
	free(rk10);
	stop(f);
}

/* plex_library: one name, two names (any case, spaces), an unknown name;
 * libraries left out are never listed. Show libraries give episodes. */
static void
test_match__plex_library(void **state)
{
	static const char *const args[] = {"--section",
	    "2:Clips:movie:/data/clips", "--section",
	    "3:Shows:show:/data/shows", NULL};
	struct fx *f = start(3, 6, args);
	struct s2p_match mt;
	struct s2p_error err;
	char *scene_rk, *clip, *ep;
	const char *scene = f->lib.v[0].path;

	(void)state;
	scene_rk = item_of(f, scene);
	clip = post_item(f, "{\"files\": [\"/data/clips/Clip One.mp4\"]}");
	ep = post_item(f, "{\"files\": [\"/data/shows/Show/S01E01.mkv\"]}");

	/* Empty: every video library. */
	expect_rk(f, scene, scene_rk, &mt);
	assert_string_equal(mt.section_key, "1");
	s2p_match_free(&mt);
	expect_rk(f, "/data/clips/Clip One.mp4", clip, &mt);
	assert_string_equal(mt.section_key, "2");
	assert_int_equal(mt.type, 1);
	s2p_match_free(&mt);
	expect_rk(f, "/data/shows/Show/S01E01.mkv", ep, &mt);
	assert_string_equal(mt.section_key, "3");
	assert_int_equal(mt.type, 4);
	s2p_match_free(&mt);
	assert_int_equal(count_list(f, "3", NULL), 1);

	/* One name, in another case: only that library. */
	forget_requests(f);
	f->clk.t = T0 + 100000; /* a day later: re-list what is used */
	setting(f, "plex_library", "clips");
	expect_rk(f, "/data/clips/Clip One.mp4", clip, &mt);
	s2p_match_free(&mt);
	expect_fail(f, scene, S2P_ENOTFOUND, &err);
	assert_non_null(strstr(err.msg, "\"Scenes\", which plex_library"));
	expect_fail(f, "/data/shows/Show/S01E01.mkv", S2P_ENOTFOUND, &err);
	assert_non_null(strstr(err.msg, "\"Shows\""));
	assert_int_equal(count_list(f, "1", NULL), 0);
	assert_int_equal(count_list(f, "3", NULL), 0);
	assert_int_equal(count_list(f, "1", "addedAt"), 0);
	assert_int_equal(count_list(f, "3", "addedAt"), 0);

	/* Two names. */
	setting(f, "plex_library", " Shows ,CLIPS ");
	expect_rk(f, "/data/clips/Clip One.mp4", clip, &mt);
	s2p_match_free(&mt);
	expect_rk(f, "/data/shows/Show/S01E01.mkv", ep, &mt);
	assert_int_equal(mt.type, 4);
	s2p_match_free(&mt);
	expect_fail(f, scene, S2P_ENOTFOUND, &err);
	assert_int_equal(count_list(f, "1", NULL), 0);

	/* No such library: a permanent error naming it, no listing. */
	forget_requests(f);
	setting(f, "plex_library", "Nope");
	expect_fail(f, scene, S2P_EPERM, &err);
	assert_non_null(strstr(err.msg, "Nope"));
	assert_int_equal(count_list(f, "1", NULL) + count_list(f, "2", NULL) +
		count_list(f, "3", NULL),
	    0);
	free(scene_rk);
	free(clip);
	free(ep);
	stop(f);
}

/* No exact path, several files of the same name: strict fails permanently
 * listing every candidate; relaxed picks the closest path and logs it. */
static void
test_match__basename_ambiguity(void **state)
{
	static const char *const args[] = {"--extra-dup", "1", NULL};
	struct fx *f = start(3, 12, args);
	struct s2p_match mt;
	struct s2p_error err;
	const char *orig = f->lib.v[0].path;
	char *studio = studio_dir(orig), *json, *stash, *dup, *arch, *rk0;

	(void)state;
	rk0 = item_of(f, orig);
	json = s2p_xasprintf("/data/videos/Duplicates 1/%s", base_of(orig));
	dup = item_of(f, json);
	assert_non_null(dup);
	free(json);
	json = s2p_xasprintf("{\"files\": [\"/data/videos/Archive/%s/%s\"]}",
	    studio, base_of(orig));
	arch = post_item(f, json);
	free(json);
	/* Stash keeps the file under a folder Plex does not have. */
	stash = s2p_xasprintf("/stash/Archive/%s/%s", studio, base_of(orig));

	assert_true(f->cfg.strict_matching);
	expect_fail(f, stash, S2P_EPERM, &err);
	assert_non_null(strstr(err.msg, "ambiguous"));
	assert_non_null(strstr(err.msg, rk0));
	assert_non_null(strstr(err.msg, dup));
	assert_non_null(strstr(err.msg, arch));
	assert_non_null(strstr(err.msg, "Duplicates 1"));
	assert_non_null(strstr(err.msg, "strict_matching"));
	assert_int_equal(s2p_status_class(S2P_EPERM), S2P_CLASS_PERMANENT);

	setting(f, "strict_matching", "false");
	expect_rk(f, stash, arch, &mt);
	assert_int_equal(mt.by_basename, 1);
	s2p_match_free(&mt);
	json = s2p_xasprintf("chose %s (/data/videos/Archive/", arch);
	assert_true(logged(f, json));
	free(json);
	/* Another Stash folder: now the original is closest. */
	free(stash);
	stash = s2p_xasprintf("/stash/videos/%s/%s", studio, base_of(orig));
	expect_rk(f, stash, rk0, &mt);
	s2p_match_free(&mt);
	/* A lone candidate is not ambiguous, even when strict. */
	setting(f, "strict_matching", "true");
	free(stash);
	stash = s2p_xasprintf("/stash/x/%s", base_of(f->lib.v[1].path));
	json = item_of(f, f->lib.v[1].path);
	expect_rk(f, stash, json, &mt);
	assert_int_equal(mt.by_basename, 1);
	s2p_match_free(&mt);
	free(json);
	/* An exact path never falls back, whatever shares its name. */
	expect_rk(f, orig, rk0, &mt);
	assert_int_equal(mt.by_basename, 0);
	s2p_match_free(&mt);

	free(stash);
	free(studio);
	free(dup);
	free(arch);
	free(rk0);
	stop(f);
}

/* The strict message keeps every candidate even when paths are long. */
static void
test_match__ambiguity_message_fits(void **state)
{
	struct fx *f = start(1, 3, NULL);
	struct s2p_error err;
	char *rk[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		char *json = s2p_xasprintf("{\"files\": [\"/data/videos/A very "
					   "long folder name number %d/with a "
					   "subfolder that is long too/The "
					   "Same Name.mp4\"]}",
		    i);

		rk[i] = post_item(f, json);
		free(json);
	}
	expect_fail(f, "/stash/elsewhere/The Same Name.mp4", S2P_EPERM, &err);
	for (i = 0; i < 4; i++) {
		char num[32];

		assert_non_null(strstr(err.msg, rk[i]));
		snprintf(num, sizeof(num), "number %d", i);
		assert_non_null(strstr(err.msg, num));
		free(rk[i]);
	}
	assert_non_null(strstr(err.msg, "The Same Name.mp4"));
	/* The full list goes to the log. */
	assert_true(logged(f,
	    "A very long folder name number 3/with a "
	    "subfolder that is long too/The Same Name.mp4"));
	stop(f);
}

/* Newly scanned files are found by an incremental refresh (addedAt:desc,
 * stopping at the first known item), at most every 20 s per library, and
 * never by listing the whole library again. */
static void
test_match__incremental_refresh(void **state)
{
	static const char *const args[] = {"--pending-scene", "4", NULL};
	struct fx *f = start(5, 2, args);
	struct s2p_match mt;
	struct s2p_error err;
	const char *p4 = f->lib.v[3].path;
	char *rk, *dir, *n1, *n2, *moved;

	(void)state;
	rk = item_of(f, f->lib.v[0].path);
	expect_rk(f, f->lib.v[0].path, rk, &mt);
	s2p_match_free(&mt);
	free(rk);
	assert_int_equal(count_list(f, "1", NULL), 1);
	assert_int_equal(count_list(f, "1", "addedAt"), 0);

	/* Scene 4 is not scanned yet: a miss refreshes once. */
	assert_null(item_of(f, p4));
	expect_fail(f, p4, S2P_ENOTFOUND, &err);
	assert_int_equal(count_list(f, "1", "addedAt"), 1);
	/* Plex scans the folder. */
	dir = s2p_xstrndup(p4, (size_t)(strrchr(p4, '/') - p4));
	assert_int_equal(s2p_plex_scan_path(f->plex, "1", dir, &err), S2P_OK);
	free(dir);
	rk = item_of(f, p4);
	assert_non_null(rk);
	/* Within 20 s of the last refresh: no new request, still a miss. */
	f->clk.t = T0 + 5;
	expect_fail(f, p4, S2P_ENOTFOUND, &err);
	assert_int_equal(count_list(f, "1", "addedAt"), 1);
	f->clk.t = T0 + 21;
	expect_rk(f, p4, rk, &mt);
	assert_int_equal(mt.by_basename, 0);
	s2p_match_free(&mt);
	free(rk);
	assert_int_equal(count_list(f, "1", "addedAt"), 2);

	/* Two new items added in the same second (same addedAt): the one
	 * indexed first must not hide the other. */
	n1 = post_item(f,
	    "{\"files\": [\"/data/videos/New/n1.mp4\"], "
	    "\"addedAt\": 1900000000}");
	f->clk.t = T0 + 42;
	expect_rk(f, "/data/videos/New/n1.mp4", n1, &mt);
	s2p_match_free(&mt);
	n2 = post_item(f,
	    "{\"files\": [\"/data/videos/New/n2.mp4\"], "
	    "\"addedAt\": 1900000000}");
	f->clk.t = T0 + 63;
	expect_rk(f, "/data/videos/New/n2.mp4", n2, &mt);
	s2p_match_free(&mt);
	assert_int_equal(count_list(f, "1", "addedAt"), 4);

	/* A file Plex saw move (same item, new path, newer updatedAt). */
	moved = item_of(f, f->lib.v[1].path);
	{
		char *json =
		    s2p_xasprintf("{\"ratingKey\": \"%s\", \"files\": "
				  "[\"/data/videos/Moved/renamed.mp4\"]"
				  "}",
			moved);

		free(post_item(f, json));
		free(json);
	}
	f->clk.t = T0 + 84;
	expect_rk(f, "/data/videos/Moved/renamed.mp4", moved, &mt);
	assert_int_equal(mt.by_basename, 0);
	s2p_match_free(&mt);
	/* Its old path is gone from the index. */
	expect_fail(f, f->lib.v[1].path, S2P_ENOTFOUND, &err);

	/* All along: one full listing only. */
	assert_int_equal(count_list(f, "1", NULL), 1);
	free(moved);
	free(n1);
	free(n2);
	stop(f);
}

/* An item deleted and re-added gets a new ratingKey: forgetting the stale
 * key lets the next find resolve the new one at once. */
static void
test_match__stale_rating_key(void **state)
{
	struct fx *f = start(4, 7, NULL);
	struct s2p_match mt;
	struct s2p_error err;
	struct s2p_plex_item it;
	const char *p3 = f->lib.v[2].path;
	char *old, *path, *fresh;
	json_t *j;
	long st;

	(void)state;
	old = item_of(f, p3);
	expect_rk(f, p3, old, &mt);
	s2p_match_free(&mt);
	/* A miss just refreshed the library (as other jobs of a batch do). */
	expect_fail(f, "/data/videos/Nowhere/none.mp4", S2P_ENOTFOUND, &err);
	assert_int_equal(count_list(f, "1", "addedAt"), 1);

	path = s2p_xasprintf("/item/%s/rekey", old);
	j = ctl(f, "POST", path, "{}", &st);
	free(path);
	assert_int_equal(st, 200);
	fresh = s2p_xstrdup(json_string_value(json_object_get(j, "ratingKey")));
	json_decref(j);
	assert_string_not_equal(fresh, old);

	/* The index still says old; Plex says 404. */
	expect_rk(f, p3, old, &mt);
	s2p_match_free(&mt);
	assert_int_equal(s2p_plex_get_item(f->plex, old, &it, &err),
	    S2P_ENOTFOUND);
	s2p_matcher_forget(&f->m, old);
	/* Same instant: the re-find may refresh despite the 20 s gap. */
	expect_rk(f, p3, fresh, &mt);
	s2p_match_free(&mt);
	assert_int_equal(s2p_plex_get_item(f->plex, fresh, &it, &err), S2P_OK);
	assert_string_equal(it.rating_key, fresh);
	s2p_plex_item_free(&it);
	assert_int_equal(count_list(f, "1", NULL), 1);
	free(old);
	free(fresh);
	stop(f);
}

/* A multi-part item (Plex stacked two files): the first part's scene owns
 * it, the other part's scene is told it is secondary, every time. */
static void
test_match__multi_part_owner(void **state)
{
	struct fx *f = start(2, 1, NULL);
	struct s2p_match mt;
	struct s2p_error err;
	struct s2p_strv files = {0};
	const char *a = "/data/videos/Stack/Feature - pt1.mp4";
	const char *b = "/data/videos/Stack/Feature - pt2.mp4";
	char *rk;
	int k;

	(void)state;
	rk = post_item(f,
	    "{\"files\": [\"/data/videos/Stack/Feature - "
	    "pt1.mp4\", \"/data/videos/Stack/Feature - "
	    "pt2.mp4\"]}");
	for (k = 0; k < 2; k++) {
		expect_rk(f, b, rk, &mt);
		assert_int_equal(mt.secondary, 1);
		assert_string_equal(mt.plex_file, b);
		s2p_match_free(&mt);
		expect_rk(f, a, rk, &mt);
		assert_int_equal(mt.secondary, 0);
		assert_string_equal(mt.plex_file, a);
		s2p_match_free(&mt);
	}
	/* By file name too. */
	expect_rk(f, "/stash/Stack/Feature - pt2.mp4", rk, &mt);
	assert_int_equal(mt.secondary, 1);
	s2p_match_free(&mt);
	/* A scene holding both parts (the second one first) owns it. */
	s2p_strv_push(&files, b);
	s2p_strv_push(&files, a);
	assert_int_equal(s2p_matcher_find(&f->m, &files, &mt, &err), S2P_OK);
	assert_string_equal(mt.rating_key, rk);
	assert_int_equal(mt.secondary, 0);
	s2p_match_free(&mt);
	s2p_strv_free(&files);
	free(rk);
	stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match__exact),
	    cmocka_unit_test(test_match__path_map_plex_root),
	    cmocka_unit_test(test_match__path_map_windows_plex),
	    cmocka_unit_test(test_match__shared_folder_owner),
	    cmocka_unit_test(test_match__plex_library),
	    cmocka_unit_test(test_match__basename_ambiguity),
	    cmocka_unit_test(test_match__ambiguity_message_fits),
	    cmocka_unit_test(test_match__incremental_refresh),
	    cmocka_unit_test(test_match__stale_rating_key),
	    cmocka_unit_test(test_match__multi_part_owner),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
