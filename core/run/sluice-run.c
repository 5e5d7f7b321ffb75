/* sluice-run.c — the batch loop of one run: read, transform, write, commit with the offset.
 *
 * The offset (since) follows the continuation strategy of the source (digest §4.2):
 *  - chronological: the `_updated` of the last source entity of each batch: its dataset offset when
 *    it came from a dataset, else its body's `_updated`.  It is written every checkpoint_interval
 *    batches and at the end, and, when a run fails, the offset of the last committed batch is kept
 *    so that the next run resumes right after it;
 *  - max: the largest `_updated` seen, written only when the run succeeds;
 *  - none: no offset; every run is full.
 * The counters of the pipe state are written with every batch.
 *
 * A full run records when it started in the pipe state (full_run_started) and clears it when it
 * succeeds.  A run that finds it set with a chronological checkpoint continues that full run from
 * the checkpoint instead of running incrementally, flagged SLUICE_RUN_FLAG_RESUMED, so that the
 * sink knows the run is full (it may mark its dataset populated) but that it did not see what the
 * earlier attempt read (a dataset sink then deletion-tracks nothing: docs/engine.md, "Deletion
 * tracking").
 *
 * Entities marked `_filtered: true` reach only sinks that declare
 * SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED; the run drops them for the others (digest §5.2).
 *
 * A sink that keeps its own output (a `checkpoint` callback: the file sink) has its position
 * stored with every offset it belongs to, and gets it back at the start of the next run
 * (`begin_at`), so that its output and the offset agree after any failure.  Its offset and
 * position change only together: at checkpoints and at the end of a successful run; a failed run
 * leaves the last checkpoint's pair, exactly what a SIGKILL would leave.  Its RETRY counts as
 * ERROR: the write-error machinery commits entities without an offset, which its position could
 * not follow; the next run continues from the checkpoint instead.  A sink's begin that fails with
 * SLUICE_ERROR_RESTART_FULL_RUN on a resumed full run has the full run start over.
 */
#include "sluice-breaker.h"
#include "sluice-execution-log.h"
#include "sluice-run.h"
#include "sluice-run-retry.h"
#include "sluice-since.h"

typedef struct
{
  const SluiceRunPlan *plan;
  GCancellable *cancellable;
  const SluiceRunObserver *observer;
  gpointer user_data;
  SluiceRunStats *stats;
  SluicePipeState state;     /* as stored, updated as the run goes */
  SluiceValue *since;        /* the run's offset so far (chronological/max); NULL: none */
  char *committed_since;     /* the offset the last committed batch stored; owned */
  /* With a positioned sink: the offset and sink position of the last checkpoint (or as loaded);
   * what a failed run stores.  Owned. */
  char *checkpoint_since;
  char *checkpoint_position;
  SluiceValue *partial_floor; /* a partial rescan's stored offset at the start; NULL otherwise */
  gboolean state_loaded;      /* FALSE: nothing may be written back */
  gboolean source_open;
  gboolean sink_begun;
  gboolean resumed;          /* a full run continued from an earlier attempt's checkpoint */
  SluiceBreakerRun *breaker; /* the circuit breaker of the sink's datasets */
  SluiceRunRetry *retry;     /* read and write failures */
} Run;

static const SluiceSourceCallbacks *
source_cb (const SluiceRunPlan *plan)
{
  return plan->source.callbacks;
}

static const SluiceSinkCallbacks *
sink_cb (const SluiceRunPlan *plan)
{
  return plan->sink.callbacks;
}

/* The sink keeps its own output, whose position is stored with the offset. */
static gboolean
sink_has_position (const SluiceRunPlan *plan)
{
  return sink_cb (plan)->checkpoint != NULL;
}

/* "/sink (type 'dataset') failed in batch 3: <message>" */
static void
element_error (GError **error, const SluiceRunElement *element, guint64 batch, const char *what,
               GError *cause)
{
  g_autofree char *where = batch > 0 ? g_strdup_printf (" in batch %" G_GUINT64_FORMAT, batch)
                                     : g_strdup ("");

  g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED, "%s (type '%s') %s%s: %s",
               element->pointer, element->type_name, what, where,
               cause != NULL ? cause->message : "failed without saying why");
}

SluiceValue *
sluice_run_entity_since (SluiceEntity *entity)
{
  int64_t offset = sluice_entity_get_offset (entity);
  SluiceValue *updated;

  if (offset >= 0)
    return sluice_value_new_integer (offset);
  updated = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_updated");
  if (updated == NULL || sluice_value_get_kind (updated) == SLUICE_VALUE_NULL)
    return NULL;
  return sluice_value_ref (updated);
}

static void
track_since (Run *run, const SluiceBatch *batch)
{
  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    {
      SluiceValue *value = sluice_run_entity_since (sluice_batch_get (batch, i));

      if (value == NULL)
        continue;
      if (run->plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL || run->since == NULL
          || sluice_value_compare (value, run->since) > 0)
        {
          g_clear_pointer (&run->since, sluice_value_unref);
          run->since = value;
        }
      else
        sluice_value_unref (value);
    }
}

static char *
dup_since_json (Run *run)
{
  return run->since != NULL ? sluice_value_to_json (run->since) : NULL;
}

static void
set_state_since (Run *run, char *since)
{
  g_free (run->state.since);
  run->state.since = since;
}

/* Transforms @batch through the chain; the result is @batch itself when there is no transform. */
static SluiceBatch *
transform (Run *run, SluiceBatch *batch, guint64 batch_number, GError **error)
{
  SluiceBatch *current = batch;

  for (guint i = 0; i < run->plan->n_transforms; i++)
    {
      const SluiceRunElement *element = &run->plan->transforms[i];
      const SluiceTransformCallbacks *cb = element->callbacks;
      SluiceBatch *output = sluice_batch_new ();
      g_autoptr (GError) local_error = NULL;
      SluiceFlow flow = cb->transform (element->instance, current, output, &local_error);

      if (current != batch)
        sluice_batch_free (current);
      current = output;
      if (flow != SLUICE_FLOW_OK && flow != SLUICE_FLOW_EOS)
        {
          gboolean trip
            = g_error_matches (local_error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP)
              && sluice_breaker_run_request_trip (run->breaker, local_error->message,
                                                  run->stats->changes);

          element_error (error, element, batch_number, "failed", local_error);
          /* DTL `trip!`: the sink's breaker trips with the user's message (digest §6), and the
           * run's error says so. */
          if (trip && error != NULL && *error != NULL)
            {
              (*error)->domain = SLUICE_ERROR;
              (*error)->code = SLUICE_ERROR_CIRCUIT_BREAKER_TRIP;
            }
          sluice_batch_free (current);
          return NULL;
        }
    }
  return current;
}

static uint32_t
commit_flags (Run *run)
{
  return run->plan->durable ? SLUICE_STORE_COMMIT_DURABLE : 0;
}

static gboolean
is_filtered (SluiceEntity *entity)
{
  SluiceValue *filtered = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_filtered");

  return filtered != NULL && sluice_value_get_kind (filtered) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (filtered);
}

/* The entities of @batch that are not marked `_filtered`: @batch itself when none is. */
static SluiceBatch *
drop_filtered (SluiceBatch *batch)
{
  SluiceBatch *kept = NULL;
  size_t length = sluice_batch_get_length (batch);

  for (size_t i = 0; i < length; i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);

      if (kept == NULL && is_filtered (entity))
        {
          kept = sluice_batch_new ();
          for (size_t j = 0; j < i; j++)
            sluice_batch_add (kept, sluice_batch_get (batch, j));
        }
      else if (kept != NULL && !is_filtered (entity))
        sluice_batch_add (kept, entity);
    }
  return kept != NULL ? kept : batch;
}

/* Asks the sink to make what it wrote durable, and puts its position into the state to commit.
 * @batch_number 0: the end of the run. */
static gboolean
take_sink_position (Run *run, guint64 batch_number, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceValue) position = sink_cb (plan)->checkpoint (plan->sink.instance, &local_error);

  if (position == NULL)
    {
      if (batch_number > 0)
        element_error (error, &plan->sink, batch_number, "could not make its output durable",
                       local_error);
      else
        element_error (error, &plan->sink, 0,
                       "could not make its output durable at the end of the run", local_error);
      return FALSE;
    }
  g_free (run->state.sink_position);
  run->state.sink_position = sluice_value_to_json (position);
  return TRUE;
}

/* The state just committed is a checkpoint: what a failed run falls back to. */
static void
remember_checkpoint (Run *run)
{
  g_free (run->checkpoint_since);
  run->checkpoint_since = g_strdup (run->state.since);
  g_free (run->checkpoint_position);
  run->checkpoint_position = g_strdup (run->state.sink_position);
}

/* One batch: transforms, sink, commit.  @batch holds what the source read. */
static gboolean
process_batch (Run *run, SluiceBatch *batch, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  SluiceRunStats *stats = run->stats;
  guint64 number = stats->batches_committed + 1;
  SluiceBatch *output;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) trip_error = NULL;
  gboolean checkpoint;
  guint64 n_written = 0;

  output = transform (run, batch, number, error);
  if (output == NULL)
    return FALSE;
  if (!plan->sink_accepts_filtered)
    {
      SluiceBatch *kept = drop_filtered (output);

      if (kept != output && output != batch)
        sluice_batch_free (output);
      output = kept;
    }

  sluice_host_datasets_begin_batch (plan->host);
  if (!sluice_run_retry_write (run->retry, output, number, &n_written, error))
    {
      sluice_host_datasets_abort_batch (plan->host);
      if (output != batch)
        sluice_batch_free (output);
      return FALSE;
    }

  track_since (run, batch);
  run->state.entities_read += sluice_batch_get_length (batch);
  run->state.entities_written += n_written;
  checkpoint = plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL
               && number % plan->checkpoint_interval == 0;
  if (checkpoint)
    {
      set_state_since (run, dup_since_json (run));
      if (sink_has_position (plan) && !take_sink_position (run, number, error))
        {
          sluice_host_datasets_abort_batch (plan->host);
          if (output != batch)
            sluice_batch_free (output);
          return FALSE;
        }
    }
  stats->changes += sluice_host_datasets_get_batch_changes (plan->host);
  /* Over its limit, the run trips: the batch commits with the trip, and the run stops. */
  if (!sluice_breaker_run_check (run->breaker, stats->changes, &trip_error))
    {
      g_prefix_error (&trip_error, "%s (type '%s') in batch %" G_GUINT64_FORMAT ": ",
                      plan->sink.pointer, plan->sink.type_name, number);
      if (!sluice_breaker_run_settle (run->breaker, plan->host, FALSE, &local_error))
        {
          sluice_host_datasets_abort_batch (plan->host);
          g_propagate_error (error, g_steal_pointer (&local_error));
          if (output != batch)
            sluice_batch_free (output);
          return FALSE;
        }
    }
  if (!sluice_host_datasets_commit_batch (plan->host, plan->pipe_id, &run->state,
                                          commit_flags (run), &local_error))
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "committing batch %" G_GUINT64_FORMAT " failed: %s", number,
                   local_error->message);
      if (output != batch)
        sluice_batch_free (output);
      return FALSE;
    }

  stats->entities_read += sluice_batch_get_length (batch);
  stats->entities_written += n_written;
  stats->batches_committed = number;
  if (output != batch)
    sluice_batch_free (output);
  /* What a resumed run may rely on: the chronological offset of this committed batch. */
  if (plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL)
    {
      g_free (run->committed_since);
      run->committed_since = dup_since_json (run);
    }
  if (checkpoint)
    remember_checkpoint (run);
  g_free (stats->since_after);
  stats->since_after = g_strdup (run->state.since);
  if (run->observer != NULL && run->observer->batch_committed != NULL)
    run->observer->batch_committed (run->user_data, stats);
  if (trip_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&trip_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_all (Run *run, GError **error)
{
  const SluiceRunPlan *plan = run->plan;

  for (;;)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();
      guint64 number = run->stats->batches_committed + 1;
      SluiceFlow flow;

      if (g_cancellable_is_cancelled (run->cancellable))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED,
                       "the run was stopped after %" G_GUINT64_FORMAT " batches",
                       run->stats->batches_committed);
          return FALSE;
        }
      flow = sluice_run_retry_read (run->retry, batch, number, error);
      if (flow != SLUICE_FLOW_OK && flow != SLUICE_FLOW_EOS)
        return FALSE;
      if (sluice_batch_get_length (batch) > 0 && !process_batch (run, batch, error))
        return FALSE;
      if (flow == SLUICE_FLOW_EOS)
        {
          /* A resumed full run read entities before its checkpoint, so its source was not
           * empty. */
          if (plan->fail_if_source_empty && run->stats->run_type == SLUICE_RUN_TYPE_FULL
              && !run->resumed && run->stats->entities_read == 0)
            {
              g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                           "%s (type '%s') produced no entities in a full run, and "
                           "if_source_empty is \"fail\": the run fails and deletes nothing",
                           plan->source.pointer, plan->source.type_name);
              return FALSE;
            }
          return TRUE;
        }
    }
}

static gboolean
load_state (Run *run, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!sluice_store_backend_get_pipe_state (run->plan->store, run->plan->pipe_id, &run->state,
                                            &local_error)
      && local_error != NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "reading the pipe state failed: %s", local_error->message);
      return FALSE;
    }
  run->state_loaded = TRUE;
  return TRUE;
}

static SluiceRunType
resolve_run_type (Run *run, SluiceRunType requested)
{
  if (run->plan->continuation == SLUICE_CONTINUATION_NONE || run->state.since == NULL
      || requested == SLUICE_RUN_TYPE_FULL)
    return SLUICE_RUN_TYPE_FULL;
  /* Only a chronological offset is a checkpoint of the unfinished full run; any other stored
   * offset predates it. */
  if (run->state.full_run_started != 0
      && run->plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL)
    {
      run->resumed = TRUE;
      return SLUICE_RUN_TYPE_FULL;
    }
  if (requested == SLUICE_RUN_TYPE_PARTIAL)
    return SLUICE_RUN_TYPE_PARTIAL;
  return SLUICE_RUN_TYPE_INCREMENTAL;
}

/* require_populated_input (digest §2.2): the run refuses to start while an input dataset of the
 * source is not populated. */
static gboolean
check_inputs_populated (Run *run, gboolean *ret_all_populated, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  gboolean all = TRUE;

  for (guint i = 0; plan->source_datasets != NULL && plan->source_datasets[i] != NULL; i++)
    {
      const char *dataset = plan->source_datasets[i];
      g_autoptr (SluiceDatasetInfo) info = NULL;
      g_autoptr (GError) local_error = NULL;

      info = sluice_store_backend_dup_dataset_info (plan->store, dataset, NULL, &local_error);
      if (info == NULL
          && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                       "reading the state of input dataset '%s' failed: %s", dataset,
                       local_error->message);
          return FALSE;
        }
      if (info != NULL && info->populated)
        continue;
      all = FALSE;
      if (plan->require_populated_input)
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                       "%s (type '%s'): input dataset '%s' %s, and require_populated_input is "
                       "true: the pipe does not run until it is populated",
                       plan->source.pointer, plan->source.type_name, dataset,
                       info == NULL ? "does not exist yet" : "is not populated yet");
          return FALSE;
        }
    }
  *ret_all_populated = all;
  return TRUE;
}

/* A partial rescan reads from the stored offset rewound by the delta; the stored offset stays the
 * floor of the one it ends with, so that a rescan that reads little never moves the pipe back. */
static gboolean
start_partial (Run *run, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *rewound = NULL;

  if (run->plan->partial_rescan_delta < 0)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "/pump/partial_rescan_delta: a partial rescan needs it, and it is not set");
      return FALSE;
    }
  run->partial_floor = sluice_value_from_json (run->state.since, -1, &local_error);
  if (run->partial_floor == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "the stored offset '%s' is not valid JSON: %s", run->state.since,
                   local_error->message);
      return FALSE;
    }
  rewound = sluice_since_rewind (run->state.since, run->plan->partial_rescan_delta, &local_error);
  if (rewound == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                   "partial rescan (/pump/partial_rescan_delta %g): %s",
                   run->plan->partial_rescan_delta, local_error->message);
      return FALSE;
    }
  run->since = sluice_value_from_json (rewound, -1, error);
  return run->since != NULL;
}

/* A full run that starts from nothing: its own offsets replace the stored one as it goes. */
static void
start_over (Run *run)
{
  set_state_since (run, NULL);
  g_clear_pointer (&run->committed_since, g_free);
  g_clear_pointer (&run->checkpoint_since, g_free);
  run->state.full_run_started = run->stats->started;
}

/* The stored sink position, parsed; NULL when none is stored. */
static gboolean
parse_sink_position (Run *run, SluiceValue **ret_position, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *ret_position = NULL;
  if (run->state.sink_position == NULL)
    return TRUE;
  *ret_position = sluice_value_from_json (run->state.sink_position, -1, &local_error);
  if (*ret_position != NULL)
    return TRUE;
  g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
               "the stored position of %s (type '%s') '%s' is not valid JSON: %s",
               run->plan->sink.pointer, run->plan->sink.type_name, run->state.sink_position,
               local_error->message);
  return FALSE;
}

/* source.open, then sink.begin (or begin_at with the stored position).  The sink's error keeps
 * its domain and code, so that the caller sees SLUICE_ERROR_RESTART_FULL_RUN. */
static gboolean
open_elements (Run *run, gboolean source_populated, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceValue) position = NULL;
  uint32_t flags, sink_flags;
  gboolean begun;

  flags = run->stats->run_type == SLUICE_RUN_TYPE_FULL ? SLUICE_RUN_FLAG_FULL : 0;
  if (run->resumed)
    flags |= SLUICE_RUN_FLAG_RESUMED;
  sink_flags = flags | (source_populated ? SLUICE_RUN_FLAG_SOURCE_POPULATED : 0);
  if (source_cb (plan)->open != NULL
      && !source_cb (plan)->open (plan->source.instance, flags, run->since, &local_error))
    {
      element_error (error, &plan->source, 0, "could not start reading", local_error);
      return FALSE;
    }
  run->source_open = TRUE;
  if (sink_cb (plan)->begin_at != NULL)
    {
      if (!parse_sink_position (run, &position, error))
        return FALSE;
      begun = sink_cb (plan)->begin_at (plan->sink.instance, sink_flags, position, &local_error);
    }
  else
    begun = sink_cb (plan)->begin == NULL
            || sink_cb (plan)->begin (plan->sink.instance, sink_flags, &local_error);
  if (!begun)
    {
      element_error (error, &plan->sink, 0, "could not start writing", local_error);
      if (g_error_matches (local_error, SLUICE_ERROR, SLUICE_ERROR_RESTART_FULL_RUN)
          && error != NULL && *error != NULL)
        {
          (*error)->domain = SLUICE_ERROR;
          (*error)->code = SLUICE_ERROR_RESTART_FULL_RUN;
        }
      return FALSE;
    }
  run->sink_begun = TRUE;
  return TRUE;
}

static gboolean
start (Run *run, SluiceRunType requested, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  SluiceRunStats *stats = run->stats;
  g_autoptr (GError) local_error = NULL;
  gboolean source_populated = TRUE;

  if (!load_state (run, error))
    return FALSE;
  stats->since_before = g_strdup (run->state.since);
  stats->since_after = g_strdup (run->state.since);
  run->committed_since = g_strdup (run->state.since);
  remember_checkpoint (run);
  /* Before anything is written: refuse while a sink dataset's breaker is tripped, else arm it. */
  {
    SluiceBreakerLimits limits;

    sluice_breaker_limits_from_options (plan->sink_options, &limits);
    run->breaker = sluice_breaker_run_begin (plan->store, plan->pipe_id, stats->run_id,
                                             plan->sink_datasets, &limits, run->state.since,
                                             run->state.full_run_started, error);
    if (run->breaker == NULL)
      return FALSE;
  }
  stats->run_type = resolve_run_type (run, requested);
  if (!check_inputs_populated (run, &source_populated, error))
    return FALSE;
  if (stats->run_type == SLUICE_RUN_TYPE_PARTIAL)
    {
      if (!start_partial (run, error))
        return FALSE;
    }
  else if (stats->run_type == SLUICE_RUN_TYPE_INCREMENTAL || run->resumed)
    {
      run->since = sluice_value_from_json (run->state.since, -1, &local_error);
      if (run->since == NULL)
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                       "the stored offset '%s' is not valid JSON: %s", run->state.since,
                       local_error->message);
          return FALSE;
        }
    }
  else
    start_over (run);
  run->state.runs++;
  run->state.last_run_started = stats->started;

  if (run->observer != NULL && run->observer->started != NULL)
    run->observer->started (run->user_data, stats);
  if (!sluice_execution_log_write_started (plan->store, plan->pipe_id, stats, &local_error))
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "writing the execution log failed: %s", local_error->message);
      return FALSE;
    }

  if (open_elements (run, source_populated, &local_error))
    return TRUE;
  if (!run->resumed
      || !g_error_matches (local_error, SLUICE_ERROR, SLUICE_ERROR_RESTART_FULL_RUN))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* The sink cannot continue the unfinished full run: it starts over, which is always safe. */
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "SLUICE_PIPE", plan->pipe_id, "MESSAGE",
                    "pipe '%s': %s; the full run starts over from the beginning", plan->pipe_id,
                    local_error->message);
  g_clear_error (&local_error);
  if (run->source_open && source_cb (plan)->close != NULL)
    source_cb (plan)->close (plan->source.instance);
  run->source_open = FALSE;
  run->resumed = FALSE;
  g_clear_pointer (&run->since, sluice_value_unref);
  start_over (run);
  return open_elements (run, source_populated, error);
}

/* Closes the elements and commits the final pipe state together with whatever the sink's end
 * callback wrote. */
static gboolean
finish (Run *run, gboolean success, GError **error)
{
  const SluiceRunPlan *plan = run->plan;
  g_autoptr (GError) local_error = NULL;
  gboolean ok = success;

  if (run->source_open && source_cb (plan)->close != NULL)
    source_cb (plan)->close (plan->source.instance);
  sluice_host_datasets_begin_batch (plan->host);
  if (run->sink_begun && sink_cb (plan)->end != NULL
      && !sink_cb (plan)->end (plan->sink.instance, success, &local_error) && success)
    {
      element_error (error, &plan->sink, 0, "could not finish writing", local_error);
      ok = FALSE;
    }
  g_clear_error (&local_error);
  if (!run->state_loaded)
    {
      sluice_host_datasets_abort_batch (plan->host);
      return FALSE;
    }
  if (!ok)
    {
      /* Nothing the sink's end callback wrote in a failed run counts. */
      sluice_host_datasets_abort_batch (plan->host);
      sluice_host_datasets_begin_batch (plan->host);
    }
  /* What the end wrote (deletion tracking) counts toward the breaker's limit; when it goes over,
   * it stays, uncommitted, with the trip. */
  else if (!sluice_breaker_run_check (run->breaker,
                                      run->stats->changes
                                        + sluice_host_datasets_get_batch_changes (plan->host),
                                      error))
    {
      g_prefix_error (error, "%s (type '%s') at the end of the run: ", plan->sink.pointer,
                      plan->sink.type_name);
      ok = FALSE;
    }
  else if (sink_has_position (plan) && !take_sink_position (run, 0, error))
    ok = FALSE;

  if (ok)
    run->state.full_run_started = 0;
  if (ok && plan->continuation != SLUICE_CONTINUATION_NONE)
    {
      if (run->partial_floor != NULL
          && (run->since == NULL || sluice_value_compare (run->since, run->partial_floor) < 0))
        {
          g_clear_pointer (&run->since, sluice_value_unref);
          run->since = sluice_value_ref (run->partial_floor);
        }
      set_state_since (run, dup_since_json (run));
    }
  else if (!ok && sink_has_position (plan))
    {
      /* What a SIGKILL would have left: the last checkpoint's offset and position. */
      if (plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL)
        set_state_since (run, g_strdup (run->checkpoint_since));
      g_free (run->state.sink_position);
      run->state.sink_position = g_strdup (run->checkpoint_position);
    }
  else if (plan->continuation == SLUICE_CONTINUATION_CHRONOLOGICAL)
    set_state_since (run, g_strdup (run->committed_since));
  run->stats->changes += sluice_host_datasets_get_batch_changes (plan->host);
  run->state.last_run_finished = g_get_real_time ();
  if (!sluice_breaker_run_settle (run->breaker, plan->host, TRUE, &local_error))
    {
      sluice_host_datasets_abort_batch (plan->host);
      if (ok)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_warning ("pipe '%s': %s", plan->pipe_id, local_error->message);
      return FALSE;
    }
  if (!sluice_host_datasets_commit_batch (plan->host, plan->pipe_id, &run->state,
                                          commit_flags (run), &local_error))
    {
      if (ok)
        g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                     "committing the end of the run failed: %s", local_error->message);
      else
        g_warning ("pipe '%s': saving the pipe state after a failed run failed: %s",
                   plan->pipe_id, local_error->message);
      return FALSE;
    }
  g_free (run->stats->since_after);
  run->stats->since_after = g_strdup (run->state.since);
  return ok;
}

SluiceRunStats *
sluice_run_execute (const SluiceRunPlan *plan, SluiceRunType run_type, GCancellable *cancellable,
                    const SluiceRunObserver *observer, gpointer user_data)
{
  Run run = {
    .plan = plan,
    .cancellable = cancellable,
    .observer = observer,
    .user_data = user_data,
  };
  SluiceRunStats *stats = g_new0 (SluiceRunStats, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) log_error = NULL;
  gboolean ok;

  stats->run_id = g_uuid_string_random ();
  stats->started = g_get_real_time ();
  stats->run_type = run_type == SLUICE_RUN_TYPE_AUTO ? SLUICE_RUN_TYPE_FULL : run_type;
  run.stats = stats;
  run.retry = sluice_run_retry_new (plan, stats, cancellable);

  if (plan->store == NULL)
    {
      g_set_error (&stats->error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                   "the pipe cannot run without a store");
      stats->finished = g_get_real_time ();
      return stats;
    }
  /* Write errors of earlier runs are retried before the source is read. */
  ok = start (&run, run_type, &error) && sluice_run_retry_write_pending (run.retry, &error)
       && read_all (&run, &error);
  if (!finish (&run, ok, ok ? &error : NULL))
    ok = FALSE;
  sluice_run_retry_finish (run.retry);

  stats->finished = g_get_real_time ();
  if (!ok)
    stats->error = error != NULL ? g_steal_pointer (&error)
                                 : g_error_new (SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                                                "the run failed");
  if (!sluice_execution_log_write_finished (plan->store, plan->pipe_id, stats, &log_error))
    g_warning ("pipe '%s': writing the execution log failed: %s", plan->pipe_id,
               log_error->message);

  sluice_pipe_state_clear (&run.state);
  g_clear_pointer (&run.since, sluice_value_unref);
  g_clear_pointer (&run.partial_floor, sluice_value_unref);
  g_free (run.committed_since);
  g_free (run.checkpoint_since);
  g_free (run.checkpoint_position);
  sluice_breaker_run_free (run.breaker);
  sluice_run_retry_free (run.retry);
  return stats;
}
