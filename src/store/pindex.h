/*
 * pindex.h - the stored Plex path index: which Plex item (ratingKey,
 * section) holds which file, so that matching a scene costs no Plex
 * request. Files are kept under their comparison key and their basename
 * key, both computed by the caller (sync/pathmap.h); the known sections and
 * their folders (Locations) are kept too. This module only stores and
 * looks up; sync/indexer.c decides when to list Plex and what to write.
 * The tables are created in store/db.c (migration 2).
 */
#ifndef S2P_STORE_PINDEX_H
#define S2P_STORE_PINDEX_H

#include <stddef.h>

#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"
#include "store/db.h"

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

/* A library section as stored (all borrowed). */
struct s2p_pindex_section {
	const char *key;
	const char *title;
	const char *type;
	const struct s2p_strv *locations;
};

/* Called by s2p_pindex_get_sections for each stored section, lowest key
 * first; fn takes over *locations. */
typedef void (*s2p_pindex_section_fn)(const struct s2p_pindex_section *s,
    struct s2p_strv *locations, void *arg);

/* One file of a listed item, with its keys (all borrowed). */
struct s2p_pindex_part {
	const char *file;
	const char *file_key;
	const char *base_key;
	const char *rating_key;
	const char *section_key;
	int part_no;
};

/* Replace the stored sections with v[0..n), in one transaction; the parts
 * of sections that are gone are dropped, and a section whose folders
 * changed counts as never indexed. */
int s2p_pindex_put_sections(struct s2p_db *db,
    const struct s2p_pindex_section *v, size_t n,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_pindex_get_sections(struct s2p_db *db, s2p_pindex_section_fn fn,
    void *arg, struct s2p_error *err) S2P_NODISCARD;
/* When the section was last fully listed (0: never, or unreadable). */
double s2p_pindex_indexed_at(struct s2p_db *db, const char *section_key);
int s2p_pindex_set_indexed_at(struct s2p_db *db, const char *section_key,
    double t, struct s2p_error *err) S2P_NODISCARD;
/* The newest updatedAt seen in a section's listing (0 when unknown). */
long s2p_pindex_mark(struct s2p_db *db, const char *section_key);
/* Store t (> 0; else nothing) as the mark; raise: only when newer. */
int s2p_pindex_set_mark(struct s2p_db *db, const char *section_key, long t,
    int raise, struct s2p_error *err) S2P_NODISCARD;
/* 1 when rating_key has a file in the index (0 also when unreadable). */
int s2p_pindex_known(struct s2p_db *db, const char *rating_key);
/* 1 when the index holds exactly files, in order, for the item in this
 * section. */
int s2p_pindex_same_files(struct s2p_db *db, const char *section_key,
    const char *rating_key, const struct s2p_strv *files);

/* Prepared writes for one listing pass; the caller owns the transaction. */
struct s2p_pindex_writer;
int s2p_pindex_writer_open(struct s2p_db *db, struct s2p_pindex_writer **out,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_pindex_writer_put(struct s2p_pindex_writer *w,
    const struct s2p_pindex_part *p, struct s2p_error *err) S2P_NODISCARD;
/* Drop every file of an item, or of a section. */
int s2p_pindex_writer_drop_item(struct s2p_pindex_writer *w,
    const char *rating_key, struct s2p_error *err) S2P_NODISCARD;
int s2p_pindex_writer_drop_section(struct s2p_pindex_writer *w,
    const char *section_key, struct s2p_error *err) S2P_NODISCARD;
void s2p_pindex_writer_close(struct s2p_pindex_writer *w);

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
/* The match cache, forgotten in one transaction: every section and file
 * of the path index (each file's ratingKey) with its marks, and every
 * scene's "unchanged since" digest, so the next sync of each scene matches
 * it again and compares with the Plex item. sync_state keeps the item last
 * written, its cover digest and collection. All are rebuilt on next use.
 * *parts_out / *keys_out (may be NULL) get the files and scenes
 * forgotten. */
int s2p_pindex_clear_all(struct s2p_db *db, long *parts_out, long *keys_out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
