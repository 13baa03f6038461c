/*
 * fake_stash.c - the fake-stash program: command line around stashsrv.c.
 *
 *   fake-stash [--port P] [--port-file F] [--control-port-file F]
 *              [--scenes N] [--seed S] [--root DIR] [--verbose]
 *              [--require-auth] [--session-cookie VALUE] [--api-key KEY]
 *              [--settings-json FILE] [--plugin-id ID] [--fixed-clock EPOCH]
 *              [--plugin-exec PROGRAM] [--plugin-dir DIR]
 *
 * Once both listeners are up it prints one line to stderr:
 *   fake-stash: listening on 127.0.0.1:<port> (control <port>)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "fakehttp.h"
#include "stashsrv.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: fake-stash [--port P] [--port-file F] "
	    "[--control-port-file F]\n"
	    "                  [--scenes N] [--seed S] [--root DIR] "
	    "[--verbose]\n"
	    "                  [--require-auth] [--session-cookie VALUE] "
	    "[--api-key KEY]\n"
	    "                  [--settings-json FILE] [--plugin-id ID] "
	    "[--fixed-clock EPOCH]\n"
	    "                  [--plugin-exec PROGRAM] [--plugin-dir DIR]\n");
}

/* Load the plugin's saved settings object from path (caller decrefs). */
static json_t *
load_settings(const char *path)
{
	struct s2p_buf b;
	struct s2p_error e;
	json_error_t je;
	json_t *j = NULL;

	s2p_buf_init(&b, 16u << 20);
	if (s2p_read_file(path, &b, &e) != S2P_OK) {
		fprintf(stderr, "fake-stash: %s\n", e.msg);
		goto out;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr, "fake-stash: %s: not a JSON object\n", path);
		json_decref(j);
		j = NULL;
	}
out:
	s2p_buf_free(&b);
	return j;
}

/* Parse flags, build the model, serve until POST /quit or a signal. */
int
main(int argc, char **argv)
{
	struct fake_opts opts;
	struct fake_stash_opts so;
	struct fake_stash *st = NULL;
	struct fake_server *srv = NULL;
	struct fake_server_config cfg;
	struct s2p_error err;
	json_t *settings = NULL;
	int i = 1, rc = 2;

	fake_opts_init(&opts);
	memset(&so, 0, sizeof(so));
	while (i < argc) {
		const char *v;
		int bad = 0, r = fake_opts_parse(&opts, argc, argv, &i);

		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--require-auth") == 0) {
			so.require_auth = 1;
			i++;
		} else if ((v = fake_opt_value(argc, argv, &i, "session-cookie",
				&bad))) {
			so.session_cookie = v;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "api-key", &bad))) {
			so.api_key = v;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "settings-json",
			 &bad))) {
			json_decref(settings);
			settings = load_settings(v);
			if (settings == NULL)
				goto out;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "plugin-exec", &bad))) {
			so.plugin_exec = v;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "plugin-dir", &bad))) {
			so.plugin_dir = v;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "plugin-id", &bad))) {
			so.plugin_id = v;
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "fixed-clock", &bad))) {
			char *end;

			so.fixed_clock = strtod(v, &end);
			if (*end || so.fixed_clock <= 0) {
				fprintf(stderr,
				    "fake-stash: bad --fixed-clock "
				    "'%s'\n",
				    v);
				goto out;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			usage();
			rc = 0;
			goto out;
		} else {
			if (!bad)
				fprintf(stderr,
				    "fake-stash: unknown option "
				    "'%s'\n",
				    argv[i]);
			usage();
			goto out;
		}
		if (bad)
			goto out;
	}
	so.scenes = opts.scenes;
	so.seed = opts.seed;
	so.root = opts.root;
	so.settings = settings;
	fake_stash_new(&st, &so);
	fake_stash_server_config(st, &cfg);
	if (fake_server_start(&srv, &cfg, &opts, &err) != S2P_OK) {
		fprintf(stderr, "fake-stash: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	fake_stash_set_server(st, srv);
	fprintf(stderr, "fake-stash: listening on 127.0.0.1:%d (control %d)\n",
	    fake_server_port(srv), fake_server_control_port(srv));
	fake_server_wait(srv);
	rc = 0;
out:
	fake_server_free(srv);
	fake_stash_free(st);
	json_decref(settings);
	fake_opts_free(&opts);
	return rc;
}
