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

/* Make jansson allocate through s2p_xmalloc (abort on exhaustion, like the
 * rest of the program). Call once, before any JSON is built. */
void s2p_json_use_xalloc(void);

/* A whole number read loosely, as Stash, Plex and users write them: a JSON
 * integer, an integral real (|x| <= 9e15), or a string of at most 18
 * decimal digits with an optional leading '-'. Returns 1 and sets *out, or
 * 0 (and leaves *out) for anything else. */
int s2p_json_whole(const json_t *v, long long *out);

/* The text of o[key] as a new string: a string as it is but for NUL
 * characters (dropped: neither C strings nor XML 1.0 carry them), an
 * integer in decimal (Plex sends some keys as numbers); NULL when absent
 * or of another type. */
char *s2p_json_text(const json_t *o, const char *key);

/* json_unpack_ex(v, fmt, ...) for a document of fixed shape. On a mismatch
 * sets err to S2P_EPARSE "<what>: <jansson's explanation>" and returns it. */
int s2p_json_unpack(const json_t *v, struct s2p_error *err, const char *what,
    const char *fmt, ...) S2P_NODISCARD;

#endif
