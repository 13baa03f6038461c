/*
 * harness.c - integration-test harness (see harness.h).
 */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/xalloc.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int
read_port(const char *path, double secs)
{
	double end = mono() + secs;

	while (mono() < end) {
		FILE *f = fopen(path, "r");
		int port = 0;

		if (f != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
			if (port > 0)
				return port;
		}
		nap(0.02);
	}
	return -1;
}

/* Fakes still running. A failed assertion leaves its test function without
 * reaching h_stop; these are stopped when the test program exits. */
static pid_t live[64];

static void
stop_live(void)
{
	size_t i;
	int st;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i] > 0) {
			kill(live[i], SIGTERM);
			waitpid(live[i], &st, 0);
			live[i] = 0;
		}
	}
}

static void
track(pid_t pid, int add)
{
	static int registered;
	size_t i;

	if (!registered) {
		atexit(stop_live);
		registered = 1;
	}
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (add ? live[i] == 0 : live[i] == pid) {
			live[i] = add ? pid : 0;
			return;
		}
	}
}

/* Start a fake binary with the common flags plus extra; returns pid. */
static pid_t
start_fake(struct h_env *e, const char *bin, const char *name, int scenes,
    int seed, const char *extra, int *port, int *ctl)
{
	char pf[300], cf[300], sc[32], sd[32], *argv[64], *copy = NULL, *tok;
	int argc = 0;
	pid_t pid;

	snprintf(pf, sizeof(pf), "%s/%s.port", e->dir, name);
	snprintf(cf, sizeof(cf), "%s/%s.ctl", e->dir, name);
	snprintf(sc, sizeof(sc), "%d", scenes);
	snprintf(sd, sizeof(sd), "%d", seed);
	argv[argc++] = (char *)bin;
	argv[argc++] = (char *)"--port";
	argv[argc++] = (char *)"0";
	argv[argc++] = (char *)"--port-file";
	argv[argc++] = pf;
	argv[argc++] = (char *)"--control-port-file";
	argv[argc++] = cf;
	argv[argc++] = (char *)"--scenes";
	argv[argc++] = sc;
	argv[argc++] = (char *)"--seed";
	argv[argc++] = sd;
	if (extra != NULL) {
		char *save = NULL;

		copy = s2p_xstrdup(extra);
		for (tok = strtok_r(copy, " ", &save); tok && argc < 62;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		char logp[300];
		int fd;

		snprintf(logp, sizeof(logp), "%s/%s.log", e->dir, name);
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, argv);
		_exit(127);
	}
	free(copy);
	if (pid > 0)
		track(pid, 1);
	*port = read_port(pf, 20);
	*ctl = read_port(cf, 20);
	return pid;
}

struct sink {
	struct s2p_buf b;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *u)
{
	struct sink *s = u;

	if (s2p_buf_add(&s->b, p, sz * n) != 0)
		return 0;
	return sz * n;
}

/* One control request; returns HTTP status, body in *body (may be NULL). */
static int
request(int port, const char *method, const char *path, const char *json,
    char **body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct sink s;
	char url[512];
	long status = 0;

	s2p_buf_init(&s.b, 256 * 1024 * 1024);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (json != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (body != NULL)
		*body = s2p_buf_take(&s.b);
	else
		s2p_buf_free(&s.b);
	return (int)status;
}

json_t *
h_get(int port, const char *path)
{
	char *body = NULL;
	json_t *j = NULL;

	if (request(port, "GET", path, NULL, &body) == 200)
		j = json_loads(body, JSON_ALLOW_NUL, NULL);
	free(body);
	return j;
}

int
h_status(int port, const char *path)
{
	return request(port, "GET", path, NULL, NULL);
}

int
h_post(int port, const char *path, const char *json)
{
	return request(port, "POST", path, json ? json : "{}", NULL);
}

int
h_fresh_session(struct h_env *e)
{
	char *body = NULL;
	json_t *j = NULL;
	const char *v;
	int rc = -1;

	if (request(e->stash_ctl, "POST", "/session", "{}", &body) == 200)
		j = json_loads(body, 0, NULL);
	v = json_string_value(json_object_get(j, "value"));
	if (v != NULL && strlen(v) < sizeof(e->cookie)) {
		snprintf(e->cookie, sizeof(e->cookie), "%s", v);
		rc = 0;
	}
	json_decref(j);
	free(body);
	return rc;
}

int
h_delete(int port, const char *path)
{
	return request(port, "DELETE", path, NULL, NULL);
}

int
h_settings(struct h_env *e, const char *extra)
{
	char *json = s2p_xasprintf("{\"plex_url\": \"http://127.0.0.1:%d\", "
				   "\"plex_token\": \"%s\"%s%s}",
	    e->plex_port, e->token, extra ? ", " : "", extra ? extra : "");
	int st = h_post(e->stash_ctl, "/settings", json);

	free(json);
	return st == 200 ? 0 : -1;
}

int
h_start(struct h_env *e, int scenes, int seed, const char *plex_args,
    const char *stash_args)
{
	char tmpl[] = "/tmp/s2p-integ-XXXXXX";
	char *pa;

	memset(e, 0, sizeof(*e));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
	snprintf(e->token, sizeof(e->token), "integ-token-4f2a9c");
	pa = s2p_xasprintf("--token %s%s%s", e->token, plex_args ? " " : "",
	    plex_args ? plex_args : "");
	e->plex_pid = start_fake(e, FAKE_PLEX_BIN, "plex", scenes, seed, pa,
	    &e->plex_port, &e->plex_ctl);
	free(pa);
	e->stash_pid = start_fake(e, FAKE_STASH_BIN, "stash", scenes, seed,
	    stash_args, &e->stash_port, &e->stash_ctl);
	if (e->plex_port <= 0 || e->plex_ctl <= 0 || e->stash_port <= 0 ||
	    e->stash_ctl <= 0)
		return -1;
	return h_settings(e, NULL);
}

static void
reap(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	track(pid, 0);
}

void
h_stop(struct h_env *e)
{
	char *cmd;

	h_wait_worker(e, 10);
	reap(e->plex_pid);
	reap(e->stash_pid);
	if (getenv("S2P_KEEP_TMP") == NULL && e->dir[0] == '/') {
		cmd = s2p_xasprintf("rm -rf '%s'", e->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", e->dir);
		free(cmd);
	}
}

static char *
slurp(const char *path)
{
	struct s2p_buf b;
	int fd = open(path, O_RDONLY);

	s2p_buf_init(&b, 64 * 1024 * 1024);
	if (fd >= 0) {
		if (s2p_buf_read_fd(&b, fd) != 0)
			fprintf(stderr, "cannot read %s\n", path);
		close(fd);
	}
	return s2p_buf_take(&b);
}

static const char *plugin_bin = S2P_BIN;

/* S2P_VALGRIND=<dir>: every plugin run goes through valgrind's memcheck
 * (the `valgrind` ctest label), its reports in <dir>/vg.<pid>.log (empty
 * when clean; forked workers included); tests/valgrind.sh reads them.
 * Fills av with the wrapper's arguments and returns how many. */
static size_t
valgrind_argv(const char **av)
{
	static char logopt[400];
	const char *dir = getenv("S2P_VALGRIND");
	size_t n = 0;

	if (dir == NULL || *dir == '\0')
		return 0;
	snprintf(logopt, sizeof(logopt), "--log-file=%s/vg.%%p.log", dir);
	av[n++] = "valgrind";
	av[n++] = "--quiet";
	av[n++] = "--error-exitcode=99";
	av[n++] = "--leak-check=full";
	av[n++] = "--errors-for-leak-kinds=definite";
	av[n++] = "--show-leak-kinds=definite";
	av[n++] = logopt;
	return n;
}

static const char *chroot_root;
static const char *const *chroot_argv;
static const char *chroot_plugin_dir;

void
h_set_plugin_bin(const char *path)
{
	plugin_bin = path ? path : S2P_BIN;
}

void
h_set_chroot(const char *root, const char *const *argv, const char *plugin_dir)
{
	chroot_root = root;
	chroot_argv = root ? argv : NULL;
	chroot_plugin_dir = root ? plugin_dir : NULL;
}

/* Start stash2plex with doc on stdin and argv (NULL: none) as its
 * arguments; see h_spawn_plugin. */
static int
spawn_doc(struct h_env *e, const char *doc, const char *const *argv,
    const char *const *env, const char *tag, int gate_fd, struct h_proc *p)
{
	char in[300];
	size_t len;
	int fd;

	memset(p, 0, sizeof(*p));
	snprintf(in, sizeof(in), "%s/%s.in", e->dir, tag);
	snprintf(p->out, sizeof(p->out), "%s/%s.out", e->dir, tag);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", e->dir, tag);
	len = strlen(doc);
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, doc, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	p->t0 = mono();
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		size_t i;
		char c;

		if (gate_fd >= 0) {
			while (read(gate_fd, &c, 1) < 0 && errno == EINTR)
				;
			close(gate_fd);
		}
		dup2(open(in, O_RDONLY), 0);
		dup2(open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
		dup2(open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
		for (i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		if (chroot_root != NULL) {
			if (chroot(chroot_root) != 0 || chdir("/") != 0)
				_exit(126);
			execv(chroot_argv[0], (char *const *)chroot_argv);
			_exit(127);
		}
		{
			const char *av[48];
			size_t n = valgrind_argv(av);

			av[n++] = plugin_bin;
			for (i = 0; argv != NULL && argv[i] && i < 30; i++)
				av[n++] = argv[i];
			av[n] = NULL;
			execvp(av[0], (char *const *)av);
		}
		_exit(127);
	}
	return 0;
}

int
h_spawn_plugin(struct h_env *e, const char *args_json, const char *const *env,
    const char *tag, int gate_fd, struct h_proc *p)
{
	char *doc = s2p_xasprintf(
	    "{\"server_connection\": {\"Scheme\": "
	    "\"http\", \"Host\": \"0.0.0.0\", \"Port\": %d, \"SessionCookie\": "
	    "{\"Name\": \"session\", \"Value\": \"%s\", "
	    "\"Path\": \"\", \"MaxAge\": 0}, \"Dir\": \"%s\", \"PluginDir\": "
	    "\"%s\"}, \"args\": %s}",
	    e->stash_port, e->cookie[0] ? e->cookie : "sess-cookie-77e1",
	    chroot_root ? "/" : e->dir,
	    chroot_root ? chroot_plugin_dir : e->dir, args_json);
	int rc = spawn_doc(e, doc, NULL, env, tag, gate_fd, p);

	free(doc);
	return rc;
}

int
h_run_stdin(struct h_env *e, const char *doc, const char *const *env,
    struct h_run *r)
{
	struct h_proc p;

	memset(r, 0, sizeof(*r));
	if (spawn_doc(e, doc, NULL, env, "run", -1, &p) != 0)
		return -1;
	return h_wait_plugin(&p, r);
}

int
h_run_cli(struct h_env *e, const char *const *argv, const char *const *env,
    struct h_run *r)
{
	struct h_proc p;

	memset(r, 0, sizeof(*r));
	if (spawn_doc(e, "", argv, env, "cli", -1, &p) != 0)
		return -1;
	return h_wait_plugin(&p, r);
}

int
h_spawn_cli(struct h_env *e, const char *const *argv, const char *const *env,
    const char *tag, struct h_proc *p)
{
	return spawn_doc(e, "", argv, env, tag, -1, p);
}

int
h_wait_plugin(struct h_proc *p, struct h_run *r)
{
	int st = 0;

	memset(r, 0, sizeof(*r));
	while (waitpid(p->pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	r->ms = (mono() - p->t0) * 1000;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(p->out);
	r->err = slurp(p->err);
	return 0;
}

int
h_run_plugin(struct h_env *e, const char *args_json, const char *const *env,
    struct h_run *r)
{
	struct h_proc p;

	memset(r, 0, sizeof(*r));
	if (h_spawn_plugin(e, args_json, env, "run", -1, &p) != 0)
		return -1;
	return h_wait_plugin(&p, r);
}

void
h_run_free(struct h_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

int
h_wait_worker(struct h_env *e, double secs)
{
	char path[300];
	double end = mono() + secs;

	snprintf(path, sizeof(path), "%s/data/worker.lock", e->dir);
	while (mono() < end) {
		int fd = open(path, O_RDWR);

		if (fd < 0)
			return 0;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			close(fd);
			return 0;
		}
		close(fd);
		nap(0.05);
	}
	return -1;
}

int
h_count_requests(struct h_env *e, const char *method, const char *prefix)
{
	json_t *reqs = h_get(e->plex_ctl, "/requests"), *r;
	size_t i;
	int n = 0;

	json_array_foreach(reqs, i, r)
	{
		const char *m = json_string_value(json_object_get(r, "method"));
		const char *p = json_string_value(json_object_get(r, "path"));

		if (m && p && strcmp(m, method) == 0 &&
		    strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	}
	json_decref(reqs);
	return n;
}

json_t *
h_plex_item_by_file(struct h_env *e, const char *path)
{
	json_t *st = h_get(e->plex_ctl, "/state"), *items, *it, *res = NULL;
	size_t i, j;

	items = json_object_get(st, "items");
	json_array_foreach(items, i, it)
	{
		json_t *files = json_object_get(it, "files"), *f;

		json_array_foreach(files, j, f)
		{
			if (res == NULL && json_is_string(f) &&
			    strcmp(json_string_value(f), path) == 0)
				res = json_incref(it);
		}
	}
	json_decref(st);
	return res;
}

json_t *
h_stash_scene(struct h_env *e, long id)
{
	json_t *st = h_get(e->stash_ctl, "/state"), *sc, *res = NULL;
	char want[32];
	size_t i;

	snprintf(want, sizeof(want), "%ld", id);
	json_array_foreach(json_object_get(st, "scenes"), i, sc)
	{
		const char *sid = json_string_value(json_object_get(sc, "id"));

		if (res == NULL && sid && strcmp(sid, want) == 0)
			res = json_incref(sc);
	}
	json_decref(st);
	return res;
}

char *
h_stash_file(struct h_env *e, long id)
{
	json_t *sc = h_stash_scene(e, id);
	const char *f;
	char *copy;

	f = json_string_value(json_array_get(json_object_get(sc, "files"), 0));
	if (f == NULL) {
		fprintf(stderr,
		    "harness: fake Stash has no file for scene %ld\n", id);
		abort();
	}
	copy = s2p_xstrdup(f);
	json_decref(sc);
	return copy;
}

double
h_mono(void)
{
	return mono();
}

double
h_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
h_sleep(double secs)
{
	nap(secs);
}

char *
h_read_data(struct h_env *e, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/data/%s", e->dir, name);
	return slurp(path);
}

int
h_write_data(struct h_env *e, const char *name, const char *text)
{
	char path[400];
	size_t len = strlen(text);
	int fd, rc = -1;

	snprintf(path, sizeof(path), "%s/data", e->dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/data/%s", e->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len)
		rc = 0;
	close(fd);
	return rc;
}

int
h_count_str(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	int n = 0;

	if (hay == NULL || nl == 0)
		return 0;
	for (hay = strstr(hay, needle); hay; hay = strstr(hay + nl, needle))
		n++;
	return n;
}

int
h_wait_log(struct h_env *e, const char *needle, int count, double secs)
{
	double end = mono() + secs;

	for (;;) {
		char *log = h_read_data(e, "stash2plex.log");
		int n = h_count_str(log, needle);

		free(log);
		if (n >= count)
			return 0;
		if (mono() >= end)
			return -1;
		nap(0.05);
	}
}

/* Run sql on the plugin database; the first column of the first row as
 * text (caller frees), NULL when there is none or on error. */
char *
h_db_text(struct h_env *e, const char *sql)
{
	char path[400];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *res = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/data/stash2plex.db", e->dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "h_db: cannot open %s: %s\n", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "h_db: %s: %s\n", sql, sqlite3_errmsg(db));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		res = s2p_xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fprintf(stderr, "h_db: %s: %s\n", sql, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return res;
}

long
h_db_long(struct h_env *e, const char *sql)
{
	char *t = h_db_text(e, sql), *end = NULL;
	long v = -1;

	if (t != NULL) {
		v = strtol(t, &end, 10);
		if (end == t || *end != '\0')
			v = -1;
	}
	free(t);
	return v;
}

/* A string member as text, "" for null/absent. */
static const char *
sval(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* 1 when the string arrays hold the same names (any order). */
static int
same_names(json_t *a, json_t *b)
{
	size_t i, j;
	json_t *x, *y;

	if (json_array_size(a) != json_array_size(b))
		return 0;
	json_array_foreach(a, i, x)
	{
		int found = 0;

		json_array_foreach(b, j, y) if (json_equal(x, y)) found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

int
h_unsynced(struct h_env *e, long max_id)
{
	json_t *ss = h_get(e->stash_ctl, "/state");
	json_t *ps = h_get(e->plex_ctl, "/state");
	json_t *sc, *it;
	size_t i, j, k;
	int bad = 0;

	if (ss == NULL || ps == NULL) {
		json_decref(ss);
		json_decref(ps);
		return -1;
	}
	json_array_foreach(json_object_get(ss, "scenes"), i, sc)
	{
		const char *file = json_string_value(
		    json_array_get(json_object_get(sc, "files"), 0));
		json_t *match = NULL, *f;
		const char *why = NULL;

		if (max_id > 0 && strtol(sval(sc, "id"), NULL, 10) > max_id)
			continue;

		json_array_foreach(json_object_get(ps, "items"), j, it)
		{
			json_array_foreach(json_object_get(it, "files"), k,
			    f) if (match == NULL && file && json_is_string(f) &&
			    strcmp(json_string_value(f), file) == 0) match = it;
		}
		if (match == NULL)
			why = "no Plex item";
		else if (strcmp(sval(match, "title"), sval(sc, "title")) != 0)
			why = "title";
		else if (strcmp(sval(match, "summary"), sval(sc, "details")) !=
		    0)
			why = "summary";
		else if (strcmp(sval(match, "originallyAvailableAt"),
			     sval(sc, "date")) != 0)
			why = "date";
		else if (strcmp(sval(match, "studio"), sval(sc, "studio")) != 0)
			why = "studio";
		else if (!same_names(json_object_get(match, "genres"),
			     json_object_get(sc, "tags")))
			why = "genres";
		else if (!same_names(json_object_get(match, "actors"),
			     json_object_get(sc, "performers")))
			why = "actors";
		if (why != NULL) {
			if (bad < 5)
				fprintf(stderr, "scene %s not synced: %s\n",
				    sval(sc, "id"), why);
			bad++;
		}
	}
	json_decref(ss);
	json_decref(ps);
	return bad;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (there is no timegm
 * in POSIX.1-2008). */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
h_load_log(struct h_env *e, struct h_log *l)
{
	char *p, *nl;
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	l->text = h_read_data(e, "stash2plex.log");
	for (p = l->text; *p; p = nl + 1) {
		int Y, M, D, h, mi, s, pid, off = 0;
		struct h_logline *ln;
		char lvl[8];

		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		if (sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2dZ %d %7s %n", &Y, &M, &D,
			&h, &mi, &s, &pid, lvl, &off) != 8 ||
		    off == 0 || p + off > nl) {
			fprintf(stderr, "unparsable log line: %.*s\n",
			    (int)(nl - p), p);
			return -1;
		}
		if (l->n == cap) {
			cap = cap ? cap * 2 : 256;
			l->v = s2p_xrealloc(l->v, cap * sizeof(*l->v));
		}
		ln = &l->v[l->n++];
		ln->t = (double)days_from_civil(Y, M, D) * 86400.0 +
		    h * 3600.0 + mi * 60.0 + s;
		ln->pid = pid;
		snprintf(ln->level, sizeof(ln->level), "%s", lvl);
		ln->msg = p + off;
		ln->len = (size_t)(nl - (p + off));
	}
	return 0;
}

void
h_log_free(struct h_log *l)
{
	free(l->v);
	free(l->text);
	memset(l, 0, sizeof(*l));
}
