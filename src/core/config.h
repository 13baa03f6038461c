/*
 * config.h - the plugin's settings: one table of every key (the reference
 * plugin's keys, kept so users can switch without reconfiguring, plus ours),
 * defaults for absent keys, defensive type coercion (Stash stores booleans,
 * numbers and strings loosely) and validation whose errors name the setting.
 * Sources, later ones winning: defaults, Stash's plugin settings map, the
 * environment (STASH2PLEX_<KEY> in upper case, plus PLEX_URL/PLEX_TOKEN),
 * and CLI flags (--key=value).
 */
#ifndef S2P_CONFIG_H
#define S2P_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "core/compat.h"
#include "core/err.h"

#define S2P_PLUGIN_ID "Stash2Plex"

struct s2p_config {
	char *plex_url;     /* required; http(s)://, trailing '/' stripped */
	char *plex_token;   /* required; secret */
	char *plex_library; /* comma-separated section names; "" = all video */
	char *plex_ca_file; /* PEM CA bundle for https Plex; "" = search */
	int plex_tls_insecure; /* skip the certificate check (warned each run)
				*/
	int enabled;
	int max_retries; /* transient attempts before dead-lettering */
	double poll_interval;
	int strict_matching;
	int preserve_plex_edits;
	double connect_timeout; /* seconds */
	double read_timeout;    /* seconds */
	int plex_concurrency; /* Plex requests in flight, 1-8 (worker lanes) */
	int max_tags;
	int sync_master;
	int sync_studio;
	int sync_summary;
	int sync_date;
	int sync_performers;
	int sync_tags;
	int sync_poster;
	int sync_background;
	int sync_collection;
	int sync_rating;
	int trigger_plex_scan;
	int skip_not_found;
	int debug_logging;
	int obfuscate_paths;
	char *reconcile_interval; /* never|hourly|daily|weekly */
	char *reconcile_scope;    /* all|24h|7days */
	char *path_map;           /* "/stash/prefix=>/plex/prefix;..." */
	char *list_mode;          /* replace|merge */
	char *stash_api_key;      /* optional; secret */
	int dlq_retention_days;
	char *status_listen; /* daemon endpoint "[host:]port"; "" = off */
};

/* Fill cfg with every default (strings allocated). */
void s2p_config_init(struct s2p_config *cfg);
void s2p_config_free(struct s2p_config *cfg);

/* Apply a settings object as Stash returns it. Unknown keys are ignored (and
 * logged at debug). A value of the wrong type that cannot be coerced, or one
 * out of range, gives S2P_EINVAL with a message naming the setting. Numbers
 * of 0 and empty strings mean "use the default", as Stash's UI shows unset
 * settings that way; so does null. Booleans also take 0/1 and the strings
 * true/false/1/0/yes/no/on/off; numbers also take numeric strings (strictly:
 * "12abc" is an error); enums are lower-cased. Application stops at the first
 * bad value (keys applied before it stay applied). Messages never quote the
 * value of a secret setting. */
int s2p_config_apply_json(struct s2p_config *cfg, const json_t *settings,
    struct s2p_error *err) S2P_NODISCARD;
/* Apply one setting from text (CLI flag or environment), with the same
 * coercion as a JSON string value. key may spell '_' as '-'; an unknown key
 * is S2P_EINVAL. A NULL or empty value restores the default. */
int s2p_config_set(struct s2p_config *cfg, const char *key, const char *value,
    struct s2p_error *err) S2P_NODISCARD;
/* Apply STASH2PLEX_<KEY> variables (set and non-empty ones override). Then
 * PLEX_URL / PLEX_TOKEN fill plex_url / plex_token only while those are
 * still empty, as the reference's fallback does, so STASH2PLEX_PLEX_URL and
 * the Stash setting both win over them. Errors name the variable. */
int s2p_config_apply_env(struct s2p_config *cfg,
    struct s2p_error *err) S2P_NODISCARD;
/* Every source checks non-empty plex_url (http(s)://host, trailing '/'
 * stripped, no query) and plex_token (>= 8 chars, no white space) as it is
 * applied. Registering secret values with the logger is the settings
 * loader's job (s2p_ctx_register_secrets). */
/* Check what only makes sense once all sources are in: plex_url and
 * plex_token present and well formed. */
int s2p_config_validate(const struct s2p_config *cfg,
    struct s2p_error *err) S2P_NODISCARD;
/* Every setting as a JSON object (secrets included: store it 0600). New
 * reference. */
json_t *s2p_config_to_json(const struct s2p_config *cfg);
/* Print "key (type, default): description" lines for --help. */
void s2p_config_print_help(void);
/* Every setting as a Markdown table (key, type, default, range,
 * environment variable, effect) for docs/configuration.md, which is
 * checked against it. The caller frees it. */
char *s2p_config_markdown(void);
/* The same text as s2p_config_print_help prints; the caller frees it. */
char *s2p_config_help_text(void);

/* Introspection of the settings table (for the manifest test and for
 * callers that must treat secrets specially). Index i runs from 0 to
 * s2p_config_count() - 1; out-of-range indexes give NULL. */
size_t s2p_config_count(void);
const char *s2p_config_key_at(size_t i);
/* The Stash manifest type of setting i: "BOOLEAN", "NUMBER" or "STRING". */
const char *s2p_config_stash_type_at(size_t i);
/* 1 when key names a secret setting (plex_token, stash_api_key), else 0. */
int s2p_config_is_secret(const char *key);
/* The value of setting i when it is a secret (may be NULL), else NULL. */
const char *s2p_config_secret_at(const struct s2p_config *cfg, size_t i);

#endif
