/*
 * endpoint.h - the bodies of the daemon's status endpoint: /healthz (JSON,
 * 200 or 503), /status (the status document) and /metrics (Prometheus text
 * exposition format 0.0.4). Built from the database and the state files
 * only, never the network, so they answer in milliseconds during a Plex or
 * Stash outage. No HTTP here: the stash2plex-statusd binary serves them
 * (libmicrohttpd stays out of the plugin binary). See docs/internals/daemon.md.
 */
#ifndef S2P_ENDPOINT_H
#define S2P_ENDPOINT_H

#include "app/app.h"
#include "core/buf.h"

/* /healthz: *status_out 200 while daemon_alive and the database answers,
 * else 503; *body_out (new string) is a JSON object with "status",
 * "daemon", "database", "breaker" and the queue counts. A Plex outage is
 * not our failure: it stays 200 with the breaker state in the body. */
void s2p_endpoint_health(struct s2p_app *app, int daemon_alive, int *status_out,
    char **body_out);
/* /status: the status document as JSON text (*body_out, new string). */
int s2p_endpoint_status(struct s2p_app *app, char **body_out,
    struct s2p_error *err) S2P_NODISCARD;
/* /metrics: append the Prometheus text to out. Errors: the database's. */
int s2p_endpoint_metrics(struct s2p_app *app, struct s2p_buf *out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
