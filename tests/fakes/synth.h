/*
 * synth.h - the deterministic synthetic library both fakes generate from the
 * same (--scenes N, --seed S): fake Stash serves the scenes as Stash's truth,
 * fake Plex serves an item per scene file with *different* initial metadata
 * (as a Plex agent would have set it), so a sync has real work to do.
 */
#ifndef SYNTH_H
#define SYNTH_H

#include <stddef.h>
#include <stdint.h>

struct synth_scene {
	long id; /* 1..n */
	char *title;
	char *details; /* may contain "\n\n" paragraph breaks */
	char *date;    /* "YYYY-MM-DD" */
	char *studio;  /* NULL for some scenes */
	char *code;
	int rating100; /* 1..100, or -1 for unrated */
	char **performers;
	size_t nperformers;
	char **tags;
	size_t ntags;
	char *path;       /* Stash's path: <root>/<Studio>/<file>.mp4 */
	char *created_at; /* RFC 3339 local time, e.g. 2025-06-01T14:03:22+00:00
			   */
	char *updated_at;
};

struct synth_lib {
	struct synth_scene *v;
	size_t n;
};

/* Generate n scenes from seed, files under root (e.g. "/data/videos"). */
void synth_generate(struct synth_lib *out, size_t n, uint64_t seed,
    const char *root);
void synth_free(struct synth_lib *lib);

/* The metadata Plex starts with for scene s: title from the file name, an
 * agent-style summary, other genres and actors, no studio for some. */
struct synth_plex_meta {
	char *title;
	char *summary;
	char *studio; /* may be NULL */
	char *date;   /* may be NULL */
	char **genres;
	size_t ngenres;
	char **actors;
	size_t nactors;
};

void synth_plex_initial(const struct synth_scene *s, uint64_t seed,
    struct synth_plex_meta *out);
void synth_plex_meta_free(struct synth_plex_meta *m);

#endif
