/*
 * statefile.h - plumbing shared by the small JSON state files of the outage
 * modules (circuit_breaker.json, outage_history.json, recovery_state.json):
 * a blocking exclusive flock on "<file>.lock" for read-modify-write cycles,
 * a capped read that tells "missing" from "corrupt", and an atomic 0600
 * write, and s2p_statefile_update, the one read-modify-write cycle built from
 * them. Several processes (hooks, tasks, the worker) share these files, so
 * every update takes the lock; plain readers rely on the atomic rename and
 * take no lock.
 */
#ifndef S2P_STATEFILE_H
#define S2P_STATEFILE_H

#include <jansson.h>

#include "core/compat.h"
#include "core/err.h"

/* Largest state file we accept (anything bigger is treated as corrupt). */
#define S2P_STATEFILE_MAX (1024 * 1024)

/* Take an exclusive flock on "<path>.lock" (created 0600), blocking until it
 * is free; the holders only keep it for one read and one atomic write. On
 * success *fd_out is the descriptor to pass to s2p_statefile_unlock.
 * S2P_EIO when the lock file cannot be opened or locked. */
int s2p_statefile_lock(const char *path, int *fd_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Release a lock taken by s2p_statefile_lock. fd < 0 is a no-op. */
void s2p_statefile_unlock(int fd);

/* Read and parse path into a new reference *out (caller decrefs).
 * S2P_ENOTFOUND when the file does not exist; S2P_EPARSE when it exists but
 * cannot be read, is too large or is not valid JSON (*out is NULL then). */
int s2p_statefile_read(const char *path, json_t **out,
    struct s2p_error *err) S2P_NODISCARD;
/* Serialise doc (borrowed) and write it to path atomically with mode 0600.
 * S2P_EIO on failure; the previous file is left intact then. */
int s2p_statefile_write(const char *path, const json_t *doc,
    struct s2p_error *err) S2P_NODISCARD;

/* The change of one update. Called under the lock with the file's document
 * (borrowed): doc is NULL when the file is missing (read_rc S2P_ENOTFOUND)
 * or unusable (read_rc S2P_EPARSE, why says what is wrong); else read_rc is
 * S2P_OK. Returns the document to write (new reference), or NULL to leave
 * the file as it is. */
typedef json_t *(*s2p_statefile_fn)(const json_t *doc, int read_rc,
    const char *why, void *arg);

/* Lock path, read it, let fn change it, write what fn returns atomically,
 * unlock. S2P_EIO when the lock or the write fails; fn is not called when
 * the lock fails. */
int s2p_statefile_update(const char *path, s2p_statefile_fn fn, void *arg,
    struct s2p_error *err) S2P_NODISCARD;

#endif
