/*
 * test_backoff.c - full-jitter delay windows, the per-class retry table,
 * Retry-After as a floor and attempt exhaustion.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/rng.h"
#include "sync/backoff.h"

#define SAMPLES 4000

static void
test_backoff__windows_grow_and_cap(void **state)
{
	static const double want[] = {5, 10, 20, 40, 80, 80, 80};
	struct s2p_rng rng;
	int n, i;

	(void)state;
	s2p_rng_seed(&rng, 42);
	for (n = 0; n <= 6; n++) {
		double lo = 1e9, hi = -1, first = -1;
		int all_equal = 1;

		for (i = 0; i < SAMPLES; i++) {
			double d = s2p_backoff_delay(n, 5.0, 80.0, &rng);

			assert_true(d >= 0.0);
			assert_true(d < want[n]);
			if (i == 0)
				first = d;
			else if (d != first)
				all_equal = 0;
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		assert_false(all_equal);
		/* the draws really cover the window, not a corner of it */
		assert_true(lo < 0.05 * want[n]);
		assert_true(hi > 0.95 * want[n]);
	}
}

static void
test_backoff__not_found_windows(void **state)
{
	static const double want[] = {30, 60, 120, 240, 480, 600, 600};
	struct s2p_rng rng;
	int n, i;

	(void)state;
	s2p_rng_seed(&rng, 7);
	for (n = 0; n <= 6; n++) {
		double hi = 0;

		for (i = 0; i < SAMPLES; i++) {
			double d = s2p_backoff_delay(n, 30.0, 600.0, &rng);

			assert_true(d >= 0.0 && d < want[n]);
			if (d > hi)
				hi = d;
		}
		assert_true(hi > 0.95 * want[n]);
	}
}

static void
test_backoff__mean_is_half_the_window(void **state)
{
	struct s2p_rng rng;
	double sum = 0;
	int i;

	(void)state;
	s2p_rng_seed(&rng, 3);
	for (i = 0; i < SAMPLES; i++)
		sum += s2p_backoff_delay(2, 5.0, 80.0, &rng);
	assert_true(fabs(sum / SAMPLES - 10.0) < 0.6);
}

static void
test_backoff__huge_and_negative_attempts(void **state)
{
	struct s2p_rng rng;
	int i;

	(void)state;
	s2p_rng_seed(&rng, 9);
	for (i = 0; i < 200; i++) {
		double a = s2p_backoff_delay(INT_MAX, 5.0, 80.0, &rng);
		double b = s2p_backoff_delay(1000, 5.0, 80.0, &rng);
		double c = s2p_backoff_delay(-3, 5.0, 80.0, &rng);

		assert_true(isfinite(a) && a >= 0 && a < 80.0);
		assert_true(isfinite(b) && b >= 0 && b < 80.0);
		assert_true(c >= 0 && c < 5.0);
	}
}

static void
test_backoff__degenerate_parameters(void **state)
{
	struct s2p_rng rng;

	(void)state;
	s2p_rng_seed(&rng, 1);
	assert_true(s2p_backoff_delay(3, 0.0, 80.0, &rng) == 0.0);
	assert_true(s2p_backoff_delay(3, 5.0, 0.0, &rng) == 0.0);
	assert_true(s2p_backoff_delay(3, -1.0, 80.0, &rng) == 0.0);
	assert_true(s2p_backoff_delay(3, NAN, 80.0, &rng) == 0.0);
	/* cap below base: the cap still wins */
	assert_true(s2p_backoff_delay(0, 50.0, 2.0, &rng) < 2.0);
}

static void
test_backoff__seed_makes_it_reproducible(void **state)
{
	struct s2p_rng a, b, c;
	int i, differ = 0;

	(void)state;
	s2p_rng_seed(&a, 1234);
	s2p_rng_seed(&b, 1234);
	s2p_rng_seed(&c, 1235);
	for (i = 0; i < 50; i++) {
		double x = s2p_backoff_delay(i % 7, 5.0, 80.0, &a);
		double y = s2p_backoff_delay(i % 7, 5.0, 80.0, &b);
		double z = s2p_backoff_delay(i % 7, 5.0, 80.0, &c);

		assert_true(x == y);
		differ += x != z;
	}
	assert_true(differ > 40);
}

static void
test_backoff__policy_table(void **state)
{
	struct s2p_retry_policy p;

	(void)state;
	p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT, 5);
	assert_true(p.base == 5.0 && p.cap == 80.0);
	assert_int_equal(p.max_attempts, 5);
	p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT, 9);
	assert_int_equal(p.max_attempts, 9);
	p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT, 0);
	assert_int_equal(p.max_attempts, S2P_DEFAULT_MAX_RETRIES);
	p = s2p_retry_policy_for(S2P_CLASS_NOTFOUND, 5);
	assert_true(p.base == 30.0 && p.cap == 600.0);
	assert_int_equal(p.max_attempts, 12);
	p = s2p_retry_policy_for(S2P_CLASS_DOWN, 5);
	assert_true(p.base == 5.0 && p.cap == 60.0);
	assert_int_equal(p.max_attempts, 0);
	p = s2p_retry_policy_for(S2P_CLASS_PERMANENT, 5);
	assert_true(p.base == 0.0 && p.cap == 0.0);
	assert_int_equal(p.max_attempts, 1);
	p = s2p_retry_policy_for(S2P_CLASS_NONE, 5);
	assert_int_equal(p.max_attempts, 1);
}

static void
test_backoff__policy_from_status_codes(void **state)
{
	struct s2p_retry_policy p;

	(void)state;
	p = s2p_retry_policy_for(s2p_status_class(S2P_EDOWN), 5);
	assert_int_equal(p.max_attempts, 0);
	p = s2p_retry_policy_for(s2p_status_class(S2P_ETEMP), 5);
	assert_true(p.cap == 80.0);
	p = s2p_retry_policy_for(s2p_status_class(S2P_ENOTFOUND), 5);
	assert_true(p.cap == 600.0);
	p = s2p_retry_policy_for(s2p_status_class(S2P_EAUTH), 5);
	assert_int_equal(p.max_attempts, 1);
}

static void
test_backoff__retry_after_is_a_floor(void **state)
{
	struct s2p_retry_policy p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT,
	    5);
	const double now = 1700000000.0;
	struct s2p_rng rng;
	int i;

	(void)state;
	s2p_rng_seed(&rng, 5);
	for (i = 0; i < 500; i++) {
		double t;

		/* attempt 0 draws below 5 s: the 30 s header wins */
		t = s2p_retry_not_before(&p, 0, 30.0, now, &rng);
		assert_true(t == now + 30.0);
		/* no header: plain backoff */
		t = s2p_retry_not_before(&p, 0, 0.0, now, &rng);
		assert_true(t >= now && t < now + 5.0);
		/* a header shorter than the draw does not shorten it */
		t = s2p_retry_not_before(&p, 6, 1.0, now, &rng);
		assert_true(t >= now + 1.0 && t < now + 80.0);
		/* nonsense headers are ignored */
		t = s2p_retry_not_before(&p, 1, -20.0, now, &rng);
		assert_true(t >= now && t < now + 10.0);
		t = s2p_retry_not_before(&p, 1, NAN, now, &rng);
		assert_true(t >= now && t < now + 10.0);
	}
	/* capped at an hour */
	assert_true(s2p_retry_not_before(&p, 0, 86400.0, now, &rng) ==
	    now + S2P_RETRY_AFTER_MAX);
}

static void
test_backoff__retry_after_with_permanent_policy(void **state)
{
	struct s2p_retry_policy p = s2p_retry_policy_for(S2P_CLASS_PERMANENT,
	    5);
	struct s2p_rng rng;

	(void)state;
	s2p_rng_seed(&rng, 5);
	assert_true(s2p_retry_not_before(&p, 0, 0.0, 100.0, &rng) == 100.0);
	assert_true(s2p_retry_not_before(&p, 0, 7.0, 100.0, &rng) == 107.0);
}

static void
test_backoff__exhaustion_per_class(void **state)
{
	struct s2p_retry_policy p;
	int n;

	(void)state;
	p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT, 5);
	for (n = 1; n <= 4; n++)
		assert_false(s2p_retry_exhausted(&p, n));
	assert_true(s2p_retry_exhausted(&p, 5));
	assert_true(s2p_retry_exhausted(&p, 6));

	p = s2p_retry_policy_for(S2P_CLASS_TRANSIENT, 2);
	assert_false(s2p_retry_exhausted(&p, 1));
	assert_true(s2p_retry_exhausted(&p, 2));

	p = s2p_retry_policy_for(S2P_CLASS_NOTFOUND, 5);
	assert_false(s2p_retry_exhausted(&p, 11));
	assert_true(s2p_retry_exhausted(&p, 12));

	p = s2p_retry_policy_for(S2P_CLASS_PERMANENT, 5);
	assert_true(s2p_retry_exhausted(&p, 1));

	p = s2p_retry_policy_for(S2P_CLASS_DOWN, 5);
	for (n = 1; n < 100000; n += 997)
		assert_false(s2p_retry_exhausted(&p, n));
	assert_false(s2p_retry_exhausted(&p, INT_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff__windows_grow_and_cap),
	    cmocka_unit_test(test_backoff__not_found_windows),
	    cmocka_unit_test(test_backoff__mean_is_half_the_window),
	    cmocka_unit_test(test_backoff__huge_and_negative_attempts),
	    cmocka_unit_test(test_backoff__degenerate_parameters),
	    cmocka_unit_test(test_backoff__seed_makes_it_reproducible),
	    cmocka_unit_test(test_backoff__policy_table),
	    cmocka_unit_test(test_backoff__policy_from_status_codes),
	    cmocka_unit_test(test_backoff__retry_after_is_a_floor),
	    cmocka_unit_test(test_backoff__retry_after_with_permanent_policy),
	    cmocka_unit_test(test_backoff__exhaustion_per_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
