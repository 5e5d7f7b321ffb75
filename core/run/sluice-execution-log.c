/* sluice-execution-log.c — builds the execution-log entities of a pipe and appends each in a
 * transaction of its own. */
#include <sluice-plugin-sdk.h>

#include "sluice-execution-log.h"
#include "sluice-store.h"

char *
sluice_execution_log_dataset_name (const char *pipe)
{
  return g_strconcat (SLUICE_EXECUTION_LOG_PREFIX, pipe, NULL);
}

static SluiceValue *
new_time (gint64 usec)
{
  SluiceValue *value;

  value = sluice_value_new_datetime (usec / G_USEC_PER_SEC, (usec % G_USEC_PER_SEC) * 1000, NULL);
  return value != NULL ? value : sluice_value_new_null ();
}

/* A stored offset (JSON text) as a value; null when absent or unreadable. */
static SluiceValue *
new_offset (const char *since)
{
  SluiceValue *value = since != NULL ? sluice_value_from_json (since, -1, NULL) : NULL;

  return value != NULL ? value : sluice_value_new_null ();
}

static gboolean
append_event (SluiceStoreBackend *store, const char *pipe, SluiceDictBuilder *builder,
              GError **error)
{
  g_autofree char *dataset = sluice_execution_log_dataset_name (pipe);
  g_autoptr (SluiceValue) body = sluice_dict_builder_end (builder);
  g_autoptr (SluiceEntity) entity = sluice_entity_new (body, error);
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (SluiceStoreTxn) txn = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (entity == NULL)
    return FALSE;
  sluice_batch_add (batch, entity);
  txn = sluice_store_backend_begin (store, error);
  if (txn == NULL)
    return FALSE;
  info = sluice_store_txn_create_dataset (txn, dataset, TRUE, error);
  if (info == NULL
      || !sluice_store_txn_append_batch (txn, dataset, batch, SLUICE_STORE_APPEND_FORCE, NULL,
                                         error))
    return FALSE;
  return sluice_store_txn_commit (g_steal_pointer (&txn), 0, error);
}

static SluiceDictBuilder *
new_run_event (const char *event_type, const char *pipe, const SluiceRunStats *stats)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();
  g_autofree char *id = g_strdup_printf ("%s:%s", event_type, stats->run_id);

  sluice_dict_builder_take (builder, "_id", sluice_value_new_string (id, -1));
  sluice_dict_builder_take (builder, "event_type", sluice_value_new_string (event_type, -1));
  sluice_dict_builder_take (builder, "run_id", sluice_value_new_string (stats->run_id, -1));
  sluice_dict_builder_take (builder, "pipe", sluice_value_new_string (pipe, -1));
  sluice_dict_builder_take (builder, "start_time", new_time (stats->started));
  sluice_dict_builder_take (builder, "sync_type",
                            sluice_value_new_string (sluice_run_type_to_string (stats->run_type), -1));
  return builder;
}

gboolean
sluice_execution_log_write_started (SluiceStoreBackend *store, const char *pipe,
                                    const SluiceRunStats *stats, GError **error)
{
  SluiceDictBuilder *builder = new_run_event ("pump-started", pipe, stats);

  sluice_dict_builder_take (builder, "pipe_offset", new_offset (stats->since_before));
  return append_event (store, pipe, builder, error);
}

static SluiceValue *
new_metrics (const SluiceRunStats *stats)
{
  g_autoptr (SluiceDictBuilder) entities = sluice_dict_builder_new ();
  g_autoptr (SluiceDictBuilder) metrics = sluice_dict_builder_new ();

  sluice_dict_builder_take (entities, "entities_last_run",
                            sluice_value_new_integer ((int64_t) stats->entities_read));
  sluice_dict_builder_take (entities, "changes_last_run",
                            sluice_value_new_integer ((int64_t) stats->changes));
  sluice_dict_builder_take (entities, "read_errors_last_run",
                            sluice_value_new_integer ((int64_t) stats->read_errors));
  sluice_dict_builder_take (entities, "write_errors_last_run",
                            sluice_value_new_integer ((int64_t) stats->write_errors));
  sluice_dict_builder_take (metrics, "entities",
                            sluice_dict_builder_end (g_steal_pointer (&entities)));
  return sluice_dict_builder_end (g_steal_pointer (&metrics));
}

gboolean
sluice_execution_log_write_finished (SluiceStoreBackend *store, const char *pipe,
                                     const SluiceRunStats *stats, GError **error)
{
  gboolean failed = stats->error != NULL;
  SluiceDictBuilder *builder
    = new_run_event (failed ? "pump-failed" : "pump-completed", pipe, stats);

  sluice_dict_builder_take (builder, "end_time", new_time (stats->finished));
  sluice_dict_builder_take (
    builder, "total_time",
    sluice_value_new_float ((double) (stats->finished - stats->started) / G_USEC_PER_SEC));
  sluice_dict_builder_take (builder, "entities_succeeded",
                            sluice_value_new_integer ((int64_t) stats->entities_written));
  sluice_dict_builder_take (builder, "batches_committed",
                            sluice_value_new_integer ((int64_t) stats->batches_committed));
  sluice_dict_builder_take (builder, "original_pipe_offset", new_offset (stats->since_before));
  sluice_dict_builder_take (builder, "pipe_offset", new_offset (stats->since_after));
  sluice_dict_builder_take (builder, "metrics", new_metrics (stats));
  sluice_dict_builder_take (builder, "entities_failed",
                            sluice_value_new_integer ((int64_t) stats->entities_failed));
  sluice_dict_builder_take (builder, "retry_entities_exist",
                            sluice_value_new_boolean (stats->retries_pending > 0));
  if (failed)
    {
      gboolean stopped
        = g_error_matches (stats->error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED);

      sluice_dict_builder_take (builder, "reason_why_stopped",
                                sluice_value_new_string (stopped ? "stopped" : "failed", -1));
      sluice_dict_builder_take (builder, "original_error_message",
                                sluice_value_new_string (stats->error->message, -1));
    }
  return append_event (store, pipe, builder, error);
}

SluiceDictBuilder *
sluice_execution_log_new_event (const char *event_type, const char *pipe)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = g_strdup_printf ("%s:%s", event_type, uuid);

  sluice_dict_builder_take (builder, "_id", sluice_value_new_string (id, -1));
  sluice_dict_builder_take (builder, "event_type", sluice_value_new_string (event_type, -1));
  sluice_dict_builder_take (builder, "pipe", sluice_value_new_string (pipe, -1));
  sluice_dict_builder_take (builder, "event_time", new_time (g_get_real_time ()));
  return builder;
}

gboolean
sluice_execution_log_append (SluiceStoreBackend *store, const char *pipe,
                             SluiceDictBuilder *event, GError **error)
{
  return append_event (store, pipe, event, error);
}

gboolean
sluice_execution_log_write_offset_set (SluiceStoreBackend *store, const char *pipe,
                                       const char *since, const char *original_since,
                                       GError **error)
{
  SluiceDictBuilder *builder = sluice_execution_log_new_event ("pump-offset-set", pipe);

  sluice_dict_builder_take (builder, "pipe_offset", new_offset (since));
  sluice_dict_builder_take (builder, "original_pipe_offset", new_offset (original_since));
  sluice_dict_builder_take (builder, "is_reset", sluice_value_new_boolean (since == NULL));
  return append_event (store, pipe, builder, error);
}

gboolean
sluice_execution_log_write_pump_enabled (SluiceStoreBackend *store, const char *pipe,
                                         gboolean enabled, const char *comment, GError **error)
{
  SluiceDictBuilder *builder
    = sluice_execution_log_new_event (enabled ? "pump-enabled" : "pump-disabled", pipe);

  sluice_dict_builder_take (builder, "comment",
                            comment != NULL ? sluice_value_new_string (comment, -1)
                                            : sluice_value_new_null ());
  return append_event (store, pipe, builder, error);
}
