/*
 * test_buf.c - the capped growable buffer (core/buf.c): the cap refuses an
 * append whole and leaves the content as it was, formatted appends short
 * and long, taking the content, and reading a descriptor to EOF within the
 * cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"

static void
test_buf__append_and_terminate(void **state)
{
	struct s2p_buf b;

	(void)state;
	s2p_buf_init(&b, 0);
	assert_null(b.data);
	assert_int_equal(s2p_buf_add(&b, "ab\0cd", 5), S2P_OK);
	assert_int_equal(b.len, 5);
	assert_int_equal(b.data[5], '\0');
	assert_memory_equal(b.data, "ab\0cd", 5);
	assert_int_equal(s2p_buf_adds(&b, "ef"), S2P_OK);
	assert_int_equal(b.len, 7);
	assert_string_equal(b.data + 3, "cdef");
	assert_int_equal(s2p_buf_add(&b, NULL, 0), S2P_OK);
	assert_int_equal(b.len, 7);
	s2p_buf_reset(&b);
	assert_int_equal(b.len, 0);
	s2p_buf_free(&b);
	assert_null(b.data);
}

/* An append over the cap is refused whole; the content stays. */
static void
test_buf__cap_refuses_whole_append(void **state)
{
	struct s2p_buf b;

	(void)state;
	s2p_buf_init(&b, 8);
	assert_int_equal(s2p_buf_adds(&b, "12345"), S2P_OK);
	assert_int_equal(s2p_buf_adds(&b, "6789"), S2P_EPARSE);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	assert_int_equal(s2p_buf_adds(&b, "678"), S2P_OK);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(s2p_buf_add(&b, "x", 1), S2P_EPARSE);
	assert_int_equal(s2p_buf_add(&b, "x", (size_t)-1), S2P_EPARSE);
	assert_int_equal(s2p_buf_addf(&b, "%d", 1), S2P_EPARSE);
	assert_string_equal(b.data, "12345678");
	s2p_buf_free(&b);
	assert_int_equal(b.limit, 8); /* free keeps the cap */
}

/* Formatted appends, shorter and longer than the internal stack buffer. */
static void
test_buf__addf_short_and_long(void **state)
{
	struct s2p_buf b;
	char *big = malloc(3001);

	(void)state;
	memset(big, 'x', 3000);
	big[3000] = '\0';
	s2p_buf_init(&b, 0);
	assert_int_equal(s2p_buf_addf(&b, "%s=%d;", "n", 42), S2P_OK);
	assert_int_equal(s2p_buf_addf(&b, "[%s]", big), S2P_OK);
	assert_int_equal(b.len, 5 + 3002);
	assert_memory_equal(b.data, "n=42;[x", 7);
	assert_int_equal(b.data[b.len - 1], ']');
	s2p_buf_free(&b);
	free(big);
}

/* take hands the content over and leaves an empty buffer; an empty one
 * gives "". */
static void
test_buf__take(void **state)
{
	struct s2p_buf b;
	char *s;

	(void)state;
	s2p_buf_init(&b, 0);
	s = s2p_buf_take(&b);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(s2p_buf_adds(&b, "hello"), S2P_OK);
	s = s2p_buf_take(&b);
	assert_string_equal(s, "hello");
	assert_int_equal(b.len, 0);
	assert_null(b.data);
	free(s);
}

/* Reading a pipe to EOF, within the cap and over it. */
static void
test_buf__read_fd(void **state)
{
	struct s2p_buf b;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "some bytes", 10), 10);
	close(p[1]);
	s2p_buf_init(&b, 100);
	assert_int_equal(s2p_buf_read_fd(&b, p[0]), S2P_OK);
	assert_string_equal(b.data, "some bytes");
	close(p[0]);
	s2p_buf_free(&b);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "too many bytes", 14), 14);
	close(p[1]);
	s2p_buf_init(&b, 8);
	assert_int_equal(s2p_buf_read_fd(&b, p[0]), S2P_EPARSE);
	assert_true(b.len <= 8);
	close(p[0]);
	s2p_buf_free(&b);
	assert_int_equal(s2p_buf_read_fd(&b, -1), S2P_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf__append_and_terminate),
	    cmocka_unit_test(test_buf__cap_refuses_whole_append),
	    cmocka_unit_test(test_buf__addf_short_and_long),
	    cmocka_unit_test(test_buf__take),
	    cmocka_unit_test(test_buf__read_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
