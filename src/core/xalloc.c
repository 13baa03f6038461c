/*
 * xalloc.c - aborting allocators (see xalloc.h).
 */
#include "xalloc.h"

#include "err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void S2P_NORETURN
oom(void)
{
	static const char msg[] = "stash2plex: out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *
s2p_xmalloc(size_t n)
{
	void *p;

	s2p_assert(n > 0); /* a 0-byte request is a caller's bug */
	p = malloc(n);

	if (p == NULL)
		oom();
	return p;
}

void *
s2p_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
s2p_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

void *
s2p_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom();
	return s2p_xrealloc(p, nmemb * size);
}

char *
s2p_xstrdup(const char *s)
{
	return s == NULL ? NULL : s2p_xstrndup(s, strlen(s));
}

char *
s2p_xstrndup(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = s2p_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
s2p_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = s2p_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
s2p_alloc_tune(void)
{
#ifdef __GLIBC__
	(void)mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
#endif
}
