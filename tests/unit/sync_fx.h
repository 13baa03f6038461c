/*
 * sync_fx.h - a fixture for the unit tests of the sync layer (scenesync,
 * worker): fake Stash and fake Plex run in-process on loopback ports over
 * the same synthetic library, a scratch data directory with a real SQLite
 * database, and a run context wired to both with a manual clock, so sleeps
 * cost nothing. Header-only so that it needs no CMake change.
 */
#ifndef SYNC_FX_H
#define SYNC_FX_H

#include <curl/curl.h>
#include <jansson.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "fakehttp.h"
#include "plexsrv.h"
#include "resil_util.h"
#include "stashsrv.h"
#include "sync/ctx.h"

struct sync_fx {
	char *dir;
	struct fake_opts popts;
	struct fake_plex *fp;
	struct fake_server *psrv;
	struct fake_stash *fs;
	struct fake_opts sopts;
	struct fake_server *ssrv;
	struct s2p_manual_clock clk;
	struct s2p_ctx ctx;
};

/* Start both fakes with `scenes` scenes (seed 1) and a context for them,
 * logging to <scratch>/test.log. */
static inline struct sync_fx *
sync_fx_start(size_t scenes)
{
	struct sync_fx *f = s2p_xcalloc(1, sizeof(*f));
	struct fake_server_config pcfg, scfg;
	struct fake_stash_opts so;
	struct s2p_log_opts lo;
	struct s2p_error err;
	char *argv[8], *url, *logpath;
	int argc = 0;

	memset(&pcfg, 0, sizeof(pcfg));
	memset(&scfg, 0, sizeof(scfg));
	f->dir = make_scratch();
	assert_non_null(f->dir);
	logpath = s2p_xasprintf("%s/test.log", f->dir);
	memset(&lo, 0, sizeof(lo));
	lo.format = S2P_LOGFMT_PLAIN;
	lo.file = logpath;
	lo.file_max = 1 << 24;
	lo.min = S2P_LOG_DEBUG;
	s2p_log_open(&lo);
	free(logpath);

	argv[argc++] = s2p_xstrdup("fake-plex");
	argv[argc++] = s2p_xstrdup("--scenes");
	argv[argc++] = s2p_xasprintf("%zu", scenes);
	argv[argc++] = s2p_xstrdup("--scan-ms");
	argv[argc++] = s2p_xstrdup("0");
	argv[argc] = NULL;
	fake_opts_init(&f->popts);
	assert_int_equal(fake_plex_new(&f->fp, argc, argv, &f->popts, &err),
	    S2P_OK);
	while (argc > 0)
		free(argv[--argc]);
	fake_plex_config(f->fp, &pcfg);
	assert_int_equal(fake_server_start(&f->psrv, &pcfg, &f->popts, &err),
	    S2P_OK);

	memset(&so, 0, sizeof(so));
	so.scenes = scenes;
	so.seed = 1;
	fake_stash_new(&f->fs, &so);
	fake_stash_server_config(f->fs, &scfg);
	fake_opts_init(&f->sopts);
	assert_int_equal(fake_server_start(&f->ssrv, &scfg, &f->sopts, &err),
	    S2P_OK);

	s2p_ctx_init(&f->ctx);
	s2p_manual_clock_init(&f->clk, 1800000000.0);
	f->ctx.clock = &f->clk.clock;
	f->ctx.data_dir = s2p_xstrdup(f->dir);
	f->ctx.stash_url = s2p_xasprintf("http://127.0.0.1:%d",
	    fake_server_port(f->ssrv));
	url = s2p_xasprintf("http://127.0.0.1:%d", fake_server_port(f->psrv));
	assert_int_equal(s2p_config_set(&f->ctx.cfg, "plex_url", url, &err),
	    S2P_OK);
	free(url);
	assert_int_equal(s2p_config_set(&f->ctx.cfg, "plex_token",
			     "fake-plex-token", &err),
	    S2P_OK);
	assert_int_equal(s2p_ctx_connect(&f->ctx, &err), S2P_OK);
	return f;
}

static inline void
sync_fx_stop(struct sync_fx *f)
{
	s2p_ctx_free(&f->ctx);
	fake_server_free(f->ssrv);
	fake_stash_free(f->fs);
	fake_opts_free(&f->sopts);
	fake_server_free(f->psrv);
	fake_plex_free(f->fp);
	fake_opts_free(&f->popts);
	s2p_log_close();
	rm_scratch(f->dir);
	free(f->dir);
	free(f);
}

/* Requests fake Plex received with this method (NULL: any) since the last
 * sync_fx_forget. */
static inline int
sync_fx_plex_requests(struct sync_fx *f, const char *method)
{
	json_t *reqs = fake_server_requests(f->psrv), *r;
	size_t i;
	int n = 0;

	json_array_foreach(reqs, i, r)
	{
		const char *m = json_string_value(json_object_get(r, "method"));

		if (method == NULL || (m != NULL && strcmp(m, method) == 0))
			n++;
	}
	json_decref(reqs);
	return n;
}

/* Forget fake Plex's recorded requests (through its control port, the
 * one way to clear the log). */
static inline void
sync_fx_forget(struct sync_fx *f)
{
	CURL *c = curl_easy_init();
	char *u = s2p_xasprintf("http://127.0.0.1:%d/requests",
	    fake_server_control_port(f->psrv));

	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	free(u);
	assert_int_equal(sync_fx_plex_requests(f, NULL), 0);
}

/* Make fake Plex answer every request with status (0: heal it). */
static inline void
sync_fx_plex_status(struct sync_fx *f, int status)
{
	struct fake_fault ft;

	memset(&ft, 0, sizeof(ft));
	ft.mode = status ? FAKE_FAULT_STATUS : FAKE_FAULT_NONE;
	ft.status = status;
	fake_server_set_fault(f->psrv, &ft);
}

#endif
