/*
 * fakehttp.c - the fake servers' HTTP scaffolding (see fakehttp.h).
 *
 * The service listener runs libmicrohttpd with a thread per connection over a
 * listening socket we create ourselves, so the "down" fault can really close
 * it (connections are refused) and a later restart binds the SAME port again.
 * The raw request target comes from MHD's URI log callback, before MHD parses
 * or decodes anything, so query arguments keep their order, duplicates and
 * encoded keys. Handlers are two-phase (nothing is queued on the first call)
 * so keep-alive connections are reused. With --tls-cert/--tls-key the
 * service listener speaks HTTPS (the control listener stays plain). Not for
 * production: no limits beyond a 64 MiB body cap.
 */
#include "fakehttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/fsutil.h"
#include "core/rng.h"
#include "core/xalloc.h"

#define BODY_MAX (64u * 1024 * 1024)
#define RECORD_BODY_MAX (64u * 1024)
/* Per-connection buffer for the request line and headers: long edit URLs
 * (hundreds of tags) must fit. */
#define CONN_MEMORY (1024u * 1024)

struct fake_server {
	struct fake_server_config cfg;
	int verbose;
	char *tls_cert; /* PEM text: the service speaks HTTPS */
	char *tls_key;

	pthread_mutex_t model_mu; /* the fake's data model */
	pthread_mutex_t log_mu;   /* requests */
	json_t *requests;         /* array */
	json_t *counts;           /* method -> requests seen (log_mu) */
	long total;               /* requests seen (log_mu) */
	long log_max;             /* log entries kept at most, -1 all */
	long latency_ms;          /* per service request (log_mu) */
	long in_flight;           /* service requests being handled (log_mu) */
	long max_in_flight;       /* most at once since the log was cleared */

	pthread_mutex_t daemon_mu; /* serialises service start/stop */
	struct MHD_Daemon *svc;    /* NULL while "down" */
	int port;
	struct MHD_Daemon *ctl;
	int ctl_port;

	pthread_mutex_t fault_mu;
	pthread_cond_t fault_cv;
	struct fake_fault fault;
	struct s2p_rng fault_rng; /* probability draws */
	double fault_deadline;    /* monotonic; 0 = none */
	unsigned long fault_gen;  /* bumped on every change */
	unsigned long svc_gen;    /* bumped on every service stop */
	int stopping;
	pthread_t supervisor;
	int supervisor_started;

	int quit_pipe[2];
};

/* Per-request context, created by the URI log callback. */
struct reqctx {
	char *raw_uri;
	int started;
	int too_big;
	struct s2p_buf body;
};

static const char *const fault_names[] = {"none", "down", "status", "slow",
    "hang", "truncate", "reject_token", "body", "oversize"};

static volatile sig_atomic_t sig_fd = -1;

/* --- small helpers -------------------------------------------------- */

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An absolute CLOCK_REALTIME timespec secs from now (for cond waits). */
static struct timespec
abs_after(double secs)
{
	struct timespec ts;
	double t = wall_now() + (secs > 0 ? secs : 0);

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
fake_url_decode(const char *s, size_t n, int plus_space)
{
	char *out = s2p_xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

void
fake_query_parse(const char *query, struct fake_arg **out, size_t *n)
{
	const char *p = query ? query : "";
	size_t cap = 8;

	*out = s2p_xcalloc(cap, sizeof(**out));
	*n = 0;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (len > 0) {
			if (*n == cap) {
				cap *= 2;
				*out = s2p_xrealloc(*out, cap * sizeof(**out));
			}
			if (eq) {
				(*out)[*n].key = fake_url_decode(p,
				    (size_t)(eq - p), 1);
				(*out)[*n].value = fake_url_decode(eq + 1,
				    len - (size_t)(eq - p) - 1, 1);
			} else {
				(*out)[*n].key = fake_url_decode(p, len, 1);
				(*out)[*n].value = s2p_xstrdup("");
			}
			(*n)++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
}

void
fake_args_free(struct fake_arg *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(args[i].key);
		free(args[i].value);
	}
	free(args);
}

static int
in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcasecmp(*list, s) == 0)
			return 1;
	return 0;
}

/* The raw query with every secret argument removed; caller frees. */
static char *
strip_query(const struct fake_server *s, const char *query)
{
	struct s2p_buf b;
	const char *p = query;

	s2p_buf_init(&b, 0);
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char *key = fake_url_decode(p, eq ? (size_t)(eq - p) : len, 1);

		if (len > 0 && !in_list(s->cfg.secret_args, key)) {
			if (b.len && s2p_buf_add(&b, "&", 1) != S2P_OK)
				abort();
			if (s2p_buf_add(&b, p, len) != S2P_OK)
				abort();
		}
		free(key);
		p += len;
		if (*p == '&')
			p++;
	}
	return s2p_buf_take(&b);
}

/* --- requests and responses ----------------------------------------- */

const char *
fake_req_header(const struct fake_req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
fake_req_arg(const struct fake_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].key, key) == 0)
			return r->args[i].value;
	return NULL;
}

static void
resp_init(struct fake_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 404;
	r->content_type = s2p_xstrdup("text/plain");
	s2p_buf_init(&r->body, 0);
	r->token_ok = -1;
}

static void
resp_free(struct fake_resp *r)
{
	free(r->content_type);
	s2p_buf_free(&r->body);
	s2p_strv_free(&r->hdr_names);
	s2p_strv_free(&r->hdr_values);
}

void
fake_resp_set(struct fake_resp *r, int status, const char *ctype,
    const char *body)
{
	r->status = status;
	free(r->content_type);
	r->content_type = s2p_xstrdup(ctype);
	fake_resp_body(r, body ? body : "", body ? strlen(body) : 0);
}

void
fake_resp_body(struct fake_resp *r, const void *data, size_t len)
{
	s2p_buf_reset(&r->body);
	if (s2p_buf_add(&r->body, data, len) != S2P_OK)
		abort();
}

void
fake_resp_header(struct fake_resp *r, const char *name, const char *value)
{
	s2p_strv_push(&r->hdr_names, name);
	s2p_strv_push(&r->hdr_values, value);
}

/* Append to the writer's text; out of memory aborts (a fake has no
 * better answer). */
static void
jout_add(struct s2p_buf *o, const char *s, size_t n)
{
	if (s2p_buf_add(o, s, n) != S2P_OK)
		abort();
}

void
fake_json_str(struct s2p_buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;

	jout_add(o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		const char *e = NULL;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jout_add(o, s + run, i - run);
		run = i + 1;
		e = c == '"'    ? "\\\""
		    : c == '\\' ? "\\\\"
		    : c == '\n' ? "\\n"
		    : c == '\r' ? "\\r"
		    : c == '\t' ? "\\t"
		    : c == '\b' ? "\\b"
		    : c == '\f' ? "\\f"
				: NULL;
		if (e != NULL)
			jout_add(o, e, 2);
		else
			jout_add(o, esc, 6);
	}
	jout_add(o, s + run, n - run);
	jout_add(o, "\"", 1);
}

/* Compact JSON of j, keys in insertion order: what json_dumps(j,
 * JSON_COMPACT) writes, several times faster (a 100-scene findScenes reply
 * is written per request; real numbers still go through jansson). */
static void
jout_value(struct s2p_buf *o, json_t *j)
{
	const char *k;
	json_t *v;
	size_t i, first = 1;
	char num[32];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		jout_add(o, "{", 1);
		json_object_foreach(j, k, v)
		{
			if (!first)
				jout_add(o, ",", 1);
			first = 0;
			fake_json_str(o, k, strlen(k));
			jout_add(o, ":", 1);
			jout_value(o, v);
		}
		jout_add(o, "}", 1);
		break;
	case JSON_ARRAY:
		jout_add(o, "[", 1);
		json_array_foreach(j, i, v)
		{
			if (i > 0)
				jout_add(o, ",", 1);
			jout_value(o, v);
		}
		jout_add(o, "]", 1);
		break;
	case JSON_STRING:
		fake_json_str(o, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		jout_add(o, num, strlen(num));
		break;
	case JSON_REAL: {
		char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

		jout_add(o, t ? t : "null", t ? strlen(t) : 4);
		free(t);
		break;
	}
	case JSON_TRUE:
		jout_add(o, "true", 4);
		break;
	case JSON_FALSE:
		jout_add(o, "false", 5);
		break;
	default:
		jout_add(o, "null", 4);
	}
}

void
fake_resp_json(struct fake_resp *r, int status, json_t *j)
{
	struct s2p_buf o;

	s2p_buf_init(&o, 0);
	if (j != NULL)
		jout_value(&o, j);
	fake_resp_set(r, status, "application/json", o.len ? o.data : "null");
	s2p_buf_free(&o);
	json_decref(j);
}

/* --- options -------------------------------------------------------- */

void
fake_opts_init(struct fake_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->root = s2p_xstrdup("/data/videos");
	o->log_max = -1;
}

void
fake_opts_free(struct fake_opts *o)
{
	free(o->port_file);
	free(o->control_port_file);
	free(o->root);
	free(o->tls_cert);
	free(o->tls_key);
	memset(o, 0, sizeof(*o));
}

const char *
fake_opt_value(int argc, char **argv, int *i, const char *name, int *bad)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return NULL;
	if (a[2 + n] == '=') {
		(*i)++;
		return a + 3 + n;
	}
	if (a[2 + n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "option --%s needs a value\n", name);
		*bad = 1;
		(*i)++;
		return NULL;
	}
	*i += 2;
	return argv[*i - 1];
}

static int
parse_num(const char *flag, const char *v, long long lo, long long hi,
    long long *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		fprintf(stderr, "option --%s: bad number '%s'\n", flag, v);
		return -1;
	}
	*out = x;
	return 0;
}

int
fake_opts_parse(struct fake_opts *o, int argc, char **argv, int *i)
{
	const char *v;
	long long x;
	int bad = 0;

	if (strcmp(argv[*i], "--verbose") == 0) {
		o->verbose = 1;
		(*i)++;
		return 1;
	}
	if ((v = fake_opt_value(argc, argv, i, "port", &bad))) {
		if (parse_num("port", v, 0, 65535, &x))
			return -1;
		o->port = (long)x;
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "tls-cert", &bad))) {
		free(o->tls_cert);
		o->tls_cert = s2p_xstrdup(v);
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "tls-key", &bad))) {
		free(o->tls_key);
		o->tls_key = s2p_xstrdup(v);
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "port-file", &bad))) {
		free(o->port_file);
		o->port_file = s2p_xstrdup(v);
		return 1;
	}
	if (!bad &&
	    (v = fake_opt_value(argc, argv, i, "control-port-file", &bad))) {
		free(o->control_port_file);
		o->control_port_file = s2p_xstrdup(v);
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "scenes", &bad))) {
		if (parse_num("scenes", v, 0, 10000000, &x))
			return -1;
		o->scenes = (size_t)x;
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "seed", &bad))) {
		if (parse_num("seed", v, 0, INT64_MAX, &x))
			return -1;
		o->seed = (uint64_t)x;
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "latency-ms", &bad))) {
		if (parse_num("latency-ms", v, 0, 60000, &x))
			return -1;
		o->latency_ms = (long)x;
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "log-max", &bad))) {
		if (parse_num("log-max", v, -1, 100000000, &x))
			return -1;
		o->log_max = (long)x;
		return 1;
	}
	if (!bad && (v = fake_opt_value(argc, argv, i, "root", &bad))) {
		free(o->root);
		o->root = s2p_xstrdup(v);
		return 1;
	}
	return bad ? -1 : 0;
}

/* --- faults --------------------------------------------------------- */

int
fake_fault_from_json(struct fake_fault *f, const char *text,
    struct s2p_error *err)
{
	json_error_t je;
	json_t *j = json_loads(text ? text : "", 0, &je);
	json_t *v;
	size_t i;
	int rc = S2P_OK;

	memset(f, 0, sizeof(*f));
	f->status = 503;
	if (!j || !json_is_object(j)) {
		rc = s2p_error_set(err, S2P_EINVAL, "fault: not a JSON object");
		goto out;
	}
	v = json_object_get(j, "mode");
	if (!json_is_string(v)) {
		rc = s2p_error_set(err, S2P_EINVAL, "fault: mode missing");
		goto out;
	}
	for (i = 0; i < S2P_ARRAY_LEN(fault_names); i++)
		if (strcmp(json_string_value(v), fault_names[i]) == 0)
			break;
	if (i == S2P_ARRAY_LEN(fault_names)) {
		rc = s2p_error_set(err, S2P_EINVAL, "fault: unknown mode '%s'",
		    json_string_value(v));
		goto out;
	}
	f->mode = (enum fake_fault_mode)i;
	if (f->mode == FAKE_FAULT_BODY)
		f->status = 200;
	snprintf(f->content_type, sizeof(f->content_type), "%s",
	    "application/json");
	f->size = 80L * 1024 * 1024;
	v = json_object_get(j, "body");
	if (json_is_string(v))
		snprintf(f->body, sizeof(f->body), "%s", json_string_value(v));
	v = json_object_get(j, "content_type");
	if (json_is_string(v))
		snprintf(f->content_type, sizeof(f->content_type), "%s",
		    json_string_value(v));
	v = json_object_get(j, "size");
	if (json_is_integer(v) && json_integer_value(v) > 16)
		f->size = (long)json_integer_value(v);
	v = json_object_get(j, "status");
	if (json_is_integer(v))
		f->status = (int)json_integer_value(v);
	if (f->status < 100 || f->status > 599) {
		rc = s2p_error_set(err, S2P_EINVAL, "fault: bad status");
		goto out;
	}
	v = json_object_get(j, "delay_ms");
	if (json_is_number(v))
		f->delay_ms = (long)json_number_value(v);
	v = json_object_get(j, "seconds");
	if (json_is_number(v))
		f->seconds = json_number_value(v);
	v = json_object_get(j, "count");
	if (json_is_integer(v))
		f->count = (long)json_integer_value(v);
	v = json_object_get(j, "probability");
	if (json_is_number(v))
		f->probability = json_number_value(v);
	if (f->probability < 0 || f->probability > 1) {
		rc = s2p_error_set(err, S2P_EINVAL, "fault: bad probability");
		goto out;
	}
	f->seed = 1;
	v = json_object_get(j, "seed");
	if (json_is_integer(v))
		f->seed = (uint64_t)json_integer_value(v);
	v = json_object_get(j, "path_prefix");
	if (json_is_string(v))
		snprintf(f->path_prefix, sizeof(f->path_prefix), "%s",
		    json_string_value(v));
	v = json_object_get(j, "method");
	if (json_is_string(v))
		snprintf(f->method, sizeof(f->method), "%s",
		    json_string_value(v));
	v = json_object_get(j, "query_key");
	if (json_is_string(v))
		snprintf(f->query_key, sizeof(f->query_key), "%s",
		    json_string_value(v));
out:
	json_decref(j);
	return rc;
}

static json_t *
fault_to_json(const struct fake_fault *f, double remaining)
{
	return json_pack("{s:s, s:i, s:I, s:f, s:I, s:f, s:s, s:s, s:s, s:f}",
	    "mode", fault_names[f->mode], "status", f->status, "delay_ms",
	    (json_int_t)f->delay_ms, "seconds", f->seconds, "count",
	    (json_int_t)f->count, "probability", f->probability, "path_prefix",
	    f->path_prefix, "method", f->method, "query_key", f->query_key,
	    "remaining", remaining);
}

/* --- service listener ----------------------------------------------- */

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *con);
static void completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe);
/* The "oversize" fault: 200 with {"pad":"xxx..."} of f->size bytes. */
static void
oversize_body(struct fake_resp *resp, const struct fake_fault *f)
{
	size_t n = (size_t)f->size;
	char *b = s2p_xmalloc(n);

	memset(b, 'x', n);
	memcpy(b, "{\"pad\":\"", 8);
	memcpy(b + n - 2, "\"}", 2);
	fake_resp_set(resp, 200, f->content_type, NULL);
	fake_resp_body(resp, b, n);
	free(b);
}

static enum MHD_Result service_cb(void *cls, struct MHD_Connection *con,
    const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls);
static enum MHD_Result control_cb(void *cls, struct MHD_Connection *con,
    const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls);

/* A listening TCP socket on 127.0.0.1:port (0 = ephemeral); *bound gets the
 * real port. Returns the fd or -1 with err set. */
static int
listen_on(int port, int *bound, struct s2p_error *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return s2p_error_set(err, S2P_EIO, "socket: %s",
			   strerror(errno)),
		       -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		s2p_error_set(err, S2P_EIO, "cannot listen on 127.0.0.1:%d: %s",
		    port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* Start a daemon on fd; tls: the service listener with a certificate
 * (HTTPS), never the control listener. */
static struct MHD_Daemon *
daemon_on(struct fake_server *s, int fd, MHD_AccessHandlerCallback cb, int tls)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC;

	if (tls && s->tls_cert != NULL)
		return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, cb,
		    s, MHD_OPTION_LISTEN_SOCKET, fd,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
		    MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
		    MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert, MHD_OPTION_END);
	return MHD_start_daemon(flags, 0, NULL, NULL, cb, s,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONN_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s, MHD_OPTION_END);
}

/* Start the service daemon on s->port (daemon_mu held). */
static int
service_start(struct fake_server *s, struct s2p_error *err)
{
	int fd, bound = 0, tries;

	/* A just-closed port may take a moment to become bindable. */
	for (tries = 0;; tries++) {
		fd = listen_on(s->port, &bound, err);
		if (fd >= 0 || tries >= 100 || s->port == 0)
			break;
		usleep(20000);
	}
	if (fd < 0)
		return err ? err->code : S2P_EIO;
	s->svc = daemon_on(s, fd, service_cb, 1);
	if (!s->svc) {
		close(fd);
		return s2p_error_set(err, S2P_EIO, "MHD_start_daemon failed");
	}
	s->port = bound;
	return S2P_OK;
}

/* Stop the service daemon so connections are refused (daemon_mu held).
 * Wakes hanging and sleeping handlers first so MHD can join them. */
static void
service_stop(struct fake_server *s)
{
	MHD_socket fd;

	if (!s->svc)
		return;
	fd = MHD_quiesce_daemon(s->svc);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	pthread_mutex_lock(&s->fault_mu);
	s->svc_gen++;
	pthread_cond_broadcast(&s->fault_cv);
	pthread_mutex_unlock(&s->fault_mu);
	MHD_stop_daemon(s->svc);
	s->svc = NULL;
}

/* Install f when expect_gen is 0 or still the current generation, then
 * bring the service down or up as the new mode wants. */
static void
set_fault_gen(struct fake_server *s, const struct fake_fault *f,
    unsigned long expect_gen)
{
	int down;

	pthread_mutex_lock(&s->daemon_mu);
	pthread_mutex_lock(&s->fault_mu);
	if (expect_gen && expect_gen != s->fault_gen) {
		pthread_mutex_unlock(&s->fault_mu);
		pthread_mutex_unlock(&s->daemon_mu);
		return;
	}
	s->fault = *f;
	s2p_rng_seed(&s->fault_rng, f->seed ? f->seed : 1);
	s->fault_deadline = f->seconds > 0 ? mono_now() + f->seconds : 0;
	s->fault_gen++;
	pthread_cond_broadcast(&s->fault_cv);
	down = f->mode == FAKE_FAULT_DOWN;
	pthread_mutex_unlock(&s->fault_mu);
	if (down && s->svc) {
		service_stop(s);
	} else if (!down && !s->svc && !s->stopping) {
		struct s2p_error e;

		if (service_start(s, &e) != S2P_OK)
			fprintf(stderr, "%s: cannot restart: %s\n",
			    s->cfg.name ? s->cfg.name : "fake", e.msg);
	}
	if (s->verbose)
		fprintf(stderr, "%s: fault %s\n",
		    s->cfg.name ? s->cfg.name : "fake", fault_names[f->mode]);
	pthread_mutex_unlock(&s->daemon_mu);
}

void
fake_server_set_fault(struct fake_server *s, const struct fake_fault *f)
{
	set_fault_gen(s, f, 0);
}

/* Ends timed faults (seconds > 0) when they expire. */
static void *
supervisor_main(void *arg)
{
	struct fake_server *s = arg;
	struct fake_fault none;

	memset(&none, 0, sizeof(none));
	none.status = 503;
	pthread_mutex_lock(&s->fault_mu);
	while (!s->stopping) {
		if (s->fault_deadline > 0) {
			double left = s->fault_deadline - mono_now();

			if (left <= 0) {
				unsigned long g = s->fault_gen;

				pthread_mutex_unlock(&s->fault_mu);
				set_fault_gen(s, &none, g);
				pthread_mutex_lock(&s->fault_mu);
				continue;
			} else {
				struct timespec ts = abs_after(left);

				pthread_cond_timedwait(&s->fault_cv,
				    &s->fault_mu, &ts);
			}
		} else {
			pthread_cond_wait(&s->fault_cv, &s->fault_mu);
		}
	}
	pthread_mutex_unlock(&s->fault_mu);
	return NULL;
}

/* The fault that applies to this request, consuming one "count" hit. */
/* 1 when req has a query argument whose key starts with prefix. */
static int
has_query_key(const struct fake_req *req, const char *prefix)
{
	size_t i;

	for (i = 0; i < req->nargs; i++)
		if (strncmp(req->args[i].key, prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static struct fake_fault
fault_for(struct fake_server *s, const struct fake_req *req, unsigned long *gen)
{
	const char *method = req->method, *path = req->path;
	struct fake_fault f;

	pthread_mutex_lock(&s->fault_mu);
	f = s->fault;
	*gen = s->fault_gen;
	if (s->fault_deadline > 0 && mono_now() >= s->fault_deadline)
		f.mode = FAKE_FAULT_NONE;
	if (f.path_prefix[0] &&
	    strncmp(path, f.path_prefix, strlen(f.path_prefix)) != 0)
		f.mode = FAKE_FAULT_NONE;
	if (f.method[0] && strcasecmp(f.method, method) != 0)
		f.mode = FAKE_FAULT_NONE;
	if (f.query_key[0] && !has_query_key(req, f.query_key))
		f.mode = FAKE_FAULT_NONE;
	if (f.mode != FAKE_FAULT_NONE && f.probability > 0 &&
	    f.probability < 1 &&
	    s2p_rng_uniform(&s->fault_rng) >= f.probability)
		f.mode = FAKE_FAULT_NONE;
	if (f.mode != FAKE_FAULT_NONE && s->fault.count > 0 &&
	    --s->fault.count == 0) {
		s->fault.mode = FAKE_FAULT_NONE;
		s->fault_deadline = 0;
		s->fault_gen++;
		pthread_cond_broadcast(&s->fault_cv);
	}
	pthread_mutex_unlock(&s->fault_mu);
	return f;
}

/* Sleep ms unless the service is stopped meanwhile. */
static void
fault_sleep(struct fake_server *s, long ms)
{
	struct timespec ts = abs_after((double)ms / 1000.0);
	unsigned long g;

	pthread_mutex_lock(&s->fault_mu);
	g = s->svc_gen;
	while (!s->stopping && s->svc_gen == g)
		if (pthread_cond_timedwait(&s->fault_cv, &s->fault_mu, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->fault_mu);
}

/* Block until the fault generation moves on (the hang ended) or the
 * service stops. */
static void
fault_hang(struct fake_server *s, unsigned long gen)
{
	unsigned long g;

	pthread_mutex_lock(&s->fault_mu);
	g = s->svc_gen;
	while (!s->stopping && s->svc_gen == g && s->fault_gen == gen) {
		struct timespec ts = abs_after(0.2);

		pthread_cond_timedwait(&s->fault_cv, &s->fault_mu, &ts);
		/* An expiring hang is cleared by the supervisor, which bumps
		 * fault_gen; nothing else to check here. */
	}
	pthread_mutex_unlock(&s->fault_mu);
}

/* --- per-connection plumbing ---------------------------------------- */

static void *
uri_log_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct reqctx *ctx = s2p_xcalloc(1, sizeof(*ctx));

	(void)cls;
	(void)con;
	ctx->raw_uri = s2p_xstrdup(uri ? uri : "/");
	s2p_buf_init(&ctx->body, BODY_MAX);
	return ctx;
}

static void
completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct reqctx *ctx = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (!ctx)
		return;
	free(ctx->raw_uri);
	s2p_buf_free(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

/* Two-phase upload collection. Returns 1 when the request is complete and
 * should be dispatched, 0 when MHD_YES must be returned to MHD. */
static int
collect(struct MHD_Connection *con, const char *url, const char *upload,
    size_t *upload_size, void **con_cls, struct reqctx **out)
{
	struct reqctx *ctx = *con_cls;

	(void)con;
	if (!ctx) {
		ctx = uri_log_cb(NULL, url, con);
		*con_cls = ctx;
	}
	*out = ctx;
	if (!ctx->started) {
		ctx->started = 1;
		return 0;
	}
	if (*upload_size) {
		if (!ctx->too_big &&
		    s2p_buf_add(&ctx->body, upload, *upload_size) != S2P_OK)
			ctx->too_big = 1;
		*upload_size = 0;
		return 0;
	}
	return 1;
}

struct hdr_walk {
	const struct fake_server *s;
	json_t *obj;
};

static enum MHD_Result
hdr_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_walk *w = cls;

	(void)kind;
	if (strcasecmp(key, "Cookie") == 0 ||
	    strcasecmp(key, "Authorization") == 0 ||
	    in_list(w->s->cfg.secret_headers, key))
		return MHD_YES;
	json_object_set_new(w->obj, key, json_string(value ? value : ""));
	return MHD_YES;
}

/* Does body look like text worth recording? */
static int
is_text(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t'))
			return 0;
	}
	return 1;
}

/* Count a request by method; 1 when the log keeps an entry for it. */
static int
count_request(struct fake_server *s, const char *method)
{
	json_t *n;
	int keep;

	pthread_mutex_lock(&s->log_mu);
	s->total++;
	n = json_object_get(s->counts, method);
	json_object_set_new(s->counts, method,
	    json_integer(json_integer_value(n) + 1));
	keep = s->log_max < 0 ||
	    json_array_size(s->requests) < (size_t)s->log_max;
	pthread_mutex_unlock(&s->log_mu);
	return keep;
}

static void
record(struct fake_server *s, const struct fake_req *req, int status,
    int token_ok, const char *fault)
{
	json_t *e;
	char *q;
	struct hdr_walk w;

	if (!count_request(s, req->method))
		return;
	e = json_object();
	q = strip_query(s, req->query);
	w.s = s;
	w.obj = json_object();

	json_object_set_new(e, "method", json_string(req->method));
	json_object_set_new(e, "path", json_string(req->path));
	json_object_set_new(e, "query", json_string(q));
	json_object_set_new(e, "status", json_integer(status));
	if (token_ok >= 0)
		json_object_set_new(e, "token_ok", json_boolean(token_ok));
	if (fault)
		json_object_set_new(e, "fault", json_string(fault));
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, hdr_iter, &w);
	json_object_set_new(e, "headers", w.obj);
	json_object_set_new(e, "body_len",
	    json_integer((json_int_t)req->body_len));
	if (s->cfg.record_bodies && req->body_len &&
	    req->body_len <= RECORD_BODY_MAX &&
	    is_text(req->body, req->body_len))
		json_object_set_new(e, "body",
		    json_stringn(req->body, req->body_len));
	json_object_set_new(e, "time", json_real(wall_now()));
	if (s->verbose)
		fprintf(stderr, "%s: %s %s%s%s -> %d\n",
		    s->cfg.name ? s->cfg.name : "fake", req->method, req->path,
		    q[0] ? "?" : "", q, status);
	free(q);
	pthread_mutex_lock(&s->log_mu);
	json_array_append_new(s->requests, e);
	pthread_mutex_unlock(&s->log_mu);
}

/* Truncated-body reader: serves the first half, then fails. */
struct trunc {
	char *data;
	size_t len;
};

static ssize_t
trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trunc *t = cls;
	size_t n;

	if (pos >= t->len)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t)n;
}

static void
trunc_free(void *cls)
{
	struct trunc *t = cls;

	free(t->data);
	free(t);
}

/* Hand resp to MHD. With truncate, declare the full length but send only
 * the first half of the body, then drop the connection. */
static enum MHD_Result
send_resp(struct MHD_Connection *con, const struct fake_resp *resp,
    int truncate)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	if (truncate) {
		struct trunc *t = s2p_xcalloc(1, sizeof(*t));
		size_t full = resp->body.len ? resp->body.len : 64;

		t->len = resp->body.len / 2;
		t->data = s2p_xstrndup(resp->body.data ? resp->body.data : "",
		    t->len);
		r = MHD_create_response_from_callback(full, 4096, trunc_read, t,
		    trunc_free);
	} else {
		r = MHD_create_response_from_buffer(resp->body.len,
		    resp->body.data ? resp->body.data : (void *)"",
		    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    resp->content_type);
	for (i = 0; i < resp->hdr_names.n; i++)
		MHD_add_response_header(r, resp->hdr_names.v[i],
		    resp->hdr_values.v[i]);
	ret = MHD_queue_response(con, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Split ctx->raw_uri into path and query and fill req (caller frees the
 * returned path and args). */
static void
req_fill(struct fake_req *req, struct reqctx *ctx, const char *method,
    struct MHD_Connection *con, char **path, struct fake_arg **args)
{
	const char *q = strchr(ctx->raw_uri, '?');
	size_t plen = q ? (size_t)(q - ctx->raw_uri) : strlen(ctx->raw_uri);

	memset(req, 0, sizeof(*req));
	*path = fake_url_decode(ctx->raw_uri, plen, 0);
	req->method = method;
	req->path = *path;
	req->query = q ? q + 1 : "";
	fake_query_parse(req->query, args, &req->nargs);
	req->args = *args;
	req->body = ctx->body.data ? ctx->body.data : "";
	req->body_len = ctx->body.len;
	req->conn = con;
}

static void
plain_error(int status, struct fake_resp *resp)
{
	char *b = s2p_xasprintf("%d\n", status);

	fake_resp_set(resp, status, "text/plain", b);
	free(b);
}

/* Count a request in (+1) or out (-1) of its handling, keeping the most
 * seen at once: a client's concurrency, as the server saw it. */
static void
in_flight(struct fake_server *s, int d)
{
	pthread_mutex_lock(&s->log_mu);
	s->in_flight += d;
	if (s->in_flight > s->max_in_flight)
		s->max_in_flight = s->in_flight;
	pthread_mutex_unlock(&s->log_mu);
}

/* The fixed latency of a service request (like a real server's work),
 * slept outside the model mutex so concurrent requests overlap. */
static void
latency(struct fake_server *s)
{
	struct timespec ts;
	long ms;

	pthread_mutex_lock(&s->log_mu);
	ms = s->latency_ms;
	pthread_mutex_unlock(&s->log_mu);
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static enum MHD_Result
service_cb(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct fake_server *s = cls;
	struct reqctx *ctx;
	struct fake_req req;
	struct fake_resp resp;
	struct fake_arg *args = NULL;
	struct fake_fault f;
	unsigned long gen;
	char *path = NULL;
	enum MHD_Result ret;
	int truncate = 0;

	(void)version;
	if (!collect(con, url, upload, upload_size, con_cls, &ctx))
		return MHD_YES;
	req_fill(&req, ctx, method, con, &path, &args);
	resp_init(&resp);
	f = fault_for(s, &req, &gen);
	if (f.mode == FAKE_FAULT_DOWN) {
		ret = MHD_NO;
		goto out;
	}
	if (f.mode == FAKE_FAULT_HANG) {
		fault_hang(s, gen);
		record(s, &req, 0, -1, "hang");
		ret = MHD_NO;
		goto out;
	}
	if (f.mode != FAKE_FAULT_NONE && f.delay_ms > 0)
		fault_sleep(s, f.delay_ms);
	in_flight(s, 1);
	latency(s);
	pthread_mutex_lock(&s->model_mu);
	if (ctx->too_big) {
		plain_error(413, &resp);
	} else if (f.mode == FAKE_FAULT_STATUS ||
	    f.mode == FAKE_FAULT_REJECT_TOKEN) {
		int st = f.mode == FAKE_FAULT_STATUS ? f.status : 401;

		if (s->cfg.error)
			s->cfg.error(st, &req, &resp, s->cfg.payload);
		else
			plain_error(st, &resp);
		resp.status = st;
		if (f.mode == FAKE_FAULT_REJECT_TOKEN)
			resp.token_ok = 0;
	} else if (f.mode == FAKE_FAULT_BODY) {
		fake_resp_set(&resp, f.status, f.content_type, f.body);
	} else if (f.mode == FAKE_FAULT_OVERSIZE) {
		oversize_body(&resp, &f);
	} else {
		s->cfg.handler(&req, &resp, s->cfg.payload);
		truncate = f.mode == FAKE_FAULT_TRUNCATE;
	}
	pthread_mutex_unlock(&s->model_mu);
	in_flight(s, -1);
	record(s, &req, resp.status, resp.token_ok,
	    f.mode == FAKE_FAULT_NONE ? NULL : fault_names[f.mode]);
	ret = send_resp(con, &resp, truncate);
out:
	resp_free(&resp);
	fake_args_free(args, req.nargs);
	free(path);
	return ret;
}

/* --- control listener ----------------------------------------------- */

static enum MHD_Result
control_cb(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct fake_server *s = cls;
	struct reqctx *ctx;
	struct fake_req req;
	struct fake_resp resp;
	struct fake_arg *args = NULL;
	char *path = NULL;
	enum MHD_Result ret;
	int get, post;

	(void)version;
	if (!collect(con, url, upload, upload_size, con_cls, &ctx))
		return MHD_YES;
	req_fill(&req, ctx, method, con, &path, &args);
	resp_init(&resp);
	get = strcmp(method, "GET") == 0;
	post = strcmp(method, "POST") == 0;
	if (strcmp(req.path, "/requests") == 0 && get) {
		fake_resp_json(&resp, 200, fake_server_requests(s));
	} else if (strcmp(req.path, "/requests") == 0 &&
	    strcmp(method, "DELETE") == 0) {
		pthread_mutex_lock(&s->log_mu);
		json_array_clear(s->requests);
		json_object_clear(s->counts);
		s->total = 0;
		s->max_in_flight = s->in_flight;
		pthread_mutex_unlock(&s->log_mu);
		fake_resp_json(&resp, 200, json_object());
	} else if (strcmp(req.path, "/requests/count") == 0 && get) {
		pthread_mutex_lock(&s->log_mu);
		fake_resp_json(&resp, 200,
		    json_pack("{s:I, s:O, s:I}", "total", (json_int_t)s->total,
			"methods", s->counts, "max_in_flight",
			(json_int_t)s->max_in_flight));
		pthread_mutex_unlock(&s->log_mu);
	} else if (strcmp(req.path, "/latency") == 0 && post) {
		json_t *j = json_loads(req.body, 0, NULL);
		json_t *ms = json_object_get(j, "ms");

		if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
		    json_integer_value(ms) > 60000) {
			fake_resp_json(&resp, 400,
			    json_pack("{s:s}", "error",
				"want {\"ms\": 0..60000}"));
		} else {
			pthread_mutex_lock(&s->log_mu);
			s->latency_ms = (long)json_integer_value(ms);
			pthread_mutex_unlock(&s->log_mu);
			fake_resp_json(&resp, 200, json_object());
		}
		json_decref(j);
	} else if (strcmp(req.path, "/fault") == 0 && post) {
		struct fake_fault f;
		struct s2p_error e;

		if (fake_fault_from_json(&f, req.body, &e) != S2P_OK) {
			fake_resp_json(&resp, 400,
			    json_pack("{s:s}", "error", e.msg));
		} else {
			fake_server_set_fault(s, &f);
			fake_resp_json(&resp, 200,
			    json_pack("{s:i}", "port", s->port));
		}
	} else if (strcmp(req.path, "/fault") == 0 && get) {
		double left;
		struct fake_fault f;

		pthread_mutex_lock(&s->fault_mu);
		f = s->fault;
		left = s->fault_deadline > 0 ? s->fault_deadline - mono_now()
					     : 0;
		pthread_mutex_unlock(&s->fault_mu);
		fake_resp_json(&resp, 200, fault_to_json(&f, left));
	} else if (strcmp(req.path, "/quit") == 0 && post) {
		fake_resp_json(&resp, 200, json_object());
		fake_server_quit(s);
	} else if (strcmp(req.path, "/state") == 0 && get) {
		json_t *j;

		pthread_mutex_lock(&s->model_mu);
		j = s->cfg.state ? s->cfg.state(s->cfg.payload) : json_object();
		pthread_mutex_unlock(&s->model_mu);
		fake_resp_json(&resp, 200, j);
	} else {
		int done = 0;

		pthread_mutex_lock(&s->model_mu);
		if (s->cfg.control)
			done = s->cfg.control(&req, &resp, s->cfg.payload);
		pthread_mutex_unlock(&s->model_mu);
		if (!done)
			fake_resp_json(&resp, 404,
			    json_pack("{s:s}", "error",
				"no such control endpoint"));
	}
	ret = send_resp(con, &resp, 0);
	resp_free(&resp);
	fake_args_free(args, req.nargs);
	free(path);
	return ret;
}

/* --- lifecycle ------------------------------------------------------ */

static int
write_port(const char *file, int port, struct s2p_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", port);

	if (!file)
		return S2P_OK;
	return s2p_write_atomic(file, buf, (size_t)n, 0644, err);
}

/* Read --tls-cert/--tls-key into memory (MHD takes PEM text). */
static int
load_tls(struct fake_server *s, const struct fake_opts *o,
    struct s2p_error *err)
{
	struct s2p_buf cert, key;
	int rc = S2P_OK, fd;

	if (o->tls_cert == NULL && o->tls_key == NULL)
		return S2P_OK;
	if (o->tls_cert == NULL || o->tls_key == NULL)
		return s2p_error_set(err, S2P_EINVAL,
		    "--tls-cert and --tls-key go together");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return s2p_error_set(err, S2P_EINVAL,
		    "this libmicrohttpd has no TLS support");
	s2p_buf_init(&cert, 1u << 20);
	s2p_buf_init(&key, 1u << 20);
	fd = open(o->tls_cert, O_RDONLY);
	if (fd < 0 || s2p_buf_read_fd(&cert, fd) != S2P_OK)
		rc = s2p_error_set(err, S2P_EIO, "cannot read %s", o->tls_cert);
	if (fd >= 0)
		close(fd);
	fd = rc == S2P_OK ? open(o->tls_key, O_RDONLY) : -1;
	if (rc == S2P_OK && (fd < 0 || s2p_buf_read_fd(&key, fd) != S2P_OK))
		rc = s2p_error_set(err, S2P_EIO, "cannot read %s", o->tls_key);
	if (fd >= 0)
		close(fd);
	if (rc == S2P_OK) {
		s->tls_cert = s2p_xstrndup(cert.data, cert.len);
		s->tls_key = s2p_xstrndup(key.data, key.len);
	}
	s2p_buf_free(&cert);
	s2p_buf_free(&key);
	return rc;
}

int
fake_server_start(struct fake_server **out,
    const struct fake_server_config *cfg, const struct fake_opts *opts,
    struct s2p_error *err)
{
	struct fake_server *s = s2p_xcalloc(1, sizeof(*s));
	int rc, fd;

	*out = NULL;
	s->cfg = *cfg;
	s->verbose = opts->verbose;
	s->latency_ms = opts->latency_ms;
	s->log_max = opts->log_max;
	s->counts = json_object();
	s->requests = json_array();
	s->port = (int)opts->port;
	s->fault.status = 503;
	s->quit_pipe[0] = s->quit_pipe[1] = -1;
	pthread_mutex_init(&s->model_mu, NULL);
	pthread_mutex_init(&s->log_mu, NULL);
	pthread_mutex_init(&s->daemon_mu, NULL);
	pthread_mutex_init(&s->fault_mu, NULL);
	pthread_cond_init(&s->fault_cv, NULL);
	if (pipe(s->quit_pipe) != 0) {
		rc = s2p_error_set(err, S2P_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	rc = load_tls(s, opts, err);
	if (rc != S2P_OK)
		goto fail;
	pthread_mutex_lock(&s->daemon_mu);
	rc = service_start(s, err);
	pthread_mutex_unlock(&s->daemon_mu);
	if (rc != S2P_OK)
		goto fail;
	fd = listen_on(0, &s->ctl_port, err);
	if (fd < 0) {
		rc = err ? err->code : S2P_EIO;
		goto fail;
	}
	s->ctl = daemon_on(s, fd, control_cb, 0);
	if (!s->ctl) {
		close(fd);
		rc = s2p_error_set(err, S2P_EIO, "MHD_start_daemon failed");
		goto fail;
	}
	if (pthread_create(&s->supervisor, NULL, supervisor_main, s) != 0) {
		rc = s2p_error_set(err, S2P_EIO, "pthread_create failed");
		goto fail;
	}
	s->supervisor_started = 1;
	rc = write_port(opts->port_file, s->port, err);
	if (rc == S2P_OK)
		rc = write_port(opts->control_port_file, s->ctl_port, err);
	if (rc != S2P_OK)
		goto fail;
	*out = s;
	return S2P_OK;
fail:
	fake_server_free(s);
	return rc;
}

static void
on_signal(int sig)
{
	int fd = sig_fd;
	char c = 'q';

	(void)sig;
	if (fd >= 0 && write(fd, &c, 1) < 0) {
		/* nothing useful to do in a signal handler */
	}
}

void
fake_server_wait(struct fake_server *s)
{
	struct sigaction sa;
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sig_fd = s->quit_pipe[1];
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (read(s->quit_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	sig_fd = -1;
	/* A POST /quit asked for this from a handler whose reply may not be
	 * on the wire yet: give it a moment before the daemons stop. */
	{
		struct timespec ts = {0, 100 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
}

void
fake_server_quit(struct fake_server *s)
{
	char c = 'q';

	if (write(s->quit_pipe[1], &c, 1) < 0) {
		/* the pipe is only closed in fake_server_free */
	}
}

void
fake_server_free(struct fake_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->fault_mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->fault_cv);
	pthread_mutex_unlock(&s->fault_mu);
	if (s->supervisor_started)
		pthread_join(s->supervisor, NULL);
	pthread_mutex_lock(&s->daemon_mu);
	service_stop(s);
	pthread_mutex_unlock(&s->daemon_mu);
	if (s->ctl)
		MHD_stop_daemon(s->ctl);
	json_decref(s->requests);
	json_decref(s->counts);
	if (s->quit_pipe[0] >= 0)
		close(s->quit_pipe[0]);
	if (s->quit_pipe[1] >= 0)
		close(s->quit_pipe[1]);
	pthread_cond_destroy(&s->fault_cv);
	pthread_mutex_destroy(&s->fault_mu);
	pthread_mutex_destroy(&s->daemon_mu);
	pthread_mutex_destroy(&s->log_mu);
	pthread_mutex_destroy(&s->model_mu);
	free(s->tls_cert);
	free(s->tls_key);
	free(s);
}

int
fake_server_port(const struct fake_server *s)
{
	return s->port;
}

int
fake_server_control_port(const struct fake_server *s)
{
	return s->ctl_port;
}

void
fake_server_lock(struct fake_server *s)
{
	pthread_mutex_lock(&s->model_mu);
}

void
fake_server_unlock(struct fake_server *s)
{
	pthread_mutex_unlock(&s->model_mu);
}

json_t *
fake_server_requests(struct fake_server *s)
{
	json_t *j;

	pthread_mutex_lock(&s->log_mu);
	j = json_deep_copy(s->requests);
	pthread_mutex_unlock(&s->log_mu);
	return j;
}
