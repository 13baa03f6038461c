/*
 * cli_queue.c - `queue list|clear` and `dlq list|show|retry|drop|purge`:
 * look at the queue and act on single dead letters. Local only (the
 * database); a retried entry waits for the next worker (`worker`, `sync`
 * or the background worker of the next hook or task).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/status.h"
#include "core/xalloc.h"

/* Positional ids pos[from..] into a new array; 0 after a usage error. */
static int64_t *
parse_ids(struct s2p_cli *c, int from, int *code)
{
	int64_t *ids = s2p_xcalloc((size_t)c->npos + 1, sizeof(*ids));
	int i;

	for (i = from; i < c->npos; i++) {
		ids[i - from] = s2p_cli_id(c->pos[i]);
		if (ids[i - from] == 0) {
			*code = s2p_cli_usage(c, "bad dead-letter id \"%s\"",
			    c->pos[i]);
			free(ids);
			return NULL;
		}
	}
	return ids;
}

static long
limit_of(struct s2p_cli *c, int *ok)
{
	int64_t v = c->limit ? s2p_cli_id(c->limit) : 0;

	*ok = c->limit == NULL || v > 0;
	return (long)v;
}

static int
job_json(const struct s2p_job_view *v, void *payload)
{
	json_array_append_new(payload,
	    json_pack("{s:I, s:I, s:s, s:i, s:o, s:o, s:s, s:s, s:s}", "id",
		(json_int_t)v->job.id, "scene_id", (json_int_t)v->job.scene_id,
		"state", v->running ? "running" : "pending", "attempts",
		v->job.attempts, "not_before",
		s2p_status_time(v->job.not_before), "enqueued_at",
		s2p_status_time(v->job.enqueued_at), "reason",
		s2p_job_reason_name(v->job.reason), "error", v->job.error_class,
		"last_error", v->last_error));
	return 0;
}

/* queue list: the jobs, in claim order. */
static int
queue_list(struct s2p_cli *c)
{
	struct s2p_error e;
	json_t *jobs = json_array(), *j;
	size_t i;
	int ok;
	long limit = limit_of(c, &ok);

	if (!ok) {
		json_decref(jobs);
		return s2p_cli_usage(c, "--limit: expected a positive number");
	}
	s2p_error_clear(&e);
	if (s2p_queue_list(c->app->ctx.db, s2p_clock_now(c->app->ctx.clock),
		limit, job_json, jobs, &e) != S2P_OK) {
		json_decref(jobs);
		return s2p_cli_fail(c, S2P_EIO, &e, S2P_SIDE_NONE);
	}
	if (c->json)
		return s2p_cli_print_json(json_pack("{s:o}", "jobs", jobs));
	printf("%-8s %-8s %-8s %-4s %-20s %s\n", "ID", "SCENE", "STATE", "TRY",
	    "DUE", "LAST ERROR");
	json_array_foreach(jobs, i, j)
	{
		const json_t *nb = json_object_get(j, "not_before");

		printf("%-8lld %-8lld %-8s %-4lld %-20s %s\n",
		    json_integer_value(json_object_get(j, "id")),
		    json_integer_value(json_object_get(j, "scene_id")),
		    json_string_value(json_object_get(j, "state")),
		    json_integer_value(json_object_get(j, "attempts")),
		    json_is_string(nb) ? json_string_value(nb) : "-",
		    json_string_value(json_object_get(j, "last_error")));
	}
	json_decref(jobs);
	return S2P_EXIT_OK;
}

int
s2p_cli_queue(struct s2p_cli *c)
{
	struct s2p_error e;
	long n = 0;
	int code = 0;

	if (c->npos != 1 ||
	    (strcmp(c->pos[0], "list") != 0 && strcmp(c->pos[0], "clear") != 0))
		return s2p_cli_usage(c, "expected list or clear");
	if (s2p_cli_db(c, &code) != S2P_OK)
		return code;
	if (strcmp(c->pos[0], "list") == 0)
		return queue_list(c);
	s2p_error_clear(&e);
	if (s2p_queue_clear(c->app->ctx.db, &n, &e) != S2P_OK)
		return s2p_cli_fail(c, S2P_EIO, &e, S2P_SIDE_NONE);
	if (c->json)
		return s2p_cli_print_json(
		    json_pack("{s:I}", "cleared", (json_int_t)n));
	printf("cleared %ld pending job(s)\n", n);
	return S2P_EXIT_OK;
}

static int
dead_json(const struct s2p_dead_job *j, void *payload)
{
	json_array_append_new(payload, s2p_status_dead_json(j));
	return 0;
}

/* One entry for a person. */
static void
print_entry(const json_t *d, int full)
{
	const json_t *cands = json_object_get(d, "candidates"), *x;
	size_t i;

	printf("#%lld scene %lld \"%s\": %s (%s), %lld attempt(s), last "
	       "%s\n",
	    json_integer_value(json_object_get(d, "id")),
	    json_integer_value(json_object_get(d, "scene_id")),
	    json_string_value(json_object_get(d, "title")),
	    json_string_value(json_object_get(d, "error")),
	    json_string_value(json_object_get(d, "class")),
	    json_integer_value(json_object_get(d, "attempts")),
	    json_string_value(json_object_get(d, "last_failed_at")));
	printf("    %s\n", json_string_value(json_object_get(d, "message")));
	if (!full)
		return;
	printf("    first failure: %s\n    queued by: %s\n",
	    json_string_value(json_object_get(d, "first_failed_at")),
	    json_string_value(json_object_get(d, "reason")));
	json_array_foreach(cands, i, x)
	    printf("    candidate: Plex item %s %s\n",
		json_string_value(json_object_get(x, "rating_key")),
		json_string_value(json_object_get(x, "where")));
}

static int
dlq_list(struct s2p_cli *c)
{
	struct s2p_error e;
	json_t *v = json_array(), *d;
	size_t i;
	int ok;
	long limit = limit_of(c, &ok);

	if (!ok || c->npos != 1) {
		json_decref(v);
		return s2p_cli_usage(c,
		    ok ? "list takes no argument"
		       : "--limit: expected a positive "
			 "number");
	}
	s2p_error_clear(&e);
	if (s2p_dlq_list(c->app->ctx.db, limit, dead_json, v, &e) != S2P_OK) {
		json_decref(v);
		return s2p_cli_fail(c, S2P_EIO, &e, S2P_SIDE_NONE);
	}
	if (c->json)
		return s2p_cli_print_json(
		    json_pack("{s:o}", "dead_letters", v));
	if (json_array_size(v) == 0)
		printf("no dead letters\n");
	json_array_foreach(v, i, d) print_entry(d, 0);
	json_decref(v);
	return S2P_EXIT_OK;
}

static int
dlq_show(struct s2p_cli *c)
{
	struct s2p_dead_job j;
	struct s2p_error e;
	int64_t id = c->npos == 2 ? s2p_cli_id(c->pos[1]) : 0;
	json_t *d;
	int rc;

	if (id == 0)
		return s2p_cli_usage(c, "show takes one dead-letter id");
	s2p_error_clear(&e);
	rc = s2p_dlq_get(c->app->ctx.db, id, &j, &e);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	d = s2p_status_dead_json(&j);
	if (c->json)
		return s2p_cli_print_json(d);
	print_entry(d, 1);
	json_decref(d);
	return S2P_EXIT_OK;
}

/* Dead letters whose class (not-found, ...) or error name is cls. */
struct by_class {
	const char *cls;
	int64_t *ids;
	size_t n, cap;
};

static int
match_class(const struct s2p_dead_job *j, void *payload)
{
	struct by_class *b = payload;

	if (strcmp(b->cls, j->error_class) != 0 &&
	    strcmp(b->cls, s2p_class_name(s2p_class_of_name(j->error_class))) !=
		0)
		return 0;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ids = s2p_xreallocarray(b->ids, b->cap, sizeof(*b->ids));
	}
	b->ids[b->n++] = j->id;
	return 0;
}

/* 1 when cls names a class or an error. */
static int
known_class(const char *cls)
{
	static const char *const classes[] = {"not-found", "transient",
	    "server-down", "permanent"};
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(classes); i++)
		if (strcmp(classes[i], cls) == 0)
			return 1;
	return s2p_status_from_name(cls) < 0;
}

/* dlq retry|drop with ids, or retry --class. */
static int
dlq_act(struct s2p_cli *c, int retry)
{
	struct by_class b = {c->cls, NULL, 0, 0};
	struct s2p_error e;
	long n = 0;
	int rc, code = 0;

	if (c->cls != NULL && (!retry || c->npos != 1))
		return s2p_cli_usage(c, "use either ids or --class (retry)");
	if (c->cls != NULL && !known_class(c->cls))
		return s2p_cli_usage(c, "unknown class \"%s\"", c->cls);
	if (c->cls == NULL && c->npos < 2)
		return s2p_cli_usage(c, "expected dead-letter ids");
	s2p_error_clear(&e);
	if (c->cls != NULL) {
		rc = s2p_dlq_list(c->app->ctx.db, 0, match_class, &b, &e);
	} else {
		b.ids = parse_ids(c, 1, &code);
		if (b.ids == NULL)
			return code;
		b.n = (size_t)c->npos - 1;
		rc = S2P_OK;
	}
	if (rc == S2P_OK && retry)
		rc = s2p_dlq_retry(c->app->ctx.db, b.ids, b.n,
		    s2p_clock_now(c->app->ctx.clock), &n, &e);
	else if (rc == S2P_OK)
		rc = s2p_dlq_drop(c->app->ctx.db, b.ids, b.n, &n, &e);
	free(b.ids);
	if (rc != S2P_OK)
		return s2p_cli_fail(c, rc, &e, S2P_SIDE_NONE);
	if (c->json)
		return s2p_cli_print_json(json_pack("{s:I}",
		    retry ? "retried" : "dropped", (json_int_t)n));
	printf("%s %ld dead letter(s)\n", retry ? "re-queued" : "dropped", n);
	return S2P_EXIT_OK;
}

static int
dlq_purge(struct s2p_cli *c)
{
	struct s2p_error e;
	char *end = NULL;
	long days = c->older_than ? strtol(c->older_than, &end, 10) : -1, n = 0;

	if (c->npos != 1 || end == NULL || *end != '\0' ||
	    end == c->older_than || days < 0 || days > 3650)
		return s2p_cli_usage(c,
		    "purge needs --older-than DAYS "
		    "(0-3650; 0 removes all)");
	s2p_error_clear(&e);
	if (s2p_dlq_purge(c->app->ctx.db,
		days == 0
		    ? 0
		    : s2p_clock_now(c->app->ctx.clock) - (double)days * 86400,
		&n, &e) != S2P_OK)
		return s2p_cli_fail(c, S2P_EIO, &e, S2P_SIDE_NONE);
	if (c->json)
		return s2p_cli_print_json(json_pack("{s:I, s:i}", "purged",
		    (json_int_t)n, "older_than_days", (int)days));
	printf("purged %ld dead letter(s) older than %ld day(s)\n", n, days);
	return S2P_EXIT_OK;
}

int
s2p_cli_dlq(struct s2p_cli *c)
{
	const char *sub = c->npos > 0 ? c->pos[0] : "";
	int code = 0;

	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "retry") != 0 && strcmp(sub, "drop") != 0 &&
	    strcmp(sub, "purge") != 0)
		return s2p_cli_usage(c,
		    "expected list, show, retry, drop or purge");
	if (s2p_cli_db(c, &code) != S2P_OK)
		return code;
	if (strcmp(sub, "list") == 0)
		return dlq_list(c);
	if (strcmp(sub, "show") == 0)
		return dlq_show(c);
	if (strcmp(sub, "purge") == 0)
		return dlq_purge(c);
	return dlq_act(c, strcmp(sub, "retry") == 0);
}
