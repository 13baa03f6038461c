/*
 * err.c - status names, retry classes and the error-detail buffer. See err.h
 * for the convention.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
s2p_error_set(struct s2p_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
s2p_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "stash2plex: %s:%d: assertion failed: %s\n", file, line,
	    what);
	abort();
}

void
s2p_error_clear(struct s2p_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

const char *
s2p_status_name(int code)
{
	switch (code) {
	case S2P_OK:
		return "ok";
	case S2P_EINVAL:
		return "invalid";
	case S2P_EPARSE:
		return "parse";
	case S2P_EIO:
		return "io";
	case S2P_EDOWN:
		return "down";
	case S2P_ETEMP:
		return "temporary";
	case S2P_ENOTFOUND:
		return "not_found";
	case S2P_EAUTH:
		return "auth";
	case S2P_EPERM:
		return "permanent";
	case S2P_EBUSY:
		return "busy";
	case S2P_ESTOP:
		return "stopped";
	case S2P_EDISK:
		return "disk";
	case S2P_ECORRUPT:
		return "corrupt";
	case S2P_ETLS:
		return "tls";
	}
	return "unknown";
}

enum s2p_err_class
s2p_status_class(int code)
{
	switch (code) {
	case S2P_OK:
		return S2P_CLASS_NONE;
	case S2P_EDOWN:
		return S2P_CLASS_DOWN;
	case S2P_ETEMP:
	case S2P_EIO:
	case S2P_EBUSY:
	case S2P_ESTOP:
		return S2P_CLASS_TRANSIENT;
	case S2P_ENOTFOUND:
		return S2P_CLASS_NOTFOUND;
	default:
		/* EINVAL, EPARSE, EAUTH, EPERM, EDISK, ECORRUPT, ETLS and
		 * anything unknown. A reply we cannot parse will not parse
		 * better on retry; a full disk or a corrupt database stops the
		 * run. */
		return S2P_CLASS_PERMANENT;
	}
}

int
s2p_status_from_name(const char *name)
{
	int code;

	for (code = 0; code >= S2P_ETLS; code--)
		if (name != NULL && strcmp(s2p_status_name(code), name) == 0)
			return code;
	return 1;
}

const char *
s2p_class_name(enum s2p_err_class cls)
{
	switch (cls) {
	case S2P_CLASS_NONE:
		return "none";
	case S2P_CLASS_DOWN:
		return "server-down";
	case S2P_CLASS_TRANSIENT:
		return "transient";
	case S2P_CLASS_NOTFOUND:
		return "not-found";
	case S2P_CLASS_PERMANENT:
		break;
	}
	return "permanent";
}

enum s2p_err_class
s2p_class_of_name(const char *name)
{
	int code = s2p_status_from_name(name);

	return code > 0 ? S2P_CLASS_PERMANENT : s2p_status_class(code);
}
