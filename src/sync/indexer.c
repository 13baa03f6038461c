/*
 * indexer.c - listing passes that fill the Plex path index (see indexer.h).
 * Each page of a listing is written in its own transaction, after the page
 * was fetched, so a failed request leaves the index as it was.
 */
#include "indexer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "sync/pathmap.h"

#define PAGE_FULL 500
#define PAGE_INCR 100

int
s2p_indexer_store_sections(struct s2p_db *db,
    const struct s2p_plex_sections *secs, struct s2p_error *err)
{
	struct s2p_pindex_section *v;
	size_t i;
	int rc;

	v = s2p_xreallocarray(NULL, secs->n, sizeof(*v));
	for (i = 0; i < secs->n; i++) {
		v[i].key = secs->v[i].key;
		v[i].title = secs->v[i].title;
		v[i].type = secs->v[i].type;
		v[i].locations = &secs->v[i].locations;
	}
	rc = s2p_pindex_put_sections(db, v, secs->n, err);
	free(v);
	return rc;
}

/* s2p_pindex_section_fn: append a stored section to a plex section list. */
static void
add_section(const struct s2p_pindex_section *s, struct s2p_strv *locations,
    void *arg)
{
	struct s2p_plex_sections *out = arg;
	struct s2p_plex_section *d;

	out->v = s2p_xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	d = &out->v[out->n++];
	d->key = s2p_xstrdup(s->key);
	d->title = s2p_xstrdup(s->title);
	d->type = s2p_xstrdup(s->type);
	d->locations = *locations;
}

int
s2p_indexer_load_sections(struct s2p_db *db, struct s2p_plex_sections *out,
    struct s2p_error *err)
{
	memset(out, 0, sizeof(*out));
	return s2p_pindex_get_sections(db, add_section, out, err);
}

/* Index every file of one listed entry. A file whose path was not valid
 * UTF-8 is stored under keys no lookup ever asks for (a 0xFF byte, which
 * the UTF-8 keys of Stash's paths never hold): the item
 * is known (an incremental pass stops at it, so the warning comes once per
 * listing) but nothing matches it exactly or by name. */
static int
insert_entry(struct s2p_pindex_writer *w, const char *section_key,
    const struct s2p_plex_entry *e, struct s2p_error *err)
{
	struct s2p_pindex_part p;
	size_t i;
	int rc = S2P_OK;

	p.rating_key = e->rating_key;
	p.section_key = section_key;
	for (i = 0; i < e->files.n && rc == S2P_OK; i++) {
		int bad = e->file_bad != NULL && e->file_bad[i];
		char *key = bad ? s2p_xasprintf("\xFF%zu", i)
				: s2p_path_key(e->files.v[i]);
		char *base = bad ? s2p_xasprintf("\xFF%zu", i)
				 : s2p_path_basename_key(e->files.v[i]);

		if (bad)
			s2p_warn("Plex item %s (\"%.80s\"): its file path is "
				 "not valid UTF-8 (%s); no scene is matched "
				 "to it (rename the file as UTF-8 and let Plex "
				 "rescan)",
			    e->rating_key, e->title ? e->title : "",
			    e->files.v[i]);
		p.file = e->files.v[i];
		p.file_key = key;
		p.base_key = base;
		p.part_no = (int)i;
		rc = s2p_pindex_writer_put(w, &p, err);
		free(key);
		free(base);
	}
	return rc;
}

/* State of one listing pass. */
struct pass {
	struct s2p_db *db;
	struct s2p_pindex_writer *w;
	const char *section_key;
	long count;     /* incremental passes: entries (re)indexed */
	long top;       /* newest updatedAt seen */
	long mark;      /* updated pass: where to stop */
	long stop_at;   /* added pass: addedAt of the first known item */
	int seen_known; /* added pass */
};

/* Called by walk() with each listed entry, and with e == NULL when a page
 * (starting at item `start`) begins. Sets *stop to end the walk early. */
typedef int (*entry_fn)(struct pass *p, const struct s2p_plex_entry *e,
    long start, int *stop, struct s2p_error *err);

/* Page through a section's listing in the given sort order (NULL: Plex's
 * own), one transaction per page, handing each entry to fn until fn stops
 * the walk or the listing ends. */
static int
walk(struct pass *p, struct s2p_plex *plex, int type, const char *sort,
    long page_size, entry_fn fn, struct s2p_error *err)
{
	struct s2p_plex_page pg;
	long start = 0;
	int rc, stop = 0;

	memset(&pg, 0, sizeof(pg));
	for (;;) {
		size_t i;

		s2p_plex_page_free(&pg);
		rc = s2p_plex_list(plex, p->section_key, type, sort, NULL,
		    start, page_size, &pg, err);
		if (rc != S2P_OK)
			break;
		rc = s2p_db_begin(p->db, err);
		if (rc != S2P_OK)
			break;
		rc = fn(p, NULL, start, &stop, err);
		for (i = 0; i < pg.n && !stop && rc == S2P_OK; i++)
			rc = fn(p, &pg.v[i], start, &stop, err);
		rc = s2p_db_tx_end(p->db, rc, err);
		if (rc != S2P_OK)
			break;
		start += (long)pg.n;
		if (stop || pg.n == 0 || (pg.total >= 0 && start >= pg.total))
			break;
	}
	s2p_plex_page_free(&pg);
	return rc;
}

/* Full pass: the first page's transaction also drops the section's old
 * rows, so the swap is atomic per page. */
static int
full_entry(struct pass *p, const struct s2p_plex_entry *e, long start,
    int *stop, struct s2p_error *err)
{
	(void)stop;
	if (e == NULL)
		return start == 0
		    ? s2p_pindex_writer_drop_section(p->w, p->section_key, err)
		    : S2P_OK;
	if (e->updated_at > p->top)
		p->top = e->updated_at;
	return insert_entry(p->w, p->section_key, e, err);
}

int
s2p_indexer_full(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, double now, struct s2p_error *err)
{
	struct pass p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.db = db;
	p.section_key = section_key;
	rc = s2p_pindex_writer_open(db, &p.w, err);
	if (rc == S2P_OK)
		rc = walk(&p, plex, type, NULL, PAGE_FULL, full_entry, err);
	if (rc == S2P_OK)
		rc = s2p_pindex_set_indexed_at(db, section_key, now, err);
	if (rc == S2P_OK)
		rc = s2p_pindex_set_mark(db, section_key, p.top, 0, err);
	s2p_pindex_writer_close(p.w);
	return rc;
}

/* Added pass: items newest by addedAt first, until the first one already
 * known: new items (scanned files, re-added items) are all in front. Items
 * added in the same second as that known one may be listed after it, so
 * the walk goes on through its addedAt before stopping. */
static int
added_entry(struct pass *p, const struct s2p_plex_entry *e, long start,
    int *stop, struct s2p_error *err)
{
	(void)start;
	if (e == NULL)
		return S2P_OK;
	if (p->seen_known && e->added_at < p->stop_at) {
		*stop = 1;
		return S2P_OK;
	}
	if (s2p_pindex_known(p->db, e->rating_key)) {
		/* Without an addedAt, stop right here. */
		if (!p->seen_known)
			p->stop_at = e->added_at >= 0 ? e->added_at : LONG_MAX;
		p->seen_known = 1;
		return S2P_OK;
	}
	p->count++;
	return insert_entry(p->w, p->section_key, e, err);
}

/* Updated pass: items newest by updatedAt first, down to the mark: an item
 * whose files changed (moved or renamed in Plex, a part added) keeps its
 * ratingKey and addedAt, so only this order shows it. Changed items are
 * re-indexed. */
static int
updated_entry(struct pass *p, const struct s2p_plex_entry *e, long start,
    int *stop, struct s2p_error *err)
{
	int rc;

	(void)start;
	if (e == NULL)
		return S2P_OK;
	if (e->updated_at < p->mark) {
		*stop = 1;
		return S2P_OK;
	}
	if (e->updated_at > p->top)
		p->top = e->updated_at;
	if (s2p_pindex_same_files(p->db, p->section_key, e->rating_key,
		&e->files))
		return S2P_OK;
	rc = s2p_pindex_writer_drop_item(p->w, e->rating_key, err);
	if (rc == S2P_OK)
		rc = insert_entry(p->w, p->section_key, e, err);
	p->count++;
	return rc;
}

/* A sort on field for the listed type, prefixed with the type as PMS
 * wants it in a show section ("episode.addedAt:desc"; python-plexapi
 * always prefixes). */
static void
typed_sort(char *out, size_t len, int type, const char *field)
{
	snprintf(out, len, "%s.%s", type == 4 ? "episode" : "movie", field);
}

int
s2p_indexer_incremental(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, long *added_out, struct s2p_error *err)
{
	struct pass add, upd;
	char sort[64];
	int rc;

	memset(&add, 0, sizeof(add));
	memset(&upd, 0, sizeof(upd));
	add.db = upd.db = db;
	add.section_key = upd.section_key = section_key;
	upd.mark = upd.top = s2p_pindex_mark(db, section_key);
	rc = s2p_pindex_writer_open(db, &add.w, err);
	typed_sort(sort, sizeof(sort), type, "addedAt:desc");
	if (rc == S2P_OK)
		rc = walk(&add, plex, type, sort, PAGE_INCR, added_entry, err);
	if (rc == S2P_OK && upd.mark > 0) {
		upd.w = add.w;
		typed_sort(sort, sizeof(sort), type, "updatedAt:desc");
		rc = walk(&upd, plex, type, sort, PAGE_INCR, updated_entry,
		    err);
		if (rc == S2P_OK)
			rc = s2p_pindex_set_mark(db, section_key, upd.top, 1,
			    err);
	}
	s2p_pindex_writer_close(add.w);
	if (added_out != NULL)
		*added_out = add.count + upd.count;
	return rc;
}
