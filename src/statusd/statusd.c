/*
 * statusd.c - stash2plex-statusd, the daemon's HTTP status endpoint:
 * GET /healthz, /status and /metrics (bodies from app/endpoint.c). A
 * separate program because libmicrohttpd is LGPL and the stash2plex plugin
 * binary ships statically linked: `stash2plex daemon` starts this one as a
 * child when status_listen is set and stops it on exit. It only reads the
 * data directory (database, breaker and outage files), never the network
 * beyond its own listening socket, and judges the daemon alive while its
 * parent is the daemon's pid. See docs/internals/daemon.md.
 *
 * usage: stash2plex-statusd --data-dir DIR --listen [HOST:]PORT
 *            --daemon-pid PID
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/endpoint.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"

struct statusd {
	struct s2p_app app;
	pid_t daemon_pid;
};

/* Parse "[HOST:]PORT" (IPv4 host, "[v6]:port" for IPv6; a bare port is
 * loopback) into *ss. Returns 0, or -1 for a malformed address. */
static int
parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128] = "127.0.0.1";
	const char *colon = strrchr(text, ':'), *port = text;
	char *end;
	long p;

	memset(ss, 0, sizeof(*ss));
	if (colon != NULL) {
		size_t n = (size_t)(colon - text);

		if (n == 0 || n >= sizeof(host))
			return -1;
		if (text[0] == '[' && n > 2 && text[n - 1] == ']')
			snprintf(host, sizeof(host), "%.*s", (int)(n - 2),
			    text + 1);
		else
			snprintf(host, sizeof(host), "%.*s", (int)n, text);
		port = colon + 1;
	}
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
		return -1;
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)p);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		*len = sizeof(*a);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

/* Queue an answer (takes body, a malloc'd string). */
static enum MHD_Result
answer(struct MHD_Connection *con, unsigned int status, const char *type,
    char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body),
	    body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* An error answer as {"error": msg}. */
static enum MHD_Result
answer_error(struct MHD_Connection *con, unsigned int status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return answer(con, status, "application/json", s);
}

/* Build the body for url (*type, *body new) and return its HTTP status. */
static unsigned int
route(struct statusd *sd, const char *url, const char **type, char **body)
{
	struct s2p_app *app = &sd->app;
	struct s2p_error e;
	struct s2p_buf b;
	int status = 200;

	s2p_error_clear(&e);
	*type = "application/json";
	*body = NULL;
	if (strcmp(url, "/healthz") == 0) {
		s2p_endpoint_health(app, getppid() == sd->daemon_pid, &status,
		    body);
	} else if (strcmp(url, "/status") == 0) {
		if (s2p_endpoint_status(app, body, &e) != S2P_OK)
			status = 503;
	} else if (strcmp(url, "/metrics") == 0) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		s2p_buf_init(&b, 0);
		if (s2p_endpoint_metrics(app, &b, &e) != S2P_OK) {
			s2p_buf_free(&b);
			*type = "application/json";
			status = 503;
		} else {
			*body = s2p_buf_take(&b);
		}
	} else {
		return 404;
	}
	/* Fresh handles next time (the database may be replaced). */
	s2p_ctx_close_handles(&app->ctx);
	if (*body == NULL) {
		json_t *o = json_pack("{s:s}", "error", e.msg);

		*body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	return (unsigned int)status;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *data, size_t *data_len,
    void **state)
{
	struct statusd *sd = cls;
	const char *type;
	char *body;
	unsigned int status;

	(void)version;
	(void)data;
	if (*state == NULL) { /* first call: headers only */
		*state = sd;
		return MHD_YES;
	}
	if (*data_len != 0) {
		*data_len = 0; /* ignore any body */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer_error(con, 405, "only GET and HEAD");
	status = route(sd, url, &type, &body);
	if (status == 404)
		return answer_error(con, 404,
		    "not found: try /healthz, /status or /metrics");
	return answer(con, status, type, body);
}

static int
usage(void)
{
	fputs("usage: stash2plex-statusd --data-dir DIR --listen [HOST:]PORT "
	      "--daemon-pid PID\n",
	    stderr);
	return 2;
}

/* Serve until SIGTERM or SIGINT. */
static int
serve(struct statusd *sd, const char *listen)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	struct MHD_Daemon *d;
	sigset_t set;
	int sig = 0;

	if (parse_listen(listen, &ss, &len) != 0) {
		s2p_errorf("status_listen \"%s\": expected PORT, HOST:PORT or "
			   "[IPv6]:PORT",
		    listen);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server thread too */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, sd, MHD_OPTION_SOCK_ADDR, &ss,
	    MHD_OPTION_CONNECTION_LIMIT, 32U, MHD_OPTION_CONNECTION_TIMEOUT,
	    10U, MHD_OPTION_END);
	if (d == NULL) {
		s2p_errorf("status endpoint: cannot listen on %s (in use, or "
			   "not an address of this host)",
		    listen);
		return 1;
	}
	s2p_info("Status endpoint listening on %s: /healthz /status /metrics",
	    listen);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}

int
main(int argc, char **argv)
{
	struct statusd sd;
	struct s2p_log_opts lo;
	const char *listen = NULL;
	int i, code;

	s2p_json_use_xalloc();
	signal(SIGPIPE, SIG_IGN);
	memset(&sd, 0, sizeof(sd));
	memset(&lo, 0, sizeof(lo));
	lo.format = S2P_LOGFMT_PLAIN;
	lo.to_stderr = 1;
	lo.min = S2P_LOG_INFO;
	s2p_log_open(&lo);
	s2p_ctx_init(&sd.app.ctx);
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--data-dir") == 0) {
			free(sd.app.ctx.data_dir);
			sd.app.ctx.data_dir = s2p_xstrdup(argv[i + 1]);
		} else if (strcmp(argv[i], "--listen") == 0) {
			listen = argv[i + 1];
		} else if (strcmp(argv[i], "--daemon-pid") == 0) {
			sd.daemon_pid = (pid_t)atol(argv[i + 1]);
		} else {
			break;
		}
	}
	if (i != argc || sd.app.ctx.data_dir == NULL || listen == NULL ||
	    sd.daemon_pid <= 0)
		code = usage();
	else
		code = serve(&sd, listen);
	s2p_ctx_free(&sd.app.ctx);
	s2p_log_close();
	return code;
}
