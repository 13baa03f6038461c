/*
 * test_https.c - Plex over HTTPS (issue 10, item 2), through the real
 * stash2plex binary against fake-plex serving TLS with a self-signed
 * certificate made at test time (openssl req): refused without the CA, with
 * one line naming the setting to change, no breaker count and the queue
 * kept; the plex.direct advice for an IP address; accepted with
 * plex_ca_file; accepted with plex_tls_insecure, which warns on every run.
 * Skips (77) when openssl or a TLS-capable libmicrohttpd is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "harness.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
static char certdir[256];

static void
run_task(struct h_env *e, const char *mode, struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);

	assert_int_equal(h_run_plugin(e, args, no_autodrain, r), 0);
	free(args);
}

/* Start the fakes with fake-plex on HTTPS, settings from extra (plex_url
 * included), and queue every scene. */
static void
start_tls(struct h_env *e, int seed, const char *extra_fmt)
{
	char *pa = s2p_xasprintf("--tls-cert %s/cert.pem --tls-key %s/key.pem",
	    certdir, certdir);
	char *extra;
	struct h_run r;

	assert_int_equal(h_start(e, 3, seed, pa, NULL), 0);
	free(pa);
	extra = s2p_xasprintf(extra_fmt, e->plex_port, certdir);
	assert_int_equal(h_settings(e, extra), 0);
	free(extra);
	run_task(e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
}

/* The first line of text holding needle, printed (real output for the
 * report); 1 when there is one. */
static int
show_line(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *b;

	if (p == NULL)
		return 0;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	printf("  > %.*s\n", (int)strcspn(b, "\n"), b);
	return 1;
}

/* Without the CA: the run stops with one line naming plex_ca_file and
 * plex_tls_insecure, the jobs stay queued, the breaker counts nothing;
 * a second run does the same (no retry loop, no dead letters). */
static void
test_https__refused_without_the_ca(void **state)
{
	struct h_env e;
	struct h_run r;
	char *both, *br;
	int i;

	(void)state;
	start_tls(&e, 71, "\"plex_url\": \"https://localhost:%d\"%.0s");
	for (i = 0; i < 2; i++) {
		run_task(&e, "process_queue", &r);
		both = s2p_xasprintf("%s\n%s", r.out, r.err);
		assert_true(
		    show_line(both, "Plex's certificate is not accepted"));
		assert_non_null(strstr(both, "plex_ca_file"));
		assert_non_null(strstr(both, "plex_tls_insecure"));
		/* the worker's line and the task's error, nothing more */
		assert_true(
		    h_count_str(r.err, "certificate is not accepted") <= 2);
		free(both);
		h_run_free(&r);
	}
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 3);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM job WHERE "
			     "attempts > 0"),
	    0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	br = h_read_data(&e, "circuit_breaker.json");
	assert_null(strstr(br, "\"failure_count\": 1"));
	assert_null(strstr(br, "\"failure_count\":1"));
	assert_null(strstr(br, "open"));
	free(br);
	/* the fake never saw a request: nothing was sent in the clear */
	assert_int_equal(h_count_requests(&e, "GET", "/"), 0);
	h_stop(&e);
}

/* https://<IP>:port can never match a Plex certificate: the message says
 * so and gives the plex.direct form. */
static void
test_https__ip_address_gets_plex_direct_advice(void **state)
{
	struct h_env e;
	struct h_run r;
	char *both, *want;

	(void)state;
	start_tls(&e, 72,
	    "\"plex_url\": \"https://127.0.0.1:%d\", "
	    "\"plex_ca_file\": \"%s/cert.pem\"");
	run_task(&e, "process_queue", &r);
	both = s2p_xasprintf("%s\n%s", r.out, r.err);
	want = s2p_xasprintf("set plex_url to https://127-0-0-1.<server id>."
			     "plex.direct:%d",
	    e.plex_port);
	assert_true(show_line(both, "*.plex.direct"));
	assert_non_null(strstr(both, want));
	free(want);
	free(both);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 3);
	h_stop(&e);
}

/* plex_ca_file naming the certificate: everything syncs over HTTPS. */
static void
test_https__accepted_with_plex_ca_file(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	start_tls(&e, 73,
	    "\"plex_url\": \"https://localhost:%d\", "
	    "\"plex_ca_file\": \"%s/cert.pem\"");
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "\"error\""));
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	assert_true(h_count_requests(&e, "PUT", "/library/sections/") > 0);
	h_stop(&e);
}

/* plex_tls_insecure: accepted even for an IP address, with a warning on
 * every run. */
static void
test_https__accepted_with_plex_tls_insecure(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	start_tls(&e, 74,
	    "\"plex_url\": \"https://127.0.0.1:%d\", "
	    "\"plex_tls_insecure\": true%.0s");
	run_task(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "\"error\""));
	assert_true(show_line(r.err, "plex_tls_insecure is on"));
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	run_task(&e, "process_queue", &r);
	assert_int_equal(h_count_str(r.err, "plex_tls_insecure is on"), 1);
	h_run_free(&r);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_https__refused_without_the_ca),
	    cmocka_unit_test(test_https__ip_address_gets_plex_direct_advice),
	    cmocka_unit_test(test_https__accepted_with_plex_ca_file),
	    cmocka_unit_test(test_https__accepted_with_plex_tls_insecure),
	};
	char tmpl[] = "/tmp/s2p-tls-XXXXXX", *cmd;
	int rc;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr,
		    "SKIP: libmicrohttpd was built without TLS; "
		    "the HTTPS tests cannot run here\n");
		return 77;
	}
	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(certdir, sizeof(certdir), "%s", tmpl);
	cmd = s2p_xasprintf(
	    "openssl req -x509 -newkey rsa:2048 -nodes "
	    "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost >/dev/null 2>&1",
	    certdir, certdir);
	rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		fprintf(stderr,
		    "SKIP: `openssl req` failed (is openssl "
		    "installed? scripts/install-deps.sh installs "
		    "it); the HTTPS tests cannot run here\n");
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("HTTPS_ONLY") != NULL)
		cmocka_set_test_filter(getenv("HTTPS_ONLY"));
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cmd = s2p_xasprintf("rm -rf %s", certdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", certdir);
	free(cmd);
	return rc;
}
