/*
 * test_cli.c - the command line against the real fakes: every verb's exit
 * code (0 ok, 1 failure, 2 usage, 3 Plex, 4 Stash) and the exact key sets of
 * its --json output; settings precedence (flags > environment > config
 * file); dead letters kept with their detail and acted on one by one
 * (retry merging with a queued job, drop, purge, retry by class); the
 * Retry Dead Letters, Clear Match Cache and Reconcile Missing Metadata
 * tasks; and the progress output: a bar under a real pty, plain lines
 * without control codes otherwise.
 */
/* posix_openpt, grantpt, unlockpt, ptsname (POSIX XSI). */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"
#include "core/xalloc.h"

static const char *const no_autodrain[] = {"STASH2PLEX_AUTODRAIN=0", NULL};

/* Run `stash2plex <args...> --data-dir D --stash-url U` (NULL-terminated
 * args, at most 20). */
static void
cli_env(struct h_env *e, struct h_run *r, const char *const *env, ...)
{
	const char *argv[32];
	char dd[300], url[64];
	va_list ap;
	int n = 0;
	const char *a;

	snprintf(dd, sizeof(dd), "%s/data", e->dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", e->stash_port);
	va_start(ap, env);
	while ((a = va_arg(ap, const char *)) != NULL && n < 24)
		argv[n++] = a;
	va_end(ap);
	argv[n++] = "--data-dir";
	argv[n++] = dd;
	argv[n++] = "--stash-url";
	argv[n++] = url;
	argv[n] = NULL;
	assert_int_equal(h_run_cli(e, argv, env ? env : no_autodrain, r), 0);
}

#define cli(e, r, ...) cli_env(e, r, NULL, __VA_ARGS__, (const char *)NULL)

/* stdout as one JSON object whose keys are exactly keys (space
 * separated, in this order). New reference. */
static json_t *
json_keys(const struct h_run *r, const char *keys)
{
	json_t *j = json_loads(r->out, 0, NULL), *v;
	const char *k;
	char buf[1024] = "";
	size_t len = 0;

	if (j == NULL)
		fprintf(stderr, "not JSON: %s\nstderr: %s\n", r->out, r->err);
	assert_non_null(j);
	json_object_foreach(j, k, v) len += (size_t)snprintf(buf + len,
	    sizeof(buf) - len, "%s%s", len ? " " : "", k);
	if (strcmp(buf, keys) != 0)
		fprintf(stderr, "keys: %s\nwanted: %s\n", buf, keys);
	assert_string_equal(buf, keys);
	return j;
}

/* Assert o is an object whose keys are exactly keys, in this order. */
static void
obj_keys(const json_t *o, const char *keys)
{
	const char *k;
	json_t *v;
	char buf[1024] = "";
	size_t len = 0;

	assert_true(json_is_object(o));
	json_object_foreach((json_t *)o, k, v)
	    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		len ? " " : "", k);
	if (strcmp(buf, keys) != 0)
		fprintf(stderr, "keys: %s\nwanted: %s\n", buf, keys);
	assert_string_equal(buf, keys);
}

static long
jint(const json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

static const char status_keys[] =
    "schema version generated_at queue dead_letters breaker outages "
    "last_sync last_reconcile worker";

/* A dead letter row, inserted as the worker would leave it. */
static long
add_dead(struct h_env *e, long scene, const char *cls, double age_days)
{
	char *sql = s2p_xasprintf(
	    "INSERT INTO dead_letter (scene_id, attempts, failed_at,"
	    " error_class, message, reason, title, first_failed_at,"
	    " candidates) VALUES (%ld, 3, unixepoch() - %f, '%s',"
	    " 'Plex said no', 'all', 'Scene %ld', unixepoch() - %f - 60,"
	    " '[{\"rating_key\":\"7\",\"where\":\"a\"}]') RETURNING id",
	    scene, age_days * 86400, cls, scene, age_days * 86400);
	long id = h_db_long(e, sql);

	free(sql);
	assert_true(id > 0);
	return id;
}

static void
test_cli__status_usage_and_version(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *j, *q;

	(void)state;
	assert_int_equal(h_start(&e, 4, 1, NULL, NULL), 0);
	cli(&e, &r, "status", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, status_keys);
	assert_int_equal(jint(j, "schema"), 1);
	obj_keys(json_object_get(j, "queue"),
	    "pending due running done next_due_at");
	obj_keys(json_object_get(j, "dead_letters"),
	    "total by_class by_error newest");
	obj_keys(json_object_get(json_object_get(j, "dead_letters"),
		     "by_class"),
	    "not-found transient server-down permanent");
	obj_keys(json_object_get(j, "breaker"),
	    "state failures opened_at next_probe_at next_probe_in_seconds "
	    "state_file_ok");
	obj_keys(json_object_get(j, "outages"),
	    "count ongoing ongoing_since mttr_seconds "
	    "total_downtime_seconds availability_percent recent");
	obj_keys(json_object_get(j, "last_sync"), "at scenes_synced");
	obj_keys(json_object_get(j, "last_reconcile"), "at auto_at");
	obj_keys(json_object_get(j, "worker"), "running");
	q = json_object_get(j, "queue");
	assert_int_equal(jint(q, "pending"), 0);
	assert_true(json_is_null(json_object_get(q, "next_due_at")));
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(j, "breaker"),
				    "state")),
	    "closed");
	json_decref(j);
	h_run_free(&r);
	cli(&e, &r, "status");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Queue: 0 pending"));
	h_run_free(&r);
	/* Usage errors: 2, with the command's usage on stderr. */
	cli(&e, &r, "frobnicate");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "status", "--frob");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown option --frob"));
	h_run_free(&r);
	cli(&e, &r, "sync", "--all", "--recent");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "dlq", "show", "abc");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "dlq", "purge", "--older-than", "x");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "reconcile", "--scope", "forever");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "daemon", "now");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	/* Every command has --help (exit 0, usage on stdout). */
	{
		static const char *const cmds[] = {"status", "health", "sync",
		    "reconcile", "queue", "dlq", "worker", "daemon", "task",
		    "version"};
		size_t i;

		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			cli(&e, &r, cmds[i], "--help");
			assert_int_equal(r.status, 0);
			assert_non_null(strstr(r.out, "usage: stash2plex"));
			h_run_free(&r);
		}
	}
	/* docs/configuration.md holds the generated settings table. */
	{
		const char *argv[] = {"help", "settings", "--markdown", NULL};
		FILE *f = fopen(CORPUS_DIR "/../../docs/configuration.md", "r");
		char *doc = s2p_xcalloc(1, 256 * 1024);

		assert_non_null(f);
		(void)!fread(doc, 1, 256 * 1024 - 1, f);
		fclose(f);
		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "| `plex_token` |"));
		if (strstr(doc, r.out) == NULL)
			fail_msg("docs/configuration.md is out of date: run "
				 "scripts/gen-config-doc.sh");
		free(doc);
		h_run_free(&r);
	}
	cli(&e, &r, "task", "queue_status", "--json");
	assert_int_equal(r.status, 0);
	json_decref(json_keys(&r, "mode result"));
	h_run_free(&r);
	cli(&e, &r, "task", "no_such_mode");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "version", "--json");
	assert_int_equal(r.status, 0);
	json_decref(json_keys(&r, "version status_schema"));
	h_run_free(&r);
	h_stop(&e);
}

/* An open breaker and an outage history, as the status document shows
 * them: next probe, MTTR, newest outage first. */
static void
test_cli__status_breaker_and_outages(void **state)
{
	struct h_env e;
	struct h_run r;
	double now = h_wall();
	char *doc;
	json_t *j, *b, *o, *rec;

	(void)state;
	assert_int_equal(h_start(&e, 2, 1, NULL, NULL), 0);
	doc = s2p_xasprintf("{\"state\": \"open\", \"failure_count\": 0, "
			    "\"success_count\": 0, \"opened_at\": %.3f, "
			    "\"changed_at\": %.3f}",
	    now - 10, now - 10);
	assert_int_equal(h_write_data(&e, "circuit_breaker.json", doc), 0);
	free(doc);
	doc = s2p_xasprintf("[{\"started_at\": %.3f, \"ended_at\": %.3f, "
			    "\"duration\": 100.0, \"jobs_waited\": 4}, "
			    "{\"started_at\": %.3f, \"ended_at\": null, "
			    "\"duration\": null, \"jobs_waited\": 0}]",
	    now - 1100, now - 1000, now - 10);
	assert_int_equal(h_write_data(&e, "outage_history.json", doc), 0);
	free(doc);
	cli(&e, &r, "status", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, status_keys);
	b = json_object_get(j, "breaker");
	assert_string_equal(json_string_value(json_object_get(b, "state")),
	    "open");
	assert_true(json_is_string(json_object_get(b, "next_probe_at")));
	assert_true(json_is_string(json_object_get(b, "opened_at")));
	assert_true(
	    json_number_value(json_object_get(b, "next_probe_in_seconds")) > 0);
	o = json_object_get(j, "outages");
	assert_int_equal(jint(o, "count"), 2);
	assert_true(json_is_true(json_object_get(o, "ongoing")));
	assert_true(
	    json_number_value(json_object_get(o, "mttr_seconds")) == 100.0);
	rec = json_object_get(o, "recent");
	assert_int_equal(json_array_size(rec), 2);
	obj_keys(json_array_get(rec, 0),
	    "started_at ended_at duration_seconds jobs_waited ongoing");
	assert_true(
	    json_is_true(json_object_get(json_array_get(rec, 0), "ongoing")));
	assert_int_equal(jint(json_array_get(rec, 1), "jobs_waited"), 4);
	json_decref(j);
	h_run_free(&r);
	cli(&e, &r, "status");
	assert_non_null(strstr(r.out, "Circuit breaker: open (next probe "));
	assert_non_null(strstr(r.out, "MTTR 100 s"));
	assert_non_null(strstr(r.out, "(ongoing)"));
	h_run_free(&r);
	h_stop(&e);
}

static void
test_cli__sync_health_and_exit_codes(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *j;

	(void)state;
	assert_int_equal(h_start(&e, 10, 2, NULL, NULL), 0);
	cli(&e, &r, "health", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "database plex stash breaker ok");
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	h_run_free(&r);
	cli(&e, &r, "sync", "--all", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r,
	    "queued already_queued drained processed updated unchanged "
	    "skipped retried dead_lettered waiting");
	assert_int_equal(jint(j, "queued"), 10);
	assert_int_equal(jint(j, "processed"), 10);
	assert_true(json_is_true(json_object_get(j, "drained")));
	json_decref(j);
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	/* The master switch holds for the command line too. */
	cli(&e, &r, "sync", "--all", "--enabled=false");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "disabled"));
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 0);
	h_run_free(&r);
	cli(&e, &r, "status", "--json");
	j = json_keys(&r, status_keys);
	assert_true(json_is_string(
	    json_object_get(json_object_get(j, "last_sync"), "at")));
	assert_int_equal(jint(json_object_get(j, "queue"), "done"), 10);
	json_decref(j);
	h_run_free(&r);
	/* Token rejected: 3. */
	cli(&e, &r, "health", "--json", "--plex_token=wrong-token-1234");
	assert_int_equal(r.status, 3);
	j = json_keys(&r, "database plex stash breaker ok");
	assert_true(json_is_true(
	    json_object_get(json_object_get(j, "plex"), "token_rejected")));
	assert_null(strstr(r.out, "wrong-token-1234"));
	assert_null(strstr(r.err, "wrong-token-1234"));
	assert_null(strstr(r.out, e.token));
	assert_null(strstr(r.err, e.token));
	json_decref(j);
	h_run_free(&r);
	/* Plex unreachable: 3, and the queued jobs stay. */
	cli(&e, &r, "sync", "--scene", "3", "--scene", "4",
	    "--plex_url=http://127.0.0.1:1");
	assert_int_equal(r.status, 3);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 2);
	/* Stash unreachable: 4 (settings come from the saved copy). */
	{
		const char *argv[] = {"sync", "--all", "--data-dir", NULL,
		    "--stash-url", "http://127.0.0.1:1", NULL};
		char dd[300];

		snprintf(dd, sizeof(dd), "%s/data", e.dir);
		argv[3] = dd;
		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		assert_int_equal(r.status, 4);
		h_run_free(&r);
		argv[0] = "health";
		argv[1] = "--json";
		assert_int_equal(h_run_cli(&e, argv, no_autodrain, &r), 0);
		assert_int_equal(r.status, 4);
		h_run_free(&r);
	}
	/* queue list / clear. */
	cli(&e, &r, "queue", "list", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "jobs");
	assert_int_equal(json_array_size(json_object_get(j, "jobs")), 2);
	json_decref(j);
	h_run_free(&r);
	cli(&e, &r, "queue", "clear", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "cleared");
	assert_int_equal(jint(j, "cleared"), 2);
	json_decref(j);
	h_run_free(&r);
	h_stop(&e);
}

static void
test_cli__config_precedence(void **state)
{
	struct h_env e;
	struct h_run r;
	char *cfg, *text, *env_cfg, *env_tok;
	const char *env[4];

	(void)state;
	assert_int_equal(h_start(&e, 2, 3, NULL, NULL), 0);
	/* The file's token beats Stash's; a bad one is rejected (3). */
	cfg = s2p_xasprintf("%s/s2p.conf", e.dir);
	text = s2p_xasprintf("# test\nplex_token = file-token-12345\n"
			     "\ndata-dir = %s/data\n",
	    e.dir);
	{
		FILE *f = fopen(cfg, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	cli(&e, &r, "health", "--config", cfg);
	assert_int_equal(r.status, 3);
	h_run_free(&r);
	/* The environment beats the file. */
	env_tok = s2p_xasprintf("STASH2PLEX_PLEX_TOKEN=%s", e.token);
	env_cfg = s2p_xasprintf("STASH2PLEX_CONFIG=%s", cfg);
	env[0] = env_tok;
	env[1] = env_cfg;
	env[2] = "STASH2PLEX_AUTODRAIN=0";
	env[3] = NULL;
	cli_env(&e, &r, env, "health", NULL);
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	/* A flag beats the environment. */
	cli_env(&e, &r, env, "health", "--plex-token", "flag-token-12345",
	    NULL);
	assert_int_equal(r.status, 3);
	h_run_free(&r);
	/* An unknown key in the file is a usage error naming the line. */
	{
		FILE *f = fopen(cfg, "a");

		fputs("plex_tokn = x\n", f);
		fclose(f);
	}
	cli_env(&e, &r, env, "status", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "s2p.conf:5: unknown setting"));
	h_run_free(&r);
	free(env_tok);
	free(env_cfg);
	free(text);
	free(cfg);
	h_stop(&e);
}

static void
test_cli__dlq_actions(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *j, *d;
	long a, b, c, old;
	char ida[32], idb[32], idc[32], sql[256];

	(void)state;
	assert_int_equal(h_start(&e, 6, 4, NULL, NULL), 0);
	cli(&e, &r, "status"); /* creates the database */
	h_run_free(&r);
	a = add_dead(&e, 2, "not_found", 0);
	b = add_dead(&e, 3, "permanent", 0);
	c = add_dead(&e, 4, "auth", 0);
	old = add_dead(&e, 5, "temporary", 40);
	snprintf(ida, sizeof(ida), "%ld", a);
	snprintf(idb, sizeof(idb), "%ld", b);
	snprintf(idc, sizeof(idc), "%ld", c);
	cli(&e, &r, "dlq", "list", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "dead_letters");
	assert_int_equal(json_array_size(json_object_get(j, "dead_letters")),
	    4);
	json_decref(j);
	h_run_free(&r);
	cli(&e, &r, "dlq", "show", ida, "--json");
	assert_int_equal(r.status, 0);
	d = json_keys(&r,
	    "id scene_id title error class message attempts "
	    "first_failed_at last_failed_at reason candidates");
	assert_string_equal(json_string_value(json_object_get(d, "class")),
	    "not-found");
	assert_string_equal(json_string_value(json_object_get(d, "title")),
	    "Scene 2");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(d, "candidates"),
				    0),
				"rating_key")),
	    "7");
	json_decref(d);
	h_run_free(&r);
	cli(&e, &r, "dlq", "show", "99999");
	assert_int_equal(r.status, 1);
	h_run_free(&r);
	/* retry merges with the job already queued for the scene: one job,
	 * due now. */
	assert_true(h_db_long(&e,
			"INSERT INTO job (scene_id, state, attempts, "
			"not_before, enqueued_at, updated_at, reason) VALUES "
			"(2, 'pending', 2, unixepoch() + 9999, unixepoch(), "
			"unixepoch(), 'hook') RETURNING id") > 0);
	cli(&e, &r, "dlq", "retry", ida, "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "retried");
	assert_int_equal(jint(j, "retried"), 1);
	json_decref(j);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM job WHERE scene_id = 2"),
	    1);
	assert_int_equal(h_db_long(&e,
			     "SELECT not_before <= unixepoch() + 1 FROM job "
			     "WHERE scene_id = 2"),
	    1);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM dead_letter WHERE id = %ld", a);
	assert_int_equal(h_db_long(&e, sql), 0);
	/* Retrying an id that is gone fails it all (1), nothing changes. */
	cli(&e, &r, "dlq", "retry", idb, ida);
	assert_int_equal(r.status, 1);
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 3);
	/* retry --class. */
	cli(&e, &r, "dlq", "retry", "--class", "nonsense");
	assert_int_equal(r.status, 2);
	h_run_free(&r);
	cli(&e, &r, "dlq", "retry", "--class", "auth", "--json");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"retried\":1"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM job WHERE scene_id = 4"),
	    1);
	/* drop, then purge the old one. */
	cli(&e, &r, "dlq", "drop", idb, "--json");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"dropped\":1"));
	h_run_free(&r);
	cli(&e, &r, "dlq", "purge", "--older-than", "30", "--json");
	assert_int_equal(r.status, 0);
	j = json_keys(&r, "purged older_than_days");
	assert_int_equal(jint(j, "purged"), 1);
	json_decref(j);
	h_run_free(&r);
	(void)old;
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 0);
	h_stop(&e);
}

static void
test_cli__retry_dead_letters_task(void **state)
{
	struct h_env e;
	struct h_run r;

	(void)state;
	assert_int_equal(h_start(&e, 8, 5, NULL, NULL), 0);
	cli(&e, &r, "status");
	h_run_free(&r);
	add_dead(&e, 1, "not_found", 0);
	add_dead(&e, 2, "temporary", 0);
	add_dead(&e, 3, "down", 0);
	add_dead(&e, 4, "permanent", 0);
	add_dead(&e, 5, "auth", 0);
	add_dead(&e, 1, "not_found", 1); /* same scene twice: one job */
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"retry_dlq\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "re-queued 4 dead letter(s), left 2"));
	assert_non_null(strstr(r.err, "permanent cannot succeed by retrying"));
	assert_non_null(strstr(r.err, "auth cannot succeed by retrying"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM job"), 3);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM dead_letter WHERE "
			     "error_class IN ('permanent', 'auth')"),
	    2);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM dead_letter"), 2);
	h_stop(&e);
}

static void
test_cli__clear_match_cache(void **state)
{
	struct h_env e;
	struct h_run r;
	int before;

	(void)state;
	assert_int_equal(h_start(&e, 6, 6, NULL, NULL), 0);
	cli(&e, &r, "sync", "--all");
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_true(h_db_long(&e, "SELECT count(*) FROM plex_part") > 0);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM sync_state WHERE "
			     "rating_key != ''"),
	    6);
	/* A second sync of unchanged scenes asks Plex nothing per item. */
	h_delete(e.plex_ctl, "/requests");
	cli(&e, &r, "sync", "--all");
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	assert_int_equal(h_count_requests(&e, "GET", "/library/metadata/"), 0);
	assert_int_equal(h_run_plugin(&e, "{\"mode\": \"clear_match_cache\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "6 synced scene(s)"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM plex_part"), 0);
	assert_int_equal(h_db_long(&e, "SELECT count(*) FROM plex_section"), 0);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM sync_state WHERE "
			     "values_hash != ''"),
	    0);
	/* The next drain re-verifies every scene against Plex (reads each
	 * item) and rebuilds both; nothing changed, so nothing is written,
	 * not even the covers again. */
	h_delete(e.plex_ctl, "/requests");
	cli(&e, &r, "sync", "--all", "--json");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"unchanged\":6"));
	h_run_free(&r);
	before = h_count_requests(&e, "GET", "/library/metadata/");
	assert_true(before >= 6);
	assert_int_equal(h_count_requests(&e, "POST", "/library/metadata/"), 0);
	assert_int_equal(h_count_requests(&e, "PUT", "/"), 0);
	assert_true(h_db_long(&e, "SELECT count(*) FROM plex_part") > 0);
	assert_int_equal(h_db_long(&e,
			     "SELECT count(*) FROM sync_state WHERE "
			     "values_hash != ''"),
	    6);
	h_stop(&e);
}

static void
test_cli__reconcile_missing_metadata(void **state)
{
	struct h_env e;
	struct h_run r;
	json_t *item;
	char *file, *body;

	(void)state;
	assert_int_equal(h_start(&e, 6, 8, NULL, NULL), 0);
	cli(&e, &r, "sync", "--all");
	assert_int_equal(r.status, 0);
	h_run_free(&r);
	/* Plex loses scene 2's metadata (an "unmatched" item). */
	file = h_stash_file(&e, 2);
	item = h_plex_item_by_file(&e, file);
	assert_non_null(item);
	body = s2p_xasprintf("{\"ratingKey\": \"%s\", \"studio\": null, "
			     "\"summary\": null, \"genres\": [], "
			     "\"actors\": []}",
	    json_string_value(json_object_get(item, "ratingKey")));
	assert_int_equal(h_post(e.plex_ctl, "/item", body), 200);
	free(body);
	json_decref(item);
	assert_int_equal(h_run_plugin(&e,
			     "{\"mode\": \"reconcile_missing_metadata\"}",
			     no_autodrain, &r),
	    0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "queued 1 scene(s)"));
	h_run_free(&r);
	assert_int_equal(h_db_long(&e,
			     "SELECT scene_id FROM job WHERE "
			     "reason = 'reconcile'"),
	    2);
	/* The CLI scope drains it and Plex has the metadata again. */
	cli(&e, &r, "reconcile", "--scope", "missing_metadata", "--json");
	assert_int_equal(r.status, 0);
	json_decref(json_keys(&r,
	    "scope checked queued drained processed updated unchanged "
	    "skipped retried dead_lettered waiting"));
	h_run_free(&r);
	assert_int_equal(h_unsynced(&e, 0), 0);
	free(file);
	h_stop(&e);
}

/* Run argv under a new pty; collect everything it writes. */
static char *
run_pty(const char *const *argv, int *status)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), st = 0;
	char *buf = s2p_xmalloc(1 << 20);
	size_t len = 0;
	pid_t pid;

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0)
			_exit(126);
		(void)ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		setenv("TERM", "xterm", 1);
		setenv("STASH2PLEX_AUTODRAIN", "0", 1);
		execv(S2P_BIN, (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		ssize_t n = read(master, buf + len, (1 << 20) - 1 - len);

		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EIO: the child closed its side */
	}
	buf[len] = '\0';
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	close(master);
	return buf;
}

/* How often needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_cli__progress_tty_and_plain(void **state)
{
	struct h_env e;
	struct h_run r;
	char dd[300], url[64], *out;
	int status;

	(void)state;
	assert_int_equal(h_start(&e, 30, 9, NULL, NULL), 0);
	snprintf(dd, sizeof(dd), "%s/data", e.dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", e.stash_port);
	{
		const char *argv[] = {S2P_BIN, "sync", "--all", "--data-dir",
		    dd, "--stash-url", url, NULL};

		out = run_pty(argv, &status);
	}
	assert_int_equal(status, 0);
	/* A redrawn bar: carriage return, erase line, bar, counts, rate,
	 * ETA; the final one complete. */
	if (strstr(out, "\r\033[Ksync [") == NULL)
		fprintf(stderr, "pty output: %s\n", out);
	assert_non_null(strstr(out, "\r\033[Ksync ["));
	assert_non_null(strstr(out, "##############################] 30/30 "));
	assert_non_null(strstr(out, "/s ETA 0:00"));
	/* Info lines would break the bar: only warnings while it is up. */
	assert_null(strstr(out, "INFO: Synced"));
	free(out);
	/* Not a terminal: plain lines, no control code at all. */
	h_post(e.stash_ctl, "/scene/5", "{\"title\": \"Changed\"}");
	cli(&e, &r, "sync", "--all");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "sync: "));
	assert_non_null(strstr(r.err, "ETA"));
	/* The final line once, not again after a line with the same count. */
	assert_int_equal(count(r.err, "sync: 30/30 (100%)"), 1);
	assert_null(strchr(r.err, '\033'));
	assert_null(strchr(r.err, '\r'));
	assert_null(strchr(r.out, '\033'));
	h_run_free(&r);
	/* One scene: its first line is already the final one. */
	h_post(e.stash_ctl, "/scene/6", "{\"title\": \"Changed\"}");
	cli(&e, &r, "sync", "--scene", "6");
	assert_int_equal(r.status, 0);
	if (count(r.err, "sync: 1/1 (100%)") != 1)
		fprintf(stderr, "plain output: %s\n", r.err);
	assert_int_equal(count(r.err, "sync: 1/1 (100%)"), 1);
	h_run_free(&r);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cli__status_usage_and_version),
	    cmocka_unit_test(test_cli__status_breaker_and_outages),
	    cmocka_unit_test(test_cli__sync_health_and_exit_codes),
	    cmocka_unit_test(test_cli__config_precedence),
	    cmocka_unit_test(test_cli__dlq_actions),
	    cmocka_unit_test(test_cli__retry_dead_letters_task),
	    cmocka_unit_test(test_cli__clear_match_cache),
	    cmocka_unit_test(test_cli__reconcile_missing_metadata),
	    cmocka_unit_test(test_cli__progress_tty_and_plain),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
