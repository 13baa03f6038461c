/*
 * fake_http.c - the replacement s2p_http_do of fake_http.h: every request
 * gets fuzz_next as its reply.
 */
#include <string.h>

#include "core/buf.h"
#include "fake_http.h"

struct fuzz_reply fuzz_next;

int
fuzz_http_do(struct s2p_http *h, const struct s2p_http_req *req,
    struct s2p_http_resp *resp, struct s2p_error *err)
{
	(void)h;
	(void)req;
	(void)err;
	memset(resp, 0, sizeof(*resp));
	s2p_buf_init(&resp->body, 0);
	resp->status = fuzz_next.status;
	if (fuzz_next.len > 0 &&
	    s2p_buf_add(&resp->body, fuzz_next.body, fuzz_next.len) != 0)
		return S2P_EIO;
	return S2P_OK;
}
