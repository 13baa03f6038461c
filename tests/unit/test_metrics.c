/*
 * test_metrics.c - the per-minute samples and running totals of
 * store/metrics.c on a real SQLite file: percentiles from the log buckets,
 * minutes merged across processes, series buckets, retention and totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/xalloc.h"
#include "resil_util.h"
#include "store/db.h"
#include "store/metrics.h"

#define T0 1790000040.0 /* a minute boundary (divisible by 60) */

struct fx {
	char *dir;
	char *path;
	struct s2p_db *db;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));

	f->dir = make_scratch();
	if (f->dir == NULL) {
		free(f);
		return -1;
	}
	f->path = s2p_xasprintf("%s/stash2plex.db", f->dir);
	if (s2p_db_open(&f->db, f->path, NULL) != S2P_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_db_close(f->db);
	rm_scratch(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Percentiles land within one bucket (30 %) of the true value. */
static void
test_percentiles(void **state)
{
	struct s2p_metrics_acc a;
	double p50, p95;
	int i;

	(void)state;
	s2p_metrics_acc_init(&a, T0);
	assert_true(s2p_metrics_acc_percentile(&a, 0.5) < 0);
	for (i = 1; i <= 100; i++)
		s2p_metrics_note_request(&a, (double)i); /* 1..100 ms */
	p50 = s2p_metrics_acc_percentile(&a, 0.5);
	p95 = s2p_metrics_acc_percentile(&a, 0.95);
	assert_true(p50 > 50 / 1.3 && p50 < 50 * 1.3);
	assert_true(p95 > 95 / 1.3 && p95 < 95 * 1.3);
	assert_int_equal(a.requests, 100);
	/* Prometheus buckets: <=5 ms, <=10 ms, <=25 ms, <=50 ms, <=100 ms. */
	assert_int_equal(a.prom[0], 5);
	assert_int_equal(a.prom[1], 5);
	assert_int_equal(a.prom[2], 15);
	assert_int_equal(a.prom[3], 25);
	assert_int_equal(a.prom[4], 50);
	/* Nonsense durations are counted, not trusted. */
	s2p_metrics_note_request(&a, -5);
	s2p_metrics_note_request(&a, 1e9);
	assert_int_equal(a.prom[0], 6);
	assert_int_equal(a.prom[S2P_METRICS_PROM], 1);
}

/* Two processes writing the same minute add up; a later minute is a new
 * point; totals keep everything. */
static void
test_flush_merge_series(void **state)
{
	struct fx *f = *state;
	struct s2p_metrics_acc a, b;
	struct s2p_metric_point *pts = NULL;
	struct s2p_metric_totals t;
	size_t n = 0;

	s2p_metrics_acc_init(&a, T0 + 5);
	s2p_metrics_acc_init(&b, T0 + 7);
	assert_false(s2p_metrics_due(&a, T0 + 59));
	assert_true(s2p_metrics_due(&a, T0 + 60));
	s2p_metrics_note_outcome(&a, S2P_METRIC_SYNCED);
	s2p_metrics_note_outcome(&a, S2P_METRIC_SYNCED);
	s2p_metrics_note_outcome(&b, S2P_METRIC_DEAD);
	s2p_metrics_note_outcome(&b, S2P_METRIC_FAILED);
	s2p_metrics_note_request(&a, 20);
	s2p_metrics_note_probe_failure(&b);
	assert_int_equal(s2p_metrics_flush(f->db, &a, T0 + 30, 7, "closed",
			     NULL),
	    S2P_OK);
	assert_int_equal(a.outcomes[S2P_METRIC_SYNCED], 0); /* reset */
	assert_int_equal(s2p_metrics_flush(f->db, &b, T0 + 40, 3, "open", NULL),
	    S2P_OK);
	s2p_metrics_note_outcome(&a, S2P_METRIC_SKIPPED);
	a.minute++; /* the next minute */
	assert_int_equal(s2p_metrics_flush(f->db, &a, T0 + 70, 0, "closed",
			     NULL),
	    S2P_OK);

	assert_int_equal(s2p_metrics_series(f->db, T0, T0 + 3600, 60, &pts, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 2);
	assert_true(pts[0].start == T0);
	assert_int_equal(pts[0].synced, 2);
	assert_int_equal(pts[0].dead, 1);
	assert_int_equal(pts[0].failed, 1);
	assert_int_equal(pts[0].requests, 1);
	assert_int_equal(pts[0].queue_depth, 3); /* the later sample */
	assert_int_equal(pts[0].breaker_open, 1);
	assert_true(pts[0].p50_ms > 20 / 1.3 && pts[0].p50_ms < 20 * 1.3);
	assert_true(pts[1].start == T0 + 60);
	assert_int_equal(pts[1].skipped, 1);
	assert_true(pts[1].p50_ms < 0);
	assert_int_equal(pts[1].breaker_open, 0);
	free(pts);

	/* One hour bucket holds both minutes. */
	assert_int_equal(s2p_metrics_series(f->db, T0, T0 + 3600, 3600, &pts,
			     &n, NULL),
	    S2P_OK);
	assert_int_equal(n, 1);
	assert_int_equal(pts[0].synced, 2);
	assert_int_equal(pts[0].skipped, 1);
	assert_int_equal(pts[0].queue_depth, 3);
	free(pts);

	assert_int_equal(s2p_metrics_totals(f->db, &t, NULL), S2P_OK);
	assert_int_equal(t.outcomes[S2P_METRIC_SYNCED], 2);
	assert_int_equal(t.outcomes[S2P_METRIC_DEAD], 1);
	assert_int_equal(t.outcomes[S2P_METRIC_SKIPPED], 1);
	assert_int_equal(t.requests, 1);
	assert_int_equal(t.prom[2], 1); /* 20 ms: <= 25 ms */
	assert_true(t.lat_sum_s > 0.0199 && t.lat_sum_s < 0.0201);
	assert_int_equal(t.probe_failures, 1);
}

/* Samples older than 7 days are dropped at the next flush; the totals are
 * not. */
static void
test_retention(void **state)
{
	struct fx *f = *state;
	struct s2p_metrics_acc a;
	struct s2p_metric_point *pts = NULL;
	struct s2p_metric_totals t;
	size_t n = 0;
	double later = T0 + S2P_METRICS_RETENTION + 120;

	s2p_metrics_acc_init(&a, T0);
	s2p_metrics_note_outcome(&a, S2P_METRIC_SYNCED);
	assert_int_equal(s2p_metrics_flush(f->db, &a, T0, 1, "closed", NULL),
	    S2P_OK);
	s2p_metrics_acc_init(&a, later);
	assert_int_equal(s2p_metrics_flush(f->db, &a, later, 0, "closed", NULL),
	    S2P_OK);
	assert_int_equal(s2p_metrics_series(f->db, 0, later + 60, 60, &pts, &n,
			     NULL),
	    S2P_OK);
	assert_int_equal(n, 1);
	assert_true(pts[0].start >= later - 60);
	free(pts);
	assert_int_equal(s2p_metrics_totals(f->db, &t, NULL), S2P_OK);
	assert_int_equal(t.outcomes[S2P_METRIC_SYNCED], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test_setup_teardown(test_flush_merge_series, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
