/*
 * resil_util.h - helpers for the outage-resilience unit tests: a scratch
 * directory per test (mkdtemp under $TMPDIR or /tmp, removed afterwards) and
 * small file helpers. Header-only so that it needs no CMake change.
 */
#ifndef RESIL_UTIL_H
#define RESIL_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

/* A new empty directory; the caller frees the string after rm_scratch. */
static inline char *
make_scratch(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = s2p_xasprintf("%s/s2p-resil-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");

	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

/* Remove dir and everything in it (one level of subdirectories). */
static inline void
rm_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = s2p_xasprintf("%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			rm_scratch(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Write text to path (not atomically: tests use it to plant bad files). */
static inline int
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Permission bits of path, or -1. */
static inline int
file_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 0777);
}

#endif
