/*
 * fields.h - what a scene should look like in Plex, and the smallest edit
 * that gets it there. Each synced field sits behind its sync_* toggle and
 * sync_master; every field written is also locked so a Plex metadata refresh
 * cannot undo it; a field that Stash has empty clears Plex (title excepted);
 * preserve_plex_edits writes only fields that are empty in Plex. Lists are
 * replaced (list_mode=replace) or merged (list_mode=merge). Tag names compare
 * case-insensitively, since Plex reuses an existing tag of another case.
 */
#ifndef S2P_FIELDS_H
#define S2P_FIELDS_H

#include "core/config.h"
#include "core/strv.h"
#include "net/plex.h"
#include "net/stash.h"

/* Desired values; a NULL string means "do not touch", "" means "clear". */
struct s2p_desired {
	char *title;
	char *summary;
	char *date;
	char *studio;
	int want_genres;
	struct s2p_strv genres;
	int want_actors;
	struct s2p_strv actors;
	char *collection; /* studio collection; "" leaves ours; NULL: off */
	double rating;    /* 0-10, -1 to clear, S2P_RATING_KEEP when off */
	char *image_url;  /* cover to use as poster/background, or NULL */
};

#define S2P_RATING_KEEP (-2.0)

/* Compute the desired state of a scene under cfg. The caller frees out. */
void s2p_fields_desired(const struct s2p_config *cfg,
    const struct s2p_scene *sc, struct s2p_desired *out);
void s2p_desired_free(struct s2p_desired *d);

/* Add to e what it takes to bring item to d. prev_collection is the studio
 * collection we put the item in last time ("" if none), so a studio change
 * moves it out. For each field written, a line "field: old -> new" goes to
 * changed (may be NULL). Returns how many fields are written. */
int s2p_fields_diff(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *item, const char *prev_collection,
    struct s2p_plex_edit *e, struct s2p_strv *changed);
/* The edit in independent parts (title, summary, date with year, studio,
 * genres, actors, collection, user rating), so that a part Plex rejects
 * can be told from the others: s2p_fields_diff_part adds only part's
 * fields (0 .. S2P_FIELD_PARTS-1); s2p_fields_diff is all of them. The
 * rating is written (userRating.value, locked) only when it differs. */
#define S2P_FIELD_PARTS 8
int s2p_fields_diff_part(const struct s2p_config *cfg,
    const struct s2p_desired *d, const struct s2p_plex_item *item,
    const char *prev_collection, int part, struct s2p_plex_edit *e,
    struct s2p_strv *changed);
/* 1 when the Plex item is a TV episode: the studio, genres and actors
 * parts and the year are then never written (an episode has none). */
int s2p_fields_is_episode(const struct s2p_plex_item *item);
/* 1 when d carries a studio, genres or actors, which an episode cannot
 * take (for the once-per-run report). */
int s2p_fields_not_for_episodes(const struct s2p_desired *d);
/* Name of a part for messages ("date"). */
const char *s2p_fields_part_name(int part);
/* 1 when the Plex rating differs from the desired one. */
int s2p_fields_rating_differs(const struct s2p_desired *d,
    const struct s2p_plex_item *item);
/* Digest of everything d would write plus the scene's files: equal digests
 * mean nothing to do. out gets 16 hex digits. */
void s2p_fields_digest(const struct s2p_desired *d, const struct s2p_scene *sc,
    char out[17]);

#endif
