/*
 * fsutil.c - directories, atomic writes, capped reads, flock (see fsutil.h).
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int
s2p_mkdir_p(const char *path, mode_t mode, struct s2p_error *err)
{
	char *p = s2p_xstrdup(path);
	char *s;
	int rc = S2P_OK;

	for (s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = s2p_error_set(err, S2P_EIO,
				    "cannot create directory %s: %s", p,
				    strerror(errno));
				goto out;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
out:
	free(p);
	return rc;
}

int
s2p_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct s2p_error *err)
{
	char *tmp = s2p_xasprintf("%s.tmp.%d", path, (int)getpid());
	const char *p = data;
	int fd, rc = S2P_OK;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0) {
		rc = s2p_error_set(err, S2P_EIO, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fchmod(fd, mode);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = s2p_error_set(err, S2P_EIO, "cannot write %s: %s",
			    tmp, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		rc = s2p_error_set(err, S2P_EIO, "cannot sync %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0)
		rc = s2p_error_set(err, S2P_EIO, "cannot rename %s: %s", tmp,
		    strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc != S2P_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
s2p_read_file(const char *path, struct s2p_buf *out, struct s2p_error *err)
{
	int fd = open(path, O_RDONLY);
	int rc;

	if (fd < 0) {
		if (errno == ENOENT)
			return s2p_error_set(err, S2P_ENOTFOUND, "%s: missing",
			    path);
		return s2p_error_set(err, S2P_EIO, "cannot read %s: %s", path,
		    strerror(errno));
	}
	rc = s2p_buf_read_fd(out, fd);
	close(fd);
	if (rc == S2P_EPARSE)
		return s2p_error_set(err, rc, "%s: larger than %zu bytes", path,
		    out->limit);
	if (rc != S2P_OK)
		return s2p_error_set(err, rc, "cannot read %s", path);
	return S2P_OK;
}

int
s2p_lock_try(const char *path, int *fd_out, struct s2p_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	*fd_out = -1;
	if (fd < 0)
		return s2p_error_set(err, S2P_EIO, "cannot open lock %s: %s",
		    path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return s2p_error_set(err, S2P_EBUSY, "%s is held",
			    path);
		return s2p_error_set(err, S2P_EIO, "cannot lock %s: %s", path,
		    strerror(e));
	}
	*fd_out = fd;
	return S2P_OK;
}

int
s2p_lock_held(const char *path)
{
	int fd;

	if (s2p_lock_try(path, &fd, NULL) != S2P_OK)
		return access(path, F_OK) == 0;
	close(fd);
	return 0;
}
