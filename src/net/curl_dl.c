/*
 * curl_dl.c - libcurl, loaded on first use. On a glibc distribution,
 * linking libcurl makes every process start pay for its dependencies'
 * constructors (GnuTLS, p11-kit, Kerberos...): about 10 ms, most of a
 * hook's cost although hooks never touch the network. This file defines the
 * few libcurl entry points we call and forwards each to the real libcurl,
 * dlopen()ed the first time one is used. It is linked into the stash2plex
 * binary only (CMake option S2P_CURL_DLOPEN); static builds link libcurl
 * itself and leave this file out.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

static void *lib;

/* Address of name in libcurl, loading it on first use; NULL on failure. */
static void *
sym(const char *name)
{
	if (lib == NULL)
		lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
	return lib ? dlsym(lib, name) : NULL;
}

/* Fill the static pointer fn from libcurl once, or goto missing. */
#define RESOLVE(fn, name)                                                      \
	do {                                                                   \
		if (fn == NULL) {                                              \
			void *p_ = sym(name);                                  \
			if (p_ == NULL)                                        \
				goto missing;                                  \
			*(void **)(&fn) = p_;                                  \
		}                                                              \
	} while (0)

typedef CURLcode (*global_init_fn)(long);
typedef CURL *(*init_fn)(void);
typedef void (*handle_fn)(CURL *);
typedef CURLcode (*perform_fn)(CURL *);
typedef const char *(*strerror_fn)(CURLcode);
typedef time_t (*getdate_fn)(const char *, const time_t *);
typedef struct curl_slist *(*append_fn)(struct curl_slist *, const char *);
typedef void (*slist_free_fn)(struct curl_slist *);
typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);

CURL *
curl_easy_init(void)
{
	static init_fn f;

	RESOLVE(f, "curl_easy_init");
	return f();
missing:
	return NULL;
}

void
curl_easy_cleanup(CURL *h)
{
	static handle_fn f;

	RESOLVE(f, "curl_easy_cleanup");
	f(h);
	return;
missing:
	return;
}

void
curl_easy_reset(CURL *h)
{
	static handle_fn f;

	RESOLVE(f, "curl_easy_reset");
	f(h);
	return;
missing:
	return;
}

CURLcode
curl_easy_perform(CURL *h)
{
	static perform_fn f;

	RESOLVE(f, "curl_easy_perform");
	return f(h);
missing:
	return CURLE_FAILED_INIT;
}

const char *
curl_easy_strerror(CURLcode c)
{
	static strerror_fn f;

	RESOLVE(f, "curl_easy_strerror");
	return f(c);
missing:
	return "libcurl is not available";
}

time_t
curl_getdate(const char *s, const time_t *unused)
{
	static getdate_fn f;

	RESOLVE(f, "curl_getdate");
	return f(s, unused);
missing:
	return -1;
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	static append_fn f;

	RESOLVE(f, "curl_slist_append");
	return f(l, s);
missing:
	return NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	static slist_free_fn f;

	RESOLVE(f, "curl_slist_free_all");
	f(l);
	return;
missing:
	return;
}

/* The option number encodes the argument's type (curl.h CURLOPTTYPE_*). */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	static setopt_fn f;
	va_list ap;
	CURLcode rc;

	RESOLVE(f, "curl_easy_setopt");
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(h, opt, va_arg(ap, long));
	else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
		rc = f(h, opt, va_arg(ap, curl_off_t));
	else
		rc = f(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
missing:
	return CURLE_FAILED_INIT;
}

/* Every CURLINFO_* takes a pointer. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	static getinfo_fn f;
	va_list ap;
	CURLcode rc;

	RESOLVE(f, "curl_easy_getinfo");
	va_start(ap, info);
	rc = f(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
missing:
	return CURLE_FAILED_INIT;
}

CURLcode
curl_global_init(long flags)
{
	static global_init_fn f;

	RESOLVE(f, "curl_global_init");
	return f(flags);
missing:
	return CURLE_FAILED_INIT;
}
