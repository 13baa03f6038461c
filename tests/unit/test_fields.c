/*
 * test_fields.c - desired state and the minimal locked edit: toggles,
 * clearing, title never cleared, locks, preserve mode, replace vs merge,
 * the studio collection move, rating and the change digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "sync/fields.h"

struct fx {
	struct s2p_config cfg;
	struct s2p_scene sc;
	struct s2p_plex_item it;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	s2p_config_init(&f->cfg);
	f->sc.id = 7;
	f->sc.title = strdup("Stash Title");
	f->sc.details = strdup("Para one.\n\nPara two.");
	f->sc.date = strdup("2024-05");
	f->sc.studio = strdup("New Studio");
	f->sc.rating100 = 85;
	s2p_strv_push(&f->sc.tags, "Drama");
	s2p_strv_push(&f->sc.tags, "Night");
	s2p_strv_push(&f->sc.performers, "Ann One");
	s2p_strv_push(&f->sc.files, "/data/a.mp4");
	f->it.rating_key = strdup("1001");
	f->it.title = strdup("a");
	f->it.summary = strdup("agent text");
	f->it.user_rating = -1;
	s2p_strv_push(&f->it.genres, "Drama");
	s2p_strv_push(&f->it.genres, "Old Tag");
	s2p_strv_push(&f->it.collections, "Old Studio");
	s2p_strv_push(&f->it.collections, "My Favourites");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	s2p_config_free(&f->cfg);
	s2p_scene_free(&f->sc);
	s2p_plex_item_free(&f->it);
	free(f);
	return 0;
}

/* Run the diff; returns the query string (caller frees) and field count. */
static char *
diff(struct fx *f, const char *prev, int *n)
{
	struct s2p_desired d;
	struct s2p_plex_edit e;
	char *q;

	s2p_fields_desired(&f->cfg, &f->sc, &d);
	s2p_plex_edit_init(&e);
	*n = s2p_fields_diff(&f->cfg, &d, &f->it, prev, &e, NULL);
	q = strdup(e.query.data ? e.query.data : "");
	s2p_plex_edit_free(&e);
	s2p_desired_free(&d);
	return q;
}

static void
test_fields__writes_and_locks_every_changed_field(void **state)
{
	struct fx *f = *state;
	int n;
	char *q = diff(f, "Old Studio", &n);

	assert_non_null(strstr(q, "title.value=Stash%20Title"));
	assert_non_null(strstr(q, "title.locked=1"));
	assert_non_null(
	    strstr(q, "summary.value=Para%20one.%0A%0APara%20two."));
	assert_non_null(strstr(q, "originallyAvailableAt.value=2024-05-01"));
	assert_non_null(strstr(q, "year.value=2024"));
	assert_non_null(strstr(q, "studio.value=New%20Studio"));
	/* Replace: the full desired list, and the stale tag removed. */
	assert_non_null(strstr(q, "genre[0].tag.tag=Drama"));
	assert_non_null(strstr(q, "genre[1].tag.tag=Night"));
	assert_non_null(strstr(q, "genre[].tag.tag-=Old%2520Tag"));
	assert_non_null(strstr(q, "genre.locked=1"));
	/* The studio collection moves; the user's own collection stays. */
	assert_non_null(strstr(q, "collection[0].tag.tag=My%20Favourites"));
	assert_non_null(strstr(q, "collection[1].tag.tag=New%20Studio"));
	assert_non_null(strstr(q, "Old%2520Studio"));
	assert_true(n >= 8);
	free(q);
}

static void
test_fields__nothing_when_equal_and_locked(void **state)
{
	struct fx *f = *state;
	const char *locks[] = {"title", "summary", "originallyAvailableAt",
	    "year", "studio", "genre", "actor", "collection"};
	size_t i;
	int n;
	char *q;

	free(f->it.title);
	f->it.title = strdup("Stash Title");
	free(f->it.summary);
	f->it.summary = strdup("Para one.\n\nPara two.");
	f->it.originally_available_at = strdup("2024-05-01");
	f->it.year = 2024;
	f->it.studio = strdup("New Studio");
	s2p_strv_free(&f->it.genres);
	s2p_strv_push(&f->it.genres, "night"); /* case-insensitive */
	s2p_strv_push(&f->it.genres, "Drama");
	s2p_strv_push(&f->it.actors, "Ann One");
	s2p_strv_free(&f->it.collections);
	s2p_strv_push(&f->it.collections, "New Studio");
	f->it.user_rating = 8.5; /* equal: no lock needed for the rating */
	for (i = 0; i < sizeof(locks) / sizeof(*locks); i++)
		s2p_strv_push(&f->it.locked, locks[i]);
	q = diff(f, "New Studio", &n);
	assert_int_equal(n, 0);
	assert_string_equal(q, "");
	free(q);
	/* Same values but an unlocked field: lock it. */
	s2p_strv_free(&f->it.locked);
	q = diff(f, "New Studio", &n);
	assert_non_null(strstr(q, "title.locked=1"));
	free(q);
}

static void
test_fields__empty_stash_clears_but_title_stays(void **state)
{
	struct fx *f = *state;
	int n;
	char *q;

	free(f->sc.title);
	f->sc.title = strdup("   ");
	free(f->sc.details);
	f->sc.details = NULL;
	s2p_strv_free(&f->sc.tags);
	q = diff(f, "", &n);
	assert_null(strstr(q, "title.value"));
	assert_non_null(strstr(q, "summary.value=&"));
	assert_non_null(strstr(q, "genre[].tag.tag-=Drama%2COld%2520Tag"));
	free(q);
}

static void
test_fields__toggles_preserve_and_merge(void **state)
{
	struct fx *f = *state;
	int n;
	char *q;

	f->cfg.sync_tags = 0;
	f->cfg.sync_summary = 0;
	q = diff(f, "", &n);
	assert_null(strstr(q, "genre"));
	assert_null(strstr(q, "summary"));
	free(q);
	f->cfg.sync_tags = 1;
	free(f->cfg.list_mode);
	f->cfg.list_mode = strdup("merge");
	q = diff(f, "", &n);
	assert_non_null(strstr(q, "genre[2].tag.tag=Old%20Tag"));
	assert_null(strstr(q, "tag.tag-"));
	free(q);
	f->cfg.preserve_plex_edits = 1;
	q = diff(f, "", &n);
	assert_null(strstr(q, "title.value")); /* Plex has a title */
	assert_non_null(strstr(q, "studio.value=New%20Studio")); /* empty */
	free(q);
	f->cfg.sync_master = 0;
	q = diff(f, "", &n);
	assert_int_equal(n, 0);
	free(q);
}

static void
test_fields__rating_and_digest(void **state)
{
	struct fx *f = *state;
	struct s2p_desired d;
	char a[17], b[17], *q;
	int n;

	s2p_fields_desired(&f->cfg, &f->sc, &d);
	assert_true(s2p_fields_rating_differs(&d, &f->it));
	/* The rating goes in the edit itself (editUserRating), locked. */
	q = diff(f, "", &n);
	assert_non_null(strstr(q, "userRating.value=8.5"));
	assert_non_null(strstr(q, "userRating.locked=1"));
	free(q);
	f->it.user_rating = 8.5;
	assert_false(s2p_fields_rating_differs(&d, &f->it));
	q = diff(f, "", &n);
	assert_null(strstr(q, "userRating"));
	free(q);
	s2p_fields_digest(&d, &f->sc, a);
	s2p_desired_free(&d);
	s2p_strv_push(&f->sc.tags, "Extra");
	s2p_fields_desired(&f->cfg, &f->sc, &d);
	s2p_fields_digest(&d, &f->sc, b);
	assert_string_not_equal(a, b);
	s2p_desired_free(&d);
	f->sc.rating100 = -1;
	s2p_fields_desired(&f->cfg, &f->sc, &d);
	assert_true(s2p_fields_rating_differs(&d, &f->it)); /* clear it */
	s2p_desired_free(&d);
	q = diff(f, "", &n);
	assert_non_null(strstr(q, "userRating.value=&"));
	assert_non_null(strstr(q, "userRating.locked=1"));
	free(q);
}

/* A TV episode takes title, summary, date and collection, never a studio,
 * genres, actors or a year (issue 10, item 1). */
static void
test_fields__episode_gets_only_its_fields(void **state)
{
	struct fx *f = *state;
	struct s2p_desired d;
	int n;
	char *q;

	f->it.type = strdup("episode");
	q = diff(f, "Old Studio", &n);
	assert_non_null(strstr(q, "title.value=Stash%20Title"));
	assert_non_null(strstr(q, "summary.locked=1"));
	assert_non_null(strstr(q, "originallyAvailableAt.value=2024-05-01"));
	assert_non_null(strstr(q, "collection[1].tag.tag=New%20Studio"));
	assert_null(strstr(q, "year."));
	assert_null(strstr(q, "studio."));
	assert_null(strstr(q, "genre"));
	assert_null(strstr(q, "actor"));
	free(q);
	s2p_fields_desired(&f->cfg, &f->sc, &d);
	assert_true(s2p_fields_is_episode(&f->it));
	assert_true(s2p_fields_not_for_episodes(&d));
	s2p_desired_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_fields__writes_and_locks_every_changed_field, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fields__nothing_when_equal_and_locked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fields__empty_stash_clears_but_title_stays, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fields__toggles_preserve_and_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__rating_and_digest,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fields__episode_gets_only_its_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
