/*
 * hash.h - a 64-bit FNV-1a digest for change detection (has this scene's
 * metadata or cover changed since we last wrote it?). Not cryptographic.
 */
#ifndef S2P_HASH_H
#define S2P_HASH_H

#include <stddef.h>
#include <stdint.h>

#define S2P_HASH_INIT 0xcbf29ce484222325ULL

/* Fold n bytes into h and return the new state. */
uint64_t s2p_hash_add(uint64_t h, const void *p, size_t n);
/* Fold a NUL-terminated string (NULL counts as empty) plus a separator. */
uint64_t s2p_hash_str(uint64_t h, const char *s);
/* 16 lowercase hex digits into out (17 bytes). */
void s2p_hash_hex(uint64_t h, char out[17]);

#endif
