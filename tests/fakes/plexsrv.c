/*
 * plexsrv.c - the fake Plex Media Server (see plexsrv.h, README.md and
 * PMS's documented behaviour). One model (sections, items, tags, locks,
 * image candidates, pending files) rendered through one small document tree
 * that prints as XML (default) or JSON (Accept: application/json), so both
 * formats always agree. Strict by default: unknown edit fields are 400, a
 * file= lookup without type is 500, bad tokens are 401. Not a PMS: no
 * shows/seasons hierarchy, no collections objects, no hubs.
 */
#include "plexsrv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/strv.h"
#include "core/utf8scrub.h"
#include "core/xalloc.h"
#include "sha1.h"
#include "synth.h"

#define PMS_VERSION "1.41.3.9314-a0bfb8370"
#define LIB_IDENT "com.plexapp.plugins.library"
#define FIRST_RK 1001

/* --- tag types and fields ------------------------------------------- */

/* Tag types in emission order: edit/filter/lock name, XML element (also
 * the JSON array key) and the /state key. */
static const struct tagtype {
	const char *name;
	const char *el;
	const char *state;
} tagtypes[] = {
    {"genre", "Genre", "genres"},
    {"country", "Country", "countries"},
    {"director", "Director", "directors"},
    {"writer", "Writer", "writers"},
    {"producer", "Producer", "producers"},
    {"actor", "Role", "actors"},
    {"collection", "Collection", "collections"},
    {"label", "Label", "labels"},
};
#define NTAG ((int)S2P_ARRAY_LEN(tagtypes))
enum {
	T_GENRE,
	T_COUNTRY,
	T_DIRECTOR,
	T_WRITER,
	T_PRODUCER,
	T_ACTOR,
	T_COLLECTION,
	T_LABEL
};

/* Editable scalar fields: text ones first, then numbers. */
enum field {
	F_TITLE,
	F_TITLESORT,
	F_ORIGTITLE,
	F_EDITION,
	F_SUMMARY,
	F_TAGLINE,
	F_STUDIO,
	F_CRATING,
	F_DATE,
	NTEXT,
	F_YEAR = NTEXT,
	F_USERRATING,
	F_RATING,
	F_AUDRATING,
	F_ADDEDAT,
	NFIELD
};

static const char *const fieldnames[NFIELD] = {"title", "titleSort",
    "originalTitle", "editionTitle", "summary", "tagline", "studio",
    "contentRating", "originallyAvailableAt", "year", "userRating", "rating",
    "audienceRating", "addedAt"};

/* Lock names beyond fields and tag types. */
static const char *const imagelocks[] = {"thumb", "art", "theme"};

/* --- document tree (prints as XML or JSON) -------------------------- */

enum akind { A_STR, A_INT, A_BOOL, A_REAL };

struct attr {
	const char *name;
	enum akind kind;
	char *s;
	long long i;
	double d;
};

struct node {
	const char *el;   /* XML element name */
	const char *jkey; /* JSON array key under the parent */
	struct attr *a;
	size_t na, capa;
	struct node **k;
	size_t nk, capk;
};

static struct node *
node_new(const char *el, const char *jkey)
{
	struct node *n = s2p_xcalloc(1, sizeof(*n));

	n->el = el;
	n->jkey = jkey ? jkey : el;
	return n;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->na; i++)
		free(n->a[i].s);
	for (i = 0; i < n->nk; i++)
		node_free(n->k[i]);
	free(n->a);
	free(n->k);
	free(n);
}

static struct attr *
attr_add(struct node *n, const char *name, enum akind kind)
{
	if (n->na == n->capa) {
		n->capa = n->capa ? n->capa * 2 : 16;
		n->a = s2p_xrealloc(n->a, n->capa * sizeof(*n->a));
	}
	memset(&n->a[n->na], 0, sizeof(n->a[0]));
	n->a[n->na].name = name;
	n->a[n->na].kind = kind;
	return &n->a[n->na++];
}

/* String attribute; NULL values are left out. */
static void
a_str(struct node *n, const char *name, const char *v)
{
	if (v)
		attr_add(n, name, A_STR)->s = s2p_xstrdup(v);
}

static void
a_int(struct node *n, const char *name, long long v)
{
	attr_add(n, name, A_INT)->i = v;
}

static void
a_bool(struct node *n, const char *name, int v)
{
	attr_add(n, name, A_BOOL)->i = v != 0;
}

static void
a_real(struct node *n, const char *name, double v)
{
	attr_add(n, name, A_REAL)->d = v;
}

static struct node *
node_kid(struct node *parent, const char *el, const char *jkey)
{
	struct node *k = node_new(el, jkey);

	if (parent->nk == parent->capk) {
		parent->capk = parent->capk ? parent->capk * 2 : 8;
		parent->k = s2p_xrealloc(parent->k,
		    parent->capk * sizeof(*parent->k));
	}
	parent->k[parent->nk++] = k;
	return k;
}

static void
xml_escape(struct s2p_buf *b, const char *s)
{
	for (; *s; s++) {
		const char *rep = NULL;
		char c = *s;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		default:
			break;
		}
		/* Other control characters go out raw, as PMS does. */
		if ((rep ? s2p_buf_adds(b, rep) : s2p_buf_add(b, &c, 1)) !=
		    S2P_OK)
			abort();
	}
}

static void
emit_xml(struct s2p_buf *b, const struct node *n, int depth)
{
	size_t i;
	int rc = S2P_OK;

	for (i = 0; i < (size_t)depth * 2; i++)
		rc |= s2p_buf_add(b, " ", 1);
	rc |= s2p_buf_addf(b, "<%s", n->el);
	for (i = 0; i < n->na; i++) {
		const struct attr *a = &n->a[i];

		rc |= s2p_buf_addf(b, " %s=\"", a->name);
		switch (a->kind) {
		case A_STR:
			xml_escape(b, a->s);
			break;
		case A_INT:
		case A_BOOL:
			rc |= s2p_buf_addf(b, "%lld", a->i);
			break;
		case A_REAL:
			rc |= s2p_buf_addf(b, "%.1f", a->d);
			break;
		}
		rc |= s2p_buf_add(b, "\"", 1);
	}
	if (!n->nk) {
		rc |= s2p_buf_adds(b, "/>\n");
	} else {
		rc |= s2p_buf_adds(b, ">\n");
		for (i = 0; i < n->nk; i++)
			emit_xml(b, n->k[i], depth + 1);
		for (i = 0; i < (size_t)depth * 2; i++)
			rc |= s2p_buf_add(b, " ", 1);
		rc |= s2p_buf_addf(b, "</%s>\n", n->el);
	}
	if (rc != S2P_OK)
		abort();
}

/* 1 when s is valid UTF-8 (jansson's json_string refuses anything else,
 * a string that is not is written as null). */
static int
utf8_ok(const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		k = s2p_utf8_seq_len((const unsigned char *)s + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A real as jansson writes it: %.17g, with ".0" when it looks like an
 * integer. */
static void
json_text_real(struct s2p_buf *b, double d)
{
	char t[40];

	snprintf(t, sizeof(t), "%.17g", d);
	if (strpbrk(t, ".eEn") == NULL)
		strcat(t, ".0");
	if (s2p_buf_adds(b, t) != S2P_OK)
		abort();
}

/* n as compact JSON text, as jansson would write the object it makes
 * (written directly: building jansson's tree took most of a listing page's
 * time, docs/performance.md): attributes in order (a repeated name
 * keeps its first place and its last value), then one array per child key
 * in order of first appearance, unless an attribute took the name. */
static void
emit_json_text(struct s2p_buf *b, const struct node *n)
{
	size_t i, j;
	int rc = s2p_buf_add(b, "{", 1), first = 1;

	for (i = 0; i < n->na; i++) {
		const struct attr *a = &n->a[i];

		for (j = 0; j < i && strcmp(n->a[j].name, a->name) != 0; j++)
			;
		if (j < i)
			continue;
		for (j = n->na - 1; j > i; j--)
			if (strcmp(n->a[j].name, a->name) == 0)
				break;
		a = &n->a[j];
		rc |= s2p_buf_add(b, ",", first ? 0 : 1);
		first = 0;
		fake_json_str(b, a->name, strlen(a->name));
		rc |= s2p_buf_add(b, ":", 1);
		if (a->kind == A_STR && utf8_ok(a->s))
			fake_json_str(b, a->s, strlen(a->s));
		else if (a->kind == A_STR)
			rc |= s2p_buf_adds(b, "null");
		else if (a->kind == A_INT)
			rc |= s2p_buf_addf(b, "%lld", a->i);
		else if (a->kind == A_BOOL)
			rc |= s2p_buf_adds(b, a->i ? "true" : "false");
		else
			json_text_real(b, a->d);
	}
	for (i = 0; i < n->nk; i++) {
		const char *key = n->k[i]->jkey;

		for (j = 0; j < n->na && strcmp(n->a[j].name, key) != 0; j++)
			;
		if (j < n->na)
			continue;
		for (j = 0; j < i && strcmp(n->k[j]->jkey, key) != 0; j++)
			;
		if (j < i)
			continue;
		rc |= s2p_buf_add(b, ",", first ? 0 : 1);
		first = 0;
		fake_json_str(b, key, strlen(key));
		rc |= s2p_buf_adds(b, ":[");
		for (j = i; j < n->nk; j++)
			if (strcmp(n->k[j]->jkey, key) == 0) {
				if (j > i)
					rc |= s2p_buf_add(b, ",", 1);
				emit_json_text(b, n->k[j]);
			}
		rc |= s2p_buf_add(b, "]", 1);
	}
	rc |= s2p_buf_add(b, "}", 1);
	if (rc != S2P_OK)
		abort();
}

/* --- model ---------------------------------------------------------- */

struct cand {
	char *rk; /* upload://posters/<sha1>, an http URL, ... */
	char *key;
	char *provider; /* NULL for uploads */
	char sha1[41];  /* "" unless uploaded bytes */
	unsigned char *bytes;
	size_t len;
	int selected;
};

struct cands {
	struct cand *v;
	size_t n;
};

/* What an agent would (re)set: the item's initial metadata. */
struct agent {
	char *title;
	char *summary;
	char *studio;
	char *date;
	struct s2p_strv genres;
	struct s2p_strv actors;
};

struct item {
	char *rk;
	size_t section;     /* index into sections */
	char *text[NTEXT];  /* NULL = absent */
	long year;          /* -1 = absent */
	double user_rating; /* < 0 = none */
	double rating;
	double audience_rating;
	long added_at;
	long updated_at;
	long img_ts[2]; /* thumb, art timestamps */
	struct s2p_strv tags[NTAG];
	struct s2p_strv locked;
	struct s2p_strv files;
	long media_id;
	long part_id0;
	struct cands img[2]; /* posters, arts */
	struct agent agent;
	char guid[64];
};

struct section {
	char *key;
	char *title;
	char *type; /* "movie" or "show" */
	struct s2p_strv locs;
	char uuid[40];
	double refresh_until; /* monotonic */
	long scanned_at;
};

struct pending {
	char *file; /* as Plex sees it */
	struct agent agent;
	double due; /* monotonic; 0 = not being scanned */
};

struct tagid {
	int type;
	char *name;
	long id;
};

/* One listing's sorted, filtered order, kept between the pages of a walk
 * (route_list): valid while the model's generation is the one it was
 * built at. Items are borrowed from the model. */
struct list_memo {
	char *key; /* section, type, sort and filters; NULL = empty slot */
	unsigned long gen;
	unsigned long used; /* for least-recently-used replacement */
	struct item **v;
	size_t n;
};

#define LIST_MEMOS 4

struct fake_plex {
	struct section *sec;
	size_t nsec;
	struct item **items;
	size_t nitems, capitems;
	struct pending *pend;
	size_t npend, cappend;
	struct tagid *tagids;
	size_t ntagids, captagids;
	long next_tag_id;
	long next_rk;
	long next_media;

	char *token;
	char machine_id[41];
	char *friendly;
	int strict;
	int loose_file;
	int truncate_tags;
	long scan_ms;
	long page_cap;   /* 0 = none */
	char *latin1_rk; /* this item's files go out in Latin-1 */
	char *root;      /* synthetic root (Stash's view) */
	char *plex_root; /* NULL = same as root */

	/* Bumped by every change to the model (items added, edited, removed,
	 * re-keyed, re-scanned; any write request): listing memos built at an
	 * older generation are rebuilt. */
	unsigned long gen;
	unsigned long memo_clock;
	struct list_memo memo[LIST_MEMOS];
};

static const char *const secret_args[] = {"X-Plex-Token", NULL};
static const char *const secret_headers[] = {"X-Plex-Token", NULL};

static long
now_epoch(void)
{
	return (long)time(NULL);
}

static long
tag_id(struct fake_plex *p, int type, const char *name)
{
	size_t i;

	for (i = 0; i < p->ntagids; i++)
		if (p->tagids[i].type == type &&
		    strcmp(p->tagids[i].name, name) == 0)
			return p->tagids[i].id;
	if (p->ntagids == p->captagids) {
		p->captagids = p->captagids ? p->captagids * 2 : 64;
		p->tagids = s2p_xrealloc(p->tagids,
		    p->captagids * sizeof(*p->tagids));
	}
	p->tagids[p->ntagids].type = type;
	p->tagids[p->ntagids].name = s2p_xstrdup(name);
	p->tagids[p->ntagids].id = p->next_tag_id++;
	return p->tagids[p->ntagids++].id;
}

/* Replace item tag list t with v (duplicates dropped), registering ids. */
static void
set_tags(struct fake_plex *p, struct item *it, int t, const struct s2p_strv *v)
{
	struct s2p_strv nv = {0};
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (!v->v[i][0] || s2p_strv_find(&nv, v->v[i]) >= 0)
			continue;
		s2p_strv_push(&nv, v->v[i]);
		(void)tag_id(p, t, v->v[i]);
	}
	s2p_strv_free(&it->tags[t]);
	it->tags[t] = nv;
}

static void
agent_free(struct agent *a)
{
	free(a->title);
	free(a->summary);
	free(a->studio);
	free(a->date);
	s2p_strv_free(&a->genres);
	s2p_strv_free(&a->actors);
	memset(a, 0, sizeof(*a));
}

static void
agent_copy(struct agent *dst, const struct agent *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->title = s2p_xstrdup(src->title);
	dst->summary = s2p_xstrdup(src->summary);
	dst->studio = s2p_xstrdup(src->studio);
	dst->date = s2p_xstrdup(src->date);
	s2p_strv_copy(&dst->genres, &src->genres);
	s2p_strv_copy(&dst->actors, &src->actors);
}

static void
agent_from_synth(struct agent *a, const struct synth_plex_meta *m)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	a->title = s2p_xstrdup(m->title);
	a->summary = s2p_xstrdup(m->summary);
	a->studio = s2p_xstrdup(m->studio);
	a->date = s2p_xstrdup(m->date);
	for (i = 0; i < m->ngenres; i++)
		s2p_strv_push(&a->genres, m->genres[i]);
	for (i = 0; i < m->nactors; i++)
		s2p_strv_push(&a->actors, m->actors[i]);
}

/* An agent for a file nobody described: title from the file name. */
static void
agent_from_file(struct agent *a, const char *file)
{
	const char *base = strrchr(file, '/');
	const char *dot;

	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	memset(a, 0, sizeof(*a));
	a->title = s2p_xstrndup(base,
	    dot && dot != base ? (size_t)(dot - base) : strlen(base));
	a->summary = s2p_xasprintf("Agent summary for %s.", a->title);
}

static void
cands_free(struct cands *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].rk);
		free(c->v[i].key);
		free(c->v[i].provider);
		free(c->v[i].bytes);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static struct cand *
cand_add(struct cands *c, const char *rk, const char *key, const char *provider)
{
	struct cand *x;

	c->v = s2p_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	x->rk = s2p_xstrdup(rk);
	x->key = s2p_xstrdup(key);
	x->provider = s2p_xstrdup(provider);
	return x;
}

static void
item_free(struct item *it)
{
	int i;

	if (!it)
		return;
	free(it->rk);
	for (i = 0; i < NTEXT; i++)
		free(it->text[i]);
	for (i = 0; i < NTAG; i++)
		s2p_strv_free(&it->tags[i]);
	s2p_strv_free(&it->locked);
	s2p_strv_free(&it->files);
	cands_free(&it->img[0]);
	cands_free(&it->img[1]);
	agent_free(&it->agent);
	free(it);
}

static void
set_text(struct item *it, int f, const char *v)
{
	free(it->text[f]);
	it->text[f] = (v && *v) ? s2p_xstrdup(v) : NULL;
}

static long
year_of(const char *date)
{
	char *end;
	long y;

	if (!date)
		return -1;
	errno = 0;
	y = strtol(date, &end, 10);
	if (errno || end == date)
		return -1;
	return y;
}

static int
is_locked(const struct item *it, const char *name)
{
	return s2p_strv_find(&it->locked, name) >= 0;
}

static void
set_lock(struct item *it, const char *name, int on)
{
	long i = s2p_strv_find(&it->locked, name);

	if (on && i < 0) {
		s2p_strv_push(&it->locked, name);
	} else if (!on && i >= 0) {
		free(it->locked.v[i]);
		memmove(&it->locked.v[i], &it->locked.v[i + 1],
		    (it->locked.n - (size_t)i - 1) * sizeof(char *));
		it->locked.n--;
	}
}

/* Reset every unlocked field to the agent's values (an agent refresh). */
static void
agent_reset(struct fake_plex *p, struct item *it)
{
	const struct agent *a = &it->agent;
	struct s2p_strv none = {0};
	size_t i;

	p->gen++;
	if (!is_locked(it, "title"))
		set_text(it, F_TITLE, a->title);
	if (!is_locked(it, "titleSort"))
		set_text(it, F_TITLESORT, NULL);
	if (!is_locked(it, "originalTitle"))
		set_text(it, F_ORIGTITLE, NULL);
	if (!is_locked(it, "summary"))
		set_text(it, F_SUMMARY, a->summary);
	if (!is_locked(it, "tagline"))
		set_text(it, F_TAGLINE, NULL);
	if (!is_locked(it, "studio"))
		set_text(it, F_STUDIO, a->studio);
	if (!is_locked(it, "contentRating"))
		set_text(it, F_CRATING, NULL);
	if (!is_locked(it, "originallyAvailableAt")) {
		set_text(it, F_DATE, a->date);
		if (!is_locked(it, "year"))
			it->year = year_of(a->date);
	}
	if (!is_locked(it, "genre"))
		set_tags(p, it, T_GENRE, &a->genres);
	if (!is_locked(it, "actor"))
		set_tags(p, it, T_ACTOR, &a->actors);
	if (!is_locked(it, "collection"))
		set_tags(p, it, T_COLLECTION, &none);
	for (i = 0; i < 2; i++) {
		struct cands *c = &it->img[i];
		size_t j;

		if (is_locked(it, imagelocks[i]) || c->n == 0)
			continue;
		for (j = 0; j < c->n; j++)
			c->v[j].selected = j == 0;
	}
}

/* Longest Location prefix owning file, or -1. */
static long
section_for(const struct fake_plex *p, const char *file)
{
	size_t i, j, best = 0;
	long sec = -1;

	for (i = 0; i < p->nsec; i++)
		for (j = 0; j < p->sec[i].locs.n; j++) {
			const char *l = p->sec[i].locs.v[j];
			size_t n = strlen(l);

			while (n > 1 && l[n - 1] == '/')
				n--;
			if (strncmp(file, l, n) == 0 && file[n] == '/' &&
			    n >= best) {
				best = n;
				sec = (long)i;
			}
		}
	return sec;
}

/* Create an item for file in section sec from agent a (copied); returns the
 * new item, owned by the model. */
static struct item *
item_create(struct fake_plex *p, size_t sec, const char *file,
    const struct agent *a, long added_at)
{
	struct item *it = s2p_xcalloc(1, sizeof(*it));
	char hex[41];
	int k;

	it->rk = s2p_xasprintf("%ld", p->next_rk++);
	it->section = sec;
	it->year = -1;
	it->user_rating = it->rating = it->audience_rating = -1;
	it->added_at = added_at;
	it->updated_at = added_at + 3600;
	it->img_ts[0] = it->img_ts[1] = it->updated_at;
	it->media_id = p->next_media;
	it->part_id0 = p->next_media + 500000;
	p->next_media++;
	s2p_strv_push(&it->files, file);
	agent_copy(&it->agent, a);
	fake_sha1_hex(file, strlen(file), hex);
	snprintf(it->guid, sizeof(it->guid), "plex://movie/%.24s", hex);
	for (k = 0; k < 2; k++) {
		char *u = s2p_xasprintf("https://image.tmdb.example/%s/%s.jpg",
		    k ? "art" : "posters", hex);

		cand_add(&it->img[k], u, u, "tv.plex.agents.movie")->selected =
		    1;
		free(u);
	}
	agent_reset(p, it);
	p->gen++;
	if (p->nitems == p->capitems) {
		p->capitems = p->capitems ? p->capitems * 2 : 64;
		p->items = s2p_xrealloc(p->items,
		    p->capitems * sizeof(*p->items));
	}
	p->items[p->nitems++] = it;
	return it;
}

/* Items are kept in ratingKey order (new keys count up and a re-keyed item
 * moves to the end, as a re-added one), so a binary search over the
 * numeric keys finds one among 100,000; the text must then match exactly. */
static struct item *
item_find(const struct fake_plex *p, const char *rk)
{
	size_t lo = 0, hi = p->nitems;
	char *end;
	long want = strtol(rk, &end, 10);

	if (*rk == '\0' || *end != '\0')
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strtol(p->items[mid]->rk, NULL, 10) < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nitems && strcmp(p->items[lo]->rk, rk) == 0)
		return p->items[lo];
	return NULL;
}

/* Move it to the end of the item list (after it got the newest key). */
static void
item_to_end(struct fake_plex *p, struct item *it)
{
	size_t i;

	p->gen++;
	for (i = 0; i < p->nitems; i++)
		if (p->items[i] == it) {
			memmove(&p->items[i], &p->items[i + 1],
			    (p->nitems - i - 1) * sizeof(*p->items));
			p->items[p->nitems - 1] = it;
			return;
		}
}

static void
item_delete(struct fake_plex *p, struct item *it)
{
	size_t i;

	p->gen++;
	for (i = 0; i < p->nitems; i++)
		if (p->items[i] == it) {
			memmove(&p->items[i], &p->items[i + 1],
			    (p->nitems - i - 1) * sizeof(*p->items));
			p->nitems--;
			item_free(it);
			return;
		}
}

static void
pending_add(struct fake_plex *p, const char *file, const struct agent *a)
{
	if (p->npend == p->cappend) {
		p->cappend = p->cappend ? p->cappend * 2 : 16;
		p->pend = s2p_xrealloc(p->pend, p->cappend * sizeof(*p->pend));
	}
	memset(&p->pend[p->npend], 0, sizeof(*p->pend));
	p->pend[p->npend].file = s2p_xstrdup(file);
	agent_copy(&p->pend[p->npend].agent, a);
	p->npend++;
}

/* Finish scans whose time has come: pending files they covered become
 * items (new ratingKeys, addedAt now). */
static void
process_scans(struct fake_plex *p)
{
	double t = s2p_monotonic();
	size_t i = 0;

	while (i < p->npend) {
		struct pending *pe = &p->pend[i];
		long sec;

		if (pe->due <= 0 || t < pe->due) {
			i++;
			continue;
		}
		sec = section_for(p, pe->file);
		if (sec < 0) {
			pe->due = 0;
			i++;
			continue;
		}
		/* Just scanned: updated when added (no agent hour). */
		item_create(p, (size_t)sec, pe->file, &pe->agent, now_epoch())
		    ->updated_at = now_epoch();
		free(pe->file);
		agent_free(&pe->agent);
		memmove(pe, pe + 1, (p->npend - i - 1) * sizeof(*pe));
		p->npend--;
	}
}

/* --- construction --------------------------------------------------- */

static void
section_add(struct fake_plex *p, const char *key, const char *title,
    const char *type)
{
	struct section *s;

	p->sec = s2p_xrealloc(p->sec, (p->nsec + 1) * sizeof(*p->sec));
	s = &p->sec[p->nsec++];
	memset(s, 0, sizeof(*s));
	s->key = s2p_xstrdup(key);
	s->title = s2p_xstrdup(title);
	s->type = s2p_xstrdup(type);
	snprintf(s->uuid, sizeof(s->uuid), "2b6c3f4e-0000-4000-8000-%012zu",
	    p->nsec);
	s->scanned_at = 1712000000;
}

static long
section_index(const struct fake_plex *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nsec; i++)
		if (strcmp(p->sec[i].key, key) == 0)
			return (long)i;
	return -1;
}

/* "--section KEY:TITLE:TYPE:PATH[,PATH...]": add a section, or redefine
 * (title, type, locations) an existing key. */
static int
parse_section(struct fake_plex *p, const char *spec, struct s2p_error *err)
{
	char *dup = s2p_xstrdup(spec);
	char *f[4], *c = dup, *path;
	long idx;
	int i, rc = S2P_OK;

	for (i = 0; i < 3; i++) {
		f[i] = c;
		c = strchr(c, ':');
		if (!c) {
			rc = s2p_error_set(err, S2P_EINVAL,
			    "--section wants "
			    "KEY:TITLE:TYPE:PATH[,PATH...]");
			goto out;
		}
		*c++ = '\0';
	}
	f[3] = c;
	if (!*f[0] ||
	    (strcmp(f[2], "movie") != 0 && strcmp(f[2], "show") != 0) ||
	    f[3][0] != '/') {
		rc = s2p_error_set(err, S2P_EINVAL,
		    "--section: bad key, type "
		    "(movie|show) or path in '%s'",
		    spec);
		goto out;
	}
	idx = section_index(p, f[0]);
	if (idx < 0) {
		section_add(p, f[0], f[1], f[2]);
		idx = (long)p->nsec - 1;
	} else {
		free(p->sec[idx].title);
		free(p->sec[idx].type);
		p->sec[idx].title = s2p_xstrdup(f[1]);
		p->sec[idx].type = s2p_xstrdup(f[2]);
		s2p_strv_free(&p->sec[idx].locs);
	}
	for (path = f[3]; path && *path;) {
		char *comma = strchr(path, ',');

		if (comma)
			*comma = '\0';
		s2p_strv_push(&p->sec[idx].locs, path);
		path = comma ? comma + 1 : NULL;
	}
out:
	free(dup);
	return rc;
}

static int
parse_long(const char *flag, const char *v, long lo, long hi, long *out,
    struct s2p_error *err)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return s2p_error_set(err, S2P_EINVAL, "--%s: bad number '%s'",
		    flag, v);
	*out = x;
	return S2P_OK;
}

/* Add the comma list of scene ids in v to ids. */
static int
parse_ids(const char *v, struct s2p_strv *ids, struct s2p_error *err)
{
	char *dup = s2p_xstrdup(v), *c = dup;
	int rc = S2P_OK;

	while (c && *c) {
		char *comma = strchr(c, ',');
		long x;

		if (comma)
			*comma = '\0';
		rc = parse_long("pending-scene", c, 1, 100000000, &x, err);
		if (rc != S2P_OK)
			break;
		s2p_strv_push_take(ids, s2p_xasprintf("%ld", x));
		c = comma ? comma + 1 : NULL;
	}
	free(dup);
	return rc;
}

/* The synthetic path as Plex sees it (--plex-root replaces --root). */
static char *
plex_path(const struct fake_plex *p, const char *path)
{
	size_t n = strlen(p->root);

	if (p->plex_root && strncmp(path, p->root, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0'))
		return s2p_xasprintf("%s%s", p->plex_root, path + n);
	return s2p_xstrdup(path);
}

static void
build_library(struct fake_plex *p, const struct fake_opts *o,
    const struct s2p_strv *pending, long extra_dup)
{
	struct synth_lib lib;
	size_t i;
	long d;

	synth_generate(&lib, o->scenes, o->seed, o->root);
	for (i = 0; i < lib.n; i++) {
		const struct synth_scene *s = &lib.v[i];
		struct synth_plex_meta m;
		struct agent a;
		char *file = plex_path(p, s->path);
		char idbuf[32];
		long sec = section_for(p, file);

		synth_plex_initial(s, o->seed, &m);
		agent_from_synth(&a, &m);
		snprintf(idbuf, sizeof(idbuf), "%ld", s->id);
		if (s2p_strv_find(pending, idbuf) >= 0 || sec < 0)
			pending_add(p, file, &a);
		else
			item_create(p, (size_t)sec, file, &a,
			    1700000000L + (long)i * 60 + 30);
		agent_free(&a);
		synth_plex_meta_free(&m);
		free(file);
	}
	/* Same basename, other folder: ambiguity for basename lookups. */
	for (d = 0; d < extra_dup && lib.n > 0; d++) {
		const struct synth_scene *s = &lib.v[(size_t)d % lib.n];
		const char *base = strrchr(s->path, '/');
		char *dir = s2p_xasprintf("%s/Duplicates %ld",
		    p->plex_root ? p->plex_root : p->root, d + 1);
		char *file = s2p_xasprintf("%s%s", dir, base);
		long sec = section_for(p, file);
		struct agent a;

		agent_from_file(&a, file);
		if (sec >= 0)
			item_create(p, (size_t)sec, file, &a,
			    1690000000L + d * 60);
		agent_free(&a);
		free(file);
		free(dir);
	}
	synth_free(&lib);
}

int
fake_plex_new(struct fake_plex **out, int argc, char **argv,
    struct fake_opts *opts, struct s2p_error *err)
{
	struct fake_plex *p = s2p_xcalloc(1, sizeof(*p));
	struct s2p_strv extra_roots = {0}, specs = {0}, pending = {0};
	long extra_dup = 0;
	int i = 1, rc = S2P_OK, r, bad = 0;
	size_t k;

	*out = NULL;
	p->strict = 1;
	p->truncate_tags = 1;
	p->scan_ms = 200;
	p->next_rk = FIRST_RK;
	p->next_media = 2001;
	p->next_tag_id = 11;
	p->token = s2p_xstrdup("fake-plex-token");
	p->friendly = s2p_xstrdup("fake-pms");
	while (i < argc) {
		const char *v;

		r = fake_opts_parse(opts, argc, argv, &i);
		if (r < 0) {
			rc = s2p_error_set(err, S2P_EINVAL, "bad option");
			goto out;
		}
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--strict") == 0) {
			p->strict = 1;
			i++;
		} else if (strcmp(argv[i], "--no-strict") == 0) {
			p->strict = 0;
			i++;
		} else if (strcmp(argv[i], "--loose-file") == 0) {
			p->loose_file = 1;
			i++;
		} else if (strcmp(argv[i], "--no-truncate-tags") == 0) {
			p->truncate_tags = 0;
			i++;
		} else if ((v = fake_opt_value(argc, argv, &i, "token",
				&bad))) {
			free(p->token);
			p->token = s2p_xstrdup(v);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "section-root",
			 &bad))) {
			s2p_strv_push(&extra_roots, v);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "section", &bad))) {
			s2p_strv_push(&specs, v);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "plex-root", &bad))) {
			free(p->plex_root);
			p->plex_root = s2p_xstrdup(v);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "pending-scene",
			 &bad))) {
			rc = parse_ids(v, &pending, err);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "extra-dup", &bad))) {
			rc = parse_long("extra-dup", v, 0, 1000000, &extra_dup,
			    err);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "scan-ms", &bad))) {
			rc = parse_long("scan-ms", v, 0, 3600000, &p->scan_ms,
			    err);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "page-cap", &bad))) {
			rc = parse_long("page-cap", v, 0, 100000000,
			    &p->page_cap, err);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "machine-id", &bad))) {
			snprintf(p->machine_id, sizeof(p->machine_id), "%s", v);
		} else if (!bad &&
		    (v = fake_opt_value(argc, argv, &i, "friendly-name",
			 &bad))) {
			free(p->friendly);
			p->friendly = s2p_xstrdup(v);
		} else if (!bad) {
			rc = s2p_error_set(err, S2P_EINVAL,
			    "unknown option '%s'", argv[i]);
		}
		if (bad && rc == S2P_OK)
			rc = s2p_error_set(err, S2P_EINVAL, "missing value");
		if (rc != S2P_OK)
			goto out;
	}
	p->root = s2p_xstrdup(opts->root);
	if (!p->machine_id[0]) {
		char *seedtxt = s2p_xasprintf("fake-plex-%llu",
		    (unsigned long long)opts->seed);

		fake_sha1_hex(seedtxt, strlen(seedtxt), p->machine_id);
		free(seedtxt);
	}
	section_add(p, "1", "Scenes", "movie");
	s2p_strv_push(&p->sec[0].locs, p->plex_root ? p->plex_root : p->root);
	for (k = 0; k < extra_roots.n; k++)
		s2p_strv_push(&p->sec[0].locs, extra_roots.v[k]);
	for (k = 0; k < specs.n && rc == S2P_OK; k++)
		rc = parse_section(p, specs.v[k], err);
	if (rc != S2P_OK)
		goto out;
	build_library(p, opts, &pending, extra_dup);
	*out = p;
	p = NULL;
out:
	s2p_strv_free(&extra_roots);
	s2p_strv_free(&specs);
	s2p_strv_free(&pending);
	fake_plex_free(p);
	return rc;
}

void
fake_plex_free(struct fake_plex *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsec; i++) {
		free(p->sec[i].key);
		free(p->sec[i].title);
		free(p->sec[i].type);
		s2p_strv_free(&p->sec[i].locs);
	}
	free(p->sec);
	for (i = 0; i < p->nitems; i++)
		item_free(p->items[i]);
	free(p->items);
	for (i = 0; i < p->npend; i++) {
		free(p->pend[i].file);
		agent_free(&p->pend[i].agent);
	}
	free(p->pend);
	for (i = 0; i < p->ntagids; i++)
		free(p->tagids[i].name);
	free(p->tagids);
	free(p->token);
	free(p->friendly);
	free(p->latin1_rk);
	free(p->root);
	free(p->plex_root);
	for (i = 0; i < LIST_MEMOS; i++) {
		free(p->memo[i].key);
		free(p->memo[i].v);
	}
	free(p);
}

/* --- responses ------------------------------------------------------ */

static int
type_num(const char *type)
{
	if (strcmp(type, "movie") == 0)
		return 1;
	if (strcmp(type, "show") == 0)
		return 2;
	if (strcmp(type, "episode") == 0)
		return 4;
	return 0;
}

/* The metadata type of items in section s. */
static const char *
item_type(const struct fake_plex *p, const struct item *it)
{
	return strcmp(p->sec[it->section].type, "show") == 0 ? "episode"
							     : "movie";
}

static const char *
reason(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Request Entity Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

/* PMS error bodies: the HTML template, or for 503 the Maintenance
 * Response element. Always with X-Plex-Protocol. */
static void
pms_error(struct fake_resp *resp, int status)
{
	char *b;

	if (status == 503) {
		fake_resp_set(resp, 503, "text/xml;charset=utf-8",
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<Response code=\"503\" title=\"Maintenance\" "
		    "status=\"Plex Media Server is currently running "
		    "database migrations.\"/>\n");
	} else {
		b = s2p_xasprintf("<html><head><title>%s</title></head><body>"
				  "<h1>%d %s</h1></body></html>",
		    reason(status), status, reason(status));
		fake_resp_set(resp, status, "text/html", b);
		free(b);
	}
	fake_resp_header(resp, "X-Plex-Protocol", "1.0");
}

static void
error_cb(int status, const struct fake_req *req, struct fake_resp *resp,
    void *payload)
{
	(void)req;
	(void)payload;
	pms_error(resp, status);
}

static int
wants_json(const struct fake_req *req)
{
	const char *a = fake_req_header(req, "Accept");

	return a && strstr(a, "application/json") != NULL;
}

/* Send the document rooted at mc (freed here) in the negotiated format. */
static void
send_doc(const struct fake_req *req, struct fake_resp *resp, struct node *mc)
{
	if (wants_json(req)) {
		struct s2p_buf b;

		s2p_buf_init(&b, 0);
		if (s2p_buf_adds(&b, "{\"MediaContainer\":") != S2P_OK)
			abort();
		emit_json_text(&b, mc);
		if (s2p_buf_add(&b, "}", 1) != S2P_OK)
			abort();
		fake_resp_set(resp, 200, "application/json", NULL);
		fake_resp_body(resp, b.data, b.len);
		s2p_buf_free(&b);
	} else {
		struct s2p_buf b;

		s2p_buf_init(&b, 0);
		if (s2p_buf_adds(&b,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") !=
		    S2P_OK)
			abort();
		emit_xml(&b, mc, 0);
		fake_resp_set(resp, 200, "text/xml;charset=utf-8", NULL);
		fake_resp_body(resp, b.data, b.len);
		s2p_buf_free(&b);
	}
	fake_resp_header(resp, "X-Plex-Protocol", "1.0");
	node_free(mc);
}

/* 200 with an empty body (edits, uploads, refreshes). */
static void
send_empty(struct fake_resp *resp)
{
	fake_resp_set(resp, 200, NULL, "");
	fake_resp_header(resp, "X-Plex-Protocol", "1.0");
}

static struct node *
container(void)
{
	return node_new("MediaContainer", "MediaContainer");
}

static void
lib_attrs(struct node *mc, const struct section *s)
{
	a_bool(mc, "allowSync", 1);
	a_str(mc, "identifier", LIB_IDENT);
	if (s) {
		a_int(mc, "librarySectionID", strtol(s->key, NULL, 10));
		a_str(mc, "librarySectionTitle", s->title);
		a_str(mc, "librarySectionUUID", s->uuid);
	}
	a_str(mc, "mediaTagPrefix", "/system/bundle/media/flags/");
	a_int(mc, "mediaTagVersion", 1712000000);
}

/* --- item rendering ------------------------------------------------- */

static char *
url_encode(const char *s)
{
	struct s2p_buf b;

	s2p_buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			rc = s2p_buf_add(&b, s, 1);
		else
			rc = s2p_buf_addf(&b, "%%%02X", c);
		if (rc != S2P_OK)
			abort();
	}
	return s2p_buf_take(&b);
}

static const struct cand *
selected(const struct cands *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].selected)
			return &c->v[i];
	return NULL;
}

/* The show of an episode: the first folder under its section's Location
 * (into title), and a stable ratingKey for it (the season's is one more). */
static long
show_key(const struct fake_plex *p, const struct item *it, char *title,
    size_t len)
{
	const struct section *s = &p->sec[it->section];
	const char *f = it->files.n ? it->files.v[0] : "";
	unsigned long h = 5381;
	size_t j, n;

	snprintf(title, len, "%s", s->title);
	for (j = 0; j < s->locs.n; j++) {
		size_t l = strlen(s->locs.v[j]);

		if (strncmp(f, s->locs.v[j], l) == 0 && f[l] == '/') {
			n = strcspn(f + l + 1, "/");
			if (f[l + 1 + n] == '/')
				snprintf(title, len, "%.*s", (int)n, f + l + 1);
			break;
		}
	}
	for (j = 0; title[j]; j++)
		h = h * 33 + (unsigned char)title[j];
	return 800000 + (long)(h % 50000) * 2;
}

/* Append the item element for it to mc: full (details) or as a listing
 * shows it (truncated tags, no locks, section on the container). */
static void
item_node(struct fake_plex *p, struct node *mc, const struct item *it, int full,
    int guids)
{
	const struct section *s = &p->sec[it->section];
	const char *type = item_type(p, it);
	struct node *v = node_kid(mc, "Video", "Metadata");
	char buf[128];
	size_t i;
	int t;

	a_str(v, "ratingKey", it->rk);
	snprintf(buf, sizeof(buf), "/library/metadata/%s", it->rk);
	a_str(v, "key", buf);
	a_str(v, "guid", it->guid);
	a_str(v, "type", type);
	a_str(v, "title", it->text[F_TITLE] ? it->text[F_TITLE] : "");
	a_str(v, "titleSort", it->text[F_TITLESORT]);
	a_str(v, "originalTitle", it->text[F_ORIGTITLE]);
	a_str(v, "editionTitle", it->text[F_EDITION]);
	if (full) {
		a_int(v, "librarySectionID", strtol(s->key, NULL, 10));
		snprintf(buf, sizeof(buf), "/library/sections/%s", s->key);
		a_str(v, "librarySectionKey", buf);
		a_str(v, "librarySectionTitle", s->title);
	}
	if (strcmp(type, "episode") == 0) {
		char show[128];
		long srk = show_key(p, it, show, sizeof(show));

		/* show -> season 1 -> episode; the show is the first folder
		 * under the Location */
		a_str(v, "grandparentTitle", show);
		a_int(v, "grandparentRatingKey", srk);
		snprintf(buf, sizeof(buf), "/library/metadata/%ld", srk);
		a_str(v, "grandparentKey", buf);
		a_str(v, "parentTitle", "Season 1");
		a_int(v, "parentRatingKey", srk + 1);
		snprintf(buf, sizeof(buf), "/library/metadata/%ld", srk + 1);
		a_str(v, "parentKey", buf);
		a_int(v, "parentIndex", 1);
		a_int(v, "index", strtol(it->rk, NULL, 10));
	}
	a_str(v, "studio", it->text[F_STUDIO]);
	a_str(v, "contentRating", it->text[F_CRATING]);
	a_str(v, "summary", it->text[F_SUMMARY] ? it->text[F_SUMMARY] : "");
	a_str(v, "tagline", it->text[F_TAGLINE]);
	if (it->rating >= 0)
		a_real(v, "rating", it->rating);
	if (it->audience_rating >= 0)
		a_real(v, "audienceRating", it->audience_rating);
	if (it->user_rating >= 0)
		a_real(v, "userRating", it->user_rating);
	if (it->year >= 0)
		a_int(v, "year", it->year);
	a_str(v, "originallyAvailableAt", it->text[F_DATE]);
	a_int(v, "duration", 1800000);
	snprintf(buf, sizeof(buf), "/library/metadata/%s/thumb/%ld", it->rk,
	    it->img_ts[0]);
	a_str(v, "thumb", buf);
	snprintf(buf, sizeof(buf), "/library/metadata/%s/art/%ld", it->rk,
	    it->img_ts[1]);
	a_str(v, "art", buf);
	a_int(v, "addedAt", it->added_at);
	a_int(v, "updatedAt", it->updated_at);
	{
		struct node *m = node_kid(v, "Media", NULL);

		a_int(m, "id", it->media_id);
		a_int(m, "duration", 1800000);
		a_str(m, "videoResolution", "1080");
		a_str(m, "container", "mp4");
		for (i = 0; i < it->files.n; i++) {
			struct node *pt = node_kid(m, "Part", NULL);

			a_int(pt, "id", it->part_id0 + (long)i);
			snprintf(buf, sizeof(buf),
			    "/library/parts/%ld/%ld/"
			    "file.mp4",
			    it->part_id0 + (long)i, it->added_at);
			a_str(pt, "key", buf);
			a_int(pt, "duration", 1800000);
			a_str(pt, "file", it->files.v[i]);
			a_int(pt, "size", 104857600 + (long long)i);
			a_str(pt, "container", "mp4");
		}
	}
	for (t = 0; t < NTAG; t++) {
		size_t lim = it->tags[t].n;

		if (!full && p->truncate_tags && lim > 3)
			lim = 3;
		for (i = 0; i < lim; i++) {
			struct node *g = node_kid(v, tagtypes[t].el, NULL);
			const char *name = it->tags[t].v[i];

			if (full || !p->truncate_tags) {
				long id = tag_id(p, t, name);

				a_int(g, "id", id);
				snprintf(buf, sizeof(buf), "%s=%ld",
				    tagtypes[t].name, id);
				a_str(g, "filter", buf);
			}
			a_str(g, "tag", name);
		}
	}
	if (full || guids) {
		struct node *g = node_kid(v, "Guid", NULL);

		snprintf(buf, sizeof(buf), "imdb://tt%07ld",
		    strtol(it->rk, NULL, 10));
		a_str(g, "id", buf);
	}
	if (full)
		for (i = 0; i < it->locked.n; i++) {
			struct node *f = node_kid(v, "Field", NULL);

			a_bool(f, "locked", 1);
			a_str(f, "name", it->locked.v[i]);
		}
}

/* --- routes: server and sections ------------------------------------ */

static void
route_identity(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	struct node *mc = container();

	a_int(mc, "size", 0);
	a_bool(mc, "claimed", 1);
	a_str(mc, "machineIdentifier", p->machine_id);
	a_str(mc, "version", PMS_VERSION);
	send_doc(req, resp, mc);
}

static void
route_root(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	struct node *mc = container(), *d;

	a_int(mc, "size", 1);
	a_str(mc, "friendlyName", p->friendly);
	a_str(mc, "machineIdentifier", p->machine_id);
	a_str(mc, "version", PMS_VERSION);
	a_str(mc, "platform", "Linux");
	a_str(mc, "platformVersion", "6.1");
	a_bool(mc, "myPlex", 1);
	a_str(mc, "myPlexSigninState", "ok");
	a_bool(mc, "multiuser", 1);
	a_bool(mc, "allowMediaDeletion", 1);
	a_int(mc, "transcoderActiveVideoSessions", 0);
	a_int(mc, "updatedAt", 1712000000);
	d = node_kid(mc, "Directory", NULL);
	a_int(d, "count", 1);
	a_str(d, "key", "library");
	a_str(d, "title", "library");
	send_doc(req, resp, mc);
}

static void
route_library(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	struct node *mc = container(), *d;

	(void)p;
	a_int(mc, "size", 1);
	a_bool(mc, "allowSync", 0);
	a_str(mc, "identifier", LIB_IDENT);
	a_str(mc, "title1", "Plex Library");
	d = node_kid(mc, "Directory", NULL);
	a_str(d, "key", "sections");
	a_str(d, "title", "Library Sections");
	send_doc(req, resp, mc);
}

static void
route_sections(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	struct node *mc = container();
	double t = s2p_monotonic();
	size_t i, j;

	a_int(mc, "size", (long long)p->nsec);
	a_bool(mc, "allowSync", 0);
	a_str(mc, "identifier", LIB_IDENT);
	a_str(mc, "mediaTagPrefix", "/system/bundle/media/flags/");
	a_int(mc, "mediaTagVersion", 1712000000);
	a_str(mc, "title1", "Plex Library");
	for (i = 0; i < p->nsec; i++) {
		const struct section *s = &p->sec[i];
		struct node *d = node_kid(mc, "Directory", NULL);
		int movie = strcmp(s->type, "movie") == 0;

		a_bool(d, "allowSync", 1);
		a_bool(d, "filters", 1);
		a_bool(d, "refreshing", t < s->refresh_until);
		a_str(d, "thumb",
		    movie ? "/:/resources/movie.png" : "/:/resources/show.png");
		a_str(d, "key", s->key);
		a_str(d, "type", s->type);
		a_str(d, "title", s->title);
		a_str(d, "agent",
		    movie ? "tv.plex.agents.movie" : "tv.plex.agents.series");
		a_str(d, "scanner", movie ? "Plex Movie" : "Plex TV Series");
		a_str(d, "language", "en-US");
		a_str(d, "uuid", s->uuid);
		a_int(d, "updatedAt", 1712000000);
		a_int(d, "createdAt", 1600000000);
		a_int(d, "scannedAt", s->scanned_at);
		a_bool(d, "content", 1);
		a_bool(d, "directory", 1);
		a_int(d, "hidden", 0);
		for (j = 0; j < s->locs.n; j++) {
			struct node *l = node_kid(d, "Location", NULL);

			a_int(l, "id", (long long)(i * 100 + j + 1));
			a_str(l, "path", s->locs.v[j]);
		}
	}
	send_doc(req, resp, mc);
}

static void
route_section_details(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, const struct section *s)
{
	struct node *mc = container(), *d;

	(void)p;
	a_int(mc, "size", 1);
	a_bool(mc, "allowSync", 0);
	a_str(mc, "identifier", LIB_IDENT);
	a_int(mc, "librarySectionID", strtol(s->key, NULL, 10));
	a_str(mc, "title1", s->title);
	a_str(mc, "viewGroup", "secondary");
	d = node_kid(mc, "Directory", NULL);
	a_str(d, "key", "all");
	a_str(d, "title", "All");
	send_doc(req, resp, mc);
}

/* --- listing -------------------------------------------------------- */

enum sortkey { S_TITLESORT, S_TITLE, S_ADDED, S_UPDATED, S_RK };

struct sortspec {
	enum sortkey k[4];
	int desc[4];
	int n;
};

static int
casecmp_utf8(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int x = tolower((unsigned char)*a),
		    y = tolower((unsigned char)*b);

		if (x != y)
			return x - y;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static const char *
sort_title(const struct item *it)
{
	if (it->text[F_TITLESORT])
		return it->text[F_TITLESORT];
	return it->text[F_TITLE] ? it->text[F_TITLE] : "";
}

static int
item_cmp(const struct item *a, const struct item *b, const struct sortspec *sp)
{
	int i, c = 0;

	for (i = 0; i < sp->n && c == 0; i++) {
		switch (sp->k[i]) {
		case S_TITLESORT:
			c = casecmp_utf8(sort_title(a), sort_title(b));
			break;
		case S_TITLE:
			c = casecmp_utf8(a->text[F_TITLE] ? a->text[F_TITLE]
							  : "",
			    b->text[F_TITLE] ? b->text[F_TITLE] : "");
			break;
		case S_ADDED:
			c = (a->added_at > b->added_at) -
			    (a->added_at < b->added_at);
			break;
		case S_UPDATED:
			c = (a->updated_at > b->updated_at) -
			    (a->updated_at < b->updated_at);
			break;
		case S_RK:
			c = 0;
			break;
		}
		if (sp->desc[i])
			c = -c;
	}
	if (c == 0) {
		long x = strtol(a->rk, NULL, 10), y = strtol(b->rk, NULL, 10);

		c = (x > y) - (x < y);
	}
	return c;
}

/* Stable merge sort with a context (qsort_r is not POSIX). */
static void
msort(struct item **v, struct item **tmp, size_t n, const struct sortspec *sp)
{
	size_t h = n / 2, i = 0, j = h, o = 0;

	if (n < 2)
		return;
	msort(v, tmp, h, sp);
	msort(v + h, tmp, n - h, sp);
	while (i < h && j < n)
		tmp[o++] = item_cmp(v[j], v[i], sp) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* "sort=field[:desc][,field2...]", fields optionally prefixed "movie.".
 * Unknown fields are 400 in strict mode (PMS validates sorts). */
static int
parse_sort(const char *v, struct sortspec *sp)
{
	char *dup = s2p_xstrdup(v), *c = dup;
	int rc = 0;

	sp->n = 0;
	while (c && *c && sp->n < 4) {
		char *comma = strchr(c, ','), *colon, *dot;

		if (comma)
			*comma = '\0';
		colon = strchr(c, ':');
		sp->desc[sp->n] = 0;
		if (colon) {
			*colon = '\0';
			sp->desc[sp->n] = strcmp(colon + 1, "desc") == 0;
		}
		dot = strrchr(c, '.');
		if (dot)
			c = dot + 1;
		if (strcmp(c, "titleSort") == 0)
			sp->k[sp->n++] = S_TITLESORT;
		else if (strcmp(c, "title") == 0)
			sp->k[sp->n++] = S_TITLE;
		else if (strcmp(c, "addedAt") == 0)
			sp->k[sp->n++] = S_ADDED;
		else if (strcmp(c, "updatedAt") == 0)
			sp->k[sp->n++] = S_UPDATED;
		else if (strcmp(c, "id") == 0 || strcmp(c, "ratingKey") == 0)
			sp->k[sp->n++] = S_RK;
		else
			rc = -1;
		c = comma ? comma + 1 : NULL;
	}
	free(dup);
	return rc;
}

/* In a show section PMS needs to know which level a sort field belongs to
 * (python-plexapi always sends "episode.addedAt:desc"): every field must
 * carry the prefix of the listed type. Unsure how a real server treats an
 * unprefixed one, the fake refuses it (stricter). 1 when acceptable. */
static int
sort_level_ok(const char *v, long type)
{
	const char *want = type == 2 ? "show."
	    : type == 3              ? "season."
				     : "episode.";
	const char *c = v;

	while (*c) {
		size_t n = strcspn(c, ",");

		if (strncmp(c, want, strlen(want)) != 0 || strlen(want) >= n)
			return 0;
		c += n;
		if (*c == ',')
			c++;
	}
	return 1;
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n)
		return 1;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i]; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Does title match the media-query string operator in key suffix op
 * ("" contains, "=" equals, "!" not contains, "!=" not equal, "<"
 * begins with, ">" ends with)? -1 for an unknown operator. */
static int
str_op(const char *op, const char *have, const char *want)
{
	size_t hl = strlen(have), wl = strlen(want);

	if (!*op)
		return contains_ci(have, want);
	if (strcmp(op, "=") == 0)
		return casecmp_utf8(have, want) == 0;
	if (strcmp(op, "!") == 0)
		return !contains_ci(have, want);
	if (strcmp(op, "!=") == 0)
		return casecmp_utf8(have, want) != 0;
	if (strcmp(op, "<") == 0)
		return strncasecmp(have, want, wl) == 0;
	if (strcmp(op, ">") == 0)
		return hl >= wl && strcasecmp(have + hl - wl, want) == 0;
	return -1;
}

static int
file_match(const struct fake_plex *p, const struct item *it, const char *v)
{
	const char *slash = strrchr(v, '/');
	size_t i;

	for (i = 0; i < it->files.n; i++) {
		const char *f = it->files.v[i];

		if (p->loose_file && slash) {
			/* loose: every file in the same directory */
			size_t dl = (size_t)(slash - v);
			const char *fs = strrchr(f, '/');

			if (fs && (size_t)(fs - f) == dl &&
			    strncmp(f, v, dl) == 0)
				return 1;
		} else if (strstr(f, v)) {
			return 1;
		}
	}
	return 0;
}

/* Paging from headers, else query params. -1 when absent or bad. */
static long
paging(const struct fake_req *req, const char *name)
{
	const char *v = fake_req_header(req, name);
	char *end;
	long x;

	if (!v)
		v = fake_req_arg(req, name);
	if (!v)
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < 0)
		return -1;
	return x;
}

/* 1 when query argument k is a title filter ("title", "title=", ...). */
static int
title_arg(const char *k)
{
	return strncmp(k, "title", 5) == 0 &&
	    (k[5] == '\0' || strchr("=!<>", k[5]));
}

/* What a listing's order depends on besides the model: section, type,
 * sort and every filter (new string). */
static char *
list_key(const struct fake_req *req, size_t si, long type,
    const struct sortspec *sp, const char *file)
{
	struct s2p_buf b;
	size_t a;
	int i, rc;

	s2p_buf_init(&b, 0);
	rc = s2p_buf_addf(&b, "%zu\x1f%ld\x1f%s\x1f", si, type,
	    file ? file : "\x1e");
	for (i = 0; rc == S2P_OK && i < sp->n; i++)
		rc = s2p_buf_addf(&b, "%d%c", (int)sp->k[i],
		    sp->desc[i] ? 'd' : 'a');
	for (a = 0; rc == S2P_OK && a < req->nargs; a++)
		if (title_arg(req->args[a].key))
			rc = s2p_buf_addf(&b, "\x1f%s\x1f%s", req->args[a].key,
			    req->args[a].value);
	s2p_assert(rc == S2P_OK);
	return s2p_buf_take(&b);
}

/* The section's items that pass the request's filters, sorted (new array,
 * items borrowed): O(n log n). */
static struct item **
list_build(struct fake_plex *p, const struct fake_req *req, size_t si,
    long type, const char *file, const struct sortspec *sp, size_t *nout)
{
	struct item **v = s2p_xcalloc(p->nitems + 1, sizeof(*v)), **tmp;
	size_t n = 0, i, a;

	for (i = 0; i < p->nitems; i++) {
		struct item *it = p->items[i];
		int ok = it->section == si;

		if (ok && type != -1)
			ok = type == type_num(item_type(p, it));
		if (ok && file)
			ok = file_match(p, it, file);
		for (a = 0; ok && a < req->nargs; a++) {
			const char *k = req->args[a].key;

			if (title_arg(k))
				ok = str_op(k + 5,
					 it->text[F_TITLE] ? it->text[F_TITLE]
							   : "",
					 req->args[a].value) > 0;
		}
		if (ok)
			v[n++] = it;
	}
	tmp = s2p_xcalloc(n + 1, sizeof(*tmp));
	msort(v, tmp, n, sp);
	free(tmp);
	*nout = n;
	return v;
}

/* The sorted listing for this request, from the memo when the model has
 * not changed since it was built (a walk through 200 pages sorts once):
 * borrowed, valid until the model changes. */
static struct item **
list_order(struct fake_plex *p, const struct fake_req *req, size_t si,
    long type, const char *file, const struct sortspec *sp, size_t *nout)
{
	char *key = list_key(req, si, type, sp, file);
	struct list_memo *m, *slot = &p->memo[0];
	size_t i;

	for (i = 0; i < LIST_MEMOS; i++) {
		m = &p->memo[i];
		if (m->key && m->gen == p->gen && strcmp(m->key, key) == 0) {
			free(key);
			m->used = ++p->memo_clock;
			*nout = m->n;
			return m->v;
		}
		if (m->key == NULL || m->gen != p->gen ||
		    (slot->key != NULL && slot->gen == p->gen &&
			m->used < slot->used))
			slot = m;
	}
	free(slot->key);
	free(slot->v);
	slot->key = key;
	slot->gen = p->gen;
	slot->used = ++p->memo_clock;
	slot->v = list_build(p, req, si, type, file, sp, &slot->n);
	*nout = slot->n;
	return slot->v;
}

/* GET /library/sections/K/all: the section's items, filtered, sorted and
 * paged. The order is built once per model generation (list_order), so a
 * page costs its own size. */
static void
route_list(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, size_t si)
{
	const struct section *s = &p->sec[si];
	const char *type_s = fake_req_arg(req, "type");
	const char *file = fake_req_arg(req, "file");
	const char *sort = fake_req_arg(req, "sort");
	const char *limit_s = fake_req_arg(req, "limit");
	const char *guids = fake_req_arg(req, "includeGuids");
	struct item **v;
	struct sortspec sp = {{S_TITLESORT}, {0}, 1};
	struct node *mc;
	long type = -1, start, size, limit = -1;
	size_t n = 0, i, total;
	char buf[32];

	if (type_s) {
		char *end;

		type = strtol(type_s, &end, 10);
		if (end == type_s || *end)
			type = -2; /* matches nothing */
	}
	if (!type_s && file && p->strict) {
		pms_error(resp, 500);
		return;
	}
	if (sort && p->strict && strcmp(s->type, "show") == 0 &&
	    !sort_level_ok(sort, type)) {
		pms_error(resp, 400);
		return;
	}
	if (sort && parse_sort(sort, &sp) != 0) {
		if (p->strict) {
			pms_error(resp, 400);
			return;
		}
		sp.n = 1;
		sp.k[0] = S_TITLESORT;
		sp.desc[0] = 0;
	}
	if (limit_s)
		limit = strtol(limit_s, NULL, 10);
	v = list_order(p, req, si, type, file, &sp, &n);
	if (limit >= 0 && (size_t)limit < n)
		n = (size_t)limit;
	total = n;
	start = paging(req, "X-Plex-Container-Start");
	size = paging(req, "X-Plex-Container-Size");
	if (start < 0)
		start = 0;
	if ((size_t)start > total)
		start = (long)total;
	if (size < 0)
		size = (long)total;
	if (p->page_cap > 0 && size > p->page_cap)
		size = p->page_cap;
	if ((size_t)size > total - (size_t)start)
		size = (long)(total - (size_t)start);
	mc = container();
	a_int(mc, "size", size);
	if (limit < 0)
		a_int(mc, "totalSize", (long long)total);
	a_int(mc, "offset", start);
	lib_attrs(mc, s);
	a_str(mc, "title1", s->title);
	a_str(mc, "title2", "All");
	a_str(mc, "viewGroup",
	    strcmp(s->type, "movie") == 0 ? "movie" : "episode");
	for (i = (size_t)start; i < (size_t)start + (size_t)size; i++)
		item_node(p, mc, v[i], 0, guids && strcmp(guids, "1") == 0);
	send_doc(req, resp, mc);
	snprintf(buf, sizeof(buf), "%ld", start);
	fake_resp_header(resp, "X-Plex-Container-Start", buf);
	if (limit < 0) {
		snprintf(buf, sizeof(buf), "%zu", total);
		fake_resp_header(resp, "X-Plex-Container-Total-Size", buf);
	}
}

/* Split a "rk,rk,..." path segment into items. Returns the number of
 * unknown keys; found items go to out (caller frees). */
static size_t
resolve_rks(struct fake_plex *p, const char *list, struct item ***out,
    size_t *n)
{
	char *dup = s2p_xstrdup(list), *c = dup;
	size_t unknown = 0;

	*out = s2p_xcalloc(strlen(list) + 1, sizeof(**out));
	*n = 0;
	while (c) {
		char *comma = strchr(c, ',');
		struct item *it;

		if (comma)
			*comma = '\0';
		it = *c ? item_find(p, c) : NULL;
		if (it) {
			size_t j;
			int dup_it = 0;

			for (j = 0; j < *n; j++)
				dup_it |= (*out)[j] == it;
			if (!dup_it)
				(*out)[(*n)++] = it;
		} else {
			unknown++;
		}
		c = comma ? comma + 1 : NULL;
	}
	free(dup);
	return unknown;
}

/* GET /library/metadata/{rk}[,...]: the known subset; 404 when none is
 * known (a single unknown key is 404). */
static void
route_metadata(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, const char *rks)
{
	struct item **v;
	size_t n, i;
	struct node *mc;

	resolve_rks(p, rks, &v, &n);
	if (!n) {
		pms_error(resp, 404);
		goto out;
	}
	mc = container();
	a_int(mc, "size", (long long)n);
	lib_attrs(mc, &p->sec[v[0]->section]);
	for (i = 0; i < n; i++)
		item_node(p, mc, v[i], 1, 1);
	send_doc(req, resp, mc);
out:
	free(v);
}

/* --- edits ---------------------------------------------------------- */

struct edit {
	int has[NFIELD];
	const char *val[NFIELD];
	int lock[NFIELD + NTAG + 3]; /* -1 unchanged, 0, 1 */
	int tag_set[NTAG];
	struct {
		long idx;
		const char *name;
	} * setv[NTAG];
	size_t nset[NTAG];
	struct s2p_strv tag_del[NTAG];
	int tag_clear[NTAG];
	int any;
};

static void
edit_free(struct edit *e)
{
	int t;

	for (t = 0; t < NTAG; t++) {
		free(e->setv[t]);
		s2p_strv_free(&e->tag_del[t]);
	}
}

static int
find_name(const char *const *names, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return i;
	return -1;
}

static int
tag_index(const char *s, size_t len)
{
	int i;

	for (i = 0; i < NTAG; i++)
		if (strlen(tagtypes[i].name) == len &&
		    strncmp(tagtypes[i].name, s, len) == 0)
			return i;
	return -1;
}

/* Lock slot for a name: fields, then tag types, then images. */
static int
lock_slot(const char *s, size_t len)
{
	int i = find_name(fieldnames, NFIELD, s, len);

	if (i >= 0)
		return i;
	i = tag_index(s, len);
	if (i >= 0)
		return NFIELD + i;
	i = find_name(imagelocks, 3, s, len);
	return i >= 0 ? NFIELD + NTAG + i : -1;
}

static const char *
lock_name(int slot)
{
	if (slot < NFIELD)
		return fieldnames[slot];
	if (slot < NFIELD + NTAG)
		return tagtypes[slot - NFIELD].name;
	return imagelocks[slot - NFIELD - NTAG];
}

/* YYYY-MM-DD[ hh:mm:ss] naming a real calendar day. */
static int
valid_date(const char *v)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31};
	int i, y, m, d;

	if (strlen(v) != 10 && strlen(v) != 19)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? v[i] != '-'
				     : !isdigit((unsigned char)v[i]))
			return 0;
	y = atoi(v);
	m = atoi(v + 5);
	d = atoi(v + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 &&
	    (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

static int
valid_number(const char *v, double lo, double hi, int integer)
{
	char *end;
	double d;

	errno = 0;
	d = integer ? (double)strtoll(v, &end, 10) : strtod(v, &end);
	return !errno && end != v && !*end && d >= lo && d <= hi;
}

/* Parse the edit grammar from req's query. Returns 0, or the HTTP status
 * to answer (400 unknown field in strict mode or invalid field data: a date
 * that is not a calendar day, a number out of range). Keys without '.' or
 * '[' (type, id, include*, X-Plex-*) are
 * not edits and are ignored. */
static int
edit_parse(const struct fake_plex *p, const struct fake_req *req,
    struct edit *e)
{
	size_t a;
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < NFIELD + NTAG + 3; i++)
		e->lock[i] = -1;
	for (a = 0; a < req->nargs; a++) {
		const char *k = req->args[a].key, *v = req->args[a].value;
		size_t plen = strcspn(k, ".[");
		const char *rest = k + plen;
		int f, t;

		if (!*rest)
			continue;
		f = find_name(fieldnames, NFIELD, k, plen);
		t = tag_index(k, plen);
		if (strcmp(rest, ".locked") == 0) {
			int slot = lock_slot(k, plen);

			if (slot < 0)
				goto unknown;
			e->lock[slot] = strcmp(v, "0") != 0;
			e->any = 1;
		} else if (strcmp(rest, ".value") == 0 && f >= 0) {
			if (*v &&
			    ((f == F_DATE && !valid_date(v)) ||
				(f == F_YEAR && !valid_number(v, 0, 9999, 1)) ||
				(f == F_ADDEDAT &&
				    !valid_number(v, 0, 4e9, 1)) ||
				((f == F_USERRATING || f == F_RATING ||
				     f == F_AUDRATING) &&
				    !valid_number(v, 0, 10, 0))))
				return 400;
			e->has[f] = 1;
			e->val[f] = v;
			e->any = 1;
		} else if (t >= 0 && rest[0] == '[') {
			const char *close = strchr(rest, ']');
			const char *suffix = close ? close + 1 : "";
			char *end;
			long idx = -1;

			if (!close)
				goto unknown;
			if (close > rest + 1) {
				idx = strtol(rest + 1, &end, 10);
				if (end != close || idx < 0)
					goto unknown;
			}
			if (idx >= 0 && strcmp(suffix, ".tag.tag") == 0) {
				e->setv[t] = s2p_xrealloc(e->setv[t],
				    (e->nset[t] + 1) * sizeof(*e->setv[t]));
				e->setv[t][e->nset[t]].idx = idx;
				e->setv[t][e->nset[t]].name = v;
				e->nset[t]++;
				e->tag_set[t] = 1;
			} else if (idx < 0 &&
			    strcmp(suffix, ".tag.tag-") == 0) {
				const char *c = v;

				/* split on literal ',', decode each piece */
				while (*c) {
					size_t l = strcspn(c, ",");

					if (l)
						s2p_strv_push_take(&e->tag_del
									[t],
						    fake_url_decode(c, l, 0));
					c += l;
					if (*c == ',')
						c++;
				}
			} else if (idx < 0 && strcmp(suffix, ".tag") == 0 &&
			    !*v) {
				e->tag_clear[t] = 1;
			} else if (idx >= 0 &&
			    strncmp(suffix, ".tagging.", 9) == 0) {
				/* association info: accepted, not modelled */
			} else {
				goto unknown;
			}
			e->any = 1;
		} else {
			goto unknown;
		}
		continue;
	unknown:
		if (p->strict)
			return 400;
	}
	return 0;
}

static void
edit_apply(struct fake_plex *p, const struct edit *e, struct item *it)
{
	int f, t, i;

	for (f = 0; f < NFIELD; f++) {
		const char *v = e->val[f];

		if (!e->has[f])
			continue;
		if (f < NTEXT)
			set_text(it, f, v);
		if (f == F_DATE)
			it->year = *v ? year_of(v) : -1;
		else if (f == F_YEAR)
			it->year = *v ? strtol(v, NULL, 10) : -1;
		else if (f == F_USERRATING)
			it->user_rating = *v ? strtod(v, NULL) : -1;
		else if (f == F_RATING)
			it->rating = *v ? strtod(v, NULL) : -1;
		else if (f == F_AUDRATING)
			it->audience_rating = *v ? strtod(v, NULL) : -1;
		else if (f == F_ADDEDAT && *v)
			it->added_at = strtol(v, NULL, 10);
	}
	for (t = 0; t < NTAG; t++) {
		struct s2p_strv nv = {0};
		size_t j;

		if (e->tag_clear[t])
			set_tags(p, it, t, &nv);
		if (e->tag_set[t]) {
			/* the indexed names, in index order, replace */
			long idx, maxidx = -1;

			for (j = 0; j < e->nset[t]; j++)
				if (e->setv[t][j].idx > maxidx)
					maxidx = e->setv[t][j].idx;
			for (idx = 0; idx <= maxidx; idx++)
				for (j = 0; j < e->nset[t]; j++)
					if (e->setv[t][j].idx == idx)
						s2p_strv_push(&nv,
						    e->setv[t][j].name);
			set_tags(p, it, t, &nv);
		}
		if (e->tag_del[t].n) {
			struct s2p_strv keep = {0};

			for (j = 0; j < it->tags[t].n; j++)
				if (s2p_strv_find(&e->tag_del[t],
					it->tags[t].v[j]) < 0)
					s2p_strv_push(&keep, it->tags[t].v[j]);
			set_tags(p, it, t, &keep);
			s2p_strv_free(&keep);
		}
		s2p_strv_free(&nv);
	}
	for (i = 0; i < NFIELD + NTAG + 3; i++)
		if (e->lock[i] >= 0)
			set_lock(it, lock_name(i), e->lock[i]);
	if (e->any)
		it->updated_at = now_epoch();
}

/* 1 when e touches a field or tag type an episode does not have (python-
 * plexapi's EpisodeEditMixins: title, titleSort, summary, contentRating,
 * originallyAvailableAt, the ratings, addedAt; collection, director,
 * label, writer). Where a real server's answer is unknown the fake refuses
 * (400) rather than store what PMS would not. */
static int
episode_lacks(const struct edit *e)
{
	static const int fields[] = {F_ORIGTITLE, F_EDITION, F_TAGLINE,
	    F_STUDIO, F_YEAR};
	static const int tags[] = {T_GENRE, T_COUNTRY, T_PRODUCER, T_ACTOR};
	size_t i;

	for (i = 0; i < S2P_ARRAY_LEN(fields); i++)
		if (e->has[fields[i]] || e->lock[fields[i]] >= 0)
			return 1;
	for (i = 0; i < S2P_ARRAY_LEN(tags); i++) {
		int t = tags[i];

		if (e->tag_set[t] || e->tag_clear[t] || e->tag_del[t].n ||
		    e->lock[NFIELD + t] >= 0)
			return 1;
	}
	return 0;
}

/* 1 when some of v[0..n) are episodes and e edits what they lack. */
static int
edit_unfit(const struct fake_plex *p, const struct edit *e,
    struct item *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(item_type(p, v[i]), "episode") == 0 &&
		    episode_lacks(e))
			return 1;
	return 0;
}

/* PUT /library/sections/{key}/all (form A): id selects items; without id
 * every item of `type` in the section is edited. */
static void
route_edit_a(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, size_t si)
{
	const char *type_s = fake_req_arg(req, "type");
	const char *ids = fake_req_arg(req, "id");
	struct item **v = NULL;
	struct edit e;
	size_t n = 0, i;
	long type;
	int st;

	st = edit_parse(p, req, &e);
	if (st) {
		pms_error(resp, st);
		goto out;
	}
	if (!type_s && p->strict) {
		pms_error(resp, 400);
		goto out;
	}
	type = type_s
	    ? strtol(type_s, NULL, 10)
	    : type_num(
		  strcmp(p->sec[si].type, "show") == 0 ? "episode" : "movie");
	if (ids) {
		if (resolve_rks(p, ids, &v, &n) > 0) {
			pms_error(resp, 404);
			goto out;
		}
	} else {
		v = s2p_xcalloc(p->nitems + 1, sizeof(*v));
		for (i = 0; i < p->nitems; i++)
			v[n++] = p->items[i];
	}
	if (p->strict && edit_unfit(p, &e, v, n)) {
		pms_error(resp, 400);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (v[i]->section == si && type_num(item_type(p, v[i])) == type)
			edit_apply(p, &e, v[i]);
	send_empty(resp);
out:
	free(v);
	edit_free(&e);
}

/* PUT /library/metadata/{rk}[,...] (form B). */
static void
route_edit_b(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, const char *rks)
{
	struct item **v = NULL;
	struct edit e;
	size_t n = 0, i;
	int st;

	st = edit_parse(p, req, &e);
	if (st) {
		pms_error(resp, st);
		goto out;
	}
	if (resolve_rks(p, rks, &v, &n) > 0 || n == 0) {
		pms_error(resp, 404);
		goto out;
	}
	if (p->strict && edit_unfit(p, &e, v, n)) {
		pms_error(resp, 400);
		goto out;
	}
	for (i = 0; i < n; i++)
		edit_apply(p, &e, v[i]);
	send_empty(resp);
out:
	free(v);
	edit_free(&e);
}

/* PUT /:/rate?key=&identifier=&rating= (0..10 sets, -1 clears). */
static void
route_rate(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	const char *key = fake_req_arg(req, "key");
	const char *ident = fake_req_arg(req, "identifier");
	const char *rating = fake_req_arg(req, "rating");
	struct item *it;
	double r;

	if (!key || !ident || !rating || strcmp(ident, LIB_IDENT) != 0 ||
	    !valid_number(rating, -1, 10, 0)) {
		pms_error(resp, 400);
		return;
	}
	r = strtod(rating, NULL);
	if (r < 0 && r != -1) {
		pms_error(resp, 400);
		return;
	}
	it = item_find(p, key);
	if (!it) {
		pms_error(resp, 404);
		return;
	}
	it->user_rating = r;
	it->updated_at = now_epoch();
	send_empty(resp);
}

/* --- images --------------------------------------------------------- */

static void
bump_image(struct item *it, int k)
{
	long t = now_epoch();

	it->img_ts[k] = t > it->img_ts[k] ? t : it->img_ts[k] + 1;
	it->updated_at = t;
}

static void
select_cand(struct cands *c, size_t idx)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		c->v[i].selected = i == idx;
}

/* The image type the bytes' signature names ("image/png", ...), or NULL. */
static const char *
sniff_image(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "image/jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	if (n >= 6 &&
	    (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	return NULL;
}

/* Upload (body bytes, else url=) a poster (k=0) or art (k=1). Stricter
 * than Plex is known to be: uploaded bytes must be an image whose type
 * the Content-Type names (400 otherwise). */
static void
image_upload(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, struct item *it, int k)
{
	const char *url = fake_req_arg(req, "url");
	struct cands *c = &it->img[k];
	char *rk, *key = NULL, *enc;
	size_t i;

	(void)p;
	if (req->body_len == 0 && (!url || !*url)) {
		pms_error(resp, 400);
		return;
	}
	if (req->body_len > 0) {
		const char *ct = fake_req_header(req, "Content-Type");
		const char *is = sniff_image((const unsigned char *)req->body,
		    req->body_len);
		char hex[41];

		if (is == NULL || ct == NULL ||
		    strncasecmp(ct, is, strlen(is)) != 0) {
			pms_error(resp, 400);
			return;
		}
		fake_sha1_hex(req->body, req->body_len, hex);
		rk = s2p_xasprintf("upload://%s/%s", k ? "art" : "posters",
		    hex);
		enc = url_encode(rk);
		key = s2p_xasprintf("/library/metadata/%s/file?url=%s", it->rk,
		    enc);
		free(enc);
		for (i = 0; i < c->n && strcmp(c->v[i].rk, rk) != 0; i++)
			;
		if (i == c->n) {
			struct cand *x = cand_add(c, rk, key, NULL);

			memcpy(x->sha1, hex, sizeof(hex));
			x->bytes = s2p_xmalloc(req->body_len);
			memcpy(x->bytes, req->body, req->body_len);
			x->len = req->body_len;
		}
	} else {
		rk = s2p_xstrdup(url);
		for (i = 0; i < c->n && strcmp(c->v[i].rk, rk) != 0; i++)
			;
		if (i == c->n)
			cand_add(c, rk, rk, NULL);
	}
	select_cand(c, i);
	set_lock(it, imagelocks[k], 1);
	bump_image(it, k);
	free(rk);
	free(key);
	send_empty(resp);
}

/* PUT /library/metadata/{rk}/poster?url=<candidate ratingKey>. */
static void
image_select(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, struct item *it, int k)
{
	const char *url = fake_req_arg(req, "url");
	struct cands *c = &it->img[k];
	size_t i;

	if (req->body_len > 0) {
		image_upload(p, req, resp, it, k);
		return;
	}
	if (!url || !*url) {
		pms_error(resp, 400);
		return;
	}
	for (i = 0; i < c->n && strcmp(c->v[i].rk, url) != 0; i++)
		;
	if (i == c->n) {
		pms_error(resp, 404);
		return;
	}
	select_cand(c, i);
	set_lock(it, imagelocks[k], 1);
	bump_image(it, k);
	send_empty(resp);
}

static void
image_list(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, struct item *it, int k)
{
	struct cands *c = &it->img[k];
	struct node *mc = container();
	size_t i;

	a_int(mc, "size", (long long)c->n);
	a_str(mc, "identifier", LIB_IDENT);
	a_int(mc, "librarySectionID",
	    strtol(p->sec[it->section].key, NULL, 10));
	a_str(mc, "mediaTagPrefix", "/system/bundle/media/flags/");
	for (i = 0; i < c->n; i++) {
		struct node *ph = node_kid(mc, "Photo", "Metadata");

		a_str(ph, "key", c->v[i].key);
		a_str(ph, "ratingKey", c->v[i].rk);
		a_bool(ph, "selected", c->v[i].selected);
		a_str(ph, "thumb", c->v[i].key);
		a_str(ph, "provider", c->v[i].provider);
	}
	send_doc(req, resp, mc);
}

/* Image bytes of candidate x (uploads keep theirs; others get a stub). */
static void
image_bytes(struct fake_resp *resp, const struct cand *x)
{
	static const unsigned char stub[] = {0xff, 0xd8, 0xff, 0xe0, 'F', 'A',
	    'K', 'E', 0xff, 0xd9};

	fake_resp_set(resp, 200, "image/jpeg", NULL);
	if (x && x->bytes)
		fake_resp_body(resp, x->bytes, x->len);
	else
		fake_resp_body(resp, stub, sizeof(stub));
	fake_resp_header(resp, "X-Plex-Protocol", "1.0");
}

/* --- scanning ------------------------------------------------------- */

static int
in_scope(const char *file, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return strncmp(file, path, n) == 0 &&
	    (file[n] == '/' || file[n] == '\0');
}

/* Start a scan of section si (optionally only under path). Pending files
 * it covers appear when it ends (scan_ms later). */
static void
scan_start(struct fake_plex *p, size_t si, const char *path, int force)
{
	struct section *s = &p->sec[si];
	double until = s2p_monotonic() + (double)p->scan_ms / 1000.0;
	size_t i;

	s->refresh_until = until;
	s->scanned_at = now_epoch();
	for (i = 0; i < p->npend; i++) {
		struct pending *pe = &p->pend[i];

		if (section_for(p, pe->file) != (long)si)
			continue;
		if (path && *path && !in_scope(pe->file, path))
			continue;
		pe->due = until;
	}
	if (force)
		for (i = 0; i < p->nitems; i++)
			if (p->items[i]->section == si)
				agent_reset(p, p->items[i]);
	process_scans(p);
}

static void
scan_cancel(struct fake_plex *p, size_t si)
{
	size_t i;

	p->sec[si].refresh_until = 0;
	for (i = 0; i < p->npend; i++)
		if (section_for(p, p->pend[i].file) == (long)si)
			p->pend[i].due = 0;
}

static void
route_refresh(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, long si)
{
	const char *path = fake_req_arg(req, "path");
	const char *force = fake_req_arg(req, "force");
	int del = strcmp(req->method, "DELETE") == 0;
	size_t i;

	for (i = 0; i < p->nsec; i++) {
		if (si >= 0 && (size_t)si != i)
			continue;
		if (del)
			scan_cancel(p, i);
		else
			scan_start(p, i, path,
			    force && strcmp(force, "1") == 0);
	}
	send_empty(resp);
}

/* --- dispatch ------------------------------------------------------- */

static int
method_is(const struct fake_req *req, const char *m)
{
	return strcmp(req->method, m) == 0;
}

/* Split path into at most max segments (copies in buf). */
static size_t
split_path(const char *path, char *buf, size_t bufsz, char **seg, size_t max)
{
	size_t n = 0;
	char *c;

	snprintf(buf, bufsz, "%s", path);
	c = buf;
	while (*c == '/')
		c++;
	while (*c && n < max) {
		char *sl = strchr(c, '/');

		seg[n++] = c;
		if (!sl)
			return n;
		*sl = '\0';
		c = sl + 1;
	}
	/* Segments left over (exactly max segments is not "too many"). */
	if (*c && n == max)
		return max + 1;
	return n;
}

static int
token_ok(const struct fake_plex *p, const struct fake_req *req)
{
	const char *t = fake_req_header(req, "X-Plex-Token");

	if (!t)
		t = fake_req_arg(req, "X-Plex-Token");
	return t && strcmp(t, p->token) == 0;
}

static void
route_item(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp, char **seg, size_t n)
{
	int get = method_is(req, "GET") || method_is(req, "HEAD");
	struct item *it;
	int k;

	if (n == 3) {
		if (get)
			route_metadata(p, req, resp, seg[2]);
		else if (method_is(req, "PUT"))
			route_edit_b(p, req, resp, seg[2]);
		else
			pms_error(resp, 404);
		return;
	}
	it = item_find(p, seg[2]);
	if (!it) {
		pms_error(resp, 404);
		return;
	}
	if (n == 4 &&
	    (strcmp(seg[3], "refresh") == 0 ||
		strcmp(seg[3], "analyze") == 0) &&
	    method_is(req, "PUT")) {
		if (strcmp(seg[3], "refresh") == 0) {
			agent_reset(p, it);
			it->updated_at = now_epoch();
		}
		send_empty(resp);
		return;
	}
	if (n == 4 &&
	    (strcmp(seg[3], "posters") == 0 || strcmp(seg[3], "arts") == 0)) {
		k = seg[3][0] == 'a';
		if (get)
			image_list(p, req, resp, it, k);
		else if (method_is(req, "POST"))
			image_upload(p, req, resp, it, k);
		else
			pms_error(resp, 404);
		return;
	}
	if (n == 4 &&
	    (strcmp(seg[3], "thumb") == 0 || strcmp(seg[3], "poster") == 0 ||
		strcmp(seg[3], "art") == 0)) {
		k = seg[3][0] == 'a';
		if (method_is(req, "POST"))
			image_upload(p, req, resp, it, k);
		else if (method_is(req, "PUT"))
			image_select(p, req, resp, it, k);
		else if (get)
			image_bytes(resp, selected(&it->img[k]));
		else
			pms_error(resp, 404);
		return;
	}
	if (n == 5 && get &&
	    (strcmp(seg[3], "thumb") == 0 || strcmp(seg[3], "art") == 0)) {
		image_bytes(resp, selected(&it->img[seg[3][0] == 'a']));
		return;
	}
	if (n == 4 && get && strcmp(seg[3], "file") == 0) {
		const char *url = fake_req_arg(req, "url");
		size_t i;

		for (k = 0; k < 2 && url; k++)
			for (i = 0; i < it->img[k].n; i++)
				if (strcmp(it->img[k].v[i].rk, url) == 0) {
					image_bytes(resp, &it->img[k].v[i]);
					return;
				}
		pms_error(resp, 404);
		return;
	}
	pms_error(resp, 404);
}

static void
route_request(struct fake_plex *p, const struct fake_req *req,
    struct fake_resp *resp)
{
	int get = method_is(req, "GET") || method_is(req, "HEAD");
	char buf[2048], *seg[8];
	size_t n;
	long si;

	process_scans(p);
	if (!get)
		p->gen++; /* every write may change what a listing shows */
	n = split_path(req->path, buf, sizeof(buf), seg, 7);
	if (n == 1 && strcmp(seg[0], "identity") == 0 && get) {
		route_identity(p, req, resp);
		return;
	}
	resp->token_ok = token_ok(p, req);
	if (!resp->token_ok) {
		pms_error(resp, 401);
		return;
	}
	if (n == 0 && get) {
		route_root(p, req, resp);
	} else if (n == 1 && strcmp(seg[0], "library") == 0 && get) {
		route_library(p, req, resp);
	} else if (n == 2 && strcmp(seg[0], ":") == 0 &&
	    strcmp(seg[1], "rate") == 0 && method_is(req, "PUT")) {
		route_rate(p, req, resp);
	} else if (n >= 2 && strcmp(seg[0], "library") == 0 &&
	    strcmp(seg[1], "sections") == 0) {
		if (n == 2 || (n == 3 && strcmp(seg[2], "all") == 0)) {
			if (get)
				route_sections(p, req, resp);
			else
				pms_error(resp, 404);
			return;
		}
		if (n == 4 && strcmp(seg[2], "all") == 0 &&
		    strcmp(seg[3], "refresh") == 0 && !method_is(req, "PUT")) {
			route_refresh(p, req, resp, -1);
			return;
		}
		si = section_index(p, seg[2]);
		if (si < 0 || n > 4) {
			pms_error(resp, 404);
		} else if (n == 3 && get) {
			route_section_details(p, req, resp, &p->sec[si]);
		} else if (n == 4 && strcmp(seg[3], "all") == 0 && get) {
			route_list(p, req, resp, (size_t)si);
		} else if (n == 4 && strcmp(seg[3], "all") == 0 &&
		    method_is(req, "PUT")) {
			route_edit_a(p, req, resp, (size_t)si);
		} else if (n == 4 && strcmp(seg[3], "refresh") == 0 &&
		    !method_is(req, "PUT")) {
			route_refresh(p, req, resp, si);
		} else {
			pms_error(resp, 404);
		}
	} else if (n >= 3 && n <= 5 && strcmp(seg[0], "library") == 0 &&
	    strcmp(seg[1], "metadata") == 0) {
		route_item(p, req, resp, seg, n);
	} else {
		pms_error(resp, 404);
	}
}

/* s (UTF-8) as Latin-1 bytes (new string), or NULL when s has no
 * character above U+007F or one above U+00FF. */
static char *
latin1_of(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = s2p_xmalloc(strlen(s) + 1), *o = out;
	int wide = 0;

	while (*u) {
		if (*u < 0x80) {
			*o++ = (char)*u++;
		} else if ((*u == 0xC2 || *u == 0xC3) &&
		    (u[1] & 0xC0) == 0x80) {
			*o++ = (char)(((*u & 0x03) << 6) | (u[1] & 0x3F));
			u += 2;
			wide = 1;
		} else {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	if (!wide) {
		free(out);
		return NULL;
	}
	return out;
}

/* First occurrence of needle (n > 0 bytes) in hay[0..len), or NULL. */
static const char *
find_bytes(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The latin1_rk switch: a file system whose names are not UTF-8 (a Latin-1
 * disk), which PMS reports byte for byte, so the reply is not valid UTF-8.
 * Every occurrence of that item's files in the body is re-encoded. */
static void
recode_latin1(struct fake_plex *p, struct fake_resp *resp)
{
	const struct item *it = p->latin1_rk ? item_find(p, p->latin1_rk)
					     : NULL;
	size_t i;

	for (i = 0; it != NULL && i < it->files.n; i++) {
		const char *f = it->files.v[i];
		char *l1 = latin1_of(f);
		size_t fl = strlen(f), ll, at = 0;
		struct s2p_buf nb;
		const char *b, *hit;

		if (l1 == NULL || resp->body.data == NULL) {
			free(l1);
			continue;
		}
		ll = strlen(l1);
		b = resp->body.data;
		s2p_buf_init(&nb, 0);
		while ((hit = find_bytes(b + at, resp->body.len - at, f, fl))) {
			if (s2p_buf_add(&nb, b + at, (size_t)(hit - b) - at) ||
			    s2p_buf_add(&nb, l1, ll))
				abort();
			at = (size_t)(hit - b) + fl;
		}
		if (s2p_buf_add(&nb, b + at, resp->body.len - at))
			abort();
		fake_resp_body(resp, nb.data, nb.len);
		s2p_buf_free(&nb);
		free(l1);
	}
}

static void
handler(const struct fake_req *req, struct fake_resp *resp, void *payload)
{
	struct fake_plex *p = payload;

	route_request(p, req, resp);
	recode_latin1(p, resp);
}

/* --- control: state and test hooks ---------------------------------- */

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
strv_json(const struct s2p_strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *
item_state(const struct fake_plex *p, const struct item *it)
{
	json_t *o = json_object();
	const struct cand *th = selected(&it->img[0]);
	const struct cand *ar = selected(&it->img[1]);
	char buf[128];
	int t;

	json_object_set_new(o, "ratingKey", json_string(it->rk));
	json_object_set_new(o, "section", json_string(p->sec[it->section].key));
	json_object_set_new(o, "type", json_string(item_type(p, it)));
	json_object_set_new(o, "title", jstr(it->text[F_TITLE]));
	json_object_set_new(o, "titleSort", jstr(it->text[F_TITLESORT]));
	json_object_set_new(o, "originalTitle", jstr(it->text[F_ORIGTITLE]));
	json_object_set_new(o, "editionTitle", jstr(it->text[F_EDITION]));
	json_object_set_new(o, "summary", jstr(it->text[F_SUMMARY]));
	json_object_set_new(o, "tagline", jstr(it->text[F_TAGLINE]));
	json_object_set_new(o, "studio", jstr(it->text[F_STUDIO]));
	json_object_set_new(o, "contentRating", jstr(it->text[F_CRATING]));
	json_object_set_new(o, "originallyAvailableAt", jstr(it->text[F_DATE]));
	json_object_set_new(o, "year",
	    it->year >= 0 ? json_integer(it->year) : json_null());
	json_object_set_new(o, "userRating",
	    it->user_rating >= 0 ? json_real(it->user_rating) : json_null());
	json_object_set_new(o, "rating",
	    it->rating >= 0 ? json_real(it->rating) : json_null());
	json_object_set_new(o, "audienceRating",
	    it->audience_rating >= 0 ? json_real(it->audience_rating)
				     : json_null());
	for (t = 0; t < NTAG; t++)
		json_object_set_new(o, tagtypes[t].state,
		    strv_json(&it->tags[t]));
	json_object_set_new(o, "locked", strv_json(&it->locked));
	json_object_set_new(o, "files", strv_json(&it->files));
	json_object_set_new(o, "thumbSha1",
	    th && th->sha1[0] ? json_string(th->sha1) : json_null());
	json_object_set_new(o, "artSha1",
	    ar && ar->sha1[0] ? json_string(ar->sha1) : json_null());
	json_object_set_new(o, "thumbSelected",
	    th ? json_string(th->rk) : json_null());
	json_object_set_new(o, "artSelected",
	    ar ? json_string(ar->rk) : json_null());
	snprintf(buf, sizeof(buf), "/library/metadata/%s/thumb/%ld", it->rk,
	    it->img_ts[0]);
	json_object_set_new(o, "thumb", json_string(buf));
	snprintf(buf, sizeof(buf), "/library/metadata/%s/art/%ld", it->rk,
	    it->img_ts[1]);
	json_object_set_new(o, "art", json_string(buf));
	json_object_set_new(o, "addedAt", json_integer(it->added_at));
	json_object_set_new(o, "updatedAt", json_integer(it->updated_at));
	return o;
}

static json_t *
state_cb(void *payload)
{
	struct fake_plex *p = payload;
	json_t *o = json_object(), *secs = json_array(), *items = json_array();
	json_t *pend = json_array();
	double t;
	size_t i;

	process_scans(p);
	t = s2p_monotonic();
	for (i = 0; i < p->nsec; i++)
		json_array_append_new(secs,
		    json_pack("{s:s, s:s, s:s, s:s, "
			      "s:o, s:b}",
			"key", p->sec[i].key, "title", p->sec[i].title, "type",
			p->sec[i].type, "uuid", p->sec[i].uuid, "locations",
			strv_json(&p->sec[i].locs), "refreshing",
			t < p->sec[i].refresh_until));
	for (i = 0; i < p->nitems; i++)
		json_array_append_new(items, item_state(p, p->items[i]));
	for (i = 0; i < p->npend; i++)
		json_array_append_new(pend,
		    json_pack("{s:s, s:b}", "file", p->pend[i].file, "scanning",
			p->pend[i].due > 0));
	json_object_set_new(o, "server",
	    json_pack("{s:s, s:s, s:s, s:b, "
		      "s:b, s:b, s:I, s:I}",
		"machineIdentifier", p->machine_id, "version", PMS_VERSION,
		"friendlyName", p->friendly, "strict", p->strict, "loose_file",
		p->loose_file, "truncate_tags", p->truncate_tags, "scan_ms",
		(json_int_t)p->scan_ms, "page_cap", (json_int_t)p->page_cap));
	json_object_set_new(o, "sections", secs);
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "pending", pend);
	return o;
}

static int
json_strv(json_t *a, struct s2p_strv *out)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return -1;
		s2p_strv_push(out, json_string_value(v));
	}
	return 0;
}

/* POST /item: update (ratingKey given) or create (files given) an item
 * "from outside" (as another Plex user would). Returns the item state. */
static void
ctl_item(struct fake_plex *p, json_t *j, struct fake_resp *resp)
{
	json_t *rk = json_object_get(j, "ratingKey"), *v;
	struct item *it = NULL;
	int f, t;

	if (json_is_string(rk)) {
		it = item_find(p, json_string_value(rk));
		if (!it) {
			fake_resp_json(resp, 404,
			    json_pack("{s:s}", "error", "no such ratingKey"));
			return;
		}
	} else {
		struct s2p_strv files = {0};
		struct agent a;
		json_t *sj = json_object_get(j, "section");
		long sec = -1;

		/* "section": "K" puts the item in that section (two
		 * libraries sharing a folder); else the Location decides. */
		if (json_strv(json_object_get(j, "files"), &files) == 0 &&
		    files.n > 0)
			sec = json_is_string(sj)
			    ? section_index(p, json_string_value(sj))
			    : section_for(p, files.v[0]);
		if (sec < 0) {
			s2p_strv_free(&files);
			fake_resp_json(resp, 400,
			    json_pack("{s:s}", "error",
				"need ratingKey, or files under a section"));
			return;
		}
		agent_from_file(&a, files.v[0]);
		it = item_create(p, (size_t)sec, files.v[0], &a, now_epoch());
		s2p_strv_free(&it->files);
		it->files = files;
		agent_free(&a);
	}
	for (f = 0; f < NTEXT; f++) {
		v = json_object_get(j, fieldnames[f]);
		if (json_is_string(v) || json_is_null(v))
			set_text(it, f, json_string_value(v));
	}
	v = json_object_get(j, "year");
	if (json_is_integer(v) || json_is_null(v))
		it->year = v && json_is_integer(v) ? (long)json_integer_value(v)
						   : -1;
	v = json_object_get(j, "userRating");
	if (json_is_number(v) || json_is_null(v))
		it->user_rating = json_is_number(v) ? json_number_value(v) : -1;
	for (t = 0; t < NTAG; t++) {
		struct s2p_strv tv = {0};

		if (json_strv(json_object_get(j, tagtypes[t].state), &tv) == 0)
			set_tags(p, it, t, &tv);
		s2p_strv_free(&tv);
	}
	v = json_object_get(j, "locked");
	if (json_is_array(v)) {
		s2p_strv_free(&it->locked);
		(void)json_strv(v, &it->locked);
	}
	v = json_object_get(j, "files");
	if (json_is_array(v) && json_is_string(rk)) {
		struct s2p_strv files = {0};

		if (json_strv(v, &files) == 0 && files.n) {
			s2p_strv_free(&it->files);
			it->files = files;
		} else {
			s2p_strv_free(&files);
		}
	}
	v = json_object_get(j, "addedAt");
	if (json_is_integer(v))
		it->added_at = (long)json_integer_value(v);
	v = json_object_get(j, "updatedAt");
	it->updated_at = json_is_integer(v) ? (long)json_integer_value(v)
					    : now_epoch();
	fake_resp_json(resp, 200, item_state(p, it));
}

/* POST /config: change knobs at run time. */
static void
ctl_config(struct fake_plex *p, json_t *j, struct fake_resp *resp)
{
	json_t *v;

	if ((v = json_object_get(j, "strict")) && json_is_boolean(v))
		p->strict = json_is_true(v);
	if ((v = json_object_get(j, "loose_file")) && json_is_boolean(v))
		p->loose_file = json_is_true(v);
	if ((v = json_object_get(j, "truncate_tags")) && json_is_boolean(v))
		p->truncate_tags = json_is_true(v);
	if ((v = json_object_get(j, "scan_ms")) && json_is_integer(v))
		p->scan_ms = (long)json_integer_value(v);
	if ((v = json_object_get(j, "page_cap")) && json_is_integer(v))
		p->page_cap = (long)json_integer_value(v);
	if ((v = json_object_get(j, "latin1_rk")) &&
	    (json_is_string(v) || json_is_null(v))) {
		free(p->latin1_rk);
		p->latin1_rk = json_is_string(v)
		    ? s2p_xstrdup(json_string_value(v))
		    : NULL;
	}
	if ((v = json_object_get(j, "token")) && json_is_string(v)) {
		free(p->token);
		p->token = s2p_xstrdup(json_string_value(v));
	}
	fake_resp_json(resp, 200, json_object());
}

static int
control_cb(const struct fake_req *req, struct fake_resp *resp, void *payload)
{
	struct fake_plex *p = payload;
	char buf[1024], *seg[4];
	size_t n = split_path(req->path, buf, sizeof(buf), seg, 3);
	json_t *j = NULL;
	int post = method_is(req, "POST");

	process_scans(p);
	if (!method_is(req, "GET") && !method_is(req, "HEAD"))
		p->gen++; /* items created, edited, deleted; knobs changed */
	if (post) {
		j = json_loads(req->body_len ? req->body : "{}", 0, NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			fake_resp_json(resp, 400,
			    json_pack("{s:s}", "error",
				"body must be a JSON object"));
			return 1;
		}
	}
	if (n == 1 && strcmp(seg[0], "item") == 0 && post) {
		ctl_item(p, j, resp);
	} else if (n == 2 && strcmp(seg[0], "item") == 0 &&
	    method_is(req, "DELETE")) {
		struct item *it = item_find(p, seg[1]);

		if (it) {
			item_delete(p, it);
			fake_resp_json(resp, 200, json_object());
		} else {
			fake_resp_json(resp, 404,
			    json_pack("{s:s}", "error", "no such ratingKey"));
		}
	} else if (n == 3 && strcmp(seg[0], "item") == 0 &&
	    strcmp(seg[2], "rekey") == 0 && post) {
		/* deleted and re-added: same data, new ratingKey */
		struct item *it = item_find(p, seg[1]);

		if (it) {
			free(it->rk);
			it->rk = s2p_xasprintf("%ld", p->next_rk++);
			it->added_at = it->updated_at = now_epoch();
			item_to_end(p, it);
			fake_resp_json(resp, 200,
			    json_pack("{s:s}", "ratingKey", it->rk));
		} else {
			fake_resp_json(resp, 404,
			    json_pack("{s:s}", "error", "no such ratingKey"));
		}
	} else if (n == 1 && strcmp(seg[0], "pending") == 0 && post) {
		json_t *f = json_object_get(j, "file");
		struct agent a;

		if (!json_is_string(f)) {
			fake_resp_json(resp, 400,
			    json_pack("{s:s}", "error", "file missing"));
		} else {
			agent_from_file(&a, json_string_value(f));
			if (json_is_string(json_object_get(j, "title"))) {
				free(a.title);
				a.title = s2p_xstrdup(json_string_value(
				    json_object_get(j, "title")));
			}
			pending_add(p, json_string_value(f), &a);
			agent_free(&a);
			fake_resp_json(resp, 200, json_object());
		}
	} else if (n == 1 && strcmp(seg[0], "config") == 0 && post) {
		ctl_config(p, j, resp);
	} else {
		json_decref(j);
		return 0;
	}
	json_decref(j);
	return 1;
}

void
fake_plex_config(struct fake_plex *p, struct fake_server_config *cfg)
{
	cfg->name = "fake-plex";
	cfg->handler = handler;
	cfg->error = error_cb;
	cfg->state = state_cb;
	cfg->control = control_cb;
	cfg->payload = p;
	cfg->secret_args = secret_args;
	cfg->secret_headers = secret_headers;
	cfg->record_bodies = 0;
}
