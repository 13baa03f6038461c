/*
 * test_crash.c - nothing is lost when a drainer dies, and there is only ever
 * one worker. A Process Queue task and the detached background worker are
 * each SIGKILLed mid-drain (Plex slowed a little so the kill lands between
 * a read and an edit); the next drainer resumes the orphaned job, every
 * scene ends up synced, nothing is dead-lettered, every job is counted done
 * exactly once and the database passes PRAGMA integrity_check. Twenty hook
 * processes released at the same instant start workers whose lifetimes never
 * overlap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"
#include "sync/jobbatch.h"

#define SCENES 40

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
static const char *const autodrain_env[] = {"STASH2PLEX_IDLE_EXIT=1", NULL};

/* Run the plugin with these args; it must succeed with {"output": ...}. */
static void
run_ok(struct h_env *e, const char *args, const char *const *env,
    struct h_run *r)
{
	json_t *out;

	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	if (r->status != 0)
		fprintf(stderr, "stdout: %s\nstderr: %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	out = json_loads(r->out, 0, NULL);
	assert_non_null(out);
	assert_true(json_is_string(json_object_get(out, "output")));
	json_decref(out);
}

static void
run_task(struct h_env *e, const char *mode, const char *const *env,
    struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);

	run_ok(e, args, env, r);
	free(args);
}

static char *
hook_args(int id)
{
	return s2p_xasprintf("{\"mode\": \"hook\", \"hookContext\": {\"id\": "
			     "%d, "
			     "\"type\": \"Scene.Update.Post\", \"input\": "
			     "{\"id\": \"%d\", \"title\": \"t\"}, "
			     "\"inputFields\": [\"id\", \"title\"]}}",
	    id, id);
}

/* Wait until at least n PUTs reached fake Plex. */
static void
wait_puts(struct h_env *e, int n, double secs)
{
	double end = h_mono() + secs;

	while (h_count_requests(e, "PUT", "/library/") < n) {
		assert_true(h_mono() < end);
		h_sleep(0.02);
	}
}

static void
slow_plex(struct h_env *e, int on)
{
	assert_int_equal(h_post(e->plex_ctl, "/fault",
			     on ? "{\"mode\": \"slow\", \"delay_ms\": 100}"
				: "{\"mode\": \"none\"}"),
	    200);
}

/* The end state after all drains: every one of n scenes synced, queue and
 * dead-letter queue empty, each job counted done once, database sound. */
static void
assert_all_done(struct h_env *e, long n)
{
	char *ic;

	assert_int_equal(h_unsynced(e, n), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM dead_letter"), 0);
	assert_int_equal(h_db_long(e,
			     "SELECT value FROM counter WHERE "
			     "name = 'done'"),
	    n);
	ic = h_db_text(e, "PRAGMA integrity_check");
	assert_non_null(ic);
	assert_string_equal(ic, "ok");
	free(ic);
}

static void
test_crash__sigkill_process_queue_mid_drain(void **state)
{
	struct h_env e;
	struct h_run r;
	struct h_proc p;
	long running, pending;
	int puts_at_kill;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 5, NULL, NULL), 0);
	run_task(&e, "all", no_autodrain, &r);
	assert_non_null(strstr(r.out, "queued 40 scene(s)"));
	h_run_free(&r);
	slow_plex(&e, 1);
	assert_int_equal(h_spawn_plugin(&e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, "pq", -1, &p),
	    0);
	wait_puts(&e, 8, 120);
	assert_int_equal(kill(p.pid, SIGKILL), 0);
	assert_int_equal(h_wait_plugin(&p, &r), 0);
	assert_int_equal(r.status, 128 + SIGKILL);
	h_run_free(&r);
	puts_at_kill = h_count_requests(&e, "PUT", "/library/");
	running = h_db_long(&e,
	    "SELECT count(*) FROM job WHERE state = "
	    "'running'");
	pending = h_db_long(&e,
	    "SELECT count(*) FROM job WHERE state = "
	    "'pending'");
	printf("killed process_queue after %d PUTs: %ld running (orphaned), "
	       "%ld pending\n",
	    puts_at_kill, running, pending);
	/* The worker claims a batch at a time (sync/jobbatch.h): up to a
	 * batch is left running, and the next worker takes it back. */
	assert_true(running >= 0 && running <= S2P_JOBBATCH_DEFAULT);
	assert_true(pending + running > 0);
	/* The lock died with it. */
	assert_int_equal(h_wait_worker(&e, 10), 0);

	slow_plex(&e, 0);
	run_task(&e, "process_queue", no_autodrain, &r);
	if (running > 0) {
		char *want = s2p_xasprintf("Resumed %ld job(s) left running "
					   "by a stopped worker",
		    running);

		assert_non_null(strstr(r.err, want));
		free(want);
	}
	assert_non_null(strstr(r.out, " 0 dead-lettered"));
	h_run_free(&r);
	assert_all_done(&e, SCENES);
	h_stop(&e);
}

/* The pid in the worker log's first "Background worker started" line. */
static int
worker_pid(struct h_env *e)
{
	struct h_log l;
	size_t i;
	int pid = 0;

	assert_int_equal(h_load_log(e, &l), 0);
	for (i = 0; i < l.n && pid == 0; i++)
		if (strncmp(l.v[i].msg, "Background worker started (pid ",
			31) == 0)
			pid = l.v[i].pid;
	h_log_free(&l);
	return pid;
}

static void
test_crash__sigkill_background_worker_mid_drain(void **state)
{
	struct h_env e;
	struct h_run r;
	long running, queued;
	int pid;
	char *log;
	char *args;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 6, NULL, NULL), 0);
	slow_plex(&e, 1);
	run_task(&e, "all", autodrain_env, &r);
	assert_non_null(strstr(r.err, "Background worker started"));
	h_run_free(&r);
	assert_int_equal(h_wait_log(&e, "Background worker started (pid ", 1,
			     30),
	    0);
	pid = worker_pid(&e);
	assert_true(pid > 1);
	wait_puts(&e, 8, 120);
	/* Our own detached worker (its pid from our temp dir's log). */
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Its lock is released when it dies. */
	assert_int_equal(h_wait_worker(&e, 30), 0);
	running = h_db_long(&e,
	    "SELECT count(*) FROM job WHERE state = "
	    "'running'");
	printf("killed background worker %d after %d PUTs: %ld running "
	       "(orphaned)\n",
	    pid, h_count_requests(&e, "PUT", "/library/"), running);
	/* The worker claims a batch at a time (sync/jobbatch.h): up to a
	 * batch is left running, and the next worker takes it back. */
	assert_true(running >= 0 && running <= S2P_JOBBATCH_DEFAULT);
	assert_true(h_db_long(&e, "SELECT count(*) FROM job") > 0);

	/* The next hook (for a scene still queued, so the job count stays)
	 * starts a new worker, which resumes the orphan. */
	slow_plex(&e, 0);
	queued = h_db_long(&e, "SELECT scene_id FROM job ORDER BY id LIMIT 1");
	assert_true(queued > 0);
	args = hook_args((int)queued);
	run_ok(&e, args, autodrain_env, &r);
	h_run_free(&r);
	free(args);
	assert_int_equal(h_wait_worker(&e, 120), 0);
	log = h_read_data(&e, "stash2plex.log");
	assert_int_equal(h_count_str(log, "Background worker started (pid "),
	    2);
	if (running > 0) {
		char *want = s2p_xasprintf("Resumed %ld job(s) left running "
					   "by a stopped worker",
		    running);

		assert_int_equal(h_count_str(log, want), 1);
		free(want);
	}
	assert_non_null(strstr(log, " 0 dead-lettered"));
	free(log);
	assert_all_done(&e, SCENES);
	h_stop(&e);
}

#define HOOKS 20

static void
test_crash__concurrent_hooks_start_one_worker(void **state)
{
	struct h_env e;
	struct h_proc p[HOOKS];
	struct h_run r;
	struct h_log l;
	int gate[2], i, pids[HOOKS + 8], npids = 0, cur = 0;
	size_t k;

	(void)state;
	assert_int_equal(h_start(&e, 30, 9, NULL, NULL), 0);
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(fcntl(gate[0], F_SETFD, FD_CLOEXEC), 0);
	assert_int_equal(fcntl(gate[1], F_SETFD, FD_CLOEXEC), 0);
	for (i = 0; i < HOOKS; i++) {
		char tag[16], *args = hook_args(i + 1);

		snprintf(tag, sizeof(tag), "hook%d", i + 1);
		assert_int_equal(h_spawn_plugin(&e, args, autodrain_env, tag,
				     gate[0], &p[i]),
		    0);
		free(args);
	}
	/* Release all twenty at once: one byte each. */
	{
		char go[HOOKS];

		memset(go, 'g', sizeof(go));
		assert_int_equal(write(gate[1], go, sizeof(go)), HOOKS);
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < HOOKS; i++) {
		char want[32];

		assert_int_equal(h_wait_plugin(&p[i], &r), 0);
		if (r.status != 0)
			fprintf(stderr, "hook %d: %s\n%s\n", i + 1, r.out,
			    r.err);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof(want), "queued scene %d", i + 1);
		assert_non_null(strstr(r.out, want));
		h_run_free(&r);
	}
	assert_int_equal(h_wait_worker(&e, 120), 0);
	assert_all_done(&e, HOOKS);

	/* Workers log every line with their pid. Each worker's lines must
	 * form one block: a second worker running at the same time would
	 * interleave with the first. */
	assert_int_equal(h_load_log(&e, &l), 0);
	assert_true(l.n > 0);
	for (k = 0; k < l.n; k++) {
		if (l.v[k].pid == cur)
			continue;
		for (i = 0; i < npids; i++) {
			if (pids[i] == l.v[k].pid) {
				fprintf(stderr,
				    "worker %d logged again after "
				    "worker %d started:\n%s\n",
				    pids[i], cur, l.text);
				fail();
			}
		}
		assert_true(npids < (int)(sizeof(pids) / sizeof(pids[0])));
		pids[npids++] = cur = l.v[k].pid;
		assert_true(
		    strncmp(l.v[k].msg, "Background worker started", 25) == 0);
	}
	printf("%d hooks at once started %d worker process(es) in turn:", HOOKS,
	    npids);
	for (i = 0; i < npids; i++)
		printf(" %d", pids[i]);
	printf("\n");
	assert_true(npids >= 1);
	h_log_free(&l);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crash__sigkill_process_queue_mid_drain),
	    cmocka_unit_test(test_crash__sigkill_background_worker_mid_drain),
	    cmocka_unit_test(test_crash__concurrent_hooks_start_one_worker),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
