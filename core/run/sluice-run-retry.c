/* sluice-run-retry.c — read retries, batch retries, the fallback to single entities, write-error
 * entries and dead letters for one run.  See sluice-run-retry.h and docs/retries.md.
 *
 * A batch whose write failed with RETRY is written again whole (batch_retries times), then, with
 * fallback_to_single_entities_on_batch_fail, one entity at a time.  Each single entity is written
 * in a store transaction of its own, without the pipe state, so that a rejected entity takes
 * nothing of the others with it; the offset is committed by the caller only once every entity of
 * the batch was written or recorded as a `write-error`.  A crash in between makes the next run
 * read the batch again, which change tracking makes harmless.
 */
#include "sluice-run-retry.h"

struct _SluiceRunRetry
{
  const SluiceRunPlan *plan;
  const SluiceRetryPolicy *policy;
  SluiceRunStats *stats;
  GCancellable *cancellable;
  SluiceRetryLog *log; /* the retryable write errors; only with write retries enabled */
};

SluiceRunRetry *
sluice_run_retry_new (const SluiceRunPlan *plan, SluiceRunStats *stats, GCancellable *cancellable)
{
  SluiceRunRetry *retry = g_new0 (SluiceRunRetry, 1);

  retry->plan = plan;
  retry->policy = plan->retry_policy;
  retry->stats = stats;
  retry->cancellable = cancellable;
  return retry;
}

void
sluice_run_retry_free (SluiceRunRetry *retry)
{
  if (retry == NULL)
    return;
  g_clear_pointer (&retry->log, sluice_retry_log_free);
  g_free (retry);
}

/* Waits @seconds, or less when the run is stopped; FALSE when it was. */
static gboolean
wait_seconds (SluiceRunRetry *retry, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64)(seconds * G_USEC_PER_SEC);
  gboolean pollable = FALSE;
  GPollFD fd = { 0 };

  if (seconds > 0 && retry->cancellable != NULL)
    pollable = g_cancellable_make_pollfd (retry->cancellable, &fd);
  while (seconds > 0 && !g_cancellable_is_cancelled (retry->cancellable))
    {
      gint64 left = end - g_get_monotonic_time ();

      if (left <= 0)
        break;
      if (pollable)
        g_poll (&fd, 1, (gint)MIN ((left + 999) / 1000, G_MAXINT));
      else
        g_usleep ((gulong)left);
    }
  if (pollable)
    g_cancellable_release_fd (retry->cancellable);
  return !g_cancellable_is_cancelled (retry->cancellable);
}

static const char *
message_of (const GError *error)
{
  return error != NULL ? error->message : "failed without saying why";
}

static const char *
plural (guint n)
{
  return n == 1 ? "" : "s";
}

/* Only RETRY is retried, and never a circuit-breaker trip. */
static gboolean
may_retry (SluiceFlow flow, const GError *cause)
{
  return flow == SLUICE_FLOW_RETRY
         && !g_error_matches (cause, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP);
}

/* Reads. */

SluiceFlow
sluice_run_retry_read (SluiceRunRetry *retry, SluiceBatch *batch, guint64 batch_number,
                       GError **error)
{
  const SluiceRunPlan *plan = retry->plan;
  const SluiceSourceCallbacks *cb = plan->source.callbacks;

  for (guint attempt = 1;; attempt++)
    {
      g_autoptr (GError) cause = NULL;
      g_autoptr (GError) log_error = NULL;
      SluiceFlow flow = cb->read (plan->source.instance, batch, plan->batch_size, &cause);
      gboolean again;

      if (flow == SLUICE_FLOW_OK || flow == SLUICE_FLOW_EOS)
        return flow;
      /* What a failed call put into the batch is not to be trusted. */
      sluice_batch_clear (batch);
      retry->stats->read_errors++;
      again = may_retry (flow, cause) && attempt <= retry->policy->max_read_retries;
      if (!sluice_retry_log_write_read_error (plan->store, plan->pipe_id, retry->stats->run_id,
                                              cause, attempt, again, &log_error))
        g_warning ("pipe '%s': writing a read-error to the execution log failed: %s", plan->pipe_id,
                   log_error->message);
      if (!again && may_retry (flow, cause))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                       "%s (type '%s') failed in batch %" G_GUINT64_FORMAT
                       " after %u attempt%s (max_read_retries is %u): %s",
                       plan->source.pointer, plan->source.type_name, batch_number, attempt,
                       plural (attempt), retry->policy->max_read_retries, message_of (cause));
          return SLUICE_FLOW_ERROR;
        }
      if (!again)
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                       "%s (type '%s') failed in batch %" G_GUINT64_FORMAT ": %s",
                       plan->source.pointer, plan->source.type_name, batch_number,
                       message_of (cause));
          return SLUICE_FLOW_ERROR;
        }
      if (!wait_seconds (retry, retry->policy->read_retry_delay))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED,
                       "the run was stopped while it waited to read batch %" G_GUINT64_FORMAT
                       " again",
                       batch_number);
          return SLUICE_FLOW_ERROR;
        }
    }
}

/* Writes. */

/* " in batch 3 on entity 'e3'", or " retrying entity 'e3' of an earlier run" (@batch_number 0:
 * the retry phase). */
static char *
describe_where (guint64 batch_number, SluiceEntity *entity)
{
  if (batch_number == 0)
    return g_strdup_printf (" retrying entity '%s' of an earlier run",
                            sluice_entity_get_id (entity));
  if (entity == NULL)
    return g_strdup_printf (" in batch %" G_GUINT64_FORMAT, batch_number);
  return g_strdup_printf (" in batch %" G_GUINT64_FORMAT " on entity '%s'", batch_number,
                          sluice_entity_get_id (entity));
}

/* "/sink (type 'rest') failed in batch 3: <cause>": a failure the pump does not retry. */
static void
set_permanent_error (SluiceRunRetry *retry, GError **error, guint64 batch_number,
                     SluiceEntity *entity, const GError *cause)
{
  g_autofree char *where = describe_where (batch_number, entity);

  g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED, "%s (type '%s') failed%s: %s",
               retry->plan->sink.pointer, retry->plan->sink.type_name, where, message_of (cause));
}

static SluiceFlow
sink_write (SluiceRunRetry *retry, const SluiceBatch *batch, GError **ret_cause)
{
  const SluiceSinkCallbacks *cb = retry->plan->sink.callbacks;
  SluiceFlow flow = cb->write (retry->plan->sink.instance, batch, ret_cause);

  if (flow == SLUICE_FLOW_OK)
    return flow;
  retry->stats->write_errors++;
  if (*ret_cause == NULL)
    g_set_error (ret_cause, SLUICE_ERROR, SLUICE_ERROR_FAILED, "failed without saying why");
  /* A sink that keeps its own output retries by failing: single entities and write-error entries
   * are committed without an offset, which its position could not follow (sluice-run.c).  The
   * next run continues from the last checkpoint. */
  if (flow == SLUICE_FLOW_RETRY && cb->checkpoint != NULL)
    return SLUICE_FLOW_ERROR;
  return flow == SLUICE_FLOW_RETRY ? flow : SLUICE_FLOW_ERROR;
}

static gboolean
resolve_written (SluiceRunRetry *retry, const SluiceBatch *batch, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (retry->log == NULL || sluice_retry_log_get_n_pending (retry->log) == 0)
    return TRUE;
  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    if (!sluice_retry_log_resolve (retry->log, sluice_batch_get (batch, i), &local_error))
      {
        g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                     "marking the write error of entity '%s' resolved failed: %s",
                     sluice_entity_get_id (sluice_batch_get (batch, i)), local_error->message);
        return FALSE;
      }
  return TRUE;
}

static gboolean
wait_to_write_again (SluiceRunRetry *retry, guint64 batch_number, GError **error)
{
  if (wait_seconds (retry, retry->policy->write_retry_delay))
    return TRUE;
  if (batch_number == 0)
    g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED,
                 "the run was stopped while it retried the write errors of earlier runs");
  else
    g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED,
                 "the run was stopped while it waited to write batch %" G_GUINT64_FORMAT " again",
                 batch_number);
  return FALSE;
}

typedef enum
{
  SINGLE_WRITTEN,
  SINGLE_FAILED, /* every attempt asked for a retry: *ret_cause says why */
  SINGLE_ABORT,  /* the run must stop: @error is set */
} SingleOutcome;

/* Writes @entity alone, committed at once without the pipe state, in up to
 * max_consecutive_write_errors attempts, of which @attempts_done failed already.  In the retry
 * phase (@batch_number 0) the entity's entry is resolved once it is committed. */
static SingleOutcome
write_single (SluiceRunRetry *retry, SluiceEntity *entity, guint64 batch_number,
              guint attempts_done, guint *ret_attempts, GError **ret_cause, GError **error)
{
  const SluiceRunPlan *plan = retry->plan;
  g_autoptr (SluiceBatch) single = sluice_batch_new ();
  guint attempt;

  sluice_batch_add (single, entity);
  for (attempt = attempts_done + 1; attempt <= retry->policy->max_consecutive_write_errors;
       attempt++)
    {
      g_autoptr (GError) cause = NULL;
      g_autoptr (GError) local_error = NULL;
      SluiceFlow flow;
      guint64 changes;

      if (attempt > 1 && !wait_to_write_again (retry, batch_number, error))
        return SINGLE_ABORT;
      sluice_host_datasets_begin_batch (plan->host);
      flow = sink_write (retry, single, &cause);
      if (flow != SLUICE_FLOW_OK)
        {
          sluice_host_datasets_abort_batch (plan->host);
          if (!may_retry (flow, cause))
            {
              set_permanent_error (retry, error, batch_number, entity, cause);
              return SINGLE_ABORT;
            }
          g_clear_error (ret_cause);
          *ret_cause = g_steal_pointer (&cause);
          continue;
        }
      changes = sluice_host_datasets_get_batch_changes (plan->host);
      if (!sluice_host_datasets_commit_batch (plan->host, plan->pipe_id, NULL,
                                              plan->durable ? SLUICE_STORE_COMMIT_DURABLE : 0,
                                              &local_error))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                       "committing entity '%s' failed: %s", sluice_entity_get_id (entity),
                       local_error->message);
          return SINGLE_ABORT;
        }
      retry->stats->changes += changes;
      if (batch_number == 0 && !resolve_written (retry, single, error))
        return SINGLE_ABORT;
      return SINGLE_WRITTEN;
    }
  *ret_attempts = attempt - 1;
  return SINGLE_FAILED;
}

/* @entity could not be written: it is kept for a retry, or the run stops. */
static gboolean
settle_failure (SluiceRunRetry *retry, SluiceEntity *entity, guint64 batch_number, guint attempts,
                const GError *cause, gboolean is_retry, GError **error)
{
  const SluiceRunPlan *plan = retry->plan;
  g_autofree char *where = describe_where (batch_number, entity);
  g_autoptr (GError) local_error = NULL;

  retry->stats->entities_failed++;
  if (retry->log == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                   "%s (type '%s') failed%s after %u attempt%s (%s), and "
                   "max_write_errors_in_retry_dataset is 0: failed entities are not kept for a "
                   "retry",
                   plan->sink.pointer, plan->sink.type_name, where, attempts, plural (attempts),
                   message_of (cause));
      return FALSE;
    }
  if (sluice_retry_log_record_failure (retry->log, entity, cause, is_retry, NULL, &local_error))
    return TRUE;
  if (g_error_matches (local_error, SLUICE_RETRY_LOG_ERROR, SLUICE_RETRY_LOG_ERROR_FULL))
    g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                 "%s (type '%s') failed%s after %u attempt%s (%s), and it cannot be kept for a "
                 "retry: %s",
                 plan->sink.pointer, plan->sink.type_name, where, attempts, plural (attempts),
                 message_of (cause), local_error->message);
  else
    g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                 "recording the write error of entity '%s' in the execution log failed: %s",
                 sluice_entity_get_id (entity), local_error->message);
  return FALSE;
}

static gboolean
ensure_log (SluiceRunRetry *retry, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (retry->log != NULL || retry->policy->max_write_errors_in_retry_dataset == 0)
    return TRUE;
  retry->log = sluice_retry_log_load (retry->plan->store, retry->plan->pipe_id, retry->policy,
                                      &local_error);
  if (retry->log == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "reading the write errors of the execution log failed: %s",
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_run_retry_write_pending (SluiceRunRetry *retry, GError **error)
{
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!ensure_log (retry, error))
    return FALSE;
  if (retry->log == NULL)
    return TRUE;
  pending = sluice_retry_log_list_pending (retry->log);
  for (guint i = 0; i < pending->len; i++)
    {
      /* The entry goes away when it is resolved or dies: hold on to its entity. */
      g_autoptr (SluiceEntity) entity
          = sluice_entity_ref (((SluiceRetryEntry *)g_ptr_array_index (pending, i))->entity);
      g_autoptr (GError) cause = NULL;
      guint attempts = 0;

      if (g_cancellable_is_cancelled (retry->cancellable))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED,
                       "the run was stopped while it retried the write errors of earlier runs");
          return FALSE;
        }
      switch (write_single (retry, entity, 0, 0, &attempts, &cause, error))
        {
          case SINGLE_WRITTEN:
            break;
          case SINGLE_ABORT:
            return FALSE;
          case SINGLE_FAILED:
            if (!settle_failure (retry, entity, 0, attempts, cause, TRUE, error))
              return FALSE;
            break;
        }
    }
  if (!sluice_retry_log_save_scan_start (retry->log, &local_error))
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "writing the retry state to the execution log failed: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_run_retry_write (SluiceRunRetry *retry, SluiceBatch *batch, guint64 batch_number,
                        guint64 *ret_n_written, GError **error)
{
  const SluiceRunPlan *plan = retry->plan;
  size_t length = sluice_batch_get_length (batch);
  g_autoptr (GError) cause = NULL;
  SluiceFlow flow;
  guint64 n_written = 0;
  guint batch_attempts = 1;

  /* Waiting entries of these ids are resolved before the write, while no transaction is open:
   * the log is written in transactions of its own, and LMDB has one writer at a time.  If the
   * write fails after all, the failure makes them retryable again; if the process dies first,
   * the offset has not moved and the batch is read again. */
  if (!ensure_log (retry, error) || !resolve_written (retry, batch, error))
    return FALSE;
  flow = sink_write (retry, batch, &cause);
  for (; may_retry (flow, cause) && length > 1 && batch_attempts <= retry->policy->batch_retries;
       batch_attempts++)
    {
      sluice_host_datasets_abort_batch (plan->host);
      if (!wait_to_write_again (retry, batch_number, error))
        return FALSE;
      g_clear_error (&cause);
      sluice_host_datasets_begin_batch (plan->host);
      flow = sink_write (retry, batch, &cause);
    }
  if (flow == SLUICE_FLOW_OK)
    {
      *ret_n_written = length;
      return TRUE;
    }
  if (!may_retry (flow, cause))
    {
      set_permanent_error (retry, error, batch_number, NULL, cause);
      return FALSE;
    }

  /* The batch failed for good: its entities one by one. */
  sluice_host_datasets_abort_batch (plan->host);
  for (size_t i = 0; i < length; i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);
      g_autoptr (GError) entity_cause = NULL;
      guint attempts = batch_attempts;
      SingleOutcome outcome = SINGLE_FAILED;

      if (length == 1 || retry->policy->fallback_to_single_entities)
        {
          /* A batch of one was that entity's first attempt. */
          if (length == 1)
            entity_cause = g_steal_pointer (&cause);
          outcome = write_single (retry, entity, batch_number, length == 1 ? 1 : 0, &attempts,
                                  &entity_cause, error);
        }
      else
        entity_cause = g_error_copy (cause);
      if (outcome == SINGLE_ABORT)
        return FALSE;
      if (outcome == SINGLE_WRITTEN)
        n_written++;
      else if (!settle_failure (retry, entity, batch_number, attempts, entity_cause, FALSE, error))
        return FALSE;
    }
  /* What the caller commits with the offset: the pipe state only. */
  sluice_host_datasets_begin_batch (plan->host);
  *ret_n_written = n_written;
  return TRUE;
}

void
sluice_run_retry_finish (SluiceRunRetry *retry)
{
  retry->stats->retries_pending
      = retry->log != NULL ? sluice_retry_log_get_n_pending (retry->log) : 0;
}
