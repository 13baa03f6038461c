/*
 * plexurl.c - normalising the pasted Plex URL (see plexurl.h). The value is
 * never quoted in a message: a pasted URL may carry X-Plex-Token.
 */
#include "plexurl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "xalloc.h"

#define ACCEPTED                                                               \
	"http://HOST:32400 or https://HOST:32400, e.g. "                       \
	"http://192.168.1.10:32400"

/* Check the port after a ':' (n digits at p): 1..65535. */
static int
port_ok(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Split host[:port] (hp, n bytes; IPv6 in brackets) into the host length
 * and whether a port is given. S2P_EINVAL on a bad port or no host. */
static int
host_port(const char *hp, size_t n, size_t *host_len, int *has_port,
    struct s2p_error *err)
{
	const char *colon;

	if (n > 0 && hp[0] == '[') {
		const char *close = memchr(hp, ']', n);

		if (close == NULL || close == hp + 1)
			return s2p_error_set(err, S2P_EINVAL,
			    "setting "
			    "plex_url: bad IPv6 address (use " ACCEPTED ")");
		*host_len = (size_t)(close - hp) + 1;
	} else {
		colon = memchr(hp, ':', n);
		*host_len = colon ? (size_t)(colon - hp) : n;
	}
	if (*host_len == 0)
		return s2p_error_set(err, S2P_EINVAL,
		    "setting plex_url: has no host name (use " ACCEPTED ")");
	*has_port = 0;
	if (*host_len == n || (*host_len + 1 == n && hp[n - 1] == ':'))
		return S2P_OK; /* "host" or "host:" */
	if (hp[*host_len] != ':' ||
	    !port_ok(hp + *host_len + 1, n - *host_len - 1))
		return s2p_error_set(err, S2P_EINVAL,
		    "setting plex_url: bad "
		    "port (use " ACCEPTED ")");
	*has_port = 1;
	return S2P_OK;
}

int
s2p_plex_url_normalize(const char *in, char **out, struct s2p_error *err)
{
	const char *sep = strstr(in, "://"), *auth, *hp, *p;
	size_t alen, plen, hlen = 0, i;
	struct s2p_buf b;
	int https, has_port = 0, rc;

	*out = NULL;
	if (sep == NULL ||
	    !((sep - in == 4 && strncasecmp(in, "http", 4) == 0) ||
		(sep - in == 5 && strncasecmp(in, "https", 5) == 0)))
		return s2p_error_set(err, S2P_EINVAL,
		    "setting plex_url: must "
		    "be the address of your Plex server as " ACCEPTED);
	for (i = 0; in[i] != '\0'; i++)
		if (isspace((unsigned char)in[i]) ||
		    iscntrl((unsigned char)in[i]))
			return s2p_error_set(err, S2P_EINVAL,
			    "setting "
			    "plex_url: must not contain spaces (use " ACCEPTED
			    ")");
	https = sep - in == 5;
	auth = sep + 3;
	alen = strcspn(auth, "/?#");
	/* host[:port] follows the last '@' of the user-info, if any */
	hp = auth;
	for (p = auth; p < auth + alen; p++)
		if (*p == '@')
			hp = p + 1;
	rc = host_port(hp, alen - (size_t)(hp - auth), &hlen, &has_port, err);
	if (rc != S2P_OK)
		return rc;
	if (hlen == strlen("app.plex.tv") &&
	    strncasecmp(hp, "app.plex.tv", hlen) == 0)
		return s2p_error_set(err, S2P_EINVAL,
		    "setting plex_url: "
		    "app.plex.tv is Plex's web app, not your server "
		    "(use " ACCEPTED ")");
	/* the path: up to the query or fragment; Plex Web's /web... goes */
	p = auth + alen;
	plen = strcspn(p, "?#");
	if (plen >= 4 && strncmp(p, "/web", 4) == 0 &&
	    (plen == 4 || p[4] == '/'))
		plen = 0;
	while (plen > 0 && p[plen - 1] == '/')
		plen--;

	s2p_buf_init(&b, 0);
	rc = s2p_buf_adds(&b, https ? "https://" : "http://");
	if (rc == S2P_OK && !has_port)
		rc = s2p_buf_add(&b, auth, (size_t)(hp - auth) + hlen);
	else if (rc == S2P_OK)
		rc = s2p_buf_add(&b, auth, alen);
	if (rc == S2P_OK && !has_port)
		rc = s2p_buf_addf(&b, ":%d", S2P_PLEX_DEFAULT_PORT);
	if (rc == S2P_OK)
		rc = s2p_buf_add(&b, p, plen);
	if (rc != S2P_OK) {
		s2p_buf_free(&b);
		return s2p_error_set(err, S2P_EINVAL,
		    "setting plex_url: "
		    "too long");
	}
	*out = s2p_buf_take(&b);
	return S2P_OK;
}
