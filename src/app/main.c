/*
 * main.c - entry point. Run by Stash with no arguments, it speaks the raw
 * plugin protocol: one JSON document on stdin, exactly one JSON object on
 * stdout ({"output": ...} or {"error": ...}), log lines on stderr with
 * Stash's level prefix. With arguments it is a command-line tool
 * (app/cli.c: status, sync, dlq, ... see docs/cli.md).
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/cli.h"
#include "core/fsutil.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/testpause.h"
#include "core/xalloc.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
s2p_app_settings(struct s2p_app *app, struct s2p_error *err)
{
	int rc = s2p_ctx_load_settings(&app->ctx, &app->overrides, err);

	s2p_log_debug_as_info(app->ctx.cfg.debug_logging && app->plugin_mode);
	return rc;
}

/* Print the protocol's one stdout object and flush it. With as_json, text
 * is a compact JSON document (an operation's answer, built by jansson)
 * that becomes the value as it is: masking a secret ("***") keeps it
 * valid, and not parsing it again keeps the status operation fast. */
static void
emit(const char *key, const char *text, int as_json)
{
	json_t *o = NULL;
	char *s, *clean = s2p_log_redact(text);

	if (as_json) {
		fprintf(stdout, "{\"%s\":%s}", key, clean);
		fflush(stdout);
		free(clean);
		return;
	}
	o = json_object();
	json_object_set_new(o, key, json_string(clean));
	s = json_dumps(o, JSON_COMPACT);
	fputs(s, stdout);
	fflush(stdout);
	free(s);
	free(clean);
	json_decref(o);
}

static void
log_setup(int plugin_mode, int debug)
{
	struct s2p_log_opts lo;

	memset(&lo, 0, sizeof(lo));
	lo.format = plugin_mode ? S2P_LOGFMT_STASH : S2P_LOGFMT_PLAIN;
	lo.to_stderr = 1;
	lo.min = debug ? S2P_LOG_DEBUG : S2P_LOG_INFO;
	s2p_log_open(&lo);
}

/* Data directory: $STASH2PLEX_DATA_DIR, else <PluginDir>/data. */
static char *
data_dir(const char *plugin_dir)
{
	const char *env = getenv("STASH2PLEX_DATA_DIR");

	if (env != NULL && *env != '\0')
		return s2p_xstrdup(env);
	if (plugin_dir != NULL && *plugin_dir != '\0')
		return s2p_xasprintf("%s/data", plugin_dir);
	return NULL;
}

static int
plugin_main(struct s2p_app *app)
{
	struct s2p_input in;
	struct s2p_buf msg;
	struct s2p_error err;
	int rc;

	log_setup(1, 0);
	s2p_error_clear(&err);
	s2p_buf_init(&msg, 0);
	memset(&in, 0, sizeof(in));
	rc = s2p_input_read(&in, 0, &err);
	if (rc != S2P_OK) {
		s2p_errorf("%s", err.msg);
		emit("error", err.msg, 0);
		return 1;
	}
	app->plugin_mode = 1;
	app->args = in.args;
	app->ctx.stash_url = s2p_xstrdup(in.stash_url);
	app->ctx.session_cookie = s2p_xstrdup(in.session_cookie);
	s2p_ctx_register_secrets(&app->ctx);
	app->ctx.data_dir = data_dir(in.plugin_dir);
	if (app->ctx.data_dir == NULL) {
		rc = s2p_error_set(&err, S2P_EINVAL,
		    "no PluginDir in the input and STASH2PLEX_DATA_DIR unset");
	} else if (in.is_hook) {
		rc = s2p_hook_run(app, &in, &msg, &err);
	} else if (in.mode == NULL) {
		rc = s2p_error_set(&err, S2P_EINVAL,
		    "no task mode in args (expected args.mode)");
	} else {
		s2p_ctx_save_cookie(&app->ctx);
		rc = s2p_task_run(app, in.mode, &msg, &err);
	}
	if (rc != S2P_OK) {
		s2p_errorf("%s", err.msg);
		emit("error", err.msg, 0);
	} else {
		emit("output", msg.data ? msg.data : "ok", app->out_json);
	}
	s2p_buf_free(&msg);
	s2p_input_free(&in);
	return rc == S2P_OK ? 0 : 1;
}

/* The command line: see cli.c and docs/cli.md. */
static int
cli_main(struct s2p_app *app, int argc, char **argv)
{
	log_setup(0, getenv("STASH2PLEX_DEBUG") != NULL);
	return s2p_cli_main(app, argc, argv);
}

int
main(int argc, char **argv)
{
	struct s2p_app app;
	struct sigaction sa;
	int code;

	s2p_test_pause_init();
	s2p_alloc_tune();
	s2p_json_use_xalloc();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(&app, 0, sizeof(app));
	s2p_ctx_init(&app.ctx);
	app.ctx.stop = &stop_flag;
	code = argc > 1 ? cli_main(&app, argc, argv) : plugin_main(&app);
	s2p_ctx_free(&app.ctx);
	s2p_strv_free(&app.overrides);
	s2p_log_close();
	return code;
}
