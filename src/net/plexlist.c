/*
 * plexlist.c - reading a page of a Plex section listing (GET
 * /library/sections/{key}/all) without building a JSON tree: a page of 500
 * items is ~400 KB of which the path index needs five values per item
 * (ratingKey, title, addedAt, updatedAt, Media[].Part[].file). The pull
 * reader (core/jscan.h) checks the whole document as jansson would, and the
 * wanted values are judged by the same readers as everywhere
 * (core/jsonx.h): a duplicate key counts by its last occurrence, as in a
 * parsed tree. Building jansson's tree cost ~3 times the reading itself
 * (docs/performance.md).
 */
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "core/jsonx.h"
#include "core/utf8scrub.h"
#include "core/xalloc.h"
#include "net/plex.h"

/* A whole number attribute (s2p_json_whole, or a boolean as 0/1); def
 * otherwise. Takes v. */
static long
whole_take(json_t *v, long def)
{
	long long n;
	long r = def;

	if (s2p_json_whole(v, &n))
		r = (long)n;
	else if (json_is_boolean(v))
		r = json_is_true(v) ? 1 : 0;
	json_decref(v);
	return r;
}

/* The files of one item being read, with their not-UTF-8 flags. */
struct files {
	struct s2p_strv sv;
	unsigned char *bad; /* sv.n flags */
	int any_bad;
};

/* Drop files from index mark on (a repeated key replaces what it held). */
static void
files_truncate(struct files *f, size_t mark)
{
	while (f->sv.n > mark)
		free(f->sv.v[--f->sv.n]);
}

static void
files_push(struct files *f, json_t *file)
{
	int lossy = 0;

	if (!json_is_string(file))
		return;
	s2p_strv_push_take(&f->sv,
	    s2p_utf8_nul_lossy(json_string_value(file),
		json_string_length(file), &lossy));
	f->bad = s2p_xrealloc(f->bad, f->sv.n);
	f->bad[f->sv.n - 1] = (unsigned char)lossy;
	f->any_bad |= lossy;
}

/* Part: [{"file": ...}, ...] of one Media element. */
static void
read_parts(struct s2p_jscan *s, struct files *f)
{
	size_t n = 0, m;
	const char *key;

	if (!s2p_jscan_array(s)) {
		s2p_jscan_skip(s);
		return;
	}
	while (s2p_jscan_element(s, &n)) {
		json_t *file = NULL;

		if (!s2p_jscan_object(s)) {
			s2p_jscan_skip(s);
			continue;
		}
		m = 0;
		while (s2p_jscan_member(s, &m, &key))
			if (strcmp(key, "file") == 0) {
				json_decref(file);
				file = s2p_jscan_scalar(s);
			} else {
				s2p_jscan_skip(s);
			}
		files_push(f, file);
		json_decref(file);
	}
}

/* Media: [{"Part": [...]}, ...] of one item. */
static void
read_media(struct s2p_jscan *s, struct files *f)
{
	size_t n = 0, m, mark;
	const char *key;

	if (!s2p_jscan_array(s)) {
		s2p_jscan_skip(s);
		return;
	}
	while (s2p_jscan_element(s, &n)) {
		if (!s2p_jscan_object(s)) {
			s2p_jscan_skip(s);
			continue;
		}
		mark = f->sv.n;
		m = 0;
		while (s2p_jscan_member(s, &m, &key))
			if (strcmp(key, "Part") == 0) {
				files_truncate(f, mark);
				read_parts(s, f);
			} else {
				s2p_jscan_skip(s);
			}
	}
}

static void
entry_free(struct s2p_plex_entry *en)
{
	free(en->rating_key);
	free(en->title);
	s2p_strv_free(&en->files);
	free(en->file_bad);
}

/* One element of Metadata; appended to out when it has a ratingKey. */
static void
read_entry(struct s2p_jscan *s, struct s2p_plex_page *out, size_t *cap)
{
	static const char *const wanted[] = {"ratingKey", "title", "addedAt",
	    "updatedAt"};
	json_t *v[4] = {NULL, NULL, NULL, NULL};
	struct files f;
	struct s2p_plex_entry *en;
	const char *key;
	size_t n = 0, k;

	memset(&f, 0, sizeof(f));
	if (!s2p_jscan_object(s)) {
		s2p_jscan_skip(s);
		return;
	}
	while (s2p_jscan_member(s, &n, &key)) {
		for (k = 0; k < 4 && strcmp(key, wanted[k]) != 0; k++)
			;
		if (k < 4) {
			json_decref(v[k]);
			v[k] = s2p_jscan_scalar(s);
		} else if (strcmp(key, "Media") == 0) {
			files_truncate(&f, 0);
			read_media(s, &f);
		} else {
			s2p_jscan_skip(s);
		}
	}
	if (out->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		out->v = s2p_xreallocarray(out->v, *cap, sizeof(*out->v));
	}
	en = &out->v[out->n];
	memset(en, 0, sizeof(*en));
	en->rating_key = s2p_json_value_text(v[0]);
	if (en->rating_key != NULL) {
		en->title = s2p_json_value_text(v[1]);
		en->files = f.sv;
		f.sv.v = NULL;
		f.sv.n = 0;
		if (f.any_bad) {
			en->file_bad = f.bad;
			f.bad = NULL;
		}
		out->n++;
	}
	en->added_at = whole_take(v[2], -1);
	en->updated_at = whole_take(v[3], -1);
	json_decref(v[0]);
	json_decref(v[1]);
	s2p_strv_free(&f.sv);
	free(f.bad);
}

/* MediaContainer: offset, totalSize and Metadata. 1 when it was an
 * object. */
static int
read_container(struct s2p_jscan *s, struct s2p_plex_page *out, long start)
{
	size_t n = 0, m, cap = 0;
	const char *key;

	s2p_plex_page_free(out);
	out->offset = start < 0 ? 0 : start;
	out->total = -1;
	if (!s2p_jscan_object(s)) {
		s2p_jscan_skip(s);
		return 0;
	}
	while (s2p_jscan_member(s, &n, &key)) {
		if (strcmp(key, "offset") == 0) {
			out->offset = whole_take(s2p_jscan_scalar(s),
			    start < 0 ? 0 : start);
		} else if (strcmp(key, "totalSize") == 0) {
			out->total = whole_take(s2p_jscan_scalar(s), -1);
		} else if (strcmp(key, "Metadata") == 0) {
			while (out->n > 0)
				entry_free(&out->v[--out->n]);
			if (!s2p_jscan_array(s)) {
				s2p_jscan_skip(s);
				continue;
			}
			m = 0;
			while (s2p_jscan_element(s, &m))
				read_entry(s, out, &cap);
		} else {
			s2p_jscan_skip(s);
		}
	}
	return 1;
}

int
s2p_plex_parse_listing(const char *text, size_t len, long start,
    struct s2p_plex_page *out, struct s2p_error *err)
{
	struct s2p_jscan s;
	const char *key;
	size_t n = 0;
	int found = 0, rc = S2P_OK;

	memset(out, 0, sizeof(*out));
	out->offset = start < 0 ? 0 : start;
	out->total = -1;
	s2p_jscan_init(&s, text, len);
	if (s2p_jscan_object(&s)) {
		while (s2p_jscan_member(&s, &n, &key))
			if (strcmp(key, "MediaContainer") == 0)
				found = read_container(&s, out, start);
			else
				s2p_jscan_skip(&s);
	} else if (s2p_jscan_array(&s)) {
		while (s2p_jscan_element(&s, &n))
			s2p_jscan_skip(&s);
	} else {
		s2p_jscan_skip(&s);
		if (!s.failed)
			rc = s2p_error_set(err, S2P_EPARSE,
			    "Plex listing: invalid JSON (not an object)");
	}
	if (rc == S2P_OK && s2p_jscan_finish(&s) != 0)
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Plex listing: invalid JSON (byte %zu: %s)", s.at, s.why);
	else if (rc == S2P_OK && !found)
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Plex listing: reply has no MediaContainer");
	if (rc != S2P_OK)
		s2p_plex_page_free(out);
	s2p_jscan_free(&s);
	return rc;
}
