/*
 * status.c - the one status document (see status.h and docs/cli.md): built
 * from the database (queue counts, dead letters, last sync, reconcile
 * times) and the state files (breaker, outage history), never from the
 * network, so it answers in milliseconds even while Plex or Stash is down.
 * Also its human rendering for `stash2plex status`.
 */
#include "app/status.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "store/syncstate.h"
#include "sync/breaker.h"
#include "sync/outage.h"

json_t *
s2p_status_time(double t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!(t > 0) || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *
s2p_status_dead_json(const struct s2p_dead_job *j)
{
	json_t *cands = json_loads(j->candidates, 0, NULL);

	if (!json_is_array(cands)) {
		json_decref(cands);
		cands = json_array();
	}
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s, "
			 "s:o}",
	    "id", (json_int_t)j->id, "scene_id", (json_int_t)j->scene_id,
	    "title", j->title, "error", j->error_class, "class",
	    s2p_class_name(s2p_class_of_name(j->error_class)), "message",
	    j->message, "attempts", j->attempts, "first_failed_at",
	    s2p_status_time(
		j->first_failed_at > 0 ? j->first_failed_at : j->failed_at),
	    "last_failed_at", s2p_status_time(j->failed_at), "reason",
	    j->reason, "candidates", cands);
}

static int
add_example(const struct s2p_dead_job *j, void *payload)
{
	json_array_append_new(payload, s2p_status_dead_json(j));
	return 0;
}

/* Add n to obj[key]. */
static void
add_count(json_t *obj, const char *key, long n)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key,
	    json_integer((v ? json_integer_value(v) : 0) + n));
}

static int
add_class(const char *error_class, long n, void *payload)
{
	json_t *dl = payload;

	add_count(json_object_get(dl, "by_class"),
	    s2p_class_name(s2p_class_of_name(error_class)), n);
	add_count(json_object_get(dl, "by_error"), error_class, n);
	add_count(dl, "total", n);
	return 0;
}

/* "queue" and "dead_letters". */
static int
queue_part(struct s2p_app *app, double now, json_t *doc, struct s2p_error *err)
{
	struct s2p_queue_counts c;
	json_t *dl, *ex = json_array();
	int rc;

	rc = s2p_queue_counts(app->ctx.db, now, &c, err);
	if (rc != S2P_OK) {
		json_decref(ex);
		return rc;
	}
	json_object_set_new(doc, "queue",
	    json_pack("{s:i, s:i, s:i, s:i, s:o}", "pending", (int)c.pending,
		"due", (int)c.due, "running", (int)c.running, "done",
		(int)c.done, "next_due_at",
		s2p_status_time(c.pending > c.due ? c.next_due : 0)));
	dl = json_pack("{s:i, s:{s:i, s:i, s:i, s:i}, s:{}}", "total", 0,
	    "by_class", "not-found", 0, "transient", 0, "server-down", 0,
	    "permanent", 0, "by_error");
	json_object_set_new(doc, "dead_letters", dl);
	json_object_set_new(dl, "newest", ex);
	rc = s2p_dlq_class_counts(app->ctx.db, add_class, dl, err);
	if (rc == S2P_OK)
		rc = s2p_dlq_list(app->ctx.db, S2P_STATUS_DLQ_EXAMPLES,
		    add_example, ex, err);
	return rc;
}

/* Lower-case copy of s into buf. */
static const char *
lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/* "breaker": its state as the next job would see it. */
static void
breaker_part(struct s2p_app *app, double now, json_t *doc)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_BREAKER_FILE), name[16];
	struct s2p_breaker b;
	enum s2p_breaker_state st;
	double in;
	int exists = 0, ok;

	s2p_breaker_init(&b, path);
	free(path);
	ok = s2p_breaker_load(&b, &exists, NULL) == S2P_OK;
	st = s2p_breaker_effective_state(&b, now);
	in = st == S2P_BREAKER_OPEN ? s2p_breaker_retry_in(&b, now) : 0;
	json_object_set_new(doc, "breaker",
	    json_pack("{s:s, s:i, s:o, s:o, s:o, s:b}", "state",
		ok ? lower(s2p_breaker_state_name(st), name, sizeof(name))
		   : "unknown",
		"failures", b.failures, "opened_at",
		s2p_status_time(st != S2P_BREAKER_CLOSED ? b.opened_at : 0),
		"next_probe_at",
		s2p_status_time(st == S2P_BREAKER_OPEN ? now + in : 0),
		"next_probe_in_seconds",
		st == S2P_BREAKER_OPEN ? json_real(in) : json_null(),
		"state_file_ok", ok));
	s2p_breaker_free(&b);
}

/* "outages": the summary and the newest few, newest first. */
static void
outage_part(struct s2p_app *app, json_t *doc)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_OUTAGE_FILE);
	struct s2p_outage_list l = {NULL, 0};
	struct s2p_outage_stats s;
	json_t *recent = json_array();
	size_t i;

	if (s2p_outage_load(path, &l, NULL) != S2P_OK)
		l.n = 0;
	free(path);
	s2p_outage_compute_stats(&l, &s);
	for (i = l.n; i > 0 && json_array_size(recent) < S2P_STATUS_OUTAGES;
	     i--) {
		const struct s2p_outage *o = &l.v[i - 1];

		json_array_append_new(recent,
		    json_pack("{s:o, s:o, s:o, s:I, s:b}", "started_at",
			s2p_status_time(o->started_at), "ended_at",
			s2p_status_time(o->ongoing ? 0 : o->ended_at),
			"duration_seconds",
			o->ongoing ? json_null() : json_real(o->duration),
			"jobs_waited", (json_int_t)o->jobs_waited, "ongoing",
			o->ongoing));
	}
	json_object_set_new(doc, "outages",
	    json_pack("{s:i, s:b, s:o, s:o, s:f, s:o, s:o}", "count",
		(int)s.count, "ongoing", s.ongoing, "ongoing_since",
		s2p_status_time(s.ongoing ? s.ongoing_since : 0),
		"mttr_seconds", s.completed ? json_real(s.mttr) : json_null(),
		"total_downtime_seconds", s.total_downtime,
		"availability_percent",
		s.have_mtbf ? json_real(s.availability) : json_null(), "recent",
		recent));
	s2p_outage_list_free(&l);
}

/* kv key as a time (0 when absent). */
static double
kv_time(struct s2p_app *app, const char *key)
{
	char buf[64];

	if (s2p_kv_get(app->ctx.db, key, buf, sizeof(buf), NULL) != S2P_OK)
		return 0;
	return strtod(buf, NULL);
}

/* "last_sync", "last_reconcile" and "worker". */
static int
times_part(struct s2p_app *app, json_t *doc, struct s2p_error *err)
{
	char *lock = s2p_ctx_path(&app->ctx, S2P_LOCK_FILE);
	double last = 0;
	long scenes = 0;
	int rc;

	rc = s2p_syncstate_last(app->ctx.db, &last, &scenes, err);
	json_object_set_new(doc, "last_sync",
	    json_pack("{s:o, s:i}", "at", s2p_status_time(last),
		"scenes_synced", (int)scenes));
	json_object_set_new(doc, "last_reconcile",
	    json_pack("{s:o, s:o}", "at",
		s2p_status_time(kv_time(app, S2P_KV_LAST_RECONCILE)), "auto_at",
		s2p_status_time(kv_time(app, "last_auto_reconcile"))));
	json_object_set_new(doc, "worker",
	    json_pack("{s:b}", "running", s2p_lock_held(lock)));
	free(lock);
	return rc;
}

int
s2p_status_build(struct s2p_app *app, json_t **out, struct s2p_error *err)
{
	double now = s2p_clock_now(app->ctx.clock);
	json_t *doc;
	int rc;

	*out = NULL;
	rc = s2p_ctx_db(&app->ctx, err);
	if (rc != S2P_OK)
		return rc;
	doc = json_pack("{s:i, s:s, s:o}", "schema", S2P_STATUS_SCHEMA,
	    "version", S2P_VERSION, "generated_at", s2p_status_time(now));
	rc = queue_part(app, now, doc, err);
	if (rc == S2P_OK) {
		breaker_part(app, now, doc);
		outage_part(app, doc);
		rc = times_part(app, doc, err);
	}
	if (rc != S2P_OK) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return S2P_OK;
}

/* obj.key as text for printing ("never" for null). */
static const char *
txt(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : "never";
}

static long
num(const json_t *obj, const char *key)
{
	return (long)json_integer_value(json_object_get(obj, key));
}

/* The dead-letter lines of the human rendering. */
static void
print_dead(const json_t *dl, FILE *f)
{
	const json_t *by = json_object_get(dl, "by_class"), *e;
	size_t i;

	fprintf(f, "Dead letters: %ld", num(dl, "total"));
	if (num(dl, "total") > 0)
		fprintf(f,
		    " (not-found %ld, transient %ld, server-down %ld, "
		    "permanent %ld)",
		    num(by, "not-found"), num(by, "transient"),
		    num(by, "server-down"), num(by, "permanent"));
	fputc('\n', f);
	json_array_foreach(json_object_get(dl, "newest"), i, e)
	    fprintf(f, "  #%ld scene %ld \"%s\": %s: %s\n", num(e, "id"),
		num(e, "scene_id"), txt(e, "title"), txt(e, "error"),
		txt(e, "message"));
}

void
s2p_status_print(const json_t *doc, FILE *f)
{
	const json_t *q = json_object_get(doc, "queue");
	const json_t *b = json_object_get(doc, "breaker");
	const json_t *o = json_object_get(doc, "outages");
	const json_t *r = json_array_get(json_object_get(o, "recent"), 0);
	const json_t *mttr = json_object_get(o, "mttr_seconds");

	fprintf(f, "Queue: %ld pending (%ld due), %ld running, %ld done\n",
	    num(q, "pending"), num(q, "due"), num(q, "running"),
	    num(q, "done"));
	print_dead(json_object_get(doc, "dead_letters"), f);
	fprintf(f, "Circuit breaker: %s", txt(b, "state"));
	if (json_is_string(json_object_get(b, "next_probe_at")))
		fprintf(f, " (next probe %s)", txt(b, "next_probe_at"));
	fputc('\n', f);
	fprintf(f, "Outages: %ld recorded", num(o, "count"));
	if (json_is_number(mttr))
		fprintf(f, ", MTTR %.0f s", json_number_value(mttr));
	if (r != NULL)
		fprintf(f, ", last started %s%s", txt(r, "started_at"),
		    json_is_true(json_object_get(r, "ongoing")) ? " (ongoing)"
								: "");
	fputc('\n', f);
	fprintf(f, "Last sync: %s (%ld scenes synced)\n",
	    txt(json_object_get(doc, "last_sync"), "at"),
	    num(json_object_get(doc, "last_sync"), "scenes_synced"));
	fprintf(f, "Last reconcile: %s\n",
	    txt(json_object_get(doc, "last_reconcile"), "at"));
	fprintf(f, "Worker: %s\n",
	    json_is_true(
		json_object_get(json_object_get(doc, "worker"), "running"))
		? "running"
		: "not running");
}
