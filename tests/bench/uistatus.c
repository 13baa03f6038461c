/*
 * uistatus.c - `make bench`, part 3: how long the Stash UI's status
 * operation takes ({"mode": "status"}, app/ops.c), the whole plugin
 * process as Stash runs it, on a database the size of a 100k-scene
 * library: 100k synced scenes, a backlog of queued jobs, dead letters
 * and 7 days of per-minute metric samples. Prints the median and the
 * slowest wall time of N runs, and the median CPU time (user + system) of
 * the process, which a busy machine does not inflate; asserts nothing
 * (figures, not tests).
 *
 * usage: s2p-bench-uistatus [SCENES [RUNS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "harness.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "store/db.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* User + system time of the waited-for children, in ms. */
static double
cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

/* Fill the database with SQL (the bench builds state, the product only
 * reads it). */
static int
fill(const char *path, long scenes, double now)
{
	struct s2p_db *db = NULL;
	struct s2p_error err;
	char *sql;
	int rc;

	s2p_error_clear(&err);
	rc = s2p_db_open(&db, path, &err);
	if (rc != S2P_OK) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return -1;
	}
	sql = s2p_xasprintf(
	    "BEGIN;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < %ld) INSERT INTO sync_state (scene_id, rating_key,"
	    " values_hash, synced_at) SELECT i, 100000 + i, printf('%%016x', "
	    "i),"
	    " %f - i FROM n;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < %ld) INSERT INTO job (scene_id, state, attempts,"
	    " not_before, enqueued_at, updated_at, reason, error_class,"
	    " last_error) SELECT i * 7, 'pending', i %% 3, %f + i %% 600, %f,"
	    " %f, 'all', CASE WHEN i %% 3 > 0 THEN 'down' ELSE '' END,"
	    " '' FROM n;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 500) INSERT INTO dead_letter (scene_id, attempts,"
	    " failed_at, error_class, message, reason) SELECT i * 11, 5,"
	    " %f - i * 60, CASE WHEN i %% 2 THEN 'not_found' ELSE 'temporary'"
	    " END, 'no Plex item has the file /data/videos/x.mp4', 'all'"
	    " FROM n;"
	    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 7 * 24 * 60 - 1) INSERT INTO metric_minute (minute,"
	    " synced, failed, dead, skipped, requests, p50_ms, p95_ms,"
	    " queue_depth, breaker) SELECT %ld - i, i %% 40, i %% 3, i %% 50 = "
	    "0,"
	    " 0, i %% 40 * 3, 12.5, 80.0, %ld / 10, 'closed' FROM n;"
	    "COMMIT;",
	    scenes, now, scenes / 10, now, now, now, now, (long)(now / 60),
	    scenes);
	rc = s2p_db_exec(db, sql, &err);
	free(sql);
	/* As the worker's writes leave it: checkpointed. */
	if (rc == S2P_OK)
		rc = s2p_db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", &err);
	if (rc != S2P_OK)
		fprintf(stderr, "bench: %s\n", err.msg);
	s2p_db_close(db);
	return rc == S2P_OK ? 0 : -1;
}

int
main(int argc, char **argv)
{
	long scenes = argc > 1 ? atol(argv[1]) : 100000;
	int runs = argc > 2 ? atoi(argv[2]) : 30, i, bad = 0;
	static const char *const env[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
	char tmpl[] = "/tmp/s2p-bench-ui-XXXXXX", *dbpath, *doc;
	double *ms = s2p_xreallocarray(NULL, (size_t)runs, sizeof(*ms));
	double *cpu = s2p_xreallocarray(NULL, (size_t)runs, sizeof(*cpu));
	struct rusage ru;
	double c0;
	struct h_env e;
	struct h_run r;

	memset(&e, 0, sizeof(e));
	if (runs < 1 || scenes < 10 || mkdtemp(tmpl) == NULL)
		return 2;
	snprintf(e.dir, sizeof(e.dir), "%s", tmpl);
	dbpath = s2p_xasprintf("%s/data", e.dir);
	if (s2p_mkdir_p(dbpath, 0700, NULL) != S2P_OK)
		return 1;
	free(dbpath);
	dbpath = s2p_xasprintf("%s/data/stash2plex.db", e.dir);
	if (fill(dbpath, scenes, (double)time(NULL)) != 0)
		return 1;
	doc = s2p_xasprintf("{\"server_connection\": {\"Scheme\": \"http\","
			    " \"Host\": \"127.0.0.1\", \"Port\": 9, \"Dir\":"
			    " \"%s\", \"PluginDir\": \"%s\"},"
			    " \"args\": {\"mode\": \"status\"}}",
	    e.dir, e.dir);
	for (i = 0; i < runs; i++) {
		getrusage(RUSAGE_CHILDREN, &ru);
		c0 = cpu_ms(&ru);
		if (h_run_stdin(&e, doc, env, &r) != 0 || r.status != 0 ||
		    strstr(r.out, "\"series\"") == NULL) {
			fprintf(stderr, "bench: status run failed: %s %s\n",
			    r.out ? r.out : "", r.err ? r.err : "");
			bad = 1;
		}
		ms[i] = r.ms;
		getrusage(RUSAGE_CHILDREN, &ru);
		cpu[i] = cpu_ms(&ru) - c0;
		h_run_free(&r);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	qsort(cpu, (size_t)runs, sizeof(*cpu), cmp_double);
	printf("UI status operation (plugin process, %ld scenes, %ld queued, "
	       "500 dead letters, 7 days of samples), %d runs: wall median "
	       "%.1f ms, slowest %.1f ms; CPU median %.1f ms, slowest %.1f ms "
	       "(budget 50 ms)\n",
	    scenes, scenes / 10, runs, ms[runs / 2], ms[runs - 1],
	    cpu[runs / 2], cpu[runs - 1]);
	free(ms);
	free(cpu);
	free(doc);
	free(dbpath);
	if (getenv("S2P_BENCH_KEEP") != NULL) {
		printf("kept %s\n", e.dir);
		return bad;
	}
	doc = s2p_xasprintf("rm -rf '%s'", e.dir);
	if (system(doc) != 0)
		bad = 1;
	free(doc);
	return bad;
}
