/*
 * ops.c - the plugin operations the Stash UI calls through
 * runPluginOperation: "status" (the status document plus the time series
 * for the charts and the outage windows to shade), "scene_status" (one
 * scene's Plex state for the badge), "dlq_retry" / "dlq_drop" (the dead
 * letter buttons) and "sync_scene" (the badge's Sync now). Each answers
 * with one JSON document in the output (app->out_json); none touches the
 * network, and only sync_scene and dlq_retry start a worker.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/status.h"
#include "app/tasks.h"
#include "core/fsutil.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/metrics.h"
#include "store/queue.h"
#include "store/scenestate.h"
#include "store/syncstate.h"
#include "sync/outage.h"

#define DAY (24 * 3600)
#define OPS_DEAD_ITEMS 50 /* dead letters listed for the buttons */

/* t (epoch seconds) as "YYYY-MM-DDTHH:MM:SSZ", or null when t <= 0. */
static json_t *
iso(double t)
{
	return s2p_status_time(t);
}

/* Hand doc to the caller as the operation's output (compact JSON). */
static int
answer(struct s2p_app *app, json_t *doc, struct s2p_buf *msg)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	(void)!s2p_buf_adds(msg, s);
	free(s);
	app->out_json = 1;
	return S2P_OK;
}

static int
dead_item(const struct s2p_dead_job *j, void *payload)
{
	json_array_append_new(payload, s2p_status_dead_json(j));
	return 0;
}

/* The status document's dead letters with up to OPS_DEAD_ITEMS of the
 * newest (the document has a few examples; the page lists more, each
 * with its buttons). */
static int
more_dead(struct s2p_app *app, json_t *doc, struct s2p_error *err)
{
	json_t *items = json_array();
	int rc;

	rc = s2p_dlq_list(app->ctx.db, OPS_DEAD_ITEMS, dead_item, items, err);
	if (rc != S2P_OK) {
		json_decref(items);
		return rc;
	}
	json_object_set_new(json_object_get(doc, "dead_letters"), "newest",
	    items);
	return S2P_OK;
}

/* "outage_windows": the [start, end] epoch pairs of the outages of the
 * last 7 days (an ongoing one ends now), oldest first, for shading the
 * charts. The outages themselves are in the status document. */
static void
add_outage_windows(struct s2p_app *app, json_t *doc, double now)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_OUTAGE_FILE);
	struct s2p_outage_list l = {NULL, 0};
	json_t *win = json_array();
	size_t i;

	(void)!s2p_outage_load(path, &l, NULL);
	free(path);
	for (i = 0; i < l.n; i++) {
		const struct s2p_outage *o = &l.v[i];
		double end = o->ongoing ? now : o->ended_at;

		if (end >= now - 7 * DAY)
			json_array_append_new(win,
			    json_pack("[f, f]", o->started_at, end));
	}
	json_object_set_new(doc, "outage_windows", win);
	s2p_outage_list_free(&l);
}

/* One series of n buckets of bucket_s seconds ending with the bucket that
 * holds now; buckets without a sample are zeros with "sampled": false, so
 * every chart has the same number of points. */
static int
series(struct s2p_app *app, double now, int bucket_s, int n, json_t **out,
    struct s2p_error *err)
{
	struct s2p_metric_point *p = NULL;
	double to = (floor(now / bucket_s) + 1) * bucket_s;
	double from = to - (double)bucket_s * n;
	size_t np = 0, j = 0;
	json_t *pts;
	int rc, i;

	rc = s2p_metrics_series(app->ctx.db, from, to, bucket_s, &p, &np, err);
	if (rc != S2P_OK)
		return rc;
	pts = json_array();
	for (i = 0; i < n; i++) {
		double t = from + (double)i * bucket_s;
		struct s2p_metric_point z = {t, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		const struct s2p_metric_point *q = &z;
		int have = j < np && p[j].start < t + bucket_s;

		if (have)
			q = &p[j++];
		json_array_append_new(pts,
		    json_pack("{s:f, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:f, "
			      "s:f, s:b}",
			"t", t, "sampled", have, "synced", (int)q->synced,
			"failed", (int)q->failed, "dead", (int)q->dead,
			"skipped", (int)q->skipped, "requests",
			(int)q->requests, "queue_depth", (int)q->queue_depth,
			"p50_ms", q->p50_ms, "p95_ms", q->p95_ms,
			"breaker_open", q->breaker_open));
	}
	free(p);
	*out = json_pack("{s:i, s:f, s:f, s:o}", "bucket_seconds", bucket_s,
	    "from", from, "to", to, "points", pts);
	return S2P_OK;
}

/* {"mode": "status"}: the status document, the series and the outages. */
static int
op_status(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	double now = s2p_clock_now(app->ctx.clock);
	json_t *doc = NULL, *day = NULL, *week = NULL;
	int rc;

	rc = s2p_status_build(app, &doc, err);
	if (rc == S2P_OK)
		rc = more_dead(app, doc, err);
	if (rc == S2P_OK)
		rc = series(app, now, 3600, 24, &day, err);
	if (rc == S2P_OK)
		rc = series(app, now, 6 * 3600, 28, &week, err);
	if (rc != S2P_OK) {
		json_decref(doc);
		json_decref(day);
		return rc;
	}
	add_outage_windows(app, doc, now);
	json_object_set_new(doc, "now", json_real(now));
	json_object_set_new(doc, "series",
	    json_pack("{s:o, s:o}", "day", day, "week", week));
	return answer(app, doc, msg);
}

/* args[key] as a positive whole number, else S2P_EINVAL. */
static int
arg_id(struct s2p_app *app, const char *key, int64_t *out,
    struct s2p_error *err)
{
	long long v = 0;

	if (!s2p_json_whole(json_object_get(app->args, key), &v) || v <= 0)
		return s2p_error_set(err, S2P_EINVAL,
		    "args.%s must be a positive scene or dead-letter id", key);
	*out = (int64_t)v;
	return S2P_OK;
}

/* The badge's state from the rows: a queued job that failed before is
 * retrying (due now or later), another queued job pending; then a dead
 * letter newer than the last sync, the last sync, or nothing. */
static json_t *
scene_doc(int64_t id, const struct s2p_scene_state *s, double now)
{
	json_t *d = json_pack("{s:I}", "scene_id", (json_int_t)id);

	if (s->has_job && s->attempts > 0 && s->job_class[0] != '\0') {
		json_object_set_new(d, "state", json_string("retrying"));
		json_object_set_new(d, "retry_at", iso(s->not_before));
		json_object_set_new(d, "due",
		    json_boolean(s->not_before <= now));
		json_object_set_new(d, "attempts", json_integer(s->attempts));
		json_object_set_new(d, "error", json_string(s->job_class));
		json_object_set_new(d, "reason", json_string(s->job_error));
	} else if (s->has_job) {
		json_object_set_new(d, "state", json_string("pending"));
		json_object_set_new(d, "job_state", json_string(s->job_state));
		json_object_set_new(d, "queued_at", iso(s->enqueued_at));
		json_object_set_new(d, "queued_by", json_string(s->reason));
	} else if (s->has_dead && !(s->has_sync && s->synced_at > s->dead_at)) {
		json_object_set_new(d, "state", json_string("failed"));
		json_object_set_new(d, "dead_letter_id",
		    json_integer((json_int_t)s->dead_id));
		json_object_set_new(d, "failed_at", iso(s->dead_at));
		json_object_set_new(d, "error", json_string(s->dead_class));
		json_object_set_new(d, "reason", json_string(s->dead_error));
	} else if (s->has_sync) {
		json_object_set_new(d, "state", json_string("synced"));
	} else {
		json_object_set_new(d, "state", json_string("not_seen"));
	}
	if (s->has_sync) {
		json_object_set_new(d, "synced_at", iso(s->synced_at));
		json_object_set_new(d, "plex_rating_key",
		    json_string(s->rating_key));
	}
	return d;
}

/* {"mode": "scene_status", "scene_id": N}. */
static int
op_scene_status(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	struct s2p_scene_state s;
	int64_t id = 0;
	int rc;

	rc = arg_id(app, "scene_id", &id, err);
	if (rc == S2P_OK)
		rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_scene_state_get(app->ctx.db, id, &s, err);
	if (rc != S2P_OK)
		return rc;
	return answer(app, scene_doc(id, &s, s2p_clock_now(app->ctx.clock)),
	    msg);
}

/* Start a worker for what was just queued; a failure is only logged (the
 * next task or hook drains the queue). */
static void
kick_worker(struct s2p_app *app)
{
	struct s2p_error e;

	s2p_error_clear(&e);
	s2p_ctx_close_handles(&app->ctx);
	if (!app->ctx.cfg.enabled)
		return;
	if (s2p_ensure_worker(app, NULL, &e) != S2P_OK)
		s2p_warn("queued, but no worker could be started: %s", e.msg);
}

/* {"mode": "dlq_retry" | "dlq_drop", "id": N} or "ids": [N, ...]. */
static int
op_dlq(struct s2p_app *app, struct s2p_buf *msg, int retry,
    struct s2p_error *err)
{
	json_t *arr = json_object_get(app->args, "ids"), *v;
	int64_t *ids = NULL;
	size_t n = 0, i;
	long done = 0;
	int rc = S2P_OK;

	if (json_is_array(arr) && json_array_size(arr) > 0) {
		ids = s2p_xreallocarray(NULL, json_array_size(arr),
		    sizeof(*ids));
		json_array_foreach(arr, i, v)
		{
			long long x = 0;

			if (!s2p_json_whole(v, &x) || x <= 0) {
				rc = s2p_error_set(err, S2P_EINVAL,
				    "args.ids must hold dead-letter ids");
				goto out;
			}
			ids[n++] = (int64_t)x;
		}
	} else {
		ids = s2p_xmalloc(sizeof(*ids));
		rc = arg_id(app, "id", ids, err);
		n = 1;
	}
	if (rc == S2P_OK)
		rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = retry ? s2p_dlq_retry(app->ctx.db, ids, n,
				 s2p_clock_now(app->ctx.clock), &done, err)
			   : s2p_dlq_drop(app->ctx.db, ids, n, &done, err);
	if (rc == S2P_OK && retry)
		kick_worker(app);
out:
	free(ids);
	if (rc != S2P_OK)
		return rc;
	return answer(app,
	    json_pack("{s:s, s:i}", retry ? "retried" : "dropped", "ok",
		"count", (int)done),
	    msg);
}

static int
op_dlq_retry(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	return op_dlq(app, msg, 1, err);
}

static int
op_dlq_drop(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	return op_dlq(app, msg, 0, err);
}

/* {"mode": "sync_scene", "scene_id": N}: queue it, due now, and drain. */
static int
op_sync_scene(struct s2p_app *app, struct s2p_buf *msg, struct s2p_error *err)
{
	int64_t id = 0;
	int rc;

	rc = arg_id(app, "scene_id", &id, err);
	if (rc == S2P_OK)
		rc = s2p_ctx_db(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_queue_due_now(app->ctx.db, id, S2P_REASON_HOOK,
		    s2p_clock_now(app->ctx.clock), err);
	if (rc != S2P_OK)
		return rc;
	kick_worker(app);
	return answer(app,
	    json_pack("{s:I, s:s}", "scene_id", (json_int_t)id, "queued", "ok"),
	    msg);
}

int
s2p_op_run(struct s2p_app *app, const char *mode, int *found,
    struct s2p_buf *msg, struct s2p_error *err)
{
	static const struct {
		const char *mode;
		int (*fn)(struct s2p_app *, struct s2p_buf *,
		    struct s2p_error *);
	} ops[] = {
	    {"status", op_status},
	    {"scene_status", op_scene_status},
	    {"dlq_retry", op_dlq_retry},
	    {"dlq_drop", op_dlq_drop},
	    {"sync_scene", op_sync_scene},
	};
	size_t i;

	*found = 0;
	for (i = 0; i < S2P_ARRAY_LEN(ops); i++) {
		if (strcmp(ops[i].mode, mode) != 0)
			continue;
		*found = 1;
		s2p_ctx_load_cached_settings(&app->ctx);
		return ops[i].fn(app, msg, err);
	}
	return S2P_OK;
}
