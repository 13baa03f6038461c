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
	char dir[256]; /* temp dir; the plugin dir, data in dir/data */
	pid_t plex_pid;
	pid_t stash_pid;
	int plex_port;
	int plex_ctl;
	int stash_port;
	int stash_ctl;
	char token[64];
	char cookie[128]; /* session handed to runs ("" = a fixed one) */
};

struct h_run {
	int status; /* exit status, or 128+signal */
	char *out;  /* stdout */
	char *err;  /* stderr */
	double ms;  /* wall time */
};

/* Start both fakes with a generated library; extra args may be NULL
 * (space-separated). Also saves Stash plugin settings pointing at the fake
 * Plex. Returns 0 on success. */
int h_start(struct h_env *e, int scenes, int seed, const char *plex_args,
    const char *stash_args);
void h_stop(struct h_env *e);
/* GET a control path; new reference or NULL. */
json_t *h_get(int port, const char *path);
/* HTTP status of a GET (0 when nothing answered); any port. */
int h_status(int port, const char *path);
/* Have fake Stash issue a new session (as Stash does for every plugin run)
 * and hand it to every later run. 0 on success. */
int h_fresh_session(struct h_env *e);
/* POST/DELETE JSON to a control path; HTTP status. */
int h_post(int port, const char *path, const char *json);
int h_delete(int port, const char *path);
/* Save plugin settings in fake Stash: plex_url/plex_token plus extra JSON
 * object members (e.g. "\"strict_matching\": false"), may be NULL. */
int h_settings(struct h_env *e, const char *extra);
/* Run stash2plex with {"server_connection": ..., "args": args_json}. env is
 * a NULL-terminated list of extra "K=V" entries (may be NULL). */
int h_run_plugin(struct h_env *e, const char *args_json, const char *const *env,
    struct h_run *r);
void h_run_free(struct h_run *r);
/* Run stash2plex (plugin mode) with doc, any text, as its whole stdin. */
int h_run_stdin(struct h_env *e, const char *doc, const char *const *env,
    struct h_run *r);
/* Run stash2plex on the command line: argv (NULL-terminated, without the
 * program name), empty stdin. */
int h_run_cli(struct h_env *e, const char *const *argv, const char *const *env,
    struct h_run *r);

/* Run this plugin binary instead of S2P_BIN (NULL: S2P_BIN again), e.g.
 * the static build for `make bench`. The string must outlive the runs. */
void h_set_plugin_bin(const char *path);

/* Run the plugin in an empty root instead of S2P_BIN: each run chroots into
 * root, then execs argv (a path inside root, e.g. {"/plugin/stash2plex"} or
 * {"/qemu-aarch64-static", "/plugin/stash2plex"}); plugin_dir is the
 * PluginDir sent on stdin (a path inside root). root NULL restores the
 * default. The strings must outlive the runs. */
void h_set_chroot(const char *root, const char *const *argv,
    const char *plugin_dir);

/* A plugin run in progress (see h_spawn_plugin). */
struct h_proc {
	pid_t pid;
	double t0;
	char out[300];
	char err[300];
};

/* Start stash2plex like h_run_plugin without waiting. tag names its
 * stdin/stdout/stderr files in the temp dir (distinct tags can run at once).
 * gate_fd >= 0: the child blocks reading it before exec, so closing the
 * write end releases many children together. Returns 0 on success. */
int h_spawn_plugin(struct h_env *e, const char *args_json,
    const char *const *env, const char *tag, int gate_fd, struct h_proc *p);
/* Start stash2plex on the command line (argv as for h_run_cli) without
 * waiting, e.g. `daemon`; tag as for h_spawn_plugin. 0 on success. */
int h_spawn_cli(struct h_env *e, const char *const *argv,
    const char *const *env, const char *tag, struct h_proc *p);
/* Wait for a spawned run and collect it into r. Returns 0 on success. */
int h_wait_plugin(struct h_proc *p, struct h_run *r);

/* Compare fake Stash scenes (those with id <= max_id; all when it is 0)
 * with the fake Plex item holding their first file: title, details/summary,
 * date, studio, tags/genres, performers/actors. Returns how many differ or
 * have no item (printing the first few), -1 when a fake cannot be read. */
int h_unsynced(struct h_env *e, long max_id);

/* Monotonic and wall-clock seconds. */
double h_mono(void);
double h_wall(void);
void h_sleep(double secs);
/* Contents of <dir>/data/<name> ("" when absent); caller frees. */
char *h_read_data(struct h_env *e, const char *name);
/* Write <dir>/data/<name> (mode 0600; data dir created 0700). 0 on success. */
int h_write_data(struct h_env *e, const char *name, const char *text);
/* Occurrences of needle in hay. */
int h_count_str(const char *hay, const char *needle);
/* Wait until the worker log (data/stash2plex.log) holds needle at least
 * count times (max secs). 0 when it does. */
int h_wait_log(struct h_env *e, const char *needle, int count, double secs);
/* One line of the background worker's log (data/stash2plex.log):
 * "<YYYY-MM-DDTHH:MM:SSZ> <pid> <LEVEL> <message>". */
struct h_logline {
	double t; /* epoch seconds (whole seconds) */
	int pid;
	char level[8];   /* TRACE DEBUG INFO WARN ERROR */
	const char *msg; /* into h_log.text; len bytes, no newline */
	size_t len;
};

struct h_log {
	struct h_logline *v;
	size_t n;
	char *text; /* the whole log */
};

/* Read and split the worker log; -1 (after printing it) when a line does
 * not have that shape. Free with h_log_free. */
int h_load_log(struct h_env *e, struct h_log *l);
void h_log_free(struct h_log *l);

/* First column of the first row of sql on data/stash2plex.db: as a long
 * (-1 on error), or as text (caller frees; NULL on error). */
long h_db_long(struct h_env *e, const char *sql);
char *h_db_text(struct h_env *e, const char *sql);
/* Wait until no background worker holds the lock (max secs). 0 when idle. */
int h_wait_worker(struct h_env *e, double secs);
/* Count recorded Plex requests with this method whose path starts with
 * prefix. */
int h_count_requests(struct h_env *e, const char *method, const char *prefix);
/* The fake Plex item whose files include path (new reference) or NULL. */
json_t *h_plex_item_by_file(struct h_env *e, const char *path);
/* The fake Stash scene with this id (new reference) or NULL. */
json_t *h_stash_scene(struct h_env *e, long id);
/* The primary file path of scene id in the fake Stash (new string);
 * aborts the test when the scene or its file is missing. */
char *h_stash_file(struct h_env *e, long id);

#endif
