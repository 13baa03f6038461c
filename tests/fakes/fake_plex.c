/*
 * fake_plex.c - the fake Plex Media Server binary (build/fake-plex). All the
 * behaviour lives in plexsrv.c; this only parses flags, serves until
 * SIGTERM/SIGINT or POST /quit on the control port, and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fakehttp.h"
#include "plexsrv.h"

int
main(int argc, char **argv)
{
	struct fake_opts opts;
	struct fake_server_config cfg = {0};
	struct fake_plex *p = NULL;
	struct fake_server *srv = NULL;
	struct s2p_error err;
	int rc = 1;

	fake_opts_init(&opts);
	if (fake_plex_new(&p, argc, argv, &opts, &err) != S2P_OK) {
		fprintf(stderr, "fake-plex: %s\n", err.msg);
		rc = 2;
		goto out;
	}
	fake_plex_config(p, &cfg);
	if (fake_server_start(&srv, &cfg, &opts, &err) != S2P_OK) {
		fprintf(stderr, "fake-plex: %s\n", err.msg);
		goto out;
	}
	if (opts.verbose)
		fprintf(stderr,
		    "fake-plex: service on 127.0.0.1:%d, control "
		    "on 127.0.0.1:%d\n",
		    fake_server_port(srv), fake_server_control_port(srv));
	fake_server_wait(srv);
	rc = 0;
out:
	fake_server_free(srv);
	fake_plex_free(p);
	fake_opts_free(&opts);
	return rc;
}
