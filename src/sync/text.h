/*
 * text.h - turning Stash text into what Plex should store: Unicode NFC,
 * control and format characters removed (newlines kept where the field is
 * multi-line, tabs become spaces), typographic quotes and dashes made plain,
 * whitespace runs collapsed, and a length limit in characters that prefers a
 * word boundary. The reference plugin cleans text the same way, except
 * that here line breaks survive.
 */
#ifndef S2P_TEXT_H
#define S2P_TEXT_H

#include <stddef.h>

/* Clean in (NULL is treated as ""). max_chars 0 means no limit. multiline
 * keeps '\n' (runs of blank lines collapse to one blank line). Returns a new
 * string, never NULL. Invalid UTF-8 bytes become U+FFFD. */
char *s2p_text_clean(const char *in, size_t max_chars, int multiline);
/* NFC form of a UTF-8 string (invalid input is returned unchanged); new
 * string. */
char *s2p_text_nfc(const char *in);

#endif
