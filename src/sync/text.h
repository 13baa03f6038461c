/*
 * text.h - Stash text as Plex should store it: what the user wrote, in
 * Unicode NFC, with only what XML 1.0 cannot carry removed (C0 controls
 * other than tab and newline, U+FFFE, U+FFFF; invalid UTF-8 becomes
 * U+FFFD), trimmed. Quotes, dashes, ellipses, format characters (ZWJ,
 * ZWNJ, bidi marks) and inner spacing are kept. See docs/internals/fields.md.
 */
#ifndef S2P_TEXT_H
#define S2P_TEXT_H

#include <stddef.h>

/* Clean in (NULL is treated as ""). multiline keeps every line break (CRLF
 * and CR become LF); otherwise a run of line breaks with the blanks around
 * it becomes one space. max_chars (code points, 0: no limit) cuts on a
 * grapheme-cluster boundary, preferring a space past 80% of the limit.
 * Returns a new string, never NULL. */
char *s2p_text_clean(const char *in, size_t max_chars, int multiline);
/* s as a JSON string literal: quoted, with line breaks and quotes escaped
 * and every other character as it is (the dry run shows the exact text
 * this way). New string, never NULL. */
char *s2p_text_quote(const char *s);
/* NFC form of a UTF-8 string (invalid input is returned unchanged); new
 * string. ASCII, its own NFC, is copied without utf8proc (the path index
 * keys every listed file: docs/performance.md). */
char *s2p_text_nfc(const char *in);
/* 1 when s holds no byte above 0x7F. */
int s2p_text_is_ascii(const char *s);

#endif
