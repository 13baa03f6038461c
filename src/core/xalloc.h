/*
 * xalloc.h - allocation that cannot fail silently. A sync tool can do nothing
 * useful after running out of memory, so these abort instead of returning
 * NULL; that removes an error branch from every caller.
 */
#ifndef S2P_XALLOC_H
#define S2P_XALLOC_H

#include <stddef.h>

#include "compat.h"

/* n must be > 0 (s2p_assert). */
void *s2p_xmalloc(size_t n);
void *s2p_xcalloc(size_t nmemb, size_t size);
void *s2p_xrealloc(void *p, size_t n);
/* realloc to nmemb * size bytes; an overflowing product aborts like OOM. */
void *s2p_xreallocarray(void *p, size_t nmemb, size_t size);
/* Duplicate s; NULL gives NULL. */
char *s2p_xstrdup(const char *s);
char *s2p_xstrndup(const char *s, size_t n);
/* Allocate a formatted string; the caller frees it. */
char *s2p_xasprintf(const char *fmt, ...) S2P_PRINTF(1, 2);
/* Keep up to 16 MiB of freed memory instead of handing it back after each
 * large free (glibc only: its trimming madvises per batch of scenes, and
 * with the worker's lanes each of those flushes every CPU's TLB; musl's
 * allocator is left as it is). Call once at start. */
void s2p_alloc_tune(void);

#endif
