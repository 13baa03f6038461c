/*
 * test_http.c - the libcurl transport against a canned server on 127.0.0.1:
 * what goes on the wire for each method, what comes back (status, capped
 * body, Retry-After, session cookie), and how transport failures are
 * classified.
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
#include "net/http.h"

struct fx {
	struct fake_canned *srv;
	struct s2p_http *h;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct s2p_http_opts o = {2000, 5000, 0, NULL};
	struct s2p_error err;

	f->srv = fake_canned_start();
	assert_int_equal(s2p_http_new(&f->h, &o, &err), S2P_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_http_free(f->h);
	fake_canned_stop(f->srv);
	free(f);
	return 0;
}

static char *
url_of(struct fx *f, const char *path)
{
	size_t n = strlen(fake_canned_url(f->srv)) + strlen(path) + 1;
	char *u = malloc(n);

	assert_non_null(u);
	snprintf(u, n, "%s%s", fake_canned_url(f->srv), path);
	return u;
}

static void
test_http__get_sends_headers_and_reads_body(void **state)
{
	struct fx *f = *state;
	const char *hdrs[] = {"Accept: application/json", "X-Test: one", NULL};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	struct s2p_error err = {0};
	const struct fake_canned_request *r;
	char *url = url_of(f, "/a/b?x=1&y=%2F");

	fake_canned_push_simple(f->srv, 200, "{\"ok\":true}");
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_OK);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, "{\"ok\":true}");
	assert_int_equal(resp.body.len, 11);
	assert_null(resp.session_cookie);
	assert_true(resp.retry_after == 0);
	assert_true(resp.elapsed_ms >= 0);

	r = fake_canned_request(f->srv, 0);
	assert_non_null(r);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/a/b?x=1&y=%2F");
	assert_string_equal(fake_canned_header(r, "X-Test"), "one");
	assert_string_equal(fake_canned_header(r, "Accept"),
	    "application/json");
	/* gzip/deflate are offered. */
	assert_non_null(
	    strstr(fake_canned_header(r, "Accept-Encoding"), "gzip"));
	assert_null(fake_canned_header(r, "Expect"));
	s2p_http_resp_free(&resp);
	free(url);
}

static void
test_http__empty_put_sends_content_length_zero(void **state)
{
	struct fx *f = *state;
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	const struct fake_canned_request *r;
	char *url = url_of(f, "/edit?a=1");

	fake_canned_push_simple(f->srv, 200, NULL);
	req.method = "PUT";
	req.url = url;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "PUT");
	assert_string_equal(r->uri, "/edit?a=1");
	assert_string_equal(fake_canned_header(r, "Content-Length"), "0");
	assert_null(fake_canned_header(r, "Content-Type"));
	assert_int_equal(r->body.len, 0);
	s2p_http_resp_free(&resp);
	free(url);
}

static void
test_http__post_and_put_send_the_body(void **state)
{
	struct fx *f = *state;
	const char *hdrs[] = {"Content-Type: image/png", NULL};
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 1, 2};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	const struct fake_canned_request *r;
	char *url = url_of(f, "/up");

	fake_canned_push_simple(f->srv, 201, NULL);
	fake_canned_push_simple(f->srv, 200, NULL);
	req.method = "POST";
	req.url = url;
	req.headers = hdrs;
	req.body = png;
	req.body_len = sizeof(png);
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_int_equal(resp.status, 201);
	s2p_http_resp_free(&resp);
	req.method = "PUT";
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	s2p_http_resp_free(&resp);

	r = fake_canned_request(f->srv, 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(fake_canned_header(r, "Content-Type"), "image/png");
	assert_string_equal(fake_canned_header(r, "Content-Length"), "7");
	assert_int_equal(r->body.len, sizeof(png));
	assert_memory_equal(r->body.data, png, sizeof(png));
	r = fake_canned_request(f->srv, 1);
	assert_string_equal(r->method, "PUT");
	assert_int_equal(r->body.len, sizeof(png));
	assert_memory_equal(r->body.data, png, sizeof(png));
	free(url);
}

static void
test_http__head_and_delete(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	char *url = url_of(f, "/thing");

	rep.body = "ignored for HEAD";
	rep.headers = "X-Plex-Container-Total-Size: 42\n";
	fake_canned_push(f->srv, &rep);
	fake_canned_push_simple(f->srv, 204, NULL);
	req.method = "HEAD";
	req.url = url;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	s2p_http_resp_free(&resp);
	req.method = "DELETE";
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_int_equal(resp.status, 204);
	s2p_http_resp_free(&resp);
	assert_string_equal(fake_canned_request(f->srv, 0)->method, "HEAD");
	assert_string_equal(fake_canned_request(f->srv, 1)->method, "DELETE");
	free(url);
}

static void
test_http__error_status_is_a_response(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	char *url = url_of(f, "/busy");

	rep.status = 503;
	rep.content_type = "text/xml";
	rep.body = "<Response code=\"503\" title=\"Maintenance\"/>";
	rep.headers = "Retry-After: 7\n"
		      "Set-Cookie: other=zzz; Path=/\n"
		      "Set-Cookie: session=fresh-value; Path=/; HttpOnly\n";
	fake_canned_push(f->srv, &rep);
	req.method = "GET";
	req.url = url;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_int_equal(resp.status, 503);
	assert_true(resp.retry_after == 7.0);
	assert_non_null(resp.session_cookie);
	assert_string_equal(resp.session_cookie, "fresh-value");
	assert_int_equal(s2p_http_status_code(resp.status), S2P_ETEMP);
	s2p_http_resp_free(&resp);

	/* The next response starts clean. */
	fake_canned_push_simple(f->srv, 200, "x");
	assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
	assert_true(resp.retry_after == 0);
	assert_null(resp.session_cookie);
	s2p_http_resp_free(&resp);
	free(url);
}

static void
test_http__connection_is_reused(void **state)
{
	struct fx *f = *state;
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	char *url = url_of(f, "/k");
	int i;

	req.method = "GET";
	req.url = url;
	for (i = 0; i < 3; i++) {
		fake_canned_push_simple(f->srv, 200, "{}");
		assert_int_equal(s2p_http_do(f->h, &req, &resp, NULL), S2P_OK);
		s2p_http_resp_free(&resp);
		req.method = i == 0 ? "PUT" : "GET";
	}
	assert_int_equal(fake_canned_count(f->srv), 3);
	assert_int_equal(fake_canned_connections(f->srv), 1);
	free(url);
}

static void
test_http__status_code_mapping(void **state)
{
	(void)state;
	assert_int_equal(s2p_http_status_code(200), S2P_OK);
	assert_int_equal(s2p_http_status_code(201), S2P_OK);
	assert_int_equal(s2p_http_status_code(204), S2P_OK);
	assert_int_equal(s2p_http_status_code(404), S2P_ENOTFOUND);
	assert_int_equal(s2p_http_status_code(410), S2P_ENOTFOUND);
	assert_int_equal(s2p_http_status_code(401), S2P_EAUTH);
	assert_int_equal(s2p_http_status_code(403), S2P_EAUTH);
	assert_int_equal(s2p_http_status_code(408), S2P_ETEMP);
	assert_int_equal(s2p_http_status_code(425), S2P_ETEMP);
	assert_int_equal(s2p_http_status_code(429), S2P_ETEMP);
	assert_int_equal(s2p_http_status_code(500), S2P_ETEMP);
	assert_int_equal(s2p_http_status_code(503), S2P_ETEMP);
	assert_int_equal(s2p_http_status_code(400), S2P_EPERM);
	assert_int_equal(s2p_http_status_code(409), S2P_EPERM);
	assert_int_equal(s2p_http_status_code(422), S2P_EPERM);
	assert_int_equal(s2p_http_status_code(0), S2P_EPARSE);
	assert_int_equal(s2p_http_status_code(302), S2P_EPARSE);
	assert_int_equal(s2p_http_status_code(100), S2P_EPARSE);
}

static void
test_http__refused_connection_is_down(void **state)
{
	struct fx *f = *state;
	const char *hdrs[] = {"X-Plex-Token: sekrit-token-value", NULL};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	struct s2p_error err = {0};
	char url[128];
	int fd;
	unsigned port = fake_closed_port(&fd);

	(void)f;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/identity", port);
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_EDOWN);
	assert_int_equal(err.code, S2P_EDOWN);
	assert_int_equal(resp.status, 0);
	assert_non_null(strstr(err.msg, "GET"));
	assert_non_null(strstr(err.msg, url));
	assert_null(strstr(err.msg, "sekrit"));
	s2p_http_resp_free(&resp);
	close(fd);
}

static void
test_http__slow_server_times_out_as_temporary(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	struct s2p_error err = {0};
	char *url = url_of(f, "/slow");

	rep.body = "late";
	rep.delay_ms = 2000;
	fake_canned_push(f->srv, &rep);
	req.method = "GET";
	req.url = url;
	req.timeout_ms = 300;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_ETEMP);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_non_null(strstr(err.msg, "/slow"));
	s2p_http_resp_free(&resp);
	free(url);
}

static void
test_http__dropped_connection_is_temporary(void **state)
{
	struct fx *f = *state;
	struct fake_canned_reply rep = {0};
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	struct s2p_error err = {0};
	char *url = url_of(f, "/drop");

	rep.drop = 1;
	fake_canned_push(f->srv, &rep);
	req.method = "GET";
	req.url = url;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_ETEMP);
	s2p_http_resp_free(&resp);

	/* The handle recovers on a fresh connection. */
	fake_canned_push_simple(f->srv, 200, "back");
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_OK);
	assert_string_equal(resp.body.data, "back");
	s2p_http_resp_free(&resp);
	free(url);
}

static void
test_http__body_over_cap_is_temporary(void **state)
{
	struct fx *f = *state;
	struct s2p_http_req req = {0};
	struct s2p_http_resp resp;
	struct s2p_error err = {0};
	char *big = malloc(10001);
	char *url = url_of(f, "/big");

	memset(big, 'a', 10000);
	big[10000] = '\0';
	fake_canned_push_simple(f->srv, 200, big);
	fake_canned_push_simple(f->srv, 200, big);
	req.method = "GET";
	req.url = url;
	req.max_body = 1000;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_ETEMP);
	assert_non_null(strstr(err.msg, "too large"));
	assert_true(resp.body.len <= 1000);
	s2p_http_resp_free(&resp);

	/* Exactly at the cap is fine. */
	req.max_body = 10000;
	assert_int_equal(s2p_http_do(f->h, &req, &resp, &err), S2P_OK);
	assert_int_equal(resp.body.len, 10000);
	s2p_http_resp_free(&resp);
	free(big);
	free(url);
}

static void
test_http__url_escape_is_rfc3986(void **state)
{
	char *e;

	(void)state;
	e = s2p_url_escape("AZaz09-._~");
	assert_string_equal(e, "AZaz09-._~");
	free(e);
	e = s2p_url_escape("a b/c&d=e,f:g?h#i%j+k[l]");
	assert_string_equal(e,
	    "a%20b%2Fc%26d%3De%2Cf%3Ag%3Fh%23i%25j%2Bk%5Bl%5D");
	free(e);
	e = s2p_url_escape("caf\xc3\xa9");
	assert_string_equal(e, "caf%C3%A9");
	free(e);
	e = s2p_url_escape("");
	assert_string_equal(e, "");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_http__get_sends_headers_and_reads_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__empty_put_sends_content_length_zero, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__post_and_put_send_the_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http__head_and_delete, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__error_status_is_a_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http__connection_is_reused,
		setup, teardown),
	    cmocka_unit_test(test_http__status_code_mapping),
	    cmocka_unit_test_setup_teardown(
		test_http__refused_connection_is_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__slow_server_times_out_as_temporary, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__dropped_connection_is_temporary, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_http__body_over_cap_is_temporary, setup, teardown),
	    cmocka_unit_test(test_http__url_escape_is_rfc3986),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
