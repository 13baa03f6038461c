/*
 * test_plexlist.c - net/plexlist.c reads a listing page as the tree-based
 * reader it replaced did: every document here is read both ways (the
 * reference below is the former jansson code of s2p_plex_list) and the
 * pages must be equal, or both readings must fail. Covers escapes,
 * surrogates, bytes that are not UTF-8 in a file name, duplicate keys,
 * odd shapes, numbers as keys, and malformed JSON of every kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/utf8scrub.h"
#include "core/xalloc.h"
#include "net/plex.h"

static long
ref_long(const json_t *o, const char *key, long def)
{
	const json_t *v = json_object_get(o, key);
	long long n;

	if (s2p_json_whole(v, &n))
		return (long)n;
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return def;
}

static void
ref_files(struct s2p_plex_entry *en, const json_t *item)
{
	const json_t *media = json_object_get(item, "Media"), *m, *pt, *f;
	size_t i, j;
	int lossy, any = 0;

	json_array_foreach(media, i, m)
	{
		json_array_foreach(json_object_get(m, "Part"), j, pt)
		{
			f = json_object_get(pt, "file");
			if (!json_is_string(f))
				continue;
			s2p_strv_push_take(&en->files,
			    s2p_utf8_nul_lossy(json_string_value(f),
				json_string_length(f), &lossy));
			en->file_bad = s2p_xrealloc(en->file_bad, en->files.n);
			en->file_bad[en->files.n - 1] = (unsigned char)lossy;
			any |= lossy;
		}
	}
	if (!any) {
		free(en->file_bad);
		en->file_bad = NULL;
	}
}

/* The former reader: scrub, parse the tree, pick the values. */
static int
ref_parse(const char *text, size_t len, long start, struct s2p_plex_page *out)
{
	struct s2p_buf fixed;
	json_t *root, *mc, *md, *it;
	size_t flags = 0, i;

	memset(out, 0, sizeof(*out));
	s2p_buf_init(&fixed, 0);
	if (s2p_utf8_scrub_json(text, len, &fixed) > 0) {
		text = fixed.data;
		len = fixed.len;
		flags = JSON_ALLOW_NUL;
	}
	root = json_loadb(text, len, flags, NULL);
	s2p_buf_free(&fixed);
	mc = json_object_get(root, "MediaContainer");
	if (!json_is_object(mc)) {
		json_decref(root);
		return -1;
	}
	out->offset = ref_long(mc, "offset", start < 0 ? 0 : start);
	out->total = ref_long(mc, "totalSize", -1);
	md = json_object_get(mc, "Metadata");
	out->v = s2p_xcalloc(json_array_size(md) + 1, sizeof(*out->v));
	json_array_foreach(md, i, it)
	{
		struct s2p_plex_entry *en = &out->v[out->n];

		en->rating_key = s2p_json_text(it, "ratingKey");
		if (en->rating_key == NULL)
			continue;
		en->title = s2p_json_text(it, "title");
		en->added_at = ref_long(it, "addedAt", -1);
		en->updated_at = ref_long(it, "updatedAt", -1);
		ref_files(en, it);
		out->n++;
	}
	json_decref(root);
	return 0;
}

static int
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Read text both ways; they must agree. Returns 0 when both read it. */
static int
both(const char *text, size_t len)
{
	struct s2p_plex_page a, b;
	struct s2p_error err;
	int ra, rb;
	size_t i, j;

	ra = s2p_plex_parse_listing(text, len, 0, &a, &err);
	rb = ref_parse(text, len, 0, &b);
	if ((ra == S2P_OK) != (rb == 0))
		fail_msg("readers disagree on %.200s: new %d (%s), old %d",
		    text, ra, ra ? err.msg : "", rb);
	if (ra == S2P_OK) {
		assert_int_equal(a.n, b.n);
		assert_int_equal(a.offset, b.offset);
		assert_int_equal(a.total, b.total);
		for (i = 0; i < a.n; i++) {
			assert_string_equal(a.v[i].rating_key,
			    b.v[i].rating_key);
			assert_true(str_eq(a.v[i].title, b.v[i].title));
			assert_int_equal(a.v[i].added_at, b.v[i].added_at);
			assert_int_equal(a.v[i].updated_at, b.v[i].updated_at);
			assert_int_equal(a.v[i].files.n, b.v[i].files.n);
			assert_int_equal(a.v[i].file_bad == NULL,
			    b.v[i].file_bad == NULL);
			for (j = 0; j < a.v[i].files.n; j++) {
				assert_string_equal(a.v[i].files.v[j],
				    b.v[i].files.v[j]);
				if (a.v[i].file_bad)
					assert_int_equal(a.v[i].file_bad[j],
					    b.v[i].file_bad[j]);
			}
		}
	}
	s2p_plex_page_free(&a);
	s2p_plex_page_free(&b);
	return ra == S2P_OK ? 0 : -1;
}

static int
both_s(const char *text)
{
	return both(text, strlen(text));
}

static void
test_plexlist__pages_read_alike(void **state)
{
	static const char *const docs[] = {
	    "{\"MediaContainer\": {\"size\": 2, \"totalSize\": 1200, "
	    "\"offset\": 500, \"Metadata\": [{\"ratingKey\": \"1001\", "
	    "\"title\": \"A \\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f"
	    "\\n\\r\\t\", \"addedAt\": 1700000000, \"updatedAt\": "
	    "\"1700003600\", \"Media\": [{\"id\": 1, \"Part\": [{\"file\": "
	    "\"/data/a.mp4\", \"size\": 1.5e9}, {\"file\": \"/data/a2.mp4\"}]},"
	    " {\"Part\": [{\"file\": \"/data/a3.mp4\"}]}], \"Genre\": "
	    "[{\"tag\": \"x\"}], \"x\": [true, false, null, -0.5e-3, {}]}, "
	    "{\"ratingKey\": 1002, \"title\": null, \"addedAt\": true, "
	    "\"updatedAt\": 2.0, \"Media\": [{\"Part\": [{\"file\": 5}, "
	    "{\"nofile\": 1}, 3]}, 7, {\"Part\": {\"file\": \"/x\"}}]}]}}",
	    /* entries without a key, odd elements, a container-level mess */
	    "{\"a\": [[], {}], \"MediaContainer\": {\"Metadata\": [{\"title\": "
	    "\"no key\"}, 7, \"s\", [1, {\"ratingKey\": \"9\"}], "
	    "{\"ratingKey\":"
	    " {\"a\": 1}}, {\"ratingKey\": 1.5}, {\"ratingKey\": \"\"}]}}",
	    /* duplicate keys: the last one counts */
	    "{\"MediaContainer\": {\"totalSize\": 5, \"totalSize\": \"6\", "
	    "\"Metadata\": [{\"ratingKey\": \"1\"}], \"Metadata\": "
	    "[{\"ratingKey\": \"2\", \"ratingKey\": \"3\", \"title\": \"a\", "
	    "\"title\": \"b\", \"Media\": [{\"Part\": [{\"file\": \"/1\"}], "
	    "\"Part\": [{\"file\": \"/2\", \"file\": \"/3\"}]}], \"Media\": "
	    "[{\"Part\": [{\"file\": \"/4\"}]}, {\"Part\": [{\"file\": "
	    "\"/5\"}]}]}]}}",
	    "{\"MediaContainer\": {\"Metadata\": [{\"ratingKey\": \"1\"}]}, "
	    "\"MediaContainer\": {\"size\": 0}}",
	    "{\"MediaContainer\": {\"Metadata\": [{\"ratingKey\": \"1\", "
	    "\"Media\": [{\"Part\": [{\"file\": \"/1\"}], \"Part\": "
	    "[{\"file\": \"/2\"}]}, {\"Part\": [{\"file\": \"/3\"}]}]}]}}",
	    "{\"MediaContainer\": {\"Metadata\": {\"ratingKey\": \"1\"}}}",
	    "{\"MediaContainer\": {\"offset\": \"x\", \"totalSize\": "
	    "\"12345678901234567890\"}}",
	    " \n\t{\"MediaContainer\":{}} \r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		assert_int_equal(both_s(docs[i]), 0);
}

static void
test_plexlist__bytes_not_utf8_in_a_file(void **state)
{
	static const char doc[] =
	    "{\"MediaContainer\": {\"Metadata\": [{\"ratingKey\": \"1\", "
	    "\"title\": \"T\xff\xfe x\", \"Media\": [{\"Part\": [{\"file\": "
	    "\"/ok/\xc3\xa9.mp4\"}, {\"file\": \"/bad/\xe9t\xe9.mp4\"}, "
	    "{\"file\": \"/trunc/\xe2\x82\"}]}]}]}}";
	struct s2p_plex_page pg;

	(void)state;
	assert_int_equal(both(doc, sizeof(doc) - 1), 0);
	assert_int_equal(s2p_plex_parse_listing(doc, sizeof(doc) - 1, 0, &pg,
			     NULL),
	    S2P_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(pg.v[0].files.n, 3);
	assert_non_null(pg.v[0].file_bad);
	assert_int_equal(pg.v[0].file_bad[0], 0);
	assert_int_equal(pg.v[0].file_bad[1], 1);
	assert_int_equal(pg.v[0].file_bad[2], 1);
	assert_string_equal(pg.v[0].files.v[1],
	    "/bad/\xef\xbf\xbdt\xef\xbf\xbd.mp4");
	s2p_plex_page_free(&pg);
}

static void
test_plexlist__malformed_json_fails_both(void **state)
{
	static const char *const bad[] = {"", " ", "5", "\"s\"", "null", "{",
	    "{\"MediaContainer\": {}", "{\"MediaContainer\": {}}}",
	    "{\"MediaContainer\": {}} x", "{\"MediaContainer\": {},}",
	    "{\"MediaContainer\": {\"a\": [1,]}}",
	    "{\"MediaContainer\": {\"a\": [1 2]}}",
	    "{\"MediaContainer\": {\"a\" 1}}", "{\"MediaContainer\": {a: 1}}",
	    "{\"MediaContainer\": {\"a\": 01}}",
	    "{\"MediaContainer\": {\"a\": -}}",
	    "{\"MediaContainer\": {\"a\": 1.}}",
	    "{\"MediaContainer\": {\"a\": 1e}}",
	    "{\"MediaContainer\": {\"a\": .5}}",
	    "{\"MediaContainer\": {\"a\": tru}}",
	    "{\"MediaContainer\": {\"a\": nul}}",
	    "{\"MediaContainer\": {\"a\": \"\\x\"}}",
	    "{\"MediaContainer\": {\"a\": \"\\u12g4\"}}",
	    "{\"MediaContainer\": {\"a\": \"\\ud800\"}}",
	    "{\"MediaContainer\": {\"a\": \"\\udc00\"}}",
	    "{\"MediaContainer\": {\"a\": \"\\ud800\\u0041\"}}",
	    "{\"MediaContainer\": {\"a\": \"tab\there\"}}",
	    "{\"MediaContainer\": {\"a\": \"open}}",
	    "{\"MediaContainer\": {\"a\": [}}",
	    "{\"MediaContainer\": {\"a\": {]}}",
	    "{\"MediaContainer\": {\"Metadata\": [{\"ratingKey\": 1,}]}}",
	    "{\"MediaContainer\": {\"Metadata\": [{\"ratingKey\": "
	    "99999999999999999999}]}}",
	    "{\"MediaContainer\": {\"Metadata\": [{\"addedAt\": 1e999}]}}"};
	char *deep;
	size_t i, n = 3000;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(both_s(bad[i]), -1);
	/* nesting far deeper than any reply: refused, not a stack overflow */
	deep = s2p_xmalloc(2 * n + 64);
	strcpy(deep, "{\"MediaContainer\": {\"a\": ");
	for (i = 0; i < n; i++)
		strcat(deep, "[");
	for (i = 0; i < n; i++)
		strcat(deep, "]");
	strcat(deep, "}}");
	assert_int_equal(both_s(deep), -1);
	free(deep);
}

/* A page as large as the indexer asks for, shaped like the fake's. */
static void
test_plexlist__large_page(void **state)
{
	struct s2p_buf b;
	int i, rc = S2P_OK;

	(void)state;
	s2p_buf_init(&b, 0);
	rc |= s2p_buf_addf(&b,
	    "{\"MediaContainer\": {\"size\": 500, "
	    "\"totalSize\": 100000, \"offset\": 1000, "
	    "\"Metadata\": [");
	for (i = 0; i < 500; i++)
		rc |= s2p_buf_addf(&b,
		    "%s{\"ratingKey\": \"%d\", \"key\": "
		    "\"/library/metadata/%d\","
		    " \"title\": \"Title %d\", \"summary\": \"Agent summary "
		    "for %d.\", \"year\": 2001, \"addedAt\": %d, \"updatedAt\":"
		    " %d, \"Media\": [{\"id\": %d, \"duration\": 1800000, "
		    "\"Part\": [{\"id\": %d, \"key\": "
		    "\"/library/parts/%d/f.mp4\","
		    " \"file\": \"/data/videos/S/%d.mp4\", \"size\": "
		    "104857600}]}"
		    "], \"Genre\": [{\"tag\": \"4K\"}], \"Role\": [{\"tag\": "
		    "\"Mika Stone\"}]}",
		    i ? ", " : "", 1001 + i, 1001 + i, i, i, 1700000000 + i,
		    1700003600 + i, i, i, i, i);
	rc |= s2p_buf_addf(&b, "]}}");
	assert_int_equal(rc, S2P_OK);
	assert_int_equal(both(b.data, b.len), 0);
	s2p_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plexlist__pages_read_alike),
	    cmocka_unit_test(test_plexlist__bytes_not_utf8_in_a_file),
	    cmocka_unit_test(test_plexlist__malformed_json_fails_both),
	    cmocka_unit_test(test_plexlist__large_page),
	};

	s2p_json_use_xalloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
