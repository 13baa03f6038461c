/*
 * fake_compare.c - fake-compare: does fake Plex now show what fake Stash
 * holds? Fetches GET /state from both control ports, pairs every Stash
 * scene with the Plex item whose files contain the scene's (path-mapped)
 * file, compares the synced fields and prints a short readable report:
 *
 *   fake-compare --stash-control PORT --plex-control PORT [--show N]
 *                [--ids 1,2,3] [--path-map "/data/videos=>/mnt/media"]...
 *                [--before FILE | --after FILE] [--allow-unmatched]
 *
 * --before FILE saves each scene's per-field result; --after FILE reads it
 * back and reports what the sync in between fixed or broke. Exit status 0
 * only when every paired item equals Stash in every field and no scene is
 * unmatched (--allow-unmatched relaxes the latter); 1 on differences; 2 on
 * usage or transport errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/strv.h"
#include "core/xalloc.h"

#define VALUE_WIDTH 40
#define NFIELDS 6

/* Stash key, Plex key, label, list-valued. */
static const struct field {
	const char *stash;
	const char *plex;
	const char *label;
	int list;
} fields[NFIELDS] = {
    {"title", "title", "title", 0},
    {"details", "summary", "summary", 0},
    {"date", "originallyAvailableAt", "date", 0},
    {"studio", "studio", "studio", 0},
    {"performers", "actors", "actors", 1},
    {"tags", "genres", "genres", 1},
};

struct pathmap {
	char *from;
	char *to;
};

struct opts {
	long stash_port;
	long plex_port;
	long show;
	struct s2p_strv ids;
	struct pathmap *maps;
	size_t nmaps;
	const char *before;
	const char *after;
	int allow_unmatched;
};

static size_t
write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct s2p_buf *b = ud;

	if (s2p_buf_add(b, p, size * n) != S2P_OK)
		return 0;
	return size * n;
}

/* GET http://127.0.0.1:port/state as JSON (NULL with a message on error). */
static json_t *
fetch_state(const char *who, long port)
{
	CURL *c = curl_easy_init();
	struct s2p_buf b;
	char url[64];
	long code = 0;
	CURLcode rc;
	json_t *j = NULL;
	json_error_t je;

	s2p_buf_init(&b, 256u << 20);
	snprintf(url, sizeof(url), "http://127.0.0.1:%ld/state", port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "fake-compare: %s control %s: %s\n", who, url,
		    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		fprintf(stderr, "fake-compare: %s control %s: HTTP %ld\n", who,
		    url, code);
		goto out;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr, "fake-compare: %s state is not a JSON object\n",
		    who);
		json_decref(j);
		j = NULL;
	}
out:
	s2p_buf_free(&b);
	curl_easy_cleanup(c);
	return j;
}

/* Apply the longest matching --path-map prefix; caller frees. */
static char *
map_path(const struct opts *o, const char *path)
{
	const struct pathmap *best = NULL;
	size_t i, bl = 0;

	for (i = 0; i < o->nmaps; i++) {
		size_t l = strlen(o->maps[i].from);

		if (l >= bl && strncmp(path, o->maps[i].from, l) == 0) {
			best = &o->maps[i];
			bl = l;
		}
	}
	if (best == NULL)
		return s2p_xstrdup(path);
	return s2p_xasprintf("%s%s", best->to, path + bl);
}

/* An item's file paths: "files": [paths] or Media[].Part[].file. */
static void
item_files(json_t *item, struct s2p_strv *out)
{
	json_t *f = json_object_get(item, "files"), *m, *part;
	size_t i, j;

	if (json_is_array(f)) {
		json_array_foreach(f, i, m) if (json_is_string(m))
		    s2p_strv_push(out, json_string_value(m));
		return;
	}
	json_array_foreach(json_object_get(item, "Media"), i, m)
	    json_array_foreach(json_object_get(m, "Part"), j,
		part) if (json_is_string(json_object_get(part, "file")))
		s2p_strv_push(out,
		    json_string_value(json_object_get(part, "file")));
}

/* A string field; NULL, JSON null and "" are all "no value". */
static const char *
str_field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

/* A list field as sorted strings; accepts ["a"] or [{"tag": "a"}]. */
static void
list_field(json_t *o, const char *key, struct s2p_strv *out)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v))
			s2p_strv_push(out, json_string_value(v));
		else if (json_is_string(json_object_get(v, "tag")))
			s2p_strv_push(out,
			    json_string_value(json_object_get(v, "tag")));
		else if (json_is_string(json_object_get(v, "name")))
			s2p_strv_push(out,
			    json_string_value(json_object_get(v, "name")));
	}
	s2p_strv_sort(out);
}

/* Display form of a value: quoted (newlines as \n) or a list; truncated
 * to VALUE_WIDTH columns on a UTF-8 boundary. Caller frees. */
static char *
display(const char *s, const struct s2p_strv *list, int is_list)
{
	struct s2p_buf b;
	size_t i, cols = 0, cut = 0;
	const char *p;
	char *raw;

	s2p_buf_init(&b, 0);
	if (is_list) {
		for (i = 0; i < list->n; i++) {
			if ((i && s2p_buf_adds(&b, ", ") != S2P_OK) ||
			    s2p_buf_adds(&b, list->v[i]) != S2P_OK)
				abort();
		}
		if (list->n == 0 && s2p_buf_adds(&b, "(none)") != S2P_OK)
			abort();
	} else if (s == NULL) {
		if (s2p_buf_adds(&b, "(none)") != S2P_OK)
			abort();
	} else {
		if (s2p_buf_adds(&b, "\"") != S2P_OK)
			abort();
		for (p = s; *p; p++) {
			const char *piece = *p == '\n' ? "\\n"
			    : *p == '\t'               ? "\\t"
			    : *p == '"'                ? "\\\""
						       : NULL;

			if ((piece ? s2p_buf_adds(&b, piece)
				   : s2p_buf_add(&b, p, 1)) != S2P_OK)
				abort();
		}
		if (s2p_buf_adds(&b, "\"") != S2P_OK)
			abort();
	}
	raw = s2p_buf_take(&b);
	s2p_buf_free(&b);
	for (p = raw; *p; p++) {
		if (((unsigned char)*p & 0xC0) == 0x80)
			continue;
		if (cols == VALUE_WIDTH - 3)
			cut = (size_t)(p - raw);
		cols++;
	}
	if (cols > VALUE_WIDTH) {
		memcpy(raw + cut, "...", 4);
	}
	return raw;
}

/* Number of display columns of a UTF-8 string. */
static size_t
columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Compare field f of a Stash scene and a Plex item; print when verbose.
 * prev is the saved result of --after (-1 unknown). Returns 1 on equal. */
static int
compare_field(const struct field *f, json_t *scene, json_t *item, int print,
    int prev)
{
	struct s2p_strv sl = {0}, pl = {0};
	const char *ss = NULL, *ps = NULL;
	int eq;
	char *ds, *dp;

	if (f->list) {
		list_field(scene, f->stash, &sl);
		list_field(item, f->plex, &pl);
		eq = s2p_strv_equal(&sl, &pl);
	} else {
		ss = str_field(scene, f->stash);
		ps = str_field(item, f->plex);
		eq = (!ss && !ps) || (ss && ps && strcmp(ss, ps) == 0);
	}
	if (print) {
		ds = display(ss, &sl, f->list);
		dp = display(ps, &pl, f->list);
		printf("  %-9s Stash: %s%*s  Plex: %s%*s  %s%s\n", f->label, ds,
		    (int)(VALUE_WIDTH - columns(ds)), "", dp,
		    (int)(VALUE_WIDTH - columns(dp)), "", eq ? "ok" : "DIFF",
		    prev < 0 || prev == eq ? ""
			: eq               ? "  (fixed)"
					   : "  (broke)");
		free(ds);
		free(dp);
	}
	s2p_strv_free(&sl);
	s2p_strv_free(&pl);
	return eq;
}

static int
wanted(const struct opts *o, const char *id, size_t index)
{
	if (o->ids.n)
		return s2p_strv_find(&o->ids, id) >= 0;
	return (long)index < o->show;
}

static int
parse_long(const char *flag, const char *v, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || end == v || *end || *out < 0) {
		fprintf(stderr, "fake-compare: bad %s '%s'\n", flag, v);
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: fake-compare --stash-control PORT "
	    "--plex-control PORT [--show N]\n"
	    "         [--ids 1,2,3] [--path-map \"FROM=>TO\"]... "
	    "[--before FILE | --after FILE]\n"
	    "         [--allow-unmatched]\n");
}

/* Fill o from argv; -1 on a usage error. */
static int
parse_args(struct opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->show = 3;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--allow-unmatched") == 0) {
			o->allow_unmatched = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || v == NULL)
			return -1;
		i++;
		if (strcmp(a, "--stash-control") == 0) {
			if (parse_long(a, v, &o->stash_port) < 0)
				return -1;
		} else if (strcmp(a, "--plex-control") == 0) {
			if (parse_long(a, v, &o->plex_port) < 0)
				return -1;
		} else if (strcmp(a, "--show") == 0) {
			if (parse_long(a, v, &o->show) < 0)
				return -1;
		} else if (strcmp(a, "--ids") == 0) {
			const char *p = v;

			while (*p) {
				size_t n = strcspn(p, ", ");

				if (n)
					s2p_strv_push_take(&o->ids,
					    s2p_xstrndup(p, n));
				p += n;
				p += strspn(p, ", ");
			}
		} else if (strcmp(a, "--path-map") == 0) {
			const char *arrow = strstr(v, "=>");

			if (arrow == NULL) {
				fprintf(stderr,
				    "fake-compare: --path-map "
				    "wants FROM=>TO\n");
				return -1;
			}
			o->maps = s2p_xrealloc(o->maps,
			    (o->nmaps + 1) * sizeof(*o->maps));
			o->maps[o->nmaps].from = s2p_xstrndup(v,
			    (size_t)(arrow - v));
			o->maps[o->nmaps++].to = s2p_xstrdup(arrow + 2);
		} else if (strcmp(a, "--before") == 0) {
			o->before = v;
		} else if (strcmp(a, "--after") == 0) {
			o->after = v;
		} else {
			fprintf(stderr, "fake-compare: unknown option '%s'\n",
			    a);
			return -1;
		}
	}
	if (o->stash_port <= 0 || o->plex_port <= 0 || (o->before && o->after))
		return -1;
	return 0;
}

static void
opts_free(struct opts *o)
{
	size_t i;

	s2p_strv_free(&o->ids);
	for (i = 0; i < o->nmaps; i++) {
		free(o->maps[i].from);
		free(o->maps[i].to);
	}
	free(o->maps);
}

/* The Plex item holding path (first one wins), or NULL. */
static json_t *
find_item(json_t *items, const char *path)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		struct s2p_strv files = {0};
		int hit;

		item_files(it, &files);
		hit = s2p_strv_find(&files, path) >= 0;
		s2p_strv_free(&files);
		if (hit)
			return it;
	}
	return NULL;
}

/* The JSON saved by an earlier --before run, or NULL. */
static json_t *
load_before(const char *path)
{
	struct s2p_buf b;
	struct s2p_error e;
	json_error_t je;
	json_t *j = NULL;

	s2p_buf_init(&b, 64u << 20);
	if (s2p_read_file(path, &b, &e) == S2P_OK)
		j = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	else
		fprintf(stderr, "fake-compare: %s\n", e.msg);
	s2p_buf_free(&b);
	return j;
}

/* Fetch both states, pair, compare, print, save; see the top. */
int
main(int argc, char **argv)
{
	struct opts o;
	json_t *stash = NULL, *plex = NULL, *items, *scenes, *sc;
	json_t *prev = NULL, *save = json_object();
	struct s2p_buf differs;
	size_t i, total = 0, matched = 0, unmatched = 0, ndiff = 0;
	size_t field_diffs[NFIELDS] = {0};
	long fixed = 0, broke = 0;
	int rc = 2;

	s2p_buf_init(&differs, 0);
	if (parse_args(&o, argc, argv) < 0) {
		usage();
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	stash = fetch_state("stash", o.stash_port);
	plex = fetch_state("plex", o.plex_port);
	if (stash == NULL || plex == NULL)
		goto out;
	if (o.after && (prev = load_before(o.after)) == NULL)
		goto out;
	scenes = json_object_get(stash, "scenes");
	items = json_object_get(plex, "items");
	json_array_foreach(scenes, i, sc)
	{
		const char *id = json_string_value(json_object_get(sc, "id"));
		json_t *files = json_object_get(sc, "files"), *item = NULL;
		json_t *f0 = json_array_get(files, 0), *res, *p;
		char *mapped = NULL;
		int print, all = 1, k;
		size_t j;

		if (id == NULL)
			continue;
		if (o.ids.n && s2p_strv_find(&o.ids, id) < 0)
			continue;
		total++;
		print = wanted(&o, id, total - 1);
		json_array_foreach(files, j, f0)
		{
			free(mapped);
			mapped = map_path(&o,
			    json_is_string(f0)
				? json_string_value(f0)
				: json_string_value(
				      json_object_get(f0, "path")));
			if ((item = find_item(items, mapped)) != NULL)
				break;
		}
		f0 = json_array_get(files, 0);
		if (print)
			printf("scene %-4s %s\n", id,
			    json_is_string(f0) ? json_string_value(f0)
					       : "(no file)");
		if (item == NULL) {
			unmatched++;
			if (print)
				printf("  no Plex item has this file%s%s\n",
				    mapped ? " as " : "", mapped ? mapped : "");
			free(mapped);
			continue;
		}
		free(mapped);
		res = json_object();
		p = prev ? json_object_get(json_object_get(prev, "scenes"), id)
			 : NULL;
		for (k = 0; k < NFIELDS; k++) {
			json_t *pv = json_object_get(p, fields[k].label);
			int was = json_is_boolean(pv) ? json_is_true(pv) : -1;
			int eq = compare_field(&fields[k], sc, item, print,
			    was);

			if (was >= 0 && was != eq)
				eq ? fixed++ : broke++;
			json_object_set_new(res, fields[k].label,
			    json_boolean(eq));
			if (!eq) {
				field_diffs[k]++;
				all = 0;
			}
		}
		if (!all) {
			if (ndiff < 12 &&
			    s2p_buf_addf(&differs, " %s", id) != S2P_OK)
				abort();
			ndiff++;
		}
		json_object_set_new(save, id, res);
		if (all)
			matched++;
	}
	if (ndiff) {
		int k;

		printf("differs: scenes%s%s (%zu in all)\n  fields:",
		    differs.data, ndiff > 12 ? " ..." : "", ndiff);
		for (k = 0; k < NFIELDS; k++)
			if (field_diffs[k])
				printf(" %s %zu", fields[k].label,
				    field_diffs[k]);
		printf("\n");
	}
	if (o.after)
		printf("compare: since before: %ld field(s) fixed, %ld "
		       "broke\n",
		    fixed, broke);
	printf("compare: %zu of %zu scenes match in every synced field "
	       "(%zu unmatched)\n",
	    matched, total, unmatched);
	if (o.before) {
		json_t *doc = json_pack("{s:O,s:I,s:I,s:I}", "scenes", save,
		    "matched", (json_int_t)matched, "total", (json_int_t)total,
		    "unmatched", (json_int_t)unmatched);
		char *text = json_dumps(doc, JSON_INDENT(1));
		struct s2p_error e;

		if (s2p_write_atomic(o.before, text, strlen(text), 0644, &e) !=
		    S2P_OK) {
			fprintf(stderr, "fake-compare: %s\n", e.msg);
			free(text);
			json_decref(doc);
			goto out;
		}
		free(text);
		json_decref(doc);
	}
	rc = (matched == total - unmatched &&
		 (unmatched == 0 || o.allow_unmatched))
	    ? 0
	    : 1;
out:
	s2p_buf_free(&differs);
	json_decref(save);
	json_decref(prev);
	json_decref(stash);
	json_decref(plex);
	opts_free(&o);
	curl_global_cleanup();
	return rc;
}
