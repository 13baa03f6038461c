/*
 * canned.h - a tiny libmicrohttpd server for unit tests of the HTTP clients:
 * it listens on 127.0.0.1 (port chosen by the kernel), answers requests with
 * replies queued in advance, in order, and records every request exactly as
 * it arrived (raw request target, headers, body) for assertions. Not a fake
 * of Plex or Stash: the test decides every byte of every reply.
 */
#ifndef CANNED_H
#define CANNED_H

#include <stddef.h>

#include "core/buf.h"
#include "core/strv.h"

struct fake_canned_reply {
	int status;               /* 0 means 200 */
	const char *body;         /* NULL: empty */
	size_t body_len;          /* 0: strlen(body) */
	const char *content_type; /* NULL: application/json */
	const char *headers;      /* extra "Name: value\n" lines, or NULL */
	int delay_ms; /* wait before answering (cut short by stop) */
	int drop;     /* close the connection without a reply */
};

struct fake_canned_request {
	char *method;
	char *uri;   /* raw request target, "/path?query", as sent */
	char *path;  /* uri up to '?' */
	char *query; /* raw query after '?', "" when there is none */
	struct s2p_strv headers; /* "Name: value" as received */
	struct s2p_buf body;
};

struct fake_canned;

/* Start a server; aborts the test program when it cannot. */
struct fake_canned *fake_canned_start(void);
/* Stop it (waking any delayed reply) and free everything. NULL is a no-op. */
void fake_canned_stop(struct fake_canned *c);
/* "http://127.0.0.1:<port>", borrowed. */
const char *fake_canned_url(const struct fake_canned *c);
unsigned fake_canned_port(const struct fake_canned *c);
/* Queue a reply (copied). With no reply queued the server answers 599. */
void fake_canned_push(struct fake_canned *c, const struct fake_canned_reply *r);
/* Shorthand: queue (status, body) with the defaults. */
void fake_canned_push_simple(struct fake_canned *c, int status,
    const char *body);
size_t fake_canned_count(struct fake_canned *c);
/* How many TCP connections the server has accepted so far. */
size_t fake_canned_connections(struct fake_canned *c);
/* Request i (0 = first), borrowed until stop; NULL when out of range. */
const struct fake_canned_request *fake_canned_request(struct fake_canned *c,
    size_t i);
/* The value of header name (case-insensitive) in r, or NULL. */
const char *fake_canned_header(const struct fake_canned_request *r,
    const char *name);
/* How many headers named name r carries. */
int fake_canned_header_count(const struct fake_canned_request *r,
    const char *name);

/* Bind a TCP socket on 127.0.0.1 without listening, so connecting to the
 * returned port is refused for as long as *fd stays open. */
unsigned fake_closed_port(int *fd);

#endif
