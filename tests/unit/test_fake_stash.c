/*
 * test_fake_stash.c - fake Stash over real loopback HTTP (libcurl): plugin
 * settings (absent vs saved), findScene shapes, findScenes paging/sorting
 * and the byte-wise updated_at filter, gqlgen-style 400/422/406 failures,
 * Stash's authentication rules (cookie refresh, ApiKey first and only),
 * control edits (updated_at bumped) versus renames (not bumped),
 * screenshots, sceneUpdate, "database is locked", the GraphQL validator,
 * and fake-stash/fake-compare as programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "fakehttp.h"
#include "gqlmini.h"
#include "plexsrv.h"
#include "stashsrv.h"

extern char **environ;

static const char *self_path; /* argv[0], to find build/fake-stash */

struct fx {
	struct fake_stash *st;
	struct fake_server *srv;
	struct fake_opts opts;
	CURL *curl;
	struct s2p_buf body;
	struct s2p_buf hdrs;
	long status;
	char ctype[128];
};

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	struct s2p_buf *b = ud;

	if (s2p_buf_add(b, p, sz * n) != S2P_OK)
		return 0;
	return sz * n;
}

/* One request; fills f->status, f->body, f->hdrs. hdr may hold several
 * headers separated by '\n'. */
static void
req(struct fx *f, const char *method, int port, const char *target,
    const char *hdr, const char *body)
{
	struct curl_slist *h = NULL;
	char *url = s2p_xasprintf("http://127.0.0.1:%d%s", port, target);
	char *ct = NULL;
	CURLcode rc;

	s2p_buf_reset(&f->body);
	s2p_buf_reset(&f->hdrs);
	f->status = 0;
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &f->body);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &f->hdrs);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 10000L);
	/* Servers come and go between tests, and a new one may get an old
	 * one's port: never reuse a pooled connection across them. */
	curl_easy_setopt(f->curl, CURLOPT_FRESH_CONNECT, 1L);
	if (hdr) {
		char *copy = s2p_xstrdup(hdr), *line = copy, *nl;

		for (; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			h = curl_slist_append(h, line);
		}
		free(copy);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(f->curl);
	assert_int_equal(rc, CURLE_OK);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_getinfo(f->curl, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(f->ctype, sizeof(f->ctype), "%s", ct ? ct : "");
	curl_slist_free_all(h);
	free(url);
}

static json_t *
body_json(struct fx *f)
{
	json_t *j = json_loads(f->body.data ? f->body.data : "", 0, NULL);

	assert_non_null(j);
	return j;
}

/* POST a GraphQL request; returns the parsed body (caller decrefs). */
static json_t *
gql(struct fx *f, const char *opname, const char *query, json_t *vars,
    const char *hdr)
{
	json_t *b = json_pack("{s:s}", "query", query);
	char *text, *h;

	if (opname)
		json_object_set_new(b, "operationName", json_string(opname));
	if (vars)
		json_object_set_new(b, "variables", vars);
	text = json_dumps(b, JSON_COMPACT);
	h = s2p_xasprintf("Content-Type: application/json%s%s", hdr ? "\n" : "",
	    hdr ? hdr : "");
	req(f, "POST", fake_server_port(f->srv), "/graphql", h, text);
	free(h);
	free(text);
	json_decref(b);
	/* 401 and friends have empty bodies: NULL then. */
	return json_loads(f->body.data ? f->body.data : "", 0, NULL);
}

static void
control(struct fx *f, const char *method, const char *path, const char *body,
    long want)
{
	req(f, method, fake_server_control_port(f->srv), path, NULL, body);
	assert_int_equal(f->status, want);
}

static const char *
jpath_str(json_t *j, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(j, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

static int
start(void **state_, const struct fake_stash_opts *so)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	struct fake_server_config cfg;
	struct s2p_error err;

	fake_stash_new(&f->st, so);
	fake_stash_server_config(f->st, &cfg);
	fake_opts_init(&f->opts);
	assert_int_equal(fake_server_start(&f->srv, &cfg, &f->opts, &err),
	    S2P_OK);
	f->curl = curl_easy_init();
	s2p_buf_init(&f->body, 0);
	s2p_buf_init(&f->hdrs, 0);
	*state_ = f;
	return 0;
}

static int
setup(void **state_)
{
	struct fake_stash_opts so = {0};

	so.scenes = 30;
	so.seed = 1;
	return start(state_, &so);
}

static int
setup_auth(void **state_)
{
	struct fake_stash_opts so = {0};

	so.scenes = 3;
	so.seed = 1;
	so.require_auth = 1;
	so.session_cookie = "sess-abc";
	so.api_key = "key-123";
	return start(state_, &so);
}

static int
teardown(void **state_)
{
	struct fx *f = *state_;

	curl_easy_cleanup(f->curl);
	fake_server_free(f->srv);
	fake_stash_free(f->st);
	fake_opts_free(&f->opts);
	s2p_buf_free(&f->body);
	s2p_buf_free(&f->hdrs);
	free(f);
	return 0;
}

#define Q_SETTINGS                                                             \
	"query PluginSettings($ids: [ID!]) { configuration { "                 \
	"plugins(include: $ids) } }"

static void
test_fake_stash__settings_absent_then_saved(void **state_)
{
	struct fx *f = *state_;
	json_t *j, *p;

	j = gql(f, "PluginSettings", Q_SETTINGS,
	    json_pack("{s:[s]}", "ids", "Stash2Plex"), NULL);
	assert_int_equal(f->status, 200);
	assert_string_equal(f->ctype, "application/json");
	p = json_object_get(json_object_get(json_object_get(j, "data"),
				"configuration"),
	    "plugins");
	assert_true(json_is_object(p));
	assert_int_equal(json_object_size(p), 0);
	json_decref(j);

	control(f, "POST", "/settings",
	    "{\"plexUrl\":\"http://10.0.0.5:32400\","
	    "\"batchSize\":200,\"disableHooks\":true}",
	    200);
	j = gql(f, "PluginSettings", Q_SETTINGS,
	    json_pack("{s:[s]}", "ids", "Stash2Plex"), NULL);
	p = json_object_get(json_object_get(json_object_get(json_object_get(j,
								"data"),
						"configuration"),
				"plugins"),
	    "Stash2Plex");
	assert_string_equal(json_string_value(json_object_get(p, "plexUrl")),
	    "http://10.0.0.5:32400");
	assert_int_equal(json_integer_value(json_object_get(p, "batchSize")),
	    200);
	assert_true(json_is_true(json_object_get(p, "disableHooks")));
	json_decref(j);

	/* Another plugin's settings never leak through include. */
	control(f, "POST", "/settings?plugin=other", "{\"secret\":\"x\"}", 200);
	j = gql(f, "PluginSettings", Q_SETTINGS,
	    json_pack("{s:[s]}", "ids", "Stash2Plex"), NULL);
	p = json_object_get(json_object_get(json_object_get(j, "data"),
				"configuration"),
	    "plugins");
	assert_int_equal(json_object_size(p), 1);
	json_decref(j);

	/* An emptied map is absent again, as with include in Stash. */
	control(f, "POST", "/settings", "{}", 200);
	j = gql(f, "PluginSettings", Q_SETTINGS,
	    json_pack("{s:[s]}", "ids", "Stash2Plex"), NULL);
	p = json_object_get(json_object_get(json_object_get(j, "data"),
				"configuration"),
	    "plugins");
	assert_int_equal(json_object_size(p), 0);
	json_decref(j);
}

#define Q_SCENE                                                                \
	"query FindScene($id: ID!) { findScene(id: $id) { "                    \
	"...SceneSync } }\nfragment SceneSync on Scene { id title code "       \
	"details director date rating100 organized urls created_at "           \
	"updated_at files { path basename duration } paths { screenshot } "    \
	"studio { name parent_studio { name } } performers { name } "          \
	"tags { name } groups { group { name } scene_index } }"

static void
test_fake_stash__find_scene_shape(void **state_)
{
	struct fx *f = *state_;
	json_t *j, *sc, *st, *v;
	char want[128];
	const char *ua;
	size_t i;

	control(f, "GET", "/state", NULL, 200);
	st = body_json(f);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "3"), NULL);
	assert_int_equal(f->status, 200);
	assert_null(json_object_get(j, "errors"));
	sc = json_object_get(json_object_get(j, "data"), "findScene");
	assert_string_equal(jpath_str(sc, "id", NULL, NULL), "3");
	v = json_array_get(json_object_get(st, "scenes"), 2);
	assert_string_equal(jpath_str(sc, "title", NULL, NULL),
	    jpath_str(v, "title", NULL, NULL));
	assert_true(json_is_null(json_object_get(sc, "director")));
	v = json_object_get(sc, "rating100");
	assert_true(json_is_null(v) || json_is_integer(v));
	assert_true(json_is_boolean(json_object_get(sc, "organized")));
	assert_true(json_is_array(json_object_get(sc, "urls")));
	assert_true(json_is_array(json_object_get(sc, "groups")));
	assert_int_equal(json_array_size(json_object_get(sc, "groups")), 0);
	ua = jpath_str(sc, "updated_at", NULL, NULL);
	assert_string_equal(ua, "2024-03-09T16:02:00+00:00");
	assert_string_equal(jpath_str(sc, "created_at", NULL, NULL),
	    "2023-11-14T22:15:20+00:00");
	v = json_array_get(json_object_get(sc, "files"), 0);
	assert_non_null(
	    strstr(jpath_str(v, "path", NULL, NULL), "/data/videos/"));
	assert_non_null(strstr(jpath_str(v, "path", NULL, NULL),
	    jpath_str(v, "basename", NULL, NULL)));
	assert_true(json_is_real(json_object_get(v, "duration")));
	snprintf(want, sizeof(want),
	    "http://127.0.0.1:%d/scene/3/screenshot"
	    "?t=1710000120",
	    fake_server_port(f->srv));
	assert_string_equal(jpath_str(sc, "paths", "screenshot", NULL), want);
	assert_true(json_array_size(json_object_get(sc, "performers")) >= 1);
	json_array_foreach(json_object_get(sc, "tags"), i, v)
	    assert_true(json_is_string(json_object_get(v, "name")));
	v = json_object_get(sc, "studio");
	assert_true(json_is_null(v) ||
	    json_is_null(json_object_get(v, "parent_studio")));
	/* Only the selected fields come back. */
	assert_null(json_object_get(sc, "o_counter"));
	json_decref(j);
	json_decref(st);

	/* Aliases, and the Host header the client used. */
	j = gql(f, NULL,
	    "{ a: findScene(id: 1) { sid: id paths { "
	    "screenshot } } }",
	    NULL, "Host: stash.local:9999");
	assert_string_equal(jpath_str(json_object_get(j, "data"), "a", "sid",
				NULL),
	    "1");
	assert_string_equal(jpath_str(json_object_get(json_object_get(j,
							  "data"),
					  "a"),
				"paths", "screenshot", NULL),
	    "http://stash.local:9999/scene/1/screenshot?t=1710000000");
	json_decref(j);

	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "999"), NULL);
	assert_int_equal(f->status, 200);
	assert_true(json_is_null(
	    json_object_get(json_object_get(j, "data"), "findScene")));
	assert_null(json_object_get(j, "errors"));
	json_decref(j);

	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "x1"), NULL);
	assert_int_equal(f->status, 200);
	assert_non_null(
	    strstr(json_string_value(
		       json_object_get(json_array_get(json_object_get(j,
							  "errors"),
					   0),
			   "message")),
		"invalid syntax"));
	json_decref(j);
}

#define Q_PAGE                                                                 \
	"query ScenesPage($page: Int!, $perPage: Int!, $dir: "                 \
	"SortDirectionEnum) { findScenes(filter: { page: $page, per_page: "    \
	"$perPage, sort: \"id\", direction: $dir }) { count scenes { id } } }"

/* The ids of data.findScenes.scenes as "1,2,3". */
static void
scene_ids(json_t *j, char *buf, size_t n)
{
	json_t *v;
	size_t i, off = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(json_object_get(j,
							       "data"),
					       "findScenes"),
			       "scenes"),
	    i, v) off += (size_t)snprintf(buf + off, n - off, "%s%s",
	    i ? "," : "", json_string_value(json_object_get(v, "id")));
}

static long
scene_count(json_t *j)
{
	return (long)json_integer_value(
	    json_object_get(json_object_get(json_object_get(j, "data"),
				"findScenes"),
		"count"));
}

static void
test_fake_stash__find_scenes_paging_and_sort(void **state_)
{
	struct fx *f = *state_;
	json_t *j;
	char ids[512];

	j = gql(f, "ScenesPage", Q_PAGE,
	    json_pack("{s:i,s:i}", "page", 2, "perPage", 10), NULL);
	assert_int_equal(f->status, 200);
	assert_int_equal(scene_count(j), 30);
	scene_ids(j, ids, sizeof(ids));
	assert_string_equal(ids, "11,12,13,14,15,16,17,18,19,20");
	json_decref(j);

	j = gql(f, "ScenesPage", Q_PAGE,
	    json_pack("{s:i,s:i,s:s}", "page", 1, "perPage", 3, "dir", "DESC"),
	    NULL);
	scene_ids(j, ids, sizeof(ids));
	assert_string_equal(ids, "30,29,28");
	json_decref(j);

	j = gql(f, "ScenesPage", Q_PAGE,
	    json_pack("{s:i,s:i}", "page", 4, "perPage", 10), NULL);
	scene_ids(j, ids, sizeof(ids));
	assert_string_equal(ids, "");
	assert_int_equal(scene_count(j), 30);
	json_decref(j);

	/* No filter at all: Stash's default page size of 25. */
	j = gql(f, NULL, "{ findScenes { count scenes { id } } }", NULL, NULL);
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(json_object_get(j,
								 "data"),
						 "findScenes"),
				 "scenes")),
	    25);
	json_decref(j);

	/* per_page -1 is everything; the latest update first. */
	j = gql(f, "LatestUpdate",
	    "query LatestUpdate { findScenes(filter: "
	    "{ per_page: 1, sort: \"updated_at\", direction: DESC }) { scenes "
	    "{ id updated_at } } }",
	    NULL, NULL);
	scene_ids(j, ids, sizeof(ids));
	assert_string_equal(ids, "30");
	json_decref(j);
	j = gql(f, NULL,
	    "{ findScenes(filter: {per_page: -1}) { scenes { id "
	    "} } }",
	    NULL, NULL);
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(json_object_get(j,
								 "data"),
						 "findScenes"),
				 "scenes")),
	    30);
	json_decref(j);

	/* Unknown sort key: a resolver error on a non-null field. */
	j = gql(f, NULL, "{ findScenes(filter: {sort: \"bogus\"}) { count } }",
	    NULL, NULL);
	assert_int_equal(f->status, 200);
	assert_true(json_is_null(json_object_get(j, "data")));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "errors"), 0),
				"message")),
	    "invalid sort: bogus");
	assert_string_equal(
	    json_string_value(
		json_array_get(json_object_get(json_array_get(json_object_get(j,
								  "errors"),
						   0),
				   "path"),
		    0)),
	    "findScenes");
	json_decref(j);
}

#define Q_SINCE                                                                \
	"query ScenesUpdatedSince($since: String!) { findScenes("              \
	"scene_filter: { updated_at: { value: $since, modifier: "              \
	"GREATER_THAN } } filter: { per_page: -1, sort: \"updated_at\", "      \
	"direction: ASC }) { count scenes { id updated_at } } }"

static long
since_count(struct fx *f, const char *since)
{
	json_t *j = gql(f, "ScenesUpdatedSince", Q_SINCE,
	    json_pack("{s:s}", "since", since), NULL);
	long n;

	assert_int_equal(f->status, 200);
	n = scene_count(j);
	json_decref(j);
	return n;
}

static void
test_fake_stash__updated_at_filter_is_string_compare(void **state_)
{
	struct fx *f = *state_;

	/* Scene 1 is "2024-03-09T16:00:00+00:00": a watermark without the
	 * zone suffix is a prefix of it, so it counts as greater. */
	assert_int_equal(since_count(f, "2024-03-09T16:00:00"), 30);
	assert_int_equal(since_count(f, "2024-03-09T16:00:00+00:00"), 29);
	/* The UI's minute precision. */
	assert_int_equal(since_count(f, "2024-03-09T16:05"), 25);
	/* A UTC "Z" value compares wrongly: '+' sorts before 'Z'. */
	assert_int_equal(since_count(f, "2024-03-09T16:05:00Z"), 24);
	/* A space instead of 'T' matches everything of that day. */
	assert_int_equal(since_count(f, "2024-03-09 23:59:59"), 30);
	assert_int_equal(since_count(f, "2099-01-01"), 0);
}

static void
test_fake_stash__protocol_errors(void **state_)
{
	struct fx *f = *state_;
	json_t *j;
	int port = fake_server_port(f->srv);
	const char *msg;

	/* operationName must name an operation of the document. */
	j = gql(f, "FindScenes", Q_SCENE, json_pack("{s:s}", "id", "1"), NULL);
	assert_int_equal(f->status, 422);
	assert_true(json_is_null(json_object_get(j, "data")));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "errors"), 0),
				"message")),
	    "operation FindScenes not found");
	json_decref(j);

	/* A field the schema does not have. */
	j = gql(f, NULL, "{ findScene(id: 1) { id rating } }", NULL, NULL);
	assert_int_equal(f->status, 422);
	msg = json_string_value(
	    json_object_get(json_array_get(json_object_get(j, "errors"), 0),
		"message"));
	assert_string_equal(msg,
	    "Cannot query field \"rating\" on type "
	    "\"Scene\".");
	assert_string_equal(jpath_str(json_array_get(json_object_get(j,
							 "errors"),
					  0),
				"extensions", "code", NULL),
	    "GRAPHQL_VALIDATION_FAILED");
	json_decref(j);

	/* An unknown root field. */
	j = gql(f, "X", "query X { findSceen(id: 1) { id } }", NULL, NULL);
	assert_int_equal(f->status, 422);
	json_decref(j);

	/* A required variable not provided. */
	j = gql(f, "FindScene", Q_SCENE, NULL, NULL);
	assert_int_equal(f->status, 422);
	assert_non_null(
	    strstr(json_string_value(
		       json_object_get(json_array_get(json_object_get(j,
							  "errors"),
					   0),
			   "message")),
		"variable.id must be defined"));
	json_decref(j);

	/* A syntax error. */
	j = gql(f, NULL, "{ findScene(id: 1) { id }", NULL, NULL);
	assert_int_equal(f->status, 422);
	assert_string_equal(jpath_str(json_array_get(json_object_get(j,
							 "errors"),
					  0),
				"extensions", "code", NULL),
	    "GRAPHQL_PARSE_FAILED");
	json_decref(j);

	/* A malformed body. */
	req(f, "POST", port, "/graphql", "Content-Type: application/json",
	    "{\"query\": ");
	assert_int_equal(f->status, 400);
	j = body_json(f);
	assert_non_null(
	    strstr(json_string_value(
		       json_object_get(json_array_get(json_object_get(j,
							  "errors"),
					   0),
			   "message")),
		"could not be decoded"));
	json_decref(j);

	/* libcurl's default form content type is not a transport. */
	req(f, "POST", port, "/graphql", NULL,
	    "{\"query\": \"{ version { version } }\"}");
	assert_int_equal(f->status, 400);

	/* GET works for queries, not for mutations. */
	req(f, "GET", port,
	    "/graphql?query=%7B%20version%20%7B%20version%20"
	    "%7D%20%7D",
	    NULL, NULL);
	assert_int_equal(f->status, 200);
	j = body_json(f);
	assert_string_equal(jpath_str(json_object_get(j, "data"), "version",
				"version", NULL),
	    "v0.30.1");
	json_decref(j);
	req(f, "GET", port,
	    "/graphql?query=mutation%20%7B%20configurePlugin("
	    "plugin_id%3A%20%22x%22%2C%20input%3A%20%7B%7D)%20%7D",
	    NULL, NULL);
	assert_int_equal(f->status, 406);
}

static void
test_fake_stash__auth_rules(void **state_)
{
	struct fx *f = *state_;
	json_t *j;
	int port = fake_server_port(f->srv);
	const char *v = "{ version { version } }";
	char *log;

	j = gql(f, NULL, v, NULL, NULL);
	json_decref(j);
	assert_int_equal(f->status, 401);
	assert_int_equal(f->body.len, 0);

	/* A valid cookie works and is refreshed. */
	j = gql(f, NULL, v, NULL, "Cookie: session=sess-abc");
	assert_int_equal(f->status, 200);
	assert_non_null(
	    strstr(f->hdrs.data, "Set-Cookie: session=sess-abc-r1;"));
	json_decref(j);
	/* The refreshed value is valid too, and the old one still is. */
	j = gql(f, NULL, v, NULL, "Cookie: session=sess-abc-r1");
	assert_int_equal(f->status, 200);
	assert_non_null(strstr(f->hdrs.data, "session=sess-abc-r2;"));
	json_decref(j);
	j = gql(f, NULL, v, NULL, "Cookie: other=1; session=sess-abc");
	assert_int_equal(f->status, 200);
	json_decref(j);
	j = gql(f, NULL, v, NULL, "Cookie: session=forged");
	assert_int_equal(f->status, 401);
	json_decref(j);

	/* A wrong ApiKey is fatal even with a valid cookie. */
	req(f, "POST", port, "/graphql",
	    "Content-Type: application/json\n"
	    "Cookie: session=sess-abc\nApiKey: wrong",
	    "{\"query\": \"{ version { version } }\"}");
	assert_int_equal(f->status, 401);
	assert_int_equal(f->body.len, 0);
	/* The right key needs no cookie and refreshes nothing. */
	j = gql(f, NULL, v, NULL, "ApiKey: key-123");
	assert_int_equal(f->status, 200);
	assert_null(strstr(f->hdrs.data, "Set-Cookie"));
	json_decref(j);
	req(f, "GET", port, "/scene/1/screenshot?apikey=key-123", NULL, NULL);
	assert_int_equal(f->status, 200);

	/* Pages without credentials redirect to the login. */
	req(f, "GET", port, "/scene/1/screenshot?t=5", NULL, NULL);
	assert_int_equal(f->status, 302);
	assert_non_null(strstr(f->hdrs.data,
	    "Location: /login?returnURL="
	    "%2Fscene%2F1%2Fscreenshot%3Ft%3D5"));

	/* Expired sessions (max_session_age) are 401 again. */
	control(f, "POST", "/auth", "{\"expire\": \"all\"}", 200);
	j = gql(f, NULL, v, NULL, "Cookie: session=sess-abc-r2");
	assert_int_equal(f->status, 401);
	json_decref(j);

	/* The log records the outcome, never the secrets. */
	control(f, "GET", "/requests", NULL, 200);
	log = s2p_xstrdup(f->body.data);
	assert_null(strstr(log, "sess-abc"));
	assert_null(strstr(log, "key-123"));
	assert_non_null(strstr(log, "\"token_ok\":false"));
	assert_non_null(strstr(log, "\"token_ok\":true"));
	free(log);
}

static void
test_fake_stash__open_mode_rejects_any_api_key(void **state_)
{
	struct fx *f = *state_;
	json_t *j;

	j = gql(f, NULL, "{ version { version } }", NULL, NULL);
	assert_int_equal(f->status, 200);
	json_decref(j);
	j = gql(f, NULL, "{ version { version } }", NULL, "ApiKey: stale");
	assert_int_equal(f->status, 401);
	json_decref(j);
	/* An empty header counts as absent. */
	j = gql(f, NULL, "{ version { version } }", NULL, "ApiKey;");
	assert_int_equal(f->status, 200);
	json_decref(j);
}

static void
test_fake_stash__edit_bumps_updated_at_rename_does_not(void **state_)
{
	struct fx *f = *state_;
	json_t *j, *sc;
	char want[40];
	const char *name;
	char *old_perf;

	fake_stash_format_time(1800000000.0, want, sizeof(want));
	assert_string_equal(want, "2027-01-15T08:00:00+00:00");
	control(f, "POST", "/clock", "{\"epoch\": 1800000000}", 200);
	control(f, "POST", "/scene/2",
	    "{\"title\": \"New title\", \"tags\": "
	    "[\"Alpha\", \"Beta\"], \"studio\": null, \"rating100\": 40}",
	    200);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "2"), NULL);
	sc = json_object_get(json_object_get(j, "data"), "findScene");
	assert_string_equal(jpath_str(sc, "title", NULL, NULL), "New title");
	assert_string_equal(jpath_str(sc, "updated_at", NULL, NULL), want);
	assert_int_equal(json_array_size(json_object_get(sc, "tags")), 2);
	assert_true(json_is_null(json_object_get(sc, "studio")));
	assert_int_equal(json_integer_value(json_object_get(sc, "rating100")),
	    40);
	json_decref(j);
	/* Scene 2 now comes first for a watermark after scene 30. */
	assert_int_equal(since_count(f, "2024-03-09T16:29:00+00:00"), 1);

	/* Rename scene 3's first performer: names change, times do not. */
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "3"), NULL);
	sc = json_object_get(json_object_get(j, "data"), "findScene");
	name = jpath_str(json_array_get(json_object_get(sc, "performers"), 0),
	    "name", NULL, NULL);
	old_perf = s2p_xstrdup(name);
	json_decref(j);
	{
		json_t *b = json_pack("{s:s,s:s,s:s}", "kind", "performer",
		    "from", old_perf, "to", "Renamed Person");
		char *text = json_dumps(b, JSON_COMPACT);

		control(f, "POST", "/rename", text, 200);
		free(text);
		json_decref(b);
	}
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "3"), NULL);
	sc = json_object_get(json_object_get(j, "data"), "findScene");
	assert_string_equal(jpath_str(sc, "updated_at", NULL, NULL),
	    "2024-03-09T16:02:00+00:00");
	{
		char *perf = json_dumps(json_object_get(sc, "performers"), 0);

		assert_non_null(strstr(perf, "Renamed Person"));
		assert_null(strstr(perf, old_perf));
		free(perf);
	}
	json_decref(j);
	free(old_perf);

	/* bump:false models a file move found by a scan. */
	control(f, "POST", "/scene/4",
	    "{\"files\": [\"/data/videos/moved.mp4\""
	    "], \"bump\": false}",
	    200);
	j = body_json(f);
	assert_string_equal(jpath_str(j, "updated_at", NULL, NULL),
	    "2024-03-09T16:03:00+00:00");
	json_decref(j);
	/* Unknown patch keys are refused. */
	control(f, "POST", "/scene/4", "{\"titel\": \"x\"}", 400);
	control(f, "POST", "/scene/999", "{\"title\": \"x\"}", 404);
}

static void
test_fake_stash__create_delete_and_screenshot(void **state_)
{
	struct fx *f = *state_;
	int port = fake_server_port(f->srv);
	json_t *j;
	struct s2p_buf first;

	req(f, "GET", port, "/scene/5/screenshot", NULL, NULL);
	assert_int_equal(f->status, 200);
	assert_string_equal(f->ctype, "image/jpeg");
	assert_true(f->body.len > 20);
	assert_int_equal((unsigned char)f->body.data[0], 0xFF);
	assert_int_equal((unsigned char)f->body.data[1], 0xD8);
	assert_int_equal((unsigned char)f->body.data[f->body.len - 1], 0xD9);
	s2p_buf_init(&first, 0);
	assert_int_equal(s2p_buf_add(&first, f->body.data, f->body.len),
	    S2P_OK);
	req(f, "GET", port, "/scene/5/screenshot", NULL, NULL);
	assert_int_equal(f->body.len, first.len);
	assert_memory_equal(f->body.data, first.data, first.len);
	control(f, "POST", "/scene/5", "{\"cover\": true}", 200);
	j = body_json(f);
	assert_int_equal(json_integer_value(
			     json_object_get(j, "cover_version")),
	    2);
	json_decref(j);
	req(f, "GET", port, "/scene/5/screenshot", NULL, NULL);
	assert_true(f->body.len != first.len ||
	    memcmp(f->body.data, first.data, first.len) != 0);
	s2p_buf_free(&first);
	req(f, "GET", port, "/scene/77/screenshot", NULL, NULL);
	assert_int_equal(f->status, 404);

	control(f, "POST", "/scene",
	    "{\"title\": \"Fresh\", \"files\": "
	    "[\"/data/videos/New/fresh.mp4\"], \"performers\": [\"A B\"]}",
	    200);
	j = body_json(f);
	assert_string_equal(jpath_str(j, "id", NULL, NULL), "31");
	json_decref(j);
	control(f, "DELETE", "/scene/31", NULL, 200);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "31"), NULL);
	assert_true(json_is_null(
	    json_object_get(json_object_get(j, "data"), "findScene")));
	json_decref(j);
}

static void
test_fake_stash__scene_update_and_filters_by_id(void **state_)
{
	struct fx *f = *state_;
	json_t *j, *st, *sc;
	const char *tag_id = NULL;
	char q[512], ids[512];
	size_t i;
	json_t *t;

	control(f, "GET", "/state", NULL, 200);
	st = body_json(f);
	json_array_foreach(json_object_get(st, "tags"), i,
	    t) if (strcmp(jpath_str(t, "name", NULL, NULL), "Drama") == 0)
	    tag_id = jpath_str(t, "id", NULL, NULL);
	assert_non_null(tag_id);
	control(f, "POST", "/clock", "{\"epoch\": 1800000000}", 200);
	j = gql(f, "Upd",
	    "mutation Upd($in: SceneUpdateInput!) { "
	    "sceneUpdate(input: $in) { id title updated_at tags { id name } "
	    "} }",
	    json_pack("{s:{s:s,s:s,s:[s]}}", "in", "id", "7", "title",
		"Edited in UI", "tag_ids", tag_id),
	    NULL);
	assert_int_equal(f->status, 200);
	sc = json_object_get(json_object_get(j, "data"), "sceneUpdate");
	assert_string_equal(jpath_str(sc, "title", NULL, NULL), "Edited in UI");
	assert_string_equal(jpath_str(sc, "updated_at", NULL, NULL),
	    "2027-01-15T08:00:00+00:00");
	assert_string_equal(jpath_str(json_array_get(json_object_get(sc,
							 "tags"),
					  0),
				"name", NULL, NULL),
	    "Drama");
	json_decref(j);

	/* Every scene with that tag, including 7. */
	snprintf(q, sizeof(q),
	    "{ findScenes(scene_filter: { tags: { value: "
	    "[\"%s\"], modifier: INCLUDES } }, filter: { per_page: -1, sort: "
	    "\"id\" }) { count scenes { id tags { name } } } }",
	    tag_id);
	j = gql(f, NULL, q, NULL, NULL);
	assert_int_equal(f->status, 200);
	scene_ids(j, ids, sizeof(ids));
	assert_non_null(strstr(ids, "7"));
	json_array_foreach(json_object_get(json_object_get(json_object_get(j,
							       "data"),
					       "findScenes"),
			       "scenes"),
	    i, sc)
	{
		char *tags = json_dumps(json_object_get(sc, "tags"), 0);

		assert_non_null(strstr(tags, "Drama"));
		free(tags);
	}
	json_decref(j);

	/* An unknown tag id in an update is an error, nothing changes. */
	j = gql(f, "Upd",
	    "mutation Upd($in: SceneUpdateInput!) { "
	    "sceneUpdate(input: $in) { id } }",
	    json_pack("{s:{s:s,s:[s]}}", "in", "id", "7", "tag_ids", "9999"),
	    NULL);
	assert_non_null(json_object_get(j, "errors"));
	json_decref(j);
	json_decref(st);
}

static void
test_fake_stash__database_locked(void **state_)
{
	struct fx *f = *state_;
	json_t *j;

	control(f, "POST", "/dblocked", "{\"count\": 1}", 200);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "1"), NULL);
	assert_int_equal(f->status, 200);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "errors"), 0),
				"message")),
	    "database is locked");
	json_decref(j);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "1"), NULL);
	assert_null(json_object_get(j, "errors"));
	json_decref(j);
	/* The generic fault route: status 200 means the same. */
	control(f, "POST", "/fault",
	    "{\"mode\": \"status\", \"status\": 200, "
	    "\"count\": 1}",
	    200);
	j = gql(f, "FindScene", Q_SCENE, json_pack("{s:s}", "id", "1"), NULL);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "errors"), 0),
				"message")),
	    "database is locked");
	json_decref(j);
}

/* Validation messages straight from the engine (no HTTP). */
static void
test_fake_stash__validator(void **state_)
{
	static const struct fake_gql_field q[] = {{"a", "Int", "x:Int!"},
	    {"o", "O!", NULL}, {NULL, NULL, NULL}};
	static const struct fake_gql_field o[] = {{"b", "String", NULL},
	    {NULL, NULL, NULL}};
	static const struct fake_gql_type types[] = {{"Query", FAKE_GQL_OBJECT,
							 q},
	    {"O", FAKE_GQL_OBJECT, o}, {"Int", FAKE_GQL_SCALAR, NULL},
	    {"String", FAKE_GQL_SCALAR, NULL}, {NULL, FAKE_GQL_SCALAR, NULL}};
	static const struct fake_gql_schema s = {types, "Query", NULL};
	static const struct {
		const char *doc;
		const char *msg;
	} cases[] = {
	    {"query Q($v: Int) { a(x: 1) }",
		"Variable \"$v\" is never used in operation \"Q\"."},
	    {"{ a(x: 1) } fragment F on O { b }",
		"Fragment \"F\" is never used."},
	    {"{ a }",
		"Field \"a\" argument \"x\" of type \"Int!\" is "
		"required, but it was not provided."},
	    {"{ o }",
		"Field \"o\" of type \"O!\" must have a selection "
		"of subfields. Did you mean \"o { ... }\"?"},
	    {"{ a(x: 1) { b } }",
		"Field \"a\" must not have a selection "
		"since type \"Int\" has no subfields."},
	    {"query Q($v: Int) { a(x: $v) }",
		"Variable \"$v\" of type "
		"\"Int\" used in position expecting type \"Int!\"."},
	    {"{ a(x: \"1\") }",
		"Expected value of type \"Int!\", found a "
		"String."},
	    {"{ o { ...F } } fragment F on O { ...F }",
		"Cannot spread fragment \"F\" within itself."},
	    {"{ a(x: 1) a: o { b } }",
		"Fields \"a\" conflict because a "
		"and o are different fields. Use different aliases on the "
		"fields to fetch both if this was intentional."},
	    {"mutation { a }",
		"Schema does not support operation type "
		"\"mutation\""},
	    {"{ a(x: 1) @bogus }", "Unknown directive \"@bogus\"."},
	};
	size_t i;

	(void)state_;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *errs = NULL, *vars = NULL;
		struct fake_gql_doc *d = fake_gql_parse(cases[i].doc, &errs);

		assert_non_null(d);
		assert_null(fake_gql_prepare(d, &s, NULL, NULL, &vars, &errs));
		assert_string_equal(json_string_value(
					json_object_get(json_array_get(errs, 0),
					    "message")),
		    cases[i].msg);
		json_decref(errs);
		fake_gql_doc_free(d);
	}
	{
		json_t *errs = NULL;

		assert_null(fake_gql_parse("{ a(x: 1) ", &errs));
		assert_string_equal(json_string_value(
					json_object_get(json_array_get(errs, 0),
					    "message")),
		    "Expected Name, found <EOF>");
		json_decref(errs);
		assert_null(fake_gql_parse("{ a(x: \"\\q\") }", &errs));
		json_decref(errs);
	}
}

/* Path of a program next to build/tests/<this test>: build/<name>. */
static char *
sibling_program(const char *name)
{
	const char *slash = strrchr(self_path, '/');
	size_t n = slash ? (size_t)(slash - self_path) : 1;

	return s2p_xasprintf("%.*s/../%s", (int)n, slash ? self_path : ".",
	    name);
}

/* Spawn fake-stash with extra args; wait for its "listening" line on
 * stderr (a blocking read, no polling) and return the two ports. */
static pid_t
spawn_fake(char **argv, int *port, int *cport, int *errfd)
{
	posix_spawn_file_actions_t fa;
	int pfd[2];
	pid_t pid;
	char line[256];
	size_t n = 0;

	assert_int_equal(pipe(pfd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while (n + 1 < sizeof(line)) {
		ssize_t r = read(pfd[0], line + n, 1);

		assert_true(r == 1);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	assert_int_equal(sscanf(line,
			     "fake-stash: listening on "
			     "127.0.0.1:%d (control %d)",
			     port, cport),
	    2);
	*errfd = pfd[0];
	return pid;
}

static void
test_fake_stash__program_cli_and_compare(void **state_)
{
	struct fx *f = *state_;
	char dir[] = "/tmp/fakestash-XXXXXX";
	char *bin = sibling_program("fake-stash");
	char *cmp = sibling_program("fake-compare");
	char *settings, *ctl;
	char *argv[16];
	int port, cport, errfd, status;
	pid_t pid;
	json_t *j;
	struct s2p_error err;

	if (access(bin, X_OK) != 0) {
		free(bin);
		free(cmp);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	settings = s2p_xasprintf("%s/settings.json", dir);
	assert_int_equal(s2p_write_atomic(settings, "{\"plexToken\":\"t0k\"}",
			     strlen("{\"plexToken\":\"t0k\"}"), 0600, &err),
	    S2P_OK);
	argv[0] = s2p_xstrdup(bin);
	argv[1] = s2p_xstrdup("--port");
	argv[2] = s2p_xstrdup("0");
	argv[3] = s2p_xstrdup("--scenes");
	argv[4] = s2p_xstrdup("4");
	argv[5] = s2p_xstrdup("--settings-json");
	argv[6] = s2p_xstrdup(settings);
	argv[7] = s2p_xstrdup("--require-auth");
	argv[8] = s2p_xstrdup("--api-key");
	argv[9] = s2p_xstrdup("cli-key");
	argv[10] = NULL;
	pid = spawn_fake(argv, &port, &cport, &errfd);
	req(f, "POST", port, "/graphql",
	    "Content-Type: application/json\n"
	    "ApiKey: cli-key",
	    "{\"query\": \"query S($ids: [ID!]) { "
	    "configuration { plugins(include: $ids) } }\", \"variables\": "
	    "{\"ids\": [\"Stash2Plex\"]}, \"operationName\": \"S\"}");
	assert_int_equal(f->status, 200);
	j = body_json(f);
	assert_string_equal(
	    jpath_str(json_object_get(json_object_get(json_object_get(j,
							  "data"),
					  "configuration"),
			  "plugins"),
		"Stash2Plex", "plexToken", NULL),
	    "t0k");
	json_decref(j);
	req(f, "POST", port, "/graphql", "Content-Type: application/json",
	    "{\"query\": \"{ version { version } }\"}");
	assert_int_equal(f->status, 401);

	/* fake-compare against itself as "Plex": the control port serves a
	 * state without items, so every scene is unmatched. */
	ctl = s2p_xasprintf("%d", cport);
	{
		char *cargv[8];
		posix_spawn_file_actions_t fa;
		int devnull = open("/dev/null", O_WRONLY);
		pid_t cp;

		cargv[0] = cmp;
		cargv[1] = s2p_xstrdup("--stash-control");
		cargv[2] = ctl;
		cargv[3] = s2p_xstrdup("--plex-control");
		cargv[4] = ctl;
		cargv[5] = s2p_xstrdup("--show");
		cargv[6] = argv[2]; /* "0" */
		cargv[7] = NULL;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, devnull, 1);
		if (access(cmp, X_OK) == 0) {
			assert_int_equal(posix_spawn(&cp, cmp, &fa, NULL, cargv,
					     environ),
			    0);
			assert_int_equal(waitpid(cp, &status, 0), cp);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 1);
			free(cargv[5]);
			cargv[5] = s2p_xstrdup("--allow-unmatched");
			cargv[6] = NULL;
			assert_int_equal(posix_spawn(&cp, cmp, &fa, NULL, cargv,
					     environ),
			    0);
			assert_int_equal(waitpid(cp, &status, 0), cp);
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		posix_spawn_file_actions_destroy(&fa);
		close(devnull);
		free(cargv[1]);
		free(cargv[3]);
		free(cargv[5]);
	}
	/* SIGTERM, not POST /quit: the scaffolding may close the control
	 * connection before the /quit reply is flushed. */
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(errfd);
	for (status = 0; argv[status]; status++)
		free(argv[status]);
	unlink(settings);
	rmdir(dir);
	free(ctl);
	free(settings);
	free(bin);
	free(cmp);
}

/* Run fake-compare with args; returns its exit status, *out its stdout. */
static int
run_compare(const char *cmp, const char *const *args, char **out)
{
	posix_spawn_file_actions_t fa;
	char *argv[16];
	struct s2p_buf b;
	int pfd[2], status, n = 0;
	pid_t pid;
	char chunk[4096];
	ssize_t r;

	argv[n++] = s2p_xstrdup(cmp);
	for (; *args && n < 15; args++)
		argv[n++] = s2p_xstrdup(*args);
	argv[n] = NULL;
	assert_int_equal(pipe(pfd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	assert_int_equal(posix_spawn(&pid, cmp, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	s2p_buf_init(&b, 0);
	while ((r = read(pfd[0], chunk, sizeof(chunk))) > 0)
		assert_int_equal(s2p_buf_add(&b, chunk, (size_t)r), S2P_OK);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	while (n-- > 0)
		free(argv[n]);
	*out = s2p_buf_take(&b);
	s2p_buf_free(&b);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* fake-compare against a real (in-process) fake-plex whose files live
 * under another root: pairing needs --path-map; a "sync" done through
 * Plex's control port makes everything match. */
static void
test_fake_stash__compare_with_fake_plex(void **state_)
{
	struct fx *f = *state_;
	char *cmp = sibling_program("fake-compare");
	char *pargv[] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	const char *plex_args[] = {"fake-plex", "--scenes", "30", "--seed", "1",
	    "--plex-root", "/mnt/media"};
	struct fake_plex *plex = NULL;
	struct fake_server *psrv = NULL;
	struct fake_server_config pcfg = {0};
	struct fake_opts popts;
	struct s2p_error err;
	char sport[16], pport[16], dir[] = "/tmp/fakecmp-XXXXXX", *before;
	char *out;
	json_t *st, *pl, *sc, *it;
	size_t i, j;

	if (access(cmp, X_OK) != 0) {
		free(cmp);
		skip();
	}
	for (i = 0; i < 7; i++)
		pargv[i] = s2p_xstrdup(plex_args[i]);
	fake_opts_init(&popts);
	assert_int_equal(fake_plex_new(&plex, 7, pargv, &popts, &err), S2P_OK);
	fake_plex_config(plex, &pcfg);
	assert_int_equal(fake_server_start(&psrv, &pcfg, &popts, &err), S2P_OK);
	snprintf(sport, sizeof(sport), "%d", fake_server_control_port(f->srv));
	snprintf(pport, sizeof(pport), "%d", fake_server_control_port(psrv));
	assert_non_null(mkdtemp(dir));
	before = s2p_xasprintf("%s/before.json", dir);
	{
		const char *a[] = {"--stash-control", sport, "--plex-control",
		    pport, "--show", "0", NULL};

		assert_int_equal(run_compare(cmp, a, &out), 1);
		assert_non_null(strstr(out,
		    "compare: 0 of 30 scenes match in "
		    "every synced field (30 unmatched)"));
		free(out);
	}
	{
		const char *a[] = {"--stash-control", sport, "--plex-control",
		    pport, "--ids", "3", "--path-map",
		    "/data/videos=>/mnt/media", "--before", before, NULL};

		assert_int_equal(run_compare(cmp, a, &out), 1);
		assert_non_null(strstr(out, "scene 3 "));
		assert_non_null(strstr(out, "DIFF"));
		assert_non_null(strstr(out,
		    "compare: 0 of 1 scenes match in "
		    "every synced field (0 unmatched)"));
		free(out);
	}
	/* "Sync": copy Stash's fields onto each paired Plex item. */
	control(f, "GET", "/state", NULL, 200);
	st = body_json(f);
	req(f, "GET", fake_server_control_port(psrv), "/state", NULL, NULL);
	pl = body_json(f);
	json_array_foreach(json_object_get(st, "scenes"), i, sc)
	{
		const char *path = json_string_value(
		    json_array_get(json_object_get(sc, "files"), 0));
		char *mapped = s2p_xasprintf("/mnt/media%s",
		    path + strlen("/data/videos"));

		json_array_foreach(json_object_get(pl, "items"), j, it)
		{
			json_t *files = json_object_get(it, "files"), *b;
			char *text;

			if (strcmp(json_string_value(json_array_get(files, 0)),
				mapped) != 0)
				continue;
			b = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
			    "ratingKey", json_object_get(it, "ratingKey"),
			    "title", json_object_get(sc, "title"), "summary",
			    json_object_get(sc, "details"),
			    "originallyAvailableAt",
			    json_object_get(sc, "date"), "studio",
			    json_object_get(sc, "studio"), "actors",
			    json_object_get(sc, "performers"), "genres",
			    json_object_get(sc, "tags"));
			text = json_dumps(b, JSON_COMPACT);
			req(f, "POST", fake_server_control_port(psrv), "/item",
			    NULL, text);
			assert_int_equal(f->status, 200);
			free(text);
			json_decref(b);
		}
		free(mapped);
	}
	json_decref(st);
	json_decref(pl);
	{
		const char *a[] = {"--stash-control", sport, "--plex-control",
		    pport, "--ids", "3", "--path-map",
		    "/data/videos=>/mnt/media", "--after", before, NULL};

		assert_int_equal(run_compare(cmp, a, &out), 0);
		assert_non_null(strstr(out, "(fixed)"));
		assert_non_null(strstr(out, "compare: since before: "));
		assert_non_null(strstr(out, " 0 broke"));
		free(out);
	}
	{
		const char *a[] = {"--stash-control", sport, "--plex-control",
		    pport, "--path-map", "/data/videos=>/mnt/media", NULL};

		assert_int_equal(run_compare(cmp, a, &out), 0);
		assert_non_null(strstr(out,
		    "compare: 30 of 30 scenes match in "
		    "every synced field (0 unmatched)"));
		free(out);
	}
	/* A UI edit in Stash shows up as a difference again. */
	control(f, "POST", "/scene/3", "{\"tags\": [\"Brand New\"]}", 200);
	{
		const char *a[] = {"--stash-control", sport, "--plex-control",
		    pport, "--show", "0", "--path-map",
		    "/data/videos=>/mnt/media", NULL};

		assert_int_equal(run_compare(cmp, a, &out), 1);
		assert_non_null(strstr(out, "differs: scenes 3 (1 in all)"));
		assert_non_null(strstr(out, "fields: genres 1"));
		free(out);
	}
	unlink(before);
	rmdir(dir);
	free(before);
	fake_server_free(psrv);
	fake_plex_free(plex);
	fake_opts_free(&popts);
	for (i = 0; pargv[i]; i++)
		free(pargv[i]);
	free(cmp);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__settings_absent_then_saved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_stash__find_scene_shape,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__find_scenes_paging_and_sort, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__updated_at_filter_is_string_compare, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_fake_stash__protocol_errors,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_stash__auth_rules,
		setup_auth, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__open_mode_rejects_any_api_key, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__edit_bumps_updated_at_rename_does_not, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__create_delete_and_screenshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__scene_update_and_filters_by_id, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_fake_stash__database_locked,
		setup, teardown),
	    cmocka_unit_test(test_fake_stash__validator),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__program_cli_and_compare, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_stash__compare_with_fake_plex, setup, teardown),
	};
	int rc;

	(void)argc;
	self_path = argv[0];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
