/*
 * test_daemon.c - `stash2plex daemon` and its status endpoint, with the
 * real binaries (stash2plex, stash2plex-statusd), the real fakes and real
 * signals:
 *  - a hook with the daemon running only enqueues (no worker is spawned:
 *    none ever writes the detached worker's log) and the daemon drains the
 *    job (woken by the doorbell);
 *  - SIGTERM while a Plex request hangs: the daemon exits 0 well within a
 *    generous bound and leaves the job pending, not 'running', with no
 *    attempt used (the measured stop time is printed; `make bench` style
 *    figures are not asserted);
 *  - SIGHUP makes the daemon re-read its settings: a status_listen saved in
 *    Stash afterwards starts the endpoint;
 *  - during a Plex outage (breaker OPEN after real failures) /healthz stays
 *    200 with the breaker state in its body, /status is a JSON object,
 *    /metrics passes `promtool check metrics` and shows the open breaker;
 *    after SIGKILL of the daemon /healthz answers 503.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#ifndef STATUSD_BIN
#define STATUSD_BIN ""
#endif

#define COOKIE "sess-cookie-77e1"

/* Daemons started, killed by the group teardown should a test fail
 * halfway (a stopped one is a harmless ESRCH). */
static pid_t started[8];
static int nstarted;

static int
kill_leftovers(void **state)
{
	(void)state;
	for (int i = 0; i < nstarted; i++)
		if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
			(void)waitpid(started[i], NULL, 0);
	return 0;
}

/* The daemon under test. */
struct daemon {
	struct h_proc p;
	char env[4][400];
	const char *envp[5];
};

static void
daemon_start(struct h_env *e, struct daemon *d)
{
	static const char *const argv[] = {"daemon", "--session-cookie", COOKIE,
	    NULL};

	memset(d, 0, sizeof(*d));
	snprintf(d->env[0], sizeof(d->env[0]), "STASH2PLEX_DATA_DIR=%s/data",
	    e->dir);
	snprintf(d->env[1], sizeof(d->env[1]),
	    "STASH2PLEX_STASH_URL=http://127.0.0.1:%d", e->stash_port);
	snprintf(d->env[2], sizeof(d->env[2]), "STASH2PLEX_STATUSD=%s",
	    STATUSD_BIN);
	/* Only SIGHUP (or the settings file) makes it look at Stash again. */
	snprintf(d->env[3], sizeof(d->env[3]), "STASH2PLEX_SETTINGS_POLL=3600");
	for (int i = 0; i < 4; i++)
		d->envp[i] = d->env[i];
	d->envp[4] = NULL;
	assert_int_equal(h_spawn_cli(e, argv, d->envp, "daemon", &d->p), 0);
	if (nstarted < 8)
		started[nstarted++] = d->p.pid;
}

/* The daemon's log (its stderr) so far; caller frees. */
static char *
daemon_log(struct daemon *d)
{
	FILE *f = fopen(d->p.err, "r");
	char *s = s2p_xcalloc(1, 1 << 20);

	if (f != NULL) {
		size_t n = fread(s, 1, (1 << 20) - 1, f);

		s[n] = '\0';
		fclose(f);
	}
	return s;
}

/* Wait until the daemon's log holds needle (max secs). 0 when it does. */
static int
wait_daemon_log(struct daemon *d, const char *needle, double secs)
{
	double end = h_mono() + secs;

	while (h_mono() < end) {
		char *s = daemon_log(d);
		int found = strstr(s, needle) != NULL;

		free(s);
		if (found)
			return 0;
		h_sleep(0.05);
	}
	fprintf(stderr, "daemon log never showed \"%s\":\n", needle);
	{
		char *s = daemon_log(d);

		fprintf(stderr, "%s\n", s);
		free(s);
	}
	return -1;
}

/* Stop the daemon with sig and return its exit status; *secs gets how
 * long it took. */
static int
daemon_signal_wait(struct daemon *d, int sig, double *secs)
{
	struct h_run r;
	double t0 = h_mono();
	int status;

	assert_int_equal(kill(d->p.pid, sig), 0);
	assert_int_equal(h_wait_plugin(&d->p, &r), 0);
	for (int i = 0; i < nstarted; i++)
		if (started[i] == d->p.pid)
			started[i] = 0; /* reaped: never signal it again */
	if (secs != NULL)
		*secs = h_mono() - t0;
	status = r.status;
	h_run_free(&r);
	return status;
}

static char *
hook_args(int id)
{
	return s2p_xasprintf("{\"mode\": \"hook\", \"hookContext\": {\"id\": "
			     "%d, \"type\": \"Scene.Update.Post\", \"input\": "
			     "{\"id\": \"%d\", \"title\": \"x\", \"details\": "
			     "\"y\"}, \"inputFields\": [\"id\", \"title\", "
			     "\"details\"]}}",
	    id, id);
}

static void
run_hook(struct h_env *e, int id)
{
	char *args = hook_args(id);
	struct h_run r;

	assert_int_equal(h_run_plugin(e, args, NULL, &r), 0);
	if (r.status != 0 || strstr(r.out, "queued scene") == NULL)
		fprintf(stderr, "hook: %d\n%s\n%s\n", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued scene"));
	h_run_free(&r);
	free(args);
}

/* Wait until sql gives want (max secs). 0 when it does. */
static int
wait_db(struct h_env *e, const char *sql, long want, double secs)
{
	double end = h_mono() + secs;

	while (h_mono() < end) {
		if (h_db_long(e, sql) == want)
			return 0;
		h_sleep(0.05);
	}
	fprintf(stderr, "%s: %ld, expected %ld\n", sql, h_db_long(e, sql),
	    want);
	return -1;
}

/* A loopback port nobody listens on right now. */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* GET http://127.0.0.1:port/path: HTTP status (0: no answer), body in
 * *body (new). */
static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct s2p_buf *b = arg;

	return s2p_buf_add(b, p, size * n) == S2P_OK ? size * n : 0;
}

static long
http_get(int port, const char *path, char **body)
{
	CURL *c = curl_easy_init();
	struct s2p_buf b;
	char url[128];
	long status = 0;

	s2p_buf_init(&b, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	*body = s2p_buf_take(&b);
	return status;
}

/* Wait until port answers path with want (max secs). */
static int
wait_http(int port, const char *path, long want, double secs)
{
	double end = h_mono() + secs;
	long st = 0;

	while (h_mono() < end) {
		char *body;

		st = http_get(port, path, &body);
		free(body);
		if (st == want)
			return 0;
		h_sleep(0.1);
	}
	fprintf(stderr, "GET %s on %d: %ld, expected %ld\n", path, port, st,
	    want);
	return -1;
}

/* Hooks with the daemon running only enqueue; the daemon drains at once. */
static void
test_daemon__hook_enqueues_daemon_drains(void **state)
{
	struct h_env e;
	struct daemon d;
	double secs = 0;
	char *log;
	int st;

	(void)state;
	assert_int_equal(h_start(&e, 8, 3, NULL, NULL), 0);
	daemon_start(&e, &d);
	assert_int_equal(wait_daemon_log(&d, "started (pid", 20), 0);
	/* Past its first run: idle and waiting on the doorbell. */
	assert_int_equal(wait_daemon_log(&d, "waiting for work", 30), 0);
	run_hook(&e, 3);
	run_hook(&e, 5);
	assert_int_equal(wait_db(&e, "SELECT count(*) FROM job", 0, 30), 0);
	assert_int_equal(wait_daemon_log(&d, "Synced scene 3", 5), 0);
	assert_int_equal(wait_daemon_log(&d, "Synced scene 5", 5), 0);
	assert_true(h_count_requests(&e, "PUT", "/library/") >= 2);
	/* No detached worker was ever started: none wrote its log. */
	log = h_read_data(&e, "stash2plex.log");
	if (strstr(log, "Background worker started") != NULL)
		fprintf(stderr, "a worker was spawned:\n%s\n", log);
	assert_null(strstr(log, "Background worker started"));
	free(log);
	st = daemon_signal_wait(&d, SIGTERM, &secs);
	printf("daemon stop time after SIGTERM while idle: %.3f s\n", secs);
	assert_int_equal(st, 0);
	h_stop(&e);
}

/* SIGTERM while the job's Plex request hangs. */
static void
test_daemon__sigterm_releases_job_in_flight(void **state)
{
	struct h_env e;
	struct daemon d;
	double secs = 0;
	int st;

	(void)state;
	assert_int_equal(h_start(&e, 8, 4, NULL, NULL), 0);
	daemon_start(&e, &d);
	assert_int_equal(wait_daemon_log(&d, "waiting for work", 30), 0);
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"hang\", \"path_prefix\": "
			     "\"/library/metadata/\"}"),
	    200);
	run_hook(&e, 4);
	assert_int_equal(wait_db(&e,
			     "SELECT count(*) FROM job WHERE state = 'running'",
			     1, 30),
	    0);
	/* The claim is made before the request: give it time to hang. */
	h_sleep(0.5);
	st = daemon_signal_wait(&d, SIGTERM, &secs);
	printf("daemon stop time after SIGTERM with a hung Plex request: "
	       "%.3f s\n",
	    secs);
	assert_int_equal(st, 0);
	assert_true(secs < 5.0);
	assert_int_equal(
	    h_db_long(&e, "SELECT count(*) FROM job WHERE state = 'running'"),
	    0);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM job WHERE scene_id = 4 AND "
			     "state = 'pending' AND attempts = 0"),
	    1);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	h_stop(&e);
}

/* Runs `promtool check metrics` on text; its exit status. */
static int
promtool(struct h_env *e, const char *text)
{
	char path[300], *cmd;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/metrics.txt", e->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	cmd = s2p_xasprintf("promtool check metrics < '%s'", path);
	rc = system(cmd);
	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The endpoint during a Plex outage, after SIGHUP brought it up. */
static void
check_outage_endpoint(struct h_env *e, int port)
{
	char *body;
	json_t *j;
	long st;

	st = http_get(port, "/healthz", &body);
	printf("/healthz during the outage: %ld %s\n", st, body);
	assert_int_equal(st, 200);
	assert_non_null(strstr(body, "\"breaker\":\"OPEN\""));
	free(body);
	st = http_get(port, "/status", &body);
	assert_int_equal(st, 200);
	j = json_loads(body, 0, NULL);
	assert_true(json_is_object(j));
	/* The document of `status --json` (app/status.c, docs/cli.md). */
	assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(j, "breaker"),
				    "state")),
	    "open");
	assert_true(json_is_object(json_object_get(j, "queue")));
	json_decref(j);
	free(body);
	st = http_get(port, "/metrics", &body);
	assert_int_equal(st, 200);
	printf("/metrics (first lines):\n%.1200s\n", body);
	assert_non_null(
	    strstr(body, "stash2plex_breaker_state{state=\"open\"} 1"));
	assert_non_null(
	    strstr(body, "stash2plex_jobs_total{outcome=\"failed\"}"));
	assert_non_null(
	    strstr(body, "stash2plex_plex_request_duration_seconds_count"));
	assert_non_null(
	    strstr(body, "\nstash2plex_last_sync_timestamp_seconds "));
	if (system("command -v promtool >/dev/null") != 0) {
		fprintf(stderr,
		    "SKIPPED: promtool is not installed (Debian "
		    "package prometheus; scripts/install-deps.sh)\n");
		free(body);
		skip();
	}
	assert_int_equal(promtool(e, body), 0);
	/* promtool must be able to say no. */
	assert_int_not_equal(promtool(e, "stash2plex_x{ 1\n"), 0);
	free(body);
}

static void
test_daemon__sighup_endpoint_outage(void **state)
{
	struct h_env e;
	struct daemon d;
	char *extra, *log, *p, *body;
	int port = free_port(), id;
	pid_t statusd;

	(void)state;
	assert_int_equal(h_start(&e, 10, 5, NULL, NULL), 0);
	daemon_start(&e, &d);
	assert_int_equal(wait_daemon_log(&d, "waiting for work", 30), 0);
	assert_int_equal(http_get(port, "/healthz", &body), 0);
	free(body);
	/* A setting changed in Stash: picked up on SIGHUP (the poll is an
	 * hour). */
	extra = s2p_xasprintf("\"status_listen\": \"%d\"", port);
	assert_int_equal(h_settings(&e, extra), 0);
	free(extra);
	assert_int_equal(kill(d.p.pid, SIGHUP), 0);
	assert_int_equal(wait_daemon_log(&d, "SIGHUP", 10), 0);
	assert_int_equal(wait_http(port, "/healthz", 200, 20), 0);
	/* Plex goes down; six edits fail against it and open the breaker. */
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"down\"}"),
	    200);
	for (id = 1; id <= 6; id++)
		run_hook(&e, id);
	assert_int_equal(wait_daemon_log(&d, "Circuit breaker OPEN", 60), 0);
	/* The counts reach the database at the end of the minute or run:
	 * /metrics shows the breaker from its file at once. */
	check_outage_endpoint(&e, port);
	/* The daemon dies without a word: the endpoint says so. */
	log = daemon_log(&d);
	p = strstr(log, "Status endpoint starting on");
	assert_non_null(p);
	p = strstr(p, "(pid ");
	assert_non_null(p);
	statusd = (pid_t)atol(p + 5);
	free(log);
	assert_int_equal(daemon_signal_wait(&d, SIGKILL, NULL), 128 + SIGKILL);
	assert_int_equal(wait_http(port, "/healthz", 503, 10), 0);
	assert_int_equal(kill(statusd, SIGTERM), 0);
	/* Nothing was lost: every edited scene is still queued. */
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 6);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	h_stop(&e);
}

/* Occurrences of needle in the daemon's log. */
static int
log_count(struct daemon *d, const char *needle)
{
	char *s = daemon_log(d);
	int n = h_count_str(s, needle);

	free(s);
	return n;
}

/* reconcile_interval runs on time in the daemon, with no task run: at
 * start (never done before), then again as soon as the interval has
 * passed (the last run is moved back to 5 s before due). */
static void
test_daemon__scheduled_reconcile_on_time(void **state)
{
	struct h_env e;
	struct daemon d;
	double end;

	(void)state;
	assert_int_equal(h_start(&e, 6, 6, NULL, NULL), 0);
	assert_int_equal(h_settings(&e,
			     "\"reconcile_interval\": \"hourly\", "
			     "\"reconcile_scope\": \"all\""),
	    0);
	daemon_start(&e, &d);
	assert_int_equal(wait_daemon_log(&d, "Automatic reconcile (hourly", 30),
	    0);
	assert_int_equal(wait_daemon_log(&d, "waiting for work", 60), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(log_count(&d, "Automatic reconcile (hourly"), 1);
	assert_int_equal(h_db_long(&e,
			     "UPDATE kv SET value = CAST(strftime('%s', 'now') "
			     "- 3595 AS TEXT) WHERE key = "
			     "'last_auto_reconcile' "
			     "RETURNING 1"),
	    1);
	end = h_mono() + 60;
	while (
	    log_count(&d, "Automatic reconcile (hourly") < 2 && h_mono() < end)
		h_sleep(0.2);
	assert_int_equal(log_count(&d, "Automatic reconcile (hourly"), 2);
	assert_int_equal(wait_db(&e, "SELECT count(*) FROM job", 0, 60), 0);
	assert_int_equal(daemon_signal_wait(&d, SIGTERM, NULL), 0);
	h_stop(&e);
}

/* A resident worker (Stash as PID 1) never idles out: a daemon started
 * after it rings it to leave and takes the lock. */
static void
test_daemon__takes_over_from_resident_worker(void **state)
{
	static const char *const resident[] = {"STASH2PLEX_RESIDENT=1", NULL};
	struct h_env e;
	struct daemon d;
	struct h_run r;
	char *args = hook_args(2);

	(void)state;
	assert_int_equal(h_start(&e, 4, 7, NULL, NULL), 0);
	assert_int_equal(h_run_plugin(&e, args, resident, &r), 0);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	free(args);
	assert_int_equal(h_wait_log(&e, "Background worker is resident", 1, 20),
	    0);
	assert_int_equal(h_wait_log(&e, "waiting for work", 1, 30), 0);
	daemon_start(&e, &d);
	assert_int_equal(wait_daemon_log(&d, "started (pid", 30), 0);
	assert_int_equal(h_wait_log(&e, "hands over and exits", 1, 5), 0);
	run_hook(&e, 3);
	assert_int_equal(wait_daemon_log(&d, "Synced scene 3", 30), 0);
	assert_int_equal(daemon_signal_wait(&d, SIGTERM, NULL), 0);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemon__hook_enqueues_daemon_drains),
	    cmocka_unit_test(test_daemon__sigterm_releases_job_in_flight),
	    cmocka_unit_test(test_daemon__sighup_endpoint_outage),
	    cmocka_unit_test(test_daemon__scheduled_reconcile_on_time),
	    cmocka_unit_test(test_daemon__takes_over_from_resident_worker),
	};

	if (STATUSD_BIN[0] == '\0') {
		fprintf(stderr,
		    "SKIPPED: stash2plex-statusd was not built "
		    "(S2P_STATUSD=OFF)\n");
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, kill_leftovers);
}
