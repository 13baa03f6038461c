/*
 * test_outage.c - outage history: start/end, the cap of 30, MTTR/MTBF/
 * availability on a hand-computed example, reconciling a dangling record,
 * corrupt files and the duration formatter.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/err.h"
#include "sync/outage.h"

#include "resil_util.h"

struct fx {
	char *dir;
	char *path;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));

	f->dir = make_scratch();
	if (f->dir == NULL)
		return -1;
	f->path = s2p_xasprintf("%s/%s", f->dir, S2P_OUTAGE_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rm_scratch(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void
test_outage__start_end_duration(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;

	assert_int_equal(s2p_outage_start(f->path, 1000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].ongoing);
	assert_true(l.v[0].started_at == 1000.0);
	s2p_outage_list_free(&l);

	/* a second start while one is open changes nothing */
	assert_int_equal(s2p_outage_start(f->path, 1010.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_end(f->path, 1100.5, 7, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].ongoing);
	assert_true(l.v[0].started_at == 1000.0);
	assert_true(l.v[0].ended_at == 1100.5);
	assert_true(l.v[0].duration == 100.5);
	assert_int_equal(l.v[0].jobs_waited, 7);
	s2p_outage_list_free(&l);

	/* ending again is a no-op */
	assert_int_equal(s2p_outage_end(f->path, 2000.0, 1, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].ended_at == 1100.5);
	assert_int_equal(l.v[0].jobs_waited, 7);
	s2p_outage_list_free(&l);

	/* and the next start opens a new, newest-last record */
	assert_int_equal(s2p_outage_start(f->path, 3000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 2);
	assert_true(l.v[1].started_at == 3000.0 && l.v[1].ongoing);
	s2p_outage_list_free(&l);
	assert_int_equal(file_mode(f->path), 0600);
}

static void
test_outage__end_without_history_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;

	assert_int_equal(s2p_outage_end(f->path, 10.0, 0, NULL), S2P_OK);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	s2p_outage_list_free(&l);
}

static void
test_outage__file_format(void **state)
{
	struct fx *f = *state;
	json_t *doc, *e;
	json_error_t jerr;

	assert_int_equal(s2p_outage_start(f->path, 100.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_end(f->path, 160.0, 4, NULL), S2P_OK);
	assert_int_equal(s2p_outage_start(f->path, 200.0, NULL), S2P_OK);
	doc = json_load_file(f->path, 0, &jerr);
	assert_non_null(doc);
	assert_true(json_is_array(doc));
	assert_int_equal(json_array_size(doc), 2);
	e = json_array_get(doc, 0);
	assert_true(json_number_value(json_object_get(e, "started_at")) == 100);
	assert_true(json_number_value(json_object_get(e, "ended_at")) == 160);
	assert_true(json_number_value(json_object_get(e, "duration")) == 60);
	assert_int_equal(json_integer_value(json_object_get(e, "jobs_waited")),
	    4);
	e = json_array_get(doc, 1);
	assert_true(json_is_null(json_object_get(e, "ended_at")));
	assert_true(json_is_null(json_object_get(e, "duration")));
	json_decref(doc);
}

static void
test_outage__keeps_newest_30(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;
	int i;

	for (i = 0; i < 35; i++) {
		double t = 1000.0 * (i + 1);

		assert_int_equal(s2p_outage_start(f->path, t, NULL), S2P_OK);
		assert_int_equal(s2p_outage_end(f->path, t + 10, i, NULL),
		    S2P_OK);
	}
	assert_int_equal(s2p_outage_start(f->path, 99000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, S2P_OUTAGE_MAX);
	/* 36 records made; the 6 oldest were dropped */
	assert_true(l.v[0].started_at == 7000.0);
	assert_int_equal(l.v[0].jobs_waited, 6);
	assert_true(l.v[28].started_at == 35000.0);
	assert_true(l.v[29].started_at == 99000.0 && l.v[29].ongoing);
	s2p_outage_list_free(&l);
}

static void
test_outage__stats_hand_computed(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;
	struct s2p_outage_stats st;

	/* outages 1000-1100 (100 s), 2100-2400 (300 s), 5400-5600 (200 s),
	 * then one ongoing since 9000.
	 * MTTR = 600 / 3 = 200. Gaps end->next start: 2100-1100 = 1000,
	 * 5400-2400 = 3000, so MTBF = 2000 (start-to-start would be 2200).
	 * Availability = 2000 / 2200 = 90.909...%. */
	assert_int_equal(s2p_outage_start(f->path, 1000, NULL), S2P_OK);
	assert_int_equal(s2p_outage_end(f->path, 1100, 0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_start(f->path, 2100, NULL), S2P_OK);
	assert_int_equal(s2p_outage_end(f->path, 2400, 0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_start(f->path, 5400, NULL), S2P_OK);
	assert_int_equal(s2p_outage_end(f->path, 5600, 0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_start(f->path, 9000, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	s2p_outage_compute_stats(&l, &st);
	assert_int_equal(st.count, 4);
	assert_int_equal(st.completed, 3);
	assert_true(st.ongoing);
	assert_true(st.ongoing_since == 9000.0);
	assert_true(st.total_downtime == 600.0);
	assert_true(st.mttr == 200.0);
	assert_true(st.have_mtbf);
	assert_true(st.mtbf == 2000.0);
	assert_true(fabs(st.availability - 100.0 * 2000.0 / 2200.0) < 1e-9);
	s2p_outage_list_free(&l);
}

static void
test_outage__stats_edge_cases(void **state)
{
	struct s2p_outage one[1] = {{100, 160, 60, 0, 0}};
	struct s2p_outage back_to_back[2] = {{100, 160, 60, 0, 0},
	    {160, 220, 60, 0, 0}};
	struct s2p_outage zero[2] = {{100, 100, 0, 0, 0}, {100, 100, 0, 0, 0}};
	struct s2p_outage_list l = {NULL, 0};
	struct s2p_outage_stats st;

	(void)state;
	s2p_outage_compute_stats(&l, &st);
	assert_int_equal(st.count, 0);
	assert_true(st.availability == 100.0);
	assert_true(st.mttr == 0.0 && st.mtbf == 0.0);
	assert_false(st.have_mtbf);
	assert_false(st.ongoing);

	l.v = one;
	l.n = 1;
	s2p_outage_compute_stats(&l, &st);
	assert_true(st.mttr == 60.0);
	assert_false(st.have_mtbf);
	assert_true(st.availability == -1.0); /* unknown with one outage */

	l.v = back_to_back;
	l.n = 2;
	s2p_outage_compute_stats(&l, &st);
	assert_true(st.have_mtbf);
	assert_true(st.mtbf == 0.0);
	assert_true(st.availability == 0.0);

	l.v = zero;
	s2p_outage_compute_stats(&l, &st);
	assert_true(st.availability == 100.0);
}

static void
test_outage__reconcile_closes_dangling_record(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;

	assert_int_equal(s2p_outage_start(f->path, 1000.0, NULL), S2P_OK);
	/* breaker still OPEN or HALF_OPEN: leave it alone */
	assert_int_equal(s2p_outage_reconcile(f->path, 1, 1500.0, 5000.0, NULL),
	    S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_true(l.v[0].ongoing);
	s2p_outage_list_free(&l);

	/* breaker CLOSED since 1500 (a restart lost the close): end there */
	assert_int_equal(s2p_outage_reconcile(f->path, 0, 1500.0, 5000.0, NULL),
	    S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].ongoing);
	assert_true(l.v[0].ended_at == 1500.0);
	assert_true(l.v[0].duration == 500.0);
	s2p_outage_list_free(&l);

	/* nothing open: nothing changes */
	assert_int_equal(s2p_outage_reconcile(f->path, 0, 9000.0, 9500.0, NULL),
	    S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_true(l.v[0].ended_at == 1500.0);
	s2p_outage_list_free(&l);
}

static void
test_outage__reconcile_clamps_end(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;

	/* unknown close time: zero length rather than an invented one */
	assert_int_equal(s2p_outage_start(f->path, 1000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_reconcile(f->path, 0, 0.0, 5000.0, NULL),
	    S2P_OK);
	/* close time before the start (stale breaker file) */
	assert_int_equal(s2p_outage_start(f->path, 6000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_reconcile(f->path, 0, 10.0, 7000.0, NULL),
	    S2P_OK);
	/* close time in the future */
	assert_int_equal(s2p_outage_start(f->path, 8000.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_reconcile(f->path, 0, 99999.0, 8500.0,
			     NULL),
	    S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 3);
	assert_true(l.v[0].ended_at == 1000.0 && l.v[0].duration == 0.0);
	assert_true(l.v[1].ended_at == 6000.0 && l.v[1].duration == 0.0);
	assert_true(l.v[2].ended_at == 8500.0 && l.v[2].duration == 500.0);
	s2p_outage_list_free(&l);
}

static void
test_outage__reconcile_without_file_is_noop(void **state)
{
	struct fx *f = *state;

	assert_int_equal(s2p_outage_reconcile(f->path, 0, 10.0, 20.0, NULL),
	    S2P_OK);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void
test_outage__corrupt_history(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;
	struct s2p_error err = {0};

	assert_int_equal(put_file(f->path, "[{\"started_at\": 1"), 0);
	assert_int_equal(s2p_outage_load(f->path, &l, &err), S2P_EPARSE);
	assert_int_equal(l.n, 0);
	assert_int_equal(err.code, S2P_EPARSE);
	s2p_outage_list_free(&l);
	assert_int_equal(put_file(f->path, "{\"outages\": []}"), 0);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_EPARSE);
	s2p_outage_list_free(&l);

	/* a new outage replaces the unreadable history */
	assert_int_equal(s2p_outage_start(f->path, 50.0, NULL), S2P_OK);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].started_at == 50.0);
	s2p_outage_list_free(&l);
}

static void
test_outage__lenient_entries_and_reference_format(void **state)
{
	struct fx *f = *state;
	struct s2p_outage_list l;

	/* bad entries are dropped; jobs_affected (the reference's name) is
	 * read; an older open record is closed at the next start; an end
	 * before the start is clamped */
	assert_int_equal(
	    put_file(f->path,
		"["
		"{\"started_at\": 100, \"ended_at\": 150, \"duration\": 999,"
		" \"jobs_affected\": 3},"
		"\"junk\","
		"{\"ended_at\": 5},"
		"{\"started_at\": \"x\"},"
		"{\"started_at\": 200, \"ended_at\": \"y\"},"
		"{\"started_at\": 300, \"ended_at\": null, \"duration\": null},"
		"{\"started_at\": 400, \"ended_at\": 390},"
		"{\"started_at\": 500}"
		"]"),
	    0);
	assert_int_equal(s2p_outage_load(f->path, &l, NULL), S2P_OK);
	assert_int_equal(l.n, 4);
	assert_true(l.v[0].duration == 50.0);
	assert_int_equal(l.v[0].jobs_waited, 3);
	assert_false(l.v[1].ongoing);
	assert_true(l.v[1].started_at == 300 && l.v[1].ended_at == 400);
	assert_true(l.v[2].started_at == 400 && l.v[2].duration == 0.0);
	assert_true(l.v[3].started_at == 500 && l.v[3].ongoing);
	s2p_outage_list_free(&l);
}

static void
test_outage__missing_directory_is_an_io_error(void **state)
{
	struct fx *f = *state;
	struct s2p_error err = {0};
	char *path = s2p_xasprintf("%s/gone/%s", f->dir, S2P_OUTAGE_FILE);

	assert_int_equal(s2p_outage_start(path, 1.0, &err), S2P_EIO);
	assert_int_equal(err.code, S2P_EIO);
	free(path);
}

static void
check_duration(double secs, const char *want)
{
	char buf[32];

	assert_string_equal(s2p_format_duration(secs, buf, sizeof(buf)), want);
}

static void
test_outage__format_duration(void **state)
{
	char tiny[3];

	(void)state;
	check_duration(0, "0s");
	check_duration(-5, "0s");
	check_duration(NAN, "0s");
	check_duration(0.9, "0s");
	check_duration(45, "45s");
	check_duration(59.99, "59s");
	check_duration(60, "1m 0s");
	check_duration(65, "1m 5s");
	check_duration(3599, "59m 59s");
	check_duration(3600, "1h 0m");
	check_duration(3660, "1h 1m");
	check_duration(3725, "1h 2m");
	check_duration(86399, "23h 59m");
	check_duration(86400, "1d 0h");
	check_duration(90061, "1d 1h");
	check_duration(2 * 86400 + 14 * 3600 + 59, "2d 14h");
	check_duration(1e300, "11574074074d 1h");
	assert_string_equal(s2p_format_duration(3660, tiny, sizeof(tiny)),
	    "1h");
}

/* The history's changes without a file. */
static void
test_outage__pure_list_changes(void **state)
{
	struct s2p_outage_list l = {NULL, 0};
	int i;

	(void)state;
	assert_int_equal(s2p_outage_list_end(&l, 10.0, 3), 0);
	assert_int_equal(s2p_outage_list_start(&l, 100.0), 1);
	assert_int_equal(s2p_outage_list_start(&l, 150.0), 0); /* one open */
	assert_int_equal(l.n, 1);
	assert_int_equal(s2p_outage_list_end(&l, 160.0, -4), 1);
	assert_false(l.v[0].ongoing);
	assert_true(l.v[0].duration == 60.0);
	assert_int_equal(l.v[0].jobs_waited, 0);
	/* reconcile: nothing while the breaker is open; else close at its
	 * change, clamped to now. */
	assert_int_equal(s2p_outage_list_start(&l, 200.0), 1);
	assert_int_equal(s2p_outage_list_reconcile(&l, 1, 250.0, 300.0), 0);
	assert_int_equal(s2p_outage_list_reconcile(&l, 0, 900.0, 300.0), 1);
	assert_true(l.v[1].ended_at == 300.0);
	assert_int_equal(s2p_outage_list_reconcile(&l, 0, 900.0, 300.0), 0);
	/* The cap drops the oldest. */
	for (i = 0; i < S2P_OUTAGE_MAX; i++) {
		assert_int_equal(s2p_outage_list_start(&l, 1000.0 + 10 * i), 1);
		assert_int_equal(s2p_outage_list_end(&l, 1005.0 + 10 * i, 1),
		    1);
	}
	assert_int_equal(l.n, S2P_OUTAGE_MAX);
	assert_true(l.v[0].started_at == 1000.0);
	s2p_outage_list_free(&l);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_outage__start_end_duration),
	    T(test_outage__end_without_history_writes_nothing),
	    T(test_outage__file_format),
	    T(test_outage__keeps_newest_30),
	    cmocka_unit_test(test_outage__stats_edge_cases),
	    T(test_outage__stats_hand_computed),
	    T(test_outage__reconcile_closes_dangling_record),
	    T(test_outage__reconcile_clamps_end),
	    T(test_outage__reconcile_without_file_is_noop),
	    T(test_outage__corrupt_history),
	    T(test_outage__lenient_entries_and_reference_format),
	    T(test_outage__missing_directory_is_an_io_error),
	    cmocka_unit_test(test_outage__format_duration),
	    cmocka_unit_test(test_outage__pure_list_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
