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
	char *stash_url;      /* "<Scheme>://<host>:<Port>", 0.0.0.0 -> 127.0.0.1 */
	char *session_cookie; /* SessionCookie.Value, or NULL */
	char *stash_dir;      /* Dir */
	char *plugin_dir;     /* PluginDir */
	/* args */
	char *mode;           /* args.mode, or NULL */
	json_t *args;         /* the whole args object (new reference) */
	/* args.hookContext, when present */
	int is_hook;
	char *hook_type;      /* "Scene.Update.Post", ... */
	int64_t hook_id;      /* hookContext.id (0 when absent) */
	json_t *hook_input;   /* borrowed from args; may be NULL or json null */
	json_t *hook_fields;  /* borrowed: inputFields array, or NULL */
};

/* Parse a document. Errors: S2P_EPARSE (not JSON, not an object, wrong types)
 * with a message fit for {"error": ...}. The caller frees out. */
int s2p_input_parse(struct s2p_input *out, const char *json, size_t len,
    struct s2p_error *err) S2P_NODISCARD;
/* Read fd to EOF (capped at S2P_STDIN_MAX) and parse it. */
int s2p_input_read(struct s2p_input *out, int fd, struct s2p_error *err)
    S2P_NODISCARD;
void s2p_input_free(struct s2p_input *in);

/* 1 when the hook's inputFields (or, lacking them, the input object's
 * non-null keys) include a field that we sync. */
int s2p_input_touches_synced_field(const struct s2p_input *in);

#endif
