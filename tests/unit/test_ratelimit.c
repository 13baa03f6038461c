/*
 * test_ratelimit.c - graduated recovery: the 5 -> 20 jobs/s ramp measured by
 * a simulated worker loop, halving on errors and restoring, the end of the
 * period, zero overhead outside it, and resuming from a saved start.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/err.h"
#include "sync/ratelimit.h"

#include "resil_util.h"

#define T0 1700000000.0
#define NSEC 300

/* A worker loop between from and to: ask; when admitted count the job in
 * the second (relative to base) it started in, else sleep what was asked. */
static void
simulate(struct s2p_ratelimit *rl, double base, double from, double to,
    int *per_sec)
{
	double now = from;
	long steps = 0;

	while (now < to) {
		double w = s2p_ratelimit_wait(rl, now);

		assert_true(++steps < 1000000);
		if (w == 0.0) {
			long idx = (long)(now - base);

			assert_true(s2p_ratelimit_active(rl, now));
			if (idx >= 0 && idx < NSEC)
				per_sec[idx]++;
		} else {
			assert_true(w > 0.0 && w <= 1.0);
			now += w;
		}
	}
}

static void
test_ratelimit__idle_has_no_effect(void **state)
{
	struct s2p_ratelimit rl;
	int i, n = -1;

	(void)state;
	s2p_ratelimit_init(&rl);
	for (i = 0; i < 1000; i++)
		assert_true(s2p_ratelimit_wait(&rl, T0) == 0.0);
	assert_false(s2p_ratelimit_active(&rl, T0));
	assert_true(s2p_ratelimit_rate(&rl, T0) == 0.0);
	assert_int_equal(s2p_ratelimit_record(&rl, 0, T0), S2P_RATELIMIT_NONE);
	assert_true(s2p_ratelimit_error_rate(&rl, T0, &n) == 0.0);
	assert_int_equal(n, 0);
	assert_false(s2p_ratelimit_check_end(&rl, T0));
	/* start(0) is "not in recovery" too */
	s2p_ratelimit_start(&rl, 0.0);
	assert_true(s2p_ratelimit_wait(&rl, T0) == 0.0);
	assert_false(s2p_ratelimit_active(&rl, T0));
}

static void
test_ratelimit__ramp_from_5_to_20_per_second(void **state)
{
	static int per_sec[NSEC];
	struct s2p_ratelimit rl;
	long total = 0;
	int i;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	assert_true(s2p_ratelimit_rate(&rl, T0) == 5.0);
	assert_true(s2p_ratelimit_rate(&rl, T0 + 150) == 12.5);
	simulate(&rl, T0, T0, T0 + NSEC, per_sec);
	/* first second: the initial token plus ~5/s */
	assert_in_range(per_sec[0], 5, 6);
	assert_in_range(per_sec[1], 4, 6);
	assert_in_range(per_sec[150], 12, 13);
	assert_in_range(per_sec[298], 19, 21);
	assert_in_range(per_sec[299], 19, 21);
	for (i = 0; i < NSEC; i++)
		total += per_sec[i];
	/* integral of 5 + 15 t / 300 over 300 s is 3750 */
	assert_in_range(total, 3700, 3800);
}

static void
test_ratelimit__no_bursts(void **state)
{
	struct s2p_ratelimit rl;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	/* idle for a long time still banks only one token */
	assert_true(s2p_ratelimit_wait(&rl, T0 + 100) == 0.0);
	assert_true(s2p_ratelimit_wait(&rl, T0 + 100) > 0.0);
	assert_true(s2p_ratelimit_wait(&rl, T0 + 200) == 0.0);
	assert_true(s2p_ratelimit_wait(&rl, T0 + 200) > 0.0);
}

static void
test_ratelimit__period_ends_after_300s(void **state)
{
	struct s2p_ratelimit rl;
	int i;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	assert_true(s2p_ratelimit_active(&rl, T0 + 299.9));
	assert_false(s2p_ratelimit_check_end(&rl, T0 + 299.9));
	assert_false(s2p_ratelimit_active(&rl, T0 + 300));
	for (i = 0; i < 100; i++)
		assert_true(s2p_ratelimit_wait(&rl, T0 + 300) == 0.0);
	assert_true(s2p_ratelimit_check_end(&rl, T0 + 300));
	assert_false(s2p_ratelimit_check_end(&rl, T0 + 301));
	assert_true(rl.started_at == 0.0);
}

static void
test_ratelimit__clock_going_back_counts_as_start(void **state)
{
	struct s2p_ratelimit rl;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	assert_true(s2p_ratelimit_active(&rl, T0 - 50));
	assert_true(s2p_ratelimit_rate(&rl, T0 - 50) == 5.0);
}

/* 6 successes then 4 failures at `at`; returns the index of the result
 * that produced SLOWED (-1 if none). */
static int
forty_percent_errors(struct s2p_ratelimit *rl, double at)
{
	int i, slowed_at = -1;

	for (i = 0; i < 10; i++) {
		enum s2p_ratelimit_event ev = s2p_ratelimit_record(rl, i < 6,
		    at);

		if (ev == S2P_RATELIMIT_SLOWED) {
			assert_int_equal(slowed_at, -1);
			slowed_at = i;
		} else {
			assert_int_equal(ev, S2P_RATELIMIT_NONE);
		}
	}
	return slowed_at;
}

static void
test_ratelimit__forty_percent_errors_halve_the_rate(void **state)
{
	static int slow[NSEC], control[NSEC];
	struct s2p_ratelimit rl, ctl;
	int i, n = 0;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	s2p_ratelimit_start(&ctl, T0);
	simulate(&rl, T0, T0, T0 + 100, slow);
	simulate(&ctl, T0, T0, T0 + 100, control);
	/* 3 failures out of 9 is the first rate above 30 % */
	assert_int_equal(forty_percent_errors(&rl, T0 + 100), 8);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 100, &n) == 0.4);
	assert_int_equal(n, 10);
	assert_true(rl.multiplier == 0.5);
	for (i = 0; i < 10; i++)
		assert_int_equal(s2p_ratelimit_record(&ctl, 1, T0 + 100),
		    S2P_RATELIMIT_NONE);
	assert_true(s2p_ratelimit_rate(&rl, T0 + 100) ==
	    0.5 * s2p_ratelimit_rate(&ctl, T0 + 100));

	simulate(&rl, T0, T0 + 100, T0 + 103, slow);
	simulate(&ctl, T0, T0 + 100, T0 + 103, control);
	assert_in_range(control[101], 9, 11);
	assert_in_range(slow[101], 4, 6);
	assert_in_range(control[102], 9, 11);
	assert_in_range(slow[102], 4, 6);
}

static void
test_ratelimit__restores_after_60s_of_low_errors(void **state)
{
	struct s2p_ratelimit rl;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	assert_int_equal(forty_percent_errors(&rl, T0 + 100), 8);
	/* still inside the 60 s: no restore, and no second halving */
	assert_int_equal(s2p_ratelimit_record(&rl, 1, T0 + 130),
	    S2P_RATELIMIT_NONE);
	assert_int_equal(s2p_ratelimit_record(&rl, 0, T0 + 131),
	    S2P_RATELIMIT_NONE);
	assert_true(rl.multiplier == 0.5);
	assert_true(s2p_ratelimit_rate(&rl, T0 + 131) ==
	    0.5 * (5.0 + 15.0 * 131.0 / 300.0));
	/* past the 60 s, but the window still holds the T0+131 failure:
	 * 1 in 3 is above 10 %, keep slow */
	assert_int_equal(s2p_ratelimit_record(&rl, 1, T0 + 165),
	    S2P_RATELIMIT_NONE);
	assert_int_equal(s2p_ratelimit_record(&rl, 1, T0 + 190),
	    S2P_RATELIMIT_NONE);
	assert_true(rl.multiplier == 0.5);
	/* once it has left the window (after T0+191): restore */
	assert_int_equal(s2p_ratelimit_record(&rl, 1, T0 + 192),
	    S2P_RATELIMIT_RESTORED);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 192, NULL) == 0.0);
	assert_true(rl.multiplier == 1.0);
}

static void
test_ratelimit__between_10_and_30_percent_stays_slow(void **state)
{
	struct s2p_ratelimit rl;
	int i;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	assert_int_equal(forty_percent_errors(&rl, T0 + 10), 8);
	/* after the 60 s, 1 failure in 5 (20 %): hysteresis keeps it slow */
	for (i = 0; i < 5; i++)
		assert_int_equal(s2p_ratelimit_record(&rl, i != 0, T0 + 80),
		    S2P_RATELIMIT_NONE);
	assert_true(rl.multiplier == 0.5);
}

static void
test_ratelimit__needs_five_samples_to_slow_down(void **state)
{
	struct s2p_ratelimit rl;
	int i;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	for (i = 0; i < 4; i++)
		assert_int_equal(s2p_ratelimit_record(&rl, 0, T0 + 1),
		    S2P_RATELIMIT_NONE);
	assert_true(rl.multiplier == 1.0);
	assert_int_equal(s2p_ratelimit_record(&rl, 0, T0 + 1),
	    S2P_RATELIMIT_SLOWED);
}

static void
test_ratelimit__error_window_is_60s(void **state)
{
	struct s2p_ratelimit rl;
	int n = -1;

	(void)state;
	s2p_ratelimit_start(&rl, T0);
	(void)s2p_ratelimit_record(&rl, 0, T0 + 10.5);
	(void)s2p_ratelimit_record(&rl, 1, T0 + 40.5);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 40.5, &n) == 0.5);
	assert_int_equal(n, 2);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 69.9, &n) == 0.5);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 70.0, &n) == 0.0);
	assert_int_equal(n, 1);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 101, &n) == 0.0);
	assert_int_equal(n, 0);
	/* a bucket reused a minute later starts from zero */
	(void)s2p_ratelimit_record(&rl, 1, T0 + 70.5);
	assert_true(s2p_ratelimit_error_rate(&rl, T0 + 70.5, &n) == 0.0);
	assert_int_equal(n, 2);
}

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
	f->path = s2p_xasprintf("%s/%s", f->dir, S2P_RECOVERY_FILE);
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
test_ratelimit__resume_from_saved_start(void **state)
{
	static int per_sec[NSEC];
	struct fx *f = *state;
	struct s2p_ratelimit rl;
	double started = -1;

	/* the worker that saw the breaker close saves the start... */
	assert_int_equal(s2p_ratelimit_save(f->path, T0, NULL), S2P_OK);
	assert_int_equal(file_mode(f->path), 0600);
	/* ...and a restarted worker resumes the ramp where it was */
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL), S2P_OK);
	assert_true(started == T0);
	s2p_ratelimit_start(&rl, started);
	assert_true(s2p_ratelimit_rate(&rl, T0 + 150) == 12.5);
	simulate(&rl, T0, T0 + 150, T0 + 152, per_sec);
	assert_in_range(per_sec[151], 12, 13);

	/* a start older than the period resumes straight into "ended" */
	s2p_ratelimit_start(&rl, started);
	assert_true(s2p_ratelimit_check_end(&rl, T0 + 400));
	assert_int_equal(s2p_ratelimit_save(f->path, 0.0, NULL), S2P_OK);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL), S2P_OK);
	assert_true(started == 0.0);
}

static void
test_ratelimit__save_keeps_other_keys(void **state)
{
	struct fx *f = *state;
	json_t *doc;
	json_error_t jerr;
	double started = 0;

	assert_int_equal(put_file(f->path,
			     "{\"recovery_count\": 3, "
			     "\"last_check_time\": 12.5}"),
	    0);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL), S2P_OK);
	assert_true(started == 0.0);
	assert_int_equal(s2p_ratelimit_save(f->path, T0 + 0.5, NULL), S2P_OK);
	doc = json_load_file(f->path, 0, &jerr);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(
			     json_object_get(doc, "recovery_count")),
	    3);
	assert_true(
	    json_number_value(json_object_get(doc, "last_check_time")) == 12.5);
	assert_true(json_number_value(json_object_get(doc,
			"recovery_started_at")) == T0 + 0.5);
	json_decref(doc);
}

static void
test_ratelimit__load_missing_and_corrupt(void **state)
{
	struct fx *f = *state;
	struct s2p_error err = {0};
	double started = -1;

	assert_int_equal(s2p_ratelimit_load(f->path, &started, &err), S2P_OK);
	assert_true(started == 0.0);

	assert_int_equal(put_file(f->path, "{{{"), 0);
	started = -1;
	assert_int_equal(s2p_ratelimit_load(f->path, &started, &err),
	    S2P_EPARSE);
	assert_true(started == 0.0);
	/* saving replaces the corrupt file */
	assert_int_equal(s2p_ratelimit_save(f->path, T0, NULL), S2P_OK);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL), S2P_OK);
	assert_true(started == T0);

	assert_int_equal(put_file(f->path, "[1]"), 0);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL),
	    S2P_EPARSE);
	assert_int_equal(put_file(f->path,
			     "{\"recovery_started_at\": \"soon\"}"),
	    0);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL),
	    S2P_EPARSE);
	assert_true(started == 0.0);
	assert_int_equal(put_file(f->path, "{\"recovery_started_at\": null}"),
	    0);
	assert_int_equal(s2p_ratelimit_load(f->path, &started, NULL), S2P_OK);
	assert_true(started == 0.0);
}

static void
test_ratelimit__save_into_missing_directory_fails(void **state)
{
	struct fx *f = *state;
	struct s2p_error err = {0};
	char *path = s2p_xasprintf("%s/none/%s", f->dir, S2P_RECOVERY_FILE);

	assert_int_equal(s2p_ratelimit_save(path, T0, &err), S2P_EIO);
	assert_int_equal(err.code, S2P_EIO);
	free(path);
}

#define TF(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratelimit__idle_has_no_effect),
	    cmocka_unit_test(test_ratelimit__ramp_from_5_to_20_per_second),
	    cmocka_unit_test(test_ratelimit__no_bursts),
	    cmocka_unit_test(test_ratelimit__period_ends_after_300s),
	    cmocka_unit_test(test_ratelimit__clock_going_back_counts_as_start),
	    cmocka_unit_test(
		test_ratelimit__forty_percent_errors_halve_the_rate),
	    cmocka_unit_test(test_ratelimit__restores_after_60s_of_low_errors),
	    cmocka_unit_test(
		test_ratelimit__between_10_and_30_percent_stays_slow),
	    cmocka_unit_test(test_ratelimit__needs_five_samples_to_slow_down),
	    cmocka_unit_test(test_ratelimit__error_window_is_60s),
	    TF(test_ratelimit__resume_from_saved_start),
	    TF(test_ratelimit__save_keeps_other_keys),
	    TF(test_ratelimit__load_missing_and_corrupt),
	    TF(test_ratelimit__save_into_missing_directory_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
