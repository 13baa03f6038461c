/*
 * text.c - Stash text as Plex should store it (see text.h): exactly what
 * the user wrote, in NFC, minus only what XML 1.0 cannot carry. Unicode
 * tables (composition, grapheme clusters, categories) come from
 * libutf8proc; nothing here is hand-rolled.
 */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/xalloc.h"

int
s2p_text_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

char *
s2p_text_nfc(const char *in)
{
	utf8proc_uint8_t *out = NULL;

	if (in == NULL)
		return s2p_xstrdup("");
	if (s2p_text_is_ascii(in))
		return s2p_xstrdup(in); /* ASCII is its own NFC */
	if (utf8proc_map((const utf8proc_uint8_t *)in, 0, &out,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0)
		return s2p_xstrdup(in);
	return (char *)out;
}

/* 1 for a code point XML 1.0 cannot carry: C0 controls other than tab,
 * newline and carriage return (the line-break pass handles CR), NUL,
 * U+FFFE and U+FFFF. */
static int
xml_forbidden(utf8proc_int32_t c)
{
	if (c < 0x20)
		return c != '\t' && c != '\n' && c != '\r';
	return c == 0xFFFE || c == 0xFFFF;
}

/* Append code point c to b (never fails: b has no cap). */
static void
put(struct s2p_buf *b, utf8proc_int32_t c)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t k = utf8proc_encode_char(c, tmp);

	(void)!s2p_buf_add(b, tmp, (size_t)k);
}

/* Decode s (len bytes) to code points, invalid sequences becoming U+FFFD
 * one byte at a time, and drop what XML cannot carry. Returns the count;
 * the caller frees *out. */
static size_t
decode(const char *s, size_t len, utf8proc_int32_t **out)
{
	size_t n = 0, i = 0;
	utf8proc_int32_t *cp = s2p_xreallocarray(NULL, len + 1, sizeof(*cp));

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)s + i,
			(utf8proc_ssize_t)(len - i), &c);

		if (k <= 0) {
			c = 0xFFFD;
			k = 1;
		}
		if (!xml_forbidden(c))
			cp[n++] = c;
		i += (size_t)k;
	}
	*out = cp;
	return n;
}

/* Valid, XML-safe, NFC code points of in. The caller frees *out. */
static size_t
nfc_points(const char *in, utf8proc_int32_t **out)
{
	utf8proc_int32_t *cp;
	struct s2p_buf b;
	char *nfc;
	size_t n, i;

	n = decode(in, strlen(in), &cp);
	s2p_buf_init(&b, 0);
	for (i = 0; i < n; i++)
		put(&b, cp[i]);
	free(cp);
	nfc = s2p_text_nfc(b.data ? b.data : "");
	s2p_buf_free(&b);
	n = decode(nfc, strlen(nfc), out);
	free(nfc);
	return n;
}

static int
is_break(utf8proc_int32_t c)
{
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

static int
is_blank(utf8proc_int32_t c)
{
	return c == ' ' || c == '\t';
}

/* Whitespace for trimming: blanks, line breaks and space separators. */
static int
is_space(utf8proc_int32_t c)
{
	return is_blank(c) || is_break(c) ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

/* Line breaks in place: multiline turns CRLF and lone CR into LF and keeps
 * the rest; single-line turns each run of breaks, with the blanks around
 * it, into one space. Returns the new count. */
static size_t
line_breaks(utf8proc_int32_t *cp, size_t n, int multiline)
{
	size_t r = 0, w = 0;

	while (r < n) {
		utf8proc_int32_t c = cp[r];

		if (multiline) {
			if (c == '\r') {
				c = '\n';
				if (r + 1 < n && cp[r + 1] == '\n')
					r++;
			}
			cp[w++] = c;
			r++;
			continue;
		}
		if (!is_break(c) && !(is_blank(c) && r + 1 < n)) {
			cp[w++] = c;
			r++;
			continue;
		}
		/* A blank run: collapse only when it reaches a break. */
		{
			size_t e = r;
			int brk = 0;

			while (e < n && (is_blank(cp[e]) || is_break(cp[e])))
				brk |= is_break(cp[e++]);
			if (!brk) {
				while (r < e)
					cp[w++] = cp[r++];
				continue;
			}
			cp[w++] = ' ';
			r = e;
		}
	}
	return w;
}

/* The largest cut <= limit that falls on a grapheme-cluster boundary. */
static size_t
grapheme_cut(const utf8proc_int32_t *cp, size_t n, size_t limit)
{
	utf8proc_int32_t state = 0;
	size_t i, last = 0;

	for (i = 1; i < n && i <= limit; i++)
		if (utf8proc_grapheme_break_stateful(cp[i - 1], cp[i], &state))
			last = i;
	if (limit >= n)
		return n;
	return last;
}

/* Printable ASCII (plus tab, and newline when multiline) fitting in
 * max_chars is already NFC, XML-safe and has no line break to fold: the
 * cleaned text is in trimmed of blanks and newlines. Returns NULL for any
 * other text (the full path below). */
static char *
clean_ascii(const char *in, size_t max_chars, int multiline)
{
	size_t len = 0, start = 0;
	unsigned char c;

	for (; (c = (unsigned char)in[len]) != '\0'; len++)
		if (!((c >= 0x20 && c < 0x7F) || c == '\t' ||
			(c == '\n' && multiline)))
			return NULL;
	if (max_chars > 0 && len > max_chars)
		return NULL;
	while (start < len && strchr(" \t\n", in[start]) != NULL)
		start++;
	while (len > start && strchr(" \t\n", in[len - 1]) != NULL)
		len--;
	return s2p_xstrndup(in + start, len - start);
}

char *
s2p_text_clean(const char *in, size_t max_chars, int multiline)
{
	utf8proc_int32_t *cp;
	size_t n, start = 0, end, i;
	struct s2p_buf b;
	char *fast = clean_ascii(in ? in : "", max_chars, multiline);

	if (fast != NULL)
		return fast;
	n = nfc_points(in ? in : "", &cp);
	n = line_breaks(cp, n, multiline);
	end = n;
	while (start < end && is_space(cp[start]))
		start++;
	while (end > start && is_space(cp[end - 1]))
		end--;
	if (max_chars > 0 && end - start > max_chars) {
		size_t limit = grapheme_cut(cp + start, end - start, max_chars);
		size_t cut;

		/* Prefer the last space past 80% of the limit. */
		for (cut = limit; cut > 0; cut--)
			if (is_space(cp[start + cut]))
				break;
		if (cut > 0 && cut * 5 > max_chars * 4)
			limit = cut;
		end = start + limit;
		while (end > start && is_space(cp[end - 1]))
			end--;
	}
	s2p_buf_init(&b, 0);
	for (i = start; i < end; i++)
		put(&b, cp[i]);
	free(cp);
	if (b.data == NULL)
		return s2p_xstrdup("");
	return s2p_buf_take(&b);
}

char *
s2p_text_quote(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *out;

	if (j == NULL) /* not UTF-8: show it as the cleaner would send it */
		j = json_string_nocheck(s);
	out = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	return out ? out : s2p_xstrdup("\"\"");
}
