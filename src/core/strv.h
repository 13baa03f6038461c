/*
 * strv.h - an owned vector of owned strings, used for tag lists, file lists
 * and candidate lists.
 */
#ifndef S2P_STRV_H
#define S2P_STRV_H

#include <stddef.h>

struct s2p_strv {
	char **v;
	size_t n;
	size_t cap;
};

/* Append a copy of s. */
void s2p_strv_push(struct s2p_strv *sv, const char *s);
/* Append s, taking ownership of it. */
void s2p_strv_push_take(struct s2p_strv *sv, char *s);
/* Index of s (exact comparison), or -1. */
long s2p_strv_find(const struct s2p_strv *sv, const char *s);
void s2p_strv_sort(struct s2p_strv *sv);
/* Same strings in the same order. */
int s2p_strv_equal(const struct s2p_strv *a, const struct s2p_strv *b);
void s2p_strv_copy(struct s2p_strv *dst, const struct s2p_strv *src);
void s2p_strv_free(struct s2p_strv *sv);

#endif
