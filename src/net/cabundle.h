/*
 * cabundle.h - where the certificates that verify HTTPS servers come from.
 * The static binary has no compiled-in bundle path that fits every system,
 * so every build looks for one itself, in this order: the plex_ca_file
 * setting, SSL_CERT_FILE, SSL_CERT_DIR, then the usual paths of Debian,
 * Alpine, Fedora/RHEL, openSUSE and the BSDs. A source that is named but
 * unreadable is an error of its own (never silently skipped).
 */
#ifndef S2P_CABUNDLE_H
#define S2P_CABUNDLE_H

#include <stddef.h>

enum s2p_ca_kind {
	S2P_CA_NONE, /* nothing usable: msg says why and what to set */
	S2P_CA_FILE, /* path is a PEM bundle (CURLOPT_CAINFO) */
	S2P_CA_DIR,  /* path is a hashed directory (CURLOPT_CAPATH) */
};

struct s2p_ca {
	enum s2p_ca_kind kind;
	char path[512];
	char msg[400]; /* S2P_CA_NONE only: one plain line for the user */
};

/* The usual bundle paths, NULL-terminated. */
extern const char *const s2p_ca_default_paths[];

/* Decide the CA source into out. configured is plex_ca_file (NULL or ""
 * for unset); paths is the search list (NULL: s2p_ca_default_paths).
 * Never fails: out->kind says what was found. */
void s2p_ca_find(const char *configured, const char *const *paths,
    struct s2p_ca *out);

#endif
