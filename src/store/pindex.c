/*
 * pindex.c - the stored Plex path index (see pindex.h): tables plex_section
 * and plex_part, and the per-section updatedAt marks kept in kv.
 */
#include "pindex.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* kv key prefix of a section's updatedAt mark. */
#define MARK_PREFIX "pindex_updated_at:"

/* Lowest section key first, numerically ("2" before "10"), as Plex keys are
 * numbers; then the item, the same way. */
#define HIT_ORDER                                                              \
	" ORDER BY CAST(section_key AS INTEGER), section_key,"                 \
	" CAST(rating_key AS INTEGER), rating_key, part_no"

struct s2p_pindex_writer {
	struct s2p_db *db;
	sqlite3_stmt *ins;
	sqlite3_stmt *drop_item;
	sqlite3_stmt *drop_section;
};

/* Prepare sql and bind text parameters a and b (NULL: not bound). */
static int
prep2(struct s2p_db *db, sqlite3_stmt **st, const char *sql, const char *a,
    const char *b, struct s2p_error *err)
{
	int rc = s2p_db_prepare(db, st, sql, err);

	if (rc != S2P_OK)
		return rc;
	if (a != NULL)
		sqlite3_bind_text(*st, 1, a, -1, SQLITE_TRANSIENT);
	if (b != NULL)
		sqlite3_bind_text(*st, 2, b, -1, SQLITE_TRANSIENT);
	return S2P_OK;
}

/* Run sql with text parameters a and b to completion. */
static int
run2(struct s2p_db *db, const char *sql, const char *a, const char *b,
    const char *what, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prep2(db, &st, sql, a, b, err);

	if (rc == S2P_OK)
		rc = s2p_db_step_done(db, st, what, err);
	s2p_db_finalize(st);
	return rc;
}

/* Prepare a one-row query with text parameters a and b and step it: 1
 * when it gave a row (read it from *st), else 0. *st is finalized by the
 * caller either way. */
static int
row1(struct s2p_db *db, sqlite3_stmt **st, const char *sql, const char *a,
    const char *b)
{
	return prep2(db, st, sql, a, b, NULL) == S2P_OK &&
	    sqlite3_step(*st) == SQLITE_ROW;
}

/* Upsert one section and note it as seen (inside the caller's
 * transaction). */
static int
put_section(struct s2p_db *db, sqlite3_stmt *ins, sqlite3_stmt *keep,
    const struct s2p_pindex_section *s, struct s2p_error *err)
{
	json_t *locs = json_array();
	char *locs_text;
	size_t j;
	int rc;

	for (j = 0; j < s->locations->n; j++)
		json_array_append_new(locs, json_string(s->locations->v[j]));
	locs_text = json_dumps(locs, JSON_COMPACT);
	json_decref(locs);
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, s->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, s->title ? s->title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, s->type ? s->type : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, locs_text, -1, SQLITE_TRANSIENT);
	free(locs_text);
	rc = s2p_db_step_done(db, ins, "store section", err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_reset(keep);
	sqlite3_bind_text(keep, 1, s->key, -1, SQLITE_STATIC);
	return s2p_db_step_done(db, keep, "store section", err);
}

int
s2p_pindex_put_sections(struct s2p_db *db, const struct s2p_pindex_section *v,
    size_t n, struct s2p_error *err)
{
	sqlite3_stmt *ins = NULL, *keep = NULL;
	size_t i;
	int rc;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = s2p_db_prepare(db, &ins,
	    "INSERT INTO plex_section(key,title,type,locations) VALUES(?,?,?,?)"
	    " ON CONFLICT(key) DO UPDATE SET title=excluded.title,"
	    " type=excluded.type, indexed_at=CASE WHEN"
	    " locations=excluded.locations THEN indexed_at ELSE 0 END,"
	    " locations=excluded.locations",
	    err);
	if (rc == S2P_OK)
		rc = s2p_db_exec(db,
		    "CREATE TEMP TABLE IF NOT EXISTS seen(key TEXT);"
		    "DELETE FROM seen;",
		    err);
	if (rc == S2P_OK)
		rc = s2p_db_prepare(db, &keep,
		    "INSERT INTO seen(key) VALUES(?)", err);
	for (i = 0; i < n && rc == S2P_OK; i++)
		rc = put_section(db, ins, keep, &v[i], err);
	if (rc == S2P_OK)
		rc = s2p_db_exec(db,
		    "DELETE FROM plex_part WHERE section_key NOT IN"
		    " (SELECT key FROM seen);"
		    "DELETE FROM plex_section WHERE key NOT IN"
		    " (SELECT key FROM seen);",
		    err);
	s2p_db_finalize(ins);
	s2p_db_finalize(keep);
	return s2p_db_tx_end(db, rc, err);
}

int
s2p_pindex_get_sections(struct s2p_db *db, s2p_pindex_section_fn fn, void *arg,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st,
	    "SELECT key,title,type,locations"
	    " FROM plex_section ORDER BY key",
	    err);
	if (rc != S2P_OK)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct s2p_pindex_section s;
		struct s2p_strv locations = {0};
		json_t *locs;
		size_t i;

		s.key = (const char *)sqlite3_column_text(st, 0);
		s.title = (const char *)sqlite3_column_text(st, 1);
		s.type = (const char *)sqlite3_column_text(st, 2);
		s.locations = &locations;
		locs = json_loads((const char *)sqlite3_column_text(st, 3), 0,
		    NULL);
		for (i = 0; locs && i < json_array_size(locs); i++) {
			const char *l = json_string_value(
			    json_array_get(locs, i));

			if (l != NULL)
				s2p_strv_push(&locations, l);
		}
		json_decref(locs);
		fn(&s, &locations, arg);
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "read sections", err);
	s2p_db_finalize(st);
	return rc;
}

double
s2p_pindex_indexed_at(struct s2p_db *db, const char *section_key)
{
	sqlite3_stmt *st = NULL;
	double t = 0;

	if (row1(db, &st, "SELECT indexed_at FROM plex_section WHERE key=?",
		section_key, NULL))
		t = sqlite3_column_double(st, 0);
	s2p_db_finalize(st);
	return t;
}

int
s2p_pindex_set_indexed_at(struct s2p_db *db, const char *section_key, double t,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prep2(db, &st,
	    "UPDATE plex_section SET indexed_at=?2"
	    " WHERE key=?1",
	    section_key, NULL, err);

	if (rc == S2P_OK) {
		sqlite3_bind_double(st, 2, t);
		rc = s2p_db_step_done(db, st, "mark section indexed", err);
	}
	s2p_db_finalize(st);
	return rc;
}

long
s2p_pindex_mark(struct s2p_db *db, const char *section_key)
{
	char *name = s2p_xasprintf(MARK_PREFIX "%s", section_key);
	sqlite3_stmt *st = NULL;
	long v = 0;

	if (row1(db, &st, "SELECT CAST(value AS INTEGER) FROM kv WHERE key=?",
		name, NULL))
		v = (long)sqlite3_column_int64(st, 0);
	s2p_db_finalize(st);
	free(name);
	return v;
}

int
s2p_pindex_set_mark(struct s2p_db *db, const char *section_key, long t,
    int raise, struct s2p_error *err)
{
	char *name, value[32];
	int rc;

	if (t <= 0)
		return S2P_OK;
	name = s2p_xasprintf(MARK_PREFIX "%s", section_key);
	snprintf(value, sizeof(value), "%ld", t);
	rc = run2(db,
	    raise ? "INSERT INTO kv(key,value) VALUES(?1,?2) ON CONFLICT(key)"
		    " DO UPDATE SET value=excluded.value WHERE"
		    " CAST(excluded.value AS INTEGER) > CAST(value AS INTEGER)"
		  : "INSERT INTO kv(key,value) VALUES(?1,?2) ON CONFLICT(key)"
		    " DO UPDATE SET value=excluded.value",
	    name, value, "store section mark", err);
	free(name);
	return rc;
}

int
s2p_pindex_known(struct s2p_db *db, const char *rating_key)
{
	sqlite3_stmt *st = NULL;
	int found = row1(db, &st,
	    "SELECT 1 FROM plex_part WHERE rating_key=? LIMIT 1", rating_key,
	    NULL);

	s2p_db_finalize(st);
	return found;
}

int
s2p_pindex_same_files(struct s2p_db *db, const char *section_key,
    const char *rating_key, const struct s2p_strv *files)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int same = 1;

	if (prep2(db, &st,
		"SELECT file FROM plex_part WHERE rating_key=? AND"
		" section_key=? ORDER BY part_no",
		rating_key, section_key, NULL) != S2P_OK)
		return 0;
	while (same && sqlite3_step(st) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 0);

		same = n < files->n && strcmp(f, files->v[n]) == 0;
		n++;
	}
	s2p_db_finalize(st);
	return same && n == files->n;
}

int
s2p_pindex_writer_open(struct s2p_db *db, struct s2p_pindex_writer **out,
    struct s2p_error *err)
{
	struct s2p_pindex_writer *w = s2p_xcalloc(1, sizeof(*w));
	int rc;

	w->db = db;
	rc = s2p_db_prepare(db, &w->ins,
	    "INSERT OR REPLACE INTO plex_part"
	    "(file_key,file,base_key,rating_key,section_key,part_no)"
	    " VALUES(?,?,?,?,?,?)",
	    err);
	if (rc == S2P_OK)
		rc = s2p_db_prepare(db, &w->drop_item,
		    "DELETE FROM plex_part WHERE rating_key=?", err);
	if (rc == S2P_OK)
		rc = s2p_db_prepare(db, &w->drop_section,
		    "DELETE FROM plex_part WHERE section_key=?", err);
	if (rc != S2P_OK) {
		s2p_pindex_writer_close(w);
		w = NULL;
	}
	*out = w;
	return rc;
}

int
s2p_pindex_writer_put(struct s2p_pindex_writer *w,
    const struct s2p_pindex_part *p, struct s2p_error *err)
{
	sqlite3_stmt *st = w->ins;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, p->file_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->base_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->rating_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->section_key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, p->part_no);
	return s2p_db_step_done(w->db, st, "index file", err);
}

/* Run a one-parameter DELETE of the writer. */
static int
drop(struct s2p_pindex_writer *w, sqlite3_stmt *st, const char *key,
    struct s2p_error *err)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return s2p_db_step_done(w->db, st, "drop indexed files", err);
}

int
s2p_pindex_writer_drop_item(struct s2p_pindex_writer *w, const char *rating_key,
    struct s2p_error *err)
{
	return drop(w, w->drop_item, rating_key, err);
}

int
s2p_pindex_writer_drop_section(struct s2p_pindex_writer *w,
    const char *section_key, struct s2p_error *err)
{
	return drop(w, w->drop_section, section_key, err);
}

void
s2p_pindex_writer_close(struct s2p_pindex_writer *w)
{
	if (w == NULL)
		return;
	s2p_db_finalize(w->ins);
	s2p_db_finalize(w->drop_item);
	s2p_db_finalize(w->drop_section);
	free(w);
}

int
s2p_pindex_lookup(struct s2p_db *db, const char *key, int base,
    const struct s2p_strv *sections, struct s2p_pindex_hits *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = prep2(db, &st,
	    base ? "SELECT rating_key,section_key,file,part_no FROM plex_part"
		   " WHERE base_key=?" HIT_ORDER
		 : "SELECT rating_key,section_key,file,part_no FROM plex_part"
		   " WHERE file_key=?" HIT_ORDER,
	    key, NULL, err);
	if (rc != S2P_OK)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sec = (const char *)sqlite3_column_text(st, 1);
		struct s2p_pindex_hit *h;

		if (sections != NULL && s2p_strv_find(sections, sec) < 0)
			continue;
		out->v = s2p_xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		h = &out->v[out->n++];
		h->rating_key = s2p_xstrdup(
		    (const char *)sqlite3_column_text(st, 0));
		h->section_key = s2p_xstrdup(sec);
		h->file = s2p_xstrdup((const char *)sqlite3_column_text(st, 2));
		h->part_no = sqlite3_column_int(st, 3);
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "look up a file", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_pindex_forget(struct s2p_db *db, const char *rating_key,
    struct s2p_error *err)
{
	return run2(db, "DELETE FROM plex_part WHERE rating_key=?", rating_key,
	    NULL, "forget item", err);
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

/* One counted DELETE/UPDATE for s2p_pindex_clear_all. */
static int
clear_step(struct s2p_db *db, const char *sql, long *n_out,
    struct s2p_error *err)
{
	int rc = s2p_db_exec(db, sql, err);

	if (rc == S2P_OK && n_out != NULL)
		*n_out = (long)sqlite3_changes(s2p_db_handle(db));
	return rc;
}

int
s2p_pindex_clear_all(struct s2p_db *db, long *parts_out, long *keys_out,
    struct s2p_error *err)
{
	int rc;

	if (parts_out != NULL)
		*parts_out = 0;
	if (keys_out != NULL)
		*keys_out = 0;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = clear_step(db, "DELETE FROM plex_part", parts_out, err);
	if (rc == S2P_OK)
		rc = s2p_db_exec(db,
		    "DELETE FROM plex_section;"
		    "DELETE FROM kv WHERE key = 'sections_at'"
		    " OR key GLOB '" MARK_PREFIX "*';",
		    err);
	/* The "unchanged since" digests: the next sync of each scene goes to
	 * Plex, matches it again and compares with the item. The item last
	 * written stays recorded, so a cover is uploaded again only when the
	 * scene now matches another item. */
	if (rc == S2P_OK)
		rc = clear_step(db,
		    "UPDATE sync_state SET values_hash = ''"
		    " WHERE values_hash != ''",
		    keys_out, err);
	return s2p_db_tx_end(db, rc, err);
}
