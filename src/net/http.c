/*
 * http.c - the libcurl transport (see http.h). One easy handle per peer is
 * reset and reconfigured for every request, which keeps its connection cache
 * (keep-alive) while no option leaks from one request into the next. Bodies
 * are capped in the write callback, Retry-After and a "session" Set-Cookie
 * are picked up in the header callback, and curl failures are mapped onto
 * S2P_EDOWN / S2P_ETEMP here and nowhere else. Error messages name the method
 * and URL (which never carry secrets) but never a header.
 */
#include "net/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/clock.h"
#include "net/cabundle.h"
#include "core/xalloc.h"

#ifndef S2P_VERSION
#define S2P_VERSION "0.0.0"
#endif

#define DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)
#define URL_IN_MSG 160

struct s2p_http {
	CURL *curl;
	struct s2p_http_opts opts;
	struct s2p_ca ca; /* decided once, when the handle is made */
	char errbuf[CURL_ERROR_SIZE];
	void (*io_leave)(void *); /* around each transfer (may be NULL) */
	void (*io_enter)(void *);
	void *io_arg;
};

/* State shared with the curl callbacks during one transfer. */
struct xfer {
	struct s2p_http_resp *resp;
	size_t max_body;
	int too_big;
};

/* curl_global_init has run (see s2p_http_new). */
static int curl_ready;
/* s2p_http_set_abort's flag, or NULL. */
static volatile sig_atomic_t *abort_flag;

void
s2p_http_set_abort(volatile sig_atomic_t *flag)
{
	abort_flag = flag;
}

/* curl's progress callback: non-zero aborts the transfer. curl calls it
 * at least once a second, and at once when a signal interrupts its wait. */
static int
xferinfo_cb(void *p, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	(void)p;
	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	return abort_flag != NULL && *abort_flag;
}

int
s2p_http_new(struct s2p_http **out, const struct s2p_http_opts *opts,
    struct s2p_error *err)
{
	struct s2p_http *h;

	*out = NULL;
	if (!curl_ready) {
		/* Once per process, before the first handle (curl_easy_init
		 * would otherwise do it implicitly, on every call until one
		 * succeeds). */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return s2p_error_set(err, S2P_EIO,
			    "curl_global_init failed");
		curl_ready = 1;
	}
	h = s2p_xcalloc(1, sizeof(*h));
	if (opts != NULL)
		h->opts = *opts;
	if (h->opts.connect_timeout_ms <= 0)
		h->opts.connect_timeout_ms = S2P_HTTP_CONNECT_TIMEOUT_MS;
	if (h->opts.timeout_ms <= 0)
		h->opts.timeout_ms = S2P_HTTP_TIMEOUT_MS;
	s2p_ca_find(h->opts.ca_file, NULL, &h->ca);
	h->opts.ca_file = NULL; /* not owned: do not keep it */
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		free(h);
		return s2p_error_set(err, S2P_EIO, "curl_easy_init failed");
	}
	*out = h;
	return S2P_OK;
}

void
s2p_http_free(struct s2p_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void
s2p_http_resp_free(struct s2p_http_resp *resp)
{
	if (resp == NULL)
		return;
	s2p_buf_free(&resp->body);
	free(resp->session_cookie);
	memset(resp, 0, sizeof(*resp));
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *payload)
{
	struct xfer *x = payload;
	size_t n = size * nmemb;

	if (s2p_buf_add(&x->resp->body, ptr, n) != S2P_OK) {
		x->too_big = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Case-insensitive "Name:" prefix test; returns the value after the colon
 * and any blanks, or NULL. */
static const char *
header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	size_t i;

	if (len <= nl || line[nl] != ':')
		return NULL;
	for (i = 0; i < nl; i++)
		if (tolower((unsigned char)line[i]) !=
		    tolower((unsigned char)name[i]))
			return NULL;
	line += nl + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* Retry-After is either delta-seconds or an HTTP-date. */
static double
parse_retry_after(const char *v)
{
	char *end;
	long long secs;
	time_t when, now;

	if (isdigit((unsigned char)*v)) {
		secs = strtoll(v, &end, 10);
		if (secs >= 0 && (*end == '\0' || isspace((unsigned char)*end)))
			return (double)secs;
		return 0;
	}
	when = curl_getdate(v, NULL);
	now = time(NULL);
	if (when == (time_t)-1 || when <= now)
		return 0;
	return (double)(when - now);
}

/* "session=VALUE; Path=/; ..." -> VALUE, or NULL for another cookie or an
 * empty value (a deletion, which we ignore). */
static char *
parse_session_cookie(const char *v)
{
	size_t n;

	while (*v == ' ')
		v++;
	if (strncmp(v, "session=", 8) != 0)
		return NULL;
	v += 8;
	n = strcspn(v, "; \t");
	if (n == 0)
		return NULL;
	return s2p_xstrndup(v, n);
}

static size_t
header_cb(char *buffer, size_t size, size_t nitems, void *payload)
{
	struct xfer *x = payload;
	size_t n = size * nitems;
	size_t len = n;
	char line[4096];
	const char *v;

	/* Trim CRLF and work on a NUL-terminated copy. */
	while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
		len--;
	if (len >= sizeof(line))
		return n; /* overlong headers are not ours to read */
	memcpy(line, buffer, len);
	line[len] = '\0';

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (e.g. after 100 Continue): start afresh. */
		x->resp->retry_after = 0;
		free(x->resp->session_cookie);
		x->resp->session_cookie = NULL;
		return n;
	}
	v = header_value(line, len, "Retry-After");
	if (v != NULL) {
		x->resp->retry_after = parse_retry_after(v);
		return n;
	}
	v = header_value(line, len, "Set-Cookie");
	if (v != NULL) {
		char *c = parse_session_cookie(v);

		if (c != NULL) {
			free(x->resp->session_cookie);
			x->resp->session_cookie = c;
		}
	}
	return n;
}

static int
has_header(const char *const *headers, const char *name)
{
	size_t i;

	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if (header_value(headers[i], strlen(headers[i]), name) != NULL)
			return 1;
	return 0;
}

/* The URL as it may appear in a message: credentials (user-info) shown as
 * ***, bounded so the reason still fits. */
static void
url_for_msg(char *dst, size_t dstlen, const char *url)
{
	char *safe = s2p_url_redact(url);

	if (strlen(safe) <= URL_IN_MSG)
		snprintf(dst, dstlen, "%s", safe);
	else
		snprintf(dst, dstlen, "%.*s...", URL_IN_MSG, safe);
	free(safe);
}

char *
s2p_url_redact(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *p;

	if (auth == NULL)
		return s2p_xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return s2p_xstrdup(url);
	return s2p_xasprintf("%.*s***%s", (int)(auth - url), url, at);
}

/* Map a failed transfer onto a status code with a message. */
static int
transport_error(struct s2p_http *h, const struct s2p_http_req *req, CURLcode cc,
    const struct xfer *x, long timeout_ms, struct s2p_error *err)
{
	char url[URL_IN_MSG + 8];
	const char *reason = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);
	int code;

	url_for_msg(url, sizeof(url), req->url);
	if (x->too_big) {
		code = s2p_error_set(err, S2P_ETEMP,
		    "%s %s: response too large (over %zu bytes)", req->method,
		    url, x->max_body);
		goto out;
	}
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		code = s2p_error_set(err, S2P_EDOWN, "%s %s: %s", req->method,
		    url, reason);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case (CURLcode)51: /* CURLE_PEER_FAILED_VERIFICATION before 7.62 */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		/* The handshake or the certificate check failed: the same
		 * settings fail the same way every time. */
		code = s2p_error_set(err, S2P_ETLS, "%s %s: %s", req->method,
		    url, reason);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		code = s2p_error_set(err, S2P_ETEMP,
		    "%s %s: timed out after %ld ms", req->method, url,
		    timeout_ms);
		break;
	default:
		/* GOT_NOTHING, PARTIAL_FILE, SEND_ERROR, RECV_ERROR and the
		 * rest: the peer may well answer next time. */
		code = s2p_error_set(err, S2P_ETEMP, "%s %s: %s", req->method,
		    url, reason);
		break;
	}
out:
	if (err != NULL) {
		err->http_status = x->resp->status;
		err->retry_after = x->resp->retry_after;
	}
	return code;
}

/* Apply the method: HEAD has no body, PUT/POST always send a body (an empty
 * one goes out with Content-Length: 0), others use CUSTOMREQUEST. */
static void
set_method(CURL *c, const struct s2p_http_req *req)
{
	const char *m = req->method;
	const void *body = req->body != NULL ? req->body : "";

	if (strcmp(m, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    req->body_len > 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	}
}

int
s2p_http_do(struct s2p_http *h, const struct s2p_http_req *req,
    struct s2p_http_resp *resp, struct s2p_error *err)
{
	CURL *c = h->curl;
	struct curl_slist *hl = NULL;
	struct xfer x;
	long timeout_ms, connect_ms;
	double t0;
	CURLcode cc;
	size_t i;
	int rc;

	memset(resp, 0, sizeof(*resp));
	x.resp = resp;
	x.max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	x.too_big = 0;
	s2p_buf_init(&resp->body, x.max_body);
	if (!h->opts.insecure_tls && h->ca.kind == S2P_CA_NONE &&
	    strncasecmp(req->url, "https://", 8) == 0) {
		char url[URL_IN_MSG + 8];

		/* Without certificates every handshake would fail with an
		 * obscure TLS error; say what is missing instead. */
		url_for_msg(url, sizeof(url), req->url);
		return s2p_error_set(err, S2P_EDOWN, "%s %s: %s", req->method,
		    url, h->ca.msg);
	}

	timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : h->opts.timeout_ms;
	connect_ms = h->opts.connect_timeout_ms;
	if (connect_ms > timeout_ms)
		connect_ms = timeout_ms;

	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		hl = curl_slist_append(hl, req->headers[i]);
	/* No 100-continue round trip, and no form content type by default. */
	hl = curl_slist_append(hl, "Expect:");
	if (!has_header(req->headers, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type:");

	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Stash2Plex/" S2P_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	if (abort_flag != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (h->opts.insecure_tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (h->ca.kind == S2P_CA_FILE) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca.path);
	} else if (h->ca.kind == S2P_CA_DIR) {
		curl_easy_setopt(c, CURLOPT_CAPATH, h->ca.path);
	}
	set_method(c, req);

	t0 = s2p_monotonic();
	if (h->io_leave != NULL)
		h->io_leave(h->io_arg);
	cc = curl_easy_perform(c);
	if (h->io_enter != NULL)
		h->io_enter(h->io_arg);
	resp->elapsed_ms = (s2p_monotonic() - t0) * 1000.0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);

	if (cc != CURLE_OK) {
		rc = transport_error(h, req, cc, &x, timeout_ms, err);
		goto out;
	}
	rc = S2P_OK;
out:
	/* The handle must not keep pointers into this call's memory. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hl);
	return rc;
}

void
s2p_http_set_io_hooks(struct s2p_http *h, void (*leave)(void *),
    void (*enter)(void *), void *arg)
{
	h->io_leave = leave;
	h->io_enter = enter;
	h->io_arg = arg;
}

int
s2p_http_status_code(long status)
{
	if (status >= 200 && status < 300)
		return S2P_OK;
	if (status == 404 || status == 410)
		return S2P_ENOTFOUND;
	if (status == 401 || status == 403)
		return S2P_EAUTH;
	if (status == 408 || status == 425 || status == 429 ||
	    (status >= 500 && status < 600))
		return S2P_ETEMP;
	if (status >= 400 && status < 500)
		return S2P_EPERM;
	return S2P_EPARSE;
}

char *
s2p_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = s2p_xmalloc(n * 3 + 1);
	char *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}
