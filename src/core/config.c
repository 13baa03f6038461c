/*
 * config.c - the settings table and everything driven by it (see config.h).
 *
 * One static table describes every setting: key, type, where it lives in
 * struct s2p_config, its default, range or allowed values, whether it is a
 * secret, and a one-line description. Defaults, JSON and text coercion, the
 * environment, --help and the JSON dump all walk that table; no function
 * knows an individual key except the two per-setting checks (plex_url,
 * secrets). Error messages name the setting and never quote a secret.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "plexurl.h"
#include "xalloc.h"

enum setting_type {
	T_BOOL,
	T_INT,
	T_DOUBLE,
	T_STRING,
	T_ENUM,
};

struct setting;

/* Optional per-setting check of a non-empty, trimmed string value. It may
 * rewrite *val (owned). Returns S2P_OK or S2P_EINVAL with a message. */
typedef int s2p_setting_check_fn(const struct setting *s, char **val,
    struct s2p_error *err);

struct setting {
	const char *key;
	enum setting_type type;
	size_t off;                 /* offset into struct s2p_config */
	const char *def;            /* default as text ("true", "5", "never") */
	double min, max;            /* T_INT, T_DOUBLE */
	const char *const *allowed; /* T_ENUM, NULL-terminated, lower case */
	int secret;
	int required; /* checked by s2p_config_validate */
	s2p_setting_check_fn *check;
	const char *desc;
};

static s2p_setting_check_fn check_url;
static s2p_setting_check_fn check_token;
static s2p_setting_check_fn check_header_safe;
static s2p_setting_check_fn check_listen;

static const char *const reconcile_intervals[] = {"never", "hourly", "daily",
    "weekly", NULL};
static const char *const reconcile_scopes[] = {"all", "24h", "7days", NULL};
static const char *const list_modes[] = {"replace", "merge", NULL};

#define OFF(field) offsetof(struct s2p_config, field)
#define BOOL(k, d, text)                                                       \
	{                                                                      \
#k, T_BOOL, OFF(k), d, 0, 0, NULL, 0, 0, NULL, text            \
	}
#define INT(k, d, lo, hi, text)                                                \
	{                                                                      \
#k, T_INT, OFF(k), d, lo, hi, NULL, 0, 0, NULL, text           \
	}
#define DOUBLE(k, d, lo, hi, text)                                             \
	{                                                                      \
#k, T_DOUBLE, OFF(k), d, lo, hi, NULL, 0, 0, NULL, text        \
	}
#define STRING(k, text)                                                        \
	{                                                                      \
#k, T_STRING, OFF(k), "", 0, 0, NULL, 0, 0, NULL, text         \
	}
#define ENUM(k, d, vals, text)                                                 \
	{                                                                      \
#k, T_ENUM, OFF(k), d, 0, 0, vals, 0, 0, NULL, text            \
	}

static const struct setting settings[] = {
    {"plex_url", T_STRING, OFF(plex_url), "", 0, 0, NULL, 0, 1, check_url,
	"Plex server URL, e.g. http://192.168.1.10:32400"},
    {"plex_token", T_STRING, OFF(plex_token), "", 0, 0, NULL, 1, 1, check_token,
	"Plex authentication token (X-Plex-Token)"},
    STRING(plex_library,
	"Plex library section names, comma-separated (empty: all video)"),
    STRING(plex_ca_file,
	"PEM CA bundle for an https Plex URL (empty: SSL_CERT_FILE, "
	"then the usual system paths)"),
    BOOL(plex_tls_insecure, "false",
	"https Plex: do not check the server's certificate (unsafe)"),
    BOOL(enabled, "true", "Master switch; false makes every run a no-op"),
    INT(max_retries, "5", 1, 20,
	"Transient failures before a job is dead-lettered"),
    DOUBLE(poll_interval, "1.0", 0.1, 60,
	"Seconds between queue polls while Plex is unavailable"),
    BOOL(strict_matching, "true",
	"Skip a scene when several Plex items match it equally"),
    BOOL(preserve_plex_edits, "false", "Only fill Plex fields that are empty"),
    DOUBLE(connect_timeout, "5", 1, 30, "Plex connect timeout in seconds"),
    DOUBLE(read_timeout, "30", 5, 120, "Plex read timeout in seconds"),
    INT(plex_concurrency, "4", 1, 8,
	"Plex requests in flight at once (1-8); jobs of one scene never "
	"overlap"),
    INT(max_tags, "100", 10, 500, "Most tags (genres) written per item"),
    BOOL(sync_master, "true", "Field sync master switch"),
    BOOL(sync_studio, "true", "Sync the studio"),
    BOOL(sync_summary, "true", "Sync details as the summary"),
    BOOL(sync_date, "true", "Sync the release date"),
    BOOL(sync_performers, "true", "Sync performers as actors"),
    BOOL(sync_tags, "true", "Sync tags as genres"),
    BOOL(sync_poster, "true", "Sync the screenshot as the poster"),
    BOOL(sync_background, "true", "Sync the background image"),
    BOOL(sync_collection, "true", "Add items to a collection per studio"),
    BOOL(sync_rating, "true", "Sync rating100 as the user rating"),
    BOOL(trigger_plex_scan, "false",
	"Ask Plex to scan the folder of a newly created scene"),
    BOOL(skip_not_found, "false",
	"Drop jobs whose file Plex does not know instead of retrying"),
    BOOL(debug_logging, "false", "Verbose logging"),
    BOOL(obfuscate_paths, "false",
	"Replace each file path segment in logs, task output and dead "
	"letters by a stable word"),
    ENUM(reconcile_interval, "never", reconcile_intervals,
	"How often a task run also reconciles automatically"),
    ENUM(reconcile_scope, "24h", reconcile_scopes,
	"Scope of automatic reconciliation"),
    STRING(path_map,
	"Stash-to-Plex path prefixes: /stash/prefix=>/plex/prefix;..."),
    ENUM(list_mode, "replace", list_modes,
	"Performers/tags: replace Plex's list or merge into it"),
    {"stash_api_key", T_STRING, OFF(stash_api_key), "", 0, 0, NULL, 1, 0,
	check_header_safe, "Stash API key (only if Stash needs a login)"},
    INT(dlq_retention_days, "30", 1, 365, "Days dead-lettered jobs are kept"),
    {"status_listen", T_STRING, OFF(status_listen), "", 0, 0, NULL, 0, 0,
	check_listen,
	"stash2plex daemon only: [host:]port of the /healthz /status "
	"/metrics endpoint (a bare port listens on 127.0.0.1; empty: off)"},
};

#undef OFF
#undef BOOL
#undef INT
#undef DOUBLE
#undef STRING
#undef ENUM

static int *
int_field(struct s2p_config *cfg, const struct setting *s)
{
	return (int *)(void *)((char *)cfg + s->off);
}

static double *
double_field(struct s2p_config *cfg, const struct setting *s)
{
	return (double *)(void *)((char *)cfg + s->off);
}

static char **
str_field(struct s2p_config *cfg, const struct setting *s)
{
	return (char **)(void *)((char *)cfg + s->off);
}

static char *const *
cstr_field(const struct s2p_config *cfg, const struct setting *s)
{
	return (char *const *)(const void *)((const char *)cfg + s->off);
}

/* Keys of settings that did nothing and were removed. Old configurations
 * still carry them: they are accepted and ignored without a word. */
static const char *const retired[] = {"sync_tagline", "reconcile_missing",
    "plex_unmatched_path_map"};

static int
is_retired(const char *key)
{
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(retired); i++)
		if (strcmp(retired[i], key) == 0)
			return 1;
	return 0;
}

/* The table entry for key, or NULL. */
static const struct setting *
find_setting(const char *key)
{
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(settings); i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

/* Replace a string field, taking ownership of val. (Secrets are registered
 * with the logger by the settings loader, s2p_ctx_register_secrets.) */
static void
store_string(struct s2p_config *cfg, const struct setting *s, char *val)
{
	char **f = str_field(cfg, s);

	free(*f);
	*f = val;
}

/* Put the table default of s into cfg. Defaults are trusted text. */
static void
store_default(struct s2p_config *cfg, const struct setting *s)
{
	switch (s->type) {
	case T_BOOL:
		*int_field(cfg, s) = strcmp(s->def, "true") == 0;
		break;
	case T_INT:
		*int_field(cfg, s) = (int)strtol(s->def, NULL, 10);
		break;
	case T_DOUBLE:
		*double_field(cfg, s) = strtod(s->def, NULL);
		break;
	case T_STRING:
	case T_ENUM:
		store_string(cfg, s, s2p_xstrdup(s->def));
		break;
	}
}

/* Copy s without surrounding white space. The caller frees the result. */
static char *
trim_dup(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return s2p_xstrndup(s, n);
}

/* Describe a JSON value for an error message: strings quoted, shortened and
 * with control characters replaced. Never used for secret settings. */
static void
describe(const json_t *v, char *out, size_t size)
{
	size_t i, n = 0;
	const char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		out[n++] = '"';
		for (i = 0; s[i] != '\0' && n + 5 < size && i < 48; i++)
			out[n++] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
		if (s[i] != '\0' && n + 5 < size) {
			memcpy(out + n, "...", 3);
			n += 3;
		}
		out[n++] = '"';
		out[n] = '\0';
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		snprintf(out, size, "%g", json_number_value(v));
		break;
	case JSON_TRUE:
		snprintf(out, size, "true");
		break;
	case JSON_FALSE:
		snprintf(out, size, "false");
		break;
	case JSON_ARRAY:
		snprintf(out, size, "an array");
		break;
	case JSON_OBJECT:
		snprintf(out, size, "an object");
		break;
	case JSON_NULL:
		snprintf(out, size, "null");
		break;
	}
}

/* "setting K: expected WHAT, got V", without V for secrets. */
static int
type_error(const struct setting *s, const char *what, const json_t *v,
    struct s2p_error *err)
{
	char got[80];

	if (s->secret)
		return s2p_error_set(err, S2P_EINVAL,
		    "setting %s: invalid value (expected %s)", s->key, what);
	describe(v, got, sizeof(got));
	return s2p_error_set(err, S2P_EINVAL, "setting %s: expected %s, got %s",
	    s->key, what, got);
}

/* Strictly parse a decimal number: [+-]digits[.digits][e[+-]digits],
 * surrounding white space allowed; no hex, inf or nan. */
static int
parse_number(const char *text, double *out)
{
	char *t = trim_dup(text);
	const char *p = t;
	int digits = 0, ok = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		goto out;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			goto out;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		goto out;
	*out = strtod(t, NULL);
	ok = isfinite(*out);
out:
	free(t);
	return ok;
}

/* 1 when the string is empty or only white space. */
static int
blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static int
apply_bool(struct s2p_config *cfg, const struct setting *s, const json_t *v,
    struct s2p_error *err)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off"};
	const char *str;
	char *t;
	size_t i;
	int rc = S2P_OK, val = -1;

	if (json_is_boolean(v)) {
		val = json_is_true(v);
	} else if (json_is_number(v)) {
		if (json_number_value(v) == 0)
			val = 0;
		else if (json_number_value(v) == 1)
			val = 1;
	} else if (json_is_string(v)) {
		str = json_string_value(v);
		if (blank(str)) {
			store_default(cfg, s);
			return S2P_OK;
		}
		t = trim_dup(str);
		for (i = 0; i < S2P_ARRAY_LEN(yes); i++) {
			if (strcasecmp(t, yes[i]) == 0)
				val = 1;
			if (strcasecmp(t, no[i]) == 0)
				val = 0;
		}
		free(t);
	}
	if (val < 0) {
		rc = type_error(s, "a boolean", v, err);
		goto out;
	}
	*int_field(cfg, s) = val;
out:
	return rc;
}

/* Numbers: JSON integers and reals, or numeric strings; 0 and "" give the
 * default (Stash shows an unset NUMBER as 0). */
static int
apply_number(struct s2p_config *cfg, const struct setting *s, const json_t *v,
    struct s2p_error *err)
{
	double d;
	const char *what = s->type == T_INT ? "a whole number" : "a number";

	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		if (blank(json_string_value(v))) {
			store_default(cfg, s);
			return S2P_OK;
		}
		if (!parse_number(json_string_value(v), &d))
			return type_error(s, what, v, err);
	} else {
		return type_error(s, what, v, err);
	}
	if (d == 0) {
		store_default(cfg, s);
		return S2P_OK;
	}
	if (!(d >= s->min && d <= s->max))
		return s2p_error_set(err, S2P_EINVAL,
		    "setting %s: %g is out of range (%g-%g)", s->key, d, s->min,
		    s->max);
	if (s->type == T_INT) {
		if (d != (double)(long)d)
			return type_error(s, what, v, err);
		*int_field(cfg, s) = (int)d;
	} else {
		*double_field(cfg, s) = d;
	}
	return S2P_OK;
}

/* "a|b|c" from an enum's allowed values; the caller frees it. */
static char *
join_allowed(const struct setting *s)
{
	struct s2p_buf b;
	size_t i;
	int rc = S2P_OK;

	s2p_buf_init(&b, 0);
	for (i = 0; s->allowed[i] != NULL; i++)
		rc |= s2p_buf_addf(&b, "%s%s", i ? "|" : "", s->allowed[i]);
	(void)rc; /* an uncapped buffer cannot refuse */
	return s2p_buf_take(&b);
}

/* Longest value a string setting takes: a URL or a secret is short (a
 * megabyte token would only fail later, obscurely); path lists may be
 * longer. */
static size_t
max_len(const struct setting *s)
{
	if (s->check == check_url)
		return 2048;
	if (s->secret)
		return 1024;
	return 16384;
}

/* Strings and enums: trimmed; "" gives the default; enums are lower-cased
 * and must be one of the allowed values; numbers are accepted as text for
 * plain strings (a library called 2024). */
static int
apply_string(struct s2p_config *cfg, const struct setting *s, const json_t *v,
    struct s2p_error *err)
{
	char *val = NULL;
	char *p;
	size_t i;
	int rc = S2P_OK;

	if (json_is_string(v) &&
	    strlen(json_string_value(v)) != json_string_length(v))
		return s2p_error_set(err, S2P_EINVAL,
		    "setting %s: contains a NUL character", s->key);
	if (json_is_string(v))
		val = trim_dup(json_string_value(v));
	else if (json_is_integer(v) && s->type == T_STRING)
		val = s2p_xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		return type_error(s, "a string", v, err);
	if (*val == '\0') {
		store_default(cfg, s);
		goto out;
	}
	if (strlen(val) > max_len(s)) {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "setting %s: too long (%zu characters, at most %zu)",
		    s->key, strlen(val), max_len(s));
		goto out;
	}
	if (s->type == T_ENUM) {
		for (p = val; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		for (i = 0; s->allowed[i] != NULL; i++)
			if (strcmp(val, s->allowed[i]) == 0)
				break;
		if (s->allowed[i] == NULL) {
			char got[80];
			char *list = join_allowed(s);

			describe(v, got, sizeof(got));
			rc = s2p_error_set(err, S2P_EINVAL,
			    "setting %s: %s is not one of %s", s->key, got,
			    list);
			free(list);
			goto out;
		}
	}
	if (s->check != NULL) {
		rc = s->check(s, &val, err);
		if (rc != S2P_OK)
			goto out;
	}
	store_string(cfg, s, val);
	val = NULL;
out:
	free(val);
	return rc;
}

/* Apply one JSON value to one setting; null restores the default. */
static int
apply_value(struct s2p_config *cfg, const struct setting *s, const json_t *v,
    struct s2p_error *err)
{
	if (v == NULL || json_is_null(v)) {
		store_default(cfg, s);
		return S2P_OK;
	}
	switch (s->type) {
	case T_BOOL:
		return apply_bool(cfg, s, v, err);
	case T_INT:
	case T_DOUBLE:
		return apply_number(cfg, s, v, err);
	case T_STRING:
	case T_ENUM:
		return apply_string(cfg, s, v, err);
	}
	return S2P_EINVAL;
}

/* plex_url: normalised as core/plexurl.h says (a pasted Plex Web address
 * works; a query, which may hold X-Plex-Token, is dropped). The value is
 * not quoted in errors for the same reason. */
static int
check_url(const struct setting *s, char **val, struct s2p_error *err)
{
	char *norm = NULL;
	int rc;

	(void)s;
	rc = s2p_plex_url_normalize(*val, &norm, err);
	if (rc != S2P_OK)
		return rc;
	free(*val);
	*val = norm;
	return S2P_OK;
}

/* Secrets sent in HTTP headers: printable, no white space. */
static int
check_header_safe(const struct setting *s, char **val, struct s2p_error *err)
{
	const unsigned char *p;

	for (p = (const unsigned char *)*val; *p != '\0'; p++)
		if (isspace(*p) || iscntrl(*p))
			return s2p_error_set(err, S2P_EINVAL,
			    "setting %s: invalid value (must not contain "
			    "spaces or control characters)",
			    s->key);
	return S2P_OK;
}

/* status_listen: PORT, HOST:PORT or [IPv6]:PORT with a port of 1-65535
 * and a host without blanks (stash2plex-statusd resolves nothing: the
 * host must be a numeric address, which it checks when it binds). */
static int
check_listen(const struct setting *s, char **val, struct s2p_error *err)
{
	const char *v = *val, *colon = strrchr(v, ':');
	const char *port = colon ? colon + 1 : v;
	char *end;
	long p = strtol(port, &end, 10);

	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535 ||
	    (colon != NULL && colon == v) || strpbrk(v, " \t/") != NULL)
		return s2p_error_set(err, S2P_EINVAL,
		    "setting %s: invalid value (expected PORT, HOST:PORT or "
		    "[IPv6]:PORT, e.g. 9787 or 0.0.0.0:9787)",
		    s->key);
	return S2P_OK;
}

/* plex_token: at least 8 characters, header-safe. */
static int
check_token(const struct setting *s, char **val, struct s2p_error *err)
{
	if (strlen(*val) < 8)
		return s2p_error_set(err, S2P_EINVAL,
		    "setting %s: invalid value (too short: a Plex token has "
		    "at least 8 characters)",
		    s->key);
	return check_header_safe(s, val, err);
}

void
s2p_config_init(struct s2p_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < S2P_ARRAY_LEN(settings); i++)
		store_default(cfg, &settings[i]);
}

void
s2p_config_free(struct s2p_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];

		if (s->type == T_STRING || s->type == T_ENUM) {
			free(*str_field(cfg, s));
			*str_field(cfg, s) = NULL;
		}
	}
}

int
s2p_config_apply_json(struct s2p_config *cfg, const json_t *obj,
    struct s2p_error *err)
{
	const char *key;
	json_t *v;
	int rc;

	if (obj == NULL || json_is_null(obj))
		return S2P_OK;
	if (!json_is_object(obj))
		return s2p_error_set(err, S2P_EINVAL,
		    "plugin settings: expected an object");
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct setting *s = find_setting(key);

		if (s == NULL) {
			if (!is_retired(key))
				s2p_debug("config: ignoring unknown setting "
					  "%.64s",
				    key);
			continue;
		}
		rc = apply_value(cfg, s, v, err);
		if (rc != S2P_OK)
			return rc;
	}
	return S2P_OK;
}

int
s2p_config_set(struct s2p_config *cfg, const char *key, const char *value,
    struct s2p_error *err)
{
	const struct setting *s;
	char name[64];
	size_t i;
	json_t *v;
	int rc;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof(name); i++)
		name[i] = key[i] == '-' ? '_' : key[i];
	name[i] = '\0';
	s = key[i] == '\0' ? find_setting(name) : NULL;
	if (s == NULL && key[i] == '\0' && is_retired(name))
		return S2P_OK;
	if (s == NULL)
		return s2p_error_set(err, S2P_EINVAL, "unknown setting %.64s",
		    key);
	if (value == NULL) {
		store_default(cfg, s);
		return S2P_OK;
	}
	v = json_string_nocheck(value);
	rc = apply_value(cfg, s, v, err);
	json_decref(v);
	return rc;
}

/* Append " (from VAR)" to a failed setting's message. */
static int
from_env(int rc, const char *var, struct s2p_error *err)
{
	size_t n;

	if (err != NULL) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (from %s)", var);
	}
	return rc;
}

int
s2p_config_apply_env(struct s2p_config *cfg, struct s2p_error *err)
{
	static const struct {
		const char *var, *key;
	} fallback[] = {
	    {"PLEX_URL", "plex_url"},
	    {"PLEX_TOKEN", "plex_token"},
	};
	char var[80];
	const char *val;
	size_t i, j;
	int rc;

	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];
		size_t n = (size_t)snprintf(var, sizeof(var), "STASH2PLEX_%s",
		    s->key);

		for (j = 0; j < n; j++)
			var[j] = (char)toupper((unsigned char)var[j]);
		val = getenv(var);
		if (val == NULL || *val == '\0')
			continue;
		rc = s2p_config_set(cfg, s->key, val, err);
		if (rc != S2P_OK)
			return from_env(rc, var, err);
	}
	for (i = 0; i < S2P_ARRAY_LEN(fallback); i++) {
		const struct setting *s = find_setting(fallback[i].key);

		val = getenv(fallback[i].var);
		if (val == NULL || *val == '\0' ||
		    (*str_field(cfg, s) != NULL && **str_field(cfg, s) != '\0'))
			continue;
		rc = s2p_config_set(cfg, s->key, val, err);
		if (rc != S2P_OK)
			return from_env(rc, fallback[i].var, err);
	}
	return S2P_OK;
}

int
s2p_config_validate(const struct s2p_config *cfg, struct s2p_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];
		const char *val;
		char *copy;

		if (s->type != T_STRING && s->type != T_ENUM)
			continue;
		val = *cstr_field(cfg, s);
		if (val == NULL || *val == '\0') {
			if (s->required)
				return s2p_error_set(err, S2P_EINVAL,
				    "setting %s is required (Settings > "
				    "Plugins > " S2P_PLUGIN_ID ")",
				    s->key);
			continue;
		}
		if (s->check == NULL)
			continue;
		copy = s2p_xstrdup(val);
		rc = s->check(s, &copy, err);
		free(copy);
		if (rc != S2P_OK)
			return rc;
	}
	return S2P_OK;
}

json_t *
s2p_config_to_json(const struct s2p_config *cfg)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];
		const void *f = (const char *)cfg + s->off;
		json_t *v = NULL;

		switch (s->type) {
		case T_BOOL:
			v = json_boolean(*(const int *)f);
			break;
		case T_INT:
			v = json_integer(*(const int *)f);
			break;
		case T_DOUBLE:
			v = json_real(*(const double *)f);
			break;
		case T_STRING:
		case T_ENUM:
			v = json_string(
			    *cstr_field(cfg, s) ? *cstr_field(cfg, s) : "");
			break;
		}
		json_object_set_new(o, s->key, v ? v : json_null());
	}
	return o;
}

char *
s2p_config_help_text(void)
{
	struct s2p_buf b;
	char *list;
	size_t i;
	int rc = S2P_OK;

	s2p_buf_init(&b, 0);
	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];

		rc |= s2p_buf_addf(&b, "  %s (", s->key);
		switch (s->type) {
		case T_BOOL:
			rc |= s2p_buf_addf(&b, "boolean, default %s", s->def);
			break;
		case T_INT:
		case T_DOUBLE:
			rc |= s2p_buf_addf(&b, "number %g-%g, default %s",
			    s->min, s->max, s->def);
			break;
		case T_ENUM:
			list = join_allowed(s);
			rc |= s2p_buf_addf(&b, "%s, default %s", list, s->def);
			free(list);
			break;
		case T_STRING:
			rc |= s2p_buf_adds(&b,
			    s->required ? "string, required"
					: "string, default empty");
			break;
		}
		rc |= s2p_buf_addf(&b, "%s): %s\n", s->secret ? ", secret" : "",
		    s->desc);
	}
	(void)rc; /* an uncapped buffer cannot refuse */
	return s2p_buf_take(&b);
}

/* The "type" and "range" cells of setting s, into *type / *range (new). */
static void
md_type_range(const struct setting *s, char **type, char **range)
{
	switch (s->type) {
	case T_BOOL:
		*type = s2p_xstrdup("boolean");
		*range = s2p_xstrdup("true, false");
		break;
	case T_INT:
	case T_DOUBLE:
		*type = s2p_xstrdup(s->type == T_INT ? "integer" : "number");
		*range = s2p_xasprintf("%g to %g", s->min, s->max);
		break;
	case T_ENUM:
		*type = s2p_xstrdup("choice");
		*range = join_allowed(s);
		break;
	case T_STRING:
	default:
		*type = s2p_xstrdup(s->secret ? "string (secret)" : "string");
		*range = s2p_xstrdup("any");
		break;
	}
}

char *
s2p_config_markdown(void)
{
	struct s2p_buf b;
	char *type, *range, *env, *p;
	size_t i;
	int rc = S2P_OK;

	s2p_buf_init(&b, 0);
	rc |= s2p_buf_adds(&b,
	    "| setting | type | default | range | environment | effect |\n"
	    "|---|---|---|---|---|---|\n");
	for (i = 0; i < S2P_ARRAY_LEN(settings); i++) {
		const struct setting *s = &settings[i];

		md_type_range(s, &type, &range);
		env = s2p_xasprintf("STASH2PLEX_%s", s->key);
		for (p = env; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		rc |= s2p_buf_addf(&b, "| `%s` | %s | %s | %s | `%s` | %s |\n",
		    s->key, type,
		    s->required   ? "required"
			: *s->def ? s->def
				  : "empty",
		    range, env, s->desc);
		free(type);
		free(range);
		free(env);
	}
	(void)rc; /* an uncapped buffer cannot refuse */
	return s2p_buf_take(&b);
}

void
s2p_config_print_help(void)
{
	char *text = s2p_config_help_text();

	fputs(text, stdout);
	free(text);
}

size_t
s2p_config_count(void)
{
	return S2P_ARRAY_LEN(settings);
}

const char *
s2p_config_key_at(size_t i)
{
	return i < S2P_ARRAY_LEN(settings) ? settings[i].key : NULL;
}

const char *
s2p_config_stash_type_at(size_t i)
{
	if (i >= S2P_ARRAY_LEN(settings))
		return NULL;
	switch (settings[i].type) {
	case T_BOOL:
		return "BOOLEAN";
	case T_INT:
	case T_DOUBLE:
		return "NUMBER";
	case T_STRING:
	case T_ENUM:
		break;
	}
	return "STRING";
}

int
s2p_config_is_secret(const char *key)
{
	const struct setting *s = key ? find_setting(key) : NULL;

	return s != NULL && s->secret;
}

const char *
s2p_config_secret_at(const struct s2p_config *cfg, size_t i)
{
	if (i >= S2P_ARRAY_LEN(settings) || !settings[i].secret)
		return NULL;
	return *cstr_field(cfg, &settings[i]);
}
