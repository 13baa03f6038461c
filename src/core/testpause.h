/*
 * testpause.h - TEST-ONLY pause points, so that a test can SIGKILL a process
 * at a named phase (the crash storm in tests/integ/test_storm.c). Unset, a
 * pause point costs one load and a compare. Set
 *   STASH2PLEX_TEST_PAUSE=<name>[:<n>]   (e.g. "put:3": the 3rd PUT)
 *   STASH2PLEX_TEST_PAUSE_FILE=<path>    (where the marker goes)
 * and the n-th time the process reaches the point <name> it writes
 * "<pid> <name>\n" to the marker file, then stops itself with SIGSTOP; the
 * test sees the marker, kills the process and removes the file. Never set
 * these in production: a stopped process holds its locks until killed.
 * Names in use: claim, put, upload, ack, checkpoint, enqueue.
 */
#ifndef S2P_TESTPAUSE_H
#define S2P_TESTPAUSE_H

/* 1 when STASH2PLEX_TEST_PAUSE names this point (whatever its count). */
int s2p_test_pause_armed(const char *name);

/* The pause point `name` (a string literal); see above. */
void s2p_test_pause_at(const char *name);

/* Cheap when unarmed: one cached flag. */
extern int s2p_test_pause_on;
#define s2p_test_pause(name)                                                   \
	do {                                                                   \
		if (s2p_test_pause_on != 0)                                    \
			s2p_test_pause_at(name);                               \
	} while (0)

/* Read the environment once (main() calls it before anything else). */
void s2p_test_pause_init(void);

#endif
