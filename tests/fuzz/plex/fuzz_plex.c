/*
 * fuzz_plex.c - fuzz target: the Plex reply parsers (net/plex.c; Plex
 * replies are read as JSON, there is no XML path). The client's source is
 * compiled here with its HTTP call replaced (see fake_http.h); byte 0 picks
 * the call (identity, sections, a listing page, one item), byte 1 the HTTP
 * status, the rest is the reply body.
 */
#include "fake_http.h"
#include "net/plex.c"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2p_plex_opts po;
	struct s2p_plex *p = NULL;
	struct s2p_error e;
	struct s2p_plex_identity id;
	struct s2p_plex_sections secs;
	struct s2p_plex_page pg;
	struct s2p_plex_item it;
	int op = fuzz_reply_from(data, size);
	int rc = S2P_OK;

	if (op < 0)
		return 0;
	memset(&po, 0, sizeof(po));
	po.url = "http://127.0.0.1:9/";
	po.token = "fuzztoken-0123456789";
	s2p_error_clear(&e);
	if (s2p_plex_new(&p, &po, &e) != S2P_OK)
		return 0;
	switch (op % 4) {
	case 0:
		rc = s2p_plex_identity(p, 1000, &id, &e);
		break;
	case 1:
		if (s2p_plex_sections(p, &secs, &e) == S2P_OK)
			s2p_plex_sections_free(&secs);
		break;
	case 2:
		if (s2p_plex_list(p, "1", 1, "updatedAt:desc", "/a.mp4", 0, 50,
			&pg, &e) == S2P_OK)
			s2p_plex_page_free(&pg);
		break;
	default:
		if (s2p_plex_get_item(p, "42", &it, &e) == S2P_OK)
			s2p_plex_item_free(&it);
		break;
	}
	s2p_plex_free(p);
	(void)rc;
	return 0;
}
