/*
 * outage.h - the history of Plex outages (S2P_OUTAGE_FILE in the data
 * directory): one record per breaker opening, closed when the breaker closes,
 * newest last, at most S2P_OUTAGE_MAX kept. Also the summary statistics
 * (MTTR, MTBF, availability) and the duration formatter used by the status
 * views. Every change is a locked read-modify-write with an atomic 0600
 * write, so hook, task and worker processes can share the file.
 */
#ifndef S2P_OUTAGE_H
#define S2P_OUTAGE_H

#include <stddef.h>

#include "core/compat.h"
#include "core/datafiles.h"
#include "core/err.h"

#define S2P_OUTAGE_MAX 30

struct s2p_outage {
	double started_at; /* epoch seconds */
	double ended_at;   /* epoch seconds; 0 while ongoing */
	double duration;   /* ended_at - started_at; 0 while ongoing */
	long jobs_waited;  /* jobs that were waiting when it ended */
	int ongoing;       /* 1 while not ended */
};

struct s2p_outage_list {
	struct s2p_outage *v; /* oldest first */
	size_t n;
};

struct s2p_outage_stats {
	size_t count;          /* records, ongoing included */
	size_t completed;      /* records with an end */
	int ongoing;           /* the newest record is still open */
	double ongoing_since;  /* its start, 0 if none */
	double total_downtime; /* sum of completed durations */
	double mttr;           /* mean completed duration; 0 if none */
	double mtbf;           /* mean end-to-next-start gap; 0 if < 2 done */
	int have_mtbf;         /* at least 2 completed records */
	double availability;   /* percent; see s2p_outage_compute_stats */
};

/* Open a record at now, unless one is already open (then a no-op). A corrupt
 * history file is logged and replaced by a new one. S2P_EIO on save errors. */
int s2p_outage_start(const char *path, double now,
    struct s2p_error *err) S2P_NODISCARD;
/* Close the open record at now with jobs_waited; a no-op when none is open.
 * S2P_EIO on save errors. */
int s2p_outage_end(const char *path, double now, long jobs_waited,
    struct s2p_error *err) S2P_NODISCARD;
/* Load the history into out (caller frees with s2p_outage_list_free). A
 * missing file is an empty list. A corrupt one gives an empty list and
 * S2P_EPARSE; invalid entries inside a valid array are dropped. */
int s2p_outage_load(const char *path, struct s2p_outage_list *out,
    struct s2p_error *err) S2P_NODISCARD;
void s2p_outage_list_free(struct s2p_outage_list *l);

/* Never leave a record dangling: when the breaker is neither OPEN nor
 * HALF_OPEN (breaker_open 0) but a record is open, close it at
 * breaker_changed_at (when the breaker last changed, i.e. closed), clamped
 * to [started_at, now]; 0 (unknown) closes it with zero duration. Nothing
 * is written when nothing changes. S2P_EIO on save errors. */
int s2p_outage_reconcile(const char *path, int breaker_open,
    double breaker_changed_at, double now, struct s2p_error *err) S2P_NODISCARD;

/* The changes above without the file (pure; 1 when l changed):
 * start opens a record unless one is open (the oldest goes beyond
 * S2P_OUTAGE_MAX); end closes the open one; reconcile closes it when the
 * breaker is not open, as described above. */
int s2p_outage_list_start(struct s2p_outage_list *l, double now);
int s2p_outage_list_end(struct s2p_outage_list *l, double now,
    long jobs_waited);
int s2p_outage_list_reconcile(struct s2p_outage_list *l, int breaker_open,
    double breaker_changed_at, double now);

/* Statistics over the completed records:
 *   MTTR = mean duration; MTBF = mean of start[i] - end[i-1] over
 *   consecutive completed records (needs 2, else 0 and have_mtbf 0);
 *   availability = MTBF / (MTBF + MTTR) * 100 when have_mtbf (100 when both
 *   are 0), 100 with no completed outage, and -1 ("n/a") with exactly one,
 *   since uptime between failures is then unknown. */
void s2p_outage_compute_stats(const struct s2p_outage_list *l,
    struct s2p_outage_stats *out);

/* Human duration with at most two units: "0s", "45s", "1m 5s", "1h 1m",
 * "1d 0h". Negative or NaN gives "0s". Returns buf. */
char *s2p_format_duration(double secs, char *buf, size_t len);

#endif
