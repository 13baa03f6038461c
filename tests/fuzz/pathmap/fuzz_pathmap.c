/*
 * fuzz_pathmap.c - fuzz target: path mapping (sync/pathmap.c). The input is
 * "<rules text>\0<path>": the rules are parsed, then the path is mapped
 * both ways, normalised and keyed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sync/pathmap.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2p_pathmap m;
	struct s2p_error err;
	char *text = malloc(size + 2), *path, *a, *b, *k, *bk, *n;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = text[size + 1] = '\0';
	path = text + strlen(text) + 1;
	memset(&m, 0, sizeof(m));
	s2p_error_clear(&err);
	if (s2p_pathmap_parse(&m, text, &err) == S2P_OK) {
		a = s2p_pathmap_apply(&m, path);
		b = s2p_pathmap_reverse(&m, a);
		k = s2p_path_key(path);
		bk = s2p_path_key(b);
		(void)s2p_path_has_prefix(k, bk);
		free(a);
		free(b);
		free(k);
		free(bk);
	}
	n = s2p_path_normalize(path);
	bk = s2p_path_basename_key(n);
	free(bk);
	free(n);
	s2p_pathmap_free(&m);
	free(text);
	return 0;
}
