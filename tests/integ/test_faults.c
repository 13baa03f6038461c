/*
 * test_faults.c - the fault matrix (issue 12): one test per failure on a
 * boundary that no other test covers. Each queues a small library, breaks
 * fake Plex or fake Stash with a fault switch (tests/fakes/README.md), runs
 * Process Queue and checks one clear line in its output, the retry decision
 * (the jobs wait without using an attempt, or are retried with one, never
 * dead-lettered for a passing fault), that no job is lost (queued + done
 * always adds up) and that the run ends (its wall time is printed; ctest's
 * timeout is the hang guard). The fault is then lifted and everything
 * syncs.
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
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

#define SCENES 6

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
/* Mid-run faults: one scene per Stash read, so reads go on during the run. */
static const char *const one_by_one[] = {"STASH2PLEX_AUTODRAIN=0",
    "STASH2PLEX_BATCH=1", NULL};

static void
run_mode(struct h_env *e, const char *mode, struct h_run *r)
{
	char args[96];

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	assert_int_equal(h_run_plugin(e, args, no_autodrain, r), 0);
}

/* Jobs queued plus jobs done: what was queued is never lost. */
static long
accounted(struct h_env *e)
{
	return h_db_long(e,
	    "SELECT (SELECT count(*) FROM job) + (SELECT count(*) FROM "
	    "dead_letter) + coalesce((SELECT value FROM counter WHERE name "
	    "= 'done'), 0)");
}

/* A fault case: set up, break, drain, check, heal, drain, check. */
struct fcase {
	const char *settings;  /* extra settings members, or NULL */
	int stash;             /* the fault goes to fake Stash */
	const char *fault;     /* POST /fault body, or NULL */
	const char *ctl_path;  /* or another control POST ... */
	const char *ctl_body;  /* ... with this body */
	int mid;               /* break after this many PUTs (0: before) */
	const char *line;      /* one clear line expected in the output */
	int waits;             /* 1: jobs wait, no attempt used */
	int exit_code;         /* expected exit status of the broken run */
	const char *heal_path; /* control POST that heals, besides /fault */
	const char *heal_body;
};

static void
fault_case(const struct fcase *c)
{
	struct h_env e;
	struct h_run r;
	struct h_proc p;
	int port;
	long kept;
	char *all;

	assert_int_equal(h_start(&e, SCENES, 41, NULL, NULL), 0);
	if (c->settings != NULL)
		assert_int_equal(h_settings(&e, c->settings), 0);
	run_mode(&e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), SCENES);
	port = c->stash ? e.stash_ctl : e.plex_ctl;
	if (c->mid > 0) {
		double end = h_mono() + 60;

		assert_int_equal(h_post(e.plex_ctl, "/fault",
				     "{\"mode\": \"slow\", \"delay_ms\": 150}"),
		    200);
		assert_int_equal(h_spawn_plugin(&e,
				     "{\"mode\": \"process_queue\"}",
				     one_by_one, "pq", -1, &p),
		    0);
		while (h_count_requests(&e, "PUT", "/library/") < c->mid) {
			assert_true(h_mono() < end);
			h_sleep(0.01);
		}
	}
	if (c->fault != NULL)
		assert_int_equal(h_post(port, "/fault", c->fault), 200);
	if (c->ctl_path != NULL)
		assert_int_equal(h_post(port, c->ctl_path, c->ctl_body), 200);
	if (c->mid > 0)
		assert_int_equal(h_wait_plugin(&p, &r), 0);
	else
		run_mode(&e, "process_queue", &r);
	all = s2p_xasprintf("%s\n%s", r.out, r.err);
	printf("broken run: exit %d in %.1f s\n  out: %s\n", r.status,
	    r.ms / 1000, r.out);
	{
		const char *l = strstr(all, c->line);

		if (l == NULL)
			fprintf(stderr, "no line \"%s\" in:\n%s\n", c->line,
			    all);
		assert_non_null(l);
	}
	assert_int_equal(r.status, c->exit_code);
	free(all);
	h_run_free(&r);
	printf("  jobs %ld, dead %ld, max attempts %ld, done %ld\n",
	    h_db_long(&e, "SELECT count(*) FROM job"),
	    h_db_long(&e, "SELECT count(*) FROM dead_letter"),
	    h_db_long(&e, "SELECT coalesce(max(attempts), 0) FROM job"),
	    h_db_long(&e,
		"SELECT coalesce((SELECT value FROM counter WHERE "
		"name = 'done'), 0)"));
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	/* Kept for its retry; or, when the fault was short-lived (a count)
	 * and the jittered retry delay shorter than the run (a slow run:
	 * under valgrind, or a loaded machine), retried and synced already:
	 * the retry line above shows the attempt was counted. */
	kept = h_db_long(&e, "SELECT count(*) FROM job");
	assert_true(kept > 0 ||
	    h_db_long(&e,
		"SELECT coalesce((SELECT value FROM counter WHERE "
		"name = 'done'), 0)") == SCENES);
	assert_int_equal(accounted(&e), SCENES);
	if (c->waits)
		assert_int_equal(h_db_long(&e,
				     "SELECT coalesce(max(attempts), 0) FROM "
				     "job"),
		    0);
	else if (kept > 0)
		assert_true(h_db_long(&e, "SELECT max(attempts) FROM job") > 0);
	/* Heal: the fault ends, retries are due now, everything syncs. */
	assert_int_equal(h_post(port, "/fault", "{\"mode\": \"none\"}"), 200);
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	if (c->heal_path != NULL)
		assert_int_equal(h_post(port, c->heal_path, c->heal_body), 200);
	assert_true(
	    h_db_long(&e, "UPDATE job SET not_before = 0 RETURNING 0") == 0);
	{
		char *bf = s2p_xasprintf("%s/data/circuit_breaker.json", e.dir);

		(void)unlink(bf);
		free(bf);
	}
	run_mode(&e, "process_queue", &r);
	if (r.status != 0)
		fprintf(stderr, "healed run: %s\n%s\n", r.out, r.err);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	assert_int_equal(h_unsynced(&e, 0), 0);
	h_stop(&e);
}

static void
test_faults__plex_refuses_connections(void **state)
{
	const struct fcase c = {.fault = "{\"mode\": \"down\"}",
	    .line = "Circuit breaker OPEN after 5 consecutive Plex failures: "
		    "GET http",
	    .waits = 1};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_accepts_then_hangs(void **state)
{
	/* The hang ends by itself after 7 s; a run under valgrind needs
	 * longer than that to send its first request. */
	const struct fcase c = {.settings = "\"read_timeout\": 5",
	    .fault = getenv("S2P_VALGRIND") != NULL
		? "{\"mode\": \"hang\", \"seconds\": 60}"
		: "{\"mode\": \"hang\", \"seconds\": 7}",
	    .line = "timed out after 5000 ms; retry 1",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_slower_than_timeout(void **state)
{
	const struct fcase c = {.settings = "\"read_timeout\": 5",
	    .fault = "{\"mode\": \"slow\", \"delay_ms\": 8000, \"count\": 1}",
	    .line = "timed out after 5000 ms; retry 1",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_500_storm(void **state)
{
	const struct fcase c = {.fault =
				    "{\"mode\": \"status\", \"status\": 500}",
	    .line = "Circuit breaker OPEN after 5 consecutive Plex failures: "
		    "Plex GET /library/sections: HTTP 500",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_503_storm(void **state)
{
	const struct fcase c = {.fault =
				    "{\"mode\": \"status\", \"status\": 503}",
	    .line = "Circuit breaker OPEN after 5 consecutive Plex failures: "
		    "Plex GET /library/sections: HTTP 503",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_truncated_body(void **state)
{
	const struct fcase c = {.fault = "{\"mode\": \"truncate\"}",
	    .line = "transfer closed with",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_oversized_body(void **state)
{
	const struct fcase c = {.fault = "{\"mode\": \"oversize\", \"method\": "
					 "\"GET\", \"count\": 2}",
	    .line = "response too large (over 67108864 bytes); retry 1",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_invalid_json(void **state)
{
	const struct fcase c = {.fault = "{\"mode\": \"body\", \"method\": "
					 "\"GET\", \"body\": \"{not json\"}",
	    .line = "Plex /library/sections: invalid JSON",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_wrong_shape(void **state)
{
	const struct fcase c = {.fault =
				    "{\"mode\": \"body\", \"method\": "
				    "\"GET\", \"body\": "
				    "\"{\\\"MediaContainer\\\": [1, 2]}\"}",
	    .line = "Plex /library/sections: reply has no MediaContainer",
	    .waits = 0};

	(void)state;
	fault_case(&c);
}

static void
test_faults__plex_token_revoked_mid_run(void **state)
{
	const struct fcase c = {.ctl_path = "/config",
	    .ctl_body = "{\"token\": \"another-token\"}",
	    .mid = 2,
	    .line = "Plex rejected our credentials",
	    .waits = 1,
	    .exit_code = 1,
	    .heal_path = "/config",
	    .heal_body = "{\"token\": \"integ-token-4f2a9c\"}"};

	(void)state;
	fault_case(&c);
}

static void
test_faults__stash_graphql_errors(void **state)
{
	const struct fcase c = {.stash = 1,
	    .ctl_path = "/dblocked",
	    .ctl_body = "{\"count\": -1}",
	    .line = "database is locked; retry 1",
	    .waits = 0,
	    .heal_path = "/dblocked",
	    .heal_body = "{\"count\": 0}"};

	(void)state;
	fault_case(&c);
}

static void
test_faults__stash_invalid_json(void **state)
{
	const struct fcase c = {.stash = 1,
	    .fault = "{\"mode\": \"body\", \"path_prefix\": \"/graphql\", "
		     "\"body\": \"<html>proxy error</html>\"}",
	    .line = "Stash PluginSettings: reply is not a JSON object",
	    .waits = 1,
	    .exit_code = 1};

	(void)state;
	fault_case(&c);
}

static void
test_faults__stash_goes_away_mid_run(void **state)
{
	const struct fcase c = {.stash = 1,
	    .fault = "{\"mode\": \"down\"}",
	    .mid = 2,
	    .line = "Stash is unreachable",
	    .waits = 1};

	(void)state;
	fault_case(&c);
}

/* A database file cut short (a copy interrupted, a disk that lost the
 * tail): Process Queue moves it aside and says to run Sync All; a fresh
 * database takes over and Sync All brings every scene back. */
static void
test_faults__truncated_database(void **state)
{
	struct h_env e;
	struct h_run r;
	char *path;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 42, NULL, NULL), 0);
	run_mode(&e, "all", &r);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	path = s2p_xasprintf("%s/data/stash2plex.db", e.dir);
	assert_int_equal(truncate(path, 4096 + 100), 0);
	run_mode(&e, "process_queue", &r);
	printf("truncated database: exit %d\n  out: %s\n", r.status, r.out);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.out, "moved it aside as"));
	assert_non_null(strstr(r.out, "Sync All"));
	h_run_free(&r);
	run_mode(&e, "all", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	run_mode(&e, "process_queue", &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	free(path);
	h_stop(&e);
}

/* Garbage in each JSON state file the worker reads (breaker, outage
 * history, recovery ramp): a run warns, drains every job and leaves files
 * that parse. */
static void
test_faults__corrupt_state_files(void **state)
{
	static const char *const files[] = {"circuit_breaker.json",
	    "outage_history.json", "recovery_state.json"};
	static const char garbage[] = "{\"state\": \"op\x01\xff garbage";
	struct h_env e;
	struct h_run r;
	size_t i;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 43, NULL, NULL), 0);
	run_mode(&e, "all", &r);
	h_run_free(&r);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_int_equal(h_write_data(&e, files[i], garbage), 0);
	run_mode(&e, "process_queue", &r);
	printf("corrupt state files: exit %d\n  out: %s\n  err: %s\n", r.status,
	    r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "circuit breaker state file is corrupt"));
	assert_non_null(strstr(r.out, "processed 6"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_unsynced(&e, 0), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = h_read_data(&e, files[i]);
		json_t *j;

		if (strcmp(text, garbage) == 0) {
			printf("  %s left as it was\n", files[i]);
		} else if (text[0] != '\0') {
			j = json_loads(text, 0, NULL);
			assert_non_null(j);
			json_decref(j);
		}
		free(text);
	}
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_faults__plex_refuses_connections),
	    cmocka_unit_test(test_faults__plex_accepts_then_hangs),
	    cmocka_unit_test(test_faults__plex_slower_than_timeout),
	    cmocka_unit_test(test_faults__plex_500_storm),
	    cmocka_unit_test(test_faults__plex_503_storm),
	    cmocka_unit_test(test_faults__plex_truncated_body),
	    cmocka_unit_test(test_faults__plex_oversized_body),
	    cmocka_unit_test(test_faults__plex_invalid_json),
	    cmocka_unit_test(test_faults__plex_wrong_shape),
	    cmocka_unit_test(test_faults__plex_token_revoked_mid_run),
	    cmocka_unit_test(test_faults__stash_graphql_errors),
	    cmocka_unit_test(test_faults__stash_invalid_json),
	    cmocka_unit_test(test_faults__stash_goes_away_mid_run),
	    cmocka_unit_test(test_faults__truncated_database),
	    cmocka_unit_test(test_faults__corrupt_state_files),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
