/*
 * test_stash.c - the Stash GraphQL client against a canned server: request
 * shape and authentication headers, cookie refresh, GraphQL and HTTP error
 * classification, defensive scene/id parsing and the authenticated fetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "canned.h"
#include "core/err.h"
#include "net/stash.h"

#define COOKIE "MTczNjU3ODA3M3xEWDhFQVFMX2dBQUJFQUVRQUFBX-cookie"
#define APIKEY "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.apikey"

struct fx {
	struct fake_canned *srv;
	struct s2p_stash *s;
};

static struct s2p_stash *
client(struct fake_canned *srv, const char *cookie, const char *key)
{
	struct s2p_stash_opts o = {0};
	struct s2p_stash *s;
	struct s2p_error err;

	o.url = fake_canned_url(srv);
	o.session_cookie = cookie;
	o.api_key = key;
	o.timeout_ms = 5000;
	assert_int_equal(s2p_stash_new(&s, &o, &err), S2P_OK);
	return s;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->srv = fake_canned_start();
	f->s = client(f->srv, COOKIE, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_stash_free(f->s);
	fake_canned_stop(f->srv);
	free(f);
	return 0;
}

/* Parse the recorded GraphQL body of request i (new reference). */
static json_t *
sent_body(struct fx *f, size_t i)
{
	const struct fake_canned_request *r = fake_canned_request(f->srv, i);
	json_t *j;

	assert_non_null(r);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->uri, "/graphql");
	assert_string_equal(fake_canned_header(r, "Content-Type"),
	    "application/json");
	j = json_loadb(r->body.data, r->body.len, 0, NULL);
	assert_non_null(j);
	return j;
}

static void
assert_no_secret(const struct s2p_error *err)
{
	assert_null(strstr(err->msg, COOKIE));
	assert_null(strstr(err->msg, APIKEY));
}

static void
test_stash__gql_request_shape(void **state)
{
	struct fx *f = *state;
	json_t *vars = json_pack("{s:i}", "n", 5);
	json_t *data = NULL, *body;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, "{\"data\":{\"x\":1}}");
	assert_int_equal(s2p_stash_gql(f->s, "Op", "query Op { x }", vars,
			     &data, &err),
	    S2P_OK);
	assert_int_equal(json_integer_value(json_object_get(data, "x")), 1);
	json_decref(data);

	r = fake_canned_request(f->srv, 0);
	assert_string_equal(fake_canned_header(r, "Cookie"), "session=" COOKIE);
	assert_int_equal(fake_canned_header_count(r, "Cookie"), 1);
	assert_null(fake_canned_header(r, "ApiKey"));
	body = sent_body(f, 0);
	assert_string_equal(json_string_value(
				json_object_get(body, "operationName")),
	    "Op");
	assert_string_equal(json_string_value(json_object_get(body, "query")),
	    "query Op { x }");
	assert_true(json_equal(json_object_get(body, "variables"), vars));
	json_decref(body);

	/* NULL variables go out as an empty object. */
	fake_canned_push_simple(f->srv, 200, "{\"data\":{}}");
	assert_int_equal(s2p_stash_gql(f->s, "Op", "query Op { x }", NULL,
			     &data, &err),
	    S2P_OK);
	json_decref(data);
	body = sent_body(f, 1);
	assert_true(json_is_object(json_object_get(body, "variables")));
	assert_int_equal(json_object_size(json_object_get(body, "variables")),
	    0);
	json_decref(body);
	json_decref(vars);
}

static void
test_stash__api_key_only_when_configured(void **state)
{
	struct fx *f = *state;
	struct s2p_stash *s;
	json_t *data = NULL;
	const struct fake_canned_request *r;

	s = client(f->srv, NULL, APIKEY);
	fake_canned_push_simple(f->srv, 200, "{\"data\":{}}");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     NULL),
	    S2P_OK);
	json_decref(data);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(fake_canned_header(r, "ApiKey"), APIKEY);
	assert_null(fake_canned_header(r, "Cookie"));
	assert_null(s2p_stash_cookie(s));
	s2p_stash_free(s);

	/* An empty key is never sent. */
	s = client(f->srv, COOKIE, "");
	fake_canned_push_simple(f->srv, 200, "{\"data\":{}}");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     NULL),
	    S2P_OK);
	json_decref(data);
	r = fake_canned_request(f->srv, 1);
	assert_null(fake_canned_header(r, "ApiKey"));
	assert_string_equal(fake_canned_header(r, "Cookie"), "session=" COOKIE);
	s2p_stash_free(s);
}

static void
test_stash__cookie_refresh_is_adopted(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	json_t *data = NULL;
	const struct fake_canned_request *r;

	assert_string_equal(s2p_stash_cookie(f->s), COOKIE);
	rep.body = "{\"data\":{}}";
	rep.headers = "Set-Cookie: session=refreshed-42; Path=/; "
		      "Expires=Wed, 01 Jan 2031 00:00:00 GMT; HttpOnly\n";
	fake_canned_push(f->srv, &rep);
	fake_canned_push_simple(f->srv, 200, "{\"data\":{}}");
	assert_int_equal(s2p_stash_gql(f->s, "A", "query A { x }", NULL, &data,
			     NULL),
	    S2P_OK);
	json_decref(data);
	assert_string_equal(s2p_stash_cookie(f->s), "refreshed-42");
	assert_int_equal(s2p_stash_gql(f->s, "B", "query B { x }", NULL, &data,
			     NULL),
	    S2P_OK);
	json_decref(data);
	r = fake_canned_request(f->srv, 1);
	assert_int_equal(fake_canned_header_count(r, "Cookie"), 1);
	assert_string_equal(fake_canned_header(r, "Cookie"),
	    "session=refreshed-42");
}

static void
test_stash__graphql_errors(void **state)
{
	struct fx *f = *state;
	json_t *data = NULL;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 200,
	    "{\"errors\":[{\"message\":\"scene\\nnot\\tvalid\","
	    "\"path\":[\"x\"]}],\"data\":null}");
	assert_int_equal(s2p_stash_gql(f->s, "Op", "query Op { x }", NULL,
			     &data, &err),
	    S2P_EPERM);
	assert_null(data);
	assert_non_null(strstr(err.msg, "scene not valid"));
	assert_no_secret(&err);

	fake_canned_push_simple(f->srv, 200,
	    "{\"errors\":[{\"message\":\"error executing `UPDATE scenes`: "
	    "database is locked\"}],\"data\":{\"x\":null}}");
	assert_int_equal(s2p_stash_gql(f->s, "Op", "query Op { x }", NULL,
			     &data, &err),
	    S2P_ETEMP);
	assert_null(data);

	/* An empty errors array is no error. */
	fake_canned_push_simple(f->srv, 200, "{\"errors\":[],\"data\":{}}");
	assert_int_equal(s2p_stash_gql(f->s, "Op", "query Op { x }", NULL,
			     &data, &err),
	    S2P_OK);
	json_decref(data);
}

static void
test_stash__http_errors(void **state)
{
	struct fx *f = *state;
	struct s2p_stash *s;
	struct fake_canned_reply rep = {0};
	json_t *data = NULL;
	struct s2p_error err = {0};

	s = client(f->srv, COOKIE, APIKEY);
	fake_canned_push_simple(f->srv, 401, NULL);
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EAUTH);
	assert_int_equal(err.http_status, 401);
	assert_non_null(strstr(err.msg, "stash_api_key"));
	assert_no_secret(&err);

	fake_canned_push_simple(f->srv, 422,
	    "{\"errors\":[{\"message\":\"Cannot query field \\\"groups\\\" on "
	    "type \\\"Scene\\\".\"}],\"data\":null}");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EPERM);
	assert_int_equal(err.http_status, 422);
	assert_non_null(strstr(err.msg, "version mismatch"));
	assert_non_null(strstr(err.msg, "Cannot query field"));
	assert_no_secret(&err);

	rep.status = 502;
	rep.content_type = "text/html";
	rep.body = "<html>bad gateway</html>";
	rep.headers = "Retry-After: 3\n";
	fake_canned_push(f->srv, &rep);
	/* A 5xx is an outage (jobs wait), not a temporary failure. */
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EDOWN);
	assert_int_equal(err.http_status, 502);
	assert_true(err.retry_after == 3.0);

	fake_canned_push_simple(f->srv, 200, "{\"nodata\":true}");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EPARSE);
	fake_canned_push_simple(f->srv, 200, "<html>not json</html>");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EPARSE);
	fake_canned_push_simple(f->srv, 200, "{\"data\":null}");
	assert_int_equal(s2p_stash_gql(s, "Op", "query Op { x }", NULL, &data,
			     &err),
	    S2P_EPARSE);
	assert_null(data);
	assert_no_secret(&err);
	s2p_stash_free(s);
}

static void
test_stash__plugin_settings(void **state)
{
	struct fx *f = *state;
	json_t *settings = NULL, *body;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"configuration\":{\"plugins\":{\"Stash2Plex\":"
	    "{\"plex_url\":\"http://10.0.0.5:32400\",\"max_retries\":5}}}}}");
	assert_int_equal(s2p_stash_plugin_settings(f->s, "Stash2Plex",
			     &settings, &err),
	    S2P_OK);
	assert_string_equal(json_string_value(
				json_object_get(settings, "plex_url")),
	    "http://10.0.0.5:32400");
	assert_int_equal(json_integer_value(
			     json_object_get(settings, "max_retries")),
	    5);
	json_decref(settings);
	body = sent_body(f, 0);
	assert_string_equal(json_string_value(
				json_object_get(body, "operationName")),
	    "PluginSettings");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(body,
						    "variables"),
				    "ids"),
				0)),
	    "Stash2Plex");
	assert_non_null(
	    strstr(json_string_value(json_object_get(body, "query")),
		"plugins(include: $ids)"));
	json_decref(body);

	/* Never saved: an empty object. */
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"configuration\":{\"plugins\":{}}}}");
	assert_int_equal(s2p_stash_plugin_settings(f->s, "Stash2Plex",
			     &settings, &err),
	    S2P_OK);
	assert_true(json_is_object(settings));
	assert_int_equal(json_object_size(settings), 0);
	json_decref(settings);

	fake_canned_push_simple(f->srv, 200, "{\"data\":{}}");
	assert_int_equal(s2p_stash_plugin_settings(f->s, "Stash2Plex",
			     &settings, &err),
	    S2P_EPARSE);
	assert_null(settings);
}

static const char SCENE_JSON[] =
    "{\"data\":{\"findScenes\":{\"count\":1,\"scenes\":[{\"id\":\"45\","
    "\"title\":\"A Title\","
    "\"code\":\"ABC-123\",\"details\":\"Line one.\\n\\nLine two.\","
    "\"director\":\"Dee Rector\",\"date\":\"2024-03-01\",\"rating100\":80,"
    "\"organized\":true,\"urls\":[\"https://example.com/a\","
    "\"https://example.com/b\"],\"created_at\":\"2025-06-01T14:03:22+10:00\","
    "\"updated_at\":\"2025-06-02T09:00:00+10:00\","
    "\"files\":[{\"path\":\"/data/videos/a.mp4\"},"
    "{\"path\":\"/data/videos/a-alt.mp4\"}],"
    "\"paths\":{\"screenshot\":\"http://127.0.0.1:9999/scene/45/screenshot"
    "?t=1736578073\"},\"studio\":{\"name\":\"Studio X\"},"
    "\"performers\":[{\"name\":\"P One\"},{\"name\":\"P Two\"}],"
    "\"tags\":[{\"name\":\"T1\"}],\"extra\":{\"ignored\":1}}]}}}";

static void
test_stash__find_scene(void **state)
{
	struct fx *f = *state;
	struct s2p_scene sc;
	struct s2p_error err = {0};
	json_t *body;

	fake_canned_push_simple(f->srv, 200, SCENE_JSON);
	assert_int_equal(s2p_stash_find_scene(f->s, 45, &sc, &err), S2P_OK);
	body = sent_body(f, 0);
	assert_string_equal(json_string_value(
				json_object_get(body, "operationName")),
	    "FindScenesByIds");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(body,
						    "variables"),
				    "ids"),
				0)),
	    "45");
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(body, "variables"),
				 "per_page")),
	    1);
	json_decref(body);

	assert_int_equal(sc.id, 45);
	assert_string_equal(sc.title, "A Title");
	assert_string_equal(sc.code, "ABC-123");
	assert_string_equal(sc.details, "Line one.\n\nLine two.");
	assert_string_equal(sc.director, "Dee Rector");
	assert_string_equal(sc.date, "2024-03-01");
	assert_int_equal(sc.rating100, 80);
	assert_int_equal(sc.organized, 1);
	assert_string_equal(sc.studio, "Studio X");
	assert_string_equal(sc.created_at, "2025-06-01T14:03:22+10:00");
	assert_string_equal(sc.updated_at, "2025-06-02T09:00:00+10:00");
	assert_string_equal(sc.screenshot,
	    "http://127.0.0.1:9999/scene/45/screenshot?t=1736578073");
	assert_int_equal(sc.urls.n, 2);
	assert_string_equal(sc.urls.v[1], "https://example.com/b");
	assert_int_equal(sc.files.n, 2);
	assert_string_equal(sc.files.v[0], "/data/videos/a.mp4");
	assert_int_equal(sc.performers.n, 2);
	assert_string_equal(sc.performers.v[1], "P Two");
	assert_int_equal(sc.tags.n, 1);
	assert_string_equal(sc.tags.v[0], "T1");
	s2p_scene_free(&sc);
}

static void
test_stash__find_scene_nulls(void **state)
{
	struct fx *f = *state;
	struct s2p_scene sc;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":1,\"scenes\":[{"
	    "\"id\":\"7\",\"title\":null,"
	    "\"code\":null,\"details\":null,\"director\":null,\"date\":null,"
	    "\"rating100\":null,\"organized\":false,\"urls\":[],"
	    "\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":null,"
	    "\"files\":[],\"paths\":{\"screenshot\":null},\"studio\":null,"
	    "\"performers\":[],\"tags\":[]}]}}}");
	assert_int_equal(s2p_stash_find_scene(f->s, 7, &sc, &err), S2P_OK);
	assert_int_equal(sc.id, 7);
	assert_null(sc.title);
	assert_null(sc.code);
	assert_null(sc.details);
	assert_null(sc.date);
	assert_int_equal(sc.rating100, -1);
	assert_int_equal(sc.organized, 0);
	assert_null(sc.studio);
	assert_null(sc.screenshot);
	assert_null(sc.updated_at);
	assert_int_equal(sc.urls.n, 0);
	assert_int_equal(sc.files.n, 0);
	assert_int_equal(sc.performers.n, 0);
	assert_int_equal(sc.tags.n, 0);
	s2p_scene_free(&sc);

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":0,\"scenes\":[]}}}");
	assert_int_equal(s2p_stash_find_scene(f->s, 8, &sc, &err),
	    S2P_ENOTFOUND);
	s2p_scene_free(&sc);

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"scenes\":[{\"id\":\"12abc\"}]}}}");
	assert_int_equal(s2p_stash_find_scene(f->s, 12, &sc, &err), S2P_EPARSE);
	s2p_scene_free(&sc);
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"scenes\":[{\"id\":\"-3\"}]}}}");
	assert_int_equal(s2p_stash_find_scene(f->s, 3, &sc, &err), S2P_EPARSE);
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"scenes\":[{\"title\":\"no id\"}]}}}");
	assert_int_equal(s2p_stash_find_scene(f->s, 3, &sc, &err), S2P_EPARSE);
	s2p_scene_free(&sc);
}

/* One request for a batch: each id gets its scene wherever the reply lists
 * it; an id the reply lacks is not found; a repeated id gets it too. */
static void
test_stash__find_scenes_batch(void **state)
{
	struct fx *f = *state;
	int64_t ids[4] = {9, 4, 11, 4};
	struct s2p_scene sc[4];
	int st[4], i;
	json_t *body;

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":2,\"scenes\":["
	    "{\"id\":\"4\",\"title\":\"Four\",\"files\":[]},"
	    "{\"id\":\"9\",\"title\":\"Nine\",\"files\":[]}]}}}");
	assert_int_equal(s2p_stash_find_scenes(f->s, ids, 4, sc, st, NULL),
	    S2P_OK);
	body = sent_body(f, 0);
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(body, "variables"),
				 "ids")),
	    4);
	json_decref(body);
	assert_int_equal(st[0], S2P_OK);
	assert_string_equal(sc[0].title, "Nine");
	assert_int_equal(st[1], S2P_OK);
	assert_string_equal(sc[1].title, "Four");
	assert_int_equal(st[2], S2P_ENOTFOUND);
	assert_null(sc[2].title);
	assert_int_equal(st[3], S2P_OK);
	assert_string_equal(sc[3].title, "Four");
	for (i = 0; i < 4; i++)
		s2p_scene_free(&sc[i]);

	/* A reply element without a readable id fails the whole batch. */
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"scenes\":[{\"id\":\"4\"},"
	    "{\"id\":null}]}}}");
	assert_int_equal(s2p_stash_find_scenes(f->s, ids, 4, sc, st, NULL),
	    S2P_EPARSE);
	assert_null(sc[1].title);
}

static void
test_stash__scene_ids_paged(void **state)
{
	struct fx *f = *state;
	int64_t *ids = malloc(sizeof(*ids));
	size_t nids = 1;
	long count = 0;
	struct s2p_error err = {0};
	json_t *body, *vars, *filt;

	ids[0] = 99; /* existing content is kept */
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":1234,\"scenes\":["
	    "{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"10\"}]}}}");
	assert_int_equal(s2p_stash_scene_ids(f->s, "2025-06-01T14:03:22", 2,
			     500, &ids, &nids, &count, &err),
	    S2P_OK);
	assert_int_equal(count, 1234);
	assert_int_equal(nids, 4);
	assert_int_equal(ids[0], 99);
	assert_int_equal(ids[1], 1);
	assert_int_equal(ids[2], 2);
	assert_int_equal(ids[3], 10);
	body = sent_body(f, 0);
	assert_string_equal(json_string_value(
				json_object_get(body, "operationName")),
	    "SceneIds");
	vars = json_object_get(body, "variables");
	assert_int_equal(json_integer_value(json_object_get(vars, "page")), 2);
	assert_int_equal(json_integer_value(json_object_get(vars, "per_page")),
	    500);
	filt = json_object_get(json_object_get(vars, "scene_filter"),
	    "updated_at");
	assert_string_equal(json_string_value(json_object_get(filt, "value")),
	    "2025-06-01T14:03:22");
	assert_string_equal(json_string_value(
				json_object_get(filt, "modifier")),
	    "GREATER_THAN");
	json_decref(body);

	/* Without a watermark there is no scene_filter. */
	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":0,\"scenes\":[]}}}");
	assert_int_equal(s2p_stash_scene_ids(f->s, NULL, 1, 100, &ids, &nids,
			     &count, &err),
	    S2P_OK);
	assert_int_equal(count, 0);
	assert_int_equal(nids, 4);
	body = sent_body(f, 1);
	assert_null(json_object_get(json_object_get(body, "variables"),
	    "scene_filter"));
	json_decref(body);

	fake_canned_push_simple(f->srv, 200,
	    "{\"data\":{\"findScenes\":{\"count\":2,\"scenes\":["
	    "{\"id\":\"3\"},{\"id\":\"x\"}]}}}");
	assert_int_equal(s2p_stash_scene_ids(f->s, NULL, 1, 100, &ids, &nids,
			     &count, &err),
	    S2P_EPARSE);
	assert_int_equal(nids, 4); /* nothing appended */
	free(ids);
}

static void
test_stash__scene_ids_by_object(void **state)
{
	struct fx *f = *state;
	static const char *const kinds[] = {"performer", "studio", "tag"};
	static const char *const ops[] = {"SceneIdsByPerformer",
	    "SceneIdsByStudio", "SceneIdsByTag"};
	int64_t *ids = NULL;
	size_t nids = 0, i;
	struct s2p_error err = {0};

	for (i = 0; i < 3; i++) {
		json_t *body;

		fake_canned_push_simple(f->srv, 200,
		    "{\"data\":{\"findScenes\":{\"count\":2,\"scenes\":["
		    "{\"id\":\"5\"},{\"id\":\"6\"}]}}}");
		assert_int_equal(s2p_stash_scene_ids_by(f->s, kinds[i], "31",
				     &ids, &nids, &err),
		    S2P_OK);
		body = sent_body(f, i);
		assert_string_equal(json_string_value(
					json_object_get(body, "operationName")),
		    ops[i]);
		assert_string_equal(json_string_value(
					json_object_get(json_object_get(body,
							    "variables"),
					    "id")),
		    "31");
		json_decref(body);
	}
	assert_int_equal(nids, 6);
	assert_int_equal(ids[5], 6);
	assert_int_equal(s2p_stash_scene_ids_by(f->s, "group", "1", &ids, &nids,
			     &err),
	    S2P_EINVAL);
	assert_int_equal(fake_canned_count(f->srv), 3);
	free(ids);
}

static void
test_stash__fetch(void **state)
{
	struct fx *f = *state;
	struct s2p_buf out;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;
	struct fake_canned_reply rep = {0};
	static const char jpg[] = "\xff\xd8\xff\xe0JFIFdata";

	s2p_buf_init(&out, 0);
	rep.body = jpg;
	rep.body_len = sizeof(jpg) - 1;
	rep.content_type = "image/jpeg";
	fake_canned_push(f->srv, &rep);
	/* Another host in the URL: still asked of the configured Stash. */
	assert_int_equal(s2p_stash_fetch(f->s,
			     "http://stash.example:9999/scene/45/"
			     "screenshot?t=17",
			     1 << 20, &out, &err),
	    S2P_OK);
	assert_int_equal(out.len, sizeof(jpg) - 1);
	assert_memory_equal(out.data, jpg, sizeof(jpg) - 1);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/scene/45/screenshot?t=17");
	assert_string_equal(fake_canned_header(r, "Cookie"), "session=" COOKIE);

	s2p_buf_free(&out);
	fake_canned_push_simple(f->srv, 404, "nope");
	assert_int_equal(s2p_stash_fetch(f->s, "/scene/46/screenshot", 1 << 20,
			     &out, &err),
	    S2P_ENOTFOUND);
	assert_int_equal(out.len, 0);

	fake_canned_push(f->srv, &rep);
	assert_int_equal(s2p_stash_fetch(f->s, "/scene/45/screenshot", 4, &out,
			     &err),
	    S2P_ETEMP);
	assert_non_null(strstr(err.msg, "too large"));
	assert_no_secret(&err);
	assert_int_equal(s2p_stash_fetch(f->s, "screenshot", 4, &out, &err),
	    S2P_EINVAL);
	s2p_buf_free(&out);
}

static void
test_stash__documents_are_listed(void **state)
{
	const struct s2p_gql_doc *d = s2p_stash_documents();
	size_t n = 0;

	(void)state;
	for (; d[n].name != NULL; n++) {
		char head[64];

		snprintf(head, sizeof(head), "query %s(", d[n].name);
		assert_non_null(strstr(d[n].query, head));
	}
	assert_int_equal(n, 10);
	assert_null(d[n].query);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_stash__gql_request_shape),
	    T(test_stash__api_key_only_when_configured),
	    T(test_stash__cookie_refresh_is_adopted),
	    T(test_stash__graphql_errors),
	    T(test_stash__http_errors),
	    T(test_stash__plugin_settings),
	    T(test_stash__find_scene),
	    T(test_stash__find_scenes_batch),
	    T(test_stash__find_scene_nulls),
	    T(test_stash__scene_ids_paged),
	    T(test_stash__scene_ids_by_object),
	    T(test_stash__fetch),
	    cmocka_unit_test(test_stash__documents_are_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
