/*
 * tasks.h - task entry points shared between the task files and the
 * dispatch table in tasks.c. Each logs its report and puts a one-line
 * summary in msg.
 */
#ifndef S2P_TASKS_H
#define S2P_TASKS_H

#include "app/app.h"
#include "store/queue.h"

int s2p_task_health_check(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_outage_summary(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_recover_outage_jobs(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);

/* Queue every scene Stash has (since: only those updated after it, in
 * Stash's local time text), without starting a worker. *queued gets the
 * new jobs, *seen the scenes listed. A reconcile records its time
 * (S2P_KV_LAST_RECONCILE). */
int s2p_task_enqueue(struct s2p_app *app, const char *since,
    enum s2p_job_reason reason, long *queued, long *seen,
    struct s2p_error *err) S2P_NODISCARD;
/* The Stash time text of ago seconds before now, for s2p_task_enqueue. */
void s2p_task_since(struct s2p_app *app, double ago, char *buf, size_t len);

/* Retry Dead Letters, Clear Match Cache, Reconcile Missing Metadata. */
int s2p_task_retry_dlq(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_clear_match_cache(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_reconcile_missing(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
/* The scan of s2p_task_reconcile_missing, without the worker: reports
 * (processed, total) to progress (may be NULL). */
int s2p_reconcile_missing_scan(struct s2p_app *app,
    void (*progress)(void *arg, long done, long total), void *arg, long *queued,
    long *checked, struct s2p_error *err) S2P_NODISCARD;

int s2p_task_dry_run(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);

/* Run the UI operation named mode (app/ops.c) when there is one: *found
 * is then 1 and msg gets a JSON document (app->out_json set). */
int s2p_op_run(struct s2p_app *app, const char *mode, int *found,
    struct s2p_buf *msg, struct s2p_error *err);

#endif
