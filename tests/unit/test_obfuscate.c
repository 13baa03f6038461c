/*
 * test_obfuscate.c - obfuscate_paths: SipHash against the reference
 * vectors, stable words per path segment (extension kept), API paths and
 * URLs untouched, and the logger's redaction (used for log lines, task
 * output and dead-letter messages) applying it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/obfuscate.h"

static const unsigned char key0[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15};

static void
test_obfuscate__siphash_reference_vectors(void **state)
{
	unsigned char msg[15];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	assert_true(s2p_siphash(key0, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(s2p_siphash(key0, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void
test_obfuscate__paths_become_stable_words(void **state)
{
	char *a, *b, *w1, *w2;
	unsigned char other[16];

	(void)state;
	s2p_obf_set_key(NULL);
	a = s2p_obf_text("open /data/Secret Folder/x.mp4");
	assert_string_equal(a, "open /data/Secret Folder/x.mp4");
	free(a);

	s2p_obf_set_key(key0);
	a = s2p_obf_text("Scene 4: no Plex item for /data/My Videos/Her "
			 "Name.mp4 (section 2); see /data/My Videos/");
	printf("%s\n", a);
	assert_null(strstr(a, "data"));
	assert_null(strstr(a, "My"));
	assert_null(strstr(a, "Videos"));
	assert_null(strstr(a, "Her"));
	assert_null(strstr(a, "Name"));
	assert_non_null(strstr(a, ".mp4 (section 2); see /"));
	assert_non_null(strstr(a, "Scene 4: no Plex item for /"));
	/* The same segment gives the same word, here and in another run. */
	w1 = s2p_obf_word("My Videos", 9);
	b = strstr(a, w1);
	assert_non_null(b);
	assert_non_null(strstr(b + 1, w1));
	/* Another key, another word. */
	memset(other, 7, sizeof(other));
	s2p_obf_set_key(other);
	w2 = s2p_obf_word("My Videos", 9);
	assert_string_not_equal(w1, w2);
	free(w1);
	free(w2);
	free(a);

	/* API paths, URLs and Windows paths. */
	s2p_obf_set_key(key0);
	a = s2p_obf_text("Plex GET /library/metadata/12: HTTP 500 at "
			 "http://127.0.0.1:32400/library/sections/1/all");
	assert_string_equal(a,
	    "Plex GET /library/metadata/12: HTTP 500 at "
	    "http://127.0.0.1:32400/library/sections/1/all");
	free(a);
	a = s2p_obf_text("file \"C:\\Users\\bob\\clip.mkv\" and "
			 "\\\\nas\\share\\a.avi, /./x/../y");
	printf("%s\n", a);
	assert_null(strstr(a, "Users"));
	assert_null(strstr(a, "bob"));
	assert_null(strstr(a, "nas"));
	assert_non_null(strstr(a, "\"C:\\"));
	assert_non_null(strstr(a, ".mkv\" and \\\\"));
	assert_non_null(strstr(a, ".avi, /./"));
	assert_non_null(strstr(a, "/../"));
	free(a);
	s2p_obf_set_key(NULL);
}

static void
test_obfuscate__log_redaction_applies_it(void **state)
{
	char *a;

	(void)state;
	s2p_log_secret("tok-secret-1234");
	s2p_obf_set_key(key0);
	a = s2p_log_redact("token tok-secret-1234 file /srv/Private/a.mkv");
	assert_null(strstr(a, "tok-secret"));
	assert_null(strstr(a, "Private"));
	assert_non_null(strstr(a, ".mkv"));
	free(a);
	s2p_obf_set_key(NULL);
	a = s2p_log_redact("file /srv/Private/a.mkv");
	assert_string_equal(a, "file /srv/Private/a.mkv");
	free(a);
	s2p_log_close();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_obfuscate__siphash_reference_vectors),
	    cmocka_unit_test(test_obfuscate__paths_become_stable_words),
	    cmocka_unit_test(test_obfuscate__log_redaction_applies_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
