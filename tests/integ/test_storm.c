/*
 * test_storm.c - the crash storm (issue 12). A library of 1,000 scenes is
 * drained against fake Plex answering every request 5 ms late, while the
 * test keeps editing scenes in fake Stash and running their hooks, and
 * SIGKILLs the draining process again and again: a Process Queue task or the
 * detached background worker, in turn. Each kill is aimed through the
 * test-only pause points (src/core/testpause.h): the process stops itself at
 * the n-th claim, Plex PUT, image upload, ack (inside its transaction) or
 * SQLite checkpoint, and is killed there. Afterwards every scene in Plex
 * equals the latest Stash state, the queue and the dead letters are empty,
 * nothing is left running, PRAGMA integrity_check is ok and every state
 * file parses. A second test SIGKILLs hook processes inside their enqueue
 * transaction. STASH2PLEX_STORM_SCENES / STASH2PLEX_STORM_KILLS make the
 * storm bigger (defaults 1000 and 50).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

enum { PH_CLAIM, PH_PUT, PH_UPLOAD, PH_ACK, PH_CHECKPOINT, PH_N };

static const char *const phase_name[PH_N] = {"claim", "put", "upload", "ack",
    "checkpoint"};

struct storm {
	struct h_env e;
	char marker[300];
	char pause_env[64];
	char file_env[340];
	int kills[PH_N];
	int hook_kills; /* checkpoint kills that hit a hook */
	int pq_kills, worker_kills, missed;
	int edits;
	int scenes;
	unsigned rng;
};

static int
env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v != NULL && atoi(v) > 0 ? atoi(v) : def;
}

static unsigned
rnd(struct storm *s, unsigned n)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return (s->rng >> 8) % n;
}

/* The state letter of /proc/<pid>/stat ('T' stopped, 'Z' zombie), 0 when
 * the process is gone. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : 0;
}

/* The pid in the pause marker, 0 while there is none. */
static pid_t
marker_pid(struct storm *s, char *phase, size_t len)
{
	FILE *f = fopen(s->marker, "r");
	long pid = 0;
	char name[32] = "";

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %31s", &pid, name) != 2)
		pid = 0;
	fclose(f);
	snprintf(phase, len, "%s", name);
	return (pid_t)pid;
}

/* A paused process named in the marker: wait until it is stopped, kill
 * it, wait until it is gone (or a zombie of ours) and remove the marker. */
static void
kill_paused(struct storm *s, pid_t pid)
{
	double end = h_mono() + 30;
	char st;

	while ((st = proc_state(pid)) != 'T' && st != 't') {
		assert_true(st != 0 && st != 'Z');
		assert_true(h_mono() < end);
		h_sleep(0.001);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	while ((st = proc_state(pid)) != 0 && st != 'Z') {
		assert_true(h_mono() < end);
		h_sleep(0.002);
	}
	assert_int_equal(unlink(s->marker), 0);
}

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

/* Change scene id as a user would in Stash (title, tags, sometimes the
 * cover), then start its Scene.Update.Post hook (tag names its files). */
static void
edit_start(struct storm *s, long id, const char *tag, struct h_proc *p,
    const char *const *env)
{
	char *body, *args, path[64];

	body = s2p_xasprintf("{\"title\": \"Storm edit %d of %ld\", \"tags\": "
			     "[\"Storm %u\", \"Edit %d\"], \"cover\": %s}",
	    s->edits, id, rnd(s, 7), s->edits % 4,
	    rnd(s, 3) == 0 ? "true" : "false");
	snprintf(path, sizeof(path), "/scene/%ld", id);
	assert_int_equal(h_post(s->e.stash_ctl, path, body), 200);
	free(body);
	s->edits++;
	args = s2p_xasprintf(
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %ld, "
	    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"%ld\", "
	    "\"title\": \"x\"}, \"inputFields\": [\"id\", \"title\", "
	    "\"tag_ids\"]}}",
	    id, id);
	assert_int_equal(h_spawn_plugin(&s->e, args,
			     env != NULL ? env : no_autodrain, tag, -1, p),
	    0);
	free(args);
}

/* Wait for a hook started by edit_start: it must have queued the scene. */
static void
edit_finish(struct h_proc *p)
{
	struct h_run r;

	assert_int_equal(h_wait_plugin(p, &r), 0);
	if (r.status != 0 || strstr(r.out, "queued scene") == NULL)
		fprintf(stderr, "hook: %d %s\n%s\n", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued scene"));
	h_run_free(&r);
}

static void
edit_scene(struct storm *s, long id)
{
	struct h_proc p;

	edit_start(s, id, "edit", &p, NULL);
	edit_finish(&p);
}

/* Edits made while a drain runs: at most EDITS_DURING per round, one every
 * few milliseconds, their hooks reaped after the kill (a hook may wait for
 * the database lock the paused process holds). */
#define EDITS_DURING 2

struct during {
	struct h_proc p[EDITS_DURING];
	int n;
	double next;
};

static void
during_tick(struct storm *s, struct during *d)
{
	char tag[16];

	if (d->n >= EDITS_DURING || h_mono() < d->next)
		return;
	snprintf(tag, sizeof(tag), "during%d", d->n);
	edit_start(s, 1 + (long)rnd(s, (unsigned)s->scenes), tag, &d->p[d->n],
	    NULL);
	d->n++;
	d->next = h_mono() + 0.03;
}

static void
during_finish(struct during *d)
{
	int i;

	for (i = 0; i < d->n; i++)
		edit_finish(&d->p[i]);
	d->n = 0;
}

/* One round aimed at a Process Queue task: returns 1 when it was killed at
 * the phase, 0 when it finished first. */
static int
round_pq(struct storm *s, const char *const *armed)
{
	struct h_proc p;
	struct h_run r;
	char phase[32];
	pid_t pid = 0;
	double end = h_mono() + 120;

	struct during d = {.n = 0};

	assert_int_equal(h_spawn_plugin(&s->e, "{\"mode\": \"process_queue\"}",
			     armed, "pq", -1, &p),
	    0);
	d.next = h_mono() + 0.02;
	for (;;) {
		char st = proc_state(p.pid);

		during_tick(s, &d);

		pid = marker_pid(s, phase, sizeof(phase));
		if (pid != 0 || st == 'Z' || st == 0)
			break;
		assert_true(h_mono() < end);
		h_sleep(0.002);
	}
	if (pid == 0)
		pid = marker_pid(s, phase, sizeof(phase));
	if (pid != 0) {
		assert_int_equal(pid, p.pid);
		kill_paused(s, pid);
	}
	during_finish(&d);
	assert_int_equal(h_wait_plugin(&p, &r), 0);
	if (pid == 0 && r.status != 0)
		fprintf(stderr, "process_queue: %s\n%s\n", r.out, r.err);
	assert_int_equal(r.status, pid != 0 ? 128 + SIGKILL : 0);
	h_run_free(&r);
	return pid != 0;
}

/* One round aimed at the background worker a hook starts (or at that hook,
 * when it reaches the armed checkpoint first). */
static int
round_worker(struct storm *s, const char *const *armed, long id)
{
	char phase[32];
	pid_t pid = 0;
	double end = h_mono() + 120;
	struct h_proc p;
	struct h_run r;
	struct during d = {.n = 0};
	char *args;

	args = s2p_xasprintf(
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %ld, "
	    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"%ld\", "
	    "\"title\": \"x\"}, \"inputFields\": [\"id\", \"title\"]}}",
	    id, id);
	assert_int_equal(h_spawn_plugin(&s->e, args, armed, "wh", -1, &p), 0);
	free(args);
	for (;;) {
		char st = proc_state(p.pid);

		pid = marker_pid(s, phase, sizeof(phase));
		if (pid != 0 || st == 'Z' || st == 0)
			break;
		h_sleep(0.002);
	}
	if (pid == p.pid) { /* the hook itself, at a checkpoint */
		kill_paused(s, pid);
		assert_int_equal(h_wait_plugin(&p, &r), 0);
		assert_int_equal(r.status, 128 + SIGKILL);
		h_run_free(&r);
		s->hook_kills++;
		return 1;
	}
	assert_int_equal(h_wait_plugin(&p, &r), 0);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	/* The worker runs until the pause or until the queue is empty. */
	d.next = h_mono() + 0.02;
	while ((pid = marker_pid(s, phase, sizeof(phase))) == 0) {
		during_tick(s, &d);
		if (h_wait_worker(&s->e, 0.01) == 0) {
			pid = marker_pid(s, phase, sizeof(phase));
			break;
		}
		assert_true(h_mono() < end);
	}
	if (pid != 0)
		kill_paused(s, pid);
	during_finish(&d);
	assert_int_equal(h_wait_worker(&s->e, 30), 0);
	return pid != 0;
}

/* Every JSON state file in the data directory parses. */
static void
assert_state_files_parse(struct storm *s)
{
	static const char *const files[] = {"circuit_breaker.json",
	    "outage_history.json", "recovery_state.json", "settings.json"};
	size_t i;
	int seen = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = h_read_data(&s->e, files[i]);
		json_error_t je;
		json_t *j;

		if (text[0] != '\0') {
			j = json_loads(text, 0, &je);
			if (j == NULL)
				fprintf(stderr, "%s does not parse: %s\n%s\n",
				    files[i], je.text, text);
			assert_non_null(j);
			json_decref(j);
			seen++;
		}
		free(text);
	}
	printf("state files parsed: %d\n", seen);
}

/* The end of every storm: drain what is left without pauses, then compare
 * everything. */
static void
assert_storm_end(struct storm *s, long scenes)
{
	struct h_run r;
	char *ic;
	int bad;

	assert_int_equal(h_wait_worker(&s->e, 60), 0);
	assert_int_equal(h_run_plugin(&s->e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, &r),
	    0);
	if (r.status != 0)
		fprintf(stderr, "final drain: %s\n%s\n", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " 0 dead-lettered"));
	h_run_free(&r);
	bad = h_unsynced(&s->e, 0);
	printf("scenes differing from the latest Stash state: %d of %ld\n", bad,
	    scenes);
	assert_int_equal(bad, 0);
	assert_int_equal(h_db_long(&s->e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(&s->e, "SELECT count(*) FROM dead_letter"),
	    0);
	assert_true(
	    h_db_long(&s->e, "SELECT count(*) FROM sync_state") >= scenes);
	ic = h_db_text(&s->e, "PRAGMA integrity_check");
	assert_non_null(ic);
	assert_string_equal(ic, "ok");
	free(ic);
	assert_state_files_parse(s);
}

static void
storm_setup(struct storm *s, int scenes, int seed)
{
	struct h_run r;

	memset(s, 0, sizeof(*s));
	s->rng = (unsigned)seed;
	s->scenes = scenes;
	assert_int_equal(h_start(&s->e, scenes, seed, NULL, NULL), 0);
	snprintf(s->marker, sizeof(s->marker), "%s/pause", s->e.dir);
	snprintf(s->file_env, sizeof(s->file_env),
	    "STASH2PLEX_TEST_PAUSE_FILE=%s", s->marker);
	/* Fake Plex answers every request 5 ms late. */
	assert_int_equal(h_post(s->e.plex_ctl, "/fault",
			     "{\"mode\": \"slow\", \"delay_ms\": 5}"),
	    200);
	assert_int_equal(h_run_plugin(&s->e, "{\"mode\": \"all\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
}

static int
every_phase(const struct storm *s)
{
	int k;

	for (k = 0; k < PH_N; k++)
		if (s->kills[k] == 0)
			return 0;
	return 1;
}

static void
test_storm__aimed_kills_lose_nothing(void **state)
{
	int scenes = env_int("STASH2PLEX_STORM_SCENES", 1000);
	int want = env_int("STASH2PLEX_STORM_KILLS", 50);
	struct storm s;
	int round, total = 0, k;
	double t0 = h_mono();

	(void)state;
	storm_setup(&s, scenes, 12);
	for (round = 0; (total < want || !every_phase(&s)) && round < want * 4;
	     round++) {
		int ph = round % PH_N, worker = (round / PH_N) % 2;
		const char *armed[5] = {NULL};
		int n = ph == PH_CHECKPOINT ? 1 : 1 + (int)rnd(&s, 12);

		for (k = 0; k < 2; k++)
			edit_scene(&s, 1 + (long)rnd(&s, (unsigned)scenes));
		snprintf(s.pause_env, sizeof(s.pause_env),
		    "STASH2PLEX_TEST_PAUSE=%s:%d", phase_name[ph], n);
		armed[0] = s.pause_env;
		armed[1] = s.file_env;
		armed[2] = worker ? "STASH2PLEX_IDLE_EXIT=1"
				  : "STASH2PLEX_AUTODRAIN=0";
		if (worker ? round_worker(&s, armed,
				 1 + (long)rnd(&s, (unsigned)scenes))
			   : round_pq(&s, armed)) {
			s.kills[ph]++;
			total++;
			if (worker)
				s.worker_kills++;
			else
				s.pq_kills++;
		} else {
			s.missed++;
		}
	}
	printf("storm: %d scenes, %d edits, %d kills in %d rounds (%d "
	       "finished before their pause) in %.0f s:",
	    scenes, s.edits, total, round, s.missed, h_mono() - t0);
	for (k = 0; k < PH_N; k++)
		printf(" %s %d", phase_name[k], s.kills[k]);
	printf(" (process_queue %d, worker %d, hooks at a checkpoint %d)\n",
	    s.pq_kills, s.worker_kills, s.hook_kills);
	assert_true(total >= want);
	for (k = 0; k < PH_N; k++)
		assert_true(s.kills[k] > 0);
	printf("done counter: %ld\n",
	    h_db_long(&s.e, "SELECT value FROM counter WHERE name = 'done'"));
	assert_storm_end(&s, scenes);
	h_stop(&s.e);
}

/* Hooks SIGKILLed inside their enqueue transaction: the half-written row
 * is rolled back (a job queued before stays, a new one never appears half
 * made), the next hook for the scene queues it, and everything syncs. */
static void
test_storm__hooks_killed_mid_enqueue(void **state)
{
	struct storm s;
	struct h_run r;
	const char *armed[4] = {NULL};
	long jobs, id;
	char *ic, phase[32];
	int killed = 0;

	(void)state;
	storm_setup(&s, 200, 13);
	assert_int_equal(h_run_plugin(&s.e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	for (id = 1; id <= 40; id++)
		edit_scene(&s, id);
	jobs = h_db_long(&s.e, "SELECT count(*) FROM job");
	assert_int_equal(jobs, 40);
	snprintf(s.pause_env, sizeof(s.pause_env),
	    "STASH2PLEX_TEST_PAUSE=enqueue");
	armed[0] = s.pause_env;
	armed[1] = s.file_env;
	armed[2] = "STASH2PLEX_AUTODRAIN=0";
	/* 21..40 are pending already: the hook leaves the row as it is and
	 * never opens a transaction (no pause, no kill). */
	for (id = 21; id <= 40; id++) {
		struct h_proc p;

		edit_start(&s, id, "armed", &p, armed);
		edit_finish(&p);
		assert_int_equal(marker_pid(&s, phase, sizeof(phase)), 0);
	}
	/* 41..100 are not queued: each hook is killed inside its enqueue. */
	for (id = 41; id <= 100; id++) {
		struct h_proc p;
		pid_t pid;
		double end = h_mono() + 30;

		edit_start(&s, id, "armed", &p, armed);
		while ((pid = marker_pid(&s, phase, sizeof(phase))) == 0) {
			assert_true(h_mono() < end);
			h_sleep(0.001);
		}
		assert_int_equal(pid, p.pid);
		assert_string_equal(phase, "enqueue");
		kill_paused(&s, pid);
		assert_int_equal(h_wait_plugin(&p, &r), 0);
		assert_int_equal(r.status, 128 + SIGKILL);
		h_run_free(&r);
		killed++;
		assert_int_equal(h_db_long(&s.e, "SELECT count(*) FROM job"),
		    jobs);
	}
	assert_int_equal(h_db_long(&s.e,
			     "SELECT count(*) FROM job WHERE scene_id > 40"),
	    0);
	ic = h_db_text(&s.e, "PRAGMA integrity_check");
	assert_non_null(ic);
	assert_string_equal(ic, "ok");
	free(ic);
	/* Stash calls the hook again at the next save. */
	for (id = 41; id <= 100; id++)
		edit_scene(&s, id);
	assert_int_equal(h_db_long(&s.e, "SELECT count(*) FROM job"), 100);
	printf("hooks killed inside their enqueue transaction: %d; queued "
	       "jobs kept: %ld\n",
	    killed, jobs);
	assert_storm_end(&s, 200);
	h_stop(&s.e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm__aimed_kills_lose_nothing),
	    cmocka_unit_test(test_storm__hooks_killed_mid_enqueue),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
