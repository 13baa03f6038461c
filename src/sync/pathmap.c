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

/* The rule text trimmed, for error messages; new string. */
static char *
rule_text(const char *rule)
{
	size_t n = strlen(rule);

	while (n > 0 && isspace((unsigned char)*rule)) {
		rule++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)rule[n - 1]))
		n--;
	return s2p_xstrndup(rule, n);
}

int
s2p_pathmap_parse(struct s2p_pathmap *out, const char *text,
    struct s2p_error *err)
{
	const char *p = text ? text : "";
	size_t no = 0;
	int rc = S2P_OK;

	out->v = NULL;
	out->n = 0;
	while (*p && rc == S2P_OK) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *rule = s2p_xstrndup(p, len);
		char *arrow = strstr(rule, "=>");
		char *shown = rule_text(rule);

		p += len + (end ? 1 : 0);
		if (*shown == '\0') {
			/* Blank pieces (";;", a trailing ';') are no rule. */
		} else if (arrow == NULL) {
			no++;
			rc = s2p_error_set(err, S2P_EINVAL,
			    "setting path_map: rule %zu \"%.80s\" has no '=>' "
			    "(write /stash/prefix=>/plex/prefix)",
			    no, shown);
		} else {
			no++;
			out->v = s2p_xreallocarray(out->v, out->n + 1,
			    sizeof(*out->v));
			out->v[out->n].from = trim_dup(rule,
			    (size_t)(arrow - rule));
			out->v[out->n].to = trim_dup(arrow + 2,
			    strlen(arrow + 2));
			out->n++;
			if (out->v[out->n - 1].from[0] == '\0')
				rc = s2p_error_set(err, S2P_EINVAL,
				    "setting path_map: rule %zu \"%.80s\" has "
				    "an empty source prefix",
				    no, shown);
		}
		free(shown);
		free(rule);
	}
	if (rc != S2P_OK)
		s2p_pathmap_free(out);
	return rc;
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

/* A Windows path starts with a drive letter ("C:") or a backslash (UNC
 * "\\server\share", "\\?\" prefixes, "\dir"). A backslash elsewhere is an
 * ordinary character of a POSIX file name. */
static int
is_windows(const char *p)
{
	return p[0] == '\\' || (isalpha((unsigned char)p[0]) && p[1] == ':');
}

static int
prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (tolower((unsigned char)*s) !=
		    tolower((unsigned char)*prefix))
			return 0;
	return 1;
}

/* Drop an extended-length prefix in place: \\?\C:\x -> C:\x and
 * \\?\UNC\server\share -> \\server\share (Windows spells them in any case).
 * Returns the start of the remaining path inside s. */
static char *
strip_long_prefix(char *s)
{
	if (prefix_ci(s, "\\\\?\\UNC\\")) {
		s += 6;
		s[0] = '\\';
	} else if (strncmp(s, "\\\\?\\", 4) == 0) {
		s += 4;
	}
	return s;
}

/* Fold case (NFC kept); new string. */
static char *
casefold(const char *s)
{
	utf8proc_uint8_t *folded = NULL;

	if (s2p_text_is_ascii(s)) { /* what utf8proc's fold does to ASCII */
		char *out = s2p_xstrdup(s), *o;

		for (o = out; *o; o++)
			if (*o >= 'A' && *o <= 'Z')
				*o = (char)(*o - 'A' + 'a');
		return out;
	}
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		    UTF8PROC_CASEFOLD) < 0)
		return s2p_xstrdup(s);
	return (char *)folded;
}

char *
s2p_path_key(const char *path)
{
	char *nfc = s2p_text_nfc(path ? path : "");
	char *s, *o, *out;

	if (!is_windows(nfc))
		return nfc;
	s = strip_long_prefix(nfc);
	for (o = s; *o; o++)
		if (*o == '\\')
			*o = '/';
	out = casefold(s);
	free(nfc);
	return out;
}

char *
s2p_path_basename_key(const char *path)
{
	const char *base = strrchr(path, '/');

	if (is_windows(path)) {
		const char *b = strrchr(path, '\\');

		if (base == NULL || (b != NULL && b > base))
			base = b;
	}
	base = base ? base + 1 : path;
	return casefold(base);
}

int
s2p_path_has_prefix(const char *path_key, const char *prefix_key)
{
	size_t n = strlen(prefix_key);

	/* An empty prefix names no folder: it contains nothing. */
	if (n == 0)
		return 0;
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
		if (norm[i] != '/' &&
		    (norm[i + 1] == '/' || norm[i + 1] == '\0'))
			want--;
	return i;
}

/* Rewrite path (NFC) with rule r, whose source key fk is a prefix of the
 * path's key: r->to, then the rest of the path after as many segments as
 * fk has, with the separators of the target's style; new string. */
static char *
rewrite(const struct s2p_pathrule *r, const char *fk, const char *path)
{
	char *norm = s2p_text_nfc(path);
	char *src = norm, *rest, *out, *o;
	const char *to = r->to;
	size_t tl = strlen(to);
	int win_src = is_windows(norm), win_to = is_windows(to);

	if (win_src) {
		src = strip_long_prefix(norm);
		for (o = src; *o; o++)
			if (*o == '\\')
				*o = '/';
	}
	rest = src + cut_after_segments(src, fk);
	/* "/data=>/" and "/=>/": never a doubled separator. */
	if (tl > 0 && (to[tl - 1] == '/' || to[tl - 1] == '\\') &&
	    rest[0] == '/')
		rest++;
	out = s2p_xasprintf("%s%s", to, rest);
	if (win_to)
		for (o = out + tl; *o; o++)
			if (*o == '/')
				*o = '\\';
	free(norm);
	return out;
}

/* Map path through the first rule whose side matches: from -> to, or
 * to -> from when back is set; no match gives path in NFC. New string. */
static char *
map_path(const struct s2p_pathmap *m, const char *path, int back)
{
	size_t i;
	char *key = s2p_path_key(path);
	char *out = NULL;

	for (i = 0; i < m->n && out == NULL; i++) {
		struct s2p_pathrule r = m->v[i];
		char *fk;

		if (back) {
			r.from = m->v[i].to;
			r.to = m->v[i].from;
		}
		fk = s2p_path_key(r.from);
		if (s2p_path_has_prefix(key, fk))
			out = rewrite(&r, fk, path);
		free(fk);
	}
	free(key);
	return out ? out : s2p_text_nfc(path);
}

char *
s2p_pathmap_apply(const struct s2p_pathmap *m, const char *path)
{
	return map_path(m, path, 0);
}

char *
s2p_path_normalize(const char *path)
{
	int win = is_windows(path);
	size_t n = strlen(path), root = 0, i, start, len, *seg, nseg = 0;
	char *out = s2p_xmalloc(n + 2), sep = win ? '\\' : '/';
	size_t o;

	/* The root stays: "/", "C:\", "\\server\share\" (UNC). */
	if (win && isalpha((unsigned char)path[0]) && path[1] == ':')
		root = (path[2] == '\\' || path[2] == '/') ? 3 : 2;
	else if (win && path[0] == '\\' && path[1] == '\\')
		root = 2;
	else if (path[0] == '/' || path[0] == '\\')
		root = 1;
	memcpy(out, path, root);
	o = root;
	seg = s2p_xreallocarray(NULL, n + 1, sizeof(*seg));
	for (i = root; i <= n;) {
		start = i;
		while (i < n && !(path[i] == '/' || (win && path[i] == '\\')))
			i++;
		len = i - start;
		i++;
		if (len == 0 || (len == 1 && path[start] == '.'))
			continue;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (nseg > 0)
				o = seg[--nseg];
			else if (root == 0) {
				/* A relative path keeps a leading "..". */
				memcpy(out + o, "..", 2);
				o += 2;
				out[o++] = sep;
			}
			continue;
		}
		seg[nseg++] = o;
		memcpy(out + o, path + start, len);
		o += len;
		out[o++] = sep;
	}
	if (o > root)
		o--; /* the separator after the last segment */
	out[o] = '\0';
	free(seg);
	return out;
}

char *
s2p_pathmap_reverse(const struct s2p_pathmap *m, const char *path)
{
	return map_path(m, path, 1);
}
