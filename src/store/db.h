/*
 * db.h - the project's one SQLite database (<data dir>/stash2plex.db): WAL
 * mode, a busy timeout so the hook, tasks and the worker can share it, file
 * mode 0600, and schema migrations tracked with PRAGMA user_version. Every
 * table of the project is created here, in one ordered list of migrations.
 */
#ifndef S2P_DB_H
#define S2P_DB_H

#include <sqlite3.h>

#include "core/compat.h"
#include "core/err.h"

struct s2p_db;

/* Open (creating if needed) the database at path and migrate it to the latest
 * schema. *out is owned by the caller (s2p_db_close). Errors: S2P_EIO. */
int s2p_db_open(struct s2p_db **out, const char *path, struct s2p_error *err)
    S2P_NODISCARD;
void s2p_db_close(struct s2p_db *db);
/* The raw handle, borrowed, for modules that run their own statements. */
sqlite3 *s2p_db_handle(struct s2p_db *db);
/* Run SQL without results. Errors: S2P_EIO (S2P_EBUSY when locked). */
int s2p_db_exec(struct s2p_db *db, const char *sql, struct s2p_error *err)
    S2P_NODISCARD;
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK helpers. */
int s2p_db_begin(struct s2p_db *db, struct s2p_error *err) S2P_NODISCARD;
int s2p_db_commit(struct s2p_db *db, struct s2p_error *err) S2P_NODISCARD;
void s2p_db_rollback(struct s2p_db *db);

#endif
