/*
 * match.c - scene-to-Plex-item matching policy over the path index (see
 * match.h and docs/internals/matching.md).
 */
#include "match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/syncstate.h"
#include "sync/indexer.h"

#define SECTIONS_TTL 600.0 /* re-read the section list at most this often */
#define INCR_MIN_GAP 20.0  /* incremental refreshes per section, at most */
#define FULL_TTL 86400.0   /* re-list a section fully after a day */

static char *
fold(const char *s)
{
	utf8proc_uint8_t *o = NULL;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &o,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		    UTF8PROC_CASEFOLD) < 0)
		return s2p_xstrdup(s);
	return (char *)o;
}

int
s2p_matcher_init(struct s2p_matcher *m, struct s2p_db *db,
    struct s2p_plex *plex, const struct s2p_config *cfg,
    const struct s2p_clock *clock, struct s2p_error *err)
{
	const char *p;
	int rc;

	memset(m, 0, sizeof(*m));
	m->db = db;
	m->plex = plex;
	m->cfg = cfg;
	m->clock = clock;
	rc = s2p_pathmap_parse(&m->map, cfg->path_map, err);
	if (rc != S2P_OK)
		return rc;
	for (p = cfg->plex_library ? cfg->plex_library : ""; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *name;

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		name = s2p_xstrndup(p, n);
		while (*name && (name[strlen(name) - 1] == ' '))
			name[strlen(name) - 1] = '\0';
		if (*name)
			s2p_strv_push_take(&m->libraries, fold(name));
		free(name);
		p += n + (end ? 1 : 0);
		if (end == NULL)
			break;
	}
	return S2P_OK;
}

void
s2p_matcher_free(struct s2p_matcher *m)
{
	s2p_pathmap_free(&m->map);
	s2p_strv_free(&m->libraries);
	s2p_strv_free(&m->incr_keys);
	free(m->incr_at);
	memset(m, 0, sizeof(*m));
}

void
s2p_match_free(struct s2p_match *mt)
{
	free(mt->rating_key);
	free(mt->section_key);
	free(mt->plex_file);
	memset(mt, 0, sizeof(*mt));
}

void
s2p_matcher_forget(struct s2p_matcher *m, const char *rating_key)
{
	size_t i;

	if (s2p_pindex_forget(m->db, rating_key, NULL) != S2P_OK)
		s2p_warn("path index: cannot forget item %s", rating_key);
	/* The item was most likely re-added under a new key: let the
	 * re-find refresh the index now rather than after the gap. */
	for (i = 0; i < m->incr_keys.n; i++)
		m->incr_at[i] = 0;
}

/* Video sections we may use: movie and show sections, filtered by
 * plex_library names. */
static int
eligible(const struct s2p_matcher *m, const struct s2p_plex_section *s)
{
	char *t;
	int ok;

	if (strcmp(s->type, "movie") != 0 && strcmp(s->type, "show") != 0)
		return 0;
	if (m->libraries.n == 0)
		return 1;
	t = fold(s->title);
	ok = s2p_strv_find(&m->libraries, t) >= 0;
	free(t);
	return ok;
}

/* Load sections, refreshing them from Plex when stale. */
static int
sections(struct s2p_matcher *m, int force, struct s2p_plex_sections *out,
    struct s2p_error *err)
{
	double now = s2p_clock_now(m->clock);
	int rc;

	if (m->sections_at == 0) {
		char buf[64];

		/* Another worker run may have refreshed them recently. */
		if (s2p_kv_get(m->db, "sections_at", buf, sizeof(buf), NULL) ==
		    S2P_OK)
			m->sections_at = strtod(buf, NULL);
	}
	if (force || m->sections_at == 0 ||
	    now - m->sections_at > SECTIONS_TTL || now < m->sections_at) {
		struct s2p_plex_sections fresh;
		char buf[64];

		rc = s2p_plex_sections(m->plex, &fresh, err);
		if (rc != S2P_OK)
			return rc;
		rc = s2p_indexer_store_sections(m->db, &fresh, err);
		s2p_plex_sections_free(&fresh);
		if (rc != S2P_OK)
			return rc;
		m->sections_at = now;
		snprintf(buf, sizeof(buf), "%.3f", now);
		if (s2p_kv_put(m->db, "sections_at", buf, NULL) != S2P_OK)
			s2p_debug("cannot record the section refresh time");
	}
	return s2p_indexer_load_sections(m->db, out, err);
}

static double *
incr_slot(struct s2p_matcher *m, const char *key)
{
	long i = s2p_strv_find(&m->incr_keys, key);

	if (i < 0) {
		s2p_strv_push(&m->incr_keys, key);
		m->incr_at = s2p_xreallocarray(m->incr_at, m->incr_keys.n,
		    sizeof(*m->incr_at));
		i = (long)m->incr_keys.n - 1;
		m->incr_at[i] = 0;
	}
	return &m->incr_at[i];
}

static int
section_type(const struct s2p_plex_section *s)
{
	return strcmp(s->type, "show") == 0 ? 4 : 1;
}

/* Make sure the section is indexed, listing it fully when never indexed (or
 * after FULL_TTL). */
static int
ensure_indexed(struct s2p_matcher *m, const struct s2p_plex_section *s,
    struct s2p_error *err)
{
	double now = s2p_clock_now(m->clock);
	double at = s2p_pindex_indexed_at(m->db, s->key);

	if (at > 0 && now - at < FULL_TTL)
		return S2P_OK;
	s2p_info("Indexing Plex library \"%s\" (section %s)", s->title, s->key);
	return s2p_indexer_full(m->db, m->plex, s->key, section_type(s), now,
	    err);
}

/* Choose candidate sections for a Plex path key: eligible sections whose
 * Location is the longest prefix; all eligible ones when none is. */
static void
candidates(struct s2p_matcher *m, const struct s2p_plex_sections *secs,
    const char *key, struct s2p_strv *out, int *located)
{
	size_t best = 0, i, j;

	*located = 0;
	for (i = 0; i < secs->n; i++) {
		if (!eligible(m, &secs->v[i]))
			continue;
		for (j = 0; j < secs->v[i].locations.n; j++) {
			char *lk = s2p_path_key(secs->v[i].locations.v[j]);
			size_t len = strlen(lk);

			if (s2p_path_has_prefix(key, lk) && len >= best) {
				if (len > best)
					s2p_strv_free(out);
				best = len;
				if (s2p_strv_find(out, secs->v[i].key) < 0)
					s2p_strv_push(out, secs->v[i].key);
				*located = 1;
			}
			free(lk);
		}
	}
	if (*located)
		return;
	for (i = 0; i < secs->n; i++)
		if (eligible(m, &secs->v[i]))
			s2p_strv_push(out, secs->v[i].key);
}

static const struct s2p_plex_section *
find_section(const struct s2p_plex_sections *secs, const char *key)
{
	size_t i;

	for (i = 0; i < secs->n; i++)
		if (strcmp(secs->v[i].key, key) == 0)
			return &secs->v[i];
	return NULL;
}

/* Number of trailing path components a and b share (as keys). */
static int
common_tail(const char *a, const char *b)
{
	const char *pa = a + strlen(a), *pb = b + strlen(b);
	int n = 0;

	while (pa > a && pb > b) {
		pa--;
		pb--;
		if (*pa != *pb)
			break;
		if (*pa == '/')
			n++;
	}
	return n;
}

static void
fill(struct s2p_match *out, const struct s2p_pindex_hit *h,
    const struct s2p_plex_sections *secs, int by_basename)
{
	const struct s2p_plex_section *s = find_section(secs, h->section_key);

	out->rating_key = s2p_xstrdup(h->rating_key);
	out->section_key = s2p_xstrdup(h->section_key);
	out->plex_file = s2p_xstrdup(h->file);
	out->type = s ? section_type(s) : 1;
	out->by_basename = by_basename;
	out->secondary = h->part_no > 0;
}

/* Exact lookup of one Plex path key in the candidate sections, refreshing
 * the index incrementally once on a miss. */
static int
exact(struct s2p_matcher *m, const struct s2p_plex_sections *secs,
    const struct s2p_strv *cands, const char *key, struct s2p_pindex_hits *hits,
    struct s2p_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < cands->n; i++) {
		rc = ensure_indexed(m, find_section(secs, cands->v[i]), err);
		if (rc != S2P_OK)
			return rc;
	}
	rc = s2p_pindex_lookup(m->db, key, 0, cands, hits, err);
	if (rc != S2P_OK || hits->n > 0)
		return rc;
	for (i = 0; i < cands->n; i++) {
		double now = s2p_clock_now(m->clock);
		double *at = incr_slot(m, cands->v[i]);
		const struct s2p_plex_section *s = find_section(secs,
		    cands->v[i]);
		long added = 0;

		if (now - *at < INCR_MIN_GAP)
			continue;
		*at = now;
		rc = s2p_indexer_incremental(m->db, m->plex, s->key,
		    section_type(s), &added, err);
		if (rc != S2P_OK && s2p_status_class(rc) != S2P_CLASS_DOWN &&
		    s2p_status_class(rc) != S2P_CLASS_TRANSIENT &&
		    rc != S2P_EAUTH && rc != S2P_ETLS) {
			/* Plex refused the sorted listing (or sent one we
			 * cannot read): the full listing still finds the
			 * file, at a higher cost. */
			s2p_warn("Plex library \"%s\": the listing of new "
				 "items "
				 "failed (%s); listing the whole library "
				 "instead",
			    s->title, err ? err->msg : "");
			s2p_error_clear(err);
			rc = s2p_indexer_full(m->db, m->plex, s->key,
			    section_type(s), now, err);
		}
		if (rc != S2P_OK)
			return rc;
		if (added > 0)
			s2p_info("Plex library \"%s\": %ld new item(s) indexed",
			    s->title, added);
	}
	return s2p_pindex_lookup(m->db, key, 0, cands, hits, err);
}

/* The title of a section whose Location contains the path key although
 * plex_library leaves it out (borrowed), or NULL. */
static const char *
excluded_title(const struct s2p_plex_sections *secs, const char *key)
{
	size_t i, j;
	const char *t = NULL;

	for (i = 0; i < secs->n && t == NULL; i++)
		for (j = 0; j < secs->v[i].locations.n && t == NULL; j++) {
			char *lk = s2p_path_key(secs->v[i].locations.v[j]);

			if (s2p_path_has_prefix(key, lk))
				t = secs->v[i].title;
			free(lk);
		}
	return t;
}

/* Keep one hit per distinct Plex file (by key): the same file seen by two
 * libraries sharing a folder is one candidate, owned by the first (lowest
 * section) hit. */
static void
dedupe_files(struct s2p_pindex_hits *h)
{
	struct s2p_strv keys = {0};
	size_t i, n = 0;

	for (i = 0; i < h->n; i++) {
		char *k = s2p_path_key(h->v[i].file);

		if (s2p_strv_find(&keys, k) >= 0) {
			free(k);
			free(h->v[i].rating_key);
			free(h->v[i].section_key);
			free(h->v[i].file);
			continue;
		}
		s2p_strv_push_take(&keys, k);
		h->v[n++] = h->v[i];
	}
	h->n = n;
	s2p_strv_free(&keys);
}

/* Length of the folder part of a Plex file (up to its last separator). */
static size_t
dir_len(const char *file)
{
	const char *a = strrchr(file, '/');
	const char *b = file[0] == '\\' || (file[0] && file[1] == ':')
	    ? strrchr(file, '\\')
	    : NULL;

	if (a == NULL || (b != NULL && b > a))
		a = b;
	return a ? (size_t)(a - file) : 0;
}

static int
is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* Append n bytes of s (buffers here have no cap, so this cannot fail). */
static void
put(struct s2p_buf *b, const char *s, size_t n)
{
	if (s2p_buf_add(b, s, n) != S2P_OK)
		return;
}

/* Append s[0..len) to b, at most max (>= 8) bytes: longer text keeps its
 * start and end around "..." (cut on UTF-8 character boundaries). */
static void
put_clipped(struct s2p_buf *b, const char *s, size_t len, size_t max)
{
	size_t head, tail;

	if (len <= max) {
		put(b, s, len);
		return;
	}
	head = (max - 3) / 2;
	tail = max - 3 - head;
	while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
		head--;
	while (tail > 0 && ((unsigned char)s[len - tail] & 0xC0) == 0x80)
		tail--;
	put(b, s, head);
	put(b, "...", 3);
	put(b, s + len - tail, tail);
}

/* Set the strict-ambiguity error, within max bytes so that every candidate
 * survives: each one's ratingKey and the part of its folder that differs
 * (the folders' common start and end are dropped, long parts clipped in
 * the middle). */
static int
ambiguous_error(const struct s2p_pindex_hits *h, struct s2p_error *err,
    size_t max)
{
	static const char hint[] = "; set path_map or turn off strict_matching";
	const char *file0 = h->v[0].file;
	size_t d0 = dir_len(file0), pre = d0, suf, i, fixed, room, cap;
	const char *base = file0 + d0 + (is_sep(file0[d0]) ? 1 : 0);
	struct s2p_buf b;
	char num[64];
	int rc;

	/* Common leading folders (up to a separator)... */
	for (i = 1; i < h->n; i++) {
		size_t k = 0, di = dir_len(h->v[i].file);

		while (k < pre && k < di && h->v[i].file[k] == file0[k])
			k++;
		pre = k;
	}
	while (pre > 0 && !is_sep(file0[pre - 1]))
		pre--;
	/* ...and common trailing folders (from a separator). */
	suf = d0 - pre;
	for (i = 1; i < h->n; i++) {
		size_t k = 0, di = dir_len(h->v[i].file);

		while (k < suf && pre + k < di &&
		    h->v[i].file[di - 1 - k] == file0[d0 - 1 - k])
			k++;
		suf = k;
	}
	while (suf > 0 && !is_sep(file0[d0 - suf]))
		suf--;

	s2p_buf_init(&b, 0);
	snprintf(num, sizeof(num),
	    "ambiguous match: %zu Plex items have the "
	    "file name \"",
	    h->n);
	put(&b, num, strlen(num));
	put_clipped(&b, base, strlen(base), 60);
	put(&b, "\":", 2);
	fixed = b.len + sizeof(hint) - 1;
	for (i = 0; i < h->n; i++)
		fixed += strlen(h->v[i].rating_key) + 3;
	room = max > fixed ? max - fixed : 0;
	cap = room / h->n;
	for (i = 0; i < h->n; i++) {
		const char *f = h->v[i].file;
		size_t di = dir_len(f);
		const char *mid = f + pre;
		size_t mlen = di >= pre + suf ? di - pre - suf : 0;

		if (mlen == 0) {
			/* Same folder: the names differ (in case). */
			mid = f + di + (is_sep(f[di]) ? 1 : 0);
			mlen = strlen(mid);
		}
		put(&b, i ? ", " : " ", i ? 2 : 1);
		put(&b, h->v[i].rating_key, strlen(h->v[i].rating_key));
		/* Too many to show folders: the ratingKeys alone. */
		if (cap >= 8) {
			put(&b, " ", 1);
			put_clipped(&b, mid, mlen, cap);
		}
	}
	put(&b, hint, sizeof(hint) - 1);
	/* Where the differing parts sit, when that still fits. */
	if ((pre > 0 || suf > 0) && b.len + pre + suf + 12 <= max) {
		put(&b, " (folders ", 10);
		put(&b, file0, pre);
		put(&b, "*", 1);
		put(&b, file0 + d0 - suf, suf);
		put(&b, ")", 1);
	}
	rc = s2p_error_set(err, S2P_EPERM, "%s", b.data ? b.data : "");
	s2p_buf_free(&b);
	return rc;
}

/* The Plex path of a Stash file: "." and ".." segments resolved, then
 * path_map applied; new string. */
static char *
plex_path_of(const struct s2p_matcher *m, const char *file)
{
	char *norm = s2p_path_normalize(file);
	char *p = s2p_pathmap_apply(&m->map, norm);

	free(norm);
	return p;
}

/* Remove hit i from h. */
static void
drop_hit(struct s2p_pindex_hits *h, size_t i)
{
	free(h->v[i].rating_key);
	free(h->v[i].section_key);
	free(h->v[i].file);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(h->v[0]));
	h->n--;
}

/* Why hit h may not be a file-name candidate for the scene being matched
 * ("" when it may): another scene owns the item in the sync state, or the
 * item's file is the exact path of another Stash scene. */
static int
foreign(struct s2p_matcher *m, const struct s2p_pindex_hit *h, char *why,
    size_t len, struct s2p_error *err)
{
	int64_t owner = 0, *ids = NULL;
	size_t n = 0, i;
	char *stash_path;
	int rc;

	why[0] = '\0';
	rc = s2p_syncstate_owner(m->db, h->rating_key, m->scene_id, &owner,
	    err);
	if (rc != S2P_OK)
		return rc;
	if (owner > 0) {
		snprintf(why, len, "scene %lld is synced to it",
		    (long long)owner);
		return S2P_OK;
	}
	if (m->stash == NULL)
		return S2P_OK;
	stash_path = s2p_pathmap_reverse(&m->map, h->file);
	rc = s2p_stash_scene_ids_by_path(m->stash, stash_path, &ids, &n, err);
	for (i = 0; rc == S2P_OK && i < n && why[0] == '\0'; i++)
		if (ids[i] != m->scene_id)
			snprintf(why, len, "its file %.200s is scene %lld's",
			    stash_path, (long long)ids[i]);
	free(ids);
	free(stash_path);
	return rc;
}

/* File-name match safety: drop the hits that belong to another scene (see
 * foreign), then, when the scene's folder lies in a library section
 * (cands), the hits in other sections, unless one hit is all there is
 * anywhere (*crossed is then 1). Every drop is logged with both paths. */
static int
drop_unsafe(struct s2p_matcher *m, struct s2p_pindex_hits *h,
    const struct s2p_strv *cands, const char *stash_file, int *crossed,
    struct s2p_error *err)
{
	size_t i, inside = 0;
	char why[300];
	int rc;

	*crossed = 0;
	for (i = 0; i < h->n;) {
		rc = foreign(m, &h->v[i], why, sizeof(why), err);
		if (rc != S2P_OK)
			return rc;
		if (why[0] == '\0') {
			i++;
			continue;
		}
		s2p_warn("Scene %lld: not matching %s by file name to Plex "
			 "item "
			 "%s (%s): %s",
		    (long long)m->scene_id, stash_file, h->v[i].rating_key,
		    h->v[i].file, why);
		drop_hit(h, i);
	}
	if (cands == NULL || h->n == 0)
		return S2P_OK;
	for (i = 0; i < h->n; i++)
		inside += s2p_strv_find(cands, h->v[i].section_key) >= 0;
	if (inside == 0) {
		*crossed = h->n == 1;
		if (h->n == 1)
			return S2P_OK;
	}
	for (i = 0; i < h->n;) {
		if (s2p_strv_find(cands, h->v[i].section_key) >= 0) {
			i++;
			continue;
		}
		s2p_warn("Scene %lld: not matching %s by file name to Plex "
			 "item "
			 "%s (%s): its library section does not hold the "
			 "scene's folder",
		    (long long)m->scene_id, stash_file, h->v[i].rating_key,
		    h->v[i].file);
		drop_hit(h, i);
	}
	return S2P_OK;
}

/* The scene's file hit a later part of a stacked item: when another of
 * the scene's files is that item's first part, the scene owns the item. */
static int
owner_part(struct s2p_matcher *m, const struct s2p_strv *files,
    const struct s2p_pindex_hit *hit, const struct s2p_plex_sections *secs,
    struct s2p_match *out)
{
	size_t i, j;
	int found = 0;

	for (i = 0; i < files->n && !found; i++) {
		struct s2p_pindex_hits oh = {0};
		char *pp = plex_path_of(m, files->v[i]);
		char *k = s2p_path_key(pp);

		if (s2p_pindex_lookup(m->db, k, 0, NULL, &oh, NULL) == S2P_OK)
			for (j = 0; j < oh.n && !found; j++)
				if (oh.v[j].part_no == 0 &&
				    strcmp(oh.v[j].rating_key,
					hit->rating_key) == 0) {
					fill(out, &oh.v[j], secs, 0);
					found = 1;
				}
		s2p_pindex_hits_free(&oh);
		free(k);
		free(pp);
	}
	return found;
}

/* The keys of the sections we may use into all; S2P_EPERM when there are
 * none (plex_library names none, or Plex has no video library). */
static int
usable_sections(const struct s2p_matcher *m,
    const struct s2p_plex_sections *secs, struct s2p_strv *all,
    struct s2p_error *err)
{
	size_t i;

	for (i = 0; i < secs->n; i++)
		if (eligible(m, &secs->v[i]))
			s2p_strv_push(all, secs->v[i].key);
	if (all->n > 0)
		return S2P_OK;
	return s2p_error_set(err, S2P_EPERM,
	    m->libraries.n
		? "no Plex movie/show library matches plex_library \"%s\""
		: "Plex has no movie or show library%s",
	    m->libraries.n ? m->cfg->plex_library : "");
}

/* Exact path match, primary file first. *found is set when out was
 * filled. The same file in two sections sharing a folder: the first
 * section (lowest key) owns it, deterministically; a later part of a
 * stacked item goes to the scene that holds its first part. */
static int
find_exact(struct s2p_matcher *m, const struct s2p_strv *files,
    const struct s2p_plex_sections *secs, struct s2p_match *out, int *found,
    struct s2p_error *err)
{
	struct s2p_pindex_hits hits = {0};
	size_t i;
	int rc = S2P_OK, located;

	for (i = 0; i < files->n && hits.n == 0 && rc == S2P_OK; i++) {
		struct s2p_strv cands = {0};
		char *plex_path = plex_path_of(m, files->v[i]);
		char *key = s2p_path_key(plex_path);

		candidates(m, secs, key, &cands, &located);
		rc = exact(m, secs, &cands, key, &hits, err);
		s2p_strv_free(&cands);
		free(key);
		free(plex_path);
	}
	*found = rc == S2P_OK && hits.n > 0;
	if (*found &&
	    (hits.v[0].part_no == 0 || files->n < 2 ||
		!owner_part(m, files, &hits.v[0], secs, out)))
		fill(out, &hits.v[0], secs, 0);
	s2p_pindex_hits_free(&hits);
	return rc;
}

/* No Plex item has the file even by name: say where to look. */
static int
not_found(const struct s2p_plex_sections *secs, const char *key,
    const char *plex_path, int located, struct s2p_error *err)
{
	const char *left_out = located ? NULL : excluded_title(secs, key);

	if (located)
		return s2p_error_set(err, S2P_ENOTFOUND,
		    "no Plex item has the file %s", plex_path);
	if (left_out != NULL)
		return s2p_error_set(err, S2P_ENOTFOUND,
		    "no Plex item has the file %s (its folder belongs to Plex "
		    "library \"%s\", which plex_library leaves out)",
		    plex_path, left_out);
	return s2p_error_set(err, S2P_ENOTFOUND,
	    "no Plex item has the file %s (no Plex library folder contains "
	    "it: check path_map)",
	    plex_path);
}

/* Several items share the file name. strict_matching: refuse (S2P_EPERM),
 * naming every candidate; else take the one whose path shares the most
 * trailing folders with ours. */
static int
choose_ambiguous(struct s2p_matcher *m, const struct s2p_pindex_hits *hits,
    const char *key, const char *plex_path,
    const struct s2p_plex_sections *secs, struct s2p_match *out,
    struct s2p_error *err)
{
	size_t best = 0, i;
	int best_tail = -1;

	if (m->cfg->strict_matching) {
		struct s2p_buf b;

		/* The log gets every full path; the error (stored with the
		 * dead letter) every candidate, compactly. */
		s2p_buf_init(&b, 0);
		for (i = 0; i < hits->n; i++)
			if (s2p_buf_addf(&b, "%s%s=%s", i ? ", " : "",
				hits->v[i].rating_key,
				hits->v[i].file) != S2P_OK)
				break;
		s2p_warn("Ambiguous match for %s (strict_matching): %zu Plex "
			 "items share its file name: %s",
		    plex_path, hits->n, b.data ? b.data : "");
		s2p_buf_free(&b);
		return ambiguous_error(hits, err,
		    sizeof(((struct s2p_error *)0)->msg) - 1);
	}
	for (i = 0; i < hits->n; i++) {
		char *hk = s2p_path_key(hits->v[i].file);
		int t = common_tail(key, hk);

		if (t > best_tail) {
			best_tail = t;
			best = i;
		}
		free(hk);
	}
	s2p_warn("Ambiguous match for %s among %zu items; chose %s (%s)",
	    plex_path, hits->n, hits->v[best].rating_key, hits->v[best].file);
	fill(out, &hits->v[best], secs, 1);
	return S2P_OK;
}

/* Basename fallback over every usable section, for the primary file. */
static int
find_by_basename(struct s2p_matcher *m, const struct s2p_strv *files,
    const struct s2p_plex_sections *secs, const struct s2p_strv *all,
    struct s2p_match *out, struct s2p_error *err)
{
	struct s2p_pindex_hits hits = {0};
	struct s2p_strv cands = {0};
	char *plex_path = plex_path_of(m, files->v[0]);
	char *key = s2p_path_key(plex_path);
	char *base = s2p_path_basename_key(plex_path);
	size_t i;
	int rc = S2P_OK, located = 0, crossed = 0;

	candidates(m, secs, key, &cands, &located);
	for (i = 0; i < all->n && rc == S2P_OK; i++)
		rc = ensure_indexed(m, find_section(secs, all->v[i]), err);
	if (rc == S2P_OK)
		rc = s2p_pindex_lookup(m->db, base, 1, all, &hits, err);
	if (rc == S2P_OK) {
		dedupe_files(&hits);
		rc = drop_unsafe(m, &hits, located ? &cands : NULL, files->v[0],
		    &crossed, err);
	}
	if (rc == S2P_OK) {
		if (hits.n == 0) {
			rc = not_found(secs, key, plex_path, located, err);
		} else if (hits.n == 1) {
			s2p_warn("Scene %lld: matched %s by file name only to "
				 "Plex "
				 "item %s (%s)%s",
			    (long long)m->scene_id, files->v[0],
			    hits.v[0].rating_key, hits.v[0].file,
			    crossed ? ", in another library section (the only "
				      "candidate anywhere)"
				    : "");
			fill(out, &hits.v[0], secs, 1);
		} else {
			rc = choose_ambiguous(m, &hits, key, plex_path, secs,
			    out, err);
		}
	}
	s2p_pindex_hits_free(&hits);
	s2p_strv_free(&cands);
	free(plex_path);
	free(key);
	free(base);
	return rc;
}

int
s2p_matcher_find(struct s2p_matcher *m, const struct s2p_strv *files,
    struct s2p_match *out, struct s2p_error *err)
{
	struct s2p_plex_sections secs;
	struct s2p_strv all = {0};
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	memset(&secs, 0, sizeof(secs));
	if (files->n == 0)
		return s2p_error_set(err, S2P_EPERM, "scene has no file");
	rc = sections(m, 0, &secs, err);
	if (rc == S2P_OK)
		rc = usable_sections(m, &secs, &all, err);
	if (rc == S2P_OK)
		rc = find_exact(m, files, &secs, out, &found, err);
	if (rc == S2P_OK && !found)
		rc = find_by_basename(m, files, &secs, &all, out, err);
	s2p_plex_sections_free(&secs);
	s2p_strv_free(&all);
	return rc;
}

/* The candidates of an ambiguous_error message as a JSON array of
 * {"rating_key", "where"} ("where": the part of the folder that tells them
 * apart, "" when only keys were listed). "[]" for any other message. The
 * parser lives here, next to the one writer of that message. */
char *
s2p_dead_candidates(const char *msg)
{
	static const char hint[] = "; set path_map or turn off strict_matching";
	json_t *arr = json_array();
	const char *p, *end;
	char *s, *item, *save = NULL, *out;

	if (msg == NULL || strncmp(msg, "ambiguous match: ", 17) != 0 ||
	    (p = strstr(msg, "\": ")) == NULL ||
	    (end = strstr(p, hint)) == NULL)
		goto out;
	s = s2p_xstrndup(p + 3, (size_t)(end - p - 3));
	for (item = strtok_r(s, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		char *sp;

		while (*item == ' ')
			item++;
		sp = strchr(item, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		if (*item != '\0')
			json_array_append_new(arr,
			    json_pack("{s:s, s:s}", "rating_key", item, "where",
				sp != NULL ? sp : ""));
	}
	free(s);
out:
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}
