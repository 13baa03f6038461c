/*
 * indexer.h - keeps the stored Plex path index (store/pindex.h) up to date
 * from Plex's listings. A section is indexed from a full listing, then
 * refreshed incrementally (newest addedAt first, stopping at the first item
 * already known; then newest updatedAt first down to the last one seen, for
 * files Plex saw move), so a newly scanned file is found without listing
 * the whole library again.
 */
#ifndef S2P_INDEXER_H
#define S2P_INDEXER_H

#include "core/compat.h"
#include "core/err.h"
#include "net/plex.h"
#include "store/db.h"
#include "store/pindex.h"

/* Replace the stored sections with what Plex reports now. */
int s2p_indexer_store_sections(struct s2p_db *db,
    const struct s2p_plex_sections *secs, struct s2p_error *err) S2P_NODISCARD;
/* Load stored sections (caller frees). */
int s2p_indexer_load_sections(struct s2p_db *db, struct s2p_plex_sections *out,
    struct s2p_error *err) S2P_NODISCARD;
/* Re-list a whole section (type: Plex type number) and replace its files. */
int s2p_indexer_full(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* Add items newer (addedAt) than the first known one, going on through
 * items added in that same second; then re-index items whose files changed
 * (updatedAt newer than the section's mark, which a full listing sets).
 * *added_out gets how many items were added or re-indexed. */
int s2p_indexer_incremental(struct s2p_db *db, struct s2p_plex *plex,
    const char *section_key, int type, long *added_out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
