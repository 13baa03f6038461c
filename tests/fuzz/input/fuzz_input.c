/*
 * fuzz_input.c - fuzz target: the stdin document parser (app/input.c),
 * the whole input Stash writes to the plugin, then the hook field check.
 */
#include <stdlib.h>
#include <string.h>

#include "app/input.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2p_input in;
	struct s2p_error err;

	memset(&in, 0, sizeof(in));
	s2p_error_clear(&err);
	if (s2p_input_parse(&in, (const char *)data, size, &err) == S2P_OK)
		(void)s2p_input_touches_synced_field(&in);
	s2p_input_free(&in);
	return 0;
}
