/*
 * breaker.c - the file-backed circuit breaker (see breaker.h and
 * docs/internals/breaker.md). Every mutating call is: lock, read the file,
 * apply the change in memory, save if anything changed, unlock. The file is
 * the truth; the struct is the snapshot of the last call.
 */
#include "breaker.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/xalloc.h"
#include "sync/statefile.h"

static const char *const state_keys[] = { "closed", "open", "half_open" };

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

/* A non-negative JSON integer that fits an int, else -1. */
static int
get_count(const json_t *doc, const char *key)
{
	const json_t *v = json_object_get(doc, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	return n >= 0 && n <= 1000000000 ? (int)n : -1;
}

/* A JSON number or null (0) stored in *out; -1 for anything else or when
 * absent and required. */
static int
get_time(const json_t *doc, const char *key, int required, double *out)
{
	const json_t *v = json_object_get(doc, key);

	*out = 0.0;
	if (v == NULL)
		return required ? -1 : 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* Fill b from a parsed document. The reference plugin's four keys are
 * required; changed_at is optional so its files load too. -1 when invalid. */
static int
parse_doc(struct s2p_breaker *b, const json_t *doc)
{
	const char *st;
	size_t i;
	int found = -1;

	if (!json_is_object(doc))
		return -1;
	st = json_string_value(json_object_get(doc, "state"));
	if (st == NULL)
		return -1;
	for (i = 0; i < S2P_ARRAY_LEN(state_keys); i++)
		if (strcmp(st, state_keys[i]) == 0)
			found = (int)i;
	if (found < 0)
		return -1;
	b->state = (enum s2p_breaker_state)found;
	b->failures = get_count(doc, "failure_count");
	b->successes = get_count(doc, "success_count");
	if (b->failures < 0 || b->successes < 0)
		return -1;
	if (get_time(doc, "opened_at", 1, &b->opened_at) != 0 ||
	    get_time(doc, "changed_at", 0, &b->changed_at) != 0)
		return -1;
	/* OPEN or HALF_OPEN without an opening time cannot be timed out. */
	if (b->state != S2P_BREAKER_CLOSED && !(b->opened_at > 0))
		return -1;
	if (b->changed_at == 0.0)
		b->changed_at = b->opened_at;
	return 0;
}

/* Read the file into b. Missing: CLOSED, *exists 0, S2P_OK. Corrupt: CLOSED,
 * b->corrupt 1, S2P_EPARSE. */
static int
read_state(struct s2p_breaker *b, int *exists, struct s2p_error *err)
{
	json_t *doc = NULL;
	int rc;

	b->corrupt = 0;
	*exists = 1;
	rc = s2p_statefile_read(b->path, &doc, err);
	if (rc == S2P_ENOTFOUND) {
		*exists = 0;
		set_closed_defaults(b);
		rc = S2P_OK;
		goto out;
	}
	if (rc == S2P_OK && parse_doc(b, doc) != 0)
		rc = s2p_error_set(err, S2P_EPARSE,
		    "%s: corrupted state file (missing keys or wrong types)",
		    b->path);
	if (rc != S2P_OK) {
		set_closed_defaults(b);
		b->corrupt = 1;
	}
out:
	json_decref(doc);
	return rc;
}

static int
save_state(const struct s2p_breaker *b, struct s2p_error *err)
{
	json_t *doc = json_object();
	int rc;

	json_object_set_new(doc, "state", json_string(state_keys[b->state]));
	json_object_set_new(doc, "failure_count", json_integer(b->failures));
	json_object_set_new(doc, "success_count", json_integer(b->successes));
	json_object_set_new(doc, "opened_at",
	    b->opened_at > 0 ? json_real(b->opened_at) : json_null());
	json_object_set_new(doc, "changed_at", json_real(b->changed_at));
	rc = s2p_statefile_write(b->path, doc, err);
	json_decref(doc);
	return rc;
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

int
s2p_breaker_load(struct s2p_breaker *b, int *exists_out, struct s2p_error *err)
{
	int exists;
	int rc = read_state(b, &exists, err);

	if (exists_out != NULL)
		*exists_out = exists;
	return rc;
}

/* Lock and read. A corrupt file is not an error here: it reads as CLOSED and
 * the caller rewrites it (*dirty set). */
static int
begin(struct s2p_breaker *b, double now, int *fd, int *dirty,
    struct s2p_error *err)
{
	int exists;
	int rc = s2p_statefile_lock(b->path, fd, err);

	*dirty = 0;
	if (rc != S2P_OK)
		return rc;
	if (read_state(b, &exists, NULL) != S2P_OK) {
		b->changed_at = now;
		*dirty = 1;
	}
	return S2P_OK;
}

int
s2p_breaker_allow(struct s2p_breaker *b, double now, int *allowed,
    enum s2p_breaker_transition *tr, struct s2p_error *err)
{
	enum s2p_breaker_transition t;
	int fd = -1, dirty = 0;
	int rc = begin(b, now, &fd, &dirty, err);

	/* on a lock failure, judge the last snapshot so the caller can still
	 * decide */
	t = apply_timeout(b, now, &dirty);
	if (rc == S2P_OK && dirty)
		rc = save_state(b, err);
	s2p_statefile_unlock(fd);
	*allowed = b->state != S2P_BREAKER_OPEN;
	if (tr != NULL)
		*tr = t;
	return rc;
}

int
s2p_breaker_record(struct s2p_breaker *b, int success, double now,
    enum s2p_breaker_transition *tr, struct s2p_error *err)
{
	enum s2p_breaker_transition t;
	int fd = -1, dirty = 0, threshold;
	int rc = begin(b, now, &fd, &dirty, err);

	/* on a lock failure, apply the change to the last snapshot anyway */
	t = apply_timeout(b, now, &dirty);
	switch (b->state) {
	case S2P_BREAKER_CLOSED:
		threshold = b->threshold > 0 ? b->threshold : 1;
		if (success) {
			dirty |= b->failures != 0;
			b->failures = 0;
		} else {
			b->failures++;
			dirty = 1;
			if (b->failures >= threshold) {
				go_open(b, now);
				t = S2P_BREAKER_TR_OPENED;
			}
		}
		break;
	case S2P_BREAKER_HALF_OPEN:
		dirty = 1;
		if (!success) {
			go_open(b, now);
			t = S2P_BREAKER_TR_REOPENED;
		} else if (++b->successes >= b->success_threshold) {
			b->state = S2P_BREAKER_CLOSED;
			b->failures = 0;
			b->successes = 0;
			b->opened_at = 0.0;
			b->changed_at = now;
			t = S2P_BREAKER_TR_CLOSED;
		}
		break;
	case S2P_BREAKER_OPEN:
		/* results of jobs started before it opened: not evidence */
		break;
	}
	if (rc == S2P_OK && dirty)
		rc = save_state(b, err);
	s2p_statefile_unlock(fd);
	if (tr != NULL)
		*tr = t;
	return rc;
}

int
s2p_breaker_reset(struct s2p_breaker *b, double now, struct s2p_error *err)
{
	int fd = -1, dirty = 0;
	int rc = begin(b, now, &fd, &dirty, err);

	set_closed_defaults(b);
	b->changed_at = now;
	if (rc == S2P_OK)
		rc = save_state(b, err);
	s2p_statefile_unlock(fd);
	return rc;
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
	case S2P_BREAKER_CLOSED: return "CLOSED";
	case S2P_BREAKER_OPEN: return "OPEN";
	case S2P_BREAKER_HALF_OPEN: return "HALF_OPEN";
	}
	return "UNKNOWN";
}

const char *
s2p_breaker_transition_name(enum s2p_breaker_transition tr)
{
	switch (tr) {
	case S2P_BREAKER_TR_NONE: return "none";
	case S2P_BREAKER_TR_OPENED: return "opened";
	case S2P_BREAKER_TR_HALF_OPENED: return "half_opened";
	case S2P_BREAKER_TR_CLOSED: return "closed";
	case S2P_BREAKER_TR_REOPENED: return "reopened";
	}
	return "unknown";
}
