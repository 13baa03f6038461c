/*
 * stashsrv.h - the fake Stash server's model and handlers (fake-stash's
 * main() is only argument parsing around this, so tests can also run the
 * very same server in-process). See tests/fakes/README.md for the routes,
 * the control endpoints and the fidelity notes.
 */
#ifndef STASHSRV_H
#define STASHSRV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fakehttp.h"

struct fake_stash_opts {
	size_t scenes; /* synthetic library size */
	uint64_t seed;
	const char *root;           /* NULL: "/data/videos" */
	const char *plugin_id;      /* NULL: "Stash2Plex" */
	json_t *settings;           /* borrowed; the plugin's saved settings
				     * object, NULL = never saved */
	int require_auth;           /* credentials configured */
	const char *session_cookie; /* a valid "session" value, or NULL */
	const char *api_key;        /* the configured API key, or NULL */
	double fixed_clock;         /* > 0: pin "now" (epoch seconds) */
	const char *plugin_exec;    /* the plugin's program, run for
				     * runPluginOperation; NULL: none */
	const char *plugin_dir;     /* its PluginDir (NULL: exec's folder) */
};

struct fake_stash;

/* Build the model (synthetic library from scenes/seed/root). The caller
 * frees it with fake_stash_free after the server using it is gone. */
void fake_stash_new(struct fake_stash **out,
    const struct fake_stash_opts *opts);
void fake_stash_free(struct fake_stash *st);

/* Fill cfg (name, handler, error, state, control, payload, secrets) so
 * fake_server_start serves st. */
void fake_stash_server_config(struct fake_stash *st,
    struct fake_server_config *cfg);

/* The server serving st (runPluginOperation lets go of its model mutex
 * while the plugin runs). */
void fake_stash_set_server(struct fake_stash *st, struct fake_server *srv);

/* Format epoch as Stash stores timestamps here: RFC 3339 in UTC written
 * with a "+00:00" offset, like a server whose local zone is UTC. */
void fake_stash_format_time(double epoch, char *buf, size_t n);

#endif
