/*
 * test_text.c - the Plex text sanitiser: NFC, control/format characters,
 * kept line breaks, typographic characters, whitespace and length limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sync/text.h"

static void
check(const char *in, size_t max, int multi, const char *want)
{
	char *got = s2p_text_clean(in, max, multi);

	assert_string_equal(got, want);
	free(got);
}

static void
test_text__paragraphs_survive(void **state)
{
	(void)state;
	check("First line.\nSecond line.\n\n\n\nNew paragraph.", 0, 1,
	    "First line.\nSecond line.\n\nNew paragraph.");
	check("Windows\r\nbreaks\r\n", 0, 1, "Windows\nbreaks");
	/* Single-line fields turn breaks into spaces, never glue words. */
	check("a\nb\tc", 0, 0, "a b c");
	check("tab\tinside", 0, 1, "tab inside");
}

static void
test_text__controls_and_format_chars_removed(void **state)
{
	(void)state;
	check("zero\xe2\x80\x8bwidth", 0, 0, "zerowidth");     /* U+200B */
	check("bell\x07here", 0, 0, "bellhere");
	check("bom\xef\xbb\xbf!", 0, 0, "bom!");               /* U+FEFF */
	check("  lots   of    space  ", 0, 0, "lots of space");
	check(NULL, 0, 0, "");
}

static void
test_text__typography_and_nfc(void **state)
{
	(void)state;
	check("\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 it\xe2\x80\x99s",
	    0, 0, "\"quoted\" - it's");
	check("wait\xe2\x80\xa6", 0, 0, "wait...");
	/* "Zoe" + combining diaeresis becomes the single code point. */
	check("Zoe\xcc\x88", 0, 0, "Zo\xc3\xab");
	/* Invalid UTF-8 becomes U+FFFD instead of reaching Plex. */
	check("bad\xff!", 0, 0, "bad\xef\xbf\xbd!");
}

static void
test_text__length_limit_prefers_word_boundary(void **state)
{
	char *got;

	(void)state;
	check("alpha beta gamma", 12, 0, "alpha beta");
	check("alpha beta gamma", 14, 0, "alpha beta gam");
	/* No space past 80% of the limit: hard cut, in characters. */
	check("abcdefghij", 5, 0, "abcde");
	got = s2p_text_clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 2, 0);
	assert_string_equal(got, "\xc3\xa9\xc3\xa9");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text__paragraphs_survive),
		cmocka_unit_test(test_text__controls_and_format_chars_removed),
		cmocka_unit_test(test_text__typography_and_nfc),
		cmocka_unit_test(test_text__length_limit_prefers_word_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
