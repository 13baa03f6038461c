/*
 * canned.c - the canned-reply test server (see canned.h). One internal
 * polling thread answers one request at a time; recorded requests and the
 * reply queue are guarded by a mutex. A delayed reply waits on a pipe so
 * stopping the server never waits out the delay.
 */
#include "canned.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/xalloc.h"

struct queued {
	struct fake_canned_reply r;
	char *body;
	char *content_type;
	char *headers;
};

struct fake_canned {
	struct MHD_Daemon *d;
	unsigned port;
	char url[64];
	int wake[2];
	pthread_mutex_t mu;
	struct queued *q;
	size_t nq, qhead, qcap;
	struct fake_canned_request **reqs;
	size_t nreqs, reqcap;
	size_t nconns;
};

/* Per-connection-request state, created by the URI log callback. */
struct conn {
	char *uri;
	struct s2p_buf body;
	int started;
};

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct conn *cn = s2p_xcalloc(1, sizeof(*cn));

	(void)cls;
	(void)con;
	cn->uri = s2p_xstrdup(uri);
	s2p_buf_init(&cn->body, 0);
	return cn;
}

static void
completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (cn == NULL)
		return;
	free(cn->uri);
	s2p_buf_free(&cn->body);
	free(cn);
	*con_cls = NULL;
}

static void
conn_cb(void *cls, struct MHD_Connection *con, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct fake_canned *c = cls;

	(void)con;
	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&c->mu);
	c->nconns++;
	pthread_mutex_unlock(&c->mu);
}

static enum MHD_Result
header_it(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct fake_canned_request *r = cls;

	(void)kind;
	s2p_strv_push_take(&r->headers,
	    s2p_xasprintf("%s: %s", key, value ? value : ""));
	return MHD_YES;
}

static void
record(struct fake_canned *c, struct MHD_Connection *con, const char *method,
    struct conn *cn)
{
	struct fake_canned_request *r = s2p_xcalloc(1, sizeof(*r));
	const char *q = strchr(cn->uri, '?');

	r->method = s2p_xstrdup(method);
	r->uri = s2p_xstrdup(cn->uri);
	r->path = q ? s2p_xstrndup(cn->uri, (size_t)(q - cn->uri))
		    : s2p_xstrdup(cn->uri);
	r->query = s2p_xstrdup(q ? q + 1 : "");
	MHD_get_connection_values(con, MHD_HEADER_KIND, header_it, r);
	r->body = cn->body;
	s2p_buf_init(&cn->body, 0);
	if (c->nreqs == c->reqcap) {
		c->reqcap = c->reqcap ? c->reqcap * 2 : 16;
		c->reqs = s2p_xrealloc(c->reqs, c->reqcap * sizeof(*c->reqs));
	}
	c->reqs[c->nreqs++] = r;
}

/* Add "Name: value\n" lines to a response. */
static void
add_headers(struct MHD_Response *resp, const char *lines)
{
	char *copy, *line, *next;

	if (lines == NULL)
		return;
	copy = s2p_xstrdup(lines);
	for (line = copy; line != NULL && *line; line = next) {
		char *colon, *v;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ')
			v++;
		MHD_add_response_header(resp, line, v);
	}
	free(copy);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct fake_canned *c = cls;
	struct conn *cn = *con_cls;
	struct queued qr;
	struct MHD_Response *resp;
	struct pollfd pfd;
	enum MHD_Result ret;
	int have;

	(void)url;
	(void)version;
	if (!cn->started) {
		cn->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (s2p_buf_add(&cn->body, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}

	pthread_mutex_lock(&c->mu);
	record(c, con, method, cn);
	have = c->qhead < c->nq;
	if (have)
		qr = c->q[c->qhead++];
	pthread_mutex_unlock(&c->mu);

	if (!have) {
		static const char msg[] = "no canned reply queued";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1,
		    (void *)msg, MHD_RESPMEM_MUST_COPY);
		ret = MHD_queue_response(con, 599, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (qr.r.delay_ms > 0) {
		pfd.fd = c->wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, qr.r.delay_ms) > 0)
			return MHD_NO; /* stopping */
	}
	if (qr.r.drop)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(qr.r.body_len,
	    qr.body ? qr.body : (char *)"", MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type",
	    qr.content_type ? qr.content_type : "application/json");
	add_headers(resp, qr.headers);
	ret = MHD_queue_response(con,
	    qr.r.status ? (unsigned)qr.r.status : 200U, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct fake_canned *
fake_canned_start(void)
{
	struct fake_canned *c = s2p_xcalloc(1, sizeof(*c));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	if (pipe(c->wake) != 0) {
		perror("pipe");
		abort();
	}
	pthread_mutex_init(&c->mu, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    handler, c, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, c, MHD_OPTION_NOTIFY_COMPLETED,
	    completed_cb, c, MHD_OPTION_NOTIFY_CONNECTION, conn_cb, c,
	    MHD_OPTION_END);
	if (c->d == NULL) {
		fprintf(stderr, "canned: MHD_start_daemon failed\n");
		abort();
	}
	info = MHD_get_daemon_info(c->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "canned: no bound port\n");
		abort();
	}
	c->port = info->port;
	snprintf(c->url, sizeof(c->url), "http://127.0.0.1:%u", c->port);
	return c;
}

void
fake_canned_stop(struct fake_canned *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (write(c->wake[1], "x", 1) != 1)
		perror("canned: write");
	MHD_stop_daemon(c->d);
	close(c->wake[0]);
	close(c->wake[1]);
	for (i = 0; i < c->nq; i++) {
		free(c->q[i].body);
		free(c->q[i].content_type);
		free(c->q[i].headers);
	}
	free(c->q);
	for (i = 0; i < c->nreqs; i++) {
		struct fake_canned_request *r = c->reqs[i];

		free(r->method);
		free(r->uri);
		free(r->path);
		free(r->query);
		s2p_strv_free(&r->headers);
		s2p_buf_free(&r->body);
		free(r);
	}
	free(c->reqs);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

const char *
fake_canned_url(const struct fake_canned *c)
{
	return c->url;
}

unsigned
fake_canned_port(const struct fake_canned *c)
{
	return c->port;
}

void
fake_canned_push(struct fake_canned *c, const struct fake_canned_reply *r)
{
	struct queued q;

	memset(&q, 0, sizeof(q));
	q.r = *r;
	if (r->body != NULL) {
		if (q.r.body_len == 0)
			q.r.body_len = strlen(r->body);
		q.body = s2p_xmalloc(q.r.body_len + 1);
		memcpy(q.body, r->body, q.r.body_len);
		q.body[q.r.body_len] = '\0';
	} else {
		q.r.body_len = 0;
	}
	q.content_type = s2p_xstrdup(r->content_type);
	q.headers = s2p_xstrdup(r->headers);
	q.r.body = q.r.content_type = q.r.headers = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->nq == c->qcap) {
		c->qcap = c->qcap ? c->qcap * 2 : 16;
		c->q = s2p_xrealloc(c->q, c->qcap * sizeof(*c->q));
	}
	c->q[c->nq++] = q;
	pthread_mutex_unlock(&c->mu);
}

void
fake_canned_push_simple(struct fake_canned *c, int status, const char *body)
{
	struct fake_canned_reply r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = body;
	fake_canned_push(c, &r);
}

size_t
fake_canned_count(struct fake_canned *c)
{
	size_t n;

	pthread_mutex_lock(&c->mu);
	n = c->nreqs;
	pthread_mutex_unlock(&c->mu);
	return n;
}

size_t
fake_canned_connections(struct fake_canned *c)
{
	size_t n;

	pthread_mutex_lock(&c->mu);
	n = c->nconns;
	pthread_mutex_unlock(&c->mu);
	return n;
}

const struct fake_canned_request *
fake_canned_request(struct fake_canned *c, size_t i)
{
	const struct fake_canned_request *r = NULL;

	pthread_mutex_lock(&c->mu);
	if (i < c->nreqs)
		r = c->reqs[i];
	pthread_mutex_unlock(&c->mu);
	return r;
}

const char *
fake_canned_header(const struct fake_canned_request *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->headers.n; i++) {
		const char *h = r->headers.v[i];

		if (strncasecmp(h, name, n) == 0 && h[n] == ':')
			return h + n + 2;
	}
	return NULL;
}

int
fake_canned_header_count(const struct fake_canned_request *r, const char *name)
{
	size_t i, n = strlen(name);
	int count = 0;

	for (i = 0; i < r->headers.n; i++)
		if (strncasecmp(r->headers.v[i], name, n) == 0 &&
		    r->headers.v[i][n] == ':')
			count++;
	return count;
}

unsigned
fake_closed_port(int *fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0) {
		perror("socket");
		abort();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("bind");
		abort();
	}
	return ntohs(sa.sin_port);
}
