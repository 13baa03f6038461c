/*
 * fsutil.h - small file-system helpers: directories, atomic writes, capped
 * reads and advisory locks. All paths are caller-owned strings.
 */
#ifndef S2P_FSUTIL_H
#define S2P_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "compat.h"
#include "err.h"

/* Create path and its parents with mode (existing directories are fine). */
int s2p_mkdir_p(const char *path, mode_t mode,
    struct s2p_error *err) S2P_NODISCARD;
/* Write data to path atomically (temp file in the same directory, fsync,
 * rename) with the given mode. */
int s2p_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct s2p_error *err) S2P_NODISCARD;
/* Read a whole file into out (capped by out's limit). S2P_ENOTFOUND when the
 * file does not exist. */
int s2p_read_file(const char *path, struct s2p_buf *out,
    struct s2p_error *err) S2P_NODISCARD;
/* Try to take an exclusive flock on path without blocking. On success *fd_out
 * holds the open descriptor (close it to release). S2P_EBUSY when another
 * process holds it. */
int s2p_lock_try(const char *path, int *fd_out,
    struct s2p_error *err) S2P_NODISCARD;
/* 1 when some process holds the lock on path, else 0. */
int s2p_lock_held(const char *path);

#endif
