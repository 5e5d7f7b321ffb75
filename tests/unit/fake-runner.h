/* fake-runner.h — a SluiceRunner for scheduling tests: runs start when the scheduler says so and
 * end only when the test says so, so a test controls exactly which runs are in progress.
 */
#pragma once

#include "sluice-scheduler.h"

typedef struct
{
  char *pipe_id;
  SluiceRunReason reason;
  gboolean full;
  gboolean partial;
  GCancellable *cancellable;
  GTask *task; /* NULL once finished */
} FakeRun;

typedef struct
{
  GPtrArray *runs;     /* FakeRun *, every run started, in order */
  guint n_finished;    /* "run-finished" emissions seen */
  GPtrArray *finished; /* "pipe ok|error message", in order */
  guint n_idle;
} FakeRunner;

extern const SluiceRunner fake_runner_funcs;

FakeRunner *fake_runner_new (void);
void fake_runner_free (FakeRunner *fake);
/* Connects the counters to @scheduler's signals. */
void fake_runner_watch (FakeRunner *fake, SluiceScheduler *scheduler);

/* The latest run of @pipe_id that has not finished, or NULL. */
FakeRun *fake_runner_find_running (FakeRunner *fake, const char *pipe_id);
/* Any run that has not finished, or NULL. */
FakeRun *fake_runner_find_any_running (FakeRunner *fake);
/* How many runs of @pipe_id (NULL: of any pipe) were started. */
guint fake_runner_count (FakeRunner *fake, const char *pipe_id);
/* Ends the running run of @pipe_id (it must exist) with success or @message as the error, and
 * iterates the main context until the scheduler has reported it. */
void fake_runner_finish (FakeRunner *fake, const char *pipe_id, const char *message);
