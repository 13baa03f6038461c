/*
 * bench.c - `make bench`: performance figures, printed, never asserted.
 * 1. Hook cost: the whole stash2plex process as Stash runs it (spawn, read
 *    stdin, enqueue, exit), median and p90 over many runs, beside the cost
 *    of starting the same binary to print its version (process baseline);
 *    the static x86_64 binary of `make static`, when built (third
 *    argument), is measured in the same rounds for comparison.
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

static const char *const env[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
static const char *bin = S2P_BIN; /* the binary version_ms() starts */

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
	double t0 = h_mono();
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
	return (h_mono() - t0) * 1000;
}

/* Figures of one binary (see hooks). */
struct hookfig {
	const char *label;
	const char *path;
	double *base, *enq, *ign, *cover;
};

/* Run as the plugin with args; whole-process milliseconds. */
static double
run_ms(struct h_env *e, const char *path, const char *args)
{
	struct h_run r;
	double ms;

	bin = path;
	h_set_plugin_bin(path);
	h_run_plugin(e, args, env, &r);
	ms = r.ms;
	h_run_free(&r);
	return ms;
}

/* Hook costs of each binary in f[0..nf). The binaries take turns within
 * every round, so a machine busy with something else slows them alike and
 * the comparison stays fair. */
static void
hooks(struct h_env *e, int n, struct hookfig *f, int nf)
{
	char args[512];
	size_t big = 4 * 1024 * 1024;
	char *doc = malloc(big + 512);
	int i, j, k;

	/* A cover set in the UI: the hook input carries the image. */
	k = snprintf(doc, 512,
	    "{\"mode\": \"hook\", \"hookContext\":"
	    " {\"id\": 3, \"type\": \"Scene.Update.Post\", \"input\":"
	    " {\"id\": \"3\", \"cover_image\": \"data:image/jpeg;"
	    "base64,");
	memset(doc + k, 'Q', big);
	snprintf(doc + k + big, 512,
	    "\"}, \"inputFields\": [\"id\","
	    " \"cover_image\"]}}");
	for (j = 0; j < nf; j++) {
		f[j].base = calloc((size_t)n, sizeof(double));
		f[j].enq = calloc((size_t)n, sizeof(double));
		f[j].ign = calloc((size_t)n, sizeof(double));
		f[j].cover = calloc((size_t)n, sizeof(double));
	}
	for (i = 0; i < n; i++) {
		snprintf(args, sizeof(args),
		    "{\"mode\": \"hook\", \"hookContext\": {\"id\": %d, "
		    "\"type\":"
		    " \"Scene.Update.Post\", \"input\": {\"id\": \"%d\", "
		    "\"title\": \"t\"}, \"inputFields\": [\"id\", \"title\"]}}",
		    1 + i % 50, 1 + i % 50);
		for (j = 0; j < nf; j++) {
			bin = f[j].path;
			f[j].base[i] = version_ms();
			f[j].enq[i] = run_ms(e, f[j].path, args);
			f[j].ign[i] = run_ms(e, f[j].path,
			    "{\"mode\": \"hook\", \"hookContext\": {\"id\": 7, "
			    "\"type\": \"Scene.Update.Post\", \"input\": "
			    "null}}");
			f[j].cover[i] = run_ms(e, f[j].path, doc);
		}
	}
	for (j = 0; j < nf; j++) {
		printf("-- %s (%s)\n", f[j].label, f[j].path);
		stats("process start only (stash2plex version)", f[j].base, n);
		stats("hook: Scene.Update.Post, enqueue", f[j].enq, n);
		stats("hook: scan noise, ignored", f[j].ign, n);
		stats("hook: new cover (4 MiB image in the input)", f[j].cover,
		    n);
		free(f[j].base);
		free(f[j].enq);
		free(f[j].ign);
		free(f[j].cover);
	}
	free(doc);
	bin = S2P_BIN;
	h_set_plugin_bin(NULL);
}

static void
count(struct h_env *e, const char *label, double secs, int scenes)
{
	json_t *reqs = h_get(e->plex_ctl, "/requests"), *r;
	int get_item = 0, get_list = 0, get_other = 0, put = 0, post = 0;
	size_t i;

	json_array_foreach(reqs, i, r)
	{
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
	{
		struct hookfig f[2] = {
		    {"dynamic build", S2P_BIN, NULL, NULL, NULL, NULL},
		    {"static x86_64 build (make static)", static_bin, NULL,
			NULL, NULL, NULL},
		};
		int nf = static_bin != NULL && access(static_bin, X_OK) == 0
		    ? 2
		    : 1;

		printf("== Hook cost, whole process, %d runs each\n", runs);
		fflush(stdout);
		hooks(&e, runs, f, nf);
		if (nf == 1 && static_bin != NULL)
			printf("(no static build at %s: run `make static` to "
			       "compare its hook cost)\n",
			    static_bin);
		task(&e, "clear_queue");
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
