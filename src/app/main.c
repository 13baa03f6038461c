/*
 * main.c - entry point. Run by Stash with no arguments, it speaks the raw
 * plugin protocol: one JSON document on stdin, exactly one JSON object on
 * stdout ({"output": ...} or {"error": ...}), log lines on stderr with
 * Stash's level prefix. With arguments it is a command-line tool for running
 * the same tasks and the worker outside Stash.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/fsutil.h"
#include "core/jsonx.h"
#include "core/log.h"
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

/* Print the protocol's one stdout object and flush it. */
static void
emit(const char *key, const char *text)
{
	json_t *o = json_object();
	char *s, *clean = s2p_log_redact(text);

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
		emit("error", err.msg);
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
		emit("error", err.msg);
	} else {
		emit("output", msg.data ? msg.data : "ok");
	}
	s2p_buf_free(&msg);
	s2p_input_free(&in);
	return rc == S2P_OK ? 0 : 1;
}

static void
usage(FILE *f)
{
	fputs(
	    "usage: stash2plex                      (run by Stash: JSON on "
	    "stdin)\n"
	    "       stash2plex task MODE [options]  run a task (all, recent,\n"
	    "             process_queue, queue_status, health_check, ...)\n"
	    "       stash2plex worker [options]     drain the queue, exit when "
	    "idle\n"
	    "       stash2plex sync --dry-run [options]  show what a sync "
	    "would\n"
	    "             change in Plex, write nothing\n"
	    "       stash2plex version | help\n"
	    "options:\n"
	    "  --data-dir DIR        state directory (or STASH2PLEX_DATA_DIR)\n"
	    "  --stash-url URL       Stash server, e.g. http://127.0.0.1:9999\n"
	    "  --SETTING=VALUE       any plugin setting, e.g. --plex_url=...\n"
	    "                        (secrets are better passed as "
	    "environment\n"
	    "                        variables STASH2PLEX_PLEX_TOKEN, ...)\n"
	    "settings:\n",
	    f);
	fflush(f);
	if (f == stdout)
		s2p_config_print_help();
}

/* Parse CLI options into app. Returns the index of the first non-option
 * argument, or -1 after printing an error. */
static int
cli_options(struct s2p_app *app, int argc, char **argv, int i)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		char *key, *val, *p;

		if (strncmp(a, "--", 2) != 0)
			return i;
		a += 2;
		if (strchr(a, '=') != NULL) {
			key = s2p_xstrndup(a, (size_t)(strchr(a, '=') - a));
			val = s2p_xstrdup(strchr(a, '=') + 1);
		} else if (i + 1 < argc) {
			key = s2p_xstrdup(a);
			val = s2p_xstrdup(argv[++i]);
		} else {
			fprintf(stderr,
			    "stash2plex: option --%s needs a value\n", a);
			return -1;
		}
		for (p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		if (strcmp(key, "data_dir") == 0) {
			free(app->ctx.data_dir);
			app->ctx.data_dir = val;
		} else if (strcmp(key, "stash_url") == 0) {
			free(app->ctx.stash_url);
			app->ctx.stash_url = val;
		} else if (strcmp(key, "session_cookie") == 0) {
			free(app->ctx.session_cookie);
			app->ctx.session_cookie = val;
			s2p_ctx_register_secrets(&app->ctx);
		} else {
			s2p_strv_push_take(&app->overrides,
			    s2p_xasprintf("%s=%s", key, val));
			free(val);
		}
		free(key);
	}
	return i;
}

static int
cli_main(struct s2p_app *app, int argc, char **argv)
{
	const char *cmd = argv[1];
	struct s2p_buf msg;
	struct s2p_error err;
	int rc, first;

	log_setup(0, getenv("STASH2PLEX_DEBUG") != NULL);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("stash2plex %s\n", S2P_VERSION);
		return 0;
	}
	app->ctx.data_dir = data_dir(NULL);
	if (strcmp(cmd, "sync") == 0) {
		/* `stash2plex sync --dry-run` is the dry_run task. */
		if (argc < 3 || strcmp(argv[2], "--dry-run") != 0) {
			fputs("stash2plex: use `sync --dry-run`, or `task all` "
			      "then `worker`\n",
			    stderr);
			return 2;
		}
		argv[2] = (char *)"dry_run";
		cmd = "task";
	}
	first = cli_options(app, argc, argv, strcmp(cmd, "task") == 0 ? 3 : 2);
	if (first < 0)
		return 2;
	if (first < argc || (strcmp(cmd, "task") == 0 && argc < 3)) {
		usage(stderr);
		return 2;
	}
	if (app->ctx.data_dir == NULL) {
		fputs("stash2plex: set --data-dir or STASH2PLEX_DATA_DIR\n",
		    stderr);
		return 2;
	}
	s2p_error_clear(&err);
	s2p_buf_init(&msg, 0);
	if (strcmp(cmd, "task") == 0) {
		rc = s2p_task_run(app, argv[2], &msg, &err);
	} else if (strcmp(cmd, "worker") == 0) {
		char *path = s2p_ctx_path(&app->ctx, S2P_LOCK_FILE);
		int fd = -1;

		rc = s2p_ctx_make_data_dir(&app->ctx, &err);
		if (rc == S2P_OK)
			rc = s2p_lock_try(path, &fd, &err);
		free(path);
		if (rc == S2P_OK)
			rc = s2p_background_worker(app, fd);
		if (rc == S2P_OK)
			(void)!s2p_buf_adds(&msg, "queue idle");
	} else {
		usage(stderr);
		s2p_buf_free(&msg);
		return 2;
	}
	if (rc != S2P_OK)
		fprintf(stderr, "stash2plex: %s\n", err.msg);
	else
		printf("%s\n", msg.data ? msg.data : "ok");
	s2p_buf_free(&msg);
	return rc == S2P_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct s2p_app app;
	struct sigaction sa;
	int code;

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
