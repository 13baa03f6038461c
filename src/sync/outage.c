/*
 * outage.c - outage history file, statistics and durations (see outage.h).
 * Records are kept oldest first; only the newest may be ongoing (load closes
 * any older open record at the start of the next one, which is the latest it
 * can have ended).
 */
#include "outage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sync/statefile.h"

void
s2p_outage_list_free(struct s2p_outage_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Parse one entry; -1 when it is unusable (it is then dropped). */
static int
parse_entry(const json_t *obj, struct s2p_outage *o)
{
	const json_t *jobs;
	int r;

	memset(o, 0, sizeof(*o));
	if (!json_is_object(obj) ||
	    s2p_json_time(json_object_get(obj, "started_at"), &o->started_at))
		return -1;
	r = s2p_json_time(json_object_get(obj, "ended_at"), &o->ended_at);
	if (r < 0)
		return -1;
	o->ongoing = r == 1;
	if (!o->ongoing) {
		if (o->ended_at < o->started_at)
			o->ended_at = o->started_at;
		o->duration = o->ended_at - o->started_at;
	}
	/* "jobs_affected" is the reference plugin's name for the field */
	jobs = json_object_get(obj, "jobs_waited");
	if (jobs == NULL)
		jobs = json_object_get(obj, "jobs_affected");
	if (json_is_integer(jobs) && json_integer_value(jobs) > 0)
		o->jobs_waited = (long)json_integer_value(jobs);
	return 0;
}

static void
close_at(struct s2p_outage *o, double t, long jobs)
{
	o->ongoing = 0;
	o->ended_at = t > o->started_at ? t : o->started_at;
	o->duration = o->ended_at - o->started_at;
	o->jobs_waited = jobs;
}

/* Fill l from a parsed document; -1 when it is not an array. Keeps the
 * newest S2P_OUTAGE_MAX valid entries. */
static int
parse_list(const json_t *doc, struct s2p_outage_list *l)
{
	size_t i, n = json_array_size(doc);

	l->v = NULL;
	l->n = 0;
	if (!json_is_array(doc))
		return -1;
	l->v = s2p_xcalloc(n ? n : 1, sizeof(*l->v));
	for (i = 0; i < n; i++)
		if (parse_entry(json_array_get(doc, i), &l->v[l->n]) == 0)
			l->n++;
	if (l->n > S2P_OUTAGE_MAX) {
		memmove(l->v, l->v + (l->n - S2P_OUTAGE_MAX),
		    S2P_OUTAGE_MAX * sizeof(*l->v));
		l->n = S2P_OUTAGE_MAX;
	}
	for (i = 0; i + 1 < l->n; i++)
		if (l->v[i].ongoing)
			close_at(&l->v[i], l->v[i + 1].started_at,
			    l->v[i].jobs_waited);
	return 0;
}

int
s2p_outage_load(const char *path, struct s2p_outage_list *out,
    struct s2p_error *err)
{
	json_t *doc = NULL;
	int rc = s2p_statefile_read(path, &doc, err);

	out->v = NULL;
	out->n = 0;
	if (rc == S2P_ENOTFOUND) {
		rc = S2P_OK;
		goto out;
	}
	if (rc == S2P_OK && parse_list(doc, out) != 0)
		rc = s2p_error_set(err, S2P_EPARSE,
		    "%s: corrupted outage history (not an array)", path);
out:
	json_decref(doc);
	return rc;
}

static json_t *
list_doc(const struct s2p_outage_list *l)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct s2p_outage *o = &l->v[i];
		json_t *obj = json_object();

		json_object_set_new(obj, "started_at",
		    json_real(o->started_at));
		json_object_set_new(obj, "ended_at",
		    o->ongoing ? json_null() : json_real(o->ended_at));
		json_object_set_new(obj, "duration",
		    o->ongoing ? json_null() : json_real(o->duration));
		json_object_set_new(obj, "jobs_waited",
		    json_integer(o->jobs_waited));
		json_array_append_new(arr, obj);
	}
	return arr;
}

/* The newest record if it is ongoing, else NULL. */
static struct s2p_outage *
open_record(struct s2p_outage_list *l)
{
	if (l->n > 0 && l->v[l->n - 1].ongoing)
		return &l->v[l->n - 1];
	return NULL;
}

int
s2p_outage_list_start(struct s2p_outage_list *l, double now)
{
	if (open_record(l) != NULL)
		return 0;
	if (l->n == S2P_OUTAGE_MAX) {
		memmove(l->v, l->v + 1, (l->n - 1) * sizeof(*l->v));
		l->n--;
	}
	l->v = s2p_xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n].started_at = now;
	l->v[l->n].ongoing = 1;
	l->n++;
	return 1;
}

int
s2p_outage_list_end(struct s2p_outage_list *l, double now, long jobs_waited)
{
	struct s2p_outage *o = open_record(l);

	if (o == NULL)
		return 0;
	close_at(o, now, jobs_waited > 0 ? jobs_waited : 0);
	return 1;
}

int
s2p_outage_list_reconcile(struct s2p_outage_list *l, int breaker_open,
    double breaker_changed_at, double now)
{
	struct s2p_outage *o = breaker_open ? NULL : open_record(l);
	double end;

	if (o == NULL)
		return 0;
	end = breaker_changed_at > 0 ? breaker_changed_at : o->started_at;
	if (end > now)
		end = now;
	close_at(o, end, o->jobs_waited);
	return 1;
}

/* One change of the history (s2p_statefile_fn argument). */
struct op {
	int (*change)(struct s2p_outage_list *l, const struct op *op);
	const char *path;
	double now;
	double changed_at;
	long jobs;
};

/* s2p_statefile_fn: parse the history (a corrupt one is logged and treated
 * as empty, so the save replaces it), change it, save when changed. */
static json_t *
update_fn(const json_t *doc, int read_rc, const char *why, void *arg)
{
	const struct op *op = arg;
	struct s2p_outage_list l = {NULL, 0};
	json_t *next = NULL;

	if (read_rc == S2P_EPARSE)
		s2p_warn("Outage history unreadable, starting a new one: %s",
		    why);
	else if (read_rc == S2P_OK && parse_list(doc, &l) != 0)
		s2p_warn("Outage history unreadable, starting a new one: "
			 "%s: corrupted outage history (not an array)",
		    op->path);
	if (op->change(&l, op))
		next = list_doc(&l);
	s2p_outage_list_free(&l);
	return next;
}

static int
do_start(struct s2p_outage_list *l, const struct op *op)
{
	return s2p_outage_list_start(l, op->now);
}

static int
do_end(struct s2p_outage_list *l, const struct op *op)
{
	return s2p_outage_list_end(l, op->now, op->jobs);
}

static int
do_reconcile(struct s2p_outage_list *l, const struct op *op)
{
	return s2p_outage_list_reconcile(l, 0, op->changed_at, op->now);
}

int
s2p_outage_start(const char *path, double now, struct s2p_error *err)
{
	struct op op = {do_start, path, now, 0, 0};

	return s2p_statefile_update(path, update_fn, &op, err);
}

int
s2p_outage_end(const char *path, double now, long jobs_waited,
    struct s2p_error *err)
{
	struct op op = {do_end, path, now, 0, jobs_waited};

	return s2p_statefile_update(path, update_fn, &op, err);
}

int
s2p_outage_reconcile(const char *path, int breaker_open,
    double breaker_changed_at, double now, struct s2p_error *err)
{
	struct op op = {do_reconcile, path, now, breaker_changed_at, 0};

	if (breaker_open)
		return S2P_OK;
	return s2p_statefile_update(path, update_fn, &op, err);
}

void
s2p_outage_compute_stats(const struct s2p_outage_list *l,
    struct s2p_outage_stats *out)
{
	double gaps = 0.0, prev_end = 0.0;
	size_t i, npairs = 0;

	memset(out, 0, sizeof(*out));
	out->count = l->n;
	for (i = 0; i < l->n; i++) {
		const struct s2p_outage *o = &l->v[i];

		if (o->ongoing) {
			out->ongoing = 1;
			out->ongoing_since = o->started_at;
			continue;
		}
		if (out->completed > 0) {
			double gap = o->started_at - prev_end;

			gaps += gap > 0 ? gap : 0.0;
			npairs++;
		}
		out->completed++;
		out->total_downtime += o->duration;
		prev_end = o->ended_at;
	}
	if (out->completed > 0)
		out->mttr = out->total_downtime / (double)out->completed;
	out->have_mtbf = npairs > 0;
	if (out->have_mtbf)
		out->mtbf = gaps / (double)npairs;
	if (out->completed == 0)
		out->availability = 100.0;
	else if (!out->have_mtbf)
		out->availability = -1.0;
	else if (out->mtbf + out->mttr > 0)
		out->availability = out->mtbf / (out->mtbf + out->mttr) * 100.0;
	else
		out->availability = 100.0;
}

char *
s2p_format_duration(double secs, char *buf, size_t len)
{
	long long t;

	if (len == 0)
		return buf;
	if (!(secs > 0))
		secs = 0.0;
	if (secs > 1e15)
		secs = 1e15;
	t = (long long)secs;
	if (t < 60)
		snprintf(buf, len, "%llds", t);
	else if (t < 3600)
		snprintf(buf, len, "%lldm %llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lldh %lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", t / 86400, t % 86400 / 3600);
	return buf;
}
