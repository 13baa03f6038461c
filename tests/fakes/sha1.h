/*
 * sha1.h - a small SHA-1 (FIPS 180-4) for the fakes: fake-plex names uploaded
 * posters upload://posters/<sha1 hex> as Plex does. Test code only; SHA-1 is
 * not used for anything secret.
 */
#ifndef FAKE_SHA1_H
#define FAKE_SHA1_H

#include <stddef.h>

/* SHA-1 of data[0..n) as 40 lowercase hex digits plus NUL in hex. */
void fake_sha1_hex(const void *data, size_t n, char hex[41]);
/* The raw 20-byte digest. */
void fake_sha1(const void *data, size_t n, unsigned char out[20]);

#endif
