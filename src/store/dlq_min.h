/*
 * dlq_min.h - retry or drop chosen dead letters, for the Stash UI's
 * buttons. A stand-in with the same signatures as the CLI's dead-letter
 * functions (store/queue.h on the cli branch); removed when those land.
 */
#ifndef S2P_DLQ_MIN_H
#define S2P_DLQ_MIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"
#include "store/db.h"

/* Put each dead letter of ids[0..n) back on the queue (merged into a job
 * already queued for its scene, due now at the latest) and delete it. All
 * or nothing: an id that is not a dead letter is S2P_ENOTFOUND naming it.
 * *n_out (may be NULL) gets n. */
int s2p_dlq_retry(struct s2p_db *db, const int64_t *ids, size_t n, double now,
    long *n_out, struct s2p_error *err) S2P_NODISCARD;
/* Delete the dead letters of ids[0..n), all or nothing as above. */
int s2p_dlq_drop(struct s2p_db *db, const int64_t *ids, size_t n, long *n_out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
