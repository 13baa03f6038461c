/*
 * input.h - the raw plugin protocol's input: the one JSON document Stash
 * writes to stdin (server_connection + args), read to EOF under a cap and
 * parsed defensively. Nothing here touches the network.
 */
#ifndef S2P_INPUT_H
#define S2P_INPUT_H

#include <jansson.h>
#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"

/* Largest stdin document accepted (hook inputs may carry a base64 cover). */
#define S2P_STDIN_MAX (64u * 1024 * 1024)

struct s2p_input {
	/* server_connection */
	char *stash_url; /* "<Scheme>://<host>:<Port>", 0.0.0.0 -> 127.0.0.1 */
	char *session_cookie; /* SessionCookie.Value, or NULL */
	char *stash_dir;      /* Dir */
	char *plugin_dir;     /* PluginDir */
	/* args */
	char *mode;   /* args.mode, or NULL */
	json_t *args; /* the whole args object (new reference; an
		       * empty object when args is absent or null) */
	/* args.hookContext, when present */
	int is_hook;
	char *hook_type;     /* "Scene.Update.Post", ... */
	int64_t hook_id;     /* hookContext.id (0 when absent) */
	json_t *hook_input;  /* borrowed from args; may be NULL or json null */
	json_t *hook_fields; /* borrowed: inputFields array, or NULL */
};

/* Parse a document. Errors: S2P_EPARSE (empty, not JSON, not an object,
 * no server_connection, wrong types, Port outside 1-65535, unusable Host) with
 * a message fit for
 * {"error": ...} that never quotes the cookie or raw input. Host wildcards
 * map to loopback ("", 0.0.0.0 -> 127.0.0.1; :: -> [::1]); IPv6 literals get
 * brackets. Port and hookContext.id may also be numeric strings. On success
 * the caller frees out; on error out is left empty (freeing it is a no-op). */
int s2p_input_parse(struct s2p_input *out, const char *json, size_t len,
    struct s2p_error *err) S2P_NODISCARD;
/* Read fd to EOF (capped at S2P_STDIN_MAX) and parse it. */
int s2p_input_read(struct s2p_input *out, int fd,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_input_free(struct s2p_input *in);

/* 1 when the hook's inputFields (or, lacking them, the input object's
 * non-null keys) include a field that we sync: title, code, details,
 * director, date, rating100, studio_id, performer_ids, tag_ids, cover_image,
 * urls, url, files, primary_file_id ("id" and "clientMutationId" are
 * ignored; organized, groups/movies, play counts, stash_ids are not synced).
 * For a scenesUpdate array input the element whose id is hook_id is used.
 * 0 when not a hook or input is null/absent (scan updates, Create, Destroy):
 * the caller decides those by hook_type. */
int s2p_input_touches_synced_field(const struct s2p_input *in);

#endif
