/*
 * synth.c - deterministic synthetic library (see synth.h). Only the seed and
 * the count decide the output, so two processes agree on every path.
 */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "core/xalloc.h"

static const char *const studios[] = {"Northwind Films", "Blue Harbor",
    "Cedar & Pine", "Studio Ümlaut", "Redline Pictures", "Quiet Hour"};
static const char *const first[] = {"Alex", "Sam", "Jordan", "Riley", "Morgan",
    "Casey", "Avery", "Quinn", "Taylor", "Rowan", "Zoë", "Mika"};
static const char *const last[] = {"Stone", "Reyes", "Kowalski", "Nguyen",
    "O'Brien", "Lind", "Moreau", "Sato", "Hart", "Novak"};
static const char *const tagwords[] = {"Outdoor", "Interview", "Drama",
    "Behind the Scenes", "4K", "Classic", "Comedy", "Sci-Fi & Fantasy",
    "Travel", "Music", "Documentary", "Short", "Night", "Vintage"};
static const char *const words[] = {"Summer", "Harbor", "Midnight", "Echo",
    "Velvet", "Signal", "Lantern", "Orbit", "Meadow", "Static", "Copper",
    "Drift", "Hollow", "Ember", "Tide", "Paper"};

#define PICK(r, arr) ((arr)[s2p_rng_next(r) % (sizeof(arr) / sizeof((arr)[0]))])

/* Turn a display name into a file-name-safe slug (ASCII letters, digits,
 * '-'); the caller frees it. */
static char *
slug(const char *s)
{
	char *out = s2p_xmalloc(strlen(s) + 1);
	char *o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			*o++ = (char)c;
		else if (o > out && o[-1] != '-')
			*o++ = '-';
	}
	while (o > out && o[-1] == '-')
		o--;
	*o = '\0';
	return out;
}

static void
pick_unique(struct s2p_rng *r, const char *const *pool, size_t npool,
    size_t want, char ***out, size_t *nout)
{
	size_t i;

	*out = s2p_xcalloc(want ? want : 1, sizeof(char *));
	*nout = 0;
	for (i = 0; i < want * 4 && *nout < want; i++) {
		const char *c = pool[s2p_rng_next(r) % npool];
		size_t j;
		int dup = 0;

		for (j = 0; j < *nout; j++)
			if (strcmp((*out)[j], c) == 0)
				dup = 1;
		if (!dup)
			(*out)[(*nout)++] = s2p_xstrdup(c);
	}
}

static char *
timestamp(long epoch)
{
	char buf[40];
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	return s2p_xstrdup(buf);
}

void
synth_generate(struct synth_lib *out, size_t n, uint64_t seed, const char *root)
{
	struct s2p_rng r;
	size_t i;

	s2p_rng_seed(&r, seed);
	out->n = n;
	out->v = s2p_xcalloc(n ? n : 1, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct synth_scene *s = &out->v[i];
		char *names[4];
		size_t np = 1 + s2p_rng_next(&r) % 3, j;
		char *st, *ti;

		s->id = (long)i + 1;
		s->title = s2p_xasprintf("%s %s %zu", PICK(&r, words),
		    PICK(&r, words), i + 1);
		s->details = s2p_xasprintf("A %s story about %s.\n\nFilmed "
					   "in %s.",
		    PICK(&r, words), PICK(&r, words), PICK(&r, words));
		s->date = s2p_xasprintf("20%02d-%02d-%02d",
		    (int)(10 + s2p_rng_next(&r) % 15),
		    (int)(1 + s2p_rng_next(&r) % 12),
		    (int)(1 + s2p_rng_next(&r) % 28));
		s->studio = (s2p_rng_next(&r) % 8 == 0)
		    ? NULL
		    : s2p_xstrdup(PICK(&r, studios));
		s->code = s2p_xasprintf("SC-%05zu", i + 1);
		s->rating100 = (s2p_rng_next(&r) % 5 == 0)
		    ? -1
		    : (int)(1 + s2p_rng_next(&r) % 100);
		for (j = 0; j < np; j++)
			names[j] = s2p_xasprintf("%s %s", PICK(&r, first),
			    PICK(&r, last));
		s->performers = s2p_xcalloc(np, sizeof(char *));
		s->nperformers = 0;
		for (j = 0; j < np; j++) {
			size_t k;
			int dup = 0;

			for (k = 0; k < s->nperformers; k++)
				if (strcmp(s->performers[k], names[j]) == 0)
					dup = 1;
			if (dup)
				free(names[j]);
			else
				s->performers[s->nperformers++] = names[j];
		}
		pick_unique(&r, tagwords, sizeof(tagwords) / sizeof(*tagwords),
		    s2p_rng_next(&r) % 5, &s->tags, &s->ntags);
		st = slug(s->studio ? s->studio : "Unsorted");
		ti = slug(s->title);
		s->path = s2p_xasprintf("%s/%s/%s.mp4", root, st, ti);
		free(st);
		free(ti);
		s->created_at = timestamp(1700000000L + (long)i * 60);
		s->updated_at = timestamp(1710000000L + (long)i * 60);
	}
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
synth_free(struct synth_lib *lib)
{
	size_t i;

	for (i = 0; i < lib->n; i++) {
		struct synth_scene *s = &lib->v[i];

		free(s->title);
		free(s->details);
		free(s->date);
		free(s->studio);
		free(s->code);
		free_list(s->performers, s->nperformers);
		free_list(s->tags, s->ntags);
		free(s->path);
		free(s->created_at);
		free(s->updated_at);
	}
	free(lib->v);
	lib->v = NULL;
	lib->n = 0;
}

void
synth_plex_initial(const struct synth_scene *s, uint64_t seed,
    struct synth_plex_meta *out)
{
	struct s2p_rng r;
	const char *base = strrchr(s->path, '/');
	const char *dot;

	s2p_rng_seed(&r, seed ^ ((uint64_t)s->id * 0x9E3779B97F4A7C15ULL));
	base = base ? base + 1 : s->path;
	dot = strrchr(base, '.');
	memset(out, 0, sizeof(*out));
	/* Plex names an unmatched item after its file. */
	out->title = s2p_xstrndup(base,
	    dot ? (size_t)(dot - base) : strlen(base));
	out->summary = s2p_xasprintf("Agent summary for %s.", out->title);
	out->studio = (s->id % 3 == 0) ? NULL : s2p_xstrdup(PICK(&r, studios));
	out->date = (s->id % 4 == 0) ? NULL : s2p_xstrdup("2001-01-01");
	pick_unique(&r, tagwords, sizeof(tagwords) / sizeof(*tagwords),
	    1 + s2p_rng_next(&r) % 3, &out->genres, &out->ngenres);
	out->actors = s2p_xcalloc(1, sizeof(char *));
	out->actors[0] = s2p_xasprintf("%s %s", PICK(&r, first),
	    PICK(&r, last));
	out->nactors = 1;
}

void
synth_plex_meta_free(struct synth_plex_meta *m)
{
	free(m->title);
	free(m->summary);
	free(m->studio);
	free(m->date);
	free_list(m->genres, m->ngenres);
	free_list(m->actors, m->nactors);
	memset(m, 0, sizeof(*m));
}
