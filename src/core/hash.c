/*
 * hash.c - FNV-1a 64 (see hash.h).
 */
#include "hash.h"

#include <stdio.h>
#include <string.h>

uint64_t
s2p_hash_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
s2p_hash_str(uint64_t h, const char *s)
{
	static const unsigned char sep = 0x1f;

	if (s != NULL)
		h = s2p_hash_add(h, s, strlen(s));
	return s2p_hash_add(h, &sep, 1);
}

void
s2p_hash_hex(uint64_t h, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
