/*
 * err.h - the one error convention of the project.
 *
 * Every fallible function returns int: S2P_OK (0) or a negative enum
 * s2p_status. The code *is* the retry decision (see s2p_status_class), so
 * callers never guess from message text. Human detail goes into an optional
 * caller-owned struct s2p_error (fixed buffer, so error paths never allocate).
 * Messages must never contain secrets: URLs carry no token (it travels in a
 * header) and cookies are never formatted into errors.
 */
#ifndef S2P_ERR_H
#define S2P_ERR_H

#include "compat.h"

enum s2p_status {
	S2P_OK = 0,
	S2P_EINVAL = -1, /* bad argument, setting or input document */
	S2P_EPARSE = -2, /* malformed reply, state file or stdin */
	S2P_EIO = -3,    /* local file system or database failure */
	S2P_EDOWN = -4,  /* server unreachable: refused, DNS, no route, TLS to a
			    down host */
	S2P_ETEMP = -5,  /* temporary: timeout, 429, 5xx, 503, truncated body */
	S2P_ENOTFOUND = -6, /* remote object does not exist (yet) */
	S2P_EAUTH = -7,     /* 401/403: token or session rejected (permanent) */
	S2P_EPERM =
	    -8, /* permanent: 400, ambiguous strict match, invalid data */
	S2P_EBUSY = -9,  /* a lock is held by someone else */
	S2P_ESTOP = -10, /* cancelled on request (shutdown) */
	S2P_EDISK = -11, /* the database cannot be written (disk full,
			  * read-only): retrying cannot help, stop */
	S2P_ECORRUPT =
	    -12,        /* the database file is corrupt: stop, move it aside */
	S2P_ETLS = -13, /* the server's certificate is not accepted: a
			 * setting must change; retrying cannot help */
};

/* How the worker treats a failure. Decided once, here. */
enum s2p_err_class {
	S2P_CLASS_NONE, /* success */
	S2P_CLASS_DOWN, /* pause behind the breaker, never exhausts attempts */
	S2P_CLASS_TRANSIENT, /* retry with backoff, counts toward the breaker */
	S2P_CLASS_NOTFOUND,  /* retry slowly (or skip), never counts toward the
				breaker */
	S2P_CLASS_PERMANENT, /* dead-letter at once, never counts toward the
				breaker */
};

struct s2p_error {
	int code;           /* enum s2p_status */
	long http_status;   /* HTTP status when one was received, else 0 */
	double retry_after; /* seconds from a Retry-After header, else 0 */
	char msg[256];
};

/* Record a failure in err (may be NULL) and return code, so callers can write
 * `return s2p_error_set(err, S2P_EIO, "...")`. */
int s2p_error_set(struct s2p_error *err, int code, const char *fmt, ...)
    S2P_PRINTF(3, 4);

/* A programming error (a broken precondition the caller controls, never
 * bad input) is not a status: it is asserted, in every build (NDEBUG does
 * not turn it off), and aborts with the place it failed. A status would
 * class a bug as a permanent failure and dead-letter a job. */
#define s2p_assert(cond)                                                       \
	((cond) ? (void)0 : s2p_assert_fail(#cond, __FILE__, __LINE__))
void s2p_assert_fail(const char *what, const char *file, int line) S2P_NORETURN;

/* Reset err to "no error". err may be NULL. */
void s2p_error_clear(struct s2p_error *err);

/* Short stable name of a status code ("down", "temporary", ...). */
const char *s2p_status_name(int code);

/* The retry class of a status code. */
enum s2p_err_class s2p_status_class(int code);

/* The status code whose s2p_status_name is name; 1 (never a status) when
 * none is. */
int s2p_status_from_name(const char *name);
/* The user-facing name of a retry class: "none", "server-down",
 * "transient", "not-found", "permanent". */
const char *s2p_class_name(enum s2p_err_class cls);
/* The retry class of a stored status name (unknown names: permanent). */
enum s2p_err_class s2p_class_of_name(const char *name);

#endif
