/*
 * testpause.c - the TEST-ONLY pause points of testpause.h: read
 * STASH2PLEX_TEST_PAUSE once, count hits of the armed point, and at the
 * chosen hit write a marker file and SIGSTOP ourselves so that a test can
 * aim a SIGKILL at that phase.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/testpause.h"

int s2p_test_pause_on;
static char armed[32];
static long want_hit = 1;
static long hits;

void
s2p_test_pause_init(void)
{
	const char *v = getenv("STASH2PLEX_TEST_PAUSE");
	const char *colon;
	size_t n;

	s2p_test_pause_on = 0;
	hits = 0;
	if (v == NULL || *v == '\0' ||
	    getenv("STASH2PLEX_TEST_PAUSE_FILE") == NULL)
		return;
	colon = strchr(v, ':');
	n = colon != NULL ? (size_t)(colon - v) : strlen(v);
	if (n == 0 || n >= sizeof(armed))
		return;
	memcpy(armed, v, n);
	armed[n] = '\0';
	want_hit = colon != NULL ? strtol(colon + 1, NULL, 10) : 1;
	if (want_hit < 1)
		want_hit = 1;
	s2p_test_pause_on = 1;
}

int
s2p_test_pause_armed(const char *name)
{
	return s2p_test_pause_on != 0 && strcmp(armed, name) == 0;
}

/* Write the marker (atomically: temp file, rename) and stop. */
void
s2p_test_pause_at(const char *name)
{
	const char *path = getenv("STASH2PLEX_TEST_PAUSE_FILE");
	char tmp[4096], line[64];
	int fd, len;

	/* Worker lanes are threads: count hits atomically. */
	if (!s2p_test_pause_armed(name) || path == NULL ||
	    __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) != want_hit)
		return;
	len = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), name);
	if (snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) != len) {
		close(fd);
		unlink(tmp);
		return;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return;
	}
	raise(SIGSTOP);
}
