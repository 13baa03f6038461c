/*
 * test_cabundle.c - where HTTPS certificates come from: plex_ca_file, then
 * SSL_CERT_FILE, SSL_CERT_DIR and the usual paths; a named but unreadable
 * source is reported as such; with nothing found, an https request fails
 * at once with one plain line naming SSL_CERT_FILE and plex_ca_file, while
 * a found bundle lets the request go on to the network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "net/cabundle.h"
#include "net/http.h"

struct fx {
	char dir[64];
	char pem[96];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/s2p-ca-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->pem, sizeof(f->pem), "%s/bundle.pem", f->dir);
	fp = fopen(f->pem, "w");
	assert_non_null(fp);
	fputs("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", fp);
	fclose(fp);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->pem);
	rmdir(f->dir);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	free(f);
	return 0;
}

static const char *const no_paths[] = {"/nonexistent/s2p/ca.crt", NULL};

static void
test_cabundle__setting_wins_over_environment(void **state)
{
	struct fx *f = *state;
	struct s2p_ca ca;

	setenv("SSL_CERT_FILE", "/nonexistent/env.pem", 1);
	s2p_ca_find(f->pem, no_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_FILE);
	assert_string_equal(ca.path, f->pem);
}

static void
test_cabundle__unreadable_setting_is_named(void **state)
{
	struct s2p_ca ca;

	(void)state;
	s2p_ca_find("/nonexistent/plex-ca.pem", s2p_ca_default_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_NONE);
	assert_non_null(
	    strstr(ca.msg, "plex_ca_file=/nonexistent/plex-ca.pem"));
	assert_non_null(strstr(ca.msg, "cannot be read"));
}

static void
test_cabundle__ssl_cert_file_then_dir(void **state)
{
	struct fx *f = *state;
	struct s2p_ca ca;

	setenv("SSL_CERT_FILE", f->pem, 1);
	s2p_ca_find("", no_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_FILE);
	assert_string_equal(ca.path, f->pem);

	unsetenv("SSL_CERT_FILE");
	setenv("SSL_CERT_DIR", f->dir, 1);
	s2p_ca_find(NULL, no_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_DIR);
	assert_string_equal(ca.path, f->dir);

	/* A file given as the directory is refused by name. */
	setenv("SSL_CERT_DIR", f->pem, 1);
	s2p_ca_find(NULL, no_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_NONE);
	assert_non_null(strstr(ca.msg, "SSL_CERT_DIR="));
}

static void
test_cabundle__missing_env_file_is_named(void **state)
{
	struct s2p_ca ca;

	(void)state;
	setenv("SSL_CERT_FILE", "/nonexistent/env.pem", 1);
	s2p_ca_find(NULL, s2p_ca_default_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_NONE);
	assert_non_null(strstr(ca.msg, "SSL_CERT_FILE=/nonexistent/env.pem"));
}

static void
test_cabundle__search_list_in_order(void **state)
{
	struct fx *f = *state;
	const char *paths[] = {"/nonexistent/a.crt", f->dir, f->pem, NULL};
	struct s2p_ca ca;

	/* A directory in the file list is skipped, the file after it taken. */
	s2p_ca_find(NULL, paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_FILE);
	assert_string_equal(ca.path, f->pem);

	s2p_ca_find(NULL, no_paths, &ca);
	assert_int_equal(ca.kind, S2P_CA_NONE);
	assert_non_null(strstr(ca.msg, "no CA certificate bundle found"));
	assert_non_null(strstr(ca.msg, "SSL_CERT_FILE"));
	assert_non_null(strstr(ca.msg, "plex_ca_file"));
	assert_null(strchr(ca.msg, '\n'));
}

static void
test_cabundle__default_paths_cover_the_distributions(void **state)
{
	const char *want[] = {"/etc/ssl/certs/ca-certificates.crt",
	    "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", NULL};
	size_t i, j;

	(void)state;
	for (i = 0; want[i] != NULL; i++) {
		for (j = 0; s2p_ca_default_paths[j] != NULL; j++)
			if (strcmp(s2p_ca_default_paths[j], want[i]) == 0)
				break;
		assert_non_null(s2p_ca_default_paths[j]);
	}
}

/* An https request without certificates fails before any network I/O,
 * with the same plain line; an http one is not affected by it. */
static void
test_cabundle__https_request_without_bundle_says_so(void **state)
{
	struct s2p_http_opts o = {500, 1000, 0, "/nonexistent/plex-ca.pem"};
	const char *const hdrs[] = {NULL};
	struct s2p_http_req req = {"GET", "https://127.0.0.1:1/identity", hdrs,
	    NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	struct s2p_error err;
	struct s2p_http *h;

	(void)state;
	assert_int_equal(s2p_http_new(&h, &o, &err), S2P_OK);
	assert_int_equal(s2p_http_do(h, &req, &resp, &err), S2P_EDOWN);
	assert_non_null(
	    strstr(err.msg, "plex_ca_file=/nonexistent/plex-ca.pem"));
	assert_non_null(strstr(err.msg, "https://127.0.0.1:1/identity"));
	assert_int_equal(resp.status, 0);
	s2p_http_resp_free(&resp);

	/* http:// goes to the network: port 1 refuses, curl says so. */
	req.url = "http://127.0.0.1:1/identity";
	assert_int_equal(s2p_http_do(h, &req, &resp, &err), S2P_EDOWN);
	assert_null(strstr(err.msg, "plex_ca_file"));
	s2p_http_resp_free(&resp);
	s2p_http_free(h);
}

/* With a bundle found, an https request reaches the network. */
static void
test_cabundle__https_request_with_bundle_connects(void **state)
{
	struct fx *f = *state;
	struct s2p_http_opts o = {500, 1000, 0, NULL};
	const char *const hdrs[] = {NULL};
	struct s2p_http_req req = {"GET", "https://127.0.0.1:1/identity", hdrs,
	    NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	struct s2p_error err;
	struct s2p_http *h;

	o.ca_file = f->pem;
	assert_int_equal(s2p_http_new(&h, &o, &err), S2P_OK);
	assert_int_equal(s2p_http_do(h, &req, &resp, &err), S2P_EDOWN);
	assert_null(strstr(err.msg, "CA cert"));
	assert_non_null(strstr(err.msg, "https://127.0.0.1:1/identity"));
	s2p_http_resp_free(&resp);
	s2p_http_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_cabundle__setting_wins_over_environment, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__unreadable_setting_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__ssl_cert_file_then_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__missing_env_file_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cabundle__search_list_in_order,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__default_paths_cover_the_distributions, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__https_request_without_bundle_says_so, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_cabundle__https_request_with_bundle_connects, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
