/*
 * strv.c - owned string vectors (see strv.h).
 */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
s2p_strv_push_take(struct s2p_strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = s2p_xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

void
s2p_strv_push(struct s2p_strv *sv, const char *s)
{
	s2p_strv_push_take(sv, s2p_xstrdup(s ? s : ""));
}

long
s2p_strv_find(const struct s2p_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return (long)i;
	return -1;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
s2p_strv_sort(struct s2p_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
}

int
s2p_strv_equal(const struct s2p_strv *a, const struct s2p_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

void
s2p_strv_copy(struct s2p_strv *dst, const struct s2p_strv *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		s2p_strv_push(dst, src->v[i]);
}

void
s2p_strv_free(struct s2p_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}
