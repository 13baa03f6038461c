/*
 * pathmap.h - how a Stash file path becomes the path Plex knows. Rules
 * "/stash/prefix=>/plex/prefix" separated by ';' (first match wins, on a
 * path-segment boundary) translate mount points; a comparison key then
 * normalises both sides: Unicode NFC always, and for Windows paths (those
 * starting with a drive letter or a backslash: UNC, \\?\ prefixes) '/'
 * separators and case folding, since Windows file names are
 * case-insensitive. A backslash inside a POSIX path is part of a name.
 */
#ifndef S2P_PATHMAP_H
#define S2P_PATHMAP_H

#include <stddef.h>

#include "core/compat.h"
#include "core/err.h"

struct s2p_pathrule {
	char *from;
	char *to;
};

struct s2p_pathmap {
	struct s2p_pathrule *v;
	size_t n;
};

/* Parse rules text (NULL or "" gives an empty map; blank rules are
 * skipped). Errors: S2P_EINVAL naming the bad rule by number and text (out
 * is then empty). The caller frees out. */
int s2p_pathmap_parse(struct s2p_pathmap *out, const char *text,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_pathmap_free(struct s2p_pathmap *m);
/* Apply the first matching rule to path; new string (unchanged copy when no
 * rule matches). */
char *s2p_pathmap_apply(const struct s2p_pathmap *m, const char *path);
/* path with its "." segments and empty segments removed and each ".."
 * segment applied to the one before it ("/a/b/../c" -> "/a/c"; ".." at the
 * root is dropped); separators as in the path's style; new string. */
char *s2p_path_normalize(const char *path);
/* The Stash path of a Plex path: the first rule whose Plex prefix matches,
 * applied backwards; new string (unchanged copy when none matches). */
char *s2p_pathmap_reverse(const struct s2p_pathmap *m, const char *path);
/* The comparison key of a path (see above); new string. */
char *s2p_path_key(const char *path);
/* Lower-cased NFC basename of a path (after '/' or '\\'); new string. */
char *s2p_path_basename_key(const char *path);
/* 1 when prefix is path itself or a leading run of whole segments of it
 * (both given as keys); an empty prefix contains nothing. */
int s2p_path_has_prefix(const char *path_key, const char *prefix_key);

#endif
