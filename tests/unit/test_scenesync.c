/*
 * test_scenesync.c - syncing one scene (sync/scenesync.c) with the real
 * Stash and Plex clients against both fakes run in-process, a real SQLite
 * database and a manual clock: what is written, what an unchanged scene
 * costs (no Plex request at all), verify and dry-run modes, a scene gone
 * from Stash, and which failures are Plex's (plex_reached).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/syncstate.h"
#include "sync/match.h"
#include "sync/scenesync.h"

#include "sync_fx.h"

struct fx {
	struct sync_fx *s;
	struct s2p_matcher m;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));
	struct s2p_error err;

	f->s = sync_fx_start(5);
	assert_int_equal(s2p_matcher_init(&f->m, f->s->ctx.db, f->s->ctx.plex,
			     &f->s->ctx.cfg, f->s->ctx.clock, &err),
	    S2P_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_matcher_free(&f->m);
	sync_fx_stop(f->s);
	free(f);
	return 0;
}

/* Sync scene id in mode; expect rc and return the result (caller frees). */
static struct s2p_sync_result
sync1(struct fx *f, int64_t id, enum s2p_sync_mode mode, int want_rc)
{
	struct s2p_sync_result res;
	struct s2p_error err;
	int rc;

	s2p_error_clear(&err);
	rc = s2p_sync_scene(&f->s->ctx, &f->m, id, mode, &res, &err);
	if (rc != want_rc)
		fail_msg("sync scene %lld: %d (%s), want %d", (long long)id, rc,
		    err.msg, want_rc);
	return res;
}

/* First sync writes the fields and the state; the second costs no Plex
 * request; verify reads the item again and finds nothing to write. */
static void
test_scenesync__update_then_unchanged(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_result res;
	struct s2p_sync_state st;

	res = sync1(f, 1, S2P_SYNC_NORMAL, S2P_OK);
	assert_int_equal(res.outcome, S2P_SYNC_UPDATED);
	assert_true(res.changed.n > 0);
	assert_true(res.plex_reached);
	assert_true(res.rating_key[0] != '\0');
	assert_true(sync_fx_plex_requests(f->s, "PUT") >= 1);
	assert_int_equal(s2p_syncstate_get(f->s->ctx.db, 1, &st, NULL), S2P_OK);
	assert_string_equal(st.rating_key, res.rating_key);
	assert_true(st.synced_at == f->s->clk.t);
	s2p_sync_result_free(&res);

	sync_fx_forget(f->s);
	res = sync1(f, 1, S2P_SYNC_NORMAL, S2P_OK);
	assert_int_equal(res.outcome, S2P_SYNC_UNCHANGED);
	assert_false(res.plex_reached);
	assert_int_equal(res.changed.n, 0);
	assert_int_equal(sync_fx_plex_requests(f->s, NULL), 0);
	s2p_sync_result_free(&res);

	res = sync1(f, 1, S2P_SYNC_VERIFY, S2P_OK);
	assert_int_equal(res.outcome, S2P_SYNC_UNCHANGED);
	assert_true(res.plex_reached);
	assert_true(sync_fx_plex_requests(f->s, "GET") >= 1);
	assert_int_equal(sync_fx_plex_requests(f->s, "PUT"), 0);
	s2p_sync_result_free(&res);
}

/* A dry run lists the changes and writes nothing: no PUT to Plex, no sync
 * state; a real sync afterwards still has the same work to do. */
static void
test_scenesync__dry_run_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_result dry, real;
	struct s2p_sync_state st;
	size_t i;

	sync_fx_forget(f->s);
	dry = sync1(f, 2, S2P_SYNC_DRY_RUN, S2P_OK);
	assert_int_equal(dry.outcome, S2P_SYNC_UPDATED);
	assert_true(dry.changed.n > 0);
	assert_int_equal(sync_fx_plex_requests(f->s, "PUT"), 0);
	assert_int_equal(sync_fx_plex_requests(f->s, "POST"), 0);
	assert_int_equal(s2p_syncstate_get(f->s->ctx.db, 2, &st, NULL),
	    S2P_ENOTFOUND);
	real = sync1(f, 2, S2P_SYNC_NORMAL, S2P_OK);
	assert_int_equal(real.outcome, S2P_SYNC_UPDATED);
	assert_int_equal(real.changed.n, dry.changed.n);
	for (i = 0; i < dry.changed.n; i++)
		assert_string_equal(real.changed.v[i], dry.changed.v[i]);
	s2p_sync_result_free(&dry);
	s2p_sync_result_free(&real);
}

/* A scene that no longer exists in Stash: GONE, and its state is
 * forgotten. */
static void
test_scenesync__gone_scene_forgets_state(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_result res;
	struct s2p_sync_state st;

	memset(&st, 0, sizeof(st));
	snprintf(st.rating_key, sizeof(st.rating_key), "99");
	assert_int_equal(s2p_syncstate_put(f->s->ctx.db, 4242, &st, NULL),
	    S2P_OK);
	res = sync1(f, 4242, S2P_SYNC_NORMAL, S2P_OK);
	assert_int_equal(res.outcome, S2P_SYNC_GONE);
	assert_false(res.plex_reached);
	assert_non_null(strstr(res.note, "4242"));
	assert_int_equal(s2p_syncstate_get(f->s->ctx.db, 4242, &st, NULL),
	    S2P_ENOTFOUND);
	s2p_sync_result_free(&res);
}

/* Plex failing is a Plex-side failure (it feeds the breaker); nothing is
 * recorded as synced. */
static void
test_scenesync__plex_failure_is_plex_side(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_result res;
	struct s2p_sync_state st;

	sync_fx_plex_status(f->s, 503);
	res = sync1(f, 3, S2P_SYNC_NORMAL, S2P_ETEMP);
	assert_true(res.plex_reached);
	s2p_sync_result_free(&res);
	assert_int_equal(s2p_syncstate_get(f->s->ctx.db, 3, &st, NULL),
	    S2P_ENOTFOUND);
	sync_fx_plex_status(f->s, 0);
	res = sync1(f, 3, S2P_SYNC_NORMAL, S2P_OK);
	assert_int_equal(res.outcome, S2P_SYNC_UPDATED);
	s2p_sync_result_free(&res);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_scenesync__update_then_unchanged),
	    T(test_scenesync__dry_run_writes_nothing),
	    T(test_scenesync__gone_scene_forgets_state),
	    T(test_scenesync__plex_failure_is_plex_side),
	};
#undef T

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
