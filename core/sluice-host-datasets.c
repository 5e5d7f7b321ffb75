/* sluice-host-datasets.c — SluiceHostServices on top of the store, with the lazily opened batch
 * transaction that lets a dataset sink commit its entities and the pipe offset together. */
#include "sluice-host-datasets.h"
#include "sluice-store.h"

struct _SluiceHostDatasets
{
  SluiceStoreBackend *store; /* borrowed; NULL when elements are only built, not run */
  SluiceHostSystemLookup lookup;
  gpointer lookup_data;
  gboolean in_batch;
  SluiceStoreTxn *txn;  /* the batch transaction, once something was written */
  GHashTable *ensured;  /* datasets created (or found) in @txn */
  guint64 batch_changes;
};

typedef struct
{
  char *dataset;
  SluiceStoreCursor *cursor; /* NULL: the dataset did not exist, so the read is empty */
} Reader;

SluiceHostDatasets *
sluice_host_datasets_new (SluiceStoreBackend *store, SluiceHostSystemLookup lookup,
                          gpointer lookup_data)
{
  SluiceHostDatasets *host = g_new0 (SluiceHostDatasets, 1);

  host->store = store;
  host->lookup = lookup;
  host->lookup_data = lookup_data;
  host->ensured = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return host;
}

void
sluice_host_datasets_free (SluiceHostDatasets *host)
{
  if (host == NULL)
    return;
  sluice_host_datasets_abort_batch (host);
  g_hash_table_destroy (host->ensured);
  g_free (host);
}

/* Dataset calls need a store; an engine built only to check the configuration has none. */
static gboolean
have_store (SluiceHostDatasets *host, GError **error)
{
  if (host->store == NULL)
    g_set_error_literal (error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED,
                         "datasets cannot be read or written while the configuration is only "
                         "being checked");
  return host->store != NULL;
}

static SluiceStoreTxn *
ensure_txn (SluiceHostDatasets *host, GError **error)
{
  if (host->txn == NULL)
    {
      host->txn = sluice_store_backend_begin (host->store, error);
      g_hash_table_remove_all (host->ensured);
    }
  return host->txn;
}

/* The dataset is created on its first write, inside the transaction that writes it. */
static gboolean
ensure_dataset (SluiceHostDatasets *host, const char *dataset, GError **error)
{
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (g_hash_table_contains (host->ensured, dataset))
    return TRUE;
  info = sluice_store_txn_create_dataset (host->txn, dataset, TRUE, error);
  if (info == NULL)
    return FALSE;
  g_hash_table_add (host->ensured, g_strdup (dataset));
  return TRUE;
}

/* Outside a batch, a write is a transaction of its own. */
static gboolean
finish_unbatched (SluiceHostDatasets *host, gboolean ok, GError **error)
{
  if (host->in_batch)
    return ok;
  if (!ok)
    {
      sluice_host_datasets_abort_batch (host);
      return FALSE;
    }
  return sluice_host_datasets_commit_batch (host, NULL, NULL, 0, error);
}

static void *
host_reader_new (void *host_data, SluiceElementContext *context, const char *dataset, int64_t since,
                 uint32_t flags, GError **error)
{
  SluiceHostDatasets *host = host_data;
  SluiceStoreQuery query = {
    .dataset = dataset,
    .since = since < 0 ? SLUICE_STORE_NO_OFFSET : since,
    .history = (flags & SLUICE_DATASET_READ_HISTORY) != 0,
    .deleted = (flags & SLUICE_DATASET_READ_DELETED) != 0,
    /* A pipe sees what its own run wrote into a dataset its circuit breaker holds. */
    .holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL,
  };
  g_autoptr (GError) local_error = NULL;
  Reader *reader;
  SluiceStoreCursor *cursor;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return NULL;
  cursor = sluice_store_backend_read (host->store, &query, &local_error);
  if (cursor == NULL
      && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  reader = g_new0 (Reader, 1);
  reader->dataset = g_strdup (dataset);
  reader->cursor = cursor;
  return reader;
}

static SluiceFlow
host_reader_read (void *host_data, void *host_reader, SluiceBatch *batch, uint32_t max_entities,
                  GError **error)
{
  Reader *reader = host_reader;

  if (reader->cursor == NULL)
    return SLUICE_FLOW_EOS;
  for (uint32_t n = 0; n < max_entities; n++)
    {
      GError *local_error = NULL;
      SluiceEntity *entity
        = sluice_store_cursor_next_entity (reader->cursor, reader->dataset, &local_error);

      if (entity == NULL)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return SLUICE_FLOW_ERROR;
            }
          return SLUICE_FLOW_EOS;
        }
      sluice_batch_take (batch, entity);
    }
  /* The run writes this batch before it reads the next: hold no read transaction meanwhile, or
   * the store could not grow under the writer. */
  sluice_store_cursor_pause (reader->cursor);
  return SLUICE_FLOW_OK;
}

static void
host_reader_free (void *host_data, void *host_reader)
{
  Reader *reader = host_reader;

  g_clear_pointer (&reader->cursor, sluice_store_cursor_free);
  g_free (reader->dataset);
  g_free (reader);
}

static gboolean
host_append_offsets (void *host_data, SluiceElementContext *context, const char *dataset,
                     const SluiceBatch *batch, uint32_t flags, int64_t *ret_offsets,
                     size_t *ret_n_appended, GError **error)
{
  SluiceHostDatasets *host = host_data;
  uint32_t store_flags = (flags & SLUICE_DATASET_APPEND_FORCE) ? SLUICE_STORE_APPEND_FORCE : 0;
  size_t n_appended = 0;
  gboolean ok;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  if (ret_offsets != NULL)
    store_flags |= SLUICE_STORE_APPEND_REPORT_KEPT;
  ok = ensure_txn (host, error) != NULL && ensure_dataset (host, dataset, error)
       && sluice_store_txn_append_batch_offsets (host->txn, dataset, batch, store_flags,
                                                 ret_offsets, &n_appended, error);
  if (ok)
    host->batch_changes += n_appended;
  if (!finish_unbatched (host, ok, error))
    return FALSE;
  if (ret_n_appended != NULL)
    *ret_n_appended = n_appended;
  return TRUE;
}

static gboolean
host_append (void *host_data, SluiceElementContext *context, const char *dataset,
             const SluiceBatch *batch, uint32_t flags, size_t *ret_n_appended, GError **error)
{
  return host_append_offsets (host_data, context, dataset, batch, flags, NULL, ret_n_appended,
                              error);
}

/* The same view as host_reader_new (): a pipe sees what its own run holds. */
static gboolean
host_scan_live (void *host_data, SluiceElementContext *context, const char *dataset,
                SluiceDatasetLiveFunc func, void *user_data, GError **error)
{
  SluiceHostDatasets *host = host_data;
  SluiceStoreView view = {
    .holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL,
  };

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return sluice_store_backend_scan_live (host->store, dataset, &view, func, user_data, error);
}

static SluiceEntity *
host_get_entity (void *host_data, SluiceElementContext *context, const char *dataset,
                 const char *id, GError **error)
{
  SluiceHostDatasets *host = host_data;
  g_autoptr (GError) local_error = NULL;
  SluiceStoreView view = { 0 };
  SluiceEntity *entity;

  if (!have_store (host, error))
    return NULL;
  view.holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL;
  entity = sluice_store_get_entity_in_view (host->store, dataset, id, &view, &local_error);
  if (entity == NULL && local_error != NULL
      && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));
  return entity;
}

static gboolean
host_get_state (void *host_data, SluiceElementContext *context, const char *dataset,
                gboolean *ret_exists, gboolean *ret_populated, GError **error)
{
  SluiceHostDatasets *host = host_data;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (!have_store (host, error))
    return FALSE;
  info = sluice_store_backend_get_dataset_info (host->store, dataset, &local_error);
  if (info == NULL && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (ret_exists != NULL)
    *ret_exists = info != NULL;
  if (ret_populated != NULL)
    *ret_populated = info != NULL && info->populated;
  return TRUE;
}

static gboolean
host_set_populated (void *host_data, SluiceElementContext *context, const char *dataset,
                    GError **error)
{
  SluiceHostDatasets *host = host_data;
  gboolean ok;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  ok = ensure_txn (host, error) != NULL && ensure_dataset (host, dataset, error)
       && sluice_store_txn_set_populated (host->txn, dataset, TRUE, error);
  return finish_unbatched (host, ok, error);
}

static SluiceValue *
host_get_system (void *host_data, const SluiceElementContext *context, const char *system_id)
{
  SluiceHostDatasets *host = host_data;

  return host->lookup != NULL ? host->lookup (system_id, host->lookup_data) : NULL;
}

static const SluiceHostServices host_services = {
  SLUICE_HOST_SERVICES_INIT,
  .reader_new = host_reader_new,
  .reader_read = host_reader_read,
  .reader_free = host_reader_free,
  .append = host_append,
  .get_entity = host_get_entity,
  .get_state = host_get_state,
  .set_populated = host_set_populated,
  .get_system = host_get_system,
  .append_offsets = host_append_offsets,
  .scan_live = host_scan_live,
};

void
sluice_host_datasets_attach (SluiceHostDatasets *host, SluiceElementContext *context)
{
  sluice_element_context_set_host (context, &host_services, host);
}

void
sluice_host_datasets_begin_batch (SluiceHostDatasets *host)
{
  sluice_host_datasets_abort_batch (host);
  host->in_batch = TRUE;
}

guint64
sluice_host_datasets_get_batch_changes (SluiceHostDatasets *host)
{
  return host->batch_changes;
}

gboolean
sluice_host_datasets_commit_batch (SluiceHostDatasets *host, const char *pipe,
                                   const SluicePipeState *state, uint32_t commit_flags,
                                   GError **error)
{
  gboolean ok = TRUE;

  if (state != NULL && ensure_txn (host, error) == NULL)
    ok = FALSE;
  else if (state != NULL)
    ok = sluice_store_txn_set_pipe_state (host->txn, pipe, state, error);
  if (ok && host->txn != NULL)
    ok = sluice_store_txn_commit (g_steal_pointer (&host->txn), commit_flags, error);
  g_clear_pointer (&host->txn, sluice_store_txn_abort);
  g_hash_table_remove_all (host->ensured);
  host->in_batch = FALSE;
  host->batch_changes = 0;
  return ok;
}

SluiceStoreTxn *
sluice_host_datasets_get_txn (SluiceHostDatasets *host, GError **error)
{
  return ensure_txn (host, error);
}

void
sluice_host_datasets_abort_batch (SluiceHostDatasets *host)
{
  g_clear_pointer (&host->txn, sluice_store_txn_abort);
  g_hash_table_remove_all (host->ensured);
  host->in_batch = FALSE;
  host->batch_changes = 0;
}
