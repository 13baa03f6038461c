/*
 * cabundle.c - finding the CA certificates (see cabundle.h). Only the
 * existence and readability of files are checked here; libcurl parses them.
 * The message for "none found" names both ways to fix it, because the user
 * who sees it (a health check in Stash's log) may not know which applies.
 */
#include "net/cabundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const s2p_ca_default_paths[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Fedora, RHEL, CentOS */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
    "/etc/ssl/ca-bundle.pem",                            /* openSUSE */
    "/etc/pki/tls/cacert.pem",                           /* OpenELEC */
    "/etc/ssl/cert.pem", /* Alpine, BSDs, macOS */
    NULL,
};

/* 0 when path is a readable regular file, else an errno value. */
static int
readable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EISDIR;
	return access(path, R_OK) == 0 ? 0 : errno;
}

/* 0 when path is a searchable directory, else an errno value. */
static int
readable_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	return access(path, R_OK | X_OK) == 0 ? 0 : errno;
}

/* Record a found source; a path too long for out->path counts as absent. */
static int
take(struct s2p_ca *out, enum s2p_ca_kind kind, const char *path)
{
	if (strlen(path) >= sizeof(out->path))
		return 0;
	out->kind = kind;
	snprintf(out->path, sizeof(out->path), "%s", path);
	return 1;
}

/* A source the user named but that cannot be used: say which and why. */
static void
named_bad(struct s2p_ca *out, const char *what, const char *path, int e)
{
	out->kind = S2P_CA_NONE;
	snprintf(out->msg, sizeof(out->msg),
	    "no CA certificates for HTTPS: %s=%s cannot be read (%s)", what,
	    path, strerror(e));
}

void
s2p_ca_find(const char *configured, const char *const *paths,
    struct s2p_ca *out)
{
	const char *env;
	size_t i;
	int e;

	memset(out, 0, sizeof(*out));
	if (paths == NULL)
		paths = s2p_ca_default_paths;
	if (configured != NULL && configured[0] != '\0') {
		e = readable_file(configured);
		if (e == 0 && take(out, S2P_CA_FILE, configured))
			return;
		named_bad(out, "plex_ca_file", configured,
		    e ? e : ENAMETOOLONG);
		return;
	}
	env = getenv("SSL_CERT_FILE");
	if (env != NULL && env[0] != '\0') {
		e = readable_file(env);
		if (e == 0 && take(out, S2P_CA_FILE, env))
			return;
		named_bad(out, "SSL_CERT_FILE", env, e ? e : ENAMETOOLONG);
		return;
	}
	env = getenv("SSL_CERT_DIR");
	if (env != NULL && env[0] != '\0') {
		e = readable_dir(env);
		if (e == 0 && take(out, S2P_CA_DIR, env))
			return;
		named_bad(out, "SSL_CERT_DIR", env, e ? e : ENAMETOOLONG);
		return;
	}
	for (i = 0; paths[i] != NULL; i++)
		if (readable_file(paths[i]) == 0 &&
		    take(out, S2P_CA_FILE, paths[i]))
			return;
	snprintf(out->msg, sizeof(out->msg),
	    "no CA certificate bundle found for HTTPS (looked in %s and the "
	    "other usual paths); set SSL_CERT_FILE or the plex_ca_file "
	    "setting to a PEM bundle",
	    paths[0] ? paths[0] : "(none)");
}
