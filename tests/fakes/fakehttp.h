/*
 * fakehttp.h - shared scaffolding of the fake servers (fake-plex,
 * fake-stash): a libmicrohttpd service listener on 127.0.0.1 with keep-alive,
 * whole-body collection before dispatch, raw query parsing (order and
 * duplicates kept), a request log with secrets stripped, a fault injector
 * (none/down/status/slow/hang/truncate/reject_token) and a second "control"
 * listener (GET/DELETE /requests, GET/POST /fault, GET /state, POST /quit)
 * that faults never touch. See README.md for the wire contract.
 *
 * Threading: every service and control handler runs with the server's model
 * mutex held, so a fake's data model needs no locking of its own. Faults
 * (delays, hangs) are applied outside that mutex.
 */
#ifndef FAKEHTTP_H
#define FAKEHTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"

/* One decoded query argument (form decoding: '+' is a space, %XX). */
struct fake_arg {
	char *key;
	char *value; /* "" when the piece had no '=' */
};

/* A request as a handler sees it. Everything is borrowed for the duration
 * of the handler call. */
struct fake_req {
	const char *method; /* "GET", "PUT", ... */
	const char *path;   /* percent-decoded path, no query */
	const char *query;  /* raw query string without '?', "" if none */
	const struct fake_arg *args; /* decoded query args, in wire order */
	size_t nargs;
	const char *body; /* NUL-terminated for convenience; may hold NULs */
	size_t body_len;
	void *conn; /* internal (struct MHD_Connection *) */
};

/* Request header by name (case-insensitive), or NULL. */
const char *fake_req_header(const struct fake_req *r, const char *name);
/* First query argument with this exact decoded key, or NULL. */
const char *fake_req_arg(const struct fake_req *r, const char *key);

/* The response a handler fills. Starts as 404 text/plain with empty body. */
struct fake_resp {
	int status;
	char *content_type; /* owned; NULL sends no Content-Type */
	struct s2p_buf body;
	struct s2p_strv hdr_names;
	struct s2p_strv hdr_values;
	int token_ok; /* -1 unknown (not recorded), 0 bad, 1 good */
};

/* Set status, content type (may be NULL) and body text (may be NULL). */
void fake_resp_set(struct fake_resp *r, int status, const char *ctype,
    const char *body);
/* Replace the body with len bytes. */
void fake_resp_body(struct fake_resp *r, const void *data, size_t len);
/* Add a response header (copied). */
void fake_resp_header(struct fake_resp *r, const char *name, const char *value);
/* 200-style JSON reply; takes ownership of j (NULL gives "null"). */
void fake_resp_json(struct fake_resp *r, int status, json_t *j);
/* Append s (n bytes of valid UTF-8) to o as a JSON string, escaped as
 * json_dumps escapes it: '"', '\\' and control characters. Aborts when
 * out of memory. */
void fake_json_str(struct s2p_buf *o, const char *s, size_t n);

/* Service handler: fill resp from req. Called with the model mutex held. */
typedef void (*fake_handler_fn)(const struct fake_req *req,
    struct fake_resp *resp, void *payload);
/* Build the body of an injected error: status is the fault's status, or
 * 401 for reject_token. Called with the model mutex held. */
typedef void (*fake_error_fn)(int status, const struct fake_req *req,
    struct fake_resp *resp, void *payload);
/* The whole model as JSON (new reference) for GET /state. */
typedef json_t *(*fake_state_fn)(void *payload);
/* Extra control endpoints: return 1 when handled (resp filled), 0 to let
 * the scaffolding answer 404. Called with the model mutex held. */
typedef int (*fake_control_fn)(const struct fake_req *req,
    struct fake_resp *resp, void *payload);

/* The shared command line (see README.md). */
struct fake_opts {
	long port;               /* --port, 0 = ephemeral */
	char *port_file;         /* --port-file */
	char *control_port_file; /* --control-port-file */
	size_t scenes;           /* --scenes */
	uint64_t seed;           /* --seed (default 1) */
	char *root;              /* --root (default /data/videos) */
	int verbose;             /* --verbose: log requests to stderr */
	char *tls_cert;          /* --tls-cert PEM file: service speaks HTTPS */
	char *tls_key;           /* --tls-key PEM file (with --tls-cert) */
	long latency_ms; /* --latency-ms: every service request waits this
			  * long before it is handled (outside the model
			  * mutex, so requests still overlap) */
	long log_max;    /* --log-max: keep at most this many request log
			  * entries (-1, the default: all); counts go on */
};

void fake_opts_init(struct fake_opts *o);
void fake_opts_free(struct fake_opts *o);
/* Try to consume the shared flag at argv[*i] ("--flag value" or
 * "--flag=value"). Returns 1 when consumed (*i advanced past its value),
 * 0 when argv[*i] is not a shared flag, -1 on a bad or missing value (a
 * message went to stderr). */
int fake_opts_parse(struct fake_opts *o, int argc, char **argv, int *i);
/* Match a fake-specific flag: when argv[*i] is --name (value in the next
 * word) or --name=value, advance *i and return the value (borrowed from
 * argv); otherwise NULL. A --name without value prints a message and
 * sets *bad. */
const char *fake_opt_value(int argc, char **argv, int *i, const char *name,
    int *bad);

/* A fault as POST /fault takes it (README.md). */
enum fake_fault_mode {
	FAKE_FAULT_NONE,
	FAKE_FAULT_DOWN,
	FAKE_FAULT_STATUS,
	FAKE_FAULT_SLOW,
	FAKE_FAULT_HANG,
	FAKE_FAULT_TRUNCATE,
	FAKE_FAULT_REJECT_TOKEN,
	FAKE_FAULT_BODY,     /* answer status with body/content_type */
	FAKE_FAULT_OVERSIZE, /* answer 200 with a JSON body of size bytes */
};

struct fake_fault {
	enum fake_fault_mode mode;
	int status;         /* for "status" (default 503) */
	long delay_ms;      /* "slow"; also delays status/truncate/reject */
	double seconds;     /* > 0: the fault ends by itself after this */
	long count;         /* > 0: the fault ends after this many hits */
	double probability; /* 0 or 1 = always; else the chance per request */
	uint64_t seed;      /* seeds the probability draws (default 1) */
	char path_prefix[256]; /* "" = every path */
	char method[16];       /* "" = every method */
	char query_key[64];    /* "" = every request; else only requests with a
				* query argument whose decoded key starts so */
	char body[4096];       /* "body": the reply's text */
	char
	    content_type[64]; /* "body"/"oversize" (default application/json) */
	long size;            /* "oversize": body bytes (default 80 MiB) */
};

struct fake_server_config {
	const char *name; /* "fake-plex", for messages */
	fake_handler_fn handler;
	fake_error_fn error;     /* NULL: plain-text bodies */
	fake_state_fn state;     /* NULL: GET /state gives {} */
	fake_control_fn control; /* NULL: no extra control endpoints */
	void *payload;
	/* NULL-terminated lists of query keys and header names that carry
	 * secrets: never recorded. Cookie and Authorization are always
	 * stripped. */
	const char *const *secret_args;
	const char *const *secret_headers;
	int record_bodies; /* record text bodies (<= 64 KiB) */
};

struct fake_server;

/* Start the service listener (on opts->port, 0 = ephemeral) and the control
 * listener (ephemeral), then write the port files. The caller frees *out
 * with fake_server_free. */
int fake_server_start(struct fake_server **out,
    const struct fake_server_config *cfg, const struct fake_opts *opts,
    struct s2p_error *err) S2P_NODISCARD;
/* Block until SIGTERM/SIGINT or POST /quit (installs signal handlers). */
void fake_server_wait(struct fake_server *s);
/* Ask fake_server_wait to return (as POST /quit does). */
void fake_server_quit(struct fake_server *s);
/* Stop both listeners and free everything. NULL is a no-op. */
void fake_server_free(struct fake_server *s);

int fake_server_port(const struct fake_server *s);
int fake_server_control_port(const struct fake_server *s);

/* Install (or with mode NONE, clear) a fault, as POST /fault does. Must not
 * be called with the model mutex held (it may stop the service listener,
 * which waits for running handlers). */
void fake_server_set_fault(struct fake_server *s, const struct fake_fault *f);
/* Parse a POST /fault JSON body into f. S2P_EINVAL on bad input. */
int fake_fault_from_json(struct fake_fault *f, const char *text,
    struct s2p_error *err) S2P_NODISCARD;

/* The model mutex (recursive is not needed: handlers already hold it). For
 * code outside handlers, e.g. tests poking the model. */
void fake_server_lock(struct fake_server *s);
void fake_server_unlock(struct fake_server *s);

/* The request log as GET /requests returns it (new reference). */
json_t *fake_server_requests(struct fake_server *s);

/* Form-decode s[0..n) ('+' is a space when plus_space, %XX); caller frees. */
char *fake_url_decode(const char *s, size_t n, int plus_space);
/* Parse a raw query string into args (caller frees with fake_args_free). */
void fake_query_parse(const char *query, struct fake_arg **out, size_t *n);
void fake_args_free(struct fake_arg *args, size_t n);

#endif
