/*
 * input.c - the raw plugin protocol's stdin document (see input.h): read to
 * EOF under a cap, parse with
 * jansson (which handles Go's \u003c escapes and surrogate pairs), and pick
 * out server_connection and args defensively. Every malformed piece is
 * S2P_EPARSE with a message naming the field; no message ever quotes the
 * session cookie or a fragment of the raw input.
 */
#include "app/input.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"

/* Fields of SceneUpdateInput (and BulkSceneUpdateInput) that end up in
 * Plex, or that change how the scene is matched (its files). organized,
 * groups/movies, play counts and stash_ids are not synced. */
static const char *const synced_fields[] = {
    "title",
    "code",
    "details",
    "director",
    "date",
    "rating100",
    "studio_id",
    "performer_ids",
    "tag_ids",
    "cover_image",
    "urls",
    "url",
    "files",
    "primary_file_id",
};

/* Fields every update input carries that say nothing about a change. */
static const char *const neutral_fields[] = {"id", "clientMutationId"};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* "invalid input: <field>: expected <what>, got <type>" (a number is
 * shown as itself: "got 80.5"; other values only by their type, so no
 * message ever quotes the input's text). */
static int
field_error(struct s2p_error *err, const char *field, const char *what,
    const json_t *v)
{
	if (json_is_integer(v))
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: %s: expected %s, got %" JSON_INTEGER_FORMAT,
		    field, what, json_integer_value(v));
	if (json_is_real(v))
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: %s: expected %s, got %.15g", field, what,
		    json_real_value(v));
	return s2p_error_set(err, S2P_EPARSE,
	    "invalid input: %s: expected %s, got %s", field, what,
	    json_type_name(v));
}

/* Optional string member: absent or null leaves *out NULL. A string with an
 * embedded NUL is rejected (we hand these on as C strings). */
static int
get_string(const json_t *obj, const char *key, const char *field, char **out,
    struct s2p_error *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return S2P_OK;
	if (!json_is_string(v))
		return field_error(err, field, "a string", v);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: %s: contains a NUL character", field);
	*out = s2p_xstrdup(json_string_value(v));
	return S2P_OK;
}

/* Characters allowed in a DNS name or an IPv6 zone id. */
static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._", *s) == NULL)
			return 0;
	return 1;
}

/* The host to connect to for a bind address: wildcards become loopback
 * (""/0.0.0.0 -> 127.0.0.1, ::/[::] -> [::1]), IPv6 literals get brackets
 * (a zone id is escaped as %25), names are checked so they cannot change the
 * URL's shape. NULL when host is unusable. The caller frees the result. */
static char *
connect_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char *inner, *zone, *res = NULL;
	size_t n = strlen(host);

	if (n == 0)
		return s2p_xstrdup("127.0.0.1");
	if (n > 255) /* longer than any DNS name */
		return NULL;
	if (host[0] == '[') {
		if (n < 3 || host[n - 1] != ']')
			return NULL;
		inner = s2p_xstrndup(host + 1, n - 2);
		if (strchr(inner, ':') == NULL)
			goto out;
	} else {
		inner = s2p_xstrdup(host);
	}
	if (strchr(inner, ':') != NULL) {
		zone = strchr(inner, '%');
		if (zone != NULL)
			*zone++ = '\0';
		if (inet_pton(AF_INET6, inner, &a6) != 1 ||
		    (zone != NULL && !name_ok(zone)))
			goto out;
		if (IN6_IS_ADDR_UNSPECIFIED(&a6))
			res = s2p_xstrdup("[::1]");
		else if (zone != NULL)
			res = s2p_xasprintf("[%s%%25%s]", inner, zone);
		else
			res = s2p_xasprintf("[%s]", inner);
		goto out;
	}
	if (inet_pton(AF_INET, inner, &a4) == 1 && a4.s_addr == INADDR_ANY)
		res = s2p_xstrdup("127.0.0.1");
	else if (name_ok(inner))
		res = s2p_xstrdup(inner);
out:
	free(inner);
	return res;
}

/* A cookie value goes into a header: refuse anything that could split it. */
static int
cookie_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ';' ||
		    *s == ',')
			return 0;
	return 1;
}

/* server_connection.SessionCookie (v, may be absent or null) ->
 * session_cookie: a non-empty Value, at most 4096 bytes, that cannot split
 * a header. */
static int
parse_cookie(struct s2p_input *out, const json_t *v, struct s2p_error *err)
{
	int rc;

	if (v == NULL || json_is_null(v))
		return S2P_OK;
	if (!json_is_object(v))
		return field_error(err, "server_connection.SessionCookie",
		    "an object", v);
	rc = get_string(v, "Value", "server_connection.SessionCookie.Value",
	    &out->session_cookie, err);
	if (rc != S2P_OK)
		return rc;
	if (out->session_cookie != NULL && *out->session_cookie == '\0') {
		free(out->session_cookie);
		out->session_cookie = NULL;
	}
	if (out->session_cookie == NULL)
		return S2P_OK;
	if (strlen(out->session_cookie) > 4096)
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "server_connection.SessionCookie.Value: too long (%zu "
		    "bytes, at most 4096)",
		    strlen(out->session_cookie));
	if (!cookie_ok(out->session_cookie))
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "server_connection.SessionCookie.Value: invalid "
		    "characters");
	return S2P_OK;
}

/* server_connection -> stash_url, session_cookie, stash_dir, plugin_dir. An
 * absent or null object gives http://127.0.0.1:9999. */
static int
parse_connection(struct s2p_input *out, const json_t *sc, struct s2p_error *err)
{
	const json_t *v;
	char *scheme = NULL, *host = NULL, *chost = NULL, *p;
	long long port = 9999; /* Stash's default */
	int rc;

	/* Stash always sends it; without it we would talk to whatever
	 * listens on the default port. */
	if (sc == NULL || json_is_null(sc))
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "server_connection is missing (Stash sends Scheme, Host, "
		    "Port, SessionCookie and PluginDir there; outside Stash "
		    "use "
		    "the command line: stash2plex help)");
	if (!json_is_object(sc))
		return field_error(err, "server_connection", "an object", sc);
	rc = get_string(sc, "Scheme", "server_connection.Scheme", &scheme, err);
	if (rc != S2P_OK)
		goto out;
	if (scheme == NULL || *scheme == '\0') {
		free(scheme);
		scheme = s2p_xstrdup("http");
	}
	for (p = scheme; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "server_connection.Scheme: expected http or https");
		goto out;
	}

	rc = get_string(sc, "Host", "server_connection.Host", &host, err);
	if (rc != S2P_OK)
		goto out;
	chost = connect_host(host ? host : "");
	if (chost == NULL) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "server_connection.Host: not a host name or address");
		goto out;
	}

	v = json_object_get(sc, "Port");
	if (v != NULL && !json_is_null(v)) {
		if (!s2p_json_whole(v, &port)) {
			rc = field_error(err, "server_connection.Port",
			    "a whole number between 1 and 65535", v);
			goto out;
		}
		if (port < 1 || port > 65535) {
			rc = s2p_error_set(err, S2P_EPARSE,
			    "invalid input: "
			    "server_connection.Port: %lld is not 1-65535",
			    port);
			goto out;
		}
	}
	out->stash_url = s2p_xasprintf("%s://%s:%lld", scheme, chost, port);

	rc = parse_cookie(out, json_object_get(sc, "SessionCookie"), err);
	if (rc != S2P_OK)
		goto out;

	rc = get_string(sc, "Dir", "server_connection.Dir", &out->stash_dir,
	    err);
	if (rc != S2P_OK)
		goto out;
	rc = get_string(sc, "PluginDir", "server_connection.PluginDir",
	    &out->plugin_dir, err);
out:
	free(scheme);
	free(host);
	free(chost);
	return rc;
}

/* args.hookContext -> is_hook, hook_type, hook_id, hook_input,
 * hook_fields (the last two borrowed from out->args). */
static int
parse_hook(struct s2p_input *out, json_t *hc, struct s2p_error *err)
{
	json_t *v;
	long long id = 0;
	size_t i;
	int rc;

	if (hc == NULL || json_is_null(hc))
		return S2P_OK;
	if (!json_is_object(hc))
		return field_error(err, "args.hookContext", "an object", hc);
	out->is_hook = 1;

	v = json_object_get(hc, "id");
	if (v != NULL && !json_is_null(v)) {
		if (!s2p_json_whole(v, &id))
			return field_error(err, "args.hookContext.id",
			    "a whole number", v);
		if (id < 0)
			return s2p_error_set(err, S2P_EPARSE,
			    "invalid input: "
			    "args.hookContext.id: %lld is negative",
			    id);
	}
	out->hook_id = id;

	rc = get_string(hc, "type", "args.hookContext.type", &out->hook_type,
	    err);
	if (rc != S2P_OK)
		return rc;
	if (out->hook_type == NULL || *out->hook_type == '\0')
		return s2p_error_set(err, S2P_EPARSE,
		    "invalid input: "
		    "args.hookContext.type: missing");

	out->hook_input = json_object_get(hc, "input");

	v = json_object_get(hc, "inputFields");
	if (v == NULL || json_is_null(v))
		return S2P_OK;
	if (!json_is_array(v))
		return field_error(err, "args.hookContext.inputFields",
		    "an array of strings", v);
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return field_error(err,
			    "args.hookContext.inputFields[]", "a string",
			    json_array_get(v, i));
	out->hook_fields = v;
	return S2P_OK;
}

/* jansson's message without its " near '<token>'" tail, which could quote
 * part of the input (a cookie, say). */
static void
strip_near(char *text)
{
	char *near = strstr(text, " near ");

	if (near != NULL)
		*near = '\0';
}

int
s2p_input_parse(struct s2p_input *out, const char *json, size_t len,
    struct s2p_error *err)
{
	json_error_t jerr;
	json_t *root = NULL, *args;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len && isspace((unsigned char)json[i]); i++)
		;
	if (i == len) {
		rc = s2p_error_set(err, S2P_EPARSE, "no input on stdin");
		goto out;
	}
	root = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		strip_near(jerr.text);
		rc = s2p_error_set(err, S2P_EPARSE,
		    "invalid JSON input at "
		    "line %d, column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = field_error(err, "document", "a JSON object", root);
		goto out;
	}

	args = json_object_get(root, "args");
	if (args == NULL || json_is_null(args)) {
		out->args = json_object();
	} else if (json_is_object(args)) {
		out->args = json_incref(args);
	} else {
		rc = field_error(err, "args", "an object", args);
		goto out;
	}
	rc = get_string(out->args, "mode", "args.mode", &out->mode, err);
	if (rc != S2P_OK)
		goto out;
	rc = parse_hook(out, json_object_get(out->args, "hookContext"), err);
	if (rc == S2P_OK)
		rc = parse_connection(out,
		    json_object_get(root, "server_connection"), err);
out:
	json_decref(root);
	if (rc != S2P_OK)
		s2p_input_free(out);
	return rc;
}

/* Empty every JSON string longer than max bytes, in place (*len shrinks).
 * A hook input may carry a whole cover image as a base64 data URL
 * (cover_image, megabytes) that we never use; parsing it would cost a hook
 * ~100 ms. Strings are found by a byte scan that honours escapes, so
 * nothing else changes; malformed input stays malformed. */
static void
drop_long_strings(char *buf, size_t *len, size_t max)
{
	size_t r = 0, w = 0, start = 0;
	int in_str = 0;

	while (r < *len) {
		char c = buf[r++];

		if (!in_str) {
			buf[w++] = c;
			if (c == '"') {
				in_str = 1;
				start = w;
			}
			continue;
		}
		if (c == '\\' && r < *len) {
			buf[w++] = c;
			buf[w++] = buf[r++];
		} else if (c == '"') {
			if (w - start > max)
				w = start; /* keep "", drop the content */
			buf[w++] = c;
			in_str = 0;
		} else {
			buf[w++] = c;
		}
	}
	*len = w;
}

int
s2p_input_read(struct s2p_input *out, int fd, struct s2p_error *err)
{
	struct s2p_buf b;
	int rc;

	memset(out, 0, sizeof(*out));
	s2p_buf_init(&b, S2P_STDIN_MAX);
	rc = s2p_buf_read_fd(&b, fd);
	if (rc == S2P_EPARSE) {
		rc = s2p_error_set(err, S2P_EPARSE,
		    "input on stdin is larger "
		    "than %u MiB",
		    S2P_STDIN_MAX / (1024 * 1024));
		goto out;
	}
	if (rc != S2P_OK) {
		rc = s2p_error_set(err, rc, "cannot read stdin");
		goto out;
	}
	if (b.data != NULL)
		drop_long_strings(b.data, &b.len, 64 * 1024);
	rc = s2p_input_parse(out, b.data ? b.data : "", b.len, err);
out:
	s2p_buf_free(&b);
	return rc;
}

void
s2p_input_free(struct s2p_input *in)
{
	if (in == NULL)
		return;
	free(in->stash_url);
	free(in->session_cookie);
	free(in->stash_dir);
	free(in->plugin_dir);
	free(in->mode);
	free(in->hook_type);
	json_decref(in->args);
	memset(in, 0, sizeof(*in));
}

/* 1 when an update input object has a non-null synced field. Bulk inputs
 * carry tag_ids/performer_ids as {"ids": [...], "mode": ...} objects,
 * which count as present like any other non-null value. */
static int
object_touches(const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) if (!json_is_null(v) &&
	    in_list(key, synced_fields, S2P_ARRAY_LEN(synced_fields))) return 1;
	return 0;
}

/* 1 when el's "id" (a string or a number) names scene id. */
static int
element_is(const json_t *el, int64_t id)
{
	const json_t *v = json_object_get(el, "id");
	long long n;

	return v != NULL && s2p_json_whole(v, &n) && n == id;
}

int
s2p_input_touches_synced_field(const struct s2p_input *in)
{
	const json_t *input;
	size_t i;
	int any = 0;

	if (in == NULL || !in->is_hook)
		return 0;
	if (in->hook_fields != NULL) {
		for (i = 0; i < json_array_size(in->hook_fields); i++) {
			const char *f = json_string_value(
			    json_array_get(in->hook_fields, i));

			if (f == NULL ||
			    in_list(f, neutral_fields,
				S2P_ARRAY_LEN(neutral_fields)))
				continue;
			if (in_list(f, synced_fields,
				S2P_ARRAY_LEN(synced_fields)))
				return 1;
		}
		return 0;
	}
	input = in->hook_input;
	if (json_is_object(input))
		return object_touches(input);
	if (!json_is_array(input))
		return 0;
	/* scenesUpdate hands every scene the whole array: use this scene's
	 * element, or any element when none names it. */
	for (i = 0; i < json_array_size(input); i++) {
		const json_t *el = json_array_get(input, i);

		if (!json_is_object(el))
			continue;
		if (element_is(el, in->hook_id))
			return object_touches(el);
		any |= object_touches(el);
	}
	return any;
}
