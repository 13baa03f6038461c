/*
 * wake.c - the resident worker's doorbell (see wake.h). A ring is one line
 * written in a single write(): "w\n", or "c <cookie>\n" carrying a session
 * cookie. Whatever arrives is hostile until checked: lines that are not
 * exactly one of those shapes are ignored.
 */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define WAKE_BUF 65536

/* Open path with flags and keep it only if it is a FIFO. */
static int
open_fifo(const char *path, int flags)
{
	struct stat sb;
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
s2p_wake_listen(struct s2p_wake *w, const char *path, struct s2p_error *err)
{
	w->rfd = w->wfd = -1;
	if (mkfifo(path, 0600) != 0 && errno != EEXIST)
		return s2p_error_set(err, S2P_EIO, "cannot create %s: %s", path,
		    strerror(errno));
	w->rfd = open_fifo(path, O_RDONLY);
	if (w->rfd >= 0)
		w->wfd = open_fifo(path, O_WRONLY);
	if (w->rfd < 0 || w->wfd < 0) {
		int e = errno;

		s2p_wake_close(w);
		return s2p_error_set(err, S2P_EIO, "cannot listen on %s: %s",
		    path, strerror(e));
	}
	return S2P_OK;
}

void
s2p_wake_close(struct s2p_wake *w)
{
	if (w->rfd >= 0)
		close(w->rfd);
	if (w->wfd >= 0)
		close(w->wfd);
	w->rfd = w->wfd = -1;
}

/* 1 when s (len bytes) can be a session cookie value: visible ASCII without
 * the characters that end or quote a cookie. */
static int
cookie_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > S2P_WAKE_COOKIE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' ||
		    c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* Handle the complete lines in buf[0..len). A partial line (a read that
 * ended inside a ring) is dropped: the next ring brings a newer cookie. */
static void
parse_rings(const char *buf, size_t len, int *rung, char **cookie)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL)
			break;
		n = (size_t)(nl - p);
		if (n == 1 && p[0] == 'w') {
			*rung = *rung ? *rung : 1;
		} else if (n == 1 && p[0] == 'l') {
			*rung = 2;
		} else if (n > 2 && p[0] == 'c' && p[1] == ' ' &&
		    cookie_ok(p + 2, n - 2)) {
			*rung = *rung ? *rung : 1;
			free(*cookie);
			*cookie = s2p_xstrndup(p + 2, n - 2);
		}
		p = nl + 1;
	}
}

void
s2p_wake_wait(struct s2p_wake *w, double secs, int *rung, char **cookie)
{
	struct pollfd pf;
	char *buf;
	int ms = secs <= 0 ? 0 : (int)(secs * 1000 + 0.5);

	*rung = 0;
	if (w->rfd < 0) {
		/* No doorbell: a plain sleep (a signal cuts it short). */
		struct timespec ts;

		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		return;
	}
	pf.fd = w->rfd;
	pf.events = POLLIN;
	pf.revents = 0;
	if (poll(&pf, 1, ms) <= 0)
		return;
	/* One read takes a whole default pipe buffer. */
	buf = s2p_xmalloc(WAKE_BUF);
	for (;;) {
		ssize_t n = read(w->rfd, buf, WAKE_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		parse_rings(buf, (size_t)n, rung, cookie);
	}
	free(buf);
}

/* Write one ring line (at most PIPE_BUF bytes) without blocking. */
static void
ring(const char *path, const char *msg, size_t len)
{
	int fd;

	/* ENXIO: nobody listens (a worker that is not resident). */
	fd = open_fifo(path, O_WRONLY);
	if (fd < 0)
		return;
	/* A full pipe (EAGAIN) already holds rings enough. */
	(void)!write(fd, msg, len);
	close(fd);
}

void
s2p_wake_ring_leave(const char *path)
{
	ring(path, "l\n", 2);
}

void
s2p_wake_ring(const char *path, const char *cookie)
{
	char msg[S2P_WAKE_COOKIE_MAX + 8];
	int len;

	if (cookie != NULL && cookie_ok(cookie, strlen(cookie)))
		len = snprintf(msg, sizeof(msg), "c %s\n", cookie);
	else
		len = snprintf(msg, sizeof(msg), "w\n");
	ring(path, msg, (size_t)len);
}
