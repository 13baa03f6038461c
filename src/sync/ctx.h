/*
 * ctx.h - the run context shared by tasks, the hook and the worker: settings,
 * the data directory, and lazily opened handles (database, Stash client,
 * Plex client). One per process; everything in it is owned by it.
 */
#ifndef S2P_CTX_H
#define S2P_CTX_H

#include <signal.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datafiles.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/strv.h"
#include "net/plex.h"
#include "net/stash.h"
#include "store/db.h"

struct s2p_ctx {
	struct s2p_config cfg;
	char *data_dir;
	char *stash_url;      /* NULL when run without Stash */
	char *session_cookie; /* secret */
	struct s2p_db *db;
	struct s2p_stash *stash;
	struct s2p_plex *plex;
	/* A worker lane's own Stash connection for cover images, so a lane
	 * reads them without the run's lock; NULL elsewhere (covers then
	 * come through stash). Set only in a lane's copy of the run's
	 * context, never owned by a context: the lane frees it. */
	struct s2p_stash *cover_stash;
	const struct s2p_clock *clock;
	struct s2p_rng rng;
	volatile sig_atomic_t *stop; /* set by signal handlers; may be NULL */
	int repair_db; /* tasks, the worker: a corrupt database is moved
			* aside and replaced, and the WAL truncated at close;
			* hooks only report corruption */
	struct s2p_strv file_settings; /* "key=value" from the config file */
};

void s2p_ctx_init(struct s2p_ctx *ctx);
void s2p_ctx_free(struct s2p_ctx *ctx);
/* Close handles (before fork: a child must open its own). */
void s2p_ctx_close_handles(struct s2p_ctx *ctx);
/* "<data_dir>/<name>", new string. */
char *s2p_ctx_path(const struct s2p_ctx *ctx, const char *name);
/* Create the data directory (0700). */
int s2p_ctx_make_data_dir(struct s2p_ctx *ctx,
    struct s2p_error *err) S2P_NODISCARD;
int s2p_ctx_db(struct s2p_ctx *ctx, struct s2p_error *err) S2P_NODISCARD;
/* The database is corrupt: close it, move it aside and open a fresh one.
 * err (may be NULL) gets the one line telling the user what happened and
 * to run Sync All; returns S2P_ECORRUPT, or the failure to replace it. */
int s2p_ctx_db_replace(struct s2p_ctx *ctx, struct s2p_error *err);
int s2p_ctx_stash(struct s2p_ctx *ctx, struct s2p_error *err) S2P_NODISCARD;
int s2p_ctx_plex(struct s2p_ctx *ctx, struct s2p_error *err) S2P_NODISCARD;
/* One more Plex client with the same settings (a worker lane's own
 * connection); the caller frees *out. */
int s2p_ctx_plex_another(struct s2p_ctx *ctx, struct s2p_plex **out,
    struct s2p_error *err) S2P_NODISCARD;
/* One more Stash client with the same URL and credentials (a worker
 * lane's own connection for cover images); the caller frees *out. */
int s2p_ctx_stash_another(struct s2p_ctx *ctx, struct s2p_stash **out,
    struct s2p_error *err) S2P_NODISCARD;
/* All three: the database, the Stash client and the Plex client. */
int s2p_ctx_connect(struct s2p_ctx *ctx, struct s2p_error *err) S2P_NODISCARD;
/* The one settings loader. Sources, later ones winning: the defaults, the
 * plugin settings from Stash (when connected; else, or when Stash cannot be
 * reached, the copy cached in S2P_SETTINGS_FILE), the config file (see
 * s2p_ctx_read_config), the environment, then
 * overrides ("key=value", may be NULL: CLI flags). Settings read from
 * Stash are cached (0600) for hooks, which may not use the network; the
 * environment and overrides are not. Secrets are registered for masking,
 * then everything is validated. */
int s2p_ctx_load_settings(struct s2p_ctx *ctx, const struct s2p_strv *overrides,
    struct s2p_error *err) S2P_NODISCARD;
/* Read a config file (`--config FILE`, $STASH2PLEX_CONFIG): lines of
 * "key = value", '#' comments and blank lines. Keys are settings (kept in
 * ctx->file_settings, applied by s2p_ctx_load_settings after Stash's and
 * before the environment's), or data_dir / stash_url, which fill
 * ctx->data_dir / ctx->stash_url only while those are unset (a flag or
 * the environment won). An unknown key or a line without '=' is
 * S2P_EINVAL naming the file and line. */
int s2p_ctx_read_config(struct s2p_ctx *ctx, const char *path,
    struct s2p_error *err) S2P_NODISCARD;
/* Apply the cached settings (no network, no validation); absent is fine. */
void s2p_ctx_load_cached_settings(struct s2p_ctx *ctx);
/* Register every secret the context holds (secret settings, the session
 * cookie, credentials in plex_url or the Stash URL) with the logger, which
 * masks them from then on. The one place secrets are registered. */
void s2p_ctx_register_secrets(const struct s2p_ctx *ctx);
/* Keep the session cookie this run was handed (the newest one) in
 * S2P_COOKIE_FILE, 0600, so a long-running worker whose own session expired
 * can pick it up. Written with a rename (no fsync: losing it costs nothing)
 * and only when it changed. Errors are ignored. */
void s2p_ctx_save_cookie(struct s2p_ctx *ctx);
/* The cookie kept by s2p_ctx_save_cookie (new string), or NULL. */
char *s2p_ctx_saved_cookie(const struct s2p_ctx *ctx);
/* 1 when the stop flag is set. */
int s2p_ctx_stopping(const struct s2p_ctx *ctx);
/* Sleep up to secs in short slices, returning early on stop. */
void s2p_ctx_sleep(struct s2p_ctx *ctx, double secs);

#endif
