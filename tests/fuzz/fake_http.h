/*
 * fake_http.h - for the network-reply fuzz targets: s2p_http_do is renamed
 * to fuzz_http_do before the client module's source is included, so the
 * client's own code parses a reply whose status and body come from the
 * fuzz input, without a socket. Include this, then the module's .c file.
 */
#ifndef S2P_FUZZ_FAKE_HTTP_H
#define S2P_FUZZ_FAKE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define s2p_http_do fuzz_http_do
#include "net/http.h"

/* The reply the next fuzz_http_do call returns. */
struct fuzz_reply {
	long status;
	const uint8_t *body;
	size_t len;
};

extern struct fuzz_reply fuzz_next;

/* Split an input: byte 0 picks the call (returned), byte 1 the status,
 * the rest is the body. -1 when the input is too short. */
static inline int
fuzz_reply_from(const uint8_t *data, size_t size)
{
	static const long statuses[8] = {200, 200, 200, 200, 422, 401, 500,
	    429};

	if (size < 2)
		return -1;
	fuzz_next.status = statuses[data[1] % 8];
	fuzz_next.body = data + 2;
	fuzz_next.len = size - 2;
	return data[0];
}

#endif
