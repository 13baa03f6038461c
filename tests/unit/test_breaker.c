/*
 * test_breaker.c - the file-backed circuit breaker: thresholds, the lazy
 * timeout, half-open trials, sharing through the file between instances and
 * between processes, missing/corrupt files, file modes and failed saves.
 */
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/err.h"
#include "sync/breaker.h"

#include "resil_util.h"

#define T0 1700000000.0

struct fx {
	char *dir;
	char *path;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));

	f->dir = make_scratch();
	if (f->dir == NULL)
		return -1;
	f->path = s2p_xasprintf("%s/%s", f->dir, S2P_BREAKER_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rm_scratch(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Record n counted failures at time t and return the last transition. */
static enum s2p_breaker_transition
fail_n(struct s2p_breaker *b, int n, double t)
{
	enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(s2p_breaker_record(b, 0, t, &tr, NULL),
		    S2P_OK);
	return tr;
}

static void
test_breaker__four_failures_stay_closed_fifth_opens(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed = -1;

	s2p_breaker_init(&b, f->path);
	assert_int_equal(fail_n(&b, 4, T0), S2P_BREAKER_TR_NONE);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_int_equal(b.failures, 4);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 1, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);

	assert_int_equal(s2p_breaker_record(&b, 0, T0 + 2, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_OPENED);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == T0 + 2);
	assert_true(b.changed_at == T0 + 2);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 3, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	s2p_breaker_free(&b);
}

static void
test_breaker__custom_threshold(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;

	s2p_breaker_init(&b, f->path);
	b.threshold = 2;
	assert_int_equal(fail_n(&b, 1, T0), S2P_BREAKER_TR_NONE);
	assert_int_equal(fail_n(&b, 1, T0), S2P_BREAKER_TR_OPENED);
	s2p_breaker_free(&b);
}

static void
test_breaker__success_in_closed_resets_count(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b, other;
	enum s2p_breaker_transition tr;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 4, T0);
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 1, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(b.failures, 0);
	/* the reset is in the file, not just in this struct */
	s2p_breaker_init(&other, f->path);
	assert_int_equal(s2p_breaker_load(&other, NULL, NULL), S2P_OK);
	assert_int_equal(other.failures, 0);
	/* it takes 5 new consecutive failures again */
	assert_int_equal(fail_n(&b, 4, T0 + 2), S2P_BREAKER_TR_NONE);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_int_equal(fail_n(&b, 1, T0 + 3), S2P_BREAKER_TR_OPENED);
	s2p_breaker_free(&b);
	s2p_breaker_free(&other);
}

static void
test_breaker__half_open_only_after_timeout(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed = -1;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 59.99, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(s2p_breaker_retry_in(&b, T0 + 50) == 10.0);

	assert_int_equal(s2p_breaker_allow(&b, T0 + 60, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(tr, S2P_BREAKER_TR_HALF_OPENED);
	assert_int_equal(b.state, S2P_BREAKER_HALF_OPEN);
	assert_true(b.changed_at == T0 + 60);
	assert_true(b.opened_at == T0);
	/* it is reported once; later calls keep allowing trials */
	assert_int_equal(s2p_breaker_allow(&b, T0 + 61, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	s2p_breaker_free(&b);
}

static void
test_breaker__half_open_success_closes(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 70, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 71, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_CLOSED);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_int_equal(b.failures, 0);
	assert_true(b.opened_at == 0.0);
	assert_true(b.changed_at == T0 + 71);
	/* and a fresh count is needed to open it again */
	assert_int_equal(fail_n(&b, 4, T0 + 72), S2P_BREAKER_TR_NONE);
	s2p_breaker_free(&b);
}

static void
test_breaker__success_threshold_two(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;

	s2p_breaker_init(&b, f->path);
	b.success_threshold = 2;
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 60, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_HALF_OPENED);
	assert_int_equal(b.successes, 1);
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 61, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_CLOSED);
	s2p_breaker_free(&b);
}

static void
test_breaker__half_open_failure_reopens(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 61, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_HALF_OPEN);
	assert_int_equal(s2p_breaker_record(&b, 0, T0 + 62, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_REOPENED);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == T0 + 62);
	/* the new opening restarts the 60 s */
	assert_int_equal(s2p_breaker_allow(&b, T0 + 121, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 122, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(tr, S2P_BREAKER_TR_HALF_OPENED);
	s2p_breaker_free(&b);
}

static void
test_breaker__record_applies_timeout_first(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	/* a success after the timeout, without an allow in between, closes */
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 60, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_CLOSED);
	fail_n(&b, 5, T0 + 100);
	assert_int_equal(s2p_breaker_record(&b, 0, T0 + 200, &tr, NULL),
	    S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_REOPENED);
	assert_true(b.opened_at == T0 + 200);
	s2p_breaker_free(&b);
}

static void
test_breaker__open_ignores_results_within_timeout(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_record(&b, 0, T0 + 10, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 20, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == T0);
	s2p_breaker_free(&b);
}

static void
test_breaker__shared_between_instances(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker a, b;
	enum s2p_breaker_transition tr;
	int allowed, exists = -1;

	/* two structs stand for two processes sharing the data directory */
	s2p_breaker_init(&a, f->path);
	s2p_breaker_init(&b, f->path);
	fail_n(&a, 3, T0);
	fail_n(&b, 2, T0 + 1); /* b continues a's count from the file */
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_int_equal(s2p_breaker_allow(&a, T0 + 2, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	assert_int_equal(a.state, S2P_BREAKER_OPEN);
	assert_true(a.opened_at == T0 + 1);

	assert_int_equal(s2p_breaker_allow(&b, T0 + 61, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_HALF_OPENED);
	assert_int_equal(s2p_breaker_load(&a, &exists, NULL), S2P_OK);
	assert_int_equal(exists, 1);
	assert_int_equal(a.state, S2P_BREAKER_HALF_OPEN);
	/* only one process sees the transition */
	assert_int_equal(s2p_breaker_allow(&a, T0 + 62, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(allowed, 1);
	assert_int_equal(s2p_breaker_record(&a, 1, T0 + 63, &tr, NULL), S2P_OK);
	assert_int_equal(tr, S2P_BREAKER_TR_CLOSED);
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	s2p_breaker_free(&a);
	s2p_breaker_free(&b);
}

static void
test_breaker__child_process_opens_parent_sees(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	int status = -1, allowed = -1;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct s2p_breaker c;
		enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
		int i, bad = 0;

		s2p_breaker_init(&c, f->path);
		for (i = 0; i < 5; i++)
			bad |= s2p_breaker_record(&c, 0, T0 + i, &tr, NULL);
		_exit(bad != 0 || tr != S2P_BREAKER_TR_OPENED ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	s2p_breaker_init(&b, f->path);
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == T0 + 4);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 5, &allowed, NULL, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	s2p_breaker_free(&b);
}

/* Both processes hammer the file at once; the lock must not lose updates. */
static void
test_breaker__concurrent_processes_lose_no_update(void **state)
{
	enum { PER_PROC = 150 };
	struct fx *f = *state;
	struct s2p_breaker b;
	int status = -1, i, exists = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct s2p_breaker c;
		int bad = 0;

		s2p_breaker_init(&c, f->path);
		c.threshold = 1000000;
		for (i = 0; i < PER_PROC; i++) {
			struct s2p_breaker r;
			int allowed = 0;

			bad |= s2p_breaker_record(&c, 0, T0, NULL, NULL);
			/* a plain reader never sees a torn file */
			s2p_breaker_init(&r, f->path);
			bad |= s2p_breaker_load(&r, NULL, NULL);
			bad |= s2p_breaker_allow(&r, T0, &allowed, NULL, NULL);
			bad |= !allowed;
			s2p_breaker_free(&r);
		}
		_exit(bad != 0 ? 1 : 0);
	}
	s2p_breaker_init(&b, f->path);
	b.threshold = 1000000;
	for (i = 0; i < PER_PROC; i++) {
		struct s2p_breaker r;

		assert_int_equal(s2p_breaker_record(&b, 0, T0, NULL, NULL),
		    S2P_OK);
		s2p_breaker_init(&r, f->path);
		assert_int_equal(s2p_breaker_load(&r, &exists, NULL), S2P_OK);
		assert_int_equal(exists, 1);
		assert_int_equal(r.state, S2P_BREAKER_CLOSED);
		s2p_breaker_free(&r);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.failures, 2 * PER_PROC);
	s2p_breaker_free(&b);
}

static void
test_breaker__missing_file_is_closed(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	struct s2p_error err = {0};
	int exists = -1, allowed = -1;

	s2p_breaker_init(&b, f->path);
	b.state = S2P_BREAKER_OPEN; /* stale snapshot must be overwritten */
	assert_int_equal(s2p_breaker_load(&b, &exists, &err), S2P_OK);
	assert_int_equal(exists, 0);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_int_equal(b.corrupt, 0);
	assert_string_equal(s2p_breaker_state_name(b.state), "CLOSED");
	/* allowing without a change writes nothing */
	assert_int_equal(s2p_breaker_allow(&b, T0, &allowed, NULL, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(access(f->path, F_OK), -1);
	s2p_breaker_free(&b);
}

static void
check_corrupt(const char *path, const char *text)
{
	struct s2p_breaker b;
	struct s2p_error err = {0};
	int exists = -1;

	assert_int_equal(put_file(path, text), 0);
	s2p_breaker_init(&b, path);
	assert_int_equal(s2p_breaker_load(&b, &exists, &err), S2P_EPARSE);
	assert_int_equal(err.code, S2P_EPARSE);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(exists, 1);
	assert_int_equal(b.corrupt, 1);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_int_equal(b.failures, 0);
	s2p_breaker_free(&b);
}

static void
test_breaker__corrupt_files_read_as_closed(void **state)
{
	struct fx *f = *state;

	check_corrupt(f->path, "");
	check_corrupt(f->path, "not json at all");
	check_corrupt(f->path, "{\"state\": \"open\"");
	check_corrupt(f->path, "[1, 2, 3]");
	check_corrupt(f->path,
	    "{\"state\":\"sideways\",\"failure_count\":0,"
	    "\"success_count\":0,\"opened_at\":null}");
	check_corrupt(f->path,
	    "{\"state\":\"closed\",\"failure_count\":\"3\","
	    "\"success_count\":0,\"opened_at\":null}");
	check_corrupt(f->path,
	    "{\"state\":\"closed\",\"failure_count\":-1,"
	    "\"success_count\":0,\"opened_at\":null}");
	check_corrupt(f->path,
	    "{\"state\":\"closed\",\"failure_count\":1,"
	    "\"success_count\":0}");
	check_corrupt(f->path,
	    "{\"state\":\"open\",\"failure_count\":0,"
	    "\"success_count\":0,\"opened_at\":null}");
	check_corrupt(f->path,
	    "{\"state\":\"open\",\"failure_count\":0,"
	    "\"success_count\":0,\"opened_at\":\"yesterday\"}");
	check_corrupt(f->path,
	    "{\"state\":1,\"failure_count\":0,"
	    "\"success_count\":0,\"opened_at\":null}");
}

static void
test_breaker__corrupt_file_is_rewritten(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed = -1, exists = -1;

	assert_int_equal(put_file(f->path, "{garbage"), 0);
	s2p_breaker_init(&b, f->path);
	assert_int_equal(s2p_breaker_allow(&b, T0, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(b.corrupt, 1);
	assert_int_equal(tr, S2P_BREAKER_TR_NONE);
	assert_int_equal(s2p_breaker_load(&b, &exists, NULL), S2P_OK);
	assert_int_equal(b.corrupt, 0);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_true(b.changed_at == T0);
	/* and counting works from there */
	assert_int_equal(fail_n(&b, 5, T0), S2P_BREAKER_TR_OPENED);
	s2p_breaker_free(&b);
}

static void
test_breaker__reference_plugin_file_loads(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	int exists = -1, allowed = -1;

	/* the Python plugin's file has no changed_at */
	assert_int_equal(put_file(f->path,
			     "{\"state\": \"open\", "
			     "\"failure_count\": 0, \"success_count\": 0, "
			     "\"opened_at\": 1700000000.5}"),
	    0);
	s2p_breaker_init(&b, f->path);
	assert_int_equal(s2p_breaker_load(&b, &exists, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == 1700000000.5);
	assert_true(b.changed_at == 1700000000.5);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 60.5, &allowed, NULL, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(b.state, S2P_BREAKER_HALF_OPEN);
	s2p_breaker_free(&b);
}

static void
test_breaker__file_format_and_mode(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	json_t *doc;
	json_error_t jerr;
	char *lock = s2p_xasprintf("%s.lock", f->path);

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0 + 0.25);
	assert_int_equal(file_mode(f->path), 0600);
	assert_int_equal(file_mode(lock), 0600);
	doc = json_load_file(f->path, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "state")),
	    "open");
	assert_int_equal(json_integer_value(
			     json_object_get(doc, "failure_count")),
	    0);
	assert_int_equal(json_integer_value(
			     json_object_get(doc, "success_count")),
	    0);
	assert_true(
	    json_number_value(json_object_get(doc, "opened_at")) == T0 + 0.25);
	assert_true(
	    json_number_value(json_object_get(doc, "changed_at")) == T0 + 0.25);
	json_decref(doc);

	assert_int_equal(s2p_breaker_record(&b, 1, T0 + 100, NULL, NULL),
	    S2P_OK);
	doc = json_load_file(f->path, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "state")),
	    "closed");
	assert_true(json_is_null(json_object_get(doc, "opened_at")));
	json_decref(doc);
	free(lock);
	s2p_breaker_free(&b);
}

static void
test_breaker__half_open_is_persisted_as_such(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	json_t *doc;
	json_error_t jerr;
	int allowed;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 60, &allowed, NULL, NULL),
	    S2P_OK);
	doc = json_load_file(f->path, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "state")),
	    "half_open");
	json_decref(doc);
	s2p_breaker_free(&b);
}

static void
test_breaker__failed_save_is_reported(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	struct s2p_error err = {0};
	enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
	char *tmp = s2p_xasprintf("%s.tmp.%d", f->path, (int)getpid());
	int i;

	/* a directory where the atomic write wants its temp file */
	assert_int_equal(mkdir(tmp, 0700), 0);
	s2p_breaker_init(&b, f->path);
	for (i = 0; i < 4; i++)
		assert_int_equal(s2p_breaker_record(&b, 0, T0, &tr, &err),
		    S2P_EIO);
	assert_int_equal(err.code, S2P_EIO);
	/* the file never got the count: each cycle re-read a missing file */
	assert_int_equal(b.failures, 1);
	assert_int_equal(access(f->path, F_OK), -1);
	rmdir(tmp);
	free(tmp);
	s2p_breaker_free(&b);
}

static void
test_breaker__missing_directory_is_an_io_error(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	struct s2p_error err = {0};
	enum s2p_breaker_transition tr = S2P_BREAKER_TR_NONE;
	char *path = s2p_xasprintf("%s/nope/%s", f->dir, S2P_BREAKER_FILE);
	int allowed = -1, i;

	s2p_breaker_init(&b, path);
	for (i = 0; i < 5; i++)
		assert_int_equal(s2p_breaker_record(&b, 0, T0, &tr, &err),
		    S2P_EIO);
	/* the in-memory snapshot still moved, so the caller can act on it */
	assert_int_equal(tr, S2P_BREAKER_TR_OPENED);
	assert_int_equal(s2p_breaker_allow(&b, T0 + 1, &allowed, &tr, &err),
	    S2P_EIO);
	assert_int_equal(allowed, 0);
	free(path);
	s2p_breaker_free(&b);
}

static void
test_breaker__clock_going_back_restarts_timeout(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;
	enum s2p_breaker_transition tr;
	int allowed;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_allow(&b, T0 - 3600, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 0);
	assert_true(b.opened_at == T0 - 3600);
	assert_int_equal(s2p_breaker_allow(&b, T0 - 3540, &allowed, &tr, NULL),
	    S2P_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(tr, S2P_BREAKER_TR_HALF_OPENED);
	s2p_breaker_free(&b);
}

static void
test_breaker__reset_forces_closed(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b, other;

	s2p_breaker_init(&b, f->path);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_reset(&b, T0 + 1, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	s2p_breaker_init(&other, f->path);
	assert_int_equal(s2p_breaker_load(&other, NULL, NULL), S2P_OK);
	assert_int_equal(other.state, S2P_BREAKER_CLOSED);
	assert_true(other.changed_at == T0 + 1);
	s2p_breaker_free(&b);
	s2p_breaker_free(&other);
}

static void
test_breaker__views_and_names(void **state)
{
	struct fx *f = *state;
	struct s2p_breaker b;

	s2p_breaker_init(&b, f->path);
	assert_int_equal(s2p_breaker_effective_state(&b, T0),
	    S2P_BREAKER_CLOSED);
	assert_true(s2p_breaker_retry_in(&b, T0) == 0.0);
	fail_n(&b, 5, T0);
	assert_int_equal(s2p_breaker_effective_state(&b, T0 + 59),
	    S2P_BREAKER_OPEN);
	assert_int_equal(s2p_breaker_effective_state(&b, T0 + 60),
	    S2P_BREAKER_HALF_OPEN);
	assert_true(s2p_breaker_retry_in(&b, T0 + 15) == 45.0);
	assert_true(s2p_breaker_retry_in(&b, T0 + 75) == 0.0);
	assert_true(s2p_breaker_retry_in(&b, T0 - 500) == 60.0);
	/* the views never write */
	assert_int_equal(s2p_breaker_load(&b, NULL, NULL), S2P_OK);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);

	assert_string_equal(s2p_breaker_state_name(S2P_BREAKER_OPEN), "OPEN");
	assert_string_equal(s2p_breaker_state_name(S2P_BREAKER_HALF_OPEN),
	    "HALF_OPEN");
	assert_string_equal(s2p_breaker_transition_name(
				S2P_BREAKER_TR_REOPENED),
	    "reopened");
	assert_string_equal(s2p_breaker_transition_name(S2P_BREAKER_TR_NONE),
	    "none");
	s2p_breaker_free(&b);
	s2p_breaker_free(&b); /* repeated free is harmless */
	s2p_breaker_free(NULL);
}

/* The state machine alone, without a file: the breaker's whole life is
 * driven through s2p_breaker_apply, and the path is never touched. */
static void
test_breaker__pure_transitions(void **state)
{
	struct s2p_breaker b;
	int dirty, i;

	(void)state;
	s2p_breaker_init(&b, "/nonexistent/never/written.json");
	b.threshold = 2;
	dirty = 0;
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_ALLOW, T0,
			     &dirty),
	    S2P_BREAKER_TR_NONE);
	assert_int_equal(dirty, 0);
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_FAILURE, T0,
			     &dirty),
	    S2P_BREAKER_TR_NONE);
	assert_int_equal(dirty, 1);
	assert_int_equal(b.failures, 1);
	dirty = 0;
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_FAILURE, T0 + 1,
			     &dirty),
	    S2P_BREAKER_TR_OPENED);
	assert_int_equal(b.state, S2P_BREAKER_OPEN);
	assert_true(b.opened_at == T0 + 1);
	/* Results within the timeout change nothing. */
	for (i = 0; i < 3; i++) {
		dirty = 0;
		assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_SUCCESS,
				     T0 + 2, &dirty),
		    S2P_BREAKER_TR_NONE);
		assert_int_equal(dirty, 0);
	}
	dirty = 0;
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_ALLOW,
			     T0 + 1 + S2P_BREAKER_RECOVERY_TIMEOUT, &dirty),
	    S2P_BREAKER_TR_HALF_OPENED);
	assert_int_equal(dirty, 1);
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_FAILURE, T0 + 100,
			     &dirty),
	    S2P_BREAKER_TR_REOPENED);
	assert_true(b.opened_at == T0 + 100);
	/* A success after the timeout half-opens and closes in one step. */
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_SUCCESS,
			     T0 + 100 + S2P_BREAKER_RECOVERY_TIMEOUT, &dirty),
	    S2P_BREAKER_TR_CLOSED);
	assert_int_equal(b.state, S2P_BREAKER_CLOSED);
	assert_true(b.opened_at == 0.0);
	(void)s2p_breaker_apply(&b, S2P_BREAKER_EV_FAILURE, T0 + 200, &dirty);
	dirty = 0;
	assert_int_equal(s2p_breaker_apply(&b, S2P_BREAKER_EV_RESET, T0 + 201,
			     &dirty),
	    S2P_BREAKER_TR_NONE);
	assert_int_equal(dirty, 1);
	assert_int_equal(b.failures, 0);
	assert_true(b.changed_at == T0 + 201);
	s2p_breaker_free(&b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_breaker__four_failures_stay_closed_fifth_opens),
	    T(test_breaker__custom_threshold),
	    T(test_breaker__success_in_closed_resets_count),
	    T(test_breaker__half_open_only_after_timeout),
	    T(test_breaker__half_open_success_closes),
	    T(test_breaker__success_threshold_two),
	    T(test_breaker__half_open_failure_reopens),
	    T(test_breaker__record_applies_timeout_first),
	    T(test_breaker__open_ignores_results_within_timeout),
	    T(test_breaker__shared_between_instances),
	    T(test_breaker__child_process_opens_parent_sees),
	    T(test_breaker__concurrent_processes_lose_no_update),
	    T(test_breaker__missing_file_is_closed),
	    T(test_breaker__corrupt_files_read_as_closed),
	    T(test_breaker__corrupt_file_is_rewritten),
	    T(test_breaker__reference_plugin_file_loads),
	    T(test_breaker__file_format_and_mode),
	    T(test_breaker__half_open_is_persisted_as_such),
	    T(test_breaker__failed_save_is_reported),
	    T(test_breaker__missing_directory_is_an_io_error),
	    T(test_breaker__clock_going_back_restarts_timeout),
	    T(test_breaker__reset_forces_closed),
	    T(test_breaker__views_and_names),
	    cmocka_unit_test(test_breaker__pure_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
