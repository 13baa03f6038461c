/*
 * pindex.c - the SQLite-backed Plex path index (see pindex.h).
 */
#include "pindex.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "sync/pathmap.h"

#define PAGE_FULL 500
#define PAGE_INCR 100
/* Counter-table row (store/db.c) holding a section's updatedAt mark. */
#define MARK_PREFIX "pindex_updated_at:"

/* Prepare sql on db or report S2P_EIO. */
static int
prep(struct s2p_db *db, const char *sql, sqlite3_stmt **st,
    struct s2p_error *err)
{
	sqlite3 *h = s2p_db_handle(db);

	if (sqlite3_prepare_v2(h, sql, -1, st, NULL) != SQLITE_OK)
		return s2p_error_set(err, S2P_EIO, "path index: %s",
		    sqlite3_errmsg(h));
	return S2P_OK;
}

static int
step_done(struct s2p_db *db, sqlite3_stmt *st, struct s2p_error *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return s2p_error_set(err, S2P_EIO, "path index: %s",
		    sqlite3_errmsg(s2p_db_handle(db)));
	return S2P_OK;
}

/* The newest updatedAt seen for a section, kept as a counter row (0 when
 * the section was never listed fully since this mark exists). */
static long
mark_get(struct s2p_db *db, const char *section_key)
{
	char *name = s2p_xasprintf(MARK_PREFIX "%s", section_key);
	int64_t v = 0;

	if (s2p_db_counter_get(db, name, &v, NULL) != S2P_OK)
		v = 0;
	free(name);
	return (long)v;
}

/* Store t as the mark (raise: only when it is newer). */
static int
mark_set(struct s2p_db *db, const char *section_key, long t, int raise,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	char *name;
	int rc;

	if (t <= 0)
		return S2P_OK;
	rc = prep(db, raise
		? "INSERT INTO counter(name,value) VALUES(?,?) ON CONFLICT(name)"
		  " DO UPDATE SET value=max(value, excluded.value)"
		: "INSERT INTO counter(name,value) VALUES(?,?) ON CONFLICT(name)"
		  " DO UPDATE SET value=excluded.value",
	    &st, err);
	if (rc != S2P_OK)
		return rc;
	name = s2p_xasprintf(MARK_PREFIX "%s", section_key);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	free(name);
	rc = step_done(db, st, err);
	sqlite3_finalize(st);
	return rc;
}

int
s2p_pindex_store_sections(struct s2p_db *db,
    const struct s2p_plex_sections *secs, struct s2p_error *err)
{
	sqlite3_stmt *ins = NULL, *keep = NULL;
	size_t i, j;
	int rc;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = prep(db,
	    "INSERT INTO plex_section(key,title,type,locations) VALUES(?,?,?,?)"
	    " ON CONFLICT(key) DO UPDATE SET title=excluded.title,"
	    " type=excluded.type, indexed_at=CASE WHEN"
	    " locations=excluded.locations THEN indexed_at ELSE 0 END,"
	    " locations=excluded.locations", &ins, err);
	if (rc != S2P_OK)
		goto out;
	rc = s2p_db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS seen(key TEXT);"
	    "DELETE FROM seen;", err);
	if (rc != S2P_OK)
		goto out;
	rc = prep(db, "INSERT INTO seen(key) VALUES(?)", &keep, err);
	if (rc != S2P_OK)
		goto out;
	for (i = 0; i < secs->n; i++) {
		const struct s2p_plex_section *s = &secs->v[i];
		json_t *locs = json_array();
		char *locs_text;

		for (j = 0; j < s->locations.n; j++)
			json_array_append_new(locs,
			    json_string(s->locations.v[j]));
		locs_text = json_dumps(locs, JSON_COMPACT);
		json_decref(locs);
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, s->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, s->title ? s->title : "", -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, s->type ? s->type : "", -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, locs_text, -1, SQLITE_TRANSIENT);
		free(locs_text);
		rc = step_done(db, ins, err);
		if (rc != S2P_OK)
			goto out;
		sqlite3_reset(keep);
		sqlite3_bind_text(keep, 1, s->key, -1, SQLITE_STATIC);
		rc = step_done(db, keep, err);
		if (rc != S2P_OK)
			goto out;
	}
	rc = s2p_db_exec(db,
	    "DELETE FROM plex_part WHERE section_key NOT IN (SELECT key FROM seen);"
	    "DELETE FROM plex_section WHERE key NOT IN (SELECT key FROM seen);",
	    err);
	if (rc != S2P_OK)
		goto out;
	rc = s2p_db_commit(db, err);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(keep);
	if (rc != S2P_OK)
		s2p_db_rollback(db);
	return rc;
}

int
s2p_pindex_load_sections(struct s2p_db *db, struct s2p_plex_sections *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = prep(db, "SELECT key,title,type,locations FROM plex_section"
	    " ORDER BY key", &st, err);
	if (rc != S2P_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct s2p_plex_section *s;
		json_t *locs;
		size_t i;

		out->v = s2p_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		s = &out->v[out->n++];
		memset(s, 0, sizeof(*s));
		s->key = s2p_xstrdup((const char *)sqlite3_column_text(st, 0));
		s->title = s2p_xstrdup((const char *)sqlite3_column_text(st, 1));
		s->type = s2p_xstrdup((const char *)sqlite3_column_text(st, 2));
		locs = json_loads((const char *)sqlite3_column_text(st, 3), 0,
		    NULL);
		for (i = 0; locs && i < json_array_size(locs); i++) {
			const char *l = json_string_value(json_array_get(locs, i));

			if (l != NULL)
				s2p_strv_push(&s->locations, l);
		}
		json_decref(locs);
	}
	rc = rc == SQLITE_DONE ? S2P_OK
			       : s2p_error_set(err, S2P_EIO, "path index: %s",
				     sqlite3_errmsg(s2p_db_handle(db)));
	sqlite3_finalize(st);
	return rc;
}

double
s2p_pindex_indexed_at(struct s2p_db *db, const char *section_key)
{
	sqlite3_stmt *st = NULL;
	double t = 0;

	if (prep(db, "SELECT indexed_at FROM plex_section WHERE key=?", &st,
		NULL) != S2P_OK)
		return 0;
	sqlite3_bind_text(st, 1, section_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return t;
}

/* Insert every file of one listed entry. */
static int
insert_entry(struct s2p_db *db, sqlite3_stmt *ins, const char *section_key,
    const struct s2p_plex_entry *e, struct s2p_error *err)
{
	size_t i;

	for (i = 0; i < e->files.n; i++) {
		char *key = s2p_path_key(e->files.v[i]);
		char *base = s2p_path_basename_key(e->files.v[i]);
		int rc;

		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, e->files.v[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, base, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 4, e->rating_key, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, section_key, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 6, (int)i);
		free(key);
		free(base);
		rc = step_done(db, ins, err);
		if (rc != S2P_OK)
			return rc;
	}
	return S2P_OK;
}

#define INSERT_PART \
	"INSERT OR REPLACE INTO plex_part(file_key,file,base_key,rating_key," \
	"section_key,part_no) VALUES(?,?,?,?,?,?)"

/* Called by walk() with each listed entry, and with e == NULL when a page
 * (starting at item `start`) begins. Sets *stop to end the walk early. */
typedef int (*entry_fn)(struct s2p_db *db, const struct s2p_plex_entry *e,
    long start, int *stop, void *payload, struct s2p_error *err);

/* Page through a section's listing in the given sort order (NULL: Plex's
 * own), one transaction per page, handing each entry to fn until fn stops
 * the walk or the listing ends. A page is fetched before its transaction
 * begins, so a failed request leaves the index as it was. */
static int
walk(struct s2p_db *db, struct s2p_plex *plex, const char *section_key,
    int type, const char *sort, long page_size, entry_fn fn, void *payload,
    struct s2p_error *err)
{
	struct s2p_plex_page pg;
	long start = 0;
	int rc, stop = 0;

	memset(&pg, 0, sizeof(pg));
	for (;;) {
		size_t i;

		s2p_plex_page_free(&pg);
		rc = s2p_plex_list(plex, section_key, type, sort, NULL, start,
		    page_size, &pg, err);
		if (rc != S2P_OK)
			break;
		rc = s2p_db_begin(db, err);
		if (rc != S2P_OK)
			break;
		rc = fn(db, NULL, start, &stop, payload, err);
		for (i = 0; i < pg.n && !stop && rc == S2P_OK; i++)
			rc = fn(db, &pg.v[i], start, &stop, payload, err);
		if (rc == S2P_OK)
			rc = s2p_db_commit(db, err);
		if (rc != S2P_OK) {
			s2p_db_rollback(db);
			break;
		}
		start += (long)pg.n;
		if (stop || pg.n == 0 || (pg.total >= 0 && start >= pg.total))
			break;
	}
	s2p_plex_page_free(&pg);
	return rc;
}

/* State of one listing pass. */
struct pass {
	const char *section_key;
	sqlite3_stmt *ins;  /* INSERT_PART */
	sqlite3_stmt *del;  /* pass-specific DELETE */
	long count;         /* incremental passes: entries (re)indexed */
	long top;           /* newest updatedAt seen */
	long mark;          /* updated pass: where to stop */
	long stop_at;       /* added pass: addedAt of the first known item */
	int seen_known;     /* added pass */
};

/* Full pass: the first page's transaction also drops the section's old
 * rows, so the swap is atomic per page. */
static int
full_entry(struct s2p_db *db, const struct s2p_plex_entry *e, long start,
    int *stop, void *payload, struct s2p_error *err)
{
	struct pass *p = payload;

	(void)stop;
	if (e == NULL)
		return start == 0 ? step_done(db, p->del, err) : S2P_OK;
	if (e->updated_at > p->top)
		p->top = e->updated_at;
	return insert_entry(db, p->ins, p->section_key, e, err);
}

int
s2p_pindex_full(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, double now, struct s2p_error *err)
{
	struct pass p;
	sqlite3_stmt *mark = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	p.section_key = section_key;
	rc = prep(db, INSERT_PART, &p.ins, err);
	if (rc == S2P_OK)
		rc = prep(db, "DELETE FROM plex_part WHERE section_key=?", &p.del,
		    err);
	if (rc == S2P_OK) {
		sqlite3_bind_text(p.del, 1, section_key, -1, SQLITE_STATIC);
		rc = walk(db, plex, section_key, type, NULL, PAGE_FULL,
		    full_entry, &p, err);
	}
	if (rc == S2P_OK)
		rc = prep(db, "UPDATE plex_section SET indexed_at=? WHERE key=?",
		    &mark, err);
	if (rc == S2P_OK) {
		sqlite3_bind_double(mark, 1, now);
		sqlite3_bind_text(mark, 2, section_key, -1, SQLITE_STATIC);
		rc = step_done(db, mark, err);
	}
	if (rc == S2P_OK)
		rc = mark_set(db, section_key, p.top, 0, err);
	sqlite3_finalize(p.ins);
	sqlite3_finalize(p.del);
	sqlite3_finalize(mark);
	return rc;
}

/* Lowest section key first, numerically ("2" before "10"), as Plex keys are
 * numbers; then the item, the same way. */
#define HIT_ORDER \
	" ORDER BY CAST(section_key AS INTEGER), section_key," \
	" CAST(rating_key AS INTEGER), rating_key, part_no"

/* 1 when rating_key is already in the index. */
static int
known(struct s2p_db *db, const char *rating_key)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (prep(db, "SELECT 1 FROM plex_part WHERE rating_key=? LIMIT 1", &st,
		NULL) != S2P_OK)
		return 0;
	sqlite3_bind_text(st, 1, rating_key, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Added pass: items newest by addedAt first, until the first one already
 * known: new items (scanned files, re-added items) are all in front. Items
 * added in the same second as that known one may be listed after it, so
 * the walk goes on through its addedAt before stopping. */
static int
added_entry(struct s2p_db *db, const struct s2p_plex_entry *e, long start,
    int *stop, void *payload, struct s2p_error *err)
{
	struct pass *p = payload;

	(void)start;
	if (e == NULL)
		return S2P_OK;
	if (p->seen_known && e->added_at < p->stop_at) {
		*stop = 1;
		return S2P_OK;
	}
	if (known(db, e->rating_key)) {
		/* Without an addedAt, stop right here. */
		if (!p->seen_known)
			p->stop_at = e->added_at >= 0 ? e->added_at : LONG_MAX;
		p->seen_known = 1;
		return S2P_OK;
	}
	p->count++;
	return insert_entry(db, p->ins, p->section_key, e, err);
}

/* 1 when the index holds exactly e's files, in order, in this section. */
static int
same_files(struct s2p_db *db, const char *section_key,
    const struct s2p_plex_entry *e)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int same = 1;

	if (prep(db, "SELECT file FROM plex_part WHERE rating_key=? AND"
		     " section_key=? ORDER BY part_no", &st, NULL) != S2P_OK)
		return 0;
	sqlite3_bind_text(st, 1, e->rating_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, section_key, -1, SQLITE_STATIC);
	while (same && sqlite3_step(st) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 0);

		same = n < e->files.n && strcmp(f, e->files.v[n]) == 0;
		n++;
	}
	sqlite3_finalize(st);
	return same && n == e->files.n;
}

/* Updated pass: items newest by updatedAt first, down to the mark: an item
 * whose files changed (moved or renamed in Plex, a part added) keeps its
 * ratingKey and addedAt, so only this order shows it. Changed items are
 * re-indexed. */
static int
updated_entry(struct s2p_db *db, const struct s2p_plex_entry *e, long start,
    int *stop, void *payload, struct s2p_error *err)
{
	struct pass *p = payload;
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
	if (same_files(db, p->section_key, e))
		return S2P_OK;
	sqlite3_reset(p->del);
	sqlite3_bind_text(p->del, 1, e->rating_key, -1, SQLITE_STATIC);
	rc = step_done(db, p->del, err);
	if (rc == S2P_OK)
		rc = insert_entry(db, p->ins, p->section_key, e, err);
	p->count++;
	return rc;
}

int
s2p_pindex_incremental(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, long *added_out, struct s2p_error *err)
{
	struct pass add, upd;
	int rc;

	memset(&add, 0, sizeof(add));
	memset(&upd, 0, sizeof(upd));
	add.section_key = upd.section_key = section_key;
	upd.mark = upd.top = mark_get(db, section_key);
	rc = prep(db, INSERT_PART, &add.ins, err);
	if (rc == S2P_OK)
		rc = walk(db, plex, section_key, type, "addedAt:desc", PAGE_INCR,
		    added_entry, &add, err);
	if (rc == S2P_OK && upd.mark > 0) {
		upd.ins = add.ins;
		rc = prep(db, "DELETE FROM plex_part WHERE rating_key=?",
		    &upd.del, err);
		if (rc == S2P_OK)
			rc = walk(db, plex, section_key, type, "updatedAt:desc",
			    PAGE_INCR, updated_entry, &upd, err);
		if (rc == S2P_OK)
			rc = mark_set(db, section_key, upd.top, 1, err);
	}
	sqlite3_finalize(add.ins);
	sqlite3_finalize(upd.del);
	if (added_out != NULL)
		*added_out = add.count + upd.count;
	return rc;
}

int
s2p_pindex_lookup(struct s2p_db *db, const char *key, int base,
    const struct s2p_strv *sections, struct s2p_pindex_hits *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = prep(db, base
		? "SELECT rating_key,section_key,file,part_no FROM plex_part"
		  " WHERE base_key=?" HIT_ORDER
		: "SELECT rating_key,section_key,file,part_no FROM plex_part"
		  " WHERE file_key=?" HIT_ORDER,
	    &st, err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sec = (const char *)sqlite3_column_text(st, 1);
		struct s2p_pindex_hit *h;

		if (sections != NULL && s2p_strv_find(sections, sec) < 0)
			continue;
		out->v = s2p_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		h = &out->v[out->n++];
		h->rating_key =
		    s2p_xstrdup((const char *)sqlite3_column_text(st, 0));
		h->section_key = s2p_xstrdup(sec);
		h->file = s2p_xstrdup((const char *)sqlite3_column_text(st, 2));
		h->part_no = sqlite3_column_int(st, 3);
	}
	rc = rc == SQLITE_DONE ? S2P_OK
			       : s2p_error_set(err, S2P_EIO, "path index: %s",
				     sqlite3_errmsg(s2p_db_handle(db)));
	sqlite3_finalize(st);
	return rc;
}

int
s2p_pindex_forget(struct s2p_db *db, const char *rating_key,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prep(db, "DELETE FROM plex_part WHERE rating_key=?", &st, err);

	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, rating_key, -1, SQLITE_STATIC);
	rc = step_done(db, st, err);
	sqlite3_finalize(st);
	return rc;
}

void
s2p_pindex_hits_free(struct s2p_pindex_hits *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].rating_key);
		free(h->v[i].section_key);
		free(h->v[i].file);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}
