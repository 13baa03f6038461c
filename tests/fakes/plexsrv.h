/*
 * plexsrv.h - the fake Plex Media Server's model and routes, as a library so
 * unit tests can run it in-process; fake_plex.c is only its main(). As
 * strict as PMS's documented behaviour (see README.md for flags and control
 * endpoints). All handlers run under fakehttp's model mutex.
 */
#ifndef FAKE_PLEXSRV_H
#define FAKE_PLEXSRV_H

#include "core/compat.h"
#include "core/err.h"
#include "fakehttp.h"

struct fake_plex;

/* Parse the whole command line (shared flags into *opts, which the caller
 * initialised with fake_opts_init, plus fake-plex's own) and build the
 * model. Returns S2P_EINVAL on a bad flag. The caller frees *out. */
int fake_plex_new(struct fake_plex **out, int argc, char **argv,
    struct fake_opts *opts, struct s2p_error *err) S2P_NODISCARD;
/* Fill cfg's handler, error, state, control, payload and secret lists. */
void fake_plex_config(struct fake_plex *p, struct fake_server_config *cfg);
void fake_plex_free(struct fake_plex *p);

#endif
