/*
 * test_syncstate.c - what we last wrote per scene, the rename fanout list
 * and the key/value table (store/syncstate.c) on a real SQLite file:
 * round trips, forgetting by scene and by Plex item, fanout order and
 * de-duplication, and kv values, including the path index's per-section
 * marks that migration 4 moved there from the counter table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/pindex.h"
#include "store/syncstate.h"

#include "resil_util.h"

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
	if (f->dir == NULL)
		return -1;
	f->path = s2p_xasprintf("%s/s2p.db", f->dir);
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

static struct s2p_sync_state
state_of(const char *rk, const char *hash, double at)
{
	struct s2p_sync_state s;

	memset(&s, 0, sizeof(s));
	snprintf(s.rating_key, sizeof(s.rating_key), "%s", rk);
	snprintf(s.values_hash, sizeof(s.values_hash), "%s", hash);
	snprintf(s.image_url, sizeof(s.image_url), "http://stash/%s.jpg", rk);
	snprintf(s.image_hash, sizeof(s.image_hash), "img-%s", rk);
	snprintf(s.collection, sizeof(s.collection), "Studio %s", rk);
	s.synced_at = at;
	return s;
}

static void
test_syncstate__round_trip_and_replace(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_state in = state_of("101", "h1", 1000.5), out;

	assert_int_equal(s2p_syncstate_get(f->db, 1, &out, NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_syncstate_put(f->db, 1, &in, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_get(f->db, 1, &out, NULL), S2P_OK);
	assert_memory_equal(&in, &out, sizeof(in));
	in = state_of("102", "h2", 2000.25);
	assert_int_equal(s2p_syncstate_put(f->db, 1, &in, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_get(f->db, 1, &out, NULL), S2P_OK);
	assert_string_equal(out.rating_key, "102");
	assert_string_equal(out.collection, "Studio 102");
	assert_true(out.synced_at == 2000.25);
}

/* Forget one scene, or every scene mapped to a Plex item that is gone. */
static void
test_syncstate__forget(void **state)
{
	struct fx *f = *state;
	struct s2p_sync_state a = state_of("7", "x", 1),
			      b = state_of("8", "y", 1);
	struct s2p_sync_state out;

	assert_int_equal(s2p_syncstate_put(f->db, 1, &a, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_put(f->db, 2, &a, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_put(f->db, 3, &b, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_forget_item(f->db, "7", NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_get(f->db, 1, &out, NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_syncstate_get(f->db, 2, &out, NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_syncstate_get(f->db, 3, &out, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_delete(f->db, 3, NULL), S2P_OK);
	assert_int_equal(s2p_syncstate_get(f->db, 3, &out, NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_syncstate_delete(f->db, 3, NULL), S2P_OK);
}

/* Renames come out oldest first, once each; a repeat while one is queued
 * is not a second request. */
static void
test_syncstate__fanout_order(void **state)
{
	struct fx *f = *state;
	char kind[16], id[8];

	assert_int_equal(s2p_fanout_pending(f->db), 0);
	assert_int_equal(s2p_fanout_take(f->db, kind, sizeof(kind), id,
			     sizeof(id), NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_fanout_add(f->db, "tag", "5", 30, NULL), S2P_OK);
	assert_int_equal(s2p_fanout_add(f->db, "performer", "9", 10, NULL),
	    S2P_OK);
	assert_int_equal(s2p_fanout_add(f->db, "tag", "5", 40, NULL), S2P_OK);
	assert_int_equal(s2p_fanout_add(f->db, "studio", "123456789", 20, NULL),
	    S2P_OK);
	assert_int_equal(s2p_fanout_pending(f->db), 3);
	assert_int_equal(s2p_fanout_take(f->db, kind, sizeof(kind), id,
			     sizeof(id), NULL),
	    S2P_OK);
	assert_string_equal(kind, "performer");
	assert_string_equal(id, "9");
	assert_int_equal(s2p_fanout_take(f->db, kind, sizeof(kind), id,
			     sizeof(id), NULL),
	    S2P_OK);
	assert_string_equal(kind, "studio");
	assert_string_equal(id, "1234567"); /* cut to the caller's buffer */
	assert_int_equal(s2p_fanout_take(f->db, kind, sizeof(kind), id,
			     sizeof(id), NULL),
	    S2P_OK);
	assert_string_equal(kind, "tag");
	assert_int_equal(s2p_fanout_pending(f->db), 0);
}

static void
test_syncstate__kv(void **state)
{
	struct fx *f = *state;
	char buf[16];

	assert_int_equal(s2p_kv_get(f->db, "k", buf, sizeof(buf), NULL),
	    S2P_ENOTFOUND);
	assert_int_equal(s2p_kv_put(f->db, "k", "v1", NULL), S2P_OK);
	assert_int_equal(s2p_kv_put(f->db, "k", "v2", NULL), S2P_OK);
	assert_int_equal(s2p_kv_get(f->db, "k", buf, sizeof(buf), NULL),
	    S2P_OK);
	assert_string_equal(buf, "v2");
}

/* The path index keeps its per-section marks in kv: set replaces, raise
 * only moves forward; a database whose marks are still counter rows gets
 * them moved by migration 4 when it is opened. */
static void
test_syncstate__pindex_marks_live_in_kv(void **state)
{
	struct fx *f = *state;
	char buf[32];

	assert_int_equal(s2p_pindex_mark(f->db, "2"), 0);
	assert_int_equal(s2p_pindex_set_mark(f->db, "2", 500, 0, NULL), S2P_OK);
	assert_int_equal(s2p_pindex_set_mark(f->db, "2", 400, 1, NULL), S2P_OK);
	assert_int_equal(s2p_pindex_mark(f->db, "2"), 500);
	assert_int_equal(s2p_pindex_set_mark(f->db, "2", 600, 1, NULL), S2P_OK);
	assert_int_equal(s2p_pindex_mark(f->db, "2"), 600);
	assert_int_equal(s2p_pindex_set_mark(f->db, "2", 100, 0, NULL), S2P_OK);
	assert_int_equal(s2p_pindex_mark(f->db, "2"), 100);
	assert_int_equal(s2p_kv_get(f->db, "pindex_updated_at:2", buf,
			     sizeof(buf), NULL),
	    S2P_OK);
	assert_string_equal(buf, "100");

	/* An older database: schema 3 with the mark as a counter row (what
	 * migrations 6 and 7 added is dropped again: opening re-adds it). */
	assert_int_equal(s2p_db_exec(f->db,
			     "DROP TABLE metric_minute;"
			     "ALTER TABLE job DROP COLUMN first_failed_at;"
			     "ALTER TABLE dead_letter DROP COLUMN title;"
			     "ALTER TABLE dead_letter DROP COLUMN"
			     " first_failed_at;"
			     "ALTER TABLE dead_letter DROP COLUMN candidates;"
			     "DELETE FROM kv;"
			     "INSERT INTO counter (name, value) VALUES"
			     " ('pindex_updated_at:7', 1234), ('done', 3);"
			     "PRAGMA user_version = 3;",
			     NULL),
	    S2P_OK);
	s2p_db_close(f->db);
	assert_int_equal(s2p_db_open(&f->db, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_pindex_mark(f->db, "7"), 1234);
	{
		int64_t v = -1;

		assert_int_equal(s2p_db_counter_get(f->db,
				     "pindex_updated_at:7", &v, NULL),
		    S2P_OK);
		assert_int_equal(v, 0);
		assert_int_equal(s2p_db_counter_get(f->db, "done", &v, NULL),
		    S2P_OK);
		assert_int_equal(v, 3);
	}
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_syncstate__round_trip_and_replace),
	    T(test_syncstate__forget),
	    T(test_syncstate__fanout_order),
	    T(test_syncstate__kv),
	    T(test_syncstate__pindex_marks_live_in_kv),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
