/*
 * buf.c - capped growable buffer (see buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

void
s2p_buf_init(struct s2p_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

int
s2p_buf_add(struct s2p_buf *b, const void *p, size_t n)
{
	size_t need;

	if (b->limit && (n > b->limit || b->len > b->limit - n))
		return S2P_EPARSE;
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;

		while (ncap < need)
			ncap *= 2;
		b->data = s2p_xrealloc(b->data, ncap);
		b->cap = ncap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return S2P_OK;
}

int
s2p_buf_adds(struct s2p_buf *b, const char *s)
{
	return s2p_buf_add(b, s, strlen(s));
}

int
s2p_buf_addf(struct s2p_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	char *big;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return S2P_EINVAL;
	if ((size_t)n < sizeof(small))
		return s2p_buf_add(b, small, (size_t)n);
	big = s2p_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = s2p_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

void
s2p_buf_reset(struct s2p_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
s2p_buf_take(struct s2p_buf *b)
{
	char *p = b->data ? b->data : s2p_xstrdup("");
	size_t limit = b->limit;

	s2p_buf_init(b, limit);
	return p;
}

void
s2p_buf_free(struct s2p_buf *b)
{
	free(b->data);
	s2p_buf_init(b, b->limit);
}

int
s2p_buf_read_fd(struct s2p_buf *b, int fd)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == 0)
			return S2P_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return S2P_EIO;
		}
		if (s2p_buf_add(b, chunk, (size_t)n) != S2P_OK)
			return S2P_EPARSE;
	}
}
