/*
 * stash.c - the Stash GraphQL client (see stash.h). Requests are POST
 * /graphql (Stash's one API endpoint) with a JSON body
 * built by jansson. The session cookie goes out on every request and is
 * replaced by any refreshed "session" Set-Cookie; the API key goes out only
 * when configured (a wrong key fails even where none is needed). Neither
 * ever reaches an error message. Replies are parsed defensively: GraphQL ids
 * are strings and must be whole numbers, and nulls are expected anywhere.
 * Every document sent is in the table returned by s2p_stash_documents(), so
 * tests/schema validates exactly what goes on the wire.
 */
#include "net/stash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "net/http.h"

#define ERR_TEXT_MAX 160

struct s2p_stash {
	struct s2p_http *http;
	char *url;     /* base URL without a trailing slash */
	char *gql_url; /* url + "/graphql" */
	char *cookie;  /* session cookie value, or NULL */
	char *api_key; /* NULL when not configured */
};

#define SCENE_FRAGMENT                                                         \
	"fragment SceneSync on Scene {\n"                                      \
	"  id\n"                                                               \
	"  title\n"                                                            \
	"  code\n"                                                             \
	"  details\n"                                                          \
	"  director\n"                                                         \
	"  date\n"                                                             \
	"  rating100\n"                                                        \
	"  organized\n"                                                        \
	"  urls\n"                                                             \
	"  created_at\n"                                                       \
	"  updated_at\n"                                                       \
	"  files { path }\n"                                                   \
	"  paths { screenshot }\n"                                             \
	"  studio { id name }\n"                                               \
	"  performers { id name }\n"                                           \
	"  tags { id name }\n"                                                 \
	"}\n"

static const char DOC_PLUGIN_SETTINGS[] =
    "query PluginSettings($ids: [ID!]) {\n"
    "  configuration {\n"
    "    plugins(include: $ids)\n"
    "  }\n"
    "}\n";

/* The one scene query: a batch of scenes by id (a hook's job is a batch of
 * one). per_page must be given: Stash pages an ids filter too (25). */
static const char DOC_FIND_SCENES[] =
    "query FindScenesByIds($ids: [ID!], $per_page: Int!) {\n"
    "  findScenes(\n"
    "    ids: $ids\n"
    "    filter: { per_page: $per_page, sort: \"id\", direction: ASC }\n"
    "  ) {\n"
    "    count\n"
    "    scenes {\n"
    "      ...SceneSync\n"
    "    }\n"
    "  }\n"
    "}\n"
    "\n" SCENE_FRAGMENT;

static const char DOC_SCENE_IDS[] =
    "query SceneIds($page: Int!, $per_page: Int!,"
    " $scene_filter: SceneFilterType) {\n"
    "  findScenes(\n"
    "    scene_filter: $scene_filter\n"
    "    filter: { page: $page, per_page: $per_page, sort: \"id\","
    " direction: ASC }\n"
    "  ) {\n"
    "    count\n"
    "    scenes { id }\n"
    "  }\n"
    "}\n";

#define DOC_IDS_BY(op, field)                                                  \
	"query " op "($id: ID!) {\n"                                           \
	"  findScenes(\n"                                                      \
	"    scene_filter: {\n"                                                \
	"      " field ": { value: [$id], modifier: INCLUDES }\n"              \
	"    }\n"                                                              \
	"    filter: { per_page: -1, sort: \"id\", direction: ASC }\n"         \
	"  ) {\n"                                                              \
	"    count\n"                                                          \
	"    scenes { id }\n"                                                  \
	"  }\n"                                                                \
	"}\n"

static const char DOC_IDS_BY_PERFORMER[] = DOC_IDS_BY("SceneIdsByPerformer",
    "performers");
static const char DOC_IDS_BY_STUDIO[] = DOC_IDS_BY("SceneIdsByStudio",
    "studios");
static const char DOC_IDS_BY_TAG[] = DOC_IDS_BY("SceneIdsByTag", "tags");

static const char DOC_IDS_BY_PATH[] =
    "query SceneIdsByPath($path: String!) {\n"
    "  findScenes(\n"
    "    scene_filter: { path: { value: $path, modifier: EQUALS } }\n"
    "    filter: { per_page: 5, sort: \"id\", direction: ASC }\n"
    "  ) {\n"
    "    count\n"
    "    scenes { id }\n"
    "  }\n"
    "}\n";

#define DOC_NAME_OF(op, field)                                                 \
	"query " op "($id: ID!) {\n"                                           \
	"  " field "(id: $id) {\n"                                             \
	"    name\n"                                                           \
	"  }\n"                                                                \
	"}\n"

static const char DOC_PERFORMER_NAME[] = DOC_NAME_OF("PerformerName",
    "findPerformer");
static const char DOC_STUDIO_NAME[] = DOC_NAME_OF("StudioName", "findStudio");
static const char DOC_TAG_NAME[] = DOC_NAME_OF("TagName", "findTag");

static const struct s2p_gql_doc DOCS[] = {
    {"PluginSettings", DOC_PLUGIN_SETTINGS},
    {"FindScenesByIds", DOC_FIND_SCENES},
    {"SceneIds", DOC_SCENE_IDS},
    {"SceneIdsByPerformer", DOC_IDS_BY_PERFORMER},
    {"SceneIdsByStudio", DOC_IDS_BY_STUDIO},
    {"SceneIdsByTag", DOC_IDS_BY_TAG},
    {"SceneIdsByPath", DOC_IDS_BY_PATH},
    {"PerformerName", DOC_PERFORMER_NAME},
    {"StudioName", DOC_STUDIO_NAME},
    {"TagName", DOC_TAG_NAME},
    {NULL, NULL},
};

const struct s2p_gql_doc *
s2p_stash_documents(void)
{
	return DOCS;
}

/* Is the URL's host a loopback name? Stash there often has a self-signed
 * certificate for another name, so TLS checks are skipped (Stash hands its
 * plugins such loopback addresses for itself). */
static int
is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	static const char *const names[] = {"127.", "localhost", "[::1]"};
	size_t i;

	if (h == NULL)
		return 0;
	h += 3;
	for (i = 0; i < S2P_ARRAY_LEN(names); i++) {
		size_t n = strlen(names[i]);

		if (strncmp(h, names[i], n) == 0 &&
		    (names[i][n - 1] == '.' || h[n] == '\0' || h[n] == ':' ||
			h[n] == '/'))
			return 1;
	}
	return 0;
}

int
s2p_stash_new(struct s2p_stash **out, const struct s2p_stash_opts *opts,
    struct s2p_error *err)
{
	struct s2p_stash *s;
	struct s2p_http_opts ho;
	const char *c;
	size_t n;
	int rc;

	*out = NULL;
	if (opts == NULL || opts->url == NULL || opts->url[0] == '\0')
		return s2p_error_set(err, S2P_EINVAL, "Stash URL is not set");
	memset(&ho, 0, sizeof(ho));
	ho.connect_timeout_ms = S2P_HTTP_CONNECT_TIMEOUT_MS;
	ho.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
					     : S2P_HTTP_TIMEOUT_MS;
	ho.insecure_tls = is_loopback(opts->url);

	s = s2p_xcalloc(1, sizeof(*s));
	rc = s2p_http_new(&s->http, &ho, err);
	if (rc != S2P_OK) {
		free(s);
		return rc;
	}
	s->url = s2p_xstrdup(opts->url);
	n = strlen(s->url);
	while (n > 0 && s->url[n - 1] == '/')
		s->url[--n] = '\0';
	s->gql_url = s2p_xasprintf("%s/graphql", s->url);
	c = opts->session_cookie;
	if (c != NULL && strncmp(c, "session=", 8) == 0)
		c += 8; /* tolerate "Name=Value" */
	if (c != NULL && c[0] != '\0')
		s->cookie = s2p_xstrdup(c);
	if (opts->api_key != NULL && opts->api_key[0] != '\0')
		s->api_key = s2p_xstrdup(opts->api_key);
	*out = s;
	return S2P_OK;
}

void
s2p_stash_free(struct s2p_stash *s)
{
	if (s == NULL)
		return;
	s2p_http_free(s->http);
	free(s->url);
	free(s->gql_url);
	free(s->cookie);
	free(s->api_key);
	free(s);
}

void
s2p_stash_set_cookie(struct s2p_stash *s, const char *value)
{
	free(s->cookie);
	s->cookie = value != NULL && *value != '\0' ? s2p_xstrdup(value) : NULL;
}

const char *
s2p_stash_cookie(const struct s2p_stash *s)
{
	return s->cookie;
}

void
s2p_stash_set_io_hooks(struct s2p_stash *s, void (*leave)(void *),
    void (*enter)(void *), void *arg)
{
	s2p_http_set_io_hooks(s->http, leave, enter, arg);
}

/* Perform one request with the authentication headers (plus ctype when not
 * NULL) and adopt a refreshed cookie. S2P_OK means some HTTP reply came. */
static int
stash_do(struct s2p_stash *s, const char *method, const char *url,
    const char *ctype, const char *body, size_t body_len, size_t max_body,
    struct s2p_http_resp *resp, struct s2p_error *err)
{
	const char *hdrs[5];
	struct s2p_http_req req;
	char *cookie = NULL, *key = NULL;
	size_t n = 0;
	int rc;

	hdrs[n++] = "Accept: application/json";
	if (ctype != NULL)
		hdrs[n++] = ctype;
	if (s->cookie != NULL) {
		cookie = s2p_xasprintf("Cookie: session=%s", s->cookie);
		hdrs[n++] = cookie;
	}
	if (s->api_key != NULL) {
		key = s2p_xasprintf("ApiKey: %s", s->api_key);
		hdrs[n++] = key;
	}
	hdrs[n] = NULL;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = body_len;
	req.max_body = max_body;
	rc = s2p_http_do(s->http, &req, resp, err);
	if (resp->session_cookie != NULL && resp->session_cookie[0] != '\0') {
		free(s->cookie);
		s->cookie = s2p_xstrdup(resp->session_cookie);
	}
	free(cookie);
	free(key);
	return rc;
}

/* Copy a server-provided message into dst: control characters become
 * spaces, length is bounded. */
static void
sanitise(char *dst, size_t dstlen, const char *src)
{
	size_t i = 0;

	for (; *src != '\0' && i + 1 < dstlen; src++)
		dst[i++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? ' '
									: *src;
	dst[i] = '\0';
}

/* The first errors[].message of a GraphQL reply, sanitised, or "" when
 * there is none. */
static void
first_error(char *dst, size_t dstlen, const json_t *root)
{
	const json_t *errs = json_object_get(root, "errors");
	const json_t *msg;

	dst[0] = '\0';
	if (!json_is_array(errs) || json_array_size(errs) == 0)
		return;
	msg = json_object_get(json_array_get(errs, 0), "message");
	if (json_is_string(msg))
		sanitise(dst, dstlen, json_string_value(msg));
	else
		snprintf(dst, dstlen, "unknown error");
}

static int
set_status_err(struct s2p_error *err, int code, long status,
    const struct s2p_http_resp *resp)
{
	if (err != NULL) {
		err->http_status = status;
		err->retry_after = resp->retry_after;
	}
	return code;
}

int
s2p_stash_gql(struct s2p_stash *s, const char *operation, const char *query,
    json_t *variables, json_t **data_out, struct s2p_error *err)
{
	struct s2p_http_resp resp;
	json_t *req = NULL, *root = NULL, *data;
	json_error_t je;
	char *body = NULL;
	char emsg[ERR_TEXT_MAX + 1];
	int rc;

	*data_out = NULL;
	memset(&resp, 0, sizeof(resp));
	/* "o" steals the reference, even when packing fails. */
	req = json_pack("{s:s, s:s, s:o}", "operationName", operation, "query",
	    query, "variables",
	    variables != NULL ? json_incref(variables) : json_object());
	if (req == NULL) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "Stash %s: cannot build the request", operation);
		goto out;
	}
	body = json_dumps(req, JSON_COMPACT);
	rc = stash_do(s, "POST", s->gql_url, "Content-Type: application/json",
	    body, strlen(body), 0, &resp, err);
	if (rc != S2P_OK)
		goto out;

	if (resp.status == 401 || resp.status == 403) {
		rc = s2p_error_set(err, S2P_EAUTH,
		    "Stash rejected the request to %s (HTTP %ld): check the "
		    "Stash API key setting (stash_api_key)",
		    operation, resp.status);
		rc = set_status_err(err, rc, resp.status, &resp);
		goto out;
	}
	/* Stash returns text as stored, NUL characters included (\u0000):
	 * one scene's odd title must not make the whole reply unreadable. */
	root = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
	    JSON_ALLOW_NUL, &je);
	if (resp.status == 422) {
		first_error(emsg, sizeof(emsg), root);
		rc = s2p_error_set(err, S2P_EPERM,
		    "Stash %s: query rejected by Stash (version mismatch?)%s%s",
		    operation, emsg[0] ? ": " : "", emsg);
		rc = set_status_err(err, rc, resp.status, &resp);
		goto out;
	}
	rc = s2p_http_status_code(resp.status);
	/* Stash (or its proxy) answering 5xx is down like an unreachable
	 * Stash: jobs wait for it, they do not use up attempts. */
	if (resp.status >= 500 && resp.status < 600)
		rc = S2P_EDOWN;
	if (rc != S2P_OK) {
		s2p_error_set(err, rc, "Stash %s: HTTP %ld", operation,
		    resp.status);
		rc = set_status_err(err, rc, resp.status, &resp);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash %s: reply is not a JSON object", operation);
		goto out;
	}
	first_error(emsg, sizeof(emsg), root);
	if (emsg[0] != '\0') {
		rc = strstr(emsg, "database is locked") != NULL ? S2P_ETEMP
								: S2P_EPERM;
		rc = s2p_error_set(err, rc, "Stash %s: %s", operation, emsg);
		goto out;
	}
	data = json_object_get(root, "data");
	if (!json_is_object(data)) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash %s: reply has no data", operation);
		goto out;
	}
	*data_out = json_incref(data);
out:
	json_decref(req);
	json_decref(root);
	free(body);
	s2p_http_resp_free(&resp);
	return rc;
}

int
s2p_stash_plugin_settings(struct s2p_stash *s, const char *plugin_id,
    json_t **out, struct s2p_error *err)
{
	json_t *vars, *data = NULL;
	const json_t *conf, *plugins, *mine;
	int rc;

	*out = NULL;
	vars = json_pack("{s:[s]}", "ids", plugin_id);
	rc = s2p_stash_gql(s, "PluginSettings", DOC_PLUGIN_SETTINGS, vars,
	    &data, err);
	if (rc != S2P_OK)
		goto out;
	conf = json_object_get(data, "configuration");
	if (!json_is_object(conf)) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash PluginSettings: no configuration in the reply");
		goto out;
	}
	plugins = json_object_get(conf, "plugins");
	mine = json_object_get(plugins, plugin_id);
	if (plugins != NULL && !json_is_null(plugins) &&
	    !json_is_object(plugins)) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash PluginSettings: plugins is not an object");
		goto out;
	}
	if (mine != NULL && !json_is_null(mine) && !json_is_object(mine)) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "the settings Stash holds "
		    "for plugin %s are %s, not an object of settings: save "
		    "them again in Settings > Plugins",
		    plugin_id,
		    json_is_array(mine)        ? "an array"
			: json_is_string(mine) ? "a string"
					       : "not an object");
		goto out;
	}
	if (json_is_object(mine))
		*out = json_incref((json_t *)mine);
	else
		*out = json_object();
out:
	json_decref(vars);
	json_decref(data);
	return rc;
}

/* A GraphQL ID (a string, or tolerated as an integer) as int64; only whole
 * non-negative numbers are accepted. */
static int
parse_id(const json_t *v, int64_t *out)
{
	long long n;

	if (!s2p_json_whole(v, &n) || n < 0 ||
	    (json_is_string(v) && json_string_value(v)[0] == '-'))
		return S2P_EPARSE;
	*out = (int64_t)n;
	return S2P_OK;
}

/* Append "kind\tid\tname" for an {id, name} object with both present. */
static void
collect_refs(struct s2p_strv *sv, const json_t *o, const char *kind)
{
	const json_t *id = json_object_get(o, "id");
	char *name, *ref;
	size_t kl, il, nl;

	if (!json_is_string(id) || !json_is_string(json_object_get(o, "name")))
		return;
	name = s2p_json_text(o, "name");
	/* "kind\tid\tname" (an id cut at a NUL, as %s would) */
	kl = strlen(kind);
	il = strlen(json_string_value(id));
	nl = strlen(name);
	ref = s2p_xmalloc(kl + il + nl + 3);
	memcpy(ref, kind, kl);
	ref[kl] = '\t';
	memcpy(ref + kl + 1, json_string_value(id), il);
	ref[kl + 1 + il] = '\t';
	memcpy(ref + kl + il + 2, name, nl + 1);
	s2p_strv_push_take(sv, ref);
	free(name);
}

void
s2p_scene_free(struct s2p_scene *sc)
{
	if (sc == NULL)
		return;
	free(sc->title);
	free(sc->code);
	free(sc->details);
	free(sc->director);
	free(sc->date);
	free(sc->studio);
	free(sc->created_at);
	free(sc->updated_at);
	free(sc->screenshot);
	s2p_strv_free(&sc->urls);
	s2p_strv_free(&sc->files);
	s2p_strv_free(&sc->performers);
	s2p_strv_free(&sc->tags);
	s2p_strv_free(&sc->refs);
	memset(sc, 0, sizeof(*sc));
	sc->rating100 = -1;
}

/* Fill out from a SceneSync object. S2P_EPARSE for a bad id. */
static int
parse_scene(struct s2p_scene *out, const json_t *o, struct s2p_error *err)
{
	const json_t *v;
	size_t i;

	if (parse_id(json_object_get(o, "id"), &out->id) != S2P_OK)
		return s2p_error_set(err, S2P_EPARSE,
		    "Stash FindScene: scene id is not a number");
	out->title = s2p_json_text(o, "title");
	out->code = s2p_json_text(o, "code");
	out->details = s2p_json_text(o, "details");
	out->director = s2p_json_text(o, "director");
	out->date = s2p_json_text(o, "date");
	v = json_object_get(o, "rating100");
	out->rating100 = json_is_integer(v) ? (int)json_integer_value(v) : -1;
	v = json_object_get(o, "organized");
	out->organized = json_is_true(v) ? 1 : 0;
	out->studio = s2p_json_text(json_object_get(o, "studio"), "name");
	out->created_at = s2p_json_text(o, "created_at");
	out->updated_at = s2p_json_text(o, "updated_at");
	out->screenshot = s2p_json_text(json_object_get(o, "paths"),
	    "screenshot");
	s2p_json_collect(&out->urls, o, "urls", NULL);
	s2p_json_collect(&out->files, o, "files", "path");
	s2p_json_collect(&out->performers, o, "performers", "name");
	s2p_json_collect(&out->tags, o, "tags", "name");
	collect_refs(&out->refs, json_object_get(o, "studio"), "studio");
	json_array_foreach(json_object_get(o, "performers"), i, v)
	    collect_refs(&out->refs, v, "performer");
	json_array_foreach(json_object_get(o, "tags"), i, v)
	    collect_refs(&out->refs, v, "tag");
	return S2P_OK;
}

/* Index of id in the sorted pairs idx[0..n) (id, position), or -1. */
static long
pair_find(const int64_t (*idx)[2], size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx[mid][0] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && idx[lo][0] == id ? (long)lo : -1;
}

static int
pair_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Place each scene of the reply at the positions of its id in ids. A scene
 * whose data cannot be read marks its positions S2P_EPARSE; an element
 * without a readable id fails the whole reply (S2P_EPARSE): it cannot be
 * told which scene it was. */
static int
place_scenes(const json_t *scenes, const int64_t *ids, size_t n,
    struct s2p_scene *out, int *status, struct s2p_error *err)
{
	int64_t(*idx)[2] = s2p_xreallocarray(NULL, n, sizeof(*idx));
	const json_t *o;
	size_t i;
	int rc = S2P_OK;

	for (i = 0; i < n; i++) {
		idx[i][0] = ids[i];
		idx[i][1] = (int64_t)i;
	}
	qsort(idx, n, sizeof(*idx), pair_cmp);
	json_array_foreach(scenes, i, o)
	{
		int64_t id;
		long k;

		if (!json_is_object(o) ||
		    parse_id(json_object_get(o, "id"), &id) != S2P_OK) {
			rc = s2p_error_set(err, S2P_EPARSE,
			    "Stash FindScenesByIds: scene id is not a number");
			break;
		}
		k = pair_find((const int64_t(*)[2])idx, n, id);
		for (; k >= 0 && (size_t)k < n && idx[k][0] == id; k++) {
			size_t at = (size_t)idx[k][1];

			if (status[at] != S2P_ENOTFOUND)
				continue; /* listed twice */
			status[at] = parse_scene(&out[at], o, NULL);
		}
	}
	free(idx);
	return rc;
}

int
s2p_stash_find_scenes(struct s2p_stash *s, const int64_t *ids, size_t n,
    struct s2p_scene *out, int *status, struct s2p_error *err)
{
	json_t *vars, *list, *data = NULL;
	const json_t *fs, *scenes;
	size_t i;
	int rc;

	s2p_assert(n > 0);
	list = json_array();
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].rating100 = -1;
		status[i] = S2P_ENOTFOUND;
		json_array_append_new(list,
		    json_sprintf("%lld", (long long)ids[i]));
	}
	vars = json_pack("{s:o, s:i}", "ids", list, "per_page", (int)n);
	rc = s2p_stash_gql(s, "FindScenesByIds", DOC_FIND_SCENES, vars, &data,
	    err);
	if (rc != S2P_OK)
		goto out;
	fs = json_object_get(data, "findScenes");
	scenes = json_object_get(fs, "scenes");
	if (!json_is_object(fs) || !json_is_array(scenes)) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash FindScenesByIds: reply has no findScenes.scenes");
		goto out;
	}
	rc = place_scenes(scenes, ids, n, out, status, err);
out:
	if (rc != S2P_OK)
		for (i = 0; i < n; i++)
			s2p_scene_free(&out[i]);
	json_decref(vars);
	json_decref(data);
	return rc;
}

int
s2p_stash_find_scene(struct s2p_stash *s, int64_t id, struct s2p_scene *out,
    struct s2p_error *err)
{
	int st = S2P_ENOTFOUND;
	int rc = s2p_stash_find_scenes(s, &id, 1, out, &st, err);

	if (rc != S2P_OK)
		return rc;
	if (st == S2P_ENOTFOUND)
		return s2p_error_set(err, S2P_ENOTFOUND,
		    "Stash scene %lld not found", (long long)id);
	if (st != S2P_OK) {
		s2p_scene_free(out);
		return s2p_error_set(err, st,
		    "Stash FindScenesByIds: scene %lld cannot be read",
		    (long long)id);
	}
	return S2P_OK;
}

/* Append data.findScenes.scenes[].id to *ids (nothing on error) and store
 * findScenes.count in *count_out when not NULL. */
static int
parse_ids(const json_t *data, const char *op, int64_t **ids, size_t *nids,
    long *count_out, struct s2p_error *err)
{
	const json_t *fs = json_object_get(data, "findScenes");
	const json_t *scenes = json_object_get(fs, "scenes");
	const json_t *e;
	size_t i, n, start = *nids;

	if (!json_is_object(fs) || !json_is_array(scenes))
		return s2p_error_set(err, S2P_EPARSE,
		    "Stash %s: reply has no findScenes.scenes", op);
	n = json_array_size(scenes);
	*ids = s2p_xreallocarray(*ids, *nids + n + 1, sizeof(**ids));
	json_array_foreach(scenes, i, e)
	{
		int64_t id;

		if (parse_id(json_object_get(e, "id"), &id) != S2P_OK) {
			*nids = start; /* all or nothing */
			return s2p_error_set(err, S2P_EPARSE,
			    "Stash %s: scene id is not a number", op);
		}
		(*ids)[(*nids)++] = id;
	}
	if (count_out != NULL)
		*count_out = json_is_integer(json_object_get(fs, "count"))
		    ? (long)json_integer_value(json_object_get(fs, "count"))
		    : (long)n;
	return S2P_OK;
}

int
s2p_stash_scene_ids(struct s2p_stash *s, const char *updated_since, int page,
    int per_page, int64_t **ids, size_t *nids, long *count_out,
    struct s2p_error *err)
{
	json_t *vars, *data = NULL;
	int rc;

	vars = json_pack("{s:i, s:i}", "page", page < 1 ? 1 : page, "per_page",
	    per_page);
	if (updated_since != NULL && updated_since[0] != '\0')
		json_object_set_new(vars, "scene_filter",
		    json_pack("{s:{s:s, s:s}}", "updated_at", "value",
			updated_since, "modifier", "GREATER_THAN"));
	rc = s2p_stash_gql(s, "SceneIds", DOC_SCENE_IDS, vars, &data, err);
	if (rc != S2P_OK)
		goto out;
	rc = parse_ids(data, "SceneIds", ids, nids, count_out, err);
out:
	json_decref(vars);
	json_decref(data);
	return rc;
}

int
s2p_stash_scene_ids_by(struct s2p_stash *s, const char *kind,
    const char *object_id, int64_t **ids, size_t *nids, struct s2p_error *err)
{
	json_t *vars = NULL, *data = NULL;
	const char *op, *doc;
	int rc;

	if (kind != NULL && strcmp(kind, "performer") == 0) {
		op = "SceneIdsByPerformer";
		doc = DOC_IDS_BY_PERFORMER;
	} else if (kind != NULL && strcmp(kind, "studio") == 0) {
		op = "SceneIdsByStudio";
		doc = DOC_IDS_BY_STUDIO;
	} else if (kind != NULL && strcmp(kind, "tag") == 0) {
		op = "SceneIdsByTag";
		doc = DOC_IDS_BY_TAG;
	} else {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "unknown Stash object kind \"%.32s\"", kind ? kind : "");
		goto out;
	}
	if (object_id == NULL || object_id[0] == '\0') {
		rc = s2p_error_set(err, S2P_EINVAL, "empty Stash %s id", kind);
		goto out;
	}
	vars = json_pack("{s:s}", "id", object_id);
	rc = s2p_stash_gql(s, op, doc, vars, &data, err);
	if (rc != S2P_OK)
		goto out;
	rc = parse_ids(data, op, ids, nids, NULL, err);
out:
	json_decref(vars);
	json_decref(data);
	return rc;
}

int
s2p_stash_scene_ids_by_path(struct s2p_stash *s, const char *path,
    int64_t **ids, size_t *nids, struct s2p_error *err)
{
	json_t *vars = json_pack("{s:s}", "path", path ? path : ""),
	       *data = NULL;
	int rc;

	rc = s2p_stash_gql(s, "SceneIdsByPath", DOC_IDS_BY_PATH, vars, &data,
	    err);
	if (rc == S2P_OK)
		rc = parse_ids(data, "SceneIdsByPath", ids, nids, NULL, err);
	json_decref(vars);
	json_decref(data);
	return rc;
}

/* The part of url after scheme://host[:port] ("" for none), or NULL when
 * url is not absolute. */
static const char *
url_path(const char *url)
{
	const char *h = strstr(url, "://");

	if (h == NULL)
		return NULL;
	h += 3;
	h += strcspn(h, "/?#");
	return h;
}

/* The part of a URL path Stash itself serves. Stash builds image URLs
 * from external_host when one is set, and that may carry a reverse proxy's
 * prefix ("/stash/scene/12/screenshot"); Stash's own routes start at
 * "/<object>/<id>/", so everything before the first such segment is
 * dropped. A path without one is returned as it is. */
static const char *
stash_route(const char *path)
{
	static const char *const roots[] = {"/scene/", "/image/", "/performer/",
	    "/studio/", "/tag/", "/group/", "/movie/", "/gallery/"};
	const char *p, *end = path + strcspn(path, "?#");
	size_t i;

	for (p = path; p < end; p = p + 1 + strcspn(p + 1, "/?#")) {
		if (*p != '/')
			break;
		for (i = 0; i < S2P_ARRAY_LEN(roots); i++) {
			size_t n = strlen(roots[i]);

			if (strncmp(p, roots[i], n) == 0 && p[n] >= '0' &&
			    p[n] <= '9')
				return p;
		}
	}
	return path;
}

int
s2p_stash_fetch(struct s2p_stash *s, const char *url, size_t max_bytes,
    struct s2p_buf *out, struct s2p_error *err)
{
	struct s2p_http_resp resp;
	const char *path;
	char *target = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	s2p_buf_init(out, 0);
	path = url == NULL ? NULL : url[0] == '/' ? url : url_path(url);
	if (path == NULL) {
		rc = s2p_error_set(err, S2P_EINVAL, "not an absolute URL");
		goto out;
	}
	path = stash_route(path);
	if (*path != '/' && *path != '\0') {
		rc = s2p_error_set(err, S2P_EINVAL, "not a Stash path");
		goto out;
	}
	/* Stash builds these URLs from the Host header or external_host;
	 * always ask the configured server so credentials stay with it. */
	target = s2p_xasprintf("%s%s", s->url, path);
	rc = stash_do(s, "GET", target, NULL, NULL, 0, max_bytes, &resp, err);
	if (rc != S2P_OK)
		goto out;
	rc = s2p_http_status_code(resp.status);
	if (rc != S2P_OK) {
		s2p_error_set(err, rc, "Stash GET %.160s: HTTP %ld", path,
		    resp.status);
		set_status_err(err, rc, resp.status, &resp);
		goto out;
	}
	*out = resp.body;
	s2p_buf_init(&resp.body, 0);
out:
	s2p_http_resp_free(&resp);
	free(target);
	return rc;
}

int
s2p_stash_object_name(struct s2p_stash *s, const char *kind,
    const char *object_id, char **name, struct s2p_error *err)
{
	json_t *vars = NULL, *data = NULL;
	const json_t *obj, *v;
	const char *op, *doc, *field;
	int rc;

	*name = NULL;
	if (kind != NULL && strcmp(kind, "performer") == 0) {
		op = "PerformerName";
		doc = DOC_PERFORMER_NAME;
		field = "findPerformer";
	} else if (kind != NULL && strcmp(kind, "studio") == 0) {
		op = "StudioName";
		doc = DOC_STUDIO_NAME;
		field = "findStudio";
	} else if (kind != NULL && strcmp(kind, "tag") == 0) {
		op = "TagName";
		doc = DOC_TAG_NAME;
		field = "findTag";
	} else {
		return s2p_error_set(err, S2P_EINVAL,
		    "unknown Stash object kind \"%.32s\"", kind ? kind : "");
	}
	vars = json_pack("{s:s}", "id", object_id ? object_id : "");
	rc = s2p_stash_gql(s, op, doc, vars, &data, err);
	if (rc != S2P_OK)
		goto out;
	obj = json_object_get(data, field);
	v = json_object_get(obj, "name");
	if (obj == NULL || json_is_null(obj))
		rc = s2p_error_set(err, S2P_ENOTFOUND, "Stash has no %s %.32s",
		    kind, object_id);
	else if (!json_is_string(v))
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Stash %s: name is not a "
		    "string",
		    op);
	else
		*name = s2p_json_value_text(v);
out:
	json_decref(vars);
	json_decref(data);
	return rc;
}
