/*
 * bench.c - `make bench`: performance figures, printed, never asserted.
 * 1. Hook cost: the whole stash2plex process as Stash runs it (spawn, read
 *    stdin, enqueue, exit), median and p90 over many runs, beside the cost
 *    of starting the same binary to print its version (process baseline);
 *    then the same for the static x86_64 binary of `make static` when it
 *    was built (third argument), for comparison.
 * 2. A large library against the fakes: first full sync, an unchanged
 *    re-sync, and a one-tag change, with wall time, Plex request counts and
 *    the worker's peak memory.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *const env[] = { "STASH2PLEX_AUTODRAIN=0", NULL };
static const char *bin = S2P_BIN; /* the binary hooks() measures */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
stats(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-44s median %6.2f ms   p90 %6.2f ms   (n=%d)\n", what,
	    v[n / 2], v[n * 9 / 10], n);
}

static double
version_ms(void)
{
	double t0 = mono();
	pid_t pid;

	fflush(stdout);
	pid = fork();
	int st;

	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execl(bin, bin, "version", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return (mono() - t0) * 1000;
}

static void
hooks(struct h_env *e, int n)
{
	double *base = calloc((size_t)n, sizeof(double));
	double *enq = calloc((size_t)n, sizeof(double));
	double *ign = calloc((size_t)n, sizeof(double));
	double *cover = calloc((size_t)n, sizeof(double));
	char args[512];
	int i;

	for (i = 0; i < n; i++) {
		struct h_run r;

		base[i] = version_ms();
		snprintf(args, sizeof(args),
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %d, \"type\":"
		    " \"Scene.Update.Post\", \"input\": {\"id\": \"%d\", "
		    "\"title\": \"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
		    1 + i % 50, 1 + i % 50);
		h_run_plugin(e, args, env, &r);
		enq[i] = r.ms;
		h_run_free(&r);
		h_run_plugin(e,
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 7, "
		    "\"type\": \"Scene.Update.Post\", \"input\": null}}",
		    env, &r);
		ign[i] = r.ms;
		h_run_free(&r);
	}
	{
		/* A cover set in the UI: the hook input carries the image. */
		size_t big = 4 * 1024 * 1024;
		char *doc = malloc(big + 512);
		int k = snprintf(doc, 512, "{\"mode\": \"hook\", \"hookContext\":"
		    " {\"id\": 3, \"type\": \"Scene.Update.Post\", \"input\":"
		    " {\"id\": \"3\", \"cover_image\": \"data:image/jpeg;"
		    "base64,");

		memset(doc + k, 'Q', big);
		snprintf(doc + k + big, 512, "\"}, \"inputFields\": [\"id\","
		    " \"cover_image\"]}}");
		for (i = 0; i < n; i++) {
			struct h_run r;

			h_run_plugin(e, doc, env, &r);
			cover[i] = r.ms;
			h_run_free(&r);
		}
		free(doc);
	}
	stats("process start only (stash2plex version)", base, n);
	stats("hook: Scene.Update.Post, enqueue", enq, n);
	stats("hook: scan noise, ignored", ign, n);
	stats("hook: new cover (4 MiB image in the input)", cover, n);
	free(base);
	free(enq);
	free(ign);
	free(cover);
}

static void
count(struct h_env *e, const char *label, double secs, int scenes)
{
	json_t *reqs = h_get(e->plex_ctl, "/requests"), *r;
	int get_item = 0, get_list = 0, get_other = 0, put = 0, post = 0;
	size_t i;

	json_array_foreach(reqs, i, r) {
		const char *m = json_string_value(json_object_get(r, "method"));
		const char *p = json_string_value(json_object_get(r, "path"));

		if (strcmp(m, "PUT") == 0)
			put++;
		else if (strcmp(m, "POST") == 0)
			post++;
		else if (strncmp(p, "/library/metadata/", 18) == 0)
			get_item++;
		else if (strstr(p, "/all") != NULL)
			get_list++;
		else
			get_other++;
	}
	printf("%-28s %7.2f s  %7.1f scenes/s  Plex requests: %zu (GET item "
	       "%d, GET listing %d, GET other %d, PUT %d, POST %d)\n",
	    label, secs, secs > 0 ? scenes / secs : 0.0, json_array_size(reqs),
	    get_item, get_list, get_other, put, post);
	json_decref(reqs);
	h_delete(e->plex_ctl, "/requests");
}

static long peak_kib;

/* VmHWM of a running stash2plex process in KiB (0 before its exec or once
 * it is gone). A child's ru_maxrss would count the copy of this process it
 * was before exec. */
static long
hwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	/* Before exec the child is still a copy of this process. */
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

static double
task(struct h_env *e, const char *mode)
{
	struct h_proc p;
	struct h_run r;
	char args[64];
	double ms;

	snprintf(args, sizeof(args), "{\"mode\": \"%s\"}", mode);
	if (h_spawn_plugin(e, args, env, mode, -1, &p) != 0)
		return 0;
	/* Sample the peak until the process has exited (a zombie keeps
	 * /proc/PID but loses its memory: the last sample before that
	 * holds the high-water mark). */
	for (;;) {
		siginfo_t si;
		long k = hwm_kib(p.pid);

		if (k > peak_kib)
			peak_kib = k;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)p.pid, &si,
			WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != 0)
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

int
main(int argc, char **argv)
{
	int scenes = argc > 1 ? atoi(argv[1]) : 5000;
	int runs = argc > 2 ? atoi(argv[2]) : 200;
	const char *static_bin = argc > 3 ? argv[3] : NULL;
	struct h_env e;
	double t;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (h_start(&e, scenes, 42, NULL, NULL) != 0) {
		fprintf(stderr, "bench: cannot start the fakes\n");
		return 1;
	}
	printf("== Hook cost, whole process, %d runs each\n", runs);
	fflush(stdout);
	hooks(&e, runs);
	task(&e, "clear_queue");
	if (static_bin != NULL && access(static_bin, X_OK) == 0) {
		printf("\n== Hook cost, static x86_64 binary (%s), %d runs each\n",
		    static_bin, runs);
		fflush(stdout);
		bin = static_bin;
		h_set_plugin_bin(static_bin);
		hooks(&e, runs);
		task(&e, "clear_queue");
		bin = S2P_BIN;
		h_set_plugin_bin(NULL);
	} else if (static_bin != NULL) {
		printf("\n(no static build at %s: run `make static` to compare "
		       "its hook cost)\n", static_bin);
	}
	printf("\n== Library of %d scenes (Plex starts with other metadata)\n",
	    scenes);
	h_delete(e.plex_ctl, "/requests");
	t = task(&e, "all");
	printf("%-28s %7.2f s\n", "enqueue all (Sync All task)", t);
	t = task(&e, "process_queue");
	count(&e, "first full sync", t, scenes);
	t = task(&e, "all") + task(&e, "process_queue");
	count(&e, "unchanged re-sync", t, scenes);
	h_post(e.stash_ctl, "/scene/17", "{\"tags\": [\"Bench Tag\"]}");
	t = task(&e, "all") + task(&e, "process_queue");
	count(&e, "one tag changed", t, scenes);
	printf("peak RSS of a stash2plex task process: %ld KiB\n", peak_kib);
	h_stop(&e);
	return 0;
}
