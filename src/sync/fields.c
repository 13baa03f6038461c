/*
 * fields.c - desired Plex state of a scene and the minimal locked edit (see
 * fields.h).
 */
#include "fields.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sync/text.h"

#define MAX_NAME 255
#define MAX_SUMMARY 10000
#define MAX_ACTORS 50

static int has_name(const struct s2p_strv *v, const char *name);

/* 1 when y-m-d is a day of the (proleptic Gregorian) calendar. */
static int
calendar_day(int y, int m, int d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31};

	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 &&
	    (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

/* Stash dates may be "YYYY-MM-DD", "YYYY-MM" or "YYYY" (v0.30 precision);
 * Plex wants a full date. Anything else, or a day the calendar does not
 * have, is no date (a warning naming the scene says so). */
static char *
plex_date(const char *d, long long scene_id)
{
	size_t n = d ? strlen(d) : 0, i;
	char *out = NULL;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)d[i]) && d[i] != '-')
			break;
	if (n == 0)
		return s2p_xstrdup("");
	if (i < n)
		out = NULL;
	else if (n == 10 && d[4] == '-' && d[7] == '-')
		out = s2p_xstrdup(d);
	else if (n == 7 && d[4] == '-')
		out = s2p_xasprintf("%s-01", d);
	else if (n == 4)
		out = s2p_xasprintf("%s-01-01", d);
	if (out != NULL &&
	    calendar_day(atoi(out), atoi(out + 5), atoi(out + 8)))
		return out;
	free(out);
	s2p_warn("Scene %lld: date \"%.40s\" is not a calendar date; the "
		 "date is cleared in Plex",
	    scene_id, d);
	return s2p_xstrdup("");
}

/* Cleaned, de-duplicated (case-insensitively) list, at most max entries.
 * Returns how many distinct names did not fit. */
static size_t
clean_list(const struct s2p_strv *in, size_t max, struct s2p_strv *out)
{
	size_t i, j, left = 0;

	for (i = 0; i < in->n && out->n < max; i++) {
		char *c = s2p_text_clean(in->v[i], MAX_NAME, 0);
		int dup = 0;

		for (j = 0; j < out->n && !dup; j++)
			dup = strcasecmp(out->v[j], c) == 0;
		if (*c == '\0' || dup)
			free(c);
		else
			s2p_strv_push_take(out, c);
	}
	for (; i < in->n; i++)
		if (!has_name(out, in->v[i]))
			left++;
	return left;
}

void
s2p_fields_desired(const struct s2p_config *cfg, const struct s2p_scene *sc,
    struct s2p_desired *out)
{
	memset(out, 0, sizeof(*out));
	out->rating = S2P_RATING_KEEP;
	if (!cfg->sync_master)
		return;
	/* Title is always synced but never cleared. */
	if (sc->title != NULL && *sc->title != '\0') {
		out->title = s2p_text_clean(sc->title, MAX_NAME, 0);
		if (*out->title == '\0') {
			free(out->title);
			out->title = NULL;
		}
	}
	if (cfg->sync_summary)
		out->summary = s2p_text_clean(sc->details, MAX_SUMMARY, 1);
	if (cfg->sync_date)
		out->date = plex_date(sc->date, (long long)sc->id);
	if (cfg->sync_studio)
		out->studio = s2p_text_clean(sc->studio, MAX_NAME, 0);
	if (cfg->sync_tags) {
		out->want_genres = 1;
		if (clean_list(&sc->tags, (size_t)cfg->max_tags, &out->genres) >
		    0)
			s2p_warn("Scene %lld has %zu tags; only the first %d "
				 "are written to Plex (setting max_tags)",
			    (long long)sc->id, sc->tags.n, cfg->max_tags);
	}
	if (cfg->sync_performers) {
		out->want_actors = 1;
		clean_list(&sc->performers, MAX_ACTORS, &out->actors);
	}
	if (cfg->sync_collection)
		out->collection = s2p_text_clean(sc->studio, MAX_NAME, 0);
	out->rating = S2P_RATING_KEEP;
	if (cfg->sync_rating) {
		int r = sc->rating100;

		if (r > 100) {
			s2p_warn("Scene %lld: rating100 %d is above 100; "
				 "using 100",
			    (long long)sc->id, r);
			r = 100;
		}
		out->rating = r < 0 ? -1.0 : (double)r / 10.0;
	}
	if ((cfg->sync_poster || cfg->sync_background) && sc->screenshot &&
	    *sc->screenshot)
		out->image_url = s2p_xstrdup(sc->screenshot);
}

void
s2p_desired_free(struct s2p_desired *d)
{
	free(d->title);
	free(d->summary);
	free(d->date);
	free(d->studio);
	s2p_strv_free(&d->genres);
	s2p_strv_free(&d->actors);
	free(d->collection);
	free(d->image_url);
	memset(d, 0, sizeof(*d));
}

static int
is_locked(const struct s2p_plex_item *it, const char *field)
{
	return s2p_strv_find(&it->locked, field) >= 0;
}

/* One scalar field: write value (and lock) when it differs or is unlocked;
 * preserve mode only fills an empty Plex value. */
static int
scalar(const struct s2p_config *cfg, const struct s2p_plex_item *it,
    struct s2p_plex_edit *e, struct s2p_strv *changed, const char *field,
    const char *want, const char *have, size_t cmp_len)
{
	int same;

	if (want == NULL)
		return 0;
	if (have == NULL)
		have = "";
	if (cfg->preserve_plex_edits && *have != '\0')
		return 0;
	same = cmp_len
	    ? strncmp(want, have, cmp_len) == 0 && strlen(want) <= cmp_len
	    : strcmp(want, have) == 0;
	if (same && is_locked(it, field))
		return 0;
	s2p_plex_edit_field(e, field, want, 1);
	if (changed != NULL && same) {
		s2p_strv_push_take(changed, s2p_xasprintf("%s: lock", field));
	} else if (changed != NULL) {
		/* The exact text, quoted: a dry run shows what is written. */
		char *qh = s2p_text_quote(have), *qw = s2p_text_quote(want);

		s2p_strv_push_take(changed,
		    s2p_xasprintf("%s: %s -> %s", field, qh, qw));
		free(qh);
		free(qw);
	}
	return 1;
}

static int
has_name(const struct s2p_strv *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcasecmp(v->v[i], name) == 0)
			return 1;
	return 0;
}

/* Comma-joined names for reports, in a static ring of buffers (report
 * lines only). */
static const char *
joined(const struct s2p_strv *v)
{
	static char ring[2][300];
	static int k;
	char *b = ring[k++ & 1];
	size_t i, n = 0;

	b[0] = '\0';
	for (i = 0; i < v->n && n < sizeof(ring[0]) - 1; i++)
		n += (size_t)snprintf(b + n, sizeof(ring[0]) - n, "%s%s",
		    i ? ", " : "", v->v[i]);
	return b;
}

/* One tag list. */
static int
taglist(const struct s2p_config *cfg, const struct s2p_plex_item *it,
    struct s2p_plex_edit *e, struct s2p_strv *changed, const char *tag,
    const struct s2p_strv *want, const struct s2p_strv *have)
{
	struct s2p_strv final, extra;
	int merge = cfg->list_mode && strcmp(cfg->list_mode, "merge") == 0;
	int same = 1;
	size_t i;

	memset(&final, 0, sizeof(final));
	memset(&extra, 0, sizeof(extra));
	if (cfg->preserve_plex_edits && have->n > 0)
		return 0;
	s2p_strv_copy(&final, want);
	for (i = 0; i < have->n; i++) {
		if (has_name(want, have->v[i]))
			continue;
		if (merge)
			s2p_strv_push(&final, have->v[i]);
		else
			s2p_strv_push(&extra, have->v[i]);
	}
	for (i = 0; i < final.n; i++)
		if (!has_name(have, final.v[i]))
			same = 0;
	if (extra.n > 0)
		same = 0;
	if (same && is_locked(it, tag)) {
		s2p_strv_free(&final);
		s2p_strv_free(&extra);
		return 0;
	}
	if (final.n > 0)
		s2p_plex_edit_tags(e, tag, &final, 1);
	if (extra.n > 0)
		s2p_plex_edit_tags_remove(e, tag, &extra);
	if (final.n == 0)
		s2p_plex_edit_lock(e, tag);
	if (changed != NULL)
		s2p_strv_push_take(changed,
		    s2p_xasprintf("%s: [%s] -> [%s]", tag, joined(have),
			joined(&final)));
	s2p_strv_free(&final);
	s2p_strv_free(&extra);
	return 1;
}

/* The studio collection: keep the item's other collections, drop the one
 * we added for a previous studio, add the current studio's. */
static int
collection(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *it, const char *prev, struct s2p_plex_edit *e,
    struct s2p_strv *changed)
{
	struct s2p_strv want;
	size_t i;
	int n;

	if (d->collection == NULL)
		return 0;
	memset(&want, 0, sizeof(want));
	for (i = 0; i < it->collections.n; i++)
		if (prev == NULL || *prev == '\0' ||
		    strcasecmp(it->collections.v[i], prev) != 0 ||
		    strcasecmp(prev, d->collection) == 0)
			s2p_strv_push(&want, it->collections.v[i]);
	if (*d->collection != '\0' && !has_name(&want, d->collection))
		s2p_strv_push(&want, d->collection);
	{
		struct s2p_config c = *cfg;

		/* Other collections are the user's: replace semantics only
		 * for what we computed, and never "preserve" them away. */
		c.list_mode = (char *)"replace";
		c.preserve_plex_edits = 0;
		n = taglist(&c, it, e, changed, "collection", &want,
		    &it->collections);
	}
	s2p_strv_free(&want);
	return n;
}

int
s2p_fields_rating_differs(const struct s2p_desired *d,
    const struct s2p_plex_item *it)
{
	double have = it->user_rating < 0 ? -1.0 : it->user_rating;
	double diff = have - d->rating;

	if (d->rating == S2P_RATING_KEEP)
		return 0;
	return diff > 0.05 || diff < -0.05;
}

void
s2p_fields_digest(const struct s2p_desired *d, const struct s2p_scene *sc,
    char out[17])
{
	uint64_t h = S2P_HASH_INIT;
	char num[32];
	size_t i;

	h = s2p_hash_str(h, d->title);
	h = s2p_hash_str(h, d->summary);
	h = s2p_hash_str(h, d->date);
	h = s2p_hash_str(h, d->studio);
	h = s2p_hash_str(h, d->want_genres ? "g" : "-");
	for (i = 0; i < d->genres.n; i++)
		h = s2p_hash_str(h, d->genres.v[i]);
	h = s2p_hash_str(h, d->want_actors ? "a" : "-");
	for (i = 0; i < d->actors.n; i++)
		h = s2p_hash_str(h, d->actors.v[i]);
	h = s2p_hash_str(h, d->collection ? d->collection : "\x01");
	snprintf(num, sizeof(num), "%.1f", d->rating);
	h = s2p_hash_str(h, num);
	h = s2p_hash_str(h, d->image_url);
	for (i = 0; i < sc->files.n; i++)
		h = s2p_hash_str(h, sc->files.v[i]);
	s2p_hash_hex(h, out);
}

static const char *const part_names[S2P_FIELD_PARTS] = {"title", "summary",
    "date", "studio", "genres", "actors", "collection", "rating"};

const char *
s2p_fields_part_name(int part)
{
	return part >= 0 && part < S2P_FIELD_PARTS ? part_names[part] : "?";
}

int
s2p_fields_is_episode(const struct s2p_plex_item *it)
{
	return it->type != NULL && strcmp(it->type, "episode") == 0;
}

int
s2p_fields_not_for_episodes(const struct s2p_desired *d)
{
	return (d->studio != NULL && *d->studio != '\0') ||
	    (d->want_genres && d->genres.n > 0) ||
	    (d->want_actors && d->actors.n > 0);
}

/* The user rating, in the same edit as the other fields
 * (python-plexapi's editUserRating: userRating.value, 0-10; empty clears
 * it): written, and locked, only when it differs. */
static int
user_rating(const struct s2p_desired *d, const struct s2p_plex_item *it,
    struct s2p_plex_edit *e, struct s2p_strv *changed)
{
	char num[32];
	size_t n;

	if (!s2p_fields_rating_differs(d, it))
		return 0;
	num[0] = '\0';
	if (d->rating >= 0) {
		snprintf(num, sizeof(num), "%.1f", d->rating);
		n = strlen(num);
		if (n > 2 && strcmp(num + n - 2, ".0") == 0)
			num[n - 2] = '\0';
	}
	s2p_plex_edit_field(e, "userRating", num, 1);
	if (changed != NULL)
		s2p_strv_push_take(changed,
		    s2p_xasprintf("userRating: %.1f -> %.1f",
			it->user_rating < 0 ? -1.0 : it->user_rating,
			d->rating));
	return 1;
}

int
s2p_fields_diff_part(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *it, const char *prev_collection, int part,
    struct s2p_plex_edit *e, struct s2p_strv *changed)
{
	int n = 0, episode = s2p_fields_is_episode(it);

	/* An episode has no studio, genres, actors or editable year
	 * (python-plexapi's EpisodeEditMixins): never send them. */
	if (episode && (part == 3 || part == 4 || part == 5))
		return 0;
	switch (part) {
	case 0:
		return scalar(cfg, it, e, changed, "title", d->title, it->title,
		    0);
	case 1:
		return scalar(cfg, it, e, changed, "summary", d->summary,
		    it->summary, 0);
	case 2:
		n = scalar(cfg, it, e, changed, "originallyAvailableAt",
		    d->date, it->originally_available_at, 10);
		if (d->date != NULL && strlen(d->date) >= 4 && !episode) {
			char want[8], have[24];

			snprintf(want, sizeof(want), "%.4s", d->date);
			snprintf(have, sizeof(have), "%ld", it->year);
			n += scalar(cfg, it, e, changed, "year", want,
			    it->year > 0 ? have : "", 0);
		}
		return n;
	case 3:
		return scalar(cfg, it, e, changed, "studio", d->studio,
		    it->studio, 0);
	case 4:
		return d->want_genres ? taglist(cfg, it, e, changed, "genre",
					    &d->genres, &it->genres)
				      : 0;
	case 5:
		return d->want_actors ? taglist(cfg, it, e, changed, "actor",
					    &d->actors, &it->actors)
				      : 0;
	case 6:
		return collection(cfg, d, it, prev_collection, e, changed);
	case 7:
		return user_rating(d, it, e, changed);
	}
	return 0;
}

int
s2p_fields_diff(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *it, const char *prev_collection,
    struct s2p_plex_edit *e, struct s2p_strv *changed)
{
	int n = 0, part;

	for (part = 0; part < S2P_FIELD_PARTS; part++)
		n += s2p_fields_diff_part(cfg, d, it, prev_collection, part, e,
		    changed);
	return n;
}
