/*
 * wake.h - a doorbell for the resident background worker: a FIFO in the data
 * directory (worker.wake, 0600). The worker listens on it while idle; a hook
 * that found the worker running rings it after queueing a job, without ever
 * blocking (no listener, a full pipe or a missing FIFO are all fine). A ring
 * may carry the hook's fresh Stash session cookie, so a worker that lives for
 * days keeps a valid session; the pipe is private to the data directory's
 * owner and the cookie never touches disk. Linux/POSIX FIFOs only: where
 * mkfifo is refused the worker falls back to polling.
 */
#ifndef S2P_WAKE_H
#define S2P_WAKE_H

#include "compat.h"
#include "err.h"

/* Longest cookie a ring carries (one write of at most PIPE_BUF bytes, so
 * rings from concurrent hooks never interleave). */
#define S2P_WAKE_COOKIE_MAX 2048

struct s2p_wake {
	int rfd; /* read end, non-blocking; -1 when listening failed */
	int wfd; /* our own write end: keeps poll() from seeing a hang-up */
};

/* Create (if needed) and open the FIFO at path for listening. On failure
 * (no FIFO support, not a FIFO) w->rfd is -1 and the caller polls instead.
 * Errors: S2P_EIO. */
int s2p_wake_listen(struct s2p_wake *w, const char *path,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_wake_close(struct s2p_wake *w);
/* Wait up to secs for a ring (returns early on a signal). Drains every
 * pending ring; *rung is set when there was one: 1 for work, 2 when a ring
 * asked the listener to leave (s2p_wake_ring_leave; wins over work). When a
 * ring carried a valid cookie, the newest one goes to *cookie (caller frees;
 * replaces an earlier value). Without a listener it just sleeps. */
void s2p_wake_wait(struct s2p_wake *w, double secs, int *rung, char **cookie);
/* Ring the bell at path without blocking; cookie may be NULL. Silent when
 * nobody listens or anything fails: the worker's own polling is the
 * fallback. */
void s2p_wake_ring(const char *path, const char *cookie);
/* Ask the listener to give up the worker lock and exit (`stash2plex
 * daemon` taking over from a resident worker). Never blocks. */
void s2p_wake_ring_leave(const char *path);

#endif
