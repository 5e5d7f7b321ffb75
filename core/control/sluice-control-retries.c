/* sluice-control-retries.c — discard-retries on a running host: checks that the operation may
 * run now, then lets the retry log (sluice-retry-log.h) do it. */
#include "sluice-control-retries.h"

#include "sluice-control-private.h"
#include "sluice-retry-log.h"

gboolean
sluice_control_discard_retries (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluicePipe *pipe;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  pipe = pipe_id != NULL ? sluice_engine_lookup_pipe (control->current->engine, pipe_id) : NULL;
  if (pipe == NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                   "there is no pipe '%s'", pipe_id != NULL ? pipe_id : "(null)");
      return FALSE;
    }
  if (sluice_control_is_stopped (control))
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_SHUTTING_DOWN,
                   "pipe '%s': the host is shutting down", pipe_id);
      return FALSE;
    }
  if (sluice_control_is_reloading (control))
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
                   "pipe '%s': the configuration is being reloaded; try again when it is done",
                   pipe_id);
      return FALSE;
    }
  /* The run holds the pending entries in memory and would write them back. */
  if (sluice_pipe_get_status (pipe) == SLUICE_PIPE_STATUS_RUNNING)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
                   "pipe '%s' is running; stop it first or wait until the run ends", pipe_id);
      return FALSE;
    }
  if (!sluice_retry_log_discard (control->store, pipe_id, NULL, &local_error))
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_FAILED,
                   "pipe '%s': discarding its pending write retries failed: %s", pipe_id,
                   local_error->message);
      return FALSE;
    }
  g_signal_emit_by_name (control, "pipe-changed", pipe_id);
  return TRUE;
}
