/*
 * cli.c - the command line's front half: the command table, option parsing
 * (command flags, --json, --help, --config, and any setting as
 * --key=value), where settings come from (flags > environment > config
 * file), exit codes, and the shared output helpers. The commands live in
 * cli_status.c, cli_sync.c and cli_queue.c. Reference: docs/cli.md.
 */
#include "app/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"

struct command {
	const char *name;
	s2p_cli_fn fn;
	const char *flags; /* command flags it takes, space separated */
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
    {"status", s2p_cli_status, "", "status [--json]",
	"Queue, dead letters, circuit breaker, outages, last sync and "
	"reconcile.\nReads local state only (no network)."},
    {"health", s2p_cli_health, "", "health [--json]",
	"Check the database, Plex (reachable, token accepted) and Stash.\n"
	"Exit 3 when Plex fails, 4 when Stash fails."},
    {"sync", s2p_cli_sync, "dry-run scene all recent",
	"sync [--dry-run] [--scene ID ...] [--all | --recent] [--json]",
	"Queue scenes (default --all; --recent: updated in the last 24 h;\n"
	"--scene: these ids) and drain the queue here, with progress.\n"
	"--dry-run: show what would change in Plex, write nothing."},
    {"reconcile", s2p_cli_reconcile, "scope",
	"reconcile [--scope all|24h|7days|missing_metadata] [--json]",
	"Queue scenes to be checked against Plex even if nothing changed\n"
	"here (default scope: the reconcile_scope setting), and drain.\n"
	"missing_metadata: only scenes whose Plex item has no studio,\n"
	"performers, tags or summary while Stash has some."},
    {"queue", s2p_cli_queue, "limit", "queue list [--limit N] | clear",
	"list: the queued jobs. clear: remove every pending job."},
    {"dlq", s2p_cli_dlq, "class older-than limit",
	"dlq list [--limit N] | show ID | retry ID ... | retry --class "
	"CLASS\n           | drop ID ... | purge --older-than DAYS",
	"Dead letters. retry puts one job back per entry (merged with a job\n"
	"already queued for the scene). CLASS: not-found, transient,\n"
	"server-down, permanent, or an error name (not_found, auth, ...)."},
    {"worker", s2p_cli_worker, "", "worker",
	"Drain the queue in this process, exit when idle."},
    {"daemon", s2p_cli_daemon, "", "daemon",
	"Run the worker permanently: drain as jobs arrive, probe Plex\n"
	"during outages, reconcile on schedule, serve status_listen.\n"
	"SIGTERM stops it (the job in flight is given back), SIGHUP\n"
	"re-reads settings. See docs/internals/daemon.md."},
    {"task", s2p_cli_task, "", "task MODE",
	"Run a plugin task as Stash would (all, recent, process_queue,\n"
	"retry_dlq, clear_match_cache, reconcile_missing_metadata, ...)."},
    {"version", s2p_cli_version, "", "version [--json]", "Print the version."},
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage_all(FILE *f)
{
	size_t i;

	fputs("usage: stash2plex COMMAND [options]\n"
	      "       stash2plex            (run by Stash: JSON on stdin)\n"
	      "commands:\n",
	    f);
	for (i = 0; i < S2P_ARRAY_LEN(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fputs("options (every command):\n"
	      "  --json             machine output (docs/cli.md)\n"
	      "  --config FILE      settings file (or $STASH2PLEX_CONFIG)\n"
	      "  --data-dir DIR     state directory (or STASH2PLEX_DATA_DIR)\n"
	      "  --stash-url URL    Stash server (or STASH2PLEX_STASH_URL)\n"
	      "  --SETTING=VALUE    any setting, e.g. --plex_url=...\n"
	      "`stash2plex COMMAND --help` for one command; "
	      "`stash2plex help settings` lists the settings.\n"
	      "exit codes: 0 ok, 1 failure, 2 usage, 3 Plex unreachable or "
	      "token rejected,\n"
	      "            4 Stash unreachable or login needed\n",
	    f);
}

static void
usage_one(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: stash2plex %s\n%s\n", cmd->usage, cmd->help);
	fputs("common options: --json --config FILE --data-dir DIR "
	      "--stash-url URL --SETTING=VALUE\n",
	    f);
}

int
s2p_cli_usage(struct s2p_cli *c, const char *fmt, ...)
{
	const struct command *cmd = c->cmd ? find_command(c->cmd) : NULL;
	va_list ap;

	fprintf(stderr, "stash2plex%s%s: ", c->cmd ? " " : "",
	    c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		fprintf(stderr, "usage: stash2plex %s\n", cmd->usage);
	return S2P_EXIT_USAGE;
}

int
s2p_cli_fail(struct s2p_cli *c, int rc, const struct s2p_error *err,
    enum s2p_cli_side side)
{
	enum s2p_err_class cls = s2p_status_class(rc);
	int server = rc == S2P_EAUTH || rc == S2P_ETLS ||
	    cls == S2P_CLASS_DOWN || rc == S2P_ETEMP;

	fprintf(stderr, "stash2plex %s: %s\n", c->cmd,
	    err && err->msg[0] ? err->msg : s2p_status_name(rc));
	if (server && side == S2P_SIDE_PLEX)
		return S2P_EXIT_PLEX;
	if (server && side == S2P_SIDE_STASH)
		return S2P_EXIT_STASH;
	return S2P_EXIT_FAIL;
}

int
s2p_cli_print_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	puts(s);
	fflush(stdout);
	free(s);
	json_decref(doc);
	return S2P_EXIT_OK;
}

int
s2p_cli_db(struct s2p_cli *c, int *code)
{
	struct s2p_error e;
	int rc;

	s2p_error_clear(&e);
	/* Commands that change the queue may replace a corrupt database (as
	 * tasks do); status and health only report it. */
	c->app->ctx.repair_db = strcmp(c->cmd, "status") != 0 &&
	    strcmp(c->cmd, "health") != 0;
	rc = s2p_ctx_db(&c->app->ctx, &e);
	if (rc != S2P_OK)
		*code = s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	return rc;
}

int64_t
s2p_cli_id(const char *text)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v <= 0)
		return 0;
	return (int64_t)v;
}

/* A command flag that takes a value: where to store it. */
static const char **
value_slot(struct s2p_cli *c, const char *name)
{
	if (strcmp(name, "scope") == 0)
		return &c->scope;
	if (strcmp(name, "class") == 0)
		return &c->cls;
	if (strcmp(name, "older-than") == 0)
		return &c->older_than;
	if (strcmp(name, "limit") == 0)
		return &c->limit;
	return NULL;
}

/* 1 when the command takes flag name. */
static int
takes(const struct command *cmd, const char *name)
{
	size_t n = strlen(name);
	const char *p = cmd->flags;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == cmd->flags || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* --scene ID: one id (or several, comma-separated). */
static int
add_scenes(struct s2p_cli *c, const char *v)
{
	char *s = s2p_xstrdup(v), *t, *save = NULL;
	int ok = 1;

	for (t = strtok_r(s, ",", &save); t && ok;
	     t = strtok_r(NULL, ",", &save)) {
		int64_t id = s2p_cli_id(t);

		ok = id > 0 && c->nscenes < S2P_CLI_MAX_POS;
		if (ok)
			c->scenes[c->nscenes++] = id;
	}
	free(s);
	return ok;
}

/* The global options; 1 when name was one (value consumed). */
static int
global_option(struct s2p_cli *c, const char *name, const char *val,
    const char **config)
{
	struct s2p_ctx *ctx = &c->app->ctx;

	if (strcmp(name, "config") == 0) {
		*config = val;
	} else if (strcmp(name, "data-dir") == 0 ||
	    strcmp(name, "data_dir") == 0) {
		free(ctx->data_dir);
		ctx->data_dir = s2p_xstrdup(val);
	} else if (strcmp(name, "stash-url") == 0 ||
	    strcmp(name, "stash_url") == 0) {
		free(ctx->stash_url);
		ctx->stash_url = s2p_xstrdup(val);
	} else if (strcmp(name, "session-cookie") == 0 ||
	    strcmp(name, "session_cookie") == 0) {
		free(ctx->session_cookie);
		ctx->session_cookie = s2p_xstrdup(val);
		s2p_ctx_register_secrets(ctx);
	} else {
		return 0;
	}
	return 1;
}

/* Any other --name=value (known to be a setting): an override. */
static int
setting_option(struct s2p_cli *c, const char *name, const char *val)
{
	char *key = s2p_xstrdup(name), *p;

	for (p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	s2p_strv_push_take(&c->app->overrides,
	    s2p_xasprintf("%s=%s", key, val));
	free(key);
	return 1;
}

/* 1 when --name takes a value here: a flag of cmd, a global option or a
 * setting. */
static int
value_option(struct s2p_cli *c, const struct command *cmd, const char *name)
{
	static const char *const globals[] = {"config", "data-dir", "data_dir",
	    "stash-url", "stash_url", "session-cookie", "session_cookie"};
	char *key = s2p_xstrdup(name), *p;
	size_t i;
	int known = 0;

	if (takes(cmd, name) &&
	    (strcmp(name, "scene") == 0 || value_slot(c, name) != NULL))
		known = 1;
	for (i = 0; i < S2P_ARRAY_LEN(globals); i++)
		known |= strcmp(globals[i], name) == 0;
	for (p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	for (i = 0; i < s2p_config_count(); i++)
		known |= strcmp(s2p_config_key_at(i), key) == 0;
	free(key);
	return known;
}

/* One "--name[=value]" at argv[*i]. Returns 0, 1 after printing --help,
 * or S2P_EXIT_USAGE. */
static int
one_option(struct s2p_cli *c, const struct command *cmd, int argc, char **argv,
    int *i, const char **config)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	char *name = eq ? s2p_xstrndup(a, (size_t)(eq - a)) : s2p_xstrdup(a);
	const char *val = eq ? eq + 1 : NULL, **slot;
	int rc = 0, *flag = NULL;

	if (strcmp(name, "help") == 0) {
		usage_one(cmd, stdout);
		free(name);
		return 1;
	}
	if (strcmp(name, "json") == 0)
		flag = &c->json;
	else if (takes(cmd, name) && strcmp(name, "dry-run") == 0)
		flag = &c->dry_run;
	else if (takes(cmd, name) && strcmp(name, "all") == 0)
		flag = &c->all;
	else if (takes(cmd, name) && strcmp(name, "recent") == 0)
		flag = &c->recent;
	if (flag != NULL) {
		*flag = 1;
		if (val != NULL)
			rc = s2p_cli_usage(c, "--%s takes no value", name);
		goto out;
	}
	if (!value_option(c, cmd, name)) {
		rc = s2p_cli_usage(c, "unknown option --%s", name);
		goto out;
	}
	if (val == NULL && *i + 1 < argc)
		val = argv[++*i];
	if (val == NULL) {
		rc = s2p_cli_usage(c, "option --%s needs a value", name);
	} else if (takes(cmd, name) && strcmp(name, "scene") == 0) {
		if (!add_scenes(c, val))
			rc = s2p_cli_usage(c, "--scene: bad scene id \"%s\"",
			    val);
	} else if (takes(cmd, name) && (slot = value_slot(c, name)) != NULL) {
		*slot = val;
	} else if (!global_option(c, name, val, config)) {
		setting_option(c, name, val);
	}
out:
	free(name);
	return rc;
}

/* Parse argv[2..]: options anywhere, the rest positional. Returns 0, 1
 * after --help, or S2P_EXIT_USAGE. */
static int
parse(struct s2p_cli *c, const struct command *cmd, int argc, char **argv,
    const char **config)
{
	int i, rc;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0)
			argv[i] = (char *)"--help";
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc && c->npos < S2P_CLI_MAX_POS)
				c->pos[c->npos++] = argv[i];
			break;
		}
		if (strncmp(argv[i], "--", 2) != 0) {
			if (c->npos >= S2P_CLI_MAX_POS)
				return s2p_cli_usage(c, "too many arguments");
			c->pos[c->npos++] = argv[i];
			continue;
		}
		rc = one_option(c, cmd, argc, argv, &i, config);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Where the data directory, Stash and the settings file come from: flags
 * (parsed already) > environment > config file. */
static int
locate(struct s2p_cli *c, const char *config)
{
	struct s2p_ctx *ctx = &c->app->ctx;
	const char *v;
	struct s2p_error e;

	if (ctx->data_dir == NULL && (v = getenv("STASH2PLEX_DATA_DIR")) && *v)
		ctx->data_dir = s2p_xstrdup(v);
	if (ctx->stash_url == NULL && (v = getenv("STASH2PLEX_STASH_URL")) &&
	    *v)
		ctx->stash_url = s2p_xstrdup(v);
	if (config == NULL && (v = getenv("STASH2PLEX_CONFIG")) && *v)
		config = v;
	s2p_error_clear(&e);
	if (config != NULL && s2p_ctx_read_config(ctx, config, &e) != S2P_OK) {
		fprintf(stderr, "stash2plex: %s\n", e.msg);
		return S2P_EXIT_USAGE;
	}
	return 0;
}

/* Commands that need no data directory. */
static int
stateless(const struct command *cmd)
{
	return cmd->fn == s2p_cli_version;
}

/* `help settings --markdown`: the table of docs/configuration.md. */
static void
print_markdown(void)
{
	char *md = s2p_config_markdown();

	fputs(md, stdout);
	free(md);
}

int
s2p_cli_main(struct s2p_app *app, int argc, char **argv)
{
	const struct command *cmd;
	const char *config = NULL;
	struct s2p_cli c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.app = app;
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		cmd = argc > 2 ? find_command(argv[2]) : NULL;
		if (cmd != NULL)
			usage_one(cmd, stdout);
		else if (argc > 3 && strcmp(argv[2], "settings") == 0 &&
		    strcmp(argv[3], "--markdown") == 0)
			print_markdown();
		else if (argc > 2 && strcmp(argv[2], "settings") == 0)
			s2p_config_print_help();
		else
			usage_all(stdout);
		return S2P_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = (char *)"version";
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "stash2plex: unknown command \"%s\"\n",
		    argv[1]);
		usage_all(stderr);
		return S2P_EXIT_USAGE;
	}
	c.cmd = cmd->name;
	rc = parse(&c, cmd, argc, argv, &config);
	if (rc != 0)
		return rc == 1 ? S2P_EXIT_OK : rc;
	rc = locate(&c, config);
	if (rc != 0)
		return rc;
	if (app->ctx.data_dir == NULL && !stateless(cmd))
		return s2p_cli_usage(&c,
		    "no data directory: set --data-dir, STASH2PLEX_DATA_DIR "
		    "or data_dir in the config file");
	return cmd->fn(&c);
}
