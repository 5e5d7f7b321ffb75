/* sluice-breaker.c — the engine's side of circuit breakers: arming and holding a run's sink
 * dataset, tripping it, and resolving a tripped breaker.  See sluice-breaker.h and
 * docs/decisions/0006-circuit-breakers.md. */
#include "sluice-breaker.h"

#include <math.h>
#include <string.h>

#include "sluice-execution-log.h"
#include "sluice-run-types.h"

struct _SluiceBreakerRun
{
  SluiceStoreBackend *store; /* borrowed */
  char *pipe_id;
  char *run_id;
  char **datasets;  /* the sink's datasets */
  GPtrArray *held;  /* (element-type char *) the datasets this run holds */
  guint64 limit;    /* of the first held dataset */
  char *limit_text; /* how it was computed, for messages */
  char *since_before;
  gint64 full_run_started_before;
  gboolean tripping;
  gboolean recorded; /* the trip is in a committed (or committing) transaction */
  char *message;
  guint64 written;
};

double
sluice_breaker_number (SluiceValue *value)
{
  switch (sluice_value_get_kind (value))
    {
      case SLUICE_VALUE_INTEGER:
        return (double)sluice_value_get_integer (value);
      case SLUICE_VALUE_FLOAT:
        return sluice_value_get_float (value);
      case SLUICE_VALUE_DECIMAL:
        {
          g_autofree char *text = sluice_value_to_json (value);

          return g_ascii_strtod (text, NULL);
        }
      default:
        return 0;
    }
}

void
sluice_breaker_limits_from_options (SluiceValue *options, SluiceBreakerLimits *ret_limits)
{
  SluiceValue *factor = NULL, *count = NULL;

  ret_limits->factor = 0;
  ret_limits->count = 0;
  if (options == NULL || sluice_value_get_kind (options) != SLUICE_VALUE_DICT)
    return;
  factor = sluice_value_dict_lookup (options, "circuit_breaker_threshold_factor");
  count = sluice_value_dict_lookup (options, "circuit_breaker_threshold_count");
  ret_limits->factor = factor != NULL ? sluice_breaker_number (factor) : 0;
  if (count != NULL && sluice_value_get_kind (count) == SLUICE_VALUE_INTEGER
      && sluice_value_get_integer (count) > 0)
    ret_limits->count = (guint64)sluice_value_get_integer (count);
}

static gboolean
limits_set (const SluiceBreakerLimits *limits)
{
  return limits != NULL && (limits->factor > 0 || limits->count > 0);
}

guint64
sluice_breaker_limit (const SluiceBreakerLimits *limits, guint64 id_count)
{
  guint64 by_factor = 0;

  if (!limits_set (limits))
    return G_MAXUINT64;
  /* "More than factor × ids" is, for whole numbers of writes, more than its floor. */
  if (limits->factor > 0)
    {
      double product = floor (limits->factor * (double)id_count);

      by_factor = product >= 1.8e19 ? G_MAXUINT64 : (guint64)product;
    }
  return MAX (by_factor, limits->count);
}

static char *
describe_limit (const SluiceBreakerLimits *limits, guint64 id_count)
{
  g_autofree char *factor = NULL;

  if (limits->factor > 0)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      factor = g_strdup_printf ("circuit_breaker_threshold_factor %s × %" G_GUINT64_FORMAT " ids",
                                g_ascii_formatd (buf, sizeof (buf), "%.15g", limits->factor),
                                id_count);
    }
  if (factor != NULL && limits->count > 0)
    return g_strdup_printf (
        "the larger of %s and circuit_breaker_threshold_count %" G_GUINT64_FORMAT, factor,
        limits->count);
  if (factor != NULL)
    return g_steal_pointer (&factor);
  return g_strdup_printf ("circuit_breaker_threshold_count %" G_GUINT64_FORMAT, limits->count);
}

static void
store_error (GError **error, GError *cause, const char *what, const char *dataset)
{
  g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
               "%s the circuit breaker of dataset '%s' failed: %s", what, dataset, cause->message);
}

static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

/* Writes a circuit-breaker-commit or -rollback entity into @pipe's execution log. */
static void
log_resolution (SluiceStoreBackend *store, const char *dataset, const SluiceBreakerState *state,
                gboolean rollback, guint64 versions, const char *reason, const char *offset_after)
{
  SluiceDictBuilder *event = sluice_execution_log_new_event (
      rollback ? "circuit-breaker-rollback" : "circuit-breaker-commit", state->pipe);
  g_autoptr (GError) error = NULL;
  SluiceValue *since = NULL;

  sluice_dict_builder_take (event, "dataset", sluice_value_new_string (dataset, -1));
  sluice_dict_builder_take (event, "run_id", sluice_value_new_string (state->run_id, -1));
  sluice_dict_builder_take (event, "tripped", sluice_value_new_boolean (state->tripped));
  sluice_dict_builder_take (event, "original_error_message",
                            state->message != NULL ? sluice_value_new_string (state->message, -1)
                                                   : sluice_value_new_null ());
  sluice_dict_builder_take (event, "versions", sluice_value_new_integer ((int64_t)versions));
  sluice_dict_builder_take (event, "first_uncommitted_offset",
                            sluice_value_new_integer (state->watermark));
  if (reason != NULL)
    sluice_dict_builder_take (event, "reason", sluice_value_new_string (reason, -1));
  if (rollback)
    {
      since = offset_after != NULL ? sluice_value_from_json (offset_after, -1, NULL) : NULL;
      sluice_dict_builder_take (event, "pipe_offset",
                                since != NULL ? since : sluice_value_new_null ());
    }
  if (!sluice_execution_log_append (store, state->pipe, event, &error))
    g_warning ("pipe '%s': writing the execution log failed: %s", state->pipe, error->message);
}

/* Commits the hold a killed run of this pipe left: its writes were within its limit at every
 * committed batch, so they become visible, as those of a failed run do. */
static gboolean
commit_leftover (SluiceStoreBackend *store, const char *dataset, const SluiceBreakerState *state,
                 GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceDatasetInfo) all = NULL;
  SluiceStoreView uncommitted = { .uncommitted = TRUE };
  SluiceStoreTxn *txn;

  all = sluice_store_backend_dup_dataset_info (store, dataset, &uncommitted, &local_error);
  txn = all != NULL ? sluice_store_backend_begin (store, &local_error) : NULL;
  if (txn == NULL)
    return store_error (error, local_error, "committing", dataset), FALSE;
  if (!sluice_store_txn_release_breaker (txn, dataset, FALSE, &local_error))
    {
      sluice_store_txn_abort (txn);
      return store_error (error, local_error, "committing", dataset), FALSE;
    }
  if (!sluice_store_txn_commit (txn, 0, &local_error))
    return store_error (error, local_error, "committing", dataset), FALSE;
  g_message ("pipe '%s': committed what run %s held in dataset '%s' (it did not finish)",
             state->pipe, state->run_id, dataset);
  log_resolution (store, dataset, state, FALSE, all->next_offset - state->watermark,
                  "the run that held the dataset did not finish; its writes were within its "
                  "limit",
                  NULL);
  return TRUE;
}

SluiceBreakerRun *
sluice_breaker_run_begin (SluiceStoreBackend *store, const char *pipe_id, const char *run_id,
                          const char *const *datasets, const SluiceBreakerLimits *limits,
                          const char *since_before, gint64 full_run_started_before, GError **error)
{
  g_autoptr (SluiceBreakerRun) run = g_new0 (SluiceBreakerRun, 1);
  g_autoptr (GError) local_error = NULL;

  run->store = store;
  run->pipe_id = g_strdup (pipe_id);
  run->run_id = g_strdup (run_id);
  run->datasets = g_strdupv ((char **)datasets);
  run->held = g_ptr_array_new_with_free_func (g_free);
  run->since_before = g_strdup (since_before);
  run->full_run_started_before = full_run_started_before;
  run->limit = G_MAXUINT64;

  for (guint i = 0; run->datasets != NULL && run->datasets[i] != NULL; i++)
    {
      const char *dataset = run->datasets[i];
      g_auto (SluiceBreakerState) state = { 0 };
      g_autoptr (SluiceDatasetInfo) info = NULL;

      if (sluice_store_backend_get_breaker (store, dataset, &state, &local_error))
        {
          if (state.tripped)
            {
              g_autofree char *when = format_time (state.tripped_at);

              g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                           "the circuit breaker of sink dataset '%s' is tripped (run %s of pipe "
                           "'%s' at %s: %s): the pipe does not run until an operator commits or "
                           "rolls back what that run wrote (sluicectl breaker commit|rollback %s, "
                           "or POST /api/datasets/%s with operation=commit-circuit-breaker or "
                           "rollback-circuit-breaker)",
                           dataset, state.run_id, state.pipe, when,
                           state.message != NULL ? state.message : "no message", dataset, dataset);
              return NULL;
            }
          if (g_strcmp0 (state.pipe, pipe_id) != 0)
            {
              g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                           "sink dataset '%s' is held by run %s of pipe '%s', whose circuit "
                           "breaker is armed: a dataset with a circuit breaker must have one "
                           "writer",
                           dataset, state.run_id, state.pipe);
              return NULL;
            }
          if (!commit_leftover (store, dataset, &state, error))
            return NULL;
        }
      else if (local_error != NULL
               && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        return store_error (error, local_error, "reading", dataset), NULL;
      g_clear_error (&local_error);

      if (!limits_set (limits))
        continue;
      info = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &local_error);
      if (info == NULL
          && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        return store_error (error, local_error, "reading", dataset), NULL;
      g_clear_error (&local_error);
      /* Armed only once the dataset is populated, so that the first full load cannot trip. */
      if (info == NULL || !info->populated)
        continue;
      if (run->held->len == 0)
        {
          run->limit = sluice_breaker_limit (limits, info->id_count);
          run->limit_text = describe_limit (limits, info->id_count);
        }
      g_ptr_array_add (run->held, g_strdup (dataset));
    }

  if (run->held->len > 0)
    {
      SluiceStoreTxn *txn = sluice_store_backend_begin (store, &local_error);
      SluiceBreakerState state = {
        .pipe = run->pipe_id,
        .run_id = run->run_id,
        .limit = run->limit,
        .since_before = run->since_before,
        .full_run_started_before = run->full_run_started_before,
      };
      const char *dataset = g_ptr_array_index (run->held, 0);

      if (txn == NULL)
        return store_error (error, local_error, "arming", dataset), NULL;
      for (guint i = 0; i < run->held->len; i++)
        {
          dataset = g_ptr_array_index (run->held, i);
          if (!sluice_store_txn_set_breaker (txn, dataset, &state, &local_error))
            {
              sluice_store_txn_abort (txn);
              return store_error (error, local_error, "arming", dataset), NULL;
            }
        }
      if (!sluice_store_txn_commit (txn, 0, &local_error))
        return store_error (error, local_error, "arming", dataset), NULL;
    }
  return g_steal_pointer (&run);
}

gboolean
sluice_breaker_run_is_armed (SluiceBreakerRun *run)
{
  return run != NULL && run->held->len > 0;
}

gboolean
sluice_breaker_run_check (SluiceBreakerRun *run, guint64 written, GError **error)
{
  const char *dataset;

  if (run == NULL || run->held->len == 0 || written <= run->limit)
    return TRUE;
  dataset = g_ptr_array_index (run->held, 0);
  if (!run->tripping)
    {
      run->tripping = TRUE;
      run->written = written;
      run->message = g_strdup_printf ("the run wrote %" G_GUINT64_FORMAT " entities into dataset "
                                      "'%s', more than its limit of %" G_GUINT64_FORMAT " (%s)",
                                      written, dataset, run->limit, run->limit_text);
    }
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP,
               "the circuit breaker of dataset '%s' tripped: %s; what the run wrote stays "
               "uncommitted until an operator commits or rolls it back",
               dataset, run->message);
  return FALSE;
}

gboolean
sluice_breaker_run_request_trip (SluiceBreakerRun *run, const char *message, guint64 written)
{
  if (run == NULL || run->datasets == NULL || run->datasets[0] == NULL)
    return FALSE;
  if (!run->tripping)
    {
      run->tripping = TRUE;
      run->written = written;
      run->message = g_strdup (message);
    }
  return TRUE;
}

gboolean
sluice_breaker_run_is_tripping (SluiceBreakerRun *run)
{
  return run != NULL && run->tripping;
}

gboolean
sluice_breaker_run_settle (SluiceBreakerRun *run, SluiceHostDatasets *host, gboolean final,
                           GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SluiceStoreTxn *txn;

  if (run == NULL)
    return TRUE;
  if (run->tripping && !run->recorded)
    {
      SluiceBreakerState state = {
        .pipe = run->pipe_id,
        .run_id = run->run_id,
        .tripped = TRUE,
        .message = run->message,
        .tripped_at = g_get_real_time (),
        .limit = run->held->len > 0 ? run->limit : 0,
        .written = run->written,
        .since_before = run->since_before,
        .full_run_started_before = run->full_run_started_before,
      };

      for (guint i = 0; run->datasets != NULL && run->datasets[i] != NULL; i++)
        {
          const char *dataset = run->datasets[i];
          g_autoptr (SluiceDatasetInfo) info = NULL;

          txn = sluice_host_datasets_get_txn (host, &local_error);
          /* `trip!` before the first write: the dataset exists from now on, tripped. */
          if (txn != NULL)
            info = sluice_store_txn_create_dataset (txn, dataset, TRUE, &local_error);
          if (info == NULL || !sluice_store_txn_set_breaker (txn, dataset, &state, &local_error))
            return store_error (error, local_error, "tripping", dataset), FALSE;
        }
      run->recorded = TRUE;
      return TRUE;
    }
  if (!final || run->tripping)
    return TRUE;
  for (guint i = 0; i < run->held->len; i++)
    {
      const char *dataset = g_ptr_array_index (run->held, i);

      txn = sluice_host_datasets_get_txn (host, &local_error);
      if (txn == NULL || !sluice_store_txn_release_breaker (txn, dataset, FALSE, &local_error))
        return store_error (error, local_error, "releasing", dataset), FALSE;
    }
  g_ptr_array_set_size (run->held, 0);
  return TRUE;
}

void
sluice_breaker_run_free (SluiceBreakerRun *run)
{
  if (run == NULL)
    return;
  g_free (run->pipe_id);
  g_free (run->run_id);
  g_strfreev (run->datasets);
  g_ptr_array_unref (run->held);
  g_free (run->limit_text);
  g_free (run->since_before);
  g_free (run->message);
  g_free (run);
}

gboolean
sluice_breaker_resolve (SluiceStoreBackend *store, const char *dataset, gboolean rollback,
                        SluiceBreakerState *ret_state, GError **error)
{
  g_auto (SluiceBreakerState) state = { 0 };
  g_auto (SluicePipeState) pipe_state = { 0 };
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceDatasetInfo) all = NULL;
  g_autofree char *offset_after = NULL;
  SluiceStoreView uncommitted = { .uncommitted = TRUE };
  SluiceStoreTxn *txn;
  const char *what = rollback ? "rolling back" : "committing";

  if (!sluice_store_backend_get_breaker (store, dataset, &state, &local_error))
    {
      if (local_error != NULL
          && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (local_error != NULL)
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                     "there is no dataset '%s'", dataset);
      else
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                     "dataset '%s' has no tripped circuit breaker", dataset);
      return FALSE;
    }
  if (!state.tripped)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                   "dataset '%s' has no tripped circuit breaker (run %s of pipe '%s' holds it "
                   "while it runs)",
                   dataset, state.run_id, state.pipe);
      return FALSE;
    }

  all = sluice_store_backend_dup_dataset_info (store, dataset, &uncommitted, error);
  if (all == NULL)
    return FALSE;
  txn = sluice_store_backend_begin (store, error);
  if (txn == NULL)
    return FALSE;
  if (!sluice_store_txn_release_breaker (txn, dataset, rollback, &local_error))
    goto fail;
  if (rollback)
    {
      /* The writer reads again what the rolled-back run read. */
      if (!sluice_store_backend_get_pipe_state (store, state.pipe, &pipe_state, &local_error)
          && local_error != NULL)
        goto fail;
      g_free (pipe_state.since);
      pipe_state.since = g_strdup (state.since_before);
      pipe_state.full_run_started = state.full_run_started_before;
      if (!sluice_store_txn_set_pipe_state (txn, state.pipe, &pipe_state, &local_error))
        goto fail;
      offset_after = g_strdup (state.since_before);
    }
  if (!sluice_store_txn_commit (g_steal_pointer (&txn), SLUICE_STORE_COMMIT_DURABLE, &local_error))
    goto fail;

  log_resolution (store, dataset, &state, rollback, all->next_offset - state.watermark, NULL,
                  offset_after);
  if (ret_state != NULL)
    {
      *ret_state = state;
      memset (&state, 0, sizeof (state));
    }
  return TRUE;

fail:
  g_clear_pointer (&txn, sluice_store_txn_abort);
  g_set_error (
      error, SLUICE_STORE_ERROR,
      local_error->domain == SLUICE_STORE_ERROR ? local_error->code : SLUICE_STORE_ERROR_FAILED,
      "%s the circuit breaker of dataset '%s' failed: %s", what, dataset, local_error->message);
  return FALSE;
}
