/*
 * stash.h - the Stash GraphQL client. Every request carries the session
 * cookie (Stash's hook-loop detection depends on it) and the API key only when
 * one is configured; a refreshed Set-Cookie replaces the cookie for later
 * requests. Every document we send is listed by s2p_stash_documents() so a
 * test can validate it against Stash's real schema.
 */
#ifndef S2P_STASH_H
#define S2P_STASH_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"

struct s2p_stash;

struct s2p_stash_opts {
	const char *url;            /* "http://127.0.0.1:9999" */
	const char *session_cookie; /* value of the "session" cookie, or NULL */
	const char *api_key;        /* or NULL/"" */
	long timeout_ms;            /* default S2P_HTTP_TIMEOUT_MS */
};

int s2p_stash_new(struct s2p_stash **out, const struct s2p_stash_opts *opts,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_stash_free(struct s2p_stash *s);

/* POST /graphql {"operationName","query","variables"}. On success *data_out
 * is a new reference to the "data" object. Errors: transport codes as in
 * http.h; 401 S2P_EAUTH (message mentions the API key setting); 422 or a
 * non-empty "errors" array S2P_EPERM, except "database is locked" which is
 * S2P_ETEMP; 5xx S2P_EDOWN (an outage, like an unreachable Stash); a reply
 * that is not the expected JSON S2P_EPARSE. */
int s2p_stash_gql(struct s2p_stash *s, const char *operation, const char *query,
    json_t *variables, json_t **data_out, struct s2p_error *err) S2P_NODISCARD;

/* configuration { plugins(include: [id]) } -> the plugin's settings object
 * (a new reference; an empty object when the user never saved settings). */
int s2p_stash_plugin_settings(struct s2p_stash *s, const char *plugin_id,
    json_t **out, struct s2p_error *err) S2P_NODISCARD;

/* A scene as the sync needs it. Absent strings are NULL; rating100 is -1
 * when unset. files[0] is the primary file. */
struct s2p_scene {
	int64_t id;
	char *title;
	char *code;
	char *details;
	char *director;
	char *date;
	int rating100;
	int organized;
	char *studio;
	char *created_at;
	char *updated_at;
	char *screenshot; /* paths.screenshot URL */
	struct s2p_strv urls;
	struct s2p_strv files; /* files[].path */
	struct s2p_strv performers;
	struct s2p_strv tags;
	struct s2p_strv refs; /* "kind\tid\tname" of its studio, performers
			       * and tags (for rename detection) */
};

/* findScenes(ids: ids[0..n)), one request, n > 0: out[i] and status[i]
 * (caller's arrays of n) get scene ids[i]: status S2P_OK (out[i] filled),
 * S2P_ENOTFOUND (Stash has no such scene) or S2P_EPARSE (its data cannot
 * be read). Returns a failure of the request itself (then every out[i] is
 * empty). The caller frees each out[i] with s2p_scene_free. */
int s2p_stash_find_scenes(struct s2p_stash *s, const int64_t *ids, size_t n,
    struct s2p_scene *out, int *status, struct s2p_error *err) S2P_NODISCARD;
/* One scene: s2p_stash_find_scenes with a batch of one. S2P_ENOTFOUND when
 * Stash has no such scene. Caller frees out. */
int s2p_stash_find_scene(struct s2p_stash *s, int64_t id, struct s2p_scene *out,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_scene_free(struct s2p_scene *sc);

/* One page of scene ids sorted by id ascending (page from 1). With
 * updated_since (Stash local-time layout "YYYY-MM-DDTHH:MM:SS") only scenes
 * updated after it. *count_out gets the total. ids are appended to *ids
 * (realloc'd; *ids may start NULL, the caller frees it), nothing on error.
 * per_page -1 asks for everything. */
int s2p_stash_scene_ids(struct s2p_stash *s, const char *updated_since,
    int page, int per_page, int64_t **ids, size_t *nids, long *count_out,
    struct s2p_error *err) S2P_NODISCARD;
/* Ids of scenes that carry a performer / studio / tag with this id
 * (kind "performer", "studio", "tag"). */
int s2p_stash_scene_ids_by(struct s2p_stash *s, const char *kind,
    const char *object_id, int64_t **ids, size_t *nids,
    struct s2p_error *err) S2P_NODISCARD;

/* The current name of a performer / studio / tag (kind as above); *name is
 * new. S2P_ENOTFOUND when Stash has no such object. */
int s2p_stash_object_name(struct s2p_stash *s, const char *kind,
    const char *object_id, char **name, struct s2p_error *err) S2P_NODISCARD;

/* Ids of scenes (at most a few) with a file at exactly this path. */
int s2p_stash_scene_ids_by_path(struct s2p_stash *s, const char *path,
    int64_t **ids, size_t *nids, struct s2p_error *err) S2P_NODISCARD;

/* GET a Stash URL (e.g. a screenshot) with the same authentication, body
 * capped at max_bytes (0: 64 MiB). Stash builds such URLs from the request's
 * Host header or external_host, so only the path and query are used: they are
 * always fetched from the configured Stash URL (server_connection) and the
 * credentials never go to another host. A reverse proxy's path prefix from
 * external_host ("/stash/scene/12/...") is dropped: only the part from
 * Stash's own route ("/scene/12/...") is requested. A path starting with '/' is
 * accepted too. out is initialised here, never freed first (like every out
 * struct of this module: pass a fresh or freed one); the caller frees it. */
int s2p_stash_fetch(struct s2p_stash *s, const char *url, size_t max_bytes,
    struct s2p_buf *out, struct s2p_error *err) S2P_NODISCARD;

/* Send value (a fresh session handed to a later hook or task run) from now
 * on; NULL or "" sends none. */
void s2p_stash_set_cookie(struct s2p_stash *s, const char *value);
/* The latest session cookie value (refreshed from Set-Cookie), borrowed. */
const char *s2p_stash_cookie(const struct s2p_stash *s);
/* See s2p_http_set_io_hooks: around every request of this client (a worker
 * lane's own connection lets go of the run's lock while it waits). */
void s2p_stash_set_io_hooks(struct s2p_stash *s, void (*leave)(void *),
    void (*enter)(void *), void *arg);

struct s2p_gql_doc {
	const char *name;  /* operation name */
	const char *query; /* full document */
};
/* Every GraphQL document this client can send, terminated by {NULL, NULL}. */
const struct s2p_gql_doc *s2p_stash_documents(void);

#endif
