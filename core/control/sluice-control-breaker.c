/* sluice-control-breaker.c — the circuit-breaker operations of SluiceControl (digest §6): commit
 * or roll back what a tripped run wrote, and whether a dataset's breaker is tripped.  The work is
 * sluice_breaker_resolve () (sluice-breaker.c); this file maps it onto the control API's errors. */
#include "sluice-breaker.h"
#include "sluice-control-private.h"

/* BUSY while the pipe that tripped the breaker runs: a run of a pipe whose breaker is tripped is
 * refused, so this is a run that started before the breaker tripped and has not reported yet. */
static gboolean
check_writer_idle (SluiceControl *control, const char *dataset_id, GError **error)
{
  g_auto (SluiceBreakerState) state = { 0 };
  SluiceEngine *engine = control->current->engine;
  SluicePipe *pipe;

  if (!sluice_store_backend_get_breaker (control->store, dataset_id, &state, NULL))
    return TRUE;
  pipe = engine != NULL ? sluice_engine_lookup_pipe (engine, state.pipe) : NULL;
  if (pipe != NULL && sluice_pipe_get_status (pipe) == SLUICE_PIPE_STATUS_RUNNING)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
                   "dataset '%s': pipe '%s', which writes it, is running; try again when its run "
                   "has ended",
                   dataset_id, state.pipe);
      return FALSE;
    }
  return TRUE;
}

static gboolean
resolve (SluiceControl *control, const char *dataset_id, gboolean rollback, GError **error)
{
  SluiceStoreBackend *store = control->store;
  g_autoptr (GError) local_error = NULL;

  if (store == NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_FAILED,
                   "dataset '%s': the host has no store", dataset_id);
      return FALSE;
    }
  if (!check_writer_idle (control, dataset_id, error))
    return FALSE;
  if (sluice_breaker_resolve (store, dataset_id, rollback, NULL, &local_error))
    {
      const char *writer = sluice_control_lookup_writer (control, dataset_id);

      /* The writer's state (and, after a rollback, its offset) changed. */
      if (writer != NULL)
        sluice_control_notify_pipe_changed (control, writer);
      return TRUE;
    }
  g_set_error_literal (
      error, SLUICE_CONTROL_ERROR,
      g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND)
          ? SLUICE_CONTROL_ERROR_NOT_FOUND
          : SLUICE_CONTROL_ERROR_FAILED,
      local_error->message);
  return FALSE;
}

gboolean
sluice_control_breaker_commit (SluiceControl *control, const char *dataset_id, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return resolve (control, dataset_id, FALSE, error);
}

gboolean
sluice_control_breaker_rollback (SluiceControl *control, const char *dataset_id, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return resolve (control, dataset_id, TRUE, error);
}

gboolean
sluice_control_dataset_is_tripped (SluiceControl *control, const char *dataset_id,
                                   char **ret_message)
{
  g_auto (SluiceBreakerState) state = { 0 };
  SluiceStoreBackend *store = control->store;

  if (ret_message != NULL)
    *ret_message = NULL;
  if (store == NULL || !sluice_store_backend_get_breaker (store, dataset_id, &state, NULL)
      || !state.tripped)
    return FALSE;
  if (ret_message != NULL)
    *ret_message = g_steal_pointer (&state.message);
  return TRUE;
}
