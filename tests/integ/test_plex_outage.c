/*
 * test_plex_outage.c - a real Plex outage, end to end: Sync All starts the
 * detached background worker, fake Plex goes down mid-drain for longer than
 * the breaker's 60 s recovery timeout (real time, no test knobs) and comes
 * back. Proves: nothing is dead-lettered, the breaker opens once (re-opening
 * only after failed trial jobs) and closes once, the queue drains fully,
 * every scene ends up synced, the outage is recorded with its duration and
 * reported by Outage Summary, and the worker's active probes back off 5, 10,
 * 20, 40 (60, 60 with S2P_LONG_TESTS=1) seconds with jitter that only
 * shortens, until a probe passes after Plex returns. The measured probe
 * timeline is printed for the record.
 *
 * Plex is brought back right after a trial job has failed (the breaker's
 * first re-open at OPEN + 60 s), so the outage is always longer than the
 * recovery timeout, and a probe is due before the next trial can close the
 * breaker, so the "health check passed" line is deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/xalloc.h"

#define SCENES 60

#define OPENED_TXT "Circuit breaker OPEN after 5 consecutive"
#define REOPENED_TXT "Circuit breaker OPEN after a failed trial job"
#define HALF_TXT "Circuit breaker HALF_OPEN"
#define CLOSED_TXT "Circuit breaker CLOSED"
#define FAILED_TXT "Plex health check failed (attempt #"
#define PASSED_TXT "Plex health check passed ("

static int
starts(const struct h_logline *ev, const char *prefix)
{
	size_t n = strlen(prefix);

	return ev->len >= n && strncmp(ev->msg, prefix, n) == 0;
}

static int
count_ev(const struct h_log *l, const char *prefix)
{
	size_t i;
	int n = 0;

	for (i = 0; i < l->n; i++)
		n += starts(&l->v[i], prefix);
	return n;
}

/* Length of a message up to its first ':' (the part worth printing). */
static size_t
head_len(const struct h_logline *ev)
{
	size_t i;

	for (i = 0; i < ev->len; i++)
		if (ev->msg[i] == ':')
			return i;
	return ev->len;
}

/* Un-jittered probe gap after n consecutive failed probes. */
static double
nominal(int n)
{
	double g = 5.0;

	while (n-- > 0 && g < 60.0)
		g *= 2.0;
	return g < 60.0 ? g : 60.0;
}

static const char *const autodrain_env[] = {"STASH2PLEX_IDLE_EXIT=2", NULL};
static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

static void
run_task(struct h_env *e, const char *mode, const char *const *env,
    struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);
	json_t *out;

	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	free(args);
	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	assert_non_null(out);
	assert_true(json_is_string(json_object_get(out, "output")));
	json_decref(out);
}

/* Wait until at least n PUTs reached fake Plex. */
static void
wait_puts(struct h_env *e, int n, double secs)
{
	double end = h_mono() + secs;

	while (h_count_requests(e, "PUT", "/library/") < n) {
		assert_true(h_mono() < end);
		h_sleep(0.05);
	}
}

/*
 * The whole scenario. min_attempts: Plex comes back at the first breaker
 * re-open after the worker has logged that many failed probes (3 for the
 * regular test: 5, 10, 20 and the 40 s announcement; 5 for the long one).
 */
static void
outage_scenario(int min_attempts)
{
	struct h_env e;
	struct h_run r;
	struct h_log l;
	double t_down, t_up, wall_up, t_open = 0;
	int reopens_before, last_attempt = 0, passed = 0;
	long dead, jobs;
	size_t k;
	char *hist_text;
	json_t *hist, *rec;
	double last_probe_t = 0, last_next = 5.0;
	int opened_pid = 0, unsynced;

	assert_int_equal(h_start(&e, SCENES, 21, NULL, NULL), 0);
	/* Slow Plex down a little so the drain is still going when it dies. */
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"slow\", \"delay_ms\": 120}"),
	    200);
	run_task(&e, "all", autodrain_env, &r);
	assert_non_null(strstr(r.out, "queued 60 scene(s)"));
	assert_non_null(strstr(r.err, "Background worker started"));
	h_run_free(&r);

	wait_puts(&e, 10, 120);
	t_down = h_mono();
	/* "seconds" is only a safety net; the test ends the fault itself. */
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"down\", \"seconds\": 900}"),
	    200);
	printf("Plex DOWN after %d PUTs\n",
	    h_count_requests(&e, "PUT", "/library/"));
	assert_int_equal(h_wait_log(&e, OPENED_TXT, 1, 60), 0);

	/* Health Check during the outage: OPEN, unreachable, jobs waiting. */
	run_task(&e, "health_check", no_autodrain, &r);
	assert_non_null(strstr(r.err,
	    "\x01i\x02"
	    "Circuit Breaker State: OPEN\n"));
	assert_non_null(strstr(r.err,
	    "\x01w\x02"
	    "FAIL: Plex is UNREACHABLE"));
	assert_non_null(strstr(r.err, " job(s) waiting for Plex to recover\n"));
	assert_non_null(strstr(r.out, "Plex is not healthy"));
	h_run_free(&r);

	/* Keep Plex down until the worker has probed enough, then until the
	 * next failed trial job (the breaker's timeout has passed again). */
	if (min_attempts > 0) {
		char needle[64];

		snprintf(needle, sizeof(needle), FAILED_TXT "%d)",
		    min_attempts);
		assert_int_equal(h_wait_log(&e, needle, 1, 400), 0);
	}
	{
		char *log = h_read_data(&e, "stash2plex.log");

		reopens_before = h_count_str(log, REOPENED_TXT);
		free(log);
	}
	assert_int_equal(h_wait_log(&e, REOPENED_TXT, reopens_before + 1, 120),
	    0);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	t_up = h_mono();
	wall_up = h_wall();
	/* The fake listens on the same port again (a port grabbed by another
	 * process meanwhile would make it fail: integration tests run one at
	 * a time, RUN_SERIAL). */
	assert_int_equal(h_status(e.plex_port, "/identity"), 200);
	{
		/* the fake's own log, next to the data dir */
		char *plog = h_read_data(&e, "../plex.log");

		assert_null(strstr(plog, "cannot restart"));
		free(plog);
	}
	printf("Plex UP again after %.1f s down\n", t_up - t_down);
	assert_true(t_up - t_down > 60.0);

	assert_int_equal(h_wait_worker(&e, 300), 0);
	printf("worker finished %.1f s after Plex came back\n",
	    h_mono() - t_up);

	/* Everything synced, nothing dead-lettered, nothing left. */
	dead = h_db_long(&e, "SELECT count(*) FROM dead_letter");
	jobs = h_db_long(&e, "SELECT count(*) FROM job");
	unsynced = h_unsynced(&e, 0);
	if (dead != 0 || jobs != 0 || unsynced != 0) {
		char *log = h_read_data(&e, "stash2plex.log");

		fprintf(stderr,
		    "dead %ld, jobs %ld, unsynced %d; worker log:\n%s", dead,
		    jobs, unsynced, log);
		free(log);
	}
	assert_int_equal(dead, 0);
	assert_int_equal(jobs, 0);
	assert_int_equal(unsynced, 0);

	/* Exactly one outage record, completed, longer than the timeout
	 * (it lasts from OPEN to the trial that closed it). */
	hist_text = h_read_data(&e, "outage_history.json");
	hist = json_loads(hist_text, 0, NULL);
	assert_non_null(hist);
	assert_int_equal(json_array_size(hist), 1);
	rec = json_array_get(hist, 0);
	assert_true(json_is_number(json_object_get(rec, "ended_at")));
	assert_true(json_is_number(json_object_get(rec, "duration")));
	printf("outage record: %s\n", hist_text);
	assert_true(json_number_value(json_object_get(rec, "duration")) > 30.0);
	json_decref(hist);
	free(hist_text);

	/* The worker log: one opening, one closing, re-opens only after
	 * failed trials, probes backing off, then passing. */
	assert_int_equal(h_load_log(&e, &l), 0);
	assert_int_equal(count_ev(&l, OPENED_TXT), 1);
	assert_int_equal(count_ev(&l, CLOSED_TXT), 1);
	assert_true(count_ev(&l, REOPENED_TXT) >= 1);
	assert_int_equal(count_ev(&l, REOPENED_TXT),
	    count_ev(&l, HALF_TXT) - 1);
	assert_null(strstr(l.text, "dead-letter queue after"));
	for (k = 0; k < l.n; k++) {
		if (starts(&l.v[k], OPENED_TXT)) {
			t_open = l.v[k].t;
			opened_pid = l.v[k].pid;
		}
	}
	assert_true(t_open > 0);
	assert_null(strstr(l.text, e.token));
	assert_null(strstr(l.text, "sess-cookie-77e1"));
	assert_non_null(strstr(l.text, " 0 dead-lettered"));

	printf("probe timeline (seconds since the breaker opened; log "
	       "timestamps have whole seconds):\n");
	last_probe_t = t_open;
	for (k = 0; k < l.n; k++) {
		const struct h_logline *ev = &l.v[k];
		double rel = ev->t - t_open;
		int n;
		double next;

		if (starts(ev, OPENED_TXT) || starts(ev, REOPENED_TXT) ||
		    starts(ev, HALF_TXT) || starts(ev, CLOSED_TXT)) {
			printf("  t=+%4.0fs  %.*s\n", rel, (int)head_len(ev),
			    ev->msg);
			continue;
		}
		if (starts(ev, FAILED_TXT)) {
			assert_int_equal(sscanf(ev->msg,
					     FAILED_TXT "%d), next check in "
							"%lfs",
					     &n, &next),
			    2);
			assert_int_equal(ev->pid, opened_pid);
			assert_string_equal(ev->level, "DEBUG");
			printf("  t=+%4.0fs  probe #%d failed, next check in "
			       "%.1fs (gap since previous %.0fs)\n",
			    rel, n, next, ev->t - last_probe_t);
			/* The backoff keeps counting across re-opens; only a
			 * passing probe would reset it. */
			assert_int_equal(n, last_attempt + 1);
			assert_false(passed);
			/* Jitter only shortens, by at most 20 % (announced
			 * with one decimal). */
			assert_true(next <= nominal(n) + 0.05);
			assert_true(next >= 0.8 * nominal(n) - 0.05);
			/* Never earlier than scheduled (whole-second stamps).
			 */
			assert_true(ev->t - last_probe_t >= last_next - 1.0);
			last_attempt = n;
			last_probe_t = ev->t;
			last_next = next;
			continue;
		}
		if (starts(ev, PASSED_TXT)) {
			long ms = -1;

			assert_int_equal(sscanf(ev->msg, PASSED_TXT "%ldms)",
					     &ms),
			    1);
			assert_string_equal(ev->level, "INFO");
			if (!passed) {
				printf("  t=+%4.0fs  probe passed (%ldms), "
				       "recovery possible (gap since previous "
				       "%.0fs)\n",
				    rel, ms, ev->t - last_probe_t);
				assert_true(
				    ev->t - last_probe_t >= last_next - 1.0);
				/* Only after Plex was back. */
				assert_true(ev->t >= (double)(long)wall_up);
			}
			passed++;
			last_probe_t = ev->t;
			last_next = 5.0;
		}
	}
	printf("  (%d passing probe(s) in all)\n", passed);
	assert_true(last_attempt >= min_attempts);
	assert_true(last_attempt >= 3);
	assert_true(passed >= 1);
	h_log_free(&l);

	/* Outage Summary reports it, with a duration and MTTR. */
	run_task(&e, "outage_summary", no_autodrain, &r);
	assert_non_null(
	    strstr(r.err, "\x01i\x02=== Outage Summary Report ===\n"));
	assert_non_null(strstr(r.err,
	    "\x01i\x02Outages tracked: 1 (1 "
	    "completed)\n"));
	assert_non_null(strstr(r.err, "\x01i\x02MTTR: "));
	assert_non_null(strstr(r.err,
	    "\x01i\x02"
	    "1. "));
	assert_non_null(strstr(r.err, ", jobs waiting: "));
	assert_non_null(strstr(r.err, "\x01i\x02=== End Report ===\n"));
	assert_non_null(strstr(r.out, "1 outage(s), total downtime "));
	assert_null(strstr(r.out, "ongoing"));
	{
		const char *m = strstr(r.err, "MTTR: ");

		printf("outage_summary: %.*s\n", (int)strcspn(m, "\n"), m);
		/* At least a minute: "Nm Ss". */
		assert_non_null(strchr(m, 'm'));
		assert_true(strchr(m, 'm') < strchr(m, '\n'));
	}
	h_run_free(&r);

	/* Queue Status agrees. */
	run_task(&e, "queue_status", no_autodrain, &r);
	assert_non_null(strstr(r.err, "Dead letter queue: 0 item(s)"));
	assert_non_null(strstr(r.err, "State: CLOSED"));
	h_run_free(&r);
	h_stop(&e);
}

static void
test_plex_outage__plex_down_longer_than_recovery_timeout(void **state)
{
	(void)state;
	outage_scenario(3);
}

static void
test_plex_outage__long_outage_reaches_probe_cap(void **state)
{
	(void)state;
	if (getenv("S2P_LONG_TESTS") == NULL ||
	    strcmp(getenv("S2P_LONG_TESTS"), "1") != 0) {
		printf(
		    "SKIPPED test_plex_outage__long_outage_reaches_probe_cap: "
		    "about 4 minutes; set S2P_LONG_TESTS=1 to run it\n");
		skip();
	}
	/* Attempts 4 and 5 announce the 60 s cap twice. */
	outage_scenario(5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_plex_outage__plex_down_longer_than_recovery_timeout),
	    cmocka_unit_test(test_plex_outage__long_outage_reaches_probe_cap),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
