/*
 * launcher.c - `make bench`, part 2: what the package's launcher adds to a
 * hook. The plugin is installed in the package layout (scripts/dist.sh
 * --install) and hooks are run as Stash runs them, whole process, median
 * and p90 of many runs: the binary started directly; the installed
 * "stash2plex" after its first run (the launcher has put the binary in its
 * place); a shell launcher that stayed in between (what the first run costs,
 * with uname; and the cheapest possible one, a single exec); and the first
 * run itself. Figures are printed, never asserted.
 * Usage: s2p-bench-launcher BINARY RUNS
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

static const char *plugin_dir;
static char in_ign[600], in_enq[600];
static int failures;

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
stats(const char *what, double *v, double *cpu, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	qsort(cpu, (size_t)n, sizeof(*cpu), cmp);
	printf("%-52s median %6.2f ms   p90 %6.2f ms   CPU %5.2f ms   "
	       "(n=%d)\n",
	    what, v[n / 2], v[n * 9 / 10], cpu[n / 2], n);
}

/* One hook: exec prog with the input file on stdin, wait; wall ms, and
 * the CPU ms it used (user + system, its waited-for children included) in
 * *cpu: on a busy machine the CPU time moves less than the wall time. */
static double
run(const char *prog, const char *input, double *cpu)
{
	double t0 = h_mono();
	pid_t pid = fork();
	struct rusage ru;
	int st;

	if (pid == 0) {
		int in = open(input, O_RDONLY),
		    out = open("/dev/null", O_WRONLY);

		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		putenv((char *)"STASH2PLEX_AUTODRAIN=0");
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	wait4(pid, &st, 0, &ru);
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && failures++ < 3)
		fprintf(stderr, "%s failed (status %d)\n", prog, st);
	return (h_mono() - t0) * 1000;
}

static void
write_input(struct h_env *e, const char *path, const char *args)
{
	char *doc = s2p_xasprintf(
	    "{\"server_connection\": {\"Scheme\": "
	    "\"http\", \"Host\": \"0.0.0.0\", \"Port\": %d, \"SessionCookie\":"
	    " null, \"Dir\": \"%s\", \"PluginDir\": \"%s\"}, \"args\": %s}",
	    e->stash_port, e->dir, plugin_dir, args);
	FILE *f = fopen(path, "w");

	fputs(doc, f);
	fclose(f);
	free(doc);
}

/* Ignored and enqueueing hooks through prog, n runs each, interleaved. */
static void
measure(const char *label, const char *prog, int n)
{
	double *ign = calloc((size_t)n, sizeof(double));
	double *enq = calloc((size_t)n, sizeof(double));
	double *ci = calloc((size_t)n, sizeof(double));
	double *ce = calloc((size_t)n, sizeof(double));
	char what[128];
	int i;

	for (i = 0; i < n; i++) {
		ign[i] = run(prog, in_ign, &ci[i]);
		enq[i] = run(prog, in_enq, &ce[i]);
	}
	snprintf(what, sizeof(what), "%s, ignored", label);
	stats(what, ign, ci, n);
	snprintf(what, sizeof(what), "%s, enqueue", label);
	stats(what, enq, ce, n);
	free(ign);
	free(enq);
	free(ci);
	free(ce);
}

static void
sh(const char *cmd)
{
	if (system(cmd) != 0)
		fprintf(stderr, "failed: %s\n", cmd);
}

int
main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : S2P_BIN;
	int n = argc > 2 ? atoi(argv[2]) : 200, i, first_n = n / 10 + 5;
	char *p, *launcher, *direct, *inst, *minimal;
	struct h_env e;
	double *first, *first_cpu;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (h_start(&e, 20, 3, NULL, NULL) != 0) {
		fprintf(stderr, "bench: cannot start the fakes\n");
		return 1;
	}
	plugin_dir = s2p_xasprintf("%s/plugin", e.dir);
	p = s2p_xasprintf("mkdir -p '%s/ui' && echo >'%s/ui/stash2plex.js' && "
			  "echo >'%s/ui/stash2plex.css' && "
			  "'%s/scripts/dist.sh' --arches x86_64 --bin "
			  "x86_64='%s' --allow-dynamic --ui '%s/ui' "
			  "--install '%s' >/dev/null",
	    e.dir, e.dir, e.dir, S2P_SOURCE_DIR, bin, e.dir, plugin_dir);
	sh(p);
	free(p);
	snprintf(in_ign, sizeof(in_ign), "%s/ign.json", e.dir);
	snprintf(in_enq, sizeof(in_enq), "%s/enq.json", e.dir);
	write_input(&e, in_ign,
	    "{\"mode\": \"hook\", \"hookContext\": "
	    "{\"id\": 7, \"type\": \"Scene.Update.Post\", \"input\": null}}");
	write_input(&e, in_enq,
	    "{\"mode\": \"hook\", \"hookContext\": "
	    "{\"id\": 5, \"type\": \"Scene.Update.Post\", \"input\": {\"id\":"
	    " \"5\", \"title\": \"t\"}, \"inputFields\": [\"id\", "
	    "\"title\"]}}");
	direct = s2p_xasprintf("%s/bin/stash2plex-x86_64", plugin_dir);
	inst = s2p_xasprintf("%s/stash2plex", plugin_dir);
	/* The launcher under another name never steps aside. */
	launcher = s2p_xasprintf("%s/launch-every-time", plugin_dir);
	minimal = s2p_xasprintf("%s/launch-minimal", plugin_dir);
	p = s2p_xasprintf("cp '%s' '%s'", inst, launcher);
	sh(p);
	free(p);
	{
		FILE *f = fopen(minimal, "w");

		fputs("#!/bin/sh\nexec \"${0%/*}/bin/stash2plex-x86_64\" "
		      "\"$@\"\n",
		    f);
		fclose(f);
		chmod(minimal, 0755);
	}

	printf("== Package launcher, whole hook process, binary %s\n", bin);
	/* First runs: reinstall the launcher each time. */
	first = calloc((size_t)first_n, sizeof(double));
	first_cpu = calloc((size_t)first_n, sizeof(double));
	for (i = 0; i < first_n; i++) {
		p = s2p_xasprintf("rm -f '%s' && cp '%s' '%s'", inst, launcher,
		    inst);
		sh(p);
		free(p);
		first[i] = run(inst, in_ign, &first_cpu[i]);
	}
	stats("first run after install (launcher picks, steps aside)", first,
	    first_cpu, first_n);
	free(first);
	free(first_cpu);
	measure("binary started directly", direct, n);
	measure("installed stash2plex (after the first run)", inst, n);
	measure("sh launcher with uname, every run", launcher, n);
	measure("sh launcher, a single exec, every run", minimal, n);
	h_stop(&e);
	return 0;
}
