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

int
s2p_pindex_full(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, double now, struct s2p_error *err)
{
	struct s2p_plex_page pg;
	sqlite3_stmt *ins = NULL, *del = NULL, *mark = NULL;
	long start = 0, top = 0;
	int rc, in_tx = 0;

	memset(&pg, 0, sizeof(pg));
	/* Fetch page by page, then swap the section's rows in one
	 * transaction per page (first page also deletes the old rows). */
	for (;;) {
		size_t i;

		s2p_plex_page_free(&pg);
		rc = s2p_plex_list(plex, section_key, type, NULL, NULL, start,
		    PAGE_FULL, &pg, err);
		if (rc != S2P_OK)
			goto out;
		rc = s2p_db_begin(db, err);
		if (rc != S2P_OK)
			goto out;
		in_tx = 1;
		if (start == 0) {
			rc = prep(db, "DELETE FROM plex_part WHERE section_key=?",
			    &del, err);
			if (rc != S2P_OK)
				goto out;
			sqlite3_bind_text(del, 1, section_key, -1,
			    SQLITE_STATIC);
			rc = step_done(db, del, err);
			if (rc != S2P_OK)
				goto out;
			rc = prep(db, INSERT_PART, &ins, err);
			if (rc != S2P_OK)
				goto out;
		}
		for (i = 0; i < pg.n; i++) {
			rc = insert_entry(db, ins, section_key, &pg.v[i], err);
			if (rc != S2P_OK)
				goto out;
			if (pg.v[i].updated_at > top)
				top = pg.v[i].updated_at;
		}
		rc = s2p_db_commit(db, err);
		if (rc != S2P_OK)
			goto out;
		in_tx = 0;
		start += (long)pg.n;
		if (pg.n == 0 || (pg.total >= 0 && start >= pg.total))
			break;
	}
	rc = prep(db, "UPDATE plex_section SET indexed_at=? WHERE key=?", &mark,
	    err);
	if (rc != S2P_OK)
		goto out;
	sqlite3_bind_double(mark, 1, now);
	sqlite3_bind_text(mark, 2, section_key, -1, SQLITE_STATIC);
	rc = step_done(db, mark, err);
	if (rc == S2P_OK)
		rc = mark_set(db, section_key, top, 0, err);
out:
	if (in_tx)
		s2p_db_rollback(db);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	sqlite3_finalize(mark);
	s2p_plex_page_free(&pg);
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

/* Items newest by addedAt first, until the first one already known: new
 * items (scanned files, re-added items) are all in front. Items added in
 * the same second as that known one may be listed after it, so the walk
 * goes on through its addedAt before stopping. */
static int
added_pass(struct s2p_db *db, struct s2p_plex *plex, const char *section_key,
    int type, long *added, struct s2p_error *err)
{
	struct s2p_plex_page pg;
	sqlite3_stmt *ins = NULL;
	long start = 0, stop_at = 0;
	int rc, stop = 0, seen_known = 0, in_tx = 0;

	memset(&pg, 0, sizeof(pg));
	rc = prep(db, INSERT_PART, &ins, err);
	while (rc == S2P_OK && !stop) {
		size_t i;

		s2p_plex_page_free(&pg);
		rc = s2p_plex_list(plex, section_key, type, "addedAt:desc",
		    NULL, start, PAGE_INCR, &pg, err);
		if (rc != S2P_OK)
			break;
		rc = s2p_db_begin(db, err);
		if (rc != S2P_OK)
			break;
		in_tx = 1;
		for (i = 0; i < pg.n && !stop && rc == S2P_OK; i++) {
			const struct s2p_plex_entry *e = &pg.v[i];

			if (seen_known && e->added_at < stop_at) {
				stop = 1;
			} else if (known(db, e->rating_key)) {
				/* Without an addedAt, stop right here. */
				if (!seen_known)
					stop_at = e->added_at >= 0
					    ? e->added_at
					    : LONG_MAX;
				seen_known = 1;
			} else {
				rc = insert_entry(db, ins, section_key, e, err);
				(*added)++;
			}
		}
		if (rc != S2P_OK)
			break;
		rc = s2p_db_commit(db, err);
		if (rc != S2P_OK)
			break;
		in_tx = 0;
		start += (long)pg.n;
		if (pg.n == 0 || (pg.total >= 0 && start >= pg.total))
			break;
	}
	if (in_tx)
		s2p_db_rollback(db);
	sqlite3_finalize(ins);
	s2p_plex_page_free(&pg);
	return rc;
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

/* Items newest by updatedAt first, down to the mark: an item whose files
 * changed (moved or renamed in Plex, a part added) keeps its ratingKey and
 * addedAt, so only this order shows it. Changed items are re-indexed. */
static int
updated_pass(struct s2p_db *db, struct s2p_plex *plex, const char *section_key,
    int type, long *changed, struct s2p_error *err)
{
	struct s2p_plex_page pg;
	sqlite3_stmt *ins = NULL, *del = NULL;
	long start = 0, mark = mark_get(db, section_key), top = mark;
	int rc, stop = 0, in_tx = 0;

	if (mark <= 0)
		return S2P_OK;
	memset(&pg, 0, sizeof(pg));
	rc = prep(db, INSERT_PART, &ins, err);
	if (rc == S2P_OK)
		rc = prep(db, "DELETE FROM plex_part WHERE rating_key=?", &del,
		    err);
	while (rc == S2P_OK && !stop) {
		size_t i;

		s2p_plex_page_free(&pg);
		rc = s2p_plex_list(plex, section_key, type, "updatedAt:desc",
		    NULL, start, PAGE_INCR, &pg, err);
		if (rc != S2P_OK)
			break;
		rc = s2p_db_begin(db, err);
		if (rc != S2P_OK)
			break;
		in_tx = 1;
		for (i = 0; i < pg.n && !stop && rc == S2P_OK; i++) {
			const struct s2p_plex_entry *e = &pg.v[i];

			if (e->updated_at < mark) {
				stop = 1;
				continue;
			}
			if (e->updated_at > top)
				top = e->updated_at;
			if (same_files(db, section_key, e))
				continue;
			sqlite3_reset(del);
			sqlite3_bind_text(del, 1, e->rating_key, -1,
			    SQLITE_STATIC);
			rc = step_done(db, del, err);
			if (rc == S2P_OK)
				rc = insert_entry(db, ins, section_key, e, err);
			(*changed)++;
		}
		if (rc != S2P_OK)
			break;
		rc = s2p_db_commit(db, err);
		if (rc != S2P_OK)
			break;
		in_tx = 0;
		start += (long)pg.n;
		if (pg.n == 0 || (pg.total >= 0 && start >= pg.total))
			break;
	}
	if (in_tx)
		s2p_db_rollback(db);
	if (rc == S2P_OK)
		rc = mark_set(db, section_key, top, 1, err);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	s2p_plex_page_free(&pg);
	return rc;
}

int
s2p_pindex_incremental(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, long *added_out, struct s2p_error *err)
{
	long added = 0, changed = 0;
	int rc;

	rc = added_pass(db, plex, section_key, type, &added, err);
	if (rc == S2P_OK)
		rc = updated_pass(db, plex, section_key, type, &changed, err);
	if (added_out != NULL)
		*added_out = added + changed;
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
