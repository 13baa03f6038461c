/*
 * harness.h - integration-test harness: start the real fake-plex and
 * fake-stash binaries on free loopback ports, run the real stash2plex binary
 * exactly as Stash does (JSON on stdin, capture stdout and stderr), and read
 * the fakes' state over their control ports.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <jansson.h>
#include <sys/types.h>

struct h_env {
	char dir[256];      /* temp dir; the plugin dir, data in dir/data */
	pid_t plex_pid;
	pid_t stash_pid;
	int plex_port;
	int plex_ctl;
	int stash_port;
	int stash_ctl;
	char token[64];
};

struct h_run {
	int status;   /* exit status, or 128+signal */
	char *out;    /* stdout */
	char *err;    /* stderr */
	double ms;    /* wall time */
	long max_rss_kib; /* peak resident memory of the process */
};

/* Start both fakes with a generated library; extra args may be NULL
 * (space-separated). Also saves Stash plugin settings pointing at the fake
 * Plex. Returns 0 on success. */
int h_start(struct h_env *e, int scenes, int seed, const char *plex_args,
    const char *stash_args);
void h_stop(struct h_env *e);
/* GET a control path; new reference or NULL. */
json_t *h_get(int port, const char *path);
/* POST/DELETE JSON to a control path; HTTP status. */
int h_post(int port, const char *path, const char *json);
int h_delete(int port, const char *path);
/* Save plugin settings in fake Stash: plex_url/plex_token plus extra JSON
 * object members (e.g. "\"strict_matching\": false"), may be NULL. */
int h_settings(struct h_env *e, const char *extra);
/* Run stash2plex with {"server_connection": ..., "args": args_json}. env is
 * a NULL-terminated list of extra "K=V" entries (may be NULL). */
int h_run_plugin(struct h_env *e, const char *args_json,
    const char *const *env, struct h_run *r);
void h_run_free(struct h_run *r);
/* Wait until no background worker holds the lock (max secs). 0 when idle. */
int h_wait_worker(struct h_env *e, double secs);
/* Count recorded Plex requests with this method whose path starts with
 * prefix. */
int h_count_requests(struct h_env *e, const char *method, const char *prefix);
/* The fake Plex item whose files include path (new reference) or NULL. */
json_t *h_plex_item_by_file(struct h_env *e, const char *path);
/* The fake Stash scene with this id (new reference) or NULL. */
json_t *h_stash_scene(struct h_env *e, long id);

#endif
