/*
 * test_log.c - the logger (core/log.c) as Stash and a terminal see it:
 * stderr is captured through a file, so every test reads the bytes that
 * left the process. Stash's level prefixes, one prefix per line, the level
 * filter, debug shown as info, control characters, the line cap, progress,
 * secret masking (also through s2p_ctx_register_secrets, the one place
 * that registers them) and the rotated log file.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "sync/ctx.h"

#include "resil_util.h"

struct fx {
	char *dir;
	char *errpath;
	int saved_stderr;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	int fd;

	f->dir = make_scratch();
	if (f->dir == NULL)
		return -1;
	f->errpath = s2p_xasprintf("%s/stderr", f->dir);
	fflush(stderr);
	f->saved_stderr = dup(2);
	fd = open(f->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, 2) < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_log_close();
	s2p_log_debug_as_info(0);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	rm_scratch(f->dir);
	free(f->dir);
	free(f->errpath);
	free(f);
	return 0;
}

static void
open_log(enum s2p_log_format fmt, enum s2p_log_level min, const char *file,
    size_t file_max)
{
	struct s2p_log_opts lo;

	memset(&lo, 0, sizeof(lo));
	lo.format = fmt;
	lo.to_stderr = 1;
	lo.min = min;
	lo.file = file;
	lo.file_max = file_max;
	s2p_log_open(&lo);
}

/* Everything written to the captured stderr so far (caller frees). */
static char *
captured(struct fx *f)
{
	struct s2p_buf b;

	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_read_file(f->errpath, &b, NULL), S2P_OK);
	return s2p_buf_take(&b);
}

static void
test_log__stash_prefixes_each_line(void **state)
{
	struct fx *f = *state;
	char *out;

	open_log(S2P_LOGFMT_STASH, S2P_LOG_DEBUG, NULL, 0);
	s2p_info("one");
	s2p_warn("two\nthree");
	s2p_errorf("four");
	s2p_debug("five");
	s2p_trace("dropped");
	out = captured(f);
	assert_string_equal(out,
	    "\x01i\x02one\n\x01w\x02two\n\x01w\x02three\n"
	    "\x01"
	    "e\x02"
	    "four\n\x01"
	    "d\x02"
	    "five\n");
	free(out);
}

static void
test_log__plain_filter_and_debug_as_info(void **state)
{
	struct fx *f = *state;
	char *out;

	open_log(S2P_LOGFMT_PLAIN, S2P_LOG_INFO, NULL, 0);
	s2p_debug("hidden");
	s2p_info("shown");
	s2p_log_debug_as_info(1);
	s2p_debug("now visible");
	out = captured(f);
	assert_string_equal(out, "INFO: shown\nINFO: [DEBUG] now visible\n");
	free(out);
}

/* No byte of a message can pose as a Stash prefix, and a huge message is
 * cut to one capped line. */
static void
test_log__control_characters_and_cap(void **state)
{
	struct fx *f = *state;
	char *big = malloc(3 * S2P_LOG_LINE_MAX);
	char *out;

	memset(big, 'y', 3 * S2P_LOG_LINE_MAX - 1);
	big[3 * S2P_LOG_LINE_MAX - 1] = '\0';
	open_log(S2P_LOGFMT_STASH, S2P_LOG_INFO, NULL, 0);
	s2p_info("a\x01"
		 "e\x02"
		 "b\tc");
	out = captured(f);
	assert_string_equal(out,
	    "\x01i\x02"
	    "a e b c\n");
	free(out);
	s2p_info("%s", big);
	out = captured(f);
	assert_true(strlen(out) <= strlen("\x01i\x02"
					  "a e b c\n") +
		S2P_LOG_LINE_MAX + 16);
	assert_int_equal(out[strlen(out) - 1], '\n');
	free(out);
	free(big);
}

static void
test_log__progress_only_for_stash(void **state)
{
	struct fx *f = *state;
	char *out;

	open_log(S2P_LOGFMT_PLAIN, S2P_LOG_INFO, NULL, 0);
	s2p_log_progress(0.5);
	open_log(S2P_LOGFMT_STASH, S2P_LOG_INFO, NULL, 0);
	s2p_log_progress(0.25);
	s2p_log_progress(7);
	s2p_log_progress(-1);
	out = captured(f);
	assert_string_equal(out,
	    "\x01p\x02"
	    "0.2500\n\x01p\x02"
	    "1.0000\n"
	    "\x01p\x02"
	    "0.0000\n");
	free(out);
}

/* Registered secrets never leave the process, however they are
 * formatted; the context registers its settings' secrets and the session
 * cookie through one function. */
static void
test_log__secrets_are_masked(void **state)
{
	struct fx *f = *state;
	struct s2p_ctx ctx;
	char *out, *red;

	open_log(S2P_LOGFMT_PLAIN, S2P_LOG_INFO, NULL, 0);
	s2p_ctx_init(&ctx);
	assert_int_equal(s2p_config_set(&ctx.cfg, "plex_token",
			     "tok-SECRET-123", NULL),
	    S2P_OK);
	assert_int_equal(s2p_config_set(&ctx.cfg, "stash_api_key",
			     "api-SECRET-456", NULL),
	    S2P_OK);
	ctx.session_cookie = s2p_xstrdup("cookie-SECRET-789");
	s2p_info("before: tok-SECRET-123");
	s2p_ctx_register_secrets(&ctx);
	s2p_info("token=%s key=%s cookie=%s", "tok-SECRET-123",
	    "api-SECRET-456", "cookie-SECRET-789");
	s2p_log_secret("abc"); /* too short to mask */
	s2p_info("abc");
	out = captured(f);
	assert_string_equal(out,
	    "INFO: before: tok-SECRET-123\n"
	    "INFO: token=*** key=*** cookie=***\n"
	    "INFO: abc\n");
	red = s2p_log_redact("x tok-SECRET-123 y");
	assert_string_equal(red, "x *** y");
	free(red);
	free(out);
	s2p_ctx_free(&ctx);
}

/* The log file gets timestamped lines and is rotated to <file>.1 beyond
 * its size. */
static void
test_log__file_and_rotation(void **state)
{
	struct fx *f = *state;
	char *path = s2p_xasprintf("%s/w.log", f->dir);
	char *old = s2p_xasprintf("%s.1", path);
	struct stat st;
	int i;

	open_log(S2P_LOGFMT_PLAIN, S2P_LOG_INFO, path, 200);
	for (i = 0; i < 20; i++)
		s2p_info("line %d of the rotating log", i);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true((size_t)st.st_size <= 200 + 100);
	assert_int_equal(stat(old, &st), 0);
	free(path);
	free(old);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_log__stash_prefixes_each_line),
	    T(test_log__plain_filter_and_debug_as_info),
	    T(test_log__control_characters_and_cap),
	    T(test_log__progress_only_for_stash),
	    T(test_log__secrets_are_masked),
	    T(test_log__file_and_rotation),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
