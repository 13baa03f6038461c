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
};

/* Compute the desired state of a scene under cfg. The caller frees out. */
void s2p_fields_desired(const struct s2p_config *cfg,
    const struct s2p_scene *sc, struct s2p_desired *out);
void s2p_desired_free(struct s2p_desired *d);

/* Add to e what it takes to bring item to d; the names of changed fields go
 * to changed (may be NULL). Returns how many fields are written. */
int s2p_fields_diff(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *item, struct s2p_plex_edit *e,
    struct s2p_strv *changed);

#endif
