/*
 * jscan.c - the validating pull reader for large JSON documents (see
 * jscan.h): one pass over the text, no tree.
 */
#include "jscan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8scrub.h"
#include "xalloc.h"

#define MAX_DEPTH 1024

void
s2p_jscan_init(struct s2p_jscan *s, const char *text, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->start = s->p = text != NULL ? text : "";
	s->end = s->p + (text != NULL ? len : 0);
	s->strcap = 256;
	s->str = s2p_xmalloc(s->strcap);
	s->str[0] = '\0';
}

void
s2p_jscan_free(struct s2p_jscan *s)
{
	free(s->str);
	s->str = NULL;
}

/* Record the first error and stop reading. */
static void
fail(struct s2p_jscan *s, const char *why)
{
	if (s->failed)
		return;
	s->failed = 1;
	s->at = (size_t)(s->p - s->start);
	snprintf(s->why, sizeof(s->why), "%s", why);
	s->p = s->end;
}

/* The next character after white space, or -1 at the end or after an
 * error. */
static int
peek(struct s2p_jscan *s)
{
	while (s->p < s->end &&
	    (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
	return s->failed || s->p >= s->end ? -1 : (unsigned char)*s->p;
}

static void
put(struct s2p_jscan *s, const void *b, size_t n)
{
	if (s->strn + n + 1 > s->strcap) {
		s->strcap = (s->strn + n + 1) * 2;
		s->str = s2p_xrealloc(s->str, s->strcap);
	}
	memcpy(s->str + s->strn, b, n);
	s->strn += n;
}

static int
hex4(const char *p, unsigned *out)
{
	int i;

	*out = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*out <<= 4;
		if (c >= '0' && c <= '9')
			*out |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*out |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Append code point cp (<= U+10FFFF, no surrogate) as UTF-8. */
static void
put_cp(struct s2p_jscan *s, unsigned cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	put(s, b, n);
}

/* A \u escape at p (on the 'u'); returns the byte after it, or NULL after
 * failing. A surrogate pair makes one code point; a lone surrogate is an
 * error, as in jansson. */
static const char *
unicode_escape(struct s2p_jscan *s, const char *p)
{
	unsigned cp, lo;

	if (s->end - p < 5 || hex4(p + 1, &cp) != 0) {
		fail(s, "invalid \\u escape in a string");
		return NULL;
	}
	p += 5;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (s->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
		    hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
			fail(s, "invalid Unicode surrogate in a string");
			return NULL;
		}
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		fail(s, "invalid Unicode surrogate in a string");
		return NULL;
	}
	put_cp(s, cp);
	return p;
}

/* The string whose opening quote is at s->p, decoded into s->str; a byte
 * that is not UTF-8 becomes a NUL. 0, or -1 after failing. */
static int
read_string(struct s2p_jscan *s)
{
	static const char simple[] = "\"\\/bfnrt", plain[] = "\"\\/\b\f\n\r\t";
	const char *p = s->p + 1;

	s->strn = 0;
	for (;;) {
		const char *run = p, *c;
		size_t len;

		while (p < s->end && (unsigned char)*p >= 0x20 &&
		    (unsigned char)*p < 0x80 && *p != '"' && *p != '\\')
			p++;
		put(s, run, (size_t)(p - run));
		s->p = p;
		if (p >= s->end) {
			fail(s, "premature end of input in a string");
			return -1;
		}
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20) {
			fail(s, "control character in a string");
			return -1;
		}
		if ((unsigned char)*p >= 0x80) {
			len = s2p_utf8_seq_len((const unsigned char *)p,
			    (size_t)(s->end - p));
			put(s, len ? p : "", len ? len : 1);
			p += len ? len : 1;
			continue;
		}
		if (++p >= s->end) {
			fail(s, "premature end of input in a string");
			return -1;
		}
		if (*p == 'u') {
			p = unicode_escape(s, p);
			if (p == NULL)
				return -1;
			continue;
		}
		c = strchr(simple, *p);
		if (*p == '\0' || c == NULL) {
			s->p = p;
			fail(s, "invalid escape in a string");
			return -1;
		}
		put(s, &plain[c - simple], 1);
		p++;
	}
	s->str[s->strn] = '\0';
	s->p = p + 1;
	return 0;
}

static int
is_digit(const struct s2p_jscan *s, const char *p)
{
	return p < s->end && *p >= '0' && *p <= '9';
}

/* The number at s->p: a new integer or real when want, else NULL. */
static json_t *
read_number(struct s2p_jscan *s, int want)
{
	const char *p = s->p, *b = p;
	char small[64], *text;
	json_t *v = NULL;
	int real = 0;

	if (p < s->end && *p == '-')
		p++;
	if (!is_digit(s, p))
		goto bad;
	if (*p == '0')
		p++;
	else
		while (is_digit(s, p))
			p++;
	if (p < s->end && *p == '.') {
		real = 1;
		if (!is_digit(s, ++p))
			goto bad;
		while (is_digit(s, p))
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(s, p))
			goto bad;
		while (is_digit(s, p))
			p++;
	}
	s->p = p;
	if (!want)
		return NULL;
	text = (size_t)(p - b) < sizeof(small)
	    ? small
	    : s2p_xmalloc((size_t)(p - b) + 1);
	memcpy(text, b, (size_t)(p - b));
	text[p - b] = '\0';
	errno = 0;
	if (!real) {
		long long i = strtoll(text, NULL, 10);

		if (errno == ERANGE)
			fail(s, "too big integer");
		else
			v = json_integer(i);
	} else {
		double d = strtod(text, NULL);

		if (errno == ERANGE && isinf(d))
			fail(s, "real number overflow");
		else
			v = json_real(d);
	}
	if (text != small)
		free(text);
	return v;
bad:
	s->p = p;
	fail(s, "invalid number");
	return NULL;
}

/* true, false or null at s->p. */
static json_t *
read_literal(struct s2p_jscan *s)
{
	static const char *const words[] = {"true", "false", "null"};
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(words[i]);
		if ((size_t)(s->end - s->p) >= n &&
		    memcmp(s->p, words[i], n) == 0) {
			s->p += n;
			return i == 0 ? json_true()
			    : i == 1  ? json_false()
				      : json_null();
		}
	}
	fail(s, "invalid token");
	return NULL;
}

int
s2p_jscan_object(struct s2p_jscan *s)
{
	if (peek(s) != '{')
		return 0;
	if (s->depth >= MAX_DEPTH) {
		fail(s, "maximum parsing depth reached");
		return 0;
	}
	s->p++;
	s->depth++;
	return 1;
}

int
s2p_jscan_array(struct s2p_jscan *s)
{
	if (peek(s) != '[')
		return 0;
	if (s->depth >= MAX_DEPTH) {
		fail(s, "maximum parsing depth reached");
		return 0;
	}
	s->p++;
	s->depth++;
	return 1;
}

/* Before the next item of a container closed by close: 1 when an item
 * follows (its separator read), 0 when the container ended or failed. */
static int
next_item(struct s2p_jscan *s, size_t *n, int close)
{
	int c = peek(s);

	if (c == close && s->depth > 0) {
		s->p++;
		s->depth--;
		return 0;
	}
	if (*n > 0) {
		if (c != ',') {
			fail(s,
			    close == '}' ? "',' or '}' expected"
					 : "',' or ']' expected");
			return 0;
		}
		s->p++;
		if (peek(s) == close) {
			fail(s, "value expected after ','");
			return 0;
		}
	}
	if (c == -1) {
		fail(s, "premature end of input");
		return 0;
	}
	(*n)++;
	return 1;
}

int
s2p_jscan_member(struct s2p_jscan *s, size_t *n, const char **key)
{
	*key = "";
	if (!next_item(s, n, '}'))
		return 0;
	if (peek(s) != '"') {
		fail(s, "string or '}' expected");
		return 0;
	}
	if (read_string(s) != 0)
		return 0;
	if (peek(s) != ':') {
		fail(s, "':' expected");
		return 0;
	}
	s->p++;
	*key = s->str;
	return 1;
}

int
s2p_jscan_element(struct s2p_jscan *s, size_t *n)
{
	return next_item(s, n, ']');
}

/* Read the value here; a new scalar when want (NULL for containers). */
static json_t *
value(struct s2p_jscan *s, int want)
{
	int c = peek(s);
	const char *key;
	size_t n = 0;

	if (c == '{') {
		if (s2p_jscan_object(s))
			while (s2p_jscan_member(s, &n, &key))
				(void)value(s, 0);
		return NULL;
	}
	if (c == '[') {
		if (s2p_jscan_array(s))
			while (s2p_jscan_element(s, &n))
				(void)value(s, 0);
		return NULL;
	}
	if (c == '"') {
		if (read_string(s) != 0 || !want)
			return NULL;
		return json_stringn_nocheck(s->str, s->strn);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return read_number(s, want);
	if (c == -1) {
		fail(s, "premature end of input");
		return NULL;
	}
	if (!want) {
		json_decref(read_literal(s));
		return NULL;
	}
	return read_literal(s);
}

json_t *
s2p_jscan_scalar(struct s2p_jscan *s)
{
	return value(s, 1);
}

void
s2p_jscan_skip(struct s2p_jscan *s)
{
	(void)value(s, 0);
}

int
s2p_jscan_finish(struct s2p_jscan *s)
{
	if (!s->failed && s->depth != 0)
		fail(s, "premature end of input");
	if (!s->failed && peek(s) != -1)
		fail(s, "end of input expected");
	return s->failed ? -1 : 0;
}
