/*
 * test_concurrency.c - many processes at once (issue 12). 500 hook processes
 * for 100 scenes are released at the same instant while a background worker
 * drains: every hook queues its scene, updates coalesce into one job per
 * scene, every scene reaches Plex, and sampling /proc never finds two
 * workers alive (a worker is a process outside this test's children that
 * holds the data directory's worker.lock open). The hooks' wall times are
 * printed, never asserted. Tasks racing each other: two Process Queue at
 * once, a reconcile during a drain, Clear Queue during a drain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
static const char *const idle_exit[] = {"STASH2PLEX_IDLE_EXIT=1", NULL};
/* A drainer that claims five jobs at a time, so most stay pending. */
static const char *const small_batches[] = {"STASH2PLEX_AUTODRAIN=0",
    "STASH2PLEX_BATCH=5", NULL};

/* The parent pid in /proc/<pid>/stat, -1 when unreadable. */
static long
ppid_of(long pid)
{
	char path[64], buf[512], *p;
	long ppid = -1;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/* 1 when pid has an open file descriptor on path. */
static int
holds(long pid, const char *path)
{
	char dir[64], fd[320], target[512];
	struct dirent *d;
	DIR *dp;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	dp = opendir(dir);
	if (dp == NULL)
		return 0;
	while (!found && (d = readdir(dp)) != NULL) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", dir, d->d_name);
		n = readlink(fd, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, path) == 0;
	}
	closedir(dp);
	return found;
}

/* Workers alive now: processes holding worker.lock open that are neither
 * our children (hooks, tasks) nor their children (a hook's short-lived
 * intermediate fork). */
static int
workers_alive(struct h_env *e)
{
	char lock[300];
	struct dirent *d;
	DIR *dp = opendir("/proc");
	long me = (long)getpid();
	int n = 0;

	snprintf(lock, sizeof(lock), "%s/data/worker.lock", e->dir);
	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL) {
		long pid = strtol(d->d_name, NULL, 10), pp;

		if (pid <= 0 || pid == me)
			continue;
		pp = ppid_of(pid);
		if (pp < 0 || pp == me || ppid_of(pp) == me)
			continue;
		n += holds(pid, lock);
	}
	closedir(dp);
	return n;
}

/* Wait for the pause marker; return the pid once it is stopped. */
static pid_t
wait_paused(const char *marker)
{
	double end = h_mono() + 60;
	long pid = 0;
	char path[64], buf[512], *p;

	for (;;) {
		FILE *f = fopen(marker, "r");

		if (f != NULL) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 0) {
			snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
			f = fopen(path, "r");
			assert_non_null(f);
			buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
			fclose(f);
			p = strrchr(buf, ')');
			if (p != NULL && p[2] == 'T')
				return (pid_t)pid;
		}
		assert_true(h_mono() < end);
		h_sleep(0.005);
	}
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = s2p_xmalloc((size_t)n + 1);
	s[fread(s, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return s;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* How many of the n values are not zero. */
static int
nonzero(const double *v, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += v[i] > 0;
	return k;
}

static void
hook_doc(char *buf, size_t len, int id)
{
	snprintf(buf, len,
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %d, \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"%d\", \"title\": "
	    "\"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
	    id, id);
}

static void
run_task(struct h_env *e, const char *mode, const char *const *env,
    struct h_run *r)
{
	char args[128];

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	assert_int_equal(h_run_plugin(e, args, env, r), 0);
	if (r->status != 0)
		fprintf(stderr, "%s: %s\n%s\n", mode, r->out, r->err);
	assert_int_equal(r->status, 0);
}

/* Every scene synced, nothing queued, dead-lettered or running; sound. */
static void
assert_settled(struct h_env *e, long scenes)
{
	char *ic;

	assert_int_equal(h_wait_worker(e, 120), 0);
	assert_int_equal(h_unsynced(e, scenes), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM dead_letter"), 0);
	ic = h_db_text(e, "PRAGMA integrity_check");
	assert_non_null(ic);
	assert_string_equal(ic, "ok");
	free(ic);
}

#define HOOKS 500
#define SCENES 100

static void
test_concurrency__500_hooks_one_worker(void **state)
{
	static struct h_proc p[HOOKS];
	static double ms[HOOKS], cpu[HOOKS], db_ms[HOOKS], lock_ms[HOOKS];
	const char *took;
	static char marker[300], file_env[340];
	const char *const paused_env[] = {"STASH2PLEX_IDLE_EXIT=1",
	    "STASH2PLEX_TEST_PAUSE=claim:1", file_env, NULL};
	struct h_env e;
	struct h_run r;
	pid_t worker;
	int gate[2], i, left = HOOKS, max_workers = 0, samples = 0;
	long done_before, done;
	int merged = 0;
	double t0;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 21, NULL, NULL), 0);
	/* Hooks then print how long their database work took. */
	assert_int_equal(h_settings(&e, "\"debug_logging\": true"), 0);
	assert_int_equal(h_post(e.plex_ctl, "/fault",
			     "{\"mode\": \"slow\", \"delay_ms\": 5}"),
	    200);
	/* A worker drains every scene; it stops itself at its first claim
	 * (a test-only pause point) until half the hooks are done, so those
	 * deterministically meet queued jobs, then drains while the rest
	 * arrive. */
	snprintf(marker, sizeof(marker), "%s/pause", e.dir);
	snprintf(file_env, sizeof(file_env), "STASH2PLEX_TEST_PAUSE_FILE=%s",
	    marker);
	run_task(&e, "all", paused_env, &r);
	h_run_free(&r);
	worker = wait_paused(marker);
	for (i = 1; i <= SCENES; i++) {
		char path[32], body[96];

		snprintf(path, sizeof(path), "/scene/%d", i);
		snprintf(body, sizeof(body),
		    "{\"title\": \"Concurrent %d\", \"tags\": [\"Storm\"]}", i);
		assert_int_equal(h_post(e.stash_ctl, path, body), 200);
	}
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(fcntl(gate[0], F_SETFD, FD_CLOEXEC), 0);
	assert_int_equal(fcntl(gate[1], F_SETFD, FD_CLOEXEC), 0);
	for (i = 0; i < HOOKS; i++) {
		char tag[16], args[300];

		hook_doc(args, sizeof(args), i % SCENES + 1);
		snprintf(tag, sizeof(tag), "h%d", i);
		assert_int_equal(h_spawn_plugin(&e, args, idle_exit, tag,
				     gate[0], &p[i]),
		    0);
	}
	done_before = h_db_long(&e,
	    "SELECT coalesce((SELECT value FROM counter "
	    "WHERE name = 'done'), 0)");
	close(gate[0]);
	t0 = h_mono();
	{
		static char go[HOOKS];

		memset(go, 'g', sizeof(go));
		assert_int_equal(write(gate[1], go, sizeof(go)), HOOKS);
	}
	close(gate[1]);
	/* Reap in any order, noting each exit time; sample the workers. */
	while (left > 0) {
		int st, w;
		struct rusage ru;
		pid_t pid = wait4(-1, &st, WNOHANG, &ru);

		if (pid > 0) {
			for (i = 0; i < HOOKS && p[i].pid != pid; i++)
				;
			assert_true(i < HOOKS);
			ms[i] = (h_mono() - t0) * 1000;
			cpu[i] = (double)(ru.ru_utime.tv_sec +
				     ru.ru_stime.tv_sec) *
				1000 +
			    (double)(ru.ru_utime.tv_usec +
				ru.ru_stime.tv_usec) /
				1000;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				fprintf(stderr, "hook %d: status %d\n", i, st);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			left--;
			continue;
		}
		if (worker > 0 && left <= HOOKS / 2) {
			assert_int_equal(kill(worker, SIGCONT), 0);
			worker = 0;
		}
		w = workers_alive(&e);
		samples++;
		if (w > max_workers)
			max_workers = w;
	}
	if (worker > 0)
		assert_int_equal(kill(worker, SIGCONT), 0);
	for (i = 0; i < HOOKS; i++) {
		char want[32], *out = read_text(p[i].out);

		snprintf(want, sizeof(want), "queued scene %d", i % SCENES + 1);
		if (strstr(out, want) == NULL)
			fprintf(stderr, "hook %d: %s\n", i, out);
		assert_non_null(strstr(out, want));
		merged += strstr(out, "(already queued)") != NULL;
		free(out);
		out = read_text(p[i].err);
		db_ms[i] = -1;
		if ((took = strstr(out, "enqueue took ")) != NULL)
			db_ms[i] = strtod(took + 13, NULL);
		assert_true(db_ms[i] >= 0);
		lock_ms[i] = -1;
		if ((took = strstr(out, "lock wait ")) != NULL)
			lock_ms[i] = strtod(took + 10, NULL);
		assert_true(lock_ms[i] >= 0);
		free(out);
	}
	/* Keep sampling while the worker drains. */
	while (h_wait_worker(&e, 0.02) != 0) {
		int w = workers_alive(&e);

		samples++;
		if (w > max_workers)
			max_workers = w;
	}
	qsort(ms, HOOKS, sizeof(ms[0]), cmp_double);
	printf("%d hooks released at once (%d scenes): wall time from release "
	       "to exit ms: p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
	    HOOKS, SCENES, ms[HOOKS / 2], ms[HOOKS * 9 / 10],
	    ms[HOOKS * 99 / 100], ms[HOOKS - 1]);
	qsort(db_ms, HOOKS, sizeof(db_ms[0]), cmp_double);
	printf("  each hook's database open + enqueue (lock waits included) "
	       "ms: p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
	    db_ms[HOOKS / 2], db_ms[HOOKS * 9 / 10], db_ms[HOOKS * 99 / 100],
	    db_ms[HOOKS - 1]);
	qsort(lock_ms, HOOKS, sizeof(lock_ms[0]), cmp_double);
	printf("  of that, waiting for a database lock another process held "
	       "(first refusal to acquisition) ms: p50 %.1f p90 %.1f p99 %.1f "
	       "max %.1f; %d of %d hooks waited at all\n",
	    lock_ms[HOOKS / 2], lock_ms[HOOKS * 9 / 10],
	    lock_ms[HOOKS * 99 / 100], lock_ms[HOOKS - 1],
	    nonzero(lock_ms, HOOKS), HOOKS);
	qsort(cpu, HOOKS, sizeof(cpu[0]), cmp_double);
	printf("  each hook's own CPU time ms: p50 %.1f p90 %.1f p99 %.1f max "
	       "%.1f (%ld CPUs; the rest of the wall time is waiting for a CPU "
	       "or a lock)\n",
	    cpu[HOOKS / 2], cpu[HOOKS * 9 / 10], cpu[HOOKS * 99 / 100],
	    cpu[HOOKS - 1], sysconf(_SC_NPROCESSORS_ONLN));
	done = h_db_long(&e, "SELECT value FROM counter WHERE name = 'done'");
	printf("workers alive at once: at most %d over %d samples; %d of %d "
	       "hooks merged into a queued job; job runs after the hooks: "
	       "%ld\n",
	    max_workers, samples, merged, HOOKS, done - done_before);
	assert_true(max_workers <= 1);
	/* Coalesced: job.scene_id is UNIQUE, so a hook either queued a new
	 * job or merged into the scene's queued one (as every hook did while
	 * the worker was stopped); runs never exceed hooks plus the jobs
	 * queued before them. */
	assert_true(merged >= HOOKS / 2);
	assert_true(done - done_before <= HOOKS + SCENES);
	assert_settled(&e, SCENES);
	h_stop(&e);
}

/* Start a Process Queue task that drains slowly; wait until it works. */
static void
start_slow_drain(struct h_env *e, int scenes, const char *tag, struct h_proc *p)
{
	struct h_run r;
	double end = h_mono() + 60;

	assert_int_equal(h_post(e->plex_ctl, "/fault",
			     "{\"mode\": \"slow\", \"delay_ms\": 40}"),
	    200);
	run_task(e, "all", no_autodrain, &r);
	h_run_free(&r);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), scenes);
	assert_int_equal(h_spawn_plugin(e, "{\"mode\": \"process_queue\"}",
			     small_batches, tag, -1, p),
	    0);
	while (h_count_requests(e, "PUT", "/library/") < 3) {
		assert_true(h_mono() < end);
		h_sleep(0.02);
	}
}

static void
test_concurrency__two_process_queue_at_once(void **state)
{
	struct h_env e;
	struct h_proc a, b;
	struct h_run ra, rb;

	(void)state;
	assert_int_equal(h_start(&e, 40, 22, NULL, NULL), 0);
	start_slow_drain(&e, 40, "pq1", &a);
	assert_int_equal(h_spawn_plugin(&e, "{\"mode\": \"process_queue\"}",
			     no_autodrain, "pq2", -1, &b),
	    0);
	assert_int_equal(h_wait_plugin(&a, &ra), 0);
	assert_int_equal(h_wait_plugin(&b, &rb), 0);
	printf("first: %s\nsecond: %s\n", ra.out, rb.out);
	assert_int_equal(ra.status, 0);
	assert_int_equal(rb.status, 0);
	/* The second one follows the first instead of draining too. */
	assert_non_null(strstr(rb.err, "following its progress"));
	assert_non_null(strstr(ra.out, "processed 40"));
	h_run_free(&ra);
	h_run_free(&rb);
	/* Each job ran exactly once. */
	assert_int_equal(h_db_long(&e,
			     "SELECT value FROM counter WHERE name = 'done'"),
	    40);
	assert_settled(&e, 40);
	h_stop(&e);
}

static void
test_concurrency__reconcile_during_a_drain(void **state)
{
	struct h_env e;
	struct h_proc a;
	struct h_run ra, r;

	(void)state;
	assert_int_equal(h_start(&e, 40, 23, NULL, NULL), 0);
	start_slow_drain(&e, 40, "pq1", &a);
	assert_int_equal(h_post(e.stash_ctl, "/scene/40",
			     "{\"title\": \"Changed during the drain\"}"),
	    200);
	run_task(&e, "reconcile_all", no_autodrain, &r);
	printf("reconcile during a drain: %s\n", r.out);
	h_run_free(&r);
	assert_int_equal(h_wait_plugin(&a, &ra), 0);
	printf("drain: %s\n", ra.out);
	assert_int_equal(ra.status, 0);
	assert_non_null(strstr(ra.out, " 0 dead-lettered"));
	h_run_free(&ra);
	/* What the reconcile queued is drained next. */
	run_task(&e, "process_queue", no_autodrain, &r);
	h_run_free(&r);
	assert_settled(&e, 40);
	h_stop(&e);
}

static void
test_concurrency__clear_queue_during_a_drain(void **state)
{
	struct h_env e;
	struct h_proc a;
	struct h_run ra, r;
	long cleared = -1, done, unsynced;
	const char *p;
	char *ic;

	(void)state;
	assert_int_equal(h_start(&e, 40, 24, NULL, NULL), 0);
	start_slow_drain(&e, 40, "pq1", &a);
	run_task(&e, "clear_queue", no_autodrain, &r);
	printf("clear_queue during a drain: %s\n", r.out);
	p = strpbrk(r.out, "0123456789");
	assert_non_null(p);
	cleared = strtol(p, NULL, 10);
	h_run_free(&r);
	assert_int_equal(h_wait_plugin(&a, &ra), 0);
	printf("drain: %s\n", ra.out);
	assert_int_equal(ra.status, 0);
	h_run_free(&ra);
	/* Nothing stuck: the drainer finished what it held, the rest was
	 * cleared as asked, and the two add up. */
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	done = h_db_long(&e, "SELECT value FROM counter WHERE name = 'done'");
	printf("cleared %ld, done %ld\n", cleared, done);
	assert_true(cleared > 0);
	assert_int_equal(done + cleared, 40);
	unsynced = h_unsynced(&e, 40);
	assert_int_equal(unsynced, cleared);
	ic = h_db_text(&e, "PRAGMA integrity_check");
	assert_string_equal(ic, "ok");
	free(ic);
	/* Sync All brings the cleared ones back. */
	assert_int_equal(h_post(e.plex_ctl, "/fault", "{\"mode\": \"none\"}"),
	    200);
	run_task(&e, "all", no_autodrain, &r);
	h_run_free(&r);
	run_task(&e, "process_queue", no_autodrain, &r);
	h_run_free(&r);
	assert_settled(&e, 40);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrency__500_hooks_one_worker),
	    cmocka_unit_test(test_concurrency__two_process_queue_at_once),
	    cmocka_unit_test(test_concurrency__reconcile_during_a_drain),
	    cmocka_unit_test(test_concurrency__clear_queue_during_a_drain),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
