/*
 * breaker.c - the file-backed circuit breaker (see breaker.h and
 * docs/internals/breaker.md). The transitions are the pure
 * s2p_breaker_apply; every mutating call runs it inside one
 * s2p_statefile_update (lock, read, change, save if anything changed,
 * unlock). The file is the truth; the struct is the snapshot of the last
 * call.
 */
#include "breaker.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "sync/statefile.h"

static const char *const state_keys[] = {"closed", "open", "half_open"};

void
s2p_breaker_init(struct s2p_breaker *b, const char *path)
{
	memset(b, 0, sizeof(*b));
	b->path = s2p_xstrdup(path);
	b->threshold = S2P_BREAKER_THRESHOLD;
	b->success_threshold = S2P_BREAKER_SUCCESS_THRESHOLD;
	b->recovery_timeout = S2P_BREAKER_RECOVERY_TIMEOUT;
	b->state = S2P_BREAKER_CLOSED;
}

void
s2p_breaker_free(struct s2p_breaker *b)
{
	if (b == NULL)
		return;
	free(b->path);
	b->path = NULL;
}

static void
set_closed_defaults(struct s2p_breaker *b)
{
	b->state = S2P_BREAKER_CLOSED;
	b->failures = 0;
	b->successes = 0;
	b->opened_at = 0.0;
	b->changed_at = 0.0;
}

/* Fill b from a parsed document of the fixed shape {state, failure_count,
 * success_count, opened_at, changed_at?}: the reference plugin's four keys
 * are required; changed_at is optional so its files load too. S2P_EPARSE
 * when invalid. */
static int
parse_doc(struct s2p_breaker *b, const json_t *doc, struct s2p_error *err)
{
	const char *st;
	json_t *opened, *changed = NULL;
	json_int_t failures, successes;
	size_t i;
	int found = -1, rc;

	rc = s2p_json_unpack(doc, err, b->path, "{s:s, s:I, s:I, s:o, s?o}",
	    "state", &st, "failure_count", &failures, "success_count",
	    &successes, "opened_at", &opened, "changed_at", &changed);
	if (rc != S2P_OK)
		return rc;
	for (i = 0; i < S2P_ARRAY_LEN(state_keys); i++)
		if (strcmp(st, state_keys[i]) == 0)
			found = (int)i;
	if (found < 0 || failures < 0 || failures > 1000000000 ||
	    successes < 0 || successes > 1000000000 ||
	    s2p_json_time(opened, &b->opened_at) < 0 ||
	    s2p_json_time(changed, &b->changed_at) < 0)
		return s2p_error_set(err, S2P_EPARSE,
		    "%s: corrupted state "
		    "file (a value is out of range)",
		    b->path);
	b->state = (enum s2p_breaker_state)found;
	b->failures = (int)failures;
	b->successes = (int)successes;
	/* OPEN or HALF_OPEN without an opening time cannot be timed out. */
	if (b->state != S2P_BREAKER_CLOSED && !(b->opened_at > 0))
		return s2p_error_set(err, S2P_EPARSE,
		    "%s: corrupted state "
		    "file (open without opened_at)",
		    b->path);
	if (b->changed_at == 0.0)
		b->changed_at = b->opened_at;
	return S2P_OK;
}

/* Fill b from the file's document as s2p_statefile_update hands it over.
 * Missing: CLOSED. Corrupt: CLOSED and b->corrupt, and err says why;
 * returns 1 then (the file must be rewritten), else 0. */
static int
take_doc(struct s2p_breaker *b, const json_t *doc, int read_rc,
    struct s2p_error *err)
{
	b->corrupt = 0;
	if (read_rc == S2P_ENOTFOUND) {
		set_closed_defaults(b);
		return 0;
	}
	if (read_rc == S2P_OK && parse_doc(b, doc, err) == S2P_OK)
		return 0;
	set_closed_defaults(b);
	b->corrupt = 1;
	return 1;
}

static json_t *
to_doc(const struct s2p_breaker *b)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "state", json_string(state_keys[b->state]));
	json_object_set_new(doc, "failure_count", json_integer(b->failures));
	json_object_set_new(doc, "success_count", json_integer(b->successes));
	json_object_set_new(doc, "opened_at",
	    b->opened_at > 0 ? json_real(b->opened_at) : json_null());
	json_object_set_new(doc, "changed_at", json_real(b->changed_at));
	return doc;
}

static void
go_open(struct s2p_breaker *b, double now)
{
	b->state = S2P_BREAKER_OPEN;
	b->failures = 0;
	b->successes = 0;
	b->opened_at = now;
	b->changed_at = now;
}

/* The lazy OPEN -> HALF_OPEN step. A clock that went backwards past
 * opened_at restarts the timeout from now instead of waiting for the clock
 * to catch up. Sets *dirty when b changed. */
static enum s2p_breaker_transition
apply_timeout(struct s2p_breaker *b, double now, int *dirty)
{
	if (b->state != S2P_BREAKER_OPEN)
		return S2P_BREAKER_TR_NONE;
	if (now < b->opened_at) {
		b->opened_at = now;
		b->changed_at = now;
		*dirty = 1;
		return S2P_BREAKER_TR_NONE;
	}
	if (now - b->opened_at < b->recovery_timeout)
		return S2P_BREAKER_TR_NONE;
	b->state = S2P_BREAKER_HALF_OPEN;
	b->successes = 0;
	b->changed_at = now;
	*dirty = 1;
	return S2P_BREAKER_TR_HALF_OPENED;
}

/* A counted result while CLOSED: a failure counts and may open. */
static enum s2p_breaker_transition
closed_result(struct s2p_breaker *b, int success, double now, int *dirty)
{
	int threshold = b->threshold > 0 ? b->threshold : 1;

	if (success) {
		*dirty |= b->failures != 0;
		b->failures = 0;
		return S2P_BREAKER_TR_NONE;
	}
	b->failures++;
	*dirty = 1;
	if (b->failures < threshold)
		return S2P_BREAKER_TR_NONE;
	go_open(b, now);
	return S2P_BREAKER_TR_OPENED;
}

/* A trial result while HALF_OPEN: a failure re-opens, enough successes
 * close. */
static enum s2p_breaker_transition
trial_result(struct s2p_breaker *b, int success, double now, int *dirty)
{
	*dirty = 1;
	if (!success) {
		go_open(b, now);
		return S2P_BREAKER_TR_REOPENED;
	}
	if (++b->successes < b->success_threshold)
		return S2P_BREAKER_TR_NONE;
	set_closed_defaults(b);
	b->changed_at = now;
	return S2P_BREAKER_TR_CLOSED;
}

enum s2p_breaker_transition
s2p_breaker_apply(struct s2p_breaker *b, enum s2p_breaker_event ev, double now,
    int *dirty)
{
	enum s2p_breaker_transition t, r = S2P_BREAKER_TR_NONE;
	int success = ev == S2P_BREAKER_EV_SUCCESS;

	if (ev == S2P_BREAKER_EV_RESET) {
		set_closed_defaults(b);
		b->changed_at = now;
		*dirty = 1;
		return S2P_BREAKER_TR_NONE;
	}
	t = apply_timeout(b, now, dirty);
	if (ev == S2P_BREAKER_EV_ALLOW)
		return t;
	switch (b->state) {
	case S2P_BREAKER_CLOSED:
		r = closed_result(b, success, now, dirty);
		break;
	case S2P_BREAKER_HALF_OPEN:
		r = trial_result(b, success, now, dirty);
		break;
	case S2P_BREAKER_OPEN:
		/* results of jobs started before it opened: not evidence */
		break;
	}
	/* A result that changes nothing more reports the timeout's step. */
	return r != S2P_BREAKER_TR_NONE ? r : t;
}

int
s2p_breaker_load(struct s2p_breaker *b, int *exists_out, struct s2p_error *err)
{
	json_t *doc = NULL;
	int rc = s2p_statefile_read(b->path, &doc, err);

	if (exists_out != NULL)
		*exists_out = rc != S2P_ENOTFOUND;
	if (take_doc(b, doc, rc, err) && rc == S2P_OK)
		rc = S2P_EPARSE;
	json_decref(doc);
	return rc == S2P_ENOTFOUND ? S2P_OK : rc;
}

/* One breaker operation in progress (s2p_statefile_fn argument). */
struct op {
	struct s2p_breaker *b;
	enum s2p_breaker_event ev;
	double now;
	enum s2p_breaker_transition tr;
	int called;
};

/* s2p_statefile_fn: read, apply the event, save when anything changed. A
 * corrupt file reads as CLOSED and is rewritten. */
static json_t *
update_fn(const json_t *doc, int read_rc, const char *why, void *arg)
{
	struct op *op = arg;
	int dirty = 0;

	(void)why;
	op->called = 1;
	if (take_doc(op->b, doc, read_rc, NULL)) {
		op->b->changed_at = op->now;
		dirty = 1;
	}
	op->tr = s2p_breaker_apply(op->b, op->ev, op->now, &dirty);
	return dirty ? to_doc(op->b) : NULL;
}

/* ALLOW without the lock, when it changes nothing (the worker asks before
 * every job): the file is only ever replaced whole, so reading it unlocked
 * sees one consistent state. Returns 1 with b and *tr set, or 0 when the
 * event would write (a timeout step, a corrupt file): the caller then
 * takes the locked path. */
static int
allow_unlocked(struct s2p_breaker *b, double now,
    enum s2p_breaker_transition *tr)
{
	struct s2p_breaker snap = *b;
	json_t *doc = NULL;
	int rc = s2p_statefile_read(b->path, &doc, NULL), dirty = 0;

	/* No file but a snapshot that is not the default: a save failed
	 * (say, no directory); the locked path reports it. */
	if (rc == S2P_ENOTFOUND &&
	    (b->state != S2P_BREAKER_CLOSED || b->failures || b->successes))
		return 0;
	dirty = take_doc(&snap, doc, rc, NULL);
	json_decref(doc);
	if (dirty)
		return 0;
	*tr = s2p_breaker_apply(&snap, S2P_BREAKER_EV_ALLOW, now, &dirty);
	if (dirty)
		return 0;
	*b = snap;
	return 1;
}

/* Run ev through the file. When the lock fails, the event is applied to
 * the last snapshot anyway, so the caller can still decide. */
static int
run_event(struct s2p_breaker *b, enum s2p_breaker_event ev, double now,
    enum s2p_breaker_transition *tr, struct s2p_error *err)
{
	struct op op = {b, ev, now, S2P_BREAKER_TR_NONE, 0};
	int dirty = 0, rc;

	if (ev == S2P_BREAKER_EV_ALLOW && allow_unlocked(b, now, &op.tr)) {
		if (tr != NULL)
			*tr = op.tr;
		return S2P_OK;
	}
	rc = s2p_statefile_update(b->path, update_fn, &op, err);

	if (!op.called)
		op.tr = s2p_breaker_apply(b, ev, now, &dirty);
	if (tr != NULL)
		*tr = op.tr;
	return rc;
}

int
s2p_breaker_allow(struct s2p_breaker *b, double now, int *allowed,
    enum s2p_breaker_transition *tr, struct s2p_error *err)
{
	int rc = run_event(b, S2P_BREAKER_EV_ALLOW, now, tr, err);

	*allowed = b->state != S2P_BREAKER_OPEN;
	return rc;
}

int
s2p_breaker_record(struct s2p_breaker *b, int success, double now,
    enum s2p_breaker_transition *tr, struct s2p_error *err)
{
	return run_event(b,
	    success ? S2P_BREAKER_EV_SUCCESS : S2P_BREAKER_EV_FAILURE, now, tr,
	    err);
}

int
s2p_breaker_reset(struct s2p_breaker *b, double now, struct s2p_error *err)
{
	return run_event(b, S2P_BREAKER_EV_RESET, now, NULL, err);
}

enum s2p_breaker_state
s2p_breaker_effective_state(const struct s2p_breaker *b, double now)
{
	if (b->state == S2P_BREAKER_OPEN &&
	    now - b->opened_at >= b->recovery_timeout)
		return S2P_BREAKER_HALF_OPEN;
	return b->state;
}

double
s2p_breaker_retry_in(const struct s2p_breaker *b, double now)
{
	double left;

	if (b->state != S2P_BREAKER_OPEN)
		return 0.0;
	left = b->opened_at + b->recovery_timeout - now;
	if (left < 0)
		return 0.0;
	return left > b->recovery_timeout ? b->recovery_timeout : left;
}

const char *
s2p_breaker_state_name(enum s2p_breaker_state st)
{
	switch (st) {
	case S2P_BREAKER_CLOSED:
		return "CLOSED";
	case S2P_BREAKER_OPEN:
		return "OPEN";
	case S2P_BREAKER_HALF_OPEN:
		return "HALF_OPEN";
	}
	return "UNKNOWN";
}

const char *
s2p_breaker_transition_name(enum s2p_breaker_transition tr)
{
	switch (tr) {
	case S2P_BREAKER_TR_NONE:
		return "none";
	case S2P_BREAKER_TR_OPENED:
		return "opened";
	case S2P_BREAKER_TR_HALF_OPENED:
		return "half_opened";
	case S2P_BREAKER_TR_CLOSED:
		return "closed";
	case S2P_BREAKER_TR_REOPENED:
		return "reopened";
	}
	return "unknown";
}
