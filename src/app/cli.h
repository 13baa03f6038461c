/*
 * cli.h - the command line: one parsed invocation (struct s2p_cli), the
 * documented exit codes, and the entry points of the command groups
 * (cli_status.c, cli_sync.c, cli_queue.c). cli.c parses options and
 * dispatches through one command table; docs/cli.md is the reference.
 */
#ifndef S2P_CLI_H
#define S2P_CLI_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "app/app.h"

/* Exit codes (docs/cli.md). */
enum {
	S2P_EXIT_OK = 0,
	S2P_EXIT_FAIL = 1,
	S2P_EXIT_USAGE = 2,
	S2P_EXIT_PLEX = 3,  /* Plex unreachable or token rejected */
	S2P_EXIT_STASH = 4, /* Stash unreachable or login needed */
};

/* Which server a failing step talked to (for the exit code). */
enum s2p_cli_side { S2P_SIDE_NONE, S2P_SIDE_PLEX, S2P_SIDE_STASH };

#define S2P_CLI_MAX_POS 64

struct s2p_cli {
	struct s2p_app *app;
	const char *cmd;                  /* the verb */
	const char *pos[S2P_CLI_MAX_POS]; /* positional arguments after it */
	int npos;
	int json;                        /* --json */
	int dry_run;                     /* --dry-run */
	int all;                         /* --all */
	int recent;                      /* --recent */
	const char *scope;               /* --scope */
	const char *cls;                 /* --class */
	const char *older_than;          /* --older-than */
	const char *limit;               /* --limit */
	int64_t scenes[S2P_CLI_MAX_POS]; /* --scene ID ... */
	int nscenes;
};

typedef int (*s2p_cli_fn)(struct s2p_cli *c);

/* Command groups. Each returns an exit code and prints its own output. */
int s2p_cli_status(struct s2p_cli *c);
int s2p_cli_health(struct s2p_cli *c);
int s2p_cli_version(struct s2p_cli *c);
int s2p_cli_daemon(struct s2p_cli *c);
int s2p_cli_sync(struct s2p_cli *c);
int s2p_cli_reconcile(struct s2p_cli *c);
int s2p_cli_worker(struct s2p_cli *c);
int s2p_cli_task(struct s2p_cli *c);
int s2p_cli_queue(struct s2p_cli *c);
int s2p_cli_dlq(struct s2p_cli *c);

/* Run the command line (argc > 1). Returns the exit code. */
int s2p_cli_main(struct s2p_app *app, int argc, char **argv);

/* Print "stash2plex <cmd>: <msg>" to stderr and return the exit code for
 * rc failing on side (3/4 for an unreachable server or rejected
 * credentials there, else 1). */
int s2p_cli_fail(struct s2p_cli *c, int rc, const struct s2p_error *err,
    enum s2p_cli_side side);
/* Print a usage error for the command and return S2P_EXIT_USAGE. */
int s2p_cli_usage(struct s2p_cli *c, const char *fmt, ...) S2P_PRINTF(2, 3);
/* Print doc (--json) on stdout, one line, keys in a stable order, and
 * return S2P_EXIT_OK. Steals doc. */
int s2p_cli_print_json(json_t *doc);
/* Open the database, or fail with the exit code in *code. */
int s2p_cli_db(struct s2p_cli *c, int *code);
/* Parse a positive id; 0 when text is not one. */
int64_t s2p_cli_id(const char *text);

#endif
