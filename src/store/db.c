/*
 * db.c - the one SQLite database of the project: opening it safely (mode
 * 0600 for the file and its WAL/SHM side files, WAL journal, a busy handler
 * that measures lock waits),
 * nested transactions on top of BEGIN IMMEDIATE, error mapping, a summary
 * counter table, and the ordered list of schema migrations. It knows nothing
 * about what the tables mean; queue.c and the other store users do.
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/testpause.h"
#include "core/xalloc.h"

#define DB_BUSY_TIMEOUT_MS 10000
/* How long a waiter for a lock sleeps between tries (busy_wait): 1 ms for
 * the first 50 ms (about a transaction's length), then 5 ms, so that many
 * waiters for a long transaction (a big Sync All) do not spin. */
#define DB_BUSY_SLEEP_NS 1000000L
#define DB_BUSY_SLEEP_LONG_NS 5000000L
#define DB_BUSY_SHORT_SECS 0.05
/* SQLite's default automatic checkpoint threshold, in WAL pages. */
#define WAL_AUTOCHECKPOINT 1000
#define DB_FILE_MODE 0600

struct s2p_db {
	sqlite3 *h;
	int depth; /* open s2p_db_begin levels: 1 = BEGIN, >1 = SAVEPOINTs */
	/* Lock waits (s2p_db_lock_wait): seconds of the finished ones, the
	 * current one so far, and when the current one began. */
	double waited, waiting, busy_since;
};

/*
 * Schema migrations, applied in order, each in its own transaction, with
 * PRAGMA user_version holding how many have been applied. Never edit or
 * reorder a migration that has shipped: append a new one instead.
 */
static const char *const migrations[] = {
    /* 1: job queue, dead letters, summary counters. */
    "CREATE TABLE job ("
    "  id INTEGER PRIMARY KEY,"
    "  scene_id INTEGER NOT NULL UNIQUE,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'running')),"
    "  dirty INTEGER NOT NULL DEFAULT 0 CHECK (dirty IN (0, 1)),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  not_before REAL NOT NULL,"
    "  lease_until REAL,"
    "  enqueued_at REAL NOT NULL,"
    "  updated_at REAL NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  error_class TEXT NOT NULL DEFAULT '',"
    "  last_error TEXT NOT NULL DEFAULT ''"
    ") STRICT;"
    "CREATE INDEX job_claim ON job (state, not_before, id);"
    "CREATE TABLE dead_letter ("
    "  id INTEGER PRIMARY KEY,"
    "  scene_id INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  failed_at REAL NOT NULL,"
    "  error_class TEXT NOT NULL,"
    "  message TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX dead_letter_failed_at ON dead_letter (failed_at);"
    "CREATE TABLE counter ("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ") STRICT;",
    /* 2: the Plex path index (store/pindex.c). */
    "CREATE TABLE plex_section (key TEXT PRIMARY KEY, title TEXT NOT NULL,"
    "  type TEXT NOT NULL, locations TEXT NOT NULL,"
    "  indexed_at REAL NOT NULL DEFAULT 0) STRICT;"
    "CREATE TABLE plex_part (file_key TEXT NOT NULL, file TEXT NOT NULL,"
    "  base_key TEXT NOT NULL, rating_key TEXT NOT NULL,"
    "  section_key TEXT NOT NULL, part_no INTEGER NOT NULL,"
    "  PRIMARY KEY (file_key, rating_key)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX plex_part_base ON plex_part (base_key);"
    "CREATE INDEX plex_part_rk ON plex_part (rating_key);",
    /* 3: what we last wrote per scene (store/syncstate.c), and requests
     * to re-queue the scenes of a renamed performer/studio/tag. */
    "CREATE TABLE sync_state (scene_id INTEGER PRIMARY KEY,"
    "  rating_key TEXT NOT NULL, values_hash TEXT NOT NULL,"
    "  image_url TEXT NOT NULL DEFAULT '', image_hash TEXT NOT NULL DEFAULT '',"
    "  collection TEXT NOT NULL DEFAULT '', synced_at REAL NOT NULL) STRICT;"
    "CREATE INDEX sync_state_rk ON sync_state (rating_key);"
    "CREATE TABLE fanout (kind TEXT NOT NULL, object_id TEXT NOT NULL,"
    "  queued_at REAL NOT NULL, PRIMARY KEY (kind, object_id)) STRICT;"
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;",
    /* 4: the path index's per-section updatedAt marks join the other
     * timestamps in kv (they were counter rows). */
    "INSERT OR REPLACE INTO kv (key, value) SELECT name, CAST(value AS TEXT)"
    "  FROM counter WHERE name GLOB 'pindex_updated_at:*';"
    "DELETE FROM counter WHERE name GLOB 'pindex_updated_at:*';",
    /* 5: the name last seen per performer, studio and tag, so a save
     * that did not rename fans out nothing (store/syncstate.c). */
    "CREATE TABLE IF NOT EXISTS seen_name (kind TEXT NOT NULL,"
    "  object_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  PRIMARY KEY (kind, object_id)) STRICT, WITHOUT ROWID;",
    /* 6: one sample per minute of what the worker measured, kept 7 days
     * (store/metrics.c); the running totals are "metric:" counters. */
    "CREATE TABLE metric_minute (minute INTEGER PRIMARY KEY,"
    "  synced INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,"
    "  dead INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0,"
    "  p50_ms REAL, p95_ms REAL, queue_depth INTEGER NOT NULL DEFAULT 0,"
    "  breaker TEXT NOT NULL DEFAULT 'closed') STRICT;",
    /* 7: dead letters an operator can act on: the scene's title when it
     * failed, the first failure (kept on the job from its first failed
     * attempt) and, for an ambiguous match, the Plex candidates (JSON). */
    "ALTER TABLE job ADD COLUMN first_failed_at REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE dead_letter ADD COLUMN title TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE dead_letter ADD COLUMN first_failed_at REAL NOT NULL"
    "  DEFAULT 0;"
    "ALTER TABLE dead_letter ADD COLUMN candidates TEXT NOT NULL"
    "  DEFAULT '[]';",
    /* 8: ... append new migrations here ... */
};

int
s2p_db_schema_version(void)
{
	return (int)S2P_ARRAY_LEN(migrations);
}

int
s2p_db_error(struct s2p_db *db, int rc, const char *what, struct s2p_error *err)
{
	int prim = rc & 0xff;
	int code = (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) ? S2P_EBUSY
								  : S2P_EIO;
	const char *detail = sqlite3_errstr(rc);

	/* The handle's message is more precise, but only if it belongs to
	 * this failure (bind and prepare errors also set it). */
	if (db != NULL && db->h != NULL &&
	    (sqlite3_errcode(db->h) & 0xff) == prim)
		detail = sqlite3_errmsg(db->h);
	/* Failures that no retry cures: one line saying what to do. */
	switch (prim) {
	case SQLITE_FULL:
		return s2p_error_set(err, S2P_EDISK,
		    "database: cannot %s: %s: "
		    "the disk holding the data directory is full; free some "
		    "space, then run Process Queue (the queue is kept)",
		    what, detail);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_IOERR:
		return s2p_error_set(err, S2P_EDISK,
		    "database: cannot %s: %s: "
		    "make the data directory and stash2plex.db writable by the "
		    "user running Stash (and check the disk), then run Process "
		    "Queue",
		    what, detail);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return s2p_error_set(err, S2P_ECORRUPT,
		    "database: cannot %s: "
		    "%s: the database file is corrupt; run Process Queue to "
		    "move it aside and start a fresh one",
		    what, detail);
	}
	return s2p_error_set(err, code, "database: cannot %s: %s", what,
	    detail);
}

int
s2p_db_check(struct s2p_db *db, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *res;
	int rc, src;

	rc = s2p_db_prepare(db, &st, "PRAGMA quick_check(1)", err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = s2p_db_error(db, src, "check the database", err);
	} else {
		res = sqlite3_column_text(st, 0);
		if (res == NULL || strcmp((const char *)res, "ok") != 0)
			rc = s2p_error_set(err, S2P_ECORRUPT,
			    "database: "
			    "integrity check failed (%.100s): the database "
			    "file "
			    "is corrupt; run Process Queue to move it aside "
			    "and "
			    "start a fresh one",
			    res ? (const char *)res : "");
	}
	s2p_db_finalize(st);
	return rc;
}

int
s2p_db_quarantine(const char *path, double now, char *aside, size_t len,
    struct s2p_error *err)
{
	static const char *const side[] = {"-wal", "-shm"};
	char stamp[32];
	time_t t = (time_t)now;
	struct tm tm;
	size_t i;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(aside, len, "%s.corrupt-%s", path, stamp);
	if (rename(path, aside) != 0)
		return s2p_error_set(err, S2P_EIO,
		    "database: cannot move %s "
		    "aside: %s",
		    path, strerror(errno));
	for (i = 0; i < S2P_ARRAY_LEN(side); i++) {
		char *from = s2p_xasprintf("%s%s", path, side[i]);
		char *to = s2p_xasprintf("%s%s", aside, side[i]);

		if (rename(from, to) != 0 && errno != ENOENT)
			s2p_warn("database: cannot move %s aside: %s", from,
			    strerror(errno));
		free(from);
		free(to);
	}
	return S2P_OK;
}

sqlite3 *
s2p_db_handle(struct s2p_db *db)
{
	return db->h;
}

int
s2p_db_exec(struct s2p_db *db, const char *sql, struct s2p_error *err)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	char what[64];

	if (rc == SQLITE_OK)
		return S2P_OK;
	snprintf(what, sizeof(what), "run \"%.40s\"", sql);
	return s2p_db_error(db, rc, what, err);
}

/*
 * Prepared statements are kept for reuse: preparing is most of the cost
 * of a small statement (a profile of a 10,000-scene re-sync spent 16% of
 * its instructions in sqlite3_prepare_v2). Statements of the per-job paths
 * come from s2p_db_prepare_cached; s2p_db_finalize resets a kept statement
 * instead of finalizing it; one that is in use is never handed out twice
 * (a second user gets a fresh one).
 */
#define STMT_CACHE 64

static struct {
	sqlite3 *h;
	char *sql;
	sqlite3_stmt *st;
	int in_use;
} stmt_cache[STMT_CACHE];
static pthread_mutex_t stmt_mu = PTHREAD_MUTEX_INITIALIZER;

/* A kept, unused statement of h for sql, now in use; or NULL. */
static sqlite3_stmt *
cache_take(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	pthread_mutex_lock(&stmt_mu);
	for (i = 0; i < STMT_CACHE && st == NULL; i++)
		if (stmt_cache[i].h == h && !stmt_cache[i].in_use &&
		    strcmp(stmt_cache[i].sql, sql) == 0) {
			stmt_cache[i].in_use = 1;
			st = stmt_cache[i].st;
		}
	pthread_mutex_unlock(&stmt_mu);
	return st;
}

/* Keep a fresh statement (in use) when there is room. */
static void
cache_put(sqlite3 *h, const char *sql, sqlite3_stmt *st)
{
	size_t i;

	pthread_mutex_lock(&stmt_mu);
	for (i = 0; i < STMT_CACHE; i++)
		if (stmt_cache[i].h == NULL) {
			stmt_cache[i].h = h;
			stmt_cache[i].sql = s2p_xstrdup(sql);
			stmt_cache[i].st = st;
			stmt_cache[i].in_use = 1;
			break;
		}
	pthread_mutex_unlock(&stmt_mu);
}

/* Finalize every kept statement of h (before it is closed). */
static void
cache_drop(sqlite3 *h)
{
	size_t i;

	pthread_mutex_lock(&stmt_mu);
	for (i = 0; i < STMT_CACHE; i++)
		if (stmt_cache[i].h == h) {
			sqlite3_finalize(stmt_cache[i].st);
			free(stmt_cache[i].sql);
			memset(&stmt_cache[i], 0, sizeof(stmt_cache[i]));
		}
	pthread_mutex_unlock(&stmt_mu);
}

void
s2p_db_finalize(sqlite3_stmt *st)
{
	size_t i;

	if (st == NULL)
		return;
	pthread_mutex_lock(&stmt_mu);
	for (i = 0; i < STMT_CACHE; i++)
		if (stmt_cache[i].st == st && stmt_cache[i].h != NULL) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			stmt_cache[i].in_use = 0;
			pthread_mutex_unlock(&stmt_mu);
			return;
		}
	pthread_mutex_unlock(&stmt_mu);
	sqlite3_finalize(st);
}

int
s2p_db_prepare(struct s2p_db *db, sqlite3_stmt **out, const char *sql,
    struct s2p_error *err)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, out, NULL);

	if (rc == SQLITE_OK)
		return S2P_OK;
	*out = NULL;
	return s2p_db_error(db, rc, "prepare statement", err);
}

int
s2p_db_prepare_cached(struct s2p_db *db, sqlite3_stmt **out, const char *sql,
    struct s2p_error *err)
{
	int rc;

	*out = cache_take(db->h, sql);
	if (*out != NULL)
		return S2P_OK;
	rc = sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
	if (rc == SQLITE_OK) {
		cache_put(db->h, sql, *out);
		return S2P_OK;
	}
	*out = NULL;
	return s2p_db_error(db, rc, "prepare statement", err);
}

int
s2p_db_step_done(struct s2p_db *db, sqlite3_stmt *st, const char *what,
    struct s2p_error *err)
{
	int src = sqlite3_step(st);

	while (src == SQLITE_ROW)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		return s2p_db_error(db, src, what, err);
	return S2P_OK;
}

int
s2p_db_step_row(struct s2p_db *db, sqlite3_stmt *st, const char *what,
    struct s2p_error *err)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return S2P_OK;
	if (src == SQLITE_DONE)
		return S2P_ENOTFOUND;
	return s2p_db_error(db, src, what, err);
}

void
s2p_db_copy_col(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", s != NULL ? (const char *)s : "");
}

/* SQLite rolls a transaction back by itself after some errors (SQLITE_FULL,
 * I/O errors, ...); forget our nesting when that happened. */
static void
sync_depth(struct s2p_db *db)
{
	if (db->depth > 0 && sqlite3_get_autocommit(db->h))
		db->depth = 0;
}

int
s2p_db_begin(struct s2p_db *db, struct s2p_error *err)
{
	int rc;

	sync_depth(db);
	rc = s2p_db_exec(db,
	    db->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT s2p_nested", err);
	if (rc == S2P_OK)
		db->depth++;
	return rc;
}

int
s2p_db_commit(struct s2p_db *db, struct s2p_error *err)
{
	int rc;

	if (db->depth <= 0)
		return s2p_error_set(err, S2P_EINVAL,
		    "database: commit without a transaction");
	rc = s2p_db_exec(db, db->depth == 1 ? "COMMIT" : "RELEASE s2p_nested",
	    err);
	if (rc == S2P_OK)
		db->depth--;
	return rc;
}

void
s2p_db_rollback(struct s2p_db *db)
{
	struct s2p_error e;
	int rc;

	if (db == NULL)
		return;
	sync_depth(db);
	if (db->depth <= 0)
		return;
	rc = s2p_db_exec(db,
	    db->depth == 1 ? "ROLLBACK"
			   : "ROLLBACK TO s2p_nested; RELEASE s2p_nested",
	    &e);
	if (rc != S2P_OK)
		s2p_warn("%s", e.msg);
	db->depth--;
	sync_depth(db);
}

int
s2p_db_tx_end(struct s2p_db *db, int rc, struct s2p_error *err)
{
	if (rc == S2P_OK) {
		rc = s2p_db_commit(db, err);
		if (rc == S2P_OK)
			return S2P_OK;
	}
	s2p_db_rollback(db);
	return rc;
}

int
s2p_db_counter_add(struct s2p_db *db, const char *name, int64_t delta,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare_cached(db, &st,
	    "INSERT INTO counter (name, value) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 2, delta);
	if (src == SQLITE_OK) {
		src = sqlite3_step(st);
		if (src == SQLITE_DONE)
			src = SQLITE_OK;
	}
	if (src != SQLITE_OK)
		rc = s2p_db_error(db, src, "update counter", err);
out:
	s2p_db_finalize(st);
	return rc;
}

int
s2p_db_counter_get(struct s2p_db *db, const char *name, int64_t *out,
    struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	*out = 0;
	rc = s2p_db_prepare_cached(db, &st,
	    "SELECT value FROM counter WHERE name = ?1", err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (src == SQLITE_OK) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			src = SQLITE_OK;
		} else if (src == SQLITE_DONE) {
			src = SQLITE_OK;
		}
	}
	if (src != SQLITE_OK)
		rc = s2p_db_error(db, src, "read counter", err);
out:
	s2p_db_finalize(st);
	return rc;
}

/* Read PRAGMA user_version into *out. */
static int
user_version(struct s2p_db *db, int *out, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st, "PRAGMA user_version", err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = s2p_db_error(db, src, "read schema version", err);
		goto out;
	}
	*out = sqlite3_column_int(st, 0);
out:
	s2p_db_finalize(st);
	return rc;
}

/* Apply migration number i+1 unless another process already did (the
 * version is re-read under the write lock). */
static int
apply_migration(struct s2p_db *db, int i, struct s2p_error *err)
{
	char pragma[48];
	int rc, version = 0;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = user_version(db, &version, err);
	if (rc != S2P_OK || version > i)
		goto out;
	rc = s2p_db_exec(db, migrations[i], err);
	if (rc != S2P_OK)
		goto out;
	/* PRAGMA takes no bound parameters; the value is our own index. */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", i + 1);
	rc = s2p_db_exec(db, pragma, err);
	if (rc == S2P_OK)
		s2p_debug("database schema migrated to version %d", i + 1);
out:
	if (rc == S2P_OK)
		rc = s2p_db_commit(db, err);
	if (rc != S2P_OK)
		s2p_db_rollback(db);
	return rc;
}

/* Bring the schema up to version target (normally the latest). A database
 * from a newer program is refused, untouched, rather than half understood. */
static int
migrate(struct s2p_db *db, const char *path, int target, struct s2p_error *err)
{
	int i, rc, version = 0, latest = s2p_db_schema_version();

	rc = user_version(db, &version, err);
	if (rc != S2P_OK)
		return rc;
	if (version > latest)
		return s2p_error_set(err, S2P_EIO,
		    "database %s was written by a newer Stash2Plex (schema "
		    "version %d; this version knows up to %d). Install the "
		    "newer version again, or move the file away to start "
		    "over; it was left unchanged",
		    path, version, latest);
	for (i = version; i < target; i++) {
		rc = apply_migration(db, i, err);
		if (rc != S2P_OK)
			return rc;
	}
	return S2P_OK;
}

/* Run a journal_mode pragma and return the mode it reports in *mode
 * (SQLite's own string, valid until st is finalized by the caller). */
static int
journal_mode(struct s2p_db *db, const char *sql, sqlite3_stmt **st,
    const unsigned char **mode)
{
	int src;

	*mode = NULL;
	src = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);
	if (src != SQLITE_OK)
		return src;
	src = sqlite3_step(*st);
	if (src == SQLITE_ROW) {
		*mode = sqlite3_column_text(*st, 0);
		return SQLITE_OK;
	}
	return src;
}

/* Switch to WAL and check that SQLite really did (it silently keeps the old
 * mode where shared memory is unavailable). A database that is already WAL
 * is left alone. Switching needs an exclusive lock for which SQLite may
 * answer BUSY at once, without its busy handler, while concurrent processes
 * open a new database: that is retried for up to the busy timeout. */
static int
enable_wal(struct s2p_db *db, struct s2p_error *err)
{
	const unsigned char *mode;
	sqlite3_stmt *st = NULL;
	int rc = S2P_OK, src, waited_ms = 0;

	src = journal_mode(db, "PRAGMA journal_mode", &st, &mode);
	if (src == SQLITE_OK && mode && strcmp((const char *)mode, "wal") == 0)
		goto out;
	for (;;) {
		s2p_db_finalize(st);
		st = NULL;
		src = journal_mode(db, "PRAGMA journal_mode = WAL", &st, &mode);
		if ((src != SQLITE_BUSY && src != SQLITE_LOCKED) ||
		    waited_ms >= DB_BUSY_TIMEOUT_MS)
			break;
		s2p_clock_sleep(s2p_clock_system(), 0.01);
		waited_ms += 10;
		db->waited += 0.01;
	}
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "enable WAL journal", err);
		goto out;
	}
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
		rc = s2p_error_set(err, S2P_EIO,
		    "database: WAL journal unavailable (got \"%s\"); is the "
		    "data directory on a network file system?",
		    mode ? (const char *)mode : "");
out:
	s2p_db_finalize(st);
	return rc;
}

/* Create path if needed and make sure it is private (0600). */
static int
create_private(const char *path, struct s2p_error *err)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, DB_FILE_MODE);
	if (fd < 0)
		return s2p_error_set(err,
		    errno == ENOSPC || errno == EACCES || errno == EROFS ||
			    errno == EPERM
			? S2P_EDISK
			: S2P_EIO,
		    "database: cannot open %s: %s: make the data directory "
		    "writable by the user running Stash (and check the disk)",
		    path, strerror(errno));
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 0777) != DB_FILE_MODE &&
	    fchmod(fd, DB_FILE_MODE) != 0)
		s2p_warn("database: cannot make %s private: %s", path,
		    strerror(errno));
	close(fd);
	return S2P_OK;
}

/* SQLite gives the -wal and -shm files the database file's mode; tighten
 * them anyway in case they predate a mode change of the main file. */
static void
secure_side_files(const char *path)
{
	static const char *const suffix[] = {"-wal", "-shm"};
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(suffix); i++) {
		char *p = s2p_xasprintf("%s%s", path, suffix[i]);
		struct stat sb;

		if (stat(p, &sb) == 0 && (sb.st_mode & 0777) != DB_FILE_MODE &&
		    chmod(p, DB_FILE_MODE) != 0)
			s2p_warn("database: cannot make %s private: %s", p,
			    strerror(errno));
		free(p);
	}
}

/* The busy handler: SQLite calls it each time a lock it needs is taken
 * (count: how often for this one lock, from 0), and tries again when it
 * returns 1. SQLite's own handler sleeps 1, 2, 5, 10, ... up to 100 ms
 * between tries, so under many writers a waiter oversleeps long after the
 * lock was freed, and a late comer with short sleeps overtakes it; this
 * one tries again every millisecond (5 ms after the first 50), for the
 * same total timeout, and measures the wait. */
static int
busy_wait(void *arg, int count)
{
	struct s2p_db *db = arg;
	double now = s2p_monotonic();
	struct timespec ts = {0, DB_BUSY_SLEEP_NS};

	if (count == 0) {
		db->waited += db->waiting;
		db->waiting = 0;
		db->busy_since = now;
	}
	if (now - db->busy_since >= DB_BUSY_TIMEOUT_MS / 1000.0)
		return 0;
	if (now - db->busy_since >= DB_BUSY_SHORT_SECS)
		ts.tv_nsec = DB_BUSY_SLEEP_LONG_NS;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	db->waiting = s2p_monotonic() - db->busy_since;
	return 1;
}

double
s2p_db_lock_wait(const struct s2p_db *db)
{
	return db != NULL ? db->waited + db->waiting : 0;
}

/* TEST-ONLY (core/testpause.h): SQLite's own automatic checkpoint (what
 * sqlite3_wal_autocheckpoint installs), with the "checkpoint" pause point
 * in front of it. Installed only when that point is armed. */
static int
paused_wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	(void)arg;
	if (pages >= WAL_AUTOCHECKPOINT) {
		s2p_test_pause("checkpoint");
		(void)sqlite3_wal_checkpoint_v2(h, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	return SQLITE_OK;
}

int
s2p_db_open(struct s2p_db **out, const char *path, struct s2p_error *err)
{
	return s2p_db_open_at(out, path, s2p_db_schema_version(), err);
}

int
s2p_db_open_at(struct s2p_db **out, const char *path, int version,
    struct s2p_error *err)
{
	struct s2p_db *db = NULL;
	mode_t old_mask;
	int rc, src;

	*out = NULL;
	/* Any file created while the database is being opened (the WAL and
	 * SHM side files included) is private to us. */
	old_mask = umask(077);
	rc = create_private(path, err);
	if (rc != S2P_OK)
		goto out;
	db = s2p_xcalloc(1, sizeof(*db));
	src = sqlite3_open_v2(path, &db->h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "open database", err);
		goto out;
	}
	/* Hooks open, write one row and exit: without this every exit would
	 * checkpoint the WAL with fsyncs. Checkpoints still happen, as
	 * SQLite's automatic ones every 1000 pages. */
	src = sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
	    (int *)NULL);
	if (src == SQLITE_OK)
		src = sqlite3_busy_handler(db->h, busy_wait, db);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "set busy handler", err);
		goto out;
	}
	rc = enable_wal(db, err);
	if (rc != S2P_OK)
		goto out;
	if (s2p_test_pause_armed("checkpoint"))
		sqlite3_wal_hook(db->h, paused_wal_hook, NULL);
	rc = s2p_db_exec(db,
	    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", err);
	if (rc != S2P_OK)
		goto out;
	if (version < 0 || version > s2p_db_schema_version()) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "database: no schema version %d", version);
		goto out;
	}
	rc = migrate(db, path, version, err);
	if (rc != S2P_OK)
		goto out;
	secure_side_files(path);
out:
	umask(old_mask);
	if (rc != S2P_OK) {
		s2p_db_close(db);
		return rc;
	}
	*out = db;
	return S2P_OK;
}

void
s2p_db_truncate_wal(struct s2p_db *db)
{
	if (db == NULL)
		return;
	/* No busy handler: a reader or writer elsewhere makes it a no-op. */
	(void)sqlite3_busy_handler(db->h, NULL, NULL);
	(void)sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	(void)sqlite3_busy_handler(db->h, busy_wait, db);
}

void
s2p_db_close(struct s2p_db *db)
{
	if (db == NULL)
		return;
	/* An open transaction is rolled back by sqlite3_close itself.
	 * Statements are always finalized by their users, so plain close
	 * succeeds; v2 keeps a leaked statement from leaking the handle. */
	if (db->h != NULL)
		cache_drop(db->h);
	if (db->h != NULL && sqlite3_close(db->h) != SQLITE_OK) {
		s2p_warn("database: close: %s", sqlite3_errmsg(db->h));
		sqlite3_close_v2(db->h);
	}
	free(db);
}
