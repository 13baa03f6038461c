/*
 * utf8scrub.h - a JSON reply that is not valid UTF-8 inside one string
 * (a file name from a disk that is not UTF-8, which PMS passes on byte for
 * byte) would make the whole document unreadable. The scrubber rewrites
 * each invalid byte inside a string as the escape \u0000, which no real
 * text or path carries, so that the document parses (with JSON_ALLOW_NUL)
 * and the damaged strings can be recognised and set aside one by one.
 */
#ifndef S2P_UTF8SCRUB_H
#define S2P_UTF8SCRUB_H

#include <stddef.h>

#include "buf.h"
#include "compat.h"

/* Copy json[0..n) into out (initialised by the caller) with every byte that
 * is not part of a valid UTF-8 sequence inside a string replaced by
 * \u0000; bytes outside strings are copied as they are (the parser judges
 * them). Returns how many bytes were replaced; 0 leaves out untouched. */
size_t s2p_utf8_scrub_json(const char *json, size_t n, struct s2p_buf *out);

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * the byte at s does not start one. */
size_t s2p_utf8_seq_len(const unsigned char *s, size_t n);

/* s (len bytes, may contain NULs) as a new NUL-terminated string with each
 * NUL shown as U+FFFD; *bad (may be NULL) is set to 1 when there was one. */
char *s2p_utf8_nul_lossy(const char *s, size_t len, int *bad);

#endif
