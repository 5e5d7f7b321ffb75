/* sluice-control-pipes.c — the pipe operations of SluiceControl (sluice-control.h): snapshots,
 * start, stop, enable, offsets with their durable guard, preview. */
#include "sluice-control-private.h"

#include "sluice-execution-log.h"
#include "sluice-json-depth.h"
#include "sluice-pipe-reader.h"

SluicePipe *
sluice_control_lookup_pipe_or_error (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluicePipe *pipe = pipe_id != NULL ? sluice_engine_lookup_pipe (control->current->engine, pipe_id)
                                     : NULL;

  if (pipe == NULL)
    g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                 "there is no pipe '%s'", pipe_id != NULL ? pipe_id : "(null)");
  return pipe;
}

/* The pipe, when an operation may change it now: it exists and the host is not stopping or
 * swapping configurations. */
SluicePipe *
sluice_control_lookup_pipe_for_operation (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluicePipe *pipe = sluice_control_lookup_pipe_or_error (control, pipe_id, error);

  if (pipe == NULL)
    return NULL;
  if (control->shutting_down)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_SHUTTING_DOWN,
                   "pipe '%s': the host is shutting down", pipe_id);
      return NULL;
    }
  if (control->next != NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
                   "pipe '%s': the configuration is being reloaded; try again when it is done",
                   pipe_id);
      return NULL;
    }
  return pipe;
}

static gboolean
pipe_breaker_tripped (SluiceControl *control, SluicePipe *pipe, char **ret_dataset,
                      char **ret_message)
{
  const char *const *outputs = sluice_pipe_get_output_datasets (pipe);

  if (g_strcmp0 (sluice_pipe_get_sink_type (pipe), "dataset") != 0)
    return FALSE;
  for (guint i = 0; outputs[i] != NULL; i++)
    if (sluice_control_dataset_is_tripped (control, outputs[i], ret_message))
      {
        if (ret_dataset != NULL)
          *ret_dataset = g_strdup (outputs[i]);
        return TRUE;
      }
  return FALSE;
}

void
sluice_pipe_snapshot_free (SluicePipeSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->pipe_id);
  g_free (snapshot->source_type);
  g_free (snapshot->sink_type);
  g_strfreev (snapshot->input_datasets);
  g_strfreev (snapshot->output_datasets);
  g_free (snapshot->since);
  g_clear_pointer (&snapshot->last_run, sluice_run_stats_free);
  g_free (snapshot);
}

static const char *
pipe_state_word (const SluicePipeSnapshot *s, gboolean waiting, SluicePumpMode mode,
                 SluicePipeStatus status)
{
  if (s->running)
    return "running";
  if (waiting)
    return "queued";
  if (s->breaker_tripped)
    return "tripped";
  if (mode == SLUICE_PUMP_MODE_OFF)
    return "off";
  if (!s->enabled)
    return "disabled";
  if (status == SLUICE_PIPE_STATUS_FAILED)
    return "failed";
  return "idle";
}

SluicePipeSnapshot *
sluice_control_get_pipe (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluicePipe *pipe;
  SluicePump *pump;
  SluiceScheduler *scheduler = control->current->scheduler;
  g_autoptr (SluicePipeSnapshot) s = NULL;
  const SluiceRunStats *last;
  PipeCounters *counters;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  pipe = sluice_control_lookup_pipe_or_error (control, pipe_id, error);
  if (pipe == NULL)
    return NULL;
  pump = g_hash_table_lookup (control->current->pumps, pipe_id);
  counters = sluice_control_get_counters (control, pipe_id);
  s = g_new0 (SluicePipeSnapshot, 1);
  s->pipe_id = g_strdup (pipe_id);
  s->mode = sluice_pump_mode_to_string (sluice_pump_get_mode (pump));
  s->enabled = sluice_pump_get_enabled (pump);
  s->running = sluice_pipe_get_status (pipe) == SLUICE_PIPE_STATUS_RUNNING;
  s->durable = sluice_pipe_get_durable (pipe);
  s->public_read = sluice_pipe_get_public_read (pipe);
  s->breaker_tripped = pipe_breaker_tripped (control, pipe, NULL, NULL);
  s->source_type = g_strdup (sluice_pipe_get_source_type (pipe));
  s->sink_type = g_strdup (sluice_pipe_get_sink_type (pipe));
  s->input_datasets = g_strdupv ((char **) sluice_pipe_get_input_datasets (pipe));
  s->output_datasets = g_strdupv ((char **) sluice_pipe_get_output_datasets (pipe));
  if (control->store != NULL && !sluice_pipe_dup_since (pipe, &s->since, &local_error))
    {
      sluice_control_propagate_error (error, local_error);
      return NULL;
    }
  s->next_start = sluice_pump_get_next_start (pump);
  if (s->running)
    {
      s->current_read = counters->current_read;
      s->current_written = counters->current_written;
    }
  last = sluice_pipe_get_last_stats (pipe);
  s->last_run = last != NULL ? sluice_run_stats_copy (last) : NULL;
  s->runs_started = counters->runs_started;
  s->runs_succeeded = counters->runs_succeeded;
  s->runs_failed = counters->runs_failed;
  s->entities_read = counters->entities_read;
  s->entities_written = counters->entities_written;
  s->changes = counters->changes;
  s->run_time_total = counters->run_time_total;
  s->state = pipe_state_word (s, sluice_scheduler_is_waiting (scheduler, pipe_id)
                                   && !sluice_scheduler_is_running (scheduler, pipe_id),
                              sluice_pump_get_mode (pump), sluice_pipe_get_status (pipe));
  return g_steal_pointer (&s);
}

static gboolean
refuse_tripped (SluiceControl *control, SluicePipe *pipe, GError **error)
{
  g_autofree char *dataset = NULL;
  g_autofree char *message = NULL;

  if (!pipe_breaker_tripped (control, pipe, &dataset, &message))
    return FALSE;
  g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_REFUSED,
               "pipe '%s': the circuit breaker of dataset '%s' is tripped (%s); commit or roll "
               "back the breaker before running the pipe again",
               sluice_pipe_get_id (pipe), dataset, message != NULL ? message : "no reason recorded");
  return TRUE;
}

static gboolean
start (SluiceControl *control, const char *pipe_id, gboolean full, GError **error)
{
  SluicePipe *pipe = sluice_control_lookup_pipe_for_operation (control, pipe_id, error);
  GError *local_error = NULL;

  if (pipe == NULL || refuse_tripped (control, pipe, error))
    return FALSE;
  if (!sluice_pump_start (g_hash_table_lookup (control->current->pumps, pipe_id), full,
                          &local_error))
    return sluice_control_propagate_error (error, local_error);
  sluice_control_notify_pipe_changed (control, pipe_id);
  return TRUE;
}

gboolean
sluice_control_start (SluiceControl *control, const char *pipe_id, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return start (control, pipe_id, FALSE, error);
}

gboolean
sluice_control_start_rescan (SluiceControl *control, const char *pipe_id, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return start (control, pipe_id, TRUE, error);
}

gboolean
sluice_control_stop (SluiceControl *control, const char *pipe_id, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  if (sluice_control_lookup_pipe_or_error (control, pipe_id, error) == NULL)
    return FALSE;
  if (sluice_scheduler_stop (control->current->scheduler, pipe_id))
    sluice_control_notify_pipe_changed (control, pipe_id);
  return TRUE;
}

gboolean
sluice_control_set_enabled (SluiceControl *control, const char *pipe_id, gboolean enabled,
                            const char *comment, GError **error)
{
  SluicePump *pump;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  if (sluice_control_lookup_pipe_for_operation (control, pipe_id, error) == NULL)
    return FALSE;
  pump = g_hash_table_lookup (control->current->pumps, pipe_id);
  if (!sluice_pump_set_enabled (pump, enabled, &local_error))
    return sluice_control_propagate_error (error, local_error);
  if (control->store != NULL
      && !sluice_execution_log_write_pump_enabled (control->store, pipe_id, enabled, comment,
                                                   &local_error))
    return sluice_control_propagate_error (error, local_error);
  return TRUE;
}

/* Durable pipes (metadata.durable) hold data that cannot be read again: their offsets move only
 * when the operator insists. */
gboolean
sluice_control_refuse_durable (SluicePipe *pipe, const char *what, gboolean force, GError **error)
{
  if (!sluice_pipe_get_durable (pipe) || force)
    return FALSE;
  g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_REFUSED,
               "pipe '%s' is durable (metadata.durable: true): %s could make it read again, or "
               "skip, data its source cannot deliver again; use force to do it anyway",
               sluice_pipe_get_id (pipe), what);
  return TRUE;
}

gboolean
sluice_control_refuse_running (SluiceControl *control, const char *pipe_id, GError **error)
{
  if (!sluice_scheduler_is_running (control->current->scheduler, pipe_id))
    return FALSE;
  g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
               "pipe '%s' is running; stop it first or wait until the run ends", pipe_id);
  return TRUE;
}

gboolean
sluice_control_set_since (SluiceControl *control, const char *pipe_id, const char *since,
                          gboolean force, GError **error)
{
  SluicePipe *pipe;
  GError *local_error = NULL;
  gboolean reset = since == NULL || since[0] == '\0';

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  pipe = sluice_control_lookup_pipe_for_operation (control, pipe_id, error);
  if (pipe == NULL || sluice_control_refuse_running (control, pipe_id, error)
      || sluice_control_refuse_durable (pipe, reset ? "resetting its offset" : "setting its offset", force,
                         error))
    return FALSE;
  if (!reset)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) parse_error = NULL;

      if (!sluice_json_check_depth (since, -1, &parse_error))
        {
          g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
                       "pipe '%s': the offset: %s", pipe_id, parse_error->message);
          return FALSE;
        }
      if (!json_parser_load_from_data (parser, since, -1, &parse_error))
        {
          g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
                       "pipe '%s': the offset '%s' is not JSON (an integer, a \"string\", …): %s",
                       pipe_id, since, parse_error->message);
          return FALSE;
        }
    }
  if (!sluice_pipe_set_since (pipe, reset ? NULL : since, &local_error))
    return sluice_control_propagate_error (error, local_error);
  sluice_control_notify_pipe_changed (control, pipe_id);
  return TRUE;
}

gboolean
sluice_control_set_since_to_end (SluiceControl *control, const char *pipe_id, gboolean force,
                                 GError **error)
{
  SluicePipe *pipe;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  pipe = sluice_control_lookup_pipe_for_operation (control, pipe_id, error);
  if (pipe == NULL || sluice_control_refuse_running (control, pipe_id, error)
      || sluice_control_refuse_durable (pipe, "setting its offset to the end", force, error))
    return FALSE;
  if (!sluice_pipe_set_since_to_end (pipe, &local_error))
    return sluice_control_propagate_error (error, local_error);
  sluice_control_notify_pipe_changed (control, pipe_id);
  return TRUE;
}

GPtrArray *
sluice_control_preview (SluiceControl *control, const char *pipe_id, guint n, GError **error)
{
  SluicePipeReaderOptions options = { .since = NULL, .refuse_side_effects = TRUE };
  g_autoptr (SluicePipeReader) reader = NULL;
  g_autoptr (GPtrArray) entities = g_ptr_array_new_with_free_func (
    (GDestroyNotify) sluice_entity_unref);
  SluicePipe *pipe;
  GError *local_error = NULL;
  SluiceFlow flow = SLUICE_FLOW_OK;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  pipe = sluice_control_lookup_pipe_or_error (control, pipe_id, error);
  if (pipe == NULL)
    return NULL;
  if (n == 0)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
                   "pipe '%s': a preview needs at least 1 entity", pipe_id);
      return NULL;
    }
  reader = sluice_pipe_reader_new (pipe, &options, &local_error);
  if (reader == NULL)
    {
      sluice_control_propagate_error (error, local_error);
      return NULL;
    }
  while (entities->len < n && flow == SLUICE_FLOW_OK)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = sluice_pipe_reader_read (reader, batch, n - entities->len, &local_error);
      if (flow == SLUICE_FLOW_ERROR || flow == SLUICE_FLOW_RETRY)
        {
          if (local_error == NULL)
            g_set_error (&local_error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                         "pipe '%s': the source asked to be retried later", pipe_id);
          sluice_control_propagate_error (error, local_error);
          return NULL;
        }
      for (size_t i = 0; i < sluice_batch_get_length (batch) && entities->len < n; i++)
        g_ptr_array_add (entities, sluice_entity_ref (sluice_batch_get (batch, i)));
    }
  return g_steal_pointer (&entities);
}
