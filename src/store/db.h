/*
 * db.h - the project's one SQLite database (<data dir>/stash2plex.db): WAL
 * mode, a busy timeout so the hook, tasks and the worker can share it, file
 * mode 0600, and schema migrations tracked with PRAGMA user_version. Every
 * table of the project is created here, in one ordered list of migrations.
 */
#ifndef S2P_DB_H
#define S2P_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/compat.h"
#include "core/err.h"

struct s2p_db;

/* Open (creating if needed) the database at path and migrate it to the latest
 * schema. *out is owned by the caller (s2p_db_close). Errors: S2P_EIO. */
int s2p_db_open(struct s2p_db **out, const char *path,
    struct s2p_error *err) S2P_NODISCARD;
/* As s2p_db_open, but migrate no further than schema version (tests build
 * the database an older program left behind this way). */
int s2p_db_open_at(struct s2p_db **out, const char *path, int version,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_db_close(struct s2p_db *db);
/* Fold the WAL into the database and truncate it, without waiting for
 * other connections (busy: nothing is done). A process that wrote many
 * rows calls it before closing: a hook that finds no other connection open
 * rebuilds the WAL index by reading the whole WAL file. */
void s2p_db_truncate_wal(struct s2p_db *db);
/* The raw handle, borrowed, for modules that run their own statements. */
sqlite3 *s2p_db_handle(struct s2p_db *db);
/* Run SQL without results. Errors: S2P_EIO (S2P_EBUSY when locked). */
int s2p_db_exec(struct s2p_db *db, const char *sql,
    struct s2p_error *err) S2P_NODISCARD;
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK helpers.
 *
 * They nest: s2p_db_begin inside an open s2p_db_begin starts a SAVEPOINT, so
 * the queue functions (which open their own transaction) can be composed into
 * one larger transaction by the caller. Only the outermost commit makes the
 * changes durable; an inner rollback undoes only the inner part. Always pair
 * every begin with exactly one commit or rollback (after a failed commit,
 * call rollback). Do not issue BEGIN/COMMIT yourself through s2p_db_exec. */
int s2p_db_begin(struct s2p_db *db, struct s2p_error *err) S2P_NODISCARD;
int s2p_db_commit(struct s2p_db *db, struct s2p_error *err) S2P_NODISCARD;
void s2p_db_rollback(struct s2p_db *db);

/* Prepare one statement on db. *out is owned by the caller
 * (s2p_db_finalize or sqlite3_finalize). Errors as s2p_db_error. */
int s2p_db_prepare(struct s2p_db *db, sqlite3_stmt **out, const char *sql,
    struct s2p_error *err) S2P_NODISCARD;
/* The same for a statement run once per job (sql a constant): a kept one
 * is reused. Give it back with s2p_db_finalize, NEVER sqlite3_finalize. */
int s2p_db_prepare_cached(struct s2p_db *db, sqlite3_stmt **out,
    const char *sql, struct s2p_error *err) S2P_NODISCARD;
/* Give back a statement of s2p_db_prepare_cached (reset and kept) or of
 * s2p_db_prepare (finalized). NULL is a no-op. */
void s2p_db_finalize(sqlite3_stmt *st);
/* Map a failed SQLite result code rc into err and return the status:
 * S2P_EBUSY for SQLITE_BUSY/SQLITE_LOCKED; S2P_EDISK for a full disk or a
 * database that cannot be written, S2P_ECORRUPT for a corrupt file (both
 * with a message saying what to do); else S2P_EIO. what names the
 * operation for the message ("claim job"). */
int s2p_db_error(struct s2p_db *db, int rc, const char *what,
    struct s2p_error *err);
/* Step st until it is done (rows, if any, are ignored). Returns S2P_OK or
 * the error mapped as s2p_db_error, naming the operation what. */
int s2p_db_step_done(struct s2p_db *db, sqlite3_stmt *st, const char *what,
    struct s2p_error *err) S2P_NODISCARD;
/* Step st to its first row: S2P_OK with the row ready to read, S2P_ENOTFOUND
 * (err untouched) when there is none, else the error mapped as
 * s2p_db_error, naming the operation what. */
int s2p_db_step_row(struct s2p_db *db, sqlite3_stmt *st, const char *what,
    struct s2p_error *err) S2P_NODISCARD;
/* Finish a transaction opened with s2p_db_begin: commit when rc is S2P_OK,
 * else (or when the commit fails) roll back. Returns the final status. */
int s2p_db_tx_end(struct s2p_db *db, int rc,
    struct s2p_error *err) S2P_NODISCARD;
/* Copy text column col of st into dst (len bytes, always terminated; NULL
 * reads as ""). */
void s2p_db_copy_col(sqlite3_stmt *st, int col, char *dst, size_t len);
/* SQLite's quick integrity check (reads the whole file: for tasks and the
 * worker, never hooks). S2P_ECORRUPT when it finds damage. */
int s2p_db_check(struct s2p_db *db, struct s2p_error *err) S2P_NODISCARD;
/* Move a corrupt database at path (and its -wal/-shm files) aside as
 * "<path>.corrupt-<UTC time>", the new name in aside. The caller has
 * closed it. S2P_EIO when the rename fails. */
int s2p_db_quarantine(const char *path, double now, char *aside, size_t len,
    struct s2p_error *err) S2P_NODISCARD;
/* Seconds this connection has spent waiting for a lock another connection
 * held (SQLite's write lock, mostly), from the first refusal until it got
 * it or gave up, summed over its life. */
double s2p_db_lock_wait(const struct s2p_db *db);
/* Schema version this program migrates to (the number of migrations). */
int s2p_db_schema_version(void);
/* Add delta to the named summary counter (created at 0). */
int s2p_db_counter_add(struct s2p_db *db, const char *name, int64_t delta,
    struct s2p_error *err) S2P_NODISCARD;
/* Read the named counter into *out (0 when it was never set). */
int s2p_db_counter_get(struct s2p_db *db, const char *name, int64_t *out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
