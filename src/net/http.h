/*
 * http.h - the HTTP transport: one reusable libcurl easy handle per peer (so
 * keep-alive connections are reused), hard caps on response bodies, whole-
 * request timeouts, and the one place where transport failures and HTTP
 * statuses are turned into s2p status codes.
 */
#ifndef S2P_HTTP_H
#define S2P_HTTP_H

#include <signal.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/compat.h"
#include "core/err.h"

/* The timeout defaults of every client (Plex's can be changed by the
 * connect_timeout/read_timeout settings). */
#define S2P_HTTP_CONNECT_TIMEOUT_MS 5000L /* establishing a connection */
#define S2P_HTTP_TIMEOUT_MS 30000L        /* a whole request */
#define S2P_PROBE_TIMEOUT_MS 5000L        /* a health probe of Plex */

struct s2p_http;

struct s2p_http_opts {
	long connect_timeout_ms; /* default S2P_HTTP_CONNECT_TIMEOUT_MS */
	long timeout_ms;     /* whole request, default S2P_HTTP_TIMEOUT_MS */
	int insecure_tls;    /* skip certificate checks (Stash on loopback) */
	const char *ca_file; /* plex_ca_file or NULL; read by s2p_http_new */
};

struct s2p_http_req {
	const char *method;         /* "GET", "PUT", "POST", "HEAD", "DELETE" */
	const char *url;            /* must never embed a secret */
	const char *const *headers; /* NULL-terminated "Name: value" list */
	const void *body;           /* may be NULL */
	size_t body_len;
	long timeout_ms; /* 0: the handle's default */
	size_t max_body; /* 0: 64 MiB */
};

struct s2p_http_resp {
	long status;          /* HTTP status, 0 if none was received */
	struct s2p_buf body;  /* response body (capped) */
	double retry_after;   /* seconds, from Retry-After, else 0 */
	char *session_cookie; /* new value of a "session" Set-Cookie, or NULL */
	double elapsed_ms;
};

/* Abort every transfer in this process, within a fraction of a second,
 * once *flag becomes non-zero (a stop signal's flag; NULL: never). The
 * aborted request fails with S2P_ETEMP. Kept, not copied. */
void s2p_http_set_abort(volatile sig_atomic_t *flag);

int s2p_http_new(struct s2p_http **out, const struct s2p_http_opts *opts,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_http_free(struct s2p_http *h);

/* Perform one request. S2P_OK whenever an HTTP response arrived, whatever its
 * status (classify it with s2p_http_status_code). Transport failures give
 * S2P_ETLS (TLS handshake or certificate check failed: curl errors 35, 51,
 * 58, 60, 77, 83, 90, 91), S2P_EDOWN (refused, DNS, no route, or an https
 * URL while no CA certificates were found: see net/cabundle.h) or S2P_ETEMP
 * (timeout, reset, empty or truncated reply, body over the cap). resp must be
 * zeroed or freed before reuse; the caller frees it. */
int s2p_http_do(struct s2p_http *h, const struct s2p_http_req *req,
    struct s2p_http_resp *resp, struct s2p_error *err) S2P_NODISCARD;
void s2p_http_resp_free(struct s2p_http_resp *resp);

/* Map an HTTP status to a status code: 2xx OK, 404/410 ENOTFOUND, 401/403
 * EAUTH, 408/425/429/5xx ETEMP, other 4xx EPERM, anything else EPARSE. */
int s2p_http_status_code(long status);
/* Call leave(arg) before and enter(arg) after each transfer's network wait
 * (the worker lets go of its lock there, so other lanes run meanwhile);
 * NULL hooks turn it off. Nothing else of the handle runs in between. */
void s2p_http_set_io_hooks(struct s2p_http *h, void (*leave)(void *),
    void (*enter)(void *), void *arg);

/* url with its user-info (user:password@) shown as "***@"; new string.
 * Every URL that goes into a message passes through this. */
char *s2p_url_redact(const char *url);

/* Percent-encode s with RFC 3986 rules (only unreserved characters stay). */
char *s2p_url_escape(const char *s);

#endif
