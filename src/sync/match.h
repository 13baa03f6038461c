/*
 * match.h - finding the Plex item of a Stash scene. The scene's files are
 * mapped to Plex's paths (path_map), the section is chosen by the longest
 * Location prefix, and the path index is asked for an exact file match; a
 * miss triggers an incremental index refresh, then a basename fallback in
 * which several candidates make the match ambiguous (strict_matching:
 * permanent failure listing the candidates; otherwise the closest path wins
 * and the choice is logged). See docs/internals/matching.md.
 */
#ifndef S2P_MATCH_H
#define S2P_MATCH_H

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/strv.h"
#include "net/plex.h"
#include "net/stash.h"
#include "store/db.h"
#include "sync/pathmap.h"

struct s2p_matcher {
	struct s2p_db *db;             /* borrowed */
	struct s2p_plex *plex;         /* borrowed */
	const struct s2p_config *cfg;  /* borrowed */
	const struct s2p_clock *clock; /* borrowed */
	struct s2p_pathmap map;
	struct s2p_strv libraries; /* wanted section titles, case-folded */
	double sections_at;        /* last section refresh in this process */
	struct s2p_strv incr_keys; /* sections refreshed incrementally... */
	double *incr_at;           /* ...and when */
	/* Set by the caller before each find (file-name match safety): */
	struct s2p_stash *stash; /* borrowed; NULL: no Stash check */
	int64_t scene_id;        /* the scene being matched (0: unknown) */
};

struct s2p_match {
	char *rating_key;
	char *section_key;
	int type;        /* Plex metadata type number of the item */
	char *plex_file; /* the Plex path that matched */
	int by_basename; /* matched on the file name only */
	int secondary;   /* the scene's file is not the item's first part */
};

/* Set up a matcher; the pointers are borrowed for its lifetime. Errors:
 * S2P_EINVAL for a bad path_map. */
int s2p_matcher_init(struct s2p_matcher *m, struct s2p_db *db,
    struct s2p_plex *plex, const struct s2p_config *cfg,
    const struct s2p_clock *clock, struct s2p_error *err) S2P_NODISCARD;
void s2p_matcher_free(struct s2p_matcher *m);

/* Find the item for a scene's files (primary first). S2P_ENOTFOUND when Plex
 * has no such file (yet), S2P_EPERM for a strict ambiguity, transport codes
 * from Plex. The caller frees out. */
int s2p_matcher_find(struct s2p_matcher *m, const struct s2p_strv *files,
    struct s2p_match *out, struct s2p_error *err) S2P_NODISCARD;
/* Forget an item that answered 404 so the next find re-resolves it. */
void s2p_matcher_forget(struct s2p_matcher *m, const char *rating_key);
void s2p_match_free(struct s2p_match *mt);
/* The Plex candidates named in a strict-ambiguity error message, as a JSON
 * array text (new string; "[]" for any other message). */
char *s2p_dead_candidates(const char *msg);

#endif
