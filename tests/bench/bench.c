/*
 * bench.c - `make bench`: performance figures at several library sizes,
 * printed one line each with its floor beside it, and written to a JSON
 * file; never asserted. Every figure is the median and spread (min..max)
 * of repeated runs, each on fresh fakes and a fresh data directory.
 *
 * usage: s2p-bench SIZES HOOK_ROUNDS OUT.json
 *   SIZES "1000,10000,100000"; HOOK_ROUNDS per run up to 10,000 scenes.
 *   The plan per size (runs, hook rounds, 5 ms first syncs) is plan_for's,
 *   changed by BENCH_REPEATS (up to 1,000 scenes, default 5),
 *   BENCH_REPEATS_MID (up to 10,000, default 2), BENCH_REPEATS_LARGE
 *   (above, default 1), BENCH_HOOK_ROUNDS_LARGE (default 200),
 *   BENCH_LATENCY_MAX (default 10000), BENCH_LATENCY_REPEATS (up to 1,000
 *   scenes, default 3), BENCH_LATENCY_REPEATS_MID (default 1),
 *   BENCH_CONCURRENCY (default 4); BENCH_ONLY=index runs only the path
 *   index figures.
 *
 * Floors: a hook's is the start-up of an empty static C program; a
 * re-sync's (and a reconcile's Stash part) the time to page every scene out
 * of the fake Stash with nothing else done; a first sync's requests x
 * latency / concurrency; a path index build's the time to page the
 * listing out of the fake Plex, unparsed. The fakes' own ceilings
 * (requests/s, 4 clients; listing items/s) are printed too, so the
 * figures measure the plugin, not the fakes.
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "net/plex.h"
#include "net/stash.h"
#include "store/db.h"
#include "sync/indexer.h"
#include "sync/jobbatch.h"

#define MAXSAMP 512 /* samples per figure: runs, or hook rounds */
#define MAXFIG 40

static const char *const env[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
static int concurrency = 4; /* plex_concurrency (BENCH_CONCURRENCY) */

/* Start the fakes and save the settings with plex_concurrency. */
static int
start(struct h_env *e, int scenes, const char *plex_args)
{
	char extra[64];

	if (h_start(e, scenes, 42, plex_args, "--log-max 0") != 0)
		return -1;
	snprintf(extra, sizeof(extra), "\"plex_concurrency\": %d", concurrency);
	return h_settings(e, extra);
}

/* One figure at one size: samples, unit, and its floor (NAN-free: floor
 * < 0 means none). */
struct fig {
	char name[48];
	char unit[12];
	double v[MAXSAMP];
	int n;
	double floor;
	char floor_what[64];
};

struct size_figs {
	int scenes;
	struct fig f[MAXFIG];
	int nf;
};

static struct fig *
fig_get(struct size_figs *s, const char *name, const char *unit)
{
	int i;

	for (i = 0; i < s->nf; i++)
		if (strcmp(s->f[i].name, name) == 0)
			return &s->f[i];
	memset(&s->f[s->nf], 0, sizeof(s->f[0]));
	snprintf(s->f[s->nf].name, sizeof(s->f[0].name), "%s", name);
	snprintf(s->f[s->nf].unit, sizeof(s->f[0].unit), "%s", unit);
	s->f[s->nf].floor = -1;
	return &s->f[s->nf++];
}

static void
add(struct size_figs *s, const char *name, const char *unit, double v)
{
	struct fig *f = fig_get(s, name, unit);

	if (f->n < MAXSAMP)
		f->v[f->n++] = v;
}

/* Keep the smallest floor seen (floors measured in each run: the least
 * loaded one). */
static void
set_floor(struct size_figs *s, const char *name, const char *unit, double fl,
    const char *what)
{
	struct fig *f = fig_get(s, name, unit);

	if (f->floor < 0 || fl < f->floor)
		f->floor = fl;
	snprintf(f->floor_what, sizeof(f->floor_what), "%s", what);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* ---- processes -------------------------------------------------------- */

/* Wall milliseconds to start path with argv[1] arg (NULL: none) and reap
 * it. */
static double
spawn_ms(const char *path, const char *arg)
{
	double t0 = h_mono();
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return (h_mono() - t0) * 1000;
}

static double
run_ms(struct h_env *e, const char *args)
{
	struct h_run r;
	double ms;

	h_run_plugin(e, args, env, &r);
	ms = r.ms;
	h_run_free(&r);
	return ms;
}

/* One hook run, whole process: an enqueueing hook (scene 1 + round % 50)
 * or an ignored one; milliseconds. */
static double
hook_ms(struct h_env *e, int enqueue, int round)
{
	char args[512];

	if (!enqueue)
		return run_ms(e,
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 7, "
		    "\"type\": \"Scene.Update.Post\", \"input\": null}}");
	snprintf(args, sizeof(args),
	    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %d, "
	    "\"type\": \"Scene.Update.Post\", \"input\": {\"id\": "
	    "\"%d\", \"title\": \"t\"}, \"inputFields\": [\"id\", "
	    "\"title\"]}}",
	    1 + round % 50, 1 + round % 50);
	return run_ms(e, args);
}

/* The hook figures' floor: the median of every round's empty program at
 * this size (all runs), set once the runs are done. */
static void
hook_floors(struct size_figs *s)
{
	static const char *const figs[] = {"hook_ignored_empty_queue",
	    "hook_ignored_all_queued", "hook_enqueue_empty_queue",
	    "hook_enqueue_all_queued"};
	struct fig *fl = NULL;
	size_t i;
	int k;

	for (k = 0; k < s->nf; k++)
		if (strcmp(s->f[k].name, "hook_floor_empty_program") == 0)
			fl = &s->f[k];
	if (fl == NULL || fl->n == 0)
		return;
	for (i = 0; i < sizeof(figs) / sizeof(figs[0]); i++)
		set_floor(s, figs[i], "ms", median(fl->v, fl->n),
		    "empty static C program, same rounds");
}

/* Hook costs with every scene queued (e) and with an empty queue (empty:
 * same settings and database before the queue was filled), whole
 * process, interleaved round by round with their floor (an empty static C
 * program), so load drifts on a shared machine hit all of them alike; the
 * order within a round alternates. Every round is a sample; the paired
 * ratio queued / empty of each round is a figure too. */
static void
hook_rounds(struct h_env *e, struct h_env *empty, struct size_figs *s,
    int rounds)
{
	static const char *const fig[2][2] = {{"hook_ignored_empty_queue",
						  "hook_ignored_all_queued"},
	    {"hook_enqueue_empty_queue", "hook_enqueue_all_queued"}};
	int i, k, q;

	for (i = 0; i < rounds; i++) {
		double ms[2][2];

		add(s, "hook_floor_empty_program", "ms",
		    spawn_ms(S2P_EMPTY_BIN, NULL));
		for (k = 1; k >= 0; k--)
			for (q = 0; q < 2; q++) {
				int queued = (q + i) % 2; /* alternate */

				ms[k][queued] = hook_ms(queued ? e : empty, k,
				    i);
			}
		for (k = 0; k < 2; k++) {
			add(s, fig[k][0], "ms", ms[k][0]);
			add(s, fig[k][1], "ms", ms[k][1]);
		}
		add(s, "hook_enqueue_queued_over_empty", "ratio",
		    ms[1][1] / ms[1][0]);
		add(s, "hook_ignored_queued_over_empty", "ratio",
		    ms[0][1] / ms[0][0]);
	}
	set_floor(s, "hook_enqueue_queued_over_empty", "ratio", 1,
	    "target 0.90-1.10");
	set_floor(s, "hook_ignored_queued_over_empty", "ratio", 1,
	    "target 0.90-1.10");
}

static long peak_kib;

/* VmHWM of a running stash2plex process in KiB (0 before its exec or once
 * it is gone). */
static long
hwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL ||
	    strncmp(line, "stash2plex", 10) != 0) {
		fclose(f);
		return 0;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Run a task; wall seconds. peak_kib gets its peak RSS. */
static double
task(struct h_env *e, const char *mode)
{
	struct h_proc p;
	struct h_run r;
	char args[64];
	double ms;

	peak_kib = 0;
	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	if (h_spawn_plugin(e, args, env, mode, -1, &p) != 0)
		return 0;
	for (;;) {
		siginfo_t si;
		long k = hwm_kib(p.pid);

		if (k > peak_kib)
			peak_kib = k;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)p.pid, &si,
			WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    si.si_pid != 0)
			break;
		usleep(20000);
	}
	h_wait_plugin(&p, &r);
	if (r.status != 0)
		fprintf(stderr, "task %s failed: %s\n", mode, r.out);
	ms = r.ms;
	h_run_free(&r);
	return ms / 1000;
}

/* Plex requests since the last call (the fake counts them). */
static long
plex_requests(struct h_env *e, long *get, long *put)
{
	json_t *c = h_get(e->plex_ctl, "/requests/count");
	json_t *m = json_object_get(c, "methods");
	long total = (long)json_integer_value(json_object_get(c, "total"));

	if (get)
		*get = (long)json_integer_value(json_object_get(m, "GET"));
	if (put)
		*put = (long)json_integer_value(json_object_get(m, "PUT"));
	json_decref(c);
	h_delete(e->plex_ctl, "/requests");
	return total;
}

/* ---- library-level floors -------------------------------------------- */

static struct s2p_stash *
stash_client(struct h_env *e)
{
	struct s2p_stash *s = NULL;
	struct s2p_stash_opts o;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", e->stash_port);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.session_cookie = e->cookie[0] ? e->cookie : NULL;
	if (s2p_stash_new(&s, &o, NULL) != S2P_OK)
		return NULL;
	return s;
}

static struct s2p_plex *
plex_client(struct h_env *e)
{
	struct s2p_plex *p = NULL;
	struct s2p_plex_opts o;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", e->plex_port);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.token = e->token;
	o.client_id = "bench";
	if (s2p_plex_new(&p, &o, NULL) != S2P_OK)
		return NULL;
	return p;
}

/* Seconds to read scenes 1..n out of the fake Stash in batches, nothing
 * else done: the re-sync floor. */
static double
stash_floor(struct h_env *e, int n)
{
	struct s2p_stash *s = stash_client(e);
	size_t bs = s2p_jobbatch_size(), i, k;
	int64_t *ids = calloc(bs, sizeof(*ids));
	struct s2p_scene *sc = calloc(bs, sizeof(*sc));
	int *st = calloc(bs, sizeof(*st));
	double t0 = h_mono();
	int at;

	for (at = 1; s != NULL && at <= n; at += (int)bs) {
		k = (size_t)(n - at + 1) < bs ? (size_t)(n - at + 1) : bs;
		for (i = 0; i < k; i++)
			ids[i] = at + (int64_t)i;
		if (s2p_stash_find_scenes(s, ids, k, sc, st, NULL) == S2P_OK)
			for (i = 0; i < k; i++)
				s2p_scene_free(&sc[i]);
	}
	t0 = h_mono() - t0;
	s2p_stash_free(s);
	free(ids);
	free(sc);
	free(st);
	return t0;
}

static size_t
discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	*(size_t *)arg += size * n;
	return size * n;
}

/* Seconds to page section 1's whole listing (type 1, pages of 500 as the
 * indexer asks, JSON) out of the fake Plex over one keep-alive connection,
 * nothing parsed: the floor of a full index build. The model generation
 * is bumped first, so the fake sorts once, as for the build. */
static double
listing_floor(struct h_env *e, int n)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[128], h[128];
	double t0;
	size_t bytes = 0;
	int at;

	h_post(e->plex_ctl, "/config", "{}");
	snprintf(h, sizeof(h), "X-Plex-Token: %s", e->token);
	hd = curl_slist_append(hd, h);
	hd = curl_slist_append(hd, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	t0 = h_mono();
	for (at = 0; at < n; at += 500) {
		snprintf(url, sizeof(url),
		    "http://127.0.0.1:%d/library/sections/1/all?type=1"
		    "&X-Plex-Container-Start=%d&X-Plex-Container-Size=500",
		    e->plex_port, at);
		curl_easy_setopt(c, CURLOPT_URL, url);
		if (curl_easy_perform(c) != CURLE_OK)
			break;
	}
	t0 = h_mono() - t0;
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	h_post(e->plex_ctl, "/config", "{}");
	return bytes > 0 ? t0 : -1;
}

/* Path index: a full build of section 1, then an incremental refresh after
 * 100 new items, timed, against this run's fake Plex (own database); the
 * floor of the build is paging the listing with nothing parsed. */
static void
index_figs(struct h_env *e, struct size_figs *s)
{
	struct s2p_plex *p = plex_client(e);
	struct s2p_db *db = NULL;
	char path[300], body[256];
	struct s2p_error err;
	double t0, fl = listing_floor(e, s->scenes);
	long added = 0;
	int i;

	snprintf(path, sizeof(path), "%s/bench-index.db", e->dir);
	s2p_error_clear(&err);
	if (p == NULL || s2p_db_open(&db, path, &err) != S2P_OK) {
		fprintf(stderr, "index: %s\n", err.msg);
		goto out;
	}
	t0 = h_mono();
	if (s2p_indexer_full(db, p, "1", 1, h_wall(), &err) != S2P_OK)
		fprintf(stderr, "index: %s\n", err.msg);
	add(s, "index_full", "s", h_mono() - t0);
	if (fl > 0) {
		set_floor(s, "index_full", "s", fl,
		    "page the listing from Plex, unparsed");
		add(s, "fake_plex_listing_ceiling", "items/s", s->scenes / fl);
	}
	for (i = 0; i < 100; i++) {
		snprintf(body, sizeof(body),
		    "{\"files\": [\"/data/videos/Bench New/new-%d-%d.mp4\"], "
		    "\"title\": \"New %d\"}",
		    s->scenes, i, i);
		h_post(e->plex_ctl, "/item", body);
	}
	t0 = h_mono();
	if (s2p_indexer_incremental(db, p, "1", 1, &added, &err) != S2P_OK)
		fprintf(stderr, "index: %s\n", err.msg);
	add(s, "index_incremental_100_new", "s", h_mono() - t0);
out:
	s2p_db_close(db);
	s2p_plex_free(p);
}

/* ---- fake ceilings ---------------------------------------------------- */

struct hammer {
	struct h_env *e;
	int plex; /* 1: GET an item from fake Plex; 0: a Stash batch of one */
	double until;
	long done;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct s2p_plex *p = h->plex ? plex_client(h->e) : NULL;
	struct s2p_stash *s = h->plex ? NULL : stash_client(h->e);

	while (h_mono() < h->until) {
		if (p != NULL) {
			struct s2p_plex_item it;

			if (s2p_plex_get_item(p, "1001", &it, NULL) == S2P_OK)
				s2p_plex_item_free(&it);
		} else if (s != NULL) {
			struct s2p_scene sc;

			if (s2p_stash_find_scene(s, 1, &sc, NULL) == S2P_OK)
				s2p_scene_free(&sc);
		}
		h->done++;
	}
	s2p_plex_free(p);
	s2p_stash_free(s);
	return NULL;
}

/* Requests/s a fake answers to 4 concurrent keep-alive clients. */
static double
ceiling(struct h_env *e, int plex)
{
	struct hammer h[4];
	pthread_t t[4];
	double t0 = h_mono();
	long sum = 0;
	int i;

	for (i = 0; i < 4; i++) {
		h[i].e = e;
		h[i].plex = plex;
		h[i].until = t0 + 1.5;
		h[i].done = 0;
		pthread_create(&t[i], NULL, hammer_main, &h[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		sum += h[i].done;
	}
	return (double)sum / (h_mono() - t0);
}

/* ---- one repetition at one size --------------------------------------- */

static long
file_kib(const char *dir, const char *name)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data/%s", dir, name);
	return stat(path, &sb) == 0 ? (long)(sb.st_size / 1024) : 0;
}

/* Enqueue everything and drain; seconds. */
static double
sync_all(struct h_env *e, const char *mode)
{
	return task(e, mode) + task(e, "process_queue");
}

/* A second plugin directory on the same fakes with a copy of e's data
 * directory as it is now (settings cache, empty queue). 0 on success. */
static int
twin(struct h_env *e, struct h_env *out)
{
	char tmpl[] = "/tmp/s2p-bench-twin-XXXXXX", cmd[700];

	*out = *e;
	out->dir[0] = '\0';
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(out->dir, sizeof(out->dir), "%s", tmpl);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/data' '%s/'", e->dir, out->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
twin_free(struct h_env *t)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (t->dir[0] == '/' && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t->dir);
}

static void
first_sync_figs(struct h_env *e, struct size_figs *s, int hook_rounds_n)
{
	struct h_env empty;
	long req, get, put, peak;
	double t;
	int n = s->scenes, have_twin;

	task(e, "clear_queue");
	have_twin = twin(e, &empty) == 0;
	h_delete(e->plex_ctl, "/requests");
	t = task(e, "all");
	if (have_twin && hook_rounds_n > 0)
		hook_rounds(e, &empty, s, hook_rounds_n);
	else if (hook_rounds_n > 0)
		fprintf(stderr, "bench: no twin data directory, no hooks\n");
	if (have_twin)
		twin_free(&empty);
	t += task(e, "process_queue");
	peak = peak_kib;
	req = plex_requests(e, &get, &put);
	add(s, "first_sync_0ms", "s", t);
	set_floor(s, "first_sync_0ms", "s", 0, "requests x 0 ms latency");
	add(s, "first_sync_0ms_rate", "scenes/s", n / t);
	add(s, "first_sync_plex_requests_per_scene", "req", (double)req / n);
	add(s, "worker_peak_rss", "MiB", peak / 1024.0);
	add(s, "db_size", "MiB",
	    (file_kib(e->dir, "stash2plex.db") +
		file_kib(e->dir, "stash2plex.db-wal")) /
		1024.0);
}

static void
resync_figs(struct h_env *e, struct size_figs *s)
{
	double fl = stash_floor(e, s->scenes), t;
	long req;

	h_delete(e->plex_ctl, "/requests");
	t = sync_all(e, "all");
	req = plex_requests(e, NULL, NULL);
	add(s, "resync_unchanged", "s", t);
	set_floor(s, "resync_unchanged", "s", fl, "page all scenes from Stash");
	add(s, "resync_unchanged_plex_requests", "req", (double)req);
	set_floor(s, "resync_unchanged_plex_requests", "req", 0, "target");
	h_post(e->stash_ctl, "/scene/17", "{\"tags\": [\"Bench Tag\"]}");
	t = sync_all(e, "all");
	req = plex_requests(e, NULL, NULL);
	add(s, "one_changed_plex_requests", "req", (double)req);
	set_floor(s, "one_changed_plex_requests", "req", 2, "GET + PUT");
	add(s, "one_changed_resync", "s", t);
	set_floor(s, "one_changed_resync", "s", fl,
	    "page all scenes from Stash");
	t = sync_all(e, "reconcile_all");
	req = plex_requests(e, NULL, NULL);
	add(s, "reconcile_all", "s", t);
	set_floor(s, "reconcile_all", "s", fl, "page all scenes from Stash");
	add(s, "reconcile_plex_requests_per_scene", "req",
	    (double)req / s->scenes);
}

/* First sync against a fake Plex that takes latency_ms per request. */
static void
latency_figs(struct size_figs *s, int latency_ms)
{
	struct h_env e;
	char args[64];
	long req;
	double t;

	snprintf(args, sizeof(args), "--log-max 0 --latency-ms %d", latency_ms);
	if (start(&e, s->scenes, args) != 0)
		return;
	t = sync_all(&e, "all");
	req = plex_requests(&e, NULL, NULL);
	add(s, "first_sync_5ms", "s", t);
	set_floor(s, "first_sync_5ms", "s",
	    req * latency_ms / 1000.0 / concurrency,
	    "requests x latency / plex_concurrency");
	add(s, "first_sync_5ms_rate", "scenes/s", s->scenes / t);
	h_stop(&e);
}

static void
one_rep(struct size_figs *s, int hook_runs, int rep, int with_latency)
{
	const char *only = getenv("BENCH_ONLY");
	struct h_env e;

	if (start(&e, s->scenes, "--log-max 0") != 0) {
		fprintf(stderr, "bench: cannot start the fakes\n");
		return;
	}
	if (only != NULL && strcmp(only, "index") == 0) {
		index_figs(&e, s);
		h_stop(&e);
		return;
	}
	if (rep == 0) {
		add(s, "fake_plex_ceiling", "req/s", ceiling(&e, 1));
		add(s, "fake_stash_ceiling", "req/s", ceiling(&e, 0));
	}
	first_sync_figs(&e, s, hook_runs);
	resync_figs(&e, s);
	index_figs(&e, s);
	h_stop(&e);
	if (with_latency)
		latency_figs(s, 5);
}

/* ---- output ----------------------------------------------------------- */

/* Sample q (0..1) of sorted v[0..n): the nearest rank. */
static double
rank(const double *v, int n, double q)
{
	int i = (int)(q * (n - 1) + 0.5);

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* 95 % interval of the median of n samples (sorted): the order statistics
 * n/2 -+ 0.98 sqrt(n), distribution-free. */
static void
median_ci(const double *v, int n, double *lo, double *hi)
{
	double h = 0.98 * sqrt((double)n);
	int a = (int)floor(n / 2.0 - h), b = (int)ceil(n / 2.0 + h);

	*lo = v[a < 0 ? 0 : a];
	*hi = v[b > n - 1 ? n - 1 : b];
}

/* One line per figure: median, spread and its floor; with 10 samples or
 * more the 10th and 90th percentiles, and for a ratio the 95 % interval
 * of its median. Sorts the samples. */
static void
print_size(struct size_figs *s)
{
	int i;

	printf("\n== %d scenes\n", s->scenes);
	for (i = 0; i < s->nf; i++) {
		struct fig *f = &s->f[i];
		double med = median(f->v, f->n), lo, hi;

		printf("%-36s %10.3f %-8s (min %.3f, max %.3f, n=%d", f->name,
		    med, f->unit, f->v[0], f->v[f->n - 1], f->n);
		if (f->n >= 10)
			printf(", p10 %.3f, p90 %.3f", rank(f->v, f->n, 0.1),
			    rank(f->v, f->n, 0.9));
		if (strcmp(f->unit, "ratio") == 0 && f->n >= 10) {
			median_ci(f->v, f->n, &lo, &hi);
			printf(", median 95%% in [%.3f, %.3f]", lo, hi);
		}
		printf(")");
		if (f->floor >= 0)
			printf("   floor %.3f %s (%s)", f->floor, f->unit,
			    f->floor_what);
		printf("\n");
	}
	fflush(stdout);
}

static void
json_size(struct size_figs *s, FILE *js, int last)
{
	int i;

	fprintf(js, "    {\"scenes\": %d, \"figures\": {\n", s->scenes);
	for (i = 0; i < s->nf; i++) {
		struct fig *f = &s->f[i];
		double med = median(f->v, f->n);

		fprintf(js,
		    "      \"%s\": {\"unit\": \"%s\", \"median\": %.6g, "
		    "\"min\": %.6g, \"max\": %.6g, \"p10\": %.6g, "
		    "\"p90\": %.6g, \"n\": %d",
		    f->name, f->unit, med, f->v[0], f->v[f->n - 1],
		    rank(f->v, f->n, 0.1), rank(f->v, f->n, 0.9), f->n);
		if (f->floor >= 0)
			fprintf(js, ", \"floor\": %.6g, \"floor_what\": \"%s\"",
			    f->floor, f->floor_what);
		fprintf(js, "}%s\n", i + 1 < s->nf ? "," : "");
	}
	fprintf(js, "    }}%s\n", last ? "" : ",");
}

/* An integer knob from the environment, def when unset. */
static int
knob(const char *name, int def)
{
	const char *v = getenv(name);

	return v != NULL && *v ? atoi(v) : def;
}

/* The plan at one size: runs, hook rounds per run, 5 ms first syncs. */
struct plan {
	int reps, rounds, lat_reps;
};

/* Defaults: cheap sizes repeat more (5 runs up to 1,000 scenes, 2 up to
 * 10,000, 1 above); hooks 20 rounds per run, 200 in the one run above
 * 10,000 (the +-10 % comparison at 100,000); the 5 ms first sync 3 times
 * up to 1,000 scenes, once up to BENCH_LATENCY_MAX (10,000), never above
 * (at 100,000 its floor alone is over 8 minutes). */
static struct plan
plan_for(int n, int hook_rounds)
{
	struct plan p;
	int lat_max = knob("BENCH_LATENCY_MAX", 10000);

	p.reps = n <= 1000 ? knob("BENCH_REPEATS", 5)
	    : n <= 10000   ? knob("BENCH_REPEATS_MID", 2)
			   : knob("BENCH_REPEATS_LARGE", 1);
	p.rounds = n <= 10000 ? hook_rounds
			      : knob("BENCH_HOOK_ROUNDS_LARGE", 200);
	p.lat_reps = n > lat_max ? 0
	    : n <= 1000          ? knob("BENCH_LATENCY_REPEATS", 3)
				 : knob("BENCH_LATENCY_REPEATS_MID", 1);
	if (p.reps > MAXSAMP)
		p.reps = MAXSAMP;
	if (p.rounds * p.reps > MAXSAMP)
		p.rounds = MAXSAMP / (p.reps > 0 ? p.reps : 1);
	return p;
}

int
main(int argc, char **argv)
{
	const char *sizes = argc > 1 ? argv[1] : "1000,10000,100000";
	int hook_rounds = argc > 2 ? atoi(argv[2]) : 20;
	const char *out = argc > 3 ? argv[3] : "bench-results.json";
	static struct size_figs all[8];
	char *list = strdup(sizes), *tok, *save = NULL;
	int ns = 0, i, r, cc = knob("BENCH_CONCURRENCY", 4);
	double t_all = h_mono();
	FILE *js;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	if (cc >= 1 && cc <= 8)
		concurrency = cc;
	printf("batch size %zu (STASH2PLEX_BATCH), plex_concurrency %d\n",
	    s2p_jobbatch_size(), concurrency);
	for (tok = strtok_r(list, ",", &save); tok && ns < 8;
	     tok = strtok_r(NULL, ",", &save)) {
		struct size_figs *s = &all[ns++];
		int n = atoi(tok);
		struct plan p = plan_for(n, hook_rounds);
		double t0 = h_mono();

		s->scenes = n;
		printf("\n%d scenes: %d run(s), %d hook round(s) per run, "
		       "first sync at 5 ms in %d run(s)%s\n",
		    n, p.reps, p.rounds,
		    p.lat_reps < p.reps ? p.lat_reps : p.reps,
		    n > knob("BENCH_LATENCY_MAX", 10000)
			? " (none: above BENCH_LATENCY_MAX, its floor alone "
			  "would take too long)"
			: "");
		fflush(stdout);
		for (r = 0; r < p.reps; r++) {
			fprintf(stderr, "bench: %d scenes, run %d of %d\n", n,
			    r + 1, p.reps);
			one_rep(s, p.rounds, r, r < p.lat_reps);
		}
		hook_floors(s);
		print_size(s);
		printf("(%d scenes: %.0f s)\n", n, h_mono() - t0);
	}
	js = fopen(out, "w");
	if (js == NULL) {
		perror(out);
		return 1;
	}
	fprintf(js,
	    "{\n  \"batch\": %zu,\n  \"plex_concurrency\": %d,\n"
	    "  \"sizes\": [\n",
	    s2p_jobbatch_size(), concurrency);
	for (i = 0; i < ns; i++)
		json_size(&all[i], js, i + 1 == ns);
	fprintf(js, "  ]\n}\n");
	fclose(js);
	printf("\nwritten: %s (s2p-bench: %.0f s)\n", out, h_mono() - t_all);
	free(list);
	return 0;
}
