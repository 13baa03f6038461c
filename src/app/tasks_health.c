/*
 * tasks_health.c - the outage tasks: Health Check (breaker state, a bounded
 * Plex probe, token check, queue size), Outage Summary (history and
 * MTTR/MTBF/availability) and Recover Outage Jobs (re-queue jobs that were
 * dead-lettered during the last completed outage). None of them drains the
 * queue or waits for the worker; failures inside them are logged, never
 * fatal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/tasks.h"
#include "core/log.h"
#include "net/cabundle.h"
#include "net/http.h"
#include "store/queue.h"
#include "sync/breaker.h"
#include "sync/outage.h"

static double
now_of(struct s2p_app *app)
{
	return s2p_clock_now(app->ctx.clock);
}

/* Log the breaker line(s); returns 1 when the breaker is OPEN. */
static int
report_breaker(struct s2p_app *app)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_BREAKER_FILE);
	struct s2p_breaker br;
	char dur[32];
	int exists = 0, open = 0, rc;

	s2p_breaker_init(&br, path);
	free(path);
	rc = s2p_breaker_load(&br, &exists, NULL);
	if (rc == S2P_EPARSE) {
		s2p_warn(
		    "Circuit Breaker State: UNKNOWN (corrupted state file)");
	} else if (rc != S2P_OK) {
		s2p_errorf("Circuit Breaker State: UNKNOWN (cannot read the "
			   "state file)");
	} else if (!exists) {
		s2p_info("Circuit Breaker State: CLOSED (no state file)");
	} else {
		enum s2p_breaker_state st = s2p_breaker_effective_state(&br,
		    now_of(app));

		s2p_info("Circuit Breaker State: %s",
		    s2p_breaker_state_name(st));
		/* Past the recovery timeout a stored OPEN is HALF_OPEN: jobs
		 * run as trials, so nothing "waits for Plex" any more. */
		if (st == S2P_BREAKER_OPEN && br.opened_at > 0) {
			s2p_info("Circuit opened %s ago",
			    s2p_format_duration(now_of(app) - br.opened_at, dur,
				sizeof(dur)));
			open = 1;
		}
	}
	s2p_breaker_free(&br);
	return open;
}

/* For an https Plex URL, say where the certificates come from, or plainly
 * that there are none (the probe below then fails with the same line). */
static void
report_ca(struct s2p_app *app)
{
	const char *url = app->ctx.cfg.plex_url;
	struct s2p_ca ca;

	if (url == NULL || strncasecmp(url, "https://", 8) != 0)
		return;
	s2p_ca_find(app->ctx.cfg.plex_ca_file, NULL, &ca);
	if (ca.kind == S2P_CA_NONE)
		s2p_errorf("FAIL: %s", ca.msg);
	else
		s2p_info("TLS: CA certificates from %s", ca.path);
}

/* Probe Plex; returns 1 when healthy and the token is accepted. */
static int
report_plex(struct s2p_app *app)
{
	struct s2p_plex_identity id;
	struct s2p_error err;
	int rc;

	s2p_error_clear(&err);
	rc = s2p_ctx_plex(&app->ctx, &err);
	if (rc != S2P_OK) {
		s2p_errorf("FAIL: cannot check Plex: %s", err.msg);
		return 0;
	}
	rc = s2p_plex_identity(app->ctx.plex, S2P_PROBE_TIMEOUT_MS, &id, &err);
	if (rc != S2P_OK && rc != S2P_EAUTH) {
		s2p_warn("FAIL: Plex is UNREACHABLE (%s)", err.msg);
		s2p_info("Verify Plex URL and network connectivity");
		return 0;
	}
	/* A 401/403, even to the open /identity, proves Plex answered: report
	 * the credential, not the network. */
	if (rc == S2P_OK)
		rc = s2p_plex_check_token(app->ctx.plex, S2P_PROBE_TIMEOUT_MS,
		    &err);
	if (rc == S2P_EAUTH) {
		s2p_warn("FAIL: Plex is reachable but REJECTED the token "
			 "(HTTP %ld)",
		    err.http_status);
		s2p_info("Check the plex_token setting");
		return 0;
	}
	if (rc != S2P_OK) {
		s2p_warn("FAIL: Plex answered /identity but not the library "
			 "(%s)",
		    err.msg);
		return 0;
	}
	s2p_info("OK: Plex is HEALTHY (responded in %.0fms)", id.latency_ms);
	return 1;
}

int
s2p_task_health_check(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	struct s2p_queue_counts c;
	struct s2p_error e;
	int open, healthy = 0;

	(void)err;
	s2p_info("=== Plex Health Check ===");
	open = report_breaker(app);
	s2p_error_clear(&e);
	if (s2p_app_settings(app, &e) != S2P_OK)
		s2p_errorf("FAIL: settings: %s", e.msg);
	else {
		report_ca(app);
		healthy = report_plex(app);
	}
	s2p_error_clear(&e);
	if (s2p_ctx_db(&app->ctx, &e) != S2P_OK ||
	    s2p_queue_counts(app->ctx.db, now_of(app), &c, &e) != S2P_OK) {
		s2p_errorf("FAIL: queue: %s", e.msg);
	} else if (c.pending + c.running == 0) {
		s2p_info("Queue: empty");
	} else {
		s2p_info("Queue: %ld pending item(s)", c.pending + c.running);
		if (open)
			s2p_warn("%ld job(s) waiting for Plex to recover",
			    c.pending + c.running);
	}
	s2p_info("=== Health Check Complete ===");
	(void)!s2p_buf_adds(msg,
	    healthy ? "Plex is healthy" : "Plex is not healthy");
	return S2P_OK;
}

int
s2p_task_outage_summary(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_OUTAGE_FILE);
	struct s2p_outage_list l;
	struct s2p_outage_stats st;
	char a[32], b[32];
	size_t i, shown = 0;
	int rc;

	(void)err;
	rc = s2p_outage_load(path, &l, NULL);
	free(path);
	if (rc == S2P_EPARSE)
		s2p_warn("The outage history file is corrupt");
	if (l.n == 0) {
		s2p_info("No outages recorded");
		s2p_outage_list_free(&l);
		(void)!s2p_buf_adds(msg, "no outages recorded");
		return S2P_OK;
	}
	s2p_outage_compute_stats(&l, &st);
	s2p_info("=== Outage Summary Report ===");
	s2p_info("Outages tracked: %zu (%zu completed)", st.count,
	    st.completed);
	s2p_info("Total downtime: %s",
	    s2p_format_duration(st.total_downtime, a, sizeof(a)));
	if (st.completed > 0)
		s2p_info("MTTR: %s",
		    s2p_format_duration(st.mttr, a, sizeof(a)));
	if (st.have_mtbf)
		s2p_info("MTBF: %s",
		    s2p_format_duration(st.mtbf, a, sizeof(a)));
	if (st.availability >= 0)
		s2p_info("Availability: %.2f%%", st.availability);
	else
		s2p_info("Availability: n/a (needs two completed outages)");
	if (st.ongoing)
		s2p_info("ONGOING: started %s ago",
		    s2p_format_duration(now_of(app) - st.ongoing_since, a,
			sizeof(a)));
	for (i = l.n; i > 0 && shown < 10; i--, shown++) {
		const struct s2p_outage *o = &l.v[i - 1];

		s2p_format_local(o->started_at, "%Y-%m-%d %H:%M:%S", b,
		    sizeof(b));
		if (o->ongoing)
			s2p_info("%zu. %s - ONGOING", shown + 1, b);
		else
			s2p_info("%zu. %s - %s, jobs waiting: %ld", shown + 1,
			    b, s2p_format_duration(o->duration, a, sizeof(a)),
			    o->jobs_waited);
	}
	s2p_info("=== End Report ===");
	(void)!s2p_buf_addf(msg, "%zu outage(s), total downtime %s%s", st.count,
	    s2p_format_duration(st.total_downtime, a, sizeof(a)),
	    st.ongoing ? ", one ongoing" : "");
	s2p_outage_list_free(&l);
	return S2P_OK;
}

/* Jobs dead-lettered because Stash was down (by an earlier version; they
 * wait now). Failures are logged; returns how many were re-queued. */
static long
recover_stash_jobs(struct s2p_app *app)
{
	struct s2p_error e;
	long n = 0;

	s2p_error_clear(&e);
	if (s2p_ctx_db(&app->ctx, &e) != S2P_OK ||
	    s2p_dlq_requeue_stash_outage(app->ctx.db, now_of(app), &n, &e) !=
		S2P_OK) {
		s2p_errorf("cannot re-queue jobs of a Stash outage: %s", e.msg);
		return 0;
	}
	if (n > 0)
		s2p_info("Re-queued %ld job(s) dead-lettered while Stash was "
			 "unreachable",
		    n);
	return n;
}

/* Jobs dead-lettered during the last completed Plex outage, when Plex is
 * healthy again. Returns how many were re-queued, or -1 on a database
 * error (err set). */
static long
recover_plex_jobs(struct s2p_app *app, struct s2p_error *err)
{
	char *path = s2p_ctx_path(&app->ctx, S2P_OUTAGE_FILE);
	struct s2p_outage_list l;
	struct s2p_plex_identity id;
	const struct s2p_outage *last = NULL;
	long n = 0;
	size_t i;
	int rc;

	rc = s2p_outage_load(path, &l, NULL);
	free(path);
	for (i = l.n; i > 0 && last == NULL; i--)
		if (!l.v[i - 1].ongoing)
			last = &l.v[i - 1];
	if (last == NULL) {
		s2p_info(l.n ? "No completed Plex outages found - recovery "
			       "requires a resolved outage"
			     : "No Plex outage history found");
		s2p_outage_list_free(&l);
		return 0;
	}
	rc = s2p_ctx_plex(&app->ctx, err);
	if (rc == S2P_OK)
		rc = s2p_plex_identity(app->ctx.plex, S2P_PROBE_TIMEOUT_MS, &id,
		    err);
	if (rc != S2P_OK) {
		s2p_warn("Plex is not healthy (%s); recover later", err->msg);
		s2p_outage_list_free(&l);
		s2p_error_clear(err);
		return 0;
	}
	rc = s2p_ctx_db(&app->ctx, err);
	/* Jobs dead-lettered from the outage's start until a minute after it
	 * ended (the trial job that closed it may have raced the last few). */
	if (rc == S2P_OK)
		rc = s2p_dlq_requeue(app->ctx.db, last->started_at,
		    last->ended_at + 60, NULL, now_of(app), &n, err);
	s2p_outage_list_free(&l);
	if (rc != S2P_OK)
		return -1;
	s2p_info("Re-queued %ld job(s) from the last Plex outage", n);
	return n;
}

int
s2p_task_recover_outage_jobs(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err)
{
	long n = recover_stash_jobs(app), p;
	int started = 0;

	p = recover_plex_jobs(app, err);
	if (p < 0)
		return err->code;
	n += p;
	if (n == 0) {
		s2p_info("Nothing to recover");
		(void)!s2p_buf_adds(msg, "nothing to recover");
		return S2P_OK;
	}
	s2p_info("Recovery complete: %ld job(s) re-queued", n);
	if (s2p_ensure_worker(app, &started, err) != S2P_OK)
		return err->code;
	(void)!s2p_buf_addf(msg, "re-queued %ld job(s)", n);
	return S2P_OK;
}
