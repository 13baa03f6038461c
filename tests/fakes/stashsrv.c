/*
 * stashsrv.c - fake Stash: the data model (scenes with stable performer,
 * studio and tag ids), the GraphQL schema subset and resolvers served at
 * /graphql through gqlmini, the screenshot route, Stash's authentication
 * rules (session cookie with Set-Cookie refresh, ApiKey header checked first
 * and only) and the control endpoints tests use to play the user.
 *
 * Fidelity notes (Stash's own behaviour): updated_at is stored
 * as an RFC 3339 string and the updated_at filter compares strings byte by
 * byte; findScenes without a sort has no defined order (we shuffle it
 * per request so paging without sort visibly breaks); renames never move a
 * scene's updated_at; settings that were never saved are absent.
 */
#include "stashsrv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/strv.h"
#include "core/xalloc.h"
#include "gqlmini.h"
#include "stashplug.h"
#include "synth.h"

/* Append to an unlimited buffer (cannot fail). */
static void
bput(struct s2p_buf *b, const void *p, size_t n)
{
	if (s2p_buf_add(b, p, n) != S2P_OK)
		abort();
}

static void
bputs(struct s2p_buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void
hexbyte(struct s2p_buf *b, unsigned char c)
{
	char h[4];

	snprintf(h, sizeof(h), "%%%02X", c);
	bput(b, h, 3);
}

#define STASH_VERSION "v0.30.1"
#define MAX_SESSION_AGE 3600

/* ------------------------------------------------------------------ */
/* Model                                                               */

struct ent {
	long id;
	char *name;
};

struct entset {
	struct ent **v;
	size_t n;
	long next_id;
};

struct vfile {
	long id;
	char *path;
	double duration;
};

struct scene {
	long id;
	char *title;
	char *code;
	char *details;
	char *director;
	char *date;
	int rating100; /* -1: null */
	int organized;
	struct s2p_strv urls;
	struct ent *studio; /* NULL: none */
	struct ent **perf;  /* sorted by id, like Stash's join tables */
	size_t nperf;
	struct ent **tags;
	size_t ntags;
	struct vfile *files;
	size_t nfiles;
	char *created_at;
	char *updated_at;
	long cover_version;
	int cover_format; /* 0 JPEG, 1 PNG, 2 WebP, 3 GIF */
};

struct fake_stash {
	struct scene **scenes; /* sorted by id */
	size_t nscenes;
	long next_scene_id;
	long next_file_id;
	struct entset performers, studios, tags;
	char *plugin_id;
	json_t *plugins; /* plugin id -> settings object */
	/* authentication */
	int require_auth;
	char *api_key;           /* NULL: no key */
	struct s2p_strv cookies; /* session values issued, newest last */
	double *born;            /* cookies.v[i] was issued at born[i] */
	char *cookie_base;
	long cookie_serial;
	/* switches */
	long dblocked; /* requests left to fail; < 0 forever */
	char *dblock_msg;
	double fixed_clock;  /* > 0: pinned now */
	char *external_host; /* NULL: URLs on the request's Host */
	unsigned long request_serial;
	char *plugin_exec; /* NULL: runPluginOperation fails */
	char *plugin_dir;
	json_t *tasks;           /* runPluginTask calls, oldest first */
	struct fake_server *srv; /* to let go of the model mutex while the
				  * plugin runs (it calls back) */
	/* the request being served */
	const struct fake_req *req;
	int req_dblocked;
};

static const char *const secret_args[] = {"apikey", NULL};
static const char *const secret_headers[] = {"ApiKey", NULL};

static double
now_epoch(const struct fake_stash *st)
{
	struct timespec ts;

	if (st->fixed_clock > 0)
		return st->fixed_clock;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec;
}

void
fake_stash_format_time(double epoch, char *buf, size_t n)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Epoch seconds of an RFC 3339 timestamp, or 0 when it does not parse. */
static long
parse_time(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;
	long off = 0;
	const char *z;

	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se,
		&n) != 6)
		return 0;
	z = s + n;
	if (*z == '+' || *z == '-') {
		int oh, om;

		if (sscanf(z + 1, "%2d:%2d", &oh, &om) == 2)
			off = (*z == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	}
	return days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + se -
	    off;
}

static void
stamp_now(struct fake_stash *st, char **field)
{
	char buf[40];

	fake_stash_format_time(now_epoch(st), buf, sizeof(buf));
	free(*field);
	*field = s2p_xstrdup(buf);
}

static struct ent *
ent_by_name(const struct entset *es, const char *name)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		if (strcmp(es->v[i]->name, name) == 0)
			return es->v[i];
	return NULL;
}

static struct ent *
ent_by_id(const struct entset *es, long id)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		if (es->v[i]->id == id)
			return es->v[i];
	return NULL;
}

/* The entity called name, created with the next id when new. */
static struct ent *
ent_intern(struct entset *es, const char *name)
{
	struct ent *e = ent_by_name(es, name);

	if (e)
		return e;
	e = s2p_xcalloc(1, sizeof(*e));
	e->id = ++es->next_id;
	e->name = s2p_xstrdup(name);
	es->v = s2p_xrealloc(es->v, (es->n + 1) * sizeof(*es->v));
	es->v[es->n++] = e;
	return e;
}

static void
entset_free(struct entset *es)
{
	size_t i;

	for (i = 0; i < es->n; i++) {
		free(es->v[i]->name);
		free(es->v[i]);
	}
	free(es->v);
	memset(es, 0, sizeof(*es));
}

/* Add e to a scene's id-sorted entity list (no duplicates). */
static void
entlist_add(struct ent ***v, size_t *n, struct ent *e)
{
	size_t i, at;

	for (i = 0; i < *n; i++)
		if ((*v)[i] == e)
			return;
	*v = s2p_xrealloc(*v, (*n + 1) * sizeof(**v));
	for (at = 0; at < *n && (*v)[at]->id < e->id; at++)
		;
	memmove(*v + at + 1, *v + at, (*n - at) * sizeof(**v));
	(*v)[at] = e;
	(*n)++;
}

static void
scene_add_file(struct fake_stash *st, struct scene *sc, const char *path,
    double duration)
{
	sc->files = s2p_xrealloc(sc->files,
	    (sc->nfiles + 1) * sizeof(*sc->files));
	sc->files[sc->nfiles].id = ++st->next_file_id;
	sc->files[sc->nfiles].path = s2p_xstrdup(path);
	sc->files[sc->nfiles].duration = duration;
	sc->nfiles++;
}

static void
scene_clear_files(struct scene *sc)
{
	size_t i;

	for (i = 0; i < sc->nfiles; i++)
		free(sc->files[i].path);
	free(sc->files);
	sc->files = NULL;
	sc->nfiles = 0;
}

/* Free a scene and everything it owns; NULL is a no-op. */
static void
scene_free(struct scene *sc)
{
	if (sc == NULL)
		return;
	free(sc->title);
	free(sc->code);
	free(sc->details);
	free(sc->director);
	free(sc->date);
	s2p_strv_free(&sc->urls);
	free(sc->perf);
	free(sc->tags);
	scene_clear_files(sc);
	free(sc->created_at);
	free(sc->updated_at);
	free(sc);
}

/* Scenes are kept in id order (a new scene's id is the highest + 1, a
 * deletion closes the gap), so a binary search finds one among 100,000. */
static struct scene *
scene_by_id(const struct fake_stash *st, long id)
{
	size_t lo = 0, hi = st->nscenes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->scenes[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nscenes && st->scenes[lo]->id == id ? st->scenes[lo]
							    : NULL;
}

static void
scene_append(struct fake_stash *st, struct scene *sc)
{
	st->scenes = s2p_xrealloc(st->scenes,
	    (st->nscenes + 1) * sizeof(*st->scenes));
	st->scenes[st->nscenes++] = sc;
	if (sc->id > st->next_scene_id)
		st->next_scene_id = sc->id;
}

/* Record a session value issued now (takes v). */
static void
cookie_issue(struct fake_stash *st, char *v)
{
	st->born = s2p_xrealloc(st->born,
	    (st->cookies.n + 1) * sizeof(*st->born));
	st->born[st->cookies.n] = now_epoch(st);
	s2p_strv_push_take(&st->cookies, v);
}

/* 1 when v is a session value Stash still accepts: issued and younger
 * than max_session_age on the fake's clock (Stash's signed timestamp;
 * protocol §5.4). */
static int
cookie_valid(const struct fake_stash *st, const char *v)
{
	long i = s2p_strv_find(&st->cookies, v);

	return i >= 0 && now_epoch(st) - st->born[i] < MAX_SESSION_AGE;
}

/* Build the model from the synthetic library (see header). */
void
fake_stash_new(struct fake_stash **out, const struct fake_stash_opts *o)
{
	struct fake_stash *st = s2p_xcalloc(1, sizeof(*st));
	struct synth_lib lib;
	size_t i, j;

	synth_generate(&lib, o->scenes, o->seed,
	    o->root ? o->root : "/data/videos");
	for (i = 0; i < lib.n; i++) {
		const struct synth_scene *s = &lib.v[i];
		struct scene *sc = s2p_xcalloc(1, sizeof(*sc));

		sc->id = s->id;
		sc->title = s2p_xstrdup(s->title);
		sc->code = s2p_xstrdup(s->code);
		sc->details = s2p_xstrdup(s->details);
		sc->date = s2p_xstrdup(s->date);
		sc->rating100 = s->rating100;
		sc->organized = s->id % 2 == 0;
		if (s->studio)
			sc->studio = ent_intern(&st->studios, s->studio);
		for (j = 0; j < s->nperformers; j++)
			entlist_add(&sc->perf, &sc->nperf,
			    ent_intern(&st->performers, s->performers[j]));
		for (j = 0; j < s->ntags; j++)
			entlist_add(&sc->tags, &sc->ntags,
			    ent_intern(&st->tags, s->tags[j]));
		scene_add_file(st, sc, s->path,
		    600.0 + (double)(s->id % 50) * 37.5);
		sc->created_at = s2p_xstrdup(s->created_at);
		sc->updated_at = s2p_xstrdup(s->updated_at);
		sc->cover_version = 1;
		scene_append(st, sc);
	}
	synth_free(&lib);
	st->plugin_id = s2p_xstrdup(o->plugin_id ? o->plugin_id : "Stash2Plex");
	st->plugins = json_object();
	if (o->settings && json_is_object(o->settings))
		json_object_set_new(st->plugins, st->plugin_id,
		    json_deep_copy(o->settings));
	st->require_auth = o->require_auth;
	st->api_key = o->api_key && *o->api_key ? s2p_xstrdup(o->api_key)
						: NULL;
	st->fixed_clock = o->fixed_clock;
	if (o->session_cookie && *o->session_cookie) {
		st->cookie_base = s2p_xstrdup(o->session_cookie);
		cookie_issue(st, s2p_xstrdup(o->session_cookie));
	}
	st->dblock_msg = s2p_xstrdup("database is locked");
	st->plugin_exec = o->plugin_exec ? s2p_xstrdup(o->plugin_exec) : NULL;
	st->plugin_dir = o->plugin_dir ? s2p_xstrdup(o->plugin_dir) : NULL;
	st->tasks = json_array();
	*out = st;
}

/* Free the model (see header). */
void
fake_stash_free(struct fake_stash *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nscenes; i++)
		scene_free(st->scenes[i]);
	free(st->scenes);
	entset_free(&st->performers);
	entset_free(&st->studios);
	entset_free(&st->tags);
	free(st->plugin_id);
	json_decref(st->plugins);
	free(st->api_key);
	s2p_strv_free(&st->cookies);
	free(st->born);
	free(st->cookie_base);
	free(st->dblock_msg);
	free(st->external_host);
	free(st->plugin_exec);
	free(st->plugin_dir);
	json_decref(st->tasks);
	free(st);
}

/* ------------------------------------------------------------------ */
/* Schema subset (names and types as in Stash v0.30.1's schema)   */

#define F(n, t, a)                                                             \
	{                                                                      \
		n, t, a                                                        \
	}
#define END                                                                    \
	{                                                                      \
		NULL, NULL, NULL                                               \
	}

static const struct fake_gql_field query_fields[] = {
    F("findScene", "Scene", "id:ID,checksum:String"),
    F("findScenes", "FindScenesResultType!",
	"scene_filter:SceneFilterType,"
	"scene_ids:[Int!],ids:[ID!],filter:FindFilterType"),
    F("findPerformer", "Performer", "id:ID!"),
    F("findStudio", "Studio", "id:ID!"),
    F("findTag", "Tag", "id:ID!"),
    F("configuration", "ConfigResult!", NULL),
    F("version", "Version!", NULL),
    END,
};

static const struct fake_gql_field mutation_fields[] = {
    F("sceneUpdate", "Scene", "input:SceneUpdateInput!"),
    F("configurePlugin", "Map!", "plugin_id:ID!,input:Map!"),
    F("runPluginOperation", "Any", "plugin_id:ID!,args:Map"),
    F("runPluginTask", "ID!",
	"plugin_id:ID!,task_name:String,description:String,args_map:Map"),
    END,
};

static const struct fake_gql_field scene_fields[] = {
    F("id", "ID!", NULL),
    F("title", "String", NULL),
    F("code", "String", NULL),
    F("details", "String", NULL),
    F("director", "String", NULL),
    F("url", "String", NULL),
    F("urls", "[String!]!", NULL),
    F("date", "String", NULL),
    F("rating100", "Int", NULL),
    F("organized", "Boolean!", NULL),
    F("o_counter", "Int", NULL),
    F("interactive", "Boolean!", NULL),
    F("interactive_speed", "Int", NULL),
    F("created_at", "Time!", NULL),
    F("updated_at", "Time!", NULL),
    F("last_played_at", "Time", NULL),
    F("resume_time", "Float", NULL),
    F("play_duration", "Float", NULL),
    F("play_count", "Int", NULL),
    F("play_history", "[Time!]!", NULL),
    F("o_history", "[Time!]!", NULL),
    F("files", "[VideoFile!]!", NULL),
    F("paths", "ScenePathsType!", NULL),
    F("studio", "Studio", NULL),
    F("groups", "[SceneGroup!]!", NULL),
    F("movies", "[SceneMovie!]!", NULL),
    F("tags", "[Tag!]!", NULL),
    F("performers", "[Performer!]!", NULL),
    END,
};

static const struct fake_gql_field video_file_fields[] = {
    F("id", "ID!", NULL),
    F("path", "String!", NULL),
    F("basename", "String!", NULL),
    F("size", "Int64!", NULL),
    F("format", "String!", NULL),
    F("width", "Int!", NULL),
    F("height", "Int!", NULL),
    F("duration", "Float!", NULL),
    F("video_codec", "String!", NULL),
    F("audio_codec", "String!", NULL),
    F("frame_rate", "Float!", NULL),
    F("bit_rate", "Int!", NULL),
    F("mod_time", "Time!", NULL),
    F("created_at", "Time!", NULL),
    F("updated_at", "Time!", NULL),
    END,
};

static const struct fake_gql_field paths_fields[] = {
    F("screenshot", "String", NULL),
    F("preview", "String", NULL),
    F("stream", "String", NULL),
    F("webp", "String", NULL),
    F("vtt", "String", NULL),
    F("sprite", "String", NULL),
    F("funscript", "String", NULL),
    F("interactive_heatmap", "String", NULL),
    F("caption", "String", NULL),
    END,
};

static const struct fake_gql_field studio_fields[] = {
    F("id", "ID!", NULL),
    F("name", "String!", NULL),
    F("parent_studio", "Studio", NULL),
    F("aliases", "[String!]!", NULL),
    END,
};

static const struct fake_gql_field performer_fields[] = {
    F("id", "ID!", NULL),
    F("name", "String!", NULL),
    F("disambiguation", "String", NULL),
    F("alias_list", "[String!]!", NULL),
    END,
};

static const struct fake_gql_field tag_fields[] = {
    F("id", "ID!", NULL),
    F("name", "String!", NULL),
    F("sort_name", "String", NULL),
    F("aliases", "[String!]!", NULL),
    END,
};

static const struct fake_gql_field scene_group_fields[] = {
    F("group", "Group!", NULL),
    F("scene_index", "Int", NULL),
    END,
};

static const struct fake_gql_field group_fields[] = {
    F("id", "ID!", NULL),
    F("name", "String!", NULL),
    END,
};

static const struct fake_gql_field scene_movie_fields[] = {
    F("movie", "Movie!", NULL),
    F("scene_index", "Int", NULL),
    END,
};

static const struct fake_gql_field find_scenes_fields[] = {
    F("count", "Int!", NULL),
    F("duration", "Float!", NULL),
    F("filesize", "Float!", NULL),
    F("scenes", "[Scene!]!", NULL),
    END,
};

static const struct fake_gql_field config_fields[] = {
    F("general", "ConfigGeneralResult!", NULL),
    F("plugins", "PluginConfigMap!", "include:[ID!]"),
    END,
};

static const struct fake_gql_field config_general_fields[] = {
    F("apiKey", "String!", NULL),
    END,
};

static const struct fake_gql_field version_fields[] = {
    F("version", "String", NULL),
    F("hash", "String!", NULL),
    F("build_time", "String!", NULL),
    END,
};

static const struct fake_gql_field find_filter_fields[] = {
    F("q", "String", NULL),
    F("page", "Int", NULL),
    F("per_page", "Int", NULL),
    F("sort", "String", NULL),
    F("direction", "SortDirectionEnum", NULL),
    END,
};

static const struct fake_gql_field scene_filter_fields[] = {
    F("AND", "SceneFilterType", NULL),
    F("OR", "SceneFilterType", NULL),
    F("NOT", "SceneFilterType", NULL),
    F("id", "IntCriterionInput", NULL),
    F("organized", "Boolean", NULL),
    F("performers", "MultiCriterionInput", NULL),
    F("studios", "HierarchicalMultiCriterionInput", NULL),
    F("tags", "HierarchicalMultiCriterionInput", NULL),
    F("created_at", "TimestampCriterionInput", NULL),
    F("updated_at", "TimestampCriterionInput", NULL),
    F("path", "StringCriterionInput", NULL),
    END,
};

static const struct fake_gql_field string_crit_fields[] = {
    F("value", "String!", NULL),
    F("modifier", "CriterionModifier!", NULL),
    END,
};

static const struct fake_gql_field int_crit_fields[] = {
    F("value", "Int!", NULL),
    F("value2", "Int", NULL),
    F("modifier", "CriterionModifier!", NULL),
    END,
};

static const struct fake_gql_field multi_crit_fields[] = {
    F("value", "[ID!]", NULL),
    F("modifier", "CriterionModifier!", NULL),
    F("excludes", "[ID!]", NULL),
    END,
};

static const struct fake_gql_field hier_crit_fields[] = {
    F("value", "[ID!]", NULL),
    F("modifier", "CriterionModifier!", NULL),
    F("depth", "Int", NULL),
    F("excludes", "[ID!]", NULL),
    END,
};

static const struct fake_gql_field ts_crit_fields[] = {
    F("value", "String!", NULL),
    F("value2", "String", NULL),
    F("modifier", "CriterionModifier!", NULL),
    END,
};

static const struct fake_gql_field scene_update_fields[] = {
    F("clientMutationId", "String", NULL),
    F("id", "ID!", NULL),
    F("title", "String", NULL),
    F("code", "String", NULL),
    F("details", "String", NULL),
    F("director", "String", NULL),
    F("url", "String", NULL),
    F("urls", "[String!]", NULL),
    F("date", "String", NULL),
    F("rating100", "Int", NULL),
    F("o_counter", "Int", NULL),
    F("organized", "Boolean", NULL),
    F("studio_id", "ID", NULL),
    F("gallery_ids", "[ID!]", NULL),
    F("performer_ids", "[ID!]", NULL),
    F("tag_ids", "[ID!]", NULL),
    F("cover_image", "String", NULL),
    F("resume_time", "Float", NULL),
    F("play_duration", "Float", NULL),
    F("play_count", "Int", NULL),
    F("primary_file_id", "ID", NULL),
    END,
};

static const struct fake_gql_field sort_dir_values[] = {
    F("ASC", NULL, NULL),
    F("DESC", NULL, NULL),
    END,
};

static const struct fake_gql_field modifier_values[] = {
    F("EQUALS", NULL, NULL),
    F("NOT_EQUALS", NULL, NULL),
    F("GREATER_THAN", NULL, NULL),
    F("LESS_THAN", NULL, NULL),
    F("IS_NULL", NULL, NULL),
    F("NOT_NULL", NULL, NULL),
    F("INCLUDES_ALL", NULL, NULL),
    F("INCLUDES", NULL, NULL),
    F("EXCLUDES", NULL, NULL),
    F("MATCHES_REGEX", NULL, NULL),
    F("NOT_MATCHES_REGEX", NULL, NULL),
    F("BETWEEN", NULL, NULL),
    F("NOT_BETWEEN", NULL, NULL),
    END,
};

static const struct fake_gql_type types[] = {
    {"Query", FAKE_GQL_OBJECT, query_fields},
    {"Mutation", FAKE_GQL_OBJECT, mutation_fields},
    {"Scene", FAKE_GQL_OBJECT, scene_fields},
    {"VideoFile", FAKE_GQL_OBJECT, video_file_fields},
    {"ScenePathsType", FAKE_GQL_OBJECT, paths_fields},
    {"Studio", FAKE_GQL_OBJECT, studio_fields},
    {"Performer", FAKE_GQL_OBJECT, performer_fields},
    {"Tag", FAKE_GQL_OBJECT, tag_fields},
    {"SceneGroup", FAKE_GQL_OBJECT, scene_group_fields},
    {"Group", FAKE_GQL_OBJECT, group_fields},
    {"SceneMovie", FAKE_GQL_OBJECT, scene_movie_fields},
    {"Movie", FAKE_GQL_OBJECT, group_fields},
    {"FindScenesResultType", FAKE_GQL_OBJECT, find_scenes_fields},
    {"ConfigResult", FAKE_GQL_OBJECT, config_fields},
    {"ConfigGeneralResult", FAKE_GQL_OBJECT, config_general_fields},
    {"Version", FAKE_GQL_OBJECT, version_fields},
    {"FindFilterType", FAKE_GQL_INPUT, find_filter_fields},
    {"SceneFilterType", FAKE_GQL_INPUT, scene_filter_fields},
    {"IntCriterionInput", FAKE_GQL_INPUT, int_crit_fields},
    {"StringCriterionInput", FAKE_GQL_INPUT, string_crit_fields},
    {"MultiCriterionInput", FAKE_GQL_INPUT, multi_crit_fields},
    {"HierarchicalMultiCriterionInput", FAKE_GQL_INPUT, hier_crit_fields},
    {"TimestampCriterionInput", FAKE_GQL_INPUT, ts_crit_fields},
    {"SceneUpdateInput", FAKE_GQL_INPUT, scene_update_fields},
    {"SortDirectionEnum", FAKE_GQL_ENUM, sort_dir_values},
    {"CriterionModifier", FAKE_GQL_ENUM, modifier_values},
    {"ID", FAKE_GQL_SCALAR, NULL},
    {"String", FAKE_GQL_SCALAR, NULL},
    {"Int", FAKE_GQL_SCALAR, NULL},
    {"Int64", FAKE_GQL_SCALAR, NULL},
    {"Float", FAKE_GQL_SCALAR, NULL},
    {"Boolean", FAKE_GQL_SCALAR, NULL},
    {"Time", FAKE_GQL_SCALAR, NULL},
    {"Timestamp", FAKE_GQL_SCALAR, NULL},
    {"Map", FAKE_GQL_SCALAR, NULL},
    {"Any", FAKE_GQL_SCALAR, NULL},
    {"PluginConfigMap", FAKE_GQL_SCALAR, NULL},
    {"Any", FAKE_GQL_SCALAR, NULL},
    {NULL, FAKE_GQL_SCALAR, NULL},
};

static const struct fake_gql_schema schema = {types, "Query", "Mutation"};

/* ------------------------------------------------------------------ */
/* Resolvers                                                           */

/* Stash (Go, SQLite) stores and returns text with NUL characters (as
 * \u0000 in JSON). The model keeps C strings, so a NUL is held as the
 * overlong sequence C0 80, which valid UTF-8 input can never contain. */
#define NUL_HELD "\xC0\x80"

/* A JSON string value as model text (NUL held as C0 80); new string. */
static char *
model_text(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i, k = 0;
	char *out = s2p_xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		if (s[i] == '\0') {
			out[k++] = '\xC0';
			out[k++] = '\x80';
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

static json_t *
jstr_or_null(const char *s)
{
	const char *p;
	char *raw;
	size_t k = 0;
	json_t *j;

	if (s == NULL)
		return json_null();
	if (strstr(s, NUL_HELD) == NULL)
		return json_string(s);
	raw = s2p_xmalloc(strlen(s) + 1);
	for (p = s; *p; p++) {
		if (p[0] == '\xC0' && p[1] == '\x80') {
			raw[k++] = '\0';
			p++;
		} else {
			raw[k++] = *p;
		}
	}
	j = json_stringn(raw, k);
	free(raw);
	return j;
}

/* Go's strconv.Atoi on a GraphQL ID, with its error text. */
static int
parse_id(const char *s, long *out, char **err)
{
	char *end;
	long v;

	errno = 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (s == NULL || *s == '\0' || *end || errno ||
	    isspace((unsigned char)*s)) {
		*err = s2p_xasprintf("strconv.Atoi: parsing \"%s\": invalid "
				     "syntax",
		    s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

/* "http://<Host>" of the request being served, or external_host when
 * configured (Stash's BaseURL middleware: it may carry a reverse proxy's
 * path prefix that Stash itself does not serve). */
static char *
base_url(const struct fake_stash *st)
{
	const char *host = st->req ? fake_req_header(st->req, "Host") : NULL;
	const char *proto = st->req
	    ? fake_req_header(st->req, "X-Forwarded-Proto")
	    : NULL;

	if (st->external_host != NULL)
		return s2p_xstrdup(st->external_host);
	return s2p_xasprintf("%s://%s",
	    proto && strcmp(proto, "https") == 0 ? "https" : "http",
	    host ? host : "127.0.0.1");
}

static json_t *
names_json(struct ent **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]->name));
	return a;
}

static void
objs_from_ents(struct fake_gql_result *out, struct ent **v, size_t n)
{
	size_t i;

	out->list = 1;
	out->objs = s2p_xcalloc(n ? n : 1, sizeof(void *));
	for (i = 0; i < n; i++)
		out->objs[i] = v[i];
	out->nobjs = n;
}

/* Scene fields; unlisted nullable ones stay null. */
static void
resolve_scene(struct fake_stash *st, struct scene *sc, const char *f,
    struct fake_gql_result *out)
{
	size_t i;

	if (strcmp(f, "id") == 0) {
		out->value = json_sprintf("%ld", sc->id);
	} else if (strcmp(f, "title") == 0) {
		out->value = jstr_or_null(sc->title);
	} else if (strcmp(f, "code") == 0) {
		out->value = jstr_or_null(sc->code);
	} else if (strcmp(f, "details") == 0) {
		out->value = jstr_or_null(sc->details);
	} else if (strcmp(f, "director") == 0) {
		out->value = jstr_or_null(sc->director);
	} else if (strcmp(f, "url") == 0) {
		out->value = jstr_or_null(sc->urls.n ? sc->urls.v[0] : NULL);
	} else if (strcmp(f, "urls") == 0) {
		out->value = json_array();
		for (i = 0; i < sc->urls.n; i++)
			json_array_append_new(out->value,
			    json_string(sc->urls.v[i]));
	} else if (strcmp(f, "date") == 0) {
		out->value = jstr_or_null(sc->date);
	} else if (strcmp(f, "rating100") == 0) {
		out->value = sc->rating100 >= 0 ? json_integer(sc->rating100)
						: NULL;
	} else if (strcmp(f, "organized") == 0) {
		out->value = json_boolean(sc->organized);
	} else if (strcmp(f, "o_counter") == 0 ||
	    strcmp(f, "play_count") == 0) {
		out->value = json_integer(0);
	} else if (strcmp(f, "interactive") == 0) {
		out->value = json_false();
	} else if (strcmp(f, "resume_time") == 0 ||
	    strcmp(f, "play_duration") == 0) {
		out->value = json_real(0);
	} else if (strcmp(f, "play_history") == 0 ||
	    strcmp(f, "o_history") == 0) {
		out->value = json_array();
	} else if (strcmp(f, "created_at") == 0) {
		out->value = json_string(sc->created_at);
	} else if (strcmp(f, "updated_at") == 0) {
		out->value = json_string(sc->updated_at);
	} else if (strcmp(f, "files") == 0) {
		out->list = 1;
		out->objs = s2p_xcalloc(sc->nfiles ? sc->nfiles : 1,
		    sizeof(void *));
		for (i = 0; i < sc->nfiles; i++)
			out->objs[i] = &sc->files[i];
		out->nobjs = sc->nfiles;
	} else if (strcmp(f, "paths") == 0) {
		out->obj = sc;
	} else if (strcmp(f, "studio") == 0) {
		out->obj = sc->studio;
	} else if (strcmp(f, "performers") == 0) {
		objs_from_ents(out, sc->perf, sc->nperf);
	} else if (strcmp(f, "tags") == 0) {
		objs_from_ents(out, sc->tags, sc->ntags);
	} else if (strcmp(f, "groups") == 0 || strcmp(f, "movies") == 0) {
		out->list = 1;
	}
	/* interactive_speed, last_played_at: null */
	(void)st;
}

/* ScenePathsType: URLs on the Host the client used. */
static void
resolve_paths(struct fake_stash *st, struct scene *sc, const char *f,
    struct fake_gql_result *out)
{
	char *base = base_url(st);

	if (strcmp(f, "screenshot") == 0)
		out->value = json_sprintf("%s/scene/%ld/screenshot?t=%ld", base,
		    sc->id, parse_time(sc->updated_at));
	else if (strcmp(f, "stream") == 0)
		out->value = st->api_key
		    ? json_sprintf("%s/scene/%ld/stream?apikey=%s", base,
			  sc->id, st->api_key)
		    : json_sprintf("%s/scene/%ld/stream", base, sc->id);
	else if (strcmp(f, "vtt") == 0)
		out->value = json_sprintf("%s/scene/%ld_thumbs.vtt", base,
		    sc->id);
	else if (strcmp(f, "sprite") == 0)
		out->value = json_sprintf("%s/scene/%ld_sprite.jpg", base,
		    sc->id);
	else
		out->value = json_sprintf("%s/scene/%ld/%s", base, sc->id, f);
	free(base);
}

/* VideoFile fields: real path data, fixed media details. */
static void
resolve_file(struct vfile *vf, const char *f, struct fake_gql_result *out)
{
	const char *slash = strrchr(vf->path, '/');

	if (strcmp(f, "id") == 0)
		out->value = json_sprintf("%ld", vf->id);
	else if (strcmp(f, "path") == 0)
		out->value = json_string(vf->path);
	else if (strcmp(f, "basename") == 0)
		out->value = json_string(slash ? slash + 1 : vf->path);
	else if (strcmp(f, "size") == 0)
		out->value = json_integer(
		    (json_int_t)(vf->duration * 1000000.0));
	else if (strcmp(f, "format") == 0)
		out->value = json_string("mp4");
	else if (strcmp(f, "width") == 0)
		out->value = json_integer(1920);
	else if (strcmp(f, "height") == 0)
		out->value = json_integer(1080);
	else if (strcmp(f, "duration") == 0)
		out->value = json_real(vf->duration);
	else if (strcmp(f, "video_codec") == 0)
		out->value = json_string("h264");
	else if (strcmp(f, "audio_codec") == 0)
		out->value = json_string("aac");
	else if (strcmp(f, "frame_rate") == 0)
		out->value = json_real(29.97);
	else if (strcmp(f, "bit_rate") == 0)
		out->value = json_integer(8000000);
	else
		out->value = json_string("2023-11-14T22:13:20+00:00");
}

static void
resolve_ent(struct ent *e, const char *type, const char *f,
    struct fake_gql_result *out)
{
	if (strcmp(f, "id") == 0)
		out->value = json_sprintf("%ld", e->id);
	else if (strcmp(f, "name") == 0)
		out->value = json_string(e->name);
	else if (strcmp(f, "aliases") == 0 || strcmp(f, "alias_list") == 0)
		out->value = json_array();
	/* parent_studio, disambiguation, sort_name: null */
	(void)type;
}

/* ---- findScenes ---- */

struct findres {
	struct scene **v;
	size_t n;
	long count;
	double duration;
	double filesize;
};

static void
findres_free(void *p)
{
	struct findres *r = p;

	free(r->v);
	free(r);
}

/* Does scene sc carry any/all/none of the ids in crit (ents list)? */
static int
match_multi(struct ent **v, size_t n, json_t *crit, char **err)
{
	const char *mod = json_string_value(json_object_get(crit, "modifier"));
	json_t *vals = json_object_get(crit, "value");
	json_t *excl = json_object_get(crit, "excludes");
	size_t i, j, hits = 0, want = json_array_size(vals);
	json_t *it;
	int ok;

	json_array_foreach(vals, i, it)
	{
		long id;

		if (parse_id(json_string_value(it), &id, err) < 0)
			return -1;
		for (j = 0; j < n; j++)
			if (v[j]->id == id)
				hits++;
	}
	if (strcmp(mod, "INCLUDES") == 0)
		ok = hits > 0;
	else if (strcmp(mod, "INCLUDES_ALL") == 0)
		ok = hits == want;
	else if (strcmp(mod, "EXCLUDES") == 0)
		ok = hits == 0;
	else if (strcmp(mod, "IS_NULL") == 0)
		ok = n == 0;
	else if (strcmp(mod, "NOT_NULL") == 0)
		ok = n > 0;
	else {
		*err = s2p_xasprintf("unsupported modifier %s", mod);
		return -1;
	}
	json_array_foreach(excl, i, it)
	{
		long id;

		if (parse_id(json_string_value(it), &id, err) < 0)
			return -1;
		for (j = 0; j < n; j++)
			if (v[j]->id == id)
				ok = 0;
	}
	return ok;
}

/* A TimestampCriterionInput against a stored timestamp string: SQLite
 * compares the bound text byte-wise (pkg/sqlite/sql.go). */
static int
match_timestamp(const struct fake_stash *st, const char *col, json_t *crit,
    char **err)
{
	const char *mod = json_string_value(json_object_get(crit, "modifier"));
	const char *v = json_string_value(json_object_get(crit, "value"));
	const char *v2 = json_string_value(json_object_get(crit, "value2"));
	char upper[40];

	if (v2 == NULL) {
		fake_stash_format_time(now_epoch(st) + 86400.0, upper,
		    sizeof(upper));
		v2 = upper;
	}
	if (strcmp(mod, "EQUALS") == 0)
		return strcmp(col, v) == 0;
	if (strcmp(mod, "NOT_EQUALS") == 0)
		return strcmp(col, v) != 0;
	if (strcmp(mod, "GREATER_THAN") == 0)
		return strcmp(col, v) > 0;
	if (strcmp(mod, "LESS_THAN") == 0)
		return strcmp(col, v) < 0;
	if (strcmp(mod, "BETWEEN") == 0)
		return strcmp(col, v) >= 0 && strcmp(col, v2) <= 0;
	if (strcmp(mod, "NOT_BETWEEN") == 0)
		return !(strcmp(col, v) >= 0 && strcmp(col, v2) <= 0);
	if (strcmp(mod, "IS_NULL") == 0)
		return 0;
	if (strcmp(mod, "NOT_NULL") == 0)
		return 1;
	/* Stash panics ("unsupported date modifier type"); gqlgen's recover
	 * turns that into this message. */
	*err = s2p_xstrdup("internal system error");
	return -1;
}

/* An IntCriterionInput against an integer column. */
static int
match_int(long col, json_t *crit, char **err)
{
	const char *mod = json_string_value(json_object_get(crit, "modifier"));
	long v = (long)json_integer_value(json_object_get(crit, "value"));
	long v2 = (long)json_integer_value(json_object_get(crit, "value2"));

	if (strcmp(mod, "EQUALS") == 0)
		return col == v;
	if (strcmp(mod, "NOT_EQUALS") == 0)
		return col != v;
	if (strcmp(mod, "GREATER_THAN") == 0)
		return col > v;
	if (strcmp(mod, "LESS_THAN") == 0)
		return col < v;
	if (strcmp(mod, "BETWEEN") == 0)
		return col >= v && col <= v2;
	if (strcmp(mod, "NOT_BETWEEN") == 0)
		return col < v || col > v2;
	if (strcmp(mod, "IS_NULL") == 0)
		return 0;
	if (strcmp(mod, "NOT_NULL") == 0)
		return 1;
	*err = s2p_xstrdup("internal system error");
	return -1;
}

/* SceneFilterType.path against a scene's file paths: EQUALS is the exact
 * path of one of its files, INCLUDES a substring (case-sensitive here,
 * stricter than Stash's LIKE), NOT_EQUALS / EXCLUDES their negations,
 * IS_NULL / NOT_NULL whether the scene has a file. MATCHES_REGEX and
 * NOT_MATCHES_REGEX are not implemented (an error, never a guess). */
static int
match_path(const struct scene *sc, json_t *crit, char **err)
{
	const char *mod = json_string_value(json_object_get(crit, "modifier"));
	const char *v = json_string_value(json_object_get(crit, "value"));
	size_t i;
	int eq = 0, inc = 0;

	for (i = 0; i < sc->nfiles; i++) {
		const char *p = sc->files[i].path;

		eq |= strcmp(p, v) == 0;
		inc |= strstr(p, v) != NULL;
	}
	if (strcmp(mod, "EQUALS") == 0)
		return eq;
	if (strcmp(mod, "NOT_EQUALS") == 0)
		return !eq;
	if (strcmp(mod, "INCLUDES") == 0)
		return inc;
	if (strcmp(mod, "EXCLUDES") == 0)
		return !inc;
	if (strcmp(mod, "IS_NULL") == 0)
		return sc->nfiles == 0;
	if (strcmp(mod, "NOT_NULL") == 0)
		return sc->nfiles > 0;
	*err = s2p_xasprintf("fake-stash: path modifier %s not implemented",
	    mod);
	return -1;
}

/* 1 if sc matches the SceneFilterType f, 0 if not, -1 on error. */
static int
scene_matches(const struct fake_stash *st, const struct scene *sc, json_t *f,
    char **err)
{
	json_t *c;
	int ok = 1, r;

	if (f == NULL || json_is_null(f))
		return 1;
	if ((c = json_object_get(f, "id")) && !json_is_null(c)) {
		if ((r = match_int(sc->id, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "organized")) && !json_is_null(c))
		ok = ok && (json_is_true(c) == (sc->organized != 0));
	if ((c = json_object_get(f, "path")) && !json_is_null(c)) {
		if ((r = match_path(sc, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "performers")) && !json_is_null(c)) {
		if ((r = match_multi(sc->perf, sc->nperf, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "tags")) && !json_is_null(c)) {
		if ((r = match_multi(sc->tags, sc->ntags, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "studios")) && !json_is_null(c)) {
		struct ent *one[1];

		one[0] = sc->studio;
		if ((r = match_multi(one, sc->studio ? 1 : 0, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "created_at")) && !json_is_null(c)) {
		if ((r = match_timestamp(st, sc->created_at, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "updated_at")) && !json_is_null(c)) {
		if ((r = match_timestamp(st, sc->updated_at, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "AND")) && !json_is_null(c)) {
		if ((r = scene_matches(st, sc, c, err)) < 0)
			return -1;
		ok = ok && r;
	}
	if ((c = json_object_get(f, "NOT")) && !json_is_null(c)) {
		if ((r = scene_matches(st, sc, c, err)) < 0)
			return -1;
		ok = ok && !r;
	}
	if ((c = json_object_get(f, "OR")) && !json_is_null(c)) {
		if ((r = scene_matches(st, sc, c, err)) < 0)
			return -1;
		ok = ok || r;
	}
	return ok;
}

/* SQLite's NATURAL_CI collation as Stash registers it: case-insensitive,
 * digit runs compared by value. */
static int
natural_ci(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea, *eb;
			size_t la, lb;
			int c;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (ea = a; isdigit((unsigned char)*ea); ea++)
				;
			for (eb = b; isdigit((unsigned char)*eb); eb++)
				;
			la = (size_t)(ea - a);
			lb = (size_t)(eb - b);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = strncmp(a, b, la);
			if (c)
				return c;
			a = ea;
			b = eb;
			continue;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return tolower((unsigned char)*a) -
			    tolower((unsigned char)*b);
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static const char *const sort_keys[] = {"id", "title", "date", "rating",
    "created_at", "updated_at", "path", NULL};

struct sortspec {
	int key; /* index in sort_keys, -1 unsorted */
	int desc;
	unsigned long salt; /* unsorted: per-request shuffle */
};

/* NULL sorts first ascending, as in SQLite. */
static int
cmp_nullable_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static unsigned long
shuffle_key(long id, unsigned long salt)
{
	unsigned long long x = (unsigned long long)id * 0x9E3779B97F4A7C15ULL ^
	    (unsigned long long)salt * 0xBF58476D1CE4E5B9ULL;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 29;
	return (unsigned long)x;
}

/* Order of two scenes under sp (then Stash's tiebreak, then id). */
static int
scene_cmp(const struct scene *a, const struct scene *b,
    const struct sortspec *sp)
{
	int c = 0;
	const char *ta, *tb;
	char ia[24], ib[24];

	if (sp->key < 0) {
		unsigned long ka = shuffle_key(a->id, sp->salt);
		unsigned long kb = shuffle_key(b->id, sp->salt);

		return ka < kb ? -1 : ka > kb;
	}
	switch (sp->key) {
	case 0:
		c = a->id < b->id ? -1 : a->id > b->id;
		break;
	case 1:
		snprintf(ia, sizeof(ia), "%ld", a->id);
		snprintf(ib, sizeof(ib), "%ld", b->id);
		c = natural_ci(a->title ? a->title : ia,
		    b->title ? b->title : ib);
		break;
	case 2:
		c = cmp_nullable_str(a->date, b->date);
		break;
	case 3:
		c = a->rating100 < b->rating100 ? -1
						: a->rating100 > b->rating100;
		break;
	case 4:
		c = strcmp(a->created_at, b->created_at);
		break;
	case 5:
		c = strcmp(a->updated_at, b->updated_at);
		break;
	case 6:
		c = cmp_nullable_str(a->nfiles ? a->files[0].path : NULL,
		    b->nfiles ? b->files[0].path : NULL);
		break;
	default:
		break;
	}
	if (sp->desc)
		c = -c;
	if (c)
		return c;
	/* Stash's final tiebreak: COALESCE(title, id) COLLATE NATURAL_CI. */
	snprintf(ia, sizeof(ia), "%ld", a->id);
	snprintf(ib, sizeof(ib), "%ld", b->id);
	ta = a->title ? a->title : ia;
	tb = b->title ? b->title : ib;
	c = natural_ci(ta, tb);
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Insertion sort keeps this free of qsort_r (not POSIX). */
static void
sort_scenes(struct scene **v, size_t n, const struct sortspec *sp)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct scene *x = v[i];

		for (j = i; j > 0 && scene_cmp(v[j - 1], x, sp) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int
long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The scenes named in an ids / scene_ids list, in id order, each once, into
 * r->v (room for every scene). -1 with *err for an id that is not one. */
static int
id_candidates(struct fake_stash *st, json_t *list, struct findres *r,
    char **err)
{
	size_t i, n = json_array_size(list);
	long *want = s2p_xcalloc(n + 1, sizeof(*want));
	json_t *it;

	json_array_foreach(list, i, it)
	{
		if (json_is_integer(it)) {
			want[i] = (long)json_integer_value(it);
		} else if (parse_id(json_string_value(it), &want[i], err) < 0) {
			free(want);
			return -1;
		}
	}
	qsort(want, n, sizeof(*want), long_cmp);
	for (i = 0; i < n; i++) {
		struct scene *sc;

		if (i > 0 && want[i] == want[i - 1])
			continue;
		sc = scene_by_id(st, want[i]);
		if (sc != NULL)
			r->v[r->n++] = sc;
	}
	free(want);
	return 0;
}

/* findScenes: ids, scene_filter, sort, then the page; the
 * result is a findres owned by the executor. */
static void
find_scenes(struct fake_stash *st, json_t *args, struct fake_gql_result *out)
{
	json_t *filter = json_object_get(args, "filter");
	json_t *sf = json_object_get(args, "scene_filter");
	json_t *ids = json_object_get(args, "ids");
	json_t *sids = json_object_get(args, "scene_ids");
	struct findres *r = s2p_xcalloc(1, sizeof(*r));
	struct sortspec sp = {-1, 0, 0};
	json_t *v;
	long page = 1, per_page = 25;
	int all = 0;
	size_t i, k, start, end;
	char *err = NULL;

	if (filter && json_is_object(filter)) {
		v = json_object_get(filter, "sort");
		if (json_is_string(v) && *json_string_value(v)) {
			for (k = 0; sort_keys[k]; k++)
				if (strcmp(sort_keys[k],
					json_string_value(v)) == 0)
					sp.key = (int)k;
			if (sp.key < 0) {
				out->error = s2p_xasprintf("invalid sort: %s",
				    json_string_value(v));
				goto fail;
			}
		}
		v = json_object_get(filter, "direction");
		sp.desc = json_is_string(v) &&
		    strcmp(json_string_value(v), "DESC") == 0;
		v = json_object_get(filter, "page");
		if (json_is_integer(v) && json_integer_value(v) >= 1)
			page = (long)json_integer_value(v);
		v = json_object_get(filter, "per_page");
		if (json_is_integer(v)) {
			per_page = (long)json_integer_value(v);
			all = per_page < 0;
		}
	}
	sp.salt = st->request_serial;
	r->v = s2p_xcalloc(st->nscenes + 1, sizeof(*r->v));
	if (json_is_array(ids) || json_is_array(sids)) {
		/* Only the listed scenes are candidates: look each up
		 * instead of scanning the library per request. */
		if (id_candidates(st, json_is_array(ids) ? ids : sids, r,
			&err) < 0) {
			out->error = err;
			goto fail;
		}
	} else {
		for (i = 0; i < st->nscenes; i++)
			r->v[r->n++] = st->scenes[i];
	}
	for (i = 0, k = 0; i < r->n; i++) {
		int m = scene_matches(st, r->v[i], sf, &err);

		if (m < 0) {
			out->error = err;
			goto fail;
		}
		if (m)
			r->v[k++] = r->v[i];
	}
	r->n = k;
	sort_scenes(r->v, r->n, &sp);
	r->count = (long)r->n;
	for (i = 0; i < r->n; i++) {
		if (r->v[i]->nfiles) {
			r->duration += r->v[i]->files[0].duration;
			r->filesize += r->v[i]->files[0].duration * 1000000.0;
		}
	}
	if (!all) {
		start = (size_t)((page - 1) * per_page);
		if (per_page <= 0 || start >= r->n) {
			r->n = 0;
		} else {
			end = start + (size_t)per_page;
			if (end > r->n)
				end = r->n;
			memmove(r->v, r->v + start,
			    (end - start) * sizeof(*r->v));
			r->n = end - start;
		}
	}
	out->obj = r;
	out->obj_free = findres_free;
	return;
fail:
	findres_free(r);
}

/* FindScenesResultType fields. */
static void
resolve_find_scenes(struct findres *r, const char *f,
    struct fake_gql_result *out)
{
	size_t i;

	if (strcmp(f, "count") == 0) {
		out->value = json_integer(r->count);
	} else if (strcmp(f, "duration") == 0) {
		out->value = json_real(r->duration);
	} else if (strcmp(f, "filesize") == 0) {
		out->value = json_real(r->filesize);
	} else if (strcmp(f, "scenes") == 0) {
		out->list = 1;
		out->objs = s2p_xcalloc(r->n ? r->n : 1, sizeof(void *));
		for (i = 0; i < r->n; i++)
			out->objs[i] = r->v[i];
		out->nobjs = r->n;
	}
}

/* configuration { plugins(include:) }: only non-empty maps, filtered. */
static json_t *
plugins_json(const struct fake_stash *st, json_t *include)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(st->plugins, k, v)
	{
		size_t i;
		json_t *it;
		int want = !json_is_array(include);

		if (!json_is_object(v) || json_object_size(v) == 0)
			continue;
		json_array_foreach(include, i, it) if (json_is_string(it) &&
		    strcmp(json_string_value(it), k) == 0) want = 1;
		if (want)
			json_object_set_new(out, k, json_deep_copy(v));
	}
	return out;
}

/* Resolve an ID list of entities, or fail with Stash-like text. */
static int
ents_from_ids(struct entset *es, const char *kind, json_t *ids, struct ent ***v,
    size_t *n, char **err)
{
	size_t i;
	json_t *it;

	*v = NULL;
	*n = 0;
	json_array_foreach(ids, i, it)
	{
		long id;
		struct ent *e;

		if (parse_id(json_string_value(it), &id, err) < 0)
			goto fail;
		e = ent_by_id(es, id);
		if (e == NULL) {
			*err = s2p_xasprintf("%s with id %ld not found", kind,
			    id);
			goto fail;
		}
		entlist_add(v, n, e);
	}
	return 0;
fail:
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

static void
set_str_field(json_t *in, const char *key, char **field)
{
	json_t *v = json_object_get(in, key);

	if (v == NULL)
		return;
	free(*field);
	*field = json_is_string(v) ? s2p_xstrdup(json_string_value(v)) : NULL;
}

/* sceneUpdate(input): apply the given fields, bump updated_at. */
static void
scene_update(struct fake_stash *st, json_t *in, struct fake_gql_result *out)
{
	struct scene *sc;
	long id;
	json_t *v;
	char *err = NULL;
	struct ent **perf = NULL, **tags = NULL;
	size_t nperf = 0, ntags = 0;
	struct ent *studio = NULL;
	int have_perf = 0, have_tags = 0, have_studio = 0;

	if (parse_id(json_string_value(json_object_get(in, "id")), &id, &err) <
	    0) {
		out->error = err;
		return;
	}
	sc = scene_by_id(st, id);
	if (sc == NULL) {
		out->error = s2p_xasprintf("scene with id %ld not found", id);
		return;
	}
	/* Validate references before changing anything. */
	if ((v = json_object_get(in, "performer_ids"))) {
		have_perf = 1;
		if (ents_from_ids(&st->performers, "performer", v, &perf,
			&nperf, &err) < 0)
			goto fail;
	}
	if ((v = json_object_get(in, "tag_ids"))) {
		have_tags = 1;
		if (ents_from_ids(&st->tags, "tag", v, &tags, &ntags, &err) < 0)
			goto fail;
	}
	if ((v = json_object_get(in, "studio_id"))) {
		have_studio = 1;
		if (json_is_string(v)) {
			long sid;

			if (parse_id(json_string_value(v), &sid, &err) < 0)
				goto fail;
			studio = ent_by_id(&st->studios, sid);
			if (studio == NULL) {
				err = s2p_xasprintf("studio with id %ld not "
						    "found",
				    sid);
				goto fail;
			}
		}
	}
	set_str_field(in, "title", &sc->title);
	set_str_field(in, "code", &sc->code);
	set_str_field(in, "details", &sc->details);
	set_str_field(in, "director", &sc->director);
	set_str_field(in, "date", &sc->date);
	if ((v = json_object_get(in, "rating100")))
		sc->rating100 = json_is_integer(v) ? (int)json_integer_value(v)
						   : -1;
	if ((v = json_object_get(in, "organized")) && json_is_boolean(v))
		sc->organized = json_is_true(v);
	if ((v = json_object_get(in, "urls")) ||
	    (v = json_object_get(in, "url"))) {
		size_t i;
		json_t *it;

		s2p_strv_free(&sc->urls);
		if (json_is_string(v))
			s2p_strv_push(&sc->urls, json_string_value(v));
		json_array_foreach(v, i, it)
		    s2p_strv_push(&sc->urls, json_string_value(it));
	}
	if (have_perf) {
		free(sc->perf);
		sc->perf = perf;
		sc->nperf = nperf;
		perf = NULL;
	}
	if (have_tags) {
		free(sc->tags);
		sc->tags = tags;
		sc->ntags = ntags;
		tags = NULL;
	}
	if (have_studio)
		sc->studio = studio;
	if ((v = json_object_get(in, "cover_image")) && json_is_string(v))
		sc->cover_version++;
	stamp_now(st, &sc->updated_at);
	out->obj = sc;
	return;
fail:
	free(perf);
	free(tags);
	out->error = err;
}

/* The server_connection Stash hands a plugin: its own address (port from
 * the request's Host), a session made for this run, the config and plugin
 * folders. New reference. */
static json_t *
server_connection(struct fake_stash *st)
{
	const char *host = st->req ? fake_req_header(st->req, "Host") : NULL;
	const char *colon = host ? strrchr(host, ':') : NULL;
	char *v, *dir;
	json_t *sc;

	v = s2p_xasprintf("%s-p%ld",
	    st->cookie_base ? st->cookie_base : "session", ++st->cookie_serial);
	cookie_issue(st, v);
	if (st->plugin_dir) {
		dir = s2p_xstrdup(st->plugin_dir);
	} else {
		dir = s2p_xstrdup(st->plugin_exec);
		if (strrchr(dir, '/'))
			*strrchr(dir, '/') = '\0';
	}
	sc = json_pack("{s:s, s:s, s:i, s:{s:s, s:s, s:s, s:i}, s:s, s:s}",
	    "Scheme", "http", "Host", "0.0.0.0", "Port",
	    colon ? atoi(colon + 1) : 9999, "SessionCookie", "Name", "session",
	    "Value", v, "Path", "", "MaxAge", 0, "Dir", dir, "PluginDir", dir);
	free(dir);
	return sc;
}

/* runPluginOperation(plugin_id, args): run the plugin now with args as
 * its input's args and answer its output (its error as a GraphQL error),
 * as Stash's resolver_mutation_plugin.go does. */
static void
run_operation(struct fake_stash *st, json_t *args, struct fake_gql_result *out)
{
	const char *id = json_string_value(json_object_get(args, "plugin_id"));
	json_t *a = json_object_get(args, "args"), *in;
	const struct fake_req *req;
	char *text;
	int rc, locked;

	if (id == NULL || strcmp(id, st->plugin_id) != 0 ||
	    st->plugin_exec == NULL) {
		out->error = s2p_xasprintf("no plugin with ID %s",
		    id ? id : "");
		return;
	}
	in = json_pack("{s:o, s:O}", "server_connection", server_connection(st),
	    "args", json_is_object(a) ? a : json_null());
	if (!json_is_object(a))
		json_object_set_new(in, "args", json_object());
	text = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	/* The plugin calls Stash's GraphQL back (settings, scenes): other
	 * handlers must run meanwhile, as in Stash. The request being served
	 * is put back afterwards. */
	req = st->req;
	locked = st->req_dblocked;
	if (st->srv)
		fake_server_unlock(st->srv);
	rc = fake_plugin_run(st->plugin_exec, text, &out->value, &out->error);
	if (st->srv)
		fake_server_lock(st->srv);
	st->req = req;
	st->req_dblocked = locked;
	if (rc != 0 && out->error == NULL)
		out->error = s2p_xstrdup("plugin failed");
	free(text);
}

/* runPluginTask: Stash queues a job and answers its id; the fake records
 * the call (GET /tasks on the control port) and runs nothing. */
static void
run_task(struct fake_stash *st, json_t *args, struct fake_gql_result *out)
{
	const char *id = json_string_value(json_object_get(args, "plugin_id"));
	json_t *t;

	if (id == NULL || strcmp(id, st->plugin_id) != 0) {
		out->error = s2p_xasprintf("plugin %s not found", id ? id : "");
		return;
	}
	t = json_pack("{s:O?, s:O?, s:O?}", "task_name",
	    json_object_get(args, "task_name"), "description",
	    json_object_get(args, "description"), "args_map",
	    json_object_get(args, "args_map"));
	json_array_append_new(st->tasks, t);
	out->value = json_sprintf("%zu", json_array_size(st->tasks));
}

/* Query and Mutation root fields; all fail while the
 * database is "locked". */
static void
resolve_root(struct fake_stash *st, const char *type, const char *f,
    json_t *args, struct fake_gql_result *out)
{
	if (st->req_dblocked) {
		out->error = s2p_xstrdup(st->dblock_msg);
		return;
	}
	if (strcmp(type, "Mutation") == 0) {
		if (strcmp(f, "sceneUpdate") == 0) {
			scene_update(st, json_object_get(args, "input"), out);
		} else if (strcmp(f, "runPluginOperation") == 0) {
			run_operation(st, args, out);
		} else if (strcmp(f, "runPluginTask") == 0) {
			run_task(st, args, out);
		} else if (strcmp(f, "configurePlugin") == 0) {
			const char *id = json_string_value(
			    json_object_get(args, "plugin_id"));
			json_t *in = json_object_get(args, "input");

			json_object_set_new(st->plugins, id,
			    json_deep_copy(in));
			out->value = json_deep_copy(in);
		}
		return;
	}
	if (strcmp(f, "findScene") == 0) {
		json_t *id = json_object_get(args, "id");
		long n;
		char *err = NULL;

		if (json_is_string(id)) {
			if (parse_id(json_string_value(id), &n, &err) < 0) {
				out->error = err;
				return;
			}
			out->obj = scene_by_id(st, n);
		}
		/* by checksum: the fake has none, so null */
	} else if (strcmp(f, "findScenes") == 0) {
		find_scenes(st, args, out);
	} else if (strcmp(f, "findPerformer") == 0 ||
	    strcmp(f, "findStudio") == 0 || strcmp(f, "findTag") == 0) {
		struct entset *es = f[4] == 'P' ? &st->performers
		    : f[4] == 'S'               ? &st->studios
						: &st->tags;
		long n;
		char *err = NULL;

		if (parse_id(json_string_value(json_object_get(args, "id")), &n,
			&err) < 0) {
			out->error = err;
			return;
		}
		out->obj = ent_by_id(es, n);
	} else if (strcmp(f, "configuration") == 0 ||
	    strcmp(f, "version") == 0) {
		out->obj = st;
	}
}

/* The fake_gql_resolver for the whole schema. */
static void
resolve(void *ctx, const char *type, void *obj, const char *f, json_t *args,
    struct fake_gql_result *out)
{
	struct fake_stash *st = ctx;

	if (strcmp(type, "Query") == 0 || strcmp(type, "Mutation") == 0)
		resolve_root(st, type, f, args, out);
	else if (strcmp(type, "Scene") == 0)
		resolve_scene(st, obj, f, out);
	else if (strcmp(type, "ScenePathsType") == 0)
		resolve_paths(st, obj, f, out);
	else if (strcmp(type, "VideoFile") == 0)
		resolve_file(obj, f, out);
	else if (strcmp(type, "Studio") == 0 ||
	    strcmp(type, "Performer") == 0 || strcmp(type, "Tag") == 0)
		resolve_ent(obj, type, f, out);
	else if (strcmp(type, "FindScenesResultType") == 0)
		resolve_find_scenes(obj, f, out);
	else if (strcmp(type, "ConfigResult") == 0) {
		if (strcmp(f, "plugins") == 0)
			out->value = plugins_json(st,
			    json_object_get(args, "include"));
		else
			out->obj = st;
	} else if (strcmp(type, "ConfigGeneralResult") == 0) {
		out->value = json_string(st->api_key ? st->api_key : "");
	} else if (strcmp(type, "Version") == 0) {
		if (strcmp(f, "version") == 0)
			out->value = json_string(STASH_VERSION);
		else if (strcmp(f, "hash") == 0)
			out->value = json_string("fakestash");
		else
			out->value = json_string("2025-01-01 00:00:00");
	}
}

/* ------------------------------------------------------------------ */
/* HTTP: authentication                                                */

/* The first "session" cookie of the request (Go's r.Cookie), or NULL;
 * caller frees. */
static char *
session_cookie(const struct fake_req *req)
{
	const char *h = fake_req_header(req, "Cookie");
	const char *p = h;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len > 8 && strncmp(p, "session=", 8) == 0) {
			size_t vl = len - 8;
			const char *v = p + 8;

			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v++;
				vl -= 2;
			}
			return s2p_xstrndup(v, vl);
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* Stash's Store.Authenticate + authenticateHandler. Returns 1 when the
 * request may proceed; otherwise resp holds the 401/302. */
static int
authenticate(struct fake_stash *st, const struct fake_req *req,
    struct fake_resp *resp)
{
	const char *key = fake_req_header(req, "ApiKey");
	char *cookie = NULL;
	int user = 0, ok = 1;

	if (key == NULL || *key == '\0')
		key = fake_req_arg(req, "apikey");
	if (key && *key) {
		/* Checked first and only: a wrong key is fatal even with a
		 * valid cookie and even without credentials. */
		if (st->api_key == NULL || strcmp(key, st->api_key) != 0)
			ok = 0;
		else
			user = 1;
	} else {
		cookie = session_cookie(req);
		if (cookie && cookie_valid(st, cookie)) {
			char *fresh, *hdr, expires[64];
			time_t t = (time_t)now_epoch(st) + MAX_SESSION_AGE;
			struct tm tm;

			user = 1;
			fresh = s2p_xasprintf("%s-r%ld", st->cookie_base,
			    ++st->cookie_serial);
			gmtime_r(&t, &tm);
			strftime(expires, sizeof(expires),
			    "%a, %d %b %Y %H:%M:%S GMT", &tm);
			hdr = s2p_xasprintf("session=%s; Path=/; Expires=%s; "
					    "Max-Age=%d; HttpOnly",
			    fresh, expires, MAX_SESSION_AGE);
			fake_resp_header(resp, "Set-Cookie", hdr);
			cookie_issue(st, fresh);
			free(hdr);
		}
		if (st->require_auth && !user)
			ok = 0;
	}
	free(cookie);
	resp->token_ok = ok;
	if (ok)
		return 1;
	{
		const char *dot = strrchr(req->path, '.');
		const char *slash = strrchr(req->path, '/');
		int has_ext = dot && (!slash || dot > slash) &&
		    strcmp(dot, ".html") != 0;

		/* A wrong API key, /graphql and files get a bare 401. */
		if ((key && *key) || strcmp(req->path, "/graphql") == 0 ||
		    has_ext) {
			fake_resp_set(resp, 401, NULL, NULL);
			fake_resp_header(resp, "WWW-Authenticate", "FormBased");
			return 0;
		}
	}
	{
		/* Pages without credentials are redirected to the login. */
		struct s2p_buf b;
		char *loc, *html;
		const char *p;

		s2p_buf_init(&b, 0);
		bputs(&b, "/login?returnURL=");
		for (p = req->path; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
			    c == '~')
				bput(&b, p, 1);
			else
				hexbyte(&b, c);
		}
		if (req->query[0]) {
			bputs(&b, "%3F");
			for (p = req->query; *p; p++) {
				unsigned char c = (unsigned char)*p;

				if (isalnum(c) || c == '-' || c == '_' ||
				    c == '.' || c == '~')
					bput(&b, p, 1);
				else
					hexbyte(&b, c);
			}
		}
		loc = s2p_buf_take(&b);
		html = s2p_xasprintf("<a href=\"%s\">Found</a>.\n\n", loc);
		fake_resp_set(resp, 302, "text/html; charset=utf-8", html);
		fake_resp_header(resp, "Location", loc);
		free(html);
		free(loc);
		s2p_buf_free(&b);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* HTTP: /graphql                                                      */

static void
gql_reply(struct fake_resp *resp, int status, json_t *body)
{
	fake_resp_json(resp, status, body);
}

/* {"errors": errs, "data": null} (takes errs). */
static json_t *
error_body(json_t *errs)
{
	json_t *b = json_object();

	json_object_set_new(b, "errors", errs);
	json_object_set_new(b, "data", json_null());
	return b;
}

static int
is_json_media(const char *ctype)
{
	size_t n;

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ')
		ctype++;
	n = strcspn(ctype, "; \t");
	return n == 16 && strncasecmp(ctype, "application/json", 16) == 0;
}

/* /graphql with gqlgen's transports and status codes:
 * 400 transport/body, 422 parse/validation, 406 GET mutation, 200 else. */
static void
handle_graphql(struct fake_stash *st, const struct fake_req *req,
    struct fake_resp *resp)
{
	const char *query = NULL, *opname = NULL;
	json_t *body = NULL, *variables = NULL, *errs = NULL, *vars = NULL;
	struct fake_gql_doc *doc = NULL;
	const struct fake_gql_op *op;
	int is_get = strcmp(req->method, "GET") == 0;
	json_error_t je;

	if (strcmp(req->method, "OPTIONS") == 0) {
		fake_resp_set(resp, 200, NULL, NULL);
		fake_resp_header(resp, "Allow", "OPTIONS, GET, POST");
		return;
	}
	if (is_get) {
		const char *v = fake_req_arg(req, "variables");

		query = fake_req_arg(req, "query");
		opname = fake_req_arg(req, "operationName");
		if (v && *v) {
			variables = json_loads(v, JSON_DECODE_ANY, &je);
			if (variables == NULL ||
			    !(json_is_object(variables) ||
				json_is_null(variables))) {
				gql_reply(resp, 400,
				    error_body(fake_gql_error(
					"variables could not be decoded")));
				goto out;
			}
		}
	} else if (strcmp(req->method, "POST") == 0 &&
	    is_json_media(fake_req_header(req, "Content-Type"))) {
		json_t *q, *o;

		/* Go's json.Decoder: the first value counts, trailing data
		 * is ignored. */
		body = json_loadb(req->body, req->body_len,
		    JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
		if (body == NULL ||
		    !(json_is_object(body) || json_is_null(body))) {
			char *m = s2p_xasprintf("json request body could not "
						"be decoded: %s body:%.*s",
			    body ? "json: cannot "
				   "unmarshal into Go value of type "
				   "graphql.RawParams"
				 : je.text,
			    (int)(req->body_len > 200 ? 200 : req->body_len),
			    req->body);

			gql_reply(resp, 400, error_body(fake_gql_error(m)));
			free(m);
			goto out;
		}
		q = json_object_get(body, "query");
		o = json_object_get(body, "operationName");
		variables = json_incref(json_object_get(body, "variables"));
		if ((q && !json_is_string(q) && !json_is_null(q)) ||
		    (o && !json_is_string(o) && !json_is_null(o)) ||
		    (variables && !json_is_object(variables) &&
			!json_is_null(variables))) {
			gql_reply(resp, 400,
			    error_body(fake_gql_error(
				"json request body could not be decoded: json: "
				"cannot unmarshal into Go struct field of type "
				"graphql.RawParams")));
			goto out;
		}
		query = json_string_value(q);
		opname = json_string_value(o);
	} else {
		gql_reply(resp, 400,
		    error_body(fake_gql_error("transport not supported")));
		goto out;
	}
	doc = fake_gql_parse(query ? query : "", &errs);
	if (doc == NULL) {
		gql_reply(resp, 422, error_body(errs));
		goto out;
	}
	op = fake_gql_prepare(doc, &schema, opname, variables, &vars, &errs);
	if (op == NULL) {
		gql_reply(resp, 422, error_body(errs));
		goto out;
	}
	if (is_get && strcmp(fake_gql_op_kind(op), "query") != 0) {
		gql_reply(resp, 406,
		    error_body(fake_gql_error(
			"GET requests only allow query operations")));
		goto out;
	}
	st->req_dblocked = 0;
	if (st->dblocked != 0) {
		st->req_dblocked = 1;
		if (st->dblocked > 0)
			st->dblocked--;
	}
	gql_reply(resp, 200, fake_gql_execute(&schema, op, vars, resolve, st));
out:
	st->req_dblocked = 0;
	json_decref(vars);
	json_decref(variables);
	json_decref(body);
	fake_gql_doc_free(doc);
}

/* ------------------------------------------------------------------ */
/* HTTP: images                                                        */

/* Deterministic JPEG-framed bytes for a scene's current cover. */
static void
cover_bytes(const struct scene *sc, struct s2p_buf *b)
{
	static const unsigned char soi_app0[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00,
	    0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x00, 0x00};
	static const unsigned char eoi[] = {0xFF, 0xD9};
	char text[96];
	unsigned char com[4];
	unsigned long long x = (unsigned long long)sc->id * 1000003ULL +
	    (unsigned long long)sc->cover_version;
	int n, i;

	n = snprintf(text, sizeof(text), "fake-stash scene %ld cover %ld ",
	    sc->id, sc->cover_version);
	if (sc->cover_format == 1) { /* PNG signature, then text */
		bput(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
		bput(b, text, (size_t)n);
		return;
	}
	if (sc->cover_format == 2) { /* RIFF....WEBPVP8 */
		unsigned char sz[4];
		unsigned long l = (unsigned long)n + 8;

		sz[0] = (unsigned char)(l & 0xFF);
		sz[1] = (unsigned char)((l >> 8) & 0xFF);
		sz[2] = sz[3] = 0;
		bput(b, "RIFF", 4);
		bput(b, sz, 4);
		bput(b, "WEBPVP8 ", 8);
		bput(b, text, (size_t)n);
		return;
	}
	if (sc->cover_format == 3) {
		bput(b, "GIF89a\x01\0\x01\0\0\0\0", 13);
		bput(b, text, (size_t)n);
		return;
	}
	bput(b, soi_app0, sizeof(soi_app0));
	com[0] = 0xFF;
	com[1] = 0xFE;
	com[2] = (unsigned char)((n + 2 + 64) >> 8);
	com[3] = (unsigned char)((n + 2 + 64) & 0xFF);
	bput(b, com, sizeof(com));
	bput(b, text, (size_t)n);
	for (i = 0; i < 64; i++) {
		unsigned char c;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c = (unsigned char)(x & 0x7F);
		bput(b, &c, 1);
	}
	bput(b, eoi, sizeof(eoi));
}

static const char *const cover_types[] = {"image/jpeg", "image/png",
    "image/webp", "image/gif"};

/* GET /scene/{id}/screenshot: the current cover bytes. */
static void
handle_screenshot(struct fake_stash *st, const struct fake_req *req, long id,
    struct fake_resp *resp)
{
	struct scene *sc = scene_by_id(st, id);
	struct s2p_buf b;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		fake_resp_set(resp, 405, "text/plain; charset=utf-8",
		    "Method Not Allowed\n");
		return;
	}
	if (sc == NULL) {
		fake_resp_set(resp, 404, "text/plain; charset=utf-8",
		    "Not Found\n");
		return;
	}
	s2p_buf_init(&b, 0);
	cover_bytes(sc, &b);
	fake_resp_set(resp, 200, cover_types[sc->cover_format], NULL);
	fake_resp_body(resp, b.data, b.len);
	fake_resp_header(resp, "Cache-Control", "max-age=604800000");
	s2p_buf_free(&b);
}

/* Parse "/scene/<digits>/<rest>"; returns rest or NULL. */
static const char *
scene_route(const char *path, long *id)
{
	const char *p = path + 7, *end;
	char *e;

	if (strncmp(path, "/scene/", 7) != 0 || !isdigit((unsigned char)*p))
		return NULL;
	end = strchr(p, '/');
	if (end == NULL)
		return NULL;
	*id = strtol(p, &e, 10);
	if (e != end)
		return NULL;
	return end + 1;
}

/* The service handler (model mutex held by fakehttp). */
static void
handle(const struct fake_req *req, struct fake_resp *resp, void *payload)
{
	struct fake_stash *st = payload;
	const char *rest;
	long id;

	st->req = req;
	st->request_serial++;
	if (!authenticate(st, req, resp))
		goto out;
	if (strcmp(req->path, "/graphql") == 0) {
		handle_graphql(st, req, resp);
	} else if ((rest = scene_route(req->path, &id)) &&
	    strcmp(rest, "screenshot") == 0) {
		handle_screenshot(st, req, id, resp);
	} else {
		fake_resp_set(resp, 404, "text/plain; charset=utf-8",
		    "404 page not found\n");
	}
out:
	st->req = NULL;
}

/* Bodies for injected faults: 401 as Stash sends it, a 200 on /graphql
 * as "database is locked", anything else as a proxy's plain text. */
static void
handle_error(int status, const struct fake_req *req, struct fake_resp *resp,
    void *payload)
{
	struct fake_stash *st = payload;

	if (status == 401) {
		fake_resp_set(resp, 401, NULL, NULL);
		fake_resp_header(resp, "WWW-Authenticate", "FormBased");
	} else if (status == 200 && strcmp(req->path, "/graphql") == 0) {
		fake_resp_json(resp, 200,
		    error_body(fake_gql_error(st->dblock_msg)));
	} else {
		char *b = s2p_xasprintf("%d fake-stash fault\n", status);

		fake_resp_set(resp, status, "text/plain; charset=utf-8", b);
		free(b);
	}
}

/* ------------------------------------------------------------------ */
/* Control endpoints                                                   */

/* A scene as the control port shows it (new reference). */
static json_t *
scene_state(const struct scene *sc)
{
	json_t *j = json_object(), *files = json_array(), *urls = json_array();
	size_t i;

	json_object_set_new(j, "id", json_sprintf("%ld", sc->id));
	json_object_set_new(j, "title", jstr_or_null(sc->title));
	json_object_set_new(j, "code", jstr_or_null(sc->code));
	json_object_set_new(j, "details", jstr_or_null(sc->details));
	json_object_set_new(j, "director", jstr_or_null(sc->director));
	json_object_set_new(j, "date", jstr_or_null(sc->date));
	json_object_set_new(j, "studio",
	    sc->studio ? json_string(sc->studio->name) : json_null());
	json_object_set_new(j, "rating100",
	    sc->rating100 >= 0 ? json_integer(sc->rating100) : json_null());
	json_object_set_new(j, "organized", json_boolean(sc->organized));
	json_object_set_new(j, "performers", names_json(sc->perf, sc->nperf));
	json_object_set_new(j, "tags", names_json(sc->tags, sc->ntags));
	for (i = 0; i < sc->urls.n; i++)
		json_array_append_new(urls, json_string(sc->urls.v[i]));
	json_object_set_new(j, "urls", urls);
	for (i = 0; i < sc->nfiles; i++)
		json_array_append_new(files, json_string(sc->files[i].path));
	json_object_set_new(j, "files", files);
	json_object_set_new(j, "updated_at", json_string(sc->updated_at));
	json_object_set_new(j, "created_at", json_string(sc->created_at));
	json_object_set_new(j, "cover_version",
	    json_integer(sc->cover_version));
	return j;
}

static json_t *
ents_state(const struct entset *es)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < es->n; i++)
		json_array_append_new(a,
		    json_pack("{s:o,s:s}", "id",
			json_sprintf("%ld", es->v[i]->id), "name",
			es->v[i]->name));
	return a;
}

/* GET /state: the whole model (new reference). */
static json_t *
state(void *payload)
{
	struct fake_stash *st = payload;
	json_t *j = json_object(), *scenes = json_array(), *set;
	size_t i;

	for (i = 0; i < st->nscenes; i++)
		json_array_append_new(scenes, scene_state(st->scenes[i]));
	json_object_set_new(j, "scenes", scenes);
	json_object_set_new(j, "performers", ents_state(&st->performers));
	json_object_set_new(j, "studios", ents_state(&st->studios));
	json_object_set_new(j, "tags", ents_state(&st->tags));
	set = json_object_get(st->plugins, st->plugin_id);
	json_object_set_new(j, "plugin_id", json_string(st->plugin_id));
	json_object_set_new(j, "settings",
	    set ? json_deep_copy(set) : json_object());
	json_object_set_new(j, "plugins", json_deep_copy(st->plugins));
	json_object_set_new(j, "auth",
	    json_pack("{s:b,s:b,s:I,s:I}", "require_auth", st->require_auth,
		"api_key_set", st->api_key != NULL, "cookies_valid",
		(json_int_t)st->cookies.n, "cookies_issued",
		(json_int_t)st->cookie_serial));
	json_object_set_new(j, "dblocked", json_integer(st->dblocked));
	json_object_set_new(j, "clock", json_real(now_epoch(st)));
	return j;
}

static void
ctl_error(struct fake_resp *resp, int status, const char *msg)
{
	fake_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

/* Replace an entity list from a JSON array of names. */
static int
set_names(struct entset *es, json_t *v, struct ent ***list, size_t *n)
{
	size_t i;
	json_t *it;

	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i,
	    it) if (!json_is_string(it) || !*json_string_value(it)) return -1;
	free(*list);
	*list = NULL;
	*n = 0;
	json_array_foreach(v, i, it)
	    entlist_add(list, n, ent_intern(es, json_string_value(it)));
	return 0;
}

static const char *const patch_keys[] = {"title", "details", "code", "director",
    "date", "rating100", "organized", "studio", "performers", "tags", "urls",
    "files", "cover", "cover_format", "bump", NULL};

/* Apply a control patch to sc. Returns NULL or an error message. */
static const char *
apply_patch(struct fake_stash *st, struct scene *sc, json_t *p)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(p))
		return "body must be a JSON object";
	json_object_foreach(p, k, v)
	{
		int known = 0;

		for (i = 0; patch_keys[i]; i++)
			if (strcmp(patch_keys[i], k) == 0)
				known = 1;
		if (!known)
			return "unknown key in scene patch";
	}
	json_object_foreach(p, k, v)
	{
		if (strcmp(k, "title") == 0 || strcmp(k, "details") == 0 ||
		    strcmp(k, "code") == 0 || strcmp(k, "director") == 0 ||
		    strcmp(k, "date") == 0) {
			char **field = k[0] == 't'       ? &sc->title
			    : k[0] == 'c'                ? &sc->code
			    : k[0] == 'd' && k[1] == 'e' ? &sc->details
			    : k[0] == 'd' && k[1] == 'i' ? &sc->director
							 : &sc->date;

			if (!json_is_string(v) && !json_is_null(v))
				return "string fields take a string or null";
			free(*field);
			*field = json_is_string(v) ? model_text(v) : NULL;
		} else if (strcmp(k, "rating100") == 0) {
			if (json_is_null(v))
				sc->rating100 = -1;
			else if (json_is_integer(v) &&
			    json_integer_value(v) >= 1 &&
			    json_integer_value(v) <= 1000000)
				/* Stash's UI keeps 1..100, but its database
				 * and API store any positive number. */
				sc->rating100 = (int)json_integer_value(v);
			else
				return "rating100 takes a positive number or "
				       "null";
		} else if (strcmp(k, "organized") == 0) {
			if (!json_is_boolean(v))
				return "organized takes a boolean";
			sc->organized = json_is_true(v);
		} else if (strcmp(k, "studio") == 0) {
			if (json_is_null(v) ||
			    (json_is_string(v) && !*json_string_value(v)))
				sc->studio = NULL;
			else if (json_is_string(v))
				sc->studio = ent_intern(&st->studios,
				    json_string_value(v));
			else
				return "studio takes a name or null";
		} else if (strcmp(k, "performers") == 0) {
			if (set_names(&st->performers, v, &sc->perf,
				&sc->nperf) < 0)
				return "performers takes an array of names";
		} else if (strcmp(k, "tags") == 0) {
			if (set_names(&st->tags, v, &sc->tags, &sc->ntags) < 0)
				return "tags takes an array of names";
		} else if (strcmp(k, "urls") == 0) {
			json_t *it;

			if (!json_is_array(v))
				return "urls takes an array";
			s2p_strv_free(&sc->urls);
			json_array_foreach(v, i, it) if (json_is_string(it))
			    s2p_strv_push(&sc->urls, json_string_value(it));
		} else if (strcmp(k, "files") == 0) {
			json_t *it;

			if (!json_is_array(v))
				return "files takes an array";
			json_array_foreach(v, i, it) if (!json_is_string(it) &&
			    !(json_is_object(it) &&
				json_is_string(json_object_get(it,
				    "path")))) return "files takes paths or "
						      "{path, duration}";
			scene_clear_files(sc);
			json_array_foreach(v, i, it)
			{
				json_t *d = json_object_get(it, "duration");

				scene_add_file(st, sc,
				    json_is_string(it)
					? json_string_value(it)
					: json_string_value(
					      json_object_get(it, "path")),
				    json_is_number(d) ? json_number_value(d)
						      : 600.0);
			}
		} else if (strcmp(k, "cover") == 0) {
			if (json_is_true(v))
				sc->cover_version++;
		} else if (strcmp(k, "cover_format") == 0) {
			const char *f = json_string_value(v);
			int x;

			for (x = 0; x < 4 &&
			     (f == NULL || strcmp(cover_types[x] + 6, f) != 0);
			     x++)
				;
			if (x == 4)
				return "cover_format takes jpeg, png, webp or "
				       "gif";
			sc->cover_format = x;
			sc->cover_version++;
		}
	}
	if (!json_is_false(json_object_get(p, "bump")))
		stamp_now(st, &sc->updated_at);
	return NULL;
}

/* POST /rename {"kind","from","to"}: no scene's updated_at moves. */
static void
ctl_rename(struct fake_stash *st, json_t *b, struct fake_resp *resp)
{
	const char *kind = json_string_value(json_object_get(b, "kind"));
	const char *from = json_string_value(json_object_get(b, "from"));
	const char *to = json_string_value(json_object_get(b, "to"));
	struct entset *es;
	struct ent *e;

	if (!kind || !from || !to || !*to) {
		ctl_error(resp, 400, "need kind, from, to");
		return;
	}
	es = strcmp(kind, "performer") == 0 ? &st->performers
	    : strcmp(kind, "studio") == 0   ? &st->studios
	    : strcmp(kind, "tag") == 0      ? &st->tags
					    : NULL;
	if (es == NULL) {
		ctl_error(resp, 400, "kind must be performer, studio or tag");
		return;
	}
	e = ent_by_name(es, from);
	if (e == NULL) {
		ctl_error(resp, 404, "no such name");
		return;
	}
	if (strcmp(from, to) != 0 && ent_by_name(es, to)) {
		ctl_error(resp, 409, "name already exists");
		return;
	}
	free(e->name);
	e->name = s2p_xstrdup(to);
	fake_resp_json(resp, 200,
	    json_pack("{s:o,s:s}", "id", json_sprintf("%ld", e->id), "name",
		e->name));
}

/* fake-stash's own control endpoints (README.md); returns 1
 * when the route was handled. */
static int
control(const struct fake_req *req, struct fake_resp *resp, void *payload)
{
	struct fake_stash *st = payload;
	int post = strcmp(req->method, "POST") == 0;
	json_t *b = NULL;
	json_error_t je;
	const char *rest;
	long id;
	int handled = 1;

	if (req->body_len)
		b = json_loadb(req->body, req->body_len,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (req->body_len && b == NULL) {
		ctl_error(resp, 400, "body is not JSON");
		return 1;
	}
	if (post && strcmp(req->path, "/settings") == 0) {
		const char *plugin = fake_req_arg(req, "plugin");

		if (!json_is_object(b)) {
			ctl_error(resp, 400, "settings must be an object");
		} else {
			json_object_set(st->plugins,
			    plugin ? plugin : st->plugin_id, b);
			fake_resp_json(resp, 200, json_deep_copy(b));
		}
	} else if (post && strcmp(req->path, "/scene") == 0) {
		struct scene *sc = s2p_xcalloc(1, sizeof(*sc));
		const char *msg;

		sc->id = st->next_scene_id + 1;
		sc->rating100 = -1;
		sc->cover_version = 1;
		stamp_now(st, &sc->created_at);
		stamp_now(st, &sc->updated_at);
		if (b == NULL)
			b = json_object();
		msg = apply_patch(st, sc, b);
		if (msg) {
			scene_free(sc);
			ctl_error(resp, 400, msg);
		} else {
			scene_append(st, sc);
			fake_resp_json(resp, 200, scene_state(sc));
		}
	} else if ((rest = scene_route(req->path, &id)) == NULL &&
	    strncmp(req->path, "/scene/", 7) == 0) {
		char *e;
		struct scene *sc;
		size_t i;

		id = strtol(req->path + 7, &e, 10);
		sc = (*e == '\0') ? scene_by_id(st, id) : NULL;
		if (sc == NULL) {
			ctl_error(resp, 404, "no such scene");
		} else if (post) {
			const char *msg = apply_patch(st, sc, b);

			if (msg)
				ctl_error(resp, 400, msg);
			else
				fake_resp_json(resp, 200, scene_state(sc));
		} else if (strcmp(req->method, "DELETE") == 0) {
			for (i = 0; i < st->nscenes; i++)
				if (st->scenes[i] == sc)
					break;
			memmove(st->scenes + i, st->scenes + i + 1,
			    (st->nscenes - i - 1) * sizeof(*st->scenes));
			st->nscenes--;
			scene_free(sc);
			fake_resp_json(resp, 200, json_object());
		} else if (strcmp(req->method, "GET") == 0) {
			fake_resp_json(resp, 200, scene_state(sc));
		} else {
			ctl_error(resp, 405, "method not allowed");
		}
	} else if (strcmp(req->path, "/tasks") == 0 &&
	    strcmp(req->method, "GET") == 0) {
		fake_resp_json(resp, 200, json_deep_copy(st->tasks));
	} else if (post && strcmp(req->path, "/session") == 0) {
		/* What Stash does for every plugin run: a new session for the
		 * user, valid for max_session_age from now. */
		char *v = s2p_xasprintf("%s-p%ld",
		    st->cookie_base ? st->cookie_base : "session",
		    ++st->cookie_serial);

		cookie_issue(st, v);
		fake_resp_json(resp, 200, json_pack("{s:s}", "value", v));
	} else if (post && strcmp(req->path, "/external_host") == 0) {
		json_t *u = json_object_get(b, "url");

		free(st->external_host);
		st->external_host = json_is_string(u) && *json_string_value(u)
		    ? s2p_xstrdup(json_string_value(u))
		    : NULL;
		fake_resp_json(resp, 200,
		    json_pack("{s:s?}", "external_host", st->external_host));
	} else if (post && strcmp(req->path, "/rename") == 0) {
		ctl_rename(st, b, resp);
	} else if (post && strcmp(req->path, "/dblocked") == 0) {
		json_t *c = json_object_get(b, "count");
		json_t *m = json_object_get(b, "message");

		st->dblocked = json_is_integer(c) ? (long)json_integer_value(c)
						  : -1;
		if (json_is_string(m)) {
			free(st->dblock_msg);
			st->dblock_msg = s2p_xstrdup(json_string_value(m));
		}
		fake_resp_json(resp, 200,
		    json_pack("{s:I}", "dblocked", (json_int_t)st->dblocked));
	} else if (post && strcmp(req->path, "/clock") == 0) {
		json_t *e = json_object_get(b, "epoch");
		json_t *a = json_object_get(b, "advance");

		if (json_is_number(e))
			st->fixed_clock = json_number_value(e);
		if (json_is_number(a))
			st->fixed_clock = now_epoch(st) + json_number_value(a);
		fake_resp_json(resp, 200,
		    json_pack("{s:f}", "clock", now_epoch(st)));
	} else if (post && strcmp(req->path, "/auth") == 0) {
		const char *exp = json_string_value(
		    json_object_get(b, "expire"));
		json_t *k = json_object_get(b, "api_key");
		json_t *r = json_object_get(b, "require_auth");

		if (exp && strcmp(exp, "all") == 0) {
			s2p_strv_free(&st->cookies);
		} else if (exp && strcmp(exp, "old") == 0 && st->cookies.n) {
			char *keep = s2p_xstrdup(
			    st->cookies.v[st->cookies.n - 1]);
			double born = st->born[st->cookies.n - 1];

			s2p_strv_free(&st->cookies);
			s2p_strv_push_take(&st->cookies, keep);
			st->born[0] = born;
		}
		if (json_is_string(k) || json_is_null(k)) {
			free(st->api_key);
			st->api_key = json_is_string(k) && *json_string_value(k)
			    ? s2p_xstrdup(json_string_value(k))
			    : NULL;
		}
		if (json_is_boolean(r))
			st->require_auth = json_is_true(r);
		fake_resp_json(resp, 200,
		    json_pack("{s:I}", "cookies_valid",
			(json_int_t)st->cookies.n));
	} else {
		handled = 0;
	}
	json_decref(b);
	return handled;
}

void
fake_stash_set_server(struct fake_stash *st, struct fake_server *srv)
{
	st->srv = srv;
}

/* Wire st into a fakehttp server config (see header). */
void
fake_stash_server_config(struct fake_stash *st, struct fake_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "fake-stash";
	cfg->handler = handle;
	cfg->error = handle_error;
	cfg->state = state;
	cfg->control = control;
	cfg->payload = st;
	cfg->secret_args = secret_args;
	cfg->secret_headers = secret_headers;
	cfg->record_bodies = 1;
}
