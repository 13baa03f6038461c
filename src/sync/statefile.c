/*
 * statefile.c - locked, atomic JSON state files (see statefile.h).
 */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/xalloc.h"

int
s2p_statefile_lock(const char *path, int *fd_out, struct s2p_error *err)
{
	char *lock = s2p_xasprintf("%s.lock", path);
	int fd, rc = S2P_OK;

	*fd_out = -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = s2p_error_set(err, S2P_EIO, "cannot open lock %s: %s",
		    lock, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		rc = s2p_error_set(err, S2P_EIO, "cannot lock %s: %s", lock,
		    strerror(errno));
		close(fd);
		goto out;
	}
	*fd_out = fd;
out:
	free(lock);
	return rc;
}

void
s2p_statefile_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor drops the flock */
}

int
s2p_statefile_read(const char *path, json_t **out, struct s2p_error *err)
{
	struct s2p_buf b;
	json_error_t jerr;
	int rc;

	*out = NULL;
	s2p_buf_init(&b, S2P_STATEFILE_MAX);
	rc = s2p_read_file(path, &b, err);
	if (rc == S2P_ENOTFOUND)
		goto out;
	if (rc != S2P_OK) {
		/* unreadable or oversized: as useless as a corrupt file */
		rc = s2p_error_set(err, S2P_EPARSE, "%s: unreadable state file",
		    path);
		goto out;
	}
	*out = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	if (*out == NULL)
		rc = s2p_error_set(err, S2P_EPARSE,
		    "%s: invalid JSON at line %d: %s", path, jerr.line,
		    jerr.text);
out:
	s2p_buf_free(&b);
	return rc;
}

int
s2p_statefile_write(const char *path, const json_t *doc, struct s2p_error *err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	char *line = NULL;
	int rc;

	if (text == NULL) {
		rc = s2p_error_set(err, S2P_EIO, "%s: cannot serialise state",
		    path);
		goto out;
	}
	line = s2p_xasprintf("%s\n", text);
	rc = s2p_write_atomic(path, line, strlen(line), 0600, err);
out:
	free(line);
	free(text);
	return rc;
}

int
s2p_statefile_update(const char *path, s2p_statefile_fn fn, void *arg,
    struct s2p_error *err)
{
	struct s2p_error rerr;
	json_t *doc = NULL, *next;
	int fd = -1, read_rc;
	int rc = s2p_statefile_lock(path, &fd, err);

	if (rc != S2P_OK)
		return rc;
	s2p_error_clear(&rerr);
	read_rc = s2p_statefile_read(path, &doc, &rerr);
	next = fn(doc, read_rc, rerr.msg, arg);
	if (next != NULL)
		rc = s2p_statefile_write(path, next, err);
	json_decref(next);
	json_decref(doc);
	s2p_statefile_unlock(fd);
	return rc;
}
