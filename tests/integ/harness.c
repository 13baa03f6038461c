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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

		/* A failed assertion leaves the test without calling h_stop:
		 * never let a fake outlive the test process. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
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
		j = json_loads(body, 0, NULL);
	free(body);
	return j;
}

int
h_post(int port, const char *path, const char *json)
{
	return request(port, "POST", path, json ? json : "{}", NULL);
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

int
h_run_plugin(struct h_env *e, const char *args_json, const char *const *env,
    struct h_run *r)
{
	char in[300], out[300], err[300];
	char *doc;
	double t0;
	pid_t pid;
	int st, fd;

	memset(r, 0, sizeof(*r));
	snprintf(in, sizeof(in), "%s/run.in", e->dir);
	snprintf(out, sizeof(out), "%s/run.out", e->dir);
	snprintf(err, sizeof(err), "%s/run.err", e->dir);
	doc = s2p_xasprintf("{\"server_connection\": {\"Scheme\": \"http\", "
	    "\"Host\": \"0.0.0.0\", \"Port\": %d, \"SessionCookie\": "
	    "{\"Name\": \"session\", \"Value\": \"sess-cookie-77e1\", "
	    "\"Path\": \"\", \"MaxAge\": 0}, \"Dir\": \"%s\", \"PluginDir\": "
	    "\"%s\"}, \"args\": %s}",
	    e->stash_port, e->dir, e->dir, args_json);
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, doc, strlen(doc)) != (ssize_t)strlen(doc)) {
		free(doc);
		return -1;
	}
	close(fd);
	free(doc);
	t0 = mono();
	pid = fork();
	if (pid == 0) {
		size_t i;

		dup2(open(in, O_RDONLY), 0);
		dup2(open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
		dup2(open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
		for (i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execl(S2P_BIN, S2P_BIN, (char *)NULL);
		_exit(127);
	}
	{
		struct rusage ru;

		memset(&ru, 0, sizeof(ru));
		while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
			;
		r->max_rss_kib = ru.ru_maxrss;
	}
	r->ms = (mono() - t0) * 1000;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out);
	r->err = slurp(err);
	return 0;
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

	json_array_foreach(reqs, i, r) {
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
	json_array_foreach(items, i, it) {
		json_t *files = json_object_get(it, "files"), *f;

		json_array_foreach(files, j, f) {
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
	json_array_foreach(json_object_get(st, "scenes"), i, sc) {
		const char *sid = json_string_value(json_object_get(sc, "id"));

		if (res == NULL && sid && strcmp(sid, want) == 0)
			res = json_incref(sc);
	}
	json_decref(st);
	return res;
}
