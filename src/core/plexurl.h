/*
 * plexurl.h - the Plex URL as users paste it, turned into the base URL the
 * client talks to. People copy the address bar of Plex Web
 * (http://10.0.0.5:32400/web/index.html#!/server/<id>/details?key=...), add
 * a trailing slash or leave out the port; all of that is accepted and
 * reduced to scheme://host:port[/proxy-prefix]. Anything that is not
 * http(s) is refused with the accepted form in the message.
 */
#ifndef S2P_PLEXURL_H
#define S2P_PLEXURL_H

#include "compat.h"
#include "err.h"

#define S2P_PLEX_DEFAULT_PORT 32400

/* Normalise in (already trimmed) into *out (new string): scheme lower-cased;
 * a "/web" path with everything after it, the fragment ("#!/...") and the
 * query dropped (a pasted ?X-Plex-Token= never survives); trailing slashes
 * stripped; ":32400" added when no port is given. S2P_EINVAL (message
 * never quoting in, which may hold a token) for another scheme, white space,
 * no host or a bad port. */
int s2p_plex_url_normalize(const char *in, char **out,
    struct s2p_error *err) S2P_NODISCARD;

#endif
