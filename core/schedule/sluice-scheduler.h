/* sluice-scheduler.h — the queue of due runs and the limit on concurrently running pipes.
 *
 * Pumps (sluice-pump.h) decide when a pipe should run and ask the scheduler for a run; the
 * scheduler decides when it actually starts: at once when fewer than max_concurrent runs are in
 * progress, else in arrival order (FIFO) as runs finish.  A pipe never runs twice at the same time
 * and waits at most once: asking for a run of a pipe that is queued, or running with a run already
 * waiting behind it, changes nothing (requests coalesce), so a burst of signals costs one run.
 *
 * The scheduler knows no pipes.  It starts a run through a SluiceRunner, a pair of start/finish
 * functions in the GIO async style: the daemon wires them to sluice_pipe_run_async/finish, tests
 * to a fake.  Everything happens on the main context of the thread that created the scheduler;
 * the runs themselves execute wherever the runner puts them (worker threads for real pipes), so
 * the main loop stays free while pipes run.
 *
 * Signals (detailed by the pipe id, so that a pump connects to "run-finished::<pipe>" only):
 *   "run-started"  (const char *pipe_id, SluiceRunReason reason)
 *   "run-finished" (const char *pipe_id, gboolean succeeded, const GError *error): error is NULL
 *                  on success
 *   "idle"         (): no run is in progress any more
 */
#pragma once

#include <gio/gio.h>

#include "sluice-clock.h"

G_BEGIN_DECLS

/* Runs at the same time unless configured otherwise: pipes mostly wait for I/O, so a few more than
 * the two cores of a small host, but few enough not to flood the systems they talk to. */
#define SLUICE_SCHEDULER_DEFAULT_MAX_CONCURRENT 4

/* Why a run was asked for; carried to the runner and the signals (logs, the execution log). */
typedef enum
{
  SLUICE_RUN_REASON_SCHEDULE, /* the interval elapsed or the cron expression matched */
  SLUICE_RUN_REASON_STARTUP,  /* run_at_startup */
  SLUICE_RUN_REASON_MISSED,   /* a persisted start passed while the host was down */
  SLUICE_RUN_REASON_SIGNAL,   /* an input dataset changed */
  SLUICE_RUN_REASON_MANUAL,   /* the start operation */
} SluiceRunReason;

/* "schedule", "startup", "missed", "signal", "manual". */
const char *sluice_run_reason_to_string (SluiceRunReason reason);

typedef struct
{
  const char *pipe_id;
  SluiceRunReason reason;
  gboolean full; /* read everything, ignoring the stored offset */
  /* A partial rescan: continue from the stored offset rewound by the pipe's
   * `pump.partial_rescan_delta`.  Never set together with @full (a full run wins). */
  gboolean partial;
} SluiceRunRequest;

typedef struct
{
  /* Starts the run described by @request (borrowed for the call); calls @callback with
   * @callback_data exactly once, on the caller's thread-default main context, when it ended.
   * @cancellable is cancelled to stop it (between batches). */
  void (*start) (const SluiceRunRequest *request, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data);
  /* Whether the run succeeded. */
  gboolean (*finish) (GAsyncResult *result, GError **error, gpointer user_data);
} SluiceRunner;

typedef enum
{
  SLUICE_SCHEDULE_STARTED,   /* the run started */
  SLUICE_SCHEDULE_QUEUED,    /* it waits for a free slot, or for the pipe's current run */
  SLUICE_SCHEDULE_COALESCED, /* a run of the pipe was waiting already: nothing changed */
  SLUICE_SCHEDULE_REFUSED,   /* the scheduler is shutting down */
} SluiceScheduleResult;

#define SLUICE_TYPE_SCHEDULER (sluice_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (SluiceScheduler, sluice_scheduler, SLUICE, SCHEDULER, GObject)

/* @runner is copied; @runner_data is passed to its functions and released with
 * @runner_data_destroy (nullable) when the scheduler is finalized.  @max_concurrent ≥ 1. */
SluiceScheduler *sluice_scheduler_new (SluiceClock *clock, guint max_concurrent,
                                       const SluiceRunner *runner, gpointer runner_data,
                                       GDestroyNotify runner_data_destroy);

/* (transfer none) */
SluiceClock *sluice_scheduler_get_clock (SluiceScheduler *scheduler);
guint sluice_scheduler_get_max_concurrent (SluiceScheduler *scheduler);
/* Raising the limit starts waiting runs at once; lowering it lets running ones finish. */
void sluice_scheduler_set_max_concurrent (SluiceScheduler *scheduler, guint max_concurrent);

/* Asks for a run of @pipe_id.  A request that coalesces with a waiting one makes it full when
 * @full is set. */
SluiceScheduleResult sluice_scheduler_request (SluiceScheduler *scheduler, const char *pipe_id,
                                               SluiceRunReason reason, gboolean full);

/* As sluice_scheduler_request (), for a partial rescan (see SluiceRunRequest).  A full request
 * that coalesces with it wins. */
SluiceScheduleResult sluice_scheduler_request_partial (SluiceScheduler *scheduler,
                                                       const char *pipe_id,
                                                       SluiceRunReason reason);

gboolean sluice_scheduler_is_running (SluiceScheduler *scheduler, const char *pipe_id);
/* Whether a run of @pipe_id waits (in the queue, or behind its running run). */
gboolean sluice_scheduler_is_waiting (SluiceScheduler *scheduler, const char *pipe_id);
guint sluice_scheduler_get_n_running (SluiceScheduler *scheduler);
/* Runs waiting for a free slot (not those waiting behind their pipe's own run). */
guint sluice_scheduler_get_n_queued (SluiceScheduler *scheduler);

/* Drops a waiting run of @pipe_id and cancels its running one (which stops between batches and
 * then reports "run-finished").  FALSE when there was nothing to stop. */
gboolean sluice_scheduler_stop (SluiceScheduler *scheduler, const char *pipe_id);

/* Stops for good: no run starts any more (requests are REFUSED), waiting runs are dropped and
 * running ones cancelled.  "idle" is emitted when the last one has reported (at once when none
 * runs). */
void sluice_scheduler_shutdown (SluiceScheduler *scheduler);
gboolean sluice_scheduler_is_shut_down (SluiceScheduler *scheduler);

G_END_DECLS
