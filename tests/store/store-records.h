/* store-records.h — records, appends and reads for the store's tests, through the backend
 * interface only: the conformance suite (store-conformance.h) and the tests of one backend use
 * them.  Static, so that each test file that includes this has its own copy of what it uses. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "sluice-store-backend.h"

/* A record whose hash is derived from its content and deleted flag, like the SDK's content hash. */
static inline SluiceStoreRecord
rec (const char *id, const char *content, gboolean deleted)
{
  SluiceStoreRecord r = { id, strlen (id), { 0 }, deleted, content, strlen (content) };
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);

  g_checksum_update (sum, (const guchar *)id, -1);
  g_checksum_update (sum, (const guchar *)"\0", 1);
  g_checksum_update (sum, (const guchar *)content, -1);
  g_checksum_update (sum, (const guchar *)(deleted ? "D" : "L"), 1);
  g_checksum_get_digest (sum, digest, &len);
  memcpy (r.hash, digest, SLUICE_STORE_HASH_SIZE);
  return r;
}

static inline void
create (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info
      = sluice_store_backend_create_dataset (store, dataset, FALSE, &error);
  assert_null (error);
  assert_non_null (info);
}

/* Appends @n records in one committed transaction; returns the number appended. */
static inline size_t
append (SluiceStoreBackend *store, const char *dataset, const SluiceStoreRecord *records, size_t n,
        int64_t *ret_offsets)
{
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, &error);
  size_t appended = 0;

  assert_non_null (txn);
  assert_true (
      sluice_store_txn_append (txn, dataset, records, n, 0, ret_offsets, &appended, &error));
  assert_null (error);
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_null (error);
  return appended;
}

static inline void
append1 (SluiceStoreBackend *store, const char *dataset, const char *id, const char *content,
         gboolean deleted)
{
  SluiceStoreRecord r = rec (id, content, deleted);

  append (store, dataset, &r, 1, NULL);
}

/* "[_id, _updated, _previous, _deleted]" of the versions a query returns, one per line. */
static inline char *
query_str (SluiceStoreBackend *store, const char *dataset, int64_t since, uint64_t limit,
           gboolean history, gboolean deleted)
{
  SluiceStoreQuery q = { dataset, since, limit, history, deleted };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_null (error);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    {
      g_string_append_printf (out, "%.*s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "%s\n",
                              (int)v->record.id_len, v->record.id, v->offset, v->previous,
                              v->record.deleted ? " deleted" : "");
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* Only the ids, space-separated. */
static inline char *
query_ids (SluiceStoreBackend *store, const char *dataset, int64_t since, uint64_t limit)
{
  SluiceStoreQuery q = { dataset, since, limit, TRUE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_null (error);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    g_string_append_printf (out, "%s%.*s", out->len ? " " : "", (int)v->record.id_len,
                            v->record.id);
  assert_null (error);
  return g_string_free (out, FALSE);
}

static inline SluiceDatasetInfo *
info (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  SluiceDatasetInfo *i = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &error);

  assert_null (error);
  assert_non_null (i);
  return i;
}
