/*
 * test_emptyroot.c - a static binary of `make static` runs where nothing of
 * this machine is: a chroot holding only the binary, /etc/resolv.conf, a CA
 * bundle and an empty /tmp (no loader, no libraries, no /dev, no /proc).
 *   test_emptyroot ARCH BINARY
 * x86_64 runs natively; aarch64 and armv7 run under Debian's
 * qemu-user-static, through binfmt_misc when it can be used (registered
 * with the F flag, so the emulator need not be in the root), else with the
 * emulator copied into the root and named explicitly. Against the real
 * fakes over loopback the binary answers hooks, passes the Health Check,
 * syncs a generated library until Plex matches Stash, drains a hook through
 * its detached worker, completes a verified TLS handshake with a local
 * openssl s_server (CA from plex_ca_file, then SSL_CERT_FILE; refused with
 * the wrong CA), and says plainly when the root has no CA bundle.
 * Exit 77 with a loud notice when the binary was not built, when not root,
 * or when qemu is missing. S2P_EMPTYROOT_NO_BINFMT=1 forces the explicit
 * emulator (the fallback) even where binfmt_misc works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define SCENES 30

static const char *arch, *binary;
static char root[400], bin_in_root[] = "/plugin/stash2plex";
static char qemu_in_root[64];
static const char *argv_native[] = {bin_in_root, NULL};
static const char *argv_qemu[] = {qemu_in_root, bin_in_root, NULL};
static const char *mode = "native";
static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

static void
skip_loudly(const char *why)
{
	fprintf(stderr,
	    "\n*** SKIPPED: empty-root test of the static %s binary: %s "
	    "***\n\n",
	    arch, why);
	printf("SKIPPED: %s\n", why);
	exit(77);
}

/* Copy src to dst with mode; 0 on success. */
static int
copy_file(const char *src, const char *dst, mode_t m)
{
	char buf[65536];
	int in = open(src, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, m);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	close(out);
	return n == 0 ? 0 : -1;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static char *
read_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* 1 when binfmt_misc runs this qemu with the F flag (the interpreter is
 * opened at registration, so it works inside any chroot). Mounts
 * binfmt_misc and registers Debian's entry when needed. */
static int
binfmt_ready(const char *qname)
{
	char path[128], conf[128], *t;

	snprintf(path, sizeof(path), "/proc/sys/fs/binfmt_misc/%s", qname);
	if (access("/proc/sys/fs/binfmt_misc/register", F_OK) != 0 &&
	    mount("binfmt_misc", "/proc/sys/fs/binfmt_misc", "binfmt_misc", 0,
		NULL) != 0)
		return 0;
	if (access(path, F_OK) != 0) {
		snprintf(conf, sizeof(conf), "/usr/lib/binfmt.d/%s.conf",
		    qname);
		t = read_text(conf);
		if (t == NULL ||
		    write_file("/proc/sys/fs/binfmt_misc/register", t) != 0)
			return 0;
	}
	t = read_text(path);
	return t != NULL && strncmp(t, "enabled", 7) == 0 &&
	    strstr(t, "flags: ") != NULL && strchr(strstr(t, "flags: "), 'F');
}

/* Lay out the empty root inside the test's directory and point the
 * harness at it; the data directory is reached from outside through
 * e->dir/data (a symlink into the root). */
static void
make_root(struct h_env *e)
{
	char p[600];
	const char *ca = "/etc/ssl/certs/ca-certificates.crt";

	snprintf(root, sizeof(root), "%s/root", e->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/ssl", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/ssl/certs", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/tmp", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chmod(p, 01777), 0);
	snprintf(p, sizeof(p), "%s/plugin", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s%s", root, bin_in_root);
	assert_int_equal(copy_file(binary, p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/resolv.conf", root);
	if (copy_file("/etc/resolv.conf", p, 0644) != 0)
		assert_int_equal(write_file(p, "nameserver 127.0.0.1\n"), 0);
	snprintf(p, sizeof(p), "%s%s", root, ca);
	assert_int_equal(copy_file(ca, p, 0644), 0);
	snprintf(p, sizeof(p), "%s/data", e->dir);
	{
		char target[500];

		snprintf(target, sizeof(target), "%s/plugin/data", root);
		assert_int_equal(symlink(target, p), 0);
	}
	if (qemu_in_root[0] != '\0') {
		char host[128];

		snprintf(host, sizeof(host), "/usr/bin%s", qemu_in_root);
		snprintf(p, sizeof(p), "%s%s", root, qemu_in_root);
		assert_int_equal(copy_file(host, p, 0755), 0);
		h_set_chroot(root, argv_qemu, "/plugin");
	} else {
		h_set_chroot(root, argv_native, "/plugin");
	}
}

static json_t *
run_ok(struct h_env *e, const char *args, const char *const *env,
    struct h_run *r)
{
	json_t *out;

	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	if (r->status != 0)
		fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", r->status,
		    r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	if (out == NULL)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_non_null(out);
	assert_null(json_object_get(out, "error"));
	return out;
}

/* A free loopback TCP port (bound once, then released). */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The TLS server, stopped at exit even when an assertion ends the test. */
static pid_t tls_pid;

static void
stop_tls_server(void)
{
	int st;

	if (tls_pid > 0) {
		kill(tls_pid, SIGTERM);
		waitpid(tls_pid, &st, 0);
		tls_pid = 0;
	}
}

/* A TLS server on 127.0.0.1:port (openssl s_server) with a fresh
 * self-signed certificate for "localhost", serving the files of dir (so
 * GET /identity returns dir/identity). The certificate is dir/cert.pem.
 * Returns the server's pid once it accepts connections. */
static pid_t
start_tls_server(const char *dir, int port)
{
	char cmd[1200], acc[64];
	pid_t pid;
	int i;

	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl req -x509 -newkey "
	    "rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj "
	    "/CN=localhost -addext subjectAltName=DNS:localhost "
	    ">/dev/null 2>&1",
	    dir);
	assert_int_equal(system(cmd), 0);
	snprintf(acc, sizeof(acc), "127.0.0.1:%d", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (chdir(dir) != 0)
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("openssl", "openssl", "s_server", "-accept", acc,
		    "-cert", "cert.pem", "-key", "key.pem", "-WWW", "-quiet",
		    (char *)NULL);
		_exit(127);
	}
	tls_pid = pid;
	atexit(stop_tls_server);
	for (i = 0; i < 200; i++) {
		struct sockaddr_in a;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((unsigned short)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return pid;
		h_sleep(0.05);
	}
	fail_msg("openssl s_server did not start on %s", acc);
	return -1;
}

/* Point the fake Stash's plugin settings at an https Plex URL; ca_file
 * NULL clears plex_ca_file (the fake merges saved settings). */
static void
https_settings(struct h_env *e, int port, const char *ca_file)
{
	char body[400];

	snprintf(body, sizeof(body),
	    "{\"plex_url\": \"https://localhost:%d\", "
	    "\"plex_token\": \"%s\", \"plex_ca_file\": \"%s\"}",
	    port, e->token, ca_file ? ca_file : "");
	assert_int_equal(h_post(e->stash_ctl, "/settings", body), 200);
}

/* HTTPS from inside the root: a real TLS handshake (mbedTLS, entropy
 * without /dev) against a server whose certificate is trusted through
 * plex_ca_file, then through SSL_CERT_FILE; refused with the wrong CA. */
static void
check_tls(struct h_env *e)
{
	char dir[500], p[700];
	const char *const via_env[] = {"STASH2PLEX_AUTODRAIN=0",
	    "SSL_CERT_FILE=/tmp/plex-ca.pem", NULL};
	struct h_run r;
	json_t *out;
	pid_t srv;
	int port = free_port();

	snprintf(dir, sizeof(dir), "%s/tls", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/identity", dir);
	assert_int_equal(write_file(p,
			     "{\"MediaContainer\": {\"size\": 0, "
			     "\"machineIdentifier\": \"tls-in-empty-root\", "
			     "\"version\": "
			     "\"1.40.0\"}}"),
	    0);
	srv = start_tls_server(dir, port);
	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	{
		char in_root[600];

		snprintf(in_root, sizeof(in_root), "%s/tmp/plex-ca.pem", root);
		assert_int_equal(copy_file(p, in_root, 0644), 0);
	}

	/* Trusted through the setting: /identity is read over TLS (the
	 * machine identifier comes from the file the server serves). */
	https_settings(e, port, "/tmp/plex-ca.pem");
	out = run_ok(e, "{\"mode\": \"health_check\"}", no_autodrain, &r);
	if (strstr(r.err, "UNREACHABLE") != NULL)
		fprintf(stderr, "stderr: %s\n", r.err);
	assert_non_null(strstr(r.err,
	    "TLS: CA certificates from "
	    "/tmp/plex-ca.pem"));
	assert_null(strstr(r.err, "UNREACHABLE"));
	json_decref(out);
	h_run_free(&r);

	/* Trusted through SSL_CERT_FILE. */
	https_settings(e, port, NULL);
	out = run_ok(e, "{\"mode\": \"health_check\"}", via_env, &r);
	assert_non_null(strstr(r.err,
	    "TLS: CA certificates from "
	    "/tmp/plex-ca.pem"));
	assert_null(strstr(r.err, "UNREACHABLE"));
	json_decref(out);
	h_run_free(&r);

	/* The root's system bundle does not vouch for this server. */
	out = run_ok(e, "{\"mode\": \"health_check\"}", no_autodrain, &r);
	assert_non_null(strstr(r.err,
	    "TLS: CA certificates from "
	    "/etc/ssl/certs/ca-certificates.crt"));
	assert_non_null(strstr(r.err, "Plex is UNREACHABLE"));
	assert_non_null(strstr(r.err, "verify failed"));
	json_decref(out);
	h_run_free(&r);

	assert_int_equal(srv, tls_pid);
	stop_tls_server();
	printf("[%s] HTTPS: TLS handshake and certificate check work in the "
	       "root\n",
	    arch);
}

static void
test_emptyroot__hook_health_sync_and_ca(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *out;
	char p[600];

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 17, NULL, NULL), 0);
	make_root(&e);
	printf("[%s] running %s in %s (%s)\n", arch, binary, root, mode);

	/* A hook: queued, no network. */
	assert_int_equal(h_post(e.stash_ctl, "/scene/3",
			     "{\"title\": \"Edited in an empty root\"}"),
	    200);
	h_delete(e.plex_ctl, "/requests");
	out = run_ok(&e,
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 3, \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"3\", \"title\": "
	    "\"Edited in an empty root\"}, \"inputFields\": [\"title\"]}}",
	    no_autodrain, &r);
	assert_non_null(strstr(r.out, "queued scene 3"));
	printf("[%s] enqueueing hook: %.1f ms\n", arch, r.ms);
	json_decref(out);
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "GET", "/"), 0);
	out = run_ok(&e,
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 4, \"type\": "
	    "\"Scene.Update.Post\", \"input\": null}}",
	    no_autodrain, &r);
	assert_null(strstr(r.out, "queued"));
	printf("[%s] ignored hook: %.1f ms\n", arch, r.ms);
	json_decref(out);
	h_run_free(&r);

	/* The Health Check reaches the fake Plex over loopback. */
	out = run_ok(&e, "{\"mode\": \"health_check\"}", no_autodrain, &r);
	assert_string_equal(json_string_value(json_object_get(out, "output")),
	    "Plex is healthy");
	assert_non_null(strstr(r.err, "OK: Plex is HEALTHY"));
	json_decref(out);
	h_run_free(&r);

	/* Sync All, then Process Queue in the foreground: Plex matches. */
	out = run_ok(&e, "{\"mode\": \"all\"}", no_autodrain, &r);
	json_decref(out);
	h_run_free(&r);
	out = run_ok(&e, "{\"mode\": \"process_queue\"}", no_autodrain, &r);
	printf("[%s] process queue: %s (%.0f ms)\n", arch,
	    json_string_value(json_object_get(out, "output")), r.ms);
	json_decref(out);
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);

	/* A hook with autodrain on: its detached worker drains the edit. */
	assert_int_equal(h_post(e.stash_ctl, "/scene/7",
			     "{\"title\": \"Drained by the worker\"}"),
	    200);
	{
		const char *const env[] = {"STASH2PLEX_IDLE_EXIT=0.5", NULL};

		out = run_ok(&e,
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 7, "
		    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": "
		    "\"7\", \"title\": \"Drained by the worker\"}, "
		    "\"inputFields\": [\"title\"]}}",
		    env, &r);
		json_decref(out);
		h_run_free(&r);
	}
	/* The hook returned after forking the worker, which holds the lock
	 * until the queue is empty. */
	assert_int_equal(h_wait_worker(&e, 120), 0);
	assert_int_equal(h_unsynced(&e, 0), 0);
	printf("[%s] Plex matches Stash for all %d scenes\n", arch, SCENES);

	check_tls(&e);

	/* No CA bundle in the root and an https Plex URL: one plain line. */
	snprintf(p, sizeof(p), "%s/etc/ssl/certs/ca-certificates.crt", root);
	assert_int_equal(unlink(p), 0);
	{
		char body[300];

		snprintf(body, sizeof(body),
		    "{\"plex_url\": "
		    "\"https://127.0.0.1:%d\", \"plex_token\": \"%s\"}",
		    e.plex_port, e.token);
		assert_int_equal(h_post(e.stash_ctl, "/settings", body), 200);
	}
	out = run_ok(&e, "{\"mode\": \"health_check\"}", no_autodrain, &r);
	assert_string_equal(json_string_value(json_object_get(out, "output")),
	    "Plex is not healthy");
	assert_non_null(strstr(r.err, "no CA certificate bundle found"));
	assert_non_null(strstr(r.err, "SSL_CERT_FILE"));
	assert_non_null(strstr(r.err, "plex_ca_file"));
	json_decref(out);
	h_run_free(&r);
	printf("[%s] without a CA bundle the Health Check says so\n", arch);
	h_set_chroot(NULL, NULL, NULL);
	h_stop(&e);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emptyroot__hook_health_sync_and_ca),
	};
	const char *qname = NULL, *qbin = NULL;
	char host_q[64];

	if (argc != 3) {
		fprintf(stderr, "usage: %s ARCH BINARY\n", argv[0]);
		return 2;
	}
	arch = argv[1];
	binary = argv[2];
	if (access(binary, X_OK) != 0)
		skip_loudly(
		    "no static build here (run `make static`, as .ci/run "
		    "does, to build build/static/<arch>/stash2plex)");
	if (geteuid() != 0)
		skip_loudly("chroot needs root");
	if (strcmp(arch, "aarch64") == 0) {
		qname = "qemu-aarch64";
		qbin = "/qemu-aarch64-static";
	} else if (strcmp(arch, "armv7") == 0) {
		qname = "qemu-arm";
		qbin = "/qemu-arm-static";
	}
	if (qname != NULL) {
		snprintf(host_q, sizeof(host_q), "/usr/bin%s", qbin);
		if (access(host_q, X_OK) != 0)
			skip_loudly(
			    "qemu-user-static is not installed "
			    "(scripts/static/install-deps.sh installs it)");
		/* S2P_EMPTYROOT_NO_BINFMT=1 tries the fallback on purpose. */
		if (getenv("S2P_EMPTYROOT_NO_BINFMT") == NULL &&
		    binfmt_ready(qname)) {
			mode = "qemu-user through binfmt_misc";
		} else {
			snprintf(qemu_in_root, sizeof(qemu_in_root), "%s",
			    qbin);
			mode = "qemu-user copied into the root";
		}
	}
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
