/*
 * ctx.c - the run context (see ctx.h).
 */
#include "ctx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/obfuscate.h"
#include "core/xalloc.h"
#include "net/http.h"

void
s2p_ctx_init(struct s2p_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	s2p_config_init(&ctx->cfg);
	ctx->clock = s2p_clock_system();
	s2p_rng_seed(&ctx->rng,
	    (uint64_t)(s2p_clock_now(ctx->clock) * 1e6) ^ (uint64_t)getpid());
}

void
s2p_ctx_close_handles(struct s2p_ctx *ctx)
{
	/* Tasks and workers leave a short WAL behind for the next hook (see
	 * s2p_db_truncate_wal); hooks skip the checkpoint and its fsyncs. */
	if (ctx->repair_db)
		s2p_db_truncate_wal(ctx->db);
	s2p_db_close(ctx->db);
	s2p_stash_free(ctx->stash);
	s2p_plex_free(ctx->plex);
	ctx->db = NULL;
	ctx->stash = NULL;
	ctx->plex = NULL;
}

void
s2p_ctx_free(struct s2p_ctx *ctx)
{
	s2p_ctx_close_handles(ctx);
	s2p_config_free(&ctx->cfg);
	free(ctx->data_dir);
	free(ctx->stash_url);
	free(ctx->session_cookie);
	s2p_strv_free(&ctx->file_settings);
	memset(ctx, 0, sizeof(*ctx));
}

char *
s2p_ctx_path(const struct s2p_ctx *ctx, const char *name)
{
	return s2p_xasprintf("%s/%s", ctx->data_dir, name);
}

int
s2p_ctx_make_data_dir(struct s2p_ctx *ctx, struct s2p_error *err)
{
	if (ctx->data_dir == NULL)
		return s2p_error_set(err, S2P_EINVAL, "no data directory");
	return s2p_mkdir_p(ctx->data_dir, 0700, err);
}

int
s2p_ctx_db(struct s2p_ctx *ctx, struct s2p_error *err)
{
	char *path;
	int rc;

	if (ctx->db != NULL)
		return S2P_OK;
	rc = s2p_ctx_make_data_dir(ctx, err);
	if (rc != S2P_OK)
		return rc;
	path = s2p_ctx_path(ctx, S2P_DB_FILE);
	rc = s2p_db_open(&ctx->db, path, err);
	free(path);
	/* Damage a hook's few rows did not touch shows here, once per task
	 * or worker process. */
	if (rc == S2P_OK && ctx->repair_db)
		rc = s2p_db_check(ctx->db, err);
	if (rc == S2P_ECORRUPT && ctx->repair_db) {
		struct s2p_error e;

		/* Replace it, and fail this run with what happened. */
		s2p_error_clear(&e);
		rc = s2p_ctx_db_replace(ctx, &e);
		s2p_error_set(err, rc, "%s", e.msg);
	}
	return rc;
}

int
s2p_ctx_db_replace(struct s2p_ctx *ctx, struct s2p_error *err)
{
	char *path = s2p_ctx_path(ctx, S2P_DB_FILE);
	char aside[1024];
	int rc;

	s2p_db_close(ctx->db);
	ctx->db = NULL;
	rc = s2p_db_quarantine(path, s2p_clock_now(ctx->clock), aside,
	    sizeof(aside), err);
	if (rc == S2P_OK)
		rc = s2p_db_open(&ctx->db, path, err);
	free(path);
	if (rc != S2P_OK)
		return rc;
	return s2p_error_set(err, S2P_ECORRUPT,
	    "The database was corrupt: "
	    "moved it aside as %.600s and started a fresh one. Run \"Sync All "
	    "Scenes to Plex\" to queue every scene again.",
	    aside);
}

/* A Stash client from ctx's URL, session cookie and API key. */
static int
make_stash(struct s2p_ctx *ctx, struct s2p_stash **out, struct s2p_error *err)
{
	struct s2p_stash_opts o;

	if (ctx->stash_url == NULL)
		return s2p_error_set(err, S2P_EINVAL,
		    "no Stash connection (run from Stash, or pass "
		    "--stash-url)");
	memset(&o, 0, sizeof(o));
	o.url = ctx->stash_url;
	o.session_cookie = ctx->session_cookie;
	o.api_key = ctx->cfg.stash_api_key;
	o.timeout_ms = S2P_HTTP_TIMEOUT_MS;
	return s2p_stash_new(out, &o, err);
}

int
s2p_ctx_stash(struct s2p_ctx *ctx, struct s2p_error *err)
{
	if (ctx->stash != NULL)
		return S2P_OK;
	return make_stash(ctx, &ctx->stash, err);
}

int
s2p_ctx_stash_another(struct s2p_ctx *ctx, struct s2p_stash **out,
    struct s2p_error *err)
{
	*out = NULL;
	return make_stash(ctx, out, err);
}

/* The persisted X-Plex-Client-Identifier, created on first use, so Plex sees
 * one device rather than a new one per run. Caller frees. */
static char *
client_id(struct s2p_ctx *ctx)
{
	char *path = s2p_ctx_path(ctx, S2P_CLIENT_ID_FILE);
	struct s2p_buf b;
	unsigned char raw[16];
	char *id = NULL;
	int fd;

	s2p_buf_init(&b, 128);
	if (s2p_read_file(path, &b, NULL) == S2P_OK && b.len >= 32) {
		id = s2p_xstrndup(b.data, 36);
		id[strcspn(id, "\r\n ")] = '\0';
		goto out;
	}
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw)) {
		uint64_t a = s2p_rng_next(&ctx->rng),
			 c = s2p_rng_next(&ctx->rng);

		memcpy(raw, &a, 8);
		memcpy(raw + 8, &c, 8);
	}
	if (fd >= 0)
		close(fd);
	raw[6] = (unsigned char)((raw[6] & 0x0f) | 0x40);
	raw[8] = (unsigned char)((raw[8] & 0x3f) | 0x80);
	id = s2p_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			   "%02x%02x%02x%02x%02x%02x",
	    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
	    raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14],
	    raw[15]);
	if (s2p_write_atomic(path, id, strlen(id), 0600, NULL) != S2P_OK)
		s2p_warn("cannot save the Plex client id in %s", path);
out:
	s2p_buf_free(&b);
	free(path);
	return id;
}

/* A Plex client from ctx's settings; warn: say once that the certificate
 * check is off. */
static int
make_plex(struct s2p_ctx *ctx, struct s2p_plex **out, int warn,
    struct s2p_error *err)
{
	struct s2p_plex_opts o;
	char *id;
	int rc;

	rc = s2p_config_validate(&ctx->cfg, err);
	if (rc != S2P_OK)
		return rc;
	id = client_id(ctx);
	memset(&o, 0, sizeof(o));
	o.url = ctx->cfg.plex_url;
	o.token = ctx->cfg.plex_token;
	o.ca_file = ctx->cfg.plex_ca_file;
	o.tls_insecure = ctx->cfg.plex_tls_insecure;
	if (warn && o.tls_insecure && strncasecmp(o.url, "https://", 8) == 0)
		s2p_warn(
		    "plex_tls_insecure is on: Plex's certificate is not "
		    "checked, so anyone on the network path can pose as "
		    "the server and read the token; prefer plex_ca_file or "
		    "the plex.direct URL");
	o.client_id = id;
	o.connect_timeout_ms = (long)(ctx->cfg.connect_timeout * 1000);
	o.timeout_ms = (long)(ctx->cfg.read_timeout * 1000);
	rc = s2p_plex_new(out, &o, err);
	free(id);
	return rc;
}

int
s2p_ctx_plex(struct s2p_ctx *ctx, struct s2p_error *err)
{
	if (ctx->plex != NULL)
		return S2P_OK;
	return make_plex(ctx, &ctx->plex, 1, err);
}

int
s2p_ctx_plex_another(struct s2p_ctx *ctx, struct s2p_plex **out,
    struct s2p_error *err)
{
	*out = NULL;
	return make_plex(ctx, out, 0, err);
}

int
s2p_ctx_connect(struct s2p_ctx *ctx, struct s2p_error *err)
{
	int rc = s2p_ctx_db(ctx, err);

	if (rc == S2P_OK)
		rc = s2p_ctx_stash(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_ctx_plex(ctx, err);
	return rc;
}

/* A URL's user-info (user:password@, after the scheme) is a secret: the
 * logger masks it, and the password alone, from then on. */
static void
register_userinfo(const char *url)
{
	const char *auth = url != NULL ? strstr(url, "://") : NULL;
	const char *at = NULL, *p;
	char *ui, *colon;
	size_t end;

	if (auth == NULL)
		return;
	auth += 3;
	end = strcspn(auth, "/?#");
	for (p = auth; p < auth + end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return;
	ui = s2p_xstrndup(auth, (size_t)(at - auth));
	s2p_log_secret(ui);
	colon = strchr(ui, ':');
	if (colon != NULL)
		s2p_log_secret(colon + 1);
	free(ui);
}

/* The obfuscation key (S2P_OBF_KEY_FILE, 16 random bytes, 0600), created
 * on first use. 0 when it can be neither read nor made. */
static int
obf_key(const struct s2p_ctx *ctx, unsigned char key[16])
{
	char *path;
	struct s2p_buf b;
	int fd, ok = 0;

	if (ctx->data_dir == NULL)
		return 0;
	path = s2p_ctx_path(ctx, S2P_OBF_KEY_FILE);
	s2p_buf_init(&b, 64);
	if (s2p_read_file(path, &b, NULL) == S2P_OK && b.len == 16) {
		memcpy(key, b.data, 16);
		ok = 1;
	} else {
		fd = open("/dev/urandom", O_RDONLY);
		if (fd >= 0 && read(fd, key, 16) == 16 &&
		    s2p_mkdir_p(ctx->data_dir, 0700, NULL) == S2P_OK &&
		    s2p_write_atomic(path, key, 16, 0600, NULL) == S2P_OK)
			ok = 1;
		if (fd >= 0)
			close(fd);
	}
	s2p_buf_free(&b);
	free(path);
	return ok;
}

void
s2p_ctx_register_secrets(const struct s2p_ctx *ctx)
{
	unsigned char key[16];
	size_t i;

	for (i = 0; i < s2p_config_count(); i++)
		s2p_log_secret(s2p_config_secret_at(&ctx->cfg, i));
	s2p_log_secret(ctx->session_cookie);
	register_userinfo(ctx->cfg.plex_url);
	register_userinfo(ctx->stash_url);
	/* obfuscate_paths: from now on every log line, task output and
	 * dead-letter message goes through the path obfuscator. */
	if (ctx->cfg.obfuscate_paths) {
		if (!obf_key(ctx, key)) /* still words; not stable */
			memset(key, 0x5a, sizeof(key));
		s2p_obf_set_key(key);
	} else {
		s2p_obf_set_key(NULL);
	}
}

/* Apply settings.json. An absent file is fine; one that is not a JSON
 * object of valid settings is S2P_EINVAL saying what it is instead. */
static int
cached_settings(struct s2p_ctx *ctx, struct s2p_error *err)
{
	char *path = s2p_ctx_path(ctx, S2P_SETTINGS_FILE);
	struct s2p_buf b;
	json_t *j = NULL;
	int rc = S2P_OK;

	s2p_buf_init(&b, 1024 * 1024);
	if (s2p_read_file(path, &b, NULL) == S2P_OK) {
		j = json_loadb(b.data ? b.data : "", b.len, JSON_DECODE_ANY,
		    NULL);
		if (j == NULL)
			rc = s2p_error_set(err, S2P_EINVAL,
			    "settings file %s "
			    "is not JSON; delete it and run a task from Stash",
			    path);
		else if (!json_is_object(j))
			rc = s2p_error_set(err, S2P_EINVAL,
			    "settings file %s "
			    "holds %s, not an object of settings; delete it "
			    "and run a task from Stash",
			    path,
			    json_is_array(j)        ? "an array"
				: json_is_string(j) ? "a string"
						    : "a single value");
		else
			rc = s2p_config_apply_json(&ctx->cfg, j, err);
	}
	json_decref(j);
	s2p_buf_free(&b);
	free(path);
	s2p_ctx_register_secrets(ctx);
	return rc;
}

void
s2p_ctx_load_cached_settings(struct s2p_ctx *ctx)
{
	struct s2p_error e;

	s2p_error_clear(&e);
	if (cached_settings(ctx, &e) != S2P_OK)
		s2p_debug("%s", e.msg);
}

/* Save the settings just read from Stash for later hooks. */
static void
cache_settings(struct s2p_ctx *ctx)
{
	json_t *j;
	char *path, *text;

	if (ctx->data_dir == NULL || s2p_ctx_make_data_dir(ctx, NULL) != S2P_OK)
		return;
	j = s2p_config_to_json(&ctx->cfg);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	path = s2p_ctx_path(ctx, S2P_SETTINGS_FILE);
	if (s2p_write_atomic(path, text, strlen(text), 0600, NULL) != S2P_OK)
		s2p_warn("cannot cache settings in %s", path);
	free(path);
	free(text);
}

/* Apply "key=value" overrides. */
static int
apply_overrides(struct s2p_ctx *ctx, const struct s2p_strv *overrides,
    struct s2p_error *err)
{
	size_t i;
	int rc = S2P_OK;

	for (i = 0; overrides != NULL && i < overrides->n && rc == S2P_OK;
	     i++) {
		char *kv = s2p_xstrdup(overrides->v[i]);
		char *eq = strchr(kv, '=');

		s2p_assert(eq != NULL);
		*eq = '\0';
		rc = s2p_config_set(&ctx->cfg, kv, eq + 1, err);
		free(kv);
	}
	return rc;
}

/* Apply the plugin settings from Stash, or the cached copy when Stash is
 * not connected or cannot be reached. *from_stash: 1 when Stash answered. */
static int
apply_stash_settings(struct s2p_ctx *ctx, int *from_stash,
    struct s2p_error *err)
{
	json_t *settings = NULL;
	int rc;

	*from_stash = 0;
	if (ctx->stash_url == NULL)
		return cached_settings(ctx, err);
	rc = s2p_ctx_stash(ctx, err);
	if (rc == S2P_OK)
		rc = s2p_stash_plugin_settings(ctx->stash, S2P_PLUGIN_ID,
		    &settings, err);
	if (rc == S2P_OK) {
		rc = s2p_config_apply_json(&ctx->cfg, settings, err);
		json_decref(settings);
		*from_stash = rc == S2P_OK;
		return rc;
	}
	if (rc == S2P_EDOWN || rc == S2P_ETEMP) {
		s2p_warn("cannot read settings from Stash (%s); using the last "
			 "saved copy",
		    err ? err->msg : "");
		s2p_ctx_load_cached_settings(ctx);
		return S2P_OK;
	}
	return rc;
}

/* Whether key is a setting of the table. */
static int
known_setting(const char *key)
{
	size_t i;

	for (i = 0; i < s2p_config_count(); i++)
		if (strcmp(s2p_config_key_at(i), key) == 0)
			return 1;
	return 0;
}

/* Strip blanks at both ends of s, in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One "key = value" line of the config file. */
static int
config_line(struct s2p_ctx *ctx, char *line, const char *path, int no,
    struct s2p_error *err)
{
	char *eq, *key, *val, *p;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return S2P_OK;
	eq = strchr(line, '=');
	if (eq == NULL)
		return s2p_error_set(err, S2P_EINVAL,
		    "%s:%d: expected \"key = value\"", path, no);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	for (p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	if (strcmp(key, "data_dir") == 0) {
		if (ctx->data_dir == NULL)
			ctx->data_dir = s2p_xstrdup(val);
	} else if (strcmp(key, "stash_url") == 0) {
		if (ctx->stash_url == NULL)
			ctx->stash_url = s2p_xstrdup(val);
	} else if (known_setting(key)) {
		s2p_strv_push_take(&ctx->file_settings,
		    s2p_xasprintf("%s=%s", key, val));
	} else {
		return s2p_error_set(err, S2P_EINVAL,
		    "%s:%d: unknown setting \"%s\"", path, no, key);
	}
	return S2P_OK;
}

int
s2p_ctx_read_config(struct s2p_ctx *ctx, const char *path,
    struct s2p_error *err)
{
	struct s2p_buf b;
	char *line, *save = NULL;
	int rc, no = 0;

	s2p_buf_init(&b, 1024 * 1024);
	rc = s2p_read_file(path, &b, err);
	if (rc != S2P_OK) {
		s2p_buf_free(&b);
		return s2p_error_set(err, S2P_EINVAL,
		    "cannot read config file %s", path);
	}
	/* Count lines by hand: strtok_r would skip empty ones. */
	for (line = b.data; rc == S2P_OK && line != NULL && *line;
	     line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		rc = config_line(ctx, line, path, ++no, err);
	}
	s2p_buf_free(&b);
	s2p_ctx_register_secrets(ctx);
	return rc;
}

int
s2p_ctx_load_settings(struct s2p_ctx *ctx, const struct s2p_strv *overrides,
    struct s2p_error *err)
{
	int rc, from_stash = 0;

	rc = apply_stash_settings(ctx, &from_stash, err);
	if (rc == S2P_OK)
		rc = apply_overrides(ctx, &ctx->file_settings, err);
	if (rc == S2P_OK)
		rc = s2p_config_apply_env(&ctx->cfg, err);
	if (rc == S2P_OK && ctx->cfg.debug_logging)
		s2p_debug("debug logging on");
	if (rc == S2P_OK && from_stash)
		cache_settings(ctx);
	if (rc == S2P_OK)
		rc = apply_overrides(ctx, overrides, err);
	s2p_ctx_register_secrets(ctx);
	if (rc == S2P_OK)
		rc = s2p_config_validate(&ctx->cfg, err);
	return rc;
}

int
s2p_ctx_stopping(const struct s2p_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
}

void
s2p_ctx_sleep(struct s2p_ctx *ctx, double secs)
{
	while (secs > 0 && !s2p_ctx_stopping(ctx)) {
		double slice = secs < 0.25 ? secs : 0.25;

		s2p_clock_sleep(ctx->clock, slice);
		secs -= slice;
	}
}

char *
s2p_ctx_saved_cookie(const struct s2p_ctx *ctx)
{
	char *path;
	struct s2p_buf b;
	char *v = NULL;

	if (ctx->data_dir == NULL)
		return NULL;
	path = s2p_ctx_path(ctx, S2P_COOKIE_FILE);
	s2p_buf_init(&b, 8192);
	if (s2p_read_file(path, &b, NULL) == S2P_OK && b.len > 0 &&
	    memchr(b.data, '\0', b.len) == NULL)
		v = s2p_xstrndup(b.data, b.len);
	s2p_buf_free(&b);
	free(path);
	return v;
}

void
s2p_ctx_save_cookie(struct s2p_ctx *ctx)
{
	char *old, *path, *tmp;
	size_t n;
	int fd;

	if (ctx->session_cookie == NULL || ctx->data_dir == NULL)
		return;
	old = s2p_ctx_saved_cookie(ctx);
	if (old != NULL && strcmp(old, ctx->session_cookie) == 0) {
		free(old);
		return;
	}
	free(old);
	if (s2p_ctx_make_data_dir(ctx, NULL) != S2P_OK)
		return;
	path = s2p_ctx_path(ctx, S2P_COOKIE_FILE);
	tmp = s2p_xasprintf("%s.%ld.tmp", path, (long)getpid());
	n = strlen(ctx->session_cookie);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok = write(fd, ctx->session_cookie, n) == (ssize_t)n;

		close(fd);
		if (!ok || rename(tmp, path) != 0)
			unlink(tmp);
	}
	free(tmp);
	free(path);
}
