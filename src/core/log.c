/*
 * log.c - the process-wide logger (see log.h). Lines are assembled in one
 * buffer and sent with a single write() so concurrent writers never
 * interleave inside a line.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "obfuscate.h"
#include "xalloc.h"

#define MAX_SECRETS 16

static struct {
	enum s2p_log_format format;
	int to_stderr;
	char *file;
	size_t file_max;
	enum s2p_log_level min;
	char *secrets[MAX_SECRETS];
	size_t nsecrets;
	int debug_as_info;
} L = {S2P_LOGFMT_PLAIN, 1, NULL, 0, S2P_LOG_INFO, {NULL}, 0, 0};

void
s2p_log_debug_as_info(int on)
{
	L.debug_as_info = on;
}

void
s2p_log_open(const struct s2p_log_opts *opts)
{
	free(L.file);
	L.format = opts->format;
	L.to_stderr = opts->to_stderr;
	L.file = s2p_xstrdup(opts->file);
	L.file_max = opts->file_max ? opts->file_max : 1024 * 1024;
	L.min = opts->min;
}

void
s2p_log_close(void)
{
	size_t i;

	free(L.file);
	L.file = NULL;
	for (i = 0; i < L.nsecrets; i++)
		free(L.secrets[i]);
	L.nsecrets = 0;
}

void
s2p_log_secret(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) < 4)
		return;
	for (i = 0; i < L.nsecrets; i++)
		if (strcmp(L.secrets[i], s) == 0)
			return;
	if (L.nsecrets == MAX_SECRETS) {
		free(L.secrets[0]);
		memmove(L.secrets, L.secrets + 1,
		    (MAX_SECRETS - 1) * sizeof(L.secrets[0]));
		L.nsecrets--;
	}
	L.secrets[L.nsecrets++] = s2p_xstrdup(s);
}

char *
s2p_log_redact(const char *s)
{
	char *out = s2p_xstrdup(s);
	size_t i;

	for (i = 0; i < L.nsecrets; i++) {
		const char *sec = L.secrets[i];
		size_t sl = strlen(sec);
		char *hit;

		while ((hit = strstr(out, sec)) != NULL) {
			size_t pre = (size_t)(hit - out);
			char *n = s2p_xasprintf("%.*s***%s", (int)pre, out,
			    hit + sl);

			free(out);
			out = n;
		}
	}
	if (s2p_obf_enabled()) {
		char *o = s2p_obf_text(out);

		free(out);
		out = o;
	}
	return out;
}

static const char *
level_name(enum s2p_log_level lvl)
{
	static const char *names[] = {"TRACE", "DEBUG", "INFO", "WARN",
	    "ERROR"};

	return names[lvl];
}

static char
level_char(enum s2p_log_level lvl)
{
	static const char chars[] = {'t', 'd', 'i', 'w', 'e'};

	return chars[lvl];
}

/* Write all of p to fd, retrying on EINTR; errors are ignored (EPIPE after
 * Stash closed the pipe must not kill or stop us). */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
file_line(const char *msg, enum s2p_log_level lvl)
{
	char line[S2P_LOG_LINE_MAX + 64];
	char ts[32];
	struct stat st;
	struct tm tm;
	time_t now = time(NULL);
	int fd, n;

	if (stat(L.file, &st) == 0 && (size_t)st.st_size > L.file_max) {
		char *old = s2p_xasprintf("%s.1", L.file);

		rename(L.file, old);
		free(old);
	}
	fd = open(L.file, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %d %s %s\n", ts, (int)getpid(),
	    level_name(lvl), msg);
	if (n > 0)
		write_all(fd, line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	close(fd);
}

/* Emit one already-formatted, single-line message. */
static void
emit(enum s2p_log_level lvl, const char *msg)
{
	char line[S2P_LOG_LINE_MAX + 16];
	int n;

	if (L.to_stderr) {
		if (L.format == S2P_LOGFMT_STASH)
			n = snprintf(line, sizeof(line), "\x01%c\x02%s\n",
			    level_char(lvl), msg);
		else
			n = snprintf(line, sizeof(line), "%s: %s\n",
			    level_name(lvl), msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line)
			    ? (size_t)n
			    : sizeof(line) - 1;

			line[len - 1] = '\n';
			write_all(2, line, len);
		}
	}
	if (L.file != NULL)
		file_line(msg, lvl);
}

void
s2p_log(enum s2p_log_level lvl, const char *fmt, ...)
{
	char msg[S2P_LOG_LINE_MAX];
	char *clean, *p, *start;
	va_list ap;

	int shift = lvl == S2P_LOG_DEBUG && L.debug_as_info;

	if (shift)
		lvl = S2P_LOG_INFO;
	if (lvl < L.min)
		return;
	if (shift)
		memcpy(msg, "[DEBUG] ", 8);
	va_start(ap, fmt);
	vsnprintf(msg + (shift ? 8 : 0), sizeof(msg) - (shift ? 8 : 0), fmt,
	    ap);
	va_end(ap);
	clean = L.nsecrets || s2p_obf_enabled() ? s2p_log_redact(msg)
						: s2p_xstrdup(msg);
	/* Every line of a multi-line message gets its own prefix. Control
	 * characters other than newline are replaced so that no byte can be
	 * mistaken for a prefix. */
	for (p = clean; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = ' ';
	start = clean;
	for (p = clean;; p++) {
		if (*p == '\n' || *p == '\0') {
			int end = *p == '\0';

			*p = '\0';
			if (p > start)
				emit(lvl, start);
			if (end)
				break;
			start = p + 1;
		}
	}
	free(clean);
}

void
s2p_log_progress(double fraction)
{
	char line[64];
	int n;

	if (!L.to_stderr || L.format != S2P_LOGFMT_STASH)
		return;
	if (!(fraction >= 0))
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	n = snprintf(line, sizeof(line), "\x01p\x02%.4f\n", fraction);
	write_all(2, line, (size_t)n);
}
