/*
 * jsonx.h - the project's few helpers on top of jansson for reading
 * documents from outside: the one loose whole-number reader, the one
 * "text of a value" reader, json_unpack_ex with our error convention for
 * documents of a fixed shape, and routing jansson's memory through xalloc.
 */
#ifndef S2P_JSONX_H
#define S2P_JSONX_H

#include <jansson.h>

#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"

/* Make jansson allocate through s2p_xmalloc (abort on exhaustion, like the
 * rest of the program). Call once, before any JSON is built. */
void s2p_json_use_xalloc(void);

/* A whole number read loosely, as Stash, Plex and users write them: a JSON
 * integer, an integral real (|x| <= 9e15), or a string of at most 18
 * decimal digits with an optional leading '-'. Returns 1 and sets *out, or
 * 0 (and leaves *out) for anything else. */
int s2p_json_whole(const json_t *v, long long *out);

/* A time stamp (epoch seconds) in a state file: 0 and *out set for a
 * number >= 0; 1 (and *out 0) for null or absent (v NULL); -1 (*out 0) for
 * anything else. */
int s2p_json_time(const json_t *v, double *out);

/* The text of v as a new string: a string as it is but for NUL characters
 * (dropped: neither C strings nor XML 1.0 carry them), an integer in
 * decimal (Plex sends some keys as numbers); NULL when v is NULL or of
 * another type. */
char *s2p_json_value_text(const json_t *v);
/* s2p_json_value_text of o[key]. */
char *s2p_json_text(const json_t *o, const char *key);
/* Append the text of every <arr>[].<key> of o (key NULL: of the array's
 * elements themselves) to sv; elements without text are skipped. */
void s2p_json_collect(struct s2p_strv *sv, const json_t *o, const char *arr,
    const char *key);

/* json_unpack_ex(v, fmt, ...) for a document of fixed shape. On a mismatch
 * sets err to S2P_EPARSE "<what>: <jansson's explanation>" and returns it. */
int s2p_json_unpack(const json_t *v, struct s2p_error *err, const char *what,
    const char *fmt, ...) S2P_NODISCARD;

#endif
