/*
 * endpoint.c - the daemon endpoint's bodies (see endpoint.h): what the
 * database and the state files say about the queue, the dead letters, the
 * circuit breaker, Plex outages and the worker's measurements (the
 * metric:* running totals of store/metrics.c), as JSON or as Prometheus
 * text. Every metric name is spelled once, here; docs/internals/daemon.md
 * lists them.
 */
#include "app/endpoint.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app/status.h"
#include "core/xalloc.h"
#include "store/metrics.h"
#include "store/queue.h"
#include "store/syncstate.h"
#include "sync/breaker.h"
#include "sync/outage.h"

#define ADD(...) (void)!s2p_buf_addf(out, __VA_ARGS__)

/* The breaker's effective state now (CLOSED when its file is unreadable). */
static enum s2p_breaker_state
breaker_state(struct s2p_app *app)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_BREAKER_FILE);
	struct s2p_breaker br;
	enum s2p_breaker_state st;
	int exists = 0;

	s2p_breaker_init(&br, path);
	(void)!s2p_breaker_load(&br, &exists, NULL);
	st = s2p_breaker_effective_state(&br, s2p_clock_now(app->ctx.clock));
	s2p_breaker_free(&br);
	free(path);
	return st;
}

/* Outage seconds in the kept history (the ongoing one counted to now),
 * and whether one is ongoing. */
static double
outage_seconds(struct s2p_app *app, int *ongoing)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_OUTAGE_FILE);
	struct s2p_outage_list l;
	struct s2p_outage_stats s;
	double now = s2p_clock_now(app->ctx.clock), total;

	memset(&l, 0, sizeof(l));
	(void)!s2p_outage_load(path, &l, NULL);
	s2p_outage_compute_stats(&l, &s);
	total = s.total_downtime;
	*ongoing = s.ongoing;
	if (s.ongoing && now > s.ongoing_since)
		total += now - s.ongoing_since;
	s2p_outage_list_free(&l);
	free(path);
	return total;
}

void
s2p_endpoint_health(struct s2p_app *app, int daemon_alive, int *status_out,
    char **body_out)
{
	struct s2p_queue_counts c;
	struct s2p_error e;
	int db_ok;
	json_t *o;

	memset(&c, 0, sizeof(c));
	s2p_error_clear(&e);
	db_ok = s2p_ctx_db(&app->ctx, &e) == S2P_OK &&
	    s2p_queue_counts(app->ctx.db, s2p_clock_now(app->ctx.clock), &c,
		&e) == S2P_OK;
	*status_out = daemon_alive && db_ok ? 200 : 503;
	o = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}}", "status",
	    *status_out == 200 ? "ok" : "unavailable", "daemon",
	    daemon_alive ? "running" : "gone", "database", db_ok ? "ok" : e.msg,
	    "breaker", s2p_breaker_state_name(breaker_state(app)), "queue",
	    "pending", (json_int_t)c.pending, "running", (json_int_t)c.running,
	    "dead", (json_int_t)c.dead);
	*body_out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
}

int
s2p_endpoint_status(struct s2p_app *app, char **body_out, struct s2p_error *err)
{
	json_t *doc = NULL;
	int rc = s2p_status_build(app, &doc, err);

	*body_out = NULL;
	if (rc != S2P_OK)
		return rc;
	*body_out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return S2P_OK;
}

/* One metric's HELP and TYPE lines. */
static void
head(struct s2p_buf *out, const char *name, const char *type, const char *help)
{
	ADD("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Dead letters per error class, summed while walking the table. */
struct dead_classes {
	char names[16][24];
	long counts[16];
	size_t n;
};

static int
count_class(const struct s2p_dead_job *j, void *payload)
{
	struct dead_classes *d = payload;
	const char *cls = j->error_class[0] ? j->error_class : "unknown";
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->names[i], cls) == 0)
			break;
	if (i == d->n) {
		if (d->n == S2P_ARRAY_LEN(d->names))
			i = d->n - 1; /* more classes than we know: lump */
		else
			snprintf(d->names[d->n++], sizeof(d->names[0]), "%s",
			    cls);
	}
	d->counts[i]++;
	return 0;
}

/* Queue depth by state and dead letters by class. */
static int
queue_metrics(struct s2p_app *app, struct s2p_buf *out, struct s2p_error *err)
{
	struct s2p_queue_counts c;
	struct dead_classes d;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = s2p_queue_counts(app->ctx.db, s2p_clock_now(app->ctx.clock), &c,
	    err);
	if (rc == S2P_OK)
		rc = s2p_dlq_list(app->ctx.db, 0, count_class, &d, err);
	if (rc != S2P_OK)
		return rc;
	head(out, "stash2plex_queue_jobs", "gauge",
	    "Jobs in the queue by state (due: may run now; waiting: for a "
	    "retry time; running: claimed by the worker).");
	ADD("stash2plex_queue_jobs{state=\"due\"} %ld\n", c.due);
	ADD("stash2plex_queue_jobs{state=\"waiting\"} %ld\n",
	    c.pending - c.due > 0 ? c.pending - c.due : 0);
	ADD("stash2plex_queue_jobs{state=\"running\"} %ld\n", c.running);
	head(out, "stash2plex_dead_letters", "gauge",
	    "Dead-lettered jobs by error class.");
	for (i = 0; i < d.n; i++)
		ADD("stash2plex_dead_letters{class=\"%s\"} %ld\n", d.names[i],
		    d.counts[i]);
	if (d.n == 0)
		ADD("stash2plex_dead_letters{class=\"none\"} 0\n");
	return S2P_OK;
}

/* Jobs by outcome, the Plex latency histogram and probe failures: the
 * metric:* running totals. */
static int
total_metrics(struct s2p_app *app, struct s2p_buf *out, struct s2p_error *err)
{
	static const char *const outcomes[S2P_METRIC_OUTCOMES] = {"synced",
	    "failed", "dead", "skipped"};
	struct s2p_metric_totals t;
	int64_t cum = 0;
	int i, rc;

	rc = s2p_metrics_totals(app->ctx.db, &t, err);
	if (rc != S2P_OK)
		return rc;
	head(out, "stash2plex_jobs_total", "counter",
	    "Jobs finished by outcome (failed: put back for a retry).");
	for (i = 0; i < S2P_METRIC_OUTCOMES; i++)
		ADD("stash2plex_jobs_total{outcome=\"%s\"} %lld\n", outcomes[i],
		    (long long)t.outcomes[i]);
	head(out, "stash2plex_plex_request_duration_seconds", "histogram",
	    "Duration of Plex requests that got an HTTP answer.");
	for (i = 0; i < S2P_METRICS_PROM; i++) {
		cum += t.prom[i];
		ADD("stash2plex_plex_request_duration_seconds_bucket{le=\"%g\"}"
		    " "
		    "%lld\n",
		    s2p_metrics_prom_le[i], (long long)cum);
	}
	cum += t.prom[S2P_METRICS_PROM];
	ADD("stash2plex_plex_request_duration_seconds_bucket{le=\"+Inf\"} "
	    "%lld\n",
	    (long long)cum);
	ADD("stash2plex_plex_request_duration_seconds_sum %.6f\n", t.lat_sum_s);
	ADD("stash2plex_plex_request_duration_seconds_count %lld\n",
	    (long long)cum);
	head(out, "stash2plex_plex_probe_failures_total", "counter",
	    "Failed Plex health probes while the circuit breaker was open.");
	ADD("stash2plex_plex_probe_failures_total %lld\n",
	    (long long)t.probe_failures);
	return S2P_OK;
}

/* Breaker state (one series per state, 1 for the current one) and the
 * outage history. */
static void
plex_metrics(struct s2p_app *app, struct s2p_buf *out)
{
	static const enum s2p_breaker_state all[] = {S2P_BREAKER_CLOSED,
	    S2P_BREAKER_OPEN, S2P_BREAKER_HALF_OPEN};
	static const char *const names[] = {"closed", "open", "half_open"};
	enum s2p_breaker_state st = breaker_state(app);
	int ongoing = 0;
	double secs = outage_seconds(app, &ongoing);
	size_t i;

	head(out, "stash2plex_breaker_state", "gauge",
	    "Circuit breaker in front of Plex: 1 for the current state.");
	for (i = 0; i < S2P_ARRAY_LEN(all); i++)
		ADD("stash2plex_breaker_state{state=\"%s\"} %d\n", names[i],
		    st == all[i]);
	head(out, "stash2plex_plex_outage_seconds", "gauge",
	    "Seconds of Plex outage in the kept outage history (the last "
	    "30 outages), the ongoing one counted to now.");
	ADD("stash2plex_plex_outage_seconds %.3f\n", secs);
	head(out, "stash2plex_plex_outage_ongoing", "gauge",
	    "1 while a Plex outage is ongoing.");
	ADD("stash2plex_plex_outage_ongoing %d\n", ongoing);
}

/* When a scene was last synced (sync_state), and how many have been. */
static int
sync_metrics(struct s2p_app *app, struct s2p_buf *out, struct s2p_error *err)
{
	double last = 0;
	long n = 0;
	int rc = s2p_syncstate_last(app->ctx.db, &last, &n, err);

	if (rc != S2P_OK)
		return rc;
	head(out, "stash2plex_last_sync_timestamp_seconds", "gauge",
	    "Unix time of the newest successful scene sync (0: never).");
	ADD("stash2plex_last_sync_timestamp_seconds %.3f\n", last);
	head(out, "stash2plex_synced_scenes", "gauge",
	    "Scenes whose values were last written to a Plex item.");
	ADD("stash2plex_synced_scenes %ld\n", n);
	return S2P_OK;
}

int
s2p_endpoint_metrics(struct s2p_app *app, struct s2p_buf *out,
    struct s2p_error *err)
{
	int rc = s2p_ctx_db(&app->ctx, err);

	if (rc == S2P_OK)
		rc = queue_metrics(app, out, err);
	if (rc == S2P_OK)
		rc = total_metrics(app, out, err);
	if (rc == S2P_OK)
		plex_metrics(app, out);
	if (rc == S2P_OK)
		rc = sync_metrics(app, out, err);
	return rc;
}
