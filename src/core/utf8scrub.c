/*
 * utf8scrub.c - making a JSON reply with a few bad bytes readable (see
 * utf8scrub.h).
 */
#include "utf8scrub.h"

#include <string.h>

#include "err.h"
#include "xalloc.h"

size_t
s2p_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* Append n bytes; the buffers here are uncapped, so this cannot fail. */
static void
put(struct s2p_buf *b, const void *p, size_t n)
{
	if (s2p_buf_add(b, p, n) != S2P_OK)
		return;
}

size_t
s2p_utf8_scrub_json(const char *json, size_t n, struct s2p_buf *out)
{
	const unsigned char *s = (const unsigned char *)json;
	size_t i = 0, run = 0, bad = 0, len;
	int in_str = 0;

	while (i < n) {
		unsigned char c = s[i];

		if (!in_str || c < 0x80) {
			if (in_str && c == '\\' && i + 1 < n)
				i++; /* the escaped character is ASCII or bad
					JSON */
			else if (c == '"')
				in_str = !in_str;
			i++;
			continue;
		}
		len = s2p_utf8_seq_len(s + i, n - i);
		if (len > 0) {
			i += len;
			continue;
		}
		/* flush the good run before this byte, then the escape */
		put(out, json + run, i - run);
		put(out, "\\u0000", 6);
		bad++;
		run = ++i;
	}
	if (bad > 0)
		put(out, json + run, n - run);
	return bad;
}

char *
s2p_utf8_nul_lossy(const char *s, size_t len, int *bad)
{
	char *out = s2p_xmalloc(len * 3 + 1), *o = out;
	size_t i;

	if (bad != NULL)
		*bad = 0;
	for (i = 0; i < len; i++) {
		if (s[i] != '\0') {
			*o++ = s[i];
			continue;
		}
		memcpy(o, "\xEF\xBF\xBD", 3);
		o += 3;
		if (bad != NULL)
			*bad = 1;
	}
	*o = '\0';
	return out;
}
