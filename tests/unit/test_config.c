/*
 * test_config.c - the settings table: defaults, every coercion form, ranges,
 * enums, "0/empty/null means default", unknown keys, error wording (names
 * the setting, never a secret), the environment and validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/compat.h"
#include "core/config.h"
#include "core/xalloc.h"

/* Parse a JSON object literal; aborts the test on a typo in it. */
static json_t *
J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* Apply a JSON object literal to cfg; returns the status. */
static int
apply(struct s2p_config *cfg, const char *text, struct s2p_error *err)
{
	json_t *v = J(text);
	int rc;

	s2p_error_clear(err);
	rc = s2p_config_apply_json(cfg, v, err);
	json_decref(v);
	return rc;
}

/* Apply and expect S2P_EINVAL with exactly msg. */
static void
apply_fails_with(const char *text, const char *msg)
{
	struct s2p_config cfg;
	struct s2p_error err;

	s2p_config_init(&cfg);
	assert_int_equal(apply(&cfg, text, &err), S2P_EINVAL);
	assert_int_equal(err.code, S2P_EINVAL);
	assert_string_equal(err.msg, msg);
	s2p_config_free(&cfg);
}

static void
test_config__defaults(void **state)
{
	struct s2p_config c;

	(void)state;
	s2p_config_init(&c);
	assert_string_equal(c.plex_url, "");
	assert_string_equal(c.plex_token, "");
	assert_string_equal(c.plex_library, "");
	assert_int_equal(c.enabled, 1);
	assert_int_equal(c.max_retries, 5);
	assert_true(c.poll_interval == 1.0);
	assert_int_equal(c.strict_matching, 1);
	assert_int_equal(c.preserve_plex_edits, 0);
	assert_true(c.connect_timeout == 5.0);
	assert_true(c.read_timeout == 30.0);
	assert_int_equal(c.max_tags, 100);
	assert_int_equal(c.sync_master, 1);
	assert_int_equal(c.sync_studio, 1);
	assert_int_equal(c.sync_summary, 1);
	assert_int_equal(c.sync_date, 1);
	assert_int_equal(c.sync_performers, 1);
	assert_int_equal(c.sync_tags, 1);
	assert_int_equal(c.sync_poster, 1);
	assert_int_equal(c.sync_background, 1);
	assert_int_equal(c.sync_collection, 1);
	assert_int_equal(c.sync_rating, 1);
	assert_int_equal(c.trigger_plex_scan, 0);
	assert_int_equal(c.skip_not_found, 0);
	assert_int_equal(c.debug_logging, 0);
	assert_int_equal(c.obfuscate_paths, 0);
	assert_string_equal(c.reconcile_interval, "never");
	assert_string_equal(c.reconcile_scope, "24h");
	assert_string_equal(c.path_map, "");
	assert_string_equal(c.list_mode, "replace");
	assert_string_equal(c.stash_api_key, "");
	assert_int_equal(c.dlq_retention_days, 30);
	s2p_config_free(&c);
	/* free leaves NULLs behind, so a second free is harmless */
	assert_null(c.plex_url);
	s2p_config_free(&c);
	s2p_config_free(NULL);
}

static void
test_config__bool_forms(void **state)
{
	static const struct {
		const char *json;
		int want;
	} cases[] = {
	    {"true", 1},
	    {"false", 0},
	    {"1", 1},
	    {"0", 0},
	    {"1.0", 1},
	    {"\"true\"", 1},
	    {"\"FALSE\"", 0},
	    {"\"1\"", 1},
	    {"\"0\"", 0},
	    {"\"yes\"", 1},
	    {"\"No\"", 0},
	    {"\"on\"", 1},
	    {"\"OFF\"", 0},
	    {"\" True \"", 1},
	};
	struct s2p_config c;
	struct s2p_error err;
	char doc[128];
	size_t i;

	(void)state;
	for (i = 0; i < S2P_ARRAY_LEN(cases); i++) {
		s2p_config_init(&c);
		/* start from the opposite value so the assignment shows */
		c.sync_tags = !cases[i].want;
		snprintf(doc, sizeof(doc), "{\"sync_tags\": %s}",
		    cases[i].json);
		assert_int_equal(apply(&c, doc, &err), S2P_OK);
		if (c.sync_tags != cases[i].want)
			fail_msg("%s gave %d", cases[i].json, c.sync_tags);
		s2p_config_free(&c);
	}
}

static void
test_config__bool_errors(void **state)
{
	(void)state;
	apply_fails_with("{\"sync_tags\": \"maybe\"}",
	    "setting sync_tags: expected a boolean, got \"maybe\"");
	apply_fails_with("{\"enabled\": 2}",
	    "setting enabled: expected a boolean, got 2");
	apply_fails_with("{\"enabled\": [true]}",
	    "setting enabled: expected a boolean, got an array");
	apply_fails_with("{\"enabled\": {}}",
	    "setting enabled: expected a boolean, got an object");
}

static void
test_config__number_forms(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"max_tags\": 250, \"max_retries\": 3.0,"
			     " \"poll_interval\": 2.5, \"connect_timeout\": 10,"
			     " \"read_timeout\": \"45.5\", "
			     "\"dlq_retention_days\": \" 7 \"}",
			     &err),
	    S2P_OK);
	assert_int_equal(c.max_tags, 250);
	assert_int_equal(c.max_retries, 3);
	assert_true(c.poll_interval == 2.5);
	assert_true(c.connect_timeout == 10.0);
	assert_true(c.read_timeout == 45.5);
	assert_int_equal(c.dlq_retention_days, 7);
	assert_int_equal(apply(&c, "{\"max_tags\": \"1e2\"}", &err), S2P_OK);
	assert_int_equal(c.max_tags, 100 /* 1e2 */);
	assert_int_equal(apply(&c, "{\"max_tags\": \"+300\"}", &err), S2P_OK);
	assert_int_equal(c.max_tags, 300);
	assert_int_equal(apply(&c, "{\"poll_interval\": \".5\"}", &err),
	    S2P_OK);
	assert_true(c.poll_interval == 0.5);
	s2p_config_free(&c);
}

static void
test_config__number_errors(void **state)
{
	(void)state;
	apply_fails_with("{\"max_tags\": 5000}",
	    "setting max_tags: 5000 is out of range (10-500)");
	apply_fails_with("{\"max_tags\": \"5000\"}",
	    "setting max_tags: 5000 is out of range (10-500)");
	apply_fails_with("{\"max_tags\": -5}",
	    "setting max_tags: -5 is out of range (10-500)");
	apply_fails_with("{\"poll_interval\": 0.05}",
	    "setting poll_interval: 0.05 is out of range (0.1-60)");
	apply_fails_with("{\"max_tags\": \"12abc\"}",
	    "setting max_tags: expected a whole number, got \"12abc\"");
	apply_fails_with("{\"max_tags\": 12.5}",
	    "setting max_tags: expected a whole number, got 12.5");
	apply_fails_with("{\"max_tags\": \"0x20\"}",
	    "setting max_tags: expected a whole number, got \"0x20\"");
	apply_fails_with("{\"poll_interval\": \"nan\"}",
	    "setting poll_interval: expected a number, got \"nan\"");
	apply_fails_with("{\"poll_interval\": \"inf\"}",
	    "setting poll_interval: expected a number, got \"inf\"");
	apply_fails_with("{\"poll_interval\": \"1e999\"}",
	    "setting poll_interval: expected a number, got \"1e999\"");
	apply_fails_with("{\"max_retries\": true}",
	    "setting max_retries: expected a whole number, got true");
	apply_fails_with("{\"read_timeout\": \"-\"}",
	    "setting read_timeout: expected a number, got \"-\"");
}

static void
test_config__zero_empty_null_mean_default(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"max_tags\": 200, \"poll_interval\": 9,"
			     " \"reconcile_interval\": \"daily\", "
			     "\"plex_library\": \"Movies\","
			     " \"sync_tags\": false, \"list_mode\": \"merge\"}",
			     &err),
	    S2P_OK);
	assert_int_equal(c.max_tags, 200);
	assert_string_equal(c.plex_library, "Movies");

	assert_int_equal(apply(&c,
			     "{\"max_tags\": 0, \"poll_interval\": 0.0,"
			     " \"reconcile_interval\": \"\", \"plex_library\": "
			     "\"  \","
			     " \"sync_tags\": null, \"list_mode\": null}",
			     &err),
	    S2P_OK);
	assert_int_equal(c.max_tags, 100);
	assert_true(c.poll_interval == 1.0);
	assert_string_equal(c.reconcile_interval, "never");
	assert_string_equal(c.plex_library, "");
	assert_int_equal(c.sync_tags, 1);
	assert_string_equal(c.list_mode, "replace");

	assert_int_equal(apply(&c, "{\"max_tags\": 200}", &err), S2P_OK);
	assert_int_equal(apply(&c, "{\"max_tags\": \"\"}", &err), S2P_OK);
	assert_int_equal(c.max_tags, 100);
	assert_int_equal(apply(&c, "{\"max_tags\": 200}", &err), S2P_OK);
	assert_int_equal(apply(&c, "{\"max_tags\": \"0\"}", &err), S2P_OK);
	assert_int_equal(c.max_tags, 100);
	/* an empty boolean string is "unset" too */
	assert_int_equal(apply(&c, "{\"enabled\": false}", &err), S2P_OK);
	assert_int_equal(apply(&c, "{\"enabled\": \"\"}", &err), S2P_OK);
	assert_int_equal(c.enabled, 1);
	s2p_config_free(&c);
}

static void
test_config__enums(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"reconcile_interval\": \"Daily\","
			     " \"reconcile_scope\": \" 7DAYS \", "
			     "\"list_mode\": \"MERGE\"}",
			     &err),
	    S2P_OK);
	assert_string_equal(c.reconcile_interval, "daily");
	assert_string_equal(c.reconcile_scope, "7days");
	assert_string_equal(c.list_mode, "merge");
	s2p_config_free(&c);

	apply_fails_with("{\"reconcile_interval\": \"sometimes\"}",
	    "setting reconcile_interval: \"sometimes\" is not one of "
	    "never|hourly|daily|weekly");
	apply_fails_with("{\"reconcile_scope\": \"1h\"}",
	    "setting reconcile_scope: \"1h\" is not one of all|24h|7days");
	apply_fails_with("{\"list_mode\": 3}",
	    "setting list_mode: expected a string, got 3");
}

static void
test_config__strings(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"plex_url\": \" https://plex.lan:32400//"
			     " \", \"plex_library\": 2024, \"path_map\": "
			     "\"/a=>/b\"}",
			     &err),
	    S2P_OK);
	assert_string_equal(c.plex_url, "https://plex.lan:32400");
	assert_string_equal(c.plex_library, "2024");
	assert_string_equal(c.path_map, "/a=>/b");
	assert_int_equal(apply(&c, "{\"plex_url\": \"HTTP://10.0.0.2:32400/\"}",
			     &err),
	    S2P_OK);
	assert_string_equal(c.plex_url, "http://10.0.0.2:32400");
	s2p_config_free(&c);

	apply_fails_with("{\"plex_url\": \"plex.lan:32400\"}",
	    "setting plex_url: must be the address of your Plex server as "
	    "http://HOST:32400 or https://HOST:32400, e.g. "
	    "http://192.168.1.10:32400");
	apply_fails_with("{\"plex_url\": \"http:///\"}",
	    "setting plex_url: has no host name (use http://HOST:32400 or "
	    "https://HOST:32400, e.g. http://192.168.1.10:32400)");
	apply_fails_with("{\"plex_library\": true}",
	    "setting plex_library: expected a string, got true");
}

/* The Plex URL users paste (issue 10, item 3): Plex Web's address bar, no
 * port, a trailing slash, a query; anything but http(s) is refused with the
 * accepted form. */
static void
test_config__plex_url_normalised(void **state)
{
	static const struct {
		const char *in, *want;
	} ok[] = {
	    {"http://192.168.1.5:32400/web/index.html#!/server/abc/"
	     "details?key=%2Flibrary%2Fmetadata%2F1",
		"http://192.168.1.5:32400"},
	    {"http://192.168.1.5:32400/web", "http://192.168.1.5:32400"},
	    {"http://192.168.1.5:32400/web/", "http://192.168.1.5:32400"},
	    {"http://plex.lan", "http://plex.lan:32400"},
	    {"http://plex.lan/", "http://plex.lan:32400"},
	    {"http://plex.lan:/", "http://plex.lan:32400"},
	    {"https://192-168-1-5.0123abcd.plex.direct",
		"https://192-168-1-5.0123abcd.plex.direct:32400"},
	    {"HTTPS://Plex.Example:443/plex/", "https://Plex.Example:443/plex"},
	    {"http://plex.lan:32400?X-Plex-Token=abc", "http://plex.lan:32400"},
	    {"http://plex.lan:32400#!/media", "http://plex.lan:32400"},
	    {"http://[fd00::5]/web/index.html", "http://[fd00::5]:32400"},
	    {"http://[fd00::5]:8080", "http://[fd00::5]:8080"},
	    {"http://u:pw@plex.lan/", "http://u:pw@plex.lan:32400"},
	    {"http://plex.lan:32400/webhooks",
		"http://plex.lan:32400/webhooks"},
	};
	static const char *const bad[] = {"ftp://plex.lan:32400", "plex.lan",
	    "192.168.1.5:32400", "file:///etc/passwd", "http://:32400",
	    "http://plex.lan:99999", "http://plex.lan:32x00",
	    "https://app.plex.tv/desktop/#!/server/abc", "http://pl ex.lan"};
	struct s2p_config c;
	struct s2p_error err;
	char *json;
	size_t i;

	(void)state;
	for (i = 0; i < S2P_ARRAY_LEN(ok); i++) {
		s2p_config_init(&c);
		json = s2p_xasprintf("{\"plex_url\": \"%s\"}", ok[i].in);
		assert_int_equal(apply(&c, json, &err), S2P_OK);
		assert_string_equal(c.plex_url, ok[i].want);
		free(json);
		s2p_config_free(&c);
	}
	for (i = 0; i < S2P_ARRAY_LEN(bad); i++) {
		s2p_config_init(&c);
		json = s2p_xasprintf("{\"plex_url\": \"%s\"}", bad[i]);
		assert_int_equal(apply(&c, json, &err), S2P_EINVAL);
		assert_non_null(strstr(err.msg, "setting plex_url: "));
		assert_non_null(strstr(err.msg, "http://HOST:32400"));
		free(json);
		s2p_config_free(&c);
	}
}

static void
test_config__unknown_keys_ignored(void **state)
{
	struct s2p_config c;
	struct s2p_error err;
	json_t *v;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"nope\": [1, 2], \"strict_mode\": true,"
			     " \"max_tags\": 50, \"Max_Tags\": \"garbage\"}",
			     &err),
	    S2P_OK);
	assert_int_equal(c.max_tags, 50);
	/* not an object at all is an error; NULL and null are "nothing" */
	assert_int_equal(apply(&c, "[1]", &err), S2P_EINVAL);
	assert_string_equal(err.msg, "plugin settings: expected an object");
	assert_int_equal(apply(&c, "null", &err), S2P_OK);
	assert_int_equal(s2p_config_apply_json(&c, NULL, &err), S2P_OK);
	/* err may be NULL */
	v = J("{\"max_tags\": 60}");
	assert_int_equal(s2p_config_apply_json(&c, v, NULL), S2P_OK);
	assert_int_equal(c.max_tags, 60);
	json_decref(v);
	s2p_config_free(&c);
}

/* Every failure involving a secret must keep the value out of err.msg. */
static void
secret_not_echoed(const char *doc, const char *secret, const char *key)
{
	struct s2p_config c;
	struct s2p_error err;

	s2p_config_init(&c);
	assert_int_equal(apply(&c, doc, &err), S2P_EINVAL);
	if (strstr(err.msg, secret) != NULL)
		fail_msg("secret echoed: %s", err.msg);
	assert_non_null(strstr(err.msg, key));
	assert_non_null(strstr(err.msg, "invalid value"));
	s2p_config_free(&c);
}

static void
test_config__secrets_never_echoed(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	secret_not_echoed("{\"plex_token\": \"Sh0rt\"}", "Sh0rt",
	    "setting plex_token:");
	secret_not_echoed("{\"plex_token\": \"abcd efgh ijkl\"}", "abcd",
	    "setting plex_token:");
	secret_not_echoed("{\"plex_token\": 1234567}", "1234567",
	    "setting plex_token:");
	secret_not_echoed("{\"plex_token\": [\"TOKENVALUE99\"]}",
	    "TOKENVALUE99", "setting plex_token:");
	secret_not_echoed("{\"stash_api_key\": \"KEYPART\\nInjected: 1\"}",
	    "KEYPART", "setting stash_api_key:");
	secret_not_echoed("{\"stash_api_key\": {\"k\": \"KEYOBJ\"}}", "KEYOBJ",
	    "setting stash_api_key:");

	/* a URL carrying a token loses it (the query is dropped) */
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"plex_url\": "
			     "\"http://plex:32400/?X-Plex-Token=URLTOKEN123\"}",
			     &err),
	    S2P_OK);
	assert_string_equal(c.plex_url, "http://plex:32400");
	/* and a refused one is never quoted */
	assert_int_equal(apply(&c,
			     "{\"plex_url\": "
			     "\"ftp://plex:32400/?X-Plex-Token=URLTOKEN123\"}",
			     &err),
	    S2P_EINVAL);
	assert_null(strstr(err.msg, "URLTOKEN123"));
	assert_non_null(strstr(err.msg, "setting plex_url:"));

	/* a good token is stored verbatim (trimmed) */
	assert_int_equal(apply(&c,
			     "{\"plex_token\": \" aB3-xY_9zz \","
			     " \"stash_api_key\": \"eyJhbGciOi.key\"}",
			     &err),
	    S2P_OK);
	assert_string_equal(c.plex_token, "aB3-xY_9zz");
	assert_string_equal(c.stash_api_key, "eyJhbGciOi.key");
	s2p_config_free(&c);

	assert_int_equal(s2p_config_is_secret("plex_token"), 1);
	assert_int_equal(s2p_config_is_secret("stash_api_key"), 1);
	assert_int_equal(s2p_config_is_secret("plex_url"), 0);
	assert_int_equal(s2p_config_is_secret("nope"), 0);
	assert_int_equal(s2p_config_is_secret(NULL), 0);
}

static void
test_config__set_from_text(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(s2p_config_set(&c, "max_tags", "42", &err), S2P_OK);
	assert_int_equal(c.max_tags, 42);
	assert_int_equal(s2p_config_set(&c, "max-tags", "43", &err), S2P_OK);
	assert_int_equal(c.max_tags, 43);
	assert_int_equal(s2p_config_set(&c, "sync_tags", "off", &err), S2P_OK);
	assert_int_equal(c.sync_tags, 0);
	assert_int_equal(s2p_config_set(&c, "list_mode", "Merge", &err),
	    S2P_OK);
	assert_string_equal(c.list_mode, "merge");
	assert_int_equal(s2p_config_set(&c, "max_tags", NULL, &err), S2P_OK);
	assert_int_equal(c.max_tags, 100);
	assert_int_equal(s2p_config_set(&c, "sync_tags", "", &err), S2P_OK);
	assert_int_equal(c.sync_tags, 1);

	assert_int_equal(s2p_config_set(&c, "bogus", "1", &err), S2P_EINVAL);
	assert_string_equal(err.msg, "unknown setting bogus");
	assert_int_equal(s2p_config_set(&c, "max_tags", "9", &err), S2P_EINVAL);
	assert_string_equal(err.msg,
	    "setting max_tags: 9 is out of range (10-500)");
	s2p_config_free(&c);
}

static void
clear_env(void)
{
	unsetenv("STASH2PLEX_MAX_TAGS");
	unsetenv("STASH2PLEX_SYNC_TAGS");
	unsetenv("STASH2PLEX_PLEX_URL");
	unsetenv("STASH2PLEX_PLEX_TOKEN");
	unsetenv("STASH2PLEX_RECONCILE_SCOPE");
	unsetenv("PLEX_URL");
	unsetenv("PLEX_TOKEN");
}

static void
test_config__env_precedence(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	clear_env();

	/* STASH2PLEX_<KEY> overrides the settings map */
	s2p_config_init(&c);
	assert_int_equal(apply(&c,
			     "{\"max_tags\": 50, \"plex_url\": "
			     "\"http://from-settings:1\"}",
			     &err),
	    S2P_OK);
	setenv("STASH2PLEX_MAX_TAGS", "200", 1);
	setenv("STASH2PLEX_RECONCILE_SCOPE", "ALL", 1);
	setenv("STASH2PLEX_SYNC_TAGS", "", 1); /* empty: ignored */
	setenv("PLEX_URL", "http://from-plex-url:2", 1);
	assert_int_equal(s2p_config_apply_env(&c, &err), S2P_OK);
	assert_int_equal(c.max_tags, 200);
	assert_string_equal(c.reconcile_scope, "all");
	assert_int_equal(c.sync_tags, 1);
	/* PLEX_URL is only a fallback: the Stash setting wins */
	assert_string_equal(c.plex_url, "http://from-settings:1");
	s2p_config_free(&c);

	/* with no setting, PLEX_URL / PLEX_TOKEN fill in */
	s2p_config_init(&c);
	setenv("PLEX_TOKEN", "tokentoken", 1);
	assert_int_equal(s2p_config_apply_env(&c, &err), S2P_OK);
	assert_string_equal(c.plex_url, "http://from-plex-url:2");
	assert_string_equal(c.plex_token, "tokentoken");
	s2p_config_free(&c);

	/* STASH2PLEX_PLEX_URL beats PLEX_URL */
	s2p_config_init(&c);
	setenv("STASH2PLEX_PLEX_URL", "http://from-prefixed:3/", 1);
	assert_int_equal(s2p_config_apply_env(&c, &err), S2P_OK);
	assert_string_equal(c.plex_url, "http://from-prefixed:3");
	s2p_config_free(&c);

	/* a bad value names the variable and the setting */
	s2p_config_init(&c);
	setenv("STASH2PLEX_SYNC_TAGS", "maybe", 1);
	assert_int_equal(s2p_config_apply_env(&c, &err), S2P_EINVAL);
	assert_string_equal(err.msg,
	    "setting sync_tags: expected a boolean, "
	    "got \"maybe\" (from STASH2PLEX_SYNC_TAGS)");
	s2p_config_free(&c);

	/* a bad secret from the environment is not echoed either */
	s2p_config_init(&c);
	unsetenv("STASH2PLEX_SYNC_TAGS");
	setenv("STASH2PLEX_PLEX_TOKEN", "bad tok en", 1);
	assert_int_equal(s2p_config_apply_env(&c, &err), S2P_EINVAL);
	assert_null(strstr(err.msg, "tok en"));
	assert_non_null(strstr(err.msg, "STASH2PLEX_PLEX_TOKEN"));
	s2p_config_free(&c);
	clear_env();
}

static void
test_config__validate(void **state)
{
	struct s2p_config c;
	struct s2p_error err;

	(void)state;
	s2p_config_init(&c);
	assert_int_equal(s2p_config_validate(&c, &err), S2P_EINVAL);
	assert_non_null(strstr(err.msg, "setting plex_url is required"));

	assert_int_equal(apply(&c, "{\"plex_url\": \"http://plex:32400\"}",
			     &err),
	    S2P_OK);
	assert_int_equal(s2p_config_validate(&c, &err), S2P_EINVAL);
	assert_non_null(strstr(err.msg, "setting plex_token is required"));

	assert_int_equal(apply(&c, "{\"plex_token\": \"abcdefgh\"}", &err),
	    S2P_OK);
	assert_int_equal(s2p_config_validate(&c, &err), S2P_OK);
	assert_int_equal(s2p_config_validate(&c, NULL), S2P_OK);

	/* fields set behind the table's back are still checked */
	free(c.plex_url);
	c.plex_url = strdup("ftp://plex");
	assert_int_equal(s2p_config_validate(&c, &err), S2P_EINVAL);
	assert_non_null(strstr(err.msg, "setting plex_url:"));
	free(c.plex_url);
	c.plex_url = strdup("http://plex");
	free(c.plex_token);
	c.plex_token = strdup("SEVEN77");
	assert_int_equal(s2p_config_validate(&c, &err), S2P_EINVAL);
	assert_non_null(strstr(err.msg, "setting plex_token:"));
	assert_null(strstr(err.msg, "SEVEN77"));
	s2p_config_free(&c);
}

static void
test_config__to_json_round_trip(void **state)
{
	struct s2p_config a, b;
	struct s2p_error err;
	json_t *ja, *jb;

	(void)state;
	s2p_config_init(&a);
	assert_int_equal(apply(&a,
			     "{\"plex_url\": \"http://p:1\","
			     " \"plex_token\": \"0123456789\", \"max_tags\": "
			     "77,"
			     " \"poll_interval\": 2.5, \"sync_poster\": false,"
			     " \"reconcile_scope\": \"all\"}",
			     &err),
	    S2P_OK);
	ja = s2p_config_to_json(&a);
	assert_int_equal(json_object_size(ja), s2p_config_count());
	assert_int_equal(json_integer_value(json_object_get(ja, "max_tags")),
	    77);
	assert_true(
	    json_real_value(json_object_get(ja, "poll_interval")) == 2.5);
	assert_true(json_is_false(json_object_get(ja, "sync_poster")));
	assert_true(json_is_true(json_object_get(ja, "enabled")));
	assert_string_equal(json_string_value(
				json_object_get(ja, "plex_token")),
	    "0123456789");

	s2p_config_init(&b);
	assert_int_equal(s2p_config_apply_json(&b, ja, &err), S2P_OK);
	jb = s2p_config_to_json(&b);
	assert_true(json_equal(ja, jb));
	json_decref(ja);
	json_decref(jb);
	s2p_config_free(&a);
	s2p_config_free(&b);
}

/* status_listen: a port, host:port or [v6]:port; anything else refused
 * with the setting's name. */
static void
test_config__status_listen(void **state)
{
	static const char *const good[] = {"9787", "127.0.0.1:9787",
	    "0.0.0.0:1", "[::1]:65535", ""};
	static const char *const bad[] = {"0", "65536", "x", ":9787",
	    "host:", "1.2.3.4:80/metrics", "a b:80", "9787x"};
	struct s2p_config c;
	struct s2p_error e;
	size_t i;

	(void)state;
	s2p_config_init(&c);
	assert_string_equal(c.status_listen, "");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		s2p_error_clear(&e);
		assert_int_equal(s2p_config_set(&c, "status_listen", good[i],
				     &e),
		    S2P_OK);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s2p_error_clear(&e);
		assert_int_equal(s2p_config_set(&c, "status_listen", bad[i],
				     &e),
		    S2P_EINVAL);
		assert_non_null(strstr(e.msg, "status_listen"));
	}
	s2p_config_free(&c);
}

static void
test_config__table_and_help(void **state)
{
	char *help = s2p_config_help_text();
	size_t i, j, n = s2p_config_count();

	(void)state;
	assert_int_equal(n, 35);
	/* Retired settings that did nothing: not in help, not in the table,
	 * but an old configuration carrying them still loads. */
	assert_null(strstr(help, "sync_tagline"));
	assert_null(strstr(help, "reconcile_missing"));
	assert_null(strstr(help, "plex_unmatched_path_map"));
	{
		struct s2p_config c;
		struct s2p_error e;
		json_t *old = json_pack("{s:b,s:b,s:s,s:b}", "sync_tagline", 0,
		    "reconcile_missing", 0, "plex_unmatched_path_map", "/a=>/b",
		    "sync_studio", 0);

		s2p_config_init(&c);
		s2p_error_clear(&e);
		assert_int_equal(s2p_config_apply_json(&c, old, &e), S2P_OK);
		assert_int_equal(c.sync_studio, 0);
		assert_int_equal(s2p_config_set(&c, "sync-tagline", "false",
				     &e),
		    S2P_OK);
		assert_int_equal(s2p_config_set(&c, "no_such_thing", "1", &e),
		    S2P_EINVAL);
		json_decref(old);
		s2p_config_free(&c);
	}
	for (i = 0; i < n; i++) {
		const char *k = s2p_config_key_at(i);
		const char *t = s2p_config_stash_type_at(i);
		char line[96];

		assert_non_null(k);
		for (j = 0; j < i; j++)
			assert_string_not_equal(k, s2p_config_key_at(j));
		assert_true(strcmp(t, "BOOLEAN") == 0 ||
		    strcmp(t, "NUMBER") == 0 || strcmp(t, "STRING") == 0);
		snprintf(line, sizeof(line), "  %s (", k);
		assert_non_null(strstr(help, line));
	}
	assert_null(s2p_config_key_at(n));
	assert_null(s2p_config_stash_type_at(n));
	assert_non_null(
	    strstr(help, "  max_tags (number 10-500, default 100): "));
	assert_non_null(strstr(help,
	    "  reconcile_interval "
	    "(never|hourly|daily|weekly, default never): "));
	assert_non_null(strstr(help,
	    "  plex_token (string, required, "
	    "secret): "));
	assert_non_null(strstr(help, "  enabled (boolean, default true): "));
	free(help);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config__defaults),
	    cmocka_unit_test(test_config__bool_forms),
	    cmocka_unit_test(test_config__bool_errors),
	    cmocka_unit_test(test_config__number_forms),
	    cmocka_unit_test(test_config__number_errors),
	    cmocka_unit_test(test_config__zero_empty_null_mean_default),
	    cmocka_unit_test(test_config__enums),
	    cmocka_unit_test(test_config__strings),
	    cmocka_unit_test(test_config__plex_url_normalised),
	    cmocka_unit_test(test_config__unknown_keys_ignored),
	    cmocka_unit_test(test_config__secrets_never_echoed),
	    cmocka_unit_test(test_config__set_from_text),
	    cmocka_unit_test(test_config__env_precedence),
	    cmocka_unit_test(test_config__validate),
	    cmocka_unit_test(test_config__to_json_round_trip),
	    cmocka_unit_test(test_config__table_and_help),
	    cmocka_unit_test(test_config__status_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
