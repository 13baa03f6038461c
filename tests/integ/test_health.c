/*
 * test_health.c - the Health Check task (mode health_check) run exactly as
 * Stash runs it, against the real fakes: every line it logs, in order and
 * with its Stash level, for a healthy Plex, a Plex that refuses connections,
 * one that accepts and never answers, one that rejects the token, a
 * corrupted breaker file, an OPEN breaker with queued jobs and an OPEN
 * breaker past its recovery timeout (HALF_OPEN). Also: stdout is
 * {"output": ...}, output is plain ASCII, no secret is printed, and the task
 * never drains the queue or starts a worker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/xalloc.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

#define HEALTH_ARGS "{\"mode\": \"health_check\"}"

/* One expected stderr line: Stash level char and an fnmatch(3) pattern. */
struct want {
	char lvl;
	const char *pat;
};

#define MAX_LINES 64

struct line {
	char lvl;
	char text[1024];
};

/* Split a plugin's stderr into lines; every line must carry Stash's
 * "\x01<level>\x02" prefix. Progress ('p') lines are dropped. */
static size_t
split_lines(const char *err, struct line *v, size_t max)
{
	const char *p = err, *nl;
	size_t n = 0;

	while (*p != '\0') {
		size_t len;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		len = (size_t)(nl - p);
		assert_true(len >= 3);
		assert_int_equal(p[0], '\x01');
		assert_int_equal(p[2], '\x02');
		if (p[1] != 'p') {
			assert_true(n < max);
			assert_true(len - 3 < sizeof(v[n].text));
			v[n].lvl = p[1];
			memcpy(v[n].text, p + 3, len - 3);
			v[n].text[len - 3] = '\0';
			n++;
		}
		p = nl + 1;
	}
	return n;
}

static void
dump_lines(const struct line *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "  [%c] %s\n", v[i].lvl, v[i].text);
}

/* Assert stderr holds exactly the wanted lines, in this order. */
static void
expect_lines(const struct h_run *r, const struct want *w, size_t nw)
{
	struct line v[MAX_LINES];
	size_t n = split_lines(r->err, v, MAX_LINES), i;
	int ok = n == nw;

	for (i = 0; ok && i < n; i++)
		ok = v[i].lvl == w[i].lvl &&
		    fnmatch(w[i].pat, v[i].text, 0) == 0;
	if (!ok) {
		fprintf(stderr, "health check log does not match; got:\n");
		dump_lines(v, n);
		fprintf(stderr, "wanted:\n");
		for (i = 0; i < nw; i++)
			fprintf(stderr, "  [%c] %s\n", w[i].lvl, w[i].pat);
	}
	assert_true(ok);
}

/* The text of the first stderr line matching pat (static buffer). */
static const char *
find_line(const struct h_run *r, const char *pat)
{
	static struct line v[MAX_LINES];
	size_t n = split_lines(r->err, v, MAX_LINES), i;

	for (i = 0; i < n; i++)
		if (fnmatch(pat, v[i].text, 0) == 0)
			return v[i].text;
	return NULL;
}

/* Plain ASCII only: no emoji, no UTF-8, no control bytes but the Stash
 * prefix bytes and newlines. */
static void
assert_ascii(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 ||
		    (*p < 0x20 && *p != '\n' && *p != 1 && *p != 2)) {
			fprintf(stderr, "non-ASCII byte 0x%02x at offset %ld\n",
			    *p, (long)((const char *)p - s));
			fail();
		}
	}
}

/* What every health check run must satisfy; returns the output message. */
static char *
check_common(struct h_env *e, const struct h_run *r, const char *other_secret)
{
	json_t *out;
	char *msg;

	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	assert_non_null(out);
	assert_true(json_is_object(out));
	assert_int_equal(json_object_size(out), 1);
	assert_true(json_is_string(json_object_get(out, "output")));
	msg = s2p_xstrdup(json_string_value(json_object_get(out, "output")));
	json_decref(out);
	assert_ascii(r->out);
	assert_ascii(r->err);
	assert_null(strstr(r->out, e->token));
	assert_null(strstr(r->err, e->token));
	assert_null(strstr(r->out, "sess-cookie-77e1"));
	assert_null(strstr(r->err, "sess-cookie-77e1"));
	if (other_secret != NULL) {
		assert_null(strstr(r->out, other_secret));
		assert_null(strstr(r->err, other_secret));
	}
	return msg;
}

static void
run_health(struct h_env *e, struct h_run *r)
{
	assert_int_equal(h_run_plugin(e, HEALTH_ARGS, no_autodrain, r), 0);
}

static int
set_fault(struct h_env *e, const char *json)
{
	return h_post(e->plex_ctl, "/fault", json);
}

/* Queue scenes 1..n through the update hook without a worker. */
static void
queue_scenes(struct h_env *e, int n)
{
	struct h_run r;
	int i;

	for (i = 1; i <= n; i++) {
		char *args = s2p_xasprintf(
		    "{\"mode\": \"hook\", \"hookContext\": "
		    "{\"id\": %d, \"type\": \"Scene.Update.Post\", \"input\": "
		    "{\"id\": \"%d\", \"title\": \"t\"}, \"inputFields\": "
		    "[\"id\", \"title\"]}}",
		    i, i);

		assert_int_equal(h_run_plugin(e, args, no_autodrain, &r), 0);
		assert_int_equal(r.status, 0);
		h_run_free(&r);
		free(args);
	}
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), n);
}

/* Write a breaker state file: state "open" opened `ago` seconds ago. */
static void
write_open_breaker(struct h_env *e, double ago)
{
	double t = h_wall() - ago;
	char *doc = s2p_xasprintf("{\"state\": \"open\", \"failure_count\": 0, "
				  "\"success_count\": 0, \"opened_at\": %.3f, "
				  "\"changed_at\": %.3f}",
	    t, t);

	assert_int_equal(h_write_data(e, "circuit_breaker.json", doc), 0);
	free(doc);
}

static void
test_health__healthy_no_state_file(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: CLOSED (no state file)"},
	    {'i', "OK: Plex is HEALTHY (responded in *ms)"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *msg;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	{
		long ms = -1;

		assert_int_equal(sscanf(find_line(&r, "OK: Plex is HEALTHY*"),
				     "OK: Plex is HEALTHY (responded in %ldms)",
				     &ms),
		    1);
		assert_true(ms >= 0);
	}
	/* It probed /identity and checked the token with one library call,
	 * and wrote nothing. */
	assert_int_equal(h_count_requests(&e, "GET", "/identity"), 1);
	assert_int_equal(h_count_requests(&e, "GET", "/library/sections"), 1);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	free(msg);
	h_run_free(&r);
	h_stop(&e);
}

static void
test_health__plex_refuses_connections(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: CLOSED (no state file)"},
	    {'w', "FAIL: Plex is UNREACHABLE (*)"},
	    {'i', "Verify Plex URL and network connectivity"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *msg;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	assert_int_equal(set_fault(&e, "{\"mode\": \"down\"}"), 200);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is not healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	h_stop(&e);
}

/* An https Plex URL with a CA bundle that cannot be read: the check says
 * so in one line naming the setting, and the probe fails with the same
 * reason instead of an obscure TLS error. A readable bundle is named. */
static void
test_health__https_without_ca_bundle(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: CLOSED (no state file)"},
	    {'e',
		"FAIL: no CA certificates for HTTPS: plex_ca_file="
		"/nonexistent/s2p-ca.pem cannot be read (*)"},
	    {'w',
		"FAIL: Plex is UNREACHABLE (*plex_ca_file="
		"/nonexistent/s2p-ca.pem cannot be read*)"},
	    {'i', "Verify Plex URL and network connectivity"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *body, *msg, *pem;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	body = s2p_xasprintf("{\"plex_url\": \"https://127.0.0.1:%d\", "
			     "\"plex_token\": \"%s\", \"plex_ca_file\": "
			     "\"/nonexistent/s2p-ca.pem\"}",
	    e.plex_port, e.token);
	assert_int_equal(h_post(e.stash_ctl, "/settings", body), 200);
	free(body);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is not healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	/* Nothing reached the fake Plex: the request stopped before I/O. */
	assert_int_equal(h_count_requests(&e, "GET", "/"), 0);

	pem = s2p_xasprintf("%s/ca.pem", e.dir);
	{
		FILE *f = fopen(pem, "w");

		assert_non_null(f);
		fputs("not parsed by the check\n", f);
		assert_int_equal(fclose(f), 0);
	}
	body =
	    s2p_xasprintf("{\"plex_url\": \"https://127.0.0.1:%d\", "
			  "\"plex_token\": \"%s\", \"plex_ca_file\": \"%s\"}",
		e.plex_port, e.token, pem);
	assert_int_equal(h_post(e.stash_ctl, "/settings", body), 200);
	free(body);
	run_health(&e, &r);
	assert_non_null(find_line(&r, "TLS: CA certificates from */ca.pem"));
	assert_null(find_line(&r, "*no CA cert*"));
	h_run_free(&r);
	free(pem);
	h_stop(&e);
}

static void
test_health__plex_accepts_and_never_answers(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: CLOSED (no state file)"},
	    {'w', "FAIL: Plex is UNREACHABLE (*)"},
	    {'i', "Verify Plex URL and network connectivity"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *msg;
	json_t *reqs;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	assert_int_equal(set_fault(&e, "{\"mode\": \"hang\"}"), 200);
	run_health(&e, &r);
	/* Informational only (no timed assertion): the probe bound is 5 s. */
	printf("health check against a hanging Plex returned after %.0f ms\n",
	    r.ms);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is not healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	/* The fake really received the probe and held it: a held request is
	 * recorded (status 0) once the fault ends. */
	assert_int_equal(set_fault(&e, "{\"mode\": \"none\"}"), 200);
	{
		double end = h_mono() + 10;

		for (;;) {
			reqs = h_get(e.plex_ctl, "/requests");
			if (json_array_size(reqs) > 0 || h_mono() > end)
				break;
			json_decref(reqs);
			h_sleep(0.05);
		}
	}
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(reqs, 0),
				    "path")),
	    "/identity");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(reqs, 0),
				 "status")),
	    0);
	json_decref(reqs);
	h_stop(&e);
}

static void
test_health__token_rejected(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: CLOSED (no state file)"},
	    {'w', "FAIL: Plex is reachable but REJECTED the token (HTTP 401)"},
	    {'i', "Check the plex_token setting"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	static const char wrong[] = "wrong-token-5d1e7b";
	struct h_env e;
	struct h_run r;
	char *msg;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);

	/* 1. A wrong token in the settings: /identity (open) answers, the
	 * library call is refused. */
	{
		char *js =
		    s2p_xasprintf("{\"plex_url\": \"http://127.0.0.1:%d\", "
				  "\"plex_token\": \"%s\"}",
			e.plex_port, wrong);

		assert_int_equal(h_post(e.stash_ctl, "/settings", js), 200);
		free(js);
	}
	run_health(&e, &r);
	msg = check_common(&e, &r, wrong);
	assert_string_equal(msg, "Plex is not healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);

	/* 2. The right token, revoked on the server (library paths). */
	assert_int_equal(h_settings(&e, NULL), 0);
	assert_int_equal(set_fault(&e,
			     "{\"mode\": \"reject_token\", "
			     "\"path_prefix\": \"/library\"}"),
	    200);
	run_health(&e, &r);
	msg = check_common(&e, &r, wrong);
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);

	/* 3. A server that answers 401 to everything, /identity included, is
	 * reachable: still the token message, not UNREACHABLE. */
	assert_int_equal(set_fault(&e, "{\"mode\": \"reject_token\"}"), 200);
	run_health(&e, &r);
	msg = check_common(&e, &r, wrong);
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	assert_int_equal(set_fault(&e, "{\"mode\": \"none\"}"), 200);
	h_stop(&e);
}

static void
test_health__corrupt_state_file(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'w', "Circuit Breaker State: UNKNOWN (corrupted state file)"},
	    {'i', "OK: Plex is HEALTHY (responded in *ms)"},
	    {'i', "Queue: empty"},
	    {'i', "=== Health Check Complete ==="},
	};
	static const char garbage[] = "{\"state\": \"op\x01\xff garbage";
	struct h_env e;
	struct h_run r;
	char *msg, *after;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	assert_int_equal(h_write_data(&e, "circuit_breaker.json", garbage), 0);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	/* A status view: the file is left as it was. */
	after = h_read_data(&e, "circuit_breaker.json");
	assert_string_equal(after, garbage);
	free(after);
	/* Valid JSON of the wrong shape is corrupt too. */
	assert_int_equal(h_write_data(&e, "circuit_breaker.json",
			     "{\"state\": \"open\", \"failure_count\": \"5\"}"),
	    0);
	h_run_free(&r);
	run_health(&e, &r);
	free(msg);
	msg = check_common(&e, &r, NULL);
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	h_stop(&e);
}

static void
test_health__open_breaker_with_queued_jobs(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: OPEN"},
	    {'i', "Circuit opened *s ago"},
	    {'w', "FAIL: Plex is UNREACHABLE (*)"},
	    {'i', "Verify Plex URL and network connectivity"},
	    {'i', "Queue: 3 pending item(s)"},
	    {'w', "3 job(s) waiting for Plex to recover"},
	    {'i', "=== Health Check Complete ==="},
	};
	static const struct want w_healthy[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: OPEN"},
	    {'i', "Circuit opened *s ago"},
	    {'i', "OK: Plex is HEALTHY (responded in *ms)"},
	    {'i', "Queue: 3 pending item(s)"},
	    {'w', "3 job(s) waiting for Plex to recover"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *msg, *before, *after, *wlog;
	long ago = -1;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	queue_scenes(&e, 3);
	write_open_breaker(&e, 30);
	before = h_read_data(&e, "circuit_breaker.json");

	/* Plex down while the breaker is OPEN. */
	assert_int_equal(set_fault(&e, "{\"mode\": \"down\"}"), 200);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is not healthy");
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(sscanf(find_line(&r, "Circuit opened *"),
			     "Circuit opened %lds ago", &ago),
	    1);
	assert_in_range(ago, 30, 40);
	free(msg);
	h_run_free(&r);

	/* Plex back, breaker still OPEN: healthy, and still nothing drains. */
	assert_int_equal(set_fault(&e, "{\"mode\": \"none\"}"), 200);
	h_delete(e.plex_ctl, "/requests");
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	assert_string_equal(msg, "Plex is healthy");
	expect_lines(&r, w_healthy, sizeof(w_healthy) / sizeof(w_healthy[0]));
	free(msg);
	h_run_free(&r);

	/* Never drains, never starts a worker, never writes the breaker. */
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 3);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM job WHERE "
			     "state = 'pending'"),
	    3);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	assert_int_equal(h_count_requests(&e, "GET", "/library/metadata"), 0);
	wlog = h_read_data(&e, "stash2plex.log");
	assert_string_equal(wlog, "");
	free(wlog);
	after = h_read_data(&e, "circuit_breaker.json");
	assert_string_equal(after, before);
	free(after);
	free(before);
	h_stop(&e);
}

static void
test_health__open_past_timeout_is_half_open(void **state)
{
	static const struct want w[] = {
	    {'i', "=== Plex Health Check ==="},
	    {'i', "Circuit Breaker State: HALF_OPEN"},
	    {'i', "OK: Plex is HEALTHY (responded in *ms)"},
	    {'i', "Queue: 2 pending item(s)"},
	    {'i', "=== Health Check Complete ==="},
	};
	struct h_env e;
	struct h_run r;
	char *msg;

	(void)state;
	assert_int_equal(h_start(&e, 5, 1, NULL, NULL), 0);
	queue_scenes(&e, 2);
	/* Stored OPEN, 120 s ago: past the 60 s recovery timeout. */
	write_open_breaker(&e, 120);
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	/* Stored HALF_OPEN reads the same. */
	{
		double t = h_wall() - 90;
		char *doc = s2p_xasprintf("{\"state\": \"half_open\", "
					  "\"failure_count\": 0, "
					  "\"success_count\": 0, "
					  "\"opened_at\": %.3f}",
		    t);

		assert_int_equal(h_write_data(&e, "circuit_breaker.json", doc),
		    0);
		free(doc);
	}
	run_health(&e, &r);
	msg = check_common(&e, &r, NULL);
	expect_lines(&r, w, sizeof(w) / sizeof(w[0]));
	free(msg);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 2);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health__healthy_no_state_file),
	    cmocka_unit_test(test_health__plex_refuses_connections),
	    cmocka_unit_test(test_health__https_without_ca_bundle),
	    cmocka_unit_test(test_health__plex_accepts_and_never_answers),
	    cmocka_unit_test(test_health__token_rejected),
	    cmocka_unit_test(test_health__corrupt_state_file),
	    cmocka_unit_test(test_health__open_breaker_with_queued_jobs),
	    cmocka_unit_test(test_health__open_past_timeout_is_half_open),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
