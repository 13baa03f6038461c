/*
 * test_db.c - the database wrapper: file modes, pragmas, migrations, nested
 * transactions, error mapping and counters, on real SQLite files in a
 * temporary directory.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/xalloc.h"
#include "store/db.h"

struct fx {
	char dir[64];
	char *path;
};

static int
setup(void **state)
{
	struct fx *f = s2p_xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/s2p-test-db-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = s2p_xasprintf("%s/stash2plex.db", f->dir);
	*state = f;
	return 0;
}

/* Remove every file of the temporary directory, then the directory. */
static int
teardown(void **state)
{
	struct fx *f = *state;
	struct dirent *de;
	DIR *d = opendir(f->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = s2p_xasprintf("%s/%s", f->dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* First column of the first row of sql as an integer. */
static long long
q_int(struct s2p_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(s2p_db_handle(db), sql, -1, &st,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row of sql as text, copied into buf. */
static const char *
q_text(struct s2p_db *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;

	assert_int_equal(sqlite3_prepare_v2(s2p_db_handle(db), sql, -1, &st,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	s = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", s != NULL ? (const char *)s : "");
	sqlite3_finalize(st);
	return buf;
}

static unsigned
file_mode(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (unsigned)(sb.st_mode & 0777);
}

static void
test_db__file_and_side_files_are_private(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	struct s2p_error err;
	mode_t old = umask(022);
	char *wal = s2p_xasprintf("%s-wal", f->path);
	char *shm = s2p_xasprintf("%s-shm", f->path);

	assert_int_equal(s2p_db_open(&db, f->path, &err), S2P_OK);
	umask(old);
	/* A write while open guarantees both side files exist. */
	assert_int_equal(s2p_db_counter_add(db, "x", 1, &err), S2P_OK);
	assert_int_equal(file_mode(f->path), 0600);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);
	/* The process umask is restored. */
	old = umask(022);
	assert_int_equal(old, 022);
	umask(old);
	s2p_db_close(db);
	free(wal);
	free(shm);
}

static void
test_db__existing_file_is_made_private(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(file_mode(f->path), 0600);
	s2p_db_close(db);
}

static void
test_db__pragmas(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	char buf[32];

	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_string_equal(q_text(db, "PRAGMA journal_mode", buf, sizeof(buf)),
	    "wal");
	assert_int_equal(q_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	/* Our busy handler, not SQLite's timeout, waits for locks. */
	assert_int_equal(q_int(db, "PRAGMA busy_timeout"), 0);
	assert_true(s2p_db_lock_wait(db) == 0);
	assert_string_equal(q_text(db, "PRAGMA integrity_check", buf,
				sizeof(buf)),
	    "ok");
	s2p_db_close(db);
}

static void
test_db__migrations_are_idempotent(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	int64_t v = 0;

	assert_true(s2p_db_schema_version() >= 1);
	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(q_int(db, "PRAGMA user_version"),
	    s2p_db_schema_version());
	assert_int_equal(s2p_db_counter_add(db, "done", 5, NULL), S2P_OK);
	s2p_db_close(db);

	db = NULL;
	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(q_int(db, "PRAGMA user_version"),
	    s2p_db_schema_version());
	assert_int_equal(q_int(db,
			     "SELECT count(*) FROM sqlite_master"
			     " WHERE type = 'table' AND name IN"
			     " ('job', 'dead_letter', 'counter')"),
	    3);
	assert_int_equal(q_int(db,
			     "SELECT count(*) FROM sqlite_master"
			     " WHERE type = 'index' AND name IN"
			     " ('job_claim', 'dead_letter_failed_at')"),
	    2);
	assert_int_equal(s2p_db_counter_get(db, "done", &v, NULL), S2P_OK);
	assert_int_equal(v, 5);
	s2p_db_close(db);
}

/* A database left by an older program (schema 1: queue only) migrates
 * forward on open and keeps its queued jobs. */
static void
test_db__old_schema_migrates_forward_keeping_jobs(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;

	assert_int_equal(s2p_db_open_at(&db, f->path, 1, NULL), S2P_OK);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(q_int(db,
			     "SELECT count(*) FROM sqlite_master"
			     " WHERE name = 'plex_part'"),
	    0);
	assert_int_equal(s2p_db_exec(db,
			     "INSERT INTO job (scene_id, state, not_before,"
			     " enqueued_at, updated_at, reason) VALUES"
			     " (42, 'pending', 0, 0, 0, 'hook')",
			     NULL),
	    S2P_OK);
	s2p_db_close(db);

	db = NULL;
	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(q_int(db, "PRAGMA user_version"),
	    s2p_db_schema_version());
	assert_int_equal(q_int(db,
			     "SELECT count(*) FROM sqlite_master"
			     " WHERE name = 'plex_part'"),
	    1);
	assert_int_equal(q_int(db, "SELECT scene_id FROM job"), 42);
	s2p_db_close(db);
}

static void
test_db__newer_schema_is_refused(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	struct s2p_error err;
	char sql[64];

	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    s2p_db_schema_version() + 1);
	assert_int_equal(s2p_db_exec(db, sql, NULL), S2P_OK);
	s2p_db_close(db);

	db = NULL;
	assert_int_equal(s2p_db_open(&db, f->path, &err), S2P_EIO);
	assert_null(db);
	assert_non_null(strstr(err.msg, "newer"));
	/* Refused untouched: the version is still the newer one. */
	assert_int_equal(s2p_db_open_at(&db, f->path, 0, &err), S2P_EIO);
	{
		sqlite3 *h = NULL;
		sqlite3_stmt *st = NULL;

		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA user_version",
				     -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0),
		    s2p_db_schema_version() + 1);
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
}

static void
test_db__open_fails_in_missing_directory(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	struct s2p_error err;
	char *p = s2p_xasprintf("%s/no/such/dir/x.db", f->dir);

	assert_int_equal(s2p_db_open(&db, p, &err), S2P_EIO);
	assert_null(db);
	assert_non_null(strstr(err.msg, "x.db"));
	free(p);
}

static void
test_db__nested_transactions(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	struct s2p_error err;
	int64_t v = -1;

	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_db_commit(db, &err), S2P_EINVAL);

	assert_int_equal(s2p_db_begin(db, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_add(db, "a", 1, NULL), S2P_OK);
	assert_int_equal(s2p_db_begin(db, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_add(db, "b", 1, NULL), S2P_OK);
	s2p_db_rollback(db); /* inner only */
	assert_int_equal(s2p_db_begin(db, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_add(db, "c", 1, NULL), S2P_OK);
	assert_int_equal(s2p_db_commit(db, NULL), S2P_OK); /* RELEASE */
	assert_int_equal(s2p_db_commit(db, NULL), S2P_OK); /* COMMIT */
	assert_int_equal(sqlite3_get_autocommit(s2p_db_handle(db)), 1);

	assert_int_equal(s2p_db_counter_get(db, "a", &v, NULL), S2P_OK);
	assert_int_equal(v, 1);
	assert_int_equal(s2p_db_counter_get(db, "b", &v, NULL), S2P_OK);
	assert_int_equal(v, 0);
	assert_int_equal(s2p_db_counter_get(db, "c", &v, NULL), S2P_OK);
	assert_int_equal(v, 1);

	/* An outer rollback undoes a committed inner level too. */
	assert_int_equal(s2p_db_begin(db, NULL), S2P_OK);
	assert_int_equal(s2p_db_begin(db, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_add(db, "a", 10, NULL), S2P_OK);
	assert_int_equal(s2p_db_commit(db, NULL), S2P_OK);
	s2p_db_rollback(db);
	assert_int_equal(s2p_db_counter_get(db, "a", &v, NULL), S2P_OK);
	assert_int_equal(v, 1);
	s2p_db_close(db);
}

static void
test_db__busy_maps_to_ebusy(void **state)
{
	struct fx *f = *state;
	struct s2p_db *a = NULL, *b = NULL;
	struct s2p_error err;

	assert_int_equal(s2p_db_open(&a, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_db_open(&b, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_db_begin(a, NULL), S2P_OK);
	/* No waiting for the test: b gives up at once. */
	sqlite3_busy_timeout(s2p_db_handle(b), 0);
	assert_int_equal(s2p_db_begin(b, &err), S2P_EBUSY);
	assert_int_equal(err.code, S2P_EBUSY);
	assert_non_null(strstr(err.msg, "database"));
	/* A reader is not blocked by the writer (WAL). */
	assert_int_equal(q_int(b, "SELECT count(*) FROM counter"), 0);
	s2p_db_rollback(a);
	assert_int_equal(s2p_db_begin(b, NULL), S2P_OK);
	assert_int_equal(s2p_db_commit(b, NULL), S2P_OK);
	s2p_db_close(a);
	s2p_db_close(b);
}

static void
test_db__errors_map_to_eio(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	struct s2p_error err;
	sqlite3_stmt *st = NULL;

	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	/* STRICT + CHECK reject a bad state. */
	assert_int_equal(s2p_db_exec(db,
			     "INSERT INTO job (scene_id, state, not_before,"
			     " enqueued_at, updated_at, reason)"
			     " VALUES (1, 'weird', 0, 0, 0, 'x')",
			     &err),
	    S2P_EIO);
	assert_non_null(strstr(err.msg, "CHECK"));
	assert_int_equal(s2p_db_exec(db,
			     "INSERT INTO job (scene_id, state, not_before,"
			     " enqueued_at, updated_at, reason)"
			     " VALUES ('abc', 'pending', 0, 0, 0, 'x')",
			     &err),
	    S2P_EIO);
	assert_int_equal(s2p_db_prepare(db, &st, "SELECT nope FROM nowhere",
			     &err),
	    S2P_EIO);
	assert_null(st);
	assert_non_null(strstr(err.msg, "nowhere"));
	s2p_db_close(db);
}

static void
test_db__counters(void **state)
{
	struct fx *f = *state;
	struct s2p_db *db = NULL;
	int64_t v = -1;

	assert_int_equal(s2p_db_open(&db, f->path, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_get(db, "zz", &v, NULL), S2P_OK);
	assert_int_equal(v, 0);
	assert_int_equal(s2p_db_counter_add(db, "zz", 3, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_add(db, "zz", -1, NULL), S2P_OK);
	assert_int_equal(s2p_db_counter_get(db, "zz", &v, NULL), S2P_OK);
	assert_int_equal(v, 2);
	s2p_db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_db__file_and_side_files_are_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_db__existing_file_is_made_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_db__pragmas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_db__migrations_are_idempotent,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_db__newer_schema_is_refused,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_db__old_schema_migrates_forward_keeping_jobs, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_db__open_fails_in_missing_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_db__nested_transactions, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_db__busy_maps_to_ebusy, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_db__errors_map_to_eio, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_db__counters, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
