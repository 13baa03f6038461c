/*
 * plex.c - the Plex Media Server client (see plex.h). Every
 * request asks for JSON and carries the identification headers; the token
 * travels only in the X-Plex-Token header and is left out entirely for
 * /identity. Replies are parsed leniently with jansson: unknown keys are
 * ignored, numbers and booleans are accepted in the encodings PMS mixes, and
 * ratingKey/key are kept as opaque strings. Error bodies are never read: a
 * non-2xx status decides the code.
 */
#include "net/plex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonx.h"
#include "core/utf8scrub.h"
#include "core/xalloc.h"
#include "net/http.h"

#ifndef S2P_VERSION
#define S2P_VERSION "0.0.0"
#endif

#define MAX_EXTRA_HEADERS 4

struct s2p_plex {
	struct s2p_http *http;
	char *url;            /* base URL without a trailing slash */
	struct s2p_strv hdrs; /* token header first, then the others */
	long timeout_ms;
	s2p_plex_observer observe; /* told each answered request's time */
	void *observe_arg;
};

/* One request as the helpers below describe it. */
struct preq {
	const char *method;
	const char *path; /* absolute path with query, e.g. "/identity" */
	const char *extra[MAX_EXTRA_HEADERS + 1]; /* NULL-terminated */
	const void *body;
	size_t body_len;
	long timeout_ms;
	int anonymous; /* send no token */
};

int
s2p_plex_new(struct s2p_plex **out, const struct s2p_plex_opts *opts,
    struct s2p_error *err)
{
	struct s2p_plex *p;
	struct s2p_http_opts ho;
	size_t n;
	int rc;

	*out = NULL;
	if (opts == NULL || opts->url == NULL || opts->url[0] == '\0')
		return s2p_error_set(err, S2P_EINVAL, "Plex URL is not set");
	if (opts->token == NULL || opts->token[0] == '\0')
		return s2p_error_set(err, S2P_EINVAL, "Plex token is not set");

	memset(&ho, 0, sizeof(ho));
	ho.connect_timeout_ms = opts->connect_timeout_ms > 0
	    ? opts->connect_timeout_ms
	    : S2P_HTTP_CONNECT_TIMEOUT_MS;
	ho.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
					     : S2P_HTTP_TIMEOUT_MS;
	ho.ca_file = opts->ca_file;
	ho.insecure_tls = opts->tls_insecure;

	p = s2p_xcalloc(1, sizeof(*p));
	rc = s2p_http_new(&p->http, &ho, err);
	if (rc != S2P_OK) {
		free(p);
		return rc;
	}
	p->timeout_ms = ho.timeout_ms;
	p->url = s2p_xstrdup(opts->url);
	n = strlen(p->url);
	while (n > 0 && p->url[n - 1] == '/')
		p->url[--n] = '\0';

	/* Index 0 is the token so /identity can skip it. */
	s2p_strv_push_take(&p->hdrs,
	    s2p_xasprintf("X-Plex-Token: %s", opts->token));
	s2p_strv_push(&p->hdrs, "Accept: application/json");
	if (opts->client_id != NULL && opts->client_id[0] != '\0')
		s2p_strv_push_take(&p->hdrs,
		    s2p_xasprintf("X-Plex-Client-Identifier: %s",
			opts->client_id));
	s2p_strv_push(&p->hdrs, "X-Plex-Product: Stash2Plex");
	s2p_strv_push(&p->hdrs, "X-Plex-Version: " S2P_VERSION);
	s2p_strv_push(&p->hdrs, "X-Plex-Device-Name: Stash2Plex");
	*out = p;
	return S2P_OK;
}

void
s2p_plex_set_io_hooks(struct s2p_plex *p, void (*leave)(void *),
    void (*enter)(void *), void *arg)
{
	s2p_http_set_io_hooks(p->http, leave, enter, arg);
}

void
s2p_plex_free(struct s2p_plex *p)
{
	if (p == NULL)
		return;
	s2p_http_free(p->http);
	free(p->url);
	s2p_strv_free(&p->hdrs);
	free(p);
}

void
s2p_plex_set_observer(struct s2p_plex *p, s2p_plex_observer fn, void *arg)
{
	p->observe = fn;
	p->observe_arg = arg;
}

/* 1 when the host of url (scheme://[user@]host[:port]...) is an IP
 * address; its IPv4 form with dashes goes to dashed, the port to port. */
static int
ip_host(const char *url, char *dashed, size_t dlen, char *port, size_t plen)
{
	const char *h = strstr(url, "://"), *end, *at, *c;
	size_t n, i, dots = 0;

	if (h == NULL)
		return 0;
	h += 3;
	end = h + strcspn(h, "/?#");
	while ((at = memchr(h, '@', (size_t)(end - h))) != NULL)
		h = at + 1;
	c = h[0] == '[' ? memchr(h, ']', (size_t)(end - h)) : h;
	c = c != NULL ? memchr(c, ':', (size_t)(end - c)) : NULL;
	snprintf(port, plen, "%.*s", c ? (int)(end - c - 1) : 0,
	    c ? c + 1 : "");
	n = (size_t)((c ? c : end) - h);
	if (n > 0 && h[0] == '[') {
		snprintf(dashed, dlen, "%.*s", (int)n, h);
		return 1; /* IPv6 */
	}
	for (i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return 0;
	}
	if (dots != 3 || n >= dlen)
		return 0;
	for (i = 0; i < n; i++)
		dashed[i] = h[i] == '.' ? '-' : h[i];
	dashed[n] = '\0';
	return 1;
}

/* Replace a certificate failure's message by one line that says which
 * setting to change. Plex's own certificates name *.plex.direct hosts, so
 * an IP address can never pass the check: the plex.direct form is given. */
static void
tls_advice(const struct s2p_plex *p, struct s2p_error *err)
{
	char reason[96], dashed[64], port[16];
	const char *why;

	if (err == NULL)
		return;
	why = strstr(err->msg, ": ");
	why = why != NULL ? why + 2 : err->msg;
	memcpy(reason, why, strnlen(why, sizeof(reason) - 1));
	reason[strnlen(why, sizeof(reason) - 1)] = '\0';
	if (ip_host(p->url, dashed, sizeof(dashed), port, sizeof(port)) &&
	    dashed[0] != '[')
		s2p_error_set(err, S2P_ETLS,
		    "Plex's certificate is not "
		    "accepted: it names *.plex.direct hosts, never an IP "
		    "address; set plex_url to https://%s.<server "
		    "id>.plex.direct"
		    ":%s or turn on plex_tls_insecure",
		    dashed, port[0] ? port : "32400");
	else
		s2p_error_set(err, S2P_ETLS,
		    "Plex's certificate is not "
		    "accepted (%.90s); set plex_ca_file to the CA that issued "
		    "it, or turn on plex_tls_insecure",
		    reason);
}

/* Perform one request; resp is filled on S2P_OK (a 2xx reply) and freed by
 * the caller either way. Non-2xx replies give the code of
 * s2p_http_status_code, with the status and Retry-After in err. */
static int
plex_do(struct s2p_plex *p, const struct preq *r, struct s2p_http_resp *resp,
    struct s2p_error *err)
{
	const char *hdrs[16];
	struct s2p_http_req req;
	char *url;
	size_t i, n = 0;
	int rc;

	for (i = r->anonymous ? 1 : 0; i < p->hdrs.n; i++)
		hdrs[n++] = p->hdrs.v[i];
	for (i = 0; r->extra[i] != NULL; i++)
		hdrs[n++] = r->extra[i];
	hdrs[n] = NULL;

	url = s2p_xasprintf("%s%s", p->url, r->path);
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.url = url;
	req.headers = hdrs;
	req.body = r->body;
	req.body_len = r->body_len;
	req.timeout_ms = r->timeout_ms;

	rc = s2p_http_do(p->http, &req, resp, err);
	if (rc == S2P_OK && p->observe != NULL)
		p->observe(p->observe_arg, resp->elapsed_ms);
	if (rc == S2P_ETLS)
		tls_advice(p, err);
	if (rc != S2P_OK)
		goto out;
	rc = s2p_http_status_code(resp->status);
	if (rc != S2P_OK) {
		s2p_error_set(err, rc, "Plex %s %.160s: HTTP %ld", r->method,
		    r->path, resp->status);
		if (err != NULL) {
			err->http_status = resp->status;
			err->retry_after = resp->retry_after;
		}
	}
out:
	free(url);
	return rc;
}

/* Parse a reply body and return its MediaContainer (borrowed from *root,
 * which the caller frees). S2P_EPARSE for anything else. Bytes that are not
 * UTF-8 inside a string (a file name from a non-UTF-8 disk) do not sink the
 * reply: they arrive as NULs (core/utf8scrub.h), which s2p_json_text
 * drops from titles and collect_files turns into U+FFFD and a "bad" mark
 * on file paths. */
static int
load_container(const struct s2p_http_resp *resp, const char *what,
    json_t **root, json_t **mc, struct s2p_error *err)
{
	json_error_t je;
	struct s2p_buf fixed;
	const char *text = resp->body.data ? resp->body.data : "";
	size_t len = resp->body.len;
	size_t flags = 0;

	*mc = NULL;
	s2p_buf_init(&fixed, 0);
	if (s2p_utf8_scrub_json(text, len, &fixed) > 0) {
		text = fixed.data;
		len = fixed.len;
		flags = JSON_ALLOW_NUL;
	}
	*root = json_loadb(text, len, flags, &je);
	s2p_buf_free(&fixed);
	if (*root == NULL)
		return s2p_error_set(err, S2P_EPARSE,
		    "Plex %s: invalid JSON (line %d: %.80s)", what, je.line,
		    je.text);
	*mc = json_object_get(*root, "MediaContainer");
	if (!json_is_object(*mc))
		return s2p_error_set(err, S2P_EPARSE,
		    "Plex %s: reply has no MediaContainer", what);
	return S2P_OK;
}

/* An integer attribute: whole numbers (s2p_json_whole) and booleans; def
 * otherwise. */
static long
jlong(const json_t *o, const char *key, long def)
{
	const json_t *v = json_object_get(o, key);
	long long n;

	if (s2p_json_whole(v, &n))
		return (long)n;
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return def;
}

static double
jdouble(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	double d;

	if (json_is_number(v))
		return json_number_value(v);
	if (!json_is_string(v))
		return def;
	s = json_string_value(v);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0')
		return def;
	return d;
}

/* A boolean as PMS mixes them: true/false, 0/1, "0"/"1", "true"/"false". */
static int
jbool(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_number(v))
		return json_number_value(v) != 0;
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	return strcmp(s, "1") == 0 || strcmp(s, "true") == 0;
}

/* Every Media[].Part[].file of an item. When bad is not NULL, (*bad)[i]
 * is set for each file that was not valid UTF-8 (shown with U+FFFD); the
 * array is allocated only when there is one. */
static void
collect_files(struct s2p_strv *sv, const json_t *item, unsigned char **bad)
{
	const json_t *media = json_object_get(item, "Media");
	const json_t *m, *parts, *pt, *f;
	size_t i, j, most = sv->n;
	int lossy;

	if (!json_is_array(media))
		return;
	json_array_foreach(media, i, m)
	    most += json_array_size(json_object_get(m, "Part"));
	json_array_foreach(media, i, m)
	{
		parts = json_object_get(m, "Part");
		if (!json_is_array(parts))
			continue;
		json_array_foreach(parts, j, pt)
		{
			f = json_object_get(pt, "file");
			if (!json_is_string(f))
				continue;
			s2p_strv_push_take(sv,
			    s2p_utf8_nul_lossy(json_string_value(f),
				json_string_length(f), &lossy));
			if (!lossy || bad == NULL)
				continue;
			if (*bad == NULL)
				*bad = s2p_xcalloc(most, 1);
			(*bad)[sv->n - 1] = 1;
		}
	}
}

/* The Metadata array of a container, or NULL when absent. */
static const json_t *
metadata(const json_t *mc)
{
	const json_t *a = json_object_get(mc, "Metadata");

	return json_is_array(a) ? a : NULL;
}

int
s2p_plex_identity(struct s2p_plex *p, long timeout_ms,
    struct s2p_plex_identity *out, struct s2p_error *err)
{
	struct preq r = {"GET", "/identity", {NULL}, NULL, 0, timeout_ms, 1};
	struct s2p_http_resp resp;
	json_t *root = NULL, *mc;
	char *mid = NULL, *ver = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = plex_do(p, &r, &resp, err);
	if (rc != S2P_OK)
		goto out;
	out->latency_ms = resp.elapsed_ms;
	rc = load_container(&resp, "/identity", &root, &mc, err);
	if (rc != S2P_OK)
		goto out;
	mid = s2p_json_text(mc, "machineIdentifier");
	ver = s2p_json_text(mc, "version");
	if (mid == NULL || mid[0] == '\0') {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "Plex /identity: no machineIdentifier in the reply");
		goto out;
	}
	snprintf(out->machine_id, sizeof(out->machine_id), "%s", mid);
	snprintf(out->version, sizeof(out->version), "%s", ver ? ver : "");
out:
	free(mid);
	free(ver);
	json_decref(root);
	s2p_http_resp_free(&resp);
	return rc;
}

int
s2p_plex_check_token(struct s2p_plex *p, long timeout_ms, struct s2p_error *err)
{
	struct preq r = {"GET", "/library/sections",
	    {"X-Plex-Container-Start: 0", "X-Plex-Container-Size: 0", NULL},
	    NULL, 0, timeout_ms, 0};
	struct s2p_http_resp resp;
	int rc;

	rc = plex_do(p, &r, &resp, err);
	s2p_http_resp_free(&resp);
	return rc;
}

void
s2p_plex_sections_free(struct s2p_plex_sections *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].type);
		free(s->v[i].title);
		s2p_strv_free(&s->v[i].locations);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int
s2p_plex_sections(struct s2p_plex *p, struct s2p_plex_sections *out,
    struct s2p_error *err)
{
	struct preq r = {"GET", "/library/sections", {NULL}, NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	json_t *root = NULL, *mc, *dirs, *d;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = plex_do(p, &r, &resp, err);
	if (rc != S2P_OK)
		goto out;
	rc = load_container(&resp, "/library/sections", &root, &mc, err);
	if (rc != S2P_OK)
		goto out;
	dirs = json_object_get(mc, "Directory");
	if (!json_is_array(dirs))
		goto out;
	out->v = s2p_xcalloc(json_array_size(dirs) + 1, sizeof(*out->v));
	json_array_foreach(dirs, i, d)
	{
		struct s2p_plex_section *s = &out->v[out->n];

		s->key = s2p_json_text(d, "key");
		if (s->key == NULL)
			continue; /* not a section we could address */
		s->type = s2p_json_text(d, "type");
		s->title = s2p_json_text(d, "title");
		s2p_json_collect(&s->locations, d, "Location", "path");
		out->n++;
	}
out:
	if (rc != S2P_OK)
		s2p_plex_sections_free(out);
	json_decref(root);
	s2p_http_resp_free(&resp);
	return rc;
}

void
s2p_plex_page_free(struct s2p_plex_page *pg)
{
	size_t i;

	if (pg == NULL)
		return;
	for (i = 0; i < pg->n; i++) {
		free(pg->v[i].rating_key);
		free(pg->v[i].title);
		s2p_strv_free(&pg->v[i].files);
		free(pg->v[i].file_bad);
	}
	free(pg->v);
	memset(pg, 0, sizeof(*pg));
}

int
s2p_plex_list(struct s2p_plex *p, const char *section_key, int type,
    const char *sort, const char *file_hint, long start, long size,
    struct s2p_plex_page *out, struct s2p_error *err)
{
	struct preq r = {"GET", NULL, {NULL}, NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	struct s2p_buf path;
	char hstart[64], hsize[64];
	char *e;
	json_t *root = NULL, *mc;
	const json_t *md, *it;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	s2p_buf_init(&path, 0);
	if (section_key == NULL || section_key[0] == '\0' || type <= 0) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "Plex listing needs a section key and a type");
		goto out;
	}
	e = s2p_url_escape(section_key);
	rc = s2p_buf_addf(&path, "/library/sections/%s/all?type=%d", e, type);
	free(e);
	if (rc == S2P_OK && sort != NULL && sort[0] != '\0') {
		e = s2p_url_escape(sort);
		rc = s2p_buf_addf(&path, "&sort=%s", e);
		free(e);
	}
	if (rc == S2P_OK && file_hint != NULL && file_hint[0] != '\0') {
		e = s2p_url_escape(file_hint);
		rc = s2p_buf_addf(&path, "&file=%s", e);
		free(e);
	}
	if (rc != S2P_OK) {
		rc = s2p_error_set(err, S2P_EINVAL, "Plex listing: bad query");
		goto out;
	}
	if (size >= 0) {
		snprintf(hstart, sizeof(hstart), "X-Plex-Container-Start: %ld",
		    start < 0 ? 0 : start);
		snprintf(hsize, sizeof(hsize), "X-Plex-Container-Size: %ld",
		    size);
		r.extra[0] = hstart;
		r.extra[1] = hsize;
	}
	r.path = path.data;

	rc = plex_do(p, &r, &resp, err);
	if (rc != S2P_OK)
		goto out;
	rc = load_container(&resp, "listing", &root, &mc, err);
	if (rc != S2P_OK)
		goto out;
	out->offset = jlong(mc, "offset", start < 0 ? 0 : start);
	out->total = jlong(mc, "totalSize", -1);
	md = metadata(mc);
	if (md == NULL)
		goto out;
	out->v = s2p_xcalloc(json_array_size(md) + 1, sizeof(*out->v));
	json_array_foreach(md, i, it)
	{
		struct s2p_plex_entry *en = &out->v[out->n];

		en->rating_key = s2p_json_text(it, "ratingKey");
		if (en->rating_key == NULL)
			continue;
		en->title = s2p_json_text(it, "title");
		en->added_at = jlong(it, "addedAt", -1);
		en->updated_at = jlong(it, "updatedAt", -1);
		collect_files(&en->files, it, &en->file_bad);
		out->n++;
	}
out:
	if (rc != S2P_OK)
		s2p_plex_page_free(out);
	json_decref(root);
	s2p_http_resp_free(&resp);
	s2p_buf_free(&path);
	return rc;
}

void
s2p_plex_item_free(struct s2p_plex_item *it)
{
	if (it == NULL)
		return;
	free(it->rating_key);
	free(it->section_id);
	free(it->type);
	free(it->title);
	free(it->title_sort);
	free(it->summary);
	free(it->tagline);
	free(it->studio);
	free(it->content_rating);
	free(it->originally_available_at);
	free(it->thumb);
	free(it->art);
	s2p_strv_free(&it->genres);
	s2p_strv_free(&it->actors);
	s2p_strv_free(&it->collections);
	s2p_strv_free(&it->labels);
	s2p_strv_free(&it->locked);
	s2p_strv_free(&it->files);
	memset(it, 0, sizeof(*it));
	it->year = -1;
	it->user_rating = -1;
	it->added_at = -1;
	it->updated_at = -1;
}

/* Fill out from one Metadata entry; mc supplies a container-level
 * librarySectionID when the item has none. */
static void
parse_item(struct s2p_plex_item *out, const json_t *m, const json_t *mc)
{
	const json_t *fields = json_object_get(m, "Field");
	const json_t *f;
	size_t i;

	out->rating_key = s2p_json_text(m, "ratingKey");
	out->section_id = s2p_json_text(m, "librarySectionID");
	if (out->section_id == NULL)
		out->section_id = s2p_json_text(mc, "librarySectionID");
	out->type = s2p_json_text(m, "type");
	out->title = s2p_json_text(m, "title");
	out->title_sort = s2p_json_text(m, "titleSort");
	out->summary = s2p_json_text(m, "summary");
	out->tagline = s2p_json_text(m, "tagline");
	out->studio = s2p_json_text(m, "studio");
	out->content_rating = s2p_json_text(m, "contentRating");
	out->originally_available_at = s2p_json_text(m,
	    "originallyAvailableAt");
	out->year = jlong(m, "year", -1);
	out->user_rating = jdouble(m, "userRating", -1);
	out->thumb = s2p_json_text(m, "thumb");
	out->art = s2p_json_text(m, "art");
	out->added_at = jlong(m, "addedAt", -1);
	out->updated_at = jlong(m, "updatedAt", -1);
	s2p_json_collect(&out->genres, m, "Genre", "tag");
	s2p_json_collect(&out->actors, m, "Role", "tag");
	s2p_json_collect(&out->collections, m, "Collection", "tag");
	s2p_json_collect(&out->labels, m, "Label", "tag");
	if (json_is_array(fields)) {
		json_array_foreach(fields, i, f)
		{
			char *name = s2p_json_text(f, "name");

			if (name != NULL && jbool(f, "locked"))
				s2p_strv_push_take(&out->locked, name);
			else
				free(name);
		}
	}
	collect_files(&out->files, m, NULL);
}

int
s2p_plex_get_item(struct s2p_plex *p, const char *rating_key,
    struct s2p_plex_item *out, struct s2p_error *err)
{
	struct preq r = {"GET", NULL, {NULL}, NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	json_t *root = NULL, *mc;
	const json_t *md;
	char *e = NULL, *path = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	memset(out, 0, sizeof(*out));
	out->year = out->added_at = out->updated_at = -1;
	out->user_rating = -1;
	if (rating_key == NULL || rating_key[0] == '\0') {
		rc = s2p_error_set(err, S2P_EINVAL, "empty Plex rating key");
		goto out;
	}
	e = s2p_url_escape(rating_key);
	path = s2p_xasprintf("/library/metadata/%s", e);
	r.path = path;
	rc = plex_do(p, &r, &resp, err);
	if (rc != S2P_OK)
		goto out;
	rc = load_container(&resp, "item", &root, &mc, err);
	if (rc != S2P_OK)
		goto out;
	md = metadata(mc);
	if (md == NULL || json_array_size(md) == 0 ||
	    !json_is_object(json_array_get(md, 0))) {
		rc = s2p_error_set(err, S2P_ENOTFOUND,
		    "Plex item %.64s: no metadata in the reply", rating_key);
		goto out;
	}
	parse_item(out, json_array_get(md, 0), mc);
	if (out->rating_key == NULL)
		out->rating_key = s2p_xstrdup(rating_key);
out:
	if (rc != S2P_OK)
		s2p_plex_item_free(out);
	json_decref(root);
	s2p_http_resp_free(&resp);
	free(e);
	free(path);
	return rc;
}

void
s2p_plex_edit_init(struct s2p_plex_edit *e)
{
	s2p_buf_init(&e->query, 0);
	e->nparams = 0;
}

void
s2p_plex_edit_free(struct s2p_plex_edit *e)
{
	if (e == NULL)
		return;
	s2p_buf_free(&e->query);
	e->nparams = 0;
}

/* Append key=<escaped value>. Keys go out raw (brackets literal). */
static void
edit_param(struct s2p_plex_edit *e, const char *key, const char *value)
{
	char *v = s2p_url_escape(value);

	/* An uncapped buffer cannot fail: the result is ignored. */
	(void)!s2p_buf_addf(&e->query, "%s%s=%s", e->nparams ? "&" : "", key,
	    v);
	e->nparams++;
	free(v);
}

static void
edit_lockparam(struct s2p_plex_edit *e, const char *field, int locked)
{
	char *k = s2p_xasprintf("%s.locked", field);

	edit_param(e, k, locked ? "1" : "0");
	free(k);
}

void
s2p_plex_edit_field(struct s2p_plex_edit *e, const char *field,
    const char *value, int locked)
{
	char *k = s2p_xasprintf("%s.value", field);

	edit_param(e, k, value != NULL ? value : "");
	free(k);
	edit_lockparam(e, field, locked);
}

void
s2p_plex_edit_tags(struct s2p_plex_edit *e, const char *tag,
    const struct s2p_strv *names, int locked)
{
	size_t i;
	char *k;

	if (names == NULL || names->n == 0) {
		k = s2p_xasprintf("%s[].tag", tag);
		edit_param(e, k, "");
		free(k);
	}
	for (i = 0; names != NULL && i < names->n; i++) {
		k = s2p_xasprintf("%s[%zu].tag.tag", tag, i);
		edit_param(e, k, names->v[i]);
		free(k);
	}
	edit_lockparam(e, tag, locked);
}

void
s2p_plex_edit_tags_remove(struct s2p_plex_edit *e, const char *tag,
    const struct s2p_strv *names)
{
	struct s2p_buf joined;
	size_t i;
	char *k;

	if (names == NULL || names->n == 0)
		return;
	s2p_buf_init(&joined, 0);
	for (i = 0; i < names->n; i++) {
		char *one = s2p_url_escape(names->v[i]);

		/* Uncapped, cannot fail. */
		(void)!s2p_buf_addf(&joined, "%s%s", i ? "," : "", one);
		free(one);
	}
	k = s2p_xasprintf("%s[].tag.tag-", tag);
	edit_param(e, k, joined.data);
	free(k);
	s2p_buf_free(&joined);
}

void
s2p_plex_edit_lock(struct s2p_plex_edit *e, const char *field)
{
	edit_lockparam(e, field, 1);
}

int
s2p_plex_apply_edit(struct s2p_plex *p, const char *section_id, int type,
    const char *rating_key, const struct s2p_plex_edit *e,
    struct s2p_error *err)
{
	struct preq r = {"PUT", NULL, {NULL}, NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	char *sid = NULL, *rk = NULL, *path = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (rating_key == NULL || rating_key[0] == '\0') {
		/* Without id= the edit would hit every item of the section. */
		rc = s2p_error_set(err, S2P_EINVAL,
		    "refusing a Plex edit without a rating key");
		goto out;
	}
	if (e == NULL || e->nparams == 0 || e->query.len == 0) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "refusing an empty Plex edit");
		goto out;
	}
	if (section_id == NULL || section_id[0] == '\0' || type <= 0) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "Plex edit needs a section id and a type");
		goto out;
	}
	sid = s2p_url_escape(section_id);
	rk = s2p_url_escape(rating_key);
	path = s2p_xasprintf("/library/sections/%s/all?type=%d&id=%s&%s", sid,
	    type, rk, e->query.data);
	r.path = path;
	rc = plex_do(p, &r, &resp, err);
out:
	s2p_http_resp_free(&resp);
	free(sid);
	free(rk);
	free(path);
	return rc;
}

int
s2p_plex_upload_image(struct s2p_plex *p, const char *rating_key,
    const char *kind, const void *data, size_t len, const char *content_type,
    struct s2p_error *err)
{
	struct preq r = {"POST", NULL, {NULL}, data, len, 0, 0};
	struct s2p_http_resp resp;
	char *rk = NULL, *path = NULL, *ct = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (rating_key == NULL || rating_key[0] == '\0' || kind == NULL ||
	    (strcmp(kind, "posters") != 0 && strcmp(kind, "arts") != 0)) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "Plex image upload needs a rating key and posters|arts");
		goto out;
	}
	if (data == NULL || len == 0) {
		rc = s2p_error_set(err, S2P_EINVAL, "empty image for Plex");
		goto out;
	}
	rk = s2p_url_escape(rating_key);
	path = s2p_xasprintf("/library/metadata/%s/%s", rk, kind);
	ct = s2p_xasprintf("Content-Type: %s",
	    content_type != NULL && content_type[0] != '\0' ? content_type
							    : "image/jpeg");
	r.path = path;
	r.extra[0] = ct;
	rc = plex_do(p, &r, &resp, err);
out:
	s2p_http_resp_free(&resp);
	free(rk);
	free(path);
	free(ct);
	return rc;
}

int
s2p_plex_scan_path(struct s2p_plex *p, const char *section_key, const char *dir,
    struct s2p_error *err)
{
	struct preq r = {"GET", NULL, {NULL}, NULL, 0, 0, 0};
	struct s2p_http_resp resp;
	char *sk = NULL, *d = NULL, *path = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (section_key == NULL || section_key[0] == '\0' || dir == NULL ||
	    dir[0] == '\0') {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "Plex scan needs a section key and a directory");
		goto out;
	}
	sk = s2p_url_escape(section_key);
	d = s2p_url_escape(dir);
	path = s2p_xasprintf("/library/sections/%s/refresh?path=%s", sk, d);
	r.path = path;
	rc = plex_do(p, &r, &resp, err);
out:
	s2p_http_resp_free(&resp);
	free(sk);
	free(d);
	free(path);
	return rc;
}

int
s2p_plex_type_number(const char *type)
{
	static const struct {
		const char *name;
		int num;
	} types[] = {
	    {"movie", 1},
	    {"show", 2},
	    {"season", 3},
	    {"episode", 4},
	    {"artist", 8},
	    {"album", 9},
	    {"track", 10},
	    {"photo", 13},
	    {"collection", 18},
	};
	size_t i;

	if (type == NULL)
		return 0;
	for (i = 0; i < S2P_ARRAY_LEN(types); i++)
		if (strcmp(types[i].name, type) == 0)
			return types[i].num;
	return 0;
}
