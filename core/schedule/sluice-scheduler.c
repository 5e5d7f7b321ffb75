/* sluice-scheduler.c — the FIFO of due runs, the concurrency limit, and coalescing (see
 * sluice-scheduler.h).
 *
 * Each pipe the scheduler has heard of has one Entry, kept until the scheduler goes away (there
 * are as many as there are pipes).  An entry is running or not, and has at most one waiting
 * request; a waiting request is either in the FIFO (the pipe is not running) or parked on the entry
 * until the pipe's run finishes, and then joins the FIFO at its end.
 */
#include "sluice-scheduler.h"

typedef struct
{
  char *pipe_id;
  GQuark detail;
  gboolean running;
  GCancellable *cancellable; /* of the running run */
  gboolean waiting;
  gboolean queued; /* the waiting request is in the FIFO */
  SluiceRunReason reason;
  gboolean full;
  gboolean partial;
} Entry;

struct _SluiceScheduler
{
  GObject parent_instance;

  SluiceClock *clock;
  guint max_concurrent;
  SluiceRunner runner;
  gpointer runner_data;
  GDestroyNotify runner_data_destroy;

  GHashTable *entries; /* pipe id -> Entry */
  GQueue queue;        /* Entry *, waiting for a free slot */
  guint n_running;
  gboolean shut_down;
};

enum
{
  SIGNAL_RUN_STARTED,
  SIGNAL_RUN_FINISHED,
  SIGNAL_IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SluiceScheduler, sluice_scheduler, G_TYPE_OBJECT)

const char *
sluice_run_reason_to_string (SluiceRunReason reason)
{
  switch (reason)
    {
      case SLUICE_RUN_REASON_SCHEDULE:
        return "schedule";
      case SLUICE_RUN_REASON_STARTUP:
        return "startup";
      case SLUICE_RUN_REASON_MISSED:
        return "missed";
      case SLUICE_RUN_REASON_SIGNAL:
        return "signal";
      case SLUICE_RUN_REASON_MANUAL:
        return "manual";
    }
  return "unknown";
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_clear_object (&entry->cancellable);
  g_free (entry->pipe_id);
  g_free (entry);
}

static void
sluice_scheduler_finalize (GObject *object)
{
  SluiceScheduler *self = SLUICE_SCHEDULER (object);

  g_queue_clear (&self->queue);
  g_hash_table_unref (self->entries);
  if (self->runner_data_destroy != NULL)
    self->runner_data_destroy (self->runner_data);
  g_clear_object (&self->clock);
  G_OBJECT_CLASS (sluice_scheduler_parent_class)->finalize (object);
}

static void
sluice_scheduler_class_init (SluiceSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sluice_scheduler_finalize;

  signals[SIGNAL_RUN_STARTED] = g_signal_new (
      "run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_INT);
  signals[SIGNAL_RUN_FINISHED] = g_signal_new (
      "run-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_BOOLEAN,
      G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sluice_scheduler_init (SluiceScheduler *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_queue_init (&self->queue);
}

SluiceScheduler *
sluice_scheduler_new (SluiceClock *clock, guint max_concurrent, const SluiceRunner *runner,
                      gpointer runner_data, GDestroyNotify runner_data_destroy)
{
  SluiceScheduler *self;

  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (max_concurrent >= 1, NULL);
  g_return_val_if_fail (runner != NULL && runner->start != NULL && runner->finish != NULL, NULL);

  self = g_object_new (SLUICE_TYPE_SCHEDULER, NULL);
  self->clock = g_object_ref (clock);
  self->max_concurrent = max_concurrent;
  self->runner = *runner;
  self->runner_data = runner_data;
  self->runner_data_destroy = runner_data_destroy;
  return self;
}

SluiceClock *
sluice_scheduler_get_clock (SluiceScheduler *scheduler)
{
  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), NULL);
  return scheduler->clock;
}

guint
sluice_scheduler_get_max_concurrent (SluiceScheduler *scheduler)
{
  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), 0);
  return scheduler->max_concurrent;
}

static Entry *
lookup_entry (SluiceScheduler *self, const char *pipe_id, gboolean create)
{
  Entry *entry = g_hash_table_lookup (self->entries, pipe_id);

  if (entry == NULL && create)
    {
      entry = g_new0 (Entry, 1);
      entry->pipe_id = g_strdup (pipe_id);
      entry->detail = g_quark_from_string (pipe_id);
      g_hash_table_insert (self->entries, entry->pipe_id, entry);
    }
  return entry;
}

typedef struct
{
  SluiceScheduler *scheduler; /* owned: a running run keeps the scheduler alive */
  Entry *entry;
} RunData;

static void dispatch (SluiceScheduler *self);

static void
maybe_idle (SluiceScheduler *self)
{
  if (self->n_running == 0)
    g_signal_emit (self, signals[SIGNAL_IDLE], 0);
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunData *data = user_data;
  SluiceScheduler *self = data->scheduler;
  Entry *entry = data->entry;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = self->runner.finish (result, &error, self->runner_data);
  if (!ok && error == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "the run of pipe '%s' failed",
                 entry->pipe_id);
  entry->running = FALSE;
  g_clear_object (&entry->cancellable);
  self->n_running--;
  if (entry->waiting && !self->shut_down)
    {
      entry->queued = TRUE;
      g_queue_push_tail (&self->queue, entry);
    }
  g_signal_emit (self, signals[SIGNAL_RUN_FINISHED], entry->detail, entry->pipe_id, ok,
                 ok ? NULL : error);
  dispatch (self);
  maybe_idle (self);
  g_object_unref (self);
  g_free (data);
}

static void
start_run (SluiceScheduler *self, Entry *entry)
{
  SluiceRunRequest request = { entry->pipe_id, entry->reason, entry->full,
                               entry->partial && !entry->full };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  RunData *data;

  entry->waiting = FALSE;
  entry->queued = FALSE;
  entry->running = TRUE;
  entry->cancellable = g_object_ref (cancellable);
  self->n_running++;

  g_signal_emit (self, signals[SIGNAL_RUN_STARTED], entry->detail, entry->pipe_id,
                 (int)request.reason);

  data = g_new0 (RunData, 1);
  data->scheduler = g_object_ref (self);
  data->entry = entry;
  self->runner.start (&request, cancellable, on_run_done, data, self->runner_data);
}

static void
dispatch (SluiceScheduler *self)
{
  while (!self->shut_down && self->n_running < self->max_concurrent
         && !g_queue_is_empty (&self->queue))
    start_run (self, g_queue_pop_head (&self->queue));
}

void
sluice_scheduler_set_max_concurrent (SluiceScheduler *scheduler, guint max_concurrent)
{
  g_return_if_fail (SLUICE_IS_SCHEDULER (scheduler));
  g_return_if_fail (max_concurrent >= 1);
  scheduler->max_concurrent = max_concurrent;
  dispatch (scheduler);
}

static SluiceScheduleResult
request_run (SluiceScheduler *scheduler, const char *pipe_id, SluiceRunReason reason,
             gboolean full, gboolean partial)
{
  Entry *entry;

  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), SLUICE_SCHEDULE_REFUSED);
  g_return_val_if_fail (pipe_id != NULL, SLUICE_SCHEDULE_REFUSED);

  if (scheduler->shut_down)
    return SLUICE_SCHEDULE_REFUSED;
  entry = lookup_entry (scheduler, pipe_id, TRUE);
  if (entry->waiting)
    {
      entry->full = entry->full || full;
      entry->partial = entry->partial || partial;
      return SLUICE_SCHEDULE_COALESCED;
    }
  entry->waiting = TRUE;
  entry->reason = reason;
  entry->full = full;
  entry->partial = partial;
  if (entry->running)
    return SLUICE_SCHEDULE_QUEUED;
  entry->queued = TRUE;
  g_queue_push_tail (&scheduler->queue, entry);
  dispatch (scheduler);
  /* The entry may have started and even finished (a runner that completes at once) by now. */
  return entry->queued ? SLUICE_SCHEDULE_QUEUED : SLUICE_SCHEDULE_STARTED;
}

SluiceScheduleResult
sluice_scheduler_request (SluiceScheduler *scheduler, const char *pipe_id, SluiceRunReason reason,
                          gboolean full)
{
  return request_run (scheduler, pipe_id, reason, full, FALSE);
}

SluiceScheduleResult
sluice_scheduler_request_partial (SluiceScheduler *scheduler, const char *pipe_id,
                                  SluiceRunReason reason)
{
  return request_run (scheduler, pipe_id, reason, FALSE, TRUE);
}

gboolean
sluice_scheduler_is_running (SluiceScheduler *scheduler, const char *pipe_id)
{
  Entry *entry;

  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), FALSE);
  entry = lookup_entry (scheduler, pipe_id, FALSE);
  return entry != NULL && entry->running;
}

gboolean
sluice_scheduler_is_waiting (SluiceScheduler *scheduler, const char *pipe_id)
{
  Entry *entry;

  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), FALSE);
  entry = lookup_entry (scheduler, pipe_id, FALSE);
  return entry != NULL && entry->waiting;
}

guint
sluice_scheduler_get_n_running (SluiceScheduler *scheduler)
{
  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), 0);
  return scheduler->n_running;
}

guint
sluice_scheduler_get_n_queued (SluiceScheduler *scheduler)
{
  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), 0);
  return g_queue_get_length (&scheduler->queue);
}

static gboolean
drop_waiting (SluiceScheduler *self, Entry *entry)
{
  if (!entry->waiting)
    return FALSE;
  if (entry->queued)
    g_queue_remove (&self->queue, entry);
  entry->waiting = FALSE;
  entry->queued = FALSE;
  return TRUE;
}

gboolean
sluice_scheduler_stop (SluiceScheduler *scheduler, const char *pipe_id)
{
  Entry *entry;
  gboolean stopped;

  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), FALSE);
  entry = lookup_entry (scheduler, pipe_id, FALSE);
  if (entry == NULL)
    return FALSE;
  stopped = drop_waiting (scheduler, entry);
  if (entry->running && !g_cancellable_is_cancelled (entry->cancellable))
    {
      g_cancellable_cancel (entry->cancellable);
      stopped = TRUE;
    }
  return stopped;
}

void
sluice_scheduler_shutdown (SluiceScheduler *scheduler)
{
  g_autoptr (GList) entries = NULL;

  g_return_if_fail (SLUICE_IS_SCHEDULER (scheduler));
  if (scheduler->shut_down)
    return;
  scheduler->shut_down = TRUE;
  entries = g_hash_table_get_values (scheduler->entries);
  for (GList *l = entries; l != NULL; l = l->next)
    {
      Entry *entry = l->data;

      drop_waiting (scheduler, entry);
      if (entry->running)
        g_cancellable_cancel (entry->cancellable);
    }
  maybe_idle (scheduler);
}

gboolean
sluice_scheduler_is_shut_down (SluiceScheduler *scheduler)
{
  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), FALSE);
  return scheduler->shut_down;
}
