/*
 * test_manifest.c - Stash2Plex.yml against Stash's strict manifest decoder
 * (stash-plugin-protocol.md 1.2-1.6) and against the settings table.
 *
 * A small line-based checker understands the block-style YAML subset the
 * manifest is written in and rejects anything else: unknown keys at any
 * level (a "default:" under a setting, a misspelled defaultArgs), tabs,
 * nested maps in defaultArgs, unknown setting types. Then the content is
 * compared with what the program expects: every config key is a setting of
 * the right type and vice versa, task names and modes, the hooks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/xalloc.h"

#define MAX_ENTRIES 40
#define MAX_SETTINGS 80
#define MAX_LIST 8

struct entry {
	char name[128];
	char desc[256];
	char mode[64];
	int has_desc;
	char list[MAX_LIST][64]; /* triggeredBy */
	size_t nlist;
};

struct msetting {
	char key[64];
	char type[16];
	char display[128];
	char desc[512];
};

struct manifest {
	char name[64];
	char version[32];
	char interface[16];
	char errlog[16];
	char exec[MAX_LIST][64];
	size_t nexec;
	int seen_top[16];
	struct entry tasks[MAX_ENTRIES], hooks[MAX_ENTRIES];
	size_t ntasks, nhooks;
	struct msetting settings[MAX_SETTINGS];
	size_t nsettings;
	char ui_js[MAX_LIST][64], ui_css[MAX_LIST][64];
	size_t nui_js, nui_css;
};

static const char *const top_keys[] = {
    "name",
    "description",
    "version",
    "url",
    "exec",
    "interface",
    "errLog",
    "tasks",
    "hooks",
    "settings",
    "ui",
};

/* UIConfig's keys (pkg/plugin/config.go); we use the two lists. */
static const char *const ui_keys[] = {
    "javascript",
    "css",
    "requires",
    "assets",
    "csp",
};

/* One significant line: indentation, "- " item marker, key and value. */
struct yline {
	int indent;  /* column of the key or scalar (after any "- ") */
	int item;    /* the line started with "- " */
	int has_key; /* "key:" form */
	char key[64];
	char val[512];
};

/* Unquote a scalar in place: "..." (with \" and \\) or '...' ('' escape). */
static int
unquote(char *v)
{
	size_t n = strlen(v), i, o = 0;
	char q;

	if (n == 0 || (v[0] != '"' && v[0] != '\''))
		return 1;
	q = v[0];
	if (n < 2 || v[n - 1] != q)
		return 0;
	for (i = 1; i < n - 1; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n - 1)
			i++;
		else if (q == '\'' && v[i] == '\'' && v[i + 1] == '\'')
			i++;
		v[o++] = v[i];
	}
	v[o] = '\0';
	return 1;
}

/* Split one line. Returns 0 for blank/comment lines, 1 for a parsed line,
 * -1 on a syntax error (why filled). */
static int
split_line(const char *line, struct yline *out, char *why, size_t wl)
{
	const char *p = line, *colon;
	size_t klen;

	memset(out, 0, sizeof(*out));
	if (strchr(line, '\t') != NULL) {
		snprintf(why, wl, "tab character");
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (p[0] == '-' && (p[1] == ' ' || p[1] == '\0')) {
		out->item = 1;
		p += p[1] ? 2 : 1;
		while (*p == ' ')
			p++;
	}
	out->indent = (int)(p - line);
	/* key: an identifier directly followed by ':' and then end or ' ' */
	colon = p;
	while ((*colon >= 'a' && *colon <= 'z') ||
	    (*colon >= 'A' && *colon <= 'Z') ||
	    (*colon >= '0' && *colon <= '9') || *colon == '_')
		colon++;
	if (colon > p && *colon == ':' &&
	    (colon[1] == '\0' || colon[1] == ' ')) {
		klen = (size_t)(colon - p);
		if (klen >= sizeof(out->key)) {
			snprintf(why, wl, "key too long");
			return -1;
		}
		out->has_key = 1;
		memcpy(out->key, p, klen);
		p = colon + 1;
		while (*p == ' ')
			p++;
	} else if (*p != '"' && *p != '\'' && strchr(p, ':') != NULL &&
	    strstr(p, ": ") != NULL) {
		snprintf(why, wl, "key is not a plain identifier");
		return -1;
	}
	if (strlen(p) >= sizeof(out->val)) {
		snprintf(why, wl, "value too long");
		return -1;
	}
	snprintf(out->val, sizeof(out->val), "%s", p);
	/* strip a trailing comment on unquoted scalars */
	if (out->val[0] != '"' && out->val[0] != '\'') {
		char *hash = strstr(out->val, " #");

		if (hash != NULL)
			*hash = '\0';
	}
	klen = strlen(out->val);
	while (klen > 0 && out->val[klen - 1] == ' ')
		out->val[--klen] = '\0';
	if (out->val[0] == '{' || out->val[0] == '[' || out->val[0] == '&' ||
	    out->val[0] == '*' || out->val[0] == '|' || out->val[0] == '>') {
		snprintf(why, wl, "flow/anchor/block scalar not supported");
		return -1;
	}
	if (out->has_key && out->val[0] != '"' && out->val[0] != '\'' &&
	    (strstr(out->val, ": ") != NULL ||
		(klen > 0 && out->val[klen - 1] == ':'))) {
		snprintf(why, wl, "plain value contains ': ' (quote it)");
		return -1;
	}
	if (out->val[0] != '\0' && strchr("!%@`", out->val[0]) != NULL) {
		snprintf(why, wl, "value starts with a YAML indicator");
		return -1;
	}
	if (!unquote(out->val)) {
		snprintf(why, wl, "unterminated quote");
		return -1;
	}
	return 1;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Store a scalar; a duplicate or an empty value is an error. */
static int
take(char *dst, size_t size, int *seen, const struct yline *l, char *why,
    size_t wl)
{
	if (seen != NULL && *seen) {
		snprintf(why, wl, "duplicate key %s", l->key);
		return -1;
	}
	if (l->val[0] == '\0') {
		snprintf(why, wl, "key %s needs a value", l->key);
		return -1;
	}
	snprintf(dst, size, "%s", l->val);
	if (seen != NULL)
		*seen = 1;
	return 0;
}

/*
 * Check text as a manifest and fill m. Returns 0, or -1 with a reason (and
 * line number) in why. Columns are those of a key or scalar after any "- ":
 * top level at 0; exec items "  - x" at 4; task/hook entries "  - key: v"
 * and their keys at 4, defaultArgs entries at 6, triggeredBy/execArgs
 * items "      - x" at 8; settings keys at 2 with fields at 4.
 */
static int
check_manifest(const char *text, struct manifest *m, char *why, size_t wl)
{
	static const char *const entry_keys[] = {
	    "name",
	    "description",
	    "defaultArgs",
	    "execArgs",
	    "triggeredBy",
	};
	static const char *const setting_keys[] = {
	    "displayName",
	    "description",
	    "type",
	};
	static const char *const types[] = {"STRING", "NUMBER", "BOOLEAN"};
	const char *section = "", *sub = "";
	struct entry *e = NULL;
	struct msetting *s = NULL;
	int seen_sub[3] = {0};
	char line[1024], reason[160];
	const char *p = text;
	int lineno = 0, rc;
	size_t i;

	memset(m, 0, sizeof(*m));
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct yline l;

		lineno++;
		if (n >= sizeof(line)) {
			snprintf(why, wl, "line %d: too long", lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += nl ? n + 1 : n;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';

		reason[0] = '\0';
		rc = split_line(line, &l, reason, sizeof(reason));
		if (rc == 0)
			continue;
		if (rc < 0)
			goto bad;

		if (l.indent == 0 && !l.item) {
			/* top level */
			if (!l.has_key) {
				snprintf(reason, sizeof(reason),
				    "expected a key");
				goto bad;
			}
			for (i = 0; i < S2P_ARRAY_LEN(top_keys); i++)
				if (strcmp(l.key, top_keys[i]) == 0)
					break;
			if (i == S2P_ARRAY_LEN(top_keys)) {
				snprintf(reason, sizeof(reason),
				    "unknown top-level key %s", l.key);
				goto bad;
			}
			if (m->seen_top[i]++) {
				snprintf(reason, sizeof(reason),
				    "duplicate key %s", l.key);
				goto bad;
			}
			section = top_keys[i];
			sub = "";
			e = NULL;
			s = NULL;
			if (strcmp(section, "exec") == 0 ||
			    strcmp(section, "tasks") == 0 ||
			    strcmp(section, "hooks") == 0 ||
			    strcmp(section, "settings") == 0 ||
			    strcmp(section, "ui") == 0) {
				if (l.val[0] != '\0') {
					snprintf(reason, sizeof(reason),
					    "%s must be a block", section);
					goto bad;
				}
				continue;
			}
			if (l.val[0] == '\0') {
				snprintf(reason, sizeof(reason),
				    "key %s needs a value", l.key);
				goto bad;
			}
			if (strcmp(section, "name") == 0)
				snprintf(m->name, sizeof(m->name), "%s", l.val);
			else if (strcmp(section, "version") == 0)
				snprintf(m->version, sizeof(m->version), "%s",
				    l.val);
			else if (strcmp(section, "interface") == 0)
				snprintf(m->interface, sizeof(m->interface),
				    "%s", l.val);
			else if (strcmp(section, "errLog") == 0)
				snprintf(m->errlog, sizeof(m->errlog), "%s",
				    l.val);
			continue;
		}

		if (strcmp(section, "exec") == 0) {
			if (!l.item || l.has_key || l.indent != 4 ||
			    m->nexec == MAX_LIST) {
				snprintf(reason, sizeof(reason),
				    "exec takes a list of strings");
				goto bad;
			}
			snprintf(m->exec[m->nexec++], sizeof(m->exec[0]), "%s",
			    l.val);
			continue;
		}

		if (strcmp(section, "ui") == 0) {
			if (l.indent == 2 && l.has_key && !l.item) {
				if (!in_list(l.key, ui_keys,
					S2P_ARRAY_LEN(ui_keys))) {
					snprintf(reason, sizeof(reason),
					    "unknown ui key %s", l.key);
					goto bad;
				}
				sub = strcmp(l.key, "javascript") == 0 ? "js"
				    : strcmp(l.key, "css") == 0        ? "css"
								       : "";
				continue;
			}
			if (l.item && !l.has_key && l.indent == 6 &&
			    sub[0] != '\0') {
				int js = sub[0] == 'j';
				size_t *cnt = js ? &m->nui_js : &m->nui_css;

				if (*cnt < MAX_LIST)
					snprintf(js ? m->ui_js[(*cnt)++]
						    : m->ui_css[(*cnt)++],
					    sizeof(m->ui_js[0]), "%s", l.val);
				continue;
			}
			snprintf(reason, sizeof(reason),
			    "ui takes javascript/css lists");
			goto bad;
		}

		if (strcmp(section, "tasks") == 0 ||
		    strcmp(section, "hooks") == 0) {
			int is_hook = section[0] == 'h';

			if (l.item && l.indent == 4) {
				/* "- key: value" opens a new entry */
				size_t *cnt = is_hook ? &m->nhooks : &m->ntasks;

				if (*cnt == MAX_ENTRIES) {
					snprintf(reason, sizeof(reason),
					    "too many entries");
					goto bad;
				}
				e = is_hook ? &m->hooks[*cnt] : &m->tasks[*cnt];
				(*cnt)++;
				memset(seen_sub, 0, sizeof(seen_sub));
				sub = "";
			}
			if (e != NULL && l.indent == 4 && l.has_key) {
				int dup = 0;

				if (!in_list(l.key, entry_keys,
					S2P_ARRAY_LEN(entry_keys)) ||
				    (!is_hook &&
					strcmp(l.key, "triggeredBy") == 0)) {
					snprintf(reason, sizeof(reason),
					    "unknown %s key %s",
					    is_hook ? "hook" : "task", l.key);
					goto bad;
				}
				sub = "";
				if (strcmp(l.key, "name") == 0) {
					dup = e->name[0] != '\0';
					snprintf(e->name, sizeof(e->name), "%s",
					    l.val);
				} else if (strcmp(l.key, "description") == 0) {
					dup = e->has_desc;
					e->has_desc = 1;
					snprintf(e->desc, sizeof(e->desc), "%s",
					    l.val);
				} else {
					int k = strcmp(l.key, "defaultArgs") ==
						0
					    ? 0
					    : strcmp(l.key, "execArgs") == 0
					    ? 1
					    : 2;

					if (seen_sub[k]++) {
						snprintf(reason, sizeof(reason),
						    "duplicate "
						    "key %s",
						    l.key);
						goto bad;
					}
					if (l.val[0] != '\0') {
						snprintf(reason, sizeof(reason),
						    "%s must "
						    "be a block",
						    l.key);
						goto bad;
					}
					sub = entry_keys[k + 2];
					continue;
				}
				if (dup) {
					snprintf(reason, sizeof(reason),
					    "duplicate key %s", l.key);
					goto bad;
				}
				if (l.val[0] == '\0') {
					snprintf(reason, sizeof(reason),
					    "key %s needs a value", l.key);
					goto bad;
				}
				continue;
			}
			if (e != NULL && l.indent == 6 &&
			    strcmp(sub, "defaultArgs") == 0 && !l.item &&
			    l.has_key) {
				if (l.val[0] == '\0') {
					snprintf(reason, sizeof(reason),
					    "defaultArgs values must be "
					    "strings, not maps");
					goto bad;
				}
				if (strcmp(l.key, "mode") == 0 &&
				    take(e->mode, sizeof(e->mode), NULL, &l,
					reason, sizeof(reason)) < 0)
					goto bad;
				continue;
			}
			if (e != NULL && l.indent == 8 && l.item &&
			    !l.has_key && l.val[0] != '\0' &&
			    (strcmp(sub, "triggeredBy") == 0 ||
				strcmp(sub, "execArgs") == 0)) {
				if (sub[0] == 't') {
					if (e->nlist == MAX_LIST) {
						snprintf(reason, sizeof(reason),
						    "too many triggers");
						goto bad;
					}
					snprintf(e->list[e->nlist++],
					    sizeof(e->list[0]), "%s", l.val);
				}
				continue;
			}
			snprintf(reason, sizeof(reason),
			    "unexpected line in "
			    "%s",
			    section);
			goto bad;
		}

		if (strcmp(section, "settings") == 0) {
			if (l.indent == 2 && !l.item && l.has_key) {
				if (l.val[0] != '\0') {
					snprintf(reason, sizeof(reason),
					    "setting %s must be a map", l.key);
					goto bad;
				}
				for (i = 0; i < m->nsettings; i++)
					if (strcmp(m->settings[i].key, l.key) ==
					    0) {
						snprintf(reason, sizeof(reason),
						    "duplicate setting %s",
						    l.key);
						goto bad;
					}
				if (m->nsettings == MAX_SETTINGS) {
					snprintf(reason, sizeof(reason),
					    "too many settings");
					goto bad;
				}
				s = &m->settings[m->nsettings++];
				snprintf(s->key, sizeof(s->key), "%s", l.key);
				continue;
			}
			if (s != NULL && l.indent == 4 && !l.item &&
			    l.has_key) {
				if (!in_list(l.key, setting_keys,
					S2P_ARRAY_LEN(setting_keys))) {
					snprintf(reason, sizeof(reason),
					    "unknown key %s in setting %s",
					    l.key, s->key);
					goto bad;
				}
				if (strcmp(l.key, "type") == 0) {
					if (take(s->type, sizeof(s->type), NULL,
						&l, reason, sizeof(reason)) < 0)
						goto bad;
					if (!in_list(s->type, types,
						S2P_ARRAY_LEN(types))) {
						snprintf(reason, sizeof(reason),
						    "setting %s: bad type %s",
						    s->key, s->type);
						goto bad;
					}
				} else if (strcmp(l.key, "displayName") == 0) {
					if (take(s->display, sizeof(s->display),
						NULL, &l, reason,
						sizeof(reason)) < 0)
						goto bad;
				} else if (take(s->desc, sizeof(s->desc), NULL,
					       &l, reason,
					       sizeof(reason)) < 0) {
					goto bad;
				}
				continue;
			}
			snprintf(reason, sizeof(reason),
			    "unexpected line in settings");
			goto bad;
		}

		snprintf(reason, sizeof(reason), "%s takes a single value",
		    section);
		goto bad;
	}
	return 0;
bad:
	snprintf(why, wl, "line %d: %s", lineno, reason);
	return -1;
}

/* The repository root, from the build or from this file's path. */
static void
manifest_path(char *out, size_t size)
{
#ifdef S2P_SOURCE_DIR
	snprintf(out, size, "%s/Stash2Plex.yml", S2P_SOURCE_DIR);
#else
	const char *suffix = "tests/unit/test_manifest.c";
	const char *f = __FILE__;
	size_t n = strlen(f), sl = strlen(suffix);

	if (n < sl || strcmp(f + n - sl, suffix) != 0)
		fail_msg("cannot locate the repository from %s", f);
	snprintf(out, size, "%.*sStash2Plex.yml", (int)(n - sl), f);
#endif
}

static char *
load_manifest(void)
{
	struct s2p_buf b;
	struct s2p_error err;
	char path[4096];

	manifest_path(path, sizeof(path));
	s2p_buf_init(&b, 1024 * 1024);
	if (s2p_read_file(path, &b, &err) != S2P_OK)
		fail_msg("%s: %s", path, err.msg);
	return s2p_buf_take(&b);
}

/* Check text and fail the test with the reason when it is rejected. */
static struct manifest *
parse_or_fail(const char *text)
{
	static struct manifest m;
	char why[256];

	if (check_manifest(text, &m, why, sizeof(why)) != 0)
		fail_msg("manifest rejected: %s", why);
	return &m;
}

/* Return the reason text is rejected, failing the test if it is not. */
static const char *
rejected(const char *text)
{
	static struct manifest m;
	static char why[256];

	if (check_manifest(text, &m, why, sizeof(why)) == 0)
		fail_msg("manifest unexpectedly accepted:\n%s", text);
	return why;
}

/* text with ins inserted right after the first line starting with after. */
static char *
insert_after(const char *text, const char *after, const char *ins)
{
	const char *at = strstr(text, after);
	const char *eol;
	char *res;
	size_t pre;

	assert_non_null(at);
	eol = strchr(at, '\n');
	assert_non_null(eol);
	pre = (size_t)(eol + 1 - text);
	res = malloc(strlen(text) + strlen(ins) + 1);
	assert_non_null(res);
	memcpy(res, text, pre);
	memcpy(res + pre, ins, strlen(ins));
	memcpy(res + pre + strlen(ins), eol + 1, strlen(eol + 1) + 1);
	return res;
}

static void
test_manifest__strict_keys(void **state)
{
	char *text = load_manifest();
	struct manifest *m;

	(void)state;
	m = parse_or_fail(text);
	assert_string_equal(m->name, S2P_PLUGIN_ID);
	assert_string_equal(m->version, S2P_VERSION);
	assert_string_equal(m->interface, "raw");
	assert_string_equal(m->errlog, "error");
	assert_int_equal(m->nexec, 1);
	assert_string_equal(m->exec[0], "stash2plex");
	/* The UI plugin's files, as scripts/dist.sh ships them. */
	assert_int_equal(m->nui_js, 1);
	assert_string_equal(m->ui_js[0], "ui/stash2plex.js");
	assert_int_equal(m->nui_css, 1);
	assert_string_equal(m->ui_css[0], "ui/stash2plex.css");
	assert_null(strchr(text, '\t'));
	free(text);
}

static void
test_manifest__settings_match_config_table(void **state)
{
	char *text = load_manifest();
	struct manifest *m = parse_or_fail(text);
	size_t i, j, n = s2p_config_count();

	(void)state;
	assert_int_equal(m->nsettings, n);
	for (i = 0; i < m->nsettings; i++) {
		const struct msetting *s = &m->settings[i];

		for (j = 0; j < n; j++)
			if (strcmp(s->key, s2p_config_key_at(j)) == 0)
				break;
		if (j == n)
			fail_msg("setting %s is not in the config table",
			    s->key);
		if (strcmp(s->type, s2p_config_stash_type_at(j)) != 0)
			fail_msg("setting %s: manifest type %s, table %s",
			    s->key, s->type, s2p_config_stash_type_at(j));
		if (s->display[0] == '\0' || s->desc[0] == '\0')
			fail_msg("setting %s lacks displayName/description",
			    s->key);
		/* Stash cannot show defaults: the description must */
		if (strstr(s->desc, "Default:") == NULL &&
		    strncmp(s->desc, "Required.", 9) != 0)
			fail_msg("setting %s: description states no default",
			    s->key);
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < m->nsettings; i++)
			if (strcmp(m->settings[i].key, s2p_config_key_at(j)) ==
			    0)
				break;
		if (i == m->nsettings)
			fail_msg("config key %s missing from the manifest",
			    s2p_config_key_at(j));
	}
	free(text);
}

static void
test_manifest__tasks(void **state)
{
	static const char *const want[][2] = {
	    {"Sync All Scenes to Plex", "all"},
	    {"Sync Recent Scenes", "recent"},
	    {"Process Queue", "process_queue"},
	    {"Health Check", "health_check"},
	    {"Reconcile Library (All)", "reconcile_all"},
	    {"Reconcile Library (Recent)", "reconcile_recent"},
	    {"Reconcile Library (Last 7 Days)", "reconcile_7days"},
	    {"Queue Status", "queue_status"},
	    {"Clear Pending Queue", "clear_queue"},
	    {"Clear Dead Letter Queue", "clear_dlq"},
	    {"Purge Old DLQ Entries", "purge_dlq"},
	    {"Reconcile Missing Metadata", "reconcile_missing_metadata"},
	    {"Retry Dead Letters", "retry_dlq"},
	    {"Clear Match Cache", "clear_match_cache"},
	    {"Outage Summary", "outage_summary"},
	    {"Recover Outage Jobs", "recover_outage_jobs"},
	    {"Dry Run (show pending changes)", "dry_run"},
	};
	char *text = load_manifest();
	struct manifest *m = parse_or_fail(text);
	size_t i, j, pq = SIZE_MAX, hc = SIZE_MAX, first_rec = SIZE_MAX;

	(void)state;
	assert_int_equal(m->ntasks, S2P_ARRAY_LEN(want));
	for (i = 0; i < m->ntasks; i++) {
		const struct entry *t = &m->tasks[i];

		if (t->mode[0] == '\0')
			fail_msg("task %s has no mode", t->name);
		assert_true(t->has_desc);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(t->mode, m->tasks[j].mode);
			assert_string_not_equal(t->name, m->tasks[j].name);
		}
		for (j = 0; j < S2P_ARRAY_LEN(want); j++)
			if (strcmp(t->name, want[j][0]) == 0)
				break;
		if (j == S2P_ARRAY_LEN(want))
			fail_msg("unexpected task %s", t->name);
		assert_string_equal(t->mode, want[j][1]);
		if (strcmp(t->mode, "process_queue") == 0)
			pq = i;
		if (strcmp(t->mode, "health_check") == 0) {
			hc = i;
			assert_string_equal(t->desc,
			    "Check Plex server "
			    "connectivity and circuit breaker status");
		}
		if (strncmp(t->mode, "reconcile_", 10) == 0 &&
		    first_rec == SIZE_MAX)
			first_rec = i;
	}
	assert_true(pq != SIZE_MAX);
	assert_int_equal(hc, pq + 1);
	assert_int_equal(first_rec, hc + 1);
	free(text);
}

static void
test_manifest__hooks(void **state)
{
	char *text = load_manifest();
	struct manifest *m = parse_or_fail(text);

	(void)state;
	assert_int_equal(m->nhooks, 2);
	assert_string_equal(m->hooks[0].name, "Sync Scene to Plex");
	assert_string_equal(m->hooks[0].mode, "hook");
	assert_int_equal(m->hooks[0].nlist, 2);
	assert_string_equal(m->hooks[0].list[0], "Scene.Update.Post");
	assert_string_equal(m->hooks[0].list[1], "Scene.Create.Post");
	assert_string_equal(m->hooks[1].name, "Resync on rename");
	assert_string_equal(m->hooks[1].mode, "hook");
	assert_int_equal(m->hooks[1].nlist, 4);
	assert_string_equal(m->hooks[1].list[0], "Performer.Update.Post");
	assert_string_equal(m->hooks[1].list[1], "Studio.Update.Post");
	assert_string_equal(m->hooks[1].list[2], "Tag.Update.Post");
	assert_string_equal(m->hooks[1].list[3], "Scene.Destroy.Post");
	free(text);
}

/* The checker itself must catch what Stash's strict decoder refuses. */
static void
test_manifest__checker_rejects_mistakes(void **state)
{
	char *text = load_manifest();
	char *bad;

	(void)state;
	bad = insert_after(text, "    type: NUMBER", "    default: 5\n");
	assert_non_null(strstr(rejected(bad), "unknown key default"));
	free(bad);

	bad = insert_after(text, "  plex_url:", "    default: x\n");
	assert_non_null(strstr(rejected(bad), "unknown key default"));
	free(bad);

	bad = insert_after(text, "    - ui/stash2plex.css", "  scripts:\n");
	assert_non_null(strstr(rejected(bad), "unknown ui key"));
	free(bad);

	bad = insert_after(text, "interface: raw", "requires: Other\n");
	assert_non_null(strstr(rejected(bad), "unknown top-level key"));
	free(bad);

	bad = insert_after(text, "      mode: all", "    defualtArgs:\n");
	assert_non_null(strstr(rejected(bad), "unknown task key"));
	free(bad);

	bad = insert_after(text, "      mode: all", "    triggeredBy:\n");
	assert_non_null(strstr(rejected(bad), "unknown task key"));
	free(bad);

	bad = insert_after(text, "      mode: all", "      nested:\n");
	assert_non_null(strstr(rejected(bad), "not maps"));
	free(bad);

	bad = insert_after(text, "  plex_url:", "    type: INTEGER\n");
	assert_non_null(strstr(rejected(bad), "bad type INTEGER"));
	free(bad);

	bad = insert_after(text, "  plex_url:", "\tdisplayName: x\n");
	assert_non_null(strstr(rejected(bad), "tab character"));
	free(bad);

	bad = insert_after(text, "settings:",
	    "  enabled:\n"
	    "    type: BOOLEAN\n");
	assert_non_null(strstr(rejected(bad), "duplicate setting enabled"));
	free(bad);

	bad = insert_after(text, "settings:", "  flow: {type: STRING}\n");
	assert_non_null(rejected(bad));
	free(bad);

	bad = insert_after(text, "  - name: Process Queue",
	    "    description: WARNING: colon\n");
	assert_non_null(strstr(rejected(bad), "plain value contains"));
	free(bad);

	bad = insert_after(text, "      - Scene.Create.Post",
	    "    defaultArgs:\n      mode: again\n");
	assert_non_null(strstr(rejected(bad), "duplicate key defaultArgs"));
	free(bad);
	free(text);
}

/* Append every .c file under dir (recursively) to all. */
static void
read_sources(const char *dir, struct s2p_buf *all)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		size_t n = strlen(de->d_name);
		struct s2p_buf b;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n > 2 && strcmp(de->d_name + n - 2, ".c") == 0) {
			/* The settings table itself does not count as use. */
			if (strstr(path, "/core/config.c") != NULL)
				continue;
			s2p_buf_init(&b, 16 * 1024 * 1024);
			if (s2p_read_file(path, &b, NULL) != S2P_OK)
				fail_msg("cannot read %s", path);
			assert_int_equal(s2p_buf_add(all, b.data, b.len),
			    S2P_OK);
			s2p_buf_free(&b);
		} else if (strchr(de->d_name, '.') == NULL) {
			read_sources(path, all);
		}
	}
	closedir(d);
}

/* 1 when text reads the setting: "cfg.KEY" or "cfg->KEY", not followed by
 * more of an identifier. */
static int
reads_setting(const char *text, const char *key)
{
	static const char *const via[] = {"cfg.", "cfg->"};
	size_t i, kl = strlen(key);

	for (i = 0; i < 2; i++) {
		char *pat = s2p_xasprintf("%s%s", via[i], key);
		const char *p = text;

		while ((p = strstr(p, pat)) != NULL) {
			char c = p[strlen(pat)];

			if (!isalnum((unsigned char)c) && c != '_') {
				free(pat);
				return 1;
			}
			p += strlen(via[i]) + kl;
		}
		free(pat);
	}
	return 0;
}

/* Every setting the manifest shows is read somewhere outside the settings
 * table: a setting that does nothing must not be offered. */
static void
test_manifest__every_setting_is_read(void **state)
{
	char *text = load_manifest(), path[4096], *slash;
	struct manifest *m = parse_or_fail(text);
	struct s2p_buf src;
	size_t i;
	int unread = 0;

	(void)state;
	manifest_path(path, sizeof(path));
	slash = strrchr(path, '/');
	assert_non_null(slash);
	snprintf(slash, sizeof(path) - (size_t)(slash - path), "/src");
	s2p_buf_init(&src, 0);
	read_sources(path, &src);
	assert_int_equal(s2p_buf_add(&src, "", 1), S2P_OK);
	assert_true(src.len > 100000);
	for (i = 0; i < m->nsettings; i++)
		if (!reads_setting(src.data, m->settings[i].key)) {
			fprintf(stderr,
			    "setting %s is shown in Stash but the "
			    "code never reads it\n",
			    m->settings[i].key);
			unread++;
		}
	assert_int_equal(unread, 0);
	/* The check itself can fail. */
	assert_false(reads_setting(src.data, "sync_tagline"));
	assert_true(reads_setting(src.data, "plex_url"));
	s2p_buf_free(&src);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest__strict_keys),
	    cmocka_unit_test(test_manifest__settings_match_config_table),
	    cmocka_unit_test(test_manifest__tasks),
	    cmocka_unit_test(test_manifest__hooks),
	    cmocka_unit_test(test_manifest__checker_rejects_mistakes),
	    cmocka_unit_test(test_manifest__every_setting_is_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
