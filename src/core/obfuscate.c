/*
 * obfuscate.c - path segments to stable words (see obfuscate.h).
 */
#include "obfuscate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define MAX_KNOWN 64

static struct {
	int on;
	unsigned char key[16];
	char *known[MAX_KNOWN]; /* longest first is not needed: see match */
	size_t nknown;
} O;

static const char *const adjectives[64] = {
    "amber",
    "brisk",
    "calm",
    "dusty",
    "eager",
    "faint",
    "gentle",
    "hollow",
    "icy",
    "jolly",
    "keen",
    "lunar",
    "misty",
    "noble",
    "olive",
    "pale",
    "quiet",
    "rapid",
    "sandy",
    "tidal",
    "umber",
    "vivid",
    "windy",
    "young",
    "zesty",
    "bold",
    "crisp",
    "deep",
    "early",
    "fuzzy",
    "golden",
    "hazy",
    "ivory",
    "jade",
    "kind",
    "lively",
    "mellow",
    "narrow",
    "open",
    "plain",
    "quick",
    "rosy",
    "silver",
    "tall",
    "upper",
    "velvet",
    "warm",
    "yellow",
    "azure",
    "bright",
    "cozy",
    "dim",
    "even",
    "fresh",
    "grand",
    "humble",
    "inky",
    "lofty",
    "merry",
    "neat",
    "proud",
    "round",
    "sharp",
    "tender",
};

static const char *const nouns[64] = {
    "otter",
    "heron",
    "maple",
    "cedar",
    "river",
    "meadow",
    "falcon",
    "harbor",
    "island",
    "lantern",
    "marble",
    "nectar",
    "orchid",
    "pebble",
    "quarry",
    "raven",
    "saddle",
    "thistle",
    "valley",
    "willow",
    "badger",
    "canyon",
    "dune",
    "ember",
    "fern",
    "glacier",
    "hazel",
    "iris",
    "juniper",
    "kettle",
    "lagoon",
    "mesa",
    "nutmeg",
    "oak",
    "prairie",
    "quill",
    "reef",
    "spruce",
    "tundra",
    "upland",
    "violet",
    "walnut",
    "yarrow",
    "zephyr",
    "acorn",
    "brook",
    "comet",
    "delta",
    "finch",
    "grove",
    "hollow",
    "inlet",
    "jasper",
    "knoll",
    "lichen",
    "moss",
    "nebula",
    "orbit",
    "pine",
    "ridge",
    "summit",
    "tulip",
    "vale",
    "wren",
};

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = rotl(v1, 13);                                             \
		v1 ^= v0;                                                      \
		v0 = rotl(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = rotl(v3, 16);                                             \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = rotl(v3, 21);                                             \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = rotl(v1, 17);                                             \
		v1 ^= v2;                                                      \
		v2 = rotl(v2, 32);                                             \
	} while (0)

uint64_t
s2p_siphash(const unsigned char key[16], const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; left > 0; left--)
		m |= (uint64_t)p[i + left - 1] << (8 * (left - 1));
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void
s2p_obf_set_key(const unsigned char *key)
{
	O.on = key != NULL;
	if (key != NULL)
		memcpy(O.key, key, sizeof(O.key));
	else
		memset(O.key, 0, sizeof(O.key));
}

int
s2p_obf_enabled(void)
{
	return O.on;
}

void
s2p_obf_known_path(const char *path)
{
	size_t i;

	if (!O.on || path == NULL || strchr(path, ' ') == NULL)
		return; /* only paths with blanks need remembering */
	for (i = 0; i < O.nknown; i++)
		if (strcmp(O.known[i], path) == 0)
			return;
	if (O.nknown == MAX_KNOWN) {
		free(O.known[0]);
		memmove(O.known, O.known + 1,
		    (MAX_KNOWN - 1) * sizeof(O.known[0]));
		O.nknown--;
	}
	O.known[O.nknown++] = s2p_xstrdup(path);
}

char *
s2p_obf_word(const char *seg, size_t len)
{
	uint64_t h = s2p_siphash(O.key, seg, len);

	return s2p_xasprintf("%s-%s-%02u", adjectives[h & 63],
	    nouns[(h >> 6) & 63], (unsigned)((h >> 12) % 100));
}

static int
is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* Append the obfuscated form of the path p[0..n) to b. */
static void
put_path(struct s2p_buf *b, const char *p, size_t n)
{
	size_t i = 0;

	if (n >= 2 && p[1] == ':') { /* a drive letter stays */
		(void)!s2p_buf_add(b, p, 2);
		i = 2;
	}
	while (i < n) {
		size_t j = i, dot;
		char *w;

		if (is_sep(p[i])) {
			(void)!s2p_buf_add(b, p + i, 1);
			i++;
			continue;
		}
		while (j < n && !is_sep(p[j]))
			j++;
		if ((j - i == 1 && p[i] == '.') ||
		    (j - i == 2 && p[i] == '.' && p[i + 1] == '.')) {
			(void)!s2p_buf_add(b, p + i, j - i);
			i = j;
			continue;
		}
		/* Keep a short extension of the segment (".mp4"). */
		for (dot = j; dot > i + 1 && p[dot - 1] != '.'; dot--)
			;
		if (dot > i + 1 && j - dot >= 1 && j - dot <= 4)
			dot--;
		else
			dot = j;
		w = s2p_obf_word(p + i, dot - i);
		(void)!s2p_buf_adds(b, w);
		(void)!s2p_buf_add(b, p + dot, j - dot);
		free(w);
		i = j;
	}
}

#define DELIMS " \t\n\"'`)]>,;"

/* 1 when the token t[0..n) ends in a short extension (".mp4"). */
static int
has_ext(const char *t, size_t n)
{
	size_t k;

	for (k = 1; k <= 5 && k < n; k++)
		if (t[n - k] == '.')
			return k > 1;
	return 0;
}

/* Length of a path that may contain blanks: a blank continues it when the
 * next word holds a separator or ends the path with an extension
 * ("/data/My Videos/a b.mp4"). */
static size_t
blank_joined(const char *s)
{
	size_t l = strcspn(s, DELIMS);

	while (s[l] == ' ') {
		const char *t = s + l + 1;
		size_t tl = strcspn(t, DELIMS);

		if (tl == 0 ||
		    (memchr(t, '/', tl) == NULL &&
			memchr(t, '\\', tl) == NULL && !has_ext(t, tl)))
			break;
		l += 1 + tl;
	}
	return l;
}

/* Length of the path starting at s (see obfuscate.h). */
static size_t
path_len(const char *s)
{
	size_t i, best = 0;

	for (i = 0; i < O.nknown; i++) {
		size_t l = strlen(O.known[i]);

		if (l > best && strncmp(s, O.known[i], l) == 0)
			best = l;
	}
	if (best > 0)
		return best;
	return blank_joined(s);
}

/* 1 when a path may start at s[i]. */
static int
path_start(const char *s, size_t i)
{
	static const char *const api[] = {"/library/", "/scene/", "/graphql",
	    "/:/", "/identity", "/status/", "/photo/", "/web/"};
	char prev = i > 0 ? s[i - 1] : ' ';
	const char *p = s + i;
	size_t k;

	if (strchr(" \t\n\"'`([=<", prev) == NULL || prev == '\0')
		return 0;
	if (p[0] == '/') {
		if (p[1] == '\0' || p[1] == ' ' || p[1] == '/')
			return 0;
		for (k = 0; k < sizeof(api) / sizeof(api[0]); k++)
			if (strncmp(p, api[k], strlen(api[k])) == 0)
				return 0;
		return 1;
	}
	if (p[0] == '\\' && p[1] == '\\' && p[2] != '\0')
		return 1;
	return ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
	    p[1] == ':' && is_sep(p[2]);
}

char *
s2p_obf_text(const char *s)
{
	struct s2p_buf b;
	size_t i = 0, n;

	if (!O.on || s == NULL)
		return s2p_xstrdup(s ? s : "");
	s2p_buf_init(&b, 0);
	while (s[i] != '\0') {
		if (path_start(s, i)) {
			n = path_len(s + i);
			put_path(&b, s + i, n);
			i += n;
			continue;
		}
		(void)!s2p_buf_add(&b, s + i, 1);
		i++;
	}
	return s2p_buf_take(&b);
}
