/*
 * text.c - text sanitising for Plex fields (see text.h). Unicode tables come
 * from libutf8proc; nothing here is hand-rolled beyond the small
 * typographic-character map of the reference plugin.
 */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/xalloc.h"

char *
s2p_text_nfc(const char *in)
{
	utf8proc_uint8_t *out = NULL;

	if (in == NULL)
		return s2p_xstrdup("");
	if (utf8proc_map((const utf8proc_uint8_t *)in, 0, &out,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0)
		return s2p_xstrdup(in);
	return (char *)out;
}

/* Decode in to code points, replacing invalid sequences with U+FFFD. The
 * caller frees *out. */
static size_t
decode(const char *in, utf8proc_int32_t **out)
{
	size_t len = strlen(in), n = 0, i = 0;
	utf8proc_int32_t *cp = s2p_xreallocarray(NULL, len + 1, sizeof(*cp));

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(
		    (const utf8proc_uint8_t *)in + i, (utf8proc_ssize_t)(len - i),
		    &c);

		if (k <= 0) {
			c = 0xFFFD;
			k = 1;
		}
		cp[n++] = c;
		i += (size_t)k;
	}
	*out = cp;
	return n;
}

/* Plain replacement for typographic characters, or NULL to keep c. */
static const char *
plain(utf8proc_int32_t c)
{
	switch (c) {
	case 0x2018: case 0x2019: case 0x201A: case 0x2032: return "'";
	case 0x201C: case 0x201D: case 0x201E: case 0x2033: return "\"";
	case 0x2013: case 0x2014: case 0x2212: return "-";
	case 0x2026: return "...";
	case 0x00A0: case 0x2007: case 0x202F: return " ";
	}
	return NULL;
}

/* Append code point c to b (never fails: b has no cap). */
static void
put(struct s2p_buf *b, utf8proc_int32_t c)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t k = utf8proc_encode_char(c, tmp);

	(void)!s2p_buf_add(b, tmp, (size_t)k);
}

char *
s2p_text_clean(const char *in, size_t max_chars, int multiline)
{
	char *nfc = s2p_text_nfc(in ? in : "");
	utf8proc_int32_t *cp, *res;
	size_t n, i, m = 0, limit, cut;
	struct s2p_buf b;
	int pending_space = 0, pending_nl = 0;

	n = decode(nfc, &cp);
	free(nfc);
	res = s2p_xreallocarray(NULL, n * 5 + 2, sizeof(*res));
	for (i = 0; i < n; i++) {
		utf8proc_int32_t c = cp[i];
		utf8proc_category_t cat = utf8proc_category(c);
		const char *p = plain(c);

		if (c == '\r' && i + 1 < n && cp[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) {
			if (multiline)
				pending_nl++;
			else
				pending_space = 1;
			continue;
		}
		if (c == '\t' || utf8proc_category(c) == UTF8PROC_CATEGORY_ZS ||
		    (p != NULL && p[0] == ' ')) {
			pending_space = 1;
			continue;
		}
		if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF)
			continue;
		/* Emit separators owed before this visible character. */
		if (m > 0 && pending_nl) {
			res[m++] = '\n';
			if (pending_nl > 1)
				res[m++] = '\n';
		} else if (m > 0 && pending_space) {
			res[m++] = ' ';
		}
		pending_nl = pending_space = 0;
		if (p != NULL) {
			for (; *p; p++)
				res[m++] = (utf8proc_int32_t)(unsigned char)*p;
		} else {
			res[m++] = c;
		}
	}
	free(cp);
	/* Length limit in characters, preferring the last space past 80%. */
	limit = m;
	if (max_chars > 0 && m > max_chars) {
		limit = max_chars;
		for (cut = max_chars; cut > 0; cut--)
			if (res[cut] == ' ' || res[cut] == '\n')
				break;
		if (cut > 0 && cut * 5 > max_chars * 4)
			limit = cut;
		while (limit > 0 && (res[limit - 1] == ' ' ||
			   res[limit - 1] == '\n'))
			limit--;
	}
	s2p_buf_init(&b, 0);
	for (i = 0; i < limit; i++)
		put(&b, res[i]);
	free(res);
	return s2p_buf_take(&b);
}
