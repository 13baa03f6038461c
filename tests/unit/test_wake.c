/*
 * test_wake.c - the doorbell FIFO (core/wake.c) on a real FIFO: a plain
 * ring wakes the listener (1), a ring with a cookie hands the cookie over,
 * a leave ring (a daemon taking over the worker lock) reads as 2 and wins
 * over work rung in the same wait, and ringing with nobody listening never
 * blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/wake.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/s2p-wake-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/worker.wake", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
test_wake__ring_cookie_and_leave(void **state)
{
	struct s2p_wake w;
	struct s2p_error e;
	char *cookie = NULL;
	int rung = -1;

	(void)state;
	/* Nobody listens yet: returns at once, no FIFO reader needed. */
	s2p_wake_ring_leave(path);
	s2p_wake_ring(path, "abc");
	assert_int_equal(s2p_wake_listen(&w, path, &e), S2P_OK);
	s2p_wake_wait(&w, 0, &rung, &cookie);
	assert_int_equal(rung, 0);
	s2p_wake_ring(path, NULL);
	s2p_wake_wait(&w, 1, &rung, &cookie);
	assert_int_equal(rung, 1);
	assert_null(cookie);
	s2p_wake_ring(path, "sess-1");
	s2p_wake_wait(&w, 1, &rung, &cookie);
	assert_int_equal(rung, 1);
	assert_string_equal(cookie, "sess-1");
	free(cookie);
	cookie = NULL;
	/* Leave wins over work rung before or after it. */
	s2p_wake_ring(path, NULL);
	s2p_wake_ring_leave(path);
	s2p_wake_ring(path, "sess-2");
	s2p_wake_wait(&w, 1, &rung, &cookie);
	assert_int_equal(rung, 2);
	assert_string_equal(cookie, "sess-2");
	free(cookie);
	s2p_wake_close(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wake__ring_cookie_and_leave,
		setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
