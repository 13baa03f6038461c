/*
 * test_pathmap.c - path_map rules (parsing, first match wins, segment
 * boundaries, POSIX <-> Windows prefixes) and comparison keys (Windows case
 * folding and separators, \\?\ and UNC prefixes, Unicode NFC, basename keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>

#include "core/err.h"
#include "sync/pathmap.h"
#include "sync/text.h"

/* Apply rules text to path and check the result. */
static void
check_map(const char *rules, const char *path, const char *want)
{
	struct s2p_pathmap m;
	struct s2p_error err;
	char *got;

	assert_int_equal(s2p_pathmap_parse(&m, rules, &err), S2P_OK);
	got = s2p_pathmap_apply(&m, path);
	assert_string_equal(got, want);
	free(got);
	s2p_pathmap_free(&m);
}

/* Both paths have the same comparison key. */
static void
same_key(const char *a, const char *b)
{
	char *ka = s2p_path_key(a), *kb = s2p_path_key(b);

	assert_string_equal(ka, kb);
	free(ka);
	free(kb);
}

static void
differ_key(const char *a, const char *b)
{
	char *ka = s2p_path_key(a), *kb = s2p_path_key(b);

	assert_string_not_equal(ka, kb);
	free(ka);
	free(kb);
}

static void
test_pathmap__parse_trims_spaces_and_slashes(void **state)
{
	struct s2p_pathmap m;
	struct s2p_error err;

	(void)state;
	assert_int_equal(s2p_pathmap_parse(&m,
			     "  /data/videos/ =>  /mnt/media/  ; ;"
			     "D:\\Stash\\ => \\\\nas\\share\\ ;/=>/",
			     &err),
	    S2P_OK);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].from, "/data/videos");
	assert_string_equal(m.v[0].to, "/mnt/media");
	assert_string_equal(m.v[1].from, "D:\\Stash");
	assert_string_equal(m.v[1].to, "\\\\nas\\share");
	/* The root keeps its one separator. */
	assert_string_equal(m.v[2].from, "/");
	assert_string_equal(m.v[2].to, "/");
	s2p_pathmap_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.v);
	s2p_pathmap_free(&m); /* twice is harmless */
}

static void
test_pathmap__parse_empty_text(void **state)
{
	struct s2p_pathmap m;
	char *got;

	(void)state;
	assert_int_equal(s2p_pathmap_parse(&m, NULL, NULL), S2P_OK);
	assert_int_equal(m.n, 0);
	assert_int_equal(s2p_pathmap_parse(&m, "", NULL), S2P_OK);
	assert_int_equal(m.n, 0);
	assert_int_equal(s2p_pathmap_parse(&m, " ; ;\t;", NULL), S2P_OK);
	assert_int_equal(m.n, 0);
	/* No rule: the path comes back unchanged (as NFC). */
	got = s2p_pathmap_apply(&m, "/data/videos/a.mp4");
	assert_string_equal(got, "/data/videos/a.mp4");
	free(got);
	s2p_pathmap_free(&m);
}

static void
test_pathmap__parse_missing_arrow_names_rule(void **state)
{
	struct s2p_pathmap m;
	struct s2p_error err;

	(void)state;
	s2p_error_clear(&err);
	assert_int_equal(s2p_pathmap_parse(&m,
			     "/a=>/b;/c=>/d; /data -> /mnt ;/e=>/f", &err),
	    S2P_EINVAL);
	assert_int_equal(err.code, S2P_EINVAL);
	assert_non_null(strstr(err.msg, "path_map"));
	assert_non_null(strstr(err.msg, "rule 3"));
	assert_non_null(strstr(err.msg, "/data -> /mnt"));
	assert_non_null(strstr(err.msg, "=>"));
	/* Nothing leaks or stays half-built. */
	assert_int_equal(m.n, 0);
	assert_null(m.v);

	s2p_error_clear(&err);
	assert_int_equal(s2p_pathmap_parse(&m, "/a=>/b; =>/x", &err),
	    S2P_EINVAL);
	assert_non_null(strstr(err.msg, "rule 2"));
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(m.n, 0);
}

static void
test_pathmap__first_match_wins(void **state)
{
	(void)state;
	check_map("/data=>/one;/data/videos=>/two", "/data/videos/a.mp4",
	    "/one/videos/a.mp4");
	check_map("/data/videos=>/two;/data=>/one", "/data/videos/a.mp4",
	    "/two/a.mp4");
	check_map("/data/videos=>/two;/data=>/one", "/data/other/a.mp4",
	    "/one/other/a.mp4");
	/* The path equal to the prefix itself. */
	check_map("/data/videos=>/mnt", "/data/videos", "/mnt");
	/* No rule matches: unchanged. */
	check_map("/data/videos=>/mnt", "/srv/a.mp4", "/srv/a.mp4");
}

/* s2p_path_normalize(in) is want. */
static void
check_norm(const char *in, const char *want)
{
	char *got = s2p_path_normalize(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_pathmap__normalize_dots(void **state)
{
	(void)state;
	check_norm("/data/videos/a.mp4", "/data/videos/a.mp4");
	check_norm("/data/videos/./a.mp4", "/data/videos/a.mp4");
	check_norm("/data/videos/x/../a.mp4", "/data/videos/a.mp4");
	check_norm("/data/videos/../other/a.mp4", "/data/other/a.mp4");
	check_norm("/data//videos/a.mp4", "/data/videos/a.mp4");
	check_norm("/../../a.mp4", "/a.mp4");
	check_norm("/", "/");
	check_norm("/data/", "/data");
	check_norm("a/../../b", "../b");
	check_norm("C:\\Videos\\x\\..\\a.mp4", "C:\\Videos\\a.mp4");
	check_norm("\\\\nas\\share\\.\\a.mp4", "\\\\nas\\share\\a.mp4");
	/* A backslash in a POSIX name is a character, not a separator. */
	check_norm("/data/a\\..\\b.mp4", "/data/a\\..\\b.mp4");
	/* ".." and "." only as whole segments. */
	check_norm("/data/..a/b./a.mp4", "/data/..a/b./a.mp4");
}

static void
test_pathmap__reverse(void **state)
{
	struct s2p_pathmap m;
	char *got;

	(void)state;
	assert_int_equal(s2p_pathmap_parse(&m, "/data/videos=>/mnt/media",
			     NULL),
	    S2P_OK);
	got = s2p_pathmap_reverse(&m, "/mnt/media/S/a.mp4");
	assert_string_equal(got, "/data/videos/S/a.mp4");
	free(got);
	got = s2p_pathmap_reverse(&m, "/srv/a.mp4");
	assert_string_equal(got, "/srv/a.mp4");
	free(got);
	s2p_pathmap_free(&m);
}

static void
test_pathmap__segment_boundary(void **state)
{
	(void)state;
	check_map("/data=>/mnt", "/database/x.mp4", "/database/x.mp4");
	check_map("/data=>/mnt", "/data/x.mp4", "/mnt/x.mp4");
	check_map("/data/=>/mnt/", "/data/x.mp4", "/mnt/x.mp4");
	check_map("/data/v=>/mnt", "/data/videos/x.mp4", "/data/videos/x.mp4");
	/* Short one-letter segments. */
	check_map("/a/b=>/x", "/a/b/c/d.mp4", "/x/c/d.mp4");
	/* The root rule prefixes everything. */
	check_map("/=>/mnt", "/data/x.mp4", "/mnt/data/x.mp4");
	/* POSIX names are case-sensitive. */
	check_map("/Data=>/mnt", "/data/x.mp4", "/data/x.mp4");
	/* A target ending in a separator never doubles it. */
	check_map("/data=>/", "/data/x.mp4", "/x.mp4");
	check_map("/=>/", "/data/x.mp4", "/data/x.mp4");
	check_map("/data=>D:\\", "/data/x/y.mp4", "D:\\x\\y.mp4");

	assert_true(s2p_path_has_prefix("/data/x", "/data"));
	assert_true(s2p_path_has_prefix("/data/x", "/data/"));
	assert_true(s2p_path_has_prefix("/data", "/data"));
	assert_true(s2p_path_has_prefix("/data/x", "/"));
	assert_false(s2p_path_has_prefix("/database/x", "/data"));
	assert_false(s2p_path_has_prefix("/dat", "/data"));
	assert_false(s2p_path_has_prefix("/data/x", ""));
	assert_true(s2p_path_has_prefix("d:/media/x.mkv", "d:"));
	assert_true(s2p_path_has_prefix("//nas/share/x", "//nas/share"));
	assert_false(s2p_path_has_prefix("//nas/shared/x", "//nas/share"));
}

static void
test_pathmap__windows_keys(void **state)
{
	(void)state;
	same_key("D:\\Media\\x.mkv", "d:/media/X.MKV");
	same_key("D:\\Media\\x.mkv", "D:/Media/x.mkv");
	same_key("\\\\?\\D:\\Media\\x", "d:\\media\\X");
	same_key("\\\\?\\UNC\\nas\\share\\x", "\\\\nas\\share\\x");
	same_key("\\\\?\\UNC\\nas\\share\\x", "\\\\NAS\\Share\\X");
	differ_key("\\\\nas\\share\\x", "\\\\nas\\share\\y");
	{
		char *k = s2p_path_key("\\\\?\\UNC\\Nas\\Share\\Dir\\A.mp4");

		assert_string_equal(k, "//nas/share/dir/a.mp4");
		free(k);
		k = s2p_path_key("\\\\?\\D:\\Media\\A.mp4");
		assert_string_equal(k, "d:/media/a.mp4");
		free(k);
		/* Non-ASCII letters fold too. */
		k = s2p_path_key("E:\\\xc3\x89t\xc3\xa9\\\xc3\x84.mkv");
		assert_string_equal(k, "e:/\xc3\xa9t\xc3\xa9/\xc3\xa4.mkv");
		free(k);
	}
	/* Lower-case extended prefixes are the same prefixes. */
	same_key("\\\\?\\unc\\nas\\share\\x", "\\\\nas\\share\\x");
	/* POSIX paths are compared as they are. */
	differ_key("/data/X.mkv", "/data/x.mkv");
	{
		char *k = s2p_path_key("/Data/X.mkv");

		assert_string_equal(k, "/Data/X.mkv");
		free(k);
	}
}

static void
test_pathmap__posix_to_windows_and_back(void **state)
{
	(void)state;
	check_map("/data/videos=>D:\\Media", "/data/videos/Studio/x.mp4",
	    "D:\\Media\\Studio\\x.mp4");
	check_map("/data/videos=>D:\\", "/data/videos/Studio/x.mp4",
	    "D:\\Studio\\x.mp4");
	check_map("/data/videos=>\\\\nas\\share\\Media",
	    "/data/videos/Studio/x.mp4",
	    "\\\\nas\\share\\Media\\Studio\\x.mp4");
	/* Back: Windows source, case-insensitive, POSIX target. */
	check_map("D:\\Media=>/data/videos", "D:\\Media\\Studio\\x.mp4",
	    "/data/videos/Studio/x.mp4");
	check_map("D:\\Media=>/data/videos", "d:/media/Studio/x.mp4",
	    "/data/videos/Studio/x.mp4");
	check_map("d:/media=>/data/videos", "D:\\MEDIA\\Studio\\x.mp4",
	    "/data/videos/Studio/x.mp4");
	check_map("D:\\Media=>/data/videos", "\\\\?\\D:\\Media\\Studio\\x.mp4",
	    "/data/videos/Studio/x.mp4");
	check_map("\\\\nas\\share=>/mnt/nas",
	    "\\\\?\\UNC\\nas\\share\\Studio\\x.mp4", "/mnt/nas/Studio/x.mp4");
	check_map("D:\\Media=>/data/videos", "D:\\Mediathek\\x.mp4",
	    "D:\\Mediathek\\x.mp4");
	/* Case folding that changes byte lengths (sharp s -> "ss") does not
	 * shift the cut. */
	check_map("D:\\Stra\xc3\x9f"
		  "e=>/mnt",
	    "d:\\STRASSE\\Sub\\x.mp4", "/mnt/Sub/x.mp4");
	check_map("D:\\\xc4\xb0stanbul=>/mnt", "D:\\\xc4\xb0stanbul\\x.mp4",
	    "/mnt/x.mp4");
	/* Windows to Windows keeps backslashes. */
	check_map("D:\\Media=>E:\\Plex", "d:\\media\\Studio\\x.mp4",
	    "E:\\Plex\\Studio\\x.mp4");
	/* The mapped path's key equals the key of Plex's spelling. */
	{
		struct s2p_pathmap m;
		char *got;

		assert_int_equal(s2p_pathmap_parse(&m,
				     "/data/videos=>D:\\Media", NULL),
		    S2P_OK);
		got = s2p_pathmap_apply(&m, "/data/videos/Studio/x.mp4");
		same_key(got, "d:\\MEDIA\\studio\\X.mp4");
		free(got);
		s2p_pathmap_free(&m);
	}
}

/* A backslash inside a POSIX file name is an ordinary character: the path
 * stays POSIX (case-sensitive, '\\' kept) through mapping and keys. */
static void
test_pathmap__posix_name_with_backslash(void **state)
{
	char *k, *b;

	(void)state;
	check_map("/data/videos=>/mnt", "/data/videos/AC\\DC/Live\\1.mp4",
	    "/mnt/AC\\DC/Live\\1.mp4");
	same_key("/mnt/AC\\DC.mp4", "/mnt/AC\\DC.mp4");
	differ_key("/mnt/AC\\DC.mp4", "/mnt/ac\\dc.mp4");
	differ_key("/mnt/AC\\DC.mp4", "/mnt/AC/DC.mp4");
	k = s2p_path_key("/mnt/AC\\DC.mp4");
	assert_string_equal(k, "/mnt/AC\\DC.mp4");
	free(k);
	b = s2p_path_basename_key("/mnt/AC\\DC.mp4");
	assert_string_equal(b, "ac\\dc.mp4");
	free(b);
}

static void
test_pathmap__unicode_nfc(void **state)
{
	/* "Zoe" + U+0308 (NFD) vs "Zo" + U+00EB (NFC). */
	const char *nfd = "/data/Zoe\xcc\x88/Zoe\xcc\x88.mp4";
	const char *nfc = "/data/Zo\xc3\xab/Zo\xc3\xab.mp4";

	(void)state;
	same_key(nfd, nfc);
	same_key("D:\\Zoe\xcc\x88.mp4", "d:/ZO\xc3\x8b.MP4");
	/* Rules match across normalisation forms, and the result is NFC. */
	check_map("/data/Zoe\xcc\x88=>/mnt", nfc, "/mnt/Zo\xc3\xab.mp4");
	check_map("/data/Zo\xc3\xab=>/mnt", nfd, "/mnt/Zo\xc3\xab.mp4");
	check_map("/data=>/mnt", nfd, "/mnt/Zo\xc3\xab/Zo\xc3\xab.mp4");
}

static void
test_pathmap__basename_key(void **state)
{
	char *k;

	(void)state;
	k = s2p_path_basename_key("/data/videos/Studio/Drift-Paper-3.MP4");
	assert_string_equal(k, "drift-paper-3.mp4");
	free(k);
	k = s2p_path_basename_key("D:\\Media\\Studio\\Drift-Paper-3.mp4");
	assert_string_equal(k, "drift-paper-3.mp4");
	free(k);
	k = s2p_path_basename_key("\\\\nas\\share/mixed\\A.mkv");
	assert_string_equal(k, "a.mkv");
	free(k);
	k = s2p_path_basename_key("plain.mkv");
	assert_string_equal(k, "plain.mkv");
	free(k);
	/* NFD and NFC, upper and lower case: one key. */
	k = s2p_path_basename_key("/x/ZOE\xcc\x88.mp4");
	assert_string_equal(k, "zo\xc3\xab.mp4");
	free(k);
	k = s2p_path_basename_key("/x/zo\xc3\xab.mp4");
	assert_string_equal(k, "zo\xc3\xab.mp4");
	free(k);
}

/* The ASCII shortcuts of the keys (no utf8proc) give what utf8proc gives:
 * every ASCII character, in a Unix and a Windows path. */
static void
test_pathmap__ascii_keys_as_utf8proc(void **state)
{
	char path[160], win[200];
	int c;

	(void)state;
	for (c = 1; c < 128; c++) {
		utf8proc_uint8_t *nfc = NULL, *fold = NULL;
		char *k, *b;

		snprintf(path, sizeof(path), "/Media/A%cZ/File %c Name.MP4", c,
		    c);
		snprintf(win, sizeof(win), "C:\\Media\\A%cZ\\F%c.MKV", c, c);
		assert_true(
		    utf8proc_map((const utf8proc_uint8_t *)path, 0, &nfc,
			UTF8PROC_NULLTERM | UTF8PROC_STABLE |
			    UTF8PROC_COMPOSE) >= 0);
		k = s2p_text_nfc(path);
		assert_string_equal(k, (char *)nfc);
		free(k);
		k = s2p_path_key(path);
		assert_string_equal(k, (char *)nfc);
		free(k);
		b = s2p_path_basename_key(path);
		assert_true(
		    utf8proc_map((const utf8proc_uint8_t *)strrchr(path, '/') +
			    1,
			0, &fold,
			UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
			    UTF8PROC_CASEFOLD) >= 0);
		assert_string_equal(b, (char *)fold);
		free(b);
		free(fold);
		fold = NULL;
		k = s2p_path_key(win);
		assert_true(utf8proc_map((const utf8proc_uint8_t *)k, 0, &fold,
				UTF8PROC_NULLTERM | UTF8PROC_STABLE |
				    UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) >= 0);
		assert_string_equal(k, (char *)fold);
		free(k);
		free(fold);
		free(nfc);
	}
	/* not ASCII: still utf8proc's (decomposed e-acute composes) */
	{
		char *k = s2p_path_key("/m/Caf\x65\xcc\x81.mp4");

		assert_string_equal(k, "/m/Caf\xc3\xa9.mp4");
		free(k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pathmap__ascii_keys_as_utf8proc),
	    cmocka_unit_test(test_pathmap__parse_trims_spaces_and_slashes),
	    cmocka_unit_test(test_pathmap__parse_empty_text),
	    cmocka_unit_test(test_pathmap__parse_missing_arrow_names_rule),
	    cmocka_unit_test(test_pathmap__first_match_wins),
	    cmocka_unit_test(test_pathmap__normalize_dots),
	    cmocka_unit_test(test_pathmap__reverse),
	    cmocka_unit_test(test_pathmap__segment_boundary),
	    cmocka_unit_test(test_pathmap__windows_keys),
	    cmocka_unit_test(test_pathmap__posix_to_windows_and_back),
	    cmocka_unit_test(test_pathmap__posix_name_with_backslash),
	    cmocka_unit_test(test_pathmap__unicode_nfc),
	    cmocka_unit_test(test_pathmap__basename_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
