/*
 * test_plex.c - the Plex client against a canned server: the exact requests
 * (paths, queries, headers; the token only ever as a header and never on
 * /identity), lenient parsing of realistic JSON replies, the edit query
 * grammar, and status classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "canned.h"
#include "core/err.h"
#include "core/strv.h"
#include "net/plex.h"

#define TOKEN "tok-SECRET-1234567890"

struct fx {
	struct fake_canned *srv;
	struct s2p_plex *p;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct s2p_plex_opts o = {0};
	struct s2p_error err;
	char url[96];

	f->srv = fake_canned_start();
	/* A trailing slash must not double up in paths. */
	snprintf(url, sizeof(url), "%s/", fake_canned_url(f->srv));
	o.url = url;
	o.token = TOKEN;
	o.client_id = "0b6f3c1e-client-id";
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(s2p_plex_new(&f->p, &o, &err), S2P_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_plex_free(f->p);
	fake_canned_stop(f->srv);
	free(f);
	return 0;
}

/* Every request must carry the identification headers and keep the token
 * out of the request target. */
static void
assert_common_headers(const struct fake_canned_request *r, int with_token)
{
	assert_string_equal(fake_canned_header(r, "Accept"),
	    "application/json");
	assert_string_equal(fake_canned_header(r, "X-Plex-Client-Identifier"),
	    "0b6f3c1e-client-id");
	assert_string_equal(fake_canned_header(r, "X-Plex-Product"),
	    "Stash2Plex");
	assert_string_equal(fake_canned_header(r, "X-Plex-Version"),
	    S2P_VERSION);
	assert_string_equal(fake_canned_header(r, "X-Plex-Device-Name"),
	    "Stash2Plex");
	if (with_token)
		assert_string_equal(fake_canned_header(r, "X-Plex-Token"),
		    TOKEN);
	else
		assert_null(fake_canned_header(r, "X-Plex-Token"));
	assert_null(strstr(r->uri, TOKEN));
	assert_null(strstr(r->uri, "X-Plex-Token"));
}

static void
test_plex__identity_sends_no_token(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_identity id;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200,
	    "{\"MediaContainer\":{\"size\":0,\"claimed\":true,"
	    "\"machineIdentifier\":"
	    "\"0f3c9a5e7d1b4c2a8e6f0a1b2c3d4e5f60718293\","
	    "\"version\":\"1.41.3.9314-a0bfb8370\",\"newAttr\":[1,2]}}");
	assert_int_equal(s2p_plex_identity(f->p, 1000, &id, &err), S2P_OK);
	assert_string_equal(id.machine_id,
	    "0f3c9a5e7d1b4c2a8e6f0a1b2c3d4e5f60718293");
	assert_string_equal(id.version, "1.41.3.9314-a0bfb8370");
	assert_true(id.latency_ms >= 0);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/identity");
	assert_common_headers(r, 0);
}

static void
test_plex__identity_maintenance_is_temporary(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_plex_identity id;
	struct s2p_error err = {0};

	rep.status = 503;
	rep.content_type = "text/xml";
	rep.body = "<Response code=\"503\" title=\"Maintenance\" "
		   "status=\"Plex Media Server is currently running database "
		   "migrations.\"/>";
	rep.headers = "Retry-After: 30\n";
	fake_canned_push(f->srv, &rep);
	assert_int_equal(s2p_plex_identity(f->p, 1000, &id, &err), S2P_ETEMP);
	assert_int_equal(err.code, S2P_ETEMP);
	assert_int_equal(err.http_status, 503);
	assert_true(err.retry_after == 30.0);
	assert_non_null(strstr(err.msg, "503"));
	assert_null(strstr(err.msg, "migrations")); /* body never echoed */
}

static void
test_plex__identity_without_machine_id_is_a_parse_error(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_identity id;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 200, "{\"MediaContainer\":{}}");
	assert_int_equal(s2p_plex_identity(f->p, 1000, &id, &err), S2P_EPARSE);
	fake_canned_push_simple(f->srv, 200, "<MediaContainer/>");
	assert_int_equal(s2p_plex_identity(f->p, 1000, &id, &err), S2P_EPARSE);
}

static void
test_plex__identity_times_out_within_bound(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_plex_identity id;
	struct s2p_error err = {0};

	rep.body = "{}";
	rep.delay_ms = 2000;
	fake_canned_push(f->srv, &rep);
	assert_int_equal(s2p_plex_identity(f->p, 300, &id, &err), S2P_ETEMP);
}

static void
test_plex__identity_refused_is_down(void **state)
{
	struct s2p_plex_opts o = {0};
	struct s2p_plex *p;
	struct s2p_plex_identity id;
	struct s2p_error err = {0};
	char url[64];
	int fd;
	unsigned port = fake_closed_port(&fd);

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	o.url = url;
	o.token = TOKEN;
	o.client_id = "cid";
	assert_int_equal(s2p_plex_new(&p, &o, &err), S2P_OK);
	assert_int_equal(s2p_plex_identity(p, 1000, &id, &err), S2P_EDOWN);
	assert_null(strstr(err.msg, TOKEN));
	s2p_plex_free(p);
	close(fd);
}

static void
test_plex__check_token(void **state)
{
	struct fx *f = *state;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200,
	    "{\"MediaContainer\":{\"size\":0,\"totalSize\":2}}");
	assert_int_equal(s2p_plex_check_token(f->p, 1000, &err), S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->uri, "/library/sections");
	assert_string_equal(fake_canned_header(r, "X-Plex-Container-Start"),
	    "0");
	assert_string_equal(fake_canned_header(r, "X-Plex-Container-Size"),
	    "0");
	assert_common_headers(r, 1);

	fake_canned_push_simple(f->srv, 401,
	    "<html><head><title>Unauthorized</title></head><body><h1>401 "
	    "Unauthorized</h1></body></html>");
	assert_int_equal(s2p_plex_check_token(f->p, 1000, &err), S2P_EAUTH);
	assert_int_equal(err.http_status, 401);
	assert_null(strstr(err.msg, TOKEN));
}

static const char SECTIONS_JSON[] =
    "{\"MediaContainer\":{\"size\":2,\"allowSync\":false,"
    "\"title1\":\"Plex Library\",\"Directory\":["
    "{\"key\":\"1\",\"type\":\"movie\",\"title\":\"Movies\","
    "\"agent\":\"tv.plex.agents.movie\",\"refreshing\":false,"
    "\"hidden\":0,\"createdAt\":1600000000,"
    "\"Location\":[{\"id\":1,\"path\":\"/data/movies\"}]},"
    "{\"key\":2,\"type\":\"show\",\"title\":\"TV Shows\","
    "\"Location\":[{\"id\":2,\"path\":\"/data/tv\"},"
    "{\"id\":3,\"path\":\"/mnt/more-tv\"}]}]}}";

static void
test_plex__sections(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_sections s;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, SECTIONS_JSON);
	assert_int_equal(s2p_plex_sections(f->p, &s, &err), S2P_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].key, "1");
	assert_string_equal(s.v[0].type, "movie");
	assert_string_equal(s.v[0].title, "Movies");
	assert_int_equal(s.v[0].locations.n, 1);
	assert_string_equal(s.v[0].locations.v[0], "/data/movies");
	assert_string_equal(s.v[1].key, "2"); /* number -> string */
	assert_string_equal(s.v[1].type, "show");
	assert_int_equal(s.v[1].locations.n, 2);
	assert_string_equal(s.v[1].locations.v[0], "/data/tv");
	assert_string_equal(s.v[1].locations.v[1], "/mnt/more-tv");
	s2p_plex_sections_free(&s);
	s2p_plex_sections_free(&s); /* idempotent */

	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/library/sections");
	assert_common_headers(r, 1);

	/* No Directory at all: an empty list, not an error. */
	fake_canned_push_simple(f->srv, 200, "{\"MediaContainer\":{}}");
	assert_int_equal(s2p_plex_sections(f->p, &s, &err), S2P_OK);
	assert_int_equal(s.n, 0);
	s2p_plex_sections_free(&s);
}

static const char LISTING_JSON[] =
    "{\"MediaContainer\":{\"offset\":100,\"size\":2,\"totalSize\":1234,"
    "\"librarySectionID\":1,\"Metadata\":["
    "{\"ratingKey\":\"1234\",\"key\":\"/library/metadata/1234\","
    "\"type\":\"movie\",\"title\":\"The Example\",\"addedAt\":1700000000,"
    "\"updatedAt\":1712000000,\"Media\":[{\"id\":2001,\"Part\":[{\"id\":3001,"
    "\"file\":\"/data/movies/The Example (2019)/The Example (2019).mkv\"}]},"
    "{\"id\":2002,\"Part\":[{\"id\":3002,\"file\":\"/data/movies/ex-4k.mkv\"},"
    "{\"id\":3003,\"file\":\"/data/movies/ex-4k-cd2.mkv\"}]}],"
    "\"Genre\":[{\"tag\":\"Drama\"}]},"
    "{\"ratingKey\":1235,\"title\":\"No Media\",\"addedAt\":\"1700000001\"},"
    "{\"title\":\"no rating key: skipped\"}]}}";

static void
test_plex__list_page(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_page pg;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, LISTING_JSON);
	assert_int_equal(s2p_plex_list(f->p, "1", 1, "updatedAt:desc",
			     "/data/movies/The Example (2019).mkv", 100, 50,
			     &pg, &err),
	    S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->path, "/library/sections/1/all");
	assert_string_equal(r->query,
	    "type=1&sort=updatedAt%3Adesc"
	    "&file=%2Fdata%2Fmovies%2FThe%20Example%20%282019%29.mkv");
	assert_string_equal(fake_canned_header(r, "X-Plex-Container-Start"),
	    "100");
	assert_string_equal(fake_canned_header(r, "X-Plex-Container-Size"),
	    "50");
	assert_null(strstr(r->query, "Container"));
	assert_common_headers(r, 1);

	assert_int_equal(pg.offset, 100);
	assert_int_equal(pg.total, 1234);
	assert_int_equal(pg.n, 2);
	assert_string_equal(pg.v[0].rating_key, "1234");
	assert_string_equal(pg.v[0].title, "The Example");
	assert_int_equal(pg.v[0].added_at, 1700000000);
	assert_int_equal(pg.v[0].updated_at, 1712000000);
	assert_int_equal(pg.v[0].files.n, 3);
	assert_string_equal(pg.v[0].files.v[0],
	    "/data/movies/The Example (2019)/The Example (2019).mkv");
	assert_string_equal(pg.v[0].files.v[1], "/data/movies/ex-4k.mkv");
	assert_string_equal(pg.v[0].files.v[2], "/data/movies/ex-4k-cd2.mkv");
	assert_string_equal(pg.v[1].rating_key, "1235");
	assert_int_equal(pg.v[1].added_at, 1700000001);
	assert_int_equal(pg.v[1].updated_at, -1);
	assert_int_equal(pg.v[1].files.n, 0);
	s2p_plex_page_free(&pg);
}

static void
test_plex__list_without_metadata_or_total(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_page pg;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200,
	    "{\"MediaContainer\":{\"size\":0}}");
	assert_int_equal(s2p_plex_list(f->p, "7", 4, NULL, NULL, 0, 100, &pg,
			     &err),
	    S2P_OK);
	assert_int_equal(pg.n, 0);
	assert_int_equal(pg.total, -1);
	assert_int_equal(pg.offset, 0);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->uri, "/library/sections/7/all?type=4");
	s2p_plex_page_free(&pg);

	/* Unknown section and a bad argument. */
	fake_canned_push_simple(f->srv, 404, "<html>404</html>");
	assert_int_equal(s2p_plex_list(f->p, "99", 1, NULL, NULL, 0, 10, &pg,
			     &err),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_plex_list(f->p, "1", 0, NULL, NULL, 0, 10, &pg,
			     &err),
	    S2P_EINVAL);
	assert_int_equal(fake_canned_count(f->srv), 2);
}

static const char ITEM_JSON[] =
    "{\"MediaContainer\":{\"size\":1,\"allowSync\":true,"
    "\"identifier\":\"com.plexapp.plugins.library\",\"librarySectionID\":3,"
    "\"librarySectionTitle\":\"Movies\",\"Metadata\":[{"
    "\"ratingKey\":1234,\"key\":\"/library/metadata/1234\","
    "\"guid\":\"plex://movie/5d77\",\"type\":\"movie\","
    "\"title\":\"The Example\",\"titleSort\":\"Example\","
    "\"originalTitle\":\"L'Exemple\",\"studio\":\"Example Pictures\","
    "\"contentRating\":\"PG-13\",\"summary\":\"First line.\\nSecond line.\","
    "\"tagline\":\"One line.\",\"rating\":7.9,\"userRating\":\"8.0\","
    "\"year\":\"2019\",\"originallyAvailableAt\":\"2019-05-17\","
    "\"thumb\":\"/library/metadata/1234/thumb/1712000100\","
    "\"art\":\"/library/metadata/1234/art/1712000100\","
    "\"addedAt\":1700000000,\"updatedAt\":1712000100,\"viewCount\":2,"
    "\"hidden\":0,\"allowSync\":true,"
    "\"Media\":[{\"id\":2001,\"optimizedForStreaming\":0,\"Part\":[{"
    "\"id\":3001,\"file\":\"/data/movies/a.mkv\",\"size\":6123456789}]},"
    "{\"id\":2002,\"Part\":[{\"id\":3002,\"file\":\"/data/movies/b.mkv\"},"
    "{\"id\":3003,\"file\":\"/data/movies/c.mkv\"}]}],"
    "\"Genre\":[{\"id\":11,\"filter\":\"genre=11\",\"tag\":\"Drama\"},"
    "{\"id\":12,\"filter\":\"genre=12\",\"tag\":\"Sci-Fi & Fantasy\"}],"
    "\"Director\":[{\"id\":21,\"tag\":\"Jane Doe\"}],"
    "\"Role\":[{\"id\":31,\"tag\":\"John Roe\",\"role\":\"Detective\"},"
    "{\"id\":32,\"tag\":\"Ann Loe\"}],"
    "\"Collection\":[{\"id\":41,\"tag\":\"Favourites\"}],"
    "\"Label\":[{\"id\":61,\"tag\":\"synced\"}],"
    "\"Guid\":[{\"id\":\"imdb://tt0000001\"}],"
    "\"Field\":[{\"locked\":true,\"name\":\"title\"},"
    "{\"locked\":1,\"name\":\"genre\"},{\"locked\":\"1\",\"name\":\"thumb\"},"
    "{\"locked\":false,\"name\":\"summary\"},"
    "{\"locked\":0,\"name\":\"studio\"},{\"name\":\"art\"}]}]}}";

static void
test_plex__get_item_full(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_item it;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, ITEM_JSON);
	assert_int_equal(s2p_plex_get_item(f->p, "1234", &it, &err), S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/library/metadata/1234");
	assert_common_headers(r, 1);

	assert_string_equal(it.rating_key, "1234");
	assert_string_equal(it.section_id, "3"); /* from the container */
	assert_string_equal(it.type, "movie");
	assert_string_equal(it.title, "The Example");
	assert_string_equal(it.title_sort, "Example");
	assert_string_equal(it.summary, "First line.\nSecond line.");
	assert_string_equal(it.tagline, "One line.");
	assert_string_equal(it.studio, "Example Pictures");
	assert_string_equal(it.content_rating, "PG-13");
	assert_string_equal(it.originally_available_at, "2019-05-17");
	assert_int_equal(it.year, 2019);
	assert_true(it.user_rating == 8.0);
	assert_string_equal(it.thumb,
	    "/library/metadata/1234/thumb/1712000100");
	assert_string_equal(it.art, "/library/metadata/1234/art/1712000100");
	assert_int_equal(it.added_at, 1700000000);
	assert_int_equal(it.updated_at, 1712000100);
	assert_int_equal(it.genres.n, 2);
	assert_string_equal(it.genres.v[1], "Sci-Fi & Fantasy");
	assert_int_equal(it.actors.n, 2);
	assert_string_equal(it.actors.v[0], "John Roe");
	assert_string_equal(it.actors.v[1], "Ann Loe");
	assert_int_equal(it.collections.n, 1);
	assert_string_equal(it.collections.v[0], "Favourites");
	assert_int_equal(it.labels.n, 1);
	assert_string_equal(it.labels.v[0], "synced");
	assert_int_equal(it.locked.n, 3);
	assert_string_equal(it.locked.v[0], "title");
	assert_string_equal(it.locked.v[1], "genre");
	assert_string_equal(it.locked.v[2], "thumb");
	assert_int_equal(it.files.n, 3);
	assert_string_equal(it.files.v[0], "/data/movies/a.mkv");
	assert_string_equal(it.files.v[1], "/data/movies/b.mkv");
	assert_string_equal(it.files.v[2], "/data/movies/c.mkv");
	s2p_plex_item_free(&it);
}

static void
test_plex__get_item_sparse(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_item it;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 200,
	    "{\"MediaContainer\":{\"Metadata\":[{\"ratingKey\":\"a/b\","
	    "\"librarySectionID\":\"5\",\"type\":\"episode\","
	    "\"title\":\"Ep\"}]}}");
	assert_int_equal(s2p_plex_get_item(f->p, "a/b", &it, &err), S2P_OK);
	assert_string_equal(fake_canned_request(f->srv, 0)->uri,
	    "/library/metadata/a%2Fb");
	assert_string_equal(it.section_id, "5");
	assert_null(it.summary);
	assert_null(it.studio);
	assert_null(it.thumb);
	assert_int_equal(it.year, -1);
	assert_true(it.user_rating < 0);
	assert_int_equal(it.added_at, -1);
	assert_int_equal(it.genres.n, 0);
	assert_int_equal(it.locked.n, 0);
	assert_int_equal(it.files.n, 0);
	s2p_plex_item_free(&it);

	/* 200 with no Metadata: the item is gone. */
	fake_canned_push_simple(f->srv, 200, "{\"MediaContainer\":{}}");
	assert_int_equal(s2p_plex_get_item(f->p, "9", &it, &err),
	    S2P_ENOTFOUND);
	s2p_plex_item_free(&it);
}

static void
test_plex__status_classification(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_plex_item it;
	struct s2p_error err = {0};

	fake_canned_push_simple(f->srv, 404,
	    "<html><head><title>Not Found</title></head></html>");
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err),
	    S2P_ENOTFOUND);
	assert_int_equal(err.http_status, 404);
	assert_non_null(strstr(err.msg, "404"));
	assert_null(strstr(err.msg, "html"));

	fake_canned_push_simple(f->srv, 401, "<html>401 Unauthorized</html>");
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err), S2P_EAUTH);
	assert_int_equal(err.http_status, 401);

	rep.status = 503;
	rep.body = "<Response code=\"503\" title=\"Maintenance\"/>";
	rep.headers = "Retry-After: 12\n";
	fake_canned_push(f->srv, &rep);
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err), S2P_ETEMP);
	assert_int_equal(err.http_status, 503);
	assert_true(err.retry_after == 12.0);

	fake_canned_push_simple(f->srv, 500, "<html>500</html>");
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err), S2P_ETEMP);
	assert_int_equal(err.http_status, 500);
	assert_true(err.retry_after == 0);

	fake_canned_push_simple(f->srv, 400, "<html>400</html>");
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err), S2P_EPERM);

	fake_canned_push_simple(f->srv, 200, "{\"MediaContainer\": [broken");
	assert_int_equal(s2p_plex_get_item(f->p, "1", &it, &err), S2P_EPARSE);
	assert_int_equal(s2p_plex_get_item(f->p, "", &it, &err), S2P_EINVAL);
	assert_null(strstr(err.msg, TOKEN));
}

static void
test_plex__edit_query_encoding(void **state)
{
	struct s2p_plex_edit e;
	struct s2p_strv names = {0};

	(void)state;
	s2p_plex_edit_init(&e);
	s2p_plex_edit_field(&e, "title", "New Title: Part/2 & more", 1);
	assert_string_equal(e.query.data,
	    "title.value=New%20Title%3A%20Part%2F2%20%26%20more"
	    "&title.locked=1");
	assert_int_equal(e.nparams, 2);
	s2p_plex_edit_free(&e);

	s2p_plex_edit_init(&e);
	s2p_plex_edit_field(&e, "summary", NULL, 0);
	s2p_plex_edit_field(&e, "studio", "", 1);
	assert_string_equal(e.query.data,
	    "summary.value=&summary.locked=0&studio.value=&studio.locked=1");
	s2p_plex_edit_free(&e);

	s2p_strv_push(&names, "Sci-Fi & Fantasy");
	s2p_strv_push(&names, "Action");
	s2p_plex_edit_init(&e);
	s2p_plex_edit_tags_remove(&e, "genre", &names);
	assert_string_equal(e.query.data,
	    "genre[].tag.tag-=Sci-Fi%2520%2526%2520Fantasy%2CAction");
	s2p_plex_edit_lock(&e, "genre");
	assert_string_equal(e.query.data,
	    "genre[].tag.tag-=Sci-Fi%2520%2526%2520Fantasy%2CAction"
	    "&genre.locked=1");
	s2p_plex_edit_free(&e);

	s2p_plex_edit_init(&e);
	s2p_plex_edit_tags(&e, "genre", &names, 1);
	assert_string_equal(e.query.data,
	    "genre[0].tag.tag=Sci-Fi%20%26%20Fantasy"
	    "&genre[1].tag.tag=Action&genre.locked=1");
	s2p_plex_edit_free(&e);
	s2p_strv_free(&names);

	s2p_plex_edit_init(&e);
	s2p_plex_edit_tags(&e, "collection", &names, 1);
	assert_string_equal(e.query.data,
	    "collection[].tag=&collection.locked=1");
	s2p_plex_edit_lock(&e, "thumb");
	assert_string_equal(e.query.data,
	    "collection[].tag=&collection.locked=1&thumb.locked=1");
	s2p_plex_edit_free(&e);

	/* Removing nothing adds nothing. */
	s2p_plex_edit_init(&e);
	s2p_plex_edit_tags_remove(&e, "label", &names);
	assert_int_equal(e.nparams, 0);
	s2p_plex_edit_free(&e);
}

static void
test_plex__apply_edit_request(void **state)
{
	struct fx *f = *state;
	struct s2p_plex_edit e;
	struct s2p_strv names = {0};
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	s2p_plex_edit_init(&e);
	s2p_plex_edit_field(&e, "title", "A & B", 1);
	s2p_strv_push(&names, "Drama");
	s2p_strv_push(&names, "Noir");
	s2p_plex_edit_tags(&e, "genre", &names, 1);
	fake_canned_push_simple(f->srv, 200, NULL);
	assert_int_equal(s2p_plex_apply_edit(f->p, "1", 1, "1234", &e, &err),
	    S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "PUT");
	assert_string_equal(r->path, "/library/sections/1/all");
	assert_string_equal(r->query,
	    "type=1&id=1234&title.value=A%20%26%20B&title.locked=1"
	    "&genre[0].tag.tag=Drama&genre[1].tag.tag=Noir&genre.locked=1");
	assert_string_equal(fake_canned_header(r, "Content-Length"), "0");
	assert_common_headers(r, 1);

	/* Never an edit without id= (it would hit the whole section). */
	assert_int_equal(s2p_plex_apply_edit(f->p, "1", 1, "", &e, &err),
	    S2P_EINVAL);
	assert_int_equal(s2p_plex_apply_edit(f->p, "1", 1, NULL, &e, &err),
	    S2P_EINVAL);
	s2p_plex_edit_free(&e);
	s2p_plex_edit_init(&e);
	assert_int_equal(s2p_plex_apply_edit(f->p, "1", 1, "1234", &e, &err),
	    S2P_EINVAL);
	assert_int_equal(fake_canned_count(f->srv), 1);

	s2p_plex_edit_lock(&e, "thumb");
	fake_canned_push_simple(f->srv, 400, "<html>400</html>");
	assert_int_equal(s2p_plex_apply_edit(f->p, "1", 1, "1234", &e, &err),
	    S2P_EPERM);
	assert_int_equal(err.http_status, 400);
	s2p_plex_edit_free(&e);
	s2p_strv_free(&names);
}

static void
test_plex__upload_image(void **state)
{
	struct fx *f = *state;
	static const unsigned char img[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10,
	    'J', 'F', 'I', 'F'};
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, NULL);
	assert_int_equal(s2p_plex_upload_image(f->p, "1234", "posters", img,
			     sizeof(img), "image/jpeg", &err),
	    S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->uri, "/library/metadata/1234/posters");
	assert_string_equal(fake_canned_header(r, "Content-Type"),
	    "image/jpeg");
	assert_int_equal(r->body.len, sizeof(img));
	assert_memory_equal(r->body.data, img, sizeof(img));
	assert_common_headers(r, 1);

	fake_canned_push_simple(f->srv, 200, NULL);
	assert_int_equal(s2p_plex_upload_image(f->p, "1234", "arts", img,
			     sizeof(img), "image/png", &err),
	    S2P_OK);
	r = fake_canned_request(f->srv, 1);
	assert_string_equal(r->uri, "/library/metadata/1234/arts");
	assert_string_equal(fake_canned_header(r, "Content-Type"), "image/png");

	assert_int_equal(s2p_plex_upload_image(f->p, "1234", "thumbs", img,
			     sizeof(img), "image/png", &err),
	    S2P_EINVAL);
	assert_int_equal(s2p_plex_upload_image(f->p, "1234", "arts", img, 0,
			     "image/png", &err),
	    S2P_EINVAL);
	assert_int_equal(fake_canned_count(f->srv), 2);
}

static void
test_plex__scan_path(void **state)
{
	struct fx *f = *state;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;

	fake_canned_push_simple(f->srv, 200, NULL);
	assert_int_equal(s2p_plex_scan_path(f->p, "2", "/data/tv/Show A & B",
			     &err),
	    S2P_OK);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri,
	    "/library/sections/2/"
	    "refresh?path=%2Fdata%2Ftv%2FShow%20A%20%26%20B");
	assert_common_headers(r, 1);
}

static void
test_plex__type_numbers(void **state)
{
	(void)state;
	assert_int_equal(s2p_plex_type_number("movie"), 1);
	assert_int_equal(s2p_plex_type_number("show"), 2);
	assert_int_equal(s2p_plex_type_number("episode"), 4);
	assert_int_equal(s2p_plex_type_number("nope"), 0);
	assert_int_equal(s2p_plex_type_number(NULL), 0);
}

static void
test_plex__new_rejects_missing_settings(void **state)
{
	struct s2p_plex_opts o = {0};
	struct s2p_plex *p = (struct s2p_plex *)&o;
	struct s2p_error err = {0};

	(void)state;
	o.url = "http://127.0.0.1:1";
	assert_int_equal(s2p_plex_new(&p, &o, &err), S2P_EINVAL);
	assert_null(p);
	o.token = "x";
	o.url = "";
	assert_int_equal(s2p_plex_new(&p, &o, &err), S2P_EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_plex__identity_sends_no_token),
	    T(test_plex__identity_maintenance_is_temporary),
	    T(test_plex__identity_without_machine_id_is_a_parse_error),
	    T(test_plex__identity_times_out_within_bound),
	    cmocka_unit_test(test_plex__identity_refused_is_down),
	    T(test_plex__check_token),
	    T(test_plex__sections),
	    T(test_plex__list_page),
	    T(test_plex__list_without_metadata_or_total),
	    T(test_plex__get_item_full),
	    T(test_plex__get_item_sparse),
	    T(test_plex__status_classification),
	    cmocka_unit_test(test_plex__edit_query_encoding),
	    T(test_plex__apply_edit_request),
	    T(test_plex__upload_image),
	    T(test_plex__scan_path),
	    cmocka_unit_test(test_plex__type_numbers),
	    cmocka_unit_test(test_plex__new_rejects_missing_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
