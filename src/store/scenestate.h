/*
 * scenestate.h - everything the database knows about one scene, in one
 * read: its queued job (pending, running, waiting for a retry), its newest
 * dead letter and what was last synced to Plex. The Stash UI's scene badge
 * (the scene_status operation) is built from it.
 */
#ifndef S2P_SCENESTATE_H
#define S2P_SCENESTATE_H

#include <stdint.h>

#include "core/compat.h"
#include "core/err.h"
#include "store/db.h"

struct s2p_scene_state {
	int has_job;         /* a row in the job table */
	char job_state[16];  /* "pending" or "running" */
	int attempts;        /* failed attempts of the job */
	double not_before;   /* when the job may run (epoch seconds) */
	double enqueued_at;  /* when it was queued */
	char reason[32];     /* what queued it */
	char job_class[24];  /* class of the job's last failure, "" if none */
	char job_error[512]; /* its message */
	int has_dead;        /* at least one dead letter for the scene */
	int64_t dead_id;     /* the newest one */
	double dead_at;      /* its failure time */
	int dead_attempts;
	char dead_class[24];
	char dead_error[512];
	int has_sync;        /* a sync_state row */
	char rating_key[64]; /* the Plex item last written */
	double synced_at;
};

/* Fill *out (zeroed first) for scene_id; a scene the database never saw
 * is S2P_OK with every has_* 0. */
int s2p_scene_state_get(struct s2p_db *db, int64_t scene_id,
    struct s2p_scene_state *out, struct s2p_error *err) S2P_NODISCARD;

#endif
