/*
 * metrics.c - per-minute samples and running totals of what the worker
 * measured (see metrics.h). Latency percentiles come from 48 log-spaced
 * buckets (each 30 % wider than the one before, 0.25 ms to about 60 s), so
 * a minute of any number of requests costs a fixed few hundred bytes and a
 * percentile is off by at most one bucket's width.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"

#define FINE_BASE_MS 0.25
#define FINE_GROWTH 1.3
#define FINE_SQRT_GROWTH 1.140175425 /* sqrt(FINE_GROWTH) */

const double s2p_metrics_prom_le[S2P_METRICS_PROM] = {0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static const char *const outcome_counter[S2P_METRIC_OUTCOMES] =
    {"metric:jobs:synced", "metric:jobs:failed", "metric:jobs:dead",
	"metric:jobs:skipped"};

/* The minute (unix time / 60) that t falls in; t is never negative. */
static int64_t
minute_of(double t)
{
	return t > 0 ? (int64_t)(t / 60) : 0;
}

void
s2p_metrics_acc_init(struct s2p_metrics_acc *a, double now)
{
	memset(a, 0, sizeof(*a));
	a->minute = minute_of(now);
}

void
s2p_metrics_note_outcome(struct s2p_metrics_acc *a, enum s2p_metric_outcome o)
{
	a->outcomes[o]++;
}

/* Upper bound in ms of fine bucket i. */
static double
fine_upper(int i)
{
	double v = FINE_BASE_MS;

	while (i-- >= 0)
		v *= FINE_GROWTH;
	return v;
}

void
s2p_metrics_note_request(struct s2p_metrics_acc *a, double ms)
{
	int i = 0;

	if (!(ms >= 0)) /* NaN or negative: a clock step, count as 0 */
		ms = 0;
	while (i < S2P_METRICS_FINE - 1 && ms > fine_upper(i))
		i++;
	a->fine[i]++;
	for (i = 0; i < S2P_METRICS_PROM && ms > s2p_metrics_prom_le[i] * 1000;
	     i++)
		;
	a->prom[i]++;
	a->requests++;
	a->lat_sum_ms += ms;
}

void
s2p_metrics_note_probe_failure(struct s2p_metrics_acc *a)
{
	a->probe_failures++;
}

double
s2p_metrics_acc_percentile(const struct s2p_metrics_acc *a, double q)
{
	long need, seen = 0;
	int i;

	if (a->requests == 0)
		return -1;
	need = (long)(q * (double)a->requests + 0.999999);
	if (need < 1)
		need = 1;
	for (i = 0; i < S2P_METRICS_FINE; i++) {
		seen += a->fine[i];
		if (seen >= need)
			break;
	}
	if (i == S2P_METRICS_FINE)
		i--;
	/* The geometric middle of the bucket. */
	return fine_upper(i) / FINE_SQRT_GROWTH;
}

int
s2p_metrics_due(const struct s2p_metrics_acc *a, double now)
{
	return minute_of(now) > a->minute;
}

/* Add the minute's sample (see s2p_metrics_flush). */
static int
put_minute(struct s2p_db *db, const struct s2p_metrics_acc *a, long queue_depth,
    const char *breaker, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	rc = s2p_db_prepare(db, &st,
	    "INSERT INTO metric_minute (minute, synced, failed, dead,"
	    " skipped, requests, p50_ms, p95_ms, queue_depth, breaker)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	    " ON CONFLICT (minute) DO UPDATE SET"
	    "  synced = synced + excluded.synced,"
	    "  failed = failed + excluded.failed,"
	    "  dead = dead + excluded.dead,"
	    "  skipped = skipped + excluded.skipped,"
	    "  p50_ms = CASE WHEN excluded.requests > requests"
	    "   THEN excluded.p50_ms ELSE p50_ms END,"
	    "  p95_ms = max(coalesce(p95_ms, -1), coalesce(excluded.p95_ms, "
	    "-1)),"
	    "  requests = requests + excluded.requests,"
	    "  queue_depth = excluded.queue_depth,"
	    "  breaker = excluded.breaker",
	    err);
	if (rc != S2P_OK)
		goto out;
	src = sqlite3_bind_int64(st, 1, a->minute);
	for (int i = 0; i < S2P_METRIC_OUTCOMES && src == SQLITE_OK; i++)
		src = sqlite3_bind_int64(st, 2 + i, a->outcomes[i]);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 6, a->requests);
	if (src == SQLITE_OK && a->requests > 0)
		src = sqlite3_bind_double(st, 7,
		    s2p_metrics_acc_percentile(a, 0.5));
	if (src == SQLITE_OK && a->requests > 0)
		src = sqlite3_bind_double(st, 8,
		    s2p_metrics_acc_percentile(a, 0.95));
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 9, queue_depth);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 10, breaker, -1, SQLITE_STATIC);
	if (src != SQLITE_OK) {
		rc = s2p_db_error(db, src, "record metrics", err);
		goto out;
	}
	rc = s2p_db_step_done(db, st, "record metrics", err);
out:
	s2p_db_finalize(st);
	return rc;
}

/* Add the accumulated counts to the running totals. */
static int
add_totals(struct s2p_db *db, const struct s2p_metrics_acc *a,
    struct s2p_error *err)
{
	char name[64];
	int rc = S2P_OK, i;

	for (i = 0; i < S2P_METRIC_OUTCOMES && rc == S2P_OK; i++)
		if (a->outcomes[i] != 0)
			rc = s2p_db_counter_add(db, outcome_counter[i],
			    a->outcomes[i], err);
	for (i = 0; i <= S2P_METRICS_PROM && rc == S2P_OK; i++) {
		if (a->prom[i] == 0)
			continue;
		snprintf(name, sizeof(name), "metric:plex_latency:%d", i);
		rc = s2p_db_counter_add(db, name, a->prom[i], err);
	}
	if (rc == S2P_OK && a->requests != 0)
		rc = s2p_db_counter_add(db, "metric:plex_requests", a->requests,
		    err);
	if (rc == S2P_OK && a->requests != 0)
		rc = s2p_db_counter_add(db, "metric:plex_latency_sum_us",
		    (int64_t)(a->lat_sum_ms * 1000 + 0.5), err);
	if (rc == S2P_OK && a->probe_failures != 0)
		rc = s2p_db_counter_add(db, "metric:probe_failures",
		    a->probe_failures, err);
	return rc;
}

int
s2p_metrics_flush(struct s2p_db *db, struct s2p_metrics_acc *a, double now,
    long queue_depth, const char *breaker, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = s2p_db_begin(db, err);
	if (rc != S2P_OK)
		return rc;
	rc = put_minute(db, a, queue_depth, breaker, err);
	if (rc == S2P_OK)
		rc = add_totals(db, a, err);
	if (rc == S2P_OK)
		rc = s2p_db_prepare(db, &st,
		    "DELETE FROM metric_minute WHERE minute < ?1", err);
	if (rc == S2P_OK) {
		int src = sqlite3_bind_int64(st, 1,
		    minute_of(now - S2P_METRICS_RETENTION));

		rc = src == SQLITE_OK
		    ? s2p_db_step_done(db, st, "prune metrics", err)
		    : s2p_db_error(db, src, "prune metrics", err);
	}
	s2p_db_finalize(st);
	if (rc == S2P_OK)
		rc = s2p_db_commit(db, err);
	if (rc != S2P_OK) {
		s2p_db_rollback(db);
		return rc;
	}
	s2p_metrics_acc_init(a, now);
	return S2P_OK;
}

/* Fill p from a row of the series query. */
static void
read_point(sqlite3_stmt *st, struct s2p_metric_point *p)
{
	p->start = sqlite3_column_double(st, 0);
	p->synced = (long)sqlite3_column_int64(st, 1);
	p->failed = (long)sqlite3_column_int64(st, 2);
	p->dead = (long)sqlite3_column_int64(st, 3);
	p->skipped = (long)sqlite3_column_int64(st, 4);
	p->requests = (long)sqlite3_column_int64(st, 5);
	p->queue_depth = (long)sqlite3_column_int64(st, 6);
	p->p50_ms = sqlite3_column_type(st, 7) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_double(st, 7);
	p->p95_ms = sqlite3_column_type(st, 8) == SQLITE_NULL ||
		sqlite3_column_double(st, 8) < 0
	    ? -1
	    : sqlite3_column_double(st, 8);
	p->breaker_open = sqlite3_column_int(st, 9);
}

int
s2p_metrics_series(struct s2p_db *db, double from, double to, int bucket_s,
    struct s2p_metric_point **out, size_t *n, struct s2p_error *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, src;
	int64_t per = bucket_s >= 60 ? bucket_s / 60 : 1;
	int64_t m0 = minute_of(from + 59.999);

	*out = NULL;
	*n = 0;
	rc = s2p_db_prepare(db, &st,
	    "SELECT (?1 + (minute - ?1) / ?3 * ?3) * 60, sum(synced),"
	    " sum(failed), sum(dead), sum(skipped), sum(requests),"
	    " max(queue_depth),"
	    " sum(p50_ms * requests) / nullif(sum(CASE WHEN p50_ms IS NULL"
	    "  THEN 0 ELSE requests END), 0),"
	    " max(p95_ms), max(breaker <> 'closed')"
	    " FROM metric_minute WHERE minute >= ?1 AND minute < ?2"
	    " GROUP BY (minute - ?1) / ?3 ORDER BY 1",
	    err);
	if (rc != S2P_OK)
		return rc;
	src = sqlite3_bind_int64(st, 1, m0);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 2, minute_of(to + 59.999));
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, per);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = s2p_xreallocarray(*out, cap, sizeof(**out));
		}
		read_point(st, &(*out)[(*n)++]);
		src = SQLITE_OK;
	}
	if (src != SQLITE_DONE)
		rc = s2p_db_error(db, src, "read metrics", err);
	s2p_db_finalize(st);
	return rc;
}

int
s2p_metrics_totals(struct s2p_db *db, struct s2p_metric_totals *out,
    struct s2p_error *err)
{
	char name[64];
	int64_t us = 0;
	int rc = S2P_OK, i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < S2P_METRIC_OUTCOMES && rc == S2P_OK; i++)
		rc = s2p_db_counter_get(db, outcome_counter[i],
		    &out->outcomes[i], err);
	for (i = 0; i <= S2P_METRICS_PROM && rc == S2P_OK; i++) {
		snprintf(name, sizeof(name), "metric:plex_latency:%d", i);
		rc = s2p_db_counter_get(db, name, &out->prom[i], err);
	}
	if (rc == S2P_OK)
		rc = s2p_db_counter_get(db, "metric:plex_requests",
		    &out->requests, err);
	if (rc == S2P_OK)
		rc = s2p_db_counter_get(db, "metric:plex_latency_sum_us", &us,
		    err);
	if (rc == S2P_OK)
		rc = s2p_db_counter_get(db, "metric:probe_failures",
		    &out->probe_failures, err);
	out->lat_sum_s = (double)us / 1e6;
	return rc;
}
