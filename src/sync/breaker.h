/*
 * breaker.h - the circuit breaker that pauses the queue while Plex is down.
 *
 * CLOSED: jobs run; `threshold` consecutive counted failures open it.
 * OPEN: jobs wait; once recovery_timeout has passed since opened_at the next
 * s2p_breaker_allow (or record) moves it to HALF_OPEN. There is no timer.
 * HALF_OPEN: jobs run as trials; success_threshold successes close it, any
 * failure re-opens it with a new opened_at.
 *
 * The state lives in a JSON file (S2P_BREAKER_FILE in the data directory) so
 * that every process sees the same breaker. allow/record/reset are
 * read-modify-write cycles under an exclusive flock on "<file>.lock", and a
 * save is never skipped: a failed save is reported as S2P_EIO. Only the
 * failures that say something about the server's health may be recorded:
 * callers pass S2P_CLASS_DOWN and S2P_CLASS_TRANSIENT failures, never
 * not-found, permanent or dedup outcomes. Active health probes never write
 * breaker state. See docs/internals/breaker.md.
 */
#ifndef S2P_BREAKER_H
#define S2P_BREAKER_H

#include "core/compat.h"
#include "core/datafiles.h"
#include "core/err.h"

#define S2P_BREAKER_THRESHOLD 5
#define S2P_BREAKER_RECOVERY_TIMEOUT 60.0
#define S2P_BREAKER_SUCCESS_THRESHOLD 1

enum s2p_breaker_state {
	S2P_BREAKER_CLOSED,
	S2P_BREAKER_OPEN,
	S2P_BREAKER_HALF_OPEN,
};

/* What an operation changed, so the caller can log it and record outages. */
enum s2p_breaker_transition {
	S2P_BREAKER_TR_NONE,
	S2P_BREAKER_TR_OPENED,      /* CLOSED -> OPEN (threshold reached) */
	S2P_BREAKER_TR_HALF_OPENED, /* OPEN -> HALF_OPEN (timeout elapsed) */
	S2P_BREAKER_TR_CLOSED,      /* HALF_OPEN -> CLOSED (trial succeeded) */
	S2P_BREAKER_TR_REOPENED,    /* HALF_OPEN -> OPEN (trial failed) */
};

struct s2p_breaker {
	char *path;              /* owned copy of the state file path */
	int threshold;           /* failures that open it (5) */
	int success_threshold;   /* HALF_OPEN successes that close it (1) */
	double recovery_timeout; /* seconds OPEN before HALF_OPEN (60) */
	/* Snapshot of the file after the last operation: */
	enum s2p_breaker_state state;
	int failures;      /* consecutive counted failures while CLOSED */
	int successes;     /* successes while HALF_OPEN */
	double opened_at;  /* epoch seconds of the last opening, 0 = none */
	double changed_at; /* epoch seconds of the last change, 0 = never */
	int corrupt;       /* the last read found a bad file (read as CLOSED) */
};

/* Initialise b for the state file at path (copied) with the default
 * parameters, CLOSED. Adjust threshold etc. before first use if needed. */
void s2p_breaker_init(struct s2p_breaker *b, const char *path);
/* Free what init allocated. NULL and repeated calls are fine. */
void s2p_breaker_free(struct s2p_breaker *b);

/* Read-only snapshot for status views (no lock, no write, no lazy
 * transition). A missing file gives CLOSED with *exists_out 0 and S2P_OK.
 * A corrupt or unreadable one gives CLOSED, b->corrupt 1, *exists_out 1 and
 * S2P_EPARSE ("corrupted state file"). exists_out may be NULL. */
int s2p_breaker_load(struct s2p_breaker *b, int *exists_out,
    struct s2p_error *err) S2P_NODISCARD;

/* May a job run now? Applies the lazy OPEN -> HALF_OPEN transition (saved)
 * and sets *allowed to 0 only while OPEN. A corrupt file is treated as
 * CLOSED, rewritten, and flagged in b->corrupt (still S2P_OK). tr may be NULL.
 * S2P_EIO when the lock or the save fails; *allowed then reflects the state
 * computed in memory. */
int s2p_breaker_allow(struct s2p_breaker *b, double now, int *allowed,
    enum s2p_breaker_transition *tr, struct s2p_error *err) S2P_NODISCARD;

/* Record the outcome of a job (or trial) that counts toward the breaker.
 * CLOSED: success resets the failure count, a failure counts and may open.
 * HALF_OPEN: success may close, failure re-opens. OPEN (timeout not yet
 * elapsed): ignored. The lazy OPEN -> HALF_OPEN transition is applied first,
 * so a success after the timeout closes it (tr = CLOSED). tr may be NULL.
 * S2P_EIO when the lock or the save fails (b holds the new state anyway). */
int s2p_breaker_record(struct s2p_breaker *b, int success, double now,
    enum s2p_breaker_transition *tr, struct s2p_error *err) S2P_NODISCARD;

/* Force CLOSED with zero counters (manual reset task). S2P_EIO on failure. */
int s2p_breaker_reset(struct s2p_breaker *b, double now,
    struct s2p_error *err) S2P_NODISCARD;

/* The operations above, as events of the pure state machine. */
enum s2p_breaker_event {
	S2P_BREAKER_EV_ALLOW,   /* may a job run? (the lazy timeout only) */
	S2P_BREAKER_EV_SUCCESS, /* a counted job succeeded */
	S2P_BREAKER_EV_FAILURE, /* a counted job failed */
	S2P_BREAKER_EV_RESET,   /* manual reset */
};

/* The state machine without the file: apply ev at now to b's snapshot and
 * return the transition; *dirty is set when b changed (the file must be
 * rewritten). allow/record/reset are this function inside one locked
 * read-modify-write of the file. */
enum s2p_breaker_transition s2p_breaker_apply(struct s2p_breaker *b,
    enum s2p_breaker_event ev, double now, int *dirty);

/* The state b would have at now: HALF_OPEN for an OPEN snapshot whose
 * timeout has elapsed. Pure; for status views. */
enum s2p_breaker_state s2p_breaker_effective_state(const struct s2p_breaker *b,
    double now);
/* Seconds until an OPEN breaker may become HALF_OPEN (0 when not OPEN or
 * already due). */
double s2p_breaker_retry_in(const struct s2p_breaker *b, double now);

/* "CLOSED", "OPEN" or "HALF_OPEN". */
const char *s2p_breaker_state_name(enum s2p_breaker_state st);
/* "none", "opened", "half_opened", "closed" or "reopened". */
const char *s2p_breaker_transition_name(enum s2p_breaker_transition tr);

#endif
