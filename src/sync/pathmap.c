/*
 * pathmap.c - Stash-to-Plex path translation and comparison keys (see
 * pathmap.h).
 */
#include "pathmap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/xalloc.h"
#include "sync/text.h"

static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	/* A trailing separator on a prefix is noise ("/data/" == "/data"). */
	while (n > 1 && (s[n - 1] == '/' || s[n - 1] == '\\'))
		n--;
	return s2p_xstrndup(s, n);
}

int
s2p_pathmap_parse(struct s2p_pathmap *out, const char *text,
    struct s2p_error *err)
{
	const char *p = text ? text : "";

	out->v = NULL;
	out->n = 0;
	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *rule = s2p_xstrndup(p, len);
		char *arrow = strstr(rule, "=>");

		p += len + (end ? 1 : 0);
		if (arrow == NULL) {
			int blank = 1;
			char *c;

			for (c = rule; *c; c++)
				if (!isspace((unsigned char)*c))
					blank = 0;
			free(rule);
			if (blank)
				continue;
			s2p_pathmap_free(out);
			return s2p_error_set(err, S2P_EINVAL,
			    "setting path_map: rule %zu has no '=>'",
			    out->n + 1);
		}
		out->v = s2p_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n].from = trim_dup(rule, (size_t)(arrow - rule));
		out->v[out->n].to = trim_dup(arrow + 2, strlen(arrow + 2));
		out->n++;
		if (out->v[out->n - 1].from[0] == '\0') {
			free(rule);
			s2p_pathmap_free(out);
			return s2p_error_set(err, S2P_EINVAL,
			    "setting path_map: rule has an empty source prefix");
		}
		free(rule);
	}
	return S2P_OK;
}

void
s2p_pathmap_free(struct s2p_pathmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].from);
		free(m->v[i].to);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int
is_windows(const char *p)
{
	return strchr(p, '\\') != NULL ||
	    (isalpha((unsigned char)p[0]) && p[1] == ':');
}

char *
s2p_path_key(const char *path)
{
	char *nfc = s2p_text_nfc(path ? path : "");
	char *s = nfc, *out, *o;
	utf8proc_uint8_t *folded = NULL;

	if (!is_windows(s))
		return nfc;
	/* Extended-length prefixes: \\?\C:\x and \\?\UNC\server\share. */
	if (strncmp(s, "\\\\?\\UNC\\", 8) == 0) {
		s += 6;
		s[0] = '\\';
	} else if (strncmp(s, "\\\\?\\", 4) == 0) {
		s += 4;
	}
	out = s2p_xstrdup(s);
	for (o = out; *o; o++)
		if (*o == '\\')
			*o = '/';
	free(nfc);
	if (utf8proc_map((const utf8proc_uint8_t *)out, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		    UTF8PROC_CASEFOLD) >= 0) {
		free(out);
		return (char *)folded;
	}
	return out;
}

char *
s2p_path_basename_key(const char *path)
{
	const char *a = strrchr(path, '/');
	const char *b = strrchr(path, '\\');
	const char *base = a > b ? a : b;
	utf8proc_uint8_t *folded = NULL;

	base = base ? base + 1 : path;
	if (utf8proc_map((const utf8proc_uint8_t *)base, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		    UTF8PROC_CASEFOLD) < 0)
		return s2p_xstrdup(base);
	return (char *)folded;
}

int
s2p_path_has_prefix(const char *path_key, const char *prefix_key)
{
	size_t n = strlen(prefix_key);

	while (n > 1 && prefix_key[n - 1] == '/')
		n--;
	if (strncmp(path_key, prefix_key, n) != 0)
		return 0;
	return path_key[n] == '\0' || path_key[n] == '/' ||
	    prefix_key[n - 1] == '/';
}

/* Offset in norm (separators already '/') just past as many non-empty
 * segments as prefix_key has. */
static size_t
cut_after_segments(const char *norm, const char *prefix_key)
{
	size_t want = 0, i;
	const char *p;

	for (p = prefix_key; *p; p++)
		if (*p != '/' && (p == prefix_key || p[-1] == '/'))
			want++;
	for (i = 0; norm[i] && want > 0; i++)
		if (norm[i] != '/' && (norm[i + 1] == '/' || norm[i + 1] == '\0'))
			want--;
	return i;
}

char *
s2p_pathmap_apply(const struct s2p_pathmap *m, const char *path)
{
	size_t i;
	char *key = s2p_path_key(path);
	char *out = NULL;

	for (i = 0; i < m->n && out == NULL; i++) {
		char *fk = s2p_path_key(m->v[i].from);

		if (s2p_path_has_prefix(key, fk)) {
			char *norm = s2p_text_nfc(path);
			char *src = norm, *o;
			const char *to = m->v[i].to;

			if (strncmp(src, "\\\\?\\UNC\\", 8) == 0) {
				src += 6;
				src[0] = '\\';
			} else if (strncmp(src, "\\\\?\\", 4) == 0) {
				src += 4;
			}
			for (o = src; *o; o++)
				if (*o == '\\')
					*o = '/';
			out = s2p_xasprintf("%s%s", to,
			    src + cut_after_segments(src, fk));
			for (o = out + strlen(to); *o; o++) {
				if (is_windows(to) && *o == '/')
					*o = '\\';
			}
			free(norm);
		}
		free(fk);
	}
	free(key);
	return out ? out : s2p_text_nfc(path);
}
