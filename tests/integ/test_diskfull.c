/*
 * test_diskfull.c - the data directory's disk fills up during a drain
 * (issue 9, defect 4a): a 600 KiB tmpfs mounted on the data directory, 40
 * jobs queued. Process Queue must end within seconds with one line saying
 * the disk is full and what to do, keeping the jobs not done; once the
 * file system is grown everything syncs. Needs root to mount (we are root in
 * CI); where mounting is not permitted the whole program exits 77 (ctest SKIP)
 * after saying so.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "harness.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

/* Contents of a file ("" when absent); caller frees. */
static char *
slurp_file(const char *path)
{
	struct s2p_buf b;
	int fd = open(path, O_RDONLY);

	s2p_buf_init(&b, 0);
	if (fd >= 0) {
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
	}
	if (b.data == NULL)
		return s2p_xstrdup("");
	return s2p_buf_take(&b);
}

/* Run a task; a run still going after secs is killed and fails the test
 * (this one used to log "database or disk is full" once a second
 * forever). */
static void
run_bounded(struct h_env *e, const char *mode, double secs, struct h_run *r)
{
	char *args = s2p_xasprintf("{\"mode\": \"%s\"}", mode);
	struct h_proc p;
	double end = h_mono() + secs;
	int st = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(h_spawn_plugin(e, args, no_autodrain, "bounded", -1,
			     &p),
	    0);
	while (waitpid(p.pid, &st, WNOHANG) == 0) {
		if (h_mono() > end) {
			kill(p.pid, SIGKILL);
			waitpid(p.pid, &st, 0);
			r->err = slurp_file(p.err);
			fail_msg("%s still running after %.0f s; "
				 "stderr:\n%.2000s",
			    mode, secs, r->err);
		}
		h_sleep(0.05);
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp_file(p.out);
	r->err = slurp_file(p.err);
	printf("%s -> %d\n%s\n%s", mode, r->status, r->out, r->err);
	free(args);
}

static void
test_diskfull__full_disk_stops_the_run(void **state)
{
	struct h_env *e = *state;
	struct h_run r;
	char *data = s2p_xasprintf("%s/data", e->dir);
	long left;

	run_bounded(e, "all", 60, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued 40 scene(s)"));
	h_run_free(&r);
	/* The drain fills the 600 KiB (the database's WAL grows). */
	run_bounded(e, "process_queue", 60, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"error\""));
	assert_non_null(strstr(r.out,
	    "the disk holding the data directory is "
	    "full; free some space, then run Process "
	    "Queue"));
	/* One line, not one a second. */
	assert_int_equal(h_count_str(r.err, "free some space"), 1);
	h_run_free(&r);
	/* Nothing lost: what did not sync is still queued. */
	left = h_db_long(e, "SELECT count(*) FROM job");
	printf("%ld job(s) left\n", left);
	assert_true(left > 0);
	/* Space freed: everything syncs. */
	assert_int_equal(mount("tmpfs", data, "tmpfs", MS_REMOUNT,
			     "size=16m,mode=0700"),
	    0);
	run_bounded(e, "process_queue", 120, &r);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_db_long(e, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_unsynced(e, 0), 0);
	/* A read-only data directory: the same, one line, what to do. */
	assert_int_equal(mount("tmpfs", data, "tmpfs", MS_REMOUNT | MS_RDONLY,
			     "size=16m,mode=0700"),
	    0);
	run_bounded(e, "process_queue", 60, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.out, "writable by the user running Stash"));
	assert_int_equal(h_count_str(r.err, "writable by the user"), 1);
	h_run_free(&r);
	assert_int_equal(mount("tmpfs", data, "tmpfs", MS_REMOUNT,
			     "size=16m,mode=0700"),
	    0);
	free(data);
}

static int
setup(void **state)
{
	static struct h_env e;

	char *data;
	int rc;

	*state = &e;
	if (h_start(&e, 40, 45, NULL, NULL) != 0)
		return -1;
	/* The data directory is a small file system of its own. */
	data = s2p_xasprintf("%s/data", e.dir);
	rc = mkdir(data, 0700) == 0 &&
		mount("tmpfs", data, "tmpfs", 0, "size=600k,mode=0700") == 0
	    ? 0
	    : -1;
	if (rc != 0)
		fprintf(stderr, "mount %s: %s\n", data, strerror(errno));
	free(data);
	return rc;
}

static int
teardown(void **state)
{
	struct h_env *e = *state;
	char *data = s2p_xasprintf("%s/data", e->dir);

	h_wait_worker(e, 10);
	if (umount(data) != 0)
		fprintf(stderr, "umount %s: %s\n", data, strerror(errno));
	free(data);
	h_stop(e);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_diskfull__full_disk_stops_the_run, setup, teardown),
	};
	char tmpl[] = "/tmp/s2p-mnt-XXXXXX";

	/* Can this machine mount a tmpfs at all? */
	if (mkdtemp(tmpl) == NULL ||
	    mount("tmpfs", tmpl, "tmpfs", 0, "size=600k") != 0) {
		fprintf(stderr,
		    "SKIPPED: test_diskfull needs to mount a tmpfs "
		    "(root, CAP_SYS_ADMIN): %s\n",
		    strerror(errno));
		rmdir(tmpl);
		return 77;
	}
	umount(tmpl);
	rmdir(tmpl);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
