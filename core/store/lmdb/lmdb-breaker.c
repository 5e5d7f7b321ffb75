/* lmdb-breaker.c — circuit breakers in the LMDB backend (docs/store.md, "Circuit breakers: the
 * committed watermark"): the breaker record of a dataset, where a reader's view of it ends, and
 * the write operations that hold, trip, commit and roll back a dataset, in one transaction or in
 * parts. */
#include "lmdb-private.h"

/* Reading the record, and the views. */

/* 0 with *ret filled; MDB_NOTFOUND when the dataset has no breaker; RC_ERROR with error set. */
int
sluice_lmdb_load_breaker (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
                          Breaker *ret, GError **error)
{
  uint8_t k[5];
  MDB_val key = { 5, k }, val;
  int rc;

  breaker_key (k, dsid);
  rc = mdb_get (txn, self->db_meta, &key, &val);
  if (rc == MDB_NOTFOUND)
    return rc;
  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "reading the circuit breaker of dataset '%s'",
                                     dataset);
  if (!sluice_lmdb_decode_breaker (val.mv_data, val.mv_size, ret))
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                   "%s: dataset '%s': its circuit breaker record is malformed (%zu bytes)",
                   self->description, dataset, val.mv_size);
      return RC_ERROR;
    }
  return 0;
}

/* Where a reader's view of the dataset ends (exclusive): the watermark, unless the view includes
 * the uncommitted versions. */
static int64_t
view_end (const Breaker *b, gboolean has_breaker, gboolean uncommitted, const char *holder)
{
  if (!has_breaker || uncommitted || (holder != NULL && g_strcmp0 (holder, b->state.pipe) == 0))
    return G_MAXINT64;
  return b->state.watermark;
}

/* Looks up the breaker of @dsid and returns the end of the view through @ret_end and, when it
 * limits the view, the committed metadata through @ret_committed (nullable).  0 or RC_ERROR. */
int
sluice_lmdb_resolve_view (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
                          gboolean uncommitted, const char *holder, int64_t *ret_end,
                          Meta *ret_committed, GError **error)
{
  Breaker b;
  int rc = sluice_lmdb_load_breaker (self, txn, dsid, dataset, &b, error);

  if (rc != 0 && rc != MDB_NOTFOUND)
    return rc;
  *ret_end = view_end (&b, rc == 0, uncommitted, holder);
  if (ret_committed != NULL && *ret_end != G_MAXINT64)
    *ret_committed = b.committed;
  if (rc == 0)
    sluice_lmdb_breaker_clear (&b);
  return 0;
}

/* Operations of a write transaction (see lmdb-write.c). */

static int
put_breaker (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const SluiceBreakerState *state,
             const Meta *committed)
{
  g_autoptr (GBytes) encoded = sluice_lmdb_encode_breaker (state, committed);
  uint8_t k[5];
  MDB_val key = { 5, k }, val;

  breaker_key (k, dsid);
  val.mv_data = (void *)g_bytes_get_data (encoded, &val.mv_size);
  return mdb_put (txn, self->db_meta, &key, &val, 0);
}

/* @encoded holds the state as the caller gave it; the watermark and the committed metadata come
 * from the dataset when the breaker is new, and from the existing breaker otherwise. */
int
sluice_lmdb_exec_set_breaker (LmdbTxn *t, const char *dataset, GBytes *encoded, GError **error)
{
  LmdbBackend *self = t->self;
  Breaker given, existing;
  Meta meta;
  uint32_t dsid;
  gsize len;
  const uint8_t *data = g_bytes_get_data (encoded, &len);
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return sluice_lmdb_not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  rc = sluice_lmdb_load_breaker (self, t->txn, dsid, dataset, &existing, error);
  if (rc == RC_ERROR)
    return rc;
  if (!sluice_lmdb_decode_breaker (data, len, &given))
    g_assert_not_reached ();
  if (rc == 0)
    {
      given.state.watermark = existing.state.watermark;
      rc = put_breaker (self, t->txn, dsid, &given.state, &existing.committed);
      sluice_lmdb_breaker_clear (&existing);
    }
  else
    {
      given.state.watermark = meta.next_offset;
      rc = put_breaker (self, t->txn, dsid, &given.state, &meta);
    }
  sluice_lmdb_breaker_clear (&given);
  if (rc == 0 || rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return sluice_lmdb_set_rc_error (self, error, rc, "writing the circuit breaker of dataset '%s'",
                                   dataset);
}

/* Rollback: from the newest version down to the watermark, each version's id goes back to the
 * version before it, and the version goes.  An id's oldest uncommitted version comes last and its
 * `_previous` is below the watermark (or none), so the id index ends as it was at the watermark;
 * compaction never runs while a breaker exists, so that version is still there. */
static int
rollback_versions (LmdbTxn *t, const char *dataset, uint32_t dsid, int64_t watermark,
                   int64_t next_offset, GError **error)
{
  LmdbBackend *self = t->self;
  g_autoptr (GByteArray) id = g_byte_array_new ();

  for (int64_t offset = next_offset - 1; offset >= watermark; offset--)
    {
      uint8_t lk[12], entry[ID_ENTRY_SIZE];
      MDB_val lkey = { 12, lk }, lval, ikey, ival;
      SluiceStoreVersion v;
      int64_t previous;
      int rc;

      log_key (lk, dsid, offset);
      rc = mdb_get (t->txn, self->db_log, &lkey, &lval);
      if (rc == MDB_NOTFOUND)
        continue;
      if (rc != 0)
        return rc;
      if (!sluice_lmdb_decode_version (self, dataset, &lkey, &lval, &v, error))
        return RC_ERROR;
      previous = v.previous;
      /* The log value moves under writes: keep the id. */
      g_byte_array_set_size (id, 0);
      g_byte_array_append (id, (const guint8 *)v.record.id, v.record.id_len);
      ikey.mv_size = sluice_lmdb_id_key (t->scratch, dsid, (const char *)id->data, id->len);
      ikey.mv_data = t->scratch->data;
      if (previous == SLUICE_STORE_NO_OFFSET)
        {
          rc = mdb_del (t->txn, self->db_ids, &ikey, NULL);
          if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        }
      else if (previous < watermark)
        {
          uint8_t pk[12];
          MDB_val pkey = { 12, pk }, pval;
          const uint8_t *p;

          log_key (pk, dsid, previous);
          rc = mdb_get (t->txn, self->db_log, &pkey, &pval);
          if (rc != 0)
            return rc;
          if (pval.mv_size < LOG_HEADER_SIZE)
            return MDB_CORRUPTED;
          p = pval.mv_data;
          memcpy (entry, &previous, 8);
          memcpy (entry + 8, p + 17, SLUICE_STORE_HASH_SIZE);
          entry[8 + SLUICE_STORE_HASH_SIZE] = p[16] & REC_DELETED;
          ival = (MDB_val){ ID_ENTRY_SIZE, entry };
          if ((rc = mdb_put (t->txn, self->db_ids, &ikey, &ival, 0)) != 0)
            return rc;
        }
      if ((rc = mdb_del (t->txn, self->db_log, &lkey, NULL)) != 0)
        return rc;
    }
  return 0;
}

/* Releases the breaker of @dataset: commit, or roll back (at most @max_versions versions when
 * not 0; *@ret_done says whether that reached the watermark, and only then is the breaker
 * gone).  A partial rollback lowers the dataset's next offset to where it stopped, so that the
 * next part goes on from there; readers see the metadata kept at the watermark meanwhile. */
int
sluice_lmdb_release_breaker (LmdbTxn *t, const char *dataset, gboolean rollback,
                             uint64_t max_versions, gboolean *ret_done, GError **error)
{
  LmdbBackend *self = t->self;
  Breaker b;
  Meta meta;
  uint32_t dsid;
  uint8_t k[5];
  MDB_val key = { 5, k };
  gboolean done = TRUE;
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return sluice_lmdb_not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  rc = sluice_lmdb_load_breaker (self, t->txn, dsid, dataset, &b, error);
  if (rc == MDB_NOTFOUND)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                   "%s: dataset '%s' has no circuit breaker to %s", self->description, dataset,
                   rollback ? "roll back" : "commit");
      return RC_ERROR;
    }
  if (rc != 0)
    return rc;
  if (rollback)
    {
      int64_t low = b.state.watermark;

      if (max_versions > 0 && meta.next_offset - b.state.watermark > (int64_t)max_versions)
        {
          low = meta.next_offset - (int64_t)max_versions;
          done = FALSE;
        }
      rc = rollback_versions (t, dataset, dsid, low, meta.next_offset, error);
      if (rc == 0 && done)
        rc = sluice_lmdb_put_meta (self, t->txn, dsid, &b.committed, dataset, error);
      else if (rc == 0)
        {
          meta.next_offset = low;
          rc = sluice_lmdb_put_meta (self, t->txn, dsid, &meta, dataset, error);
        }
    }
  sluice_lmdb_breaker_clear (&b);
  if (rc == 0 && done)
    {
      breaker_key (k, dsid);
      rc = mdb_del (t->txn, self->db_meta, &key, NULL);
    }
  if (ret_done != NULL)
    *ret_done = done;
  if (rc == 0 || rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  if (rc == RC_ERROR)
    return rc;
  return sluice_lmdb_set_rc_error (self, error, rc, "%s the circuit breaker of dataset '%s'",
                                   rollback ? "rolling back" : "committing", dataset);
}
