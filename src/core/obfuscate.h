/*
 * obfuscate.h - the obfuscate_paths setting: file paths in log lines, task
 * output and dead-letter messages become words. Each path segment is
 * replaced by a word derived from a keyed hash (SipHash-2-4 with a random
 * per-installation key kept in the data directory), so the same folder or
 * file name always gives the same word and logs stay useful to compare and
 * share, while the names cannot be looked up without the key. A file's
 * extension is kept (".mp4"): it tells format problems apart and says
 * nothing about the content. See docs/internals/worker.md.
 */
#ifndef S2P_OBFUSCATE_H
#define S2P_OBFUSCATE_H

#include <stddef.h>
#include <stdint.h>

/* Turn obfuscation on with a 16-byte key, or off (key NULL). */
void s2p_obf_set_key(const unsigned char *key);
/* 1 while obfuscation is on. */
int s2p_obf_enabled(void);
/* s with every path replaced (see above); s itself when obfuscation is
 * off. A path starts at a '/' (or "C:\", "\\") at the start of s or after
 * a blank, quote, bracket or '=', and runs to a quote, a blank or the end
 * (or to the end of a path already known with s2p_obf_known_path, spaces
 * included). Plex and Stash API paths (/library/, /scene/, /graphql, /:/)
 * are not file paths and stay. New string. */
char *s2p_obf_text(const char *s);
/* Tell the obfuscator a file path in use (e.g. a scene's file), so that
 * one containing spaces is replaced whole. */
void s2p_obf_known_path(const char *path);
/* The word for one path segment (for tests): new string. */
char *s2p_obf_word(const char *segment, size_t len);
/* SipHash-2-4 of data under a 16-byte key. */
uint64_t s2p_siphash(const unsigned char key[16], const void *data, size_t n);

#endif
