/*
 * scan.h - asking Plex to scan the folder of a new scene (setting
 * trigger_plex_scan), so that it is indexed without waiting for Plex's own
 * schedule. The folder is the scene's primary file's directory as Plex sees
 * it (after path_map), in the section whose Location is its longest prefix.
 */
#ifndef S2P_SCAN_H
#define S2P_SCAN_H

#include "core/strv.h"
#include "sync/match.h"

/* Request the scan. S2P_ENOTFOUND when no section contains the folder. */
int s2p_scan_scene_folder(struct s2p_matcher *m, const struct s2p_strv *files,
    struct s2p_error *err) S2P_NODISCARD;

#endif
