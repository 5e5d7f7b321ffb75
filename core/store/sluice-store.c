/* sluice-store.c — entities to store records and back: SDK hash, SDK binary body, version
 * metadata.  See sluice-store.h. */
#include "sluice-store.h"

#include <string.h>
#include <sluice-binary.h>
#include <sluice-error.h>

/* An entity's _id always fits the store (sluice_entity_new () checks it). */
G_STATIC_ASSERT (SLUICE_ENTITY_MAX_ID_SIZE == SLUICE_STORE_MAX_ID_SIZE);

/* Root-level fields the dataset regenerates or that must not be stored (digest §1.2). */
static gboolean
is_dropped_key (const char *key)
{
  return key[0] == '_' && strcmp (key, "_id") != 0 && strcmp (key, "_deleted") != 0;
}

/* Appends the stored form of @body to @out. */
static void
encode_body (GByteArray *out, SluiceValue *body)
{
  size_t n = sluice_value_dict_get_size (body);
  g_autoptr (SluiceDictBuilder) builder = NULL;
  g_autoptr (SluiceValue) stripped = NULL;
  size_t i;

  for (i = 0; i < n; i++)
    if (is_dropped_key (sluice_value_dict_get_key (body, i)))
      break;
  if (i == n)
    {
      sluice_binary_append (out, body);
      return;
    }
  builder = sluice_dict_builder_new ();
  for (i = 0; i < n; i++)
    {
      const char *key = sluice_value_dict_get_key (body, i);

      if (!is_dropped_key (key))
        sluice_dict_builder_add (builder, key, sluice_value_dict_get_value (body, i));
    }
  stripped = sluice_dict_builder_end (g_steal_pointer (&builder));
  sluice_binary_append (out, stripped);
}

gboolean
sluice_store_txn_append_batch (SluiceStoreTxn *txn, const char *dataset, const SluiceBatch *batch,
                               uint32_t flags, size_t *ret_n_appended, GError **error)
{
  return sluice_store_txn_append_batch_offsets (txn, dataset, batch, flags, NULL, ret_n_appended,
                                                error);
}

gboolean
sluice_store_txn_append_batch_offsets (SluiceStoreTxn *txn, const char *dataset,
                                       const SluiceBatch *batch, uint32_t flags,
                                       int64_t *ret_offsets, size_t *ret_n_appended,
                                       GError **error)
{
  size_t n = sluice_batch_get_length (batch);
  g_autofree SluiceStoreRecord *records = g_new (SluiceStoreRecord, MAX (n, 1));
  g_autofree size_t *ends = g_new (size_t, MAX (n, 1));
  g_autoptr (GByteArray) bodies = g_byte_array_new ();

  /* Bodies go into one buffer (which may move while it grows), so record pointers are set after. */
  for (size_t i = 0; i < n; i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);

      encode_body (bodies, sluice_entity_get_body (entity));
      ends[i] = bodies->len;
    }
  for (size_t i = 0; i < n; i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);
      const char *id = sluice_entity_get_id (entity);
      size_t start = i > 0 ? ends[i - 1] : 0;

      records[i].id = id;
      records[i].id_len = strlen (id);
      sluice_entity_get_hash (entity, records[i].hash);
      records[i].deleted = sluice_entity_is_deleted (entity);
      records[i].body = bodies->data + start;
      records[i].body_len = ends[i] - start;
    }
  return sluice_store_txn_append (txn, dataset, records, n, flags, ret_offsets, ret_n_appended,
                                  error);
}

SluiceEntity *
sluice_store_entity_from_version (const SluiceStoreVersion *version, const char *dataset,
                                  GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (SluiceValue) body
      = sluice_binary_decode (version->record.body, version->record.body_len, &local);
  SluiceEntity *entity = NULL;

  if (body != NULL)
    entity = sluice_entity_new_stored (body, version->offset, version->previous, version->ts,
                                       version->record.hash, &local);
  if (body == NULL || entity == NULL)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                   "dataset '%s': the entity at offset %" G_GINT64_FORMAT " (_id '%.*s') cannot be "
                   "decoded: %s",
                   dataset, version->offset, (int)MIN (version->record.id_len, 200),
                   version->record.id, local->message);
      return NULL;
    }
  return entity;
}

SluiceEntity *
sluice_store_dup_entity (SluiceStoreBackend *backend, const char *dataset, const char *id,
                         const SluiceStoreView *view, GError **error)
{
  g_autoptr (SluiceStoreOwnedVersion) v
      = sluice_store_backend_dup_latest (backend, dataset, id, strlen (id), view, error);

  return v != NULL ? sluice_store_entity_from_version (v, dataset, error) : NULL;
}

SluiceEntity *
sluice_store_dup_entity_at (SluiceStoreBackend *backend, const char *dataset, int64_t offset,
                            const SluiceStoreView *view, GError **error)
{
  g_autoptr (SluiceStoreOwnedVersion) v
      = sluice_store_backend_dup_version (backend, dataset, offset, view, error);

  return v != NULL ? sluice_store_entity_from_version (v, dataset, error) : NULL;
}

SluiceEntity *
sluice_store_cursor_next_entity (SluiceStoreCursor *cursor, const char *dataset, GError **error)
{
  const SluiceStoreVersion *v = sluice_store_cursor_next (cursor, error);

  return v != NULL ? sluice_store_entity_from_version (v, dataset, error) : NULL;
}
