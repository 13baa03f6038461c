/*
 * metrics.h - what the worker measured, kept for the charts and the
 * Prometheus endpoint. A process accumulates in memory (struct
 * s2p_metrics_acc: job outcomes, Plex request latencies, probe failures)
 * and writes one sample per minute into the `metric_minute` table (counts
 * added to what other processes wrote for the same minute, plus the queue
 * depth and breaker state at that moment), kept 7 days. Totals since the
 * database was created live in the `counter` table under "metric:" names,
 * so a Prometheus counter never goes backwards. See docs/internals/metrics.md.
 */
#ifndef S2P_METRICS_H
#define S2P_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"
#include "store/db.h"

#define S2P_METRICS_RETENTION (7 * 24 * 3600) /* seconds of samples kept */
#define S2P_METRICS_FINE 48 /* log-spaced latency buckets (percentiles) */
#define S2P_METRICS_PROM 11 /* Prometheus buckets, +Inf not counted */

/* The upper bounds (seconds) of the Prometheus latency buckets. */
extern const double s2p_metrics_prom_le[S2P_METRICS_PROM];

enum s2p_metric_outcome {
	S2P_METRIC_SYNCED,  /* a job ended with Plex in step: updated, unchanged
			     */
	S2P_METRIC_FAILED,  /* a job failed and was put back for a retry */
	S2P_METRIC_DEAD,    /* a job failed for good (dead letter) */
	S2P_METRIC_SKIPPED, /* a job ended without a Plex item (not found
			     * with skip_not_found, scene gone, ...) */
};
#define S2P_METRIC_OUTCOMES 4

/* One process's measurements since its last flush. Plain data: zero it
 * with s2p_metrics_acc_init, nothing to free. */
struct s2p_metrics_acc {
	int64_t minute; /* the minute being accumulated (unix time / 60) */
	long outcomes[S2P_METRIC_OUTCOMES];
	long requests;
	long fine[S2P_METRICS_FINE];
	long prom[S2P_METRICS_PROM + 1]; /* per bucket, last = over the top */
	double lat_sum_ms;
	long probe_failures;
};

/* One point of a series: the sums over its bucket of minutes. */
struct s2p_metric_point {
	double start; /* unix seconds of the bucket's first minute */
	long synced, failed, dead, skipped, requests;
	long queue_depth; /* highest depth sampled in the bucket */
	double p50_ms;    /* request-weighted mean of the minutes' medians */
	double p95_ms;    /* highest p95 of the bucket's minutes */
	int breaker_open; /* the breaker was not CLOSED at some sample */
};

/* Totals since the database was created (Prometheus counters). */
struct s2p_metric_totals {
	int64_t outcomes[S2P_METRIC_OUTCOMES];
	int64_t requests;
	int64_t prom[S2P_METRICS_PROM + 1]; /* per bucket, not cumulative */
	double lat_sum_s;
	int64_t probe_failures;
};

void s2p_metrics_acc_init(struct s2p_metrics_acc *a, double now);
void s2p_metrics_note_outcome(struct s2p_metrics_acc *a,
    enum s2p_metric_outcome o);
/* One Plex request that took ms milliseconds (any outcome). */
void s2p_metrics_note_request(struct s2p_metrics_acc *a, double ms);
void s2p_metrics_note_probe_failure(struct s2p_metrics_acc *a);
/* The accumulated latency percentile q (0..1) in ms; -1 with no request. */
double s2p_metrics_acc_percentile(const struct s2p_metrics_acc *a, double q);
/* 1 when now is in a later minute than the accumulated one: time to
 * s2p_metrics_flush. */
int s2p_metrics_due(const struct s2p_metrics_acc *a, double now);
/* Write the accumulated minute (added to what is there), the queue depth
 * and breaker state ("closed", "open", "half_open"), add to the totals,
 * drop samples older than the retention, and start a new minute at now.
 * One transaction; on failure the accumulator is kept for a later try.
 * Errors: as s2p_db_error (S2P_EBUSY, S2P_EDISK, ...). */
int s2p_metrics_flush(struct s2p_db *db, struct s2p_metrics_acc *a, double now,
    long queue_depth, const char *breaker, struct s2p_error *err) S2P_NODISCARD;
/* The samples in [from, to) summed into buckets of bucket_s seconds (a
 * multiple of 60); only buckets holding a sample are returned, oldest
 * first. *out is new (free it); *n its length. */
int s2p_metrics_series(struct s2p_db *db, double from, double to, int bucket_s,
    struct s2p_metric_point **out, size_t *n,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_metrics_totals(struct s2p_db *db, struct s2p_metric_totals *out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
