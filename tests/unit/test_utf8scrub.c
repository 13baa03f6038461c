/*
 * test_utf8scrub.c - core/utf8scrub.c: a JSON reply with bytes that are not
 * UTF-8 inside one string parses, the damaged string is recognisable, the
 * others are untouched; bytes outside strings are left to the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/utf8scrub.h"

static void
test_utf8scrub__valid_text_untouched(void **state)
{
	static const char doc[] = "{\"a\":\"caf\xc3\xa9 \xe2\x80\x94 "
				  "\xf0\x9f\x98\x80\",\"b\":\"\\\"q\\\\\"}";
	struct s2p_buf out;

	(void)state;
	s2p_buf_init(&out, 0);
	assert_int_equal(s2p_utf8_scrub_json(doc, sizeof(doc) - 1, &out), 0);
	assert_int_equal(out.len, 0);
	s2p_buf_free(&out);
}

static void
test_utf8scrub__bad_bytes_become_nul(void **state)
{
	/* Latin-1 e-acute, a lone continuation byte, an overlong '/', a
	 * surrogate, a truncated sequence at the end of a string */
	static const char doc[] =
	    "{\"f\":\"/v/Caf\xe9.mp4\",\"g\":\"ok\","
	    "\"h\":\"\x80x\xc0\xaf\xed\xa0\x80\xe2\x82\"}";
	struct s2p_buf out;
	json_error_t je;
	json_t *j;
	const json_t *f;
	char *lossy;
	int bad = 0;

	(void)state;
	s2p_buf_init(&out, 0);
	assert_true(s2p_utf8_scrub_json(doc, sizeof(doc) - 1, &out) >= 5);
	assert_null(json_loadb(doc, sizeof(doc) - 1, 0, &je));
	j = json_loadb(out.data, out.len, JSON_ALLOW_NUL, &je);
	assert_non_null(j);
	f = json_object_get(j, "f");
	assert_int_equal(json_string_length(f), strlen("/v/Caf.mp4") + 1);
	lossy = s2p_utf8_nul_lossy(json_string_value(f), json_string_length(f),
	    &bad);
	assert_string_equal(lossy, "/v/Caf\xef\xbf\xbd.mp4");
	assert_int_equal(bad, 1);
	free(lossy);
	f = json_object_get(j, "g");
	lossy = s2p_utf8_nul_lossy(json_string_value(f), json_string_length(f),
	    &bad);
	assert_string_equal(lossy, "ok");
	assert_int_equal(bad, 0);
	free(lossy);
	json_decref(j);
	s2p_buf_free(&out);
}

static void
test_utf8scrub__sequence_lengths(void **state)
{
	(void)state;
	assert_int_equal(s2p_utf8_seq_len((const unsigned char *)"a", 1), 1);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char *)"\xc3\xa9", 2),
	    2);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char *)"\xc3", 1), 0);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char *)"\xe0\x80\x80",
			     3),
	    0);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char
						  *)"\xf4\x8f\xbf\xbf",
			     4),
	    4);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char
						  *)"\xf4\x90\x80\x80",
			     4),
	    0);
	assert_int_equal(s2p_utf8_seq_len((const unsigned char *)"\xff", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8scrub__valid_text_untouched),
	    cmocka_unit_test(test_utf8scrub__bad_bytes_become_nul),
	    cmocka_unit_test(test_utf8scrub__sequence_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
