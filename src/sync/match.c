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
#include "sync/pindex.h"

#define SECTIONS_TTL 600.0  /* re-read the section list at most this often */
#define INCR_MIN_GAP 20.0   /* incremental refreshes per section, at most */
#define FULL_TTL 86400.0    /* re-list a section fully after a day */

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
	if (s2p_pindex_forget(m->db, rating_key, NULL) != S2P_OK)
		s2p_warn("path index: cannot forget item %s", rating_key);
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
	if (force || m->sections_at == 0 || now - m->sections_at > SECTIONS_TTL ||
	    now < m->sections_at) {
		struct s2p_plex_sections fresh;
		char buf[64];

		rc = s2p_plex_sections(m->plex, &fresh, err);
		if (rc != S2P_OK)
			return rc;
		rc = s2p_pindex_store_sections(m->db, &fresh, err);
		s2p_plex_sections_free(&fresh);
		if (rc != S2P_OK)
			return rc;
		m->sections_at = now;
		snprintf(buf, sizeof(buf), "%.3f", now);
		if (s2p_kv_put(m->db, "sections_at", buf, NULL) != S2P_OK)
			s2p_debug("cannot record the section refresh time");
	}
	return s2p_pindex_load_sections(m->db, out, err);
}

static double *
incr_slot(struct s2p_matcher *m, const char *key)
{
	long i = s2p_strv_find(&m->incr_keys, key);

	if (i < 0) {
		s2p_strv_push(&m->incr_keys, key);
		m->incr_at = s2p_xrealloc(m->incr_at,
		    m->incr_keys.n * sizeof(*m->incr_at));
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
	return s2p_pindex_full(m->db, m->plex, s->key, section_type(s), now,
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
		const struct s2p_plex_section *s = find_section(secs, cands->v[i]);
		long added = 0;

		if (now - *at < INCR_MIN_GAP)
			continue;
		*at = now;
		rc = s2p_pindex_incremental(m->db, m->plex, s->key,
		    section_type(s), &added, err);
		if (rc != S2P_OK)
			return rc;
		if (added > 0)
			s2p_info("Plex library \"%s\": %ld new item(s) indexed",
			    s->title, added);
	}
	return s2p_pindex_lookup(m->db, key, 0, cands, hits, err);
}

int
s2p_matcher_find(struct s2p_matcher *m, const struct s2p_strv *files,
    struct s2p_match *out, struct s2p_error *err)
{
	struct s2p_plex_sections secs;
	struct s2p_pindex_hits hits;
	struct s2p_strv cands, all;
	char *plex_path = NULL, *key = NULL, *base = NULL;
	size_t i;
	int rc, located = 0;

	memset(out, 0, sizeof(*out));
	memset(&secs, 0, sizeof(secs));
	memset(&hits, 0, sizeof(hits));
	memset(&cands, 0, sizeof(cands));
	memset(&all, 0, sizeof(all));
	if (files->n == 0)
		return s2p_error_set(err, S2P_EPERM, "scene has no file");
	rc = sections(m, 0, &secs, err);
	if (rc != S2P_OK)
		goto out;
	for (i = 0; i < secs.n; i++)
		if (eligible(m, &secs.v[i]))
			s2p_strv_push(&all, secs.v[i].key);
	if (all.n == 0) {
		rc = s2p_error_set(err, S2P_EPERM, m->libraries.n
			? "no Plex movie/show library matches plex_library \"%s\""
			: "Plex has no movie or show library%s",
		    m->libraries.n ? m->cfg->plex_library : "");
		goto out;
	}
	/* Exact path, primary file first. */
	for (i = 0; i < files->n && hits.n == 0; i++) {
		free(plex_path);
		free(key);
		plex_path = s2p_pathmap_apply(&m->map, files->v[i]);
		key = s2p_path_key(plex_path);
		s2p_strv_free(&cands);
		candidates(m, &secs, key, &cands, &located);
		rc = exact(m, &secs, &cands, key, &hits, err);
		if (rc != S2P_OK)
			goto out;
	}
	if (hits.n > 0) {
		/* The same file in two sections sharing a folder: the first
		 * section (lowest key) owns it, deterministically. */
		fill(out, &hits.v[0], &secs, 0);
		rc = S2P_OK;
		goto out;
	}
	/* Basename fallback over every eligible section, primary file. */
	free(plex_path);
	free(key);
	plex_path = s2p_pathmap_apply(&m->map, files->v[0]);
	key = s2p_path_key(plex_path);
	base = s2p_path_basename_key(plex_path);
	for (i = 0; i < all.n; i++) {
		rc = ensure_indexed(m, find_section(&secs, all.v[i]), err);
		if (rc != S2P_OK)
			goto out;
	}
	rc = s2p_pindex_lookup(m->db, base, 1, &all, &hits, err);
	if (rc != S2P_OK)
		goto out;
	if (hits.n == 0) {
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "no Plex item has the file %s%s", plex_path,
		    located ? "" : " (no Plex library folder contains it: "
				   "check path_map)");
		goto out;
	}
	if (hits.n == 1) {
		s2p_info("Matched %s by file name only to Plex item %s (%s)",
		    plex_path, hits.v[0].rating_key, hits.v[0].file);
		fill(out, &hits.v[0], &secs, 1);
		rc = S2P_OK;
		goto out;
	}
	if (m->cfg->strict_matching) {
		struct s2p_buf b;

		s2p_buf_init(&b, 200);
		for (i = 0; i < hits.n; i++)
			if (s2p_buf_addf(&b, "%s%s=%s", i ? ", " : "",
				hits.v[i].rating_key, hits.v[i].file) != S2P_OK)
				break;
		rc = s2p_error_set(err, S2P_EPERM,
		    "ambiguous match for %s: %zu Plex items share its file "
		    "name (%s); set path_map or turn off strict_matching",
		    plex_path, hits.n, b.data ? b.data : "");
		s2p_buf_free(&b);
		goto out;
	} else {
		size_t best = 0;
		int best_tail = -1;

		for (i = 0; i < hits.n; i++) {
			char *hk = s2p_path_key(hits.v[i].file);
			int t = common_tail(key, hk);

			if (t > best_tail) {
				best_tail = t;
				best = i;
			}
			free(hk);
		}
		s2p_warn("Ambiguous match for %s among %zu items; chose %s (%s)",
		    plex_path, hits.n, hits.v[best].rating_key,
		    hits.v[best].file);
		fill(out, &hits.v[best], &secs, 1);
		rc = S2P_OK;
	}
out:
	free(plex_path);
	free(key);
	free(base);
	s2p_plex_sections_free(&secs);
	s2p_pindex_hits_free(&hits);
	s2p_strv_free(&cands);
	s2p_strv_free(&all);
	return rc;
}
