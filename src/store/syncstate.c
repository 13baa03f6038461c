/*
 * syncstate.c - per-scene sync state, fanout requests and key/value pairs
 * (see syncstate.h).
 */
#include "syncstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

int
s2p_syncstate_get(struct s2p_db *db, int64_t scene_id,
    struct s2p_sync_state *out, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT rating_key, values_hash, image_url, image_hash, collection,"
	    " synced_at FROM sync_state WHERE scene_id = ?",
	    err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_int64(st, 1, scene_id);
	rc = s2p_db_step_row(db, st, "read sync state", err);
	if (rc == S2P_OK) {
		s2p_db_copy_col(st, 0, out->rating_key,
		    sizeof(out->rating_key));
		s2p_db_copy_col(st, 1, out->values_hash,
		    sizeof(out->values_hash));
		s2p_db_copy_col(st, 2, out->image_url, sizeof(out->image_url));
		s2p_db_copy_col(st, 3, out->image_hash,
		    sizeof(out->image_hash));
		s2p_db_copy_col(st, 4, out->collection,
		    sizeof(out->collection));
		out->synced_at = sqlite3_column_double(st, 5);
	}
	s2p_db_finalize(st);
	return rc;
}

int
s2p_syncstate_put(struct s2p_db *db, int64_t scene_id,
    const struct s2p_sync_state *s, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = s2p_db_prepare_cached(db, &st,
	    "INSERT OR REPLACE INTO sync_state (scene_id, rating_key,"
	    " values_hash, image_url, image_hash, collection, synced_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	    err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_int64(st, 1, scene_id);
	sqlite3_bind_text(st, 2, s->rating_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->values_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->image_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->image_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s->collection, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, s->synced_at);
	rc = s2p_db_step_done(db, st, "save sync state", err);
	s2p_db_finalize(st);
	return rc;
}

/* DELETE with one text or integer parameter. */
static int
delete_by(struct s2p_db *db, const char *sql, const char *text, int64_t num,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st, sql, err);

	if (rc != S2P_OK)
		return rc;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	rc = s2p_db_step_done(db, st, "delete sync state", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_syncstate_delete(struct s2p_db *db, int64_t scene_id, struct s2p_error *err)
{
	return delete_by(db, "DELETE FROM sync_state WHERE scene_id = ?", NULL,
	    scene_id, err);
}

int
s2p_syncstate_forget_item(struct s2p_db *db, const char *rating_key,
    struct s2p_error *err)
{
	return delete_by(db, "DELETE FROM sync_state WHERE rating_key = ?",
	    rating_key, 0, err);
}

int
s2p_syncstate_owner(struct s2p_db *db, const char *rating_key,
    int64_t except_scene, int64_t *owner, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*owner = 0;
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT scene_id FROM sync_state WHERE "
	    "rating_key = ?1 AND scene_id != ?2 ORDER BY scene_id LIMIT 1",
	    err);
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, rating_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except_scene);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*owner = sqlite3_column_int64(st, 0);
	else if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "read sync state", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_fanout_add(struct s2p_db *db, const char *kind, const char *object_id,
    double now, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    "INSERT OR IGNORE INTO fanout (kind, object_id, queued_at)"
	    " VALUES (?, ?, ?)",
	    err);

	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, object_id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, now);
	rc = s2p_db_step_done(db, st, "record rename", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_fanout_take(struct s2p_db *db, char *kind, size_t kind_len, char *object_id,
    size_t id_len, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    "DELETE FROM fanout WHERE rowid = (SELECT rowid FROM fanout"
	    " ORDER BY queued_at LIMIT 1) RETURNING kind, object_id",
	    err);

	if (rc != S2P_OK)
		return rc;
	rc = s2p_db_step_row(db, st, "take rename", err);
	if (rc == S2P_OK) {
		s2p_db_copy_col(st, 0, kind, kind_len);
		s2p_db_copy_col(st, 1, object_id, id_len);
	}
	s2p_db_finalize(st);
	return rc;
}

long
s2p_fanout_pending(struct s2p_db *db)
{
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (s2p_db_prepare_cached(db, &st, "SELECT count(*) FROM fanout",
		NULL) != S2P_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	s2p_db_finalize(st);
	return n;
}

int
s2p_kv_get(struct s2p_db *db, const char *key, char *out, size_t len,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    "SELECT value FROM kv WHERE key = ?", err);

	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = s2p_db_step_row(db, st, "read kv", err);
	if (rc == S2P_OK)
		s2p_db_copy_col(st, 0, out, len);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_kv_put(struct s2p_db *db, const char *key, const char *value,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", err);

	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = s2p_db_step_done(db, st, "write kv", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_seen_name_get(struct s2p_db *db, const char *kind, const char *object_id,
    char **name, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    "SELECT name FROM seen_name WHERE "
	    "kind = ?1 AND object_id = ?2",
	    err);

	*name = NULL;
	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, object_id, -1, SQLITE_STATIC);
	rc = s2p_db_step_row(db, st, "read seen name", err);
	if (rc == S2P_OK)
		*name = s2p_xstrdup((const char *)sqlite3_column_text(st, 0));
	s2p_db_finalize(st);
	return rc;
}

/* Store one name; ignore_known keeps a name already stored. */
static int
seen_put(struct s2p_db *db, const char *kind, const char *object_id,
    const char *name, int ignore_known, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = s2p_db_prepare_cached(db, &st,
	    ignore_known
		? "INSERT OR IGNORE INTO seen_name (kind, object_id, name) "
		  "VALUES (?1, ?2, ?3)"
		: "INSERT OR REPLACE INTO seen_name (kind, object_id, name) "
		  "VALUES (?1, ?2, ?3)",
	    err);

	if (rc != S2P_OK)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	rc = s2p_db_step_done(db, st, "remember name", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_seen_name_put(struct s2p_db *db, const char *kind, const char *object_id,
    const char *name, struct s2p_error *err)
{
	return seen_put(db, kind, object_id, name, 0, err);
}

int
s2p_seen_names_note(struct s2p_db *db, const struct s2p_strv *refs,
    struct s2p_error *err)
{
	size_t i;
	int rc;

	if (refs->n == 0)
		return S2P_OK;
	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	for (i = 0; i < refs->n && rc == S2P_OK; i++) {
		char *kind = s2p_xstrdup(refs->v[i]);
		char *id = strchr(kind, '\t');
		char *name = id ? strchr(id + 1, '\t') : NULL;

		if (name != NULL) {
			*id++ = '\0';
			*name++ = '\0';
			rc = seen_put(db, kind, id, name, 1, err);
		}
		free(kind);
	}
	return s2p_db_tx_end(db, rc, err);
}

int
s2p_syncstate_last(struct s2p_db *db, double *t_out, long *n_out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*t_out = 0;
	*n_out = 0;
	rc = s2p_db_prepare(db, &st,
	    "SELECT coalesce(max(synced_at), 0), count(*) FROM sync_state",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*t_out = sqlite3_column_double(st, 0);
		*n_out = (long)sqlite3_column_int64(st, 1);
	} else {
		rc = s2p_db_error(db, src, "read last sync", err);
	}
	sqlite3_finalize(st);
	return rc;
}
