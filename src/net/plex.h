/*
 * plex.h - the Plex Media Server client. Speaks JSON (Accept:
 * application/json), sends the token only as the X-Plex-Token header (never
 * in a URL, so it cannot reach a log), sends a stable X-Plex-Client-
 * Identifier, and parses replies leniently (unknown attributes ignored,
 * booleans as true/1/"1", ratingKey as an opaque string). Error bodies are
 * never parsed: the status code decides (see http.h).
 */
#ifndef S2P_PLEX_H
#define S2P_PLEX_H

#include <stddef.h>

#include "core/buf.h"
#include "core/compat.h"
#include "core/err.h"
#include "core/strv.h"

struct s2p_plex;

struct s2p_plex_opts {
	const char *url; /* "http://host:32400", no trailing slash needed */
	const char *token;
	const char *client_id; /* persisted UUID */
	long connect_timeout_ms;
	long timeout_ms;
	const char *ca_file; /* plex_ca_file, or NULL (see net/cabundle.h) */
	int tls_insecure;    /* plex_tls_insecure: no certificate check */
};

int s2p_plex_new(struct s2p_plex **out, const struct s2p_plex_opts *opts,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_plex_free(struct s2p_plex *p);
/* Called with the duration (ms) of every request that got an HTTP answer,
 * whatever its status (the worker's latency metrics). */
typedef void (*s2p_plex_observer)(void *arg, double ms);
/* Install fn (NULL removes it); arg is borrowed until it is removed. */
void s2p_plex_set_observer(struct s2p_plex *p, s2p_plex_observer fn, void *arg);
/* See s2p_http_set_io_hooks: around every request of this client. */
void s2p_plex_set_io_hooks(struct s2p_plex *p, void (*leave)(void *),
    void (*enter)(void *), void *arg);

struct s2p_plex_identity {
	char machine_id[128];
	char version[64];
	double latency_ms;
};

/* GET /identity (no token) bounded by timeout_ms for the whole request,
 * connect included. 503 gives S2P_ETEMP. */
int s2p_plex_identity(struct s2p_plex *p, long timeout_ms,
    struct s2p_plex_identity *out, struct s2p_error *err) S2P_NODISCARD;
/* One cheap authenticated call (GET /library/sections with container size 0)
 * to tell a rejected token (S2P_EAUTH) from other failures. */
int s2p_plex_check_token(struct s2p_plex *p, long timeout_ms,
    struct s2p_error *err) S2P_NODISCARD;

struct s2p_plex_section {
	char *key;
	char *type; /* "movie", "show", ... */
	char *title;
	struct s2p_strv locations;
};

struct s2p_plex_sections {
	struct s2p_plex_section *v;
	size_t n;
};

/* GET /library/sections. The caller frees out. */
int s2p_plex_sections(struct s2p_plex *p, struct s2p_plex_sections *out,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_plex_sections_free(struct s2p_plex_sections *s);

/* An item as a listing shows it: enough to index files. */
struct s2p_plex_entry {
	char *rating_key;
	char *title;
	long added_at;
	long updated_at;
	struct s2p_strv files; /* every Part@file of every Media */
	/* NULL, or files.n flags: 1 for a file whose path was not valid UTF-8
	 * (files shows it with U+FFFD; it names no real path exactly) */
	unsigned char *file_bad;
};

struct s2p_plex_page {
	struct s2p_plex_entry *v;
	size_t n;
	long offset;
	long total; /* totalSize, or -1 when the server sent none */
};

/* GET /library/sections/{key}/all?type=N with paging (start, size), optional
 * sort (e.g. "updatedAt:desc") and optional file= hint (a narrowing filter
 * only: callers must compare Part@file themselves). Paging goes as the
 * X-Plex-Container-Start/-Size headers; size < 0 sends no paging at all
 * (size 0 asks for the count only). Entries without a ratingKey are skipped.
 * The caller frees out. */
int s2p_plex_list(struct s2p_plex *p, const char *section_key, int type,
    const char *sort, const char *file_hint, long start, long size,
    struct s2p_plex_page *out, struct s2p_error *err) S2P_NODISCARD;
void s2p_plex_page_free(struct s2p_plex_page *pg);

/* A full item from GET /library/metadata/{rk}. Absent strings are NULL;
 * absent numbers are -1 (user_rating < 0 means none). */
struct s2p_plex_item {
	char *rating_key;
	char *section_id;
	char *type; /* "movie", "episode", ... */
	char *title;
	char *title_sort;
	char *summary;
	char *tagline;
	char *studio;
	char *content_rating;
	char *originally_available_at; /* "YYYY-MM-DD" */
	long year;
	double user_rating;
	char *thumb;
	char *art;
	long added_at;
	long updated_at;
	struct s2p_strv genres;      /* Genre@tag */
	struct s2p_strv actors;      /* Role@tag */
	struct s2p_strv collections; /* Collection@tag */
	struct s2p_strv labels;      /* Label@tag */
	struct s2p_strv locked;      /* Field@name with locked set */
	struct s2p_strv files;       /* every Part@file */
};

/* GET /library/metadata/{rk}. 404, or a reply without Metadata, gives
 * S2P_ENOTFOUND. section_id falls back to the container's librarySectionID.
 * The caller frees out. */
int s2p_plex_get_item(struct s2p_plex *p, const char *rating_key,
    struct s2p_plex_item *out, struct s2p_error *err) S2P_NODISCARD;
void s2p_plex_item_free(struct s2p_plex_item *it);

/* An edit being built: the query string of one PUT. */
struct s2p_plex_edit {
	struct s2p_buf query;
	int nparams;
};

void s2p_plex_edit_init(struct s2p_plex_edit *e);
void s2p_plex_edit_free(struct s2p_plex_edit *e);
/* <field>.value=<value>&<field>.locked=1|0 (value NULL or "" clears). */
void s2p_plex_edit_field(struct s2p_plex_edit *e, const char *field,
    const char *value, int locked);
/* Replace the whole list: <tag>[i].tag.tag=<name>... plus <tag>.locked.
 * An empty list removes every tag of that type, sent as "<tag>[].tag=" (the
 * spec's form, unverified on a real PMS: when the current names are known,
 * s2p_plex_edit_tags_remove is the proven way). tag is the singular edit
 * name: "genre", "actor", "collection", "label". */
void s2p_plex_edit_tags(struct s2p_plex_edit *e, const char *tag,
    const struct s2p_strv *names, int locked);
/* Remove the named tags: <tag>[].tag.tag-=<enc(n1)>,<enc(n2)> (each name
 * encoded, joined, then encoded again). No lock parameter is added (pair it
 * with s2p_plex_edit_lock); an empty list adds nothing. */
void s2p_plex_edit_tags_remove(struct s2p_plex_edit *e, const char *tag,
    const struct s2p_strv *names);
/* <field>.locked=1 alone (e.g. "thumb"). */
void s2p_plex_edit_lock(struct s2p_plex_edit *e, const char *field);

/* PUT /library/sections/{section}/all?type=<type>&id=<rk>&<edit>. Refuses
 * (S2P_EINVAL) an empty rating key or an empty edit. */
int s2p_plex_apply_edit(struct s2p_plex *p, const char *section_id, int type,
    const char *rating_key, const struct s2p_plex_edit *e,
    struct s2p_error *err) S2P_NODISCARD;

/* POST raw image bytes to /library/metadata/{rk}/posters (kind "posters") or
 * /arts (kind "arts") with the given Content-Type (NULL: image/jpeg). Another
 * kind or an empty image gives S2P_EINVAL. */
int s2p_plex_upload_image(struct s2p_plex *p, const char *rating_key,
    const char *kind, const void *data, size_t len, const char *content_type,
    struct s2p_error *err) S2P_NODISCARD;
/* GET /library/sections/{key}/refresh?path=<dir>: scan one folder. */
int s2p_plex_scan_path(struct s2p_plex *p, const char *section_key,
    const char *dir, struct s2p_error *err) S2P_NODISCARD;

/* Plex metadata type number for a section/item type name (movie 1, show 2,
 * episode 4), or 0 when unknown. */
int s2p_plex_type_number(const char *type);

#endif
