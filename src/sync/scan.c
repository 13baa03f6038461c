/*
 * scan.c - partial Plex scan of a new scene's folder (see scan.h).
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "sync/pathmap.h"
#include "sync/indexer.h"

int
s2p_scan_scene_folder(struct s2p_matcher *m, const struct s2p_strv *files,
    struct s2p_error *err)
{
	struct s2p_plex_sections secs;
	char *path, *key, *dir, *slash;
	const char *best = NULL;
	size_t best_len = 0, i, j;
	int rc;

	if (files->n == 0)
		return s2p_error_set(err, S2P_EPERM, "scene has no file");
	rc = s2p_indexer_load_sections(m->db, &secs, err);
	if (rc != S2P_OK)
		return rc;
	path = s2p_pathmap_apply(&m->map, files->v[0]);
	key = s2p_path_key(path);
	for (i = 0; i < secs.n; i++)
		for (j = 0; j < secs.v[i].locations.n; j++) {
			char *lk = s2p_path_key(secs.v[i].locations.v[j]);

			if (s2p_path_has_prefix(key, lk) &&
			    strlen(lk) > best_len) {
				best_len = strlen(lk);
				best = secs.v[i].key;
			}
			free(lk);
		}
	dir = s2p_xstrdup(path);
	slash = strrchr(dir, '/');
	if (strrchr(dir, '\\') > slash)
		slash = strrchr(dir, '\\');
	if (slash != NULL && slash > dir)
		*slash = '\0';
	if (best == NULL) {
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "no Plex library folder contains %s", dir);
	} else {
		s2p_info("Asking Plex to scan %s (section %s)", dir, best);
		rc = s2p_plex_scan_path(m->plex, best, dir, err);
	}
	free(dir);
	free(key);
	free(path);
	s2p_plex_sections_free(&secs);
	return rc;
}
