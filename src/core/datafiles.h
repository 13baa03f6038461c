/*
 * datafiles.h - the names of the files the program keeps in its data
 * directory (STASH2PLEX_DATA_DIR, else <plugin dir>/data). Every module
 * spells them through these names; s2p_ctx_path joins them to the
 * directory. Their formats are documented with their owners.
 */
#ifndef S2P_DATAFILES_H
#define S2P_DATAFILES_H

/* The SQLite database (store/db.c): queue, dead letters, path index, sync
 * state, kv. */
#define S2P_DB_FILE "stash2plex.db"
/* Log of the detached background worker (app/spawn.c). */
#define S2P_LOG_FILE "stash2plex.log"
/* Held (flock) by the one process that drains the queue. */
#define S2P_LOCK_FILE "worker.lock"
/* The resident worker's doorbell, a FIFO (core/wake.c, app/spawn.c). */
#define S2P_WAKE_FILE "worker.wake"
/* The last settings read from Stash, for hooks, which may not use the
 * network (0600: holds secrets). */
#define S2P_SETTINGS_FILE "settings.json"
/* The persistent X-Plex-Client-Identifier. */
#define S2P_CLIENT_ID_FILE "client_id"
/* Circuit breaker state (sync/breaker.c); the Health Check reads it. */
#define S2P_BREAKER_FILE "circuit_breaker.json"
/* History of Plex outages (sync/outage.c). */
#define S2P_OUTAGE_FILE "outage_history.json"
/* Post-outage recovery ramp (sync/ratelimit.c). */
#define S2P_RECOVERY_FILE "recovery_state.json"
#define S2P_OBF_KEY_FILE "obfuscate.key"
/* The newest Stash session cookie a hook or task was handed (0600). */
#define S2P_COOKIE_FILE "session_cookie"

#endif
