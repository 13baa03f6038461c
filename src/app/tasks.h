/*
 * tasks.h - task entry points shared between the task files and the
 * dispatch table in tasks.c. Each logs its report and puts a one-line
 * summary in msg.
 */
#ifndef S2P_TASKS_H
#define S2P_TASKS_H

#include "app/app.h"

int s2p_task_health_check(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_outage_summary(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);
int s2p_task_recover_outage_jobs(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);

int s2p_task_dry_run(struct s2p_app *app, struct s2p_buf *msg,
    struct s2p_error *err);

#endif
