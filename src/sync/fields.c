/*
 * fields.c - desired Plex state of a scene and the minimal locked edit (see
 * fields.h).
 */
#include "fields.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "sync/text.h"

#define MAX_NAME 255
#define MAX_SUMMARY 10000
#define MAX_ACTORS 50

/* Stash dates may be "YYYY-MM-DD", "YYYY-MM" or "YYYY" (v0.30 precision);
 * Plex wants a full date. Anything else is treated as no date. */
static char *
plex_date(const char *d)
{
	size_t n = d ? strlen(d) : 0, i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)d[i]) && d[i] != '-')
			return s2p_xstrdup("");
	if (n == 10 && d[4] == '-' && d[7] == '-')
		return s2p_xstrdup(d);
	if (n == 7 && d[4] == '-')
		return s2p_xasprintf("%s-01", d);
	if (n == 4)
		return s2p_xasprintf("%s-01-01", d);
	return s2p_xstrdup("");
}

/* Cleaned, de-duplicated (case-insensitively) list, at most max entries. */
static void
clean_list(const struct s2p_strv *in, size_t max, struct s2p_strv *out)
{
	size_t i, j;

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
}

void
s2p_fields_desired(const struct s2p_config *cfg, const struct s2p_scene *sc,
    struct s2p_desired *out)
{
	memset(out, 0, sizeof(*out));
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
		out->date = plex_date(sc->date);
	if (cfg->sync_studio)
		out->studio = s2p_text_clean(sc->studio, MAX_NAME, 0);
	if (cfg->sync_tags) {
		out->want_genres = 1;
		clean_list(&sc->tags, (size_t)cfg->max_tags, &out->genres);
	}
	if (cfg->sync_performers) {
		out->want_actors = 1;
		clean_list(&sc->performers, MAX_ACTORS, &out->actors);
	}
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
	same = cmp_len ? strncmp(want, have, cmp_len) == 0 &&
		    strlen(want) <= cmp_len
		       : strcmp(want, have) == 0;
	if (same && is_locked(it, field))
		return 0;
	s2p_plex_edit_field(e, field, want, 1);
	if (changed != NULL)
		s2p_strv_push(changed, field);
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
		s2p_strv_push(changed, tag);
	s2p_strv_free(&final);
	s2p_strv_free(&extra);
	return 1;
}

int
s2p_fields_diff(const struct s2p_config *cfg, const struct s2p_desired *d,
    const struct s2p_plex_item *it, struct s2p_plex_edit *e,
    struct s2p_strv *changed)
{
	int n = 0;

	n += scalar(cfg, it, e, changed, "title", d->title, it->title, 0);
	n += scalar(cfg, it, e, changed, "summary", d->summary, it->summary, 0);
	n += scalar(cfg, it, e, changed, "originallyAvailableAt", d->date,
	    it->originally_available_at, 10);
	n += scalar(cfg, it, e, changed, "studio", d->studio, it->studio, 0);
	if (d->want_genres)
		n += taglist(cfg, it, e, changed, "genre", &d->genres,
		    &it->genres);
	if (d->want_actors)
		n += taglist(cfg, it, e, changed, "actor", &d->actors,
		    &it->actors);
	return n;
}
