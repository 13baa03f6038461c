/*
 * status.h - the status document: one JSON object describing the queue,
 * the dead letters, the circuit breaker, recent Plex outages and the last
 * sync and reconcile. `stash2plex status --json` prints it; the daemon's
 * /status and the Stash UI's status operation serve the same document.
 * Its shape is stable and documented in docs/cli.md ("schema": 1); new
 * members may be added, existing ones never change meaning.
 */
#ifndef S2P_STATUS_H
#define S2P_STATUS_H

#include <jansson.h>

#include "app/app.h"
#include "store/queue.h"

/* Version of the document's shape (the "schema" member). */
#define S2P_STATUS_SCHEMA 1
/* Newest dead letters included as examples. */
#define S2P_STATUS_DLQ_EXAMPLES 5
/* Newest outages included. */
#define S2P_STATUS_OUTAGES 5

/* Build the status document into *out (new reference). Reads the database
 * and the state files only: no network, no lock taken. */
int s2p_status_build(struct s2p_app *app, json_t **out,
    struct s2p_error *err) S2P_NODISCARD;
/* Print the document for a person (the `status` command). */
void s2p_status_print(const json_t *doc, FILE *f);

/* One dead letter as the documents show it (new reference):
 * {"id","scene_id","title","error","class","message","attempts",
 *  "first_failed_at","last_failed_at","reason","candidates"}. */
json_t *s2p_status_dead_json(const struct s2p_dead_job *j);
/* t (epoch seconds) as "YYYY-MM-DDTHH:MM:SSZ", or JSON null when t <= 0
 * (new reference). */
json_t *s2p_status_time(double t);

#endif
