/*
 * test_pid1.c - no zombies under Stash as PID 1. The test re-runs itself as
 * PID 1 of a new PID namespace (unshare --pid --fork --mount-proc), where,
 * as in Stash's container, nobody else reaps orphans. Like Stash it starts
 * every hook itself (JSON on stdin, stdout read, waited for) and reaps only
 * the processes it started. 200 scene edits and their hooks arrive in bursts
 * over about a minute, some one after another (UI edits), some all at once
 * (a scan with parallel workers). Then: every scene in fake Plex matches fake
 * Stash, no zombie has PID 1 as its parent, and exactly one stash2plex
 * process (the resident worker) lives on. A control run with the old
 * behaviour forced (STASH2PLEX_RESIDENT=0, short idle exit) must leave
 * zombies, which shows the zombie count can see them.
 * Skips (77) when the machine does not allow a PID namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

#define SCENES 40
#define HOOKS 200
#define BURSTS 20
#define BURST_GAP 3.0

/* Zombies whose parent is us (PID 1), and live stash2plex processes. */
static void
scan_proc(int *zombies, int *plugins)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	*zombies = *plugins = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[300], buf[512], comm[64], state;
		int ppid = 0;
		FILE *f;
		char *rp;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) == NULL) {
			fclose(f);
			continue;
		}
		fclose(f);
		/* "pid (comm) S ppid ...": comm may hold spaces; the last
		 * ')' ends it. */
		rp = strrchr(buf, ')');
		if (rp == NULL || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
			continue;
		snprintf(comm, sizeof(comm), "%.*s",
		    (int)(rp - strchr(buf, '(') - 1), strchr(buf, '(') + 1);
		if (state == 'Z' && ppid == 1)
			(*zombies)++;
		if (state != 'Z' && strcmp(comm, "stash2plex") == 0)
			(*plugins)++;
	}
	if (d != NULL)
		closedir(d);
}

static void
edit(struct h_env *e, int id, int n)
{
	char path[64], body[160];

	snprintf(path, sizeof(path), "/scene/%d", id);
	snprintf(body, sizeof(body),
	    "{\"title\": \"Edit %d of scene %d\", \"details\": \"pass %d\"}", n,
	    id, n);
	assert_int_equal(h_post(e->stash_ctl, path, body), 200);
}

static char *
hook_args(int id)
{
	return s2p_xasprintf("{\"mode\": \"hook\", \"hookContext\": {\"id\": "
			     "%d, \"type\": \"Scene.Update.Post\", \"input\": "
			     "{\"id\": \"%d\", \"title\": \"x\", \"details\": "
			     "\"y\"}, \"inputFields\": [\"id\", \"title\", "
			     "\"details\"]}}",
	    id, id);
}

static void
check_hook(struct h_run *r)
{
	if (r->status != 0 || strstr(r->out, "queued scene") == NULL)
		fprintf(stderr, "hook: status %d\nstdout: %s\nstderr: %s\n",
		    r->status, r->out, r->err);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "queued scene"));
}

/* Stop every remaining stash2plex process and reap whatever is left: the
 * test's own bookkeeping, after the counts were taken. */
static void
sweep(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int st;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[300], comm[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    strcmp(comm, "stash2plex\n") == 0)
			kill((pid_t)atoi(de->d_name), SIGKILL);
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	h_sleep(0.3);
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

static void
test_pid1__bursts_leave_no_zombie(void **state)
{
	struct h_env e;
	int zombies, plugins, hook = 0, b, i, left = -1;
	double t0 = h_mono(), end;
	char *out;

	(void)state;
	assert_int_equal((int)getpid(), 1);
	assert_int_equal(h_start(&e, SCENES, 11, NULL, NULL), 0);
	for (b = 0; b < BURSTS; b++) {
		int n = HOOKS / BURSTS;

		if (b % 2 == 0) {
			/* UI edits: one save after another. */
			for (i = 0; i < n; i++, hook++) {
				struct h_run r;
				char *a;
				int id = 1 + hook % SCENES;

				edit(&e, id, hook);
				a = hook_args(id);
				assert_int_equal(h_run_plugin(&e, a, NULL, &r),
				    0);
				check_hook(&r);
				h_run_free(&r);
				free(a);
			}
		} else {
			/* A scan: hooks of parallel workers overlap. */
			struct h_proc p[HOOKS / BURSTS];

			for (i = 0; i < n; i++, hook++) {
				char tag[16], *a;
				int id = 1 + hook % SCENES;

				edit(&e, id, hook);
				a = hook_args(id);
				snprintf(tag, sizeof(tag), "burst%d", i);
				assert_int_equal(h_spawn_plugin(&e, a, NULL,
						     tag, -1, &p[i]),
				    0);
				free(a);
			}
			for (i = 0; i < n; i++) {
				struct h_run r;

				assert_int_equal(h_wait_plugin(&p[i], &r), 0);
				check_hook(&r);
				h_run_free(&r);
			}
		}
		h_sleep(BURST_GAP);
	}
	printf("%d hooks in %d bursts over %.0f s\n", hook, BURSTS,
	    h_mono() - t0);
	end = h_mono() + 90;
	while (h_mono() < end) {
		left = (int)h_db_long(&e, "SELECT count(*) FROM job");
		if (left == 0 && h_unsynced(&e, SCENES) == 0)
			break;
		h_sleep(0.5);
	}
	assert_int_equal(left, 0);
	assert_int_equal(h_unsynced(&e, SCENES), 0);
	scan_proc(&zombies, &plugins);
	printf("zombies with PID 1 as parent: %d; stash2plex processes "
	       "alive: %d\n",
	    zombies, plugins);
	out = h_read_data(&e, "stash2plex.log");
	assert_non_null(strstr(out, "resident"));
	free(out);
	assert_int_equal(zombies, 0);
	assert_int_equal(plugins, 1);

	/* Control: the old behaviour, forced, leaves zombies here. */
	{
		static const char *const old[] = {"STASH2PLEX_RESIDENT=0",
		    "STASH2PLEX_IDLE_EXIT=0.2", NULL};
		struct h_run r;
		char *a = hook_args(1);
		char *env[4];
		char dd[400];

		sweep();
		snprintf(dd, sizeof(dd), "STASH2PLEX_DATA_DIR=%s/control",
		    e.dir);
		env[0] = (char *)old[0];
		env[1] = (char *)old[1];
		env[2] = dd;
		env[3] = NULL;
		for (i = 0; i < 3; i++) {
			edit(&e, 1, 1000 + i);
			assert_int_equal(h_run_plugin(&e, a,
					     (const char *const *)env, &r),
			    0);
			check_hook(&r);
			h_run_free(&r);
			h_sleep(2.5);
		}
		free(a);
		scan_proc(&zombies, &plugins);
		printf("control run (worker exits when idle): %d zombie(s)\n",
		    zombies);
		assert_true(zombies >= 1);
	}
	sweep();
	h_stop(&e);
}

/* Outside the namespace: run this program again as its PID 1. */
static int
run_as_pid1(const char *self)
{
	pid_t pid;
	int st;

	/* Can this machine make a PID namespace at all? */
	if (system("unshare --pid --fork --mount-proc true >/dev/null 2>&1") !=
	    0) {
		printf("SKIP: cannot create a PID namespace here (unshare "
		       "--pid --fork --mount-proc needs root or user "
		       "namespaces); the PID 1 zombie test did not run\n");
		return 77;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Take the namespace down with us if ctest kills us. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("unshare", "unshare", "--pid", "--fork", "--mount-proc",
		    "--kill-child", self, "--as-pid1", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pid1__bursts_leave_no_zombie),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "--as-pid1") != 0) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			return 1;
		self[n] = '\0';
		return run_as_pid1(self);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
