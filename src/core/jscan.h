/*
 * jscan.h - a validating pull reader for large JSON documents of which only
 * a few values are wanted (a Plex listing page: five values out of some
 * thirty per item). It walks the text once without building a tree:
 * objects and arrays are entered member by member, unwanted values are
 * checked and skipped, wanted scalars come out as jansson values so the
 * usual readers (core/jsonx.h) judge them. The grammar is jansson's: a
 * top-level object or array, nothing but white space after it, strict
 * numbers, escapes and literals, nesting at most 1024 deep. Bytes that are
 * not UTF-8 inside a string come out as NUL characters, as
 * core/utf8scrub.h makes them for jansson. Errors are sticky: after the
 * first one every call returns 0 / NULL.
 */
#ifndef S2P_JSCAN_H
#define S2P_JSCAN_H

#include <jansson.h>
#include <stddef.h>

#include "core/compat.h"

struct s2p_jscan {
	const char *start, *p, *end;
	int depth;
	int failed;
	char why[80]; /* the first error */
	size_t at;    /* its byte offset */
	char *str;    /* the last string read (NUL-terminated) */
	size_t strn, strcap;
};

/* Read text[0..len) (borrowed for the scanner's life). */
void s2p_jscan_init(struct s2p_jscan *s, const char *text, size_t len);
void s2p_jscan_free(struct s2p_jscan *s);

/* Enter the object (array) that begins here: 1, or 0 (and nothing read)
 * when the next value is something else. */
int s2p_jscan_object(struct s2p_jscan *s);
int s2p_jscan_array(struct s2p_jscan *s);
/* The next member of the object being read, counted in *n (0 before the
 * first): 1 with *key (borrowed until the next read; NUL characters in a
 * key end it early) and the reader on its value; 0 when the object ended
 * (its '}' read) or on error. */
int s2p_jscan_member(struct s2p_jscan *s, size_t *n, const char **key);
/* The next element of the array being read: 1 with the reader on it; 0
 * when the array ended or on error. */
int s2p_jscan_element(struct s2p_jscan *s, size_t *n);
/* Read the value here: a new jansson value for a string (NULs kept: use
 * json_string_length), number, true, false or null; NULL for an object or
 * array (checked and skipped) and on error. */
json_t *s2p_jscan_scalar(struct s2p_jscan *s);
/* Check and skip the value here. */
void s2p_jscan_skip(struct s2p_jscan *s);
/* After the top-level value: 0 when only white space follows and nothing
 * failed, else -1 (s->why says what). */
int s2p_jscan_finish(struct s2p_jscan *s) S2P_NODISCARD;

#endif
