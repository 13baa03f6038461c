/*
 * cli_status.c - the commands that look rather than act: `status` (the
 * status document, status.c), `health` (database, Plex and Stash checked
 * now, with exit codes 3/4), `version`, the `task` passthrough to the
 * plugin's task modes, and the `daemon` verb (app/daemon.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/status.h"
#include "core/log.h"
#include "net/http.h"

int
s2p_cli_status(struct s2p_cli *c)
{
	struct s2p_error e;
	json_t *doc = NULL;
	int rc, code = 0;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	if (s2p_cli_db(c, &code) != S2P_OK)
		return code;
	s2p_ctx_load_cached_settings(&c->app->ctx);
	s2p_error_clear(&e);
	rc = s2p_status_build(c->app, &doc, &e);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	if (c->json)
		return s2p_cli_print_json(doc);
	s2p_status_print(doc, stdout);
	json_decref(doc);
	return S2P_EXIT_OK;
}

/* A check's JSON: {"ok": bool, "error": text or null} plus extra. */
static json_t *
check(int ok, const struct s2p_error *e)
{
	char *clean = ok ? NULL : s2p_log_redact(e->msg);
	json_t *j = json_pack("{s:b, s:o}", "ok", ok, "error",
	    ok ? json_null() : json_string(clean));

	free(clean);
	return j;
}

/* Plex: reachable (/identity) and the token accepted. */
static json_t *
check_plex(struct s2p_cli *c, int *ok)
{
	struct s2p_plex_identity id;
	struct s2p_error e;
	json_t *j;
	int rc;

	s2p_error_clear(&e);
	memset(&id, 0, sizeof(id));
	rc = s2p_ctx_plex(&c->app->ctx, &e);
	if (rc == S2P_OK)
		rc = s2p_plex_identity(c->app->ctx.plex, S2P_PROBE_TIMEOUT_MS,
		    &id, &e);
	if (rc == S2P_OK)
		rc = s2p_plex_check_token(c->app->ctx.plex,
		    S2P_PROBE_TIMEOUT_MS, &e);
	*ok = rc == S2P_OK;
	j = check(*ok, &e);
	json_object_set_new(j, "token_rejected", json_boolean(rc == S2P_EAUTH));
	json_object_set_new(j, "version",
	    *ok ? json_string(id.version) : json_null());
	json_object_set_new(j, "latency_ms",
	    *ok ? json_real(id.latency_ms) : json_null());
	return j;
}

/* Stash: answers a one-scene query (null when no Stash is configured). */
static json_t *
check_stash(struct s2p_cli *c, int *ok)
{
	struct s2p_error e;
	int64_t *ids = NULL;
	size_t n = 0;
	long count = 0;
	int rc;

	*ok = 1;
	if (c->app->ctx.stash_url == NULL)
		return json_null();
	s2p_error_clear(&e);
	rc = s2p_ctx_stash(&c->app->ctx, &e);
	if (rc == S2P_OK)
		rc = s2p_stash_scene_ids(c->app->ctx.stash, NULL, 1, 1, &ids,
		    &n, &count, &e);
	free(ids);
	*ok = rc == S2P_OK;
	return check(*ok, &e);
}

/* Print the health report for a person. */
static void
print_health(const json_t *doc)
{
	static const char *const parts[] = {"database", "plex", "stash"};
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(parts); i++) {
		const json_t *p = json_object_get(doc, parts[i]);

		if (json_is_null(p))
			printf("%-9s not configured\n", parts[i]);
		else if (json_is_true(json_object_get(p, "ok")))
			printf("%-9s ok\n", parts[i]);
		else
			printf("%-9s FAIL: %s\n", parts[i],
			    json_string_value(json_object_get(p, "error")));
	}
	printf("breaker   %s\n",
	    json_string_value(json_object_get(doc, "breaker")));
}

int
s2p_cli_health(struct s2p_cli *c)
{
	struct s2p_error e;
	json_t *doc, *st = NULL;
	int db_ok, plex_ok = 0, stash_ok = 1, rc;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	s2p_error_clear(&e);
	db_ok = s2p_ctx_db(&c->app->ctx, &e) == S2P_OK;
	doc = json_pack("{s:o}", "database", check(db_ok, &e));
	s2p_error_clear(&e);
	rc = s2p_app_settings(c->app, &e);
	if (rc != S2P_OK) {
		json_decref(doc);
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_STASH);
	}
	json_object_set_new(doc, "plex", check_plex(c, &plex_ok));
	json_object_set_new(doc, "stash", check_stash(c, &stash_ok));
	if (db_ok && s2p_status_build(c->app, &st, NULL) == S2P_OK)
		json_object_set(doc, "breaker",
		    json_object_get(json_object_get(st, "breaker"), "state"));
	else
		json_object_set_new(doc, "breaker", json_string("unknown"));
	json_decref(st);
	json_object_set_new(doc, "ok",
	    json_boolean(db_ok && plex_ok && stash_ok));
	if (c->json) {
		json_incref(doc);
		s2p_cli_print_json(doc);
	} else {
		print_health(doc);
	}
	json_decref(doc);
	return !plex_ok ? S2P_EXIT_PLEX
	    : !stash_ok ? S2P_EXIT_STASH
	    : !db_ok    ? S2P_EXIT_FAIL
			: S2P_EXIT_OK;
}

int
s2p_cli_version(struct s2p_cli *c)
{
	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	if (c->json)
		return s2p_cli_print_json(json_pack("{s:s, s:i}", "version",
		    S2P_VERSION, "status_schema", S2P_STATUS_SCHEMA));
	printf("stash2plex %s\n", S2P_VERSION);
	return S2P_EXIT_OK;
}

/* `stash2plex daemon`: the worker, permanently (app/daemon.c). */
int
s2p_cli_daemon(struct s2p_cli *c)
{
	struct s2p_error e;
	int rc;

	if (c->npos > 0)
		return s2p_cli_usage(c, "unexpected argument \"%s\"",
		    c->pos[0]);
	s2p_error_clear(&e);
	rc = s2p_daemon_run(c->app, &e);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	puts("daemon stopped");
	return S2P_EXIT_OK;
}

int
s2p_cli_task(struct s2p_cli *c)
{
	struct s2p_buf msg;
	struct s2p_error e;
	int rc;

	if (c->npos != 1)
		return s2p_cli_usage(c, "expected one task mode");
	s2p_error_clear(&e);
	s2p_buf_init(&msg, 0);
	rc = s2p_task_run(c->app, c->pos[0], &msg, &e);
	if (rc == S2P_EINVAL && strncmp(e.msg, "unknown task mode", 17) == 0)
		rc = s2p_cli_usage(c, "%s", e.msg);
	else if (rc != S2P_OK)
		rc = s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	else if (c->json)
		rc = s2p_cli_print_json(json_pack("{s:s, s:s}", "mode",
		    c->pos[0], "result", msg.data ? msg.data : "ok"));
	else
		printf("%s\n", msg.data ? msg.data : "ok");
	s2p_buf_free(&msg);
	return rc;
}
