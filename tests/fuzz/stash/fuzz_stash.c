/*
 * fuzz_stash.c - fuzz target: the GraphQL reply parser (net/stash.c). The
 * client's source is compiled here with its HTTP call replaced (see
 * fake_http.h); byte 0 picks the query (FindScene, scene id pages, ids by
 * tag, ids by path, plugin settings), byte 1 the HTTP status, the rest is
 * the reply body.
 */
#include "fake_http.h"
#include "net/stash.c"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2p_stash_opts so;
	struct s2p_stash *s = NULL;
	struct s2p_error e;
	struct s2p_scene sc;
	json_t *settings = NULL;
	int64_t *ids = NULL;
	size_t nids = 0;
	long count = 0;
	int op = fuzz_reply_from(data, size);
	int rc = S2P_OK;

	if (op < 0)
		return 0;
	memset(&so, 0, sizeof(so));
	so.url = "http://127.0.0.1:9/";
	so.session_cookie = "session=fuzzcookie";
	s2p_error_clear(&e);
	if (s2p_stash_new(&s, &so, &e) != S2P_OK)
		return 0;
	switch (op % 5) {
	case 0:
		if (s2p_stash_find_scene(s, 7, &sc, &e) == S2P_OK)
			s2p_scene_free(&sc);
		break;
	case 1:
		rc = s2p_stash_scene_ids(s, "2024-01-01T00:00:00", 1, 100, &ids,
		    &nids, &count, &e);
		break;
	case 2:
		rc = s2p_stash_scene_ids_by(s, "tag", "3", &ids, &nids, &e);
		break;
	case 3:
		rc = s2p_stash_scene_ids_by_path(s, "/data/a.mp4", &ids, &nids,
		    &e);
		break;
	default:
		if (s2p_stash_plugin_settings(s, "Stash2Plex", &settings, &e) ==
		    S2P_OK)
			json_decref(settings);
		break;
	}
	free(ids);
	s2p_stash_free(s);
	(void)rc;
	return 0;
}
