/*
 * test_probe.c - the active-probe schedule while the breaker is OPEN: the
 * 5, 10, 20, 40, 60, 60 s gaps, jitter that only shortens, resets, and the
 * "next check in" text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"
#include "sync/probe.h"

#define T0 1700000000.0

static void
test_probe__init_is_due_at_once(void **state)
{
	struct s2p_probe_sched s;

	(void)state;
	s2p_probe_init(&s);
	assert_true(s.interval == 5.0);
	assert_int_equal(s.failures, 0);
	assert_true(s.last == 0.0);
	assert_true(s2p_probe_due(&s, T0));
	assert_true(s2p_probe_next_in(&s, T0) == 0.0);
}

static void
test_probe__first_probe_five_seconds_after_start(void **state)
{
	struct s2p_probe_sched s;

	(void)state;
	s2p_probe_start(&s, T0);
	assert_false(s2p_probe_due(&s, T0));
	assert_false(s2p_probe_due(&s, T0 + 4.999));
	assert_true(s2p_probe_due(&s, T0 + 5.0));
	assert_true(s2p_probe_due(&s, T0 + 6.0));
	assert_true(s2p_probe_next_in(&s, T0 + 1.5) == 3.5);
}

static void
test_probe__nominal_sequence(void **state)
{
	static const double want[] = {5, 10, 20, 40, 60, 60, 60, 60};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(s2p_probe_nominal((int)i) == want[i]);
	assert_true(s2p_probe_nominal(1000000) == 60.0);
	assert_true(s2p_probe_nominal(-1) == 5.0);
}

static void
test_probe__failures_back_off_with_shortening_jitter(void **state)
{
	static const double want[] = {10, 20, 40, 60, 60, 60};
	struct s2p_rng rng;
	int seed;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		struct s2p_probe_sched s;
		double now = T0;
		size_t i;

		s2p_rng_seed(&rng, (uint64_t)seed);
		s2p_probe_start(&s, now);
		now += 5.0;
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			assert_true(s2p_probe_due(&s, now));
			s2p_probe_record(&s, 0, now, &rng);
			assert_int_equal(s.failures, (int)i + 1);
			assert_true(s.last == now);
			assert_true(s.interval <= want[i]);
			assert_true(s.interval >= 0.8 * want[i]);
			/* due exactly when the interval has elapsed */
			assert_false(
			    s2p_probe_due(&s, now + s.interval - 0.001));
			assert_true(s2p_probe_due(&s, now + s.interval));
			now += s.interval;
		}
	}
}

static void
test_probe__jitter_varies(void **state)
{
	struct s2p_rng rng;
	double lo = 1e9, hi = 0;
	int i;

	(void)state;
	s2p_rng_seed(&rng, 77);
	for (i = 0; i < 1000; i++) {
		struct s2p_probe_sched s;

		s2p_probe_start(&s, T0);
		s2p_probe_record(&s, 0, T0 + 5, &rng);
		s2p_probe_record(&s, 0, T0 + 15, &rng);
		s2p_probe_record(&s, 0, T0 + 35, &rng);
		s2p_probe_record(&s, 0, T0 + 75, &rng); /* nominal 60 */
		if (s.interval < lo)
			lo = s.interval;
		if (s.interval > hi)
			hi = s.interval;
	}
	assert_true(lo >= 48.0 && lo < 49.0);
	assert_true(hi <= 60.0 && hi > 59.0);
}

/* Drive the schedule the way the worker loop does (sleep until due, probe,
 * record) and check the gaps between the probes actually made. */
static void
test_probe__simulated_outage_gaps(void **state)
{
	static const double nominal[] = {5, 10, 20, 40, 60, 60, 60, 60};
	struct s2p_probe_sched s;
	struct s2p_rng rng;
	double probes[8], now = T0;
	int n = 0, i, steps = 0;

	(void)state;
	s2p_rng_seed(&rng, 2024);
	s2p_probe_start(&s, now); /* the breaker just opened */
	while (n < 8) {
		/* sleeping next_in must make it due: no endless loop */
		assert_true(++steps < 100);
		if (!s2p_probe_due(&s, now)) {
			now += s2p_probe_next_in(&s, now);
			continue;
		}
		probes[n++] = now;
		s2p_probe_record(&s, 0, now, &rng);
	}
	assert_true(probes[0] - T0 == 5.0);
	for (i = 1; i < n; i++) {
		double gap = probes[i] - probes[i - 1];

		assert_true(gap <= nominal[i] + 1e-6);
		assert_true(gap >= 0.8 * nominal[i] - 1e-6);
	}
}

static void
test_probe__success_resets(void **state)
{
	struct s2p_probe_sched s;
	struct s2p_rng rng;

	(void)state;
	s2p_rng_seed(&rng, 5);
	s2p_probe_start(&s, T0);
	s2p_probe_record(&s, 0, T0 + 5, &rng);
	s2p_probe_record(&s, 0, T0 + 15, &rng);
	s2p_probe_record(&s, 0, T0 + 35, &rng);
	assert_int_equal(s.failures, 3);
	assert_true(s.interval > 30.0);
	s2p_probe_record(&s, 1, T0 + 75, &rng);
	assert_int_equal(s.failures, 0);
	assert_true(s.interval == 5.0);
	assert_true(s.last == T0 + 75);
	assert_false(s2p_probe_due(&s, T0 + 79.9));
	assert_true(s2p_probe_due(&s, T0 + 80));
	/* and the next failure starts the sequence over at 10 */
	s2p_probe_record(&s, 0, T0 + 80, &rng);
	assert_int_equal(s.failures, 1);
	assert_true(s.interval <= 10.0 && s.interval >= 8.0);
}

static void
test_probe__reset_for_next_outage(void **state)
{
	struct s2p_probe_sched s;
	struct s2p_rng rng;

	(void)state;
	s2p_rng_seed(&rng, 5);
	s2p_probe_start(&s, T0);
	s2p_probe_record(&s, 0, T0 + 5, &rng);
	s2p_probe_record(&s, 0, T0 + 15, &rng);
	s2p_probe_reset(&s);
	assert_int_equal(s.failures, 0);
	assert_true(s.interval == 5.0);
	assert_true(s.last == 0.0);
}

static void
test_probe__clock_going_back_makes_it_due(void **state)
{
	struct s2p_probe_sched s;

	(void)state;
	s2p_probe_start(&s, T0);
	assert_true(s2p_probe_due(&s, T0 - 100));
}

static void
test_probe__format_next(void **state)
{
	struct s2p_probe_sched s;
	struct s2p_rng rng;
	char buf[64], tiny[6];

	(void)state;
	s2p_rng_seed(&rng, 5);
	s2p_probe_start(&s, T0);
	assert_string_equal(s2p_probe_format_next(&s, T0, buf, sizeof(buf)),
	    "next check in 5.0s");
	assert_string_equal(s2p_probe_format_next(&s, T0 + 2.5, buf,
				sizeof(buf)),
	    "next check in 2.5s");
	assert_string_equal(s2p_probe_format_next(&s, T0 + 9, buf, sizeof(buf)),
	    "next check in 0.0s");
	s2p_probe_record(&s, 0, T0 + 5, &rng);
	s2p_probe_format_next(&s, T0 + 5, buf, sizeof(buf));
	assert_true(strncmp(buf, "next check in ", 14) == 0);
	assert_true(
	    buf[14] == '8' || buf[14] == '9' || strcmp(buf + 14, "10.0s") == 0);
	/* truncates safely */
	assert_string_equal(s2p_probe_format_next(&s, T0, tiny, sizeof(tiny)),
	    "next ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe__init_is_due_at_once),
	    cmocka_unit_test(test_probe__first_probe_five_seconds_after_start),
	    cmocka_unit_test(test_probe__nominal_sequence),
	    cmocka_unit_test(
		test_probe__failures_back_off_with_shortening_jitter),
	    cmocka_unit_test(test_probe__jitter_varies),
	    cmocka_unit_test(test_probe__simulated_outage_gaps),
	    cmocka_unit_test(test_probe__success_resets),
	    cmocka_unit_test(test_probe__reset_for_next_outage),
	    cmocka_unit_test(test_probe__clock_going_back_makes_it_due),
	    cmocka_unit_test(test_probe__format_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
