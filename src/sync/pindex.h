/*
 * pindex.h - the Plex path index: which Plex item (ratingKey, section) holds
 * which file, stored in SQLite so that a lookup costs no Plex request. Built
 * per section from a full listing, then refreshed incrementally (newest
 * addedAt first, stopping at the first item already known; then newest
 * updatedAt first down to the last one seen, for files Plex saw move), so a
 * newly scanned file is found without listing the whole library again.
 * Files are stored under their comparison key (pathmap.h) and their
 * basename key.
 */
#ifndef S2P_PINDEX_H
#define S2P_PINDEX_H

#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"
#include "net/plex.h"
#include "store/db.h"

/* The tables live in store/db.c (migration 2). */

/* One indexed file. */
struct s2p_pindex_hit {
	char *rating_key;
	char *section_key;
	char *file;
	int part_no; /* 0 for the item's first part */
};

struct s2p_pindex_hits {
	struct s2p_pindex_hit *v;
	size_t n;
};

/* Replace the stored sections with what Plex reports now. */
int s2p_pindex_store_sections(struct s2p_db *db,
    const struct s2p_plex_sections *secs, struct s2p_error *err) S2P_NODISCARD;
/* Load stored sections (caller frees). */
int s2p_pindex_load_sections(struct s2p_db *db, struct s2p_plex_sections *out,
    struct s2p_error *err) S2P_NODISCARD;
/* When the section was last fully listed (0: never). */
double s2p_pindex_indexed_at(struct s2p_db *db, const char *section_key);
/* Re-list a whole section (type: Plex type number) and replace its files. */
int s2p_pindex_full(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, double now, struct s2p_error *err)
    S2P_NODISCARD;
/* Add items newer (addedAt) than the first known one, going on through
 * items added in that same second; then re-index items whose files changed
 * (updatedAt newer than the section's mark, which a full listing sets).
 * *added_out gets how many items were added or re-indexed. */
int s2p_pindex_incremental(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, long *added_out, struct s2p_error *err)
    S2P_NODISCARD;
/* Hits for a file key (base = 0) or a basename key (base = 1) within the
 * given sections (NULL: all), lowest section key (numerically) first.
 * Appends to out (caller frees). */
int s2p_pindex_lookup(struct s2p_db *db, const char *key, int base,
    const struct s2p_strv *sections, struct s2p_pindex_hits *out,
    struct s2p_error *err) S2P_NODISCARD;
/* Forget an item (it answered 404: deleted or re-added under a new key). */
int s2p_pindex_forget(struct s2p_db *db, const char *rating_key,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_pindex_hits_free(struct s2p_pindex_hits *h);

#endif
