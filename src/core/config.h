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

#include "core/compat.h"
#include "core/err.h"

#define S2P_PLUGIN_ID "Stash2Plex"

struct s2p_config {
	char *plex_url;      /* required; http(s)://, trailing '/' stripped */
	char *plex_token;    /* required; secret */
	char *plex_library;  /* comma-separated section names; "" = all video */
	int enabled;
	int max_retries;     /* transient attempts before dead-lettering */
	double poll_interval;
	int strict_matching;
	int preserve_plex_edits;
	double connect_timeout; /* seconds */
	double read_timeout;    /* seconds */
	int max_tags;
	int sync_master;
	int sync_studio;
	int sync_summary;
	int sync_tagline;
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
	int reconcile_missing;
	char *plex_unmatched_path_map;
	char *path_map;   /* "/stash/prefix=>/plex/prefix;..." */
	char *list_mode;  /* replace|merge */
	char *stash_api_key; /* optional; secret */
	int dlq_retention_days;
};

/* Fill cfg with every default (strings allocated). */
void s2p_config_init(struct s2p_config *cfg);
void s2p_config_free(struct s2p_config *cfg);

/* Apply a settings object as Stash returns it. Unknown keys are ignored (and
 * logged at debug). A value of the wrong type that cannot be coerced, or one
 * out of range, gives S2P_EINVAL with a message naming the setting. Numbers
 * of 0 and empty strings mean "use the default", as Stash's UI shows unset
 * settings that way. */
int s2p_config_apply_json(struct s2p_config *cfg, const json_t *settings,
    struct s2p_error *err) S2P_NODISCARD;
/* Apply one setting from text (CLI flag or environment). */
int s2p_config_set(struct s2p_config *cfg, const char *key, const char *value,
    struct s2p_error *err) S2P_NODISCARD;
/* Apply STASH2PLEX_<KEY> variables and PLEX_URL / PLEX_TOKEN. */
int s2p_config_apply_env(struct s2p_config *cfg, struct s2p_error *err)
    S2P_NODISCARD;
/* Check what only makes sense once all sources are in: plex_url and
 * plex_token present and well formed. */
int s2p_config_validate(const struct s2p_config *cfg, struct s2p_error *err)
    S2P_NODISCARD;
/* Every setting as a JSON object (secrets included: store it 0600). New
 * reference. */
json_t *s2p_config_to_json(const struct s2p_config *cfg);
/* Print "key (type, default): description" lines for --help. */
void s2p_config_print_help(void);

#endif
