/*
 * fuzz_config.c - fuzz target: the settings parser (core/config.c). The
 * input is a settings object as Stash returns it; it is applied, validated
 * and dumped back. A first line "key=value" also goes through
 * s2p_config_set (the CLI and environment path).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2p_config cfg;
	struct s2p_error err;
	json_error_t je;
	json_t *settings, *dump;
	char *text = malloc(size + 1), *eq, *nl;
	int rc = S2P_OK;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s2p_config_init(&cfg);
	s2p_error_clear(&err);
	settings = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (settings != NULL) {
		if (s2p_config_apply_json(&cfg, settings, &err) == S2P_OK)
			rc = s2p_config_validate(&cfg, &err);
		json_decref(settings);
	} else {
		nl = strchr(text, '\n');
		if (nl != NULL)
			*nl = '\0';
		eq = strchr(text, '=');
		if (eq != NULL) {
			*eq = '\0';
			rc = s2p_config_set(&cfg, text, eq + 1, &err);
		}
	}
	dump = s2p_config_to_json(&cfg);
	json_decref(dump);
	s2p_config_free(&cfg);
	free(text);
	(void)rc;
	return 0;
}
