/*
 * fuzz_text.c - fuzz target: the text cleaner (sync/text.c). The first
 * byte picks the length limit and multi-line mode; the rest is the text
 * (NUL bytes end it, as they end a C string from Stash).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sync/text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *a, *b;
	size_t max;
	int multi;

	if (size == 0)
		return 0;
	max = (size_t)(data[0] >> 1) % 64; /* 0: no limit */
	multi = data[0] & 1;
	in = malloc(size);
	if (in == NULL)
		return 0;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	a = s2p_text_clean(in, max, multi);
	b = s2p_text_nfc(in);
	free(a);
	free(b);
	free(in);
	return 0;
}
