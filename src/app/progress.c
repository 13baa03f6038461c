/*
 * progress.c - the progress bar and plain progress lines (progress.h).
 * Only isatty(3) and ANSI "erase line" are used: nothing glibc-only, as
 * the plugin binary is static on musl.
 */
#include "app/progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds between redraws on a terminal, and between plain lines. */
#define TTY_EVERY 0.2
#define LINE_EVERY 5.0

void
s2p_progress_start(struct s2p_progress *p, FILE *f, const char *label,
    const struct s2p_clock *clock)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->f = f;
	p->label = label;
	p->clock = clock;
	p->tty = isatty(fileno(f)) &&
	    !(term != NULL && strcmp(term, "dumb") == 0);
	p->t0 = s2p_clock_now(clock);
}

/* "1:05" or "1:02:03" for secs. */
static void
hms(double secs, char *buf, size_t len)
{
	long s = secs > 0 ? (long)(secs + 0.5) : 0;

	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

void
s2p_progress_format(char *buf, size_t len, const char *label, long done,
    long total, double elapsed, int width)
{
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	char bar[128], eta[32];
	int i, fill;

	if (width > (int)sizeof(bar) - 1)
		width = (int)sizeof(bar) - 1;
	fill = total > 0 ? (int)((double)width * (double)done / (double)total)
			 : 0;
	if (fill > width)
		fill = width;
	for (i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = '\0';
	if (rate > 0 && total >= done)
		hms((double)(total - done) / rate, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "?");
	if (width > 0)
		snprintf(buf, len, "%s [%s] %ld/%ld %.1f/s ETA %s", label, bar,
		    done, total, rate, eta);
	else
		snprintf(buf, len, "%s: %ld/%ld (%.0f%%), %.1f/s, ETA %s",
		    label, done, total,
		    total > 0 ? 100.0 * (double)done / (double)total : 0.0,
		    rate, eta);
}

/* Draw or print the current state. */
static void
show(struct s2p_progress *p, double now)
{
	char line[256];

	s2p_progress_format(line, sizeof(line), p->label, p->done, p->total,
	    now - p->t0, p->tty ? 30 : 0);
	if (p->tty) {
		fprintf(p->f, "\r\033[K%s", line);
		p->drawn = 1;
	} else {
		fprintf(p->f, "%s\n", line);
	}
	fflush(p->f);
	p->shown_at = now;
	p->shown_done = p->done;
	p->shown_total = p->total;
}

void
s2p_progress_update(struct s2p_progress *p, long done, long total)
{
	double now = s2p_clock_now(p->clock);

	if (done == p->done && total == p->total && p->shown_at > 0)
		return;
	p->done = done;
	p->total = total;
	if (now - p->shown_at >= (p->tty ? TTY_EVERY : LINE_EVERY))
		show(p, now);
}

void
s2p_progress_end(struct s2p_progress *p, long done, long total)
{
	p->done = done;
	p->total = total;
	/* A plain line already saying this is not printed again. */
	if (p->tty || p->shown_at == 0 || done != p->shown_done ||
	    total != p->shown_total)
		show(p, s2p_clock_now(p->clock));
	if (p->drawn)
		fputc('\n', p->f);
	fflush(p->f);
	p->drawn = 0;
}
