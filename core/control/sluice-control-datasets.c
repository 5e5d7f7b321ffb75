/* sluice-control-datasets.c — the dataset operations of SluiceControl (sluice-control.h):
 * snapshots, streaming reads, single entities, deletion. */
#include <string.h>

#include "sluice-control-private.h"

#include "sluice-execution-log.h"
#include "sluice-store.h"

void
sluice_dataset_snapshot_free (SluiceDatasetSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->dataset_id);
  g_free (snapshot->generation);
  g_free (snapshot->writer);
  g_free (snapshot);
}

static SluiceStoreBackend *
require_store (SluiceControl *control, GError **error)
{
  if (control->store == NULL)
    g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_FAILED,
                 "this host runs without a store");
  return control->store;
}

const char *
sluice_control_lookup_writer (SluiceControl *control, const char *dataset_id)
{
  const GPtrArray *pipes = sluice_engine_get_pipes (control->current->engine);

  for (guint i = 0; i < pipes->len; i++)
    {
      SluicePipe *pipe = g_ptr_array_index (pipes, i);

      if (g_strv_contains (sluice_pipe_get_output_datasets (pipe), dataset_id))
        return sluice_pipe_get_id (pipe);
    }
  return NULL;
}

const char *
sluice_control_lookup_dataset_pipe (SluiceControl *control, const char *dataset_id)
{
  const char *writer;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  writer = sluice_control_lookup_writer (control, dataset_id);
  if (writer != NULL)
    return writer;
  if (g_str_has_prefix (dataset_id, SLUICE_EXECUTION_LOG_PREFIX))
    return dataset_id + strlen (SLUICE_EXECUTION_LOG_PREFIX);
  return NULL;
}

static SluiceDatasetSnapshot *
dataset_snapshot (SluiceControl *control, const SluiceDatasetInfo *info)
{
  SluiceDatasetSnapshot *s = g_new0 (SluiceDatasetSnapshot, 1);

  s->dataset_id = g_strdup (info->name);
  s->generation = g_strdup (info->generation);
  s->created = info->created;
  s->max_offset = info->next_offset - 1;
  s->entity_count = info->entity_count;
  s->id_count = info->id_count;
  s->version_count = info->version_count;
  s->populated = info->populated;
  s->breaker_tripped = sluice_control_dataset_is_tripped (control, info->name, NULL);
  s->writer = g_strdup (sluice_control_lookup_writer (control, info->name));
  return s;
}

SluiceDatasetSnapshot *
sluice_control_get_dataset (SluiceControl *control, const char *dataset_id, GError **error)
{
  SluiceStoreBackend *store;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  store = require_store (control, error);
  if (store == NULL)
    return NULL;
  info = sluice_store_backend_dup_dataset_info (store, dataset_id, NULL, &local_error);
  if (info == NULL)
    {
      if (g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        {
          g_clear_error (&local_error);
          g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                       "there is no dataset '%s'", dataset_id);
          return NULL;
        }
      sluice_control_propagate_error (error, local_error);
      return NULL;
    }
  return dataset_snapshot (control, info);
}

GPtrArray *
sluice_control_list_datasets (SluiceControl *control, GError **error)
{
  SluiceStoreBackend *store;
  g_autoptr (GPtrArray) infos = NULL;
  GPtrArray *datasets;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  store = require_store (control, error);
  if (store == NULL)
    return NULL;
  infos = sluice_store_backend_list_datasets (store, &local_error);
  if (infos == NULL)
    {
      sluice_control_propagate_error (error, local_error);
      return NULL;
    }
  datasets = g_ptr_array_new_full (infos->len, (GDestroyNotify) sluice_dataset_snapshot_free);
  for (guint i = 0; i < infos->len; i++)
    g_ptr_array_add (datasets, dataset_snapshot (control, g_ptr_array_index (infos, i)));
  return datasets;
}

gboolean
sluice_control_delete_dataset (SluiceControl *control, const char *dataset_id, gboolean force,
                               GError **error)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  g_autoptr (SluiceStoreTxn) txn = NULL;
  SluicePipe *writer = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  snapshot = sluice_control_get_dataset (control, dataset_id, error);
  if (snapshot == NULL)
    return FALSE;
  if (snapshot->writer != NULL)
    {
      writer = sluice_control_lookup_pipe_for_operation (control, snapshot->writer, error);
      if (writer == NULL || sluice_control_refuse_running (control, snapshot->writer, error)
          || sluice_control_refuse_durable (writer, "deleting the dataset it writes", force, error))
        return FALSE;
      /* The offset goes first: should the host stop between the two steps, the writer's next
       * run is a full one over an intact dataset, which is harmless; the other order would let
       * it continue incrementally into an empty dataset. */
      if (!sluice_pipe_set_since (writer, NULL, &local_error))
        return sluice_control_propagate_error (error, local_error);
    }
  txn = sluice_store_backend_begin (control->store, &local_error);
  if (txn == NULL || !sluice_store_txn_delete_dataset (txn, dataset_id, &local_error)
      || !sluice_store_txn_commit (g_steal_pointer (&txn), SLUICE_STORE_COMMIT_DURABLE,
                                   &local_error))
    return sluice_control_propagate_error (error, local_error);
  if (writer != NULL)
    sluice_control_notify_pipe_changed (control, snapshot->writer);
  return TRUE;
}

struct _SluiceDatasetStream
{
  SluiceStoreBackend *store; /* borrowed: outlives the control and its readers */
  char *dataset;
  SluiceStoreQuery query;
  SluiceStoreView view;      /* the query's */
  SluiceStoreCursor *cursor; /* created on the first read, on the reading thread */
};

SluiceDatasetStream *
sluice_control_read_dataset (SluiceControl *control, const char *dataset_id,
                             const SluiceDatasetQuery *query, GError **error)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  SluiceDatasetStream *reader;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  snapshot = sluice_control_get_dataset (control, dataset_id, error);
  if (snapshot == NULL)
    return NULL;
  reader = g_new0 (SluiceDatasetStream, 1);
  reader->store = control->store;
  reader->dataset = g_strdup (dataset_id);
  reader->query.dataset = reader->dataset;
  reader->query.since = query->since < 0 ? SLUICE_STORE_NO_OFFSET : query->since;
  reader->query.limit = query->limit;
  reader->query.history = query->history;
  /* Every version of the log includes the deletes (digest §2.3). */
  reader->query.deleted = query->history || query->deleted;
  reader->view.uncommitted = query->uncommitted;
  reader->query.view = &reader->view;
  return reader;
}

SluiceEntity *
sluice_dataset_stream_next (SluiceDatasetStream *reader, GError **error)
{
  g_return_val_if_fail (reader != NULL, NULL);

  if (reader->cursor == NULL)
    {
      reader->cursor = sluice_store_backend_read (reader->store, &reader->query, error);
      if (reader->cursor == NULL)
        return NULL;
    }
  return sluice_store_cursor_next_entity (reader->cursor, reader->dataset, error);
}

void
sluice_dataset_stream_pause (SluiceDatasetStream *reader)
{
  if (reader != NULL && reader->cursor != NULL)
    sluice_store_cursor_pause (reader->cursor);
}

void
sluice_dataset_stream_free (SluiceDatasetStream *reader)
{
  if (reader == NULL)
    return;
  g_clear_pointer (&reader->cursor, sluice_store_cursor_free);
  g_free (reader->dataset);
  g_free (reader);
}

SluiceEntity *
sluice_control_get_entity (SluiceControl *control, const char *dataset_id, const char *entity_id,
                           gint64 offset, GError **error)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  SluiceEntity *entity;
  GError *local_error = NULL;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  snapshot = sluice_control_get_dataset (control, dataset_id, error);
  if (snapshot == NULL)
    return NULL;
  if (offset >= 0)
    entity = sluice_store_dup_entity_at (control->store, dataset_id, offset, NULL, &local_error);
  else
    entity = sluice_store_dup_entity (control->store, dataset_id, entity_id, NULL, &local_error);
  if (local_error != NULL)
    {
      sluice_control_propagate_error (error, local_error);
      return NULL;
    }
  if (entity != NULL && offset >= 0 && entity_id != NULL
      && g_strcmp0 (sluice_entity_get_id (entity), entity_id) != 0)
    g_clear_pointer (&entity, sluice_entity_unref);
  if (entity == NULL)
    {
      if (offset >= 0)
        g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                     "dataset '%s' has no version at offset %" G_GINT64_FORMAT "%s%s%s",
                     dataset_id, offset, entity_id != NULL ? " of entity '" : "",
                     entity_id != NULL ? entity_id : "", entity_id != NULL ? "'" : "");
      else
        g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                     "dataset '%s' has no entity '%s'", dataset_id, entity_id);
    }
  return entity;
}
