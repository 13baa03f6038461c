/*
 * test_fakehttp.c - self-check of the fake servers' scaffolding over real
 * loopback HTTP (libcurl): dispatch, raw query parsing, keep-alive, body
 * collection, the secret-free request log and every fault mode, including
 * "down" really refusing connections and coming back on the same port.
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

/* Echo handler: answers JSON describing what it saw. */
static void
echo(const struct fake_req *req, struct fake_resp *resp, void *payload)
{
	json_t *args = json_array();
	const char *tok = fake_req_header(req, "X-Plex-Token");
	size_t i;

	(*(int *)payload)++;
	for (i = 0; i < req->nargs; i++)
		json_array_append_new(args,
		    json_pack("[ss]", req->args[i].key, req->args[i].value));
	fake_resp_json(resp, 200,
	    json_pack("{s:s, s:s, s:s, s:o, s:I}", "method", req->method,
		"path", req->path, "query", req->query, "args", args,
		"body_len", (json_int_t)req->body_len));
	fake_resp_header(resp, "X-Test", "1");
	resp->token_ok = tok && strcmp(tok, "sekrit-token") == 0;
}

static void
error_body(int status, const struct fake_req *req, struct fake_resp *resp,
    void *payload)
{
	char *b = s2p_xasprintf("<h1>%d custom</h1>", status);

	(void)req;
	(void)payload;
	fake_resp_set(resp, status, "text/html", b);
	free(b);
}

static json_t *
state(void *payload)
{
	return json_pack("{s:i}", "calls", *(int *)payload);
}

static const char *const secret_args[] = {"X-Plex-Token", NULL};
static const char *const secret_headers[] = {"X-Plex-Token", NULL};

struct fx {
	struct fake_server *srv;
	struct fake_opts opts;
	int calls;
	CURL *curl;
	struct s2p_buf body;
	long status;
};

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	struct s2p_buf *b = ud;

	if (s2p_buf_add(b, p, sz * n) != S2P_OK)
		return 0;
	return sz * n;
}

/* One request on port; returns the curl code, fills f->status/body. */
static CURLcode
req(struct fx *f, const char *method, int port, const char *target,
    const char *hdr, const char *body, size_t blen, long timeout_ms)
{
	struct curl_slist *h = NULL;
	char *url = s2p_xasprintf("http://127.0.0.1:%d%s", port, target);
	CURLcode rc;

	s2p_buf_reset(&f->body);
	f->status = 0;
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &f->body);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (hdr)
		h = curl_slist_append(h, hdr);
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

static json_t *
body_json(struct fx *f)
{
	json_t *j = json_loads(f->body.data ? f->body.data : "", 0, NULL);

	assert_non_null(j);
	return j;
}

static void
set_fault(struct fx *f, const char *json)
{
	CURLcode rc = req(f, "POST", fake_server_control_port(f->srv), "/fault",
	    NULL, json, strlen(json), 5000);

	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(f->status, 200);
}

static int
setup(void **state_)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	struct fake_server_config cfg = {0};
	struct s2p_error err;

	cfg.name = "test";
	cfg.handler = echo;
	cfg.error = error_body;
	cfg.state = state;
	cfg.payload = &f->calls;
	cfg.secret_args = secret_args;
	cfg.secret_headers = secret_headers;
	cfg.record_bodies = 1;
	fake_opts_init(&f->opts);
	assert_int_equal(fake_server_start(&f->srv, &cfg, &f->opts, &err),
	    S2P_OK);
	f->curl = curl_easy_init();
	s2p_buf_init(&f->body, 0);
	*state_ = f;
	return 0;
}

static int
teardown(void **state_)
{
	struct fx *f = *state_;

	curl_easy_cleanup(f->curl);
	fake_server_free(f->srv);
	fake_opts_free(&f->opts);
	s2p_buf_free(&f->body);
	free(f);
	return 0;
}

static void
test_fakehttp__dispatch_and_query(void **state_)
{
	struct fx *f = *state_;
	json_t *j, *args;
	int port = fake_server_port(f->srv);

	assert_true(port > 0);
	assert_int_not_equal(port, fake_server_control_port(f->srv));
	assert_int_equal(req(f, "GET", port,
			     "/library/sections/1/"
			     "all?a=1&genre[0].tag.tag=Drama+Noir"
			     "&title%3D=Foo&a=2&genre%5B%5D.tag.tag-=Sci-Fi%"
			     "2520%2526,X&flag",
			     NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	j = body_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "method")),
	    "GET");
	assert_string_equal(json_string_value(json_object_get(j, "path")),
	    "/library/sections/1/all");
	args = json_object_get(j, "args");
	assert_int_equal(json_array_size(args), 6);
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 1), 0)),
	    "genre[0].tag.tag");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 1), 1)),
	    "Drama Noir");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 2), 0)),
	    "title=");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 3), 1)),
	    "2");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 4), 0)),
	    "genre[].tag.tag-");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 4), 1)),
	    "Sci-Fi%20%26,X");
	assert_string_equal(json_string_value(
				json_array_get(json_array_get(args, 5), 0)),
	    "flag");
	json_decref(j);
}

static void
test_fakehttp__keepalive_reuses_connection(void **state_)
{
	struct fx *f = *state_;
	int port = fake_server_port(f->srv);
	long conns = -1;

	assert_int_equal(req(f, "GET", port, "/a", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(req(f, "GET", port, "/b", NULL, NULL, 0, 5000),
	    CURLE_OK);
	curl_easy_getinfo(f->curl, CURLINFO_NUM_CONNECTS, &conns);
	assert_int_equal(conns, 0);
	assert_int_equal(f->calls, 2);
}

static void
test_fakehttp__body_collected(void **state_)
{
	struct fx *f = *state_;
	size_t n = 300000;
	char *big = s2p_xmalloc(n);
	json_t *j;

	memset(big, 'x', n);
	assert_int_equal(req(f, "PUT", fake_server_port(f->srv), "/up",
			     "Content-Type: application/octet-stream", big, n,
			     5000),
	    CURLE_OK);
	j = body_json(f);
	assert_int_equal(json_integer_value(json_object_get(j, "body_len")), n);
	assert_int_equal(f->calls, 1);
	json_decref(j);
	free(big);
}

static void
test_fakehttp__log_strips_secrets(void **state_)
{
	struct fx *f = *state_;
	json_t *log, *e;
	char *dump;

	assert_int_equal(req(f, "GET", fake_server_port(f->srv),
			     "/x?a=1&X-Plex-Token=sekrit-token&b=2",
			     "X-Plex-Token: sekrit-token", NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(req(f, "GET", fake_server_control_port(f->srv),
			     "/requests", NULL, NULL, 0, 5000),
	    CURLE_OK);
	log = body_json(f);
	assert_int_equal(json_array_size(log), 1);
	e = json_array_get(log, 0);
	assert_string_equal(json_string_value(json_object_get(e, "query")),
	    "a=1&b=2");
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	    "/x");
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 200);
	assert_true(json_is_true(json_object_get(e, "token_ok")));
	dump = json_dumps(log, 0);
	assert_null(strstr(dump, "sekrit"));
	free(dump);
	json_decref(log);

	assert_int_equal(req(f, "DELETE", fake_server_control_port(f->srv),
			     "/requests", NULL, NULL, 0, 5000),
	    CURLE_OK);
	log = fake_server_requests(f->srv);
	assert_int_equal(json_array_size(log), 0);
	json_decref(log);
}

static void
test_fakehttp__status_fault(void **state_)
{
	struct fx *f = *state_;
	int port = fake_server_port(f->srv);

	set_fault(f,
	    "{\"mode\":\"status\",\"status\":503,\"count\":2,"
	    "\"path_prefix\":\"/lib\"}");
	assert_int_equal(req(f, "GET", port, "/other", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_int_equal(req(f, "GET", port, "/library", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 503);
	assert_string_equal(f->body.data, "<h1>503 custom</h1>");
	assert_int_equal(req(f, "GET", port, "/library", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 503);
	/* count exhausted: the fault cleared itself */
	assert_int_equal(req(f, "GET", port, "/library", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_int_equal(f->calls, 2);
}

/* The 503/200 pattern of 40 requests under a 50% fault with seed 7. */
static void
pattern(struct fx *f, char *out)
{
	int i;

	set_fault(f,
	    "{\"mode\":\"status\",\"status\":500,"
	    "\"probability\":0.5,\"seed\":7}");
	for (i = 0; i < 40; i++) {
		assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/p",
				     NULL, NULL, 0, 5000),
		    CURLE_OK);
		out[i] = f->status == 500 ? 'x' : '.';
	}
	out[40] = '\0';
}

static void
test_fakehttp__probability_fault_is_seeded(void **state_)
{
	struct fx *f = *state_;
	char a[41], b[41];

	pattern(f, a);
	pattern(f, b);
	assert_string_equal(a, b);
	assert_non_null(strchr(a, 'x'));
	assert_non_null(strchr(a, '.'));
}

static void
test_fakehttp__reject_token_fault(void **state_)
{
	struct fx *f = *state_;
	json_t *log;

	set_fault(f, "{\"mode\":\"reject_token\"}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/x",
			     "X-Plex-Token: sekrit-token", NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 401);
	log = fake_server_requests(f->srv);
	assert_true(
	    json_is_false(json_object_get(json_array_get(log, 0), "token_ok")));
	json_decref(log);
	set_fault(f, "{\"mode\":\"none\"}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/x",
			     "X-Plex-Token: sekrit-token", NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
}

static void
test_fakehttp__down_refuses_and_returns_on_same_port(void **state_)
{
	struct fx *f = *state_;
	int port = fake_server_port(f->srv);

	/* an open keep-alive connection must not survive the "restart" */
	assert_int_equal(req(f, "GET", port, "/a", NULL, NULL, 0, 5000),
	    CURLE_OK);
	set_fault(f, "{\"mode\":\"down\"}");
	assert_int_equal(req(f, "GET", port, "/a", NULL, NULL, 0, 5000),
	    CURLE_COULDNT_CONNECT);
	assert_int_equal(req(f, "GET", port, "/a", NULL, NULL, 0, 5000),
	    CURLE_COULDNT_CONNECT);
	/* the control port still answers */
	assert_int_equal(req(f, "GET", fake_server_control_port(f->srv),
			     "/state", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	set_fault(f, "{\"mode\":\"none\"}");
	assert_int_equal(fake_server_port(f->srv), port);
	assert_int_equal(req(f, "GET", port, "/b", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_int_equal(f->calls, 2);
}

static void
test_fakehttp__hang_times_out_client(void **state_)
{
	struct fx *f = *state_;

	set_fault(f, "{\"mode\":\"hang\"}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 300),
	    CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(f->calls, 0);
	set_fault(f, "{\"mode\":\"none\"}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->calls, 1);
}

static void
test_fakehttp__hang_ends_by_itself(void **state_)
{
	struct fx *f = *state_;

	/* seconds > 0: the supervisor ends the hang; the held connection is
	 * dropped without an answer, long before the client's timeout */
	set_fault(f, "{\"mode\":\"hang\",\"seconds\":0.2}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 30000),
	    CURLE_GOT_NOTHING);
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
}

static void
test_fakehttp__truncate_fault(void **state_)
{
	struct fx *f = *state_;

	set_fault(f, "{\"mode\":\"truncate\"}");
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 5000),
	    CURLE_PARTIAL_FILE);
}

static void
test_fakehttp__control_endpoints(void **state_)
{
	struct fx *f = *state_;
	int cport = fake_server_control_port(f->srv);
	json_t *j;

	assert_int_equal(req(f, "POST", cport, "/fault", NULL, "{\"mode\":1}",
			     11, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 400);
	assert_int_equal(req(f, "GET", cport, "/nope", NULL, NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 404);
	set_fault(f, "{\"mode\":\"slow\",\"delay_ms\":10,\"seconds\":60}");
	assert_int_equal(req(f, "GET", cport, "/fault", NULL, NULL, 0, 5000),
	    CURLE_OK);
	j = body_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "mode")),
	    "slow");
	assert_true(json_number_value(json_object_get(j, "remaining")) > 0);
	json_decref(j);
	assert_int_equal(req(f, "GET", fake_server_port(f->srv), "/a", NULL,
			     NULL, 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_int_equal(req(f, "GET", cport, "/state", NULL, NULL, 0, 5000),
	    CURLE_OK);
	j = body_json(f);
	assert_int_equal(json_integer_value(json_object_get(j, "calls")), 1);
	json_decref(j);
	assert_int_equal(req(f, "POST", cport, "/quit", NULL, "", 0, 5000),
	    CURLE_OK);
	assert_int_equal(f->status, 200);
	fake_server_wait(f->srv); /* returns at once: quit was requested */
}

static void
test_fakehttp__opts_parse(void **state_)
{
	struct fake_opts o;
	static char a0[] = "fake", a1[] = "--port", a2[] = "0",
		    a3[] = "--scenes=12", a4[] = "--seed", a5[] = "7",
		    a6[] = "--root", a7[] = "/x", a8[] = "--other", a9[] = "v",
		    a10[] = "--port-file";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, NULL};
	int argc = 11, i = 1, bad = 0;

	(void)state_;
	fake_opts_init(&o);
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), 1);
	assert_int_equal(i, 3);
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), 1);
	assert_int_equal(o.scenes, 12);
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), 1);
	assert_int_equal(o.seed, 7);
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), 1);
	assert_string_equal(o.root, "/x");
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), 0);
	assert_string_equal(fake_opt_value(argc, argv, &i, "other", &bad), "v");
	assert_int_equal(fake_opts_parse(&o, argc, argv, &i), -1);
	fake_opts_free(&o);
}

static void
test_fakehttp__url_decode(void **state_)
{
	char *s;

	(void)state_;
	s = fake_url_decode("a+b%20c%2", 9, 1);
	assert_string_equal(s, "a b c%2");
	free(s);
	s = fake_url_decode("a+b%2Fc", 7, 0);
	assert_string_equal(s, "a+b/c");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fakehttp__dispatch_and_query,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fakehttp__keepalive_reuses_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__body_collected,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__log_strips_secrets,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__status_fault, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fakehttp__probability_fault_is_seeded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__reject_token_fault,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fakehttp__down_refuses_and_returns_on_same_port, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fakehttp__hang_times_out_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__hang_ends_by_itself,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__truncate_fault,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fakehttp__control_endpoints,
		setup, teardown),
	    cmocka_unit_test(test_fakehttp__opts_parse),
	    cmocka_unit_test(test_fakehttp__url_decode),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
