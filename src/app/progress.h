/*
 * progress.h - progress of a long CLI operation (sync, reconcile). On a
 * terminal: one redrawn bar with counts, rate and ETA. Otherwise plain
 * lines (at most one every few seconds, and a last one), never a control
 * code, so logs and pipes stay clean.
 */
#ifndef S2P_PROGRESS_H
#define S2P_PROGRESS_H

#include <stdio.h>

#include "core/clock.h"

struct s2p_progress {
	FILE *f;
	int tty;           /* draw a bar (f is a terminal, TERM not dumb) */
	const char *label; /* borrowed */
	const struct s2p_clock *clock;
	double t0;        /* start */
	double shown_at;  /* last drawn/printed */
	long done, total; /* last seen */
	int drawn;        /* a bar is on screen (needs a newline at the end) */
	/* done and total as last drawn/printed */
	long shown_done, shown_total;
};

/* Start reporting to f (a terminal or not, found out here). */
void s2p_progress_start(struct s2p_progress *p, FILE *f, const char *label,
    const struct s2p_clock *clock);
/* done of total so far (total may grow); throttled. */
void s2p_progress_update(struct s2p_progress *p, long done, long total);
/* The final state, always shown. */
void s2p_progress_end(struct s2p_progress *p, long done, long total);
/* The text of one bar line (without control codes) into buf, width wide
 * for the bar itself. For tests of the layout. */
void s2p_progress_format(char *buf, size_t len, const char *label, long done,
    long total, double elapsed, int width);

#endif
