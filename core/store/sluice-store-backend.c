/* sluice-store-backend.c — dispatch from the store backend interface to a backend's vtable, the
 * checks every backend shares (dataset names, compaction options), so that all backends refuse the
 * same things with the same messages, and the defaults of the optional entries. */
#include "sluice-store-backend.h"

#include <string.h>

G_DEFINE_QUARK (sluice-store-error-quark, sluice_store_error)

static gboolean
not_supported (SluiceStoreBackend *backend, const char *what, GError **error)
{
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_FAILED,
               "%s: the %s backend does not support %s", sluice_store_backend_describe (backend),
               backend->vtable->name, what);
  return FALSE;
}

void
sluice_dataset_info_free (SluiceDatasetInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->generation);
  g_free (info);
}

void
sluice_pipe_state_clear (SluicePipeState *state)
{
  g_clear_pointer (&state->since, g_free);
  g_clear_pointer (&state->sink_position, g_free);
  memset (state, 0, sizeof (*state));
}

void
sluice_breaker_state_clear (SluiceBreakerState *state)
{
  g_free (state->pipe);
  g_free (state->run_id);
  g_free (state->message);
  g_free (state->since_before);
  memset (state, 0, sizeof (*state));
}

gboolean
sluice_store_check_dataset_name (const char *dataset, GError **error)
{
  if (dataset == NULL || *dataset == '\0')
    {
      g_set_error_literal (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                           "dataset id is empty: expected a non-empty string");
      return FALSE;
    }
  if (strlen (dataset) > 255)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                   "dataset id '%.40s…' is %zu bytes long: expected at most 255", dataset,
                   strlen (dataset));
      return FALSE;
    }
  if (!g_utf8_validate (dataset, -1, NULL))
    {
      g_set_error_literal (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                           "dataset id is not valid UTF-8");
      return FALSE;
    }
  if (strchr (dataset, '/') != NULL)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                   "dataset id '%s' contains '/': dataset ids must not contain '/'", dataset);
      return FALSE;
    }
  return TRUE;
}

void
sluice_store_backend_free (SluiceStoreBackend *backend)
{
  if (backend != NULL)
    backend->vtable->free (backend);
}

const char *
sluice_store_backend_describe (SluiceStoreBackend *backend)
{
  if (backend->vtable->describe != NULL)
    return backend->vtable->describe (backend);
  return backend->vtable->name;
}

GPtrArray *
sluice_store_backend_list_datasets (SluiceStoreBackend *backend, GError **error)
{
  return backend->vtable->list_datasets (backend, error);
}

SluiceDatasetInfo *
sluice_store_backend_dup_dataset_info (SluiceStoreBackend *backend, const char *dataset,
                                       const SluiceStoreView *view, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return NULL;
  return backend->vtable->dup_dataset_info (backend, dataset, view, error);
}

SluiceDatasetInfo *
sluice_store_backend_create_dataset (SluiceStoreBackend *backend, const char *dataset,
                                     gboolean exist_ok, GError **error)
{
  SluiceStoreTxn *txn = sluice_store_backend_begin (backend, error);
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (txn == NULL)
    return NULL;
  info = sluice_store_txn_create_dataset (txn, dataset, exist_ok, error);
  if (info == NULL)
    {
      sluice_store_txn_abort (txn);
      return NULL;
    }
  if (!sluice_store_txn_commit (txn, 0, error))
    return NULL;
  return g_steal_pointer (&info);
}

gboolean
sluice_store_backend_delete_dataset (SluiceStoreBackend *backend, const char *dataset,
                                     GError **error)
{
  SluiceStoreTxn *txn = sluice_store_backend_begin (backend, error);

  if (txn == NULL)
    return FALSE;
  if (!sluice_store_txn_delete_dataset (txn, dataset, error))
    {
      sluice_store_txn_abort (txn);
      return FALSE;
    }
  return sluice_store_txn_commit (txn, 0, error);
}

SluiceStoreTxn *
sluice_store_backend_begin (SluiceStoreBackend *backend, GError **error)
{
  return backend->vtable->begin (backend, error);
}

SluiceDatasetInfo *
sluice_store_txn_create_dataset (SluiceStoreTxn *txn, const char *dataset, gboolean exist_ok,
                                 GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return NULL;
  return txn->backend->vtable->txn_create_dataset (txn, dataset, exist_ok, error);
}

gboolean
sluice_store_txn_delete_dataset (SluiceStoreTxn *txn, const char *dataset, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return txn->backend->vtable->txn_delete_dataset (txn, dataset, error);
}

gboolean
sluice_store_txn_append (SluiceStoreTxn *txn, const char *dataset, const SluiceStoreRecord *records,
                         size_t n_records, uint32_t flags, int64_t *ret_offsets,
                         size_t *ret_n_appended, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  for (size_t i = 0; i < n_records; i++)
    {
      if (records[i].id_len == 0 || records[i].id_len > SLUICE_STORE_MAX_ID_SIZE)
        {
          g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                       "dataset '%s', record %zu of the batch: _id is %zu bytes long: expected "
                       "1 to %u bytes",
                       dataset, i, records[i].id_len, SLUICE_STORE_MAX_ID_SIZE);
          return FALSE;
        }
    }
  return txn->backend->vtable->txn_append (txn, dataset, records, n_records, flags, ret_offsets,
                                           ret_n_appended, error);
}

gboolean
sluice_store_txn_set_populated (SluiceStoreTxn *txn, const char *dataset, gboolean populated,
                                GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return txn->backend->vtable->txn_set_populated (txn, dataset, populated, error);
}

gboolean
sluice_store_txn_set_pipe_state (SluiceStoreTxn *txn, const char *pipe,
                                 const SluicePipeState *state, GError **error)
{
  g_return_val_if_fail (pipe != NULL && *pipe != '\0', FALSE);
  return txn->backend->vtable->txn_set_pipe_state (txn, pipe, state, error);
}

gboolean
sluice_store_txn_delete_pipe_state (SluiceStoreTxn *txn, const char *pipe, GError **error)
{
  g_return_val_if_fail (pipe != NULL && *pipe != '\0', FALSE);
  return txn->backend->vtable->txn_delete_pipe_state (txn, pipe, error);
}

gboolean
sluice_store_txn_commit (SluiceStoreTxn *txn, uint32_t flags, GError **error)
{
  return txn->backend->vtable->txn_commit (txn, flags, error);
}

void
sluice_store_txn_abort (SluiceStoreTxn *txn)
{
  if (txn != NULL)
    txn->backend->vtable->txn_abort (txn);
}

SluiceStoreOwnedVersion *
sluice_store_backend_dup_latest (SluiceStoreBackend *backend, const char *dataset, const char *id,
                                 size_t id_len, const SluiceStoreView *view, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return NULL;
  return backend->vtable->dup_latest (backend, dataset, id, id_len, view, error);
}

SluiceStoreOwnedVersion *
sluice_store_backend_dup_version (SluiceStoreBackend *backend, const char *dataset, int64_t offset,
                                  const SluiceStoreView *view, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return NULL;
  return backend->vtable->dup_version (backend, dataset, offset, view, error);
}

SluiceStoreCursor *
sluice_store_backend_read (SluiceStoreBackend *backend, const SluiceStoreQuery *query,
                           GError **error)
{
  if (!sluice_store_check_dataset_name (query->dataset, error))
    return NULL;
  if (query->since < SLUICE_STORE_NO_OFFSET)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                   "dataset '%s': since offset %" G_GINT64_FORMAT " is negative: expected an "
                   "offset ≥ 0",
                   query->dataset, query->since);
      return NULL;
    }
  return backend->vtable->read (backend, query, error);
}

const SluiceStoreVersion *
sluice_store_cursor_next (SluiceStoreCursor *cursor, GError **error)
{
  return cursor->backend->vtable->cursor_next (cursor, error);
}

void
sluice_store_cursor_free (SluiceStoreCursor *cursor)
{
  if (cursor != NULL)
    cursor->backend->vtable->cursor_free (cursor);
}

void
sluice_store_cursor_pause (SluiceStoreCursor *cursor)
{
  if (cursor->backend->vtable->cursor_pause != NULL)
    cursor->backend->vtable->cursor_pause (cursor);
}

gboolean
sluice_store_backend_get_pipe_state (SluiceStoreBackend *backend, const char *pipe,
                                     SluicePipeState *ret_state, GError **error)
{
  g_return_val_if_fail (pipe != NULL && *pipe != '\0', FALSE);
  return backend->vtable->get_pipe_state (backend, pipe, ret_state, error);
}

gboolean
sluice_store_backend_compact (SluiceStoreBackend *backend, const char *dataset,
                              const SluiceCompactOptions *options, SluiceCompactStats *ret_stats,
                              GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  if (options->keep_versions < 0)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                   "dataset '%s': compaction.keep_versions is %d: expected a number ≥ 0", dataset,
                   options->keep_versions);
      return FALSE;
    }
  if (options->keep_versions == 0 && options->time_threshold_hours < 0)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID,
                   "dataset '%s': compaction.keep_versions is 0 without "
                   "compaction.time_threshold_hours: expected keep_versions ≥ 1 or a time "
                   "threshold",
                   dataset);
      return FALSE;
    }
  if (backend->vtable->compact == NULL)
    return not_supported (backend, "compaction", error);
  return backend->vtable->compact (backend, dataset, options, ret_stats, error);
}

gboolean
sluice_store_backend_sync (SluiceStoreBackend *backend, GError **error)
{
  if (backend->vtable->sync == NULL)
    return TRUE;
  return backend->vtable->sync (backend, error);
}

gboolean
sluice_store_backend_get_breaker (SluiceStoreBackend *backend, const char *dataset,
                                  SluiceBreakerState *ret_state, GError **error)
{
  memset (ret_state, 0, sizeof (*ret_state));
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return backend->vtable->get_breaker (backend, dataset, ret_state, error);
}

gboolean
sluice_store_txn_set_breaker (SluiceStoreTxn *txn, const char *dataset,
                              const SluiceBreakerState *state, GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  g_return_val_if_fail (state->pipe != NULL && state->run_id != NULL, FALSE);
  return txn->backend->vtable->txn_set_breaker (txn, dataset, state, error);
}

gboolean
sluice_store_txn_release_breaker (SluiceStoreTxn *txn, const char *dataset, gboolean rollback,
                                  GError **error)
{
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return txn->backend->vtable->txn_release_breaker (txn, dataset, rollback, error);
}

gboolean
sluice_store_txn_roll_back_breaker_part (SluiceStoreTxn *txn, const char *dataset,
                                         uint64_t max_versions, gboolean *ret_done, GError **error)
{
  g_return_val_if_fail (max_versions > 0 && ret_done != NULL, FALSE);
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  if (txn->backend->vtable->txn_roll_back_breaker_part == NULL)
    {
      *ret_done = TRUE;
      return sluice_store_txn_release_breaker (txn, dataset, TRUE, error);
    }
  return txn->backend->vtable->txn_roll_back_breaker_part (txn, dataset, max_versions, ret_done,
                                                           error);
}

gboolean
sluice_store_backend_scan_live (SluiceStoreBackend *backend, const char *dataset,
                                const SluiceStoreView *view, SluiceStoreLiveFunc func,
                                gpointer user_data, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  if (!sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return backend->vtable->scan_live (backend, dataset, view, func, user_data, error);
}
