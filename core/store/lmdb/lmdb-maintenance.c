/* lmdb-maintenance.c — work on whole datasets in many small write transactions, so that it never
 * blocks writers for long: purging the records of deleted datasets (after the deleting commit,
 * and at open for purges a crash interrupted), and compaction (docs/store.md, "Compaction"). */
#include "lmdb-private.h"

#define COMPACT_CHUNK 2000 /* ids compaction handles per write transaction */
#define PURGE_CHUNK 20000  /* records of a deleted dataset removed per write transaction */

/* Purging deleted datasets. */

/* Removes the records of deleted datasets, a chunk per transaction.  Interrupted purges resume at
 * the next open. */
static void
purge_db_prefix (LmdbBackend *self, MDB_dbi dbi, uint32_t dsid, gboolean *ret_done, GError **error)
{
  MDB_txn *txn = sluice_lmdb_begin_txn (self, 0, error);
  MDB_cursor *cur = NULL;
  uint8_t prefix[4];
  MDB_val key = { 4, prefix }, val;
  int rc, n = 0;

  *ret_done = FALSE;
  if (txn == NULL)
    return;
  put_be32 (prefix, dsid);
  rc = mdb_cursor_open (txn, dbi, &cur);
  /* Deleting from the front: the first key at or after the prefix is always the next one. */
  while (rc == 0 && n < PURGE_CHUNK)
    {
      key = (MDB_val){ 4, prefix };
      rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
      if (rc != 0)
        break;
      if (key.mv_size < 4 || memcmp (key.mv_data, prefix, 4) != 0)
        {
          rc = MDB_NOTFOUND;
          break;
        }
      if ((rc = mdb_cursor_del (cur, 0)) != 0)
        break;
      n++;
    }
  if (cur != NULL)
    mdb_cursor_close (cur);
  if (rc == MDB_NOTFOUND)
    *ret_done = TRUE;
  else if (rc != 0)
    {
      sluice_lmdb_abort_txn (self, &txn);
      sluice_lmdb_set_rc_error (self, error, rc, "removing the records of a deleted dataset");
      return;
    }
  rc = sluice_lmdb_commit_txn (self, &txn);
  if (rc != 0)
    {
      *ret_done = FALSE;
      sluice_lmdb_set_rc_error (self, error, rc, "removing the records of a deleted dataset");
    }
}

void
sluice_lmdb_purge_dropped (LmdbBackend *self)
{
  g_autoptr (GError) error = NULL;

  for (;;)
    {
      uint8_t pk[5] = { 0, 0, 0, 0, 'D' };
      MDB_val key = { 5, pk }, val;
      MDB_txn *txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, &error);
      MDB_cursor *cur = NULL;
      uint32_t dsid = 0;
      gboolean found = FALSE, done;
      int rc;

      if (txn == NULL)
        break;
      rc = mdb_cursor_open (txn, self->db_meta, &cur);
      if (rc == 0)
        rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
      if (rc == 0 && key.mv_size == 9 && memcmp (key.mv_data, pk, 5) == 0)
        {
          found = TRUE;
          dsid = get_be32 ((const uint8_t *)key.mv_data + 5);
        }
      if (cur != NULL)
        mdb_cursor_close (cur);
      sluice_lmdb_abort_txn (self, &txn);
      if (!found)
        return;

      do
        purge_db_prefix (self, self->db_log, dsid, &done, &error);
      while (!done && error == NULL);
      do
        purge_db_prefix (self, self->db_ids, dsid, &done, &error);
      while (!done && error == NULL);
      if (error != NULL)
        break;

      txn = sluice_lmdb_begin_txn (self, 0, &error);
      if (txn == NULL)
        break;
      {
        uint8_t dk[9] = { 0, 0, 0, 0, 'D' };

        put_be32 (dk + 5, dsid);
        key = (MDB_val){ 9, dk };
        mdb_del (txn, self->db_meta, &key, NULL);
        rc = sluice_lmdb_commit_txn (self, &txn);
      }
      if (rc != 0)
        {
          sluice_lmdb_set_rc_error (self, &error, rc, "removing the records of a deleted dataset");
          break;
        }
    }
  g_warning ("%s", error->message);
}

/* Compaction: one chunk of ids per write transaction, resuming after the last id key. */
static int
compact_chunk (LmdbBackend *self, MDB_txn *txn, const char *dataset, const char *generation,
               const SluiceCompactOptions *options, int64_t cutoff, GByteArray *resume,
               gboolean *ret_done, SluiceCompactStats *stats, GError **error)
{
  MDB_cursor *cur = NULL;
  MDB_val key, val;
  uint32_t dsid;
  Meta meta;
  uint64_t removed = 0;
  int keep = MAX (options->keep_versions, 1);
  int rc, n = 0;

  rc = sluice_lmdb_lookup_dataset (self, txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND || (rc == 0 && strncmp (meta.generation, generation, 36) != 0))
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                   "%s: dataset '%s' was deleted while it was being compacted", self->description,
                   dataset);
      return RC_ERROR;
    }
  if (rc != 0)
    return rc;
  {
    Breaker b;

    /* A rollback needs every version the id index may go back to: no compaction while a
     * breaker holds or tripped the dataset (digest §6). */
    rc = sluice_lmdb_load_breaker (self, txn, dsid, dataset, &b, error);
    if (rc == RC_ERROR)
      return rc;
    if (rc == 0)
      {
        sluice_lmdb_breaker_clear (&b);
        *ret_done = TRUE;
        return 0;
      }
  }

  if (resume->len == 0)
    {
      g_byte_array_set_size (resume, 4);
      put_be32 (resume->data, dsid);
    }
  rc = mdb_cursor_open (txn, self->db_ids, &cur);
  if (rc != 0)
    goto out;
  key = (MDB_val){ resume->len, resume->data };
  rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
  if (rc == 0 && key.mv_size == resume->len && memcmp (key.mv_data, resume->data, resume->len) == 0
      && resume->len > 4)
    rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);

  for (; rc == 0 && n < COMPACT_CHUNK; n++)
    {
      int64_t offset, latest;
      gboolean removing = FALSE;

      if (key.mv_size < 4 || get_be32 (key.mv_data) != dsid || val.mv_size != ID_ENTRY_SIZE)
        {
          rc = MDB_NOTFOUND;
          break;
        }
      g_byte_array_set_size (resume, key.mv_size);
      memcpy (resume->data, key.mv_data, key.mv_size);
      latest = offset = get_i64 (val.mv_data);
      stats->ids_visited++;

      /* Walk the _previous chain from the newest version.  Once one version goes, every older
       * one goes too, so the chain stays a prefix and later walks stop at the first gap. */
      for (int i = 0; offset != SLUICE_STORE_NO_OFFSET; i++)
        {
          uint8_t lk[12];
          MDB_val lkey = { 12, lk }, lval;
          int64_t ts, previous;

          log_key (lk, dsid, offset);
          rc = mdb_get (txn, self->db_log, &lkey, &lval);
          if (rc == MDB_NOTFOUND)
            {
              rc = 0;
              break;
            }
          if (rc != 0)
            goto out;
          if (lval.mv_size < LOG_HEADER_SIZE)
            {
              rc = MDB_CORRUPTED;
              goto out;
            }
          ts = get_i64 (lval.mv_data);
          previous = get_i64 ((const uint8_t *)lval.mv_data + 8);
          if (!removing && offset != latest && i >= keep && ts <= cutoff)
            removing = TRUE;
          if (removing)
            {
              if ((rc = mdb_del (txn, self->db_log, &lkey, NULL)) != 0)
                goto out;
              removed++;
            }
          if (previous >= offset)
            break; /* never loop on a damaged chain */
          offset = previous;
        }
      rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);
    }

out:
  if (cur != NULL)
    mdb_cursor_close (cur);
  *ret_done = rc == MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND)
    rc = 0;
  if (rc == 0 && removed > 0)
    {
      meta.version_count -= MIN (removed, meta.version_count);
      rc = sluice_lmdb_put_meta (self, txn, dsid, &meta, dataset, error);
    }
  if (rc == 0)
    stats->versions_removed += removed;
  else if (rc != RC_ERROR && rc != MDB_MAP_FULL)
    rc = sluice_lmdb_set_rc_error (self, error, rc, "compacting dataset '%s'", dataset);
  return rc;
}

gboolean
sluice_lmdb_compact (SluiceStoreBackend *backend, const char *dataset,
                     const SluiceCompactOptions *options, SluiceCompactStats *ret_stats,
                     GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (GByteArray) resume = g_byte_array_new ();
  g_autofree char *what = g_strdup_printf ("compacting dataset '%s'", dataset);
  SluiceCompactStats stats = { 0 };
  int64_t cutoff = G_MAXINT64;
  gboolean done = FALSE;

  if (options->time_threshold_hours >= 0)
    cutoff = g_get_real_time () - options->time_threshold_hours * 3600 * G_USEC_PER_SEC;
  info = sluice_lmdb_dup_dataset_info (backend, dataset, NULL, error);
  if (info == NULL)
    return FALSE;

  while (!done)
    {
      g_autoptr (GByteArray) saved = g_byte_array_sized_new (resume->len);
      SluiceCompactStats chunk = stats;
      MDB_txn *txn;
      int rc;

      g_byte_array_append (saved, resume->data, resume->len);
      txn = sluice_lmdb_begin_txn (self, 0, error);
      if (txn == NULL)
        return FALSE;
      rc = compact_chunk (self, txn, dataset, info->generation, options, cutoff, resume, &done,
                          &chunk, error);
      if (rc == 0)
        {
          rc = sluice_lmdb_commit_txn (self, &txn);
          if (rc == 0)
            {
              stats = chunk;
              continue;
            }
        }
      else
        sluice_lmdb_abort_txn (self, &txn);
      if (rc == RC_ERROR)
        return FALSE;
      if (rc != MDB_MAP_FULL)
        return sluice_lmdb_set_rc_error (self, error, rc, "%s", what), FALSE;
      /* Redo the chunk in a bigger map. */
      if (!sluice_lmdb_grow_map (self, what, error))
        return FALSE;
      g_byte_array_set_size (resume, 0);
      g_byte_array_append (resume, saved->data, saved->len);
      done = FALSE;
    }
  if (ret_stats != NULL)
    *ret_stats = stats;
  return TRUE;
}
