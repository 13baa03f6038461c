/*
 * test_fake_plex.c - the fake Plex Media Server, run in-process on an
 * ephemeral loopback port and driven with libcurl: auth, formats, listing
 * and paging, file= lookups, the edit grammar (tags, locks, removals,
 * all-items form A), ratings, poster uploads, scans and agent refreshes.
 * The model is checked through the control port's GET /state.
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
#include "core/xalloc.h"
#include "fakehttp.h"
#include "plexsrv.h"
#include "sha1.h"

#define TOKEN_HDR "X-Plex-Token: fake-plex-token"
#define JSON_HDR "Accept: application/json"

struct fx {
	struct fake_plex *plex;
	struct fake_server *srv;
	struct fake_opts opts;
	CURL *curl;
	struct s2p_buf body;
	struct s2p_buf hdrs;
	long status;
};

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	if (s2p_buf_add(ud, p, sz * n) != S2P_OK)
		return 0;
	return sz * n;
}

/* One request; h1/h2 are optional extra headers. */
static CURLcode
rq(struct fx *f, const char *method, int control, const char *target,
    const char *h1, const char *h2, const char *body, size_t blen)
{
	struct curl_slist *h = NULL;
	char *url = s2p_xasprintf("http://127.0.0.1:%d%s",
	    control ? fake_server_control_port(f->srv)
		    : fake_server_port(f->srv),
	    target);
	CURLcode rc;

	s2p_buf_reset(&f->body);
	s2p_buf_reset(&f->hdrs);
	f->status = 0;
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(f->curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &f->body);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &f->hdrs);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 10000L);
	if (h1)
		h = curl_slist_append(h, h1);
	if (h2)
		h = curl_slist_append(h, h2);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE, (long)blen);
	}
	rc = curl_easy_perform(f->curl);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
	curl_slist_free_all(h);
	free(url);
	return rc;
}

/* Authenticated JSON GET on the service port; returns MediaContainer
 * (new reference to the whole document in *doc). */
static json_t *
get_mc(struct fx *f, const char *target, json_t **doc)
{
	assert_int_equal(rq(f, "GET", 0, target, TOKEN_HDR, JSON_HDR, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	*doc = json_loads(f->body.data, 0, NULL);
	assert_non_null(*doc);
	return json_object_get(*doc, "MediaContainer");
}

static long
put(struct fx *f, const char *target)
{
	assert_int_equal(rq(f, "PUT", 0, target, TOKEN_HDR, NULL, NULL, 0),
	    CURLE_OK);
	return f->status;
}

static json_t *
state(struct fx *f)
{
	json_t *j;

	assert_int_equal(rq(f, "GET", 1, "/state", NULL, NULL, NULL, 0),
	    CURLE_OK);
	j = json_loads(f->body.data, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Item rk from a /state document (borrowed). */
static json_t *
st_item(json_t *st, const char *rk)
{
	json_t *items = json_object_get(st, "items"), *it;
	size_t i;

	json_array_foreach(items, i,
	    it) if (strcmp(json_string_value(json_object_get(it, "ratingKey")),
			rk) == 0) return it;
	fail_msg("no item %s", rk);
	return NULL;
}

static const char *
sv(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Is s in the JSON string array a? */
static int
has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i,
	    v) if (strcmp(json_string_value(v), s) == 0) return 1;
	return 0;
}

static struct fx *
start(const char *const *args)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	struct fake_server_config cfg = {0};
	struct s2p_error err;
	char *argv[32];
	int argc = 0;

	argv[argc++] = s2p_xstrdup("fake-plex");
	for (; args && *args; args++)
		argv[argc++] = s2p_xstrdup(*args);
	argv[argc] = NULL;
	fake_opts_init(&f->opts);
	assert_int_equal(fake_plex_new(&f->plex, argc, argv, &f->opts, &err),
	    S2P_OK);
	while (argc > 0)
		free(argv[--argc]);
	fake_plex_config(f->plex, &cfg);
	assert_int_equal(fake_server_start(&f->srv, &cfg, &f->opts, &err),
	    S2P_OK);
	f->curl = curl_easy_init();
	s2p_buf_init(&f->body, 0);
	s2p_buf_init(&f->hdrs, 0);
	return f;
}

static int
setup(void **st)
{
	static const char *const args[] = {"--scenes", "5", "--seed", "3",
	    "--scan-ms", "0", NULL};

	*st = start(args);
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	curl_easy_cleanup(f->curl);
	fake_server_free(f->srv);
	fake_plex_free(f->plex);
	fake_opts_free(&f->opts);
	s2p_buf_free(&f->body);
	s2p_buf_free(&f->hdrs);
	free(f);
	return 0;
}

static void
test_fake_plex__identity_and_auth(void **st)
{
	struct fx *f = *st;

	assert_int_equal(rq(f, "GET", 0, "/identity", NULL, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_non_null(strstr(f->body.data,
	    "<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>\n<MediaContainer size=\"0\" claimed=\"1\""));
	assert_non_null(strstr(f->hdrs.data, "X-Plex-Protocol: 1.0"));

	assert_int_equal(rq(f, "GET", 0, "/library/sections", NULL, JSON_HDR,
			     NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 401);
	assert_string_equal(f->body.data,
	    "<html><head><title>Unauthorized"
	    "</title></head><body><h1>401 Unauthorized</h1></body></html>");
	assert_non_null(strstr(f->hdrs.data, "X-Plex-Protocol: 1.0"));

	assert_int_equal(rq(f, "GET", 0,
			     "/library/sections?X-Plex-Token=fake-plex-token",
			     NULL, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	/* the header wins over the query parameter */
	assert_int_equal(rq(f, "GET", 0,
			     "/library/sections?X-Plex-Token=fake-plex-token",
			     "X-Plex-Token: wrong", NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 401);
	assert_int_equal(rq(f, "GET", 1, "/requests", NULL, NULL, NULL, 0),
	    CURLE_OK);
	assert_null(strstr(f->body.data, "fake-plex-token"));
}

static void
test_fake_plex__sections_json(void **st)
{
	struct fx *f = *st;
	json_t *doc, *mc = get_mc(f, "/library/sections/all", &doc);
	json_t *d = json_array_get(json_object_get(mc, "Directory"), 0);

	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 1);
	assert_string_equal(sv(d, "key"), "1");
	assert_string_equal(sv(d, "type"), "movie");
	assert_true(json_is_false(json_object_get(d, "refreshing")));
	assert_string_equal(sv(json_array_get(json_object_get(d, "Location"),
				   0),
				"path"),
	    "/data/videos");
	json_decref(doc);
}

static void
test_fake_plex__listing_paging(void **st)
{
	struct fx *f = *st;
	json_t *doc, *mc, *md;
	CURLcode rc;

	rc = rq(f, "GET", 0,
	    "/library/sections/1/all?type=1"
	    "&sort=addedAt:desc",
	    TOKEN_HDR, "X-Plex-Container-Start: 1", NULL, 0);
	assert_int_equal(rc, CURLE_OK);
	assert_non_null(strstr(f->hdrs.data, "X-Plex-Container-Start: 1"));
	assert_non_null(strstr(f->hdrs.data, "X-Plex-Container-Total-Size: 5"));

	mc = get_mc(f,
	    "/library/sections/1/all?type=1&sort=addedAt:desc"
	    "&X-Plex-Container-Start=1&X-Plex-Container-Size=2",
	    &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 2);
	assert_int_equal(json_integer_value(json_object_get(mc, "totalSize")),
	    5);
	assert_int_equal(json_integer_value(json_object_get(mc, "offset")), 1);
	md = json_object_get(mc, "Metadata");
	assert_string_equal(sv(json_array_get(md, 0), "ratingKey"), "1004");
	assert_string_equal(sv(json_array_get(md, 1), "ratingKey"), "1003");
	assert_non_null(
	    strstr(sv(json_array_get(
			  json_object_get(
			      json_array_get(json_object_get(json_array_get(md,
								 0),
						 "Media"),
				  0),
			      "Part"),
			  0),
		       "file"),
		"/data/videos/"));
	json_decref(doc);

	mc = get_mc(f,
	    "/library/sections/1/all?type=1"
	    "&X-Plex-Container-Start=0&X-Plex-Container-Size=0",
	    &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 0);
	assert_int_equal(json_integer_value(json_object_get(mc, "totalSize")),
	    5);
	assert_null(json_object_get(mc, "Metadata"));
	json_decref(doc);

	assert_int_equal(rq(f, "HEAD", 0, "/library/sections/1/all?type=1",
			     TOKEN_HDR, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_non_null(strstr(f->hdrs.data, "X-Plex-Container-Total-Size: 5"));
	assert_int_equal(f->body.len, 0);

	assert_int_equal(rq(f, "GET", 0, "/library/sections/9/all?type=1",
			     TOKEN_HDR, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 404);
}

static void
test_fake_plex__listing_truncates_tags(void **st)
{
	struct fx *f = *st;
	const char *body = "{\"ratingKey\":\"1002\",\"genres\":[\"A\",\"B\","
			   "\"C\",\"D\",\"E\"]}";
	json_t *doc, *mc, *g;

	assert_int_equal(rq(f, "POST", 1, "/item", NULL, NULL, body,
			     strlen(body)),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	mc = get_mc(f, "/library/sections/1/all?type=1&title%3D=Velvet-Drift-2",
	    &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 1);
	g = json_object_get(json_array_get(json_object_get(mc, "Metadata"), 0),
	    "Genre");
	assert_int_equal(json_array_size(g), 3);
	assert_null(json_object_get(json_array_get(g, 0), "id"));
	assert_null(
	    json_object_get(json_array_get(json_object_get(mc, "Metadata"), 0),
		"Field"));
	json_decref(doc);

	mc = get_mc(f, "/library/metadata/1002", &doc);
	g = json_object_get(json_array_get(json_object_get(mc, "Metadata"), 0),
	    "Genre");
	assert_int_equal(json_array_size(g), 5);
	assert_true(
	    json_is_integer(json_object_get(json_array_get(g, 4), "id")));
	assert_string_equal(sv(json_array_get(g, 4), "tag"), "E");
	json_decref(doc);
}

static void
test_fake_plex__file_lookup(void **st)
{
	struct fx *f = *st;
	json_t *doc, *mc;

	mc = get_mc(f,
	    "/library/sections/1/all?type=1&file=%2Fdata%2Fvideos"
	    "%2FCedar-Pine%2FHarbor-Lantern-3.mp4",
	    &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 1);
	assert_string_equal(sv(json_array_get(json_object_get(mc, "Metadata"),
				   0),
				"ratingKey"),
	    "1003");
	json_decref(doc);
	mc = get_mc(f, "/library/sections/1/all?type=1&file=nope.mp4", &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "size")), 0);
	json_decref(doc);
	/* strict: file= without type is a 500 */
	assert_int_equal(rq(f, "GET", 0, "/library/sections/1/all?file=x",
			     TOKEN_HDR, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 500);
}

static void
test_fake_plex__edit_tags_locks_and_removal(void **st)
{
	struct fx *f = *st;
	json_t *s, *it;

	assert_int_equal(
	    put(f,
		"/library/sections/1/all?genre.locked=1"
		"&genre[0].tag.tag=Drama&genre[1].tag.tag=Sci-Fi%20%26%"
		"20Fantasy"
		"&genre[2].tag.tag=Action&genre%5B3%5D.tag.tag=Noir&id=1001"
		"&title.locked=1&title.value=New%20Title%3A%20Part%2F2&type=1"),
	    200);
	assert_int_equal(f->body.len, 0);
	s = state(f);
	it = st_item(s, "1001");
	assert_string_equal(sv(it, "title"), "New Title: Part/2");
	assert_int_equal(json_array_size(json_object_get(it, "genres")), 4);
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(it, "genres"),
				    1)),
	    "Sci-Fi & Fantasy");
	assert_true(has(json_object_get(it, "locked"), "genre"));
	assert_true(has(json_object_get(it, "locked"), "title"));
	assert_false(has(json_object_get(it, "locked"), "summary"));
	json_decref(s);

	/* double-encoded removal, as plexapi sends it */
	assert_int_equal(put(f,
			     "/library/sections/1/all?genre.locked=1"
			     "&genre[].tag.tag-=Sci-Fi%2520%2526%2520Fantasy%"
			     "2CAction&id=1001"
			     "&type=1"),
	    200);
	/* a value without .locked keeps the lock; .locked=0 unlocks */
	assert_int_equal(put(f,
			     "/library/metadata/1001?title.value=Again"
			     "&summary.value=Hi&summary.locked=1&genre.locked="
			     "0"),
	    200);
	s = state(f);
	it = st_item(s, "1001");
	assert_int_equal(json_array_size(json_object_get(it, "genres")), 2);
	assert_true(has(json_object_get(it, "genres"), "Drama"));
	assert_true(has(json_object_get(it, "genres"), "Noir"));
	assert_string_equal(sv(it, "title"), "Again");
	assert_true(has(json_object_get(it, "locked"), "title"));
	assert_true(has(json_object_get(it, "locked"), "summary"));
	assert_false(has(json_object_get(it, "locked"), "genre"));
	json_decref(s);

	/* the agent refresh resets unlocked fields only */
	assert_int_equal(put(f, "/library/metadata/1001/refresh"), 200);
	s = state(f);
	it = st_item(s, "1001");
	assert_string_equal(sv(it, "title"), "Again");
	assert_string_equal(sv(it, "summary"), "Hi");
	assert_false(has(json_object_get(it, "genres"), "Noir"));
	json_decref(s);
}

static void
test_fake_plex__edit_errors(void **st)
{
	struct fx *f = *st;
	json_t *s;

	assert_int_equal(put(f, "/library/metadata/1001?bogus.value=1"), 400);
	assert_int_equal(put(f, "/library/metadata/1001?bogus.locked=1"), 400);
	assert_int_equal(put(f,
			     "/library/metadata/1001?"
			     "originallyAvailableAt.value=May"),
	    400);
	assert_int_equal(put(f, "/library/metadata/77?title.value=x"), 404);
	assert_int_equal(put(f,
			     "/library/sections/1/all?id=1001,77&type=1"
			     "&title.value=x"),
	    404);
	assert_int_equal(put(f,
			     "/library/sections/1/all?id=1001"
			     "&title.value=x"),
	    400);
	/* unknown plain parameters are ignored */
	assert_int_equal(put(f,
			     "/library/metadata/1001?includeExternalMedia=1"
			     "&originallyAvailableAt.value=2020-02-03"),
	    200);
	s = state(f);
	assert_int_equal(json_integer_value(
			     json_object_get(st_item(s, "1001"), "year")),
	    2020);
	assert_string_equal(sv(st_item(s, "1001"), "title"), "Tide-Lantern-1");
	json_decref(s);
}

static void
test_fake_plex__form_a_without_id_edits_all(void **st)
{
	struct fx *f = *st;
	json_t *s, *items, *it;
	size_t i;

	assert_int_equal(put(f,
			     "/library/sections/1/all?type=1"
			     "&studio.value=Everyone&studio.locked=1"),
	    200);
	s = state(f);
	items = json_object_get(s, "items");
	assert_int_equal(json_array_size(items), 5);
	json_array_foreach(items, i, it)
	{
		assert_string_equal(sv(it, "studio"), "Everyone");
		assert_true(has(json_object_get(it, "locked"), "studio"));
	}
	json_decref(s);
}

static void
test_fake_plex__rating(void **st)
{
	struct fx *f = *st;
	json_t *s;

	assert_int_equal(put(f,
			     "/:/rate?key=1002&identifier="
			     "com.plexapp.plugins.library&rating=8"),
	    200);
	s = state(f);
	assert_true(json_real_value(json_object_get(st_item(s, "1002"),
			"userRating")) == 8.0);
	json_decref(s);
	assert_int_equal(put(f,
			     "/:/rate?key=1002&identifier="
			     "com.plexapp.plugins.library&rating=-1"),
	    200);
	s = state(f);
	assert_true(
	    json_is_null(json_object_get(st_item(s, "1002"), "userRating")));
	json_decref(s);
	assert_int_equal(put(f, "/:/rate?key=1002&rating=8"), 400);
	assert_int_equal(put(f,
			     "/:/rate?key=1002&identifier="
			     "com.plexapp.plugins.library&rating=11"),
	    400);
	assert_int_equal(put(f,
			     "/:/rate?key=99&identifier="
			     "com.plexapp.plugins.library&rating=1"),
	    404);
}

static void
test_fake_plex__poster_upload(void **st)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
	struct fx *f = *st;
	json_t *s, *doc, *mc, *md;
	char hex[41], *before, *want;

	fake_sha1_hex("abc", 3, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	/* Not an image, or a Content-Type naming another type: 400. */
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/posters",
			     TOKEN_HDR, "Content-Type: image/jpeg", "abc", 3),
	    CURLE_OK);
	assert_int_equal(f->status, 400);
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/posters",
			     TOKEN_HDR, "Content-Type: image/jpeg", png,
			     sizeof(png) - 1),
	    CURLE_OK);
	assert_int_equal(f->status, 400);
	fake_sha1_hex(png, sizeof(png) - 1, hex);
	s = state(f);
	before = s2p_xstrdup(sv(st_item(s, "1003"), "thumb"));
	json_decref(s);
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/posters",
			     TOKEN_HDR, "Content-Type: image/png", png,
			     sizeof(png) - 1),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	s = state(f);
	assert_string_equal(sv(st_item(s, "1003"), "thumbSha1"), hex);
	assert_string_not_equal(sv(st_item(s, "1003"), "thumb"), before);
	assert_true(
	    has(json_object_get(st_item(s, "1003"), "locked"), "thumb"));
	json_decref(s);
	free(before);

	mc = get_mc(f, "/library/metadata/1003/posters", &doc);
	md = json_object_get(mc, "Metadata");
	assert_int_equal(json_array_size(md), 2);
	want = s2p_xasprintf("upload://posters/%s", hex);
	assert_string_equal(sv(json_array_get(md, 1), "ratingKey"), want);
	assert_true(
	    json_is_true(json_object_get(json_array_get(md, 1), "selected")));
	assert_true(
	    json_is_false(json_object_get(json_array_get(md, 0), "selected")));
	json_decref(doc);

	/* select the agent poster again by its ratingKey */
	assert_int_equal(rq(f, "GET", 0, "/library/metadata/1003/posters",
			     TOKEN_HDR, JSON_HDR, NULL, 0),
	    CURLE_OK);
	assert_int_equal(put(f, "/library/metadata/1003/poster?url=nope"), 404);
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/posters",
			     TOKEN_HDR, NULL, "", 0),
	    CURLE_OK);
	assert_int_equal(f->status, 400);
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/art",
			     TOKEN_HDR, NULL, "xyz", 3),
	    CURLE_OK);
	assert_int_equal(f->status, 400);
	assert_int_equal(rq(f, "POST", 0, "/library/metadata/1003/art",
			     TOKEN_HDR, "Content-Type: image/gif",
			     "GIF89a\x01\0\x01\0", 10),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	s = state(f);
	assert_true(has(json_object_get(st_item(s, "1003"), "locked"), "art"));
	assert_non_null(sv(st_item(s, "1003"), "artSha1"));
	json_decref(s);
	free(want);
}

static void
test_fake_plex__xml_and_multi_get(void **st)
{
	struct fx *f = *st;
	json_t *doc, *mc;

	assert_int_equal(rq(f, "GET", 0, "/library/metadata/1001", TOKEN_HDR,
			     NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_non_null(strstr(f->hdrs.data, "text/xml"));
	assert_non_null(strstr(f->body.data, "<Video ratingKey=\"1001\""));
	assert_non_null(strstr(f->body.data, "<Part id="));
	mc = get_mc(f, "/library/metadata/1001,1002,4242", &doc);
	assert_int_equal(json_array_size(json_object_get(mc, "Metadata")), 2);
	json_decref(doc);
	assert_int_equal(rq(f, "GET", 0, "/library/metadata/4242", TOKEN_HDR,
			     NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 404);
	assert_non_null(strstr(f->body.data, "404 Not Found"));
}

static void
test_fake_plex__pending_scene_appears_after_scan(void **st_)
{
	static const char *const args[] = {"--scenes", "4", "--seed", "3",
	    "--pending-scene", "2", "--scan-ms", "0", "--plex-root",
	    "/media/plex", NULL};
	struct fx *f = start(args);
	json_t *s, *doc, *mc;
	const char *file;

	(void)st_;
	s = state(f);
	assert_int_equal(json_array_size(json_object_get(s, "items")), 3);
	file = sv(json_array_get(json_object_get(s, "pending"), 0), "file");
	assert_int_equal(strncmp(file, "/media/plex/", 12), 0);
	assert_string_equal(sv(json_array_get(json_object_get(s, "sections"),
				   0),
				"uuid"),
	    "2b6c3f4e-0000-4000-8000-000000000001");
	json_decref(s);
	/* a scan of another folder does not find it */
	assert_int_equal(rq(f, "GET", 0,
			     "/library/sections/1/refresh?path="
			     "%2Fmedia%2Fplex%2Felsewhere",
			     TOKEN_HDR, NULL, NULL, 0),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	s = state(f);
	assert_int_equal(json_array_size(json_object_get(s, "items")), 3);
	json_decref(s);
	assert_int_equal(rq(f, "POST", 0, "/library/sections/1/refresh",
			     TOKEN_HDR, NULL, "", 0),
	    CURLE_OK);
	mc = get_mc(f, "/library/sections/1/all?type=1&sort=addedAt:desc",
	    &doc);
	assert_int_equal(json_integer_value(json_object_get(mc, "totalSize")),
	    4);
	assert_string_equal(sv(json_array_get(json_object_get(mc, "Metadata"),
				   0),
				"ratingKey"),
	    "1004");
	json_decref(doc);
	teardown((void **)&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fake_plex__identity_and_auth,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__sections_json,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__listing_paging,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_plex__listing_truncates_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__file_lookup, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_plex__edit_tags_locks_and_removal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__edit_errors, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fake_plex__form_a_without_id_edits_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__rating, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__poster_upload,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_plex__xml_and_multi_get,
		setup, teardown),
	    cmocka_unit_test(test_fake_plex__pending_scene_appears_after_scan),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
