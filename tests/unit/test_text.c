/*
 * test_text.c - the Plex text cleaner: text reaches Plex as the user wrote
 * it. NFC; only what XML 1.0 cannot carry is removed (C0 controls other
 * than tab and newline, U+FFFE, U+FFFF; invalid UTF-8 becomes U+FFFD);
 * trimmed; line breaks kept in summaries and one space in single-line
 * fields; length limits cut on grapheme-cluster boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
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
	/* Summaries keep every line break as written (CRLF/CR become LF). */
	check("First line.\nSecond line.\n\n\n\nNew paragraph.", 0, 1,
	    "First line.\nSecond line.\n\n\n\nNew paragraph.");
	check("Windows\r\nbreaks\r\nold\rmac\r\n", 0, 1,
	    "Windows\nbreaks\nold\nmac");
	/* Single-line fields: a line break (and the blanks around it) is one
	 * space; tabs and inner spaces stay as written. */
	check("a\nb\tc", 0, 0, "a b\tc");
	check("a \r\n\r\n b", 0, 0, "a b");
	check("tab\tinside", 0, 1, "tab\tinside");
	check("two  spaces", 0, 0, "two  spaces");
}

static void
test_text__only_what_xml_cannot_carry_is_removed(void **state)
{
	(void)state;
	check("bell\x07here\x1b!", 0, 0, "bellhere!");
	check("nonchar\xef\xbf\xbe\xef\xbf\xbf.", 0, 0, "nonchar.");
	check("  trimmed\t \n", 0, 0, "trimmed");
	check("\n\n  summary \n\n", 0, 1, "summary");
	check(NULL, 0, 0, "");
	/* Format characters carry meaning and stay: ZWJ (family emoji),
	 * ZWNJ (Persian), bidi marks, zero width space, BOM. */
	check("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	      "\xf0\x9f\x91\xa7",
	    0, 0,
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa7");
	check("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x85", 0,
	    0,
	    "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9"
	    "\x85");
	check("\xe2\x80\x8f"
	      "abc\xe2\x80\x8e",
	    0, 0,
	    "\xe2\x80\x8f"
	    "abc\xe2\x80\x8e");
	check("zero\xe2\x80\x8bwidth", 0, 0, "zero\xe2\x80\x8bwidth");
	/* C1 controls are legal in XML 1.0: kept. */
	check("c1\xc2\x85x", 0, 0, "c1\xc2\x85x");
}

static void
test_text__typography_kept_and_nfc(void **state)
{
	(void)state;
	check("\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 it\xe2\x80\x99s", 0,
	    0, "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 it\xe2\x80\x99s");
	check("wait\xe2\x80\xa6", 0, 0, "wait\xe2\x80\xa6");
	check("no\xc2\xa0"
	      "break",
	    0, 0,
	    "no\xc2\xa0"
	    "break");
	/* "Zoe" + combining diaeresis becomes the single code point. */
	check("Zoe\xcc\x88", 0, 0, "Zo\xc3\xab");
	/* Invalid UTF-8 becomes U+FFFD, and the rest is still NFC. */
	check("bad\xff!", 0, 0, "bad\xef\xbf\xbd!");
	check("e\xcc\x81\xc0", 0, 0, "\xc3\xa9\xef\xbf\xbd");
	/* A lone surrogate encoded in UTF-8 is not UTF-8 either. */
	check("s\xed\xa0\x80", 0, 0, "s\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void
test_text__length_limit_cuts_on_grapheme_boundary(void **state)
{
	(void)state;
	check("alpha beta gamma", 12, 0, "alpha beta");
	check("alpha beta gamma", 14, 0, "alpha beta gam");
	/* No space past 80% of the limit: hard cut, in characters. */
	check("abcdefghij", 5, 0, "abcde");
	check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 2, 0, "\xc3\xa9\xc3\xa9");
	/* "ab" + the 5-code-point family emoji: a cut at 4 code points
	 * would split the cluster; it stops before it instead. */
	check("ab\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	      "\xf0\x9f\x91\xa7",
	    4, 0, "ab");
	/* A base letter with a combining mark that NFC cannot compose
	 * (q + U+0307) stays whole or goes whole. */
	check("xyq\xcc\x87", 3, 0, "xy");
	/* A flag (two regional indicators) is one cluster. */
	check("a\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", 2, 0, "a");
	check("a\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", 3, 0,
	    "a\xf0\x9f\x87\xab\xf0\x9f\x87\xb7");
}

/* Printable ASCII takes a fast path; it must clean exactly as the full
 * path does. A leading no-break space (trimmed, not ASCII) forces the full
 * path for the same text. */
static void
test_text__ascii_fast_path_matches_full_path(void **state)
{
	static const char *const in[] = {"plain", "  padded\t ", "tab\tinside",
	    "multi\nline\n\n", "\n\nlead", "", "a  b", "trailing ", " \t\n ",
	    "x\ty \n z", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"};
	size_t i;
	int ml;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (ml = 0; ml <= 1; ml++) {
			char *slow_in = s2p_xasprintf("\xc2\xa0%s", in[i]);
			char *fast = s2p_text_clean(in[i], 0, ml);
			char *slow = s2p_text_clean(slow_in, 0, ml);

			assert_string_equal(fast, slow);
			free(fast);
			free(slow);
			free(slow_in);
		}
	/* Exactly at the limit: kept whole; one past it: cut. */
	{
		char *a = s2p_text_clean("abcde", 5, 0);
		char *b = s2p_text_clean("abcdef gh", 5, 0);

		assert_string_equal(a, "abcde");
		assert_string_equal(b, "abcde");
		free(a);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text__paragraphs_survive),
	    cmocka_unit_test(test_text__only_what_xml_cannot_carry_is_removed),
	    cmocka_unit_test(test_text__typography_kept_and_nfc),
	    cmocka_unit_test(test_text__length_limit_cuts_on_grapheme_boundary),
	    cmocka_unit_test(test_text__ascii_fast_path_matches_full_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
